/*
 * weights.c - bytes of weights held by one GPU, as vLLM loads them.
 *
 * Mirrors how vLLM shards a decoder (docs/vllm_internals.md (b), (f)):
 * - q/o, dense MLP and lm_head/embeddings are split over the tensor-parallel group
 *   (VocabParallelEmbedding pads the vocabulary to a multiple of 64);
 * - K/V projections are replicated when TP exceeds the KV-head count
 *   (QKVParallelLinear: num_kv_heads = max(1, total / tp));
 * - MLA down-projections (q_a, kv_a) are ReplicatedLinear;
 * - routed experts are sliced over TP, or distributed whole over TPxDP with expert parallelism;
 * - pipeline stages hold only their layers (get_pp_indices), the embedding on the first stage
 *   and the lm_head (a separate copy when tied) on the last.
 * - quantized checkpoints keep the modules they list as not converted (lp_quant.keep: e.g.
 *   Meta's Llama-3.1-405B-Instruct-FP8 keeps every attention projection and the first and last
 *   layers' MLPs in bf16) in the model dtype; MXFP4 experts are padded per backend;
 * - vision towers are sharded like the language model, except Mistral-format Pixtral encoders,
 *   which every rank holds whole.
 * Norms and biases stay in the model dtype and are counted whole on every rank (a slight
 * over-count of sharded biases, at most a few MB).
 * Beside the parameters, "Model loading took" counts the rotary cos/sin cache every stage
 * builds (lp_mem_rope_cache_rank).
 * It does not model LoRA adapters or speculative-decoding drafts.
 */
#include <math.h>
#include <string.h>

#include "mem/mem_internal.h"

/* VocabParallelEmbedding pads the vocabulary to a multiple of 64 (pad_vocab_size). */
#define LP_VOCAB_PAD 64
/*
 * MXFP4 MoE weights are allocated padded (vllm/model_executor/layers/quantization/mxfp4.py,
 * Mxfp4MoEMethod.create_weights); the backend decides by how much (get_mxfp4_backend):
 * - Marlin, the backend below compute capability 9.0 and on SM12x (A100, L40S, RTX 5090):
 *   "the moe marlin kernel requires that for each linear n % 256 == 0 and k % 128 == 0":
 *   intermediate per rank rounded up to 128, hidden to 256; prepare_moe_fp4_layer_for_marlin
 *   then repacks values and scales in place (same sizes);
 * - FlashInfer on SM100 (B200; its default when FlashInfer is installed): both to 256;
 * - Hopper without VLLM_USE_FLASHINFER_MOE_MXFP4_BF16 (the default): the triton_kernels
 *   backend, the final else of create_weights: intermediate per rank rounded up to 64, hidden
 *   as is. process_weights_after_loading (TRITON branch) swizzles values and scales with
 *   _swizzle_mxfp4 (quantization/utils/mxfp4_utils.py) into the layer's precision configs but
 *   keeps the loaded w13/w2_weight_scale parameters, so the scales are held twice: once as
 *   loaded and once swizzled (triton_kernels swizzle_mxfp4_scale_hopper pads the rows to
 *   2 x num_warps x 2 x 8 = 256 with num_warps 8, and the groups to 2). The loaded bf16 expert
 *   biases are replaced by fp32 copies (a few MB, not modelled).
 * - ROCm: intermediate to 128 (the ROCm branch of create_weights).
 */
