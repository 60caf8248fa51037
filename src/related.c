/* related.c - the articles around one article: those most like it
 * (kbs_similar) and the other versions of its story (kbs_versions). */
#include "db_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "search_run.h"
#include "stem.h"

/* Terms of the article a similar-articles query is made of: enough to find
 * articles on its subject, few enough that each says something. */
#define SIMILAR_TERMS 20
/* Candidates asked of the expand set, of which SIMILAR_TERMS are kept. */
#define SIMILAR_CANDIDATES (3 * SIMILAR_TERMS)

/* What a query about article docid needs to know of it. */
struct origin {
    buf idterm;  /* its id term */
    char *story; /* its SLOT_STORY ("" if it has no other version) */
};

static int read_origin(kbs_db *db, uint32_t docid, struct origin *o)
{
    memset(o, 0, sizeof *o);
    size_t len = 0;
    int st = db_article_key(db, docid, &o->idterm);
    if (st == KBS_ENOTFOUND)
        return db_fail(db, st, "no article with id %u in the index at %s", docid, db->path);
    if (st == KBS_ENOMEM)
        return db_fail(db, st, "out of memory");
    if (st != KBS_OK)
        return db_fail_shim(db, st, "reading an article's fields");
    db_id_term(o->idterm.data, o->idterm.len, &o->idterm);
    if (buf_failed(&o->idterm))
        return db_fail(db, KBS_ENOMEM, "out of memory");
    if ((st = xs_db_get_value(db->xdb, docid, SLOT_STORY, &o->story, &len)) != KBS_OK)
        return db_fail_shim(db, st, "reading an article's story");
    return KBS_OK;
}

static void origin_free(struct origin *o)
{
    buf_free(&o->idterm);
    free(o->story);
}

/* The article itself, or any version of its story. */
static int self_query(const struct origin *o, xs_query **out)
{
    xs_query *parts[2] = {NULL, NULL};
    int st = xs_query_term(o->idterm.data, o->idterm.len, 1, 0, &parts[0]);
    if (st == KBS_OK && o->story[0])
        st = xs_query_value_range(SLOT_STORY, o->story, o->story, &parts[1]);
    if (st == KBS_OK)
        st = xs_query_combine(XS_OP_OR, parts, parts[1] ? 2 : 1, 0, out);
    xs_query_free(parts[0]);
    xs_query_free(parts[1]);
    return st;
}

struct eterms {
    char *v[SIMILAR_CANDIDATES];
    size_t n;
    int oom;
};

/* Title and body stems only: prefixed terms (title, byline, dates, category, ids,
 * min-hashes) begin with a capital; numbers are figures, not subjects; and
 * stop words are indexed for phrases, not for what an article is about. */
static int plain_term(void *ctx, const char *term, size_t len)
{
    (void)ctx;
    if (len == 0 || (term[0] >= 'A' && term[0] <= 'Z') || (term[0] >= '0' && term[0] <= '9'))
        return 0;
    return !stem_is_stopword(term, len);
}

static int eterm_cb(void *ctx, const char *term, size_t len, double weight)
{
    (void)weight;
    struct eterms *e = ctx;
    if (e->n == SIMILAR_CANDIDATES)
        return 1;
    if (!(e->v[e->n] = strndup(term, len)))
        return e->oom = 1;
    e->n++;
    return 0;
}

/* How many articles the story of o has (1 for an article without one). */
static int story_size(kbs_db *db, const struct origin *o, uint32_t *out)
{
    *out = 1;
    if (!o->story[0])
        return KBS_OK;
    xs_query *q = NULL;
    int st = xs_query_value_range(SLOT_STORY, o->story, o->story, &q);
    xs_search_params p;
    memset(&p, 0, sizeof p);
    p.k1 = 1;
    p.b = 0.5;
    p.check_at_least = UINT32_MAX;
    p.sort_slot = -1;
    xs_search_result res;
    if (st == KBS_OK && (st = xs_db_search(db->xdb, q, &p, NULL, &res)) == KBS_OK && res.lower > 1)
        *out = res.lower > UINT32_MAX ? UINT32_MAX : (uint32_t)res.lower;
    xs_query_free(q);
    return st;
}

/* Keeps the first SIMILAR_TERMS terms that some article outside the story
 * holds: the expand set favours the words the story alone uses (its names,
 * its rare words), and in a small archive those find nothing else. */
static int keep_shared_terms(kbs_db *db, struct eterms *e, uint32_t size)
{
    size_t k = 0;
    for (size_t i = 0; i < e->n; i++) {
        uint32_t tf = 0;
        int st = xs_db_termfreq(db->xdb, e->v[i], strlen(e->v[i]), &tf);
        if (st != KBS_OK)
            return st;
        if (tf > size && k < SIMILAR_TERMS)
            e->v[k++] = e->v[i];
        else
            free(e->v[i]);
    }
    e->n = k;
    return KBS_OK;
}

