/* cli.h - the parts of the kbsearch program, shared by src/cli*.c only.
 *
 * The program is a client of the library like any other: it includes
 * kbsearch.h and nothing else of it. cli_args.c reads the command line and
 * holds the help texts, cli_render.c turns hits into text or JSON, and cli.c
 * runs the commands.
 */
#ifndef KBS_CLI_H
#define KBS_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kbsearch.h"

/* Exit statuses; the help text and the README promise them. */
enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_NOTHING = 1, /* a search found nothing */
    CLI_EXIT_FAIL = 2,    /* a usage error, or the command failed */
    CLI_EXIT_SIGNAL = 128 /* plus the signal number: interrupted */
};

enum cli_cmd {
    CLI_CMD_SEARCH = 0, /* the default */
    CLI_CMD_INDEX,
    CLI_CMD_SHOW,
    CLI_CMD_STATS,
    CLI_CMD_CHECK,
    CLI_CMD_COMPACT,
    CLI_CMD_SIMILAR,
    CLI_CMD_VERSIONS,
    CLI_CMD_HELP,
    CLI_NCMDS
};

enum cli_color { CLI_COLOR_AUTO = 0, CLI_COLOR_ALWAYS, CLI_COLOR_NEVER };

#define CLI_LIMIT_DEFAULT 10u
#define CLI_LIMIT_MAX 10000u
/* Paging past a billion hits is never what someone meant; the bound also keeps
 * offset + limit inside the library's 32-bit counts. */
#define CLI_OFFSET_MAX 1000000000u
/* More passages than this no longer read as a snippet. */
#define CLI_FRAGMENTS_MAX 16u
/* --expand: the most words a prefix (secur*) may stand for. */
#define CLI_EXPAND_MAX 10000u
/* Shorter than a line says nothing; longer than a page is the article. */
#define CLI_SNIPPET_LEN_MIN 20u
#define CLI_SNIPPET_LEN_MAX 10000u
/* A title weight past this is a typo rather than a ranking choice. */
#define CLI_TITLE_WEIGHT_MAX 100.0
/* The library uses at most 4 worker processes; more would be a typo. */
#define CLI_WORKERS_MAX 4u
/* The library's floor, and a terabyte as a bound on typos. */
#define CLI_MEMORY_MIN_MB 64u
#define CLI_MEMORY_MAX_MB 1048576u

typedef struct cli_args {
    int cmd;                 /* enum cli_cmd */
    int cmd_named;           /* non-zero if the command was named (not the default search) */
    const char *db;          /* --db, or NULL */
    int json;                /* --json */
    uint32_t limit;          /* --limit, or CLI_LIMIT_DEFAULT */
    uint64_t max_file_bytes; /* --max-file-size, or 0 for the library's default */
    uint32_t workers;        /* --workers, or 0 for the library's default */
    uint32_t max_memory_mb;  /* --max-memory, or 0 for the library's default */
    int color;               /* enum cli_color */
    int help;                /* --help / -h */
    int version;             /* --version */
    int match_any;           /* --any */
    int sort;                /* --sort: enum kbs_sort */
    uint32_t offset;         /* --offset, or 0 */
    int count;               /* --count: print only the number of matches */
    int explain;             /* --explain */
    double bm25_k1, bm25_b;  /* --bm25 K1,B, or -1 each for the library's defaults */
    double title_weight;     /* --title-weight, or -1 for the library's default */
    int all_versions;        /* --all-versions: every version of a story is a hit */
    int markers;             /* --markers: plain text, matches in [ ] */
    int html;                /* --html */
    uint32_t fragments;      /* --fragments, or 0 for the library's default */
    uint32_t expand;         /* --expand, or 0 for the library's default */
    uint32_t snippet_len;    /* --snippet-len, or 0 for the library's default */
    int facets;              /* --facets */
    const char **words;      /* the arguments after the command name (pointers into argv) */
    size_t nwords;
} cli_args;

/*
 * Reads the command line. Options may come before or after the command and
 * its arguments; "--" ends them. Returns CLI_EXIT_OK with *out filled (release
 * with cli_args_free()), or CLI_EXIT_FAIL after printing the usage error to
 * `err`.
 */
int cli_args_parse(int argc, char **argv, cli_args *out, FILE *err);
void cli_args_free(cli_args *args);

