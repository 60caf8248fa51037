/* query.c - parsing a user's query into a query plan.
 *
 * Three passes, each linear in the query:
 *
 *  1. A recursive-descent parser over a streaming lexer builds a small tree
 *     (struct node). Precedence, loosest first: OR, AND (explicit, or two
 *     operands side by side), NEAR, then the prefixes NOT - +. Every level of
 *     parentheses or prefix operator costs one level of depth, and depth is
 *     capped at QUERY_MAX_DEPTH, so the recursion is bounded whatever the
 *     input. Words past QUERY_MAX_TERMS become empty nodes that are never
 *     stored, so memory stays bounded too.
 *  2. normalize() drops empty nodes, flattens AND into AND and OR into OR,
 *     drops stop words from groups that have something else, and collapses
 *     one-child groups.
 *  3. The tree is turned into the Xapian query (and the any-word fallback),
 *     the lists search.c needs (stems, prefixes, exact phrases, words), and
 *     the description shown by --explain.
 *
 * The tree, not Xapian queries, is built first because what a word means
 * depends on where it stands: under NEAR it must be a bare term (Xapian 1.4
 * accepts only terms and ORs of terms there), in a filter-only group it is
 * boolean, and the fallback is the same tree with another operator.
 *
 * The description (plan->described) reads:
 *   cooper                    a word: title or body        title:x  body:x  by:x
 *   PHRASE("exact words")     a quoted phrase (folded, exact forms)
 *   PHRASE(kang kono)         a hyphenated word (stems)    title:PHRASE(...) ...
 *   secur*                    a prefix                     title:secur* ...
 *   NEAR/5(a, b)              words within 5 of each other
 *   AND(...) OR(...)          ANY(...): the side-by-side words of match-any mode
 *   NOT(x)  REQUIRED(x)       -x, and +x in match-any mode
 *   FILTER(category:economy)  FILTER(category:"north korea")  FILTER(OR(...))
 *   DATE(2019-08-01)  DATE(2019-08..2019-09)  DATE(..2019-08-31)
 *   DATE(2019-08-01..)  DATE(after 2019-08-01)  DATE(before 2019-09-01)
 *   UPDATED(...)              the same on the Updated: timestamp
 *   ALL                       every article (first in a group of only
 *                             filters and negatives: AND(ALL, NOT(x)))
 * This text is part of the interface (tests compare it): change it only
 * together with the tests and the README.
 */
#include "query.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kbsearch.h"
#include "schema.h"
#include "tokenize.h"
#include "utf8.h"

/* ---- the tree ------------------------------------------------------------- */

enum nkind {
    N_EMPTY,    /* nothing (a capped word, "()"): dropped by normalize() */
    N_WORDS,    /* a word, or several at consecutive positions (phrase, hyphens) */
    N_PREFIX,   /* secur* */
    N_CATEGORY, /* a boolean category filter */
    N_DATE,     /* a value range on a date slot */
    N_AND,      /* all kids; with `any`, the side-by-side words of match-any mode */
    N_OR,
    N_NEAR,
    N_NOT, /* one kid */
    N_REQ  /* one kid: +x in match-any mode */
};

/* Fields a word or a group can be limited to. The last five never hold words:
 * they say how a chunk of text is read (as a category, as dates). */
enum field { F_ANY, F_TITLE, F_BODY, F_BY, F_CATEGORY, F_DATE, F_AFTER, F_BEFORE, F_UPDATED };

static const char *const field_names[] = {"",     "title", "body",   "by",     "category",
                                          "date", "after", "before", "updated"};

struct node {
    int kind;
    int field;     /* N_WORDS, N_PREFIX */
    int quoted;    /* N_WORDS: typed inside quotes */
    int stop;      /* N_WORDS: a single stop word outside quotes, droppable */
    int any;       /* N_AND */
    unsigned slot; /* N_DATE */
    uint32_t near; /* N_NEAR: the n of NEAR/n */
    char **stems;  /* N_WORDS */
    char **words;  /* N_WORDS: folded forms; N_PREFIX, N_CATEGORY: [0] the text */
    size_t nwords;
    char *lo, *hi; /* N_DATE: bounds for the slot, NULL for an open end */
    char *desc;    /* N_DATE: how it is described */
    char *term;    /* N_DATE: one year, month or day of the written date as its
                      boolean term (index.c add_date_terms), or NULL */
    struct node **kids;
    size_t nkids, capkids;
};

static void node_free(struct node *n)
{
    if (!n || n->kind == N_EMPTY)
        return; /* the one empty node lives in the parser */
    for (size_t i = 0; i < n->nwords; i++) {
        if (n->stems)
            free(n->stems[i]);
        free(n->words[i]);
    }
    free(n->stems);
    free(n->words);
    free(n->lo);
    free(n->hi);
    free(n->desc);
    free(n->term);
    for (size_t i = 0; i < n->nkids; i++)
        node_free(n->kids[i]);
    free(n->kids);
    free(n);
}

/* ---- tokens ----------------------------------------------------------------- */

enum tkind {
    T_EOF,
    T_LPAREN,
    T_RPAREN,
    T_AND,
    T_OR,
    T_NOT,
    T_NEAR,
    T_MINUS,
    T_PLUS,
    T_WORD,   /* a chunk of text up to white space, a parenthesis or a quote */
    T_PHRASE, /* the inside of "..." */
    T_FIELD   /* name: followed by its value */
};

enum vkind { V_WORD, V_PHRASE, V_GROUP };

struct tok {
    int kind;
    size_t pos;    /* where the token starts (the quote of a phrase) */
    size_t s, e;   /* T_WORD, T_PHRASE, T_FIELD's value: its bytes */
    int field;     /* T_FIELD */
    int vkind;     /* T_FIELD: enum vkind (V_GROUP: a '(' token follows) */
    uint32_t near; /* T_NEAR */
};

/* ---- the parser's state ------------------------------------------------------ */

struct strvec {
    char **v;
    size_t n, cap;
};

struct parser {
    const char *q;
    size_t len;
    size_t i;       /* the lexer's position */
    int after_sign; /* the next chunk follows - or +: a word, never an operator */
    struct tok look;
    int have_look;

    const query_options *opts;
    uint32_t max_expansion;
    stemmer *st;
    xs_db *db;
    query_plan *plan;
    query_error *err;
    int status;

    int field;        /* the field in force inside title:( ... ) */
    int explicit_ops; /* AND, OR, NEAR, (, + were used: no fallback */
    size_t nterms;
    int capped;
    uint32_t qpos;     /* query positions given to terms */
    int noting;        /* building the main query: prefixes may add notes */
    struct node empty; /* the one N_EMPTY node */
    struct strvec stems, words, prefixes;
};

