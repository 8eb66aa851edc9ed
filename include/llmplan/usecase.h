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

#include "llmplan/artifacts.h"
#include "llmplan/bench_import.h"
#include "llmplan/calibrate.h"
#include "llmplan/detect.h"
#include "llmplan/hw.h"
#include "llmplan/load_profile.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/perf.h"
#include "llmplan/perf_io.h"
#include "llmplan/search.h"
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
 * The GPU count rule of every front end: without a tensor-parallel size, num_gpus means tensor
 * parallelism over all of them (divided by the pipeline and data-parallel sizes); with one, the
 * GPUs beyond one replica's tp x pp are data-parallel replicas; with a data-parallel size too,
 * num_gpus must equal tp x pp x dp. num_gpus 0 leaves s unchanged. LP_ERR_INVALID_ARG when the
 * count does not divide or disagrees ("num_gpus 8 disagrees with tensor x pipeline x data
 * parallel sizes 2 x 2 x 4 = 16 GPUs: ...").
 */
lp_status lp_serving_apply_num_gpus(lp_serving *s, int64_t num_gpus, bool tp_given, bool dp_given,
                                    lp_error *err);

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

/** Most GPU types one recommend request may name. */
#define LP_MAX_GPU_TYPES 64

/** Longest model id or name a request may carry. */
#define LP_REQUEST_NAME_SIZE 512

/**
 * Storage a JSON reader fills and its request points into (the model, a GPU described by its
 * numbers, strings, a load profile, a draft model). Caller-provided (about 22 KB; keep it off small
 * stacks); it must outlive the request.
 */
typedef struct {
    lp_model model;
    lp_gpu gpu;
    char model_id[LP_REQUEST_NAME_SIZE]; /**< the model as named ("config.json" when pasted) */
    char quantization[64];
    lp_perf_io_strings strings;           /**< the strings of an estimate request */
    const lp_gpu *gpus[LP_MAX_GPU_TYPES]; /**< the GPU types of a recommend request */
    lp_load_profile load_profile;         /**< the "load_profile" of a recommend request */
    lp_model draft; /**< the draft model of speculative decoding (method draft_model) */
} lp_request_store;

/* ---- models: the embedded catalog ------------------------------------------------------- */

/** One model of the embedded catalog, parsed (parsed false: its config does not parse, a build
 *  defect the listing shows). */
typedef struct {
    const lp_catalog_entry *entry;
    lp_model model;
    bool parsed;
} lp_catalog_row;

/**
 * Every model of the embedded catalog, parsed, in catalog order: *rows is malloc'd (*n
 * entries; the caller frees it with free()). LP_ERR_NOMEM when it cannot be held. Written by
 * lp_render_catalog.
 */
lp_status lp_models_list(lp_catalog_row **rows, size_t *n, lp_error *err);

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
    lp_mem_plan plan;   /**< the plan (zeroed when disaggregated: see disagg) */
    /** A disaggregated deployment (serving.disaggregation): one plan per role, in disagg, and
     *  plan unused. Renderers and callers branch on it (lp_plan_result_fits). */
    bool disaggregated;
    lp_mem_disagg_plan disagg;
    /** The 80 % error band of the KV capacity (llmplan/bands.h: how far vLLM's logged KV cache
     *  lay from the plan on the fit start-up logs of the GPU's family), and the KV tokens and
     *  maximum concurrency it spans; found false and ranges {0, 0} when disaggregated, when no
     *  KV cache fits, or without evidence (a plan note says which). */
    lp_band_info kv_band;
    lp_range kv_tokens_range, max_concurrency_range;
} lp_plan_result;

/** Whether a plan result fits: plan.fits, or both roles of a disaggregated deployment. */
bool lp_plan_result_fits(const lp_plan_result *r);

/** Fill r with no model, no GPU and vLLM's default settings. */
void lp_plan_request_init(lp_plan_request *r);

/**
 * Plan req into out (about 35 KB). A disaggregated deployment (req->serving.disaggregation) is
 * planned per role (lp_mem_disagg_plan_compute, the pools' GPUs from req->cluster.prefill_gpu /
 * decode_gpu, else cluster.gpu) into out->disagg; it cannot be combined with detected GPUs
 * (LP_ERR_UNSUPPORTED). Returns LP_OK when the plan was computed, whether or not
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
    /** A batch's per-thread cache (llmplan/perf.h), or NULL: with it the estimate reuses the
     *  models, GPUs and step models it has prepared (the same answer, faster); a calibrated
     *  request does not use it. */
    lp_perf_cache *cache;
    unsigned perf_flags; /**< with a cache: LP_PERF_NO_ASSUMPTIONS for the numbers alone */
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

