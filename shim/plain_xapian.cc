// plain_xapian.cc - the benchmarks' baseline: Xapian used the ordinary way.
//
// Kept deliberately untuned (see plain_xapian.h): if this grows clever, the
// ratios the benchmarks print stop meaning "kbsearch versus plain Xapian".

#include "plain_xapian.h"

#include "kbsearch.h"

#include <xapian.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <unordered_map>

namespace
{

// Messages live in fixed arrays so that recording an error can never throw.
constexpr size_t kMsgLen = 512;

void copy_msg(char *dst, size_t dstlen, const char *src) noexcept
{
    if (dst == nullptr || dstlen == 0)
        return;
    size_t n = std::strlen(src);
    if (n >= dstlen)
        n = dstlen - 1;
    std::memcpy(dst, src, n);
    dst[n] = '\0';
}

void copy_xapian_msg(char *dst, size_t dstlen, const Xapian::Error &e) noexcept
{
    try {
        copy_msg(dst, dstlen, e.get_description().c_str());
    } catch (...) {
        // get_description() allocates; the class name is a static string.
        copy_msg(dst, dstlen, e.get_type());
    }
}

// Called from inside a catch block: rethrows the current exception to sort
// it, so every entry point needs only `catch (...) { return fail(...); }`.
int fail(char *msg, size_t msglen) noexcept
{
    try {
        throw;
    } catch (const Xapian::DatabaseLockError &e) {
        copy_xapian_msg(msg, msglen, e);
        return KBS_ELOCKED;
    } catch (const Xapian::DatabaseNotFoundError &e) {
        copy_xapian_msg(msg, msglen, e);
        return KBS_ENOTFOUND;
    } catch (const Xapian::DocNotFoundError &e) {
        copy_xapian_msg(msg, msglen, e);
        return KBS_ENOTFOUND;
    } catch (const Xapian::DatabaseCorruptError &e) {
        copy_xapian_msg(msg, msglen, e);
        return KBS_ECORRUPT;
    } catch (const Xapian::DatabaseVersionError &e) {
        copy_xapian_msg(msg, msglen, e);
        return KBS_EFOREIGN;
    } catch (const Xapian::DatabaseOpeningError &e) {
        copy_xapian_msg(msg, msglen, e);
        return KBS_EFOREIGN;
    } catch (const Xapian::QueryParserError &e) {
        copy_xapian_msg(msg, msglen, e);
        return KBS_EQUERY;
    } catch (const Xapian::InvalidArgumentError &e) {
        copy_xapian_msg(msg, msglen, e);
        return KBS_EINVAL;
    } catch (const Xapian::Error &e) {
        copy_xapian_msg(msg, msglen, e);
        return KBS_EBACKEND;
    } catch (const std::bad_alloc &) {
        copy_msg(msg, msglen, "out of memory");
        return KBS_ENOMEM;
    } catch (const std::exception &e) {
        copy_msg(msg, msglen, e.what());
        return KBS_EINTERNAL;
    } catch (...) {
        copy_msg(msg, msglen, "unknown C++ exception");
        return KBS_EINTERNAL;
    }
}

} // namespace

struct xp_index {
    Xapian::WritableDatabase db;
    Xapian::TermGenerator tg;
    // The floor (xp_floor_open): the stemmer behind its cache, and the
    // documents added since the last commit.
    bool floor = false;
    Xapian::Stem stem;
    std::unordered_map<std::string, std::string> stems;
    unsigned pending = 0;
    char errmsg[kMsgLen];
};

struct xp_db {
    Xapian::Database db;
    Xapian::QueryParser qp;
    Xapian::Stem stem;
    char errmsg[kMsgLen];
};

