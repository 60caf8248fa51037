/* phrase_check.c - quoted phrases in their exact forms (see phrase_check.h). */
#include "phrase_check.h"

#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "docstore.h"
#include "stem.h"
#include "stories.h"
#include "tokenize.h"
#include "utf8.h"

/* Whether the index alone tells where ph's words stand as written: a
 * quoted phrase of two or more words is matched on their places of their
 * form tags (query.c phrase_of), which is exact when none is a stop word
 * (they have no places), it is not confined to the title or the body (the
 * index keeps them apart by a gap only), and no other recorded form of a
 * word's stem shares its tag. */
static int decided_by_index(kbs_db *db, const query_phrase *ph)
{
    if (ph->nwords < 2 || ph->field != 0)
        return 0;
    for (size_t i = 0; i < ph->nwords; i++) {
        const char *w = ph->words[i];
        size_t len = strlen(w);
        const char *stem;
        size_t slen;
        int alone = 0;
        if (stem_is_stopword(w, len) || stemmer_stem(db->stem, w, len, &stem, &slen) != 0 ||
            xs_db_form_alone(db->xdb, stem, slen, stem_form_hash(w, len), &alone) != KBS_OK ||
            !alone)
            return 0;
    }
    return 1;
}

void phrase_check_init(phrase_check *pc, kbs_db *db, const query_plan *plan)
{
    memset(pc, 0, sizeof *pc);
    pc->db = db;
    pc->plan = plan;
    pc->decided = plan->nphrases > 0;
    for (size_t i = 0; pc->decided && i < plan->nphrases; i++)
        pc->decided = decided_by_index(db, &plan->phrases[i]);
}

void phrase_check_free(phrase_check *pc)
{
    if (!pc)
        return;
    buf_free(&pc->text);
    free(pc->spans);
    for (size_t i = 0; i < pc->nkept; i++)
        buf_free(&pc->kept[i].text);
    free(pc->kept);
}

/* Keeps pc->text, the original of docid just accepted. Without memory for
 * it, the snippet reads it again. */
static void keep_text(phrase_check *pc, uint32_t docid)
{
    if (pc->nkept == pc->kept_cap) {
        size_t cap = pc->kept_cap ? 2 * pc->kept_cap : 16;
        struct phrase_kept *k = realloc(pc->kept, cap * sizeof *k);
        if (!k)
            return;
        pc->kept = k;
        pc->kept_cap = cap;
    }
    pc->kept[pc->nkept].docid = docid;
    pc->kept[pc->nkept++].text = pc->text;
    pc->text = (buf)BUF_INIT;
}

int phrase_check_take(phrase_check *pc, uint32_t docid, buf *out)
{
    for (size_t i = 0; pc && i < pc->nkept; i++)
        if (pc->kept[i].docid == docid && !buf_failed(&pc->kept[i].text)) {
            *out = pc->kept[i].text;
            pc->kept[i].text = (buf)BUF_INIT;
            pc->kept[i].docid = 0;
            return 1;
        }
    return 0;
}

/* Follows every partial match at once, so a phrase of any length (up to
 * QUERY_MAX_TERMS words) is checked in one pass without keeping the text's
 * words: its stop words have no positions in the index (stem.h), so their
 * places are known only here. */
struct phrase_scan {
    const query_phrase *ph;
    unsigned char alive[QUERY_MAX_TERMS + 1]; /* [k]: the phrase's first k words
                                                 end at the last word seen */
    int found;
};

/* One word of the text, folded: advances every partial match. */
static int scan_word(struct phrase_scan *ps, const char *w, size_t len)
{
    size_t n = ps->ph->nwords;
    for (size_t k = n; k-- > 0;) {
        const char *pw = ps->ph->words[k];
        ps->alive[k + 1] = ps->alive[k] && strncmp(pw, w, len) == 0 && pw[len] == '\0';
    }
    ps->found = ps->alive[n];
    return ps->found;
}

static int phrase_cb(void *ctx, const token *tok)
{
    return scan_word(ctx, tok->text, tok->len);
}

/* An ASCII span's words, from tokenize_ascii() (several times tokenize()'s
 * speed, the same words): most candidates of a phrase query fail the check,
 * and reading them all is the query's cost. Returns -1 when memory ran out. */
