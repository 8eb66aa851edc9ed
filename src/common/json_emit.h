/*
 * json_emit.h - a small streaming JSON writer into a growable buffer, for output written many
 * times a second (`estimate --batch`: one object per line). It writes what jansson's
 * json_dumps writes for the same values with JSON_COMPACT or JSON_INDENT(2) and
 * JSON_REAL_PRECISION(p) - keys in the order given, strings escaped as RFC 8259 asks, reals
 * as "%.<p>g" with a ".0" added to whole numbers and the exponent's '+' and leading zeros
 * dropped - at a fraction of its cost (no tree, no allocation per value). tests/test_json_emit.c
 * holds it to jansson and glibc's printf. Private to src/.
 */
#ifndef LP_COMMON_JSON_EMIT_H
#define LP_COMMON_JSON_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/** Deepest nesting the writer tracks. */
#define LP_JSON_EMIT_MAX_DEPTH 16

/** A writer: text accumulates in buf (NUL-terminated, len bytes); oom records a failed
 *  allocation (later calls do nothing). Zero it, or use lp_je_init, before use. */
typedef struct {
    char *buf;
    size_t len, cap;
    bool oom;
    bool indent;   /**< JSON_INDENT(2) layout, else JSON_COMPACT */
    int precision; /**< significant digits of reals (1..17) */
    int depth;
    bool first[LP_JSON_EMIT_MAX_DEPTH]; /**< nothing written yet at this depth */
    bool after_key;                     /**< a key was written; its value comes next */
} lp_json_emit;

/** Start a writer (indent: two spaces per level and ": "; else compact), keeping its buffer. */
void lp_je_init(lp_json_emit *w, bool indent, int precision);

/** Free the buffer. */
void lp_je_free(lp_json_emit *w);

/** Forget the text written (keeps the buffer and the settings). */
void lp_je_reset(lp_json_emit *w);

/** Open / close an object or an array (as a value, or after a key). */
void lp_je_object_begin(lp_json_emit *w);
void lp_je_object_end(lp_json_emit *w);
void lp_je_array_begin(lp_json_emit *w);
void lp_je_array_end(lp_json_emit *w);

/** The key of the next value inside an object. */
void lp_je_key(lp_json_emit *w, const char *key);

/** Values. A real that is not finite is written as null (as llmplan writes "not estimated"). */
void lp_je_string(lp_json_emit *w, const char *s);
void lp_je_real(lp_json_emit *w, double v);
void lp_je_int(lp_json_emit *w, long long v);
void lp_je_bool(lp_json_emit *w, bool v);
void lp_je_null(lp_json_emit *w);

/**
 * Format v as printf's "%.<precision>g" then as jansson writes reals (".0" added when neither
 * '.' nor 'e' is there; the exponent without '+' and leading zeros) into buf (size >= 32).
 * v must be finite. Returns the length.
 */
size_t lp_je_format_real(char *buf, size_t size, double v, int precision);

/** Write the text to out in one piece; 0, or -1 when the writer ran out of memory or the
 *  write failed. */
int lp_je_write(const lp_json_emit *w, FILE *out);

#endif