#define LP_MXFP4_MARLIN_INTER_ALIGN 128
#define LP_MXFP4_MARLIN_HIDDEN_ALIGN 256
#define LP_MXFP4_WIDE_ALIGN 256
#define LP_MXFP4_TRITON_INTER_ALIGN 64
#define LP_MXFP4_HOPPER_SCALE_ROWS 256
#define LP_MXFP4_HOPPER_SCALE_GROUPS 2
/*
 * From the torch 2.9 builds on (vLLM 0.11.1; "This is now merged and will be in the 0.11.1
 * release", vllm-project/vllm#27228), _swizzle_mxfp4 swizzles Hopper values too: below torch
 * 2.8.1 it keeps StridedLayout ("this cause swizling to be disabled"). triton_kernels'
 * HopperMXValueLayout.swizzle_data pads the packed values (uint8, two E2M1 per byte) before
 * permuting them (_padded_shape): along the MX (reduction) axis, which holds the packed bytes,
 * to 64 rows; along the other axis to 256. For w13 the reduction axis is hidden (hidden/2
 * bytes) and the other is 2 x intermediate; for w2 it is intermediate/2 bytes by hidden. The
 * swizzled tensors replace w13_weight and w2_weight (the loaded ones are deleted).
 */
#define LP_VLLM_HOPPER_MXFP4_VALUE_SWIZZLE LP_VLLM_VERSION(0, 11, 1)
#define LP_MXFP4_HOPPER_VALUE_MX_ALIGN 64
#define LP_MXFP4_HOPPER_VALUE_N_ALIGN 256
#define LP_MXFP4_ROCM_INTER_ALIGN 128
#define LP_MXFP4_BLOCK 32
/* vLLM loads Mistral-format checkpoints (params.json, which mistralai/ repositories ship) in
 * preference to config.json (vllm/transformers_utils/config.py: "First check for Mistral to
 * avoid defaulting to Transformers implementation"); their Pixtral vision encoder, patch merger
 * and vision-language adapter are plain nn.Linear layers (vllm/model_executor/models/pixtral.py
 * VisionTransformer, VisionLanguageAdapter), so every tensor-parallel rank holds them whole.
 * The oldest release in the validation data that loads them so is v0.11 (passing
 * --config-format mistral). */
#define LP_VLLM_MISTRAL_FORMAT LP_VLLM_VERSION(0, 11, 0)

static int64_t round_up64(int64_t x, int64_t a) {
    return (x + a - 1) / a * a;
}

/*
 * Bytes one rank holds for its MXFP4 experts, per element of the unpadded (gate, up, down)
 * matrices (inter_rank x hidden each), by backend (see LP_MXFP4_*).
 */
static double mxfp4_expert_bytes(const lp_mem_ctx *c, int64_t inter_rank) {
    const lp_model *m = c->m;
    int64_t hidden = m->hidden_size, inter = inter_rank, h_pad = hidden, i_pad = inter;
    const double plain = 0.5 + 1.0 / LP_MXFP4_BLOCK; /* E2M1 values + one E8M0 scale per 32 */
    if (inter <= 0 || hidden <= 0)
        return plain;
    int cc = c->gpu->cc_major;
    bool hopper_triton = false;
    if (strcmp(c->gpu->vendor, "AMD") == 0) {
        i_pad = round_up64(inter, LP_MXFP4_ROCM_INTER_ALIGN);
    } else if (cc == 10) {
        i_pad = round_up64(inter, LP_MXFP4_WIDE_ALIGN);
        h_pad = round_up64(hidden, LP_MXFP4_WIDE_ALIGN);
    } else if (cc == 9) {
        i_pad = round_up64(inter, LP_MXFP4_TRITON_INTER_ALIGN);
        hopper_triton = true;
    } else if (cc >= 0) {
        i_pad = round_up64(inter, LP_MXFP4_MARLIN_INTER_ALIGN);
        h_pad = round_up64(hidden, LP_MXFP4_MARLIN_HIDDEN_ALIGN);
    }
    const double elems = 3.0 * (double)inter * (double)hidden;
    /* values and the scales as loaded: w13 (2 i_pad x h_pad) and w2 (h_pad x i_pad) */
    double bytes = plain * 3.0 * (double)i_pad * (double)h_pad;
    if (hopper_triton && c->version >= LP_VLLM_HOPPER_MXFP4_VALUE_SWIZZLE) {
        /* the values as HopperMXValueLayout stores them (see above), instead of as loaded */
        double w13 = (double)round_up64(h_pad / 2, LP_MXFP4_HOPPER_VALUE_MX_ALIGN) *
                     (double)round_up64(2 * i_pad, LP_MXFP4_HOPPER_VALUE_N_ALIGN);
        double w2 = (double)round_up64(i_pad / 2, LP_MXFP4_HOPPER_VALUE_MX_ALIGN) *
                    (double)round_up64(h_pad, LP_MXFP4_HOPPER_VALUE_N_ALIGN);
        bytes += w13 + w2 - 0.5 * 3.0 * (double)i_pad * (double)h_pad;
    }
    if (hopper_triton) {
        /* the swizzled copy of the scales: rows padded to 256, groups to 2 */
        double w13 = (double)round_up64(2 * i_pad, LP_MXFP4_HOPPER_SCALE_ROWS) *
                     (double)round_up64(h_pad / LP_MXFP4_BLOCK, LP_MXFP4_HOPPER_SCALE_GROUPS);
        double w2 = (double)round_up64(h_pad, LP_MXFP4_HOPPER_SCALE_ROWS) *
                    (double)round_up64(i_pad / LP_MXFP4_BLOCK, LP_MXFP4_HOPPER_SCALE_GROUPS);
        bytes += w13 + w2;
    }
    return bytes / elems;
}

