/* dedup.c - near-duplicate articles grouped into stories (see dedup.h). */
#include "dedup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "buf.h"
#include "docstore.h"
#include "schema.h"
#include "tokenize.h"
#include "utf8.h"

/* ---- sentences ---------------------------------------------------------------- */

struct sent_builder {
    buf cur;      /* the folded words of the sentence so far */
    size_t words; /* in cur */
    uint64_t *v;  /* hashes of the sentences done */
    size_t n, cap;
    int oom;
};

static void sent_flush(struct sent_builder *s)
{
    if (s->words >= DEDUP_MIN_WORDS && !buf_failed(&s->cur)) {
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 32;
            uint64_t *v = realloc(s->v, cap * sizeof *v);
            if (!v) {
                s->oom = 1;
                return;
            }
            s->v = v;
            s->cap = cap;
        }
        s->v[s->n++] = XXH3_64bits(s->cur.data, s->cur.len);
    }
    if (buf_failed(&s->cur))
        s->oom = 1;
    buf_reset(&s->cur);
    s->words = 0;
}

static int sent_token(void *ctx, const token *tok)
{
    struct sent_builder *s = ctx;
    if ((tok->flags & TOK_SENTENCE) && s->words)
        sent_flush(s);
    if (s->words)
        buf_append_char(&s->cur, ' ');
    buf_append(&s->cur, tok->text, tok->len);
    s->words++;
    return s->oom;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int dedup_sentences(const char *text, const article *art, uint64_t **out, size_t *n)
{
    struct sent_builder s;
    memset(&s, 0, sizeof s);
    /* A paragraph ends its sentence, whatever its punctuation. */
    for (size_t i = 0; i < art->npara && !s.oom; i++) {
        tokenize(text + art->paras[i].off, art->paras[i].len, TOKENIZE_DOCUMENT, 0, sent_token, &s);
        sent_flush(&s);
    }
    buf_free(&s.cur);
    if (s.oom) {
        free(s.v);
        return -1;
    }
    if (s.n > 1)
        qsort(s.v, s.n, sizeof *s.v, cmp_u64);
    size_t k = 0;
    for (size_t i = 0; i < s.n; i++)
        if (k == 0 || s.v[k - 1] != s.v[i])
            s.v[k++] = s.v[i];
    if (k == 0) {
        free(s.v);
        s.v = NULL;
    }
    *out = s.v;
    *n = k;
    return 0;
}

int dedup_same_story(size_t na, size_t nb, size_t shared)
{
    size_t lo = na < nb ? na : nb, hi = na < nb ? nb : na;
    /* Most of the shorter one's sentences are in the longer one (a re-filed
     * copy, or an update that kept the story and added to it), and they are
     * a fair part of the longer one too: a short item quoted whole inside a
     * long feature is not a version of it. */
    return shared >= 2 && shared * 10 >= lo * 6 && shared * 10 >= hi * 3;
}

/* splitmix64's finaliser: DEDUP_HASHES independent-enough hash functions
 * from one 64-bit sentence hash. */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

int dedup_add_terms(xs_doc *doc, const char *text, const article *art, uint64_t **sents,
                    size_t *nsents)
{
    uint64_t *h = NULL;
    size_t n = 0;
    if (sents)
        *sents = NULL, *nsents = 0;
    if (dedup_sentences(text, art, &h, &n) != 0)
        return KBS_ENOMEM;
    int st = KBS_OK;
    if (n >= DEDUP_MIN_SENTENCES) {
        for (unsigned i = 0; i < DEDUP_HASHES && st == KBS_OK; i++) {
            uint64_t best = UINT64_MAX;
            uint64_t seed = (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ull;
            for (size_t j = 0; j < n; j++) {
                uint64_t v = mix(h[j] + seed);
                if (v < best)
                    best = v;
            }
            /* The function's number in the top 4 bits: equal values of
             * different functions mean nothing. Raw bytes, not hex: the
             * terms are nearly all unique, each a posting list of its own
             * and a term list entry, so every byte counts (schema.h). */
            uint32_t v = (uint32_t)((i << 28) | (best >> 36));
            char t[sizeof PFX_DEDUP - 1 + DEDUP_HASH_BYTES];
            size_t n = sizeof PFX_DEDUP - 1;
            memcpy(t, PFX_DEDUP, n);
            for (int b = DEDUP_HASH_BYTES - 1; b >= 0; b--)
                t[n++] = (char)(v >> (8 * b));
            st = xs_doc_add_term(doc, t, n, 0);
        }
    }
    if (sents && st == KBS_OK) {
        *sents = h;
        *nsents = n;
        return st;
    }
    free(h);
    return st;
}

/* ---- what changed since the last pass ------------------------------------------ */

struct dedup_notes {
    uint32_t *docs; /* added or replaced */
    size_t ndocs, capdocs;
    char **stories; /* keys of stories that lost or changed a member */
    size_t nstories, capstories;
};

static struct dedup_notes *notes(kbs_db *db)
{
    if (!db->dedup)
        db->dedup = calloc(1, sizeof *db->dedup);
    return db->dedup;
}

void dedup_forget(kbs_db *db)
{
    struct dedup_notes *n = db->dedup;
    if (!n)
        return;
    for (size_t i = 0; i < n->nstories; i++)
        free(n->stories[i]);
    free(n->stories);
    free(n->docs);
    free(n);
    db->dedup = NULL;
}

void dedup_disable(kbs_db *db)
{
    dedup_forget(db);
    db->dedup_off = 1;
}

static int push_doc(kbs_db *db, uint32_t docid)
{
    struct dedup_notes *n = notes(db);
    if (!n)
        return db_fail(db, KBS_ENOMEM, "out of memory");
    if (n->ndocs == n->capdocs) {
        size_t cap = n->capdocs ? n->capdocs * 2 : 256;
        uint32_t *v = realloc(n->docs, cap * sizeof *v);
        if (!v)
            return db_fail(db, KBS_ENOMEM, "out of memory");
        n->docs = v;
        n->capdocs = cap;
    }
    n->docs[n->ndocs++] = docid;
    return KBS_OK;
}

int dedup_note_old(kbs_db *db, uint32_t docid)
{
    if (db->dedup_off)
        return KBS_OK;
    char *v = NULL;
    size_t len = 0;
    int st = xs_db_get_value(db->xdb, docid, SLOT_STORY, &v, &len);
    if (st == KBS_ENOTFOUND)
        return KBS_OK;
    if (st != KBS_OK)
        return db_fail_shim(db, st, "reading an article's story");
    if (len == 0) {
        free(v);
        return KBS_OK;
    }
    struct dedup_notes *n = notes(db);
    if (n && n->nstories == n->capstories) {
        size_t cap = n->capstories ? n->capstories * 2 : 16;
        char **s = realloc(n->stories, cap * sizeof *s);
        if (s) {
            n->stories = s;
            n->capstories = cap;
        }
    }
    if (!n || n->nstories == n->capstories) {
        free(v);
        return db_fail(db, KBS_ENOMEM, "out of memory");
    }
    n->stories[n->nstories++] = v;
    return KBS_OK;
}

int dedup_note_new(kbs_db *db, uint32_t docid)
{
    return db->dedup_off ? KBS_OK : push_doc(db, docid);
}

int dedup_note_range(kbs_db *db, uint32_t lo, uint32_t hi)
{
    int st = KBS_OK;
    for (uint64_t d = lo; d <= hi && st == KBS_OK && !db->dedup_off; d++)
        st = push_doc(db, (uint32_t)d);
    return st;
}

/* ---- the pass ------------------------------------------------------------------- */

struct node {
    uint32_t docid;
    uint32_t parent; /* union-find, by index */
    int in_w;        /* noted, or in a story that changed: its edges are looked for */
    char *story;     /* SLOT_STORY now ("" if none) */
    uint64_t *sents; /* its sentences, once read */
    size_t nsents;
    int loaded;
};

/* Passes over fewer articles look their candidates up one by one. */
#define BULK_MIN_NOTED 1024

struct pass {
    kbs_db *db;
    struct node *v;
    size_t n, cap;
    uint32_t *slots; /* open addressing: node index + 1, 0 = empty */
    size_t nslots;
    buf rec;                  /* scratch for reading originals */
    struct dedup_writes *out; /* NULL: write the stories; else collect them */
    int status;
    struct pair *pairs; /* a large pass's candidates (bulk_candidates), sorted */
    size_t npairs;
    int bulk;
};

static size_t slot_of(const struct pass *p, uint32_t docid)
{
    size_t i = (size_t)(mix(docid) & (p->nslots - 1));
    while (p->slots[i] && p->v[p->slots[i] - 1].docid != docid)
        i = (i + 1) & (p->nslots - 1);
    return i;
}

static struct node *find_node(const struct pass *p, uint32_t docid)
{
    if (!p->nslots)
        return NULL;
    uint32_t s = p->slots[slot_of(p, docid)];
    return s ? &p->v[s - 1] : NULL;
}

/* Adds a node for docid (its story read from the index) unless there is one;
 * *out is its index. KBS_ENOTFOUND if there is no such article. */
static int add_node(struct pass *p, uint32_t docid, const char *story, size_t *out)
{
    struct node *e = find_node(p, docid);
    if (e) {
        *out = (size_t)(e - p->v);
        return KBS_OK;
    }
    char *v = NULL;
    size_t len = 0;
    int st;
    if (story)
        v = strdup(story);
    else if ((st = xs_db_get_value(p->db->xdb, docid, SLOT_STORY, &v, &len)) != KBS_OK)
        return st == KBS_ENOTFOUND ? st : db_fail_shim(p->db, st, "reading an article's story");
    if (!v)
        return db_fail(p->db, KBS_ENOMEM, "out of memory");
    if (p->n == p->cap || (p->n + 1) * 2 > p->nslots) {
        size_t cap = p->cap ? p->cap * 2 : 256;
        struct node *nv = realloc(p->v, cap * sizeof *nv);
        uint32_t *ns = calloc(cap * 2, sizeof *ns);
        if (!nv || !ns) {
            if (nv)
                p->v = nv;
            free(ns);
            free(v);
            return db_fail(p->db, KBS_ENOMEM, "out of memory");
        }
        p->v = nv;
        p->cap = cap;
        free(p->slots);
        p->slots = ns;
        p->nslots = cap * 2;
        for (size_t i = 0; i < p->n; i++)
            p->slots[slot_of(p, p->v[i].docid)] = (uint32_t)i + 1;
    }
    struct node *nd = &p->v[p->n];
    memset(nd, 0, sizeof *nd);
    nd->docid = docid;
    nd->parent = (uint32_t)p->n;
    nd->story = v;
    p->slots[slot_of(p, docid)] = (uint32_t)p->n + 1;
    *out = p->n++;
    return KBS_OK;
}

static uint32_t root(struct pass *p, uint32_t i)
{
    while (p->v[i].parent != i) {
        p->v[i].parent = p->v[p->v[i].parent].parent; /* path halving */
        i = p->v[i].parent;
    }
    return i;
}

static void join(struct pass *p, uint32_t a, uint32_t b)
{
    a = root(p, a);
    b = root(p, b);
    /* The smaller index as root: deterministic, whatever the order. */
    if (a < b)
        p->v[b].parent = a;
    else if (b < a)
        p->v[a].parent = b;
}

/* Reads the sentences of node i from its stored original. A damaged record
 * has none (it cannot be verified, so it joins no story); only memory and
 * the index fail the pass. */
static int load_sents(struct pass *p, size_t i)
{
    struct node *nd = &p->v[i];
    if (nd->loaded)
        return KBS_OK;
    nd->loaded = 1;
    if (p->db->sents_find) {
        int got = p->db->sents_find(p->db->sents_ctx, nd->docid, &nd->sents, &nd->nsents);
        if (got < 0)
            return db_fail(p->db, KBS_ENOMEM, "out of memory");
        if (got > 0)
            return KBS_OK;
    }
    char *rec = NULL;
    size_t rlen = 0;
    int st = xs_db_get_data(p->db->xdb, nd->docid, &rec, &rlen);
    if (st != KBS_OK)
        return db_fail_shim(p->db, st, "reading a stored article");
    buf_reset(&p->rec);
    int r = docstore_unpack(p->db->store, rec, rlen, &p->rec);
    free(rec);
    if (r == -1)
        return db_fail(p->db, KBS_ENOMEM, "out of memory");
    if (r != 0)
        return KBS_OK;
    const char *text;
    size_t tlen;
    char *owned = NULL;
    article art;
    if (utf8_repair(p->rec.data ? p->rec.data : "", p->rec.len, &text, &tlen, &owned) != 0)
        return db_fail(p->db, KBS_ENOMEM, "out of memory");
    st = KBS_OK;
    if (article_parse(text, tlen, &art) != 0)
        st = KBS_ENOMEM;
    else {
        if (dedup_sentences(text, &art, &nd->sents, &nd->nsents) != 0)
            st = KBS_ENOMEM;
        article_free(&art);
    }
    free(owned);
    return st == KBS_OK ? st : db_fail(p->db, st, "out of memory");
}

static size_t shared_count(const struct node *a, const struct node *b)
{
    size_t i = 0, j = 0, k = 0;
    while (i < a->nsents && j < b->nsents) {
        if (a->sents[i] < b->sents[j])
            i++;
        else if (a->sents[i] > b->sents[j])
            j++;
        else
            k++, i++, j++;
    }
    return k;
}

struct ids {
    uint32_t *v;
    size_t n, cap;
    int oom;
};

static int ids_push(void *ctx, uint32_t docid)
{
    struct ids *x = ctx;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 64;
        uint32_t *v = realloc(x->v, cap * sizeof *v);
        if (!v)
            return x->oom = 1;
        x->v = v;
        x->cap = cap;
    }
    x->v[x->n++] = docid;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void ids_sort_unique(struct ids *x)
{
    if (x->n > 1)
        qsort(x->v, x->n, sizeof *x->v, cmp_u32);
    size_t k = 0;
    for (size_t i = 0; i < x->n; i++)
        if (k == 0 || x->v[k - 1] != x->v[i])
            x->v[k++] = x->v[i];
    x->n = k;
}

/* The PFX_DEDUP terms of one article worth following: held by another
 * article, and not boilerplate. */
struct terms {
    char t[DEDUP_HASHES][16]; /* binary: lengths in len */
    size_t len[DEDUP_HASHES];
    size_t n;
};

static int term_cb(void *ctx, const char *term, size_t len, uint32_t freq)
{
    struct terms *t = ctx;
    if (freq >= 2 && freq <= DEDUP_MAX_POSTING && len < sizeof t->t[0] && t->n < DEDUP_HASHES) {
        memcpy(t->t[t->n], term, len);
        t->len[t->n++] = len;
    }
    return 0;
}

/* ---- a large pass's candidates, found at once ------------------------------------ */

/* A pass over many articles (a first build: every article) finds its
 * candidates from one walk over the PFX_DEDUP terms instead of each
 * article's terms and their frequencies: on a parallel build's index and
 * chunks opened together, a term's frequency is a look-up in every one of
 * them, 8 terms an article (Reuters 20,000: the pass took 15 s of the
 * build's 104). The walk meets each term once, with its frequency, and
 * reads the posting lists of the few worth following (held by 2 to
 * DEDUP_MAX_POSTING articles): the same candidates as link_node's own look-ups. */
struct pair {
    uint32_t a, b; /* b is a candidate of the noted article a */
};

static int cmp_pair(const void *x, const void *y)
{
    const struct pair *a = x, *b = y;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return a->b < b->b ? -1 : a->b > b->b;
}

static int push_pair(struct pass *p, size_t *cap, uint32_t a, uint32_t b)
{
    if (p->npairs == *cap) {
        size_t c = *cap ? *cap * 2 : 1024;
        struct pair *v = realloc(p->pairs, c * sizeof *v);
        if (!v)
            return -1;
        p->pairs = v;
        *cap = c;
    }
    p->pairs[p->npairs].a = a;
    p->pairs[p->npairs++].b = b;
    return 0;
}

/* The walk over the min-hash terms: each posting list shared by a noted
 * article gives its pairs. */
struct bulk_walk {
    struct pass *p;
    size_t cap;
    int oom;
};

static int bulk_list(void *ctx, const char *term, size_t len, const uint32_t *ids, size_t n)
{
    struct bulk_walk *w = ctx;
    (void)term;
    if (len >= 16) /* as term_cb */
        return 0;
    for (size_t i = 0; i < n; i++) {
        const struct node *nd = find_node(w->p, ids[i]);
        if (!nd || !nd->in_w)
            continue;
        for (size_t j = 0; j < n; j++)
            if (push_pair(w->p, &w->cap, ids[i], ids[j]) != 0)
                return w->oom = 1;
    }
    return 0;
}

static int bulk_candidates(struct pass *p)
{
    kbs_db *db = p->db;
    struct bulk_walk w = {p, 0, 0};
    int st = xs_db_prefix_postlists(db->xdb, PFX_DEDUP, strlen(PFX_DEDUP), 2, DEDUP_MAX_POSTING,
                                    bulk_list, &w);
    if (st != KBS_OK)
        st = db_fail_shim(db, st, "reading the index's terms");
    else if (w.oom)
        st = db_fail(db, KBS_ENOMEM, "out of memory");
    if (st == KBS_OK && p->npairs > 1)
        qsort(p->pairs, p->npairs, sizeof *p->pairs, cmp_pair);
    if (st == KBS_OK)
        p->bulk = 1;
    return st;
}

/* The candidates of docid (itself among them, as from its own terms). */
static int pairs_of(struct pass *p, uint32_t docid, struct ids *cand)
{
    size_t lo = 0, hi = p->npairs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->pairs[mid].a < docid)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < p->npairs && p->pairs[lo].a == docid; lo++)
        if (ids_push(cand, p->pairs[lo].b))
            return db_fail(p->db, KBS_ENOMEM, "out of memory");
    return KBS_OK;
}

/* Finds and verifies the near-duplicates of node i; joins them to it. */
static int link_node(struct pass *p, size_t i, struct ids *cand)
{
    kbs_db *db = p->db;
    uint32_t docid = p->v[i].docid;
    int st;
    cand->n = 0;
    if (p->bulk) {
        if ((st = pairs_of(p, docid, cand)) != KBS_OK)
            return st;
    } else {
        struct terms t;
        t.n = 0;
        st = xs_db_doc_terms(db->xdb, docid, PFX_DEDUP, strlen(PFX_DEDUP), term_cb, &t);
        if (st == KBS_ENOTFOUND)
            return KBS_OK;
        if (st != KBS_OK)
            return db_fail_shim(db, st, "reading an article's terms");
        for (size_t k = 0; k < t.n; k++) {
            if ((st = xs_db_postlist(db->xdb, t.t[k], t.len[k], ids_push, cand)) != KBS_OK)
                return db_fail_shim(db, st, "reading a posting list");
            if (cand->oom)
                return db_fail(db, KBS_ENOMEM, "out of memory");
        }
    }
    ids_sort_unique(cand);
    for (size_t k = 0; k < cand->n; k++) {
        uint32_t c = cand->v[k];
        if (c == docid)
            continue;
        struct node *e = find_node(p, c);
        /* Each pair of noted articles is verified once, from the side of
         * the smaller id, whatever the order they are linked in. */
        if (e && e->in_w && c < docid)
            continue;
        size_t ci;
        if ((st = add_node(p, c, NULL, &ci)) == KBS_ENOTFOUND)
            continue;
        if (st != KBS_OK)
            return st;
        if (root(p, (uint32_t)ci) == root(p, (uint32_t)i))
            continue;
        if ((st = load_sents(p, i)) != KBS_OK || (st = load_sents(p, ci)) != KBS_OK)
            return st;
        const struct node *a = &p->v[i], *b = &p->v[ci];
        if (dedup_same_story(a->nsents, b->nsents, shared_count(a, b)))
            join(p, (uint32_t)i, (uint32_t)ci);
    }
    return KBS_OK;
}

