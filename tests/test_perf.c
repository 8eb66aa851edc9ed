/*
 * test_perf.c - the step model and the roofline method. Expected values are worked out by hand
 * in the comments from published parameter counts (reference/model_configs.md) and datasheet
 * numbers; behavioural tests check the laws the model must obey (monotonicity, the physical
 * bandwidth limit, Little's law).
 */
#include "support/lp_test.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "llmplan/perf.h"

static lp_model model;
static lp_mem_plan plan;

static const lp_gpu *gpu(const char *name) {
    const lp_gpu *g = NULL;
    lp_error err;
    if (lp_gpu_find(lp_gpu_db_builtin(), name, &g, &err) != LP_OK)
        fail_msg("gpu %s: %s", name, err.message);
    return g;
}

static void prepare(const char *id, const char *gpu_name, int tp, lp_step_model *sm) {
    lp_error err;
    if (lp_model_load(id, NULL, &model, &err) != LP_OK)
        fail_msg("%s: %s", id, err.message);
    lp_serving s;
    lp_serving_init(&s);
    s.tensor_parallel_size = tp;
    s.max_model_len = 8192;
    if (lp_mem_plan_compute(&model, gpu(gpu_name), &s, &plan, &err) != LP_OK)
        fail_msg("plan: %s", err.message);
    lp_cluster cluster;
    lp_cluster_init(&cluster, gpu(gpu_name));
    if (lp_step_model_init(&model, &cluster, &plan, sm, NULL, &err) != LP_OK)
        fail_msg("step model: %s", err.message);
}

/* Llama-3.1-8B, bf16, one GPU. From model_configs.md §5: 8,030,261,248 parameters; the
 * embedding and the lm_head are 128,256 x 4,096 = 525,336,576 each; norms 32 x 2 x 4096 + 4096
 * = 266,240. A decode step streams everything but the embedding (a gather) and the final
 * norm (4,096 x 2 B, negligible, not modelled): 16,060,522,496 - 1,050,673,152 - 8,192 =
 * 15,009,841,152 B. Linear FLOPs per token: 2 x (8,030,261,248
 * - 2 x 525,336,576 - 266,240) = 13,958,643,712; lm_head 2 x 525,336,576 per sampled token;
 * attention 32 layers x 2 x 32 heads x (128 + 128) = 524,288 FLOPs per (query, key) pair;
 * KV 131,072 B per token (§3). */
static void test_step_model_llama8b(void **state) {
    (void)state;
    lp_step_model sm;
    prepare("meta-llama/Llama-3.1-8B-Instruct", "H100", 1, &sm);
    lp_assert_near(sm.weight_bytes, 15009841152.0, 1.0);
    lp_assert_near(sm.linear_flops_per_token, 13958643712.0, 1.0);
    lp_assert_near(sm.lm_head_flops_per_token, 1050673152.0, 1.0);
    lp_assert_near(sm.attn_flops_per_ctx, 524288.0, 0.0);
    lp_assert_near(sm.kv_bytes_per_token, 131072.0, 0.0);
    /* H100 SXM datasheet: 3,350 GB/s, 989.5 TFLOPS dense bf16 */
    lp_assert_near(sm.bandwidth, 3350e9, 1.0);
    lp_assert_near(sm.peak_flops, 989.5e12, 1e6);
    assert_int_equal(sm.tp, 1);
    lp_assert_near(sm.allreduces_per_step, 0.0, 0.0);
}

/* A decode step of one request with an empty cache streams the weights (the FLOPs are
 * negligible: sqrt(c^2 + m^2) differs from m by less than 1e-4 here) and samples one token over
 * the 128,256 logits (48 bytes per logit), plus the floors of 32 layers and the host overhead. */
