/*
 * bench_index.c - measures indexing: kbsearch beside SQLite FTS5 and plain
 * Xapian, on the same files, in one run.
 *
 * The machine is shared and noisy, so a figure alone means little; what this
 * program is for is the ratio between engines measured minutes apart under
 * the same conditions. See bench/README.md for how to read the output.
 *
 *   bench_index --engine E  --dir DIR [--files LIST] --out OUT [--warm]
 *       indexes in this process and prints one machine-readable line.
 *   bench_index --engines E1,E2,... --dir DIR [--files LIST] --out OUT
 *               [--label NAME] [--warm] [--no-optimize]
 *       runs each engine in a child process of its own (so that its peak
 *       memory is its own, from wait4()), prints each child's line, then a
 *       table and the ratios of kbsearch to the others.
 *
 * Engines: kbsearch (kbs_index_dir over DIR: the product's real path), fts5
 * and xapian (each file of LIST, or of DIR walked like kbs_index_dir does, read
 * and added in sorted path order). Each writes its index to OUT/<engine>,
 * which must not exist yet.
 */
#include "kbsearch.h"
#include "plain_xapian.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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
/* FTS5 rows per transaction: what a careful SQLite user does; one transaction
 * per row would measure fsync, not FTS5. */
#define FTS5_BATCH 1000

enum engine { ENG_KBSEARCH, ENG_FTS5, ENG_FTS5_OPTIMIZE, ENG_XAPIAN, ENG_FLOOR, ENG_COUNT };

static const char *const engine_names[ENG_COUNT] = {"kbsearch", "fts5", "fts5-optimize", "xapian",
                                                    "xapian-floor"};

struct config {
    const char *dir;
    const char *files;
    const char *out;
    const char *label;
    int warm;        /* --warm: never try to drop the page cache */
    int no_optimize; /* --no-optimize: skip the FTS5 optimize step */
};

struct filelist {
    char **paths;
    size_t n, cap;
};

