/* test_query.c - the query language: what each query is read as (the
 * described form, table-driven), the errors with their messages and
 * positions, the plan's lists, odd and hostile inputs (fuzzed), and the
 * language end to end through the public API on small invented articles. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kbsearch.h"
#include "query.h"
#include "schema.h"
#include "stem.h"
#include "testutil.h"
#include "xapian_shim.h"

/* ---- helpers ------------------------------------------------------------- */

static stemmer *new_stemmer(void)
{
    stemmer *st = NULL;
    cr_assert_eq(stemmer_new("english", &st), 0);
    return st;
}

static int parse_with(const char *q, size_t len, int any, uint32_t max_exp, xs_db *db,
                      query_plan *plan, query_error *err)
{
    stemmer *st = new_stemmer();
    query_options o;
    memset(&o, 0, sizeof o);
    o.match_any = any;
    o.max_expansion = max_exp;
    int s = query_parse(q, len, &o, st, db, plan, err);
    stemmer_free(st);
    return s;
}

static int parse(const char *q, int any, query_plan *plan, query_error *err)
{
    return parse_with(q, strlen(q), any, QUERY_DEFAULT_EXPANSION, NULL, plan, err);
}

/* A small database through the shim, so every parsed query can also be run:
 * Xapian refuses some shapes (a phrase under NEAR) only when it runs them. */
static xs_db *small_db(const char *dir)
{
    xs_db *db = NULL;
    char err[256];
    cr_assert_eq(xs_db_open(dir, XS_OPEN_WRITE_CREATE, &db, err, sizeof err), KBS_OK, "%s", err);
    static const char *const body[] = {"secur", "cooper", "between", "korea", "and", "japan"};
    /* The words as written, whose form tags a quoted phrase asks for. */
    static const char *const form[] = {"security", "cooperation", "between",
                                       "korea",    "and",         "japan"};
    for (int d = 0; d < 3; d++) {
        xs_doc *doc = NULL;
        cr_assert_eq(xs_doc_new(&doc), KBS_OK);
        char id[16];
        snprintf(id, sizeof id, "Qdoc%d", d);
        cr_assert_eq(xs_doc_add_term(doc, id, strlen(id), 0), KBS_OK);
        for (uint32_t i = 0; i < 6; i++)
            cr_assert_eq(
                xs_doc_add_posting(doc, body[(i + d) % 6], strlen(body[(i + d) % 6]), i + 200, 1,
                                   stem_form_tag(form[(i + d) % 6], strlen(form[(i + d) % 6]))),
                KBS_OK);
        cr_assert_eq(xs_doc_add_posting(doc, "Skorea", 6, 1, 1, 0), KBS_OK);
        cr_assert_eq(xs_doc_add_term(doc, "Akim", 4, 1), KBS_OK);
        cr_assert_eq(xs_doc_add_term(doc, "XCeconomy", 9, 0), KBS_OK);
        cr_assert_eq(xs_doc_set_value(doc, SLOT_WRITTEN, "2019-08-01T10:00:00", 19), KBS_OK);
        uint32_t docid;
        cr_assert_eq(xs_db_replace(db, id, strlen(id), doc, &docid), KBS_OK);
        xs_doc_free(doc);
    }
    cr_assert_eq(xs_db_commit(db), KBS_OK);
    return db;
}

static int run_query(xs_db *db, const xs_query *q)
{
    xs_search_params sp;
    memset(&sp, 0, sizeof sp);
    sp.k1 = 1.2;
    sp.b = 0.75;
    sp.limit = 5;
    sp.sort_slot = -1;
    xs_match m[5];
    xs_search_result res;
    return xs_db_search(db, q, &sp, m, &res);
}

/* ---- what queries are read as ------------------------------------------- */

struct desc_case {
    int n;
    int any; /* match-any mode */
    const char *query;
    const char *described;
};

#define W(s) s

static const struct desc_case desc_cases[] = {
    /* words, phrases, prefixes */
    {1, 0, "security", W("secur")},
    {2, 0, "Security cooperation", "AND(" W("secur") ", " W("cooper") ")"},
    {3, 0, "\"security cooperation\"", "PHRASE(\"security cooperation\")"},
    {4, 0, "\"Security\"", "PHRASE(\"security\")"},
    {5, 0, "Kang-Kono", "PHRASE(kang kono)"},
    {6, 0, "secur*", "secur*"},
    {7, 0, "Secur* japan", "AND(secur*, " W("japan") ")"},
    {8, 0, "\"security cooperation\" japan",
     "AND(PHRASE(\"security cooperation\"), " W("japan") ")"},
    /* boolean operators */
    {10, 0, "korea AND japan", "AND(" W("korea") ", " W("japan") ")"},
    {11, 0, "korea OR japan", "OR(" W("korea") ", " W("japan") ")"},
    {12, 0, "korea -japan", "AND(" W("korea") ", NOT(" W("japan") "))"},
    {13, 0, "korea NOT japan", "AND(" W("korea") ", NOT(" W("japan") "))"},
    {14, 0, "korea AND NOT japan", "AND(" W("korea") ", NOT(" W("japan") "))"},
    {15, 0, "NOT japan", "AND(ALL, NOT(" W("japan") "))"},
    {16, 0, "-japan", "AND(ALL, NOT(" W("japan") "))"},
    {17, 0, "-\"security cooperation\"", "AND(ALL, NOT(PHRASE(\"security cooperation\")))"},
    {18, 0, "korea -(japan china)",
     "AND(" W("korea") ", NOT(AND(" W("japan") ", " W("china") ")))"},
    {19, 0, "NOT NOT korea", W("korea")},
    {20, 0, "+korea japan", "AND(" W("korea") ", " W("japan") ")"},
    {21, 0, "korea NEAR japan", "NEAR/10(korea, japan)"},
    {22, 0, "korea NEAR/3 japan NEAR/3 china", "NEAR/3(korea, japan, china)"},
    {23, 0, "korea NEAR/2 japan NEAR/7 china", "NEAR/7(korea, japan, china)"},
    {24, 0, "\"security cooperation\" NEAR/5 japan",
     "NEAR/5(PHRASE(\"security cooperation\"), japan)"},
    {25, 0, "title:korea NEAR title:japan", "NEAR/10(title:korea, title:japan)"},
    {26, 0, "the NEAR economy", "NEAR/10(the, economi)"},
    /* precedence: NOT/-/+ > NEAR > AND > OR */
    {30, 0, "korea japan OR china", "OR(AND(" W("korea") ", " W("japan") "), " W("china") ")"},
    {31, 0, "korea OR japan china", "OR(" W("korea") ", AND(" W("japan") ", " W("china") "))"},
    {32, 0, "korea AND japan OR china", "OR(AND(" W("korea") ", " W("japan") "), " W("china") ")"},
    {33, 0, "(korea OR japan) china", "AND(OR(" W("korea") ", " W("japan") "), " W("china") ")"},
    {34, 0, "korea japan NEAR china", "AND(" W("korea") ", NEAR/10(japan, china))"},
    {35, 0, "korea OR japan NEAR china", "OR(" W("korea") ", NEAR/10(japan, china))"},
    {36, 0, "korea OR -japan", "OR(" W("korea") ", AND(ALL, NOT(" W("japan") ")))"},
    {37, 0, "((korea))", W("korea")},
    {38, 0, "korea (japan china)", "AND(" W("korea") ", " W("japan") ", " W("china") ")"},
    {39, 0, "(korea OR japan) OR china", "OR(" W("korea") ", " W("japan") ", " W("china") ")"},
    /* stop words */
    {40, 0, "the economy", W("economi")},
    {41, 0, "the who", "AND(" W("the") ", " W("who") ")"},
    {42, 0, "\"to be or not to be\"", "PHRASE(\"to be or not to be\")"},
    {43, 0, "to be OR not to be",
     "OR(AND(" W("to") ", " W("be") "), AND(" W("not") ", " W("to") ", " W("be") "))"},
    {44, 0, "economy OR the", W("economi")},
    {45, 0, "state-of-the-art", "PHRASE(state of the art)"},
    {46, 0, "korea and japan", "AND(" W("korea") ", " W("japan") ")"},
    {47, 0, "korea or not japan", "AND(" W("korea") ", " W("japan") ")"},
    {48, 0, "the -economy", "AND(" W("the") ", NOT(" W("economi") "))"},
    /* fields */
    {50, 0, "title:korea", "title:korea"},
    {51, 0, "body:korea", "body:korea"},
    {52, 0, "Title:Korea", "title:korea"},
    {53, 0, "title:\"security cooperation\"", "title:PHRASE(\"security cooperation\")"},
    {54, 0, "body:\"security cooperation\"", "body:PHRASE(\"security cooperation\")"},
    {55, 0, "title:(korea japan)", "AND(title:korea, title:japan)"},
    {56, 0, "title:(korea OR body:japan)", "OR(title:korea, body:japan)"},
    {57, 0, "title:secur*", "title:secur*"},
    {58, 0, "by:kim", "by:kim"},
    {59, 0, "by:\"Kim Soyon\"", "AND(by:kim, by:soyon)"},
    {60, 0, "by:ki*", "by:ki*"},
    {61, 0, "foo:bar", "AND(" W("foo") ", " W("bar") ")"},
    {62, 0, "title:Kang-Kono", "title:PHRASE(kang kono)"},
    /* filters */
    {70, 0, "category:economy korea", "AND(FILTER(category:economy), " W("korea") ")"},
    {71, 0, "korea category:\"North Korea\"",
     "AND(" W("korea") ", FILTER(category:\"north korea\"))"},
    {72, 0, "korea category:north-korea", "AND(" W("korea") ", FILTER(category:\"north korea\"))"},
    {73, 0, "korea -category:sports", "AND(" W("korea") ", NOT(category:sports))"},
    {74, 0, "category:economy", "AND(ALL, FILTER(category:economy))"},
    {75, 0, "category:economy date:2019", "AND(ALL, FILTER(category:economy), DATE(2019))"},
    {76, 0, "korea category:(economy OR politics)",
     "AND(" W("korea") ", FILTER(OR(category:economy, category:politics)))"},
    {77, 0, "korea OR category:economy", "OR(" W("korea") ", AND(ALL, FILTER(category:economy)))"},
    {78, 0, "secur* \"security cooperation\" category:\"north korea\" date:2019-08-01..2019-08-31",
     "AND(secur*, PHRASE(\"security cooperation\"), FILTER(category:\"north korea\"), "
     "DATE(2019-08-01..2019-08-31))"},
    /* dates */
    {80, 0, "korea date:2019-08-01", "AND(" W("korea") ", DATE(2019-08-01))"},
    {81, 0, "korea date:2019-08", "AND(" W("korea") ", DATE(2019-08))"},
    {82, 0, "korea date:2019", "AND(" W("korea") ", DATE(2019))"},
    {83, 0, "korea date:2019-08-01..2019-08-31",
     "AND(" W("korea") ", DATE(2019-08-01..2019-08-31))"},
    {84, 0, "korea date:..2019-08-31", "AND(" W("korea") ", DATE(..2019-08-31))"},
    {85, 0, "korea date:2019-08-01..", "AND(" W("korea") ", DATE(2019-08-01..))"},
    {86, 0, "korea date:2019..2020-06", "AND(" W("korea") ", DATE(2019..2020-06))"},
    {87, 0, "korea after:2019-08-01", "AND(" W("korea") ", DATE(after 2019-08-01))"},
    {88, 0, "korea before:2019-09-01", "AND(" W("korea") ", DATE(before 2019-09-01))"},
    {89, 0, "korea updated:2019-08", "AND(" W("korea") ", UPDATED(2019-08))"},
    {90, 0, "korea updated:2019-08-01..2019-08-02",
     "AND(" W("korea") ", UPDATED(2019-08-01..2019-08-02))"},
    {91, 0, "korea date:2019-8-1", "AND(" W("korea") ", DATE(2019-08-01))"},
    {92, 0, "korea date:2020-02-29", "AND(" W("korea") ", DATE(2020-02-29))"},
    {93, 0, "korea date:\"2019-08\"", "AND(" W("korea") ", DATE(2019-08))"},
    {94, 0, "korea -date:2019", "AND(" W("korea") ", NOT(DATE(2019)))"},
    {95, 0, "korea date:(2019 OR 2021)", "AND(" W("korea") ", FILTER(OR(DATE(2019), DATE(2021))))"},
    {96, 0, "date:2019", "AND(ALL, DATE(2019))"},
    /* leniency: punctuation, lone signs and stars, control bytes */
    {100, 0, "korea !! ... & ?", W("korea")},
    {101, 0, "korea * - + --", W("korea")},
    {102, 0, "korea ()", W("korea")},
    {103, 0, "korea\x01\x02\x7fjapan", "AND(" W("korea") ", " W("japan") ")"},
    {104, 0, "\"\" korea \"!!\"", W("korea")},
    {105, 0, "korea NEARBY", "AND(" W("korea") ", " W("nearbi") ")"},
    {106, 0, "korea*japan", "AND(korea*, " W("japan") ")"},
    {107, 0, "korea(japan)", "AND(" W("korea") ", " W("japan") ")"},
    {108, 0, "--korea", W("korea")},
    {109, 0, "-AND", "AND(ALL, NOT(" W("and") "))"},
    /* match-any mode */
    {120, 1, "security cooperation", "ANY(" W("secur") ", " W("cooper") ")"},
    {121, 1, "+security cooperation japan",
     "ANY(REQUIRED(" W("secur") "), " W("cooper") ", " W("japan") ")"},
    {122, 1, "korea AND japan china", "ANY(AND(" W("korea") ", " W("japan") "), " W("china") ")"},
    {123, 1, "security -japan", "ANY(" W("secur") ", NOT(" W("japan") "))"},
    {124, 1, "(korea japan) china", "ANY(" W("korea") ", " W("japan") ", " W("china") ")"},
    {125, 1, "(+korea japan) china",
     "ANY(ANY(REQUIRED(" W("korea") "), " W("japan") "), " W("china") ")"},
    {126, 1, "+korea", W("korea")},
    {127, 1, "korea category:economy", "ANY(" W("korea") ", FILTER(category:economy))"},
    {128, 1, "the who", "ANY(" W("the") ", " W("who") ")"},
};

Test(query, described)
{
    xs_db *db = small_db(tu_tmpdir());
    for (size_t i = 0; i < sizeof desc_cases / sizeof *desc_cases; i++) {
        const struct desc_case *c = &desc_cases[i];
        query_plan p;
        query_error e;
        int s = parse(c->query, c->any, &p, &e);
        cr_expect_eq(s, KBS_OK, "case %d [%s]: status %d: %s at %zu", c->n, c->query, s, e.msg,
                     e.pos);
        if (s == KBS_OK) {
            cr_expect_str_eq(buf_cstr(&p.described), c->described, "case %d [%s]", c->n, c->query);
            cr_expect_not_null(p.query, "case %d", c->n);
            /* Xapian accepts the query it is given, on a real database. */
            cr_expect_eq(run_query(db, p.query), KBS_OK, "case %d [%s]: %s", c->n, c->query,
                         xs_db_errmsg(db));
            if (p.fallback)
                cr_expect_eq(run_query(db, p.fallback), KBS_OK, "case %d fallback", c->n);
        }
        query_plan_free(&p);
    }
    xs_db_close(db);
    tu_rmtree(tu_tmpdir());
}

