/*
 * config.c - build an lp_model from a Hugging Face config.json (text or file).
 *
 * Recognises the families of model_configs.md by model_type, unwraps multimodal configs
 * (the language model comes from text_config, or the root for older Qwen2.5-VL files),
 * resolves field aliases (n_embd, n_head_kv, multi_query, ...) and fills per-family class
 * defaults for omitted fields, recording each default in the model's notes. The per-layer
 * layout is in config_layers.c, quantization in config_quant.c, vision towers in
 * config_vision.c, counting in params.c. It deliberately does not read safetensors, the
 * catalog or the HF cache (other files of the module), and never guesses an unknown
 * model_type: that is LP_ERR_UNSUPPORTED.
 */
#include "common/text.h"
#include "config_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest config.json we read; real ones are a few KiB. */
#define LP_CONFIG_MAX_FILE_BYTES (16 * 1024 * 1024)

/* Text model_types and their family; tie_default is the class's tie_word_embeddings default. */
static const struct {
    const char *model_type;
    lp_family fam;
    bool tie_default;
} text_types[] = {
    {"llama", LP_FAM_LLAMA, false},
    {"llama4_text", LP_FAM_LLAMA4, false},
    {"mistral", LP_FAM_MISTRAL, false},
    {"mixtral", LP_FAM_MIXTRAL, false},
    {"qwen2", LP_FAM_QWEN2, false},
    {"qwen2_5_vl_text", LP_FAM_QWEN2, false},
    {"qwen2_moe", LP_FAM_QWEN2_MOE, false},
    {"qwen3", LP_FAM_QWEN3, false},
    {"qwen3_moe", LP_FAM_QWEN3_MOE, false},
    {"deepseek_v2", LP_FAM_DEEPSEEK, false},
    {"deepseek_v3", LP_FAM_DEEPSEEK, false},
    /* DeepseekV32ForCausalLM: V3's layout plus the sparse-attention indexer (index_topk,
     * index_n_heads, index_head_dim); vLLM deepseek_v2.py Indexer */
    {"deepseek_v32", LP_FAM_DEEPSEEK, false},
    {"gemma2", LP_FAM_GEMMA2, true},
    {"gemma3_text", LP_FAM_GEMMA3, true},
    {"phi3", LP_FAM_PHI3, false},
    {"gpt_oss", LP_FAM_GPT_OSS, false},
    {"falcon", LP_FAM_FALCON, true},
    {"RefinedWeb", LP_FAM_FALCON, true},
    {"RefinedWebModel", LP_FAM_FALCON, true},
    {"nemotron_h", LP_FAM_NEMOTRON_H, false},
    {"qwen3_next", LP_FAM_QWEN3_NEXT, false},
    /* Qwen3.5 (Qwen3_5TextConfig / Qwen3_5MoeTextConfig inside a vision wrapper): Qwen3-Next's
     * layers (Gated DeltaNet every layer_types "linear_attention", gated attention with q/k
     * norms, Qwen2-MoE experts with a gated shared expert, or a dense MLP); vLLM qwen3_5.py */
    {"qwen3_5_text", LP_FAM_QWEN3_NEXT, false},
    {"qwen3_5_moe_text", LP_FAM_QWEN3_NEXT, false},
    {"jamba", LP_FAM_JAMBA, false},
    {"granitemoehybrid", LP_FAM_GRANITE_HYBRID, false},
    /* GraniteConfig: Llama's tensors (q/k/v/o, SwiGLU, RMSNorm) plus scalar multipliers that
     * change no size; vLLM granite.py. GraniteMoeConfig: Mixtral's layout, experts of
     * intermediate_size (input_linear 2I x H, output_linear H x I), no shared expert;
     * vLLM granitemoe.py. GemmaConfig (Gemma 1): Llama's tensors, GeGLU, tied embeddings,
     * head_dim 256, no sliding window; vLLM gemma.py. */
    {"granite", LP_FAM_LLAMA, false},
    {"granitemoe", LP_FAM_MIXTRAL, false},
    {"gemma", LP_FAM_LLAMA, true},
    /* Kimi-K2's text model is DeepseekV3ForCausalLM under its own model_type (MLA, 384
     * experts); vLLM serves it with deepseek_v2.py. */
    {"kimi_k2", LP_FAM_DEEPSEEK, false},
    /* Glm4MoeConfig (GLM-4.5, 4.5-Air, 4.6): grouped-query attention with qkv bias, the first
     * first_k_dense_replace layers dense, then n_routed_experts of moe_intermediate_size plus
     * n_shared_experts, sigmoid router with e_score_correction_bias; vLLM glm4_moe.py. */
    {"glm4_moe", LP_FAM_GLM4_MOE, false},
    /* PhiConfig (Phi-1, 1.5, 2): one LayerNorm per layer feeding attention and MLP in
     * parallel, biased q/k/v/dense and fc1/fc2 (GELU, not gated), a biased lm_head;
     * vLLM phi.py. */
    {"phi", LP_FAM_PHI, false},
    /* DeciLMConfig (Llama-3.1-Nemotron-51B, Llama-3.3-Nemotron-Super-49B, Nemotron-Ultra-253B):
     * Llama's tensors per layer, but each layer's attention and MLP from block_configs;
     * vLLM nemotron_nas.py (config_nas.c). */
    {"nemotron-nas", LP_FAM_NEMOTRON_NAS, false},
    /* MllamaTextConfig (Llama-3.2-11B/90B-Vision): Llama's layers, of which
     * cross_attention_layers attend to the image (q/k norms, two tanh gates); the input
     * embedding has vocab_size + 8 rows; vLLM mllama.py MllamaTextModel. */
    {"mllama_text_model", LP_FAM_MLLAMA, false},
    /* Ministral3Config (Ministral 3 3B/8B/14B inside mistral3, Devstral 2 on its own): Mistral's
     * tensors, YaRN in rope_parameters with llama_4_scaling_beta (no weights); vLLM serves it
     * with mistral.py / llama.py */
    {"ministral3", LP_FAM_MISTRAL, false},
    /* Gemma4TextConfig (Gemma 4): Gemma 3's block (four norms, q/k norms, GeGLU, tied embeddings)
     * with layer_types of sliding layers (head_dim) and full layers of global_head_dim, which
     * with attention_k_eq_v have num_global_key_value_heads and no v_proj; a layer_scalar per
     * layer; vLLM gemma4.py Gemma4DecoderLayer. */
    {"gemma4_text", LP_FAM_GEMMA4, true},
};

