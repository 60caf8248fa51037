/* test_idkey.c - an article's key and its id term (format 6): the id term is
 * a 128-bit hash of the key (db_id_term), so every look-up by path must
 * still compare the key itself, and a re-run must list the articles under a
 * folder from the keys kept in their values (SLOT_META's path, or SLOT_KEY
 * where that path is folded). Keys whose display path differs from them are
 * the cases that matter: blanks folded, a tab dropped, a key past 4,096 bytes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "db_internal.h"
#include "kbsearch.h"
#include "testutil.h"

static const char *TEXT = "Harbour ferry resumes service\n\n"
                          "The harbour ferry resumed its crossings on Monday after the storm.\n";

static kbs_index_report index_dir(const char *db_path, const char *dir)
{
    kbs_db *db = tu_open_db(db_path, KBS_OPEN_WRITE | KBS_OPEN_CREATE);
    kbs_index_report rep;
    cr_assert_eq(kbs_index_dir(db, dir, NULL, &rep), KBS_OK, "index: %s", kbs_db_errmsg(db));
    cr_assert_eq(kbs_db_close(db), KBS_OK);
    return rep;
}

static int lookup(const char *db_path, const char *key)
{
    kbs_db *db = tu_open_db(db_path, KBS_OPEN_READ);
    uint32_t id = 0;
    int st = kbs_lookup(db, key, &id);
    kbs_db_close(db);
    return st;
}

static void check_sound(const char *db_path)
{
    kbs_db *db = tu_open_db(db_path, KBS_OPEN_READ);
    kbs_check_report r;
    cr_assert_eq(kbs_db_check(db, &r), KBS_OK, "%s", kbs_db_errmsg(db));
    cr_expect_eq(r.problems, 0, "%s", r.message);
    kbs_db_close(db);
}

Test(idkey, id_term_is_a_short_printable_hash)
{
    buf a = BUF_INIT, b = BUF_INIT;
    db_id_term("/news/a.txt", 11, &a);
    db_id_term("/news/b.txt", 11, &b);
    cr_assert_eq(a.len, 1 + ID_HASH_CHARS);
    cr_assert_eq(a.data[0], PFX_ID[0]);
    for (size_t i = 1; i < a.len; i++)
        cr_assert(
            strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", a.data[i]) &&
                a.data[i],
            "byte %zu of the id term is 0x%02x", i, (unsigned char)a.data[i]);
    cr_assert(a.len == b.len && memcmp(a.data, b.data, a.len) != 0);
    /* The key may be read from the buffer the term is written to. */
    buf_reset(&b);
    buf_append_str(&b, "/news/a.txt");
    db_id_term(b.data, b.len, &b);
    cr_assert(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    buf_free(&a);
    buf_free(&b);
}

/* File names whose display path is not their key, and one that is. */
static const struct {
    const char *name;   /* the file's name */
    const char *folded; /* how SLOT_META shows it: not a key of any article */
} NAMES[] = {
    {"plain.txt", NULL},
    {"two  spaces.txt", "two spaces.txt"},
    {"tab\there.txt", "tabhere.txt"},
    {"trailing space .txt", NULL},
};
#define NNAMES (sizeof NAMES / sizeof NAMES[0])

Test(idkey, keys_that_display_otherwise_are_found_exactly_and_kept_on_a_rerun)
{
    const char *tmp = tu_tmpdir();
    char *dir = tu_path(tmp, "news");
    char *dbp = tu_path(tmp, "db");
    char *paths[NNAMES];
    for (size_t i = 0; i < NNAMES; i++) {
        paths[i] = tu_path(dir, NAMES[i].name);
        tu_write(paths[i], TEXT, strlen(TEXT));
    }
    kbs_index_report rep = index_dir(dbp, dir);
    cr_assert_eq(rep.added, NNAMES);
    for (size_t i = 0; i < NNAMES; i++) {
        cr_expect_eq(lookup(dbp, paths[i]), KBS_OK, "%s", NAMES[i].name);
        if (NAMES[i].folded) {
            char *f = tu_path(dir, NAMES[i].folded);
            cr_expect_eq(lookup(dbp, f), KBS_ENOTFOUND, "%s", NAMES[i].folded);
            free(f);
        }
    }
    check_sound(dbp);

    rep = index_dir(dbp, dir);
    cr_expect_eq(rep.unchanged, NNAMES);
    cr_expect_eq(rep.removed, 0, "an article whose key is not its display path was removed");

    /* One file goes: that article, and only that one, is removed. */
    for (size_t g = 1; g < NNAMES; g++) {
        cr_assert_eq(remove(paths[g]), 0);
        rep = index_dir(dbp, dir);
        cr_expect_eq(rep.removed, 1, "removing %s", NAMES[g].name);
        cr_expect_eq(lookup(dbp, paths[g]), KBS_ENOTFOUND);
        for (size_t i = 0; i < NNAMES; i++)
            if (i == 0 || i > g)
                cr_expect_eq(lookup(dbp, paths[i]), KBS_OK, "%s", NAMES[i].name);
    }
    check_sound(dbp);
    for (size_t i = 0; i < NNAMES; i++)
        free(paths[i]);
    free(dir);
    free(dbp);
    tu_rmtree(tmp);
}

