/* search.c - running a query and assembling hits: fields, scores, snippets. */
#include "db_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "collapse.h"
#include "facets.h"
#include "phrase_check.h"
#include "query.h"
#include "search_run.h"
#include "schema.h"
#include "snippet.h"
#include "spell.h"
#include "stories.h"
#include "tokenize.h"
#include "utf8.h"

#define DEFAULT_LIMIT 10
#define MAX_LIMIT 100000
#define DEFAULT_SNIPPET_CHARS 200
#define DEFAULT_FRAGMENTS 2

/* BM25 parameters: the common defaults (Lucene's, and the region TREC's
 * news collections favour), not Cranfield's best. On Cranfield MAP@100 rises
 * with k1 to the edge of the grid (k1 2.1, b 0.6 was chosen from it: 0.3093
 * against 0.2995 here; bench/README.md, "One posting list per word"), a
 * trend of its long queries and short abstracts; issue 3 asks for tuning
 * that holds on collections we do not see, and news queries are one to
 * three words. A larger k1 also loosens the bounds the matcher prunes OR
 * with: at 2.1 an OR's p99 was 1.2x plain Xapian's, at 1.2 0.9x. Both still
 * beat FTS5 on Cranfield (MAP@100 0.2995 against 0.2851, nDCG@10 0.3707
 * against 0.3542). --bm25 2.1,0.6 gives the Cranfield-tuned ranking back. */
#define BM25_K1 1.2
#define BM25_B 0.75
/* Fewer hits than this, and a spelling suggestion is looked for. Only an
 * empty result (or one that fell back to any word): a correctly spelled rare
 * word must not pay for a lookup it never needs (it cost 35% of such queries). */
#define SUGGEST_BELOW 1

struct hit_data {
    kbs_hit hit;
    char *meta; /* SLOT_META value; hit's field pointers point into it */
    size_t meta_len;
    char *snippet; /* owned */
    kbs_span *spans;
    char *explain; /* owned, or NULL */
};

struct kbs_results {
    size_t n;
    uint64_t total;
    int fallback;
    struct hit_data *hits;
    char *suggestion; /* or NULL */
    char *notes;      /* never NULL once built */
    char *described;  /* the parsed query, for explain; never NULL once built */
    facets *facets;   /* with opts.facets; else NULL (facets.c) */
};

void kbs_search_options_init(kbs_search_options *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->limit = DEFAULT_LIMIT;
    opts->snippet_len = DEFAULT_SNIPPET_CHARS;
    opts->fragments = DEFAULT_FRAGMENTS;
    opts->bm25_k1 = -1;
    opts->bm25_b = -1;
    opts->title_weight = -1;
}

const char *kbs_results_suggestion(const kbs_results *r)
{
    return r ? r->suggestion : NULL;
}

const char *kbs_results_notes(const kbs_results *r)
{
    return r && r->notes ? r->notes : "";
}

const char *kbs_results_query(const kbs_results *r)
{
    return r && r->described ? r->described : "";
}

const char *kbs_results_explain(const kbs_results *r, size_t i)
{
    if (!r || i >= r->n || !r->hits[i].explain)
        return "";
    return r->hits[i].explain;
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
        free(r->hits[i].explain);
    }
    free(r->hits);
    free(r->suggestion);
    free(r->notes);
    free(r->described);
    facets_free(r->facets);
    free(r);
}

const facets *search_results_facets(const kbs_results *r)
{
    return r ? r->facets : NULL;
}

/* Cuts the snippet for one hit from its stored original. */
/* The stems a snippet highlights: the query's own, and what its prefixes
 * (secur*) expand to in this index. Sorted and unique, as snippet.h wants. */
struct highlights {
    char **stems;
    size_t n, cap;
    snippet_phrase *phrases; /* the plan's, pointing into it */
    size_t nphrases;
    uint32_t limit; /* expansions per prefix */
    int oom;
};

