/* bench_ab - two builds of libkbsearch and plain Xapian, query by query.
 *
 * usage: bench_ab LIB_A LIB_B QUERIES.tsv [CLASSES] [PASSES]
 *
 * LIB_A and LIB_B are two libkbsearch.so files (an old build and a new one),
 * loaded side by side with dlopen; QUERIES.tsv is bench_query's
 * --save-queries file; CLASSES a comma-separated list (default: every class
 * in the file), PASSES the timed passes (default 5). The index is
 * $KBS_AB_INDEX (both builds; $KBS_AB_INDEX_A and $KBS_AB_INDEX_B give each its
 * own, e.g. one index changed by a tool) and plain Xapian's $KBS_AB_XAPIAN;
 * by default bench/query's on all Reuters files in /tmp/qspeed-bench. With
 * $KBS_AB_DUMP set to a file name, every query's times (A, B, plain Xapian)
 * and text are written there, a line each. With
 * $KBS_AB_XAPIAN_DATA set, plain Xapian also reads each hit's document data
 * (the article's text), as an application showing anything of its hits
 * must: kbsearch reads each hit's display fields (path, title, date).
 *
 * Why: on this shared 2-core machine, `bench_query --loop` runs of two builds
 * one after the other differ by 10-20% from load alone, more than most
 * changes gain. Here each query runs on A, on B and on plain Xapian back to
 * back, in each of the 6 orders in turn (whichever runs right after another
 * finds the same blocks in the CPU's caches), and a query's time is the least
 * of its passes (the thread's CPU time, top 10, no snippets, every hit's path
 * and title read, as bench_query does). A burst of load then lands on the
 * three alike, and a run of A against itself agrees within 1%.
 *
 * The indexes' files are locked in memory for the run (pin.h), unless
 * $KBS_BENCH_NO_PIN is set.
 *
 * A first, untimed pass checks that the two builds give the same hits (ids,
 * versions, scores) and totals, and lists the queries where they do not
 * (those whose estimated totals alone differ: the first 10, all with
 * $KBS_AB_ALL set).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kbsearch.h"
#include "pin.h"
#include "plain_xapian.h"

#define MAX_QUERIES 4000
#define TOP 10

typedef int (*open_fn)(const char *, unsigned, kbs_db **, char **);
typedef int (*search_fn)(kbs_db *, const char *, size_t, const kbs_search_options *,
                         kbs_results **);
typedef void (*init_fn)(kbs_search_options *);
typedef size_t (*count_fn)(const kbs_results *);
typedef int (*get_fn)(const kbs_results *, size_t, kbs_hit *);
typedef void (*free_fn)(kbs_results *);
typedef uint64_t (*total_fn)(const kbs_results *);
typedef const char *(*errmsg_fn)(const kbs_db *);

struct build {
    const char *name;
    open_fn open;
    search_fn search;
    init_fn init;
    count_fn count;
    get_fn get;
    free_fn free;
    total_fn total;
    errmsg_fn errmsg;
    kbs_db *db;
};

struct query {
    char cls[32];
    char kbs[256];
    char xp[256];
    double t[3]; /* least CPU ms of the passes: A, B, Xapian */
};

static volatile size_t sink;

static void die(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "bench_ab: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    exit(1);
}

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* dlsym hands back a void *; POSIX guarantees it converts to a function. */
static void *sym(void *h, const char *name, const char *lib)
{
    void *p = dlsym(h, name);
    if (!p)
        die("%s has no %s", lib, name);
    return p;
}

static void load(struct build *b, const char *lib, const char *index)
{
    /* RTLD_DEEPBIND: each library calls its own functions, not the other's
     * of the same name. */
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!h)
        die("cannot load %s: %s", lib, dlerror());
    b->name = lib;
    *(void **)&b->open = sym(h, "kbs_db_open", lib);
    *(void **)&b->search = sym(h, "kbs_search", lib);
    *(void **)&b->init = sym(h, "kbs_search_options_init", lib);
    *(void **)&b->count = sym(h, "kbs_results_count", lib);
    *(void **)&b->get = sym(h, "kbs_results_get", lib);
    *(void **)&b->free = sym(h, "kbs_results_free", lib);
    *(void **)&b->total = sym(h, "kbs_results_total", lib);
    *(void **)&b->errmsg = sym(h, "kbs_db_errmsg", lib);
    char *err = NULL;
    if (b->open(index, KBS_OPEN_READ, &b->db, &err) != KBS_OK)
        die("cannot open the index: %s (%s)", err ? err : index, lib);
}

