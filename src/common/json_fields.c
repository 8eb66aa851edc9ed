/*
 * json_fields.c - table-driven JSON keys (see json_fields.h): one reader of a member by its
 * kind, and the two writers over it. It formats nothing itself: reals, integers and nulls are
 * written by json_emit or jansson exactly as a hand-written call would write them.
 */
#include "common/json_fields.h"

#include <math.h>
#include <string.h>

/* A member's value as one of three JSON shapes. */
typedef struct {
    enum { V_NULL, V_REAL, V_INT, V_BOOL } shape;
    double real;
    long long integer;
    bool boolean;
} member_value;

/* An integer member of kind INT, INT64 or SIZE, copied out as its own type. */
static long long read_integer(const char *p, lp_json_field_kind kind) {
    int i;
    int64_t wide;
    size_t z;
    if (kind == LP_JF_INT) {
        memcpy(&i, p, sizeof i);
        return i;
    }
    if (kind == LP_JF_INT64) {
        memcpy(&wide, p, sizeof wide);
        return (long long)wide;
    }
    memcpy(&z, p, sizeof z);
    return (long long)z;
}

static member_value read_member(const void *base, const lp_json_field *f) {
    member_value v = {.shape = V_NULL};
    if (!base)
        return v;
    const char *p = (const char *)base + f->offset;
    double d;
    switch (f->kind) {
    case LP_JF_REAL:
    case LP_JF_POSITIVE:
        memcpy(&d, p, sizeof d);
        if (isfinite(d) && (f->kind == LP_JF_REAL || d > 0)) {
            v.shape = V_REAL;
            v.real = d;
        }
        break;
    case LP_JF_BOOL:
        memcpy(&v.boolean, p, sizeof v.boolean);
        v.shape = V_BOOL;
        break;
    default:
        v.shape = V_INT;
        v.integer = read_integer(p, f->kind);
        break;
    }
    return v;
}

void lp_je_fields(lp_json_emit *w, const void *base, const lp_json_field *table, size_t n) {
    for (size_t i = 0; i < n; i++) {
        member_value v = read_member(base, &table[i]);
        lp_je_key(w, table[i].key);
        if (v.shape == V_REAL)
            lp_je_real(w, v.real);
        else if (v.shape == V_INT)
            lp_je_int(w, v.integer);
        else if (v.shape == V_BOOL)
            lp_je_bool(w, v.boolean);
        else
            lp_je_null(w);
    }
}

void lp_json_set_fields(json_t *o, const void *base, const lp_json_field *table, size_t n) {
    for (size_t i = 0; i < n; i++) {
        member_value v = read_member(base, &table[i]);
        json_t *j = v.shape == V_REAL   ? json_real(v.real)
                    : v.shape == V_INT  ? json_integer((json_int_t)v.integer)
                    : v.shape == V_BOOL ? json_boolean(v.boolean)
                                        : json_null();
        json_object_set_new(o, table[i].key, j ? j : json_null());
    }
}
