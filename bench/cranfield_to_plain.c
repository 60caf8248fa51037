/*
 * cranfield_to_plain.c - bench/cranfield-to-plain: turns the Cranfield 1400
 * collection (SMART layout) into the plain layout bench/eval reads:
 *
 *   DEST/docs/<docid>  the title on the first line, a blank line, the text
 *   DEST/queries.tsv   qid<TAB>query text, one query a line
 *   DEST/qrels         TREC qrels: qid 0 docid relevance
 *
 *   cranfield-to-plain SRC DEST
 *
 * SRC holds cran.all.1400, cran.qry and cranqrel (shared/corpus/SOURCES.md).
 * The choices that decide what the engines see:
 *  - A document's title is .T and its text .W, the abstract. The abstract
 *    opens with the title again; that is the collection as published, so it
 *    stays. Authors (.A) and the source (.B) are left out: no query asks for
 *    them and they would only add noise terms.
 *  - Documents with neither title nor text (471 and 995) are left out.
 *  - The judgments name a query by its position in cran.qry (1..225), not
 *    by its .I number (which skips: 1, 2, 4, 8, ...), so the qid written is
 *    the position.
 *  - cranqrel's codes 1..4 become the graded relevance 5 - code (4 for a
 *    complete answer .. 1 for minimal interest); -1, "not relevant", becomes
 *    0, kept as a judgment.
 */
#include "kbsearch.h"
#include "smart.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("cranfield-to-plain: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p)
        die("out of memory");
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open %s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *d = malloc(cap);
    while (d) {
        n += fread(d + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        cap *= 2;
        char *nd = realloc(d, cap);
        if (!nd)
            free(d);
        d = nd;
    }
    if (!d)
        die("out of memory reading %s", path);
    if (ferror(f))
        die("cannot read %s", path);
    fclose(f);
    d[n] = '\0';
    *len = n;
    return d;
}

static void parse_smart(const char *path, smart_file *out)
{
    size_t len;
    char *data = read_all(path, &len);
    char err[256];
    if (smart_parse(data, len, out, err, sizeof err) != KBS_OK)
        die("%s: %s", path, err);
    free(data);
}

/* A decimal integer that fits in a long, optionally negative: the whole of
 * s[0..len). Hand-written because strtol's whitespace rules follow the locale. */
static int parse_long(const char *s, size_t len, long *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < len && s[i] == '-')
        neg = 1, i++;
    if (i == len || len - i > 9)
        return -1;
    long v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = neg ? -v : v;
    return 0;
}

static FILE *create(const char *path)
{
    FILE *f = fopen(path, "wx");
    if (!f)
        die("cannot create %s: %s", path, strerror(errno));
    return f;
}

static void finish(FILE *f, const char *path)
{
    if (ferror(f) || fclose(f) != 0)
        die("cannot write %s", path);
}

/* Trailing white space of each line goes; the lines themselves stay as the
 * collection has them. */
static void write_text(FILE *f, const char *s)
{
    while (*s) {
        const char *e = strchr(s, '\n');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        size_t m = n;
        while (m && (s[m - 1] == ' ' || s[m - 1] == '\t'))
            m--;
        fwrite(s, 1, m, f);
        fputc('\n', f);
        s += n + (e ? 1 : 0);
    }
}

/* Writes the documents. *present_out (indexed by docid, *max_out + 1
 * entries) gets bit 0 for a document written, bit 1 for one seen. */
static size_t convert_docs(const char *src, const char *dest, unsigned char **present_out,
                           long *max_out)
{
    char *path = join(src, "cran.all.1400");
    smart_file f;
    parse_smart(path, &f);
    long max_docid = 0;
    for (size_t i = 0; i < f.n; i++) {
        long id;
        if (parse_long(f.recs[i].id, strlen(f.recs[i].id), &id) != 0 || id < 1)
            die("%s:%zu: document id '%s' is not a positive number", path, f.recs[i].line,
                f.recs[i].id);
        if (id > max_docid)
            max_docid = id;
    }
    unsigned char *present = calloc((size_t)max_docid + 1, 1);
    if (!present)
        die("out of memory");
    char *docs = join(dest, "docs");
    if (mkdir(docs, 0777) != 0)
        die("cannot create %s: %s (it must not exist yet)", docs, strerror(errno));
    size_t written = 0;
    for (size_t i = 0; i < f.n; i++) {
        const smart_record *r = &f.recs[i];
        long id = 0;
        parse_long(r->id, strlen(r->id), &id);
        if (present[id] & 2)
            die("%s:%zu: document %ld appears twice", path, r->line, id);
        present[id] |= 2;
        char *title = smart_one_line(smart_field(r, 'T'));
        char *text = smart_one_line(smart_field(r, 'W'));
        if (!title || !text)
            die("out of memory");
        int empty = !title[0] && !text[0];
        free(text);
        if (empty) {
            printf("  document %ld has neither title nor text: left out\n", id);
            free(title);
            continue;
        }
        char *name = join(docs, r->id);
        FILE *out = create(name);
        fprintf(out, "%s\n\n", title);
        write_text(out, smart_field(r, 'W') ? smart_field(r, 'W') : "");
        finish(out, name);
        free(name);
        free(title);
        present[id] |= 1;
        written++;
    }
    smart_free(&f);
    free(docs);
    free(path);
    *present_out = present;
    *max_out = max_docid;
    return written;
}

