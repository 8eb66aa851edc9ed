/*
 * weights.c - bytes of weights held by one GPU, as vLLM loads them.
 *
 * Mirrors how vLLM shards a decoder (reference/vllm_internals.md (b), (f)):
 * - q/o, dense MLP and lm_head/embeddings are split over the tensor-parallel group
 *   (VocabParallelEmbedding pads the vocabulary to a multiple of 64);
 * - K/V projections are replicated when TP exceeds the KV-head count
 *   (QKVParallelLinear: num_kv_heads = max(1, total / tp));
 * - MLA down-projections (q_a, kv_a) are ReplicatedLinear;
 * - routed experts are sliced over TP, or distributed whole over TPxDP with expert parallelism;
 * - pipeline stages hold only their layers (get_pp_indices), the embedding on the first stage
 *   and the lm_head (a separate copy when tied) on the last.
 * Norms and biases stay in the model dtype and are counted whole on every rank (a slight
 * over-count of sharded biases, at most a few MB).
 * It does not model LoRA adapters or speculative-decoding drafts.
 */
#include <math.h>

#include "mem/mem_internal.h"

/* VocabParallelEmbedding pads the vocabulary to a multiple of 64 (pad_vocab_size). */
#define LP_VOCAB_PAD 64
/* MXFP4 MoE kernels align the per-rank expert intermediate size to 256
 * (vllm/model_executor/layers/quantization/mxfp4.py, flashinfer path: round_up(..., 256));
 * published H100 logs of gpt-oss show the same +6.7% (2880 -> 3072) with the triton path. */
#define LP_MXFP4_INTERMEDIATE_ALIGN 256

static int64_t round_up64(int64_t x, int64_t a) {
    return (x + a - 1) / a * a;
}

void lp_mem_pp_range(int64_t n_layers, int pp, int rank, int64_t *start, int64_t *end) {
    /* vllm/distributed/utils.py get_pp_indices: equal split, the remainder going to the
     * stages before the last, counting backwards from the second-to-last. */
    int64_t per = n_layers / pp;
    int64_t rem = n_layers % pp;
    int64_t s = 0;
    for (int r = 0; r < pp; r++) {
        int64_t n = per;
        /* partitions[-i] += 1 for i in 2..rem+1, i.e. ranks pp-2, pp-3, ... */
        if (rem > 0 && r >= pp - 1 - rem && r <= pp - 2)
            n += 1;
        if (r == rank) {
            *start = s;
            *end = s + n;
            return;
        }
        s += n;
    }
    *start = *end = n_layers;
}

double lp_mem_quant_bytes_per_weight(const lp_quant *q, int64_t hidden) {
    double h = hidden > 0 ? (double)hidden : 4096.0;
    double g;
    switch (q->method) {
    case LP_QUANT_NONE:
        return 0.0; /* caller uses the model dtype */
    case LP_QUANT_FP8:
        /* 1 byte + scales: block 128x128 fp32, or per-channel fp32 (one per output row) */
        return q->weight_block ? 1.0 + 4.0 / (128.0 * 128.0) : 1.0 + 4.0 / h;
    case LP_QUANT_INT8:
    case LP_QUANT_BNB8:
        return 1.0 + 4.0 / h;
    case LP_QUANT_GPTQ: {
        /* gptq.py create_weights: qweight b/8 B, qzeros b/8 B per group column, fp16 scales */
        double b = q->bits > 0 ? q->bits : 4;
        g = q->group_size > 0 ? q->group_size : h;
        return b / 8.0 + (2.0 + b / 8.0) / g;
    }
    case LP_QUANT_AWQ:
        /* awq.py: 4-bit qweight, 4-bit qzeros and fp16 scales per group */
        g = q->group_size > 0 ? q->group_size : 128.0;
        return 0.5 + 2.5 / g;
    case LP_QUANT_BNB4:
        /* blocksize 64 absmax fp32, or double-quantized 8-bit absmax + fp32 per 256 blocks */
        return q->double_quant ? 0.5 + 1.0 / 64.0 + 4.0 / 16384.0 : 0.5 + 4.0 / 64.0;
    case LP_QUANT_MXFP4:
        return 0.5 + 1.0 / 32.0; /* E2M1 + one E8M0 scale per 32 */
    case LP_QUANT_NVFP4:
        return 0.5 + 1.0 / 16.0; /* E2M1 + one FP8 scale per 16 */
    case LP_QUANT_MXFP8:
        return 1.0 + 1.0 / 32.0;
    case LP_QUANT_INT4_W4A16:
        g = q->group_size > 0 ? q->group_size : 128.0;
        return 0.5 + 2.0 / g; /* pack-quantized int4, bf16 scale per group */
    }
    return 0.0;
}

