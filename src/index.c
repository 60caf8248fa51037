/* index.c - turning articles into index entries, and keeping a folder's
 * articles in step with the index (added, changed, unchanged, removed). */
#include "index_run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "article.h"
#include "dedup.h"
#include "schema.h"
#include "store_dict.h"
#include "tokenize.h"
#include "utf8.h"

#define DEFAULT_MAX_FILE_BYTES (16u * 1024 * 1024)
#define DEFAULT_BATCH_DOCS 1000
/* A batch is also committed once it holds a process's share of the memory
 * budget (kbs_index_options.max_memory_mb), so that memory stays bounded
 * whatever the articles' sizes and the corpus's. Xapian's inverter takes
 * about ten times the text it holds; what a process holds whatever its
 * batch (code, the stemmer's cache, the spelling collector's table of up to
 * 2^19 slots and its words, zstd's contexts and dictionary) was measured at
 * 30-45 MiB. */
#define DEFAULT_MAX_MEMORY_MB 512
#define MIN_MAX_MEMORY_MB 64
#define PROCESS_FIXED_MB 48
#define INVERTER_BYTES_PER_TEXT_BYTE 10
#define MIN_BATCH_BYTES (1u << 20)
#define MAX_STORED_TITLE 400

void kbs_index_options_init(kbs_index_options *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->max_file_bytes = DEFAULT_MAX_FILE_BYTES;
    opts->batch_docs = DEFAULT_BATCH_DOCS;
}

/* ---- building one document ------------------------------------------------ */

struct termgen {
    kbs_db *db;
    xs_doc *doc;
    const char *prefix; /* prefixed copy of each stem, without positions, or NULL */
    int plain;          /* also add the unprefixed stem, with positions */
    uint32_t plain_wdf;
    int spell; /* feed the words to the spelling table (title and body) */
    buf term;
    uint32_t next_pos; /* one past the last position used */
    int status;
};

/* pos 0: a term without positions; form: the word's form tag. */
static int add_term(struct termgen *g, const char *prefix, const char *stem, size_t len,
                    uint32_t pos, uint32_t wdf, int stop, unsigned form)
{
    buf_reset(&g->term);
    buf_append_str(&g->term, prefix);
    buf_append(&g->term, stem, len);
    if (buf_failed(&g->term))
        return KBS_ENOMEM;
    /* A stop word keeps its term and wdf (AND, OR and ranking see it as
     * before) but not its positions (stem.h: stem_is_stopword). */
    if (pos && !stop)
        return xs_doc_add_posting(g->doc, g->term.data, g->term.len, pos, wdf, form);
    return xs_doc_add_term(g->doc, g->term.data, g->term.len, wdf);
}

static int termgen_cb(void *ctx, const token *tok)
{
    struct termgen *g = ctx;
    const char *stem;
    size_t slen;
    int stop;
    stem_form form;
    if (stemmer_stem_term(g->db->stem, tok->text, tok->len, &stem, &slen, &stop, &form) != 0) {
        g->status = KBS_ENOMEM;
        return 1;
    }
    int st = KBS_OK;
    /* The stem's forms are recorded, each once a run, so that search knows
     * when a form tag tells its word for sure (shim/positions.h). */
    if (form.first)
        st = xs_doc_add_form(g->doc, stem, slen, form.hash);
    if (st == KBS_OK && g->prefix)
        st = add_term(g, g->prefix, stem, slen, 0, 1, stop, 0);
    if (st == KBS_OK && g->plain)
        st = add_term(g, "", stem, slen, tok->pos, g->plain_wdf, stop, form.tag);
    if (st == KBS_OK && g->spell)
        st = spell_collect(g->db->spell, g->db->xdb, tok->text, tok->len, tok->flags);
    if (st != KBS_OK) {
        g->status = st;
        return 1;
    }
    g->next_pos = tok->pos + 1;
    return 0;
}

static int index_span(struct termgen *g, const char *text, art_span sp)
{
    if (sp.len == 0)
        return KBS_OK;
    tokenize(text + sp.off, sp.len, TOKENIZE_DOCUMENT, g->next_pos, termgen_cb, g);
    return g->status;
}

/* Appends text[sp] to out with whitespace runs folded to one space, clipped
 * to max bytes at a character boundary; the field separator never gets in. */
static void append_field(buf *out, const char *text, art_span sp, size_t max)
{
    size_t start = out->len;
    int space = 0;
    for (size_t i = 0; i < sp.len; i++) {
        unsigned char c = (unsigned char)text[sp.off + i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == FIELD_SEP || c < 0x20) {
            space = out->len > start;
            continue;
        }
        if (space) {
            buf_append_char(out, ' ');
            space = 0;
        }
        buf_append_char(out, (char)c);
    }
    if (!buf_failed(out) && out->len - start > max) {
        out->len = start + utf8_clip(out->data + start, out->len - start, max);
        out->data[out->len] = '\0';
    }
}

struct category_fold {
    buf *out;
};

static int category_cb(void *ctx, const token *tok)
{
    struct category_fold *c = ctx;
    if (c->out->len > strlen(PFX_CATEGORY))
        buf_append_char(c->out, ' ');
    buf_append(c->out, tok->text, tok->len);
    return 0;
}

static int add_date_terms(xs_doc *doc, const char *w)
{
    if (strlen(w) < 10)
        return KBS_OK;
    char t[16];
    int st;
    snprintf(t, sizeof t, "%s%.4s%.2s%.2s", PFX_DAY, w, w + 5, w + 8);
    if ((st = xs_doc_add_term(doc, t, strlen(t), 0)) != KBS_OK)
        return st;
    snprintf(t, sizeof t, "%s%.4s%.2s", PFX_MONTH, w, w + 5);
    if ((st = xs_doc_add_term(doc, t, strlen(t), 0)) != KBS_OK)
        return st;
    snprintf(t, sizeof t, "%s%.4s", PFX_YEAR, w);
    return xs_doc_add_term(doc, t, strlen(t), 0);
}

/* What a stored record's header says, for the running store totals. */
/* A failure to read them is the caller's failure: going on with 0 would
 * leave the running totals off for good (tests/test_alloc.c). */
static int old_sizes(kbs_db *db, uint32_t docid, int64_t *text, int64_t *store)
{
    char *rec = NULL;
    size_t rlen = 0;
    *text = *store = 0;
    if (docid == 0)
        return KBS_OK;
    int st = xs_db_get_data(db->xdb, docid, &rec, &rlen);
    if (st != KBS_OK)
        return st;
    uint32_t olen = 0;
    uint64_t h = 0;
    if (docstore_peek(rec, rlen, &olen, &h) == 0) {
        *text = olen;
        *store = (int64_t)db_store_len(rec, rlen);
    }
    free(rec);
    return KBS_OK;
}

/* The fields a caller of kbs_index_buffer_meta() gave, checked and
 * repaired: each replaces what the text says when it is not NULL. */
