/*
 * llmplan/status.h - status codes and the error record every fallible call fills.
 *
 * A function that can fail returns an lp_status (LP_OK is 0) and, when the caller
 * passes a non-NULL lp_error, writes one sentence saying what was wrong and what to do.
 */
#ifndef LLMPLAN_STATUS_H
#define LLMPLAN_STATUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Outcome of a library call. Values are stable; the CLI maps them to exit codes. */
typedef enum {
    LP_OK = 0,
    LP_ERR_INVALID_ARG,   /**< a caller-supplied value is out of range or inconsistent */
    LP_ERR_PARSE,         /**< malformed input text (JSON, TSV, safetensors header) */
    LP_ERR_NOT_FOUND,     /**< unknown model, GPU or file */
    LP_ERR_AMBIGUOUS,     /**< a name matches more than one entry */
    LP_ERR_UNSUPPORTED,   /**< well-formed input that llmplan cannot model (unknown model type) */
    LP_ERR_MISSING_FIELD, /**< a required field is absent and has no safe default */
    LP_ERR_IO,            /**< reading a file failed */
    LP_ERR_NOMEM,         /**< allocation failed */
    LP_ERR_INFEASIBLE,    /**< valid request that cannot be satisfied (does not fit) */
    LP_ERR_LIMIT /**< valid request larger than a resource limit allows (time, steps, size) */
} lp_status;

/** Size of the message buffer in lp_error. */
#define LP_ERROR_MESSAGE_SIZE 1024

/** Error record filled by fallible calls; caller-owned, no allocation. */
typedef struct {
    lp_status code;
    char message[LP_ERROR_MESSAGE_SIZE];
} lp_error;

/** Short, static description of a status code ("parse error"). Never NULL. */
const char *lp_strerror(lp_status status);

/**
 * Fill err (if non-NULL) with code and a printf-style message; returns code so that
 * callers can write `return lp_error_set(err, LP_ERR_PARSE, "...", ...);`.
 */
lp_status lp_error_set(lp_error *err, lp_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/** Reset err to LP_OK with an empty message. Safe on NULL. */
void lp_error_clear(lp_error *err);

#ifdef __cplusplus
}
#endif

#endif
