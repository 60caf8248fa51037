/* fuzz_article.c - libFuzzer target: the article parser and the date parser
 * on arbitrary bytes.
 *
 * The bytes go through what indexing does with a file: the binary check,
 * utf8_repair, then article_parse. Every span must lie inside the text and
 * the dates must be empty or ISO. article_parse_date also gets the raw
 * bytes, which need not be UTF-8. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "utf8.h"

static void check_span(art_span s, size_t len)
{
    if (s.off > len || s.len > len - s.off)
        abort();
}

static void check_date(const char d[20])
{
    size_t n = strnlen(d, 20);
    if (n != 0 && n != 19)
        abort();
    if (n == 19 && (d[4] != '-' || d[7] != '-' || d[10] != 'T' || d[13] != ':' || d[16] != ':'))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *raw = (const char *)data;
    char iso[20];
    if (article_parse_date(raw, size, iso) == 0)
        check_date(iso);
    size_t first = article_first_nontext(raw, size);
    if (first > size)
        abort();
    (void)article_is_binary(raw, size);

    const char *text;
    size_t len;
    char *owned = NULL;
    if (utf8_repair(raw, size, &text, &len, &owned) != 0)
        return 0;
    article a;
    memset(&a, 0, sizeof a);
    if (article_parse(text, len, &a) == 0) {
        check_span(a.category, len);
        check_span(a.title, len);
        check_span(a.photo, len);
        check_span(a.byline, len);
        for (size_t i = 0; i < a.npara; i++)
            check_span(a.paras[i], len);
        check_date(a.written);
        check_date(a.updated);
        article_free(&a);
    }
    free(owned);
    return 0;
}
