/* cli_args.c - the kbsearch command line: options, commands, help texts. */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Long-only options get values above any character so they never clash with
 * short ones. */
enum {
    OPT_DB = 256,
    OPT_JSON,
    OPT_COLOR,
    OPT_VERSION,
    OPT_MAX_FILE_SIZE,
    OPT_ANY,
    OPT_SORT,
    OPT_OFFSET,
    OPT_COUNT,
    OPT_EXPLAIN,
    OPT_BM25,
    OPT_TITLE_WEIGHT,
    OPT_ALL_VERSIONS,
    OPT_WORKERS,
    OPT_MAX_MEMORY,
    OPT_MARKERS,
    OPT_HTML,
    OPT_FRAGMENTS,
    OPT_SNIPPET_LEN,
    OPT_FACETS,
    OPT_EXPAND
};

/* Which options a command accepts, so that a misplaced one is reported
 * instead of silently doing nothing. */
#define GIVEN_DB 1u
#define GIVEN_JSON 2u
#define GIVEN_LIMIT 4u
#define GIVEN_COLOR 8u
#define GIVEN_MAX_FILE_SIZE 16u
#define GIVEN_ANY 32u
#define GIVEN_SORT 64u
#define GIVEN_OFFSET 128u
#define GIVEN_COUNT 256u
#define GIVEN_EXPLAIN 512u
#define GIVEN_BM25 1024u
#define GIVEN_TITLE_WEIGHT 2048u
#define GIVEN_ALL_VERSIONS 4096u
#define GIVEN_WORKERS 8192u
#define GIVEN_MAX_MEMORY 16384u
#define GIVEN_MARKERS 32768u
#define GIVEN_HTML 65536u
#define GIVEN_FRAGMENTS 131072u
#define GIVEN_SNIPPET_LEN 262144u
#define GIVEN_FACETS 524288u
#define GIVEN_EXPAND 1048576u
#define GIVEN_SEARCH                                                                               \
    (GIVEN_DB | GIVEN_JSON | GIVEN_LIMIT | GIVEN_COLOR | GIVEN_ANY | GIVEN_SORT | GIVEN_OFFSET |   \
     GIVEN_COUNT | GIVEN_EXPLAIN | GIVEN_BM25 | GIVEN_TITLE_WEIGHT | GIVEN_ALL_VERSIONS |          \
     GIVEN_MARKERS | GIVEN_HTML | GIVEN_FRAGMENTS | GIVEN_SNIPPET_LEN | GIVEN_FACETS |             \
     GIVEN_EXPAND)
/* similar and versions list articles as search does, in the same output modes. */
#define GIVEN_LIST                                                                                 \
    (GIVEN_DB | GIVEN_JSON | GIVEN_LIMIT | GIVEN_COLOR | GIVEN_OFFSET | GIVEN_MARKERS |            \
     GIVEN_HTML | GIVEN_FRAGMENTS | GIVEN_SNIPPET_LEN | GIVEN_FACETS)
/* --count prints a number, not a list: what shapes the list would be ignored. */
#define GIVEN_LIST_ONLY                                                                            \
    (GIVEN_LIMIT | GIVEN_OFFSET | GIVEN_SORT | GIVEN_EXPLAIN | GIVEN_MARKERS | GIVEN_HTML |        \
     GIVEN_FRAGMENTS | GIVEN_SNIPPET_LEN | GIVEN_FACETS)
/* One way of writing the hits at a time. */
#define GIVEN_OUTPUT_MODES (GIVEN_JSON | GIVEN_HTML | GIVEN_MARKERS)

typedef struct cmd_info {
    const char *name;
    unsigned accepts; /* GIVEN_* bits */
    const char *help;
    const char *help_more; /* the rest of it, or NULL: C99 promises only 4095-byte strings */
} cmd_info;

/* The help texts fit 80 columns; the README's Usage section says the same. */
static const char SEARCH_HELP[] =
    "Usage: kbsearch [search] [OPTIONS] QUERY...\n"
    "\n"
    "Shows the articles that best match QUERY, best first: rank, title,\n"
    "category, date written, file, id, and a passage with the matching words\n"
    "highlighted. Several arguments are joined with spaces. 'search' may be\n"
    "left out unless the query's first word is a command name.\n"
    "\n"
    "All the words must match, in any form: \"cooperate\" also finds\n"
    "\"cooperation\". If no article has all the words, the articles with any of\n"
    "them are shown, and kbsearch says so first. When a word seems misspelt,\n"
    "kbsearch asks \"Did you mean ...?\".\n"
    "\n"
    "Query language (quote the query for the shell):\n"
    "  \"exact phrase\"            these words in this order, in these forms\n"
    "  a OR b, a AND b, NOT a    operators in capitals, grouped with ( );\n"
    "                            -a leaves out, +a requires (also with --any)\n"
    "  a NEAR/5 b                a and b at most 5 words apart (NEAR: 10)\n"
    "  secur*                    words that start with \"secur\"\n"
    "  title:w body:w by:name    in the title, in the text, in the byline\n"
    "  category:economy          only the articles of a category\n"
    "  date:2019  date:2019-08  date:2019-08-01  date:2019-08-01..2019-08-31\n"
    "  after:2019-08-01  before:2019-09-01\n"
    "                            by the date written; updated: is the same on\n"
    "                            the date updated\n"
    "\n";

