/* query.c - parsing a user's query into a query plan. */
#include "query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kbsearch.h"
#include "schema.h"
#include "tokenize.h"

struct clause_terms {
    xs_query **terms;  /* the words of one clause (one word, or a phrase) */
    xs_query **titles; /* the same words as title terms */
    size_t n, cap, ntitles, captitles;
};

struct parser {
    stemmer *st;
    query_plan *plan;
    xs_query **clauses;
    size_t nclauses, capclauses;
    char **stems;
    size_t nstems, capstems;
    size_t nterms;
    int in_phrase;
    int keep_stopwords;
    struct clause_terms cur; /* the words of a phrase or hyphenated run */
    uint32_t qpos;
    int status;
};

static int push_ptr(void ***v, size_t *n, size_t *cap, void *p)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        void **nv = realloc(*v, c * sizeof *nv);
        if (!nv)
            return KBS_ENOMEM;
        *v = nv;
        *cap = c;
    }
    (*v)[(*n)++] = p;
    return KBS_OK;
}

static int add_stem(struct parser *p, const char *s, size_t len)
{
    for (size_t i = 0; i < p->nstems; i++)
        if (strlen(p->stems[i]) == len && memcmp(p->stems[i], s, len) == 0)
            return KBS_OK;
    char *c = strndup(s, len);
    if (!c)
        return KBS_ENOMEM;
    int st = push_ptr((void ***)&p->stems, &p->nstems, &p->capstems, c);
    if (st != KBS_OK)
        free(c);
    return st;
}

/* One word, or the phrase of several words, in one field. */
static int field_clause(xs_query **terms, size_t n, xs_query **out)
{
    if (n == 1)
        return xs_query_combine(XS_OP_OR, terms, 1, 0, out);
    return xs_query_combine(XS_OP_PHRASE, terms, n, 0, out);
}

/* Ends the current run of words: one word is a term clause, several (a
 * phrase or a hyphenated word) a phrase clause; either matches in the body
 * or in the title. */
static int flush_run(struct parser *p)
{
    struct clause_terms *c = &p->cur;
    if (c->n == 0)
        return KBS_OK;
    xs_query *body = NULL, *title = NULL, *q = NULL;
    int st = field_clause(c->terms, c->n, &body);
    if (st == KBS_OK)
        st = field_clause(c->titles, c->ntitles, &title);
    if (st == KBS_OK) {
        xs_query *both[2] = {body, title};
        st = xs_query_combine(XS_OP_OR, both, 2, 0, &q);
    }
    xs_query_free(body);
    xs_query_free(title);
    for (size_t i = 0; i < c->n; i++)
        xs_query_free(c->terms[i]);
    for (size_t i = 0; i < c->ntitles; i++)
        xs_query_free(c->titles[i]);
    c->n = c->ntitles = 0;
    if (st != KBS_OK)
        return st;
    st = push_ptr((void ***)&p->clauses, &p->nclauses, &p->capclauses, q);
    if (st != KBS_OK)
        xs_query_free(q);
    return st;
}

static int word_cb(void *ctx, const token *tok)
{
    struct parser *p = ctx;
    if (p->nterms >= QUERY_MAX_TERMS) {
        if (!p->plan->notes.len)
            buf_printf(&p->plan->notes, "only the first %d words of the query were used\n",
                       QUERY_MAX_TERMS);
        return 1;
    }
    /* A hyphenated word continues the run; any other word outside quotes
     * starts a new clause. */
    if (!p->in_phrase && !(tok->flags & TOK_HYPHENATED)) {
        if ((p->status = flush_run(p)) != KBS_OK)
            return 1;
    }
    if (!p->in_phrase && !p->keep_stopwords && !(tok->flags & TOK_HYPHENATED) &&
        stem_is_stopword(tok->text, tok->len))
        return 0;
    const char *s;
    size_t slen;
    if (stemmer_stem(p->st, tok->text, tok->len, &s, &slen) != 0) {
        p->status = KBS_ENOMEM;
        return 1;
    }
    xs_query *q = NULL, *t = NULL;
    char tt[TOK_MAX_BYTES * 2 + 8];
    int tn = snprintf(tt, sizeof tt, "%s%.*s", PFX_TITLE, (int)slen, s);
    uint32_t pos = ++p->qpos;
    int st = xs_query_term(s, slen, 1, pos, &q);
    if (st == KBS_OK)
        st = add_stem(p, s, slen);
    if (st == KBS_OK)
        st = push_ptr((void ***)&p->cur.terms, &p->cur.n, &p->cur.cap, q);
    else
        xs_query_free(q);
    if (st == KBS_OK)
        st = xs_query_term(tt, (size_t)tn, 1, pos, &t);
    if (st == KBS_OK)
        st = push_ptr((void ***)&p->cur.titles, &p->cur.ntitles, &p->cur.captitles, t);
    else
        xs_query_free(t);
    if (st != KBS_OK) {
        p->status = st;
        return 1;
    }
    p->nterms++;
    return 0;
}

