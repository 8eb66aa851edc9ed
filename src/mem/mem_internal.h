/*
 * mem_internal.h - pieces of the memory plan shared between the files of src/mem/.
 * Not part of the public API.
 */
#ifndef LP_MEM_INTERNAL_H
#define LP_MEM_INTERNAL_H

#include "llmplan/mem.h"

#define LP_GIB 1073741824.0

/** Everything resolved from (model, gpu, serving) before the per-rank arithmetic. */
typedef struct {
    const lp_model *m;
    const lp_gpu *gpu;
    int tp, pp, dp;
    bool ep;
    lp_dtype dtype;        /* dtype of unquantized tensors */
    lp_quant quant;        /* resolved weight quantization */
    lp_dtype kv_dtype;     /* resolved KV dtype (never AUTO) */
    int64_t max_model_len; /* resolved (derived when 0; -1 resolved later) */
    bool auto_fit_len;     /* --max-model-len -1 / auto */
    int max_num_seqs;
    int max_num_batched_tokens;
    int block_size;
    double utilization;
    double cpu_offload_bytes;
    bool enforce_eager;
    bool hybrid_kv;          /* hybrid KV-cache manager in use (sliding/chunked sized by window) */
    double mamba_page_bytes; /* state of one Mamba / linear-attention layer per request (0: none) */
    bool chunked_prefill;    /* prefill chunks share steps with decodes */
    int scheduler_steps;     /* --num-scheduler-steps (V0 multi-step), >= 1 */
    lp_vllm_version version;
    lp_mem_plan *plan; /* where notes go (NULL: no notes, the fast path of searches) */
    /* serving modes (spec.c, lora.c) */
    double spec_weights_bytes; /* drafter weights on one GPU of the last stage */
    int64_t spec_kv_layers;    /* drafter attention layers joining the last stage's KV groups */
    int spec_kv_kind;          /* their lp_attn_kind */
    int spec_k;                /* tokens drafted per step (lookahead slots per request) */
    lp_spec_method spec_method;
    bool prefix_caching; /* --enable-prefix-caching (vLLM's default) */
    lp_lora_config lora;
} lp_mem_ctx;

/* MoE experts carry LoRA slots (FusedMoEWithLoRA) from this release on (assumed). */
#define LP_VLLM_LORA_MOE LP_VLLM_VERSION(0, 11, 0)

/** Resolve --speculative-config against the model (lp_spec_plan_resolve) and size the drafter
 *  on one GPU; adds a note. Needs the dtype, quantization, KV dtype and parallel sizes. */
lp_status lp_mem_resolve_spec(lp_mem_ctx *c, const lp_serving *s, lp_error *err);

/** Drafter weights on stage pp_rank (the last stage holds the drafter), bytes. */
double lp_mem_spec_weights_rank(const lp_mem_ctx *c, int pp_rank);

/** Check the LoRA settings and keep them in c; adds a note. Needs the parallel sizes. */
lp_status lp_mem_resolve_lora(lp_mem_ctx *c, const lp_serving *s, lp_error *err);

/** LoRA slots on one GPU of stage pp_rank, bytes (0 without --enable-lora). */
double lp_mem_lora_weights_rank(const lp_mem_ctx *c, int pp_rank);

/** Add a note to c->plan (no-op when c->plan is NULL or full). */
void lp_mem_note(const lp_mem_ctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/** Resolve settings (defaults, validation); c->plan must be set (or NULL) beforehand. */
lp_status lp_mem_resolve(lp_mem_ctx *c, const lp_model *m, const lp_gpu *gpu, const lp_serving *s,
                         lp_error *err);

/** Layers of pipeline stage `rank` out of pp for n layers, as vLLM's get_pp_indices. */
void lp_mem_pp_range(int64_t n_layers, int pp, int rank, int64_t *start, int64_t *end);

/** Bytes per element of a quantized linear weight (scales included), for hidden size h. */
double lp_mem_quant_bytes_per_weight(const lp_quant *q, int64_t hidden);

/** Weights on one rank of pipeline stage pp_rank, in bytes. */
double lp_mem_weights_rank(const lp_mem_ctx *c, int pp_rank);

/** Rotary cos/sin cache held by one rank of pipeline stage pp_rank, in bytes. */
double lp_mem_rope_cache_rank(const lp_mem_ctx *c, int pp_rank);

/** Torch activation peak of the profile run on a stage, bytes; adds a note to plan. */
double lp_mem_activation_rank(const lp_mem_ctx *c, int pp_rank);

/** The sampler's share of the activation peak on a stage (0 but on the last), bytes. */
double lp_mem_sampler_rank(const lp_mem_ctx *c, int pp_rank);

/** CUDA-graph pool captured after the KV cache is allocated (every release; 0 when eager). */
double lp_mem_cuda_graph_actual_rank(const lp_mem_ctx *c, int64_t layers_on_rank);

/** Non-torch memory (CUDA context, NCCL buffers) per rank, bytes. */
double lp_mem_non_torch_rank(const lp_mem_ctx *c);

/** CUDA-graph memory vLLM subtracts (v0.21+, not eager), bytes per rank. */
double lp_mem_cuda_graph_rank(const lp_mem_ctx *c, int64_t layers_on_rank);

/** KV-cache layout of one stage: groups of layers sharing a page size. */
typedef struct {
    int n_groups;               /* KV-cache groups (vLLM kv_cache_groups) */
    int64_t group_size;         /* layers per group (tensors sharing the block pool) */
    double page_bytes;          /* bytes of one block of one layer */
    int64_t groups_per_kind[6]; /* number of groups of each lp_attn_kind */
    int64_t total_layers;       /* attention layers with KV on this stage */
    int64_t block_tokens[6];    /* tokens per block of each kind (block_size, or more where the
                                   kind's page was raised to the largest, Gemma 4) */
} lp_kv_layout;

/**
 * Recurrent state of one Mamba / linear-attention layer for one request on one TP rank, bytes
 * (vLLM MambaSpec.page_size_bytes before padding); 0 for models without such layers.
 */
double lp_mem_mamba_page_bytes(const lp_mem_ctx *c);

/**
 * The attention block size vLLM uses for a hybrid model: raised until one attention page holds
 * one Mamba page (HybridAttentionMambaModelConfig.verify_and_update_config). Returns block_size
 * unchanged for other models or when the given size is already large enough.
 */
int lp_mem_hybrid_block_size(const lp_mem_ctx *c, int block_size);

/** Build the KV layout of stage pp_rank. */
void lp_mem_kv_layout(const lp_mem_ctx *c, int pp_rank, lp_kv_layout *out);

/** Blocks one request of max_model_len needs across the groups of a layout. */
int64_t lp_mem_kv_blocks_per_request(const lp_mem_ctx *c, const lp_kv_layout *lay,
                                     int64_t max_model_len);

#endif
