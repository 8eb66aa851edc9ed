/*
 * llmplan/model.h - model architecture facts and exact parameter counts.
 *
 * An lp_model is a plain value: everything the memory and performance models need to know
 * about a checkpoint (layers and their kinds, widths, heads, MoE, MLA, dtype, quantization),
 * read from a Hugging Face config.json, the embedded catalog, a model directory or the local
 * Hugging Face cache. Parameter counts are computed from the architecture, or counted exactly
 * from safetensors headers when those are available (params_exact says which).
 */
#ifndef LLMPLAN_MODEL_H
#define LLMPLAN_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llmplan/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Upper bound on decoder layers we represent (Llama-3.1-405B has 126). */
#define LP_MAX_LAYERS 512
/** Upper bound on recorded assumptions / defaults taken while reading a model. */
#define LP_MODEL_MAX_NOTES 16
#define LP_MODEL_NOTE_SIZE 160

/** Attention kind of one decoder layer, as vLLM's KV-cache specs distinguish them. */
typedef enum {
    LP_ATTN_FULL = 0, /**< full causal attention (MHA/GQA/MQA) */
    LP_ATTN_SLIDING,  /**< sliding-window attention (window = lp_model.sliding_window) */
    LP_ATTN_CHUNKED,  /**< chunked local attention (Llama 4; chunk = attention_chunk_size) */
    LP_ATTN_MLA,      /**< multi-head latent attention (DeepSeek V2/V3) */
    LP_ATTN_MAMBA,    /**< recurrent/linear-attention state (mamba, GDN); fixed per request */
    LP_ATTN_NONE      /**< no attention (not used by supported families) */
} lp_attn_kind;

/** Recurrent state kept by the LP_ATTN_MAMBA layers of a hybrid model (vLLM MambaSpec kinds). */
typedef enum {
    LP_MIXER_NONE = 0,
    LP_MIXER_MAMBA1, /**< Mamba (Jamba): conv (inner, K-1) + SSM (inner, N) */
    LP_MIXER_MAMBA2, /**< Mamba2 (Nemotron-H, Granite-4.0-H): conv + SSM (heads, head, N) */
    LP_MIXER_GDN     /**< Gated DeltaNet (Qwen3-Next, Qwen3.5): conv + (v heads, dk, dv) */
} lp_mixer_kind;

/** Tensor element types as model dtypes and KV-cache dtypes. */
typedef enum {
    LP_DTYPE_AUTO = 0, /**< take it from the checkpoint */
    LP_DTYPE_FP32,
    LP_DTYPE_FP16,
    LP_DTYPE_BF16,
    LP_DTYPE_FP8, /**< e4m3 / e5m2; one byte */
    LP_DTYPE_INT8
} lp_dtype;

/** Bytes per element of a dtype (AUTO -> 0). */
double lp_dtype_bytes(lp_dtype dtype);
/** Lower-case name ("bfloat16", "float16", "float32", "fp8", "int8", "auto"). */
const char *lp_dtype_name(lp_dtype dtype);
/**
 * Parse a dtype name as vLLM or a config.json spells it: auto, half, float16, fp16,
 * bfloat16, bf16, float, float32, fp32, fp8, fp8_e4m3, fp8_e5m2, int8.
 */
lp_status lp_dtype_parse(const char *name, lp_dtype *out, lp_error *err);

/** Weight quantization methods llmplan can size. */
typedef enum {
    LP_QUANT_NONE = 0,
    LP_QUANT_FP8,       /**< W8A8 FP8: `fp8`, compressed-tensors float, modelopt FP8 */
    LP_QUANT_INT8,      /**< W8A8 INT8 (compressed-tensors int) */
    LP_QUANT_GPTQ,      /**< GPTQ b-bit, group g (gptq / gptq_marlin) */
    LP_QUANT_AWQ,       /**< AWQ 4-bit, group g (awq / awq_marlin) */
    LP_QUANT_BNB4,      /**< bitsandbytes 4-bit (nf4/fp4), blocksize 64 */
    LP_QUANT_BNB8,      /**< bitsandbytes 8-bit (LLM.int8) */
    LP_QUANT_MXFP4,     /**< OCP MXFP4 (gpt-oss): 4-bit + E8M0 scale per 32 */
    LP_QUANT_NVFP4,     /**< NVFP4 (modelopt_fp4): 4-bit + FP8 scale per 16 */
    LP_QUANT_MXFP8,     /**< OCP MXFP8 */
    LP_QUANT_INT4_W4A16 /**< compressed-tensors pack-quantized int4 weight-only */
} lp_quant_method;

