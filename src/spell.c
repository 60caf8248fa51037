/* spell.c - spelling suggestions: feeding the index's words to Xapian's
 * spelling table, and correcting a query from it. */
#include "spell.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "buf.h"
#include "kbsearch.h"
#include "schema.h"
#include "tokenize.h"
#include "utf8.h"

/* ---- the collector ------------------------------------------------------------ */

/* Distinct words remembered (with the table kept half empty, about 16 MB).
 * Past it the collector hands over what is due and starts afresh. The 2,225
 * BBC articles have 27,500. */
#define COLLECT_MAX_WORDS (1u << 18)

/* A word the collector knows. Once handed over, a word is handed over again
 * only when it has been seen as many times again (its count doubled): the
 * table's count stays within half of the truth, which is what Xapian needs to
 * choose between two words as close to a misspelling, at a cost of a few
 * hand-overs per word however many batches and chunks a run has. */
struct slot {
    uint64_t hash;  /* 0: empty (a real hash of 0 is stored as 1) */
    uint32_t off;   /* the word in the arena */
    uint32_t count; /* sightings not handed over yet */
    uint32_t given; /* sightings handed over so far */
    uint8_t len;
    uint8_t rejected; /* never fed (a stop word, an apostrophe) */
};

/* Words are counted a few dozen tokens after they are seen: each goes
 * through a small ring first, where the cache line of its slot is fetched
 * ahead (prefetch), so that the table's misses overlap. The table is larger
 * than the caches; a rare word's slot was a cache miss the collector waited
 * for, token after token (93% of spell_collect's time, the largest share of
 * kbsearch's own code in a first build: perf, Reuters 5,000). */
#define RING_WORDS 32

struct ring_word {
    uint64_t hash;
    uint8_t len;
    char word[SPELL_MAX_BYTES];
};

struct spell_collector {
    struct ring_word ring[RING_WORDS];
    size_t ring_head, ring_n; /* the oldest word; words in the ring */
    struct slot *slots;
    size_t cap;      /* power of two; kept at most half full */
    size_t n;        /* slots in use */
    size_t counting; /* words never handed over */
    size_t due;      /* words a flush would hand over */
    int hold;        /* lazy flushes wait (spell_hold) */
    buf arena;       /* the words, back to back */
};

int spell_collector_new(spell_collector **out)
{
    spell_collector *c = calloc(1, sizeof *c);
    if (!c)
        return KBS_ENOMEM;
    c->cap = 1024;
    c->slots = calloc(c->cap, sizeof *c->slots);
    if (!c->slots) {
        free(c);
        return KBS_ENOMEM;
    }
    *out = c;
    return KBS_OK;
}

void spell_collector_free(spell_collector *c)
{
    if (!c)
        return;
    free(c->slots);
    buf_free(&c->arena);
    free(c);
}

void spell_hold(spell_collector *c, int hold)
{
    if (c)
        c->hold = hold != 0;
}

/* The cheap half of the word test, run on every token. */
static int right_shape(size_t len, unsigned flags)
{
    return len >= SPELL_MIN_BYTES && len <= SPELL_MAX_BYTES && !(flags & (TOK_NUMBER | TOK_CJK));
}

/* The rest, run once per distinct word. Letters only: a folded word that
 * still holds an apostrophe ("japan's") is not a spelling to offer. */
static int feedable(const char *w, size_t len)
{
    return !memchr(w, '\'', len) && !stem_is_stopword(w, len);
}

static void clear(spell_collector *c)
{
    memset(c->slots, 0, c->cap * sizeof *c->slots);
    c->n = c->counting = c->due = 0;
    buf_reset(&c->arena);
}

static int grow(spell_collector *c)
{
    size_t cap = c->cap * 2;
    struct slot *s = calloc(cap, sizeof *s);
    if (!s)
        return KBS_ENOMEM;
    for (size_t i = 0; i < c->cap; i++) {
        if (!c->slots[i].hash)
            continue;
        size_t j = (size_t)c->slots[i].hash & (cap - 1);
        while (s[j].hash)
            j = (j + 1) & (cap - 1);
        s[j] = c->slots[i];
    }
    free(c->slots);
    c->slots = s;
    c->cap = cap;
    return KBS_OK;
}

static int is_due(const struct slot *s)
{
    return !s->rejected && s->count >= (s->given ? s->given : SPELL_MIN_SEEN);
}

