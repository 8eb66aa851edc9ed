/*
 * file.h - read a whole open file into memory, for the readers of user files (GPU rows,
 * prices, vLLM benchmark results). Private to src/.
 */
#ifndef LP_COMMON_FILE_H
#define LP_COMMON_FILE_H

#include <stddef.h>
#include <stdio.h>

#include "llmplan/status.h"

/**
 * Read f to its end into *text (malloc'd, NUL-terminated; the caller frees it), *len bytes.
 * f stays open. LP_ERR_NOMEM "out of memory reading <path>", LP_ERR_IO "error reading
 * <kind> <path>" (kind: "GPU file", "price file", ...).
 */
lp_status lp_read_stream(FILE *f, const char *kind, const char *path, char **text, size_t *len,
                         lp_error *err);

#endif