/* The command called `name`; -1 if there is none. */
int cli_cmd_lookup(const char *name);
/* The name of a command ("search", "index", ...). */
const char *cli_cmd_name(int cmd);

/* Prints the help of `cmd`, or of the whole program when cmd is -1. */
void cli_help(FILE *f, int cmd);

/*
 * Prints "kbsearch: <message>" and the line that says where to find help
 * (for `cmd`, or the program when -1) to `err`; returns CLI_EXIT_FAIL so
 * callers can `return cli_usage_error(...)`.
 */
int cli_usage_error(FILE *err, int cmd, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* --- output ------------------------------------------------------------- */

/* How search hits are drawn as text. */
typedef struct cli_render {
    FILE *out;
    int color;           /* non-zero: highlight with ANSI escapes */
    unsigned width;      /* wrap snippets to this many columns; 0: do not wrap */
    const char *cwd;     /* paths under this folder are shown relative to it; may be NULL */
    unsigned rank_width; /* digits of the largest rank on the page, to align titles */
    int markers;         /* non-zero (and color zero): matches between [ and ] */
} cli_render;

/* Draws one hit: rank and title, the line of facts, the snippet. */
void cli_render_hit(const cli_render *r, const kbs_hit *hit);

/* Writes s[0..len) as HTML text: &, <, >, " and ' escaped, and invalid or
 * control characters replaced as cli_put_text() does. */
void cli_put_html(FILE *f, const char *s, size_t len);

/*
 * --html: one hit as an <li> of the list that cli_render_html_begin() opens
 * (title, facts, snippet with <mark> around each highlight), with the lines
 * of `explain` in a <pre> when it is not "".
 */
void cli_render_hit_html(const cli_render *r, const kbs_hit *hit, const char *explain);
void cli_render_html_begin(FILE *out, unsigned first_rank);
void cli_render_html_end(FILE *out);

/*
 * --facets (cli_facets.c): the counts of kbs_results_facet() as a compact
 * table, by category and by month (by year when the months span more than
 * 24), with a one-line timeline of the matches when `sparkline` is set (a
 * terminal); as HTML (a <table>); or as one JSON object {"facets":{...}} on
 * one line. The JSON form returns 0, or -1 when out of memory.
 */
void cli_render_facets(FILE *out, const kbs_results *res, int sparkline);
void cli_render_facets_html(FILE *out, const kbs_results *res);
int cli_render_facets_json(FILE *out, const kbs_results *res);

/*
 * Prints the lines of `text` (kbs_results_explain() or kbs_results_query()),
 * each after `indent` spaces. Nothing for "".
 */
void cli_render_lines(FILE *out, const char *text, unsigned indent);

/*
 * Prints hit `i` of `res` as a JSON object on one line, with "suggestion" when
 * the results carry one and, when `explain` is set, "query" and "explain".
 * Returns 0, or -1 when out of memory.
 */
int cli_render_hit_json(FILE *out, const kbs_results *res, size_t i, int explain);

/*
 * Prints the summary object {"total":N} on one line, with "suggestion" when
 * `suggestion` is not NULL: what --json prints for --count and when nothing
 * was found. Returns 0, or -1 when out of memory.
 */
int cli_render_total_json(FILE *out, uint64_t total, const char *suggestion);

/*
 * Shows where a query went wrong: q[0..len) on one line after two spaces,
 * and a caret under the character at byte `off` on the next, counted in
 * display columns so that it lines up under non-ASCII text too. A long query
 * is cut to a window around `off`, with "…" where it was cut.
 */
void cli_render_caret(FILE *out, const char *q, size_t len, size_t off);

/*
 * Writes s[0..len) for a human to read: invalid UTF-8 becomes U+FFFD, and
 * control characters, which could drive the terminal, become U+FFFD too (tabs
 * and line breaks become spaces).
 */
void cli_put_text(FILE *f, const char *s, size_t len);

/* `path` relative to `cwd` when it lies under it, else `path` itself (a
 * pointer into `path`; cwd may be NULL). */
const char *cli_display_path(const char *path, const char *cwd);

/* A byte count for people: "812 B", "12.4 kB", "3.07 MB", "1.20 GB". */
void cli_format_size(uint64_t bytes, char *out, size_t cap);

/*
 * Copies s[0..len) into a new NUL-terminated string with invalid UTF-8
 * replaced by U+FFFD (free()); NULL when out of memory.
 */
char *cli_utf8_repair(const char *s, size_t len);

#endif
