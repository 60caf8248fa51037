/* search.c - running a query and assembling hits: fields, scores, snippets. */
#include "db_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "query.h"
#include "schema.h"
#include "snippet.h"
#include "utf8.h"

#define DEFAULT_LIMIT 10
#define MAX_LIMIT 100000
#define DEFAULT_SNIPPET_CHARS 200

/* BM25 parameters: Xapian's defaults until issue #3 tunes them on Cranfield. */
#define BM25_K1 1.2
#define BM25_B 0.75

struct hit_data {
    kbs_hit hit;
    char *meta;    /* SLOT_META value; hit's field pointers point into it */
    char *snippet; /* owned */
    kbs_span *spans;
};

struct kbs_results {
    size_t n;
    uint64_t total;
    int fallback;
    struct hit_data *hits;
};

void kbs_search_options_init(kbs_search_options *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->limit = DEFAULT_LIMIT;
    opts->snippet_len = DEFAULT_SNIPPET_CHARS;
}

size_t kbs_results_count(const kbs_results *r)
{
    return r ? r->n : 0;
}

uint64_t kbs_results_total(const kbs_results *r)
{
    return r ? r->total : 0;
}

int kbs_results_fallback(const kbs_results *r)
{
    return r ? r->fallback : 0;
}

int kbs_results_get(const kbs_results *r, size_t i, kbs_hit *hit)
{
    if (!r || !hit || i >= r->n)
        return KBS_EINVAL;
    *hit = r->hits[i].hit;
    return KBS_OK;
}

void kbs_results_free(kbs_results *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->hits[i].meta);
        free(r->hits[i].snippet);
        free(r->hits[i].spans);
    }
    free(r->hits);
    free(r);
}

/* Cuts the snippet for one hit from its stored original. */
static int make_snippet(kbs_db *db, uint32_t docid, const query_plan *plan, size_t max_chars,
                        struct hit_data *h)
{
    char *rec = NULL;
    size_t rlen = 0;
    int st = xs_db_get_data(db->xdb, docid, &rec, &rlen);
    if (st != KBS_OK)
        return db_fail_shim(db, st, "reading a stored article");
    buf orig = BUF_INIT;
    int r = docstore_unpack(db->store, rec, rlen, &orig);
    free(rec);
    if (r != 0) {
        buf_free(&orig);
        if (r == -1)
            return db_fail(db, KBS_ENOMEM, "out of memory");
        return db_fail(db, KBS_ECORRUPT,
                       "the stored original of article %u is damaged; index its folder again",
                       docid);
    }
    const char *text;
    size_t tlen;
    char *owned = NULL;
    article art;
    memset(&art, 0, sizeof art);
    snippet_result sr;
    memset(&sr, 0, sizeof sr);
    st = KBS_ENOMEM;
    if (utf8_repair(orig.data ? orig.data : "", orig.len, &text, &tlen, &owned) == 0 &&
        article_parse(text, tlen, &art) == 0) {
        snippet_request req;
        memset(&req, 0, sizeof req);
        req.text = text;
        req.len = tlen;
        req.paras = art.paras;
        req.npara = art.npara;
        req.stems = (const char *const *)plan->stems;
        req.nstems = plan->nstems;
        req.max_chars = max_chars;
        if (snippet_make(&req, db->stem, &sr) == 0 && !buf_failed(&sr.text)) {
            size_t n = 0;
            h->snippet = buf_detach(&sr.text, &n);
            if (h->snippet) {
                h->spans = sr.spans;
                h->hit.spans = sr.spans;
                h->hit.nspans = sr.nspans;
                h->hit.snippet = h->snippet;
                sr.spans = NULL;
                st = KBS_OK;
            }
        }
    }
    snippet_result_free(&sr);
    article_free(&art);
    free(owned);
    buf_free(&orig);
    if (st != KBS_OK)
        return db_fail(db, st, "out of memory making a snippet");
    return KBS_OK;
}