struct given {
    const char *title, *category, *byline; /* valid UTF-8, NUL-terminated */
    const char *written, *updated;         /* "YYYY-MM-DDTHH:MM:SS" or "" */
};

/* A field of the article: a span of the text, or the caller's string. */
struct field {
    const char *base;
    art_span sp;
};

static struct field field_of(const char *text, art_span sp, const char *given)
{
    struct field f = {text, sp};
    if (given) {
        f.base = given;
        f.sp.off = 0;
        f.sp.len = strlen(given);
    }
    return f;
}

/* Fills doc from one article's original bytes; with spell, its words go to
 * the spelling table. packed: its record, packed ahead (run_ahead_pack) with
 * this state, or NULL. docid: its id if known (0 if not), for a parallel
 * build's log of sentences (db->sents_log). */
static int build_doc(kbs_db *db, xs_doc *doc, const char *key, size_t keylen, const char *data,
                     size_t len, const char *state, size_t state_len, const struct given *gv,
                     buf *idterm, int spell, const buf *packed, uint32_t docid, size_t *store_len)
{
    const char *text;
    size_t tlen;
    char *owned = NULL;
    if (utf8_repair(data, len, &text, &tlen, &owned) != 0)
        return db_fail(db, KBS_ENOMEM, "out of memory");
    article art;
    if (article_parse(text, tlen, &art) != 0) {
        free(owned);
        return db_fail(db, KBS_ENOMEM, "out of memory");
    }
    struct given none = {NULL, NULL, NULL, NULL, NULL};
    if (!gv)
        gv = &none;
    struct field title = field_of(text, art.title, gv->title);
    struct field category = field_of(text, art.category, gv->category);
    struct field byline = field_of(text, art.byline, gv->byline);
    const char *written = gv->written ? gv->written : art.written;
    const char *updated = gv->updated ? gv->updated : art.updated;
    struct termgen g;
    memset(&g, 0, sizeof g);
    g.db = db;
    g.doc = doc;
    g.spell = spell;
    buf meta = BUF_INIT, rec = BUF_INIT;
    int st = xs_doc_add_term(doc, idterm->data, idterm->len, 0);

    /* Title words are the body's terms too, weighing TITLE_WDF each, and
     * under PFX_TITLE without positions for title: and body: (schema.h). */
    if (st == KBS_OK) {
        g.prefix = PFX_TITLE;
        g.plain = 1;
        g.plain_wdf = TITLE_WDF;
        g.next_pos = 1; /* position 0 means none to add_term */
        st = index_span(&g, title.base, title.sp);
    }
    if (st == KBS_OK) {
        g.prefix = NULL;
        g.plain_wdf = 1;
        g.next_pos += TITLE_BODY_GAP;
        /* A plain text's first line is its title only when the caller has
         * none: under the caller's, it is the body's first words, which
         * must stay searchable. */
        if (gv->title && art.layout == ART_PLAIN)
            st = index_span(&g, text, art.title);
        for (size_t i = 0; i < art.npara && st == KBS_OK; i++)
            st = index_span(&g, text, art.paras[i]);
    }
    if (st == KBS_OK && byline.sp.len) {
        g.prefix = PFX_BYLINE;
        g.plain = 0;
        g.spell = 0;
        st = index_span(&g, byline.base, byline.sp);
    }
    if (st == KBS_OK && category.sp.len) {
        buf cat = BUF_INIT;
        buf_append_str(&cat, PFX_CATEGORY);
        struct category_fold cf = {&cat};
        tokenize(category.base + category.sp.off, category.sp.len, TOKENIZE_DOCUMENT, 0,
                 category_cb, &cf);
        if (buf_failed(&cat))
            st = KBS_ENOMEM;
        else if (cat.len > strlen(PFX_CATEGORY) && cat.len < ID_TERM_MAX)
            st = xs_doc_add_term(doc, cat.data, cat.len, 0);
        buf_free(&cat);
    }
    if (st == KBS_OK && db->sents_log && docid) {
        uint64_t *sents = NULL;
        size_t nsents = 0;
        st = dedup_add_terms(doc, text, &art, &sents, &nsents);
        if (st == KBS_OK)
            build_log_sents(db->sents_log, docid, sents, nsents);
        free(sents);
    } else if (st == KBS_OK) {
        st = dedup_add_terms(doc, text, &art, NULL, NULL);
    }
    if (st == KBS_OK)
        st = add_date_terms(doc, written);
    if (st == KBS_OK && written[0])
        st = xs_doc_set_value(doc, SLOT_WRITTEN, written, strlen(written));
    if (st == KBS_OK && updated[0])
        st = xs_doc_set_value(doc, SLOT_UPDATED, updated, strlen(updated));
    if (st == KBS_OK && written[0])
        st = xs_doc_set_value(doc, SLOT_MONTH, written, 7);
    if (st == KBS_OK && category.sp.len) {
        buf cat = BUF_INIT;
        append_field(&cat, category.base, category.sp, 100);
        st =
            buf_failed(&cat) ? KBS_ENOMEM : xs_doc_set_value(doc, SLOT_CATEGORY, cat.data, cat.len);
        buf_free(&cat);
    }
    if (st == KBS_OK) {
        art_span keysp = {0, keylen};
        append_field(&meta, key, keysp, 4096);
        /* The id term is a hash: the key is kept whole where the display
         * path is not it (schema.h). */
        if (!buf_failed(&meta) && (meta.len != keylen || memcmp(meta.data, key, keylen) != 0))
            st = xs_doc_set_value(doc, SLOT_KEY, key, keylen);
        buf_append_char(&meta, FIELD_SEP);
        append_field(&meta, title.base, title.sp, MAX_STORED_TITLE);
        buf_append_char(&meta, FIELD_SEP);
        append_field(&meta, category.base, category.sp, 100);
        buf_append_char(&meta, FIELD_SEP);
        buf_append_str(&meta, written);
        buf_append_char(&meta, FIELD_SEP);
        buf_append_str(&meta, updated);
        buf_append_char(&meta, FIELD_SEP);
        append_field(&meta, byline.base, byline.sp, 200);
        if (st == KBS_OK)
            st = buf_failed(&meta) ? KBS_ENOMEM
                                   : xs_doc_set_value(doc, SLOT_META, meta.data, meta.len);
    }
    if (st == KBS_OK) {
        /* The state rides in the record's tag: an update rewrites the record
         * anyway, and a value would make it rewrite all of them. */
        const buf *r = packed ? packed : &rec;
        if (!packed && docstore_pack_tagged(db->store, data, len, state, state_len, &rec) != 0)
            st = KBS_ENOMEM;
        else
            st = xs_doc_set_data(doc, r->data, r->len);
        *store_len = db_store_len(r->data, r->len);
    }
    article_free(&art);
    free(owned);
    buf_free(&meta);
    buf_free(&rec);
    buf_free(&g.term);
    if (st == KBS_ENOMEM)
        return db_fail(db, st, "out of memory indexing %.*s", (int)keylen, key);
    if (st != KBS_OK)
        return db_fail_shim(db, st, "indexing");
    return KBS_OK;
}

