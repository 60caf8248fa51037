/* compact.c - kbs_db_compact(): rewrites the index into a sibling folder with
 * Xapian's compaction and swaps it in place of the old one.
 *
 * The swap is one renameat2(RENAME_EXCHANGE) of the two folders, so the index
 * path names a whole index at every instant, even across a crash; only where
 * the filesystem lacks it do two renames stand in (with a moment in which no
 * index is there).
 *
 * The writer lock: kbsearch.lock lives inside the index folder, so it moves
 * with the folder. Before the swap, the new folder gets its own lock file,
 * locked by this handle (with our pid in it); the old lock is let go only
 * after the swap and after Xapian's own writer lock on the new folder is
 * held. So whoever opens "<index>/kbsearch.lock" finds it locked by us,
 * before and after the swap. A writer that opened the old lock file just
 * before the swap and locks it once we let go holds an orphan, but then
 * meets Xapian's lock on the new folder and gets KBS_ELOCKED all the same.
 */
#include "db_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TMP_MARK ".compact-"
/* The copy compacted again once the positions left behind were dropped from
 * the first (prune_copy). */
#define PRUNED ".pruned"

/* linux/fs.h has it, but pulls in much of the kernel's headers for one bit. */
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* Removes path and, if it is a folder, everything under it (best effort:
 * what is left is only wasted space). */
static void remove_tree(const char *path, int depth)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode) && depth < 8) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            buf p = BUF_INIT;
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                    continue;
                buf_reset(&p);
                buf_printf(&p, "%s/%s", path, e->d_name);
                if (!buf_failed(&p))
                    remove_tree(p.data, depth + 1);
            }
            buf_free(&p);
            closedir(d);
        }
        rmdir(path);
        return;
    }
    unlink(path);
}

static int fsync_path(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return r;
}

/* Makes the files of folder dir, and the folder itself, durable: Xapian's
 * compaction writes without syncing, and the swap must not make an index
 * whose blocks are still only in the page cache the only copy. */
static int sync_folder(kbs_db *db, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return db_fail(db, KBS_EIO, "cannot read the folder %s: %s", dir, strerror(errno));
    struct dirent *e;
    buf p = BUF_INIT;
    int st = KBS_OK;
    while (st == KBS_OK && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        buf_reset(&p);
        buf_printf(&p, "%s/%s", dir, e->d_name);
        if (buf_failed(&p))
            st = db_fail(db, KBS_ENOMEM, "out of memory");
        else if (fsync_path(p.data, O_RDONLY) != 0)
            st = db_fail(db, KBS_EIO, "cannot save %s to disk: %s", p.data, strerror(errno));
    }
    buf_free(&p);
    closedir(d);
    if (st == KBS_OK && fsync_path(dir, O_RDONLY | O_DIRECTORY) != 0)
        st = db_fail(db, KBS_EIO, "cannot save the folder %s to disk: %s", dir, strerror(errno));
    return st;
}

/* Removes what an interrupted run left beside the index called name in
 * parent: "<name><mark><pid>" folders (and their ".old" companions) of
 * processes that are gone. Holding the writer lock, no other writer of this
 * index can be at work. */
static void remove_leftovers(const char *parent, const char *name, const char *mark)
{
    DIR *d = opendir(parent);
    if (!d)
        return;
    size_t n = strlen(name), m = strlen(mark);
    struct dirent *e;
    buf p = BUF_INIT;
    while ((e = readdir(d))) {
        const char *s = e->d_name;
        if (strncmp(s, name, n) != 0 || strncmp(s + n, mark, m) != 0)
            continue;
        long pid = 0;
        const char *q = s + n + m;
        for (; *q >= '0' && *q <= '9' && pid < 100000000; q++)
            pid = pid * 10 + (*q - '0');
        if (q == s + n + m || (*q && strcmp(q, ".old") != 0 && strcmp(q, PRUNED) != 0))
            continue;
        if (pid == (long)getpid() || kill((pid_t)pid, 0) != 0) {
            buf_reset(&p);
            buf_printf(&p, "%s/%s", parent, s);
            if (!buf_failed(&p))
                remove_tree(p.data, 0);
        }
    }
    buf_free(&p);
    closedir(d);
}

/* Creates the writer lock file in folder dir and locks it: the lock the
 * handle holds once dir has become the index. */
