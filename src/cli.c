/* cli.c - the kbsearch program: finds the index and runs the commands. */
#include "cli.h"

#include <errno.h>
#include <json-c/json.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * The signal that asked indexing to stop, or 0. The one variable at file
 * scope: a signal handler can tell the program something only through a
 * volatile sig_atomic_t of static storage. The indexing callback reads it and
 * asks the library to stop, which then commits what it has.
 */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "kbsearch: <message>" to stderr; returns CLI_EXIT_FAIL. */
static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("kbsearch: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CLI_EXIT_FAIL;
}

static int fail_nomem(void)
{
    return fail("out of memory");
}

static char *join_path(const char *dir, const char *name)
{
    size_t n = strlen(dir), m = strlen(name);
    char *p = malloc(n + m + 2);
    if (!p)
        return NULL;
    memcpy(p, dir, n);
    size_t o = n;
    if (o == 0 || p[o - 1] != '/')
        p[o++] = '/';
    memcpy(p + o, name, m + 1);
    return p;
}

/* The current folder (free()), or NULL if it cannot be known (for example
 * when it was deleted), in which case paths are shown absolute. */
static char *current_dir(void)
{
    for (size_t cap = 256; cap <= (1u << 20); cap *= 2) {
        char *d = malloc(cap);
        if (!d)
            return NULL;
        if (getcwd(d, cap))
            return d;
        free(d);
        if (errno != ERANGE)
            return NULL;
    }
    return NULL;
}

/* --- where the index is --------------------------------------------------- */

/* The index folder: --db, else $KBSEARCH_DB, else the XDG data folder. */
static int find_db(const cli_args *a, char **out)
{
    const char *env = getenv("KBSEARCH_DB");
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    if (a->db)
        *out = strdup(a->db);
    else if (env && *env)
        *out = strdup(env);
    else if (xdg && xdg[0] == '/') /* the XDG spec says to ignore a relative one */
        *out = join_path(xdg, "kbsearch");
    else {
        if (!home || !*home) {
            struct passwd *pw = getpwuid(getuid());
            home = pw ? pw->pw_dir : NULL;
        }
        if (!home || !*home)
            return fail("cannot tell where your home folder is to find the index: pass "
                        "--db DIR or set KBSEARCH_DB");
        *out = join_path(home, ".local/share/kbsearch");
    }
    return *out ? CLI_EXIT_OK : fail_nomem();
}

/* Creates the folders above `path` that are missing, like mkdir -p of its
 * parent: the index folder itself is the library's to create. */
static int make_parents(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return fail_nomem();
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            int e = errno;
            fail("cannot create the folder %s for the index: %s", p, strerror(e));
            free(p);
            return CLI_EXIT_FAIL;
        }
        *s = '/';
    }
    free(p);
    return CLI_EXIT_OK;
}

static int open_db(const char *dir, unsigned flags, kbs_db **db)
{
    char *msg = NULL;
    int st = kbs_db_open(dir, flags, db, &msg);
    if (st == KBS_OK)
        return CLI_EXIT_OK;
    if (st == KBS_ENOTFOUND && !(flags & KBS_OPEN_CREATE))
        fail("no index at %s — run 'kbsearch index FOLDER' first (or pass --db DIR)", dir);
    else if (msg && *msg) /* it names the folder and says what to do */
        fail("%s", msg);
    else
        fail("cannot open the index at %s: %s", dir, kbs_strerror(st));
    kbs_free(msg);
    return CLI_EXIT_FAIL;
}

/* --- paths ------------------------------------------------------------------ */

/*
 * Makes `path` absolute and normalized the way the index stores paths. A file
 * that exists goes through realpath(). One that is gone (show still finds its
 * article) is joined to the current folder, its ".", ".." and "//" folded
 * away, and the longest part of it that still exists is resolved with
 * realpath(), so that a symbolic link above the file is followed as it was
 * at indexing time.
 */
static int absolute_path(const char *path, char **out)
{
    char *real = realpath(path, NULL);
    if (real) {
        *out = real;
        return CLI_EXIT_OK;
    }
    char *joined;
    if (path[0] == '/') {
        joined = strdup(path);
    } else {
        char *cwd = current_dir();
        if (!cwd)
            return fail("cannot find the current folder to resolve %s: %s", path, strerror(errno));
        joined = join_path(cwd, path);
        free(cwd);
    }
    if (!joined)
        return fail_nomem();

    /* Lexical normalization, in place: the result is never longer. */
    size_t o = 1;
    const char *s = joined;
    joined[0] = '/';
    while (*s) {
        while (*s == '/')
            s++;
        const char *e = s;
        while (*e && *e != '/')
            e++;
        size_t n = (size_t)(e - s);
        if (n == 0 || (n == 1 && s[0] == '.')) {
            /* nothing */
        } else if (n == 2 && s[0] == '.' && s[1] == '.') {
            while (o > 1 && joined[o - 1] != '/')
                o--;
            if (o > 1)
                o--;
        } else {
            if (o > 1)
                joined[o++] = '/';
            memmove(joined + o, s, n);
            o += n;
        }
        s = e;
    }
    joined[o] = '\0';

    for (size_t cut = o; cut-- > 1;) {
        if (joined[cut] != '/')
            continue;
        joined[cut] = '\0';
        real = realpath(joined, NULL);
        joined[cut] = '/';
        if (!real)
            continue;
        const char *rest = joined + cut;
        size_t rn = strcmp(real, "/") == 0 ? 0 : strlen(real);
        char *full = malloc(rn + strlen(rest) + 1);
        if (full) {
            memcpy(full, real, rn);
            strcpy(full + rn, rest);
        }
        free(real);
        free(joined);
        if (!full)
            return fail_nomem();
        *out = full;
        return CLI_EXIT_OK;
    }
    *out = joined;
    return CLI_EXIT_OK;
}

/* --- index -------------------------------------------------------------------- */

typedef struct index_ui {
    int progress;          /* draw a progress line: stderr is a terminal */
    int drawn;             /* the progress line is on the screen */
    double start;          /* when the run began (monotonic seconds) */
    double last_draw;      /* when the progress line was last drawn */
    const char *cwd;       /* for showing paths; may be NULL */
    kbs_index_report seen; /* counted from the events, for a run that fails */
} index_ui;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void clear_progress(index_ui *ui)
{
    if (ui->drawn) {
        fputs("\r\033[K", stderr);
        ui->drawn = 0;
    }
}

/* Redraws at most ten times a second, and not at all during the first fifth
 * of a second, so that small runs do not flicker. */
static void draw_progress(index_ui *ui, const kbs_index_event *ev)
{
    double t = now();
    if (t - ui->start < 0.2 || (ui->drawn && t - ui->last_draw < 0.1))
        return;
    double mb = (double)ev->bytes_done / 1e6, secs = t - ui->start;
    fprintf(stderr, "\r\033[KIndexing: %llu/%llu files", (unsigned long long)ev->files_done,
            (unsigned long long)ev->files_total);
    if (ev->files_total > 0)
        fprintf(stderr, " (%u%%)", (unsigned)(ev->files_done * 100 / ev->files_total));
    fprintf(stderr, ", %.1f MB, %.1f MB/s", mb, mb / secs);
    fflush(stderr);
    ui->drawn = 1;
    ui->last_draw = t;
}

static int on_index_event(void *ctx, const kbs_index_event *ev)
{
    index_ui *ui = ctx;
    switch (ev->kind) {
    case KBS_EVENT_ADDED:
        ui->seen.added++;
        break;
    case KBS_EVENT_UPDATED:
        ui->seen.updated++;
        break;
    case KBS_EVENT_UNCHANGED:
        ui->seen.unchanged++;
        break;
    case KBS_EVENT_REMOVED:
        ui->seen.removed++;
        break;
    case KBS_EVENT_SKIPPED: {
        const char *path = ev->path ? cli_display_path(ev->path, ui->cwd) : "?";
        ui->seen.skipped++;
        clear_progress(ui);
        fputs("kbsearch: skipped ", stderr);
        cli_put_text(stderr, path, strlen(path));
        fprintf(stderr, ": %s\n",
                ev->message && *ev->message ? ev->message : kbs_strerror(ev->status));
        break;
    }
    default:
        break;
    }
    if (ui->progress)
        draw_progress(ui, ev);
    return stop_signal != 0;
}

static void print_mb(FILE *f, double bytes)
{
    double mb = bytes / 1e6;
    fprintf(f, mb < 10 ? "%.2f MB" : "%.1f MB", mb);
}

static void print_summary(const kbs_index_report *r)
{
    printf("%llu added, %llu updated, %llu unchanged, %llu removed, %llu skipped (",
           (unsigned long long)r->added, (unsigned long long)r->updated,
           (unsigned long long)r->unchanged, (unsigned long long)r->removed,
           (unsigned long long)r->skipped);
    print_mb(stdout, (double)r->bytes_indexed);
    printf(" in %.2f s", r->seconds);
    if (r->seconds > 0) {
        fputs(", ", stdout);
        print_mb(stdout, (double)r->bytes_indexed / r->seconds);
        fputs("/s", stdout);
    }
    puts(")");
    fflush(stdout); /* before any message on stderr, for a reader of both */
}

/* Non-zero if `inner` is `outer` or lies under it (both absolute, normalized). */
static int path_within(const char *inner, const char *outer)
{
    size_t n = strlen(outer);
    if (n == 1)
        return 1;
    return strncmp(inner, outer, n) == 0 && (inner[n] == '\0' || inner[n] == '/');
}

