/* pin.c - keeps an index's files in the page cache (see pin.h). */
#include "pin.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int pin_file(pin_set *ps, const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_size == 0) {
        close(fd);
        return 0;
    }
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 16;
        pin_map *p = realloc(ps->maps, cap * sizeof *p);
        if (!p) {
            snprintf(err, errlen, "out of memory");
            close(fd);
            return -1;
        }
        ps->maps = p;
        ps->cap = cap;
    }
    size_t len = (size_t)st.st_size;
    void *a = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    close(fd); /* the mapping holds the file */
    if (a == MAP_FAILED) {
        snprintf(err, errlen, "cannot map %s: %s", path, strerror(errno));
        return -1;
    }
    /* mlock reads every page in and keeps it: the reclaim skips locked pages. */
    if (mlock(a, len) != 0) {
        snprintf(err, errlen, "cannot lock %s in memory (%zu bytes): %s", path, len,
                 strerror(errno));
        munmap(a, len);
        return -1;
    }
    ps->maps[ps->n].addr = a;
    ps->maps[ps->n].len = len;
    ps->n++;
    ps->bytes += len;
    return 0;
}

int pin_path(pin_set *ps, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return pin_file(ps, path, err, errlen);
    DIR *d = opendir(path);
    if (!d) {
        snprintf(err, errlen, "cannot list %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        size_t n = strlen(path) + strlen(de->d_name) + 2;
        char *p = malloc(n);
        if (!p) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
            break;
        }
        snprintf(p, n, "%s/%s", path, de->d_name);
        struct stat fst;
        if (stat(p, &fst) == 0 && S_ISREG(fst.st_mode))
            rc = pin_file(ps, p, err, errlen);
        free(p);
    }
    closedir(d);
    return rc;
}

void pin_release(pin_set *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        munmap(ps->maps[i].addr, ps->maps[i].len);
    free(ps->maps);
    memset(ps, 0, sizeof *ps);
}
