/* buf.h - a growable byte buffer with a sticky error, shared by every module.
 *
 * Once an append fails for lack of memory, the buffer remembers it and every
 * later append does nothing, so a builder can append freely and check
 * buf_failed() once at the end (the SQLite FTS5 habit). */
#ifndef KBS_BUF_H
#define KBS_BUF_H

#include <stddef.h>

typedef struct buf {
    char *data; /* NUL-terminated when len > 0 or after buf_cstr() */
    size_t len;
    size_t cap;
    int failed; /* non-zero once an allocation failed */
} buf;

#define BUF_INIT                                                                                   \
    {                                                                                              \
        NULL, 0, 0, 0                                                                              \
    }

void buf_free(buf *b);
/* Empties the buffer, keeping its memory; clears the error. */
void buf_reset(buf *b);
/* Ensures room for `extra` more bytes plus a NUL. Returns 0, or -1 (sticky). */
int buf_reserve(buf *b, size_t extra);
void buf_append(buf *b, const void *data, size_t len);
void buf_append_str(buf *b, const char *s);
void buf_append_char(buf *b, char c);
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the data to the caller (free with free()); the buffer is left empty.
 * Returns NULL if the buffer failed. */
char *buf_detach(buf *b, size_t *len_out);
/* A NUL-terminated view of the contents ("" when empty or failed). */
const char *buf_cstr(buf *b);
static inline int buf_failed(const buf *b)
{
    return b->failed;
}

#endif
