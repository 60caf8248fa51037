/* testutil.h - helpers shared by the Criterion tests. */
#ifndef KBS_TESTUTIL_H
#define KBS_TESTUTIL_H

#include <stddef.h>

#include "kbsearch.h"

/* Makes a fresh temporary folder and returns its path (static storage per
 * process; Criterion runs each test in its own process). */
const char *tu_tmpdir(void);
/* Joins dir and name into a new string (free()). */
char *tu_path(const char *dir, const char *name);
/* Opens the index at path with flags (KBS_OPEN_*), or fails the test with the
 * status and the library's message. */
kbs_db *tu_open_db(const char *path, unsigned flags);
/* Writes data to path, creating folders on the way. Aborts the test on failure. */
void tu_write(const char *path, const char *data, size_t len);
/* Reads a whole file (free()); NULL if it cannot. */
char *tu_read(const char *path, size_t *len);
/* Removes a folder tree (best effort). */
void tu_rmtree(const char *path);
/* Runs the kbsearch program with argv (NULL-terminated, without argv[0]),
 * capturing stdout and stderr (free() both); returns its exit code. */
int tu_run_cli(const char *const *argv, char **out, char **err);

/* Forks a child that reports to the parent through a pipe: returns 0 in
 * the child, with *fd the pipe's write end, and the child's pid in the
 * parent, with *fd its read end (each process's other end closed). Fails
 * the test if the pipe or the fork cannot be made. */
int tu_fork_piped(int *fd);
/* In the parent: reads fd to its end into buf (at most cap - 1 bytes,
 * NUL-terminated), closes it, and returns the wait status of child pid. */
int tu_collect(int pid, int fd, char *buf, size_t cap);

/* Options for a page of hits without snippets: offset, limit, sort, and
 * exact_count set to exact; the rest kbs_search_options_init()'s. */
kbs_search_options tu_page_options(uint32_t offset, uint32_t limit, int sort, int exact);

/* An index callback (kbs_index_options.callback) that kills its own process
 * with SIGKILL at the first event of the kind *(const int *)ctx: a crash at
 * a chosen moment of a run. */
int tu_die_on_event(void *ctx, const kbs_index_event *ev);

#endif