static int scan_ascii(phrase_check *pc, struct phrase_scan *ps, const char *s, size_t len)
{
    size_t need = len / 2 + 1;
    if (need > pc->spans_cap) {
        tok_span *p = realloc(pc->spans, need * sizeof *p);
        if (!p)
            return -1;
        pc->spans = p;
        pc->spans_cap = need;
    }
    size_t ns = tokenize_ascii(s, len, pc->spans);
    /* A word whose first byte starts no word of the phrase ends every
     * partial match without being folded: most words. */
    unsigned char first[256] = {0};
    for (size_t k = 0; k < ps->ph->nwords; k++)
        first[(unsigned char)ps->ph->words[k][0]] = 1;
    for (size_t i = 0; i < ns && !ps->found; i++) {
        if (!first[(unsigned char)(s[pc->spans[i].start] | 0x20)]) {
            memset(ps->alive + 1, 0, ps->ph->nwords);
            continue;
        }
        /* tokenize.h's folded form of an ASCII word: A-Z lower-cased, commas
         * left out; | 0x20 keeps the other bytes a word holds as they are. */
        char w[TOK_MAX_BYTES + 1];
        size_t wl = 0;
        for (uint32_t j = pc->spans[i].start; j < pc->spans[i].end && wl < TOK_MAX_BYTES; j++)
            if (s[j] != ',')
                w[wl++] = (char)(s[j] | 0x20);
        w[wl] = '\0';
        scan_word(ps, w, wl);
    }
    return 0;
}

/* Whether text[spans[0..nspans)] holds the phrase; ascii: the text is ASCII. */
static int phrase_in(phrase_check *pc, const char *text, const art_span *spans, size_t nspans,
                     const query_phrase *ph, int ascii)
{
    struct phrase_scan ps;
    memset(&ps, 0, sizeof ps);
    ps.ph = ph;
    ps.alive[0] = 1;
    /* Paragraphs are one stream of positions in the index, so here too. */
    for (size_t i = 0; i < nspans && !ps.found; i++) {
        if (!ascii)
            tokenize(text + spans[i].off, spans[i].len, TOKENIZE_DOCUMENT, 0, phrase_cb, &ps);
        else if (scan_ascii(pc, &ps, text + spans[i].off, spans[i].len) != 0)
            return pc->failed = KBS_ENOMEM, 0;
    }
    return ps.found;
}

/* Whether every phrase is in the article, its title read from `title`
 * (title[tsp]) and its body from text[body[0..nbody)]; ascii: both are
 * ASCII. */
static int phrases_in(phrase_check *pc, const char *title, art_span tsp, const char *text,
                      const art_span *body, size_t nbody, int ascii)
{
    const query_plan *plan = pc->plan;
    int ok = 1;
    for (size_t i = 0; ok && i < plan->nphrases; i++) {
        const query_phrase *ph = &plan->phrases[i];
        if (ph->nwords == 0 || ph->nwords > QUERY_MAX_TERMS)
            continue; /* cannot be: the parser takes at most QUERY_MAX_TERMS */
        int in_title = ph->field != 2 && phrase_in(pc, title, &tsp, 1, ph, ascii);
        int in_body = ph->field != 1 && !in_title && phrase_in(pc, text, body, nbody, ph, ascii);
        ok = in_title || in_body;
    }
    return ok;
}

/* The article's stored display fields (SLOT_META) into fields, pointing
 * into *v (free() it); 0 when they cannot be read (pc->failed says whether
 * memory ran out). */
static int stored_fields(phrase_check *pc, uint32_t docid, char **v, const char *fields[MF_COUNT])
{
    size_t vl = 0;
    int st = xs_db_hit_value(pc->db->xdb, docid, SLOT_META, v, &vl);
    if (st != KBS_OK) {
        if (st == KBS_ENOMEM)
            pc->failed = KBS_ENOMEM;
        return 0;
    }
    db_split_meta(*v, vl, fields);
    return 1;
}

/* An article indexed with its caller's title (kbs_index_buffer_meta) has a
 * title its text does not hold, and a plain text's first line is then the
 * body's: checked that way once the text's own layout failed the phrases,
 * which is rare (the stems matched as phrases already), so the stored title
 * is read only then. */
