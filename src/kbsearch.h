/*
 * kbsearch.h - the kbsearch library: index and search news archives.
 *
 * This is the only public header. It is the manual: every function says what
 * it takes, which statuses it returns, and who frees what.
 *
 * Conventions (they hold for every function below unless it says otherwise):
 *
 *  - Every fallible function returns an int status: KBS_OK (0) on success, a
 *    KBS_E* value otherwise. Results come back through the last (out)
 *    parameters, which are left untouched on failure.
 *  - Text comes in as UTF-8. Invalid bytes are replaced with U+FFFD, never
 *    trusted.
 *  - A handle remembers the detail of its last error: kbs_db_errmsg().
 *    kbs_strerror() gives the fixed text of a status.
 *  - Every *_free() and kbs_db_close() accept NULL and do nothing.
 *  - The library never prints, never exits, and never calls setlocale().
 *
 * Threads: one handle is used by one thread at a time. Distinct handles are
 * independent, so a process may hold one writer and several readers of the
 * same index, each in its own thread.
 */
#ifndef KBSEARCH_H
#define KBSEARCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(KBS_BUILDING_LIBRARY) && defined(__GNUC__)
#define KBS_API __attribute__((visibility("default")))
#else
#define KBS_API
#endif

#define KBS_VERSION_MAJOR 0
#define KBS_VERSION_MINOR 1
#define KBS_VERSION_PATCH 0
#define KBS_VERSION_NUMBER (KBS_VERSION_MAJOR * 10000 + KBS_VERSION_MINOR * 100 + KBS_VERSION_PATCH)

/* The version of the library actually linked, as KBS_VERSION_NUMBER. */
KBS_API unsigned kbs_version_number(void);
/* The same as "MAJOR.MINOR.PATCH"; a static string. */
KBS_API const char *kbs_version_string(void);

/*
 * Status codes. Their values never change once released; new ones are only
 * ever added at the end.
 */
enum kbs_status {
    KBS_OK = 0,
    KBS_EINVAL = 1,     /* an argument is NULL, out of range or malformed */
    KBS_ENOMEM = 2,     /* an allocation failed; nothing was changed */
    KBS_EIO = 3,        /* reading or writing a file failed (see the message) */
    KBS_ENOTFOUND = 4,  /* no such index, document, file or folder */
    KBS_ELOCKED = 5,    /* another process is updating the index */
    KBS_ECORRUPT = 6,   /* the index or a stored document is damaged */
    KBS_EFOREIGN = 7,   /* the folder is not a kbsearch index, or of another format version */
    KBS_EQUERY = 8,     /* the query could not be parsed (see kbs_results / message) */
    KBS_EINPUT = 9,     /* an input file cannot be indexed (binary, too large, unreadable) */
    KBS_EREADONLY = 10, /* a write was asked of a handle opened read-only */
    KBS_EBACKEND = 11,  /* the search backend failed in an unexpected way */
    KBS_EINTERNAL = 12  /* a bug in kbsearch: please report the message */
};

/* Fixed English text for a status; never NULL, a static string. */
KBS_API const char *kbs_strerror(int status);

/* Frees memory the library handed to the caller (buffers, messages). */
KBS_API void kbs_free(void *ptr);

/* ---------------------------------------------------------------------- */
/* Opening an index                                                        */
/* ---------------------------------------------------------------------- */

typedef struct kbs_db kbs_db;

#define KBS_OPEN_READ 0u   /* search, show, stats */
#define KBS_OPEN_WRITE 1u  /* also index and delete; takes the writer lock */
#define KBS_OPEN_CREATE 2u /* with KBS_OPEN_WRITE: create the index if missing */

/*
 * Opens the index in folder `path`.
 *
 * On success *db_out is a handle the caller closes with kbs_db_close().
 * On failure, if errmsg_out is not NULL, *errmsg_out receives a message that
 * says what went wrong and what to do (caller frees with kbs_free()); it may be
 * set to NULL when out of memory.
 *
 * Returns KBS_OK, KBS_EINVAL (path or db_out NULL, path empty, a flag not
 * above, or KBS_OPEN_CREATE without KBS_OPEN_WRITE), KBS_ENOMEM,
 * KBS_ENOTFOUND (no index there and no KBS_OPEN_CREATE), KBS_ELOCKED (a writer is already at work:
 * the message names its process id; when that writer is gone but a worker of
 * its parallel build still holds the lock, the open waits up to 2 s for it), KBS_EFOREIGN (not a
 * kbsearch index, or written by an incompatible version), KBS_ECORRUPT, KBS_EIO, KBS_EBACKEND.
 */