static const char SEARCH_HELP_OPTIONS[] =
    "Options:\n"
    "  -n, --limit N             show at most N results (1 to 10000; default 10)\n"
    "      --offset N            skip the N best first, to see the next page\n"
    "                            (default 0)\n"
    "      --sort ORDER          relevance (the default), newest or oldest: by\n"
    "                            the date written\n"
    "      --any                 match the articles with any of the words, those\n"
    "                            with more of them first (for long questions)\n"
    "      --count               print only the number of matching articles,\n"
    "                            exact (no fallback to any of the words)\n"
    "      --explain             show how the query was read and, under each\n"
    "                            hit, what each word added to its score\n"
    "      --all-versions        each version of a story as a hit of its own\n"
    "      --bm25 K1,B           tune the ranking: K1 (0 or more) is how fast\n"
    "                            repeats of a word stop counting, B (0 to 1) how\n"
    "                            much long articles are held back; --explain\n"
    "                            shows the values in use\n"
    "      --expand N            a prefix (secur*) searches at most the N most\n"
    "                            frequent words it stands for (1 to 10000;\n"
    "                            default 100); a note says when it stood for more\n"
    "      --title-weight W      no effect since index format 4 (a title word\n"
    "                            counts 3 times, set at indexing); accepted\n"
    "      --json                print one JSON object per line and per hit:\n"
    "                            id, rank, path (absolute), title, category,\n"
    "                            written, updated, score, snippet, highlights\n"
    "                            ([start, length] byte ranges of the snippet),\n"
    "                            match (\"all\", or \"any\" for a fallback),\n"
    "                            versions and suggestion when there are some;\n"
    "                            with --explain also query and explain. With\n"
    "                            --count, or when nothing is found, one object\n"
    "                            {\"total\":N} (and suggestion when there is one)\n"
    "      --color[=WHEN]        highlight matches: auto (on a terminal, unless\n"
    "                            NO_COLOR is set; the default), always or never\n"
    "      --markers             plain text with the matches between [ and ]\n"
    "                            instead of colours (for a pipe or a log)\n"
    "      --html                HTML to embed in a page: a list of hits, text\n"
    "                            escaped, matches in <mark>\n"
    "      --fragments N         show up to N passages of each article, joined\n"
    "                            by \"…\" (1 to 16; default 2): each further one\n"
    "                            holds words the others lack\n"
    "      --snippet-len N       the passages' length in all, in characters (20\n"
    "                            to 10000; default 200)\n"
    "      --facets              also count all the matches by category and by\n"
    "                            month (by year past 24 months): a table and,\n"
    "                            on a terminal, a timeline; with --json one more\n"
    "                            object {\"facets\":...} first\n"
    "      --db DIR              search the index in DIR (see 'kbsearch --help')\n"
    "  -h, --help                show this help\n"
    "\n"
    "Examples:\n"
    "  kbsearch security cooperation\n"
    "  kbsearch '\"interest rate\"' --limit 3\n"
    "  kbsearch 'title:typhoon date:2020' --sort newest\n"
    "  kbsearch --count 'category:economy inflation'\n"
    "  kbsearch security cooperation --offset 10   (the second page)\n"
    "  kbsearch search stats           (a query that is a command name)\n"
    "  kbsearch -- -10%                (a query that starts with '-')\n"
    "  kbsearch --json typhoon | jq -r .path\n"
    "  kbsearch --facets 'typhoon OR storm' --limit 3\n"
    "  kbsearch --html --fragments 3 --snippet-len 300 typhoon > hits.html\n"
    "\n"
    "Exit status: 0 found, 1 nothing found (--count: the count is 0),\n"
    "2 usage error, a query that cannot be read, or failure.\n";