extern "C" int xp_index_open(const char *path, xp_index **out, char *err, size_t errlen) noexcept
{
    copy_msg(err, errlen, "");
    if (path == nullptr || out == nullptr) {
        copy_msg(err, errlen, "xp_index_open: NULL argument");
        return KBS_EINVAL;
    }
    xp_index *ix = nullptr;
    try {
        ix = new xp_index;
        ix->errmsg[0] = '\0';
        ix->db = Xapian::WritableDatabase(path, Xapian::DB_CREATE_OR_OPEN);
        ix->tg.set_stemmer(Xapian::Stem("english"));
        *out = ix;
        return KBS_OK;
    } catch (...) {
        delete ix;
        return fail(err, errlen);
    }
}

extern "C" int xp_floor_open(const char *path, xp_index **out, char *err, size_t errlen) noexcept
{
    copy_msg(err, errlen, "");
    if (path == nullptr || out == nullptr) {
        copy_msg(err, errlen, "xp_floor_open: NULL argument");
        return KBS_EINVAL;
    }
    xp_index *ix = nullptr;
    try {
        ix = new xp_index;
        ix->errmsg[0] = '\0';
        ix->db = Xapian::WritableDatabase(path, Xapian::DB_CREATE_OR_OPEN | Xapian::DB_NO_SYNC);
        ix->floor = true;
        ix->stem = Xapian::Stem("english");
        *out = ix;
        return KBS_OK;
    } catch (...) {
        delete ix;
        return fail(err, errlen);
    }
}