/* Multimodal root model_types and the text model_type their class assumes by default. */
static const struct {
    const char *model_type;
    const char *default_text_type;
} wrapper_types[] = {
    {"gemma3", "gemma3_text"},
    {"llama4", "llama4_text"},
    {"mistral3", "mistral"},
    {"llava", "llama"},
    {"qwen2_5_vl", "qwen2_5_vl_text"},
    {"kimi_k25", "kimi_k2"},
    {"mllama", "mllama_text_model"},
    /* LlavaNextConfig (LLaVA-NeXT, Granite Vision: a granite text_config + SigLIP) */
    {"llava_next", "llama"},
    {"qwen3_5", "qwen3_5_text"},
    {"qwen3_5_moe", "qwen3_5_moe_text"},
    {"gemma4", "gemma4_text"},
};

#define SUPPORTED_TYPES                                                                            \
    "llama, llama4, mistral, mistral3, mixtral, qwen2, qwen2_moe, qwen2_5_vl, qwen3, "             \
    "qwen3_moe, deepseek_v2, deepseek_v3, deepseek_v32, gemma2, gemma3, gemma3_text, phi3, "       \
    "gpt_oss, "                                                                                    \
    "falcon, llava, nemotron_h, qwen3_next, jamba, granitemoehybrid, granite, granitemoe, gemma, " \
    "kimi_k2, kimi_k25, glm4_moe, phi, nemotron-nas, mllama, llava_next, qwen3_5, qwen3_5_moe, "   \
    "ministral3, gemma4"

static int find_text_type(const char *type) {
    for (size_t i = 0; i < sizeof text_types / sizeof text_types[0]; i++)
        if (strcmp(type, text_types[i].model_type) == 0)
            return (int)i;
    return -1;
}

/* Required integer (first present of keys); dflt > 0 is the class default (noted). */
static lp_status need_int(const lp_cfg *t, const char *const *keys, int64_t max, int64_t dflt,
                          const char *cls, int64_t *out, lp_model *m) {
    const char *used = NULL;
    lp_status st = lp_cfg_int_any(t, keys, 1, max, out, &used);
    if (st != LP_OK || used)
        return st;
    if (dflt > 0) {
        *out = dflt;
        lp_model_note(m, "%s%s absent: using the %s default %lld", t->prefix, keys[0], cls,
                      (long long)dflt);
        return LP_OK;
    }
    return lp_cfg_fail(t, LP_ERR_MISSING_FIELD, t->prefix, keys[0], "a positive integer", NULL);
}

/* Optional integer with a default that is noted when taken. */
static lp_status opt_int(const lp_cfg *t, const char *key, int64_t min, int64_t max, int64_t dflt,
                         const char *cls, int64_t *out, lp_model *m) {
    bool present = false;
    lp_status st = lp_cfg_int(t, key, min, max, out, &present);
    if (st != LP_OK || present)
        return st;
    *out = dflt;
    if (cls)
        lp_model_note(m, "%s%s absent: using the %s default %lld", t->prefix, key, cls,
                      (long long)dflt);
    return LP_OK;
}

static lp_status parse_dtype(const lp_cfg *t, lp_model *m) {
    static const char *const keys[] = {"torch_dtype", "dtype", NULL};
    for (size_t k = 0; keys[k]; k++) {
        const char *s = NULL;
        const char *pfx = "";
        const json_t *v = lp_cfg_get(t, keys[k], &pfx);
        lp_status st = lp_cfg_string(t, keys[k], &s);
        if (st != LP_OK)
            return st;
        if (!s)
            continue;
        if (lp_dtype_parse(s, &m->dtype, NULL) != LP_OK)
            return lp_cfg_fail(t, LP_ERR_INVALID_ARG, pfx, keys[k],
                               "a dtype name such as \"bfloat16\", \"float16\" or \"float32\"", v);
        return LP_OK;
    }
    m->dtype = LP_DTYPE_AUTO;
    lp_model_note(m, "torch_dtype absent: vLLM takes the dtype from the weights (assumed 16-bit)");
    return LP_OK;
}