static const char INDEX_HELP[] =
    "Usage: kbsearch index [OPTIONS] FOLDER|FILE\n"
    "\n"
    "Indexes every article under FOLDER and its subfolders (names starting\n"
    "with '.' are left out), and brings the index up to date with it: new\n"
    "files are added, changed files indexed again, and articles whose files\n"
    "are gone are removed. Run it again whenever the folder changes: files\n"
    "that did not change are not read again. Given a FILE, indexes that one\n"
    "article (again if it changed) and removes nothing.\n"
    "\n"
    "On a terminal a progress line shows the files done and the speed. At the\n"
    "end one line sums up: added, updated, unchanged, removed, skipped. A file\n"
    "that cannot be indexed (binary, too large, unreadable) is skipped with a\n"
    "line on stderr saying why; the other files are indexed all the same.\n"
    "Ctrl-C stops cleanly: what was indexed so far is kept.\n"
    "\n"
    "Options:\n"
    "      --db DIR              keep the index in DIR, created if need be\n"
    "                            (see 'kbsearch --help' for the default)\n"
    "      --max-file-size SIZE  skip files larger than SIZE bytes; K, M or G\n"
    "                            after the number mean KiB, MiB or GiB\n"
    "                            (default 16M)\n"
    "      --workers N           a run with many new files (a first index) is\n"
    "                            split between N processes, 1 to 4 (default:\n"
    "                            one per core)\n"
    "      --max-memory MB       hold at most about MB MiB for indexing, all\n"
    "                            processes together (default 512, at least 64);\n"
    "                            less memory means more, smaller commits\n"
    "  -h, --help                show this help\n"
    "\n"
    "Examples:\n"
    "  kbsearch index ~/news/kbs-world\n"
    "  kbsearch index ~/news/kbs-world/0802-talks.txt\n"
    "  kbsearch index --max-file-size 64M ~/news/long-reads\n"
    "  kbsearch index --workers 1 --max-memory 128 ~/news\n"
    "\n"
    "Exit status: 0 every file indexed, 2 a file skipped or the run failed,\n"
    "130 interrupted.\n";

static const char SHOW_HELP[] =
    "Usage: kbsearch show [OPTIONS] ID|PATH\n"
    "\n"
    "Prints an indexed article exactly as it was when it was indexed, byte for\n"
    "byte, from the index's own copy: the file need not exist any more. Name\n"
    "the article by its id or by its file's path, as search prints them; a\n"
    "path may be relative or absolute. An argument of digits only is an id,\n"
    "unless a file of that name exists (write ./123 to mean the file).\n"
    "\n"
    "Options:\n"
    "      --db DIR              read the index in DIR (see 'kbsearch --help')\n"
    "  -h, --help                show this help\n"
    "\n"
    "Examples:\n"
    "  kbsearch show 12\n"
    "  kbsearch show news/2019/0802-talks.txt | less\n"
    "\n"
    "Exit status: 0 shown, 2 no such article or failure.\n";

static const char STATS_HELP[] =
    "Usage: kbsearch stats [OPTIONS]\n"
    "\n"
    "Describes the index: its folder, the number of articles, the size of their\n"
    "text, of the compressed copies kept for 'show' (and what share of the text\n"
    "that is), of the whole index on disk, and the dates the articles were\n"
    "written, from the first to the last.\n"
    "\n"
    "Options:\n"
    "      --json                print the figures as one JSON object\n"
    "      --db DIR              describe the index in DIR (see 'kbsearch --help')\n"
    "  -h, --help                show this help\n"
    "\n"
    "Example:\n"
    "  kbsearch stats\n"
    "\n"
    "Exit status: 0 success, 2 no index or failure.\n";

static const char CHECK_HELP[] =
    "Usage: kbsearch check [OPTIONS]\n"
    "\n"
    "Verifies the index and lists what is wrong with it, if anything: that\n"
    "every article has its id, fields and state, that every copy kept for\n"
    "'show' decompresses to the bytes that were indexed (length and checksum),\n"
    "that the counts and totals add up, and that Xapian's own check of its\n"
    "tables passes. It reads the whole index once.\n"
    "\n"
    "Options:\n"
    "      --db DIR              check the index in DIR (see 'kbsearch --help')\n"
    "  -h, --help                show this help\n"
    "\n"
    "Example:\n"
    "  kbsearch check\n"
    "\n"
    "Exit status: 0 no problem found, 2 problems found (each is listed), no\n"
    "index, or failure.\n";

static const char COMPACT_HELP[] =
    "Usage: kbsearch compact [OPTIONS]\n"
    "\n"
    "Rewrites the index, and the copies of the articles it keeps, in their\n"
    "smallest and fastest form, and prints its size before and after: worth it\n"
    "once a large archive is indexed, or after many updates. The new copy is\n"
    "written beside the index folder and then takes its place in one step, so\n"
    "the disk needs room for it for a while; should anything go wrong, the old\n"
    "index stays as it was. Searching works meanwhile; 'index' has to wait.\n"
    "\n"
    "Options:\n"
    "      --db DIR              compact the index in DIR (see 'kbsearch --help')\n"
    "  -h, --help                show this help\n"
    "\n"
    "Example:\n"
    "  kbsearch compact\n"
    "\n"
    "Exit status: 0 compacted, 2 no index, another process updating it, or\n"
    "failure.\n";