KBS_API int kbs_db_open(const char *path, unsigned flags, kbs_db **db_out, char **errmsg_out);

/*
 * Commits pending changes (if writable), releases the lock and frees the
 * handle. Returns the status of that last commit: a non-OK status means the
 * changes since the last successful commit were not saved (what was committed
 * before is intact). NULL is fine and returns KBS_OK.
 */
KBS_API int kbs_db_close(kbs_db *db);

/*
 * The detail of the last error on this handle, or "" if none. Valid until the
 * next call on this handle.
 */
KBS_API const char *kbs_db_errmsg(const kbs_db *db);

/*
 * For the last KBS_EQUERY on this handle: the byte offset in the query where
 * the problem is (to point at it); (size_t)-1 if the last error was not a
 * query error.
 */
KBS_API size_t kbs_db_error_offset(const kbs_db *db);

/* ---------------------------------------------------------------------- */
/* Indexing                                                               */
/* ---------------------------------------------------------------------- */

/* What happened to one file, reported through kbs_index_event. */
enum kbs_event_kind {
    KBS_EVENT_ADDED = 1,     /* a new article was indexed */
    KBS_EVENT_UPDATED = 2,   /* a changed file was re-indexed */
    KBS_EVENT_UNCHANGED = 3, /* nothing to do */
    KBS_EVENT_REMOVED = 4,   /* its file is gone: dropped from the index */
    KBS_EVENT_SKIPPED = 5,   /* not indexed: see status and message */
    KBS_EVENT_PROGRESS = 6   /* periodic: counts only, path is NULL */
};

typedef struct kbs_index_event {
    int kind;             /* enum kbs_event_kind */
    const char *path;     /* the file (absolute), or NULL for PROGRESS */
    int status;           /* for SKIPPED: why (KBS_EINPUT, KBS_EIO, ...) */
    const char *message;  /* for SKIPPED: what is wrong and what to do; else NULL */
    uint64_t files_done;  /* files looked at so far */
    uint64_t files_total; /* files found under the folder */
    uint64_t bytes_done;  /* bytes of the files looked at so far */
} kbs_index_event;

/*
 * Called for each file and periodically. The pointers are valid only during
 * the call. Return 0 to go on, non-zero to stop the run early (what was
 * indexed so far is committed).
 */
typedef int (*kbs_index_callback)(void *ctx, const kbs_index_event *event);

/* Totals of one indexing run. */
typedef struct kbs_index_report {
    uint64_t added;
    uint64_t updated;
    uint64_t unchanged;
    uint64_t removed;
    uint64_t skipped;
    uint64_t bytes_indexed; /* bytes of the files added or updated */
    double seconds;         /* wall time of the run */
} kbs_index_report;

typedef struct kbs_index_options {
    kbs_index_callback callback; /* may be NULL */
    void *callback_ctx;
    uint64_t max_file_bytes; /* larger files are skipped; 0 means the default (16 MiB) */
    uint32_t batch_docs;     /* documents per commit; 0 means the default (1000) */
    /* Worker processes of a parallel build (see kbs_index_dir); 0 means one
     * per core. At most 4 are used. */
    uint32_t workers;
    /* The most memory, in MiB, that the run's processes (the caller and its
     * workers together) should hold for indexing; 0 means the default (512).
     * At least 64 (KBS_EINVAL below). How it is kept: each process commits
     * its batch once the text it has buffered reaches its share of the
     * budget (Xapian's in-memory inverter takes about ten times the text);
     * what does not depend on the batch (the program and its libraries, the
     * stemmer's and the spelling collector's tables, about 50 MiB a process)
     * is counted first. Not counted: the list of the folder's files, about
     * 200 bytes per file (20 MiB for 100,000 files). Smaller budgets mean
     * more, smaller commits: slower, never wrong. */
    uint32_t max_memory_mb;
} kbs_index_options;

/* Fills *opts with the defaults. Always use it before setting fields. */
KBS_API void kbs_index_options_init(kbs_index_options *opts);

