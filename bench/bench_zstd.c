/* bench_zstd - what the store's zstd parameters cost to decode.
 *
 * usage: bench_zstd LIST NTRAIN NTEST [CONFIG]
 *
 * LIST is a file of article paths, one a line (bench/query's
 * data/reuters-N.list). The first NTRAIN files train a dictionary as
 * index.c does (fastCover k=200 d=8 f=20, 256 KiB, level STORE_LEVEL = 5);
 * the next NTEST are compressed with it under each configuration below and
 * decoded as docstore_unpack() does (ZSTD_decompress_usingDDict, one DCtx).
 *
 * Without CONFIG: per configuration, the store's size over the originals,
 * and the decoding CPU time per article (best of 5 passes; noisy on a shared
 * machine). With CONFIG (an index into the table): only that one is decoded,
 * once, with callgrind's instrumentation on around it, for
 *   valgrind --tool=callgrind --instr-atstart=no bench_zstd LIST 3000 1000 N
 * whose instruction count does not move with the machine's load.
 *
 * Decoding needs no parameter: a record written under any of them is read
 * by the same code, so a change here would not change the record format.
 */
#define ZDICT_STATIC_LINKING_ONLY /* ZDICT_trainFromBuffer_fastCover */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zdict.h>
#include <zstd.h>

#include "callgrind_marks.h"

#define DICT_BYTES (256u * 1024)
#define OUT_CAP (16u << 20)

typedef struct config {
    const char *name;
    int level;
    int min_match; /* 0: the level's */
    int dict;
} config;

static const config configs[] = {
    {"level 5, dictionary (the store's)", 5, 0, 1},
    {"level 3, dictionary", 3, 0, 1},
    {"level 9, dictionary", 9, 0, 1},
    {"level 19, dictionary", 19, 0, 1},
    {"level 5, minMatch 6, dictionary", 5, 6, 1},
    {"level 5, minMatch 7, dictionary", 5, 7, 1},
    {"level 9, minMatch 7, dictionary", 9, 7, 1},
    {"level 5, no dictionary", 5, 0, 0},
};
#define NCONFIGS (sizeof configs / sizeof *configs)

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *b = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (b = malloc((size_t)n + 1)) != NULL)
            *len = fread(b, 1, (size_t)n, f);
    }
    fclose(f);
    return b;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Compresses docs[0..n) under c; returns the records and their total size. */
static char **compress_all(const config *c, const void *dict, size_t dlen, char **docs,
                           const size_t *lens, size_t n, size_t *zlens, size_t *total)
{
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_CDict *cd = NULL;
    char **z = calloc(n, sizeof *z);
    if (!cc || !z)
        return NULL;
    ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, c->level);
    ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 0);
    if (c->min_match)
        ZSTD_CCtx_setParameter(cc, ZSTD_c_minMatch, c->min_match);
    if (c->dict && c->min_match) {
        /* A CDict's own parameters win over the context's: load the
         * dictionary under ours instead. */
        ZSTD_CCtx_loadDictionary(cc, dict, dlen);
    } else if (c->dict) {
        cd = ZSTD_createCDict(dict, dlen, c->level);
        ZSTD_CCtx_refCDict(cc, cd);
    }
    *total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t bound = ZSTD_compressBound(lens[i]);
        z[i] = malloc(bound);
        zlens[i] = z[i] ? ZSTD_compress2(cc, z[i], bound, docs[i], lens[i]) : 0;
        if (!z[i] || ZSTD_isError(zlens[i])) {
            fprintf(stderr, "bench_zstd: %s: compressing failed\n", c->name);
            exit(1);
        }
        *total += zlens[i];
    }
    ZSTD_freeCDict(cd);
    ZSTD_freeCCtx(cc);
    return z;
}

