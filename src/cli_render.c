/* cli_render.c - search hits as text for people or JSON for programs. */
#include "cli.h"

#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SGR_TITLE "\033[1m"
#define SGR_MATCH "\033[1;33m"
#define SGR_RESET "\033[0m"

static const char REPLACEMENT[] = "\xEF\xBF\xBD"; /* U+FFFD */

/*
 * Length of the valid UTF-8 sequence at s[0..len) and its code point, or 0
 * when the bytes there are malformed, overlong, a surrogate or truncated.
 * The program may use only kbsearch.h, so it has its own small decoder.
 */
static size_t utf8_seq(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char b = s[0];
    size_t n;
    uint32_t c, min;
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    if (b >= 0xC2 && b <= 0xDF) {
        n = 2;
        c = b & 0x1Fu;
        min = 0x80;
    } else if (b >= 0xE0 && b <= 0xEF) {
        n = 3;
        c = b & 0x0Fu;
        min = 0x800;
    } else if (b >= 0xF0 && b <= 0xF4) {
        n = 4;
        c = b & 0x07u;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3Fu);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return n;
}

/* Columns a code point takes on a terminal: East Asian wide characters take
 * two, combining marks none. An approximation of wcwidth() that does not
 * depend on the locale. */
static unsigned cp_width(uint32_t c)
{
    if ((c >= 0x0300 && c <= 0x036F) || (c >= 0x200B && c <= 0x200F))
        return 0;
    if ((c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) ||
        (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
        (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
        (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1FAFF) ||
        (c >= 0x20000 && c <= 0x3FFFD))
        return 2;
    return 1;
}

/* Writes one character of s at *i for a person and advances *i. */
static void put_char(FILE *f, const char *s, size_t len, size_t *i)
{
    uint32_t c;
    size_t n = utf8_seq((const unsigned char *)s + *i, len - *i, &c);
    if (n == 0) {
        fputs(REPLACEMENT, f);
        *i += 1;
        return;
    }
    if (c == '\t' || c == '\n' || c == '\r')
        fputc(' ', f);
    else if (c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F))
        fputs(REPLACEMENT, f); /* ESC, CSI and friends could drive the terminal */
    else
        fwrite(s + *i, 1, n, f);
    *i += n;
}

void cli_put_text(FILE *f, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len)
        put_char(f, s, len, &i);
}

static unsigned text_width(const char *s, size_t len)
{
    unsigned w = 0;
    size_t i = 0;
    while (i < len) {
        uint32_t c;
        size_t n = utf8_seq((const unsigned char *)s + i, len - i, &c);
        w += n ? cp_width(c) : 1;
        i += n ? n : 1;
    }
    return w;
}