/**
 * Resolve the model and GPU names of req->perf (model_id, gpu_name) as
 * lp_estimate_request_from_json resolves them, with its messages ("model: ...", "gpu: ..."),
 * through a per-thread lp_perf_cache (models loaded with lp_model_load once, GPUs found in
 * the built-in database once): for readers that set the request's fields one by one
 * (lp_perf_request_set), such as the Python package's batches. The pointers stay the cache's.
 */
lp_status lp_estimate_request_resolve(lp_estimate_request *req, lp_perf_cache *cache,
                                      lp_error *err);

/* ---- recommend: the best deployments for a workload under targets ----------------------- */

/** Closest misses a recommendation lists when nothing meets the targets. */
#define LP_RECOMMEND_MAX_MISSES 3
/** Configurations shown with a full estimate when a request leaves top 0, and at most. */
#define LP_RECOMMEND_DEFAULT_TOP 10
#define LP_RECOMMEND_MAX_TOP 100000

/** Spare capacity kept when replicas are sized for a load (20 %: a common capacity-planning
 *  margin for bursts above the mean rate and for losing a replica; --headroom changes it). */
#define LP_RECOMMEND_DEFAULT_HEADROOM 0.2
/** Most configurations a load sweep covers, and the points of each. */
#define LP_RECOMMEND_SWEEP_MAX 5
#define LP_RECOMMEND_SWEEP_POINTS 12

/** What to recommend. */
typedef struct {
    /** The search: model, GPU types, workload, targets, objective, prices, threads. */
    lp_search_spec spec;
    const char *model_id; /**< how the user named the model (NULL: spec.model->id) */
    size_t top;           /**< deployments shown with a full estimate (0: 10) */
    /** The ranked index (0-based) whose `vllm serve` command a text report prints; estimated
     *  too when it ranks below top. */
    size_t chosen;
    double headroom;   /**< spare capacity when sizing replicas, a fraction (default 0.2) */
    size_t load_sweep; /**< top configurations whose latency against load is computed (0: none;
                            at most LP_RECOMMEND_SWEEP_MAX) */
    /** A day of load (NULL: none): the chosen configuration is sized for it, interval by
     *  interval. Without a request rate, concurrency or daily volume, the search ranks at the
     *  profile's mean rate. */
    const lp_load_profile *load_profile;
} lp_recommend_request;

/** Latency against load of one ranked configuration (lp_search_load_curve). */
typedef struct {
    size_t rank; /**< 0-based index into search.ranked */
    lp_load_point points[LP_RECOMMEND_SWEEP_POINTS];
    size_t n;
} lp_recommend_sweep;

/** A recommendation. The arrays are owned (lp_recommend_result_free); spec.gpus and the model
 *  are the request's. Written through lp_recommend_result_view by lp_render_recommend_*. */
typedef struct {
    lp_search_spec spec;         /**< what was searched */
    const char *model_id;        /**< the model as named */
    lp_search_result search;     /**< ranked configurations, Pareto front, rejections */
    size_t top;                  /**< shown: min(request top, search.n_ranked) */
    size_t chosen;               /**< as requested, or 0 when beyond the ranking */
    size_t n_estimates;          /**< entries of estimates and vllm_serve */
    lp_perf_estimate *estimates; /**< every `vllm bench serve` statistic of ranked[i] */
    char **vllm_serve;           /**< the `vllm serve` line of ranked[i] (an entry NULL: none) */
    /** When nothing meets the targets: the nearest configurations without them, one per
     *  layout, ranked by how far they miss (why says which target, by how much). */
    lp_candidate misses[LP_RECOMMEND_MAX_MISSES];
    size_t n_misses;
    /** The load replicas are sized for, req/s: the request rate, a daily volume's mean rate or
     *  the load profile's mean (0: a closed loop or every request at once: no replicas). */
    double offered_request_rate;
    /** Without a rate: the closed loop's clients (--max-concurrency) replicas are sized for,
     *  against each configuration's max_concurrency (0: none). */
    double offered_concurrency;
    double headroom;            /**< the fraction of spare capacity replicas keep */
    char load_note[200];        /**< how the load was chosen ("" when as given) */
    lp_recommend_sweep *sweeps; /**< latency against load of the top configurations */
    size_t n_sweeps;
    const lp_load_profile *load_profile; /**< the request's (borrowed) */
    lp_load_sizing *sizing;              /**< the chosen configuration over the profile (NULL) */
    char sizing_error[LP_ERROR_MESSAGE_SIZE]; /**< why there is no sizing ("" when there is) */
    /** Disaggregated prefill/decode against the ranking: whether it pays (lp_search_disagg). */
    lp_disagg_search disagg;
} lp_recommend_result;

