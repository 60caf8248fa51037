/* db.c - opening, checking, committing and closing an index; the store of
 * originals as seen through the public API (lookup, show, stats). */
#include "db_internal.h"
#include "stories.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "dedup.h"
#include "room.h"
#include "schema.h"
#include "utf8.h"

unsigned kbs_version_number(void)
{
    return KBS_VERSION_NUMBER;
}

#define KBS_STR2(x) #x
#define KBS_STR(x) KBS_STR2(x)
const char *kbs_version_string(void)
{
    return KBS_STR(KBS_VERSION_MAJOR) "." KBS_STR(KBS_VERSION_MINOR) "." KBS_STR(KBS_VERSION_PATCH);
}

const char *kbs_strerror(int status)
{
    switch (status) {
    case KBS_OK:
        return "success";
    case KBS_EINVAL:
        return "invalid argument";
    case KBS_ENOMEM:
        return "out of memory";
    case KBS_EIO:
        return "input/output error";
    case KBS_ENOTFOUND:
        return "not found";
    case KBS_ELOCKED:
        return "index is locked by another writer";
    case KBS_ECORRUPT:
        return "index or stored document is damaged";
    case KBS_EFOREIGN:
        return "not a kbsearch index of a supported format";
    case KBS_EQUERY:
        return "query could not be parsed";
    case KBS_EINPUT:
        return "input cannot be indexed";
    case KBS_EREADONLY:
        return "index is open read-only";
    case KBS_EBACKEND:
        return "search backend error";
    case KBS_EINTERNAL:
        return "internal error";
    default:
        return "unknown status";
    }
}

void kbs_free(void *ptr)
{
    free(ptr);
}

int db_fail(kbs_db *db, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(db->errmsg, sizeof db->errmsg, fmt, ap);
    va_end(ap);
    return status;
}

/* Whether a writer's failure may come from a full disk or a file size limit
 * that the backend did not name: a scratch build (DB_DANGEROUS) reports a
 * write that failed only as the cancel() Xapian then cannot do. */
static int may_be_out_of_space(const kbs_db *db)
{
    if (!db->writable)
        return 0;
    struct statvfs vfs;
    if (statvfs(db->path, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < 1024 * 1024)
        return 1;
    struct rlimit rl;
    return getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY;
}

int db_fail_shim(kbs_db *db, int status, const char *what)
{
    /* The shim reports a full disk or a file-size limit as KBS_EIO; Xapian's
     * own words for it ("Error writing block") do not say what to do. */
    if (status == KBS_EBACKEND && may_be_out_of_space(db))
        status = KBS_EIO;
    if (status == KBS_EIO)
        return db_fail(db, status,
                       "%s: %s — the disk that holds the index at %s is full (or a file size "
                       "limit was reached): free some space on it",
                       what, xs_db_errmsg(db->xdb), db->path);
    return db_fail(db, status, "%s: %s", what, xs_db_errmsg(db->xdb));
}

void db_clear_error(kbs_db *db)
{
    db->errmsg[0] = '\0';
    db->error_offset = (size_t)-1;
}

size_t kbs_db_error_offset(const kbs_db *db)
{
    return db ? db->error_offset : (size_t)-1;
}

const char *kbs_db_errmsg(const kbs_db *db)
{
    return db ? db->errmsg : "";
}

void db_id_term(const char *key, size_t len, buf *out)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    XXH128_hash_t h = XXH3_128bits(key, len);
    /* Printable, so that the term stays a C string wherever one is handled;
     * 6 bits a character, the high half first, the last 4 bits padded. */
    char t[1 + ID_HASH_CHARS];
    uint64_t w[2] = {h.high64, h.low64};
    size_t n = 0;
    t[n++] = PFX_ID[0];
    for (unsigned bit = 0; bit < 6 * ID_HASH_CHARS; bit += 6) {
        unsigned v = 0;
        for (unsigned k = 0; k < 6; k++) {
            unsigned b = bit + k;
            v = v << 1 | (b < 128 ? (unsigned)(w[b / 64] >> (63 - b % 64)) & 1u : 0u);
        }
        t[n++] = b64[v];
    }
    buf_reset(out);
    buf_append(out, t, n);
}

