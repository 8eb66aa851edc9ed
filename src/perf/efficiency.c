/*
 * efficiency.c - how much of a GPU's datasheet peak vLLM's kernels reach, per architecture
 * family, and what vLLM's engine costs on the host per step, per engine era. These are the
 * step model's only free constants (src/perf/step.c says how each is used). They are kept few
 * on purpose - one row per GPU family, one per engine era - so that they cannot be tuned row
 * by row to the validation data; what differs between setups is left to mechanisms (bytes,
 * FLOPs, layers, kernels launched, CUDA graphs or not).
 *
 * GPU side (kernel ceilings measured with tools/gpu_microbench.py; results in
 * tools/measurements/h200-2026-12-04.json and h100-sxm-2026-11-24.json):
 * - memory_eff: weight streaming by decode GEMMs (M = 1 ... 64) on large matrices: H200
 *   4.0-4.4 TB/s of 4.8 (84-91 %), H100 SXM 3.01-3.03 of 3.35 (90 %).
 * - compute_eff: large bf16 GEMMs: H200 760-815 TFLOPS of 989.5 (77-82 %); H100 708-809.
 *   FP8 GEMMs reach a smaller share of their own peak (step.c, LP_FP8_GEMM_SHARE).
 * - attn_memory_eff: decode attention streaming the KV cache. Contiguous SDPA on H200 reaches
 *   4.4-4.6 TB/s (92-96 %) at large batch x context; vLLM's paged kernels gather 16-token
 *   blocks and land lower (the H100 fp8-KV blog rows of serving_perf.tsv imply ~83 %).
 * - attn_compute_eff: causal prefill attention on long sequences: H200 611-657 TFLOPS at
 *   8-16K tokens (62-66 %); shorter sequences reach less (step.c, LP_ATTN_HALF_CONTEXT).
 * - layer_overhead_s: GPU time per decoder layer per step beyond bytes and FLOPs: the launch
 *   gaps, ramps and tails of a layer's ~10-20 kernels inside a CUDA graph. A whole decoder
 *   step replayed as a graph on H200 took 50 +/- 3 us per layer more than its weight bytes at
 *   the streaming rate, alike for 8B-class, 70B/TP8-slice and 0.5B-class layers; the
 *   smallest GEMM slices (21 MB) stream at 1.8 TB/s instead of 4.3 (a ~7 us floor each).
 * - moe_memory_share, moe_layer_overhead_s: routed experts run as grouped GEMMs (vLLM's
 *   fused_moe Triton kernel, or CUTLASS/Marlin grouped kernels), after routing, top-k and a
 *   sort of the tokens by expert. On H200, torch._grouped_mm streamed the experts at 2.1-3.3
 *   TB/s where a batched GEMM of the same bytes reached 4.0-4.4 (0.53-0.76 of it); a whole
 *   MoE decoder layer of Qwen3-235B-A22B sliced for TP8 took 146 us at batch 1 (38 MB of
 *   experts) and streamed its experts at ~1.9 TB/s at batch 8-128.
 *
 * Host side, by engine era (the same for every GPU of a vendor):
 * - step_overhead_s / per_seq_overhead_s: scheduling, input preparation, sampling launch and
 *   output processing per engine step, and per running request in it.
 * - eager_layer_s: host time to launch one layer's kernels one by one (--enforce-eager, or a
 *   batch beyond the captured CUDA-graph sizes): 160-220 us per layer measured on the H200
 *   machine's CPU for an unfused PyTorch layer (5.2 ms for 24 small layers, eager).
 * - graph_max_batch / graph_max_context: vLLM V0 captured decode graphs for batch sizes up to
 *   256 and contexts up to max_seq_len_to_capture = 8192 (vllm/config.py, V0 ModelConfig),
 *   and ran prefill steps eagerly; V1 captures up to max_cudagraph_capture_size (512 by
 *   default, vllm/config/vllm.py::_set_cudagraph_sizes), mixed steps included.
 *
 * Fitted constants name their rows (CONVENTIONS 16): see the FIT comments below. The split of
 * ../shared/validation/serving_perf{,_2}.tsv into fit and holdout rows is the team's
 * (hash of repo|model|gpu|tp|version, holdout when hash % 5 < 2); TensorRT-LLM rows never fit.
 */
#include <string.h>

#include "llmplan/perf.h"

/* vLLM made the V1 engine its default in v0.8.0; V0 is the engine of earlier releases. */
#define LP_V1_FROM LP_VLLM_VERSION(0, 8, 0)
#define LP_V0_GRAPH_MAX_BATCH 256
#define LP_V0_GRAPH_MAX_CONTEXT 8192
#define LP_V1_GRAPH_MAX_BATCH 512
/* Compute and memory time of an operator combine as sqrt(c^2 + m^2): measured H200 GEMMs of
 * LLM layer shapes were within 5-10 % of it from M = 1 to 8192 (step.c). */
#define LP_RIDGE_NORM 2.0

/*
 * FIT (host, CUDA V0): 0.8 ms + 17.5 us per request per step, fitted on the fit rows of the
 * QwenLM speed benchmark (serving_perf_2.tsv, A100 80GB, vLLM 0.6.2-0.6.3, batch 1, 0.5B-72B,
 * bf16/GPTQ/AWQ, inputs 1-129k tokens: a decode step = this + layers x the Ampere layer
 * overhead + bytes at the streaming rates) together with the Ampere GPU constants below, and
 * the vLLM 0.6.0 rows of serving_perf.tsv (lines 2, 3, 6: A100 ShareGPT at 4 and 8 req/s
 * and offline).
 * FIT (host, CUDA V1): 0.55 ms + 7.4 us, with the Hopper layer overhead, on the fit rows of
 * the H100 PCIe ShareGPT runs (serving_perf_2.tsv, vLLM 0.8.5, 1-32 req/s: TPOT and ITL) and
 * the vLLM CI rows of serving_perf.tsv (H100/H200, batch-8 latency, offline throughput).
 * FIT (host, ROCm): 0.8 ms + 30 us, with the CDNA constants below, on the fit rows of the
 * MI300X latency table (serving_perf_2.tsv, ROCm vLLM 0.10.0, Llama-3.1-70B/405B FP8 TP8,
 * batch 1-128, 128 or 2048 in / 2048 out). V0 (ROCm 0.6.6) reuses them: its rows are offline
 * throughput only, which the step model does not explain yet (see efficiency.c's report in
 * the commit).
 * Checked on: the holdout rows of the same files (`make accuracy`).
 * Fitting: coordinate search over these constants minimising the median |log error| of
 * TPOT, ITL, E2E and offline throughput on fit rows (TTFT and rate-limited throughput are
 * left out: they measure the API server and the workload, not the step).
 */
#define CUDA_V0_STEP_S 0.8e-3
#define CUDA_V0_SEQ_S 17.5e-6
#define CUDA_V1_STEP_S 0.55e-3
#define CUDA_V1_SEQ_S 7.4e-6
#define ROCM_V0_STEP_S 0.8e-3
#define ROCM_V0_SEQ_S 30e-6
#define ROCM_V1_STEP_S 0.8e-3
#define ROCM_V1_SEQ_S 30e-6
/* vLLM's eager layer: 4 GEMM launches (16.7 us each through torch on the H200 machine's
 * CPU) + ~6 custom-op launches (6.9 us each): 108 us of host time per layer. */
#define EAGER_LAYER_S 108e-6
#define CUDA_V0_NAME "V0"
#define CUDA_V1_NAME "V1"
#define ROCM_V0_NAME "V0 (ROCm)"
#define ROCM_V1_NAME "V1 (ROCm)"

/* Host cost of the engine eras, per vendor; lp_efficiency_for_version copies one over a
 * family row. */
typedef struct {
    const char *name;
    double step_overhead_s, per_seq_overhead_s, eager_layer_s;
    int graph_max_batch, graph_max_context;
} engine_era;

static const engine_era CUDA_V0 = {CUDA_V0_NAME,  CUDA_V0_STEP_S,        CUDA_V0_SEQ_S,
                                   EAGER_LAYER_S, LP_V0_GRAPH_MAX_BATCH, LP_V0_GRAPH_MAX_CONTEXT};
static const engine_era CUDA_V1 = {CUDA_V1_NAME,  CUDA_V1_STEP_S,        CUDA_V1_SEQ_S,
                                   EAGER_LAYER_S, LP_V1_GRAPH_MAX_BATCH, 0};
static const engine_era ROCM_V0 = {ROCM_V0_NAME,  ROCM_V0_STEP_S,        ROCM_V0_SEQ_S,
                                   EAGER_LAYER_S, LP_V0_GRAPH_MAX_BATCH, LP_V0_GRAPH_MAX_CONTEXT};
