/* test_cli_args.c - the command line reader, in-process: what test_cli.c
 * cannot see through the program, which reads one command line a run. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static FILE *quiet(void)
{
    FILE *f = fopen("/dev/null", "w");
    cr_assert(f);
    return f;
}

/* Found by tests/fuzz/fuzz_cli: "-xh" stops at the unknown 'x' with the 'h'
 * of its group unread, and getopt restarted with optind = 1 went on with
 * that 'h' (in the first argv, freed by then in the fuzzer) as if the second
 * command line had asked for help. */
Test(cli_args, a_second_command_line_is_read_afresh)
{
    FILE *err = quiet();
    char prog[] = "kbsearch", bad[] = "-xh", word[] = "typhoon", lim[] = "-n3";
    char *first[] = {prog, bad, NULL};
    cli_args a;
    cr_expect_eq(cli_args_parse(2, first, &a, err), CLI_EXIT_FAIL);

    char *second[] = {prog, word, NULL};
    cr_assert_eq(cli_args_parse(2, second, &a, err), CLI_EXIT_OK);
    cr_expect_eq(a.help, 0, "the 'h' of the first command line was read again");
    cr_expect_eq(a.cmd, CLI_CMD_SEARCH);
    cr_assert_eq(a.nwords, 1);
    cr_expect_str_eq(a.words[0], "typhoon");
    cli_args_free(&a);

    /* And a group of short options read whole the second time too. */
    char *third[] = {prog, lim, word, NULL};
    cr_assert_eq(cli_args_parse(3, third, &a, err), CLI_EXIT_OK);
    cr_expect_eq(a.limit, 3);
    cr_expect_eq(a.help, 0);
    cli_args_free(&a);
    fclose(err);
}
