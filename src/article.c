/* article.c - splits a news page into its fields (see article.h).
 *
 * The parser walks the text line by line and only ever records offsets. Every
 * pass is linear in the input and the number of passes is fixed, so a page of
 * one 50 MB line costs a few scans, never a quadratic search. Lines end at LF,
 * CRLF or a lone CR; "blank" means nothing but white space, NBSP included,
 * because saved web pages leave NBSPs where the markup had &nbsp;.
 *
 * Order of detection: REUTERS (its "--" header is unmistakable), then a mail
 * or news post (a header block with From:, reported as PLAIN with Subject as
 * the title and From as the byline), then KBS (a valid "Written:" timestamp
 * near the top), else PLAIN.
 *
 * Site chrome ("Menu Content", "Go Top", "Share", "Print", "List", "Close")
 * is skipped wherever it stands; "Related News", "Editor's Pick" and the
 * cookie notice end the body, since related headlines follow them.
 */
#include "article.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/* The KBS header (chrome, category, title) sits in the first few lines; a
 * "Written:" much further down is body text quoting a date, not the page's. */
#define KBS_HEAD_LINES 40
/* Longer lines are a sentence, not a category label like "North Korea". */
#define CATEGORY_MAX_BYTES 40
/* Longer "..., KBS News" lines are a sentence that happens to end so. */
#define BYLINE_NAME_MAX_BYTES 64
/* Header lines after the KBS timestamps that may be the title repeat or photo. */
#define KBS_AFTER_STAMP_LINES 6
#define BINARY_WINDOW 65536u

typedef struct line {
    size_t start, end; /* the raw line, without its terminator */
    size_t next;       /* where the following line starts */
    size_t ts, te;     /* the line trimmed of white space: [ts, te) */
} line;

typedef struct parser {
    const char *t;
    size_t len;
    article *a;
    size_t cap; /* of a->paras */
} parser;

/* ---------------------------------------------------------------------- */
/* Bytes, white space and lines                                           */
/* ---------------------------------------------------------------------- */

static int ascii_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == '\n';
}

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int ascii_letter(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int ascii_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Whether the three bytes encode a Unicode space that pages use for layout:
 * U+2000..U+200B, U+202F, U+205F, U+3000 and the BOM U+FEFF. */
static int wide_space3(unsigned char a, unsigned char b, unsigned char c)
{
    if (a == 0xE2 && b == 0x80)
        return (c >= 0x80 && c <= 0x8B) || c == 0xAF;
    if (a == 0xE2 && b == 0x81)
        return c == 0x9F;
    if (a == 0xE3 && b == 0x80)
        return c == 0x80;
    return a == 0xEF && b == 0xBB && c == 0xBF;
}

/* Length of the space character starting at t[i] (i < end), or 0. */
static size_t space_at(const char *t, size_t i, size_t end)
{
    const unsigned char *u = (const unsigned char *)t;
    if (ascii_space(u[i]))
        return 1;
    if (u[i] == 0xC2 && end - i >= 2 && u[i + 1] == 0xA0)
        return 2;
    if (end - i >= 3 && wide_space3(u[i], u[i + 1], u[i + 2]))
        return 3;
    return 0;
}

/* Length of the space character ending just before t[i] (start < i), or 0. */
static size_t space_before(const char *t, size_t start, size_t i)
{
    const unsigned char *u = (const unsigned char *)t;
    if (ascii_space(u[i - 1]))
        return 1;
    if (i - start >= 2 && u[i - 2] == 0xC2 && u[i - 1] == 0xA0)
        return 2;
    if (i - start >= 3 && wide_space3(u[i - 3], u[i - 2], u[i - 1]))
        return 3;
    return 0;
}

static void trim(const char *t, size_t *s, size_t *e)
{
    size_t k;
    while (*s < *e && (k = space_at(t, *s, *e)) > 0)
        *s += k;
    while (*e > *s && (k = space_before(t, *s, *e)) > 0)
        *e -= k;
}

/* Reads the line starting at pos; returns 0 at the end of the text. */
static int next_line(const char *t, size_t len, size_t pos, line *ln)
{
    if (pos >= len)
        return 0;
    /* memchr's word-at-a-time scans: a Reuters paragraph is one long line,
     * and a byte loop here was a third of parsing it. */
    const char *nl = memchr(t + pos, '\n', len - pos);
    size_t i = nl ? (size_t)(nl - t) : len;
    const char *cr = memchr(t + pos, '\r', i - pos);
    if (cr)
        i = (size_t)(cr - t);
    ln->start = pos;
    ln->end = i;
    if (i < len)
        i += (t[i] == '\r' && i + 1 < len && t[i + 1] == '\n') ? 2 : 1;
    ln->next = i;
    ln->ts = pos;
    ln->te = ln->end;
    trim(t, &ln->ts, &ln->te);
    return 1;
}

static int blank(const line *ln)
{
    return ln->ts == ln->te;
}

static art_span span_of(size_t s, size_t e)
{
    art_span sp = {0, 0};
    if (e > s) {
        sp.off = s;
        sp.len = e - s;
    }
    return sp;
}

/* How many bytes of s[0..n) match lit, ASCII case folded, or 0 if they do not.
 * An apostrophe in lit also matches U+2018/U+2019: pages mix straight and
 * curly ones ("Editor's Pick"). */
static size_t prefix_ci(const char *s, size_t n, const char *lit)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    for (; *lit; lit++) {
        if (*lit == '\'' && n - i >= 3 && u[i] == 0xE2 && u[i + 1] == 0x80 &&
            (u[i + 2] == 0x98 || u[i + 2] == 0x99)) {
            i += 3;
            continue;
        }
        if (i >= n || ascii_lower(u[i]) != ascii_lower((unsigned char)*lit))
            return 0;
        i++;
    }
    return i;
}

