/* snippet.c - the passage of an article shown under a hit, with highlights.
 *
 * The body is seen as one folded stream: paragraphs trimmed and joined by a
 * space, every whitespace run one space. Widths are counted in characters of
 * that stream, so a window's width is exactly what the reader will see.
 *
 * The window is made of "units": words the eye reads as one (words joined by
 * a hyphen, the letters of "U.S.", a "3/4") never split, because cutting
 * between them would show half a word. The best window is found with two
 * linear sweeps (FTS5's scoring, without its quadratic loop), then the
 * matches in it are given context: the start of their sentence when it fits,
 * else as much text before them as after (FTS5 centres its hits the same way).
 * With several fragments, each further passage is looked for in the gaps
 * left by the others, scoring only the terms they do not show yet.
 *
 * The words of a matched phrase are glued into one unit, so that no window
 * cuts a phrase in two and it is highlighted as one span.
 */
#include "snippet.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tokenize.h"
#include "utf8.h"

/* Punctuation kept on a word at either edge of the snippet ("“Yes,”") is
 * capped so that a run of symbols cannot stretch it. */
#define EDGE_MAX_CHARS 8
/* Words glued without whitespace form one unit, but a unit longer than this
 * (or than max_chars, if larger) is cut between words so that a long run of
 * "a/b/c/d..." cannot take over the snippet. */
#define UNIT_MIN_SPLIT 80

#define NO_STEM SIZE_MAX

/* Lexicographic: distinct stems, then whole phrases, then matches (capped
 * below one phrase's worth), then a sentence start, then earliness. */
#define SCORE_STEM 1000000u
#define SCORE_PHRASE 10000u
#define SCORE_MATCH 10u
#define MATCHES_CAP 999u
#define SCORE_SENTENCE 5u
#define SCORE_EARLY 4u /* stays below SCORE_SENTENCE: a sentence start wins over earliness */
/* A passage shorter than this reads as a fragment of nothing: fewer passages
 * are shown rather than shorter ones. */
#define MIN_FRAGMENT_CHARS 40u
/* The " … " between two passages, in characters. */
#define JOIN_CHARS 3u
#define MAX_FRAGMENTS 16u
/* Longest phrase matched as one span (the bits of a uint64_t). */
#define PHRASE_MAX_WORDS 64u

typedef struct stok {
    size_t para;                        /* index into req->paras */
    size_t start, end;                  /* bytes of the word in req->text */
    size_t lead, trail;                 /* widened by the punctuation attached to it */
    size_t flead, fstart, fend, ftrail; /* the same four in folded characters */
    size_t stem;                        /* index into req->stems, or NO_STEM */
    size_t phrase;      /* index into req->phrases if a matched phrase starts here, or NO_STEM */
    size_t phrase_last; /* with phrase: the index of its last word */
    unsigned flags;
    int space_before; /* whitespace separates it from the previous word */
    int phrase_cont;  /* a later word of a matched phrase */
} stok;

typedef struct unit {
    size_t t0, t1; /* its words: toks[t0..t1) */
    size_t lead, trail;
    size_t flead, ftrail;
    size_t nmatch;
    int sentence;
} unit;

typedef struct collect {
    const snippet_request *req;
    stemmer *st;
    size_t para;
    size_t base;
    stok *toks;
    size_t n, cap;
    int oom;
    /* Only a word whose first two bytes start some stem, and no shorter than
     * the shortest stem with its first byte, can stem to one: Snowball English
     * rewrites endings only and never lengthens a word, so the rest skip the
     * stemmer. (Its one change that early in a word is y -> i, "dying" ->
     * "die", so a stem's second byte 'i' also lets 'y' through.) */
    uint8_t min_len[256];   /* 0: no stem starts with this byte */
    uint8_t second_of[256]; /* by first byte: 1 + index into second[] */
    uint64_t (*second)[4];  /* bit b: a stem with that first byte has b second */
    uint64_t *phrase_state; /* per phrase: bit k set when the last k+1 words
                               are its first k+1 (shift-and matching) */
    /* Measuring as the words come (see measure_gap): */
    int ascii;       /* the paragraph is all ASCII: one byte, one character */
    size_t pos;      /* where the text not yet measured starts */
    size_t f;        /* folded characters before pos */
    int pending;     /* a whitespace run before pos awaits a character */
    size_t prev;     /* the paragraph's previous word in toks, or NO_STEM */
    tok_span *spans; /* tokenize_ascii's words of a paragraph */
    size_t spans_cap;
    uint64_t phrase_first[4]; /* bit b: some phrase word starts with byte b */
} collect;

typedef struct window_counts {
    size_t *cnt;               /* per term: the stems, then the phrases */
    const unsigned char *seen; /* per term: shown by another passage already */
    size_t nstems;
    size_t distinct; /* distinct stems not seen */
    size_t phrases;  /* distinct phrases not seen */
    size_t matches;
} window_counts;

typedef struct fragment {
    size_t lo, hi; /* units[lo..hi] */
} fragment;

typedef struct emitter {
    const char *text;
    buf *out;
    int pending; /* a whitespace run was seen and not yet written */
    int any;     /* something was written: leading whitespace is dropped */
    size_t left; /* characters that may still be written */
    int cut;     /* the limit stopped the output */
} emitter;

static inline int ascii_space(unsigned char b)
{
    return b == ' ' || (unsigned)(b - '\t') <= '\r' - '\t';
}

