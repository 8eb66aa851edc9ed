/*
 * config_hybrid.c - the layer layout and recurrent-state sizes of hybrid models, whose layers
 * mix attention with Mamba / linear-attention mixers that keep a fixed state per request.
 *
 * Families and the fields they take (the transformers config classes and vLLM's model files):
 * - nemotron_h (NemotronHConfig, vLLM nemotron_h.py): hybrid_override_pattern, one character per
 *   layer: 'M' a Mamba2 mixer, '*' attention, '-' an MLP, 'E' a MoE block; each layer is that
 *   one block (no attention + MLP pairs). Mamba2 sizes: mamba_num_heads, mamba_head_dim,
 *   n_groups, ssm_state_size, conv_kernel; attention head size attention_head_dim.
 * - qwen3_next (Qwen3NextConfig): layer_types, else full attention every full_attention_interval
 *   (default 4) layers and Gated DeltaNet elsewhere (linear_num_key_heads, linear_num_value_heads,
 *   linear_key_head_dim, linear_value_head_dim, linear_conv_kernel_dim); gated attention.
 * - jamba (JambaConfig): attention every attn_layer_period from attn_layer_offset, Mamba1
 *   elsewhere (mamba_d_state, mamba_d_conv, mamba_expand, mamba_dt_rank); MoE every
 *   expert_layer_period from expert_layer_offset.
 * - granitemoehybrid (GraniteMoeHybridConfig, Granite-4.0-H): layer_types / layers_block_type
 *   ("mamba" / "attention"), Mamba2 sizes mamba_n_heads, mamba_d_head, mamba_n_groups,
 *   mamba_d_state, mamba_d_conv, mamba_expand; a shared MLP in every layer.
 * It labels layers and records state sizes; params.c counts the mixers' parameters and the mem
 * module sizes their state pages. It does not parse vision towers of multimodal hybrids.
 */
#include "config_internal.h"

#include <stdio.h>
#include <string.h>

static lp_status opt(const lp_cfg *t, const char *key, int64_t dflt, int64_t *out) {
    bool present = false;
    lp_status st = lp_cfg_int(t, key, 0, LP_CFG_MAX_FFN, out, &present);
    if (st == LP_OK && !present)
        *out = dflt;
    return st;
}

static lp_status need(const lp_cfg *t, const char *key, int64_t *out) {
    bool present = false;
    lp_status st = lp_cfg_int(t, key, 1, LP_CFG_MAX_FFN, out, &present);
    if (st == LP_OK && !present)
        return lp_cfg_fail(t, LP_ERR_MISSING_FIELD, t->prefix, key, "a positive integer", NULL);
    return st;
}

/*
 * The SSM state dtype the config asks for, which vLLM takes over when --mamba-ssm-cache-dtype is
 * auto: mamba_ssm_dtype (Qwen3.5, some Mamba2 configs), or for nemotron_h mamba_ssm_cache_dtype
 * (Nemotron-3-Nano: "float32"), which vLLM's NemotronHForCausalLMConfig
 * (vllm/model_executor/models/config.py) copies into the cache config. A config without the key
 * keeps AUTO: what vLLM then picks depends on the release, and the mem module decides.
 */
static lp_status ssm_dtype(const lp_cfg *t, lp_family fam, lp_model *m) {
    const char *key = fam == LP_FAM_NEMOTRON_H && lp_cfg_has(t, "mamba_ssm_cache_dtype")
                          ? "mamba_ssm_cache_dtype"
                          : "mamba_ssm_dtype";
    const char *s = NULL;
    lp_status st = lp_cfg_string(t, key, &s);
    if (st != LP_OK || !s)
        return st;
    if (lp_dtype_parse(s, &m->mamba_ssm_dtype, NULL) != LP_OK)
        return lp_cfg_fail(t, LP_ERR_INVALID_ARG, t->prefix, key,
                           "a dtype name such as \"float32\"", lp_cfg_get(t, key, NULL));
    return LP_OK;
}