static int fail(struct parser *p, int status, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A position in the text parsed, as the caller wrote the query (see
 * query_options.raw). */
static size_t orig_pos(const struct parser *p, size_t pos)
{
    if (pos > p->len)
        pos = p->len;
    return p->opts->raw ? utf8_original_offset(p->opts->raw, p->opts->raw_len, pos) : pos;
}

/* Records the first error only: later ones are consequences of it. */
static int fail(struct parser *p, int status, size_t pos, const char *fmt, ...)
{
    if (p->status != KBS_OK)
        return p->status;
    p->status = status;
    p->err->pos = orig_pos(p, pos);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
    va_end(ap);
    return status;
}

static void *nomem(struct parser *p)
{
    fail(p, KBS_ENOMEM, 0, "out of memory");
    return NULL;
}

static int sv_push(struct strvec *sv, char *s)
{
    if (!s)
        return KBS_ENOMEM;
    if (sv->n == sv->cap) {
        size_t c = sv->cap ? sv->cap * 2 : 8;
        char **nv = realloc(sv->v, c * sizeof *nv);
        if (!nv) {
            free(s);
            return KBS_ENOMEM;
        }
        sv->v = nv;
        sv->cap = c;
    }
    sv->v[sv->n++] = s;
    return KBS_OK;
}

static void sv_free(struct strvec *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    memset(sv, 0, sizeof *sv);
}

/* ---- the lexer ------------------------------------------------------------------ */

/* Control bytes count as white space: they can only be noise in a query. */
static int is_space(unsigned char c)
{
    return c <= 0x20 || c == 0x7f;
}

static int is_delim(unsigned char c)
{
    return is_space(c) || c == '(' || c == ')' || c == '"';
}

static int first_token_cb(void *ctx, const token *tok)
{
    (void)ctx;
    (void)tok;
    return 1;
}

/* Whether text holds a word at all: punctuation alone ("!!", "...", "*") is
 * ignored, as the tokenizer ignores it in documents. */
static int has_words(const char *s, size_t n)
{
    return n > 0 && tokenize(s, n, TOKENIZE_QUERY, 0, first_token_cb, NULL) != 0;
}

static size_t find_quote(const struct parser *p, size_t from)
{
    const char *e = from < p->len ? memchr(p->q + from, '"', p->len - from) : NULL;
    return e ? (size_t)(e - p->q) : p->len;
}

static size_t chunk_end(const struct parser *p, size_t i)
{
    while (i < p->len && !is_delim((unsigned char)p->q[i]))
        i++;
    return i;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* The field named at the start of chunk [s, e) ("title:..."), or -1. Names
 * are ASCII and matched case-insensitively: "Title:" is what people type. */
static int field_at(const struct parser *p, size_t s, size_t e, size_t *colon)
{
    size_t k = s;
    while (k < e && ((p->q[k] >= 'a' && p->q[k] <= 'z') || (p->q[k] >= 'A' && p->q[k] <= 'Z')))
        k++;
    if (k == s || k >= e || p->q[k] != ':')
        return -1;
    for (int f = F_TITLE; f <= F_UPDATED; f++) {
        const char *name = field_names[f];
        size_t nl = strlen(name);
        if (nl != k - s)
            continue;
        size_t j = 0;
        while (j < nl && lower(p->q[s + j]) == name[j])
            j++;
        if (j == nl) {
            *colon = k;
            return f;
        }
    }
    return -1;
}

static int is_date_field(int f)
{
    return f >= F_DATE;
}

/* Whether what starts at i is something a - or + can apply to. */
static int has_content(const struct parser *p, size_t i)
{
    if (i >= p->len || is_space((unsigned char)p->q[i]) || p->q[i] == ')')
        return 0;
    if (p->q[i] == '(')
        return 1;
    if (p->q[i] == '"') {
        size_t k = find_quote(p, i + 1);
        return k >= p->len || has_words(p->q + i + 1, k - i - 1); /* unclosed: report it */
    }
    size_t e = chunk_end(p, i), colon;
    return field_at(p, i, e, &colon) >= 0 || has_words(p->q + i, e - i);
}

static int chunk_is(const struct parser *p, size_t s, size_t e, const char *w)
{
    size_t n = strlen(w);
    return e - s == n && memcmp(p->q + s, w, n) == 0;
}

/* NEAR or NEAR/n (n from 1 to 1000). Returns 1 if the chunk is one, 0 if not,
 * -1 on a bad number. */
static int lex_near(struct parser *p, size_t s, size_t e, struct tok *t)
{
    if (e - s < 4 || memcmp(p->q + s, "NEAR", 4) != 0)
        return 0;
    if (e - s == 4) {
        t->near = QUERY_DEFAULT_NEAR;
        return 1;
    }
    if (p->q[s + 4] != '/')
        return 0; /* NEARBY is a word */
    uint32_t n = 0;
    size_t k = s + 5;
    for (; k < e && k - s - 5 < 5 && p->q[k] >= '0' && p->q[k] <= '9'; k++)
        n = n * 10 + (uint32_t)(p->q[k] - '0');
    if (k == s + 5 || k != e || n < 1 || n > 1000) {
        fail(p, KBS_EQUERY, s, "expected a number from 1 to 1000 after NEAR/");
        return -1;
    }
    t->near = n;
    return 1;
}

/* The value after "name:" at value_start. */
static int lex_field(struct parser *p, struct tok *t, size_t e)
{
    size_t v = t->s;
    if (v < e) {
        t->vkind = V_WORD;
        t->e = e;
        if (!is_date_field(t->field) && !has_words(p->q + v, e - v))
            goto missing;
        p->i = e;
        return 0;
    }
    if (v < p->len && p->q[v] == '"') {
        size_t k = find_quote(p, v + 1);
        if (k >= p->len)
            return fail(p, KBS_EQUERY, v, "missing closing '\"' for the quote at %zu",
                        orig_pos(p, v));
        t->vkind = V_PHRASE;
        t->s = v + 1;
        t->e = k;
        p->i = k + 1;
        if (!is_date_field(t->field) && !has_words(p->q + t->s, k - t->s))
            goto missing;
        return 0;
    }
    if (v < p->len && p->q[v] == '(') {
        t->vkind = V_GROUP;
        t->s = t->e = v;
        p->i = v; /* the '(' comes next */
        return 0;
    }
missing:
    if (is_date_field(t->field))
        return fail(
            p, KBS_EQUERY, t->pos,
            "expected a date like 2019, 2019-08 or 2019-08-01 after %s:", field_names[t->field]);
    return fail(p, KBS_EQUERY, t->pos,
                "expected a word, a \"phrase\" or ( after %s:", field_names[t->field]);
}

/* Reads the next token into *t; T_EOF at the end or after an error. */
static void lex(struct parser *p, struct tok *t)
{
    memset(t, 0, sizeof *t);
    t->kind = T_EOF;
    while (p->status == KBS_OK) {
        while (p->i < p->len && is_space((unsigned char)p->q[p->i]))
            p->i++;
        size_t i = p->i;
        t->pos = i;
        if (i >= p->len)
            return;
        char c = p->q[i];
        int after_sign = p->after_sign;
        p->after_sign = 0;
        if (c == '(' || c == ')') {
            t->kind = c == '(' ? T_LPAREN : T_RPAREN;
            p->i = i + 1;
            return;
        }
        if (c == '"') {
            size_t k = find_quote(p, i + 1);
            if (k >= p->len) {
                fail(p, KBS_EQUERY, i, "missing closing '\"' for the quote at %zu", orig_pos(p, i));
                return;
            }
            p->i = k + 1;
            if (!has_words(p->q + i + 1, k - i - 1))
                continue; /* "" or "!!": nothing to look for */
            t->kind = T_PHRASE;
            t->s = i + 1;
            t->e = k;
            return;
        }
        if (c == '-' || c == '+') {
            /* A sign applies to what follows it directly; a sign (or a run of
             * them) before nothing is punctuation. */
            size_t j = i;
            while (j < p->len && (p->q[j] == '-' || p->q[j] == '+'))
                j++;
            if (!has_content(p, j)) {
                p->i = j;
                continue;
            }
            t->kind = c == '-' ? T_MINUS : T_PLUS;
            p->i = i + 1;
            p->after_sign = 1;
            return;
        }
        size_t e = chunk_end(p, i);
        if (!after_sign) {
            int k = chunk_is(p, i, e, "AND")   ? T_AND
                    : chunk_is(p, i, e, "OR")  ? T_OR
                    : chunk_is(p, i, e, "NOT") ? T_NOT
                                               : T_EOF;
            if (k != T_EOF) {
                t->kind = k;
                p->i = e;
                return;
            }
            int r = lex_near(p, i, e, t);
            if (r < 0)
                return;
            if (r > 0) {
                t->kind = T_NEAR;
                p->i = e;
                return;
            }
        }
        size_t colon;
        int f = field_at(p, i, e, &colon);
        if (f >= 0) {
            t->kind = T_FIELD;
            t->field = f;
            t->s = colon + 1;
            if (lex_field(p, t, e) != KBS_OK)
                t->kind = T_EOF;
            return;
        }
        p->i = e;
        if (!has_words(p->q + i, e - i))
            continue; /* stray punctuation, a lone '*' */
        t->kind = T_WORD;
        t->s = i;
        t->e = e;
        return;
    }
}

static const struct tok *peek(struct parser *p)
{
    if (!p->have_look) {
        lex(p, &p->look);
        p->have_look = 1;
    }
    return &p->look;
}

static struct tok advance(struct parser *p)
{
    peek(p);
    p->have_look = 0;
    return p->look;
}

/* ---- building nodes --------------------------------------------------------------- */

static struct node *node_new(struct parser *p, int kind)
{
    struct node *n = calloc(1, sizeof *n);
    if (!n)
        return nomem(p);
    n->kind = kind;
    return n;
}

/* Adds kid to n, taking it. Empty kids are not kept. */
static int add_kid(struct parser *p, struct node *n, struct node *kid)
{
    if (!kid || kid->kind == N_EMPTY)
        return KBS_OK;
    if (n->nkids == n->capkids) {
        size_t c = n->capkids ? n->capkids * 2 : 4;
        struct node **nv = realloc(n->kids, c * sizeof *nv);
        if (!nv) {
            node_free(kid);
            nomem(p);
            return KBS_ENOMEM;
        }
        n->kids = nv;
        n->capkids = c;
    }
    n->kids[n->nkids++] = kid;
    return KBS_OK;
}

/* A node with one kid (NOT, REQ), taking it. */
static struct node *wrap(struct parser *p, int kind, struct node *kid)
{
    struct node *n = node_new(p, kind);
    if (!n) {
        node_free(kid);
        return NULL;
    }
    if (add_kid(p, n, kid) != KBS_OK) { /* it freed kid */
        free(n);
        return NULL;
    }
    return n;
}

/* Counts terms against QUERY_MAX_TERMS; 0 when the query is past it. */
static int take_terms(struct parser *p, size_t n)
{
    if (p->capped || p->nterms + n > QUERY_MAX_TERMS) {
        if (!p->capped)
            buf_printf(&p->plan->notes, "only the first %d words of the query were used\n",
                       QUERY_MAX_TERMS);
        p->capped = 1;
        return 0;
    }
    p->nterms += n;
    return 1;
}

/* The words of one leaf as they are collected. */
struct collect {
    struct parser *p;
    size_t base;       /* offset of the text in the query */
    size_t end;        /* end of the chunk in the query */
    int field;         /* F_ANY .. F_BY */
    int whole;         /* all tokens are one leaf (a phrase) */
    struct node *out;  /* an AND of the leaves (or the one leaf) */
    struct strvec run; /* the words of the phrase or hyphenated run being read */
};

static struct node *words_leaf(struct parser *p, struct strvec *w, int field, int quoted)
{
    if (!take_terms(p, w->n)) {
        sv_free(w);
        return &p->empty;
    }
    struct node *n = node_new(p, N_WORDS);
    if (!n) {
        sv_free(w);
        return NULL;
    }
    n->field = field;
    n->quoted = quoted;
    n->words = w->v;
    n->nwords = w->n;
    memset(w, 0, sizeof *w);
    n->stems = calloc(n->nwords, sizeof *n->stems);
    if (!n->stems) {
        node_free(n);
        return nomem(p);
    }
    for (size_t i = 0; i < n->nwords; i++) {
        const char *s;
        size_t slen;
        if (stemmer_stem(p->st, n->words[i], strlen(n->words[i]), &s, &slen) != 0 ||
            !(n->stems[i] = strndup(s, slen))) {
            node_free(n);
            return nomem(p);
        }
    }
    n->stop = !quoted && n->nwords == 1 && stem_is_stopword(n->words[0], strlen(n->words[0]));
    return n;
}

/* Ends the current run of hyphen-joined words: one leaf. */
static int flush_run(struct collect *c)
{
    if (c->run.n == 0)
        return KBS_OK;
    struct node *leaf = words_leaf(c->p, &c->run, c->field, 0);
    if (!leaf)
        return KBS_ENOMEM;
    return add_kid(c->p, c->out, leaf);
}

static int collect_cb(void *ctx, const token *tok)
{
    struct collect *c = ctx;
    struct parser *p = c->p;
    /* A phrase (or hyphenated run) this long is past the limit as a whole:
     * the rest of it need not be read. */
    if (c->run.n > QUERY_MAX_TERMS)
        return 1;
    if (c->whole)
        return sv_push(&c->run, strndup(tok->text, tok->len)) != KBS_OK ? (nomem(p), 1) : 0;
    size_t at = c->base + tok->end;
    if (at < c->end && p->q[at] == '*') {
        /* secur*: a prefix of the folded form as typed, since stemming a
         * part of a word means nothing. The index holds stems, so it finds
         * the words whose stem starts with it. */
        if (flush_run(c) != KBS_OK)
            return 1;
        if (tok->len < 2) {
            fail(p, KBS_EQUERY, c->base + tok->start, "a prefix needs at least 2 letters");
            return 1;
        }
        if (!take_terms(p, 1))
            return 0;
        struct node *n = node_new(p, N_PREFIX);
        if (!n)
            return 1;
        n->field = c->field;
        n->words = calloc(1, sizeof *n->words);
        if (!n->words || !(n->words[0] = strndup(tok->text, tok->len))) {
            node_free(n);
            nomem(p);
            return 1;
        }
        n->nwords = 1;
        return add_kid(p, c->out, n) != KBS_OK;
    }
    /* A hyphenated word ("Kang-Kono") is a phrase of its parts. */
    if (!(tok->flags & TOK_HYPHENATED) && flush_run(c) != KBS_OK)
        return 1;
    if (sv_push(&c->run, strndup(tok->text, tok->len)) != KBS_OK) {
        nomem(p);
        return 1;
    }
    return 0;
}

/* The words of query bytes [s, e) in field: one leaf, or an AND of several
 * ("foo.bar", "u.s."). With whole, all of them are one quoted phrase. */
static struct node *words_node(struct parser *p, size_t s, size_t e, int field, int whole)
{
    struct collect c;
    memset(&c, 0, sizeof c);
    c.p = p;
    c.base = s;
    c.end = e;
    c.field = field;
    c.whole = whole;
    c.out = node_new(p, N_AND);
    if (!c.out)
        return NULL;
    tokenize(p->q + s, e - s, TOKENIZE_QUERY, 0, collect_cb, &c);
    if (p->status == KBS_OK) {
        if (whole) {
            struct node *leaf = words_leaf(p, &c.run, field, 1);
            if (leaf)
                add_kid(p, c.out, leaf);
        } else {
            flush_run(&c);
        }
    }
    sv_free(&c.run);
    if (p->status != KBS_OK) {
        node_free(c.out);
        return NULL;
    }
    if (c.out->nkids > 1)
        return c.out;
    /* Words past the limit must not cost memory: nothing is kept for them. */
    struct node *one = c.out->nkids ? c.out->kids[0] : &p->empty;
    c.out->nkids = 0;
    node_free(c.out);
    return one;
}

struct catfold {
    buf *b;
};

static int category_cb(void *ctx, const token *tok)
{
    struct catfold *c = ctx;
    /* Past the longest category the index keeps, the term can only miss. */
    if (c->b->len > ID_TERM_MAX)
        return 1;
    if (c->b->len > strlen(PFX_CATEGORY))
        buf_append_char(c->b, ' ');
    buf_append(c->b, tok->text, tok->len);
    return 0;
}

/* category:economy, category:"north korea": the folded words joined by one
 * space, exactly as index.c builds the term. */
static struct node *category_node(struct parser *p, size_t s, size_t e, size_t pos)
{
    buf b = BUF_INIT;
    buf_append_str(&b, PFX_CATEGORY);
    struct catfold cf = {&b};
    tokenize(p->q + s, e - s, TOKENIZE_QUERY, 0, category_cb, &cf);
    if (buf_failed(&b)) {
        buf_free(&b);
        return nomem(p);
    }
    if (b.len == strlen(PFX_CATEGORY)) {
        buf_free(&b);
        fail(p, KBS_EQUERY, pos, "expected a word, a \"phrase\" or ( after category:");
        return NULL;
    }
    if (!take_terms(p, 1)) {
        buf_free(&b);
        return &p->empty;
    }
    struct node *n = node_new(p, N_CATEGORY);
    if (n && !(n->words = calloc(1, sizeof *n->words))) {
        node_free(n);
        n = nomem(p);
    }
    if (!n) {
        buf_free(&b);
        return NULL;
    }
    n->words[0] = buf_detach(&b, NULL);
    n->nwords = 1;
    if (!n->words[0]) {
        node_free(n);
        return nomem(p);
    }
    return n;
}

/* ---- dates ----------------------------------------------------------------------- */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads 1 or 2 digits at s[*k]; -1 if there are none or more. */
static int two_digits(const char *s, size_t n, size_t *k)
{
    size_t j = *k;
    int v = 0;
    while (j < n && is_digit(s[j]) && j - *k < 3)
        v = v * 10 + (s[j++] - '0');
    if (j == *k || j - *k > 2)
        return -1;
    *k = j;
    return v;
}

/* Writes "-NN\0" (n in 1..31). */
static void put2(char *out, int n)
{
    out[0] = '-';
    out[1] = (char)('0' + n / 10);
    out[2] = (char)('0' + n % 10);
    out[3] = '\0';
}

/* Parses 2019, 2019-08 or 2019-08-01 (months and days of one digit too) into
 * its normal form "YYYY[-MM[-DD]]"; returns the number of parts (1..3), or 0
 * if it is not a valid date. */
static int parse_date(const char *s, size_t n, char out[11])
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (n < 4)
        return 0;
    int y = 0;
    for (size_t k = 0; k < 4; k++) {
        if (!is_digit(s[k]))
            return 0;
        y = y * 10 + (s[k] - '0');
    }
    if (y < 1000)
        return 0;
    memcpy(out, s, 4);
    out[4] = '\0';
    if (n == 4)
        return 1;
    size_t k = 4;
    if (s[k++] != '-')
        return 0;
    int m = two_digits(s, n, &k);
    if (m < 1 || m > 12)
        return 0;
    put2(out + 4, m);
    if (k == n)
        return 2;
    if (s[k++] != '-')
        return 0;
    int d = two_digits(s, n, &k);
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (k != n || d < 1 || d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
        return 0;
    put2(out + 7, d);
    return 3;
}

/* The largest slot value within date d ("2019-08-01" -> "2019-08-01T\x7f"):
 * values are "YYYY-MM-DDTHH:MM:SS", so string order is time order and every
 * value of that day, month or year sorts below it. */
static char *date_hi(const char *d, int parts)
{
    char b[16];
    snprintf(b, sizeof b, "%s%s", d, parts == 3 ? "T\x7f" : "\x7f");
    return strdup(b);
}

/* The boolean term of a whole year, month or day of the written date
 * ("2019-08" -> "M201908"): one posting list to filter by, where the same
 * range of the slot would read the value of every candidate. */
static char *date_term(const char *d, int parts)
{
    const char *prefix = parts == 1 ? PFX_YEAR : parts == 2 ? PFX_MONTH : PFX_DAY;
    char b[16];
    size_t n = strlen(prefix);
    memcpy(b, prefix, n);
    for (; *d && n + 1 < sizeof b; d++)
        if (*d != '-')
            b[n++] = *d;
    b[n] = '\0';
    return strdup(b);
}

/* The largest value strictly before date d: its last digit one lower, then
 * above any character a value holds. */
static char *date_below(const char *d)
{
    char b[16];
    size_t n = strlen(d);
    snprintf(b, sizeof b, "%.*s%c\x7f", (int)(n - 1), d, d[n - 1] - 1);
    return strdup(b);
}

static struct node *date_node(struct parser *p, int field, size_t s, size_t e, size_t pos)
{
    while (s < e && is_space((unsigned char)p->q[s]))
        s++;
    while (e > s && is_space((unsigned char)p->q[e - 1]))
        e--;
    const char *v = p->q + s;
    size_t n = e - s;
    const char *dots = NULL;
    for (size_t k = 0; k + 1 < n; k++)
        if (v[k] == '.' && v[k + 1] == '.') {
            dots = v + k;
            break;
        }
    const char *fname = field_names[field];
    char a[11] = "", b[11] = "";
    int pa = 0, pb = 0;
    size_t bad = pos;
    if (!dots) {
        pa = parse_date(v, n, a);
        bad = s;
    } else if (field == F_DATE || field == F_UPDATED) {
        size_t na = (size_t)(dots - v), nb = n - na - 2;
        pa = na ? parse_date(v, na, a) : -1;
        bad = s;
        if (pa != 0) {
            pb = nb ? parse_date(dots + 2, nb, b) : -1;
            bad = s + na + 2;
            if (pa < 0 && pb < 0) {
                pb = 0; /* ".." alone */
                bad = s;
            }
        }
    }
    if (pa == 0 || (dots && pb == 0)) {
        fail(p, KBS_EQUERY, n ? bad : pos,
             "expected a date like 2019, 2019-08 or 2019-08-01 after %s:", fname);
        return NULL;
    }
    if (!take_terms(p, 1))
        return &p->empty;
    struct node *d = node_new(p, N_DATE);
    if (!d)
        return NULL;
    d->slot = field == F_UPDATED ? SLOT_UPDATED : SLOT_WRITTEN;
    buf desc = BUF_INIT;
    buf_append_str(&desc, field == F_UPDATED ? "UPDATED(" : "DATE(");
    int ok = 1;
    if (field == F_AFTER) {
        ok = (d->lo = date_hi(a, pa)) != NULL;
        buf_printf(&desc, "after %s)", a);
    } else if (field == F_BEFORE) {
        ok = (d->hi = date_below(a)) != NULL;
        buf_printf(&desc, "before %s)", a);
    } else if (!dots) {
        ok = (d->lo = strdup(a)) && (d->hi = date_hi(a, pa));
        buf_printf(&desc, "%s)", a);
        if (ok && field == F_DATE)
            ok = (d->term = date_term(a, pa)) != NULL;
    } else {
        if (pa > 0)
            ok = (d->lo = strdup(a)) != NULL;
        if (ok && pb > 0)
            ok = (d->hi = date_hi(b, pb)) != NULL;
        buf_printf(&desc, "%s..%s)", a, b);
    }
    d->desc = buf_detach(&desc, NULL);
    if (!ok || !d->desc) {
        node_free(d);
        return nomem(p);
    }
    if (d->lo && d->hi && strcmp(d->lo, d->hi) > 0) {
        node_free(d);
        fail(p, KBS_EQUERY, s, "the date range %.*s ends before it starts", (int)(n > 60 ? 60 : n),
             v);
        return NULL;
    }
    return d;
}

/* What a chunk of text (or a phrase's inside) means in field. */
static struct node *value_node(struct parser *p, int field, size_t s, size_t e, int quoted,
                               size_t pos)
{
    if (field == F_CATEGORY)
        return category_node(p, s, e, pos);
    if (is_date_field(field))
        return date_node(p, field, s, e, pos);
    if (quoted && field == F_BY) /* no positions for bylines: all the words */
        return words_node(p, s, e, field, 0);
    return words_node(p, s, e, field, quoted);
}

/* ---- the grammar ------------------------------------------------------------------- */

static struct node *parse_or(struct parser *p, int depth);

static int starts_operand(int k)
{
    return k == T_WORD || k == T_PHRASE || k == T_FIELD || k == T_LPAREN || k == T_NOT ||
           k == T_MINUS || k == T_PLUS;
}

static const char *tok_name(int k)
{
    switch (k) {
    case T_AND:
        return "AND";
    case T_OR:
        return "OR";
    case T_NEAR:
        return "NEAR";
    case T_NOT:
        return "NOT";
    case T_MINUS:
        return "'-'";
    case T_PLUS:
        return "'+'";
    default:
        return "'('";
    }
}

static int too_deep(struct parser *p, int depth, size_t pos)
{
    if (depth < QUERY_MAX_DEPTH)
        return 0;
    fail(p, KBS_EQUERY, pos, "the query nests deeper than %d levels", QUERY_MAX_DEPTH);
    return 1;
}

/* ( ... ) after its '(' token. */
static struct node *parse_group(struct parser *p, int depth, size_t open)
{
    if (too_deep(p, depth, open))
        return NULL;
    p->explicit_ops = 1;
    struct node *inner = parse_or(p, depth + 1);
    if (p->status != KBS_OK) {
        node_free(inner);
        return NULL;
    }
    if (peek(p)->kind != T_RPAREN) {
        node_free(inner);
        fail(p, KBS_EQUERY, open, "missing ')' to close the '(' at %zu", orig_pos(p, open));
        return NULL;
    }
    advance(p);
    return inner ? inner : &p->empty; /* "()" and "(!!)" are nothing */
}

static struct node *parse_primary(struct parser *p, int depth)
{
    struct tok t = advance(p);
    switch (t.kind) {
    case T_LPAREN:
        return parse_group(p, depth, t.pos);
    case T_PHRASE:
        return value_node(p, p->field, t.s, t.e, 1, t.pos);
    case T_WORD:
        return value_node(p, p->field, t.s, t.e, 0, t.pos);
    case T_FIELD:
        if (t.vkind == V_GROUP) {
            struct tok open = advance(p); /* the '(' lex_field saw */
            int saved = p->field;
            p->field = t.field;
            struct node *n = parse_group(p, depth, open.pos);
            p->field = saved;
            return n;
        }
        return value_node(p, t.field, t.s, t.e, t.vkind == V_PHRASE, t.pos);
    default:
        return NULL;
    }
}

static struct node *parse_unary(struct parser *p, int depth)
{
    const struct tok *t = peek(p);
    if (t->kind != T_NOT && t->kind != T_MINUS && t->kind != T_PLUS)
        return parse_primary(p, depth);
    struct tok op = advance(p);
    if (too_deep(p, depth, op.pos))
        return NULL;
    if (!starts_operand(peek(p)->kind)) {
        fail(p, KBS_EQUERY, op.pos, "expected a word after %s", tok_name(op.kind));
        return NULL;
    }
    struct node *kid = parse_unary(p, depth + 1);
    if (!kid || kid->kind == N_EMPTY)
        return kid;
    if (op.kind == T_PLUS) {
        p->explicit_ops = 1;
        /* In match-all mode every word is required already. */
        if (!p->opts->match_any || kid->kind == N_NOT)
            return kid;
        return wrap(p, N_REQ, kid);
    }
    if (kid->kind == N_NOT) { /* NOT NOT x is x */
        struct node *inner = kid->kids[0];
        kid->nkids = 0;
        node_free(kid);
        return inner;
    }
    return wrap(p, N_NOT, kid);
}

/* Whether n can stand in a NEAR: words of the title or the body. */
static int near_ok(const struct node *n)
{
    if (n->kind == N_WORDS)
        return n->field != F_BY;
    if (n->kind == N_AND && !n->any) { /* "foo.bar": its words, in a row */
        for (size_t i = 0; i < n->nkids; i++)
            if (!near_ok(n->kids[i]))
                return 0;
        return 1;
    }
    return 0;
}

static int near_fields(const struct node *n, unsigned *seen)
{
    if (n->kind == N_WORDS) {
        *seen |= 1u << n->field;
        return 0;
    }
    for (size_t i = 0; i < n->nkids; i++)
        near_fields(n->kids[i], seen);
    return 0;
}

static int has_prefix(const struct node *n)
{
    if (n->kind == N_PREFIX)
        return 1;
    for (size_t i = 0; i < n->nkids; i++)
        if (has_prefix(n->kids[i]))
            return 1;
    return 0;
}

static struct node *parse_near(struct parser *p, int depth)
{
    if (!starts_operand(peek(p)->kind))
        return NULL;
    struct node *first = parse_unary(p, depth);
    if (p->status != KBS_OK || peek(p)->kind != T_NEAR)
        return first;
    struct node *n = node_new(p, N_NEAR);
    if (!n) {
        node_free(first);
        return NULL;
    }
    if (add_kid(p, n, first) != KBS_OK) { /* it freed first */
        free(n);
        return NULL;
    }
    size_t pos = peek(p)->pos;
    while (p->status == KBS_OK && peek(p)->kind == T_NEAR) {
        struct tok op = advance(p);
        p->explicit_ops = 1;
        /* One window for the whole chain: the widest asked for. */
        if (op.near > n->near)
            n->near = op.near;
        if (!starts_operand(peek(p)->kind)) {
            fail(p, KBS_EQUERY, op.pos, "expected a word after NEAR");
            break;
        }
        add_kid(p, n, parse_unary(p, depth));
    }
    unsigned seen = 0;
    for (size_t i = 0; p->status == KBS_OK && i < n->nkids; i++) {
        if (has_prefix(n->kids[i]))
            fail(p, KBS_EQUERY, pos, "NEAR cannot be used with a prefix (word*)");
        else if (!near_ok(n->kids[i]))
            fail(p, KBS_EQUERY, pos,
                 "NEAR joins words or \"phrases\" of the title or the body (not by:, "
                 "category:, dates, NOT or groups)");
        else
            near_fields(n->kids[i], &seen);
    }
    if (p->status == KBS_OK && (seen & (1u << F_TITLE)) && (seen & (1u << F_BODY)))
        fail(p, KBS_EQUERY, pos, "NEAR cannot join title: words with body: words");
    if (p->status != KBS_OK) {
        node_free(n);
        return NULL;
    }
    return n;
}

/* Adds kid to an AND: an AND kid of the same kind is merged into it (in
 * match-all mode AND is associative, and the flat form describes better). */
static int add_and(struct parser *p, struct node *and, struct node *kid)
{
    if (!kid || kid->kind != N_AND || kid->any != and->any)
        return add_kid(p, and, kid);
    int st = KBS_OK;
    for (size_t i = 0; i < kid->nkids; i++) {
        if (st == KBS_OK)
            st = add_kid(p, and, kid->kids[i]);
        else
            node_free(kid->kids[i]);
    }
    kid->nkids = 0;
    node_free(kid);
    return st;
}

/* near (AND near)* */
static struct node *parse_and_group(struct parser *p, int depth)
{
    struct node *left = parse_near(p, depth);
    if (p->status != KBS_OK || peek(p)->kind != T_AND)
        return left;
    struct node *g = node_new(p, N_AND);
    if (!g) {
        node_free(left);
        return NULL;
    }
    add_and(p, g, left);
    while (p->status == KBS_OK && peek(p)->kind == T_AND) {
        struct tok op = advance(p);
        p->explicit_ops = 1;
        if (!starts_operand(peek(p)->kind)) {
            fail(p, KBS_EQUERY, op.pos, "expected a word after AND");
            break;
        }
        add_and(p, g, parse_near(p, depth));
    }
    if (p->status != KBS_OK) {
        node_free(g);
        return NULL;
    }
    return g;
}

/* Operands side by side: AND in match-all mode, ANY in match-any mode. */
static struct node *parse_chain(struct parser *p, int depth)
{
    if (!starts_operand(peek(p)->kind))
        return NULL;
    struct node *c = node_new(p, N_AND);
    if (!c)
        return NULL;
    c->any = p->opts->match_any != 0;
    while (p->status == KBS_OK && starts_operand(peek(p)->kind)) {
        struct node *g = parse_and_group(p, depth);
        if (c->any)
            add_kid(p, c, g);
        else
            add_and(p, c, g);
    }
    if (p->status != KBS_OK) {
        node_free(c);
        return NULL;
    }
    return c;
}

static struct node *parse_or(struct parser *p, int depth)
{
    struct node *left = parse_chain(p, depth);
    if (p->status != KBS_OK)
        return NULL;
    const struct tok *t = peek(p);
    if (!left) {
        if (t->kind == T_AND || t->kind == T_OR || t->kind == T_NEAR)
            fail(p, KBS_EQUERY, t->pos, "expected a word before %s", tok_name(t->kind));
        return NULL;
    }
    if (t->kind != T_OR)
        return left;
    struct node *o = node_new(p, N_OR);
    if (!o) {
        node_free(left);
        return NULL;
    }
    add_kid(p, o, left);
    while (p->status == KBS_OK && peek(p)->kind == T_OR) {
        struct tok op = advance(p);
        p->explicit_ops = 1;
        struct node *r = parse_chain(p, depth);
        if (!r) {
            if (p->status == KBS_OK)
                fail(p, KBS_EQUERY, op.pos, "expected a word after OR");
            break;
        }
        add_kid(p, o, r);
    }
    if (p->status != KBS_OK) {
        node_free(o);
        return NULL;
    }
    return o;
}

/* ---- normalizing ---------------------------------------------------------------------- */

static int filter_only(const struct node *n)
{
    if (n->kind == N_CATEGORY || n->kind == N_DATE)
        return 1;
    if ((n->kind != N_AND && n->kind != N_OR) || n->nkids == 0)
        return 0;
    for (size_t i = 0; i < n->nkids; i++)
        if (!filter_only(n->kids[i]))
            return 0;
    return 1;
}

/* Looks for something: not a filter, not an exclusion. */
static int is_positive(const struct node *n)
{
    return !filter_only(n) && n->kind != N_NOT;
}

static int is_stop(const struct node *n)
{
    return n->kind == N_WORDS && n->stop;
}

/* Whether n looks for something (rather than only filtering or excluding). */
static int substantive(const struct node *n)
{
    switch (n->kind) {
    case N_WORDS:
        return !n->stop;
    case N_PREFIX:
    case N_NEAR:
    case N_REQ:
        return 1;
    case N_AND:
    case N_OR:
        for (size_t i = 0; i < n->nkids; i++)
            if (substantive(n->kids[i]))
                return 1;
        return 0;
    default:
        return 0;
    }
}

static int push_leaves(struct node *n, struct node **out, size_t *k)
{
    if (n->kind == N_WORDS) {
        out[(*k)++] = n;
        return 1;
    }
    for (size_t i = 0; i < n->nkids; i++)
        push_leaves(n->kids[i], out, k);
    n->nkids = 0;
    node_free(n);
    return 0;
}

static size_t count_leaves(const struct node *n)
{
    if (n->kind == N_WORDS)
        return 1;
    size_t c = 0;
    for (size_t i = 0; i < n->nkids; i++)
        c += count_leaves(n->kids[i]);
    return c;
}

/* OR into OR, AND into AND. An ANY (match-any mode) goes into an ANY only
 * when it holds nothing but optional words: what +x requires, -x excludes
 * or a filter keeps holds within its own group. */
static int mergeable(const struct node *n, const struct node *kid)
{
    if (kid->kind != n->kind)
        return 0;
    if (n->kind == N_OR || (!kid->any && !n->any))
        return 1;
    if (!kid->any || !n->any)
        return 0;
    for (size_t i = 0; i < kid->nkids; i++)
        if (!is_positive(kid->kids[i]) || kid->kids[i]->kind == N_REQ)
            return 0;
    return 1;
}

/* Replaces n's kids with the list of kids: flattened (kids of the same kind
 * merged in), for NEAR down to its words. */
static void flatten(struct parser *p, struct node *n)
{
    size_t total = 0;
    for (size_t i = 0; i < n->nkids; i++) {
        const struct node *kid = n->kids[i];
        if (n->kind == N_NEAR)
            total += count_leaves(kid);
        else if (mergeable(n, kid))
            total += kid->nkids;
        else
            total++;
    }
    struct node **out = malloc((total ? total : 1) * sizeof *out);
    if (!out) {
        nomem(p); /* left as it was: still a correct tree */
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < n->nkids; i++) {
        struct node *kid = n->kids[i];
        if (n->kind == N_NEAR) {
            push_leaves(kid, out, &k);
        } else if (mergeable(n, kid)) {
            memcpy(out + k, kid->kids, kid->nkids * sizeof *out);
            k += kid->nkids;
            kid->nkids = 0;
            node_free(kid);
        } else {
            out[k++] = kid;
        }
    }
    free(n->kids);
    n->kids = out;
    n->nkids = n->capkids = k;
}

/* Drops empties, flattens, drops stop words where the group has something
 * else, collapses groups of one. Returns the node to use in n's place (n
 * itself, one of its kids, or the empty node); frees what it drops. */
static struct node *normalize(struct parser *p, struct node *n)
{
    if (n->kind != N_AND && n->kind != N_OR && n->kind != N_NEAR && n->kind != N_NOT &&
        n->kind != N_REQ)
        return n;
    size_t k = 0;
    for (size_t i = 0; i < n->nkids; i++) {
        struct node *kid = n->kind == N_NEAR ? n->kids[i] : normalize(p, n->kids[i]);
        if (kid->kind != N_EMPTY)
            n->kids[k++] = kid;
    }
    n->nkids = k;
    if (n->nkids == 0) {
        node_free(n);
        return &p->empty;
    }
    if (n->kind == N_NOT || n->kind == N_REQ)
        return n;
    flatten(p, n);
    if (n->nkids == 0) { /* a NEAR of words past the limit */
        node_free(n);
        return &p->empty;
    }
    if (n->kind == N_NEAR) {
        /* Stop words stay, as in a phrase: near_of() decides. */
        for (size_t i = 0; i < n->nkids; i++)
            n->kids[i]->stop = 0;
    } else {
        int keep_stop = 1;
        for (size_t i = 0; i < n->nkids && keep_stop; i++)
            if (substantive(n->kids[i]))
                keep_stop = 0;
        if (!keep_stop) {
            k = 0;
            for (size_t i = 0; i < n->nkids; i++) {
                if (is_stop(n->kids[i]))
                    node_free(n->kids[i]);
                else
                    n->kids[k++] = n->kids[i];
            }
            n->nkids = k;
        }
    }
    if (n->nkids == 1) {
        struct node *kid = n->kids[0];
        n->nkids = 0;
        node_free(n);
        return kid;
    }
    return n;
}

/* ---- what search.c needs besides the query ------------------------------------------ */

static int add_unique(struct parser *p, struct strvec *sv, const char *s)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strcmp(sv->v[i], s) == 0)
            return KBS_OK;
    if (sv_push(sv, strdup(s)) != KBS_OK)
        return fail(p, KBS_ENOMEM, 0, "out of memory");
    return KBS_OK;
}

