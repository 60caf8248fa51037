/* room.h - whether the disk has room for a commit, asked before it starts.
 *
 * Xapian 1.4 writes part of a commit (glass's ValueUpdater: the value
 * streams of the documents changed) from a destructor. A write failing there
 * (a full disk, a file size limit) cannot be caught: the process ends in
 * std::terminate, whatever the caller's handlers, and a library embedded in
 * another program must not install its own terminate handler. The index is
 * intact after it, but the user gets an abort instead of a message. So
 * before a commit that changes articles, the writer checks that the disk
 * (and the file size limit) clearly leaves room for what the commit may
 * write, and fails cleanly when it does not: a full disk then ends the run
 * here, with a message, rather than inside Xapian. The worker processes of a
 * parallel build need no check: they report such an end themselves
 * (xs_on_terminate). Not installed. */
#ifndef KBS_ROOM_H
#define KBS_ROOM_H

#include <stdint.h>

#include "db_internal.h"

/* What a commit writes, as far as its size goes. */
struct room_need {
    uint64_t text;    /* bytes of text of the articles added or updated */
    uint32_t docs;    /* articles changed in any way (added, updated, removed, restoried) */
    uint32_t removed; /* of those, the articles removed */
};

/* KBS_OK if the folder dir, which holds the database x, has room for a
 * commit of x that writes need, by statvfs() and RLIMIT_FSIZE; else
 * KBS_EIO, with a message on db that starts with what, names the index and
 * says to free some space, in the words of db_fail_shim's for a full disk
 * (the commit has not started: what was committed before is intact). A check that cannot be made
 * (statvfs fails) passes: it is a precaution, and the commit reports a failure of its own. */
int room_for_commit(kbs_db *db, xs_db *x, const char *dir, const struct room_need *need,
                    const char *what);

#endif
