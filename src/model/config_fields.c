/*
 * config_fields.c - typed, range-checked access to config.json fields (see config_internal.h).
 *
 * Every getter reports a wrong JSON type or an out-of-range value as one jq-style sentence
 * naming the input, the field path and what was expected. It knows nothing about model
 * families; the readers in config*.c decide which fields matter and what the defaults are.
 */
#include "config_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lp_cfg_view(lp_cfg *c, const json_t *obj, const char *prefix, const json_t *alt,
                 const char *alt_prefix, const char *origin, lp_error *err) {
    memset(c, 0, sizeof *c);
    c->obj = obj;
    c->alt = alt;
    snprintf(c->prefix, sizeof c->prefix, "%s", prefix ? prefix : "");
    snprintf(c->alt_prefix, sizeof c->alt_prefix, "%s", alt_prefix ? alt_prefix : "");
    c->origin = origin ? origin : "config.json";
    c->err = err;
}

const json_t *lp_cfg_get(const lp_cfg *c, const char *key, const char **prefix_out) {
    const json_t *v = NULL;
    if (c->obj && json_is_object(c->obj))
        v = json_object_get(c->obj, key);
    if (v && !json_is_null(v)) {
        if (prefix_out)
            *prefix_out = c->prefix;
        return v;
    }
    if (c->alt && json_is_object(c->alt)) {
        v = json_object_get(c->alt, key);
        if (v && !json_is_null(v)) {
            if (prefix_out)
                *prefix_out = c->alt_prefix;
            return v;
        }
    }
    if (prefix_out)
        *prefix_out = c->prefix;
    return NULL;
}

bool lp_cfg_has(const lp_cfg *c, const char *key) {
    return lp_cfg_get(c, key, NULL) != NULL;
}

bool lp_cfg_sub(const lp_cfg *c, const char *key, lp_cfg *sub) {
    const char *pfx = "";
    const json_t *v = lp_cfg_get(c, key, &pfx);
    if (!v || !json_is_object(v))
        return false;
    char path[160];
    snprintf(path, sizeof path, "%s%.40s.", pfx, key);
    lp_cfg_view(sub, v, path, NULL, NULL, c->origin, c->err);
    return true;
}

lp_status lp_cfg_fail(const lp_cfg *c, lp_status code, const char *prefix, const char *key,
                      const char *what, const json_t *value) {
    char got[64] = "nothing";
    if (value) {
        char *s = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
        if (s) {
            size_t n = strlen(s);
            if (n > 48)
                snprintf(got, sizeof got, "%.45s...", s);
            else
                snprintf(got, sizeof got, "%s", s);
            free(s);
        }
    }
    return lp_error_set(c->err, code, "%s: %s%s: expected %s, got %s", c->origin,
                        prefix ? prefix : "", key, what, got);
}

lp_status lp_cfg_int(const lp_cfg *c, const char *key, int64_t min, int64_t max, int64_t *out,
                     bool *present) {
    const char *pfx = "";
    const json_t *v = lp_cfg_get(c, key, &pfx);
    if (present)
        *present = false;
    if (!v)
        return LP_OK;
    char what[96];
    if (min == 1 && max >= LP_CFG_MAX_HEAD_DIM)
        snprintf(what, sizeof what, "a positive integer");
    else if (min == 0 && max >= LP_CFG_MAX_HEAD_DIM)
        snprintf(what, sizeof what, "a non-negative integer");
    else
        snprintf(what, sizeof what, "an integer from %lld to %lld", (long long)min, (long long)max);
    int64_t value;
    if (json_is_integer(v)) {
        value = (int64_t)json_integer_value(v);
    } else if (json_is_real(v)) {
        /* Some writers emit 1e6 or 4096.0 for integers; accept them when integral. */
        double d = json_real_value(v);
        if (!(d == floor(d)) || d < (double)min || d > (double)max)
            return lp_cfg_fail(c, LP_ERR_INVALID_ARG, pfx, key, what, v);
        value = (int64_t)d;
    } else {
        return lp_cfg_fail(c, LP_ERR_PARSE, pfx, key, what, v);
    }
    if (value > max && value >= min) {
        /* A plausible-looking but absurd size: say where the limit is. */
        snprintf(what, sizeof what, "an integer no larger than %lld", (long long)max);
        return lp_cfg_fail(c, LP_ERR_INVALID_ARG, pfx, key, what, v);
    }
    if (value < min)
        return lp_cfg_fail(c, LP_ERR_INVALID_ARG, pfx, key, what, v);
    *out = value;
    if (present)
        *present = true;
    return LP_OK;
}

lp_status lp_cfg_int_any(const lp_cfg *c, const char *const *keys, int64_t min, int64_t max,
                         int64_t *out, const char **used) {
    if (used)
        *used = NULL;
    for (size_t i = 0; keys[i]; i++) {
        bool present = false;
        lp_status st = lp_cfg_int(c, keys[i], min, max, out, &present);
        if (st != LP_OK)
            return st;
        if (present) {
            if (used)
                *used = keys[i];
            return LP_OK;
        }
    }
    return LP_OK;
}

lp_status lp_cfg_real(const lp_cfg *c, const char *key, double *out, bool *present) {
    const char *pfx = "";
    const json_t *v = lp_cfg_get(c, key, &pfx);
    if (present)
        *present = false;
    if (!v)
        return LP_OK;
    if (!json_is_number(v))
        return lp_cfg_fail(c, LP_ERR_PARSE, pfx, key, "a number", v);
    double d = json_number_value(v);
    if (!isfinite(d))
        return lp_cfg_fail(c, LP_ERR_INVALID_ARG, pfx, key, "a finite number", v);
    *out = d;
    if (present)
        *present = true;
    return LP_OK;
}

lp_status lp_cfg_bool(const lp_cfg *c, const char *key, bool *out, bool *present) {
    const char *pfx = "";
    const json_t *v = lp_cfg_get(c, key, &pfx);
    if (present)
        *present = false;
    if (!v)
        return LP_OK;
    if (!json_is_boolean(v))
        return lp_cfg_fail(c, LP_ERR_PARSE, pfx, key, "true or false", v);
    *out = json_is_true(v);
    if (present)
        *present = true;
    return LP_OK;
}

lp_status lp_cfg_string(const lp_cfg *c, const char *key, const char **out) {
    const char *pfx = "";
    const json_t *v = lp_cfg_get(c, key, &pfx);
    *out = NULL;
    if (!v)
        return LP_OK;
    if (!json_is_string(v))
        return lp_cfg_fail(c, LP_ERR_PARSE, pfx, key, "a string", v);
    *out = json_string_value(v);
    return LP_OK;
}