static int add_phrase(struct parser *p, const struct node *n)
{
    query_plan *pl = p->plan;
    query_phrase *nv = realloc(pl->phrases, (pl->nphrases + 1) * sizeof *nv);
    if (!nv)
        return fail(p, KBS_ENOMEM, 0, "out of memory");
    pl->phrases = nv;
    query_phrase *ph = &nv[pl->nphrases];
    memset(ph, 0, sizeof *ph);
    ph->field = n->field == F_TITLE ? 1 : n->field == F_BODY ? 2 : 0;
    ph->words = calloc(n->nwords, sizeof *ph->words);
    if (!ph->words)
        return fail(p, KBS_ENOMEM, 0, "out of memory");
    pl->nphrases++;
    for (size_t i = 0; i < n->nwords; i++) {
        if (!(ph->words[i] = strdup(n->words[i])))
            return fail(p, KBS_ENOMEM, 0, "out of memory");
        ph->nwords++;
    }
    return KBS_OK;
}

/* Stems and words of what the query looks for (positive), and the quoted
 * phrases every hit must hold (required): under OR, NOT, or among the
 * optional words of match-any mode, a phrase need not be in a hit. */
static void collect(struct parser *p, const struct node *n, int positive, int required)
{
    if (p->status != KBS_OK)
        return;
    switch (n->kind) {
    case N_WORDS:
        if (!positive)
            return;
        for (size_t i = 0; i < n->nwords && p->status == KBS_OK; i++) {
            add_unique(p, &p->stems, n->stems[i]);
            if (sv_push(&p->words, strdup(n->words[i])) != KBS_OK)
                fail(p, KBS_ENOMEM, 0, "out of memory");
        }
        if (n->quoted && n->field != F_BY && required && p->status == KBS_OK)
            add_phrase(p, n);
        return;
    case N_PREFIX:
        if (positive)
            add_unique(p, &p->prefixes, n->words[0]);
        return;
    case N_NOT:
        collect(p, n->kids[0], 0, 0);
        return;
    case N_REQ:
        collect(p, n->kids[0], positive, required);
        return;
    case N_OR:
        for (size_t i = 0; i < n->nkids; i++)
            collect(p, n->kids[i], positive, 0);
        return;
    case N_NEAR:
        for (size_t i = 0; i < n->nkids; i++)
            collect(p, n->kids[i], positive, required);
        return;
    case N_AND: {
        size_t nreq = 0, nopt = 0;
        for (size_t i = 0; i < n->nkids; i++) {
            if (n->kids[i]->kind == N_REQ)
                nreq++;
            else if (is_positive(n->kids[i]))
                nopt++;
        }
        for (size_t i = 0; i < n->nkids; i++) {
            const struct node *k = n->kids[i];
            /* Among side-by-side words of match-any mode, only +x is
             * required, or the one word there is. */
            int req = required && (!n->any || k->kind == N_REQ || (nreq == 0 && nopt == 1));
            collect(p, k, positive, req);
        }
        return;
    }
    default:
        return;
    }
}

