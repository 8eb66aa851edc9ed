/*
 * numbers.h - numbers as people write them on a command line or in a request: token counts
 * in vLLM's human_readable_int form ("16000", "16k", "32K", "1M"). Private to src/.
 */
#ifndef LP_COMMON_NUMBERS_H
#define LP_COMMON_NUMBERS_H

#include <stdbool.h>
#include <stdint.h>

/**
 * Parse a whole integer with an optional decimal suffix as vLLM's human_readable_int reads it:
 * k/K = 1,000, m/M = 1,000,000 ("32k" is 32000, "1.5k" is 1500); a sign is allowed ("-1").
 * False for anything else (empty, trailing text, a fraction left after the suffix, beyond
 * +-9e15).
 */
bool lp_parse_token_count(const char *text, int64_t *out);

/**
 * The suffix of a token count after its number v: none, or k/K (x 1,000) or m/M (x 1,000,000)
 * and nothing after it. *v is multiplied; false when anything else follows the number.
 */
bool lp_apply_count_suffix(const char *suffix, double *v);

/**
 * Parse a plain decimal number as a person writes one in a table: digits with an optional
 * sign, point and exponent ("12", "0.5", "-3", "1e3"), nothing before or after it. False for
 * anything else (empty, hex, "nan", "inf", a unit, out of range).
 */
bool lp_parse_decimal(const char *text, double *out);

#endif