static const char SIMILAR_HELP[] =
    "Usage: kbsearch similar [OPTIONS] ID|PATH\n"
    "\n"
    "Shows the articles most like an indexed one, named by its id or its\n"
    "file's path as search prints them: the words that most set it apart\n"
    "from the rest of the archive are searched for (any of them, ranked as a\n"
    "search), and shown first with their matches highlighted. The article\n"
    "itself and its other versions (the same story updated or re-filed) are\n"
    "left out.\n"
    "\n"
    "Options:\n"
    "  -n, --limit N             show at most N articles (default 10)\n"
    "      --offset N            skip the N best first\n"
    "      --sort ORDER          relevance (the default), newest or oldest\n"
    "      --all-versions        show every version of a story as its own hit\n"
    "      --json                one JSON object per line and per hit, as for\n"
    "                            search\n"
    "      --color[=WHEN]        auto (the default), always or never\n"
    "      --markers, --html, --fragments N, --snippet-len N, --facets\n"
    "                            as for search (see 'kbsearch search --help')\n"
    "      --db DIR              use the index in DIR (see 'kbsearch --help')\n"
    "  -h, --help                show this help\n"
    "\n"
    "Examples:\n"
    "  kbsearch similar 12\n"
    "  kbsearch similar corpus/society/20230810_typhoon-khanun-landfall.txt\n"
    "\n"
    "Exit status: 0 found, 1 nothing like it, 2 no such article or failure.\n";

static const char VERSIONS_HELP[] =
    "Usage: kbsearch versions [OPTIONS] ID|PATH\n"
    "\n"
    "Lists the other versions of an article's story, newest first: the\n"
    "articles found, when they were indexed, to share most of its sentences\n"
    "(an update of it, or the same story filed again). A search shows a\n"
    "story once, with \"+N versions\" after its title.\n"
    "\n"
    "Options:\n"
    "  -n, --limit N             show at most N versions (default 10)\n"
    "      --offset N            skip the N newest first\n"
    "      --json                one JSON object per line and per version\n"
    "      --color[=WHEN]        auto (the default), always or never\n"
    "      --markers, --html, --fragments N, --snippet-len N, --facets\n"
    "                            as for search (see 'kbsearch search --help')\n"
    "      --db DIR              use the index in DIR (see 'kbsearch --help')\n"
    "  -h, --help                show this help\n"
    "\n"
    "Example:\n"
    "  kbsearch versions 55\n"
    "\n"
    "Exit status: 0 listed, 1 the article has no other version, 2 no such\n"
    "article or failure.\n";

static const char HELP_HELP[] =
    "Usage: kbsearch help [COMMAND]\n"
    "\n"
    "Shows the help of the program, or of COMMAND: search, index, show, stats,\n"
    "check, compact, similar, versions or help. 'kbsearch COMMAND --help' does\n"
    "the same.\n"
    "\n"
    "Example:\n"
    "  kbsearch help index\n"
    "\n"
    "Exit status: 0 success, 2 no such command.\n";

static const char PROGRAM_HELP[] =
    "Usage: kbsearch [OPTIONS] QUERY...\n"
    "       kbsearch index [OPTIONS] FOLDER|FILE\n"
    "       kbsearch show [OPTIONS] ID|PATH\n"
    "       kbsearch stats [OPTIONS]\n"
    "       kbsearch check [OPTIONS]\n"
    "       kbsearch compact [OPTIONS]\n"
    "       kbsearch similar [OPTIONS] ID|PATH\n"
    "       kbsearch versions [OPTIONS] ID|PATH\n"
    "       kbsearch help [COMMAND]\n"
    "\n"
    "Searches an offline archive of news articles. Index a folder of articles\n"
    "once, then search it as often as you like; run 'index' again to pick up\n"
    "new and changed files.\n"
    "\n"
    "Commands:\n"
    "  search QUERY...           show the best matching articles (the default)\n"
    "  index FOLDER              index the articles under FOLDER, or bring the\n"
    "                            index up to date with it\n"
    "  show ID|PATH              print an indexed article exactly as it was\n"
    "  stats                     describe the index: articles, sizes, dates\n"
    "  check                     verify the index and list what is wrong\n"
    "  compact                   rewrite the index in its smallest form\n"
    "  similar ID|PATH           show the articles most like an article\n"
    "  versions ID|PATH          list the other versions of an article's story\n"
    "  help [COMMAND]            show this help, or the help of COMMAND\n"
    "\n"
    "Options may come before or after the command and its arguments; '--'\n"
    "ends them.\n"
    "      --db DIR              the index folder; by default $KBSEARCH_DB, else\n"
    "                            $XDG_DATA_HOME/kbsearch, else\n"
    "                            ~/.local/share/kbsearch\n"
    "  -n, --limit N             search: show at most N results (default 10)\n"
    "      --json                search, stats: print JSON, one object a line\n"
    "      --color[=WHEN]        search: highlight matches: auto, always, never\n"
    "      --offset, --sort, --any, --count, --explain, --bm25, --title-weight,\n"
    "      --all-versions, --markers, --html, --fragments, --snippet-len,\n"
    "      --facets\n"
    "                            search: see 'kbsearch search --help'\n"
    "      --max-file-size SIZE  index: skip larger files (default 16M)\n"
    "      --workers, --max-memory\n"
    "                            index: see 'kbsearch index --help'\n"
    "  -h, --help                show help ('kbsearch COMMAND --help' for one\n"
    "                            command's)\n"
    "      --version             print the version of kbsearch\n"
    "\n"
    "Examples:\n"
    "  kbsearch index ~/news\n"
    "  kbsearch security cooperation\n"
    "  kbsearch show 12\n"
    "\n"
    "Exit status: 0 success, 1 nothing found, 2 usage error or failure,\n"
    "130 interrupted.\n";

