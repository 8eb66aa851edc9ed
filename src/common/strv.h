/*
 * strv.h - arrays of owned strings (char **, each entry malloc'd): freeing one, entries and
 * array together, in one place. Private to src/.
 */
#ifndef LP_COMMON_STRV_H
#define LP_COMMON_STRV_H

#include <stddef.h>

/** Free v[0..n) and v itself; NULL entries and a NULL v are fine. */
void lp_strv_free(char **v, size_t n);

#endif