/* ---- building the Xapian query ----------------------------------------------------------- */

struct qvec {
    xs_query **v;
    size_t n, cap;
};

static void qv_free(struct qvec *qv)
{
    for (size_t i = 0; i < qv->n; i++)
        xs_query_free(qv->v[i]);
    free(qv->v);
    memset(qv, 0, sizeof *qv);
}

static int shim_fail(struct parser *p, int st)
{
    if (st == KBS_ENOMEM)
        return fail(p, st, 0, "out of memory");
    return fail(p, st, 0, "cannot build the query: %s", kbs_strerror(st));
}

/* Takes q (NULL after a failure is fine: the failure is recorded). */
static int qv_push(struct parser *p, struct qvec *qv, xs_query *q)
{
    if (!q)
        return p->status != KBS_OK ? p->status : fail(p, KBS_EINTERNAL, 0, "a query is missing");
    if (qv->n == qv->cap) {
        size_t c = qv->cap ? qv->cap * 2 : 4;
        xs_query **nv = realloc(qv->v, c * sizeof *nv);
        if (!nv) {
            xs_query_free(q);
            return fail(p, KBS_ENOMEM, 0, "out of memory");
        }
        qv->v = nv;
        qv->cap = c;
    }
    qv->v[qv->n++] = q;
    return KBS_OK;
}