static int phrases_in_given_title(phrase_check *pc, uint32_t docid, const char *text,
                                  const article *art)
{
    char *v = NULL;
    const char *fields[MF_COUNT];
    if (!stored_fields(pc, docid, &v, fields))
        return 0;
    art_span tsp = {0, strlen(fields[MF_TITLE])};
    /* The text's own title, stored as is: no caller's title, and the first
     * line is the title, not body (title words and body words share terms
     * since format 4, so body:"..." relies on this). */
    if (tsp.len == art->title.len &&
        memcmp(fields[MF_TITLE], text + art->title.off, tsp.len) == 0) {
        free(v);
        return 0;
    }
    art_span *body = malloc((art->npara + 1) * sizeof *body);
    int ok = 0;
    if (body) {
        size_t n = 0;
        if (art->layout == ART_PLAIN && art->title.len)
            body[n++] = art->title;
        if (art->npara) /* a text of a title only has no paragraphs at all */
            memcpy(body + n, art->paras, art->npara * sizeof *body);
        ok = phrases_in(pc, fields[MF_TITLE], tsp, text, body, n + art->npara, 0);
    } else {
        pc->failed = KBS_ENOMEM;
    }
    free(body);
    free(v);
    return ok;
}

static int is_ascii(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned char any = 0;
    for (size_t i = 0; i < len; i++)
        any |= u[i];
    return any < 0x80;
}

/* Whether the ASCII text s[0..n) may have the word w (folded) among its
 * words. A word of letters and apostrophes is its own bytes in the text, in
 * some case, so without them there it is not there; other words (digits:
 * a grouping comma is left out of the folded form) are never ruled out. */
static int may_hold(const char *s, size_t n, const char *w)
{
    size_t wl = 0;
    for (; w[wl]; wl++)
        if ((w[wl] < 'a' || w[wl] > 'z') && w[wl] != '\'')
            return 1;
    if (wl == 0 || wl > n)
        return wl == 0;
    /* memchr for the first letter in each case, then the rest: | 0x20
     * lower-cases A-Z and maps no other byte onto a-z or '. */
    for (int upper = 0; upper < 2; upper++) {
        char c = upper ? (char)(w[0] - 'a' + 'A') : w[0];
        const char *p = s, *end = s + n - wl + 1;
        while (p < end && (p = memchr(p, c, (size_t)(end - p))) != NULL) {
            size_t i = 1;
            while (i < wl && (p[i] | 0x20) == w[i])
                i++;
            if (i == wl)
                return 1;
            p++;
        }
    }
    return 0;
}

static inline int ascii_alnum(unsigned char b)
{
    return (unsigned)(b - '0') < 10u || (unsigned)((b | 0x20) - 'a') < 26u;
}

/* Whether the word w (folded: a-z and ') stands at s[i..n) as a whole word
 * of the tokenizer's: its bytes in some case, then no letter or digit, nor
 * an apostrophe that joins one to it. */
static int word_at(const char *s, size_t n, size_t i, const char *w, size_t wl)
{
    if (n - i < wl)
        return 0;
    for (size_t k = 0; k < wl; k++)
        if (((unsigned char)s[i + k] | 0x20) != (unsigned char)w[k])
            return 0;
    size_t e = i + wl;
    if (e < n && ascii_alnum((unsigned char)s[e]))
        return 0;
    /* tokenize.c joins an apostrophe between two letters, no other. */
    return !(e + 1 < n && s[e] == '\'' && (unsigned)(((unsigned char)s[e + 1] | 0x20) - 'a') < 26u);
}

/* Whether the text from s[i] on runs longer than any word the tokenizer
 * keeps before a space: it skips such a run whole, so the words on either
 * side of it follow each other as if it were not there. */
static int overlong_at(const char *s, size_t n, size_t i)
{
    size_t e = i;
    while (e < n && e - i <= TOK_MAX_BYTES && s[e] != ' ' && (unsigned)(s[e] - '\t') > '\r' - '\t')
        e++;
    return e - i > TOK_MAX_BYTES;
}

/* Whether the ASCII text s[0..n) may hold phrase ph: its words in a row,
 * only bytes that are no letter or digit between two (spaces, punctuation,
 * line breaks: what separates two words of the tokenizer's). A phrase that
 * is in the text is found so, as are some that are not ("o'last months",
 * whose first word is the tokenizer's "o'last"), which the full check then
 * rules out. A phrase with a word of other than letters and apostrophes
 * (digits, whose grouping commas the folded form leaves out) is never ruled
 * out here. */
