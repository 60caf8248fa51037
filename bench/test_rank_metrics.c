/* test_rank_metrics.c - qrels parsing and the ranking measures of bench/eval,
 * checked against figures worked out by hand. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kbsearch.h"
#include "rank_metrics.h"

/* q1 judges four documents: d4 (3), d1 (2), d2 (1) relevant, d3 not.
 * Its ideal DCG@10 is 3/log2(2) + 2/log2(3) + 1/log2(4). */
static const char QRELS[] = "q1 0 d1 2\n"
                            "q1 0 d2 1\r\n"
                            "\n"
                            "q1 0 d3 0\n"
                            "q1\t0\td4\t3\n"
                            "q2 0 d1 0\n"
                            "q2 0 d9 -1";

static rm_qrels load(const char *text)
{
    rm_qrels q;
    char err[200] = "";
    cr_assert_eq(rm_qrels_parse(text, strlen(text), &q, err, sizeof err), KBS_OK, "%s", err);
    return q;
}

Test(rank_metrics, parses_topics)
{
    rm_qrels q = load(QRELS);
    cr_assert_eq(q.ntopics, 2);
    cr_assert_eq(q.njudgments, 6);
    const rm_topic *t = rm_qrels_find(&q, "q1");
    cr_assert_not_null(t);
    cr_assert_eq(t->n, 4);
    cr_assert_eq(t->nrel, 3);
    cr_assert_float_eq(t->idcg, 3 + 2 / log2(3) + 0.5, 1e-12);
    cr_assert_eq(rm_topic_rel(t, "d4"), 3);
    cr_assert_eq(rm_topic_rel(t, "d3"), 0);
    cr_assert_eq(rm_topic_rel(t, "nowhere"), 0);
    const rm_topic *t2 = rm_qrels_find(&q, "q2");
    cr_assert_not_null(t2);
    cr_assert_eq(t2->nrel, 0);
    cr_assert_eq(rm_topic_rel(t2, "d9"), -1);
    cr_assert_null(rm_qrels_find(&q, "q3"));
    rm_qrels_free(&q);
    rm_qrels_free(&q); /* emptied: a second free is harmless */
    rm_qrels_free(NULL);
}

Test(rank_metrics, empty_file)
{
    rm_qrels q = load("\n\n");
    cr_assert_eq(q.ntopics, 0);
    cr_assert_null(rm_qrels_find(&q, "q1"));
    rm_qrels_free(&q);
}

static const struct {
    const char *text;
    const char *why; /* a word the message must hold */
} bad[] = {
    /* 1 */ {"q1 0 d1\n", "expected 4 fields"},
    /* 2 */ {"q1 0 d1 2 extra\n", "expected 4 fields"},
    /* 3 */ {"q1 0 d1 x\n", "not an integer"},
    /* 4 */ {"q1 0 d1 1.5\n", "not an integer"},
    /* 5 */ {"q1 0 d1 1\nq1 0 d1 2\n", "twice"},
    /* 6 */ {"q1 0 d1 1\nq1 0 d2 1234567890\n", "line 2"},
};

Test(rank_metrics, malformed)
{
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rm_qrels q;
        char err[200] = "";
        cr_expect_eq(rm_qrels_parse(bad[i].text, strlen(bad[i].text), &q, err, sizeof err),
                     KBS_EINVAL, "case %zu", i + 1);
        cr_expect(strstr(err, bad[i].why) != NULL, "case %zu: %s", i + 1, err);
    }
}

Test(rank_metrics, nul_byte)
{
    rm_qrels q;
    char err[200] = "";
    static const char text[] = "q1 0 d\0 1\n";
    cr_assert_eq(rm_qrels_parse(text, sizeof text - 1, &q, err, sizeof err), KBS_EINVAL);
    cr_assert(strstr(err, "NUL") != NULL, "%s", err);
}

/* Rankings of q1 and their scores, worked out by hand. Initialisers must be
 * constants, so the logarithms are written out. */