size_t db_store_len(const char *rec, size_t len)
{
    const char *tag = NULL;
    size_t tlen = 0;
    if (docstore_tag(rec, len, &tag, &tlen) != 0 || tlen == 0)
        return len;
    return len - 1 - tlen;
}

int db_article_key(kbs_db *db, uint32_t docid, buf *out)
{
    char *v = NULL;
    size_t vl = 0;
    buf_reset(out);
    int st = xs_db_get_value(db->xdb, docid, SLOT_KEY, &v, &vl);
    if (st == KBS_OK && vl == 0) {
        free(v);
        v = NULL;
        if ((st = xs_db_get_value(db->xdb, docid, SLOT_META, &v, &vl)) == KBS_OK) {
            const char *f[MF_COUNT];
            db_split_meta(v, vl, f);
            buf_append_str(out, f[MF_PATH]);
        }
    } else if (st == KBS_OK) {
        buf_append(out, v, vl);
    }
    free(v);
    if (st == KBS_OK && buf_failed(out))
        st = KBS_ENOMEM;
    return st;
}

void db_split_meta(char *v, size_t len, const char *fields[MF_COUNT])
{
    size_t f = 0;
    char *start = v;
    for (size_t i = 0; i < MF_COUNT; i++)
        fields[i] = "";
    for (size_t i = 0; i <= len && f < MF_COUNT; i++) {
        if (i == len || v[i] == FIELD_SEP) {
            v[i] = '\0';
            fields[f++] = start;
            start = v + i + 1;
        }
    }
}

int db_meta_u64(kbs_db *db, const char *key, uint64_t *out)
{
    char *v = NULL;
    size_t len = 0;
    int st = xs_db_get_metadata(db->xdb, key, &v, &len);
    if (st != KBS_OK)
        return db_fail_shim(db, st, "reading the index metadata");
    uint64_t n = 0;
    for (size_t i = 0; i < len && v[i] >= '0' && v[i] <= '9'; i++)
        n = n * 10 + (uint64_t)(v[i] - '0');
    free(v);
    *out = n;
    return KBS_OK;
}

/* Folds *delta into the running total under key, then zeroes it: once in
 * the pending metadata it is committed (or dropped) with the articles it
 * counts, and a later commit must not add it again (a failure between the
 * two totals did, found by tests/test_alloc.c). */
static int add_meta_delta(kbs_db *db, const char *key, int64_t *deltap)
{
    int64_t delta = *deltap;
    if (delta == 0)
        return KBS_OK;
    uint64_t cur = 0;
    int st = db_meta_u64(db, key, &cur);
    if (st != KBS_OK)
        return st;
    int64_t next = (int64_t)cur + delta;
    if (next < 0)
        next = 0;
    char num[32];
    int n = snprintf(num, sizeof num, "%lld", (long long)next);
    st = xs_db_set_metadata(db->xdb, key, num, (size_t)n);
    if (st != KBS_OK)
        return db_fail_shim(db, st, "writing the index metadata");
    *deltap = 0;
    return KBS_OK;
}

int db_commit(kbs_db *db)
{
    if (!db->writable)
        return KBS_OK;
    /* Changed articles are what makes Xapian write from a destructor (see
     * room.h); a scratch database is only ever written in a worker process,
     * which reports that end itself. */
    if (db->pending > 0 && !db->room_unchecked && !xs_db_is_scratch(db->xdb)) {
        struct room_need need = {db->pending_text, db->pending, db->pending_removed};
        int rst = room_for_commit(db, db->xdb, db->path, &need, "committing the index");
        if (rst != KBS_OK)
            return rst;
    }
    int st = add_meta_delta(db, META_TEXT_BYTES, &db->text_bytes_delta);
    if (st == KBS_OK)
        st = add_meta_delta(db, META_STORE_BYTES, &db->store_bytes_delta);
    /* The stories are committed with the articles they group. */
    if (st == KBS_OK)
        st = dedup_pass(db);
    if (st == KBS_OK && (st = spell_flush(db->spell, db->xdb, db->spell_lazy)) != KBS_OK)
        return db_fail_shim(db, st, "adding words to the spelling table");
    if (st != KBS_OK)
        return st;
    st = xs_db_commit_holding(db->xdb, db->pos_hold);
    if (st != KBS_OK)
        return db_fail_shim(db, st, "committing the index");
    db->text_bytes_delta = db->store_bytes_delta = 0;
    db->pending = db->pending_removed = 0;
    db->pending_text = 0;
    return KBS_OK;
}

