/* test_api.c - the library end to end, through the public header only:
 * index a folder, search it, show originals, re-index after changes, and
 * bad articles. Misuse of the API (NULLs, bad ids, missing, locked, damaged
 * or foreign indexes) is tests/test_misuse.c's. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kbsearch.h"
#include "testutil.h"

static const char *ART_A = "Politics\n\nAssembly Passes Security Cooperation Bill\n\n"
                           "Written: 2021-03-04 10:00:00\n\n"
                           "Anchor: The National Assembly passed a bill on security cooperation "
                           "with neighbouring countries.\n\n"
                           "Report: Lawmakers said closer cooperation would help security in "
                           "the region.\n"
                           "Lee Min-ji, KBS World Radio News\n";

static const char *ART_B = "Economy\n\nExports of Chips Rise Again\n\n"
                           "Written: 2022-07-01 09:30:00Updated: 2022-07-01 11:00:00\n\n"
                           "Anchor: Semiconductor exports rose for a third month, and "
                           "officials expect cooperative trade talks to help.\n"
                           "Park Ji-ho, KBS World Radio News\n";

static const char *ART_C = "Coastal towns brace for typhoon\n\n"
                           "Fishing boats returned to port as the storm approached the south "
                           "coast on Tuesday.\n";

struct fixture {
    const char *tmp;
    char *dir; /* articles */
    char *db;  /* index */
};

static struct fixture make_fixture(void)
{
    struct fixture f;
    f.tmp = tu_tmpdir();
    f.dir = tu_path(f.tmp, "articles");
    f.db = tu_path(f.tmp, "index");
    char *p;
    p = tu_path(f.dir, "politics/a.txt");
    tu_write(p, ART_A, strlen(ART_A));
    free(p);
    p = tu_path(f.dir, "economy/b.txt");
    tu_write(p, ART_B, strlen(ART_B));
    free(p);
    p = tu_path(f.dir, "c.txt");
    tu_write(p, ART_C, strlen(ART_C));
    free(p);
    return f;
}

static void free_fixture(struct fixture *f)
{
    tu_rmtree(f->tmp);
    free(f->dir);
    free(f->db);
}

static kbs_index_report index_dir(const char *db_path, const char *dir)
{
    kbs_db *db = tu_open_db(db_path, KBS_OPEN_WRITE | KBS_OPEN_CREATE);
    kbs_index_report rep;
    int st = kbs_index_dir(db, dir, NULL, &rep);
    cr_assert_eq(st, KBS_OK, "index: %s", kbs_db_errmsg(db));
    cr_assert_eq(kbs_db_close(db), KBS_OK);
    return rep;
}

static kbs_results *search(kbs_db *db, const char *q)
{
    kbs_results *r = NULL;
    int st = kbs_search(db, q, strlen(q), NULL, &r);
    cr_assert_eq(st, KBS_OK, "search '%s': %s", q, kbs_db_errmsg(db));
    return r;
}

Test(api, index_search_show)
{
    struct fixture f = make_fixture();
    kbs_index_report rep = index_dir(f.db, f.dir);
    cr_expect_eq(rep.added, 3);
    cr_expect_eq(rep.skipped, 0);

    kbs_db *db = tu_open_db(f.db, KBS_OPEN_READ);
    kbs_results *r = search(db, "security cooperation");
    cr_assert_geq(kbs_results_count(r), 1);
    cr_expect_eq(kbs_results_fallback(r), 0);
    kbs_hit h;
    cr_assert_eq(kbs_results_get(r, 0, &h), KBS_OK);
    cr_expect_str_eq(h.title, "Assembly Passes Security Cooperation Bill");
    cr_expect_str_eq(h.category, "Politics");
    cr_expect_str_eq(h.written, "2021-03-04T10:00:00");
    cr_expect_eq(h.rank, 1);
    cr_expect_gt(h.nspans, 0);
    for (size_t i = 0; i < h.nspans; i++) {
        cr_assert_leq(h.spans[i].start + h.spans[i].len, strlen(h.snippet));
        const char *w = h.snippet + h.spans[i].start;
        cr_expect(strncasecmp(w, "secur", 5) == 0 || strncasecmp(w, "cooper", 6) == 0,
                  "span %zu: '%.*s'", i, (int)h.spans[i].len, w);
    }
    /* The byline is not snippet material. */
    cr_expect_null(strstr(h.snippet, "KBS World Radio News"));

    char *data = NULL;
    size_t len = 0;
    cr_assert_eq(kbs_show(db, h.id, &data, &len), KBS_OK);
    cr_expect_eq(len, strlen(ART_A));
    cr_expect_eq(memcmp(data, ART_A, len), 0);
    kbs_free(data);
    kbs_results_free(r);

    /* Stems match: "cooperate" finds "cooperative" and "cooperation". */
    r = search(db, "cooperate");
    cr_expect_eq(kbs_results_count(r), 2);
    kbs_results_free(r);

    kbs_stats s;
    cr_assert_eq(kbs_db_stats(db, &s), KBS_OK);
    cr_expect_eq(s.documents, 3);
    cr_expect_eq(s.text_bytes, strlen(ART_A) + strlen(ART_B) + strlen(ART_C));
    cr_expect_gt(s.store_bytes, 0);
    cr_expect_str_eq(s.first_written, "2021-03-04T10:00:00");
    cr_expect_str_eq(s.last_written, "2022-07-01T09:30:00");
    kbs_db_close(db);
    free_fixture(&f);
}

