/*
 * file.h - read a whole file into memory, for the readers of user files (GPU rows, prices,
 * vLLM benchmark results and logs, length histograms, calibrations), always with a size cap:
 * a file name can be /dev/zero, a FIFO or a 50 GB log, and reading must end. Private to src/.
 */
#ifndef LP_COMMON_FILE_H
#define LP_COMMON_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "llmplan/status.h"

/**
 * Read the text file f to its end, at most max_bytes, into *text (malloc'd, NUL-terminated; the
 * caller frees it), *len bytes. f stays open. LP_ERR_PARSE "<kind> <path> is larger than N MiB:
 * is it the right file?" (reading stops there), LP_ERR_PARSE "<kind> <path> holds binary data
 * (a NUL byte at offset N), not text: ..." (reading stops at the first chunk with one, so
 * /dev/zero ends at once), LP_ERR_NOMEM "out of memory reading <path>", LP_ERR_IO
 * "error reading <kind> <path>" (kind: "GPU file", "price file", ...).
 */
lp_status lp_read_stream(FILE *f, const char *kind, const char *path, size_t max_bytes, char **text,
                         size_t *len, lp_error *err);

/**
 * lp_read_stream on the file at path. LP_ERR_NOT_FOUND / LP_ERR_IO "cannot open <kind> <path>:
 * <reason>" when it cannot be opened.
 */
lp_status lp_read_file(const char *path, const char *kind, size_t max_bytes, char **text,
                       size_t *len, lp_error *err);

/** Whether text[0..len) holds a NUL byte: binary data, not the text file it should be. */
bool lp_text_has_nul(const char *text, size_t len);

#endif
