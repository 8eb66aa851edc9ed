/*
 * grow.c - doubling growth with an overflow check (see grow.h). It never shrinks and never
 * frees: on failure the caller's array is untouched, so the caller's own cleanup applies.
 */
#include "common/grow.h"

#include <stdint.h>
#include <stdlib.h>

size_t lp_grow_capacity(size_t cap, size_t need, size_t elem, size_t first) {
    if (need <= cap)
        return cap;
    size_t n = cap > first ? cap : (first ? first : 1);
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return 0;
        n *= 2;
    }
    return elem == 0 || n > SIZE_MAX / elem ? 0 : n;
}

void *lp_grow(void *items, size_t *cap, size_t need, size_t elem, size_t first) {
    if (need <= *cap)
        return items;
    size_t n = lp_grow_capacity(*cap, need, elem, first);
    void *p = n ? realloc(items, n * elem) : NULL;
    if (p)
        *cap = n;
    return p;
}