/* Keys of stories, sorted, for the scans of the value stream. */
struct keyset {
    char **from;     /* sorted */
    const char **to; /* with from: the key it becomes (NULL: just collect) */
    size_t n;
};

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct scan {
    struct pass *p;
    const char *const *keys; /* sorted */
    size_t nkeys;
    struct ids hits;
    struct ids which; /* index of the key each hit has */
};

static int scan_cb(void *ctx, uint32_t docid, const char *val, size_t len)
{
    struct scan *s = ctx;
    char key[64];
    if (len == 0 || len >= sizeof key)
        return 0;
    memcpy(key, val, len);
    key[len] = '\0';
    const char *kp = key;
    const char *const *f = bsearch(&kp, s->keys, s->nkeys, sizeof *s->keys, cmp_strp);
    if (!f)
        return 0;
    if (ids_push(&s->hits, docid) || ids_push(&s->which, (uint32_t)(f - s->keys)))
        return 1;
    return 0;
}

/* The articles whose story is one of keys[0..n) (sorted): one pass over the
 * value stream of SLOT_STORY, which only articles with a story have. */
static int scan_stories(struct pass *p, const char *const *keys, size_t n, struct scan *s)
{
    memset(s, 0, sizeof *s);
    s->p = p;
    s->keys = keys;
    s->nkeys = n;
    int st = xs_db_values(p->db->xdb, SLOT_STORY, scan_cb, s);
    if (st != KBS_OK)
        return db_fail_shim(p->db, st, "reading the stories");
    if (s->hits.oom || s->which.oom)
        return db_fail(p->db, KBS_ENOMEM, "out of memory");
    return KBS_OK;
}