/*
 * Indexes every regular file under folder `dir`, recursively (names starting
 * with '.' are skipped), and makes the index match it: new files are added,
 * changed files (size, mtime or content) re-indexed, and articles whose files
 * under `dir` are gone are removed. Commits in batches and at the end; a crash
 * leaves the index at its last commit.
 *
 * `opts` may be NULL (defaults). `report` may be NULL.
 * Files that cannot be indexed are reported as SKIPPED events and counted;
 * they do not fail the run.
 *
 * A run that brings many new files (2,000 or more, and at least a quarter of
 * what the index holds) forks up to two worker processes that index them into
 * scratch databases beside the index; the result is merged by Xapian's
 * compaction and swapped in atomically. It then needs free disk space beside
 * the index for the scratch build and the merged copy. The callback runs only
 * in the calling process, and the events of the new files come after the
 * others. Article ids are those a sequential run would give.
 *
 * Returns KBS_OK, KBS_EINVAL, KBS_EREADONLY, KBS_ENOTFOUND (no such folder),
 * KBS_EIO, KBS_ENOMEM, KBS_EBACKEND.
 */
KBS_API int kbs_index_dir(kbs_db *db, const char *dir, const kbs_index_options *opts,
                          kbs_index_report *report);

/*
 * Indexes one article from memory under the key `path` (any string naming it,
 * usually its file's absolute path), replacing an article with the same key.
 * `mtime_ns` is recorded for change detection (0 if unknown).
 * On success *docid_out (if not NULL) is the article's id.
 *
 * Returns KBS_OK, KBS_EINVAL, KBS_EREADONLY, KBS_EINPUT (binary data), KBS_ENOMEM,
 * KBS_EBACKEND. Not committed until kbs_db_commit() or kbs_db_close().
 *
 * Stories (near-duplicates, see kbs_search_options.all_versions) are worked
 * out when the changes are committed: kbs_db_commit() and kbs_db_close()
 * group the articles indexed or deleted since the last commit, so
 * kbs_versions() knows of them from then on. kbs_index_dir() does the same
 * at each of its commits (every batch, and the end of the run).
 */
KBS_API int kbs_index_buffer(kbs_db *db, const char *path, const char *data, size_t len,
                             int64_t mtime_ns, uint32_t *docid_out);

/*
 * The fields of an article that its indexer knows better than its text does,
 * for kbs_index_buffer_meta(): a title, category or date kept beside a plain
 * text, say. Every string is NUL-terminated UTF-8 (invalid bytes are
 * replaced), read only during the call. A NULL field is taken from the text,
 * as kbs_index_buffer() takes it; "" means the article has no such field
 * (whatever the text says).
 *
 * Always fill it with kbs_article_meta_init() first: it sets `size` to the
 * size of the struct this header declares, so that a library built with more
 * fields at the end knows which ones the caller has (those past `size` count
 * as NULL), and a caller built against this header keeps working with it.
 */
typedef struct kbs_article_meta {
    size_t size;          /* sizeof(kbs_article_meta); set by kbs_article_meta_init() */
    const char *title;    /* shown on hits, searched with title: and weighted as a title */
    const char *category; /* "Economy": category: searches and the category facet */
    const char *written;  /* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS": the date filters,
                             --sort and the month facet */
    const char *updated;  /* likewise, for updated: */
    const char *byline;   /* the reporter: by: searches */
    int64_t mtime_ns;     /* recorded for change detection, as for kbs_index_buffer (0 if
                             unknown) */
} kbs_article_meta;

/* Sets every field to NULL (0 for mtime_ns) and `size` to sizeof *meta.
 * NULL is fine and does nothing. */
KBS_API void kbs_article_meta_init(kbs_article_meta *meta);

/*
 * kbs_index_buffer() with the caller's fields: `meta`'s non-NULL fields
 * replace those the text gives; `meta` NULL is kbs_index_buffer(db, path,
 * data, len, 0, docid_out). The text is parsed as for kbs_index_buffer(): a
 * KBS page keeps its layout (chrome left out); in a plain text with a
 * caller's title, the text's first line is the first words of the body
 * (searched, phrases included, and shown in snippets as body text).
 *
 * Returns what kbs_index_buffer() does, and KBS_EINVAL when meta->size is
 * not one kbs_article_meta_init() sets (0, or larger than this library's
 * struct: a header newer than the library), or when `written` or `updated`
 * is not a valid "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS" date: the message
 * names the field and its value.
 */