/* The change-detection state kept in the record's tag (schema.h): size and
 * mtime_ns, each a little-endian base-128 number. The content's hash is the
 * record's own (docstore_peek): it is needed only when size and mtime say
 * the file may be unchanged. Returns the state's length. */
static size_t format_state(unsigned char out[STATE_MAX], uint64_t size, int64_t mtime_ns)
{
    uint64_t v[2] = {size, (uint64_t)mtime_ns};
    size_t n = 0;
    for (int i = 0; i < 2; i++) {
        uint64_t x = v[i];
        do {
            out[n++] = (unsigned char)((x & 0x7f) | (x > 0x7f ? 0x80 : 0));
            x >>= 7;
        } while (x);
    }
    return n;
}

int state_parse(const char *s, size_t len, uint64_t v[2])
{
    const unsigned char *p = (const unsigned char *)s;
    size_t k = 0;
    for (int i = 0; i < 2; i++) {
        v[i] = 0;
        for (unsigned shift = 0;; shift += 7) {
            if (k == len || shift > 63)
                return -1;
            v[i] |= (uint64_t)(p[k] & 0x7f) << shift;
            if (!(p[k++] & 0x80))
                break;
        }
    }
    return k == len ? 0 : -1;
}

/* The hash of article docid's original, from its record's header; 0 when
 * the header is damaged (the file is then indexed again). */
static int old_hash(kbs_db *db, uint32_t docid, uint64_t *hash)
{
    char *rec = NULL;
    size_t rlen = 0;
    uint32_t olen = 0;
    *hash = 0;
    int st = xs_db_get_data(db->xdb, docid, &rec, &rlen);
    if (st != KBS_OK)
        return db_fail_shim(db, st, "reading a stored article");
    if (docstore_peek(rec, rlen, &olen, hash) != 0)
        *hash = 0;
    free(rec);
    return KBS_OK;
}

/* How index_one() finds the article's id. */
struct placing {
    int known_new;  /* the caller knows no article has this key: skip the look-up */
    uint32_t docid; /* with known_new: add under this id (0: the next free one) */
};

/* Indexes one article under key; replaces an earlier version. packed: its
 * record with the state of len and mtime_ns, packed ahead, or NULL. */
static int index_one(kbs_db *db, const char *key, size_t keylen, const char *data, size_t len,
                     int64_t mtime_ns, const struct given *gv, struct placing at, const buf *packed,
                     uint32_t *docid_out, int *was_update)
{
    buf idterm = BUF_INIT;
    db_id_term(key, keylen, &idterm);
    if (buf_failed(&idterm))
        return db_fail(db, KBS_ENOMEM, "out of memory");
    uint32_t old = 0;
    int64_t old_text = 0, old_store = 0;
    int st = at.known_new ? KBS_ENOTFOUND : xs_db_find(db->xdb, idterm.data, idterm.len, &old);
    if (st == KBS_OK) {
        int sst = old_sizes(db, old, &old_text, &old_store);
        if (sst != KBS_OK) {
            buf_free(&idterm);
            return db_fail_shim(db, sst, "reading an article's stored size");
        }
        if ((st = dedup_note_old(db, old)) != KBS_OK) {
            buf_free(&idterm);
            return st;
        }
    } else if (st != KBS_ENOTFOUND) {
        buf_free(&idterm);
        return db_fail_shim(db, st, "looking up an article");
    }
    *was_update = st == KBS_OK;
    unsigned char state[STATE_MAX];
    size_t state_len = format_state(state, len, mtime_ns);
    xs_doc *doc = NULL;
    if ((st = xs_doc_new(&doc)) != KBS_OK) {
        buf_free(&idterm);
        return db_fail(db, st, "out of memory");
    }
    size_t store_len = 0;
    /* A new version's words were counted with the first one's: counting
     * them again would weigh an often corrected article's words more, and
     * rewrite blocks all over the spelling table (a sixth of it for 1% of
     * the articles changed, each block a copy while the old one is kept for
     * the readers: bench/README.md). */
    st = build_doc(db, doc, key, keylen, data, len, (const char *)state, state_len, gv, &idterm,
                   !*was_update, packed, at.known_new ? at.docid : 0, &store_len);
    uint32_t docid = at.docid;
    int kept = 0;
    if (st == KBS_OK) {
        if (at.known_new && at.docid)
            st = xs_db_replace_docid(db->xdb, at.docid, doc);
        else if (old)
            /* Its values unchanged, an update leaves them alone (SLOT_STORY
             * too, which the next dedup_pass() corrects if it must). */
            st = xs_db_update(db->xdb, docid = old, doc, SLOT_STORY, &kept);
        else
            st = xs_db_replace(db->xdb, idterm.data, idterm.len, doc, &docid);
        if (st != KBS_OK)
            st = db_fail_shim(db, st, "adding an article to the index");
    }
    xs_doc_free(doc);
    buf_free(&idterm);
    if (st != KBS_OK)
        return st;
    /* The article is in the index now, whatever follows: count it, or a
     * failure of the story bookkeeping would leave the running totals off
     * (tests/test_alloc.c). */
    db->text_bytes_delta += (int64_t)len - old_text;
    db->store_bytes_delta += (int64_t)store_len - old_store;
    db->pending++;
    db->pending_text += len;
    if ((st = dedup_note_new(db, docid)) != KBS_OK)
        return st;
    if (docid_out)
        *docid_out = docid;
    return KBS_OK;
}

/* What kbs_index_buffer() and kbs_index_buffer_meta() refuse before any work. */
static int check_buffer(kbs_db *db, const char *fn, const char *path, const char *data, size_t len)
{
    if (!path || !*path || (!data && len))
        return db_fail(db, KBS_EINVAL, "%s: NULL or empty path, or NULL data", fn);
    if (!db->writable)
        return db_fail_readonly(db);
    if (len == 0)
        return db_fail(db, KBS_EINPUT, "%s is empty: nothing to index", path);
    if (len > DOCSTORE_MAX_ORIGINAL)
        return db_fail(db, KBS_EINPUT, "%s is larger than 4 GiB", path);
    if (article_is_binary(data, len)) {
        size_t at = article_first_nontext(data, len);
        return db_fail(db, KBS_EINPUT,
                       "%s looks binary (byte 0x%02x at offset %zu is not text): not indexed", path,
                       at < len ? (unsigned char)data[at] : 0u, at);
    }
    return KBS_OK;
}