static void test_decode_step_is_memory_bound(void **state) {
    (void)state;
    lp_step_model sm;
    prepare("meta-llama/Llama-3.1-8B-Instruct", "H100", 1, &sm);
    lp_step_batch b = {1, 0, 0, 0, 0};
    lp_step_time t;
    lp_step_eval(&sm, &b, &t);
    assert_int_equal(t.bound, LP_BOUND_MEMORY);
    double rate = sm.bandwidth * sm.eff.memory_eff;
    double expect = 15009841152.0 / rate + 128256.0 * 48.0 / rate;
    lp_assert_near(t.memory_s, expect, expect * 1e-4);
    lp_assert_near(sm.layers, 32.0, 0.0);
    lp_assert_near(t.launch_s, 32.0 * sm.eff.layer_overhead_s, 1e-12);
    lp_assert_near(t.total_s, t.memory_s + t.compute_s + t.launch_s + t.host_s, 1e-12);
    /* a full prefill chunk of 8192 tokens is compute bound */
    lp_step_batch p = {0, 0, 8192, 8192.0 * 4096, 1};
    lp_step_eval(&sm, &p, &t);
    assert_int_equal(t.bound, LP_BOUND_COMPUTE);
}

/* Where compute time equals memory time an operator costs sqrt(2) of either (measured GEMMs
 * near the ridge point are that much slower than max(c, m)); far from it, the larger. Hand-built
 * model: 1e9 B at 1e12 B/s = 1 ms; 1e12 FLOPs at 1e15 FLOPS = 1 ms per 1000 tokens. */
static void test_ridge_norm(void **state) {
    (void)state;
    lp_step_model sm;
    memset(&sm, 0, sizeof sm);
    sm.weight_bytes = 1e9;
    sm.bandwidth = 1e12;
    sm.peak_flops = 1e15;
    sm.linear_flops_per_token = 1e9;
    sm.eff.compute_eff = sm.eff.memory_eff = 1.0;
    sm.eff.ridge_norm = 2.0;
    sm.tp = 1;
    sm.pp_stages = 1;
    lp_step_batch b = {0, 0, 1000, 0, 0};
    lp_step_time t;
    lp_step_eval(&sm, &b, &t);
    lp_assert_near(t.total_s, sqrt(2.0) * 1e-3, 1e-12);
    lp_step_batch big = {0, 0, 10000, 0, 0}; /* c = 10 ms, m = 1 ms */
    lp_step_eval(&sm, &big, &t);
    lp_assert_near(t.total_s, sqrt(100.0 + 1.0) * 1e-3, 1e-12);
    sm.eff.ridge_norm = 0; /* max(c, m) */
    lp_step_eval(&sm, &b, &t);
    lp_assert_near(t.total_s, 1e-3, 1e-12);
}

/* Without CUDA graphs the host launches every kernel: a small model's layers cost at least the
 * launch time. Qwen2.5-0.5B (24 layers, ~0.99 GB streamed) on an H100 decodes in well under
 * 24 x 108 us of launches. */
static void test_enforce_eager(void **state) {
    (void)state;
    lp_error err;
    if (lp_model_load("Qwen/Qwen2.5-0.5B", NULL, &model, &err) != LP_OK)
        fail_msg("%s", err.message);
    lp_serving s;
    lp_serving_init(&s);
    s.max_model_len = 4096;
    s.enforce_eager = true;
    if (lp_mem_plan_compute(&model, gpu("H100"), &s, &plan, &err) != LP_OK)
        fail_msg("plan: %s", err.message);
    lp_step_model sm;
    lp_cluster cluster;
    lp_cluster_init(&cluster, gpu("H100"));
    if (lp_step_model_init(&model, &cluster, &plan, &sm, NULL, &err) != LP_OK)
        fail_msg("step model: %s", err.message);
    assert_true(sm.eager);
    lp_step_batch b = {1, 100, 0, 0, 0};
    lp_step_time eager, graph;
    lp_step_eval(&sm, &b, &eager);
    lp_assert_near(eager.compute_s + eager.memory_s + eager.launch_s, 24.0 * sm.eff.eager_layer_s,
                   1e-12);
    assert_int_equal(eager.bound, LP_BOUND_HOST);
    sm.eager = false;
    lp_step_eval(&sm, &b, &graph);
    assert_true(graph.total_s < eager.total_s);
    /* graphs cover a batch up to the engine's capture size; beyond it the step is eager */
    lp_step_batch big = {(double)sm.eff.graph_max_batch + 1, 100.0 * 600, 0, 0, 0};
    lp_step_eval(&sm, &big, &eager);
    assert_true(eager.compute_s + eager.memory_s + eager.launch_s >=
                24.0 * sm.eff.eager_layer_s - 1e-12);
}

