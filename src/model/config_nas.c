/*
 * config_nas.c - the per-layer blocks of Nemotron-NAS (DeciLM) models: Llama-3.1-Nemotron-51B,
 * Llama-3.3-Nemotron-Super-49B, Llama-3.1-Nemotron-Ultra-253B.
 *
 * Their config.json (model_type "nemotron-nas", DeciLMForCausalLM) leaves num_key_value_heads
 * and intermediate_size null and lists one block_configs entry per layer instead:
 *   attention: no_op (the layer has no attention, hence no KV cache and no input_layernorm),
 *              else n_heads_in_group query heads per KV head (KV heads = heads / n_heads_in_group)
 *   ffn:       no_op (no MLP, no post_attention_layernorm), else ffn_mult, a Llama SwiGLU MLP of
 *              width _ffn_mult_to_intermediate_size(ffn_mult, H) = int(2 * ffn_mult * H / 3)
 *              rounded up to a multiple of 256
 * as vLLM's nemotron_nas.py DeciLMDecoderLayer builds them. It labels layers, sets the KV heads
 * and the per-layer MLP widths; params.c counts them. Blocks vLLM builds differently or not at
 * all (replace_with_linear, a sliding window_length, attention layers with different KV heads)
 * are refused rather than sized wrongly.
 */
#include "config_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* nemotron_nas.py _find_multiple(_, 256) */
#define NAS_FFN_MULTIPLE 256

static lp_status block_bool(const lp_cfg *blk, const char *key, bool *out) {
    *out = false;
    return lp_cfg_bool(blk, key, out, NULL);
}

static lp_status refuse(const lp_cfg *t, int64_t layer, const char *what) {
    return lp_error_set(t->err, LP_ERR_UNSUPPORTED,
                        "%s: %sblock_configs[%lld]: %s is not supported (vLLM's nemotron_nas.py "
                        "builds only no-op or regular attention and MLP blocks)",
                        t->origin, t->prefix, (long long)layer, what);
}

/* A block's "no_op" flag; "replace_with_linear" (a block vLLM does not build) is refused. */
static lp_status block_no_op(const lp_cfg *t, const lp_cfg *blk, int64_t i, const char *linear_what,
                             bool *no_op) {
    bool linear = false;
    *no_op = false;
    lp_status st = block_bool(blk, "no_op", no_op);
    if (st == LP_OK)
        st = block_bool(blk, "replace_with_linear", &linear);
    if (st == LP_OK && linear)
        st = refuse(t, i, linear_what);
    return st;
}

static lp_status attention_block(const lp_cfg *t, const lp_cfg *blk, int64_t i, int64_t *kv,
                                 lp_model *m) {
    bool no_op;
    lp_status st = block_no_op(t, blk, i, "attention.replace_with_linear", &no_op);
    if (st != LP_OK)
        return st;
    if (lp_cfg_has(blk, "window_length"))
        return refuse(t, i, "attention.window_length");
    if (no_op) {
        m->layer_attn[i] = LP_ATTN_NONE;
        return LP_OK;
    }
    int64_t group = 0;
    bool present = false;
    st = lp_cfg_int(blk, "n_heads_in_group", 1, LP_CFG_MAX_HEADS, &group, &present);
    if (st != LP_OK)
        return st;
    if (!present || m->num_heads % group != 0)
        return lp_cfg_fail(blk, LP_ERR_INVALID_ARG, blk->prefix, "n_heads_in_group",
                           "a divisor of num_attention_heads",
                           lp_cfg_get(blk, "n_heads_in_group", NULL));
    int64_t heads = m->num_heads / group;
    if (*kv > 0 && heads != *kv)
        return refuse(t, i, "attention layers with different numbers of KV heads");
    *kv = heads;
    m->layer_attn[i] = LP_ATTN_FULL;
    return LP_OK;
}

static lp_status ffn_block(const lp_cfg *t, const lp_cfg *blk, int64_t i, lp_model *m) {
    bool no_op;
    lp_status st = block_no_op(t, blk, i, "ffn.replace_with_linear", &no_op);
    if (st != LP_OK)
        return st;
    if (no_op) {
        m->layer_no_mlp[i] = 1;
        return LP_OK;
    }
    double mult = 0;
    bool present = false;
    st = lp_cfg_real(blk, "ffn_mult", &mult, &present);
    if (st != LP_OK)
        return st;
    if (!present || !(mult > 0) || mult > 64)
        return lp_cfg_fail(blk, LP_ERR_INVALID_ARG, blk->prefix, "ffn_mult",
                           "a positive multiplier of hidden_size (at most 64)",
                           lp_cfg_get(blk, "ffn_mult", NULL));
    /* int(2 * ffn_mult * n_embd / 3): Python truncates the float quotient */
    int64_t width = (int64_t)floor(2.0 * mult * (double)m->hidden_size / 3.0);
    if (width % NAS_FFN_MULTIPLE != 0)
        width += NAS_FFN_MULTIPLE - width % NAS_FFN_MULTIPLE;
    if (width > LP_CFG_MAX_FFN)
        return lp_cfg_fail(blk, LP_ERR_INVALID_ARG, blk->prefix, "ffn_mult",
                           "an MLP width within bounds", lp_cfg_get(blk, "ffn_mult", NULL));
    m->layer_ffn[i] = (int32_t)width;
    /* the widest MLP sizes the activation peak of the profile run */
    if (width > m->intermediate_size)
        m->intermediate_size = width;
    return LP_OK;
}

lp_status lp_config_parse_nas(const lp_cfg *t, lp_model *m) {
    const char *pfx = "";
    const json_t *a = lp_cfg_get(t, "block_configs", &pfx);
    if (!a || !json_is_array(a) || (int64_t)json_array_size(a) != m->num_layers) {
        char what[96];
        snprintf(what, sizeof what, "one {attention, ffn} entry per layer (%lld)",
                 (long long)m->num_layers);
        return lp_cfg_fail(t, a ? LP_ERR_INVALID_ARG : LP_ERR_MISSING_FIELD, t->prefix,
                           "block_configs", what, a);
    }
    m->intermediate_size = 0;
    m->norm_per_block = true;
    int64_t kv = 0;
    lp_status st = LP_OK;
    for (int64_t i = 0; i < m->num_layers && st == LP_OK; i++) {
        const json_t *b = json_array_get(a, (size_t)i);
        char prefix[96];
        snprintf(prefix, sizeof prefix, "%sblock_configs[%lld].", pfx, (long long)i);
        lp_cfg blk, attn, ffn;
        lp_cfg_view(&blk, b, prefix, NULL, NULL, t->origin, t->err);
        if (!json_is_object(b) || !lp_cfg_sub(&blk, "attention", &attn) ||
            !lp_cfg_sub(&blk, "ffn", &ffn))
            return lp_cfg_fail(t, LP_ERR_PARSE, pfx, "block_configs",
                               "objects with \"attention\" and \"ffn\" objects", b);
        st = attention_block(t, &attn, i, &kv, m);
        if (st == LP_OK)
            st = ffn_block(t, &ffn, i, m);
    }
    if (st != LP_OK)
        return st;
    if (kv == 0)
        return lp_error_set(t->err, LP_ERR_INVALID_ARG,
                            "%s: %sblock_configs: expected at least one attention layer", t->origin,
                            t->prefix);
    m->num_kv_heads = kv;
    return LP_OK;
}
