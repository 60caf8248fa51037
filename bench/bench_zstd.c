/* bench_zstd - what the store's zstd parameters cost to decode.
 *
 * usage: bench_zstd [--grid] [--cold MIB] LIST NTRAIN NTEST [CONFIG]
 *
 * LIST is a file of article paths, one a line (bench/query's
 * data/reuters-N.list). The first NTRAIN files train a dictionary of each
 * configuration's size as index.c does (fastCover k=200 d=8 f=20); the next
 * NTEST are compressed with it under each configuration and decoded as
 * docstore_unpack() does (ZSTD_decompress_usingDDict, one DCtx).
 *
 * The configurations are the table below, or with --grid the dictionary
 * sizes 32 to 256 KiB at levels 5, 7 and 9 (and minMatch variants).
 *
 * Without --cold: per configuration, the store's size over the originals,
 * and the decoding CPU time per article (best of 5 passes over all the test
 * files, back to back, the dictionary hot in the cache; noisy on a shared
 * machine). With CONFIG (an index into the table): only that one is decoded,
 * once, with callgrind's instrumentation on around it, for
 *   valgrind --tool=callgrind --instr-atstart=no bench_zstd LIST 3000 1000 N
 * whose instruction count does not move with the machine's load.
 *
 * With --cold MIB: a search decodes one record per hit, and between two hits
 * Xapian's B-tree reads and the snippet's work evict the dictionary from the
 * core's caches. So each decode is timed alone, and between two decodes the
 * benchmark reads a buffer of MIB MiB (outside the timing) and then the
 * record (which Xapian has just copied, so it is warm). Per configuration:
 * the size, the compression time per article (the CDict built outside it,
 * as an indexing run builds it once), and the decode time per article warm
 * (timed the same way, nothing read between) and cold, each also with zstd's
 * prefetching decoder forced (ZSTD_decompressBegin() before each decode:
 * see decode_one). Each is the sum over the articles of each one's least
 * time in 5 passes; all the configurations take turns within each pass.
 * CONFIG, if given, times only that configuration.
 *
 * Decoding needs no parameter: a record written under any of them is read
 * by the same code, so a change here would not change the record format.
 */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_decompressBegin */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

#include "callgrind_marks.h"
#include "store_dict.h" /* the store's training parameters */

#define OUT_CAP (16u << 20)
#define MAX_DICTS 16

typedef struct config {
    const char *name;
    int level;
    int min_match;   /* 0: the level's */
    unsigned dict_k; /* the dictionary's size in KiB; 0: no dictionary */
    int train_level; /* the level the dictionary is trained for; 0: level */
} config;

/* The first table trains every dictionary at level 5, as the store did when
 * it was measured (bench/README.md, session 4), so its figures stay
 * comparable; the grid trains each at its own level, as index.c would
 * (store_dict_params(STORE_LEVEL)). */
static const config configs[] = {
    {"level 5, dictionary (the store's)", 5, 0, 256, 5},
    {"level 3, dictionary", 3, 0, 256, 5},
    {"level 9, dictionary", 9, 0, 256, 5},
    {"level 19, dictionary", 19, 0, 256, 5},
    {"level 5, minMatch 6, dictionary", 5, 6, 256, 5},
    {"level 5, minMatch 7, dictionary", 5, 7, 256, 5},
    {"level 9, minMatch 7, dictionary", 9, 7, 256, 5},
    {"level 5, no dictionary", 5, 0, 0, 5},
};

static const config grid[] = {
    {"256 KiB, level 5", 5, 0, 256, 0},
    {"256 KiB, level 7", 7, 0, 256, 0},
    {"256 KiB, level 9", 9, 0, 256, 0},
    {"128 KiB, level 5", 5, 0, 128, 0},
    {"128 KiB, level 7", 7, 0, 128, 0},
    {"128 KiB, level 9", 9, 0, 128, 0},
    {"64 KiB, level 5", 5, 0, 64, 0},
    {"64 KiB, level 7", 7, 0, 64, 0},
    {"64 KiB, level 9", 9, 0, 64, 0},
    {"32 KiB, level 5", 5, 0, 32, 0},
    {"32 KiB, level 7", 7, 0, 32, 0},
    {"32 KiB, level 9", 9, 0, 32, 0},
    {"256 KiB, level 5, minMatch 6", 5, 6, 256, 0},
    {"128 KiB, level 5, minMatch 6", 5, 6, 128, 0},
    {"128 KiB, level 9, minMatch 6", 9, 6, 128, 0},
    {"64 KiB, level 9, minMatch 6", 9, 6, 64, 0},
};

#define COUNT(a) (sizeof(a) / sizeof *(a))