/* One engine's figures: what the child measured plus what wait4() saw. */
struct result {
    int engine;
    int ok;
    uint64_t docs;
    uint64_t bytes;
    uint64_t skipped;
    double seconds;
    uint64_t disk_bytes;
    int64_t store_bytes; /* kbsearch only; -1 elsewhere */
    int64_t free_bytes;  /* SQLite only: free pages in the file; -1 elsewhere */
    long maxrss_kb;
    double cpu_seconds;
    /* kbsearch only (-1 elsewhere): the same folder indexed again with
     * nothing changed, then with 1% of its files changed. */
    double reindex_seconds;
    double changed_seconds;
    int64_t changed_files;
    char error[512];
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_error(struct result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(struct result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
    /* The error travels on one line of a pipe. */
    for (char *p = r->error; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    r->ok = 0;
}

static char *join_path(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (p == NULL)
        return NULL;
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

/* ---- file lists ---- */

static int filelist_push(struct filelist *fl, char *path)
{
    if (fl->n == fl->cap) {
        size_t cap = fl->cap ? fl->cap * 2 : 1024;
        char **p = realloc(fl->paths, cap * sizeof *p);
        if (p == NULL)
            return -1;
        fl->paths = p;
        fl->cap = cap;
    }
    fl->paths[fl->n++] = path;
    return 0;
}

static void filelist_free(struct filelist *fl)
{
    for (size_t i = 0; i < fl->n; i++)
        free(fl->paths[i]);
    free(fl->paths);
    fl->paths = NULL;
    fl->n = fl->cap = 0;
}

static int cmp_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walks like kbs_index_dir is documented to (regular files, recursively,
 * names starting with '.' skipped), so that every engine sees the same set. */
static int walk_dir(const char *dir, struct filelist *fl, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        snprintf(err, errlen, "cannot open folder %s: %s", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *p = join_path(dir, e->d_name);
        struct stat st;
        if (p == NULL) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        } else if (lstat(p, &st) != 0) {
            snprintf(err, errlen, "cannot stat %s: %s", p, strerror(errno));
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk_dir(p, fl, err, errlen);
        } else if (S_ISREG(st.st_mode)) {
            if (filelist_push(fl, p) != 0) {
                snprintf(err, errlen, "out of memory");
                rc = -1;
            } else {
                p = NULL;
            }
        }
        free(p);
    }
    closedir(d);
    return rc;
}

static int read_list_file(const char *list, struct filelist *fl, char *err, size_t errlen)
{
    FILE *f = fopen(list, "r");
    if (f == NULL) {
        snprintf(err, errlen, "cannot open file list %s: %s", list, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0)
            continue;
        char *p = strdup(line);
        if (p == NULL || filelist_push(fl, p) != 0) {
            free(p);
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "cannot read file list %s", list);
        rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
}

static int load_inputs(const struct config *cfg, struct filelist *fl, char *err, size_t errlen)
{
    if (cfg->files != NULL)
        return read_list_file(cfg->files, fl, err, errlen);
    if (walk_dir(cfg->dir, fl, err, errlen) != 0)
        return -1;
    qsort(fl->paths, fl->n, sizeof *fl->paths, cmp_paths);
    return 0;
}

/* Reads a whole file into *buf (grown as needed; reused across files). */
static int read_file(const char *path, char **buf, size_t *cap, size_t *len, char *err,
                     size_t errlen)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    *len = 0;
    for (;;) {
        if (*cap - *len < 65536) {
            size_t ncap = *cap ? *cap * 2 : 1 << 20;
            char *p = realloc(*buf, ncap);
            if (p == NULL) {
                snprintf(err, errlen, "out of memory reading %s", path);
                close(fd);
                return -1;
            }
            *buf = p;
            *cap = ncap;
        }
        ssize_t got = read(fd, *buf + *len, *cap - *len - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (got == 0)
            break;
        *len += (size_t)got;
    }
    (*buf)[*len] = '\0';
    close(fd);
    return 0;
}

/* Sum of the sizes of the regular files under path (or of path itself). */
static int tree_bytes(const char *path, uint64_t *total)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return -1;
    if (S_ISREG(st.st_mode)) {
        *total += (uint64_t)st.st_size;
        return 0;
    }
    if (!S_ISDIR(st.st_mode))
        return 0;
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *p = join_path(path, e->d_name);
        rc = p == NULL ? -1 : tree_bytes(p, total);
        free(p);
    }
    closedir(d);
    return rc;
}

/* ---- the page cache ---- */

/* Dropping the cache gives every engine the same cold start; it needs root
 * and a writable /proc/sys, which containers often refuse. */
static int drop_page_cache(void)
{
    sync();
    int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
    if (fd < 0)
        return -1;
    ssize_t w = write(fd, "1", 1);
    close(fd);
    return w == 1 ? 0 : -1;
}

/* The fallback: every engine then starts with all inputs in memory. */
static int warm_page_cache(const struct config *cfg, char *err, size_t errlen)
{
    struct filelist fl = {0};
    if (load_inputs(cfg, &fl, err, errlen) != 0) {
        filelist_free(&fl);
        return -1;
    }
    char *buf = NULL;
    size_t cap = 0, len;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < fl.n; i++)
        rc = read_file(fl.paths[i], &buf, &cap, &len, err, errlen);
    free(buf);
    filelist_free(&fl);
    return rc;
}

/* ---- the engines ---- */

/* One timed kbs_index_dir() run over an existing index; *updated gets the
 * articles it indexed again. -1 on failure (r's error set). */
static double timed_run(const struct config *cfg, const char *out, struct result *r,
                        uint64_t *updated)
{
    kbs_db *db = NULL;
    char *msg = NULL;
    kbs_index_report rep;
    memset(&rep, 0, sizeof rep);
    double t0 = now_seconds();
    int rc = kbs_db_open(out, KBS_OPEN_WRITE, &db, &msg);
    if (rc != KBS_OK) {
        set_error(r, "re-index: kbs_db_open %s: %s: %s", out, kbs_strerror(rc), msg ? msg : "");
        kbs_free(msg);
        return -1;
    }
    rc = kbs_index_dir(db, cfg->dir, NULL, &rep);
    if (rc != KBS_OK)
        set_error(r, "re-index: %s: %s", kbs_strerror(rc), kbs_db_errmsg(db));
    if (kbs_db_close(db) != KBS_OK && rc == KBS_OK) {
        set_error(r, "re-index: kbs_db_close failed");
        rc = KBS_EIO;
    }
    *updated = rep.updated + rep.added;
    return rc == KBS_OK ? now_seconds() - t0 : -1;
}

/* The hidden name beside path that keeps its original while a changed
 * version stands in for it (kbs_index_dir skips names starting with '.'). */
static char *orig_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
    char *p = malloc(strlen(path) + 16);
    if (p)
        sprintf(p, "%.*s.kbs-orig-%s", (int)dir, path, path + dir);
    return p;
}

/* Re-indexing: with nothing changed, then with every 100th file changed.
 * A file is changed by renaming a new file over it (its original kept under
 * a hidden name, and put back after): the data folder holds hard links to
 * the unpacked corpus, which must never be written through. */
static void reindex(const struct config *cfg, const char *out, struct result *r)
{
    uint64_t n = 0;
    r->reindex_seconds = timed_run(cfg, out, r, &n);
    if (r->reindex_seconds < 0)
        return;
    struct filelist fl = {0};
    char err[512];
    if (walk_dir(cfg->dir, &fl, err, sizeof err) != 0) {
        set_error(r, "re-index: %s", err);
        filelist_free(&fl);
        return;
    }
    qsort(fl.paths, fl.n, sizeof *fl.paths, cmp_paths);
    char *buf = NULL;
    size_t cap = 0, len = 0;
    for (size_t i = 0; i < fl.n && r->ok; i += 100) {
        char *orig = orig_name(fl.paths[i]);
        char *tmp = orig ? malloc(strlen(orig) + 5) : NULL;
        if (!tmp) {
            set_error(r, "out of memory");
            free(orig);
            break;
        }
        sprintf(tmp, "%s.new", orig);
        FILE *f = NULL;
        if (read_file(fl.paths[i], &buf, &cap, &len, err, sizeof err) != 0)
            set_error(r, "re-index: %s", err);
        else if (link(fl.paths[i], orig) != 0)
            set_error(r, "re-index: link %s: %s", orig, strerror(errno));
        else if (!(f = fopen(tmp, "wb")))
            set_error(r, "re-index: %s: %s", tmp, strerror(errno));
        if (f) {
            /* A correction at the end, as an updated story would have. */
            static const char more[] = "\n\nThis story was updated to correct a figure.\n";
            int bad = fwrite(buf, 1, len, f) != len || fputs(more, f) < 0;
            bad |= fclose(f) != 0;
            if (bad || rename(tmp, fl.paths[i]) != 0)
                set_error(r, "re-index: cannot change %s: %s", fl.paths[i], strerror(errno));
        }
        free(tmp);
        free(orig);
    }
    if (r->ok) {
        uint64_t upd = 0;
        r->changed_seconds = timed_run(cfg, out, r, &upd);
        r->changed_files = (int64_t)upd;
    }
    /* Put every original back, whatever happened. */
    for (size_t i = 0; i < fl.n; i += 100) {
        char *orig = orig_name(fl.paths[i]);
        if (orig && access(orig, F_OK) == 0 && rename(orig, fl.paths[i]) != 0 && r->ok)
            set_error(r, "re-index: cannot put back %s: %s", fl.paths[i], strerror(errno));
        free(orig);
    }
    free(buf);
    filelist_free(&fl);
}