static int hl_add(struct highlights *h, const char *s, size_t len)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 32;
        char **v = realloc(h->stems, cap * sizeof *v);
        if (!v)
            return h->oom = 1, -1;
        h->stems = v;
        h->cap = cap;
    }
    if (!(h->stems[h->n] = strndup(s, len)))
        return h->oom = 1, -1;
    h->n++;
    return 0;
}

struct hl_expand {
    struct highlights *h;
    uint32_t left;
};

static int hl_term(void *ctx, const char *term, size_t len, uint32_t freq)
{
    (void)freq;
    struct hl_expand *x = ctx;
    if (x->left == 0 || hl_add(x->h, term, len) != 0)
        return 1;
    x->left--;
    return 0;
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void hl_free(struct highlights *h)
{
    for (size_t i = 0; i < h->n; i++)
        free(h->stems[i]);
    free(h->stems);
    free(h->phrases);
    memset(h, 0, sizeof *h);
}

static int build_highlights(kbs_db *db, const query_plan *plan, uint32_t limit,
                            struct highlights *h)
{
    memset(h, 0, sizeof *h);
    for (size_t i = 0; i < plan->nstems; i++)
        if (hl_add(h, plan->stems[i], strlen(plan->stems[i])) != 0)
            break;
    for (size_t i = 0; i < plan->nprefixes && !h->oom; i++) {
        const char *w = plan->prefixes[i];
        const char *stem;
        size_t slen;
        /* Under the word and under its stem, as query.c expands it. */
        struct hl_expand x = {h, limit};
        int st = xs_db_allterms(db->xdb, w, strlen(w), hl_term, &x);
        if (st == KBS_OK && stemmer_stem(db->stem, w, strlen(w), &stem, &slen) == 0 &&
            (slen != strlen(w) || memcmp(stem, w, slen) != 0)) {
            char s2[TOK_MAX_BYTES * 2 + 1];
            snprintf(s2, sizeof s2, "%.*s", (int)slen, stem);
            x.left = limit;
            st = xs_db_allterms(db->xdb, s2, strlen(s2), hl_term, &x);
        }
        if (st != KBS_OK) {
            hl_free(h);
            return db_fail_shim(db, st, "expanding a prefix");
        }
    }
    if (!h->oom && plan->nphrases) {
        h->phrases = calloc(plan->nphrases, sizeof *h->phrases);
        h->oom = !h->phrases;
        /* A title:"..." phrase is not looked for in the body. */
        for (size_t i = 0; h->phrases && i < plan->nphrases; i++) {
            if (plan->phrases[i].field == 1)
                continue;
            h->phrases[h->nphrases].words = (const char *const *)plan->phrases[i].words;
            h->phrases[h->nphrases].nwords = plan->phrases[i].nwords;
            h->nphrases++;
        }
    }
    if (h->oom) {
        hl_free(h);
        return db_fail(db, KBS_ENOMEM, "out of memory");
    }
    if (h->n > 1) /* qsort(NULL, 0, ...) is undefined behaviour */
        qsort(h->stems, h->n, sizeof *h->stems, cmp_strp);
    size_t k = 0;
    for (size_t i = 0; i < h->n; i++) {
        if (k && strcmp(h->stems[k - 1], h->stems[i]) == 0)
            free(h->stems[i]);
        else
            h->stems[k++] = h->stems[i];
    }
    h->n = k;
    return KBS_OK;
}

/* Whether a plain text's first line, t[sp], is the title stored for it
 * (whitespace runs folded, as index.c stores it; a long title is stored cut
 * short). Not when the caller gave another (kbs_index_buffer_meta): then
 * the line is the body's first, and snippet material. */
static int is_stored_title(const char *t, art_span sp, const char *stored)
{
    size_t i = sp.off, end = sp.off + sp.len, k = 0;
    while (i < end) {
        int space = 0;
        while (i < end && (t[i] == ' ' || t[i] == '\t' || (unsigned char)t[i] < 0x20)) {
            space = 1;
            i++;
        }
        if (i == end)
            break;
        if (space && k > 0 && stored[k++] != ' ')
            return 0;
        if (stored[k] == '\0')
            return k >= 396; /* cut short to 400 bytes when stored */
        if (stored[k++] != t[i++])
            return 0;
    }
    return stored[k] == '\0';
}

static int make_snippet(kbs_db *db, phrase_check *pc, uint32_t docid, const struct highlights *hl,
                        size_t max_chars, size_t fragments, struct hit_data *h)
{
    buf orig = BUF_INIT;
    int r = 0, st;
    /* A phrase's hit was read whole to check it. */
    if (!phrase_check_take(pc, docid, &orig)) {
        char *rec = NULL;
        size_t rlen = 0;
        st = xs_db_hit_data(db->xdb, docid, &rec, &rlen);
        if (st != KBS_OK)
            return db_fail_shim(db, st, "reading a stored article");
        r = docstore_unpack(db->store, rec, rlen, &orig);
        free(rec);
    }
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
        int first_line = art.layout == ART_PLAIN && art.title.len && h->hit.title &&
                         !is_stored_title(text, art.title, h->hit.title);
        art_span *paras = snippet_set_article(&req, text, tlen, &art, first_line);
        req.stems = (const char *const *)hl->stems;
        req.nstems = hl->n;
        req.phrases = hl->phrases;
        req.nphrases = hl->nphrases;
        req.max_chars = max_chars;
        req.fragments = fragments;
        if (snippet_make(&req, db->stem, &sr) == 0 && !buf_failed(&sr.text)) {
            size_t n = 0;
            h->snippet = buf_detach(&sr.text, &n);
            if (h->snippet) {
                h->spans = sr.spans;
                h->hit.spans = sr.spans;
                h->hit.nspans = sr.nspans;
                h->hit.snippet = h->snippet;
                h->hit.snippet_is_lead = !sr.matched;
                sr.spans = NULL;
                st = KBS_OK;
            }
        }
        free(paras);
    }
    snippet_result_free(&sr);
    article_free(&art);
    free(owned);
    buf_free(&orig);
    if (st != KBS_OK)
        return db_fail(db, st, "out of memory making a snippet");
    return KBS_OK;
}