static int equals_ci(const char *s, size_t n, const char *lit)
{
    return n > 0 && prefix_ci(s, n, lit) == n;
}

/* Matches "<word> :" or "<word>:" at t[s..e) (the Written:, Photo : and
 * Anchor: labels); returns the offset just past the colon, or 0. */
static size_t label_end(const char *t, size_t s, size_t e, const char *word)
{
    size_t k = prefix_ci(t + s, e - s, word);
    if (k == 0)
        return 0;
    size_t i = s + k;
    while (i < e && (t[i] == ' ' || t[i] == '\t'))
        i++;
    return i < e && t[i] == ':' ? i + 1 : 0;
}

/* ---------------------------------------------------------------------- */
/* Chrome, labels and bylines                                              */
/* ---------------------------------------------------------------------- */

/* Site chrome lines that may turn up anywhere and are never text. */
static int skip_chrome(const char *t, const line *ln)
{
    static const char *const words[] = {"Menu Content", "Go Top", "Share",
                                        "Print",        "List",   "Close"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (equals_ci(t + ln->ts, ln->te - ln->ts, words[i]))
            return 1;
    return 0;
}

/* The start of the trailing chrome: nothing after it belongs to the article
 * (related headlines follow "Related News"). */
static int end_marker(const char *t, const line *ln)
{
    const char *s = t + ln->ts;
    size_t n = ln->te - ln->ts;
    return equals_ci(s, n, "Related News") || equals_ci(s, n, "Editor's Pick") ||
           prefix_ci(s, n, "This website uses cookies") > 0;
}

/* Skips an "Anchor:"/"Report:"/"Reporter:" label at t[s..e) and the space
 * after it; returns where the text starts. */
static size_t skip_label(const char *t, size_t s, size_t e)
{
    static const char *const labels[] = {"Anchor", "Reporter", "Report"};
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        size_t k = label_end(t, s, e, labels[i]);
        if (k > 0) {
            size_t sp;
            while (k < e && (sp = space_at(t, k, e)) > 0)
                k += sp;
            return k;
        }
    }
    return s;
}

/* Whether the line is a sign-off "<reporter>, KBS World Radio News" (or
 * "KBS World Radio", "KBS World News", "KBS News"); *name gets the reporter. */