int kbs_index_buffer(kbs_db *db, const char *path, const char *data, size_t len, int64_t mtime_ns,
                     uint32_t *docid_out)
{
    if (!db)
        return KBS_EINVAL;
    db_clear_error(db);
    int st = check_buffer(db, "kbs_index_buffer", path, data, len);
    if (st != KBS_OK)
        return st;
    int upd;
    struct placing at = {0, 0};
    return index_one(db, path, strlen(path), data, len, mtime_ns, NULL, at, NULL, docid_out, &upd);
}

void kbs_article_meta_init(kbs_article_meta *meta)
{
    if (!meta)
        return;
    memset(meta, 0, sizeof *meta);
    meta->size = sizeof *meta;
}

/* Whether the caller's struct, of meta->size bytes, holds the field that
 * ends at `end` (a caller built against an older header has fewer). */
#define META_HAS(meta, field)                                                                      \
    ((meta)->size >= offsetof(kbs_article_meta, field) + sizeof((meta)->field))

/* A caller's date: only the two ISO shapes the header promises, so that a
 * typo is an error rather than a date read some other way. */
static int given_date(kbs_db *db, const char *field, const char *v, char out[20])
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t n = strlen(v);
    int ok = n == 0 || n == 10 || n == 19;
    for (size_t i = 0; ok && i < n; i++)
        ok = shape[i] == 'd' ? v[i] >= '0' && v[i] <= '9' : v[i] == shape[i];
    if (ok && n == 0)
        out[0] = '\0';
    else if (!ok || article_parse_date(v, n, out) != 0)
        return db_fail(db, KBS_EINVAL,
                       "kbs_article_meta.%s is \"%.40s\"%s: give a date as \"YYYY-MM-DD\" or "
                       "\"YYYY-MM-DDTHH:MM:SS\" (or NULL to take it from the text)",
                       field, v, n > 40 ? "..." : "");
    return KBS_OK;
}

/* Repairs a caller's string into *owned when it is not valid UTF-8; *out
 * is the string to use (NULL stays NULL). */
static int given_text(const char *v, const char **out, char **owned)
{
    *out = v;
    *owned = NULL;
    if (!v)
        return KBS_OK;
    const char *t;
    size_t tl;
    if (utf8_repair(v, strlen(v), &t, &tl, owned) != 0)
        return KBS_ENOMEM;
    if (*owned) {
        (*owned)[tl] = '\0'; /* the fields are read with strlen() */
        *out = *owned;
    }
    return KBS_OK;
}

int kbs_index_buffer_meta(kbs_db *db, const char *path, const char *data, size_t len,
                          const kbs_article_meta *meta, uint32_t *docid_out)
{
    if (!db)
        return KBS_EINVAL;
    db_clear_error(db);
    if (meta && (meta->size < offsetof(kbs_article_meta, title) + sizeof meta->title ||
                 meta->size > sizeof *meta))
        return db_fail(db, KBS_EINVAL,
                       "kbs_index_buffer_meta: kbs_article_meta.size is %zu, not one "
                       "kbs_article_meta_init() sets (%zu here): fill the struct with it first",
                       meta->size, sizeof *meta);
    int st = check_buffer(db, "kbs_index_buffer_meta", path, data, len);
    if (st != KBS_OK)
        return st;
    if (!meta)
        return kbs_index_buffer(db, path, data, len, 0, docid_out);
    struct given gv = {NULL, NULL, NULL, NULL, NULL};
    char written[20], updated[20];
    if (META_HAS(meta, written) && meta->written) {
        if ((st = given_date(db, "written", meta->written, written)) != KBS_OK)
            return st;
        gv.written = written;
    }
    if (META_HAS(meta, updated) && meta->updated) {
        if ((st = given_date(db, "updated", meta->updated, updated)) != KBS_OK)
            return st;
        gv.updated = updated;
    }
    char *owned[3] = {NULL, NULL, NULL};
    if (META_HAS(meta, title))
        st = given_text(meta->title, &gv.title, &owned[0]);
    if (st == KBS_OK && META_HAS(meta, category))
        st = given_text(meta->category, &gv.category, &owned[1]);
    if (st == KBS_OK && META_HAS(meta, byline))
        st = given_text(meta->byline, &gv.byline, &owned[2]);
    int64_t mtime_ns = META_HAS(meta, mtime_ns) ? meta->mtime_ns : 0;
    if (st != KBS_OK) {
        st = db_fail(db, st, "out of memory");
    } else {
        int upd;
        struct placing at = {0, 0};
        st = index_one(db, path, strlen(path), data, len, mtime_ns, &gv, at, NULL, docid_out, &upd);
    }
    for (size_t i = 0; i < 3; i++)
        free(owned[i]);
    return st;
}

int kbs_delete(kbs_db *db, const char *path)
{
    if (!db)
        return KBS_EINVAL;
    db_clear_error(db);
    if (!path)
        return db_fail(db, KBS_EINVAL, "kbs_delete: NULL path");
    if (!db->writable)
        return db_fail_readonly(db);
    buf idterm = BUF_INIT;
    db_id_term(path, strlen(path), &idterm);
    if (buf_failed(&idterm))
        return db_fail(db, KBS_ENOMEM, "out of memory");
    uint32_t docid = 0;
    int st = xs_db_find(db->xdb, idterm.data, idterm.len, &docid);
    if (st == KBS_OK) {
        int64_t t, s;
        st = old_sizes(db, docid, &t, &s);
        if (st != KBS_OK) {
            buf_free(&idterm);
            return db_fail_shim(db, st, "reading an article's stored size");
        }
        st = dedup_note_old(db, docid);
        if (st == KBS_OK)
            st = xs_db_delete(db->xdb, idterm.data, idterm.len);
        if (st == KBS_OK) {
            db->text_bytes_delta -= t;
            db->store_bytes_delta -= s;
            db->pending++;
            db->pending_removed++;
        }
    }
    buf_free(&idterm);
    if (st == KBS_ENOTFOUND)
        return db_fail(db, st, "no article indexed from %s", path);
    if (st != KBS_OK)
        return db_fail_shim(db, st, "deleting an article");
    return KBS_OK;
}

/* ---- a folder ------------------------------------------------------------------ */

static int list_push(struct file_list *l, const char *path, const struct stat *sb)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        struct file_entry *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    char *p = strdup(path);
    if (!p)
        return -1;
    l->v[l->n].path = p;
    l->v[l->n].size = (uint64_t)sb->st_size;
    l->v[l->n].mtime_ns = (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
    l->n++;
    return 0;
}

static void list_free(struct file_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].path);
    free(l->v);
}

/* Collects the regular files under dir. Hidden names are skipped (.git and
 * the like hold no articles); symbolic links to folders are not followed, so
 * a link loop cannot trap the walk. */