static void run_kbsearch(const struct config *cfg, const char *out, struct result *r)
{
    if (cfg->dir == NULL) {
        set_error(r, "kbsearch indexes a folder: give --dir");
        return;
    }
    kbs_db *db = NULL;
    char *msg = NULL;
    kbs_index_report rep;
    memset(&rep, 0, sizeof rep);
    double t0 = now_seconds();
    int rc = kbs_db_open(out, KBS_OPEN_WRITE | KBS_OPEN_CREATE, &db, &msg);
    if (rc != KBS_OK) {
        set_error(r, "kbs_db_open %s: %s: %s", out, kbs_strerror(rc), msg ? msg : "");
        kbs_free(msg);
        return;
    }
    rc = kbs_index_dir(db, cfg->dir, NULL, &rep);
    if (rc != KBS_OK) {
        set_error(r, "kbs_index_dir %s: %s: %s", cfg->dir, kbs_strerror(rc), kbs_db_errmsg(db));
        kbs_db_close(db);
        return;
    }
    rc = kbs_db_close(db);
    r->seconds = now_seconds() - t0;
    if (rc != KBS_OK) {
        set_error(r, "kbs_db_close: %s", kbs_strerror(rc));
        return;
    }
    r->docs = rep.added + rep.updated;
    r->bytes = rep.bytes_indexed;
    r->skipped = rep.skipped;

    /* Outside the timing: the stats are the product's own account of its store. */
    kbs_stats st;
    rc = kbs_db_open(out, KBS_OPEN_READ, &db, &msg);
    if (rc == KBS_OK)
        rc = kbs_db_stats(db, &st);
    if (rc != KBS_OK) {
        set_error(r, "kbs_db_stats: %s: %s", kbs_strerror(rc), msg ? msg : kbs_db_errmsg(db));
        kbs_free(msg);
        kbs_db_close(db);
        return;
    }
    kbs_db_close(db);
    r->store_bytes = (int64_t)st.store_bytes;
    r->ok = 1;
    reindex(cfg, out, r);
}

static int sql_exec(sqlite3 *db, const char *sql, struct result *r)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        set_error(r, "sqlite: %s: %s", sql, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* SQLite never shrinks its file by itself: after optimize the pages of the
 * old segments stay in it as free pages until a VACUUM. */
static int64_t sqlite_free_bytes(sqlite3 *db)
{
    int64_t page = -1, nfree = -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        page = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA freelist_count", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        nfree = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return page < 0 || nfree < 0 ? -1 : page * nfree;
}

static char *fts5_db_path(const char *out)
{
    return join_path(out, "index.sqlite");
}

static void run_fts5(const struct config *cfg, const char *out, struct result *r)
{
    struct filelist fl = {0};
    char err[512];
    char *dbpath = fts5_db_path(out);
    char *buf = NULL;
    size_t cap = 0, len;
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL;

    if (dbpath == NULL || load_inputs(cfg, &fl, err, sizeof err) != 0) {
        set_error(r, "%s", dbpath == NULL ? "out of memory" : err);
        goto done;
    }
    if (mkdir(out, 0777) != 0) {
        set_error(r, "cannot create %s: %s", out, strerror(errno));
        goto done;
    }
    double t0 = now_seconds();
    if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        set_error(r, "sqlite3_open %s: %s", dbpath, db ? sqlite3_errmsg(db) : "out of memory");
        goto done;
    }
    if (sql_exec(db,
                 "CREATE VIRTUAL TABLE docs USING fts5(path UNINDEXED, body, "
                 "tokenize='porter unicode61')",
                 r) != 0)
        goto done;
    if (sqlite3_prepare_v2(db, "INSERT INTO docs(path, body) VALUES (?1, ?2)", -1, &ins, NULL) !=
        SQLITE_OK) {
        set_error(r, "sqlite prepare: %s", sqlite3_errmsg(db));
        goto done;
    }
    if (sql_exec(db, "BEGIN", r) != 0)
        goto done;
    for (size_t i = 0; i < fl.n; i++) {
        if (read_file(fl.paths[i], &buf, &cap, &len, err, sizeof err) != 0) {
            set_error(r, "%s", err);
            goto done;
        }
        sqlite3_bind_text(ins, 1, fl.paths[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, buf, (int)len, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            set_error(r, "sqlite insert %s: %s", fl.paths[i], sqlite3_errmsg(db));
            goto done;
        }
        sqlite3_reset(ins);
        r->docs++;
        r->bytes += len;
        if (r->docs % FTS5_BATCH == 0 &&
            (sql_exec(db, "COMMIT", r) != 0 || sql_exec(db, "BEGIN", r) != 0))
            goto done;
    }
    if (sql_exec(db, "COMMIT", r) != 0)
        goto done;
    sqlite3_finalize(ins);
    ins = NULL;
    r->free_bytes = sqlite_free_bytes(db);
    if (sqlite3_close(db) != SQLITE_OK) {
        set_error(r, "sqlite3_close: %s", sqlite3_errmsg(db));
        db = NULL;
        goto done;
    }
    db = NULL;
    r->seconds = now_seconds() - t0;
    r->ok = 1;
done:
    sqlite3_finalize(ins);
    sqlite3_close(db);
    free(buf);
    free(dbpath);
    filelist_free(&fl);
}

/* A separate step (and process) so that FTS5's indexing figures stay those
 * of the default use, and the optimize's memory is not charged to them. */
static void run_fts5_optimize(const char *out, struct result *r)
{
    char *dbpath = fts5_db_path(out);
    sqlite3 *db = NULL;
    if (dbpath == NULL) {
        set_error(r, "out of memory");
        return;
    }
    double t0 = now_seconds();
    if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        set_error(r, "sqlite3_open %s: %s", dbpath, db ? sqlite3_errmsg(db) : "out of memory");
    } else if (sql_exec(db, "INSERT INTO docs(docs) VALUES ('optimize')", r) == 0) {
        r->free_bytes = sqlite_free_bytes(db);
        if (sqlite3_close(db) != SQLITE_OK)
            set_error(r, "sqlite3_close: %s", sqlite3_errmsg(db));
        else
            r->ok = 1;
        db = NULL;
        r->seconds = now_seconds() - t0;
    }
    sqlite3_close(db);
    free(dbpath);
}

