/* collapse.h - one hit per story, found among the top matches rather than
 * by the matcher (collapse.c). Not installed. */
#ifndef KBS_COLLAPSE_H
#define KBS_COLLAPSE_H

#include "stories.h"
#include "xapian_shim.h"

/* Runs a search of the top matches without collapsing (p's collapse ignored,
 * offset 0): writes at most p->limit of them, best first, into matches and
 * the counts into *res, as xs_db_search does. */
typedef int (*collapse_fetch_fn)(void *ctx, const xs_search_params *p, xs_match *matches,
                                 xs_search_result *res);

/* Whether collapse_search() serves p: a page of a collapsed search with no
 * exact count, no facets and no decider (those need every match seen, which
 * Xapian's collapse key does in the same pass). */
int collapse_serves(const xs_search_params *p);

/* The page p asks for (p->offset, p->limit) with at most one match per
 * story, as Xapian's collapse key on the story slot gives it: the best match
 * of each story, and in its `collapsed` how many other matches of the story
 * it stands for. A window of the page's end and half as many again (at
 * least 5 more) is fetched through fetch and its stories looked up in sm,
 * the story map of the revision searched (the caller checks that the search
 * stayed on it); a window with too few stories is fetched again, larger.
 * When every match fell in the window the counts and the version counts are
 * exact; else the estimate is scaled by the share of stories in the window,
 * as Xapian's is, and a version count is a lower bound. Should the window
 * have to grow past WINDOW_MAX, the search runs again with Xapian's collapse
 * key (fetch with p). Returns a kbs status (KBS_ENOMEM, or fetch's). */
int collapse_search(const story_map *sm, const xs_search_params *p, collapse_fetch_fn fetch,
                    void *ctx, xs_match *matches, xs_search_result *res);

#endif