static int may_hold_phrase(const char *s, size_t n, const query_phrase *ph)
{
    for (size_t k = 0; k < ph->nwords; k++) {
        const char *w = ph->words[k];
        if (*w < 'a' || *w > 'z')
            return 1; /* empty, or not a word the tokenizer starts so */
        for (; *w; w++)
            if ((*w < 'a' || *w > 'z') && *w != '\'')
                return 1;
    }
    const char *w0 = ph->words[0];
    size_t l0 = strlen(w0);
    for (int upper = 0; upper < 2; upper++) {
        char c = upper ? (char)(w0[0] - 'a' + 'A') : w0[0];
        const char *p = s, *end = s + n;
        while (p < end && (p = memchr(p, c, (size_t)(end - p))) != NULL) {
            size_t i = (size_t)(p - s);
            p++;
            if ((i > 0 && ascii_alnum((unsigned char)s[i - 1])) || !word_at(s, n, i, w0, l0))
                continue;
            size_t q = i + l0, k = 1;
            for (; k < ph->nwords; k++) {
                while (q < n && !ascii_alnum((unsigned char)s[q]))
                    q++;
                size_t wl = strlen(ph->words[k]);
                if (word_at(s, n, q, ph->words[k], wl)) {
                    q += wl;
                    continue;
                }
                if (q < n && overlong_at(s, n, q))
                    return 1; /* a word left out: cannot tell here */
                break;
            }
            if (k == ph->nwords)
                return 1;
        }
    }
    return 0;
}

/* Whether the ASCII text s[0..n) cannot hold phrase ph: a word of it is
 * nowhere, or its words are nowhere in a row. */
static int cannot_hold(const char *s, size_t n, const query_phrase *ph)
{
    for (size_t k = 0; k < ph->nwords; k++)
        if (!may_hold(s, n, ph->words[k]))
            return 1;
    return !may_hold_phrase(s, n, ph);
}

/* Most candidates of a phrase query fail the check, and most of those lack
 * one of the phrase's words, or have them all but not in a row ("last
 * months" has 13,320 articles with the stems in a row on Reuters 106k, 56
 * with the words): a search for the words' bytes rules them out before the
 * text is parsed and read word by word. Such a phrase can still be in a
 * caller's title (which the text does not hold): the stored title is read
 * to see, and when it holds every phrase the text lacks, the article is
 * checked in full. Returns 0 when the article cannot hold the phrases, 1
 * when it must be checked. */
static int worth_checking(phrase_check *pc, uint32_t docid, const char *text, size_t tlen)
{
    const query_plan *plan = pc->plan;
    size_t i = 0;
    while (i < plan->nphrases && !cannot_hold(text, tlen, &plan->phrases[i]))
        i++;
    if (i == plan->nphrases)
        return 1;
    char *v = NULL;
    const char *fields[MF_COUNT];
    if (!stored_fields(pc, docid, &v, fields))
        return 0;
    art_span tsp = {0, strlen(fields[MF_TITLE])};
    int ok = 1;
    for (; ok && i < plan->nphrases; i++) {
        const query_phrase *ph = &plan->phrases[i];
        if (cannot_hold(text, tlen, ph))
            ok = ph->field != 2 && phrase_in(pc, fields[MF_TITLE], &tsp, 1, ph, 0);
    }
    free(v);
    return ok;
}

static int exact_phrases(void *ctx, uint32_t docid, const char *data, size_t len)
{
    phrase_check *pc = ctx;
    buf_reset(&pc->text);
    int r = docstore_unpack(pc->db->store, data, len, &pc->text);
    if (r != 0) {
        pc->failed = r == -1 ? KBS_ENOMEM : KBS_ECORRUPT;
        return 0;
    }
    const char *text = pc->text.data ? pc->text.data : "";
    size_t tlen = pc->text.len;
    char *owned = NULL;
    article art;
    /* ASCII is valid UTF-8 as it stands: no repair, and the fast words. */
    int ascii = is_ascii(text, tlen);
    if (!ascii && utf8_repair(text, tlen, &text, &tlen, &owned) != 0)
        return pc->failed = KBS_ENOMEM, 0;
    if (ascii && !worth_checking(pc, docid, text, tlen))
        return 0;
    if (article_parse(text, tlen, &art) != 0) {
        free(owned);
        return pc->failed = KBS_ENOMEM, 0;
    }
    int ok = phrases_in(pc, text, art.title, text, art.paras, art.npara, ascii) ||
             phrases_in_given_title(pc, docid, text, &art);
    article_free(&art);
    free(owned);
    return ok;
}