/* Whitespace that the output folds: ASCII, NEL, NBSP and the Unicode spaces
 * news pages use for layout. */
static int is_space(uint32_t cp)
{
    if (cp < 0x80)
        return cp == ' ' || (cp >= '\t' && cp <= '\r');
    switch (cp) {
    case ' ':
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
    case 0xFEFF:
        return 1;
    default:
        return cp >= 0x2000 && cp <= 0x200B;
    }
}

/* Clamps a paragraph to the text, so that a bad span can never read out of it. */
static void para_range(const snippet_request *req, size_t p, size_t *ps, size_t *pe)
{
    size_t off = req->paras[p].off, len = req->paras[p].len;
    if (off > req->len)
        off = req->len;
    if (len > req->len - off)
        len = req->len - off;
    *ps = off;
    *pe = off + len;
}

/* The text is valid UTF-8 (snippet.h), so its characters are the bytes that
 * do not continue one: no decoding needed. */
static size_t count_chars(const char *s, size_t a, size_t b)
{
    size_t n = b - a;
    /* Eight bytes at a time: a continuation byte has bit 7 set, bit 6 not. */
    for (; b - a >= 8; a += 8) {
        uint64_t x;
        memcpy(&x, s + a, 8);
        /* Bit 7 of each byte that continues a character, summed by a
         * multiply (a popcount builtin is a library call without -mpopcnt). */
        uint64_t cont = (x & ~(x << 1) & 0x8080808080808080ull) >> 7;
        n -= (size_t)((cont * 0x0101010101010101ull) >> 56);
    }
    for (; a < b; a++)
        n -= ((unsigned char)s[a] & 0xC0) == 0x80;
    return n;
}

/* One character at s[0..len): its length, and its code point in *cp; ASCII
 * without a call. */
static inline size_t next_cp(const char *s, size_t len, uint32_t *cp)
{
    if ((unsigned char)s[0] < 0x80) {
        *cp = (unsigned char)s[0];
        return 1;
    }
    return utf8_decode(s, len, cp);
}

static size_t skip_chars(const char *s, size_t a, size_t b, size_t nchars)
{
    uint32_t cp;
    while (a < b && nchars-- > 0)
        a += utf8_decode(s + a, b - a, &cp);
    return a;
}

/* Whether s[a..b) is all ASCII, eight bytes at a time. */
static int all_ascii(const char *s, size_t a, size_t b)
{
    uint64_t acc = 0;
    for (; b - a >= 8; a += 8) {
        uint64_t x;
        memcpy(&x, s + a, 8);
        acc |= x;
    }
    for (; a < b; a++)
        acc |= (unsigned char)s[a];
    return (acc & 0x8080808080808080ull) == 0;
}

/* Stems compare as the caller sorted them, with strcmp; ours has a length and
 * may not be NUL-terminated. */
static int stem_cmp(const char *stem, size_t len, const char *key)
{
    int c = strncmp(stem, key, len);
    if (c != 0)
        return c;
    return key[len] == '\0' ? 0 : -1;
}

static size_t find_stem(const snippet_request *req, const char *stem, size_t len)
{
    size_t lo = 0, hi = req->nstems;
    if (memchr(stem, '\0', len))
        return NO_STEM;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = stem_cmp(stem, len, req->stems[mid]);
        if (c == 0)
            return mid;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NO_STEM;
}

/* Shift-and over each phrase: a phrase is found when its last word's bit
 * comes up; its words are then marked, unless one is taken already. */
static void match_phrases(collect *c, const token *tok)
{
    const snippet_request *req = c->req;
    for (size_t p = 0; p < req->nphrases; p++) {
        const snippet_phrase *ph = &req->phrases[p];
        if (ph->nwords == 0 || ph->nwords > PHRASE_MAX_WORDS)
            continue;
        uint64_t eq = 0;
        for (size_t k = 0; k < ph->nwords; k++) {
            const char *w = ph->words[k];
            if (w[0] == tok->text[0] && strlen(w) == tok->len &&
                memcmp(w, tok->text, tok->len) == 0)
                eq |= (uint64_t)1 << k;
        }
        uint64_t st = ((c->phrase_state[p] << 1) | 1u) & eq;
        c->phrase_state[p] = st;
        if (!(st >> (ph->nwords - 1) & 1u))
            continue;
        size_t last = c->n - 1, first = c->n - ph->nwords;
        int free_run = 1;
        for (size_t t = first; t <= last && free_run; t++)
            free_run = c->toks[t].phrase == NO_STEM && !c->toks[t].phrase_cont;
        if (!free_run)
            continue;
        c->toks[first].phrase = p;
        c->toks[first].phrase_last = last;
        for (size_t t = first + 1; t <= last; t++)
            c->toks[t].phrase_cont = 1;
    }
}

/* Ends the punctuation trailing the word `w` (ASCII text): up to the next
 * space, `limit`, or EDGE_MAX_CHARS bytes. */
static inline void ascii_trail(const unsigned char *u, stok *w, size_t limit)
{
    size_t q = w->end;
    size_t qmax = limit - q > EDGE_MAX_CHARS ? q + EDGE_MAX_CHARS : limit;
    while (q < qmax && !ascii_space(u[q]))
        q++;
    w->trail = q;
    w->ftrail = w->fend + (q - w->end);
}

/* Walks the ASCII gap [pos, limit) as the snippet's output will: a
 * whitespace run counts as one folded character, and none before the body's
 * first. Updates the folded count, the pending space and where the last
 * whitespace run ended. */
