/* positions.h - word positions, kept per term in chunks of the database's
 * user metadata rather than in Xapian's position table.
 *
 * Why: glass keys its position table by (term, document), one B-tree item
 * per pair, and in news most pairs hold one or two positions. On the
 * 106,494 Reuters articles that table held 20.9M items whose keys and item
 * overhead took 279 MiB of its 340, the positions themselves 59
 * (bench/glass_sizes.py): more than the whole index of SQLite FTS5. Here
 * one item holds a term's positions in a run of documents, and since format
 * 12 the "term" is one form's stream of its stem (stream_name below: the
 * stem's places of one form tag):
 *
 *   key    "p" term "\0" be32(first document id)
 *   value  per document, in id order: varint(id - previous id; 0 for the
 *          first, which is the key's), varint(byte length of what
 *          follows), then per position its delta (the first from 0) as a
 *          varint (until format 11 each was followed by the form tag of
 *          the word that stood there, a byte: the stream's name holds it)
 *
 * The form tag (stem_form_tag() in src/stem.h: 8 bits of a hash of the
 * word as written, folded) lets a quoted phrase match its words' own forms
 * rather than their stems, here, without reading any article: "last
 * months" has 13,320 articles with the stems "last month" in a row on
 * Reuters 106k, and 56 with the words. Without the tags each candidate's
 * stored text had to be read to tell (src/phrase_check.c), which made the
 * slowest phrases 20-100 times plain Xapian's time. Two forms of a stem
 * share a tag by chance (1 in 256): where the record of the stem's forms
 * (forms_key below) says so, that check still reads a page's hits;
 * elsewhere the tags decide alone. In format 11 it cost a byte a position;
 * since format 12 it is the stream's name (stream_name below). Xapian's own
 * answer, an unstemmed term with positions for every word, cost 31% more
 * index and 39% more indexing CPU (bench/README.md, session 7).
 *
 * A chunk is closed at about CHUNK_BYTES. The metadata are in the same
 * database as everything else, so a commit saves them with the documents
 * they belong to, Xapian's compaction merges them (chunks of different
 * databases start at different ids, so their keys never clash), and a
 * remote shard serves them. An article's chunks are rewritten when it is
 * replaced, and its entries go from the streams of the forms its new
 * version lacks of the stems it still has (PosWriter::note's replacing);
 * when it is deleted, or a stem is gone from it, its entries stay until
 * kbsearch compact prunes them: Xapian never gives its id to another
 * document, and a phrase reads positions only of documents that hold all
 * its stems.
 *
 * Each word's chunks are listed in one more item (dir_key below), so that a
 * search finds them without walking their keys.
 *
 * A phrase or NEAR is the AND of its stems filtered by PosSource, which
 * reads these chunks in document order. */
#ifndef KBS_SHIM_POSITIONS_H
#define KBS_SHIM_POSITIONS_H

