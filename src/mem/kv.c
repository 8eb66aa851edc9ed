/*
 * kv.c - KV-cache pages, groups and blocks, as vLLM's v1 KV-cache manager sizes them.
 *
 * Mirrors vllm/v1/kv_cache_interface.py (page sizes, max_memory_usage_bytes per spec) and
 * vllm/v1/core/kv_cache_utils.py (grouping of hybrid models, blocks per request);
 * docs/vllm_internals.md (b), (c).
 * - uniform models: one group of all layers, num_blocks = memory // page // layers;
 * - hybrid models (sliding window / chunked local beside full attention): layers are bucketed
 *   by spec, group_size = min(layers per type) unless max < 1.5 x min (then max), each type is
 *   split into cdiv(n, group_size) groups; num_blocks = memory // (page x group_size).
 * - Mamba / linear-attention layers (hybrid models) keep a fixed state per request
 *   (MambaSpec: conv state + SSM state, vllm/model_executor/layers/mamba/mamba_utils.py
 *   MambaStateShapeCalculator); their page is padded to the attention page after the attention
 *   block size has been raised until one attention page holds it
 *   (vllm/model_executor/models/config.py HybridAttentionMambaModelConfig), and each of their
 *   groups takes one block per request (mamba_cache_mode "none").
 */
#include <math.h>

#include "mem/mem_internal.h"

/* Attention kernels need the block size to be a multiple of 16 (FlashAttention); MLA backends
 * of hybrid models 64 (HybridAttentionMambaModelConfig: kernel_block_alignment_size). */
#define LP_HYBRID_BLOCK_ALIGN 16
#define LP_HYBRID_MLA_BLOCK_ALIGN 64

static int64_t cdiv64(int64_t a, int64_t b) {
    return (a + b - 1) / b;
}

static int64_t has_mamba_layers(const lp_model *m) {
    int64_t n = 0;
    for (int64_t i = 0; i < m->num_layers && i < LP_MAX_LAYERS; i++)
        n += m->layer_attn[i] == LP_ATTN_MAMBA;
    return m->mixer != LP_MIXER_NONE ? n : 0;
}

/* MambaStateShapeCalculator.extra_groups_for_head_shards: groups that do not divide evenly
 * over TP are replicated so that every head shard has its group. */
static int64_t groups_with_replicas(int64_t groups, int tp) {
    if (groups % tp == 0)
        return groups;
    return groups + (tp - groups);
}

double lp_mem_mamba_page_bytes(const lp_mem_ctx *c) {
    if (!has_mamba_layers(c->m))
        return 0.0;
    return lp_mem_mamba_state_bytes(c->m, c->dtype, c->tp);
}

double lp_mem_mamba_state_bytes(const lp_model *m, lp_dtype dtype, int tp) {
    if (!m || m->mixer == LP_MIXER_NONE || tp < 1)
        return 0.0;
    /* conv state in the model dtype (--mamba-cache-dtype auto); SSM state in
     * --mamba-ssm-cache-dtype, which follows the config's mamba_ssm_dtype, else the conv dtype
     * (MambaStateDtypeCalculator._mamba_state_dtype) */
    double conv_b = lp_dtype_bytes(dtype);
    double ssm_b =
        m->mamba_ssm_dtype != LP_DTYPE_AUTO ? lp_dtype_bytes(m->mamba_ssm_dtype) : conv_b;
    int64_t K1 = m->mamba_conv > 1 ? m->mamba_conv - 1 : 1;
    double conv = 0.0, ssm = 0.0;
    switch (m->mixer) {
    case LP_MIXER_MAMBA2: {
        /* mamba2_state_shape: conv (K-1, (inner + 2 G N) / tp), temporal (heads / tp, head, N) */
        int64_t groups = groups_with_replicas(m->mamba_groups, tp);
        double conv_dim = (double)(m->mamba_inner + 2 * groups * m->mamba_state_size);
        conv = (double)K1 * conv_dim / tp * conv_b;
        ssm = (double)m->mamba_heads / tp * (double)m->mamba_head_dim *
              (double)m->mamba_state_size * ssm_b;
        break;
    }
    case LP_MIXER_MAMBA1:
        /* mamba1_state_shape: conv (inner / tp, K-1), temporal (inner / tp, N) */
        conv = (double)m->mamba_inner / tp * (double)K1 * conv_b;
        ssm = (double)m->mamba_inner / tp * (double)m->mamba_state_size * ssm_b;
        break;
    case LP_MIXER_GDN: {
        /* gated_delta_net_state_shape: conv ((2 Hk dk + Hv dv) / tp, K-1), temporal
         * (Hv / tp, dk, dv) */
        double conv_dim = (double)(2 * m->mamba_groups * m->mamba_state_size +
                                   m->mamba_heads * m->mamba_head_dim);
        conv = conv_dim / tp * (double)K1 * conv_b;
        ssm = (double)m->mamba_heads / tp * (double)m->mamba_state_size *
              (double)m->mamba_head_dim * ssm_b;
        break;
    }
    case LP_MIXER_NONE:
        break;
    }
    return conv + ssm;
}