#define LOG2_3 1.5849625007211562
#define LOG2_5 2.3219280948873622
#define D (3 + 2 / LOG2_3 + 0.5) /* q1's ideal DCG */
static const char *const filler[] = {"x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10"};
static const struct {
    const char *ranked[4];
    size_t skip; /* filler documents ranked before these */
    double ap, ndcg, prec, recall;
} cases[] = {
    /* 1: the ideal order */
    {{"d4", "d1", "d2"}, 0, 1, 1, 0.3, 1},
    /* 2: relevant at ranks 2 and 4, behind a judged non-relevant one */
    {{"d3", "d1", "x", "d4"},
     0,
     (1.0 / 2 + 2.0 / 4) / 3,
     (2 / LOG2_3 + 3 / LOG2_5) / D,
     0.2,
     2.0 / 3},
    /* 3: nothing */
    {{NULL}, 0, 0, 0, 0, 0},
    /* 4: a document twice earns once */
    {{"d1", "d1"}, 0, 1.0 / 3, 2 / D, 0.1, 1.0 / 3},
    /* 5: rank 11 counts for AP and recall, not for nDCG@10 and P@10 */
    {{"d4"}, 10, 1.0 / 11 / 3, 0, 0, 1.0 / 3},
    /* 6: the worst order of all three */
    {{"d2", "d1", "d4"}, 0, 1, (1 + 2 / LOG2_3 + 3.0 / 2) / D, 0.3, 1},
};

Test(rank_metrics, scores)
{
    rm_qrels q = load(QRELS);
    const rm_topic *t = rm_qrels_find(&q, "q1");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *r[16];
        size_t n = 0;
        for (size_t k = 0; k < cases[i].skip; k++)
            r[n++] = filler[k];
        for (size_t k = 0; k < 4 && cases[i].ranked[k]; k++)
            r[n++] = cases[i].ranked[k];
        rm_scores s;
        rm_score(t, r, n, &s);
        cr_expect_float_eq(s.ap, cases[i].ap, 1e-12, "case %zu: AP %f", i + 1, s.ap);
        cr_expect_float_eq(s.ndcg, cases[i].ndcg, 1e-12, "case %zu: nDCG %f", i + 1, s.ndcg);
        cr_expect_float_eq(s.prec, cases[i].prec, 1e-12, "case %zu: P %f", i + 1, s.prec);
        cr_expect_float_eq(s.recall, cases[i].recall, 1e-12, "case %zu: R %f", i + 1, s.recall);
    }
    rm_qrels_free(&q);
}

Test(rank_metrics, depth_100)
{
    rm_qrels q = load("q 0 hit 1\n");
    const rm_topic *t = rm_qrels_find(&q, "q");
    static char names[RM_DEPTH + 1][8];
    const char *r[RM_DEPTH + 1];
    for (size_t k = 0; k < RM_DEPTH; k++) {
        snprintf(names[k], sizeof names[k], "m%zu", k);
        r[k] = names[k];
    }
    r[RM_DEPTH] = "hit"; /* rank 101: past the cut-off */
    rm_scores s;
    rm_score(t, r, RM_DEPTH + 1, &s);
    cr_assert_eq(s.ap, 0);
    cr_assert_eq(s.recall, 0);
    r[RM_DEPTH - 1] = "hit"; /* rank 100: just in */
    rm_score(t, r, RM_DEPTH + 1, &s);
    cr_assert_float_eq(s.ap, 1.0 / RM_DEPTH, 1e-12);
    cr_assert_eq(s.recall, 1);
    rm_qrels_free(&q);
}

/* The ideal DCG keeps the ten best gains, wherever they stand in the file. */
Test(rank_metrics, ideal_keeps_best_ten)
{
    char text[1024];
    size_t n = 0;
    for (int i = 0; i < 12; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "q 0 a%02d 1\n", i);
    snprintf(text + n, sizeof text - n, "q 0 z 4\n");
    rm_qrels q = load(text);
    const rm_topic *t = rm_qrels_find(&q, "q");
    double want = 4;
    for (int r = 2; r <= 10; r++)
        want += 1 / log2(r + 1);
    cr_assert_eq(t->nrel, 13);
    cr_assert_float_eq(t->idcg, want, 1e-12);
    rm_qrels_free(&q);
}

Test(rank_metrics, unjudged_topic_scores_zero)
{
    rm_qrels q = load(QRELS);
    const char *r[] = {"d1", "d9"};
    rm_scores s;
    rm_score(rm_qrels_find(&q, "q2"), r, 2, &s);
    cr_assert_eq(s.ap + s.ndcg + s.prec + s.recall, 0);
    rm_score(NULL, r, 2, &s);
    cr_assert_eq(s.ap + s.ndcg + s.prec + s.recall, 0);
    rm_qrels_free(&q);
}
