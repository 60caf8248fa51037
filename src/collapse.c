/* collapse.c - one hit per story, from the stories of the top matches.
 *
 * Xapian's collapse key (Enquire::set_collapse_key) reads the story slot of
 * every candidate that could make the page, inside the matcher's loop: on all
 * of Reuters that was 6-9% of a query for common words, AND and OR, 14% for
 * words of medium frequency and 20% for rare ones (bench/README.md, session
 * 6). A page needs the stories of its own hits only, and most articles belong
 * to none. So the matcher runs without collapsing for a window a little
 * larger than the page's end, the window's stories are looked up in the
 * revision's story map (stories.c), and the first match of each story in
 * rank order is kept: the one Xapian's collapse keeps. */
#include "collapse.h"

#include <stdlib.h>
#include <string.h>

#include "kbsearch.h"

/* The first window: the page and half as many again (at least 5) for the
 * versions among them to give way to. A page of 10 on all of Reuters: a
 * window of 20 cost OR queries 3% more than 15 (Xapian's pruning weakens
 * as its page grows), one of 12 had to grow too often (p99 +40%). */
#define WINDOW_EXTRA_MIN 5
/* A page whose stories need a larger window than this (a query whose top
 * matches are nearly all versions of a few stories) is left to Xapian's
 * collapse key, which sees every match once. */
#define WINDOW_MAX 8192

int collapse_serves(const xs_search_params *p)
{
    uint64_t end = (uint64_t)p->offset + p->limit;
    return p->collapse && p->limit > 0 && end <= WINDOW_MAX / 2 && p->check_at_least == 0 &&
           p->decider == NULL && p->nspy_slots == 0;
}

/* The window's matches after collapsing. */
struct kept {
    xs_match *m;     /* kept matches, in rank order */
    uint32_t *story; /* story[k]: m[k]'s story, 0 for none */
    size_t n;        /* kept matches */
    size_t *table;   /* open addressing on stories: kept index + 1, 0 free */
    size_t mask;     /* table size - 1 */
};

/* Keeps the first match of each story among cand[0..n) in rank order, and
 * counts the others into the one kept for their story. */
static void collapse_window(const xs_match *cand, size_t n, const story_map *sm, struct kept *k)
{
    k->n = 0;
    memset(k->table, 0, (k->mask + 1) * sizeof *k->table);
    for (size_t i = 0; i < n; i++) {
        uint32_t story = story_map_get(sm, cand[i].docid);
        if (story) {
            size_t h = (size_t)(story * 2654435761u) & k->mask;
            while (k->table[h] && k->story[k->table[h] - 1] != story)
                h = (h + 1) & k->mask;
            if (k->table[h]) {
                k->m[k->table[h] - 1].collapsed++;
                continue;
            }
            k->table[h] = k->n + 1;
        }
        k->m[k->n] = cand[i];
        k->m[k->n].collapsed = 0;
        k->story[k->n] = story;
        k->n++;
    }
}

int collapse_search(const story_map *sm, const xs_search_params *p, collapse_fetch_fn fetch,
                    void *ctx, xs_match *matches, xs_search_result *res)
{
    size_t want = (size_t)p->offset + p->limit;
    size_t cap = want + (want / 2 < WINDOW_EXTRA_MIN ? WINDOW_EXTRA_MIN : want / 2);
    xs_search_params w = *p;
    w.offset = 0;
    w.collapse = 0;
    xs_search_result r;
    struct kept k = {NULL, NULL, 0, NULL, 0};
    xs_match *cand = NULL;
    int st = KBS_OK, to_xapian = 0;
    for (;;) {
        size_t tsize = 1;
        while (tsize < 2 * cap)
            tsize *= 2;
        free(cand);
        free(k.m);
        free(k.story);
        free(k.table);
        cand = malloc(cap * sizeof *cand);
        k.m = malloc(cap * sizeof *k.m);
        k.story = malloc(cap * sizeof *k.story);
        k.table = malloc(tsize * sizeof *k.table);
        k.mask = tsize - 1;
        if (!cand || !k.m || !k.story || !k.table) {
            st = KBS_ENOMEM;
            break;
        }
        w.limit = (uint32_t)cap;
        memset(&r, 0, sizeof r);
        if ((st = fetch(ctx, &w, cand, &r)) != KBS_OK)
            break;
        collapse_window(cand, r.n, sm, &k);
        /* Done when the page is full or every match was in the window. */
        if (k.n >= want || r.n < cap)
            break;
        if (cap >= WINDOW_MAX) {
            to_xapian = 1;
            break;
        }
        cap = cap * 4 > WINDOW_MAX ? WINDOW_MAX : cap * 4;
    }
    free(cand);
    free(k.story);
    free(k.table);
    if (to_xapian) {
        free(k.m);
        return fetch(ctx, p, matches, res);
    }
    if (st == KBS_OK) {
        size_t n = k.n > p->offset ? k.n - p->offset : 0;
        if (n > p->limit)
            n = p->limit;
        if (n)
            memcpy(matches, k.m + p->offset, n * sizeof *matches);
        *res = r;
        res->n = n;
        if (r.n < cap) { /* every match seen: the counts are exact */
            res->estimated = res->lower = res->upper = k.n;
        } else { /* as Xapian scales its estimate by the share of stories seen */
            uint64_t dups = r.n - k.n;
            uint64_t upper = r.upper > dups ? r.upper - dups : k.n;
            uint64_t est = (uint64_t)((double)r.estimated * (double)k.n / (double)r.n + 0.5);
            res->estimated = est < k.n ? k.n : est > upper ? upper : est;
            res->lower = k.n;
            res->upper = upper < k.n ? k.n : upper;
        }
    }
    free(k.m);
    return st;
}