/* ---- errors ---------------------------------------------------------------- */

struct err_case {
    int n;
    const char *query;
    size_t pos;
    const char *msg;
};

#define DATE_MSG "expected a date like 2019, 2019-08 or 2019-08-01 after "
#define NEAR_NUM "expected a number from 1 to 1000 after NEAR/"

static const struct err_case err_cases[] = {
    {1, "(korea", 0, "missing ')' to close the '(' at 0"},
    {2, "korea (japan (china)", 6, "missing ')' to close the '(' at 6"},
    {3, "korea)", 5, "unexpected ')'"},
    {4, "(korea) japan) china", 13, "unexpected ')'"},
    {5, "\"korea", 0, "missing closing '\"' for the quote at 0"},
    {6, "korea \"japan china", 6, "missing closing '\"' for the quote at 6"},
    {7, "\"", 0, "missing closing '\"' for the quote at 0"},
    {8, "korea OR", 6, "expected a word after OR"},
    {9, "OR korea", 0, "expected a word before OR"},
    {10, "AND korea", 0, "expected a word before AND"},
    {11, "korea AND", 6, "expected a word after AND"},
    {12, "korea NOT", 6, "expected a word after NOT"},
    {13, "NOT", 0, "expected a word after NOT"},
    {14, "korea NEAR", 6, "expected a word after NEAR"},
    {15, "NEAR korea", 0, "expected a word before NEAR"},
    {16, "korea OR AND japan", 6, "expected a word after OR"},
    {17, "korea AND OR japan", 6, "expected a word after AND"},
    {18, "(OR korea)", 1, "expected a word before OR"},
    {19, "korea (japan OR)", 13, "expected a word after OR"},
    {20, "korea NEAR/0 japan", 6, NEAR_NUM},
    {21, "korea NEAR/1001 japan", 6, NEAR_NUM},
    {22, "korea NEAR/x japan", 6, NEAR_NUM},
    {23, "korea NEAR/ japan", 6, NEAR_NUM},
    {24, "korea NEAR/99999999999 japan", 6, NEAR_NUM},
    {25, "a*", 0, "a prefix needs at least 2 letters"},
    {26, "korea s*", 6, "a prefix needs at least 2 letters"},
    {27, "title:", 0, "expected a word, a \"phrase\" or ( after title:"},
    {28, "korea title: japan", 6, "expected a word, a \"phrase\" or ( after title:"},
    {29, "body:!!", 0, "expected a word, a \"phrase\" or ( after body:"},
    {30, "by:", 0, "expected a word, a \"phrase\" or ( after by:"},
    {31, "korea category:", 6, "expected a word, a \"phrase\" or ( after category:"},
    {32, "title:\"\"", 0, "expected a word, a \"phrase\" or ( after title:"},
    {33, "title:\"korea", 6, "missing closing '\"' for the quote at 6"},
    {34, "date:", 0, DATE_MSG "date:"},
    {35, "date:2019-13", 5, DATE_MSG "date:"},
    {36, "date:2019-02-29", 5, DATE_MSG "date:"},
    {37, "date:999", 5, DATE_MSG "date:"},
    {38, "date:0999", 5, DATE_MSG "date:"},
    {39, "date:2019-08-32", 5, DATE_MSG "date:"},
    {40, "date:2019-04-31", 5, DATE_MSG "date:"},
    {41, "date:2019-08-01..2019-13", 17, DATE_MSG "date:"},
    {42, "date:..", 5, DATE_MSG "date:"},
    {43, "date:2019/08/01", 5, DATE_MSG "date:"},
    {44, "date:2019-08-01T10", 5, DATE_MSG "date:"},
    {45, "date:2019-09-01..2019-08-31", 5,
     "the date range 2019-09-01..2019-08-31 ends before it starts"},
    {46, "after:2019..2020", 0, DATE_MSG "after:"},
    {47, "korea before:x", 13, DATE_MSG "before:"},
    {48, "updated:2019-", 8, DATE_MSG "updated:"},
    {49, "korea date: 2019", 6, DATE_MSG "date:"},
    {50, "", 0, "the query has no words to search for"},
    {51, "   ", 0, "the query has no words to search for"},
    {52, "!! ... &", 0, "the query has no words to search for"},
    {53, "*", 0, "the query has no words to search for"},
    {54, "-", 0, "the query has no words to search for"},
    {55, "()", 0, "the query has no words to search for"},
    {56, "\"\"", 0, "the query has no words to search for"},
    {57, "secur* NEAR japan", 7, "NEAR cannot be used with a prefix (word*)"},
    {58, "by:kim NEAR japan", 7,
     "NEAR joins words or \"phrases\" of the title or the body (not by:, category:, dates, NOT "
     "or groups)"},
    {59, "-korea NEAR japan", 7,
     "NEAR joins words or \"phrases\" of the title or the body (not by:, category:, dates, NOT "
     "or groups)"},
    {60, "(korea OR china) NEAR japan", 17,
     "NEAR joins words or \"phrases\" of the title or the body (not by:, category:, dates, NOT "
     "or groups)"},
    {61, "title:korea NEAR body:japan", 12, "NEAR cannot join title: words with body: words"},
    {62, "korea category:(", 15, "missing ')' to close the '(' at 15"},
};

Test(query, errors)
{
    for (size_t i = 0; i < sizeof err_cases / sizeof *err_cases; i++) {
        const struct err_case *c = &err_cases[i];
        query_plan p;
        query_error e;
        int s = parse(c->query, 0, &p, &e);
        cr_expect_eq(s, KBS_EQUERY, "case %d [%s]: status %d (%s)", c->n, c->query, s,
                     buf_cstr(&p.described));
        if (s == KBS_EQUERY) {
            cr_expect_str_eq(e.msg, c->msg, "case %d [%s]", c->n, c->query);
            cr_expect_eq(e.pos, c->pos, "case %d [%s]: pos %zu", c->n, c->query, e.pos);
        }
        /* A failed parse leaves the plan empty. */
        cr_expect_null(p.query, "case %d", c->n);
        cr_expect_eq(p.nstems, 0);
        cr_expect_eq(p.notes.len, 0);
        query_plan_free(&p);
    }
}

/* ---- the plan's lists ---------------------------------------------------------- */

static void phrases_str(const query_plan *p, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < p->nphrases; i++) {
        n += (size_t)snprintf(out + n, cap - n, "%s%d:", i ? "|" : "", p->phrases[i].field);
        for (size_t j = 0; j < p->phrases[i].nwords; j++)
            n += (size_t)snprintf(out + n, cap - n, "%s%s", j ? " " : "", p->phrases[i].words[j]);
    }
}

struct phrase_case {
    int n;
    int any;
    const char *query;
    const char *phrases; /* field:words|... of the exact-form phrases */
};

static const struct phrase_case phrase_cases[] = {
    {1, 0, "\"security cooperation\" japan", "0:security cooperation"},
    {2, 0, "\"Security Cooperation\"", "0:security cooperation"},
    {3, 0, "\"security cooperation\" OR japan", ""},
    {4, 0, "japan -\"security cooperation\"", ""},
    {5, 1, "\"security cooperation\" japan", ""},
    {6, 1, "+\"security cooperation\" japan", "0:security cooperation"},
    {7, 1, "\"security cooperation\"", "0:security cooperation"},
    {8, 1, "\"security cooperation\" -japan", "0:security cooperation"},
    {9, 0, "title:\"security cooperation\"", "1:security cooperation"},
    {10, 0, "body:\"security cooperation\"", "2:security cooperation"},
    {11, 0, "by:\"kim soyon\"", ""},
    {12, 0, "(\"security cooperation\" japan) china", "0:security cooperation"},
    {13, 0, "\"security cooperation\" NEAR japan", "0:security cooperation"},
    {14, 0, "\"to be or not to be\"", "0:to be or not to be"},
    {15, 0, "Kang-Kono", ""},
    {16, 0, "\"a b\" \"c d\"", "0:a b|0:c d"},
    {17, 0, "korea AND (\"a b\" OR c)", ""},
    {18, 0, "\"Émile's café\"", "0:emile's cafe"},
};

