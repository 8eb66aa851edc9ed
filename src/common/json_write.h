/*
 * json_write.h - write a jansson value to a FILE in one piece: the one JSON writer of the
 * renderers and the CLI. Private to src/.
 *
 * json_dumpf writes through a callback a few bytes at a time; dumping to one string and
 * writing it once is several times cheaper (it was 70 % of a `POST /v1/plan` request).
 */
#ifndef LP_COMMON_JSON_WRITE_H
#define LP_COMMON_JSON_WRITE_H

#include <jansson.h>
#include <stdio.h>

/** Like json_dumpf(j, out, flags): 0 on success, -1 on failure (allocation or write). */
int lp_json_write(FILE *out, const json_t *j, size_t flags);

#endif