static void scan_free(struct scan *s)
{
    free(s->hits.v);
    free(s->which.v);
}

static void pass_free(struct pass *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].story);
        free(p->v[i].sents);
    }
    free(p->v);
    free(p->slots);
    free(p->pairs);
    buf_free(&p->rec);
}

/* Gathers the noted articles, and every member of the noted stories. */
static int gather(struct pass *p, struct dedup_notes *dn)
{
    int st = KBS_OK;
    struct ids d = {dn->docs, dn->ndocs, dn->capdocs, 0};
    ids_sort_unique(&d);
    dn->ndocs = d.n;
    for (size_t i = 0; i < dn->ndocs && st == KBS_OK; i++) {
        size_t k;
        st = add_node(p, dn->docs[i], NULL, &k);
        if (st == KBS_ENOTFOUND) /* deleted since, or an id a skipped file left unused */
            st = KBS_OK;
        else if (st == KBS_OK)
            p->v[k].in_w = 1;
    }
    if (st != KBS_OK || dn->nstories == 0)
        return st;
    if (dn->nstories > 1)
        qsort(dn->stories, dn->nstories, sizeof *dn->stories, cmp_strp);
    struct scan s;
    st = scan_stories(p, (const char *const *)dn->stories, dn->nstories, &s);
    for (size_t i = 0; st == KBS_OK && i < s.hits.n; i++) {
        size_t k;
        st = add_node(p, s.hits.v[i], dn->stories[s.which.v[i]], &k);
        if (st == KBS_OK)
            p->v[k].in_w = 1;
    }
    scan_free(&s);
    return st;
}

