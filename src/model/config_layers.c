/*
 * config_layers.c - per-layer layout of a text model (which layers slide, which are chunked
 * or global, which carry a MoE block) and the context-length fields.
 *
 * Rules follow the transformers config classes (layer_types defaults) and vLLM's model files
 * (which layer gets a sliding window / chunked attention / MoE block). It does not count
 * parameters (params.c) nor size the KV cache; it only labels layers.
 */
#include "config_internal.h"

#include <stdio.h>
#include <string.h>

/* Read an optional array of integers (layer indices or 0/1 flags); *n = -1 when absent. */
static lp_status int_array(const lp_cfg *t, const char *key, int64_t *vals, int64_t cap,
                           int64_t *n) {
    const char *pfx = "";
    const json_t *a = lp_cfg_get(t, key, &pfx);
    *n = -1;
    if (!a)
        return LP_OK;
    if (!json_is_array(a))
        return lp_cfg_fail(t, LP_ERR_PARSE, pfx, key, "an array of integers", a);
    size_t size = json_array_size(a);
    int64_t count = 0;
    for (size_t i = 0; i < size; i++) {
        const json_t *e = json_array_get(a, i);
        if (!json_is_integer(e))
            return lp_cfg_fail(t, LP_ERR_PARSE, pfx, key, "an array of integers", a);
        if (count < cap)
            vals[count++] = (int64_t)json_integer_value(e);
    }
    *n = count;
    return LP_OK;
}

static lp_status layer_types(const lp_cfg *t, lp_model *m, bool *given) {
    const char *pfx = "";
    const json_t *a = lp_cfg_get(t, "layer_types", &pfx);
    *given = false;
    if (!a)
        return LP_OK;
    if (!json_is_array(a))
        return lp_cfg_fail(t, LP_ERR_PARSE, pfx, "layer_types", "an array of strings", a);
    if ((int64_t)json_array_size(a) != m->num_layers) {
        char what[96];
        snprintf(what, sizeof what, "one entry per layer (%lld)", (long long)m->num_layers);
        return lp_error_set(t->err, LP_ERR_INVALID_ARG,
                            "%s: %slayer_types: expected %s, got %zu entries", t->origin, pfx, what,
                            json_array_size(a));
    }
    for (int64_t i = 0; i < m->num_layers; i++) {
        const char *s = json_string_value(json_array_get(a, (size_t)i));
        if (!s)
            return lp_cfg_fail(t, LP_ERR_PARSE, pfx, "layer_types", "an array of strings", a);
        if (strcmp(s, "full_attention") == 0 || strcmp(s, "attention") == 0)
            m->layer_attn[i] = LP_ATTN_FULL;
        else if (strcmp(s, "sliding_attention") == 0)
            m->layer_attn[i] = m->sliding_window > 0 ? LP_ATTN_SLIDING : LP_ATTN_FULL;
        else if (strcmp(s, "chunked_attention") == 0)
            m->layer_attn[i] = m->attention_chunk_size > 0 ? LP_ATTN_CHUNKED : LP_ATTN_FULL;
        else if (strcmp(s, "linear_attention") == 0 || strcmp(s, "mamba") == 0)
            m->layer_attn[i] = LP_ATTN_MAMBA;
        else
            return lp_error_set(t->err, LP_ERR_UNSUPPORTED,
                                "%s: %slayer_types: expected full_attention, sliding_attention, "
                                "chunked_attention or linear_attention, got \"%.40s\"",
                                t->origin, pfx, s);
    }
    *given = true;
    return LP_OK;
}

