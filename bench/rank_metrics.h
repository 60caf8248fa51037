/* rank_metrics.h - relevance judgments (TREC qrels) and the ranking measures
 * bench/eval reports: MAP@100, nDCG@10, P@10 and R@100.
 *
 * The definitions are trec_eval's (map_cut_100, ndcg_cut_10, P_10,
 * recall_100), so figures compare with published ones:
 *  - a document is relevant when its judged value is above 0; unjudged
 *    documents count as not relevant;
 *  - AP@100 sums the precision at the rank of each relevant document found
 *    in the first 100 and divides by ALL the topic's relevant documents, so
 *    relevant documents not found cost as they should; R@100 likewise;
 *  - nDCG@10 uses the judged value itself as the gain (linear, not 2^v - 1),
 *    discounted by log2(rank + 1), over the ideal ordering of all the
 *    topic's judgments;
 *  - P@10 divides by 10 even when fewer than 10 documents came back.
 * A document that comes back twice in one ranking earns nothing the second
 * time.
 *
 * Only bench/eval uses this; it is not part of the library.
 */
#ifndef KBS_BENCH_RANK_METRICS_H
#define KBS_BENCH_RANK_METRICS_H

#include <stddef.h>

#define RM_DEPTH 100 /* cut-off of AP and recall */
#define RM_CUTOFF 10 /* cut-off of nDCG and precision */

typedef struct rm_judgment {
    const char *docid;
    int rel; /* as judged; <= 0 is not relevant */
} rm_judgment;

/* The judgments of one query (a "topic" in TREC's words). */
typedef struct rm_topic {
    const char *qid;
    rm_judgment *j; /* sorted by docid (strcmp) */
    size_t n;
    size_t nrel; /* judgments with rel > 0 */
    double idcg; /* DCG@RM_CUTOFF of the ideal ranking */
} rm_topic;

typedef struct rm_qrels {
    rm_topic *topics; /* sorted by qid (strcmp) */
    size_t ntopics;
    rm_judgment *all; /* backing store of every topic's j */
    size_t njudgments;
    char *text; /* backing store of the strings */
} rm_qrels;

/* One query's scores, each in [0, 1]. */
typedef struct rm_scores {
    double ap;     /* AP@RM_DEPTH */
    double ndcg;   /* nDCG@RM_CUTOFF */
    double prec;   /* P@RM_CUTOFF */
    double recall; /* R@RM_DEPTH */
} rm_scores;

/*
 * Parses TREC qrels, "qid iter docid rel" a line, fields separated by white
 * space (iter is ignored); blank lines are skipped; CRLF is fine. On success
 * *out holds the judgments; release with rm_qrels_free(). On failure *out is
 * left empty and err[0..errlen) says which line is wrong and why.
 * Returns KBS_OK, KBS_EINVAL (a malformed line, a relevance that is not an
 * integer, the same query and document judged twice), KBS_ENOMEM.
 */
int rm_qrels_parse(const char *data, size_t len, rm_qrels *out, char *err, size_t errlen);
void rm_qrels_free(rm_qrels *q);

/* The topic of query `qid`, or NULL when it has no judgments. */
const rm_topic *rm_qrels_find(const rm_qrels *q, const char *qid);

/* The judged value of docid for topic t; 0 when unjudged. */
int rm_topic_rel(const rm_topic *t, const char *docid);

/*
 * Scores the ranking ranked[0..n) (best first; only the first RM_DEPTH
 * count) against topic t. A topic without relevant documents (t->nrel == 0)
 * scores 0 everywhere: leave such queries out of the means.
 */
void rm_score(const rm_topic *t, const char *const *ranked, size_t n, rm_scores *out);

#endif
