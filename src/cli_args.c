/* cli_args.c - the kbsearch command line: options, commands, help texts. */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Long-only options get values above any character so they never clash with
 * short ones. */
enum { OPT_DB = 256, OPT_JSON, OPT_COLOR, OPT_VERSION };

/* Which options a command accepts, so that a misplaced one is reported
 * instead of silently doing nothing. */
#define GIVEN_DB 1u
#define GIVEN_JSON 2u
#define GIVEN_LIMIT 4u
#define GIVEN_COLOR 8u

typedef struct cmd_info {
    const char *name;
    unsigned accepts; /* GIVEN_* bits */
    const char *help;
} cmd_info;

static const cmd_info CMDS[CLI_NCMDS] = {
    [CLI_CMD_SEARCH] =
        {"search", GIVEN_DB | GIVEN_JSON | GIVEN_LIMIT | GIVEN_COLOR,
         "Usage: kbsearch [search] [OPTIONS] QUERY...\n"
         "\n"
         "Shows the articles that best match QUERY, best first: rank, title,\n"
         "category, date written, file, id, and a passage with the matching words\n"
         "highlighted. Several arguments are joined with spaces. 'search' may be\n"
         "left out unless the first word of the query is a command name.\n"
         "\n"
         "The query is a list of words, all of which must match; stems match, so\n"
         "\"cooperate\" finds \"cooperation\". \"Quoted words\" must match as a phrase.\n"
         "If no article has all the words, the articles with any of them are shown\n"
         "and kbsearch says so first.\n"
         "\n"
         "Options:\n"
         "  -n, --limit N     show at most N results (1 to 10000; default 10)\n"
         "      --json        print one JSON object per line and per hit:\n"
         "                    id, rank, path (absolute), title, category, written,\n"
         "                    updated, score, snippet, highlights ([start, length]\n"
         "                    byte ranges of the snippet) and match (\"all\" or \"any\")\n"
         "      --color[=WHEN]  highlight matches: auto (default: on a terminal,\n"
         "                    unless NO_COLOR is set), always, or never\n"
         "      --db DIR      search the index in DIR (see 'kbsearch --help')\n"
         "  -h, --help        show this help\n"
         "\n"
         "Examples:\n"
         "  kbsearch security cooperation\n"
         "  kbsearch '\"interest rate\"' --limit 3\n"
         "  kbsearch search stats          (a query that is a command name)\n"
         "  kbsearch -- -10%               (a query that starts with '-')\n"
         "  kbsearch --json typhoon | jq -r .path\n"
         "\n"
         "Exit status: 0 found, 1 nothing found, 2 usage error or failure.\n"},
    [CLI_CMD_INDEX] = {"index", GIVEN_DB,
                       "Usage: kbsearch index [OPTIONS] FOLDER\n"
                       "\n"
                       "Indexes every article under FOLDER and its subfolders (names starting\n"
                       "with '.' are left out), and brings the index up to date with it: new\n"
                       "files are added, changed files indexed again, and articles whose files\n"
                       "are gone are removed. Run it again whenever the folder changes; files\n"
                       "that did not change are not read again.\n"
                       "\n"
                       "On a terminal a progress line shows files done and speed. At the end one\n"
                       "line sums up: added, updated, unchanged, removed, skipped. A file that\n"
                       "cannot be indexed (binary, too large, unreadable) is skipped with a line\n"
                       "on stderr saying why; the other files are indexed all the same.\n"
                       "Ctrl-C stops cleanly: what was indexed so far is kept.\n"
                       "\n"
                       "Options:\n"
                       "      --db DIR      keep the index in DIR (created if needed; see\n"
                       "                    'kbsearch --help' for the default)\n"
                       "  -h, --help        show this help\n"
                       "\n"
                       "Example:\n"
                       "  kbsearch index ~/news/kbs-world\n"
                       "\n"
                       "Exit status: 0 every file indexed, 2 some file skipped or the run failed,\n"
                       "130 interrupted.\n"},
    [CLI_CMD_SHOW] = {"show", GIVEN_DB,
                      "Usage: kbsearch show [OPTIONS] ID|PATH\n"
                      "\n"
                      "Prints an indexed article exactly as it was when it was indexed, byte\n"
                      "for byte, from the index's own copy (the file need not exist any more).\n"
                      "Name it by its id or by its file's path, as search prints them; a path\n"
                      "may be relative or absolute. An argument of digits only is an id,\n"
                      "unless a file of that name exists (write ./123 to mean the file).\n"
                      "\n"
                      "Options:\n"
                      "      --db DIR      read the index in DIR (see 'kbsearch --help')\n"
                      "  -h, --help        show this help\n"
                      "\n"
                      "Examples:\n"
                      "  kbsearch show 12\n"
                      "  kbsearch show corpus/diplomacy/20190802_seoul-tokyo-talks.txt | less\n"
                      "\n"
                      "Exit status: 0 shown, 2 no such article or failure.\n"},
    [CLI_CMD_STATS] = {"stats", GIVEN_DB | GIVEN_JSON,
                       "Usage: kbsearch stats [OPTIONS]\n"
                       "\n"
                       "Describes the index: its folder, the number of articles, the size of\n"
                       "their text, of the compressed copies kept for 'show', of the whole\n"
                       "index on disk, and the range of dates the articles were written.\n"
                       "\n"
                       "Options:\n"
                       "      --json        print the figures as one JSON object\n"
                       "      --db DIR      describe the index in DIR (see 'kbsearch --help')\n"
                       "  -h, --help        show this help\n"
                       "\n"
                       "Example:\n"
                       "  kbsearch stats\n"
                       "\n"
                       "Exit status: 0 success, 2 no index or failure.\n"},
    [CLI_CMD_HELP] = {"help", 0,
                      "Usage: kbsearch help [COMMAND]\n"
                      "\n"
                      "Shows the help of the program, or of COMMAND: search, index, show,\n"
                      "stats or help.\n"
                      "\n"
                      "Example:\n"
                      "  kbsearch help index\n"
                      "\n"
                      "Exit status: 0 success, 2 no such command.\n"},
};