/* The display fields of every hit, read in one pass: through one value stream
 * in id order, each block is read once and no lookup starts from the root
 * (a hit read alone costs a B-tree descent). */
static int read_metas(kbs_db *db, const xs_match *m, size_t n, struct hit_data *hits)
{
    uint32_t *ids = malloc((n ? n : 1) * sizeof *ids);
    char **vals = malloc((n ? n : 1) * sizeof *vals);
    size_t *lens = malloc((n ? n : 1) * sizeof *lens);
    int st = ids && vals && lens ? KBS_OK : KBS_ENOMEM;
    for (size_t i = 0; st == KBS_OK && i < n; i++)
        ids[i] = m[i].docid;
    if (st == KBS_OK && (st = xs_db_hit_values(db->xdb, SLOT_META, ids, n, vals, lens)) == KBS_OK)
        for (size_t i = 0; i < n; i++) {
            hits[i].meta = vals[i];
            hits[i].meta_len = lens[i];
        }
    free(ids);
    free(vals);
    free(lens);
    if (st == KBS_ENOMEM)
        return db_fail(db, st, "out of memory");
    if (st != KBS_OK)
        return db_fail_shim(db, st, "reading the articles' fields");
    return KBS_OK;
}

static int fill_hit(kbs_db *db, phrase_check *pc, const xs_match *m, uint32_t rank,
                    const struct highlights *hl, const kbs_search_options *o, struct hit_data *h)
{
    static const kbs_span no_spans[1] = {{0, 0}};
    h->hit.id = m->docid;
    h->hit.rank = rank;
    h->hit.score = m->weight;
    h->hit.versions = m->collapsed;
    h->hit.snippet = "";
    h->hit.spans = no_spans;
    h->hit.nspans = 0;
    if (!h->meta) { /* read_metas reads them all at once */
        int st = xs_db_hit_value(db->xdb, m->docid, SLOT_META, &h->meta, &h->meta_len);
        if (st != KBS_OK)
            return db_fail_shim(db, st, "reading an article's fields");
    }
    const char *f[MF_COUNT];
    db_split_meta(h->meta, h->meta_len, f);
    h->hit.path = f[MF_PATH];
    h->hit.title = f[MF_TITLE];
    h->hit.category = f[MF_CATEGORY];
    h->hit.written = f[MF_WRITTEN];
    h->hit.updated = f[MF_UPDATED];
    if (o->no_snippets)
        return KBS_OK;
    return make_snippet(db, pc, m->docid, hl,
                        o->snippet_len ? o->snippet_len : DEFAULT_SNIPPET_CHARS,
                        o->fragments ? o->fragments : DEFAULT_FRAGMENTS, h);
}

