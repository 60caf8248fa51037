/* bench_dedup.c - what near-duplicate grouping (src/dedup.c) finds, and what
 * it costs. Driven by bench/dedup; see bench/README.md.
 *
 *   bench_dedup index FOLDER DB [--no-pass]
 *       indexes FOLDER into a new index DB and prints the wall time; with
 *       --no-pass the grouping pass is off (the XD terms are still made),
 *       and then run once over every article afterwards, timed on its own.
 *   bench_dedup groups DB [SAMPLE]
 *       the stories found: how many, their sizes, how many are byte-identical
 *       copies, how many of the index's identical copies were grouped; then
 *       SAMPLE stories (default 30) that are not just identical copies, evenly
 *       spread over them, each member with its title and opening, for
 *       checking by hand.
 *
 * It links the static library and reaches into the handle (db_internal.h),
 * as the tests do: the pass cannot be switched off through kbsearch.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "article.h"
#include "db_internal.h"
#include "dedup.h"
#include "kbsearch.h"
#include "schema.h"
#include "utf8.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static kbs_db *open_or_die(const char *path, unsigned flags)
{
    kbs_db *db = NULL;
    char *err = NULL;
    if (kbs_db_open(path, flags, &db, &err) != KBS_OK) {
        fprintf(stderr, "bench_dedup: %s\n", err ? err : "cannot open the index");
        exit(2);
    }
    return db;
}

static int cmd_index(const char *folder, const char *path, int no_pass)
{
    kbs_db *db = open_or_die(path, KBS_OPEN_WRITE | KBS_OPEN_CREATE);
    db->dedup_off = no_pass;
    kbs_index_report rep;
    double t0 = now();
    int st = kbs_index_dir(db, folder, NULL, &rep);
    double t1 = now();
    if (st != KBS_OK) {
        fprintf(stderr, "bench_dedup: indexing failed: %s\n", kbs_db_errmsg(db));
        return 2;
    }
    printf("index\t%s\t%llu articles\t%.2f s\n", no_pass ? "without pass" : "with pass",
           (unsigned long long)rep.added, t1 - t0);
    if (no_pass) {
        /* The same pass a first run makes after its merge, alone. */
        uint32_t last = 0;
        xs_db_last_docid(db->xdb, &last);
        db->dedup_off = 0;
        double t2 = now();
        st = dedup_note_range(db, 1, last);
        if (st == KBS_OK)
            st = kbs_db_commit(db);
        double t3 = now();
        if (st != KBS_OK) {
            fprintf(stderr, "bench_dedup: the pass failed: %s\n", kbs_db_errmsg(db));
            return 2;
        }
        printf("pass\tover all %u articles\t%.2f s (commit included)\n", last, t3 - t2);
    }
    return kbs_db_close(db) == KBS_OK ? 0 : 2;
}

struct member {
    uint32_t docid;
    char story[16];
    uint64_t hash; /* of the original, from its record's header */
};

struct members {
    struct member *v;
    size_t n, cap;
};

static int push(struct members *m, uint32_t docid, const char *story, size_t len)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 1024;
        m->v = realloc(m->v, m->cap * sizeof *m->v);
        if (!m->v)
            exit(3);
    }
    struct member *e = &m->v[m->n++];
    memset(e, 0, sizeof *e);
    e->docid = docid;
    snprintf(e->story, sizeof e->story, "%.*s", (int)len, story);
    return 0;
}

static int story_cb(void *ctx, uint32_t docid, const char *val, size_t len)
{
    return push(ctx, docid, val, len);
}

static int all_cb(void *ctx, uint32_t docid, const char *val, size_t len)
{
    (void)val;
    (void)len;
    return push(ctx, docid, "", 0);
}

static uint64_t content_hash(kbs_db *db, uint32_t docid)
{
    char *rec = NULL;
    size_t len = 0;
    uint32_t olen = 0;
    uint64_t h = 0;
    if (xs_db_get_data(db->xdb, docid, &rec, &len) != KBS_OK)
        return 0;
    if (docstore_peek(rec, len, &olen, &h) != 0)
        h = 0;
    free(rec);
    return h;
}

static int cmp_story(const void *a, const void *b)
{
    const struct member *x = a, *y = b;
    int c = strcmp(x->story, y->story);
    return c ? c : (x->docid > y->docid) - (x->docid < y->docid);
}

static int cmp_hash(const void *a, const void *b)
{
    const struct member *x = a, *y = b;
    return (x->hash > y->hash) - (x->hash < y->hash);
}

/* Title and the opening of the body, on one line each. */
static void describe(kbs_db *db, uint32_t docid)
{
    char *meta = NULL;
    size_t len = 0;
    if (xs_db_get_value(db->xdb, docid, SLOT_META, &meta, &len) != KBS_OK)
        return;
    const char *f[MF_COUNT];
    db_split_meta(meta, len, f);
    const char *base = strrchr(f[MF_PATH], '/');
    printf("    %u %s | %s\n", docid, base ? base + 1 : f[MF_PATH], f[MF_TITLE]);
    char *data = NULL;
    size_t dlen = 0;
    article art;
    const char *text;
    size_t tlen;
    char *owned = NULL;
    if (kbs_show(db, docid, &data, &dlen) == KBS_OK &&
        utf8_repair(data, dlen, &text, &tlen, &owned) == 0 &&
        article_parse(text, tlen, &art) == 0) {
        if (art.npara) {
            size_t n = utf8_clip(text + art.paras[0].off, art.paras[0].len, 220);
            printf("      %.*s\n", (int)n, text + art.paras[0].off);
        }
        article_free(&art);
    }
    free(owned);
    kbs_free(data);
    free(meta);
}

static int cmd_groups(const char *path, size_t sample)
{
    kbs_db *db = open_or_die(path, KBS_OPEN_READ);
    struct members m = {NULL, 0, 0}, all = {NULL, 0, 0};
    xs_db_values(db->xdb, SLOT_STORY, story_cb, &m);
    xs_db_values(db->xdb, SLOT_META, all_cb, &all);
    for (size_t i = 0; i < m.n; i++)
        m.v[i].hash = content_hash(db, m.v[i].docid);
    for (size_t i = 0; i < all.n; i++)
        all.v[i].hash = content_hash(db, all.v[i].docid);
    if (m.n > 1)
        qsort(m.v, m.n, sizeof *m.v, cmp_story);

    /* Groups: runs of one story key. */
    size_t ngroups = 0, identical = 0, sizes[6] = {0};
    size_t *start = calloc(m.n + 1, sizeof *start), *mixed = calloc(m.n + 1, sizeof *mixed);
    size_t nmixed = 0;
    for (size_t i = 0; i < m.n;) {
        size_t j = i;
        int same = 1;
        while (j < m.n && strcmp(m.v[j].story, m.v[i].story) == 0) {
            same &= m.v[j].hash == m.v[i].hash;
            j++;
        }
        size_t size = j - i;
        sizes[size >= 6 ? 5 : size - 1 + (size == 0)]++;
        start[ngroups++] = i;
        if (same)
            identical++;
        else
            mixed[nmixed++] = i;
        i = j;
    }
    start[ngroups] = m.n;

    /* Identical copies in the whole index, and how many were grouped. */
    qsort(all.v, all.n, sizeof *all.v, cmp_hash);
    size_t copies = 0, copies_grouped = 0;
    for (size_t i = 0; i + 1 < all.n; i++) {
        if (all.v[i].hash != all.v[i + 1].hash || all.v[i].hash == 0)
            continue;
        copies++; /* one pair per neighbour with the same bytes */
        char *a = NULL, *b = NULL;
        size_t la = 0, lb = 0;
        xs_db_get_value(db->xdb, all.v[i].docid, SLOT_STORY, &a, &la);
        xs_db_get_value(db->xdb, all.v[i + 1].docid, SLOT_STORY, &b, &lb);
        if (a && b && la && strcmp(a, b) == 0)
            copies_grouped++;
        free(a);
        free(b);
    }

    printf("articles\t%zu\n", all.n);
    printf("stories\t%zu (%zu articles in them)\n", ngroups, m.n);
    printf("sizes\t2: %zu, 3: %zu, 4: %zu, 5: %zu, 6+: %zu\n", sizes[1], sizes[2], sizes[3],
           sizes[4], sizes[5]);
    printf("identical\t%zu stories are byte-identical copies only; %zu have other text\n",
           identical, nmixed);
    printf("copies\t%zu of %zu pairs of byte-identical articles are grouped\n", copies_grouped,
           copies);

    size_t k = nmixed < sample ? nmixed : sample;
    printf("\nsample\t%zu of the %zu stories with other text (evenly spread)\n", k, nmixed);
    for (size_t s = 0; s < k; s++) {
        size_t gi = mixed[s * nmixed / k];
        size_t end = gi;
        while (end < m.n && strcmp(m.v[end].story, m.v[gi].story) == 0)
            end++;
        printf("\n%zu. story %s (%zu articles)\n", s + 1, m.v[gi].story, end - gi);
        for (size_t i = gi; i < end && i < gi + 4; i++)
            describe(db, m.v[i].docid);
    }
    free(start);
    free(mixed);
    free(m.v);
    free(all.v);
    kbs_db_close(db);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "index") == 0)
        return cmd_index(argv[2], argv[3], argc >= 5 && strcmp(argv[4], "--no-pass") == 0);
    if (argc >= 3 && strcmp(argv[1], "groups") == 0)
        return cmd_groups(argv[2], argc >= 4 ? (size_t)strtoul(argv[3], NULL, 10) : 30);
    fprintf(stderr, "usage: bench_dedup index FOLDER DB [--no-pass]\n"
                    "       bench_dedup groups DB [SAMPLE]\n");
    return 2;
}
