/*
 * config_internal.h - private helpers shared by the config.json readers (config*.c).
 *
 * An lp_cfg is a view of one JSON object (plus an optional fallback object, e.g. the root
 * of a multimodal config whose text fields sit at the top level) that knows how to name
 * its fields in error messages ("config.json: text_config.hidden_size: ..."). Getters
 * treat an absent key and a JSON null alike ("not present"), check the JSON type and
 * range, and fill the caller's lp_error with a jq-style sentence on failure.
 * Not part of the public API.
 */
#ifndef LP_MODEL_CONFIG_INTERNAL_H
#define LP_MODEL_CONFIG_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "llmplan/model.h"

/* Bounds on widths and counts read from a config. They keep every product in params.c far
 * below INT64_MAX (the largest term, E*3*H*Im over LP_MAX_LAYERS layers, stays < 2^60) and
 * are well above any released model (largest hidden 16384, vocab 262208, experts 512). */
#define LP_CFG_MAX_WIDTH (INT64_C(1) << 18)     /**< hidden_size, head counts * head_dim */
#define LP_CFG_MAX_FFN (INT64_C(1) << 20)       /**< intermediate sizes */
#define LP_CFG_MAX_VOCAB (INT64_C(1) << 24)     /**< vocab_size */
#define LP_CFG_MAX_HEADS (INT64_C(1) << 14)     /**< attention heads */
#define LP_CFG_MAX_HEAD_DIM (INT64_C(1) << 14)  /**< per-head size, LoRA ranks */
#define LP_CFG_MAX_EXPERTS (INT64_C(1) << 12)   /**< routed experts per layer */
#define LP_CFG_MAX_POSITIONS (INT64_C(1) << 40) /**< context lengths and windows */

typedef struct {
    const json_t *obj;    /**< object searched first (never NULL in a valid view) */
    const json_t *alt;    /**< fallback object searched when obj lacks a key, or NULL */
    char prefix[160];     /**< path of obj in messages, "" or "text_config." */
    char alt_prefix[160]; /**< path of alt in messages */
    const char *origin;   /**< input name for messages ("config.json", "catalog:x") */
    lp_error *err;
} lp_cfg;

/** A view of obj (prefix "" or "name.") with an optional fallback. */
void lp_cfg_view(lp_cfg *c, const json_t *obj, const char *prefix, const json_t *alt,
                 const char *alt_prefix, const char *origin, lp_error *err);

/** A view of the object at key inside c (obj only, no fallback); false when absent. */
bool lp_cfg_sub(const lp_cfg *c, const char *key, lp_cfg *sub);

/** The value at key (obj first, then alt), or NULL when absent or JSON null. */
const json_t *lp_cfg_get(const lp_cfg *c, const char *key, const char **prefix_out);

/** True when key is present and not null. */
bool lp_cfg_has(const lp_cfg *c, const char *key);

/** Error "<origin>: <prefix><key>: expected <what>, got <value>" with the given code. */
lp_status lp_cfg_fail(const lp_cfg *c, lp_status code, const char *prefix, const char *key,
                      const char *what, const json_t *value);

/**
 * Integer in [min, max] at key. Absent/null: *present = false (may be NULL), *out kept.
 * Non-number: LP_ERR_PARSE; out of range or non-integral: LP_ERR_INVALID_ARG.
 */
lp_status lp_cfg_int(const lp_cfg *c, const char *key, int64_t min, int64_t max, int64_t *out,
                     bool *present);

/** lp_cfg_int over the first present of NULL-terminated keys; *used names the key. */
lp_status lp_cfg_int_any(const lp_cfg *c, const char *const *keys, int64_t min, int64_t max,
                         int64_t *out, const char **used);

/** Number (integer or real) at key; absent: *present = false. */
lp_status lp_cfg_real(const lp_cfg *c, const char *key, double *out, bool *present);

/** Boolean at key; absent: *out kept, *present = false. */
lp_status lp_cfg_bool(const lp_cfg *c, const char *key, bool *out, bool *present);