/* ---- running -------------------------------------------------------------- */

/* The slots whose values facets count over the whole match set. */
static const unsigned facet_slots[] = {SLOT_CATEGORY, SLOT_MONTH};

/* The story map of the revision the handle reads, read again when it moved
 * on; NULL where there is none to have, and then Xapian's collapse key does
 * the work: a handle that writes sees its own uncommitted changes under the
 * last revision's number, and a remote database has no revision to tell.
 * For words, NULL too during a handle's first search (its fallback to any
 * word included): reading the map costs a few searches' worth (1.2 ms for
 * Reuters' 15,332 versions), which a process that searches once, as the
 * command line does, would never get back. Phrases read it at once
 * (at_once): with Xapian's collapse key a story whose best candidate lacks
 * the phrase's words would be lost, its other versions dropped before they
 * are checked (phrase_check.h). */
static const story_map *current_stories(kbs_db *db, int at_once)
{
    if (db->writable || (db->search_calls < 2 && !at_once))
        return NULL;
    if (db->stories && story_map_reads(db->stories, db->xdb))
        return db->stories;
    story_map_free(db->stories);
    db->stories = NULL;
    if (story_map_load(db->xdb, SLOT_STORY, &db->stories) != KBS_OK)
        db->stories = NULL;
    return db->stories;
}

/* Whether a search may weigh its terms with the document lengths held in
 * memory (xs_db_norms_load, shim/norms.h), read again when the handle moved
 * to another revision; *rev is theirs. Not for a handle that writes (its
 * lengths change under it), nor for a handle's first search: reading them
 * costs a few searches' worth (about 5 ms for Reuters' 106,494 articles),
 * which a process that searches once would never get back (nor its
 * fallback to any word, a second run within that search). A remote
 * database has no revision to tell, and searches without them. */
static int current_norms(kbs_db *db, uint64_t *rev)
{
    return !db->writable && db->search_calls >= 2 && xs_db_norms_load(db->xdb, rev) == KBS_OK;
}

/* What collapse_search() pages through: the matches, phrases checked. */
struct fetch {
    kbs_db *db;
    const xs_query *q;
    phrase_check *pc;
};

static int fetch(void *ctx, const xs_search_params *p, xs_match *matches, xs_search_result *res)
{
    struct fetch *f = ctx;
    xs_search_params own = *p;
    return f->pc && f->pc->plan->nphrases ? phrase_search(f->pc, f->q, &own, matches, res)
                                          : xs_db_search(f->db->xdb, f->q, &own, matches, res);
}