int db_fail_readonly(kbs_db *db)
{
    return db_fail(db, KBS_EREADONLY, "the index at %s is open read-only", db->path);
}

int kbs_db_commit(kbs_db *db)
{
    if (!db)
        return KBS_EINVAL;
    db_clear_error(db);
    if (!db->writable)
        return db_fail_readonly(db);
    return db_commit(db);
}

/* Sets *msg (if wanted) to a copy of the formatted text. */
static void set_msg(char **msg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_msg(char **msg, const char *fmt, ...)
{
    if (!msg)
        return;
    va_list ap;
    va_start(ap, fmt);
    char tmp[1200];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    *msg = strdup(tmp);
}

static int is_dir_empty(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return 1;
    struct dirent *e;
    int empty = 1;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            empty = 0;
            break;
        }
    }
    closedir(d);
    return empty;
}

static int file_exists_in(const char *dir, const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat st;
    return stat(p, &st) == 0;
}

/* The pid written in the lock file by the writer that took it, "" if none. */
static void read_holder(int fd, char *pid, size_t size)
{
    ssize_t n = pread(fd, pid, size - 1, 0);
    pid[n > 0 ? n : 0] = '\0';
    pid[strcspn(pid, "\n")] = '\0';
}

/* Takes the flock on fd; 0 if another writer holds it. A writer killed
 * during a parallel build may leave for a few milliseconds a worker that has
 * not yet closed the lock it inherited (it dies with its parent, but not at
 * the same instant): while the writer named in the file is gone, the lock
 * is retried for up to two seconds rather than refused. */
static int lock_when_free(int fd)
{
    for (int tries = 0;; tries++) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return 1;
        char pid[32] = "";
        read_holder(fd, pid, sizeof pid);
        long holder = 0;
        const char *c = pid;
        for (; *c >= '0' && *c <= '9' && holder < 100000000; c++)
            holder = holder * 10 + (*c - '0');
        int gone = c != pid && *c == '\0' && kill((pid_t)holder, 0) != 0 && errno == ESRCH;
        if (!gone || tries >= 200)
            return 0;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* Takes our own writer lock first: unlike Xapian's lock it can name the
 * process holding it, which is what a user needs to know. flock() is dropped
 * by the kernel when the process dies, so a crash never leaves it stale. */
static int take_lock(const char *dir, int *fd_out, char **msg)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, LOCK_NAME);
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        set_msg(msg, "cannot open the lock file %s: %s", p, strerror(errno));
        return KBS_EIO;
    }
    if (!lock_when_free(fd)) {
        char pid[32] = "";
        read_holder(fd, pid, sizeof pid);
        close(fd);
        set_msg(msg,
                "the index at %s is being updated by process %s; wait for it to finish "
                "(searching works meanwhile)",
                dir, pid[0] ? pid : "(unknown)");
        return KBS_ELOCKED;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        /* The lock itself holds; only the courtesy pid is missing. */
    }
    *fd_out = fd;
    return KBS_OK;
}

static int check_format(kbs_db *db, int created, char **msg)
{
    char *v = NULL;
    size_t len = 0;
    int st = xs_db_get_metadata(db->xdb, META_FORMAT, &v, &len);
    if (st != KBS_OK) {
        set_msg(msg, "cannot read the index at %s: %s", db->path, xs_db_errmsg(db->xdb));
        return st;
    }
    if (!v && created) {
        st = xs_db_set_metadata(db->xdb, META_FORMAT, SCHEMA_FORMAT, strlen(SCHEMA_FORMAT));
        if (st == KBS_OK)
            st = xs_db_commit(db->xdb);
        if (st != KBS_OK)
            set_msg(msg, "cannot initialise the index at %s: %s", db->path, xs_db_errmsg(db->xdb));
        return st;
    }
    if (!v) {
        set_msg(msg,
                "%s is a Xapian database but not a kbsearch index; choose another folder "
                "with --db",
                db->path);
        return KBS_EFOREIGN;
    }
    if (strcmp(v, SCHEMA_FORMAT) != 0) {
        set_msg(msg,
                "the index at %s has format %.20s, but this kbsearch reads format %s; "
                "index your articles again into a new folder",
                db->path, v, SCHEMA_FORMAT);
        free(v);
        return KBS_EFOREIGN;
    }
    free(v);
    return KBS_OK;
}