/** Quantization of the checkpoint's weights (from quantization_config or a flag). */
typedef struct {
    lp_quant_method method;
    char vllm_name[32];      /**< the name vLLM uses for --quantization ("fp8", "gptq", ...) */
    int bits;                /**< weight bits (4, 8); 16 when NONE */
    int group_size;          /**< quantization group size; -1 per-channel; 0 not applicable */
    bool experts_only;       /**< only routed-expert weights are quantized (gpt-oss mxfp4) */
    bool double_quant;       /**< bitsandbytes bnb_4bit_use_double_quant */
    bool weight_block;       /**< fp8 block-wise scales (weight_block_size, e.g. 128x128) */
    bool activations;        /**< activations quantized too (W8A8) rather than weight-only */
    lp_dtype kv_cache_dtype; /**< KV dtype the checkpoint asks for (modelopt kv_cache_quant_algo),
                                else AUTO */
    /**
     * Per decoder layer, the LP_KEEP_* bits of the projections the checkpoint leaves in the
     * model dtype (modules_to_not_convert, compressed-tensors ignore, modelopt exclude_modules);
     * all zero when every quantizable weight is quantized.
     */
    uint8_t keep[LP_MAX_LAYERS];
} lp_quant;

/** Bits of lp_quant.keep: projections stored unquantized in one decoder layer. */
enum {
    LP_KEEP_Q = 1,        /**< q projection (MLA: all of the attention) */
    LP_KEEP_K = 2,        /**< k projection */
    LP_KEEP_V = 4,        /**< v projection */
    LP_KEEP_O = 8,        /**< output projection */
    LP_KEEP_GATE = 16,    /**< gate projection of the dense MLP / shared experts */
    LP_KEEP_UP = 32,      /**< up projection of the dense MLP / shared experts */
    LP_KEEP_DOWN = 64,    /**< down projection of the dense MLP / shared experts */
    LP_KEEP_EXPERTS = 128 /**< routed experts */
};
#define LP_KEEP_ATTN (LP_KEEP_Q | LP_KEEP_K | LP_KEEP_V | LP_KEEP_O)
#define LP_KEEP_MLP (LP_KEEP_GATE | LP_KEEP_UP | LP_KEEP_DOWN)