KBS_API int kbs_index_buffer_meta(kbs_db *db, const char *path, const char *data, size_t len,
                                  const kbs_article_meta *meta, uint32_t *docid_out);

/*
 * Indexes the one file `path`, as kbs_index_dir() indexes each file of a
 * folder: its key is the file's absolute path (its folder's symbolic links
 * resolved, not its own name's, as kbs_index_dir() names it), and
 * a file whose size and modification time are those recorded when it was
 * indexed, or whose content is the same, is not read again or written
 * (*changed_out 0). A new or changed file is indexed (*changed_out 1).
 *
 * Of `opts` (NULL: the defaults) only max_file_bytes applies, and the
 * callback, which gets the file's one event (ADDED, UPDATED, UNCHANGED or
 * SKIPPED; its return value is ignored). On success *docid_out (if not
 * NULL) is the article's id and *changed_out (if not NULL) says whether the
 * index changed. Not committed until kbs_db_commit() or kbs_db_close(),
 * like kbs_index_buffer().
 *
 * What makes kbs_index_dir() skip a file is a status here, with a message
 * that names the file and what to do (the version indexed earlier, if any,
 * is kept):
 * KBS_EINPUT (empty, larger than max_file_bytes, binary data: the message
 * gives the offset of the first byte that is not text), KBS_EIO (cannot be
 * opened or read: permissions). Also KBS_OK, KBS_EINVAL (NULL or empty
 * path; a folder: use kbs_index_dir()), KBS_ENOTFOUND (no such file),
 * KBS_EREADONLY, KBS_ENOMEM, KBS_EBACKEND.
 */
KBS_API int kbs_index_file(kbs_db *db, const char *path, const kbs_index_options *opts,
                           uint32_t *docid_out, int *changed_out);

/* Removes the article with key `path`. KBS_ENOTFOUND if there is none. */
KBS_API int kbs_delete(kbs_db *db, const char *path);

/* Makes the changes so far durable. KBS_EREADONLY on a read-only handle. */
KBS_API int kbs_db_commit(kbs_db *db);

/* ---------------------------------------------------------------------- */
/* Searching                                                              */
/* ---------------------------------------------------------------------- */

typedef struct kbs_results kbs_results;

/* How the words of a query combine (kbs_search_options.match). */
enum kbs_match {
    KBS_MATCH_ALL = 0, /* every word must match; if no article has them all, any word
                          (kbs_results_fallback() says so) */
    KBS_MATCH_ANY = 1  /* any word may match, ranked by how well: for long
                          natural-language queries; +word is still required */
};

/* Order of the hits (kbs_search_options.sort). */
enum kbs_sort { KBS_SORT_RELEVANCE = 0, KBS_SORT_NEWEST = 1, KBS_SORT_OLDEST = 2 };

typedef struct kbs_search_options {
    uint32_t offset;        /* skip this many hits */
    uint32_t limit;         /* at most this many hits; 0 means the default (10) */
    uint32_t snippet_len;   /* snippet length in characters; 0 means the default (200) */
    int no_snippets;        /* non-zero: do not compute snippets (faster) */
    int match;              /* enum kbs_match */
    int sort;               /* enum kbs_sort; by the written date for NEWEST/OLDEST */
    int exact_count;        /* non-zero: kbs_results_total() is exact, not an estimate */
    int explain;            /* non-zero: kbs_results_explain() describes each hit's score */
    double bm25_k1;         /* BM25 k1 (term frequency saturation); < 0 means the default */
    double bm25_b;          /* BM25 b (length normalisation, 0..1); < 0 means the default */
    double title_weight;    /* ignored since index format 4: a title word weighs more than a
                               body word through its indexed frequency (schema) */
    uint32_t max_expansion; /* most terms a prefix (secur*) expands to; 0 means the default */
    uint32_t fragments;     /* most passages per snippet, joined by " … " in document
                               order, snippet_len characters in all; 0 means the default (2) */
    int all_versions;       /* non-zero: every version of a story is a hit of its own;
                               by default near-duplicates (the same story updated or
                               re-filed) show as one hit with kbs_hit.versions */
    int facets;             /* non-zero: count the whole match set by category and by
                               month (kbs_results_facet()); costs a pass over every match */
} kbs_search_options;

