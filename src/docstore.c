/* docstore.c - packs originals into records and back (format in docstore.h).
 *
 * A record is read back from an index that may have been damaged on disk,
 * copied between machines or written by a buggy build, so unpacking trusts
 * nothing: it checks the header, that the payload is exactly one zstd frame
 * whose declared size matches the header, the dictionary it names, the
 * decompressed size and finally the checksum, and reports any mismatch as
 * -2 without ever writing past what it reserved.
 *
 * Neither the original given to pack nor the record given to unpack may
 * point into the output buffer: reserving room there may move it.
 *
 * A docstore holds zstd contexts that are reused from record to record (a
 * fresh context per record would cost more than compressing a short
 * article), so one docstore serves one thread at a time.
 */
#include "docstore.h"

/* For ZSTD_decompressBegin (see docstore_unpack): static API, which the
 * shared library exports too (1.5.4 does). Were it ever to change, speed
 * would, not results: ZSTD_decompress_usingDDict begins its frame anew. */
#define ZSTD_STATIC_LINKING_ONLY
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>
#include <zstd_errors.h>

#define DS_MAGIC 0x4B
#define DS_FORMAT_RAW 0
#define DS_FORMAT_ZSTD 1
#define DS_FORMAT_ZSTD_DICT 2
#define DS_HEADER_LEN 14
#define DS_TAGGED 0x80 /* in the format byte: a tag follows the header */

struct docstore {
    int level;
    ZSTD_CCtx *cctx; /* references cdict while a dictionary is set */
    ZSTD_DCtx *dctx;
    ZSTD_CDict *cdict; /* built at the first pack: a reader never needs it */
    ZSTD_DDict *ddict; /* NULL while no dictionary is set */
    void *dict;        /* a copy of the dictionary, for building cdict */
    size_t dict_len;
    unsigned dict_id;     /* the dictionary's id, as zstd frames name it */
    docstore_loader load; /* sets the dictionary on first need, or NULL */
    void *load_ctx;
};

/* The header is little-endian whatever the host is, so it is written and
 * read a byte at a time. */
