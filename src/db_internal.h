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

struct kbs_db {
    xs_db *xdb;
    char *path; /* the index folder */
    int writable;
    int lock_fd; /* our writer lock (kbsearch.lock), -1 for readers */
    stemmer *stem;
    docstore *store;
    spell_collector *spell; /* words of the uncommitted articles; NULL for readers */
    uint32_t pending;         /* documents changed since the last commit */
    int64_t text_bytes_delta; /* running totals not yet written to metadata */
    int64_t store_bytes_delta;
    size_t error_offset; /* of the last KBS_EQUERY, else (size_t)-1 */
    char errmsg[1024];
};

/* Records an error on the handle and returns status (printf-style message). */
int db_fail(kbs_db *db, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Records the shim's last error message with a context prefix; returns status. */
int db_fail_shim(kbs_db *db, int status, const char *what);
/* Clears the handle's error. */
void db_clear_error(kbs_db *db);

/* The id term for a key (PFX_ID + key, or shortened with a hash). */
void db_id_term(const char *key, size_t len, buf *out);

/* Commits if writable, folding running totals into the metadata. */
int db_commit(kbs_db *db);

/* Reads the metadata integer key (0 if missing). */
int db_meta_u64(kbs_db *db, const char *key, uint64_t *out);

/* Splits a SLOT_META value into fields (pointers into v, which is modified:
 * separators become NULs). Missing fields point at "". */
void db_split_meta(char *v, size_t len, const char *fields[MF_COUNT]);

#endif