/* Sets the store's compression dictionary, if the index has one: records
 * packed with it name it, and cannot be read without it. */
static int load_dict(kbs_db *db, char **msg)
{
    char *v = NULL;
    size_t len = 0;
    int st = xs_db_get_metadata(db->xdb, META_ZDICT, &v, &len);
    if (st != KBS_OK) {
        set_msg(msg, "cannot read the index at %s: %s", db->path, xs_db_errmsg(db->xdb));
        return st;
    }
    if (!v)
        return KBS_OK;
    int r = docstore_adopt_dict(db->store, v, len);
    if (r != 0) {
        set_msg(msg,
                "the compression dictionary of the index at %s is damaged (or memory ran "
                "out); index your articles again into a new folder",
                db->path);
        return KBS_ECORRUPT;
    }
    db->has_dict = 1;
    return KBS_OK;
}

/* docstore_loader: a reader sets the store's dictionary only when a record
 * needs it (see docstore_set_loader). */
static int read_dict(void *ctx, docstore *ds)
{
    kbs_db *db = ctx;
    char *v = NULL;
    size_t len = 0;
    int st = xs_db_get_metadata(db->xdb, META_ZDICT, &v, &len);
    if (st != KBS_OK || !v) {
        free(v);
        return st == KBS_ENOMEM ? -1 : -2;
    }
    int r = docstore_adopt_dict(ds, v, len);
    db->has_dict = r == 0;
    return r;
}

static void db_destroy(kbs_db *db)
{
    if (!db)
        return;
    xs_db_close(db->xdb);
    if (db->lock_fd >= 0)
        close(db->lock_fd);
    stemmer_free(db->stem);
    docstore_free(db->store);
    spell_collector_free(db->spell);
    dedup_forget(db);
    story_map_free(db->stories);
    free(db->path);
    free(db);
}

/* A creation that failed part way (memory or disk ran out) leaves Xapian's
 * first files without kbsearch's format mark, and every later open, even one
 * creating, would refuse the folder as foreign. Since the folder held nothing
 * but the lock file when the creation began (kbs_db_open checks), removing
 * every other file puts it back as it was. */
static void undo_create(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, LOCK_NAME) == 0)
            continue;
        unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
}

