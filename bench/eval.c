/*
 * eval.c - bench_eval: ranking quality of kbsearch beside SQLite FTS5 and
 * plain Xapian, on a test collection with relevance judgments, in one run.
 *
 *   bench_eval --docs DIR --queries TSV --qrels FILE
 *              [--k1 X] [--b Y] [--title-weight W] [--grid] [options]
 *
 * The collection is in the plain layout (bench/cranfield-to-plain writes
 * it): DIR holds one file per document, named by its id, its first line the
 * title, then a blank line and the text; TSV holds "qid<TAB>query text"
 * lines; FILE holds TREC qrels ("qid 0 docid relevance").
 *
 * Every engine indexes the same files and answers the same queries, top 100:
 *  - kbsearch through its public API, as an application would:
 *    kbs_index_dir() over DIR, then kbs_search() with KBS_MATCH_ANY;
 *  - FTS5 with columns title and body, tokenize='porter unicode61',
 *    ranked by bm25(docs), the words OR-ed;
 *  - plain Xapian (shim/plain_xapian.h), the whole file as one text, the
 *    words OR-ed for its QueryParser.
 * The queries are natural language, not any engine's query language: each
 * is cut into the same words for all three (runs of letters and digits; an
 * inner '-' or '\'' joins, so "cross-section" stays one hyphenated word that
 * each engine reads its own way), lower-cased so that no word is taken for an
 * operator, and the punctuation around them is dropped. --raw-queries gives
 * kbsearch the text as it is instead.
 *
 * The queries are also split by their position in TSV into odd and even
 * halves, reported separately: --grid tunes kbsearch's BM25 k1, b and title
 * weight on one half and reports the other, so a setting that only fits one
 * half's quirks shows up as such. See bench/README.md for how to read it.
 */
#define _XOPEN_SOURCE 700 /* nftw() */
#include "kbsearch.h"
#include "plain_xapian.h"
#include "rank_metrics.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum engine { E_KBS, E_FTS5, E_XAPIAN, E_COUNT };
static const char *const engine_names[E_COUNT] = {"kbsearch", "fts5", "xapian"};

/* The query sets reported: all, and the halves by position in the file. */
enum qset { S_ALL, S_ODD, S_EVEN, S_COUNT };
static const char *const set_names[S_COUNT] = {"all", "odd", "even"};

/* The grid --grid sweeps. */
static const double grid_k1[] = {0.6, 0.9, 1.2, 1.5, 1.8, 2.1, 2.4, 2.7};
static const double grid_b[] = {0.3, 0.45, 0.6, 0.75, 0.9};
/* Since index format 4 the title's weight is set at indexing (TITLE_WDF in
 * src/schema.h: compare builds with -DTITLE_WDF=N) and the library ignores
 * title_weight: one value, so the grid is k1 x b. */
static const double grid_tw[] = {1};
#define NK1 (sizeof grid_k1 / sizeof grid_k1[0])
#define NB (sizeof grid_b / sizeof grid_b[0])
#define NTW (sizeof grid_tw / sizeof grid_tw[0])
#define NGRID (NK1 * NB * NTW)

struct doc {
    char *id;    /* the file name */
    char *text;  /* the whole file, NUL-terminated */
    size_t len;  /* of text */
    char *title; /* the first line, or "" */
    char *body;  /* after the title and the blank line, or "" */
};

struct query {
    char *qid;
    char *text;   /* as in the file */
    size_t pos;   /* 1-based line of the query among the queries */
    char **words; /* lower-cased words (see the top of the file) */
    size_t nwords;
    const rm_topic *topic; /* NULL, or one without relevant documents: not scored */
};

struct config {
    const char *docs, *queries, *qrels;
    const char *work;      /* --work: where the indexes go (kept) */
    const char *grid_out;  /* --grid-out: every grid setting as TSV */
    const char *per_query; /* --per-query: every query's scores as TSV */
    double k1, b, tw;      /* < 0: the library's default */
    int grid;
    int raw_queries;
    int engines[E_COUNT];
};

struct collection {
    char *dir; /* absolute */
    struct doc *docs;
    size_t ndocs; /* sorted by id */
    struct query *q;
    size_t nq;
    rm_qrels qrels;
};

/* Means of the measures over one set of queries. */
struct means {
    double ap, ndcg, prec, recall;
    size_t n;
};