static const engine_era ROCM_V1 = {ROCM_V1_NAME,  ROCM_V1_STEP_S,        ROCM_V1_SEQ_S,
                                   EAGER_LAYER_S, LP_V1_GRAPH_MAX_BATCH, 0};

/* A family row with the latest engine's host values (V1; ROCm's for AMD). */
#define ROW(fam, ce, me, ar, src, ame, ace, layer, moe_share, moe_layer, host)                     \
    {                                                                                              \
        .family = fam, .compute_eff = ce, .memory_eff = me, .step_overhead_s = host##_STEP_S,      \
        .per_seq_overhead_s = host##_SEQ_S, .allreduce_latency_s = ar, .source = src,              \
        .attn_memory_eff = ame, .attn_compute_eff = ace, .layer_overhead_s = layer,                \
        .moe_memory_share = moe_share, .moe_layer_overhead_s = moe_layer, .engine = host##_NAME,   \
        .eager_layer_s = EAGER_LAYER_S, .graph_max_batch = LP_V1_GRAPH_MAX_BATCH,                  \
        .graph_max_context = 0, .ridge_norm = LP_RIDGE_NORM                                        \
    }

static const lp_efficiency FAMILIES[] = {
    /* Hopper. Measured (h200-2026-12-04.json): compute_eff 0.75 = bf16 GEMM 0.80 x ~0.94
     * for the other kernels of a prefill step; attn_compute_eff 0.62 (SDPA 0.62-0.66 at
     * 8-16K); attn_memory_eff 0.85 = contiguous SDPA decode 0.94 x 0.9 for gathering 16-token
     * KV blocks (an assumption: no long-context Hopper fit row). FIT: memory_eff 0.86 and
     * layer_overhead_s 43 us (measured 50 us for an unfused PyTorch layer), moe_memory_share
     * 1.0 and moe_layer_overhead_s 25 us on the fit rows named above (the Mixtral-8x7B CI
     * rows: vLLM's tuned fused_moe streams Mixtral's experts as fast as dense weights). */
    ROW("hopper", 0.75, 0.86, 25e-6, "H100/H200/GH200: measured kernel ceilings, fitted vLLM rows",
        0.85, 0.62, 43e-6, 1.0, 25e-6, CUDA_V1),
    ROW("blackwell", 0.70, 0.84, 25e-6,
        "B200/B300/GB200: Hopper fractions assumed (young kernels), see efficiency.c", 0.83, 0.58,
        43e-6, 1.0, 25e-6, CUDA_V1),
    /* Ampere. FIT on the QwenLM A100 fit rows (see above): memory_eff 0.83 (GPTQ/AWQ Marlin
     * kernels stream their packed weights at the same rate at batch 1), layer_overhead_s
     * 96 us, attn_compute_eff 0.435 (FlashAttention-2 prefill of 6-129k-token prompts),
     * compute_eff 0.80, attn_memory_eff 0.80. */
    ROW("ampere-datacenter", 0.80, 0.83, 30e-6,
        "A100/A30/A800 (GA100, HBM): fitted on vLLM A100 rows (QwenLM batch-1, ShareGPT)", 0.80,
        0.435, 96e-6, 1.0, 30e-6, CUDA_V1),
    ROW("ada-or-consumer", 0.65, 0.78, 50e-6,
        "GDDR parts (A10/A10G/A40, L4, L40/L40S, RTX): lower streaming share; PCIe all-reduce",
        0.75, 0.45, 70e-6, 1.0, 30e-6, CUDA_V1),
    /* CDNA. FIT on the MI300X latency fit rows (see above): memory_eff 0.56, layer_overhead_s
     * 32 us, all-reduce 15 us; compute_eff 0.5 and attn_memory_eff 0.6 were not moved by the
     * fit from their starting points (FP8 hipBLASLt GEMMs at about half of peak). */
    ROW("amd-cdna", 0.50, 0.56, 15e-6,
        "MI250X/MI300X/MI325X/MI355X: fitted on MI300X vLLM (ROCm) latency rows", 0.60, 0.40, 32e-6,
        1.0, 25e-6, ROCM_V1),
    ROW("default", 0.60, 0.75, 50e-6, "unknown architecture: conservative defaults", 0.70, 0.45,
        80e-6, 1.0, 30e-6, CUDA_V1),
};