/* Heads, KV heads and head size, with Falcon's multi_query / new_decoder_architecture rules. */
static lp_status parse_attention(const lp_cfg *t, lp_family fam, const char *type,
                                 bool llama_defaults, lp_model *m) {
    static const char *const k_heads[] = {"num_attention_heads", "n_head", NULL};
    /* vLLM get_total_num_kv_heads() order. */
    static const char *const k_kv[] = {"n_head_kv", "num_kv_heads", "num_key_value_heads",
                                       "multi_query_group_num", NULL};
    int64_t def_heads = 0, def_kv = 0, def_head_dim = 0;
    const char *cls = "class";
    if (fam == LP_FAM_GEMMA3) {
        def_heads = 8, def_kv = 4, def_head_dim = 256, cls = "Gemma3TextConfig";
    } else if (fam == LP_FAM_GEMMA2) {
        def_heads = 8, def_kv = 4, def_head_dim = 256, cls = "Gemma2Config";
    } else if (fam == LP_FAM_GPT_OSS) {
        def_heads = 64, def_kv = 8, def_head_dim = 64, cls = "GptOssConfig";
    } else if (llama_defaults) {
        def_heads = 32, cls = "LlamaConfig";
    }
    lp_status st = need_int(t, k_heads, LP_CFG_MAX_HEADS, def_heads, cls, &m->num_heads, m);
    if (st != LP_OK)
        return st;

    const char *used = NULL;
    if (fam == LP_FAM_FALCON) {
        /* FalconConfig: multi_query defaults to true; RefinedWeb is the 40B-style layout. */
        bool new_arch = strcmp(type, "RefinedWeb") == 0, multi_query = true;
        st = lp_cfg_bool(t, "new_decoder_architecture", &new_arch, NULL);
        if (st == LP_OK)
            st = lp_cfg_bool(t, "multi_query", &multi_query, NULL);
        if (st != LP_OK)
            return st;
        m->num_kv_heads = m->num_heads;
        if (new_arch) {
            st = lp_cfg_int_any(t, k_kv, 1, LP_CFG_MAX_HEADS, &m->num_kv_heads, &used);
        } else if (multi_query) {
            m->num_kv_heads = 1;
            used = "multi_query";
        }
        m->fused_qkv_mqa = !new_arch && multi_query;
    } else {
        st = lp_cfg_int_any(t, k_kv, 1, LP_CFG_MAX_HEADS, &m->num_kv_heads, &used);
        if (st == LP_OK && !used && fam != LP_FAM_NEMOTRON_NAS) {
            /* (Nemotron-NAS: the KV heads come from block_configs, config_nas.c) */
            if (def_kv > 0) {
                m->num_kv_heads = def_kv;
                lp_model_note(m, "%snum_key_value_heads absent: using the %s default %lld",
                              t->prefix, cls, (long long)def_kv);
            } else {
                m->num_kv_heads = m->num_heads;
                lp_model_note(m,
                              "%snum_key_value_heads absent: multi-head attention (%lld KV "
                              "heads)",
                              t->prefix, (long long)m->num_heads);
            }
        }
    }
    if (st != LP_OK)
        return st;
    if (m->num_kv_heads > m->num_heads)
        return lp_error_set(t->err, LP_ERR_INVALID_ARG,
                            "%s: %s%s: expected at most num_attention_heads (%lld) KV heads, "
                            "got %lld",
                            t->origin, t->prefix, used ? used : "num_key_value_heads",
                            (long long)m->num_heads, (long long)m->num_kv_heads);

    bool present = false;
    st = lp_cfg_int(t, "head_dim", 1, LP_CFG_MAX_HEAD_DIM, &m->head_dim, &present);
    if (st != LP_OK)
        return st;
    if (!present) {
        if (def_head_dim > 0) {
            m->head_dim = def_head_dim;
            lp_model_note(m, "%shead_dim absent: using the %s default %lld", t->prefix, cls,
                          (long long)def_head_dim);
        } else {
            m->head_dim = m->hidden_size / m->num_heads;
            if (m->head_dim < 1)
                return lp_error_set(t->err, LP_ERR_INVALID_ARG,
                                    "%s: %snum_attention_heads: expected at most hidden_size "
                                    "(%lld) heads, got %lld",
                                    t->origin, t->prefix, (long long)m->hidden_size,
                                    (long long)m->num_heads);
            lp_model_note(m, "%shead_dim absent: using hidden_size/num_attention_heads = %lld",
                          t->prefix, (long long)m->head_dim);
        }
    }
    m->head_dim_v = m->head_dim;
    /* vLLM get_rope(rotary_dim = head_size * partial_rotary_factor): Phi-2, GLM, StableLM and
     * Nemotron rotate only part of each head. */
    double partial = 1.0;
    bool has_partial = false;
    st = lp_cfg_real(t, "partial_rotary_factor", &partial, &has_partial);
    if (st != LP_OK)
        return st;
    if (has_partial && !(partial > 0.0 && partial <= 1.0))
        return lp_cfg_fail(t, LP_ERR_INVALID_ARG, t->prefix, "partial_rotary_factor",
                           "a fraction in (0, 1]", lp_cfg_get(t, "partial_rotary_factor", NULL));
    m->rotary_dim = (int64_t)((double)m->head_dim * partial);
    if (m->num_heads * m->head_dim > LP_CFG_MAX_WIDTH)
        return lp_error_set(t->err, LP_ERR_INVALID_ARG,
                            "%s: %shead_dim: expected num_attention_heads * head_dim <= %lld, "
                            "got %lld",
                            t->origin, t->prefix, (long long)LP_CFG_MAX_WIDTH,
                            (long long)(m->num_heads * m->head_dim));
    return LP_OK;
}

/* DeepSeek-V3.2's indexer (vLLM deepseek_v2.py: is_v32 = hasattr(config, "index_topk")): all
 * three sizes, or none. It reads the compressed query, so it needs q_lora_rank. */
static lp_status parse_indexer(const lp_cfg *t, lp_model *m) {
    if (!lp_cfg_has(t, "index_topk"))
        return LP_OK;
    static const char *const keys[] = {"index_topk", "index_n_heads", "index_head_dim"};
    int64_t *out[] = {&m->index_topk, &m->index_n_heads, &m->index_head_dim};
    for (size_t i = 0; i < 3; i++) {
        bool present = false;
        lp_status st = lp_cfg_int(t, keys[i], 1, LP_CFG_MAX_POSITIONS, out[i], &present);
        if (st != LP_OK)
            return st;
        if (!present)
            return lp_cfg_fail(t, LP_ERR_MISSING_FIELD, t->prefix, keys[i],
                               "a positive integer (DeepSeek-V3.2 indexer)", NULL);
    }
    if (m->index_n_heads > LP_CFG_MAX_HEADS || m->index_head_dim > LP_CFG_MAX_HEAD_DIM ||
        m->q_lora_rank <= 0)
        return lp_error_set(t->err, LP_ERR_INVALID_ARG,
                            "%s: %sindex_n_heads / index_head_dim: expected at most %lld heads of "
                            "%lld and a q_lora_rank for the indexer's query",
                            t->origin, t->prefix, (long long)LP_CFG_MAX_HEADS,
                            (long long)LP_CFG_MAX_HEAD_DIM);
    return LP_OK;
}

/* DeepSeek multi-head latent attention (DeepseekV2Config / DeepseekV3Config defaults). */
static lp_status parse_mla(const lp_cfg *t, lp_model *m) {
    m->use_mla = true;
    const json_t *q = json_is_object(t->obj) ? json_object_get(t->obj, "q_lora_rank") : NULL;
    lp_status st;
    if (q && json_is_null(q)) {
        m->q_lora_rank = 0; /* explicit null: q is not compressed (V2-Lite) */
    } else {
        st = opt_int(t, "q_lora_rank", 1, LP_CFG_MAX_HEAD_DIM, 1536, "DeepseekV3Config",
                     &m->q_lora_rank, m);
        if (st != LP_OK)
            return st;
    }
    struct {
        const char *key;
        int64_t *dst, dflt;
    } f[] = {{"kv_lora_rank", &m->kv_lora_rank, 512},
             {"qk_nope_head_dim", &m->qk_nope_head_dim, 128},
             {"qk_rope_head_dim", &m->qk_rope_head_dim, 64},
             {"v_head_dim", &m->v_head_dim, 128}};
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
        st = opt_int(t, f[k].key, 1, LP_CFG_MAX_HEAD_DIM, f[k].dflt, "DeepseekV3Config", f[k].dst,
                     m);
        if (st != LP_OK)
            return st;
    }
    m->head_dim = m->qk_nope_head_dim + m->qk_rope_head_dim;
    m->head_dim_v = m->v_head_dim;
    m->rotary_dim = m->qk_rope_head_dim;
    return parse_indexer(t, m);
}

/* Experts: counts, top-k, widths, shared experts and the per-family extras. */
static lp_status parse_moe(const lp_cfg *t, lp_family fam, const char *type, lp_model *m) {
    static const char *const k_experts[] = {"num_local_experts", "num_experts", "n_routed_experts",
                                            "moe_num_experts", NULL};
    static const char *const k_topk[] = {"num_experts_per_tok", "experts_per_token", NULL};
    const char *used = NULL;
    lp_status st = lp_cfg_int_any(t, k_experts, 0, LP_CFG_MAX_EXPERTS, &m->num_experts, &used);
    if (st != LP_OK)
        return st;
    if (m->num_experts == 0) {
        if (fam == LP_FAM_MIXTRAL || fam == LP_FAM_GPT_OSS || fam == LP_FAM_QWEN2_MOE ||
            fam == LP_FAM_QWEN3_MOE || fam == LP_FAM_LLAMA4)
            return lp_cfg_fail(t, LP_ERR_MISSING_FIELD, t->prefix, k_experts[0],
                               "a positive number of experts", NULL);
        return LP_OK; /* dense model (DeepSeek with n_routed_experts null is dense) */
    }
    st = lp_cfg_int_any(t, k_topk, 1, m->num_experts, &m->experts_per_tok, &used);
    if (st != LP_OK)
        return st;
    if (!used)
        return lp_cfg_fail(t, LP_ERR_MISSING_FIELD, t->prefix, "num_experts_per_tok",
                           "the number of experts per token", NULL);
    static const char *const k_inter[] = {"intermediate_size", NULL};
    static const char *const k_moe_inter[] = {"moe_intermediate_size", NULL};
    bool expert_width_is_intermediate = fam == LP_FAM_MIXTRAL || fam == LP_FAM_GPT_OSS ||
                                        fam == LP_FAM_LLAMA4 || fam == LP_FAM_JAMBA ||
                                        fam == LP_FAM_GRANITE_HYBRID;
    st = need_int(t, expert_width_is_intermediate ? k_inter : k_moe_inter, LP_CFG_MAX_FFN, 0, "",
                  &m->moe_intermediate_size, m);
    if (st != LP_OK)
        return st;
    switch (fam) {
    case LP_FAM_LLAMA4:
        /* One shared expert as wide as a routed one in every MoE layer. */
        m->num_shared_experts = 1;
        m->shared_expert_intermediate_size = m->moe_intermediate_size;
        break;
    case LP_FAM_QWEN2_MOE:
    case LP_FAM_QWEN3_NEXT:
        st = lp_cfg_int(t, "shared_expert_intermediate_size", 0, LP_CFG_MAX_FFN,
                        &m->shared_expert_intermediate_size, NULL);
        m->num_shared_experts = m->shared_expert_intermediate_size > 0;
        m->shared_expert_gate = m->num_shared_experts > 0;
        break;
    case LP_FAM_DEEPSEEK:
    case LP_FAM_GLM4_MOE: {
        st = lp_cfg_int(t, "n_shared_experts", 0, LP_CFG_MAX_EXPERTS, &m->num_shared_experts, NULL);
        m->shared_expert_intermediate_size = m->moe_intermediate_size;
        /* vLLM deepseek_v2.py adds e_score_correction_bias when topk_method == noaux_tc,
         * which is DeepseekV3Config's default. */
        const char *method = NULL;
        if (st == LP_OK)
            st = lp_cfg_string(t, "topk_method", &method);
        m->expert_score_bias =
            method ? strcmp(method, "noaux_tc") == 0
                   : strcmp(type, "deepseek_v3") == 0 || strcmp(type, "deepseek_v32") == 0 ||
                         strcmp(type, "kimi_k2") == 0 ||
                         fam == LP_FAM_GLM4_MOE; /* Glm4MoeTopkRouter always has the bias */
        break;
    }
    case LP_FAM_GPT_OSS:
        m->router_bias = true;
        m->expert_bias = true;
        break;
    case LP_FAM_NEMOTRON_H:
        /* NemotronHConfig: n_shared_experts of moe_shared_expert_intermediate_size; vLLM
         * nemotron_h.py NemotronHMoE always adds the router's e_score_correction_bias (sigmoid
         * routing, one float32 per expert) */
        m->expert_score_bias = true;
        st = lp_cfg_int(t, "n_shared_experts", 0, LP_CFG_MAX_EXPERTS, &m->num_shared_experts, NULL);
        if (st == LP_OK)
            st = lp_cfg_int(t, "moe_shared_expert_intermediate_size", 0, LP_CFG_MAX_FFN,
                            &m->shared_expert_intermediate_size, NULL);
        break;
    case LP_FAM_GRANITE_HYBRID:
        /* GraniteMoeHybrid: the shared MLP sits beside the routed experts in every layer */
        m->num_shared_experts = 1;
        m->shared_expert_intermediate_size = m->intermediate_size;
        break;
    default:
        break;
    }
    return st;
}

