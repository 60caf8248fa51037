/* docstore.h - the store of originals: each article's exact bytes, compressed.
 *
 * A stored record is what this module packs; the index keeps the record as
 * the Xapian document's data, so the store commits atomically with the index
 * (an article is either searchable and showable, or absent) and a remote
 * Xapian shard (xapian-tcpsrv) serves it along with the postings.
 *
 * Record format (version 1):
 *   byte 0      : 0x4B ('K') magic
 *   byte 1      : format: 0 = stored raw, 1 = zstd frame, 2 = zstd with dictionary
 *   bytes 2..5  : original length, little-endian uint32
 *   bytes 6..13 : XXH3-64 of the original, little-endian (verified on unpack)
 *   then        : the payload (raw bytes or one zstd frame)
 * Format 6 of the index: byte 1 may have 0x80 set, and then a tag follows
 * the header, before the payload: one byte of length, then the tag's bytes
 * (the caller's: the index keeps its change-detection state there, which an
 * update rewrites with the record, instead of in a value that would make it
 * rewrite every value of the article).
 */
#ifndef KBS_DOCSTORE_H
#define KBS_DOCSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define DOCSTORE_MAX_ORIGINAL ((size_t)0xFFFFFFFFu)
#define DOCSTORE_MAX_TAG 255

typedef struct docstore docstore;

/* level: zstd level (0 for the default, 3). Returns 0, or -1 out of memory. */
int docstore_new(int level, docstore **out);
void docstore_free(docstore *ds);

/* Uses dict[0..len) (a zstd dictionary) for records packed from now on and
 * for unpacking records that name it. Returns 0, -1 if memory ran out, or -2
 * if it is not a valid dictionary. */
int docstore_set_dict(docstore *ds, const void *dict, size_t len);

/* As docstore_set_dict, but takes dict (from malloc) over instead of copying
 * it; it is freed by the docstore, also when this fails. */
int docstore_adopt_dict(docstore *ds, void *dict, size_t len);

/* Where the dictionary comes from when it is set only once a record needs
 * it: opening an index to search must not pay for reading and preparing it
 * (256 KiB, 1.5 ms and 300 page faults a process) when no original is read.
 * docstore_unpack calls load(ctx, ds) when a record names a dictionary that
 * is not set (none yet, or another: the index was rebuilt since); load sets
 * it with docstore_adopt_dict and returns 0, -1 out of memory, or -2 when
 * there is no valid dictionary to set. */
typedef int (*docstore_loader)(void *ctx, docstore *ds);
void docstore_set_loader(docstore *ds, docstore_loader load, void *ctx);

/* Packs an original into a record appended to *out. Returns 0, or -1 (out of
 * memory, or the original is larger than DOCSTORE_MAX_ORIGINAL). */
int docstore_pack(docstore *ds, const char *data, size_t len, buf *out);

/* As docstore_pack, with tag[0..taglen) (at most DOCSTORE_MAX_TAG bytes) in
 * the record's header: docstore_tag() reads it back, and unpacking skips it. */
int docstore_pack_tagged(docstore *ds, const char *data, size_t len, const char *tag, size_t taglen,
                         buf *out);

/* The record's tag: *tag points into rec (*taglen 0 when it has none).
 * Returns 0, or -2 if the header is damaged. */
int docstore_tag(const char *rec, size_t len, const char **tag, size_t *taglen);

/* Unpacks a record into the original, appended to *out. Returns 0, -1 out of
 * memory, or -2 if the record is damaged (bad magic, bad frame, wrong length
 * or checksum, or a dictionary it needs is not set). */
int docstore_unpack(docstore *ds, const char *rec, size_t len, buf *out);

/* The original's length and checksum as the record header says, without
 * decompressing. Returns 0, or -2 if the header is damaged. */
int docstore_peek(const char *rec, size_t len, uint32_t *orig_len, uint64_t *hash);

/* XXH3-64 of data: the content hash used for change detection. */
uint64_t docstore_hash(const char *data, size_t len);

#endif