/* Left to the matcher, exact_phrases would run on every candidate it weighs,
 * reading and decompressing the stored original of each. A page needs only
 * its own hits checked: the candidates (the stems' matches) are taken in rank
 * order and checked until the page is full, more being asked for when too
 * many fail ("quarterly profit" must skip past the "quarterly profits").
 * The ranking is the same as the matcher's with the check, since checking
 * changes no weight. The total is exact when every candidate was checked,
 * else the stems' estimate scaled by the share that passed, as Xapian scales
 * it for a decider. Exact counts (and deep pages) still let the matcher check
 * every match. (With collapsing, only a story's best version is checked: its
 * versions share their text.) */
#define PHRASE_PAGE_MAX 1000
#define PHRASE_FIRST_BATCH 32

/* How many candidates the next batch fetches, when `checked` of them gave
 * nacc of the want hits: twice as many as the share that passed says the
 * page still needs, and at least 4 times as many as this batch. Each batch
 * runs the match again from the start (a top-N can only be asked for
 * whole), so the number of batches is what counts: "last months" (0.4% of
 * its stems' matches pass) took 32, 128, 512, 2048 and 8192, and the match
 * at 8,192 alone costs 8 times the one at 32. */
static size_t next_batch(size_t cap, size_t checked, size_t nacc, size_t want, uint64_t upper)
{
    double per_hit = (double)(checked + 1) / (double)(nacc + 1);
    double next = (double)checked + 2.0 * (double)(want - nacc) * per_hit;
    if (next < 4.0 * (double)cap)
        next = 4.0 * (double)cap;
    /* One more than there can be matches: a short batch then says all were seen. */
    if (next > (double)upper + 1)
        next = (double)upper + 1;
    return next >= (double)UINT32_MAX ? UINT32_MAX : (size_t)next;
}

/* The place on the page (acc_story[0..n): the stories of its hits, 0 for
 * none) of a hit of story, or n when it has none there. */
static size_t story_on_page(const uint32_t *acc_story, size_t n, uint32_t story)
{
    size_t k = 0;
    while (story && k < n && acc_story[k] != story)
        k++;
    return story ? k : n;
}

/* Checks candidates from *checked on, appending those that pass to acc[*nacc]
 * until want have passed; with acc_story (the page's stories), a version of a
 * story already on the page is counted to its hit unchecked. Returns a shim
 * status. */
static int check_candidates(kbs_db *db, phrase_check *pc, const xs_match *cand, size_t n,
                            size_t *checked, xs_match *acc, uint32_t *acc_story, size_t *nacc,
                            size_t want)
{
    for (; *checked < n && *nacc < want; (*checked)++) {
        const xs_match *c = &cand[*checked];
        uint32_t story = acc_story ? story_map_get(pc->stories, c->docid) : 0;
        size_t k = story_on_page(acc_story, *nacc, story);
        if (k < *nacc) {
            acc[k].collapsed++;
            continue;
        }
        if (pc->decided) {
            if (acc_story)
                acc_story[*nacc] = story;
            acc[(*nacc)++] = *c;
            continue;
        }
        char *rec = NULL;
        size_t rlen = 0;
        int st = xs_db_hit_data(db->xdb, c->docid, &rec, &rlen);
        if (st != KBS_OK)
            return st;
        if (exact_phrases(pc, c->docid, rec, rlen)) {
            if (acc_story)
                acc_story[*nacc] = story;
            acc[(*nacc)++] = *c;
            keep_text(pc, c->docid);
        }
        free(rec);
    }
    return KBS_OK;
}

/* The matcher checks every candidate. Also when memory runs short: it needs
 * none of ours. */
