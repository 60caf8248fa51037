/* tokenize.h - the one tokenizer for documents and queries.
 *
 * Splits UTF-8 text into words and reports each with its byte offsets in the
 * input, so snippets can splice highlights into the original (the FTS5 way).
 *
 * Words: runs of letters, digits and marks; an apostrophe (' or U+2019)
 * between letters stays inside the word ("Japan's" -> "japan's"). A hyphen
 * between letters splits the word into parts at consecutive positions, the
 * later parts flagged TOK_HYPHENATED ("Kang-Kono" -> "kang", "kono").
 * Numbers stay whole: digits joined by '.', ',', '-', '/' or ':' with digits
 * on both sides are one token, with grouping commas dropped ("1,000" ->
 * "1000", "2019-08-01" -> "2019-08-01", "3.5" -> "3.5").
 * Folding: lower case (ASCII, Latin-1, Latin Extended-A/B, Greek, Cyrillic)
 * and diacritics removed from Latin letters ("Émile" -> "emile"), ß -> ss.
 * CJK ideographs, kana and Hangul: each ideograph or kana character is its
 * own token (flag TOK_CJK); Hangul syllables form words like letters. (Better
 * CJK segmentation will replace this; the flag marks where.)
 * Tokens longer than TOK_MAX_BYTES after folding are skipped (no position).
 */
#ifndef KBS_TOKENIZE_H
#define KBS_TOKENIZE_H

#include <stddef.h>
#include <stdint.h>

#define TOK_MAX_BYTES 64

/* Flags of a token. */
#define TOK_HYPHENATED 1u /* joined to the previous token by a hyphen */
#define TOK_NUMBER 2u     /* contains a digit: never stemmed */
#define TOK_CJK 4u        /* one CJK ideograph or kana */
#define TOK_SENTENCE 8u   /* first word of a sentence (after . ! ? or a blank line, or at start) */

typedef struct token {
    const char *text; /* folded form, NUL-terminated; valid only during the callback */
    size_t len;       /* bytes of text */
    size_t start;     /* byte offset of the word in the input */
    size_t end;       /* byte offset just past it */
    uint32_t pos;     /* word position: 0, 1, 2, ... counted from the call's first_pos */
    unsigned flags;
} token;

/* Return 0 to go on, non-zero to stop tokenizing (kbs_tokenize returns that value). */
typedef int (*token_cb)(void *ctx, const token *tok);

#define TOKENIZE_DOCUMENT 0
#define TOKENIZE_QUERY 1

/* Tokenizes text[0..len). Positions start at first_pos. Calls cb for each
 * token in order. Returns 0, or the callback's non-zero value. Never
 * allocates: safe to call from any thread (it keeps no state). */
int tokenize(const char *text, size_t len, int mode, uint32_t first_pos, token_cb cb, void *ctx);

/* A word found by tokenize_ascii(): where it is and its flags. */
typedef struct tok_span {
    uint32_t start, end; /* byte offsets of the word in the input */
    unsigned flags;
} tok_span;

/* tokenize()'s words of an ASCII text (no byte above 0x7F, len below 4 GiB),
 * in order, without their folded forms: for a caller that needs where every
 * word is but the folded form of only a few (snippets), and at several times
 * tokenize()'s speed. The folded form of an ASCII word is its bytes with
 * A-Z lower-cased and commas left out (the only comma inside a word is a
 * grouping comma, "1,000"). Writes at most len / 2 + 1 spans to out; returns
 * how many. tests/test_tokenize.c checks it against tokenize(). */
size_t tokenize_ascii(const char *text, size_t len, tok_span *out);

/* Folds one code point as the tokenizer does (lower case, no diacritics).
 * Writes up to 2 code points to out; returns how many (0 drops it). */
int tok_fold(uint32_t cp, uint32_t out[2]);

#endif