static int cmd_index(const cli_args *a, const char *dbdir)
{
    if (a->nwords == 0)
        return cli_usage_error(stderr, CLI_CMD_INDEX, "index needs the folder to index");
    if (a->nwords > 1)
        return cli_usage_error(stderr, CLI_CMD_INDEX,
                               "index takes one folder, not %zu arguments (quote a name that "
                               "has spaces)",
                               a->nwords);
    const char *dir = a->words[0];
    struct stat st;
    if (stat(dir, &st) != 0)
        return fail("cannot index %s: %s", dir, strerror(errno));
    /* One file: indexed as it would be in its folder, nothing removed. */
    int one_file = S_ISREG(st.st_mode);
    if (!S_ISDIR(st.st_mode) && !one_file)
        return fail("cannot index %s: it is neither a folder nor a regular file — give the "
                    "folder that holds the articles",
                    dir);

    /* The index keys articles by absolute path: give it the resolved folder
     * so that 'show PATH' finds them whichever way the folder was named. */
    char *root = NULL, *dbabs = NULL;
    int rc = absolute_path(dir, &root);
    if (rc == CLI_EXIT_OK)
        rc = absolute_path(dbdir, &dbabs);
    if (rc == CLI_EXIT_OK && one_file && path_within(root, dbabs))
        rc = fail("%s is a file of the index at %s, not an article — give the folder that holds "
                  "the articles",
                  dir, dbabs);
    else if (rc == CLI_EXIT_OK && !one_file && path_within(dbabs, root))
        rc = fail("the index folder %s is inside %s, so the index would index itself — keep "
                  "it elsewhere (--db DIR)",
                  dbabs, dir);
    if (rc == CLI_EXIT_OK)
        rc = make_parents(dbabs);
    /* Before the index is opened, so that a Ctrl-C as soon as it exists is
     * a clean stop too. SA_RESETHAND: a second Ctrl-C kills at once, should
     * stopping cleanly take too long. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    kbs_db *db = NULL;
    if (rc == CLI_EXIT_OK)
        rc = open_db(dbdir, KBS_OPEN_WRITE | KBS_OPEN_CREATE, &db);
    if (rc != CLI_EXIT_OK) {
        free(root);
        free(dbabs);
        return rc;
    }

    index_ui ui = {0};
    char *cwd = current_dir();
    ui.progress = isatty(STDERR_FILENO);
    ui.start = now();
    ui.cwd = cwd;
    kbs_index_options opts;
    kbs_index_options_init(&opts);
    opts.callback = on_index_event;
    opts.callback_ctx = &ui;
    if (a->max_file_bytes)
        opts.max_file_bytes = a->max_file_bytes;
    opts.workers = a->workers;
    opts.max_memory_mb = a->max_memory_mb;
    kbs_index_report report;
    memset(&report, 0, sizeof report);
    int ist;
    if (one_file) {
        int changed = 0;
        /* As given: the library names it as a run on its folder would (a
         * symbolic link by its own name). */
        ist = kbs_index_file(db, dir, &opts, NULL, &changed);
        /* A file that cannot be indexed was said (on_index_event) and is
         * counted as skipped, as in a folder: exit status 2, not a failure
         * of the run. */
        if (ist != KBS_OK && ui.seen.skipped)
            ist = KBS_OK;
        report = ui.seen;
        report.bytes_indexed = changed ? (uint64_t)st.st_size : 0;
        report.seconds = now() - ui.start;
    } else {
        ist = kbs_index_dir(db, root, &opts, &report);
    }
    clear_progress(&ui);
    char *run_msg = ist != KBS_OK ? strdup(kbs_db_errmsg(db)) : NULL;
    int cst = kbs_db_commit(db);
    char *commit_msg = cst != KBS_OK ? strdup(kbs_db_errmsg(db)) : NULL;
    int close_st = kbs_db_close(db);
    if (cst == KBS_OK)
        cst = close_st;

    /* A run that failed or was stopped may not fill the report; the events
     * tell what was done all the same. */
    if ((ist != KBS_OK || stop_signal) &&
        report.added + report.updated + report.unchanged + report.removed + report.skipped == 0) {
        report = ui.seen;
        report.seconds = now() - ui.start;
        report.bytes_indexed = 0;
    }
    print_summary(&report);

    rc = CLI_EXIT_OK;
    if (cst != KBS_OK) {
        fail("could not save the index at %s: %s — the articles indexed before the last save "
             "are kept; run the command again",
             dbdir, commit_msg && *commit_msg ? commit_msg : kbs_strerror(cst));
        rc = CLI_EXIT_FAIL;
    } else if (stop_signal) {
        fail("interrupted — what was indexed so far is saved; run 'kbsearch index' again to "
             "finish");
        rc = CLI_EXIT_SIGNAL + stop_signal;
    } else if (ist != KBS_OK) {
        fail("indexing %s stopped early: %s — what was indexed before is saved", dir,
             run_msg && *run_msg ? run_msg : kbs_strerror(ist));
        rc = CLI_EXIT_FAIL;
    } else if (report.skipped > 0) {
        fail("%llu %s could not be indexed (see above); the other files were indexed",
             (unsigned long long)report.skipped, report.skipped == 1 ? "file" : "files");
        rc = CLI_EXIT_FAIL;
    }
    free(run_msg);
    free(commit_msg);
    free(cwd);
    free(root);
    free(dbabs);
    return rc;
}

/* --- search ------------------------------------------------------------------- */

/* Whether to draw with escapes on `fd`: stdout for the hits, stderr for the
 * messages, which may go to a terminal when stdout does not. */
static int want_color(int mode, int fd)
{
    if (mode != CLI_COLOR_AUTO)
        return mode == CLI_COLOR_ALWAYS;
    const char *no_color = getenv("NO_COLOR");
    const char *term = getenv("TERM");
    if ((no_color && *no_color) || (term && strcmp(term, "dumb") == 0))
        return 0;
    return isatty(fd);
}

/* The width to wrap snippets at: the terminal's, or 0 (no wrapping) when the
 * output is not a terminal or too narrow to wrap sensibly. */
static unsigned wrap_width(void)
{
    struct winsize ws;
    if (!isatty(STDOUT_FILENO))
        return 0;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0)
        return 80;
    return ws.ws_col >= 30 ? ws.ws_col : 0;
}

static unsigned digits(uint32_t n)
{
    unsigned d = 1;
    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

/* The arguments joined with spaces (free()). */
static char *join_words(const char *const *words, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(words[i]) + 1;
    char *q = malloc(len + 1);
    if (!q)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        size_t m = strlen(words[i]);
        if (i > 0)
            q[o++] = ' ';
        memcpy(q + o, words[i], m);
        o += m;
    }
    q[o] = '\0';
    return q;
}

