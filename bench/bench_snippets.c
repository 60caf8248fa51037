/* bench_snippets - what the snippets of a page cost against the search itself.
 *
 * usage: bench_snippets INDEX QUERIES.tsv [both|snip|nosnip] [PER_CLASS] [DUMP]
 *
 * QUERIES.tsv is bench_query's --save-queries file (class, df, kbsearch
 * query, ...). Each query is kbs_search with the defaults, then every hit's
 * path, title and snippet read, then kbs_results_free, as bench_query does.
 *
 * both (the default): every query once with no_snippets and once with
 * snippets, back to back, three times over; the least CPU time of each
 * (the searching thread's), and per class the p50 and mean of both and
 * (snippets p50 - search p50) / search p50: below 1 when the snippets of
 * the page cost less than the search. The two modes run side by side, so
 * load from elsewhere falls on both alike. A third run, also alternated,
 * searches without snippets and then reads every hit's original from the
 * store (kbs_show: the record's fetch and its zstd decoding, no snippet):
 * (read p50 - search p50) / search p50 is the least any snippet made from
 * the store could cost against the search.
 *
 * snip, nosnip: one warm pass, then one measured pass in that mode only,
 * with callgrind's instrumentation on around the measured pass, for
 *   valgrind --tool=callgrind --instr-atstart=no bench_snippets IDX Q snip
 *
 * The index's files are locked in memory for the run (pin.h), unless
 * $KBS_BENCH_NO_PIN is set.
 *
 * DUMP writes every hit's snippet and spans (compare two builds' output).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kbsearch.h"
#include "pin.h"

#include "callgrind_marks.h"

#define MAX_QUERIES 10000
#define REPEATS 3

typedef struct query {
    char cls[32];
    char q[256];
} query;

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* snippets: 0 none, 1 the page's snippets, 2 none but every hit's original
 * read from the store. */