/** Fill r with lp_search_spec_init's defaults, top 10, chosen 0. */
void lp_recommend_request_init(lp_recommend_request *r);

/**
 * Search, then estimate every shown configuration again for the statistics `vllm bench serve`
 * reports, build their `vllm serve` lines and, when nothing meets the targets, search again
 * without them for the closest misses. Every shown configuration (ranked, Pareto front,
 * misses) gets its capacity at the targets (lp_search_capacity) and, when a load is given (a
 * rate, or the clients of a closed loop), the replicas it needs with headroom; the top load_sweep
 * get their latency against load; with a load profile the chosen configuration is sized for it.
 * Returns LP_OK even when nothing meets the targets (search.n_ranked 0); an error for an invalid
 * search (the spec's message), LP_ERR_LIMIT when the budget ran out, or LP_ERR_NOMEM. Free out with
 * lp_recommend_result_free, also after an error.
 */
lp_status lp_recommend(const lp_recommend_request *req, lp_recommend_result *out, lp_error *err);

/** Free what a recommendation owns (safe on a zeroed or freed result). */
void lp_recommend_result_free(lp_recommend_result *r);

/**
 * Read a recommend request: "model" or "config"; "gpus" (an array of names or one
 * comma-separated string; absent: every GPU) or "gpu" (one type); "max_gpus",
 * "gpus_per_node", "allow_multi_node_tp", "interconnect" (the network between nodes:
 * "infiniband", "roce" or "ethernet"), "allow_quantization", "no_fp8_kv",
 * "no_expert_parallel", "max_model_len", "gpu_memory_utilization", "vllm_version"; the
 * workload ("input_len", "output_len", "dataset_name", "num_prompts", "request_rate",
 * "max_concurrency", "daily_output_tokens"); targets ("max_ttft_ms", "max_tpot_ms",
 * "max_itl_ms", "max_e2e_ms", "percentile", "min_throughput"); "objective", "top";
 * "headroom_pct" (spare capacity for replicas, percent), "load_sweep" (true, or how many top
 * configurations), "load_profile" (an array of request rates over equal intervals of a day,
 * or the CSV text `--load-profile` reads, into store). Errors as lp_plan_request_from_json.
 */
lp_status lp_recommend_request_from_json(const char *text, size_t len, const lp_resolver *res,
                                         lp_request_store *store, lp_recommend_request *out,
                                         lp_error *err);

/* ---- explain: why one configuration performs as it does ---------------------------------- */

/** What to explain: a configuration given by its settings, or one ranked by a search. */
typedef struct {
    const lp_model *model;
    const char *model_id; /**< how the user named the model (the `vllm serve` line) */
    lp_cluster cluster;   /**< gpu and gpus_per_node; the GPU count is in serving */
    lp_serving serving;
    lp_workload workload;
    double daily_output_tokens; /**< a daily volume as a mean rate when no rate is given */
    lp_targets targets;
    bool gpu_described;  /**< cluster.gpu described by its numbers (said in the notes) */
    const lp_gpu_db *db; /**< for the plan's larger-GPU suggestion (NULL: embedded) */
    /** From a search (`recommend --explain N`), or NULL: the candidate, its 1-based rank and
     *  the objective it was ranked by; its serving is then the candidate's and its targets
     *  are judged on the search's numbers. */
    const lp_candidate *candidate;
    size_t rank;
    lp_objective objective;
    /** The candidate's batch-limit variants (lp_search_result.variants; NULL: none shown). */
    const lp_batch_variant *variants;
    size_t n_variants;
} lp_explain_request;

/** An explanation: the memory plan, the roofline estimate, one prefill and one decode step,
 *  the targets and the `vllm serve` line. Written through lp_explain_result_view. */