Test(query, required_phrases)
{
    for (size_t i = 0; i < sizeof phrase_cases / sizeof *phrase_cases; i++) {
        const struct phrase_case *c = &phrase_cases[i];
        query_plan p;
        query_error e;
        cr_assert_eq(parse(c->query, c->any, &p, &e), KBS_OK, "case %d: %s", c->n, e.msg);
        char got[512];
        phrases_str(&p, got, sizeof got);
        cr_expect_str_eq(got, c->phrases, "case %d [%s]", c->n, c->query);
        query_plan_free(&p);
    }
}

static void join(char *const *v, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        k += (size_t)snprintf(out + k, cap - k, "%s%s", i ? " " : "", v[i]);
}

Test(query, stems_words_prefixes)
{
    query_plan p;
    query_error e;
    const char *q = "\"Security cooperation\" exports secur* -china title:Korea by:Kim "
                    "category:economy date:2019 the exports (tariff OR duty) -\"trade war\"";
    cr_assert_eq(parse(q, 0, &p, &e), KBS_OK, "%s", e.msg);
    char got[512];
    /* Sorted, unique; positive words only; not category or date words. */
    join(p.stems, p.nstems, got, sizeof got);
    cr_expect_str_eq(got, "cooper duti export kim korea secur tariff");
    /* Query order, folded, as typed (for spelling); the dropped stop word is not there. */
    join(p.words, p.nwords, got, sizeof got);
    cr_expect_str_eq(got, "security cooperation exports korea kim exports tariff duty");
    join(p.prefixes, p.nprefixes, got, sizeof got);
    cr_expect_str_eq(got, "secur");
    cr_expect_eq(p.notes.len, 0);
    query_plan_free(&p);

    /* Stop words of a phrase are its words. */
    cr_assert_eq(parse("\"to be or not to be\"", 0, &p, &e), KBS_OK);
    join(p.stems, p.nstems, got, sizeof got);
    cr_expect_str_eq(got, "be not or to");
    query_plan_free(&p);
}

struct fallback_case {
    int n;
    int any;
    const char *query;
    int fallback;
};

static const struct fallback_case fallback_cases[] = {
    {1, 0, "security cooperation", 1},
    {2, 0, "security", 0},
    {3, 0, "security cooperation -japan category:economy date:2019", 1},
    {4, 0, "\"security cooperation\" japan", 1},
    {5, 0, "secur* japan", 1},
    {6, 0, "security AND cooperation", 0},
    {7, 0, "security OR cooperation", 0},
    {8, 0, "(security cooperation)", 0},
    {9, 0, "+security cooperation", 0},
    {10, 0, "security NEAR cooperation", 0},
    {11, 1, "security cooperation", 0},
    {12, 0, "the security", 0},
    {13, 0, "\"security cooperation\"", 0},
    {14, 0, "security category:economy", 0},
    {15, 0, "title:security body:cooperation", 1},
};

Test(query, fallback)
{
    xs_db *db = small_db(tu_tmpdir());
    for (size_t i = 0; i < sizeof fallback_cases / sizeof *fallback_cases; i++) {
        const struct fallback_case *c = &fallback_cases[i];
        query_plan p;
        query_error e;
        cr_assert_eq(parse(c->query, c->any, &p, &e), KBS_OK, "case %d: %s", c->n, e.msg);
        cr_expect_eq(p.fallback != NULL, c->fallback, "case %d [%s]", c->n, c->query);
        if (p.fallback)
            cr_expect_eq(run_query(db, p.fallback), KBS_OK, "case %d", c->n);
        query_plan_free(&p);
    }
    /* The fallback keeps the filters and exclusions: ANY of the words. */
    query_plan p;
    query_error e;
    cr_assert_eq(parse("korea japan -china category:economy", 0, &p, &e), KBS_OK);
    char *d = xs_query_describe(p.fallback);
    cr_assert_not_null(d);
    cr_expect(strstr(d, "korea") && strstr(d, "japan") && strstr(d, "AND_NOT") &&
                  strstr(d, "FILTER XCeconomy") && strstr(d, " OR "),
              "%s", d);
    free(d);
    query_plan_free(&p);
    xs_db_close(db);
    tu_rmtree(tu_tmpdir());
}

/* The shape of what Xapian is given, where the described form cannot tell. */
Test(query, xapian_shapes)
{
    static const struct {
        const char *query;
        int any;
        const char *want;
    } cases[] = {
        /* One term a word: title words are the body's terms too. */
        {"korea", 0, "Query(korea@1)"},
        {"title:korea", 0, "Query((korea@1 FILTER Skorea@2))"},
        {"body:korea", 0, "Query((korea@1 FILTER PostingSource(BodyOnly korea)))"},
        /* A quoted phrase's words at their own forms' places: the form tags
         * (stem_form_tag) of "security" and "cooperation". */
        {"title:\"security cooperation\"", 0,
         "(((secur@1 AND cooper@2) FILTER PostingSource(kbs::Phrase(secur~32 cooper~238, 2))) "
         "FILTER "
         "Ssecur@3 FILTER Scooper@4)"},
        {"title:korea NEAR title:japan", 0,
         "(((korea@1 AND japan@2) FILTER PostingSource(kbs::Near(korea japan, 11))) FILTER "
         "Skorea@3 FILTER Sjapan@4)"},
        {"by:kim", 0, "Akim@1"},
        /* Phrases and NEAR: the AND of the terms, filtered where they stand
         * (shim/positions.h). */
        {"\"security cooperation\"", 0,
         "Query(((secur@1 AND cooper@2) FILTER PostingSource(kbs::Phrase(secur~32 cooper~238, "
         "2))))"},
        {"korea NEAR/3 japan", 0,
         "Query(((korea@1 AND japan@2) FILTER PostingSource(kbs::Near(korea japan, 4))))"},
        {"korea NEAR/1 japan NEAR/1 china", 0, "kbs::Near(korea japan china, 3)"},
        {"category:economy", 0, "(0 * <alldocuments> FILTER XCeconomy@1)"},
        {"-korea", 0, "(0 * <alldocuments> AND_NOT korea@1)"},
        /* A whole day, month or year of the written date is its term. */
        {"korea date:2019-08-01", 0, "(korea@1 FILTER D20190801@2)"},
        {"korea date:2019-08", 0, "(korea@1 FILTER M201908@2)"},
        {"korea date:2019", 0, "(korea@1 FILTER Y2019@2)"},
        {"korea date:2019-08..2019-09", 0, "VALUE_RANGE 0 2019-08 2019-09\\x7f"},
        {"korea date:..2019-08-31", 0, "VALUE_LE 0 2019-08-31T\\x7f"},
        {"korea date:2019-08-01..", 0, "VALUE_GE 0 2019-08-01)"},
        {"korea after:2019-08-01", 0, "VALUE_GE 0 2019-08-01T\\x7f"},
        {"korea before:2019-09-01", 0, "VALUE_LE 0 2019-09-00\\x7f"},
        {"korea before:2019", 0, "VALUE_LE 0 2018\\x7f"},
        {"korea updated:2019", 0, "VALUE_RANGE 3 2019 2019\\x7f"},
        {"secur*", 0, "Query(WILDCARD SYNONYM secur)"},
        {"title:secur*", 0, "Query(WILDCARD SYNONYM Ssecur)"},
        {"+korea japan", 1, "Query((korea@1 AND_MAYBE japan@2))"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        query_plan p;
        query_error e;
        cr_assert_eq(parse(cases[i].query, cases[i].any, &p, &e), KBS_OK, "%s", e.msg);
        char *d = xs_query_describe(p.query);
        cr_assert_not_null(d);
        cr_expect(strstr(d, cases[i].want) != NULL, "[%s]: %s lacks %s", cases[i].query, d,
                  cases[i].want);
        free(d);
        query_plan_free(&p);
    }
}

/* ---- bounds and notes ---------------------------------------------------------- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

Test(query, ten_thousand_words_are_capped_fast)
{
    buf q = BUF_INIT;
    for (int i = 0; i < 10000; i++)
        buf_printf(&q, "%c%c%cword ", 'a' + i % 26, 'a' + i / 26 % 26, 'a' + i / 676 % 26);
    cr_assert(!buf_failed(&q));
    query_plan p;
    query_error e;
    double t0 = now();
    int s = parse_with(q.data, q.len, 0, 100, NULL, &p, &e);
    double t = now() - t0;
    cr_assert_eq(s, KBS_OK, "%s", e.msg);
    cr_expect_leq(p.nstems, QUERY_MAX_TERMS);
    cr_expect_geq(p.nstems, QUERY_MAX_TERMS - 10);
    cr_expect_str_eq(buf_cstr(&p.notes), "only the first 256 words of the query were used\n");
    cr_expect_lt(t, 60.0, "took %.2f s (a guard against quadratic work, not a speed goal)", t);
    query_plan_free(&p);

    /* The same with operators between the words. */
    buf_reset(&q);
    for (int i = 0; i < 10000; i++)
        buf_printf(&q, "%c%cx%s", 'a' + i % 26, 'a' + i / 26 % 26, i % 3 ? " OR " : " ");
    buf_append_str(&q, "end");
    s = parse_with(q.data, q.len, 1, 100, NULL, &p, &e);
    cr_assert_eq(s, KBS_OK, "%s", e.msg);
    cr_expect_neq(strstr(buf_cstr(&p.notes), "only the first 256"), NULL);
    query_plan_free(&p);

    /* A phrase of 10,000 words is over the limit as a whole. */
    buf_reset(&q);
    buf_append_str(&q, "korea \"");
    for (int i = 0; i < 10000; i++)
        buf_append_str(&q, "long phrase ");
    buf_append_str(&q, "\"");
    s = parse_with(q.data, q.len, 0, 100, NULL, &p, &e);
    cr_assert_eq(s, KBS_OK, "%s", e.msg);
    cr_expect_str_eq(buf_cstr(&p.described), W("korea"));
    query_plan_free(&p);
    buf_free(&q);
}

