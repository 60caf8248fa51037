/* test_article.c - the article parser: fixture pages field by field, dates,
 * binary detection, and spans that stay in bounds on any input. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "testutil.h"
#include "utf8.h"

static char *load_fixture(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/articles/%s", KBS_FIXTURES, name);
    char *d = tu_read(path, len);
    cr_assert_not_null(d, "cannot read fixture %s", path);
    return d;
}

/* The span as a NUL-terminated copy, for messages and comparisons. */
static char *span_str(const char *text, art_span s)
{
    char *c = malloc(s.len + 1);
    cr_assert_not_null(c);
    memcpy(c, text + s.off, s.len);
    c[s.len] = '\0';
    return c;
}

static void expect_span(const char *what, int no, const char *text, art_span s, const char *want)
{
    char *got = span_str(text, s);
    cr_expect_str_eq(got, want, "case %d: %s: got \"%s\", want \"%s\"", no, what, got, want);
    free(got);
}

static int cmp_span(const void *a, const void *b)
{
    const art_span *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

static int space_byte(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* What every parse must satisfy, whatever the input: spans inside the text,
 * trimmed, paragraphs in order, no two fields sharing bytes, valid dates. */
static void check_invariants(const char *text, size_t len, const article *a, const char *what)
{
    cr_assert(a->layout == ART_PLAIN || a->layout == ART_KBS || a->layout == ART_REUTERS, "%s",
              what);
    cr_assert(a->npara == 0 || a->paras != NULL, "%s", what);
    size_t n = 0;
    art_span *all = malloc((a->npara + 4) * sizeof *all);
    cr_assert_not_null(all);
    const art_span fields[4] = {a->category, a->title, a->photo, a->byline};
    for (size_t i = 0; i < 4; i++)
        if (fields[i].len > 0)
            all[n++] = fields[i];
    for (size_t i = 0; i < a->npara; i++) {
        cr_assert(a->paras[i].len > 0, "%s: empty paragraph %zu", what, i);
        if (i > 0)
            cr_assert(a->paras[i].off >= a->paras[i - 1].off + a->paras[i - 1].len,
                      "%s: paragraph %zu out of order", what, i);
        all[n++] = a->paras[i];
    }
    for (size_t i = 0; i < n; i++) {
        cr_assert(all[i].off <= len && all[i].len <= len - all[i].off,
                  "%s: span %zu+%zu outside %zu bytes", what, all[i].off, all[i].len, len);
        cr_assert(!space_byte((unsigned char)text[all[i].off]) &&
                      !space_byte((unsigned char)text[all[i].off + all[i].len - 1]),
                  "%s: span %zu+%zu not trimmed", what, all[i].off, all[i].len);
    }
    qsort(all, n, sizeof *all, cmp_span);
    for (size_t i = 1; i < n; i++)
        cr_assert(all[i].off >= all[i - 1].off + all[i - 1].len, "%s: spans overlap at %zu", what,
                  all[i].off);
    free(all);
    const char *dates[2] = {a->written, a->updated};
    for (int i = 0; i < 2; i++) {
        size_t dl = strnlen(dates[i], 20);
        cr_assert(dl == 0 || dl == 19, "%s: date \"%.20s\"", what, dates[i]);
        char again[20];
        if (dl == 19)
            cr_assert_eq(article_parse_date(dates[i], dl, again), 0, "%s: %s", what, dates[i]);
    }
}

static void parse_checked(const char *text, size_t len, article *a, const char *what)
{
    cr_assert_eq(article_parse(text, len, a), 0, "%s: parse failed", what);
    check_invariants(text, len, a, what);
}

/* ---------------------------------------------------------------------- */
/* Fixture pages                                                           */
/* ---------------------------------------------------------------------- */

typedef struct fixture_case {
    const char *file;
    int layout;
    const char *category, *title, *photo, *byline, *written, *updated;
    size_t npara;
    const char *first, *last;
} fixture_case;

static const fixture_case fixtures[] = {
    /* 0: the seed's layout with all its chrome, NBSPs and curly quotes */
    {"kbs_full.txt", ART_KBS, "Economy", "Exports of Chips Rebound for Third Straight Month",
     "YONHAP News", "Park Ji-won", "2024-03-01T10:12:40", "2024-03-01T11:30:05", 6,
     "South Korea\u2019s semiconductor shipments grew again in February, lifting overall exports "
     "even as car sales abroad cooled. Officials called the trend a sign that the long slump in "
     "memory prices is over.\nPark Ji-won has the details.",
     "Analysts at a Seoul brokerage expect the chip rally to carry into the second quarter but "
     "warned that a slowdown in China could cap the gains."},
    /* 1: no photo; Share/Print/List and a curly Editor's Pick after the byline */
    {"kbs_nophoto.txt", ART_KBS, "Diplomacy",
     "Seoul and Canberra Agree to Widen Defense Supply Talks", "", "Jung Woo-sung",
     "2023-11-14T16:02:11", "2023-11-14T18:45:00", 4,
     "The foreign and defense ministers of South Korea and Australia met in Melbourne on Tuesday "
     "and agreed to expand talks on defense supply chains.",
     "The ministers also discussed joint exercises planned for next year."},
    /* 2: no Updated, no top chrome, related headlines after "Related News" */
    {"kbs_noupdated.txt", ART_KBS, "Culture",
     "Gyeongju Museum Puts Silla Gold Crowns on Rare Display", "KBS News", "Seo Ha-rin",
     "2024-05-20T08:30:00", "", 3,
     "Three gold crowns from the ancient Silla kingdom will be shown together for the first time "
     "in a decade.",
     "Curator Bae Yu-jin said visitors will be able to see the tiny jade ornaments up close "
     "through new magnifying screens."},
    /* 3: no Anchor/Report labels, ", KBS News" byline */
    {"kbs_nolabels.txt", ART_KBS, "Sports", "Ulsan Clinches Third Straight K League Title",
     "YONHAP News", "Lee Da-eun", "2023-10-29T21:40:17", "2023-10-29T22:05:50", 3,
     "Ulsan HD secured the K League 1 championship on Sunday with two games to spare after a "
     "two-one win at home.",
     "The club will represent South Korea again in next season's Asian Champions League."},
    /* 4: CRLF, trailing spaces and NBSPs, Updated on its own line, "Photo:" */
    {"kbs_crlf.txt", ART_KBS, "North Korea", "Pyongyang Reports Record Wheat Harvest",
     "YONHAP News", "Yoo Jae-min", "2023-07-18T09:05:00", "2023-07-18T13:20:45", 3,
     "North Korean state media claimed on Tuesday that this year\u2019s wheat and barley harvest "
     "was the largest on record.",
     "Experts in Seoul said the claim could not be verified and noted that food prices in border "
     "markets remain high."},
    /* 5: no chrome, no title repeat, no byline, "Reporter:", a dotted date */
    {"kbs_nobyline.txt", ART_KBS, "Sci-Tech", "Korean Lunar Orbiter Sends Images of Polar Craters",
     "", "", "2024-02-29T00:00:00", "", 3,
     "The Korea Aerospace Research Institute released new images on Thursday taken by the lunar "
     "orbiter Danuri near the moon's south pole.",
     "Researchers plan to share the data with partner agencies by the end of the year."},
    /* 6: ", KBS World Radio" byline, Go Top inside the body, a two-line lead */
    {"kbs_worldradio.txt", ART_KBS, "Society", "Seoul Adds Late-Night Buses for Shift Workers",
     "Seoul Metropolitan Government", "Choi Min-seo", "2024-01-08T07:55:31", "2024-01-08T09:10:02",
     3,
     "The Seoul city government will add six late-night bus routes starting next month,\naimed "
     "at cleaners, security guards and hospital staff who travel before dawn.",
     "City officials said ridership on the first such route, launched last year, exceeded "
     "forecasts by forty percent."},
    /* 7: plain text, first line the title */
    {"plain.txt", ART_PLAIN, "", "Busan Port Volumes Climb on Transshipment Demand", "", "", "", "",
     3,
     "Container traffic at the port of Busan rose nine percent in the first half, the port "
     "authority said, helped by cargo moved between ships bound for other Asian hubs.",
     "The authority expects annual throughput to top twenty-four million containers for the "
     "first time."},
    /* 8: the Reuters archive layout */
    {"reuters.txt", ART_REUTERS, "", "Korea Electric Power swings to quarterly profit", "",
     "Kim Ha-jun", "2024-08-13T03:47:00", "", 2,
     "SEOUL  (Reuters) - Korea Electric Power Corp posted its first quarterly operating profit in "
     "two years on Tuesday as lower fuel costs and higher power tariffs took effect.",
     "The state-run utility earned an operating profit of 1.2 trillion won in April-June, beating "
     "the average forecast of analysts. Debt remains heavy, and the company said it would keep "
     "selling non-core assets. (Editing by Jane Doe)"},
    /* 9: Reuters without author; indented lines are paragraphs; 12:05am */
    {"reuters_nobyline.txt", ART_REUTERS, "", "Hanwha Ocean wins LNG carrier order", "", "",
     "2024-11-04T00:05:00", "", 3,
     "SEOUL  (Reuters) - Hanwha Ocean said on Monday it had won an order for two liquefied "
     "natural gas carriers worth 700 billion won from an Asian shipowner.",
     "Its shares rose 3 percent in early trade."},
    /* 10: a 20 Newsgroups post: Subject is the title, From the byline */
    {"news_post.txt", ART_PLAIN, "", "Re: Best season to hike Seoraksan?", "",
     "minsu@example.org (Min-su Oh)", "", "", 3,
     "In article <1234@example.org> jlee@example.net writes:\n>Planning a trip to Sokcho. When is "
     "the park least crowded?",
     "Avoid the autumn foliage weekends unless you like queues at the cable car."},
};

#define NFIXTURES (sizeof fixtures / sizeof fixtures[0])

/* Page furniture that must never reach a span (and so the index). */
static void expect_no_chrome(int no, const char *text, art_span s)
{
    static const char *const inside[] = {"Menu Content",
                                         "Go Top",
                                         "Related News",
                                         "Editor's Pick",
                                         "Editor\u2019s Pick",
                                         "This website uses cookies",
                                         "KBS World Radio News",
                                         "Anchor:",
                                         "Report:",
                                         "Reporter:",
                                         "Written:",
                                         "Updated:",
                                         "Photo :",
                                         "Photo:",
                                         "-- ",
                                         "Subject:",
                                         "Museum Attendance"};
    static const char *const lines[] = {"Close", "Share", "Print", "List"};
    char *str = span_str(text, s);
    for (size_t i = 0; i < sizeof inside / sizeof inside[0]; i++)
        cr_expect_null(strstr(str, inside[i]), "case %d: \"%s\" in span \"%s\"", no, inside[i],
                       str);
    for (char *ln = strtok(str, "\r\n"); ln; ln = strtok(NULL, "\r\n"))
        for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
            cr_expect_str_neq(ln, lines[i], "case %d: chrome line %s in a span", no, lines[i]);
    free(str);
}

Test(article, fixtures)
{
    for (size_t c = 0; c < NFIXTURES; c++) {
        const fixture_case *fc = &fixtures[c];
        int no = (int)c;
        size_t len;
        char *text = load_fixture(fc->file, &len);
        article a;
        parse_checked(text, len, &a, fc->file);
        cr_expect_eq(a.layout, fc->layout, "case %d (%s): layout %d", no, fc->file, a.layout);
        expect_span("category", no, text, a.category, fc->category);
        expect_span("title", no, text, a.title, fc->title);
        expect_span("photo", no, text, a.photo, fc->photo);
        expect_span("byline", no, text, a.byline, fc->byline);
        cr_expect_str_eq(a.written, fc->written, "case %d: written %s", no, a.written);
        cr_expect_str_eq(a.updated, fc->updated, "case %d: updated %s", no, a.updated);
        cr_expect_eq(a.npara, fc->npara, "case %d (%s): %zu paragraphs, want %zu", no, fc->file,
                     a.npara, fc->npara);
        if (a.npara > 0) {
            expect_span("first paragraph", no, text, a.paras[0], fc->first);
            expect_span("last paragraph", no, text, a.paras[a.npara - 1], fc->last);
        }
        const art_span fields[4] = {a.category, a.title, a.photo, a.byline};
        for (size_t i = 0; i < 4; i++)
            expect_no_chrome(no, text, fields[i]);
        for (size_t i = 0; i < a.npara; i++)
            expect_no_chrome(no, text, a.paras[i]);
        article_free(&a);
        free(text);
    }
}

Test(article, free_is_safe)
{
    article_free(NULL);
    article a;
    cr_assert_eq(article_parse("Title\n\nBody.\n", 13, &a), 0);
    article_free(&a);
    cr_expect_null(a.paras);
    cr_expect_eq(a.npara, 0);
    article_free(&a); /* twice: the first left it empty */
}

/* ---------------------------------------------------------------------- */
/* Small and awkward inputs                                                */
/* ---------------------------------------------------------------------- */

typedef struct edge_case {
    const char *text;
    int layout;
    const char *title;
    const char *byline;
    size_t npara;
    const char *first; /* first paragraph, or NULL when npara is 0 */
    const char *written;
} edge_case;

static const edge_case edges[] = {
    /* 0 */ {"", ART_PLAIN, "", "", 0, NULL, ""},
    /* 1 */ {"\n\n \r\n\xc2\xa0\n\t\n", ART_PLAIN, "", "", 0, NULL, ""},
    /* 2 */ {"Written: 2019-08-01 15:25:05", ART_KBS, "", "", 0, NULL, "2019-08-01T15:25:05"},
    /* 3 */
    {"Harbor Reopens\nWritten: 2019-08-01 15:25:05", ART_KBS, "Harbor Reopens", "", 0, NULL,
     "2019-08-01T15:25:05"},
    /* 4 */
    {"Written: 2019-08-01\nText right after.", ART_KBS, "", "", 1, "Text right after.",
     "2019-08-01T00:00:00"},
    /* 5: not a timestamp, so not a KBS page */
    {"Letters\nWritten: by a reader in Daegu\n\nThanks.", ART_PLAIN, "Letters", "", 2,
     "Written: by a reader in Daegu", ""},
    /* 6: old Mac line ends */
    {"Title\r\rOne.\rTwo.\r\rThree.", ART_PLAIN, "Title", "", 2, "One.\rTwo.", ""},
    /* 7: a label alone on its line */
    {"T\nWritten: 2020-01-02 03:04:05\n\nReport:\nThe text.\n", ART_KBS, "T", "", 1, "The text.",
     "2020-01-02T03:04:05"},
    /* 8: only chrome */
    {"Menu Content\nGo Top\nClose\nRelated News\nThe end.", ART_PLAIN, "", "", 0, NULL, ""},
    /* 9: a sentence ending in KBS News is text, not a byline */
    {"Title\n\nThe interview was broadcast by KBS News\n", ART_PLAIN, "Title", "", 1,
     "The interview was broadcast by KBS News", ""},
    /* 10: two "--" lines are not the Reuters layout */
    {"-- a\n-- b\n\ntext", ART_PLAIN, "-- a", "", 2, "-- b", ""},
    /* 11: nor three without a date or url among them */
    {"-- one\n-- two\n-- three\n\ntext", ART_PLAIN, "-- one", "", 2, "-- two\n-- three", ""},
    /* 12: no newline at all */
    {"Just one line", ART_PLAIN, "Just one line", "", 0, NULL, ""},
    /* 13: a header block without From: is not a post */
    {"Seoul: markets rally\n\nStocks rose.", ART_PLAIN, "Seoul: markets rally", "", 1,
     "Stocks rose.", ""},
    /* 14: a Written line with a zone after the time */
    {"T\nWritten: 2021-06-30 23:59:59 KST\nBody", ART_KBS, "T", "", 1, "Body",
     "2021-06-30T23:59:59"},
    /* 15: a sign-off before any text does not swallow the story */
    {"T\nWritten: 2020-01-02\n\nKim Ha-na, KBS News\n\nThe story.\n", ART_KBS, "T", "Kim Ha-na", 1,
     "The story.", "2020-01-02T00:00:00"},
    /* 16: a sign-off with a full stop, then text that is not the article's */
    {"T\nWritten: 2020-01-02\n\nThe story.\nKim Ha-na, KBS World Radio News.\nMore.", ART_KBS, "T",
     "Kim Ha-na", 1, "The story.", "2020-01-02T00:00:00"},
    /* 17: a sign-off without a name */
    {"T\nWritten: 2020-01-02\n\nThe story.\nKBS News\n", ART_KBS, "T", "", 1, "The story.",
     "2020-01-02T00:00:00"},
    /* 18: Reuters with the header only */
    {"-- Headline\n-- By \n-- Mon Oct 30, 2006 1:25am EST", ART_REUTERS, "Headline", "", 0, NULL,
     "2006-10-30T01:25:00"},
    /* 19: a post whose Subject is missing */
    {"From: a@example.org\n\nHello.", ART_PLAIN, "", "a@example.org", 1, "Hello.", ""},
};

Test(article, edge_inputs)
{
    for (size_t c = 0; c < sizeof edges / sizeof edges[0]; c++) {
        const edge_case *e = &edges[c];
        size_t len = strlen(e->text);
        char what[32];
        snprintf(what, sizeof what, "edge %zu", c);
        article a;
        parse_checked(e->text, len, &a, what);
        cr_expect_eq(a.layout, e->layout, "%s: layout %d", what, a.layout);
        expect_span("title", (int)c, e->text, a.title, e->title);
        expect_span("byline", (int)c, e->text, a.byline, e->byline);
        cr_expect_eq(a.npara, e->npara, "%s: %zu paragraphs", what, a.npara);
        if (e->first && a.npara > 0)
            expect_span("first", (int)c, e->text, a.paras[0], e->first);
        cr_expect_str_eq(a.written, e->written, "%s", what);
        article_free(&a);
    }
    article a;
    cr_assert_eq(article_parse(NULL, 0, &a), 0);
    cr_expect_eq(a.npara, 0);
    article_free(&a);
}

/* ---------------------------------------------------------------------- */
/* Dates                                                                   */
/* ---------------------------------------------------------------------- */

typedef struct date_case {
    const char *in;
    const char *want; /* NULL: must be rejected */
} date_case;

static const date_case dates[] = {
    /* 0 */ {"2019-08-01 15:25:05", "2019-08-01T15:25:05"},
    /* 1 */ {"2019-08-01 15:25", "2019-08-01T15:25:00"},
    /* 2 */ {"2019-08-01", "2019-08-01T00:00:00"},
    /* 3 */ {"2019.08.01", "2019-08-01T00:00:00"},
    /* 4 */ {"2019.08.01 07:30", "2019-08-01T07:30:00"},
    /* 5 */ {"2019-08-01T23:59:59", "2019-08-01T23:59:59"},
    /* 6 */ {"  2019-08-01 \t", "2019-08-01T00:00:00"},
    /* 7 */ {"2024-02-29", "2024-02-29T00:00:00"},
    /* 8 */ {"2000-02-29", "2000-02-29T00:00:00"},
    /* 9 */ {"2019-12-31 00:00:00", "2019-12-31T00:00:00"},
    /* 10 */ {"Sat Oct 21, 2006 8:11pm EDT", "2006-10-21T20:11:00"},
    /* 11 */ {"Mon Oct 30, 2006 1:25am EST", "2006-10-30T01:25:00"},
    /* 12 */ {"Sun Oct 29, 2006 12:05am EST", "2006-10-29T00:05:00"},
    /* 13 */ {"Tue Nov 7, 2006 12:30pm EST", "2006-11-07T12:30:00"},
    /* 14 */ {"Oct 21, 2006", "2006-10-21T00:00:00"},
    /* 15 */ {"September 3, 2010 9:00 p.m.", "2010-09-03T21:00:00"},
    /* 16 */ {"Thu Feb 29, 2024 10:15", "2024-02-29T10:15:00"},
    /* 17 */ {"", NULL},
    /* 18 */ {"2019-13-01", NULL},
    /* 19 */ {"2019-00-10", NULL},
    /* 20 */ {"2019-02-29", NULL},
    /* 21 */ {"1900-02-29", NULL},
    /* 22 */ {"2019-04-31", NULL},
    /* 23 */ {"2019-08-32", NULL},
    /* 24 */ {"2019-08-00", NULL},
    /* 25 */ {"2019-08-01 24:00", NULL},
    /* 26 */ {"2019-08-01 23:60", NULL},
    /* 27 */ {"2019-08-01 23:59:60", NULL},
    /* 28 */ {"2019-8-1", NULL},
    /* 29 */ {"19-08-01", NULL},
    /* 30 */ {"2019-08.01", NULL},
    /* 31 */ {"2019-08-01x", NULL},
    /* 32 */ {"2019-08-01 15", NULL},
    /* 33 */ {"2019-08-01 15:2", NULL},
    /* 34 */ {"0000-01-01", NULL},
    /* 35 */ {"abcd-ef-gh", NULL},
    /* 36 */ {"2019-08-01 15:25:05 and more", NULL},
    /* 37 */ {"Sat Foo 21, 2006", NULL},
    /* 38 */ {"Oct 32, 2006", NULL},
    /* 39 */ {"Oct 21, 2006 13:00pm", NULL},
    /* 40 */ {"Oct 21, 2006 0:10am", NULL},
    /* 41 */ {"Feb 29, 2006", NULL},
    /* 42 */ {"Oct 21, 20061", NULL},
    /* 43 */ {"99999999999999999999-01-01", NULL},
    /* 44 */ {"2019-08-01\n15:25", NULL},
};

Test(article, parse_date)
{
    for (size_t c = 0; c < sizeof dates / sizeof dates[0]; c++) {
        char out[20] = "untouched";
        int r = article_parse_date(dates[c].in, strlen(dates[c].in), out);
        if (dates[c].want) {
            cr_expect_eq(r, 0, "date %zu \"%s\" rejected", c, dates[c].in);
            cr_expect_str_eq(out, dates[c].want, "date %zu \"%s\"", c, dates[c].in);
        } else {
            cr_expect_eq(r, -1, "date %zu \"%s\" accepted as %s", c, dates[c].in, out);
            cr_expect_str_eq(out, "untouched", "date %zu: output changed on failure", c);
        }
    }
}

Test(article, parse_date_honours_length)
{
    char out[20];
    cr_assert_eq(article_parse_date("2019-08-01 15:25:05", 10, out), 0);
    cr_expect_str_eq(out, "2019-08-01T00:00:00");
    cr_expect_eq(article_parse_date("2019-08-01", 9, out), -1);
    cr_expect_eq(article_parse_date(NULL, 0, out), -1);
}

/* ---------------------------------------------------------------------- */
/* Binary detection                                                        */
/* ---------------------------------------------------------------------- */

typedef struct bin_case {
    const char *data;
    size_t len; /* 0: strlen */
    int binary;
} bin_case;

static const bin_case bins[] = {
    /* 0 */ {"", 0, 0},
    /* 1 */ {"Plain news text.\n", 0, 0},
    /* 2 */ {"a\0b", 3, 1},
    /* 3 */ {"\xec\x84\x9c\xec\x9a\xb8 \xeb\x89\xb4\xec\x8a\xa4", 0, 0},
    /* 4 */ {"\t\r\n\f", 0, 0},
    /* 5: one Latin-1 byte in 36: under 10% */
    {"The caf\xe9 on the corner reopened today.", 0, 0},
    /* 6: 2 control bytes in 20 is 10%, not more */
    {"abcdefghij\x01klmnopq\x02r", 0, 0},
    /* 7: 3 in 20 */
    {"abcdefghi\x01\x02klmnopq\x03r", 0, 1},
    /* 8: invalid UTF-8 throughout */
    {"\xff\xfe\x80\x81\x82\x83 ab", 0, 1},
    /* 9: DEL and escape bytes */
    {"\x7f\x1b\x7f\x1b", 0, 1},
    /* 10: a truncated sequence counts as invalid */
    {"ab\xe2\x80", 0, 1},
};

Test(article, is_binary_table)
{
    for (size_t c = 0; c < sizeof bins / sizeof bins[0]; c++) {
        size_t len = bins[c].len ? bins[c].len : strlen(bins[c].data);
        cr_expect_eq(!!article_is_binary(bins[c].data, len), bins[c].binary, "binary case %zu", c);
    }
    cr_expect_eq(article_is_binary(NULL, 0), 0);
}

/* Only the first 64 KiB count, and a character cut by that edge is no fault. */
Test(article, is_binary_window)
{
    size_t len = 70000;
    char *d = malloc(len);
    cr_assert_not_null(d);
    memset(d, 'a', len);
    d[66000] = '\0';
    memset(d + 67000, 0xff, 2000);
    cr_expect_eq(article_is_binary(d, len), 0, "bytes after 64 KiB were looked at");
    memset(d, 'a', len);
    memcpy(d + 65535, "\xec\x84\x9c", 3);
    cr_expect_eq(article_is_binary(d, len), 0, "a character cut by the window edge is no fault");
    memset(d, 0x01, 65536 / 10);
    cr_expect_eq(article_is_binary(d, len), 0, "exactly 10%% control bytes is still text");
    d[65536 / 10] = 0x01;
    cr_expect_eq(article_is_binary(d, len), 1);
    free(d);
}

/* ---------------------------------------------------------------------- */
/* Robustness                                                              */
/* ---------------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64*: a fixed seed gives the same inputs on every run. */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static void parse_any(const char *data, size_t len, const char *what)
{
    article a;
    parse_checked(data, len, &a, what);
    article_free(&a);
    /* The same bytes after repair, as the indexer feeds them. */
    const char *fixed;
    size_t flen;
    char *owned;
    cr_assert_eq(utf8_repair(data, len, &fixed, &flen, &owned), 0);
    parse_checked(fixed, flen, &a, what);
    article_free(&a);
    free(owned);
}

Test(article, random_inputs, .timeout = 120)
{
    static const char *const pieces[] = {
        "Written: 2019-08-01 15:25:05",
        "Written: 2019-08-01 15:25:05Updated: 2019-08-01 16:47:28",
        "Written:",
        "Updated: 2020-02-29",
        "Updated:",
        "Photo : ",
        "Photo:",
        "Anchor: ",
        "Report:",
        "Reporter: ",
        ", KBS World Radio News",
        ", KBS News",
        "KBS World Radio",
        "Related News",
        "Editor's Pick",
        "Close",
        "Go Top",
        "Menu Content",
        "Share",
        "This website uses cookies",
        "-- ",
        "-- By ",
        "--",
        "Sat Oct 21, 2006 8:11pm EDT",
        "From: someone@example.org",
        "Subject: ",
        "Lines: 3",
        "\n",
        "\n",
        "\n",
        "\n\n",
        "\r\n",
        "\r",
        " ",
        "\t",
        "\xc2\xa0",
        "\xe2\x80\x99",
        "\xe3\x80\x80",
        "\xef\xbb\xbf",
        "\xe2\x80",
        "\xc2",
        "Economy",
        "Harbor Strike Ends",
        "word",
        "2019",
        ":",
        ",",
    };
    const size_t npieces = sizeof pieces / sizeof pieces[0];
    uint64_t seed = 0x6b627361727469ull;
    char *buf = malloc(8192);
    cr_assert_not_null(buf);
    for (int iter = 0; iter < 4000; iter++) {
        size_t len = 0;
        char what[48];
        if (iter % 4 == 3) {
            /* Raw bytes, weighted towards line breaks so lines stay short. */
            size_t n = (size_t)(rng_next(&seed) % 600);
            for (size_t i = 0; i < n; i++) {
                uint64_t r = rng_next(&seed);
                buf[len++] = (r % 7 == 0) ? '\n' : (char)(r >> 24);
            }
        } else {
            size_t n = (size_t)(rng_next(&seed) % 80);
            for (size_t i = 0; i < n; i++) {
                uint64_t r = rng_next(&seed);
                const char *p;
                char one[2] = {(char)(r >> 40), '\0'};
                p = (r % 13 == 0) ? one : pieces[(r >> 8) % npieces];
                size_t pl = p == one ? 1 : strlen(p);
                memcpy(buf + len, p, pl);
                len += pl;
            }
        }
        snprintf(what, sizeof what, "random input %d", iter);
        /* An exact-size copy, so reading one byte past would be caught by ASan. */
        char *exact = malloc(len ? len : 1);
        cr_assert_not_null(exact);
        memcpy(exact, buf, len);
        parse_any(exact, len, what);
        free(exact);
    }
    free(buf);
}

/* Every fixture cut short at every 97th byte, and with each line removed. */
Test(article, mutated_fixtures, .timeout = 120)
{
    for (size_t c = 0; c < NFIXTURES; c++) {
        size_t len;
        char *text = load_fixture(fixtures[c].file, &len);
        char what[96];
        for (size_t cut = 0;; cut += 97) {
            if (cut > len)
                cut = len;
            char *part = malloc(cut ? cut : 1);
            cr_assert_not_null(part);
            memcpy(part, text, cut);
            snprintf(what, sizeof what, "%s cut at %zu", fixtures[c].file, cut);
            parse_any(part, cut, what);
            free(part);
            if (cut == len)
                break;
        }
        size_t nlines = 0;
        for (size_t i = 0; i < len; i++)
            nlines += text[i] == '\n';
        for (size_t drop = 0; drop <= nlines; drop++) {
            char *out = malloc(len + 1);
            cr_assert_not_null(out);
            size_t o = 0, line = 0;
            for (size_t i = 0; i < len; i++) {
                if (line != drop)
                    out[o++] = text[i];
                if (text[i] == '\n')
                    line++;
            }
            snprintf(what, sizeof what, "%s without line %zu", fixtures[c].file, drop);
            parse_any(out, o, what);
            free(out);
        }
        free(text);
    }
}

/* A 50 MB line must cost a pass or two, not a quadratic search. */
Test(article, huge_line, .timeout = 120)
{
    const size_t big = 50u * 1024 * 1024;
    static const char head[] = "Economy\nHarbor Strike Ends\nWritten: 2022-05-05 10:00:00";
    size_t len = sizeof head - 1 + big;
    char *text = malloc(len);
    cr_assert_not_null(text);
    memcpy(text, head, sizeof head - 1);
    memset(text + sizeof head - 1, 'U', big); /* 'U' starts "Updated": the worst case */
    article a;
    parse_checked(text, len, &a, "huge Written line");
    cr_expect_eq(a.layout, ART_KBS);
    cr_expect_str_eq(a.written, "2022-05-05T10:00:00");
    article_free(&a);

    memset(text, 'x', len);
    text[len / 2] = '\n';
    parse_checked(text, len, &a, "two huge lines");
    cr_expect_eq(a.layout, ART_PLAIN);
    cr_expect_eq(a.title.len, len / 2);
    cr_expect_eq(a.npara, 1);
    article_free(&a);
    free(text);
}