static lp_status attention_layout(const lp_cfg *t, lp_family fam, lp_model *m) {
    int64_t L = m->num_layers;
    for (int64_t i = 0; i < L; i++)
        m->layer_attn[i] = m->use_mla ? LP_ATTN_MLA : LP_ATTN_FULL;
    if (m->use_mla)
        return LP_OK;
    bool given = false;
    lp_status st = layer_types(t, m, &given);
    if (st != LP_OK || given)
        return st;
    bool sw = m->sliding_window > 0;
    switch (fam) {
    case LP_FAM_MISTRAL:
    case LP_FAM_MIXTRAL:
    case LP_FAM_PHI3:
        /* A non-null sliding_window applies to every layer (vLLM: all-SW model). */
        for (int64_t i = 0; i < L && sw; i++)
            m->layer_attn[i] = LP_ATTN_SLIDING;
        break;
    case LP_FAM_QWEN2:
    case LP_FAM_QWEN2_MOE:
    case LP_FAM_QWEN3:
    case LP_FAM_QWEN3_MOE: {
        /* Qwen2Config: sliding only with use_sliding_window, for layers >= max_window_layers. */
        bool use = false;
        int64_t from = 0;
        st = lp_cfg_bool(t, "use_sliding_window", &use, NULL);
        if (st == LP_OK)
            st = lp_cfg_int(t, "max_window_layers", 0, LP_CFG_MAX_POSITIONS, &from, NULL);
        if (st != LP_OK)
            return st;
        for (int64_t i = from; i < L && use && sw; i++)
            m->layer_attn[i] = LP_ATTN_SLIDING;
        break;
    }
    case LP_FAM_GEMMA2:
    case LP_FAM_GPT_OSS:
        /* Alternating, layer 0 sliding (Gemma2Config / GptOssConfig layer_types default). */
        for (int64_t i = 0; i < L && sw; i += 2)
            m->layer_attn[i] = LP_ATTN_SLIDING;
        break;
    case LP_FAM_GEMMA3: {
        /* Gemma3TextConfig: layer i slides unless (i + 1) % sliding_window_pattern == 0. */
        int64_t pattern = 6;
        bool present = false;
        st = lp_cfg_int(t, "sliding_window_pattern", 1, LP_MAX_LAYERS, &pattern, &present);
        if (st == LP_OK && !present)
            st = lp_cfg_int(t, "_sliding_window_pattern", 1, LP_MAX_LAYERS, &pattern, &present);
        if (st != LP_OK)
            return st;
        if (!present)
            lp_model_note(m, "sliding_window_pattern absent: using the Gemma3TextConfig default "
                             "6 (5 sliding : 1 full)");
        for (int64_t i = 0; i < L && sw; i++)
            m->layer_attn[i] = ((i + 1) % pattern != 0) ? LP_ATTN_SLIDING : LP_ATTN_FULL;
        break;
    }
    case LP_FAM_LLAMA4: {
        /* Llama4TextConfig: no_rope_layers[i] == 0 marks a NoPE global layer; an absent or
         * empty list means every 4th layer (index 3, 7, ...). vLLM llama4.py gives the RoPE
         * layers chunked local attention when attention_chunk_size is set. */
        int64_t flags[LP_MAX_LAYERS];
        int64_t n = -1;
        st = int_array(t, "no_rope_layers", flags, LP_MAX_LAYERS, &n);
        if (st != LP_OK)
            return st;
        if (n > 0 && n != L)
            return lp_error_set(t->err, LP_ERR_INVALID_ARG,
                                "%s: %sno_rope_layers: expected one flag per layer (%lld), got "
                                "%lld",
                                t->origin, t->prefix, (long long)L, (long long)n);
        for (int64_t i = 0; i < L && m->attention_chunk_size > 0; i++) {
            bool rope = n > 0 ? flags[i] != 0 : (i + 1) % 4 != 0;
            m->layer_attn[i] = rope ? LP_ATTN_CHUNKED : LP_ATTN_FULL;
        }
        break;
    }
    case LP_FAM_LLAMA:
    case LP_FAM_DEEPSEEK:
    case LP_FAM_FALCON:
    case LP_FAM_NEMOTRON_H:
    case LP_FAM_QWEN3_NEXT:
    case LP_FAM_JAMBA:
    case LP_FAM_GRANITE_HYBRID:
    case LP_FAM_GLM4_MOE:
    case LP_FAM_PHI:
    case LP_FAM_NEMOTRON_NAS:
    case LP_FAM_GEMMA4: /* layer_types is required (config_gemma4.c) */
        break;          /* hybrid layouts: config_hybrid.c */
    case LP_FAM_MLLAMA: {
        /* MllamaTextConfig.cross_attention_layers: the layers that attend to the image */
        int64_t list[LP_MAX_LAYERS], n = 0;
        st = int_array(t, "cross_attention_layers", list, LP_MAX_LAYERS, &n);
        if (st != LP_OK)
            return st;
        for (int64_t k = 0; k < n; k++) {
            if (list[k] < 0 || list[k] >= L)
                return lp_cfg_fail(t, LP_ERR_INVALID_ARG, t->prefix, "cross_attention_layers",
                                   "layer indices below num_hidden_layers",
                                   lp_cfg_get(t, "cross_attention_layers", NULL));
            m->layer_cross_attn[list[k]] = 1;
        }
        break;
    }
    }
    return LP_OK;
}

