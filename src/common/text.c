/*
 * text.c - control characters out of untrusted strings (see text.h).
 */
#include "common/text.h"

#include <stdio.h>

char *lp_text_printable(char *s) {
    for (unsigned char *p = (unsigned char *)s; p && *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            *p = '?';
    return s;
}

char *lp_text_printable_copy(const char *in, char *out, size_t size) {
    if (size == 0)
        return out;
    snprintf(out, size, "%s", in ? in : "");
    return lp_text_printable(out);
}