/* Fills *opts with the defaults. Always use it before setting fields. */
KBS_API void kbs_search_options_init(kbs_search_options *opts);

/*
 * Runs `query` (UTF-8, `query_len` bytes) and hands back the best hits.
 *
 * The query language (also in the README):
 *   words           all must match (KBS_MATCH_ALL); stems match, so "cooperate"
 *                   finds "cooperation"; common words ("the", "of") are ignored
 *                   outside phrases
 *   "a phrase"      the words in this order, in these exact forms (not stemmed)
 *   AND OR NOT ( )  boolean operators in capitals, with parentheses; -word
 *                   excludes, +word requires (also in KBS_MATCH_ANY)
 *   a NEAR/5 b      a and b within 5 words of each other (NEAR alone: 10)
 *   secur*          words starting with "secur" (the most frequent ones, up to
 *                   max_expansion; kbs_results_notes() says when it was cut)
 *   title: body: by: fields (by: is the reporter); category:economy and the
 *                   dates filter without changing the ranking
 *   date:2019-08-01 date:2019-08 date:2019 date:2019-08-01..2019-08-31
 *   date:..2019-08-31 after:2019-08-01 before:2019-09-01 (on the written date;
 *                   updated: works the same on the Updated: timestamp)
 *
 * On success *results_out holds the hits; the caller frees it with
 * kbs_results_free(). The results stay valid after kbs_db_close().
 *
 * Returns KBS_OK (also when nothing matched: then kbs_results_count() is 0),
 * KBS_EINVAL, KBS_EQUERY (the message says what was expected;
 * kbs_db_error_offset() says where), KBS_ENOMEM, KBS_ECORRUPT, KBS_EBACKEND.
 */
KBS_API int kbs_search(kbs_db *db, const char *query, size_t query_len,
                       const kbs_search_options *opts, kbs_results **results_out);

/* A highlighted span of a snippet: byte offset and length within the snippet. */
typedef struct kbs_span {
    uint32_t start;
    uint32_t len;
} kbs_span;

/* One hit. Every pointer is valid until kbs_results_free(); strings are
 * NUL-terminated UTF-8, "" when the article has no such field. */
typedef struct kbs_hit {
    uint32_t id;      /* the article's id (for kbs_show) */
    uint32_t rank;    /* 1 for the best hit */
    double score;     /* BM25 score; larger is better */
    const char *path; /* the file the article came from */
    const char *title;
    const char *category;
    const char *written;   /* ISO 8601 "YYYY-MM-DDTHH:MM:SS", or "" */
    const char *updated;   /* likewise */
    const char *snippet;   /* plain text; "" when snippets were off */
    const kbs_span *spans; /* the highlighted parts of snippet, in order; a matched
                              phrase is one span */
    size_t nspans;
    uint32_t versions;   /* other versions of this story among the matches, not shown as
                            hits of their own ("+N versions"); 0 with all_versions.
                            Exact with exact_count or when every match was seen;
                            else those among the best matches (a lower bound) */
    int snippet_is_lead; /* non-zero when no body word matched (only the title or
                            metadata did) and the snippet is the article's lead */
} kbs_hit;

/* Number of hits held (at most the limit). 0 for NULL. */
KBS_API size_t kbs_results_count(const kbs_results *results);
/* Estimated total number of matching articles; unless all_versions was
 * asked, a story counts once (exact with exact_count, as the hits do).
 * With a quoted phrase the index matches the words' stems where a word of
 * the same form tag stood (8 bits of a hash of the word as written), and
 * only the candidates a page needs are read to check the exact forms: the
 * estimate is then the count of articles whose positions matched, scaled
 * by the share of the candidates read that held the phrase (exact when
 * every candidate was read, never below the hits found). exact_count reads
 * every candidate: those whose positions and tags match ("last months":
 * 13,320 articles have the stems in a row on Reuters' 106,494; the tags let
 * through the 56 that hold the words, and only those are read). */
KBS_API uint64_t kbs_results_total(const kbs_results *results);
/* Non-zero if no article had all the words and the hits match any word. */
KBS_API int kbs_results_fallback(const kbs_results *results);
/*
 * Fills *hit with hit number `i` (0-based). Returns KBS_OK or KBS_EINVAL
 * (NULL or i out of range).
 */
