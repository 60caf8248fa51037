/* spell.h - "did you mean ...?": spelling suggestions from the index's own
 * vocabulary.
 *
 * The index holds stems, which are no use as suggestions ("secur"), so the
 * surface words of titles and bodies also go to Xapian's spelling table,
 * which finds the words a few edits away from a misspelling. Feeding it is
 * costly: each new word updates a list per letter trigram, and each commit
 * rewrites every list it touched, whole. So a collector counts the words in
 * memory while articles are indexed, and hands Xapian the words it has seen
 * at least SPELL_MIN_SEEN times (a word seen once in the whole run is most
 * likely a typo or a stray name), and a word already handed over only once
 * its count has doubled (enough to rank two candidates); and the batch
 * commits in the middle of a run leave the words to a later commit, so that
 * the lists are rewritten about once per run rather than once per batch.
 *
 * At query time a word that the index barely knows is replaced by the
 * spelling table's nearest word, if that word's stem is much more common.
 */
#ifndef KBS_SPELL_H
#define KBS_SPELL_H

#include <stddef.h>

#include "stem.h"
#include "xapian_shim.h"

/* Words fed to the spelling table: folded, letters only, not stop words,
 * between these lengths in bytes. Shorter words have too many neighbours to
 * correct safely; longer ones are mostly compounds or junk. */
#define SPELL_MIN_BYTES 3
#define SPELL_MAX_BYTES 24
/* Sightings (in titles and bodies, since the collector was made) before a
 * word is handed to the spelling table. */
#define SPELL_MIN_SEEN 2
/* Words a lazy flush lets wait: past it they go to Xapian anyway. It bounds
 * what a crash in the middle of a run can lose (only suggestions: the words
 * of articles already committed that were not handed over yet). */
#define SPELL_LAZY_WORDS 65536

/* At most this many query words are looked up, so a query of any length
 * costs a bounded number of index reads. */
#define SPELL_MAX_CHECKED 32

typedef struct spell_collector spell_collector;

/* Returns KBS_OK or KBS_ENOMEM. */
int spell_collector_new(spell_collector **out);
void spell_collector_free(spell_collector *c);

/* Counts one word of a document, as tokenize() reports it (folded text and
 * flags), if it is one a suggestion may offer; other words are ignored. The
 * count may happen a few dozen words later (spell_flush and spell_pending
 * count every word first). When
 * the collector is full it hands over what is due to db and starts afresh,
 * so memory stays bounded however long a run is. Returns KBS_OK, KBS_ENOMEM
 * or a shim status. */
int spell_collect(spell_collector *c, xs_db *db, const char *word, size_t len, unsigned flags);

/* Hands the words that are due (seen SPELL_MIN_SEEN times, or as many times
 * again as when last handed over) to db's spelling table, to be committed
 * with the documents; with lazy non-zero, only once more than
 * SPELL_LAZY_WORDS of them wait. The other words are kept for later.
 * c may be NULL (a reader). Returns KBS_OK or a shim status; on failure the
 * collector is emptied (a retry must not count a word twice). */
int spell_flush(spell_collector *c, xs_db *db, int lazy);

/* With hold non-zero, lazy flushes hand nothing over: the words wait for a
 * flush that is not lazy, or for the collector to fill up (which bounds the
 * memory held, COLLECT_MAX_WORDS words). A worker of a parallel build holds
 * its words across all its chunks and hands them over once at its end: each
 * chunk is a database of its own, so a word handed over in every chunk had
 * its trigram lists written (and then merged) once per chunk. */
void spell_hold(spell_collector *c, int hold);

/* Distinct words counted and not handed over yet (the words collected last
 * are counted first: spell_collect may count a word a few dozen words
 * later). */
size_t spell_pending(spell_collector *c);

/*
 * Corrects the query text q[0..len) (UTF-8; invalid bytes are replaced).
 *
 * Each word is looked at unless it is a stop word, a number, an operator
 * (AND, OR, NOT, NEAR in capitals), a field name before ':' (title, body, by,
 * category, date, after, before, updated), part of the value of a field that
 * is not text (category, by and the dates), or a prefix (secur*). A word
 * whose stem is rare or absent in the index (body and title) is replaced by
 * the nearest word of the spelling table, if that word's stem is in at least
 * 5 times as many articles (and in 2 at least). The replacement keeps the
 * word's capitalisation (lower, Capitalised, UPPER); the rest of the text,
 * syntax included, is left as it was. Only the first SPELL_MAX_CHECKED words
 * that need a look-up are looked at.
 *
 * *out = the corrected query (NUL-terminated, malloc'd; caller frees), or
 * NULL when nothing was corrected. Returns KBS_OK, KBS_EINVAL, KBS_ENOMEM or
 * a shim status (*out is then untouched).
 */
int spell_correct_query(xs_db *db, stemmer *st, const char *q, size_t len, char **out);

#endif
