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
#include "llmplan/search.h"
#include "llmplan/status.h"
#include "llmplan/usecase.h"

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

/**
 * Print a plan result as a terminal report: lp_render_plan_text for one server; for a
 * disaggregated deployment the model, then the prefill and decode roles side by side (GPU,
 * instances, settings, memory per GPU, KV capacity, fits), the verdict (the decode pool's KV
 * decides concurrency), what vLLM would print for a role that does not fit, and the notes.
 */
lp_status lp_render_plan_result_text(FILE *out, const lp_plan_result *r);

/**
 * Print a plan result as one JSON object: lp_render_plan_json's for one server; for a
 * disaggregated deployment {"disaggregation": {"shape", "prefill_instances", "decode_instances",
 * "kv_connector", "kv_connector_vllm"}, "num_gpus", "fits", "kv_tokens" and "max_concurrency"
 * (the decode pool's), "roles": [one object per role: "role" ("prefill", "decode"),
 * "instances", "gpus_per_instance" and the keys of lp_render_plan_json for one instance]}.
 * The body of `llmplan plan --json`, `POST /v1/plan` and the Python plan.
 */
lp_status lp_render_plan_result_json(FILE *out, const lp_plan_result *r);

/** Print catalog rows (lp_models_list) as a table (or a JSON array when json is true). */
lp_status lp_render_catalog(FILE *out, const lp_catalog_row *rows, size_t n, bool json);

/** Print a GPU database as a table (or JSON array when json is true). */
lp_status lp_render_gpus(FILE *out, const lp_gpu_db *db, bool json);

/** Format n with thousands separators ("1,234,567") into buf; returns buf. */
const char *lp_render_int(char *buf, size_t size, long long n);

/** Format a parameter count for people ("8.03 B", "494 M"); returns buf. */
const char *lp_render_params(char *buf, size_t size, long long n);

/**
 * Print an estimate as a terminal report: the configuration, TTFT, TPOT, ITL and E2E latency
 * (mean, median, p90, p99 when simulated) with ranges, throughputs, per-replica prefill/decode
 * tokens/s, max concurrent requests, the bottleneck of each phase, the assumptions and the
 * `vllm serve` command. An invalid estimate prints its error.
 */
lp_status lp_render_estimate_text(FILE *out, const lp_estimate_result *r);

/**
 * Print an estimate as one JSON object whose performance keys are those of a
 * `vllm bench serve --save-result` file (request_throughput, output_throughput,
 * total_token_throughput, {mean,median,p90,p99}_{ttft,tpot,itl,e2el}_ms, completed,
 * duration) plus max_concurrent_requests, prefill_tok_s, decode_tok_s, ranges ({lo, hi} per
 * quantity), bottlenecks, method, assumptions, valid and error, "planned_max_model_len" when
 * one was planned and "vllm_serve" when the result has the line. NaN (not estimated) is null.
 * line > 0 adds "line" (the input line of a --batch item); indent false writes one line
 * (JSONL). An invalid estimate is {"valid": false, "error": ..., "line": ...}. This is the
 * body of `POST /v1/estimate` and what `llmplan estimate --json` prints.
 */
lp_status lp_render_estimate_json(FILE *out, const lp_estimate_result *r, long line, bool indent);

/** The header row of the --batch table (line, method, model, GPU, TTFT, TPOT, output tokens/s,
 *  max concurrent requests). */
lp_status lp_render_estimate_batch_header(FILE *out);

/** One row of the --batch table for the estimate of input line `line` (an invalid one with its
 *  error). */
lp_status lp_render_estimate_batch_row(FILE *out, const lp_estimate_result *r, long line);

/* ---- Recommendation (`llmplan recommend`) and explanation (`llmplan explain`) ----------- */

/**
 * Print a recommendation as terminal tables: the top configurations (rank, GPU x count and
 * nodes, tp/pp/dp/ep, quantization, KV dtype, max-num-seqs, TTFT/TPOT/E2E at the percentile,
 * output tok/s, tok/s per GPU, $/M tokens, why), the cost / latency Pareto front, the summary
 * of the rejected space, the price source and the chosen configuration's `vllm serve` command.
 * When nothing meets the targets it prints why: the rejection summary and the closest misses.
 */
lp_status lp_render_recommend_text(FILE *out, const lp_recommend_view *v);

/**
 * Print a recommendation as one JSON object: "configs" (best first; GPU, parallel sizes,
 * vLLM settings, the estimate under `vllm bench serve` key names with NaN as null, cost with
 * its price source, "vllm_serve"), "pareto", "rejected" (counts by reason), "enumerated",
 * "estimated", "search_s", "price_source", the objective, targets and "closest_misses".
 */
lp_status lp_render_recommend_json(FILE *out, const lp_recommend_view *v);

/** Print the ranked configurations as CSV: a header row, then one row per configuration with
 *  the columns of the JSON "configs" entries (fields quoted as RFC 4180 requires). */
lp_status lp_render_recommend_csv(FILE *out, const lp_recommend_view *v);

/** The summary of a searched space in one line ("12,345 configurations enumerated: 8,000 do
 *  not fit, 2,000 miss TTFT <= 1500 ms, ..., 40 meet every target") into buf; returns buf. */
const char *lp_render_rejections(char *buf, size_t size, const lp_search_result *r,
                                 const lp_targets *t);

/**
 * Print why a configuration performs as it does: its rank and the objective (when from a
 * search), the memory breakdown (as `llmplan plan` prints it), the roofline estimate with the
 * bottleneck of each phase and the composition of a prefill and a decode step, the targets
 * with their margins, and the assumptions.
 */
lp_status lp_render_explain_text(FILE *out, const lp_explain_view *v);

/**
 * Print an explanation as one JSON object: "model", "gpu" (and "rank", "objective", "why" for
 * a ranked configuration), "plan" (as `plan --json`), "estimate" (as `estimate --json`),
 * "steps" ({"prefill": {tokens, total_ms, compute_ms, memory_ms, communication_ms, host_ms,
 * bottleneck}, "decode": {sequences, ...}}), "targets" (each given target's value, target, met
 * and margin_pct, at "percentile"), "meets_targets" and "vllm_serve". The body of
 * `POST /v1/explain` and what `llmplan explain --json` prints.
 */
lp_status lp_render_explain_json(FILE *out, const lp_explain_view *v);

/* ---- Comparison with a real benchmark (`llmplan compare`) -------------------------------- */

/**
 * Print a comparison as one JSON object: "model_id", "gpu", with a result "result_file",
 * "method", "workload", "performance" ({"metrics": {key: {measured, estimated, error_pct}},
 * "median_abs_error_pct", "compared"}), "result_notes", "assumptions"; with a log "log_file",
 * "memory" (as performance) and "log_notes". The body of `POST /v1/compare`.
 */
lp_status lp_render_compare_json(FILE *out, const lp_compare_result *c);

/** Print a comparison as terminal tables: per metric measured, estimated and the error, then
 *  the median |error|, and the notes of each file. */
lp_status lp_render_compare_text(FILE *out, const lp_compare_result *c);

/** Print deployment files as one JSON object: "files", each {"name", "text", "error"} (text
 *  null and error set for a file that could not be written). */
lp_status lp_render_artifacts_json(FILE *out, const lp_artifacts_result *r);

#ifdef __cplusplus
}
#endif

#endif