Test(query, nesting_is_bounded)
{
    /* QUERY_MAX_DEPTH levels are fine, one more is not. */
    char q[256];
    size_t n = 0;
    for (int i = 0; i < QUERY_MAX_DEPTH; i++)
        q[n++] = '(';
    memcpy(q + n, "korea", 5);
    n += 5;
    for (int i = 0; i < QUERY_MAX_DEPTH; i++)
        q[n++] = ')';
    query_plan p;
    query_error e;
    cr_expect_eq(parse_with(q, n, 0, 100, NULL, &p, &e), KBS_OK, "%s", e.msg);
    cr_expect_str_eq(buf_cstr(&p.described), W("korea"));
    query_plan_free(&p);
    memmove(q + 1, q, n);
    q[0] = '(';
    q[n + 1] = ')';
    n += 2;
    cr_expect_eq(parse_with(q, n, 0, 100, NULL, &p, &e), KBS_EQUERY);
    cr_expect_str_eq(e.msg, "the query nests deeper than 32 levels");
    cr_expect_eq(e.pos, QUERY_MAX_DEPTH);
    query_plan_free(&p);

    /* 1 MB of '(' and of NOT: an error, quickly. */
    size_t big = 1 << 20;
    char *b = malloc(big);
    cr_assert_not_null(b);
    memset(b, '(', big);
    double t0 = now();
    cr_expect_eq(parse_with(b, big, 0, 100, NULL, &p, &e), KBS_EQUERY);
    cr_expect_eq(e.pos, QUERY_MAX_DEPTH);
    query_plan_free(&p);
    for (size_t i = 0; i + 4 <= big; i += 4)
        memcpy(b + i, "NOT ", 4);
    cr_expect_eq(parse_with(b, big, 0, 100, NULL, &p, &e), KBS_EQUERY);
    cr_expect_str_eq(e.msg, "the query nests deeper than 32 levels");
    query_plan_free(&p);
    memset(b, '-', big - 1);
    b[big - 1] = 'x';
    cr_expect_eq(parse_with(b, big, 0, 100, NULL, &p, &e), KBS_EQUERY);
    query_plan_free(&p);
    /* 1 MB of "ab OR ": words past the limit, fine and fast. */
    for (size_t i = 0; i + 6 <= big; i += 6)
        memcpy(b + i, "ab OR ", 6);
    memset(b + big - big % 6 - 6, ' ', big % 6 + 6);
    memcpy(b + big - 2, "ab", 2);
    cr_expect_eq(parse_with(b, big, 0, 100, NULL, &p, &e), KBS_OK, "%s at %zu", e.msg, e.pos);
    query_plan_free(&p);
    /* Not a speed goal (bench/ has those): a guard against quadratic work,
     * which would take minutes; generous for sanitizer builds on a busy
     * machine. */
    cr_expect_lt(now() - t0, 60.0);
    free(b);
}

Test(query, prefix_expansion_note)
{
    const char *dir = tu_tmpdir();
    xs_db *db = NULL;
    char err[256];
    cr_assert_eq(xs_db_open(dir, XS_OPEN_WRITE_CREATE, &db, err, sizeof err), KBS_OK, "%s", err);
    static const char *const words[] = {"secur",    "secure",     "securing",
                                        "security", "securities", "securely"};
    xs_doc *doc = NULL;
    cr_assert_eq(xs_doc_new(&doc), KBS_OK);
    cr_assert_eq(xs_doc_add_term(doc, "Qone", 4, 0), KBS_OK);
    for (uint32_t i = 0; i < 6; i++) {
        cr_assert_eq(xs_doc_add_posting(doc, words[i], strlen(words[i]), i + 1, 1, 0), KBS_OK);
        char t[32];
        snprintf(t, sizeof t, "S%s", words[i]);
        cr_assert_eq(xs_doc_add_posting(doc, t, strlen(t), i + 1, 1, 0), KBS_OK);
    }
    uint32_t id;
    cr_assert_eq(xs_db_replace(db, "Qone", 4, doc, &id), KBS_OK);
    xs_doc_free(doc);
    cr_assert_eq(xs_db_commit(db), KBS_OK);

    query_plan p;
    query_error e;
    cr_assert_eq(parse_with("secur* korea", 12, 0, 3, db, &p, &e), KBS_OK, "%s", e.msg);
    cr_expect_str_eq(buf_cstr(&p.notes),
                     "secur* matches more than 3 words; only the 3 most frequent were searched\n");
    query_plan_free(&p);
    /* Once per prefix, and not when the bound holds, nor without a database. */
    cr_assert_eq(parse_with("secur* OR title:secur*", 22, 0, 3, db, &p, &e), KBS_OK);
    cr_expect_str_eq(buf_cstr(&p.notes),
                     "secur* matches more than 3 words; only the 3 most frequent were searched\n");
    query_plan_free(&p);
    cr_assert_eq(parse_with("secur*", 6, 0, 6, db, &p, &e), KBS_OK);
    cr_expect_str_eq(buf_cstr(&p.notes), "");
    query_plan_free(&p);
    cr_assert_eq(parse_with("securi*", 7, 0, 3, db, &p, &e), KBS_OK);
    cr_expect_str_eq(buf_cstr(&p.notes), "");
    query_plan_free(&p);
    cr_assert_eq(parse_with("secur*", 6, 0, 3, NULL, &p, &e), KBS_OK);
    cr_expect_str_eq(buf_cstr(&p.notes), "");
    query_plan_free(&p);
    /* The expansion itself keeps to the bound. */
    cr_assert_eq(parse_with("body:secur*", 11, 0, 3, db, &p, &e), KBS_OK);
    xs_search_params sp;
    memset(&sp, 0, sizeof sp);
    sp.k1 = 1.2;
    sp.b = 0.75;
    sp.limit = 5;
    sp.sort_slot = -1;
    xs_match m[5];
    xs_search_result res;
    cr_expect_eq(xs_db_search(db, p.query, &sp, m, &res), KBS_OK);
    cr_expect_eq(res.n, 1);
    query_plan_free(&p);
    xs_db_close(db);
    tu_rmtree(dir);
}