/** Architecture facts of the language model (the text part of a multimodal wrapper). */
typedef struct {
    char id[192];          /**< HF id, catalog id or path this came from */
    char model_type[48];   /**< text model_type ("llama", "qwen3_moe", "gemma3_text", ...) */
    char architecture[96]; /**< architectures[0] of the root config */
    char source[32];       /**< "catalog", "config.json", "model-dir", "hf-cache" */

    int64_t vocab_size;
    int64_t hidden_size;
    int64_t num_layers;   /**< decoder layers loaded by vLLM (MTP layers excluded) */
    int64_t num_heads;    /**< query heads */
    int64_t num_kv_heads; /**< KV heads (== num_heads for MHA, 1 for MQA) */
    int64_t head_dim;     /**< per-head size of q/k */
    int64_t head_dim_v;   /**< per-head size of v (== head_dim unless it differs) */
    int64_t rotary_dim;   /**< rotated part of a q/k head: head_dim x partial_rotary_factor (MLA:
                             qk_rope_head_dim) */
    int64_t intermediate_size; /**< dense MLP width (dense layers) */

    bool gated_mlp;           /**< SwiGLU/GeGLU: 3 matrices; false: 2 (Falcon, GPT-2 style) */
    bool tie_word_embeddings; /**< lm_head shares the embedding matrix */
    bool qkv_bias;            /**< biases on q, k, v projections (Qwen2, gpt-oss) */
    bool o_bias;              /**< bias on the output projection (gpt-oss) */
    bool mlp_bias;            /**< biases on dense MLP matrices */
    bool qk_norm;             /**< per-head RMSNorm on q and k (Qwen3, Gemma 3): 2*head_dim */
    bool attn_sinks;          /**< per-head attention sinks (gpt-oss): num_heads per layer */
    bool norm_has_bias;       /**< LayerNorm with bias (Falcon): 2*H per norm instead of H */
    bool lm_head_bias;        /**< bias on the untied lm_head (Phi-2): vocab_size more */
    int norms_per_layer;      /**< 2 for Llama-style, 4 for Gemma 2/3, 1 for Falcon-7B */
    bool fused_qkv_mqa;       /**< Falcon-7B style fused query_key_value */

    /* Mixture of experts (num_experts == 0 for dense models). */
    int64_t num_experts;                     /**< routed experts per MoE layer */
    int64_t experts_per_tok;                 /**< top-k */
    int64_t moe_intermediate_size;           /**< routed expert width */
    int64_t num_shared_experts;              /**< shared experts per MoE layer */
    int64_t shared_expert_intermediate_size; /**< width of each shared expert */
    bool shared_expert_gate; /**< Qwen2-MoE sigmoid gate on the shared expert (H params) */
    bool router_bias;        /**< router has a bias (gpt-oss) */
    bool expert_bias;        /**< expert matrices have biases (gpt-oss) */
    bool expert_score_bias;  /**< DeepSeek-V3 e_score_correction_bias (E per layer) */

    /* Multi-head latent attention (use_mla). */
    bool use_mla;
    int64_t q_lora_rank; /**< 0 when q is not compressed (V2-Lite) */
    int64_t kv_lora_rank;
    int64_t qk_nope_head_dim;
    int64_t qk_rope_head_dim;
    int64_t v_head_dim;
    /* DeepSeek-V3.2 sparse attention (DSA): a lightning indexer per MLA layer picks index_topk
     * tokens; its own K cache holds index_head_dim fp8 values + one fp32 scale per 128 a token. */
    int64_t index_head_dim; /**< 0 when the model has no indexer */
    int64_t index_n_heads;
    int64_t index_topk;

    /* Gemma 4: its full-attention layers have their own geometry beside the sliding ones. */
    int64_t full_head_dim; /**< head size of LP_ATTN_FULL layers where it differs from head_dim
                              (Gemma 4 global_head_dim); 0: head_dim */
    int64_t full_kv_heads; /**< KV heads of LP_ATTN_FULL layers where they differ (Gemma 4
                              num_global_key_value_heads with attention_k_eq_v); 0: num_kv_heads */
    bool full_k_eq_v;      /**< LP_ATTN_FULL layers store no v_proj: V is computed from K's
                              weights (Gemma 4 attention_k_eq_v); the KV cache still holds both */
    bool layer_scalar;     /**< one learned scalar per decoder layer (Gemma 4 layer_scalar) */

    int64_t sliding_window;       /**< window of LP_ATTN_SLIDING layers; 0 if none */
    int64_t attention_chunk_size; /**< chunk of LP_ATTN_CHUNKED layers; 0 if none */

    /* Recurrent / linear-attention mixers of LP_ATTN_MAMBA layers (hybrid models). */
    lp_mixer_kind mixer;      /**< which state those layers keep (NONE for pure transformers) */
    int64_t mamba_heads;      /**< Mamba2 heads; GDN value heads */
    int64_t mamba_head_dim;   /**< Mamba2 head size; GDN value head size */
    int64_t mamba_groups;     /**< Mamba2 B/C groups; GDN key heads */
    int64_t mamba_state_size; /**< Mamba1/2 SSM state size N; GDN key head size */
    int64_t mamba_inner;      /**< Mamba1/2 inner width (expand x hidden, heads x head size) */
    int64_t mamba_conv;       /**< causal conv kernel width */
    int64_t mamba_dt_rank;    /**< Mamba1 dt projection rank */
    bool mamba_proj_bias;     /**< in/out projections have biases */
    bool mamba_conv_bias;     /**< the conv has a bias */
    lp_dtype mamba_ssm_dtype; /**< SSM state dtype the config asks for (AUTO: model dtype) */
    bool attn_output_gate;    /**< gated attention: q projection twice as wide (Qwen3-Next) */

    int64_t max_position_embeddings; /**< as in config.json (smallest of the known keys) */
    int64_t derived_max_model_len;   /**< vLLM's derived default max_model_len (rope rules) */
    int64_t num_mtp_layers;          /**< next-n prediction layers stored in the checkpoint */

    lp_dtype dtype; /**< checkpoint dtype (torch_dtype / dtype) */
    lp_quant quant; /**< checkpoint quantization (method NONE if none) */

    uint8_t layer_attn[LP_MAX_LAYERS];   /**< lp_attn_kind of each layer */
    uint8_t layer_moe[LP_MAX_LAYERS];    /**< 1 if the layer's MLP is a MoE block */
    uint8_t layer_no_mlp[LP_MAX_LAYERS]; /**< 1 if the layer has no MLP (Nemotron-H mixer-only
                                            layers) */
    /** Dense MLP width of each layer where the layers differ (Nemotron-NAS / DeciLM block
     *  configs); 0: intermediate_size. */
    int32_t layer_ffn[LP_MAX_LAYERS];
    /** 1 where the layer is a cross-attention layer (mllama): its keys and values come from the
     *  vision encoder's tokens; vLLM skips the whole layer for requests without an image. */
    uint8_t layer_cross_attn[LP_MAX_LAYERS];
    /** Rows of the input embedding beyond vocab_size (mllama: 8 for the image tokens). */
    int64_t embed_extra_rows;
    /** One norm before each block a layer has (DeciLM: input_layernorm only with attention,
     *  post_attention_layernorm only with an MLP) instead of norms_per_layer. */
    bool norm_per_block;

    int64_t params_vision;    /**< vision tower + projector parameters (0 for text models) */
    int64_t params_mtp;       /**< MTP layer parameters stored in the checkpoint (not loaded) */
    int64_t params_total;     /**< all parameters vLLM loads: text + vision (MTP excluded) */
    int64_t params_active;    /**< per token: total minus unused routed experts (MoE) */
    bool params_exact;        /**< params_total counted from safetensors headers */
    int64_t checkpoint_bytes; /**< tensor bytes from safetensors (0 when unknown) */

    /** Defaults taken and facts inferred while reading, for the report's assumptions. */
    char notes[LP_MODEL_MAX_NOTES][LP_MODEL_NOTE_SIZE];
    int n_notes;
} lp_model;

