/* query.h - from the text a user typed to a Xapian query built on the C side.
 *
 * Words go through the same tokenizer and stemmer as documents, so a query
 * always means what the index holds. Today's language: words (all must
 * match; stems match), "quoted phrases", and hyphenated words as phrases
 * ("Kang-Kono"). Stop words are dropped outside phrases unless the query has
 * nothing else. */
#ifndef KBS_QUERY_H
#define KBS_QUERY_H

#include <stddef.h>

#include "stem.h"
#include "xapian_shim.h"

/* At most this many terms are taken from one query; the rest is ignored, so
 * no query, however long, runs unbounded. */
#define QUERY_MAX_TERMS 256

typedef struct query_plan {
    xs_query *all; /* every clause must match */
    xs_query *any; /* any clause may match; NULL when there is one clause */
    char **stems;  /* the stems to highlight: sorted, unique */
    size_t nstems;
    size_t nclauses;
    int truncated; /* non-zero if terms beyond QUERY_MAX_TERMS were ignored */
} query_plan;

/* Parses q[0..len) (valid UTF-8). Returns KBS_OK, KBS_EQUERY (nothing to
 * search for: the message says why; *err_pos is the byte offset it concerns),
 * KBS_ENOMEM, or a shim status. Release the plan with query_plan_free(). */
int query_parse(const char *q, size_t len, stemmer *st, query_plan *out, char *err, size_t errlen,
                size_t *err_pos);
void query_plan_free(query_plan *p);

#endif