Test(api, fallback_to_any_word)
{
    struct fixture f = make_fixture();
    index_dir(f.db, f.dir);
    kbs_db *db = tu_open_db(f.db, KBS_OPEN_READ);
    kbs_results *r = search(db, "typhoon semiconductor");
    cr_expect_eq(kbs_results_fallback(r), 1);
    cr_expect_eq(kbs_results_count(r), 2);
    kbs_results_free(r);
    r = search(db, "zebra");
    cr_expect_eq(kbs_results_count(r), 0);
    kbs_results_free(r);
    kbs_db_close(db);
    free_fixture(&f);
}

Test(api, phrase_and_hyphen)
{
    struct fixture f = make_fixture();
    index_dir(f.db, f.dir);
    kbs_db *db = tu_open_db(f.db, KBS_OPEN_READ);
    kbs_results *r = search(db, "\"security cooperation\"");
    cr_expect_eq(kbs_results_count(r), 1);
    kbs_results_free(r);
    r = search(db, "\"cooperation security\"");
    cr_expect_eq(kbs_results_count(r), 0);
    kbs_results_free(r);
    r = search(db, "Min-ji");
    cr_expect_eq(kbs_results_count(r), 0, "bylines are not body text");
    kbs_results_free(r);
    r = search(db, "\"fishing boats\"");
    cr_expect_eq(kbs_results_count(r), 1);
    kbs_results_free(r);
    kbs_db_close(db);
    free_fixture(&f);
}

Test(api, reindex_change_delete_nochange)
{
    struct fixture f = make_fixture();
    kbs_index_report rep = index_dir(f.db, f.dir);
    cr_assert_eq(rep.added, 3);

    rep = index_dir(f.db, f.dir);
    cr_expect_eq(rep.added, 0);
    cr_expect_eq(rep.updated, 0);
    cr_expect_eq(rep.unchanged, 3);
    cr_expect_eq(rep.removed, 0);

    char *c = tu_path(f.dir, "c.txt");
    const char *newc = "Coastal towns clean up after typhoon\n\nVolunteers cleared mud.\n";
    tu_write(c, newc, strlen(newc));
    char *b = tu_path(f.dir, "economy/b.txt");
    cr_assert_eq(unlink(b), 0);
    rep = index_dir(f.db, f.dir);
    cr_expect_eq(rep.updated, 1);
    cr_expect_eq(rep.removed, 1);
    cr_expect_eq(rep.unchanged, 1);

    kbs_db *db = tu_open_db(f.db, KBS_OPEN_READ);
    kbs_results *r = search(db, "volunteers");
    cr_expect_eq(kbs_results_count(r), 1);
    kbs_results_free(r);
    r = search(db, "fishing");
    cr_expect_eq(kbs_results_count(r), 0, "the old version is gone");
    kbs_results_free(r);
    r = search(db, "semiconductor");
    cr_expect_eq(kbs_results_count(r), 0, "the deleted file's article is gone");
    kbs_results_free(r);
    kbs_stats s;
    kbs_db_stats(db, &s);
    cr_expect_eq(s.documents, 2);
    cr_expect_eq(s.text_bytes, strlen(ART_A) + strlen(newc));
    kbs_db_close(db);
    free(b);
    free(c);
    free_fixture(&f);
}

Test(api, touched_but_same_is_unchanged)
{
    struct fixture f = make_fixture();
    index_dir(f.db, f.dir);
    char *c = tu_path(f.dir, "c.txt");
    tu_write(c, ART_C, strlen(ART_C)); /* new mtime, same bytes */
    kbs_index_report rep = index_dir(f.db, f.dir);
    cr_expect_eq(rep.unchanged, 3);
    cr_expect_eq(rep.updated, 0);
    free(c);
    free_fixture(&f);
}

Test(api, show_after_file_deleted)
{
    struct fixture f = make_fixture();
    index_dir(f.db, f.dir);
    char *a = tu_path(f.dir, "politics/a.txt");
    char abs[4096];
    cr_assert_not_null(realpath(a, abs));
    cr_assert_eq(unlink(a), 0);
    kbs_db *db = tu_open_db(f.db, KBS_OPEN_READ);
    uint32_t id = 0;
    cr_assert_eq(kbs_lookup(db, abs, &id), KBS_OK, "%s", kbs_db_errmsg(db));
    char *data;
    size_t len;
    cr_assert_eq(kbs_show(db, id, &data, &len), KBS_OK);
    cr_expect_eq(len, strlen(ART_A));
    cr_expect_eq(memcmp(data, ART_A, len), 0);
    kbs_free(data);
    cr_expect_eq(kbs_show(db, 9999, &data, &len), KBS_ENOTFOUND);
    cr_expect_neq(strstr(kbs_db_errmsg(db), "9999"), NULL);
    kbs_db_close(db);
    free(a);
    free_fixture(&f);
}