/* Writes story to article docid (a removal when it is ""). */
static int write_story(struct pass *p, uint32_t docid, const char *story)
{
    struct dedup_writes *w = p->out;
    if (w) {
        if (w->n == w->cap) {
            size_t cap = w->cap ? w->cap * 2 : 256;
            struct dedup_write *v = realloc(w->v, cap * sizeof *v);
            if (!v)
                return db_fail(p->db, KBS_ENOMEM, "out of memory");
            w->v = v;
            w->cap = cap;
        }
        char *c = strdup(story);
        if (!c)
            return db_fail(p->db, KBS_ENOMEM, "out of memory");
        w->v[w->n].docid = docid;
        w->v[w->n++].story = c;
        return KBS_OK;
    }
    int st = xs_db_set_doc_value(p->db->xdb, docid, SLOT_STORY, story, strlen(story));
    if (st == KBS_ENOTFOUND)
        return KBS_OK;
    if (st != KBS_OK)
        return db_fail_shim(p->db, st, "recording an article's story");
    return KBS_OK;
}

/* Each group's key, and the writes where a key changes. */
static int settle(struct pass *p)
{
    size_t n = p->n;
    uint32_t *minid = malloc((n ? n : 1) * sizeof *minid);
    uint32_t *size = calloc(n ? n : 1, sizeof *size);
    const char **key = calloc(n ? n : 1, sizeof *key); /* an older story's key */
    char(*fresh)[16] = calloc(n ? n : 1, sizeof *fresh);
    /* Older stories now inside another's group: from[i] becomes to[i]. */
    char **from = calloc(n ? n : 1, sizeof *from);
    const char **to = calloc(n ? n : 1, sizeof *to);
    size_t nmerge = 0;
    int st = KBS_OK;
    if (!minid || !size || !key || !fresh || !from || !to)
        st = db_fail(p->db, KBS_ENOMEM, "out of memory");
    for (size_t i = 0; st == KBS_OK && i < n; i++)
        minid[i] = UINT32_MAX;
    for (size_t i = 0; st == KBS_OK && i < n; i++) {
        uint32_t r = root(p, (uint32_t)i);
        size[r]++;
        if (p->v[i].docid < minid[r])
            minid[r] = p->v[i].docid;
        /* The members outside this pass keep their story's key; of two, the
         * smaller (stable whatever the order the pass met them in). */
        const char *s = p->v[i].story;
        if (!p->v[i].in_w && s[0] && (!key[r] || strcmp(s, key[r]) < 0))
            key[r] = s;
    }
    for (size_t i = 0; st == KBS_OK && i < n; i++) {
        uint32_t r = root(p, (uint32_t)i);
        if (!key[r] && size[r] >= 2) {
            /* A new story is named by its first article's id: ids are never
             * used again, so the key stays unique after that article is
             * gone. */
            snprintf(fresh[r], sizeof fresh[r], "%08x", minid[r]);
            key[r] = fresh[r];
        }
    }
    for (size_t i = 0; st == KBS_OK && i < n; i++) {
        uint32_t r = root(p, (uint32_t)i);
        /* An article met only as a candidate, and not verified, is
         * none of this pass's business. */
        if (!p->v[i].in_w && size[r] < 2)
            continue;
        const char *want = size[r] >= 2 ? key[r] : "";
        const char *s = p->v[i].story;
        if (!p->v[i].in_w && s[0] && strcmp(s, want) != 0) {
            size_t k = 0;
            while (k < nmerge && strcmp(from[k], s) != 0)
                k++;
            if (k == nmerge) {
                from[nmerge] = p->v[i].story;
                to[nmerge++] = want;
            }
        }
        if (strcmp(s, want) != 0)
            st = write_story(p, p->v[i].docid, want);
    }
    if (st == KBS_OK && nmerge) {
        /* Two older stories met: the rest of the one whose key goes. */
        char **keys = malloc(nmerge * sizeof *keys);
        if (!keys)
            st = db_fail(p->db, KBS_ENOMEM, "out of memory");
        for (size_t i = 0; keys && i < nmerge; i++)
            keys[i] = from[i];
        if (keys && nmerge > 1)
            qsort(keys, nmerge, sizeof *keys, cmp_strp);
        struct scan s;
        memset(&s, 0, sizeof s);
        if (st == KBS_OK)
            st = scan_stories(p, (const char *const *)keys, nmerge, &s);
        for (size_t i = 0; st == KBS_OK && i < s.hits.n; i++) {
            if (find_node(p, s.hits.v[i]))
                continue; /* written above */
            const char *k = keys[s.which.v[i]];
            size_t m = 0;
            while (strcmp(from[m], k) != 0)
                m++;
            st = write_story(p, s.hits.v[i], to[m]);
        }
        scan_free(&s);
        free(keys);
    }
    free(minid);
    free(size);
    free(key);
    free(fresh);
    free(from);
    free(to);
    return st;
}