int kbs_db_open(const char *path, unsigned flags, kbs_db **db_out, char **errmsg_out)
{
    if (errmsg_out)
        *errmsg_out = NULL;
    if (!path || !*path || !db_out) {
        set_msg(errmsg_out, "no index folder given");
        return KBS_EINVAL;
    }
    /* A flag this version does not know, or CREATE alone (which would open
     * read-only and never create), is the caller's mistake: say so rather
     * than guess. */
    if ((flags & ~(KBS_OPEN_WRITE | KBS_OPEN_CREATE)) != 0 ||
        (flags & (KBS_OPEN_WRITE | KBS_OPEN_CREATE)) == KBS_OPEN_CREATE) {
        set_msg(errmsg_out,
                "opening %s: flags %#x are not KBS_OPEN_READ, KBS_OPEN_WRITE or "
                "KBS_OPEN_WRITE | KBS_OPEN_CREATE",
                path, flags);
        return KBS_EINVAL;
    }
    int writable = (flags & KBS_OPEN_WRITE) != 0;
    int create = writable && (flags & KBS_OPEN_CREATE);
    kbs_db *db = calloc(1, sizeof *db);
    if (!db)
        return KBS_ENOMEM;
    db->lock_fd = -1;
    db->error_offset = (size_t)-1;
    db->writable = writable;
    db->path = strdup(path);
    if (!db->path || stemmer_new("english", &db->stem) != 0 ||
        docstore_new(STORE_LEVEL, &db->store) != 0 ||
        (writable && spell_collector_new(&db->spell) != KBS_OK)) {
        db_destroy(db);
        return KBS_ENOMEM;
    }

    struct stat sb;
    int exists = stat(path, &sb) == 0;
    if (exists && !S_ISDIR(sb.st_mode)) {
        set_msg(errmsg_out, "%s is a file, not an index folder; choose a folder with --db", path);
        db_destroy(db);
        return KBS_EFOREIGN;
    }
    /* A folder this process may not read would pass for an empty one. */
    if (exists && access(path, R_OK | X_OK) != 0) {
        set_msg(errmsg_out, "cannot read the index folder %s: %s; check its permissions", path,
                strerror(errno));
        db_destroy(db);
        return KBS_EIO;
    }
    int is_xapian = exists && file_exists_in(path, "iamglass");
    int created = 0;
    if (!is_xapian) {
        if (!create) {
            set_msg(errmsg_out,
                    exists ? "%s is not a kbsearch index; run 'kbsearch index FOLDER' with "
                             "--db pointing at an empty or new folder"
                           : "no index at %s; run 'kbsearch index FOLDER' first (or pass --db)",
                    path);
            db_destroy(db);
            return exists ? KBS_EFOREIGN : KBS_ENOTFOUND;
        }
        if (exists && !is_dir_empty(path) && !(file_exists_in(path, LOCK_NAME))) {
            set_msg(errmsg_out,
                    "%s is not empty and not a kbsearch index; refusing to create an index "
                    "there (choose a new or empty folder with --db)",
                    path);
            db_destroy(db);
            return KBS_EFOREIGN;
        }
        if (!exists && mkdir(path, 0755) != 0 && errno != EEXIST) {
            set_msg(errmsg_out, "cannot create the index folder %s: %s", path, strerror(errno));
            db_destroy(db);
            return KBS_EIO;
        }
        created = 1;
    }

    int st;
    if (writable && (st = take_lock(path, &db->lock_fd, errmsg_out)) != KBS_OK) {
        db_destroy(db);
        return st;
    }
    char err[512] = "";
    st =
        xs_db_open(path, writable ? (created ? XS_OPEN_WRITE_CREATE : XS_OPEN_WRITE) : XS_OPEN_READ,
                   &db->xdb, err, sizeof err);
    if (st != KBS_OK) {
        /* Glass has no checksums: a table cut short is a plain DatabaseError
         * ("EOF reading block"), not Xapian's DatabaseCorruptError, and a
         * missing one a DatabaseOpeningError. In a folder that holds a
         * database, either is damage, and the user needs to hear what to do
         * (tests/test_misuse.c). */
        if (st == KBS_EBACKEND && is_xapian)
            st = KBS_ECORRUPT;
        if (st == KBS_ELOCKED)
            set_msg(errmsg_out, "the index at %s is being updated by another process: %s", path,
                    err);
        else if ((st == KBS_ECORRUPT || st == KBS_EFOREIGN) && is_xapian)
            set_msg(errmsg_out,
                    "cannot open the index at %s: %s; it is damaged (or not of this Xapian "
                    "version): index your articles again into a new folder (--db DIR)",
                    path, err);
        else
            set_msg(errmsg_out, "cannot open the index at %s: %s", path, err);
        if (created && st != KBS_ELOCKED)
            undo_create(path);
        db_destroy(db);
        return st;
    }
    if ((st = check_format(db, created, errmsg_out)) != KBS_OK ||
        (writable && (st = load_dict(db, errmsg_out)) != KBS_OK)) {
        xs_db_close(db->xdb); /* before its files go */
        db->xdb = NULL;
        if (created)
            undo_create(path);
        db_destroy(db);
        return st;
    }
    /* A writer needs the dictionary to pack; a reader may never unpack. */
    if (!writable)
        docstore_set_loader(db->store, read_dict, db);
    *db_out = db;
    return KBS_OK;
}

int kbs_db_close(kbs_db *db)
{
    if (!db)
        return KBS_OK;
    int st = KBS_OK;
    if (db->writable)
        st = db_commit(db);
    db_destroy(db);
    return st;
}