static const char PROGRAM_HELP[] =
    "Usage: kbsearch [OPTIONS] QUERY...\n"
    "       kbsearch index [OPTIONS] FOLDER\n"
    "       kbsearch show [OPTIONS] ID|PATH\n"
    "       kbsearch stats [OPTIONS]\n"
    "       kbsearch help [COMMAND]\n"
    "\n"
    "Searches an offline archive of news articles. Index a folder of articles\n"
    "once, then search it as often as you like; run 'index' again to pick up\n"
    "new and changed files.\n"
    "\n"
    "Commands:\n"
    "  search QUERY...   show the best matching articles (the default command)\n"
    "  index FOLDER      index the articles under FOLDER, or bring them up to date\n"
    "  show ID|PATH      print an indexed article exactly as it was saved\n"
    "  stats             describe the index: articles, sizes, dates\n"
    "  help [COMMAND]    show this help, or the help of COMMAND\n"
    "\n"
    "Options (before or after the command and its arguments; '--' ends them):\n"
    "      --db DIR      the index folder; by default $KBSEARCH_DB, else\n"
    "                    $XDG_DATA_HOME/kbsearch, else ~/.local/share/kbsearch\n"
    "  -n, --limit N     search: show at most N results (default 10)\n"
    "      --json        search, stats: print JSON, one object per line\n"
    "      --color[=WHEN]  search: highlight matches: auto, always or never\n"
    "  -h, --help        show help ('kbsearch COMMAND --help' for a command's)\n"
    "      --version     print the version of kbsearch\n"
    "\n"
    "Examples:\n"
    "  kbsearch index ~/news\n"
    "  kbsearch security cooperation\n"
    "  kbsearch show 12\n"
    "\n"
    "Exit status: 0 success, 1 nothing found, 2 usage error or failure,\n"
    "130 interrupted.\n";

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
    default:
        return "a value";
    }
}

static const char *given_name(unsigned bit)
{
    switch (bit) {
    case GIVEN_DB:
        return "--db";
    case GIVEN_JSON:
        return "--json";
    case GIVEN_LIMIT:
        return "--limit";
    default:
        return "--color";
    }
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
        {NULL, 0, NULL, 0},
    };
    cli_args a = {0};
    a.limit = CLI_LIMIT_DEFAULT;
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
     * getopt quiet, so that every message is ours. */
    optind = 1;
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
        case OPT_COLOR:
            if (!optarg || strcmp(optarg, "always") == 0)
                a.color = CLI_COLOR_ALWAYS;
            else if (strcmp(optarg, "never") == 0)
                a.color = CLI_COLOR_NEVER;
            else if (strcmp(optarg, "auto") == 0)
                a.color = CLI_COLOR_AUTO;
            else {
                free(pos);
                return cli_usage_error(
                    err, -1, "--color takes 'auto', 'always' or 'never', not '%s'", optarg);
            }
            given |= GIVEN_COLOR;
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