/* Every file of the project's corpus comes back from the store byte for byte. */
Test(api, store_round_trip_corpus, .timeout = 120)
{
    const char *tmp = tu_tmpdir();
    char *dbp = tu_path(tmp, "index");
    const char *corpus = KBS_SOURCE_DIR "/corpus";
    kbs_index_report rep = index_dir(dbp, corpus);
    cr_assert_gt(rep.added, 40, "the corpus has its articles");
    kbs_db *db = tu_open_db(dbp, KBS_OPEN_READ);
    kbs_stats s;
    kbs_db_stats(db, &s);
    cr_expect_eq(s.documents, rep.added);
    /* Walk the corpus and compare each file with its stored original. */
    char root[4096];
    cr_assert_not_null(realpath(corpus, root));
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "find '%s' -type f ! -name '.*' | sort", root);
    FILE *list = popen(cmd, "r");
    cr_assert_not_null(list);
    char line[4096];
    size_t checked = 0;
    while (fgets(line, sizeof line, list)) {
        line[strcspn(line, "\n")] = '\0';
        size_t flen = 0;
        char *want = tu_read(line, &flen);
        uint32_t id = 0;
        if (flen == 0 || kbs_lookup(db, line, &id) != KBS_OK) {
            free(want);
            continue; /* README.md and the like are indexed too; empty ones are not */
        }
        char *got;
        size_t glen;
        cr_assert_eq(kbs_show(db, id, &got, &glen), KBS_OK, "%s", line);
        cr_expect_eq(glen, flen, "%s", line);
        cr_expect_eq(memcmp(got, want, flen), 0, "%s differs", line);
        kbs_free(got);
        free(want);
        checked++;
    }
    pclose(list);
    cr_expect_eq(checked, rep.added);
    kbs_results *r = search(db, "security cooperation");
    cr_expect_geq(kbs_results_count(r), 3);
    kbs_results_free(r);
    kbs_db_close(db);
    free(dbp);
    tu_rmtree(tmp);
}

struct skips {
    int n;
    char paths[8][512];
    char msgs[8][600];
};

static int collect_skips(void *ctx, const kbs_index_event *ev)
{
    struct skips *s = ctx;
    if (ev->kind == KBS_EVENT_SKIPPED && s->n < 8) {
        snprintf(s->paths[s->n], sizeof s->paths[0], "%s", ev->path);
        snprintf(s->msgs[s->n], sizeof s->msgs[0], "%s", ev->message);
        s->n++;
    }
    return 0;
}

static const char *skip_msg(const struct skips *s, const char *name)
{
    for (int i = 0; i < s->n; i++) {
        const char *base = strrchr(s->paths[i], '/');
        if (base && strcmp(base + 1, name) == 0)
            return s->msgs[i];
    }
    return NULL;
}

Test(api, bad_inputs_are_skipped_with_reasons, .timeout = 120)
{
    struct fixture f = make_fixture();
    char *p;
    p = tu_path(f.dir, "empty.txt");
    tu_write(p, "", 0);
    free(p);
    p = tu_path(f.dir, "image.jpg");
    tu_write(p, "\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01", 16);
    free(p);
    /* Invalid UTF-8 is repaired and indexed, the original kept as it was. */
    const char *bad = "Latin-1 title caf\xe9\n\nThe caf\xe9 served tea to reporters.\n";
    p = tu_path(f.dir, "latin1.txt");
    tu_write(p, bad, strlen(bad));
    free(p);
    /* A 50 MB file is far beyond any article: skipped, with the limit named. */
    size_t big = 50u * 1024 * 1024;
    char *huge = malloc(big);
    cr_assert_not_null(huge);
    for (size_t i = 0; i < big; i++)
        huge[i] = (i % 80 == 79) ? '\n' : "abcdefgh "[i % 9];
    p = tu_path(f.dir, "huge.txt");
    tu_write(p, huge, big);
    free(p);
    free(huge);

    kbs_db *db = tu_open_db(f.db, KBS_OPEN_WRITE | KBS_OPEN_CREATE);
    struct skips s;
    memset(&s, 0, sizeof s);
    kbs_index_options o;
    kbs_index_options_init(&o);
    o.callback = collect_skips;
    o.callback_ctx = &s;
    kbs_index_report rep;
    cr_assert_eq(kbs_index_dir(db, f.dir, &o, &rep), KBS_OK, "%s", kbs_db_errmsg(db));
    cr_expect_eq(rep.added, 4);
    cr_expect_eq(rep.skipped, 3);
    cr_expect_not_null(skip_msg(&s, "empty.txt"));
    const char *m = skip_msg(&s, "image.jpg");
    cr_expect(m && strstr(m, "binary"), "image.jpg: %s", m ? m : "(none)");
    m = skip_msg(&s, "huge.txt");
    cr_expect(m && strstr(m, "too large"), "huge.txt: %s", m ? m : "(none)");
    kbs_db_close(db);

    db = tu_open_db(f.db, KBS_OPEN_READ);
    kbs_results *r = search(db, "served tea");
    cr_assert_eq(kbs_results_count(r), 1);
    kbs_hit h;
    kbs_results_get(r, 0, &h);
    char *data;
    size_t len;
    cr_assert_eq(kbs_show(db, h.id, &data, &len), KBS_OK);
    cr_expect_eq(len, strlen(bad));
    cr_expect_eq(memcmp(data, bad, len), 0, "the original bytes are kept, not the repair");
    kbs_free(data);
    kbs_results_free(r);
    kbs_db_close(db);
    free_fixture(&f);
}