static int blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return 0;
    return 1;
}

/* Notes on how the query was read go to stderr: they are about the query,
 * not results, and must not get into a pipe of hits. */
static void print_notes(const kbs_results *res)
{
    const char *notes = kbs_results_notes(res);
    while (*notes) {
        size_t n = strcspn(notes, "\n");
        if (n > 0) {
            fputs("kbsearch: note: ", stderr);
            cli_put_text(stderr, notes, n);
            fputc('\n', stderr);
        }
        notes += n + (notes[n] == '\n');
    }
}

static void print_suggestion(FILE *f, const char *suggestion, int color)
{
    fputs("Did you mean: ", f);
    if (color)
        fputs("\033[1m", f);
    cli_put_text(f, suggestion, strlen(suggestion));
    if (color)
        fputs("\033[0m", f);
    fputs("?\n", f);
}

/* What the library said was wrong with the query, and where. */
static int query_failed(kbs_db *db, const char *query)
{
    const char *msg = kbs_db_errmsg(db);
    size_t off = kbs_db_error_offset(db);
    fputs("kbsearch: in the query: ", stderr);
    if (*msg)
        cli_put_text(stderr, msg, strlen(msg));
    else
        fputs(kbs_strerror(KBS_EQUERY), stderr);
    fputc('\n', stderr);
    if (off != (size_t)-1)
        cli_render_caret(stderr, query, strlen(query), off);
    return CLI_EXIT_FAIL;
}

/*
 * --count: the number alone, like grep -c, so that scripts can use it as it
 * is. It counts what the query asks for: when no article has all the words,
 * the fallback to any of them does not count (--any asks for that).
 */
static int print_count(const cli_args *a, const kbs_results *res)
{
    uint64_t total = kbs_results_fallback(res) ? 0 : kbs_results_total(res);
    const char *suggestion = kbs_results_suggestion(res);
    if (a->json) {
        if (cli_render_total_json(stdout, total, suggestion) != 0)
            return fail_nomem();
    } else {
        printf("%llu\n", (unsigned long long)total);
        if (suggestion) {
            fflush(stdout); /* the number first, for a reader of both */
            print_suggestion(stderr, suggestion, want_color(a->color, STDERR_FILENO));
        }
    }
    return total > 0 ? CLI_EXIT_OK : CLI_EXIT_NOTHING;
}

static int print_nothing(const cli_args *a, const kbs_results *res, const char *query)
{
    const char *suggestion = kbs_results_suggestion(res);
    int rc = CLI_EXIT_NOTHING;
    /* A line for programs too, so that they can tell "nothing" and read the
     * suggestion without parsing stderr. */
    if (a->json && cli_render_total_json(stdout, kbs_results_total(res), suggestion) != 0)
        rc = fail_nomem();
    fflush(stdout);
    /* A query that quotes a phrase goes between single quotes: inside more
     * double quotes it would read as two empty strings around words. */
    int q = strchr(query, '"') ? '\'' : '"';
    fprintf(stderr, "No results for %c", q);
    cli_put_text(stderr, query, strlen(query));
    if (a->offset > 0)
        fprintf(stderr, "%c past the first %u.\n", q, (unsigned)a->offset);
    else
        fprintf(stderr, "%c.\n", q);
    if (suggestion)
        print_suggestion(stderr, suggestion, want_color(a->color, STDERR_FILENO));
    return rc;
}

/*
 * The hits of a search (query: for the fallback's note) or of similar and
 * versions (query NULL; intro: a line about the list, or NULL), in the
 * output mode asked: JSON, HTML, or text (colours or markers).
 */