/* The dictionaries trained so far, one per (size, training level). */
typedef struct dicts {
    size_t n;
    struct {
        unsigned k;
        int level;
        void *data;
        size_t len;
        ZSTD_DDict *dd;
    } v[MAX_DICTS];
} dicts;

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

/* Wall time: one decode is a few microseconds, too short for the thread's
 * CPU clock (a system call), and the best of several passes leaves out the
 * ones the machine's other work interrupted. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double sum_of(const double *v, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return s;
}

/* The dictionary of k KiB trained for level, from the training files;
 * trained on first use. NULL if it does not train. */
static const void *dict_for(dicts *ds, unsigned k, int level, const char *sample,
                            const size_t *lens, size_t ntrain, size_t *dlen, ZSTD_DDict **dd)
{
    for (size_t i = 0; i < ds->n; i++)
        if (ds->v[i].k == k && ds->v[i].level == level) {
            *dlen = ds->v[i].len;
            *dd = ds->v[i].dd;
            return ds->v[i].data;
        }
    if (ds->n == MAX_DICTS)
        return NULL;
    void *dict = malloc((size_t)k * 1024);
    if (!dict)
        return NULL;
    ZDICT_fastCover_params_t fp = store_dict_params(level);
    double t0 = cpu_s();
    size_t got =
        ZDICT_trainFromBuffer_fastCover(dict, (size_t)k * 1024, sample, lens, (unsigned)ntrain, fp);
    if (ZDICT_isError(got)) {
        fprintf(stderr, "bench_zstd: training %u KiB: %s\n", k, ZDICT_getErrorName(got));
        free(dict);
        return NULL;
    }
    printf("dictionary %u KiB for level %d: %zu bytes, trained in %.2f s\n", k, level, got,
           cpu_s() - t0);
    ds->v[ds->n].k = k;
    ds->v[ds->n].level = level;
    ds->v[ds->n].data = dict;
    ds->v[ds->n].len = got;
    ds->v[ds->n].dd = ZSTD_createDDict(dict, got);
    *dlen = got;
    *dd = ds->v[ds->n++].dd;
    return *dd ? dict : NULL;
}

/* One configuration under test: its compression context, its records and,
 * in the cold mode, each record's least time so far for each measure. */
typedef struct trial {
    const config *cf;
    ZSTD_CCtx *cc;
    ZSTD_CDict *cd;
    const ZSTD_DDict *dd; /* NULL without a dictionary */
    char **z;
    size_t *zlens;
    size_t total;
    double *least[5]; /* compress; decode warm, cold, each with prefetching */
} trial;

enum { T_COMPRESS, T_WARM, T_WARM_PREFETCH, T_COLD, T_COLD_PREFETCH, T_N };

static int trial_init(trial *t, const config *c, const void *dict, size_t dlen,
                      const ZSTD_DDict *dd, const size_t *lens, size_t n)
{
    memset(t, 0, sizeof *t);
    t->cf = c;
    t->dd = dd;
    t->cc = ZSTD_createCCtx();
    t->z = calloc(n, sizeof *t->z);
    t->zlens = calloc(n, sizeof *t->zlens);
    if (!t->cc || !t->z || !t->zlens)
        return -1;
    for (int k = 0; k < T_N; k++) {
        if ((t->least[k] = malloc(n * sizeof(double))) == NULL)
            return -1;
        for (size_t i = 0; i < n; i++)
            t->least[k][i] = 1e30;
    }
    for (size_t i = 0; i < n; i++)
        if ((t->z[i] = malloc(ZSTD_compressBound(lens[i]))) == NULL)
            return -1;
    ZSTD_CCtx_setParameter(t->cc, ZSTD_c_compressionLevel, c->level);
    ZSTD_CCtx_setParameter(t->cc, ZSTD_c_checksumFlag, 0);
    if (c->min_match)
        ZSTD_CCtx_setParameter(t->cc, ZSTD_c_minMatch, c->min_match);
    if (c->dict_k && c->min_match) {
        /* A CDict's own parameters win over the context's: load the
         * dictionary under ours instead (built at the first compression,
         * the untimed one). */
        ZSTD_CCtx_loadDictionary(t->cc, dict, dlen);
    } else if (c->dict_k) {
        t->cd = ZSTD_createCDict(dict, dlen, c->level);
        ZSTD_CCtx_refCDict(t->cc, t->cd);
    }
    return 0;
}

static void trial_free(trial *t, size_t n)
{
    for (size_t i = 0; t->z && i < n; i++)
        free(t->z[i]);
    free(t->z);
    free(t->zlens);
    for (int k = 0; k < T_N; k++)
        free(t->least[k]);
    ZSTD_freeCDict(t->cd);
    ZSTD_freeCCtx(t->cc);
}

/* Compresses docs[0..n) into the trial's records; with least, keeps each
 * article's least time there. */
