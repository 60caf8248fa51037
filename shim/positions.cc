/* positions.cc - word positions in chunks of user metadata (positions.h). */
#include "positions.h"

#include "xapian_shim.h" /* XS_POSITIONS_EST_DIV */

#include <algorithm>
#include <cmath>
#include <functional>
#include <string_view>
#include <limits>
#include <stdexcept>

namespace kbs_shim
{

namespace
{

/* A chunk is closed once it holds this many bytes: small enough that
 * finding a document in it decodes little, large enough that its key and
 * item overhead (about 17 bytes) are a small share. On Reuters, 512 bytes
 * made phrases no faster and the index 3% bigger. */
const size_t CHUNK_BYTES = 1024;

void put_varint(std::string &o, uint32_t v)
{
    while (v >= 128) {
        o.push_back(static_cast<char>(v | 128));
        v >>= 7;
    }
    o.push_back(static_cast<char>(v));
}

/* A varint at p (before end), p moved past it; false when it runs past end
 * or past 32 bits. Over raw bytes, with a path for one byte: most of a
 * phrase's time goes into walking the entries of chunks, and most varints
 * there are one byte. */
inline bool read_varint(const unsigned char *&p, const unsigned char *end, uint32_t &v)
{
    if (p < end && *p < 128) {
        v = *p++;
        return true;
    }
    uint32_t r = 0;
    for (unsigned shift = 0; shift < 35 && p < end; shift += 7) {
        unsigned c = *p++;
        if (shift == 28 && c > 15)
            return false; /* more than 32 bits */
        r |= static_cast<uint32_t>(c & 127) << shift;
        if (!(c & 128)) {
            v = r;
            return true;
        }
    }
    return false;
}

bool get_varint(const std::string &s, size_t &off, uint32_t &v)
{
    const unsigned char *base = reinterpret_cast<const unsigned char *>(s.data());
    const unsigned char *p = base + off;
    bool ok = read_varint(p, base + s.size(), v);
    off = static_cast<size_t>(p - base);
    return ok;
}

std::string key_prefix(const std::string &term)
{
    std::string k("p");
    k += term;
    k.push_back('\0');
    return k;
}

std::string chunk_key(const std::string &prefix, Xapian::docid first)
{
    std::string k(prefix);
    append_be32(k, first);
    return k;
}

} // namespace

std::string dir_key(const std::string &term)
{
    return POS_DIR_PREFIX + term;
}

std::string stream_name(const std::string &stem, unsigned tag)
{
    static const char hex[] = "0123456789abcdef";
    std::string n(stem);
    n.push_back(POS_STREAM_SEP);
    n.push_back(hex[(tag >> 4) & 15]);
    n.push_back(hex[tag & 15]);
    return n;
}

std::string stream_stem(const std::string &name)
{
    size_t n = name.size();
    if (n >= 3 && name[n - 3] == POS_STREAM_SEP)
        return name.substr(0, n - 3);
    return name;
}

std::string stream_dir_prefix(const std::string &stem)
{
    return dir_key(stem) + POS_STREAM_SEP;
}

std::string encode_dir(const std::vector<Xapian::docid> &firsts)
{
    std::string out;
    Xapian::docid prev = 0;
    for (Xapian::docid f : firsts) {
        put_varint(out, f - prev);
        prev = f;
    }
    return out;
}

bool decode_dir(const std::string &val, std::vector<Xapian::docid> &firsts)
{
    firsts.clear();
    const unsigned char *p = reinterpret_cast<const unsigned char *>(val.data()),
                        *end = p + val.size();
    Xapian::docid prev = 0;
    while (p < end) {
        uint32_t d;
        if (!read_varint(p, end, d) || d == 0 ||
            d > std::numeric_limits<Xapian::docid>::max() - prev)
            return false;
        prev += d;
        firsts.push_back(prev);
    }
    return true;
}

std::string forms_key(const std::string &stem)
{
    return POS_FORMS_PREFIX + stem;
}

std::string encode_forms(const std::vector<uint64_t> &hashes)
{
    std::string out;
    out.reserve(hashes.size() * 8);
    for (uint64_t h : hashes)
        for (int shift = 56; shift >= 0; shift -= 8)
            out.push_back(static_cast<char>((h >> shift) & 0xff));
    return out;
}

bool decode_forms(const std::string &val, std::vector<uint64_t> &hashes)
{
    hashes.clear();
    if (val.size() % 8)
        return false;
    const unsigned char *p = reinterpret_cast<const unsigned char *>(val.data());
    for (size_t i = 0; i < val.size(); i += 8) {
        uint64_t h = 0;
        for (size_t k = 0; k < 8; k++)
            h = h << 8 | p[i + k];
        if (!hashes.empty() && h <= hashes.back())
            return false;
        hashes.push_back(h);
    }
    return true;
}

namespace
{

/* The union of n ascending lists (a word's from several databases being
 * compacted into one), each decoded by decode (false: malformed, which
 * throws what). */
template <typename T>
std::string merge_lists(size_t n, const std::string tags[],
                        bool (*decode)(const std::string &, std::vector<T> &),
                        std::string (*encode)(const std::vector<T> &), const char *what)
{
    std::vector<T> all, one;
    for (size_t i = 0; i < n; i++) {
        if (!decode(tags[i], one))
            throw Xapian::DatabaseCorruptError(what);
        all.insert(all.end(), one.begin(), one.end());
    }
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    return encode(all);
}

} // namespace

std::string merge_forms(size_t n, const std::string tags[])
{
    return merge_lists<uint64_t>(n, tags, decode_forms, encode_forms,
                                 "a stem's record of its forms is malformed");
}

bool form_alone(const Xapian::Database &db, const std::string &stem, uint64_t hash)
{
    std::vector<uint64_t> hashes;
    if (!decode_forms(db.get_metadata(forms_key(stem)), hashes))
        throw Xapian::DatabaseCorruptError("the record of the forms of the word \"" + stem +
                                           "\" is malformed");
    /* The hashes of one tag lie together, ascending. */
    uint64_t lo = hash & (uint64_t(0xff) << 56);
    for (auto it = std::lower_bound(hashes.begin(), hashes.end(), lo);
         it != hashes.end() && (*it >> 56) == (hash >> 56); ++it)
        if (*it != hash)
            return false;
    return true;
}

std::string merge_dirs(size_t n, const std::string tags[])
{
    return merge_lists<Xapian::docid>(n, tags, decode_dir, encode_dir,
                                      "a word's list of position chunks is malformed");
}

namespace
{

/* The first id of a chunk from its key (prefix + 4 bytes), 0 if malformed. */
Xapian::docid key_first(const std::string &key, size_t prefix_len)
{
    if (key.size() != prefix_len + 4)
        return 0;
    const unsigned char *p = reinterpret_cast<const unsigned char *>(key.data() + prefix_len);
    return (Xapian::docid(p[0]) << 24) | (Xapian::docid(p[1]) << 16) | (Xapian::docid(p[2]) << 8) |
           p[3];
}

/* A chunk's key split into its word and first id; false if malformed. */
bool split_key(const std::string &key, std::string &term, Xapian::docid &first)
{
    size_t nul = key.empty() || key[0] != 'p' ? std::string::npos : key.find('\0', 1);
    if (nul == std::string::npos)
        return false;
    first = key_first(key, nul + 1);
    term.assign(key, 1, nul - 1);
    return first != 0;
}

/* Appends one article's entry (its positions already encoded) to a chunk
 * being built; first and last are the chunk's first and previous ids. */
void append_entry(std::string &chunk, Xapian::docid &first, Xapian::docid &last, Xapian::docid did,
                  const char *pos, size_t len)
{
    if (chunk.empty())
        first = last = did;
    put_varint(chunk, did - last);
    put_varint(chunk, static_cast<uint32_t>(len));
    chunk.append(pos, len);
    last = did;
}

[[noreturn]] void damaged(const std::string &term, Xapian::docid first, const char *what)
{
    throw Xapian::DatabaseCorruptError("the positions of the word \"" + stream_stem(term) +
                                       "\" from article " + std::to_string(first) + ": " + what);
}

/* An entry to write: its id and its encoded positions, wherever they are. */
struct Ref {
    Xapian::docid did;
    const char *pos;
    size_t len;
};

/* One entry of a chunk: its id and where its positions lie in the chunk. */
struct Span {
    Xapian::docid did;
    size_t off, len;
};

/* Every entry of a chunk, checked: ids ascending from the key's, lengths
 * within the chunk, positions that decode to exactly their length. */
void parse_chunk(const std::string &term, Xapian::docid first, const std::string &data,
                 std::vector<Span> &out)
{
    out.clear();
    size_t off = 0;
    Xapian::docid at = first;
    while (off < data.size()) {
        uint32_t d, len;
        if (!get_varint(data, off, d) || !get_varint(data, off, len) || len > data.size() - off)
            damaged(term, first, "an entry runs past its chunk");
        if (out.empty() ? d != 0 : (d == 0 || at > std::numeric_limits<Xapian::docid>::max() - d))
            damaged(term, first, "the article ids are out of order");
        at += d;
        size_t o = off, end = off + len;
        uint32_t x;
        while (o < end)
            if (!get_varint(data, o, x) || o > end)
                damaged(term, first, "a position is cut");
        if (len == 0)
            damaged(term, first, "an article with no positions");
        out.push_back(Span{at, off, len});
        off = end;
    }
    if (out.empty())
        damaged(term, first, "an empty chunk");
}

} // namespace

void PosWriter::log_entry(const std::string &name, Xapian::docid did, uint32_t seq, uint32_t off,
                          uint32_t len)
{
    if (names_.size() + name.size() >= std::numeric_limits<uint32_t>::max())
        throw std::length_error("too many positions held");
    uint32_t at = static_cast<uint32_t>(names_.size());
    names_ += name;
    log_.push_back(Entry{std::hash<std::string>()(name), at, static_cast<uint32_t>(name.size()),
                         did, seq, off, len});
}

void DocPositions::add(const char *term, size_t len, uint64_t posform, uint32_t wdf_inc)
{
    if (slots_.size() < 2 * (words_.size() + 1)) {
        /* At most half full: a look-up ends at a free slot soon. */
        slots_.assign(slots_.empty() ? 256 : 2 * slots_.size(), 0);
        for (uint32_t i = 0; i < words_.size(); i++) {
            size_t h = std::hash<std::string_view>()(words_[i].term) & (slots_.size() - 1);
            while (slots_[h])
                h = (h + 1) & (slots_.size() - 1);
            slots_[h] = i + 1;
        }
    }
    std::string_view t(term, len);
    size_t h = std::hash<std::string_view>()(t) & (slots_.size() - 1);
    while (slots_[h] && words_[slots_[h] - 1].term != t)
        h = (h + 1) & (slots_.size() - 1);
    if (!slots_[h]) {
        words_.push_back(Word{std::string(t), 0, true});
        slots_[h] = static_cast<uint32_t>(words_.size());
    }
    Word &w = words_[slots_[h] - 1];
    w.wdf += wdf_inc;
    w.pending = true;
    occ_.push_back(Occurrence{slots_[h] - 1, posform});
}

void PosWriter::note(Xapian::docid did, DocPositions &pos, bool replacing)
{
    note_start_ = arena_.size();
    names_start_ = names_.size();
    log_start_ = log_.size();
    auto l = last_.find(did);
    undo_did_ = did;
    undo_had_ = l != last_.end();
    undo_seq_ = undo_had_ ? l->second : 0;
    renoted_ |= undo_had_;
    last_[did] = seq_;
    std::vector<std::string> streams;
    std::string name;
    /* Each word's occurrences together, in order of place. */
    std::vector<DocPositions::Occurrence> &occ = pos.occurrences();
    std::sort(occ.begin(), occ.end(),
              [](const DocPositions::Occurrence &a, const DocPositions::Occurrence &b) {
                  return a.word != b.word ? a.word < b.word : a.posform < b.posform;
              });
    std::vector<uint64_t> p;
    for (size_t i = 0; i < occ.size();) {
        const std::string &word = pos.words()[occ[i].word].term;
        p.clear();
        size_t j = i;
        for (; j < occ.size() && occ[j].word == occ[i].word; j++)
            p.push_back(occ[j].posform);
        i = j;
        /* One form a place: the first (a place given twice is a caller's
         * slip, kept once as before). */
        p.erase(std::unique(p.begin(), p.end(),
                            [](uint64_t a, uint64_t b) { return a >> 8 == b >> 8; }),
                p.end());
        /* One entry per form tag, in its form's stream (positions.h). */
        unsigned tags[256];
        size_t ntags = 0;
        for (uint64_t x : p) {
            unsigned t = static_cast<unsigned>(x & 255);
            if (std::find(tags, tags + ntags, t) == tags + ntags)
                tags[ntags++] = t;
        }
        for (size_t k = 0; k < ntags; k++) {
            size_t off = arena_.size();
            uint32_t prev = 0;
            for (uint64_t x : p) {
                if ((x & 255) != tags[k])
                    continue;
                uint32_t at = static_cast<uint32_t>(x >> 8);
                put_varint(arena_, at - prev);
                prev = at;
            }
            if (arena_.size() >= TOMBSTONE)
                throw std::length_error("too many positions held");
            name = stream_name(word, tags[k]);
            if (replacing)
                streams.push_back(name);
            log_entry(name, did, seq_, static_cast<uint32_t>(off),
                      static_cast<uint32_t>(arena_.size() - off));
        }
    }
    if (replacing) {
        std::sort(streams.begin(), streams.end());
        replaced_.push_back(Replaced{did, seq_, std::move(streams)});
    }
    seq_++;
}

void PosWriter::unnote()
{
    /* The note's entries are the log's last. */
    log_.resize(log_start_);
    names_.resize(names_start_);
    arena_.resize(note_start_);
    if (!replaced_.empty() && replaced_.back().seq + 1 == seq_)
        replaced_.pop_back();
    if (undo_had_)
        last_[undo_did_] = undo_seq_;
    else
        last_.erase(undo_did_);
}

void PosWriter::note_forms(const DocForms &forms)
{
    forms_.insert(forms_.end(), forms.begin(), forms.end());
}

void PosWriter::flush(Xapian::WritableDatabase &db)
{
    try {
        /* The stems' new forms, with the positions that may hold them. */
        std::sort(forms_.begin(), forms_.end());
        forms_.erase(std::unique(forms_.begin(), forms_.end()), forms_.end());
        std::vector<uint64_t> merged_forms;
        for (size_t i = 0; i < forms_.size();) {
            const std::string &stem = forms_[i].first;
            auto kf = known_forms_.find(stem);
            if (kf == known_forms_.end()) {
                std::vector<uint64_t> had;
                if (!fresh_ && !decode_forms(db.get_metadata(forms_key(stem)), had))
                    damaged(stem, 0, "the record of its forms is malformed");
                kf = known_forms_.emplace(stem, std::move(had)).first;
            }
            std::vector<uint64_t> &had = kf->second;
            merged_forms.clear();
            size_t a = 0;
            bool added = false;
            for (; i < forms_.size() && forms_[i].first == stem; i++) {
                uint64_t h = forms_[i].second;
                while (a < had.size() && had[a] < h)
                    merged_forms.push_back(had[a++]);
                if (a < had.size() && had[a] == h)
                    continue;
                merged_forms.push_back(h);
                added = true;
            }
            merged_forms.insert(merged_forms.end(), had.begin() + static_cast<std::ptrdiff_t>(a),
                                had.end());
            if (added) {
                db.set_metadata(forms_key(stem), encode_forms(merged_forms));
                had.swap(merged_forms);
            }
        }
        DocForms().swap(forms_);

        /* Articles written again: each stem they still have loses its
         * entries in the streams of the forms the new version lacks. The
         * database's streams of a stem are named by the keys of their lists
         * (those this handle wrote are there too, uncommitted). */
        for (const Replaced &r : replaced_) {
            if (last_.at(r.did) != r.seq)
                continue; /* noted again since: that note's own entry counts */
            for (size_t k = 0; k < r.streams.size(); k++) {
                std::string stem = stream_stem(r.streams[k]);
                if (k && stem == stream_stem(r.streams[k - 1]))
                    continue;
                std::string dp = stream_dir_prefix(stem);
                for (Xapian::TermIterator t = db.metadata_keys_begin(dp),
                                          tend = db.metadata_keys_end(dp);
                     t != tend; ++t) {
                    std::string name = (*t).substr(1);
                    if (!std::binary_search(r.streams.begin(), r.streams.end(), name))
                        log_entry(name, r.did, r.seq, 0, TOMBSTONE);
                }
            }
        }
        replaced_.clear();

        /* Only the entries of each document's last note. */
        if (renoted_)
            log_.erase(std::remove_if(log_.begin(), log_.end(),
                                      [&](const Entry &e) { return last_.at(e.did) != e.seq; }),
                       log_.end());
        /* The entries by stream, then by id: by the hash of the stream's
         * name, and two names of the same hash (never seen) apart by the
         * name itself. */
        std::sort(log_.begin(), log_.end(), [](const Entry &a, const Entry &b) {
            return a.hash != b.hash ? a.hash < b.hash : a.did < b.did;
        });
        auto same_name = [this](const Entry &a, const Entry &b) {
            return a.name_len == b.name_len &&
                   names_.compare(a.name, a.name_len, names_, b.name, b.name_len) == 0;
        };
        struct Stream {
            std::string name;
            size_t begin, end; /* its entries in log_, in id order */
        };
        std::vector<Stream> streams;
        for (size_t i = 0; i < log_.size();) {
            size_t j = i + 1;
            bool one = true;
            while (j < log_.size() && log_[j].hash == log_[i].hash) {
                one = one && same_name(log_[j], log_[i]);
                j++;
            }
            if (!one)
                std::stable_sort(log_.begin() + static_cast<std::ptrdiff_t>(i),
                                 log_.begin() + static_cast<std::ptrdiff_t>(j),
                                 [&](const Entry &a, const Entry &b) {
                                     return names_.compare(a.name, a.name_len, names_, b.name,
                                                           b.name_len) < 0;
                                 });
            for (size_t k = i; k < j;) {
                size_t m = k + 1;
                while (m < j && same_name(log_[m], log_[k]))
                    m++;
                streams.push_back(
                    Stream{std::string(names_, log_[k].name, log_[k].name_len), k, m});
                k = m;
            }
            i = j;
        }

        std::vector<Span> old;
        std::vector<Ref> merged;
        std::string piece;
        /* A new database's words in key order: its chunks then go into its
         * B-tree in order, each block filled before the next is begun. An
         * index's in the order of their hashes: there each word begins with
         * Xapian's reads of its keys, which on a table damaged under a
         * write fail cleanly or crash in Xapian, before anything of ours
         * walks a heap that write may have damaged (tests/test_misuse.c). */
        if (fresh_)
            std::sort(streams.begin(), streams.end(),
                      [](const Stream &a, const Stream &b) { return a.name < b.name; });
        for (const Stream &str : streams) {
            const std::string &term = str.name;
            /* The stream's entries, in the log, by id. */
            const Entry *ents = log_.data() + str.begin;
            const size_t nents = str.end - str.begin;

            std::string prefix = key_prefix(term);
            auto kn = known_.find(term);
            if (kn == known_.end()) {
                std::vector<Xapian::docid> firsts;
                if (!fresh_ && !decode_dir(db.get_metadata(dir_key(term)), firsts))
                    damaged(term, 0, "the list of its chunks is malformed");
                kn = known_.emplace(term, std::move(firsts)).first;
            }
            std::vector<Xapian::docid> &firsts = kn->second;
            std::vector<Xapian::docid> nf;
            nf.reserve(firsts.size() + 1);

            /* Writes entries (in id order) as chunks of about CHUNK_BYTES,
             * their first ids onto nf. */
            auto write_chunks = [&](const std::vector<Ref> &refs) {
                piece.clear();
                Xapian::docid first = 0, last = 0;
                for (const Ref &r : refs) {
                    append_entry(piece, first, last, r.did, r.pos, r.len);
                    if (piece.size() >= CHUNK_BYTES) {
                        db.set_metadata(chunk_key(prefix, first), piece);
                        nf.push_back(first);
                        piece.clear();
                    }
                }
                if (!piece.empty()) {
                    db.set_metadata(chunk_key(prefix, first), piece);
                    nf.push_back(first);
                }
            };

            size_t i = 0;
            if (firsts.empty()) {
                merged.clear();
                for (const Entry *e = ents; e < ents + nents; e++)
                    if (e->len != TOMBSTONE)
                        merged.push_back(Ref{e->did, arena_.data() + e->off, e->len});
                write_chunks(merged);
                i = nents;
            }
            for (size_t c = 0; c < firsts.size(); c++) {
                Xapian::docid lim = c + 1 < firsts.size()
                                        ? firsts[c + 1]
                                        : std::numeric_limits<Xapian::docid>::max();
                size_t j = i;
                while (j < nents && ents[j].did < lim)
                    j++;
                if (j == i) {
                    nf.push_back(firsts[c]);
                    continue;
                }
                /* The chunk and the new entries for its range, merged (a new
                 * entry replaces the chunk's of the same id). */
                std::string key = chunk_key(prefix, firsts[c]);
                std::string data = db.get_metadata(key);
                if (data.empty())
                    damaged(term, firsts[c], "a chunk is missing");
                parse_chunk(term, firsts[c], data, old);
                merged.clear();
                size_t a = 0, b = i;
                bool changed = false;
                while (a < old.size() || b < j) {
                    if (b == j || (a < old.size() && old[a].did < ents[b].did)) {
                        merged.push_back(Ref{old[a].did, data.data() + old[a].off, old[a].len});
                        a++;
                    } else if (ents[b].len == TOMBSTONE) {
                        /* The chunk's entry of that id, if any, goes. */
                        if (a < old.size() && old[a].did == ents[b].did) {
                            changed = true;
                            a++;
                        }
                        b++;
                    } else {
                        const char *np = arena_.data() + ents[b].off;
                        size_t nl = ents[b].len;
                        if (a < old.size() && old[a].did == ents[b].did) {
                            changed |= old[a].len != nl ||
                                       data.compare(old[a].off, old[a].len, np, nl) != 0;
                            a++;
                        } else {
                            changed = true;
                        }
                        merged.push_back(Ref{ents[b].did, np, nl});
                        b++;
                    }
                }
                if (!changed) {
                    /* An article written again with the same words where
                     * they were (an update that appends, say): the chunk
                     * is left alone, and so are its blocks. */
                    nf.push_back(firsts[c]);
                    i = j;
                    continue;
                }
                size_t before = nf.size();
                write_chunks(merged);
                /* The old key goes unless a piece starts at the same id. */
                if (std::find(nf.begin() + static_cast<std::ptrdiff_t>(before), nf.end(),
                              firsts[c]) == nf.end())
                    db.set_metadata(key, std::string());
                i = j;
            }
            if (nf != firsts)
                db.set_metadata(dir_key(term), encode_dir(nf));
            firsts.swap(nf);
        }
        log_.clear();
        names_.clear();
        arena_.clear();
        last_.clear();
        replaced_.clear();
        renoted_ = false;
        note_start_ = names_start_ = log_start_ = 0;
        undo_did_ = 0;
    } catch (...) {
        /* What was written is in the handle's unsaved state, which the
         * caller must drop (the shim refuses further writes); the list of
         * keys may then be wrong. */
        known_.clear();
        known_forms_.clear();
        replaced_.clear();
        fresh_ = false;
        throw;
    }
}

uint64_t prune_positions(const Xapian::Database &db, Xapian::WritableDatabase *apply)
{
    /* An entry is kept while its article holds the word: the word's
     * posting list is walked beside its chunks, both in id order. */
    Xapian::PostingIterator pl, plend;
    std::string pl_term;
    std::vector<char> keep;
    /* The chunks to write, gathered first: metadata changed under an
     * iterator over its keys is not read reliably. */
    std::vector<std::pair<std::string, std::string>> out;
    /* Per word, the first ids of its chunks that change (to 0: gone). */
    std::vector<std::pair<std::string, std::vector<std::pair<Xapian::docid, Xapian::docid>>>> moved;
    std::vector<Span> spans;
    std::string term, piece;
    uint64_t dropped = 0;
    for (Xapian::TermIterator k = db.metadata_keys_begin("p"), kend = db.metadata_keys_end("p");
         k != kend; ++k) {
        const std::string &key = *k;
        Xapian::docid first;
        if (!split_key(key, term, first))
            damaged(key.substr(1), 0, "a chunk's key is malformed");
        std::string data = db.get_metadata(key);
        parse_chunk(term, first, data, spans);
        if (term != pl_term) {
            /* A stream's entries are kept while the article has its stem. */
            std::string stem = stream_stem(term);
            pl = db.postlist_begin(stem);
            plend = db.postlist_end(stem);
            pl_term = term;
        }
        keep.assign(spans.size(), 0);
        size_t dead = 0;
        for (size_t i = 0; i < spans.size(); i++) {
            if (pl != plend)
                pl.skip_to(spans[i].did);
            keep[i] = pl != plend && *pl == spans[i].did;
            dead += !keep[i];
        }
        dropped += dead;
        if (!dead || !apply)
            continue;
        out.emplace_back(key, std::string()); /* the old key goes, unless reused below */
        piece.clear();
        Xapian::docid nfirst = 0, last = 0;
        for (size_t i = 0; i < spans.size(); i++)
            if (keep[i])
                append_entry(piece, nfirst, last, spans[i].did, data.data() + spans[i].off,
                             spans[i].len);
        if (piece.empty() || nfirst != first) {
            /* The word's list of chunks changes: first goes, nfirst comes. */
            if (moved.empty() || moved.back().first != term)
                moved.emplace_back(term, std::vector<std::pair<Xapian::docid, Xapian::docid>>());
            moved.back().second.emplace_back(first, piece.empty() ? 0 : nfirst);
        }
        if (!piece.empty()) {
            std::string nkey = chunk_key(key_prefix(term), nfirst);
            if (nkey == key)
                out.back().second = piece;
            else
                out.emplace_back(nkey, piece);
        }
    }
    for (const auto &w : out)
        apply->set_metadata(w.first, w.second);
    std::vector<Xapian::docid> firsts;
    for (const auto &m : moved) {
        if (!decode_dir(db.get_metadata(dir_key(m.first)), firsts))
            damaged(m.first, 0, "the list of its chunks is malformed");
        for (const auto &fm : m.second) {
            auto at = std::lower_bound(firsts.begin(), firsts.end(), fm.first);
            if (at == firsts.end() || *at != fm.first)
                damaged(m.first, fm.first, "a chunk is missing from the list of its chunks");
            if (fm.second)
                *at = fm.second; /* still between its neighbours: its entries' range shrank */
            else
                firsts.erase(at);
        }
        apply->set_metadata(dir_key(m.first), encode_dir(firsts));
    }
    return dropped;
}

void check_positions(const Xapian::Database &db, PosCheck &out)
{
    std::string term, last_term;
    Xapian::docid last_did = 0;
    std::vector<Span> spans;
    std::vector<Xapian::docid> firsts, listed;
    bool any = false;
    /* A word's chunks against its list of them. */
    auto check_list = [&]() {
        if (!decode_dir(db.get_metadata(dir_key(last_term)), listed))
            out.problem = "the list of the position chunks of the word \"" +
                          stream_stem(last_term) + "\" is malformed";
        else if (listed != firsts)
            out.problem = "the list of the position chunks of the word \"" +
                          stream_stem(last_term) + "\" does not match its chunks";
    };
    for (Xapian::TermIterator k = db.metadata_keys_begin("p"), kend = db.metadata_keys_end("p");
         k != kend && out.problem.empty(); ++k) {
        const std::string &key = *k;
        Xapian::docid first;
        if (!split_key(key, term, first)) {
            out.problem = "a positions key is malformed";
            break;
        }
        if (!any || term != last_term) {
            if (any && (check_list(), !out.problem.empty()))
                break;
            out.terms++;
            last_term = term;
            last_did = 0;
            firsts.clear();
            any = true;
        }
        firsts.push_back(first);
        if (first <= last_did) {
            out.problem = "the positions of the word \"" + stream_stem(term) + "\" from article " +
                          std::to_string(first) + ": chunks overlap";
            break;
        }
        try {
            parse_chunk(term, first, db.get_metadata(key), spans);
        } catch (const Xapian::DatabaseCorruptError &e) {
            out.problem = e.get_msg();
            break;
        }
        out.chunks++;
        out.entries += spans.size();
        last_did = spans.back().did;
    }
    if (any && out.problem.empty())
        check_list();
    /* A list for every word with chunks, and for no other. */
    uint64_t lists = 0;
    for (Xapian::TermIterator k = db.metadata_keys_begin(std::string(1, POS_DIR_PREFIX)),
                              kend = db.metadata_keys_end(std::string(1, POS_DIR_PREFIX));
         k != kend && out.problem.empty(); ++k)
        lists++;
    if (out.problem.empty() && lists != out.terms)
        out.problem = std::to_string(lists) + " lists of position chunks for " +
                      std::to_string(out.terms) + " words with positions";
    std::vector<uint64_t> hashes;
    for (Xapian::TermIterator k = db.metadata_keys_begin(std::string(1, POS_FORMS_PREFIX)),
                              kend = db.metadata_keys_end(std::string(1, POS_FORMS_PREFIX));
         k != kend && out.problem.empty(); ++k) {
        if (!decode_forms(db.get_metadata(*k), hashes) || hashes.empty())
            out.problem =
                "the record of the forms of the word \"" + (*k).substr(1) + "\" is malformed";
    }
}

namespace
{

/* The number of a chunk's entries (checked as parse_chunk checks them). */
uint32_t count_entries(const std::string &term, Xapian::docid first, const std::string &data)
{
    std::vector<Span> spans;
    parse_chunk(term, first, data, spans);
    return static_cast<uint32_t>(spans.size());
}

/* PosSource::init's choices. */
const size_t PRELOAD_CHUNKS = 16; /* a word's chunks read at once, at most */
/* Leading, the walk leapfrogs with the streams of the other words asked in
 * a form, and with the postings of those asked in any form (NEAR) whose
 * stems are in at most this share of the articles: a commoner stem turns
 * few candidates away, and reading its postings cost more than it saved
 * (bench_ab, 200 phrases: 0.95-0.97 of the CPU with 0.25, 0.96 with 0.5,
 * and slower queries where "fund" or "growth" was read). */
const double LEAP_SHARE = 0.25;

/* One in so many candidates turned away by their weight has its places
 * read all the same, for the estimate of the matches (PosTally). One in
 * every so many, not the first ones: those are the heaviest of them (the
 * bar rises as the page fills), likelier to hold the phrase ("billion
 * quarterly": 303 estimated for 198 with the first 64 read as well). */
const uint64_t LIGHT_SAMPLE = 8;

} // namespace

PosSource::PosSource(std::vector<std::string> terms, std::vector<int> forms,
                     Xapian::termcount window, bool ordered, std::shared_ptr<PosTally> tally,
                     std::shared_ptr<StemWeights> weights)
    : terms_(std::move(terms)), forms_(std::move(forms)),
      window_(window ? window : static_cast<Xapian::termcount>(terms_.size())), ordered_(ordered),
      tally_(std::move(tally)), weights_(std::move(weights))
{
    if (weights_ && weights_->most.size() != terms_.size())
        throw std::logic_error("PosSource: a weight for each word is needed");
}

PosSource::~PosSource() = default;

std::string PosSource::get_description() const
{
    std::string d(ordered_ ? "kbs::Phrase(" : "kbs::Near(");
    for (size_t i = 0; i < terms_.size(); i++) {
        d += (i ? " " : "") + terms_[i];
        if (i < forms_.size() && forms_[i] >= 0)
            d += "~" + std::to_string(forms_[i]);
    }
    return d + ", " + std::to_string(window_) + ")";
}

void PosSource::init(const Xapian::Database &db)
{
    db_ = db;
    cur_.clear();
    cur_.resize(terms_.size());
    const Xapian::doccount ndocs = db.get_doccount();
    Xapian::doccount least = ndocs;
    size_t driver = 0;
    std::vector<Xapian::doccount> tfs(terms_.size());
    for (size_t i = 0; i < terms_.size(); i++) {
        Cursor &c = cur_[i];
        c.form = i < forms_.size() ? forms_[i] : -1;
        if (c.form >= 0) {
            /* The form's own stream. */
            c.term = stream_name(terms_[i], static_cast<unsigned>(c.form));
            c.prefix = key_prefix(c.term);
            if (!decode_dir(db.get_metadata(dir_key(c.term)), c.keys))
                damaged(c.term, 0, "the list of its chunks is malformed");
        } else {
            /* Every stream of the stem, each a part. */
            c.term = terms_[i];
            std::string dp = stream_dir_prefix(terms_[i]);
            for (Xapian::TermIterator t = db.metadata_keys_begin(dp),
                                      tend = db.metadata_keys_end(dp);
                 t != tend; ++t) {
                Cursor part;
                part.term = (*t).substr(1);
                part.prefix = key_prefix(part.term);
                if (!decode_dir(db.get_metadata(*t), part.keys))
                    damaged(part.term, 0, "the list of its chunks is malformed");
                c.parts.push_back(std::move(part));
            }
        }
        tfs[i] = db.get_termfreq(terms_[i]);
        if (tfs[i] < least) {
            least = tfs[i];
            driver = i;
        }
    }
    /* The words with few chunks read whole now, but the one with the most:
     * glass has one cursor a table, so a chunk read between two of
     * another word's costs a walk down the B-tree for each ("potash
     * sales": 68 block reads for 30 chunks of "sale" fetched between
     * potash's), where a word's chunks read in turn share their blocks. */
    auto nchunks = [](const Cursor &c) {
        size_t n = c.keys.size();
        for (const Cursor &p : c.parts)
            n += p.keys.size();
        return n;
    };
    size_t most = 0;
    for (size_t i = 1; i < cur_.size(); i++)
        if (nchunks(cur_[i]) > nchunks(cur_[most]))
            most = i;
    for (size_t i = 0; i < cur_.size(); i++) {
        if (i == most || nchunks(cur_[i]) > PRELOAD_CHUNKS)
            continue;
        if (!cur_[i].keys.empty())
            cur_[i].preload(db);
        for (Cursor &p : cur_[i].parts)
            if (!p.keys.empty())
                p.preload(db);
    }
    /* A word asked in one form: the articles of its form's stream, from
     * its middle chunk's entries times its chunks (exact for a stream of
     * one chunk), and their share of its stem's.
     *
     * Leading by a form: the walk goes through the entries of the word's
     * form stream, leapfrogging with the other words' (in_others), and
     * only the articles that hold every form are candidates: plain
     * Xapian's AND of unstemmed terms. Chosen by the smallest stream
     * unless the stems' AND (taken as large as its rarest stem) is
     * smaller. */
    std::vector<double> share(terms_.size(), 1.0);
    drive_ = -1;
    double best_est = 0;
    for (size_t i = 0; terms_.size() > 1 && i < terms_.size(); i++) {
        Cursor &c = cur_[i];
        if (c.form < 0)
            continue;
        double est = 0;
        if (!c.keys.empty()) {
            size_t mid = c.keys.size() / 2;
            uint32_t n = count_entries(c.term, c.keys[mid],
                                       !c.chunk ? db.get_metadata(chunk_key(c.prefix, c.keys[mid]))
                                       : mid    ? c.ahead[mid - 1]
                                                : c.data);
            est = std::min(static_cast<double>(tfs[i]), static_cast<double>(n) * c.keys.size());
        }
        share[i] = (est + 1.0) / (tfs[i] + 1.0);
        if (est <= least && (drive_ < 0 || est < best_est)) {
            best_est = est;
            drive_ = static_cast<int>(i);
        }
    }
    max_ = ndocs;
    if (drive_ >= 0) {
        /* Below every stem's frequency: Xapian's AND then asks this source
         * for its candidates first. */
        est_ = std::max<Xapian::doccount>(
            1, std::min(static_cast<Xapian::doccount>(best_est), least - 1));
        if (tally_)
            tally_->led++;
    } else {
        /* Never the AND's driver unless every term is in more than a
         * quarter of the documents: the terms' posting lists skip faster
         * than chunks are read, so the matcher should ask check() of the
         * AND's candidates. The AND's estimate is then divided by 4, as
         * Xapian's own PHRASE and NEAR divide theirs: on Reuters' 200
         * phrase queries, every estimated total is format 6's (bench_ab). */
        est_ = max_ / XS_POSITIONS_EST_DIV;
    }
    /* A candidate's words are looked at likeliest to fail first (the
     * leading word's entry is already at hand): its other chunks are then
     * seldom read. */
    order_.resize(terms_.size());
    for (size_t i = 0; i < order_.size(); i++)
        order_[i] = i;
    std::stable_sort(order_.begin(), order_.end(), [&](size_t x, size_t y) {
        if (static_cast<int>(x) == drive_ || static_cast<int>(y) == drive_)
            return static_cast<int>(x) == drive_ && static_cast<int>(y) != drive_;
        return share[x] < share[y];
    });
    others_.clear();
    for (size_t i = 0; drive_ >= 0 && i < terms_.size(); i++)
        if (static_cast<int>(i) != drive_ && cur_[i].form < 0 && tfs[i] <= LEAP_SHARE * ndocs)
            others_.push_back(db.postlist_begin(terms_[i]));
    std::string dterm = terms_.empty() ? std::string() : terms_[driver];
    it_ = db.postlist_begin(dterm);
    end_ = db.postlist_end(dterm);
    min_wt_ = 0;
    light_ = 0;
    did_ = 0;
    at_end_ = terms_.empty();
    started_ = matched_ = false;
}

/* Moves to did's entry: true with its positions in pos, false if the term
 * has none for did. Ids are asked in ascending order (a lower one reads
 * its chunk again). */
bool PosSource::Cursor::seek(const Xapian::Database &db, Xapian::docid did, bool decode_it)
{
    if (!parts.empty()) {
        bool any = false;
        pos.clear();
        for (Cursor &p : parts)
            if (p.seek(db, did)) {
                any = true;
                pos.insert(pos.end(), p.pos.begin(), p.pos.end());
            }
        if (parts.size() > 1)
            std::sort(pos.begin(), pos.end());
        return any;
    }
    if (chunk && did == at && valid)
        return true;
    valid = false;
    /* The chunk that would hold did: the last whose first id <= did. The
     * candidates come in ascending order, so mostly the loaded one. */
    size_t want;
    if (chunk && keys[chunk - 1] <= did && (chunk == keys.size() || did < keys[chunk])) {
        want = chunk;
    } else {
        auto it = std::upper_bound(keys.begin(), keys.end(), did);
        if (it == keys.begin())
            return false;
        want = static_cast<size_t>(it - keys.begin()); /* index + 1 */
    }
    if (want != chunk || did < at) {
        if (want != chunk)
            load(db, want);
        off = 0;
        at = keys[want - 1];
        at_off = at_len = 0;
    } else if (did == at && off) {
        return !decode_it || decode(at_off, at_len);
    }
    const unsigned char *base = reinterpret_cast<const unsigned char *>(data.data());
    const unsigned char *p = base + off, *end = base + data.size();
    while (p < end) {
        uint32_t d, len;
        bool first = p == base;
        if (!read_varint(p, end, d) || !read_varint(p, end, len) ||
            len > static_cast<size_t>(end - p))
            damaged(term, keys[chunk - 1], "an entry runs past its chunk");
        if (first != (d == 0))
            damaged(term, keys[chunk - 1], "the article ids are out of order");
        at += d;
        at_off = static_cast<size_t>(p - base);
        at_len = len;
        p += len;
        if (at < did)
            continue;
        off = static_cast<size_t>(p - base);
        if (at > did)
            return false; /* a later seek(at) decodes it */
        return !decode_it || decode(at_off, at_len);
    }
    off = data.size();
    return false;
}

/* Reads every chunk: the first loaded, the others ahead. */
/* Chunk i (an index), which the word's list names: missing is damage. */
std::string PosSource::Cursor::read_chunk(const Xapian::Database &db, size_t i) const
{
    std::string c = db.get_metadata(chunk_key(prefix, keys[i]));
    if (c.empty())
        damaged(term, keys[i], "a listed chunk is missing");
    return c;
}

/* Loads chunk want (an index + 1) and reads the n - 1 after it ahead. */
void PosSource::Cursor::read_run(const Xapian::Database &db, size_t want, size_t n)
{
    data = read_chunk(db, want - 1);
    ahead.resize(std::min(n - 1, keys.size() - want));
    for (size_t i = 0; i < ahead.size(); i++)
        ahead[i] = read_chunk(db, want + i);
    ahead_first = want + 1;
    chunk = want;
}

/* Reads every chunk: the first loaded, the others ahead. */
void PosSource::Cursor::preload(const Xapian::Database &db)
{
    read_run(db, 1, keys.size());
    off = 0;
    at = keys[0];
    at_off = at_len = 0;
    valid = false;
}

/* Makes chunk want (an index + 1) the loaded one. */
void PosSource::Cursor::load(const Xapian::Database &db, size_t want)
{
    const size_t RUN_MAX = 8;
    if (ahead_first && want >= ahead_first && want - ahead_first < ahead.size()) {
        /* Taken, with those before it: only the ones after it stay ahead
         * (a lower id asked for later reads its chunk again). */
        size_t i = want - ahead_first;
        data.swap(ahead[i]);
        ahead.erase(ahead.begin(), ahead.begin() + static_cast<std::ptrdiff_t>(i + 1));
        ahead_first = want + 1;
        chunk = want;
    } else {
        /* The next chunk after a run read whole: the candidates are dense
         * in this word's articles, so read more of them at once. */
        bool in_turn = chunk && want == chunk + 1;
        run = in_turn ? std::min(run * 2, RUN_MAX) : 1;
        read_run(db, want, run);
    }
}

bool PosSource::Cursor::decode(size_t from, size_t len)
{
    pos.clear();
    const unsigned char *p = reinterpret_cast<const unsigned char *>(data.data()) + from,
                        *end = p + len;
    uint32_t prev = 0, x;
    while (p < end) {
        if (!read_varint(p, end, x))
            damaged(term, keys[chunk - 1], "a position is cut");
        prev += x;
        pos.push_back(prev);
    }
    valid = true;
    return true;
}

bool PosSource::match(Xapian::docid did)
{
    /* A word whose form stands nowhere in did ends it before the next
     * word's chunk is read. */
    for (size_t i : order_)
        if (!cur_[i].seek(db_, did) || cur_[i].pos.empty())
            return false;
    size_t n = cur_.size();
    if (ordered_) {
        /* From each place of the first term, the earliest place of each next
         * term after the one before: the tightest run that starts there.
         * Later starts only move these places on, so each list is walked
         * once. */
        const std::vector<uint32_t> &p0 = cur_[0].pos;
        std::vector<size_t> &idx = idx_;
        idx.assign(n, 0);
        for (uint32_t start : p0) {
            uint32_t last = start;
            for (size_t i = 1; i < n; i++) {
                const std::vector<uint32_t> &pi = cur_[i].pos;
                size_t &j = idx[i];
                while (j < pi.size() && pi[j] <= last)
                    j++;
                if (j == pi.size())
                    return false;
                last = pi[j];
            }
            if (last - start < window_)
                return true;
        }
        return false;
    }
    /* Any order: the narrowest span holding a place of every term. */
    std::vector<std::pair<uint32_t, size_t>> &all = all_;
    all.clear();
    for (size_t i = 0; i < n; i++)
        for (uint32_t x : cur_[i].pos)
            all.emplace_back(x, i);
    std::sort(all.begin(), all.end());
    std::vector<size_t> &have = idx_;
    have.assign(n, 0);
    size_t covered = 0, lo = 0;
    for (size_t hi = 0; hi < all.size(); hi++) {
        if (have[all[hi].second]++ == 0)
            covered++;
        while (covered == n) {
            if (all[hi].first - all[lo].first < window_)
                return true;
            if (--have[all[lo].second] == 0)
                covered--;
            lo++;
        }
    }
    return false;
}

/* Whether did weighs too little to make the page (weighed()): its words'
 * stems fall short of their maxima by more than -min_wt_, by a margin that
 * rounding cannot cross (a candidate at the edge is read, as before). */
bool PosSource::too_light(Xapian::docid did)
{
    if (!weights_)
        return false;
    double limit = -min_wt_;
    /* Before the page is full -min_wt_ is every subquery's maximum, which
     * no shortfall exceeds: nothing is read for the weights. */
    if (!(limit < weights_->total) || !weights_->usable())
        return false;
    limit += 1e-9 * (1 + std::fabs(min_wt_));
    Xapian::termcount len = weights_->length(db_, did);
    double shortfall = 0;
    for (size_t i = 0; i < terms_.size(); i++) {
        Xapian::termcount wdf = weights_->wdf(i, did);
        shortfall += weights_->most[i] - weights_->weight(i, wdf, len);
        if (shortfall > limit) {
            if (tally_) {
                tally_->light++;
                if (++light_ % LIGHT_SAMPLE == 0) {
                    tally_->light_checked++;
                    tally_->light_matched += match(did);
                }
            }
            return true;
        }
    }
    return false;
}

bool PosSource::tallied_match(Xapian::docid did)
{
    bool m = match(did);
    if (tally_) {
        tally_->checked++;
        tally_->matched += m;
    }
    return m;
}

/* The first id from `from` on of the stream's entries, or 0 when there is
 * none: the walk and the leapfrog of a word asked in a form, whose stream
 * holds only that form's places. The entry is found, not decoded: match()
 * decodes it if every other word has the article. */
Xapian::docid PosSource::Cursor::next_entry(const Xapian::Database &db, Xapian::docid from)
{
    if (keys.empty())
        return 0;
    /* From the first chunk's first entry at the earliest: seek() says
     * nothing of a place before it. */
    Xapian::docid d = std::max(from, keys[0]);
    for (;;) {
        if (seek(db, d, false))
            return d;
        if (chunk && at > d)
            return at; /* stopped past d, at the entry after it */
        /* d lies after the loaded chunk's last entry, or before the first
         * chunk. */
        size_t next = chunk && keys[chunk - 1] <= d ? chunk : 0;
        if (next >= keys.size())
            return 0;
        d = keys[next];
    }
}

/* The first id from d on that every other word holds: in its form's
 * stream for a word asked in a form, in its stem's postings for a rarer
 * stem asked in any form (others_). 0 when there is none. */
Xapian::docid PosSource::in_others(Xapian::docid d)
{
    for (bool moved = true; moved;) {
        moved = false;
        /* The other words' form streams: their next entry from d. */
        for (size_t j = 0; j < cur_.size(); j++) {
            if (static_cast<int>(j) == drive_ || cur_[j].form < 0)
                continue;
            Xapian::docid e = cur_[j].next_entry(db_, d);
            if (!e)
                return 0;
            if (e > d) {
                d = e;
                moved = true;
            }
        }
        for (Xapian::PostingIterator &it : others_) {
            if (it == Xapian::PostingIterator())
                return 0;
            if (*it < d)
                it.skip_to(d);
            if (it == Xapian::PostingIterator())
                return 0;
            if (*it > d) {
                d = *it;
                moved = true;
            }
        }
    }
    return d;
}

void PosSource::advance_from(Xapian::docid did)
{
    if (drive_ >= 0) {
        /* The walk and the other words' streams (and postings) leapfrog:
         * a candidate with the leading form but not every other word is
         * passed over unread, and the walk goes on from the next article
         * that has them all. */
        Cursor &c = cur_[static_cast<size_t>(drive_)];
        for (Xapian::docid d = did; (d = c.next_entry(db_, d)) != 0; d++) {
            Xapian::docid both = in_others(d);
            if (!both)
                break;
            if (both != d) {
                d = both - 1;
                continue;
            }
            if (!too_light(d) && tallied_match(d)) {
                did_ = d;
                matched_ = true;
                return;
            }
            if (d == std::numeric_limits<Xapian::docid>::max())
                break;
        }
        at_end_ = true;
        return;
    }
    if (did)
        it_.skip_to(did);
    for (; it_ != end_; ++it_) {
        Xapian::docid d = *it_;
        if (!too_light(d) && tallied_match(d)) {
            did_ = d;
            matched_ = true;
            return;
        }
    }
    at_end_ = true;
}

void PosSource::next(double min_wt)
{
    min_wt_ = min_wt;
    if (at_end_)
        return;
    advance_from(started_ ? did_ + 1 : 0);
    started_ = true;
}

void PosSource::skip_to(Xapian::docid did, double min_wt)
{
    min_wt_ = min_wt;
    if (at_end_)
        return;
    if (started_ && did <= did_) {
        if (matched_)
            return;
        did = did_ + 1; /* after a failed check(): on past it */
    }
    started_ = true;
    advance_from(did);
}

bool PosSource::check(Xapian::docid did, double min_wt)
{
    min_wt_ = min_wt;
    if (at_end_)
        return true;
    if (started_ && did <= did_) {
        if (did == did_)
            return matched_;
        return true; /* behind the place: skip_to() would stay */
    }
    started_ = true;
    did_ = did;
    /* false: an undetermined place, from which next() and skip_to() move on
     * past did. */
    matched_ = !too_light(did) && tallied_match(did);
    return matched_;
}

} // namespace kbs_shim
