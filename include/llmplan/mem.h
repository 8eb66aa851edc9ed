/*
 * llmplan/mem.h - vLLM's start-up memory arithmetic, per GPU.
 *
 * lp_mem_plan reproduces what a vLLM worker does at start-up (reference/vllm_internals.md
 * (a)-(d)): budget = total memory x gpu-memory-utilization; minus the weights on this rank,
 * the activation peak of the profile run, non-torch memory and (from v0.21) the CUDA-graph
 * estimate; then KV pages per layer kind, blocks (minimum over ranks), KV tokens and maximum
 * concurrency as vLLM logs them, the largest max-model-len that fits and, when it does not
 * fit, the error text vLLM itself prints. Pure function of its inputs: no I/O, no allocation.
 */
#ifndef LLMPLAN_MEM_H
#define LLMPLAN_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "llmplan/hw.h"
#include "llmplan/model.h"
#include "llmplan/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A vLLM release as major.minor.patch packed into one comparable integer. */
typedef int lp_vllm_version;
#define LP_VLLM_VERSION(maj, min, pat) ((maj)*10000 + (min)*100 + (pat))
/** The newest behaviour llmplan reproduces (the default for --vllm-version). */
#define LP_VLLM_VERSION_LATEST LP_VLLM_VERSION(0, 32, 0)

/** Parse "0.11", "v0.19.0", "latest" into a version. */
lp_status lp_vllm_version_parse(const char *text, lp_vllm_version *out, lp_error *err);

/** Engine settings, spelled as vLLM spells them. Zero/NULL/AUTO means "vLLM's default". */
typedef struct {
    int tensor_parallel_size;      /**< default 1 */
    int pipeline_parallel_size;    /**< default 1 */
    int data_parallel_size;        /**< default 1 (replicas; memory is per replica) */
    bool enable_expert_parallel;   /**< shard routed experts over TPxDP instead of TP-slicing */
    lp_dtype dtype;                /**< --dtype (AUTO: checkpoint dtype, fp32 -> bf16/fp16) */
    const char *quantization;      /**< --quantization (NULL: the checkpoint's own) */
    lp_dtype kv_cache_dtype;       /**< --kv-cache-dtype (AUTO: model dtype or checkpoint hint) */
    int64_t max_model_len;         /**< --max-model-len (0: derived from config; -1: auto-fit) */
    double gpu_memory_utilization; /**< 0 < x <= 1 (0: default 0.9) */
    int max_num_seqs;              /**< 0: vLLM default for the GPU */
    int max_num_batched_tokens;    /**< 0: vLLM default for the GPU */
    int block_size;                /**< 0: vLLM default (16; MLA 64 on Hopper, 128 on Blackwell) */
    bool enforce_eager;            /**< no CUDA graphs */
    int num_scheduler_steps;       /**< --num-scheduler-steps (vLLM 0.5-0.7 multi-step; 0: 1) */
    bool enable_chunked_prefill_off; /**< --no-enable-chunked-prefill */
    bool disable_hybrid_kv_cache_manager;
    double cpu_offload_gib;       /**< --cpu-offload-gb (GiB of weights kept in host memory) */
    lp_vllm_version vllm_version; /**< 0: LP_VLLM_VERSION_LATEST */
} lp_serving;

/** Fill s with vLLM's defaults (all zero except utilization 0.9, sizes 1, latest version). */
void lp_serving_init(lp_serving *s);

/** Memory of one GPU (one rank), in bytes. */
typedef struct {
    int pp_rank;               /**< pipeline stage of this rank */
    int64_t layers;            /**< decoder layers on this stage */
    double total_bytes;        /**< device memory as the driver reports it */
    double budget_bytes;       /**< total x gpu_memory_utilization ("requested memory") */
    double weights_bytes;      /**< weights on this rank */
    double activation_bytes;   /**< torch activation peak of the profile run */
    double non_torch_bytes;    /**< CUDA context, NCCL / custom all-reduce buffers */
    double cuda_graph_bytes;   /**< CUDA-graph estimate subtracted (0 before v0.21 or eager) */
    double kv_cache_bytes;     /**< "Available KV cache memory" (may be negative) */
    int64_t kv_blocks;         /**< blocks this rank could hold */
    double kv_bytes_per_block; /**< page_size x layers in a group on this rank */
    double post_kv_free_bytes; /**< free on the device once the KV pool is allocated */
    double warmup_bytes;       /**< CUDA graphs + sampler warm-up needed after that */
} lp_mem_rank;

/** Upper bound on pipeline stages reported. */
#define LP_MAX_PP 64

/** Suggested change when a configuration does not fit (or to get more room). */
typedef struct {
    char change[96];   /**< e.g. "--kv-cache-dtype fp8" */
    bool fits;         /**< whether the plan fits with this change */
    int64_t kv_tokens; /**< KV tokens with the change */
    double max_concurrency;
    int64_t max_model_len_fit;
} lp_mem_suggestion;

#define LP_MAX_SUGGESTIONS 8
#define LP_MAX_MEM_NOTES 16

