/*
 * dl.c - optional shared libraries opened with dlopen on first use (see dl.h).
 */
#include "common/dl.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static void load(lp_dl_lib *lib) {
    void *h = NULL;
    for (const char *const *s = lib->sonames; *s && !h; s++)
        h = dlopen(*s, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(lib->error, sizeof lib->error, "%s", lib->not_found);
        return;
    }
    for (const lp_dl_symbol *s = lib->symbols; s->symbol; s++) {
        void *p = dlsym(h, s->symbol);
        if (!p) {
            snprintf(lib->error, sizeof lib->error, "%s lacks %s", lib->what, s->symbol);
            return;
        }
        /* dlsym returns void *; POSIX guarantees it converts to a function pointer. */
        memcpy((char *)lib->table + s->offset, &p, sizeof p);
    }
}

lp_status lp_dl_load(lp_dl_lib *lib, lp_error *err) {
    pthread_mutex_lock(&lib->lock);
    if (!lib->tried) {
        load(lib);
        lib->tried = true;
    }
    pthread_mutex_unlock(&lib->lock);
    if (lib->error[0])
        return lp_error_set(err, LP_ERR_UNSUPPORTED, "%s", lib->error);
    return LP_OK;
}