static int walk(kbs_db *db, const char *dir, struct file_list *out, int depth)
{
    if (depth > 64)
        return KBS_OK;
    DIR *d = opendir(dir);
    if (!d)
        return db_fail(db, errno == ENOMEM ? KBS_ENOMEM : KBS_EIO, "cannot read the folder %s: %s",
                       dir, strerror(errno));
    struct dirent *e;
    int st = KBS_OK;
    buf p = BUF_INIT;
    while (st == KBS_OK && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        buf_reset(&p);
        buf_printf(&p, "%s/%s", dir, e->d_name);
        if (buf_failed(&p)) {
            st = db_fail(db, KBS_ENOMEM, "out of memory");
            break;
        }
        struct stat lsb, sb;
        if (lstat(p.data, &lsb) != 0)
            continue;
        if (S_ISDIR(lsb.st_mode)) {
            st = walk(db, p.data, out, depth + 1);
            continue;
        }
        if (stat(p.data, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        if (list_push(out, p.data, &sb) != 0)
            st = db_fail(db, KBS_ENOMEM, "out of memory");
    }
    buf_free(&p);
    closedir(d);
    return st;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct file_entry *)a)->path, ((const struct file_entry *)b)->path);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void run_emit(struct run *r, int kind, const char *path, int status, const char *msg)
{
    if (r->sink) {
        r->sink(r, kind, status, msg);
        return;
    }
    if (r->stop || !r->opts->callback)
        return;
    r->ev.kind = kind;
    r->ev.path = path;
    r->ev.status = status;
    r->ev.message = msg;
    if (r->opts->callback(r->opts->callback_ctx, &r->ev) != 0)
        r->stop = 1;
}

void run_skip(struct run *r, const char *path, int status, const char *msg)
{
    r->rep.skipped++;
    run_emit(r, KBS_EVENT_SKIPPED, path, status, msg);
}

void run_progress(struct run *r, int last)
{
    if (!last && (r->ev.files_done & 15) != 0)
        return;
    double t = now_seconds();
    if (last || t - r->last_progress >= 0.1) {
        r->last_progress = t;
        run_emit(r, KBS_EVENT_PROGRESS, NULL, KBS_OK, NULL);
    }
}

/* A worker keeps the running totals back for the parent, which writes them
 * once the worker's articles are in the index. */
int run_commit(struct run *r)
{
    kbs_db *db = r->db;
    if (r->sink) {
        r->kept_text += db->text_bytes_delta;
        r->kept_store += db->store_bytes_delta;
        db->text_bytes_delta = db->store_bytes_delta = 0;
    }
    return db_commit(db);
}

static int read_file(const char *path, uint64_t size, char **out, size_t *len, char *err,
                     size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return KBS_ENOTFOUND;
    if (fd < 0) {
        snprintf(err, errlen, "cannot open it: %s; check its permissions", strerror(errno));
        return KBS_EIO;
    }
    char *d = malloc(size + 1);
    if (!d) {
        close(fd);
        snprintf(err, errlen, "out of memory reading it");
        return KBS_ENOMEM;
    }
    size_t n = 0;
    while (n < size) {
        ssize_t k = read(fd, d + n, size - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            snprintf(err, errlen, "cannot read it: %s", strerror(errno));
            free(d);
            close(fd);
            return KBS_EIO;
        }
        if (k == 0)
            break; /* shrank while we read: index what is there */
        n += (size_t)k;
    }
    close(fd);
    d[n] = '\0';
    *out = d;
    *len = n;
    return KBS_OK;
}

/* Whether run_visit() reads f: not when its size and mtime say it is
 * unchanged, nor when it is empty or too large (run_visit() says which). */
static int visit_reads(const struct run *r, const struct file_entry *f, const struct prior *p)
{
    if (p->docid != 0 && p->old[0] == f->size && (int64_t)p->old[1] == f->mtime_ns)
        return 0;
    return f->size != 0 && f->size <= r->opts->max_file_bytes;
}

void run_ahead_reset(struct ahead *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->v[i].data);
        a->v[i].data = NULL;
        a->v[i].read = 0;
        buf_reset(&a->v[i].rec);
    }
    a->n = 0;
    a->bytes = 0;
}

void run_ahead_free(struct ahead *a)
{
    run_ahead_reset(a);
    for (size_t i = 0; i < AHEAD_MAX_FILES; i++)
        buf_free(&a->v[i].rec);
}

int run_ahead_take(struct run *r, struct ahead *a, const struct file_entry *f,
                   const struct prior *p)
{
    int reads = visit_reads(r, f, p);
    if (a->n == AHEAD_MAX_FILES || (a->n > 0 && reads && a->bytes + f->size > AHEAD_MAX_BYTES))
        return 0;
    struct ahead_file *e = &a->v[a->n++];
    e->read = reads;
    e->data = NULL;
    e->len = 0;
    e->err[0] = '\0';
    e->mtime_ns = f->mtime_ns;
    e->known = p->docid != 0;
    e->old_size = p->old[0];
    e->text = 0;
    buf_reset(&e->rec);
    if (reads) {
        e->st = read_file(f->path, f->size, &e->data, &e->len, e->err, sizeof e->err);
        a->bytes += f->size;
    }
    return 1;
}

void run_ahead_pack(struct run *r, struct ahead *a)
{
    for (size_t i = 0; i < a->n; i++) {
        struct ahead_file *e = &a->v[i];
        /* Not what the visit refuses, nor a file of the same size as its
         * indexed version: the visit may find the same bytes and keep it. */
        if (!e->read || e->st != KBS_OK || e->len == 0 || (e->known && e->old_size == e->len) ||
            article_is_binary(e->data, e->len))
            continue;
        e->text = 1;
        unsigned char state[STATE_MAX];
        size_t state_len = format_state(state, e->len, e->mtime_ns);
        /* A failure leaves it to the visit, which says what went wrong. */
        if (docstore_pack_tagged(r->db->store, e->data, e->len, (const char *)state, state_len,
                                 &e->rec) != 0)
            buf_reset(&e->rec);
    }
}

