/*
 * file.c - whole-file reads with a size cap for the user-file readers (see file.h).
 */
#include "common/file.h"
#include "common/grow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

lp_status lp_read_stream(FILE *f, const char *kind, const char *path, size_t max_bytes, char **text,
                         size_t *len, lp_error *err) {
    *text = NULL;
    *len = 0;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    bool too_large = false;
    while (buf) {
        char *bigger = lp_grow(buf, &cap, n + 2, 1, cap); /* room to read, and the NUL */
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        size_t want = cap - 1 - n;
        if (want > max_bytes + 1 - n)
            want = max_bytes + 1 - n; /* one byte past the cap tells that there is more */
        size_t got = fread(buf + n, 1, want, f);
        const char *nul = memchr(buf + n, '\0', got);
        if (nul) {
            /* every reader here reads text: /dev/zero or a binary file ends at its first
             * chunk, not after max_bytes */
            size_t at = (size_t)(nul - buf);
            free(buf);
            return lp_error_set(err, LP_ERR_PARSE,
                                "%s %s holds binary data (a NUL byte at offset %zu), not text: "
                                "is it the right file?",
                                kind, path, at);
        }
        n += got;
        if (n > max_bytes) {
            too_large = true;
            break;
        }
        if (got == 0)
            break;
    }
    if (!buf)
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory reading %s", path);
    if (too_large) {
        free(buf);
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s %s is larger than %.0f MiB: is it the right file?", kind, path,
                            (double)max_bytes / 1048576.0);
    }
    if (ferror(f)) {
        free(buf);
        return lp_error_set(err, LP_ERR_IO, "error reading %s %s", kind, path);
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return LP_OK;
}

lp_status lp_read_file(const char *path, const char *kind, size_t max_bytes, char **text,
                       size_t *len, lp_error *err) {
    *text = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return lp_error_set(err, errno == ENOENT ? LP_ERR_NOT_FOUND : LP_ERR_IO,
                            "cannot open %s %s: %s", kind, path, strerror(errno));
    lp_status st = lp_read_stream(f, kind, path, max_bytes, text, len, err);
    fclose(f);
    return st;
}

bool lp_text_has_nul(const char *text, size_t len) {
    return memchr(text, '\0', len) != NULL;
}