/* Bytes per token of attention layer i on this rank (FullAttentionSpec / MLAAttentionSpec): its
 * KV heads split over TP, at least one (replicated when tp exceeds them). */
static double layer_bytes_per_token(const lp_mem_ctx *c, int64_t layer) {
    const lp_model *m = c->m;
    double whole = lp_model_kv_bytes_per_token_layer(m, layer, c->kv_dtype);
    if (m->use_mla) /* the latent, and DeepSeek-V3.2's indexer cache beside it (params.c) */
        return whole;
    int64_t total = lp_model_layer_kv_heads(m, layer);
    if (total < 1)
        return 0.0;
    int64_t heads = total / c->tp;
    if (heads < 1)
        heads = 1;
    return whole / (double)total * (double)heads;
}

/* The largest bytes per token of any attention layer on this rank: vLLM's
 * unify_kv_cache_spec_page_size keeps the largest page and raises the block size of the layers
 * with smaller pages (Gemma 4's full layers: 4 KV heads of 512 beside 16 of 256). */
static double attn_bytes_per_token(const lp_mem_ctx *c) {
    const lp_model *m = c->m;
    double best = 0.0;
    for (int64_t i = 0; i < m->num_layers && i < LP_MAX_LAYERS; i++) {
        int kind = m->layer_attn[i];
        if (kind == LP_ATTN_MAMBA || kind == LP_ATTN_NONE)
            continue;
        double b = layer_bytes_per_token(c, i);
        if (b > best)
            best = b;
    }
    return best;
}

int lp_mem_hybrid_block_size(const lp_mem_ctx *c, int block_size) {
    double mamba = lp_mem_mamba_page_bytes(c);
    double per_token = attn_bytes_per_token(c);
    if (mamba <= 0.0 || per_token <= 0.0)
        return block_size;
    int64_t align = c->m->use_mla ? LP_HYBRID_MLA_BLOCK_ALIGN : LP_HYBRID_BLOCK_ALIGN;
    /* attn_block_size = align * cdiv(mamba_page_size, align * attn_page_size_1_token) */
    int64_t need = align * (int64_t)ceil(mamba / ((double)align * per_token));
    return need > block_size ? (int)need : block_size;
}