static const cmd_info CMDS[CLI_NCMDS] = {
    [CLI_CMD_SEARCH] = {"search", GIVEN_SEARCH, SEARCH_HELP, SEARCH_HELP_OPTIONS},
    [CLI_CMD_INDEX] = {"index", GIVEN_DB | GIVEN_MAX_FILE_SIZE | GIVEN_WORKERS | GIVEN_MAX_MEMORY,
                       INDEX_HELP, NULL},
    [CLI_CMD_SHOW] = {"show", GIVEN_DB, SHOW_HELP, NULL},
    [CLI_CMD_STATS] = {"stats", GIVEN_DB | GIVEN_JSON, STATS_HELP, NULL},
    [CLI_CMD_CHECK] = {"check", GIVEN_DB, CHECK_HELP, NULL},
    [CLI_CMD_COMPACT] = {"compact", GIVEN_DB, COMPACT_HELP, NULL},
    [CLI_CMD_SIMILAR] = {"similar", GIVEN_LIST | GIVEN_SORT | GIVEN_ALL_VERSIONS, SIMILAR_HELP,
                         NULL},
    [CLI_CMD_VERSIONS] = {"versions", GIVEN_LIST, VERSIONS_HELP, NULL},
    [CLI_CMD_HELP] = {"help", 0, HELP_HELP, NULL},
};

int cli_cmd_lookup(const char *name)
{
    for (int i = 0; i < CLI_NCMDS; i++)
        if (strcmp(name, CMDS[i].name) == 0)
            return i;
    return -1;
}

const char *cli_cmd_name(int cmd)
{
    return cmd >= 0 && cmd < CLI_NCMDS ? CMDS[cmd].name : "kbsearch";
}

void cli_help(FILE *f, int cmd)
{
    fputs(cmd >= 0 && cmd < CLI_NCMDS ? CMDS[cmd].help : PROGRAM_HELP, f);
    if (cmd >= 0 && cmd < CLI_NCMDS && CMDS[cmd].help_more)
        fputs(CMDS[cmd].help_more, f);
}

int cli_usage_error(FILE *err, int cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("kbsearch: ", err);
    vfprintf(err, fmt, ap);
    va_end(ap);
    if (cmd >= 0 && cmd < CLI_NCMDS && cmd != CLI_CMD_HELP)
        fprintf(err, "\nTry 'kbsearch %s --help'.\n", CMDS[cmd].name);
    else
        fputs("\nTry 'kbsearch --help'.\n", err);
    return CLI_EXIT_FAIL;
}

/* Parsed by hand because strtoul() accepts signs, spaces and "0x", none of
 * which a count should be. */
static int parse_limit(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    if (*s == '\0')
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (uint32_t)(*s - '0');
        if (v > CLI_LIMIT_MAX)
            return -1;
    }
    if (v == 0)
        return -1;
    *out = v;
    return 0;
}

/* lo to hi, digits only. */
static int parse_bounded(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
    uint64_t v = 0;
    if (*s == '\0')
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > hi)
            return -1;
    }
    if (v < lo)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* The index of arg among names, or -1. */
static int choose(const char *arg, const char *const names[], int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(arg, names[i]) == 0)
            return i;
    return -1;
}

/*
 * A plain decimal number, "2", "0.75", ".5" or "3.", from s[0..len): no sign,
 * no exponent, no spaces. strtod() would take all of those and read the
 * decimal separator from the locale. At most 6 digits before the point and 9
 * after keep the digits an exact integer below 2^53, so dividing by an exact
 * power of ten gives the correctly rounded value.
 */
static int parse_decimal(const char *s, size_t len, double *out)
{
    static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    uint64_t digits = 0;
    size_t i = 0, whole = 0, frac = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, whole++)
        digits = digits * 10 + (uint64_t)(s[i] - '0');
    if (i < len && s[i] == '.')
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, frac++)
            digits = digits * 10 + (uint64_t)(s[i] - '0');
    if (i != len || whole + frac == 0 || whole > 6 || frac > 9)
        return -1;
    *out = (double)digits / pow10[frac];
    return 0;
}