static int run(kbs_db *db, const xs_query *q, const kbs_search_options *o, phrase_check *pc,
               facets *fc, xs_match *matches, xs_search_result *res)
{
    xs_search_params p;
    memset(&p, 0, sizeof p);
    p.k1 = o->bm25_k1;
    p.b = o->bm25_b;
    p.offset = o->offset;
    p.limit = o->limit;
    p.check_at_least = o->exact_count || fc ? UINT32_MAX : 0;
    if (fc) {
        facets_reset(fc);
        p.spy_slots = facet_slots;
        p.nspy_slots = sizeof facet_slots / sizeof facet_slots[0];
        p.spy_cb = facets_add;
        p.spy_ctx = fc;
    }
    p.sort_slot = o->sort == KBS_SORT_RELEVANCE ? -1 : SLOT_WRITTEN;
    p.sort_reverse = o->sort == KBS_SORT_NEWEST;
    /* One hit per story (dedup.h); articles without one never collapse. */
    p.collapse = !o->all_versions;
    p.collapse_slot = SLOT_STORY;
    uint64_t norms_rev = 0;
    p.norms = current_norms(db, &norms_rev);
    struct fetch f = {db, q, pc};
    /* A phrase's candidates are checked one by one as they come
     * (phrase_check.c), and phrase_search() collapses them with the map as
     * they do; a window fetched beforehand would check more of them. */
    int phrases = pc && pc->plan->nphrases;
    const story_map *sm = collapse_serves(&p) ? current_stories(db, phrases) : NULL;
    if (phrases)
        pc->stories = sm;
    int st = sm && !phrases ? collapse_search(sm, &p, fetch, &f, matches, res)
                            : fetch(&f, &p, matches, res);
    /* A reader that met a newer revision during the search reopened on it:
     * the map no longer tells its stories, nor the norms its lengths. Then
     * again with Xapian's collapse key and Xapian's lengths. */
    uint64_t rev;
    if (st == KBS_OK && (sm || p.norms) &&
        ((sm && !story_map_reads(sm, db->xdb)) ||
         (p.norms && (xs_db_revision(db->xdb, &rev) != KBS_OK || rev != norms_rev)))) {
        if (phrases)
            pc->stories = NULL;
        p.norms = 0;
        st = fetch(&f, &p, matches, res);
    }
    if (st == KBS_ENOMEM)
        return db_fail(db, st, "out of memory while searching");
    if (st != KBS_OK)
        return db_fail_shim(db, st, "searching");
    if (pc && pc->failed == KBS_ENOMEM)
        return db_fail(db, KBS_ENOMEM, "out of memory while checking a phrase");
    if (pc && pc->failed)
        return db_fail(db, KBS_ECORRUPT,
                       "a stored article could not be read while checking a phrase; run "
                       "'kbsearch index' on its folder again");
    return KBS_OK;
}

/* Collapsing scales Xapian's estimate by the share of versions among the
 * matches it saw, which stays an estimate even when every match was seen;
 * its lower bound then counts every story (and article without one). Facets
 * see every match too. */
static uint64_t total_of(const kbs_search_options *o, const xs_search_result *res)
{
    return (o->exact_count || o->facets) && !o->all_versions ? res->lower : res->estimated;
}

/* ---- explaining a score ------------------------------------------------------
 * Recomputes Xapian's BM25Weight for each query stem in each field, so a user
 * sees which words, in which field, made a hit's score. */

/* Xapian's BM25 idf for a term in tf of ndocs documents (BM25Weight::init,
 * no relevance set). */
static double bm25_idf(double ndocs, double tf)
{
    double tw = (ndocs - tf + 0.5) / (tf + 0.5);
    if (tw < 2)
        tw = tw * 0.5 + 1;
    return log(tw);
}

static double bm25_part(const xs_term_stats *t, double k1, double b)
{
    if (t->wdf == 0 || t->termfreq == 0)
        return 0;
    double termweight = bm25_idf(t->doccount, t->termfreq) * (k1 + 1);
    double normlen = t->avlength > 0 ? t->doclength / t->avlength : 0;
    if (normlen < 0.5)
        normlen = 0.5;
    double denom = k1 * (normlen * b + (1 - b)) + t->wdf;
    return termweight * t->wdf / denom;
}

struct explain_ctx {
    kbs_db *db;
    const kbs_search_options *o;
    uint32_t docid;
    buf *out;
    double sum;
    int status;
};