/**
 * Parameter counts of one decoder layer, split by how vLLM shards and quantizes them.
 * Element counts (not bytes), whole layer (before tensor parallelism).
 */
typedef struct {
    int64_t attn_sharded; /**< weights split over TP ranks: q and o (MLA: q_b, kv_b, o) */
    int64_t attn_kv; /**< k and v projection weights (GQA/MQA): replicated when tp > kv heads */
    int64_t attn_replicated; /**< weights every TP rank holds whole (MLA q_a, kv_a) */
    int64_t mlp_dense; /**< dense MLP, or shared experts of a MoE layer: TP-sharded, quantizable */
    int64_t
        mlp_experts; /**< routed expert weight matrices, all experts: TP/EP-sharded, quantizable */
    int64_t expert_one; /**< one routed expert's parameters incl. its biases (for active counts) */
    int64_t small;      /**< norms, all biases, router, sinks, q/k norms: kept in model dtype */
} lp_layer_params;

/** Whole-model breakdown (sums over layers plus embeddings). */
typedef struct {
    int64_t embed;          /**< input embedding V*H */
    int64_t lm_head;        /**< output projection V*H (0 when tied) */
    int64_t final_norm;     /**< final norm (H, or 2H with bias) */
    lp_layer_params layers; /**< sums over all decoder layers */
    int64_t vision;         /**< vision tower + projector */
    int64_t total;          /**< everything above */
    int64_t active;         /**< total minus unused routed experts per token */
} lp_param_breakdown;

