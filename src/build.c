/* build.c - the parallel build: a first run (or one that brings many new
 * files) indexes the new files in worker processes, one per core: each
 * builds chunks of them into scratch databases of its own, which are then
 * merged with the index by Xapian's compaction into a new copy that replaces
 * it, as kbs_db_compact() does. Everything the copy needs is in the merge's
 * sources: the stories of the new articles are worked out on the index and
 * the chunks opened together and written into the chunks, the spelling words
 * of each worker are in a scratch database of their own, and the index's new
 * running totals in another. The copy is then never written to (unless a new
 * article joins the story of an older one): any write to it splits its full
 * blocks (on Reuters 5,000, the story values alone made it 11% bigger).
 * Xapian's indexing is single-threaded, and
 * about 80% of the time goes there, so separate processes are what lets a
 * second core help; the merge also leaves the index compact (incremental
 * batches leave blocks half full).
 *
 * The new articles get the ids a sequential run would give them (the index's
 * last id + 1 + their place among the new files, in path order; a skipped
 * file leaves its id unused), so the merge keeps every id: ids already
 * shown to users stay valid.
 *
 * A crash at any moment leaves the index as the run's sequential part left
 * it (the merged copy replaces it in one atomic rename), and a folder
 * "<index>.build-<pid>" beside it that the next run removes. Workers die
 * with the parent (PR_SET_PDEATHSIG) and hold none of its locks. */
#include "index_run.h"
#include "dedup.h"
#include "room.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include <unistd.h>

/* What a failed write of the build (its scratch databases, the merged copy)
 * tells the user to do when the disk is full: the shim reports that as
 * KBS_EIO. */
static const char *space_hint(int st)
{
    return st == KBS_EIO ? " — the disk that holds the index is full (or a file size limit was "
                           "reached): free some space on it"
                         : "";
}

/* Documents per commit in a worker's scratch database. Xapian's in-memory
 * inverter (red-black trees of strings) slows down as it grows on this kind
 * of machine: on Reuters, 250 documents per flush took 25% less CPU than
 * 1,000. A scratch commit costs no fsync(). */
#define SCRATCH_BATCH_DOCS 250

/* A message from a worker process to the parent, followed by msglen bytes
 * of text (a SKIPPED event's reason, or an error). */