/*
 * Everything about the language model except layout, max length and quantization.
 * llama_defaults: take LlamaConfig class defaults for absent sizes, as Llava's text_config
 * relies on (llava-hf/llava-1.5-7b-hf lists only vocab_size and max_position_embeddings).
 * A plain llama config without them is an error, not a 7B guess.
 */
static lp_status parse_text(const lp_cfg *t, lp_family fam, const char *type, bool tie_default,
                            bool llama_defaults, lp_model *m) {
    static const char *const k_hidden[] = {"hidden_size", "n_embd", "d_model", NULL};
    static const char *const k_layers[] = {"num_hidden_layers", "n_layer", "num_layers", NULL};
    static const char *const k_vocab[] = {"vocab_size", NULL};
    /* LlamaConfig class defaults (hidden 4096, 32 layers/heads, MLP 11008, vocab 32000). */
    lp_status st = need_int(t, k_hidden, LP_CFG_MAX_WIDTH, llama_defaults ? 4096 : 0, "LlamaConfig",
                            &m->hidden_size, m);
    if (st != LP_OK)
        return st;
    /* Layers: read unbounded first so that a too-deep model gets its own message. */
    st =
        need_int(t, k_layers, INT64_MAX, llama_defaults ? 32 : 0, "LlamaConfig", &m->num_layers, m);
    if (st != LP_OK)
        return st;
    if (m->num_layers > LP_MAX_LAYERS)
        return lp_error_set(t->err, LP_ERR_UNSUPPORTED,
                            "%s: %snum_hidden_layers: expected at most %d layers (LP_MAX_LAYERS), "
                            "got %lld",
                            t->origin, t->prefix, LP_MAX_LAYERS, (long long)m->num_layers);
    st = need_int(t, k_vocab, LP_CFG_MAX_VOCAB,
                  fam == LP_FAM_GEMMA3 ? 262208
                  : llama_defaults     ? 32000
                                       : 0,
                  fam == LP_FAM_GEMMA3 ? "Gemma3TextConfig" : "LlamaConfig", &m->vocab_size, m);
    if (st != LP_OK)
        return st;

    m->tie_word_embeddings = tie_default;
    bool present = false;
    st = lp_cfg_bool(t, "tie_word_embeddings", &m->tie_word_embeddings, &present);
    if (st != LP_OK)
        return st;
    if (!present && tie_default)
        lp_model_note(m, "tie_word_embeddings absent: using the class default true (no lm_head)");

    if (fam == LP_FAM_DEEPSEEK) {
        st = lp_cfg_int_any(t, (const char *const[]){"num_attention_heads", NULL}, 1,
                            LP_CFG_MAX_HEADS, &m->num_heads, NULL);
        if (st == LP_OK && m->num_heads == 0)
            st = lp_cfg_fail(t, LP_ERR_MISSING_FIELD, t->prefix, "num_attention_heads",
                             "a positive integer", NULL);
        if (st == LP_OK)
            st = parse_mla(t, m);
        m->num_kv_heads = m->num_heads; /* irrelevant for MLA's latent KV cache */
    } else {
        st = parse_attention(t, fam, type, llama_defaults, m);
    }
    if (st != LP_OK)
        return st;

    /* Biases and norms by family (model_configs.md §2). */
    bool attn_bias = fam == LP_FAM_GPT_OSS, mlp_bias = false;
    m->norms_per_layer = 2;
    switch (fam) {
    case LP_FAM_FALCON: {
        bool bias = false, new_arch = strcmp(type, "RefinedWeb") == 0, parallel = true;
        int64_t ln_parallel = 2;
        st = lp_cfg_bool(t, "bias", &bias, NULL);
        if (st == LP_OK)
            st = lp_cfg_bool(t, "new_decoder_architecture", &new_arch, NULL);
        if (st == LP_OK)
            st = lp_cfg_bool(t, "parallel_attn", &parallel, NULL);
        if (st == LP_OK)
            st = lp_cfg_int(t, "num_ln_in_parallel_attn", 1, 2, &ln_parallel, NULL);
        if (st != LP_OK)
            return st;
        /* FalconDecoderLayer: ln_attn + ln_mlp (new arch), input_layernorm (parallel_attn),
         * else input + post-attention layernorm; all LayerNorms with bias. */
        m->norms_per_layer = new_arch ? (int)ln_parallel : parallel ? 1 : 2;
        m->norm_has_bias = true;
        m->gated_mlp = false;
        m->qkv_bias = m->o_bias = m->mlp_bias = bias;
        int64_t ffn = 0;
        bool has_ffn = false;
        st = lp_cfg_int(t, "ffn_hidden_size", 1, LP_CFG_MAX_FFN, &ffn, &has_ffn);
        if (st != LP_OK)
            return st;
        m->intermediate_size = has_ffn ? ffn : 4 * m->hidden_size; /* FalconConfig: 4*H */
        return LP_OK;
    }
    case LP_FAM_GEMMA2:
    case LP_FAM_GEMMA3:
        m->norms_per_layer = 4; /* input, post-attention, pre- and post-feedforward */
        m->qk_norm = fam == LP_FAM_GEMMA3;
        break;
    case LP_FAM_QWEN2:
    case LP_FAM_QWEN2_MOE:
        m->qkv_bias = true; /* hard-coded in Qwen2Attention, no config flag */
        break;
    case LP_FAM_QWEN3:
    case LP_FAM_QWEN3_MOE:
        m->qk_norm = true;
        break;
    case LP_FAM_GPT_OSS:
        m->attn_sinks = true;
        break;
    case LP_FAM_NEMOTRON_H:
        /* NemotronHBlock: one norm and one mixer (Mamba2, attention, relu2 MLP or MoE) */
        m->norms_per_layer = 1;
        m->gated_mlp = false;
        break;
    case LP_FAM_QWEN3_NEXT:
        m->qk_norm = true;
        break;
    case LP_FAM_GEMMA4:
        st = lp_config_parse_gemma4(t, m);
        if (st != LP_OK)
            return st;
        break;
    case LP_FAM_MLLAMA:
        /* MllamaTextModel.embed_tokens: VocabParallelEmbedding(vocab_size + 8, hidden) */
        m->embed_extra_rows = 8;
        break;
    case LP_FAM_PHI:
        /* PhiDecoderLayer: input_layernorm only (parallel residual), LayerNorm with bias;
         * PhiAttention qkv_proj/dense and PhiMLP fc1/fc2 all biased; final_layernorm too. */
        m->norms_per_layer = 1;
        m->norm_has_bias = true;
        m->gated_mlp = false;
        m->qkv_bias = true;
        m->o_bias = true;
        m->lm_head_bias = !m->tie_word_embeddings;
        mlp_bias = true;
        break;
    case LP_FAM_GLM4_MOE: {
        /* Glm4MoeAttention: qkv_proj biased by attention_bias, o_proj never; q/k norms only
         * with use_qk_norm (GLM-4.5 and 4.6 yes, 4.5-Air no). */
        bool qkv = false, qk_norm = false;
        st = lp_cfg_bool(t, "attention_bias", &qkv, NULL);
        if (st == LP_OK)
            st = lp_cfg_bool(t, "use_qk_norm", &qk_norm, NULL);
        if (st != LP_OK)
            return st;
        m->qkv_bias = qkv;
        m->qk_norm = qk_norm;
        break;
    }
    default:
        break;
    }
    if (fam == LP_FAM_LLAMA || fam == LP_FAM_LLAMA4 || fam == LP_FAM_QWEN3 ||
        fam == LP_FAM_QWEN3_MOE || fam == LP_FAM_GEMMA2 || fam == LP_FAM_GEMMA3 ||
        fam == LP_FAM_GEMMA4 || fam == LP_FAM_GPT_OSS || fam == LP_FAM_MISTRAL ||
        fam == LP_FAM_NEMOTRON_H || fam == LP_FAM_GRANITE_HYBRID || fam == LP_FAM_NEMOTRON_NAS ||
        fam == LP_FAM_MLLAMA) {
        st = lp_cfg_bool(t, "attention_bias", &attn_bias, NULL);
        if (st == LP_OK &&
            (fam == LP_FAM_LLAMA || fam == LP_FAM_NEMOTRON_H || fam == LP_FAM_NEMOTRON_NAS))
            st = lp_cfg_bool(t, "mlp_bias", &mlp_bias, NULL);
        if (st != LP_OK)
            return st;
    }
    if (attn_bias) {
        m->qkv_bias = true;
        m->o_bias = true;
    }
    m->mlp_bias = mlp_bias;

    /* Dense MLP width: Llama 4 dense layers use intermediate_size_mlp. */
    if (llama_defaults)
        st = opt_int(t, "intermediate_size", 1, LP_CFG_MAX_FFN, 11008, "LlamaConfig",
                     &m->intermediate_size, m);
    else
        st = lp_cfg_int(t,
                        fam == LP_FAM_LLAMA4           ? "intermediate_size_mlp"
                        : fam == LP_FAM_GRANITE_HYBRID ? "shared_intermediate_size"
                                                       : "intermediate_size",
                        1, LP_CFG_MAX_FFN, &m->intermediate_size, NULL);
    if (st != LP_OK)
        return st;
    if (fam == LP_FAM_DEEPSEEK || fam == LP_FAM_QWEN2_MOE || fam == LP_FAM_QWEN3_MOE ||
        fam == LP_FAM_MIXTRAL || fam == LP_FAM_GPT_OSS || fam == LP_FAM_LLAMA4 ||
        fam == LP_FAM_NEMOTRON_H || fam == LP_FAM_QWEN3_NEXT || fam == LP_FAM_JAMBA ||
        fam == LP_FAM_GRANITE_HYBRID || fam == LP_FAM_GLM4_MOE)
        st = parse_moe(t, fam, type, m);
    if (st != LP_OK)
        return st;

    /* Sliding window and chunked attention sizes (layout decides where they apply). */
    int64_t def_sw = fam == LP_FAM_GEMMA3    ? 4096
                     : fam == LP_FAM_GEMMA2  ? 4096
                     : fam == LP_FAM_GPT_OSS ? 128
                                             : 0;
    const char *sw_cls = fam == LP_FAM_GEMMA3   ? "Gemma3TextConfig"
                         : fam == LP_FAM_GEMMA2 ? "Gemma2Config"
                                                : "GptOssConfig";
    st = opt_int(t, "sliding_window", 1, LP_CFG_MAX_POSITIONS, def_sw, def_sw ? sw_cls : NULL,
                 &m->sliding_window, m);
    if (st == LP_OK && fam == LP_FAM_LLAMA4)
        st = lp_cfg_int(t, "attention_chunk_size", 1, LP_CFG_MAX_POSITIONS,
                        &m->attention_chunk_size, NULL);
    if (st == LP_OK && (fam == LP_FAM_DEEPSEEK || fam == LP_FAM_GLM4_MOE))
        st = lp_cfg_int(t, "num_nextn_predict_layers", 0, 64, &m->num_mtp_layers, NULL);
    return st;
}