/* "K1,B" for --bm25: k1 >= 0 (no upper bound in BM25), 0 <= b <= 1. */
static int parse_bm25(const char *s, double *k1, double *b)
{
    const char *comma = strchr(s, ',');
    double x, y;
    if (!comma || parse_decimal(s, (size_t)(comma - s), &x) != 0 ||
        parse_decimal(comma + 1, strlen(comma + 1), &y) != 0 || y > 1.0)
        return -1;
    *k1 = x;
    *b = y;
    return 0;
}

static int parse_title_weight(const char *s, double *out)
{
    double w;
    if (parse_decimal(s, strlen(s), &w) != 0 || w > CLI_TITLE_WEIGHT_MAX)
        return -1;
    *out = w;
    return 0;
}

/* A positive byte count, with an optional binary K, M or G after it. */
static int parse_size(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (p == s)
        return -1;
    unsigned shift = 0;
    if (*p == 'k' || *p == 'K')
        shift = 10;
    else if (*p == 'm' || *p == 'M')
        shift = 20;
    else if (*p == 'g' || *p == 'G')
        shift = 30;
    if (shift)
        p++;
    if (*p != '\0' || v == 0 || v > (UINT64_MAX >> shift))
        return -1;
    *out = v << shift;
    return 0;
}

/* The option as the user wrote it, without any "=value", for messages. */
static void option_text(const char *arg, char *out, size_t cap)
{
    size_t n = strcspn(arg, "=");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, arg, n);
    out[n] = '\0';
}

static const char *option_value_name(int opt)
{
    switch (opt) {
    case OPT_DB:
        return "the index folder";
    case 'n':
        return "the number of results";
    case OPT_MAX_FILE_SIZE:
        return "a size such as 32M";
    case OPT_WORKERS:
        return "a number of processes from 1 to 4";
    case OPT_MAX_MEMORY:
        return "a number of MiB such as 512";
    case OPT_OFFSET:
        return "the number of results to skip";
    case OPT_SORT:
        return "relevance, newest or oldest";
    case OPT_BM25:
        return "K1,B such as 1.2,0.75";
    case OPT_TITLE_WEIGHT:
        return "a number such as 2.5";
    case OPT_FRAGMENTS:
        return "the number of passages, 1 to 16";
    case OPT_EXPAND:
        return "the most words a prefix stands for, 1 to 10000";
    case OPT_SNIPPET_LEN:
        return "a number of characters such as 300";
    default:
        return "a value";
    }
}

