/* check.c - kbs_db_check(): verifies that index, store and running totals
 * agree, article by article, and runs Xapian's own check of its tables. */
#include "db_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index_run.h"
#include "schema.h"

/* Problems listed in the message; the rest are only counted. */
#define MAX_LISTED 40

struct checker {
    kbs_db *db;
    kbs_check_report *rep;
    buf msg; /* the listed problems, one per line */
    uint64_t listed;
    int dropped; /* some problems are counted but not listed */
    int nomem;
};

static void problem(struct checker *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct checker *c, const char *fmt, ...)
{
    c->rep->problems++;
    if (c->listed >= MAX_LISTED) {
        c->dropped = 1;
        return;
    }
    char line[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    buf_append_str(&c->msg, line);
    buf_append_char(&c->msg, '\n');
    c->listed++;
}

/* ---- the articles ------------------------------------------------------- */

struct docids {
    uint32_t *v;
    size_t n, cap;
    int oom;
};

static int docid_cb(void *ctx, uint32_t docid)
{
    struct docids *d = ctx;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 1024;
        uint32_t *v = realloc(d->v, cap * sizeof *v);
        if (!v) {
            d->oom = 1;
            return 1;
        }
        d->v = v;
        d->cap = cap;
    }
    d->v[d->n++] = docid;
    return 0;
}

struct idterms {
    size_t n;
    buf first;           /* the first id term of the document */
    uint32_t first_freq; /* its frequency in the whole index */
};

static int idterm_cb(void *ctx, const char *term, size_t len, uint32_t freq)
{
    struct idterms *t = ctx;
    if (t->n++ == 0) {
        buf_append(&t->first, term, len);
        t->first_freq = freq;
    }
    return 0;
}

/* The article's path for messages: from its display fields, else "?". */
static const char *label(const char *path)
{
    return path && *path ? path : "(no path)";
}

