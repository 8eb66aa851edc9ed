/*
 * json_fields.h - the plain members of a struct as JSON keys, listed once in a table (key,
 * offset, kind) instead of a key call and a value call per member, as SQLite lists its pragmas
 * and Redis its config options. Both JSON writers read a table: the streaming writer
 * (json_emit.h, `estimate --json`) and jansson objects (recommend, compare). Members that need
 * a computation (a name looked up, a unit converted, a condition) stay written by hand beside
 * the table. Private to src/.
 */
#ifndef LP_COMMON_JSON_FIELDS_H
#define LP_COMMON_JSON_FIELDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/json_emit.h"

/** How a member is read and written. */
typedef enum {
    LP_JF_REAL,     /**< double; not finite: null */
    LP_JF_POSITIVE, /**< double; not a finite number above 0: null (a target or time not set) */
    LP_JF_INT,      /**< int */
    LP_JF_INT64,    /**< int64_t */
    LP_JF_SIZE,     /**< size_t */
    LP_JF_BOOL      /**< bool */
} lp_json_field_kind;

/** One key of a table: the member at offset, of the C type its kind names. */
typedef struct {
    const char *key;
    size_t offset;
    lp_json_field_kind kind;
} lp_json_field;

/* The C type of each kind, checked at compile time by LP_JF. */
#define LP_JF_CTYPE_REAL double
#define LP_JF_CTYPE_POSITIVE double
#define LP_JF_CTYPE_INT int
#define LP_JF_CTYPE_INT64 int64_t
#define LP_JF_CTYPE_SIZE size_t
#define LP_JF_CTYPE_BOOL bool

/** A table row for member of type, written under key as kind (REAL, POSITIVE, INT, INT64,
 *  SIZE or BOOL); a member of another C type does not compile. */
#define LP_JF(type, member, key, kind)                                                             \
    {                                                                                              \
        (key),                                                                                     \
            offsetof(type, member) +                                                               \
                0 * sizeof(_Generic(((type *)0)->member, LP_JF_CTYPE_##kind : 1)),                 \
            LP_JF_##kind                                                                           \
    }

/** The number of rows of a table array. */
#define LP_JF_COUNT(table) (sizeof(table) / sizeof((table)[0]))

/** Write the n keys of table with their values from base (the struct); a NULL base writes
 *  every key as null (a value not estimated). */
void lp_je_fields(lp_json_emit *w, const void *base, const lp_json_field *table, size_t n);

/** The same into the jansson object o (keys set in table order). */
void lp_json_set_fields(json_t *o, const void *base, const lp_json_field *table, size_t n);

#endif