static const char *given_name(unsigned bit)
{
    static const char *const names[] = {
        "--db",      "--json",         "--limit",        "--color",       "--max-file-size",
        "--any",     "--sort",         "--offset",       "--count",       "--explain",
        "--bm25",    "--title-weight", "--all-versions", "--workers",     "--max-memory",
        "--markers", "--html",         "--fragments",    "--snippet-len", "--facets",
        "--expand"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (bit == 1u << i)
            return names[i];
    return "an option";
}

int cli_args_parse(int argc, char **argv, cli_args *out, FILE *err)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"json", no_argument, NULL, OPT_JSON},
        {"limit", required_argument, NULL, 'n'},
        {"color", optional_argument, NULL, OPT_COLOR},
        {"colour", optional_argument, NULL, OPT_COLOR},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {"max-file-size", required_argument, NULL, OPT_MAX_FILE_SIZE},
        {"any", no_argument, NULL, OPT_ANY},
        {"sort", required_argument, NULL, OPT_SORT},
        {"offset", required_argument, NULL, OPT_OFFSET},
        {"count", no_argument, NULL, OPT_COUNT},
        {"explain", no_argument, NULL, OPT_EXPLAIN},
        {"bm25", required_argument, NULL, OPT_BM25},
        {"title-weight", required_argument, NULL, OPT_TITLE_WEIGHT},
        {"all-versions", no_argument, NULL, OPT_ALL_VERSIONS},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
        {"markers", no_argument, NULL, OPT_MARKERS},
        {"html", no_argument, NULL, OPT_HTML},
        {"fragments", required_argument, NULL, OPT_FRAGMENTS},
        {"snippet-len", required_argument, NULL, OPT_SNIPPET_LEN},
        {"facets", no_argument, NULL, OPT_FACETS},
        {"expand", required_argument, NULL, OPT_EXPAND},
        {NULL, 0, NULL, 0},
    };
    cli_args a = {0};
    a.limit = CLI_LIMIT_DEFAULT;
    a.sort = KBS_SORT_RELEVANCE;
    a.bm25_k1 = -1;
    a.bm25_b = -1;
    a.title_weight = -1;
    unsigned given = 0;
    /* Positional arguments in order; those before "--" may name the command. */
    const char **pos = calloc((size_t)argc + 1, sizeof *pos);
    size_t npos = 0, npos_before_dashes;
    if (!pos) {
        fputs("kbsearch: out of memory\n", err);
        return CLI_EXIT_FAIL;
    }

    /* A leading '-' returns arguments in order (as option 1) whatever
     * POSIXLY_CORRECT says, so options work after the query too; ':' makes
     * getopt quiet, so that every message is ours. optind 0, not 1, makes
     * glibc's getopt start afresh: with 1 it goes on from where the last
     * scan stopped inside a group of short options ("-xh" returns at the
     * unknown 'x' with 'h' still to read), in an argv that may be freed by
     * now, and a GNU optstring ("-...") needs 0 anyway (getopt(3), NOTES). */
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "-:hn:", longopts, NULL)) != -1) {
        char name[64];
        switch (c) {
        case 1:
            pos[npos++] = optarg;
            break;
        case OPT_DB:
            if (*optarg == '\0') {
                free(pos);
                return cli_usage_error(err, -1, "--db needs a folder, not an empty name");
            }
            a.db = optarg;
            given |= GIVEN_DB;
            break;
        case OPT_JSON:
            a.json = 1;
            given |= GIVEN_JSON;
            break;
        case 'n':
            if (parse_limit(optarg, &a.limit) != 0) {
                free(pos);
                return cli_usage_error(err, -1,
                                       "--limit needs a whole number from 1 to %u, not '%s'",
                                       CLI_LIMIT_MAX, optarg);
            }
            given |= GIVEN_LIMIT;
            break;
        case OPT_MAX_FILE_SIZE:
            if (parse_size(optarg, &a.max_file_bytes) != 0) {
                free(pos);
                return cli_usage_error(err, -1,
                                       "--max-file-size needs a size in bytes such as 500000, "
                                       "64K or 32M, not '%s'",
                                       optarg);
            }
            given |= GIVEN_MAX_FILE_SIZE;
            break;
        case OPT_WORKERS:
            if (parse_bounded(optarg, 1, CLI_WORKERS_MAX, &a.workers) != 0) {
                free(pos);
                return cli_usage_error(err, -1,
                                       "--workers needs a number of processes from 1 to %u, "
                                       "not '%s'",
                                       CLI_WORKERS_MAX, optarg);
            }
            given |= GIVEN_WORKERS;
            break;
        case OPT_MAX_MEMORY:
            if (parse_bounded(optarg, CLI_MEMORY_MIN_MB, CLI_MEMORY_MAX_MB, &a.max_memory_mb) !=
                0) {
                free(pos);
                return cli_usage_error(err, -1,
                                       "--max-memory needs a number of MiB from %u to %u "
                                       "(such as 512), not '%s'",
                                       CLI_MEMORY_MIN_MB, CLI_MEMORY_MAX_MB, optarg);
            }
            given |= GIVEN_MAX_MEMORY;
            break;
        case OPT_COLOR: {
            static const char *const names[] = {"auto", "always", "never"};
            static const int values[] = {CLI_COLOR_AUTO, CLI_COLOR_ALWAYS, CLI_COLOR_NEVER};
            int i = optarg ? choose(optarg, names, 3) : 1;
            if (i < 0) {
                free(pos);
                return cli_usage_error(
                    err, -1, "--color takes 'auto', 'always' or 'never', not '%s'", optarg);
            }
            a.color = values[i];
            given |= GIVEN_COLOR;
            break;
        }
        case OPT_ANY:
            a.match_any = 1;
            given |= GIVEN_ANY;
            break;
        case OPT_SORT: {
            static const char *const names[] = {"relevance", "newest", "oldest"};
            static const int values[] = {KBS_SORT_RELEVANCE, KBS_SORT_NEWEST, KBS_SORT_OLDEST};
            int i = choose(optarg, names, 3);
            if (i < 0) {
                free(pos);
                return cli_usage_error(
                    err, -1, "--sort takes 'relevance', 'newest' or 'oldest', not '%s'", optarg);
            }
            a.sort = values[i];
            given |= GIVEN_SORT;
            break;
        }
        case OPT_OFFSET:
            if (parse_bounded(optarg, 0, CLI_OFFSET_MAX, &a.offset) != 0) {
                free(pos);
                return cli_usage_error(err, -1,
                                       "--offset needs a whole number from 0 to %u, not '%s'",
                                       CLI_OFFSET_MAX, optarg);
            }
            given |= GIVEN_OFFSET;
            break;
        case OPT_COUNT:
            a.count = 1;
            given |= GIVEN_COUNT;
            break;
        case OPT_EXPLAIN:
            a.explain = 1;
            given |= GIVEN_EXPLAIN;
            break;
        case OPT_BM25:
            if (parse_bm25(optarg, &a.bm25_k1, &a.bm25_b) != 0) {
                free(pos);
                return cli_usage_error(err, -1,
                                       "--bm25 needs K1,B: two numbers such as 1.2,0.75, K1 0 or "
                                       "more and B from 0 to 1, not '%s'",
                                       optarg);
            }
            given |= GIVEN_BM25;
            break;
        case OPT_TITLE_WEIGHT:
            if (parse_title_weight(optarg, &a.title_weight) != 0) {
                free(pos);
                return cli_usage_error(err, -1,
                                       "--title-weight needs a number from 0 to %g such as 2.5, "
                                       "not '%s'",
                                       CLI_TITLE_WEIGHT_MAX, optarg);
            }
            given |= GIVEN_TITLE_WEIGHT;
            break;
        case OPT_ALL_VERSIONS:
            a.all_versions = 1;
            given |= GIVEN_ALL_VERSIONS;
            break;
        case OPT_MARKERS:
            a.markers = 1;
            given |= GIVEN_MARKERS;
            break;
        case OPT_HTML:
            a.html = 1;
            given |= GIVEN_HTML;
            break;
        case OPT_FRAGMENTS:
            if (parse_bounded(optarg, 1, CLI_FRAGMENTS_MAX, &a.fragments) != 0) {
                free(pos);
                return cli_usage_error(err, -1,
                                       "--fragments needs a whole number from 1 to %u, not '%s'",
                                       CLI_FRAGMENTS_MAX, optarg);
            }
            given |= GIVEN_FRAGMENTS;
            break;
        case OPT_SNIPPET_LEN:
            if (parse_bounded(optarg, CLI_SNIPPET_LEN_MIN, CLI_SNIPPET_LEN_MAX, &a.snippet_len) !=
                0) {
                free(pos);
                return cli_usage_error(err, -1,
                                       "--snippet-len needs a number of characters from %u to "
                                       "%u, not '%s'",
                                       CLI_SNIPPET_LEN_MIN, CLI_SNIPPET_LEN_MAX, optarg);
            }
            given |= GIVEN_SNIPPET_LEN;
            break;
        case OPT_FACETS:
            a.facets = 1;
            given |= GIVEN_FACETS;
            break;
        case OPT_EXPAND:
            if (parse_bounded(optarg, 1, CLI_EXPAND_MAX, &a.expand) != 0) {
                free(pos);
                return cli_usage_error(err, -1,
                                       "--expand needs a whole number from 1 to %u, not '%s'",
                                       CLI_EXPAND_MAX, optarg);
            }
            given |= GIVEN_EXPAND;
            break;
        case 'h':
            a.help = 1;
            break;
        case OPT_VERSION:
            a.version = 1;
            break;
        case ':':
            option_text(argv[optind - 1], name, sizeof name);
            free(pos);
            return cli_usage_error(err, -1, "option '%s' needs a value: %s", name,
                                   option_value_name(optopt));
        default: /* '?' */
            free(pos);
            if (optopt >= 256) {
                option_text(argv[optind - 1], name, sizeof name);
                return cli_usage_error(err, -1, "option '%s' takes no value", name);
            }
            if (optopt != 0)
                return cli_usage_error(err, -1, "unknown option '-%c'", optopt);
            option_text(argv[optind - 1], name, sizeof name);
            return cli_usage_error(err, -1, "unknown option '%s'", name);
        }
    }
    npos_before_dashes = npos;
    for (int i = optind; i < argc; i++)
        pos[npos++] = argv[i];

    a.cmd = CLI_CMD_SEARCH;
    size_t first = 0;
    if (npos_before_dashes > 0) {
        int cmd = cli_cmd_lookup(pos[0]);
        if (cmd >= 0) {
            a.cmd = cmd;
            a.cmd_named = 1;
            first = 1;
        }
    }
    a.words = pos;
    a.nwords = npos - first;
    memmove(pos, pos + first, a.nwords * sizeof *pos);
    pos[a.nwords] = NULL;

    /* Help and version need nothing else, so stray options do not matter. */
    if (!a.help && !a.version && a.cmd != CLI_CMD_HELP) {
        unsigned wrong = given & ~CMDS[a.cmd].accepts;
        if (wrong) {
            unsigned bit = wrong & -wrong;
            free(pos);
            return cli_usage_error(err, a.cmd, "%s does not apply to '%s'", given_name(bit),
                                   CMDS[a.cmd].name);
        }
        unsigned modes = given & GIVEN_OUTPUT_MODES;
        if (modes & (modes - 1)) {
            free(pos);
            return cli_usage_error(err, a.cmd,
                                   "%s and %s write the hits in different ways: give one",
                                   given_name(modes & -modes),
                                   given_name((modes & (modes - 1)) & -(modes & (modes - 1))));
        }
        unsigned clash = (given & GIVEN_COUNT) ? given & GIVEN_LIST_ONLY : 0;
        if (clash) {
            free(pos);
            return cli_usage_error(err, a.cmd,
                                   "--count prints only the number of matches: %s does not go "
                                   "with it",
                                   given_name(clash & -clash));
        }
    }
    *out = a;
    return CLI_EXIT_OK;
}

void cli_args_free(cli_args *args)
{
    if (!args)
        return;
    free(args->words);
    args->words = NULL;
    args->nwords = 0;
}