KBS_API int kbs_results_get(const kbs_results *results, size_t i, kbs_hit *hit);
/*
 * A corrected query when the query found little or nothing and the index's
 * own words suggest a better spelling ("did you mean ...?"), or NULL.
 * Valid until kbs_results_free().
 */
KBS_API const char *kbs_results_suggestion(const kbs_results *results);
/*
 * Notes on how the query was read, one per line, e.g. that a prefix was cut
 * to its most frequent expansions or that words past the limit were ignored;
 * "" if none. Valid until kbs_results_free().
 */
KBS_API const char *kbs_results_notes(const kbs_results *results);
/*
 * With kbs_search_options.explain: the query as parsed (first line) and, for
 * hit i, the contribution of each term to its score and the weights applied,
 * as lines of text; "" otherwise. Valid until kbs_results_free().
 */
KBS_API const char *kbs_results_query(const kbs_results *results);
KBS_API const char *kbs_results_explain(const kbs_results *results, size_t i);
KBS_API void kbs_results_free(kbs_results *results);

/* Facets: counts over the whole match set (kbs_search_options.facets). */
enum kbs_facet_kind {
    KBS_FACET_CATEGORY = 0, /* by category as displayed; most frequent first, ties by name */
    KBS_FACET_MONTH = 1,    /* by "YYYY-MM" of the written date; oldest first; months
                               without a match inside the span are listed with 0 */
    KBS_FACET_YEAR = 2      /* by "YYYY"; oldest first, empty years inside the span with 0 */
};

typedef struct kbs_facet {
    const char *value; /* valid until kbs_results_free() */
    uint64_t count;    /* matching articles (each version of a story counts) */
} kbs_facet;

/* Number of values of facet `kind` (0 when facets were not asked, for NULL
 * or an unknown kind). Undated or uncategorised matches are not counted. */
KBS_API size_t kbs_results_facet_count(const kbs_results *results, int kind);
/* Fills *out with value i of facet `kind`. KBS_OK or KBS_EINVAL. */
KBS_API int kbs_results_facet(const kbs_results *results, int kind, size_t i, kbs_facet *out);

/*
 * Articles most like article `docid`: relevance feedback on its most telling
 * terms (Xapian's expand set from the article alone; title and body words,
 * a title word counting more, not numbers or stop words, and only words some
 * article outside its story also holds), run as an any-word query ranked by
 * BM25; snippets highlight them.
 * The article itself and its near-duplicates (its story) are never among
 * the hits. `opts` works as for kbs_search (limit, offset, snippets,
 * snippet_len, fragments, sort, all_versions, facets; match and explain are
 * ignored).
 * kbs_results_query() gives the terms used (stems, best first, separated by
 * spaces).
 * Returns KBS_OK, KBS_EINVAL, KBS_ENOTFOUND (no such article), KBS_ENOMEM,
 * KBS_ECORRUPT, KBS_EBACKEND.
 */
KBS_API int kbs_similar(kbs_db *db, uint32_t docid, const kbs_search_options *opts,
                        kbs_results **results_out);

/*
 * The other versions of the story article `docid` belongs to (its
 * near-duplicates, found at index time: articles that share most of their
 * sentences, word for word and figure for figure), newest first, the article
 * itself excluded; an article with no other version gives 0 hits.
 * `opts` works as for kbs_search (limit, offset, snippets, snippet_len,
 * fragments, facets); every version is a hit of its own, newest first,
 * whatever all_versions and sort say.
 * Returns KBS_OK, KBS_EINVAL, KBS_ENOTFOUND, KBS_ENOMEM, KBS_EBACKEND.
 */
KBS_API int kbs_versions(kbs_db *db, uint32_t docid, const kbs_search_options *opts,
                         kbs_results **results_out);

/* ---------------------------------------------------------------------- */
/* Articles and the store of originals                                     */
/* ---------------------------------------------------------------------- */

/*
 * Finds the id of the article indexed from `path` (the key given to
 * kbs_index_buffer, or the absolute path of a file indexed by kbs_index_dir).
 * Returns KBS_OK, KBS_EINVAL, KBS_ENOTFOUND, KBS_EBACKEND.
 */
KBS_API int kbs_lookup(kbs_db *db, const char *path, uint32_t *docid_out);

