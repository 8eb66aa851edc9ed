/*
 * json_write.c - lp_json_write: one allocation and one fwrite per JSON document (see
 * json_write.h for why).
 */
#include "common/json_write.h"

#include <stdlib.h>
#include <string.h>

int lp_json_write(FILE *out, const json_t *j, size_t flags) {
    char *text = json_dumps(j, flags);
    if (!text)
        return -1;
    size_t n = strlen(text);
    int rc = fwrite(text, 1, n, out) == n ? 0 : -1;
    free(text);
    return rc;
}