static lp_status moe_layout(const lp_cfg *t, lp_family fam, lp_model *m) {
    int64_t L = m->num_layers;
    int64_t list[LP_MAX_LAYERS];
    int64_t n = -1;
    lp_status st = LP_OK;
    for (int64_t i = 0; i < L; i++)
        m->layer_moe[i] = 0;
    if (m->num_experts <= 0)
        return LP_OK;
    switch (fam) {
    case LP_FAM_QWEN2_MOE:
    case LP_FAM_QWEN3_MOE:
    case LP_FAM_QWEN3_NEXT: {
        /* Qwen2MoeDecoderLayer: MoE unless in mlp_only_layers, every decoder_sparse_step. */
        int64_t step = 1;
        st = lp_cfg_int(t, "decoder_sparse_step", 1, LP_MAX_LAYERS, &step, NULL);
        if (st == LP_OK)
            st = int_array(t, "mlp_only_layers", list, LP_MAX_LAYERS, &n);
        if (st != LP_OK)
            return st;
        for (int64_t i = 0; i < L; i++)
            m->layer_moe[i] = (i + 1) % step == 0;
        for (int64_t k = 0; k < n; k++)
            if (list[k] >= 0 && list[k] < L)
                m->layer_moe[list[k]] = 0;
        break;
    }
    case LP_FAM_DEEPSEEK:
    case LP_FAM_GLM4_MOE: {
        /* DeepseekV2DecoderLayer: MoE from first_k_dense_replace on, every moe_layer_freq
         * (Glm4MoeConfig has no moe_layer_freq: 1). */
        int64_t first = 0, freq = 1;
        st = lp_cfg_int(t, "first_k_dense_replace", 0, LP_MAX_LAYERS, &first, NULL);
        if (st == LP_OK)
            st = lp_cfg_int(t, "moe_layer_freq", 1, LP_MAX_LAYERS, &freq, NULL);
        if (st != LP_OK)
            return st;
        for (int64_t i = 0; i < L; i++)
            m->layer_moe[i] = i >= first && i % freq == 0;
        break;
    }
    case LP_FAM_LLAMA4: {
        /* Llama4TextConfig: moe_layers, default range(step - 1, L, step). */
        int64_t step = 1;
        st = lp_cfg_int(t, "interleave_moe_layer_step", 1, LP_MAX_LAYERS, &step, NULL);
        if (st == LP_OK)
            st = int_array(t, "moe_layers", list, LP_MAX_LAYERS, &n);
        if (st != LP_OK)
            return st;
        if (n >= 0) {
            for (int64_t k = 0; k < n; k++)
                if (list[k] >= 0 && list[k] < L)
                    m->layer_moe[list[k]] = 1;
        } else {
            for (int64_t i = 0; i < L; i++)
                m->layer_moe[i] = (i + 1) % step == 0;
        }
        break;
    }
    default:
        for (int64_t i = 0; i < L; i++)
            m->layer_moe[i] = 1;
        break;
    }
    return LP_OK;
}

lp_status lp_config_parse_layers(const lp_cfg *t, lp_family fam, lp_model *m) {
    lp_status st = attention_layout(t, fam, m);
    if (st == LP_OK)
        st = moe_layout(t, fam, m);
    if (st != LP_OK)
        return st;
    bool any_sw = false, any_chunk = false;
    for (int64_t i = 0; i < m->num_layers; i++) {
        any_sw |= m->layer_attn[i] == LP_ATTN_SLIDING;
        any_chunk |= m->layer_attn[i] == LP_ATTN_CHUNKED;
    }
    if (!any_sw)
        m->sliding_window = 0;
    if (!any_chunk)
        m->attention_chunk_size = 0;
    return LP_OK;
}

