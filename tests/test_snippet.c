/* test_snippet.c - snippets: window choice, cuts, folding, highlights. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snippet.h"
#include "stem.h"

#define ELLIPSIS "\xE2\x80\xA6"
#define MAX_PARAS 16
#define MAX_STEMS 8

/* A request built from a case: paragraphs are the parts of the text between
 * blank lines ("\n\n"), stems come from the query words through the same
 * stemmer, sorted and without duplicates, as the search module hands them. */
typedef struct fixture {
    stemmer *st;
    art_span paras[MAX_PARAS];
    char *stems[MAX_STEMS];
    char *pwords[MAX_STEMS]; /* the words of the one phrase, if any */
    snippet_phrase phrase;
    snippet_request req;
} fixture;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void fixture_init(fixture *fx, const char *text, const char *query, size_t max_chars)
{
    memset(fx, 0, sizeof *fx);
    cr_assert_eq(stemmer_new("english", &fx->st), 0);
    fx->req.text = text;
    fx->req.len = strlen(text);
    fx->req.paras = fx->paras;
    fx->req.max_chars = max_chars;
    size_t off = 0, len = strlen(text);
    while (len > 0) {
        const char *brk = strstr(text + off, "\n\n");
        size_t end = brk ? (size_t)(brk - text) : len;
        cr_assert_lt(fx->req.npara, MAX_PARAS);
        fx->paras[fx->req.npara].off = off;
        fx->paras[fx->req.npara].len = end - off;
        fx->req.npara++;
        if (!brk)
            break;
        off = end + 2;
    }
    size_t n = 0;
    const char *q = query;
    while (*q) {
        while (*q == ' ')
            q++;
        size_t wl = strcspn(q, " ");
        if (wl == 0)
            break;
        const char *stem;
        size_t sl;
        cr_assert_eq(stemmer_stem(fx->st, q, wl, &stem, &sl), 0);
        cr_assert_lt(n, MAX_STEMS);
        fx->stems[n] = strndup(stem, sl);
        cr_assert_not_null(fx->stems[n]);
        n++;
        q += wl;
    }
    qsort(fx->stems, n, sizeof *fx->stems, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k > 0 && strcmp(fx->stems[k - 1], fx->stems[i]) == 0)
            free(fx->stems[i]);
        else
            fx->stems[k++] = fx->stems[i];
    }
    fx->req.stems = (const char *const *)fx->stems;
    fx->req.nstems = k;
}

/* The query's quoted phrase: space-separated words, folded as tokenize()
 * folds them (the search module hands over the plan's phrases so). */
static void fixture_phrase(fixture *fx, const char *phrase)
{
    const char *q = phrase;
    size_t n = 0;
    while (*q) {
        while (*q == ' ')
            q++;
        size_t wl = strcspn(q, " ");
        if (wl == 0)
            break;
        cr_assert_lt(n, MAX_STEMS);
        fx->pwords[n] = strndup(q, wl);
        cr_assert_not_null(fx->pwords[n]);
        n++;
        q += wl;
    }
    fx->phrase.words = (const char *const *)fx->pwords;
    fx->phrase.nwords = n;
    fx->req.phrases = &fx->phrase;
    fx->req.nphrases = 1;
}

static void fixture_free(fixture *fx)
{
    for (size_t i = 0; i < fx->phrase.nwords; i++)
        free(fx->pwords[i]);
    for (size_t i = 0; i < fx->req.nstems; i++)
        free(fx->stems[i]);
    stemmer_free(fx->st);
}

/* The snippet with each highlight shown as [...]. */
static char *render(const snippet_result *r)
{
    size_t cap = r->text.len + 2 * r->nspans + 1;
    char *s = malloc(cap);
    cr_assert_not_null(s);
    size_t o = 0, at = 0;
    for (size_t i = 0; i < r->nspans; i++) {
        size_t a = r->spans[i].start, b = a + r->spans[i].len;
        memcpy(s + o, r->text.data + at, a - at);
        o += a - at;
        s[o++] = '[';
        memcpy(s + o, r->text.data + a, b - a);
        o += b - a;
        s[o++] = ']';
        at = b;
    }
    memcpy(s + o, r->text.data ? r->text.data + at : "", r->text.len - at);
    o += r->text.len - at;
    s[o] = '\0';
    return s;
}

