/* facets.h - counts over the whole match set, by category and by time.
 *
 * The search runs Xapian's value-count spies on SLOT_CATEGORY and SLOT_MONTH
 * (schema.h); this module takes their counts through facets_add() and turns
 * them into the lists kbs_results_facet() hands out: categories most frequent
 * first, months and years oldest first with the empty ones inside the span
 * listed with 0, so that a timeline can be drawn from them as they are.
 */
#ifndef KBS_FACETS_H
#define KBS_FACETS_H

#include <stddef.h>
#include <stdint.h>

#include "kbsearch.h"

typedef struct facets facets;

/* Returns 0, or -1 when out of memory. Release with facets_free(). */
int facets_new(facets **out);
void facets_free(facets *f);

/* Forgets every count (a search that is run again, e.g. its fallback). */
void facets_reset(facets *f);

/* The shim's spy callback (xs_search_params.spy_cb): one distinct value of
 * `slot` and the number of matches holding it. Values that are not a
 * category or a well-formed "YYYY-MM" are ignored. Returns 0, or non-zero
 * when out of memory (which facets_finish() then reports). */
int facets_add(void *ctx, unsigned slot, const char *value, size_t len, uint64_t count);

/* Sorts the categories and builds the month and year lists. Returns 0, or -1
 * when out of memory (now or in an earlier facets_add()). */
int facets_finish(facets *f);

/* As kbs_results_facet_count() and kbs_results_facet(), on the lists. */
size_t facets_count(const facets *f, int kind);
int facets_get(const facets *f, int kind, size_t i, kbs_facet *out);

/* The facets of a result set, or NULL when none were asked (search.c). */
const facets *search_results_facets(const kbs_results *r);

#endif
