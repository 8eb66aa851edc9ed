/*
 * usecase_internal.h - the pieces the JSON request readers of src/usecase/ share: the model
 * ("model" or a pasted "config"), the GPU ("gpu" or one described by its numbers) and vLLM's
 * engine arguments, each read once and checked the same way for every use case. Not public.
 */
#ifndef LP_USECASE_INTERNAL_H
#define LP_USECASE_INTERNAL_H

#include <jansson.h>

#include "common/modes_json.h"

#include "llmplan/usecase.h"

/** The request fields the engine arguments take (for a reader's accepted-field list). */
#define LP_UC_SERVING_FIELDS                                                                       \
    "num_gpus", "tensor_parallel_size", "pipeline_parallel_size", "data_parallel_size",            \
        "enable_expert_parallel", "max_model_len", "gpu_memory_utilization", "kv_cache_dtype",     \
        "dtype", "quantization", "max_num_seqs", "max_num_batched_tokens", "block_size",           \
        "enforce_eager", "enable_chunked_prefill", "disable_hybrid_kv_cache_manager",              \
        "cpu_offload_gb", "vllm_version", LP_JSON_MODE_SERVING_FIELDS

/** The request fields that name or describe a model and a GPU. */
#define LP_UC_MODEL_GPU_FIELDS                                                                     \
    "model", "config", "gpu", "gpu_memory_gib", "gpu_bandwidth_gbs", "gpu_tflops"

/** The message of a model name res could not resolve (err holds the resolver's, which gets
 *  "model: " before it; a resolver that opens no path suggests pasting the config.json). */
lp_status lp_uc_model_error(const lp_resolver *res, lp_error *err);

/** The message of a GPU name that did not resolve: "gpu: " and the lookup's own message. */
lp_status lp_uc_gpu_error(lp_status st, const lp_error *inner, lp_error *err);

/**
 * "model" (a name res resolves) or "config" (a pasted config.json object) into store->model;
 * store->model_id gets the name ("config.json" when pasted). LP_ERR_INVALID_ARG when neither
 * or both are given.
 */
lp_status lp_uc_read_model(json_t *o, const lp_resolver *res, lp_request_store *store,
                           lp_error *err);

/**
 * "gpu" (a name res resolves) or "gpu_memory_gib" (+ "gpu_bandwidth_gbs", "gpu_tflops", and
 * "gpu" then names it) into *gpu (a database row or store->gpu); *described says which.
 * LP_ERR_INVALID_ARG "gpu: required ..." when neither is given.
 */
lp_status lp_uc_read_gpu(json_t *o, const lp_resolver *res, lp_request_store *store,
                         const lp_gpu **gpu, bool *described, lp_error *err);

/** A GPU name looked up through res (its find_gpu, else its database or the built-in one);
 *  the lookup's own message in *inner. */
lp_status lp_uc_find_gpu(const lp_resolver *res, const char *name, const lp_gpu **out,
                         lp_error *inner);

/** lp_uc_find_gpu with the message prefixed by the request field that named the GPU. */
lp_status lp_uc_find_gpu_field(const lp_resolver *res, const char *name, const char *field,
                               const lp_gpu **out, lp_error *err);

/**
 * The deployment most requests describe, in this order: the GPU (lp_uc_read_gpu), the engine
 * arguments (lp_uc_read_serving), the model (lp_uc_read_model) and what the serving modes need
 * (lp_uc_resolve_modes). The first failure is returned.
 */
lp_status lp_uc_read_deployment(json_t *o, const lp_resolver *res, lp_request_store *store,
                                const lp_gpu **gpu, bool *described, lp_serving *s, bool *tp_given,
                                lp_cluster *cluster, lp_error *err);

/**
 * vLLM's engine arguments (LP_UC_SERVING_FIELDS) into s (initialized to vLLM's defaults first);
 * *tp_given says whether tensor_parallel_size or num_gpus was given. The quantization string
 * is copied into store.
 */
lp_status lp_uc_read_serving(json_t *o, lp_request_store *store, lp_serving *s, bool *tp_given,
                             lp_error *err);

/**
 * What the serving modes need resolved at the edge: the pool GPUs of a disaggregated request
 * ("prefill_gpu", "decode_gpu", looked up through res into cluster) and the draft model of
 * speculative decoding with method draft_model (loaded through res into store->draft, and
 * s->speculative.draft pointed at it). The mode fields themselves were read with the engine
 * arguments (lp_uc_read_serving). LP_ERR_NOT_FOUND / LP_ERR_AMBIGUOUS naming the field.
 */
lp_status lp_uc_resolve_modes(json_t *o, const lp_resolver *res, lp_request_store *store,
                              lp_serving *s, lp_cluster *cluster, lp_error *err);

/** The same for names already read (the --batch line reader's): pool GPU names and the draft
 *  model of s->speculative. */
lp_status lp_uc_resolve_mode_names(const lp_resolver *res, lp_request_store *store,
                                   const char *prefill_gpu, const char *decode_gpu, lp_serving *s,
                                   lp_cluster *cluster, lp_error *err);

/** Parse text as one object and check its fields against allowed (see common/json_get.h);
 *  *o is the normalized copy (decref it). */
lp_status lp_uc_open(const char *text, size_t len, const char *const *allowed, const char *what,
                     json_t **o, lp_error *err);

/** The request fields of a workload and of targets (recommend and explain). */
#define LP_UC_WORKLOAD_FIELDS                                                                      \
    "input_len", "output_len", "dataset_name", "num_prompts", "request_rate", "max_concurrency",   \
        "daily_output_tokens", LP_JSON_MODE_WORKLOAD_FIELDS
#define LP_UC_TARGET_FIELDS                                                                        \
    "max_ttft_ms", "max_tpot_ms", "max_itl_ms", "max_e2e_ms", "percentile", "min_throughput"

/** The workload fields (LP_UC_WORKLOAD_FIELDS) into w (lp_workload_init first) and *daily. */
lp_status lp_uc_read_workload(json_t *o, lp_workload *w, double *daily, lp_error *err);

/** The target fields (LP_UC_TARGET_FIELDS) into t (lp_targets_init first). */
lp_status lp_uc_read_targets(json_t *o, lp_targets *t, lp_error *err);

/**
 * The workload an estimate of one configuration sends. With one_process (configurations of a
 * search, estimated again), one arrival process as the search reads it: the rate, else the
 * concurrency, else the daily volume as a mean rate; otherwise (settings given by hand) rate
 * and concurrency combine as in `vllm bench serve` and a daily volume stands in for a missing
 * rate.
 */
void lp_uc_arrival(const lp_workload *w, double daily_output_tokens, bool one_process,
                   lp_workload *out);

/** Output tokens per second a workload offers (a rate or a daily volume; 0 for a closed loop
 *  of clients or every request at once). */
double lp_uc_offered_output_tok_s(const lp_workload *w, double daily_output_tokens);

/** The note a plan carries for a GPU described by its numbers. */
void lp_uc_note_described_gpu(lp_mem_plan *plan, const lp_gpu *gpu);

#endif