/* One matching term: which field it is in, and what it adds to the score. */
static int explain_term(void *ctx, const char *term, size_t len, uint32_t unused)
{
    (void)unused;
    struct explain_ctx *x = ctx;
    xs_term_stats ts;
    int st = xs_db_term_stats(x->db->xdb, x->docid, term, len, &ts);
    if (st != KBS_OK) {
        x->status = db_fail_shim(x->db, st, "explaining a score");
        return 1;
    }
    /* A filter term selects, it does not score: title: filters on the
     * title's terms and is ranked by the plain ones. */
    if (ts.wdf == 0 || (len && term[0] == PFX_TITLE[0]))
        return 0;
    const char *field = "text";
    size_t skip = 0;
    if (len && term[0] == PFX_BYLINE[0]) {
        field = "by";
        skip = 1;
    }
    double w = bm25_part(&ts, x->o->bm25_k1, x->o->bm25_b);
    x->sum += w;
    buf_printf(x->out, "%-6s %-20.*s %7.3f  (in %u of %u articles, %u times here, length %.0f)",
               field, (int)(len - skip), term + skip, w, ts.termfreq, ts.doccount, ts.wdf,
               ts.doclength);
    /* The title's share of the wdf: each title word counts TITLE_WDF. */
    char t[TOK_MAX_BYTES * 2 + sizeof PFX_TITLE];
    xs_term_stats tt;
    if (!skip && len + strlen(PFX_TITLE) <= sizeof t) {
        memcpy(t, PFX_TITLE, strlen(PFX_TITLE));
        memcpy(t + strlen(PFX_TITLE), term, len);
        if (xs_db_term_stats(x->db->xdb, x->docid, t, strlen(PFX_TITLE) + len, &tt) == KBS_OK &&
            tt.wdf)
            buf_printf(x->out, " (%u in the title, x%d)", tt.wdf, TITLE_WDF);
    }
    buf_append_char(x->out, '\n');
    return 0;
}

/* Recomputes Xapian's BM25Weight for each query term the hit holds. */
static int explain_hit(kbs_db *db, const xs_query *q, const kbs_search_options *o,
                       struct hit_data *h)
{
    buf e = BUF_INIT;
    struct explain_ctx x = {db, o, h->hit.id, &e, 0, KBS_OK};
    int st = xs_db_matching_terms(db->xdb, q, h->hit.id, explain_term, &x);
    if (st != KBS_OK)
        x.status = db_fail_shim(db, st, "explaining a score");
    if (x.status != KBS_OK) {
        buf_free(&e);
        return x.status;
    }
    double diff = x.sum - h->hit.score;
    buf_printf(&e, "BM25 k1=%.2f b=%.2f; the terms add up to %.3f (score %.3f%s)\n", o->bm25_k1,
               o->bm25_b, x.sum, h->hit.score,
               (diff > 1e-3 || diff < -1e-3) ? "; a word repeated in the query counts again, "
                                               "a phrase of several words counts as one"
                                             : "");
    h->explain = buf_detach(&e, NULL);
    if (!h->explain)
        return db_fail(db, KBS_ENOMEM, "out of memory");
    return KBS_OK;
}

/* "Did you mean ...?" from the index's own words (spell.c). */
static int suggest(kbs_db *db, const char *q, size_t len, char **out)
{
    int st = spell_correct_query(db->xdb, db->stem, q, len, out);
    if (st != KBS_OK)
        return db_fail_shim(db, st, "looking for a spelling suggestion");
    return KBS_OK;
}

/* The caller's options with every default filled in; KBS_EINVAL (with the
 * handle's message) for values out of range. */
