/* index.c - turning articles into index entries, and keeping a folder's
 * articles in step with the index (added, changed, unchanged, removed). */
#include "db_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#define ZDICT_STATIC_LINKING_ONLY /* ZDICT_trainFromBuffer_fastCover */
#include <zdict.h>

#include "article.h"
#include "schema.h"
#include "tokenize.h"
#include "utf8.h"

#define DEFAULT_MAX_FILE_BYTES (16u * 1024 * 1024)
#define DEFAULT_BATCH_DOCS 1000
/* Documents per commit in a worker's scratch database. Xapian's in-memory
 * inverter (red-black trees of strings) slows down as it grows on this kind
 * of machine: on Reuters, 250 documents per flush took 25% less CPU than
 * 1,000. A scratch commit costs no fsync(). */
#define SCRATCH_BATCH_DOCS 250
/* A batch is also committed once it holds this much text, so that memory
 * stays bounded whatever the articles' sizes: Xapian's inverter takes about
 * ten times the text, so a process stays well under 300 MB (and a parallel
 * build, a parent and two workers, under 1 GB). */
#define BATCH_MAX_BYTES (16u * 1024 * 1024)
#define MAX_STORED_TITLE 400

void kbs_index_options_init(kbs_index_options *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->max_file_bytes = DEFAULT_MAX_FILE_BYTES;
    opts->batch_docs = DEFAULT_BATCH_DOCS;
}

/* ---- building one document ------------------------------------------------ */

struct termgen {
    kbs_db *db;
    xs_doc *doc;
    const char *prefix; /* prefixed copy of each stem, with positions, or NULL */
    int plain;          /* also add the unprefixed stem, with positions */
    uint32_t plain_wdf;
    int positions; /* 0: terms without positions (byline) */
    int spell;     /* feed the words to the spelling table (title and body) */
    buf term;
    uint32_t next_pos; /* one past the last position used */
    int status;
};

static int add_term(struct termgen *g, const char *prefix, const char *stem, size_t len,
                    uint32_t pos, uint32_t wdf)
{
    buf_reset(&g->term);
    buf_append_str(&g->term, prefix);
    buf_append(&g->term, stem, len);
    if (buf_failed(&g->term))
        return KBS_ENOMEM;
    if (g->positions)
        return xs_doc_add_posting(g->doc, g->term.data, g->term.len, pos, wdf);
    return xs_doc_add_term(g->doc, g->term.data, g->term.len, wdf);
}

static int termgen_cb(void *ctx, const token *tok)
{
    struct termgen *g = ctx;
    const char *stem;
    size_t slen;
    if (stemmer_stem(g->db->stem, tok->text, tok->len, &stem, &slen) != 0) {
        g->status = KBS_ENOMEM;
        return 1;
    }
    int st = KBS_OK;
    if (g->prefix)
        st = add_term(g, g->prefix, stem, slen, tok->pos, 1);
    if (st == KBS_OK && g->plain)
        st = add_term(g, "", stem, slen, tok->pos, g->plain_wdf);
    if (st == KBS_OK && g->spell)
        st = spell_collect(g->db->spell, g->db->xdb, tok->text, tok->len, tok->flags);
    if (st != KBS_OK) {
        g->status = st;
        return 1;
    }
    g->next_pos = tok->pos + 1;
    return 0;
}

static int index_span(struct termgen *g, const char *text, art_span sp)
{
    if (sp.len == 0)
        return KBS_OK;
    tokenize(text + sp.off, sp.len, TOKENIZE_DOCUMENT, g->next_pos, termgen_cb, g);
    return g->status;
}

/* Appends text[sp] to out with whitespace runs folded to one space, clipped
 * to max bytes at a character boundary; the field separator never gets in. */
static void append_field(buf *out, const char *text, art_span sp, size_t max)
{
    size_t start = out->len;
    int space = 0;
    for (size_t i = 0; i < sp.len; i++) {
        unsigned char c = (unsigned char)text[sp.off + i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == FIELD_SEP || c < 0x20) {
            space = out->len > start;
            continue;
        }
        if (space) {
            buf_append_char(out, ' ');
            space = 0;
        }
        buf_append_char(out, (char)c);
    }
    if (!buf_failed(out) && out->len - start > max) {
        out->len = start + utf8_clip(out->data + start, out->len - start, max);
        out->data[out->len] = '\0';
    }
}

struct category_fold {
    buf *out;
};

static int category_cb(void *ctx, const token *tok)
{
    struct category_fold *c = ctx;
    if (c->out->len > strlen(PFX_CATEGORY))
        buf_append_char(c->out, ' ');
    buf_append(c->out, tok->text, tok->len);
    return 0;
}

static int add_date_terms(xs_doc *doc, const char *w)
{
    if (strlen(w) < 10)
        return KBS_OK;
    char t[16];
    int st;
    snprintf(t, sizeof t, "%s%.4s%.2s%.2s", PFX_DAY, w, w + 5, w + 8);
    if ((st = xs_doc_add_term(doc, t, strlen(t), 0)) != KBS_OK)
        return st;
    snprintf(t, sizeof t, "%s%.4s%.2s", PFX_MONTH, w, w + 5);
    if ((st = xs_doc_add_term(doc, t, strlen(t), 0)) != KBS_OK)
        return st;
    snprintf(t, sizeof t, "%s%.4s", PFX_YEAR, w);
    return xs_doc_add_term(doc, t, strlen(t), 0);
}

/* What a stored record's header says, for the running store totals. */
static void old_sizes(kbs_db *db, uint32_t docid, int64_t *text, int64_t *store)
{
    char *rec = NULL;
    size_t rlen = 0;
    *text = *store = 0;
    if (xs_db_get_data(db->xdb, docid, &rec, &rlen) != KBS_OK)
        return;
    uint32_t olen = 0;
    uint64_t h = 0;
    if (docstore_peek(rec, rlen, &olen, &h) == 0) {
        *text = olen;
        *store = (int64_t)rlen;
    }
    free(rec);
}