static void put_le(unsigned char *p, uint64_t v, int nbytes)
{
    for (int i = 0; i < nbytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int nbytes)
{
    uint64_t v = 0;
    for (int i = 0; i < nbytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* A zstd failure for lack of memory is -1; any other means the input was not
 * what its header claimed: -2. */
static int zstd_failure(size_t code)
{
    return ZSTD_getErrorCode(code) == ZSTD_error_memory_allocation ? -1 : -2;
}

int docstore_new(int level, docstore **out)
{
    if (!out)
        return -1;
    docstore *ds = calloc(1, sizeof *ds);
    if (!ds)
        return -1;
    ds->level = level ? level : ZSTD_CLEVEL_DEFAULT;
    ds->cctx = ZSTD_createCCtx();
    ds->dctx = ZSTD_createDCtx();
    if (!ds->cctx || !ds->dctx ||
        ZSTD_isError(ZSTD_CCtx_setParameter(ds->cctx, ZSTD_c_compressionLevel, ds->level)) ||
        /* Unpacking relies on both: the frame's content size is checked
         * against the header, its dictionary id against the one set. */
        ZSTD_isError(ZSTD_CCtx_setParameter(ds->cctx, ZSTD_c_contentSizeFlag, 1)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(ds->cctx, ZSTD_c_dictIDFlag, 1)) ||
        /* The record's XXH3 already covers the original. */
        ZSTD_isError(ZSTD_CCtx_setParameter(ds->cctx, ZSTD_c_checksumFlag, 0))) {
        docstore_free(ds);
        return -1;
    }
    *out = ds;
    return 0;
}

void docstore_free(docstore *ds)
{
    if (!ds)
        return;
    ZSTD_freeCCtx(ds->cctx);
    ZSTD_freeDCtx(ds->dctx);
    ZSTD_freeCDict(ds->cdict);
    ZSTD_freeDDict(ds->ddict);
    free(ds->dict);
    free(ds);
}

int docstore_set_dict(docstore *ds, const void *dict, size_t len)
{
    if (!ds || !dict || !len)
        return -1;
    void *copy = malloc(len);
    if (!copy)
        return -1;
    memcpy(copy, dict, len);
    return docstore_adopt_dict(ds, copy, len);
}

int docstore_adopt_dict(docstore *ds, void *copy, size_t len)
{
    if (!ds || !copy || !len) {
        free(copy);
        return -1;
    }
    /* Only a real zstd dictionary has an id; records name it, and without
     * one a record could not tell which dictionary it needs. */
    unsigned id = ZSTD_getDictID_fromDict(copy, len);
    if (id == 0) {
        free(copy);
        return -2;
    }
    /* Only the decompression side is built now: opening an index to search
     * must not pay for a compression dictionary (~6 ms and 4 MB a process). */
    ZSTD_DDict *ddict = ZSTD_createDDict(copy, len);
    if (!ddict) {
        free(copy);
        return -1;
    }
    ZSTD_CCtx_refCDict(ds->cctx, NULL);
    ZSTD_freeCDict(ds->cdict);
    ZSTD_freeDDict(ds->ddict);
    free(ds->dict);
    ds->cdict = NULL;
    ds->ddict = ddict;
    ds->dict = copy;
    ds->dict_len = len;
    ds->dict_id = id;
    return 0;
}

void docstore_set_loader(docstore *ds, docstore_loader load, void *ctx)
{
    if (!ds)
        return;
    ds->load = load;
    ds->load_ctx = ctx;
}

/* Builds the compression dictionary on first use. Returns 0 or -1. */
static int need_cdict(docstore *ds)
{
    if (!ds->dict || ds->cdict)
        return 0;
    ZSTD_CDict *cdict = ZSTD_createCDict(ds->dict, ds->dict_len, ds->level);
    if (!cdict || ZSTD_isError(ZSTD_CCtx_refCDict(ds->cctx, cdict))) {
        ZSTD_freeCDict(cdict);
        return -1;
    }
    ds->cdict = cdict;
    return 0;
}

uint64_t docstore_hash(const char *data, size_t len)
{
    return XXH3_64bits(data, len);
}

int docstore_pack(docstore *ds, const char *data, size_t len, buf *out)
{
    return docstore_pack_tagged(ds, data, len, NULL, 0, out);
}

int docstore_pack_tagged(docstore *ds, const char *data, size_t len, const char *tag, size_t taglen,
                         buf *out)
{
    if (!ds || !out || (!data && len) || len > DOCSTORE_MAX_ORIGINAL || (!tag && taglen) ||
        taglen > DOCSTORE_MAX_TAG || need_cdict(ds) != 0)
        return -1;
    size_t bound = ZSTD_compressBound(len);
    if (ZSTD_isError(bound))
        return -1;
    size_t start = out->len;
    size_t hl = DS_HEADER_LEN + (tag ? 1 + taglen : 0);
    if (buf_reserve(out, hl + (bound > len ? bound : len)) != 0)
        return -1;
    unsigned char *rec = (unsigned char *)out->data + start;

    int format = DS_FORMAT_RAW;
    size_t plen = len;
    if (len > 0) {
        size_t z = ZSTD_compress2(ds->cctx, rec + hl, bound, data, len);
        if (ZSTD_isError(z)) {
            if (zstd_failure(z) == -1)
                return -1;
            /* Any other failure leaves the raw copy, which is always right. */
        } else if (z < len) {
            format = ds->cdict ? DS_FORMAT_ZSTD_DICT : DS_FORMAT_ZSTD;
            plen = z;
        }
    }
    /* Tiny or incompressible texts: a frame would only add its overhead. */
    if (format == DS_FORMAT_RAW && len > 0)
        memcpy(rec + hl, data, len);

    rec[0] = DS_MAGIC;
    rec[1] = (unsigned char)(format | (tag ? DS_TAGGED : 0));
    put_le(rec + 2, (uint64_t)len, 4);
    put_le(rec + 6, docstore_hash(data, len), 8);
    if (tag) {
        rec[DS_HEADER_LEN] = (unsigned char)taglen;
        if (taglen)
            memcpy(rec + DS_HEADER_LEN + 1, tag, taglen);
    }
    out->len = start + hl + plen;
    out->data[out->len] = '\0';
    return 0;
}

/* The record's format (without the tag flag) and the length of its header,
 * tag included; -2 if they are damaged. */
static int header_of(const unsigned char *p, size_t len, int *format, size_t *hl)
{
    if (!p || len < DS_HEADER_LEN || p[0] != DS_MAGIC)
        return -2;
    *format = p[1] & ~DS_TAGGED;
    *hl = DS_HEADER_LEN;
    if (p[1] & DS_TAGGED) {
        if (len < DS_HEADER_LEN + 1 || len < DS_HEADER_LEN + 1 + (size_t)p[DS_HEADER_LEN])
            return -2;
        *hl += 1 + (size_t)p[DS_HEADER_LEN];
    }
    return *format > DS_FORMAT_ZSTD_DICT ? -2 : 0;
}

int docstore_peek(const char *rec, size_t len, uint32_t *orig_len, uint64_t *hash)
{
    const unsigned char *p = (const unsigned char *)rec;
    int format = 0;
    size_t hl = 0;
    if (header_of(p, len, &format, &hl) != 0)
        return -2;
    uint32_t n = (uint32_t)get_le(p + 2, 4);
    /* A raw payload is the original, so its length is checkable here too. */
    if (format == DS_FORMAT_RAW && len - hl != n)
        return -2;
    if (format != DS_FORMAT_RAW && len == hl)
        return -2;
    if (orig_len)
        *orig_len = n;
    if (hash)
        *hash = get_le(p + 6, 8);
    return 0;
}

int docstore_tag(const char *rec, size_t len, const char **tag, size_t *taglen)
{
    const unsigned char *p = (const unsigned char *)rec;
    int format = 0;
    size_t hl = 0;
    if (header_of(p, len, &format, &hl) != 0)
        return -2;
    *tag = rec + DS_HEADER_LEN + (hl > DS_HEADER_LEN);
    *taglen = hl > DS_HEADER_LEN ? hl - DS_HEADER_LEN - 1 : 0;
    return 0;
}

/* Checks, before anything is allocated for it, that payload[0..plen) is
 * exactly one zstd frame of a record of this format that declares n bytes
 * and names the dictionary this docstore holds (if the format uses one).
 * A damaged length can then never make unpacking reserve gigabytes. */
static int frame_ok(const docstore *ds, int format, const unsigned char *payload, size_t plen,
                    uint32_t n)
{
    /* UNKNOWN and ERROR are far above any uint32_t, so they fail here too. */
    if (ZSTD_getFrameContentSize(payload, plen) != (unsigned long long)n)
        return 0;
    size_t fsize = ZSTD_findFrameCompressedSize(payload, plen);
    if (ZSTD_isError(fsize) || fsize != plen)
        return 0;
    unsigned id = ZSTD_getDictID_fromFrame(payload, plen);
    if (format == DS_FORMAT_ZSTD)
        return id == 0;
    return ds->ddict && id == ds->dict_id;
}

int docstore_unpack(docstore *ds, const char *rec, size_t len, buf *out)
{
    if (!ds || !out)
        return -1;
    uint32_t n = 0;
    uint64_t hash = 0;
    int format = 0;
    size_t hl = 0;
    if (docstore_peek(rec, len, &n, &hash) != 0 ||
        header_of((const unsigned char *)rec, len, &format, &hl) != 0)
        return -2;
    const unsigned char *payload = (const unsigned char *)rec + hl;
    size_t plen = len - hl;
    if (format == DS_FORMAT_ZSTD_DICT && ds->load &&
        (!ds->ddict || ZSTD_getDictID_fromFrame(payload, plen) != ds->dict_id)) {
        int r = ds->load(ds->load_ctx, ds);
        if (r != 0)
            return r;
    }
    if (format != DS_FORMAT_RAW && !frame_ok(ds, format, payload, plen, n))
        return -2;

    size_t start = out->len;
    if (buf_reserve(out, n) != 0)
        return -1;
    char *dst = out->data + start;
    int st = 0;
    if (format == DS_FORMAT_RAW) {
        if (n)
            memcpy(dst, payload, n);
    } else {
        /* zstd takes its prefetching decoder (each match's source fetched a
         * few sequences ahead) only for a dictionary it thinks cold: one
         * that is not the DCtx's last, so with the store's one DDict never
         * after the first record. But between two hits a search's other
         * work evicts the dictionary (256 KiB, where most matches point)
         * from the core's caches, and a decode then waits on its matches:
         * 1.4x to 1.7x a warm one's time (bench_zstd --cold). Clearing the
         * DCtx's last dictionary sends every decode down the prefetching
         * path: in searches of all of Reuters a decode took ~25% less time
         * (p50 ~12 -> ~9 us); a decode with the dictionary hot (check,
         * compact: record after record) up to ~15% more, under 1 us
         * (bench/README.md, "the store's dictionary, cold"). */
        if (format == DS_FORMAT_ZSTD_DICT)
            ZSTD_decompressBegin(ds->dctx);
        size_t got = format == DS_FORMAT_ZSTD
                         ? ZSTD_decompressDCtx(ds->dctx, dst, n, payload, plen)
                         : ZSTD_decompress_usingDDict(ds->dctx, dst, n, payload, plen, ds->ddict);
        if (ZSTD_isError(got))
            st = zstd_failure(got);
        else if (got != n)
            st = -2;
    }
    if (st == 0 && docstore_hash(dst, n) != hash)
        st = -2;
    /* On failure *out is left as it was: no partial original. */
    out->len = st == 0 ? start + n : start;
    out->data[out->len] = '\0';
    return st;
}