/* The engine era follows the release: V0 before 0.8.0 (decode graphs up to batch 256 and
 * context 8192), V1 from 0.8.0 on (512), the family's GPU fractions unchanged. */
static void test_engine_era(void **state) {
    (void)state;
    lp_efficiency v0 = lp_efficiency_for_version(gpu("A100 80GB SXM"), LP_VLLM_VERSION(0, 6, 3));
    lp_efficiency v1 = lp_efficiency_for_version(gpu("A100 80GB SXM"), LP_VLLM_VERSION(0, 8, 5));
    assert_string_equal(v0.engine, "V0");
    assert_string_equal(v1.engine, "V1");
    assert_int_equal(v0.graph_max_batch, 256);
    assert_int_equal(v0.graph_max_context, 8192);
    assert_int_equal(v1.graph_max_batch, 512);
    assert_int_equal(v1.graph_max_context, 0);
    lp_assert_near(v0.memory_eff, v1.memory_eff, 0.0);
    assert_string_equal(v0.family, lp_efficiency_for(gpu("A100 80GB SXM"))->family);
    lp_efficiency amd = lp_efficiency_for_version(gpu("MI300X"), 0);
    assert_string_equal(amd.family, "amd-cdna");
    assert_string_equal(amd.engine, "V1 (ROCm)");
}

/* Mixtral-8x7B, one request: top-2 of 8 experts per layer, so a step reads 2 experts in each
 * of 32 layers: expected distinct experts 8 x (1 - (1 - 2/8)^1) = 2. One expert is
 * 3 x 4096 x 14336 = 176,160,768 parameters = 352,321,536 B in bf16 (TP=1). */
static void test_moe_expert_traffic(void **state) {
    (void)state;
    lp_step_model sm;
    prepare("mistralai/Mixtral-8x7B-v0.1", "H200", 1, &sm);
    lp_assert_near(sm.expert_bytes, 352321536.0, 1.0);
    lp_assert_near(sm.moe_layers, 32.0, 0.0);
    lp_step_batch one = {1, 0, 0, 0, 0}, many = {256, 0, 0, 0, 0};
    lp_step_time t1, t2;
    lp_step_eval(&sm, &one, &t1);
    double rate = sm.bandwidth * sm.eff.memory_eff;
    double expect = sm.weight_bytes / rate +
                    32.0 * 2.0 * 352321536.0 / (rate * sm.eff.moe_memory_share) +
                    32000.0 * 48.0 / rate;
    lp_assert_near(t1.memory_s, expect, expect * 1e-4);
    /* MoE layers add their routing floor to the dense layer floor */
    lp_assert_near(t1.launch_s, 32.0 * (sm.eff.layer_overhead_s + sm.eff.moe_layer_overhead_s),
                   1e-12);
    /* 256 tokens touch essentially all 8 experts: 4x the expert traffic of one token */
    lp_step_eval(&sm, &many, &t2);
    assert_true(t2.memory_s + t2.compute_s > t1.memory_s * 1.5);
}

/* Expert parallelism: each of R ranks holds E/R experts and the step waits for the most
 * touched one. 128 experts, top-8, 8 ranks (16 each), one token: p = 8/128 per expert, mean
 * 1 expert per rank, sd sqrt(16 x 0.0625 x 0.9375) = 0.968, expected maximum 1 + 0.968 x
 * sqrt(2 ln 8) = 2.974 experts read on the slowest rank (not the mean of 1). */
static void test_expert_parallel_imbalance(void **state) {
    (void)state;
    lp_step_model sm;
    memset(&sm, 0, sizeof sm);
    sm.bandwidth = 1e12;
    sm.peak_flops = 1e15;
    sm.eff.compute_eff = sm.eff.memory_eff = 1.0;
    sm.eff.moe_memory_share = 1.0;
    sm.tp = 1;
    sm.pp_stages = 1;
    sm.moe_layers = 1;
    sm.experts_total = 128;
    sm.topk = 8;
    sm.experts = 16;
    sm.ep_ranks = 8;
    sm.expert_bytes = 1e9;
    lp_step_batch b = {1, 0, 0, 0, 0};
    lp_step_time t;
    lp_step_eval(&sm, &b, &t);
    double expect = (1.0 + sqrt(16 * 0.0625 * 0.9375) * sqrt(2.0 * log(8.0))) * 1e-3;
    lp_assert_near(t.memory_s, expect, 1e-9);
}