/* Fills doc from one article's original bytes. */
static int build_doc(kbs_db *db, xs_doc *doc, const char *key, size_t keylen, const char *data,
                     size_t len, const char *state, buf *idterm, size_t *store_len)
{
    const char *text;
    size_t tlen;
    char *owned = NULL;
    if (utf8_repair(data, len, &text, &tlen, &owned) != 0)
        return db_fail(db, KBS_ENOMEM, "out of memory");
    article art;
    if (article_parse(text, tlen, &art) != 0) {
        free(owned);
        return db_fail(db, KBS_ENOMEM, "out of memory");
    }
    struct termgen g;
    memset(&g, 0, sizeof g);
    g.db = db;
    g.doc = doc;
    g.positions = 1;
    g.spell = 1;
    buf meta = BUF_INIT, rec = BUF_INIT;
    int st = xs_doc_add_term(doc, idterm->data, idterm->len, 0);

    /* Title words live under their own prefix only: a query looks for each
     * word in both fields, so the weight of a title match is chosen at query
     * time, and title: and body: searches need no extra terms. */
    if (st == KBS_OK) {
        g.prefix = PFX_TITLE;
        st = index_span(&g, text, art.title);
    }
    if (st == KBS_OK) {
        g.prefix = NULL;
        g.plain = 1;
        g.plain_wdf = 1;
        g.next_pos += TITLE_BODY_GAP;
        for (size_t i = 0; i < art.npara && st == KBS_OK; i++)
            st = index_span(&g, text, art.paras[i]);
    }
    if (st == KBS_OK && art.byline.len) {
        g.prefix = PFX_BYLINE;
        g.plain = 0;
        g.positions = 0;
        g.spell = 0;
        st = index_span(&g, text, art.byline);
    }
    if (st == KBS_OK && art.category.len) {
        buf cat = BUF_INIT;
        buf_append_str(&cat, PFX_CATEGORY);
        struct category_fold cf = {&cat};
        tokenize(text + art.category.off, art.category.len, TOKENIZE_DOCUMENT, 0, category_cb, &cf);
        if (buf_failed(&cat))
            st = KBS_ENOMEM;
        else if (cat.len > strlen(PFX_CATEGORY) && cat.len < ID_TERM_MAX)
            st = xs_doc_add_term(doc, cat.data, cat.len, 0);
        buf_free(&cat);
    }
    if (st == KBS_OK)
        st = add_date_terms(doc, art.written);
    if (st == KBS_OK && art.written[0])
        st = xs_doc_set_value(doc, SLOT_WRITTEN, art.written, strlen(art.written));
    if (st == KBS_OK && art.updated[0])
        st = xs_doc_set_value(doc, SLOT_UPDATED, art.updated, strlen(art.updated));
    if (st == KBS_OK) {
        art_span keysp = {0, keylen};
        append_field(&meta, key, keysp, 4096);
        buf_append_char(&meta, FIELD_SEP);
        append_field(&meta, text, art.title, MAX_STORED_TITLE);
        buf_append_char(&meta, FIELD_SEP);
        append_field(&meta, text, art.category, 100);
        buf_append_char(&meta, FIELD_SEP);
        buf_append_str(&meta, art.written);
        buf_append_char(&meta, FIELD_SEP);
        buf_append_str(&meta, art.updated);
        buf_append_char(&meta, FIELD_SEP);
        append_field(&meta, text, art.byline, 200);
        st = buf_failed(&meta) ? KBS_ENOMEM : xs_doc_set_value(doc, SLOT_META, meta.data, meta.len);
    }
    if (st == KBS_OK)
        st = xs_doc_set_value(doc, SLOT_STATE, state, strlen(state));
    if (st == KBS_OK) {
        if (docstore_pack(db->store, data, len, &rec) != 0)
            st = KBS_ENOMEM;
        else
            st = xs_doc_set_data(doc, rec.data, rec.len);
        *store_len = rec.len;
    }
    article_free(&art);
    free(owned);
    buf_free(&meta);
    buf_free(&rec);
    buf_free(&g.term);
    if (st == KBS_ENOMEM)
        return db_fail(db, st, "out of memory indexing %.*s", (int)keylen, key);
    if (st != KBS_OK)
        return db_fail_shim(db, st, "indexing");
    return KBS_OK;
}

static void format_state(char out[80], uint64_t size, int64_t mtime_ns, uint64_t hash)
{
    snprintf(out, 80, "%llx %llx %016llx", (unsigned long long)size, (unsigned long long)mtime_ns,
             (unsigned long long)hash);
}

/* Parses "size mtime hash" (hex); missing parts stay 0. */
static void parse_state(const char *s, uint64_t v[3])
{
    v[0] = v[1] = v[2] = 0;
    for (int i = 0; i < 3 && *s; i++) {
        while (*s == ' ')
            s++;
        for (; *s && *s != ' '; s++) {
            int d = (*s >= '0' && *s <= '9')   ? *s - '0'
                    : (*s >= 'a' && *s <= 'f') ? *s - 'a' + 10
                                               : -1;
            if (d < 0)
                break;
            v[i] = v[i] * 16 + (uint64_t)d;
        }
    }
}

/* How index_one() finds the article's id. */
struct placing {
    int known_new;  /* the caller knows no article has this key: skip the look-up */
    uint32_t docid; /* with known_new: add under this id (0: the next free one) */
};

/* Indexes one article under key; replaces an earlier version. */
static int index_one(kbs_db *db, const char *key, size_t keylen, const char *data, size_t len,
                     int64_t mtime_ns, uint64_t hash, struct placing at, uint32_t *docid_out,
                     int *was_update)
{
    buf idterm = BUF_INIT;
    db_id_term(key, keylen, &idterm);
    if (buf_failed(&idterm))
        return db_fail(db, KBS_ENOMEM, "out of memory");
    uint32_t old = 0;
    int64_t old_text = 0, old_store = 0;
    int st = at.known_new ? KBS_ENOTFOUND : xs_db_find(db->xdb, idterm.data, idterm.len, &old);
    if (st == KBS_OK)
        old_sizes(db, old, &old_text, &old_store);
    else if (st != KBS_ENOTFOUND) {
        buf_free(&idterm);
        return db_fail_shim(db, st, "looking up an article");
    }
    *was_update = st == KBS_OK;
    char state[80];
    format_state(state, len, mtime_ns, hash);
    xs_doc *doc = NULL;
    if ((st = xs_doc_new(&doc)) != KBS_OK) {
        buf_free(&idterm);
        return db_fail(db, st, "out of memory");
    }
    size_t store_len = 0;
    st = build_doc(db, doc, key, keylen, data, len, state, &idterm, &store_len);
    uint32_t docid = at.docid;
    if (st == KBS_OK) {
        if (at.known_new && at.docid)
            st = xs_db_replace_docid(db->xdb, at.docid, doc);
        else
            st = xs_db_replace(db->xdb, idterm.data, idterm.len, doc, &docid);
        if (st != KBS_OK)
            st = db_fail_shim(db, st, "adding an article to the index");
    }
    xs_doc_free(doc);
    buf_free(&idterm);
    if (st != KBS_OK)
        return st;
    db->text_bytes_delta += (int64_t)len - old_text;
    db->store_bytes_delta += (int64_t)store_len - old_store;
    db->pending++;
    if (docid_out)
        *docid_out = docid;
    return KBS_OK;
}

