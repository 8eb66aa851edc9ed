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
#include "llmplan/perf.h"
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

/**
 * Print a performance estimate as a terminal report: the configuration, TTFT, TPOT, ITL and
 * E2E latency (mean, median, p90, p99 when simulated) with ranges, throughputs, per-replica
 * prefill/decode tokens/s, max concurrent requests, the bottleneck of each phase and the
 * assumptions. An invalid estimate prints its error. req describes what was asked (model,
 * GPU, workload) and may be NULL.
 */
lp_status lp_render_estimate_text(FILE *out, const lp_perf_request *req,
                                  const lp_perf_estimate *est);

/**
 * Print a performance estimate as one JSON object whose performance keys are those of a
 * `vllm bench serve --save-result` file (request_throughput, output_throughput,
 * total_token_throughput, {mean,median,p90,p99}_{ttft,tpot,itl,e2el}_ms, completed,
 * duration) plus max_concurrent_requests, prefill_tok_s, decode_tok_s, ranges ({lo, hi} per
 * quantity), bottlenecks, method, assumptions, valid and error. NaN (not estimated) is null.
 * line > 0 adds "line" (the input line of a --batch item); indent false writes one line
 * (JSONL). An invalid estimate is {"valid": false, "error": ..., "line": ...}.
 */
lp_status lp_render_estimate_json(FILE *out, const lp_perf_request *req,
                                  const lp_perf_estimate *est, long line, bool indent);

/**
 * Print the estimates of a --batch file as one table row each (line, method, model, GPU,
 * TTFT, TPOT, output tokens/s, max concurrent requests), invalid items with their error.
 * lines[i] is the input line of item i.
 */
lp_status lp_render_estimate_batch_text(FILE *out, const lp_perf_request *reqs,
                                        const lp_perf_estimate *ests, const long *lines, size_t n);

#ifdef __cplusplus
}
#endif

#endif