struct engines {
    kbs_db *kbs;
    sqlite3 *fts;
    sqlite3_stmt *fts_stmt;
    xp_db *xp;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench_eval: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static char *join_path(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = xmalloc(a + b + 2);
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open %s: %s", path, strerror(errno));
    size_t cap = 1 << 14, n = 0;
    char *d = xmalloc(cap);
    for (;;) {
        n += fread(d + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        cap *= 2;
        d = xrealloc(d, cap);
    }
    if (ferror(f))
        die("cannot read %s", path);
    fclose(f);
    d[n] = '\0';
    *len_out = n;
    return d;
}

/* ---- reading the collection ---------------------------------------------- */

static int cmp_doc(const void *a, const void *b)
{
    return strcmp(((const struct doc *)a)->id, ((const struct doc *)b)->id);
}

/* "title\n\nbody": the title is the first line, the body what follows the
 * blank line after it (what kbsearch's parser takes them to be for such a
 * file, so FTS5 gets the same two fields). */
static void split_doc(struct doc *d)
{
    const char *t = d->text;
    const char *nl = memchr(t, '\n', d->len);
    size_t tl = nl ? (size_t)(nl - t) : d->len;
    if (tl && t[tl - 1] == '\r')
        tl--;
    d->title = xstrndup(t, tl);
    const char *b = nl ? nl + 1 : t + d->len;
    while (*b == '\r' || *b == '\n')
        b++;
    d->body = xstrndup(b, (size_t)(t + d->len - b));
}

static void read_docs(struct collection *c, const char *dir)
{
    c->dir = realpath(dir, NULL);
    if (!c->dir)
        die("%s: %s", dir, strerror(errno));
    DIR *d = opendir(c->dir);
    if (!d)
        die("cannot open %s: %s", c->dir, strerror(errno));
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char *path = join_path(c->dir, de->d_name);
        struct stat sb;
        if (stat(path, &sb) != 0)
            die("%s: %s", path, strerror(errno));
        /* kbs_index_dir would walk into a folder and the others would not:
         * they would no longer see the same documents. */
        if (S_ISDIR(sb.st_mode))
            die("%s is a folder: the documents must be files directly in %s", path, c->dir);
        if (!S_ISREG(sb.st_mode)) {
            free(path);
            continue;
        }
        if (c->ndocs == cap) {
            cap = cap ? cap * 2 : 1024;
            c->docs = xrealloc(c->docs, cap * sizeof *c->docs);
        }
        struct doc *doc = &c->docs[c->ndocs++];
        memset(doc, 0, sizeof *doc);
        doc->id = xstrndup(de->d_name, strlen(de->d_name));
        doc->text = read_file(path, &doc->len);
        split_doc(doc);
        free(path);
    }
    closedir(d);
    if (c->ndocs == 0)
        die("no documents in %s", c->dir);
    qsort(c->docs, c->ndocs, sizeof *c->docs, cmp_doc);
}

/* The canonical id string of document `id`, or NULL if there is none. */
static const char *find_doc(const struct collection *c, const char *id)
{
    struct doc key;
    key.id = (char *)id;
    const struct doc *d = bsearch(&key, c->docs, c->ndocs, sizeof *c->docs, cmp_doc);
    return d ? d->id : NULL;
}

static int word_byte(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch >= 0x80;
}

/* Cuts q into words (see the top of the file), lower-cased. */
static void split_words(struct query *q)
{
    const unsigned char *s = (const unsigned char *)q->text;
    size_t n = strlen(q->text), cap = 0;
    for (size_t i = 0; i < n;) {
        if (!word_byte(s[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && (word_byte(s[j]) || ((s[j] == '-' || s[j] == '\'') && j + 1 < n &&
                                             word_byte(s[j + 1]) && j > i)))
            j++;
        char *w = xstrndup(q->text + i, j - i);
        for (char *p = w; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        if (q->nwords == cap) {
            cap = cap ? cap * 2 : 16;
            q->words = xrealloc(q->words, cap * sizeof *q->words);
        }
        q->words[q->nwords++] = w;
        i = j;
    }
}

static void read_queries(struct collection *c, const char *path)
{
    size_t len;
    char *data = read_file(path, &len);
    size_t cap = 0, lineno = 0;
    for (char *line = data; line < data + len;) {
        char *nl = strchr(line, '\n');
        char *next = nl ? nl + 1 : data + len;
        size_t ll = (size_t)((nl ? nl : data + len) - line);
        lineno++;
        if (ll && line[ll - 1] == '\r')
            ll--;
        char *tab = memchr(line, '\t', ll);
        size_t k = 0;
        while (k < ll && (line[k] == ' ' || line[k] == '\t'))
            k++;
        if (k == ll) {
            line = next;
            continue;
        }
        if (!tab || tab == line)
            die("%s:%zu: expected qid<TAB>query text", path, lineno);
        if (c->nq == cap) {
            cap = cap ? cap * 2 : 256;
            c->q = xrealloc(c->q, cap * sizeof *c->q);
        }
        struct query *q = &c->q[c->nq];
        memset(q, 0, sizeof *q);
        q->qid = xstrndup(line, (size_t)(tab - line));
        q->text = xstrndup(tab + 1, ll - (size_t)(tab + 1 - line));
        for (size_t i = 0; i < c->nq; i++)
            if (strcmp(c->q[i].qid, q->qid) == 0)
                die("%s:%zu: query %s given twice", path, lineno, q->qid);
        q->pos = ++c->nq;
        split_words(q);
        line = next;
    }
    free(data);
    if (c->nq == 0)
        die("no queries in %s", path);
}

static void read_qrels(struct collection *c, const char *path)
{
    size_t len;
    char *data = read_file(path, &len);
    char err[256];
    if (rm_qrels_parse(data, len, &c->qrels, err, sizeof err) != KBS_OK)
        die("%s: %s", path, err);
    free(data);
    size_t unjudged = 0, unknown = 0;
    for (size_t i = 0; i < c->nq; i++) {
        c->q[i].topic = rm_qrels_find(&c->qrels, c->q[i].qid);
        if (!c->q[i].topic || c->q[i].topic->nrel == 0)
            unjudged++;
    }
    for (size_t i = 0; i < c->qrels.njudgments; i++)
        unknown += c->qrels.all[i].rel > 0 && !find_doc(c, c->qrels.all[i].docid);
    if (unjudged)
        printf("note: %zu queries have no relevant document in the qrels: not scored\n", unjudged);
    if (unknown)
        printf("note: %zu relevant judgments name a document not in the folder (no engine can "
               "find it)\n",
               unknown);
}

/* Which of the sets a scored query belongs to. */
static int in_set(const struct query *q, int set)
{
    if (!q->topic || q->topic->nrel == 0)
        return 0;
    return set == S_ALL || (set == S_ODD) == (q->pos % 2 == 1);
}

/* ---- kbsearch ------------------------------------------------------------ */

static int kbs_progress(void *ctx, const kbs_index_event *ev)
{
    (void)ctx;
    if (ev->kind == KBS_EVENT_SKIPPED)
        fprintf(stderr, "bench_eval: kbsearch skipped %s: %s\n", ev->path,
                ev->message ? ev->message : kbs_strerror(ev->status));
    return 0;
}

static void kbs_build(struct engines *e, const struct collection *c, const char *work)
{
    char *path = join_path(work, "kbsearch");
    kbs_db *db = NULL;
    char *msg = NULL;
    int rc = kbs_db_open(path, KBS_OPEN_WRITE | KBS_OPEN_CREATE, &db, &msg);
    if (rc != KBS_OK)
        die("kbs_db_open %s: %s: %s", path, kbs_strerror(rc), msg ? msg : "");
    kbs_index_options io;
    kbs_index_options_init(&io);
    io.callback = kbs_progress;
    kbs_index_report rep;
    rc = kbs_index_dir(db, c->dir, &io, &rep);
    if (rc != KBS_OK)
        die("kbs_index_dir %s: %s: %s", c->dir, kbs_strerror(rc), kbs_db_errmsg(db));
    if ((rc = kbs_db_close(db)) != KBS_OK)
        die("kbs_db_close: %s", kbs_strerror(rc));
    rc = kbs_db_open(path, KBS_OPEN_READ, &e->kbs, &msg);
    if (rc != KBS_OK)
        die("kbs_db_open %s: %s: %s", path, kbs_strerror(rc), msg ? msg : "");
    kbs_stats st;
    if (kbs_db_stats(e->kbs, &st) == KBS_OK && st.documents != c->ndocs)
        printf("warning: kbsearch holds %llu documents, the folder %zu: the engines do not see "
               "the same collection\n",
               (unsigned long long)st.documents, c->ndocs);
    free(path);
}

/* The query text kbsearch gets: the words, or with --raw-queries the line. */
static char *kbs_query_text(const struct query *q, int raw)
{
    if (raw)
        return xstrndup(q->text, strlen(q->text));
    size_t n = 1;
    for (size_t i = 0; i < q->nwords; i++)
        n += strlen(q->words[i]) + 1;
    char *s = xmalloc(n);
    s[0] = '\0';
    for (size_t i = 0; i < q->nwords; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, q->words[i]);
    }
    return s;
}

static size_t kbs_rank(struct engines *e, const struct collection *c, const struct query *q,
                       const struct config *cfg, double k1, double b, double tw,
                       const char **ranked)
{
    char *text = kbs_query_text(q, cfg->raw_queries);
    kbs_search_options o;
    kbs_search_options_init(&o);
    o.match = KBS_MATCH_ANY;
    o.limit = RM_DEPTH;
    o.no_snippets = 1;
    o.bm25_k1 = k1;
    o.bm25_b = b;
    o.title_weight = tw;
    kbs_results *r = NULL;
    int rc = kbs_search(e->kbs, text, strlen(text), &o, &r);
    size_t n = 0;
    if (rc == KBS_EQUERY) {
        /* A query of nothing but punctuation or stop words, say: it finds
         * nothing, as it would for a user. */
        fprintf(stderr, "bench_eval: kbsearch: query %s: %s\n", q->qid, kbs_db_errmsg(e->kbs));
    } else if (rc != KBS_OK) {
        die("kbs_search (query %s): %s: %s", q->qid, kbs_strerror(rc), kbs_db_errmsg(e->kbs));
    }
    for (size_t i = 0; rc == KBS_OK && i < kbs_results_count(r) && n < RM_DEPTH; i++) {
        kbs_hit h;
        if (kbs_results_get(r, i, &h) != KBS_OK)
            break;
        const char *base = strrchr(h.path, '/');
        const char *id = find_doc(c, base ? base + 1 : h.path);
        ranked[n++] = id ? id : "(not in the folder)";
    }
    kbs_results_free(r);
    free(text);
    return n;
}

/* ---- SQLite FTS5 ----------------------------------------------------------- */

static void fts_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        die("sqlite: %s: %s", sql, msg ? msg : sqlite3_errmsg(db));
}

static void fts_build(struct engines *e, const struct collection *c)
{
    /* In memory: the collections this is for are small, and what is
     * compared here is ranking, not disk speed. */
    if (sqlite3_open(":memory:", &e->fts) != SQLITE_OK)
        die("sqlite3_open: %s", sqlite3_errmsg(e->fts));
    fts_exec(e->fts, "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, "
                     "tokenize='porter unicode61')");
    fts_exec(e->fts, "BEGIN");
    sqlite3_stmt *ins = NULL;
    if (sqlite3_prepare_v2(e->fts, "INSERT INTO docs(id, title, body) VALUES(?1, ?2, ?3)", -1, &ins,
                           NULL) != SQLITE_OK)
        die("sqlite: %s", sqlite3_errmsg(e->fts));
    for (size_t i = 0; i < c->ndocs; i++) {
        sqlite3_bind_text(ins, 1, c->docs[i].id, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, c->docs[i].title, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, c->docs[i].body, -1, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE)
            die("sqlite: inserting %s: %s", c->docs[i].id, sqlite3_errmsg(e->fts));
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    fts_exec(e->fts, "COMMIT");
    if (sqlite3_prepare_v2(e->fts,
                           "SELECT id FROM docs WHERE docs MATCH ?1 ORDER BY bm25(docs) "
                           "LIMIT 100",
                           -1, &e->fts_stmt, NULL) != SQLITE_OK)
        die("sqlite: %s", sqlite3_errmsg(e->fts));
}

/* "w1" OR "w2" ...: each word quoted (a '"' inside doubled), so that no word
 * is read as FTS5 syntax; a hyphenated word becomes a phrase. */
static char *fts_query_text(const struct query *q)
{
    size_t n = 1;
    for (size_t i = 0; i < q->nwords; i++)
        n += 2 * strlen(q->words[i]) + 6;
    char *s = xmalloc(n), *p = s;
    for (size_t i = 0; i < q->nwords; i++) {
        if (i) {
            memcpy(p, " OR ", 4);
            p += 4;
        }
        *p++ = '"';
        for (const char *w = q->words[i]; *w; w++) {
            if (*w == '"')
                *p++ = '"';
            *p++ = *w;
        }
        *p++ = '"';
    }
    *p = '\0';
    return s;
}

static size_t fts_rank(struct engines *e, const struct collection *c, const struct query *q,
                       const char **ranked)
{
    if (q->nwords == 0)
        return 0;
    char *text = fts_query_text(q);
    sqlite3_stmt *st = e->fts_stmt;
    sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
    size_t n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < RM_DEPTH) {
        const char *id = find_doc(c, (const char *)sqlite3_column_text(st, 0));
        ranked[n++] = id ? id : "(not in the folder)";
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        die("fts5: query %s (%s): %s", q->qid, text, sqlite3_errmsg(e->fts));
    sqlite3_reset(st);
    free(text);
    return n;
}

/* ---- plain Xapian ---------------------------------------------------------- */

static void xp_build(struct engines *e, const struct collection *c, const char *work)
{
    char *path = join_path(work, "xapian");
    char err[512];
    xp_index *ix = NULL;
    int rc = xp_index_open(path, &ix, err, sizeof err);
    if (rc != KBS_OK)
        die("xp_index_open %s: %s", path, err);
    /* Xapian numbers documents 1, 2, ... in the order they are added: the
     * order of c->docs. */
    for (size_t i = 0; i < c->ndocs; i++)
        if ((rc = xp_index_add(ix, c->docs[i].text, c->docs[i].len)) != KBS_OK)
            die("xp_index_add %s: %s", c->docs[i].id, xp_index_errmsg(ix));
    if ((rc = xp_index_close(ix, err, sizeof err)) != KBS_OK)
        die("xp_index_close: %s", err);
    if ((rc = xp_db_open(path, &e->xp, err, sizeof err)) != KBS_OK)
        die("xp_db_open %s: %s", path, err);
    free(path);
}

/* QueryParser's default operator is AND there (plain_xapian.h); a user
 * wanting any word writes OR, which is what this does. */
static size_t xp_rank(struct engines *e, const struct collection *c, const struct query *q,
                      const char **ranked)
{
    if (q->nwords == 0)
        return 0;
    size_t len = 1;
    for (size_t i = 0; i < q->nwords; i++)
        len += strlen(q->words[i]) + 4;
    char *text = xmalloc(len);
    text[0] = '\0';
    for (size_t i = 0; i < q->nwords; i++) {
        if (i)
            strcat(text, " OR ");
        strcat(text, q->words[i]);
    }
    xp_results r;
    memset(&r, 0, sizeof r);
    int rc = xp_search(e->xp, text, strlen(text), RM_DEPTH, 0, &r);
    if (rc != KBS_OK)
        die("xp_search (query %s): %s: %s", q->qid, kbs_strerror(rc), xp_db_errmsg(e->xp));
    size_t n = 0;
    for (size_t i = 0; i < r.n && n < RM_DEPTH; i++) {
        uint32_t d = r.hits[i].docid;
        ranked[n++] = d >= 1 && d <= c->ndocs ? c->docs[d - 1].id : "(not in the folder)";
    }
    xp_results_clear(&r);
    free(text);
    return n;
}

/* ---- running and scoring ---------------------------------------------------- */

/* Runs every query on engine `eng` (kbsearch with k1, b, tw), scores each
 * into scores[i] and the means of each set into m[set]. Returns the wall
 * seconds the searches took. */
static double run_engine(struct engines *e, const struct collection *c, const struct config *cfg,
                         int eng, double k1, double b, double tw, rm_scores *scores,
                         struct means m[S_COUNT])
{
    const char *ranked[RM_DEPTH];
    double secs = 0;
    memset(m, 0, S_COUNT * sizeof *m);
    for (size_t i = 0; i < c->nq; i++) {
        const struct query *q = &c->q[i];
        double t0 = now_seconds();
        size_t n = 0;
        if (eng == E_KBS)
            n = kbs_rank(e, c, q, cfg, k1, b, tw, ranked);
        else if (eng == E_FTS5)
            n = fts_rank(e, c, q, ranked);
        else
            n = xp_rank(e, c, q, ranked);
        secs += now_seconds() - t0;
        rm_score(q->topic, ranked, n, &scores[i]);
        for (int s = 0; s < S_COUNT; s++) {
            if (!in_set(q, s))
                continue;
            m[s].ap += scores[i].ap;
            m[s].ndcg += scores[i].ndcg;
            m[s].prec += scores[i].prec;
            m[s].recall += scores[i].recall;
            m[s].n++;
        }
    }
    for (int s = 0; s < S_COUNT; s++) {
        if (!m[s].n)
            continue;
        m[s].ap /= (double)m[s].n;
        m[s].ndcg /= (double)m[s].n;
        m[s].prec /= (double)m[s].n;
        m[s].recall /= (double)m[s].n;
    }
    return secs;
}

static double measure(const struct means *m, int which)
{
    switch (which) {
    case 0:
        return m->ap;
    case 1:
        return m->ndcg;
    case 2:
        return m->prec;
    default:
        return m->recall;
    }
}

static const char *const measure_names[4] = {"MAP@100", "nDCG@10", "P@10", "R@100"};

static void print_ratio(double a, double b)
{
    if (b > 0)
        printf("  %8.2fx", a / b);
    else
        printf("  %9s", "-");
}

static void print_table(const struct config *cfg, struct means m[E_COUNT][S_COUNT])
{
    printf("\n%-5s %-8s", "set", "measure");
    for (int e = 0; e < E_COUNT; e++) {
        if (!cfg->engines[e])
            continue;
        printf("  %9s", engine_names[e]);
        if (e != E_KBS && cfg->engines[E_KBS])
            printf("  %9s", e == E_FTS5 ? "kbs/fts5" : "kbs/xap");
    }
    printf("\n");
    for (int s = 0; s < S_COUNT; s++) {
        for (int k = 0; k < 4; k++) {
            printf("%-5s %-8s", k == 0 ? set_names[s] : "", measure_names[k]);
            for (int e = 0; e < E_COUNT; e++) {
                if (!cfg->engines[e])
                    continue;
                printf("  %9.4f", measure(&m[e][s], k));
                if (e != E_KBS && cfg->engines[E_KBS])
                    print_ratio(measure(&m[E_KBS][s], k), measure(&m[e][s], k));
            }
            printf("\n");
        }
    }
}

static void print_machine_lines(const struct config *cfg, struct means m[E_COUNT][S_COUNT],
                                const double secs[E_COUNT])
{
    for (int e = 0; e < E_COUNT; e++) {
        if (!cfg->engines[e])
            continue;
        for (int s = 0; s < S_COUNT; s++)
            printf("engine=%s set=%s queries=%zu map100=%.4f ndcg10=%.4f p10=%.4f r100=%.4f "
                   "search_seconds=%.3f\n",
                   engine_names[e], set_names[s], m[e][s].n, m[e][s].ap, m[e][s].ndcg, m[e][s].prec,
                   m[e][s].recall, secs[e]);
    }
}

static void fmt_setting(char *out, size_t len, double v)
{
    if (v < 0)
        snprintf(out, len, "default");
    else
        snprintf(out, len, "%g", v);
}

/* ---- the grid ---------------------------------------------------------------- */

struct cell {
    double k1, b, tw;
    struct means m[S_COUNT];
};

static size_t cell_index(size_t i, size_t j, size_t k)
{
    return (i * NB + j) * NTW + k;
}

/* The mean of measure `which` on set `set` over cell (i, j, k) and its
 * neighbours one step away along each axis: a setting whose neighbours do as
 * well sits on a plateau, and is likelier to carry over to other queries
 * than a lone peak. */
static double plateau(const struct cell *g, size_t i, size_t j, size_t k, int set, int which)
{
    double sum = measure(&g[cell_index(i, j, k)].m[set], which);
    int n = 1;
    const int d[6][3] = {{-1, 0, 0}, {1, 0, 0}, {0, -1, 0}, {0, 1, 0}, {0, 0, -1}, {0, 0, 1}};
    for (int x = 0; x < 6; x++) {
        long a = (long)i + d[x][0], b = (long)j + d[x][1], c = (long)k + d[x][2];
        if (a < 0 || b < 0 || c < 0 || a >= (long)NK1 || b >= (long)NB || c >= (long)NTW)
            continue;
        sum += measure(&g[cell_index((size_t)a, (size_t)b, (size_t)c)].m[set], which);
        n++;
    }
    return sum / n;
}

/* The best cell for `which` on `set`: by plateau, or by its own value. */
static size_t best_cell(const struct cell *g, int set, int which, int by_plateau)
{
    size_t best = 0;
    double bv = -1;
    for (size_t i = 0; i < NK1; i++)
        for (size_t j = 0; j < NB; j++)
            for (size_t k = 0; k < NTW; k++) {
                size_t ix = cell_index(i, j, k);
                double v =
                    by_plateau ? plateau(g, i, j, k, set, which) : measure(&g[ix].m[set], which);
                if (v > bv) {
                    bv = v;
                    best = ix;
                }
            }
    return best;
}

static double cell_plateau(const struct cell *g, size_t ix, int set, int which)
{
    return plateau(g, ix / (NB * NTW), (ix / NTW) % NB, ix % NTW, set, which);
}

static void print_choice(const struct cell *g, size_t ix, const char *label, int tune_set,
                         int which, const struct means fts[S_COUNT])
{
    const struct cell *c = &g[ix];
    int held = tune_set == S_ODD ? S_EVEN : tune_set == S_EVEN ? S_ODD : S_ALL;
    printf("  %-6s %-7s k1=%-4g b=%-5g tw=%-4g  %7.4f %8.4f  %8.4f %8.4f  %8.4f\n", label,
           set_names[tune_set], c->k1, c->b, c->tw, measure(&c->m[tune_set], which),
           cell_plateau(g, ix, tune_set, which), measure(&c->m[held], which),
           measure(&fts[held], which), measure(&c->m[S_ALL], which));
}

static void run_grid(struct engines *e, const struct collection *c, const struct config *cfg,
                     const struct means fts[S_COUNT], rm_scores *scores)
{
    struct cell *g = xmalloc(NGRID * sizeof *g);
    double t0 = now_seconds();
    for (size_t i = 0; i < NK1; i++)
        for (size_t j = 0; j < NB; j++)
            for (size_t k = 0; k < NTW; k++) {
                struct cell *cl = &g[cell_index(i, j, k)];
                cl->k1 = grid_k1[i];
                cl->b = grid_b[j];
                cl->tw = grid_tw[k];
                run_engine(e, c, cfg, E_KBS, cl->k1, cl->b, cl->tw, scores, cl->m);
            }
    printf("\ngrid: kbsearch at %zu settings (k1 x b x title weight), %.1f s\n", (size_t)NGRID,
           now_seconds() - t0);
    if (cfg->grid_out) {
        FILE *f = fopen(cfg->grid_out, "w");
        if (!f)
            die("cannot create %s: %s", cfg->grid_out, strerror(errno));
        fprintf(f, "k1\tb\ttw");
        for (int s = 0; s < S_COUNT; s++)
            fprintf(f, "\tmap100_%s\tndcg10_%s\tp10_%s\tr100_%s", set_names[s], set_names[s],
                    set_names[s], set_names[s]);
        fprintf(f, "\n");
        for (size_t x = 0; x < NGRID; x++) {
            fprintf(f, "%g\t%g\t%g", g[x].k1, g[x].b, g[x].tw);
            for (int s = 0; s < S_COUNT; s++)
                fprintf(f, "\t%.4f\t%.4f\t%.4f\t%.4f", g[x].m[s].ap, g[x].m[s].ndcg, g[x].m[s].prec,
                        g[x].m[s].recall);
            fprintf(f, "\n");
        }
        if (fclose(f) != 0)
            die("cannot write %s", cfg->grid_out);
        printf("every setting: %s\n", cfg->grid_out);
    }
    for (int which = 0; which < 2; which++) {
        printf("\nbest by %s: 'plateau' is the mean over the setting and its grid neighbours;\n"
               "the held-out half is the other half (for 'all': all again)\n",
               measure_names[which]);
        printf("  %-6s %-7s %-25s  %7s %8s  %8s %8s  %8s\n", "pick", "tuned", "setting", "tuned",
               "plateau", "held-out", "fts5", "all");
        const int sets[3] = {S_ODD, S_EVEN, S_ALL};
        for (int s = 0; s < 3; s++) {
            print_choice(g, best_cell(g, sets[s], which, 1), "plateau", sets[s], which, fts);
            print_choice(g, best_cell(g, sets[s], which, 0), "peak", sets[s], which, fts);
        }
    }
    free(g);
}

/* ---- the program -------------------------------------------------------------- */

static void write_per_query(const struct config *cfg, const struct collection *c,
                            rm_scores *const scores[E_COUNT])
{
    FILE *f = fopen(cfg->per_query, "w");
    if (!f)
        die("cannot create %s: %s", cfg->per_query, strerror(errno));
    fprintf(f, "qid\tpos\tnrel");
    for (int e = 0; e < E_COUNT; e++)
        if (cfg->engines[e])
            fprintf(f, "\t%s_ap\t%s_ndcg10", engine_names[e], engine_names[e]);
    fprintf(f, "\tquery\n");
    for (size_t i = 0; i < c->nq; i++) {
        const struct query *q = &c->q[i];
        if (!in_set(q, S_ALL))
            continue;
        fprintf(f, "%s\t%zu\t%zu", q->qid, q->pos, q->topic->nrel);
        for (int e = 0; e < E_COUNT; e++)
            if (cfg->engines[e])
                fprintf(f, "\t%.4f\t%.4f", scores[e][i].ap, scores[e][i].ndcg);
        fprintf(f, "\t%s\n", q->text);
    }
    if (fclose(f) != 0)
        die("cannot write %s", cfg->per_query);
}

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bench_eval --docs DIR --queries TSV --qrels FILE [options]\n"
            "  --docs DIR          one file per document, named by its id: title, blank line, "
            "text\n"
            "  --queries TSV       qid<TAB>query text, a query a line\n"
            "  --qrels FILE        TREC qrels: qid 0 docid relevance\n"
            "  --k1 X --b Y --title-weight W\n"
            "                      kbsearch's BM25 settings (default: the library's)\n"
            "  --grid              also sweep k1 x b x title weight for kbsearch; best settings\n"
            "  --grid-out FILE     with --grid: every setting's figures as TSV\n"
            "  --per-query FILE    every query's AP and nDCG@10 per engine as TSV\n"
            "  --engines LIST      comma-separated subset of kbsearch,fts5,xapian (default all)\n"
            "  --raw-queries       give kbsearch each query's text as it is, not its words\n"
            "  --work DIR          build the indexes in DIR (kept); default a temporary folder\n");
}

static double parse_setting(const char *opt, const char *v, double lo, double hi)
{
    /* The C locale's number syntax, by hand: strtod follows the locale. */
    double x = 0, scale = 0;
    const char *p = v;
    int digits = 0;
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            x = x * 10 + (*p - '0');
            if (scale > 0)
                scale *= 10;
            digits++;
        } else if (*p == '.' && scale == 0) {
            scale = 1;
        } else {
            break;
        }
    }
    if (*p || !digits)
        die("%s: '%s' is not a number", opt, v);
    if (scale > 0)
        x /= scale;
    if (x < lo || x > hi)
        die("%s: %s is out of range (%g to %g)", opt, v, lo, hi);
    return x;
}

