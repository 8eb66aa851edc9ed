/*
 * mhd_dl.c - open libmicrohttpd with dlopen on first use (see mhd_dl.h for why).
 * Compiled only when the build found libmicrohttpd's headers (LP_HAVE_MHD).
 */
#ifdef LP_HAVE_MHD
#include "web/mhd_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

lp_mhd_api lp_mhd_fn;

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static char g_error[256];

/* dlsym returns void *; POSIX guarantees it converts to a function pointer. */
#define RESOLVE(handle, field, symbol)                                                             \
    do {                                                                                           \
        void *p_ = dlsym(handle, symbol);                                                          \
        if (!p_) {                                                                                 \
            snprintf(g_error, sizeof g_error, "libmicrohttpd lacks %s", symbol);                   \
            return;                                                                                \
        }                                                                                          \
        memcpy(&lp_mhd_fn.field, &p_, sizeof p_);                                                  \
    } while (0)

static void load_once(void) {
    void *h = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(g_error, sizeof g_error,
                 "libmicrohttpd is not installed (libmicrohttpd.so.12 not found): `llmplan "
                 "serve` needs it (apt-get install libmicrohttpd12)");
        return;
    }
    RESOLVE(h, start_daemon, "MHD_start_daemon");
    RESOLVE(h, stop_daemon, "MHD_stop_daemon");
    RESOLVE(h, lookup_connection_value, "MHD_lookup_connection_value");
    RESOLVE(h, queue_response, "MHD_queue_response");
    RESOLVE(h, create_response_from_buffer, "MHD_create_response_from_buffer");
    RESOLVE(h, destroy_response, "MHD_destroy_response");
    RESOLVE(h, add_response_header, "MHD_add_response_header");
}

lp_status lp_mhd_load(lp_error *err) {
    pthread_once(&g_once, load_once);
    if (g_error[0])
        return lp_error_set(err, LP_ERR_UNSUPPORTED, "%s", g_error);
    return LP_OK;
}
#else
/* Built without libmicrohttpd's headers: nothing to load (server.c reports it). */
typedef int lp_mhd_dl_unused;
#endif
