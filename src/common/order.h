/*
 * order.h - three-way comparisons (-1, 0, 1) and the qsort comparators built on them, one home
 * each instead of a copy per file that sorts. Comparing doubles as (a > b) - (a < b) does, a
 * NaN is equal to everything. Private to src/.
 */
#ifndef LP_COMMON_ORDER_H
#define LP_COMMON_ORDER_H

#include <stddef.h>
#include <stdint.h>

/** -1, 0 or 1 as a is below, equal to or above b. */
int lp_order_double(double a, double b);
int lp_order_u64(uint64_t a, uint64_t b);
int lp_order_size(size_t a, size_t b);

/** A position in an array and the key it sorts by: qsort with lp_cmp_keyed orders by key,
 *  ties in the order of position (a stable sort of anything). */
typedef struct {
    double key;
    size_t index;
} lp_keyed;

/** qsort comparator of lp_keyed: by key, then by index. */
int lp_cmp_keyed(const void *a, const void *b);

/** qsort comparator of doubles, ascending. */
int lp_cmp_double(const void *a, const void *b);

/** qsort comparator of C strings (an array of char *), by strcmp. */
int lp_cmp_str(const void *a, const void *b);

#endif