/* ---- hostile input ----------------------------------------------------------------- */

static uint64_t rng(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

static void check_any(const char *q, size_t len, int any, xs_db *db)
{
    query_plan p;
    query_error e;
    int s = parse_with(q, len, any, 5, db, &p, &e);
    cr_assert(s == KBS_OK || s == KBS_EQUERY, "[%.*s]: status %d", (int)len, q, s);
    if (s == KBS_OK) {
        cr_assert_not_null(p.query, "[%.*s]", (int)len, q);
        cr_assert_gt(p.described.len, 0);
        cr_assert_eq(run_query(db, p.query), KBS_OK, "[%.*s] %s: %s", (int)len, q,
                     buf_cstr(&p.described), xs_db_errmsg(db));
        if (p.fallback)
            cr_assert_eq(run_query(db, p.fallback), KBS_OK, "[%.*s] fallback", (int)len, q);
    } else {
        cr_assert_leq(e.pos, len, "[%.*s]: pos %zu", (int)len, q, e.pos);
        cr_assert_gt(strlen(e.msg), 0);
        cr_assert_null(p.query);
    }
    query_plan_free(&p);
}

Test(query, odd_inputs)
{
    xs_db *db = small_db(tu_tmpdir());
    static const char *const odd[] = {
        "\"",
        "\"\"\"",
        "the of and",
        "a",
        "*",
        "**korea**",
        "-\"\"",
        "+()",
        "NOT ()",
        "(((",
        ")))",
        "korea\"",
        "\x01\x02",
        "\xff\xfe\xfd",
        "\xc3",
        "korea \xe2\x80",
        "title:(",
        "date:(",
        "date:(2019",
        "NEAR/5",
        "\"a\" NEAR",
        "title:()",
        "category:()",
        "by:(kim)",
        "-title:korea",
        "+category:economy",
        "NOT date:2019",
        "+-+-x",
        "( ) ( )",
        "korea OR ()",
        "() OR korea",
        "title:(by:kim)",
    };
    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
        check_any(odd[i], strlen(odd[i]), 0, db);
        check_any(odd[i], strlen(odd[i]), 1, db);
    }
    /* Only stop words: they are what the user wants. */
    query_plan p;
    query_error e;
    cr_assert_eq(parse("the of and", 0, &p, &e), KBS_OK);
    cr_expect_str_eq(buf_cstr(&p.described), "AND(" W("the") ", " W("of") ", " W("and") ")");
    query_plan_free(&p);
    /* NUL bytes inside the query are white space, not its end. */
    cr_assert_eq(parse_with("korea\0japan", 11, 0, 5, NULL, &p, &e), KBS_OK);
    cr_expect_str_eq(buf_cstr(&p.described), "AND(" W("korea") ", " W("japan") ")");
    query_plan_free(&p);
    xs_db_close(db);
    tu_rmtree(tu_tmpdir());
}

Test(query, fuzz_random_bytes)
{
    xs_db *db = small_db(tu_tmpdir());
    uint64_t seed = 12345;
    char q[80];
    for (int i = 0; i < 3000; i++) {
        size_t len = rng(&seed) % sizeof q;
        for (size_t k = 0; k < len; k++) {
            /* Mostly printable ASCII and query syntax, some raw bytes. */
            uint64_t r = rng(&seed) % 100;
            q[k] = r < 60   ? (char)(' ' + rng(&seed) % 95)
                   : r < 80 ? "()\"-+*:. "[rng(&seed) % 9]
                            : (char)(rng(&seed) % 256);
        }
        check_any(q, len, i % 2, db);
    }
    xs_db_close(db);
    tu_rmtree(tu_tmpdir());
}

Test(query, fuzz_token_sequences)
{
    static const char *const alphabet[] = {
        "(",
        ")",
        "\"",
        "AND",
        "OR",
        "NOT",
        "NEAR",
        "NEAR/3",
        "NEAR/0",
        "-",
        "+",
        "*",
        "title:",
        "body:",
        "by:",
        "category:",
        "date:2019",
        "date:2019-08..",
        "after:2019-08-01",
        "before:x",
        "korea",
        "japan",
        "secur*",
        "the",
        "Kang-Kono",
        "\"security cooperation\"",
        "-korea",
        "+japan",
        "title:(",
        "category:economy",
        "!!",
        "s*",
        "foo:bar",
        "updated:2019-02-30",
        "x",
    };
    size_t na = sizeof alphabet / sizeof *alphabet;
    xs_db *db = small_db(tu_tmpdir());
    uint64_t seed = 42;
    buf q = BUF_INIT;
    int ok = 0;
    for (int i = 0; i < 4000; i++) {
        buf_reset(&q);
        size_t n = 1 + rng(&seed) % 9;
        for (size_t k = 0; k < n; k++) {
            buf_append_str(&q, alphabet[rng(&seed) % na]);
            /* Sometimes glued to the next token: "title:korea", "-(", "x)". */
            if (rng(&seed) % 4)
                buf_append_char(&q, ' ');
        }
        query_plan p;
        query_error e;
        int s = parse_with(q.data, q.len, (int)(i % 2), 5, db, &p, &e);
        ok += s == KBS_OK;
        query_plan_free(&p);
        check_any(q.data, q.len, i % 2, db);
    }
    /* The alphabet reaches both outcomes often. */
    cr_expect_gt(ok, 400);
    cr_expect_lt(ok, 3600);
    buf_free(&q);
    xs_db_close(db);
    tu_rmtree(tu_tmpdir());
}

Test(query, bad_arguments)
{
    stemmer *st = new_stemmer();
    query_options o = {0, 10, NULL, 0};
    query_plan p;
    query_error e;
    cr_expect_eq(query_parse(NULL, 3, &o, st, NULL, &p, &e), KBS_EINVAL);
    query_plan_free(&p);
    cr_expect_eq(query_parse("x", 1, NULL, st, NULL, &p, &e), KBS_EINVAL);
    query_plan_free(&p);
    cr_expect_eq(query_parse("x", 1, &o, NULL, NULL, &p, &e), KBS_EINVAL);
    query_plan_free(&p);
    cr_expect_eq(query_parse("x", 1, &o, st, NULL, NULL, &e), KBS_EINVAL);
    cr_expect_eq(query_parse("x", 1, &o, st, NULL, &p, NULL), KBS_EINVAL);
    query_plan_free(NULL);
    stemmer_free(st);
}

/* ---- end to end through the public API ---------------------------------------------------- */

struct article {
    const char *key;
    const char *text;
};