static inline void ascii_gap(const unsigned char *u, size_t pos, size_t limit, size_t *f,
                             int *pending, int *saw_space, size_t *ws_end)
{
    for (; pos < limit; pos++) {
        if (ascii_space(u[pos])) {
            *pending = *f > 0;
            *saw_space = 1;
            *ws_end = pos + 1;
        } else {
            *f += (size_t)*pending + 1;
            *pending = 0;
        }
    }
}

/* The words of a paragraph are measured as they come: for the text from
 * c->pos to `limit` (the next word's start, or the paragraph's end when
 * next is NULL), the punctuation trailing the previous word, the folded
 * characters of the gap, and the punctuation leading the next word; then the
 * next word's own folded span. The same walk as the snippet's output makes:
 * a whitespace run is one space, and none at the start of the body. */
static inline void measure_gap(collect *c, size_t limit, stok *next)
{
    const char *s = c->req->text;
    size_t pos = c->pos, f = c->f;
    int pending = c->pending;
    size_t ws_end = pos;
    int saw_space = 0;
    if (c->ascii) {
        /* The same walks as below, a byte a character. */
        const unsigned char *u = (const unsigned char *)s;
        if (c->prev != NO_STEM)
            ascii_trail(u, &c->toks[c->prev], limit);
        ascii_gap(u, pos, limit, &f, &pending, &saw_space, &ws_end);
        pos = limit;
    } else {
        uint32_t cp;
        if (c->prev != NO_STEM) {
            stok *prev = &c->toks[c->prev];
            size_t q = prev->end, nc = 0;
            while (q < limit && nc < EDGE_MAX_CHARS) {
                size_t l = next_cp(s + q, limit - q, &cp);
                if (is_space(cp))
                    break;
                q += l;
                nc++;
            }
            prev->trail = q;
            prev->ftrail = prev->fend + nc;
        }
        while (pos < limit) {
            size_t l = next_cp(s + pos, limit - pos, &cp);
            if (is_space(cp)) {
                pending = f > 0;
                saw_space = 1;
                ws_end = pos + l;
            } else {
                f += (size_t)pending + 1;
                pending = 0;
            }
            pos += l;
        }
    }
    if (next) {
        size_t nlead = c->ascii ? next->start - ws_end : count_chars(s, ws_end, next->start);
        size_t skip = nlead > EDGE_MAX_CHARS ? nlead - EDGE_MAX_CHARS : 0;
        next->lead = c->ascii ? ws_end + skip : skip_chars(s, ws_end, next->start, skip);
        next->space_before = saw_space || c->prev == NO_STEM;
        f += (size_t)pending;
        pending = 0;
        next->fstart = f;
        next->flead = f - (nlead - skip);
        f += c->ascii ? next->end - next->start : count_chars(s, next->start, next->end);
        next->fend = f;
        pos = next->end;
        c->prev = (size_t)(next - c->toks);
    }
    c->pos = pos;
    c->f = f;
    c->pending = pending;
}

/* Whether the folded word may stem to one of the query's stems (see
 * collect.min_len). Words whose second byte is not ASCII are stemmed. */
static int may_match(const collect *c, const token *tok)
{
    if (!c->st || tok->len == 0)
        return 0;
    unsigned char b0 = (unsigned char)tok->text[0];
    uint8_t ml = c->min_len[b0];
    if (ml == 0 || tok->len < ml)
        return 0;
    unsigned char b1 = (unsigned char)tok->text[1]; /* NUL for a one-byte word */
    return b1 >= 0x80 || (c->second[c->second_of[b0] - 1][b1 >> 6] >> (b1 & 63) & 1u);
}

/* Room in c->toks for `more` words. Returns 0, or -1 out of memory. */
static int toks_reserve(collect *c, size_t more)
{
    if (c->cap - c->n >= more)
        return 0;
    size_t cap = c->cap ? c->cap : 256;
    while (cap - c->n < more) {
        if (cap > SIZE_MAX / 2 / sizeof *c->toks)
            return c->oom = 1, -1;
        cap *= 2;
    }
    stok *p = realloc(c->toks, cap * sizeof *p);
    if (!p)
        return c->oom = 1, -1;
    c->toks = p;
    c->cap = cap;
    return 0;
}

/* Takes one word, its folded form in tok->text (or NULL when the word
 * cannot match: tokenize_ascii's words that fail the first-byte test), at
 * [start, end) of the text. */
/* The index in req->stems of the stem of the folded word, or NO_STEM; -1
 * out of memory. */
static int stem_index(collect *c, const token *tok, size_t *idx)
{
    *idx = NO_STEM;
    if (!may_match(c, tok))
        return 0;
    const char *stem;
    size_t slen;
    if (stemmer_stem(c->st, tok->text, tok->len, &stem, &slen) != 0)
        return c->oom = 1, -1;
    *idx = find_stem(c->req, stem, slen);
    return 0;
}

static void stok_init(stok *k, size_t para, size_t start, size_t end, unsigned flags, size_t idx)
{
    k->para = para;
    k->start = start;
    k->end = end;
    k->stem = idx;
    k->phrase = NO_STEM;
    k->phrase_last = 0;
    k->flags = flags;
    k->phrase_cont = 0;
}