static int lock_new_folder(kbs_db *db, const char *dir, int *fd_out)
{
    buf p = BUF_INIT;
    buf_printf(&p, "%s/%s", dir, LOCK_NAME);
    if (buf_failed(&p))
        return db_fail(db, KBS_ENOMEM, "out of memory");
    int fd = open(p.data, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    int st = KBS_OK;
    if (fd < 0)
        st = db_fail(db, KBS_EIO, "cannot create the lock file %s: %s", p.data, strerror(errno));
    else if (flock(fd, LOCK_EX | LOCK_NB) != 0)
        st = db_fail(db, KBS_EIO, "cannot lock %s: %s", p.data, strerror(errno));
    if (st == KBS_OK) {
        char pid[32];
        int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
        if (pwrite(fd, pid, (size_t)n, 0) != n || fsync(fd) != 0)
            st = db_fail(db, KBS_EIO, "cannot write the lock file %s: %s", p.data, strerror(errno));
    }
    if (st != KBS_OK && fd >= 0)
        close(fd);
    buf_free(&p);
    if (st == KBS_OK)
        *fd_out = fd;
    return st;
}

/* The status for a failure to open a copy this function just wrote: the
 * statuses about someone else's folder (not found, foreign, locked) would
 * mislead here. */
static int plain_status(int st)
{
    return st == KBS_ENOMEM || st == KBS_EIO ? st : KBS_EBACKEND;
}

/* Exchanges folders a and b atomically; where the filesystem cannot, moves
 * a aside to `aside` and b to a, and *moved_aside says so. */
static int swap_folders(const char *a, const char *b, const char *aside, int *moved_aside)
{
    *moved_aside = 0;
    if (syscall(SYS_renameat2, AT_FDCWD, b, AT_FDCWD, a, RENAME_EXCHANGE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
        return -1;
    if (rename(a, aside) != 0)
        return -1;
    if (rename(b, a) != 0) {
        int e = errno;
        if (rename(aside, a) != 0) {
            /* Nothing more can be done here: both copies are whole, and the
             * message names where the old one is. */
        }
        errno = e;
        return -1;
    }
    *moved_aside = 1;
    return 0;
}

/* Undoes swap_folders(): the old index back at a, the new one at b. */
static int unswap_folders(const char *a, const char *b, const char *aside, int moved_aside)
{
    if (!moved_aside)
        return (int)syscall(SYS_renameat2, AT_FDCWD, b, AT_FDCWD, a, RENAME_EXCHANGE);
    if (rename(a, b) != 0)
        return -1;
    return rename(aside, a);
}

/* The folder's absolute path split into its parent and its name (both
 * malloc'd). */
static int split_path(kbs_db *db, char **parent, char **name)
{
    char *real = realpath(db->path, NULL);
    if (!real)
        return db_fail(db, errno == ENOMEM ? KBS_ENOMEM : KBS_EIO, "cannot resolve %s: %s",
                       db->path, strerror(errno));
    char *slash = strrchr(real, '/');
    if (!slash || !slash[1]) {
        free(real);
        return db_fail(db, KBS_EINVAL, "cannot compact an index at the root folder");
    }
    *name = strdup(slash + 1);
    *slash = '\0';
    *parent = strdup(*real ? real : "/");
    free(real);
    if (!*name || !*parent) {
        free(*name);
        free(*parent);
        return db_fail(db, KBS_ENOMEM, "out of memory");
    }
    return KBS_OK;
}

void db_remove_tree(const char *path)
{
    remove_tree(path, 0);
}

int db_sibling_path(kbs_db *db, const char *mark, buf *out)
{
    char *parent = NULL, *name = NULL;
    int st = split_path(db, &parent, &name);
    if (st != KBS_OK)
        return st;
    remove_leftovers(parent, name, mark);
    buf_reset(out);
    buf_printf(out, "%s/%s%s%ld", parent, name, mark, (long)getpid());
    free(parent);
    free(name);
    return buf_failed(out) ? db_fail(db, KBS_ENOMEM, "out of memory") : KBS_OK;
}

int db_install_copy(kbs_db *db, const char *copy, uint32_t count)
{
    char *parent = NULL, *name = NULL;
    int st = split_path(db, &parent, &name);
    if (st != KBS_OK) {
        remove_tree(copy, 0);
        return st;
    }
    buf aside = BUF_INIT, index = BUF_INIT;
    buf_printf(&aside, "%s.old", copy);
    buf_printf(&index, "%s/%s", parent, name);
    int new_lock = -1, moved_aside = 0, swapped = 0;
    xs_db *fresh = NULL;
    if (buf_failed(&aside) || buf_failed(&index)) {
        st = db_fail(db, KBS_ENOMEM, "out of memory");
        goto out;
    }
    if ((st = sync_folder(db, copy)) != KBS_OK ||
        (st = lock_new_folder(db, copy, &new_lock)) != KBS_OK)
        goto out;

    /* A copy that lost articles must never replace the index. */
    char err[512];
    uint32_t got = 0;
    st = xs_db_open(copy, XS_OPEN_READ, &fresh, err, sizeof err);
    if (st == KBS_OK)
        st = xs_db_doc_count(fresh, &got);
    if (st == KBS_OK && got != count)
        st = KBS_EINTERNAL;
    else if (st != KBS_OK)
        st = plain_status(st);
    if (st != KBS_OK) {
        st = db_fail(db, st,
                     "the new copy of the index at %s is not whole (%u of %u articles%s%s); "
                     "the index is unchanged",
                     db->path, got, count, fresh ? "" : ": ", fresh ? "" : err);
        goto out;
    }
    xs_db_close(fresh);
    fresh = NULL;

    if (swap_folders(index.data, copy, aside.data, &moved_aside) != 0) {
        st = db_fail(db, KBS_EIO, "cannot move the new copy of the index into place at %s: %s",
                     db->path, strerror(errno));
        goto out;
    }
    swapped = 1;
    if (fsync_path(parent, O_RDONLY | O_DIRECTORY) != 0) {
        /* The rename is done; only its durability is in doubt, and either
         * folder is a whole index should it be lost. */
    }
    st = xs_db_open(db->path, XS_OPEN_WRITE, &fresh, err, sizeof err);
    if (st != KBS_OK) {
        st = plain_status(st);
        db_fail(db, st, "cannot open the new copy of the index at %s: %s", db->path, err);
        goto out;
    }
    xs_db_close(db->xdb);
    db->xdb = fresh;
    fresh = NULL;
    close(db->lock_fd);
    db->lock_fd = new_lock;
    new_lock = -1;
    swapped = 0;
    /* The old index, now under the copy's name (or the aside one). */
    remove_tree(moved_aside ? aside.data : copy, 0);
    st = KBS_OK;

out:
    if (swapped) {
        if (unswap_folders(index.data, copy, aside.data, moved_aside) != 0) {
            /* Both copies are whole: say where the old one is, and keep
             * both. (Renames of folders that were just renamed fail only
             * when something else moves them meanwhile.) */
            char keep[sizeof db->errmsg];
            snprintf(keep, sizeof keep, "%s", db->errmsg);
            db_fail(db, st,
                    "%s; and the old index could not be put back: it is at %s (move it back "
                    "to %s)",
                    keep, moved_aside ? aside.data : copy, db->path);
            swapped = -1;
        } else {
            fsync_path(parent, O_RDONLY | O_DIRECTORY);
            swapped = 0;
        }
    }
    xs_db_close(fresh);
    if (new_lock >= 0)
        close(new_lock);
    if (st != KBS_OK && swapped == 0)
        remove_tree(copy, 0); /* the unfinished or unused copy */
    buf_free(&aside);
    buf_free(&index);
    free(parent);
    free(name);
    return st;
}

/* Drops the positions left behind from the copy at tmp, then compacts it
 * again (the rewritten chunks leave blocks half full) into tmp PRUNED,
 * which tmp then names. The index itself is not written: a failure here
 * leaves it and the handle as they were. */
static int prune_copy(kbs_db *db, buf *tmp)
{
    buf again = BUF_INIT;
    buf_printf(&again, "%s%s", tmp->data, PRUNED);
    if (buf_failed(&again))
        return db_fail(db, KBS_ENOMEM, "out of memory");
    xs_db *c = NULL;
    char err[512];
    uint64_t dropped = 0;
    int st = xs_db_open(tmp->data, XS_OPEN_SCRATCH_AGAIN, &c, err, sizeof err);
    if (st != KBS_OK)
        st = db_fail(db, st, "cannot open the new copy of the index at %s: %s", tmp->data, err);
    else if ((st = xs_db_prune_positions(c, 1, &dropped)) != KBS_OK ||
             (st = xs_db_commit(c)) != KBS_OK || (st = xs_db_compact(c, again.data)) != KBS_OK)
        st = db_fail(db, st, "dropping the positions of deleted articles from %s: %s", tmp->data,
                     xs_db_errmsg(c));
    xs_db_close(c);
    if (st == KBS_OK) {
        remove_tree(tmp->data, 0);
        buf_reset(tmp);
        buf_append_str(tmp, again.data);
        if (buf_failed(tmp))
            st = db_fail(db, KBS_ENOMEM, "out of memory");
    } else {
        remove_tree(again.data, 0);
    }
    buf_free(&again);
    return st;
}

int kbs_db_compact(kbs_db *db)
{
    if (!db)
        return KBS_EINVAL;
    db_clear_error(db);
    if (!db->writable)
        return db_fail(db, KBS_EREADONLY,
                       "the index at %s is open read-only; compacting needs it open for writing",
                       db->path);
    int st = db_commit(db);
    if (st != KBS_OK)
        return st;
    /* Positions of deleted articles (and of words a replaced article no
     * longer has) are left in their chunks (shim/positions.h). */
    uint64_t stale = 0;
    if ((st = xs_db_prune_positions(db->xdb, 0, &stale)) != KBS_OK)
        return db_fail_shim(db, st, "reading the word positions");
    uint32_t count = 0;
    if ((st = db_doc_count(db, &count)) != KBS_OK)
        return st;

    buf tmp = BUF_INIT;
    if ((st = db_sibling_path(db, TMP_MARK, &tmp)) != KBS_OK) {
        buf_free(&tmp);
        return st;
    }
    st = xs_db_compact(db->xdb, tmp.data);
    if (st != KBS_OK) {
        st = db_fail_shim(db, st, "compacting the index");
        remove_tree(tmp.data, 0);
    } else if (stale && (st = prune_copy(db, &tmp)) != KBS_OK) {
        remove_tree(tmp.data, 0);
    } else {
        st = db_install_copy(db, tmp.data, count);
    }
    buf_free(&tmp);
    return st;
}