/** The plan: resolved settings, per-rank memory, KV capacity and verdict. */
typedef struct {
    /* settings as resolved (defaults filled in) */
    int tp, pp, dp;
    int num_gpus;            /**< tp x pp x dp */
    bool expert_parallel;    /**< routed experts distributed whole over TP x DP */
    bool chunked_prefill;    /**< prefills chunked into decode steps (V1; V0 beyond 32K) */
    int num_scheduler_steps; /**< multi-step scheduling (V0 era); 1 otherwise */
    bool enforce_eager;      /**< --enforce-eager: no CUDA graphs */
    lp_dtype dtype;          /**< compute/weight dtype of unquantized tensors */
    lp_dtype kv_cache_dtype; /**< resolved KV dtype */
    lp_quant quant;          /**< resolved weight quantization */
    int64_t max_model_len;   /**< the max-model-len asked for (derived if 0) */
    int max_num_seqs;
    int max_num_batched_tokens;
    int block_size;
    double gpu_memory_utilization;
    lp_vllm_version vllm_version;
    int kv_heads_per_rank; /**< KV heads stored on each TP rank (after replication) */
    int kv_head_replicas;  /**< copies of each KV head across the TP group */

    /* memory */
    lp_mem_rank ranks[LP_MAX_PP]; /**< one entry per pipeline stage (TP ranks are identical) */
    int n_ranks;
    int binding_rank;          /**< the stage with the fewest KV blocks */
    double kv_bytes_per_token; /**< whole model, all layers, one replica (as if all full) */

    /* KV capacity (vLLM's log lines) */
    int64_t kv_blocks;             /**< num_blocks = min over ranks ("# GPU blocks") */
    int64_t blocks_per_request;    /**< blocks one request of max_model_len needs */
    int kv_groups;                 /**< KV-cache groups (hybrid models: several) */
    int64_t kv_groups_per_kind[6]; /**< groups of each lp_attn_kind on the binding stage */
    int64_t kv_group_size;         /**< layers per group */
    int64_t kv_tokens;             /**< "GPU KV cache size: N tokens" */
    double max_concurrency;        /**< "Maximum concurrency for N tokens per request: X" */
    int64_t max_model_len_fit;     /**< largest max_model_len whose one request fits (0: none) */
    double needed_bytes;           /**< KV bytes one request of max_model_len needs per rank */

    bool fits;
    bool warmup_fails;      /**< KV pool fits, but graph capture / sampler warm-up runs out */
    double shortfall_bytes; /**< how much KV memory is missing per GPU when !fits */
    char vllm_error[640];   /**< the error vLLM would print when !fits */

    lp_mem_suggestion suggestions[LP_MAX_SUGGESTIONS];
    int n_suggestions;

    /** Assumptions and defaults used (activation model era, CUDA-graph estimate, ...). */
    char notes[LP_MAX_MEM_NOTES][192];
    int n_notes;
} lp_mem_plan;

/**
 * Compute the start-up memory plan for model m on gpu with serving settings s.
 * Returns LP_OK when the plan could be computed (plan->fits says whether it fits);
 * LP_ERR_INVALID_ARG for impossible settings (TP not dividing the attention heads, a KV-head
 * count that neither divides nor is divided by TP, PP larger than the layer count, utilization
 * outside (0, 1], unknown --quantization, bf16 on a GPU without bf16, ...), with vLLM's
 * wording where vLLM has one.
 */
lp_status lp_mem_plan_compute(const lp_model *m, const lp_gpu *gpu, const lp_serving *s,
                              lp_mem_plan *plan, lp_error *err);

/**
 * Like lp_mem_plan_compute, then fills plan->suggestions with alternatives (lower
 * max-model-len, fp8 KV cache, fp8/int4 weights, more tensor parallelism, a larger GPU from
 * db) and the numbers each would give. db may be NULL (no larger-GPU suggestion).
 */
lp_status lp_mem_plan_with_suggestions(const lp_model *m, const lp_gpu *gpu, const lp_serving *s,
                                       const lp_gpu_db *db, lp_mem_plan *plan, lp_error *err);

/**
 * Bytes per parameter of a quantizable linear weight under quantization q (scales included),
 * or lp_dtype_bytes(dtype) when q is NULL or LP_QUANT_NONE. hidden sizes per-channel scales.
 */
double lp_mem_bytes_per_weight(const lp_quant *q, lp_dtype dtype, int64_t hidden);

/**
 * For a plan that does not fit: LP_ERR_INFEASIBLE with one sentence saying by how much and the
 * largest max-model-len that fits (for callers that need the plan to fit, like estimates).
 */
lp_status lp_mem_plan_infeasible(const lp_mem_plan *plan, lp_error *err);

/**
 * How many requests of `tokens` tokens each the KV pool of plan holds at once: kv_blocks over the
 * blocks one such request takes in every KV-cache group (full attention: cdiv(tokens, block);
 * sliding window / chunked local: capped by the window; Mamba state: one block). For uniform
 * models this is kv_tokens / tokens; for hybrid and sliding-window models it is what vLLM's
 * block pool admits (get_max_concurrency_for_kv_cache_config). m must be the plan's model.
 */
double lp_mem_plan_requests_at(const lp_mem_plan *plan, const lp_model *m, int64_t tokens);

/** vLLM's scheduler defaults for a GPU: (max_num_batched_tokens, max_num_seqs) for `vllm serve`. */
void lp_mem_default_batch(const lp_gpu *gpu, lp_vllm_version version, int *max_num_batched_tokens,
                          int *max_num_seqs);

#ifdef __cplusplus
}
#endif

#endif