Test(api, unreadable_file_is_skipped_and_kept)
{
    struct fixture f = make_fixture();
    chmod(f.tmp, 0777);
    index_dir(f.db, f.dir);
    /* As root, permissions do not stop reads: drop to nobody for this test
     * (each Criterion test runs in its own process). */
    char *a = tu_path(f.dir, "politics/a.txt");
    /* Change the file so it is looked at again, then make it unreadable. */
    const char *more = "Politics\n\nchanged\n";
    tu_write(a, more, strlen(more));
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "chmod -R a+rwX '%s'", f.tmp);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(chmod(a, 0), 0);
    if (geteuid() == 0)
        cr_assert_eq(setuid(65534), 0);
    kbs_db *db = tu_open_db(f.db, KBS_OPEN_WRITE);
    struct skips s;
    memset(&s, 0, sizeof s);
    kbs_index_options o;
    kbs_index_options_init(&o);
    o.callback = collect_skips;
    o.callback_ctx = &s;
    kbs_index_report rep;
    cr_assert_eq(kbs_index_dir(db, f.dir, &o, &rep), KBS_OK);
    cr_expect_eq(rep.skipped, 1);
    const char *m = skip_msg(&s, "a.txt");
    cr_expect(m && strstr(m, "kept"), "%s", m ? m : "(none)");
    cr_expect_eq(rep.removed, 0, "an unreadable file's article is not dropped");
    kbs_results *r = search(db, "assembly");
    cr_expect_eq(kbs_results_count(r), 1);
    kbs_results_free(r);
    kbs_db_close(db);
    free(a);
    free_fixture(&f);
}

Test(api, index_buffer_and_delete)
{
    const char *tmp = tu_tmpdir();
    char *dbp = tu_path(tmp, "index");
    kbs_db *db = tu_open_db(dbp, KBS_OPEN_WRITE | KBS_OPEN_CREATE);
    uint32_t id = 0;
    cr_assert_eq(kbs_index_buffer(db, "mem:1", ART_C, strlen(ART_C), 0, &id), KBS_OK);
    cr_expect_gt(id, 0);
    cr_expect_eq(kbs_index_buffer(db, "mem:2", "a\0b", 3, 0, NULL), KBS_EINPUT);
    cr_expect_eq(kbs_index_buffer(db, "mem:3", "", 0, 0, NULL), KBS_EINPUT);
    cr_assert_eq(kbs_db_commit(db), KBS_OK);
    kbs_results *r = search(db, "typhoon");
    cr_expect_eq(kbs_results_count(r), 1);
    kbs_results_free(r);
    cr_expect_eq(kbs_delete(db, "mem:1"), KBS_OK);
    cr_expect_eq(kbs_delete(db, "mem:1"), KBS_ENOTFOUND);
    cr_assert_eq(kbs_db_commit(db), KBS_OK);
    r = search(db, "typhoon");
    cr_expect_eq(kbs_results_count(r), 0);
    kbs_results_free(r);
    kbs_db_close(db);
    free(dbp);
    tu_rmtree(tmp);
}

/* ---------------------------------------------------------------------- */
/* One file: kbs_index_file                                                */
/* ---------------------------------------------------------------------- */

/* The modification times (ns) and sizes of the index's files, summed up so
 * that any write to any of them shows. The writer's lock is left out. */
static unsigned long long index_fingerprint(const char *dbp)
{
    DIR *d = opendir(dbp);
    cr_assert_not_null(d, "%s", dbp);
    unsigned long long sum = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "kbsearch.lock") == 0 ||
            strcmp(e->d_name, "flintlock") == 0)
            continue;
        char *p = tu_path(dbp, e->d_name);
        struct stat sb;
        cr_assert_eq(stat(p, &sb), 0, "%s", p);
        sum = sum * 31 + (unsigned long long)sb.st_mtim.tv_sec * 1000000000ull +
              (unsigned long long)sb.st_mtim.tv_nsec + (unsigned long long)sb.st_size;
        free(p);
    }
    closedir(d);
    return sum;
}

static int index_file(const char *dbp, const char *path, uint32_t *id, int *changed)
{
    kbs_db *db = tu_open_db(dbp, KBS_OPEN_WRITE | KBS_OPEN_CREATE);
    *id = 0;
    *changed = -1;
    int st = kbs_index_file(db, path, NULL, id, changed);
    cr_assert_eq(kbs_db_close(db), KBS_OK);
    return st;
}

