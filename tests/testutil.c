#define _XOPEN_SOURCE 700 /* nftw() */
#include "testutil.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char *tu_tmpdir(void)
{
    static char dir[256];
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/kbs-test-XXXXXX", base && *base ? base : "/tmp");
    cr_assert_not_null(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
    return dir;
}

kbs_db *tu_open_db(const char *path, unsigned flags)
{
    kbs_db *db = NULL;
    char *msg = NULL;
    int st = kbs_db_open(path, flags, &db, &msg);
    cr_assert_eq(st, KBS_OK, "open %s: %s (%s)", path, kbs_strerror(st), msg ? msg : "");
    kbs_free(msg);
    return db;
}

char *tu_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    cr_assert_not_null(p);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static void mkdirs_for(const char *path)
{
    char *copy = strdup(path);
    for (char *p = copy + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(copy, 0755);
            *p = '/';
        }
    }
    free(copy);
}

void tu_write(const char *path, const char *data, size_t len)
{
    mkdirs_for(path);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "open %s: %s", path, strerror(errno));
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

char *tu_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *d = malloc(cap + 1);
    size_t r;
    while ((r = fread(d + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            cap *= 2;
            d = realloc(d, cap + 1);
        }
    }
    fclose(f);
    d[n] = '\0';
    if (len)
        *len = n;
    return d;
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(p);
    return 0;
}

void tu_rmtree(const char *path)
{
    nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static char *slurp_fd(int fd)
{
    size_t cap = 4096, n = 0;
    char *d = malloc(cap + 1);
    ssize_t r;
    while ((r = read(fd, d + n, cap - n)) > 0) {
        n += (size_t)r;
        if (n == cap) {
            cap *= 2;
            d = realloc(d, cap + 1);
        }
    }
    d[n] = '\0';
    return d;
}

int tu_run_cli(const char *const *argv, char **out, char **err)
{
    char outp[] = "/tmp/kbs-out-XXXXXX", errp[] = "/tmp/kbs-err-XXXXXX";
    int ofd = mkstemp(outp), efd = mkstemp(errp);
    cr_assert(ofd >= 0 && efd >= 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        size_t n = 0;
        while (argv[n])
            n++;
        char **args = calloc(n + 2, sizeof *args);
        args[0] = (char *)KBS_CLI;
        for (size_t i = 0; i < n; i++)
            args[i + 1] = (char *)argv[i];
        dup2(ofd, 1);
        dup2(efd, 2);
        int nul = open("/dev/null", O_RDONLY);
        dup2(nul, 0);
        execv(KBS_CLI, args);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    lseek(ofd, 0, SEEK_SET);
    lseek(efd, 0, SEEK_SET);
    char *o = slurp_fd(ofd), *e = slurp_fd(efd);
    close(ofd);
    close(efd);
    unlink(outp);
    unlink(errp);
    if (out)
        *out = o;
    else
        free(o);
    if (err)
        *err = e;
    else
        free(e);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int tu_die_on_event(void *ctx, const kbs_index_event *ev)
{
    if (ev->kind == *(const int *)ctx)
        kill(getpid(), SIGKILL);
    return 0;
}

kbs_search_options tu_page_options(uint32_t offset, uint32_t limit, int sort, int exact)
{
    kbs_search_options o;
    kbs_search_options_init(&o);
    o.offset = offset;
    o.limit = limit;
    o.sort = sort;
    o.exact_count = exact;
    o.no_snippets = 1;
    return o;
}

int tu_fork_piped(int *fd)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    close(fds[pid == 0 ? 0 : 1]);
    *fd = fds[pid == 0 ? 1 : 0];
    return (int)pid;
}

int tu_collect(int pid, int fd, char *buf, size_t cap)
{
    size_t n = 0;
    ssize_t k;
    while (n + 1 < cap && ((k = read(fd, buf + n, cap - 1 - n)) > 0 || (k < 0 && errno == EINTR)))
        if (k > 0)
            n += (size_t)k;
    buf[n] = '\0';
    close(fd);
    int ws = 0;
    cr_assert_eq(waitpid((pid_t)pid, &ws, 0), (pid_t)pid);
    return ws;
}