static int print_results(const cli_args *a, const kbs_results *res, const char *query,
                         const char *intro)
{
    int rc = CLI_EXIT_OK;
    size_t n = kbs_results_count(res);
    int fallback = query && kbs_results_fallback(res);
    const char *suggestion = kbs_results_suggestion(res);
    char *cwd = NULL;
    cli_render r = {stdout, 0, 0, NULL, 1, a->markers};
    if (a->json && a->facets && cli_render_facets_json(stdout, res) != 0)
        rc = fail_nomem();
    if (a->html) {
        cwd = current_dir();
        r.cwd = cwd;
        if (intro) {
            fputs("<p class=\"kbs-intro\">", stdout);
            cli_put_html(stdout, intro, strlen(intro));
            fputs("</p>\n", stdout);
        }
        if (suggestion) {
            fputs("<p class=\"kbs-suggestion\">Did you mean: ", stdout);
            cli_put_html(stdout, suggestion, strlen(suggestion));
            fputs("?</p>\n", stdout);
        }
        if (fallback) {
            fputs("<p class=\"kbs-fallback\">No article has all of: ", stdout);
            cli_put_html(stdout, query, strlen(query));
            fputs(" — showing articles with any of them.</p>\n", stdout);
        }
        if (a->facets)
            cli_render_facets_html(stdout, res);
        kbs_hit first;
        cli_render_html_begin(stdout, kbs_results_get(res, 0, &first) == KBS_OK ? first.rank : 1);
    } else if (!a->json) {
        cwd = current_dir();
        r.color = want_color(a->color, STDOUT_FILENO);
        r.width = wrap_width();
        r.cwd = cwd;
        int said = 0;
        if (intro) {
            cli_put_text(stdout, intro, strlen(intro));
            fputc('\n', stdout);
            said = 1;
        }
        if (suggestion) {
            print_suggestion(stdout, suggestion, r.color);
            said = 1;
        }
        if (fallback) {
            fputs("No article has all of: ", stdout);
            cli_put_text(stdout, query, strlen(query));
            fputs(" — showing articles with any of them.\n", stdout);
            said = 1;
        }
        const char *parsed = kbs_results_query(res);
        if (a->explain && *parsed) {
            fputs("Query: ", stdout);
            cli_put_text(stdout, parsed, strcspn(parsed, "\n"));
            fputc('\n', stdout);
            said = 1;
        }
        if (a->facets) {
            if (said)
                fputc('\n', stdout);
            cli_render_facets(stdout, res, r.color || isatty(STDOUT_FILENO));
            said = 1;
        }
        if (said)
            fputc('\n', stdout);
        kbs_hit last;
        if (kbs_results_get(res, n - 1, &last) == KBS_OK)
            r.rank_width = digits(last.rank);
    }
    for (size_t i = 0; i < n && rc == CLI_EXIT_OK; i++) {
        kbs_hit hit;
        if (kbs_results_get(res, i, &hit) != KBS_OK)
            continue;
        if (a->json) {
            if (cli_render_hit_json(stdout, res, i, a->explain) != 0)
                rc = fail_nomem();
        } else if (a->html) {
            cli_render_hit_html(&r, &hit, a->explain ? kbs_results_explain(res, i) : "");
        } else {
            if (i > 0)
                fputc('\n', stdout);
            cli_render_hit(&r, &hit);
            /* Deeper than the snippet, so that the figures read as notes on
             * the hit rather than as its text. */
            if (a->explain)
                cli_render_lines(stdout, kbs_results_explain(res, i), r.rank_width + 4);
        }
    }
    if (a->html)
        cli_render_html_end(stdout);
    free(cwd);
    return rc;
}

/* The options a search shares with similar and versions: the page, the
 * order, versions, snippets and facets. */
static void page_options(const cli_args *a, kbs_search_options *so)
{
    kbs_search_options_init(so);
    so->limit = a->limit;
    so->offset = a->offset;
    so->sort = a->sort;
    so->all_versions = a->all_versions;
    if (a->fragments)
        so->fragments = a->fragments;
    if (a->expand)
        so->max_expansion = a->expand;
    if (a->snippet_len)
        so->snippet_len = a->snippet_len;
    so->facets = a->facets;
}

static int cmd_search(const cli_args *a, const char *dbdir)
{
    if (a->nwords == 0)
        return cli_usage_error(stderr, CLI_CMD_SEARCH, "search needs a query");
    char *joined = join_words(a->words, a->nwords);
    /* Repaired here rather than by the library, so that the offset of a query
     * error counts in the very bytes the caret is drawn under. */
    char *query = joined ? cli_utf8_repair(joined, strlen(joined)) : NULL;
    free(joined);
    if (!query)
        return fail_nomem();
    if (blank(query)) {
        free(query);
        return cli_usage_error(stderr, CLI_CMD_SEARCH,
                               "the query is empty — give the words to search for");
    }

    kbs_db *db = NULL;
    int rc = open_db(dbdir, KBS_OPEN_READ, &db);
    if (rc != CLI_EXIT_OK) {
        free(query);
        return rc;
    }
    kbs_search_options so;
    page_options(a, &so);
    if (a->count)
        so.limit = 1;
    so.match = a->match_any ? KBS_MATCH_ANY : KBS_MATCH_ALL;
    so.exact_count = a->count;
    so.no_snippets = a->count;
    so.explain = a->explain;
    so.bm25_k1 = a->bm25_k1;
    so.bm25_b = a->bm25_b;
    so.title_weight = a->title_weight;
    kbs_results *res = NULL;
    int st = kbs_search(db, query, strlen(query), &so, &res);
    if (st != KBS_OK) {
        const char *msg = kbs_db_errmsg(db);
        if (st == KBS_EQUERY)
            query_failed(db, query);
        else
            fail("the search failed in the index at %s: %s", dbdir, *msg ? msg : kbs_strerror(st));
        kbs_db_close(db);
        free(query);
        return CLI_EXIT_FAIL;
    }
    kbs_db_close(db); /* the results outlive the handle */

    print_notes(res);
    size_t n = kbs_results_count(res);
    if (a->count || n == 0) {
        rc = a->count ? print_count(a, res) : print_nothing(a, res, query);
        kbs_results_free(res);
        free(query);
        return rc;
    }

    rc = print_results(a, res, query, NULL);
    kbs_results_free(res);
    free(query);
    return rc;
}

/* --- show ------------------------------------------------------------------ */

/* An id is digits only, and not the name of an existing file. */
static int parse_id(const char *arg, uint32_t *id, int *too_big)
{
    uint64_t v = 0;
    struct stat st;
    *too_big = 0;
    if (!*arg)
        return -1;
    for (const char *s = arg; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        if (v <= UINT32_MAX)
            v = v * 10 + (uint64_t)(*s - '0');
    }
    if (stat(arg, &st) == 0)
        return -1;
    *too_big = v > UINT32_MAX;
    *id = (uint32_t)v;
    return 0;
}

