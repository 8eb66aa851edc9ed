/*
 * llmplan/mem.h - vLLM's start-up memory arithmetic, per GPU.
 *
 * lp_mem_plan reproduces what a vLLM worker does at start-up (docs/vllm_internals.md
 * (a)-(d)): budget = total memory x gpu-memory-utilization; minus the weights on this rank,
 * the activation peak of the profile run, non-torch memory and (from v0.21) the CUDA-graph
 * estimate; then KV pages per layer kind, blocks (minimum over ranks), KV tokens and maximum
 * concurrency as vLLM logs them, the largest max-model-len that fits and, when it does not
 * fit, the error text vLLM itself prints. Pure function of its inputs: no I/O, no allocation.
 */
#ifndef LLMPLAN_MEM_H
#define LLMPLAN_MEM_H

#include <stdbool.h>
#include <stddef.h>
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

/** Speculative decoding methods llmplan models (`--speculative-config` "method"). */
typedef enum {
    LP_SPEC_NONE = 0,
    LP_SPEC_NGRAM,      /**< prompt lookup (n-gram matching on the host; no draft weights) */
    LP_SPEC_EAGLE,      /**< EAGLE-1 head: one decoder layer over the target's hidden states */
    LP_SPEC_EAGLE3,     /**< EAGLE-3 head: one layer over three fused hidden states */
    LP_SPEC_MTP,        /**< the checkpoint's own multi-token-prediction layers (DeepSeek, ...) */
    LP_SPEC_DRAFT_MODEL /**< a separate, smaller model of the same vocabulary */
} lp_spec_method;

/** Name of a method as vLLM spells it ("ngram", "eagle", "eagle3", "mtp", "draft_model"). */
const char *lp_spec_method_name(lp_spec_method method);

/** Longest draft model id kept in an lp_spec_config. */
#define LP_SPEC_MODEL_SIZE 256

/**
 * `--speculative-config` as vLLM spells it (vllm/config/speculative.py SpeculativeConfig), plus
 * the acceptance rate llmplan needs and vLLM measures. num_speculative_tokens 0 (with a
 * method) means the method's default (MTP: the checkpoint's MTP layers; others: required).
 */
typedef struct {
    lp_spec_method method;
    int num_speculative_tokens;     /**< tokens drafted per step (k) */
    char model[LP_SPEC_MODEL_SIZE]; /**< "model": the draft / EAGLE head checkpoint ("" none) */
    int draft_tensor_parallel_size; /**< 0: the target's TP (vLLM allows only that or 1) */
    int prompt_lookup_max, prompt_lookup_min; /**< n-gram window (echoed; 0: vLLM's) */
    int disable_by_batch_size; /**< speculation off while more requests run (0: never) */
    /** Probability that one drafted token is accepted, i.i.d. per position (0: the method's
     *  documented default, src/mem/spec.c). Not a vLLM field: `--acceptance-rate`. */
    double acceptance_rate;
    /** The draft model for LP_SPEC_DRAFT_MODEL, resolved at the edge (NULL: not loaded; the
     *  plan then refuses it). EAGLE / MTP heads are derived from the target. Borrowed. */
    const lp_model *draft;
} lp_spec_config;

/**
 * Read a `--speculative-config` JSON object (text[0..len)): "method" (ngram, eagle, eagle3,
 * mtp or an MTP alias such as deepseek_mtp, draft_model; absent: inferred from "model" as
 * vLLM does - "eagle3" or "eagle" in the name, else draft_model), "model",
 * "num_speculative_tokens", "draft_tensor_parallel_size", "prompt_lookup_max",
 * "prompt_lookup_min", "disable_by_batch_size". LP_ERR_PARSE for text that is not an object,
 * LP_ERR_INVALID_ARG naming the key for an unknown key, a wrong type or a method llmplan does
 * not model (medusa, mlp_speculator, suffix, ...). out->acceptance_rate and out->draft are left
 * as they were.
 */
lp_status lp_spec_config_parse(const char *text, size_t len, lp_spec_config *out, lp_error *err);

/**
 * The JSON vLLM takes for c (`--speculative-config '{...}'`), compact, into buf. Returns
 * false when it does not fit (or the method is none).
 */
bool lp_spec_config_json(const lp_spec_config *c, char *buf, size_t size);

/** Multi-adapter LoRA serving (`--enable-lora --max-loras --max-lora-rank --max-cpu-loras`). */
typedef struct {
    bool enable_lora;
    int max_loras;     /**< adapters in one batch, each a GPU slot (0: vLLM's 1) */
    int max_lora_rank; /**< slot rank (0: vLLM's 16) */
    int max_cpu_loras; /**< adapters cached in host memory (0: max_loras) */
} lp_lora_config;