double lp_mem_bytes_per_weight(const lp_quant *q, lp_dtype dtype, int64_t hidden) {
    if (!q || q->method == LP_QUANT_NONE)
        return lp_dtype_bytes(dtype);
    return lp_mem_quant_bytes_per_weight(q, hidden);
}

double lp_mem_weights_rank(const lp_mem_ctx *c, int pp_rank) {
    const lp_model *m = c->m;
    const double dtype_b = lp_dtype_bytes(c->dtype);
    const bool quantized = c->quant.method != LP_QUANT_NONE;
    const double q_b =
        quantized ? lp_mem_quant_bytes_per_weight(&c->quant, m->hidden_size) : dtype_b;
    const double linear_b = quantized && !c->quant.experts_only ? q_b : dtype_b;
    const double expert_b = quantized ? q_b : dtype_b;
    const int tp = c->tp;
    int64_t start, end;
    lp_mem_pp_range(m->num_layers, c->pp, pp_rank, &start, &end);
    const bool first = pp_rank == 0, last = pp_rank == c->pp - 1;

    double bytes = 0.0;
    const double vocab_rows = (double)round_up64(m->vocab_size, LP_VOCAB_PAD) / tp;
    if (first) {
        bytes += vocab_rows * (double)m->hidden_size * dtype_b;
        bytes += (double)m->params_vision / tp * dtype_b; /* encoder sharded like the LM */
    }
    if (last) {
        if (!m->tie_word_embeddings || c->pp > 1)
            bytes += vocab_rows * (double)m->hidden_size * dtype_b;
        bytes += (double)m->hidden_size * dtype_b; /* final norm */
    }

    /* KV heads held per rank: QKVParallelLinear replicates when tp > total KV heads. */
    double kv_share = 1.0;
    if (m->num_kv_heads > 0) {
        int64_t per_rank = m->num_kv_heads / tp;
        if (per_rank < 1)
            per_rank = 1;
        kv_share = (double)per_rank / (double)m->num_kv_heads;
    }

    /* Routed experts: TP slices every expert; EP distributes whole experts over TPxDP. */
    double expert_share = 1.0 / tp;
    double expert_pad = 1.0;
    if (m->num_experts > 0) {
        int64_t inter_rank = m->moe_intermediate_size;
        if (c->ep) {
            int64_t ranks = (int64_t)tp * c->dp;
            int64_t local = (m->num_experts + ranks - 1) / ranks;
            expert_share = (double)local / (double)m->num_experts;
        } else {
            inter_rank = m->moe_intermediate_size / tp;
        }
        if (c->quant.method == LP_QUANT_MXFP4 && c->gpu->cc_major >= 9 && inter_rank > 0)
            expert_pad =
                (double)round_up64(inter_rank, LP_MXFP4_INTERMEDIATE_ALIGN) / (double)inter_rank;
    }

    lp_layer_params lp;
    for (int64_t i = start; i < end; i++) {
        lp_model_layer_params(m, i, &lp);
        bytes += ((double)lp.attn_sharded / tp + (double)lp.attn_kv * kv_share +
                  (double)lp.attn_replicated) *
                 linear_b;
        bytes += (double)lp.mlp_dense / tp * linear_b;
        bytes += (double)lp.mlp_experts * expert_share * expert_b * expert_pad;
        bytes += (double)lp.small * dtype_b;
    }
    if (c->cpu_offload_bytes > 0.0)
        bytes = fmax(0.0, bytes - c->cpu_offload_bytes);
    return bytes;
}
