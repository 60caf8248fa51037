/* cli_facets.c - the counts of --facets for people, for pages and for
 * programs: a table, a timeline, an HTML table, a JSON object. */
#include "cli.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* More values than this in a row of the table, and the rest is summed up. */
#define ROW_MAX 10
/* Months up to this span are shown by month; longer ones by year. */
#define MONTHS_MAX 24

/* The time unit of the table and the timeline. */
static int time_kind(const kbs_results *res)
{
    return kbs_results_facet_count(res, KBS_FACET_MONTH) > MONTHS_MAX ? KBS_FACET_YEAR
                                                                      : KBS_FACET_MONTH;
}

static const char *kind_label(int kind)
{
    return kind == KBS_FACET_CATEGORY ? "Category" : kind == KBS_FACET_MONTH ? "Month" : "Year";
}

/* "Economy 3 · Culture 2 · ..." for values with a count, the first ROW_MAX
 * of them, then how many more. */
static void put_row(FILE *f, const kbs_results *res, int kind, int html)
{
    size_t n = kbs_results_facet_count(res, kind), shown = 0, more = 0;
    for (size_t i = 0; i < n; i++) {
        kbs_facet v;
        if (kbs_results_facet(res, kind, i, &v) != KBS_OK || v.count == 0)
            continue;
        if (shown == ROW_MAX) {
            more++;
            continue;
        }
        if (shown++ > 0)
            fputs(" · ", f);
        if (html)
            cli_put_html(f, v.value, strlen(v.value));
        else
            cli_put_text(f, v.value, strlen(v.value));
        fprintf(f, " %llu", (unsigned long long)v.count);
    }
    if (more)
        fprintf(f, " · %zu more", more);
}

/* One character per month (or year) from the first match to the last: its
 * count against the largest, in eight steps; a space where there is none. */
static void put_sparkline(FILE *f, const kbs_results *res, int kind)
{
    static const char *const bars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    size_t n = kbs_results_facet_count(res, kind);
    uint64_t max = 0;
    kbs_facet v;
    for (size_t i = 0; i < n; i++)
        if (kbs_results_facet(res, kind, i, &v) == KBS_OK && v.count > max)
            max = v.count;
    if (n == 0 || max == 0)
        return;
    kbs_results_facet(res, kind, 0, &v);
    fputs("  Timeline  ", f);
    cli_put_text(f, v.value, strlen(v.value));
    fputc(' ', f);
    for (size_t i = 0; i < n; i++) {
        if (kbs_results_facet(res, kind, i, &v) != KBS_OK)
            continue;
        if (v.count == 0) {
            fputc(' ', f);
            continue;
        }
        /* Rounded up, so that a single match still shows. */
        uint64_t step = (v.count * 8 + max - 1) / max;
        fputs(bars[step > 0 ? step - 1 : 0], f);
    }
    kbs_results_facet(res, kind, n - 1, &v);
    fputc(' ', f);
    cli_put_text(f, v.value, strlen(v.value));
    fputc('\n', f);
}

void cli_render_facets(FILE *out, const kbs_results *res, int sparkline)
{
    int tk = time_kind(res);
    fprintf(out, "Matches: %llu\n", (unsigned long long)kbs_results_total(res));
    const int kinds[] = {KBS_FACET_CATEGORY, tk};
    for (size_t k = 0; k < 2; k++) {
        if (kbs_results_facet_count(res, kinds[k]) == 0)
            continue;
        fprintf(out, "  %-8s  ", kind_label(kinds[k]));
        put_row(out, res, kinds[k], 0);
        fputc('\n', out);
    }
    if (sparkline)
        put_sparkline(out, res, tk);
}

void cli_render_facets_html(FILE *out, const kbs_results *res)
{
    int tk = time_kind(res);
    fprintf(out, "<table class=\"kbs-facets\">\n<tr><th>Matches</th><td>%llu</td></tr>\n",
            (unsigned long long)kbs_results_total(res));
    const int kinds[] = {KBS_FACET_CATEGORY, tk};
    for (size_t k = 0; k < 2; k++) {
        if (kbs_results_facet_count(res, kinds[k]) == 0)
            continue;
        fprintf(out, "<tr><th>%s</th><td>", kind_label(kinds[k]));
        put_row(out, res, kinds[k], 1);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
}

static json_object *facet_array(const kbs_results *res, int kind)
{
    size_t n = kbs_results_facet_count(res, kind);
    json_object *a = json_object_new_array_ext((int)n);
    for (size_t i = 0; a && i < n; i++) {
        kbs_facet v;
        if (kbs_results_facet(res, kind, i, &v) != KBS_OK)
            continue;
        char *value = cli_utf8_repair(v.value, strlen(v.value));
        json_object *o = json_object_new_object();
        json_object *s = value ? json_object_new_string(value) : NULL;
        json_object *c = json_object_new_uint64(v.count);
        free(value);
        int bad = !o || !s || !c || json_object_object_add(o, "value", s) != 0;
        if (!bad)
            s = NULL;
        bad = bad || json_object_object_add(o, "count", c) != 0;
        if (!bad)
            c = NULL;
        bad = bad || json_object_array_add(a, o) != 0;
        if (bad) {
            json_object_put(s);
            json_object_put(c);
            json_object_put(o);
            json_object_put(a);
            return NULL;
        }
    }
    return a;
}

int cli_render_facets_json(FILE *out, const kbs_results *res)
{
    static const char *const names[] = {"category", "month", "year"};
    static const int kinds[] = {KBS_FACET_CATEGORY, KBS_FACET_MONTH, KBS_FACET_YEAR};
    json_object *top = json_object_new_object();
    json_object *fa = json_object_new_object();
    json_object *total = json_object_new_uint64(kbs_results_total(res));
    int bad = !top || !fa || !total || json_object_object_add(fa, "total", total) != 0;
    if (bad)
        json_object_put(total);
    for (size_t k = 0; !bad && k < 3; k++) {
        json_object *a = facet_array(res, kinds[k]);
        bad = !a || json_object_object_add(fa, names[k], a) != 0;
        if (bad)
            json_object_put(a);
    }
    if (!bad) {
        bad = json_object_object_add(top, "facets", fa) != 0;
        if (!bad)
            fa = NULL;
    }
    const char *line = bad ? NULL
                           : json_object_to_json_string_ext(
                                 top, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (line) {
        fputs(line, out);
        fputc('\n', out);
    }
    json_object_put(fa);
    json_object_put(top);
    return line ? 0 : -1;
}