typedef struct {
    const lp_model *model; /**< the request's (borrowed), as are gpu and candidate */
    const lp_gpu *gpu;
    lp_mem_plan plan;
    lp_perf_request request;   /**< the settings and workload estimated */
    lp_perf_estimate estimate; /**< valid when the plan fits and the estimate succeeded */
    bool have_steps;           /**< the two steps below were evaluated */
    lp_step_time prefill_step, decode_step;
    double prefill_step_tokens, decode_step_seqs;
    lp_targets targets;
    const lp_candidate *candidate;
    size_t rank;
    lp_objective objective;
    bool meets_targets;                       /**< fits, estimated, and every target given is met */
    char vllm_serve[LP_VLLM_SERVE_LINE_SIZE]; /**< "" when it does not fit */
    const lp_batch_variant *variants;         /**< the request's (borrowed) */
    size_t n_variants;
} lp_explain_result;

/** Fill r with no model and GPU, vLLM's defaults, lp_workload_init, no targets. */
void lp_explain_request_init(lp_explain_request *r);

/**
 * Explain req into out (about 20 KB). LP_OK whenever the plan could be computed, fitting or
 * not (out->plan.fits, out->estimate.valid, out->meets_targets say how it went);
 * LP_ERR_INVALID_ARG for settings vLLM refuses or a missing model or GPU.
 */
lp_status lp_explain(const lp_explain_request *req, lp_explain_result *out, lp_error *err);

/**
 * Read an explain request: the fields of a plan request, "gpus_per_node", the workload and the
 * targets as lp_recommend_request_from_json names them. Errors as lp_plan_request_from_json.
 */
lp_status lp_explain_request_from_json(const char *text, size_t len, const lp_resolver *res,
                                       lp_request_store *store, lp_explain_request *out,
                                       lp_error *err);

/* ---- compare: a real benchmark next to llmplan's estimate -------------------------------- */

/** Rows of one comparison (performance keys or memory lines). */
#define LP_COMPARE_MAX_ROWS 32

/** One metric: measured, estimated (NaN: not estimated) and the error in percent. */
typedef struct {
    const char *name; /**< the `vllm bench serve` key or the memory line ("kv_cache_gib") */
    double measured, estimated, error_pct;
} lp_compare_row;

/** What to compare: a `vllm bench serve --save-result` file, a vLLM start-up log, or both,
 *  with the deployment they came from (a result file does not record the engine settings). */
typedef struct {
    /** The deployment and the method: model resolved (required with a log; otherwise
     *  model_id alone may name it), cluster.gpu resolved, serving, method. Its workload is
     *  ignored: the result file's is used, with the overrides below. */
    lp_perf_request perf;
    const lp_calibration *calibration;  /**< fitted efficiencies (NULL: the family's) */
    const lp_bench_result *result;      /**< the benchmark (NULL: none) */
    const lp_startup_log *log;          /**< the start-up log (NULL: none) */
    const char *result_name, *log_name; /**< how to name them in the output (file paths) */
    /* workload overrides (the result file's otherwise) */
    double input_len, output_len; /**< mean tokens per request (0: the file's) */
    int num_prompts;              /**< 0: the file's (its num_prompts, else completed) */
    int max_concurrency;          /**< -1: the file's */
    double request_rate;          /**< -1: the file's; 0: inf */
} lp_compare_request;

/** A comparison. Written by lp_render_compare_json / _text. result and log are the request's. */
typedef struct {
    lp_perf_request request;   /**< what was estimated (the file's workload) */
    lp_perf_estimate estimate; /**< valid when a result file was given */
    lp_mem_plan plan;          /**< when a log was given */
    lp_compare_row perf[LP_COMPARE_MAX_ROWS];
    int n_perf;
    lp_compare_row memory[LP_COMPARE_MAX_ROWS];
    int n_memory;
    const lp_bench_result *result;
    const lp_startup_log *log;
    const char *result_name, *log_name;
} lp_compare_result;

/** Fill r with no benchmark, no log and every workload field from the file. */
void lp_compare_request_init(lp_compare_request *r);

/**
 * Compare (about 30 KB). LP_ERR_INVALID_ARG when neither a result nor a log is given, the
 * file's mean lengths are unknown and not given, or a log comes without a model; an estimate
 * that cannot be made returns its status with out->estimate.error; a plan's errors as
 * lp_plan.
 */
lp_status lp_compare(const lp_compare_request *req, lp_compare_result *out, lp_error *err);

/** The median |error| over the rows that have one, in percent (NaN when none); *count says
 *  how many. */
double lp_compare_median_abs_error(const lp_compare_row *rows, int n, int *count);

