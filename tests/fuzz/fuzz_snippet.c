/* fuzz_snippet.c - libFuzzer target: the snippet maker on an article and a
 * query taken from the input, as src/search.c builds its request.
 *
 * Input: one byte of fragments, two of length, then the query up to the
 * first NUL byte, then the article. The query goes through query_parse (no
 * database), and its stems and phrases (not the title-only ones) are the
 * request's, as build_highlights() makes them; each prefix adds its own
 * stem, as a stand-in for what it would expand to. The article is repaired
 * and parsed as make_snippet() does. The snippet must be valid UTF-8 and its
 * spans in order, inside it and not overlapping. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "kbsearch.h"
#include "query.h"
#include "snippet.h"
#include "stem.h"
#include "utf8.h"

static stemmer *fuzz_stemmer(void)
{
    static stemmer *st;
    if (!st && stemmer_new("english", &st) != 0)
        abort();
    return st;
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The stems of the request: the plan's and the prefixes' own, sorted and
 * unique (pointers into the plan, or into the stemmer's copies in extra). */
static size_t request_stems(const query_plan *p, stemmer *st, const char **stems, char **extra)
{
    size_t n = 0;
    for (size_t i = 0; i < p->nstems; i++)
        stems[n++] = p->stems[i];
    for (size_t i = 0; i < p->nprefixes; i++) {
        const char *s;
        size_t sl;
        extra[i] = NULL;
        if (stemmer_stem(st, p->prefixes[i], strlen(p->prefixes[i]), &s, &sl) == 0 &&
            (extra[i] = malloc(sl + 1)) != NULL) {
            memcpy(extra[i], s, sl);
            extra[i][sl] = '\0';
            stems[n++] = extra[i];
        }
    }
    if (n > 1)
        qsort(stems, n, sizeof *stems, cmp_strp);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || strcmp(stems[k - 1], stems[i]) != 0)
            stems[k++] = stems[i];
    return k;
}

static void check_result(const snippet_result *r)
{
    const char *t = buf_cstr((buf *)&r->text);
    if (!utf8_valid(t, r->text.len))
        abort();
    size_t last = 0;
    for (size_t i = 0; i < r->nspans; i++) {
        if (r->spans[i].start < last || r->spans[i].len == 0 ||
            (size_t)r->spans[i].start + r->spans[i].len > r->text.len)
            abort();
        last = (size_t)r->spans[i].start + r->spans[i].len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    size_t fragments = data[0] % 20;
    size_t max_chars = ((size_t)data[1] << 8 | data[2]) % 2001;
    const char *in = (const char *)data + 3;
    size_t len = size - 3;
    const char *nul = memchr(in, '\0', len);
    size_t qraw = nul ? (size_t)(nul - in) : len;
    const char *araw = nul ? nul + 1 : in + len;
    size_t alen = len - qraw - (nul ? 1 : 0);
    stemmer *st = fuzz_stemmer();

    const char *q, *text;
    size_t qlen, tlen;
    char *qowned = NULL, *towned = NULL;
    if (utf8_repair(in, qraw, &q, &qlen, &qowned) != 0)
        return 0;
    query_plan plan;
    query_error err;
    query_options o;
    memset(&o, 0, sizeof o);
    o.max_expansion = QUERY_DEFAULT_EXPANSION;
    if (query_parse(q, qlen, &o, st, NULL, &plan, &err) != KBS_OK)
        goto out_plan;

    const char **stems = malloc((plan.nstems + plan.nprefixes + 1) * sizeof *stems);
    char **extra = calloc(plan.nprefixes + 1, sizeof *extra);
    snippet_phrase *phrases = calloc(plan.nphrases + 1, sizeof *phrases);
    if (!stems || !extra || !phrases)
        goto out_req;
    size_t nstems = request_stems(&plan, st, stems, extra);
    size_t nphrases = 0;
    for (size_t i = 0; i < plan.nphrases; i++) {
        if (plan.phrases[i].field == 1)
            continue;
        phrases[nphrases].words = (const char *const *)plan.phrases[i].words;
        phrases[nphrases].nwords = plan.phrases[i].nwords;
        nphrases++;
    }

    if (utf8_repair(araw, alen, &text, &tlen, &towned) != 0)
        goto out_req;
    article a;
    memset(&a, 0, sizeof a);
    if (article_parse(text, tlen, &a) == 0) {
        /* As make_snippet() does: the first byte's top bit stands for "the
         * stored title is not the first line". */
        snippet_request req;
        memset(&req, 0, sizeof req);
        art_span *paras = snippet_set_article(&req, text, tlen, &a, data[0] & 0x80);
        req.stems = stems;
        req.nstems = nstems;
        req.phrases = phrases;
        req.nphrases = nphrases;
        req.max_chars = max_chars ? max_chars : 200;
        req.fragments = fragments;
        snippet_result r;
        memset(&r, 0, sizeof r);
        if (snippet_make(&req, st, &r) == 0 && !buf_failed(&r.text))
            check_result(&r);
        snippet_result_free(&r);
        free(paras);
        article_free(&a);
    }
    free(towned);
out_req:
    for (size_t i = 0; extra && i < plan.nprefixes; i++)
        free(extra[i]);
    free(extra);
    free(stems);
    free(phrases);
out_plan:
    query_plan_free(&plan);
    free(qowned);
    return 0;
}
