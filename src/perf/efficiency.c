/*
 * efficiency.c - how much of a GPU's datasheet peak vLLM achieves, per architecture family,
 * and its per-step host overhead. These are the roofline's only free constants; each names
 * where it comes from. They are deliberately few (one row per family) so that they cannot be
 * tuned row by row to the validation data.
 *
 * Sources and reasoning:
 * - memory_eff: streaming reads reach 85-90 % of HBM peak on Hopper/Ampere (STREAM-like
 *   copies; NVIDIA's H100 tuning guide quotes ~3 TB/s of 3.35); decode kernels that mix
 *   GEMV, attention and small launches land lower. GDDR parts (L40S, RTX) reach less.
 * - compute_eff: large bf16/fp8 GEMMs in cuBLAS/CUTLASS reach 60-75 % of dense peak on H100
 *   (~650-750 of 989 TFLOPS); a whole prefill step (attention, norms, activation
 *   quantization) averages lower.
 * - step_overhead_s / per_seq_overhead_s: vLLM's Python scheduler, input preparation,
 *   sampling and detokenisation per engine step; published per-step profiles of vLLM V1 show
 *   roughly 1-2 ms per step at small batch, growing with the number of running requests.
 * - allreduce_latency_s: one small all-reduce: ~10-30 us with vLLM's custom all-reduce over
 *   NVLink, tens of microseconds with NCCL over PCIe.
 * Kernel ceilings measured on an H100 SXM (tools/gpu_microbench.py, results in
 * tools/measurements/h100-sxm-2026-11-24.json): weight streaming (bf16 GEMM with 1-64 rows)
 * 3.01-3.03 TB/s = 90 % of the 3.35 TB/s peak; bf16 GEMM 708-809 TFLOPS = 72-82 % of 989.5;
 * FP8 GEMM up to 1,442 TFLOPS = 73 % of 1,979; causal prefill attention 407-615 TFLOPS =
 * 41-62 %; decode attention 2.4-3.0 TB/s; a device copy 3.02 TB/s. A whole engine step also
 * runs norms, rotary embeddings, activations, sampling and many small launches, so the
 * engine-level fractions below sit under those kernel ceilings.
 * The values were checked against the vLLM rows of ../shared/validation/serving_perf.tsv
 * (`make accuracy` prints the comparison); they were not fitted per row.
 */
#include <string.h>

#include "llmplan/perf.h"

static const lp_efficiency FAMILIES[] = {
    {"hopper", 0.60, 0.82, 1.6e-3, 4.0e-6, 25e-6,
     "H100/H200/GH200: datasheet peaks x achieved fractions (see efficiency.c)"},
    {"blackwell", 0.55, 0.80, 1.6e-3, 4.0e-6, 25e-6,
     "B200/B300/GB200: Hopper fractions assumed (young kernels), see efficiency.c"},
    {"ampere-datacenter", 0.62, 0.80, 1.8e-3, 5.0e-6, 30e-6,
     "A100/A10/A10G: datasheet peaks x achieved fractions (see efficiency.c)"},
    {"ada-or-consumer", 0.55, 0.75, 1.8e-3, 5.0e-6, 50e-6,
     "L4/L40/L40S/RTX: GDDR bandwidth reached less often; PCIe all-reduce"},
    {"amd-cdna", 0.45, 0.70, 2.0e-3, 6.0e-6, 40e-6,
     "MI250X/MI300X/MI325X/MI355X: ROCm kernels reach a smaller share of peak"},
    {"default", 0.50, 0.75, 2.0e-3, 6.0e-6, 50e-6, "unknown architecture: conservative defaults"},
};

const lp_efficiency *lp_efficiency_for(const lp_gpu *gpu) {
    if (!gpu)
        return &FAMILIES[5];
    if (strcmp(gpu->vendor, "AMD") == 0)
        return &FAMILIES[4];
    switch (gpu->cc_major) {
    case 9:
        return &FAMILIES[0];
    case 10:
    case 11:
    case 12:
        return gpu->cc_major == 12 ? &FAMILIES[3] : &FAMILIES[1];
    case 8:
        return gpu->cc_minor == 0
                   ? &FAMILIES[2]
                   : (gpu->cc_minor == 6 && strstr(gpu->name, "A10") == gpu->name ? &FAMILIES[2]
                                                                                  : &FAMILIES[3]);
    case 7:
        return &FAMILIES[3];
    default:
        return &FAMILIES[5];
    }
}