/* "a  b" displays as "a b": re-indexing the one folder must not take the
 * other's articles for its own. */
Test(idkey, a_folder_that_displays_as_another_leaves_it_alone)
{
    const char *tmp = tu_tmpdir();
    char *one = tu_path(tmp, "a b");
    char *two = tu_path(tmp, "a  b");
    char *dbp = tu_path(tmp, "db");
    char *p1 = tu_path(one, "x.txt");
    char *p2 = tu_path(two, "x.txt");
    tu_write(p1, TEXT, strlen(TEXT));
    tu_write(p2, TEXT, strlen(TEXT));
    cr_assert_eq(index_dir(dbp, one).added, 1);
    cr_assert_eq(index_dir(dbp, two).added, 1);
    kbs_index_report rep = index_dir(dbp, two);
    cr_expect_eq(rep.removed, 0);
    cr_assert_eq(remove(p2), 0);
    rep = index_dir(dbp, two);
    cr_expect_eq(rep.removed, 1);
    cr_expect_eq(lookup(dbp, p1), KBS_OK, "the article of the other folder was removed");
    cr_expect_eq(lookup(dbp, p2), KBS_ENOTFOUND);
    check_sound(dbp);
    free(one);
    free(two);
    free(dbp);
    free(p1);
    free(p2);
    tu_rmtree(tmp);
}

/* The display path is cut at 4,096 bytes: two keys that share those differ
 * by their SLOT_KEY, and each finds only its own article. */
Test(idkey, long_keys_sharing_their_display_path)
{
    const char *tmp = tu_tmpdir();
    char *dbp = tu_path(tmp, "db");
    size_t n = 5000;
    char *k1 = malloc(n + 1), *k2 = malloc(n + 1);
    cr_assert(k1 && k2);
    memset(k1, 'k', n);
    k1[0] = '/';
    k1[n] = '\0';
    memcpy(k2, k1, n + 1);
    k2[n - 1] = 'z';
    kbs_db *db = tu_open_db(dbp, KBS_OPEN_WRITE | KBS_OPEN_CREATE);
    uint32_t id1 = 0, id2 = 0, got = 0;
    cr_assert_eq(kbs_index_buffer(db, k1, TEXT, strlen(TEXT), 0, &id1), KBS_OK, "%s",
                 kbs_db_errmsg(db));
    cr_assert_eq(kbs_index_buffer(db, k2, TEXT, strlen(TEXT), 0, &id2), KBS_OK, "%s",
                 kbs_db_errmsg(db));
    cr_assert_neq(id1, id2);
    cr_assert_eq(kbs_db_commit(db), KBS_OK);
    cr_assert_eq(kbs_lookup(db, k1, &got), KBS_OK);
    cr_expect_eq(got, id1);
    cr_assert_eq(kbs_lookup(db, k2, &got), KBS_OK);
    cr_expect_eq(got, id2);
    k2[n - 1] = 'y';
    cr_expect_eq(kbs_lookup(db, k2, &got), KBS_ENOTFOUND);
    cr_assert_eq(kbs_delete(db, k1), KBS_OK);
    cr_assert_eq(kbs_db_commit(db), KBS_OK);
    cr_expect_eq(kbs_lookup(db, k1, &got), KBS_ENOTFOUND);
    kbs_db_close(db);
    check_sound(dbp);
    free(k1);
    free(k2);
    free(dbp);
    tu_rmtree(tmp);
}
