/*
 * json_get.h - typed readers for the fields of one JSON request object (jansson), with
 * messages that name the field: "tensor_parallel_size: expected an integer between 1 and
 * 1024, got a string". Shared by every JSON request reader (the use cases' readers, the
 * --batch line reader). Private to src/.
 */
#ifndef LP_COMMON_JSON_GET_H
#define LP_COMMON_JSON_GET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llmplan/perf_io.h"
#include "llmplan/status.h"

/** Longest string field a request may carry (ids, names, dtypes). */
#define LP_JSON_MAX_STRING_BYTES 512

/** "an object", "a string", "an integer", ... for messages. */
const char *lp_json_type_name(const json_t *v);

/**
 * Parse text[0..len) as one JSON object (duplicate keys refused) into *out (the caller
 * decrefs). what names the text in messages ("the request body"). LP_ERR_PARSE when it is
 * empty, not JSON (line and column given) or not an object.
 */
lp_status lp_json_parse_object(const char *text, size_t len, const char *what, json_t **out,
                               lp_error *err);

/**
 * A copy of obj whose keys are spelled with '_' for '-' (vLLM's flags use '-', its Python
 * arguments '_'), checked against allowed (NULL-terminated, '_' spellings): an unknown field,
 * or one given in both spellings, is LP_ERR_INVALID_ARG naming it and listing the accepted
 * ones, prefixed by what ("/v1/plan"). *out is a new reference.
 */
lp_status lp_json_normalize_fields(json_t *obj, const char *const *allowed, const char *what,
                                   json_t **out, lp_error *err);

/** A JSON value as the field setters of llmplan/perf_io.h read it (strings point into j;
 *  arrays and objects are LP_VALUE_OTHER). */
lp_value lp_json_value(const json_t *j);

/**
 * A field that must be an object, as compact JSON text for a parser of text (free() it):
 * LP_ERR_INVALID_ARG "name: expected <what>, got <its type>" when v is not an object (NULL
 * included), LP_ERR_NOMEM.
 */
lp_status lp_json_object_text(const json_t *v, const char *name, const char *what, char **text,
                              lp_error *err);

/** The value of a field, or NULL when absent or null (null means "the default"). */
json_t *lp_json_field(json_t *o, const char *name);

/** An integer field in [lo, hi] (4 and 4.0 accepted, "4" not); absent leaves *out. */
lp_status lp_json_get_int(json_t *o, const char *name, int64_t lo, int64_t hi, int64_t *out,
                          lp_error *err);

/** A number field in [lo, hi] (lo excluded when lo_open); absent leaves *out. */
lp_status lp_json_get_num(json_t *o, const char *name, double lo, bool lo_open, double hi,
                          double *out, lp_error *err);

/** A boolean field; absent leaves *out. */
lp_status lp_json_get_bool(json_t *o, const char *name, bool *out, lp_error *err);

/**
 * A non-empty string field of at most LP_JSON_MAX_STRING_BYTES bytes without NUL; *out
 * points into o (valid while o lives); absent leaves *out.
 */
lp_status lp_json_get_str(json_t *o, const char *name, const char **out, lp_error *err);

#endif
