/* db_internal.h - the kbs_db handle, shared by the modules that implement the
 * public API (db.c, index.c, search.c). Not installed. */
#ifndef KBS_DB_INTERNAL_H
#define KBS_DB_INTERNAL_H

#include <stdarg.h>
#include <stdint.h>

#include "buf.h"
#include "docstore.h"
#include "schema.h"
#include "kbsearch.h"
#include "spell.h"
#include "stem.h"
#include "xapian_shim.h"

/* The zstd level of the store: with the dictionary, level 5 makes the store
 * 4% smaller than level 3 and still packs at ~30 MB/s. */
#define STORE_LEVEL 5

/* The writer lock's file inside an index folder (it holds the writer's pid). */
#define LOCK_NAME "kbsearch.lock"

struct kbs_db {
    xs_db *xdb;
    char *path; /* the index folder */
    int writable;
    int lock_fd; /* our writer lock (kbsearch.lock), -1 for readers */
    stemmer *stem;
    docstore *store;
    spell_collector *spell;   /* words of the uncommitted articles; NULL for readers */
    int spell_lazy;           /* a batch commit in a run: the spelling table may wait */
    size_t pos_hold;          /* a worker's scratch build: its batch commits may hold
                                 up to this many bytes of positions (xs_db_commit_holding) */
    uint32_t pending;         /* documents changed since the last commit */
    uint32_t pending_removed; /* of those, the ones removed */
    uint64_t pending_text;    /* bytes of text of those added or updated (room.h) */
    int64_t text_bytes_delta; /* running totals not yet written to metadata */
    int64_t store_bytes_delta;
    int has_dict; /* the store's dictionary is set (META_ZDICT) */
    /* Parallel builds (index.c); 0 means the default. For tests and tuning. */
    uint32_t parallel_min_files;   /* fewest new files for one */
    uint32_t parallel_chunk_files; /* new files per scratch database */
    unsigned workers;              /* worker processes */
    uint32_t dedup_bulk_min;       /* fewest noted articles for dedup's walk over the terms */
    size_t error_offset;           /* of the last KBS_EQUERY, else (size_t)-1 */
    struct dedup_notes *dedup;     /* what the next dedup_pass() looks at (dedup.c) */
    int dedup_off;                 /* a parallel build's worker: no grouping here */
    /* A parallel build: a worker logs its articles' sentence hashes in
     * sents_log (index.c), and the parent's grouping finds them through
     * sents_find (build.c) instead of reading every candidate's stored
     * text: that was 2 s of the 4 s of grouping all 106,494 Reuters
     * files, the parent alone on one core at the build's end
     * (bench/README.md, session 17). sents_find returns 1 with *out
     * (malloc'd, NULL when *n is 0) and *n, 0 when it does not know the
     * article, -1 when out of memory. NULL elsewhere. */
    buf *sents_log;
    int (*sents_find)(void *ctx, uint32_t docid, uint64_t **out, size_t *n);
    void *sents_ctx;
    struct story_map *stories; /* a reader's stories, for collapsing (search.c) */
    uint64_t search_calls;     /* kbs_search() and the like called on the handle */
    char errmsg[1024];
    /* Tests: commits skip the room check (room.h), to meet Xapian's own
     * failure of a write, which a disk filled by another process between
     * the check and the commit still causes. */
    int room_unchecked;
};

/* Records an error on the handle and returns status (printf-style message). */
int db_fail(kbs_db *db, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* KBS_EREADONLY for a change asked of a read-only handle, with the message
 * naming the index. */
int db_fail_readonly(kbs_db *db);
/* Records the shim's last error message with a context prefix; returns status. */
int db_fail_shim(kbs_db *db, int status, const char *what);
/* Clears the handle's error. */
void db_clear_error(kbs_db *db);

/* The id term for a key: PFX_ID and the key's 128-bit hash (schema.h). key
 * may point into out. */
void db_id_term(const char *key, size_t len, buf *out);
/* The key article docid was indexed under, exactly (SLOT_KEY, else the path
 * of SLOT_META). Returns a kbs status (the shim's, or KBS_ENOMEM); the
 * handle's message is not set. */
int db_article_key(kbs_db *db, uint32_t docid, buf *out);

/* What a stored record counts in the store's size: all of it but its tag
 * (the change-detection state, index.c), which is not the original's. */
size_t db_store_len(const char *rec, size_t len);

/* Commits if writable, folding running totals into the metadata. */
int db_commit(kbs_db *db);

/* Reads the metadata integer key (0 if missing). */
int db_meta_u64(kbs_db *db, const char *key, uint64_t *out);

/* Splits a SLOT_META value into fields (pointers into v, which is modified:
 * separators become NULs). Missing fields point at "". */
void db_split_meta(char *v, size_t len, const char *fields[MF_COUNT]);

/* ---- replacing the index with a new copy of it (compact.c) ---- */

/* Sets out to "<parent>/<name><mark><pid>", a new folder beside the index
 * (which is "<parent>/<name>"), after removing the ones with this mark that
 * processes now gone left there. Needs the writer lock. */
int db_sibling_path(kbs_db *db, const char *mark, buf *out);
/* Makes copy, a whole index in a folder beside the index written by this
 * process, the index: syncs it, checks that it holds count articles, swaps
 * it in atomically with the writer lock kept, reopens the handle on it and
 * removes the old index. On failure the index is unchanged (and open) and
 * copy is removed. */
int db_install_copy(kbs_db *db, const char *copy, uint32_t count);
/* The number of articles in the index, or the handle's error ("counting
 * articles"). */
int db_doc_count(kbs_db *db, uint32_t *count);
/* Removes a folder and everything under it (best effort). */
void db_remove_tree(const char *path);

#endif