static lp_status nemotron_h(const lp_cfg *t, lp_model *m) {
    const char *pattern = NULL;
    lp_status st = lp_cfg_string(t, "hybrid_override_pattern", &pattern);
    if (st != LP_OK)
        return st;
    if (!pattern)
        return lp_cfg_fail(t, LP_ERR_MISSING_FIELD, t->prefix, "hybrid_override_pattern",
                           "one character per layer (M, *, -, E)", NULL);
    if ((int64_t)strlen(pattern) != m->num_layers)
        return lp_error_set(t->err, LP_ERR_INVALID_ARG,
                            "%s: %shybrid_override_pattern: expected one character per layer "
                            "(%lld), got %zu",
                            t->origin, t->prefix, (long long)m->num_layers, strlen(pattern));
    for (int64_t i = 0; i < m->num_layers; i++) {
        char c = pattern[i];
        m->layer_moe[i] = 0;
        m->layer_no_mlp[i] = c == 'M' || c == '*';
        if (c == 'M')
            m->layer_attn[i] = LP_ATTN_MAMBA;
        else if (c == '*')
            m->layer_attn[i] = LP_ATTN_FULL;
        else if (c == '-' || c == 'E') {
            m->layer_attn[i] = LP_ATTN_NONE;
            m->layer_moe[i] = c == 'E';
        } else {
            return lp_error_set(t->err, LP_ERR_UNSUPPORTED,
                                "%s: %shybrid_override_pattern: expected M, *, - or E, got '%c' at "
                                "layer %lld",
                                t->origin, t->prefix, c, (long long)i);
        }
    }
    int64_t head_dim = m->head_dim;
    m->mixer = LP_MIXER_MAMBA2;
    if ((st = opt(t, "attention_head_dim", head_dim, &head_dim)) != LP_OK ||
        (st = need(t, "mamba_num_heads", &m->mamba_heads)) != LP_OK ||
        (st = need(t, "mamba_head_dim", &m->mamba_head_dim)) != LP_OK ||
        (st = opt(t, "n_groups", 1, &m->mamba_groups)) != LP_OK ||
        (st = need(t, "ssm_state_size", &m->mamba_state_size)) != LP_OK ||
        (st = opt(t, "conv_kernel", 4, &m->mamba_conv)) != LP_OK)
        return st;
    m->head_dim = m->head_dim_v = head_dim;
    m->mamba_inner = m->mamba_heads * m->mamba_head_dim;
    m->mamba_conv_bias = true;
    st = lp_cfg_bool(t, "use_conv_bias", &m->mamba_conv_bias, NULL);
    if (st == LP_OK)
        st = lp_cfg_bool(t, "mamba_proj_bias", &m->mamba_proj_bias, NULL);
    return st;
}

static lp_status qwen3_next(const lp_cfg *t, lp_model *m) {
    int64_t interval = 4;
    lp_status st = opt(t, "full_attention_interval", 4, &interval);
    if (st != LP_OK)
        return st;
    bool given = lp_cfg_has(t, "layer_types");
    for (int64_t i = 0; i < m->num_layers && !given; i++)
        m->layer_attn[i] = interval > 0 && (i + 1) % interval == 0 ? LP_ATTN_FULL : LP_ATTN_MAMBA;
    m->mixer = LP_MIXER_GDN;
    m->attn_output_gate = true;
    st = lp_cfg_bool(t, "attn_output_gate", &m->attn_output_gate, NULL);
    if (st == LP_OK)
        st = need(t, "linear_num_value_heads", &m->mamba_heads);
    if (st == LP_OK)
        st = need(t, "linear_value_head_dim", &m->mamba_head_dim);
    if (st == LP_OK)
        st = need(t, "linear_num_key_heads", &m->mamba_groups);
    if (st == LP_OK)
        st = need(t, "linear_key_head_dim", &m->mamba_state_size);
    if (st == LP_OK)
        st = opt(t, "linear_conv_kernel_dim", 4, &m->mamba_conv);
    m->mamba_inner = m->mamba_heads * m->mamba_head_dim;
    return st;
}

static lp_status jamba(const lp_cfg *t, lp_model *m) {
    int64_t attn_period = 8, attn_offset = 4, exp_period = 2, exp_offset = 1, expand = 2;
    lp_status st;
    if ((st = opt(t, "attn_layer_period", 8, &attn_period)) != LP_OK ||
        (st = opt(t, "attn_layer_offset", 4, &attn_offset)) != LP_OK ||
        (st = opt(t, "expert_layer_period", 2, &exp_period)) != LP_OK ||
        (st = opt(t, "expert_layer_offset", 1, &exp_offset)) != LP_OK ||
        (st = opt(t, "mamba_expand", 2, &expand)) != LP_OK ||
        (st = opt(t, "mamba_d_state", 16, &m->mamba_state_size)) != LP_OK ||
        (st = opt(t, "mamba_d_conv", 4, &m->mamba_conv)) != LP_OK)
        return st;
    if (attn_period < 1 || exp_period < 1)
        return lp_error_set(t->err, LP_ERR_INVALID_ARG,
                            "%s: %sattn_layer_period / expert_layer_period: expected positive "
                            "periods",
                            t->origin, t->prefix);
    for (int64_t i = 0; i < m->num_layers; i++) {
        m->layer_attn[i] = i % attn_period == attn_offset ? LP_ATTN_FULL : LP_ATTN_MAMBA;
        m->layer_moe[i] = m->num_experts > 0 && i % exp_period == exp_offset;
    }
    m->mixer = LP_MIXER_MAMBA1;
    m->mamba_inner = expand * m->hidden_size;
    /* JambaConfig: mamba_dt_rank "auto" = ceil(hidden_size / 16) */
    int64_t rank = (m->hidden_size + 15) / 16;
    const json_t *r = lp_cfg_get(t, "mamba_dt_rank", NULL);
    if (r && json_is_integer(r))
        st = opt(t, "mamba_dt_rank", rank, &rank);
    m->mamba_dt_rank = rank;
    m->mamba_conv_bias = true;
    if (st == LP_OK)
        st = lp_cfg_bool(t, "mamba_conv_bias", &m->mamba_conv_bias, NULL);
    if (st == LP_OK)
        st = lp_cfg_bool(t, "mamba_proj_bias", &m->mamba_proj_bias, NULL);
    return st;
}