/* Plain Xapian, or (floor) the least any positional index built through
 * Xapian's API must do (xp_floor_open in shim/plain_xapian.h). */
static void run_xapian(const struct config *cfg, const char *out, int floor, struct result *r)
{
    struct filelist fl = {0};
    char err[512];
    char *buf = NULL;
    size_t cap = 0, len;
    xp_index *ix = NULL;

    if (load_inputs(cfg, &fl, err, sizeof err) != 0) {
        set_error(r, "%s", err);
        goto done;
    }
    double t0 = now_seconds();
    int rc =
        floor ? xp_floor_open(out, &ix, err, sizeof err) : xp_index_open(out, &ix, err, sizeof err);
    if (rc != KBS_OK) {
        set_error(r, "%s %s: %s: %s", floor ? "xp_floor_open" : "xp_index_open", out,
                  kbs_strerror(rc), err);
        goto done;
    }
    for (size_t i = 0; i < fl.n; i++) {
        if (read_file(fl.paths[i], &buf, &cap, &len, err, sizeof err) != 0) {
            set_error(r, "%s", err);
            goto done;
        }
        rc = xp_index_add(ix, buf, len);
        if (rc != KBS_OK) {
            set_error(r, "xp_index_add %s: %s: %s", fl.paths[i], kbs_strerror(rc),
                      xp_index_errmsg(ix));
            goto done;
        }
        r->docs++;
        r->bytes += len;
    }
    rc = xp_index_close(ix, err, sizeof err);
    ix = NULL;
    if (rc != KBS_OK) {
        set_error(r, "xp_index_close: %s: %s", kbs_strerror(rc), err);
        goto done;
    }
    r->seconds = now_seconds() - t0;
    r->ok = 1;
done:
    xp_index_close(ix, err, sizeof err);
    free(buf);
    filelist_free(&fl);
}

/* Indexes with one engine in this process and fills *r (r->ok says whether
 * it worked). The index goes to OUT/<engine>. */