static void parse_args(int argc, char **argv, struct config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->k1 = cfg->b = cfg->tw = -1;
    for (int e = 0; e < E_COUNT; e++)
        cfg->engines[e] = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (strcmp(a, "--grid") == 0) {
            cfg->grid = 1;
            takes = 0;
        } else if (strcmp(a, "--raw-queries") == 0) {
            cfg->raw_queries = 1;
            takes = 0;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        } else if (!v) {
            usage(stderr);
            exit(2);
        } else if (strcmp(a, "--docs") == 0) {
            cfg->docs = v;
        } else if (strcmp(a, "--queries") == 0) {
            cfg->queries = v;
        } else if (strcmp(a, "--qrels") == 0) {
            cfg->qrels = v;
        } else if (strcmp(a, "--work") == 0) {
            cfg->work = v;
        } else if (strcmp(a, "--grid-out") == 0) {
            cfg->grid_out = v;
        } else if (strcmp(a, "--per-query") == 0) {
            cfg->per_query = v;
        } else if (strcmp(a, "--k1") == 0) {
            cfg->k1 = parse_setting(a, v, 0, 100);
        } else if (strcmp(a, "--b") == 0) {
            cfg->b = parse_setting(a, v, 0, 1);
        } else if (strcmp(a, "--title-weight") == 0) {
            cfg->tw = parse_setting(a, v, 0, 100);
        } else if (strcmp(a, "--engines") == 0) {
            for (int e = 0; e < E_COUNT; e++)
                cfg->engines[e] = 0;
            char *list = xstrndup(v, strlen(v)), *save = NULL;
            for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                int found = 0;
                for (int e = 0; e < E_COUNT; e++)
                    if (strcmp(t, engine_names[e]) == 0)
                        cfg->engines[e] = found = 1;
                if (!found)
                    die("--engines: unknown engine '%s' (kbsearch, fts5, xapian)", t);
            }
            free(list);
        } else {
            usage(stderr);
            exit(2);
        }
        i += takes;
    }
    if (!cfg->docs || !cfg->queries || !cfg->qrels) {
        usage(stderr);
        exit(2);
    }
    if (cfg->grid && !cfg->engines[E_KBS])
        die("--grid tunes kbsearch: keep it in --engines");
}