/* Invented articles: KBS page layout, so category, dates and byline are set. */
static const struct article articles[] = {
    {"a1", "Politics\n\nLawmakers Debate Security Cooperation Pact\n\n"
           "Written: 2019-08-05 10:00:00\n\n"
           "Lawmakers Debate Security Cooperation Pact\n\n"
           "Anchor: The National Assembly opened a debate on a security cooperation pact with "
           "Tokyo on Monday.\n\n"
           "Report: Opposition members said the pact needs more scrutiny before any vote is "
           "held.\n"
           "Kim Soyon, KBS World Radio News\n"},
    {"a2", "Economy\n\nPort Operators Praise New Arrangement\n\n"
           "Written: 2019-08-20 09:00:00\n\n"
           "Port Operators Praise New Arrangement\n\n"
           "Anchor: Shipping firms described a secure cooperative arrangement among port "
           "operators that cut waiting times.\n\n"
           "Report: Exporters welcomed the change, saying cargo now moves faster.\n"
           "Park Jiwon, KBS World Radio News\n"},
    {"a3", "Culture\n\nTheater Troupe Revives Hamlet\n\n"
           "Written: 2019-09-02 18:30:00\n\n"
           "Theater Troupe Revives Hamlet\n\n"
           "Anchor: A Seoul troupe opened its season with Hamlet, and the line to be or not to "
           "be drew applause from a full house.\n"
           "Lee Hana, KBS World Radio News\n"},
    {"a4", "Economy\n\nChip Exports Climb as Demand Returns\n\n"
           "Written: 2020-01-15 08:00:00Updated: 2020-01-16 07:45:00\n\n"
           "Chip Exports Climb as Demand Returns\n\n"
           "Anchor: Semiconductor exports climbed in December, and officials said demand from "
           "data centers would keep growing.\n"
           "Kim Minho, KBS World Radio News\n"},
    {"a5", "Sports\n\nNational Team Wins Friendly\n\n"
           "Written: 2019-08-10 21:00:00\n\n"
           "National Team Wins Friendly\n\n"
           "Anchor: The national football team beat its rival two to one in a friendly match "
           "in Busan, and the coach praised the cooperation of his defenders.\n"
           "Choi Yuna, KBS World Radio News\n"},
};

