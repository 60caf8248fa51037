/* snippet.h - the passage of an article shown under a hit, with highlights.
 *
 * Works on the article's text (the stored original after utf8_repair) and its
 * body paragraphs from article_parse(), so page chrome and bylines are never
 * snippet material. A word is highlighted when its stem is one of the query's
 * stems: a search for "cooperation" highlights "cooperate" and "Cooperative".
 */
#ifndef KBS_SNIPPET_H
#define KBS_SNIPPET_H

#include <stddef.h>
#include <stdint.h>

#include "article.h"
#include "buf.h"
#include "kbsearch.h"
#include "stem.h"

/* A quoted phrase of the query: its words in the folded forms tokenize()
 * reports. Where the article has them in a row, they are one span. */
typedef struct snippet_phrase {
    const char *const *words;
    size_t nwords; /* phrases of more than 64 words are only matched word by word */
} snippet_phrase;

typedef struct snippet_request {
    const char *text; /* the whole article text (valid UTF-8) */
    size_t len;
    const art_span *paras; /* body paragraphs to draw from */
    size_t npara;
    const char *const *stems; /* the query's stems, sorted by strcmp, no duplicates */
    size_t nstems;
    const snippet_phrase *phrases; /* may be NULL with nphrases 0 */
    size_t nphrases;
    size_t max_chars; /* length of the snippet in characters (code points), e.g. 200 */
    size_t fragments; /* most passages, joined by " … " in document order; 0 means 1 */
} snippet_request;

typedef struct snippet_result {
    buf text;        /* the snippet, plain UTF-8: whitespace runs folded to one space,
                        "…" (U+2026) where text was cut away before or after */
    kbs_span *spans; /* highlighted words (a matched phrase is one span), byte
                        offsets into text.data, in order, never overlapping; free() */
    size_t nspans;
    int matched; /* non-zero if some body word matched (else the lead is shown) */
} snippet_result;

/* Picks up to req->fragments passages, max_chars characters in all (the
 * " … " between them not counted), cut at word boundaries. A passage is
 * scored by the distinct query stems it holds, then its whole phrases, then
 * its matches, then whether it starts a sentence; a further passage is only
 * shown when it holds a stem or phrase the others lack, and a single passage
 * that holds every term the body matches gets the whole length. When no body
 * word matches, the article's lead. Returns 0, or -1 out of memory. Release
 * *out with snippet_result_free(). */
int snippet_make(const snippet_request *req, stemmer *st, snippet_result *out);

/* Points req at an article's text and body paragraphs; with first_line, a
 * plain text's first line (what article_parse took for its title) goes
 * before them as snippet material too: the caller's choice, where the title
 * stored for the article is another. Returns the paragraphs' array for the
 * caller to free() once done with req, or NULL: none was needed, or memory
 * ran short and the body alone is snippet material. */
art_span *snippet_set_article(snippet_request *req, const char *text, size_t len, const article *a,
                              int first_line);
void snippet_result_free(snippet_result *r);

#endif