Test(api, index_file_change_detection)
{
    struct fixture f = make_fixture();
    char *c = tu_path(f.dir, "c.txt");
    uint32_t id = 0, id2 = 0;
    int changed = -1;
    cr_assert_eq(index_file(f.db, c, &id, &changed), KBS_OK);
    cr_expect_gt(id, 0);
    cr_expect_eq(changed, 1, "a new file changes the index");

    /* Unchanged: nothing read, nothing written. */
    unsigned long long before = index_fingerprint(f.db);
    usleep(20000); /* a write now would show in the times */
    cr_assert_eq(index_file(f.db, c, &id2, &changed), KBS_OK);
    cr_expect_eq(changed, 0);
    cr_expect_eq(id2, id);
    cr_expect_eq(index_fingerprint(f.db), before, "an unchanged file wrote to the index");

    /* Touched, the same bytes: unchanged too (its hash is the same). */
    tu_write(c, ART_C, strlen(ART_C));
    cr_assert_eq(index_file(f.db, c, &id2, &changed), KBS_OK);
    cr_expect_eq(changed, 0);
    cr_expect_eq(id2, id);

    /* Named another way (a relative path with a detour): the same key. */
    char cwd[4096];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    cr_assert_eq(chdir(f.dir), 0);
    cr_assert_eq(index_file(f.db, "./economy/../c.txt", &id2, &changed), KBS_OK);
    cr_expect_eq(changed, 0);
    cr_expect_eq(id2, id);
    cr_assert_eq(chdir(cwd), 0);

    /* A symbolic link to it is an article of its own, keyed by the link's
     * name, as the folder's run keys it. */
    char *link = tu_path(f.dir, "link.txt");
    cr_assert_eq(symlink(c, link), 0);
    uint32_t lid = 0;
    cr_assert_eq(index_file(f.db, link, &lid, &changed), KBS_OK);
    cr_expect_eq(changed, 1);
    cr_expect_neq(lid, id);
    cr_assert_eq(unlink(link), 0);
    kbs_db *wdb = tu_open_db(f.db, KBS_OPEN_WRITE);
    char real_dir[4096];
    cr_assert_not_null(realpath(f.dir, real_dir));
    char *want_key = tu_path(real_dir, "link.txt");
    cr_expect_eq(kbs_delete(wdb, want_key), KBS_OK, "%s", kbs_db_errmsg(wdb));
    cr_assert_eq(kbs_db_close(wdb), KBS_OK);
    free(link);
    free(want_key);

    /* Modified: indexed again, under the same id; the old words are gone. */
    const char *newc = "Coastal towns clean up after typhoon\n\nVolunteers cleared mud.\n";
    tu_write(c, newc, strlen(newc));
    cr_assert_eq(index_file(f.db, c, &id2, &changed), KBS_OK);
    cr_expect_eq(changed, 1);
    cr_expect_eq(id2, id);
    kbs_db *db = tu_open_db(f.db, KBS_OPEN_READ);
    kbs_results *r = search(db, "volunteers");
    cr_assert_eq(kbs_results_count(r), 1);
    kbs_hit h;
    cr_assert_eq(kbs_results_get(r, 0, &h), KBS_OK);
    cr_expect_eq(h.id, id);
    char abs[4096];
    cr_assert_not_null(realpath(c, abs));
    cr_expect_str_eq(h.path, abs, "the key is the absolute path");
    kbs_results_free(r);
    r = search(db, "fishing");
    cr_expect_eq(kbs_results_count(r), 0, "the old version is gone");
    kbs_results_free(r);
    uint32_t found = 0;
    cr_expect_eq(kbs_lookup(db, abs, &found), KBS_OK);
    cr_expect_eq(found, id);
    kbs_db_close(db);

    /* The folder's run sees the same article: unchanged, not added. */
    kbs_index_report rep = index_dir(f.db, f.dir);
    cr_expect_eq(rep.added, 2);
    cr_expect_eq(rep.unchanged, 1);
    cr_expect_eq(rep.updated, 0);
    free(c);
    free_fixture(&f);
}

struct one_event {
    int n, kind, status;
};

static int count_event(void *ctx, const kbs_index_event *ev)
{
    struct one_event *o = ctx;
    o->n++;
    o->kind = ev->kind;
    o->status = ev->status;
    return 1; /* ignored: there is nothing left to stop */
}

