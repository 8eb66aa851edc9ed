/*
 * status.c - lp_status descriptions and the lp_error helpers.
 *
 * Deliberately tiny: no global error state, no logging. Messages are formatted into the
 * caller's buffer and truncated safely.
 */
#include "llmplan/status.h"

#include <stdarg.h>
#include <stdio.h>

const char *lp_strerror(lp_status status) {
    switch (status) {
    case LP_OK:
        return "ok";
    case LP_ERR_INVALID_ARG:
        return "invalid argument";
    case LP_ERR_PARSE:
        return "parse error";
    case LP_ERR_NOT_FOUND:
        return "not found";
    case LP_ERR_AMBIGUOUS:
        return "ambiguous name";
    case LP_ERR_UNSUPPORTED:
        return "unsupported";
    case LP_ERR_MISSING_FIELD:
        return "missing field";
    case LP_ERR_IO:
        return "I/O error";
    case LP_ERR_NOMEM:
        return "out of memory";
    case LP_ERR_INFEASIBLE:
        return "infeasible";
    case LP_ERR_LIMIT:
        return "resource limit";
    }
    return "unknown status";
}

lp_status lp_error_set(lp_error *err, lp_status code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

void lp_error_clear(lp_error *err) {
    if (err) {
        err->code = LP_OK;
        err->message[0] = '\0';
    }
}
