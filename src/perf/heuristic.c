/*
 * heuristic.c - the quick estimator of the original design (DESIGN §3 "heuristic"): a 7B
 * reference model's decode and prefill tokens/s on the GPU, scaled by model size, tensor and
 * pipeline parallelism, context length and quantization. Needs only a parameter count and
 * (optionally) a GPU; every factor it applies is written into the assumptions.
 *
 * Where the 7B baselines come from (nothing is a per-GPU magic number: the GPU family's
 * constants are the roofline's, src/perf/efficiency.c, so the quick method and the step model
 * agree on a single stream of the reference model):
 *  - single-stream decode: every generated token streams all weights once and pays the
 *    engine's fixed costs of a step (host time per step and per request, the kernel floors
 *    of the reference's 32 layers), so
 *      r1 = 1 / (host + 32 x layer floor + 7e9 params x 2 bytes / (memory_eff x bandwidth));
 *  - decode baseline (the original design's "decode tokens/s" is an aggregate at a moderate
 *    batch, not a single stream): the aggregate of HEUR_REF_BATCH concurrent streams, whose
 *    step is the same one of the roofline with 32 requests: the host's per-request time
 *    and the batch's KV reads at ~1k context (the reference's 128 KiB per token, at the
 *    family's paged-attention rate) come on top, i.e.
 *      decode_7b = 32 / (t_step(32 requests) / t_step(1)) x r1;
 *  - prefill baseline: prompt tokens are compute bound, 2 FLOPs per parameter per token:
 *      prefill_7b = compute_eff x dense bf16 FLOPS / (2 x 7e9).
 * Between a single stream and larger batches the step time grows linearly with the batch
 * (through the two points above), which gives the per-stream rate (ITL/TPOT) and the
 * aggregate at the workload's concurrency.
 * Two physical ceilings keep the scaling laws honest at the extremes: input + output tokens/s
 * never exceed the prefill (compute) rate, since every token costs 2 x params FLOPs; and with
 * a model and GPU known, a decode step never beats reading the weights and the batch's KV at
 * peak bandwidth. Each says so in the assumptions when it binds.
 *
 * What it deliberately does not do: model operators, chunked prefill interference, queueing
 * delay in TTFT or percentiles (roofline and simulate do). TTFT = prompt tokens / prefill
 * tokens/s, as the original design defines it.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "perf/perf_internal.h"

/* The reference model of the baselines: 7B parameters in bf16 (2 bytes each), 32 decoder
 * layers (Llama-2-7B / Mistral-7B). */
#define HEUR_REF_PARAMS_B 7.0
#define HEUR_REF_BYTES_PER_PARAM 2.0
#define HEUR_REF_LAYERS 32.0
/* Throughput ~ (7 / params_b)^0.85: the original design's size exponent (sub-linear because
 * fixed per-step costs do not shrink with the model). */
#define HEUR_SIZE_EXPONENT 0.85
/* The moderate batch the decode baseline refers to, its context and the reference's KV bytes
 * per token (a GQA 7-8B model: 32 layers x 8 KV heads x 128 x 2 x 2 B = 128 KiB). */
#define HEUR_REF_BATCH 32.0
#define HEUR_REF_BATCH_CONTEXT 1024.0
#define HEUR_REF_KV_BYTES_PER_TOKEN 131072.0
/* Decode slows with the square root of the context beyond this many tokens (KV reads). */
#define HEUR_REF_CONTEXT_TOKENS 4096.0
/* Tensor-parallel efficiency per doubling of TP: speed-up = tp x eff^log2(tp). All-reduces
 * over NVLink (or xGMI) cost little; over PCIe they take a visible share of each step. */
#define HEUR_TP_EFF_NVLINK 0.90
#define HEUR_TP_EFF_PCIE 0.75
#define HEUR_TP_EFF_UNKNOWN 0.70
/* TP over TCP sockets (ranks in separate containers): see link_of. */
#define HEUR_TP_EFF_TCP 0.60
/* Pipeline parallelism: micro-batches of C/pp per stage; hand-offs and bubbles cost this per
 * doubling of stages. */
