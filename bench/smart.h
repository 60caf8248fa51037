/* smart.h - reading the SMART layout of the classic test collections
 * (Cranfield, CACM, MED, ...): records opened by ".I <id>", fields opened by
 * a marker line "." plus one capital letter (".T" title, ".A" authors, ".W"
 * text, ...), each running until the next marker line.
 *
 * Only bench/cranfield-to-plain uses it; it is not part of the library.
 */
#ifndef KBS_BENCH_SMART_H
#define KBS_BENCH_SMART_H

#include <stddef.h>

#define SMART_ID_MAX 32

typedef struct smart_record {
    char id[SMART_ID_MAX]; /* the text after ".I", trimmed */
    size_t line;           /* line number of its ".I", for messages */
    /* Field 'X' is fields[X - 'A']: its lines joined with '\n', CRs dropped,
     * no final newline; NULL when the record has no such marker. A field
     * given twice keeps both parts, one after the other. */
    char *fields[26];
} smart_record;

typedef struct smart_file {
    smart_record *recs;
    size_t n, cap;
} smart_file;

/*
 * Parses data[0..len) (LF or CRLF line ends). On success *out holds the
 * records in file order; release it with smart_free(). On failure *out is
 * left empty and err[0..errlen) says what and on which line.
 * Returns KBS_OK, KBS_EINVAL (text before the first ".I", an ".I" without
 * an id or with one longer than SMART_ID_MAX - 1), KBS_ENOMEM.
 */
int smart_parse(const char *data, size_t len, smart_file *out, char *err, size_t errlen);
void smart_free(smart_file *f);

/* Field `tag` ('A'..'Z') of r, or NULL when absent (or tag out of range). */
const char *smart_field(const smart_record *r, char tag);

/*
 * Copies s with every run of white space (space, tab, CR, LF) made one space
 * and none at either end: a multi-line SMART field as one line. Returns a
 * malloc'd string, or NULL when out of memory. s may be NULL (gives "").
 */
char *smart_one_line(const char *s);

#endif