static int byline_line(const char *t, const line *ln, art_span *name)
{
    static const char *const tails[] = {"KBS World Radio News", "KBS World Radio", "KBS World News",
                                        "KBS News"};
    size_t end = ln->te;
    if (end > ln->ts && t[end - 1] == '.')
        end--;
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        size_t tl = strlen(tails[i]);
        if (end - ln->ts < tl || !equals_ci(t + end - tl, tl, tails[i]))
            continue;
        size_t s = ln->ts, e = end - tl;
        trim(t, &s, &e);
        if (e > s && t[e - 1] != ',')
            continue; /* "... said KBS News": a sentence, not a sign-off */
        if (e > s)
            e--;
        trim(t, &s, &e);
        if (e - s > BYLINE_NAME_MAX_BYTES)
            continue;
        *name = span_of(s, e);
        return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* The body                                                                */
/* ---------------------------------------------------------------------- */

#define BODY_INDENT_SPLITS 1u /* a line starting with a space starts a paragraph */
#define BODY_BYLINE 2u        /* a KBS sign-off line ends the body */

static int push_para(parser *p, size_t s, size_t e)
{
    if (e <= s)
        return 0;
    article *a = p->a;
    if (a->npara == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        if (cap > SIZE_MAX / sizeof *a->paras)
            return -1;
        art_span *np = realloc(a->paras, cap * sizeof *np);
        if (!np)
            return -1;
        a->paras = np;
        p->cap = cap;
    }
    a->paras[a->npara++] = span_of(s, e);
    return 0;
}

/* Collects paragraphs from pos to the end marker or byline. */
static int scan_body(parser *p, size_t pos, unsigned flags)
{
    line ln;
    int open = 0;
    size_t ps = 0, pe = 0;
    while (next_line(p->t, p->len, pos, &ln)) {
        pos = ln.next;
        if (blank(&ln) || skip_chrome(p->t, &ln)) {
            if (open && push_para(p, ps, pe) != 0)
                return -1;
            open = 0;
            continue;
        }
        if (end_marker(p->t, &ln))
            break;
        if ((flags & BODY_BYLINE) && byline_line(p->t, &ln, &p->a->byline)) {
            /* The sign-off closes the story. One before any text is a page
             * that names its reporter first: keep reading, or the whole
             * story would be lost. */
            if (open || p->a->npara > 0)
                break;
            continue;
        }
        if (open && (flags & BODY_INDENT_SPLITS) && ln.ts > ln.start &&
            (p->t[ln.start] == ' ' || p->t[ln.start] == '\t')) {
            if (push_para(p, ps, pe) != 0)
                return -1;
            open = 0;
        }
        if (!open) {
            size_t s = skip_label(p->t, ln.ts, ln.te);
            if (s == ln.te)
                continue; /* a label alone: its text starts on the next line */
            open = 1;
            ps = s;
        }
        pe = ln.te;
    }
    if (open && push_para(p, ps, pe) != 0)
        return -1;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Layouts                                                                 */
/* ---------------------------------------------------------------------- */

/* "-- text" lines: returns 1 and the trimmed text after the dashes. */
static int dash_line(const char *t, const line *ln, size_t *s, size_t *e)
{
    if (ln->end - ln->start < 2 || t[ln->start] != '-' || t[ln->start + 1] != '-')
        return 0;
    *s = ln->start + 2;
    *e = ln->end;
    trim(t, s, e);
    return 1;
}

static int parse_reuters(parser *p)
{
    const char *t = p->t;
    line ln;
    size_t pos = 0, s, e;
    while (next_line(t, p->len, pos, &ln) && blank(&ln))
        pos = ln.next;
    /* At least three "--" lines in a row (headline, author, date, url), one
     * of them a date or a url, so a text that opens with a dashed list is
     * not taken for the archive layout. */
    size_t probe = pos;
    int ndash = 0, dated = 0;
    char scratch[20];
    while (ndash < 8 && next_line(t, p->len, probe, &ln) && dash_line(t, &ln, &s, &e)) {
        probe = ln.next;
        ndash++;
        if (prefix_ci(t + s, e - s, "http://") || prefix_ci(t + s, e - s, "https://") ||
            article_parse_date(t + s, e - s, scratch) == 0)
            dated = 1;
    }
    if (ndash < 3 || !dated)
        return 0;
    article *a = p->a;
    a->layout = ART_REUTERS;
    for (int i = 0; next_line(t, p->len, pos, &ln) && dash_line(t, &ln, &s, &e); i++) {
        pos = ln.next;
        size_t n = e - s;
        if (i == 0) {
            a->title = span_of(s, e);
        } else if (equals_ci(t + s, n, "By")) {
            a->byline = span_of(0, 0);
        } else if (n >= 3 && prefix_ci(t + s, n, "by ") == 3) {
            size_t bs = s + 3;
            trim(t, &bs, &e);
            a->byline = span_of(bs, e);
        } else if (n == 0 || prefix_ci(t + s, n, "http://") || prefix_ci(t + s, n, "https://")) {
            continue;
        } else if (a->written[0] == '\0' && article_parse_date(t + s, n, a->written) == 0) {
            continue;
        } else if (i == 1) {
            a->byline = span_of(s, e);
        }
    }
    return scan_body(p, pos, BODY_INDENT_SPLITS) == 0 ? 1 : -1;
}

/* A mail header "Key: value" (the key any printable ASCII but the colon, as
 * RFC 5322 has it: "Article-I.D." occurs); returns the offset after the
 * colon, or 0. */
static size_t header_line(const char *t, const line *ln)
{
    size_t i = ln->start;
    while (i < ln->end && i - ln->start <= 64 && t[i] > ' ' && t[i] < 0x7F && t[i] != ':')
        i++;
    if (i == ln->start || i - ln->start > 64 || i >= ln->end || t[i] != ':')
        return 0;
    if (i + 1 < ln->end && t[i + 1] != ' ' && t[i + 1] != '\t')
        return 0; /* "http://...": a colon inside a word */
    return i + 1;
}

/* A news or mail post (20 Newsgroups): a header block with From:, a blank
 * line, the text. Subject is the title, From the byline. */
static int parse_mail(parser *p)
{
    const char *t = p->t;
    line ln;
    size_t pos = 0;
    int has_from = 0;
    art_span subject = {0, 0}, from = {0, 0};
    while (next_line(t, p->len, pos, &ln) && !blank(&ln)) {
        pos = ln.next;
        size_t v = header_line(t, &ln);
        if (v == 0) {
            /* A folded continuation line; archives sometimes cut the header
             * it belonged to, so one may even come first. */
            if (t[ln.start] != ' ' && t[ln.start] != '\t')
                return 0;
            continue;
        }
        size_t vs = v, ve = ln.end;
        trim(t, &vs, &ve);
        if (v - ln.start == 5 && prefix_ci(t + ln.start, 5, "From:")) {
            has_from = 1;
            from = span_of(vs, ve);
        } else if (v - ln.start == 8 && prefix_ci(t + ln.start, 8, "Subject:")) {
            subject = span_of(vs, ve);
        }
    }
    if (!has_from)
        return 0;
    p->a->layout = ART_PLAIN;
    p->a->title = subject;
    p->a->byline = from;
    return scan_body(p, pos, BODY_BYLINE) == 0 ? 1 : -1;
}

/* Parses the longest date at the start of t[s..e): pages add zones or glue
 * text after the timestamp. */
static int parse_date_prefix(const char *t, size_t s, size_t e, char out[20])
{
    static const size_t widths[] = {19, 16, 10};
    trim(t, &s, &e);
    if (article_parse_date(t + s, e - s, out) == 0)
        return 0;
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++)
        if (e - s > widths[i] && article_parse_date(t + s, widths[i], out) == 0)
            return 0;
    return -1;
}

/* Finds "Updated" in t[s..e) (the page glues it to the written time);
 * returns its offset, or e. */
static size_t find_updated(const char *t, size_t s, size_t e)
{
    static const char word[] = "Updated";
    size_t n = sizeof word - 1;
    for (size_t i = s; e - i >= n; i++)
        if (t[i] == 'U' && memcmp(t + i, word, n) == 0)
            return i;
    return e;
}

/* A "Written: <date>[Updated: <date>]" line with a valid written date. */
static int stamp_line(const char *t, const line *ln, article *a)
{
    size_t v = label_end(t, ln->ts, ln->te, "Written");
    if (v == 0)
        return 0;
    size_t u = find_updated(t, v, ln->te);
    if (parse_date_prefix(t, v, u, a->written) != 0)
        return 0;
    if (u < ln->te) {
        size_t uv = label_end(t, u, ln->te, "Updated");
        if (uv == 0 || parse_date_prefix(t, uv, ln->te, a->updated) != 0)
            a->updated[0] = '\0';
    }
    return 1;
}

static int parse_kbs(parser *p)
{
    const char *t = p->t;
    article *a = p->a;
    line ln;
    size_t pos = 0;
    art_span prev1 = {0, 0}, prev2 = {0, 0};
    int found = 0;
    for (int seen = 0; seen < KBS_HEAD_LINES && next_line(t, p->len, pos, &ln);) {
        pos = ln.next;
        if (blank(&ln))
            continue;
        seen++;
        if (stamp_line(t, &ln, a)) {
            found = 1;
            break;
        }
        if (skip_chrome(t, &ln))
            continue;
        prev2 = prev1;
        prev1 = span_of(ln.ts, ln.te);
    }
    if (!found)
        return 0;
    a->layout = ART_KBS;
    a->title = prev1;
    if (prev2.len > 0 && prev2.len <= CATEGORY_MAX_BYTES)
        a->category = prev2;

    /* Between the stamps and the body: maybe "Updated:" on a line of its own,
     * the title again (the photo caption) and the photo credit, in any order. */
    int title_again = 0, photo = 0;
    for (int n = 0; n < KBS_AFTER_STAMP_LINES && next_line(t, p->len, pos, &ln);) {
        size_t v;
        if (blank(&ln) || skip_chrome(t, &ln)) {
            pos = ln.next;
            continue;
        }
        n++;
        if (a->updated[0] == '\0' && (v = label_end(t, ln.ts, ln.te, "Updated")) > 0) {
            if (parse_date_prefix(t, v, ln.te, a->updated) != 0)
                a->updated[0] = '\0';
        } else if (!title_again && a->title.len > 0 && ln.te - ln.ts == a->title.len &&
                   memcmp(t + ln.ts, t + a->title.off, a->title.len) == 0) {
            title_again = 1;
        } else if (!photo && (v = label_end(t, ln.ts, ln.te, "Photo")) > 0) {
            size_t e = ln.te;
            trim(t, &v, &e);
            a->photo = span_of(v, e);
            photo = 1;
        } else {
            break;
        }
        pos = ln.next;
    }
    return scan_body(p, pos, BODY_BYLINE) == 0 ? 1 : -1;
}

static int parse_plain(parser *p)
{
    line ln;
    size_t pos = 0;
    while (next_line(p->t, p->len, pos, &ln)) {
        pos = ln.next;
        if (blank(&ln) || skip_chrome(p->t, &ln))
            continue;
        if (end_marker(p->t, &ln))
            return 0;
        p->a->title = span_of(ln.ts, ln.te);
        break;
    }
    return scan_body(p, pos, BODY_BYLINE);
}

int article_parse(const char *text, size_t len, article *out)
{
    article a;
    memset(&a, 0, sizeof a);
    if (!text)
        len = 0;
    parser p = {text ? text : "", len, &a, 0};
    int r = parse_reuters(&p);
    if (r == 0)
        r = parse_mail(&p);
    if (r == 0) {
        /* A failed attempt may have left fields behind. */
        memset(&a, 0, sizeof a);
        r = parse_kbs(&p);
    }
    if (r == 0) {
        memset(&a, 0, sizeof a);
        r = parse_plain(&p) == 0 ? 1 : -1;
    }
    if (r < 0) {
        free(a.paras);
        memset(out, 0, sizeof *out);
        return -1;
    }
    *out = a;
    return 0;
}

void article_free(article *a)
{
    if (!a)
        return;
    free(a->paras);
    memset(a, 0, sizeof *a);
}

/* ---------------------------------------------------------------------- */
/* Binary detection                                                        */
/* ---------------------------------------------------------------------- */

int article_is_binary(const char *data, size_t len)
{
    if (!data || len == 0)
        return 0;
    size_t n = len < BINARY_WINDOW ? len : BINARY_WINDOW;
    if (memchr(data, '\0', n))
        return 1;
    size_t bad = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)data[i];
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || c == 0x7F)
                bad++;
            i++;
            continue;
        }
        /* Decoding past the window keeps a character cut by it valid. */
        uint32_t cp;
        size_t k = utf8_decode(data + i, len - i, &cp);
        if (k == 1)
            bad++; /* a byte >= 0x80 decoded alone is always malformed */
        i += k;
    }
    return bad > n / 10;
}