static void run_engine(const struct config *cfg, int engine, struct result *r)
{
    memset(r, 0, sizeof *r);
    r->engine = engine;
    r->store_bytes = -1;
    r->free_bytes = -1;
    r->reindex_seconds = r->changed_seconds = -1;
    r->changed_files = -1;
    int dir_engine = engine == ENG_FTS5_OPTIMIZE ? ENG_FTS5 : engine;
    char *out = join_path(cfg->out, engine_names[dir_engine]);
    struct stat st;
    if (out == NULL) {
        set_error(r, "out of memory");
        return;
    }
    if (engine != ENG_FTS5_OPTIMIZE && lstat(out, &st) == 0) {
        set_error(r, "%s already exists: remove it first (each run starts from nothing)", out);
        free(out);
        return;
    }
    switch (engine) {
    case ENG_KBSEARCH:
        run_kbsearch(cfg, out, r);
        break;
    case ENG_FTS5:
        run_fts5(cfg, out, r);
        break;
    case ENG_FTS5_OPTIMIZE:
        run_fts5_optimize(out, r);
        break;
    case ENG_XAPIAN:
    case ENG_FLOOR:
        run_xapian(cfg, out, engine == ENG_FLOOR, r);
        break;
    }
    if (r->ok && tree_bytes(out, &r->disk_bytes) != 0)
        set_error(r, "cannot measure the size of %s: %s", out, strerror(errno));
    free(out);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    r->maxrss_kb = ru.ru_maxrss;
    r->cpu_seconds = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---- the machine-readable line ---- */

static double per_second(double x, double seconds)
{
    return seconds > 0 ? x / seconds : 0;
}

/* key=value pairs, one line; the error, when any, comes last and runs to the
 * end of the line because it may hold spaces. */
static void format_line(const struct result *r, char *line, size_t len)
{
    if (!r->ok) {
        snprintf(line, len, "engine=%s error=%s\n", engine_names[r->engine], r->error);
        return;
    }
    snprintf(line, len,
             "engine=%s docs=%" PRIu64 " bytes=%" PRIu64 " skipped=%" PRIu64
             " seconds=%.6f cpu_seconds=%.6f mb_per_s=%.3f docs_per_s=%.1f"
             " disk_bytes=%" PRIu64 " store_bytes=%" PRId64 " free_bytes=%" PRId64 " maxrss_kb=%ld"
             " reindex_seconds=%.6f changed_seconds=%.6f changed_files=%" PRId64 "\n",
             engine_names[r->engine], r->docs, r->bytes, r->skipped, r->seconds, r->cpu_seconds,
             per_second((double)r->bytes / MIB, r->seconds),
             per_second((double)r->docs, r->seconds), r->disk_bytes, r->store_bytes, r->free_bytes,
             r->maxrss_kb, r->reindex_seconds, r->changed_seconds, r->changed_files);
}

static const char *field(const char *line, const char *key)
{
    size_t k = strlen(key);
    for (const char *p = line; (p = strstr(p, key)) != NULL; p += k)
        if ((p == line || p[-1] == ' ') && p[k] == '=')
            return p + k + 1;
    return NULL;
}

static uint64_t field_u64(const char *line, const char *key)
{
    const char *v = field(line, key);
    return v ? strtoull(v, NULL, 10) : 0;
}

static void parse_line(const char *line, struct result *r)
{
    const char *err = field(line, "error");
    if (err != NULL) {
        set_error(r, "%.*s", (int)strcspn(err, "\n"), err);
        return;
    }
    if (field(line, "docs") == NULL) {
        set_error(r, "the child reported nothing (crashed?)");
        return;
    }
    r->ok = 1;
    r->docs = field_u64(line, "docs");
    r->bytes = field_u64(line, "bytes");
    r->skipped = field_u64(line, "skipped");
    r->disk_bytes = field_u64(line, "disk_bytes");
    const char *v = field(line, "seconds");
    r->seconds = v ? strtod(v, NULL) : 0;
    v = field(line, "store_bytes");
    r->store_bytes = v ? strtoll(v, NULL, 10) : -1;
    v = field(line, "free_bytes");
    r->free_bytes = v ? strtoll(v, NULL, 10) : -1;
    v = field(line, "reindex_seconds");
    r->reindex_seconds = v ? strtod(v, NULL) : -1;
    v = field(line, "changed_seconds");
    r->changed_seconds = v ? strtod(v, NULL) : -1;
    v = field(line, "changed_files");
    r->changed_files = v ? strtoll(v, NULL, 10) : -1;
}

/* ---- one child per engine ---- */

static int write_all(int fd, const char *s, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, s, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Forks, runs the engine in the child and collects its line and, from
 * wait4(), its peak RSS and CPU time: the child is the whole engine's life. */
static void run_child(const struct config *cfg, int engine, struct result *r)
{
    memset(r, 0, sizeof *r);
    r->engine = engine;
    r->store_bytes = -1;
    r->free_bytes = -1;
    int fds[2];
    if (pipe(fds) != 0) {
        set_error(r, "pipe: %s", strerror(errno));
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        set_error(r, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        struct result mine;
        char line[1024];
        run_engine(cfg, engine, &mine);
        format_line(&mine, line, sizeof line);
        _exit(write_all(fds[1], line, strlen(line)) == 0 && mine.ok ? 0 : 1);
    }
    close(fds[1]);
    char line[1024];
    size_t used = 0;
    for (;;) {
        ssize_t got = read(fds[0], line + used, sizeof line - 1 - used);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        used += (size_t)got;
    }
    line[used] = '\0';
    close(fds[0]);

    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
        ;
    parse_line(line, r);
    r->maxrss_kb = ru.ru_maxrss;
    r->cpu_seconds = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    if (WIFSIGNALED(status))
        set_error(r, "killed by signal %d", WTERMSIG(status));
}

/* Warming reads every input; done in a child so that this process, whose
 * memory every engine's child starts from, stays small. */
static int warm_in_child(const struct config *cfg, char *err, size_t errlen)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        char e[512];
        int rc = warm_page_cache(cfg, e, sizeof e);
        if (rc != 0)
            fprintf(stderr, "bench_index: warming the cache: %s\n", e);
        _exit(rc == 0 ? 0 : 1);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "could not read every input file");
        return -1;
    }
    return 0;
}

/* ---- the table ---- */

static void print_row(const char *name, const struct result *r, const struct result *opt)
{
    if (!r->ok) {
        printf("%-16s | FAILED: %s\n", name, r->error);
        return;
    }
    double secs = r->seconds, cpu = r->cpu_seconds;
    long rss = r->maxrss_kb;
    uint64_t disk = r->disk_bytes;
    if (opt != NULL) {
        secs += opt->seconds;
        cpu += opt->cpu_seconds;
        rss = opt->maxrss_kb > rss ? opt->maxrss_kb : rss;
        disk = opt->disk_bytes;
    }
    double mib = (double)r->bytes / MIB;
    printf("%-16s | %8" PRIu64 " | %8.2f | %8.2f | %8.2f | %7.2f | %8.1f | %8.1f | %8.2f | %6.3f\n",
           name, r->docs, mib, secs, cpu, per_second(mib, secs), per_second((double)r->docs, secs),
           (double)rss / 1024.0, (double)disk / MIB,
           r->bytes ? (double)disk / (double)r->bytes : 0.0);
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0;
}