/* Combines and empties qv; one query under AND or OR is itself. */
static xs_query *combine(struct parser *p, int op, struct qvec *qv, uint32_t param)
{
    xs_query *out = NULL;
    if (p->status == KBS_OK && qv->n == 1 && (op == XS_OP_AND || op == XS_OP_OR)) {
        out = qv->v[0];
        qv->n = 0;
    } else if (p->status == KBS_OK && qv->n > 0) {
        int st = xs_query_combine(op, qv->v, qv->n, param, &out);
        if (st != KBS_OK)
            shim_fail(p, st);
    } else if (p->status == KBS_OK) {
        fail(p, KBS_EINTERNAL, 0, "an empty group reached the query builder");
    }
    qv_free(qv);
    return out;
}

static xs_query *combine2(struct parser *p, int op, xs_query *a, xs_query *b)
{
    struct qvec qv = {0};
    if (qv_push(p, &qv, a) != KBS_OK)
        xs_query_free(b);
    else
        qv_push(p, &qv, b);
    return combine(p, op, &qv, 0);
}

static xs_query *scaled(struct parser *p, xs_query *q, double factor)
{
    if (!q)
        return NULL;
    xs_query *out = NULL;
    int st = xs_query_scale(q, factor, &out);
    xs_query_free(q);
    if (st != KBS_OK)
        shim_fail(p, st);
    return out;
}