static int resolve_options(kbs_db *db, const kbs_search_options *opts, kbs_search_options *o)
{
    kbs_search_options_init(o);
    if (opts)
        *o = *opts;
    if (o->limit == 0)
        o->limit = DEFAULT_LIMIT;
    if (o->limit > MAX_LIMIT)
        o->limit = MAX_LIMIT;
    if (!(o->bm25_k1 >= 0))
        o->bm25_k1 = BM25_K1;
    if (!(o->bm25_b >= 0))
        o->bm25_b = BM25_B;
    if (o->bm25_b > 1)
        return db_fail(db, KBS_EINVAL, "BM25 b must be between 0 and 1");
    if (o->sort < KBS_SORT_RELEVANCE || o->sort > KBS_SORT_OLDEST)
        return db_fail(db, KBS_EINVAL, "unknown sort order %d", o->sort);
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
    db->search_calls++;
    kbs_search_options o;
    int rs = resolve_options(db, opts, &o);
    if (rs != KBS_OK)
        return rs;
    if (o.max_expansion == 0)
        o.max_expansion = QUERY_DEFAULT_EXPANSION;
    if (o.match != KBS_MATCH_ALL && o.match != KBS_MATCH_ANY)
        return db_fail(db, KBS_EINVAL, "unknown match mode %d", o.match);

    const char *q;
    size_t qlen;
    char *owned = NULL;
    if (utf8_repair(query, query_len, &q, &qlen, &owned) != 0)
        return db_fail(db, KBS_ENOMEM, "out of memory");
    query_options qo;
    memset(&qo, 0, sizeof qo);
    qo.match_any = o.match == KBS_MATCH_ANY;
    qo.max_expansion = o.max_expansion;
    if (owned) { /* errors point into the caller's bytes, not the repaired copy */
        qo.raw = query;
        qo.raw_len = query_len;
    }
    query_plan plan;
    query_error qerr;
    memset(&qerr, 0, sizeof qerr);
    int st = query_parse(q, qlen, &qo, db->stem, db->xdb, &plan, &qerr);
    if (st != KBS_OK) {
        free(owned);
        query_plan_free(&plan);
        if (st == KBS_EQUERY) {
            db->error_offset = qerr.pos;
            return db_fail(db, st, "%s", qerr.msg);
        }
        return db_fail(db, st, "%s", qerr.msg[0] ? qerr.msg : kbs_strerror(st));
    }

    kbs_results *r = calloc(1, sizeof *r);
    xs_match *matches = calloc(o.limit, sizeof *matches);
    phrase_check pc;
    phrase_check_init(&pc, db, &plan);
    if (!r || !matches) {
        free(r);
        free(matches);
        free(owned);
        query_plan_free(&plan);
        return db_fail(db, KBS_ENOMEM, "out of memory");
    }
    xs_search_result res;
    memset(&res, 0, sizeof res);
    if (o.facets && facets_new(&r->facets) != 0)
        st = db_fail(db, KBS_ENOMEM, "out of memory");
    else
        st = run(db, plan.query, &o, &pc, r->facets, matches, &res);
    const xs_query *ran = plan.query;
    /* All words first; if no article has them all, any word, and say so. */
    if (st == KBS_OK && res.estimated == 0 && plan.fallback) {
        r->fallback = 1;
        ran = plan.fallback;
        st = run(db, plan.fallback, &o, NULL, r->facets, matches, &res);
    }
    if (st == KBS_OK && r->facets && facets_finish(r->facets) != 0)
        st = db_fail(db, KBS_ENOMEM, "out of memory counting facets");
    struct highlights hl;
    memset(&hl, 0, sizeof hl);
    if (st == KBS_OK && res.n && !o.no_snippets)
        st = build_highlights(db, &plan, o.max_expansion, &hl);
    if (st == KBS_OK && res.n) {
        r->hits = calloc(res.n, sizeof *r->hits);
        if (!r->hits)
            st = db_fail(db, KBS_ENOMEM, "out of memory");
    }
    r->total = total_of(&o, &res);
    if (st == KBS_OK && res.n) {
        r->n = res.n; /* each hit's fields are freed with the results from now on */
        st = read_metas(db, matches, res.n, r->hits);
    }
    for (size_t i = 0; st == KBS_OK && i < res.n; i++) {
        st = fill_hit(db, r->fallback ? NULL : &pc, &matches[i], (uint32_t)(o.offset + i + 1), &hl,
                      &o, &r->hits[i]);
        if (st == KBS_OK && o.explain)
            st = explain_hit(db, ran, &o, &r->hits[i]);
    }
    if (st == KBS_OK && (r->total < SUGGEST_BELOW || r->fallback))
        st = suggest(db, q, qlen, &r->suggestion);
    if (st == KBS_OK) {
        r->notes = strdup(buf_cstr(&plan.notes));
        r->described = strdup(buf_cstr(&plan.described));
        if (!r->notes || !r->described)
            st = db_fail(db, KBS_ENOMEM, "out of memory");
    }
    hl_free(&hl);
    free(owned);
    free(matches);
    phrase_check_free(&pc);
    query_plan_free(&plan);
    if (st != KBS_OK) {
        kbs_results_free(r);
        return st;
    }
    *results_out = r;
    return KBS_OK;
}

