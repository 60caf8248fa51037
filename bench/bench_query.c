/*
 * bench_query.c - measures searching: kbsearch beside SQLite FTS5 and plain
 * Xapian over the same files, with one query set drawn from the corpus.
 *
 * As with bench_index, one figure alone says little on a shared, noisy
 * machine: what this is for is the ratio between engines measured in the
 * same minutes on the same queries. The engines' queries are interleaved
 * (query 1 on each engine, then query 2, ...) so that a burst of load from
 * elsewhere falls on all three alike. See bench/README.md.
 *
 *   bench_query --dir DIR --files LIST --work WORK [options]
 *
 * WORK keeps the three indexes between runs; they are rebuilt only when LIST
 * (or the kbsearch version) changes, since building them is the slow part.
 */
#define _XOPEN_SOURCE 700 /* nftw() */
#include "kbsearch.h"
#include "pin.h"
#include "plain_xapian.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024.0 * 1024.0)
#define TOP 10
/* Rows per FTS5 transaction, as bench_index does. */
#define FTS5_BATCH 1000
/* FTS5 counts a snippet in tokens; about 32 make the 200 characters the
 * other two are asked for. */
#define FTS5_SNIPPET_TOKENS 32
#define MAXWORD 40
#define MAXTOKENS 64
#define QTEXT 256
/* Bumped when what goes into the indexes changes, so old ones are rebuilt. */
#define LAYOUT_VERSION 1

enum engine { E_KBS, E_FTS, E_XP, E_COUNT };
static const char *const engine_names[E_COUNT] = {"kbsearch", "fts5", "xapian"};

enum qclass { C_RARE, C_MEDIUM, C_COMMON, C_AND, C_OR, C_PHRASE, C_PREFIX, C_DATE, C_COUNT };
static const char *const class_names[C_COUNT] = {"term-rare", "term-medium", "term-common", "and",
                                                 "or",        "phrase",      "prefix",      "date"};
/* The classes the hit counts must agree on (the same tokens, exactly). */
static const int agree_classes[] = {C_AND, C_PHRASE};

struct config {
    const char *dir;
    const char *files;
    const char *work;
    const char *label;
    const char *cli;
    const char *save_queries;
    const char *loop;
    unsigned engines; /* bit per engine */
    size_t per_class;
    uint64_t seed;
    size_t cold;
    int cold_fadvise; /* --cold-method fadvise */
    size_t process;
    double loop_seconds;
    int rebuild;
    int keep_index;   /* reuse kbsearch's index built by another library */
    unsigned classes; /* --classes: bit per class to time; 0 for all */
    int no_snip;      /* --no-snippets: leave out the +snip rows */
    int no_pin;       /* --no-pin: leave the indexes to the page cache's reclaim */
};

struct filelist {
    char **paths;
    size_t n, cap;
};

struct query {
    int cls;
    int nwords;
    char words[3][MAXWORD];
    int64_t df;  /* term classes: the word's document frequency in FTS5 */
    int year;    /* date class */
    size_t file; /* the file the words came from */
    char kbs[QTEXT];
    char fts[QTEXT];
    char xp[QTEXT];
};

struct qset {
    struct query *q;
    size_t n, cap;
};

struct engines {
    kbs_db *kbs;
    sqlite3 *fts;
    /* [dated][snippets] */
    sqlite3_stmt *fts_top[2][2];
    sqlite3_stmt *fts_count;
    xp_db *xp;
};

/* What one search handed back, consumed so no engine skips work. */
struct outcome {
    uint64_t total;
    size_t hits;
    int fallback;
    size_t bytes;
};

/* One engine's timings of one class, with or without snippets. */
struct timing {
    double *ms;  /* per query, wall clock; NAN where the query failed */
    double *cpu; /* the same, this thread's CPU time: what the load of others
                    on a shared machine does not inflate */
    size_t n;
    size_t errors;
    size_t hits; /* sum over the queries */
    char first_error[256];
};

struct stats {
    size_t n;
    double p50, p90, p99, mean, max;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench_query: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        die("out of memory");
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL)
        die("out of memory");
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
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

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the seeded generator ---- */

/* splitmix64: tiny, and the same sequence on every machine for a seed. */
struct rng {
    uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t rng_below(struct rng *r, size_t n)
{
    return (size_t)(rng_next(r) % n);
}

/* ---- a string map (word -> document frequency, seen queries) ---- */

struct strmap {
    char **keys;
    int64_t *vals;
    size_t cap, n;
};

static uint64_t fnv1a(const void *data, size_t len, uint64_t h)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static size_t strmap_slot(const struct strmap *m, const char *key)
{
    size_t i = (size_t)fnv1a(key, strlen(key), 0xcbf29ce484222325ULL) & (m->cap - 1);
    while (m->keys[i] != NULL && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static int64_t *strmap_find(struct strmap *m, const char *key)
{
    if (m->cap == 0)
        return NULL;
    size_t i = strmap_slot(m, key);
    return m->keys[i] ? &m->vals[i] : NULL;
}

static void strmap_put(struct strmap *m, const char *key, int64_t val)
{
    if (2 * (m->n + 1) > m->cap) {
        struct strmap g = {0};
        g.cap = m->cap ? 2 * m->cap : 1024;
        g.keys = calloc(g.cap, sizeof *g.keys);
        g.vals = calloc(g.cap, sizeof *g.vals);
        if (g.keys == NULL || g.vals == NULL)
            die("out of memory");
        for (size_t i = 0; i < m->cap; i++) {
            if (m->keys[i] == NULL)
                continue;
            size_t j = strmap_slot(&g, m->keys[i]);
            g.keys[j] = m->keys[i];
            g.vals[j] = m->vals[i];
            g.n++;
        }
        free(m->keys);
        free(m->vals);
        *m = g;
    }
    size_t i = strmap_slot(m, key);
    if (m->keys[i] == NULL) {
        m->keys[i] = xstrdup(key);
        m->n++;
    }
    m->vals[i] = val;
}

static void strmap_free(struct strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- files ---- */

static void read_list(const char *list, struct filelist *fl)
{
    FILE *f = fopen(list, "r");
    if (f == NULL)
        die("cannot open file list %s: %s", list, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0)
            continue;
        if (fl->n == fl->cap) {
            fl->cap = fl->cap ? 2 * fl->cap : 1024;
            fl->paths = xrealloc(fl->paths, fl->cap * sizeof *fl->paths);
        }
        fl->paths[fl->n++] = xstrdup(line);
    }
    if (ferror(f))
        die("cannot read file list %s", list);
    free(line);
    fclose(f);
    if (fl->n == 0)
        die("file list %s is empty", list);
}

static void filelist_free(struct filelist *fl)
{
    for (size_t i = 0; i < fl->n; i++)
        free(fl->paths[i]);
    free(fl->paths);
    memset(fl, 0, sizeof *fl);
}

/* Reads a whole file into *buf (grown as needed, reused across files). */
static size_t slurp(const char *path, char **buf, size_t *cap)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        die("cannot open %s: %s", path, strerror(errno));
    size_t len = 0;
    for (;;) {
        if (*cap - len < 65536) {
            *cap = *cap ? 2 * *cap : 1 << 20;
            *buf = xrealloc(*buf, *cap);
        }
        ssize_t got = read(fd, *buf + len, *cap - len - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            die("cannot read %s: %s", path, strerror(errno));
        if (got == 0)
            break;
        len += (size_t)got;
    }
    (*buf)[len] = '\0';
    close(fd);
    return len;
}

/* The Reuters folders are named by day (.../20061020/file): that is the date
 * FTS5 and Xapian filter on. Returns 0 and "YYYYMMDD" in out, or -1. */
static int path_date(const char *path, char out[9])
{
    for (const char *p = strchr(path, '/'); p != NULL; p = strchr(p + 1, '/')) {
        size_t k = 0;
        while (k < 8 && p[1 + k] >= '0' && p[1 + k] <= '9')
            k++;
        if (k == 8 && p[9] == '/') {
            memcpy(out, p + 1, 8);
            out[8] = '\0';
            return 0;
        }
    }
    return -1;
}

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS) != 0)
        die("cannot remove %s: %s", path, strerror(errno));
}

/* The size on disk of an index: its file, or the files of its folder. */
static uint64_t tree_bytes(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return 0;
    if (S_ISREG(st.st_mode))
        return (uint64_t)st.st_size;
    if (!S_ISDIR(st.st_mode))
        return 0;
    uint64_t total = 0;
    DIR *d = opendir(path);
    if (d == NULL)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *c = join_path(path, e->d_name);
        total += tree_bytes(c);
        free(c);
    }
    closedir(d);
    return total;
}

/* ---- building the indexes, once ---- */

