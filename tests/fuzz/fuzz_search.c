/* fuzz_search.c - libFuzzer target: a whole search through the public API,
 * on an index of the project's corpus/ made once per process.
 *
 * Where fuzz_query parses without a database, this runs what it parses:
 * prefix expansion against real terms, Xapian's own checks of the query's
 * shape (some it makes only when it runs them), the phrase check against the
 * stored texts, spelling suggestions, facets, collapsing of stories, and the
 * snippets of real articles. Input: four bytes of options, then the query.
 * A search must succeed, or fail with KBS_EQUERY and an offset inside the
 * query; the hits must be well formed.
 *
 * The index lives in a temporary folder under $TMPDIR (or /tmp), removed
 * when the process exits normally. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kbsearch.h"

#ifndef KBS_SOURCE_DIR
#error "KBS_SOURCE_DIR must name the source tree (tests/fuzz/CMakeLists.txt sets it)"
#endif

static char index_dir[256];

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_index(void)
{
    if (index_dir[0])
        nftw(index_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static kbs_db *fuzz_db(void)
{
    static kbs_db *db;
    if (db)
        return db;
    const char *tmp = getenv("TMPDIR");
    snprintf(index_dir, sizeof index_dir, "%s/kbs-fuzz-search-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    char *err = NULL;
    kbs_db *w = NULL;
    kbs_index_options io;
    kbs_index_options_init(&io);
    io.workers = 1;
    if (!mkdtemp(index_dir))
        abort();
    atexit(remove_index);
    if (kbs_db_open(index_dir, KBS_OPEN_WRITE | KBS_OPEN_CREATE, &w, &err) != KBS_OK ||
        kbs_index_dir(w, KBS_SOURCE_DIR "/corpus", &io, NULL) != KBS_OK ||
        kbs_db_close(w) != KBS_OK || kbs_db_open(index_dir, KBS_OPEN_READ, &db, &err) != KBS_OK) {
        fprintf(stderr, "fuzz_search: cannot index corpus/: %s\n", err ? err : "?");
        abort();
    }
    return db;
}

static void check_results(const kbs_results *res)
{
    size_t n = kbs_results_count(res);
    for (size_t i = 0; i < n; i++) {
        kbs_hit h;
        if (kbs_results_get(res, i, &h) != KBS_OK)
            abort();
        size_t sl = strlen(h.snippet), last = 0;
        for (size_t k = 0; k < h.nspans; k++) {
            if (h.spans[k].start < last || (size_t)h.spans[k].start + h.spans[k].len > sl)
                abort();
            last = (size_t)h.spans[k].start + h.spans[k].len;
        }
        (void)strlen(h.title);
        (void)strlen(h.path);
        (void)strlen(kbs_results_explain(res, i));
    }
    for (int kind = KBS_FACET_CATEGORY; kind <= KBS_FACET_YEAR; kind++) {
        size_t nf = kbs_results_facet_count(res, kind);
        for (size_t i = 0; i < nf; i++) {
            kbs_facet f;
            if (kbs_results_facet(res, kind, i, &f) != KBS_OK || !f.value)
                abort();
        }
    }
    const char *s = kbs_results_suggestion(res);
    if (s)
        (void)strlen(s);
    (void)strlen(kbs_results_notes(res));
    (void)strlen(kbs_results_query(res));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    kbs_db *db = fuzz_db();
    kbs_search_options o;
    kbs_search_options_init(&o);
    o.limit = 1u + data[0] % 12;
    o.offset = data[1] % 4;
    o.match = data[0] & 0x80 ? KBS_MATCH_ANY : KBS_MATCH_ALL;
    o.sort = data[1] % 3 == 0   ? KBS_SORT_RELEVANCE
             : data[1] % 3 == 1 ? KBS_SORT_NEWEST
                                : KBS_SORT_OLDEST;
    o.exact_count = data[1] & 0x10;
    o.explain = data[1] & 0x20;
    o.all_versions = data[1] & 0x40;
    o.facets = data[1] & 0x80;
    o.fragments = data[2] % 5;
    o.snippet_len = data[2] & 0x80 ? 20u + data[3] : 0;
    o.max_expansion = data[3] % 3 == 0 ? 1 : 0;
    o.no_snippets = data[2] & 0x40 && data[2] & 0x20;
    const char *q = (const char *)data + 4;
    size_t qlen = size - 4;
    kbs_results *res = NULL;
    int st = kbs_search(db, q, qlen, &o, &res);
    if (st == KBS_OK) {
        check_results(res);
    } else if (st == KBS_EQUERY) {
        if (kbs_db_error_offset(db) > qlen)
            abort();
    } else {
        fprintf(stderr, "fuzz_search: status %d: %s\n", st, kbs_db_errmsg(db));
        abort(); /* anything else on a sound index is a bug */
    }
    kbs_results_free(res);
    return 0;
}
