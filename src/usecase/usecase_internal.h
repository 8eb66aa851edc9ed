/*
 * usecase_internal.h - the pieces the JSON request readers of src/usecase/ share: the model
 * ("model" or a pasted "config"), the GPU ("gpu" or one described by its numbers) and vLLM's
 * engine arguments, each read once and checked the same way for every use case. Not public.
 */
#ifndef LP_USECASE_INTERNAL_H
#define LP_USECASE_INTERNAL_H

#include <jansson.h>

#include "llmplan/usecase.h"

/** The request fields the engine arguments take (for a reader's accepted-field list). */
#define LP_UC_SERVING_FIELDS                                                                       \
    "num_gpus", "tensor_parallel_size", "pipeline_parallel_size", "data_parallel_size",            \
        "enable_expert_parallel", "max_model_len", "gpu_memory_utilization", "kv_cache_dtype",     \
        "dtype", "quantization", "max_num_seqs", "max_num_batched_tokens", "block_size",           \
        "enforce_eager", "enable_chunked_prefill", "disable_hybrid_kv_cache_manager",              \
        "cpu_offload_gb", "vllm_version"

/** The request fields that name or describe a model and a GPU. */
#define LP_UC_MODEL_GPU_FIELDS                                                                     \
    "model", "config", "gpu", "gpu_memory_gib", "gpu_bandwidth_gbs", "gpu_tflops"

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

/**
 * vLLM's engine arguments (LP_UC_SERVING_FIELDS) into s (initialized to vLLM's defaults first);
 * *tp_given says whether tensor_parallel_size or num_gpus was given. The quantization string
 * is copied into store.
 */
lp_status lp_uc_read_serving(json_t *o, lp_request_store *store, lp_serving *s, bool *tp_given,
                             lp_error *err);

/** Parse text as one object and check its fields against allowed (see common/json_get.h);
 *  *o is the normalized copy (decref it). */
lp_status lp_uc_open(const char *text, size_t len, const char *const *allowed, const char *what,
                     json_t **o, lp_error *err);

/** The note a plan carries for a GPU described by its numbers. */
void lp_uc_note_described_gpu(lp_mem_plan *plan, const lp_gpu *gpu);

#endif