static size_t count_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

static int is_cont(const snippet_result *r, size_t off)
{
    return off < r->text.len && ((unsigned char)r->text.data[off] & 0xC0) == 0x80;
}

/* What must hold of every snippet: spans in order, apart, inside the text and
 * on character boundaries; no whitespace but single spaces; the text between
 * the ellipses no longer than max_chars unless it is one word. */
static void check_invariants(const snippet_result *r, size_t max_chars, int id)
{
    size_t prev_end = 0;
    for (size_t i = 0; i < r->nspans; i++) {
        size_t a = r->spans[i].start, b = a + r->spans[i].len;
        cr_assert_gt(r->spans[i].len, 0, "case %d: empty span", id);
        cr_assert_leq(b, r->text.len, "case %d: span past the end", id);
        cr_assert(i == 0 || a > prev_end, "case %d: spans overlap or touch", id);
        cr_assert(!is_cont(r, a) && !is_cont(r, b), "case %d: span cuts a character", id);
        prev_end = b;
    }
    const char *t = r->text.len ? r->text.data : "";
    size_t len = r->text.len;
    for (size_t i = 0; i < len; i++) {
        cr_assert(t[i] != '\n' && t[i] != '\t' && t[i] != '\r', "case %d: raw whitespace", id);
        cr_assert(!(t[i] == ' ' && i + 1 < len && t[i + 1] == ' '), "case %d: double space", id);
    }
    cr_assert(len == 0 || (t[0] != ' ' && t[len - 1] != ' '), "case %d: untrimmed", id);
    for (size_t i = 0; i + 1 < len; i++)
        cr_assert(memcmp(t + i, "\xC2\xA0", 2) != 0, "case %d: NBSP left", id);
    if (len >= 4 && memcmp(t, ELLIPSIS " ", 4) == 0) {
        t += 4;
        len -= 4;
    }
    if (len >= 4 && memcmp(t + len - 4, " " ELLIPSIS, 4) == 0)
        len -= 4;
    /* A word, or a phrase, longer than max_chars is shown whole. */
    int one_span =
        r->nspans == 1 && r->spans[0].len == len && r->text.data + r->spans[0].start == t;
    if (memchr(t, ' ', len) && !one_span)
        cr_assert_leq(count_chars(t, len), max_chars, "case %d: too long", id);
}

typedef struct scase {
    int id;
    const char *text;  /* paragraphs separated by "\n\n" */
    const char *query; /* folded query words, stemmed by the test */
    size_t max_chars;
    const char *expect; /* highlights as [...] */
    int matched;
    const char *phrase; /* a quoted phrase of the query (folded words), or NULL */
    size_t fragments;   /* passages asked for; 0: one */
} scase;