static size_t convert_queries(const char *src, const char *dest)
{
    char *path = join(src, "cran.qry");
    smart_file f;
    parse_smart(path, &f);
    char *tsv = join(dest, "queries.tsv");
    FILE *out = create(tsv);
    for (size_t i = 0; i < f.n; i++) {
        char *q = smart_one_line(smart_field(&f.recs[i], 'W'));
        if (!q)
            die("out of memory");
        if (!q[0])
            die("%s:%zu: query %s has no text", path, f.recs[i].line, f.recs[i].id);
        fprintf(out, "%zu\t%s\n", i + 1, q);
        free(q);
    }
    finish(out, tsv);
    size_t n = f.n;
    smart_free(&f);
    free(tsv);
    free(path);
    return n;
}

static void convert_qrels(const char *src, const char *dest, const unsigned char *present,
                          long max_docid, size_t nqueries)
{
    char *path = join(src, "cranqrel");
    size_t len;
    char *data = read_all(path, &len);
    char *qrels = join(dest, "qrels");
    FILE *out = create(qrels);
    size_t counts[5] = {0}, lineno = 0, missing = 0;
    for (char *s = data; *s;) {
        char *e = strchr(s, '\n');
        if (e)
            *e = '\0';
        lineno++;
        long v[3];
        int nv = 0;
        for (char *p = s; *p && nv <= 3;) {
            while (*p == ' ' || *p == '\t' || *p == '\r')
                p++;
            char *w = p;
            while (*p && *p != ' ' && *p != '\t' && *p != '\r')
                p++;
            if (p == w)
                break;
            if (nv == 3 || parse_long(w, (size_t)(p - w), &v[nv]) != 0)
                die("%s:%zu: expected three numbers: qid docid code", path, lineno);
            nv++;
        }
        if (nv != 0) {
            if (nv != 3)
                die("%s:%zu: expected three numbers: qid docid code", path, lineno);
            if (v[0] < 1 || (size_t)v[0] > nqueries)
                die("%s:%zu: query %ld: cran.qry has %zu queries", path, lineno, v[0], nqueries);
            if (v[1] < 1 || v[1] > max_docid)
                die("%s:%zu: no document %ld", path, lineno, v[1]);
            if (v[2] != -1 && (v[2] < 1 || v[2] > 4))
                die("%s:%zu: unknown relevance code %ld", path, lineno, v[2]);
            long gain = v[2] == -1 ? 0 : 5 - v[2];
            counts[gain]++;
            if (!(present[v[1]] & 1))
                missing++;
            fprintf(out, "%ld 0 %ld %ld\n", v[0], v[1], gain);
        }
        if (!e)
            break;
        s = e + 1;
    }
    finish(out, qrels);
    printf("  judgments: %zu relevant (gain 4: %zu, 3: %zu, 2: %zu, 1: %zu), %zu not relevant\n",
           counts[4] + counts[3] + counts[2] + counts[1], counts[4], counts[3], counts[2],
           counts[1], counts[0]);
    if (missing)
        printf("  note: %zu judgments name a document that was left out (no engine can find it)\n",
               missing);
    free(qrels);
    free(data);
    free(path);
}

int main(int argc, char **argv)
{
    if (argc != 3 || argv[1][0] == '-') {
        fprintf(stderr, "usage: cranfield-to-plain SRC DEST\n"
                        "  SRC   the folder with cran.all.1400, cran.qry and cranqrel\n"
                        "  DEST  where docs/, queries.tsv and qrels are written (docs/ must not "
                        "exist yet)\n");
        return 2;
    }
    const char *src = argv[1], *dest = argv[2];
    if (mkdir(dest, 0777) != 0 && errno != EEXIST)
        die("cannot create %s: %s", dest, strerror(errno));
    printf("cranfield-to-plain: %s -> %s\n", src, dest);
    unsigned char *present = NULL;
    long max_docid = 0;
    size_t ndocs = convert_docs(src, dest, &present, &max_docid);
    printf("  documents: %zu\n", ndocs);
    size_t nq = convert_queries(src, dest);
    printf("  queries: %zu (qid = position in cran.qry)\n", nq);
    convert_qrels(src, dest, present, max_docid, nq);
    free(present);
    return 0;
}