int run_visit(struct run *r, const struct file_entry *f, const struct prior *p, uint32_t docid,
              struct ahead_file *pre)
{
    kbs_db *db = r->db;
    char msg[600];
    int known = p->docid != 0;
    if (known && p->old[0] == f->size && (int64_t)p->old[1] == f->mtime_ns) {
        r->rep.unchanged++;
        run_emit(r, KBS_EVENT_UNCHANGED, f->path, KBS_OK, NULL);
        return KBS_OK;
    }
    const char *keep = known ? " (the version indexed earlier is kept)" : "";
    if (f->size == 0) {
        snprintf(msg, sizeof msg, "empty file, nothing to index%s", keep);
        run_skip(r, f->path, KBS_EINPUT, msg);
        return KBS_OK;
    }
    if (f->size > r->opts->max_file_bytes) {
        snprintf(msg, sizeof msg,
                 "too large (%.1f MB; the limit is %.1f MB): not an article? raise the limit "
                 "with --max-file-size if it is%s",
                 (double)f->size / 1e6, (double)r->opts->max_file_bytes / 1e6, keep);
        run_skip(r, f->path, KBS_EINPUT, msg);
        return KBS_OK;
    }
    char *data = NULL;
    size_t len = 0;
    char err[300];
    int st;
    if (pre && pre->read) {
        st = pre->st;
        data = pre->data;
        len = pre->len;
        pre->data = NULL;
        snprintf(err, sizeof err, "%s", pre->err);
    } else {
        st = read_file(f->path, f->size, &data, &len, err, sizeof err);
    }
    if (st == KBS_ENOMEM)
        return db_fail(db, st, "out of memory reading %s", f->path);
    /* Deleted between the walk and now: not a problem of the file's; the
     * next run, which will not find it, removes its article. */
    if (st == KBS_ENOTFOUND)
        return KBS_OK;
    if (st != KBS_OK) {
        snprintf(msg, sizeof msg, "%s%s", err, keep);
        run_skip(r, f->path, st, msg);
        return KBS_OK;
    }
    int text = pre && pre->read && pre->text; /* checked when packed */
    if (len == 0 || (!text && article_is_binary(data, len))) {
        size_t at = article_first_nontext(data, len);
        if (len == 0)
            snprintf(msg, sizeof msg, "empty file, nothing to index%s", keep);
        else
            snprintf(msg, sizeof msg,
                     "binary data, not text (byte 0x%02x at offset %zu): not indexed%s",
                     at < len ? (unsigned char)data[at] : 0u, at, keep);
        free(data);
        run_skip(r, f->path, KBS_EINPUT, msg);
        return KBS_OK;
    }
    uint64_t old = 0;
    if (known && p->old[0] == len && (st = old_hash(db, p->docid, &old)) != KBS_OK) {
        free(data);
        return st;
    }
    if (known && p->old[0] == len && old == docstore_hash(data, len)) {
        /* Touched but the same bytes: no need to re-index. */
        free(data);
        r->rep.unchanged++;
        run_emit(r, KBS_EVENT_UNCHANGED, f->path, KBS_OK, NULL);
        return KBS_OK;
    }
    int upd = 0;
    struct placing at = {!known, docid};
    const buf *packed = pre && pre->read && pre->rec.len ? &pre->rec : NULL;
    st = index_one(db, f->path, strlen(f->path), data, len, f->mtime_ns, NULL, at, packed, NULL,
                   &upd);
    free(data);
    if (st != KBS_OK)
        return st;
    r->rep.bytes_indexed += len;
    r->last_len = len;
    if (upd)
        r->rep.updated++;
    else
        r->rep.added++;
    run_emit(r, upd ? KBS_EVENT_UPDATED : KBS_EVENT_ADDED, f->path, KBS_OK, NULL);
    if (db->pending >= r->batch || db->pending_text >= r->batch_bytes) {
        /* More batches follow: the spelling table waits for the run's end. */
        db->spell_lazy = 1;
        st = run_commit(r);
        db->spell_lazy = 0;
        return st;
    }
    return KBS_OK;
}

int run_prior(kbs_db *db, const char *path, buf *idterm, struct prior *out)
{
    memset(out, 0, sizeof *out);
    db_id_term(path, strlen(path), idterm);
    if (buf_failed(idterm))
        return db_fail(db, KBS_ENOMEM, "out of memory");
    int st = xs_db_find(db->xdb, idterm->data, idterm->len, &out->docid);
    if (st == KBS_ENOTFOUND) {
        out->docid = 0;
        return KBS_OK;
    }
    if (st != KBS_OK)
        return db_fail_shim(db, st, "looking up an article");
    char *rec = NULL;
    size_t rlen = 0;
    const char *tag = NULL;
    size_t tlen = 0;
    if ((st = xs_db_get_data(db->xdb, out->docid, &rec, &rlen)) != KBS_OK)
        return db_fail_shim(db, st, "reading an article's state");
    /* A damaged state reads as "changed": the file is indexed again. */
    if (docstore_tag(rec, rlen, &tag, &tlen) != 0 || state_parse(tag, tlen, out->old) != 0)
        out->old[0] = out->old[1] = 0;
    free(rec);
    return KBS_OK;
}

/* Reads what the index holds for each file (nothing to read in an empty
 * index: a first run skips a look-up per file). */
static int classify(struct run *r, const struct file_list *files, struct prior *pri)
{
    kbs_db *db = r->db;
    uint32_t count = 0;
    int st = db_doc_count(db, &count);
    if (st != KBS_OK || count == 0)
        return st;
    buf idterm = BUF_INIT;
    for (size_t i = 0; i < files->n && st == KBS_OK; i++)
        st = run_prior(db, files->v[i].path, &idterm, &pri[i]);
    buf_free(&idterm);
    return st;
}

/* ---- a compression dictionary for the store -------------------------------------- */

/* The first run that brings enough text trains a zstd dictionary on a sample
 * of it (2,000 of its articles, evenly spread): news articles share much
 * wording (agency lines, sign-offs, stock phrases) that a short article alone
 * cannot exploit. Measured on Reuters 20,000 (per article, level 5): 0.51 of
 * the text without a dictionary, 0.35 with one of 256 KiB trained on 2,000
 * of them (0.4 s). */
#define DICT_BYTES (256u * 1024)
#define DICT_SAMPLE_DOCS 2000
#define DICT_SAMPLE_BYTES (8u * 1024 * 1024)
/* Below this much sample text a dictionary would fit it, not the archive. */
#define DICT_MIN_SAMPLE_BYTES (1024u * 1024)

/* Trains and installs a dictionary from the first files that will be indexed,
 * if the index has none yet and there is enough text. Only memory or the
 * index can fail it: a sample that does not train is no error (the store
 * works without a dictionary). */
/* Whether the run will likely index this file (new or changed). */
static int to_index(const struct file_entry *f, const struct prior *p)
{
    return !p->docid || p->old[0] != f->size || (int64_t)p->old[1] != f->mtime_ns;
}