static int collect_token(void *ctx, const token *tok)
{
    collect *c = ctx;
    size_t idx;
    if (toks_reserve(c, 1) != 0 || stem_index(c, tok, &idx) != 0)
        return 1;
    stok *k = &c->toks[c->n++];
    stok_init(k, c->para, c->base + tok->start, c->base + tok->end, tok->flags, idx);
    measure_gap(c, k->start, k);
    if (c->req->nphrases && tok->len)
        match_phrases(c, tok);
    return 0;
}

/* An ASCII paragraph: its words from tokenize_ascii(), folded only when they
 * might match (or a phrase needs every word), and measured here, a byte a
 * character: measure_gap's walk with its state in registers. */
static int collect_ascii(collect *c, size_t ps, size_t pe)
{
    const char *s = c->req->text;
    const unsigned char *u = (const unsigned char *)s;
    size_t need = (pe - ps) / 2 + 1;
    if (need > c->spans_cap) {
        tok_span *p = realloc(c->spans, need * sizeof *p);
        if (!p)
            return c->oom = 1, -1;
        c->spans = p;
        c->spans_cap = need;
    }
    size_t ns = tokenize_ascii(s + ps, pe - ps, c->spans);
    if (toks_reserve(c, ns) != 0)
        return -1;
    size_t pos = c->pos, f = c->f, prev = c->prev;
    int pending = c->pending;
    size_t nph = c->req->nphrases;
    for (size_t i = 0; i < ns; i++) {
        size_t a = ps + c->spans[i].start, b = ps + c->spans[i].end;
        unsigned flags = c->spans[i].flags;
        unsigned char b0 = u[a] | 0x20;
        uint8_t ml = c->min_len[b0];
        /* Only a word some phrase has can go on a partial phrase match. */
        int in_phrase = nph && (c->phrase_first[b0 >> 6] >> (b0 & 63) & 1u);
        size_t ws_end = pos;
        int saw_space = 0;
        if (prev != NO_STEM && a == pos + 1 && u[pos] == ' ') {
            /* The usual gap, one space after the previous word: the walks
             * below end at once (no trailing punctuation, one folded
             * character, f > 0 since a word came before). */
            c->toks[prev].trail = pos;
            c->toks[prev].ftrail = c->toks[prev].fend;
            ws_end = a;
            saw_space = 1;
            pending = 1;
        } else {
            if (prev != NO_STEM)
                ascii_trail(u, &c->toks[prev], a);
            ascii_gap(u, pos, a, &f, &pending, &saw_space, &ws_end);
        }
        stok *k = &c->toks[c->n];
        stok_init(k, c->para, a, b, flags, NO_STEM);
        size_t nlead = a - ws_end;
        size_t skip = nlead > EDGE_MAX_CHARS ? nlead - EDGE_MAX_CHARS : 0;
        k->lead = ws_end + skip;
        k->space_before = saw_space || prev == NO_STEM;
        f += (size_t)pending;
        pending = 0;
        k->fstart = f;
        k->flead = f - (nlead - skip);
        f += b - a;
        k->fend = f;
        pos = b;
        prev = c->n++;
        if (in_phrase || (ml != 0 && b - a >= ml)) {
            /* The folded form: tokenize.h's rule for ASCII, and | 0x20 keeps
             * every other byte a word holds (digits, ' - . : /) as it is. */
            char w[TOK_MAX_BYTES + 1];
            size_t wl = 0;
            for (size_t j = a; j < b; j++)
                if (s[j] != ',')
                    w[wl++] = (char)(s[j] | 0x20);
            w[wl] = '\0';
            token tok = {w, wl, a - ps, b - ps, 0, flags};
            if (stem_index(c, &tok, &k->stem) != 0)
                return -1;
            if (in_phrase)
                match_phrases(c, &tok);
        }
        if (nph && !in_phrase) {
            /* A word no phrase has: every partial match is over. */
            memset(c->phrase_state, 0, nph * sizeof *c->phrase_state);
        }
    }
    c->pos = pos;
    c->f = f;
    c->prev = prev;
    c->pending = pending;
    return 0;
}

/* Glues the words into units; the indices of the units holding a match go
 * to mv[0..*nm), ascending. */
static size_t build_units(const snippet_request *req, const stok *toks, size_t n, unit *units,
                          size_t *mv, size_t *nm)
{
    size_t m = 0;
    size_t split = req->max_chars > UNIT_MIN_SPLIT ? req->max_chars : UNIT_MIN_SPLIT;
    size_t nu = 0;
    unit *u = NULL;
    for (size_t t = 0; t < n; t++) {
        const stok *k = &toks[t];
        int glued = !k->space_before && t > 0 && k->para == toks[t - 1].para;
        int joins =
            k->phrase_cont || (glued && !(k->flags & TOK_CJK) && !(toks[t - 1].flags & TOK_CJK) &&
                               k->fend - u->flead <= split);
        if (!joins) {
            u = &units[nu++];
            u->t0 = t;
            u->nmatch = 0;
            u->sentence = (k->flags & TOK_SENTENCE) != 0;
            /* Cut between glued words, the punctuation before belongs to the
             * previous unit. */
            u->lead = glued ? k->start : k->lead;
            u->flead = glued ? k->fstart : k->flead;
        }
        u->t1 = t + 1;
        u->trail = k->trail;
        u->ftrail = k->ftrail;
        if ((k->stem != NO_STEM || k->phrase != NO_STEM) && u->nmatch++ == 0)
            mv[m++] = nu - 1;
    }
    *nm = m;
    return nu;
}