/* One search on build b; its hits (id/versions/score) into sig when given. */
static double run_kbs(struct build *b, const char *q, char *sig, size_t siglen)
{
    kbs_search_options o;
    b->init(&o);
    o.limit = TOP;
    o.no_snippets = 1;
    kbs_results *r = NULL;
    double t0 = cpu_ms();
    if (b->search(b->db, q, strlen(q), &o, &r) != KBS_OK)
        die("%s: %s", q, b->errmsg(b->db));
    size_t n = b->count(r), off = 0;
    for (size_t i = 0; i < n; i++) {
        kbs_hit h;
        b->get(r, i, &h);
        sink += strlen(h.path) + strlen(h.title);
        if (sig && off + 64 < siglen)
            off +=
                (size_t)snprintf(sig + off, siglen - off, "%u/%u/%.9g ", h.id, h.versions, h.score);
    }
    if (sig && off + 32 < siglen)
        snprintf(sig + off, siglen - off, "total %llu", (unsigned long long)b->total(r));
    b->free(r);
    return cpu_ms() - t0;
}

/* With $KBS_AB_XAPIAN_DATA set, plain Xapian reads each hit's document data
 * (XP_DATA_ONLY), as kbsearch reads each hit's path and title. */
static int xp_mode;

static double run_xp(xp_db *x, const char *q)
{
    xp_results r;
    double t0 = cpu_ms();
    if (xp_search(x, q, strlen(q), TOP, xp_mode, &r) != KBS_OK)
        die("%s: %s", q, xp_db_errmsg(x));
    sink += r.n;
    xp_results_clear(&r);
    return cpu_ms() - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Reads the --save-queries file: class, df, kbsearch, fts5, xapian. */
static size_t read_queries(const char *path, const char *classes, struct query *q)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die("cannot read %s%s", path, "");
    char line[2048];
    size_t n = 0;
    while (n < MAX_QUERIES && fgets(line, sizeof line, f)) {
        char *save = NULL;
        char *cls = strtok_r(line, "\t", &save);
        char *df = strtok_r(NULL, "\t", &save);
        char *kq = strtok_r(NULL, "\t", &save);
        char *fq = strtok_r(NULL, "\t", &save);
        char *xq = strtok_r(NULL, "\t\n", &save);
        if (!cls || !df || !kq || !fq || !xq || strcmp(cls, "class") == 0)
            continue;
        if (classes) {
            char want[512], key[64];
            snprintf(want, sizeof want, ",%s,", classes);
            snprintf(key, sizeof key, ",%s,", cls);
            if (!strstr(want, key))
                continue;
        }
        memset(&q[n], 0, sizeof q[n]);
        snprintf(q[n].cls, sizeof q[n].cls, "%s", cls);
        snprintf(q[n].kbs, sizeof q[n].kbs, "%s", kq);
        snprintf(q[n].xp, sizeof q[n].xp, "%s", xq);
        n++;
    }
    fclose(f);
    return n;
}