static char *engine_path(const struct config *cfg, int e)
{
    static const char *const names[E_COUNT] = {"kbsearch", "fts5.sqlite", "xapian"};
    return join_path(cfg->work, names[e]);
}

static char *ready_path(const struct config *cfg, int e)
{
    char name[64];
    snprintf(name, sizeof name, "%s.ready", engine_names[e]);
    return join_path(cfg->work, name);
}

/* The libkbsearch this process runs with, by content: a library built from
 * other sources may index differently (or in a format it alone reads). The
 * path comes from /proc/self/maps; "static" when it is linked in. */
static uint64_t library_hash(void)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    char *line = NULL, *path = NULL;
    size_t cap = 0;
    while (maps != NULL && path == NULL && getline(&line, &cap, maps) > 0) {
        char *p = strchr(line, '/');
        if (p != NULL && strstr(p, "/libkbsearch") != NULL) {
            p[strcspn(p, "\n")] = '\0';
            path = xstrdup(p);
        }
    }
    free(line);
    if (maps != NULL)
        fclose(maps);
    uint64_t h = 0;
    if (path != NULL) {
        char *buf = NULL;
        size_t bcap = 0, len = slurp(path, &buf, &bcap);
        h = fnv1a(buf, len, 0xcbf29ce484222325ULL);
        free(buf);
        free(path);
    }
    return h;
}

/* What an index was built from. The first line, the same for the three, is
 * the documents and how they are laid out; kbsearch's adds the library. The
 * same stamp lets an index be reused. */
static void make_stamp(const struct config *cfg, const struct filelist *fl, int e, char *out,
                       size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < fl->n; i++)
        h = fnv1a(fl->paths[i], strlen(fl->paths[i]) + 1, h);
    int n = snprintf(out, len, "layout=%d files=%zu list=%016" PRIx64 " dir=%s\n", LAYOUT_VERSION,
                     fl->n, h, cfg->dir);
    if (e == E_KBS && n > 0 && (size_t)n < len)
        snprintf(out + n, len - (size_t)n, "kbsearch=%s library=%016" PRIx64 "\n",
                 kbs_version_string(), library_hash());
}

/* With --keep-index only the documents must match. */
static int is_ready(const struct config *cfg, int e, const char *stamp)
{
    char *rp = ready_path(cfg, e), *ip = engine_path(cfg, e);
    char got[1024] = "";
    FILE *f = fopen(rp, "r");
    if (f != NULL) {
        size_t n = fread(got, 1, sizeof got - 1, f);
        got[n] = '\0';
        fclose(f);
    }
    size_t cmp = cfg->keep_index ? strcspn(stamp, "\n") + 1 : strlen(stamp) + 1;
    struct stat st;
    int ok = f != NULL && strncmp(got, stamp, cmp) == 0 && lstat(ip, &st) == 0;
    free(rp);
    free(ip);
    return ok;
}

static int kbs_skip_cb(void *ctx, const kbs_index_event *ev)
{
    (void)ctx;
    if (ev->kind == KBS_EVENT_SKIPPED)
        fprintf(stderr, "bench_query: kbsearch skipped %s: %s\n", ev->path,
                ev->message ? ev->message : kbs_strerror(ev->status));
    return 0;
}

static void build_kbs(const struct config *cfg, const char *path)
{
    kbs_db *db = NULL;
    char *msg = NULL;
    int rc = kbs_db_open(path, KBS_OPEN_WRITE | KBS_OPEN_CREATE, &db, &msg);
    if (rc != KBS_OK)
        die("kbs_db_open %s: %s: %s", path, kbs_strerror(rc), msg ? msg : "");
    kbs_index_options io;
    kbs_index_options_init(&io);
    io.callback = kbs_skip_cb;
    kbs_index_report rep;
    rc = kbs_index_dir(db, cfg->dir, &io, &rep);
    if (rc != KBS_OK)
        die("kbs_index_dir %s: %s: %s", cfg->dir, kbs_strerror(rc), kbs_db_errmsg(db));
    if ((rc = kbs_db_close(db)) != KBS_OK)
        die("kbs_db_close: %s", kbs_strerror(rc));
}

static void fts_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        die("sqlite: %s: %s", sql, msg ? msg : sqlite3_errmsg(db));
}

/* The date is a column FTS5 does not index: it is compared in SQL, which is
 * how an FTS5 user filters on a field that is not text. */
static void build_fts(const struct filelist *fl, const char *path)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
        die("sqlite3_open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
    fts_exec(db, "CREATE VIRTUAL TABLE docs USING fts5(path UNINDEXED, date UNINDEXED, body, "
                 "tokenize='porter unicode61')");
    sqlite3_stmt *ins = NULL;
    if (sqlite3_prepare_v2(db, "INSERT INTO docs(path, date, body) VALUES (?1, ?2, ?3)", -1, &ins,
                           NULL) != SQLITE_OK)
        die("sqlite prepare: %s", sqlite3_errmsg(db));
    char *buf = NULL;
    size_t cap = 0;
    fts_exec(db, "BEGIN");
    for (size_t i = 0; i < fl->n; i++) {
        size_t len = slurp(fl->paths[i], &buf, &cap);
        char date[9];
        sqlite3_bind_text(ins, 1, fl->paths[i], -1, SQLITE_STATIC);
        if (path_date(fl->paths[i], date) == 0)
            sqlite3_bind_text(ins, 2, date, 8, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(ins, 2);
        sqlite3_bind_text(ins, 3, buf, (int)len, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE)
            die("sqlite insert %s: %s", fl->paths[i], sqlite3_errmsg(db));
        sqlite3_reset(ins);
        if ((i + 1) % FTS5_BATCH == 0) {
            fts_exec(db, "COMMIT");
            fts_exec(db, "BEGIN");
        }
    }
    fts_exec(db, "COMMIT");
    sqlite3_finalize(ins);
    /* One segment, as a read-mostly archive would be left after loading:
     * FTS5 at its fastest, so that kbsearch is compared with its best. */
    fts_exec(db, "INSERT INTO docs(docs) VALUES ('optimize')");
    if (sqlite3_close(db) != SQLITE_OK)
        die("sqlite3_close: %s", sqlite3_errmsg(db));
    free(buf);
}

static void build_xp(const struct filelist *fl, const char *path)
{
    char err[512];
    xp_index *ix = NULL;
    if (xp_index_open(path, &ix, err, sizeof err) != KBS_OK)
        die("xp_index_open %s: %s", path, err);
    char *buf = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < fl->n; i++) {
        size_t len = slurp(fl->paths[i], &buf, &cap);
        char date[9];
        int dated = path_date(fl->paths[i], date) == 0;
        if (xp_index_add_dated(ix, buf, len, dated ? date : NULL) != KBS_OK)
            die("xp_index_add %s: %s", fl->paths[i], xp_index_errmsg(ix));
    }
    if (xp_index_close(ix, err, sizeof err) != KBS_OK)
        die("xp_index_close: %s", err);
    free(buf);
}

/* Each index is built in a child of its own, so that this process, which
 * then measures searching, starts with a clean heap. */
static void build_index(const struct config *cfg, const struct filelist *fl, int e,
                        const char *stamp)
{
    char *ip = engine_path(cfg, e), *rp = ready_path(cfg, e);
    remove(rp);
    rm_tree(ip);
    fprintf(stderr, "bench_query: building the %s index in %s (%zu files)...\n", engine_names[e],
            ip, fl->n);
    double t0 = now_seconds();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        if (e == E_KBS)
            build_kbs(cfg, ip);
        else if (e == E_FTS)
            build_fts(fl, ip);
        else
            build_xp(fl, ip);
        fflush(NULL);
        _exit(0);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("building the %s index failed", engine_names[e]);
    FILE *f = fopen(rp, "w");
    if (f == NULL || fputs(stamp, f) < 0 || fclose(f) != 0)
        die("cannot write %s", rp);
    fprintf(stderr, "bench_query: built the %s index in %.1f s, %.1f MiB\n", engine_names[e],
            now_seconds() - t0, (double)tree_bytes(ip) / MIB);
    free(ip);
    free(rp);
}

static void ensure_indexes(const struct config *cfg, const struct filelist *fl)
{
    if (mkdir(cfg->work, 0777) != 0 && errno != EEXIST)
        die("cannot create %s: %s", cfg->work, strerror(errno));
    /* FTS5 is always there: the words' document frequencies come from it. */
    for (int e = 0; e < E_COUNT; e++) {
        char stamp[1024];
        make_stamp(cfg, fl, e, stamp, sizeof stamp);
        if ((cfg->engines & (1u << e)) || e == E_FTS)
            if (cfg->rebuild || !is_ready(cfg, e, stamp))
                build_index(cfg, fl, e, stamp);
    }
}

/* ---- opening them for searching ---- */

