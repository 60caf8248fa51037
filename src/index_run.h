/* index_run.h - one run of kbs_index_dir(), shared by index.c (the run and
 * the sequential path) and build.c (the parallel build of many new files).
 * Not installed. */
#ifndef KBS_INDEX_RUN_H
#define KBS_INDEX_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "db_internal.h"

struct file_entry {
    char *path; /* absolute */
    uint64_t size;
    int64_t mtime_ns;
};

struct file_list {
    struct file_entry *v; /* sorted by path */
    size_t n, cap;
};

/* The longest change-detection state (two base-128 numbers of 64 bits). */
#define STATE_MAX 20
/* Parses a record's tag as the state index.c writes (size and mtime_ns, in
 * v); 0, or -1 if it is not that. */
int state_parse(const char *s, size_t len, uint64_t v[2]);

/* What the index held for a file before this run. */
struct prior {
    uint32_t docid;  /* 0: nothing */
    uint64_t old[2]; /* size, mtime, as its record's tag says */
};

struct run {
    kbs_db *db;
    const kbs_index_options *opts;
    kbs_index_report rep;
    kbs_index_event ev;
    double last_progress;
    int stop;
    uint32_t batch;       /* documents per commit */
    uint64_t batch_bytes; /* commit once the text indexed since the last commit
                             (db->pending_text) reaches it (the memory budget) */
    uint64_t last_len;    /* bytes of the file just indexed */
    /* In a worker process of a parallel build, events go to sink instead of
     * the caller's callback (NULL elsewhere), naming the file by cur, its
     * index in the list; and the running totals are kept back in kept_*. */
    void (*sink)(struct run *r, int kind, int status, const char *msg);
    void *sink_ctx;
    size_t cur;
    int64_t kept_text, kept_store;
};

/* Reports an event (the callback, or the sink); a callback asking to stop
 * sets r->stop. */
void run_emit(struct run *r, int kind, const char *path, int status, const char *msg);
/* Counts and reports a file that is not indexed. */
void run_skip(struct run *r, const char *path, int status, const char *msg);
/* A PROGRESS event now and then (at most every 0.1 s), or now if last. */
void run_progress(struct run *r, int last);
/* Commits the batch. */
int run_commit(struct run *r);
/* A file read ahead of its visit (struct ahead). */
struct ahead_file {
    int read;   /* its visit reads it, and it was: st, data, len, err say how */
    int st;     /* read_file()'s status */
    char *data; /* the visit takes it over */
    size_t len;
    char err[300];
    int64_t mtime_ns;
    uint64_t old_size; /* the indexed version's size, if any (prior) */
    int known;         /* the index holds a version of it */
    int text;          /* found to be text, not binary, when its record was packed */
    buf rec;           /* its record, packed ahead (len 0: not, the visit packs it) */
};

/* The next files of a run, read and their records packed back to back
 * before they are indexed. zstd's dictionary (256 KiB) and its match tables
 * stay in the caches through a group: packed between two articles' indexing,
 * which evicts them, a record took 145-200 us instead of 50-90
 * (bench/README.md, session 17). A group holds at most AHEAD_MAX_FILES files
 * and about AHEAD_MAX_BYTES of text. */
#define AHEAD_MAX_FILES 64
#define AHEAD_MAX_BYTES (1u << 20)
struct ahead {
    size_t n;
    uint64_t bytes;
    struct ahead_file v[AHEAD_MAX_FILES];
};
/* Empties a (freeing what its visits did not take); a must be zeroed
 * before its first use. run_ahead_free() also frees its buffers. */
void run_ahead_reset(struct ahead *a);
void run_ahead_free(struct ahead *a);
/* Takes f (with what the index holds of it, p) into the group, reading it
 * if its visit would: 0 when the group is full and f was not taken (a
 * group always takes its first file). */
int run_ahead_take(struct run *r, struct ahead *a, const struct file_entry *f,
                   const struct prior *p);
/* Packs the records of the group's files that its visits will index. */
void run_ahead_pack(struct run *r, struct ahead *a);

/* Looks at one file: unchanged, new, changed, or not indexable, and indexes
 * it if it must. A new one goes under docid if that is not 0. pre: the file
 * as the group read it ahead (run_ahead_take), or NULL. */
int run_visit(struct run *r, const struct file_entry *f, const struct prior *p, uint32_t docid,
              struct ahead_file *pre);

/* Fills *out with what the index holds for the file at path (absolute):
 * docid 0 when nothing. idterm is scratch space. */
int run_prior(kbs_db *db, const char *path, buf *idterm, struct prior *out);

/* ---- build.c ---- */

/* Removes what a parallel build of this index that was killed left beside
 * it (a scratch folder that may be large). Needs the writer lock. */
void build_remove_leftovers(kbs_db *db);
/* Worker processes a parallel build of this run would start. */
unsigned build_workers(const struct run *r);
/* Whether nnew new files of new_bytes are worth a parallel build. */
int build_wanted(struct run *r, size_t nnew, uint64_t new_bytes);
/* Appends to a worker's log the hashes of article docid's sentences
 * (db->sents_log; a failure sticks to the buffer). */
void build_log_sents(buf *log, uint32_t docid, const uint64_t *h, size_t n);
/* Indexes the new files todo[0..ntodo) (indexes into files, in path order)
 * in worker processes and merges their work into the index. */
int build_parallel(struct run *r, const struct file_list *files, const size_t *todo, size_t ntodo);

#endif
