/*
 * dl.h - open an optional shared library on first use and fill a table of its functions
 * (libcurl for the Hub, libmicrohttpd for `llmplan serve`; see their *_dl.h for why).
 * Private to src/.
 */
#ifndef LP_COMMON_DL_H
#define LP_COMMON_DL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "llmplan/status.h"

/** One function: its symbol and where its pointer goes in the table (offsetof). */
typedef struct {
    const char *symbol;
    size_t offset;
} lp_dl_symbol;

/**
 * A library to load. Fill the first five fields and initialize lock with
 * PTHREAD_MUTEX_INITIALIZER; the rest is lp_dl_load's.
 */
typedef struct {
    const char *what;            /**< "libcurl": names the library in messages */
    const char *const *sonames;  /**< tried in order; NULL-terminated */
    const char *not_found;       /**< the message when none of them opens */
    const lp_dl_symbol *symbols; /**< terminated by a NULL symbol */
    void *table;                 /**< the function table the offsets index */
    pthread_mutex_t lock;
    bool tried;
    char error[256];
} lp_dl_lib;

/**
 * Open lib once (later calls give the first result) and fill its table. LP_ERR_UNSUPPORTED
 * with lib->not_found when no soname opens, or "<what> lacks <symbol>" when one is missing.
 */
lp_status lp_dl_load(lp_dl_lib *lib, lp_error *err);

#endif
