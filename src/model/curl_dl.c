/*
 * curl_dl.c - open libcurl with dlopen on first use (see curl_dl.h for why).
 * Compiled only when the build found libcurl's headers (LP_HAVE_CURL).
 */
#ifdef LP_HAVE_CURL
#include "model/curl_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

lp_curl_api lp_curl_fn;

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static char g_error[256];

/* dlsym returns void *; POSIX guarantees it converts to a function pointer. */
#define RESOLVE(handle, field, symbol)                                                             \
    do {                                                                                           \
        void *p_ = dlsym(handle, symbol);                                                          \
        if (!p_) {                                                                                 \
            snprintf(g_error, sizeof g_error, "libcurl lacks %s", symbol);                         \
            return;                                                                                \
        }                                                                                          \
        memcpy(&lp_curl_fn.field, &p_, sizeof p_);                                                 \
    } while (0)

static void load_once(void) {
    static const char *const names[] = {"libcurl.so.4", "libcurl-gnutls.so.4"};
    void *h = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !h; i++)
        h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(g_error, sizeof g_error,
                 "libcurl is not installed (libcurl.so.4 not found): the Hugging Face Hub is not "
                 "reachable; install libcurl4, or use a local config.json, the HF cache or a "
                 "catalog id");
        return;
    }
    RESOLVE(h, global_init, "curl_global_init");
    RESOLVE(h, easy_init, "curl_easy_init");
    RESOLVE(h, easy_setopt, "curl_easy_setopt");
    RESOLVE(h, easy_perform, "curl_easy_perform");
    RESOLVE(h, easy_getinfo, "curl_easy_getinfo");
    RESOLVE(h, easy_cleanup, "curl_easy_cleanup");
    RESOLVE(h, easy_strerror, "curl_easy_strerror");
    RESOLVE(h, slist_append, "curl_slist_append");
    RESOLVE(h, slist_free_all, "curl_slist_free_all");
}

lp_status lp_curl_load(lp_error *err) {
    pthread_once(&g_once, load_once);
    if (g_error[0])
        return lp_error_set(err, LP_ERR_UNSUPPORTED, "%s", g_error);
    return LP_OK;
}
#else
/* Built without libcurl's headers: nothing to load (hub.c reports it). */
typedef int lp_curl_dl_unused;
#endif