/** KV connectors of disaggregated prefill/decode (`--kv-transfer-config` "kv_connector"). */
typedef enum {
    LP_KV_CONNECTOR_NIXL = 0, /**< NixlConnector (UCX: RDMA, NVLink, TCP) - the default */
    LP_KV_CONNECTOR_LMCACHE,  /**< LMCacheConnectorV1 */
    LP_KV_CONNECTOR_NCCL,     /**< P2pNcclConnector */
    LP_KV_CONNECTOR_MOONCAKE  /**< MooncakeConnector (Mooncake transfer engine) */
} lp_kv_connector;

/** Name as the --kv-connector flag spells it ("nixl", "lmcache", "nccl", "mooncake"). */
const char *lp_kv_connector_name(lp_kv_connector c);
/** vLLM's class name for the connector ("NixlConnector", "LMCacheConnectorV1", ...). */
const char *lp_kv_connector_vllm_name(lp_kv_connector c);
/** Parse a --kv-connector word (any case; vLLM's class names too). */
lp_status lp_kv_connector_parse(const char *word, lp_kv_connector *out, lp_error *err);

/**
 * Disaggregated prefill/decode: x prefill and y decode vLLM instances joined by a KV
 * connector. prefill_instances 0 means an ordinary (aggregated) deployment.
 */
typedef struct {
    int prefill_instances, decode_instances; /**< `--disaggregation xPyD` */
    int prefill_tensor_parallel_size;        /**< 0: tensor_parallel_size */
    int decode_tensor_parallel_size;         /**< 0: tensor_parallel_size */
    lp_kv_connector kv_connector;            /**< --kv-connector (default nixl) */
} lp_disaggregation;

/** Parse "xPyD" (any case: "1P1D", "4p1d"): 1 to 1024 instances each. */
lp_status lp_disaggregation_parse(const char *text, lp_disaggregation *out, lp_error *err);

/** vLLM's LoRA defaults applied: --max-loras (1 when 0) and --max-lora-rank (16 when 0). */
int lp_lora_max_loras(const lp_lora_config *l);
int lp_lora_rank(const lp_lora_config *l);

/**
 * Check LoRA settings as vLLM's LoRAConfig does: limits only with --enable-lora, a rank vLLM
 * accepts (1, 8, 16, 32, 64, 128, 256, 320, 512), --max-cpu-loras >= --max-loras.
 */
lp_status lp_lora_check(const lp_lora_config *l, lp_error *err);

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
    double cpu_offload_gib;           /**< --cpu-offload-gb (GiB of weights kept in host memory) */
    lp_vllm_version vllm_version;     /**< 0: LP_VLLM_VERSION_LATEST */
    bool enable_prefix_caching_off;   /**< --no-enable-prefix-caching (on by default, as vLLM) */
    lp_spec_config speculative;       /**< --speculative-config (method none: off) */
    lp_lora_config lora;              /**< --enable-lora and its limits */
    lp_disaggregation disaggregation; /**< --disaggregation xPyD (0 instances: aggregated) */
} lp_serving;

/** The role of one instance of a disaggregated deployment. */
typedef enum { LP_ROLE_PREFILL = 0, LP_ROLE_DECODE } lp_disagg_role;

/** Whether s describes a disaggregated prefill/decode deployment (x and y both > 0). */
bool lp_disaggregated(const lp_serving *s);

/**
 * The settings one instance of role runs with: the role's tensor-parallel size (or s's), one
 * replica, no disaggregation; a prefill instance runs no drafter (it computes only the first
 * token). Its memory plan is lp_mem_plan_compute of these.
 */
void lp_disaggregation_role_serving(const lp_serving *s, lp_disagg_role role, lp_serving *out);

/** GPUs of a disaggregated deployment: (x * prefill TP + y * decode TP) * PP; 0 when not. */
int lp_disaggregation_gpus(const lp_serving *s);

/** Fill s with vLLM's defaults (all zero except utilization 0.9, sizes 1, latest version). */
void lp_serving_init(lp_serving *s);

/**
 * Speculative decoding resolved against a target model: k, the acceptance rate (given or the
 * method's documented default, with where it comes from), the mean acceptance length and the
 * drafter as a model (an EAGLE head or the MTP layers derived from the target, or the draft
 * model itself; num_layers 0 for n-gram). About 6 KB (it holds a model).
 */
typedef struct {
    lp_spec_method method;
    int k;                         /**< tokens drafted per step */
    double acceptance_rate;        /**< per drafted token */
    char acceptance_source[160];   /**< given, or which default and why */
    double mean_acceptance_length; /**< tokens one verification yields: 1 + accepted */
    lp_model draft;                /**< the drafter (num_layers 0: none, n-gram) */
    int draft_tp;                  /**< its tensor-parallel size */
    bool shares_lm_head;           /**< its logits come from the target's lm_head */
    double extra_params;           /**< fusing projections of EAGLE / MTP heads (not in draft) */
} lp_spec_plan;

/**
 * Resolve s->speculative against target (method none: out->method none, LP_OK).
 * LP_ERR_INVALID_ARG for an MTP method on a model without MTP layers, a draft model not loaded
 * or of another vocabulary, a draft TP other than 1 or the target's, an acceptance rate outside
 * [0, 1]; LP_ERR_UNSUPPORTED with pipeline parallelism.
 */