static const char *const fts_top_sql[2][2] = {
    {"SELECT path FROM docs WHERE docs MATCH ?1 ORDER BY rank LIMIT 10",
     "SELECT path, snippet(docs, 2, '[', ']', '...', 32) FROM docs WHERE docs MATCH ?1 "
     "ORDER BY rank LIMIT 10"},
    {"SELECT path FROM docs WHERE docs MATCH ?1 AND date >= ?2 AND date <= ?3 "
     "ORDER BY rank LIMIT 10",
     "SELECT path, snippet(docs, 2, '[', ']', '...', 32) FROM docs WHERE docs MATCH ?1 "
     "AND date >= ?2 AND date <= ?3 ORDER BY rank LIMIT 10"},
};

static void open_engine(const struct config *cfg, int e, struct engines *en)
{
    char *path = engine_path(cfg, e);
    if (e == E_KBS) {
        char *msg = NULL;
        int rc = kbs_db_open(path, KBS_OPEN_READ, &en->kbs, &msg);
        if (rc != KBS_OK)
            die("kbs_db_open %s: %s: %s (run again without --keep-index, or with --rebuild)", path,
                kbs_strerror(rc), msg ? msg : "");
    } else if (e == E_FTS) {
        if (sqlite3_open_v2(path, &en->fts, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
            die("sqlite3_open %s: %s", path, en->fts ? sqlite3_errmsg(en->fts) : "out of memory");
        for (int d = 0; d < 2; d++)
            for (int s = 0; s < 2; s++)
                if (sqlite3_prepare_v2(en->fts, fts_top_sql[d][s], -1, &en->fts_top[d][s], NULL) !=
                    SQLITE_OK)
                    die("sqlite prepare: %s", sqlite3_errmsg(en->fts));
        if (sqlite3_prepare_v2(en->fts, "SELECT count(*) FROM docs WHERE docs MATCH ?1", -1,
                               &en->fts_count, NULL) != SQLITE_OK)
            die("sqlite prepare: %s", sqlite3_errmsg(en->fts));
    } else {
        char err[512];
        if (xp_db_open(path, &en->xp, err, sizeof err) != KBS_OK)
            die("xp_db_open %s: %s", path, err);
    }
    free(path);
}

static void close_engine(int e, struct engines *en)
{
    if (e == E_KBS) {
        kbs_db_close(en->kbs);
        en->kbs = NULL;
    } else if (e == E_FTS) {
        for (int d = 0; d < 2; d++)
            for (int s = 0; s < 2; s++) {
                sqlite3_finalize(en->fts_top[d][s]);
                en->fts_top[d][s] = NULL;
            }
        sqlite3_finalize(en->fts_count);
        en->fts_count = NULL;
        sqlite3_close(en->fts);
        en->fts = NULL;
    } else {
        xp_db_close(en->xp);
        en->xp = NULL;
    }
}

/* ---- the query set ---- */

/* src/stem.c's stop list: kbsearch ignores these words outside phrases, so
 * a query holding one would not ask the same of every engine. */
static const char *const stop_words[] = {
    "a",      "about",    "above",      "after",      "again",   "against", "all",     "am",
    "an",     "and",      "any",        "are",        "as",      "at",      "be",      "because",
    "been",   "before",   "being",      "below",      "between", "both",    "but",     "by",
    "could",  "did",      "do",         "does",       "doing",   "down",    "during",  "each",
    "few",    "for",      "from",       "further",    "had",     "has",     "have",    "having",
    "he",     "her",      "here",       "hers",       "herself", "him",     "himself", "his",
    "how",    "i",        "if",         "in",         "into",    "is",      "it",      "its",
    "itself", "me",       "more",       "most",       "my",      "myself",  "no",      "nor",
    "not",    "of",       "off",        "on",         "once",    "only",    "or",      "other",
    "ought",  "our",      "ours",       "ourselves",  "out",     "over",    "own",     "same",
    "she",    "should",   "so",         "some",       "such",    "than",    "that",    "the",
    "their",  "theirs",   "them",       "themselves", "then",    "there",   "these",   "they",
    "this",   "those",    "through",    "to",         "too",     "under",   "until",   "up",
    "very",   "was",      "we",         "were",       "what",    "when",    "where",   "which",
    "while",  "who",      "whom",       "why",        "with",    "would",   "you",     "your",
    "yours",  "yourself", "yourselves",
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int is_stopword(const char *w)
{
    return bsearch(&w, stop_words, sizeof stop_words / sizeof *stop_words, sizeof *stop_words,
                   cmp_str) != NULL;
}

struct hword {
    char w[MAXWORD];
    int clean;      /* 3+ ASCII letters, not a stop word */
    int lead_punct; /* punctuation was cut from its start */
    int trail_punct;
};

struct headline {
    struct hword t[MAXTOKENS];
    size_t n;
    size_t nclean;
};

static int in_set(char c, const char *set)
{
    return c != '\0' && strchr(set, c) != NULL;
}

/* Only plain words are drawn: a word glued to an apostrophe, a dot or a
 * hyphen ("Google's", "U.S.", "oil-rich") is cut differently by each
 * engine's tokenizer, and the queries must ask the same of all three. */
static void split_headline(const char *s, size_t len, struct headline *h)
{
    memset(h, 0, sizeof *h);
    size_t i = 0;
    while (i < len && h->n < MAXTOKENS) {
        while (i < len && (s[i] == ' ' || s[i] == '\t'))
            i++;
        size_t a = i;
        while (i < len && s[i] != ' ' && s[i] != '\t')
            i++;
        size_t b = i;
        if (a == b)
            break;
        struct hword *t = &h->t[h->n++];
        while (a < b && in_set(s[a], "\"'([")) {
            a++;
            t->lead_punct = 1;
        }
        while (b > a && in_set(s[b - 1], "\"')],.:;?!")) {
            b--;
            t->trail_punct = 1;
        }
        size_t n = b - a;
        t->clean = n >= 3 && n < MAXWORD;
        for (size_t k = 0; t->clean && k < n; k++) {
            char c = s[a + k];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            if (c < 'a' || c > 'z')
                t->clean = 0;
            t->w[k] = c;
        }
        t->w[t->clean ? n : 0] = '\0';
        if (t->clean && is_stopword(t->w))
            t->clean = 0;
        h->nclean += (size_t)t->clean;
    }
}

/* The headline is the first line, "-- Exxon Mobil offers plan ...", of a
 * Reuters file. Returns -1 for a file without one. */
static int read_headline(const char *path, struct headline *h)
{
    char buf[1024];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t got = read(fd, buf, sizeof buf);
    close(fd);
    if (got <= 0)
        return -1;
    size_t n = (size_t)got, i = 0;
    while (i < n && (buf[i] == '\n' || buf[i] == '\r' || buf[i] == ' '))
        i++;
    if (n - i < 2 || buf[i] != '-' || buf[i + 1] != '-')
        return -1;
    i += 2;
    size_t e = i;
    while (e < n && buf[e] != '\n' && buf[e] != '\r')
        e++;
    split_headline(buf + i, e - i, h);
    return 0;
}

static void qset_push(struct qset *s, const struct query *q)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->q = xrealloc(s->q, s->cap * sizeof *s->q);
    }
    s->q[s->n++] = *q;
}

static void cat(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cat(char *dst, size_t cap, const char *fmt, ...)
{
    size_t used = strlen(dst);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst + used, cap - used, fmt, ap);
    va_end(ap);
}

/* The same request in each engine's own syntax. */
static void format_query(struct query *q)
{
    q->kbs[0] = q->fts[0] = q->xp[0] = '\0';
    switch (q->cls) {
    case C_AND:
    case C_OR:
        for (int i = 0; i < q->nwords; i++) {
            const char *w = q->words[i];
            const char *op = i == 0 ? "" : q->cls == C_OR ? " OR " : " AND ";
            /* kbsearch: all words match by default, as a user types them. */
            cat(q->kbs, QTEXT, "%s%s", q->cls == C_OR ? op : i ? " " : "", w);
            cat(q->fts, QTEXT, "%s\"%s\"", op, w);
            cat(q->xp, QTEXT, "%s%s", op, w);
        }
        break;
    case C_PHRASE:
        snprintf(q->kbs, QTEXT, "\"%s %s\"", q->words[0], q->words[1]);
        snprintf(q->fts, QTEXT, "\"%s %s\"", q->words[0], q->words[1]);
        snprintf(q->xp, QTEXT, "\"%s %s\"", q->words[0], q->words[1]);
        break;
    case C_PREFIX:
        snprintf(q->kbs, QTEXT, "%s*", q->words[0]);
        snprintf(q->fts, QTEXT, "%s*", q->words[0]);
        snprintf(q->xp, QTEXT, "%s*", q->words[0]);
        break;
    case C_DATE:
        snprintf(q->kbs, QTEXT, "%s date:%04d", q->words[0], q->year);
        snprintf(q->fts, QTEXT, "\"%s\"", q->words[0]);
        snprintf(q->xp, QTEXT, "%s %04d0101..%04d1231", q->words[0], q->year, q->year);
        break;
    default:
        snprintf(q->kbs, QTEXT, "%s", q->words[0]);
        snprintf(q->fts, QTEXT, "\"%s\"", q->words[0]);
        snprintf(q->xp, QTEXT, "%s", q->words[0]);
        break;
    }
}

/* Documents holding `word` (its porter stem, FTS5's reading), cached. */
static int64_t word_df(struct engines *en, struct strmap *cache, const char *word)
{
    int64_t *v = strmap_find(cache, word);
    if (v != NULL)
        return *v;
    char q[MAXWORD + 3];
    snprintf(q, sizeof q, "\"%s\"", word);
    sqlite3_stmt *st = en->fts_count;
    sqlite3_bind_text(st, 1, q, -1, SQLITE_TRANSIENT);
    int64_t df = -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        df = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (df < 0)
        die("fts5: counting %s: %s", word, sqlite3_errmsg(en->fts));
    strmap_put(cache, word, df);
    return df;
}

/* Picks k distinct clean words of h, in headline order. Returns how many. */
static int pick_words(struct rng *r, const struct headline *h, int k, char out[3][MAXWORD])
{
    size_t idx[MAXTOKENS], n = 0;
    for (size_t i = 0; i < h->n; i++) {
        if (!h->t[i].clean)
            continue;
        int dup = 0;
        for (size_t j = 0; j < n; j++)
            dup |= strcmp(h->t[idx[j]].w, h->t[i].w) == 0;
        if (!dup)
            idx[n++] = i;
    }
    if (n < (size_t)k)
        return 0;
    /* A partial Fisher-Yates draw, then back into headline order. */
    for (int i = 0; i < k; i++) {
        size_t j = (size_t)i + rng_below(r, n - (size_t)i);
        size_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && idx[j - 1] > idx[j]; j--) {
            size_t t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    for (int i = 0; i < k; i++)
        memcpy(out[i], h->t[idx[i]].w, MAXWORD);
    return k;
}

struct df_bounds {
    int64_t rare_max;   /* rare: 1 .. rare_max documents */
    int64_t medium_max; /* medium: up to this; common: more */
};

/* Tries to make one query of class `cls` from the headline of file `fi`;
 * for the term classes the word's frequency decides the class, written back
 * into q->cls. Returns 0 when *q holds a query. */
static int draw_query(struct rng *r, int cls, const struct headline *h, size_t fi, const char *path,
                      struct engines *en, struct strmap *dfs, const struct df_bounds *b,
                      struct query *q)
{
    memset(q, 0, sizeof *q);
    q->cls = cls;
    q->file = fi;
    q->nwords = 1;
    if (cls == C_AND || cls == C_OR) {
        q->nwords = pick_words(r, h, 2 + (int)rng_below(r, 2), q->words);
        if (q->nwords == 0)
            q->nwords = pick_words(r, h, 2, q->words);
        if (q->nwords == 0)
            return -1;
    } else if (cls == C_PHRASE) {
        size_t pairs[MAXTOKENS], n = 0;
        for (size_t i = 0; i + 1 < h->n; i++)
            if (h->t[i].clean && h->t[i + 1].clean && !h->t[i].trail_punct &&
                !h->t[i + 1].lead_punct)
                pairs[n++] = i;
        if (n == 0)
            return -1;
        size_t i = pairs[rng_below(r, n)];
        memcpy(q->words[0], h->t[i].w, MAXWORD);
        memcpy(q->words[1], h->t[i + 1].w, MAXWORD);
        q->nwords = 2;
    } else {
        if (pick_words(r, h, 1, q->words) == 0)
            return -1;
        if (cls == C_PREFIX) {
            size_t len = strlen(q->words[0]);
            if (len < 6)
                return -1;
            q->words[0][4 + rng_below(r, 2)] = '\0';
        } else if (cls == C_DATE) {
            char date[9];
            if (path_date(path, date) != 0)
                return -1;
            q->year = (date[0] - '0') * 1000 + (date[1] - '0') * 100 + (date[2] - '0') * 10 +
                      (date[3] - '0');
        } else {
            q->df = word_df(en, dfs, q->words[0]);
            if (q->df <= 0)
                return -1; /* FTS5 reads it another way: not a fair term */
            q->cls = q->df <= b->rare_max ? C_RARE : q->df <= b->medium_max ? C_MEDIUM : C_COMMON;
        }
    }
    format_query(q);
    return 0;
}

/* Draws up to cfg->per_class queries per class from the headlines of files
 * picked at random. Each class has its own stream from the seed, so one
 * class's draws do not shift another's. */
static void gen_queries(const struct config *cfg, const struct filelist *fl, struct engines *en,
                        struct qset sets[C_COUNT], struct df_bounds *b)
{
    int64_t n = (int64_t)fl->n;
    b->rare_max = n / 1000 > 1 ? n / 1000 : 1;
    b->medium_max = n / 100 > b->rare_max + 1 ? n / 100 : b->rare_max + 1;
    struct strmap dfs = {0}, seen = {0};
    static const int drawn[] = {C_RARE, C_AND, C_OR, C_PHRASE, C_PREFIX, C_DATE};
    for (size_t d = 0; d < sizeof drawn / sizeof *drawn; d++) {
        int cls = drawn[d];
        struct rng r = {cfg->seed * 1000003u + (uint64_t)cls};
        size_t budget = 200 * cfg->per_class + 2000;
        for (size_t a = 0; a < budget; a++) {
            int full = 1;
            if (cls == C_RARE) {
                for (int c = C_RARE; c <= C_COMMON; c++)
                    full &= sets[c].n >= cfg->per_class;
            } else {
                full = sets[cls].n >= cfg->per_class;
            }
            if (full)
                break;
            size_t fi = rng_below(&r, fl->n);
            struct headline h;
            struct query q;
            if (read_headline(fl->paths[fi], &h) != 0 || h.nclean == 0 ||
                draw_query(&r, cls, &h, fi, fl->paths[fi], en, &dfs, b, &q) != 0 ||
                sets[q.cls].n >= cfg->per_class)
                continue;
            char key[QTEXT + 16];
            snprintf(key, sizeof key, "%d %s", q.cls, q.kbs);
            if (strmap_find(&seen, key) != NULL)
                continue;
            strmap_put(&seen, key, 1);
            qset_push(&sets[q.cls], &q);
        }
    }
    for (int c = 0; c < C_COUNT; c++)
        if (sets[c].n < cfg->per_class)
            fprintf(stderr, "bench_query: warning: only %zu distinct %s queries (wanted %zu)\n",
                    sets[c].n, class_names[c], cfg->per_class);
    strmap_free(&dfs);
    strmap_free(&seen);
}

static void save_queries(const char *path, struct qset sets[C_COUNT])
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        die("cannot write %s: %s", path, strerror(errno));
    fprintf(f, "class\tdf\tkbsearch\tfts5\txapian\n");
    for (int c = 0; c < C_COUNT; c++)
        for (size_t i = 0; i < sets[c].n; i++) {
            const struct query *q = &sets[c].q[i];
            fprintf(f, "%s\t%" PRId64 "\t%s\t%s", class_names[c], q->df, q->kbs, q->fts);
            if (c == C_DATE)
                fprintf(f, " (date %04d0101..%04d1231)", q->year, q->year);
            fprintf(f, "\t%s\n", q->xp);
        }
    if (fclose(f) != 0)
        die("cannot write %s", path);
}

/* ---- running one query ---- */

static int run_kbs(struct engines *en, const struct query *q, int snip, int exact,
                   struct outcome *o, char *err, size_t errlen)
{
    kbs_search_options opt;
    kbs_search_options_init(&opt);
    opt.limit = TOP;
    opt.no_snippets = !snip;
    opt.exact_count = exact;
    /* Counting (the agreement check): articles, as the others count, not
     * stories; by default kbsearch shows near-duplicates as one hit. */
    opt.all_versions = exact;
    kbs_results *r = NULL;
    int rc = kbs_search(en->kbs, q->kbs, strlen(q->kbs), &opt, &r);
    if (rc != KBS_OK) {
        snprintf(err, errlen, "%s: %s", kbs_strerror(rc), kbs_db_errmsg(en->kbs));
        return -1;
    }
    o->hits = kbs_results_count(r);
    for (size_t i = 0; i < o->hits; i++) {
        kbs_hit h;
        if (kbs_results_get(r, i, &h) == KBS_OK)
            o->bytes += strlen(h.path) + strlen(h.title) + strlen(h.snippet);
    }
    o->total = kbs_results_total(r);
    o->fallback = kbs_results_fallback(r);
    kbs_results_free(r);
    return 0;
}

static int run_fts(struct engines *en, const struct query *q, int snip, struct outcome *o,
                   char *err, size_t errlen)
{
    int dated = q->cls == C_DATE;
    sqlite3_stmt *st = en->fts_top[dated][snip];
    sqlite3_bind_text(st, 1, q->fts, -1, SQLITE_STATIC);
    if (dated) {
        char lo[16], hi[16];
        snprintf(lo, sizeof lo, "%04d0101", q->year);
        snprintf(hi, sizeof hi, "%04d1231", q->year);
        sqlite3_bind_text(st, 2, lo, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, hi, -1, SQLITE_TRANSIENT);
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        o->hits++;
        const unsigned char *p = sqlite3_column_text(st, 0);
        o->bytes += p ? strlen((const char *)p) : 0;
        if (snip) {
            p = sqlite3_column_text(st, 1);
            o->bytes += p ? strlen((const char *)p) : 0;
        }
    }
    if (rc != SQLITE_DONE)
        snprintf(err, errlen, "%s", sqlite3_errmsg(en->fts));
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int count_fts(struct engines *en, const struct query *q, uint64_t *count, char *err,
                     size_t errlen)
{
    sqlite3_stmt *st = en->fts_count;
    sqlite3_bind_text(st, 1, q->fts, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *count = (uint64_t)sqlite3_column_int64(st, 0);
    else
        snprintf(err, errlen, "%s", sqlite3_errmsg(en->fts));
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

static int run_xp(struct engines *en, const struct query *q, int snip, uint32_t check_at_least,
                  struct outcome *o, char *err, size_t errlen)
{
    xp_results r;
    memset(&r, 0, sizeof r);
    int rc = xp_search_checked(en->xp, q->xp, strlen(q->xp), TOP, snip, check_at_least, &r);
    if (rc != KBS_OK) {
        snprintf(err, errlen, "%s: %s", kbs_strerror(rc), xp_db_errmsg(en->xp));
        return -1;
    }
    o->hits = r.n;
    for (size_t i = 0; i < r.n; i++)
        o->bytes += r.hits[i].snippet_len;
    o->total = r.estimated;
    xp_results_clear(&r);
    return 0;
}

/* The timed unit: the best TOP hits, read as an application would. */
static int run_one(struct engines *en, int e, const struct query *q, int snip, struct outcome *o,
                   char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    if (e == E_KBS)
        return run_kbs(en, q, snip, 0, o, err, errlen);
    if (e == E_FTS)
        return run_fts(en, q, snip, o, err, errlen);
    return run_xp(en, q, snip, 0, o, err, errlen);
}

/* ---- timing ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentiles over the values that are not NaN. */
static struct stats compute_stats(const double *v, size_t n)
{
    struct stats s;
    memset(&s, 0, sizeof s);
    double *w = xmalloc(n * sizeof *w);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i])) {
            w[s.n++] = v[i];
            sum += v[i];
        }
    if (s.n > 0) {
        qsort(w, s.n, sizeof *w, cmp_double);
        size_t i50 = (s.n * 50 + 99) / 100, i90 = (s.n * 90 + 99) / 100,
               i99 = (s.n * 99 + 99) / 100;
        s.p50 = w[i50 ? i50 - 1 : 0];
        s.p90 = w[i90 ? i90 - 1 : 0];
        s.p99 = w[i99 ? i99 - 1 : 0];
        s.max = w[s.n - 1];
        s.mean = sum / (double)s.n;
    }
    free(w);
    return s;
}

static void note_error(struct timing *t, const struct query *q, const char *err)
{
    if (t->errors++ == 0)
        snprintf(t->first_error, sizeof t->first_error, "%.100s: %.140s", q->kbs, err);
}

/* Every query once on each engine (not timed), so the figures are of a warm
 * index and not of whichever engine happened to run first. */
static void warm_up(const struct config *cfg, struct engines *en, struct qset sets[C_COUNT])
{
    char err[512];
    struct outcome o;
    for (int snip = 0; snip < 2 - cfg->no_snip; snip++)
        for (int c = 0; c < C_COUNT; c++)
            for (size_t i = 0; i < sets[c].n; i++)
                for (int e = 0; e < E_COUNT; e++)
                    if (cfg->engines & (1u << e))
                        run_one(en, e, &sets[c].q[i], snip, &o, err, sizeof err);
}

static void time_all(const struct config *cfg, struct engines *en, struct qset sets[C_COUNT],
                     struct timing t[E_COUNT][C_COUNT][2])
{
    char err[512];
    for (int snip = 0; snip < 2; snip++)
        for (int c = 0; c < C_COUNT; c++) {
            size_t n = snip && cfg->no_snip ? 0 : sets[c].n;
            for (int e = 0; e < E_COUNT; e++) {
                t[e][c][snip].ms = xmalloc((n ? n : 1) * sizeof(double));
                t[e][c][snip].cpu = xmalloc((n ? n : 1) * sizeof(double));
                t[e][c][snip].n = n;
            }
            for (size_t i = 0; i < n; i++) {
                const struct query *q = &sets[c].q[i];
                /* Each engine goes first in turn: none always finds the
                 * CPU's caches warmed, or cooled, by another. */
                for (int k = 0; k < E_COUNT; k++) {
                    int e = (int)((i + (size_t)k) % E_COUNT);
                    if (!(cfg->engines & (1u << e)))
                        continue;
                    struct outcome o;
                    double t0 = now_seconds(), c0 = cpu_seconds();
                    int rc = run_one(en, e, q, snip, &o, err, sizeof err);
                    double cpu = (cpu_seconds() - c0) * 1000.0;
                    double ms = (now_seconds() - t0) * 1000.0;
                    struct timing *tm = &t[e][c][snip];
                    tm->ms[i] = rc == 0 ? ms : NAN;
                    tm->cpu[i] = rc == 0 ? cpu : NAN;
                    tm->hits += o.hits;
                    if (rc != 0)
                        note_error(tm, q, err);
                }
            }
        }
}

static void row_name(int c, int snip, char *out, size_t len)
{
    snprintf(out, len, "%s%s", class_names[c], snip ? "+snip" : "");
}

static void print_machine_lines(const struct config *cfg, struct timing t[E_COUNT][C_COUNT][2])
{
    char name[64];
    for (int snip = 0; snip < 2; snip++)
        for (int c = 0; c < C_COUNT; c++)
            for (int e = 0; e < E_COUNT; e++) {
                if (!(cfg->engines & (1u << e)) || t[e][c][snip].n == 0)
                    continue;
                struct timing *tm = &t[e][c][snip];
                struct stats s = compute_stats(tm->ms, tm->n);
                struct stats u = compute_stats(tm->cpu, tm->n);
                row_name(c, snip, name, sizeof name);
                printf("class=%s engine=%s n=%zu errors=%zu p50_ms=%.4f p90_ms=%.4f p99_ms=%.4f "
                       "mean_ms=%.4f max_ms=%.4f cpu_p50_ms=%.4f cpu_p90_ms=%.4f cpu_p99_ms=%.4f "
                       "cpu_mean_ms=%.4f hits=%.2f\n",
                       name, engine_names[e], s.n, tm->errors, s.p50, s.p90, s.p99, s.mean, s.max,
                       u.p50, u.p90, u.p99, u.mean, tm->n ? (double)tm->hits / (double)tm->n : 0.0);
            }
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0;
}

static void print_ratio_row(const char *label, const struct stats *k, const struct stats *o,
                            const struct stats *ku, const struct stats *ou)
{
    if (k->n == 0 || o->n == 0)
        return;
    printf("%-18s %-12s %6s %8.2fx %8.2fx %8.2fx %8.2fx %8.2fx %8.2fx\n", "", label, "",
           ratio(k->p50, o->p50), ratio(k->p90, o->p90), ratio(k->p99, o->p99),
           ratio(k->mean, o->mean), ratio(ku->p50, ou->p50), ratio(ku->p99, ou->p99));
}

static void print_table(const struct config *cfg, struct timing t[E_COUNT][C_COUNT][2])
{
    printf("\n%-18s %-12s %6s %9s %9s %9s %9s %9s %9s %6s\n", "class", "engine", "n", "p50 ms",
           "p90 ms", "p99 ms", "mean ms", "cpu p50", "cpu p99", "hits");
    char name[64];
    for (int snip = 0; snip < 2; snip++)
        for (int c = 0; c < C_COUNT; c++) {
            struct stats s[E_COUNT], u[E_COUNT];
            if (t[E_FTS][c][snip].n == 0) /* a class left out (--classes, --no-snippets) */
                continue;
            row_name(c, snip, name, sizeof name);
            for (int e = 0; e < E_COUNT; e++) {
                memset(&s[e], 0, sizeof s[e]);
                memset(&u[e], 0, sizeof u[e]);
                if (!(cfg->engines & (1u << e)))
                    continue;
                struct timing *tm = &t[e][c][snip];
                s[e] = compute_stats(tm->ms, tm->n);
                u[e] = compute_stats(tm->cpu, tm->n);
                printf("%-18s %-12s %6zu %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f %6.2f\n", name,
                       engine_names[e], s[e].n, s[e].p50, s[e].p90, s[e].p99, s[e].mean, u[e].p50,
                       u[e].p99, tm->n ? (double)tm->hits / (double)tm->n : 0.0);
                name[0] = '\0';
            }
            if (cfg->engines & (1u << E_KBS)) {
                if (cfg->engines & (1u << E_XP))
                    print_ratio_row("kbs/xapian", &s[E_KBS], &s[E_XP], &u[E_KBS], &u[E_XP]);
                if (cfg->engines & (1u << E_FTS))
                    print_ratio_row("kbs/fts5", &s[E_KBS], &s[E_FTS], &u[E_KBS], &u[E_FTS]);
            }
        }
    printf("# ms: wall clock per query; cpu: the searching thread's CPU time, which other "
           "processes' load on the machine inflates less.\n");
    printf("# ratios: kbsearch's figure over the other's; below 1x favours kbsearch.\n");
    printf("# hits: mean number of results returned (at most %d).\n", TOP);
    for (int snip = 0; snip < 2; snip++)
        for (int c = 0; c < C_COUNT; c++)
            for (int e = 0; e < E_COUNT; e++) {
                struct timing *tm = &t[e][c][snip];
                if (tm->errors == 0)
                    continue;
                row_name(c, snip, name, sizeof name);
                printf("# WARNING: %s %s: %zu queries failed (left out), e.g. %s\n",
                       engine_names[e], name, tm->errors, tm->first_error);
            }
}

/* ---- agreement: do the engines find the same articles? ---- */

struct agree_row {
    size_t i;
    uint64_t n[E_COUNT];
    int ok[E_COUNT];
    double gap; /* |log| of kbsearch's count over the farther other's */
};

static double log_gap(uint64_t a, uint64_t b)
{
    return fabs(log(((double)a + 1.0) / ((double)b + 1.0)));
}

static int cmp_gap(const void *a, const void *b)
{
    const struct agree_row *x = a, *y = b;
    return (x->gap < y->gap) - (x->gap > y->gap);
}

/* Exact counts from each engine on the same tokens. Differences in how the
 * engines cut and stem words are expected and shown, not hidden: a fast
 * engine that finds less is not faster. */
static void agreement(const struct config *cfg, struct engines *en, struct qset sets[C_COUNT],
                      uint32_t ndocs)
{
    if ((cfg->engines & 7u) != 7u) {
        printf("\n# agreement: needs all three engines; skipped\n");
        return;
    }
    printf("\n# agreement of exact hit counts (kbsearch exact_count, FTS5 count(*), Xapian "
           "check_at_least = %u documents)\n",
           ndocs);
    char err[512];
    for (size_t a = 0; a < sizeof agree_classes / sizeof *agree_classes; a++) {
        int c = agree_classes[a];
        size_t n = sets[c].n;
        if (n == 0)
            continue;
        struct agree_row *rows = xmalloc(n * sizeof *rows);
        size_t all = 0, kx = 0, kf = 0, xf = 0, fallback = 0, failed = 0;
        uint64_t sum[E_COUNT] = {0, 0, 0};
        for (size_t i = 0; i < n; i++) {
            const struct query *q = &sets[c].q[i];
            struct agree_row *r = &rows[i];
            memset(r, 0, sizeof *r);
            r->i = i;
            struct outcome o;
            memset(&o, 0, sizeof o);
            r->ok[E_KBS] = run_kbs(en, q, 0, 1, &o, err, sizeof err) == 0;
            /* A fallback answers another question (any word): no article
             * has all the words as kbsearch reads them. */
            r->n[E_KBS] = o.fallback ? 0 : o.total;
            fallback += (size_t)(r->ok[E_KBS] && o.fallback);
            r->ok[E_FTS] = count_fts(en, q, &r->n[E_FTS], err, sizeof err) == 0;
            memset(&o, 0, sizeof o);
            r->ok[E_XP] = run_xp(en, q, 0, ndocs, &o, err, sizeof err) == 0;
            r->n[E_XP] = o.total;
            if (!r->ok[E_KBS] || !r->ok[E_FTS] || !r->ok[E_XP]) {
                failed++;
                r->gap = -1;
                continue;
            }
            for (int e = 0; e < E_COUNT; e++)
                sum[e] += r->n[e];
            kx += r->n[E_KBS] == r->n[E_XP];
            kf += r->n[E_KBS] == r->n[E_FTS];
            xf += r->n[E_XP] == r->n[E_FTS];
            all += r->n[E_KBS] == r->n[E_XP] && r->n[E_XP] == r->n[E_FTS];
            double g1 = log_gap(r->n[E_KBS], r->n[E_XP]), g2 = log_gap(r->n[E_KBS], r->n[E_FTS]);
            r->gap = g1 > g2 ? g1 : g2;
        }
        printf("agree class=%s n=%zu all_three=%zu kbs_eq_xapian=%zu kbs_eq_fts5=%zu "
               "xapian_eq_fts5=%zu kbs_fallbacks=%zu failed=%zu sum_kbsearch=%" PRIu64
               " sum_fts5=%" PRIu64 " sum_xapian=%" PRIu64 "\n",
               class_names[c], n, all, kx, kf, xf, fallback, failed, sum[E_KBS], sum[E_FTS],
               sum[E_XP]);
        qsort(rows, n, sizeof *rows, cmp_gap);
        printf("  largest differences (kbsearch | fts5 | xapian  query):\n");
        for (size_t i = 0; i < n && i < 8 && rows[i].gap > 0; i++)
            printf("  %8" PRIu64 " | %8" PRIu64 " | %8" PRIu64 "  %s\n", rows[i].n[E_KBS],
                   rows[i].n[E_FTS], rows[i].n[E_XP], sets[c].q[rows[i].i].kbs);
        free(rows);
    }
}

/* ---- whole processes and cold caches ---- */

/* Runs `kbsearch --db DB QUERY` with its output thrown away; the wall time
 * from fork to reaping, and the child's CPU time and peak RSS from wait4(). */
static int run_process(const char *cli, const char *db, const char *query, double *ms,
                       double *cpu_ms, long *rss_kb)
{
    fflush(NULL);
    double t0 = now_seconds();
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execl(cli, cli, "--db", db, "--color=never", "--", query, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
        ;
    *ms = (now_seconds() - t0) * 1000.0;
    *cpu_ms = (double)ru.ru_utime.tv_sec * 1e3 + (double)ru.ru_utime.tv_usec / 1e3 +
              (double)ru.ru_stime.tv_sec * 1e3 + (double)ru.ru_stime.tv_usec / 1e3;
    *rss_kb = ru.ru_maxrss;
    /* 1 is "nothing found", a normal answer. */
    return WIFEXITED(status) && WEXITSTATUS(status) <= 1 ? 0 : -1;
}

/* Whole-system: sync, then drop the page cache, dentries and inodes. */
static int drop_caches(void)
{
    sync();
    int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
    if (fd < 0)
        return -1;
    ssize_t w = write(fd, "3", 1);
    close(fd);
    return w == 1 ? 0 : -1;
}

static int evict_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag != FTW_F || !S_ISREG(sb->st_mode))
        return 0;
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        close(fd);
    }
    return 0;
}

/* Only this index's pages: no root needed, and the rest of a shared
 * machine keeps its cache. */
static void evict_index(const struct config *cfg, int e)
{
    char *p = engine_path(cfg, e);
    nftw(p, evict_cb, 16, FTW_PHYS);
    free(p);
}

/* Open, search with snippets, read, close: what a first query costs. */
static int cold_query(const struct config *cfg, int e, const struct query *q, double *ms, char *err,
                      size_t errlen)
{
    struct engines one;
    memset(&one, 0, sizeof one);
    double t0 = now_seconds();
    open_engine(cfg, e, &one);
    struct outcome o;
    int rc = run_one(&one, e, q, 1, &o, err, errlen);
    close_engine(e, &one);
    *ms = (now_seconds() - t0) * 1000.0;
    return rc;
}

/* The queries of the process runs: round the base classes, one of each in
 * turn, so that every kind is in the figure. */
static const struct query *nth_mixed(struct qset sets[C_COUNT], size_t k)
{
    for (size_t tries = 0; tries < C_COUNT; tries++, k++) {
        const struct qset *s = &sets[k % C_COUNT];
        if (k / C_COUNT < s->n)
            return &s->q[k / C_COUNT];
    }
    return NULL;
}

static void print_process_stats(const char *label, const double *ms, const double *cpu,
                                const long *rss, size_t n, size_t failed)
{
    struct stats s = compute_stats(ms, n), u = compute_stats(cpu, n);
    long rmax = 0;
    double *r = xmalloc((n ? n : 1) * sizeof *r);
    for (size_t i = 0; i < n; i++) {
        r[i] = (double)rss[i] / 1024.0;
        rmax = rss[i] > rmax ? rss[i] : rmax;
    }
    struct stats rs = compute_stats(r, n);
    printf("process %s n=%zu failed=%zu p50_ms=%.2f p90_ms=%.2f max_ms=%.2f mean_ms=%.2f "
           "cpu_p50_ms=%.2f cpu_p90_ms=%.2f rss_p50_mib=%.1f rss_max_mib=%.1f\n",
           label, s.n, failed, s.p50, s.p90, s.max, s.mean, u.p50, u.p90, rs.p50,
           (double)rmax / 1024.0);
    free(r);
}

