/* stem.h - Snowball stemming through libstemmer, behind a word -> stem cache.
 *
 * The same code stems documents and queries, so they always agree. A stemmer
 * is not thread-safe: one per handle. */
#ifndef KBS_STEM_H
#define KBS_STEM_H

#include <stddef.h>
#include <stdint.h>

typedef struct stemmer stemmer;

/* lang: a libstemmer algorithm name ("english"). Returns 0, or -1 when out of
 * memory or the language is unknown. */
int stemmer_new(const char *lang, stemmer **out);
void stemmer_free(stemmer *s);

/* Stems a folded word (as produced by tokenize()). *stem_out points into the
 * stemmer's cache: valid until the next stemmer_stem() call or stemmer_free().
 * Words with a digit, CJK tokens and words longer than the token cap come back
 * unchanged. Returns 0, or -1 when out of memory. */
int stemmer_stem(stemmer *s, const char *word, size_t len, const char **stem_out,
                 size_t *stem_len_out);

/* A word's form, as indexing needs it. */
typedef struct stem_form {
    unsigned tag;  /* stem_form_tag() of the word */
    uint64_t hash; /* stem_form_hash(): the tag is its top 8 bits */
    /* Non-zero the first time this stemmer gives this word with its form
     * (again after its cache was emptied): the index records each stem's
     * forms (shim/positions.h), and this says when. 0 always for words
     * whose stem can be no other word's (numbers, single CJK characters). */
    int first;
} stem_form;

/* stemmer_stem(), and *stop set to stem_is_stopword() of the word (kept
 * in the cache with it): whether this occurrence goes without a position;
 * and, unless form is NULL, *form to the word's form, from the hash the
 * cache's look-up computes. */
int stemmer_stem_term(stemmer *s, const char *word, size_t len, const char **stem_out,
                      size_t *stem_len_out, int *stop, stem_form *form);

/* Forgets which words were given with their form (stem_form.first), so
 * that each is first again: for a handle that starts writing another
 * database, which must record the forms of its own articles. */
void stemmer_forget_forms(stemmer *s);

/* The form tag of a folded word (0-255): 8 bits of a hash of it, kept with
 * each of its positions (shim/positions.h) so that a quoted phrase can ask
 * for its words as written rather than their stems. Two words share a tag
 * by chance 1 time in 256; the index records each stem's forms, so that
 * search knows when a tag stands for one word only (shim/positions.h). */
unsigned stem_form_tag(const char *word, size_t len);
/* The whole hash of a folded word (XXH3): two forms of a stem with the same
 * tag tell apart by it, which lets search trust the tags of a stem whose
 * recorded forms all differ in theirs. */
uint64_t stem_form_hash(const char *word, size_t len);

/* Non-zero if the folded word is an English stop word ("the", "of", ...).
 * Stop words are indexed as terms, with their wdf but without positions
 * (they were half the position table's entries and a third of its size, and
 * only phrases used them), and dropped from queries outside phrases so that
 * they do not dilute ranking. A phrase then matches its other words at their
 * distances (PHRASE with a wider window) and search checks the stop words'
 * places in the stored text. */
int stem_is_stopword(const char *word, size_t len);

/* Non-zero if the stem is the stem of a stop word ("the", "of", "abov"...).
 * Until format 9 such a term had no positions at all, wherever it came from
 * ("own" of "owned" too); since then the rule is the word's
 * (stem_is_stopword), so "owned" and "underlying" (stem "under") keep their
 * places, with their form tags, and a quoted phrase that holds one is
 * matched in place by the index rather than by reading the text of every
 * article with both stems ("underlying factory" took 60 ms, 115 times plain
 * Xapian). Such a term then has the places of some of its words only, so
 * what matches stems in any form (NEAR, an unquoted phrase) still leaves it
 * out of the positions, by this rule. */
int stem_is_stopstem(const char *stem, size_t len);

/* For tests: the number of stop stems; the stop list's length, and its i-th
 * word (NULL past it). */
size_t stem_stopstem_count(void);
size_t stem_stopword_count(void);
const char *stem_stopword_at(size_t i);

#endif