static void print_ratio(const char *name, const struct result *k, const struct result *o,
                        const struct result *opt)
{
    if (!k->ok || !o->ok)
        return;
    double secs = o->seconds + (opt ? opt->seconds : 0);
    double cpu = o->cpu_seconds + (opt ? opt->cpu_seconds : 0);
    long rss = o->maxrss_kb;
    if (opt != NULL && opt->maxrss_kb > rss)
        rss = opt->maxrss_kb;
    double disk = (double)(opt ? opt->disk_bytes : o->disk_bytes);
    double ksize = ratio((double)k->disk_bytes, (double)k->bytes);
    double osize = ratio(disk, (double)o->bytes);
    printf("%-16s | %8s | %8s | %7.2fx | %7.2fx | %6.2fx | %7.2fx | %7.2fx | %7.2fx | %5.2fx\n",
           name, "", "", ratio(k->seconds, secs), ratio(k->cpu_seconds, cpu),
           ratio(per_second((double)k->bytes, k->seconds), per_second((double)o->bytes, secs)),
           ratio(per_second((double)k->docs, k->seconds), per_second((double)o->docs, secs)),
           ratio((double)k->maxrss_kb, (double)rss), ratio((double)k->disk_bytes, disk),
           ratio(ksize, osize));
}

/* ---- sizes per component ---- */

#define MAX_PARTS 16
struct parts {
    char name[MAX_PARTS][32];
    uint64_t bytes[MAX_PARTS];
    int n;
};

static void parts_add(struct parts *p, const char *name, uint64_t bytes)
{
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->name[i], name) == 0) {
            p->bytes[i] += bytes;
            return;
        }
    if (p->n == MAX_PARTS)
        return;
    snprintf(p->name[p->n], sizeof p->name[0], "%s", name);
    p->bytes[p->n++] = bytes;
}

/* A glass database's tables ("position" for position.glass); other files
 * (the lock, iamglass, ...) as "other". */
static int glass_parts(const char *dir, struct parts *p)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *path = join_path(dir, e->d_name);
        struct stat st;
        if (path && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            const char *dot = strstr(e->d_name, ".glass");
            char name[32];
            if (dot && dot[6] == '\0' && (size_t)(dot - e->d_name) < sizeof name) {
                snprintf(name, sizeof name, "%.*s", (int)(dot - e->d_name), e->d_name);
                parts_add(p, name, (uint64_t)st.st_size);
            } else {
                parts_add(p, "other", (uint64_t)st.st_size);
            }
        }
        free(path);
    }
    closedir(d);
    return 0;
}

/* FTS5's tables and indexes, from SQLite's dbstat: "docs_content" holds the
 * text, "docs_data" the index's segments; free pages apart. */
