/*
 * model.c - the lp_model value itself: initialisation, assumption notes and dtype names.
 *
 * This is the small, dependency-free part of the model module: everything here works on
 * plain values. Reading config.json lives in config*.c, parameter and KV arithmetic in
 * params.c. Deliberately no I/O and no JSON here.
 */
#include "llmplan/model.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void lp_model_init(lp_model *m) {
    if (!m)
        return;
    memset(m, 0, sizeof *m);
    m->dtype = LP_DTYPE_AUTO;
    m->quant.method = LP_QUANT_NONE;
    m->quant.bits = 16;
    m->quant.kv_cache_dtype = LP_DTYPE_AUTO;
    m->norms_per_layer = 2;
    m->gated_mlp = true;
}

void lp_model_note(lp_model *m, const char *fmt, ...) {
    if (!m || !fmt || m->n_notes < 0)
        return;
    if (m->n_notes >= LP_MODEL_MAX_NOTES) {
        /* Keep the last slot as a marker so the reader knows the list is incomplete. */
        snprintf(m->notes[LP_MODEL_MAX_NOTES - 1], LP_MODEL_NOTE_SIZE,
                 "(further notes omitted: more than %d assumptions were made)",
                 LP_MODEL_MAX_NOTES - 1);
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->notes[m->n_notes], LP_MODEL_NOTE_SIZE, fmt, ap);
    va_end(ap);
    m->n_notes++;
}

double lp_dtype_bytes(lp_dtype dtype) {
    switch (dtype) {
    case LP_DTYPE_FP32:
        return 4.0;
    case LP_DTYPE_FP16:
    case LP_DTYPE_BF16:
        return 2.0;
    case LP_DTYPE_FP8:
    case LP_DTYPE_INT8:
        return 1.0;
    case LP_DTYPE_AUTO:
        return 0.0;
    }
    return 0.0;
}

const char *lp_dtype_name(lp_dtype dtype) {
    switch (dtype) {
    case LP_DTYPE_AUTO:
        return "auto";
    case LP_DTYPE_FP32:
        return "float32";
    case LP_DTYPE_FP16:
        return "float16";
    case LP_DTYPE_BF16:
        return "bfloat16";
    case LP_DTYPE_FP8:
        return "fp8";
    case LP_DTYPE_INT8:
        return "int8";
    }
    return "unknown";
}

/* Spellings accepted by vLLM's --dtype / --kv-cache-dtype and by config.json torch_dtype. */
static const struct {
    const char *name;
    lp_dtype dtype;
} dtype_names[] = {
    {"auto", LP_DTYPE_AUTO},         {"half", LP_DTYPE_FP16},       {"float16", LP_DTYPE_FP16},
    {"fp16", LP_DTYPE_FP16},         {"bfloat16", LP_DTYPE_BF16},   {"bf16", LP_DTYPE_BF16},
    {"float", LP_DTYPE_FP32},        {"float32", LP_DTYPE_FP32},    {"fp32", LP_DTYPE_FP32},
    {"fp8", LP_DTYPE_FP8},           {"fp8_e4m3", LP_DTYPE_FP8},    {"fp8_e5m2", LP_DTYPE_FP8},
    {"float8_e4m3fn", LP_DTYPE_FP8}, {"float8_e5m2", LP_DTYPE_FP8}, {"int8", LP_DTYPE_INT8},
};

lp_status lp_dtype_parse(const char *name, lp_dtype *out, lp_error *err) {
    if (!name || !out)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "dtype: no name given");
    const char *s = name;
    if (strncmp(s, "torch.", 6) == 0) /* repr() of a torch dtype, seen in some configs */
        s += 6;
    for (size_t i = 0; i < sizeof dtype_names / sizeof dtype_names[0]; i++) {
        if (strcasecmp(s, dtype_names[i].name) == 0) {
            *out = dtype_names[i].dtype;
            return LP_OK;
        }
    }
    return lp_error_set(err, LP_ERR_INVALID_ARG,
                        "dtype \"%.64s\" is not known; use one of auto, float16, bfloat16, "
                        "float32, fp8, fp8_e4m3, fp8_e5m2, int8",
                        name);
}