enum { F_HOPPER, F_BLACKWELL, F_AMPERE, F_ADA, F_AMD, F_DEFAULT, F_COUNT };

/*
 * Board power caps sustained tensor throughput. Under dense GEMMs a data-centre GPU runs at
 * its power limit, and the SM clock drops until the chip's draw fits it (the measured H100 SXM
 * and H200 GEMMs above ran at 708-815 TFLOPS, below the 989.5 of the datasheet's boost clock,
 * at their 700 W limit). A part of the same die sold with a lower limit (H100 PCIe 350 W,
 * H100 NVL 400 W, H200 NVL 600 W) does the same work per joule to first order, so it sustains
 * at most compute_eff x the reference part's peak x its TDP / the reference's TDP; its
 * datasheet peak assumes its boost clock, which it cannot hold under such load. Memory-bound
 * work (decode GEMMs, KV reads) draws far less and keeps its rate. Work per joule in fact
 * rises a little at lower clocks (lower voltage), so this is a bound on the slow side.
 * Reference part and limit (data/gpus.tsv): H100 SXM, 700 W, 989.5 TFLOPS bf16 dense.
 * Hopper only: it is the family with rows on a lower-power part (H100 PCIe). Other families
 * are not capped for want of such rows (an A100 PCIe at 250-300 W would get 0.63-0.75).
 * CHECK (CONVENTIONS 16): not fitted; the share is the datasheets' ratio (H100 PCIe: 989.5 x
 * 350 / (700 x 756.5) = 0.654, so 0.75 x 494.8 = 371 TFLOPS sustained). Checked on the fit
 * rows of the IOG H100 PCIe ShareGPT runs (serving_perf_2.tsv), whose first run of each sweep
 * (32 req/s, lines 28 30 32 40) starts with a cold prefix cache and prefills every prompt.
 */
typedef struct {
    double tdp_w, bf16_tflops;
} power_ref;

static const power_ref POWER_REFS[F_COUNT] = {
    [F_HOPPER] = {700.0, 989.5},
};

static double power_share(int family, const lp_gpu *gpu) {
    const power_ref *ref = &POWER_REFS[family];
    double peak = gpu ? (gpu->bf16_tflops > 0 ? gpu->bf16_tflops : gpu->fp16_tflops) : 0.0;
    if (!(ref->tdp_w > 0) || !gpu || !(gpu->tdp_w > 0) || !(peak > 0))
        return 1.0;
    double share = ref->bf16_tflops * gpu->tdp_w / (ref->tdp_w * peak);
    return share < 1.0 ? share : 1.0;
}

static const engine_era *era_for(bool amd, lp_vllm_version version) {
    bool v0 = version > 0 && version < LP_V1_FROM;
    if (amd)
        return v0 ? &ROCM_V0 : &ROCM_V1;
    return v0 ? &CUDA_V0 : &CUDA_V1;
}

static void apply_era(lp_efficiency *e, const engine_era *era) {
    e->step_overhead_s = era->step_overhead_s;
    e->per_seq_overhead_s = era->per_seq_overhead_s;
    e->eager_layer_s = era->eager_layer_s;
    e->graph_max_batch = era->graph_max_batch;
    e->graph_max_context = era->graph_max_context;
    e->engine = era->name;
}

static int family_index(const lp_gpu *gpu) {
    if (!gpu)
        return F_DEFAULT;
    if (strcmp(gpu->vendor, "AMD") == 0)
        return F_AMD;
    switch (gpu->cc_major) {
    case 9:
        return F_HOPPER;
    case 10:
    case 11:
        return F_BLACKWELL;
    case 12:
        return F_ADA; /* RTX 50xx / RTX PRO Blackwell: GDDR7, PCIe */
    case 8:
        if (gpu->cc_minor == 0)
            return F_AMPERE;
        return F_ADA; /* GA102 parts (A10, A10G, A40, RTX 30xx): GDDR6, power-capped clocks */
    case 7:
        return F_ADA;
    default:
        return F_DEFAULT;
    }
}

const lp_efficiency *lp_efficiency_for(const lp_gpu *gpu) {
    return &FAMILIES[family_index(gpu)];
}

lp_efficiency lp_efficiency_for_version(const lp_gpu *gpu, lp_vllm_version version) {
    int i = family_index(gpu);
    lp_efficiency e = FAMILIES[i];
    apply_era(&e, era_for(i == F_AMD, version));
    e.power_share = power_share(i, gpu);
    return e;
}
