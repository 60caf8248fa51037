/* xapian_shim.h - the thin C API over Xapian 1.4: the only C++ in kbsearch.
 *
 * Every function is noexcept on the C++ side: it catches everything
 * (Xapian::Error, std::bad_alloc, anything else) and maps it to a kbs status,
 * with the message copied into the handle (xs_db_errmsg) or into `err`. No
 * pointer into a C++ temporary ever escapes: strings are copied out with
 * malloc() (the caller free()s) or into caller buffers.
 *
 * Statuses are enum kbs_status from kbsearch.h. Mapping:
 *   DatabaseLockError -> KBS_ELOCKED, DatabaseNotFoundError/DocNotFoundError
 *   -> KBS_ENOTFOUND, DatabaseCorruptError -> KBS_ECORRUPT,
 *   DatabaseVersionError/DatabaseOpeningError -> KBS_EFOREIGN,
 *   std::bad_alloc -> KBS_ENOMEM, InvalidArgumentError -> KBS_EINVAL,
 *   other Xapian errors -> KBS_EBACKEND, anything else -> KBS_EINTERNAL.
 */
#ifndef KBS_XAPIAN_SHIM_H
#define KBS_XAPIAN_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xs_db xs_db;
typedef struct xs_doc xs_doc;
typedef struct xs_query xs_query;

/* ---- databases ---- */

#define XS_OPEN_READ 0
#define XS_OPEN_WRITE 1        /* open an existing database for writing */
#define XS_OPEN_WRITE_CREATE 2 /* open for writing, creating it if missing */

/* Opens the glass database in folder path. On failure the message goes to
 * err[0..errlen) (always NUL-terminated when errlen > 0). */
int xs_db_open(const char *path, int mode, xs_db **out, char *err, size_t errlen);
/* Frees the handle. A writable database is NOT committed here: call
 * xs_db_commit() first (Xapian's destructor commit would swallow errors);
 * uncommitted changes are discarded. */
void xs_db_close(xs_db *db);
const char *xs_db_errmsg(const xs_db *db);

int xs_db_commit(xs_db *db);
/* Re-opens a reader at the latest committed revision. */
int xs_db_reopen(xs_db *db);

int xs_db_doc_count(xs_db *db, uint32_t *count);
int xs_db_last_docid(xs_db *db, uint32_t *docid);

/* User metadata (Xapian's get/set_metadata): value copied with malloc into
 * *val (NUL-terminated, caller frees); a missing key gives *val = NULL, len 0
 * and KBS_OK. */
int xs_db_get_metadata(xs_db *db, const char *key, char **val, size_t *len);
int xs_db_set_metadata(xs_db *db, const char *key, const char *val, size_t len);

/* ---- documents ---- */

int xs_doc_new(xs_doc **out);
void xs_doc_free(xs_doc *doc);
/* A positional occurrence of term (wdf += wdf_inc). */
int xs_doc_add_posting(xs_doc *doc, const char *term, size_t len, uint32_t pos, uint32_t wdf_inc);
/* A term without position (wdf += wdf_inc; 0 for a boolean filter term). */
int xs_doc_add_term(xs_doc *doc, const char *term, size_t len, uint32_t wdf_inc);
int xs_doc_set_value(xs_doc *doc, unsigned slot, const char *val, size_t len);
int xs_doc_set_data(xs_doc *doc, const char *data, size_t len);

/* Adds doc, replacing any document indexed by the unique term idterm (which
 * doc must also contain). *docid receives the document's id. */
int xs_db_replace(xs_db *db, const char *idterm, size_t len, xs_doc *doc, uint32_t *docid);
/* Deletes documents indexed by idterm (none is not an error). */
int xs_db_delete(xs_db *db, const char *idterm, size_t len);
/* The first document indexed by idterm: KBS_ENOTFOUND if none. */
int xs_db_find(xs_db *db, const char *idterm, size_t len, uint32_t *docid);

/* Value in slot of docid, copied with malloc (NUL-terminated); "" if unset.
 * KBS_ENOTFOUND if there is no such document. */
int xs_db_get_value(xs_db *db, uint32_t docid, unsigned slot, char **val, size_t *len);
/* The document's data, likewise. */
int xs_db_get_data(xs_db *db, uint32_t docid, char **data, size_t *len);

/* Calls cb for every term starting with prefix, in sorted order, with its
 * term frequency. cb returns non-zero to stop early. */
typedef int (*xs_term_cb)(void *ctx, const char *term, size_t len, uint32_t termfreq);
int xs_db_allterms(xs_db *db, const char *prefix, size_t plen, xs_term_cb cb, void *ctx);
int xs_db_termfreq(xs_db *db, const char *term, size_t len, uint32_t *freq);

/* ---- queries ----
 * Queries are immutable values. Combining copies the subqueries (Xapian
 * queries are reference-counted), so the caller still frees its own. */

enum xs_op {
    XS_OP_AND = 0,
    XS_OP_OR = 1,
    XS_OP_AND_NOT = 2,
    XS_OP_AND_MAYBE = 3,
    XS_OP_FILTER = 4,
    XS_OP_PHRASE = 5, /* param: window (0 = number of subqueries) */
    XS_OP_NEAR = 6,   /* param: window */
    XS_OP_SYNONYM = 7
};

/* A term query; wqf is the within-query frequency (1 usually), pos the
 * query position (0 if none). */
int xs_query_term(const char *term, size_t len, uint32_t wqf, uint32_t pos, xs_query **out);
int xs_query_combine(int op, xs_query *const *subs, size_t n, uint32_t param, xs_query **out);
int xs_query_scale(const xs_query *q, double factor, xs_query **out);
/* Documents whose value in slot is within [lo, hi] (string compare); lo or hi
 * may be NULL for an open end. */
int xs_query_value_range(unsigned slot, const char *lo, const char *hi, xs_query **out);
/* Terms starting with prefix, expanded to at most max_terms (the most
 * frequent ones), combined with OR. */
int xs_query_wildcard(const char *prefix, size_t len, uint32_t max_terms, xs_query **out);
void xs_query_free(xs_query *q);
/* A human-readable description of the query (Xapian's), malloc'd. */
char *xs_query_describe(const xs_query *q);

/* ---- searching ---- */

typedef struct xs_search_params {
    double k1, b; /* BM25 parameters (Xapian's BM25Weight k1 and b) */
    uint32_t offset;
    uint32_t limit;
    uint32_t check_at_least; /* count this many matches exactly at least */
    int sort_slot;           /* -1: by relevance; else by this value slot */
    int sort_reverse;        /* with sort_slot: non-zero for descending */
} xs_search_params;

typedef struct xs_match {
    uint32_t docid;
    double weight;
} xs_match;

typedef struct xs_search_result {
    uint64_t estimated; /* matches estimated */
    uint64_t lower;     /* lower bound */
    uint64_t upper;     /* upper bound */
    size_t n;           /* entries written to matches */
} xs_search_result;

/* Runs q; writes at most params->limit matches into matches[]. */
int xs_db_search(xs_db *db, const xs_query *q, const xs_search_params *params, xs_match *matches,
                 xs_search_result *res);

#ifdef __cplusplus
}
#endif

#endif