static void processes(const struct config *cfg, struct qset sets[C_COUNT], int cold_ok)
{
    if (cfg->cli == NULL || cfg->process == 0)
        return;
    char *db = engine_path(cfg, E_KBS);
    size_t n = 0;
    const struct query **qs = xmalloc(cfg->process * sizeof *qs);
    for (size_t k = 0; k < cfg->process; k++)
        if ((qs[n] = nth_mixed(sets, k)) != NULL)
            n++;
    double *ms = xmalloc((n ? n : 1) * sizeof *ms);
    double *cpu = xmalloc((n ? n : 1) * sizeof *cpu);
    long *rss = xmalloc((n ? n : 1) * sizeof *rss);
    printf("\n# whole process: %s --db IDX --color=never -- QUERY (open, search, print %d "
           "results with snippets to /dev/null), queries taken in turn from each class\n",
           cfg->cli, TOP);
    for (size_t i = 0; i < n; i++)
        run_process(cfg->cli, db, qs[i]->kbs, &ms[i], &cpu[i], &rss[i]);
    size_t failed = 0;
    for (size_t i = 0; i < n; i++)
        if (run_process(cfg->cli, db, qs[i]->kbs, &ms[i], &cpu[i], &rss[i]) != 0) {
            failed++;
            ms[i] = cpu[i] = NAN;
        }
    print_process_stats("warm", ms, cpu, rss, n, failed);
    if (cold_ok && cfg->cold > 0) {
        size_t m = n < cfg->cold ? n : cfg->cold;
        failed = 0;
        for (size_t i = 0; i < m; i++) {
            if (cfg->cold_fadvise)
                evict_index(cfg, E_KBS);
            else
                drop_caches();
            if (run_process(cfg->cli, db, qs[i]->kbs, &ms[i], &cpu[i], &rss[i]) != 0) {
                failed++;
                ms[i] = cpu[i] = NAN;
            }
        }
        print_process_stats("cold", ms, cpu, rss, m, failed);
    }
    free(ms);
    free(cpu);
    free(rss);
    free(qs);
    free(db);
}