static const scase cases[] = {
    /* The best window, not the first match: both terms are in the last paragraph. */
    {1,
     "Security was tight at the venue as delegates arrived.\n\n"
     "The morning session covered shipping rules and fishing quotas for the coming season.\n\n"
     "Both sides pledged security cooperation at the summit.",
     "security cooperation", 60,
     ELLIPSIS " Both sides pledged [security cooperation] at the summit.", 1, NULL, 0},
    /* Two distinct terms beat three of the same. */
    {2,
     "Trade fell, trade slowed and trade worries grew across the region all winter.\n\n"
     "Farmers said a new tariff would hurt trade with neighbours.",
     "trade tariff", 50, ELLIPSIS " Farmers said a new [tariff] would hurt [trade] with " ELLIPSIS,
     1, NULL, 0},
    /* Stems match other surface forms, in any case. */
    {3, "The two agencies cooperate closely. A Cooperative body was formed last spring.",
     "cooperation", 200,
     "The two agencies [cooperate] closely. A [Cooperative] body was formed last spring.", 1, NULL,
     0},
    /* Adjacent matches are one span, even across folded whitespace. */
    {4, "Ministers discussed security\n   cooperation and trade.", "cooperation security", 200,
     "Ministers discussed [security cooperation] and trade.", 1, NULL, 0},
    /* A hyphen is not a single space: two spans. */
    {5, "The Kang-Kono talks resumed.", "kang kono", 200, "The [Kang]-[Kono] talks resumed.", 1,
     NULL, 0},
    /* Never cut inside a word. */
    {6, "Exporters reported steady growth in shipments.", "", 20, "Exporters reported " ELLIPSIS, 0,
     NULL, 0},
    /* Characters, not bytes: 18 characters are 20 bytes here. */
    {7, "Émile Zola écrivit à Médan durant un été.", "", 18, "Émile Zola écrivit " ELLIPSIS, 0,
     NULL, 0},
    /* An accented word matches through folding. */
    {8, "Émile Zola écrivit à Médan durant un été.", "medan", 200,
     "Émile Zola écrivit à [Médan] durant un été.", 1, NULL, 0},
    /* Hangul words, cut between words. */
    {9, "서울에서 회담이 열렸다. 양국은 협력을 약속했다.", "", 10, "서울에서 회담이 " ELLIPSIS, 0,
     NULL, 0},
    {10, "서울에서 회담이 열렸다. 양국은 협력을 약속했다.", "협력을", 14,
     ELLIPSIS " 양국은 [협력을] 약속했다.", 1, NULL, 0},
    /* Each ideograph and kana is a word of its own, so the cut may fall between any two. */
    {11, "日本と韓国は協力する", "", 4, "日本と韓 " ELLIPSIS, 0, NULL, 0},
    /* Curly quotes and the comma stay with the word they touch. */
    {12, "“Talks went well,” she said after the meeting.", "", 18, "“Talks went well,” " ELLIPSIS,
     0, NULL, 0},
    {13, "Talks ended. “We will cooperate.” Then she left the room quickly.", "cooperate", 26,
     ELLIPSIS " “We will [cooperate].” Then " ELLIPSIS, 1, NULL, 0},
    /* Whitespace runs, NBSP and the ideographic space fold to one space. */
    {14, "Rice\xC2\xA0prices  rose\t\tsharply\r\nin\xE3\x80\x80spring.", "", 200,
     "Rice prices rose sharply in spring.", 0, NULL, 0},
    /* Paragraphs are joined by one space, their own edges trimmed. */
    {15, "Alpha ran home.\n\nBeta stayed late.", "", 200, "Alpha ran home. Beta stayed late.", 0,
     NULL, 0},
    {16, "  Gamma  \n\n\n\n  delta\n", "delta", 200, "Gamma [delta]", 1, NULL, 0},
    /* Cut on both sides: the match gets context before and after. */
    {17,
     "One two three four five six seven eight nine ten eleven twelve thirteen fourteen "
     "fifteen.",
     "eight", 20, ELLIPSIS " seven [eight] nine ten " ELLIPSIS, 1, NULL, 0},
    /* The start of the sentence is shown when it fits. */
    {18,
     "Rain fell all week across the south. Dams in the region filled up and farmers "
     "cheered the water.",
     "dams", 45, ELLIPSIS " [Dams] in the region filled up and farmers " ELLIPSIS, 1, NULL, 0},
    /* No word of the body matches: the lead. */
    {19, "Exporters reported steady growth in shipments.", "volcano", 30,
     "Exporters reported steady " ELLIPSIS, 0, NULL, 0},
    {20, "Short lead.", "", 200, "Short lead.", 0, NULL, 0},
    /* A word longer than max_chars is still shown whole. */
    {21, "Internationalization matters.", "", 5, "Internationalization " ELLIPSIS, 0, NULL, 0},
    {22, "Internationalization matters.", "matters", 3, ELLIPSIS " [matters].", 1, NULL, 0},
    /* Numbers match as they are. */
    {23, "Exports rose 3.5 percent in 2019 after a weak year.", "2019", 200,
     "Exports rose 3.5 percent in [2019] after a weak year.", 1, NULL, 0},
    /* A body of symbols only: its first characters. */
    {24, "*** --- ***", "", 5, "*** - " ELLIPSIS, 0, NULL, 0},

    /* Phrases: one span from the first word to the last, stop words and
     * punctuation between them included; other forms of the words are still
     * highlighted each on its own. */
    {25, "The Bank of Korea held rates. A bank in Korea did too.", "bank korea", 200,
     "The [Bank of Korea] held rates. A [bank] in [Korea] did too.", 1, "bank of korea", 0},
    {26, "The Kang-Kono talks resumed.", "kang kono", 200, "The [Kang-Kono] talks resumed.", 1,
     "kang kono", 0},
    /* The exact phrase only: "banks of korea" is not "bank of korea". */
    {27, "Banks of Korea rallied.", "bank korea", 200, "[Banks] of [Korea] rallied.", 1,
     "bank of korea", 0},
    /* Between two windows with the same words, the one with the whole phrase. */
    {28,
     "Analysts showed interest as the growth rate slowed over the long summer.\n\n"
     "Later the central bank said its interest rate would stay on hold.",
     "interest rate", 50, ELLIPSIS " Later the central bank said its [interest rate] " ELLIPSIS, 1,
     "interest rate", 0},
    /* A window never cuts a phrase: it is shown whole or not at all. */
    {29, "Officials of the Bank of Korea met.", "bank korea", 12,
     ELLIPSIS " [Bank of Korea] " ELLIPSIS, 1, "bank of korea", 0},
    /* A phrase across two paragraphs is not one span (the text between them
     * may be chrome). */
    {30, "Shares of the bank\n\nKorea fell.", "bank korea", 200, "Shares of the [bank Korea] fell.",
     1, "bank korea", 0},

    /* Fragments: the terms far apart, each passage holding one, in document
     * order, joined by an ellipsis. */
    {31,
     "A typhoon struck the coast on Monday and cut power to thousands of homes. "
     "Crews worked through the night to restore lines across the province. "
     "Schools stayed shut and ferries were cancelled for a second day. "
     "Officials said the new tariff on steel would take effect next month.",
     "typhoon tariff", 100,
     "A [typhoon] struck the coast on Monday and cut " ELLIPSIS
     " Officials said the new [tariff] on steel would " ELLIPSIS,
     1, NULL, 2},
    /* Both terms fit one passage: one passage, the whole length. */
    {32,
     "A typhoon and a tariff dominated the week. Crews worked through the night to restore "
     "lines across the province while schools stayed shut.",
     "typhoon tariff", 80,
     "A [typhoon] and a [tariff] dominated the week. Crews worked through the night to " ELLIPSIS,
     1, NULL, 2},
    /* A second passage with nothing new is not shown. */
    {33,
     "A typhoon struck the coast on Monday and cut power to thousands of homes. "
     "Crews worked through the night to restore lines across the province. "
     "Schools stayed shut as the typhoon moved north.",
     "typhoon tariff", 80,
     "A [typhoon] struck the coast on Monday and cut power to thousands of homes. Crews " ELLIPSIS,
     1, NULL, 2},
    /* Too short for two passages worth reading: one. */
    {34, "Typhoon warnings rose. Many more words come here before the tariff.", "typhoon tariff",
     30, "[Typhoon] warnings rose. Many " ELLIPSIS, 1, NULL, 2},
    /* Hangul passages, cut between words, in characters. */
    {35,
     "태풍이 남해안을 지나며 많은 비를 뿌렸고 주민들이 대피했으며 학교는 문을 닫았고 배편은 모두 "
     "취소되었다. 오후에는 바람이 더 강해졌고 해안 도로가 통제되었으며 많은 가게가 문을 닫은 채 "
     "하루를 보냈다. 정부는 다음 달부터 철강 관세를 올리겠다고 밝혔으며 업계는 반발했다.",
     "태풍이 관세를", 90,
     "[태풍이] 남해안을 지나며 많은 비를 뿌렸고 주민들이 대피했으며 학교는 문을 " ELLIPSIS
     " 보냈다. 정부는 다음 달부터 철강 [관세를] 올리겠다고 밝혔으며 업계는 반발했다.",
     1, NULL, 2},
};

