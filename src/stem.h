/* stem.h - Snowball stemming through libstemmer, behind a word -> stem cache.
 *
 * The same code stems documents and queries, so they always agree. A stemmer
 * is not thread-safe: one per handle. */
#ifndef KBS_STEM_H
#define KBS_STEM_H

#include <stddef.h>

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

/* Non-zero if the folded word is an English stop word ("the", "of", ...).
 * Stop words are indexed (phrases need them) but dropped from queries outside
 * phrases so that they do not dilute ranking. */
int stem_is_stopword(const char *word, size_t len);

#endif
