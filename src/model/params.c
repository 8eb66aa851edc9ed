/*
 * params.c - parameter counts and KV-cache bytes per token, from an lp_model's architecture.
 *
 * The formulas are those of model_configs.md §4, which reproduce the published totals of
 * every model in its §5 exactly; each layer's parameters are split into the lp_layer_params
 * categories that decide how vLLM shards and quantizes them. This file only does arithmetic
 * on an lp_model: it does not read configs or safetensors, and it does not apply tensor
 * parallelism, quantization or KV-cache block rounding (the mem module does).
 *
 * Inputs are trusted to be in the ranges the config reader enforces (config_internal.h);
 * with those bounds no product here can overflow int64_t.
 */
#include "llmplan/model.h"

#include <string.h>

/* Parameters of one norm: weight, plus bias for LayerNorm (Falcon). */
static int64_t norm_params(const lp_model *m) {
    return m->norm_has_bias ? 2 * m->hidden_size : m->hidden_size;
}

/* Gemma 4 gives its full-attention layers their own head size and KV heads (Gemma4DecoderLayer:
 * global_head_dim, and num_global_key_value_heads when attention_k_eq_v); other models have one
 * geometry, so full_head_dim / full_kv_heads stay 0. */
static bool full_geometry(const lp_model *m, int kind) {
    return kind == LP_ATTN_FULL && (m->full_head_dim > 0 || m->full_kv_heads > 0);
}

static int64_t kind_kv_heads(const lp_model *m, int kind) {
    return full_geometry(m, kind) && m->full_kv_heads > 0 ? m->full_kv_heads : m->num_kv_heads;
}

static int64_t kind_head_dim(const lp_model *m, int kind) {
    return full_geometry(m, kind) && m->full_head_dim > 0 ? m->full_head_dim : m->head_dim;
}

static int64_t kind_head_dim_v(const lp_model *m, int kind) {
    if (full_geometry(m, kind))
        return kind_head_dim(m, kind);
    return m->head_dim_v > 0 ? m->head_dim_v : m->head_dim;
}

static void attention_params(const lp_model *m, int kind, lp_layer_params *p) {
    int64_t H = m->hidden_size, nh = m->num_heads, nkv = kind_kv_heads(m, kind);
    int64_t d = kind_head_dim(m, kind), dv = kind_head_dim_v(m, kind);
    if (m->use_mla) {
        /* vLLM deepseek_v2.py DeepseekV2MLAAttention: q_a/kv_a (fused_qkv_a_proj) are
         * ReplicatedLinear; q_b (or q), kv_b and o are TP-sharded. */
        int64_t qk = m->qk_nope_head_dim + m->qk_rope_head_dim;
        if (m->q_lora_rank > 0) {
            p->attn_replicated += H * m->q_lora_rank;
            p->attn_sharded += m->q_lora_rank * nh * qk;
            p->small += m->q_lora_rank; /* q_a_layernorm */
        } else {
            p->attn_sharded += H * nh * qk;
        }
        p->attn_replicated += H * (m->kv_lora_rank + m->qk_rope_head_dim);
        p->small += m->kv_lora_rank; /* kv_a_layernorm */
        p->attn_sharded += m->kv_lora_rank * nh * (m->qk_nope_head_dim + m->v_head_dim);
        p->attn_sharded += nh * m->v_head_dim * H;
        if (m->index_head_dim > 0) {
            /* DeepSeek-V3.2 Indexer, replicated on every rank: wq_b (q_lora_rank -> heads x
             * head_dim) and wk (H -> head_dim) quantizable; k_norm (LayerNorm with bias) and
             * weights_proj (H -> heads, built without quant_config) stay in the model dtype */
            int64_t ih = m->index_n_heads, id = m->index_head_dim;
            p->attn_replicated += m->q_lora_rank * ih * id + H * id;
            p->small += 2 * id + H * ih;
        }
        return;
    }
    /* q (twice as wide with an output gate, Qwen3-Next), o */
    p->attn_sharded += H * nh * d * (m->attn_output_gate ? 2 : 1) + nh * dv * H;
    p->attn_kv += H * nkv * d; /* k (Falcon-7B: inside fused qkv) */
    /* v; Gemma 4's k_eq_v full layers store none: vLLM loads K's weights into the V slot of its
     * fused qkv_proj, so its memory holds H x nkv x dv more than the checkpoint (model note) */
    if (!(m->full_k_eq_v && kind == LP_ATTN_FULL))
        p->attn_kv += H * nkv * dv;
    if (m->qkv_bias)
        p->small += nh * d + nkv * d + nkv * dv;
    if (m->o_bias)
        p->small += H;
    if (m->qk_norm)
        p->small += 2 * d; /* q_norm and k_norm over head_dim */
    if (m->layer_scalar)
        p->small += 1; /* Gemma 4 layer_scalar */
    if (m->attn_sinks)
        p->small += nh;
}

