/* pin.h - keeps an index's files in the page cache while a benchmark runs.
 *
 * "Warm" means the index is in memory. This machine's kernel runs DAMON with
 * a pageout scheme (/sys/kernel/mm/damon/admin/kdamonds/0: file pages left
 * unread for about a minute are written out of the page cache, up to 128 MiB
 * a second), so between a warm-up and a query of the same class minutes
 * later, parts of every engine's files are read from disk again, and more of
 * the engine whose pages the other engines' queries did not happen to touch.
 * Locking each file's pages in memory (mmap + mlock) keeps them all there for
 * every engine alike. */
#ifndef KBS_BENCH_PIN_H
#define KBS_BENCH_PIN_H

#include <stddef.h>

typedef struct pin_map {
    void *addr;
    size_t len;
} pin_map;

typedef struct pin_set {
    pin_map *maps;
    size_t n, cap;
    size_t bytes; /* locked in all */
} pin_set;

/* Locks the file at path, or every regular file of the folder at path (not
 * its subfolders), in memory until pin_release. Returns 0, or -1 with a
 * message in err (what failed, on which file). */
int pin_path(pin_set *ps, const char *path, char *err, size_t errlen);

/* Unlocks and unmaps everything pin_path locked: a cold-cache run needs the
 * pages free to be dropped. */
void pin_release(pin_set *ps);

#endif