static int cmd_show(const cli_args *a, const char *dbdir)
{
    if (a->nwords == 0)
        return cli_usage_error(stderr, CLI_CMD_SHOW, "show needs an article's id or its path");
    if (a->nwords > 1)
        return cli_usage_error(stderr, CLI_CMD_SHOW, "show takes one id or path, not %zu",
                               a->nwords);
    const char *arg = a->words[0];
    uint32_t id = 0;
    int too_big = 0, by_id = parse_id(arg, &id, &too_big) == 0;
    char *path = NULL;
    int rc = by_id ? CLI_EXIT_OK : absolute_path(arg, &path);
    if (rc != CLI_EXIT_OK)
        return rc;

    kbs_db *db = NULL;
    rc = open_db(dbdir, KBS_OPEN_READ, &db);
    if (rc != CLI_EXIT_OK) {
        free(path);
        return rc;
    }
    int st = KBS_OK;
    if (by_id && too_big) {
        st = KBS_ENOTFOUND;
    } else if (!by_id) {
        st = kbs_lookup(db, path, &id);
        if (st == KBS_ENOTFOUND)
            rc = fail("no article indexed from %s in the index at %s", path, dbdir);
        else if (st != KBS_OK)
            rc = fail("cannot look up %s in the index at %s: %s", path, dbdir,
                      *kbs_db_errmsg(db) ? kbs_db_errmsg(db) : kbs_strerror(st));
    }
    char *data = NULL;
    size_t len = 0;
    if (st == KBS_OK) {
        st = kbs_show(db, id, &data, &len);
        if (st != KBS_OK && st != KBS_ENOTFOUND)
            rc = fail("cannot read article %u from the index at %s: %s", (unsigned)id, dbdir,
                      *kbs_db_errmsg(db) ? kbs_db_errmsg(db) : kbs_strerror(st));
    }
    if (st == KBS_ENOTFOUND && by_id)
        rc = fail("no article with id %s in the index at %s", arg, dbdir);
    else if (st == KBS_ENOTFOUND && rc == CLI_EXIT_OK) /* in the index, gone from the store */
        rc = fail("article %u from %s is missing from the store of the index at %s — run "
                  "'kbsearch index' on its folder again",
                  (unsigned)id, path, dbdir);
    if (st == KBS_OK)
        fwrite(data, 1, len, stdout);
    kbs_free(data);
    kbs_db_close(db);
    free(path);
    return rc;
}

/* --- similar, versions ------------------------------------------------------ */

/* The id of the article ID|PATH names in db, as show finds it; prints why
 * not when there is none. */
static int find_article(kbs_db *db, const char *dbdir, const char *arg, uint32_t *id)
{
    int too_big = 0;
    if (parse_id(arg, id, &too_big) == 0) {
        char *data = NULL;
        size_t len = 0;
        int st = too_big ? KBS_ENOTFOUND : kbs_show(db, *id, &data, &len);
        kbs_free(data);
        if (st == KBS_ENOTFOUND)
            return fail("no article with id %s in the index at %s", arg, dbdir);
        if (st != KBS_OK)
            return fail("cannot read article %s from the index at %s: %s", arg, dbdir,
                        *kbs_db_errmsg(db) ? kbs_db_errmsg(db) : kbs_strerror(st));
        return CLI_EXIT_OK;
    }
    char *path = NULL;
    int rc = absolute_path(arg, &path);
    if (rc != CLI_EXIT_OK)
        return rc;
    int st = kbs_lookup(db, path, id);
    if (st == KBS_ENOTFOUND)
        rc = fail("no article indexed from %s in the index at %s", path, dbdir);
    else if (st != KBS_OK)
        rc = fail("cannot look up %s in the index at %s: %s", path, dbdir,
                  *kbs_db_errmsg(db) ? kbs_db_errmsg(db) : kbs_strerror(st));
    free(path);
    return rc;
}

/* kbsearch similar ID|PATH and kbsearch versions ID|PATH: a list of
 * articles around one article, drawn as search draws hits. */
static int cmd_related(const cli_args *a, const char *dbdir)
{
    const char *name = cli_cmd_name(a->cmd);
    if (a->nwords != 1)
        return cli_usage_error(stderr, a->cmd, "%s takes one article's id or path, not %zu", name,
                               a->nwords);
    kbs_db *db = NULL;
    int rc = open_db(dbdir, KBS_OPEN_READ, &db);
    if (rc != CLI_EXIT_OK)
        return rc;
    uint32_t id = 0;
    rc = find_article(db, dbdir, a->words[0], &id);
    kbs_results *res = NULL;
    if (rc == CLI_EXIT_OK) {
        kbs_search_options so;
        page_options(a, &so);
        int st = a->cmd == CLI_CMD_SIMILAR ? kbs_similar(db, id, &so, &res)
                                           : kbs_versions(db, id, &so, &res);
        if (st != KBS_OK)
            rc = fail("cannot list the articles %s article %u in the index at %s: %s",
                      a->cmd == CLI_CMD_SIMILAR ? "like" : "that are versions of", (unsigned)id,
                      dbdir, *kbs_db_errmsg(db) ? kbs_db_errmsg(db) : kbs_strerror(st));
    }
    kbs_db_close(db);
    if (rc != CLI_EXIT_OK)
        return rc;
    size_t n = kbs_results_count(res);
    if (n == 0) {
        if (a->json && cli_render_total_json(stdout, 0, NULL) != 0)
            rc = fail_nomem();
        else if (a->cmd == CLI_CMD_SIMILAR)
            fprintf(stderr, "No article like article %u.\n", (unsigned)id);
        else
            fprintf(stderr, "Article %u has no other version%s.\n", (unsigned)id,
                    a->offset ? " past those skipped" : "");
        kbs_results_free(res);
        return rc == CLI_EXIT_OK ? CLI_EXIT_NOTHING : rc;
    }
    char *intro = NULL;
    if (a->cmd == CLI_CMD_SIMILAR && !a->json) {
        const char *words = kbs_results_query(res);
        static const char head[] = "Articles like article %u, by its words: %s";
        size_t len = sizeof head + 10 + strlen(words);
        intro = malloc(len);
        if (intro)
            snprintf(intro, len, head, (unsigned)id, words);
        else
            rc = fail_nomem();
    }
    if (rc == CLI_EXIT_OK)
        rc = print_results(a, res, NULL, intro);
    free(intro);
    kbs_results_free(res);
    return rc;
}