/* One (dense or expert) MLP of width I: matrices and biases. */
static int64_t mlp_matrices(const lp_model *m, int64_t I) {
    return (m->gated_mlp ? 3 : 2) * m->hidden_size * I;
}

static int64_t mlp_biases(const lp_model *m, int64_t I) {
    return (m->gated_mlp ? 2 * I : I) + m->hidden_size;
}

/*
 * Recurrent mixers of hybrid models, as vLLM builds them (in/out projections and the conv are
 * TP-sharded linears; per-head parameters and norms are small):
 * - Mamba2 (layers/mamba/mamba_mixer2.py MambaMixer2): in_proj H -> 2*inner + 2*G*N + heads,
 *   conv1d (inner + 2*G*N) x K (+ bias), dt_bias, A, D (heads), gated norm (inner), out_proj;
 * - Mamba1 (mamba_mixer.py MambaMixer, Jamba): in_proj H -> 2*inner, conv1d inner x K (+ bias),
 *   x_proj inner -> dt_rank + 2N, dt_proj dt_rank -> inner (+ bias), A (inner x N), D, out_proj;
 * - Gated DeltaNet (models/qwen3_next.py Qwen3NextGatedDeltaNet): in_proj_qkvz H -> 2*Hk*dk +
 *   2*Hv*dv, in_proj_ba H -> 2*Hv, conv1d (2*Hk*dk + Hv*dv) x K, dt_bias and A_log (Hv), norm
 *   (dv), out_proj Hv*dv -> H.
 */
static void mixer_params(const lp_model *m, lp_layer_params *p) {
    int64_t H = m->hidden_size, K = m->mamba_conv, inner = m->mamba_inner;
    int64_t N = m->mamba_state_size, G = m->mamba_groups, heads = m->mamba_heads;
    switch (m->mixer) {
    case LP_MIXER_MAMBA2: {
        int64_t conv_dim = inner + 2 * G * N;
        p->attn_sharded += H * (inner + conv_dim + heads) + inner * H + conv_dim * K;
        p->small += (m->mamba_conv_bias ? conv_dim : 0) + 3 * heads + inner;
        if (m->mamba_proj_bias)
            p->small += inner + conv_dim + heads + H;
        break;
    }
    case LP_MIXER_MAMBA1: {
        int64_t R = m->mamba_dt_rank;
        p->attn_sharded += H * 2 * inner + inner * K + inner * (R + 2 * N) + R * inner + inner * H;
        p->small += (m->mamba_conv_bias ? inner : 0) + inner + inner * N + inner;
        if (m->mamba_proj_bias)
            p->small += 2 * inner + H;
        break;
    }
    case LP_MIXER_GDN: {
        int64_t key_dim = G * N, value_dim = heads * m->mamba_head_dim;
        int64_t conv_dim = 2 * key_dim + value_dim;
        p->attn_sharded +=
            H * (2 * key_dim + 2 * value_dim) + H * 2 * heads + conv_dim * K + value_dim * H;
        p->small += 2 * heads + m->mamba_head_dim;
        break;
    }
    case LP_MIXER_NONE:
        break;
    }
}

/* Parameters of one decoder layer with the given mixer and MLP kind (MTP layers: kind FULL). */
static void layer_params(const lp_model *m, int kind, bool moe, bool no_mlp, int64_t dense_width,
                         lp_layer_params *p) {
    memset(p, 0, sizeof *p);
    int64_t H = m->hidden_size;
    if (kind == LP_ATTN_MAMBA)
        mixer_params(m, p);
    else if (kind != LP_ATTN_NONE)
        attention_params(m, kind, p);
    int64_t norms =
        m->norm_per_block ? (int64_t)(kind != LP_ATTN_NONE) + (int64_t)!no_mlp : m->norms_per_layer;
    p->small += norms * norm_params(m);
    if (no_mlp)
        return;
    if (!moe) {
        int64_t I = dense_width > 0 ? dense_width : m->intermediate_size;
        p->mlp_dense += mlp_matrices(m, I);
        if (m->mlp_bias)
            p->small += mlp_biases(m, I);
        return;
    }
    int64_t E = m->num_experts, Im = m->moe_intermediate_size;
    p->small += H * E; /* router */
    if (m->router_bias)
        p->small += E;
    if (m->expert_score_bias)
        p->small += E; /* DeepSeek-V3 e_score_correction_bias */
    p->mlp_experts += E * mlp_matrices(m, Im);
    p->expert_one = mlp_matrices(m, Im);
    if (m->expert_bias) {
        /* gpt-oss: gate_up_proj_bias (2I) and down_proj_bias (H) per expert */
        p->small += E * mlp_biases(m, Im);
        p->expert_one += mlp_biases(m, Im);
    }
    p->mlp_dense += m->num_shared_experts * mlp_matrices(m, m->shared_expert_intermediate_size);
    if (m->shared_expert_gate)
        p->small += H; /* Qwen2-MoE shared_expert_gate: Linear(H, 1) */
}

