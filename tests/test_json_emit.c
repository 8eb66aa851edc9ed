/*
 * test_json_emit.c - the streaming JSON writer (src/common/json_emit.c) writes what jansson
 * writes. The reference is jansson itself (json_dumps of the same values with the same flags),
 * and for numbers glibc's printf through jansson: every comparison below is against those
 * independent implementations, over documents with every kind of value and over 200,000
 * reals spread across twenty-seven decades, ties included.
 */
#include "support/lp_test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_emit.h"
#include "common/json_fields.h"
#include "perf/perf_internal.h"

/* jansson's text of one real, as the estimate JSON writes it. */
static void jansson_real(double v, int precision, char *buf, size_t size) {
    json_t *j = json_real(v);
    char *s = json_dumps(j, JSON_ENCODE_ANY | JSON_REAL_PRECISION(precision));
    snprintf(buf, size, "%s", s);
    free(s);
    json_decref(j);
}

static void check_real(double v, int precision) {
    char want[64], got[64];
    jansson_real(v, precision, want, sizeof want);
    lp_je_format_real(got, sizeof got, v, precision);
    if (strcmp(want, got) != 0)
        fail_msg("%.17g at precision %d: jansson writes %s, the writer %s", v, precision, want,
                 got);
}

static void test_reals(void **state) {
    (void)state;
    const double fixed[] = {0.0,       -0.0,    1.0,        8.0,       -3.0,      0.5,
                            1e6,       1e-5,    1.5e-5,     123456.5,  1234565.0, 999999.5,
                            9999995.0, 0.0001,  0.00012345, 100000.0,  1e15,      1e-12,
                            932.083,   27.5118, 350.822,    5592.5,    -2.5e-7,   1.0e21,
                            4.4e-300,  1.7e308, 0.1,        2.0 / 3.0, 1e27,      1e28};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        check_real(fixed[i], 6);
        check_real(fixed[i], 17);
        check_real(fixed[i], 12);
    }
    /* 200,000 reals, log-uniform over 1e-12 .. 1e15 with random mantissas, and the same
     * values rounded to few digits (ties and near-ties of the 7th digit) */
    lp_rng rng;
    lp_rng_seed(&rng, 7);
    for (int i = 0; i < 100000; i++) {
        double v = pow(10.0, -12.0 + 27.0 * lp_rng_uniform(&rng));
        if (i % 2)
            v = -v;
        check_real(v, 6);
        double digits = pow(10.0, floor(log10(fabs(v))) - 6);
        check_real(round(v / digits) * digits + 0.5 * digits, 6);
    }
}

/* One document written both ways. */
static void build_jansson(json_t *o) {
    json_object_set_new(o, "line", json_integer(12));
    json_object_set_new(o, "valid", json_true());
    json_object_set_new(o, "error", json_null());
    json_object_set_new(o, "neg", json_integer(-9007199254740991LL));
    json_object_set_new(o, "text", json_string("tab\there \"quoted\" back\\slash\n\x01 é ∑ 😀 /"));
    json_object_set_new(o, "real", json_real(932.083));
    json_t *ranges = json_object();
    json_t *r = json_object();
    json_object_set_new(r, "lo", json_real(1.25));
    json_object_set_new(r, "hi", json_real(2e-7));
    json_object_set_new(ranges, "ttft_ms", r);
    json_object_set_new(ranges, "none", json_null());
    json_object_set_new(ranges, "empty", json_object());
    json_object_set_new(o, "ranges", ranges);
    json_t *a = json_array();
    json_array_append_new(a, json_string("one"));
    json_array_append_new(a, json_string("two"));
    json_object_set_new(o, "assumptions", a);
    json_object_set_new(o, "nothing", json_array());
    json_object_set_new(o, "flag", json_false());
}