/* Returns whether cold runs could be made (and so were). */
static int cold_runs(const struct config *cfg, struct qset sets[C_COUNT])
{
    if (cfg->cold == 0)
        return 0;
    if (!cfg->cold_fadvise && drop_caches() != 0) {
        printf("\n# cold cache: drop_caches refused (%s): no cold runs; try --cold-method "
               "fadvise\n",
               strerror(errno));
        return 0;
    }
    printf("\n# cold cache: %s before each query; open + search + %d results with snippets + "
           "close, in-process; up to %zu queries per class\n",
           cfg->cold_fadvise ? "the index's files evicted (posix_fadvise DONTNEED)"
                             : "sync; echo 3 > /proc/sys/vm/drop_caches",
           TOP, cfg->cold);
    printf("%-18s %-12s %6s %9s %9s %9s %9s\n", "class", "engine", "n", "p50 ms", "p90 ms",
           "max ms", "mean ms");
    char err[512];
    for (int c = 0; c < C_COUNT; c++) {
        size_t n = sets[c].n < cfg->cold ? sets[c].n : cfg->cold;
        double *ms[E_COUNT];
        for (int e = 0; e < E_COUNT; e++)
            ms[e] = xmalloc((n ? n : 1) * sizeof(double));
        for (size_t i = 0; i < n; i++) {
            /* One drop serves the three engines: each reads only its own
             * files, which stay cold until it runs. */
            if (!cfg->cold_fadvise)
                drop_caches();
            for (int k = 0; k < E_COUNT; k++) {
                int e = (int)((i + (size_t)k) % E_COUNT);
                if (!(cfg->engines & (1u << e)))
                    continue;
                if (cfg->cold_fadvise)
                    evict_index(cfg, e);
                if (cold_query(cfg, e, &sets[c].q[i], &ms[e][i], err, sizeof err) != 0)
                    ms[e][i] = NAN;
            }
        }
        const char *name = class_names[c];
        for (int e = 0; e < E_COUNT; e++) {
            if (!(cfg->engines & (1u << e))) {
                free(ms[e]);
                continue;
            }
            struct stats s = compute_stats(ms[e], n);
            printf("%-18s %-12s %6zu %9.2f %9.2f %9.2f %9.2f\n", name, engine_names[e], s.n, s.p50,
                   s.p90, s.max, s.mean);
            name = "";
            free(ms[e]);
        }
    }
    return 1;
}

