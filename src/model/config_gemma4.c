/*
 * config_gemma4.c - what a Gemma 4 text config (Gemma4TextConfig, model_type gemma4_text) adds to
 * Gemma 3's block, read as vLLM's gemma4.py builds the model.
 *
 * Gemma4DecoderLayer gives its full-attention layers their own geometry: head size
 * global_head_dim, and with attention_k_eq_v the num_global_key_value_heads KV heads and no
 * v_proj (K's weights are loaded into the V slot). Every layer keeps four norms, q/k norms over its
 * head size, a weightless v norm and a layer_scalar. The per-layer kinds come from layer_types.
 * It deliberately refuses, rather than miscounts, the parts of the family it does not model yet:
 * the MoE block beside the MLP (enable_moe_block, the 26B-A4B), per-layer input embeddings
 * (hidden_size_per_layer_input, E2B / E4B), KV sharing between layers (num_kv_shared_layers) and
 * double-wide MLPs.
 */
#include "config_internal.h"

/* A feature the reader refuses: present and set (true / positive). */
static lp_status refuse_if_set(const lp_cfg *t, const char *key, const char *what) {
    const char *pfx = "";
    const json_t *v = lp_cfg_get(t, key, &pfx);
    if (!v)
        return LP_OK;
    bool set = json_is_true(v) || (json_is_integer(v) && json_integer_value(v) > 0);
    if (!set)
        return LP_OK;
    return lp_error_set(t->err, LP_ERR_UNSUPPORTED,
                        "%s: %s%s: %s is not modelled yet (Gemma 4 dense models with it unset, "
                        "such as gemma-4-31B, are)",
                        t->origin, pfx, key, what);
}

lp_status lp_config_parse_gemma4(const lp_cfg *t, lp_model *m) {
    static const struct {
        const char *key, *what;
    } refused[] = {
        {"enable_moe_block", "the MoE block beside the MLP"},
        {"use_second_mlp_block", "the MoE block beside the MLP"},
        {"hidden_size_per_layer_input", "per-layer input embeddings"},
        {"num_kv_shared_layers", "KV-cache sharing between layers"},
        {"use_double_wide_mlp", "the double-wide MLP of KV-shared layers"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        lp_status st = refuse_if_set(t, refused[i].key, refused[i].what);
        if (st != LP_OK)
            return st;
    }
    /* input, post-attention, pre- and post-feedforward RMSNorms; q_norm and k_norm */
    m->norms_per_layer = 4;
    m->qk_norm = true;
    m->layer_scalar = true;
    if (!lp_cfg_has(t, "sliding_window"))
        return lp_cfg_fail(t, LP_ERR_MISSING_FIELD, t->prefix, "sliding_window",
                           "the window of the sliding_attention layers", NULL);
    if (!lp_cfg_has(t, "layer_types"))
        return lp_cfg_fail(t, LP_ERR_MISSING_FIELD, t->prefix, "layer_types",
                           "one of sliding_attention / full_attention per layer", NULL);
    bool present = false;
    lp_status st =
        lp_cfg_int(t, "global_head_dim", 1, LP_CFG_MAX_HEAD_DIM, &m->full_head_dim, &present);
    if (st != LP_OK)
        return st;
    if (!present)
        m->full_head_dim = 0; /* Gemma4DecoderLayer: getattr(config, "global_head_dim", head_dim) */
    bool k_eq_v = false;
    st = lp_cfg_bool(t, "attention_k_eq_v", &k_eq_v, NULL);
    if (st != LP_OK)
        return st;
    m->full_k_eq_v = k_eq_v;
    if (k_eq_v) {
        int64_t kv = 0;
        st = lp_cfg_int(t, "num_global_key_value_heads", 1, LP_CFG_MAX_HEADS, &kv, &present);
        if (st != LP_OK)
            return st;
        m->full_kv_heads = present ? kv : 0; /* absent: num_key_value_heads */
        if (m->full_kv_heads > m->num_heads)
            return lp_cfg_fail(t, LP_ERR_INVALID_ARG, t->prefix, "num_global_key_value_heads",
                               "at most num_attention_heads KV heads",
                               lp_cfg_get(t, "num_global_key_value_heads", NULL));
    }
    int64_t nkv = m->full_kv_heads > 0 ? m->full_kv_heads : m->num_kv_heads;
    int64_t d = m->full_head_dim > 0 ? m->full_head_dim : m->head_dim;
    if (m->num_heads * d > LP_CFG_MAX_WIDTH)
        return lp_cfg_fail(t, LP_ERR_INVALID_ARG, t->prefix, "global_head_dim",
                           "num_attention_heads * global_head_dim within bounds",
                           lp_cfg_get(t, "global_head_dim", NULL));
    if (k_eq_v)
        lp_model_note(
            m,
            "attention_k_eq_v: the checkpoint has no v_proj in full-attention layers; "
            "vLLM's fused qkv_proj still allocates a V slot of %lld x %lld per such layer (not "
            "counted in the weights)",
            (long long)m->hidden_size, (long long)(nkv * d));
    return LP_OK;
}
