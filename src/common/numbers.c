/*
 * numbers.c - token counts as vLLM's human_readable_int reads them, and plain decimals
 * (see numbers.h).
 */
#include "common/numbers.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Beyond this a double no longer holds every integer exactly. */
#define LP_MAX_EXACT_COUNT 9e15

bool lp_parse_token_count(const char *text, int64_t *out) {
    if (!text || !*text)
        return false;
    errno = 0;
    char *end;
    double v = strtod(text, &end);
    if (errno || end == text || !lp_apply_count_suffix(end, &v))
        return false;
    if (!(v <= LP_MAX_EXACT_COUNT && v >= -LP_MAX_EXACT_COUNT) || v != (double)(int64_t)v)
        return false;
    /* vLLM: "32k" means 32000; binary 1Ki-style forms are not used for token counts */
    *out = (int64_t)v;
    return true;
}

bool lp_apply_count_suffix(const char *suffix, double *v) {
    double mult = 1;
    if (*suffix == 'k' || *suffix == 'K')
        mult = 1000;
    else if (*suffix == 'm' || *suffix == 'M')
        mult = 1000000;
    if (mult != 1)
        suffix++;
    if (*suffix)
        return false;
    *v *= mult;
    return true;
}

bool lp_parse_decimal(const char *text, double *out) {
    /* strtod alone would also take hex, "nan", "inf" and leading blanks */
    if (!text || !*text || strspn(text, "0123456789+-.eE") != strlen(text) ||
        !strpbrk(text, "0123456789"))
        return false;
    errno = 0;
    char *end;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !isfinite(v))
        return false;
    *out = v;
    return true;
}