/* TP=2: two all-reduces per layer (attention output and MLP output), each paying the family's
 * latency. Llama-3.1-70B has 80 layers: 160 per step. */
static void test_tensor_parallel_comm(void **state) {
    (void)state;
    lp_step_model sm;
    prepare("meta-llama/Llama-3.1-70B-Instruct", "H100", 4, &sm);
    lp_assert_near(sm.allreduces_per_step, 160.0, 0.0);
    lp_step_batch b = {1, 0, 0, 0, 0};
    lp_step_time t;
    lp_step_eval(&sm, &b, &t);
    assert_true(t.comm_s >= 160 * sm.eff.allreduce_latency_s);
}

static lp_perf_estimate est;

static void roofline(const char *id, const char *g, int tp, double in, double out, int n, int conc,
                     double rate) {
    lp_perf_request r;
    lp_perf_request_init(&r);
    r.model_id = id;
    r.gpu_name = g;
    r.serving.tensor_parallel_size = tp;
    r.serving.max_model_len = 8192;
    r.workload.input = lp_len_fixed(in);
    r.workload.output = lp_len_fixed(out);
    r.workload.num_prompts = n;
    r.workload.max_concurrency = conc;
    r.workload.request_rate = rate;
    r.method = LP_ROOFLINE;
    if (lp_estimate_performance(&r, &est) != LP_OK)
        fail_msg("estimate: %s", est.error);
}

/* One client at a time: E2E = TTFT + (out - 1) x TPOT and the request rate is 1 / E2E. */
static void test_roofline_single_client(void **state) {
    (void)state;
    roofline("meta-llama/Llama-3.1-8B-Instruct", "H100", 1, 1024, 256, 100, 1, 0);
    assert_true(est.valid);
    lp_assert_near(est.e2el_ms.mean, est.ttft_ms.mean + 255 * est.tpot_ms.mean, 1e-6);
    lp_assert_near(est.request_s, 1000.0 / est.e2el_ms.mean, 1e-9);
    lp_assert_near(est.output_tok_s, est.request_s * 256, 1e-6);
    assert_true(isnan(est.ttft_ms.p99)); /* percentiles need the simulation */
    assert_true(est.n_assumptions >= 3);
}

/* More concurrency: more throughput, slower tokens (never faster). */
static void test_roofline_monotone(void **state) {
    (void)state;
    double prev_tput = 0, prev_tpot = 0;
    const int conc[] = {1, 4, 16, 64, 256};
    for (size_t i = 0; i < sizeof conc / sizeof conc[0]; i++) {
        roofline("meta-llama/Llama-3.1-8B-Instruct", "H100", 1, 1024, 256, 2000, conc[i], 0);
        assert_true(est.output_tok_s > prev_tput);
        assert_true(est.tpot_ms.mean >= prev_tpot);
        prev_tput = est.output_tok_s;
        prev_tpot = est.tpot_ms.mean;
    }
}

/* The physical limit: decode tokens/s of a batch B can never exceed
 * B x bandwidth / (weights + B x context x KV bytes per token) (each step reads the weights
 * and every request's KV cache once at peak bandwidth). */
static void test_roofline_physical_limit(void **state) {
    (void)state;
    lp_step_model sm;
    prepare("meta-llama/Llama-3.1-8B-Instruct", "H100", 1, &sm);
    roofline("meta-llama/Llama-3.1-8B-Instruct", "H100", 1, 1024, 1024, 5000, 0, 0);
    double b = est.mean_batch, ctx = 1024 + 512;
    double limit = b * sm.bandwidth / (16060522496.0 + b * ctx * 131072.0);
    assert_true(est.output_tok_s <= limit);
    assert_true(est.decode_tok_s <= limit);
}