static void report(const struct query *q, size_t n, int passes)
{
    static double v[3][MAX_QUERIES];
    printf("%-12s %4s %8s %8s %8s %6s %6s %6s %6s %6s %6s\n", "class", "n", "A_mean", "B_mean",
           "X_mean", "B/A", "A/X", "B/X", "A/X50", "B/X50", "B/X99");
    for (size_t i = 0; i < n; i++) {
        int first = 1;
        for (size_t k = 0; k < i; k++)
            first &= strcmp(q[k].cls, q[i].cls) != 0;
        if (!first)
            continue;
        size_t m = 0;
        double sum[3] = {0, 0, 0};
        for (size_t k = i; k < n; k++) {
            if (strcmp(q[k].cls, q[i].cls) != 0)
                continue;
            for (int e = 0; e < 3; e++) {
                v[e][m] = q[k].t[e];
                sum[e] += q[k].t[e];
            }
            m++;
        }
        for (int e = 0; e < 3; e++)
            qsort(v[e], m, sizeof v[e][0], cmp_double);
        size_t p50 = (m + 1) / 2 - 1, p99 = (m * 99 + 99) / 100 - 1;
        if (p99 >= m)
            p99 = m - 1;
        printf("%-12s %4zu %8.4f %8.4f %8.4f %6.3f %6.3f %6.3f %6.3f %6.3f %6.3f\n", q[i].cls, m,
               sum[0] / (double)m, sum[1] / (double)m, sum[2] / (double)m, sum[1] / sum[0],
               sum[0] / sum[2], sum[1] / sum[2], v[0][p50] / v[2][p50], v[1][p50] / v[2][p50],
               v[1][p99] / v[2][p99]);
    }
    printf("# CPU ms per query, the least of %d passes; B/A and */X of the means, *X50 and "
           "*X99 of the percentiles\n",
           passes);
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 6) {
        fprintf(stderr, "usage: bench_ab LIB_A LIB_B QUERIES.tsv [CLASSES] [PASSES]\n");
        return 2;
    }
    const char *def = getenv("KBS_AB_INDEX");
    if (!def)
        def = "/tmp/qspeed-bench/query/reuters-all/kbsearch";
    const char *ia = getenv("KBS_AB_INDEX_A"), *ib = getenv("KBS_AB_INDEX_B");
    const char *xpath = getenv("KBS_AB_XAPIAN");
    xp_mode = getenv("KBS_AB_XAPIAN_DATA") ? XP_DATA_ONLY : 0;
    if (!xpath)
        xpath = "/tmp/qspeed-bench/query/reuters-all/xapian";
    int passes = argc > 5 ? atoi(argv[5]) : 5;
    if (passes < 1)
        die("PASSES must be 1 or more, not %s%s", argv[5], "");

    static struct query q[MAX_QUERIES];
    size_t n = read_queries(argv[3], argc > 4 ? argv[4] : NULL, q);
    if (n == 0)
        die("no queries of those classes in %s%s", argv[3], "");
    struct build a, b;
    load(&a, argv[1], ia ? ia : def);
    load(&b, argv[2], ib ? ib : def);
    xp_db *x = NULL;
    char err[512];
    pin_set pins = {0};
    if (!getenv("KBS_BENCH_NO_PIN")) {
        const char *paths[3] = {ia ? ia : def, ib ? ib : def, xpath};
        for (int k = 0; k < 3; k++)
            if ((k == 0 || strcmp(paths[k], paths[0]) != 0) &&
                pin_path(&pins, paths[k], err, sizeof err) != 0)
                die("%s (KBS_BENCH_NO_PIN=1 runs without)%s", err, "");
    }
    if (xp_db_open(xpath, &x, err, sizeof err) != KBS_OK)
        die("cannot open %s: %s", xpath, err);

    /* Every query whose hits differ is listed; of those whose estimated
     * totals alone differ, the first 10 (a change to how the estimate is
     * made can move many), or all with $KBS_AB_ALL set. */
    size_t differ = 0, hits_differ = 0;
    size_t show_totals = getenv("KBS_AB_ALL") ? (size_t)-1 : 10;
    for (size_t i = 0; i < n; i++) {
        char sa[2048] = "", sb[2048] = "";
        run_kbs(&a, q[i].kbs, sa, sizeof sa);
        run_kbs(&b, q[i].kbs, sb, sizeof sb);
        run_xp(x, q[i].xp);
        if (strcmp(sa, sb) == 0)
            continue;
        const char *ta = strstr(sa, "total "), *tb = strstr(sb, "total ");
        int hits = !ta || !tb || ta - sa != tb - sb || strncmp(sa, sb, (size_t)(ta - sa)) != 0;
        hits_differ += (size_t)hits;
        if (hits || differ < show_totals)
            printf("differ%s: %s\n  A %s\n  B %s\n", hits ? " (hits)" : " (total)", q[i].kbs, sa,
                   sb);
        differ++;
    }
    printf("# %zu of %zu queries: the builds' hits or totals differ (hits: %zu)\n", differ, n,
           hits_differ);

    static const char orders[6][4] = {"ABX", "BAX", "XAB", "XBA", "AXB", "BXA"};
    for (int p = 0; p < passes; p++)
        for (size_t i = 0; i < n; i++) {
            const char *o = orders[(i + (size_t)p) % 6];
            for (int k = 0; k < 3; k++) {
                int e = o[k] == 'A' ? 0 : o[k] == 'B' ? 1 : 2;
                double t = e == 2 ? run_xp(x, q[i].xp) : run_kbs(e ? &b : &a, q[i].kbs, NULL, 0);
                if (p == 0 || t < q[i].t[e])
                    q[i].t[e] = t;
            }
        }
    report(q, n, passes);
    /* $KBS_AB_DUMP names a file for every query's three times, to find the
     * queries that make a class's tail. */
    const char *dump = getenv("KBS_AB_DUMP");
    if (dump) {
        FILE *f = fopen(dump, "w");
        if (!f)
            die("cannot write %s%s", dump, "");
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%s\t%.4f\t%.4f\t%.4f\t%s\n", q[i].cls, q[i].t[0], q[i].t[1], q[i].t[2],
                    q[i].kbs);
        fclose(f);
    }
    xp_db_close(x);
    return 0;
}
