/* schema.h - how an article is laid out in the Xapian database.
 *
 * Everything a hit needs lives inside the one Xapian database (terms,
 * values, and the records of the originals in its metadata), so a remote
 * shard served by xapian-tcpsrv can answer with full results and snippets,
 * and a commit makes index and store consistent in one step. */
#ifndef KBS_SCHEMA_H
#define KBS_SCHEMA_H

/* Bumped whenever the layout below changes incompatibly; checked at open. */
/* 2: records may need the store's dictionary (META_ZDICT); 3: facet slots,
 * story (near-duplicate) slot and terms; 4: title words are unprefixed stems
 * (TITLE_WDF), PFX_TITLE terms have no positions; 5: the stems of
 * stop words have no positions (stem_is_stopstem in stem.h); 6: the id
 * term is a hash of the key (SLOT_KEY where the display path is not the
 * key), PFX_DEDUP terms hold raw bytes, the change-detection state is
 * in the record's tag (size and mtime; the hash is the record's); 7: word
 * positions are in the metadata, in chunks per term (shim/positions.h), not
 * in Xapian's position table; 8: the records are in the metadata, keyed
 * by the document's id (XS_RECORD_PREFIX in shim/xapian_shim.h), not in
 * the document data; 9: each position in the chunks carries its word's form
 * tag (shim/positions.h, stem_form_tag in stem.h), and a word that is no
 * stop word has its positions whatever its stem ("underlying", stem
 * "under": stem_is_stopstem in stem.h); 12: a stem's positions are kept
 * in one stream of chunks per form tag (stream_name in shim/positions.h). */
#define SCHEMA_FORMAT "12"
#define META_FORMAT "kbs.format"
#define META_TEXT_BYTES "kbs.text_bytes"
#define META_STORE_BYTES "kbs.store_bytes"
/* The zstd dictionary of the store (its records name it by its id), trained
 * on the first articles indexed; absent while there are too few. In the
 * database, so a remote shard serves it with the records. */
#define META_ZDICT "kbs.zdict.1"

/* Term prefixes (Xapian's conventions where they exist). Unprefixed terms are
 * the stems of title and body words, with positions (kept by the shim in
 * metadata keys that begin with "p": shim/positions.h; but for the stems of
 * stop words, which have none: stem.h; the title's first, then
 * TITLE_BODY_GAP), so a plain query word is one posting list and a phrase one
 * PHRASE: two lists a word cost the matcher up to 1.7x (bench/README.md,
 * issue 6). The title's words also go under PFX_TITLE, without positions,
 * only to tell where a word is for title: and body: queries. */
#define PFX_TITLE "S"     /* title stems, wdf = occurrences, no positions */
#define PFX_BYLINE "A"    /* byline (reporter) stems */
#define PFX_CATEGORY "XC" /* folded category, boolean */
/* The article's key (usually its file's absolute path), unique: "Q" and the
 * 128-bit XXH3 of the key in ID_HASH_CHARS characters of base64url (db_id_term).
 * A key was held whole here until format 5: 104 bytes on average for the
 * Reuters archive, in the posting list table's keys and in every article's
 * term list. 128 bits keep two keys apart for any archive (a collision is
 * expected after some 2^64 keys), and the key itself stays in the article's
 * values (db_article_key) where a look-up by path must be exact. */
#define PFX_ID "Q"
#define PFX_DAY "D"   /* written date YYYYMMDD, boolean */
#define PFX_MONTH "M" /* YYYYMM */
#define PFX_YEAR "Y"  /* YYYY */
/* Near-duplicate candidates: min-hashes of the article's sentences, boolean
 * ("XD" + DEDUP_HASH_BYTES raw bytes; 8 hex digits until format 5), so
 * that articles sharing most sentences meet in a posting list at index time
 * (see dedup.h). */
#define PFX_DEDUP "XD"

/* Value slots. */
#define SLOT_WRITTEN 0 /* "YYYY-MM-DDTHH:MM:SS": sorts and ranges as a string */
#define SLOT_META                                                                                  \
    1 /* display fields, FIELD_SEP-separated: path, title,                                         \
         category, written, updated, byline */
/* Slot 2 held the change-detection state until format 5: it rides in the
 * stored record's tag now (index.c), so that an update whose display fields
 * did not change writes no value at all (xs_db_update). */
#define SLOT_UPDATED 3 /* like SLOT_WRITTEN, for the Updated: timestamp */
/* Facets count these over the whole match set, so they are short values of
 * their own rather than fields of SLOT_META. */
#define SLOT_CATEGORY 4 /* the category as displayed, "" if none */
#define SLOT_MONTH 5    /* "YYYY-MM" of the written date, absent if undated */
/* The story an article belongs to: the document id (8 hex digits) of the
 * first article of a group of near-duplicates, absent for an article with
 * none. Search collapses on it (one hit per story, "+N versions"). */
#define SLOT_STORY 6
/* The article's key, only when its display path (SLOT_META's MF_PATH, with
 * blanks folded and cut at 4,096 bytes) is not the key as given: a file whose
 * name has a tab, say. db_article_key() reads the one or the other. */
#define SLOT_KEY 7

#define FIELD_SEP '\x1f'
enum meta_field { MF_PATH, MF_TITLE, MF_CATEGORY, MF_WRITTEN, MF_UPDATED, MF_BYLINE, MF_COUNT };

/* Gap of positions between title and body, so that no phrase or NEAR runs
 * from the one into the other. */
#define TITLE_BODY_GAP 100

/* What one title word adds to its stem's wdf (a body word adds 1): how a
 * title match weighs more, through BM25's wdf, as Xapian's own
 * TermGenerator::index_text(title, wdf_inc) does. Chosen on Cranfield with
 * bench/eval-cranfield (bench/README.md). A body: query tells the body's
 * occurrences apart by it: wdf(stem) - TITLE_WDF * wdf(PFX_TITLE stem). */
#ifndef TITLE_WDF
#define TITLE_WDF 3
#endif

/* Characters of the id term's hash: 22 of base64url hold its 128 bits. */
#define ID_HASH_CHARS 22

/* Longest category term (Xapian's limit on a term is ~245 bytes). */
#define ID_TERM_MAX 200

#endif
