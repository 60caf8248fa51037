/* test_cli.c - the kbsearch program, run as a user would run it. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define CORPUS KBS_SOURCE_DIR "/corpus"

/* --- helpers ------------------------------------------------------------ */

/*
 * What the helpers hand out is kept here and freed when the test ends, so
 * that a test reads as a user's session rather than a list of free()s.
 * Criterion runs each test in a process of its own.
 */
static struct {
    void *p[1024];
    size_t n;
} kept;

static void *keep(void *p)
{
    cr_assert_lt(kept.n, sizeof kept.p / sizeof kept.p[0]);
    kept.p[kept.n++] = p;
    return p;
}

static void free_kept(void)
{
    while (kept.n > 0)
        free(kept.p[--kept.n]);
}

TestSuite(cli, .fini = free_kept);

static char *kpath(const char *dir, const char *name)
{
    return keep(tu_path(dir, name));
}

static char *kread(const char *path, size_t *len)
{
    return keep(tu_read(path, len));
}

static char *kalloc(size_t n)
{
    char *p = keep(malloc(n));
    cr_assert_not_null(p);
    return p;
}

/* Runs the program; its outputs are kept. */
static int run(const char *const *argv, char **out, char **err)
{
    int rc = tu_run_cli(argv, out, err);
    if (out)
        keep(*out);
    if (err)
        keep(*err);
    return rc;
}

/* A fresh index folder (not yet created) inside a fresh temporary folder. */
static char *new_db(void)
{
    return kpath(tu_tmpdir(), "index");
}

static void index_corpus(const char *db)
{
    char *out, *err;
    int rc = run((const char *[]){"index", CORPUS, "--db", db, NULL}, &out, &err);
    cr_assert_eq(rc, 0, "index exit %d, stderr:\n%s", rc, err);
    cr_assert(strstr(out, " added, 0 updated, 0 unchanged, 0 removed, 0 skipped"), "%s", out);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Hits in text output: lines that start with an optionally padded "N. ". */
static size_t count_hits(const char *out)
{
    size_t n = 0;
    const char *line = out;
    while (*line) {
        const char *p = line;
        while (*p == ' ')
            p++;
        const char *d = p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p > d && p[0] == '.' && p[1] == ' ')
            n++;
        const char *nl = strchr(line, '\n');
        if (!nl)
            break;
        line = nl + 1;
    }
    return n;
}

static char *first_line(const char *s)
{
    size_t n = strcspn(s, "\n");
    return keep(strndup(s, n));
}

static json_object *field(json_object *o, const char *key, enum json_type t)
{
    json_object *v = NULL;
    cr_assert(json_object_object_get_ex(o, key, &v), "no \"%s\"", key);
    cr_assert_eq(json_object_get_type(v), t, "\"%s\" has type %d, not %d", key,
                 json_object_get_type(v), t);
    return v;
}

static int starts_like(const char *s, size_t len, const char *word, size_t n)
{
    if (len < n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != word[i])
            return 0;
    }
    return 1;
}

/* --- searching the sample corpus ------------------------------------------ */

