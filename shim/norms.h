/* norms.h - every document's length held in memory, and BM25 computed with
 * it (C++, inside the shim only).
 *
 * Xapian's BM25Weight asks each candidate's length of the database: glass
 * finds it in the document-length list, walking it entry by entry from the
 * last candidate (a B-tree read where the candidate is in another chunk).
 * That walk was 69% of a medium word's instructions on Reuters, and a rare
 * word's lengths are each a block read (bench/README.md, session 7). A
 * reader that searches more than once keeps the lengths of its revision in
 * an array (4 bytes a document, 0.4 MiB for Reuters' 106,494; Lucene calls
 * them norms), and its query's weighted terms become posting sources that
 * read the term's postings through Xapian and compute BM25Weight's very
 * formula, in its order of operations, from the array: the same scores, to
 * the last bit, and the same pruning bounds, so the same pages. A weighted
 * wildcard (OP_SYNONYM over its expansion) becomes one source that merges
 * its terms' postings and weighs their summed wdf as Xapian's synonym does,
 * with the term frequency Xapian estimates for it (the same tree of ORs,
 * built in the same order). Terms under
 * PHRASE and NEAR stay Xapian's (their positions), and so does what no
 * weight reads (a filter's or AND_NOT's right side). A remote database has
 * no lengths to load (a source could not travel to its server anyway) and
 * searches as before. */
#ifndef KBS_SHIM_NORMS_H
#define KBS_SHIM_NORMS_H

#include <xapian.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kbs_shim
{

/* How an xs_query was made, so that xs_db_search can make it again with
 * its weighted terms read through the norms. Every node keeps Xapian's own
 * query too: OTHER nodes (value ranges, wildcards, body-only sources, scaled
 * queries, match-all) and positional combinations are used as they are. */
struct PosTally; /* positions.h */
class PosSource; /* positions.h */

struct QNode {
    enum Kind { TERM, COMBINE, WILDCARD, OTHER } kind = OTHER;
    Xapian::Query q;
    std::string term;                    /* TERM; WILDCARD: the prefix */
    Xapian::termcount wqf = 1;           /* TERM */
    Xapian::termcount max_expansion = 0; /* WILDCARD: the most frequent so many, 0 all */
    int form = -1;                       /* TERM: the form tag asked for in a phrase, -1 any */
    Xapian::Query::op op{};              /* COMBINE */
    std::vector<std::shared_ptr<const QNode>> kids; /* COMBINE */
    std::shared_ptr<PosTally> tally;                /* OTHER: a phrase's positions */
    /* OTHER: a phrase's source, which a search that weighs its stems
     * through the norms copies with their weights (PosSource::weighed) */
    std::shared_ptr<const PosSource> pos;
};

/* The length of every document of one revision, by id (0 for an id not in
 * use). */
struct Norms {
    std::vector<Xapian::termcount> len;
    Xapian::rev revision = 0;
    /* The database's own: a copy built anew (a merge swapped in, say) starts
     * its revisions again, and may reach the same number. */
    std::string uuid;
};

/* Reads db's document lengths; NULL when its ids are mostly unused (the
 * array would be mostly gaps). Throws what Xapian throws (a
 * DatabaseModifiedError when the revision moved on during the read). */
std::shared_ptr<const Norms> load_norms(const Xapian::Database &db);

/* node's query with each weighted term read through norms, BM25 with k1 and
 * b (k2 0, k3 1, min_normlen 0.5: the parameters xs_db_search gives
 * BM25Weight). */
Xapian::Query with_norms(const QNode &node, const Xapian::Database &db,
                         const std::shared_ptr<const Norms> &norms, double k1, double b);

} // namespace kbs_shim

#endif
