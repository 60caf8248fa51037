/* store_dict.h - how the store's zstd dictionary is trained, in one place:
 * index.c trains it so, and bench/bench_zstd.c must train its dictionaries
 * the same way for its measurements to speak for the store. */
#ifndef KBS_STORE_DICT_H
#define KBS_STORE_DICT_H

#include <string.h>
#define ZDICT_STATIC_LINKING_ONLY /* ZDICT_fastCover_params_t */
#include <zdict.h>

/* fastCover with fixed parameters: ZDICT_trainFromBuffer() searches them
 * and takes seconds, for a dictionary no better on news text. */
static inline ZDICT_fastCover_params_t store_dict_params(int level)
{
    ZDICT_fastCover_params_t fp;
    memset(&fp, 0, sizeof fp);
    fp.k = 200;
    fp.d = 8;
    fp.f = 20;
    fp.accel = 1;
    fp.zParams.compressionLevel = level;
    return fp;
}

#endif