Test(api, index_file_bad_inputs)
{
    struct fixture f = make_fixture();
    static const char big[] = "A Long Read\n\nThis article is longer than the limit set.\n";
    static const struct {
        const char *name, *data;
        size_t len;
        int want;
        const char *says;
    } cases[] = {
        {"empty.txt", "", 0, KBS_EINPUT, "empty file"},
        {"photo.jpg", "\xff\xd8\xff\xe0\0\x10JFIF\0\x01", 12, KBS_EINPUT,
         "binary data, not text (byte 0xff at offset 0)"},
        {"nul.txt", "Title\n\nSome text\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 36, KBS_EINPUT,
         "(byte 0x00 at offset 16)"},
        {"long.txt", big, sizeof big - 1, KBS_EINPUT, "too large"},
    };
    kbs_db *db = tu_open_db(f.db, KBS_OPEN_WRITE | KBS_OPEN_CREATE);
    kbs_index_options o;
    kbs_index_options_init(&o);
    o.max_file_bytes = 40;
    struct one_event ev = {0, 0, 0};
    o.callback = count_event;
    o.callback_ctx = &ev;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *p = tu_path(f.dir, cases[i].name);
        tu_write(p, cases[i].data, cases[i].len);
        uint32_t id = 77;
        int changed = 77;
        memset(&ev, 0, sizeof ev);
        int st = kbs_index_file(db, p, &o, &id, &changed);
        cr_expect_eq(st, cases[i].want, "%s: %s", cases[i].name, kbs_strerror(st));
        const char *msg = kbs_db_errmsg(db);
        cr_expect(strstr(msg, p) != NULL, "%s: the message names the file: %s", cases[i].name, msg);
        cr_expect(strstr(msg, cases[i].says) != NULL, "%s: '%s' in: %s", cases[i].name,
                  cases[i].says, msg);
        cr_expect(id == 77 && changed == 77, "%s: out-parameters set on failure", cases[i].name);
        cr_expect_eq(ev.n, 1, "%s: one event", cases[i].name);
        cr_expect_eq(ev.kind, KBS_EVENT_SKIPPED, "%s", cases[i].name);
        cr_expect_eq(ev.status, cases[i].want, "%s", cases[i].name);
        free(p);
    }
    /* A good file: one ADDED event. */
    char *a = tu_path(f.dir, "c.txt");
    memset(&ev, 0, sizeof ev);
    o.max_file_bytes = 0; /* the default */
    cr_expect_eq(kbs_index_file(db, a, &o, NULL, NULL), KBS_OK, "%s", kbs_db_errmsg(db));
    cr_expect(ev.n == 1 && ev.kind == KBS_EVENT_ADDED, "%d events, last %d", ev.n, ev.kind);
    /* Changed into binary: refused, the version indexed earlier kept. */
    tu_write(a, "\x01\x02\x03\x04", 4);
    cr_expect_eq(kbs_index_file(db, a, NULL, NULL, NULL), KBS_EINPUT);
    cr_expect(strstr(kbs_db_errmsg(db), "the version indexed earlier is kept"), "%s",
              kbs_db_errmsg(db));
    cr_assert_eq(kbs_db_commit(db), KBS_OK);
    kbs_results *r = search(db, "fishing");
    cr_expect_eq(kbs_results_count(r), 1);
    kbs_results_free(r);

    /* Not files. */
    char *missing = tu_path(f.dir, "no-such.txt");
    cr_expect_eq(kbs_index_file(db, missing, NULL, NULL, NULL), KBS_ENOTFOUND);
    cr_expect(strstr(kbs_db_errmsg(db), missing), "%s", kbs_db_errmsg(db));
    cr_expect_eq(kbs_index_file(db, f.dir, NULL, NULL, NULL), KBS_EINVAL);
    cr_expect(strstr(kbs_db_errmsg(db), "kbs_index_dir"), "%s", kbs_db_errmsg(db));
    cr_expect_eq(kbs_index_file(db, "/dev/null", NULL, NULL, NULL), KBS_EINPUT);
    kbs_db_close(db);
    free(a);
    free(missing);
    free_fixture(&f);
}

/* ---------------------------------------------------------------------- */
/* A buffer with the caller's fields: kbs_index_buffer_meta                */
/* ---------------------------------------------------------------------- */

/* No KBS layout at all: a text as a feed or a database would hand it over. */
static const char *PLAIN = "Harbour cranes idle as dockers walk out over pay.\n\n"
                           "The strike at the container terminal entered its second day, "
                           "with ships waiting at anchor.\n";

static kbs_hit first_hit(kbs_db *db, const char *q, kbs_results **r)
{
    *r = search(db, q);
    cr_assert_geq(kbs_results_count(*r), 1, "'%s' finds nothing", q);
    kbs_hit h;
    cr_assert_eq(kbs_results_get(*r, 0, &h), KBS_OK);
    return h;
}