/**
 * Read a compare request: "result" (a `vllm bench serve --save-result` object, parsed into
 * *result) and/or "log" (a start-up log's text, parsed into *log), the model ("model" or
 * "config"; default: the result's model_id), "gpu" and the engine arguments of a plan request,
 * "method", and the overrides "input_len", "output_len", "num_prompts", "max_concurrency",
 * "request_rate". Errors as lp_plan_request_from_json; a result or log that cannot be read
 * names the field.
 */
lp_status lp_compare_request_from_json(const char *text, size_t len, const lp_resolver *res,
                                       lp_request_store *store, lp_bench_result *result,
                                       lp_startup_log *log, lp_compare_request *out, lp_error *err);

/* ---- artifacts: the deployment files of one configuration --------------------------------- */

/** Files one artifacts result holds (serve.sh, docker-run.sh, docker-compose.yaml, k8s.yaml). */
#define LP_ARTIFACT_FILES 4

/** What to write the deployment files of. */
typedef struct {
    lp_deploy deploy; /**< model (the id as named), GPU, GPU count, GPUs per node, settings */
} lp_artifacts_request;

/** One deployment file as text. */
typedef struct {
    const char *name; /**< "serve.sh", "docker-run.sh", "docker-compose.yaml", "k8s.yaml" */
    char *text;       /**< its content (owned; NULL when it could not be written) */
    char error[LP_ERROR_MESSAGE_SIZE]; /**< why not ("" when written) */
} lp_artifact_file;

/** The deployment files of a configuration (lp_artifacts_result_free). */
typedef struct {
    lp_artifact_file files[LP_ARTIFACT_FILES];
    size_t n;
} lp_artifacts_result;

/**
 * Render every deployment file of req->deploy as text, the ones `recommend --emit all` writes.
 * A file that cannot be written for this deployment (e.g. no container recipe for the GPU's
 * vendor) carries its error and the others are still written. LP_ERR_INVALID_ARG when the
 * deployment itself is refused (the `vllm serve` line cannot be built), LP_ERR_NOMEM. Free out
 * with lp_artifacts_result_free, also after an error.
 */
lp_status lp_artifacts(const lp_artifacts_request *req, lp_artifacts_result *out, lp_error *err);

/** Free the texts of an artifacts result (safe on a zeroed one). */
void lp_artifacts_result_free(lp_artifacts_result *r);

/**
 * Read an artifacts request: "model" (an id, echoed into the files; never loaded), "gpu" (a
 * name), "num_gpus", "gpus_per_node" and vLLM's engine arguments as a plan request names them
 * (a configs entry of `recommend --json` carries them all). The model id and quantization
 * point into store. Errors as lp_plan_request_from_json.
 */
lp_status lp_artifacts_request_from_json(const char *text, size_t len, const lp_resolver *res,
                                         lp_request_store *store, lp_artifacts_request *out,
                                         lp_error *err);

/* ---- what the renderers show (render.h) --------------------------------------------------- */

/** What a recommendation report shows. Everything is computed by the caller; the renderers
 *  only format it. */
typedef struct {
    const char *model_id;              /**< the model searched */
    const lp_search_spec *spec;        /**< what was searched (workload, targets, objective) */
    const lp_search_result *result;    /**< the outcome */
    size_t top;                        /**< ranked configurations to show (clamped to n_ranked) */
    const lp_perf_estimate *estimates; /**< full roofline statistics of ranked[i], indexed as
                                            vllm_serve, or NULL */
    /** `vllm serve` command of ranked[i] for every shown i and for `chosen` (NULL, or an
     *  entry NULL, when unknown). */
    const char *const *vllm_serve;
    size_t chosen;              /**< ranked index whose command the text report prints */
    const lp_candidate *misses; /**< closest misses when nothing meets the targets */
    size_t n_misses;
    double offered_request_rate;      /**< the load replicas are sized for (0: none) */
    double offered_concurrency;       /**< or the clients of a closed loop (0: none) */
    double headroom;                  /**< their spare capacity, a fraction */
    const char *load_note;            /**< how the load was chosen (NULL or "": as given) */
    const lp_recommend_sweep *sweeps; /**< latency against load (NULL: none) */
    size_t n_sweeps;
    const lp_load_profile *load_profile; /**< a day of load (NULL: none) */
    const lp_load_sizing *sizing;        /**< the chosen configuration over it (NULL: none) */
    const char *sizing_error;            /**< why there is no sizing (NULL or "") */
    const lp_disagg_search *disagg;      /**< disaggregated against aggregated (NULL: none) */
} lp_recommend_view;