static void compress_pass(trial *t, char **docs, const size_t *lens, size_t n, double *least)
{
    t->total = 0;
    for (size_t i = 0; i < n; i++) {
        double t0 = now_s();
        size_t zl = ZSTD_compress2(t->cc, t->z[i], ZSTD_compressBound(lens[i]), docs[i], lens[i]);
        double s = now_s() - t0;
        if (ZSTD_isError(zl)) {
            fprintf(stderr, "bench_zstd: %s: compressing failed\n", t->cf->name);
            exit(1);
        }
        if (least && s < least[i])
            least[i] = s;
        t->zlens[i] = zl;
        t->total += zl;
    }
}

/* Decodes one record as docstore_unpack() does. force_cold: zstd decides
 * that a DDict is cold when the DCtx's last dictionary was another
 * (ZSTD_decompressBegin_usingDDict compares dictEnd), and only then takes
 * ZSTD_decompressSequencesLong, which prefetches each match's source a few
 * sequences ahead, and prefetches its entropy tables; with the same DDict
 * every time it never does. ZSTD_decompressBegin() (static API) clears
 * dictEnd, so the next decode sees the dictionary as cold. */
static void decode_one(ZSTD_DCtx *dctx, const ZSTD_DDict *dd, int force_cold, const char *z,
                       size_t zlen, size_t len, char *out, size_t i)
{
    if (force_cold && dd)
        ZSTD_decompressBegin(dctx);
    size_t got = dd ? ZSTD_decompress_usingDDict(dctx, out, OUT_CAP, z, zlen, dd)
                    : ZSTD_decompressDCtx(dctx, out, OUT_CAP, z, zlen);
    if (got != len) {
        fprintf(stderr, "bench_zstd: record %zu did not decode\n", i);
        exit(1);
    }
}

static void decode_all(ZSTD_DCtx *dctx, const trial *t, const size_t *lens, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        decode_one(dctx, t->dd, 0, t->z[i], t->zlens[i], lens[i], out, i);
}

/* Reads one byte of every cache line of p[0..len): what the caches held
 * before is evicted as a search's other reads would. */
static unsigned touch(const unsigned char *p, size_t len)
{
    unsigned s = 0;
    for (size_t i = 0; i < len; i += 64)
        s += p[i];
    return s;
}

/* One pass timing each decode alone, keeping each record's least time in
 * least[]. With evict, that buffer and then the record are read before each
 * decode, outside the timing. */
