/*
 * test_band_coverage.c - the error bands against the held-out rows of ../shared/validation,
 * which no constant and no band was fitted on. The bands are fitted here exactly as `make bands`
 * fits data/bands.tsv (lp_bands_fit on the fit rows only), so the test measures the model and
 * the fitting method of this tree, not a table that a later model change made stale; with
 * LP_TEST_BANDS=FILE it measures that band table file instead (e.g. an older data/bands.tsv).
 * Counted is the share of measured values inside the 80 % band of their class (method x
 * quantity x statistic, and the KV capacity of the memory plan), per method and over all.
 * The target is 70-90 %.
 *
 * What is asserted, and why not more:
 *   - over all held-out serving comparisons and per method (each over 100 comparisons): 70-90 %;
 *   - every class with at least LP_BAND_MIN_MEASURED held-out comparisons: at least 70 %, i.e.
 *     no band promises 80 % and delivers clearly less.
 * A class's upper side (over 90 %: a band wider than the held-out rows needed) is printed but
 * not asserted per class: the latency classes rest on 7-10 held-out split groups (a group is
 * one deployment, often a sweep of five request rates whose rows fall inside or outside
 * together), and the fit groups of the same classes are more varied than the held-out ones, so
 * narrowing them would mean fitting on the held-out rows. docs/ACCURACY.md lists every class
 * with its groups and says which lie above 90 %.
 */
#include "support/lp_test.h"

#include <stdio.h>
#include <stdlib.h>

#include "llmplan/bands.h"
#include "llmplan/validate.h"

/* The target for the 80 % bands on held-out rows. */
#define COVERAGE_MIN 0.70
#define COVERAGE_MAX 0.90
/* Comparisons a method needs on held-out rows for its two-sided range to be asserted. */
#define MIN_METHOD_COMPARISONS 100

static double share(const lp_band_count *c) {
    return c->n > 0 ? (double)c->inside / c->n : 0.0;
}

static void print_count(const char *method, const char *quantity, const char *stat,
                        const lp_band_count *c) {
    lp_range b = lp_band_count_typical(c);
    printf("  %-9s %-10s %-6s %4d comparisons, %2d groups, typical band x%.2f-%.2f: ", method,
           quantity, stat, c->n, c->groups, b.lo, b.hi);
    if (c->n >= LP_BAND_MIN_MEASURED)
        printf("%5.1f %% inside%s\n", 100 * share(c),
               share(c) < COVERAGE_MIN   ? " (below 70 %)"
               : share(c) > COVERAGE_MAX ? " (above 90 %)"
                                         : "");
    else
        printf("too thin to measure\n");
}

/* A class must not deliver clearly less than its nominal coverage. */
static int check_class(const char *what, const lp_band_count *c) {
    if (c->n < LP_BAND_MIN_MEASURED || share(c) >= COVERAGE_MIN)
        return 0;
    printf("FAIL %s: %.1f %% of %d held-out values inside their 80 %% bands (under 70 %%)\n", what,
           100 * share(c), c->n);
    return 1;
}

static int check_range(const char *what, const lp_band_count *c) {
    if (share(c) >= COVERAGE_MIN && share(c) <= COVERAGE_MAX)
        return 0;
    printf("FAIL %s: %.1f %% of %d held-out values inside their 80 %% bands (target 70-90 %%)\n",
           what, 100 * share(c), c->n);
    return 1;
}

/* The band table measured: LP_TEST_BANDS's file, else fitted now on the fit rows of r and kv. */
static lp_band_table *table_to_measure(const lp_serving_report *r, const lp_kv_report *const *kv) {
    lp_band_table *t = NULL;
    lp_error err;
    const char *file = getenv("LP_TEST_BANDS");
    if (file && file[0]) {
        size_t len = 0;
        char *text = lp_test_read_file(file, &len);
        if (lp_band_table_parse(text, len, &t, &err) != LP_OK)
            fail_msg("%s: %s", file, err.message);
        free(text);
        printf("band table from LP_TEST_BANDS=%s: %s\n", file, t->origin);
        return t;
    }
    if (lp_bands_fit(r, kv, 2, &t, NULL, &err) != LP_OK)
        fail_msg("%s", err.message);
    printf("band table fitted now on the fit rows (as `make bands` does)\n");
    return t;
}