#define HEUR_PP_EFF 0.90
/* Quantization speed-ups (weights are read in fewer bytes; decode is bandwidth bound).
 * 8-bit halves the bytes but pays for scales and dequantisation: ~1.4x (fp8), ~1.3x (int8
 * W8A8). 4-bit Marlin-style kernels (GPTQ, AWQ, int4, MXFP4, NVFP4) reach ~1.8x of bf16 at
 * moderate batch. bitsandbytes dequantises in slower kernels (vLLM's docs call it a memory
 * saver, not a speed-up): 1.2x for 4-bit, none for 8-bit. Prefill gains only with FP8 tensor
 * cores doing the math (fp8 W8A8 on an FP8-capable GPU): 1.5x, below the 2x peak ratio
 * because attention and norms stay in bf16. */
#define HEUR_Q_FP8_DECODE 1.4
#define HEUR_Q_INT8_DECODE 1.3
#define HEUR_Q_4BIT_DECODE 1.8
#define HEUR_Q_BNB4_DECODE 1.2
#define HEUR_Q_BNB8_DECODE 1.0
#define HEUR_Q_FP8_PREFILL 1.5
/* The GPU assumed when none is given (or the row lacks a number): a mid-range data-centre
 * part between an L40S (864 GB/s, 362 TFLOPS) and an A10 (600 GB/s, 125 TFLOPS). */
#define HEUR_DEFAULT_BANDWIDTH_GBS 1000.0
#define HEUR_DEFAULT_BF16_TFLOPS 150.0
/* vLLM's max_num_seqs default on devices under 70 GiB (used when no GPU is known). */
#define HEUR_DEFAULT_MAX_NUM_SEQS 256

/* How weights are stored, for the speed-up factors. */
typedef enum { Q_NONE, Q_FP8, Q_INT8, Q_4BIT, Q_BNB4, Q_BNB8 } heur_quant;

static heur_quant quant_of_method(lp_quant_method m) {
    switch (m) {
    case LP_QUANT_NONE:
        return Q_NONE;
    case LP_QUANT_FP8:
    case LP_QUANT_MXFP8:
        return Q_FP8;
    case LP_QUANT_INT8:
        return Q_INT8;
    case LP_QUANT_BNB4:
        return Q_BNB4;
    case LP_QUANT_BNB8:
        return Q_BNB8;
    case LP_QUANT_GPTQ:
    case LP_QUANT_AWQ:
    case LP_QUANT_MXFP4:
    case LP_QUANT_NVFP4:
    case LP_QUANT_INT4_W4A16:
        return Q_4BIT;
    }
    return Q_NONE;
}

/* --quantization names as vLLM spells them (plus the plain dtype words a batch file may use
 * for "not quantized"). */
static lp_status quant_of_name(const char *name, heur_quant *out, lp_error *err) {
    static const struct {
        const char *name;
        heur_quant q;
    } names[] = {
        {"none", Q_NONE},         {"bf16", Q_NONE},        {"bfloat16", Q_NONE},
        {"fp16", Q_NONE},         {"float16", Q_NONE},     {"auto", Q_NONE},
        {"fp8", Q_FP8},           {"fbgemm_fp8", Q_FP8},   {"ptpc_fp8", Q_FP8},
        {"modelopt", Q_FP8},      {"mxfp8", Q_FP8},        {"fp8_e4m3", Q_FP8},
        {"int8", Q_INT8},         {"w8a8", Q_INT8},        {"experts_int8", Q_INT8},
        {"gptq", Q_4BIT},         {"gptq_marlin", Q_4BIT}, {"awq", Q_4BIT},
        {"awq_marlin", Q_4BIT},   {"marlin", Q_4BIT},      {"int4", Q_4BIT},
        {"w4a16", Q_4BIT},        {"mxfp4", Q_4BIT},       {"nvfp4", Q_4BIT},
        {"modelopt_fp4", Q_4BIT}, {"gguf", Q_4BIT},        {"bitsandbytes", Q_BNB4},
        {"bnb4", Q_BNB4},         {"bnb8", Q_BNB8},        {"compressed-tensors", Q_INT8},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(name, names[i].name) == 0) {
            *out = names[i].q;
            return LP_OK;
        }
    return lp_error_set(err, LP_ERR_INVALID_ARG,
                        "quantization: unknown method \"%s\" (expected none, fp8, int8, gptq, awq, "
                        "int4, mxfp4, nvfp4, bitsandbytes, ...)",
                        name);
}