/* ---- profiling ---- */

/* Runs one class over and over, for perf: `perf record -g bench_query ...
 * --loop phrase+snip`. */
static void loop(const struct config *cfg, struct engines *en, struct qset sets[C_COUNT])
{
    size_t len = strcspn(cfg->loop, "+");
    int snip = strcmp(cfg->loop + len, "+snip") == 0;
    int c = 0;
    while (c < C_COUNT && (strlen(class_names[c]) != len || memcmp(class_names[c], cfg->loop, len)))
        c++;
    if (c == C_COUNT || (cfg->loop[len] != '\0' && !snip))
        die("--loop: unknown class %s", cfg->loop);
    if (sets[c].n == 0)
        die("--loop: no %s queries", class_names[c]);
    char err[512];
    for (int e = 0; e < E_COUNT; e++) {
        if (!(cfg->engines & (1u << e)))
            continue;
        size_t runs = 0, failed = 0;
        double t0 = now_seconds(), c0 = cpu_seconds(), t = 0;
        while ((t = now_seconds() - t0) < cfg->loop_seconds)
            for (size_t i = 0; i < sets[c].n; i++, runs++) {
                struct outcome o;
                failed += run_one(en, e, &sets[c].q[i], snip, &o, err, sizeof err) != 0;
            }
        /* CPU time too: on a busy machine it says more than the wall clock
         * when two builds are compared (A/B runs alternated). */
        double cpu = cpu_seconds() - c0;
        printf("loop class=%s engine=%s runs=%zu failed=%zu seconds=%.2f mean_ms=%.4f "
               "cpu_mean_ms=%.4f\n",
               cfg->loop, engine_names[e], runs, failed, t, runs ? t * 1000.0 / (double)runs : 0,
               runs ? cpu * 1000.0 / (double)runs : 0);
    }
}

/* ---- main ---- */

static void usage(FILE *f)
{
    fprintf(f, "usage: bench_query --dir DIR --files LIST --work WORK [options]\n"
               "  --dir DIR          the articles (kbsearch indexes the folder)\n"
               "  --files LIST       the same files, one path a line, sorted (FTS5, Xapian)\n"
               "  --work WORK        where the three indexes are kept between runs\n"
               "options:\n"
               "  --queries N        queries per class (default 300)\n"
               "  --seed S           the query set's seed (default 1)\n"
               "  --engines LIST     comma-separated subset of kbsearch,fts5,xapian\n"
               "  --classes LIST     time only these classes (comma-separated: term-rare,\n"
               "                     term-medium, term-common, and, or, phrase, prefix, date)\n"
               "  --no-snippets      leave out the +snip rows\n"
               "  --no-pin           do not lock the indexes' files in memory for the warm runs\n"
               "  --cli PATH         the kbsearch program, for the whole-process runs\n"
               "  --process N        whole-process runs (default 50; 0: none)\n"
               "  --cold N           cold-cache queries per class (default 30; 0: none)\n"
               "  --cold-method M    drop (drop_caches, the default) or fadvise (this\n"
               "                     index's files only)\n"
               "  --rebuild          build the indexes again even if they look current\n"
               "  --keep-index       reuse the kbsearch index even if it was built by another\n"
               "                     libkbsearch (normally it is built again)\n"
               "  --save-queries F   write the query set, in each engine's syntax, to F\n"
               "  --loop CLASS[+snip] only run CLASS repeatedly (for perf), --loop-seconds\n"
               "                     S each engine (default 20)\n"
               "  --label NAME       the dataset's name in the output\n");
}