/* Hands over the words that are due. */
static int give(spell_collector *c, xs_db *db)
{
    int st = KBS_OK;
    for (size_t i = 0; i < c->cap && st == KBS_OK; i++) {
        struct slot *s = &c->slots[i];
        if (!s->hash || !is_due(s))
            continue;
        st = xs_db_add_spelling(db, c->arena.data + s->off, s->len, s->count);
        c->counting -= s->given == 0;
        s->given = s->given > UINT32_MAX - s->count ? UINT32_MAX : s->given + s->count;
        s->count = 0;
    }
    c->due = 0;
    return st;
}

/* Counts one word (hash h) in the table. When the table is full, what is
 * due goes to db and the table starts afresh; with db NULL, 1 is returned
 * instead and nothing is counted. */
static int count_word(spell_collector *c, xs_db *db, uint64_t h, const char *word, size_t len)
{
    size_t i = (size_t)h & (c->cap - 1);
    for (; c->slots[i].hash; i = (i + 1) & (c->cap - 1)) {
        struct slot *s = &c->slots[i];
        if (s->hash == h && s->len == len && memcmp(c->arena.data + s->off, word, len) == 0) {
            if (!s->rejected && s->count < UINT32_MAX) {
                s->count++;
                c->due += s->count == (s->given ? s->given : SPELL_MIN_SEEN);
            }
            return KBS_OK;
        }
    }
    if (c->n >= COLLECT_MAX_WORDS) {
        if (!db)
            return 1;
        int st = give(c, db);
        clear(c);
        if (st != KBS_OK)
            return st;
        return count_word(c, db, h, word, len);
    }
    if ((c->n + 1) * 2 > c->cap) {
        if (grow(c) != KBS_OK)
            return KBS_ENOMEM;
        return count_word(c, db, h, word, len);
    }
    size_t off = c->arena.len;
    buf_append(&c->arena, word, len);
    if (buf_failed(&c->arena))
        return KBS_ENOMEM; /* the words counted so far stay intact */
    struct slot *s = &c->slots[i];
    s->hash = h;
    s->off = (uint32_t)off;
    s->len = (uint8_t)len;
    s->count = 1;
    s->given = 0;
    s->rejected = !feedable(word, len);
    c->counting += !s->rejected;
    c->n++;
    return KBS_OK;
}

/* Counts the words of the ring, oldest first, until keep are left. A word
 * whose count fails is dropped (the failure ends the run's indexing). */
static int drain(spell_collector *c, xs_db *db, size_t keep)
{
    while (c->ring_n > keep) {
        const struct ring_word *w = &c->ring[c->ring_head];
        int st = count_word(c, db, w->hash, w->word, w->len);
        if (st == 1)
            return KBS_OK; /* full, and no database to hand over to */
        c->ring_head = (c->ring_head + 1) % RING_WORDS;
        c->ring_n--;
        if (st != KBS_OK)
            return st;
    }
    return KBS_OK;
}

size_t spell_pending(spell_collector *c)
{
    if (!c)
        return 0;
    (void)drain(c, NULL, 0); /* without a database it can only fail to count */
    return c->counting;
}

int spell_collect(spell_collector *c, xs_db *db, const char *word, size_t len, unsigned flags)
{
    if (!right_shape(len, flags))
        return KBS_OK;
    if (c->ring_n == RING_WORDS) {
        int st = drain(c, db, RING_WORDS - 1);
        if (st != KBS_OK)
            return st;
        if (c->ring_n == RING_WORDS) /* full, db NULL: count it now or never */
            return KBS_OK;
    }
    uint64_t h = XXH3_64bits(word, len);
    h += !h;
    __builtin_prefetch(&c->slots[(size_t)h & (c->cap - 1)]);
    struct ring_word *w = &c->ring[(c->ring_head + c->ring_n) % RING_WORDS];
    w->hash = h;
    w->len = (uint8_t)len;
    memcpy(w->word, word, len);
    c->ring_n++;
    return KBS_OK;
}

int spell_flush(spell_collector *c, xs_db *db, int lazy)
{
    if (!c)
        return KBS_OK;
    int st = drain(c, db, 0);
    if (st != KBS_OK) {
        clear(c);
        return st;
    }
    if (lazy && (c->hold || c->due <= SPELL_LAZY_WORDS))
        return KBS_OK;
    st = give(c, db);
    /* Words seen once wait for a second sighting in a later batch; all are
     * forgotten when the collector is full, or on a failure (a retry must
     * not count a word twice). */
    if (st != KBS_OK || c->n >= COLLECT_MAX_WORDS / 2)
        clear(c);
    return st;
}

/* ---- correcting a query --------------------------------------------------------- */

/* A stem in fewer articles than this, or than one in SPELL_RARE_RATIO of
 * them, is rare enough to be a misspelling worth correcting. Commoner words
 * are left alone even when a neighbour is commoner still ("wales" is not
 * "sales"). */
