/* norms.cc - see norms.h. */
#include "norms.h"

#include <algorithm>
#include <cmath>

namespace kbs_shim
{
namespace
{

/* xs_db_search's BM25Weight(k1, 0, 1, b, 0.5). */
const double K3 = 1;
const double MIN_NORMLEN = 0.5;

/* What BM25Weight::init() works out for one term, computed as it does. */
struct TermWeight {
    double termweight = 0;
    double len_factor = 0;
    double k1 = 0, b = 0;
    double maxweight = 0;
    Xapian::doccount termfreq = 0;
};

TermWeight term_weight(const Xapian::Database &db, const std::string &term, Xapian::termcount wqf,
                       double k1, double b)
{
    TermWeight w;
    w.k1 = k1;
    w.b = b;
    Xapian::doccount ndocs = db.get_doccount();
    w.termfreq = db.get_termfreq(term);
    /* BM25Weight::init(factor 1.0), no relevance set. */
    double tw = (ndocs - w.termfreq + 0.5) / (w.termfreq + 0.5);
    if (tw < 2)
        tw = tw * 0.5 + 1;
    w.termweight = std::log(tw) * 1.0;
    double wqf_double = wqf;
    w.termweight *= (K3 + 1) * wqf_double / (K3 + wqf_double);
    w.termweight *= (k1 + 1);
    if (b != 0 && k1 != 0) {
        /* Weight::Internal::get_average_length() */
        w.len_factor = ndocs == 0 ? 0.0 : double(db.get_total_length()) / ndocs;
        if (w.len_factor != 0)
            w.len_factor = 1 / w.len_factor;
    }
    /* BM25Weight::get_maxpart() */
    Xapian::termcount wdf_ub = db.get_wdf_upper_bound(term);
    double denom = k1;
    if (k1 != 0.0 && b != 0.0) {
        double normlen_lb =
            std::max(std::max(wdf_ub, db.get_doclength_lower_bound()) * w.len_factor, MIN_NORMLEN);
        denom *= (normlen_lb * b + (1 - b));
    }
    double wdf_max = wdf_ub;
    denom += wdf_max;
    w.maxweight = w.termweight * (wdf_max / denom);
    return w;
}

/* A term's postings, weighed by BM25 with the lengths from the norms. */
class NormSource : public Xapian::PostingSource
{
  public:
    NormSource(std::shared_ptr<const Norms> norms, const std::string &term, const TermWeight &w)
        : norms_(std::move(norms)), term_(term), w_(w)
    {
    }
    Xapian::PostingSource *clone() const override
    {
        return new NormSource(norms_, term_, w_);
    }
    void init(const Xapian::Database &db) override
    {
        db_ = db;
        it_ = db.postlist_begin(term_);
        end_ = db.postlist_end(term_);
        started_ = false;
        set_maxweight(w_.maxweight);
    }
    Xapian::doccount get_termfreq_min() const override
    {
        return w_.termfreq;
    }
    Xapian::doccount get_termfreq_est() const override
    {
        return w_.termfreq;
    }
    Xapian::doccount get_termfreq_max() const override
    {
        return w_.termfreq;
    }
    void next(double) override
    {
        if (started_)
            ++it_;
        started_ = true;
    }
    void skip_to(Xapian::docid did, double) override
    {
        started_ = true;
        if (it_ != end_ && *it_ < did)
            it_.skip_to(did);
    }
    bool at_end() const override
    {
        return started_ && it_ == end_;
    }
    Xapian::docid get_docid() const override
    {
        return *it_;
    }
    /* BM25Weight::get_sumpart(), term for term. */
    double get_weight() const override
    {
        Xapian::docid did = *it_;
        /* A reader that reopened on a newer revision mid-search may meet ids
         * past the array; the caller runs such a search again without the
         * norms, so this only has to be a valid length. */
        Xapian::termcount len =
            did < norms_->len.size() ? norms_->len[did] : db_.get_doclength(did);
        double normlen = std::max(len * w_.len_factor, MIN_NORMLEN);
        double wdf_double = it_.get_wdf();
        double denom = w_.k1 * (normlen * w_.b + (1 - w_.b)) + wdf_double;
        return w_.termweight * (wdf_double / denom);
    }
    std::string get_description() const override
    {
        return "Norms " + term_;
    }

  private:
    std::shared_ptr<const Norms> norms_;
    std::string term_;
    TermWeight w_;
    Xapian::Database db_;
    Xapian::PostingIterator it_, end_;
    bool started_ = false;
};

Xapian::Query rebuild(const QNode &n, bool weighted, const Xapian::Database &db,
                      const std::shared_ptr<const Norms> &norms, double k1, double b)
{
    if (!weighted)
        return n.q;
    if (n.kind == QNode::TERM) {
        TermWeight w = term_weight(db, n.term, n.wqf, k1, b);
        if (w.termfreq == 0) /* Xapian's query matches nothing there either */
            return n.q;
        std::unique_ptr<NormSource> src(new NormSource(norms, n.term, w));
        src->release(); /* counted from here: the query's copy keeps it */
        Xapian::Query q(src.get());
        src.release(); /* the query owns it now; a throw above left it to src */
        return q;
    }
    if (n.kind != QNode::COMBINE)
        return n.q;
    /* Which subqueries' weights count: all of AND, OR and AND_MAYBE; the
     * first of FILTER and AND_NOT (the others only select). PHRASE, NEAR and
     * SYNONYM weigh their terms in their own way. */
    bool all;
    switch (n.op) {
    case Xapian::Query::OP_AND:
    case Xapian::Query::OP_OR:
    case Xapian::Query::OP_AND_MAYBE:
        all = true;
        break;
    case Xapian::Query::OP_FILTER:
    case Xapian::Query::OP_AND_NOT:
        all = false;
        break;
    default:
        return n.q;
    }
    std::vector<Xapian::Query> qs;
    qs.reserve(n.kids.size());
    for (size_t i = 0; i < n.kids.size(); i++)
        qs.push_back(rebuild(*n.kids[i], all || i == 0, db, norms, k1, b));
    return Xapian::Query(n.op, qs.begin(), qs.end());
}

} // namespace

std::shared_ptr<const Norms> load_norms(const Xapian::Database &db)
{
    /* One entry per id ever used: an index whose ids are mostly gaps (not
     * one kbsearch makes: it numbers new articles on) is not worth the
     * memory. */
    Xapian::docid last = db.get_lastdocid();
    if (last / 16 > db.get_doccount() + 65536)
        return nullptr;
    std::shared_ptr<Norms> n = std::make_shared<Norms>();
    n->revision = db.get_revision();
    n->uuid = db.get_uuid();
    n->len.assign(static_cast<size_t>(last) + 1, 0);
    for (Xapian::PostingIterator it = db.postlist_begin(std::string()),
                                 end = db.postlist_end(std::string());
         it != end; ++it) {
        Xapian::docid did = *it;
        if (did < n->len.size())
            n->len[did] = it.get_doclength();
    }
    return n;
}

Xapian::Query with_norms(const QNode &node, const Xapian::Database &db,
                         const std::shared_ptr<const Norms> &norms, double k1, double b)
{
    return rebuild(node, true, db, norms, k1, b);
}

} // namespace kbs_shim
