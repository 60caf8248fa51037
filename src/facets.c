/* facets.c - spy counts into the facet lists of kbsearch.h. */
#include "facets.h"

#include <stdlib.h>
#include <string.h>

#include "schema.h"

/* A month or year value lives in the entry itself: "YYYY-MM" or "YYYY". */
typedef struct entry {
    kbs_facet f;
    char text[8];
} entry;

typedef struct list {
    entry *v;
    size_t n, cap;
} list;

struct facets {
    list category; /* values are strdup()ed: categories have any length */
    list month;
    list year;
    int oom;
};

static entry *list_push(list *l)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        entry *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return NULL;
        l->v = v;
        l->cap = cap;
    }
    entry *e = &l->v[l->n++];
    memset(e, 0, sizeof *e);
    return e;
}

/* Entries point into themselves, which realloc moves: fixed up at the end. */
static void list_point(list *l)
{
    for (size_t i = 0; i < l->n; i++)
        l->v[i].f.value = l->v[i].text;
}

int facets_new(facets **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : -1;
}

void facets_reset(facets *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->category.n; i++)
        free((char *)f->category.v[i].f.value);
    f->category.n = f->month.n = f->year.n = 0;
    f->oom = 0;
}

void facets_free(facets *f)
{
    if (!f)
        return;
    facets_reset(f);
    free(f->category.v);
    free(f->month.v);
    free(f->year.v);
    free(f);
}

static int digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

/* "YYYY-MM" as a month number (year * 12 + month - 1), or -1. */
static long month_index(const char *s, size_t len)
{
    unsigned y, m;
    if (len != 7 || s[4] != '-' || digits(s, 4, &y) != 0 || digits(s + 5, 2, &m) != 0 || m < 1 ||
        m > 12)
        return -1;
    return (long)y * 12 + (long)m - 1;
}

int facets_add(void *ctx, unsigned slot, const char *value, size_t len, uint64_t count)
{
    facets *f = ctx;
    if (slot == SLOT_CATEGORY) {
        entry *e = list_push(&f->category);
        char *v = e ? malloc(len + 1) : NULL;
        if (!v) {
            if (e)
                f->category.n--;
            f->oom = 1;
            return 1;
        }
        memcpy(v, value, len);
        v[len] = '\0';
        e->f.value = v;
        e->f.count = count;
    } else if (slot == SLOT_MONTH && month_index(value, len) >= 0) {
        entry *e = list_push(&f->month);
        if (!e) {
            f->oom = 1;
            return 1;
        }
        memcpy(e->text, value, 7);
        e->f.count = count;
    }
    return 0;
}

static int by_count(const void *a, const void *b)
{
    const kbs_facet *x = &((const entry *)a)->f, *y = &((const entry *)b)->f;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->value, y->value);
}

static int by_text(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->text, ((const entry *)b)->text);
}

static void put_year(char out[8], unsigned y)
{
    out[0] = (char)('0' + y / 1000 % 10);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '\0';
}

/* Months from the first to the last with a match, each once, in order; the
 * spy gives them sorted already, but a sort costs nothing and trusts less. */
static int fill_months(facets *f)
{
    list *m = &f->month;
    if (m->n == 0)
        return 0;
    qsort(m->v, m->n, sizeof *m->v, by_text);
    long first = month_index(m->v[0].text, 7), last = month_index(m->v[m->n - 1].text, 7);
    size_t span = (size_t)(last - first) + 1;
    entry *v = calloc(span, sizeof *v);
    if (!v)
        return -1;
    for (size_t i = 0; i < span; i++) {
        long k = first + (long)i;
        put_year(v[i].text, (unsigned)(k / 12));
        v[i].text[4] = '-';
        v[i].text[5] = (char)('0' + (k % 12 + 1) / 10);
        v[i].text[6] = (char)('0' + (k % 12 + 1) % 10);
    }
    for (size_t i = 0; i < m->n; i++)
        v[month_index(m->v[i].text, 7) - first].f.count += m->v[i].f.count;
    free(m->v);
    m->v = v;
    m->n = m->cap = span;
    list_point(m);

    list *y = &f->year;
    long y0 = first / 12, y1 = last / 12;
    free(y->v); /* a reset list keeps its array for reuse; this one is made anew */
    y->n = y->cap = 0;
    y->v = calloc((size_t)(y1 - y0) + 1, sizeof *y->v);
    if (!y->v)
        return -1;
    y->n = y->cap = (size_t)(y1 - y0) + 1;
    for (size_t i = 0; i < y->n; i++)
        put_year(y->v[i].text, (unsigned)(y0 + (long)i));
    for (size_t i = 0; i < m->n; i++)
        y->v[(first + (long)i) / 12 - y0].f.count += m->v[i].f.count;
    list_point(y);
    return 0;
}

int facets_finish(facets *f)
{
    if (!f || f->oom)
        return -1;
    if (f->category.n > 1)
        qsort(f->category.v, f->category.n, sizeof *f->category.v, by_count);
    return fill_months(f);
}

static const list *list_of(const facets *f, int kind)
{
    if (!f)
        return NULL;
    switch (kind) {
    case KBS_FACET_CATEGORY:
        return &f->category;
    case KBS_FACET_MONTH:
        return &f->month;
    case KBS_FACET_YEAR:
        return &f->year;
    default:
        return NULL;
    }
}

size_t facets_count(const facets *f, int kind)
{
    const list *l = list_of(f, kind);
    return l ? l->n : 0;
}

int facets_get(const facets *f, int kind, size_t i, kbs_facet *out)
{
    const list *l = list_of(f, kind);
    if (!l || !out || i >= l->n)
        return KBS_EINVAL;
    *out = l->v[i].f;
    return KBS_OK;
}

size_t kbs_results_facet_count(const kbs_results *results, int kind)
{
    return facets_count(search_results_facets(results), kind);
}

int kbs_results_facet(const kbs_results *results, int kind, size_t i, kbs_facet *out)
{
    return facets_get(search_results_facets(results), kind, i, out);
}
