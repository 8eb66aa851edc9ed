/*
 * order.c - three-way comparisons and qsort comparators (see order.h).
 */
#include "common/order.h"

#include <string.h>

int lp_order_double(double a, double b) {
    return (a > b) - (a < b);
}

int lp_order_u64(uint64_t a, uint64_t b) {
    return (a > b) - (a < b);
}

int lp_order_size(size_t a, size_t b) {
    return (a > b) - (a < b);
}

int lp_cmp_keyed(const void *a, const void *b) {
    const lp_keyed *x = a, *y = b;
    int by_key = lp_order_double(x->key, y->key);
    return by_key ? by_key : lp_order_size(x->index, y->index);
}

int lp_cmp_double(const void *a, const void *b) {
    return lp_order_double(*(const double *)a, *(const double *)b);
}

int lp_cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}
