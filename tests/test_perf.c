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

/* A decode step of one request with an empty cache is the weights over the bandwidth (the
 * FLOPs are negligible) plus the host overhead. */
static void test_decode_step_is_memory_bound(void **state) {
    (void)state;
    lp_step_model sm;
    prepare("meta-llama/Llama-3.1-8B-Instruct", "H100", 1, &sm);
    lp_step_batch b = {1, 0, 0, 0, 0};
    lp_step_time t;
    lp_step_eval(&sm, &b, &t);
    assert_int_equal(t.bound, LP_BOUND_MEMORY);
    double expect = sm.weight_bytes / (sm.bandwidth * sm.eff.memory_eff);
    lp_assert_near(t.memory_s, expect, expect * 1e-9);
    lp_assert_near(t.total_s, t.memory_s + t.compute_s + t.host_s, 1e-12);
    /* a full prefill chunk of 8192 tokens is compute bound */
    lp_step_batch p = {0, 0, 8192, 8192.0 * 4096, 1};
    lp_step_eval(&sm, &p, &t);
    assert_int_equal(t.bound, LP_BOUND_COMPUTE);
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
    double expect =
        (sm.weight_bytes + 32.0 * 2.0 * 352321536.0) / (sm.bandwidth * sm.eff.memory_eff);
    lp_assert_near(t1.memory_s, expect, expect * 1e-9);
    /* 256 tokens touch essentially all 8 experts: 4x the expert traffic of one token */
    lp_step_eval(&sm, &many, &t2);
    assert_true(t2.memory_s + t2.compute_s > t1.memory_s * 1.5);
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_model_llama8b),
        cmocka_unit_test(test_decode_step_is_memory_bound),
        cmocka_unit_test(test_moe_expert_traffic),
        cmocka_unit_test(test_tensor_parallel_comm),
        cmocka_unit_test(test_roofline_single_client),
        cmocka_unit_test(test_roofline_monotone),
        cmocka_unit_test(test_roofline_physical_limit),
        cmocka_unit_test(test_roofline_rate),
        cmocka_unit_test(test_fp8_kv_faster),
        cmocka_unit_test(test_invalid_and_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
