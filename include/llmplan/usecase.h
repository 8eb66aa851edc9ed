/*
 * llmplan/usecase.h - the questions llmplan answers, each once: plan (does it fit, with which
 * flags), and the use cases built the same way on top of it.
 *
 * A use case takes resolved values - a loaded lp_model, an lp_cluster, lp_serving, an
 * lp_workload, lp_targets - and returns a result struct; it never reads files or the network.
 * The front ends only translate: the CLI turns flags into the request, the HTTP server and
 * the Python package a JSON object (one reader per use case, here), and all of them hand the
 * result to the same writer (render.h), so `llmplan plan --json`, `POST /v1/plan` and the
 * Python result agree byte for byte. Names are resolved at the edge through an lp_resolver:
 * the reader never opens a path unless the caller's resolver does.
 */
#ifndef LLMPLAN_USECASE_H
#define LLMPLAN_USECASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llmplan/calibrate.h"
#include "llmplan/detect.h"
#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/perf.h"
#include "llmplan/perf_io.h"
#include "llmplan/status.h"
#include "llmplan/workload.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- limits every front end applies to engine settings (sizes that cannot be meant) ---- */

#define LP_MAX_PARALLEL_SIZE 1024           /**< tensor / pipeline / data parallel size */
#define LP_MAX_NUM_GPUS 65536               /**< GPUs in one deployment */
#define LP_MAX_NUM_SEQS (1 << 20)           /**< --max-num-seqs */
#define LP_MAX_NUM_BATCHED_TOKENS (1 << 24) /**< --max-num-batched-tokens */
#define LP_MAX_BLOCK_SIZE 4096              /**< --block-size */
#define LP_MAX_MODEL_LEN (1LL << 40)        /**< --max-model-len */
#define LP_MAX_LEN_TOKENS 10000000          /**< prompt or output tokens per request */

/**
 * The GPU count rule of every front end: num_gpus alone (tp_given false and data parallel 1)
 * means tensor parallelism over all of them (divided by the pipeline size); with a tensor
 * parallel size the GPUs beyond one replica's tp x pp are data-parallel replicas. num_gpus 0
 * leaves s unchanged. LP_ERR_INVALID_ARG when the count does not divide ("num_gpus 6 is not a
 * multiple of tp x pp = 4; the rest would be data-parallel replicas").
 */
lp_status lp_serving_apply_num_gpus(lp_serving *s, int64_t num_gpus, bool tp_given, lp_error *err);

/* ---- resolving names at the edge -------------------------------------------------------- */

/**
 * How a JSON reader turns names into values. Every member may be zero: load_model NULL means
 * the embedded catalog only (lp_catalog_load: no file, cache or network is touched),
 * find_gpu NULL means lp_gpu_find in db, db NULL the embedded GPU database. A server passes
 * cached lookups; a local tool may pass lp_model_load to allow paths and the HF cache.
 */
typedef struct {
    lp_status (*load_model)(void *ctx, const char *id, lp_model *out, lp_error *err);
    lp_status (*find_gpu)(void *ctx, const char *name, const lp_gpu **out, lp_error *err);
    void *ctx;
    const lp_gpu_db *db;
    /** load_model also reads paths (config.json, model directories): an unknown model's
     *  message may then suggest them; otherwise it suggests pasting the config.json. */
    bool reads_paths;
} lp_resolver;

/** Longest model id or name a request may carry. */
#define LP_REQUEST_NAME_SIZE 512

/**
 * Storage a JSON reader fills and its request points into (the model, a GPU described by its
 * numbers, strings). Caller-provided (about 6 KB; keep it off small stacks); it must outlive
 * the request.
 */
typedef struct {
    lp_model model;
    lp_gpu gpu;
    char model_id[LP_REQUEST_NAME_SIZE]; /**< the model as named ("config.json" when pasted) */
    char quantization[64];
    lp_perf_io_strings strings; /**< the strings of an estimate request */
} lp_request_store;

/* ---- plan: does the model fit on these GPUs under vLLM, with which flags ----------------- */

/** What to plan. */
typedef struct {
    const lp_model *model; /**< the model (required) */
    lp_cluster cluster;    /**< cluster.gpu required; the GPU count is in serving */
    lp_serving serving;    /**< vLLM's engine settings */
    bool gpu_described;    /**< cluster.gpu was described by its numbers (said in the notes) */
    const lp_gpu_db *db;   /**< where to look for a larger GPU to suggest (NULL: embedded) */
    /** This machine's GPUs (`--gpu detect`), or NULL. With it, the plan checks the memory
     *  other processes hold against vLLM's start-up check, says what was found and, unless
     *  parallel_given, chooses the tensor-parallel size over the detected GPUs. */
    const lp_detect_result *detected;
    bool parallel_given; /**< -tp or --num-gpus was given (detected: keep serving's sizes) */
} lp_plan_request;

/** A plan: vLLM's start-up memory arithmetic and suggestions. model and gpu are the request's
 *  (borrowed). Written by lp_render_plan_json / lp_render_plan_text (render.h). */