static void decode_timed(ZSTD_DCtx *dctx, const trial *t, int force_cold, const size_t *lens,
                         size_t n, char *out, const unsigned char *evict, size_t evict_len,
                         volatile unsigned *sink, double *least)
{
    for (size_t i = 0; i < n; i++) {
        if (evict) {
            *sink += touch(evict, evict_len);
            *sink += touch((const unsigned char *)t->z[i], t->zlens[i]);
        }
        double t0 = now_s();
        decode_one(dctx, t->dd, force_cold, t->z[i], t->zlens[i], lens[i], out, i);
        double s = now_s() - t0;
        if (s < least[i])
            least[i] = s;
    }
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_zstd [--grid] [--cold MIB] LIST NTRAIN NTEST [CONFIG]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const config *table = configs;
    size_t ntable = COUNT(configs);
    size_t cold_mib = 0;
    int a = 1;
    for (; a < argc && argv[a][0] == '-' && argv[a][1] == '-'; a++) {
        if (strcmp(argv[a], "--grid") == 0) {
            table = grid;
            ntable = COUNT(grid);
        } else if (strcmp(argv[a], "--cold") == 0 && a + 1 < argc) {
            cold_mib = strtoul(argv[++a], NULL, 10);
            if (cold_mib == 0 || cold_mib > 4096) {
                fprintf(stderr, "bench_zstd: --cold takes MiB, 1 to 4096\n");
                return 2;
            }
        } else {
            return usage();
        }
    }
    if (argc - a < 3)
        return usage();
    size_t ntrain = strtoul(argv[a + 1], NULL, 10), ntest = strtoul(argv[a + 2], NULL, 10);
    long only = argc - a > 3 ? strtol(argv[a + 3], NULL, 10) : -1;
    if (only >= (long)ntable) {
        fprintf(stderr, "bench_zstd: CONFIG is 0 to %zu\n", ntable - 1);
        return 2;
    }
    FILE *lf = fopen(argv[a], "r");
    if (!lf) {
        fprintf(stderr, "bench_zstd: cannot read %s\n", argv[a]);
        return 1;
    }
    char **docs = calloc(ntrain + ntest, sizeof *docs);
    size_t *lens = calloc(ntrain + ntest, sizeof *lens);
    char *out = malloc(OUT_CAP);
    dicts *ds = calloc(1, sizeof *ds);
    trial *trials = calloc(ntable, sizeof *trials);
    unsigned char *evict = NULL;
    size_t evict_len = cold_mib << 20;
    if (cold_mib && (evict = malloc(evict_len)) != NULL)
        memset(evict, 0x5a, evict_len); /* its pages mapped before any timing */
    if (!docs || !lens || !out || !ds || !trials || (cold_mib && !evict))
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
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    size_t test_bytes = 0;
    for (size_t i = ntrain; i < nf; i++)
        test_bytes += lens[i];
    char **tdocs = docs + ntrain;
    const size_t *tlens = lens + ntrain;
    printf("%zu training files; %zu test files, %zu bytes\n", ntrain, ntest, test_bytes);
    double per = 1e6 / (double)ntest;
    volatile unsigned sink = 0;
    size_t first = only >= 0 ? (size_t)only : 0, last = only >= 0 ? (size_t)only + 1 : ntable;
    for (size_t c = first; c < last; c++) {
        const config *cf = &table[c];
        const void *dict = NULL;
        size_t dlen = 0;
        ZSTD_DDict *dd = NULL;
        if (cf->dict_k) {
            int tl = cf->train_level ? cf->train_level : cf->level;
            dict = dict_for(ds, cf->dict_k, tl, sample, lens, ntrain, &dlen, &dd);
            if (!dict)
                return 1;
        }
        trial *t = &trials[c];
        if (trial_init(t, cf, dict, dlen, dd, tlens, ntest) != 0)
            return 1;
        compress_pass(t, tdocs, tlens, ntest, NULL);
        /* One pass first: the tables and the output are warm for the next. */
        decode_all(dctx, t, tlens, ntest, out);
        if (cold_mib)
            continue;
        double size = (double)t->total / (double)test_bytes;
        if (only >= 0) {
            CALLGRIND_START_INSTRUMENTATION;
            decode_all(dctx, t, tlens, ntest, out);
            CALLGRIND_STOP_INSTRUMENTATION;
            printf("%zu %s: size %.4f of the originals (decoded once under callgrind)\n", c,
                   cf->name, size);
        } else {
            double best = 1e30;
            for (int r = 0; r < 5; r++) {
                double t0 = cpu_s();
                decode_all(dctx, t, tlens, ntest, out);
                double s = cpu_s() - t0;
                if (s < best)
                    best = s;
            }
            printf("%zu %-36s size %.4f  decode %.2f us/article\n", c, cf->name, size, best * per);
        }
        /* Level 19's context is large: one at a time here. */
        trial_free(t, ntest);
        memset(t, 0, sizeof *t);
    }
    if (cold_mib) {
        /* Every configuration in turn within each pass, and each measure in
         * turn within that: the machine's load, which moves a whole pass's
         * time by half on a shared machine, then weighs on them alike. */
        printf("cold: %zu MiB read between two decodes; us/article, the sum of each article's "
               "least of 5 passes\n",
               cold_mib);
        for (int r = 0; r < 5; r++)
            for (size_t c = first; c < last; c++) {
                trial *t = &trials[c];
                compress_pass(t, tdocs, tlens, ntest, t->least[T_COMPRESS]);
                for (int k = T_WARM; k < T_N; k++) {
                    int cold = k == T_COLD || k == T_COLD_PREFETCH;
                    int pref = k == T_WARM_PREFETCH || k == T_COLD_PREFETCH;
                    decode_timed(dctx, t, pref, tlens, ntest, out, cold ? evict : NULL,
                                 cold ? evict_len : 0, &sink, t->least[k]);
                }
            }
        printf("%-33s %6s %8s  %s\n", "", "size", "compress",
               "decode: warm, +prefetch, cold, +prefetch");
        for (size_t c = first; c < last; c++) {
            const trial *t = &trials[c];
            printf("%2zu %-30s %.4f %8.2f  %5.2f %5.2f  %5.2f %5.2f\n", c, t->cf->name,
                   (double)t->total / (double)test_bytes, sum_of(t->least[T_COMPRESS], ntest) * per,
                   sum_of(t->least[T_WARM], ntest) * per,
                   sum_of(t->least[T_WARM_PREFETCH], ntest) * per,
                   sum_of(t->least[T_COLD], ntest) * per,
                   sum_of(t->least[T_COLD_PREFETCH], ntest) * per);
        }
    }
    for (size_t c = first; c < last; c++)
        trial_free(&trials[c], ntest);
    for (size_t i = 0; i < ds->n; i++) {
        ZSTD_freeDDict(ds->v[i].dd);
        free(ds->v[i].data);
    }
    ZSTD_freeDCtx(dctx);
    return 0;
}