int kbs_index_buffer(kbs_db *db, const char *path, const char *data, size_t len, int64_t mtime_ns,
                     uint32_t *docid_out)
{
    if (!db)
        return KBS_EINVAL;
    db_clear_error(db);
    if (!path || !*path || (!data && len))
        return db_fail(db, KBS_EINVAL, "kbs_index_buffer: NULL path or data");
    if (!db->writable)
        return db_fail(db, KBS_EREADONLY, "the index at %s is open read-only", db->path);
    if (len == 0)
        return db_fail(db, KBS_EINPUT, "%s is empty: nothing to index", path);
    if (len > DOCSTORE_MAX_ORIGINAL)
        return db_fail(db, KBS_EINPUT, "%s is larger than 4 GiB", path);
    if (article_is_binary(data, len))
        return db_fail(db, KBS_EINPUT, "%s looks binary (not text): not indexed", path);
    int upd;
    struct placing at = {0, 0};
    return index_one(db, path, strlen(path), data, len, mtime_ns, docstore_hash(data, len), at,
                     docid_out, &upd);
}

int kbs_delete(kbs_db *db, const char *path)
{
    if (!db)
        return KBS_EINVAL;
    db_clear_error(db);
    if (!path)
        return db_fail(db, KBS_EINVAL, "kbs_delete: NULL path");
    if (!db->writable)
        return db_fail(db, KBS_EREADONLY, "the index at %s is open read-only", db->path);
    buf idterm = BUF_INIT;
    db_id_term(path, strlen(path), &idterm);
    if (buf_failed(&idterm))
        return db_fail(db, KBS_ENOMEM, "out of memory");
    uint32_t docid = 0;
    int st = xs_db_find(db->xdb, idterm.data, idterm.len, &docid);
    if (st == KBS_OK) {
        int64_t t, s;
        old_sizes(db, docid, &t, &s);
        st = xs_db_delete(db->xdb, idterm.data, idterm.len);
        if (st == KBS_OK) {
            db->text_bytes_delta -= t;
            db->store_bytes_delta -= s;
            db->pending++;
        }
    }
    buf_free(&idterm);
    if (st == KBS_ENOTFOUND)
        return db_fail(db, st, "no article indexed from %s", path);
    if (st != KBS_OK)
        return db_fail_shim(db, st, "deleting an article");
    return KBS_OK;
}

/* ---- a folder ------------------------------------------------------------------ */

struct file_entry {
    char *path; /* absolute */
    uint64_t size;
    int64_t mtime_ns;
};

struct file_list {
    struct file_entry *v;
    size_t n, cap;
};

static int list_push(struct file_list *l, const char *path, const struct stat *sb)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        struct file_entry *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    char *p = strdup(path);
    if (!p)
        return -1;
    l->v[l->n].path = p;
    l->v[l->n].size = (uint64_t)sb->st_size;
    l->v[l->n].mtime_ns = (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
    l->n++;
    return 0;
}

static void list_free(struct file_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].path);
    free(l->v);
}

/* Collects the regular files under dir. Hidden names are skipped (.git and
 * the like hold no articles); symbolic links to folders are not followed, so
 * a link loop cannot trap the walk. */
static int walk(kbs_db *db, const char *dir, struct file_list *out, int depth)
{
    if (depth > 64)
        return KBS_OK;
    DIR *d = opendir(dir);
    if (!d)
        return db_fail(db, KBS_EIO, "cannot read the folder %s: %s", dir, strerror(errno));
    struct dirent *e;
    int st = KBS_OK;
    buf p = BUF_INIT;
    while (st == KBS_OK && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        buf_reset(&p);
        buf_printf(&p, "%s/%s", dir, e->d_name);
        if (buf_failed(&p)) {
            st = db_fail(db, KBS_ENOMEM, "out of memory");
            break;
        }
        struct stat lsb, sb;
        if (lstat(p.data, &lsb) != 0)
            continue;
        if (S_ISDIR(lsb.st_mode)) {
            st = walk(db, p.data, out, depth + 1);
            continue;
        }
        if (stat(p.data, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        if (list_push(out, p.data, &sb) != 0)
            st = db_fail(db, KBS_ENOMEM, "out of memory");
    }
    buf_free(&p);
    closedir(d);
    return st;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct file_entry *)a)->path, ((const struct file_entry *)b)->path);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What the index held for a file before this run. */
struct prior {
    uint32_t docid;  /* 0: nothing */
    uint64_t old[3]; /* size, mtime, hash, as its SLOT_STATE says */
};

struct run {
    kbs_db *db;
    const kbs_index_options *opts;
    kbs_index_report rep;
    kbs_index_event ev;
    double last_progress;
    int stop;
    uint32_t batch;         /* documents per commit */
    uint64_t pending_bytes; /* text indexed since the last commit */
    uint64_t last_len;      /* bytes of the file just indexed */
    /* In a worker process of a parallel build, events go to the parent
     * through event_fd (else -1), naming the file by its index, cur. */
    int event_fd;
    size_t cur;
    int64_t worker_text, worker_store; /* running totals a worker keeps back */
};

/* A message from a worker process to the parent, followed by msglen bytes
 * of text (a SKIPPED event's reason, or an error). */
enum { WM_EVENT = 1, WM_CHUNK = 2, WM_ERROR = 3 };
struct wmsg {
    uint32_t type;
    int32_t status;
    uint32_t kind; /* WM_EVENT: enum kbs_event_kind */
    uint32_t msglen;
    uint64_t file; /* WM_EVENT: index in the file list; WM_CHUNK: the chunk */
    uint64_t a, b; /* WM_EVENT: bytes indexed; WM_CHUNK: text and store bytes */
};

/* Writes all of data to fd. A worker whose parent is gone dies of SIGPIPE
 * here, which is what it should do. */
