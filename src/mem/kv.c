/*
 * kv.c - KV-cache pages, groups and blocks, as vLLM's v1 KV-cache manager sizes them.
 *
 * Mirrors vllm/v1/kv_cache_interface.py (page sizes, max_memory_usage_bytes per spec) and
 * vllm/v1/core/kv_cache_utils.py (grouping of hybrid models, blocks per request);
 * reference/vllm_internals.md (b), (c).
 * - uniform models: one group of all layers, num_blocks = memory // page // layers;
 * - hybrid models (sliding window / chunked local beside full attention): layers are bucketed
 *   by spec, group_size = min(layers per type) unless max < 1.5 x min (then max), each type is
 *   split into cdiv(n, group_size) groups; num_blocks = memory // (page x group_size).
 * Mamba/linear-attention state is not modelled (no supported family uses it yet).
 */
#include "mem/mem_internal.h"

static int64_t cdiv64(int64_t a, int64_t b) {
    return (a + b - 1) / b;
}

void lp_mem_kv_layout(const lp_mem_ctx *c, int pp_rank, lp_kv_layout *out) {
    const lp_model *m = c->m;
    int64_t start, end;
    lp_mem_pp_range(m->num_layers, c->pp, pp_rank, &start, &end);
    int64_t count[6] = {0};
    for (int64_t i = start; i < end; i++) {
        int kind = m->layer_attn[i];
        if (kind == LP_ATTN_MAMBA || kind == LP_ATTN_NONE)
            continue;
        /* without the hybrid manager, sliding/chunked layers are sized as full attention */
        if (!c->hybrid_kv && (kind == LP_ATTN_SLIDING || kind == LP_ATTN_CHUNKED))
            kind = LP_ATTN_FULL;
        count[kind]++;
    }

    /* page = block_size x bytes/token/layer on this rank (same for every attention kind here) */
    double kv_b = lp_dtype_bytes(c->kv_dtype);
    double per_token;
    if (m->use_mla) {
        per_token = (double)(m->kv_lora_rank + m->qk_rope_head_dim) * kv_b;
    } else {
        int64_t heads = m->num_kv_heads / c->tp;
        if (heads < 1)
            heads = 1;
        int64_t dv = m->head_dim_v > 0 ? m->head_dim_v : m->head_dim;
        per_token = (double)heads * (double)(m->head_dim + dv) * kv_b;
    }
    out->page_bytes = per_token * c->block_size;

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
    int64_t bs = c->block_size;
    int64_t mnbt = c->max_num_batched_tokens;
    int64_t blocks = 0;
    for (int k = 0; k < 6; k++) {
        int64_t g = lay->groups_per_kind[k];
        if (g == 0)
            continue;
        int64_t per_group;
        if (k == LP_ATTN_SLIDING) {
            /* SlidingWindowSpec: min(window - 1 + max_num_batched_tokens, max_model_len), +1 */
            int64_t tokens = m->sliding_window - 1 + mnbt;
            if (tokens > max_model_len)
                tokens = max_model_len;
            per_group = cdiv64(tokens, bs) + 1;
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
