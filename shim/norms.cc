/* norms.cc - see norms.h. */
#include "norms.h"

#include "positions.h"

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

/* BM25Weight::init() and get_maxpart() for a term (or a synonym) of
 * termfreq documents whose wdf is at most wdf_ub, computed as they are. */
TermWeight bm25(const Xapian::Database &db, Xapian::doccount termfreq, Xapian::termcount wdf_ub,
                Xapian::termcount wqf, double k1, double b)
{
    TermWeight w;
    w.k1 = k1;
    w.b = b;
    Xapian::doccount ndocs = db.get_doccount();
    w.termfreq = termfreq;
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

TermWeight term_weight(const Xapian::Database &db, const std::string &term, Xapian::termcount wqf,
                       double k1, double b)
{
    return bm25(db, db.get_termfreq(term), db.get_wdf_upper_bound(term), wqf, k1, b);
}

/* BM25Weight::get_sumpart() for a document of length len. */
inline double sumpart(const TermWeight &w, Xapian::termcount wdf, Xapian::termcount len)
{
    double normlen = std::max(len * w.len_factor, MIN_NORMLEN);
    double wdf_double = wdf;
    double denom = w.k1 * (normlen * w.b + (1 - w.b)) + wdf_double;
    return w.termweight * (wdf_double / denom);
}

/* The length of document did: from the norms, or, for an id past them (a
 * reader that reopened on a newer revision mid-search; the caller runs such
 * a search again without the norms, so this only has to be a valid length),
 * from the database. */
inline Xapian::termcount doc_length(const Norms &norms, const Xapian::Database &db,
                                    Xapian::docid did)
{
    return did < norms.len.size() ? norms.len[did] : db.get_doclength(did);
}

/* The weight a document must reach for a source to stand on it when the
 * matcher asks at least min_wt (the sources' pass_light): min_wt less a
 * margin that rounding cannot cross, so that a document at the edge is
 * still given to the matcher, which decides. */
inline double least_kept(double min_wt)
{
    return min_wt - 1e-9 * (1 + min_wt);
}

/* A phrase's stems as their NormSources weigh them (positions.h), and the
 * postings those sources read: each source reads its word's slot, so that
 * the phrase's source finds a candidate's wdf where the AND would move the
 * stem's source anyway. */
class NormWeights : public StemWeights
{
  public:
    NormWeights(std::shared_ptr<const Norms> norms, std::vector<TermWeight> ws)
        : norms_(std::move(norms)), ws_(std::move(ws)), its_(ws_.size()), opened_(ws_.size())
    {
        for (const TermWeight &w : ws_) {
            most.push_back(w.maxweight);
            total += w.maxweight;
        }
    }
    bool usable() const override
    {
        return !twice_;
    }
    Xapian::termcount length(const Xapian::Database &db, Xapian::docid did) const override
    {
        return doc_length(*norms_, db, did);
    }
    Xapian::termcount wdf(size_t i, Xapian::docid did) override
    {
        Xapian::PostingIterator &it = its_[i];
        if (it != Xapian::PostingIterator() && *it < did)
            it.skip_to(did);
        return it != Xapian::PostingIterator() && *it == did ? it.get_wdf() : 0;
    }
    double weight(size_t i, Xapian::termcount wdf, Xapian::termcount len) const override
    {
        return wdf ? sumpart(ws_[i], wdf, len) : 0.0;
    }
    /* Word i's source's postings, opened by its init(). A second init of
     * the same word (one per shard) would share what cannot be shared: the
     * sources then read their own, and nothing is turned away. */
    Xapian::PostingIterator *open(size_t i, const Xapian::Database &db, const std::string &term)
    {
        if (opened_[i]) {
            twice_ = true;
            return nullptr;
        }
        opened_[i] = true;
        its_[i] = db.postlist_begin(term);
        return &its_[i];
    }

  private:
    std::shared_ptr<const Norms> norms_;
    std::vector<TermWeight> ws_;
    std::vector<Xapian::PostingIterator> its_;
    std::vector<bool> opened_;
    bool twice_ = false;
};

/* A term's postings, weighed by BM25 with the lengths from the norms. */
class NormSource : public Xapian::PostingSource
{
  public:
    /* link, word: the phrase whose word this stem is, which reads the
     * postings with it (NormWeights). */
    NormSource(std::shared_ptr<const Norms> norms, const std::string &term, const TermWeight &w,
               std::shared_ptr<NormWeights> link = nullptr, size_t word = 0)
        : norms_(std::move(norms)), term_(term), w_(w), link_(std::move(link)), word_(word)
    {
    }
    Xapian::PostingSource *clone() const override
    {
        return new NormSource(norms_, term_, w_, link_, word_);
    }
    void init(const Xapian::Database &db) override
    {
        db_ = db;
        it_ = link_ ? link_->open(word_, db, term_) : nullptr;
        if (!it_) {
            own_ = db.postlist_begin(term_);
            it_ = &own_;
        }
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
    /* The phrase's source moves the shared postings only to ids the AND
     * then skips this source to, so next() is never asked of it after the
     * postings moved past where it stood. */
    void next(double min_wt) override
    {
        if (started_)
            ++*it_;
        started_ = true;
        pass_light(min_wt);
    }
    void skip_to(Xapian::docid did, double min_wt) override
    {
        started_ = true;
        if (*it_ != end_ && **it_ < did)
            it_->skip_to(did);
        pass_light(min_wt);
    }
    bool at_end() const override
    {
        return started_ && *it_ == end_;
    }
    Xapian::docid get_docid() const override
    {
        return **it_;
    }
    /* BM25Weight::get_sumpart(), term for term. */
    double get_weight() const override
    {
        return sumpart(w_, it_->get_wdf(), doc_length(*norms_, db_, **it_));
    }
    std::string get_description() const override
    {
        return "Norms " + term_;
    }

  private:
    /* Moves past the documents where the term weighs less than min_wt (by
     * more than least_kept's margin). The matcher asks each subquery for
     * what it must weigh at least for its document to make the page (an
     * AND's: w_min - the others' maximum weights; an OR's: w_min - the
     * other side's), so a document passed over would have been weighed and
     * rejected, uncounted (multimatch.cc: "insufficient weight"): the same
     * pages and estimates, without the AND's skips in the other terms'
     * postings for it. Xapian's own postings ignore the hint. */
    void pass_light(double min_wt)
    {
        if (!(min_wt > 0))
            return;
        double least = least_kept(min_wt);
        while (*it_ != end_ && get_weight() < least)
            ++*it_;
    }

    std::shared_ptr<const Norms> norms_;
    std::string term_;
    TermWeight w_;
    std::shared_ptr<NormWeights> link_;
    size_t word_;
    Xapian::Database db_;
    Xapian::PostingIterator own_, *it_ = nullptr;
    const Xapian::PostingIterator end_; /* Database::postlist_end() */
    bool started_ = false;
};

/* The terms a wildcard expands to and the synonym's term frequencies, as
 * Xapian 1.4's QueryWildcard::postlist() and OrContext::postlist() work them
 * out: the prefix's terms in order; past max_expansion, the most frequent
 * (nth_element on the term frequency, as select_most_frequent does); then a
 * tree of ORs built as a Huffman tree (a heap, smallest estimate first),
 * each OR's estimate P(l) + P(r) - P(l)P(r) rounded to a count, which is
 * what the synonym's weight is given as its term frequency
 * (OrPostList::get_termfreq_est_using_stats: the same sums, for one
 * database). The same std:: heap algorithms on the same estimates in the
 * same order build the same tree. */
struct Expansion {
    std::vector<std::string> terms;
    Xapian::doccount est = 0, min = 0, max = 0;
    uint64_t postings = 0; /* the terms' frequencies summed */
};

struct OrEst {
    Xapian::doccount est, min, max;
};

/* ComparePostListTermFreqAscending (queryinternal.cc). */
struct LessFrequent {
    bool operator()(const OrEst &a, const OrEst &b) const
    {
        return a.est > b.est;
    }
};

OrEst either(const OrEst &l, const OrEst &r, Xapian::doccount dbsize)
{
    /* OrPostList::get_termfreq_est(), _min() and _max(). */
    double lest = static_cast<double>(l.est);
    double rest = static_cast<double>(r.est);
    double est = lest + rest - (lest * rest / dbsize);
    return OrEst{static_cast<Xapian::doccount>(est + 0.5), std::max(l.min, r.min),
                 std::min(l.max + r.max, dbsize)};
}

Expansion expand(const Xapian::Database &db, const std::string &prefix,
                 Xapian::termcount max_expansion)
{
    struct Leaf {
        std::string term;
        Xapian::doccount tf;
    };
    std::vector<Leaf> leaves;
    for (Xapian::TermIterator t = db.allterms_begin(prefix), end = db.allterms_end(prefix);
         t != end; ++t)
        leaves.push_back(Leaf{*t, t.get_termfreq()});
    Expansion e;
    if (leaves.empty())
        return e;
    if (max_expansion && leaves.size() > max_expansion) {
        std::nth_element(leaves.begin(), leaves.begin() + (max_expansion - 1), leaves.end(),
                         [](const Leaf &a, const Leaf &b) { return a.tf > b.tf; });
        leaves.resize(max_expansion);
    }
    std::vector<OrEst> pls;
    pls.reserve(leaves.size());
    for (const Leaf &l : leaves) {
        e.terms.push_back(l.term);
        e.postings += l.tf;
        pls.push_back(OrEst{l.tf, l.tf, l.tf});
    }
    Xapian::doccount dbsize = db.get_doccount();
    LessFrequent cmp;
    std::make_heap(pls.begin(), pls.end(), cmp);
    while (pls.size() > 1) {
        OrEst r = pls.front();
        std::pop_heap(pls.begin(), pls.end(), cmp);
        pls.pop_back();
        OrEst both = either(pls.front(), r, dbsize);
        if (pls.size() == 1) {
            pls[0] = both;
            break;
        }
        std::pop_heap(pls.begin(), pls.end(), cmp);
        pls.back() = both;
        std::push_heap(pls.begin(), pls.end(), cmp);
    }
    e.est = pls[0].est;
    e.min = pls[0].min;
    e.max = pls[0].max;
    return e;
}

/* A wildcard's expansion as one term (SynonymPostList): the union of its
 * terms' postings, each document's wdf the sum of theirs, clamped to its
 * length where BM25 reads lengths, weighed by BM25 with the norms. The
 * postings are merged through a heap on their current ids; the iterators
 * on the current document are held apart (at_), so the wdf is their sum and
 * the next step moves just them.
 *
 * When the matcher walks the union from its start (next() first: the
 * wildcard leads, or is all there is) and it is large, every posting will
 * be read anyway: the terms' postings are then summed one term after the
 * other into an array by id (dense_), and the walk reads the array. The
 * heap cost log(terms) steps a posting: 44% of the prefix queries' time on
 * Reuters (perf), where "micro*" merges 230 terms. */
class WildcardSource : public Xapian::PostingSource
{
  public:
    WildcardSource(std::shared_ptr<const Norms> norms, std::shared_ptr<const Expansion> e,
                   const TermWeight &w)
        : norms_(std::move(norms)), e_(std::move(e)), w_(w)
    {
    }
    Xapian::PostingSource *clone() const override
    {
        return new WildcardSource(norms_, e_, w_);
    }
    void init(const Xapian::Database &db) override
    {
        db_ = db;
        its_.clear();
        heap_.clear();
        at_.clear();
        its_.reserve(e_->terms.size());
        for (const std::string &t : e_->terms) {
            its_.push_back(db.postlist_begin(t));
            if (its_.back() != Xapian::PostingIterator())
                heap_.push_back(Head{*its_.back(), its_.size() - 1});
        }
        std::make_heap(heap_.begin(), heap_.end(), Later());
        dense_.clear();
        bits_.clear();
        cur_ = 0;
        started_ = false;
        set_maxweight(w_.maxweight);
    }
    Xapian::doccount get_termfreq_min() const override
    {
        return e_->min;
    }
    Xapian::doccount get_termfreq_est() const override
    {
        return e_->est;
    }
    Xapian::doccount get_termfreq_max() const override
    {
        return e_->max;
    }
    /* pass_light: as NormSource's. */
    void next(double min_wt) override
    {
        step();
        pass_light(min_wt);
    }
    void skip_to(Xapian::docid did, double min_wt) override
    {
        move_to(did);
        pass_light(min_wt);
    }
    bool at_end() const override
    {
        return started_ && (dense_.empty() ? at_.empty() : cur_ >= dense_.size());
    }
    Xapian::docid get_docid() const override
    {
        return cur_;
    }
    /* SynonymPostList::get_weight() with BM25Weight::get_sumpart(). */
    double get_weight() const override
    {
        Xapian::termcount wdf = 0;
        if (!dense_.empty())
            wdf = dense_[cur_];
        for (size_t i : at_)
            wdf += its_[i].get_wdf();
        Xapian::termcount len = doc_length(*norms_, db_, cur_);
        if (w_.k1 != 0 && w_.b != 0 && wdf > len)
            wdf = len;
        return sumpart(w_, wdf, len);
    }
    std::string get_description() const override
    {
        return "Norms wildcard of " + std::to_string(e_->terms.size()) + " terms";
    }

  private:
    void pass_light(double min_wt)
    {
        if (!(min_wt > 0))
            return;
        double least = least_kept(min_wt);
        while (!at_end() && get_weight() < least)
            step();
    }
    /* To the next document of the union. */
    void step()
    {
        if (!started_ && worth_dense())
            make_dense();
        if (!dense_.empty()) {
            started_ = true;
            dense_move(cur_ + 1);
            return;
        }
        if (started_) {
            for (size_t i : at_) {
                ++its_[i];
                push(i);
            }
            at_.clear();
        }
        started_ = true;
        take_current();
    }
    /* To the first document of the union from did on. */
    void move_to(Xapian::docid did)
    {
        if (!dense_.empty()) {
            if (did > cur_)
                dense_move(did);
            return;
        }
        if (started_ && !at_.empty() && did <= cur_)
            return;
        if (started_) {
            for (size_t i : at_) {
                its_[i].skip_to(did);
                push(i);
            }
            at_.clear();
        }
        started_ = true;
        while (!heap_.empty() && heap_.front().did < did) {
            size_t i = heap_.front().i;
            std::pop_heap(heap_.begin(), heap_.end(), Later());
            heap_.pop_back();
            its_[i].skip_to(did);
            push(i);
        }
        take_current();
    }
    struct Head {
        Xapian::docid did;
        size_t i;
    };
    /* A min-heap on the id. */
    struct Later {
        bool operator()(const Head &a, const Head &b) const
        {
            return a.did > b.did;
        }
    };
    void push(size_t i)
    {
        if (its_[i] == Xapian::PostingIterator())
            return;
        heap_.push_back(Head{*its_[i], i});
        std::push_heap(heap_.begin(), heap_.end(), Later());
    }
    /* Whether summing every posting into an array by id costs less than
     * merging them: when there are at least a sixteenth as many as ids
     * (the array's clearing and walk are then a small part). The array
     * takes 4 bytes an id for the query's time, as the norms do for the
     * handle's: past 4 Mi ids (16 MiB) the heap, whose memory does not grow
     * with the ids, merges, so that several wildcards in one query stay
     * small. */
    bool worth_dense() const
    {
        Xapian::docid last = db_.get_lastdocid();
        return its_.size() >= 2 && e_->postings >= last / 16 && last < (Xapian::docid(1) << 22);
    }
    void make_dense()
    {
        /* An id past the array (a newer revision's) is not in it, as for
         * the norms: the caller searches again without them. */
        dense_.assign(static_cast<size_t>(db_.get_lastdocid()) + 1, 0);
        bits_.assign(dense_.size() / 64 + 1, 0);
        for (Xapian::PostingIterator &it : its_)
            for (; it != Xapian::PostingIterator(); ++it) {
                Xapian::docid d = *it;
                if (d >= dense_.size())
                    break;
                dense_[d] += it.get_wdf();
                bits_[d / 64] |= uint64_t(1) << (d % 64);
            }
        heap_.clear();
        cur_ = 0;
    }
    /* cur_ to the first id from did on with a posting, or past the end. */
    void dense_move(Xapian::docid did)
    {
        size_t w = did / 64;
        if (w >= bits_.size()) {
            cur_ = static_cast<Xapian::docid>(dense_.size());
            return;
        }
        uint64_t word = bits_[w] & (~uint64_t(0) << (did % 64));
        while (!word) {
            if (++w == bits_.size()) {
                cur_ = static_cast<Xapian::docid>(dense_.size());
                return;
            }
            word = bits_[w];
        }
        /* A bit is set only for an id in the array (make_dense). */
        cur_ = static_cast<Xapian::docid>(w * 64 + static_cast<size_t>(__builtin_ctzll(word)));
    }
    /* Moves every iterator on the least id into at_. */
    void take_current()
    {
        if (heap_.empty())
            return;
        cur_ = heap_.front().did;
        while (!heap_.empty() && heap_.front().did == cur_) {
            at_.push_back(heap_.front().i);
            std::pop_heap(heap_.begin(), heap_.end(), Later());
            heap_.pop_back();
        }
    }

    std::shared_ptr<const Norms> norms_;
    std::shared_ptr<const Expansion> e_;
    TermWeight w_;
    Xapian::Database db_;
    std::vector<Xapian::PostingIterator> its_;
    std::vector<Head> heap_;
    std::vector<size_t> at_;
    /* Dense: each id's summed wdf, and which ids have postings. */
    std::vector<Xapian::termcount> dense_;
    std::vector<uint64_t> bits_;
    Xapian::docid cur_ = 0;
    bool started_ = false;
};

/* A query of src, which it then owns. */
Xapian::Query owned(std::unique_ptr<Xapian::PostingSource> src)
{
    src->release(); /* counted from here: the query's copy keeps it */
    Xapian::Query q(src.get());
    src.release(); /* the query owns it now; a throw above left it to src */
    return q;
}

/* A phrase (xs_query_combine: the AND of its words' stems, filtered by
 * pos) with each stem a NormSource, and pos given their weights to turn
 * away what cannot make the page (StemWeights). False, q untouched, when a
 * stem is in no document: Xapian's own query, which matches nothing, does. */
bool weighed_phrase(const QNode &stems, const PosSource &pos, const Xapian::Database &db,
                    const std::shared_ptr<const Norms> &norms, double k1, double b,
                    Xapian::Query &q)
{
    std::vector<TermWeight> ws;
    for (const auto &k : stems.kids) {
        if (k->kind != QNode::TERM)
            return false;
        ws.push_back(term_weight(db, k->term, k->wqf, k1, b));
        if (ws.back().termfreq == 0)
            return false;
    }
    std::shared_ptr<NormWeights> link = std::make_shared<NormWeights>(norms, ws);
    std::vector<Xapian::Query> qs;
    for (size_t i = 0; i < stems.kids.size(); i++)
        qs.push_back(owned(std::unique_ptr<Xapian::PostingSource>(
            new NormSource(norms, stems.kids[i]->term, ws[i], link, i))));
    Xapian::Query all(Xapian::Query::OP_AND, qs.begin(), qs.end());
    Xapian::Query filter = owned(std::unique_ptr<Xapian::PostingSource>(pos.weighed(link)));
    q = Xapian::Query(Xapian::Query::OP_FILTER, all, filter);
    return true;
}

Xapian::Query rebuild(const QNode &n, bool weighted, const Xapian::Database &db,
                      const std::shared_ptr<const Norms> &norms, double k1, double b)
{
    if (!weighted)
        return n.q;
    if (n.kind == QNode::TERM) {
        TermWeight w = term_weight(db, n.term, n.wqf, k1, b);
        if (w.termfreq == 0) /* Xapian's query matches nothing there either */
            return n.q;
        return owned(std::unique_ptr<Xapian::PostingSource>(new NormSource(norms, n.term, w)));
    }
    if (n.kind == QNode::WILDCARD) {
        std::shared_ptr<Expansion> e =
            std::make_shared<Expansion>(expand(db, n.term, n.max_expansion));
        if (e->terms.empty()) /* Xapian's matches nothing either */
            return n.q;
        /* Weight::init_() for a synonym: wqf 1, and the longest document's
         * length bounds the wdf. */
        TermWeight w = bm25(db, e->est, db.get_doclength_upper_bound(), 1, k1, b);
        return owned(std::unique_ptr<Xapian::PostingSource>(new WildcardSource(norms, e, w)));
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
    if (n.op == Xapian::Query::OP_FILTER && n.kids.size() == 2 && n.kids[1]->pos &&
        n.kids[0]->kind == QNode::COMBINE && n.kids[0]->op == Xapian::Query::OP_AND) {
        Xapian::Query q;
        if (weighed_phrase(*n.kids[0], *n.kids[1]->pos, db, norms, k1, b, q))
            return q;
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