/* --- stats ----------------------------------------------------------------- */

static void print_share(uint64_t part, uint64_t whole)
{
    if (whole > 0)
        printf(" (%.0f%% of the text)", 100.0 * (double)part / (double)whole);
}

static int stats_json(const char *folder, const kbs_stats *s)
{
    json_object *o = json_object_new_object();
    if (!o)
        return -1;
    json_object_object_add(o, "index", json_object_new_string(folder));
    json_object_object_add(o, "documents", json_object_new_uint64(s->documents));
    json_object_object_add(o, "text_bytes", json_object_new_uint64(s->text_bytes));
    json_object_object_add(o, "store_bytes", json_object_new_uint64(s->store_bytes));
    json_object_object_add(o, "index_bytes", json_object_new_uint64(s->index_bytes));
    json_object_object_add(o, "first_written", json_object_new_string(s->first_written));
    json_object_object_add(o, "last_written", json_object_new_string(s->last_written));
    const char *line =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    int rc = line ? 0 : -1;
    if (line)
        puts(line);
    json_object_put(o);
    return rc;
}

static int cmd_stats(const cli_args *a, const char *dbdir)
{
    if (a->nwords > 0)
        return cli_usage_error(stderr, CLI_CMD_STATS, "stats takes no arguments, not '%s'",
                               a->words[0]);
    kbs_db *db = NULL;
    int rc = open_db(dbdir, KBS_OPEN_READ, &db);
    if (rc != CLI_EXIT_OK)
        return rc;
    kbs_stats s;
    int st = kbs_db_stats(db, &s);
    if (st != KBS_OK) {
        rc = fail("cannot read the figures of the index at %s: %s", dbdir,
                  *kbs_db_errmsg(db) ? kbs_db_errmsg(db) : kbs_strerror(st));
        kbs_db_close(db);
        return rc;
    }
    kbs_db_close(db);

    char *real = realpath(dbdir, NULL);
    char *folder =
        real ? cli_utf8_repair(real, strlen(real)) : cli_utf8_repair(dbdir, strlen(dbdir));
    free(real);
    if (!folder)
        return fail_nomem();
    if (a->json) {
        if (stats_json(folder, &s) != 0)
            rc = fail_nomem();
        free(folder);
        return rc;
    }
    char size[32];
    printf("Index:       %s\n", folder);
    printf("Articles:    %llu\n", (unsigned long long)s.documents);
    cli_format_size(s.text_bytes, size, sizeof size);
    printf("Text:        %s\n", size);
    cli_format_size(s.store_bytes, size, sizeof size);
    printf("Store:       %s", size);
    print_share(s.store_bytes, s.text_bytes);
    cli_format_size(s.index_bytes, size, sizeof size);
    printf("\nOn disk:     %s", size);
    print_share(s.index_bytes, s.text_bytes);
    if (s.first_written[0])
        printf("\nWritten:     %.10s to %.10s\n", s.first_written, s.last_written);
    else
        printf("\nWritten:     (no article has a date)\n");
    free(folder);
    return CLI_EXIT_OK;
}

/* --- check, compact ------------------------------------------------------- */

/* The index folder as people read it: resolved, valid UTF-8 (free()). */
static char *display_folder(const char *dbdir)
{
    char *real = realpath(dbdir, NULL);
    char *folder =
        real ? cli_utf8_repair(real, strlen(real)) : cli_utf8_repair(dbdir, strlen(dbdir));
    free(real);
    return folder;
}

static int cmd_check(const cli_args *a, const char *dbdir)
{
    if (a->nwords > 0)
        return cli_usage_error(stderr, CLI_CMD_CHECK, "check takes no arguments, not '%s'",
                               a->words[0]);
    kbs_db *db = NULL;
    int rc = open_db(dbdir, KBS_OPEN_READ, &db);
    if (rc != CLI_EXIT_OK)
        return rc;
    kbs_check_report *r = malloc(sizeof *r);
    int st = r ? kbs_db_check(db, r) : KBS_ENOMEM;
    if (st != KBS_OK) {
        rc = fail("cannot check the index at %s: %s", dbdir,
                  *kbs_db_errmsg(db) ? kbs_db_errmsg(db) : kbs_strerror(st));
        kbs_db_close(db);
        free(r);
        return rc;
    }
    kbs_db_close(db);
    char *folder = display_folder(dbdir);
    if (!folder) {
        free(r);
        return fail_nomem();
    }
    char size[32];
    cli_format_size(r->text_bytes, size, sizeof size);
    printf("Index:       %s\n", folder);
    printf("Articles:    %llu, each with its id, fields and state; every stored copy\n"
           "             decompressed and verified (%s of text)\n",
           (unsigned long long)r->documents, size);
    printf("Index-wide:  format, counts, running totals, word positions, Xapian's check of\n"
           "             its tables\n");
    if (r->problems == 0) {
        printf("Problems:    none\n");
    } else {
        printf("Problems:    %llu\n", (unsigned long long)r->problems);
        /* Each line names an article or a table; indented under the count. */
        for (const char *line = r->message; *line;) {
            size_t n = strcspn(line, "\n");
            fputs("  ", stdout);
            cli_put_text(stdout, line, n);
            fputc('\n', stdout);
            line += n + (line[n] == '\n');
        }
        fflush(stdout);
        rc = fail("the index at %s has %llu %s — index the articles' folder again "
                  "('kbsearch index FOLDER') to store damaged articles afresh, or index it "
                  "into a new folder (--db DIR) if problems remain",
                  folder, (unsigned long long)r->problems,
                  r->problems == 1 ? "problem" : "problems");
    }
    free(folder);
    free(r);
    return rc;
}

