/* test_docstore.c - the store of originals: records round-trip byte for byte,
 * and damaged records are refused, never trusted. */
#include "docstore.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zdict.h>

/* ---- helpers ---- */

static docstore *new_store(int level)
{
    docstore *ds = NULL;
    cr_assert_eq(docstore_new(level, &ds), 0);
    cr_assert_not_null(ds);
    return ds;
}

/* Packs data, checks the header through peek, unpacks and compares. Returns
 * the record's length; *format_out (if not NULL) gets the format byte. */
static size_t round_trip(docstore *ds, const char *data, size_t len, int *format_out,
                         const char *what)
{
    buf rec = BUF_INIT, back = BUF_INIT;
    cr_assert_eq(docstore_pack(ds, data, len, &rec), 0, "pack %s", what);
    cr_assert_geq(rec.len, 14, "%s", what);
    uint32_t n = 0;
    uint64_t h = 0;
    cr_assert_eq(docstore_peek(rec.data, rec.len, &n, &h), 0, "peek %s", what);
    cr_assert_eq(n, len, "%s: header length", what);
    cr_assert_eq(h, docstore_hash(data, len), "%s: header hash", what);
    int st = docstore_unpack(ds, rec.data, rec.len, &back);
    cr_assert_eq(st, 0, "unpack %s: %d", what, st);
    cr_assert_eq(back.len, len, "%s: length back", what);
    cr_assert(len == 0 || memcmp(back.data, data, len) == 0, "%s: bytes differ", what);
    if (format_out)
        *format_out = (unsigned char)rec.data[1];
    size_t reclen = rec.len;
    buf_free(&rec);
    buf_free(&back);
    return reclen;
}

/* A small deterministic generator, so every run tests the same bytes. */
static uint32_t next_rand(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

/* Made-up news-like text: sentences of words from a fixed list, with some
 * multi-byte UTF-8, until len bytes. */
static char *synthetic_text(size_t len, uint32_t seed)
{
    static const char *const words[] = {
        "council", "harbour", "budget",  "rail",     "festival", "minister", "river",   "exports",
        "school",  "weather", "talks",   "northern", "museum",   "factory",  "the",     "a",
        "of",      "and",     "to",      "in",       "said",     "on",       "Tuesday", "percent",
        "growth",  "city",    "voters",  "café",     "Zürich",   "서울",     "경제",    "naïve",
        "—",       "2024",    "million", "won",      "report"};
    char *t = malloc(len + 1);
    cr_assert_not_null(t);
    size_t n = 0, in_sentence = 0;
    uint32_t s = seed;
    while (n < len) {
        const char *w = words[next_rand(&s) % (sizeof words / sizeof words[0])];
        size_t wl = strlen(w);
        for (size_t i = 0; i < wl && n < len; i++)
            t[n++] = w[i];
        if (n < len) {
            in_sentence++;
            if (in_sentence > 6 && next_rand(&s) % 5 == 0) {
                t[n++] = '.';
                in_sentence = 0;
                if (n < len)
                    t[n++] = next_rand(&s) % 4 == 0 ? '\n' : ' ';
            } else {
                t[n++] = ' ';
            }
        }
    }
    t[len] = '\0';
    return t;
}

typedef void (*file_fn)(const char *path, void *ctx);

/* Calls fn for every regular file under dir, recursively; a missing dir is
 * fine (nothing to do). Returns the number of files. */
static size_t walk(const char *dir, file_fn fn, void *ctx)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *p = tu_path(dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                count += walk(p, fn, ctx);
            } else if (S_ISREG(st.st_mode)) {
                fn(p, ctx);
                count++;
            }
        }
        free(p);
    }
    closedir(d);
    return count;
}

typedef struct totals {
    docstore *ds;
    size_t text_bytes, record_bytes;
} totals;

static void round_trip_file(const char *path, void *ctx)
{
    totals *t = ctx;
    size_t len = 0;
    char *data = tu_read(path, &len);
    cr_assert_not_null(data, "read %s", path);
    t->record_bytes += round_trip(t->ds, data, len, NULL, path);
    t->text_bytes += len;
    free(data);
}

/* ---- round trips ---- */

