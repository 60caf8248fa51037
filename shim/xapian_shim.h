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
 *   other Xapian errors -> KBS_EBACKEND, other std::exceptions -> KBS_EBACKEND
 *   too (Xapian throws e.g. std::length_error on a damaged table: glass has
 *   no block checksums, so such damage is not always a DatabaseCorruptError),
 *   anything else -> KBS_EINTERNAL. Whatever its type, a Xapian error caused
 *   by a full disk, a file size limit or a failing disk (ENOSPC, EDQUOT,
 *   EFBIG, EIO) is KBS_EIO: the user can do something about it.
 * A write (replace, delete, metadata, spelling, commit) that fails with a
 * DatabaseError (a full disk, say), or any call on a writer that fails with
 * std::bad_alloc or another non-Xapian exception (on a writer, Xapian flushes
 * pending postings inside some reads), may leave the writer's unsaved changes
 * half-applied; committing them could save a damaged index. So from then on
 * the handle refuses every write and commit with the status of that failure
 * and its message; close it (which drops the unsaved changes) and open the
 * database again.
 * Beyond Xapian's own errors: a NULL or empty argument the function needs is
 * KBS_EINVAL, and a write on a handle opened with XS_OPEN_READ is
 * KBS_EREADONLY. A read that hits DatabaseModifiedError (a writer recycled
 * the blocks of the revision being read) is retried once after reopen(), so
 * it may see a newer revision; a second failure is KBS_EBACKEND.
 *
 * A folder that exists but holds no glass database (no "iamglass") gives
 * KBS_ENOTFOUND for every open mode but XS_OPEN_WRITE_CREATE (Xapian raises
 * DatabaseNotFoundError for it, as for a missing folder); the kbsearch layer
 * tells the two apart if it cares.
 *
 * Threads: one handle (database, document, query) is used by one thread at a
 * time; distinct handles are independent.
 */
#ifndef KBS_XAPIAN_SHIM_H
#define KBS_XAPIAN_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
/* C++ needs the same exception specification on every declaration, and the
 * shim's definitions are noexcept; C sees nothing. */
