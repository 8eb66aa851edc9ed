/*
 * overheads.c - the memory vLLM measures rather than allocates by formula: the torch
 * activation peak of the profile run, non-torch memory, and the CUDA-graph estimate.
 *
 * vLLM obtains these by running the model (docs/vllm_internals.md (a)); a planner has to
 * model them. The models below are mechanistic where the mechanism is known and calibrated
 * where it is not; every constant names where it comes from. Only Llama-3.1-8B start-up logs
 * were used to fit the two sampler constants and the forward constant; every other model in
 * ../shared/validation is out of sample for them.
 *
 * Activation peak of profile_run (gpu_model_runner.py): _dummy_run(max_num_batched_tokens)
 * spreads the tokens over R = min(max_num_seqs, max_num_batched_tokens) dummy requests; the
 * last pipeline stage then runs _dummy_sampler_run on R rows of logits over the full vocabulary
 * (logits are gathered across TP). Peak = max(forward peak, sampler peak), because the
 * forward's intermediates are freed before sampling.
 *  - sampler: bytes per (request x vocab entry). vLLM <= 0.16 kept several fp32 copies plus
 *    int64 sort indices for top-k/top-p and logprobs; v0.17 cut the activation peak by ~60 %
 *    (validation README: Qwen3-14B 5.64 -> 2.23 GiB).
 *  - forward: bytes per (token x intermediate element on this rank): gate_up output, the
 *    activation output and the residual stream of the largest MLP.
 * It does not model multimodal encoder profiling (encoder cache budget) or LoRA.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "mem/mem_internal.h"

/* Sampler bytes per (request x vocab), vLLM <= 0.16: Llama-3.1-8B on H100, v0.11.0, R = 1024,
 * V = 128,256: 4.76 GiB activation peak (llm-d-planner empirical-vllm-memory-results.md)
 * -> 4.76 * 2^30 / (1024 * 128256) = 38.9 B. */
#define LP_SAMPLER_BYTES_V016 38.9
/* Sampler bytes per (request x vocab), vLLM >= 0.17: Llama-3.1-8B on H100, v0.19.0: 1.89 GiB
 * (llm-d-planner accuracy report) -> 1.89 * 2^30 / (1024 * 128256) = 15.45 B. */
#define LP_SAMPLER_BYTES_V017 15.45
/* Forward bytes per (token x intermediate element per rank): Llama-3.1-8B PP=2 first stage (no
 * sampler), v0.19.0: 1.10 GiB at 8192 tokens, I = 14336 -> 10.06 B. */
#define LP_FORWARD_BYTES 10.06
#define LP_VLLM_ACTIVATION_DROP LP_VLLM_VERSION(0, 17, 0)

/* Non-torch memory per GPU (CUDA context, cuBLAS workspaces, NCCL and custom all-reduce
 * buffers), from published H100 start-up logs:
 * - before v0.18: 0.13 GiB at TP=1 and 0.55 GiB at TP=2 (docs/vllm_internals.md (a),
 *   llm-d-benchmark calibration table);
 * - v0.18 and later: 0.25 GiB at TP=1, 0.07 GiB per stage with PP and TP=1, about 2.07 GiB at
 *   TP=2 and 2.13 GiB at TP=4 (llm-d-planner accuracy report; the validation README notes the
 *   rise at v0.18). Between and beyond the measured TP sizes we grow it with log2(tp). */
#define LP_NON_TORCH_TP1_OLD_GIB 0.13
#define LP_NON_TORCH_TP2_OLD_GIB 0.55
#define LP_NON_TORCH_TP1_GIB 0.25
#define LP_NON_TORCH_PP_GIB 0.07
#define LP_NON_TORCH_TP_BASE_GIB 2.01
#define LP_NON_TORCH_TP_PER_DOUBLING_GIB 0.06
#define LP_VLLM_NON_TORCH_RISE LP_VLLM_VERSION(0, 18, 0)

/* CUDA-graph memory: subtracted before sizing the KV cache from v0.21.0
 * (VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS on by default). vLLM's own estimate is typically
 * 0.36-1.3 GiB per GPU for dense models with the default capture sizes (reference (a)). We model
 * a fixed pool plus a per-layer cost scaled by the number of capture sizes; MoE layers cost more
 * (grouped-GEMM workspaces). Rough: reported as an assumption. */
#define LP_VLLM_GRAPHS_SUBTRACTED LP_VLLM_VERSION(0, 21, 0)
#define LP_GRAPH_BASE_GIB 0.25
#define LP_GRAPH_PER_LAYER_GIB 0.012
#define LP_GRAPH_MOE_FACTOR 1.5
#define LP_GRAPH_DEFAULT_SIZES 67 /* [1,2,4] + range(8,256,8) + range(256,513,16) */

void lp_mem_note(const lp_mem_ctx *c, const char *fmt, ...) {
    if (!c->plan || c->plan->n_notes >= LP_MAX_MEM_NOTES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->plan->notes[c->plan->n_notes], sizeof c->plan->notes[0], fmt, ap);
    va_end(ap);
    c->plan->n_notes++;
}

static int capture_sizes(const lp_mem_ctx *c) {
    /* vllm/config/vllm.py _set_cudagraph_sizes: max = min(max_num_seqs * 2, 512), capped at
     * max_num_batched_tokens; sizes [1, 2, 4] + range(8, 256, 8) + range(256, max + 1, 16). */
    int max = c->max_num_seqs * 2;
    if (max > 512)
        max = 512;
    if (max > c->max_num_batched_tokens)
        max = c->max_num_batched_tokens;
    int n = 0;
    for (int s = 1; s <= 4 && s <= max; s *= 2)
        n++;
    for (int s = 8; s < 256 && s <= max; s += 8)
        n++;
    for (int s = 256; s <= max; s += 16)
        n++;
    return n;
}

static int64_t widest_intermediate_rank(const lp_mem_ctx *c) {
    const lp_model *m = c->m;
    int64_t dense = m->intermediate_size / c->tp;
    int64_t moe = 0;
    if (m->num_experts > 0) {
        /* fused MoE intermediate cache: tokens x top-k x expert width (per rank) */
        int64_t width = c->ep ? m->moe_intermediate_size : m->moe_intermediate_size / c->tp;
        moe = m->experts_per_tok * width;
    }
    return dense > moe ? dense : moe;
}

double lp_mem_sampler_rank(const lp_mem_ctx *c, int pp_rank) {
    if (pp_rank != c->pp - 1)
        return 0.0;
    double requests = fmin((double)c->max_num_seqs, (double)c->max_num_batched_tokens);
    double per =
        c->version >= LP_VLLM_ACTIVATION_DROP ? LP_SAMPLER_BYTES_V017 : LP_SAMPLER_BYTES_V016;
    return per * requests * (double)c->m->vocab_size;
}

double lp_mem_activation_rank(const lp_mem_ctx *c, int pp_rank) {
    double tokens = (double)c->max_num_batched_tokens;
    double forward = LP_FORWARD_BYTES * tokens * (double)widest_intermediate_rank(c);
    return fmax(forward, lp_mem_sampler_rank(c, pp_rank));
}

double lp_mem_cuda_graph_actual_rank(const lp_mem_ctx *c, int64_t layers_on_rank) {
    if (c->enforce_eager)
        return 0.0;
    double per_layer = LP_GRAPH_PER_LAYER_GIB * (c->m->num_experts > 0 ? LP_GRAPH_MOE_FACTOR : 1.0);
    double scale = (double)capture_sizes(c) / LP_GRAPH_DEFAULT_SIZES;
    return (LP_GRAPH_BASE_GIB + per_layer * (double)layers_on_rank) * scale * LP_GIB;
}

double lp_mem_non_torch_rank(const lp_mem_ctx *c) {
    double gib;
    if (c->version < LP_VLLM_NON_TORCH_RISE) {
        gib = c->tp > 1 ? LP_NON_TORCH_TP2_OLD_GIB : LP_NON_TORCH_TP1_OLD_GIB;
    } else if (c->tp > 1) {
        gib = LP_NON_TORCH_TP_BASE_GIB + LP_NON_TORCH_TP_PER_DOUBLING_GIB * log2((double)c->tp);
    } else {
        gib = c->pp > 1 ? LP_NON_TORCH_PP_GIB : LP_NON_TORCH_TP1_GIB;
    }
    return gib * LP_GIB;
}

double lp_mem_cuda_graph_rank(const lp_mem_ctx *c, int64_t layers_on_rank) {
    if (c->version < LP_VLLM_GRAPHS_SUBTRACTED)
        return 0.0;
    return lp_mem_cuda_graph_actual_rank(c, layers_on_rank);
}