static void test_held_out_coverage(void **state) {
    (void)state;
    static const char *const SERVING[] = {"serving_perf.tsv", "serving_perf_2.tsv",
                                          "serving_modes.tsv"};
    static const char *const KV[] = {"kv_capacity.tsv", "kv_capacity_2.tsv"};
    lp_serving_report *r = calloc(1, sizeof *r);
    lp_kv_report *kv[2] = {calloc(1, sizeof(lp_kv_report)), calloc(1, sizeof(lp_kv_report))};
    assert_true(r && kv[0] && kv[1]);
    lp_validate_serving_opts opts;
    lp_validate_serving_opts_init(&opts);
    lp_error err;
    char rel[64], path[4096];
    for (size_t i = 0; i < sizeof SERVING / sizeof SERVING[0]; i++) {
        snprintf(rel, sizeof rel, "validation/%s", SERVING[i]);
        lp_test_shared_path(rel, path, sizeof path);
        if (lp_validate_serving_add(path, &opts, r, &err) != LP_OK)
            fail_msg("%s", err.message);
    }
    for (int i = 0; i < 2; i++) {
        snprintf(rel, sizeof rel, "validation/%s", KV[i]);
        lp_test_shared_path(rel, path, sizeof path);
        if (lp_validate_kv_capacity(path, kv[i], &err) != LP_OK)
            fail_msg("%s", err.message);
    }
    const lp_kv_report *kvs[2] = {kv[0], kv[1]};

    /* Looking a row's class up in a table gives the band its estimate carried: the compiled-in
     * table counted both ways agrees comparison for comparison. */
    lp_band_coverage given, looked_up;
    assert_int_equal(lp_band_coverage_of(r, true, NULL, &given, &err), LP_OK);
    assert_int_equal(lp_band_coverage_of(r, true, lp_band_table_builtin(), &looked_up, &err),
                     LP_OK);
    assert_int_equal(given.all.n, looked_up.all.n);
    assert_int_equal(given.all.inside, looked_up.all.inside);

    lp_band_table *t = table_to_measure(r, kvs);
    lp_band_coverage c;
    assert_int_equal(lp_band_coverage_of(r, true, t, &c, &err), LP_OK);
    lp_band_count kvc = lp_band_coverage_kv(kvs, 2, t, true);
    printf("held-out comparisons inside their 80 %% band:\n");
    int failed = 0;
    for (int k = 0; k < LP_SERVING_METHODS; k++) {
        for (int m = 0; m < LP_BAND_METRICS; m++)
            for (int s = 0; s < LP_BAND_STATS; s++) {
                const lp_band_count *cell = &c.cells[k][m][s];
                if (cell->n == 0)
                    continue;
                char what[64];
                snprintf(what, sizeof what, "%s %s %s", lp_method_name((lp_method)k),
                         lp_band_metric_name((lp_band_metric)m), lp_band_stat_name(s));
                print_count(lp_method_name((lp_method)k), lp_band_metric_name((lp_band_metric)m),
                            lp_band_stat_name(s), cell);
                failed += check_class(what, cell);
            }
        print_count(lp_method_name((lp_method)k), "all", "", &c.methods[k]);
        assert_true(c.methods[k].n >= MIN_METHOD_COMPARISONS);
        failed += check_range(lp_method_name((lp_method)k), &c.methods[k]);
    }
    print_count("plan", "kv", "center", &kvc);
    failed += check_class("plan kv center", &kvc);
    print_count("all", "all", "", &c.all);
    failed += check_range("all serving comparisons", &c.all);
    printf("(the compiled-in data/bands.tsv: %.1f %% of %d inside; %s)\n",
           100.0 * given.all.inside / (given.all.n ? given.all.n : 1), given.all.n,
           lp_band_table_builtin()->origin);
    fflush(stdout);
    lp_band_table_free(t);
    if (failed)
        fail_msg("%d coverage check(s) failed", failed);
    free(kv[0]);
    free(kv[1]);
    free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_held_out_coverage)};
    return cmocka_run_group_tests_name("error bands on held-out rows", tests, NULL, NULL);
}
