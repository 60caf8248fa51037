/* room.c - whether the disk has room for a commit (see room.h).
 *
 * What a commit may write was measured on Reuters articles (2,000 and
 * 10,000, batches of 1 to 1,000 through kbs_index_file and kbs_db_commit)
 * and on the made-up articles of tests/crash_test.sh, as the growth of the
 * space the index's files take per commit:
 *
 *  - in an index that has had a few commits, 2.5 to 4.5 times the text of
 *    the batch (1,000 articles: at most 3.5; 250: 4.5; 100: 5.8, the most
 *    seen), a few blocks for a batch of one or ten articles (Xapian reuses
 *    the blocks the commit before last freed);
 *  - removing articles, 12 KiB each (100 of 10,000 in one commit);
 *  - in an index just written whole (a compacted copy, the merged copy of a
 *    parallel build: no block is free and every block is full), a commit
 *    copies every block it touches: 5.1 MiB for one article of 4 kB, 14 MiB
 *    for ten, and for a hundred 22 MiB, more than the postings table itself
 *    (18 MiB). By the third commit it was back to the above.
 *
 * Hence a margin for the commit's own blocks (the roots, the spelling table
 * of the run, which waits for its end) and the sizes below, each above the
 * most seen. The packed case asks for at most the size of the tables: that
 * much was free moments before, when the copy was written beside the index
 * it replaced. */
#include "room.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#define ROOM_FIXED (4u << 20)
#define ROOM_PER_TEXT_BYTE 6
#define ROOM_PER_REMOVED (16u << 10)
/* One article of a packed index copies a block for each of its terms. */
#define ROOM_PACKED_PER_DOC (6u << 20)
/* Revisions of a database written whole that are still packed: the copy
 * is revision 1 (Xapian starts a compacted database's revisions again), and
 * its first commit after that still copies most blocks it touches. */
#define PACKED_REVISIONS 2

/* The total size of dir's tables (Xapian's *.glass files) and the largest. */
static void table_sizes(const char *dir, uint64_t *total, uint64_t *largest)
{
    *total = *largest = 0;
    DIR *d = opendir(dir);
    if (!d)
        return;
    char p[4096];
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 6, ".glass") != 0)
            continue;
        struct stat sb;
        if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= sizeof p ||
            stat(p, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        *total += (uint64_t)sb.st_size;
        if ((uint64_t)sb.st_size > *largest)
            *largest = (uint64_t)sb.st_size;
    }
    closedir(d);
}

/* What a commit of need into x, whose tables take tables bytes, may write. */
static uint64_t estimate(xs_db *x, const struct room_need *need, uint64_t tables)
{
    uint64_t n =
        ROOM_FIXED + need->text * ROOM_PER_TEXT_BYTE + (uint64_t)need->removed * ROOM_PER_REMOVED;
    uint64_t rev = 0;
    /* A scratch database is written in place: no block is ever copied. */
    if (!xs_db_is_scratch(x) && xs_db_revision(x, &rev) == KBS_OK && rev <= PACKED_REVISIONS) {
        uint64_t copied = (uint64_t)need->docs * ROOM_PACKED_PER_DOC;
        n += copied < tables ? copied : tables;
    }
    return n;
}

/* n bytes for a message: a file size limit may be a few KiB. */
static const char *size_text(uint64_t n, char *out, size_t cap)
{
    if (n < 1024 * 1024)
        snprintf(out, cap, "%.0f KiB", (double)n / 1024.0);
    else
        snprintf(out, cap, "%.1f MiB", (double)n / (1024.0 * 1024.0));
    return out;
}

int room_for_commit(kbs_db *db, xs_db *x, const char *dir, const struct room_need *need,
                    const char *what)
{
    struct statvfs vfs;
    if (statvfs(dir, &vfs) != 0)
        return KBS_OK;
    uint64_t tables, largest;
    table_sizes(dir, &tables, &largest);
    uint64_t want = estimate(x, need, tables);
    uint64_t free_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
    char why[200] = "", a[32], b[32], c[32];
    if (free_bytes < want)
        snprintf(why, sizeof why, "%s free, and the commit may write up to %s",
                 size_text(free_bytes, a, sizeof a), size_text(want, b, sizeof b));
    struct rlimit rl;
    if (!why[0] && getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        largest + want > (uint64_t)rl.rlim_cur)
        snprintf(why, sizeof why,
                 "the index's largest file takes %s of the file size limit of %s, and the "
                 "commit may write up to %s",
                 size_text(largest, a, sizeof a), size_text((uint64_t)rl.rlim_cur, b, sizeof b),
                 size_text(want, c, sizeof c));
    if (!why[0])
        return KBS_OK;
    return db_fail(db, KBS_EIO,
                   "%s: %s — the disk that holds the index at %s is full or nearly (or a file "
                   "size limit was reached): free some space on it",
                   what, why, db->path);
}