static int cmd_compact(const cli_args *a, const char *dbdir)
{
    if (a->nwords > 0)
        return cli_usage_error(stderr, CLI_CMD_COMPACT, "compact takes no arguments, not '%s'",
                               a->words[0]);
    kbs_db *db = NULL;
    int rc = open_db(dbdir, KBS_OPEN_WRITE, &db);
    if (rc != CLI_EXIT_OK)
        return rc;
    kbs_stats before, after;
    int st = kbs_db_stats(db, &before);
    if (st == KBS_OK)
        st = kbs_db_compact(db);
    if (st == KBS_OK)
        st = kbs_db_stats(db, &after);
    if (st != KBS_OK)
        rc = fail("cannot compact the index at %s: %s", dbdir,
                  *kbs_db_errmsg(db) ? kbs_db_errmsg(db) : kbs_strerror(st));
    int cst = kbs_db_close(db);
    if (rc == CLI_EXIT_OK && cst != KBS_OK)
        rc = fail("cannot close the index at %s: %s", dbdir, kbs_strerror(cst));
    if (rc != CLI_EXIT_OK)
        return rc;
    char *folder = display_folder(dbdir);
    if (!folder)
        return fail_nomem();
    char b[32], c[32];
    cli_format_size(before.index_bytes, b, sizeof b);
    cli_format_size(after.index_bytes, c, sizeof c);
    printf("Index:       %s\n", folder);
    printf("Articles:    %llu\n", (unsigned long long)after.documents);
    printf("Before:      %s\n", b);
    printf("After:       %s", c);
    if (before.index_bytes > 0)
        printf(" (%.0f%% of before)",
               100.0 * (double)after.index_bytes / (double)before.index_bytes);
    printf("\n");
    free(folder);
    return CLI_EXIT_OK;
}

/* --- main ------------------------------------------------------------------- */

static int cmd_help(const cli_args *a)
{
    if (a->nwords == 0) {
        cli_help(stdout, -1);
        return CLI_EXIT_OK;
    }
    int cmd = cli_cmd_lookup(a->words[0]);
    if (cmd < 0 || a->nwords > 1)
        return cli_usage_error(stderr, -1,
                               "no command '%s' — the commands are search, index, show, stats, "
                               "check, compact, similar, versions and help",
                               a->words[a->nwords > 1 && cmd >= 0 ? 1 : 0]);
    cli_help(stdout, cmd);
    return CLI_EXIT_OK;
}

static int run(const cli_args *a)
{
    if (a->version) {
        printf("kbsearch %s\n", kbs_version_string());
        return CLI_EXIT_OK;
    }
    if (a->help) {
        cli_help(stdout, a->cmd_named ? a->cmd : -1);
        return CLI_EXIT_OK;
    }
    if (a->cmd == CLI_CMD_HELP)
        return cmd_help(a);
    if (!a->cmd_named && a->nwords == 0)
        return cli_usage_error(stderr, -1,
                               "nothing to do: give words to search for, or a "
                               "command (index, show, stats, help)");
    char *dbdir = NULL;
    int rc = find_db(a, &dbdir);
    if (rc != CLI_EXIT_OK)
        return rc;
    switch (a->cmd) {
    case CLI_CMD_INDEX:
        rc = cmd_index(a, dbdir);
        break;
    case CLI_CMD_SHOW:
        rc = cmd_show(a, dbdir);
        break;
    case CLI_CMD_STATS:
        rc = cmd_stats(a, dbdir);
        break;
    case CLI_CMD_CHECK:
        rc = cmd_check(a, dbdir);
        break;
    case CLI_CMD_COMPACT:
        rc = cmd_compact(a, dbdir);
        break;
    case CLI_CMD_SIMILAR:
    case CLI_CMD_VERSIONS:
        rc = cmd_related(a, dbdir);
        break;
    default:
        rc = cmd_search(a, dbdir);
        break;
    }
    free(dbdir);
    return rc;
}

int main(int argc, char **argv)
{
    cli_args args;
    int rc = cli_args_parse(argc, argv, &args, stderr);
    if (rc != CLI_EXIT_OK)
        return rc;
    rc = run(&args);
    cli_args_free(&args);
    /* A full disk or a closed pipe shows only when the buffered output is
     * flushed: report it rather than exit 0 with the output cut short. */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fail("cannot write the output: %s", strerror(errno));
        if (rc == CLI_EXIT_OK)
            rc = CLI_EXIT_FAIL;
    }
    return rc;
}
