/* index_file.c - kbs_index_file(): one file, looked at exactly as
 * kbs_index_dir() looks at each file of a folder (run_visit), so that the
 * two never disagree on what changed or on what cannot be indexed. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "index_run.h"

/* The one event of the visit, kept to become the call's status; the
 * caller's callback sees it too. */
struct outcome {
    const kbs_index_options *caller;
    int kind; /* 0 until the visit reports */
    int status;
    char message[700];
};

static int keep_event(void *ctx, const kbs_index_event *ev)
{
    struct outcome *o = ctx;
    if (ev->kind == KBS_EVENT_PROGRESS)
        return 0;
    o->kind = ev->kind;
    o->status = ev->status;
    snprintf(o->message, sizeof o->message, "%s", ev->message ? ev->message : "");
    if (o->caller && o->caller->callback)
        o->caller->callback(o->caller->callback_ctx, ev);
    return 0;
}

/* The key kbs_index_dir() gives the file: its folder resolved (symbolic
 * links, "..", relative to the current folder), its own name kept, so
 * that a file indexed either way is one article, a symbolic link to a file
 * included. -1 with errno set if it cannot be made. */
static int key_of(const char *path, char out[PATH_MAX])
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return realpath(path, out) ? 0 : -1; /* a folder: said so after stat() */
    char dir[PATH_MAX];
    size_t dlen = slash ? (size_t)(slash - path) : 1;
    if (dlen >= sizeof dir) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (!slash)
        memcpy(dir, ".", 1);
    else if (dlen == 0)
        memcpy(dir, "/", dlen = 1);
    else
        memcpy(dir, path, dlen);
    dir[dlen] = '\0';
    char real[PATH_MAX];
    if (!realpath(dir, real))
        return -1;
    size_t rlen = strlen(real), nlen = strlen(name);
    if (rlen + 1 + nlen >= PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(out, real, rlen);
    if (strcmp(real, "/") != 0)
        out[rlen++] = '/';
    memcpy(out + rlen, name, nlen + 1);
    return 0;
}

int kbs_index_file(kbs_db *db, const char *path, const kbs_index_options *opts, uint32_t *docid_out,
                   int *changed_out)
{
    if (!db)
        return KBS_EINVAL;
    db_clear_error(db);
    if (!path || !*path)
        return db_fail(db, KBS_EINVAL, "kbs_index_file: no file given");
    if (!db->writable)
        return db_fail_readonly(db);

    char abs[PATH_MAX];
    struct stat sb;
    if (key_of(path, abs) != 0 || stat(abs, &sb) != 0) {
        int e = errno;
        return db_fail(db,
                       e == ENOENT || e == ENOTDIR ? KBS_ENOTFOUND
                       : e == ENOMEM               ? KBS_ENOMEM
                                                   : KBS_EIO,
                       "cannot index %s: %s", path, strerror(e));
    }
    if (S_ISDIR(sb.st_mode))
        return db_fail(db, KBS_EINVAL, "%s is a folder: index a folder with kbs_index_dir()", path);
    if (!S_ISREG(sb.st_mode))
        return db_fail(db, KBS_EINPUT,
                       "%s is not a regular file (a device, a pipe...): not indexed", path);

    kbs_index_options o;
    kbs_index_options_init(&o);
    if (opts && opts->max_file_bytes)
        o.max_file_bytes = opts->max_file_bytes;
    struct outcome out;
    memset(&out, 0, sizeof out);
    out.caller = opts;
    o.callback = keep_event;
    o.callback_ctx = &out;

    struct run r;
    memset(&r, 0, sizeof r);
    r.db = db;
    r.opts = &o;
    /* Like kbs_index_buffer(), nothing is committed here: the caller
     * decides when (a batch of files, then kbs_db_commit()). */
    r.batch = UINT32_MAX;
    r.batch_bytes = UINT64_MAX;
    struct file_entry f = {abs, (uint64_t)sb.st_size,
                           (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec};
    struct prior p;
    buf idterm = BUF_INIT;
    int st = run_prior(db, abs, &idterm, &p);
    if (st == KBS_OK)
        st = run_visit(&r, &f, &p, 0, NULL);
    if (st == KBS_OK && out.kind == 0)
        st = db_fail(db, KBS_ENOTFOUND, "cannot index %s: it was deleted while being read", path);
    if (st == KBS_OK && out.kind == KBS_EVENT_SKIPPED)
        st = db_fail(db, out.status, "cannot index %s: %s", abs, out.message);
    uint32_t docid = p.docid;
    if (st == KBS_OK && out.kind != KBS_EVENT_UNCHANGED) {
        /* run_visit() does not hand back the id of what it added. */
        st = run_prior(db, abs, &idterm, &p);
        docid = p.docid;
    }
    buf_free(&idterm);
    if (st != KBS_OK)
        return st;
    if (docid_out)
        *docid_out = docid;
    if (changed_out)
        *changed_out = out.kind != KBS_EVENT_UNCHANGED;
    return KBS_OK;
}