static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t k = write(fd, p, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

static void send_msg(int fd, struct wmsg m, const char *text)
{
    char out[sizeof m + 1024];
    size_t n = text ? strlen(text) : 0;
    if (n > sizeof out - sizeof m)
        n = sizeof out - sizeof m;
    m.msglen = (uint32_t)n;
    memcpy(out, &m, sizeof m);
    if (n)
        memcpy(out + sizeof m, text, n);
    /* One write of at most PIPE_BUF bytes: never interleaved. */
    (void)write_all(fd, out, sizeof m + n);
}

static void emit(struct run *r, int kind, const char *path, int status, const char *msg)
{
    if (r->event_fd >= 0) {
        struct wmsg m = {WM_EVENT, status, (uint32_t)kind, 0, r->cur, r->last_len, 0};
        send_msg(r->event_fd, m, msg);
        return;
    }
    if (r->stop || !r->opts->callback)
        return;
    r->ev.kind = kind;
    r->ev.path = path;
    r->ev.status = status;
    r->ev.message = msg;
    if (r->opts->callback(r->opts->callback_ctx, &r->ev) != 0)
        r->stop = 1;
}

static void skip(struct run *r, const char *path, int status, const char *msg)
{
    r->rep.skipped++;
    emit(r, KBS_EVENT_SKIPPED, path, status, msg);
}

/* A PROGRESS event now and then (at most every 0.1 s), and at the end. */
static void progress(struct run *r, int last)
{
    if (!last && (r->ev.files_done & 15) != 0)
        return;
    double t = now_seconds();
    if (last || t - r->last_progress >= 0.1) {
        r->last_progress = t;
        emit(r, KBS_EVENT_PROGRESS, NULL, KBS_OK, NULL);
    }
}

/* Commits the batch. A worker keeps the running totals for the parent,
 * which writes them once the workers' articles are in the index. */
static int run_commit(struct run *r)
{
    kbs_db *db = r->db;
    if (r->event_fd >= 0) {
        r->worker_text += db->text_bytes_delta;
        r->worker_store += db->store_bytes_delta;
        db->text_bytes_delta = db->store_bytes_delta = 0;
    }
    r->pending_bytes = 0;
    return db_commit(db);
}

static int read_file(const char *path, uint64_t size, char **out, size_t *len, char *err,
                     size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open it: %s; check its permissions", strerror(errno));
        return KBS_EIO;
    }
    char *d = malloc(size + 1);
    if (!d) {
        close(fd);
        snprintf(err, errlen, "out of memory reading it");
        return KBS_ENOMEM;
    }
    size_t n = 0;
    while (n < size) {
        ssize_t k = read(fd, d + n, size - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            snprintf(err, errlen, "cannot read it: %s", strerror(errno));
            free(d);
            close(fd);
            return KBS_EIO;
        }
        if (k == 0)
            break; /* shrank while we read: index what is there */
        n += (size_t)k;
    }
    close(fd);
    d[n] = '\0';
    *out = d;
    *len = n;
    return KBS_OK;
}

/* Looks at one file: unchanged, new, changed, or not indexable. A new one
 * goes under docid if that is not 0. */
static int visit(struct run *r, const struct file_entry *f, const struct prior *p, uint32_t docid)
{
    kbs_db *db = r->db;
    char msg[600];
    int known = p->docid != 0;
    if (known && p->old[0] == f->size && (int64_t)p->old[1] == f->mtime_ns) {
        r->rep.unchanged++;
        emit(r, KBS_EVENT_UNCHANGED, f->path, KBS_OK, NULL);
        return KBS_OK;
    }
    const char *keep = known ? " (the version indexed earlier is kept)" : "";
    if (f->size == 0) {
        snprintf(msg, sizeof msg, "empty file, nothing to index%s", keep);
        skip(r, f->path, KBS_EINPUT, msg);
        return KBS_OK;
    }
    if (f->size > r->opts->max_file_bytes) {
        snprintf(msg, sizeof msg,
                 "too large (%.1f MB; the limit is %.1f MB): not an article? raise the limit "
                 "with --max-file-size if it is%s",
                 (double)f->size / 1e6, (double)r->opts->max_file_bytes / 1e6, keep);
        skip(r, f->path, KBS_EINPUT, msg);
        return KBS_OK;
    }
    char *data = NULL;
    size_t len = 0;
    char err[300];
    int st = read_file(f->path, f->size, &data, &len, err, sizeof err);
    if (st == KBS_ENOMEM)
        return db_fail(db, st, "out of memory reading %s", f->path);
    if (st != KBS_OK) {
        snprintf(msg, sizeof msg, "%s%s", err, keep);
        skip(r, f->path, st, msg);
        return KBS_OK;
    }
    if (len == 0 || article_is_binary(data, len)) {
        snprintf(msg, sizeof msg, "%s%s",
                 len ? "binary data, not text: not indexed" : "empty file, nothing to index", keep);
        free(data);
        skip(r, f->path, KBS_EINPUT, msg);
        return KBS_OK;
    }
    uint64_t hash = docstore_hash(data, len);
    if (known && p->old[2] == hash && p->old[0] == len) {
        /* Touched but the same bytes: no need to re-index. */
        free(data);
        r->rep.unchanged++;
        emit(r, KBS_EVENT_UNCHANGED, f->path, KBS_OK, NULL);
        return KBS_OK;
    }
    int upd = 0;
    struct placing at = {!known, docid};
    st = index_one(db, f->path, strlen(f->path), data, len, f->mtime_ns, hash, at, NULL, &upd);
    free(data);
    if (st != KBS_OK)
        return st;
    r->rep.bytes_indexed += len;
    r->pending_bytes += len;
    r->last_len = len;
    if (upd)
        r->rep.updated++;
    else
        r->rep.added++;
    emit(r, upd ? KBS_EVENT_UPDATED : KBS_EVENT_ADDED, f->path, KBS_OK, NULL);
    if (db->pending >= r->batch || r->pending_bytes >= BATCH_MAX_BYTES)
        return run_commit(r);
    return KBS_OK;
}

/* Reads what the index holds for each file (nothing to read in an empty
 * index: a first run skips a look-up per file). */
static int classify(struct run *r, const struct file_list *files, struct prior *pri)
{
    kbs_db *db = r->db;
    uint32_t count = 0;
    int st = xs_db_doc_count(db->xdb, &count);
    if (st != KBS_OK)
        return db_fail_shim(db, st, "counting articles");
    if (count == 0)
        return KBS_OK;
    buf idterm = BUF_INIT;
    for (size_t i = 0; i < files->n && st == KBS_OK; i++) {
        db_id_term(files->v[i].path, strlen(files->v[i].path), &idterm);
        if (buf_failed(&idterm)) {
            st = db_fail(db, KBS_ENOMEM, "out of memory");
            break;
        }
        st = xs_db_find(db->xdb, idterm.data, idterm.len, &pri[i].docid);
        if (st == KBS_ENOTFOUND) {
            pri[i].docid = 0;
            st = KBS_OK;
            continue;
        }
        if (st != KBS_OK) {
            st = db_fail_shim(db, st, "looking up an article");
            break;
        }
        char *v = NULL;
        size_t vl = 0;
        if ((st = xs_db_get_value(db->xdb, pri[i].docid, SLOT_STATE, &v, &vl)) != KBS_OK) {
            st = db_fail_shim(db, st, "reading an article's state");
            break;
        }
        parse_state(v, pri[i].old);
        free(v);
    }
    buf_free(&idterm);
    return st;
}

/* ---- a compression dictionary for the store -------------------------------------- */

/* The first run that brings enough text trains a zstd dictionary on a sample
 * of it: news articles share much wording (agency lines, sign-offs, stock
 * phrases) that a short article alone cannot exploit. Measured on Reuters
 * 20,000 (per article, level 5): 0.51 of the text without a dictionary, 0.35
 * with one of 256 KiB trained on the first 2,000 articles (0.4 s). */