/* mllama MllamaCrossAttentionDecoderLayer beyond a Llama layer: q_norm and k_norm over head_dim,
 * cross_attn_attn_gate and cross_attn_mlp_gate (one scalar each). Its k/v read the projected
 * vision states, of the text hidden size, so their shapes are a self-attention layer's. */
static void cross_attention_extras(const lp_model *m, int64_t layer, lp_layer_params *p) {
    if (m->layer_cross_attn[layer])
        p->small += 2 * m->head_dim + 2;
}

static int64_t layer_total(const lp_layer_params *p) {
    return p->attn_sharded + p->attn_kv + p->attn_replicated + p->mlp_dense + p->mlp_experts +
           p->small;
}

void lp_model_layer_params(const lp_model *m, int64_t layer, lp_layer_params *out) {
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!m || layer < 0 || layer >= m->num_layers || layer >= LP_MAX_LAYERS)
        return;
    layer_params(m, m->layer_attn[layer], m->layer_moe[layer] != 0, m->layer_no_mlp[layer] != 0,
                 m->layer_ffn[layer], out);
    cross_attention_extras(m, layer, out);
}

void lp_model_param_breakdown(const lp_model *m, lp_param_breakdown *out) {
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!m)
        return;
    out->embed = (m->vocab_size + m->embed_extra_rows) * m->hidden_size;
    out->lm_head = m->tie_word_embeddings ? 0 : m->vocab_size * m->hidden_size;
    if (m->lm_head_bias)
        out->lm_head += m->vocab_size;
    out->final_norm = norm_params(m);
    out->vision = m->params_vision;
    int64_t unused_experts = 0;
    int64_t L = m->num_layers < LP_MAX_LAYERS ? m->num_layers : LP_MAX_LAYERS;
    for (int64_t i = 0; i < L; i++) {
        lp_layer_params p;
        layer_params(m, m->layer_attn[i], m->layer_moe[i] != 0, m->layer_no_mlp[i] != 0,
                     m->layer_ffn[i], &p);
        cross_attention_extras(m, i, &p);
        out->layers.attn_sharded += p.attn_sharded;
        out->layers.attn_kv += p.attn_kv;
        out->layers.attn_replicated += p.attn_replicated;
        out->layers.mlp_dense += p.mlp_dense;
        out->layers.mlp_experts += p.mlp_experts;
        out->layers.expert_one += p.expert_one;
        out->layers.small += p.small;
        if (m->layer_moe[i] && m->num_experts > m->experts_per_tok)
            unused_experts += (m->num_experts - m->experts_per_tok) * p.expert_one;
    }
    out->total = out->embed + out->lm_head + out->final_norm + out->vision +
                 out->layers.attn_sharded + out->layers.attn_kv + out->layers.attn_replicated +
                 out->layers.mlp_dense + out->layers.mlp_experts + out->layers.small;
    out->active = out->total - unused_experts;
}

void lp_model_count_params(lp_model *m) {
    if (!m)
        return;
    lp_param_breakdown b;
    lp_model_param_breakdown(m, &b);
    m->params_total = b.total;
    m->params_active = b.active;
    m->params_mtp = 0;
    if (m->num_mtp_layers > 0) {
        /* DeepSeek MTP module (model_configs.md §4): one decoder layer (MoE when the model
         * has experts) + enorm + hnorm + eh_proj [2H -> H] + shared_head.norm + its own
         * embedding and head copies. */
        lp_layer_params p;
        int64_t H = m->hidden_size;
        layer_params(m, m->use_mla ? LP_ATTN_MLA : LP_ATTN_FULL, m->num_experts > 0, false, 0, &p);
        int64_t one = layer_total(&p) + 3 * H + 2 * H * H + 2 * m->vocab_size * H;
        m->params_mtp = m->num_mtp_layers * one;
    }
}

/* The fp8 quantization block of DeepSeek-V3.2's caches (deepseek_v2.py Indexer.quant_block_size,
 * and the fp8_ds_mla tile of FlashMLA's sparse kernels). */
#define LP_DSA_QUANT_BLOCK 128