static void count_term(window_counts *w, size_t term, int is_stem, int sign)
{
    int fresh = !w->seen || !w->seen[term];
    if (sign > 0) {
        if (w->cnt[term]++ == 0 && fresh) {
            if (is_stem)
                w->distinct++;
            else
                w->phrases++;
        }
    } else if (--w->cnt[term] == 0 && fresh) {
        if (is_stem)
            w->distinct--;
        else
            w->phrases--;
    }
}

static void counts_add(window_counts *w, const stok *toks, const unit *u, int sign)
{
    if (u->nmatch == 0)
        return;
    for (size_t t = u->t0; t < u->t1; t++) {
        if (toks[t].stem != NO_STEM) {
            count_term(w, toks[t].stem, 1, sign);
            if (sign > 0)
                w->matches++;
            else
                w->matches--;
        }
        if (toks[t].phrase != NO_STEM)
            count_term(w, w->nstems + toks[t].phrase, 0, sign);
    }
}

static uint64_t window_score(const window_counts *w, const unit *units, size_t lo, size_t nu,
                             size_t a)
{
    size_t m = w->matches < MATCHES_CAP ? w->matches : MATCHES_CAP;
    uint64_t sc = (uint64_t)w->distinct * SCORE_STEM + (uint64_t)w->phrases * SCORE_PHRASE +
                  (uint64_t)m * SCORE_MATCH;
    if (units[a].sentence)
        sc += SCORE_SENTENCE;
    sc += (uint64_t)(nu - a) * SCORE_EARLY / (nu - lo);
    return sc;
}

static size_t width(const unit *units, size_t a, size_t b)
{
    return units[b].ftrail - units[a].flead;
}

static void counts_clear(window_counts *w, size_t nterms)
{
    memset(w->cnt, 0, nterms * sizeof *w->cnt);
    w->distinct = w->phrases = w->matches = 0;
}

/* The matched units: their indices into units[], ascending. The sweeps below
 * only ever stop at these, so they walk this list, not every word. */
typedef struct matched {
    const size_t *v;
    size_t n;
} matched;