static kbs_db *e2e_db(void)
{
    const char *dir = tu_tmpdir();
    kbs_db *db = NULL;
    char *msg = NULL;
    int st = kbs_db_open(dir, KBS_OPEN_WRITE | KBS_OPEN_CREATE, &db, &msg);
    cr_assert_eq(st, KBS_OK, "open: %s", msg ? msg : "");
    for (size_t i = 0; i < sizeof articles / sizeof *articles; i++)
        cr_assert_eq(kbs_index_buffer(db, articles[i].key, articles[i].text,
                                      strlen(articles[i].text), 0, NULL),
                     KBS_OK, "%s", kbs_db_errmsg(db));
    cr_assert_eq(kbs_db_commit(db), KBS_OK);
    return db;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of the hits, sorted and space-separated ("" for none); the
 * results (if r is not NULL) for more checks. */
static char *hits(kbs_db *db, const char *q, int any, kbs_results **r_out)
{
    kbs_search_options o;
    kbs_search_options_init(&o);
    o.match = any ? KBS_MATCH_ANY : KBS_MATCH_ALL;
    o.no_snippets = 1;
    kbs_results *r = NULL;
    int st = kbs_search(db, q, strlen(q), &o, &r);
    cr_assert_eq(st, KBS_OK, "[%s]: %s", q, kbs_db_errmsg(db));
    const char *keys[16];
    size_t n = kbs_results_count(r);
    cr_assert_leq(n, 16);
    for (size_t i = 0; i < n; i++) {
        kbs_hit h;
        cr_assert_eq(kbs_results_get(r, i, &h), KBS_OK);
        keys[i] = h.path;
    }
    qsort(keys, n, sizeof *keys, cmp_key);
    buf b = BUF_INIT;
    for (size_t i = 0; i < n; i++)
        buf_printf(&b, "%s%s", i ? " " : "", keys[i]);
    char *out = strdup(buf_cstr(&b));
    buf_free(&b);
    if (r_out)
        *r_out = r;
    else
        kbs_results_free(r);
    return out;
}

struct e2e_case {
    int n;
    int any;
    const char *query;
    const char *keys; /* the hits, sorted */
};

static const struct e2e_case e2e_cases[] = {
    /* exact forms in quotes, stems without */
    {1, 0, "security cooperation", "a1 a2"},
    {2, 0, "\"security cooperation\"", "a1"},
    {3, 0, "\"secure cooperative\"", "a2"},
    {4, 0, "\"Security Cooperation\" debate", "a1"},
    {5, 0, "title:\"security cooperation\"", "a1"},
    {6, 0, "body:\"secure cooperative\"", "a2"},
    {7, 0, "\"to be or not to be\"", "a3"},
    {8, 0, "\"to be or not\" troupe", "a3"},
    /* NOT, OR, groups */
    {10, 0, "cooperation -secure", "a5"},
    {11, 0, "cooperation NOT (football OR operators)", "a1"},
    {12, 0, "-cooperation", "a3 a4"},
    {13, 0, "hamlet OR semiconductor", "a3 a4"},
    {14, 0, "NOT exports NOT cooperation", "a3"},
    /* NEAR */
    {20, 0, "exports NEAR/2 climbed", "a4"},
    {21, 0, "semiconductor NEAR/2 growing", ""},
    {22, 0, "exports NEAR demand", "a4"},
    {23, 0, "exports NEAR/2 demand", ""}, /* the title has them 3 apart */
    {24, 0, "\"security cooperation\" NEAR/3 pact", "a1"},
    /* prefixes */
    {30, 0, "secur*", "a1 a2"},
    {31, 0, "semicond*", "a4"},
    {32, 0, "title:secur*", "a1"},
    /* fields */
    {40, 0, "title:theater", "a3"},
    {41, 0, "body:theater", ""},
    {42, 0, "body:applause", "a3"},
    {43, 0, "title:applause", ""},
    {44, 0, "by:kim", "a1 a4"},
    {45, 0, "by:\"kim soyon\"", "a1"},
    {46, 0, "by:soyon", "a1"},
    {47, 0, "by:kim exports", "a4"},
    /* filters and dates */
    {50, 0, "category:economy", "a2 a4"},
    {51, 0, "cooperation category:politics", "a1"},
    {52, 0, "cooperation -category:politics", "a2 a5"},
    {53, 0, "date:2019-08", "a1 a2 a5"},
    {54, 0, "date:2019-08-01..2019-08-15", "a1 a5"},
    {55, 0, "date:2019-08-05", "a1"},
    {56, 0, "after:2019-08-20", "a3 a4"},
    {57, 0, "before:2019-08-10", "a1"},
    {58, 0, "date:2020", "a4"},
    {59, 0, "date:..2019-08-10", "a1 a5"},
    {60, 0, "date:2019-09-02..", "a3 a4"},
    {61, 0, "updated:2020-01-16", "a4"},
    {62, 0, "updated:2019", ""},
    {63, 0, "cooperation date:2019-08 -category:sports", "a1 a2"},
    {64, 0, "category:economy date:2019", "a2"},
    /* match any */
    {70, 1, "semiconductor exports demand", "a2 a4"},
    {71, 1, "+hamlet exports", "a3"},
    /* An optional phrase too matches its words' own forms (their form
     * tags), though only required phrases are read in the text: a2's
     * "secure cooperative" does not count. */
    {72, 1, "\"security cooperation\" hamlet", "a1 a3"},
};

Test(query, end_to_end)
{
    kbs_db *db = e2e_db();
    for (size_t i = 0; i < sizeof e2e_cases / sizeof *e2e_cases; i++) {
        const struct e2e_case *c = &e2e_cases[i];
        char *got = hits(db, c->query, c->any, NULL);
        cr_expect_str_eq(got, c->keys, "case %d [%s]", c->n, c->query);
        free(got);
    }
    kbs_db_close(db);
    tu_rmtree(tu_tmpdir());
}

static double score_of(kbs_results *r, const char *key)
{
    for (size_t i = 0; i < kbs_results_count(r); i++) {
        kbs_hit h;
        cr_assert_eq(kbs_results_get(r, i, &h), KBS_OK);
        if (strcmp(h.path, key) == 0)
            return h.score;
    }
    cr_assert_fail("%s is not among the hits", key);
    return 0;
}

Test(query, end_to_end_ranking)
{
    kbs_db *db = e2e_db();
    kbs_results *r = NULL, *f = NULL;
    /* A filter does not change the scores. */
    free(hits(db, "cooperation", 0, &r));
    free(hits(db, "cooperation category:politics", 0, &f));
    cr_expect_float_eq(score_of(r, "a1"), score_of(f, "a1"), 1e-9);
    kbs_results_free(r);
    kbs_results_free(f);
    free(hits(db, "cooperation", 0, &r));
    free(hits(db, "cooperation date:2019-08", 0, &f));
    cr_expect_float_eq(score_of(r, "a5"), score_of(f, "a5"), 1e-9);
    kbs_results_free(r);
    kbs_results_free(f);

    /* Match any: the article with more of the words ranks first. */
    free(hits(db, "semiconductor exports demand", 1, &r));
    kbs_hit h;
    cr_assert_geq(kbs_results_count(r), 2);
    cr_assert_eq(kbs_results_get(r, 0, &h), KBS_OK);
    cr_expect_str_eq(h.path, "a4");
    kbs_results_free(r);

    /* Match all with no article holding every word: the fallback. */
    char *got = hits(db, "hamlet semiconductor", 0, &r);
    cr_expect_str_eq(got, "a3 a4");
    cr_expect_eq(kbs_results_fallback(r), 1);
    free(got);
    kbs_results_free(r);

    /* A title match weighs more than a body match of the same word. */
    free(hits(db, "exports", 0, &r));
    cr_expect_gt(score_of(r, "a4"), score_of(r, "a2"));
    kbs_results_free(r);
    kbs_db_close(db);
    tu_rmtree(tu_tmpdir());
}

Test(query, end_to_end_errors_and_notes)
{
    kbs_db *db = e2e_db();
    kbs_results *r = NULL;
    kbs_search_options o;
    kbs_search_options_init(&o);
    const char *q = "korea (japan";
    cr_expect_eq(kbs_search(db, q, strlen(q), &o, &r), KBS_EQUERY);
    cr_expect_str_eq(kbs_db_errmsg(db), "missing ')' to close the '(' at 6");
    cr_expect_eq(kbs_db_error_offset(db), 6);
    q = "date:2019-02-30";
    cr_expect_eq(kbs_search(db, q, strlen(q), &o, &r), KBS_EQUERY);
    cr_expect_eq(kbs_db_error_offset(db), 5);

    /* Found by tests/fuzz/fuzz_search: the query is repaired before it is
     * parsed, and a bad byte is three bytes (U+FFFD) in the repaired copy,
     * so the offset and the message pointed past the caller's text: 6 in
     * these 5 bytes, "at 4" for the '(' at 2. They are the caller's now. */
    q = "(1)\x90)";
    cr_expect_eq(kbs_search(db, q, strlen(q), &o, &r), KBS_EQUERY);
    cr_expect_eq(kbs_db_error_offset(db), 4);
    q = "\xff\xfe(japan";
    cr_expect_eq(kbs_search(db, q, strlen(q), &o, &r), KBS_EQUERY);
    cr_expect_str_eq(kbs_db_errmsg(db), "missing ')' to close the '(' at 2");
    cr_expect_eq(kbs_db_error_offset(db), 2);
    q = "\xc3korea \"japan";
    cr_expect_eq(kbs_search(db, q, strlen(q), &o, &r), KBS_EQUERY);
    cr_expect_str_eq(kbs_db_errmsg(db), "missing closing '\"' for the quote at 7");
    cr_expect_eq(kbs_db_error_offset(db), 7);

    o.max_expansion = 1;
    q = "co*"; /* the stems cooper and coach */
    cr_assert_eq(kbs_search(db, q, strlen(q), &o, &r), KBS_OK, "%s", kbs_db_errmsg(db));
    cr_expect_str_eq(kbs_results_notes(r),
                     "co* matches more than 1 word; only the 1 most frequent was searched\n");
    kbs_results_free(r);
    kbs_db_close(db);
    tu_rmtree(tu_tmpdir());
}

/* Title words are the body's terms at TITLE_WDF (schema.h): a word only in
 * one article's title outranks the same word once in another's body, and
 * title: and body: still tell the two apart (plain layout: the first line is
 * the title). */
static const struct article title_articles[] = {
    {"t1", "Typhoon Warning Issued for Jeju\n\n"
           "The weather agency told ships to stay in port on Friday as strong winds "
           "approached the island from the south.\n"},
    {"b1", "Ships Told to Stay in Port\n\n"
           "The weather agency issued a typhoon warning for Jeju on Friday as strong winds "
           "approached the island.\n"},
    {"tb", "Typhoon Nears Coast\n\nThe typhoon brought heavy rain to the southern coast.\n"},
};

static const struct e2e_case title_cases[] = {
    {1, 0, "typhoon", "b1 t1 tb"},
    {2, 0, "title:typhoon", "t1 tb"},
    {3, 0, "body:typhoon", "b1 tb"},
    {4, 0, "\"typhoon warning\"", "b1 t1"},
    {5, 0, "title:\"typhoon warning\"", "t1"},
    {6, 0, "body:\"typhoon warning\"", "b1"},
    {7, 0, "title:(typhoon warning)", "t1"},
    {8, 0, "title:typhoon body:rain", "tb"},
    {9, 0, "title:port", "b1"},
    {10, 0, "body:port", "t1"},
    /* The title's last word and the body's first are not a phrase. */
    {11, 0, "\"jeju the\"", ""},
    {12, 0, "title:typ*", "t1 tb"},
    {13, 0, "title:typhoon NEAR/2 title:warning", "t1"},
};

Test(query, title_words_weigh_more)
{
    const char *dir = tu_tmpdir();
    kbs_db *db = NULL;
    char *msg = NULL;
    cr_assert_eq(kbs_db_open(dir, KBS_OPEN_WRITE | KBS_OPEN_CREATE, &db, &msg), KBS_OK, "%s",
                 msg ? msg : "");
    for (size_t i = 0; i < sizeof title_articles / sizeof *title_articles; i++)
        cr_assert_eq(kbs_index_buffer(db, title_articles[i].key, title_articles[i].text,
                                      strlen(title_articles[i].text), 0, NULL),
                     KBS_OK, "%s", kbs_db_errmsg(db));
    cr_assert_eq(kbs_db_commit(db), KBS_OK);
    for (size_t i = 0; i < sizeof title_cases / sizeof *title_cases; i++) {
        const struct e2e_case *c = &title_cases[i];
        char *got = hits(db, c->query, c->any, NULL);
        cr_expect_str_eq(got, c->keys, "case %d [%s]", c->n, c->query);
        free(got);
    }
    /* t1 and b1 are as long and hold "warning" once each; t1 has it in the
     * title. */
    kbs_results *r = NULL;
    free(hits(db, "typhoon", 0, &r));
    cr_expect_gt(score_of(r, "t1"), score_of(r, "b1"));
    kbs_results_free(r);
    free(hits(db, "warning", 0, &r));
    cr_expect_gt(score_of(r, "t1"), score_of(r, "b1"));
    kbs_results_free(r);
    kbs_db_close(db);
    tu_rmtree(tu_tmpdir());
}
