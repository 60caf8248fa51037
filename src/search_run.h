/* search_run.h - running a query built elsewhere (related.c: similar
 * articles, versions of a story) into kbs_results, as kbs_search does. Not
 * installed. */
#ifndef KBS_SEARCH_RUN_H
#define KBS_SEARCH_RUN_H

#include <stddef.h>

#include "db_internal.h"

/* Runs q with opts (NULL: the defaults; match and explain are ignored) and
 * hands back its hits in *out (caller frees with kbs_results_free()).
 * Snippets highlight the words whose stems are stems[0..nstems) (any order,
 * repeats allowed); kbs_results_query() gives `described`. Returns a kbs
 * status, the message on the handle. */
int search_run_query(kbs_db *db, const xs_query *q, const char *const *stems, size_t nstems,
                     const char *described, const kbs_search_options *opts, kbs_results **out);

#endif