static int maybe_train_dict(struct run *r, const struct file_list *files, const struct prior *pri)
{
    kbs_db *db = r->db;
    if (db->has_dict)
        return KBS_OK;
    uint64_t candidates = 0;
    size_t ncand = 0;
    for (size_t i = 0; i < files->n; i++)
        if (to_index(&files->v[i], &pri[i])) {
            candidates += files->v[i].size;
            ncand++;
        }
    if (candidates < DICT_MIN_SAMPLE_BYTES)
        return KBS_OK;
    /* Spread over the whole run: an archive's wording drifts over the years
     * (on all of Reuters, the first 2,000 articles gave 0.360 of the text). */
    size_t stride = ncand / DICT_SAMPLE_DOCS > 1 ? ncand / DICT_SAMPLE_DOCS : 1;

    buf sample = BUF_INIT;
    size_t *sizes = calloc(DICT_SAMPLE_DOCS, sizeof *sizes);
    unsigned n = 0;
    int st = sizes ? KBS_OK : KBS_ENOMEM;
    size_t seen = 0;
    for (size_t i = 0; st == KBS_OK && i < files->n && n < DICT_SAMPLE_DOCS; i++) {
        const struct file_entry *f = &files->v[i];
        if (!to_index(f, &pri[i]) || seen++ % stride != 0)
            continue;
        if (f->size == 0 || f->size > r->opts->max_file_bytes ||
            sample.len + f->size > DICT_SAMPLE_BYTES)
            continue;
        char *data = NULL;
        size_t len = 0;
        char err[300];
        int rs = read_file(f->path, f->size, &data, &len, err, sizeof err);
        if (rs == KBS_ENOMEM)
            st = KBS_ENOMEM;
        if (rs != KBS_OK)
            continue;
        if (len && !article_is_binary(data, len)) {
            buf_append(&sample, data, len);
            sizes[n++] = len;
        }
        free(data);
        if (buf_failed(&sample))
            st = KBS_ENOMEM;
    }
    void *dict = NULL;
    size_t dlen = 0;
    if (st == KBS_OK && sample.len >= DICT_MIN_SAMPLE_BYTES) {
        dict = malloc(DICT_BYTES);
        if (!dict)
            st = KBS_ENOMEM;
    }
    if (dict) {
        ZDICT_fastCover_params_t fp = store_dict_params(STORE_LEVEL);
        size_t got = ZDICT_trainFromBuffer_fastCover(dict, DICT_BYTES, sample.data, sizes, n, fp);
        if (!ZDICT_isError(got) && docstore_set_dict(db->store, dict, got) == 0)
            dlen = got;
    }
    if (dlen) {
        /* Committed with the first records that use it, or before them. */
        st = xs_db_set_metadata(db->xdb, META_ZDICT, dict, dlen);
        if (st != KBS_OK)
            st = db_fail_shim(db, st, "saving the store's compression dictionary");
        else
            db->has_dict = 1;
    }
    if (st == KBS_ENOMEM)
        st = db_fail(db, st, "out of memory training the store's compression dictionary");
    free(dict);
    free(sizes);
    buf_free(&sample);
    return st;
}

struct stale_ctx {
    char **seen; /* sorted keys of the files found */
    size_t nseen;
    const char *root; /* "root/" (or "/") */
    size_t rootlen;
    struct keyed {
        uint32_t docid;
        char *key;
    } * keyed;               /* SLOT_KEY of the articles that have one, by docid */
    size_t nkeyed, capkeyed; /* (ascending: a value stream is in docid order) */
    size_t nextkeyed;
    struct keyed *stale; /* articles under root whose file is gone */
    size_t n, cap;
    int oom;
};

static int push_keyed(struct keyed **v, size_t *n, size_t *cap, uint32_t docid, const char *key,
                      size_t len)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        struct keyed *nv = realloc(*v, c * sizeof *nv);
        if (!nv)
            return -1;
        *v = nv;
        *cap = c;
    }
    char *k = strndup(key, len);
    if (!k)
        return -1;
    (*v)[*n].docid = docid;
    (*v)[(*n)++].key = k;
    return 0;
}

static int keyed_cb(void *ctx, uint32_t docid, const char *val, size_t len)
{
    struct stale_ctx *s = ctx;
    if (len && push_keyed(&s->keyed, &s->nkeyed, &s->capkeyed, docid, val, len) != 0)
        return s->oom = 1;
    return 0;
}

/* Every article's key, from its display path or its SLOT_KEY: the id terms
 * are hashes, which cannot be listed by folder. */
static int stale_cb(void *ctx, uint32_t docid, const char *val, size_t len)
{
    struct stale_ctx *s = ctx;
    const char *key = val;
    size_t klen = 0;
    while (klen < len && val[klen] != FIELD_SEP)
        klen++;
    while (s->nextkeyed < s->nkeyed && s->keyed[s->nextkeyed].docid < docid)
        s->nextkeyed++;
    if (s->nextkeyed < s->nkeyed && s->keyed[s->nextkeyed].docid == docid) {
        key = s->keyed[s->nextkeyed].key;
        klen = strlen(key);
    }
    if (klen < s->rootlen || memcmp(key, s->root, s->rootlen) != 0)
        return 0;
    char *t = strndup(key, klen);
    if (!t)
        return s->oom = 1;
    int seen = bsearch(&t, s->seen, s->nseen, sizeof *s->seen, cmp_str) != NULL;
    free(t);
    if (!seen && push_keyed(&s->stale, &s->n, &s->cap, docid, key, klen) != 0)
        return s->oom = 1;
    return 0;
}

static void stale_free(struct stale_ctx *s)
{
    for (size_t i = 0; i < s->nseen; i++)
        free(s->seen[i]);
    for (size_t i = 0; i < s->n; i++)
        free(s->stale[i].key);
    for (size_t i = 0; i < s->nkeyed; i++)
        free(s->keyed[i].key);
    free(s->seen);
    free(s->stale);
    free(s->keyed);
    memset(s, 0, sizeof *s);
}

/* Lists in s the articles under root whose files are gone. Before the run
 * writes anything: on a writer, reading a value stream first applies the
 * pending changes, and an allocation failing there would leave the tables
 * half updated under the reads that follow (tests/test_alloc.c). The list
 * stays right through the run, which only touches the files it found. Files
 * that exist but could not be read count as seen: an article is never lost
 * to a passing permission problem. */
static int list_stale(struct run *r, const char *root, struct file_list *files, struct stale_ctx *s)
{
    kbs_db *db = r->db;
    uint32_t count = 0;
    int st = db_doc_count(db, &count);
    if (st != KBS_OK || count == 0)
        return st;
    s->seen = calloc(files->n ? files->n : 1, sizeof *s->seen);
    if (!s->seen)
        return db_fail(db, KBS_ENOMEM, "out of memory");
    for (size_t i = 0; i < files->n; i++) {
        char *c = strdup(files->v[i].path);
        if (!c)
            return db_fail(db, KBS_ENOMEM, "out of memory");
        s->seen[s->nseen++] = c;
    }
    qsort(s->seen, s->nseen, sizeof *s->seen, cmp_str);
    buf prefix = BUF_INIT;
    buf_printf(&prefix, "%s%s", root, strcmp(root, "/") ? "/" : "");
    s->root = prefix.data;
    s->rootlen = prefix.len;
    if (buf_failed(&prefix))
        st = db_fail(db, KBS_ENOMEM, "out of memory");
    else if ((st = xs_db_values(db->xdb, SLOT_KEY, keyed_cb, s)) != KBS_OK ||
             (!s->oom && (st = xs_db_values(db->xdb, SLOT_META, stale_cb, s)) != KBS_OK))
        st = db_fail_shim(db, st, "listing indexed articles");
    else if (s->oom)
        st = db_fail(db, KBS_ENOMEM, "out of memory");
    s->root = NULL;
    buf_free(&prefix);
    return st;
}