Test(cli, search_corpus)
{
    char *db = new_db(), *out, *err;
    index_corpus(db);
    int rc = run((const char *[]){"--db", db, "security cooperation", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    cr_assert_str_empty(err);
    size_t hits = count_hits(out);
    cr_assert_geq(hits, 3, "%s", out);
    /* Ranks are right-aligned: " 1." when there is a "10.". */
    const char *pad = hits >= 10 ? " " : "";
    /* The best hits are the articles about security cooperation. */
    char *title = first_line(out), want[200];
    snprintf(want, sizeof want, "%s1. ", pad);
    cr_assert_eq(strncmp(title, want, strlen(want)), 0, "%s", title);
    cr_assert(strstr(title, "Security Cooperation"), "%s", title);
    /* The line of facts: category, date only, path, id. */
    snprintf(want, sizeof want, "\n%s   Diplomacy · 2023-08-19 · ", pad);
    cr_assert(strstr(out, want), "%s", out);
    cr_assert(strstr(out, "\n 2. Korea, US, Japan Agree to Expand Trilateral Security "
                          "Cooperation\n") ||
                  strstr(out, "\n2. Korea, US, Japan Agree to Expand Trilateral Security "
                              "Cooperation\n") ||
                  strstr(out, "1. Korea, US, Japan Agree to Expand Trilateral Security "
                              "Cooperation\n"),
              "the trilateral meeting is among the first two:\n%s", out);
    cr_assert(strstr(out, "corpus/diplomacy/20230819_trilateral-security-cooperation.txt · id "));
    cr_assert_null(strstr(out, "\033"), "escapes when stdout is a file");
}

Test(cli, search_words_are_joined)
{
    char *db = new_db(), *one, *two;
    index_corpus(db);
    cr_assert_eq(run((const char *[]){"--db", db, "security cooperation", NULL}, &one, NULL), 0);
    cr_assert_eq(run((const char *[]){"--db", db, "security", "cooperation", NULL}, &two, NULL), 0);
    cr_assert_str_eq(one, two);
}

Test(cli, search_json)
{
    char *db = new_db(), *out, *err;
    index_corpus(db);
    int rc = run((const char *[]){"--db", db, "--json", "security cooperation", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    cr_assert_geq(count_lines(out), 3);
    static const char *const words[] = {"secur", "cooper"};
    size_t lines = 0, highlights = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        json_object *o = json_tokener_parse(line);
        cr_assert_not_null(o, "not JSON: %s", line);
        cr_assert_eq(json_object_get_type(o), json_type_object);
        lines++;
        cr_assert_eq(json_object_get_int64(field(o, "rank", json_type_int)), (int64_t)lines);
        cr_assert_gt(json_object_get_int64(field(o, "id", json_type_int)), 0);
        cr_assert_eq(json_object_get_string(field(o, "path", json_type_string))[0], '/',
                     "absolute path");
        cr_assert_gt(json_object_get_string_len(field(o, "title", json_type_string)), 0);
        field(o, "category", json_type_string);
        int wlen = json_object_get_string_len(field(o, "written", json_type_string));
        cr_assert(wlen == 0 || wlen == 19, "written is \"\" or YYYY-MM-DDTHH:MM:SS");
        field(o, "updated", json_type_string);
        field(o, "score", json_type_double);
        cr_assert_str_eq(json_object_get_string(field(o, "match", json_type_string)), "all");
        json_object *snip = field(o, "snippet", json_type_string);
        const char *s = json_object_get_string(snip);
        size_t slen = (size_t)json_object_get_string_len(snip);
        json_object *spans = field(o, "highlights", json_type_array);
        for (size_t i = 0; i < json_object_array_length(spans); i++) {
            json_object *pair = json_object_array_get_idx(spans, i);
            cr_assert_eq(json_object_get_type(pair), json_type_array);
            cr_assert_eq(json_object_array_length(pair), 2);
            int64_t start = json_object_get_int64(json_object_array_get_idx(pair, 0)),
                    len = json_object_get_int64(json_object_array_get_idx(pair, 1));
            cr_assert(start >= 0 && len > 0 && (size_t)(start + len) <= slen,
                      "span [%lld, %lld] outside a snippet of %zu bytes", (long long)start,
                      (long long)len, slen);
            cr_assert(starts_like(s + start, (size_t)len, words[0], strlen(words[0])) ||
                          starts_like(s + start, (size_t)len, words[1], strlen(words[1])),
                      "highlight \"%.*s\" is no query word", (int)len, s + start);
            highlights++;
        }
        json_object_put(o);
    }
    cr_assert_geq(lines, 3);
    cr_assert_geq(highlights, lines, "every hit of this query matches in its body");
}

Test(cli, search_limit)
{
    char *db = new_db(), *out;
    index_corpus(db);
    cr_assert_eq(
        run((const char *[]){"--db", db, "security cooperation", "--limit", "2", NULL}, &out, NULL),
        0);
    cr_assert_eq(count_hits(out), 2, "%s", out);
    cr_assert_eq(
        run((const char *[]){"--db", db, "-n", "1", "--json", "security cooperation", NULL}, &out,
            NULL),
        0);
    cr_assert_eq(count_lines(out), 1, "%s", out);
}

Test(cli, search_nothing_found)
{
    char *db = new_db(), *out, *err;
    index_corpus(db);
    int rc = run((const char *[]){"--db", db, "zzyzx", NULL}, &out, &err);
    cr_assert_eq(rc, 1);
    cr_assert_str_empty(out);
    cr_assert_str_eq(err, "No results for \"zzyzx\".\n");
    /* A quoted phrase: between single quotes. */
    rc = run((const char *[]){"--db", db, "\"zzyzx typhoon\"", NULL}, &out, &err);
    cr_assert_eq(rc, 1);
    cr_assert_str_eq(err, "No results for '\"zzyzx typhoon\"'.\n");
}

Test(cli, search_paths_relative_to_current_folder)
{
    char *db = new_db(), *out;
    index_corpus(db);
    cr_assert_eq(chdir(KBS_SOURCE_DIR), 0);
    cr_assert_eq(run((const char *[]){"--db", db, "security cooperation", NULL}, &out, NULL), 0);
    cr_assert(strstr(out, " · corpus/diplomacy/20230819_trilateral-security-cooperation.txt · id "),
              "%s", out);
    cr_assert_eq(chdir(KBS_SOURCE_DIR "/corpus/diplomacy"), 0);
    cr_assert_eq(run((const char *[]){"--db", db, "security cooperation", NULL}, &out, NULL), 0);
    cr_assert(strstr(out, " · 20230819_trilateral-security-cooperation.txt · id "), "%s", out);
}

Test(cli, odd_queries_do_not_crash)
{
    char *db = new_db(), *out, *err;
    index_corpus(db);
    /* Invalid UTF-8, a query that starts with '-', punctuation only, and a
     * query of 100 kB. */
    int rc = run((const char *[]){"--db", db, "secur\xff\xfeity", "cooperation", NULL}, &out, &err);
    cr_assert(rc == 0 || rc == 1, "exit %d: %s", rc, err);
    rc = run((const char *[]){"--db", db, "--", "-security", NULL}, &out, &err);
    cr_assert(rc == 0 || rc == 1, "exit %d: %s", rc, err);
    rc = run((const char *[]){"--db", db, "!!!", NULL}, &out, &err);
    cr_assert(rc == 1 || rc == 2, "exit %d: %s", rc, err);
    cr_assert(rc != 2 || strncmp(err, "kbsearch: ", 10) == 0, "%s", err);
    size_t n = 100000; /* Linux takes at most 128 KiB in one argument */
    char *huge = kalloc(n + 1);
    for (size_t i = 0; i < n; i++)
        huge[i] = i % 8 == 7 ? ' ' : (char)('a' + i % 7);
    huge[n] = '\0';
    rc = run((const char *[]){"--db", db, huge, NULL}, &out, &err);
    cr_assert(rc == 0 || rc == 1 || rc == 2, "exit %d: %s", rc, err);
}

/* --- show ------------------------------------------------------------------ */

static char *json_string_field(const char *line, const char *key)
{
    json_object *o = json_tokener_parse(line);
    cr_assert_not_null(o);
    char *v = keep(strdup(json_object_get_string(field(o, key, json_type_string))));
    json_object_put(o);
    return v;
}

Test(cli, show_by_id_and_path)
{
    char *db = new_db(), *out, *err;
    index_corpus(db);
    cr_assert_eq(
        run((const char *[]){"--db", db, "--json", "-n", "1", "typhoon", NULL}, &out, NULL), 0);
    char *path = json_string_field(out, "path");
    unsigned id = 0;
    cr_assert_eq(sscanf(strstr(out, "\"id\":"), "\"id\":%u", &id), 1);
    size_t len;
    char *file = kread(path, &len);
    cr_assert_not_null(file);

    char ids[16];
    snprintf(ids, sizeof ids, "%u", id);
    int rc = run((const char *[]){"show", ids, "--db", db, NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(strlen(out), len);
    cr_assert_eq(memcmp(out, file, len), 0, "show by id is the file byte for byte");

    rc = run((const char *[]){"--db", db, "show", path, NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(out, file, "show by absolute path");

    /* Relative, as search prints it, and with detours. */
    cr_assert_eq(chdir(KBS_SOURCE_DIR), 0);
    const char *rel = path + strlen(KBS_SOURCE_DIR) + 1;
    rc = run((const char *[]){"--db", db, "show", rel, NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s: %s", rel, err);
    cr_assert_str_eq(out, file, "show by relative path");
    char *detour = kalloc(strlen(rel) + 32);
    sprintf(detour, ".//corpus/../%s", rel);
    rc = run((const char *[]){"--db", db, "show", detour, NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s: %s", detour, err);
    cr_assert_str_eq(out, file);
}

Test(cli, show_deleted_file)
{
    const char *tmp = tu_tmpdir();
    char *db = kpath(tmp, "index"), *arts = kpath(tmp, "articles"), *out, *err;
    static const char *const names[] = {"diplomacy/20230819_trilateral-security-cooperation.txt",
                                        "economy/20210617_securities-firm-fined.txt",
                                        "culture/20181006_jinju-lantern-festival.txt"};
    char *copies[3], *data[3];
    size_t lens[3];
    for (int i = 0; i < 3; i++) {
        char *src = kpath(CORPUS, names[i]);
        data[i] = kread(src, &lens[i]);
        cr_assert_not_null(data[i], "%s", src);
        copies[i] = kpath(arts, names[i]);
        tu_write(copies[i], data[i], lens[i]);
    }
    int rc = run((const char *[]){"--db", db, "index", arts, NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(strstr(out, "3 added, 0 updated, 0 unchanged, 0 removed, 0 skipped"), "%s", out);
    cr_assert_eq(unlink(copies[1]), 0);

    rc = run((const char *[]){"--db", db, "show", copies[1], NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(strlen(out), lens[1]);
    cr_assert_eq(memcmp(out, data[1], lens[1]), 0);

    cr_assert_eq(chdir(arts), 0);
    rc = run((const char *[]){"--db", db, "show", "economy/../economy/./", NULL}, &out, &err);
    cr_assert_eq(rc, 2, "a folder is no article");
    rc = run(
        (const char *[]){"--db", db, "show", "./economy//20210617_securities-firm-fined.txt", NULL},
        &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(memcmp(out, data[1], lens[1]), 0);

    /* Once its folder is indexed again, the article is gone for good. */
    rc = run((const char *[]){"--db", db, "index", arts, NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(strstr(out, "0 added, 0 updated, 2 unchanged, 1 removed, 0 skipped"), "%s", out);
    rc = run((const char *[]){"--db", db, "show", copies[1], NULL}, &out, &err);
    cr_assert_eq(rc, 2);
    char *want = kalloc(strlen(copies[1]) + strlen(db) + 100);
    sprintf(want, "kbsearch: no article indexed from %s in the index at %s\n", copies[1], db);
    cr_assert_str_eq(err, want);
}

Test(cli, show_unknown_id)
{
    char *db = new_db(), *out, *err;
    index_corpus(db);
    int rc = run((const char *[]){"--db", db, "show", "999", NULL}, &out, &err);
    cr_assert_eq(rc, 2);
    cr_assert_str_empty(out);
    char *want = kalloc(strlen(db) + 100);
    sprintf(want, "kbsearch: no article with id 999 in the index at %s\n", db);
    cr_assert_str_eq(err, want);
    rc = run((const char *[]){"--db", db, "show", "99999999999999999999", NULL}, &out, &err);
    cr_assert_eq(rc, 2);
    cr_assert(strstr(err, "no article with id 99999999999999999999"), "%s", err);
}

Test(cli, show_digits_name_a_file_when_one_exists)
{
    const char *tmp = tu_tmpdir();
    char *db = kpath(tmp, "index"), *arts = kpath(tmp, "articles"), *out, *err;
    char *f = kpath(arts, "7");
    static const char text[] = "A Numbered Note\n\nThe river ferry now runs every hour.\n";
    tu_write(f, text, sizeof text - 1);
    cr_assert_eq(run((const char *[]){"--db", db, "index", arts, NULL}, NULL, &err), 0, "%s", err);
    cr_assert_eq(chdir(arts), 0);
    int rc = run((const char *[]){"--db", db, "show", "7", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(out, text);
}

/* --- stats, index ---------------------------------------------------------- */

Test(cli, stats)
{
    char *db = new_db(), *out, *err;
    int rc = run((const char *[]){"index", CORPUS, "--db", db, NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    unsigned long added = strtoul(out, NULL, 10);
    cr_assert_geq(added, 40);
    rc = run((const char *[]){"stats", "--db", db, NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    char want[64];
    snprintf(want, sizeof want, "\nArticles:    %lu\n", added);
    cr_assert(strstr(out, want), "%s", out);
    char *real = keep(realpath(db, NULL));
    cr_assert(strncmp(out, "Index:       ", 13) == 0 && strncmp(out + 13, real, strlen(real)) == 0,
              "%s", out);
    cr_assert(strstr(out, "\nText:        "));
    cr_assert(strstr(out, "% of the text)\nOn disk:     "), "%s", out);
    cr_assert(strstr(out, "\nWritten:     2017-"), "%s", out);
    cr_assert_eq(count_lines(out), 6, "%s", out);

    rc = run((const char *[]){"stats", "--db", db, "--json", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(count_lines(out), 1);
    snprintf(want, sizeof want, "\"documents\":%lu,", added);
    cr_assert(strstr(out, want), "%s", out);
}

Test(cli, reindex_changes_nothing)
{
    char *db = new_db(), *out, *err;
    int rc = run((const char *[]){"--db", db, "index", CORPUS, NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    unsigned long added = strtoul(out, NULL, 10);
    rc = run((const char *[]){"--db", db, "index", CORPUS, NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    char want[80];
    snprintf(want, sizeof want, "0 added, 0 updated, %lu unchanged, 0 removed, 0 skipped (", added);
    cr_assert_eq(strncmp(out, want, strlen(want)), 0, "%s", out);
    cr_assert_eq(count_lines(out), 1);
    cr_assert_str_empty(err, "no progress line when stderr is not a terminal");
}

Test(cli, index_skips_and_says_why)
{
    const char *tmp = tu_tmpdir();
    char *db = kpath(tmp, "index"), *arts = kpath(tmp, "articles"), *out, *err;
    char *good = kpath(arts, "good.txt"), *bin = kpath(arts, "photo.jpg");
    static const char text[] = "Bridge Repairs Finish Early\n\nThe old bridge reopens on Monday.\n";
    tu_write(good, text, sizeof text - 1);
    tu_write(bin, "\xff\xd8\xff\xe0\0\0JFIF\0\x01", 12);
    cr_assert_eq(chdir(tmp), 0);
    int rc = run((const char *[]){"--db", db, "index", "articles", NULL}, &out, &err);
    cr_assert_eq(rc, 2, "a skipped file fails the run");
    cr_assert(strstr(out, "1 added, 0 updated, 0 unchanged, 0 removed, 1 skipped"), "%s", out);
    cr_assert_eq(strncmp(err, "kbsearch: skipped articles/photo.jpg: ", 38), 0, "%s", err);
    cr_assert(strstr(err, "\nkbsearch: 1 file could not be indexed (see above); the other files "
                          "were indexed\n"),
              "%s", err);
    /* What could be indexed was. */
    rc = run((const char *[]){"--db", db, "bridge", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
}

Test(cli, index_too_large_with_max_file_size)
{
    const char *tmp = tu_tmpdir();
    char *db = kpath(tmp, "index"), *arts = kpath(tmp, "articles"), *out, *err;
    char *f = kpath(arts, "long.txt");
    char text[3000];
    memset(text, 'a', sizeof text);
    for (size_t i = 5; i < sizeof text; i += 6)
        text[i] = ' ';
    tu_write(f, text, sizeof text);
    int rc =
        run((const char *[]){"--db", db, "index", arts, "--max-file-size", "2K", NULL}, &out, &err);
    cr_assert_eq(rc, 2);
    cr_assert(strstr(out, "0 added, 0 updated, 0 unchanged, 0 removed, 1 skipped"), "%s", out);
    cr_assert(strstr(err, "long.txt: too large"), "%s", err);
    rc =
        run((const char *[]){"--db", db, "index", arts, "--max-file-size", "1M", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(strstr(out, "1 added,"), "%s", out);
}

/* kbsearch index FILE: one article, through kbs_index_file(); the folder's
 * other files are neither indexed nor removed. */
Test(cli, index_one_file)
{
    const char *tmp = tu_tmpdir();
    char *db = kpath(tmp, "index"), *arts = kpath(tmp, "articles"), *out, *err;
    char *one = kpath(arts, "bridge.txt"), *other = kpath(arts, "ferry.txt");
    char *bin = kpath(arts, "photo.jpg");
    static const char text[] = "Bridge Repairs Finish Early\n\nThe old bridge reopens on Monday.\n";
    static const char text2[] =
        "Bridge Repairs Finish Early\n\nThe old bridge reopens on Sunday.\n";
    static const char ferry[] = "Ferry Runs Again\n\nThe island ferry sails from today.\n";
    tu_write(one, text, sizeof text - 1);
    tu_write(other, ferry, sizeof ferry - 1);
    tu_write(bin, "GIF89a\x01\0\x01\0", 10);
    cr_assert_eq(chdir(tmp), 0);
    int rc = run((const char *[]){"--db", db, "index", "articles/bridge.txt", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(strncmp(out, "1 added, 0 updated, 0 unchanged, 0 removed, 0 skipped (0.00 MB", 62),
                 0, "%s", out);
    cr_assert_str_empty(err);
    rc = run((const char *[]){"--db", db, "index", "articles/bridge.txt", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(strncmp(out, "0 added, 0 updated, 1 unchanged, 0 removed, 0 skipped (0.00 MB", 62),
                 0, "%s", out);
    /* The same article as the folder's run makes: a run of the folder finds
     * it unchanged. */
    rc = run((const char *[]){"--db", db, "index", "articles", NULL}, &out, &err);
    cr_assert_eq(rc, 2, "%s", err);
    cr_assert(strstr(out, "1 added, 0 updated, 1 unchanged, 0 removed, 1 skipped"), "%s", out);
    /* Changed: indexed again; what it says is found. */
    tu_write(one, text2, sizeof text2 - 1);
    rc = run((const char *[]){"--db", db, "index", one, NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(strstr(out, "0 added, 1 updated, 0 unchanged, 0 removed, 0 skipped"), "%s", out);
    rc = run((const char *[]){"--db", db, "--color=never", "sunday", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(strstr(out, "1. Bridge Repairs Finish Early\n"), "%s", out);
    /* A file that cannot be indexed is skipped and said, as in a folder. */
    rc = run((const char *[]){"--db", db, "index", "articles/photo.jpg", NULL}, &out, &err);
    cr_assert_eq(rc, 2);
    cr_assert(strstr(out, "0 added, 0 updated, 0 unchanged, 0 removed, 1 skipped"), "%s", out);
    cr_assert_str_eq(err, "kbsearch: skipped articles/photo.jpg: binary data, not text (byte 0x01 "
                          "at offset 6): not indexed\n"
                          "kbsearch: 1 file could not be indexed (see above); the other files "
                          "were indexed\n");
    /* Not a file of the index itself. */
    char *glass = kpath(db, "iamglass");
    rc = run((const char *[]){"--db", db, "index", glass, NULL}, &out, &err);
    cr_assert_eq(rc, 2);
    cr_assert(strstr(err, "is a file of the index at"), "%s", err);
}

Test(cli, index_errors)
{
    const char *tmp = tu_tmpdir();
    char *db = kpath(tmp, "index"), *out, *err;
    char *missing = kpath(tmp, "nowhere");
    int rc = run((const char *[]){"--db", db, "index", missing, NULL}, &out, &err);
    cr_assert_eq(rc, 2);
    char *want = kalloc(strlen(missing) + 100);
    sprintf(want, "kbsearch: cannot index %s: No such file or directory\n", missing);
    cr_assert_str_eq(err, want);

    /* A file is indexed alone (cli.index_one_file); a device is neither. */
    rc = run((const char *[]){"--db", db, "index", "/dev/null", NULL}, &out, &err);
    cr_assert_eq(rc, 2);
    cr_assert(strstr(err, "it is neither a folder nor a regular file"), "%s", err);

    /* An index inside the folder it indexes would index itself. */
    char *inner = kpath(tmp, "index");
    rc = run((const char *[]){"--db", inner, "index", tmp, NULL}, &out, &err);
    cr_assert_eq(rc, 2);
    cr_assert(strstr(err, "the index would index itself"), "%s", err);
}

Test(cli, index_creates_parent_folders)
{
    char *db = kpath(tu_tmpdir(), "a/b/c/index"), *out, *err;
    int rc = run((const char *[]){"--db", db, "index", CORPUS, NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    rc = run((const char *[]){"--db", db, "stats", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
}

/* Starts the program without waiting, its output into files under dir. */
static pid_t spawn(const char *const *argv, const char *dir)
{
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        size_t n = 0;
        while (argv[n])
            n++;
        char **args = calloc(n + 2, sizeof *args);
        args[0] = (char *)KBS_CLI;
        memcpy(args + 1, argv, n * sizeof *args);
        char *o = kpath(dir, "out"), *e = kpath(dir, "err");
        int ofd = open(o, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int efd = open(e, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(ofd, 1);
        dup2(efd, 2);
        execv(KBS_CLI, args);
        _exit(127);
    }
    return pid;
}

Test(cli, interrupt_keeps_what_was_indexed, .timeout = 120)
{
    const char *tmp = tu_tmpdir();
    char *db = kpath(tmp, "index"), *arts = kpath(tmp, "articles");
    /* Enough articles that indexing them takes a while. */
    char body[2048];
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = "harbor ferry lantern bridge river council "[i % 42];
    for (int i = 0; i < 3000; i++) {
        char name[64];
        snprintf(name, sizeof name, "%04d.txt", i);
        char *p = tu_path(arts, name);
        int n = snprintf(body, 40, "Story number %d          ", i);
        body[n] = ' ';
        tu_write(p, body, sizeof body);
        free(p);
    }
    pid_t pid = spawn((const char *[]){"--db", db, "index", arts, NULL}, tmp);
    /* Wait for the index to exist, so that the handler is in place. */
    char *lock_dir = kpath(db, "iamglass");
    struct stat sb;
    for (int i = 0; i < 2000 && stat(lock_dir, &sb) != 0; i++)
        nanosleep(&(struct timespec){0, 5000000}, NULL);
    nanosleep(&(struct timespec){0, 50000000}, NULL);
    kill(pid, SIGINT);
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    char *err_path = kpath(tmp, "err"), *out_path = kpath(tmp, "out");
    char *err = kread(err_path, NULL), *out = kread(out_path, NULL);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        cr_skip_test("indexing finished before the interrupt arrived");
    cr_assert(WIFEXITED(st), "killed by signal %d: %s", WTERMSIG(st), err);
    cr_assert_eq(WEXITSTATUS(st), 130, "%s", err);
    cr_assert(strstr(err, "kbsearch: interrupted — what was indexed so far is saved; run "
                          "'kbsearch index' again to finish\n"),
              "%s", err);
    unsigned long added = strtoul(out, NULL, 10);
    cr_assert_lt(added, 3000);

    /* The next run picks up where it stopped. */
    char *out2, *err2;
    int rc = run((const char *[]){"--db", db, "index", arts, NULL}, &out2, &err2);
    cr_assert_eq(rc, 0, "%s", err2);
    char want[80];
    snprintf(want, sizeof want, "%lu added, 0 updated, %lu unchanged,", 3000 - added, added);
    cr_assert_eq(strncmp(out2, want, strlen(want)), 0, "%s / %s", out2, want);
}

/* --- the index folder -------------------------------------------------------- */

Test(cli, missing_index)
{
    char *db = new_db(), *out, *err;
    char want[512];
    snprintf(want, sizeof want,
             "kbsearch: no index at %s — run 'kbsearch index FOLDER' first (or pass --db DIR)\n",
             db);
    static const char *const cmds[][2] = {{"news", NULL}, {"stats", NULL}, {"show", "1"}};
    for (size_t i = 0; i < 3; i++) {
        const char *argv[] = {"--db", db, cmds[i][0], cmds[i][1], NULL};
        int rc = run(argv, &out, &err);
        cr_assert_eq(rc, 2, "case %zu", i);
        cr_assert_str_empty(out, "case %zu", i);
        cr_assert_str_eq(err, want, "case %zu", i);
    }
}

Test(cli, db_from_environment)
{
    const char *tmp = tu_tmpdir();
    char *db = kpath(tmp, "from-env"), *xdg = kpath(tmp, "xdg"), *out, *err;
    cr_assert_eq(setenv("KBSEARCH_DB", db, 1), 0);
    int rc = run((const char *[]){"index", CORPUS, NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    rc = run((const char *[]){"stats", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    char *real = keep(realpath(db, NULL));
    cr_assert(strstr(out, real), "%s", out);

    /* Without it, $XDG_DATA_HOME/kbsearch. */
    cr_assert_eq(unsetenv("KBSEARCH_DB"), 0);
    cr_assert_eq(setenv("XDG_DATA_HOME", xdg, 1), 0);
    rc = run((const char *[]){"stats", NULL}, &out, &err);
    cr_assert_eq(rc, 2);
    char want[512];
    snprintf(want, sizeof want, "kbsearch: no index at %s/kbsearch — run", xdg);
    cr_assert_eq(strncmp(err, want, strlen(want)), 0, "%s", err);

    /* Without that either, ~/.local/share/kbsearch. */
    cr_assert_eq(unsetenv("XDG_DATA_HOME"), 0);
    cr_assert_eq(setenv("HOME", tmp, 1), 0);
    rc = run((const char *[]){"stats", NULL}, &out, &err);
    cr_assert_eq(rc, 2);
    snprintf(want, sizeof want, "kbsearch: no index at %s/.local/share/kbsearch — run", tmp);
    cr_assert_eq(strncmp(err, want, strlen(want)), 0, "%s", err);
}

/* --- the command line ------------------------------------------------------ */

Test(cli, options_anywhere)
{
    const char *tmp = tu_tmpdir();
    char *db1 = kpath(tmp, "one"), *db2 = kpath(tmp, "two"), *out, *err, *ref;
    cr_assert_eq(run((const char *[]){"--db", db1, "index", CORPUS, NULL}, NULL, &err), 0, "%s",
                 err);
    cr_assert_eq(run((const char *[]){"index", CORPUS, "--db", db2, NULL}, NULL, &err), 0, "%s",
                 err);
    cr_assert_eq(run((const char *[]){"--db", db1, "--limit", "3", "security cooperation", NULL},
                     &ref, &err),
                 0, "%s", err);
    cr_assert_eq(count_hits(ref), 3);
    static const char *const orders[][7] = {
        {"security cooperation", "--limit", "3", "--db", "@", NULL},
        {"--db", "@", "security", "--limit=3", "cooperation", NULL},
        {"search", "--db=@", "security cooperation", "-n3", NULL},
        {"--limit", "3", "search", "security", "cooperation", "--db", "@"},
    };
    for (size_t i = 0; i < sizeof orders / sizeof orders[0]; i++) {
        const char *argv[8] = {NULL};
        char dbopt[600];
        snprintf(dbopt, sizeof dbopt, "--db=%s", db2);
        for (size_t k = 0; k < 7 && orders[i][k]; k++)
            argv[k] = strcmp(orders[i][k], "@") == 0        ? db2
                      : strcmp(orders[i][k], "--db=@") == 0 ? dbopt
                                                            : orders[i][k];
        int rc = run(argv, &out, &err);
        cr_assert_eq(rc, 0, "case %zu: %s", i, err);
        cr_assert_str_eq(out, ref, "case %zu", i);
    }
    cr_assert_eq(
        run((const char *[]){"--db", db2, "--json", "security cooperation", NULL}, &out, &err), 0);
    cr_assert_eq(out[0], '{');
}

Test(cli, double_dash_ends_options)
{
    char *db = new_db(), *out, *err;
    index_corpus(db);
    /* After "--", a command name is a word of the query. */
    int rc = run((const char *[]){"--db", db, "--", "stats", NULL}, &out, &err);
    cr_assert(rc == 0 || rc == 1, "%s", err);
    cr_assert_null(strstr(out, "Articles:"));
    rc = run((const char *[]){"--db", db, "search", "--", "--limit", NULL}, &out, &err);
    cr_assert(rc == 0 || rc == 1 || rc == 2, "%s", err);
    cr_assert_null(strstr(err, "needs a value"), "%s", err);
}

typedef struct usage_case {
    const char *argv[6];
    const char *first_line; /* of stderr */
    const char *second_line;
} usage_case;

Test(cli, usage_errors)
{
    char *db = new_db(); /* never reached: usage errors come first */
    static const usage_case cases[] = {
        /* 1 */ {{NULL},
                 "kbsearch: nothing to do: give words to search for, or a command "
                 "(index, show, stats, help)",
                 "Try 'kbsearch --help'."},
        /* 2 */
        {{"--bogus", "news", NULL}, "kbsearch: unknown option '--bogus'", "Try 'kbsearch --help'."},
        /* 3 */
        {{"news", "--bogus=1", NULL},
         "kbsearch: unknown option '--bogus'",
         "Try 'kbsearch --help'."},
        /* 4 */ {{"-x", "news", NULL}, "kbsearch: unknown option '-x'", "Try 'kbsearch --help'."},
        /* 5 */
        {{"news", "--limit", NULL},
         "kbsearch: option '--limit' needs a value: the number of results",
         "Try 'kbsearch --help'."},
        /* 6 */
        {{"news", "-n", NULL},
         "kbsearch: option '-n' needs a value: the number of results",
         "Try 'kbsearch --help'."},
        /* 7 */
        {{"--limit", "ten", "news", NULL},
         "kbsearch: --limit needs a whole number from 1 to 10000, not 'ten'",
         "Try 'kbsearch --help'."},
        /* 8 */
        {{"--limit", "0", "news", NULL},
         "kbsearch: --limit needs a whole number from 1 to 10000, not '0'",
         "Try 'kbsearch --help'."},
        /* 9 */
        {{"--limit", "-3", "news", NULL},
         "kbsearch: --limit needs a whole number from 1 to 10000, not '-3'",
         "Try 'kbsearch --help'."},
        /* 10 */
        {{"--json=yes", "news", NULL},
         "kbsearch: option '--json' takes no value",
         "Try 'kbsearch --help'."},
        /* 11 */
        {{"--color=sometimes", "news", NULL},
         "kbsearch: --color takes 'auto', 'always' or 'never', not 'sometimes'",
         "Try 'kbsearch --help'."},
        /* 12 */
        {{"", NULL},
         "kbsearch: the query is empty — give the words to search for",
         "Try 'kbsearch search --help'."},
        /* 13 */
        {{" ", "", NULL},
         "kbsearch: the query is empty — give the words to search for",
         "Try 'kbsearch search --help'."},
        /* 14 */
        {{"search", NULL}, "kbsearch: search needs a query", "Try 'kbsearch search --help'."},
        /* 15 */
        {{"index", NULL},
         "kbsearch: index needs the folder to index",
         "Try 'kbsearch index --help'."},
        /* 16 */
        {{"index", "a", "b", NULL},
         "kbsearch: index takes one folder, not 2 arguments (quote a name that has "
         "spaces)",
         "Try 'kbsearch index --help'."},
        /* 17 */
        {{"index", "a", "--limit", "3", NULL},
         "kbsearch: --limit does not apply to 'index'",
         "Try 'kbsearch index --help'."},
        /* 18 */
        {{"show", NULL},
         "kbsearch: show needs an article's id or its path",
         "Try 'kbsearch show --help'."},
        /* 19 */
        {{"show", "1", "2", NULL},
         "kbsearch: show takes one id or path, not 2",
         "Try 'kbsearch show --help'."},
        /* 20 */
        {{"show", "1", "--json", NULL},
         "kbsearch: --json does not apply to 'show'",
         "Try 'kbsearch show --help'."},
        /* 21 */
        {{"stats", "now", NULL},
         "kbsearch: stats takes no arguments, not 'now'",
         "Try 'kbsearch stats --help'."},
        /* 22 */
        {{"stats", "--color", NULL},
         "kbsearch: --color does not apply to 'stats'",
         "Try 'kbsearch stats --help'."},
        /* 23 */
        {{"help", "nope", NULL},
         "kbsearch: no command 'nope' — the commands are search, index, show, stats, "
         "check, compact, similar, versions and help",
         "Try 'kbsearch --help'."},
        /* 24 */
        {{"search", "--max-file-size", "1M", "news", NULL},
         "kbsearch: --max-file-size does not apply to 'search'",
         "Try 'kbsearch search --help'."},
        /* 25 */
        {{"index", "a", "--max-file-size", "12Q", NULL},
         "kbsearch: --max-file-size needs a size in bytes such as 500000, 64K or 32M, "
         "not '12Q'",
         "Try 'kbsearch --help'."},
        /* 26 */
        {{"--db", "", "news", NULL},
         "kbsearch: --db needs a folder, not an empty name",
         "Try 'kbsearch --help'."},
        /* 27 */
        {{"--bm25", "1.2", "news", NULL},
         "kbsearch: --bm25 needs K1,B: two numbers such as 1.2,0.75, K1 0 or more and B from 0 "
         "to 1, not '1.2'",
         "Try 'kbsearch --help'."},
        /* 28 */
        {{"--bm25", "a,b", "news", NULL},
         "kbsearch: --bm25 needs K1,B: two numbers such as 1.2,0.75, K1 0 or more and B from 0 "
         "to 1, not 'a,b'",
         "Try 'kbsearch --help'."},
        /* 29: b above 1 */
        {{"news", "--bm25=1.2,1.01", NULL},
         "kbsearch: --bm25 needs K1,B: two numbers such as 1.2,0.75, K1 0 or more and B from 0 "
         "to 1, not '1.2,1.01'",
         "Try 'kbsearch --help'."},
        /* 30: no signs */
        {{"--bm25", "-1,0.5", "news", NULL},
         "kbsearch: --bm25 needs K1,B: two numbers such as 1.2,0.75, K1 0 or more and B from 0 "
         "to 1, not '-1,0.5'",
         "Try 'kbsearch --help'."},
        /* 31: no exponents, no spaces, no third number */
        {{"--bm25", "1e0,0.5", "news", NULL},
         "kbsearch: --bm25 needs K1,B: two numbers such as 1.2,0.75, K1 0 or more and B from 0 "
         "to 1, not '1e0,0.5'",
         "Try 'kbsearch --help'."},
        /* 32 */
        {{"--bm25", "1.2, 0.5", "news", NULL},
         "kbsearch: --bm25 needs K1,B: two numbers such as 1.2,0.75, K1 0 or more and B from 0 "
         "to 1, not '1.2, 0.5'",
         "Try 'kbsearch --help'."},
        /* 33 */
        {{"--bm25", "1,0.5,2", "news", NULL},
         "kbsearch: --bm25 needs K1,B: two numbers such as 1.2,0.75, K1 0 or more and B from 0 "
         "to 1, not '1,0.5,2'",
         "Try 'kbsearch --help'."},
        /* 34 */
        {{"--bm25", ".,.", "news", NULL},
         "kbsearch: --bm25 needs K1,B: two numbers such as 1.2,0.75, K1 0 or more and B from 0 "
         "to 1, not '.,.'",
         "Try 'kbsearch --help'."},
        /* 35 */
        {{"--sort", "sideways", "news", NULL},
         "kbsearch: --sort takes 'relevance', 'newest' or 'oldest', not 'sideways'",
         "Try 'kbsearch --help'."},
        /* 36 */
        {{"news", "--sort", NULL},
         "kbsearch: option '--sort' needs a value: relevance, newest or oldest",
         "Try 'kbsearch --help'."},
        /* 37 */
        {{"--offset", "-1", "news", NULL},
         "kbsearch: --offset needs a whole number from 0 to 1000000000, not '-1'",
         "Try 'kbsearch --help'."},
        /* 38 */
        {{"--offset", "1000000001", "news", NULL},
         "kbsearch: --offset needs a whole number from 0 to 1000000000, not '1000000001'",
         "Try 'kbsearch --help'."},
        /* 39 */
        {{"--offset", "", "news", NULL},
         "kbsearch: --offset needs a whole number from 0 to 1000000000, not ''",
         "Try 'kbsearch --help'."},
        /* 40 */
        {{"--title-weight", "2,5", "news", NULL},
         "kbsearch: --title-weight needs a number from 0 to 100 such as 2.5, not '2,5'",
         "Try 'kbsearch --help'."},
        /* 41 */
        {{"--title-weight", "100.5", "news", NULL},
         "kbsearch: --title-weight needs a number from 0 to 100 such as 2.5, not '100.5'",
         "Try 'kbsearch --help'."},
        /* 42 */
        {{"--any=yes", "news", NULL},
         "kbsearch: option '--any' takes no value",
         "Try 'kbsearch --help'."},
        /* 43 */
        {{"--count", "-n", "3", "news", NULL},
         "kbsearch: --count prints only the number of matches: --limit does not go with it",
         "Try 'kbsearch search --help'."},
        /* 44 */
        {{"news", "--explain", "--count", NULL},
         "kbsearch: --count prints only the number of matches: --explain does not go with it",
         "Try 'kbsearch search --help'."},
        /* 45 */
        {{"--count", "--offset", "10", "news", NULL},
         "kbsearch: --count prints only the number of matches: --offset does not go with it",
         "Try 'kbsearch search --help'."},
        /* 46 */
        {{"--sort", "newest", "--count", "news", NULL},
         "kbsearch: --count prints only the number of matches: --sort does not go with it",
         "Try 'kbsearch search --help'."},
        /* 47 */
        {{"index", "a", "--explain", NULL},
         "kbsearch: --explain does not apply to 'index'",
         "Try 'kbsearch index --help'."},
        /* 48 */
        {{"stats", "--sort", "oldest", NULL},
         "kbsearch: --sort does not apply to 'stats'",
         "Try 'kbsearch stats --help'."},
        /* 49 */
        {{"show", "1", "--title-weight", "3", NULL},
         "kbsearch: --title-weight does not apply to 'show'",
         "Try 'kbsearch show --help'."},
        /* 50 */
        {{"index", "a", "--workers", "0", NULL},
         "kbsearch: --workers needs a number of processes from 1 to 4, not '0'",
         "Try 'kbsearch --help'."},
        /* 51 */
        {{"index", "a", "--max-memory", "63", NULL},
         "kbsearch: --max-memory needs a number of MiB from 64 to 1048576 (such as 512), not '63'",
         "Try 'kbsearch --help'."},
        /* 52 */
        {{"--workers", "2", "news", NULL},
         "kbsearch: --workers does not apply to 'search'",
         "Try 'kbsearch search --help'."},
        /* 53 */
        {{"--fragments", "0", "news", NULL},
         "kbsearch: --fragments needs a whole number from 1 to 16, not '0'",
         "Try 'kbsearch --help'."},
        /* 54 */
        {{"--fragments", "17", "news", NULL},
         "kbsearch: --fragments needs a whole number from 1 to 16, not '17'",
         "Try 'kbsearch --help'."},
        /* 55 */
        {{"--snippet-len", "19", "news", NULL},
         "kbsearch: --snippet-len needs a number of characters from 20 to 10000, not '19'",
         "Try 'kbsearch --help'."},
        /* 56 */
        {{"--snippet-len", "2e3", "news", NULL},
         "kbsearch: --snippet-len needs a number of characters from 20 to 10000, not '2e3'",
         "Try 'kbsearch --help'."},
        /* 57 */
        {{"--json", "--html", "news", NULL},
         "kbsearch: --json and --html write the hits in different ways: give one",
         "Try 'kbsearch search --help'."},
        /* 58 */
        {{"--markers", "news", "--html", NULL},
         "kbsearch: --markers and --html write the hits in different ways: give one",
         "Try 'kbsearch search --help'."},
        /* 59 */
        {{"--count", "--facets", "news", NULL},
         "kbsearch: --count prints only the number of matches: --facets does not go with it",
         "Try 'kbsearch search --help'."},
        /* 60 */
        {{"stats", "--facets", NULL},
         "kbsearch: --facets does not apply to 'stats'",
         "Try 'kbsearch stats --help'."},
        /* 61 */
        {{"--fragments", NULL},
         "kbsearch: option '--fragments' needs a value: the number of passages, 1 to 16",
         "Try 'kbsearch --help'."},
        /* 62 */
        {{"--expand", "0", "news*", NULL},
         "kbsearch: --expand needs a whole number from 1 to 10000, not '0'",
         "Try 'kbsearch --help'."},
        /* 63 */
        {{"--expand", "10001", "news*", NULL},
         "kbsearch: --expand needs a whole number from 1 to 10000, not '10001'",
         "Try 'kbsearch --help'."},
        /* 64 */
        {{"similar", "1", "--expand", "5", NULL},
         "kbsearch: --expand does not apply to 'similar'",
         "Try 'kbsearch similar --help'."},
        /* 65 */
        {{"--expand", NULL},
         "kbsearch: option '--expand' needs a value: the most words a prefix stands for, 1 to "
         "10000",
         "Try 'kbsearch --help'."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const usage_case *c = &cases[i];
        const char *argv[10] = {"--db", db};
        size_t n = 2;
        for (size_t k = 0; c->argv[k]; k++)
            argv[n++] = c->argv[k];
        if (i == 0)
            argv[0] = NULL; /* case 1: no arguments at all */
        char *out, *err;
        int rc = run(argv, &out, &err);
        cr_assert_eq(rc, 2, "case %zu: exit %d", i + 1, rc);
        cr_assert_str_empty(out, "case %zu", i + 1);
        char *line = first_line(err);
        cr_assert_str_eq(line, c->first_line, "case %zu", i + 1);
        char *second = first_line(err + strlen(line) + (err[strlen(line)] == '\n'));
        cr_assert_str_eq(second, c->second_line, "case %zu", i + 1);
        cr_assert_eq(count_lines(err), 2, "case %zu: %s", i + 1, err);
    }
}

Test(cli, help)
{
    static const struct {
        const char *argv[4];
        const char *starts;
    } cases[] = {
        {{"--help", NULL}, "Usage: kbsearch [OPTIONS] QUERY...\n"},
        {{"-h", NULL}, "Usage: kbsearch [OPTIONS] QUERY...\n"},
        {{"help", NULL}, "Usage: kbsearch [OPTIONS] QUERY...\n"},
        {{"some", "words", "--help", NULL}, "Usage: kbsearch [OPTIONS] QUERY...\n"},
        {{"search", "--help", NULL}, "Usage: kbsearch [search] [OPTIONS] QUERY...\n"},
        {{"help", "search", NULL}, "Usage: kbsearch [search] [OPTIONS] QUERY...\n"},
        {{"index", "--help", NULL}, "Usage: kbsearch index [OPTIONS] FOLDER|FILE\n"},
        {{"help", "index", NULL}, "Usage: kbsearch index [OPTIONS] FOLDER|FILE\n"},
        {{"--help", "index", NULL}, "Usage: kbsearch index [OPTIONS] FOLDER|FILE\n"},
        {{"show", "-h", NULL}, "Usage: kbsearch show [OPTIONS] ID|PATH\n"},
        {{"help", "show", NULL}, "Usage: kbsearch show [OPTIONS] ID|PATH\n"},
        {{"stats", "--help", NULL}, "Usage: kbsearch stats [OPTIONS]\n"},
        {{"help", "stats", NULL}, "Usage: kbsearch stats [OPTIONS]\n"},
        {{"help", "--help", NULL}, "Usage: kbsearch help [COMMAND]\n"},
        {{"help", "help", NULL}, "Usage: kbsearch help [COMMAND]\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out, *err;
        int rc = run(cases[i].argv, &out, &err);
        cr_assert_eq(rc, 0, "case %zu: %s", i + 1, err);
        cr_assert_str_empty(err, "case %zu", i + 1);
        cr_assert_eq(strncmp(out, cases[i].starts, strlen(cases[i].starts)), 0, "case %zu: %s",
                     i + 1, out);
        cr_assert(strstr(out, "\nExit status: "), "case %zu", i + 1);
        cr_assert(strstr(out, "xample"), "case %zu: an example", i + 1);
    }
}

Test(cli, version)
{
    char *out;
    cr_assert_eq(run((const char *[]){"--version", NULL}, &out, NULL), 0);
    cr_assert_str_eq(out, "kbsearch 0.1.0\n");
}

/* --- golden output ---------------------------------------------------------- */

/* Three short articles written for this test: the output of a search over
 * them is compared whole. */
static const char HARBOR[] =
    "Menu Content\n"
    "Go Top\n"
    "\n"
    "Diplomacy\n"
    "\n"
    "Ministers Plan Harbor Security Cooperation\n"
    "\n"
    "Written: 2021-03-04 09:15:00Updated: 2021-03-04 11:02:10\n"
    "\n"
    "Ministers Plan Harbor Security Cooperation\n"
    "\n"
    "Anchor: The foreign ministers of two coastal states agreed on Thursday to widen harbor "
    "security cooperation.\n"
    "\n"
    "Report: Patrol boats will share radar data from next spring, and the coast guards will "
    "hold joint security drills.\n"
    "Lee Dana, KBS World Radio News\n"
    "\n"
    "Related News\n"
    "Editor's Pick\n"
    "Close\n";

static const char FARM[] = "Menu Content\n"
                           "Go Top\n"
                           "\n"
                           "Economy\n"
                           "\n"
                           "Farm Cooperative Sells Its Securities Arm\n"
                           "\n"
                           "Written: 2022-11-20 14:40:00\n"
                           "\n"
                           "Farm Cooperative Sells Its Securities Arm\n"
                           "\n"
                           "Anchor: A rice farmers’ cooperative sold its small securities arm "
                           "to a regional bank for 12 billion won.\n"
                           "\n"
                           "The bank will keep all forty staff and the office in the county "
                           "seat, where the firm has traded grain futures since 1998.\n"
                           "Park Minji, KBS World Radio News\n";

static const char LANTERN[] = "Lanterns Light Up the River\n"
                              "\n"
                              "A lantern parade drew families to the riverbank on Saturday.\n"
                              "\n"
                              "Lantern makers sold out by nightfall.\n";

static void write_golden_corpus(const char *tmp)
{
    char *p = kpath(tmp, "news/a-harbor.txt");
    tu_write(p, HARBOR, sizeof HARBOR - 1);

    p = kpath(tmp, "news/b-farm.txt");
    tu_write(p, FARM, sizeof FARM - 1);

    p = kpath(tmp, "news/c-lantern.txt");
    tu_write(p, LANTERN, sizeof LANTERN - 1);

    cr_assert_eq(chdir(tmp), 0);
    char *out, *err;
    int rc = run((const char *[]){"--db", "index", "index", "news", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
}

Test(cli, golden_search)
{
    write_golden_corpus(tu_tmpdir());
    char *out, *err;
    int rc = run((const char *[]){"--db", "index", "--color=never", "security cooperation", NULL},
                 &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    /* The snippets are cut at 200 characters, at a word, with " …". */
    cr_assert_str_eq(out, "1. Ministers Plan Harbor Security Cooperation\n"
                          "   Diplomacy · 2021-03-04 · news/a-harbor.txt · id 1\n"
                          "   The foreign ministers of two coastal states agreed on Thursday "
                          "to widen harbor security cooperation. Patrol boats will share radar "
                          "data from next spring, and the coast guards will hold joint "
                          "security …\n"
                          "\n"
                          "2. Farm Cooperative Sells Its Securities Arm\n"
                          "   Economy · 2022-11-20 · news/b-farm.txt · id 2\n"
                          "   A rice farmers’ cooperative sold its small securities arm to a "
                          "regional bank for 12 billion won. The bank will keep all forty staff "
                          "and the office in the county seat, where the firm has traded grain "
                          "…\n");
    cr_assert_str_empty(err);
}

Test(cli, golden_search_color)
{
    write_golden_corpus(tu_tmpdir());
    char *out, *err;
    int rc = run(
        (const char *[]){"--db", "index", "--color=always", "security cooperation", "-n1", NULL},
        &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    /* Adjacent matches are one highlight. */
    cr_assert_str_eq(out, "1. \033[1mMinisters Plan Harbor Security Cooperation\033[0m\n"
                          "   Diplomacy · 2021-03-04 · news/a-harbor.txt · id 1\n"
                          "   The foreign ministers of two coastal states agreed on Thursday "
                          "to widen harbor \033[1;33msecurity cooperation\033[0m. Patrol boats "
                          "will share radar data from next spring, and the coast guards will "
                          "hold joint \033[1;33msecurity\033[0m …\n");
    /* NO_COLOR wins over auto, not over always. */
    cr_assert_eq(setenv("NO_COLOR", "1", 1), 0);
    char *again;
    cr_assert_eq(run((const char *[]){"--db", "index", "--color=always", "security cooperation",
                                      "-n1", NULL},
                     &again, NULL),
                 0);
    cr_assert_str_eq(again, out);
}

Test(cli, golden_fallback)
{
    write_golden_corpus(tu_tmpdir());
    char *out, *err;
    int rc = run((const char *[]){"--db", "index", "lantern", "dolphins", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(out, "No article has all of: lantern dolphins — showing articles with any "
                          "of them.\n"
                          "\n"
                          "1. Lanterns Light Up the River\n"
                          "   news/c-lantern.txt · id 3\n"
                          "   A lantern parade drew families to the riverbank on Saturday. "
                          "Lantern makers sold out by nightfall.\n");
    rc = run((const char *[]){"--db", "index", "--json", "lantern", "dolphins", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(count_lines(out), 1);
    cr_assert(strstr(out, "\"match\":\"any\"}\n"), "%s", out);
    cr_assert(strstr(out, "\"path\":\"/"), "%s", out);
    cr_assert(strstr(out, "\"highlights\":[[2,7],[61,7]],"), "%s", out);
}

/* --- the query language and ranking options ------------------------------------ */

/* The JSON objects of a --json output, one a line (kept: freed with the test). */
static size_t json_lines(char *out, json_object **objs, size_t cap)
{
    size_t n = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        cr_assert_lt(n, cap);
        objs[n] = json_tokener_parse(line);
        cr_assert_not_null(objs[n], "not JSON: %s", line);
        n++;
    }
    return n;
}

static void put_all(json_object **objs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_object_put(objs[i]);
}

/* --markers: plain text, each highlight between [ and ], a phrase as one. */
Test(cli, golden_markers)
{
    write_golden_corpus(tu_tmpdir());
    char *out, *err;
    int rc = run((const char *[]){"--db", "index", "--markers", "-n1",
                                  "\"security cooperation\" drills", NULL},
                 &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(out, "1. Ministers Plan Harbor Security Cooperation\n"
                          "   Diplomacy · 2021-03-04 · news/a-harbor.txt · id 1\n"
                          "   … ministers of two coastal states agreed on Thursday to widen "
                          "harbor [security cooperation]. Patrol boats will share radar data "
                          "from next spring, and the coast guards will hold joint [security "
                          "drills].\n");
    cr_assert_str_empty(err);
}

/* --fragments and --snippet-len: two passages, each holding a word the
 * other lacks, in the order of the text, joined by an ellipsis. */
Test(cli, golden_fragments)
{
    write_golden_corpus(tu_tmpdir());
    char *out, *err;
    int rc = run((const char *[]){"--db", "index", "--markers", "--fragments", "2", "--snippet-len",
                                  "100", "ministers drills", NULL},
                 &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(out, "1. Ministers Plan Harbor Security Cooperation\n"
                          "   Diplomacy · 2021-03-04 · news/a-harbor.txt · id 1\n"
                          "   The foreign [ministers] of two coastal states … coast guards will "
                          "hold joint security [drills].\n");
    /* One passage: the words are too far apart for one window, so the first. */
    rc = run((const char *[]){"--db", "index", "--markers", "--fragments", "1", "--snippet-len",
                              "60", "ministers drills", NULL},
             &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(strstr(out, "   The foreign [ministers] of two coastal states agreed on …\n"), "%s",
              out);
}

/* --html: escaped, <mark> around each highlight (a phrase is one), the lead
 * marked as such. */
Test(cli, golden_html)
{
    write_golden_corpus(tu_tmpdir());
    char *out, *err;
    int rc = run((const char *[]){"--db", "index", "--html", "harbor \"coast guards\"", NULL}, &out,
                 &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(
        out, "<ol class=\"kbs-results\" start=\"1\">\n"
             "<li class=\"kbs-hit\" value=\"1\">\n"
             "<div class=\"kbs-title\">Ministers Plan Harbor Security Cooperation</div>\n"
             "<div class=\"kbs-meta\"><span class=\"kbs-category\">Diplomacy</span> · <time "
             "datetime=\"2021-03-04T09:15:00\">2021-03-04</time> · <span "
             "class=\"kbs-path\">news/a-harbor.txt</span> · id 1</div>\n"
             "<p class=\"kbs-snippet\">The foreign ministers of two coastal states agreed on "
             "Thursday to widen <mark>harbor</mark> security cooperation. Patrol boats will "
             "share radar data from next spring, and the <mark>coast guards</mark> will hold "
             "joint security …</p>\n"
             "</li>\n"
             "</ol>\n");
    rc = run((const char *[]){"--db", "index", "--html", "title:river", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(strstr(out, "<p class=\"kbs-snippet kbs-lead\">A lantern parade drew families to "
                          "the riverbank on Saturday. Lantern makers sold out by nightfall.</p>"),
              "%s", out);
    /* Everything a page could take for markup is escaped. */
    static const char MARKUP[] = "Tags <b> & \"Quotes\" in 'Titles'\n\n"
                                 "The <script>alert(1)</script> tag & friends were quoted.\n";
    tu_write("news/d-markup.txt", MARKUP, sizeof MARKUP - 1); /* in the folder above */
    cr_assert_eq(run((const char *[]){"--db", "index", "index", "news", NULL}, &out, &err), 0);
    cr_assert(strstr(out, "1 added"), "%s%s", out, err);
    rc = run((const char *[]){"--db", "index", "--html", "script", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(strstr(out, "<div class=\"kbs-title\">Tags &lt;b&gt; &amp; &quot;Quotes&quot; in "
                          "&#39;Titles&#39;</div>"),
              "%s", out);
    cr_assert(strstr(out, "The &lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt; "
                          "tag &amp; friends were quoted."),
              "%s", out);
    cr_assert(strstr(out, "<script>") == NULL, "%s", out);
}

/* Every "highlights" pair of --json points at the highlighted text: the words
 * whose stem matched, and a phrase whole. */
Test(cli, json_offsets_point_at_the_highlights)
{
    write_golden_corpus(tu_tmpdir());
    static const struct {
        const char *query;
        const char *const words[4]; /* what the spans of the first hit hold */
    } cases[] = {
        {"harbor \"coast guards\"", {"harbor", "coast guards"}},
        {"security cooperation", {"security cooperation", "security"}},
        {"sold cooperative", {"cooperative sold"}}, /* after a 3-byte ’ */
        {"securities", {"security", "security"}},
        {"lantern", {"lantern", "Lantern"}},
        {"farmers", {"farmers"}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char *out, *err;
        int rc = run((const char *[]){"--db", "index", "--json", "-n1", cases[c].query, NULL}, &out,
                     &err);
        cr_assert_eq(rc, 0, "%s: %s", cases[c].query, err);
        json_object *o = json_tokener_parse(out);
        cr_assert_not_null(o, "%s", out);
        const char *snip = json_object_get_string(field(o, "snippet", json_type_string));
        json_object *hl = field(o, "highlights", json_type_array);
        size_t n = json_object_array_length(hl), want = 0;
        while (want < 4 && cases[c].words[want])
            want++;
        cr_expect_eq(n, want, "%s: %zu spans in %s", cases[c].query, n, out);
        for (size_t i = 0; i < n && i < want; i++) {
            json_object *pair = json_object_array_get_idx(hl, i);
            size_t a = (size_t)json_object_get_int64(json_object_array_get_idx(pair, 0));
            size_t len = (size_t)json_object_get_int64(json_object_array_get_idx(pair, 1));
            cr_assert_leq(a + len, strlen(snip));
            cr_expect(len == strlen(cases[c].words[i]) &&
                          memcmp(snip + a, cases[c].words[i], len) == 0,
                      "%s: span %zu is \"%.*s\", not \"%s\"", cases[c].query, i, (int)len, snip + a,
                      cases[c].words[i]);
        }
        json_object_put(o);
    }
}

/* A match in the title only: the lead, said so in --json. */
Test(cli, json_lead)
{
    write_golden_corpus(tu_tmpdir());
    char *out, *err;
    int rc = run((const char *[]){"--db", "index", "--json", "title:river", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(strstr(out, "\"snippet\":\"A lantern parade drew families to the riverbank on "
                          "Saturday. Lantern makers sold out by nightfall.\",\"highlights\":[],"
                          "\"lead\":true,\"match\":\"all\"}\n"),
              "%s", out);
    rc = run((const char *[]){"--db", "index", "--json", "lantern", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(strstr(out, "\"lead\"") == NULL, "%s", out);
}

/* --facets: the table above the hits (a timeline only on a terminal or with
 * colour), the JSON object first. */
Test(cli, golden_facets)
{
    write_golden_corpus(tu_tmpdir());
    char *out, *err;
    int rc =
        run((const char *[]){"--db", "index", "--facets", "-n1", "security", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(out, "Matches: 2\n"
                          "  Category  Diplomacy 1 · Economy 1\n"
                          "  Month     2021-03 1 · 2022-11 1\n"
                          "\n"
                          "1. Ministers Plan Harbor Security Cooperation\n"
                          "   Diplomacy · 2021-03-04 · news/a-harbor.txt · id 1\n"
                          "   The foreign ministers of two coastal states agreed on Thursday "
                          "to widen harbor security cooperation. Patrol boats will share radar "
                          "data from next spring, and the coast guards will hold joint "
                          "security …\n");
    rc = run(
        (const char *[]){"--db", "index", "--facets", "-n1", "--color=always", "security", NULL},
        &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    /* 21 months: one bar each, a blank for the empty ones. */
    cr_assert(strstr(out, "  Timeline  2021-03 █                   █ 2022-11\n"), "%s", out);
    rc = run((const char *[]){"--db", "index", "--facets", "--json", "-n1", "security", NULL}, &out,
             &err);
    cr_assert_eq(rc, 0, "%s", err);
    json_object *objs[4];
    size_t n = json_lines(out, objs, 4);
    cr_assert_eq(n, 2);
    json_object *f = field(objs[0], "facets", json_type_object);
    cr_expect_eq(json_object_get_int64(field(f, "total", json_type_int)), 2);
    json_object *cat = field(f, "category", json_type_array);
    cr_assert_eq(json_object_array_length(cat), 2);
    json_object *c0 = json_object_array_get_idx(cat, 0);
    cr_expect_str_eq(json_object_get_string(field(c0, "value", json_type_string)), "Diplomacy");
    cr_expect_eq(json_object_get_int64(field(c0, "count", json_type_int)), 1);
    cr_expect_eq(json_object_array_length(field(f, "month", json_type_array)), 21);
    cr_expect_eq(json_object_array_length(field(f, "year", json_type_array)), 2);
    field(objs[1], "path", json_type_string);
    put_all(objs, n);
}

Test(cli, offset_pages_on)
{
    write_golden_corpus(tu_tmpdir());
    char *out, *err;
    int rc = run((const char *[]){"--db", "index", "security cooperation", "--offset", "1", NULL},
                 &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(count_hits(out), 1, "%s", out);
    cr_assert_eq(strncmp(out, "2. Farm Cooperative Sells Its Securities Arm\n", 45), 0,
                 "ranks go on from the offset: %s", out);
    rc = run((const char *[]){"--db", "index", "--offset=0", "-n1", "security cooperation", NULL},
             &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(strncmp(out, "1. Ministers Plan Harbor Security Cooperation\n", 46), 0, "%s", out);
    /* Past the last hit: nothing, and the summary says how many there are. */
    rc = run((const char *[]){"--db", "index", "security cooperation", "--offset", "5", NULL}, &out,
             &err);
    cr_assert_eq(rc, 1);
    cr_assert_str_empty(out);
    cr_assert_str_eq(err, "No results for \"security cooperation\" past the first 5.\n");
    rc = run(
        (const char *[]){"--db", "index", "--json", "--offset", "5", "security cooperation", NULL},
        &out, &err);
    cr_assert_eq(rc, 1);
    cr_assert_str_eq(out, "{\"total\":2}\n");
}

Test(cli, count)
{
    write_golden_corpus(tu_tmpdir());
    static const struct {
        const char *argv[6];
        const char *out;
        int rc;
    } cases[] = {
        /* 1 */ {{"--count", "security cooperation", NULL}, "2\n", 0},
        /* 2 */ {{"--count", "lantern", NULL}, "1\n", 0},
        /* 3 */ {{"--count", "--json", "security cooperation", NULL}, "{\"total\":2}\n", 0},
        /* 4 */ {{"--count", "zzyzx", NULL}, "0\n", 1},
        /* 5 */ {{"--json", "zzyzx", "--count", NULL}, "{\"total\":0}\n", 1},
        /* 6: no article has both; the fallback to any word does not count */
        {{"--count", "lantern", "dolphins", NULL}, "0\n", 1},
        /* 7: unless any word is what was asked for */
        {{"--count", "--any", "lantern", "dolphins", NULL}, "1\n", 0},
        /* 8 */ {{"search", "--count", "harbor OR lantern", NULL}, "2\n", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[10] = {"--db", "index"};
        size_t n = 2;
        for (size_t k = 0; cases[i].argv[k]; k++)
            argv[n++] = cases[i].argv[k];
        char *out, *err;
        int rc = run(argv, &out, &err);
        cr_assert_eq(rc, cases[i].rc, "case %zu: exit %d: %s", i + 1, rc, err);
        cr_assert_str_eq(out, cases[i].out, "case %zu", i + 1);
        cr_assert_str_empty(err, "case %zu", i + 1);
    }
}

Test(cli, count_is_exact_on_the_corpus)
{
    char *db = new_db(), *out, *err, *json;
    index_corpus(db);
    int rc = run((const char *[]){"--db", db, "--count", "typhoon", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    unsigned long n = strtoul(out, NULL, 10);
    cr_assert_gt(n, 0, "%s", out);
    /* As many as a listing long enough for all of them. */
    rc = run((const char *[]){"--db", db, "--json", "-n", "10000", "typhoon", NULL}, &json, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(count_lines(json), n, "--count says %lu:\n%s", n, json);
}

static int cmp_written(const char *a, const char *b, int newest)
{
    /* Articles without a date have "" and come after the dated ones when the
     * newest are first; only the dated ones are ordered here. */
    if (!*a || !*b)
        return 0;
    return newest ? strcmp(b, a) : strcmp(a, b);
}

Test(cli, sort_by_date)
{
    char *db = new_db(), *out, *err;
    index_corpus(db);
    static const char *const orders[] = {"newest", "oldest"};
    for (int o = 0; o < 2; o++) {
        int rc = run(
            (const char *[]){"--db", db, "--json", "-n", "100", "--sort", orders[o], "korea", NULL},
            &out, &err);
        cr_assert_eq(rc, 0, "%s", err);
        json_object *objs[100];
        size_t n = json_lines(out, objs, 100), dated = 0;
        cr_assert_geq(n, 5, "enough hits to see an order");
        const char *prev = NULL;
        for (size_t i = 0; i < n; i++) {
            const char *w = json_object_get_string(field(objs[i], "written", json_type_string));
            cr_assert_eq(json_object_get_int64(field(objs[i], "rank", json_type_int)),
                         (int64_t)i + 1);
            if (prev)
                cr_assert_leq(cmp_written(prev, w, o == 0), 0, "--sort %s: %s before %s", orders[o],
                              prev, w);
            if (*w) {
                prev = w;
                dated++;
            }
        }
        cr_assert_geq(dated, 5);
        put_all(objs, n);
    }
    /* The text output shows the same order: the newest first. */
    int rc =
        run((const char *[]){"--db", db, "-n", "2", "--sort", "newest", "korea", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    const char *first = strstr(out, " · 20"), *second = first ? strstr(first + 1, " · 20") : NULL;
    cr_assert(first && second, "%s", out);
    cr_assert_geq(strncmp(first, second, 13), 0, "%s", out);
}

Test(cli, any_matches_any_word_best_first)
{
    write_golden_corpus(tu_tmpdir());
    char *out, *err;
    /* By default every word must match: only the harbor article has all three. */
    int rc =
        run((const char *[]){"--db", "index", "security cooperation harbor", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(count_hits(out), 1, "%s", out);
    /* With --any the farm article, with two of them, comes too, after it. */
    rc = run((const char *[]){"--db", "index", "--any", "security cooperation harbor", NULL}, &out,
             &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(count_hits(out), 2, "%s", out);
    cr_assert_eq(strncmp(out, "1. Ministers Plan Harbor Security Cooperation\n", 46), 0, "%s", out);
    cr_assert(strstr(out, "\n2. Farm Cooperative Sells Its Securities Arm\n"), "%s", out);
    /* Words no article has together: the default falls back and says so;
     * --any asked for any word, so there is nothing to say. */
    rc = run((const char *[]){"--db", "index", "--any", "lantern", "dolphins", "--json", NULL},
             &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(count_lines(out), 1, "%s", out);
    cr_assert(strstr(out, "\"match\":\"all\""), "%s", out);
    rc = run((const char *[]){"--db", "index", "--any", "lantern", "dolphins", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(strncmp(out, "1. Lanterns Light Up the River\n", 31), 0, "%s", out);
}

/* The lines of a text output that explain a score: indented deeper than the
 * snippet (four spaces past the rank, here one digit wide). */
static size_t count_explained(const char *out)
{
    size_t blocks = 0;
    int in_block = 0;
    for (const char *line = out; *line;) {
        int deep = strncmp(line, "     ", 5) == 0;
        blocks += deep && !in_block;
        in_block = deep;
        const char *nl = strchr(line, '\n');
        if (!nl)
            break;
        line = nl + 1;
    }
    return blocks;
}

Test(cli, explain)
{
    write_golden_corpus(tu_tmpdir());
    char *out, *err;
    int rc = run((const char *[]){"--db", "index", "--explain", "security cooperation", NULL}, &out,
                 &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(count_hits(out), 2, "%s", out);
    cr_assert_eq(count_explained(out), 2, "an explanation under each hit:\n%s", out);
    cr_assert(strstr(out, "     BM25 k1="), "the values used: %s", out);
    /* The parsed query once, at the top, a blank line before the hits. */
    cr_assert_eq(strncmp(out, "Query: ", 7), 0, "%s", out);
    cr_assert(strstr(out, "\n\n1. Ministers Plan Harbor Security Cooperation\n"), "%s", out);
    cr_assert_null(strstr(out + 1, "Query: "), "%s", out);
    /* The tuning shows in the explanation. */
    rc = run((const char *[]){"--db", "index", "--explain", "--bm25", "0.9,0.4", "--title-weight",
                              "3", "-n1", "security cooperation", NULL},
             &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(strstr(out, "     BM25 k1=0.90 b=0.40"), "%s", out);
    /* A title word's share of the wdf (schema.h TITLE_WDF). */
    cr_assert(strstr(out, "in the title, x"), "%s", out);

    rc = run((const char *[]){"--db", "index", "--explain", "--json", "security cooperation", NULL},
             &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    json_object *objs[4];
    size_t n = json_lines(out, objs, 4);
    cr_assert_eq(n, 2);
    for (size_t i = 0; i < n; i++) {
        cr_assert_gt(json_object_get_string_len(field(objs[i], "query", json_type_string)), 0);
        json_object *lines = field(objs[i], "explain", json_type_array);
        cr_assert_geq(json_object_array_length(lines), 2, "hit %zu", i + 1);
        for (size_t k = 0; k < json_object_array_length(lines); k++) {
            json_object *l = json_object_array_get_idx(lines, k);
            cr_assert_eq(json_object_get_type(l), json_type_string);
            cr_assert_null(strchr(json_object_get_string(l), '\n'));
        }
    }
    put_all(objs, n);
    /* Without --explain, neither field. */
    rc = run((const char *[]){"--db", "index", "--json", "security cooperation", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_null(strstr(out, "\"explain\""), "%s", out);
}

Test(cli, ranking_options_change_scores)
{
    write_golden_corpus(tu_tmpdir());
    static const char *const variants[][5] = {
        /* 1: the defaults */ {"--bm25", "1.2,0.75", "--title-weight", "1.5", NULL},
        /* 2 */ {"--bm25", "0,0", NULL},
        /* 3 */ {"--bm25=2.,1", NULL},
        /* 4 */ {"--bm25", ".5,.25", NULL},
        /* 5, 6: no effect since index format 4 (a title word's weight is
         * set at indexing, TITLE_WDF); still accepted */
        /* 5 */ {"--title-weight", "0", NULL},
        /* 6 */ {"--title-weight", "12.5", NULL},
        /* 7 */ {"--title-weight=100", "--bm25", "3,0.5", NULL},
    };
    char *ref, *err;
    int rc =
        run((const char *[]){"--db", "index", "--json", "security cooperation", NULL}, &ref, &err);
    cr_assert_eq(rc, 0, "%s", err);
    size_t differ = 0;
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        const char *argv[10] = {"--db", "index", "--json", "security cooperation"};
        size_t n = 4;
        for (size_t k = 0; variants[i][k]; k++)
            argv[n++] = variants[i][k];
        char *out;
        rc = run(argv, &out, &err);
        cr_assert_eq(rc, 0, "case %zu: %s", i + 1, err);
        cr_assert_eq(count_lines(out), 2, "case %zu: the same articles match", i + 1);
        if (i == 0 || i == 4 || i == 5)
            cr_assert_str_eq(out, ref, "case %zu changes nothing", i + 1);
        else
            differ += strcmp(out, ref) != 0;
    }
    cr_assert_eq(differ, 4, "every other setting changes the scores");
}

/* Golden query errors: the library's message (its "at N" is a byte offset),
 * then the query, and a caret under the place in display columns: a Hangul
 * syllable takes two, an accented letter one. */
Test(cli, query_errors_point_at_the_place)
{
    char *db = new_db(), *out, *err;
    index_corpus(db);
    static const struct {
        const char *query;
        const char *message, *shown, *caret;
    } cases[] = {
        /* 1 */
        {"(security AND cooperation", "missing ')' to close the '(' at 0",
         "(security AND cooperation", "^"},
        /* 2 */
        {"!!!", "the query has no words to search for", "!!!", "^"},
        /* 3 */
        {"안보 협력 (security", "missing ')' to close the '(' at 14", "안보 협력 (security",
         "          ^"},
        /* 4 */
        {"Café élan security)", "unexpected ')'", "Café élan security)", "                  ^"},
        /* 5: an operator with nothing after it */
        {"security OR", "expected a word after OR", "security OR", "         ^"},
        /* 6: inside a value */
        {"typhoon date:2019-13", "expected a date like 2019, 2019-08 or 2019-08-01 after date:",
         "typhoon date:2019-13", "             ^"},
        /* 7: invalid UTF-8 is shown as U+FFFD, one column, as the library saw it */
        {"\xff\xfe harbor)", "unexpected ')'", "\xEF\xBF\xBD\xEF\xBF\xBD harbor)", "         ^"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = run((const char *[]){"--db", db, cases[i].query, NULL}, &out, &err);
        cr_assert_eq(rc, 2, "case %zu: exit %d", i + 1, rc);
        cr_assert_str_empty(out, "case %zu", i + 1);
        char want[512];
        snprintf(want, sizeof want, "kbsearch: in the query: %s\n  %s\n  %s\n", cases[i].message,
                 cases[i].shown, cases[i].caret);
        cr_assert_str_eq(err, want, "case %zu", i + 1);
    }
}

Test(cli, query_error_in_a_long_query_shows_a_window)
{
    char *db = new_db(), *out, *err;
    index_corpus(db);
    /* 50 words, then a stray ')', then 50 more: the line is cut around it. */
    char q[2000] = "";
    for (int i = 0; i < 50; i++)
        strcat(q, "harbor ");
    strcat(q, ") ");
    for (int i = 0; i < 50; i++)
        strcat(q, "lantern ");
    int rc = run((const char *[]){"--db", db, q, NULL}, &out, &err);
    cr_assert_eq(rc, 2, "%s", err);
    char *lines[3];
    char *p = err;
    for (int i = 0; i < 3; i++) {
        size_t n = strcspn(p, "\n");
        lines[i] = keep(strndup(p, n));
        cr_assert_eq(p[n], '\n', "%s", err);
        p += n + 1;
    }
    cr_assert_str_empty(p, "three lines: %s", err);
    cr_assert_eq(strncmp(lines[0], "kbsearch: in the query: ", 24), 0, "%s", err);
    /* "  …" then 76 columns at most (the ellipses are three bytes, one column). */
    cr_assert_eq(strncmp(lines[1], "  \xE2\x80\xA6", 5), 0, "%s", lines[1]);
    size_t len = strlen(lines[1]);
    cr_assert(len > 8 && strcmp(lines[1] + len - 3, "\xE2\x80\xA6") == 0, "%s", lines[1]);
    cr_assert_leq(len - 4, 80, "%s", lines[1]);
    /* The caret is under the ')'. */
    size_t col = strlen(lines[2]) - 1;
    cr_assert_eq(lines[2][col], '^', "%s", lines[2]);
    cr_assert_eq(lines[1][col + 2], ')', "%s\n%s", lines[1], lines[2]);
}

Test(cli, notes_go_to_stderr)
{
    char *db = new_db(), *out, *err;
    index_corpus(db);
    /* More words than the library takes from one query: it says so. */
    char q[4000] = "";
    for (int i = 0; i < 300; i++) {
        char w[16];
        snprintf(w, sizeof w, "w%c%c%c ", 'a' + i % 26, 'a' + i / 26 % 26, 'a' + i / 676);
        strcat(q, w);
    }
    int rc = run((const char *[]){"--db", db, "--any", q, NULL}, &out, &err);
    cr_assert(rc == 0 || rc == 1, "exit %d: %s", rc, err);
    cr_assert_eq(strncmp(err, "kbsearch: note: ", 16), 0, "%s", err);
    cr_assert_null(strstr(out, "note"), "notes stay out of stdout: %s", out);
    rc = run((const char *[]){"--db", db, "--any", "--json", q, NULL}, &out, &err);
    cr_assert_eq(strncmp(err, "kbsearch: note: ", 16), 0, "%s", err);
    cr_assert(out[0] == '\0' || out[0] == '{', "%s", out);
}

/* --expand: a prefix cut to its most frequent words, with a note that says
 * so; by default "co*" stands for all of its words in the corpus. */
Test(cli, expand_cuts_a_prefix)
{
    char *db = new_db(), *out, *err;
    index_corpus(db);
    int rc = run((const char *[]){"--db", db, "--count", "co*", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_empty(err);
    long all = strtol(out, NULL, 10);
    rc = run((const char *[]){"--db", db, "--count", "--expand", "1", "co*", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(err, "kbsearch: note: co* matches more than 1 word; only the 1 most "
                          "frequent was searched\n");
    long one = strtol(out, NULL, 10);
    cr_assert(one > 0 && one < all, "%ld of %ld", one, all);
    rc = run((const char *[]){"--db", db, "--expand", "10000", "--count", "co*", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(strtol(out, NULL, 10), all);
}

Test(cli, did_you_mean)
{
    char *db = new_db(), *out, *err;
    index_corpus(db);
    /* Something is found: the suggestion comes first, on stdout. */
    int rc = run((const char *[]){"--db", db, "securty cooperation", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(strncmp(out, "Did you mean: security cooperation?\n", 36), 0, "%s", out);
    rc = run((const char *[]){"--db", db, "--color=always", "securty cooperation", NULL}, &out,
             &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(strncmp(out, "Did you mean: \033[1msecurity cooperation\033[0m?\n", 44), 0, "%s",
                 out);
    rc = run((const char *[]){"--db", db, "--json", "securty cooperation", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    json_object *objs[10];
    size_t n = json_lines(out, objs, 10);
    cr_assert_geq(n, 1);
    for (size_t i = 0; i < n; i++)
        cr_assert_str_eq(json_object_get_string(field(objs[i], "suggestion", json_type_string)),
                         "security cooperation");
    put_all(objs, n);

    /* Nothing found: on stderr, after the line that says so. */
    rc = run((const char *[]){"--db", db, "typhon", NULL}, &out, &err);
    cr_assert_eq(rc, 1);
    cr_assert_str_empty(out);
    cr_assert_str_eq(err, "No results for \"typhon\".\nDid you mean: typhoon?\n");
    rc = run((const char *[]){"--db", db, "--json", "typhon", NULL}, &out, &err);
    cr_assert_eq(rc, 1);
    cr_assert_str_eq(out, "{\"total\":0,\"suggestion\":\"typhoon\"}\n");
    rc = run((const char *[]){"--db", db, "--count", "typhon", NULL}, &out, &err);
    cr_assert_eq(rc, 1);
    cr_assert_str_eq(out, "0\n");
    cr_assert_str_eq(err, "Did you mean: typhoon?\n");

    /* A query spelt right gets no suggestion. */
    rc = run((const char *[]){"--db", db, "--json", "typhoon", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_null(strstr(out, "\"suggestion\""), "%s", out);
}

/* ---- stories: one hit per story, versions, similar articles ------------------- */

/* tests/fixtures/stories (see tests/test_dedup.c) in TMP/news, indexed into
 * TMP/index, with TMP the current folder. */
static void write_stories(const char *tmp)
{
    static const char *const names[] = {
        "20230427_hanbit-q1.txt",      "20240425_hanbit-q1.txt",
        "20240504_bread-festival.txt", "20240510_port-strike-update.txt",
        "20240510_port-strike.txt",    "20240511_port-strike-refiled.txt",
        "20240514_port-cranes.txt",
    };
    char *src = kpath(KBS_FIXTURES, "stories");
    char *news = kpath(tmp, "news");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t len;
        char *data = kread(kpath(src, names[i]), &len);
        cr_assert_not_null(data, "%s", names[i]);
        tu_write(kpath(news, names[i]), data, len);
    }
    cr_assert_eq(chdir(tmp), 0);
    char *out, *err;
    int rc = run((const char *[]){"--db", "index", "index", "news", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
}

static const char STRIKE_LEAD[] =
    "   Dock workers at Seomun Port walked off the job on Friday morning, halting the loading of "
    "container ships at the country's third largest harbor. The union said its members would "
    "stay out until the port …\n";

Test(cli, golden_one_hit_per_story)
{
    write_stories(tu_tmpdir());
    char *out, *err;
    int rc = run((const char *[]){"--db", "index", "--color=never", "seomun", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    char *want = kalloc(2048);
    snprintf(want, 2048,
             "1. Dock Workers Strike at Seomun Port  +2 versions\n"
             "   Economy · 2024-05-10 · news/20240510_port-strike.txt · id 5\n"
             "%s"
             "\n"
             "2. Seomun Port to Bring in Remote Controlled Cranes\n"
             "   Economy · 2024-05-14 · news/20240514_port-cranes.txt · id 7\n"
             "   Seomun Port will bring in remote controlled cranes at its new container terminal "
             "next year, the port authority said on Tuesday. Operators will work from a tower two "
             "kilometers away, watching the ships …\n",
             STRIKE_LEAD);
    cr_assert_str_eq(out, want);
    cr_assert_str_empty(err);

    /* --all-versions: each its own hit, and no "+N versions". */
    rc = run((const char *[]){"--db", "index", "--all-versions", "seomun", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect_eq(count_hits(out), 4, "%s", out);
    cr_expect_null(strstr(out, "version"), "%s", out);

    /* --json: "versions" on the story's hit only. */
    rc = run((const char *[]){"--db", "index", "--json", "seomun", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    json_object *objs[4];
    size_t n = json_lines(out, objs, 4);
    cr_assert_eq(n, 2, "%s", out);
    json_object *v = NULL;
    cr_expect(json_object_object_get_ex(objs[0], "versions", &v) && json_object_get_int64(v) == 2,
              "%s", out);
    cr_expect_not(json_object_object_get_ex(objs[1], "versions", &v), "%s", out);
    put_all(objs, n);
}

Test(cli, golden_versions)
{
    write_stories(tu_tmpdir());
    char *out, *err;
    int rc = run((const char *[]){"--db", "index", "--color=never", "versions",
                                  "news/20240510_port-strike.txt", NULL},
                 &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    char *want = kalloc(2048);
    snprintf(want, 2048,
             "1. Dock Workers Strike at Seomun Port\n"
             "   Society · 2024-05-11 · news/20240511_port-strike-refiled.txt · id 6\n"
             "%s"
             "\n"
             "2. Seomun Port Strike Strands Fourteen Ships\n"
             "   Economy · 2024-05-10 · news/20240510_port-strike-update.txt · id 4\n"
             "%s",
             STRIKE_LEAD, STRIKE_LEAD);
    cr_assert_str_eq(out, want);
    cr_assert_str_empty(err);

    /* By id, the same. */
    char *by_id;
    rc = run((const char *[]){"--db", "index", "--color=never", "versions", "5", NULL}, &by_id,
             &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_expect_str_eq(by_id, out);

    /* An article with no other version: nothing, exit 1. */
    rc = run((const char *[]){"--db", "index", "versions", "7", NULL}, &out, &err);
    cr_expect_eq(rc, 1);
    cr_expect_str_empty(out);
    cr_expect_str_eq(err, "Article 7 has no other version.\n");
    rc = run((const char *[]){"--db", "index", "--json", "versions", "7", NULL}, &out, &err);
    cr_expect_eq(rc, 1);
    cr_expect_str_eq(out, "{\"total\":0}\n");
}

Test(cli, golden_similar)
{
    write_stories(tu_tmpdir());
    char *out, *err;
    int rc = run((const char *[]){"--db", "index", "--color=never", "similar",
                                  "news/20240510_port-strike.txt", "-n", "1", NULL},
                 &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    /* Title words weigh TITLE_WDF in the expand set too: seomun, dock. */
    cr_assert_str_eq(out, "Articles like article 5, by its words: port worker seomun dock union "
                          "ship author wait vessel next largest job harbor gate day crane cost\n"
                          "\n"
                          "1. Seomun Port to Bring in Remote Controlled Cranes\n"
                          "   Economy · 2024-05-14 · news/20240514_port-cranes.txt · id 7\n"
                          /* Two passages (the default): the second holds words the
                           * first lacks. */
                          "   Seomun Port will bring in remote controlled cranes at its new "
                          "container terminal next year, the … The dock workers union said the "
                          "plan must not cost any jobs, and asked for training for the crane "
                          "…\n");
    cr_assert_str_empty(err);

    /* Never the article or its versions. */
    rc = run((const char *[]){"--db", "index", "--json", "similar", "4", NULL}, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    json_object *objs[8];
    size_t n = json_lines(out, objs, 8);
    cr_assert_gt(n, 0, "%s", out);
    for (size_t i = 0; i < n; i++) {
        json_object *id = field(objs[i], "id", json_type_int);
        int64_t v = json_object_get_int64(id);
        cr_expect(v != 4 && v != 5 && v != 6, "hit %zu is a version: %s", i + 1, out);
    }
    put_all(objs, n);
}

/* similar and versions take search's output options (issue 4): each mode
 * drawn as search draws it. */
Test(cli, golden_related_output_options)
{
    write_stories(tu_tmpdir());
    static const struct {
        const char *argv[12];
        const char *want;
    } cases[] = {
        /* 1: plain text with markers; one passage of 80 characters */
        {{"similar", "news/20240510_port-strike.txt", "-n", "2", "--markers", "--fragments", "1",
          "--snippet-len", "80", NULL},
         "Articles like article 5, by its words: port worker seomun dock union ship author wait "
         "vessel next largest job harbor gate day crane cost\n"
         "\n"
         "1. Seomun Port to Bring in Remote Controlled Cranes\n"
         "   Economy · 2024-05-14 · news/20240514_port-cranes.txt · id 7\n"
         "   … The [dock workers union] said the plan must not [cost] any [jobs], and asked for "
         "…\n"
         "\n"
         "2. Hwaseon Bread Festival Opens\n"
         "   Culture · 2024-05-04 · news/20240504_bread-festival.txt · id 3\n"
         "   … The organizers said they expect about fifty thousand people over the three [days] "
         "…\n"},
        /* 2: HTML with the facets' table; the words used as the list's intro */
        {{"similar", "5", "-n", "1", "--html", "--facets", NULL},
         "<p class=\"kbs-intro\">Articles like article 5, by its words: port worker seomun dock "
         "union ship author wait vessel next largest job harbor gate day crane cost</p>\n"
         "<table class=\"kbs-facets\">\n"
         "<tr><th>Matches</th><td>2</td></tr>\n"
         "<tr><th>Category</th><td>Culture 1 · Economy 1</td></tr>\n"
         "<tr><th>Month</th><td>2024-05 2</td></tr>\n"
         "</table>\n"
         "<ol class=\"kbs-results\" start=\"1\">\n"
         "<li class=\"kbs-hit\" value=\"1\">\n"
         "<div class=\"kbs-title\">Seomun Port to Bring in Remote Controlled Cranes</div>\n"
         "<div class=\"kbs-meta\"><span class=\"kbs-category\">Economy</span> · <time "
         "datetime=\"2024-05-14T10:00:00\">2024-05-14</time> · <span "
         "class=\"kbs-path\">news/20240514_port-cranes.txt</span> · id 7</div>\n"
         "<p class=\"kbs-snippet\"><mark>Seomun Port</mark> will bring in remote controlled "
         "<mark>cranes</mark> at its new container terminal <mark>next</mark> year, "
         "the … The <mark>dock workers union</mark> said the plan must not <mark>cost</mark> any "
         "<mark>jobs</mark>, and asked for training for the <mark>crane</mark> …</p>\n"
         "</li>\n"
         "</ol>\n"},
        /* 3: the versions' facets (the article itself not counted) */
        {{"versions", "5", "--markers", "--facets", "--fragments", "1", "--snippet-len", "60",
          NULL},
         "Matches: 2\n"
         "  Category  Economy 1 · Society 1\n"
         "  Month     2024-05 2\n"
         "\n"
         "1. Dock Workers Strike at Seomun Port\n"
         "   Society · 2024-05-11 · news/20240511_port-strike-refiled.txt · id 6\n"
         "   Dock workers at Seomun Port walked off the job on Friday …\n"
         "\n"
         "2. Seomun Port Strike Strands Fourteen Ships\n"
         "   Economy · 2024-05-10 · news/20240510_port-strike-update.txt · id 4\n"
         "   Dock workers at Seomun Port walked off the job on Friday …\n"},
        /* 4: HTML; a version's snippet is its lead */
        {{"versions", "5", "--html", "--snippet-len", "40", NULL},
         "<ol class=\"kbs-results\" start=\"1\">\n"
         "<li class=\"kbs-hit\" value=\"1\">\n"
         "<div class=\"kbs-title\">Dock Workers Strike at Seomun Port</div>\n"
         "<div class=\"kbs-meta\"><span class=\"kbs-category\">Society</span> · <time "
         "datetime=\"2024-05-11T07:00:00\">2024-05-11</time> · <span "
         "class=\"kbs-path\">news/20240511_port-strike-refiled.txt</span> · id 6</div>\n"
         "<p class=\"kbs-snippet kbs-lead\">Dock workers at Seomun Port walked off …</p>\n"
         "</li>\n"
         "<li class=\"kbs-hit\" value=\"2\">\n"
         "<div class=\"kbs-title\">Seomun Port Strike Strands Fourteen Ships</div>\n"
         "<div class=\"kbs-meta\"><span class=\"kbs-category\">Economy</span> · <time "
         "datetime=\"2024-05-10T18:10:00\">2024-05-10</time> · <span "
         "class=\"kbs-path\">news/20240510_port-strike-update.txt</span> · id 4</div>\n"
         "<p class=\"kbs-snippet kbs-lead\">Dock workers at Seomun Port walked off …</p>\n"
         "</li>\n"
         "</ol>\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[16] = {"--db", "index"};
        size_t n = 2;
        for (size_t k = 0; cases[i].argv[k]; k++)
            argv[n++] = cases[i].argv[k];
        char *out, *err;
        int rc = run(argv, &out, &err);
        cr_expect_eq(rc, 0, "case %zu: exit %d: %s", i + 1, rc, err);
        cr_expect_str_eq(out, cases[i].want, "case %zu: got\n%s", i + 1, out);
        cr_expect_str_empty(err, "case %zu", i + 1);
    }

    /* --json --facets: the facets' object first, then the hits, their
     * snippets as long as asked. */
    char *out, *err;
    int rc = run((const char *[]){"--db", "index", "versions", "5", "--json", "--facets",
                                  "--snippet-len", "60", NULL},
                 &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    json_object *objs[4];
    size_t n = json_lines(out, objs, 4);
    cr_assert_eq(n, 3, "%s", out);
    cr_expect_str_eq(
        json_object_to_json_string_ext(objs[0], JSON_C_TO_STRING_PLAIN),
        "{\"facets\":{\"total\":2,\"category\":[{\"value\":\"Economy\",\"count\":1},{\"value\":"
        "\"Society\",\"count\":1}],\"month\":[{\"value\":\"2024-05\",\"count\":2}],\"year\":[{"
        "\"value\":\"2024\",\"count\":2}]}}");
    static const int64_t ids[] = {6, 4};
    for (size_t i = 1; i < n; i++) {
        cr_expect_eq(json_object_get_int64(field(objs[i], "id", json_type_int)), ids[i - 1]);
        cr_expect_str_eq(json_object_get_string(field(objs[i], "snippet", json_type_string)),
                         "Dock workers at Seomun Port walked off the job on Friday …");
    }
    put_all(objs, n);
    /* similar in JSON: the hits only, no intro. */
    rc = run((const char *[]){"--db", "index", "similar", "5", "--json", "-n", "1", "--fragments",
                              "1", "--snippet-len", "50", NULL},
             &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    n = json_lines(out, objs, 4);
    cr_assert_eq(n, 1, "%s", out);
    const char *snip = json_object_get_string(field(objs[0], "snippet", json_type_string));
    size_t chars = 0;
    for (const char *c = snip; *c; c++)
        chars += ((unsigned char)*c & 0xC0) != 0x80;
    cr_expect_leq(chars, 50 + 4, "one passage of 50 characters, \"… \" and \" …\" around: %s",
                  snip);
    put_all(objs, n);
    /* One output mode at a time, as for search. */
    rc = run((const char *[]){"--db", "index", "versions", "5", "--html", "--markers", NULL}, &out,
             &err);
    cr_expect_eq(rc, 2);
    cr_expect(strstr(err, "write the hits in different ways: give one"), "%s", err);
}

Test(cli, related_usage_errors)
{
    write_stories(tu_tmpdir());
    static const struct {
        const char *argv[6];
        const char *err;
    } cases[] = {
        {{"similar", NULL},
         "kbsearch: similar takes one article's id or path, not 0\n"
         "Try 'kbsearch similar --help'.\n"},
        {{"versions", "1", "2", NULL},
         "kbsearch: versions takes one article's id or path, not 2\n"
         "Try 'kbsearch versions --help'.\n"},
        {{"versions", "999", NULL}, "kbsearch: no article with id 999 in the index at index\n"},
        {{"similar", "--any", "1", NULL},
         "kbsearch: --any does not apply to 'similar'\n"
         "Try 'kbsearch similar --help'.\n"},
        {{"versions", "--all-versions", "1", NULL},
         "kbsearch: --all-versions does not apply to 'versions'\n"
         "Try 'kbsearch versions --help'.\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[10] = {"--db", "index"};
        size_t n = 2;
        for (size_t k = 0; cases[i].argv[k]; k++)
            argv[n++] = cases[i].argv[k];
        char *out, *err;
        int rc = run(argv, &out, &err);
        cr_expect_eq(rc, 2, "case %zu: exit %d", i + 1, rc);
        cr_expect_str_empty(out, "case %zu", i + 1);
        cr_expect_str_eq(err, cases[i].err, "case %zu", i + 1);
    }
    /* Their help. */
    char *out, *err;
    cr_assert_eq(run((const char *[]){"help", "similar", NULL}, &out, &err), 0);
    cr_expect(strstr(out, "Usage: kbsearch similar [OPTIONS] ID|PATH\n") == out, "%s", out);
    cr_assert_eq(run((const char *[]){"versions", "--help", NULL}, &out, &err), 0);
    cr_expect(strstr(out, "Usage: kbsearch versions [OPTIONS] ID|PATH\n") == out, "%s", out);
}