#define NCASES (sizeof cases / sizeof cases[0])

/* Criterion runs each parameter in a fresh process, where the pointers in
 * cases[] would not be valid: it gets an index into cases[] instead. */
ParameterizedTestParameters(snippet, table)
{
    static size_t idx[NCASES];
    for (size_t i = 0; i < NCASES; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, NCASES);
}

ParameterizedTest(size_t *i, snippet, table)
{
    const scase *c = &cases[*i];
    fixture fx;
    fixture_init(&fx, c->text, c->query, c->max_chars);
    if (c->phrase)
        fixture_phrase(&fx, c->phrase);
    fx.req.fragments = c->fragments;
    snippet_result r;
    cr_assert_eq(snippet_make(&fx.req, fx.st, &r), 0, "case %d", c->id);
    char *got = render(&r);
    cr_expect_str_eq(got, c->expect, "case %d: got \"%s\"", c->id, got);
    cr_expect_eq(r.matched, c->matched, "case %d: matched", c->id);
    check_invariants(&r, c->max_chars, c->id);
    free(got);
    snippet_result_free(&r);
    fixture_free(&fx);
}

Test(snippet, spans_point_at_the_words)
{
    fixture fx;
    fixture_init(&fx,
                 "Officials hope to cooperate. “Cooperative” firms agreed;"
                 " cooperation grew.",
                 "cooperation", 200);
    snippet_result r;
    cr_assert_eq(snippet_make(&fx.req, fx.st, &r), 0);
    const char *words[] = {"cooperate", "Cooperative", "cooperation"};
    cr_assert_eq(r.nspans, 3);
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(r.spans[i].len, strlen(words[i]), "span %zu", i);
        cr_assert_eq(memcmp(r.text.data + r.spans[i].start, words[i], r.spans[i].len), 0,
                     "span %zu", i);
    }
    snippet_result_free(&r);
    fixture_free(&fx);
}