static lp_status check_dense_width(const lp_cfg *t, lp_family fam, lp_model *m) {
    for (int64_t i = 0; i < m->num_layers; i++) {
        if (!m->layer_moe[i] && !m->layer_no_mlp[i] && m->intermediate_size <= 0)
            return lp_cfg_fail(t, LP_ERR_MISSING_FIELD, t->prefix,
                               fam == LP_FAM_LLAMA4 ? "intermediate_size_mlp" : "intermediate_size",
                               "a positive integer (dense MLP width)", NULL);
    }
    return LP_OK;
}

/* A copy of text with the bare literals Infinity, -Infinity and NaN outside strings replaced by
 * null, its length in *out_len; NULL when it has none (or on allocation failure, when the text
 * is parsed as it is and such a literal is reported as invalid JSON). */
static char *json_nonfinite_to_null(const char *text, size_t len, size_t *out_len) {
    static const char *const words[] = {"-Infinity", "Infinity", "NaN"};
    char *out = NULL;
    size_t n_out = 0, copied = 0; /* text[0 .. copied) is in out[0 .. n_out) */
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
            continue;
        }
        for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
            size_t n = strlen(words[w]);
            if (i + n > len || memcmp(text + i, words[w], n) != 0)
                continue;
            if (!out) {
                /* each 3-byte NaN grows by one byte: at most len / 3 bytes more */
                out = malloc(len + len / 3 + 1);
                if (!out)
                    return NULL;
            }
            memcpy(out + n_out, text + copied, i - copied);
            n_out += i - copied;
            memcpy(out + n_out, "null", 4);
            n_out += 4;
            copied = i + n;
            i += n - 1;
            break;
        }
    }
    if (!out)
        return NULL;
    memcpy(out + n_out, text + copied, len - copied);
    *out_len = n_out + (len - copied);
    return out;
}