static lp_status granite_hybrid(const lp_cfg *t, lp_model *m) {
    const char *pfx = "";
    const json_t *a = lp_cfg_get(t, "layer_types", &pfx);
    if (!a)
        a = lp_cfg_get(t, "layers_block_type", &pfx);
    if (!a || !json_is_array(a) || (int64_t)json_array_size(a) != m->num_layers)
        return lp_cfg_fail(t, LP_ERR_MISSING_FIELD, t->prefix, "layer_types",
                           "one \"mamba\" or \"attention\" entry per layer", a);
    for (int64_t i = 0; i < m->num_layers; i++) {
        const char *s = json_string_value(json_array_get(a, (size_t)i));
        if (!s || (strcmp(s, "mamba") != 0 && strcmp(s, "attention") != 0))
            return lp_cfg_fail(t, LP_ERR_PARSE, pfx, "layer_types",
                               "one \"mamba\" or \"attention\" entry per layer", a);
        m->layer_attn[i] = strcmp(s, "mamba") == 0 ? LP_ATTN_MAMBA : LP_ATTN_FULL;
    }
    int64_t expand = 2;
    lp_status st;
    if ((st = need(t, "mamba_n_heads", &m->mamba_heads)) != LP_OK ||
        (st = need(t, "mamba_d_head", &m->mamba_head_dim)) != LP_OK ||
        (st = opt(t, "mamba_n_groups", 1, &m->mamba_groups)) != LP_OK ||
        (st = need(t, "mamba_d_state", &m->mamba_state_size)) != LP_OK ||
        (st = opt(t, "mamba_d_conv", 4, &m->mamba_conv)) != LP_OK ||
        (st = opt(t, "mamba_expand", 2, &expand)) != LP_OK)
        return st;
    m->mixer = LP_MIXER_MAMBA2;
    m->mamba_inner = m->mamba_heads * m->mamba_head_dim;
    m->mamba_conv_bias = true;
    st = lp_cfg_bool(t, "mamba_conv_bias", &m->mamba_conv_bias, NULL);
    if (st == LP_OK)
        st = lp_cfg_bool(t, "mamba_proj_bias", &m->mamba_proj_bias, NULL);
    return st;
}

lp_status lp_config_parse_hybrid(const lp_cfg *t, lp_family fam, lp_model *m) {
    lp_status st = LP_OK;
    switch (fam) {
    case LP_FAM_NEMOTRON_H:
        st = nemotron_h(t, m);
        break;
    case LP_FAM_QWEN3_NEXT:
        st = qwen3_next(t, m);
        break;
    case LP_FAM_JAMBA:
        st = jamba(t, m);
        break;
    case LP_FAM_GRANITE_HYBRID:
        st = granite_hybrid(t, m);
        break;
    default:
        return LP_OK;
    }
    if (st == LP_OK)
        st = ssm_dtype(t, fam, m);
    /* Attention without positional rotation, so no rotary cache: Nemotron-H and Jamba
     * (nemotron_h.py, jamba.py build no rotary_emb), Granite-4.0-H unless
     * position_embedding_type is "rope" (granitemoehybrid.py; GraniteMoeHybridConfig default
     * "nope"). */
    if (st == LP_OK && (fam == LP_FAM_NEMOTRON_H || fam == LP_FAM_JAMBA))
        m->rotary_dim = 0;
    if (st == LP_OK && fam == LP_FAM_GRANITE_HYBRID) {
        const char *pos = NULL;
        st = lp_cfg_string(t, "position_embedding_type", &pos);
        if (st == LP_OK && (!pos || strcmp(pos, "rope") != 0))
            m->rotary_dim = 0;
    }
    /* the widths multiply in params.c: keep each product within the config bounds */
    if (st == LP_OK && (m->mamba_groups * m->mamba_state_size > LP_CFG_MAX_FFN ||
                        m->mamba_heads > LP_CFG_MAX_FFN || m->mamba_conv > 64))
        st = lp_error_set(t->err, LP_ERR_INVALID_ARG,
                          "%s: %smamba groups x state size (%lld x %lld) or conv kernel (%lld): "
                          "expected at most %lld and 64",
                          t->origin, t->prefix, (long long)m->mamba_groups,
                          (long long)m->mamba_state_size, (long long)m->mamba_conv,
                          (long long)LP_CFG_MAX_FFN);
    if (st == LP_OK && (m->mamba_inner <= 0 || m->mamba_inner > LP_CFG_MAX_FFN))
        st = lp_error_set(t->err, LP_ERR_INVALID_ARG,
                          "%s: %smamba heads x head size: expected a positive width up to %lld, "
                          "got %lld",
                          t->origin, t->prefix, (long long)LP_CFG_MAX_FFN,
                          (long long)m->mamba_inner);
    return st;
}
