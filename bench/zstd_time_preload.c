/* zstd_time_preload - what the store's decodes cost inside a real search.
 *
 * usage: LD_PRELOAD=build/bench/libzstd_time_preload.so PROGRAM ...
 *
 * bench_zstd times decoding apart from everything else; in a search the
 * caches hold what Xapian and the snippets left there, and only the search
 * itself says how cold the dictionary is. This shim stands between
 * libkbsearch and libzstd: it times every ZSTD_decompress_usingDDict (the
 * store's decode, docstore_unpack) with the monotonic clock and, when the
 * program ends, prints to stderr the number of decodes and the mean, p50 and
 * p90 microseconds of one. Comparing two builds of the library (or two
 * indexes) under the same program and queries compares their decodes alone,
 * without the noise of the rest of the search, which is 5 to 10 times as
 * long. Not built into anything but the benchmarks.
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

#define MAX_CALLS (1u << 22)

typedef size_t (*decode_fn)(ZSTD_DCtx *, void *, size_t, const void *, size_t, const ZSTD_DDict *);

/* A preloaded shim has no caller to hand state to: it keeps its own, for
 * one thread (the benchmarks decode on one). */
static struct {
    decode_fn real;
    double *times;
    size_t n;
} st;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

size_t ZSTD_decompress_usingDDict(ZSTD_DCtx *dctx, void *dst, size_t cap, const void *src,
                                  size_t len, const ZSTD_DDict *ddict)
{
    if (!st.real) {
        /* ISO C has no cast from an object pointer to a function pointer;
         * POSIX guarantees the bytes are the same. */
        void *sym = dlsym(RTLD_NEXT, "ZSTD_decompress_usingDDict");
        memcpy(&st.real, &sym, sizeof st.real);
        st.times = malloc(MAX_CALLS * sizeof *st.times);
        if (!st.real) {
            fprintf(stderr, "zstd_time_preload: no ZSTD_decompress_usingDDict to wrap\n");
            abort();
        }
    }
    double t0 = now_s();
    size_t r = st.real(dctx, dst, cap, src, len, ddict);
    double t = now_s() - t0;
    if (st.times && st.n < MAX_CALLS)
        st.times[st.n++] = t;
    return r;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

__attribute__((destructor)) static void report(void)
{
    if (!st.n)
        return;
    double sum = 0;
    for (size_t i = 0; i < st.n; i++)
        sum += st.times[i];
    qsort(st.times, st.n, sizeof *st.times, by_value);
    fprintf(stderr, "zstd_time_preload: %zu decodes, us each: mean %.2f p50 %.2f p90 %.2f\n", st.n,
            sum * 1e6 / (double)st.n, st.times[st.n / 2] * 1e6, st.times[st.n * 9 / 10] * 1e6);
    free(st.times);
}