int main(int argc, char **argv)
{
    struct config cfg;
    parse_args(argc, argv, &cfg);
    struct collection c;
    memset(&c, 0, sizeof c);
    read_docs(&c, cfg.docs);
    read_queries(&c, cfg.queries);
    read_qrels(&c, cfg.qrels);

    char tmpl[4096];
    const char *work = cfg.work;
    if (work) {
        if (mkdir(work, 0777) != 0 && errno != EEXIST)
            die("cannot create %s: %s", work, strerror(errno));
        /* Plain Xapian would append to an old index, and kbsearch update
         * one: every run starts from nothing. */
        for (int x = 0; x < E_COUNT; x++) {
            struct stat sb;
            char *p = join_path(work, engine_names[x]);
            if (cfg.engines[x] && x != E_FTS5 && stat(p, &sb) == 0)
                die("%s exists: remove it, or give --work a new folder", p);
            free(p);
        }
    } else {
        const char *tmp = getenv("TMPDIR");
        if (!tmp || !*tmp || strlen(tmp) > sizeof tmpl - 32)
            tmp = "/tmp";
        snprintf(tmpl, sizeof tmpl, "%s/kbs-eval-XXXXXX", tmp);
        work = mkdtemp(tmpl);
        if (!work)
            die("cannot make a temporary folder in %s: %s", tmp, strerror(errno));
    }

    size_t scored = 0, halves[2] = {0, 0};
    for (size_t i = 0; i < c.nq; i++)
        if (in_set(&c.q[i], S_ALL)) {
            scored++;
            halves[c.q[i].pos % 2 == 0]++;
        }
    char k1s[32], bs[32], tws[32];
    fmt_setting(k1s, sizeof k1s, cfg.k1);
    fmt_setting(bs, sizeof bs, cfg.b);
    fmt_setting(tws, sizeof tws, cfg.tw);
    printf("collection: %zu documents, %zu queries (%zu scored: %zu odd, %zu even by position), "
           "%zu judgments\n",
           c.ndocs, c.nq, scored, halves[0], halves[1], c.qrels.njudgments);
    printf("kbsearch %s: match any, top %d, k1=%s b=%s title weight=%s%s\n", kbs_version_string(),
           RM_DEPTH, k1s, bs, tws, cfg.raw_queries ? ", raw query text" : "");

    struct engines e;
    memset(&e, 0, sizeof e);
    double build_secs[E_COUNT] = {0}, search_secs[E_COUNT] = {0};
    for (int x = 0; x < E_COUNT; x++) {
        if (!cfg.engines[x])
            continue;
        double t0 = now_seconds();
        if (x == E_KBS)
            kbs_build(&e, &c, work);
        else if (x == E_FTS5)
            fts_build(&e, &c);
        else
            xp_build(&e, &c, work);
        build_secs[x] = now_seconds() - t0;
    }
    printf("indexing seconds:");
    for (int x = 0; x < E_COUNT; x++)
        if (cfg.engines[x])
            printf(" %s %.2f", engine_names[x], build_secs[x]);
    printf("\n");

    struct means m[E_COUNT][S_COUNT];
    memset(m, 0, sizeof m);
    rm_scores *scores[E_COUNT];
    for (int x = 0; x < E_COUNT; x++) {
        scores[x] = xmalloc(c.nq * sizeof *scores[x]);
        memset(scores[x], 0, c.nq * sizeof *scores[x]);
        if (cfg.engines[x])
            search_secs[x] = run_engine(&e, &c, &cfg, x, cfg.k1, cfg.b, cfg.tw, scores[x], m[x]);
    }
    print_machine_lines(&cfg, m, search_secs);
    print_table(&cfg, m);
    if (cfg.per_query)
        write_per_query(&cfg, &c, scores);
    if (cfg.grid) {
        rm_scores *tmp = xmalloc(c.nq * sizeof *tmp);
        run_grid(&e, &c, &cfg, m[E_FTS5], tmp);
        free(tmp);
    }

    kbs_db_close(e.kbs);
    sqlite3_finalize(e.fts_stmt);
    sqlite3_close(e.fts);
    xp_db_close(e.xp);
    if (!cfg.work)
        nftw(work, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    for (int x = 0; x < E_COUNT; x++)
        free(scores[x]);
    for (size_t i = 0; i < c.ndocs; i++) {
        free(c.docs[i].id);
        free(c.docs[i].text);
        free(c.docs[i].title);
        free(c.docs[i].body);
    }
    for (size_t i = 0; i < c.nq; i++) {
        for (size_t k = 0; k < c.q[i].nwords; k++)
            free(c.q[i].words[k]);
        free(c.q[i].words);
        free(c.q[i].qid);
        free(c.q[i].text);
    }
    free(c.docs);
    free(c.q);
    free(c.dir);
    rm_qrels_free(&c.qrels);
    return 0;
}