int kbs_similar(kbs_db *db, uint32_t docid, const kbs_search_options *opts,
                kbs_results **results_out)
{
    if (!db)
        return KBS_EINVAL;
    db_clear_error(db);
    if (!docid || !results_out)
        return db_fail(db, KBS_EINVAL, "kbs_similar: no article id or NULL results");
    struct origin org;
    int st = read_origin(db, docid, &org);
    struct eterms e;
    memset(&e, 0, sizeof e);
    if (st == KBS_OK) {
        /* The article alone as the relevance set: its terms that are common
         * in it and rare elsewhere, best first. */
        uint32_t size = 1;
        st = xs_db_expand(db->xdb, &docid, 1, SIMILAR_CANDIDATES, plain_term, NULL, eterm_cb, &e);
        if (st == KBS_OK && !e.oom && (st = story_size(db, &org, &size)) == KBS_OK)
            st = keep_shared_terms(db, &e, size);
        if (st != KBS_OK)
            st = db_fail_shim(db, st, "choosing the article's terms");
        else if (e.oom)
            st = db_fail(db, KBS_ENOMEM, "out of memory");
    }
    xs_query *terms[SIMILAR_TERMS];
    size_t nq = 0;
    xs_query *any = NULL, *self = NULL, *q = NULL;
    buf described = BUF_INIT;
    for (size_t i = 0; st == KBS_OK && i < e.n; i++) {
        st = xs_query_term(e.v[i], strlen(e.v[i]), 1, 0, &terms[nq]);
        if (st == KBS_OK)
            nq++;
        buf_printf(&described, "%s%s", i ? " " : "", e.v[i]);
    }
    /* An article with no usable term (nothing but numbers, say) is like
     * nothing: the query then matches nothing (an empty OR). */
    if (st == KBS_OK)
        st = xs_query_combine(XS_OP_OR, terms, nq, 0, &any);
    if (st == KBS_OK)
        st = self_query(&org, &self);
    if (st == KBS_OK) {
        xs_query *pair[2] = {any, self};
        st = xs_query_combine(XS_OP_AND_NOT, pair, 2, 0, &q);
    }
    if (st == KBS_OK && buf_failed(&described))
        st = KBS_ENOMEM;
    if (st != KBS_OK && !db->errmsg[0])
        st = db_fail(db, st, "%s building the query", kbs_strerror(st));
    if (st == KBS_OK)
        st = search_run_query(db, q, (const char *const *)e.v, e.n, buf_cstr(&described), opts,
                              results_out);
    for (size_t i = 0; i < nq; i++)
        xs_query_free(terms[i]);
    for (size_t i = 0; i < e.n; i++)
        free(e.v[i]);
    xs_query_free(any);
    xs_query_free(self);
    xs_query_free(q);
    buf_free(&described);
    origin_free(&org);
    return st;
}

int kbs_versions(kbs_db *db, uint32_t docid, const kbs_search_options *opts,
                 kbs_results **results_out)
{
    if (!db)
        return KBS_EINVAL;
    db_clear_error(db);
    if (!docid || !results_out)
        return db_fail(db, KBS_EINVAL, "kbs_versions: no article id or NULL results");
    struct origin org;
    int st = read_origin(db, docid, &org);
    xs_query *story = NULL, *self = NULL, *q = NULL;
    if (st == KBS_OK) {
        /* No story: a range that matches nothing (lo > hi). */
        const char *lo = org.story[0] ? org.story : "1", *hi = org.story[0] ? org.story : "0";
        st = xs_query_value_range(SLOT_STORY, lo, hi, &story);
        if (st == KBS_OK)
            st = xs_query_term(org.idterm.data, org.idterm.len, 1, 0, &self);
        if (st == KBS_OK) {
            xs_query *pair[2] = {story, self};
            st = xs_query_combine(XS_OP_AND_NOT, pair, 2, 0, &q);
        }
        if (st != KBS_OK)
            st = db_fail(db, st, "%s building the query", kbs_strerror(st));
    }
    if (st == KBS_OK) {
        kbs_search_options o;
        kbs_search_options_init(&o);
        if (opts)
            o = *opts;
        /* Every version is a hit of its own here, newest first. */
        o.all_versions = 1;
        o.sort = KBS_SORT_NEWEST;
        char described[64];
        snprintf(described, sizeof described, "versions of %u", docid);
        st = search_run_query(db, q, NULL, 0, described, &o, results_out);
    }
    xs_query_free(story);
    xs_query_free(self);
    xs_query_free(q);
    origin_free(&org);
    return st;
}