char *cli_utf8_repair(const char *s, size_t len)
{
    size_t bad = 0, i = 0;
    uint32_t c;
    while (i < len) {
        size_t n = utf8_seq((const unsigned char *)s + i, len - i, &c);
        bad += n == 0;
        i += n ? n : 1;
    }
    char *out = malloc(len + 2 * bad + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (i = 0; i < len;) {
        size_t n = utf8_seq((const unsigned char *)s + i, len - i, &c);
        if (n == 0) {
            memcpy(out + o, REPLACEMENT, 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        }
    }
    out[o] = '\0';
    return out;
}

const char *cli_display_path(const char *path, const char *cwd)
{
    if (!cwd || !*cwd || path[0] != '/')
        return path;
    size_t n = strlen(cwd);
    if (n == 1) /* the root: every absolute path is under it */
        return path[1] ? path + 1 : path;
    if (strncmp(path, cwd, n) == 0 && path[n] == '/' && path[n + 1] != '\0')
        return path + n + 1;
    return path;
}

void cli_format_size(uint64_t bytes, char *out, size_t cap)
{
    static const char *const units[] = {"kB", "MB", "GB", "TB"};
    if (bytes < 1000) {
        snprintf(out, cap, "%u B", (unsigned)bytes);
        return;
    }
    double v = (double)bytes / 1000.0;
    size_t u = 0;
    while (v >= 1000.0 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1000.0;
        u++;
    }
    snprintf(out, cap, v < 10.0 ? "%.2f %s" : v < 100.0 ? "%.1f %s" : "%.0f %s", v, units[u]);
}

/* Writes the snippet with its spans highlighted, wrapping at spaces to
 * r->width columns with `indent` spaces before each line (the first line's
 * indent is already written). The library folds whitespace runs to single
 * spaces, so a space is where a line may break. */
static void put_snippet(const cli_render *r, const kbs_hit *hit, unsigned indent)
{
    /* Colour wins over markers: --markers is for output without colour. */
    const char *open = r->color ? SGR_MATCH : r->markers ? "[" : NULL;
    const char *close = r->color ? SGR_RESET : "]";
    const char *s = hit->snippet;
    size_t len = strlen(s);
    size_t k = 0;    /* the next span to open or close */
    int in_span = 0; /* between a span's start and its end */
    unsigned col = indent;
    size_t i = 0;
    while (i < len) {
        size_t word_end = i;
        while (word_end < len && s[word_end] != ' ')
            word_end++;
        if (i > 0) {
            /* s[i - 1] is the space before this word: break the line there
             * if the word would not fit. */
            unsigned w = text_width(s + i, word_end - i);
            if (r->width && col > indent && col + 1 + w > r->width) {
                if (in_span && r->color)
                    fputs(SGR_RESET, r->out);
                fprintf(r->out, "\n%*s", (int)indent, "");
                if (in_span && r->color)
                    fputs(SGR_MATCH, r->out);
                col = indent;
            } else {
                fputc(' ', r->out);
                col++;
            }
        }
        while (i < word_end) {
            if (open) {
                while (k < hit->nspans && !in_span && i >= hit->spans[k].start) {
                    if (i < (size_t)hit->spans[k].start + hit->spans[k].len) {
                        fputs(open, r->out);
                        col += !r->color;
                        in_span = 1;
                    } else {
                        k++; /* an empty or out-of-order span: nothing to show */
                    }
                }
            }
            size_t before = i;
            put_char(r->out, s, len, &i);
            col += text_width(s + before, i - before);
            if (open && in_span && i >= (size_t)hit->spans[k].start + hit->spans[k].len) {
                fputs(close, r->out);
                col += !r->color;
                in_span = 0;
                k++;
            }
        }
        if (i < len) {
            /* A span over several words (a phrase) goes on across the space. */
            if (open && in_span && i >= (size_t)hit->spans[k].start + hit->spans[k].len) {
                fputs(close, r->out);
                in_span = 0;
                k++;
            }
            i++; /* the space, written before the next word */
        }
    }
    if (in_span && open)
        fputs(close, r->out);
    fputc('\n', r->out);
}

void cli_render_hit(const cli_render *r, const kbs_hit *hit)
{
    FILE *f = r->out;
    unsigned indent = r->rank_width + 2;
    const char *sep = "";

    fprintf(f, "%*u. ", (int)r->rank_width, (unsigned)hit->rank);
    if (r->color)
        fputs(SGR_TITLE, f);
    if (*hit->title)
        cli_put_text(f, hit->title, strlen(hit->title));
    else
        fputs("(untitled)", f);
    if (r->color)
        fputs(SGR_RESET, f);
    /* The other versions of the story, not shown (kbsearch versions ID). */
    if (hit->versions)
        fprintf(f, "  +%u version%s", (unsigned)hit->versions, hit->versions == 1 ? "" : "s");
    fputc('\n', f);

    fprintf(f, "%*s", (int)indent, "");
    if (*hit->category) {
        cli_put_text(f, hit->category, strlen(hit->category));
        sep = " · ";
    }
    if (*hit->written) {
        fputs(sep, f);
        cli_put_text(f, hit->written, strnlen(hit->written, 10)); /* the date only */
        sep = " · ";
    }
    const char *path = cli_display_path(hit->path, r->cwd);
    fputs(sep, f);
    cli_put_text(f, path, strlen(path));
    fprintf(f, " · id %u\n", (unsigned)hit->id);

    if (*hit->snippet) {
        fprintf(f, "%*s", (int)indent, "");
        put_snippet(r, hit, indent);
    }
}

/* --- HTML ------------------------------------------------------------------ */

static void html_char(FILE *f, const char *s, size_t len, size_t *i)
{
    switch (s[*i]) {
    case '&':
        fputs("&amp;", f);
        break;
    case '<':
        fputs("&lt;", f);
        break;
    case '>':
        fputs("&gt;", f);
        break;
    case '"':
        fputs("&quot;", f);
        break;
    case '\'':
        fputs("&#39;", f);
        break;
    default:
        put_char(f, s, len, i);
        return;
    }
    *i += 1;
}

void cli_put_html(FILE *f, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len)
        html_char(f, s, len, &i);
}

void cli_render_html_begin(FILE *out, unsigned first_rank)
{
    fprintf(out, "<ol class=\"kbs-results\" start=\"%u\">\n", first_rank);
}

void cli_render_html_end(FILE *out)
{
    fputs("</ol>\n", out);
}

/* The snippet with <mark> around each span; spans are byte ranges in order,
 * and one that is out of order or past the end is left out. */
static void html_snippet(FILE *f, const kbs_hit *hit)
{
    const char *s = hit->snippet;
    size_t len = strlen(s), i = 0;
    for (size_t k = 0; k < hit->nspans; k++) {
        size_t a = hit->spans[k].start, b = a + hit->spans[k].len;
        if (a < i || b > len || a == b)
            continue;
        while (i < a)
            html_char(f, s, a, &i);
        fputs("<mark>", f);
        while (i < b)
            html_char(f, s, b, &i);
        fputs("</mark>", f);
    }
    while (i < len)
        html_char(f, s, len, &i);
}

void cli_render_hit_html(const cli_render *r, const kbs_hit *hit, const char *explain)
{
    FILE *f = r->out;
    fprintf(f, "<li class=\"kbs-hit\" value=\"%u\">\n<div class=\"kbs-title\">",
            (unsigned)hit->rank);
    if (*hit->title)
        cli_put_html(f, hit->title, strlen(hit->title));
    else
        fputs("(untitled)", f);
    fputs("</div>\n<div class=\"kbs-meta\">", f);
    if (*hit->category) {
        fputs("<span class=\"kbs-category\">", f);
        cli_put_html(f, hit->category, strlen(hit->category));
        fputs("</span> · ", f);
    }
    if (*hit->written) {
        fputs("<time datetime=\"", f);
        cli_put_html(f, hit->written, strlen(hit->written));
        fputs("\">", f);
        cli_put_html(f, hit->written, strnlen(hit->written, 10));
        fputs("</time> · ", f);
    }
    const char *path = cli_display_path(hit->path, r->cwd);
    fputs("<span class=\"kbs-path\">", f);
    cli_put_html(f, path, strlen(path));
    fprintf(f, "</span> · id %u</div>\n", (unsigned)hit->id);
    if (*hit->snippet) {
        fputs(hit->snippet_is_lead ? "<p class=\"kbs-snippet kbs-lead\">"
                                   : "<p class=\"kbs-snippet\">",
              f);
        html_snippet(f, hit);
        fputs("</p>\n", f);
    }
    if (explain && *explain) {
        fputs("<pre class=\"kbs-explain\">", f);
        while (*explain) {
            size_t n = strcspn(explain, "\n");
            cli_put_html(f, explain, n);
            explain += n;
            if (*explain == '\n') {
                fputc('\n', f);
                explain++;
            }
        }
        fputs("</pre>\n", f);
    }
    fputs("</li>\n", f);
}

/* A JSON string of text that may hold invalid UTF-8 (file names can), which
 * would make the whole line invalid JSON. */
static json_object *json_text(const char *s)
{
    char *fixed = cli_utf8_repair(s, strlen(s));
    if (!fixed)
        return NULL;
    json_object *o = json_object_new_string(fixed);
    free(fixed);
    return o;
}

static int add(json_object *obj, const char *key, json_object *val)
{
    if (!val)
        return -1;
    if (json_object_object_add(obj, key, val) != 0) {
        json_object_put(val);
        return -1;
    }
    return 0;
}

static int append(json_object *array, json_object *val)
{
    if (!val)
        return -1;
    if (json_object_array_add(array, val) != 0) {
        json_object_put(val);
        return -1;
    }
    return 0;
}

static json_object *span_pair(const kbs_span *span)
{
    json_object *pair = json_object_new_array_ext(2);
    if (pair && (append(pair, json_object_new_int64(span->start)) ||
                 append(pair, json_object_new_int64(span->len)))) {
        json_object_put(pair);
        pair = NULL;
    }
    return pair;
}

/* Puts `obj` on one line of `out`; 0, or -1 when out of memory. */
static int put_json_line(FILE *out, json_object *obj)
{
    const char *line = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE);
    if (!line)
        return -1;
    fputs(line, out);
    fputc('\n', out);
    return 0;
}