static const char *quant_label(heur_quant q) {
    static const char *const labels[] = {"none (bf16/fp16)",   "fp8",
                                         "int8 W8A8",          "4-bit",
                                         "bitsandbytes 4-bit", "bitsandbytes 8-bit"};
    return labels[q];
}

static double quant_decode_factor(heur_quant q) {
    switch (q) {
    case Q_FP8:
        return HEUR_Q_FP8_DECODE;
    case Q_INT8:
        return HEUR_Q_INT8_DECODE;
    case Q_4BIT:
        return HEUR_Q_4BIT_DECODE;
    case Q_BNB4:
        return HEUR_Q_BNB4_DECODE;
    case Q_BNB8:
        return HEUR_Q_BNB8_DECODE;
    case Q_NONE:
        break;
    }
    return 1.0;
}

/* Interconnect between the TP ranks: the one given, else the GPU's own link. The network
 * between nodes does not touch this method's TP (it stays in a node), except ethernet for a
 * replica in one node: ranks in separate containers over TCP, where every all-reduce pays
 * ~100 us (src/hw/link.c), about a third of a small model's step. */
static void link_of(const lp_cluster *c, double *eff, const char **label) {
    if (c->inter_node_link_given && c->inter_node_link == LP_LINK_ETHERNET) {
        *eff = HEUR_TP_EFF_TCP;
        *label = "TCP between ranks (given)";
        return;
    }
    const bool given = c->intra_node_link_given;
    switch (lp_cluster_intra_node_link(c)) {
    case LP_LINK_NVLINK:
    case LP_LINK_INFINITY_FABRIC:
    case LP_LINK_ROCE: /* Gaudi's on-die RoCE links form the scale-up fabric */
        *eff = HEUR_TP_EFF_NVLINK;
        *label = given ? "NVLink (given)" : "the GPU's fast scale-up link (from the GPU table)";
        return;
    case LP_LINK_PCIE:
        *eff = HEUR_TP_EFF_PCIE;
        *label = given ? "PCIe (given)" : "PCIe (from the GPU table)";
        return;
    case LP_LINK_ETHERNET:
    case LP_LINK_INFINIBAND:
    case LP_LINK_UNKNOWN:
        break;
    }
    *eff = HEUR_TP_EFF_UNKNOWN;
    *label = given ? "unknown (given)" : "unknown";
}

/* Everything the per-concurrency formulas need, per replica. */
typedef struct {
    double r1;        /* single-stream decode tokens/s, all factors applied */
    double growth;    /* relative step-time growth per extra stream in a micro-batch */
    double pp;        /* pipeline stages */
    double prefill;   /* prefill tokens/s */
    double in_tokens; /* mean prompt tokens */
    double out_tokens;
    /* the memory-bandwidth ceiling (model and GPU known; 0 otherwise): one decode step
     * cannot be shorter than reading the weights and the batch's KV at peak bandwidth */
    double ceiling_weight_s;     /* weights of the replica / its peak bandwidth */
    double ceiling_kv_s_per_req; /* one request's mean KV read / that bandwidth */
} heur_model;

static double per_stream_tok_s(const heur_model *h, double c) {
    double b = c / h->pp > 1.0 ? c / h->pp : 1.0;
    double rate = h->r1 / (1.0 + h->growth * (b - 1.0));
    double floor_s = h->ceiling_weight_s + (c > 1.0 ? c : 1.0) * h->ceiling_kv_s_per_req;
    if (floor_s > 0 && rate * floor_s > 1.0)
        rate = 1.0 / floor_s;
    return rate;
}

static double e2el_s(const heur_model *h, double c) {
    double out_after_first = h->out_tokens > 1.0 ? h->out_tokens - 1.0 : 0.0;
    return h->in_tokens / h->prefill + out_after_first / per_stream_tok_s(h, c);
}

/* Mean running requests per replica under Poisson arrivals at rate (Little's law,
 * c = rate x e2el(c)). e2el grows with c, so c - rate x e2el(c) has one root: bisect for it.
 * Returns false when the rate exceeds what cap concurrent requests can serve (*c = cap). */
static bool concurrency_for_rate(const heur_model *h, double rate, double cap, double *c) {
    if (cap - rate * e2el_s(h, cap) < 0) {
        *c = cap;
        return false;
    }
    double lo = 0.0, hi = cap;
    for (int i = 0; i < 200 && hi - lo > 1e-12 * (1.0 + hi); i++) {
        double mid = 0.5 * (lo + hi);
        if (mid - rate * e2el_s(h, mid) < 0)
            lo = mid;
        else
            hi = mid;
    }
    *c = 0.5 * (lo + hi);
    return true;
}

