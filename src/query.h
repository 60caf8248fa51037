/* query.h - from the text a user typed to a Xapian query built on the C side.
 *
 * Words go through the same tokenizer and stemmer as documents, so a query
 * always means what the index holds. The language is described at
 * kbs_search() in kbsearch.h; the schema (prefixes, slots) in schema.h.
 *
 * A plain word w means "w in the title or the body": the one term w (title
 * words weigh more through their wdf, schema.h). Filters (category:, date:,
 * and the title's terms for title:) are applied with FILTER so that they
 * never change the ranking.
 */
#ifndef KBS_QUERY_H
#define KBS_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "stem.h"
#include "xapian_shim.h"

/* At most this many terms are taken from one query; the rest is ignored
 * (with a note), so no query, however long, runs unbounded. */
#define QUERY_MAX_TERMS 256
/* Deepest nesting of parentheses accepted. */
#define QUERY_MAX_DEPTH 32
/* Default number of terms a prefix expands to. */
#define QUERY_DEFAULT_EXPANSION 100
/* Default NEAR window. */
#define QUERY_DEFAULT_NEAR 10

typedef struct query_options {
    int match_any;          /* non-zero: implicit operator is OR (KBS_MATCH_ANY) */
    uint32_t max_expansion; /* prefix expansion bound (> 0) */
    /* When the text parsed is utf8_repair()'s copy of the caller's
     * raw[0..raw_len), the positions of errors (query_error.pos and those
     * in its message) are given in raw, as the caller wrote it: a bad byte
     * is three bytes in the copy. NULL: they are positions in q. */
    const char *raw;
    size_t raw_len;
} query_options;

/* A quoted phrase whose words must appear in exactly these (folded, unstemmed)
 * forms. Only phrases that every hit must contain (not under OR or NOT) are
 * listed: search checks them against the stored text of each candidate. */
typedef struct query_phrase {
    char **words; /* folded forms, as tokenize() reports them */
    size_t nwords;
    int field; /* 0 body or title, 1 title only, 2 body only */
} query_phrase;

typedef struct query_plan {
    xs_query *query;    /* what to run (with its filters) */
    xs_query *fallback; /* the any-word version of query, when the query is a
                           plain list of several words in match-all mode and
                           nothing has them all may be retried with it; else NULL */
    char **stems;       /* stems to highlight (positive words): sorted, unique */
    size_t nstems;
    char **prefixes; /* folded prefixes to highlight (secur*): words starting so */
    size_t nprefixes;
    query_phrase *phrases; /* exact-form phrases every hit must hold */
    size_t nphrases;
    char **words; /* the positive words as the user typed them (folded), in
                     query order, for spelling suggestions */
    size_t nwords;
    buf notes;     /* one line per note, e.g. a prefix expansion that was cut */
    buf described; /* the query as parsed, for --explain, e.g.
                      AND(secur, cooper) */
} query_plan;

typedef struct query_error {
    size_t pos;    /* byte offset in the query (in opts->raw when set) */
    char msg[200]; /* what was expected, e.g. "')' to close the '(' at 4" */
} query_error;

/* Parses q[0..len) (valid UTF-8). db is used to count a prefix's expansions
 * (for the note) and may be NULL. Returns KBS_OK, KBS_EQUERY (*err says what
 * and where), KBS_ENOMEM or a shim status. Release the plan with
 * query_plan_free() (also after a failure: it is left empty). */
int query_parse(const char *q, size_t len, const query_options *opts, stemmer *st, xs_db *db,
                query_plan *out, query_error *err);
void query_plan_free(query_plan *p);

#endif
