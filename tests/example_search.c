/* example_search.c - a tool embedding the kbsearch searcher (shown in the README).
 * Usage: example_search INDEX_DIR QUERY */
#include <kbsearch.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    kbs_db *db;
    kbs_results *res;
    char *err = NULL;
    if (argc != 3 || kbs_db_open(argv[1], KBS_OPEN_READ, &db, &err) != KBS_OK) {
        fprintf(stderr, "example_search: %s\n", err ? err : "usage: example_search INDEX QUERY");
        kbs_free(err);
        return 2;
    }
    if (kbs_search(db, argv[2], strlen(argv[2]), NULL, &res) != KBS_OK) {
        fprintf(stderr, "example_search: %s\n", kbs_db_errmsg(db));
        kbs_db_close(db);
        return 2;
    }
    for (size_t i = 0; i < kbs_results_count(res); i++) {
        kbs_hit hit;
        kbs_results_get(res, i, &hit);
        printf("%u. %s (%s)\n   %s\n", hit.rank, hit.title, hit.path, hit.snippet);
    }
    int found = kbs_results_count(res) > 0;
    kbs_results_free(res);
    kbs_db_close(db);
    return found ? 0 : 1;
}
