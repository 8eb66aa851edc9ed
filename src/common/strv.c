/*
 * strv.c - arrays of owned strings (see strv.h).
 */
#include "common/strv.h"

#include <stdlib.h>

void lp_strv_free(char **v, size_t n) {
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}
