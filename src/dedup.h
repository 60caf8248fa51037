/* dedup.h - near-duplicate articles: the same story updated or re-filed.
 *
 * Two articles are versions of one story when most of their sentences are
 * the same. A sentence is the run of body words (article_parse paragraphs, no
 * chrome) from one sentence start to the next, as the tokenizer folds them,
 * numbers included: two earnings reports written from one template but with
 * other figures share few sentences, and stay apart.
 *
 * At index time each article gets DEDUP_HASHES min-hashes of its set of
 * sentences as boolean PFX_DEDUP terms (dedup_add_terms), so that articles
 * sharing most sentences are likely to share a term. When changes are
 * committed (db_commit: every batch of kbs_index_dir and its end; before the
 * merge of a parallel build, on the index and its chunks; kbs_db_commit and kbs_db_close after
 * kbs_index_buffer or kbs_delete), dedup_pass() looks at the articles added
 * or changed since the last commit and at the stories that lost or changed
 * a member: candidates come from the posting lists of their PFX_DEDUP terms
 * (a term held by many articles is boilerplate and is ignored), each pair is
 * verified exactly from the stored originals by the sentences they share,
 * and the verified pairs are joined (union-find) into stories. SLOT_STORY is
 * then written where it changes, and only there.
 */
#ifndef KBS_DEDUP_H
#define KBS_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "article.h"
#include "db_internal.h"

/* Min-hashes per article: two articles whose sets of sentences have Jaccard
 * similarity J share at least one with probability 1 - (1 - J)^8 (0.94 for
 * J = 0.3, an update that doubled the article). */
#define DEDUP_HASHES 8
/* Bytes of a min-hash in its term (after PFX_DEDUP): 4 bits for the hash
 * function's number, 28 of the hash. */
#define DEDUP_HASH_BYTES 4
/* Sentences of fewer words say too little to tell a story by ("He said
 * so.", sign-offs). */
#define DEDUP_MIN_WORDS 4
/* Articles with fewer (long enough) sentences get no terms: too little to
 * tell a version from a coincidence. */
#define DEDUP_MIN_SENTENCES 2
/* A min-hash held by more articles than this is boilerplate (a standard
 * sentence of an agency): its posting list is not read. */
#define DEDUP_MAX_POSTING 64

/* The verdict on two sets of sentences (sorted, unique hashes) of sizes na
 * and nb sharing `shared`: non-zero for versions of one story. */
int dedup_same_story(size_t na, size_t nb, size_t shared);

/* The sorted, unique hashes of the sentences of article art (parsed from
 * text). *out is malloc'd (caller frees; NULL when *n is 0). Returns 0, or
 * -1 when out of memory. */
int dedup_sentences(const char *text, const article *art, uint64_t **out, size_t *n);

/* Adds the article's PFX_DEDUP terms to doc (none when it has fewer than
 * DEDUP_MIN_SENTENCES sentences). Returns a kbs status. With sents, also
 * hands back the hashes of its sentences (as dedup_sentences() does: the
 * caller frees *sents). */
int dedup_add_terms(xs_doc *doc, const char *text, const article *art, uint64_t **sents,
                    size_t *nsents);

/* A pass looks for the hashes of an article's sentences through
 * db->sents_find (db_internal.h) before it reads its stored text. */

/* ---- what the next dedup_pass() must look at ----
 * Called by index.c and build.c as articles change; each returns a kbs
 * status (KBS_ENOMEM, or the shim's status reading the old story). */

/* Article docid is about to be replaced or deleted: its story (if any) must
 * be looked at again. */
int dedup_note_old(kbs_db *db, uint32_t docid);
/* Article docid was added or replaced. */
int dedup_note_new(kbs_db *db, uint32_t docid);
/* Articles lo..hi (inclusive; some ids may be unused) were added by a
 * parallel build. */
int dedup_note_range(kbs_db *db, uint32_t lo, uint32_t hi);
/* A worker process of a parallel build: its scratch database holds only a
 * part of the articles, so the parent groups them before the merge. */
void dedup_disable(kbs_db *db);
/* Forgets what was noted (the handle is closed, or the changes dropped). */
void dedup_forget(kbs_db *db);

/* Groups the articles noted since the last pass into stories and writes
 * their SLOT_STORY. Called by db_commit() before Xapian's commit, so that the
 * stories are committed with the articles. Returns a kbs status (the
 * message is on the handle). */
int dedup_pass(kbs_db *db);

/* A change of story the pass found: article docid's SLOT_STORY becomes
 * story ("" removes it). */
struct dedup_write {
    uint32_t docid;
    char *story; /* malloc'd */
};
struct dedup_writes {
    struct dedup_write *v;
    size_t n, cap;
};

/* As dedup_pass(), on db->xdb as it is (a reader will do: a parallel build
 * hands it the index and its scratch databases opened together), but the
 * changes are appended to *out instead of written: the caller writes them
 * where each article lives. */
int dedup_pass_collect(kbs_db *db, struct dedup_writes *out);
void dedup_writes_free(struct dedup_writes *w);

#endif
