/*
 * curl_dl.c - open libcurl with dlopen on first use (see curl_dl.h for why).
 * Compiled only when the build found libcurl's headers (LP_HAVE_CURL).
 */
#ifdef LP_HAVE_CURL
#include "model/curl_dl.h"

#include <stddef.h>

#include "common/dl.h"

lp_curl_api lp_curl_fn;

#define SYM(field, symbol)                                                                         \
    { symbol, offsetof(lp_curl_api, field) }
static const lp_dl_symbol SYMBOLS[] = {
    SYM(global_init, "curl_global_init"),       SYM(easy_init, "curl_easy_init"),
    SYM(easy_setopt, "curl_easy_setopt"),       SYM(easy_perform, "curl_easy_perform"),
    SYM(easy_getinfo, "curl_easy_getinfo"),     SYM(easy_cleanup, "curl_easy_cleanup"),
    SYM(easy_strerror, "curl_easy_strerror"),   SYM(slist_append, "curl_slist_append"),
    SYM(slist_free_all, "curl_slist_free_all"), {NULL, 0},
};
static const char *const SONAMES[] = {"libcurl.so.4", "libcurl-gnutls.so.4", NULL};

static lp_dl_lib g_lib = {
    .what = "libcurl",
    .sonames = SONAMES,
    .not_found = "libcurl is not installed (libcurl.so.4 not found): the Hugging Face Hub is not "
                 "reachable; install libcurl4, or use a local config.json, the HF cache or a "
                 "catalog id",
    .symbols = SYMBOLS,
    .table = &lp_curl_fn,
    .lock = PTHREAD_MUTEX_INITIALIZER,
};

lp_status lp_curl_load(lp_error *err) {
    return lp_dl_load(&g_lib, err);
}
#else
/* Built without libcurl's headers: nothing to load (hub.c reports it). */
typedef int lp_curl_dl_unused;
#endif