static void set_stat(lp_stat *s, double mean_ms) {
    s->mean = s->median = mean_ms;
    s->p90 = s->p99 = NAN;
}

/* KV capacity of one replica for the workload, from vLLM's start-up arithmetic. */
static lp_status kv_limit(const lp_model *model, const lp_gpu *gpu, const lp_serving *s,
                          double tokens_per_request, double *max_requests, int *max_num_seqs,
                          lp_quant_method *quant, double *weight_bytes, double *kv_bytes_per_token,
                          lp_perf_estimate *out, lp_error *err) {
    static _Thread_local lp_mem_plan plan;
    lp_status st = lp_mem_plan_compute(model, gpu, s, &plan, err);
    if (st != LP_OK)
        return st;
    if (!plan.fits)
        return lp_mem_plan_infeasible(&plan, err);
    *max_num_seqs = plan.max_num_seqs;
    *quant = plan.quant.method;
    *weight_bytes = 0.0;
    for (int i = 0; i < plan.n_ranks; i++)
        *weight_bytes += plan.ranks[i].weights_bytes * plan.tp;
    *kv_bytes_per_token = plan.kv_bytes_per_token;
    double by_kv = (double)plan.kv_tokens / tokens_per_request;
    *max_requests = by_kv < plan.max_num_seqs ? by_kv : plan.max_num_seqs;
    lp_perf_assume(out,
                   "max concurrent requests: %lld KV tokens per replica / %.0f tokens per request "
                   "(vLLM start-up arithmetic), max-num-seqs %d",
                   (long long)plan.kv_tokens, tokens_per_request, plan.max_num_seqs);
    return LP_OK;
}

