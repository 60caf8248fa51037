/* stories.h - the story of every article of one revision of an index, held
 * in memory, so that a page of results collapses without reading the story
 * of each hit from the index (collapse.c). Not installed. */
#ifndef KBS_STORIES_H
#define KBS_STORIES_H

#include <stdint.h>

#include "xapian_shim.h"

typedef struct story_map story_map;

/* Reads the stories (slot's values: the first article's id in 8 hex digits)
 * of the revision xdb reads now. Returns KBS_OK with *out set (story_map_free
 * it), or a status with *out NULL: KBS_EBACKEND also when xdb has no
 * revision to tell (a remote database) or moved to another during the read,
 * KBS_ECORRUPT for a value that is no story, KBS_ENOMEM. */
int story_map_load(xs_db *xdb, unsigned slot, story_map **out);
/* Whether xdb reads now the revision (of the database) the map was read at. */
int story_map_reads(const story_map *m, xs_db *xdb);
/* The story of docid (its first article's id), 0 for an article in none. */
uint32_t story_map_get(const story_map *m, uint32_t docid);
void story_map_free(story_map *m);

#endif