lp_status lp_spec_plan_resolve(const lp_model *target, const lp_serving *s, lp_spec_plan *out,
                               lp_error *err);

/** Mean tokens one verification of k drafted tokens yields when each is accepted with
 *  probability a until the first rejection: (1 - a^(k+1)) / (1 - a) (Leviathan et al.). */
double lp_spec_acceptance_length(double a, int k);

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

/** Why vLLM's start-up fails, in the order it would find out (LP_MEM_STARTS: it starts). */
typedef enum {
    LP_MEM_STARTS = 0,
    LP_MEM_FAIL_WEIGHTS,  /**< the weights do not fit on the device: out of memory while loading */
    LP_MEM_FAIL_NO_KV,    /**< nothing left for the KV cache ("No available memory for the cache
                             blocks") */
    LP_MEM_FAIL_KV_SHORT, /**< a KV cache, but smaller than one max-model-len request */
    LP_MEM_FAIL_WARMUP    /**< KV pool allocated, then CUDA-graph capture or the sampler warm-up
                             runs out of what --gpu-memory-utilization left */
} lp_mem_failure;

/** Short name of a failure cause ("starts", "weights", "no KV room", "KV < one request",
 *  "warm-up"); a static string. */
const char *lp_mem_failure_name(lp_mem_failure f);

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

    /* serving modes (0 when off) */
    bool prefix_caching;        /**< on (vLLM's default) unless --no-enable-prefix-caching */
    lp_spec_method spec_method; /**< speculative decoding method (none: off) */
    int spec_k;                 /**< tokens drafted per step */
    int lora_slots, lora_rank;  /**< --max-loras and --max-lora-rank as resolved (0: no LoRA) */
    double spec_weights_bytes;  /**< speculative-decoding drafter on one GPU of the last stage */
    int64_t spec_kv_layers;     /**< drafter attention layers in every KV block */
    double lora_weights_bytes;  /**< LoRA slots on one GPU of the binding stage */

    bool fits;
    lp_mem_failure failure; /**< why it does not start (LP_MEM_STARTS when fits) */
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
 * Recurrent state of one Mamba / linear-attention layer of m for one request on one of tp ranks
 * (conv state in dtype, SSM state in the config's mamba_ssm_dtype or dtype), before vLLM pads it
 * to the attention page; 0 for a model without such layers.
 */
double lp_mem_mamba_state_bytes(const lp_model *m, lp_dtype dtype, int tp);

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

/**
 * The memory of a disaggregated deployment (lp_serving.disaggregation): one plan per role, each
 * the plan of one instance of that role (lp_disaggregation_role_serving on its pool's GPU type).
 * The deployment fits when both roles fit; the decode pool's KV cache decides how many requests
 * run at once (a prefill instance holds a request's KV only until it is handed over). About 23 KB.
 */
typedef struct {
    int prefill_instances, decode_instances; /**< x and y of xPyD */
    lp_kv_connector kv_connector;
    const lp_gpu *prefill_gpu, *decode_gpu;     /**< each pool's GPU type (borrowed) */
    lp_serving prefill_serving, decode_serving; /**< the settings of one instance of each role */
    lp_mem_plan prefill, decode;                /**< one instance of each role (with suggestions
                                                     when it does not fit) */
    int num_gpus;                               /**< x x prefill tp x pp + y x decode tp x pp */
    bool fits;                                  /**< both roles fit */
    int64_t kv_tokens;                          /**< the decode pool's: y x decode.kv_tokens */
    double max_concurrency; /**< the decode pool's: y x decode.max_concurrency */
} lp_mem_disagg_plan;

/**
 * Plan a disaggregated deployment s of model m: prefill instances on prefill_gpu, decode
 * instances on decode_gpu (either NULL: LP_ERR_INVALID_ARG). db: where a role that does not fit
 * looks for a larger GPU to suggest (NULL: no larger-GPU suggestion). LP_OK when both plans
 * could be computed, fitting or not (out->fits); LP_ERR_INVALID_ARG when s is not
 * disaggregated, sets -dp (xPyD gives the instances), or a role's settings are impossible (the
 * message starts with "prefill pool: " or "decode pool: ").
 */
lp_status lp_mem_disagg_plan_compute(const lp_model *m, const lp_gpu *prefill_gpu,
                                     const lp_gpu *decode_gpu, const lp_serving *s,
                                     const lp_gpu_db *db, lp_mem_disagg_plan *out, lp_error *err);

/** vLLM's scheduler defaults for a GPU: (max_num_batched_tokens, max_num_seqs) for `vllm serve`. */
void lp_mem_default_batch(const lp_gpu *gpu, lp_vllm_version version, int *max_num_batched_tokens,
                          int *max_num_seqs);

#ifdef __cplusplus
}
#endif

#endif