static xs_query *term(struct parser *p, const char *prefix, const char *text)
{
    buf t = BUF_INIT;
    buf_append_str(&t, prefix);
    buf_append_str(&t, text);
    xs_query *out = NULL;
    int st = buf_failed(&t) ? KBS_ENOMEM : xs_query_term(t.data, t.len, 1, ++p->qpos, &out);
    buf_free(&t);
    if (st != KBS_OK)
        shim_fail(p, st);
    return out;
}

/* Every article, weighing nothing: the base of "everything except" and of a
 * query that only filters. */
static xs_query *all_docs(struct parser *p)
{
    xs_query *all = NULL;
    int st = xs_query_match_all(&all);
    if (st != KBS_OK) {
        shim_fail(p, st);
        return NULL;
    }
    return scaled(p, all, 0);
}

/* Moves every query of from to the end of to (both end up freed on failure). */
static int qv_move(struct parser *p, struct qvec *to, struct qvec *from)
{
    for (size_t i = 0; i < from->n; i++) {
        xs_query *q = from->v[i];
        from->v[i] = NULL;
        if (p->status == KBS_OK)
            qv_push(p, to, q);
        else
            xs_query_free(q);
    }
    from->n = 0;
    qv_free(from);
    return p->status;
}

/* A phrase of several stems under prefix. Stop words have no positions in
 * the index (stem.h), so the phrase is the PHRASE of its other
 * words in a window spanning them as they stand in it (the words between
 * them may then be any), AND the stop words' terms: the same weight as the
 * whole phrase had. With fewer than two words with positions, it is the AND
 * of its terms. Search then checks the stop words' places in the stored text
 * of the hits (search.c, exact forms of quoted phrases). A quoted phrase's
 * words match only where their own forms stand (their form tags, stem.h),
 * which rules out in the index most of what that check would have read
 * ("last months" where the text says "last month"). */
static xs_query *phrase_of(struct parser *p, const struct node *n, const char *prefix)
{
    struct qvec pos = {0}, stops = {0};
    size_t first = 0, last = 0;
    for (size_t i = 0; i < n->nwords && p->status == KBS_OK; i++) {
        /* A quoted word has its places unless it is a stop word; a stem in
         * any form has all of them only if it is no stop word's (stem.h). */
        int stop = n->quoted ? stem_is_stopword(n->words[i], strlen(n->words[i]))
                             : stem_is_stopstem(n->stems[i], strlen(n->stems[i]));
        if (!stop) {
            first = pos.n ? first : i;
            last = i;
        }
        xs_query *t = term(p, prefix, n->stems[i]);
        if (t && !stop && n->quoted) {
            int st = xs_query_set_form(t, stem_form_tag(n->words[i], strlen(n->words[i])));
            if (st != KBS_OK)
                shim_fail(p, st);
        }
        qv_push(p, stop ? &stops : &pos, t);
    }
    if (p->status == KBS_OK && pos.n >= 2 && stops.n == 0)
        return combine(p, XS_OP_PHRASE, &pos, 0);
    if (p->status == KBS_OK && pos.n >= 2) {
        xs_query *ph = combine(p, XS_OP_PHRASE, &pos, (uint32_t)(last - first + 1));
        qv_push(p, &stops, ph);
    } else if (p->status == KBS_OK) {
        qv_move(p, &stops, &pos);
    }
    qv_free(&pos);
    if (p->status != KBS_OK) {
        qv_free(&stops);
        return NULL;
    }
    return combine(p, XS_OP_AND, &stops, 0);
}

/* The stems of n under prefix: one term, or the phrase of them. */
static xs_query *field_words(struct parser *p, const struct node *n, const char *prefix)
{
    if (n->nwords > 1)
        return phrase_of(p, n, prefix);
    struct qvec qv = {0};
    for (size_t i = 0; i < n->nwords && p->status == KBS_OK; i++)
        qv_push(p, &qv, term(p, prefix, n->stems[i]));
    if (p->status != KBS_OK) {
        qv_free(&qv);
        return NULL;
    }
    return combine(p, qv.n == 1 ? XS_OP_OR : XS_OP_PHRASE, &qv, 0);
}

/* The title's word stems as filter terms (AND), for title: ranked by the
 * plain terms: PFX_TITLE terms have no positions, so a title phrase is the
 * plain PHRASE where the title holds each word (search.c checks the phrase
 * is in the title itself, as it checks exact forms). */
static xs_query *in_title(struct parser *p, xs_query *ranked, const struct node *const *kids,
                          size_t nkids)
{
    struct qvec f = {0};
    if (qv_push(p, &f, ranked) != KBS_OK)
        return NULL;
    for (size_t k = 0; k < nkids && p->status == KBS_OK; k++)
        for (size_t i = 0; i < kids[k]->nwords && p->status == KBS_OK; i++)
            qv_push(p, &f, term(p, PFX_TITLE, kids[k]->stems[i]));
    if (p->status != KBS_OK) {
        qv_free(&f);
        return NULL;
    }
    return combine(p, XS_OP_FILTER, &f, 0);
}

/* A word in the body: its term, where the body holds it (the title's
 * occurrences weigh TITLE_WDF each, and are counted under PFX_TITLE). */