/* "über" and "ÜBER" are 5 bytes each: spans count bytes of the snippet. */
Test(snippet, spans_of_multibyte_words)
{
    fixture fx;
    fixture_init(&fx, "Nach dem Gipfel sprach man über Zusammenarbeit und ÜBER Handel.", "uber",
                 200);
    snippet_result r;
    cr_assert_eq(snippet_make(&fx.req, fx.st, &r), 0);
    const char *words[] = {"über", "ÜBER"};
    cr_assert_eq(r.nspans, 2);
    for (size_t i = 0; i < 2; i++) {
        cr_assert_eq(r.spans[i].len, 5, "span %zu", i);
        cr_assert_eq(memcmp(r.text.data + r.spans[i].start, words[i], 5), 0, "span %zu", i);
    }
    snippet_result_free(&r);
    fixture_free(&fx);
}

/* Only the paragraphs are snippet material: chrome around them never shows. */
Test(snippet, only_body_paragraphs)
{
    const char *text = "MENU Home Economy Budget\n"
                       "Budget passes\n"
                       "The budget passed easily on Friday.\n"
                       "Another paragraph on spending.\n"
                       "Share this story Budget MENU\n";
    art_span paras[2];
    paras[0].off = (size_t)(strstr(text, "The budget") - text);
    paras[0].len = strlen("The budget passed easily on Friday.");
    paras[1].off = (size_t)(strstr(text, "Another") - text);
    paras[1].len = strlen("Another paragraph on spending.");
    fixture fx;
    fixture_init(&fx, "", "menu", 200);
    fx.req.text = text;
    fx.req.len = strlen(text);
    fx.req.paras = paras;
    fx.req.npara = 2;
    snippet_result r;
    cr_assert_eq(snippet_make(&fx.req, fx.st, &r), 0);
    cr_expect_str_eq(buf_cstr(&r.text),
                     "The budget passed easily on Friday. Another paragraph on spending.");
    cr_expect_eq(r.matched, 0);
    cr_expect_eq(r.nspans, 0);
    snippet_result_free(&r);
    fixture_free(&fx);
}

Test(snippet, empty_body)
{
    fixture fx;
    fixture_init(&fx, "", "budget", 200);
    snippet_result r;
    cr_assert_eq(fx.req.npara, 0);
    cr_assert_eq(snippet_make(&fx.req, fx.st, &r), 0);
    cr_expect_eq(r.text.len, 0);
    cr_expect_str_eq(buf_cstr(&r.text), "");
    cr_expect_eq(r.nspans, 0);
    cr_expect_eq(r.matched, 0);
    snippet_result_free(&r);
    fixture_free(&fx);

    /* Paragraphs that are empty or only whitespace. */
    const char *text = "  \n\xC2\xA0\t";
    art_span paras[3] = {{0, 0}, {0, 3}, {3, 3}};
    fixture_init(&fx, "", "budget", 200);
    fx.req.text = text;
    fx.req.len = strlen(text);
    fx.req.paras = paras;
    fx.req.npara = 3;
    cr_assert_eq(snippet_make(&fx.req, fx.st, &r), 0);
    cr_expect_eq(r.text.len, 0);
    cr_expect_eq(r.nspans, 0);
    cr_expect_eq(r.matched, 0);
    snippet_result_free(&r);
    fixture_free(&fx);
}