/* Iterates the folders at run time, so files added later are covered. */
Test(docstore, corpus_and_fixtures_round_trip)
{
    totals t = {new_store(0), 0, 0};
    size_t files = walk(KBS_SOURCE_DIR "/corpus", round_trip_file, &t);
    files += walk(KBS_FIXTURES, round_trip_file, &t);
    cr_log_info("round-tripped %zu files, %zu bytes into %zu", files, t.text_bytes, t.record_bytes);
    if (files && t.text_bytes > 10000)
        cr_expect_lt(t.record_bytes, t.text_bytes, "news text should compress");
    docstore_free(t.ds);
}

Test(docstore, synthetic_texts_every_level)
{
    static const int levels[] = {0, 1, 3, 9, 19, -5};
    static const size_t sizes[] = {2, 15, 16, 40, 100, 1000, 4096, 65537, 300000};
    for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
        docstore *ds = new_store(levels[l]);
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            char *text = synthetic_text(sizes[i], (uint32_t)(i * 31 + l));
            char what[64];
            snprintf(what, sizeof what, "level %d size %zu", levels[l], sizes[i]);
            int format = -1;
            size_t reclen = round_trip(ds, text, sizes[i], &format, what);
            cr_assert(format == 0 || format == 1, "%s: format %d", what, format);
            cr_assert_leq(reclen, 14 + sizes[i], "%s: never larger than raw", what);
            if (sizes[i] >= 1000)
                cr_assert_eq(format, 1, "%s: text this long compresses", what);
            free(text);
        }
        docstore_free(ds);
    }
}

Test(docstore, empty_and_one_byte)
{
    docstore *ds = new_store(0);
    int format = -1;
    cr_assert_eq(round_trip(ds, "", 0, &format, "empty"), 14);
    cr_assert_eq(format, 0);
    cr_assert_eq(round_trip(ds, NULL, 0, &format, "NULL, 0"), 14);
    cr_assert_eq(round_trip(ds, "x", 1, &format, "one byte"), 15);
    cr_assert_eq(format, 0, "one byte is stored raw");
    cr_assert_eq(round_trip(ds, "\0", 1, &format, "one NUL byte"), 15);
    docstore_free(ds);
}

Test(docstore, incompressible_data_is_stored_raw)
{
    docstore *ds = new_store(0);
    size_t len = 100000;
    char *data = malloc(len);
    cr_assert_not_null(data);
    uint32_t s = 7;
    /* The top bits: an LCG's low bits repeat with a short period. */
    for (size_t i = 0; i < len; i++)
        data[i] = (char)(next_rand(&s) >> 16);
    int format = -1;
    size_t reclen = round_trip(ds, data, len, &format, "random");
    cr_assert_eq(format, 0);
    cr_assert_eq(reclen, 14 + len);
    free(data);
    docstore_free(ds);
}

Test(docstore, five_megabyte_text)
{
    docstore *ds = new_store(0);
    size_t len = 5u * 1024 * 1024;
    char *text = synthetic_text(len, 99);
    int format = -1;
    size_t reclen = round_trip(ds, text, len, &format, "5 MB");
    cr_assert_eq(format, 1);
    cr_assert_lt(reclen, len / 2, "record %zu bytes", reclen);
    free(text);
    docstore_free(ds);
}

Test(docstore, appends_after_existing_bytes)
{
    docstore *ds = new_store(0);
    char *text = synthetic_text(2000, 5);
    buf rec = BUF_INIT, back = BUF_INIT;
    buf_append_str(&rec, "prefix:");
    cr_assert_eq(docstore_pack(ds, text, 2000, &rec), 0);
    buf_append_str(&back, "kept ");
    cr_assert_eq(docstore_unpack(ds, rec.data + 7, rec.len - 7, &back), 0);
    cr_assert_eq(back.len, 5 + 2000);
    cr_assert_eq(memcmp(back.data, "kept ", 5), 0);
    cr_assert_eq(memcmp(back.data + 5, text, 2000), 0);
    cr_assert_eq(back.data[back.len], '\0');
    buf_free(&rec);
    buf_free(&back);
    free(text);
    docstore_free(ds);
}

/* ---- the record format, pinned ---- */

typedef struct header_case {
    const char *input;
    const unsigned char expect[14];
} header_case;

/* XXH3-64 values from xxhsum -H3; bytes little-endian. */
static const header_case HEADER_CASES[] = {
    /* 1 */ {"", {0x4B, 0, 0, 0, 0, 0, 0xC2, 0x94, 0xD3, 0x38, 0x05, 0x80, 0x06, 0x2D}},
};

Test(docstore, header_bytes_are_little_endian)
{
    docstore *ds = new_store(0);
    for (size_t i = 0; i < sizeof HEADER_CASES / sizeof HEADER_CASES[0]; i++) {
        const header_case *c = &HEADER_CASES[i];
        buf rec = BUF_INIT;
        cr_assert_eq(docstore_pack(ds, c->input, strlen(c->input), &rec), 0);
        cr_assert_geq(rec.len, 14);
        for (int b = 0; b < 14; b++)
            cr_expect_eq((unsigned char)rec.data[b], c->expect[b], "case %zu byte %d: %02x", i + 1,
                         b, (unsigned char)rec.data[b]);
        buf_free(&rec);
    }
    /* A length above 255 shows the byte order. */
    char *text = synthetic_text(0x0304, 1);
    buf rec = BUF_INIT;
    cr_assert_eq(docstore_pack(ds, text, 0x0304, &rec), 0);
    cr_assert_eq((unsigned char)rec.data[2], 0x04);
    cr_assert_eq((unsigned char)rec.data[3], 0x03);
    cr_assert_eq((unsigned char)rec.data[4], 0);
    cr_assert_eq((unsigned char)rec.data[5], 0);
    uint64_t h = docstore_hash(text, 0x0304);
    for (int b = 0; b < 8; b++)
        cr_assert_eq((unsigned char)rec.data[6 + b], (unsigned char)(h >> (8 * b)));
    buf_free(&rec);
    free(text);
    docstore_free(ds);
}

/* ---- damaged records ---- */

/* Unpacks a damaged record: it must be refused (-2) with *out untouched, or,
 * if the damage happened to change nothing the decoder reads, give back the
 * exact original. Returns 1 if it was refused. */
static int unpack_damaged(docstore *ds, const char *rec, size_t len, const char *orig,
                          size_t orig_len, const char *what)
{
    buf out = BUF_INIT;
    buf_append_str(&out, "before");
    int st = docstore_unpack(ds, rec, len, &out);
    if (st == 0) {
        cr_assert_eq(out.len, 6 + orig_len, "%s: accepted with the wrong length", what);
        cr_assert_eq(memcmp(out.data + 6, orig, orig_len), 0, "%s: accepted wrong bytes", what);
    } else {
        cr_assert_eq(st, -2, "%s: status %d", what, st);
        cr_assert_eq(out.len, 6, "%s: *out changed", what);
        cr_assert_str_eq(out.data, "before", "%s", what);
    }
    buf_free(&out);
    return st != 0;
}

static void damage_suite(docstore *packer, docstore *unpacker, const char *text, size_t len,
                         int want_format)
{
    buf rec = BUF_INIT;
    cr_assert_eq(docstore_pack(packer, text, len, &rec), 0);
    cr_assert_eq(rec.data[1], want_format);
    char what[64];

    /* Every truncation. */
    for (size_t cut = 0; cut < rec.len; cut++) {
        char *copy = malloc(cut ? cut : 1);
        memcpy(copy, rec.data, cut);
        snprintf(what, sizeof what, "format %d cut at %zu", want_format, cut);
        cr_assert(unpack_damaged(unpacker, copy, cut, text, len, what), "%s: accepted", what);
        free(copy);
    }
    /* Every byte, flipped in three ways. The header is checked directly, so
     * any change there must be refused. */
    static const unsigned char masks[] = {0x01, 0x80, 0xFF};
    size_t accepted = 0;
    char *copy = malloc(rec.len);
    for (size_t i = 0; i < rec.len; i++) {
        for (size_t m = 0; m < sizeof masks; m++) {
            memcpy(copy, rec.data, rec.len);
            copy[i] ^= (char)masks[m];
            snprintf(what, sizeof what, "format %d byte %zu ^ %02x", want_format, i, masks[m]);
            int refused = unpack_damaged(unpacker, copy, rec.len, text, len, what);
            if (i < 14)
                cr_assert(refused, "%s: header damage accepted", what);
            accepted += !refused;
        }
    }
    cr_log_info("format %d: %zu of %zu payload flips decoded to the same original", want_format,
                accepted, 3 * (rec.len - 14));
    /* One extra byte after the record. */
    char *longer = malloc(rec.len + 1);
    memcpy(longer, rec.data, rec.len);
    longer[rec.len] = 0;
    cr_assert(unpack_damaged(unpacker, longer, rec.len + 1, text, len, "one byte more"));
    free(longer);
    free(copy);
    buf_free(&rec);
}

Test(docstore, damaged_compressed_record)
{
    docstore *ds = new_store(0);
    char *text = synthetic_text(400, 3);
    damage_suite(ds, ds, text, 400, 1);
    free(text);
    docstore_free(ds);
}

Test(docstore, damaged_raw_record)
{
    docstore *ds = new_store(0);
    damage_suite(ds, ds, "tiny text", 9, 0);
    docstore_free(ds);
}

Test(docstore, wrong_magic_and_format)
{
    docstore *ds = new_store(0);
    char *text = synthetic_text(500, 8);
    buf rec = BUF_INIT;
    cr_assert_eq(docstore_pack(ds, text, 500, &rec), 0);
    static const struct {
        int byte;
        unsigned char value;
    } cases[] = {
        /* 1 */ {0, 'k'},
        /* 2 */ {0, 0},
        /* 3 */ {1, 0}, /* a frame claimed to be raw text */
        /* 4 */ {1, 2}, /* a dictionary that is not set */
        /* 5 */ {1, 3}, /* a format that does not exist */
        /* 6 */ {1, 0xFF},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *copy = malloc(rec.len);
        memcpy(copy, rec.data, rec.len);
        copy[cases[i].byte] = (char)cases[i].value;
        char what[32];
        snprintf(what, sizeof what, "case %zu", i + 1);
        cr_assert(unpack_damaged(ds, copy, rec.len, text, 500, what));
        uint32_t n = 0;
        if (cases[i].byte == 0 || cases[i].value > 2)
            cr_assert_eq(docstore_peek(copy, rec.len, &n, NULL), -2, "%s", what);
        free(copy);
    }
    buf_free(&rec);
    free(text);
    docstore_free(ds);
}

Test(docstore, misuse)
{
    docstore *ds = new_store(0);
    buf out = BUF_INIT;
    cr_assert_eq(docstore_new(3, NULL), -1);
    cr_assert_eq(docstore_pack(NULL, "a", 1, &out), -1);
    cr_assert_eq(docstore_pack(ds, NULL, 5, &out), -1);
    cr_assert_eq(docstore_pack(ds, "a", 1, NULL), -1);
    cr_assert_eq(docstore_unpack(ds, NULL, 20, &out), -2);
    cr_assert_eq(docstore_unpack(NULL, "K", 1, &out), -1);
    cr_assert_eq(docstore_peek(NULL, 14, NULL, NULL), -2);
    cr_assert_eq(docstore_set_dict(ds, NULL, 10), -1);
    cr_assert_eq(docstore_set_dict(ds, "not a dictionary at all", 23), -2);
    cr_assert_eq(docstore_adopt_dict(ds, NULL, 10), -1);
    cr_assert_eq(docstore_adopt_dict(NULL, strdup("x"), 1), -1); /* freed all the same */
    cr_assert_eq(docstore_adopt_dict(ds, strdup("not a dictionary"), 16), -2);
    docstore_set_loader(NULL, NULL, NULL);
    if ((uint64_t)SIZE_MAX > DOCSTORE_MAX_ORIGINAL) {
        /* The length is refused before a byte is read. */
        cr_assert_eq(docstore_pack(ds, "x", DOCSTORE_MAX_ORIGINAL + 1, &out), -1);
    }
    cr_assert_eq(out.len, 0);
    docstore_free(NULL);
    buf_free(&out);
    docstore_free(ds);
}

Test(docstore, hash_is_xxh3_64)
{
    /* Pinned: records on disk carry this hash. */
    cr_assert_eq(docstore_hash("", 0), UINT64_C(0x2D06800538D394C2));
    cr_assert_eq(docstore_hash(NULL, 0), UINT64_C(0x2D06800538D394C2));
    cr_assert_neq(docstore_hash("a", 1), docstore_hash("b", 1));
}

/* ---- dictionaries ---- */

/* Trains a dictionary of at most cap bytes on synthetic articles sharing a
 * boilerplate header and footer (as a news site's pages do). */
static size_t train_dict(void *dict, size_t cap, uint32_t seed, const char *boiler)
{
    enum { NSAMPLES = 400, SAMPLE_LEN = 600 };
    char *samples = malloc((size_t)NSAMPLES * SAMPLE_LEN);
    size_t sizes[NSAMPLES];
    size_t bl = strlen(boiler);
    for (size_t i = 0; i < NSAMPLES; i++) {
        char *s = samples + i * SAMPLE_LEN;
        char *body = synthetic_text(SAMPLE_LEN - 2 * bl, seed + (uint32_t)i);
        memcpy(s, boiler, bl);
        memcpy(s + bl, body, SAMPLE_LEN - 2 * bl);
        memcpy(s + SAMPLE_LEN - bl, boiler, bl);
        sizes[i] = SAMPLE_LEN;
        free(body);
    }
    size_t n = ZDICT_trainFromBuffer(dict, cap, samples, sizes, NSAMPLES);
    cr_assert(!ZDICT_isError(n), "train: %s", ZDICT_getErrorName(n));
    free(samples);
    return n;
}

static char *article_with(const char *boiler, uint32_t seed, size_t *len)
{
    size_t bl = strlen(boiler), body = 500;
    char *t = malloc(2 * bl + body + 1);
    char *b = synthetic_text(body, seed);
    memcpy(t, boiler, bl);
    memcpy(t + bl, b, body);
    memcpy(t + bl + body, boiler, bl);
    t[2 * bl + body] = '\0';
    free(b);
    *len = 2 * bl + body;
    return t;
}

static const char BOILER_A[] =
    "Northbridge Gazette | Home | Local | Business | Sport | Weather | Contact the newsroom | "
    "All rights reserved by the Northbridge Gazette cooperative. ";
static const char BOILER_B[] = "The Valley Courier online edition - subscribe for the morning "
                               "digest - corrections policy - archive search - ";

Test(docstore, dictionary_round_trip_and_refusal_without_it)
{
    char dict[16384], other[16384];
    size_t dlen = train_dict(dict, sizeof dict, 1000, BOILER_A);
    size_t olen = train_dict(other, sizeof other, 5000, BOILER_B);

    docstore *plain = new_store(0), *with = new_store(0), *wrong = new_store(0);
    cr_assert_eq(docstore_set_dict(with, dict, dlen), 0);
    cr_assert_eq(docstore_set_dict(wrong, other, olen), 0);

    size_t len = 0;
    char *text = article_with(BOILER_A, 77777, &len);
    int format = -1;
    size_t with_len = round_trip(with, text, len, &format, "with dictionary");
    cr_assert_eq(format, 2);
    size_t plain_len = round_trip(plain, text, len, &format, "without dictionary");
    cr_assert_eq(format, 1);
    cr_expect_lt(with_len, plain_len, "the dictionary should help: %zu vs %zu", with_len,
                 plain_len);

    buf rec = BUF_INIT;
    cr_assert_eq(docstore_pack(with, text, len, &rec), 0);
    cr_assert(unpack_damaged(plain, rec.data, rec.len, text, len, "no dictionary set"));
    cr_assert(unpack_damaged(wrong, rec.data, rec.len, text, len, "another dictionary"));

    /* A store with a dictionary still reads records packed without one. */
    buf rec1 = BUF_INIT, back = BUF_INIT;
    cr_assert_eq(docstore_pack(plain, text, len, &rec1), 0);
    cr_assert_eq(docstore_unpack(with, rec1.data, rec1.len, &back), 0);
    cr_assert_eq(back.len, len);
    cr_assert_eq(memcmp(back.data, text, len), 0);

    /* Replacing the dictionary: new records use the new one. */
    cr_assert_eq(docstore_set_dict(with, other, olen), 0);
    cr_assert(unpack_damaged(with, rec.data, rec.len, text, len, "replaced dictionary"));

    /* The damage suite, through a dictionary. */
    cr_assert_eq(docstore_set_dict(with, dict, dlen), 0);
    damage_suite(with, with, text, len, 2);

    buf_free(&rec);
    buf_free(&rec1);
    buf_free(&back);
    free(text);
    docstore_free(plain);
    docstore_free(with);
    docstore_free(wrong);
}

/* Every decode through the dictionary resets the DCtx first, so that zstd
 * takes its prefetching decoder (docstore_unpack): records of every kind
 * (through the dictionary, without one, raw; one short, one of several
 * zstd blocks whose matches reach back into earlier blocks and into the
 * dictionary), one docstore reading them forwards, backwards and each one
 * twice in a row, every original back byte for byte. */
Test(docstore, dictionary_records_read_in_any_order)
{
    char dict[16384];
    size_t dlen = train_dict(dict, sizeof dict, 2000, BOILER_A);
    docstore *with = new_store(0), *plain = new_store(0), *reader = new_store(0);
    cr_assert_eq(docstore_set_dict(with, dict, dlen), 0);
    cr_assert_eq(docstore_set_dict(reader, dict, dlen), 0);

    enum { N = 6 };
    char *texts[N];
    size_t lens[N];
    buf recs[N];
    static const int wanted[N] = {2, 2, 1, 2, 0, 2}; /* each record's format */
    texts[0] = article_with(BOILER_A, 11, &lens[0]);
    texts[1] = article_with(BOILER_A, 12, &lens[1]);
    texts[2] = article_with(BOILER_B, 13, &lens[2]);
    texts[3] = article_with(BOILER_A, 14, &lens[3]);
    texts[4] = strdup("x");
    lens[4] = 1;
    /* 400 KB: four zstd blocks, the boilerplate in each. */
    lens[5] = 400000;
    texts[5] = malloc(lens[5]);
    for (size_t o = 0; o < lens[5];) {
        size_t al = 0;
        char *a = article_with(BOILER_A, 100 + (uint32_t)o, &al);
        size_t take = al < lens[5] - o ? al : lens[5] - o;
        memcpy(texts[5] + o, a, take);
        o += take;
        free(a);
    }
    for (int i = 0; i < N; i++) {
        recs[i] = (buf)BUF_INIT;
        docstore *by = wanted[i] == 1 ? plain : with;
        cr_assert_eq(docstore_pack(by, texts[i], lens[i], &recs[i]), 0);
        cr_assert_eq(recs[i].data[1] & 0x7f, wanted[i], "record %d: format %d", i,
                     recs[i].data[1] & 0x7f);
    }
    static const int order[] = {0, 1, 2, 3, 4, 5, 5, 4, 3, 2, 1, 0, 0, 3, 3, 5, 2, 5, 1, 1};
    for (size_t k = 0; k < sizeof order / sizeof *order; k++) {
        int i = order[k];
        buf back = BUF_INIT;
        cr_assert_eq(docstore_unpack(reader, recs[i].data, recs[i].len, &back), 0,
                     "step %zu, record %d", k, i);
        cr_assert_eq(back.len, lens[i], "step %zu, record %d", k, i);
        cr_assert_eq(memcmp(back.data, texts[i], lens[i]), 0, "step %zu, record %d", k, i);
        buf_free(&back);
    }
    for (int i = 0; i < N; i++) {
        buf_free(&recs[i]);
        free(texts[i]);
    }
    docstore_free(with);
    docstore_free(plain);
    docstore_free(reader);
}

/* ---- a dictionary set only when a record needs it ---- */

struct loader {
    const char *dict; /* what it sets, or NULL: there is none */
    size_t len;
    int calls;
};

static int load_dict(void *ctx, docstore *ds)
{
    struct loader *l = ctx;
    l->calls++;
    if (!l->dict)
        return -2;
    char *copy = malloc(l->len);
    cr_assert(copy);
    memcpy(copy, l->dict, l->len);
    return docstore_adopt_dict(ds, copy, l->len);
}

Test(docstore, dictionary_loaded_on_first_need)
{
    char dict[16384], other[16384];
    size_t dlen = train_dict(dict, sizeof dict, 1000, BOILER_A);
    size_t olen = train_dict(other, sizeof other, 5000, BOILER_B);
    docstore *writer = new_store(0), *plain = new_store(0);
    cr_assert_eq(docstore_set_dict(writer, dict, dlen), 0);
    size_t len = 0;
    char *text = article_with(BOILER_A, 4242, &len);
    buf rec = BUF_INIT, rec0 = BUF_INIT, back = BUF_INIT;
    cr_assert_eq(docstore_pack(writer, text, len, &rec), 0);
    cr_assert_eq(rec.data[1], 2, "packed with the dictionary");
    cr_assert_eq(docstore_pack(plain, text, len, &rec0), 0);

    /* Records without a dictionary never call the loader. */
    struct loader l = {dict, dlen, 0};
    docstore *reader = new_store(0);
    docstore_set_loader(reader, load_dict, &l);
    cr_assert_eq(docstore_unpack(reader, rec0.data, rec0.len, &back), 0);
    cr_assert_eq(l.calls, 0);
    /* The first record that names it loads it, once. */
    for (int i = 0; i < 3; i++) {
        back.len = 0;
        cr_assert_eq(docstore_unpack(reader, rec.data, rec.len, &back), 0);
        cr_assert_eq(back.len, len);
        cr_assert_eq(memcmp(back.data, text, len), 0);
    }
    cr_assert_eq(l.calls, 1);
    /* A record naming another dictionary (the index was rebuilt since) loads
     * again. */
    docstore *writer2 = new_store(0);
    cr_assert_eq(docstore_set_dict(writer2, other, olen), 0);
    size_t len2 = 0;
    char *text2 = article_with(BOILER_B, 99, &len2);
    buf rec2 = BUF_INIT;
    cr_assert_eq(docstore_pack(writer2, text2, len2, &rec2), 0);
    l.dict = other;
    l.len = olen;
    back.len = 0;
    cr_assert_eq(docstore_unpack(reader, rec2.data, rec2.len, &back), 0);
    cr_assert_eq(back.len, len2);
    cr_assert_eq(memcmp(back.data, text2, len2), 0);
    cr_assert_eq(l.calls, 2);
    /* The loader cannot give the dictionary a record names: damaged. */
    cr_assert(unpack_damaged(reader, rec.data, rec.len, text, len, "the loader has another"));
    cr_assert_eq(l.calls, 3);
    docstore_free(reader);
    docstore_free(writer2);
    buf_free(&rec2);
    free(text2);

    /* No dictionary to load: the record cannot be read, and says so. */
    struct loader none = {NULL, 0, 0};
    reader = new_store(0);
    docstore_set_loader(reader, load_dict, &none);
    back.len = 0;
    cr_assert_eq(docstore_unpack(reader, rec.data, rec.len, &back), -2);
    cr_assert_eq(back.len, 0);
    cr_assert_eq(none.calls, 1);
    docstore_free(reader);

    buf_free(&rec);
    buf_free(&rec0);
    buf_free(&back);
    free(text);
    docstore_free(writer);
    docstore_free(plain);
}

/* A tag rides in the header (format 6 of the index: the change-detection
 * state): read back as it was given, skipped by peek and unpack, whatever
 * the payload; a tag cut short is a damaged record. */
Test(docstore, tagged_records)
{
    docstore *ds = new_store(3);
    static const char *const texts[] = {
        "", "x", "The harbour ferry resumed its crossings.",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    static const struct {
        const char *tag;
        size_t len;
    } tags[] = {{"", 0}, {"\x05\x01", 2}, {"\x00\xff\x80", 3}};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        for (size_t j = 0; j < sizeof tags / sizeof *tags; j++) {
            buf rec = BUF_INIT, back = BUF_INIT;
            size_t len = strlen(texts[i]);
            cr_assert_eq(docstore_pack_tagged(ds, texts[i], len, tags[j].tag, tags[j].len, &rec),
                         0);
            const char *t = NULL;
            size_t tl = 99;
            cr_assert_eq(docstore_tag(rec.data, rec.len, &t, &tl), 0);
            cr_assert_eq(tl, tags[j].len, "text %zu tag %zu", i, j);
            cr_assert(tl == 0 || memcmp(t, tags[j].tag, tl) == 0);
            uint32_t n = 0;
            cr_assert_eq(docstore_peek(rec.data, rec.len, &n, NULL), 0);
            cr_assert_eq(n, len);
            cr_assert_eq(docstore_unpack(ds, rec.data, rec.len, &back), 0, "text %zu tag %zu", i,
                         j);
            cr_assert(back.len == len && memcmp(back.data, texts[i], len) == 0);
            /* Cut inside the tag. */
            if (tags[j].len)
                cr_expect_eq(docstore_peek(rec.data, 15 + tags[j].len - 1, &n, NULL), -2);
            buf_free(&rec);
            buf_free(&back);
        }
    buf plain = BUF_INIT;
    cr_assert_eq(docstore_pack(ds, "abc", 3, &plain), 0);
    const char *t = NULL;
    size_t tl = 99;
    cr_assert_eq(docstore_tag(plain.data, plain.len, &t, &tl), 0);
    cr_expect_eq(tl, 0);
    buf_free(&plain);
    char big[DOCSTORE_MAX_TAG + 1];
    memset(big, 't', sizeof big);
    cr_expect_eq(docstore_pack_tagged(ds, "abc", 3, big, sizeof big, &plain), -1);
    cr_expect_eq(docstore_pack_tagged(ds, "abc", 3, NULL, 2, &plain), -1);
    buf_free(&plain);
    docstore_free(ds);
}