#include <xapian.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace kbs_shim
{

/* A document's words with positions while it is built: each word once,
 * with the wdf it has yet to be given in the Xapian document, and all their
 * occurrences in one array, in any order (PosWriter::note sorts them). One
 * array and an open-addressing table of the words rather than a map of
 * vectors: their 300-odd allocations a document, and as many frees, were
 * 2-3% of a build's CPU (bench/README.md, session 17). */
class DocPositions
{
  public:
    struct Word {
        std::string term;
        uint32_t wdf;
        bool pending; /* not yet added to the Xapian document */
    };
    struct Occurrence {
        uint32_t word;    /* its index in words() */
        uint64_t posform; /* position << 8 | form tag */
    };
    /* An occurrence of term at posform, which adds wdf_inc to its wdf. */
    void add(const char *term, size_t len, uint64_t posform, uint32_t wdf_inc);
    std::vector<Word> &words()
    {
        return words_;
    }
    std::vector<Occurrence> &occurrences()
    {
        return occ_;
    }

  private:
    std::vector<Word> words_;
    std::vector<Occurrence> occ_;
    std::vector<uint32_t> slots_; /* 1 + an index in words_, 0 when free */
};

/* Appends id as 4 bytes, big-endian: the metadata keys that name a
 * document (a chunk's first, a record's own, XS_RECORD_PREFIX) then sort by
 * id. */
inline void append_be32(std::string &key, uint32_t id)
{
    for (int shift = 24; shift >= 0; shift -= 8)
        key.push_back(static_cast<char>((id >> shift) & 0xff));
}

/* A document's forms of stems to record: (stem, the whole hash of the
 * word, src/stem.h stem_form_hash). */
typedef std::vector<std::pair<std::string, uint64_t>> DocForms;

/* Each stem's forms: the metadata item forms_key(stem) holds the hashes of
 * the words seen with that stem, 8 bytes each, big-endian, ascending. A
 * form tag is the top 8 bits of its word's hash, so when no other recorded
 * form of a stem shares a word's tag, the places of that tag are that
 * word's: a quoted phrase of such words needs no reading of the stored
 * text to be sure (src/phrase_check.c). Forms are only ever added (an
 * article deleted leaves its words recorded: a search then reads a text it
 * need not). */
const char POS_FORMS_PREFIX = 'f';
std::string forms_key(const std::string &stem);
std::string encode_forms(const std::vector<uint64_t> &hashes);
/* False if val is malformed (not 8-byte hashes, ascending). */
bool decode_forms(const std::string &val, std::vector<uint64_t> &hashes);
/* Throws Xapian::DatabaseCorruptError if a list is malformed. */
std::string merge_forms(size_t n, const std::string tags[]);
/* Whether no recorded form of stem but hash's word has its tag (a stem
 * without a record: none). Throws Xapian::DatabaseCorruptError if the
 * record is malformed. */
bool form_alone(const Xapian::Database &db, const std::string &stem, uint64_t hash);

/* A word's list of its chunks: the metadata item dir_key(term) holds
 * their first ids, ascending, as varint deltas (encode_dir). A search
 * reads it with one look-up where listing the chunks' keys read every
 * B-tree block of them (a common word's 600 chunks: 150 us of a phrase's
 * 500). Written with the chunks; merge_dirs joins the lists of one word
 * from several databases when they are compacted into one. */
const char POS_DIR_PREFIX = 'q';
std::string dir_key(const std::string &term);
std::string encode_dir(const std::vector<Xapian::docid> &firsts);
/* False if val is malformed (ids not ascending, or past 32 bits). */
bool decode_dir(const std::string &val, std::vector<Xapian::docid> &firsts);
/* Throws Xapian::DatabaseCorruptError if a list is malformed. */
std::string merge_dirs(size_t n, const std::string tags[]);

/* The longest term that has positions (a chunk's key must fit Xapian's
 * limit on a key, about 245 bytes); the tokenizer's words are far shorter. */
const size_t POS_TERM_MAX = 200;

/* Since format 12 a stem's places are kept per form: the places of each
 * form tag in a stream of chunks of its own, named stream_name(stem, tag)
 * (the stem, POS_STREAM_SEP, the tag in two hex digits), which the chunk
 * keys, the lists of chunks and the checks above take as the "term". A
 * quoted phrase then reads only its words' own forms, as plain Xapian reads
 * its unstemmed terms: "clears chevron" walks the 93 articles with "clears"
 * rather than the 15,451 with the stem "clear" (bench/README.md, session
 * 15). NEAR, which matches stems, reads all of a stem's streams (listed by
 * the keys of their lists of chunks, stream_dir_prefix). A place needs no
 * tag byte of its own any more: the stream's name holds it. */
const char POS_STREAM_SEP = '\x1f';
std::string stream_name(const std::string &stem, unsigned tag);
/* The stem of a stream's name (the name itself if it is no stream's). */
std::string stream_stem(const std::string &name);
/* The keys of the lists of chunks of stem's streams start with this. */
std::string stream_dir_prefix(const std::string &stem);

/* A writer's documents' positions, held until flush(). */
class PosWriter
{
  public:
    /* Records did's positions (pos is left as it was); a later note of the
     * same id replaces them all. replacing: did may have positions in the
     * database already (an article written again under its id): the next
     * flush also takes its entries out of the streams of its stems' other
     * forms, which the new version no longer has (a phrase of such a form
     * would otherwise match its old places). */
    void note(Xapian::docid did, DocPositions &pos, bool replacing);
    /* Takes back the last note (its document was not written). */
    void unnote();
    /* Adds forms to record with the next flush (forms is left as it was). */
    void note_forms(const DocForms &forms);
    /* Writes what was noted into db's chunks, merging with the chunks
     * there (uncommitted: the caller commits). Throws what Xapian throws;
     * the notes are kept until it succeeds. */
    void flush(Xapian::WritableDatabase &db);
    /* The memory the notes take, roughly. */
    size_t bytes() const
    {
        return arena_.capacity() + log_.capacity() * sizeof(Entry) + names_.capacity() +
               last_.size() * 32 + forms_.size() * 48;
    }
    /* The database had no chunks when this writer started on it (a new
     * scratch database): a word's keys need not be looked for there, only
     * among those this writer wrote. */
    void set_fresh()
    {
        fresh_ = true;
    }

  private:
    /* A document's positions in one stream. The entries are logged in the
     * order of the notes and grouped by stream only at the flush (sorted by
     * the hash of the stream's name): looking each up in a map of the
     * streams, as before, cost a cache miss or two an entry in a table of
     * some 100,000 streams, 5% of a build's CPU (bench/README.md, session
     * 17). */
    struct Entry {
        uint64_t hash;     /* of the stream's name */
        uint32_t name;     /* the name: its offset in names_ */
        uint32_t name_len; /* and its length */
        Xapian::docid did;
        uint32_t seq;      /* the note it came from: only an id's last counts (last_) */
        uint32_t off, len; /* its encoded positions in arena_ */
    };
    /* An Entry's len: no positions, but the chunk's entry of that id goes. */
    static const uint32_t TOMBSTONE = 0xffffffffu;
    std::vector<Entry> log_;
    std::string names_; /* the entries' names, one after the other */
    /* Every note's encoded positions, one after the other: one buffer
     * rather than a string an entry (a flush of a scratch build holds
     * millions of entries). */
    std::string arena_;
    /* The sizes of arena_, names_ and log_ before the last note. */
    size_t note_start_ = 0, names_start_ = 0, log_start_ = 0;
    /* Some document was noted twice since the last flush: the entries of
     * its earlier notes must be dropped (last_). */
    bool renoted_ = false;
    /* Logs an entry of did in the stream name. */
    void log_entry(const std::string &name, Xapian::docid did, uint32_t seq, uint32_t off,
                   uint32_t len);
    /* Each noted document's last note: an earlier one's entries are
     * dropped, also those of words the later one no longer has. */
    std::unordered_map<Xapian::docid, uint32_t> last_;
    /* What the last note replaced in last_, for unnote(). */
    Xapian::docid undo_did_ = 0;
    bool undo_had_ = false;
    uint32_t undo_seq_ = 0;
    /* Each term's chunks' first ids, as this handle last wrote or read
     * them: the first flush of a term reads its list (dir_key), later ones do not. */
    std::unordered_map<std::string, std::vector<Xapian::docid>> known_;
    /* The notes of documents written again (note's replacing): their id,
     * note and streams, for flush's tombstones (Entry::len TOMBSTONE). */
    struct Replaced {
        Xapian::docid did;
        uint32_t seq;
        std::vector<std::string> streams; /* sorted */
    };
    std::vector<Replaced> replaced_;
    /* Forms noted since the last flush, and each stem's recorded forms as
     * this handle last wrote or read them (ascending). */
    DocForms forms_;
    std::unordered_map<std::string, std::vector<uint64_t>> known_forms_;
    uint32_t seq_ = 0;
    bool fresh_ = false;
};

/* Counts the entries of articles that no longer hold the stream's stem
 * (deleted, or replaced by a version without it: their entries are left
 * behind);
 * with apply (db itself), drops them from the chunks, uncommitted. */
uint64_t prune_positions(const Xapian::Database &db, Xapian::WritableDatabase *apply);

/* What check found in the chunks. */
struct PosCheck {
    uint64_t terms = 0, chunks = 0, entries = 0;
    std::string problem; /* the first one, empty when none */
};
void check_positions(const Xapian::Database &db, PosCheck &out);

/* What a phrase's PosSource (and its clones) saw in one match: the
 * candidates whose places it read, and those that matched. The matcher
 * estimates a phrase's matches before it runs (a quarter of its words'
 * AND, as Xapian's own PHRASE does); with form tags far fewer pass, and
 * these counts let the caller scale the estimate by what was seen. */
struct PosTally {
    uint64_t checked = 0, matched = 0;
    uint64_t led = 0; /* inits that chose to lead the match (PosSource::init) */
    /* Candidates turned away by their weight (StemWeights), not counted
     * above, and of a sample of them (positions.cc, LIGHT_SAMPLE) those
     * whose places were read and those that matched. The weight turns
     * away the articles where the words are seldom, which hold the phrase
     * less often than the ones read ("last week": 68% against 81%), so
     * the sample, not the others, tells how many of them match. */
    uint64_t light = 0, light_checked = 0, light_matched = 0;
};

/* How the search weighs a phrase's stems, for its source to turn away a
 * candidate by its weight before reading its places, as Xapian's own
 * phrase does (1.4.22 matcher/selectpostlist.cc, SelectPostList::next:
 * check_weight before test_doc). Without it, a phrase of two common forms
 * reads and compares the places of every article with both ("last week":
 * 24,000) where the page is full after a few hundred and most of the rest
 * cannot reach it. Made by the search that reads the stems through the
 * norms (shim/norms.cc), whose scores it computes to the bit: word i of
 * the phrase weighs weight(i, wdf(i, did), length(did)). */
struct StemWeights {
    virtual ~StemWeights() = default;
    /* False when the stems' postings were set up more than once (a match
     * over several shards): nothing is turned away then. */
    virtual bool usable() const = 0;
    virtual Xapian::termcount length(const Xapian::Database &db, Xapian::docid did) const = 0;
    /* Word i's stem's wdf in did (0: not there). The postings are the ones
     * the stem's own source reads, moved on to did: the AND moves that
     * source there anyway, so they are not read twice. Ids are asked in
     * ascending order, up to the one the phrase's source then stands on,
     * to which the AND skips the stems' sources. */
    virtual Xapian::termcount wdf(size_t i, Xapian::docid did) = 0;
    virtual double weight(size_t i, Xapian::termcount wdf, Xapian::termcount len) const = 0;
    std::vector<double> most; /* word i's maximum weight (its source's maxweight) */
    double total = 0;         /* their sum */
};

/* Matches the documents where terms stand in order within window positions
 * (ordered: OP_PHRASE's meaning, window 0 = the number of terms) or in any
 * order within it (OP_NEAR's), term i only at the places whose form tag is
 * forms[i] (-1: any). A filter: it weighs nothing. A word asked in a form
 * reads that form's stream, one in any form all its stem's streams. When
 * a word is asked in a form, the smallest such stream leads the AND,
 * leapfrogging with the other words' streams (and the postings of the
 * rarer stems asked in any form): the candidates are the articles with
 * every form, as plain Xapian's AND of unstemmed terms. Otherwise, or when
 * the stems' AND is smaller, it checks the candidates of the stems' AND
 * (init()). */
class PosSource : public Xapian::PostingSource
{
  public:
    PosSource(std::vector<std::string> terms, std::vector<int> forms, Xapian::termcount window,
              bool ordered, std::shared_ptr<PosTally> tally = nullptr,
              std::shared_ptr<StemWeights> weights = nullptr);
    /* A copy that weighs its candidates with weights (one per word) and
     * turns away those that cannot make the page. Xapian gives a weightless
     * subquery of an AND min_wt = w_min - the other subqueries' maximum
     * weights (1.4.22 multiandpostlist.h, new_min): a candidate whose stems
     * fall short of their maxima by more than -min_wt weighs less than
     * w_min in all, and the matcher would reject it. */
    PosSource *weighed(std::shared_ptr<StemWeights> weights) const
    {
        return new PosSource(terms_, forms_, window_, ordered_, tally_, std::move(weights));
    }
    ~PosSource() override;
    void init(const Xapian::Database &db) override;
    Xapian::doccount get_termfreq_min() const override
    {
        return 0;
    }
    Xapian::doccount get_termfreq_est() const override
    {
        return est_;
    }
    Xapian::doccount get_termfreq_max() const override
    {
        return max_;
    }
    void next(double min_wt) override;
    void skip_to(Xapian::docid did, double min_wt) override;
    bool check(Xapian::docid did, double min_wt) override;
    bool at_end() const override
    {
        return at_end_;
    }
    Xapian::docid get_docid() const override
    {
        return did_;
    }
    PostingSource *clone() const override
    {
        return new PosSource(terms_, forms_, window_, ordered_, tally_, weights_);
    }
    std::string get_description() const override;

  private:
    /* One term's chunks, read forward. */
    struct Cursor {
        std::string term; /* the stream's name (stream_name) */
        int form = -1;    /* the only form tag whose places are read; -1 any */
        /* A word of any form (NEAR): one cursor per stream of its stem, whose
         * places seek() merges; its own fields are then unused. */
        std::vector<Cursor> parts;
        std::string prefix;              /* its chunks' keys' */
        std::vector<Xapian::docid> keys; /* its chunks' first ids */
        size_t chunk = 0;                /* the loaded chunk's index + 1; 0: none */
        std::string data;                /* the loaded chunk */
        /* The chunks after it, read with it: a term's chunks lie side by
         * side in the B-tree, so reading a run of them costs one block,
         * where reading them one at a time between another word's costs a
         * block each (the table has one cursor). ahead[i] is chunk
         * ahead_first + i (an index + 1, as chunk); run: how many the next
         * read takes, doubled while the chunks are wanted in turn. */
        std::vector<std::string> ahead;
        size_t ahead_first = 0;
        size_t run = 1;
        size_t off = 0;                /* the next entry's offset in data */
        Xapian::docid at = 0;          /* the id of the entry before off */
        size_t at_off = 0, at_len = 0; /* its positions in data */
        std::vector<uint32_t> pos;     /* decoded (of form only), when valid */
        bool valid = false;
        /* decode_it false: the entry of did is found but its places are
         * not decoded (valid stays false; a later seek(did) decodes). */
        bool seek(const Xapian::Database &db, Xapian::docid did, bool decode_it = true);
        Xapian::docid next_entry(const Xapian::Database &db, Xapian::docid from);
        void preload(const Xapian::Database &db);
        void load(const Xapian::Database &db, size_t want);
        void read_run(const Xapian::Database &db, size_t want, size_t n);
        std::string read_chunk(const Xapian::Database &db, size_t i) const;
        bool decode(size_t from, size_t len);
    };
    bool match(Xapian::docid did);
    bool tallied_match(Xapian::docid did);
    bool too_light(Xapian::docid did);
    void advance_from(Xapian::docid did);
    Xapian::docid in_others(Xapian::docid d);

    std::vector<std::string> terms_;
    std::vector<int> forms_;
    Xapian::termcount window_;
    bool ordered_;
    std::shared_ptr<PosTally> tally_;
    std::shared_ptr<StemWeights> weights_;
    /* The least the matcher asked for at the last move (see weighed). */
    double min_wt_ = 0;
    uint64_t light_ = 0; /* candidates turned away by their weight */
    Xapian::Database db_;
    std::vector<Cursor> cur_;
    /* match()'s work space, kept from one candidate to the next. */
    std::vector<size_t> idx_;
    std::vector<std::pair<uint32_t, size_t>> all_;
    Xapian::PostingIterator it_, end_;
    /* Leading: the other words' postings, which the walk's candidates must
     * be in (their stems' AND), read before their places. */
    std::vector<Xapian::PostingIterator> others_;
    /* The word whose chunks lead (-1: its stem's posting list does); see
     * init(). */
    int drive_ = -1;
    /* The order in which a candidate's words are looked up. */
    std::vector<size_t> order_;
    Xapian::docid did_ = 0;
    bool at_end_ = false, started_ = false;
    bool matched_ = false; /* did_ is a match (else a failed check()'s place) */
    Xapian::doccount est_ = 0, max_ = 0;
};

} // namespace kbs_shim

#endif