static int check_all(kbs_db *db, const xs_query *q, xs_search_params *p, phrase_check *pc,
                     xs_match *matches, xs_search_result *res)
{
    p->decider = pc->decided ? NULL : exact_phrases;
    p->decider_ctx = pc->decided ? NULL : pc;
    return xs_db_search(db->xdb, q, p, matches, res);
}

int phrase_search(phrase_check *pc, const xs_query *q, xs_search_params *p, xs_match *matches,
                  xs_search_result *res)
{
    kbs_db *db = pc->db;
    uint64_t want = (uint64_t)p->offset + p->limit;
    if (p->check_at_least != 0 || want > PHRASE_PAGE_MAX)
        return check_all(db, q, p, pc, matches, res);
    /* The page collapsed here: by the story map, as candidates come. */
    int own_collapse = p->collapse && pc->stories;
    xs_match *acc = calloc((size_t)want, sizeof *acc), *cand = NULL;
    uint32_t *acc_story = own_collapse ? calloc((size_t)want, sizeof *acc_story) : NULL;
    if (!acc || (own_collapse && !acc_story)) {
        free(acc);
        free(acc_story);
        return check_all(db, q, p, pc, matches, res);
    }
    xs_search_params page = *p;
    page.offset = 0;
    if (own_collapse)
        page.collapse = 0;
    xs_search_result r;
    memset(&r, 0, sizeof r);
    size_t checked = 0, nacc = 0,
           cap = want * 2 > PHRASE_FIRST_BATCH ? want * 2 : PHRASE_FIRST_BATCH;
    int st = KBS_OK;
    for (;;) {
        xs_match *c = realloc(cand, cap * sizeof *c);
        if (!c) {
            st = KBS_ENOMEM;
            break;
        }
        cand = c;
        page.limit = (uint32_t)cap;
        st = xs_db_search(db->xdb, q, &page, cand, &r);
        if (st == KBS_OK)
            st = check_candidates(db, pc, cand, r.n, &checked, acc, acc_story, &nacc, (size_t)want);
        /* Done when the page is full or every match has been seen. */
        if (st != KBS_OK || nacc == want || r.n < cap || cap >= UINT32_MAX)
            break;
        cap = next_batch(cap, checked, nacc, (size_t)want, r.upper);
    }
    /* The versions of the page's stories among the candidates fetched but
     * not needed: a story lookup each, no check (as Xapian's collapse key
     * counts what it saw). */
    size_t seen = checked; /* candidates whose fate is known */
    for (size_t i = checked; own_collapse && st == KBS_OK && i < r.n; i++) {
        size_t k = story_on_page(acc_story, nacc, story_map_get(pc->stories, cand[i].docid));
        if (k < nacc) {
            acc[k].collapsed++;
            seen++;
        }
    }
    free(cand);
    free(acc_story);
    if (st == KBS_ENOMEM) {
        free(acc);
        return check_all(db, q, p, pc, matches, res);
    }
    if (st == KBS_OK) {
        size_t n = nacc > p->offset ? nacc - p->offset : 0;
        if (n)
            memcpy(matches, acc + p->offset, n * sizeof *matches);
        *res = r;
        res->n = n;
        if (seen == r.n && r.n < cap) { /* every match checked (or a known version) */
            res->estimated = res->lower = res->upper = nacc;
        } else {
            double share = seen ? (double)nacc / (double)seen : 1.0;
            /* The matcher guessed before it ran how many of the words' AND
             * hold the phrases in place (a quarter); it then read the
             * positions (and form tags) of every candidate it weighed, and
             * the count of those that matched, by the share of the checked
             * ones that passed, says more: "banks say" 80 in the text, 92
             * by positions, guessed at 4,000. Every phrase here is required,
             * so the match is that AND filtered so. */
            double base = r.pos_checked ? (double)r.pos_matched : (double)r.estimated;
            /* The candidates turned away by their weight, unread but for a
             * sample, held matches at the sample's rate. */
            if (r.pos_light_checked)
                base +=
                    (double)r.pos_light * (double)r.pos_light_matched / (double)r.pos_light_checked;
            else if (r.pos_checked)
                base += (double)r.pos_light * (double)r.pos_matched / (double)r.pos_checked;
            uint64_t est = (uint64_t)(base * share + 0.5);
            res->estimated = est < nacc ? nacc : est > r.upper ? r.upper : est;
            res->lower = nacc;
        }
    }
    free(acc);
    return st;
}