Test(snippet, no_stems_gives_the_lead)
{
    fixture fx;
    fixture_init(&fx, "Budget talks stalled.\n\nThe budget vote slipped.", "", 200);
    snippet_result r;
    cr_assert_eq(snippet_make(&fx.req, fx.st, &r), 0);
    cr_expect_str_eq(buf_cstr(&r.text), "Budget talks stalled. The budget vote slipped.");
    cr_expect_eq(r.matched, 0);
    snippet_result_free(&r);
    /* Nor is a stemmer needed then. */
    cr_assert_eq(snippet_make(&fx.req, NULL, &r), 0);
    cr_expect_str_eq(buf_cstr(&r.text), "Budget talks stalled. The budget vote slipped.");
    snippet_result_free(&r);
    fixture_free(&fx);
}

/* Spans that lie partly outside the text are clamped, not trusted. */
Test(snippet, bad_spans_are_clamped)
{
    fixture fx;
    fixture_init(&fx, "Budget talks stalled.", "budget", 200);
    art_span paras[2] = {{7, 1000}, {5000, 10}};
    fx.req.paras = paras;
    fx.req.npara = 2;
    snippet_result r;
    cr_assert_eq(snippet_make(&fx.req, fx.st, &r), 0);
    cr_expect_str_eq(buf_cstr(&r.text), "talks stalled.");
    snippet_result_free(&r);
    fixture_free(&fx);
}

Test(snippet, free_is_safe)
{
    snippet_result_free(NULL);
    snippet_result r;
    memset(&r, 0, sizeof r);
    snippet_result_free(&r);
    snippet_result_free(&r);
}

/* A 100 KB paragraph: the sweeps are linear, so this takes milliseconds. */
Test(snippet, long_paragraph_is_fast)
{
    static const char *words[] = {"river",  "stone", "field",  "cloud",  "market",
                                  "bridge", "quiet", "window", "garden", "letter"};
    size_t cap = 110 * 1024, n = 0;
    char *text = malloc(cap);
    cr_assert_not_null(text);
    for (size_t i = 0; n < 100 * 1024; i++) {
        if (i == 9000)
            n += (size_t)snprintf(text + n, cap - n, "the ferry harbour reopened. ");
        n += (size_t)snprintf(text + n, cap - n, "%s ", words[(i * 7) % 10]);
    }
    text[n - 1] = '\0';
    fixture fx;
    fixture_init(&fx, text, "harbour ferry", 200);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int k = 0; k < 10; k++) {
        snippet_result r;
        cr_assert_eq(snippet_make(&fx.req, fx.st, &r), 0);
        char *got = render(&r);
        cr_assert_not_null(strstr(got, "[ferry harbour] reopened."), "%s", got);
        cr_assert_eq(r.matched, 1);
        check_invariants(&r, 200, 0);
        free(got);
        snippet_result_free(&r);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    /* a guard against quadratic work, not a speed goal (bench/ has those) */
    cr_expect_lt(secs, 60.0, "10 snippets of 100 KB took %.3f s", secs);
    fixture_free(&fx);
    free(text);
}

/* Matches spread evenly over a long text: the window with all three terms wins
 * wherever it is, and the text holds nothing but whole words. */
Test(snippet, three_terms_far_in)
{
    buf b = BUF_INIT;
    for (int i = 0; i < 400; i++)
        buf_append_str(&b, i % 50 == 0 ? "The port was busy. " : "Cargo moved slowly. ");
    buf_append_str(&b, "New port rules cut cargo delays sharply. ");
    for (int i = 0; i < 100; i++)
        buf_append_str(&b, "Cargo moved slowly. ");
    cr_assert(!buf_failed(&b));
    fixture fx;
    fixture_init(&fx, b.data, "port delays cargo", 60);
    snippet_result r;
    cr_assert_eq(snippet_make(&fx.req, fx.st, &r), 0);
    char *got = render(&r);
    cr_expect_not_null(strstr(got, "New [port] rules cut [cargo delays] sharply."), "%s", got);
    check_invariants(&r, 60, 0);
    free(got);
    snippet_result_free(&r);
    fixture_free(&fx);
    buf_free(&b);
}