Test(api, buffer_meta_fields)
{
    const char *tmp = tu_tmpdir();
    char *dbp = tu_path(tmp, "index");
    kbs_db *db = tu_open_db(dbp, KBS_OPEN_WRITE | KBS_OPEN_CREATE);
    kbs_article_meta m;
    kbs_article_meta_init(&m);
    cr_expect_eq(m.size, sizeof m);
    cr_expect(m.title == NULL && m.category == NULL && m.written == NULL && m.updated == NULL &&
              m.byline == NULL && m.mtime_ns == 0);
    m.title = "Port Strike Halts Container Traffic";
    m.category = "Labour";
    m.written = "2019-08-15";
    m.updated = "2019-08-16T07:30:00";
    m.byline = "Han Seo-yeon";
    uint32_t id = 0;
    cr_assert_eq(kbs_index_buffer_meta(db, "feed:1", PLAIN, strlen(PLAIN), &m, &id), KBS_OK, "%s",
                 kbs_db_errmsg(db));
    cr_expect_gt(id, 0);
    /* The same text without a date of its own, in another month. */
    kbs_article_meta_init(&m);
    m.category = "Economy";
    m.written = "2019-09-02T10:00:00";
    cr_assert_eq(kbs_index_buffer_meta(db, "feed:2", ART_C, strlen(ART_C), &m, NULL), KBS_OK);
    /* NULL fields: taken from the page (ART_A is a KBS page). */
    kbs_article_meta_init(&m);
    m.byline = "";
    cr_assert_eq(kbs_index_buffer_meta(db, "feed:3", ART_A, strlen(ART_A), &m, NULL), KBS_OK);
    /* NULL meta: kbs_index_buffer(). */
    cr_assert_eq(kbs_index_buffer_meta(db, "feed:4", ART_B, strlen(ART_B), NULL, NULL), KBS_OK);
    cr_assert_eq(kbs_db_commit(db), KBS_OK);

    kbs_results *r;
    kbs_hit h = first_hit(db, "strike", &r);
    cr_expect_eq(h.id, id);
    cr_expect_str_eq(h.title, "Port Strike Halts Container Traffic");
    cr_expect_str_eq(h.category, "Labour");
    cr_expect_str_eq(h.written, "2019-08-15T00:00:00");
    cr_expect_str_eq(h.updated, "2019-08-16T07:30:00");
    kbs_results_free(r);
    /* Each field searches as the page's would. */
    static const char *const finds_1[] = {"title:halts",
                                          "title:\"container traffic\"",
                                          "by:han",
                                          "category:labour cranes",
                                          "date:2019-08-15",
                                          "date:2019-08 strike",
                                          "updated:2019-08-16",
                                          "before:2019-08-20 dockers",
                                          "\"harbour cranes idle\""};
    for (size_t i = 0; i < sizeof finds_1 / sizeof *finds_1; i++) {
        r = search(db, finds_1[i]);
        cr_expect_eq(kbs_results_count(r), 1, "'%s': %zu hits", finds_1[i], kbs_results_count(r));
        if (kbs_results_count(r) == 1) {
            cr_assert_eq(kbs_results_get(r, 0, &h), KBS_OK);
            cr_expect_eq(h.id, id, "'%s'", finds_1[i]);
        }
        kbs_results_free(r);
    }
    /* The text's first line is no title under the caller's: body, and
     * snippet material. A plain text without one keeps its first line as
     * its title, out of the snippet. */
    r = search(db, "title:harbour");
    cr_expect_eq(kbs_results_count(r), 0);
    kbs_results_free(r);
    h = first_hit(db, "dockers", &r);
    cr_expect_eq(strncmp(h.snippet, "Harbour cranes idle as dockers walk out", 39), 0, "%s",
                 h.snippet);
    kbs_results_free(r);
    h = first_hit(db, "body:\"harbour cranes\"", &r);
    cr_expect_eq(h.id, id);
    kbs_results_free(r);
    h = first_hit(db, "fishing", &r);
    cr_expect_str_eq(h.title, "Coastal towns brace for typhoon");
    cr_expect_null(strstr(h.snippet, "brace"), "%s", h.snippet);
    kbs_results_free(r);
    /* A KBS page keeps its own fields where the caller gave none; "" clears one. */
    h = first_hit(db, "assembly", &r);
    cr_expect_str_eq(h.title, "Assembly Passes Security Cooperation Bill");
    cr_expect_str_eq(h.category, "Politics");
    cr_expect_str_eq(h.written, "2021-03-04T10:00:00");
    kbs_results_free(r);
    r = search(db, "by:lee");
    cr_expect_eq(kbs_results_count(r), 0, "the byline was cleared");
    kbs_results_free(r);
    h = first_hit(db, "semiconductor", &r);
    cr_expect_str_eq(h.title, "Exports of Chips Rise Again");
    kbs_results_free(r);

    /* Facets and date filters come from the caller's fields. */
    kbs_search_options o;
    kbs_search_options_init(&o);
    o.facets = 1;
    r = NULL;
    cr_assert_eq(kbs_search(db, "date:2019", 9, &o, &r), KBS_OK);
    cr_expect_eq(kbs_results_count(r), 2);
    cr_assert_eq(kbs_results_facet_count(r, KBS_FACET_CATEGORY), 2);
    kbs_facet fc;
    for (size_t i = 0; i < 2; i++) {
        cr_assert_eq(kbs_results_facet(r, KBS_FACET_CATEGORY, i, &fc), KBS_OK);
        cr_expect(strcmp(fc.value, "Economy") == 0 || strcmp(fc.value, "Labour") == 0, "%s",
                  fc.value);
        cr_expect_eq(fc.count, 1);
    }
    cr_assert_eq(kbs_results_facet_count(r, KBS_FACET_MONTH), 2);
    cr_assert_eq(kbs_results_facet(r, KBS_FACET_MONTH, 0, &fc), KBS_OK);
    cr_expect_str_eq(fc.value, "2019-08");
    cr_expect_eq(fc.count, 1);
    cr_assert_eq(kbs_results_facet(r, KBS_FACET_MONTH, 1, &fc), KBS_OK);
    cr_expect_str_eq(fc.value, "2019-09");
    kbs_results_free(r);
    o.facets = 0;
    o.sort = KBS_SORT_OLDEST;
    r = NULL;
    cr_assert_eq(kbs_search(db, "category:economy", 16, &o, &r), KBS_OK);
    cr_assert_eq(kbs_results_count(r), 2);
    cr_assert_eq(kbs_results_get(r, 0, &h), KBS_OK);
    cr_expect_str_eq(h.written, "2019-09-02T10:00:00", "the caller's date sorts");
    kbs_results_free(r);
    kbs_db_close(db);
    free(dbp);
    tu_rmtree(tmp);
}