#define DICT_BYTES (256u * 1024)
#define DICT_SAMPLE_DOCS 2000
#define DICT_SAMPLE_BYTES (8u * 1024 * 1024)
/* Below this much sample text a dictionary would fit it, not the archive. */
#define DICT_MIN_SAMPLE_BYTES (1024u * 1024)

/* Trains and installs a dictionary from the first files that will be indexed,
 * if the index has none yet and there is enough text. Only memory or the
 * index can fail it: a sample that does not train is no error (the store
 * works without a dictionary). */
static int maybe_train_dict(struct run *r, const struct file_list *files, const struct prior *pri)
{
    kbs_db *db = r->db;
    if (db->has_dict)
        return KBS_OK;
    uint64_t candidates = 0;
    for (size_t i = 0; i < files->n && candidates < DICT_MIN_SAMPLE_BYTES; i++)
        if (!pri[i].docid || pri[i].old[0] != files->v[i].size)
            candidates += files->v[i].size;
    if (candidates < DICT_MIN_SAMPLE_BYTES)
        return KBS_OK;

    buf sample = BUF_INIT;
    size_t *sizes = calloc(DICT_SAMPLE_DOCS, sizeof *sizes);
    unsigned n = 0;
    int st = sizes ? KBS_OK : KBS_ENOMEM;
    for (size_t i = 0; st == KBS_OK && i < files->n && n < DICT_SAMPLE_DOCS; i++) {
        const struct file_entry *f = &files->v[i];
        if (pri[i].docid && pri[i].old[0] == f->size && (int64_t)pri[i].old[1] == f->mtime_ns)
            continue;
        if (f->size == 0 || f->size > r->opts->max_file_bytes ||
            sample.len + f->size > DICT_SAMPLE_BYTES)
            continue;
        char *data = NULL;
        size_t len = 0;
        char err[300];
        int rs = read_file(f->path, f->size, &data, &len, err, sizeof err);
        if (rs == KBS_ENOMEM)
            st = KBS_ENOMEM;
        if (rs != KBS_OK)
            continue;
        if (len && !article_is_binary(data, len)) {
            buf_append(&sample, data, len);
            sizes[n++] = len;
        }
        free(data);
        if (buf_failed(&sample))
            st = KBS_ENOMEM;
    }
    void *dict = NULL;
    size_t dlen = 0;
    if (st == KBS_OK && sample.len >= DICT_MIN_SAMPLE_BYTES) {
        dict = malloc(DICT_BYTES);
        if (!dict)
            st = KBS_ENOMEM;
    }
    if (dict) {
        /* fastCover with fixed parameters: ZDICT_trainFromBuffer() searches
         * them and takes seconds, for a dictionary no better here. */
        ZDICT_fastCover_params_t fp;
        memset(&fp, 0, sizeof fp);
        fp.k = 200;
        fp.d = 8;
        fp.f = 20;
        fp.accel = 1;
        fp.zParams.compressionLevel = STORE_LEVEL;
        size_t got = ZDICT_trainFromBuffer_fastCover(dict, DICT_BYTES, sample.data, sizes, n, fp);
        if (!ZDICT_isError(got) && docstore_set_dict(db->store, dict, got) == 0)
            dlen = got;
    }
    if (dlen) {
        /* Committed with the first records that use it, or before them. */
        st = xs_db_set_metadata(db->xdb, META_ZDICT, dict, dlen);
        if (st != KBS_OK)
            st = db_fail_shim(db, st, "saving the store's compression dictionary");
        else
            db->has_dict = 1;
    }
    if (st == KBS_ENOMEM)
        st = db_fail(db, st, "out of memory training the store's compression dictionary");
    free(dict);
    free(sizes);
    buf_free(&sample);
    return st;
}

/* ---- a parallel build ---------------------------------------------------------------- */

/* A first run (or one that brings many new files) indexes the new files in
 * worker processes, one per core: each builds chunks of them into scratch
 * databases of its own, which are then merged with the index by Xapian's
 * compaction into a new copy that replaces it, as kbs_db_compact() does.
 * Xapian's indexing is single-threaded, and about 80% of the time goes
 * there, so separate processes are what lets a second core help; the merge
 * also leaves the index compact (incremental batches leave blocks half full).
 *
 * The new articles get the ids a sequential run would give them (the index's
 * last id + 1 + their place among the new files, in path order; a skipped
 * file leaves its id unused), so the merge keeps every id: ids already
 * shown to users stay valid. */
#define PARALLEL_MIN_FILES 2000
#define MAX_WORKERS 4
#define CHUNK_MIN_FILES 250
#define CHUNK_MAX_FILES 5000
#define BUILD_MARK ".build-"
#define MERGE_NAME "merged"

struct shared_state {
    atomic_uint next_chunk;
    atomic_int stop;
};

struct par {
    const struct file_list *files;
    const size_t *todo; /* indexes of the new files, in path order */
    size_t ntodo;
    uint32_t first_docid;
    size_t chunk, nchunks;
    const char *build;
    struct shared_state *sh;
    pid_t parent;
};

static unsigned worker_count(const kbs_db *db)
{
    if (db->workers)
        return db->workers > MAX_WORKERS ? MAX_WORKERS : db->workers;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : (unsigned)n;
}

/* Whether the new files are worth a parallel build: many, and (merging
 * rewrites the whole index) a good share of what the index holds already. */
static int want_parallel(struct run *r, size_t nnew, uint64_t new_bytes)
{
    kbs_db *db = r->db;
    uint32_t min = db->parallel_min_files ? db->parallel_min_files : PARALLEL_MIN_FILES;
    if (nnew < min)
        return 0;
    uint64_t held = 0;
    if (db_meta_u64(db, META_TEXT_BYTES, &held) != KBS_OK)
        return 0;
    return new_bytes * 4 >= held;
}

/* Closes every file descriptor a worker inherited but keep (and stdio). The
 * writer locks, ours (flock) and Xapian's, belong to open files that a
 * child shares: were it to keep them, they would outlive a parent that
 * dies, and lock the index out until the worker is gone too. */
static void close_inherited(int keep)
{
    int fds[256];
    for (;;) {
        size_t n = 0;
        DIR *d = opendir("/proc/self/fd");
        if (!d) {
            for (int fd = 3; fd < 1024; fd++)
                if (fd != keep)
                    close(fd);
            return;
        }
        struct dirent *e;
        while ((e = readdir(d)) && n < sizeof fds / sizeof fds[0]) {
            int fd = 0;
            const char *c = e->d_name;
            for (; *c >= '0' && *c <= '9' && fd < 1000000; c++)
                fd = fd * 10 + (*c - '0');
            if (*c == '\0' && c != e->d_name && fd > 2 && fd != keep && fd != dirfd(d))
                fds[n++] = fd;
        }
        closedir(d);
        if (n == 0)
            return;
        for (size_t i = 0; i < n; i++)
            close(fds[i]);
    }
}