/* The vision tower is replicated on every TP rank (Mistral-format Pixtral), not sharded. */
static bool vision_replicated(const lp_mem_ctx *c) {
    const lp_model *m = c->m;
    return m->params_vision > 0 && c->version >= LP_VLLM_MISTRAL_FORMAT &&
           strncmp(m->id, "mistralai/", 10) == 0 &&
           (strcmp(m->architecture, "Mistral3ForConditionalGeneration") == 0 ||
            strcmp(m->architecture, "PixtralForConditionalGeneration") == 0);
}

/* Fraction of a block's weights left unquantized by lp_quant.keep bits. */
static double kept(uint8_t keep, uint8_t a, uint8_t b) {
    return 0.5 * ((keep & a) != 0) + 0.5 * ((keep & b) != 0);
}

/*
 * The rotary cos/sin cache: RotaryEmbedding.__init__ (vllm/model_executor/layers/
 * rotary_embedding/base.py) builds cos_sin_cache [positions, rotary_dim] and keeps it in the
 * dtype get_rope was given (`cache = cache.to(dtype)`): the model dtype, but float32 where the
 * model asks for it (gpt_oss.py OAIAttention: get_rope(..., dtype=torch.float32)). get_rope
 * caches one module per distinct configuration, so a process holds one per rope setting; Gemma
 * 3's sliding layers use their own (rope_local_base_freq, gemma3.py), a second cache. The
 * positions are those of the scaled rope: max_position_embeddings, times the factor for
 * linear and dynamic scaling, original_max_position_embeddings x factor for YaRN (and
 * DeepSeek's YaRN) - the model's derived max_model_len. Not modelled: longrope's second (short)
 * cache of original_max_position_embeddings rows, and Gemma 3's linear factor on its global
 * cache (its derived length is max_position_embeddings, already scaled).
 */