static xs_query *in_body(struct parser *p, const char *stem)
{
    xs_query *ranked = term(p, "", stem);
    if (!ranked)
        return NULL;
    buf t = BUF_INIT;
    buf_append_str(&t, PFX_TITLE);
    buf_append_str(&t, stem);
    xs_query *where = NULL;
    int st = buf_failed(&t)
                 ? KBS_ENOMEM
                 : xs_query_body_only(stem, strlen(stem), t.data, t.len, TITLE_WDF, &where);
    buf_free(&t);
    if (st != KBS_OK) {
        xs_query_free(ranked);
        shim_fail(p, st);
        return NULL;
    }
    return combine2(p, XS_OP_FILTER, ranked, where);
}

static xs_query *build_words(struct parser *p, const struct node *n)
{
    switch (n->field) {
    case F_BY: { /* bylines have no positions: every word, anywhere in it */
        struct qvec qv = {0};
        for (size_t i = 0; i < n->nwords && p->status == KBS_OK; i++)
            qv_push(p, &qv, term(p, PFX_BYLINE, n->stems[i]));
        return combine(p, XS_OP_AND, &qv, 0);
    }
    case F_TITLE:
        return in_title(p, field_words(p, n, ""), &n, 1);
    case F_BODY:
        if (n->nwords == 1)
            return in_body(p, n->stems[0]);
        return field_words(p, n, ""); /* a body phrase: search.c checks where it is */
    default:
        return field_words(p, n, "");
    }
}

struct term_count {
    uint32_t n, limit;
};

static int count_term(void *ctx, const char *term, size_t len, uint32_t termfreq)
{
    (void)term;
    (void)len;
    (void)termfreq;
    struct term_count *c = ctx;
    return ++c->n > c->limit;
}

static xs_query *wildcard_of(struct parser *p, const char *prefix, const char *w, int *cut)
{
    buf t = BUF_INIT;
    buf_append_str(&t, prefix);
    buf_append_str(&t, w);
    if (buf_failed(&t)) {
        nomem(p);
        return NULL;
    }
    /* Counting stops one past the bound: the note needs no more, and a
     * prefix such as "th" would otherwise walk much of the term list. */
    int st = KBS_OK;
    if (p->noting && p->db && !*cut) {
        struct term_count c = {0, p->max_expansion};
        st = xs_db_allterms(p->db, t.data, t.len, count_term, &c);
        *cut = c.n > p->max_expansion;
    }
    xs_query *out = NULL;
    if (st == KBS_OK)
        st = xs_query_wildcard(t.data, t.len, p->max_expansion, &out);
    buf_free(&t);
    if (st != KBS_OK)
        shim_fail(p, st);
    return out;
}

/* The index holds stems, so "economy*" must also look under the stem
 * "economi" (and "cooperation*" under "cooper"): the prefix's own stem is
 * expanded too, alone when it is a prefix of the word (it then covers it). */
static xs_query *wildcard(struct parser *p, const char *prefix, const char *w, int *cut)
{
    size_t wlen = strlen(w);
    const char *s;
    size_t slen;
    if (stemmer_stem(p->st, w, wlen, &s, &slen) != 0) {
        nomem(p);
        return NULL;
    }
    if (slen < 2 || (slen == wlen && memcmp(s, w, wlen) == 0))
        return wildcard_of(p, prefix, w, cut);
    char *stem = strndup(s, slen);
    if (!stem) {
        nomem(p);
        return NULL;
    }
    xs_query *out;
    if (slen <= wlen && memcmp(s, w, slen) == 0) {
        out = wildcard_of(p, prefix, stem, cut);
    } else {
        xs_query *a = wildcard_of(p, prefix, w, cut);
        xs_query *b = a ? wildcard_of(p, prefix, stem, cut) : NULL;
        out = b ? combine2(p, XS_OP_OR, a, b) : (xs_query_free(a), NULL);
    }
    free(stem);
    return out;
}

static xs_query *build_prefix(struct parser *p, const struct node *n)
{
    const char *w = n->words[0];
    int cut = 0;
    xs_query *out;
    switch (n->field) {
    case F_BY:
        out = wildcard(p, PFX_BYLINE, w, &cut);
        break;
    case F_TITLE: /* the title's own terms rank: a title prefix is rare */
        out = wildcard(p, PFX_TITLE, w, &cut);
        break;
    default:
        out = wildcard(p, "", w, &cut);
        break;
    }
    if (cut) {
        buf line = BUF_INIT;
        int one = p->max_expansion == 1;
        buf_printf(&line,
                   "%s* matches more than %u word%s; only the %u most frequent %s searched\n", w,
                   p->max_expansion, one ? "" : "s", p->max_expansion, one ? "was" : "were");
        if (buf_failed(&line))
            nomem(p);
        else if (!strstr(buf_cstr(&p->plan->notes), line.data))
            buf_append(&p->plan->notes, line.data, line.len);
        buf_free(&line);
    }
    return out;
}

/* NEAR over the terms with positions; the stems of stop words have none
 * (stem.h) and take no part, unless fewer than two terms have positions:
 * then all of them, anywhere (AND). Takes both vectors. */
static xs_query *near_of(struct parser *p, struct qvec *terms, struct qvec *stops, uint32_t window)
{
    if (p->status == KBS_OK && terms->n >= 2) {
        qv_free(stops);
        return combine(p, XS_OP_NEAR, terms, window);
    }
    if (qv_move(p, stops, terms) != KBS_OK) {
        qv_free(stops);
        return NULL;
    }
    return combine(p, XS_OP_AND, stops, 0);
}

/* NEAR over the words of its kids (phrases and hyphenated words give theirs
 * in order: Xapian takes only terms under NEAR). TITLE_BODY_GAP keeps a
 * window of up to 100 from running from the title into the body. */
static xs_query *near_words(struct parser *p, const struct node *n)
{
    struct qvec qv = {0}, stops = {0};
    size_t words = 0;
    for (size_t i = 0; i < n->nkids && p->status == KBS_OK; i++) {
        const struct node *k = n->kids[i];
        for (size_t j = 0; j < k->nwords && p->status == KBS_OK; j++, words++)
            qv_push(p, stem_is_stopstem(k->stems[j], strlen(k->stems[j])) ? &stops : &qv,
                    term(p, "", k->stems[j]));
    }
    /* Xapian's window is the span of positions the terms lie in: NEAR/n
     * lets n - 1 other words between each (QueryParser's reading too). */
    return near_of(p, &qv, &stops, (uint32_t)(n->near - 1 + words));
}

static xs_query *build_near(struct parser *p, const struct node *n)
{
    int field = F_ANY;
    for (size_t i = 0; i < n->nkids; i++)
        if (n->kids[i]->field != F_ANY)
            field = n->kids[i]->field;
    xs_query *near = near_words(p, n);
    if (field == F_TITLE)
        return in_title(p, near, (const struct node *const *)n->kids, n->nkids);
    return near;
}

/* A filter-only node as a boolean query (what FILTER and AND_NOT take). */
static xs_query *build_filter(struct parser *p, const struct node *n)
{
    if (n->kind == N_CATEGORY)
        return term(p, "", n->words[0]);
    if (n->kind == N_DATE && n->term)
        return term(p, "", n->term);
    if (n->kind == N_DATE) {
        xs_query *out = NULL;
        int st = xs_query_value_range(n->slot, n->lo, n->hi, &out);
        if (st != KBS_OK)
            shim_fail(p, st);
        return out;
    }
    struct qvec qv = {0};
    for (size_t i = 0; i < n->nkids && p->status == KBS_OK; i++)
        qv_push(p, &qv, build_filter(p, n->kids[i]));
    return combine(p, n->kind == N_AND ? XS_OP_AND : XS_OP_OR, &qv, 0);
}

static xs_query *build(struct parser *p, const struct node *n);

/* A group of operands, AND (or, with any, ANY): what it looks for ranks the
 * hits; +x is required among optional words (AND_MAYBE); filters apply with
 * FILTER, so they never change the ranking; exclusions with AND_NOT. With
 * nothing to look for, the group is every article, filtered. */
static xs_query *build_chain(struct parser *p, const struct node *const *kids, size_t nkids,
                             int any)
{
    struct qvec pos = {0}, req = {0}, neg = {0}, filt = {0};
    for (size_t i = 0; i < nkids && p->status == KBS_OK; i++) {
        const struct node *k = kids[i];
        if (filter_only(k)) {
            qv_push(p, &filt, build_filter(p, k));
        } else if (k->kind == N_NOT) {
            const struct node *c = k->kids[0];
            qv_push(p, &neg, filter_only(c) ? build_filter(p, c) : build(p, c));
        } else if (k->kind == N_REQ) {
            qv_push(p, any ? &req : &pos, build(p, k->kids[0]));
        } else {
            qv_push(p, &pos, build(p, k));
        }
    }
    xs_query *base = NULL;
    if (p->status == KBS_OK) {
        xs_query *looked = pos.n ? combine(p, any ? XS_OP_OR : XS_OP_AND, &pos, 0) : NULL;
        xs_query *needed = req.n ? combine(p, XS_OP_AND, &req, 0) : NULL;
        if (looked && needed)
            base = combine2(p, XS_OP_AND_MAYBE, needed, looked);
        else if (looked || needed)
            base = looked ? looked : needed;
        else if (p->status == KBS_OK)
            base = all_docs(p);
    }
    if (base && filt.n) {
        struct qvec f = {0};
        qv_push(p, &f, base);
        for (size_t i = 0; i < filt.n && p->status == KBS_OK; i++) {
            qv_push(p, &f, filt.v[i]);
            filt.v[i] = NULL;
        }
        base = combine(p, XS_OP_FILTER, &f, 0);
    }
    if (base && neg.n) {
        xs_query *out = combine(p, XS_OP_OR, &neg, 0);
        base = out ? combine2(p, XS_OP_AND_NOT, base, out) : (xs_query_free(base), NULL);
    }
    for (size_t i = 0; i < filt.n; i++)
        xs_query_free(filt.v[i]);
    filt.n = 0;
    qv_free(&pos);
    qv_free(&req);
    qv_free(&neg);
    qv_free(&filt);
    return p->status == KBS_OK ? base : (xs_query_free(base), NULL);
}