/** String at key (borrowed from the JSON tree); absent: *out = NULL. */
lp_status lp_cfg_string(const lp_cfg *c, const char *key, const char **out);

/** Language-model families with their own parsing rules (text model_type). */
typedef enum {
    LP_FAM_LLAMA,
    LP_FAM_LLAMA4,
    LP_FAM_MISTRAL,
    LP_FAM_MIXTRAL,
    LP_FAM_QWEN2,
    LP_FAM_QWEN2_MOE,
    LP_FAM_QWEN3,
    LP_FAM_QWEN3_MOE,
    LP_FAM_DEEPSEEK,
    LP_FAM_GEMMA2,
    LP_FAM_GEMMA3,
    LP_FAM_PHI3,
    LP_FAM_GPT_OSS,
    LP_FAM_FALCON,
    LP_FAM_NEMOTRON_H,     /**< hybrid: Mamba2 / attention / MLP layers by pattern */
    LP_FAM_QWEN3_NEXT,     /**< hybrid: Gated DeltaNet + gated attention, Qwen2-MoE MLP */
    LP_FAM_JAMBA,          /**< hybrid: Mamba1 + attention, Mixtral-style MoE */
    LP_FAM_GRANITE_HYBRID, /**< hybrid: Mamba2 + attention, shared MLP (+ MoE) per layer */
    LP_FAM_GLM4_MOE,     /**< GLM-4.5/4.6: GQA attention, DeepSeek-style routed + shared experts */
    LP_FAM_PHI,          /**< Phi-1/1.5/2: parallel attention + GELU MLP, LayerNorm, biases */
    LP_FAM_NEMOTRON_NAS, /**< DeciLM: Llama blocks, per-layer no-op attention / MLP widths */
    LP_FAM_MLLAMA,       /**< Llama-3.2-Vision text model: Llama + gated cross-attention layers */
    LP_FAM_GEMMA4        /**< Gemma 4: sliding + global layers of their own head size / KV heads */
} lp_family;

/**
 * Fill m->layer_attn and m->layer_moe from layer_types / family rules (m's widths, heads,
 * sliding_window, attention_chunk_size and expert counts must already be set), and clear
 * sliding_window / attention_chunk_size when no layer uses them.
 */
lp_status lp_config_parse_layers(const lp_cfg *t, lp_family fam, lp_model *m);

/**
 * Gemma 4 text fields beyond Gemma 3's (config_gemma4.c): full-layer head size and KV heads,
 * k_eq_v, layer scalars; refuses the parts not modelled. Needs heads and head_dim already read.
 */
lp_status lp_config_parse_gemma4(const lp_cfg *t, lp_model *m);

/**
 * max_position_embeddings (smallest of the known keys) and vLLM's derived max_model_len
 * (rope_scaling rules of vllm/config/model.py _get_and_verify_max_len).
 */
lp_status lp_config_parse_max_len(const lp_cfg *t, lp_family fam, const char *root_type,
                                  lp_model *m);

/**
 * Layer layout and recurrent-state sizes of a hybrid family (config_hybrid.c); a no-op for other
 * families. Runs after lp_config_parse_layers and overrides its layout.
 */
lp_status lp_config_parse_hybrid(const lp_cfg *t, lp_family fam, lp_model *m);

/**
 * Nemotron-NAS (DeciLM) block_configs (config_nas.c): no-op attention and MLP layers, KV heads
 * and per-layer MLP widths. Runs after lp_config_parse_layers and overrides its layout.
 */
lp_status lp_config_parse_nas(const lp_cfg *t, lp_model *m);

/** Quantization config (quantization_config in c, then its fallback) into m->quant. */
lp_status lp_config_parse_quant(const lp_cfg *c, lp_model *m);

/**
 * Vision tower + projector parameters of a multimodal root config (root_type "gemma3",
 * "mistral3", "llava", "llama4", "qwen2_5_vl", "mllama") into m->params_vision; text_hidden is the
 * language model's hidden size. Unknown towers are counted as 0 and noted.
 */
lp_status lp_config_parse_vision(const lp_cfg *root, const char *root_type, int64_t text_hidden,
                                 lp_model *m);

#endif