/* The lines of `text` as an array of strings, so that jq users can take them
 * one by one without splitting. */
static json_object *json_lines(const char *text)
{
    json_object *array = json_object_new_array();
    while (array && *text) {
        size_t n = strcspn(text, "\n");
        char *line = cli_utf8_repair(text, n);
        json_object *s = line ? json_object_new_string(line) : NULL;
        free(line);
        if (append(array, s) != 0) {
            json_object_put(array);
            return NULL;
        }
        text += n + (text[n] == '\n');
    }
    return array;
}

int cli_render_hit_json(FILE *out, const kbs_results *res, size_t i, int explain)
{
    kbs_hit h;
    if (kbs_results_get(res, i, &h) != KBS_OK)
        return 0; /* no such hit: nothing to print */
    const kbs_hit *hit = &h;
    const char *suggestion = kbs_results_suggestion(res);
    json_object *obj = json_object_new_object();
    json_object *spans = json_object_new_array();
    char score[32];
    int bad = !obj || !spans;

    /* Six significant digits say how good a hit is; the seventeen json-c
     * would print by default only look precise. JSON has no NaN. */
    snprintf(score, sizeof score, "%.6g", isfinite(hit->score) ? hit->score : 0.0);
    for (size_t k = 0; !bad && k < hit->nspans; k++)
        bad = append(spans, span_pair(&hit->spans[k]));
    bad = bad || add(obj, "id", json_object_new_int64(hit->id)) ||
          add(obj, "rank", json_object_new_int64(hit->rank)) ||
          add(obj, "path", json_text(hit->path)) || add(obj, "title", json_text(hit->title)) ||
          add(obj, "category", json_text(hit->category)) ||
          add(obj, "written", json_text(hit->written)) ||
          add(obj, "updated", json_text(hit->updated)) ||
          add(obj, "score", json_object_new_double_s(hit->score, score)) ||
          add(obj, "snippet", json_text(hit->snippet));
    if (!bad) {
        bad = add(obj, "highlights", spans);
        spans = NULL; /* obj owns it now, or add() freed it */
    }
    /* Only when set, like "suggestion": most snippets are passages. */
    if (!bad && hit->snippet_is_lead)
        bad = add(obj, "lead", json_object_new_boolean(1));
    bad =
        bad || add(obj, "match", json_object_new_string(kbs_results_fallback(res) ? "any" : "all"));
    /* Only when there are some, as for a suggestion. */
    if (!bad && hit->versions)
        bad = add(obj, "versions", json_object_new_int64(hit->versions));
    /* Only when there is one, so that the common line stays as it was. */
    if (!bad && suggestion)
        bad = add(obj, "suggestion", json_text(suggestion));
    if (!bad && explain)
        bad = add(obj, "query", json_text(kbs_results_query(res))) ||
              add(obj, "explain", json_lines(kbs_results_explain(res, i)));
    if (!bad)
        bad = put_json_line(out, obj);
    json_object_put(spans);
    json_object_put(obj);
    return bad ? -1 : 0;
}