static int sqlite_parts(const char *file, struct parts *p)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(file, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return -1;
    }
    sqlite3_stmt *q = NULL;
    int rc =
        sqlite3_prepare_v2(db, "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name", -1, &q, NULL);
    while (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
        parts_add(p, (const char *)sqlite3_column_text(q, 0), (uint64_t)sqlite3_column_int64(q, 1));
    sqlite3_finalize(q);
    q = NULL;
    if (rc == SQLITE_OK &&
        sqlite3_prepare_v2(db,
                           "SELECT freelist_count * page_size FROM pragma_freelist_count, "
                           "pragma_page_size",
                           -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int64(q, 0) > 0)
        parts_add(p, "free pages", (uint64_t)sqlite3_column_int64(q, 0));
    sqlite3_finalize(q);
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

/* One line per engine: each component in MiB and as a fraction of the text,
 * then the store (the originals as the engine keeps them), the index (all
 * the rest) and the total. */
static void print_components(const struct config *cfg, const struct result *res, const int *ran)
{
    static const int engines[] = {ENG_KBSEARCH, ENG_FTS5, ENG_XAPIAN, ENG_FLOOR};
    int header = 0;
    for (size_t i = 0; i < sizeof engines / sizeof engines[0]; i++) {
        int e = engines[i];
        const struct result *r = &res[e];
        if (!ran[e] || !r->ok || r->bytes == 0)
            continue;
        /* FTS5 after its optimize step, when that ran: its file is the same. */
        char *out = join_path(cfg->out, engine_names[e]);
        struct parts p;
        memset(&p, 0, sizeof p);
        char *file = out && e == ENG_FTS5 ? fts5_db_path(out) : NULL;
        int rc = out ? (e == ENG_FTS5 ? (file ? sqlite_parts(file, &p) : -1) : glass_parts(out, &p))
                     : -1;
        free(file);
        free(out);
        if (rc != 0)
            continue;
        uint64_t total = 0, store = 0;
        for (int j = 0; j < p.n; j++) {
            total += p.bytes[j];
            if (e == ENG_FTS5 ? !strcmp(p.name[j], "docs_content") : !strcmp(p.name[j], "docdata"))
                store = p.bytes[j];
        }
        /* kbsearch's records are counted by the library (wherever they live). */
        if (e == ENG_KBSEARCH && r->store_bytes >= 0)
            store = (uint64_t)r->store_bytes;
        if (!header) {
            printf("# sizes per component, MiB (fraction of the text); store = the originals "
                   "as kept, index = the rest:\n");
            header = 1;
        }
        double text = (double)r->bytes;
        printf("# %-8s", engine_names[e]);
        for (int j = 0; j < p.n; j++)
            printf(" %s %.2f (%.3f) |", p.name[j], (double)p.bytes[j] / MIB,
                   (double)p.bytes[j] / text);
        printf(" store %.2f (%.3f) | index %.2f (%.3f) | total %.2f (%.3f)\n", (double)store / MIB,
               (double)store / text, (double)(total - store) / MIB, (double)(total - store) / text,
               (double)total / MIB, (double)total / text);
    }
}

static void print_table(const struct config *cfg, const struct result *res, const int *ran,
                        const char *cache_note)
{
    printf("\n# dataset: %s   cache: %s\n", cfg->label, cache_note);
    printf("%-16s | %8s | %8s | %8s | %8s | %7s | %8s | %8s | %8s | %6s\n", "engine", "docs",
           "text MiB", "seconds", "CPU s", "MiB/s", "docs/s", "peak RSS", "disk MiB", "disk/text");
    const struct result *k = ran[ENG_KBSEARCH] ? &res[ENG_KBSEARCH] : NULL;
    const struct result *f = ran[ENG_FTS5] ? &res[ENG_FTS5] : NULL;
    const struct result *fo =
        ran[ENG_FTS5_OPTIMIZE] && res[ENG_FTS5_OPTIMIZE].ok ? &res[ENG_FTS5_OPTIMIZE] : NULL;
    const struct result *x = ran[ENG_XAPIAN] ? &res[ENG_XAPIAN] : NULL;
    const struct result *fl = ran[ENG_FLOOR] ? &res[ENG_FLOOR] : NULL;
    if (k)
        print_row("kbsearch", k, NULL);
    if (f)
        print_row("fts5", f, NULL);
    if (f && f->ok && ran[ENG_FTS5_OPTIMIZE]) {
        if (fo)
            print_row("fts5 +optimize", f, fo);
        else
            printf("%-16s | FAILED: %s\n", "fts5 +optimize", res[ENG_FTS5_OPTIMIZE].error);
    }
    if (x)
        print_row("xapian", x, NULL);
    if (fl)
        print_row("xapian-floor", fl, NULL);
    if (k && (f || x || fl)) {
        if (f)
            print_ratio("kbsearch/fts5", k, f, NULL);
        if (f && fo)
            print_ratio("kbsearch/fts5+o", k, f, fo);
        if (x)
            print_ratio("kbsearch/xapian", k, x, NULL);
        if (fl)
            print_ratio("kbsearch/floor", k, fl, NULL);
        printf("# ratios: seconds, CPU, peak RSS and disk below 1x favour kbsearch; MiB/s and "
               "docs/s above 1x do.\n");
    }
    /* The floor against FTS5: what any engine on Xapian's API can reach. */
    if (fl && f && fl->ok && f->ok)
        print_ratio(fo ? "floor/fts5+o" : "floor/fts5", fl, f, fo);
    if (k && k->ok && k->store_bytes >= 0)
        printf("# kbsearch store (compressed originals): %.2f MiB, %.1f%% of its disk, %.3f of "
               "the text\n",
               (double)k->store_bytes / MIB,
               100.0 * ratio((double)k->store_bytes, (double)k->disk_bytes),
               ratio((double)k->store_bytes, (double)k->bytes));
    if (fo)
        printf("# fts5 +optimize: the optimize step alone took %.2f s, peak RSS %.1f MiB; "
               "%.2f MiB of its file are free pages (a VACUUM would give them back)\n",
               fo->seconds, (double)fo->maxrss_kb / 1024.0,
               fo->free_bytes > 0 ? (double)fo->free_bytes / MIB : 0.0);
    /* Different document counts make every other figure incomparable. */
    uint64_t docs = 0;
    for (int e = 0; e < ENG_COUNT; e++) {
        if (!ran[e] || !res[e].ok || e == ENG_FTS5_OPTIMIZE)
            continue;
        if (docs != 0 && res[e].docs != docs)
            printf("# WARNING: the engines indexed different numbers of documents\n");
        docs = res[e].docs;
    }
    if (k && k->ok && k->skipped > 0)
        printf("# WARNING: kbsearch skipped %" PRIu64 " files\n", k->skipped);
    if (k && k->ok && k->reindex_seconds >= 0)
        printf("# kbsearch re-index: nothing changed %.2f s (%.1f%% of the first run); "
               "%" PRId64 " files changed (1%%) %.2f s (%.1f%%)\n",
               k->reindex_seconds, 100.0 * ratio(k->reindex_seconds, k->seconds), k->changed_files,
               k->changed_seconds, 100.0 * ratio(k->changed_seconds, k->seconds));
    print_components(cfg, res, ran);
}

/* ---- main ---- */

static void usage(FILE *f)
{
    fprintf(f, "usage: bench_index --engine ENGINE --out OUT (--dir DIR | --files LIST) [--warm]\n"
               "       bench_index --engines E1,E2,... --out OUT --dir DIR [--files LIST]\n"
               "                   [--label NAME] [--warm] [--no-optimize]\n"
               "engines: kbsearch (needs --dir), fts5, xapian, xapian-floor (the least a\n"
               "positional index through Xapian's API does: bare tokenizer, stems, no data);\n"
               "fts5-optimize optimizes an\n"
               "existing OUT/fts5. Each index goes to OUT/<engine>, which must not exist.\n");
}

static int parse_engine(const char *s, size_t len)
{
    for (int e = 0; e < ENG_COUNT; e++)
        if (strlen(engine_names[e]) == len && memcmp(engine_names[e], s, len) == 0)
            return e;
    return -1;
}

int main(int argc, char **argv)
{
    struct config cfg = {0};
    const char *engine = NULL, *engines = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        if (strcmp(a, "--engine") == 0)
            slot = &engine;
        else if (strcmp(a, "--engines") == 0)
            slot = &engines;
        else if (strcmp(a, "--dir") == 0)
            slot = &cfg.dir;
        else if (strcmp(a, "--files") == 0)
            slot = &cfg.files;
        else if (strcmp(a, "--out") == 0)
            slot = &cfg.out;
        else if (strcmp(a, "--label") == 0)
            slot = &cfg.label;
        else if (strcmp(a, "--warm") == 0)
            cfg.warm = 1;
        else if (strcmp(a, "--no-optimize") == 0)
            cfg.no_optimize = 1;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "bench_index: unknown argument %s\n", a);
            usage(stderr);
            return 2;
        }
        if (slot != NULL) {
            if (i + 1 >= argc) {
                fprintf(stderr, "bench_index: %s needs a value\n", a);
                return 2;
            }
            *slot = argv[++i];
        }
    }
    if ((engine == NULL) == (engines == NULL) || cfg.out == NULL ||
        (cfg.dir == NULL && cfg.files == NULL)) {
        usage(stderr);
        return 2;
    }
    if (cfg.label == NULL)
        cfg.label = cfg.dir ? cfg.dir : cfg.files;

    int ran[ENG_COUNT] = {0};
    if (engine != NULL) {
        int e = parse_engine(engine, strlen(engine));
        if (e < 0) {
            fprintf(stderr, "bench_index: unknown engine %s\n", engine);
            return 2;
        }
        ran[e] = 1;
    } else {
        for (const char *p = engines; *p;) {
            size_t n = strcspn(p, ",");
            int e = parse_engine(p, n);
            if (e < 0 || e == ENG_FTS5_OPTIMIZE) {
                fprintf(stderr, "bench_index: unknown engine %.*s\n", (int)n, p);
                return 2;
            }
            ran[e] = 1;
            p += n + (p[n] == ',');
        }
        if (ran[ENG_FTS5] && !cfg.no_optimize)
            ran[ENG_FTS5_OPTIMIZE] = 1;
    }
    if (mkdir(cfg.out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "bench_index: cannot create %s: %s\n", cfg.out, strerror(errno));
        return 1;
    }

    /* Decide once how every engine will start: cold if we may drop the
     * cache, else all warm, so that they are treated alike either way. */
    int cold = !cfg.warm && drop_page_cache() == 0;
    const char *cache_note = cold ? "dropped before each engine (sync; drop_caches=1)"
                                  : "warm: every input read once before the first engine "
                                    "(drop_caches not used)";
    char err[512];
    if (!cold) {
        int rc = engine != NULL ? warm_page_cache(&cfg, err, sizeof err)
                                : warm_in_child(&cfg, err, sizeof err);
        if (rc != 0) {
            fprintf(stderr, "bench_index: %s\n", err);
            return 1;
        }
    }

    if (engine != NULL) {
        struct result r;
        char line[1024];
        for (int e = 0; e < ENG_COUNT; e++)
            if (ran[e])
                run_engine(&cfg, e, &r);
        format_line(&r, line, sizeof line);
        fputs(line, stdout);
        return r.ok ? 0 : 1;
    }

    double load[3] = {0, 0, 0};
    if (getloadavg(load, 3) < 0)
        load[0] = load[1] = load[2] = -1;
    printf("# bench_index: dataset %s, kbsearch %s, SQLite %s, load average %.2f %.2f %.2f, "
           "%ld cores\n",
           cfg.label, kbs_version_string(), sqlite3_libversion(), load[0], load[1], load[2],
           sysconf(_SC_NPROCESSORS_ONLN));
    printf("# cache: %s\n", cache_note);
    fflush(stdout);

    struct result res[ENG_COUNT];
    memset(res, 0, sizeof res);
    int failed = 0;
    static const int order[] = {ENG_KBSEARCH, ENG_FTS5, ENG_FTS5_OPTIMIZE, ENG_XAPIAN, ENG_FLOOR};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        int e = order[i];
        if (!ran[e])
            continue;
        if (e == ENG_FTS5_OPTIMIZE && !res[ENG_FTS5].ok) {
            set_error(&res[e], "fts5 failed");
            continue;
        }
        /* Even when warm, the previous engine's dirty pages must not be
         * written back on the next one's clock. */
        if (cold)
            drop_page_cache();
        else
            sync();
        char line[1024];
        run_child(&cfg, e, &res[e]);
        format_line(&res[e], line, sizeof line);
        fputs(line, stdout);
        fflush(stdout);
        failed |= !res[e].ok;
    }
    print_table(&cfg, res, ran, cache_note);
    return failed ? 1 : 0;
}
