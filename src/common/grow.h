/*
 * grow.h - the one way an array or a buffer grows in llmplan: its capacity doubled (from a
 * first size) until it holds what is needed, with the byte count checked for overflow before
 * realloc sees it. Every growable array in src/ (rows read from a file, simulation segments,
 * response bodies, ...) grows through it. Private to src/.
 */
#ifndef LP_COMMON_GROW_H
#define LP_COMMON_GROW_H

#include <stddef.h>

/**
 * The capacity an array of cap elements grows to so that it holds need: cap itself when it
 * does, else max(cap, first) doubled until >= need. 0 when that would overflow size_t or the
 * bytes (times elem) would. For a caller that accounts for the bytes before it allocates.
 */
size_t lp_grow_capacity(size_t cap, size_t need, size_t elem, size_t first);

/**
 * Make items (an array of *cap elements of elem bytes; NULL when *cap is 0) hold at least need
 * elements: when need > *cap it is realloc'd to the first capacity, doubled from max(*cap,
 * first), that is >= need, and *cap is set to it. Returns the array (moved or not); NULL when
 * the size in bytes would overflow size_t or memory runs out, with items and *cap as they
 * were (the caller still owns and frees items).
 */
void *lp_grow(void *items, size_t *cap, size_t need, size_t elem, size_t first);

#endif