enum { WM_EVENT = 1, WM_CHUNK = 2, WM_ERROR = 3, WM_WORDS = 4 };
struct wmsg {
    uint32_t type;
    int32_t status;
    uint32_t kind; /* WM_EVENT: enum kbs_event_kind */
    uint32_t msglen;
    uint64_t file; /* WM_EVENT: index in the file list; WM_CHUNK: the chunk;
                      WM_WORDS: the worker */
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

/* A worker's messages to the parent. Its ADDED events are held and sent
 * OUTBOX_HELD at a time: a write and a wake-up of the parent per article
 * cost 2-3% of a build's CPU. Every other message goes at once, after what
 * is held, so that the parent sees them in order. */
#define OUTBOX_HELD 32 /* 32 messages of 40 bytes: one write below PIPE_BUF */
struct outbox {
    int fd;
    size_t n;
    struct wmsg held[OUTBOX_HELD];
};

static void outbox_flush(struct outbox *o)
{
    if (o->n)
        (void)write_all(o->fd, o->held, o->n * sizeof o->held[0]);
    o->n = 0;
}

static void outbox_send(struct outbox *o, struct wmsg m, const char *text)
{
    outbox_flush(o);
    send_msg(o->fd, m, text);
}

/* The sink of a worker's events: a message to the parent. */
static void worker_sink(struct run *r, int kind, int status, const char *msg)
{
    struct outbox *o = r->sink_ctx;
    struct wmsg m = {WM_EVENT, status, (uint32_t)kind, 0, r->cur, r->last_len, 0};
    if (kind != KBS_EVENT_ADDED || msg) {
        outbox_send(o, m, msg);
        return;
    }
    o->held[o->n++] = m;
    if (o->n == OUTBOX_HELD)
        outbox_flush(o);
}

/* ---- the workers' sentence hashes, for the parent's grouping ----
 * A worker logs, for each article it indexes, its id, the number of its
 * sentences and their hashes (dedup.h; in this machine's byte order, for
 * the parent alone), and writes a chunk's log beside its scratch database
 * (SENTS_SUFFIX) once the chunk is committed. A log that is missing or cut
 * short only costs the parent the reading of those articles' stored text. */
#define SENTS_SUFFIX ".sents"

void build_log_sents(buf *log, uint32_t docid, const uint64_t *h, size_t n)
{
    if (n > UINT32_MAX / sizeof *h)
        return; /* never in practice; the parent reads this one's text */
    uint32_t head[2] = {docid, (uint32_t)n};
    buf_append(log, head, sizeof head);
    if (n)
        buf_append(log, h, n * sizeof *h);
}

/* Writes a chunk's log to chunk + SENTS_SUFFIX, through a temporary name
 * so that a log is whole or absent; when it cannot, the parent does
 * without. */
static void write_sents(const char *chunk, const buf *log)
{
    if (buf_failed(log) || log->len == 0)
        return;
    buf tmp = BUF_INIT, fin = BUF_INIT;
    buf_printf(&tmp, "%s%s.tmp", chunk, SENTS_SUFFIX);
    buf_printf(&fin, "%s%s", chunk, SENTS_SUFFIX);
    if (!buf_failed(&tmp) && !buf_failed(&fin)) {
        int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        int ok = fd >= 0 && write_all(fd, log->data, log->len) == 0;
        if (fd >= 0 && close(fd) != 0)
            ok = 0;
        if (!ok || rename(tmp.data, fin.data) != 0)
            unlink(tmp.data);
    }
    buf_free(&tmp);
    buf_free(&fin);
}

#define PARALLEL_MIN_FILES 2000
#define MAX_WORKERS 4
#define CHUNK_MIN_FILES 250
#define CHUNK_MAX_FILES 5000
#define BUILD_MARK ".build-"
#define MERGE_NAME "merged"
/* The scratch database of the index's new running totals: first among the
 * merge's sources, so that its values win (see build_parallel). */
#define TOTALS_NAME "totals"

struct shared_state {
    atomic_uint next_chunk;
    atomic_int stop;
};

struct par {
    const struct file_list *files;
    const size_t *todo; /* indexes of the new files, in path order */
    size_t ntodo;
    uint32_t first_docid;
    size_t *starts; /* chunk k holds todo[starts[k] .. starts[k + 1]) */
    size_t nchunks;
    const char *build;
    struct shared_state *sh;
    pid_t parent;
};

unsigned build_workers(const struct run *r)
{
    const kbs_db *db = r->db;
    if (r->opts->workers)
        return r->opts->workers > MAX_WORKERS ? MAX_WORKERS : r->opts->workers;
    if (db->workers)
        return db->workers > MAX_WORKERS ? MAX_WORKERS : db->workers;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : (unsigned)n;
}

/* Many new files, and (merging rewrites the whole index) a good share of
 * what the index holds already. */
void build_remove_leftovers(kbs_db *db)
{
    buf tmp = BUF_INIT;
    if (db_sibling_path(db, BUILD_MARK, &tmp) != KBS_OK)
        db_clear_error(db); /* only wasted space is at stake */
    buf_free(&tmp);
}

int build_wanted(struct run *r, size_t nnew, uint64_t new_bytes)
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

/* Creates the scratch database `name` in the build folder; *path is its
 * path (freed by the caller, also on failure). */
static int open_scratch(kbs_db *db, const struct par *p, const char *name, buf *path, xs_db **x)
{
    buf_printf(path, "%s/%s", p->build, name);
    if (buf_failed(path))
        return db_fail(db, KBS_ENOMEM, "out of memory");
    char err[512];
    int st = xs_db_open(path->data, XS_OPEN_SCRATCH, x, err, sizeof err);
    if (st != KBS_OK)
        st = db_fail(db, st, "cannot create a temporary index in %s: %s%s", path->data, err,
                     space_hint(st));
    return st;
}

/* Hands a worker's spelling words over, once, into a scratch database of
 * their own ("<build>/w<worker>") that joins the merge. */
static int worker_words(kbs_db *db, const struct par *p, unsigned w, int fd)
{
    char name[16];
    snprintf(name, sizeof name, "w%02u", w);
    buf path = BUF_INIT;
    xs_db *x = NULL;
    int st = open_scratch(db, p, name, &path, &x);
    if (st == KBS_OK && (st = spell_flush(db->spell, x, 0)) == KBS_OK)
        st = xs_db_commit(x);
    if (st != KBS_OK && x)
        st = db_fail(db, st, "adding words to the spelling table in %s: %s%s", path.data,
                     xs_db_errmsg(x), space_hint(st));
    xs_db_close(x);
    buf_free(&path);
    if (st == KBS_OK) {
        struct wmsg m = {WM_WORDS, KBS_OK, 0, 0, w, 0, 0};
        send_msg(fd, m, NULL);
    }
    return st;
}

/* What a worker that Xapian ends with std::terminate reports (see
 * xs_on_terminate): the cause, as a failure of the worker, so that the
 * parent says what happened and what to do (a full disk, in practice)
 * rather than that a worker was killed by SIGABRT. */
struct worker_end {
    kbs_db *db;
    const struct par *p;
    struct outbox *out;
};

static void worker_fatal(void *ctx, int status, const char *msg)
{
    const struct worker_end *e = ctx;
    db_fail(e->db, status, "writing a temporary index in %s: %s%s", e->p->build, msg,
            space_hint(status));
    struct wmsg m = {WM_ERROR, status, 0, 0, 0, 0, 0};
    outbox_send(e->out, m, e->db->errmsg);
    _exit(1);
}

/* A worker process: indexes chunks of the new files until none is left, each
 * into a scratch database of its own. Never returns. */
static void worker_main(struct run *r, const struct par *p, unsigned w, int fd)
{
    /* A worker must not outlive the run it serves. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != p->parent)
        _exit(1);
    close_inherited(fd);
    kbs_db *db = r->db;
    struct outbox out;
    out.fd = fd;
    out.n = 0;
    struct worker_end end = {db, p, &out};
    xs_on_terminate(worker_fatal, &end);
    r->sink = worker_sink;
    dedup_disable(db); /* the parent groups the new articles (group_stories) */
    r->sink_ctx = &out;
    r->batch = SCRATCH_BATCH_DOCS;
    db->pending_text = 0;
    /* The spelling words wait for the worker's end (worker_words). */
    spell_hold(db->spell, 1);
    buf path = BUF_INIT, sents = BUF_INIT;
    struct ahead *ahead = calloc(1, sizeof *ahead);
    int st = ahead ? KBS_OK : db_fail(db, KBS_ENOMEM, "out of memory");
    while (st == KBS_OK) {
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
            db_fail(db, st, "cannot create a temporary index in %s: %s%s", path.data, err,
                    space_hint(st));
            break;
        }
        /* The parent's handle stays as it was: this process only ever
         * writes to its own scratch database, which records the forms of
         * its own articles' words (stem.h), whatever this process or its
         * parent noted before. */
        db->xdb = x;
        stemmer_forget_forms(db->stem);
        r->kept_text = r->kept_store = 0;
        size_t from = p->starts[k], to = p->starts[k + 1];
        struct prior none;
        memset(&none, 0, sizeof none);
        /* The chunk's batch commits hold its positions (as much as a batch
         * may buffer of text), for its last commit to write in one pass:
         * merged into the chunks at every commit, they cost 10% of the
         * build's CPU. */
        db->pos_hold = (size_t)r->batch_bytes;
        buf_reset(&sents);
        db->sents_log = &sents;
        for (size_t j = from; j < to && st == KBS_OK && !atomic_load(&p->sh->stop);) {
            run_ahead_reset(ahead);
            size_t end = j;
            while (end < to && run_ahead_take(r, ahead, &p->files->v[p->todo[end]], &none))
                end++;
            run_ahead_pack(r, ahead);
            for (size_t g = 0; j < end && st == KBS_OK && !atomic_load(&p->sh->stop); j++) {
                r->cur = p->todo[j];
                st = run_visit(r, &p->files->v[r->cur], &none, p->first_docid + (uint32_t)j,
                               &ahead->v[g++]);
            }
        }
        db->pos_hold = 0;
        db->sents_log = NULL;
        if (st == KBS_OK) {
            db->spell_lazy = 1;
            st = run_commit(r);
            db->spell_lazy = 0;
        }
        if (st == KBS_OK)
            write_sents(path.data, &sents);
        xs_db_close(x);
        db->xdb = NULL;
        if (st != KBS_OK)
            break;
        struct wmsg m = {
            WM_CHUNK, KBS_OK, 0, 0, k, (uint64_t)r->kept_text, (uint64_t)r->kept_store};
        outbox_send(&out, m, NULL);
    }
    /* Also after a stop: the chunks done are merged. */
    outbox_flush(&out);
    if (st == KBS_OK)
        st = worker_words(db, p, w, fd);
    if (st != KBS_OK) {
        struct wmsg m = {WM_ERROR, st, 0, 0, 0, 0, 0};
        send_msg(fd, m, db->errmsg);
    }
    buf_free(&path);
    buf_free(&sents);
    if (ahead)
        run_ahead_free(ahead);
    free(ahead);
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
    unsigned char *done;              /* per chunk: committed by its worker */
    unsigned char words[MAX_WORKERS]; /* per worker: its words' database is done */
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
    if (m->type == WM_WORDS) {
        if (m->file < MAX_WORKERS)
            g->words[m->file] = 1;
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
        run_emit(r, KBS_EVENT_ADDED, f->path, KBS_OK, NULL);
    } else if (m->kind == KBS_EVENT_SKIPPED) {
        run_skip(r, f->path, m->status, msg);
    } else {
        return;
    }
    r->ev.files_done++;
    r->ev.bytes_done += f->size;
    run_progress(r, 0);
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

/* The chunk that holds todo[j]. */
static size_t chunk_of(const struct par *p, size_t j)
{
    size_t lo = 0, hi = p->nchunks; /* starts[lo] <= j < starts[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->starts[mid] <= j)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Cuts the ntodo new files into chunks: size files each (the caller's
 * fixed size, as tests ask), else ntodo / (4 workers) within
 * [CHUNK_MIN_FILES, CHUNK_MAX_FILES], the chunks shrinking towards the end
 * to half of each worker's share of what is left: a worker takes the next chunk
 * when it is done with one, and with equal chunks the other could be left
 * working alone on its last one for up to a chunk's time (on all Reuters
 * files, the two ended 4.2 s apart). Sets starts and nchunks; 0 or KBS_ENOMEM. */
static int plan_chunks(struct par *p, unsigned nw, size_t fixed)
{
    size_t base = fixed ? fixed : p->ntodo / (4 * nw);
    if (!fixed)
        base = base < CHUNK_MIN_FILES   ? CHUNK_MIN_FILES
               : base > CHUNK_MAX_FILES ? CHUNK_MAX_FILES
                                        : base;
    size_t cap = p->ntodo / base + 64, n = 0;
    size_t *starts = malloc((cap + 1) * sizeof *starts);
    if (!starts)
        return KBS_ENOMEM;
    for (size_t at = 0; at < p->ntodo; n++) {
        size_t size = base;
        if (!fixed) {
            size_t tail = (p->ntodo - at) / (2 * nw);
            if (tail < size)
                size = tail < CHUNK_MIN_FILES ? CHUNK_MIN_FILES : tail;
        }
        if (n == cap) { /* cannot happen: the sizes shrink to CHUNK_MIN_FILES at least */
            free(starts);
            return KBS_ENOMEM;
        }
        starts[n] = at;
        at = size > p->ntodo - at ? p->ntodo : at + size;
    }
    starts[n] = p->ntodo;
    p->starts = starts;
    p->nchunks = n;
    return 0;
}

static void chunk_path(buf *path, const struct par *p, size_t k)
{
    buf_reset(path);
    buf_printf(path, "%s/%05u", p->build, (unsigned)k);
}

/* The parent's reader of the workers' logs of sentences: a chunk's log is
 * indexed at its first use (an entry an article, its hashes left on disk)
 * and each article's hashes read when the grouping asks for them. */
struct sents_entry {
    uint32_t docid, n;
    uint64_t off; /* of its hashes in the log */
};
struct sents_chunk {
    int state; /* 0: not looked at yet (fd not open); 1: indexed; -1: no log */
    int fd;
    struct sents_entry *v; /* by id */
    size_t n;
};
struct sents_reader {
    const struct par *p;
    struct sents_chunk *c; /* per chunk */
};

static int cmp_sents_entry(const void *a, const void *b)
{
    uint32_t x = ((const struct sents_entry *)a)->docid, y = ((const struct sents_entry *)b)->docid;
    return x < y ? -1 : x > y;
}

/* Indexes chunk k's log (c->state 1), or finds none (-1). The entries are
 * by increasing id, as the worker wrote them. */
static void index_sents(const struct par *p, size_t k, struct sents_chunk *c)
{
    buf path = BUF_INIT;
    chunk_path(&path, p, k);
    buf_append_str(&path, SENTS_SUFFIX);
    c->state = -1;
    c->fd = buf_failed(&path) ? -1 : open(path.data, O_RDONLY | O_CLOEXEC);
    buf_free(&path);
    struct stat sb;
    if (c->fd < 0 || fstat(c->fd, &sb) != 0)
        return;
    uint64_t size = (uint64_t)sb.st_size, off = 0;
    size_t cap = 0;
    while (off + 8 <= size) {
        uint32_t head[2];
        if (pread(c->fd, head, sizeof head, (off_t)off) != (ssize_t)sizeof head ||
            (c->n && head[0] <= c->v[c->n - 1].docid) || (uint64_t)head[1] * 8 > size - off - 8)
            break; /* cut short, or not this log's: what came before stands */
        if (c->n == cap) {
            size_t ncap = cap ? 2 * cap : 1024;
            struct sents_entry *nv = realloc(c->v, ncap * sizeof *nv);
            if (!nv)
                break;
            c->v = nv;
            cap = ncap;
        }
        c->v[c->n++] = (struct sents_entry){head[0], head[1], off + 8};
        off += 8 + (uint64_t)head[1] * 8;
    }
    c->state = 1;
}

static int find_sents(void *ctx, uint32_t docid, uint64_t **out, size_t *n)
{
    struct sents_reader *sr = ctx;
    const struct par *p = sr->p;
    if (docid < p->first_docid || docid - p->first_docid >= p->ntodo)
        return 0;
    size_t k = chunk_of(p, docid - p->first_docid);
    struct sents_chunk *c = &sr->c[k];
    if (c->state == 0)
        index_sents(p, k, c);
    struct sents_entry key = {docid, 0, 0};
    const struct sents_entry *e =
        c->state == 1 && c->n ? bsearch(&key, c->v, c->n, sizeof *c->v, cmp_sents_entry) : NULL;
    if (!e)
        return 0;
    *out = NULL;
    *n = 0;
    if (e->n == 0)
        return 1;
    uint64_t *h = malloc((size_t)e->n * sizeof *h);
    if (!h)
        return -1;
    size_t want = (size_t)e->n * sizeof *h;
    if (pread(c->fd, h, want, (off_t)e->off) != (ssize_t)want) {
        free(h);
        return 0;
    }
    *out = h;
    *n = e->n;
    return 1;
}

static void sents_reader_free(struct sents_reader *sr)
{
    for (size_t k = 0; sr->c && k < sr->p->nchunks; k++) {
        if (sr->c[k].fd >= 0 && sr->c[k].state != 0)
            close(sr->c[k].fd);
        free(sr->c[k].v);
    }
    free(sr->c);
}

/* Groups the new articles into stories before the merge, on the index and
 * the chunks done opened together as one database (the documents keep
 * their ids): what the pass would change goes to *w, to be written where
 * each article lives. Setting a value in the merged copy instead split its
 * full blocks all over: on Reuters 5,000 the index grew by 11%. */
static int group_stories(kbs_db *db, const struct par *p, const unsigned char *done,
                         struct dedup_writes *w)
{
    const char **srcs = calloc(p->nchunks + 1, sizeof *srcs);
    char **owned = calloc(p->nchunks + 1, sizeof *owned);
    buf path = BUF_INIT;
    size_t ns = 0;
    int st = srcs && owned ? KBS_OK : db_fail(db, KBS_ENOMEM, "out of memory");
    if (st == KBS_OK)
        srcs[ns++] = db->path;
    for (size_t k = 0; st == KBS_OK && k < p->nchunks; k++) {
        if (!done[k])
            continue;
        chunk_path(&path, p, k);
        owned[ns] = buf_failed(&path) ? NULL : strdup(path.data);
        if (!owned[ns])
            st = db_fail(db, KBS_ENOMEM, "out of memory");
        else
            srcs[ns] = owned[ns], ns++;
    }
    xs_db *x = NULL;
    char err[512];
    if (st == KBS_OK && (st = xs_db_open_several(srcs, ns, &x, err, sizeof err)) != KBS_OK)
        st = db_fail(db, st, "reading the new articles in %s: %s", p->build, err);
    if (st == KBS_OK) {
        /* The pass works on the handle's database: the several, for now.
         * (The index was committed before the build: nothing else is
         * noted.) */
        xs_db *own = db->xdb;
        db->xdb = x;
        /* The new articles' sentences as their workers logged them. */
        struct sents_reader sr = {p, calloc(p->nchunks, sizeof *sr.c)};
        if (sr.c) {
            db->sents_find = find_sents;
            db->sents_ctx = &sr;
        }
        st = dedup_note_range(db, p->first_docid, p->first_docid + (uint32_t)p->ntodo - 1);
        if (st == KBS_OK)
            st = dedup_pass_collect(db, w);
        db->sents_find = NULL;
        db->sents_ctx = NULL;
        sents_reader_free(&sr);
        db->xdb = own;
        if (st != KBS_OK)
            dedup_forget(db); /* what it noted are the build's articles */
    }
    xs_db_close(x);
    for (size_t i = 0; owned && i < ns; i++)
        free(owned[i]);
    free(owned);
    free(srcs);
    buf_free(&path);
    return st;
}

static int cmp_write(const void *a, const void *b)
{
    uint32_t x = ((const struct dedup_write *)a)->docid, y = ((const struct dedup_write *)b)->docid;
    return x < y ? -1 : x > y;
}

/* Writes the stories of the new articles into their chunks, before the
 * merge; those of older articles (a new version of an article the index
 * held) are left at the front of w, *nold of them, for the merged copy. */
static int write_stories(kbs_db *db, const struct par *p, struct dedup_writes *w, size_t *nold)
{
    if (w->n > 1)
        qsort(w->v, w->n, sizeof *w->v, cmp_write);
    size_t i = 0;
    while (i < w->n && w->v[i].docid < p->first_docid)
        i++;
    *nold = i;
    buf path = BUF_INIT;
    int st = KBS_OK;
    while (i < w->n && st == KBS_OK) {
        size_t k = chunk_of(p, w->v[i].docid - p->first_docid);
        chunk_path(&path, p, k);
        xs_db *x = NULL;
        char err[512];
        if (buf_failed(&path)) {
            st = db_fail(db, KBS_ENOMEM, "out of memory");
            break;
        }
        if ((st = xs_db_open(path.data, XS_OPEN_SCRATCH_AGAIN, &x, err, sizeof err)) != KBS_OK) {
            st = db_fail(db, st, "cannot open the temporary index %s: %s", path.data, err);
            break;
        }
        size_t from = i;
        for (; i < w->n && st == KBS_OK && chunk_of(p, w->v[i].docid - p->first_docid) == k; i++) {
            const char *v = w->v[i].story;
            st = xs_db_set_doc_value(x, w->v[i].docid, SLOT_STORY, v, strlen(v));
        }
        /* This process is the caller's: a write failing in the commit of
         * the values must not end it (room.h). */
        struct room_need need = {0, (uint32_t)(i - from), 0};
        char what[600];
        snprintf(what, sizeof what, "recording the stories in %s", path.data);
        if (st == KBS_OK && (st = room_for_commit(db, x, path.data, &need, what)) != KBS_OK) {
            xs_db_close(x);
            break;
        }
        if (st == KBS_OK)
            st = xs_db_commit(x);
        if (st != KBS_OK)
            st = db_fail(db, st, "recording the stories in %s: %s%s", path.data, xs_db_errmsg(x),
                         space_hint(st));
        xs_db_close(x);
    }
    buf_free(&path);
    return st;
}

/* The index's running totals with the new articles' bytes added, in a
 * scratch database that the merge takes first: of a metadata key held by
 * several sources the merge keeps the first source's value, so the merged
 * copy has the new totals without being written to after the merge. The
 * copy is the index from the moment it is moved into place, so what the new
 * articles need (totals, stories) must be in it then, not left to the run's
 * next commit: a kill in between left every new article in with the old
 * index's totals (a failure of tests/crash_test.sh), and out of its story
 * for good (a re-run finds the files unchanged). */
static int write_totals(kbs_db *db, const struct par *p, int64_t text, int64_t store)
{
    const char *const keys[2] = {META_TEXT_BYTES, META_STORE_BYTES};
    const int64_t add[2] = {text, store};
    buf path = BUF_INIT;
    xs_db *x = NULL;
    int st = open_scratch(db, p, TOTALS_NAME, &path, &x);
    for (size_t i = 0; i < 2 && st == KBS_OK; i++) {
        uint64_t cur = 0;
        if ((st = db_meta_u64(db, keys[i], &cur)) != KBS_OK)
            break;
        char num[32];
        int64_t next = (int64_t)cur + add[i];
        int n = snprintf(num, sizeof num, "%lld", (long long)(next < 0 ? 0 : next));
        if ((st = xs_db_set_metadata(x, keys[i], num, (size_t)n)) != KBS_OK)
            st = db_fail_shim(db, st, "writing the index metadata");
    }
    if (st == KBS_OK && (st = xs_db_commit(x)) != KBS_OK)
        st = db_fail(db, st, "writing the index metadata in %s: %s%s", path.data, xs_db_errmsg(x),
                     space_hint(st));
    xs_db_close(x);
    buf_free(&path);
    return st;
}

/* Completes the merged copy before it replaces the index: the stories of
 * the older articles that a new one joined (w[0..n)). Usually there are
 * none, and the copy is never written to after the merge. */
static int finish_copy(kbs_db *db, const char *copy, const struct dedup_write *w, size_t n)
{
    char err[512] = "";
    xs_db *x = NULL;
    int st = xs_db_open(copy, XS_OPEN_WRITE, &x, err, sizeof err);
    for (size_t i = 0; i < n && st == KBS_OK; i++) {
        st = xs_db_set_doc_value(x, w[i].docid, SLOT_STORY, w[i].story, strlen(w[i].story));
        if (st == KBS_ENOTFOUND)
            st = KBS_OK;
    }
    /* The copy is packed full: a commit copies every block it touches
     * (room.c), and a write failing in it must not end the process. */
    struct room_need need = {0, (uint32_t)n, 0};
    if (st == KBS_OK && n > 0 &&
        (st = room_for_commit(db, x, copy, &need, "completing the new copy of the index")) !=
            KBS_OK) {
        xs_db_close(x);
        return st;
    }
    if (st == KBS_OK)
        st = xs_db_commit(x);
    if (st != KBS_OK) {
        if (x)
            snprintf(err, sizeof err, "%s", xs_db_errmsg(x));
        st = db_fail(db, st, "completing the new copy of the index at %s: %s%s", db->path, err,
                     space_hint(st));
    }
    xs_db_close(x);
    return st;
}

int build_parallel(struct run *r, const struct file_list *files, const size_t *todo, size_t ntodo)
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
    unsigned nw = build_workers(r);
    struct gather g;
    memset(&g, 0, sizeof g);
    if (plan_chunks(&p, nw, db->parallel_chunk_files) != 0) {
        st = db_fail(db, KBS_ENOMEM, "out of memory");
        goto out;
    }
    if (nw > p.nchunks)
        nw = (unsigned)p.nchunks;
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
            worker_main(r, &p, started, pp[1]);
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

    struct dedup_writes w = {NULL, 0, 0};
    size_t nold = 0;
    st = group_stories(db, &p, g.done, &w);
    if (st == KBS_OK)
        st = write_stories(db, &p, &w, &nold);
    if (st == KBS_OK)
        st = write_totals(db, &p, g.text, g.store);

    /* The totals first, then the index: their metadata (format, dictionary,
     * totals) wins over the chunks'. */
    const char **srcs = calloc(p.nchunks + MAX_WORKERS + 2, sizeof *srcs);
    char **owned = calloc(p.nchunks + MAX_WORKERS + 2, sizeof *owned);
    size_t ns = 0;
    if (st == KBS_OK && (!srcs || !owned))
        st = db_fail(db, KBS_ENOMEM, "out of memory");
    for (size_t k = 0; st == KBS_OK && k < p.nchunks + MAX_WORKERS + 1; k++) {
        if (k > 0 && k <= p.nchunks && !g.done[k - 1])
            continue;
        if (k > p.nchunks && !g.words[k - p.nchunks - 1])
            continue;
        buf_reset(&path);
        if (k == 0)
            buf_printf(&path, "%s/%s", build.data, TOTALS_NAME);
        else if (k <= p.nchunks)
            chunk_path(&path, &p, k - 1);
        else
            buf_printf(&path, "%s/w%02u", build.data, (unsigned)(k - p.nchunks - 1));
        owned[ns] = buf_failed(&path) ? NULL : strdup(path.data);
        if (!owned[ns])
            st = db_fail(db, KBS_ENOMEM, "out of memory");
        else
            srcs[ns] = owned[ns], ns++;
        if (k == 0 && st == KBS_OK)
            srcs[ns++] = db->path;
    }
    if (st == KBS_OK) {
        buf_reset(&path);
        buf_printf(&path, "%s/%s", build.data, MERGE_NAME);
        char err[512];
        if (buf_failed(&path))
            st = db_fail(db, KBS_ENOMEM, "out of memory");
        else if ((st = xs_compact_merge(srcs, ns, path.data, err, sizeof err)) != KBS_OK)
            st = db_fail(db, st, "merging the new articles into the index at %s: %s%s", db->path,
                         err, space_hint(st));
    }
    for (size_t i = 0; owned && i < ns; i++)
        free(owned[i]);
    free(owned);
    free(srcs);
    if (st == KBS_OK && nold > 0)
        st = finish_copy(db, path.data, w.v, nold);
    dedup_writes_free(&w);
    if (st == KBS_OK)
        st = db_install_copy(db, path.data, count + (uint32_t)g.added);

out:
    free(p.starts);
    if (p.sh)
        munmap(p.sh, sizeof *p.sh);
    free(g.done);
    db_remove_tree(build.data);
    buf_free(&build);
    buf_free(&path);
    return st;
}