#define XS_NOEXCEPT noexcept
extern "C" {
#else
#define XS_NOEXCEPT
#endif

typedef struct xs_db xs_db;
typedef struct xs_doc xs_doc;
typedef struct xs_query xs_query;

/* ---- databases ---- */

#define XS_OPEN_READ 0
#define XS_OPEN_WRITE 1        /* open an existing database for writing */
#define XS_OPEN_WRITE_CREATE 2 /* open for writing, creating it if missing */
/* Create a new database for a temporary build that is merged elsewhere
 * (xs_compact_merge) and thrown away after: nothing is fsync()ed and blocks
 * are updated in place, so a crash leaves it unusable. Never for an index. */
#define XS_OPEN_SCRATCH 3
/* Open a database made with XS_OPEN_SCRATCH again, to change it before it
 * is merged: the same terms (no fsync(), blocks updated in place). */
#define XS_OPEN_SCRATCH_AGAIN 4

/* Opens the glass database in folder path (only the glass backend: a stub
 * file or another backend is refused). Writers keep Xapian's fsync()s: crash
 * safety matters more than indexing speed. On failure the message goes to
 * err[0..errlen) (always NUL-terminated when errlen > 0; err may be NULL when
 * errlen is 0) and *out is untouched. */
int xs_db_open(const char *path, int mode, xs_db **out, char *err, size_t errlen) XS_NOEXCEPT;
/* Opens the glass databases in the folders paths[0..n) together, read-only,
 * as one database whose documents keep their own ids: the databases must
 * hold disjoint ranges of ids (a first and a last id each; KBS_EINVAL when
 * two ranges overlap), as the sources of xs_compact_merge do. Term
 * frequencies, posting lists, value streams and metadata are those of the
 * whole. What a merge would give, before merging: the parallel build groups
 * its new articles into stories this way, so that the merged copy is written
 * once. On such a handle xs_db_search, xs_db_expand, xs_db_hit_values,
 * xs_db_term_stats and xs_db_matching_terms are refused (KBS_EINVAL); the
 * other reads work as on one database. Errors as for xs_db_open. */
int xs_db_open_several(const char *const *paths, size_t n, xs_db **out, char *err,
                       size_t errlen) XS_NOEXCEPT;
/* Frees the handle and, for a writer, releases the lock. NULL is fine.
 * Uncommitted changes are discarded (never committed implicitly, as Xapian's
 * destructor would, swallowing errors): call xs_db_commit() first. */
void xs_db_close(xs_db *db) XS_NOEXCEPT;
/* The message of the last failed call on db ("" if none failed yet, or db
 * is NULL). Owned by the handle; valid until the next call on it. */
const char *xs_db_errmsg(const xs_db *db) XS_NOEXCEPT;

/* Makes the changes so far durable (KBS_EREADONLY on a reader), with the
 * positions of the documents written since the last commit, which the
 * handle holds until then (shim/positions.h). */
int xs_db_commit(xs_db *db) XS_NOEXCEPT;
/* Commits as xs_db_commit() does, except that on a handle opened
 * XS_OPEN_SCRATCH the positions noted since they were last written stay in
 * memory while they take less than hold_bytes (0: never), for a later
 * commit to write. A scratch database is thrown away after a crash anyway,
 * and its positions written once, in key order, cost far less than merged
 * into its chunks at every commit. Held positions are lost by
 * xs_db_close(): the last commit must be xs_db_commit(). */
int xs_db_commit_holding(xs_db *db, size_t hold_bytes) XS_NOEXCEPT;
/* 1 if db was opened XS_OPEN_SCRATCH or XS_OPEN_SCRATCH_AGAIN (its blocks
 * are written in place, with no copy kept for readers), else 0. */
int xs_db_is_scratch(const xs_db *db) XS_NOEXCEPT;
/* Counts in *stale the entries of the chunks of positions whose documents
 * no longer hold the word's stem (deleted, or replaced by a version
 * without it, since: positions.h leaves them behind); with apply (a writer
 * only), drops them too, uncommitted, after writing what the handle holds. */
int xs_db_prune_positions(xs_db *db, int apply, uint64_t *stale) XS_NOEXCEPT;
/* Checks every chunk of positions (positions.h): counts the streams of
 * positions (a word's forms each have one) in *words, their chunks and
 * entries, and puts the first problem found in problem[0..cap) ("" when
 * none; KBS_OK either way). */
int xs_db_check_positions(xs_db *db, uint64_t *words, uint64_t *chunks, uint64_t *entries,
                          char *problem, size_t cap) XS_NOEXCEPT;
/* Sets *alone to 1 when the index records no other form of stem
 * (xs_doc_add_form) with the form tag of hash (its top 8 bits), so that a
 * place of that tag is a place of that word; 0 when another form shares
 * it. */
int xs_db_form_alone(xs_db *db, const char *stem, size_t len, uint64_t hash,
                     int *alone) XS_NOEXCEPT;
/* Re-opens a reader at the latest committed revision (a no-op on a writer,
 * which always sees its own changes). */
int xs_db_reopen(xs_db *db) XS_NOEXCEPT;

int xs_db_doc_count(xs_db *db, uint32_t *count) XS_NOEXCEPT;
int xs_db_last_docid(xs_db *db, uint32_t *docid) XS_NOEXCEPT;
/* The revision this handle reads (Xapian's Database::get_revision: one more
 * with each commit). KBS_EBACKEND where there is none to tell: a remote
 * database, or several. */
int xs_db_revision(xs_db *db, uint64_t *rev) XS_NOEXCEPT;
/* The database's UUID (a copy built anew has another, and starts its
 * revisions again) into out[0..cap), NUL-terminated; KBS_EBACKEND when it
 * has none to tell or it does not fit. */
int xs_db_uuid(xs_db *db, char *out, size_t cap) XS_NOEXCEPT;

/* Reads the length of every document of the revision a reader reads now
 * into memory (4 bytes a document id), unless those of that revision of that
 * database are there already, and sets *rev to that revision. A search with params->norms set then
 * weighs its terms with them (norms.h): the same scores and pages, without
 * Xapian's look-up of each candidate's length. A search that reopened on a
 * newer revision must be run again without them. KBS_EINVAL for a writer;
 * a remote database fails (it has no revision to tell). */
int xs_db_norms_load(xs_db *db, uint64_t *rev) XS_NOEXCEPT;

/* User metadata (Xapian's get/set_metadata): value copied with malloc into
 * *val (NUL-terminated, caller frees); a missing key gives *val = NULL, len 0
 * and KBS_OK. Keys are non-empty; setting an empty value deletes the key
 * (Xapian cannot store an empty value). Set is a write: KBS_EREADONLY on a
 * reader; it is committed with the documents. */
int xs_db_get_metadata(xs_db *db, const char *key, char **val, size_t *len) XS_NOEXCEPT;
int xs_db_set_metadata(xs_db *db, const char *key, const char *val, size_t len) XS_NOEXCEPT;

/* ---- documents ----
 * A document is built in memory and handed to xs_db_replace(); terms must be
 * non-empty and at most 245 bytes (glass's limit; a longer one fails the
 * replace with KBS_EINVAL). */

int xs_doc_new(xs_doc **out) XS_NOEXCEPT;
void xs_doc_free(xs_doc *doc) XS_NOEXCEPT;
/* A positional occurrence of term (wdf += wdf_inc). Positions are kept in
 * the database's metadata (shim/positions.h), so term is at most 200 bytes
 * here (KBS_EINVAL). form (0-255, else KBS_EINVAL) is the tag of the word
 * as written there (stem_form_tag() of its folded form), kept with the
 * position so that a phrase can ask for the words' own forms
 * (xs_query_set_form). */
int xs_doc_add_posting(xs_doc *doc, const char *term, size_t len, uint32_t pos, uint32_t wdf_inc,
                       unsigned form) XS_NOEXCEPT;
/* Records a form of the stem term (the whole hash of its folded word,
 * stem_form_hash()) with the document: the database keeps each stem's
 * forms (positions.h), written with the document's positions. Once a
 * database and word is enough (src/stem.h, stem_form.first); more is
 * harmless. */
int xs_doc_add_form(xs_doc *doc, const char *term, size_t len, uint64_t hash) XS_NOEXCEPT;
/* A term without position (wdf += wdf_inc; 0 for a boolean filter term). */
int xs_doc_add_term(xs_doc *doc, const char *term, size_t len, uint32_t wdf_inc) XS_NOEXCEPT;
int xs_doc_set_value(xs_doc *doc, unsigned slot, const char *val, size_t len) XS_NOEXCEPT;
/* The document's data (kbsearch's compressed record), written with the
 * document, in the same commit. It is not Xapian's document data but an
 * item of the database's user metadata, keyed XS_RECORD_PREFIX and the
 * document's id (4 bytes, big-endian): glass offers every document-data tag
 * to zlib's deflate when it is written, and a compaction (kbsearch's merge)
 * offers it again, and deflate cannot shrink records zstd has compressed:
 * 8% of a build's CPU on Reuters went to that (bench/README.md, session
 * 11). The metadata lives in the postlist table, which glass never
 * compresses; it is merged by compaction (which keeps ids) and served by a
 * remote database like the document data. Deleting a document deletes its
 * record. */
#define XS_RECORD_PREFIX "r"
int xs_doc_set_data(xs_doc *doc, const char *data, size_t len) XS_NOEXCEPT;

/* Adds doc, replacing any document indexed by the unique term idterm (which
 * doc must also contain: KBS_EINVAL if it does not, since a later replace or
 * delete would not find it). *docid receives the document's id. */
int xs_db_replace(xs_db *db, const char *idterm, size_t len, xs_doc *doc,
                  uint32_t *docid) XS_NOEXCEPT;
/* Deletes documents indexed by idterm (none is not an error). */
int xs_db_delete(xs_db *db, const char *idterm, size_t len) XS_NOEXCEPT;
/* The first document indexed by idterm: KBS_ENOTFOUND if none. */
int xs_db_find(xs_db *db, const char *idterm, size_t len, uint32_t *docid) XS_NOEXCEPT;

/* Value in slot of docid, copied with malloc (NUL-terminated); "" if unset.
 * KBS_ENOTFOUND if there is no such document (docid 0 is KBS_EINVAL). */
int xs_db_get_value(xs_db *db, uint32_t docid, unsigned slot, char **val, size_t *len) XS_NOEXCEPT;
/* The document's data (see xs_doc_set_data), likewise. */
int xs_db_get_data(xs_db *db, uint32_t docid, char **data, size_t *len) XS_NOEXCEPT;

/* As xs_db_get_value and xs_db_get_data, for a document a search on this
 * handle has just returned: its existence is not checked again, which saves
 * a B-tree lookup (a block read) per hit. Should the document not exist
 * after all, its value and its data read as "" (which no record is). */
int xs_db_hit_value(xs_db *db, uint32_t docid, unsigned slot, char **val, size_t *len) XS_NOEXCEPT;
int xs_db_hit_data(xs_db *db, uint32_t docid, char **data, size_t *len) XS_NOEXCEPT;
/* The values in slot of the documents docids[0..n) (a search's hits; ids
 * distinct): vals[i] receives a malloc'd copy (NUL-terminated, "" if unset,
 * caller frees) and lens[i] its length. They are read in ascending id order
 * through one value stream, so each block is read once and no lookup starts
 * again from the root. On failure nothing is left allocated. */
int xs_db_hit_values(xs_db *db, unsigned slot, const uint32_t *docids, size_t n, char **vals,
                     size_t *lens) XS_NOEXCEPT;

/* Calls cb for every term starting with prefix (NULL with plen 0: every
 * term), in sorted order, with its term frequency. cb returns non-zero to
 * stop early (still KBS_OK). term is valid only during the call. */
typedef int (*xs_term_cb)(void *ctx, const char *term, size_t len, uint32_t termfreq);
int xs_db_allterms(xs_db *db, const char *prefix, size_t plen, xs_term_cb cb,
                   void *ctx) XS_NOEXCEPT;
int xs_db_termfreq(xs_db *db, const char *term, size_t len, uint32_t *freq) XS_NOEXCEPT;
/* Calls cb for every term starting with prefix whose term frequency lies in
 * [min_freq, max_freq], in sorted order, with its documents' ids
 * (ascending; valid only during the call). cb returns non-zero to stop
 * early (still KBS_OK). The same as xs_db_allterms() with xs_db_postlist()
 * for each term kept, but on a handle on several databases each term's
 * list is read only from the databases that hold it: opened on the
 * combined database, every list reads every database's B-tree (on a
 * build of all Reuters files, 37 of them, a third of the merge's time). */
typedef int (*xs_postlist_cb)(void *ctx, const char *term, size_t len, const uint32_t *docids,
                              size_t n);
int xs_db_prefix_postlists(xs_db *db, const char *prefix, size_t plen, uint32_t min_freq,
                           uint32_t max_freq, xs_postlist_cb cb, void *ctx) XS_NOEXCEPT;
/* The smallest and largest values in slot over all documents, copied with
 * malloc (NUL-terminated; "" when no document has the slot). After deletions
 * the bounds may be wider than the values that remain (Xapian keeps them
 * cheaply, not exactly). */
int xs_db_value_bounds(xs_db *db, unsigned slot, char **lo, char **hi) XS_NOEXCEPT;

/* ---- spelling ----
 * Xapian's spelling table: a vocabulary of surface words with frequencies,
 * kept beside the terms (which are stems) so that a misspelled query word
 * can be matched against real words. */

/* Adds word to the spelling table, or raises its frequency by freqinc (> 0).
 * A write: KBS_EREADONLY on a reader; committed with the documents. */
int xs_db_add_spelling(xs_db *db, const char *word, size_t len, uint32_t freqinc) XS_NOEXCEPT;
/* The most frequent word of the spelling table among those fewest edits
 * (insertions, deletions, substitutions, adjacent transpositions; at most
 * max_edit) away from word, copied with malloc into *out (NUL-terminated,
 * caller frees); *out = NULL when there is none, or when word itself is in
 * the table and more frequent than the best candidate. */
int xs_db_spelling_suggestion(xs_db *db, const char *word, size_t len, unsigned max_edit,
                              char **out) XS_NOEXCEPT;

/* The numbers BM25 works from, for explaining a score. */
typedef struct xs_term_stats {
    uint32_t wdf;      /* occurrences of the term in the document */
    uint32_t termfreq; /* documents holding the term */
    uint32_t doccount; /* documents in the database */
    double doclength;  /* the document's length (sum of its wdfs) */
    double avlength;   /* the average document length */
} xs_term_stats;

int xs_db_term_stats(xs_db *db, uint32_t docid, const char *term, size_t len,
                     xs_term_stats *out) XS_NOEXCEPT;

/* Calls cb (termfreq 0) for each term of q that document docid holds, in
 * sorted order: which words made a hit. */
int xs_db_matching_terms(xs_db *db, const xs_query *q, uint32_t docid, xs_term_cb cb,
                         void *ctx) XS_NOEXCEPT;

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
int xs_query_term(const char *term, size_t len, uint32_t wqf, uint32_t pos,
                  xs_query **out) XS_NOEXCEPT;
/* Inside XS_OP_PHRASE, the term q matches only at the places whose word
 * had the form tag form (0-255; xs_doc_add_posting): a quoted phrase's
 * words as written, where the term is their stem. Elsewhere the tag is not
 * read. KBS_EINVAL when q is not a term query. */
int xs_query_set_form(xs_query *q, unsigned form) XS_NOEXCEPT;
int xs_query_combine(int op, xs_query *const *subs, size_t n, uint32_t param,
                     xs_query **out) XS_NOEXCEPT;
int xs_query_scale(const xs_query *q, double factor, xs_query **out) XS_NOEXCEPT;
/* Documents whose value in slot is within [lo, hi] (string compare); lo or hi
 * may be NULL for an open end (both NULL: every document with a value there).
 * lo > hi matches nothing. */
int xs_query_value_range(unsigned slot, const char *lo, const char *hi, xs_query **out) XS_NOEXCEPT;
/* Terms starting with prefix, expanded to at most max_terms (the most
 * frequent ones; 0 = no limit), combined with OP_SYNONYM: the expansion is
 * scored as if it were one term. An empty prefix is KBS_EINVAL: it would
 * expand to every term of the index, prefixed fields included. */
int xs_query_wildcard(const char *prefix, size_t len, uint32_t max_terms,
                      xs_query **out) XS_NOEXCEPT;
/* Documents holding term more often than title_wdf times the wdf of
 * title_term (none: the term's own wdf counts): with title words indexed as
 * the body's terms at wdf title_wdf and again under a prefix, the documents
 * that hold the term in the body. Weighs nothing; combine it with the term
 * under FILTER or AND. */
int xs_query_body_only(const char *term, size_t len, const char *title_term, size_t tlen,
                       uint32_t title_wdf, xs_query **out) XS_NOEXCEPT;
/* Every document of the database (Xapian's MatchAll), for "everything except"
 * (-word alone) and queries that are only filters. Its weight is not
 * meaningful: scale it by 0 to keep it out of the ranking. */
int xs_query_match_all(xs_query **out) XS_NOEXCEPT;
void xs_query_free(xs_query *q) XS_NOEXCEPT;
/* A human-readable description of the query (Xapian's), malloc'd (caller
 * frees); NULL if q is NULL or memory ran out. */
char *xs_query_describe(const xs_query *q) XS_NOEXCEPT;

/* ---- searching ---- */

/* Accepts (non-zero) or rejects (0) a candidate document, given its stored
 * data. Called from inside Xapian's matcher; must not longjmp. */
typedef int (*xs_decider_fn)(void *ctx, uint32_t docid, const char *data, size_t len);

typedef struct xs_search_params {
    double k1, b; /* BM25 parameters (Xapian's BM25Weight k1 and b) */
    uint32_t offset;
    uint32_t limit;
    uint32_t check_at_least; /* count this many matches exactly at least */
    int sort_slot;           /* -1: by relevance; else by this value slot */
    int sort_reverse;        /* with sort_slot: non-zero for descending */
    xs_decider_fn decider;   /* NULL, or a filter on candidates (slow: data is read) */
    void *decider_ctx;
    /* Non-zero: at most one match per distinct non-empty value of slot
     * collapse_slot (Xapian's collapse key); documents without the value are
     * never collapsed. */
    int collapse;
    unsigned collapse_slot;
    /* Counts of the values of these slots over every match (Xapian's
     * ValueCountMatchSpy): after the search, spy_cb is called once per slot
     * and distinct non-empty value, in ascending order of value. Pair with
     * check_at_least = UINT32_MAX for counts over the whole match set. */
    const unsigned *spy_slots;
    size_t nspy_slots;
    int (*spy_cb)(void *ctx, unsigned slot, const char *value, size_t len, uint64_t count);
    void *spy_ctx;
    /* Non-zero: weigh terms with the lengths xs_db_norms_load read, if it
     * did, for the revision the handle reads at the search's start (load
     * them just before); a search that had to reopen runs without them,
     * and the caller runs again one whose revision moved (see there). */
    int norms;
} xs_search_params;

typedef struct xs_match {
    uint32_t docid;
    double weight;
    uint32_t collapsed; /* with collapse: matches hidden behind this one (a lower bound) */
} xs_match;

typedef struct xs_search_result {
    uint64_t estimated; /* matches estimated */
    uint64_t lower;     /* lower bound */
    uint64_t upper;     /* upper bound */
    size_t n;           /* entries written to matches */
    /* The candidates of q's phrases and NEARs whose positions were read, and
     * how many of them matched (summed over them all; 0 without any). The
     * estimate assumes, before the match, that 1 in XS_POSITIONS_EST_DIV
     * does: a caller that knows every phrase is required (in an AND at the
     * query's top) can scale it by what was seen instead. */
    uint64_t pos_checked, pos_matched;
    /* How many of them led the match: a word asked in a form its stem's
     * articles seldom hold, whose chunks were walked for that form instead
     * of the words' AND being checked. */
    uint64_t pos_led;
    /* Candidates turned away by their weight before their positions were
     * read (they could not make the page), not counted above; of a sample
     * of them, how many were read and matched. */
    uint64_t pos_light, pos_light_checked, pos_light_matched;
} xs_search_result;
#define XS_POSITIONS_EST_DIV 4

/* Runs q with BM25 (k1, b; k3 = 1, min_normlen = 0.5), equal weights in
 * ascending docid order; writes at most params->limit matches into matches[]
 * (which may be NULL when limit is 0) and the counts into *res. */
int xs_db_search(xs_db *db, const xs_query *q, const xs_search_params *params, xs_match *matches,
                 xs_search_result *res) XS_NOEXCEPT;

/* ---- whole-database maintenance (kbsearch check and compact) ---- */

/* Calls cb for every document id, in ascending order. cb returns non-zero to
 * stop early (still KBS_OK). */
typedef int (*xs_docid_cb)(void *ctx, uint32_t docid);
int xs_db_alldocs(xs_db *db, xs_docid_cb cb, void *ctx) XS_NOEXCEPT;
/* Sets *has to 1 if document docid has a record (see xs_doc_set_data),
 * whether or not the document exists, else 0. */
int xs_db_has_record(xs_db *db, uint32_t docid, int *has) XS_NOEXCEPT;
/* Writes docid's record alone, the document untouched (len 0 deletes it):
 * for tests that make a record outlive its article. A write. */
int xs_db_put_record(xs_db *db, uint32_t docid, const char *data, size_t len) XS_NOEXCEPT;
/* Calls cb for every term of document docid that starts with prefix (NULL
 * with plen 0: every term), in sorted order, with the term's frequency in
 * the whole database. KBS_ENOTFOUND if there is no such document. */
int xs_db_doc_terms(xs_db *db, uint32_t docid, const char *prefix, size_t plen, xs_term_cb cb,
                    void *ctx) XS_NOEXCEPT;
/* Replaces document docid with doc as it is (no id term needed, unlike
 * xs_db_replace): for repairs, and for tests that need a damaged index. */
int xs_db_replace_docid(xs_db *db, uint32_t docid, xs_doc *doc) XS_NOEXCEPT;
/* Replaces document docid with doc. When doc's values are the stored
 * document's (its slot keep_slot aside, which then stays as stored), the
 * values are not written at all (*kept = 1): glass rewrites all of a
 * document's value chunks on any replace, so an update that changed only
 * the text copied a block of every value stream (bench/README.md, format
 * 6). Otherwise a plain replace (*kept = 0). KBS_ENOTFOUND if there is no
 * such document. A write: KBS_EREADONLY on a reader. */
int xs_db_update(xs_db *db, uint32_t docid, xs_doc *doc, unsigned keep_slot, int *kept) XS_NOEXCEPT;
/* Sets (len > 0) or removes (len 0) the value in slot of the stored
 * document docid, leaving everything else as it is: Xapian 1.4 then
 * rewrites the document's values only (in glass: its value chunks and the
 * entry listing its slots), not its terms, postings or positions (the
 * document is read and replaced on the same handle, which its "modify
 * shortcut" recognises: GlassWritableDatabase::replace_document). Glass
 * replaces all of a document's values at once.
 * KBS_ENOTFOUND if there is no such document. A write: KBS_EREADONLY on a
 * reader. */
int xs_db_set_doc_value(xs_db *db, uint32_t docid, unsigned slot, const char *val,
                        size_t len) XS_NOEXCEPT;
/* Calls cb for every document that holds term, in ascending docid order.
 * cb returns non-zero to stop early (still KBS_OK). */
int xs_db_postlist(xs_db *db, const char *term, size_t len, xs_docid_cb cb, void *ctx) XS_NOEXCEPT;
/* Calls cb for every document with a value in slot (Xapian's value
 * stream), in ascending docid order, with the value (valid only during the
 * call). cb returns non-zero to stop early. */
typedef int (*xs_value_cb)(void *ctx, uint32_t docid, const char *val, size_t len);
int xs_db_values(xs_db *db, unsigned slot, xs_value_cb cb, void *ctx) XS_NOEXCEPT;
/* Relevance feedback: the max_terms terms that best tell the documents
 * docids[0..n) (the relevance set) from the rest of the database (Xapian's
 * Enquire::get_eset), best first, passed to cb with their expand weight.
 * accept (may be NULL) says which terms may be used: a non-zero return
 * keeps the term. */
typedef int (*xs_term_filter)(void *ctx, const char *term, size_t len);
typedef int (*xs_weighted_term_cb)(void *ctx, const char *term, size_t len, double weight);
int xs_db_expand(xs_db *db, const uint32_t *docids, size_t n, uint32_t max_terms,
                 xs_term_filter accept, void *accept_ctx, xs_weighted_term_cb cb,
                 void *ctx) XS_NOEXCEPT;
/* Xapian's own consistency check (Xapian::Database::check) of the glass
 * database in folder path, as last committed: *errors receives the number of
 * errors it found, and *report (if report is not NULL; malloc'd,
 * NUL-terminated, caller frees) what it printed about them. Damage the
 * checker stops at counts as one error, with its message in the report. A
 * folder that holds no database to check is a failure (KBS_ENOTFOUND,
 * KBS_EFOREIGN), with the message in err. */
int xs_db_check(const char *path, uint64_t *errors, char **report, char *err,
                size_t errlen) XS_NOEXCEPT;
/* Writes a compacted copy of db's last committed revision into the folder
 * dest (created; it must not hold a database): Xapian's compact() with
 * blocks packed full and the document ids kept. The copy is not fsync()ed:
 * the caller syncs it before relying on it. */
int xs_db_compact(xs_db *db, const char *dest) XS_NOEXCEPT;
/* Merges the databases in the folders sources[0..n) into one compacted
 * database in the folder dest (created; it must not hold a database), blocks
 * packed full: how a build split between processes becomes one index. The
 * document ids are kept, so the sources must use disjoint ranges of ids
 * (KBS_EINVAL otherwise). A metadata key held by several sources gets the
 * value of the first that has it; spelling tables are merged (frequencies
 * added). The result is not fsync()ed: the caller syncs it before relying
 * on it. On failure the message goes to err (as for xs_db_open). */
int xs_compact_merge(const char *const *sources, size_t n, const char *dest, char *err,
                     size_t errlen) XS_NOEXCEPT;

/* Xapian 1.4.22 can end the process with std::terminate, which no handler
 * of the shim can catch: a commit merges the value streams in an object
 * (glass's ValueUpdater) whose destructor writes to the table, so a write
 * that fails there (a full disk, a file size limit) throws out of a
 * destructor. For a process of the library's own (a build worker), this
 * has fn called instead of the default abort, with the exception mapped to
 * a status and a message as any other failure of the shim is (a full disk:
 * KBS_EIO); fn must end the process (_exit), else abort() does. It sets the
 * process's std::terminate handler: never call it in the caller's process. */
typedef void (*xs_fatal_fn)(void *ctx, int status, const char *msg);
void xs_on_terminate(xs_fatal_fn fn, void *ctx) XS_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif
