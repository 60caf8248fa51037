/* stem.c - Snowball stemming behind a bounded word -> stem cache.
 *
 * Indexing stems every token, and news text repeats a small vocabulary, so
 * libstemmer would spend most of its time recomputing stems it has already
 * made. The cache is an open-addressing table over a byte arena: no per-entry
 * allocation, and a fixed ceiling on memory. When either the table or the
 * arena fills up, the whole cache is dropped and refilled: simpler than LRU,
 * and the frequent words come back within a few documents. */
#include "stem.h"

#include <libstemmer.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "buf.h"
#include "tokenize.h"
#include "utf8.h"

#define CACHE_SLOTS 65536u /* a power of two */
/* Linear probing slows down sharply past three quarters full. */
#define CACHE_MAX_ENTRIES (CACHE_SLOTS / 4 * 3)
/* Holds "word\0stem\0" pairs: about 17 bytes for an average English word,
 * so the arena rarely fills before the table does. */
#define CACHE_ARENA_BYTES (2u << 20)

typedef struct slot {
    uint32_t tag;  /* low half of the hash, to skip most memcmp calls */
    uint32_t off;  /* "word\0stem\0" at arena + off */
    uint16_t wlen; /* 0: empty slot (cached words are at least 3 bytes) */
    uint16_t slen; /* the stem's length, STOP_BIT set for a stop word,
                      NOTED_BIT once given with its form (stem_form.first) */
} slot;

/* In a slot's slen: the word is a stop word. Cached with the stem because
 * indexing asks it of every token, and the binary search of the stop list
 * (mispredicted branches, a strlen a probe) was 2% of a build's CPU. */
#define STOP_BIT 0x8000u
#define NOTED_BIT 0x4000u
#define SLEN_MASK 0x3fffu

struct stemmer {
    struct sb_stemmer *sb;
    slot *slots;
    char *arena;
    size_t arena_len;
    size_t entries;
    buf scratch; /* words returned unchanged are copied here, so *stem_out
                    always points into the stemmer, as stem.h promises */
    /* The words of one or two bytes given with their form, by their bytes:
     * returned unchanged and not cached, yet other words may stem to them
     * ("abs" -> "ab"). */
    unsigned char short_noted[(256 + 65536) / 8];
};