struct count_ctx {
    size_t words, stop;
};

static int count_cb(void *ctx, const token *tok)
{
    struct count_ctx *c = ctx;
    c->words++;
    if (stem_is_stopword(tok->text, tok->len))
        c->stop++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void parser_free(struct parser *p)
{
    for (size_t i = 0; i < p->nclauses; i++)
        xs_query_free(p->clauses[i]);
    for (size_t i = 0; i < p->cur.n; i++)
        xs_query_free(p->cur.terms[i]);
    for (size_t i = 0; i < p->cur.ntitles; i++)
        xs_query_free(p->cur.titles[i]);
    free(p->cur.titles);
    for (size_t i = 0; i < p->nstems; i++)
        free(p->stems[i]);
    free(p->clauses);
    free(p->cur.terms);
    free(p->stems);
}

int query_parse(const char *q, size_t len, const query_options *opts, stemmer *st, xs_db *db,
                query_plan *out, query_error *qerr)
{
    (void)opts;
    (void)db;
    char *err = qerr->msg;
    size_t errlen = sizeof qerr->msg;
    size_t *err_pos = &qerr->pos;
    struct parser p;
    memset(&p, 0, sizeof p);
    memset(out, 0, sizeof *out);
    p.st = st;
    p.plan = out;
    *err_pos = 0;

    /* Only stop words ("the who")? Then they are what the user wants. */
    struct count_ctx cc = {0, 0};
    tokenize(q, len, TOKENIZE_QUERY, 0, count_cb, &cc);
    p.keep_stopwords = cc.words > 0 && cc.words == cc.stop;

    size_t i = 0;
    while (i < len && p.status == KBS_OK && p.nterms < QUERY_MAX_TERMS) {
        size_t j = i;
        while (j < len && q[j] != '"')
            j++;
        p.in_phrase = 0;
        if (i < j)
            tokenize(q + i, j - i, TOKENIZE_QUERY, 0, word_cb, &p);
        if (p.status != KBS_OK || j >= len)
            break;
        /* A quoted phrase; an unclosed quote runs to the end of the query. */
        size_t k = j + 1;
        while (k < len && q[k] != '"')
            k++;
        if (p.status == KBS_OK)
            p.status = flush_run(&p);
        p.in_phrase = 1;
        if (p.status == KBS_OK && k > j + 1)
            tokenize(q + j + 1, k - j - 1, TOKENIZE_QUERY, 0, word_cb, &p);
        if (p.status == KBS_OK)
            p.status = flush_run(&p);
        i = k + 1;
    }
    if (p.status == KBS_OK)
        p.status = flush_run(&p);
    if (p.status != KBS_OK) {
        int s = p.status;
        parser_free(&p);
        memset(out, 0, sizeof *out);
        snprintf(err, errlen, "%s", s == KBS_ENOMEM ? "out of memory" : "cannot build the query");
        return s;
    }
    if (p.nclauses == 0) {
        parser_free(&p);
        memset(out, 0, sizeof *out);
        snprintf(err, errlen, "the query has no words to search for");
        return KBS_EQUERY;
    }
    int s = xs_query_combine(XS_OP_AND, p.clauses, p.nclauses, 0, &out->query);
    if (s == KBS_OK && p.nclauses > 1)
        s = xs_query_combine(XS_OP_OR, p.clauses, p.nclauses, 0, &out->fallback);
    if (s != KBS_OK) {
        parser_free(&p);
        xs_query_free(out->query);
        memset(out, 0, sizeof *out);
        snprintf(err, errlen, "cannot build the query");
        return s;
    }
    qsort(p.stems, p.nstems, sizeof *p.stems, cmp_str);
    out->stems = p.stems;
    out->nstems = p.nstems;
    p.stems = NULL;
    p.nstems = 0;
    parser_free(&p);
    return KBS_OK;
}

void query_plan_free(query_plan *p)
{
    if (!p)
        return;
    xs_query_free(p->query);
    xs_query_free(p->fallback);
    buf_free(&p->notes);
    buf_free(&p->described);
    for (size_t i = 0; i < p->nstems; i++)
        free(p->stems[i]);
    free(p->stems);
    memset(p, 0, sizeof *p);
}
