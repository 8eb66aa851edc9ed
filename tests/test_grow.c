/*
 * test_grow.c - src/common/grow.c: the capacities an array grows through (doubled from the
 * first size until what is needed fits; worked out by hand below), the contents kept across a
 * move, and a size that would overflow size_t refused with the array left as it was.
 */
#include "support/lp_test.h"

#include <stdint.h>
#include <stdlib.h>

#include "common/grow.h"

static void test_capacities(void **state) {
    (void)state;
    /* from nothing: the first size; then 64 -> 128 -> 256 until 200 fit */
    assert_int_equal(lp_grow_capacity(0, 1, 8, 64), 64);
    assert_int_equal(lp_grow_capacity(64, 65, 8, 64), 128);
    assert_int_equal(lp_grow_capacity(64, 200, 8, 64), 256);
    /* enough already: unchanged */
    assert_int_equal(lp_grow_capacity(100, 100, 8, 64), 100);
    /* a capacity above the first size doubles from itself: 100 -> 200 */
    assert_int_equal(lp_grow_capacity(100, 101, 8, 64), 200);
    /* overflow: of the count, and of the bytes (2^62 elements of 8 bytes = 2^65) */
    assert_int_equal(lp_grow_capacity(0, SIZE_MAX, 1, 1), 0);
    assert_int_equal(lp_grow_capacity(0, (size_t)1 << 62, 8, 1), 0);
}

static void test_grow_keeps_items(void **state) {
    (void)state;
    int *v = NULL;
    size_t cap = 0;
    for (int i = 0; i < 1000; i++) {
        int *p = lp_grow(v, &cap, (size_t)i + 1, sizeof *v, 16);
        assert_non_null(p);
        v = p;
        v[i] = i * 3;
    }
    /* 16 doubled six times: 1024, the first capacity >= 1000 */
    assert_int_equal(cap, 1024);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(v[i], i * 3);
    /* a size that overflows: NULL, and the array and its capacity stay */
    assert_null(lp_grow(v, &cap, SIZE_MAX / 2, sizeof *v, 16));
    assert_int_equal(cap, 1024);
    assert_int_equal(v[999], 2997);
    free(v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capacities),
        cmocka_unit_test(test_grow_keeps_items),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