/* Poisson arrivals below capacity: the deployment serves the offered rate. */
static void test_roofline_rate(void **state) {
    (void)state;
    roofline("meta-llama/Llama-3.1-8B-Instruct", "H100", 1, 512, 128, 500, 0, 2.0);
    lp_assert_near(est.request_s, 2.0, 1e-9);
    /* Little's law: mean running requests = rate x E2E */
    lp_assert_near(est.mean_batch, 2.0 * est.e2el_ms.mean / 1000.0, 0.05 * est.mean_batch);
    assert_int_not_equal(est.prefill_bound, LP_BOUND_QUEUEING);
    /* far above capacity: queueing */
    roofline("meta-llama/Llama-3.1-8B-Instruct", "H100", 1, 512, 128, 500, 0, 10000.0);
    assert_int_equal(est.prefill_bound, LP_BOUND_QUEUEING);
    assert_true(est.request_s < 10000.0);
}

/*
 * Board power. NVIDIA's H100 datasheet: the SXM part does 989.5 dense bf16 TFLOPS at 700 W, the
 * PCIe part 756 (756.5 in its table) at 350 W. At the same work per joule the PCIe part
 * sustains at most 989.5 x 350 / 700 = 494.75 TFLOPS, 494.75 / 756.5 = 0.6540 of its own
 * peak; the SXM part is the reference (1). A compute-bound prefill step takes about 1 / 0.654 =
 * 1.53 times as long (less: the step's host and layer overheads do not scale); a decode step,
 * bound by memory bandwidth, keeps its time.
 */
static void test_power_share(void **state) {
    (void)state;
    lp_assert_near(lp_efficiency_for_version(gpu("H100 PCIe"), 0).power_share, 0.6540, 1e-3);
    lp_assert_near(lp_efficiency_for_version(gpu("H100 SXM"), 0).power_share, 1.0, 1e-12);
    lp_step_model sm;
    prepare("meta-llama/Llama-3.1-8B-Instruct", "H100 PCIe", 1, &sm);
    lp_step_batch prefill = {0, 0, 8192, 8192 * 4096.0, 4}, decode = {32, 32 * 1000.0, 0, 0, 0};
    lp_step_time capped, free_run, dec_capped, dec_free;
    lp_step_eval(&sm, &prefill, &capped);
    lp_step_eval(&sm, &decode, &dec_capped);
    sm.eff.power_share = 1.0;
    lp_step_eval(&sm, &prefill, &free_run);
    lp_step_eval(&sm, &decode, &dec_free);
    double ratio = capped.total_s / free_run.total_s;
    assert_true(ratio > 1.3 && ratio < 1.0 / 0.654 + 1e-9);
    lp_assert_near(dec_capped.total_s, dec_free.total_s, 0.02 * dec_free.total_s);
}

/* One run of 100 prompts of 2,000 tokens (100 out) on Llama-3.1-8B, H100, at 1 req/s, cold or
 * right after the same prompts ran (vLLM >= 0.8 caches prefixes). */
static void warm_run(lp_method method, double gmu, bool warm, lp_perf_estimate *out) {
    lp_perf_request r;
    lp_perf_request_init(&r);
    r.model_id = "meta-llama/Llama-3.1-8B-Instruct";
    r.gpu_name = "H100";
    r.serving.max_model_len = 8192;
    r.serving.gpu_memory_utilization = gmu;
    r.workload.input = lp_len_fixed(2000);
    r.workload.output = lp_len_fixed(100);
    r.workload.num_prompts = 100;
    r.workload.request_rate = 1.0;
    r.workload.warm_prefix_cache = warm;
    r.method = method;
    if (lp_estimate_performance(&r, out) != LP_OK)
        fail_msg("estimate: %s", out->error);
}