static xs_query *build(struct parser *p, const struct node *n)
{
    if (p->status != KBS_OK)
        return NULL;
    /* Alone, an exclusion or a filter means "every article, but ...". */
    if (n->kind != N_AND && (filter_only(n) || n->kind == N_NOT))
        return build_chain(p, &n, 1, 0);
    switch (n->kind) {
    case N_WORDS:
        return build_words(p, n);
    case N_PREFIX:
        return build_prefix(p, n);
    case N_NEAR:
        return build_near(p, n);
    case N_REQ:
        return build(p, n->kids[0]);
    case N_AND:
        return build_chain(p, (const struct node *const *)n->kids, n->nkids, n->any);
    case N_OR: {
        struct qvec qv = {0};
        for (size_t i = 0; i < n->nkids && p->status == KBS_OK; i++)
            qv_push(p, &qv, build(p, n->kids[i]));
        return combine(p, XS_OP_OR, &qv, 0);
    }
    default:
        fail(p, KBS_EINTERNAL, 0, "an empty node reached the query builder");
        return NULL;
    }
}

/* A plain list of words in match-all mode ("security cooperation japan",
 * maybe with filters and -exclusions) has an any-word version, for when no
 * article has them all. */
static int wants_fallback(const struct parser *p, const struct node *root)
{
    if (p->opts->match_any || p->explicit_ops || root->kind != N_AND || root->any)
        return 0;
    size_t words = 0;
    for (size_t i = 0; i < root->nkids; i++) {
        const struct node *k = root->kids[i];
        if (k->kind == N_WORDS || k->kind == N_PREFIX)
            words++;
        else if (k->kind != N_NOT && !filter_only(k))
            return 0;
    }
    return words >= 2;
}

/* ---- describing ------------------------------------------------------------------------------ */

static const char *field_tag(int field)
{
    return field == F_TITLE ? "title:" : field == F_BODY ? "body:" : field == F_BY ? "by:" : "";
}

static void desc_words(buf *b, const struct node *n)
{
    if (n->field == F_BY) {
        if (n->nwords > 1)
            buf_append_str(b, "AND(");
        for (size_t i = 0; i < n->nwords; i++)
            buf_printf(b, "%sby:%s", i ? ", " : "", n->stems[i]);
        if (n->nwords > 1)
            buf_append_char(b, ')');
        return;
    }
    if (n->nwords == 1 && !n->quoted) {
        buf_printf(b, "%s%s", field_tag(n->field), n->stems[0]);
        return;
    }
    buf_printf(b, "%sPHRASE(%s", field_tag(n->field), n->quoted ? "\"" : "");
    for (size_t i = 0; i < n->nwords; i++)
        buf_printf(b, "%s%s", i ? " " : "", n->quoted ? n->words[i] : n->stems[i]);
    buf_printf(b, "%s)", n->quoted ? "\"" : "");
}

static void desc_filter(buf *b, const struct node *n)
{
    if (n->kind == N_DATE) {
        buf_append_str(b, n->desc);
    } else if (n->kind == N_CATEGORY) {
        const char *c = n->words[0] + strlen(PFX_CATEGORY);
        buf_printf(b, strchr(c, ' ') ? "category:\"%s\"" : "category:%s", c);
    } else {
        buf_append_str(b, n->kind == N_AND ? "AND(" : "OR(");
        for (size_t i = 0; i < n->nkids; i++) {
            if (i)
                buf_append_str(b, ", ");
            desc_filter(b, n->kids[i]);
        }
        buf_append_char(b, ')');
    }
}

static void desc(buf *b, const struct node *n);

static void desc_chain(buf *b, const struct node *const *kids, size_t nkids, int any)
{
    int positive = 0;
    for (size_t i = 0; i < nkids; i++)
        positive |= is_positive(kids[i]);
    buf_append_str(b, any ? "ANY(" : "AND(");
    if (!positive)
        buf_append_str(b, "ALL");
    for (size_t i = 0; i < nkids; i++) {
        const struct node *k = kids[i];
        if (i || !positive)
            buf_append_str(b, ", ");
        if (k->kind == N_DATE) {
            desc_filter(b, k);
        } else if (filter_only(k)) {
            buf_append_str(b, "FILTER(");
            desc_filter(b, k);
            buf_append_char(b, ')');
        } else if (k->kind == N_NOT) {
            buf_append_str(b, "NOT(");
            if (filter_only(k->kids[0]))
                desc_filter(b, k->kids[0]);
            else
                desc(b, k->kids[0]);
            buf_append_char(b, ')');
        } else if (k->kind == N_REQ && any) {
            buf_append_str(b, "REQUIRED(");
            desc(b, k->kids[0]);
            buf_append_char(b, ')');
        } else {
            desc(b, k);
        }
    }
    buf_append_char(b, ')');
}

static void desc(buf *b, const struct node *n)
{
    if (n->kind != N_AND && (filter_only(n) || n->kind == N_NOT)) {
        desc_chain(b, &n, 1, 0);
        return;
    }
    switch (n->kind) {
    case N_WORDS:
        desc_words(b, n);
        return;
    case N_PREFIX:
        buf_printf(b, "%s%s*", field_tag(n->field), n->words[0]);
        return;
    case N_NEAR:
        buf_printf(b, "NEAR/%u(", n->near);
        for (size_t i = 0; i < n->nkids; i++) {
            if (i)
                buf_append_str(b, ", ");
            desc_words(b, n->kids[i]);
        }
        buf_append_char(b, ')');
        return;
    case N_REQ:
        desc(b, n->kids[0]);
        return;
    case N_AND:
        desc_chain(b, (const struct node *const *)n->kids, n->nkids, n->any);
        return;
    case N_OR:
        buf_append_str(b, "OR(");
        for (size_t i = 0; i < n->nkids; i++) {
            if (i)
                buf_append_str(b, ", ");
            desc(b, n->kids[i]);
        }
        buf_append_char(b, ')');
        return;
    default:
        return;
    }
}

/* ---- the entry points -------------------------------------------------------------------------
 */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int query_parse(const char *q, size_t len, const query_options *opts, stemmer *st, xs_db *db,
                query_plan *out, query_error *err)
{
    if (!out || !err)
        return KBS_EINVAL;
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    if ((!q && len) || !opts || !st) {
        snprintf(err->msg, sizeof err->msg, "query_parse: NULL query, options or stemmer");
        return KBS_EINVAL;
    }
    struct parser p;
    memset(&p, 0, sizeof p);
    p.q = q ? q : "";
    p.len = len;
    p.opts = opts;
    p.max_expansion = opts->max_expansion ? opts->max_expansion : QUERY_DEFAULT_EXPANSION;
    p.st = st;
    p.db = db;
    p.plan = out;
    p.err = err;
    p.empty.kind = N_EMPTY;

    struct node *root = parse_or(&p, 0);
    if (p.status == KBS_OK && peek(&p)->kind == T_RPAREN)
        fail(&p, KBS_EQUERY, peek(&p)->pos, "unexpected ')'");
    if (p.status == KBS_OK && root)
        root = normalize(&p, root);
    if (p.status == KBS_OK && (!root || root->kind == N_EMPTY))
        fail(&p, KBS_EQUERY, 0, "the query has no words to search for");
    if (p.status == KBS_OK)
        collect(&p, root, 1, 1);
    if (p.status == KBS_OK) {
        p.noting = 1;
        out->query = build(&p, root);
        p.noting = 0;
    }
    if (p.status == KBS_OK && wants_fallback(&p, root))
        out->fallback = build_chain(&p, (const struct node *const *)root->kids, root->nkids, 1);
    if (p.status == KBS_OK) {
        desc(&out->described, root);
        if (buf_failed(&out->described) || buf_failed(&out->notes))
            fail(&p, KBS_ENOMEM, 0, "out of memory");
    }
    node_free(root);
    if (p.status != KBS_OK) {
        sv_free(&p.stems);
        sv_free(&p.words);
        sv_free(&p.prefixes);
        query_plan_free(out);
        return p.status;
    }
    if (p.stems.n > 1)
        qsort(p.stems.v, p.stems.n, sizeof *p.stems.v, cmp_str);
    out->stems = p.stems.v;
    out->nstems = p.stems.n;
    out->words = p.words.v;
    out->nwords = p.words.n;
    out->prefixes = p.prefixes.v;
    out->nprefixes = p.prefixes.n;
    return KBS_OK;
}

static void free_strs(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void query_plan_free(query_plan *p)
{
    if (!p)
        return;
    xs_query_free(p->query);
    xs_query_free(p->fallback);
    free_strs(p->stems, p->nstems);
    free_strs(p->prefixes, p->nprefixes);
    free_strs(p->words, p->nwords);
    for (size_t i = 0; i < p->nphrases; i++)
        free_strs(p->phrases[i].words, p->phrases[i].nwords);
    free(p->phrases);
    buf_free(&p->notes);
    buf_free(&p->described);
    memset(p, 0, sizeof *p);
}
