/*
 * env.c - environment variables and "~" as huggingface_hub reads them (see env.h).
 */
#include "common/env.h"

#include <stdio.h>
#include <stdlib.h>

const char *lp_env_nonempty(const char *name) {
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

bool lp_env_expand_home(const char *in, char *out, size_t size) {
    const char *home = lp_env_nonempty("HOME");
    int w;
    if (in[0] == '~' && (in[1] == '\0' || in[1] == '/') && home)
        w = snprintf(out, size, "%s%s", home, in + 1);
    else
        w = snprintf(out, size, "%s", in);
    return w >= 0 && (size_t)w < size;
}
