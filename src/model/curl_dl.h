/*
 * curl_dl.h - libcurl loaded at run time. Private to src/model/hub*.c.
 *
 * Linking libcurl pulls about 30 shared libraries (TLS, Kerberos, LDAP, ...) into every run of
 * llmplan; loading and relocating them cost ~6 ms per process, more than a whole `plan`. Only
 * the Hugging Face Hub needs them, so libcurl is opened with dlopen on first use. The real
 * <curl/curl.h> gives the types and constants; the nine functions hub.c calls are routed
 * through a table filled by lp_curl_load (the macros below keep hub.c's calls as written).
 */
#ifndef LP_CURL_DL_H
#define LP_CURL_DL_H

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "llmplan/status.h"

typedef struct {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL *curl);
    CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *curl);
    const char *(*easy_strerror)(CURLcode code);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *text);
    void (*slist_free_all)(struct curl_slist *list);
} lp_curl_api;

/** The table (valid after lp_curl_load returned LP_OK). */
extern lp_curl_api lp_curl_fn;

/**
 * Open libcurl (libcurl.so.4, else libcurl-gnutls.so.4) once and fill lp_curl_fn.
 * LP_ERR_UNSUPPORTED with a clear message when no libcurl is installed.
 */
lp_status lp_curl_load(lp_error *err);

#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init (*lp_curl_fn.global_init)
#define curl_easy_init (*lp_curl_fn.easy_init)
#define curl_easy_setopt (*lp_curl_fn.easy_setopt)
#define curl_easy_perform (*lp_curl_fn.easy_perform)
#define curl_easy_getinfo (*lp_curl_fn.easy_getinfo)
#define curl_easy_cleanup (*lp_curl_fn.easy_cleanup)
#define curl_easy_strerror (*lp_curl_fn.easy_strerror)
#define curl_slist_append (*lp_curl_fn.slist_append)
#define curl_slist_free_all (*lp_curl_fn.slist_free_all)

#endif