int cli_render_total_json(FILE *out, uint64_t total, const char *suggestion)
{
    json_object *obj = json_object_new_object();
    int bad = !obj || add(obj, "total", json_object_new_uint64(total)) ||
              (suggestion && add(obj, "suggestion", json_text(suggestion)));
    if (!bad)
        bad = put_json_line(out, obj);
    json_object_put(obj);
    return bad ? -1 : 0;
}

void cli_render_lines(FILE *out, const char *text, unsigned indent)
{
    while (*text) {
        size_t n = strcspn(text, "\n");
        fprintf(out, "%*s", (int)indent, "");
        cli_put_text(out, text, n);
        fputc('\n', out);
        text += n + (text[n] == '\n');
    }
}

/* The start of the character that ends just before byte `i` (i > 0). */
static size_t prev_char(const char *s, size_t i)
{
    size_t p = i - 1;
    while (p > 0 && i - p < 4 && ((unsigned char)s[p] & 0xC0) == 0x80)
        p--;
    return p;
}

/* The end of the character that starts at byte `i` (i < len). */
static size_t next_char(const char *s, size_t len, size_t i)
{
    uint32_t c;
    size_t n = utf8_seq((const unsigned char *)s + i, len - i, &c);
    return i + (n ? n : 1);
}

void cli_render_caret(FILE *out, const char *q, size_t len, size_t off)
{
    /* The query and the caret fit 80 columns after the two spaces; the caret
     * keeps CONTEXT columns of the query before it. */
    enum { COLS = 76, CONTEXT = 30 };
    static const char ELLIPSIS[] = "\xE2\x80\xA6";
    if (off > len)
        off = len;
    while (off > 0 && off < len && ((unsigned char)q[off] & 0xC0) == 0x80)
        off--; /* inside a character: point at its start */
    size_t start = 0, end = len;
    if (text_width(q, len) > COLS) {
        unsigned w = 0;
        start = off;
        while (start > 0 && w < CONTEXT) {
            size_t p = prev_char(q, start);
            w += text_width(q + p, start - p);
            start = p;
        }
        /* Room for the ellipses on either side. */
        unsigned room = COLS - (start > 0) - 1;
        w = 0;
        end = start;
        while (end < len) {
            size_t e = next_char(q, len, end);
            unsigned cw = text_width(q + end, e - end);
            if (w + cw > room && end > off)
                break;
            w += cw;
            end = e;
        }
    }
    fputs("  ", out);
    if (start > 0)
        fputs(ELLIPSIS, out);
    cli_put_text(out, q + start, end - start);
    if (end < len)
        fputs(ELLIPSIS, out);
    fprintf(out, "\n  %*s^\n", (int)(text_width(q + start, off - start) + (start > 0)), "");
}