size_t article_first_nontext(const char *data, size_t len)
{
    for (size_t i = 0; data && i < len;) {
        unsigned char c = (unsigned char)data[i];
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || c == 0x7F)
                return i;
            i++;
            continue;
        }
        uint32_t cp;
        size_t k = utf8_decode(data + i, len - i, &cp);
        if (k == 1)
            return i;
        i += k;
    }
    return len;
}

/* ---------------------------------------------------------------------- */
/* Dates                                                                   */
/* ---------------------------------------------------------------------- */

/* Reads exactly `width` digits at s[*i]; hand-parsed so no width is trusted. */
static int digits(const char *s, size_t n, size_t *i, size_t width, int *v)
{
    if (n - *i < width)
        return -1;
    int x = 0;
    for (size_t k = 0; k < width; k++) {
        if (!ascii_digit((unsigned char)s[*i + k]))
            return -1;
        x = x * 10 + (s[*i + k] - '0');
    }
    *i += width;
    *v = x;
    return 0;
}

/* One or two digits (Reuters writes "8:11pm", "Oct 1"). */
static int digits12(const char *s, size_t n, size_t *i, int *v)
{
    if (digits(s, n, i, 1, v) != 0)
        return -1;
    int w;
    if (*i < n && ascii_digit((unsigned char)s[*i]) && digits(s, n, i, 1, &w) == 0)
        *v = *v * 10 + w;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

static void put2(char *o, int v)
{
    o[0] = (char)('0' + v / 10);
    o[1] = (char)('0' + v % 10);
}

/* Validates and writes "YYYY-MM-DDTHH:MM:SS". */
static int emit(int y, int mo, int d, int h, int mi, int sec, char out[20])
{
    if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h < 0 ||
        h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
        return -1;
    put2(out, y / 100);
    put2(out + 2, y % 100);
    out[4] = '-';
    put2(out + 5, mo);
    out[7] = '-';
    put2(out + 8, d);
    out[10] = 'T';
    put2(out + 11, h);
    out[13] = ':';
    put2(out + 14, mi);
    out[16] = ':';
    put2(out + 17, sec);
    out[19] = '\0';
    return 0;
}

/* "H:MM" or "H:MM:SS" with one- or two-digit hours when loose, two otherwise. */
static int parse_clock(const char *s, size_t n, size_t *i, int loose, int *h, int *mi, int *sec)
{
    if ((loose ? digits12(s, n, i, h) : digits(s, n, i, 2, h)) != 0)
        return -1;
    if (*i >= n || s[*i] != ':')
        return -1;
    (*i)++;
    if (digits(s, n, i, 2, mi) != 0)
        return -1;
    *sec = 0;
    if (*i < n && s[*i] == ':') {
        (*i)++;
        if (digits(s, n, i, 2, sec) != 0)
            return -1;
    }
    return 0;
}

/* "YYYY-MM-DD", "YYYY.MM.DD" or "YYYY/MM/DD", then optionally " HH:MM[:SS]"
 * (or "T" instead of the space). */
static int parse_numeric(const char *s, size_t n, char out[20])
{
    size_t i = 0;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    if (digits(s, n, &i, 4, &y) != 0 || i >= n)
        return -1;
    char sep = s[i];
    if (sep != '-' && sep != '.' && sep != '/')
        return -1;
    i++;
    if (digits(s, n, &i, 2, &mo) != 0 || i >= n || s[i] != sep)
        return -1;
    i++;
    if (digits(s, n, &i, 2, &d) != 0)
        return -1;
    if (i < n) {
        if (s[i] == 'T') {
            i++;
        } else if (s[i] == ' ') {
            while (i < n && s[i] == ' ')
                i++;
        } else {
            return -1;
        }
        if (parse_clock(s, n, &i, 0, &h, &mi, &sec) != 0 || i != n)
            return -1;
    }
    return emit(y, mo, d, h, mi, sec, out);
}

static size_t word_len(const char *s, size_t n, size_t i)
{
    size_t k = i;
    while (k < n && ascii_letter((unsigned char)s[k]))
        k++;
    return k - i;
}

static void skip_blanks(const char *s, size_t n, size_t *i)
{
    while (*i < n && (s[*i] == ' ' || s[*i] == '\t'))
        (*i)++;
}

/* Whether w[0..len) is name or its abbreviation of at least three letters. */
static int abbrev_of(const char *w, size_t len, const char *name)
{
    if (len < 3 || len > strlen(name))
        return 0;
    for (size_t k = 0; k < len; k++)
        if (ascii_lower((unsigned char)w[k]) != name[k])
            return 0;
    return 1;
}

/* 1..12 for an English month name: full, three letters, or "Sept". */
static int month_of(const char *w, size_t len)
{
    static const char *const names[12] = {"january",   "february", "march",    "april",
                                          "may",       "june",     "july",     "august",
                                          "september", "october",  "november", "december"};
    for (int m = 0; m < 12; m++)
        if (abbrev_of(w, len, names[m]) &&
            (len == 3 || len == strlen(names[m]) || (m == 8 && len == 4)))
            return m + 1;
    return 0;
}

static int weekday(const char *w, size_t len)
{
    static const char *const names[7] = {"monday", "tuesday",  "wednesday", "thursday",
                                         "friday", "saturday", "sunday"};
    for (int d = 0; d < 7; d++)
        if (abbrev_of(w, len, names[d]) && (len == 3 || len == strlen(names[d])))
            return 1;
    return 0;
}

/* The REUTERS form "Sat Oct 21, 2006 8:11pm EDT": the weekday and zone are
 * checked for shape only; the time stays the local time as written, since the
 * archive gives US zones that do not map to one offset. */
static int parse_worded(const char *s, size_t n, char out[20])
{
    size_t i = 0, w = word_len(s, n, 0);
    if (weekday(s, w)) {
        i = w;
        if (i < n && s[i] == ',')
            i++;
        skip_blanks(s, n, &i);
        w = word_len(s, n, i);
    }
    int mo = month_of(s + i, w);
    if (mo == 0)
        return -1;
    i += w;
    if (i < n && s[i] == '.')
        i++;
    skip_blanks(s, n, &i);
    int d, y, h = 0, mi = 0, sec = 0;
    if (digits12(s, n, &i, &d) != 0)
        return -1;
    if (i < n && s[i] == ',')
        i++;
    skip_blanks(s, n, &i);
    if (digits(s, n, &i, 4, &y) != 0)
        return -1;
    if (i < n && (s[i] != ' ' && s[i] != '\t'))
        return -1; /* "20061" is not a year */
    skip_blanks(s, n, &i);
    if (i < n && ascii_digit((unsigned char)s[i])) {
        if (parse_clock(s, n, &i, 1, &h, &mi, &sec) != 0)
            return -1;
        skip_blanks(s, n, &i);
        size_t k = word_len(s, n, i);
        int pm = -1;
        if (k == 2 && prefix_ci(s + i, 2, "am") == 2)
            pm = 0;
        else if (k == 2 && prefix_ci(s + i, 2, "pm") == 2)
            pm = 1;
        else if (k == 1 && n - i >= 4 && prefix_ci(s + i, 4, "a.m.") == 4)
            pm = 0, k = 4;
        else if (k == 1 && n - i >= 4 && prefix_ci(s + i, 4, "p.m.") == 4)
            pm = 1, k = 4;
        if (pm >= 0) {
            if (h < 1 || h > 12)
                return -1;
            h = h % 12 + (pm ? 12 : 0);
            i += k;
            skip_blanks(s, n, &i);
        }
    }
    size_t z = word_len(s, n, i);
    if (z > 0 && z <= 5)
        i += z; /* a time zone such as EDT */
    if (i != n)
        return -1;
    return emit(y, mo, d, h, mi, sec, out);
}

/* Accepted: "YYYY-MM-DD[ HH:MM[:SS]]" (also with '.' or '/' between the date
 * parts, or 'T' before the time) and the worded REUTERS form. A worded time
 * is kept as the local time the page printed: "Sat Oct 21, 2006 8:11pm EDT"
 * gives "2006-10-21T20:11:00", not UTC, so it reads the same as the page and
 * sorts with the KBS stamps, which carry no zone either. */
int article_parse_date(const char *s, size_t len, char out[20])
{
    if (!s || !out)
        return -1;
    while (len > 0 && ascii_space((unsigned char)s[0])) {
        s++;
        len--;
    }
    while (len > 0 && ascii_space((unsigned char)s[len - 1]))
        len--;
    char tmp[20];
    if (parse_numeric(s, len, tmp) != 0 && parse_worded(s, len, tmp) != 0)
        return -1;
    memcpy(out, tmp, sizeof tmp);
    return 0;
}