/* Drops the articles list_stale() found. */
static int remove_stale(struct run *r, struct stale_ctx *s)
{
    kbs_db *db = r->db;
    int st = KBS_OK;
    buf t = BUF_INIT;
    for (size_t i = 0; st == KBS_OK && i < s->n; i++) {
        uint32_t docid = s->stale[i].docid;
        const char *path = s->stale[i].key;
        int64_t tb, sb;
        db_id_term(path, strlen(path), &t);
        st = buf_failed(&t) ? KBS_ENOMEM : old_sizes(db, docid, &tb, &sb);
        if (st == KBS_OK)
            st = dedup_note_old(db, docid);
        if (st == KBS_OK)
            st = xs_db_delete(db->xdb, t.data, t.len);
        if (st == KBS_OK) {
            db->text_bytes_delta -= tb;
            db->store_bytes_delta -= sb;
            db->pending++;
            db->pending_removed++;
            r->rep.removed++;
            run_emit(r, KBS_EVENT_REMOVED, path, KBS_OK, NULL);
        } else if (st == KBS_ENOMEM) {
            st = db_fail(db, st, "out of memory");
        } else {
            st = db_fail_shim(db, st, "removing an article");
        }
    }
    buf_free(&t);
    return st;
}

/* The text a process may buffer before it commits: its share of the
 * budget (the caller and every worker it may start count alike), less what
 * it holds anyway, over what the inverter takes per byte of text. */
static uint64_t batch_bytes(const struct run *r)
{
    uint64_t share = (uint64_t)r->opts->max_memory_mb / (build_workers(r) + 1);
    uint64_t room = share > PROCESS_FIXED_MB ? share - PROCESS_FIXED_MB : 0;
    uint64_t b = room * 1024 * 1024 / INVERTER_BYTES_PER_TEXT_BYTE;
    return b < MIN_BATCH_BYTES ? MIN_BATCH_BYTES : b;
}

int kbs_index_dir(kbs_db *db, const char *dir, const kbs_index_options *opts,
                  kbs_index_report *report)
{
    if (!db)
        return KBS_EINVAL;
    db_clear_error(db);
    if (!dir || !*dir)
        return db_fail(db, KBS_EINVAL, "no folder given to index");
    if (!db->writable)
        return db_fail_readonly(db);
    kbs_index_options defaults;
    kbs_index_options_init(&defaults);
    if (!opts)
        opts = &defaults;
    kbs_index_options o = *opts;
    if (o.max_file_bytes == 0)
        o.max_file_bytes = DEFAULT_MAX_FILE_BYTES;
    if (o.batch_docs == 0)
        o.batch_docs = DEFAULT_BATCH_DOCS;
    if (o.max_memory_mb == 0)
        o.max_memory_mb = DEFAULT_MAX_MEMORY_MB;
    if (o.max_memory_mb < MIN_MAX_MEMORY_MB)
        return db_fail(db, KBS_EINVAL,
                       "a memory budget of %u MiB is too small to index with: give at least %u",
                       (unsigned)o.max_memory_mb, MIN_MAX_MEMORY_MB);

    char root[PATH_MAX];
    if (!realpath(dir, root))
        return db_fail(db, errno == ENOENT ? KBS_ENOTFOUND : KBS_EIO,
                       "cannot open the folder %s: %s", dir, strerror(errno));
    struct stat sb;
    if (stat(root, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return db_fail(db, KBS_EINVAL,
                       "%s is not a folder; give the folder that holds the articles", dir);

    struct run r;
    memset(&r, 0, sizeof r);
    r.db = db;
    r.opts = &o;
    r.batch = o.batch_docs;
    r.batch_bytes = batch_bytes(&r);
    double t0 = now_seconds();
    build_remove_leftovers(db);
    struct file_list files = {NULL, 0, 0};
    struct prior *pri = NULL;
    size_t *todo = NULL;
    int st = walk(db, root, &files, 0);
    if (st == KBS_OK) {
        if (files.n > 1) /* an empty folder has no list at all (qsort wants one) */
            qsort(files.v, files.n, sizeof *files.v, cmp_entry);
        pri = calloc(files.n ? files.n : 1, sizeof *pri);
        todo = calloc(files.n ? files.n : 1, sizeof *todo);
        if (!pri || !todo)
            st = db_fail(db, KBS_ENOMEM, "out of memory");
    }
    if (st == KBS_OK)
        st = classify(&r, &files, pri);
    struct stale_ctx stale;
    memset(&stale, 0, sizeof stale);
    if (st == KBS_OK)
        st = list_stale(&r, root, &files, &stale);
    size_t ntodo = 0;
    uint64_t new_bytes = 0;
    for (size_t i = 0; st == KBS_OK && i < files.n; i++)
        if (!pri[i].docid) {
            todo[ntodo++] = i;
            new_bytes += files.v[i].size;
        }
    int parallel = st == KBS_OK && build_wanted(&r, ntodo, new_bytes);
    if (st == KBS_OK)
        st = maybe_train_dict(&r, &files, pri);
    if (st == KBS_OK) {
        r.ev.files_total = files.n;
        r.last_progress = t0;
        struct ahead *ahead = calloc(1, sizeof *ahead);
        if (!ahead)
            st = db_fail(db, KBS_ENOMEM, "out of memory");
        for (size_t i = 0; i < files.n && st == KBS_OK && !r.stop;) {
            /* The new files wait for the workers. */
            run_ahead_reset(ahead);
            size_t end = i;
            for (; end < files.n; end++)
                if (!(parallel && !pri[end].docid) &&
                    !run_ahead_take(&r, ahead, &files.v[end], &pri[end]))
                    break;
            run_ahead_pack(&r, ahead);
            for (size_t k = 0; i < end && st == KBS_OK && !r.stop; i++) {
                if (parallel && !pri[i].docid)
                    continue;
                st = run_visit(&r, &files.v[i], &pri[i], 0, &ahead->v[k++]);
                r.ev.files_done++;
                r.ev.bytes_done += files.v[i].size;
                run_progress(&r, 0);
            }
        }
        if (ahead)
            run_ahead_free(ahead);
        free(ahead);
        if (st == KBS_OK && !r.stop && parallel)
            st = build_parallel(&r, &files, todo, ntodo);
        if (r.ev.files_done == files.n)
            run_progress(&r, 1);
        /* Removal only after a complete walk: a run stopped early has not
         * seen every file, and must not drop the ones it did not reach. */
        if (st == KBS_OK && !r.stop)
            st = remove_stale(&r, &stale);
    }
    stale_free(&stale);
    free(pri);
    free(todo);
    list_free(&files);
    /* Whatever happened, keep what was done. */
    int cst = db_commit(db);
    if (st == KBS_OK)
        st = cst;
    r.rep.seconds = now_seconds() - t0;
    if (report)
        *report = r.rep;
    return st;
}