/* A worker process: indexes chunks of the new files until none is left, each
 * into a scratch database of its own. Never returns. */
static void worker_main(struct run *r, const struct par *p, int fd)
{
    /* A worker must not outlive the run it serves. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != p->parent)
        _exit(1);
    close_inherited(fd);
    kbs_db *db = r->db;
    r->event_fd = fd;
    r->batch = SCRATCH_BATCH_DOCS;
    r->pending_bytes = 0;
    int st = KBS_OK;
    buf path = BUF_INIT;
    for (;;) {
        unsigned k = atomic_fetch_add(&p->sh->next_chunk, 1);
        if (k >= p->nchunks || atomic_load(&p->sh->stop))
            break;
        buf_reset(&path);
        buf_printf(&path, "%s/%05u", p->build, k);
        xs_db *x = NULL;
        char err[512];
        if (buf_failed(&path)) {
            st = db_fail(db, KBS_ENOMEM, "out of memory");
            break;
        }
        st = xs_db_open(path.data, XS_OPEN_SCRATCH, &x, err, sizeof err);
        if (st != KBS_OK) {
            db_fail(db, st, "cannot create a temporary index in %s: %s", path.data, err);
            break;
        }
        /* The parent's handle stays as it was: this process only ever
         * writes to its own scratch database. */
        db->xdb = x;
        r->worker_text = r->worker_store = 0;
        size_t from = (size_t)k * p->chunk, to = from + p->chunk;
        if (to > p->ntodo)
            to = p->ntodo;
        struct prior none;
        memset(&none, 0, sizeof none);
        for (size_t j = from; j < to && st == KBS_OK && !atomic_load(&p->sh->stop); j++) {
            r->cur = p->todo[j];
            st = visit(r, &p->files->v[r->cur], &none, p->first_docid + (uint32_t)j);
        }
        if (st == KBS_OK)
            st = run_commit(r);
        xs_db_close(x);
        db->xdb = NULL;
        if (st != KBS_OK)
            break;
        struct wmsg m = {
            WM_CHUNK, KBS_OK, 0, 0, k, (uint64_t)r->worker_text, (uint64_t)r->worker_store};
        send_msg(fd, m, NULL);
    }
    if (st != KBS_OK) {
        struct wmsg m = {WM_ERROR, st, 0, 0, 0, 0, 0};
        send_msg(fd, m, db->errmsg);
    }
    buf_free(&path);
    /* _exit: the parent's stdio buffers, atexit handlers and Xapian
     * destructors belong to the parent. */
    _exit(st == KBS_OK ? 0 : 1);
}

/* What the parent gathers from its workers. */
struct gather {
    int status; /* the first failure */
    char errmsg[1024];
    uint64_t added; /* articles in the chunks done */
    int64_t text, store;
    unsigned char *done; /* per chunk: committed by its worker */
};

static void take_msg(struct run *r, const struct par *p, struct gather *g, const struct wmsg *m,
                     const char *text)
{
    char msg[1100];
    snprintf(msg, sizeof msg, "%.*s", (int)m->msglen, text);
    if (m->type == WM_ERROR) {
        if (g->status == KBS_OK) {
            g->status = m->status ? m->status : KBS_EINTERNAL;
            snprintf(g->errmsg, sizeof g->errmsg, "%.1000s", msg);
        }
        return;
    }
    if (m->type == WM_CHUNK) {
        if (m->file < p->nchunks)
            g->done[m->file] = 1;
        g->text += (int64_t)m->a;
        g->store += (int64_t)m->b;
        return;
    }
    if (m->type != WM_EVENT || m->file >= p->files->n)
        return;
    const struct file_entry *f = &p->files->v[m->file];
    if (m->kind == KBS_EVENT_ADDED) {
        r->rep.added++;
        r->rep.bytes_indexed += m->a;
        g->added++;
        emit(r, KBS_EVENT_ADDED, f->path, KBS_OK, NULL);
    } else if (m->kind == KBS_EVENT_SKIPPED) {
        skip(r, f->path, m->status, msg);
    } else {
        return;
    }
    r->ev.files_done++;
    r->ev.bytes_done += f->size;
    progress(r, 0);
    if (r->stop)
        atomic_store(&p->sh->stop, 1);
}