static int run(kbs_db *db, const char *q, int snippets, FILE *dump)
{
    kbs_search_options o;
    kbs_search_options_init(&o);
    o.no_snippets = snippets != 1;
    kbs_results *r;
    int st = kbs_search(db, q, strlen(q), &o, &r);
    if (st != KBS_OK) {
        fprintf(stderr, "bench_snippets: %s: %s\n", q, kbs_db_errmsg(db));
        return st;
    }
    size_t n = kbs_results_count(r);
    volatile size_t sink = 0;
    for (size_t i = 0; i < n; i++) {
        kbs_hit h;
        kbs_results_get(r, i, &h);
        sink += strlen(h.path) + strlen(h.title) + strlen(h.snippet);
        char *orig = NULL;
        size_t olen = 0;
        if (snippets == 2 && kbs_show(db, h.id, &orig, &olen) == KBS_OK) {
            sink += olen;
            kbs_free(orig);
        }
        if (dump) {
            fprintf(dump, "%s\t%u\t%d\t%s\t", q, h.id, h.snippet_is_lead, h.snippet);
            for (size_t k = 0; k < h.nspans; k++)
                fprintf(dump, "%u+%u ", h.spans[k].start, h.spans[k].len);
            fputc('\n', dump);
        }
    }
    (void)sink;
    kbs_results_free(r);
    return KBS_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static size_t read_queries(const char *path, long per_class, query *qs)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "bench_snippets: cannot read %s\n", path);
        exit(2);
    }
    char line[1024], last[32] = "";
    size_t n = 0;
    long in_class = 0;
    while (fgets(line, sizeof line, f) && n < MAX_QUERIES) {
        char *save = NULL;
        char *cls = strtok_r(line, "\t\n", &save);
        char *df = strtok_r(NULL, "\t\n", &save);
        char *q = strtok_r(NULL, "\t\n", &save);
        if (!cls || !df || !q || strcmp(cls, "class") == 0)
            continue;
        if (strcmp(cls, last) != 0) {
            snprintf(last, sizeof last, "%s", cls);
            in_class = 0;
        }
        if (in_class++ >= per_class)
            continue;
        snprintf(qs[n].cls, sizeof qs[n].cls, "%s", cls);
        snprintf(qs[n].q, sizeof qs[n].q, "%s", q);
        n++;
    }
    fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_snippets INDEX QUERIES.tsv [both|snip|nosnip] "
                        "[PER_CLASS] [DUMP]\n");
        return 2;
    }
    const char *mode = argc > 3 ? argv[3] : "both";
    long per_class = argc > 4 ? strtol(argv[4], NULL, 10) : MAX_QUERIES;
    FILE *dump = argc > 5 ? fopen(argv[5], "w") : NULL;
    kbs_db *db;
    char *err = NULL;
    if (kbs_db_open(argv[1], KBS_OPEN_READ, &db, &err) != KBS_OK) {
        fprintf(stderr, "bench_snippets: %s\n", err ? err : "cannot open the index");
        return 1;
    }
    pin_set pins = {0};
    char perr[512];
    if (!getenv("KBS_BENCH_NO_PIN") && pin_path(&pins, argv[1], perr, sizeof perr) != 0) {
        fprintf(stderr, "bench_snippets: %s (KBS_BENCH_NO_PIN=1 runs without)\n", perr);
        return 1;
    }
    query *qs = calloc(MAX_QUERIES, sizeof *qs);
    if (!qs)
        return 1;
    size_t nq = read_queries(argv[2], per_class, qs);
    if (strcmp(mode, "both") != 0) {
        int snippets = strcmp(mode, "snip") == 0;
        for (size_t i = 0; i < nq; i++)
            run(db, qs[i].q, snippets, NULL);
        double t0 = cpu_ms();
        CALLGRIND_START_INSTRUMENTATION;
        for (size_t i = 0; i < nq; i++)
            run(db, qs[i].q, snippets, dump);
        CALLGRIND_STOP_INSTRUMENTATION;
        printf("mode=%s queries=%zu cpu_ms_per_query=%.4f\n", mode, nq,
               (cpu_ms() - t0) / (double)(nq ? nq : 1));
        return 0;
    }
    double *plain = calloc(nq + 1, sizeof *plain), *snip = calloc(nq + 1, sizeof *snip);
    double *orig = calloc(nq + 1, sizeof *orig);
    if (!plain || !snip || !orig)
        return 1;
    for (size_t i = 0; i < nq; i++) { /* warm */
        run(db, qs[i].q, 0, NULL);
        run(db, qs[i].q, 1, dump);
    }
    for (int rep = 0; rep < REPEATS; rep++)
        for (size_t i = 0; i < nq; i++) {
            /* Who goes first turns round: search, snippets, originals. */
            double *slot[3] = {plain, snip, orig};
            for (int k = 0; k < 3; k++) {
                int m = (rep + k) % 3;
                double t0 = cpu_ms();
                run(db, qs[i].q, m, NULL);
                double t = cpu_ms() - t0;
                if (rep == 0 || t < slot[m][i])
                    slot[m][i] = t;
            }
        }
    printf("%-12s %5s %10s %10s %10s %10s %12s %10s %12s\n", "class", "n", "search_p50",
           "+snip_p50", "search_avg", "+snip_avg", "snip/search", "+read_p50", "read/search");
    for (size_t i = 0; i < nq;) {
        size_t j = i;
        while (j < nq && strcmp(qs[j].cls, qs[i].cls) == 0)
            j++;
        size_t n = j - i;
        double sp = 0, ss = 0;
        for (size_t k = i; k < j; k++) {
            sp += plain[k];
            ss += snip[k];
        }
        qsort(plain + i, n, sizeof *plain, cmp_double);
        qsort(snip + i, n, sizeof *snip, cmp_double);
        qsort(orig + i, n, sizeof *orig, cmp_double);
        double p50 = plain[i + (n - 1) / 2], s50 = snip[i + (n - 1) / 2];
        double o50 = orig[i + (n - 1) / 2];
        printf("%-12s %5zu %10.3f %10.3f %10.3f %10.3f %12.2f %10.3f %12.2f\n", qs[i].cls, n, p50,
               s50, sp / (double)n, ss / (double)n, p50 > 0 ? (s50 - p50) / p50 : 0.0, o50,
               p50 > 0 ? (o50 - p50) / p50 : 0.0);
        i = j;
    }
    if (dump)
        fclose(dump);
    kbs_db_close(db);
    free(plain);
    free(snip);
    free(orig);
    free(qs);
    return 0;
}