Test(api, buffer_meta_mtime_is_change_detection)
{
    const char *tmp = tu_tmpdir();
    char *dbp = tu_path(tmp, "index"), *dir = tu_path(tmp, "articles");
    char *c = tu_path(dir, "c.txt");
    tu_write(c, ART_C, strlen(ART_C));
    char abs[4096];
    cr_assert_not_null(realpath(c, abs));
    struct stat sb;
    cr_assert_eq(stat(abs, &sb), 0);
    kbs_db *db = tu_open_db(dbp, KBS_OPEN_WRITE | KBS_OPEN_CREATE);
    kbs_article_meta m;
    kbs_article_meta_init(&m);
    m.mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
    m.title = "Towns Brace for Typhoon";
    cr_assert_eq(kbs_index_buffer_meta(db, abs, ART_C, strlen(ART_C), &m, NULL), KBS_OK);
    /* The file's size and time are those recorded: unchanged, the caller's
     * title kept. */
    int changed = -1;
    cr_assert_eq(kbs_index_file(db, abs, NULL, NULL, &changed), KBS_OK);
    cr_expect_eq(changed, 0);
    cr_assert_eq(kbs_db_commit(db), KBS_OK);
    kbs_results *r;
    kbs_hit h = first_hit(db, "typhoon", &r);
    cr_expect_str_eq(h.title, "Towns Brace for Typhoon");
    kbs_results_free(r);
    kbs_db_close(db);
    free(c);
    free(dir);
    free(dbp);
    tu_rmtree(tmp);
}

Test(api, buffer_meta_bad)
{
    const char *tmp = tu_tmpdir();
    char *dbp = tu_path(tmp, "index");
    kbs_db *db = tu_open_db(dbp, KBS_OPEN_WRITE | KBS_OPEN_CREATE);
    static const struct {
        const char *field, *value;
    } bad[] = {
        {"written", "2019-13-01"},
        {"written", "2019-02-30"},
        {"written", "15/08/2019"},
        {"written", "2019-08-15 10:00:00"},
        {"written", "2019-8-15"},
        {"updated", "2019-08-15T25:00:00"},
        {"updated", "yesterday"},
        {"written", "2019-08-15T10:00"},
        {"written", "2019-08-15T10:00:00Z"},
        {"updated", " 2019-08-15"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        kbs_article_meta m;
        kbs_article_meta_init(&m);
        if (strcmp(bad[i].field, "written") == 0)
            m.written = bad[i].value;
        else
            m.updated = bad[i].value;
        uint32_t id = 77;
        int st = kbs_index_buffer_meta(db, "feed:bad", PLAIN, strlen(PLAIN), &m, &id);
        cr_expect_eq(st, KBS_EINVAL, "%s \"%s\": %s", bad[i].field, bad[i].value, kbs_strerror(st));
        cr_expect_eq(id, 77);
        const char *msg = kbs_db_errmsg(db);
        cr_expect(strstr(msg, bad[i].field) && strstr(msg, bad[i].value), "%s", msg);
        cr_expect(strstr(msg, "YYYY-MM-DD"), "the message says what to give: %s", msg);
    }
    /* The struct's size: 0 (not initialised), or a newer header's. */
    kbs_article_meta m;
    memset(&m, 0, sizeof m);
    cr_expect_eq(kbs_index_buffer_meta(db, "feed:bad", PLAIN, strlen(PLAIN), &m, NULL), KBS_EINVAL);
    cr_expect(strstr(kbs_db_errmsg(db), "kbs_article_meta_init"), "%s", kbs_db_errmsg(db));
    kbs_article_meta_init(&m);
    m.size = sizeof m + 8;
    cr_expect_eq(kbs_index_buffer_meta(db, "feed:bad", PLAIN, strlen(PLAIN), &m, NULL), KBS_EINVAL);
    /* An older header's, without the fields after the title: they count as NULL. */
    kbs_article_meta_init(&m);
    m.size = offsetof(kbs_article_meta, category);
    m.title = "Short Struct";
    m.category = (const char *)"not read";
    m.written = "not read either";
    cr_expect_eq(kbs_index_buffer_meta(db, "feed:old", PLAIN, strlen(PLAIN), &m, NULL), KBS_OK,
                 "%s", kbs_db_errmsg(db));
    /* Invalid UTF-8 in a field is replaced, never trusted. */
    kbs_article_meta_init(&m);
    m.title = "Caf\xe9 Owners Protest";
    cr_expect_eq(kbs_index_buffer_meta(db, "feed:utf", PLAIN, strlen(PLAIN), &m, NULL), KBS_OK);
    cr_assert_eq(kbs_db_commit(db), KBS_OK);
    kbs_results *r;
    kbs_hit h = first_hit(db, "title:protest", &r);
    cr_expect_str_eq(h.title, "Caf\xef\xbf\xbd Owners Protest");
    kbs_results_free(r);
    r = search(db, "title:short");
    cr_expect_eq(kbs_results_count(r), 1);
    kbs_results_free(r);
    r = search(db, "feed");
    kbs_results_free(r);
    kbs_stats s;
    cr_assert_eq(kbs_db_stats(db, &s), KBS_OK);
    cr_expect_eq(s.documents, 2, "nothing of the refused ones was indexed");
    kbs_db_close(db);
    free(dbp);
    tu_rmtree(tmp);
}