lp_status lp_perf_heuristic(const lp_perf_request *req, const lp_model *model, const lp_gpu *gpu,
                            lp_perf_estimate *out, lp_error *err) {
    lp_status st;
    out->method = LP_HEURISTIC;

    /* ---- size ---- */
    double params_b = req->params_b;
    if (model && model->params_active > 0) {
        params_b = (double)model->params_active / 1e9;
        if (model->params_active < model->params_total)
            lp_perf_assume(out,
                           "MoE: size scaling uses the %.2f B parameters active per token (of "
                           "%.2f B in all)",
                           params_b, (double)model->params_total / 1e9);
    }
    if (!(params_b > 0.0) || params_b > 1e5)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "params_b: expected a positive number of billions of parameters");

    /* ---- parallelism ---- */
    const lp_serving *sv = &req->serving;
    int tp = sv->tensor_parallel_size > 0 ? sv->tensor_parallel_size : 1;
    int pp = sv->pipeline_parallel_size > 0 ? sv->pipeline_parallel_size : 1;
    int dp = sv->data_parallel_size > 0 ? sv->data_parallel_size : 1;
    if (tp > 1024 || pp > 1024 || dp > 1024 || sv->tensor_parallel_size < 0 ||
        sv->pipeline_parallel_size < 0 || sv->data_parallel_size < 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "parallel sizes must be between 1 and 1024 (tp %d, pp %d, dp %d)",
                            sv->tensor_parallel_size, sv->pipeline_parallel_size,
                            sv->data_parallel_size);
    if (req->cluster.num_gpus < 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "num_gpus must be positive, got %d",
                            req->cluster.num_gpus);
    if (req->cluster.num_gpus > 0) {
        if (req->cluster.num_gpus % (tp * pp) != 0)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "num_gpus %d is not a multiple of tp x pp = %d",
                                req->cluster.num_gpus, tp * pp);
        dp = req->cluster.num_gpus / (tp * pp);
    }
    out->replicas = dp;

    /* ---- GPU baselines: the roofline's constants for this GPU family and engine ---- */
    lp_efficiency f =
        gpu ? lp_efficiency_for_version(gpu, sv->vllm_version) : *lp_efficiency_for(NULL);
    double bw_gbs = gpu ? gpu->bandwidth_gbs : 0.0;
    double tflops = gpu ? (gpu->bf16_tflops > 0 ? gpu->bf16_tflops : gpu->fp16_tflops) : 0.0;
    if (!gpu) {
        lp_perf_assume(out,
                       "no GPU given: default baseline of a %.0f GB/s, %.0f TFLOPS bf16 GPU with "
                       "efficiencies %.2f (memory) / %.2f (compute)",
                       HEUR_DEFAULT_BANDWIDTH_GBS, HEUR_DEFAULT_BF16_TFLOPS, f.memory_eff,
                       f.compute_eff);
    } else {
        if (!(bw_gbs > 0)) {
            bw_gbs = HEUR_DEFAULT_BANDWIDTH_GBS;
            lp_perf_assume(out, "%s: bandwidth unknown in the GPU table, default %.0f GB/s used",
                           gpu->name, bw_gbs);
        }
        if (!(tflops > 0)) {
            lp_perf_assume(out, "%s: bf16 TFLOPS unknown in the GPU table, default %.0f used",
                           gpu->name, HEUR_DEFAULT_BF16_TFLOPS);
        }
    }
    if (!(bw_gbs > 0))
        bw_gbs = HEUR_DEFAULT_BANDWIDTH_GBS;
    if (!(tflops > 0))
        tflops = HEUR_DEFAULT_BF16_TFLOPS;
    double ref_bytes = HEUR_REF_PARAMS_B * 1e9 * HEUR_REF_BYTES_PER_PARAM;
    double fixed_s =
        f.step_overhead_s + f.per_seq_overhead_s + HEUR_REF_LAYERS * f.layer_overhead_s;
    double t_one = fixed_s + ref_bytes / (f.memory_eff * bw_gbs * 1e9);
    double kv_eff = f.attn_memory_eff > 0 ? f.attn_memory_eff : f.memory_eff;
    double t_batch = t_one + (HEUR_REF_BATCH - 1.0) * f.per_seq_overhead_s +
                     HEUR_REF_BATCH * HEUR_REF_BATCH_CONTEXT * HEUR_REF_KV_BYTES_PER_TOKEN /
                         (kv_eff * bw_gbs * 1e9);
    double batch_growth = t_batch / t_one;
    double single_7b = 1.0 / t_one;
    double decode_7b = HEUR_REF_BATCH * single_7b / batch_growth;
    double prefill_7b = f.compute_eff * tflops * 1e12 / (2.0 * HEUR_REF_PARAMS_B * 1e9);
    lp_perf_assume(out,
                   "7B baseline (%s, vLLM %s): decode %.0f tok/s at batch %.0f (= %.0f / %.2f "
                   "x 1 / (%.2f ms + 14 GB / (%.2f x %.0f GB/s))), prefill %.0f tok/s (= %.2f "
                   "x %.0f TFLOPS / 14 GFLOP)",
                   f.family, f.engine, decode_7b, HEUR_REF_BATCH, HEUR_REF_BATCH, batch_growth,
                   1e3 * fixed_s, f.memory_eff, bw_gbs, prefill_7b, f.compute_eff, tflops);

    /* ---- scaling factors ---- */
    double size_f = pow(HEUR_REF_PARAMS_B / params_b, HEUR_SIZE_EXPONENT);
    lp_perf_assume(out, "model size: x%.3f = (7 / %.2f B)^%.2f", size_f, params_b,
                   HEUR_SIZE_EXPONENT);

    double link_eff = HEUR_TP_EFF_UNKNOWN;
    const char *link_label = "unknown";
    lp_cluster cluster = req->cluster;
    cluster.gpu = gpu;
    link_of(&cluster, &link_eff, &link_label);
    double tp_f = tp * pow(link_eff, log2((double)tp));
    if (tp > 1)
        lp_perf_assume(out, "tensor parallel %d over %s: x%.2f = %d x %.2f^log2(%d)", tp,
                       link_label, tp_f, tp, link_eff, tp);
    double pp_f = pow(HEUR_PP_EFF, log2((double)pp));
    if (pp > 1)
        lp_perf_assume(out,
                       "pipeline parallel %d: micro-batches of 1/%d of the requests per stage, "
                       "per-stream decode x%.2f (hand-offs, bubbles)",
                       pp, pp, pp_f);

    double in_tokens = lp_len_mean(&req->workload.input);
    double out_tokens = lp_len_mean(&req->workload.output);
    double ctx = in_tokens + 0.5 * out_tokens;
    double ctx_f = ctx > HEUR_REF_CONTEXT_TOKENS ? sqrt(HEUR_REF_CONTEXT_TOKENS / ctx) : 1.0;
    if (ctx_f < 1.0)
        lp_perf_assume(out,
                       "context: decode x%.2f = sqrt(%.0f / %.0f mean tokens in context while "
                       "decoding)",
                       ctx_f, HEUR_REF_CONTEXT_TOKENS, ctx);

    /* ---- KV capacity and the scheduler's limit (model and GPU known) ---- */
    lp_serving s = *sv;
    s.data_parallel_size = dp;
    double max_requests = NAN;
    int max_num_seqs = sv->max_num_seqs;
    lp_quant_method plan_quant = LP_QUANT_NONE;
    double weight_bytes = 0.0, kv_bytes_per_token = 0.0;
    if (model && gpu) {
        if ((st = kv_limit(model, gpu, &s, in_tokens + out_tokens, &max_requests, &max_num_seqs,
                           &plan_quant, &weight_bytes, &kv_bytes_per_token, out, err)) != LP_OK)
            return st;
    } else {
        lp_perf_assume(out, "max concurrent requests unknown: %s",
                       model ? "no GPU given (KV capacity needs its memory)"
                             : "only a parameter count given (KV capacity needs the model)");
        if (max_num_seqs <= 0) {
            int tokens;
            if (gpu)
                lp_mem_default_batch(gpu, sv->vllm_version, &tokens, &max_num_seqs);
            else
                max_num_seqs = HEUR_DEFAULT_MAX_NUM_SEQS;
        }
    }
    out->max_concurrent_requests = max_requests;

    /* ---- quantization ---- */
    heur_quant q = Q_NONE;
    if (model && gpu) {
        q = quant_of_method(plan_quant); /* as vLLM resolves it: checkpoint or --quantization */
    } else if (sv->quantization && *sv->quantization) {
        if ((st = quant_of_name(sv->quantization, &q, err)) != LP_OK)
            return st;
    } else if (model) {
        q = quant_of_method(model->quant.method);
    }
    double q_decode = quant_decode_factor(q);
    bool fp8_compute = q == Q_FP8 && lp_gpu_supports_fp8(gpu);
    double q_prefill = fp8_compute ? HEUR_Q_FP8_PREFILL : 1.0;
    if (q != Q_NONE)
        lp_perf_assume(out, "quantization %s: decode x%.2f, prefill x%.2f%s", quant_label(q),
                       q_decode, q_prefill,
                       q == Q_FP8 && !fp8_compute ? " (no FP8 tensor cores: weight-only gain)"
                                                  : "");

    /* ---- the replica's rates ---- */
    heur_model h;
    h.r1 = single_7b * size_f * tp_f * ctx_f * q_decode * pp_f;
    h.growth = (batch_growth - 1.0) / (HEUR_REF_BATCH - 1.0);
    h.pp = pp;
    h.prefill = prefill_7b * size_f * tp_f * q_prefill * pp_f;
    h.in_tokens = in_tokens;
    h.out_tokens = out_tokens;
    h.ceiling_weight_s = h.ceiling_kv_s_per_req = 0.0;
    if (weight_bytes > 0 && gpu && gpu->bandwidth_gbs > 0) {
        /* peak bandwidth of the replica's GPUs, no efficiency: a bound, not an estimate */
        double replica_bw = tp * pp * gpu->bandwidth_gbs * 1e9;
        h.ceiling_weight_s = weight_bytes / replica_bw;
        h.ceiling_kv_s_per_req = ctx * kv_bytes_per_token / replica_bw;
    }
    lp_perf_assume(out,
                   "decode step grows linearly with the batch: x%.2f at %.0f requests vs one "
                   "(per-stream rate %.1f tok/s alone)",
                   batch_growth, HEUR_REF_BATCH, h.r1);

    /* ---- concurrency per replica ---- */
    double cap = max_num_seqs > 0 ? max_num_seqs : HEUR_DEFAULT_MAX_NUM_SEQS;
    lp_bottleneck decode_bound = LP_BOUND_MEMORY;
    bool kv_bound = !isnan(max_requests) && max_requests < cap;
    if (kv_bound)
        cap = max_requests < 1.0 ? 1.0 : max_requests;
    double clients = (double)req->workload.num_prompts;
    if (req->workload.max_concurrency > 0 && req->workload.max_concurrency < clients)
        clients = req->workload.max_concurrency;
    double per_replica_clients = clients / dp;
    double c;
    double request_s;
    bool overloaded = false;
    if (req->workload.request_rate > 0 && isfinite(req->workload.request_rate)) {
        double rate = req->workload.request_rate / dp;
        double limit = per_replica_clients < cap ? per_replica_clients : cap;
        if (per_replica_clients < cap)
            kv_bound = false; /* the clients' own limit binds first */
        overloaded = !concurrency_for_rate(&h, rate, limit, &c);
        request_s = overloaded ? c / e2el_s(&h, c) : rate;
        if (overloaded)
            lp_perf_assume(out,
                           "request rate %.3g/s exceeds what %.0f concurrent requests per "
                           "replica serve (%.3g/s): requests queue",
                           req->workload.request_rate, c, dp * c / e2el_s(&h, c));
    } else {
        c = per_replica_clients;
        if (c > cap) {
            c = cap;
            overloaded = true;
            lp_perf_assume(out,
                           "%.0f requests at once per replica, %.0f run at a time: the rest "
                           "queue (TTFT here excludes the wait)",
                           per_replica_clients, cap);
        }
        request_s = c / e2el_s(&h, c);
    }
    if (overloaded) /* the running batch sits at its limit: say which limit */
        decode_bound = kv_bound ? LP_BOUND_KV_CAPACITY : LP_BOUND_QUEUEING;
    /* Compute ceiling: every prompt and every generated token costs 2 x params FLOPs, so the
     * replica cannot process more input + output tokens per second than its prefill rate. */
    double compute_cap_s = h.prefill / (in_tokens + out_tokens);
    bool compute_bound = request_s > compute_cap_s;
    if (compute_bound) {
        request_s = compute_cap_s;
        decode_bound = LP_BOUND_COMPUTE; /* decode steps share the GPU with waiting prompts */
        lp_perf_assume(out,
                       "compute ceiling: at most %.3g requests/s per replica (%.0f tokens each "
                       "at %.0f tok/s); prompts wait for compute, added to TTFT",
                       compute_cap_s, in_tokens + out_tokens, h.prefill);
    }
    double request_s_replica = request_s;
    request_s *= dp;

    /* ---- results ---- */
    double stream = per_stream_tok_s(&h, c);
    heur_model unbounded = h;
    unbounded.ceiling_weight_s = unbounded.ceiling_kv_s_per_req = 0.0;
    if (per_stream_tok_s(&unbounded, c) > stream * (1.0 + 1e-9))
        lp_perf_assume(out,
                       "decode capped at the bandwidth ceiling: each step reads %.1f GB of "
                       "weights and %.0f requests x %.0f tokens of KV at peak bandwidth",
                       weight_bytes / 1e9, c, ctx);
    double tpot_ms = 1000.0 / stream;
    double ttft_ms = 1000.0 * in_tokens / h.prefill;
    double out_after_first = out_tokens > 1.0 ? out_tokens - 1.0 : 0.0;
    if (compute_bound) {
        /* Little's law: c requests in flight completing at request_s each last c / request_s */
        double wait_ms = 1000.0 * c / request_s_replica - (ttft_ms + out_after_first * tpot_ms);
        if (wait_ms > 0)
            ttft_ms += wait_ms;
    }
    double e2el_ms = ttft_ms + out_after_first * tpot_ms;
    out->mean_batch = c;
    out->decode_tok_s = (c > 1.0 ? c : 1.0) * stream;
    out->prefill_tok_s = h.prefill;
    out->request_s = request_s;
    out->output_tok_s = request_s * out_tokens;
    out->total_tok_s = request_s * (in_tokens + out_tokens);
    set_stat(&out->ttft_ms, ttft_ms);
    set_stat(&out->tpot_ms, tpot_ms);
    set_stat(&out->itl_ms, tpot_ms);
    set_stat(&out->e2el_ms, e2el_ms);
    out->prefill_bound = LP_BOUND_COMPUTE;
    out->decode_bound = decode_bound;

    out->completed = req->workload.num_prompts;
    out->duration_s = request_s > 0 ? req->workload.num_prompts / request_s : NAN;
    lp_perf_assume(out,
                   "%.1f requests running per replica (of %d replica%s); TTFT = %.0f prompt "
                   "tokens / prefill tok/s",
                   c, dp, dp == 1 ? "" : "s", in_tokens);
    return LP_OK;
}