static void decode_all(ZSTD_DCtx *dctx, const ZSTD_DDict *dd, char **z, const size_t *zlens,
                       const size_t *lens, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        size_t got = dd ? ZSTD_decompress_usingDDict(dctx, out, OUT_CAP, z[i], zlens[i], dd)
                        : ZSTD_decompressDCtx(dctx, out, OUT_CAP, z[i], zlens[i]);
        if (got != lens[i]) {
            fprintf(stderr, "bench_zstd: record %zu did not decode\n", i);
            exit(1);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_zstd LIST NTRAIN NTEST [CONFIG]\n");
        return 2;
    }
    size_t ntrain = strtoul(argv[2], NULL, 10), ntest = strtoul(argv[3], NULL, 10);
    long only = argc > 4 ? strtol(argv[4], NULL, 10) : -1;
    if (only >= (long)NCONFIGS) {
        fprintf(stderr, "bench_zstd: CONFIG is 0 to %zu\n", NCONFIGS - 1);
        return 2;
    }
    FILE *lf = fopen(argv[1], "r");
    if (!lf) {
        fprintf(stderr, "bench_zstd: cannot read %s\n", argv[1]);
        return 1;
    }
    char **docs = calloc(ntrain + ntest, sizeof *docs);
    size_t *lens = calloc(ntrain + ntest, sizeof *lens);
    size_t *zlens = calloc(ntest + 1, sizeof *zlens);
    char *out = malloc(OUT_CAP);
    void *dict = malloc(DICT_BYTES);
    if (!docs || !lens || !zlens || !out || !dict)
        return 1;
    char line[4096];
    size_t nf = 0;
    while (nf < ntrain + ntest && fgets(line, sizeof line, lf)) {
        line[strcspn(line, "\n")] = '\0';
        if ((docs[nf] = slurp(line, &lens[nf])) != NULL && lens[nf] > 0)
            nf++;
    }
    fclose(lf);
    if (nf <= ntrain) {
        fprintf(stderr, "bench_zstd: fewer than NTRAIN + 1 readable files\n");
        return 1;
    }
    ntest = nf - ntrain;
    size_t sample_len = 0;
    for (size_t i = 0; i < ntrain; i++)
        sample_len += lens[i];
    char *sample = malloc(sample_len);
    if (!sample)
        return 1;
    for (size_t i = 0, o = 0; i < ntrain; o += lens[i], i++)
        memcpy(sample + o, docs[i], lens[i]);
    ZDICT_fastCover_params_t fp;
    memset(&fp, 0, sizeof fp);
    fp.k = 200;
    fp.d = 8;
    fp.f = 20;
    fp.accel = 1;
    fp.zParams.compressionLevel = 5;
    size_t dlen =
        ZDICT_trainFromBuffer_fastCover(dict, DICT_BYTES, sample, lens, (unsigned)ntrain, fp);
    if (ZDICT_isError(dlen)) {
        fprintf(stderr, "bench_zstd: training: %s\n", ZDICT_getErrorName(dlen));
        return 1;
    }
    ZSTD_DDict *dd = ZSTD_createDDict(dict, dlen);
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    size_t test_bytes = 0;
    for (size_t i = ntrain; i < nf; i++)
        test_bytes += lens[i];
    printf("dictionary %zu bytes from %zu files; %zu test files, %zu bytes\n", dlen, ntrain, ntest,
           test_bytes);
    for (size_t c = 0; c < NCONFIGS; c++) {
        if (only >= 0 && (size_t)only != c)
            continue;
        const config *cf = &configs[c];
        size_t total;
        char **z = compress_all(cf, dict, dlen, docs + ntrain, lens + ntrain, ntest, zlens, &total);
        if (!z)
            return 1;
        const ZSTD_DDict *use = cf->dict ? dd : NULL;
        /* One pass first: the tables and the output are warm for the next. */
        decode_all(dctx, use, z, zlens, lens + ntrain, ntest, out);
        if (only >= 0) {
            CALLGRIND_START_INSTRUMENTATION;
            decode_all(dctx, use, z, zlens, lens + ntrain, ntest, out);
            CALLGRIND_STOP_INSTRUMENTATION;
            printf("%zu %s: size %.4f of the originals (decoded once under callgrind)\n", c,
                   cf->name, (double)total / (double)test_bytes);
        } else {
            double best = 1e30;
            for (int r = 0; r < 5; r++) {
                double t0 = cpu_s();
                decode_all(dctx, use, z, zlens, lens + ntrain, ntest, out);
                double t = cpu_s() - t0;
                if (t < best)
                    best = t;
            }
            printf("%zu %-36s size %.4f  decode %.2f us/article\n", c, cf->name,
                   (double)total / (double)test_bytes, best * 1e6 / (double)ntest);
        }
        for (size_t i = 0; i < ntest; i++)
            free(z[i]);
        free(z);
    }
    ZSTD_freeDDict(dd);
    ZSTD_freeDCtx(dctx);
    return 0;
}