/* Bytes per KV element for kv_dtype, resolving AUTO the way vLLM does. */
static double kv_element_bytes(const lp_model *m, lp_dtype kv_dtype) {
    if (kv_dtype != LP_DTYPE_AUTO)
        return lp_dtype_bytes(kv_dtype);
    /* vLLM resolve_kv_cache_dtype_string(): "auto" follows a ModelOpt checkpoint's
     * kv_cache_quant_algo; other methods' KV hints need an explicit --kv-cache-dtype. */
    if (m->quant.kv_cache_dtype != LP_DTYPE_AUTO && strncmp(m->quant.vllm_name, "modelopt", 8) == 0)
        return lp_dtype_bytes(m->quant.kv_cache_dtype);
    /* "auto" means the model dtype. An fp32 (or unstated) checkpoint runs in bf16/fp16
     * under --dtype auto (vLLM _resolve_auto_dtype downcasts fp32), so its KV cache is
     * 2 bytes per element, not 4. */
    if (m->dtype == LP_DTYPE_AUTO || m->dtype == LP_DTYPE_FP32)
        return 2.0;
    return lp_dtype_bytes(m->dtype);
}

double lp_model_kv_bytes_per_token_layer(const lp_model *m, int64_t layer, lp_dtype kv_dtype) {
    if (!m || layer < 0 || layer >= m->num_layers || layer >= LP_MAX_LAYERS)
        return 0.0;
    double b = kv_element_bytes(m, kv_dtype);
    switch ((lp_attn_kind)m->layer_attn[layer]) {
    case LP_ATTN_MLA: {
        /* MLAAttentionSpec: one latent (kv_lora_rank + qk_rope_head_dim) per token. */
        double latent = (double)(m->kv_lora_rank + m->qk_rope_head_dim) * b;
        if (m->index_head_dim <= 0)
            return latent;
        /* DeepSeek-V3.2: an fp8 KV cache is vLLM's "fp8_ds_mla" layout (config.py
         * DeepseekV32ForCausalLM): the latent in fp8, one fp32 scale per 128 of it, the rope
         * part in bf16 (512 + 16 + 128 = 656 bytes); and each layer's indexer K cache
         * (DeepseekV32IndexerCache, uint8): head_dim fp8 values + a 4-byte scale per
         * quant_block_size 128 of them (128 + 4 = 132 bytes), whatever the KV dtype. */
        if (b == 1.0)
            latent = (double)m->kv_lora_rank +
                     (double)(m->kv_lora_rank / LP_DSA_QUANT_BLOCK) * 4.0 +
                     (double)m->qk_rope_head_dim * 2.0;
        return latent + (double)m->index_head_dim +
               (double)(m->index_head_dim / LP_DSA_QUANT_BLOCK) * 4.0;
    }
    case LP_ATTN_MAMBA:
    case LP_ATTN_NONE:
        return 0.0;
    case LP_ATTN_FULL:
    case LP_ATTN_SLIDING:
    case LP_ATTN_CHUNKED:
        break;
    }
    int kind = m->layer_attn[layer];
    /* FullAttentionSpec: num_kv_heads * (head_size + head_size_v) * dtype_size */
    return (double)(kind_kv_heads(m, kind) * (kind_head_dim(m, kind) + kind_head_dim_v(m, kind))) *
           b;
}

int64_t lp_model_layer_kv_heads(const lp_model *m, int64_t layer) {
    if (!m || layer < 0 || layer >= m->num_layers || layer >= LP_MAX_LAYERS)
        return 0;
    return kind_kv_heads(m, m->layer_attn[layer]);
}

int64_t lp_model_layer_head_dim(const lp_model *m, int64_t layer) {
    if (!m || layer < 0 || layer >= m->num_layers || layer >= LP_MAX_LAYERS)
        return 0;
    return kind_head_dim(m, m->layer_attn[layer]);
}

double lp_model_kv_bytes_per_token(const lp_model *m, lp_dtype kv_dtype) {
    double sum = 0.0;
    if (!m)
        return 0.0;
    for (int64_t i = 0; i < m->num_layers && i < LP_MAX_LAYERS; i++)
        sum += lp_model_kv_bytes_per_token_layer(m, i, kv_dtype);
    return sum;
}

void lp_model_layer_kind_counts(const lp_model *m, int64_t counts[6]) {
    if (!counts)
        return;
    for (int k = 0; k < 6; k++)
        counts[k] = 0;
    if (!m)
        return;
    for (int64_t i = 0; i < m->num_layers && i < LP_MAX_LAYERS; i++)
        if (m->layer_attn[i] < 6)
            counts[m->layer_attn[i]]++;
}

int64_t lp_model_num_moe_layers(const lp_model *m) {
    int64_t n = 0;
    if (!m)
        return 0;
    for (int64_t i = 0; i < m->num_layers && i < LP_MAX_LAYERS; i++)
        n += m->layer_moe[i] != 0;
    return n;
}