/* Checks one article; adds its sizes to the sums. */
static void check_doc(struct checker *c, uint32_t docid, uint64_t *text_sum, uint64_t *store_sum)
{
    kbs_db *db = c->db;
    char *meta = NULL, *rec = NULL;
    size_t mlen = 0, rlen = 0;
    const char *fields[MF_COUNT] = {NULL};
    buf want = BUF_INIT, orig = BUF_INIT;
    struct idterms ids = {0, BUF_INIT, 0};

    int st = xs_db_get_value(db->xdb, docid, SLOT_META, &meta, &mlen);
    if (st == KBS_ENOMEM)
        goto oom;
    if (st != KBS_OK) {
        problem(c, "article %u: cannot read its fields: %s", docid, xs_db_errmsg(db->xdb));
        goto done;
    }
    size_t seps = 0;
    for (size_t i = 0; i < mlen; i++)
        seps += meta[i] == FIELD_SEP;
    db_split_meta(meta, mlen, fields);
    if (seps != MF_COUNT - 1 || !*fields[MF_PATH])
        problem(c, "article %u (%s): its display fields are malformed (%zu of %d separators)",
                docid, label(fields[MF_PATH]), seps, MF_COUNT - 1);
    const char *path = label(fields[MF_PATH]);

    /* The id term is how an article is found again to be updated or
     * removed: without it, or shared, re-indexing would duplicate it. */
    st = xs_db_doc_terms(db->xdb, docid, PFX_ID, strlen(PFX_ID), idterm_cb, &ids);
    if (st == KBS_ENOMEM || buf_failed(&ids.first))
        goto oom;
    if (st != KBS_OK)
        problem(c, "article %u (%s): cannot read its terms: %s", docid, path,
                xs_db_errmsg(db->xdb));
    else if (ids.n == 0)
        problem(c, "article %u (%s): has no id term, so re-indexing cannot find it", docid, path);
    else if (ids.n > 1)
        problem(c, "article %u (%s): has %zu id terms instead of one", docid, path, ids.n);
    if (st == KBS_OK && ids.n >= 1) {
        uint32_t found = 0;
        int fst = xs_db_find(db->xdb, ids.first.data, ids.first.len, &found);
        if (fst == KBS_ENOMEM)
            goto oom;
        if (fst == KBS_ENOTFOUND)
            problem(c, "article %u (%s): its id term finds no article", docid, path);
        else if (fst != KBS_OK)
            problem(c, "article %u (%s): cannot look up its id term: %s", docid, path,
                    xs_db_errmsg(db->xdb));
        else if (found != docid)
            problem(c, "article %u (%s): its id term finds article %u instead", docid, path, found);
        if (fst == KBS_OK && ids.first_freq != 1)
            problem(c, "article %u (%s): its id term is shared by %u articles", docid, path,
                    ids.first_freq);
        int kst = db_article_key(db, docid, &want);
        if (kst == KBS_ENOMEM)
            goto oom;
        if (kst == KBS_OK && want.len) {
            db_id_term(want.data, want.len, &want);
            if (buf_failed(&want))
                goto oom;
            if (want.len != ids.first.len || memcmp(want.data, ids.first.data, want.len) != 0)
                problem(c, "article %u (%s): its id term does not match its path", docid, path);
        }
    }

    st = xs_db_get_data(db->xdb, docid, &rec, &rlen);
    if (st == KBS_ENOMEM)
        goto oom;
    if (st != KBS_OK) {
        problem(c, "article %u (%s): cannot read its stored original: %s", docid, path,
                xs_db_errmsg(db->xdb));
        goto done;
    }
    if (rlen == 0) {
        problem(c, "article %u (%s): has no stored original", docid, path);
        goto done;
    }
    int r = docstore_unpack(db->store, rec, rlen, &orig);
    if (r == -1)
        goto oom;
    if (r != 0) {
        problem(c,
                "article %u (%s): its stored original is damaged (bad header, frame, length or "
                "checksum)",
                docid, path);
        goto done;
    }
    /* The change-detection state rides in the record's tag (index.c); the
     * content's hash is the record's own, which unpacking verified. */
    uint64_t sv[2] = {0, 0};
    const char *tag = NULL;
    size_t tlen = 0;
    docstore_tag(rec, rlen, &tag, &tlen); /* cannot fail: unpack read the same header */
    if (state_parse(tag, tlen, sv) != 0) {
        char hex[2 * 16 + 1] = "";
        for (size_t i = 0; i < tlen && i < 16; i++)
            snprintf(hex + 2 * i, 3, "%02x", (unsigned char)tag[i]);
        problem(c, "article %u (%s): its change-detection state (%zu bytes: %s) is malformed",
                docid, path, tlen, hex);
    } else if (sv[0] != orig.len)
        problem(c,
                "article %u (%s): its stored original (%zu bytes) is not the version its state "
                "records (%llu bytes)",
                docid, path, orig.len, (unsigned long long)sv[0]);
    c->rep->text_bytes += orig.len;
    *text_sum += orig.len;
    *store_sum += db_store_len(rec, rlen);
    goto done;

oom:
    c->nomem = 1;
done:
    free(meta);
    free(rec);
    buf_free(&want);
    buf_free(&orig);
    buf_free(&ids.first);
}

/* ---- the id terms, from the other side ------------------------------------ */

struct idscan {
    struct checker *c;
    uint64_t n;
};

/* Every record must belong to an article (ids, ascending): a record that
 * outlived its article is space that nothing reads. Ids are never given
 * twice and a record is only written with its article, so only the ids up
 * to the last one given that no article holds (deleted ones) are looked
 * up. An article without its record is check_doc's. */
static void check_records(struct checker *c, const struct docids *ids)
{
    uint32_t last = 0;
    if (xs_db_last_docid(c->db->xdb, &last) != KBS_OK) {
        problem(c, "cannot read the last article id: %s", xs_db_errmsg(c->db->xdb));
        return;
    }
    size_t j = 0;
    for (uint32_t id = 1; id != 0 && id <= last; id++) {
        if (j < ids->n && ids->v[j] == id) {
            j++;
            continue;
        }
        int has = 0;
        int st = xs_db_has_record(c->db->xdb, id, &has);
        if (st == KBS_ENOMEM) {
            c->nomem = 1;
            return;
        }
        if (st != KBS_OK) {
            problem(c, "cannot look for the stored original of article %u: %s", id,
                    xs_db_errmsg(c->db->xdb));
            return;
        }
        if (has)
            problem(c, "a stored original is kept for article %u, which the index does not hold",
                    id);
    }
}

