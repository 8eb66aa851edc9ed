/*
 * json_get.c - typed readers for JSON request fields (see json_get.h). They check type and
 * range and name the field in every message; they never print and never allocate beyond
 * jansson's own objects.
 */
#include "common/json_get.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *lp_json_type_name(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

lp_status lp_json_parse_object(const char *text, size_t len, const char *what, json_t **out,
                               lp_error *err) {
    *out = NULL;
    if (!text || len == 0)
        return lp_error_set(err, LP_ERR_PARSE, "%s is empty: send one JSON object", what);
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return lp_error_set(err, LP_ERR_PARSE, "%s is not valid JSON: %s (line %d, column %d)",
                            what, je.text, je.line, je.column);
    if (!json_is_object(root)) {
        lp_status st = lp_error_set(err, LP_ERR_PARSE, "%s must be a JSON object, got %s", what,
                                    lp_json_type_name(root));
        json_decref(root);
        return st;
    }
    *out = root;
    return LP_OK;
}

static lp_status unknown_field(const char *const *allowed, const char *what, const char *key,
                               lp_error *err) {
    char list[1024];
    size_t used = 0;
    list[0] = '\0';
    for (size_t i = 0; allowed[i] && used < sizeof list; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", allowed[i]);
        used += w > 0 ? (size_t)w : 0;
    }
    return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: unknown field \"%.100s\" (accepted: %s)",
                        what, key, list);
}

lp_status lp_json_normalize_fields(json_t *obj, const char *const *allowed, const char *what,
                                   json_t **out, lp_error *err) {
    *out = NULL;
    json_t *norm = json_object();
    if (!norm)
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        char name[64];
        size_t n = strlen(key);
        bool known = false;
        if (n < sizeof name) {
            for (size_t i = 0; i <= n; i++)
                name[i] = key[i] == '-' ? '_' : key[i];
            for (size_t i = 0; allowed[i] && !known; i++)
                known = strcmp(allowed[i], name) == 0;
        }
        lp_status st = LP_OK;
        if (!known)
            st = unknown_field(allowed, what, key, err);
        else if (json_object_get(norm, name))
            st = lp_error_set(err, LP_ERR_INVALID_ARG,
                              "%s: field \"%s\" is given twice (as \"-\" and \"_\" spellings)",
                              what, name);
        else if (json_object_set(norm, name, value) != 0)
            st = lp_error_set(err, LP_ERR_NOMEM, "out of memory");
        if (st != LP_OK) {
            json_decref(norm);
            return st;
        }
    }
    *out = norm;
    return LP_OK;
}

lp_value lp_json_value(const json_t *j) {
    lp_value v = {.kind = LP_VALUE_OTHER};
    if (json_is_null(j)) {
        v.kind = LP_VALUE_NULL;
    } else if (json_is_boolean(j)) {
        v.kind = LP_VALUE_BOOL;
        v.boolean = json_is_true(j);
    } else if (json_is_integer(j)) {
        v.kind = LP_VALUE_INT;
        v.integer = (long long)json_integer_value(j);
    } else if (json_is_real(j)) {
        v.kind = LP_VALUE_NUMBER;
        v.number = json_real_value(j);
    } else if (json_is_string(j)) {
        v.kind = LP_VALUE_STRING;
        v.string = json_string_value(j);
        v.len = json_string_length(j);
    }
    return v;
}

lp_status lp_json_object_text(const json_t *v, const char *name, const char *what, char **text,
                              lp_error *err) {
    *text = NULL;
    if (!json_is_object(v))
        return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: expected %s, got %s", name, what,
                            lp_json_type_name(v));
    *text = json_dumps(v, JSON_COMPACT);
    return *text ? LP_OK : lp_error_set(err, LP_ERR_NOMEM, "out of memory");
}

json_t *lp_json_field(json_t *o, const char *name) {
    json_t *v = json_object_get(o, name);
    return v && !json_is_null(v) ? v : NULL;
}

lp_status lp_json_get_int(json_t *o, const char *name, int64_t lo, int64_t hi, int64_t *out,
                          lp_error *err) {
    json_t *v = lp_json_field(o, name);
    if (!v)
        return LP_OK;
    double d;
    if (json_is_integer(v))
        d = (double)json_integer_value(v);
    else if (json_is_real(v) && floor(json_real_value(v)) == json_real_value(v))
        d = json_real_value(v);
    else
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "%s: expected an integer between %lld and %lld, got %s", name,
                            (long long)lo, (long long)hi, lp_json_type_name(v));
    if (!(d >= (double)lo && d <= (double)hi))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "%s: expected an integer between %lld and %lld, got %.17g", name,
                            (long long)lo, (long long)hi, d);
    *out = (int64_t)d;
    return LP_OK;
}

lp_status lp_json_get_num(json_t *o, const char *name, double lo, bool lo_open, double hi,
                          double *out, lp_error *err) {
    json_t *v = lp_json_field(o, name);
    if (!v)
        return LP_OK;
    if (!json_is_number(v))
        return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: expected a number, got %s", name,
                            lp_json_type_name(v));
    double d = json_number_value(v);
    if (!isfinite(d) || (lo_open ? !(d > lo) : !(d >= lo)) || !(d <= hi))
        return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: expected a number in %s%g, %g], got %g",
                            name, lo_open ? "(" : "[", lo, hi, d);
    *out = d;
    return LP_OK;
}

lp_status lp_json_get_bool(json_t *o, const char *name, bool *out, lp_error *err) {
    json_t *v = lp_json_field(o, name);
    if (!v)
        return LP_OK;
    if (!json_is_boolean(v))
        return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: expected true or false, got %s", name,
                            lp_json_type_name(v));
    *out = json_is_true(v);
    return LP_OK;
}

lp_status lp_json_get_str(json_t *o, const char *name, const char **out, lp_error *err) {
    json_t *v = lp_json_field(o, name);
    if (!v)
        return LP_OK;
    if (!json_is_string(v))
        return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: expected a string, got %s", name,
                            lp_json_type_name(v));
    if (json_string_length(v) == 0 || json_string_length(v) > LP_JSON_MAX_STRING_BYTES ||
        strlen(json_string_value(v)) != json_string_length(v))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "%s: expected a non-empty string of at most %d bytes", name,
                            LP_JSON_MAX_STRING_BYTES);
    *out = json_string_value(v);
    return LP_OK;
}