namespace
{
bool floor_word_byte(unsigned char c)
{
    return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

void floor_add(xp_index *ix, const char *text, size_t len)
{
    Xapian::Document doc;
    Xapian::termpos pos = 0;
    std::string w;
    for (size_t i = 0; i < len;) {
        while (i < len && !floor_word_byte((unsigned char)text[i]))
            i++;
        size_t start = i;
        while (i < len && floor_word_byte((unsigned char)text[i]))
            i++;
        if (i == start)
            break;
        w.assign(text + start, i - start);
        for (char &c : w)
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
        auto it = ix->stems.find(w);
        if (it == ix->stems.end())
            it = ix->stems.emplace(w, ix->stem(w)).first;
        doc.add_posting(it->second, ++pos);
    }
    ix->db.add_document(doc);
    if (++ix->pending == 250) {
        ix->db.commit();
        ix->pending = 0;
    }
}
} // namespace

extern "C" int xp_index_add_dated(xp_index *ix, const char *text, size_t len,
                                  const char *yyyymmdd) noexcept
{
    if (ix == nullptr || (text == nullptr && len > 0))
        return KBS_EINVAL;
    ix->errmsg[0] = '\0';
    try {
        if (ix->floor) {
            floor_add(ix, text == nullptr ? "" : text, len);
            return KBS_OK;
        }
        std::string s(text == nullptr ? "" : text, len);
        Xapian::Document doc;
        doc.set_data(s);
        // YYYYMMDD sorts as a string, which is what RangeProcessor compares.
        if (yyyymmdd != nullptr)
            doc.add_value(0, yyyymmdd);
        ix->tg.set_document(doc);
        ix->tg.index_text(s);
        ix->db.add_document(doc);
        return KBS_OK;
    } catch (...) {
        return fail(ix->errmsg, sizeof ix->errmsg);
    }
}

extern "C" int xp_index_add(xp_index *ix, const char *text, size_t len) noexcept
{
    return xp_index_add_dated(ix, text, len, nullptr);
}

extern "C" const char *xp_index_errmsg(const xp_index *ix) noexcept
{
    return ix == nullptr ? "" : ix->errmsg;
}

extern "C" int xp_index_close(xp_index *ix, char *err, size_t errlen) noexcept
{
    copy_msg(err, errlen, "");
    if (ix == nullptr)
        return KBS_OK;
    int rc = KBS_OK;
    try {
        ix->db.commit();
        ix->db.close();
    } catch (...) {
        rc = fail(err, errlen);
    }
    // The destructor would commit again and swallow errors; after close() it
    // has nothing left to do, and after a failed commit nothing is pending
    // that we could still save.
    try {
        delete ix;
    } catch (...) {
        if (rc == KBS_OK)
            rc = fail(err, errlen);
    }
    return rc;
}

extern "C" int xp_db_open(const char *path, xp_db **out, char *err, size_t errlen) noexcept
{
    copy_msg(err, errlen, "");
    if (path == nullptr || out == nullptr) {
        copy_msg(err, errlen, "xp_db_open: NULL argument");
        return KBS_EINVAL;
    }
    xp_db *db = nullptr;
    try {
        db = new xp_db;
        db->errmsg[0] = '\0';
        db->db = Xapian::Database(path);
        db->stem = Xapian::Stem("english");
        db->qp.set_stemmer(db->stem);
        db->qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
        db->qp.set_default_op(Xapian::Query::OP_AND);
        db->qp.set_database(db->db);
        // Reference-counted: the QueryParser frees it.
        db->qp.add_rangeprocessor((new Xapian::RangeProcessor(0))->release());
        *out = db;
        return KBS_OK;
    } catch (...) {
        delete db;
        return fail(err, errlen);
    }
}

extern "C" void xp_db_close(xp_db *db) noexcept
{
    try {
        delete db;
    } catch (...) {
        // A reader has nothing to lose on close; there is no one to tell.
    }
}

extern "C" const char *xp_db_errmsg(const xp_db *db) noexcept
{
    return db == nullptr ? "" : db->errmsg;
}

extern "C" void xp_results_clear(xp_results *r) noexcept
{
    if (r == nullptr)
        return;
    for (size_t i = 0; i < r->n; i++)
        std::free(r->hits[i].snippet);
    std::free(r->hits);
    r->hits = nullptr;
    r->n = 0;
    r->estimated = 0;
}

extern "C" int xp_search(xp_db *db, const char *query, size_t query_len, uint32_t limit,
                         int with_snippets, xp_results *out) noexcept
{
    return xp_search_checked(db, query, query_len, limit, with_snippets, 0, out);
}

extern "C" int xp_search_checked(xp_db *db, const char *query, size_t query_len, uint32_t limit,
                                 int with_snippets, uint32_t check_at_least,
                                 xp_results *out) noexcept
{
    if (db == nullptr || out == nullptr || (query == nullptr && query_len > 0))
        return KBS_EINVAL;
    db->errmsg[0] = '\0';
    out->estimated = 0;
    out->n = 0;
    out->hits = nullptr;
    xp_results res = {0, 0, nullptr};
    try {
        Xapian::Query q = db->qp.parse_query(std::string(query == nullptr ? "" : query, query_len),
                                             Xapian::QueryParser::FLAG_DEFAULT |
                                                 Xapian::QueryParser::FLAG_WILDCARD);
        Xapian::Enquire enq(db->db);
        enq.set_query(q);
        enq.set_weighting_scheme(Xapian::BM25Weight());
        Xapian::MSet mset = enq.get_mset(0, limit, check_at_least);
        res.estimated = mset.get_matches_estimated();
        if (mset.size() > 0) {
            res.hits = static_cast<xp_hit *>(std::calloc(mset.size(), sizeof(xp_hit)));
            if (res.hits == nullptr)
                throw std::bad_alloc();
        }
        for (Xapian::MSetIterator it = mset.begin(); it != mset.end(); ++it) {
            xp_hit &h = res.hits[res.n];
            h.docid = *it;
            h.weight = it.get_weight();
            std::string snip;
            if (with_snippets == XP_DATA_ONLY)
                (void)it.get_document().get_data(); /* a library call: not elided */
            else if (with_snippets)
                snip = mset.snippet(it.get_document().get_data(), 200, db->stem);
            h.snippet = static_cast<char *>(std::malloc(snip.size() + 1));
            if (h.snippet == nullptr)
                throw std::bad_alloc();
            std::memcpy(h.snippet, snip.data(), snip.size());
            h.snippet[snip.size()] = '\0';
            h.snippet_len = snip.size();
            res.n++;
        }
        *out = res;
        return KBS_OK;
    } catch (...) {
        xp_results_clear(&res);
        return fail(db->errmsg, sizeof db->errmsg);
    }
}