static void build_emit(lp_json_emit *w) {
    lp_je_object_begin(w);
    lp_je_key(w, "line");
    lp_je_int(w, 12);
    lp_je_key(w, "valid");
    lp_je_bool(w, true);
    lp_je_key(w, "error");
    lp_je_null(w);
    lp_je_key(w, "neg");
    lp_je_int(w, -9007199254740991LL);
    lp_je_key(w, "text");
    lp_je_string(w, "tab\there \"quoted\" back\\slash\n\x01 é ∑ 😀 /");
    lp_je_key(w, "real");
    lp_je_real(w, 932.083);
    lp_je_key(w, "ranges");
    lp_je_object_begin(w);
    lp_je_key(w, "ttft_ms");
    lp_je_object_begin(w);
    lp_je_key(w, "lo");
    lp_je_real(w, 1.25);
    lp_je_key(w, "hi");
    lp_je_real(w, 2e-7);
    lp_je_object_end(w);
    lp_je_key(w, "none");
    lp_je_null(w);
    lp_je_key(w, "empty");
    lp_je_object_begin(w);
    lp_je_object_end(w);
    lp_je_object_end(w);
    lp_je_key(w, "assumptions");
    lp_je_array_begin(w);
    lp_je_string(w, "one");
    lp_je_string(w, "two");
    lp_je_array_end(w);
    lp_je_key(w, "nothing");
    lp_je_array_begin(w);
    lp_je_array_end(w);
    lp_je_key(w, "flag");
    lp_je_bool(w, false);
    lp_je_object_end(w);
}

static void test_documents(void **state) {
    (void)state;
    json_t *o = json_object();
    build_jansson(o);
    const size_t layouts[2] = {JSON_INDENT(2), JSON_COMPACT};
    lp_json_emit w = {0};
    for (int k = 0; k < 2; k++) {
        char *want = json_dumps(o, layouts[k] | JSON_REAL_PRECISION(6));
        lp_je_init(&w, k == 0, 6);
        build_emit(&w);
        assert_false(w.oom);
        if (strcmp(want, w.buf) != 0)
            fail_msg("layout %d:\n--- jansson\n%s\n--- writer\n%s", k, want, w.buf);
        free(want);
    }
    /* a real that is not finite is null; a byte that is not UTF-8 becomes U+FFFD */
    lp_je_init(&w, false, 6);
    lp_je_array_begin(&w);
    lp_je_real(&w, NAN);
    lp_je_real(&w, INFINITY);
    lp_je_string(&w, "bad \xff byte");
    lp_je_array_end(&w);
    assert_string_equal(w.buf, "[null,null,\"bad \xEF\xBF\xBD byte\"]");
    json_error_t je;
    json_t *back = json_loads(w.buf, 0, &je);
    assert_non_null(back);
    json_decref(back);
    lp_je_free(&w);
    json_decref(o);
}

/* A field table writes what the hand-written calls would: each kind, the nulls of a real that
 * is not finite and of a POSITIVE that is not above 0, and every key null for no struct. */
typedef struct {
    double rate, missing, target, unset;
    int count;
    int64_t tokens;
    size_t n;
    bool on;
} table_sample;

static void test_field_tables(void **state) {
    (void)state;
    static const lp_json_field table[] = {
        LP_JF(table_sample, rate, "rate", REAL),
        LP_JF(table_sample, missing, "missing", REAL),
        LP_JF(table_sample, target, "target", POSITIVE),
        LP_JF(table_sample, unset, "unset", POSITIVE),
        LP_JF(table_sample, count, "count", INT),
        LP_JF(table_sample, tokens, "tokens", INT64),
        LP_JF(table_sample, n, "n", SIZE),
        LP_JF(table_sample, on, "on", BOOL),
    };
    table_sample s = {2.5, NAN, 40, 0, -3, 1099511627776LL, 7, true};
    /* by hand: 2^40 = 1099511627776 */
    const char *want = "{\"rate\": 2.5, \"missing\": null, \"target\": 40.0, \"unset\": null, "
                       "\"count\": -3, \"tokens\": 1099511627776, \"n\": 7, \"on\": true}";
    const char *want_null = "{\"rate\": null, \"missing\": null, \"target\": null, \"unset\": "
                            "null, \"count\": null, \"tokens\": null, \"n\": null, \"on\": null}";
    for (int none = 0; none < 2; none++) {
        const void *base = none ? NULL : &s;
        lp_json_emit w = {0};
        lp_je_init(&w, false, 12);
        lp_je_object_begin(&w);
        lp_je_fields(&w, base, table, LP_JF_COUNT(table));
        lp_je_object_end(&w);
        json_t *o = json_object();
        lp_json_set_fields(o, base, table, LP_JF_COUNT(table));
        char *dumped = json_dumps(o, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
        /* compact json_emit has no spaces; jansson's default separators have them */
        assert_string_equal(dumped, none ? want_null : want);
        json_t *back = json_loads(w.buf, 0, NULL);
        assert_non_null(back);
        assert_true(json_equal(back, o));
        json_decref(back);
        free(dumped);
        json_decref(o);
        lp_je_free(&w);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reals),
        cmocka_unit_test(test_documents),
        cmocka_unit_test(test_field_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
