/* test_smart.c - the SMART reader behind bench/cranfield-to-plain. */
#include <criterion/criterion.h>
#include <string.h>

#include "kbsearch.h"
#include "smart.h"

static smart_file parse(const char *text)
{
    smart_file f;
    char err[200] = "";
    cr_assert_eq(smart_parse(text, strlen(text), &f, err, sizeof err), KBS_OK, "%s", err);
    return f;
}

/* Made-up records in Cranfield's shape: multi-line fields, an empty record,
 * a text line that starts with a dot but is no marker. */
Test(smart, records_and_fields)
{
    smart_file f = parse(".I 1\n"
                         ".T\n"
                         "drag of a thin plate\n"
                         "in a slow stream .\n"
                         ".A\n"
                         "someone,a.\n"
                         ".W\n"
                         "drag of a thin plate\n"
                         "in a slow stream .\n"
                         ".5 of the chord was wetted .\n"
                         ".I 2\n"
                         ".T\n"
                         ".A\n"
                         ".B\n"
                         ".W\n"
                         ".I  33 \n"
                         ".W\n"
                         "one line\n");
    cr_assert_eq(f.n, 3);
    cr_assert_str_eq(f.recs[0].id, "1");
    cr_assert_eq(f.recs[0].line, 1);
    cr_assert_str_eq(smart_field(&f.recs[0], 'T'), "drag of a thin plate\nin a slow stream .");
    cr_assert_str_eq(smart_field(&f.recs[0], 'A'), "someone,a.");
    cr_assert_null(smart_field(&f.recs[0], 'B'));
    cr_assert_str_eq(smart_field(&f.recs[0], 'W'),
                     "drag of a thin plate\nin a slow stream .\n.5 of the chord was wetted .");
    cr_assert_str_eq(f.recs[1].id, "2");
    cr_assert_str_eq(smart_field(&f.recs[1], 'T'), "");
    cr_assert_str_eq(smart_field(&f.recs[1], 'W'), "");
    cr_assert_str_eq(f.recs[2].id, "33");
    cr_assert_eq(f.recs[2].line, 16);
    cr_assert_str_eq(smart_field(&f.recs[2], 'W'), "one line");
    cr_assert_null(smart_field(&f.recs[2], 'a'));
    smart_free(&f);
    smart_free(&f);
    smart_free(NULL);
}

/* cran.qry has CRLF line ends and ids that skip. */
Test(smart, crlf_and_repeated_field)
{
    smart_file f = parse("\r\n.I 001\r\n.W\r\nwhich flows\r\nare laminar .\r\n"
                         ".I 004\r\n.W first\r\n.W\r\nsecond\r\n");
    cr_assert_eq(f.n, 2);
    cr_assert_str_eq(f.recs[0].id, "001");
    cr_assert_str_eq(smart_field(&f.recs[0], 'W'), "which flows\nare laminar .");
    cr_assert_str_eq(f.recs[1].id, "004");
    cr_assert_str_eq(smart_field(&f.recs[1], 'W'), "first\nsecond");
    smart_free(&f);
}

Test(smart, empty_input)
{
    smart_file f = parse("");
    cr_assert_eq(f.n, 0);
    smart_free(&f);
}

static const struct {
    const char *text;
    const char *why;
} bad[] = {
    /* 1 */ {"a stray line\n.I 1\n", "line 1: text before the first .I"},
    /* 2 */ {".T\ntitle\n", "line 1: .T before the first .I"},
    /* 3 */ {".I 1\n.W\nx\n.I\n", "line 4: .I needs an id"},
    /* 4 */ {".I 1234567890123456789012345678901234567890\n", "line 1: .I needs an id"},
};

Test(smart, malformed)
{
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        smart_file f;
        char err[200] = "";
        cr_expect_eq(smart_parse(bad[i].text, strlen(bad[i].text), &f, err, sizeof err), KBS_EINVAL,
                     "case %zu", i + 1);
        cr_expect(strstr(err, bad[i].why) != NULL, "case %zu: %s", i + 1, err);
    }
}

static const struct {
    const char *in, *out;
} lines[] = {
    /* 1 */ {"a\nb", "a b"},
    /* 2 */ {"  lead and trail \n", "lead and trail"},
    /* 3 */ {"tabs\t\tand\r\n\r\ncrlf", "tabs and crlf"},
    /* 4 */ {"", ""},
    /* 5 */ {" \n\t", ""},
    /* 6 */ {NULL, ""},
};

Test(smart, one_line)
{
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        char *s = smart_one_line(lines[i].in);
        cr_assert_not_null(s);
        cr_expect_str_eq(s, lines[i].out, "case %zu", i + 1);
        free(s);
    }
}