void lp_mem_kv_layout(const lp_mem_ctx *c, int pp_rank, lp_kv_layout *out) {
    const lp_model *m = c->m;
    int64_t start, end;
    lp_mem_pp_range(m->num_layers, c->pp, pp_rank, &start, &end);
    int64_t count[6] = {0};
    double per_token[6] = {0};
    for (int64_t i = start; i < end; i++) {
        int kind = m->layer_attn[i];
        if (kind == LP_ATTN_NONE || (kind == LP_ATTN_MAMBA && m->mixer == LP_MIXER_NONE))
            continue;
        /* without the hybrid manager, sliding/chunked layers are sized as full attention */
        if (!c->hybrid_kv && (kind == LP_ATTN_SLIDING || kind == LP_ATTN_CHUNKED))
            kind = LP_ATTN_FULL;
        count[kind]++;
        if (kind != LP_ATTN_MAMBA && layer_bytes_per_token(c, i) > per_token[kind])
            per_token[kind] = layer_bytes_per_token(c, i);
    }
    /* a speculative-decoding drafter's attention layers join the last stage's groups (spec.c) */
    if (pp_rank == c->pp - 1 && c->spec_kv_layers > 0)
        count[c->spec_kv_kind] += c->spec_kv_layers;

    /* page = block_size x bytes/token/layer on this rank, the same for every attention kind;
     * Mamba pages are padded to it (the block size was raised so that it holds them) */
    out->page_bytes = attn_bytes_per_token(c) * c->block_size;
    /* a kind with a smaller page holds proportionally more tokens per block (its block size was
     * raised to the common page; the ratio is whole for every model vLLM accepts) */
    for (int k = 0; k < 6; k++) {
        double ratio =
            per_token[k] > 0.0 ? floor(out->page_bytes / (per_token[k] * c->block_size)) : 1.0;
        out->block_tokens[k] = (int64_t)c->block_size * (int64_t)(ratio >= 1.0 ? ratio : 1.0);
    }
    int64_t attn_layers =
        count[LP_ATTN_FULL] + count[LP_ATTN_SLIDING] + count[LP_ATTN_CHUNKED] + count[LP_ATTN_MLA];
    if (attn_layers == 0 && count[LP_ATTN_MAMBA] > 0)
        out->page_bytes = c->mamba_page_bytes; /* pure recurrent model */

    int64_t min_n = 0, max_n = 0, types = 0, total = 0;
    for (int k = 0; k < 6; k++) {
        out->groups_per_kind[k] = 0;
        if (count[k] == 0)
            continue;
        types++;
        total += count[k];
        if (min_n == 0 || count[k] < min_n)
            min_n = count[k];
        if (count[k] > max_n)
            max_n = count[k];
    }
    out->total_layers = total;
    if (types <= 1) {
        out->group_size = total;
        out->n_groups = total > 0 ? 1 : 0;
        for (int k = 0; k < 6; k++)
            if (count[k])
                out->groups_per_kind[k] = 1;
        return;
    }
    /* _get_kv_cache_groups_uniform_page_size */
    int64_t group_size = min_n;
    if ((double)max_n < (double)min_n * 1.5)
        group_size = max_n;
    out->group_size = group_size;
    out->n_groups = 0;
    for (int k = 0; k < 6; k++) {
        if (count[k] == 0)
            continue;
        out->groups_per_kind[k] = cdiv64(count[k], group_size);
        out->n_groups += (int)out->groups_per_kind[k];
    }
}

int64_t lp_mem_kv_blocks_per_request(const lp_mem_ctx *c, const lp_kv_layout *lay,
                                     int64_t max_model_len) {
    const lp_model *m = c->m;
    int64_t mnbt = c->max_num_batched_tokens;
    int64_t blocks = 0;
    for (int k = 0; k < 6; k++) {
        int64_t g = lay->groups_per_kind[k];
        if (g == 0)
            continue;
        int64_t bs = lay->block_tokens[k] > 0 ? lay->block_tokens[k] : c->block_size;
        int64_t per_group;
        if (k == LP_ATTN_SLIDING) {
            /* SlidingWindowSpec: min(window - 1 + max_num_batched_tokens, max_model_len), +1 */
            int64_t tokens = m->sliding_window - 1 + mnbt;
            if (tokens > max_model_len)
                tokens = max_model_len;
            per_group = cdiv64(tokens, bs) + 1;
        } else if (k == LP_ATTN_MAMBA) {
            /* MambaSpec.max_memory_usage_bytes: one (padded) page per request */
            per_group = 1;
        } else if (k == LP_ATTN_CHUNKED) {
            /* ChunkedLocalAttentionSpec: min(chunk + max_num_batched_tokens, max_model_len) */
            int64_t tokens = m->attention_chunk_size + mnbt;
            if (tokens > max_model_len)
                tokens = max_model_len;
            per_group = cdiv64(tokens, bs);
        } else {
            per_group = cdiv64(max_model_len, bs);
        }
        blocks += g * per_group;
    }
    return blocks;
}
