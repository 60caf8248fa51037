/* rank_metrics.c - qrels and ranking measures (see rank_metrics.h). */
#include "rank_metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kbsearch.h"

struct entry {
    const char *qid;
    rm_judgment j;
};

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* The next field of the line at *p (ending at a NUL that replaced the LF):
 * NUL-terminates it in place. NULL when the line has no more fields. */
static char *next_field(char **p)
{
    char *s = *p;
    while (is_blank(*s))
        s++;
    if (!*s) {
        *p = s;
        return NULL;
    }
    char *e = s;
    while (*e && !is_blank(*e))
        e++;
    *p = *e ? e + 1 : e;
    *e = '\0';
    return s;
}

/* A decimal integer, optionally signed, of at most 9 digits. Hand-written:
 * atoi cannot report an error and strtol's rules follow the locale. */
static int parse_int(const char *s, int *out)
{
    int neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    size_t n = strlen(s);
    if (n == 0 || n > 9)
        return -1;
    int v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
    }
    *out = neg ? -v : v;
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    int c = strcmp(x->qid, y->qid);
    return c ? c : strcmp(x->j.docid, y->j.docid);
}

static int cmp_gain_desc(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x < y) - (x > y);
}

static double discount(size_t rank)
{
    return 1.0 / log2((double)rank + 1.0);
}

/* DCG@RM_CUTOFF of the best possible ranking of t's judgments. */
static double ideal_dcg(const rm_topic *t)
{
    int best[RM_CUTOFF];
    size_t nb = 0;
    /* Keeps the RM_CUTOFF largest gains; topics are small, so a plain
     * insertion is enough. */
    for (size_t i = 0; i < t->n; i++) {
        int g = t->j[i].rel;
        if (g <= 0)
            continue;
        if (nb < RM_CUTOFF)
            best[nb++] = g;
        else if (g > best[nb - 1])
            best[nb - 1] = g;
        else
            continue;
        qsort(best, nb, sizeof best[0], cmp_gain_desc);
    }
    double dcg = 0;
    for (size_t i = 0; i < nb; i++)
        dcg += best[i] * discount(i + 1);
    return dcg;
}

int rm_qrels_parse(const char *data, size_t len, rm_qrels *out, char *err, size_t errlen)
{
    rm_qrels q;
    memset(&q, 0, sizeof q);
    struct entry *e = NULL;
    size_t ne = 0, cap = 0;
    int st = KBS_OK;
    q.text = malloc(len + 1);
    if (!q.text) {
        snprintf(err, errlen, "out of memory");
        return KBS_ENOMEM;
    }
    memcpy(q.text, data, len);
    q.text[len] = '\0';
    size_t lineno = 0;
    for (char *line = q.text; st == KBS_OK && line < q.text + len;) {
        char *nl = strchr(line, '\n');
        char *next = nl ? nl + 1 : q.text + len;
        if (nl)
            *nl = '\0';
        lineno++;
        if (memchr(line, '\0', (size_t)(next - line) - (nl ? 1 : 0))) {
            snprintf(err, errlen, "line %zu: a NUL byte", lineno);
            st = KBS_EINVAL;
            break;
        }
        char *p = line;
        char *f[5];
        int nf = 0;
        while (nf < 5 && (f[nf] = next_field(&p)) != NULL)
            nf++;
        line = next;
        if (nf == 0)
            continue;
        int rel;
        if (nf != 4) {
            snprintf(err, errlen, "line %zu: expected 4 fields (qid iter docid rel), found %s",
                     lineno, nf > 4 ? "more" : "fewer");
            st = KBS_EINVAL;
        } else if (parse_int(f[3], &rel) != 0) {
            snprintf(err, errlen, "line %zu: relevance '%s' is not an integer", lineno, f[3]);
            st = KBS_EINVAL;
        } else if (ne == cap) {
            size_t c = cap ? cap * 2 : 1024;
            struct entry *ee = realloc(e, c * sizeof *ee);
            if (!ee) {
                snprintf(err, errlen, "out of memory");
                st = KBS_ENOMEM;
            } else {
                e = ee;
                cap = c;
            }
        }
        if (st == KBS_OK) {
            e[ne].qid = f[0];
            e[ne].j.docid = f[2];
            e[ne].j.rel = rel;
            ne++;
        }
    }
    if (st == KBS_OK && ne) {
        qsort(e, ne, sizeof *e, cmp_entry);
        size_t ntop = 1;
        for (size_t i = 1; i < ne && st == KBS_OK; i++) {
            if (cmp_entry(&e[i - 1], &e[i]) == 0) {
                snprintf(err, errlen, "query %s judges document %s twice", e[i].qid, e[i].j.docid);
                st = KBS_EINVAL;
            }
            ntop += strcmp(e[i - 1].qid, e[i].qid) != 0;
        }
        if (st == KBS_OK) {
            q.all = malloc(ne * sizeof *q.all);
            q.topics = calloc(ntop, sizeof *q.topics);
            if (!q.all || !q.topics) {
                snprintf(err, errlen, "out of memory");
                st = KBS_ENOMEM;
            }
        }
        for (size_t i = 0; st == KBS_OK && i < ne; i++) {
            q.all[i] = e[i].j;
            if (i == 0 || strcmp(e[i - 1].qid, e[i].qid) != 0) {
                rm_topic *t = &q.topics[q.ntopics++];
                t->qid = e[i].qid;
                t->j = &q.all[i];
            }
            rm_topic *t = &q.topics[q.ntopics - 1];
            t->n++;
            t->nrel += e[i].j.rel > 0;
        }
        q.njudgments = ne;
        for (size_t i = 0; st == KBS_OK && i < q.ntopics; i++)
            q.topics[i].idcg = ideal_dcg(&q.topics[i]);
    }
    free(e);
    if (st != KBS_OK) {
        rm_qrels_free(&q);
        return st;
    }
    *out = q;
    return KBS_OK;
}

void rm_qrels_free(rm_qrels *q)
{
    if (!q)
        return;
    free(q->topics);
    free(q->all);
    free(q->text);
    memset(q, 0, sizeof *q);
}

const rm_topic *rm_qrels_find(const rm_qrels *q, const char *qid)
{
    if (!q || !qid)
        return NULL;
    size_t lo = 0, hi = q->ntopics;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(q->topics[mid].qid, qid);
        if (c == 0)
            return &q->topics[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int rm_topic_rel(const rm_topic *t, const char *docid)
{
    if (!t || !docid)
        return 0;
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(t->j[mid].docid, docid);
        if (c == 0)
            return t->j[mid].rel;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

void rm_score(const rm_topic *t, const char *const *ranked, size_t n, rm_scores *out)
{
    memset(out, 0, sizeof *out);
    if (!t || t->nrel == 0)
        return;
    if (n > RM_DEPTH)
        n = RM_DEPTH;
    double ap = 0, dcg = 0;
    size_t found = 0, found_top = 0;
    for (size_t k = 0; k < n; k++) {
        int rel = rm_topic_rel(t, ranked[k]);
        if (rel <= 0)
            continue;
        int seen = 0;
        for (size_t i = 0; i < k && !seen; i++)
            seen = strcmp(ranked[i], ranked[k]) == 0;
        if (seen)
            continue;
        found++;
        ap += (double)found / (double)(k + 1);
        if (k < RM_CUTOFF) {
            found_top++;
            dcg += rel * discount(k + 1);
        }
    }
    out->ap = ap / (double)t->nrel;
    out->recall = (double)found / (double)t->nrel;
    out->prec = (double)found_top / RM_CUTOFF;
    out->ndcg = t->idcg > 0 ? dcg / t->idcg : 0;
}