/** Initialise a model to "empty" (all zero, dtype AUTO, quant NONE, norms_per_layer 2). */
void lp_model_init(lp_model *m);

/** Append a note ("head_dim absent: using hidden_size/num_attention_heads = 128"). */
void lp_model_note(lp_model *m, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/**
 * Parse a Hugging Face config.json held in memory. origin names the input in error
 * messages (a path, or "catalog:<id>"). Multimodal wrappers: the text model is read from
 * text_config (or root fields), the vision tower's parameters go to params_vision.
 * Fills per-model_type class defaults for omitted fields and records each in notes.
 * On success also computes params_total/params_active from the architecture.
 * Errors: LP_ERR_PARSE (bad JSON, with line/column), LP_ERR_MISSING_FIELD,
 * LP_ERR_UNSUPPORTED (unknown model_type), LP_ERR_INVALID_ARG (nonsense values).
 */
lp_status lp_model_from_config_json(const char *text, size_t len, const char *origin, lp_model *out,
                                    lp_error *err);

/** Read and parse a config.json file (see lp_model_from_config_json). */
lp_status lp_model_from_config_file(const char *path, lp_model *out, lp_error *err);

/** Parameters of one decoder layer i (0 <= i < num_layers). */
void lp_model_layer_params(const lp_model *m, int64_t layer, lp_layer_params *out);

/** Whole-model parameter breakdown computed from the architecture (ignores params_exact). */
void lp_model_param_breakdown(const lp_model *m, lp_param_breakdown *out);

/** Recompute params_total / params_active from the architecture. */
void lp_model_count_params(lp_model *m);

/**
 * KV-cache bytes per token of one layer for one replica before tensor parallelism
 * (MLA: latent size; mamba: 0 here), at kv_dtype (AUTO = model dtype).
 */
double lp_model_kv_bytes_per_token_layer(const lp_model *m, int64_t layer, lp_dtype kv_dtype);

/** KV heads of layer i's attention (Gemma 4 full layers may have fewer); 0 outside. */
int64_t lp_model_layer_kv_heads(const lp_model *m, int64_t layer);

/** Head size (q and k) of layer i's attention (Gemma 4 full layers may be wider). */
int64_t lp_model_layer_head_dim(const lp_model *m, int64_t layer);

/** Sum of lp_model_kv_bytes_per_token_layer over all layers (as if all full attention). */
double lp_model_kv_bytes_per_token(const lp_model *m, lp_dtype kv_dtype);

/** Number of layers of each lp_attn_kind (counts indexed by lp_attn_kind). */
void lp_model_layer_kind_counts(const lp_model *m, int64_t counts[6]);

/** Number of layers whose MLP is a MoE block. */
int64_t lp_model_num_moe_layers(const lp_model *m);

/* ---- Embedded catalog ---------------------------------------------------------------- */

/** One catalog entry: a Hugging Face id and its config, written from published facts. */
typedef struct {
    const char *id;           /**< canonical HF id, e.g. "meta-llama/Llama-3.1-8B-Instruct" */
    const char *config_json;  /**< a config.json (subset) for this model */
    const char *source;       /**< where the facts come from */
    int64_t published_params; /**< published total parameter count (0 if none published) */
} lp_catalog_entry;

/** Number of entries in the embedded catalog. */
size_t lp_catalog_count(void);

/** Entry i (0 <= i < lp_catalog_count()), or NULL. Static storage; do not free. */
const lp_catalog_entry *lp_catalog_at(size_t i);

/**
 * Find a catalog entry by HF id, case-insensitively; the "org/" prefix is optional when
 * unambiguous. Returns NULL when absent; then, if suggestions is non-NULL, up to
 * n_suggestions closest ids are written to it (pointers to static storage).
 */
const lp_catalog_entry *lp_catalog_find(const char *id, const char **suggestions,
                                        size_t n_suggestions);

/**
 * Build a model from the catalog: id is matched as lp_catalog_find does; a variant suffix
 * the catalog does not hold verbatim (-Instruct, -it, -Chat, -FP8, -FP8-dynamic, -AWQ,
 * -GPTQ-Int4/-Int8, -bnb-4bit, ...) resolves to its base architecture with the variant's
 * dtype/quantization applied and noted. LP_ERR_NOT_FOUND lists the closest ids.
 */
lp_status lp_catalog_load(const char *id, lp_model *out, lp_error *err);

/* ---- Model sources -------------------------------------------------------------------- */

/** Options for lp_model_load. */
typedef struct {
    const char *hf_home; /**< overrides $HF_HOME (NULL: environment, then ~/.cache/huggingface) */
    const char *hf_hub_cache; /**< overrides $HF_HUB_CACHE */
    const char *revision;     /**< snapshot revision or ref (NULL: refs/main, else newest) */
    bool no_safetensors;      /**< skip reading safetensors headers */
} lp_model_load_opts;

/**
 * Resolve a model spec and fill out:
 *   1. an existing path to a config.json file, or a directory containing config.json
 *      (safetensors headers / model.safetensors.index.json there are read for exact counts);
 *   2. a Hugging Face id found in the local HF cache (models--ORG--NAME/snapshots/REV/);
 *   3. a Hugging Face id in the embedded catalog (case-insensitive; -Instruct/-FP8 etc.).
 * Errors: LP_ERR_NOT_FOUND with the closest catalog ids in the message, parse errors of the
 * files read. opts may be NULL.
 */
lp_status lp_model_load(const char *spec, const lp_model_load_opts *opts, lp_model *out,
                        lp_error *err);

/* ---- Safetensors ---------------------------------------------------------------------- */

/** Element and byte counts from safetensors headers, per dtype class. */
typedef struct {
    int64_t tensors;        /**< number of tensors */
    int64_t elements;       /**< sum of prod(shape) over all tensors (what the Hub counts) */
    int64_t bytes;          /**< sum of END-BEGIN */
    int64_t logical_params; /**< elements with packed 4-bit tensors unpacked and scale tensors
                               dropped */
    int64_t
        vision_elements;  /**< elements of vision_tower./visual./multi_modal_projector. tensors */
    int64_t mtp_elements; /**< elements of layers >= num_layers (MTP), when known */
    int64_t files;        /**< safetensors files read (shards) */
} lp_st_summary;

/**
 * Parse one safetensors header held in memory: buf holds at least the first 8 bytes
 * (little-endian u64 N) followed by N bytes of JSON. Adds the counts to *sum.
 * Errors (LP_ERR_PARSE): truncated buffer, N > 100,000,000, JSON not an object, bad
 * dtype/shape/offsets, offsets inconsistent with shape*dtype size.
 * num_layers (may be 0) classifies model.layers.{>= num_layers} as MTP.
 */
lp_status lp_safetensors_parse_header(const unsigned char *buf, size_t len, int64_t num_layers,
                                      lp_st_summary *sum, lp_error *err);

/** Read the header of a .safetensors file (only 8 + N bytes are read) and add its counts. */
lp_status lp_safetensors_read_file(const char *path, int64_t num_layers, lp_st_summary *sum,
                                   lp_error *err);

/**
 * Read every safetensors shard of a model directory (via model.safetensors.index.json,
 * or model.safetensors, or all *.safetensors files). Returns LP_ERR_NOT_FOUND when the
 * directory holds no safetensors file.
 */
lp_status lp_safetensors_read_dir(const char *dir, int64_t num_layers, lp_st_summary *sum,
                                  lp_error *err);

#ifdef __cplusplus
}
#endif

#endif