typedef struct {
    const lp_model *model;
    const lp_gpu *gpu;
    lp_serving serving; /**< the settings planned (after the --gpu detect choice) */
    lp_mem_plan plan;
} lp_plan_result;

/** Fill r with no model, no GPU and vLLM's default settings. */
void lp_plan_request_init(lp_plan_request *r);

/**
 * Plan req into out (about 11 KB). Returns LP_OK when the plan was computed, whether or not
 * it fits (out->plan.fits); LP_ERR_INVALID_ARG for settings vLLM would refuse (with vLLM's
 * wording) or a missing model or GPU; with detected GPUs, LP_ERR_INFEASIBLE when vLLM's
 * start-up check would fail on the memory other processes hold.
 */
lp_status lp_plan(const lp_plan_request *req, lp_plan_result *out, lp_error *err);

/**
 * Read a plan request: one JSON object with "model" (a name resolved by res) or "config" (a
 * pasted config.json object), "gpu" (a name) or "gpu_memory_gib" (+ "gpu_bandwidth_gbs",
 * "gpu_tflops") to describe one, "num_gpus" and vLLM's engine arguments spelled as vLLM's
 * Python arguments or flags ("tensor_parallel_size" or "tensor-parallel-size", ...,
 * "max_model_len" as 16000, "32k", -1 or "auto", "enable_chunked_prefill", "vllm_version").
 * The request points into store. LP_ERR_PARSE for text that is not one JSON object,
 * LP_ERR_INVALID_ARG naming the field for an unknown field or a wrong type or range,
 * LP_ERR_NOT_FOUND (or LP_ERR_AMBIGUOUS) for an unknown model or GPU, with suggestions.
 */
lp_status lp_plan_request_from_json(const char *text, size_t len, const lp_resolver *res,
                                    lp_request_store *store, lp_plan_request *out, lp_error *err);

/* ---- estimate: how fast would this deployment serve this workload ---------------------- */

/** The `vllm serve` line an estimate or explanation carries (longer lines are left out). */
#define LP_VLLM_SERVE_LINE_SIZE 2048
/** Assumptions a front end may add to an estimate (what `--gpu detect` found). */
#define LP_ESTIMATE_MAX_NOTES 4

/** What to estimate. */
typedef struct {
    /** The configuration: model resolved (or only params_b, for the heuristic), cluster.gpu
     *  resolved (NULL only for the heuristic's default baseline), serving, workload, method.
     *  model_id is how the user named the model: it is echoed and goes into the `vllm serve`
     *  line. gpu_name is not looked up here. */
    lp_perf_request perf;
    /** perf.method was chosen by the user; otherwise a request with only params_b uses the
     *  heuristic, and says so. */
    bool method_given;
    const lp_calibration *calibration; /**< fitted efficiencies (NULL: the family's) */
    bool vllm_serve;                   /**< also build the deployment's `vllm serve` line */
    char notes[LP_ESTIMATE_MAX_NOTES][LP_ASSUMPTION_SIZE]; /**< the front end's assumptions */
    int n_notes;
} lp_estimate_request;

/** An estimate and what was estimated. Written by lp_render_estimate_json / _text. */
typedef struct {
    lp_perf_request request;   /**< as estimated: the method chosen, the max-model-len planned */
    lp_perf_estimate estimate; /**< valid, or why not */
    /** The max-model-len planned for the workload (0: the one given, or the model's default,
     *  was used): when none was given and the model's default context does not fit, the
     *  longest request of the workload (lp_workload_context_needed), said in the assumptions. */
    int64_t planned_max_model_len;
    char vllm_serve[LP_VLLM_SERVE_LINE_SIZE]; /**< the `vllm serve` line ("" when none) */
} lp_estimate_result;

/** Fill r with lp_perf_request_init's defaults and nothing else. */
void lp_estimate_request_init(lp_estimate_request *r);

/**
 * Estimate req into out (about 9 KB). Returns LP_OK when out->estimate.valid; otherwise the
 * status of the failure (LP_ERR_INFEASIBLE: does not fit, even with a max-model-len planned
 * for the workload; LP_ERR_INVALID_ARG: impossible settings), with out->estimate.error set.
 * Never reads a file: the model and GPU come resolved.
 */
lp_status lp_estimate(const lp_estimate_request *req, lp_estimate_result *out);

/**
 * Read an estimate request: one JSON object with the fields lp_perf_request_from_json takes
 * (other planners' names accepted: gpu_name|gpu_type|gpu, tp_size|tensor_parallel_size, ...)
 * or "config" (a pasted config.json object) for the model. The model and GPU names are
 * resolved through res; the request points into store and asks for the `vllm serve` line.
 * Errors as lp_plan_request_from_json.
 */
lp_status lp_estimate_request_from_json(const char *text, size_t len, const lp_resolver *res,
                                        lp_request_store *store, lp_estimate_request *out,
                                        lp_error *err);

#ifdef __cplusplus
}
#endif

#endif