/*
 * A repeated run finds its prompts in the prefix cache when the pool held the whole earlier
 * run: 100 x 2,100 tokens = 210,000, at 128 KiB per token 25.6 GiB, inside the ~53 GiB pool an
 * H100 has for Llama-3.1-8B at 0.9 (0.9 x 79.18 less 15 GiB of weights, ~2.6 GiB else). Each prompt
 * then prefills only its last partial block (1999 = 124 x 16 + 15: 16 tokens, as
 * get_computed_blocks keeps the last token out), so the first token comes after about one
 * decode-sized step instead of a 2,000-token prefill (32 TFLOP, over 40 ms). At
 * --gpu-memory-utilization 0.35 the pool (0.35 x 79.18 = 27.7 GiB less the same ~17.6 GiB: ~10 GiB,
 * ~83,000 tokens) holds less than half the run: the LRU free queue evicts each cached prompt before
 * its turn comes, and TTFT is the cold one.
 */
static void test_warm_prefix_cache(void **state) {
    (void)state;
    const lp_method methods[] = {LP_ROOFLINE, LP_SIMULATE};
    for (size_t i = 0; i < 2; i++) {
        lp_perf_estimate cold, warm;
        warm_run(methods[i], 0.9, false, &cold);
        warm_run(methods[i], 0.9, true, &warm);
        assert_true(warm.ttft_ms.median < 0.6 * cold.ttft_ms.median);
        warm_run(methods[i], 0.35, false, &cold);
        warm_run(methods[i], 0.35, true, &warm);
        lp_assert_near(warm.ttft_ms.median, cold.ttft_ms.median, 0.02 * cold.ttft_ms.median);
    }
}

/* An fp8 KV cache reads half the bytes per token: long-context decode gets faster. */
static void test_fp8_kv_faster(void **state) {
    (void)state;
    lp_perf_request r;
    lp_perf_request_init(&r);
    r.model_id = "meta-llama/Llama-3.1-8B-Instruct";
    r.gpu_name = "H100";
    r.workload.input = lp_len_fixed(16000);
    r.workload.output = lp_len_fixed(1000);
    r.workload.max_concurrency = 8;
    r.workload.num_prompts = 64;
    lp_perf_estimate a, b;
    assert_int_equal(lp_estimate_performance(&r, &a), LP_OK);
    r.serving.kv_cache_dtype = LP_DTYPE_FP8;
    assert_int_equal(lp_estimate_performance(&r, &b), LP_OK);
    assert_true(b.tpot_ms.mean < a.tpot_ms.mean);
}

/* Bad requests are invalid estimates with a reason; a batch goes on past them. */
static void test_invalid_and_batch(void **state) {
    (void)state;
    lp_perf_request r[3];
    for (int i = 0; i < 3; i++) {
        lp_perf_request_init(&r[i]);
        r[i].model_id = "meta-llama/Llama-3.1-8B-Instruct";
        r[i].gpu_name = "H100";
    }
    r[1].gpu_name = "H1000";                             /* unknown GPU */
    r[2].model_id = "meta-llama/Llama-3.1-70B-Instruct"; /* does not fit one GPU */
    lp_perf_estimate out[3];
    assert_int_equal(lp_estimate_performance_batch(r, 3, out), 1);
    assert_true(out[0].valid);
    assert_false(out[1].valid);
    assert_non_null(strstr(out[1].error, "H1000"));
    assert_false(out[2].valid);
    assert_non_null(strstr(out[2].error, "does not fit"));
    lp_perf_request bad;
    lp_perf_request_init(&bad);
    bad.model_id = "meta-llama/Llama-3.1-8B-Instruct";
    bad.gpu_name = "H100";
    bad.workload.input = lp_len_fixed(0);
    assert_int_equal(lp_estimate_performance(&bad, &out[0]), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(out[0].error, "input length"));
}

/* DeepSeek-V3.2's sparse attention (vLLM deepseek_v2.py Indexer + FlashMLA sparse): each query
 * attends to index_topk = 2048 latents, and the indexer scores every cached token with 64 heads
 * of 128 over a 132-byte K cache, in each of 61 layers: 61 x 132 = 8,052 B and 61 x 2 x 64 x 128
 * = 999,424 FLOPs per cached token. Decoding 8 requests of 32,768 tokens, DeepSeek-V3.1 (same
 * weights, dense MLA) reads 8 x 32,768 x 61 x 576 x 2 B = 18.4 GB of latents per step on every
 * rank; V3.2 reads 8 x 2,048 of them (1.15 GB) plus 8 x 32,768 x 8,052 B (2.1 GB) of index keys:
 * its step must be shorter. At 1,024 tokens the index keys add 66 MB to ~90 GB of weights per
 * step across the 8 ranks: the two steps must agree within 2 %. */
