/*
 * file.c - whole-file reads for the user-file readers (see file.h).
 */
#include "common/file.h"

#include <stdlib.h>

lp_status lp_read_stream(FILE *f, const char *kind, const char *path, char **text, size_t *len,
                         lp_error *err) {
    *text = NULL;
    *len = 0;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 == cap) { /* keep one byte for the NUL */
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (!buf)
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory reading %s", path);
    if (ferror(f)) {
        free(buf);
        return lp_error_set(err, LP_ERR_IO, "error reading %s %s", kind, path);
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return LP_OK;
}