static int idscan_cb(void *ctx, const char *term, size_t len, uint32_t freq)
{
    struct idscan *s = ctx;
    s->n++;
    if (freq != 1)
        problem(s->c, "the id term of %.*s names %u articles instead of one",
                (int)(len > 300 ? 300 : len - 1), term + 1, freq);
    return 0;
}

/* ---- the whole index -------------------------------------------------------- */

static void check_totals(struct checker *c, uint64_t text_sum, uint64_t store_sum)
{
    kbs_db *db = c->db;
    static const struct {
        const char *key, *what;
    } totals[] = {{META_TEXT_BYTES, "text"}, {META_STORE_BYTES, "store"}};
    for (size_t i = 0; i < sizeof totals / sizeof *totals; i++) {
        uint64_t v = 0;
        if (db_meta_u64(db, totals[i].key, &v) != KBS_OK) {
            problem(c, "cannot read the running %s total: %s", totals[i].what, db->errmsg);
            continue;
        }
        /* As kbs_db_stats() reports it: a writer's uncommitted changes count. */
        int64_t delta = i == 0 ? db->text_bytes_delta : db->store_bytes_delta;
        uint64_t recorded = (uint64_t)((int64_t)v + delta);
        uint64_t sum = i == 0 ? text_sum : store_sum;
        if (recorded != sum)
            problem(c, "the running %s total (%s) says %llu bytes, but the articles add up to %llu",
                    totals[i].what, totals[i].key, (unsigned long long)recorded,
                    (unsigned long long)sum);
    }
}

static void check_format(struct checker *c)
{
    char *v = NULL;
    size_t len = 0;
    int st = xs_db_get_metadata(c->db->xdb, META_FORMAT, &v, &len);
    if (st == KBS_ENOMEM)
        c->nomem = 1;
    else if (st != KBS_OK)
        problem(c, "cannot read the format of the index: %s", xs_db_errmsg(c->db->xdb));
    else if (!v || strcmp(v, SCHEMA_FORMAT) != 0)
        problem(c, "the index records format \"%.20s\", not %s", v ? v : "", SCHEMA_FORMAT);
    free(v);
}

/* Xapian's check of its B-trees: damage below the level of documents (a
 * bad block, a broken free list) that reading every article may not touch. */
/* The chunks of word positions (shim/positions.h): each decodes, and a
 * word's chunks follow each other. */
static void check_positions(struct checker *c)
{
    uint64_t words = 0, chunks = 0, entries = 0;
    char problem_text[400];
    int st = xs_db_check_positions(c->db->xdb, &words, &chunks, &entries, problem_text,
                                   sizeof problem_text);
    if (st == KBS_ENOMEM)
        c->nomem = 1;
    else if (st != KBS_OK)
        problem(c, "cannot read the word positions: %s", xs_db_errmsg(c->db->xdb));
    else if (problem_text[0])
        problem(c,
                "word positions: %s; phrases with that word may miss articles (index the "
                "articles again into a new folder)",
                problem_text);
}