static int fill_hit(kbs_db *db, const xs_match *m, uint32_t rank, const query_plan *plan,
                    const kbs_search_options *o, struct hit_data *h)
{
    static const kbs_span no_spans[1] = {{0, 0}};
    h->hit.id = m->docid;
    h->hit.rank = rank;
    h->hit.score = m->weight;
    h->hit.snippet = "";
    h->hit.spans = no_spans;
    h->hit.nspans = 0;
    size_t vl = 0;
    int st = xs_db_get_value(db->xdb, m->docid, SLOT_META, &h->meta, &vl);
    if (st != KBS_OK)
        return db_fail_shim(db, st, "reading an article's fields");
    const char *f[MF_COUNT];
    db_split_meta(h->meta, vl, f);
    h->hit.path = f[MF_PATH];
    h->hit.title = f[MF_TITLE];
    h->hit.category = f[MF_CATEGORY];
    h->hit.written = f[MF_WRITTEN];
    h->hit.updated = f[MF_UPDATED];
    if (o->no_snippets)
        return KBS_OK;
    return make_snippet(db, m->docid, plan, o->snippet_len ? o->snippet_len : DEFAULT_SNIPPET_CHARS,
                        h);
}

static int run(kbs_db *db, const xs_query *q, const kbs_search_options *o, xs_match *matches,
               xs_search_result *res)
{
    xs_search_params p;
    memset(&p, 0, sizeof p);
    p.k1 = BM25_K1;
    p.b = BM25_B;
    p.offset = o->offset;
    p.limit = o->limit;
    p.check_at_least = 0;
    p.sort_slot = -1;
    int st = xs_db_search(db->xdb, q, &p, matches, res);
    if (st != KBS_OK)
        return db_fail_shim(db, st, "searching");
    return KBS_OK;
}

int kbs_search(kbs_db *db, const char *query, size_t query_len, const kbs_search_options *opts,
               kbs_results **results_out)
{
    if (!db)
        return KBS_EINVAL;
    db_clear_error(db);
    if (!query || !results_out)
        return db_fail(db, KBS_EINVAL, "kbs_search: NULL query or results");
    kbs_search_options o;
    kbs_search_options_init(&o);
    if (opts)
        o = *opts;
    if (o.limit == 0)
        o.limit = DEFAULT_LIMIT;
    if (o.limit > MAX_LIMIT)
        o.limit = MAX_LIMIT;

    const char *q;
    size_t qlen;
    char *owned = NULL;
    if (utf8_repair(query, query_len, &q, &qlen, &owned) != 0)
        return db_fail(db, KBS_ENOMEM, "out of memory");
    query_plan plan;
    char err[200];
    size_t pos = 0;
    int st = query_parse(q, qlen, db->stem, &plan, err, sizeof err, &pos);
    free(owned);
    if (st != KBS_OK)
        return db_fail(db, st, "%s", err);

    kbs_results *r = calloc(1, sizeof *r);
    xs_match *matches = calloc(o.limit, sizeof *matches);
    if (!r || !matches) {
        free(r);
        free(matches);
        query_plan_free(&plan);
        return db_fail(db, KBS_ENOMEM, "out of memory");
    }
    xs_search_result res;
    memset(&res, 0, sizeof res);
    st = run(db, plan.all, &o, matches, &res);
    /* All words first; if no article has them all, any word, and say so. */
    if (st == KBS_OK && res.estimated == 0 && plan.any) {
        r->fallback = 1;
        st = run(db, plan.any, &o, matches, &res);
    }
    if (st == KBS_OK && res.n) {
        r->hits = calloc(res.n, sizeof *r->hits);
        if (!r->hits)
            st = db_fail(db, KBS_ENOMEM, "out of memory");
    }
    r->total = res.estimated;
    for (size_t i = 0; st == KBS_OK && i < res.n; i++) {
        st = fill_hit(db, &matches[i], (uint32_t)(o.offset + i + 1), &plan, &o, &r->hits[i]);
        r->n = i + 1;
    }
    free(matches);
    query_plan_free(&plan);
    if (st != KBS_OK) {
        kbs_results_free(r);
        return st;
    }
    *results_out = r;
    return KBS_OK;
}