int search_run_query(kbs_db *db, const xs_query *q, const char *const *stems, size_t nstems,
                     const char *described, const kbs_search_options *opts, kbs_results **out)
{
    db->search_calls++;
    kbs_search_options o;
    int rs = resolve_options(db, opts, &o);
    if (rs != KBS_OK)
        return rs;
    o.explain = 0;

    kbs_results *r = calloc(1, sizeof *r);
    xs_match *matches = calloc(o.limit, sizeof *matches);
    struct highlights hl;
    memset(&hl, 0, sizeof hl);
    int st = r && matches ? KBS_OK : db_fail(db, KBS_ENOMEM, "out of memory");
    xs_search_result res;
    memset(&res, 0, sizeof res);
    if (st == KBS_OK && o.facets && facets_new(&r->facets) != 0)
        st = db_fail(db, KBS_ENOMEM, "out of memory");
    if (st == KBS_OK)
        st = run(db, q, &o, NULL, r->facets, matches, &res);
    if (st == KBS_OK && r->facets && facets_finish(r->facets) != 0)
        st = db_fail(db, KBS_ENOMEM, "out of memory counting facets");
    for (size_t i = 0; st == KBS_OK && i < nstems && !o.no_snippets; i++)
        if (hl_add(&hl, stems[i], strlen(stems[i])) != 0)
            st = db_fail(db, KBS_ENOMEM, "out of memory");
    if (st == KBS_OK && hl.n > 1) {
        qsort(hl.stems, hl.n, sizeof *hl.stems, cmp_strp);
        size_t k = 0;
        for (size_t i = 0; i < hl.n; i++) {
            if (k && strcmp(hl.stems[k - 1], hl.stems[i]) == 0)
                free(hl.stems[i]);
            else
                hl.stems[k++] = hl.stems[i];
        }
        hl.n = k;
    }
    if (st == KBS_OK && res.n) {
        r->hits = calloc(res.n, sizeof *r->hits);
        if (!r->hits)
            st = db_fail(db, KBS_ENOMEM, "out of memory");
    }
    if (r)
        r->total = total_of(&o, &res);
    if (st == KBS_OK && res.n) {
        r->n = res.n; /* each hit's fields are freed with the results from now on */
        st = read_metas(db, matches, res.n, r->hits);
    }
    for (size_t i = 0; st == KBS_OK && i < res.n; i++)
        st = fill_hit(db, NULL, &matches[i], (uint32_t)(o.offset + i + 1), &hl, &o, &r->hits[i]);
    if (st == KBS_OK) {
        r->notes = strdup("");
        r->described = strdup(described ? described : "");
        if (!r->notes || !r->described)
            st = db_fail(db, KBS_ENOMEM, "out of memory");
    }
    hl_free(&hl);
    free(matches);
    if (st != KBS_OK) {
        kbs_results_free(r);
        return st;
    }
    *out = r;
    return KBS_OK;
}