static void check_tables(struct checker *c)
{
    uint64_t errors = 0;
    char *report = NULL, err[512];
    int st = xs_db_check(c->db->path, &errors, &report, err, sizeof err);
    if (st == KBS_ENOMEM) {
        c->nomem = 1;
        return;
    }
    if (st != KBS_OK) {
        problem(c, "Xapian's check of the tables could not run: %s", err);
        return;
    }
    if (errors > 0) {
        /* Xapian's report names each table before its findings and says
         * which are sound; keep the lines that say what is wrong. */
        problem(c, "Xapian's check of the tables found %llu %s:", (unsigned long long)errors,
                errors == 1 ? "error" : "errors");
        c->rep->problems += errors - 1;
        for (char *line = report, *next; line && *line; line = next) {
            next = strchr(line, '\n');
            if (next)
                *next++ = '\0';
            size_t n = strlen(line);
            if (n == 0 || line[n - 1] == ':' || strstr(line, "checked OK"))
                continue; /* a table's heading, or a table found sound */
            if (c->listed >= MAX_LISTED) {
                c->dropped = 1;
                break;
            }
            buf_printf(&c->msg, "  %.300s\n", line);
            c->listed++;
        }
    }
    free(report);
}

/* Copies the listed problems into the report, cut at a line boundary, with
 * a last line when some did not fit. */
static void finish_message(struct checker *c)
{
    kbs_check_report *r = c->rep;
    const char *m = buf_cstr(&c->msg);
    size_t n = strlen(m), cap = sizeof r->message - 64; /* room for the last line */
    if (n > cap) {
        for (n = cap; n > 0 && m[n - 1] != '\n'; n--)
            ;
        c->dropped = 1;
    }
    memcpy(r->message, m, n);
    r->message[n] = '\0';
    if (c->dropped)
        snprintf(r->message + n, sizeof r->message - n, "... and more: %llu problems in all\n",
                 (unsigned long long)r->problems);
}

int kbs_db_check(kbs_db *db, kbs_check_report *out)
{
    if (!db)
        return KBS_EINVAL;
    db_clear_error(db);
    if (!out)
        return db_fail(db, KBS_EINVAL, "kbs_db_check: NULL argument");
    kbs_check_report rep;
    memset(&rep, 0, sizeof rep);
    struct checker c = {db, &rep, BUF_INIT, 0, 0, 0};

    check_format(&c);

    struct docids ids = {NULL, 0, 0, 0};
    int st = xs_db_alldocs(db->xdb, docid_cb, &ids);
    if (st == KBS_ENOMEM || ids.oom)
        c.nomem = 1;
    else if (st != KBS_OK)
        problem(&c, "cannot list the articles (%zu listed before it failed): %s", ids.n,
                xs_db_errmsg(db->xdb));
    uint64_t text_sum = 0, store_sum = 0;
    for (size_t i = 0; i < ids.n && !c.nomem; i++) {
        check_doc(&c, ids.v[i], &text_sum, &store_sum);
        rep.documents++;
    }
    if (!c.nomem && st == KBS_OK)
        check_records(&c, &ids);
    free(ids.v);

    if (!c.nomem && st == KBS_OK) {
        uint32_t count = 0;
        if ((st = xs_db_doc_count(db->xdb, &count)) == KBS_ENOMEM)
            c.nomem = 1;
        else if (st != KBS_OK)
            problem(&c, "cannot count the articles: %s", xs_db_errmsg(db->xdb));
        else if (count != rep.documents)
            problem(&c, "the index says it holds %u articles, but %llu were found", count,
                    (unsigned long long)rep.documents);

        struct idscan s = {&c, 0};
        if ((st = xs_db_allterms(db->xdb, PFX_ID, strlen(PFX_ID), idscan_cb, &s)) == KBS_ENOMEM)
            c.nomem = 1;
        else if (st != KBS_OK)
            problem(&c, "cannot list the id terms: %s", xs_db_errmsg(db->xdb));
        else if (s.n != rep.documents)
            problem(&c, "there are %llu id terms for %llu articles", (unsigned long long)s.n,
                    (unsigned long long)rep.documents);
        check_totals(&c, text_sum, store_sum);
    }
    if (!c.nomem)
        check_positions(&c);
    if (!c.nomem)
        check_tables(&c);
    if (c.nomem || buf_failed(&c.msg)) {
        buf_free(&c.msg);
        return db_fail(db, KBS_ENOMEM, "out of memory checking the index at %s", db->path);
    }
    finish_message(&c);
    buf_free(&c.msg);
    db_clear_error(db);
    *out = rep;
    return KBS_OK;
}