static uint64_t parse_count(const char *opt, const char *v, uint64_t max)
{
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || v[0] == '-' || n > max)
        die("%s: '%s' is not a number from 0 to %" PRIu64, opt, v, max);
    return (uint64_t)n;
}

static unsigned parse_engines(const char *s)
{
    unsigned bits = 0;
    for (const char *p = s; *p;) {
        size_t n = strcspn(p, ",");
        int e = 0;
        while (e < E_COUNT && (strlen(engine_names[e]) != n || memcmp(engine_names[e], p, n)))
            e++;
        if (e == E_COUNT)
            die("unknown engine %.*s", (int)n, p);
        bits |= 1u << e;
        p += n + (p[n] == ',');
    }
    if (bits == 0)
        die("--engines: no engine");
    return bits;
}

/* "and,phrase": a bit per class named. */
static unsigned parse_classes(const char *v)
{
    unsigned bits = 0;
    while (*v) {
        size_t len = strcspn(v, ",");
        int c = 0;
        while (c < C_COUNT && (strlen(class_names[c]) != len || memcmp(class_names[c], v, len)))
            c++;
        if (c == C_COUNT)
            die("--classes: unknown class '%.*s' (term-rare, term-medium, term-common, and, or, "
                "phrase, prefix, date)",
                (int)len, v);
        bits |= 1u << c;
        v += len + (v[len] == ',');
    }
    if (!bits)
        die("--classes: no class");
    return bits;
}

static void parse_args(int argc, char **argv, struct config *cfg)
{
    cfg->engines = 7u;
    cfg->per_class = 300;
    cfg->seed = 1;
    cfg->cold = 30;
    cfg->process = 50;
    cfg->loop_seconds = 20;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(a, "--rebuild") == 0) {
            cfg->rebuild = 1;
            continue;
        }
        if (strcmp(a, "--keep-index") == 0) {
            cfg->keep_index = 1;
            continue;
        }
        if (strcmp(a, "--no-snippets") == 0) {
            cfg->no_snip = 1;
            continue;
        }
        if (strcmp(a, "--no-pin") == 0) {
            cfg->no_pin = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "bench_query: %s needs a value (or is unknown)\n", a);
            usage(stderr);
            exit(2);
        }
        const char *v = argv[++i];
        if (strcmp(a, "--dir") == 0)
            cfg->dir = v;
        else if (strcmp(a, "--files") == 0)
            cfg->files = v;
        else if (strcmp(a, "--work") == 0)
            cfg->work = v;
        else if (strcmp(a, "--label") == 0)
            cfg->label = v;
        else if (strcmp(a, "--cli") == 0)
            cfg->cli = v;
        else if (strcmp(a, "--save-queries") == 0)
            cfg->save_queries = v;
        else if (strcmp(a, "--loop") == 0)
            cfg->loop = v;
        else if (strcmp(a, "--loop-seconds") == 0)
            cfg->loop_seconds = (double)parse_count(a, v, 3600);
        else if (strcmp(a, "--queries") == 0)
            cfg->per_class = parse_count(a, v, 100000);
        else if (strcmp(a, "--seed") == 0)
            cfg->seed = parse_count(a, v, UINT64_MAX);
        else if (strcmp(a, "--cold") == 0)
            cfg->cold = parse_count(a, v, 100000);
        else if (strcmp(a, "--process") == 0)
            cfg->process = parse_count(a, v, 100000);
        else if (strcmp(a, "--engines") == 0)
            cfg->engines = parse_engines(v);
        else if (strcmp(a, "--classes") == 0)
            cfg->classes = parse_classes(v);
        else if (strcmp(a, "--cold-method") == 0) {
            if (strcmp(v, "drop") == 0)
                cfg->cold_fadvise = 0;
            else if (strcmp(v, "fadvise") == 0)
                cfg->cold_fadvise = 1;
            else
                die("--cold-method: '%s' is not drop or fadvise", v);
        } else {
            fprintf(stderr, "bench_query: unknown argument %s\n", a);
            usage(stderr);
            exit(2);
        }
    }
    if (cfg->dir == NULL || cfg->files == NULL || cfg->work == NULL) {
        usage(stderr);
        exit(2);
    }
    if (cfg->per_class == 0)
        die("--queries: at least 1");
    if (cfg->label == NULL)
        cfg->label = cfg->dir;
}

int main(int argc, char **argv)
{
    struct config cfg;
    memset(&cfg, 0, sizeof cfg);
    parse_args(argc, argv, &cfg);
    /* Progress on stderr must not interleave with a half-written table. */
    setvbuf(stdout, NULL, _IOLBF, 0);

    struct filelist fl = {0};
    read_list(cfg.files, &fl);
    ensure_indexes(&cfg, &fl);

    struct engines en;
    memset(&en, 0, sizeof en);
    for (int e = 0; e < E_COUNT; e++)
        if ((cfg.engines & (1u << e)) || e == E_FTS)
            open_engine(&cfg, e, &en);

    struct qset sets[C_COUNT];
    memset(sets, 0, sizeof sets);
    struct df_bounds bounds;
    double t0 = now_seconds();
    gen_queries(&cfg, &fl, &en, sets, &bounds);
    fprintf(stderr, "bench_query: drew the query set in %.1f s\n", now_seconds() - t0);
    if (cfg.save_queries != NULL)
        save_queries(cfg.save_queries, sets);
    for (int c = 0; c < C_COUNT; c++)
        if (cfg.classes && !(cfg.classes & (1u << c)))
            sets[c].n = 0; /* not timed, not compared; freed with the rest */

    /* Warm means in memory: the files stay locked there until the cold runs
     * (see pin.h). */
    pin_set pins = {0};
    if (!cfg.no_pin)
        for (int e = 0; e < E_COUNT; e++) {
            if (!(cfg.engines & (1u << e)))
                continue;
            char *p = engine_path(&cfg, e), perr[512];
            if (pin_path(&pins, p, perr, sizeof perr) != 0)
                die("%s (--no-pin runs without)", perr);
            free(p);
        }

    if (cfg.loop != NULL) {
        loop(&cfg, &en, sets);
    } else {
        double load[3] = {-1, -1, -1};
        if (getloadavg(load, 3) < 0)
            load[0] = load[1] = load[2] = -1;
        printf("# bench_query: dataset %s (%zu files), kbsearch %s, SQLite %s, load average "
               "%.2f %.2f %.2f, %ld cores\n",
               cfg.label, fl.n, kbs_version_string(), sqlite3_libversion(), load[0], load[1],
               load[2], sysconf(_SC_NPROCESSORS_ONLN));
        printf("# indexes:");
        for (int e = 0; e < E_COUNT; e++) {
            char *p = engine_path(&cfg, e);
            printf(" %s %.1f MiB%s", engine_names[e], (double)tree_bytes(p) / MIB,
                   e + 1 < E_COUNT ? "," : "\n");
            free(p);
        }
        printf("# queries: up to %zu per class, seed %" PRIu64
               ", from headline words; document frequency (FTS5): rare 1..%" PRId64
               ", medium ..%" PRId64 ", common more\n",
               cfg.per_class, cfg.seed, bounds.rare_max, bounds.medium_max);
        printf("# in-process, warm (every query run once on each engine first%s), top %d, "
               "engines interleaved query by query; +snip: with snippets\n",
               cfg.no_pin ? "" : "; the indexes' files locked in memory", TOP);
        fprintf(stderr, "bench_query: warming up...\n");
        t0 = now_seconds();
        warm_up(&cfg, &en, sets);
        fprintf(stderr, "bench_query: warm-up took %.1f s; timing...\n", now_seconds() - t0);
        static struct timing t[E_COUNT][C_COUNT][2];
        t0 = now_seconds();
        time_all(&cfg, &en, sets, t);
        fprintf(stderr, "bench_query: timing took %.1f s\n", now_seconds() - t0);
        print_machine_lines(&cfg, t);
        print_table(&cfg, t);
        agreement(&cfg, &en, sets, (uint32_t)fl.n);
        /* The cold runs open their own handles, as a new process would. */
        for (int e = 0; e < E_COUNT; e++)
            close_engine(e, &en);
        pin_release(&pins);
        int cold_ok = cold_runs(&cfg, sets);
        processes(&cfg, sets, cold_ok);
        for (int e = 0; e < E_COUNT; e++)
            for (int c = 0; c < C_COUNT; c++)
                for (int s = 0; s < 2; s++) {
                    free(t[e][c][s].ms);
                    free(t[e][c][s].cpu);
                }
    }
    for (int e = 0; e < E_COUNT; e++)
        close_engine(e, &en);
    pin_release(&pins);
    for (int c = 0; c < C_COUNT; c++)
        free(sets[c].q);
    filelist_free(&fl);
    return 0;
}
