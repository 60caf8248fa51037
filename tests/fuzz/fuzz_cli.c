/* fuzz_cli.c - libFuzzer target: what the program does with text it did not
 * write: the command line (cli_args_parse), the caret under a query error
 * (cli_render_caret), text and HTML escaping (cli_put_text, cli_put_html,
 * cli_utf8_repair), and a hit drawn with its snippet wrapped and
 * highlighted (cli_render_hit, cli_render_hit_html).
 *
 * Input: a byte of choices, then fields separated by NUL bytes. All of them
 * are the command line; the first is also the query for the caret, the
 * others a hit's title, category, path and snippet. Output goes to
 * /dev/null: only crashes and sanitizer reports count. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "utf8.h"

#define MAX_ARGS 32

/* One stream for every input: opening /dev/null each time would be most of
 * the run's cost. */
static FILE *sink(void)
{
    static FILE *f;
    if (!f && !(f = fopen("/dev/null", "w")))
        abort();
    return f;
}

/* Spans as the library makes them: in order, not overlapping, inside the
 * snippet, on character boundaries (the snippet is valid UTF-8). */
static size_t make_spans(const char *s, size_t len, const uint8_t *seed, size_t nseed,
                         kbs_span *spans, size_t cap)
{
    size_t n = 0, at = 0;
    for (size_t i = 0; i + 1 < nseed && n < cap; i += 2) {
        size_t start = at + seed[i] % 16, l = seed[i + 1] % 24;
        while (start < len && ((unsigned char)s[start] & 0xC0) == 0x80)
            start++;
        if (start >= len)
            break;
        size_t end = start + l;
        if (end > len)
            end = len;
        while (end < len && ((unsigned char)s[end] & 0xC0) == 0x80)
            end++;
        spans[n].start = (uint32_t)start;
        spans[n].len = (uint32_t)(end - start);
        n++;
        at = end;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    FILE *out = sink();
    uint8_t choice = data[0], off = data[1];
    char *copy = malloc(size - 1);
    if (!copy)
        return 0;
    memcpy(copy, data + 2, size - 2);
    copy[size - 2] = '\0';

    /* argv[0] is the program; the fields follow. */
    char *argv[MAX_ARGS + 2];
    size_t lens[MAX_ARGS + 1];
    int argc = 0;
    argv[argc++] = "kbsearch";
    for (char *p = copy; argc <= MAX_ARGS && p <= copy + (size - 2);) {
        size_t l = strlen(p);
        lens[argc - 1] = l;
        argv[argc++] = p;
        p += l + 1;
    }
    argv[argc] = NULL;
    int nf = argc - 1;

    cli_args args;
    memset(&args, 0, sizeof args);
    if (cli_args_parse(argc, argv, &args, out) == CLI_EXIT_OK)
        cli_args_free(&args);

    const char *q = argv[1];
    size_t qlen = lens[0];
    cli_render_caret(out, q, qlen, (size_t)off * (qlen + 1) / 256);
    cli_put_text(out, q, qlen);
    cli_put_html(out, q, qlen);
    char *fixed = cli_utf8_repair(q, qlen);
    if (fixed && !utf8_valid(fixed, strlen(fixed)))
        abort();
    free(fixed);

    /* A hit: the snippet is repaired, as the library hands out only UTF-8. */
    const char *field[4] = {"", "", "", ""};
    for (int i = 0; i < 4 && 2 + i <= nf; i++)
        field[i] = argv[2 + i];
    char *snippet = cli_utf8_repair(field[3], strlen(field[3]));
    if (snippet) {
        kbs_span spans[16];
        kbs_hit hit;
        memset(&hit, 0, sizeof hit);
        hit.id = choice;
        hit.rank = (uint32_t)choice * 1000u;
        hit.title = field[0];
        hit.category = field[1];
        hit.path = field[2];
        hit.written = (choice & 1) ? "2019-08-01T10:00:00" : "";
        hit.updated = "";
        hit.snippet = snippet;
        hit.versions = choice & 2;
        hit.spans = spans;
        hit.nspans = make_spans(snippet, strlen(snippet), (const uint8_t *)q, qlen, spans, 16);
        cli_render r;
        memset(&r, 0, sizeof r);
        r.out = out;
        r.color = choice & 4;
        r.markers = choice & 8;
        r.width = (choice & 16) ? 20u + (choice >> 5) * 4u : 0;
        r.cwd = (choice & 32) ? field[1] : NULL;
        r.rank_width = 1u + (choice >> 6);
        cli_render_hit(&r, &hit);
        cli_render_hit_html(&r, &hit, field[1]);
        free(snippet);
    }
    free(copy);
    return 0;
}
