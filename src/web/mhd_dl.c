/*
 * mhd_dl.c - open libmicrohttpd with dlopen on first use (see mhd_dl.h for why).
 * Compiled only when the build found libmicrohttpd's headers (LP_HAVE_MHD).
 */
#ifdef LP_HAVE_MHD
#include "web/mhd_dl.h"

#include <stddef.h>

#include "common/dl.h"

lp_mhd_api lp_mhd_fn;

#define SYM(field, symbol)                                                                         \
    { symbol, offsetof(lp_mhd_api, field) }
static const lp_dl_symbol SYMBOLS[] = {
    SYM(start_daemon, "MHD_start_daemon"),
    SYM(stop_daemon, "MHD_stop_daemon"),
    SYM(lookup_connection_value, "MHD_lookup_connection_value"),
    SYM(queue_response, "MHD_queue_response"),
    SYM(create_response_from_buffer, "MHD_create_response_from_buffer"),
    SYM(destroy_response, "MHD_destroy_response"),
    SYM(add_response_header, "MHD_add_response_header"),
    SYM(get_connection_values, "MHD_get_connection_values"),
    SYM(get_connection_info, "MHD_get_connection_info"),
    SYM(suspend_connection, "MHD_suspend_connection"),
    SYM(resume_connection, "MHD_resume_connection"),
    {NULL, 0},
};
static const char *const SONAMES[] = {"libmicrohttpd.so.12", NULL};

static lp_dl_lib g_lib = {
    .what = "libmicrohttpd",
    .sonames = SONAMES,
    .not_found = "libmicrohttpd is not installed (libmicrohttpd.so.12 not found): `llmplan "
                 "serve` needs it (apt-get install libmicrohttpd12)",
    .symbols = SYMBOLS,
    .table = &lp_mhd_fn,
    .lock = PTHREAD_MUTEX_INITIALIZER,
};

lp_status lp_mhd_load(lp_error *err) {
    return lp_dl_load(&g_lib, err);
}
#else
/* Built without libmicrohttpd's headers: nothing to load (server.c reports it). */
typedef int lp_mhd_dl_unused;
#endif