int stemmer_new(const char *lang, stemmer **out)
{
    *out = NULL;
    if (!lang)
        return -1;
    stemmer *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    s->sb = sb_stemmer_new(lang, "UTF_8");
    s->slots = calloc(CACHE_SLOTS, sizeof *s->slots);
    s->arena = malloc(CACHE_ARENA_BYTES);
    if (!s->sb || !s->slots || !s->arena) {
        stemmer_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

void stemmer_free(stemmer *s)
{
    if (!s)
        return;
    if (s->sb)
        sb_stemmer_delete(s->sb);
    free(s->slots);
    free(s->arena);
    buf_free(&s->scratch);
    free(s);
}

static void cache_clear(stemmer *s)
{
    memset(s->slots, 0, CACHE_SLOTS * sizeof *s->slots);
    s->arena_len = 0;
    s->entries = 0;
}

/* Words the stemmer must not touch: numbers and codes ("2019", "g20"),
 * single characters (CJK tokens are one code point), very short words
 * (nothing to strip) and words over the token cap (never produced by the
 * tokenizer; not worth caching). */
static int keep_as_is(const char *w, size_t len)
{
    if (len < 3 || len > TOK_MAX_BYTES)
        return 1;
    for (size_t i = 0; i < len; i++)
        if ((unsigned)(w[i] - '0') <= 9)
            return 1;
    uint32_t cp;
    return utf8_decode(w, len, &cp) == len;
}

int stemmer_stem(stemmer *s, const char *word, size_t len, const char **stem_out,
                 size_t *stem_len_out)
{
    int stop;
    return stemmer_stem_term(s, word, len, stem_out, stem_len_out, &stop, NULL);
}

/* The form tag from the word's XXH3, which the cache computes anyway. */
static unsigned form_of_hash(uint64_t h)
{
    return (unsigned)(h >> 56);
}

uint64_t stem_form_hash(const char *word, size_t len)
{
    return XXH3_64bits(word, len);
}

unsigned stem_form_tag(const char *word, size_t len)
{
    return form_of_hash(stem_form_hash(word, len));
}

void stemmer_forget_forms(stemmer *s)
{
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        s->slots[i].slen &= (uint16_t)~NOTED_BIT;
    memset(s->short_noted, 0, sizeof s->short_noted);
}

/* stem_form.first of a word returned unchanged: only short words can be
 * another word's stem too. */
static int first_unchanged(stemmer *s, const unsigned char *w, size_t len)
{
    if (len == 0 || len > 2)
        return 0;
    size_t bit = len == 1 ? w[0] : 256 + ((size_t)w[0] << 8 | w[1]);
    unsigned char m = (unsigned char)(1u << (bit & 7));
    if (s->short_noted[bit >> 3] & m)
        return 0;
    s->short_noted[bit >> 3] |= m;
    return 1;
}

int stemmer_stem_term(stemmer *s, const char *word, size_t len, const char **stem_out,
                      size_t *stem_len_out, int *stop, stem_form *form)
{
    if (keep_as_is(word, len)) {
        buf_reset(&s->scratch);
        buf_append(&s->scratch, word, len);
        if (buf_failed(&s->scratch))
            return -1;
        *stem_out = buf_cstr(&s->scratch);
        *stem_len_out = len;
        *stop = stem_is_stopword(word, len);
        if (form) {
            form->hash = stem_form_hash(word, len);
            form->tag = form_of_hash(form->hash);
            form->first = first_unchanged(s, (const unsigned char *)word, len);
        }
        return 0;
    }
    uint64_t h = XXH3_64bits(word, len);
    if (form) {
        form->hash = h;
        form->tag = form_of_hash(h);
    }
    uint32_t tag = (uint32_t)h;
    size_t mask = CACHE_SLOTS - 1;
    size_t i = (size_t)(h >> 32) & mask;
    for (;; i = (i + 1) & mask) {
        slot *sl = &s->slots[i];
        if (sl->wlen == 0)
            break;
        if (sl->tag == tag && sl->wlen == len && memcmp(s->arena + sl->off, word, len) == 0) {
            *stem_out = s->arena + sl->off + len + 1;
            *stem_len_out = sl->slen & SLEN_MASK;
            *stop = (sl->slen & STOP_BIT) != 0;
            if (form) {
                form->first = !(sl->slen & NOTED_BIT);
                sl->slen |= NOTED_BIT;
            }
            return 0;
        }
    }

    const sb_symbol *r = sb_stemmer_stem(s->sb, (const sb_symbol *)word, (int)len);
    if (!r)
        return -1;
    size_t slen = (size_t)sb_stemmer_length(s->sb);
    size_t need = len + 1 + slen + 1;
    if (slen > SLEN_MASK || need > CACHE_ARENA_BYTES)
        return -1; /* cannot happen for words within the token cap */
    if (s->entries >= CACHE_MAX_ENTRIES || s->arena_len + need > CACHE_ARENA_BYTES) {
        cache_clear(s);
        i = (size_t)(h >> 32) & mask; /* the table is empty: the home slot is free */
    }
    slot *sl = &s->slots[i];
    char *p = s->arena + s->arena_len;
    memcpy(p, word, len);
    p[len] = '\0';
    memcpy(p + len + 1, r, slen);
    p[len + 1 + slen] = '\0';
    sl->tag = tag;
    sl->off = (uint32_t)s->arena_len;
    sl->wlen = (uint16_t)len;
    *stop = stem_is_stopword(word, len);
    sl->slen = (uint16_t)(slen | (*stop ? STOP_BIT : 0) | (form ? NOTED_BIT : 0));
    if (form)
        form->first = 1;
    s->arena_len += need;
    s->entries++;
    *stem_out = p + len + 1;
    *stem_len_out = slen;
    return 0;
}

/* The Snowball English stop list without its contractions ("don't",
 * "they'll"...): those are rare in queries and carry meaning when they do
 * appear. Sorted by strcmp for the binary search. */
static const char *const stop_words[] = {
    "a",      "about",    "above",      "after",      "again",   "against", "all",     "am",
    "an",     "and",      "any",        "are",        "as",      "at",      "be",      "because",
    "been",   "before",   "being",      "below",      "between", "both",    "but",     "by",
    "could",  "did",      "do",         "does",       "doing",   "down",    "during",  "each",
    "few",    "for",      "from",       "further",    "had",     "has",     "have",    "having",
    "he",     "her",      "here",       "hers",       "herself", "him",     "himself", "his",
    "how",    "i",        "if",         "in",         "into",    "is",      "it",      "its",
    "itself", "me",       "more",       "most",       "my",      "myself",  "no",      "nor",
    "not",    "of",       "off",        "on",         "once",    "only",    "or",      "other",
    "ought",  "our",      "ours",       "ourselves",  "out",     "over",    "own",     "same",
    "she",    "should",   "so",         "some",       "such",    "than",    "that",    "the",
    "their",  "theirs",   "them",       "themselves", "then",    "there",   "these",   "they",
    "this",   "those",    "through",    "to",         "too",     "under",   "until",   "up",
    "very",   "was",      "we",         "were",       "what",    "when",    "where",   "which",
    "while",  "who",      "whom",       "why",        "with",    "would",   "you",     "your",
    "yours",  "yourself", "yourselves",
};

/* The stems of stop_words[] (Snowball English), sorted by strcmp: the terms
 * indexed without positions (stem.h). A table rather than stop_words[] run
 * through the stemmer at startup: the rule is part of the index format, so
 * it must not move with libstemmer's version; tests/test_stem.c checks that
 * it is still exactly the stems of stop_words[]. */
static const char *const stop_stems[] = {
    "a",     "about",   "abov",   "after",    "again",   "against",  "all",      "am",    "an",
    "and",   "ani",     "are",    "as",       "at",      "be",       "becaus",   "been",  "befor",
    "below", "between", "both",   "but",      "by",      "could",    "did",      "do",    "doe",
    "down",  "dure",    "each",   "few",      "for",     "from",     "further",  "had",   "has",
    "have",  "he",      "her",    "here",     "herself", "him",      "himself",  "his",   "how",
    "i",     "if",      "in",     "into",     "is",      "it",       "itself",   "me",    "more",
    "most",  "my",      "myself", "no",       "nor",     "not",      "of",       "off",   "on",
    "onc",   "onli",    "or",     "other",    "ought",   "our",      "ourselv",  "out",   "over",
    "own",   "same",    "she",    "should",   "so",      "some",     "such",     "than",  "that",
    "the",   "their",   "them",   "themselv", "then",    "there",    "these",    "they",  "this",
    "those", "through", "to",     "too",      "under",   "until",    "up",       "veri",  "was",
    "we",    "were",    "what",   "when",     "where",   "whi",      "which",    "while", "who",
    "whom",  "with",    "would",  "you",      "your",    "yourself", "yourselv",
};

/* Binary search of a sorted table of strings for (w, len). */
static int in_table(const char *const *table, size_t n, const char *w, size_t len)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *e = table[mid];
        size_t elen = strlen(e);
        int c = memcmp(w, e, len < elen ? len : elen);
        if (c == 0)
            c = (len > elen) - (len < elen);
        if (c == 0)
            return 1;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

int stem_is_stopword(const char *word, size_t len)
{
    if (len == 0 || len > 10) /* "yourselves" is the longest */
        return 0;
    return in_table(stop_words, sizeof stop_words / sizeof *stop_words, word, len);
}

int stem_is_stopstem(const char *stem, size_t len)
{
    if (len == 0 || len > 8) /* "themselv" is the longest */
        return 0;
    return in_table(stop_stems, sizeof stop_stems / sizeof *stop_stems, stem, len);
}

size_t stem_stopstem_count(void)
{
    return sizeof stop_stems / sizeof *stop_stems;
}

size_t stem_stopword_count(void)
{
    return sizeof stop_words / sizeof *stop_words;
}

const char *stem_stopword_at(size_t i)
{
    return i < sizeof stop_words / sizeof *stop_words ? stop_words[i] : NULL;
}
