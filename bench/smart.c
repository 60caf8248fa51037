/* smart.c - reading SMART-layout test collections (see smart.h). */
#include "smart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "kbsearch.h"

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* ".X" alone or ".X <rest>": a marker line; *tag gets X. A line such as
 * ".5 mach" or ".the" inside a text is not one. */
static int marker(const char *s, size_t len, char *tag)
{
    if (len < 2 || s[0] != '.' || s[1] < 'A' || s[1] > 'Z')
        return 0;
    if (len > 2 && s[2] != ' ' && s[2] != '\t')
        return 0;
    *tag = s[1];
    return 1;
}

static int push_record(smart_file *f)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 256;
        smart_record *r = realloc(f->recs, cap * sizeof *r);
        if (!r)
            return KBS_ENOMEM;
        f->recs = r;
        f->cap = cap;
    }
    memset(&f->recs[f->n], 0, sizeof f->recs[f->n]);
    f->n++;
    return KBS_OK;
}

/* Ends the field being read: its text goes to rec->fields[tag]. */
static int close_field(smart_record *rec, char tag, buf *text)
{
    if (!rec || !tag)
        return KBS_OK;
    if (buf_failed(text))
        return KBS_ENOMEM;
    char **slot = &rec->fields[tag - 'A'];
    size_t old = *slot ? strlen(*slot) : 0;
    char *s = realloc(*slot, old + (old ? 1 : 0) + text->len + 1);
    if (!s)
        return KBS_ENOMEM;
    if (old)
        s[old++] = '\n';
    memcpy(s + old, text->data ? text->data : "", text->len);
    s[old + text->len] = '\0';
    *slot = s;
    buf_reset(text);
    return KBS_OK;
}

int smart_parse(const char *data, size_t len, smart_file *out, char *err, size_t errlen)
{
    smart_file f = {NULL, 0, 0};
    buf text = BUF_INIT;
    char tag = 0; /* the field being read, 0 between a record's ".I" and its first field */
    size_t lineno = 0;
    int st = KBS_OK;
    size_t pos = 0;
    while (st == KBS_OK && pos < len) {
        const char *s = data + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - s) : len - pos;
        pos += ll + (nl ? 1 : 0);
        lineno++;
        if (ll && s[ll - 1] == '\r')
            ll--;
        smart_record *rec = f.n ? &f.recs[f.n - 1] : NULL;
        char t;
        if (!marker(s, ll, &t)) {
            if (!rec) {
                size_t k = 0;
                while (k < ll && is_space(s[k]))
                    k++;
                if (k < ll) {
                    snprintf(err, errlen, "line %zu: text before the first .I", lineno);
                    st = KBS_EINVAL;
                }
                continue;
            }
            if (!tag)
                continue; /* between ".I" and the first field: nothing to keep */
            if (text.len)
                buf_append_char(&text, '\n');
            buf_append(&text, s, ll);
            continue;
        }
        st = close_field(rec, tag, &text);
        tag = 0;
        if (st != KBS_OK)
            break;
        if (t != 'I') {
            if (!rec) {
                snprintf(err, errlen, "line %zu: .%c before the first .I", lineno, t);
                st = KBS_EINVAL;
            }
            tag = t;
            /* Some files put a short field on its marker line (".T title"). */
            if (ll > 3)
                buf_append(&text, s + 3, ll - 3);
            continue;
        }
        size_t a = 2, b = ll;
        while (a < b && is_space(s[a]))
            a++;
        while (b > a && is_space(s[b - 1]))
            b--;
        if (a == b || b - a >= SMART_ID_MAX) {
            snprintf(err, errlen, "line %zu: .I needs an id of 1 to %d characters", lineno,
                     SMART_ID_MAX - 1);
            st = KBS_EINVAL;
            break;
        }
        if ((st = push_record(&f)) != KBS_OK)
            break;
        memcpy(f.recs[f.n - 1].id, s + a, b - a);
        f.recs[f.n - 1].line = lineno;
    }
    if (st == KBS_OK && f.n)
        st = close_field(&f.recs[f.n - 1], tag, &text);
    buf_free(&text);
    if (st != KBS_OK) {
        if (st == KBS_ENOMEM)
            snprintf(err, errlen, "out of memory");
        smart_free(&f);
        return st;
    }
    *out = f;
    return KBS_OK;
}

void smart_free(smart_file *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        for (int k = 0; k < 26; k++)
            free(f->recs[i].fields[k]);
    free(f->recs);
    memset(f, 0, sizeof *f);
}

const char *smart_field(const smart_record *r, char tag)
{
    if (!r || tag < 'A' || tag > 'Z')
        return NULL;
    return r->fields[tag - 'A'];
}

char *smart_one_line(const char *s)
{
    if (!s)
        s = "";
    char *o = malloc(strlen(s) + 1);
    if (!o)
        return NULL;
    size_t n = 0;
    int gap = 0;
    for (; *s; s++) {
        if (is_space(*s)) {
            gap = n > 0;
            continue;
        }
        if (gap)
            o[n++] = ' ';
        gap = 0;
        o[n++] = *s;
    }
    o[n] = '\0';
    return o;
}