/* Reads the workers' messages until every pipe is closed. */
static void gather_events(struct run *r, const struct par *p, struct gather *g, int *fds,
                          unsigned n)
{
    buf in[MAX_WORKERS];
    struct pollfd pf[MAX_WORKERS];
    for (unsigned w = 0; w < n; w++) {
        in[w] = (buf)BUF_INIT;
        pf[w].fd = fds[w];
        pf[w].events = POLLIN;
    }
    unsigned open = n;
    char chunk[65536];
    while (open > 0) {
        if (poll(pf, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            /* Stop the workers: once their pipes are closed (by the
             * caller), a write kills them. */
            if (g->status == KBS_OK) {
                g->status = KBS_EIO;
                snprintf(g->errmsg, sizeof g->errmsg, "waiting for the worker processes: %s",
                         strerror(errno));
            }
            atomic_store(&p->sh->stop, 1);
            break;
        }
        for (unsigned w = 0; w < n; w++) {
            if (pf[w].fd < 0 || !(pf[w].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t k = read(pf[w].fd, chunk, sizeof chunk);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0) {
                pf[w].fd = -1;
                open--;
                continue;
            }
            buf_append(&in[w], chunk, (size_t)k);
            if (buf_failed(&in[w])) {
                if (g->status == KBS_OK) {
                    g->status = KBS_ENOMEM;
                    snprintf(g->errmsg, sizeof g->errmsg, "out of memory");
                }
                buf_reset(&in[w]);
                continue;
            }
            size_t off = 0;
            while (in[w].len - off >= sizeof(struct wmsg)) {
                struct wmsg m;
                memcpy(&m, in[w].data + off, sizeof m);
                if (in[w].len - off - sizeof m < m.msglen)
                    break;
                take_msg(r, p, g, &m, in[w].data + off + sizeof m);
                off += sizeof m + m.msglen;
            }
            if (off > 0) {
                memmove(in[w].data, in[w].data + off, in[w].len - off);
                in[w].len -= off;
            }
        }
    }
    for (unsigned w = 0; w < n; w++)
        buf_free(&in[w]);
}

/* Indexes the new files todo[0..ntodo) in worker processes and merges their
 * work into the index. */
static int build_parallel(struct run *r, const struct file_list *files, const size_t *todo,
                          size_t ntodo)
{
    kbs_db *db = r->db;
    /* The merge reads the index as last committed. */
    int st = db_commit(db);
    if (st != KBS_OK)
        return st;
    uint32_t last = 0, count = 0;
    if ((st = xs_db_last_docid(db->xdb, &last)) != KBS_OK ||
        (st = xs_db_doc_count(db->xdb, &count)) != KBS_OK)
        return db_fail_shim(db, st, "reading the index's counts");
    if ((uint64_t)last + ntodo >= UINT32_MAX)
        return db_fail(db, KBS_EINVAL, "too many articles for one index (ids run out)");

    buf build = BUF_INIT, path = BUF_INIT;
    if ((st = db_sibling_path(db, BUILD_MARK, &build)) != KBS_OK) {
        buf_free(&build);
        return st;
    }
    if (mkdir(build.data, 0755) != 0) {
        st = db_fail(db, KBS_EIO, "cannot create the folder %s: %s", build.data, strerror(errno));
        buf_free(&build);
        return st;
    }

    struct par p;
    memset(&p, 0, sizeof p);
    p.files = files;
    p.todo = todo;
    p.ntodo = ntodo;
    p.first_docid = last + 1;
    p.build = build.data;
    p.parent = getpid();
    unsigned nw = worker_count(db);
    size_t chunk = db->parallel_chunk_files ? db->parallel_chunk_files : ntodo / (4 * nw);
    if (!db->parallel_chunk_files)
        chunk = chunk < CHUNK_MIN_FILES   ? CHUNK_MIN_FILES
                : chunk > CHUNK_MAX_FILES ? CHUNK_MAX_FILES
                                          : chunk;
    p.chunk = chunk;
    p.nchunks = (ntodo + chunk - 1) / chunk;
    if (nw > p.nchunks)
        nw = (unsigned)p.nchunks;

    struct gather g;
    memset(&g, 0, sizeof g);
    g.done = calloc(p.nchunks, 1);
    p.sh = mmap(NULL, sizeof *p.sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (!g.done || p.sh == MAP_FAILED) {
        p.sh = NULL;
        st = db_fail(db, KBS_ENOMEM, "out of memory");
        goto out;
    }
    atomic_init(&p.sh->next_chunk, 0);
    atomic_init(&p.sh->stop, 0);

    pid_t pids[MAX_WORKERS];
    int fds[MAX_WORKERS];
    unsigned started = 0;
    for (; started < nw; started++) {
        int pp[2];
        if (pipe(pp) != 0) {
            st = db_fail(db, KBS_EIO, "cannot start a worker process: %s", strerror(errno));
            break;
        }
        pid_t pid = fork();
        if (pid < 0) {
            st = db_fail(db, KBS_EIO, "cannot start a worker process: %s", strerror(errno));
            close(pp[0]);
            close(pp[1]);
            break;
        }
        if (pid == 0) {
            close(pp[0]);
            for (unsigned w = 0; w < started; w++)
                close(fds[w]);
            worker_main(r, &p, pp[1]);
        }
        close(pp[1]);
        pids[started] = pid;
        fds[started] = pp[0];
    }
    if (st != KBS_OK)
        atomic_store(&p.sh->stop, 1);
    gather_events(r, &p, &g, fds, started);
    for (unsigned w = 0; w < started; w++) {
        close(fds[w]);
        int ws = 0;
        while (waitpid(pids[w], &ws, 0) < 0 && errno == EINTR) {
        }
        if (st == KBS_OK && g.status == KBS_OK && !(WIFEXITED(ws) && WEXITSTATUS(ws) == 0)) {
            g.status = KBS_EINTERNAL;
            snprintf(g.errmsg, sizeof g.errmsg, "a worker process of the build %s %d",
                     WIFSIGNALED(ws) ? "was killed by signal" : "exited with status",
                     WIFSIGNALED(ws) ? WTERMSIG(ws) : WEXITSTATUS(ws));
        }
    }
    if (st != KBS_OK)
        goto out;
    if (g.status != KBS_OK) {
        st = db_fail(db, g.status, "%s", g.errmsg);
        goto out;
    }
    if (g.added == 0)
        goto out;

    /* The index first: its metadata (format, dictionary, totals) wins. */
    const char **srcs = calloc(p.nchunks + 1, sizeof *srcs);
    char **owned = calloc(p.nchunks + 1, sizeof *owned);
    size_t ns = 0;
    st = srcs && owned ? KBS_OK : db_fail(db, KBS_ENOMEM, "out of memory");
    if (st == KBS_OK)
        srcs[ns++] = db->path;
    for (size_t k = 0; st == KBS_OK && k < p.nchunks; k++) {
        if (!g.done[k])
            continue;
        buf_reset(&path);
        buf_printf(&path, "%s/%05u", build.data, (unsigned)k);
        owned[ns] = buf_failed(&path) ? NULL : strdup(path.data);
        if (!owned[ns])
            st = db_fail(db, KBS_ENOMEM, "out of memory");
        else
            srcs[ns] = owned[ns], ns++;
    }
    if (st == KBS_OK) {
        buf_reset(&path);
        buf_printf(&path, "%s/%s", build.data, MERGE_NAME);
        char err[512];
        if (buf_failed(&path))
            st = db_fail(db, KBS_ENOMEM, "out of memory");
        else if ((st = xs_compact_merge(srcs, ns, path.data, err, sizeof err)) != KBS_OK)
            st =
                db_fail(db, st, "merging the new articles into the index at %s: %s", db->path, err);
    }
    for (size_t i = 0; owned && i < ns; i++)
        free(owned[i]);
    free(owned);
    free(srcs);
    if (st == KBS_OK &&
        (st = db_install_copy(db, path.data, count + (uint32_t)g.added)) == KBS_OK) {
        db->text_bytes_delta += g.text;
        db->store_bytes_delta += g.store;
    }

out:
    if (p.sh)
        munmap(p.sh, sizeof *p.sh);
    free(g.done);
    db_remove_tree(build.data);
    buf_free(&build);
    buf_free(&path);
    return st;
}

struct stale_ctx {
    char **seen; /* sorted id terms of the files found */
    size_t nseen;
    char **stale;
    size_t n, cap;
    int oom;
};

static int stale_cb(void *ctx, const char *term, size_t len, uint32_t freq)
{
    (void)freq;
    struct stale_ctx *s = ctx;
    char *t = strndup(term, len);
    if (!t) {
        s->oom = 1;
        return 1;
    }
    if (bsearch(&t, s->seen, s->nseen, sizeof *s->seen, cmp_str)) {
        free(t);
        return 0;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        char **v = realloc(s->stale, cap * sizeof *v);
        if (!v) {
            free(t);
            s->oom = 1;
            return 1;
        }
        s->stale = v;
        s->cap = cap;
    }
    s->stale[s->n++] = t;
    return 0;
}

/* Drops the articles whose files under root are gone. Files that exist but
 * could not be read count as seen: an article is never lost to a passing
 * permission problem. */
static int remove_stale(struct run *r, const char *root, struct file_list *files)
{
    kbs_db *db = r->db;
    struct stale_ctx s;
    memset(&s, 0, sizeof s);
    int st = KBS_OK;
    s.seen = calloc(files->n ? files->n : 1, sizeof *s.seen);
    if (!s.seen)
        return db_fail(db, KBS_ENOMEM, "out of memory");
    buf t = BUF_INIT;
    for (size_t i = 0; i < files->n; i++) {
        db_id_term(files->v[i].path, strlen(files->v[i].path), &t);
        char *c = buf_failed(&t) ? NULL : strdup(t.data);
        if (!c) {
            st = db_fail(db, KBS_ENOMEM, "out of memory");
            break;
        }
        s.seen[s.nseen++] = c;
    }
    if (st == KBS_OK) {
        qsort(s.seen, s.nseen, sizeof *s.seen, cmp_str);
        buf prefix = BUF_INIT;
        buf_printf(&prefix, "%s%s%s", PFX_ID, root, strcmp(root, "/") ? "/" : "");
        /* A key shortened by a hash keeps its head, so the prefix still lists it. */
        st = xs_db_allterms(db->xdb, prefix.data, prefix.len, stale_cb, &s);
        buf_free(&prefix);
        if (st != KBS_OK)
            st = db_fail_shim(db, st, "listing indexed articles");
        else if (s.oom)
            st = db_fail(db, KBS_ENOMEM, "out of memory");
    }
    for (size_t i = 0; st == KBS_OK && i < s.n; i++) {
        uint32_t docid = 0;
        char *v = NULL;
        size_t vl = 0;
        const char *path = s.stale[i] + strlen(PFX_ID);
        if (xs_db_find(db->xdb, s.stale[i], strlen(s.stale[i]), &docid) == KBS_OK &&
            xs_db_get_value(db->xdb, docid, SLOT_META, &v, &vl) == KBS_OK) {
            const char *fields[MF_COUNT];
            db_split_meta(v, vl, fields);
            path = fields[MF_PATH];
        }
        int64_t tb, sb;
        old_sizes(db, docid, &tb, &sb);
        st = xs_db_delete(db->xdb, s.stale[i], strlen(s.stale[i]));
        if (st == KBS_OK) {
            db->text_bytes_delta -= tb;
            db->store_bytes_delta -= sb;
            db->pending++;
            r->rep.removed++;
            emit(r, KBS_EVENT_REMOVED, path, KBS_OK, NULL);
        } else {
            st = db_fail_shim(db, st, "removing an article");
        }
        free(v);
    }
    for (size_t i = 0; i < s.nseen; i++)
        free(s.seen[i]);
    for (size_t i = 0; i < s.n; i++)
        free(s.stale[i]);
    free(s.seen);
    free(s.stale);
    buf_free(&t);
    return st;
}

int kbs_index_dir(kbs_db *db, const char *dir, const kbs_index_options *opts,
                  kbs_index_report *report)
{
    if (!db)
        return KBS_EINVAL;
    db_clear_error(db);
    if (!dir || !*dir)
        return db_fail(db, KBS_EINVAL, "no folder given to index");
    if (!db->writable)
        return db_fail(db, KBS_EREADONLY, "the index at %s is open read-only", db->path);
    kbs_index_options defaults;
    kbs_index_options_init(&defaults);
    if (!opts)
        opts = &defaults;
    kbs_index_options o = *opts;
    if (o.max_file_bytes == 0)
        o.max_file_bytes = DEFAULT_MAX_FILE_BYTES;
    if (o.batch_docs == 0)
        o.batch_docs = DEFAULT_BATCH_DOCS;

    char root[PATH_MAX];
    if (!realpath(dir, root))
        return db_fail(db, errno == ENOENT ? KBS_ENOTFOUND : KBS_EIO,
                       "cannot open the folder %s: %s", dir, strerror(errno));
    struct stat sb;
    if (stat(root, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return db_fail(db, KBS_EINVAL,
                       "%s is not a folder; give the folder that holds the articles", dir);

    struct run r;
    memset(&r, 0, sizeof r);
    r.db = db;
    r.opts = &o;
    r.batch = o.batch_docs;
    r.event_fd = -1;
    double t0 = now_seconds();
    struct file_list files = {NULL, 0, 0};
    struct prior *pri = NULL;
    size_t *todo = NULL;
    int st = walk(db, root, &files, 0);
    if (st == KBS_OK) {
        qsort(files.v, files.n, sizeof *files.v, cmp_entry);
        pri = calloc(files.n ? files.n : 1, sizeof *pri);
        todo = calloc(files.n ? files.n : 1, sizeof *todo);
        if (!pri || !todo)
            st = db_fail(db, KBS_ENOMEM, "out of memory");
    }
    if (st == KBS_OK)
        st = classify(&r, &files, pri);
    size_t ntodo = 0;
    uint64_t new_bytes = 0;
    for (size_t i = 0; st == KBS_OK && i < files.n; i++)
        if (!pri[i].docid) {
            todo[ntodo++] = i;
            new_bytes += files.v[i].size;
        }
    int parallel = st == KBS_OK && want_parallel(&r, ntodo, new_bytes);
    if (st == KBS_OK)
        st = maybe_train_dict(&r, &files, pri);
    if (st == KBS_OK) {
        r.ev.files_total = files.n;
        r.last_progress = t0;
        for (size_t i = 0; i < files.n && st == KBS_OK && !r.stop; i++) {
            /* The new files wait for the workers. */
            if (parallel && !pri[i].docid)
                continue;
            st = visit(&r, &files.v[i], &pri[i], 0);
            r.ev.files_done++;
            r.ev.bytes_done += files.v[i].size;
            progress(&r, 0);
        }
        if (st == KBS_OK && !r.stop && parallel)
            st = build_parallel(&r, &files, todo, ntodo);
        if (r.ev.files_done == files.n)
            progress(&r, 1);
        /* Removal only after a complete walk: a run stopped early has not
         * seen every file, and must not drop the ones it did not reach. */
        if (st == KBS_OK && !r.stop)
            st = remove_stale(&r, root, &files);
    }
    free(pri);
    free(todo);
    list_free(&files);
    /* Whatever happened, keep what was done. */
    int cst = db_commit(db);
    if (st == KBS_OK)
        st = cst;
    r.rep.seconds = now_seconds() - t0;
    if (report)
        *report = r.rep;
    return st;
}