/*
 * The original bytes of article `docid`, exactly as they were indexed, from
 * the store (the file itself need not exist any more). On success *data_out
 * (caller frees with kbs_free(); NUL-terminated for convenience, the NUL not
 * counted) and *len_out are set.
 * Returns KBS_OK, KBS_EINVAL, KBS_ENOTFOUND, KBS_ECORRUPT, KBS_ENOMEM, KBS_EBACKEND.
 */
KBS_API int kbs_show(kbs_db *db, uint32_t docid, char **data_out, size_t *len_out);

/* What kbs_db_stats() reports. */
typedef struct kbs_stats {
    uint64_t documents;
    uint64_t text_bytes;    /* total size of the originals */
    uint64_t store_bytes;   /* total size of the compressed originals */
    uint64_t index_bytes;   /* size on disk of the whole index folder (store included) */
    char first_written[20]; /* "YYYY-MM-DDTHH:MM:SS", or "" if no dated article */
    char last_written[20];
} kbs_stats;

KBS_API int kbs_db_stats(kbs_db *db, kbs_stats *stats_out);

/* ---------------------------------------------------------------------- */
/* Checking and compacting                                                 */
/* ---------------------------------------------------------------------- */

/* What kbs_db_check() found. Plain data: nothing to free. */
typedef struct kbs_check_report {
    uint64_t documents;  /* articles checked */
    uint64_t text_bytes; /* total size of their originals, each decompressed and verified */
    uint64_t problems;   /* problems found; 0 means the index is sound */
    /* The first problems, one per line, each saying what is wrong and with
     * which article; the last line says how many more there are if they did
     * not all fit. "" when there are none. */
    char message[4096];
} kbs_check_report;

/*
 * Verifies the whole index and says what is wrong with it:
 *  - the format recorded in the index is the one this library reads;
 *  - every article has exactly one id term, that term finds it and no other
 *    article, and it matches the article's path;
 *  - every article's display fields and change-detection state parse;
 *  - every stored original unpacks (magic, length, checksum) to the length
 *    and content hash its state records;
 *  - the number of articles is what the index says it holds, and the running
 *    totals (text and store bytes, as kbs_db_stats() reports them) equal the
 *    sums over the articles;
 *  - every chunk of word positions decodes (article ids in order, no chunk
 *    of a word overlapping the next);
 *  - Xapian's own consistency check of its tables passes.
 *
 * It reads every article, so it takes about as long as reading the whole
 * store. On a writable handle the articles checked include changes not yet
 * committed, while Xapian's table check covers the last commit. Run it on a
 * read-only handle while no other process indexes: a writer that commits
 * meanwhile changes the index under the check, which may then report
 * articles that were only being replaced (check again to tell).
 *
 * Finding problems is not a failure: the call returns KBS_OK and
 * report_out->problems says how many (then run 'kbsearch index' on the
 * articles' folder again, or index into a new folder). A problem that stops
 * the checking of one article (a damaged table, say) is counted, and the
 * check goes on with the next.
 *
 * Returns KBS_OK (report filled), KBS_EINVAL, KBS_ENOMEM.
 */
KBS_API int kbs_db_check(kbs_db *db, kbs_check_report *report_out);

/*
 * Rewrites the index, store included, to its smallest and fastest form
 * (Xapian's compaction, with every block packed full) and swaps it in place
 * of the old one. Article ids do not change. Pending changes are committed
 * first.
 *
 * Needs a writable handle (the writer lock): KBS_EREADONLY otherwise. The
 * copy is written beside the index folder (as "<folder>.compact-<pid>"), so
 * the disk needs room for a second, smaller copy for a while. The swap is
 * atomic: whenever it is stopped (an error, a crash, a full disk), the index
 * folder holds either the old index or the whole new one, and on failure the
 * handle still works on the old one. Other processes that have the index
 * open keep reading the old copy until they open it again; the writer lock
 * stays with this handle throughout.
 *
 * Returns KBS_OK, KBS_EINVAL, KBS_EREADONLY, KBS_ENOMEM, KBS_EIO (a full disk,
 * among others: the message says), KBS_EBACKEND, KBS_EINTERNAL (the copy
 * lacked articles, and was not used).
 */
KBS_API int kbs_db_compact(kbs_db *db);

#ifdef __cplusplus
}
#endif

#endif /* KBSEARCH_H */
