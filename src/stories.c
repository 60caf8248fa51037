/* stories.c - the story of every article of one revision, in memory.
 *
 * Collapsing a page of results needs the story of each hit that might make
 * it. Read from the index, each is a value block read (two pread()s of 8 KiB,
 * the branch and the leaf): for rare words that was a fifth of the query
 * (bench/README.md, session 6). Few articles belong to a story (15,332 of
 * Reuters' 106,494), so the value stream of the story slot is small: read
 * once per revision (1.2 ms there) into one sorted array (120 KiB),
 * and searched by bisection. */
#include "stories.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "kbsearch.h"

/* An article of a story: its id and its story's (the first article's). */
struct member {
    uint32_t docid;
    uint32_t story;
};

struct story_map {
    uint64_t revision;
    char uuid[64]; /* the database's: a copy built anew starts its revisions again */
    buf members;   /* struct member, ascending docid */
    int bad;       /* KBS_ECORRUPT: a value that is no story, or out of id order */
};

static int hex8(const char *s, size_t len, uint32_t *out)
{
    if (len != 8)
        return -1;
    uint32_t v = 0;
    for (size_t i = 0; i < 8; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return v ? 0 : -1;
}

static int add_story(void *ctx, uint32_t docid, const char *val, size_t len)
{
    story_map *m = ctx;
    struct member e = {docid, 0};
    size_t n = m->members.len / sizeof e;
    const struct member *v = (const struct member *)m->members.data;
    /* The stream is in id order. */
    if (hex8(val, len, &e.story) != 0 || (n && docid <= v[n - 1].docid)) {
        m->bad = KBS_ECORRUPT;
        return 1;
    }
    buf_append(&m->members, &e, sizeof e);
    return buf_failed(&m->members);
}

int story_map_load(xs_db *xdb, unsigned slot, story_map **out)
{
    *out = NULL;
    story_map *m = calloc(1, sizeof *m);
    if (!m)
        return KBS_ENOMEM;
    uint64_t after;
    int st = xs_db_revision(xdb, &m->revision);
    if (st == KBS_OK)
        st = xs_db_uuid(xdb, m->uuid, sizeof m->uuid);
    if (st == KBS_OK)
        st = xs_db_values(xdb, slot, add_story, m);
    if (st == KBS_OK)
        st = buf_failed(&m->members) ? KBS_ENOMEM : m->bad;
    /* A reader that met a newer revision halfway went on reading that one:
     * the map would mix the two. */
    if (st == KBS_OK && (st = xs_db_revision(xdb, &after)) == KBS_OK && after != m->revision)
        st = KBS_EBACKEND;
    if (st != KBS_OK) {
        story_map_free(m);
        return st;
    }
    *out = m;
    return KBS_OK;
}

int story_map_reads(const story_map *m, xs_db *xdb)
{
    uint64_t rev;
    char uuid[sizeof m->uuid];
    return xs_db_revision(xdb, &rev) == KBS_OK && rev == m->revision &&
           xs_db_uuid(xdb, uuid, sizeof uuid) == KBS_OK && strcmp(uuid, m->uuid) == 0;
}

uint32_t story_map_get(const story_map *m, uint32_t docid)
{
    const struct member *v = (const struct member *)m->members.data;
    size_t lo = 0, hi = m->members.len / sizeof *v;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].docid < docid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->members.len / sizeof *v && v[lo].docid == docid ? v[lo].story : 0;
}

void story_map_free(story_map *m)
{
    if (!m)
        return;
    buf_free(&m->members);
    free(m);
}
