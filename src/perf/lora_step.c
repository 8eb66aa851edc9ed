/*
 * lora_step.c - what multi-adapter LoRA serving adds to an engine step, from vLLM's punica
 * path (vllm/lora/punica_wrapper/punica_gpu.py, the Triton ops lora_shrink and lora_expand in
 * vllm/lora/ops/triton_ops):
 * - FLOPs: every token of a LoRA request runs its adapter on every wrapped projection (qkv, o,
 *   gate_up, down): shrink x @ A (input x rank) then expand (rank x output), 2 FLOPs per
 *   multiply-add, so 2 x the elements of one adapter slot (src/mem/lora.c sizes the slot).
 *   For MoE models the slot holds every expert's adapter while a token runs top-k of them:
 *   counted whole, an upper bound (small beside the base GEMMs either way).
 * - Bytes: a step reads the A and B matrices of each distinct adapter in its batch once.
 * - Launches: one shrink and one expand kernel per wrapped projection per layer, each taking
 *   LP_LORA_KERNEL_S at least, whatever the batch (a documented assumption, not fitted: the
 *   published LoRA rows of ../shared/validation/serving_modes.tsv are too few and mix V0's host
 *   overheads in). They run inside the CUDA graph, so they add GPU time, not host time.
 * The number of distinct adapters in a batch is counted by the simulation (which also keeps
 * vLLM's --max-loras limit per step); the roofline uses its expectation for requests that
 * pick one of A adapters uniformly (as `vllm bench serve --lora-modules` does):
 * A (1 - (1 - 1/A)^B) for a batch of B requests, at most --max-loras.
 * It does not model loading adapters from host memory (--max-cpu-loras) or disk, LoRA on the
 * embeddings or lm_head, or speculative decoding with LoRA.
 */
#include <math.h>

#include "perf/perf_internal.h"

/* Shortest time of one punica Triton kernel (a launch inside a CUDA graph plus a small grid):
 * assumed, of the order of the smallest kernels' times in vLLM profiles. */
#define LP_LORA_KERNEL_S 3e-6
/* Wrapped projections per decoder layer: qkv, o, gate_up, down (vllm/lora/layers). */
#define LP_LORA_PROJECTIONS_PER_LAYER 4.0

void lp_lora_step_fill(const lp_mem_plan *plan, lp_step_model *sm) {
    sm->lora = (lp_lora_step){0};
    if (plan->lora_slots <= 0 || !(plan->lora_weights_bytes > 0))
        return;
    const double dtype_b = lp_dtype_bytes(plan->dtype);
    sm->lora.max_loras = plan->lora_slots;
    sm->lora.adapters = 1;
    sm->lora.slot_bytes = plan->lora_weights_bytes / plan->lora_slots;
    sm->lora.flops_per_token = dtype_b > 0 ? 2.0 * sm->lora.slot_bytes / dtype_b : 0.0;
    sm->lora.kernels_per_step = 2.0 * LP_LORA_PROJECTIONS_PER_LAYER * sm->layers;
}

void lp_lora_step_init(const lp_mem_plan *plan, const lp_workload *w, lp_step_model *sm,
                       lp_perf_estimate *est) {
    if (sm->lora.max_loras <= 0)
        return;
    sm->lora.adapters = w->num_lora_modules > 0 ? w->num_lora_modules : 1;
    lp_perf_assume(est,
                   "LoRA rank %d, %d adapter slots of %.1f MiB: every token runs its adapter "
                   "(%.2f MFLOPs), a step reads each distinct adapter of its batch and %.0f "
                   "punica kernels of at least %.0f us each (assumed)",
                   plan->lora_rank, plan->lora_slots, sm->lora.slot_bytes / (1024.0 * 1024.0),
                   sm->lora.flops_per_token / 1e6, sm->lora.kernels_per_step,
                   1e6 * LP_LORA_KERNEL_S);
    if (w->num_lora_modules > 0)
        lp_perf_assume(est,
                       "LoRA: each request picks one of %d adapters at random (vllm bench serve "
                       "--lora-modules); at most %d distinct adapters per step (--max-loras)",
                       w->num_lora_modules, plan->lora_slots);
    else
        lp_perf_assume(est, "LoRA: every request to one adapter (no --lora-modules given)");
}

double lp_lora_expected_adapters(const lp_step_model *sm, double seqs) {
    const double a = sm->lora.adapters > 0 ? sm->lora.adapters : 1;
    if (!(seqs > 0))
        return 0.0;
    double distinct = a * (1.0 - pow(1.0 - 1.0 / a, seqs));
    return fmin(distinct, (double)sm->lora.max_loras);
}

double lp_lora_step_s(const lp_step_model *sm, const lp_step_batch *b, double adapters,
                      double tokens, double s_flop, double s_byte, double *flop_s, double *byte_s) {
    *flop_s = *byte_s = 0.0;
    if (sm->lora.max_loras <= 0 || !(tokens > 0))
        return 0.0;
    if (!(adapters > 0))
        adapters = lp_lora_expected_adapters(sm, b->decode_seqs + b->prefill_seqs);
    if (adapters < 1)
        adapters = 1;
    *flop_s = tokens * sm->lora.flops_per_token * s_flop;
    *byte_s = adapters * sm->lora.slot_bytes * s_byte;
    return sm->lora.kernels_per_step * LP_LORA_KERNEL_S;
}