/** What an explanation of one configuration shows (computed by the caller). */
typedef struct {
    const lp_model *model;
    const lp_gpu *gpu;
    const lp_mem_plan *plan;          /**< vLLM's start-up memory arithmetic */
    const lp_perf_request *request;   /**< the workload and settings estimated */
    const lp_perf_estimate *estimate; /**< roofline estimate (NULL when it does not fit) */
    const lp_step_time *prefill_step; /**< one engine step of prefill_step_tokens (or NULL) */
    double prefill_step_tokens;
    const lp_step_time *decode_step; /**< one decode step of decode_step_seqs (or NULL) */
    double decode_step_seqs;
    const lp_targets *targets;        /**< targets to compare with (NULL: none) */
    const lp_candidate *candidate;    /**< the ranked configuration explained (NULL: flags) */
    size_t rank;                      /**< its rank, 1-based (0: not from a search) */
    lp_objective objective;           /**< the objective it was ranked by */
    const char *vllm_serve;           /**< its `vllm serve` command (NULL: unknown) */
    const lp_batch_variant *variants; /**< the deployment's batch-limit settings (NULL: none) */
    size_t n_variants;
} lp_explain_view;

/** The view of a recommendation the renderers take (pointers into r). */
void lp_recommend_result_view(const lp_recommend_result *r, lp_recommend_view *v);

/** The view of an explanation the renderers take (pointers into r). */
void lp_explain_result_view(const lp_explain_result *r, lp_explain_view *v);

/** KV capacity of the configuration at one max-model-len (a memory plan at that length). */
typedef struct {
    int64_t max_model_len;
    bool valid;             /**< the plan could be computed at this length */
    bool fits;              /**< one request of this length fits */
    int64_t kv_tokens;      /**< "GPU KV cache size" */
    double max_concurrency; /**< "Maximum concurrency for N tokens per request" */
} lp_report_len_point;

/** The estimate at one client concurrency (closed loop, --max-concurrency). */
typedef struct {
    int concurrency;
    bool valid;
    double output_tok_s, request_s;
    double ttft_ms, tpot_ms, itl_ms, e2el_ms; /**< medians */
} lp_report_load_point;

#define LP_REPORT_MAX_LENGTHS 24 /**< points of the KV capacity sweep */
#define LP_REPORT_MAX_LOADS 20   /**< points of the concurrency sweep */

/**
 * The series a `--report` shows beyond the command's own result, for one configuration: KV
 * capacity re-planned at 1K, 2K, 4K ... tokens of max-model-len up to the model's context (and
 * the configured length); roofline estimates with 1, 2, 4 ... clients in a closed loop up to
 * what the KV cache and --max-num-seqs hold, with the knee; one estimate and one simulation of
 * the workload. Large: allocate it. The has_ flags say which parts were computed.
 */
typedef struct {
    lp_mem_plan plan; /**< the configuration's memory plan */
    bool has_plan;
    lp_perf_request workload; /**< the workload the estimates used */
    bool has_workload;
    char workload_note[400];   /**< how that workload was chosen ("" : as given) */
    lp_perf_estimate estimate; /**< roofline at the workload */
    bool has_estimate;
    lp_perf_estimate simulation; /**< one simulation at the workload */
    bool has_simulation;
    char simulation_note[300]; /**< what was simulated */
    lp_report_len_point lengths[LP_REPORT_MAX_LENGTHS];
    size_t n_lengths;
    lp_report_load_point load[LP_REPORT_MAX_LOADS];
    size_t n_load;
    int knee;              /**< index into load of the knee (-1: none) */
    double knee_threshold; /**< the throughput gain per doubling that defines it */
} lp_report_series;

/**
 * The series of a memory plan computed with settings s. `llmplan plan` takes no workload, so
 * the estimates use `vllm bench serve`'s random defaults (shortened to fit a short
 * max-model-len) at the knee concurrency, said in workload_note. Never fails: parts that
 * cannot be computed are left out (their has_ flag false).
 */
void lp_report_series_plan(const lp_model *model, const lp_gpu *gpu, const lp_serving *s,
                           const lp_mem_plan *plan, lp_report_series *out);

/**
 * The series of the chosen configuration of a recommendation, for the searched workload
 * (num_prompts requests; 0: 1000). Nothing is computed when there is no chosen configuration.
 */
void lp_report_series_recommend(const lp_recommend_view *v, int num_prompts, lp_report_series *out);

#ifdef __cplusplus
}
#endif

#endif