lp_status lp_model_from_config_json(const char *text, size_t len, const char *origin, lp_model *out,
                                    lp_error *err) {
    if (!origin || !*origin)
        origin = "config.json";
    if (!out)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: no output model given", origin);
    lp_model_init(out);
    lp_error_clear(err);
    if (!text && len > 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: no text given", origin);
    if (len == 0)
        return lp_error_set(err, LP_ERR_PARSE, "%s:1:0: the input is empty; expected a JSON object",
                            origin);

    json_error_t jerr;
    /* Python's json module writes Infinity / NaN (Nemotron-H's time_step_limit): read them as
     * null, which no field llmplan reads can take. */
    size_t patched_len = 0;
    char *patched = json_nonfinite_to_null(text, len, &patched_len);
    json_t *root = json_loadb(patched ? patched : text, patched ? patched_len : len, 0, &jerr);
    free(patched);
    if (!root)
        return lp_error_set(err, LP_ERR_PARSE, "%s:%d:%d: not valid JSON: %s", origin, jerr.line,
                            jerr.column, jerr.text);
    lp_model *m = out;
    lp_status st = LP_OK;
    lp_cfg rc, tc;
    lp_cfg_view(&rc, root, "", NULL, NULL, origin, err);
    if (!json_is_object(root)) {
        st = lp_error_set(err, LP_ERR_PARSE, "%s: expected a JSON object at the top level", origin);
        goto done;
    }
    const char *root_type = NULL;
    st = lp_cfg_string(&rc, "model_type", &root_type);
    if (st != LP_OK)
        goto done;
    if (!root_type) {
        st = lp_cfg_fail(&rc, LP_ERR_MISSING_FIELD, "", "model_type",
                         "the model family (e.g. \"llama\")", NULL);
        goto done;
    }

    /* Unwrap multimodal configs: the language model is text_config (root as fallback). */
    const char *text_type = root_type;
    const char *wrapper = NULL;
    for (size_t i = 0; i < sizeof wrapper_types / sizeof wrapper_types[0]; i++) {
        if (strcmp(root_type, wrapper_types[i].model_type) == 0) {
            wrapper = root_type;
            text_type = wrapper_types[i].default_text_type;
        }
    }
    const json_t *text_cfg = json_object_get(root, "text_config");
    if (text_cfg && !json_is_null(text_cfg) && !json_is_object(text_cfg)) {
        st = lp_cfg_fail(&rc, LP_ERR_PARSE, "", "text_config", "an object", text_cfg);
        goto done;
    }
    if (wrapper && json_is_object(text_cfg)) {
        lp_cfg_view(&tc, text_cfg, "text_config.", root, "", origin, err);
        const char *tt = NULL;
        lp_cfg only_text;
        lp_cfg_view(&only_text, text_cfg, "text_config.", NULL, NULL, origin, err);
        st = lp_cfg_string(&only_text, "model_type", &tt);
        if (st != LP_OK)
            goto done;
        if (tt)
            text_type = tt;
    } else {
        tc = rc;
    }
    int ti = find_text_type(text_type);
    if (ti < 0) {
        if (wrapper)
            st = lp_error_set(err, LP_ERR_UNSUPPORTED,
                              "%s: text_config.model_type: \"%.40s\" inside a %s config is not "
                              "supported; supported text types: " SUPPORTED_TYPES,
                              origin, text_type, wrapper);
        else
            st = lp_error_set(
                err, LP_ERR_UNSUPPORTED,
                "%s: model_type: \"%.40s\" is not supported; supported types: " SUPPORTED_TYPES,
                origin, text_type);
        goto done;
    }
    lp_family fam = text_types[ti].fam;
    snprintf(m->model_type, sizeof m->model_type, "%s", text_type);
    snprintf(m->id, sizeof m->id, "%s", origin);
    snprintf(m->source, sizeof m->source, "config.json");
    const json_t *archs = json_object_get(root, "architectures");
    if (json_is_array(archs) && json_is_string(json_array_get(archs, 0)))
        snprintf(m->architecture, sizeof m->architecture, "%s",
                 json_string_value(json_array_get(archs, 0)));
    /* shown on terminals: a config.json is not trusted to hold only printable text */
    lp_text_printable(m->architecture);
    lp_text_printable(m->id);

    bool llama_defaults = wrapper &&
                          (strcmp(wrapper, "llava") == 0 || strcmp(wrapper, "llava_next") == 0) &&
                          fam == LP_FAM_LLAMA && strcmp(text_type, "llama") == 0;
    st = parse_text(&tc, fam, text_type, text_types[ti].tie_default, llama_defaults, m);
    if (st == LP_OK)
        st = parse_dtype(&tc, m);
    if (st == LP_OK)
        st = lp_config_parse_layers(&tc, fam, m);
    if (st == LP_OK)
        st = lp_config_parse_hybrid(&tc, fam, m);
    if (st == LP_OK && fam == LP_FAM_NEMOTRON_NAS)
        st = lp_config_parse_nas(&tc, m);
    if (st == LP_OK)
        st = check_dense_width(&tc, fam, m);
    if (st == LP_OK)
        st = lp_config_parse_max_len(&tc, fam, root_type, m);
    if (st == LP_OK)
        st = lp_config_parse_quant(&tc, m);
    if (st == LP_OK && wrapper)
        st = lp_config_parse_vision(&rc, wrapper, m->hidden_size, m);
    if (st == LP_OK)
        lp_model_count_params(m);

done:
    json_decref(root);
    if (st != LP_OK) {
        char saved[LP_ERROR_MESSAGE_SIZE] = "";
        if (err)
            memcpy(saved, err->message, sizeof saved);
        lp_model_init(out);
        if (err) {
            memcpy(err->message, saved, sizeof saved);
            err->code = st;
        }
    }
    return st;
}

lp_status lp_model_from_config_file(const char *path, lp_model *out, lp_error *err) {
    if (!path || !*path)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "config file: no path given");
    FILE *f = fopen(path, "rb");
    if (!f)
        return lp_error_set(err, errno == ENOENT ? LP_ERR_NOT_FOUND : LP_ERR_IO,
                            "%s: cannot open: %s", path, strerror(errno));
    char *buf = malloc(LP_CONFIG_MAX_FILE_BYTES + 1);
    if (!buf) {
        fclose(f);
        return lp_error_set(err, LP_ERR_NOMEM, "%s: out of memory reading the file", path);
    }
    size_t n = fread(buf, 1, LP_CONFIG_MAX_FILE_BYTES + 1, f);
    bool failed = ferror(f) != 0;
    fclose(f);
    lp_status st;
    if (failed)
        st = lp_error_set(err, LP_ERR_IO, "%s: read error", path);
    else if (n > LP_CONFIG_MAX_FILE_BYTES)
        st = lp_error_set(err, LP_ERR_INVALID_ARG,
                          "%s: file is larger than %d bytes; expected a config.json", path,
                          LP_CONFIG_MAX_FILE_BYTES);
    else
        st = lp_model_from_config_json(buf, n, path, out, err);
    free(buf);
    return st;
}
