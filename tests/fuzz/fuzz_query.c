/* fuzz_query.c - libFuzzer target: the query parser on arbitrary bytes.
 *
 * The bytes are repaired as kbs_search() repairs them (query_parse wants
 * valid UTF-8), then parsed with no database (prefixes are not expanded),
 * in match-all or match-any mode. A parse must succeed or fail with an error
 * whose position lies inside the query as given (before the repair); every
 * plan must be well formed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kbsearch.h"
#include "query.h"
#include "stem.h"
#include "tokenize.h"
#include "utf8.h"

/* The stemmer is costly to make and holds no state a parse could leave
 * behind but its cache, so one serves every input. */
static stemmer *fuzz_stemmer(void)
{
    static stemmer *st;
    if (!st && stemmer_new("english", &st) != 0)
        abort();
    return st;
}

static void check_plan(const query_plan *p)
{
    for (size_t i = 0; i + 1 < p->nstems; i++)
        if (strcmp(p->stems[i], p->stems[i + 1]) >= 0)
            abort(); /* query.h promises sorted, unique stems */
    for (size_t i = 0; i < p->nphrases; i++)
        for (size_t j = 0; j < p->phrases[i].nwords; j++)
            if (strlen(p->phrases[i].words[j]) > TOK_MAX_BYTES)
                abort();
    (void)buf_cstr((buf *)&p->notes);
    (void)buf_cstr((buf *)&p->described);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    query_options o;
    memset(&o, 0, sizeof o);
    o.match_any = data[0] & 1;
    o.max_expansion = (data[0] & 2) ? 1 : QUERY_DEFAULT_EXPANSION;
    const char *q;
    size_t qlen;
    char *owned = NULL;
    if (utf8_repair((const char *)data + 1, size - 1, &q, &qlen, &owned) != 0)
        return 0;
    if (owned) { /* as search.c: errors in the caller's bytes */
        o.raw = (const char *)data + 1;
        o.raw_len = size - 1;
    }
    query_plan plan;
    query_error err;
    memset(&err, 0, sizeof err);
    int st = query_parse(q, qlen, &o, fuzz_stemmer(), NULL, &plan, &err);
    if (st == KBS_OK)
        check_plan(&plan);
    else if (st == KBS_EQUERY &&
             (err.pos > size - 1 || !memchr(err.msg, '\0', sizeof err.msg) || err.msg[0] == '\0'))
        abort(); /* an error must say what and where */
    else if (st != KBS_EQUERY && st != KBS_ENOMEM)
        abort();
    query_plan_free(&plan);
    free(owned);
    return 0;
}
