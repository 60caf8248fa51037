/* phrase_check.h - quoted phrases in their exact forms.
 *
 * The index holds stems only (an unstemmed copy of every word would halve
 * indexing speed), with a form tag at each position (stem.h): a quoted
 * phrase matches its stems in a row at the places of its words' tags.
 * Where a tag may stand for another form of the stem too ("claim" and
 * "claims" share theirs), or the phrase holds a stop word (no positions) or
 * is confined to the title or the body, the candidates are then checked
 * against their stored text for the words as written. This module runs a
 * query that has such phrases and keeps only the candidates that hold them;
 * a query whose phrases the index decides alone reads no text. */
#ifndef KBS_PHRASE_CHECK_H
#define KBS_PHRASE_CHECK_H

#include "db_internal.h"
#include "query.h"

typedef struct phrase_check {
    kbs_db *db;
    const query_plan *plan;
    buf text;
    struct tok_span *spans; /* an ASCII text's words (tokenize_ascii) */
    size_t spans_cap;
    int failed; /* KBS_ENOMEM or KBS_ECORRUPT (a damaged record): rejected, reported after */
    /* Set by the caller (else NULL): the stories of the revision db reads,
     * with which phrase_search() collapses a page itself (stories.h). */
    const struct story_map *stories;
    /* The stored originals of the hits phrase_search() accepted, as it read
     * them: their snippets need them next (phrase_check_take). */
    struct phrase_kept {
        uint32_t docid;
        buf text;
    } * kept;
    size_t nkept, kept_cap;
    /* Every phrase is decided by the index alone: its words all have
     * positions, and each word's form tag is its stem's only form with that
     * tag (xs_db_form_alone). Then no stored text is read. */
    int decided;
} phrase_check;

/* Ready to check plan's phrases (plan->phrases) in db's stored articles. */
void phrase_check_init(phrase_check *pc, kbs_db *db, const query_plan *plan);
void phrase_check_free(phrase_check *pc);

/* As xs_db_search(db, q, p, matches, res), keeping only the matches that
 * hold every phrase of the plan in its exact forms. With p->collapse and
 * pc->stories, a candidate whose story already has a hit on the page counts
 * as one of its versions without being checked, and the versions of a story
 * whose best candidate lacks the phrase are still checked (Xapian's collapse
 * key would have dropped them unchecked). Returns a shim status;
 * afterwards pc->failed says whether a stored article could not be read
 * (or memory ran out while checking one): such a candidate is left out. */
int phrase_search(phrase_check *pc, const xs_query *q, xs_search_params *p, xs_match *matches,
                  xs_search_result *res);

/* Moves the stored original of docid, as phrase_search() read it for a hit,
 * into *out (which the caller frees) and returns 1; 0 when it has none. */
int phrase_check_take(phrase_check *pc, uint32_t docid, buf *out);

#endif
