/* article.h - a news page split into its fields.
 *
 * Three layouts are recognised (see ../shared/seed/README.md for the first):
 *  - KBS: a saved KBS World news page: site chrome, category, title,
 *    "Written: ...Updated: ..." timestamps, the title again, an optional
 *    "Photo : ..." credit, the body ("Anchor:"/"Report:" labels), a byline
 *    line "<reporter>, KBS World Radio News", then trailing chrome (related
 *    news, editor's pick, close, cookie notice).
 *  - REUTERS: the archive layout "-- headline", "-- By author", "-- date",
 *    "-- url", then the body.
 *  - PLAIN: anything else: the first non-empty line is the title, the rest
 *    is the body.
 * The parser never copies: every field is a span of the input. Chrome and
 * labels are left out of the spans, so nothing of them is indexed or shown in
 * snippets, while the store keeps the page as it was.
 */
#ifndef KBS_ARTICLE_H
#define KBS_ARTICLE_H

#include <stddef.h>

typedef struct art_span {
    size_t off; /* byte offset in the parsed text */
    size_t len; /* 0 when the field is absent */
} art_span;

enum art_layout { ART_PLAIN = 0, ART_KBS = 1, ART_REUTERS = 2 };

typedef struct article {
    int layout;
    art_span category; /* "Economy" */
    art_span title;
    art_span photo;   /* the credit after "Photo : ", e.g. "YONHAP News" */
    art_span byline;  /* the reporter ("Kim Soyon"), or the author line */
    char written[20]; /* ISO 8601 "YYYY-MM-DDTHH:MM:SS", or "" */
    char updated[20];
    art_span *paras; /* body paragraphs in order: no chrome, no "Anchor:" labels, no byline */
    size_t npara;
} article;

/* Parses text[0..len), which must be valid UTF-8 (see utf8_repair). On success
 * *out holds spans into text; release with article_free(). Returns 0, or -1
 * when out of memory (then *out needs no freeing). */
int article_parse(const char *text, size_t len, article *out);
void article_free(article *a);

/* Non-zero if the data looks binary rather than text (a NUL byte, or mostly
 * control bytes and invalid UTF-8 in its first 64 KiB). */
int article_is_binary(const char *data, size_t len);
/* The offset of the first byte of data that text would not hold (a control
 * byte other than tab, newline, carriage return and form feed, or a byte of
 * invalid UTF-8), or len if there is none: where to look in a file
 * article_is_binary() refused. */
size_t article_first_nontext(const char *data, size_t len);

/* Parses a timestamp such as "2019-08-01 15:25:05" or "2019-08-01" into ISO
 * "YYYY-MM-DDTHH:MM:SS" (missing time: 00:00:00). Returns 0, or -1 if it is not
 * a valid date. */
int article_parse_date(const char *s, size_t len, char out[20]);

#endif
