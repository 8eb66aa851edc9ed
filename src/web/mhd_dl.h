/*
 * mhd_dl.h - libmicrohttpd loaded at run time. Private to src/web/server.c.
 *
 * libmicrohttpd links GnuTLS and its dependencies; loaded on every run of llmplan they cost
 * milliseconds that only `llmplan serve` needs. The real <microhttpd.h> gives the types and
 * constants; the functions server.c calls go through a table filled by lp_mhd_load (the
 * macros below keep server.c's calls as written).
 */
#ifndef LP_MHD_DL_H
#define LP_MHD_DL_H

#include <stdarg.h>
#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "llmplan/status.h"

typedef struct {
    struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port,
                                       MHD_AcceptPolicyCallback apc, void *apc_cls,
                                       MHD_AccessHandlerCallback dh, void *dh_cls, ...);
    void (*stop_daemon)(struct MHD_Daemon *daemon);
    const char *(*lookup_connection_value)(struct MHD_Connection *connection,
                                           enum MHD_ValueKind kind, const char *key);
    enum MHD_Result (*queue_response)(struct MHD_Connection *connection, unsigned int status_code,
                                      struct MHD_Response *response);
    struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer,
                                                        enum MHD_ResponseMemoryMode mode);
    void (*destroy_response)(struct MHD_Response *response);
    enum MHD_Result (*add_response_header)(struct MHD_Response *response, const char *header,
                                           const char *content);
    int (*get_connection_values)(struct MHD_Connection *connection, enum MHD_ValueKind kind,
                                 MHD_KeyValueIterator iterator, void *iterator_cls);
    const union MHD_ConnectionInfo *(*get_connection_info)(struct MHD_Connection *connection,
                                                           enum MHD_ConnectionInfoType info_type,
                                                           ...);
    void (*suspend_connection)(struct MHD_Connection *connection);
    enum MHD_Result (*resume_connection)(struct MHD_Connection *connection);
} lp_mhd_api;

/** The table (valid after lp_mhd_load returned LP_OK). */
extern lp_mhd_api lp_mhd_fn;

/** Open libmicrohttpd.so.12 once; LP_ERR_UNSUPPORTED with a clear message when absent. */
lp_status lp_mhd_load(lp_error *err);

#define MHD_start_daemon (*lp_mhd_fn.start_daemon)
#define MHD_stop_daemon (*lp_mhd_fn.stop_daemon)
#define MHD_lookup_connection_value (*lp_mhd_fn.lookup_connection_value)
#define MHD_queue_response (*lp_mhd_fn.queue_response)
#define MHD_create_response_from_buffer (*lp_mhd_fn.create_response_from_buffer)
#define MHD_destroy_response (*lp_mhd_fn.destroy_response)
#define MHD_add_response_header (*lp_mhd_fn.add_response_header)
#define MHD_get_connection_values (*lp_mhd_fn.get_connection_values)
#define MHD_get_connection_info (*lp_mhd_fn.get_connection_info)
#define MHD_suspend_connection (*lp_mhd_fn.suspend_connection)
#define MHD_resume_connection (*lp_mhd_fn.resume_connection)

#endif