static void test_sparse_attention_v32(void **state) {
    (void)state;
    lp_step_model dense, sparse;
    prepare("deepseek-ai/DeepSeek-V3.1", "H200", 8, &dense);
    prepare("deepseek-ai/DeepSeek-V3.2", "H200", 8, &sparse);
    lp_assert_near(sparse.window, 2048, 0);
    lp_assert_near(sparse.window_fraction, 1.0, 1e-12);
    lp_assert_near(sparse.indexer_bytes_per_token, 8052, 0);
    lp_assert_near(sparse.indexer_flops_per_ctx, 999424, 0);
    lp_assert_near(dense.indexer_bytes_per_token, 0, 0);
    lp_step_batch longc = {8, 8 * 32768.0, 0, 0, 0}, shortc = {8, 8 * 1024.0, 0, 0, 0};
    lp_step_time td, ts;
    lp_step_eval(&dense, &longc, &td);
    lp_step_eval(&sparse, &longc, &ts);
    assert_true(ts.total_s < td.total_s);
    lp_step_eval(&dense, &shortc, &td);
    lp_step_eval(&sparse, &shortc, &ts);
    assert_true(fabs(ts.total_s / td.total_s - 1.0) < 0.02);
}

/* Mamba state traffic (Nemotron-3-Nano, 23 Mamba2 layers, TP 1): one request's state per layer is
 * the conv state 3 x (4096 + 2 x 8 x 128) x 2 B = 36,864 plus the SSM state 64 heads x 64 x 128
 * x 4 B (mamba_ssm_cache_dtype float32) = 2,097,152 -> 2,134,016 B, 49,082,368 B over the 23
 * layers. vLLM's decode kernels read it and write it back every step, so 1,024 decoding requests
 * move 2 x 1,024 x 49,082,368 = 100.5 GB a step: the step's memory time must cover that on top
 * of the weights (the measured TPOT at 1,024 in flight on H200 is 59 ms). */
static void test_mamba_state_traffic(void **state) {
    (void)state;
    lp_step_model sm;
    prepare("nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16", "H200", 1, &sm);
    lp_assert_near(sm.mamba_state_bytes_per_seq, 49082368.0, 0.0);
    lp_step_batch b = {1024, 1024 * 1024.0, 0, 0, 0};
    lp_step_time t;
    lp_step_eval(&sm, &b, &t);
    double state_s = 2.0 * 1024 * 49082368.0 / (sm.bandwidth * sm.eff.memory_eff);
    assert_true(t.memory_s > state_s + sm.weight_bytes / (sm.bandwidth * sm.eff.memory_eff));
    /* a transformer without such layers moves no state */
    lp_step_model dense;
    prepare("meta-llama/Llama-3.1-8B-Instruct", "H100", 1, &dense);
    lp_assert_near(dense.mamba_state_bytes_per_seq, 0.0, 0.0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_model_llama8b),
        cmocka_unit_test(test_decode_step_is_memory_bound),
        cmocka_unit_test(test_ridge_norm),
        cmocka_unit_test(test_enforce_eager),
        cmocka_unit_test(test_engine_era),
        cmocka_unit_test(test_expert_parallel_imbalance),
        cmocka_unit_test(test_moe_expert_traffic),
        cmocka_unit_test(test_tensor_parallel_comm),
        cmocka_unit_test(test_roofline_single_client),
        cmocka_unit_test(test_roofline_monotone),
        cmocka_unit_test(test_roofline_physical_limit),
        cmocka_unit_test(test_roofline_rate),
        cmocka_unit_test(test_power_share),
        cmocka_unit_test(test_warm_prefix_cache),
        cmocka_unit_test(test_fp8_kv_faster),
        cmocka_unit_test(test_invalid_and_batch),
        cmocka_unit_test(test_sparse_attention_v32),
        cmocka_unit_test(test_mamba_state_traffic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