double lp_mem_rope_cache_rank(const lp_mem_ctx *c, int pp_rank) {
    const lp_model *m = c->m;
    if (m->rotary_dim <= 0 || m->derived_max_model_len <= 0)
        return 0.0;
    int64_t start, end;
    lp_mem_pp_range(m->num_layers, c->pp, pp_rank, &start, &end);
    bool rope = false, sliding = false, global = false;
    for (int64_t i = start; i < end && i < LP_MAX_LAYERS; i++) {
        int kind = m->layer_attn[i];
        bool attn = kind != LP_ATTN_MAMBA && kind != LP_ATTN_NONE;
        rope |= attn;
        sliding |= kind == LP_ATTN_SLIDING;
        global |= attn && kind != LP_ATTN_SLIDING;
    }
    if (!rope)
        return 0.0;
    double elem = strcmp(m->model_type, "gpt_oss") == 0 ? 4.0 : lp_dtype_bytes(c->dtype);
    int caches = strncmp(m->model_type, "gemma3", 6) == 0 && sliding && global ? 2 : 1;
    return (double)caches * (double)m->derived_max_model_len * (double)m->rotary_dim * elem;
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
        bytes += (double)m->params_vision / (vision_replicated(c) ? 1 : tp) * dtype_b;
    }
    if (last) {
        if (!m->tie_word_embeddings || c->pp > 1)
            bytes += vocab_rows * (double)m->hidden_size * dtype_b;
        bytes += (double)m->hidden_size * dtype_b; /* final norm */
    }

    /* Routed experts: TP slices every expert; EP distributes whole experts over TPxDP. */
    double expert_share = 1.0 / tp;
    double mxfp4_b = 0.0; /* bytes per expert element when the experts are MXFP4 */
    if (m->num_experts > 0) {
        int64_t inter_rank = m->moe_intermediate_size;
        if (c->ep) {
            int64_t ranks = (int64_t)tp * c->dp;
            int64_t local = (m->num_experts + ranks - 1) / ranks;
            expert_share = (double)local / (double)m->num_experts;
        } else {
            inter_rank = m->moe_intermediate_size / tp;
        }
        if (c->quant.method == LP_QUANT_MXFP4)
            mxfp4_b = mxfp4_expert_bytes(c, inter_rank);
    }

    lp_layer_params lp;
    for (int64_t i = start; i < end; i++) {
        lp_model_layer_params(m, i, &lp);
        /* KV heads held per rank: QKVParallelLinear replicates when tp > total KV heads (per
         * layer: Gemma 4's full layers have fewer) */
        double kv_share = 1.0;
        int64_t kv_heads = lp_model_layer_kv_heads(m, i);
        if (kv_heads > 0) {
            int64_t per_rank = kv_heads / tp;
            kv_share = (double)(per_rank < 1 ? 1 : per_rank) / (double)kv_heads;
        }
        /* modules the checkpoint leaves unquantized stay in the model dtype */
        uint8_t keep = quantized && i < LP_MAX_LAYERS ? c->quant.keep[i] : 0;
        double keep_qo =
            m->use_mla ? ((keep & LP_KEEP_ATTN) != 0) : kept(keep, LP_KEEP_Q, LP_KEEP_O);
        double keep_kv = kept(keep, LP_KEEP_K, LP_KEEP_V);
        double keep_mlp = m->gated_mlp
                              ? (((keep & LP_KEEP_GATE) != 0) + ((keep & LP_KEEP_UP) != 0) +
                                 ((keep & LP_KEEP_DOWN) != 0)) /
                                    3.0
                              : kept(keep, LP_KEEP_UP, LP_KEEP_DOWN);
        bool keep_experts = (keep & LP_KEEP_EXPERTS) != 0;
        bytes += (double)lp.attn_sharded / tp * (keep_qo * dtype_b + (1 - keep_qo) * linear_b);
        bytes += (double)lp.attn_kv * kv_share * (keep_kv * dtype_b + (1 - keep_kv) * linear_b);
        bytes += (double)lp.attn_replicated * (keep_qo * dtype_b + (1 - keep_qo) * linear_b);
        bytes += (double)lp.mlp_dense / tp * (keep_mlp * dtype_b + (1 - keep_mlp) * linear_b);
        bytes += (double)lp.mlp_experts * expert_share *
                 (keep_experts    ? dtype_b
                  : mxfp4_b > 0.0 ? mxfp4_b
                                  : expert_b);
        bytes += (double)lp.small * dtype_b;
    }
    if (c->cpu_offload_bytes > 0.0)
        bytes = fmax(0.0, bytes - c->cpu_offload_bytes);
    return bytes;
}