#define SPELL_RARE_DOCS 2
#define SPELL_RARE_RATIO 1000
/* A correction's stem must be in this many times as many articles as the
 * word's, and in SPELL_MIN_DOCS at least: one stray article is no evidence. */
#define SPELL_FACTOR 5
#define SPELL_MIN_DOCS 2
/* Words up to this long are corrected by one edit at most, longer ones by two. */
#define SPELL_ONE_EDIT_BYTES 6

enum field_kind { FIELD_NONE, FIELD_TEXT, FIELD_OPAQUE };

/* What a word directly followed by ':' names. The values of category:, by:
 * and the dates are not body or title text, so the spelling table (and the
 * stem counts) say nothing about them. */
static enum field_kind field_kind(const char *w, size_t len)
{
    static const char *const text[] = {"title", "body"};
    static const char *const opaque[] = {"by", "category", "date", "after", "before", "updated"};
    for (size_t i = 0; i < sizeof text / sizeof *text; i++)
        if (strlen(text[i]) == len && memcmp(text[i], w, len) == 0)
            return FIELD_TEXT;
    for (size_t i = 0; i < sizeof opaque / sizeof *opaque; i++)
        if (strlen(opaque[i]) == len && memcmp(opaque[i], w, len) == 0)
            return FIELD_OPAQUE;
    return FIELD_NONE;
}

/* Operators are words only in capitals, as the query language has them. */
static int is_operator(const char *raw, size_t len)
{
    static const char *const ops[] = {"AND", "OR", "NOT", "NEAR"};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (strlen(ops[i]) == len && memcmp(ops[i], raw, len) == 0)
            return 1;
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* End of a field's value starting at q[i]: a quoted phrase, a parenthesised
 * group, or a run up to white space or a closing parenthesis. */
static size_t value_end(const char *q, size_t len, size_t i)
{
    if (i < len && q[i] == '"') {
        const char *e = memchr(q + i + 1, '"', len - i - 1);
        return e ? (size_t)(e - q) + 1 : len;
    }
    if (i < len && q[i] == '(') {
        size_t depth = 0;
        for (; i < len; i++) {
            if (q[i] == '(')
                depth++;
            else if (q[i] == ')' && --depth == 0)
                return i + 1;
        }
        return len;
    }
    while (i < len && !is_space(q[i]) && q[i] != ')')
        i++;
    return i;
}

enum case_style { CASE_LOWER, CASE_CAPITALISED, CASE_UPPER };

/* How the user wrote the word. Only ASCII letters decide: the suggestions
 * come folded, and the tokenizer's folding cannot be undone in general. */
static enum case_style case_style(const char *raw, size_t len)
{
    size_t upper = 0, lower = 0;
    int first_upper = -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)raw[i];
        int u = c >= 'A' && c <= 'Z', l = c >= 'a' && c <= 'z';
        upper += (size_t)u;
        lower += (size_t)l;
        if (first_upper < 0)
            first_upper = u ? 1 : 0;
    }
    if (upper >= 2 && lower == 0)
        return CASE_UPPER;
    return first_upper == 1 ? CASE_CAPITALISED : CASE_LOWER;
}

struct fix {
    size_t start, end; /* the word's bytes in the query */
    enum case_style style;
    char word[SPELL_MAX_BYTES + 1]; /* the correction, folded */
};

struct corrector {
    xs_db *db;
    stemmer *st;
    const char *q;
    size_t len;
    uint32_t doccount;
    size_t skip_until; /* words starting before this are in a value left alone */
    size_t checked;
    struct fix fixes[SPELL_MAX_CHECKED];
    size_t nfixes;
    int status;
};

/* Articles holding the stem, in the title or the body (one term for both). */
static int stem_docs(xs_db *db, const char *stem, size_t len, uint32_t *out)
{
    return xs_db_termfreq(db, stem, len, out);
}

/* The stem of a folded word, copied into out (the stemmer's own copy lasts
 * only until its next call). */
static int stem_copy(stemmer *st, const char *w, size_t len, char *out, size_t cap, size_t *out_len)
{
    const char *s;
    size_t slen;
    if (stemmer_stem(st, w, len, &s, &slen) != 0)
        return KBS_ENOMEM;
    if (slen > cap)
        slen = cap; /* cannot happen for words of SPELL_MAX_BYTES */
    memcpy(out, s, slen);
    *out_len = slen;
    return KBS_OK;
}