/* ---- through the library: what kbs_search hands out ---------------------- */

#include "kbsearch.h"
#include "testutil.h"

static kbs_db *index_fixture(const char *name)
{
    char *dir = tu_path(tu_tmpdir(), "idx");
    kbs_db *db = NULL;
    cr_assert_eq(kbs_db_open(dir, KBS_OPEN_WRITE | KBS_OPEN_CREATE, &db, NULL), KBS_OK);
    char *src = tu_path(KBS_FIXTURES "/articles", name);
    size_t len = 0;
    char *data = tu_read(src, &len);
    cr_assert_not_null(data, "%s", src);
    cr_assert_eq(kbs_index_buffer(db, src, data, len, 0, NULL), KBS_OK);
    cr_assert_eq(kbs_db_commit(db), KBS_OK);
    free(data);
    free(src);
    free(dir);
    return db;
}

static void first_hit(kbs_db *db, const char *q, kbs_results **r, kbs_hit *h)
{
    kbs_search_options o;
    kbs_search_options_init(&o);
    cr_assert_eq(kbs_search(db, q, strlen(q), &o, r), KBS_OK, "%s", kbs_db_errmsg(db));
    cr_assert_eq(kbs_results_get(*r, 0, h), KBS_OK, "%s: no hit", q);
}

/* A saved KBS page: menus, the byline and the cookie notice are never
 * snippet material, whatever matched; a match only in the title or the
 * byline shows the lead, and says so. */
Test(snippet, kbs_page_through_the_library)
{
    kbs_db *db = index_fixture("kbs_full.txt");
    static const struct {
        const char *query;
        int lead;
        const char *starts; /* the snippet's first words */
    } cases[] = {
        {"chip exports", 0, "… lifting overall exports even as"},
        {"title:straight", 1, "South Korea’s semiconductor shipments grew again"},
        {"category:economy", 1, "South Korea’s semiconductor shipments grew again"},
        {"semiconductor \"high-bandwidth memory\"", 0, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kbs_results *r = NULL;
        kbs_hit h;
        first_hit(db, cases[i].query, &r, &h);
        cr_expect_eq(h.snippet_is_lead, cases[i].lead, "%s: lead %d", cases[i].query,
                     h.snippet_is_lead);
        static const char *const chrome[] = {
            "Menu",    "Go Top", "KBS World Radio News", "cookies", "Related News",
            "Anchor:", "Photo"};
        for (size_t k = 0; k < sizeof chrome / sizeof chrome[0]; k++)
            cr_expect(strstr(h.snippet, chrome[k]) == NULL, "%s: \"%s\" in %s", cases[i].query,
                      chrome[k], h.snippet);
        if (cases[i].lead)
            cr_expect_eq(h.nspans, 0, "%s", cases[i].query);
        else
            cr_expect_gt(h.nspans, 0, "%s", cases[i].query);
        cr_expect(strncmp(h.snippet, cases[i].starts, strlen(cases[i].starts)) == 0, "%s: %s",
                  cases[i].query, h.snippet);
        kbs_results_free(r);
    }
    kbs_db_close(db);
}

/* A phrase of the query is one span through the library too, and every
 * fragment asked for is there. */
Test(snippet, phrase_and_fragments_through_the_library)
{
    kbs_db *db = index_fixture("kbs_full.txt");
    kbs_results *r = NULL;
    kbs_hit h;
    first_hit(db, "\"high-bandwidth memory\" display", &r, &h);
    int found = 0;
    for (size_t k = 0; k < h.nspans; k++)
        found |= h.spans[k].len == strlen("high-bandwidth memory") &&
                 memcmp(h.snippet + h.spans[k].start, "high-bandwidth memory", h.spans[k].len) == 0;
    cr_expect(found, "no phrase span in %s", h.snippet);
    /* The two words are paragraphs apart: two passages. */
    cr_expect_not_null(strstr(h.snippet, " … "), "%s", h.snippet);
    kbs_results_free(r);
    kbs_db_close(db);
}