void dedup_writes_free(struct dedup_writes *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++)
        free(w->v[i].story);
    free(w->v);
    memset(w, 0, sizeof *w);
}

int dedup_pass(kbs_db *db)
{
    return dedup_pass_collect(db, NULL);
}

int dedup_pass_collect(kbs_db *db, struct dedup_writes *out)
{
    struct dedup_notes *dn = db->dedup;
    if (db->dedup_off || !dn || (dn->ndocs == 0 && dn->nstories == 0))
        return KBS_OK;
    struct pass p;
    memset(&p, 0, sizeof p);
    p.db = db;
    p.out = out;
    struct ids cand = {NULL, 0, 0, 0};
    int st = gather(&p, dn);
    size_t nw = p.n;
    uint32_t count = 0;
    size_t min = db->dedup_bulk_min ? db->dedup_bulk_min : BULK_MIN_NOTED;
    if (st == KBS_OK && nw >= min && (st = xs_db_doc_count(db->xdb, &count)) != KBS_OK)
        st = db_fail_shim(db, st, "reading the index's counts");
    /* Many articles against the index's size: one walk over the terms
     * costs less than eight look-ups each. */
    if (st == KBS_OK && nw >= min && (uint64_t)nw * 16 >= count)
        st = bulk_candidates(&p);
    for (size_t i = 0; st == KBS_OK && i < nw; i++)
        if (p.v[i].in_w)
            st = link_node(&p, i, &cand);
    if (st == KBS_OK)
        st = settle(&p);
    free(cand.v);
    pass_free(&p);
    if (st == KBS_OK)
        dedup_forget(db);
    return st;
}
