/* plain_xapian.h - Xapian used the ordinary way, as the benchmarks' baseline.
 *
 * This is what a developer would write with Xapian's own tutorial in hand:
 * TermGenerator with the English stemmer and positions, the whole text as the
 * document data, Xapian's default flush threshold and one commit at the end;
 * QueryParser (English stemmer, STEM_SOME, default AND) with BM25 and
 * MSet::snippet() for searching. kbsearch is measured against it, so it must
 * stay plain: no tuning here that the product's users would not do.
 *
 * It is built only into the benchmark programs, never into the library.
 *
 * Every function returns an int status from enum kbs_status (kbsearch.h),
 * with the same exception mapping as xapian_shim.h; the C++ side is noexcept
 * and catches everything. Messages are copied into the handle (or into `err`
 * where there is no handle yet); no pointer into a C++ temporary escapes.
 */
#ifndef KBS_PLAIN_XAPIAN_H
#define KBS_PLAIN_XAPIAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
/* The definitions are noexcept; C++17 makes that part of the type, so the
 * declarations must say it too. */
#define XP_NOEXCEPT noexcept
#else
#define XP_NOEXCEPT
#endif

/* ---- indexing ---- */

typedef struct xp_index xp_index;

/*
 * Creates (or opens for appending) the glass database in folder `path`.
 * On success *out is a handle to close with xp_index_close(). On failure the
 * message goes to err[0..errlen) (always NUL-terminated when errlen > 0).
 * Returns KBS_OK, KBS_EINVAL, KBS_ENOMEM, KBS_ELOCKED, KBS_EFOREIGN,
 * KBS_ECORRUPT, KBS_EBACKEND, KBS_EINTERNAL.
 */
int xp_index_open(const char *path, xp_index **out, char *err, size_t errlen) XP_NOEXCEPT;

/*
 * Adds one document: the terms of `text` (stemmed, with positions) and the
 * whole text as its data. Xapian flushes by itself at its default threshold;
 * nothing is committed until xp_index_close().
 */
int xp_index_add(xp_index *ix, const char *text, size_t len) XP_NOEXCEPT;

/*
 * The floor of positional indexing through Xapian's public API, to tell how
 * fast any engine built on it can index: a bare tokenizer (ASCII letters and
 * digits folded to lower case, every other byte below 0x80 a separator),
 * English Snowball stems behind a word -> stem cache, one add_posting() per
 * word, NO document data, no values, no other terms, a commit every 250
 * documents (the batch kbsearch's workers use) and DB_NO_SYNC. Nothing a
 * product can skip is left out, and nothing more is done. Close with
 * xp_index_close(). Errors as xp_index_open().
 */
int xp_floor_open(const char *path, xp_index **out, char *err, size_t errlen) XP_NOEXCEPT;

/*
 * As xp_index_add(), and the written date `yyyymmdd` (8 digits, or NULL for
 * none) in value slot 0, where the QueryParser's range "A..B" filters on it:
 * the tutorial's way of filtering by date. Not counted in bench_index, which
 * indexes text only.
 */
int xp_index_add_dated(xp_index *ix, const char *text, size_t len,
                       const char *yyyymmdd) XP_NOEXCEPT;

/* The detail of the last error on this handle, or "". */
const char *xp_index_errmsg(const xp_index *ix) XP_NOEXCEPT;

/*
 * Commits explicitly (the destructor's implicit commit would swallow errors),
 * then frees the handle, whatever the outcome. A failed commit's message goes
 * to err[0..errlen). NULL is fine and returns KBS_OK.
 */
int xp_index_close(xp_index *ix, char *err, size_t errlen) XP_NOEXCEPT;

/* ---- searching ---- */

typedef struct xp_db xp_db;

/* Opens the database in `path` for reading; statuses as xp_index_open(). */
int xp_db_open(const char *path, xp_db **out, char *err, size_t errlen) XP_NOEXCEPT;
/* NULL is fine. */
void xp_db_close(xp_db *db) XP_NOEXCEPT;
const char *xp_db_errmsg(const xp_db *db) XP_NOEXCEPT;

typedef struct xp_hit {
    uint32_t docid;
    double weight; /* BM25 */
    char *snippet; /* malloc'd, NUL-terminated; "" when snippets were off */
    size_t snippet_len;
} xp_hit;

typedef struct xp_results {
    uint64_t estimated; /* Xapian's estimate of the matching documents */
    size_t n;           /* entries in hits */
    xp_hit *hits;       /* malloc'd; NULL when n is 0 */
} xp_results;

/*
 * Parses `query` (query_len bytes) with QueryParser (its default flags plus
 * FLAG_WILDCARD, so that "secur*" is a prefix; a range "20080101..20081231"
 * filters on value slot 0, see xp_index_add_dated) and returns the best
 * `limit` hits into *out; with `with_snippets` XP_SNIPPETS each hit gets
 * MSet::snippet() of its document data (200 characters, English stemmer),
 * with XP_DATA_ONLY each hit's document data is read and dropped (what an
 * application pays to show anything stored with its hits).
 * On success the caller releases *out with xp_results_clear(); on failure
 * *out is left empty. Returns KBS_OK, KBS_EINVAL, KBS_EQUERY (the query could
 * not be parsed), KBS_ENOMEM, KBS_ECORRUPT, KBS_EBACKEND, KBS_EINTERNAL.
 */
#define XP_SNIPPETS 1
#define XP_DATA_ONLY 2
int xp_search(xp_db *db, const char *query, size_t query_len, uint32_t limit, int with_snippets,
              xp_results *out) XP_NOEXCEPT;

/*
 * As xp_search(), with Xapian's check_at_least: with the number of documents
 * in the database, out->estimated is the exact number of matches (0 is
 * Xapian's default, what xp_search() uses).
 */
int xp_search_checked(xp_db *db, const char *query, size_t query_len, uint32_t limit,
                      int with_snippets, uint32_t check_at_least, xp_results *out) XP_NOEXCEPT;

/* Frees what xp_search() handed back and empties *r. NULL is fine. */
void xp_results_clear(xp_results *r) XP_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif
