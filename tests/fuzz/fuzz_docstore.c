/* fuzz_docstore.c - libFuzzer target: the store's record reader on
 * arbitrary bytes, as a damaged index would hand them over.
 *
 * The first byte picks the docstore: no dictionary, a dictionary set, or a
 * loader that sets it (or fails to) when a record names one. The rest is a
 * record for docstore_peek, docstore_tag and docstore_unpack, which must
 * return 0 or -2 (-1 only when memory runs out) and, on 0, give an original
 * of the length the header says. The same bytes are also packed, with a tag
 * taken from them, and must unpack to themselves. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zdict.h>

#include "buf.h"
#include "docstore.h"

/* A dictionary trained once on generated text (deterministic, so a crash
 * reproduces): records that name it can then be decompressed, reaching the
 * dictionary paths of unpack. */
struct dict {
    char data[8192];
    size_t len;
};

static const struct dict *fuzz_dict(void)
{
    static struct dict d;
    if (d.len)
        return &d;
    static const char *const words[] = {"the",   "minister", "said",  "on",     "Monday",
                                        "Seoul", "economy",  "rate",  "news",   "KBS",
                                        "World", "Radio",    "Korea", "export", "growth"};
    enum { NSAMPLES = 200, SAMPLE_LEN = 400 };
    char *samples = malloc((size_t)NSAMPLES * SAMPLE_LEN);
    size_t sizes[NSAMPLES];
    if (!samples)
        abort();
    uint32_t x = 12345;
    for (size_t i = 0; i < NSAMPLES; i++) {
        char *s = samples + i * SAMPLE_LEN;
        size_t k = 0;
        while (k < SAMPLE_LEN) {
            x = x * 1664525u + 1013904223u;
            const char *w = words[(x >> 16) % (sizeof words / sizeof *words)];
            for (size_t j = 0; w[j] && k < SAMPLE_LEN; j++)
                s[k++] = w[j];
            if (k < SAMPLE_LEN)
                s[k++] = ' ';
        }
        sizes[i] = SAMPLE_LEN;
    }
    size_t n = ZDICT_trainFromBuffer(d.data, sizeof d.data, samples, sizes, NSAMPLES);
    free(samples);
    if (ZDICT_isError(n))
        abort();
    d.len = n;
    return &d;
}

static int load_dict(void *ctx, docstore *ds)
{
    const struct dict *d = ctx;
    void *copy = malloc(d->len);
    if (!copy)
        return -1;
    memcpy(copy, d->data, d->len);
    return docstore_adopt_dict(ds, copy, d->len);
}

static int load_none(void *ctx, docstore *ds)
{
    (void)ctx;
    (void)ds;
    return -2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const struct dict *d = fuzz_dict();
    int mode = data[0] % 4;
    const char *rec = (const char *)data + 1;
    size_t len = size - 1;

    uint32_t olen;
    uint64_t hash;
    int peek = docstore_peek(rec, len, &olen, &hash);
    if (peek != 0 && peek != -2)
        abort();
    const char *tag;
    size_t taglen;
    int tagged = docstore_tag(rec, len, &tag, &taglen);
    if (tagged == 0 && taglen && (tag < rec || taglen > len || tag + taglen > rec + len))
        abort();
    else if (tagged != 0 && tagged != -2)
        abort();

    docstore *ds = NULL;
    if (docstore_new(mode == 3 ? 1 : 0, &ds) != 0)
        return 0;
    if (mode == 1 && docstore_set_dict(ds, d->data, d->len) != 0)
        abort();
    if (mode == 2)
        docstore_set_loader(ds, load_dict, (void *)d);
    if (mode == 3)
        docstore_set_loader(ds, load_none, NULL);
    buf out = BUF_INIT;
    int r = docstore_unpack(ds, rec, len, &out);
    if (r == 0) {
        if (peek != 0 || out.len != olen || docstore_hash(out.data, out.len) != hash)
            abort();
    } else if (r != -1 && r != -2) {
        abort();
    }

    /* Packing the bytes must give a record that unpacks to them. */
    buf packed = BUF_INIT;
    buf back = BUF_INIT;
    size_t tl = data[0] % (DOCSTORE_MAX_TAG + 1);
    if (tl > len)
        tl = len;
    if (docstore_pack_tagged(ds, rec, len, rec, tl, &packed) == 0) {
        if (docstore_unpack(ds, packed.data, packed.len, &back) != 0 || back.len != len ||
            (len && memcmp(back.data, rec, len) != 0))
            abort();
        if (docstore_tag(packed.data, packed.len, &tag, &taglen) != 0 || taglen != tl ||
            (tl && memcmp(tag, rec, tl) != 0))
            abort();
    }
    buf_free(&back);
    buf_free(&packed);
    buf_free(&out);
    docstore_free(ds);
    return 0;
}