/* The first index in v[0..n) whose value is >= x. */
static size_t lower_bound(const size_t *v, size_t n, size_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The leftmost unit in [lo, b] that a window ending at b may start at, or b
 * when b alone is wider than max (folded positions only grow). */
static size_t first_fitting(const unit *units, size_t lo, size_t b, size_t max)
{
    size_t hi = b;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (width(units, mid, b) > max)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The rightmost unit in [a, nu) that a window starting at a may end at, or a. */
static size_t last_fitting(const unit *units, size_t a, size_t nu, size_t max)
{
    size_t lo = a, hi = nu - 1;
    while (lo < hi) {
        size_t mid = hi - (hi - lo) / 2;
        if (width(units, a, mid) <= max)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* Finds, among units[lo..nu), the window [*best_a, *best_b] with the best
 * score among those that start at a match and those that end at one, each as
 * wide as fits. Returns its score, 0 when the range holds no match. */
static uint64_t best_window(const stok *toks, const unit *units, const matched *mu, size_t lo,
                            size_t nu, size_t max, window_counts *w, size_t nterms, size_t *best_a,
                            size_t *best_b)
{
    uint64_t best = 0;
    const size_t *m = mu->v;
    size_t m0 = lower_bound(m, mu->n, lo), m1 = lower_bound(m, mu->n, nu);
    size_t j = m0; /* the matches in the window are m[i..j) */
    counts_clear(w, nterms);
    for (size_t i = m0; i < m1; i++) {
        size_t a = m[i];
        if (j == i)
            counts_add(w, toks, &units[m[j++]], 1);
        while (j < m1 && width(units, a, m[j]) <= max)
            counts_add(w, toks, &units[m[j++]], 1);
        uint64_t sc = window_score(w, units, lo, nu, a);
        if (sc > best) {
            best = sc;
            *best_a = a;
            *best_b = last_fitting(units, a, nu, max);
        }
        counts_add(w, toks, &units[a], -1);
    }
    counts_clear(w, nterms);
    size_t i = m0; /* the matches in the window are m[i..j] */
    for (j = m0; j < m1; j++) {
        size_t b = m[j];
        counts_add(w, toks, &units[b], 1);
        size_t a = first_fitting(units, lo, b, max);
        while (m[i] < a)
            counts_add(w, toks, &units[m[i++]], -1);
        uint64_t sc = window_score(w, units, lo, nu, a);
        if (sc > best || (sc == best && a < *best_a)) {
            best = sc;
            *best_a = a;
            *best_b = b;
        }
    }
    return best;
}

/* The terms (stems and phrases) that units[a..b] hold, added to seen[]; how
 * many of them were not there yet. */
static size_t mark_seen(const window_counts *w, const stok *toks, const unit *units,
                        const matched *mu, size_t a, size_t b, unsigned char *seen)
{
    size_t fresh = 0;
    /* Only matched units hold terms. */
    for (size_t m = lower_bound(mu->v, mu->n, a); m < mu->n && mu->v[m] <= b; m++) {
        size_t u = mu->v[m];
        for (size_t t = units[u].t0; t < units[u].t1; t++) {
            size_t terms[2] = {toks[t].stem, toks[t].phrase};
            for (int i = 0; i < 2; i++) {
                if (terms[i] == NO_STEM)
                    continue;
                size_t term = i ? w->nstems + terms[i] : terms[i];
                if (!seen[term]) {
                    seen[term] = 1;
                    fresh++;
                }
            }
        }
    }
    return fresh;
}

/* Gives the matches of [*lo, *hi] their context within max characters,
 * without going past units[first..last]. */
static void widen(const unit *units, size_t first, size_t last, size_t max, size_t *lo, size_t *hi)
{
    size_t ca = *lo, cb = *hi;
    while (ca < cb && units[ca].nmatch == 0)
        ca++;
    while (cb > ca && units[cb].nmatch == 0)
        cb--;
    size_t a = ca, b = cb;
    /* The start of the sentence reads best, if it fits. */
    size_t s = ca;
    while (!units[s].sentence && s > first && width(units, s - 1, cb) <= max)
        s--;
    if (units[s].sentence) {
        a = s;
        while (b < last && width(units, a, b + 1) <= max)
            b++;
        while (a > first && width(units, a - 1, b) <= max)
            a--;
    } else {
        for (;;) {
            int back = a > first && width(units, a - 1, b) <= max;
            int fwd = b < last && width(units, a, b + 1) <= max;
            if (!back && !fwd)
                break;
            size_t before = units[ca].flead - units[a].flead;
            size_t after = units[b].ftrail - units[cb].ftrail;
            if (back && (!fwd || before < after))
                a--;
            else
                b++;
        }
    }
    *lo = a;
    *hi = b;
}

static void emit_char(emitter *e, const char *p, size_t l, uint32_t cp)
{
    size_t need = (size_t)e->pending + 1;
    if (e->left < need) {
        e->cut = 1;
        return;
    }
    e->left -= need;
    if (e->pending)
        buf_append_char(e->out, ' ');
    e->pending = 0;
    e->any = 1;
    /* The text should be valid UTF-8 already; whatever is not is replaced. */
    if (cp == UTF8_REPLACEMENT)
        buf_append(e->out, "\xEF\xBF\xBD", 3);
    else
        buf_append(e->out, p, l);
}

static void emit_range(emitter *e, size_t a, size_t b)
{
    uint32_t cp;
    while (a < b && !e->cut) {
        /* A run of printable ASCII goes out in one append. */
        size_t r = a;
        while (r < b && (unsigned char)e->text[r] > ' ' && (unsigned char)e->text[r] < 0x7F)
            r++;
        if (r > a && e->left >= (size_t)e->pending + (r - a)) {
            e->left -= (size_t)e->pending + (r - a);
            if (e->pending)
                buf_append_char(e->out, ' ');
            e->pending = 0;
            e->any = 1;
            buf_append(e->out, e->text + a, r - a);
            a = r;
            continue;
        }
        size_t l = next_cp(e->text + a, b - a, &cp);
        if (is_space(cp))
            e->pending = e->any;
        else
            emit_char(e, e->text + a, l, cp);
        a += l;
    }
}

static void flush_space(emitter *e)
{
    if (e->pending) {
        buf_append_char(e->out, ' ');
        e->pending = 0;
    }
}

static void add_span(snippet_result *out, size_t s0, size_t s1)
{
    if (out->nspans > 0) {
        kbs_span *last = &out->spans[out->nspans - 1];
        size_t last_end = (size_t)last->start + last->len;
        if (last_end + 1 == s0 && out->text.data[last_end] == ' ') {
            last->len = (uint32_t)(s1 - last->start);
            return;
        }
    }
    out->spans[out->nspans].start = (uint32_t)s0;
    out->spans[out->nspans].len = (uint32_t)(s1 - s0);
    out->nspans++;
}

/* Writes units [lo, hi] to out->text with their highlights; a matched
 * phrase is one span, from its first word to its last. */
static void render_range(const snippet_request *req, const stok *toks, const unit *units, size_t lo,
                         size_t hi, snippet_result *out)
{
    size_t t = units[lo].t0, tend = units[hi].t1;
    emitter e = {req->text, &out->text, 0, 0, SIZE_MAX, 0};
    size_t plast = toks[tend - 1].para;
    size_t pos = units[lo].lead;
    for (size_t p = toks[t].para;; p++) {
        size_t ps, pe;
        para_range(req, p, &ps, &pe);
        if (p != toks[units[lo].t0].para) {
            pos = ps;
            e.pending = e.any;
        }
        size_t stop = p == plast ? units[hi].trail : pe;
        for (; t < tend && toks[t].para == p; t++) {
            if (toks[t].stem == NO_STEM && toks[t].phrase == NO_STEM)
                continue;
            size_t last = toks[t].phrase != NO_STEM ? toks[t].phrase_last : t;
            emit_range(&e, pos, toks[t].start);
            flush_space(&e);
            size_t s0 = out->text.len;
            emit_range(&e, toks[t].start, toks[last].end);
            if (!buf_failed(&out->text))
                add_span(out, s0, out->text.len);
            pos = toks[last].end;
            t = last;
        }
        emit_range(&e, pos, stop);
        if (p == plast)
            break;
    }
}

/* Writes the fragments, in document order, joined by " … ". */
static int render(const snippet_request *req, const stok *toks, const unit *units,
                  const fragment *frags, size_t nfrag, size_t ftotal, snippet_result *out)
{
    size_t nmatch = 0;
    for (size_t f = 0; f < nfrag; f++)
        for (size_t u = frags[f].lo; u <= frags[f].hi; u++)
            nmatch += units[u].nmatch;
    if (nmatch > 0) {
        out->spans = malloc(nmatch * sizeof *out->spans);
        if (!out->spans)
            return -1;
    }
    if (units[frags[0].lo].flead > 0)
        buf_append(&out->text, "\xE2\x80\xA6 ", 4);
    for (size_t f = 0; f < nfrag; f++) {
        if (f > 0)
            buf_append(&out->text, " \xE2\x80\xA6 ", 5);
        render_range(req, toks, units, frags[f].lo, frags[f].hi, out);
    }
    if (units[frags[nfrag - 1].hi].ftrail < ftotal)
        buf_append(&out->text, " \xE2\x80\xA6", 4);
    return buf_failed(&out->text) ? -1 : 0;
}

/* A body with no word at all (only symbols): its first max_chars characters. */
static int render_wordless(const snippet_request *req, snippet_result *out)
{
    emitter e = {req->text, &out->text, 0, 0, req->max_chars, 0};
    for (size_t p = 0; p < req->npara && !e.cut; p++) {
        size_t ps, pe;
        para_range(req, p, &ps, &pe);
        e.pending = e.any;
        emit_range(&e, ps, pe);
    }
    if (e.cut)
        buf_append(&out->text, " \xE2\x80\xA6", 4);
    return buf_failed(&out->text) ? -1 : 0;
}

static int cmp_fragment(const void *a, const void *b)
{
    const fragment *x = a, *y = b;
    return (x->lo > y->lo) - (x->lo < y->lo);
}

/* The passages: the best one for the whole length when it shows every term
 * the body matches (or one is asked for); else up to `want` shorter ones,
 * each holding a term the others lack, widened to share the length. */
static size_t choose_fragments(const snippet_request *req, const stok *toks, const unit *units,
                               size_t nu, const matched *mu, window_counts *w, size_t nterms,
                               unsigned char *seen, fragment *frags)
{
    size_t max = req->max_chars;
    size_t want = req->fragments ? req->fragments : 1;
    if (want > MAX_FRAGMENTS)
        want = MAX_FRAGMENTS;
    while (want > 1 && (max + JOIN_CHARS) / want < MIN_FRAGMENT_CHARS + JOIN_CHARS)
        want--;
    size_t lo = 0, hi = 0;
    best_window(toks, units, mu, 0, nu, max, w, nterms, &lo, &hi);
    if (want > 1) {
        size_t all = mark_seen(w, toks, units, mu, 0, nu - 1, seen);
        memset(seen, 0, nterms);
        if (mark_seen(w, toks, units, mu, lo, hi, seen) == all)
            want = 1;
        memset(seen, 0, nterms);
    }
    if (want == 1) {
        widen(units, 0, nu - 1, max, &lo, &hi);
        frags[0].lo = lo;
        frags[0].hi = hi;
        return 1;
    }
    size_t per = (max - JOIN_CHARS * (want - 1)) / want;
    size_t n = 0;
    w->seen = seen;
    while (n < want) {
        /* The best window in the gaps between the passages so far, a unit
         * apart from them so that two passages never touch. */
        uint64_t best = 0;
        size_t ba = 0, bb = 0;
        size_t g0 = 0;
        for (size_t f = 0; f <= n; f++) {
            size_t g1 = f < n ? (frags[f].lo > 0 ? frags[f].lo - 1 : 0) : nu;
            if (g1 > g0) {
                size_t a = 0, b = 0;
                uint64_t sc = best_window(toks, units, mu, g0, g1, per, w, nterms, &a, &b);
                if (sc > best) {
                    best = sc;
                    ba = a;
                    bb = b;
                }
            }
            if (f < n)
                g0 = frags[f].hi + 2;
        }
        if (best == 0 || (n > 0 && best < SCORE_PHRASE))
            break; /* nothing new to show */
        mark_seen(w, toks, units, mu, ba, bb, seen);
        frags[n].lo = ba;
        frags[n].hi = bb;
        n++;
        qsort(frags, n, sizeof *frags, cmp_fragment);
    }
    w->seen = NULL;
    if (n <= 1) {
        /* The others had nothing new: one passage, the whole length. */
        lo = frags[0].lo;
        hi = frags[0].hi;
        widen(units, 0, nu - 1, max, &lo, &hi);
        frags[0].lo = lo;
        frags[0].hi = hi;
        return 1;
    }
    per = (max - JOIN_CHARS * (n - 1)) / n;
    for (size_t f = 0; f < n; f++) {
        size_t first = f > 0 ? frags[f - 1].hi + 2 : 0;
        size_t last = f + 1 < n ? frags[f + 1].lo - 2 : nu - 1;
        widen(units, first, last, per, &frags[f].lo, &frags[f].hi);
    }
    return n;
}

static int make(const snippet_request *req, snippet_result *out, collect *c, unit **units_out,
                size_t **cnt_out, unsigned char **seen_out)
{
    size_t nfirst = 0;
    for (size_t i = 0; i < req->nstems; i++) {
        unsigned char b0 = (unsigned char)req->stems[i][0];
        if (c->second_of[b0] == 0)
            c->second_of[b0] = (uint8_t)++nfirst; /* at most 256 bytes: no overflow */
    }
    if (nfirst) {
        c->second = calloc(nfirst, sizeof *c->second);
        if (!c->second)
            return -1;
    }
    for (size_t i = 0; i < req->nstems; i++) {
        const char *stem = req->stems[i];
        size_t len = strlen(stem);
        uint8_t *ml = &c->min_len[(unsigned char)stem[0]];
        uint8_t l = len > 255 ? 255 : (uint8_t)(len ? len : 1);
        if (*ml == 0 || l < *ml)
            *ml = l;
        uint64_t *set = c->second[c->second_of[(unsigned char)stem[0]] - 1];
        unsigned char b1 = len >= 2 ? (unsigned char)stem[1] : 0;
        if (len < 2) {
            memset(set, 0xFF, sizeof *c->second); /* a one-byte stem: any word */
        } else {
            set[b1 >> 6] |= (uint64_t)1 << (b1 & 63);
            if (b1 == 'i')
                set['y' >> 6] |= (uint64_t)1 << ('y' & 63);
        }
    }
    if (req->nphrases) {
        c->phrase_state = calloc(req->nphrases, sizeof *c->phrase_state);
        if (!c->phrase_state)
            return -1;
    }
    for (size_t p = 0; p < req->nphrases; p++)
        for (size_t k = 0; k < req->phrases[p].nwords; k++) {
            unsigned char b0 = (unsigned char)req->phrases[p].words[k][0];
            c->phrase_first[b0 >> 6] |= (uint64_t)1 << (b0 & 63);
        }
    /* Room for the words up front: news text averages a word per five to
     * six bytes, and growing the array as it fills copied it twice a body. */
    size_t body = 0;
    for (size_t p = 0; p < req->npara; p++) {
        size_t ps, pe;
        para_range(req, p, &ps, &pe);
        body += pe - ps;
    }
    if (toks_reserve(c, (body < 32768 ? body : 32768) / 4 + 16) != 0)
        return -1;
    for (size_t p = 0; p < req->npara; p++) {
        size_t ps, pe;
        para_range(req, p, &ps, &pe);
        c->para = p;
        c->base = ps;
        c->ascii = all_ascii(req->text, ps, pe);
        c->pos = ps;
        c->pending = c->f > 0; /* paragraphs are joined by a space */
        c->prev = NO_STEM;
        /* A phrase across two paragraphs would take the text between them. */
        if (req->nphrases)
            memset(c->phrase_state, 0, req->nphrases * sizeof *c->phrase_state);
        if (c->ascii && pe - ps < UINT32_MAX) {
            if (collect_ascii(c, ps, pe) != 0)
                return -1;
        } else if (tokenize(req->text + ps, pe - ps, TOKENIZE_DOCUMENT, 0, collect_token, c) != 0 ||
                   c->oom) {
            return -1;
        }
        measure_gap(c, pe, NULL);
    }
    size_t ftotal = c->f;
    if (c->n == 0)
        return render_wordless(req, out);

    unit *units = malloc(c->n * sizeof *units);
    *units_out = units;
    if (!units)
        return -1;
    /* The counts per term, then the list of matched units (at most one a
     * word). */
    size_t nterms = req->nstems + req->nphrases;
    size_t *cnt = malloc((nterms + c->n) * sizeof *cnt);
    *cnt_out = cnt;
    if (!cnt)
        return -1;
    memset(cnt, 0, nterms * sizeof *cnt);
    size_t *mv = cnt + nterms, nm = 0;
    size_t nu = build_units(req, c->toks, c->n, units, mv, &nm);

    fragment frags[MAX_FRAGMENTS];
    size_t nfrag = 1;
    frags[0].lo = frags[0].hi = 0;
    if (nm == 0) {
        while (frags[0].hi + 1 < nu && width(units, 0, frags[0].hi + 1) <= req->max_chars)
            frags[0].hi++;
    } else {
        unsigned char *seen = calloc(nterms, 1);
        *seen_out = seen;
        if (!seen)
            return -1;
        matched mu = {mv, nm};
        window_counts w = {cnt, NULL, req->nstems, 0, 0, 0};
        nfrag = choose_fragments(req, c->toks, units, nu, &mu, &w, nterms, seen, frags);
        out->matched = 1;
    }
    return render(req, c->toks, units, frags, nfrag, ftotal, out);
}

int snippet_make(const snippet_request *req, stemmer *st, snippet_result *out)
{
    if (!out)
        return -1;
    memset(out, 0, sizeof *out);
    if (!req || (!req->text && req->len > 0) || (!req->paras && req->npara > 0) ||
        (!req->stems && req->nstems > 0) || (!req->phrases && req->nphrases > 0))
        return -1;
    collect c;
    memset(&c, 0, sizeof c);
    c.req = req;
    c.st = st;
    unit *units = NULL;
    size_t *cnt = NULL;
    unsigned char *seen = NULL;
    int rc = make(req, out, &c, &units, &cnt, &seen);
    free(c.toks);
    free(c.phrase_state);
    free(c.second);
    free(c.spans);
    free(units);
    free(cnt);
    free(seen);
    if (rc != 0)
        snippet_result_free(out);
    return rc;
}

art_span *snippet_set_article(snippet_request *req, const char *text, size_t len, const article *a,
                              int first_line)
{
    req->text = text;
    req->len = len;
    req->paras = a->paras;
    req->npara = a->npara;
    art_span *paras = NULL;
    if (first_line && a->layout == ART_PLAIN && a->title.len &&
        (paras = malloc((a->npara + 1) * sizeof *paras)) != NULL) {
        paras[0] = a->title;
        if (a->npara)
            memcpy(paras + 1, a->paras, a->npara * sizeof *paras);
        req->paras = paras;
        req->npara = a->npara + 1;
    }
    return paras;
}

void snippet_result_free(snippet_result *r)
{
    if (!r)
        return;
    buf_free(&r->text);
    free(r->spans);
    r->spans = NULL;
    r->nspans = 0;
    r->matched = 0;
}