int kbs_lookup(kbs_db *db, const char *path, uint32_t *docid_out)
{
    if (!db)
        return KBS_EINVAL;
    db_clear_error(db);
    if (!path || !docid_out)
        return db_fail(db, KBS_EINVAL, "kbs_lookup: NULL argument");
    buf term = BUF_INIT;
    db_id_term(path, strlen(path), &term);
    if (buf_failed(&term))
        return db_fail(db, KBS_ENOMEM, "out of memory");
    uint32_t id = 0;
    int st = xs_db_find(db->xdb, term.data, term.len, &id);
    /* The id term is a hash: the key itself must match too. */
    if (st == KBS_OK && (st = db_article_key(db, id, &term)) == KBS_OK &&
        (term.len != strlen(path) || memcmp(term.data, path, term.len) != 0))
        st = KBS_ENOTFOUND;
    buf_free(&term);
    if (st == KBS_ENOMEM)
        return db_fail(db, st, "out of memory");
    if (st == KBS_ENOTFOUND)
        return db_fail(db, st, "no article indexed from %s", path);
    if (st != KBS_OK)
        return db_fail_shim(db, st, "looking up an article");
    *docid_out = id;
    return KBS_OK;
}

int kbs_show(kbs_db *db, uint32_t docid, char **data_out, size_t *len_out)
{
    if (!db)
        return KBS_EINVAL;
    db_clear_error(db);
    if (!data_out || !len_out || docid == 0)
        return db_fail(db, KBS_EINVAL, "kbs_show: NULL argument or id 0");
    char *rec = NULL;
    size_t rlen = 0;
    int st = xs_db_get_data(db->xdb, docid, &rec, &rlen);
    if (st == KBS_ENOTFOUND)
        return db_fail(db, st, "no article with id %u in the index at %s", docid, db->path);
    if (st != KBS_OK)
        return db_fail_shim(db, st, "reading a stored article");
    buf out = BUF_INIT;
    int r = docstore_unpack(db->store, rec, rlen, &out);
    free(rec);
    if (r == -1) {
        buf_free(&out);
        return db_fail(db, KBS_ENOMEM, "out of memory unpacking article %u", docid);
    }
    if (r != 0) {
        buf_free(&out);
        return db_fail(db, KBS_ECORRUPT,
                       "the stored original of article %u is damaged; run 'kbsearch index' on "
                       "its folder again to restore it",
                       docid);
    }
    size_t n = 0;
    char *d = buf_detach(&out, &n);
    if (!d)
        return db_fail(db, KBS_ENOMEM, "out of memory");
    *data_out = d;
    *len_out = n;
    return KBS_OK;
}

static uint64_t dir_bytes(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return 0;
    uint64_t total = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        struct stat sb;
        if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode))
            total += (uint64_t)sb.st_size;
    }
    closedir(d);
    return total;
}

int kbs_db_stats(kbs_db *db, kbs_stats *out)
{
    if (!db)
        return KBS_EINVAL;
    db_clear_error(db);
    if (!out)
        return db_fail(db, KBS_EINVAL, "kbs_db_stats: NULL argument");
    kbs_stats s;
    memset(&s, 0, sizeof s);
    uint32_t n = 0;
    int st = db_doc_count(db, &n);
    if (st != KBS_OK)
        return st;
    s.documents = n;
    if ((st = db_meta_u64(db, META_TEXT_BYTES, &s.text_bytes)) != KBS_OK ||
        (st = db_meta_u64(db, META_STORE_BYTES, &s.store_bytes)) != KBS_OK)
        return st;
    s.text_bytes = (uint64_t)((int64_t)s.text_bytes + db->text_bytes_delta);
    s.store_bytes = (uint64_t)((int64_t)s.store_bytes + db->store_bytes_delta);
    s.index_bytes = dir_bytes(db->path);
    char *lo = NULL, *hi = NULL;
    st = xs_db_value_bounds(db->xdb, SLOT_WRITTEN, &lo, &hi);
    if (st != KBS_OK)
        return db_fail_shim(db, st, "reading the date range");
    snprintf(s.first_written, sizeof s.first_written, "%s", lo);
    snprintf(s.last_written, sizeof s.last_written, "%s", hi);
    free(lo);
    free(hi);
    *out = s;
    return KBS_OK;
}

int db_doc_count(kbs_db *db, uint32_t *count)
{
    int st = xs_db_doc_count(db->xdb, count);
    return st == KBS_OK ? st : db_fail_shim(db, st, "counting articles");
}
