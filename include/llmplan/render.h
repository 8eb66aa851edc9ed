/*
 * llmplan/render.h - turn results into text for people (terminal tables) and programs (JSON).
 *
 * Render functions only format: they never compute an estimate. They write to a caller-given
 * FILE and return LP_ERR_IO when writing fails.
 */
#ifndef LLMPLAN_RENDER_H
#define LLMPLAN_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Print the memory plan as a terminal report (model, GPU, breakdown, KV, verdict, notes). */
lp_status lp_render_plan_text(FILE *out, const lp_model *m, const lp_gpu *gpu,
                              const lp_mem_plan *plan);

/**
 * Print the memory plan as one JSON object (keys documented in README: model.params_total,
 * model.kv_bytes_per_token, memory.weights_gib, kv_tokens, fits, ...).
 */
lp_status lp_render_plan_json(FILE *out, const lp_model *m, const lp_gpu *gpu,
                              const lp_mem_plan *plan);

/** Print the embedded model catalog as a table (or JSON array when json is true). */
lp_status lp_render_catalog(FILE *out, bool json);

/** Print a GPU database as a table (or JSON array when json is true). */
lp_status lp_render_gpus(FILE *out, const lp_gpu_db *db, bool json);

/** Format n with thousands separators ("1,234,567") into buf; returns buf. */
const char *lp_render_int(char *buf, size_t size, long long n);

/** Format a parameter count for people ("8.03 B", "494 M"); returns buf. */
const char *lp_render_params(char *buf, size_t size, long long n);

#ifdef __cplusplus
}
#endif

#endif
