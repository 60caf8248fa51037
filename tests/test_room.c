/* test_room.c - the room check before a commit (room.c): a commit that a
 * file size limit (or a full disk) may not let through fails with KBS_EIO
 * and a message saying what to do, before Xapian writes anything, instead
 * of the abort a write failing inside Xapian's commit can end in; and what
 * was committed before is intact. A file size limit stands in for a full
 * disk: it is the one a test can set without privileges. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kbsearch.h"
#include "testutil.h"

/* Writes articles first..first+n-1 to dir, each with words of its own. */
static void write_articles(const char *dir, unsigned first, unsigned n)
{
    for (unsigned i = first; i < first + n; i++) {
        char name[32], text[2048];
        snprintf(name, sizeof name, "a%04u.txt", i);
        int len = snprintf(text, sizeof text, "Report number %u\n\n", i);
        for (unsigned w = 0; w < 150 && len < (int)sizeof text - 32; w++)
            len += snprintf(text + len, sizeof text - (size_t)len, "word%ux%u%s", i % 97, w,
                            w % 15 == 14 ? ".\n" : " ");
        char *p = tu_path(dir, name);
        tu_write(p, text, (size_t)len);
        free(p);
    }
}

/* The size of the index's largest table file. */
static uint64_t largest_table(const char *index)
{
    DIR *d = opendir(index);
    cr_assert_not_null(d);
    uint64_t big = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *p = tu_path(index, e->d_name);
        struct stat sb;
        if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode) && (uint64_t)sb.st_size > big)
            big = (uint64_t)sb.st_size;
        free(p);
    }
    closedir(d);
    return big;
}

static uint64_t documents(const char *index)
{
    kbs_db *db = tu_open_db(index, KBS_OPEN_READ);
    kbs_stats s;
    cr_assert_eq(kbs_db_stats(db, &s), KBS_OK);
    kbs_check_report c;
    cr_expect_eq(kbs_db_check(db, &c), KBS_OK);
    cr_expect_eq(c.problems, 0, "%s", c.message);
    kbs_db_close(db);
    return s.documents;
}

/* What a run of kbs_index_dir on dir, in a child process under a file size
 * limit of limit bytes, ends with: its status (0..255 as exit status), or
 * 1000 + the signal that killed it. The message goes to msg. */
static int run_limited(const char *index, const char *dir, uint64_t limit, char *msg, size_t cap)
{
    int fd;
    int pid = tu_fork_piped(&fd);
    if (pid == 0) {
        /* Past the limit a write fails with EFBIG, once the signal that
         * would kill the process is ignored. */
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl;
        getrlimit(RLIMIT_FSIZE, &rl);
        rl.rlim_cur = limit;
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(200);
        kbs_db *db = NULL;
        if (kbs_db_open(index, KBS_OPEN_WRITE, &db, NULL) != KBS_OK)
            _exit(201);
        int st = kbs_index_dir(db, dir, NULL, NULL);
        const char *m = kbs_db_errmsg(db);
        if (write(fd, m, strlen(m)) < 0)
            _exit(202);
        kbs_db_close(db);
        _exit(st);
    }
    int ws = tu_collect(pid, fd, msg, cap);
    return WIFSIGNALED(ws) ? 1000 + WTERMSIG(ws) : WEXITSTATUS(ws);
}

/* An index of 40 articles in tmp/index, closed, and 40 more articles
 * written beside them in tmp/articles for the next run (paths: free()). */
static void indexed_then_grown(const char *tmp, char **dir, char **index)
{
    *dir = tu_path(tmp, "articles");
    *index = tu_path(tmp, "index");
    write_articles(*dir, 0, 40);
    kbs_db *db = tu_open_db(*index, KBS_OPEN_WRITE | KBS_OPEN_CREATE);
    cr_assert_eq(kbs_index_dir(db, *dir, NULL, NULL), KBS_OK, "%s", kbs_db_errmsg(db));
    cr_assert_eq(kbs_db_close(db), KBS_OK);
    write_articles(*dir, 40, 40);
}

Test(room, a_commit_past_the_file_size_limit_fails_cleanly, .timeout = 60)
{
    const char *tmp = tu_tmpdir();
    char *dir, *index;
    indexed_then_grown(tmp, &dir, &index);

    /* Room for a few blocks more, not for the margin of a commit. */
    char msg[2048];
    int st = run_limited(index, dir, largest_table(index) + 256 * 1024, msg, sizeof msg);
    cr_assert_eq(st, KBS_EIO, "the run ended with %d (1000 + a signal: killed): %s", st, msg);
    /* Refused by the check, before Xapian wrote anything. */
    cr_expect(strstr(msg, "committing the index: the index's largest file") != NULL, "%s", msg);
    cr_expect(strstr(msg, index) != NULL, "the message does not name the index: %s", msg);
    cr_expect(strstr(msg, "file size limit") != NULL, "%s", msg);
    cr_expect(strstr(msg, "free some space") != NULL, "%s", msg);
    /* Nothing of the run was written: the index is as the first run left it. */
    cr_expect_eq(documents(index), 40);

    /* With the limit gone, the next run completes. */
    kbs_db *db = tu_open_db(index, KBS_OPEN_WRITE);
    kbs_index_report rep;
    cr_assert_eq(kbs_index_dir(db, dir, NULL, &rep), KBS_OK, "%s", kbs_db_errmsg(db));
    cr_expect_eq(rep.added, 40);
    cr_assert_eq(kbs_db_close(db), KBS_OK);
    cr_expect_eq(documents(index), 80);
    tu_rmtree(tmp);
    free(dir);
    free(index);
}

/* The check asks for a margin, not for room for a copy of the index: a
 * limit with some MiB to spare lets a commit through. */
Test(room, a_commit_within_the_file_size_limit_goes_through, .timeout = 60)
{
    const char *tmp = tu_tmpdir();
    char *dir, *index;
    indexed_then_grown(tmp, &dir, &index);
    char msg[2048];
    int st = run_limited(index, dir, largest_table(index) + 16 * 1024 * 1024, msg, sizeof msg);
    cr_assert_eq(st, KBS_OK, "the run ended with %d: %s", st, msg);
    cr_expect_eq(documents(index), 80);
    tu_rmtree(tmp);
    free(dir);
    free(index);
}
