/* xapian_shim.cc - xapian_shim.h over Xapian 1.4.22.
 *
 * No exception may cross into C: unwinding through C frames is undefined
 * behaviour, and an uncaught one would abort the caller's process. So every
 * extern "C" function is noexcept and its whole body sits in one try whose
 * handlers (XS_CATCH) all go through map_exception(), the one place that turns
 * an exception into a status and a message.
 */
#include "xapian_shim.h"

#include "kbsearch.h"
#include "norms.h"
#include "positions.h"

#include <xapian.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <algorithm>
#include <memory>
#include <new>
#include <sstream>
#include <string>
#include <vector>

struct xs_db {
    /* Reads go through db; for a writer it is the same object as wdb, so a
     * writer reads its own uncommitted changes. */
    Xapian::Database *db = nullptr;
    Xapian::WritableDatabase *wdb = nullptr; /* NULL for a reader */
    /* A fixed array, so recording an error can never itself fail. */
    char err[512] = {0};
    /* Set when a write failed inside Xapian (a full disk, say): the tables'
     * unsaved state may then be half-updated, and committing it could save a
     * damaged index, so every later write is refused (need_writer) and the
     * handle can only be closed, which drops the unsaved changes. */
    int broken = 0;
    char broken_msg[400] = {0};
    /* Opened XS_OPEN_SCRATCH(_AGAIN): Xapian's DB_DANGEROUS, no undo. */
    bool scratch = false;
    /* A handle on several databases (xs_db_open_several): the ids each one
     * holds, [first, last], in the order they were added. Xapian numbers the
     * documents of such a database (shard_id - 1) * shards + shard + 1; the
     * shim translates, so the caller sees each document's own id. Empty for
     * a handle on one database. */
    std::vector<std::pair<Xapian::docid, Xapian::docid>> shards;
    /* Its databases one by one, in the same order (xs_db_prefix_postlists). */
    std::vector<Xapian::Database> subs;
    /* A reader's document lengths, once loaded (xs_db_norms_load). */
    std::shared_ptr<const kbs_shim::Norms> norms;
    /* A writer's documents' positions until the next commit (positions.h). */
    kbs_shim::PosWriter posw;

    xs_db() = default;
    xs_db(const xs_db &) = delete;
    xs_db &operator=(const xs_db &) = delete;
    ~xs_db()
    {
        delete db; /* virtual: also right when it is a WritableDatabase */
    }
};

struct xs_doc {
    Xapian::Document doc;
    /* Its words' positions, written to the chunks of positions.h (not to
     * Xapian's position table) when the document is. */
    kbs_shim::DocPositions pos;
    /* Its record, written to the metadata when the document is
     * (xs_doc_set_data); "" for none. */
    std::string rec;
    /* Forms of stems to record (xs_doc_add_form). */
    kbs_shim::DocForms forms;
};

struct xs_query {
    /* The query (node->q) and how it was made (norms.h): it again, with its
     * terms weighed from the norms. */
    std::shared_ptr<const kbs_shim::QNode> node;
};

namespace
{

/* A query of kind OTHER: used as it is, norms or not. */
xs_query *other_query(const Xapian::Query &q)
{
    std::shared_ptr<kbs_shim::QNode> n = std::make_shared<kbs_shim::QNode>();
    n->q = q;
    return new xs_query{n};
}

enum class caught { xapian, nomem, std_exception, unknown };

/* Copies a, then ": " and b if b is not NULL, into buf[0..cap), truncating;
 * NUL-terminated when cap > 0. */
void copy_msg(char *buf, size_t cap, const char *a, const char *b) noexcept
{
    if (!buf || cap == 0)
        return;
    if (b)
        std::snprintf(buf, cap, "%s: %s", a, b);
    else
        std::snprintf(buf, cap, "%s", a);
}

int set_error(char *buf, size_t cap, int status, const char *a, const char *b = nullptr) noexcept
{
    copy_msg(buf, cap, a, b);
    return status;
}

/* The one mapping from exceptions to statuses (see the header). It is only
 * called from a handler: Xapian's errors are not polymorphic (no dynamic_cast),
 * so it rethrows the exception being handled to sort it by type. The handlers'
 * order matters: DatabaseNotFoundError and DatabaseVersionError are both
 * DatabaseOpeningErrors. */
int map_exception(char *buf, size_t cap, caught kind, const std::exception *se) noexcept
{
    if (kind == caught::nomem)
        return set_error(buf, cap, KBS_ENOMEM, "out of memory");
    /* The shim's own code throws nothing but bad_alloc, so another standard
     * exception comes from inside Xapian: a damaged table, for one, can make
     * it throw std::length_error while decoding a posting list. */
    if (kind == caught::std_exception)
        return set_error(buf, cap, KBS_EBACKEND, "the search backend failed",
                         se ? se->what() : "?");
    if (kind == caught::unknown)
        return set_error(buf, cap, KBS_EINTERNAL, "unexpected C++ exception of unknown type");

    int status = KBS_EBACKEND;
    const Xapian::Error *xe = nullptr;
    try {
        throw;
    } catch (const Xapian::DatabaseLockError &e) {
        status = KBS_ELOCKED;
        xe = &e;
    } catch (const Xapian::DatabaseNotFoundError &e) {
        status = KBS_ENOTFOUND;
        xe = &e;
    } catch (const Xapian::DocNotFoundError &e) {
        status = KBS_ENOTFOUND;
        xe = &e;
    } catch (const Xapian::DatabaseCorruptError &e) {
        status = KBS_ECORRUPT;
        xe = &e;
    } catch (const Xapian::DatabaseOpeningError &e) {
        status = KBS_EFOREIGN;
        xe = &e;
    } catch (const Xapian::InvalidArgumentError &e) {
        status = KBS_EINVAL;
        xe = &e;
    } catch (const Xapian::Error &e) {
        status = KBS_EBACKEND;
        xe = &e;
    } catch (...) {
        return set_error(buf, cap, KBS_EINTERNAL, "map_exception: not a Xapian error");
    }

    /* A full disk or a file-size limit is the user's to fix, not a backend
     * failure: the status says so, whatever the exception type (Xapian
     * reports ENOSPC on creation as a DatabaseCreateError, in a commit as a
     * DatabaseError). strerror() gives the same text Xapian used, since
     * both ask this process's C library. */
    const char *syserr = xe->get_error_string();
    for (int e : {ENOSPC, EDQUOT, EFBIG, EIO}) {
        const char *text = std::strerror(e);
        /* The cause may also sit inside the message of an error about the
         * consequences ("Modifications failed (... (No space left on
         * device))"); get_msg() hands back a member, so nothing is copied. */
        if ((syserr && std::strcmp(syserr, text) == 0) ||
            xe->get_msg().find(text) != std::string::npos)
            status = KBS_EIO;
    }

    /* The object outlives the inner handlers: the caller's handler is still
     * active. get_description() builds a std::string, which may itself fail
     * for lack of memory; get_type() and get_msg() only hand back members. */
    try {
        std::string d = xe->get_description();
        copy_msg(buf, cap, d.c_str(), nullptr);
    } catch (...) {
        copy_msg(buf, cap, xe->get_type(), xe->get_msg().c_str());
    }
    return status;
}

/* Copies s into a new malloc'd NUL-terminated string. */
int copy_out(const std::string &s, char **out, size_t *len, char *buf, size_t cap) noexcept
{
    char *p = static_cast<char *>(std::malloc(s.size() + 1));
    if (!p)
        return set_error(buf, cap, KBS_ENOMEM, "out of memory");
    std::memcpy(p, s.data(), s.size());
    p[s.size()] = '\0';
    *out = p;
    if (len)
        *len = s.size();
    return KBS_OK;
}

/* Runs read(); if a writer recycled the blocks of the revision it was
 * reading, moves to the latest revision and runs it once more (a second
 * DatabaseModifiedError propagates). read must be safe to run twice. */
template <class F> void read_retrying(xs_db *db, F &&read)
{
    try {
        read();
    } catch (const Xapian::DatabaseModifiedError &) {
        db->db->reopen();
        read();
    }
}

int need_writer(xs_db *db)
{
    if (db->wdb && db->broken) /* the cause, as the user needs to hear it */
        return set_error(db->err, sizeof db->err, db->broken, db->broken_msg);
    if (db->wdb)
        return KBS_OK;
    return set_error(db->err, sizeof db->err, KBS_EREADONLY,
                     "the database was opened read-only; open it for writing to change it");
}

/* Records that a write failed with status (see xs_db.broken); returns it. */
int mark_broken(xs_db *db, int status) noexcept
{
    if (!db->broken) {
        db->broken = status;
        std::snprintf(db->broken_msg, sizeof db->broken_msg, "%.399s", db->err);
    }
    return status;
}

int broken_if_writer(xs_db *db, int status) noexcept
{
    return db->wdb ? mark_broken(db, status) : status;
}

/* A document's own id -> Xapian's id for it on db (see xs_db.shards). An
 * id that no database's range holds goes to the first, which lacks it too:
 * reading it is a DocNotFoundError, as it should be. */
Xapian::docid to_xapian(const xs_db *db, Xapian::docid id) noexcept
{
    size_t n = db->shards.size();
    if (n < 2 || id == 0)
        return id;
    size_t s = 0;
    for (size_t i = 0; i < n; i++)
        if (db->shards[i].first <= id && id <= db->shards[i].second)
            s = i;
    return (id - 1) * static_cast<Xapian::docid>(n) + static_cast<Xapian::docid>(s) + 1;
}

/* Xapian's id on db -> the document's own id. */
Xapian::docid from_xapian(const xs_db *db, Xapian::docid id) noexcept
{
    size_t n = db->shards.size();
    if (n < 2 || id == 0)
        return id;
    return (id - 1) / static_cast<Xapian::docid>(n) + 1;
}

/* The metadata key of document id's record (xs_doc_set_data). */
std::string record_key(Xapian::docid id)
{
    std::string k(XS_RECORD_PREFIX);
    kbs_shim::append_be32(k, id);
    return k;
}

/* Document id's record (its own id), read from the database that holds
 * it: the metadata of a handle on several databases is its first one's. ""
 * if it has none. */
std::string read_record(const xs_db *db, Xapian::docid id)
{
    size_t n = db->shards.size();
    if (n < 2)
        return db->db->get_metadata(record_key(id));
    for (size_t i = 0; i < n; i++)
        if (db->shards[i].first <= id && id <= db->shards[i].second)
            return db->subs[i].get_metadata(record_key(id));
    return std::string();
}

/* The calls whose ids come from a ranking or a value stream walked by id
 * are not translated: refused on a handle on several databases. */
int refuse_several(xs_db *db, const char *what) noexcept
{
    std::snprintf(db->err, sizeof db->err, "%s: not available on a handle on several databases",
                  what);
    return KBS_EINVAL;
}

/* An InvalidOperationError from a write (called from inside its catch). On
 * a scratch database it stands for the write's own failure: when a write
 * fails (a full disk, say), Xapian undoes the document's changes with
 * cancel(), which DB_DANGEROUS does not allow, and that error replaces the
 * first. The tables are then half-updated: the handle is broken, and the
 * message says what happened rather than Xapian's words about cancel(). */
int scratch_write_failed(xs_db *db) noexcept
{
    int st = map_exception(db->err, sizeof db->err, caught::xapian, nullptr);
    if (!db->scratch)
        return st;
    std::snprintf(db->err, sizeof db->err,
                  "a write to a scratch database failed, and Xapian cannot undo it there "
                  "(DB_DANGEROUS)");
    return mark_broken(db, KBS_EBACKEND);
}

} // namespace

/* The handlers every extern "C" function ends its try with. */
#define XS_CATCH(BUF, CAP)                                                                         \
    catch (const Xapian::Error &)                                                                  \
    {                                                                                              \
        return map_exception((BUF), (CAP), caught::xapian, nullptr);                               \
    }                                                                                              \
    catch (const std::bad_alloc &e)                                                                \
    {                                                                                              \
        return map_exception((BUF), (CAP), caught::nomem, &e);                                     \
    }                                                                                              \
    catch (const std::exception &e)                                                                \
    {                                                                                              \
        return map_exception((BUF), (CAP), caught::std_exception, &e);                             \
    }                                                                                              \
    catch (...)                                                                                    \
    {                                                                                              \
        return map_exception((BUF), (CAP), caught::unknown, nullptr);                              \
    }

/* On a database handle, a std::bad_alloc or any other non-Xapian exception
 * also breaks a writer (see mark_broken), whichever call it came from:
 * Xapian's writes are not exception-safe against them, and on a writer even
 * a read may write (allterms and termlists flush the pending postings first).
 * An allocation failing in such a flush left an id term naming two
 * documents, and a freelist block in use, once committed
 * (tests/test_alloc.c). Xapian's own errors are raised before anything
 * changes, except a DatabaseError: a write's DatabaseError (an I/O failure, a
 * full disk) breaks the handle too (XS_CATCH_WRITE). */
#define XS_CATCH_DB(DB)                                                                            \
    catch (const Xapian::Error &)                                                                  \
    {                                                                                              \
        return map_exception((DB)->err, sizeof(DB)->err, caught::xapian, nullptr);                 \
    }                                                                                              \
    catch (const std::bad_alloc &e)                                                                \
    {                                                                                              \
        return broken_if_writer((DB),                                                              \
                                map_exception((DB)->err, sizeof(DB)->err, caught::nomem, &e));     \
    }                                                                                              \
    catch (const std::exception &e)                                                                \
    {                                                                                              \
        return broken_if_writer(                                                                   \
            (DB), map_exception((DB)->err, sizeof(DB)->err, caught::std_exception, &e));           \
    }                                                                                              \
    catch (...)                                                                                    \
    {                                                                                              \
        return broken_if_writer(                                                                   \
            (DB), map_exception((DB)->err, sizeof(DB)->err, caught::unknown, nullptr));            \
    }
#define XS_CATCH_WRITE(DB)                                                                         \
    catch (const Xapian::DatabaseError &)                                                          \
    {                                                                                              \
        return mark_broken((DB),                                                                   \
                           map_exception((DB)->err, sizeof(DB)->err, caught::xapian, nullptr));    \
    }                                                                                              \
    catch (const Xapian::InvalidOperationError &)                                                  \
    {                                                                                              \
        return scratch_write_failed((DB));                                                         \
    }                                                                                              \
    XS_CATCH_DB(DB)
#define XS_CATCH_NOHANDLE XS_CATCH(nullptr, 0)

/* ---- databases ---- */

int xs_db_open(const char *path, int mode, xs_db **out, char *err, size_t errlen) noexcept
{
    if (err && errlen)
        err[0] = '\0';
    if (!path || !*path || !out)
        return set_error(err, errlen, KBS_EINVAL, "xs_db_open: path and out are required");
    if (mode != XS_OPEN_READ && mode != XS_OPEN_WRITE && mode != XS_OPEN_WRITE_CREATE &&
        mode != XS_OPEN_SCRATCH && mode != XS_OPEN_SCRATCH_AGAIN)
        return set_error(err, errlen, KBS_EINVAL, "xs_db_open: unknown mode");
    try {
        std::unique_ptr<xs_db> h(new xs_db());
        if (mode == XS_OPEN_READ) {
            /* The constructor reads the revision the version file names, then
             * that revision's tables; a writer committing meanwhile may recycle
             * their blocks (DatabaseModifiedError). Opening again reads the
             * newer revision; a writer cannot outrun a few fresh opens. */
            for (int tries = 1;; tries++) {
                try {
                    h->db = new Xapian::Database(path, Xapian::DB_BACKEND_GLASS);
                    break;
                } catch (const Xapian::DatabaseModifiedError &) {
                    if (tries == 5)
                        throw;
                }
            }
        } else {
            int action = mode == XS_OPEN_WRITE_CREATE ? Xapian::DB_CREATE_OR_OPEN : Xapian::DB_OPEN;
            /* An index keeps Xapian's fsync()s: a crash must leave the last
             * commit intact. A scratch build is thrown away after a crash, so
             * it needs neither fsync() nor copy-on-write blocks: both only
             * cost. */
            if (mode == XS_OPEN_SCRATCH)
                action = Xapian::DB_CREATE | Xapian::DB_NO_SYNC | Xapian::DB_DANGEROUS;
            else if (mode == XS_OPEN_SCRATCH_AGAIN)
                action = Xapian::DB_OPEN | Xapian::DB_NO_SYNC | Xapian::DB_DANGEROUS;
            h->wdb = new Xapian::WritableDatabase(path, action | Xapian::DB_BACKEND_GLASS);
            h->db = h->wdb;
            h->scratch = mode == XS_OPEN_SCRATCH || mode == XS_OPEN_SCRATCH_AGAIN;
            if (mode == XS_OPEN_SCRATCH)
                h->posw.set_fresh(); /* DB_CREATE: a new, empty database */
        }
        *out = h.release();
        return KBS_OK;
    }
    XS_CATCH(err, errlen)
}

int xs_db_open_several(const char *const *paths, size_t n, xs_db **out, char *err,
                       size_t errlen) noexcept
{
    if (err && errlen)
        err[0] = '\0';
    if (!paths || n == 0 || !out)
        return set_error(err, errlen, KBS_EINVAL, "xs_db_open_several: paths and out are required");
    for (size_t i = 0; i < n; i++)
        if (!paths[i] || !*paths[i])
            return set_error(err, errlen, KBS_EINVAL, "xs_db_open_several: an empty path");
    try {
        std::unique_ptr<xs_db> h(new xs_db());
        std::unique_ptr<Xapian::Database> all(new Xapian::Database());
        h->shards.reserve(n);
        for (size_t i = 0; i < n; i++) {
            Xapian::Database one(paths[i], Xapian::DB_BACKEND_GLASS);
            Xapian::docid first = 1, last = one.get_lastdocid();
            Xapian::PostingIterator it = one.postlist_begin(std::string());
            if (it != one.postlist_end(std::string()))
                first = *it;
            else
                last = 0; /* no document: a range nothing falls in */
            for (const auto &r : h->shards)
                if (first <= last && r.first <= last && first <= r.second)
                    return set_error(err, errlen, KBS_EINVAL,
                                     "xs_db_open_several: the databases' ids overlap");
            h->shards.emplace_back(first, last);
            all->add_database(one);
            h->subs.push_back(one);
        }
        h->db = all.release();
        *out = h.release();
        return KBS_OK;
    }
    XS_CATCH(err, errlen)
}

void xs_db_close(xs_db *db) noexcept
{
    if (!db)
        return;
    try {
        /* Uncommitted changes are discarded, not committed behind the
         * caller's back: inside a transaction, close() drops them (Xapian 1.4
         * has no other way to discard). Callers commit explicitly to learn
         * whether their changes were saved. */
        if (db->wdb)
            db->wdb->begin_transaction(false);
        db->db->close();
    } catch (...) {
    }
    delete db;
}

const char *xs_db_errmsg(const xs_db *db) noexcept
{
    return db ? db->err : "";
}

int xs_db_commit_holding(xs_db *db, size_t hold_bytes) noexcept
{
    if (!db)
        return KBS_EINVAL;
    try {
        int st = need_writer(db);
        if (st != KBS_OK)
            return st;
        /* The positions of the documents written go in with them, unless a
         * scratch build may hold them for later. */
        if (!db->scratch || hold_bytes == 0 || db->posw.bytes() >= hold_bytes)
            db->posw.flush(*db->wdb);
        db->wdb->commit();
        return KBS_OK;
    }
    XS_CATCH_WRITE(db)
}

int xs_db_commit(xs_db *db) noexcept
{
    return xs_db_commit_holding(db, 0);
}

int xs_db_is_scratch(const xs_db *db) noexcept
{
    return db && db->scratch;
}

int xs_db_prune_positions(xs_db *db, int apply, uint64_t *stale) noexcept
{
    if (!db || !stale)
        return KBS_EINVAL;
    if (!db->shards.empty())
        return refuse_several(db, "xs_db_prune_positions");
    if (!apply) {
        try {
            *stale = kbs_shim::prune_positions(*db->db, nullptr);
            return KBS_OK;
        }
        XS_CATCH_DB(db)
    }
    try {
        int st = need_writer(db);
        if (st != KBS_OK)
            return st;
        db->posw.flush(*db->wdb);
        *stale = kbs_shim::prune_positions(*db->wdb, db->wdb);
        return KBS_OK;
    }
    XS_CATCH_WRITE(db)
}

int xs_db_form_alone(xs_db *db, const char *stem, size_t len, uint64_t hash, int *alone) noexcept
{
    if (!db || !stem || !len || !alone)
        return KBS_EINVAL;
    if (!db->shards.empty())
        return refuse_several(db, "xs_db_form_alone");
    try {
        bool a = false;
        read_retrying(db, [&] { a = kbs_shim::form_alone(*db->db, std::string(stem, len), hash); });
        *alone = a;
        return KBS_OK;
    }
    XS_CATCH_DB(db)
}

int xs_db_check_positions(xs_db *db, uint64_t *words, uint64_t *chunks, uint64_t *entries,
                          char *problem, size_t cap) noexcept
{
    if (!db || !words || !chunks || !entries || !problem || !cap)
        return KBS_EINVAL;
    if (!db->shards.empty())
        return refuse_several(db, "xs_db_check_positions");
    try {
        kbs_shim::PosCheck c;
        kbs_shim::check_positions(*db->db, c);
        *words = c.terms;
        *chunks = c.chunks;
        *entries = c.entries;
        snprintf(problem, cap, "%s", c.problem.c_str());
        return KBS_OK;
    }
    XS_CATCH_DB(db)
}

int xs_db_reopen(xs_db *db) noexcept
{
    if (!db)
        return KBS_EINVAL;
    try {
        db->db->reopen();
        return KBS_OK;
    }
    XS_CATCH_DB(db)
}

int xs_db_doc_count(xs_db *db, uint32_t *count) noexcept
{
    if (!db || !count)
        return KBS_EINVAL;
    try {
        Xapian::doccount n = 0;
        read_retrying(db, [&] { n = db->db->get_doccount(); });
        *count = n;
        return KBS_OK;
    }
    XS_CATCH_DB(db)
}

int xs_db_revision(xs_db *db, uint64_t *rev) noexcept
{
    if (!db || !rev)
        return KBS_EINVAL;
    if (!db->shards.empty())
        return refuse_several(db, "xs_db_revision");
    try {
        *rev = db->db->get_revision();
        return KBS_OK;
    }
    XS_CATCH_DB(db)
}

int xs_db_uuid(xs_db *db, char *out, size_t cap) noexcept
{
    if (!db || !out || !cap)
        return KBS_EINVAL;
    if (!db->shards.empty())
        return refuse_several(db, "xs_db_uuid");
    try {
        std::string u = db->db->get_uuid();
        if (u.empty() || u.size() >= cap)
            return set_error(db->err, sizeof db->err, KBS_EBACKEND, "xs_db_uuid: no uuid");
        std::memcpy(out, u.data(), u.size());
        out[u.size()] = '\0';
        return KBS_OK;
    }
    XS_CATCH_DB(db)
}

int xs_db_norms_load(xs_db *db, uint64_t *rev) noexcept
{
    if (!db || !rev)
        return KBS_EINVAL;
    if (!db->shards.empty())
        return refuse_several(db, "xs_db_norms_load");
    if (db->wdb)
        return set_error(db->err, sizeof db->err, KBS_EINVAL,
                         "xs_db_norms_load: a writer's lengths change under it");
    try {
        std::shared_ptr<const kbs_shim::Norms> n = db->norms;
        read_retrying(db, [&] {
            if (!n || n->revision != db->db->get_revision() || n->uuid != db->db->get_uuid())
                n = kbs_shim::load_norms(*db->db);
        });
        if (!n)
            return set_error(db->err, sizeof db->err, KBS_EBACKEND,
                             "xs_db_norms_load: the index's ids are mostly unused");
        db->norms = n;
        *rev = n->revision;
        return KBS_OK;
    }
    XS_CATCH_DB(db)
}

int xs_db_last_docid(xs_db *db, uint32_t *docid) noexcept
{
    if (!db || !docid)
        return KBS_EINVAL;
    try {
        Xapian::docid id = 0;
        read_retrying(db, [&] { id = db->db->get_lastdocid(); });
        *docid = from_xapian(db, id);
        return KBS_OK;
    }
    XS_CATCH_DB(db)
}

int xs_db_get_metadata(xs_db *db, const char *key, char **val, size_t *len) noexcept
{
    if (!db || !key || !*key || !val || !len)
        return KBS_EINVAL;
    try {
        std::string v;
        read_retrying(db, [&] { v = db->db->get_metadata(key); });
        if (v.empty()) {
            *val = nullptr;
            *len = 0;
            return KBS_OK;
        }
        return copy_out(v, val, len, db->err, sizeof db->err);
    }
    XS_CATCH_DB(db)
}

int xs_db_set_metadata(xs_db *db, const char *key, const char *val, size_t len) noexcept
{
    if (!db || !key || !*key || (!val && len))
        return KBS_EINVAL;
    try {
        int st = need_writer(db);
        if (st != KBS_OK)
            return st;
        db->wdb->set_metadata(key, std::string(val ? val : "", len));
        return KBS_OK;
    }
    XS_CATCH_WRITE(db)
}

/* ---- documents ---- */

int xs_doc_new(xs_doc **out) noexcept
{
    if (!out)
        return KBS_EINVAL;
    try {
        *out = new xs_doc();
        return KBS_OK;
    }
    XS_CATCH_NOHANDLE
}

void xs_doc_free(xs_doc *doc) noexcept
{
    delete doc;
}

int xs_doc_add_posting(xs_doc *doc, const char *term, size_t len, uint32_t pos, uint32_t wdf_inc,
                       unsigned form) noexcept
{
    if (!doc || !term || !len || form > 255)
        return KBS_EINVAL;
    try {
        if (len > kbs_shim::POS_TERM_MAX)
            return KBS_EINVAL;
        /* The Xapian document is given the word once, with its total wdf,
         * when it is written (settle_terms): its map of terms is then
         * searched once a word, not once an occurrence. */
        doc->pos.add(term, len, static_cast<uint64_t>(pos) << 8 | form, wdf_inc);
        return KBS_OK;
    }
    XS_CATCH_NOHANDLE
}

int xs_doc_add_form(xs_doc *doc, const char *term, size_t len, uint64_t hash) noexcept
{
    if (!doc || !term || !len)
        return KBS_EINVAL;
    try {
        if (len > kbs_shim::POS_TERM_MAX)
            return KBS_OK; /* no positions either: nothing to tell apart */
        doc->forms.emplace_back(std::string(term, len), hash);
        return KBS_OK;
    }
    XS_CATCH_NOHANDLE
}

int xs_doc_add_term(xs_doc *doc, const char *term, size_t len, uint32_t wdf_inc) noexcept
{
    if (!doc || !term || !len)
        return KBS_EINVAL;
    try {
        doc->doc.add_term(std::string(term, len), wdf_inc);
        return KBS_OK;
    }
    XS_CATCH_NOHANDLE
}

int xs_doc_set_value(xs_doc *doc, unsigned slot, const char *val, size_t len) noexcept
{
    if (!doc || (!val && len) || slot == Xapian::BAD_VALUENO)
        return KBS_EINVAL;
    try {
        doc->doc.add_value(slot, std::string(val ? val : "", len));
        return KBS_OK;
    }
    XS_CATCH_NOHANDLE
}

int xs_doc_set_data(xs_doc *doc, const char *data, size_t len) noexcept
{
    if (!doc || (!data && len))
        return KBS_EINVAL;
    try {
        doc->rec.assign(data ? data : "", len);
        return KBS_OK;
    }
    XS_CATCH_NOHANDLE
}

/* Gives doc's Xapian document the words xs_doc_add_posting() gathered;
 * every use of its terms comes after. */
static void settle_terms(xs_doc *doc)
{
    for (auto &w : doc->pos.words())
        if (w.pending) {
            doc->doc.add_term(w.term, w.wdf);
            w.wdf = 0;
            w.pending = false;
        }
}

/* Writes doc as did through write(), its positions noted (and the
 * document's copy of them freed) first: all the shim's own work on a
 * document comes before Xapian writes it, so that a write that damages the
 * heap (Xapian 1.4.22 does, on a damaged table: tests/test_misuse.c) is not
 * followed by ours. Throws what write() throws, the note taken back if
 * the handle goes on. */
template <typename Write>
static int replace_noted(xs_db *db, Xapian::docid did, xs_doc *doc, Write write, uint32_t *out)
{
    /* Ids are never given twice, so one at or below the last is this
     * article's own, written again. */
    db->posw.note(did, doc->pos, did <= db->wdb->get_lastdocid());
    /* Kept even if the write fails: a form recorded for nothing only costs
     * a search the reading of a stored text. */
    db->posw.note_forms(doc->forms);
    /* Freed now: a map freed after a write that damaged the heap crashed in
     * our frames (test_misuse). */
    doc->pos = kbs_shim::DocPositions();
    kbs_shim::DocForms().swap(doc->forms);
    Xapian::docid got;
    try {
        got = write();
    } catch (const Xapian::DatabaseError &) {
        /* These break the handle (XS_CATCH_WRITE), so its notes are never
         * written: nothing of ours walks a heap the write may have damaged. */
        throw;
    } catch (const Xapian::InvalidOperationError &) {
        throw; /* a scratch database's failed write: broken too */
    } catch (const Xapian::Error &) {
        /* Refused before anything changed: the handle goes on. */
        db->posw.unnote();
        throw;
    }
    if (got != did) {
        /* Not Xapian's documented choice: the positions would be another
         * document's. Nothing of this handle may be committed. */
        db->broken = 1;
        snprintf(db->broken_msg, sizeof db->broken_msg,
                 "the document was written as %u, its positions as %u", got, did);
        return set_error(db->err, sizeof db->err, KBS_EINTERNAL, db->broken_msg);
    }
    /* After the document: a write refused before anything changed (above)
     * leaves no record behind. A record that fails now has its document
     * written without it, so nothing of this handle may be committed. An
     * empty record deletes a replaced document's old one. */
    try {
        db->wdb->set_metadata(record_key(did), doc->rec);
    } catch (const Xapian::Error &) {
        db->broken = 1;
        snprintf(db->broken_msg, sizeof db->broken_msg,
                 "document %u was written, its record could not be", did);
        throw;
    }
    if (out)
        *out = got;
    return KBS_OK;
}

int xs_db_replace(xs_db *db, const char *idterm, size_t len, xs_doc *doc, uint32_t *docid) noexcept
{
    if (!db || !idterm || !len || !doc || !docid)
        return KBS_EINVAL;
    try {
        int st = need_writer(db);
        if (st != KBS_OK)
            return st;
        settle_terms(doc);
        std::string id(idterm, len);
        Xapian::TermIterator t = doc->doc.termlist_begin();
        t.skip_to(id);
        if (t == doc->doc.termlist_end() || *t != id)
            return set_error(db->err, sizeof db->err, KBS_EINVAL,
                             "xs_db_replace: the document does not contain its id term");
        /* The id replace_document() gives: the lowest of the documents
         * holding the term, else the next one. */
        Xapian::PostingIterator p = db->wdb->postlist_begin(id);
        Xapian::docid did = p != db->wdb->postlist_end(id) ? *p : db->wdb->get_lastdocid() + 1;
        return replace_noted(
            db, did, doc, [&] { return db->wdb->replace_document(id, doc->doc); }, docid);
    }
    XS_CATCH_WRITE(db)
}

int xs_db_delete(xs_db *db, const char *idterm, size_t len) noexcept
{
    /* An empty term would name every document. */
    if (!db || !idterm || !len)
        return KBS_EINVAL;
    try {
        int st = need_writer(db);
        if (st != KBS_OK)
            return st;
        std::string id(idterm, len);
        std::vector<Xapian::docid> gone;
        for (Xapian::PostingIterator p = db->wdb->postlist_begin(id),
                                     end = db->wdb->postlist_end(id);
             p != end; ++p)
            gone.push_back(*p);
        db->wdb->delete_document(id);
        /* A failure here is a DatabaseError (a full disk): the handle is
         * broken, and the deletion is never committed without these. */
        for (Xapian::docid did : gone)
            db->wdb->set_metadata(record_key(did), std::string());
        return KBS_OK;
    }
    XS_CATCH_WRITE(db)
}

int xs_db_find(xs_db *db, const char *idterm, size_t len, uint32_t *docid) noexcept
{
    if (!db || !idterm || !len || !docid)
        return KBS_EINVAL;
    try {
        std::string id(idterm, len);
        Xapian::docid found = 0;
        read_retrying(db, [&] {
            Xapian::PostingIterator p = db->db->postlist_begin(id);
            found = p == db->db->postlist_end(id) ? 0 : *p;
        });
        if (!found)
            return set_error(db->err, sizeof db->err, KBS_ENOTFOUND,
                             "no document has this id term");
        *docid = found;
        return KBS_OK;
    }
    XS_CATCH_DB(db)
}

int xs_db_get_value(xs_db *db, uint32_t docid, unsigned slot, char **val, size_t *len) noexcept
{
    if (!db || !val || !len || slot == Xapian::BAD_VALUENO)
        return KBS_EINVAL;
    try {
        std::string v;
        read_retrying(db, [&] { v = db->db->get_document(to_xapian(db, docid)).get_value(slot); });
        return copy_out(v, val, len, db->err, sizeof db->err);
    }
    XS_CATCH_DB(db)
}

int xs_db_get_data(xs_db *db, uint32_t docid, char **data, size_t *len) noexcept
{
    if (!db || !data || !len)
        return KBS_EINVAL;
    try {
        std::string d;
        read_retrying(db, [&] {
            /* The document first: a missing one is KBS_ENOTFOUND. */
            (void)db->db->get_document(to_xapian(db, docid));
            d = read_record(db, docid);
        });
        return copy_out(d, data, len, db->err, sizeof db->err);
    }
    XS_CATCH_DB(db)
}

int xs_db_hit_value(xs_db *db, uint32_t docid, unsigned slot, char **val, size_t *len) noexcept
{
    if (!db || !val || !len || docid == 0 || slot == Xapian::BAD_VALUENO)
        return KBS_EINVAL;
    try {
        std::string v;
        read_retrying(db, [&] {
            v = db->db->get_document(to_xapian(db, docid), Xapian::DOC_ASSUME_VALID)
                    .get_value(slot);
        });
        return copy_out(v, val, len, db->err, sizeof db->err);
    }
    XS_CATCH_DB(db)
}

int xs_db_hit_data(xs_db *db, uint32_t docid, char **data, size_t *len) noexcept
{
    if (!db || !data || !len || docid == 0)
        return KBS_EINVAL;
    try {
        std::string d;
        read_retrying(db, [&] { d = read_record(db, docid); });
        return copy_out(d, data, len, db->err, sizeof db->err);
    }
    XS_CATCH_DB(db)
}

int xs_db_hit_values(xs_db *db, unsigned slot, const uint32_t *docids, size_t n, char **vals,
                     size_t *lens) noexcept
{
    if (!db || (n && (!docids || !vals || !lens)) || slot == Xapian::BAD_VALUENO)
        return KBS_EINVAL;
    if (!db->shards.empty())
        return refuse_several(db, "xs_db_hit_values");
    try {
        std::vector<size_t> order(n);
        for (size_t i = 0; i < n; i++)
            order[i] = i;
        std::sort(order.begin(), order.end(),
                  [&](size_t a, size_t b) { return docids[a] < docids[b]; });
        std::vector<std::string> got(n);
        read_retrying(db, [&] {
            for (std::string &g : got) /* a retry reads a newer revision afresh */
                g.clear();
            Xapian::ValueIterator v = db->db->valuestream_begin(slot);
            Xapian::ValueIterator end = db->db->valuestream_end(slot);
            for (size_t k = 0; k < n && v != end; k++) {
                size_t i = order[k];
                v.skip_to(docids[i]);
                if (v != end && v.get_docid() == docids[i])
                    got[i] = *v;
            }
        });
        size_t done = 0;
        int st = KBS_OK;
        for (; done < n && st == KBS_OK; done++)
            st = copy_out(got[done], &vals[done], &lens[done], db->err, sizeof db->err);
        if (st != KBS_OK) {
            for (size_t i = 0; i + 1 < done; i++)
                std::free(vals[i]);
            return st;
        }
        return KBS_OK;
    }
    XS_CATCH_DB(db)
}

int xs_db_prefix_postlists(xs_db *db, const char *prefix, size_t plen, uint32_t min_freq,
                           uint32_t max_freq, xs_postlist_cb cb, void *ctx) noexcept
{
    if (!db || (!prefix && plen) || !cb)
        return KBS_EINVAL;
    try {
        std::string pre(prefix ? prefix : "", plen);
        std::vector<Xapian::Database> subs = db->subs;
        if (subs.empty())
            subs.push_back(*db->db);
        /* A retry must not hand cb a term twice: it resumes after the last
         * term delivered. */
        std::string last;
        bool delivered = false;
        read_retrying(db, [&] {
            /* Each database's terms, merged in order: a term's databases
             * are those whose cursor stands on it. */
            struct Cur {
                Xapian::TermIterator it, end;
                std::string term;
            };
            std::vector<Cur> cur;
            for (const Xapian::Database &d : subs) {
                Cur c{d.allterms_begin(pre), d.allterms_end(pre), std::string()};
                if (delivered) {
                    c.it.skip_to(last);
                    if (c.it != c.end && *c.it == last)
                        ++c.it;
                }
                if (c.it != c.end)
                    c.term = *c.it;
                cur.push_back(std::move(c));
            }
            std::vector<size_t> holders;
            std::vector<uint32_t> ids;
            for (;;) {
                const std::string *low = nullptr;
                for (const Cur &c : cur)
                    if (c.it != c.end && (!low || c.term < *low))
                        low = &c.term;
                if (!low)
                    break;
                std::string term = *low;
                holders.clear();
                Xapian::doccount freq = 0;
                for (size_t i = 0; i < cur.size(); i++)
                    if (cur[i].it != cur[i].end && cur[i].term == term) {
                        holders.push_back(i);
                        freq += cur[i].it.get_termfreq();
                    }
                bool stop = false;
                if (freq >= min_freq && freq <= max_freq) {
                    ids.clear();
                    for (size_t i : holders)
                        for (Xapian::PostingIterator p = subs[i].postlist_begin(term),
                                                     pend = subs[i].postlist_end(term);
                             p != pend; ++p)
                            ids.push_back(*p);
                    std::sort(ids.begin(), ids.end());
                    stop = cb(ctx, term.data(), term.size(), ids.data(), ids.size()) != 0;
                }
                last = term;
                delivered = true;
                if (stop)
                    break;
                for (size_t i : holders) {
                    ++cur[i].it;
                    if (cur[i].it != cur[i].end)
                        cur[i].term = *cur[i].it;
                }
            }
        });
        return KBS_OK;
    }
    XS_CATCH_DB(db)
}

int xs_db_allterms(xs_db *db, const char *prefix, size_t plen, xs_term_cb cb, void *ctx) noexcept
{
    if (!db || (!prefix && plen) || !cb)
        return KBS_EINVAL;
    try {
        std::string pre(prefix ? prefix : "", plen);
        /* A retry must not hand cb a term twice: it resumes after the last
         * term delivered. */
        std::string last;
        bool delivered = false;
        read_retrying(db, [&] {
            Xapian::TermIterator it = db->db->allterms_begin(pre);
            Xapian::TermIterator end = db->db->allterms_end(pre);
            if (delivered) {
                it.skip_to(last);
                if (it != end && *it == last)
                    ++it;
            }
            for (; it != end; ++it) {
                std::string t = *it;
                Xapian::doccount freq = it.get_termfreq();
                last = t;
                delivered = true;
                if (cb(ctx, t.data(), t.size(), freq) != 0)
                    break;
            }
        });
        return KBS_OK;
    }
    XS_CATCH_DB(db)
}

int xs_db_termfreq(xs_db *db, const char *term, size_t len, uint32_t *freq) noexcept
{
    if (!db || (!term && len) || !freq)
        return KBS_EINVAL;
    try {
        std::string t(term ? term : "", len);
        Xapian::doccount f = 0;
        read_retrying(db, [&] { f = db->db->get_termfreq(t); });
        *freq = f;
        return KBS_OK;
    }
    XS_CATCH_DB(db)
}

int xs_db_value_bounds(xs_db *db, unsigned slot, char **lo, char **hi) noexcept
{
    if (!db || !lo || !hi || slot == Xapian::BAD_VALUENO)
        return KBS_EINVAL;
    try {
        std::string l, h;
        read_retrying(db, [&] {
            l = db->db->get_value_lower_bound(slot);
            h = db->db->get_value_upper_bound(slot);
        });
        char *a = nullptr, *b = nullptr;
        int st = copy_out(l, &a, nullptr, db->err, sizeof db->err);
        if (st == KBS_OK && (st = copy_out(h, &b, nullptr, db->err, sizeof db->err)) != KBS_OK)
            std::free(a);
        if (st != KBS_OK)
            return st;
        *lo = a;
        *hi = b;
        return KBS_OK;
    }
    XS_CATCH_DB(db)
}

int xs_db_term_stats(xs_db *db, uint32_t docid, const char *term, size_t len,
                     xs_term_stats *out) noexcept
{
    if (!db || !term || !len || !out)
        return KBS_EINVAL;
    if (!db->shards.empty())
        return refuse_several(db, "xs_db_term_stats");
    try {
        std::string t(term, len);
        xs_term_stats r{};
        read_retrying(db, [&] {
            r.termfreq = db->db->get_termfreq(t);
            r.doclength = db->db->get_doclength(docid);
            r.avlength = db->db->get_avlength();
            r.doccount = db->db->get_doccount();
            r.wdf = 0;
            Xapian::PostingIterator it = db->db->postlist_begin(t);
            it.skip_to(docid);
            if (it != db->db->postlist_end(t) && *it == docid)
                r.wdf = it.get_wdf();
        });
        *out = r;
        return KBS_OK;
    }
    XS_CATCH_DB(db)
}

/* ---- spelling ---- */

int xs_db_add_spelling(xs_db *db, const char *word, size_t len, uint32_t freqinc) noexcept
{
    if (!db || !word || !len || !freqinc)
        return KBS_EINVAL;
    try {
        int st = need_writer(db);
        if (st != KBS_OK)
            return st;
        db->wdb->add_spelling(std::string(word, len), freqinc);
        return KBS_OK;
    }
    XS_CATCH_WRITE(db)
}

int xs_db_spelling_suggestion(xs_db *db, const char *word, size_t len, unsigned max_edit,
                              char **out) noexcept
{
    if (!db || !word || !len || !out)
        return KBS_EINVAL;
    try {
        std::string w(word, len), s;
        read_retrying(db, [&] { s = db->db->get_spelling_suggestion(w, max_edit); });
        if (s.empty()) {
            *out = nullptr;
            return KBS_OK;
        }
        return copy_out(s, out, nullptr, db->err, sizeof db->err);
    }
    XS_CATCH_DB(db)
}

int xs_db_matching_terms(xs_db *db, const xs_query *q, uint32_t docid, xs_term_cb cb,
                         void *ctx) noexcept
{
    if (!db || !q || !cb)
        return KBS_EINVAL;
    if (!db->shards.empty())
        return refuse_several(db, "xs_db_matching_terms");
    try {
        std::vector<std::string> terms;
        read_retrying(db, [&] {
            terms.clear();
            Xapian::Enquire enq(*db->db);
            enq.set_query(q->node->q);
            for (Xapian::TermIterator it = enq.get_matching_terms_begin(docid);
                 it != enq.get_matching_terms_end(docid); ++it)
                terms.push_back(*it);
        });
        for (const std::string &t : terms)
            if (cb(ctx, t.data(), t.size(), 0) != 0)
                break;
        return KBS_OK;
    }
    XS_CATCH_DB(db)
}

/* ---- queries ---- */

int xs_query_term(const char *term, size_t len, uint32_t wqf, uint32_t pos, xs_query **out) noexcept
{
    if (!term || !len || !out)
        return KBS_EINVAL;
    try {
        std::shared_ptr<kbs_shim::QNode> n = std::make_shared<kbs_shim::QNode>();
        n->kind = kbs_shim::QNode::TERM;
        n->q = Xapian::Query(std::string(term, len), wqf, pos);
        n->term.assign(term, len);
        n->wqf = wqf;
        *out = new xs_query{n};
        return KBS_OK;
    }
    XS_CATCH_NOHANDLE
}

int xs_query_set_form(xs_query *q, unsigned form) noexcept
{
    if (!q || !q->node || q->node->kind != kbs_shim::QNode::TERM || form > 255)
        return KBS_EINVAL;
    try {
        /* A node may be shared by queries combined from it: a copy. */
        std::shared_ptr<kbs_shim::QNode> n = std::make_shared<kbs_shim::QNode>(*q->node);
        n->form = static_cast<int>(form);
        q->node = n;
        return KBS_OK;
    }
    XS_CATCH_NOHANDLE
}

int xs_query_combine(int op, xs_query *const *subs, size_t n, uint32_t param,
                     xs_query **out) noexcept
{
    if ((!subs && n) || !out)
        return KBS_EINVAL;
    Xapian::Query::op xop;
    switch (op) {
    case XS_OP_AND:
        xop = Xapian::Query::OP_AND;
        break;
    case XS_OP_OR:
        xop = Xapian::Query::OP_OR;
        break;
    case XS_OP_AND_NOT:
        xop = Xapian::Query::OP_AND_NOT;
        break;
    case XS_OP_AND_MAYBE:
        xop = Xapian::Query::OP_AND_MAYBE;
        break;
    case XS_OP_FILTER:
        xop = Xapian::Query::OP_FILTER;
        break;
    case XS_OP_PHRASE:
        xop = Xapian::Query::OP_PHRASE;
        break;
    case XS_OP_NEAR:
        xop = Xapian::Query::OP_NEAR;
        break;
    case XS_OP_SYNONYM:
        xop = Xapian::Query::OP_SYNONYM;
        break;
    default:
        return KBS_EINVAL;
    }
    for (size_t i = 0; i < n; i++)
        if (!subs[i])
            return KBS_EINVAL;
    try {
        std::vector<Xapian::Query> qs;
        qs.reserve(n);
        for (size_t i = 0; i < n; i++)
            qs.push_back(subs[i]->node->q);
        /* The window only means something to the positional operators;
         * Xapian reads 0 as "the number of subqueries". */
        Xapian::termcount window =
            (op == XS_OP_PHRASE || op == XS_OP_NEAR) ? static_cast<Xapian::termcount>(param) : 0;
        if ((op == XS_OP_PHRASE || op == XS_OP_NEAR) && n >= 2) {
            /* Positions are not in Xapian's table (positions.h): the AND of
             * the terms, filtered by where they stand. */
            for (size_t i = 0; i < n; i++)
                if (subs[i]->node->kind != kbs_shim::QNode::TERM)
                    return KBS_EINVAL;
            std::vector<std::string> names;
            std::vector<int> forms;
            std::shared_ptr<kbs_shim::QNode> andn = std::make_shared<kbs_shim::QNode>();
            andn->kind = kbs_shim::QNode::COMBINE;
            andn->op = Xapian::Query::OP_AND;
            andn->q = Xapian::Query(Xapian::Query::OP_AND, qs.begin(), qs.end());
            for (size_t i = 0; i < n; i++) {
                andn->kids.push_back(subs[i]->node);
                names.push_back(subs[i]->node->term);
                /* NEAR matches stems, as its words are not quoted. */
                forms.push_back(op == XS_OP_PHRASE ? subs[i]->node->form : -1);
            }
            std::shared_ptr<kbs_shim::QNode> srcn = std::make_shared<kbs_shim::QNode>();
            srcn->kind = kbs_shim::QNode::OTHER;
            srcn->tally = std::make_shared<kbs_shim::PosTally>();
            /* Kept for a search that weighs the stems through the norms
             * (norms.h), which copies it with their weights; the query has
             * a copy without. */
            srcn->pos = std::make_shared<kbs_shim::PosSource>(names, forms, window,
                                                              op == XS_OP_PHRASE, srcn->tally);
            srcn->q = Xapian::Query(srcn->pos->clone()->release());
            std::shared_ptr<kbs_shim::QNode> node = std::make_shared<kbs_shim::QNode>();
            node->kind = kbs_shim::QNode::COMBINE;
            node->op = Xapian::Query::OP_FILTER;
            node->q = Xapian::Query(Xapian::Query::OP_FILTER, andn->q, srcn->q);
            node->kids.push_back(andn);
            node->kids.push_back(srcn);
            *out = new xs_query{node};
            return KBS_OK;
        }
        std::shared_ptr<kbs_shim::QNode> node = std::make_shared<kbs_shim::QNode>();
        node->kind = kbs_shim::QNode::COMBINE;
        node->q = Xapian::Query(xop, qs.begin(), qs.end(), window);
        node->op = xop;
        node->kids.reserve(n);
        for (size_t i = 0; i < n; i++)
            node->kids.push_back(subs[i]->node);
        *out = new xs_query{node};
        return KBS_OK;
    }
    XS_CATCH_NOHANDLE
}

int xs_query_scale(const xs_query *q, double factor, xs_query **out) noexcept
{
    if (!q || !out || !std::isfinite(factor) || factor < 0)
        return KBS_EINVAL;
    try {
        *out = other_query(Xapian::Query(factor, q->node->q));
        return KBS_OK;
    }
    XS_CATCH_NOHANDLE
}

int xs_query_value_range(unsigned slot, const char *lo, const char *hi, xs_query **out) noexcept
{
    if (!out || slot == Xapian::BAD_VALUENO)
        return KBS_EINVAL;
    try {
        Xapian::Query q;
        if (lo && hi)
            q = Xapian::Query(Xapian::Query::OP_VALUE_RANGE, slot, lo, hi);
        else if (hi)
            q = Xapian::Query(Xapian::Query::OP_VALUE_LE, slot, hi);
        else /* GE "" is every document with a value in slot */
            q = Xapian::Query(Xapian::Query::OP_VALUE_GE, slot, lo ? lo : "");
        *out = other_query(q);
        return KBS_OK;
    }
    XS_CATCH_NOHANDLE
}

int xs_query_wildcard(const char *prefix, size_t len, uint32_t max_terms, xs_query **out) noexcept
{
    if (!prefix || !len || !out)
        return KBS_EINVAL;
    try {
        /* Xapian 1.4 reads max_expansion 0 as "no limit" only for the other
         * limit types: with MOST_FREQUENT it keeps zero terms. */
        int max_type = max_terms ? Xapian::Query::WILDCARD_LIMIT_MOST_FREQUENT
                                 : Xapian::Query::WILDCARD_LIMIT_ERROR;
        /* OP_SYNONYM (Xapian's default) scores the expansion as one term, so
         * a document is not ranked up for holding many words of the prefix;
         * and Xapian 1.4.22 leaks weight objects with OP_OR + MOST_FREQUENT. */
        std::shared_ptr<kbs_shim::QNode> n = std::make_shared<kbs_shim::QNode>();
        n->kind = kbs_shim::QNode::WILDCARD;
        n->term.assign(prefix, len);
        n->max_expansion = max_terms;
        n->q = Xapian::Query(Xapian::Query::OP_WILDCARD, n->term, max_terms, max_type,
                             Xapian::Query::OP_SYNONYM);
        *out = new xs_query{n};
        return KBS_OK;
    }
    XS_CATCH_NOHANDLE
}

namespace
{

/* The posting list of a term, less the documents where every occurrence is
 * the title's: wdf(term) > title_wdf * wdf(title term). A document missing
 * from the title term's list passes without reading more. */
class BodyOnlySource : public Xapian::PostingSource
{
  public:
    BodyOnlySource(const std::string &term, const std::string &title_term,
                   Xapian::termcount title_wdf)
        : term_(term), title_term_(title_term), title_wdf_(title_wdf)
    {
    }
    Xapian::PostingSource *clone() const override
    {
        return new BodyOnlySource(term_, title_term_, title_wdf_);
    }
    void init(const Xapian::Database &db) override
    {
        it_ = db.postlist_begin(term_);
        end_ = db.postlist_end(term_);
        tit_ = db.postlist_begin(title_term_);
        tend_ = db.postlist_end(title_term_);
        tf_ = db.get_termfreq(term_);
        started_ = false;
    }
    Xapian::doccount get_termfreq_min() const override
    {
        return 0;
    }
    Xapian::doccount get_termfreq_est() const override
    {
        return tf_;
    }
    Xapian::doccount get_termfreq_max() const override
    {
        return tf_;
    }
    void next(double) override
    {
        if (started_)
            ++it_;
        started_ = true;
        settle();
    }
    void skip_to(Xapian::docid did, double) override
    {
        started_ = true;
        if (it_ != end_ && *it_ < did)
            it_.skip_to(did);
        settle();
    }
    bool at_end() const override
    {
        return started_ && it_ == end_;
    }
    Xapian::docid get_docid() const override
    {
        return *it_;
    }
    std::string get_description() const override
    {
        return "BodyOnly " + term_;
    }

  private:
    bool in_body()
    {
        Xapian::docid d = *it_;
        if (tit_ != tend_ && *tit_ < d)
            tit_.skip_to(d);
        if (tit_ == tend_ || *tit_ != d)
            return true;
        return it_.get_wdf() > title_wdf_ * tit_.get_wdf();
    }
    void settle()
    {
        while (it_ != end_ && !in_body())
            ++it_;
    }

    std::string term_, title_term_;
    Xapian::termcount title_wdf_;
    Xapian::PostingIterator it_, end_, tit_, tend_;
    Xapian::doccount tf_ = 0;
    bool started_ = false;
};

} // namespace

int xs_query_body_only(const char *term, size_t len, const char *title_term, size_t tlen,
                       uint32_t title_wdf, xs_query **out) noexcept
{
    if (!term || !len || !title_term || !tlen || !out)
        return KBS_EINVAL;
    try {
        std::unique_ptr<BodyOnlySource> src(
            new BodyOnlySource(std::string(term, len), std::string(title_term, tlen), title_wdf));
        src->release(); /* counted from here: the query's copy keeps it */
        Xapian::Query q(src.get());
        src.release(); /* the query owns it now; a throw above left it to src */
        *out = other_query(q);
        return KBS_OK;
    }
    XS_CATCH_NOHANDLE
}

int xs_query_match_all(xs_query **out) noexcept
{
    if (!out)
        return KBS_EINVAL;
    try {
        /* A fresh Query(""), not a copy of the static Xapian::Query::MatchAll:
         * its reference count is not atomic, and handles of different
         * threads would all touch it. */
        *out = other_query(Xapian::Query(std::string()));
        return KBS_OK;
    }
    XS_CATCH_NOHANDLE
}

void xs_query_free(xs_query *q) noexcept
{
    delete q;
}

char *xs_query_describe(const xs_query *q) noexcept
{
    if (!q)
        return nullptr;
    try {
        std::string d = q->node->q.get_description();
        char *p = nullptr;
        if (copy_out(d, &p, nullptr, nullptr, 0) != KBS_OK)
            return nullptr;
        return p;
    } catch (...) {
        return nullptr;
    }
}

/* ---- searching ---- */

/* Lets C code accept or reject a candidate document by its stored data.
 * The C callback cannot throw, so nothing crosses it. */
class CDecider : public Xapian::MatchDecider
{
  public:
    CDecider(const xs_db *db, xs_decider_fn fn, void *ctx) : db_(db), fn_(fn), ctx_(ctx)
    {
    }
    bool operator()(const Xapian::Document &doc) const override
    {
        Xapian::docid id = from_xapian(db_, doc.get_docid());
        std::string d = read_record(db_, id);
        return fn_(ctx_, id, d.data(), d.size()) != 0;
    }

  private:
    const xs_db *db_;
    xs_decider_fn fn_;
    void *ctx_;
};

/* The tallies of node's phrases and NEARs (positions.h), onto out. */
static void gather_tallies(const kbs_shim::QNode &node, std::vector<kbs_shim::PosTally *> &out)
{
    if (node.tally)
        out.push_back(node.tally.get());
    for (const auto &k : node.kids)
        gather_tallies(*k, out);
}

int xs_db_search(xs_db *db, const xs_query *q, const xs_search_params *params, xs_match *matches,
                 xs_search_result *res) noexcept
{
    if (!db || !q || !params || !res || (params->limit && !matches))
        return KBS_EINVAL;
    if (!std::isfinite(params->k1) || !std::isfinite(params->b))
        return set_error(db->err, sizeof db->err, KBS_EINVAL,
                         "xs_db_search: k1 and b must be finite");
    if (!db->shards.empty())
        return refuse_several(db, "xs_db_search");
    try {
        xs_search_result r{};
        std::vector<kbs_shim::PosTally *> tallies;
        gather_tallies(*q->node, tallies);
        /* Once the handle reopened on a newer revision (the retry), the
         * norms are not that revision's. */
        bool first = true;
        read_retrying(db, [&] {
            for (kbs_shim::PosTally *t : tallies)
                *t = kbs_shim::PosTally();
            bool norms = params->norms && db->norms && first;
            first = false;
            Xapian::Enquire enq(*db->db);
            if (norms)
                enq.set_query(
                    kbs_shim::with_norms(*q->node, *db->db, db->norms, params->k1, params->b));
            else
                enq.set_query(q->node->q);
            enq.set_weighting_scheme(Xapian::BM25Weight(params->k1, 0, 1, params->b, 0.5));
            enq.set_docid_order(Xapian::Enquire::ASCENDING);
            /* Documents without the value sort last in either direction: an
             * undated article is neither the newest nor the oldest. */
            Xapian::MultiValueKeyMaker keymaker;
            if (params->sort_slot >= 0) {
                bool rev = params->sort_reverse != 0;
                keymaker.add_value(static_cast<Xapian::valueno>(params->sort_slot), rev,
                                   rev ? std::string() : std::string(1, '\xff'));
                enq.set_sort_by_key_then_relevance(&keymaker, false);
            }
            /* Collapsing reads the slot of every candidate that could make
             * the page (a value block read each: 7-23% of a query on Reuters,
             * bench/README.md). When no document has the slot there is
             * nothing to collapse, and the page, the counts and the estimate
             * come out the same without it. The count is Xapian's own, kept
             * at indexing (one lookup). */
            if (params->collapse && db->db->get_value_freq(params->collapse_slot) > 0)
                enq.set_collapse_key(params->collapse_slot);
            std::vector<std::unique_ptr<Xapian::ValueCountMatchSpy>> spies;
            /* Room first: emplace_back(new ...) growing the vector would throw
             * with the new spy in no unique_ptr yet, and leak it. */
            spies.reserve(params->nspy_slots);
            for (size_t i = 0; i < params->nspy_slots; i++) {
                spies.emplace_back(new Xapian::ValueCountMatchSpy(params->spy_slots[i]));
                enq.add_matchspy(spies.back().get());
            }
            CDecider decider(db, params->decider, params->decider_ctx);
            Xapian::MSet mset = enq.get_mset(params->offset, params->limit, params->check_at_least,
                                             nullptr, params->decider ? &decider : nullptr);
            size_t n = 0;
            for (Xapian::MSetIterator it = mset.begin(); it != mset.end() && n < params->limit;
                 ++it, ++n) {
                matches[n].docid = *it;
                matches[n].weight = it.get_weight();
                matches[n].collapsed = it.get_collapse_count();
            }
            if (params->spy_cb) {
                for (size_t i = 0; i < spies.size(); i++) {
                    for (Xapian::TermIterator v = spies[i]->values_begin();
                         v != spies[i]->values_end(); ++v) {
                        const std::string &val = *v;
                        if (!val.empty() &&
                            params->spy_cb(params->spy_ctx, params->spy_slots[i], val.data(),
                                           val.size(), v.get_termfreq()) != 0)
                            break;
                    }
                }
            }
            r.estimated = mset.get_matches_estimated();
            r.lower = mset.get_matches_lower_bound();
            r.upper = mset.get_matches_upper_bound();
            r.n = n;
            r.pos_checked = r.pos_matched = r.pos_led = 0;
            r.pos_light = r.pos_light_checked = r.pos_light_matched = 0;
            for (const kbs_shim::PosTally *t : tallies) {
                r.pos_checked += t->checked;
                r.pos_matched += t->matched;
                r.pos_led += t->led;
                r.pos_light += t->light;
                r.pos_light_checked += t->light_checked;
                r.pos_light_matched += t->light_matched;
            }
        });
        *res = r;
        return KBS_OK;
    }
    XS_CATCH_DB(db)
}

/* ---- whole-database maintenance ---- */

/* Calls cb for each document of term's posting list ("" : every document).
 * Like xs_db_allterms, a retry resumes after the last id delivered. Throws:
 * the callers catch. */
static void each_posting(xs_db *db, const std::string &term, xs_docid_cb cb, void *ctx)
{
    Xapian::docid last = 0;
    read_retrying(db, [&] {
        Xapian::PostingIterator it = db->db->postlist_begin(term);
        Xapian::PostingIterator end = db->db->postlist_end(term);
        if (last)
            it.skip_to(last + 1);
        for (; it != end; ++it) {
            last = *it;
            if (cb(ctx, from_xapian(db, last)) != 0)
                break;
        }
    });
}

int xs_db_alldocs(xs_db *db, xs_docid_cb cb, void *ctx) noexcept
{
    if (!db || !cb)
        return KBS_EINVAL;
    try {
        each_posting(db, std::string(), cb, ctx);
        return KBS_OK;
    }
    XS_CATCH_DB(db)
}

int xs_db_has_record(xs_db *db, uint32_t docid, int *has) noexcept
{
    if (!db || !docid || !has)
        return KBS_EINVAL;
    try {
        /* A look-up, not a walk of the keys: Xapian 1.4.22's TermIterator
         * leaks its list when the list's first step throws (a damaged
         * table), where a failed look-up leaks nothing. */
        std::string d;
        read_retrying(db, [&] { d = read_record(db, docid); });
        *has = !d.empty();
        return KBS_OK;
    }
    XS_CATCH_DB(db)
}

int xs_db_put_record(xs_db *db, uint32_t docid, const char *data, size_t len) noexcept
{
    if (!db || !docid || (!data && len))
        return KBS_EINVAL;
    try {
        int st = need_writer(db);
        if (st != KBS_OK)
            return st;
        db->wdb->set_metadata(record_key(docid), std::string(data ? data : "", len));
        return KBS_OK;
    }
    XS_CATCH_WRITE(db)
}

int xs_db_doc_terms(xs_db *db, uint32_t docid, const char *prefix, size_t plen, xs_term_cb cb,
                    void *ctx) noexcept
{
    if (!db || !docid || (!prefix && plen) || !cb)
        return KBS_EINVAL;
    try {
        std::string pre(prefix ? prefix : "", plen);
        /* Collected first, so that a retry cannot hand cb a term twice. */
        std::vector<std::pair<std::string, Xapian::doccount>> terms;
        read_retrying(db, [&] {
            terms.clear();
            Xapian::TermIterator it = db->db->termlist_begin(to_xapian(db, docid));
            Xapian::TermIterator end = db->db->termlist_end(to_xapian(db, docid));
            it.skip_to(pre);
            for (; it != end; ++it) {
                std::string t = *it;
                if (t.compare(0, pre.size(), pre) != 0)
                    break;
                terms.emplace_back(t, it.get_termfreq());
            }
        });
        for (const auto &t : terms)
            if (cb(ctx, t.first.data(), t.first.size(), t.second) != 0)
                break;
        return KBS_OK;
    }
    XS_CATCH_DB(db)
}

int xs_db_replace_docid(xs_db *db, uint32_t docid, xs_doc *doc) noexcept
{
    if (!db || !docid || !doc)
        return KBS_EINVAL;
    try {
        int st = need_writer(db);
        if (st != KBS_OK)
            return st;
        settle_terms(doc);
        return replace_noted(
            db, docid, doc,
            [&] {
                db->wdb->replace_document(docid, doc->doc);
                return static_cast<Xapian::docid>(docid);
            },
            nullptr);
    }
    XS_CATCH_WRITE(db)
}

int xs_db_set_doc_value(xs_db *db, uint32_t docid, unsigned slot, const char *val,
                        size_t len) noexcept
{
    if (!db || !docid || (!val && len) || slot == Xapian::BAD_VALUENO)
        return KBS_EINVAL;
    try {
        int st = need_writer(db);
        if (st != KBS_OK)
            return st;
        /* Nothing may open another document of this database between the
         * two calls: the replace recognises the document it handed out
         * last, and then rewrites only what changed (the values). */
        Xapian::Document d = db->wdb->get_document(docid);
        if (len)
            d.add_value(slot, std::string(val, len));
        else
            d.remove_value(slot);
        db->wdb->replace_document(docid, d);
        return KBS_OK;
    } catch (const Xapian::DocNotFoundError &) {
        return set_error(db->err, sizeof db->err, KBS_ENOTFOUND, "no such document");
    }
    XS_CATCH_WRITE(db)
}

/* Whether doc's values are those of stored, slot keep of stored aside. */
static bool same_values(const Xapian::Document &doc, const Xapian::Document &stored, unsigned keep)
{
    Xapian::ValueIterator a = doc.values_begin(), b = stored.values_begin();
    for (;;) {
        if (b != stored.values_end() && b.get_valueno() == keep)
            ++b;
        bool aend = a == doc.values_end(), bend = b == stored.values_end();
        if (aend || bend)
            return aend && bend;
        if (a.get_valueno() != b.get_valueno() || *a != *b)
            return false;
        ++a;
        ++b;
    }
}

int xs_db_update(xs_db *db, uint32_t docid, xs_doc *doc, unsigned keep_slot, int *kept) noexcept
{
    if (!db || !docid || !doc || !kept)
        return KBS_EINVAL;
    *kept = 0;
    try {
        int st = need_writer(db);
        if (st != KBS_OK)
            return st;
        settle_terms(doc);
        bool same;
        {
            Xapian::Document stored = db->wdb->get_document(docid);
            same = same_values(doc->doc, stored, keep_slot);
        }
        auto put = [&](const Xapian::Document &d) {
            db->wdb->replace_document(docid, d);
            return static_cast<Xapian::docid>(docid);
        };
        if (!same)
            return replace_noted(
                db, docid, doc, [&] { return put(doc->doc); }, nullptr);
        /* The stored document, opened last (glass's modify shortcut
         * recognises only that one), with doc's terms (its record goes to
         * the metadata, its positions to the chunks, positions.h): its
         * values are never read, so the replace leaves them alone. */
        Xapian::Document d = db->wdb->get_document(docid);
        d.clear_terms();
        const Xapian::Document &n = doc->doc;
        for (Xapian::TermIterator t = n.termlist_begin(); t != n.termlist_end(); ++t)
            d.add_term(*t, t.get_wdf());
        st = replace_noted(
            db, docid, doc, [&] { return put(d); }, nullptr);
        *kept = st == KBS_OK;
        return st;
    } catch (const Xapian::DocNotFoundError &) {
        return set_error(db->err, sizeof db->err, KBS_ENOTFOUND, "no such document");
    }
    XS_CATCH_WRITE(db)
}

int xs_db_postlist(xs_db *db, const char *term, size_t len, xs_docid_cb cb, void *ctx) noexcept
{
    if (!db || !term || !len || !cb)
        return KBS_EINVAL;
    try {
        each_posting(db, std::string(term, len), cb, ctx);
        return KBS_OK;
    }
    XS_CATCH_DB(db)
}

int xs_db_values(xs_db *db, unsigned slot, xs_value_cb cb, void *ctx) noexcept
{
    if (!db || !cb || slot == Xapian::BAD_VALUENO)
        return KBS_EINVAL;
    try {
        Xapian::docid last = 0;
        read_retrying(db, [&] {
            Xapian::ValueIterator it = db->db->valuestream_begin(slot);
            Xapian::ValueIterator end = db->db->valuestream_end(slot);
            if (last)
                it.skip_to(last + 1);
            for (; it != end; ++it) {
                last = it.get_docid();
                std::string v = *it;
                if (cb(ctx, from_xapian(db, last), v.data(), v.size()) != 0)
                    break;
            }
        });
        return KBS_OK;
    }
    XS_CATCH_DB(db)
}

namespace
{
/* Hands Xapian's expand decider over to a C filter. */
class CTermFilter : public Xapian::ExpandDecider
{
  public:
    CTermFilter(xs_term_filter fn, void *ctx) : fn_(fn), ctx_(ctx)
    {
    }
    bool operator()(const std::string &term) const override
    {
        return fn_(ctx_, term.data(), term.size()) != 0;
    }

  private:
    xs_term_filter fn_;
    void *ctx_;
};
} // namespace

int xs_db_expand(xs_db *db, const uint32_t *docids, size_t n, uint32_t max_terms,
                 xs_term_filter accept, void *accept_ctx, xs_weighted_term_cb cb,
                 void *ctx) noexcept
{
    if (!db || !docids || !n || !cb)
        return KBS_EINVAL;
    if (!db->shards.empty())
        return refuse_several(db, "xs_db_expand");
    try {
        std::vector<std::pair<std::string, double>> terms;
        read_retrying(db, [&] {
            terms.clear();
            Xapian::Enquire enq(*db->db);
            Xapian::RSet rset;
            for (size_t i = 0; i < n; i++)
                rset.add_document(docids[i]);
            CTermFilter filter(accept, accept_ctx);
            Xapian::ESet eset = enq.get_eset(max_terms, rset, 0, accept ? &filter : nullptr);
            for (Xapian::ESetIterator it = eset.begin(); it != eset.end(); ++it)
                terms.emplace_back(*it, it.get_weight());
        });
        for (const auto &t : terms)
            if (cb(ctx, t.first.data(), t.first.size(), t.second) != 0)
                break;
        return KBS_OK;
    }
    XS_CATCH_DB(db)
}

int xs_db_check(const char *path, uint64_t *errors, char **report, char *err,
                size_t errlen) noexcept
{
    if (err && errlen)
        err[0] = '\0';
    if (!path || !*path || !errors)
        return set_error(err, errlen, KBS_EINVAL, "xs_db_check: path and errors are required");
    try {
        std::ostringstream out;
        uint64_t n = 0;
        try {
            n = Xapian::Database::check(std::string(path), 0, &out);
        } catch (const Xapian::DatabaseOpeningError &) {
            throw; /* no database to check: a failure, not a finding */
        } catch (const Xapian::DatabaseError &e) {
            /* The B-tree checker throws at the first damaged block: that is
             * what it found, so it counts as an error of the database. */
            out << e.get_description() << '\n';
            n++;
        }
        if (report) {
            int st = copy_out(out.str(), report, nullptr, err, errlen);
            if (st != KBS_OK)
                return st;
        }
        *errors = n;
        return KBS_OK;
    }
    XS_CATCH(err, errlen)
}

namespace
{

/* Compaction as Xapian's, but a word's list of position chunks and a
 * stem's record of forms from several databases are joined (positions.h)
 * where Xapian would keep the first database's. */
class KbsCompactor : public Xapian::Compactor
{
  public:
    std::string resolve_duplicate_metadata(const std::string &key, size_t num_tags,
                                           const std::string tags[]) override
    {
        /* Glass 1.4 passes the key as its table holds it, after the two
         * bytes that mark user metadata. */
        static const std::string glass_mark("\0\xc0", 2);
        size_t at = key.compare(0, 2, glass_mark) == 0 ? 2 : 0;
        if (key.size() > at && key[at] == kbs_shim::POS_DIR_PREFIX)
            return kbs_shim::merge_dirs(num_tags, tags);
        if (key.size() > at && key[at] == kbs_shim::POS_FORMS_PREFIX)
            return kbs_shim::merge_forms(num_tags, tags);
        return Xapian::Compactor::resolve_duplicate_metadata(key, num_tags, tags);
    }
};

} // namespace

int xs_db_compact(xs_db *db, const char *dest) noexcept
{
    if (!db || !dest || !*dest)
        return KBS_EINVAL;
    try {
        /* FULL packs blocks as tightly as it can while leaving the result
         * fit for later updates (FULLER would not); the ids stay, since
         * users hold them (kbs_show). */
        KbsCompactor compactor;
        db->db->compact(std::string(dest), Xapian::DBCOMPACT_NO_RENUMBER | Xapian::Compactor::FULL,
                        0, compactor);
        return KBS_OK;
    }
    XS_CATCH_DB(db)
}

int xs_compact_merge(const char *const *sources, size_t n, const char *dest, char *err,
                     size_t errlen) noexcept
{
    if (err && errlen)
        err[0] = '\0';
    if (!sources || n == 0 || !dest || !*dest)
        return set_error(err, errlen, KBS_EINVAL,
                         "xs_compact_merge: sources and dest are required");
    for (size_t i = 0; i < n; i++)
        if (!sources[i] || !*sources[i])
            return set_error(err, errlen, KBS_EINVAL, "xs_compact_merge: an empty source");
    try {
        Xapian::Database all;
        for (size_t i = 0; i < n; i++)
            all.add_database(Xapian::Database(sources[i], Xapian::DB_BACKEND_GLASS));
        /* Xapian says an overlap of the sources' ids is an InvalidOperationError,
         * which is a caller's mistake here. */
        try {
            KbsCompactor compactor;
            all.compact(std::string(dest), Xapian::DBCOMPACT_NO_RENUMBER | Xapian::Compactor::FULL,
                        0, compactor);
        } catch (const Xapian::InvalidOperationError &e) {
            return set_error(err, errlen, KBS_EINVAL, "xs_compact_merge", e.get_msg().c_str());
        }
        return KBS_OK;
    }
    XS_CATCH(err, errlen)
}

/* ---- a process's end ---- */

namespace
{

/* Set once, in a process of the library's own (see xs_on_terminate): a
 * terminate handler takes no argument, so the callback must be a global. */
xs_fatal_fn fatal_fn = nullptr;
void *fatal_ctx = nullptr;

[[noreturn]] void on_terminate() noexcept
{
    char msg[512] = "";
    int st = KBS_EINTERNAL;
    /* The exception that was thrown out of a noexcept frame, if any: the
     * runtime holds it as caught while the handler runs. */
    if (std::exception_ptr p = std::current_exception())
        st = [&]() noexcept -> int {
            try {
                std::rethrow_exception(p);
            }
            XS_CATCH(msg, sizeof msg)
        }();
    else
        copy_msg(msg, sizeof msg, "std::terminate was called without an exception", nullptr);
    if (fatal_fn)
        fatal_fn(fatal_ctx, st, msg);
    std::abort();
}

} // namespace

void xs_on_terminate(xs_fatal_fn fn, void *ctx) noexcept
{
    fatal_fn = fn;
    fatal_ctx = ctx;
    std::set_terminate(on_terminate);
}