/* Looks for a correction of one word; records it in c->fixes if good. */
static int check_word(struct corrector *c, const token *tok)
{
    char stem[TOK_MAX_BYTES * 2], cstem[TOK_MAX_BYTES * 2];
    size_t slen, clen;
    uint32_t freq = 0, cfreq = 0;
    int st = stem_copy(c->st, tok->text, tok->len, stem, sizeof stem, &slen);
    if (st == KBS_OK)
        st = stem_docs(c->db, stem, slen, &freq);
    if (st != KBS_OK)
        return st;
    if (freq > SPELL_RARE_DOCS && (uint64_t)freq * SPELL_RARE_RATIO > c->doccount)
        return KBS_OK;
    /* Short words have many neighbours: two edits would turn them into
     * almost anything ("brexit" into "credit"). */
    unsigned max_edit = tok->len <= SPELL_ONE_EDIT_BYTES ? 1 : 2;
    char *sug = NULL;
    st = xs_db_spelling_suggestion(c->db, tok->text, tok->len, max_edit, &sug);
    if (st != KBS_OK || !sug)
        return st;
    size_t sl = strlen(sug);
    if (sl > SPELL_MAX_BYTES || (sl == tok->len && memcmp(sug, tok->text, sl) == 0)) {
        free(sug);
        return KBS_OK;
    }
    st = stem_copy(c->st, sug, sl, cstem, sizeof cstem, &clen);
    if (st == KBS_OK && !(clen == slen && memcmp(cstem, stem, slen) == 0))
        st = stem_docs(c->db, cstem, clen, &cfreq);
    if (st == KBS_OK && cfreq >= SPELL_MIN_DOCS &&
        (uint64_t)cfreq >= (uint64_t)freq * SPELL_FACTOR) {
        struct fix *f = &c->fixes[c->nfixes++];
        f->start = tok->start;
        f->end = tok->end;
        f->style = case_style(c->q + tok->start, tok->end - tok->start);
        memcpy(f->word, sug, sl + 1);
    }
    free(sug);
    return st;
}

static int check_cb(void *ctx, const token *tok)
{
    struct corrector *c = ctx;
    if (tok->start < c->skip_until)
        return 0;
    if (tok->end < c->len && c->q[tok->end] == ':') {
        enum field_kind k = field_kind(tok->text, tok->len);
        if (k == FIELD_OPAQUE)
            c->skip_until = value_end(c->q, c->len, tok->end + 1);
        if (k != FIELD_NONE)
            return 0;
    }
    if (is_operator(c->q + tok->start, tok->end - tok->start))
        return 0;
    if (tok->end < c->len && c->q[tok->end] == '*')
        return 0; /* a prefix is not a word */
    if (!right_shape(tok->len, tok->flags) || !feedable(tok->text, tok->len))
        return 0;
    if (c->checked == SPELL_MAX_CHECKED)
        return 1;
    c->checked++;
    c->status = check_word(c, tok);
    return c->status != KBS_OK;
}

static void append_styled(buf *out, const struct fix *f)
{
    size_t at = out->len;
    buf_append_str(out, f->word);
    if (buf_failed(out))
        return;
    for (size_t i = at; i < out->len; i++) {
        char *p = &out->data[i];
        if ((f->style == CASE_UPPER || (f->style == CASE_CAPITALISED && i == at)) && *p >= 'a' &&
            *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    }
}

int spell_correct_query(xs_db *db, stemmer *st, const char *q, size_t len, char **out)
{
    if (!db || !st || (!q && len) || !out)
        return KBS_EINVAL;
    struct corrector *c = calloc(1, sizeof *c);
    if (!c)
        return KBS_ENOMEM;
    char *owned = NULL;
    int status = KBS_OK;
    if (len && utf8_repair(q, len, &c->q, &c->len, &owned) != 0)
        status = KBS_ENOMEM;
    c->db = db;
    c->st = st;
    if (status == KBS_OK)
        status = xs_db_doc_count(db, &c->doccount);
    if (status == KBS_OK && c->doccount > 0 && c->len > 0) {
        tokenize(c->q, c->len, TOKENIZE_QUERY, 0, check_cb, c);
        status = c->status;
    }
    char *result = NULL;
    if (status == KBS_OK && c->nfixes > 0) {
        buf b = BUF_INIT;
        size_t at = 0;
        for (size_t i = 0; i < c->nfixes; i++) {
            buf_append(&b, c->q + at, c->fixes[i].start - at);
            append_styled(&b, &c->fixes[i]);
            at = c->fixes[i].end;
        }
        buf_append(&b, c->q + at, c->len - at);
        result = buf_detach(&b, NULL);
        if (!result)
            status = KBS_ENOMEM;
    }
    if (status == KBS_OK)
        *out = result;
    free(owned);
    free(c);
    return status;
}
