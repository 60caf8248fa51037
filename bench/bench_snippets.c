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
 * load from elsewhere falls on both alike.
 *
 * snip, nosnip: one warm pass, then one measured pass in that mode only,
 * with callgrind's instrumentation on around the measured pass, for
 *   valgrind --tool=callgrind --instr-atstart=no bench_snippets IDX Q snip
 *
 * DUMP writes every hit's snippet and spans (compare two builds' output).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kbsearch.h"

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

static int run(kbs_db *db, const char *q, int snippets, FILE *dump)
{
    kbs_search_options o;
    kbs_search_options_init(&o);
    o.no_snippets = !snippets;
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
    if (!plain || !snip)
        return 1;
    for (size_t i = 0; i < nq; i++) { /* warm */
        run(db, qs[i].q, 0, NULL);
        run(db, qs[i].q, 1, dump);
    }
    for (int rep = 0; rep < REPEATS; rep++)
        for (size_t i = 0; i < nq; i++) {
            int first = rep & 1; /* who goes first alternates */
            double t0 = cpu_ms();
            run(db, qs[i].q, first, NULL);
            double t1 = cpu_ms();
            run(db, qs[i].q, !first, NULL);
            double t2 = cpu_ms();
            double p = first ? t2 - t1 : t1 - t0, s = first ? t1 - t0 : t2 - t1;
            if (rep == 0 || p < plain[i])
                plain[i] = p;
            if (rep == 0 || s < snip[i])
                snip[i] = s;
        }
    printf("%-12s %5s %10s %10s %10s %10s %12s\n", "class", "n", "search_p50", "+snip_p50",
           "search_avg", "+snip_avg", "snip/search");
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
        double p50 = plain[i + (n - 1) / 2], s50 = snip[i + (n - 1) / 2];
        printf("%-12s %5zu %10.3f %10.3f %10.3f %10.3f %12.2f\n", qs[i].cls, n, p50, s50,
               sp / (double)n, ss / (double)n, p50 > 0 ? (s50 - p50) / p50 : 0.0);
        i = j;
    }
    if (dump)
        fclose(dump);
    kbs_db_close(db);
    free(plain);
    free(snip);
    free(qs);
    return 0;
}