lp_status lp_config_parse_max_len(const lp_cfg *t, lp_family fam, const char *root_type,
                                  lp_model *m) {
    /* vllm/config/model.py _get_and_verify_max_len: possible_keys, smallest wins. */
    static const char *const keys[] = {"max_position_embeddings",
                                       "n_positions",
                                       "max_seq_len",
                                       "seq_length",
                                       "model_max_length",
                                       "max_target_positions",
                                       "max_sequence_length",
                                       "max_seq_length",
                                       "seq_len"};
    int64_t best = 0;
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        int64_t v = 0;
        bool present = false;
        lp_status st = lp_cfg_int(t, keys[k], 1, LP_CFG_MAX_POSITIONS, &v, &present);
        if (st != LP_OK)
            return st;
        if (present && (best == 0 || v < best))
            best = v;
    }
    if (best == 0) {
        /* FalconConfig / Gemma3TextConfig class defaults; vLLM's own fallback is 2048. */
        int64_t def = fam == LP_FAM_GEMMA3 ? 131072 : fam == LP_FAM_GEMMA2 ? 8192 : 2048;
        const char *cls = fam == LP_FAM_GEMMA3   ? "the Gemma3TextConfig default"
                          : fam == LP_FAM_GEMMA2 ? "the Gemma2Config default"
                          : fam == LP_FAM_FALCON ? "the FalconConfig default"
                                                 : "vLLM's default";
        lp_model_note(m, "max_position_embeddings absent: using %s %lld", cls, (long long)def);
        best = def;
    }
    m->max_position_embeddings = best;

    double derived = (double)best;
    lp_cfg rope;
    bool have = lp_cfg_sub(t, "rope_scaling", &rope);
    if (!have) {
        const char *pfx = "";
        const json_t *bad = lp_cfg_get(t, "rope_scaling", &pfx);
        if (bad)
            return lp_cfg_fail(t, LP_ERR_PARSE, pfx, "rope_scaling", "an object or null", bad);
        /* transformers v5 rope_parameters; Gemma 3 nests it per layer type. */
        lp_cfg outer;
        if (lp_cfg_sub(t, "rope_parameters", &outer)) {
            have = true;
            if (!lp_cfg_sub(&outer, "full_attention", &rope))
                rope = outer;
        }
    }
    /* "NOTE(woosuk): Gemma3's max_model_len (128K) is already scaled by RoPE scaling" */
    bool gemma3 = strstr(root_type, "gemma3") != NULL || fam == LP_FAM_GEMMA3;
    if (have && !gemma3) {
        const char *type = NULL;
        lp_status st = lp_cfg_string(&rope, "rope_type", &type);
        if (st == LP_OK && !type)
            st = lp_cfg_string(&rope, "type", &type);
        double factor = 1.0;
        bool has_factor = false;
        if (st == LP_OK)
            st = lp_cfg_real(&rope, "factor", &factor, &has_factor);
        if (st != LP_OK)
            return st;
        if (has_factor && !(factor > 0.0 && factor <= 1e6))
            return lp_cfg_fail(&rope, LP_ERR_INVALID_ARG, rope.prefix, "factor",
                               "a positive scaling factor", lp_cfg_get(&rope, "factor", NULL));
        if (!type)
            type = "default";
        bool exempt =
            strcmp(type, "su") == 0 || strcmp(type, "longrope") == 0 || strcmp(type, "llama3") == 0;
        if (!exempt && has_factor) {
            if (strcmp(type, "yarn") == 0) {
                int64_t orig = best;
                bool present = false;
                st = lp_cfg_int(&rope, "original_max_position_embeddings", 1, LP_CFG_MAX_POSITIONS,
                                &orig, &present);
                if (st != LP_OK)
                    return st;
                if (!present)
                    lp_model_note(m, "yarn rope_scaling without original_max_position_embeddings: "
                                     "scaling max_position_embeddings");
                derived = (double)orig;
            }
            derived *= factor;
        }
    }
    if (derived > (double)LP_CFG_MAX_POSITIONS)
        derived = (double)LP_CFG_MAX_POSITIONS;
    m->derived_max_model_len = (int64_t)derived;
    if (m->derived_max_model_len < 1)
        m->derived_max_model_len = 1;
    return LP_OK;
}
