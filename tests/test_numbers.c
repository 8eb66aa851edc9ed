/*
 * test_numbers.c - src/common/numbers.c: token counts as vLLM's human_readable_int reads them
 * (k/K = 1,000, m/M = 1,000,000; "32k" is 32000, "1.5k" is 1500) and the suffix helper the CLI's
 * option parser shares with it. Expected values are the multiplications done by hand.
 */
#include "support/lp_test.h"

#include <stdint.h>

#include "common/numbers.h"

static void test_token_counts(void **state) {
    (void)state;
    int64_t v = 0;
    assert_true(lp_parse_token_count("32k", &v));
    assert_int_equal(v, 32000);
    assert_true(lp_parse_token_count("1.5K", &v));
    assert_int_equal(v, 1500);
    assert_true(lp_parse_token_count("2M", &v));
    assert_int_equal(v, 2000000);
    assert_true(lp_parse_token_count("-1", &v));
    assert_int_equal(v, -1);
    assert_false(lp_parse_token_count("32kb", &v)); /* text after the suffix */
    assert_false(lp_parse_token_count("1.5", &v));  /* a fraction */
    assert_false(lp_parse_token_count("", &v));
}

static void test_count_suffix(void **state) {
    (void)state;
    double v = 3;
    assert_true(lp_apply_count_suffix("", &v));
    assert_true(v == 3);
    assert_true(lp_apply_count_suffix("k", &v));
    assert_true(v == 3000);
    assert_true(lp_apply_count_suffix("m", &v));
    assert_true(v == 3e9);
    assert_false(lp_apply_count_suffix("g", &v));
    assert_false(lp_apply_count_suffix("kk", &v));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_counts),
        cmocka_unit_test(test_count_suffix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
