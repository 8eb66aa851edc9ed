/*
 * test_heuristic.c - the heuristic method (DESIGN §3): the scaling laws it must obey (size
 * exponent 0.85, TP efficiency ordered NVLink > PCIe > unknown, monotone context degradation,
 * quantization speed-ups), TTFT = prompt tokens /
 * prefill tok/s, the default baseline for an unknown GPU, and baselines ordered as the GPUs'
 * datasheet bandwidths (H100 SXM 3,350 GB/s, A100 80GB SXM 2,039 GB/s: NVIDIA datasheets, as
 * quoted in reference/gpu_specs.tsv).
 */
#include "support/lp_test.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "perf/perf_internal.h"

static const lp_gpu *gpu(const char *name) {
    const lp_gpu *g = NULL;
    lp_error err;
    if (lp_gpu_find(lp_gpu_db_builtin(), name, &g, &err) != LP_OK)
        fail_msg("gpu %s: %s", name, err.message);
    return g;
}

/* One stream (so decode_tok_s is the single-stream rate) of a params_b model. */
static lp_perf_request single(double params_b) {
    lp_perf_request r;
    lp_perf_request_init(&r);
    r.method = LP_HEURISTIC;
    r.params_b = params_b;
    r.workload.num_prompts = 1;
    r.workload.max_concurrency = 1;
    return r;
}

static lp_perf_estimate run(const lp_perf_request *r, const lp_model *m, const lp_gpu *g) {
    lp_perf_estimate e;
    memset(&e, 0, sizeof e);
    lp_error err;
    lp_error_clear(&err);
    if (lp_perf_heuristic(r, m, g, &e, &err) != LP_OK)
        fail_msg("heuristic failed: %s", err.message);
    assert_true(isfinite(e.decode_tok_s) && e.decode_tok_s > 0);
    assert_true(isfinite(e.prefill_tok_s) && e.prefill_tok_s > 0);
    return e;
}

static bool has_assumption(const lp_perf_estimate *e, const char *needle) {
    for (int i = 0; i < e->n_assumptions; i++)
        if (strstr(e->assumptions[i], needle))
            return true;
    return false;
}

/* Throughput ~ (7 / params_b)^0.85: doubling the parameters multiplies it by 2^-0.85. */
static void test_size_scaling(void **state) {
    (void)state;
    const lp_gpu *h100 = gpu("H100");
    lp_perf_request a = single(7), b = single(14), c = single(70);
    lp_perf_estimate ea = run(&a, NULL, h100), eb = run(&b, NULL, h100), ec = run(&c, NULL, h100);
    double law = pow(2.0, -0.85);
    lp_assert_near(eb.decode_tok_s / ea.decode_tok_s, law, 1e-9);
    lp_assert_near(eb.prefill_tok_s / ea.prefill_tok_s, law, 1e-9);
    lp_assert_near(ec.decode_tok_s / ea.decode_tok_s, pow(0.1, 0.85), 1e-9);
    assert_true(has_assumption(&eb, "0.85"));
}

/* TP speeds a replica up, more over NVLink than PCIe, and PCIe more than an unknown link. */
static void test_tp_interconnect(void **state) {
    (void)state;
    const lp_gpu *h100 = gpu("H100");
    lp_perf_request r = single(70);
    lp_perf_estimate one = run(&r, NULL, h100);
    r.serving.tensor_parallel_size = 4;
    r.cluster.intra_node_link_given = true;
    r.cluster.intra_node_link = LP_LINK_NVLINK;
    lp_perf_estimate nv = run(&r, NULL, h100);
    r.cluster.intra_node_link = LP_LINK_PCIE;
    lp_perf_estimate pcie = run(&r, NULL, h100);
    r.cluster.intra_node_link = LP_LINK_UNKNOWN;
    lp_perf_estimate unk = run(&r, NULL, h100);
    assert_true(nv.decode_tok_s > pcie.decode_tok_s);
    assert_true(pcie.decode_tok_s > unk.decode_tok_s);
    assert_true(nv.prefill_tok_s > pcie.prefill_tok_s);
    assert_true(unk.decode_tok_s > one.decode_tok_s);      /* still faster than one GPU */
    assert_true(nv.decode_tok_s < 4.0 * one.decode_tok_s); /* but sub-linear */
    assert_true(has_assumption(&nv, "tensor parallel 4"));
    /* without a word, the GPU table's link: the H100 SXM has NVLink */
    r.cluster.intra_node_link_given = false;
    lp_perf_estimate own = run(&r, NULL, h100);
    lp_assert_near(own.decode_tok_s, nv.decode_tok_s, 1e-9);
    /* and a word that is not a link is an error where it is read */
    lp_link_kind kind;
    lp_error err;
    assert_int_equal(lp_link_parse("carrier-pigeon", &kind, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "interconnect"));
    assert_int_equal(lp_link_parse("NVSwitch", &kind, &err), LP_OK);
    assert_int_equal(kind, LP_LINK_NVLINK);
}

/* Decode slows (never speeds up) as the context grows; no change up to 4096 tokens. */
static void test_context_monotone(void **state) {
    (void)state;
    const lp_gpu *a100 = gpu("A100 80GB SXM");
    const double lens[] = {128, 1024, 3000, 8192, 16384, 32768, 131072};
    double prev = INFINITY;
    double first = 0;
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        lp_perf_request r = single(8);
        r.workload.input = lp_len_fixed(lens[i]);
        r.workload.output = lp_len_fixed(128);
        lp_perf_estimate e = run(&r, NULL, a100);
        if (i == 0)
            first = e.decode_tok_s;
        assert_true(e.decode_tok_s <= prev);
        if (lens[i] + 64 <= 4096)
            lp_assert_near(e.decode_tok_s, first, 1e-9);
        else
            assert_true(e.decode_tok_s < first);
        prev = e.decode_tok_s;
    }
    /* square root: 4x the context (beyond the reference) halves the rate */
    lp_perf_request r = single(8);
    r.workload.input = lp_len_fixed(8192);
    r.workload.output = lp_len_fixed(2);
    lp_perf_estimate e1 = run(&r, NULL, a100);
    r.workload.input = lp_len_fixed(4 * 8192 + 3);
    lp_perf_estimate e4 = run(&r, NULL, a100);
    lp_assert_near(e4.decode_tok_s / e1.decode_tok_s, 0.5, 1e-3);
}

/* 8-bit ~1.3-1.5x decode, 4-bit ~1.6-2x; prefill only with FP8 compute. */
static void test_quantization(void **state) {
    (void)state;
    const lp_gpu *h100 = gpu("H100"), *a100 = gpu("A100 80GB SXM");
    lp_perf_request r = single(8);
    lp_perf_estimate base = run(&r, NULL, h100), base_a = run(&r, NULL, a100);
    r.serving.quantization = "fp8";
    lp_perf_estimate fp8 = run(&r, NULL, h100), fp8_a = run(&r, NULL, a100);
    r.serving.quantization = "awq";
    lp_perf_estimate awq = run(&r, NULL, h100);
    r.serving.quantization = "int8";
    lp_perf_estimate int8 = run(&r, NULL, h100);
    double f = fp8.decode_tok_s / base.decode_tok_s;
    assert_true(f >= 1.3 && f <= 1.5);
    f = int8.decode_tok_s / base.decode_tok_s;
    assert_true(f >= 1.29 && f <= 1.5);
    f = awq.decode_tok_s / base.decode_tok_s;
    assert_true(f >= 1.6 && f <= 2.0);
    lp_assert_near(awq.prefill_tok_s, base.prefill_tok_s, 1e-9);     /* weight-only 4-bit */
    assert_true(fp8.prefill_tok_s > base.prefill_tok_s);             /* FP8 tensor cores */
    lp_assert_near(fp8_a.prefill_tok_s, base_a.prefill_tok_s, 1e-9); /* A100: none */
    assert_true(fp8_a.decode_tok_s > base_a.decode_tok_s);
    assert_true(has_assumption(&awq, "4-bit"));
    r.serving.quantization = "squeezed";
    lp_perf_estimate e;
    memset(&e, 0, sizeof e);
    lp_error err;
    assert_int_equal(lp_perf_heuristic(&r, NULL, h100, &e, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "squeezed"));
}

/* TTFT = prompt / prefill tok/s; TPOT from the per-stream rate. */
static void test_ranges_and_ttft(void **state) {
    (void)state;
    lp_perf_request r;
    lp_perf_request_init(&r);
    r.method = LP_HEURISTIC;
    r.params_b = 13;
    r.workload.input = lp_len_fixed(2000);
    r.workload.output = lp_len_fixed(300);
    r.workload.max_concurrency = 16;
    lp_perf_estimate e = run(&r, NULL, gpu("L40S"));
    lp_assert_near(e.ttft_ms.mean, 1000.0 * 2000 / e.prefill_tok_s, 1e-9);
    /* TPOT is 1000 / the per-stream rate at the workload's concurrency (16 streams) */
    lp_assert_near(e.tpot_ms.mean, 1000.0 * e.mean_batch / e.decode_tok_s, 1e-9);
    lp_assert_near(e.itl_ms.mean, e.tpot_ms.mean, 1e-12);
    lp_assert_near(e.e2el_ms.mean, e.ttft_ms.mean + 299 * e.tpot_ms.mean, 1e-6);
    assert_true(isnan(e.tpot_ms.p99) && isnan(e.ttft_ms.p90)); /* not simulated */
    lp_assert_near(e.mean_batch, 16, 1e-9);
    /* closed loop: 16 requests in flight, each lasting e2el */
    lp_assert_near(e.request_s, 16 / (e.e2el_ms.mean / 1000.0), 1e-6);
    lp_assert_near(e.output_tok_s, e.request_s * 300, 1e-6);
    /* more concurrency: more aggregate throughput, slower streams */
    r.workload.max_concurrency = 64;
    lp_perf_estimate e64 = run(&r, NULL, gpu("L40S"));
    assert_true(e64.output_tok_s > e.output_tok_s);
    assert_true(e64.tpot_ms.mean > e.tpot_ms.mean);
    /* only a parameter count: no KV capacity, said so */
    assert_true(isnan(e.max_concurrent_requests));
    assert_true(has_assumption(&e, "max concurrent requests unknown"));
}

/* A Poisson rate below capacity is served as offered (Little's law gives the batch). */
static void test_request_rate(void **state) {
    (void)state;
    lp_perf_request r;
    lp_perf_request_init(&r);
    r.method = LP_HEURISTIC;
    r.params_b = 8;
    r.workload.request_rate = 2.0;
    lp_perf_estimate e = run(&r, NULL, gpu("H100"));
    lp_assert_near(e.request_s, 2.0, 1e-9);
    lp_assert_near(e.mean_batch, 2.0 * e.e2el_ms.mean / 1000.0, 1e-6);
    /* an impossible rate stops at the compute ceiling: every prompt and output token costs
     * 2 x params FLOPs, so input + output tokens/s never exceed the prefill rate */
    r.workload.request_rate = 1e6;
    lp_perf_estimate q = run(&r, NULL, gpu("H100"));
    assert_true(q.request_s < 1e6);
    lp_assert_near(q.total_tok_s, q.prefill_tok_s, 1e-6 * q.prefill_tok_s);
    assert_int_equal(q.decode_bound, LP_BOUND_COMPUTE);
    /* a decode-heavy workload hits the scheduler's limit first: requests queue */
    r.workload.input = lp_len_fixed(16);
    r.workload.output = lp_len_fixed(1024);
    lp_perf_estimate d = run(&r, NULL, gpu("H100"));
    assert_true(d.total_tok_s < d.prefill_tok_s);
    assert_int_equal(d.decode_bound, LP_BOUND_QUEUEING);
}

/* No GPU: a default baseline, said in the assumptions. */
static void test_unknown_gpu(void **state) {
    (void)state;
    lp_perf_request r = single(7);
    lp_perf_estimate e = run(&r, NULL, NULL);
    assert_true(has_assumption(&e, "default baseline"));
    /* through the public API too: heuristic with no GPU at all is valid */
    lp_perf_estimate pub;
    assert_int_equal(lp_estimate_performance(&r, &pub), LP_OK);
    assert_true(pub.valid);
    lp_assert_near(pub.decode_tok_s, e.decode_tok_s, 1e-9);
}

/* Baselines come from the datasheet bandwidth and FLOPS (H100 SXM 3,350 GB/s and 989.5 dense
 * bf16 TFLOPS, A100 80GB SXM 2,039 GB/s and 312: NVIDIA datasheets) through the roofline's
 * constants of each family: a single stream of the 7B reference streams 14 GB of bf16 weights
 * per token and pays the engine's fixed costs of a step (host per step and per request, the
 * floors of 32 layers), so the decode ratio is
 * (fixed_A100 + 14e9 / (me_A100 x 2039e9)) / (fixed_H100 + 14e9 / (me_H100 x 3350e9)),
 * and prefill follows compute_eff x FLOPS. */
static double ref_step_s(const lp_efficiency *f, double bandwidth_gbs) {
    return f->step_overhead_s + f->per_seq_overhead_s + 32.0 * f->layer_overhead_s +
           14e9 / (f->memory_eff * bandwidth_gbs * 1e9);
}

static void test_baselines_follow_datasheets(void **state) {
    (void)state;
    const lp_gpu *h100 = gpu("H100 SXM"), *a100 = gpu("A100 80GB SXM");
    assert_true(h100->bandwidth_gbs > a100->bandwidth_gbs);
    lp_perf_request r = single(7);
    lp_perf_estimate eh = run(&r, NULL, h100), ea = run(&r, NULL, a100);
    assert_true(eh.decode_tok_s > ea.decode_tok_s);
    lp_efficiency fh = lp_efficiency_for_version(h100, 0), fa = lp_efficiency_for_version(a100, 0);
    lp_assert_near(eh.decode_tok_s / ea.decode_tok_s, ref_step_s(&fa, 2039) / ref_step_s(&fh, 3350),
                   0.01);
    lp_assert_near(eh.prefill_tok_s / ea.prefill_tok_s,
                   fh.compute_eff * 989.5 / (fa.compute_eff * 312.0), 0.02);
    /* a consumer card decodes slower than a data-centre one of much higher bandwidth */
    lp_perf_estimate ec = run(&r, NULL, gpu("RTX 4090"));
    assert_true(ec.decode_tok_s < ea.decode_tok_s);
    assert_true(has_assumption(&eh, "7B baseline"));
}

/* With a model: its parameter count (MoE: active), KV capacity and the checkpoint's
 * quantization. Qwen3-30B-A3B activates ~3.3 B of ~30.5 B parameters (its model card). */
static void test_model_given(void **state) {
    (void)state;
    static lp_model m;
    lp_error err;
    if (lp_model_load("Qwen/Qwen3-30B-A3B", NULL, &m, &err) != LP_OK)
        fail_msg("load: %s", err.message);
    lp_perf_request r = single(0);
    r.serving.max_model_len = 8192;
    lp_perf_estimate moe = run(&r, &m, gpu("H100"));
    assert_true(has_assumption(&moe, "MoE"));
    assert_true(isfinite(moe.max_concurrent_requests) && moe.max_concurrent_requests > 1);
    lp_perf_request p = single(3.3);
    lp_perf_estimate by_params = run(&p, NULL, gpu("H100"));
    lp_assert_near(moe.prefill_tok_s / by_params.prefill_tok_s, 1.0, 0.1);
    /* a model that does not fit is infeasible */
    static lp_model big;
    if (lp_model_load("Qwen/Qwen2.5-72B-Instruct", NULL, &big, &err) != LP_OK)
        fail_msg("load: %s", err.message);
    lp_perf_estimate e;
    memset(&e, 0, sizeof e);
    assert_int_equal(lp_perf_heuristic(&r, &big, gpu("RTX 4090"), &e, &err), LP_ERR_INFEASIBLE);
    /* nothing to scale */
    lp_perf_request none = single(0);
    assert_int_equal(lp_perf_heuristic(&none, NULL, gpu("H100"), &e, &err), LP_ERR_INVALID_ARG);
}

/* num_gpus beyond TP x PP are replicas: twice the GPUs, twice the throughput at full load
 * (4096 requests at once: every replica runs max-num-seqs of them). */
static void test_replicas(void **state) {
    (void)state;
    lp_perf_request r;
    lp_perf_request_init(&r);
    r.method = LP_HEURISTIC;
    r.params_b = 8;
    r.workload.num_prompts = 4096;
    lp_perf_estimate one = run(&r, NULL, gpu("H100"));
    r.cluster.num_gpus = 2;
    lp_perf_estimate two = run(&r, NULL, gpu("H100"));
    assert_int_equal(two.replicas, 2);
    lp_assert_near(two.output_tok_s / one.output_tok_s, 2.0, 1e-9);
    assert_int_equal(one.decode_bound, LP_BOUND_COMPUTE); /* 1024-token prompts: compute */
    r.cluster.num_gpus = 3;
    r.serving.tensor_parallel_size = 2;
    lp_perf_estimate e;
    lp_error err;
    assert_int_equal(lp_perf_heuristic(&r, NULL, gpu("H100"), &e, &err), LP_ERR_INVALID_ARG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_scaling),     cmocka_unit_test(test_tp_interconnect),
        cmocka_unit_test(test_context_monotone), cmocka_unit_test(test_quantization),
        cmocka_unit_test(test_ranges_and_ttft),  cmocka_unit_test(test_request_rate),
        cmocka_unit_test(test_unknown_gpu),      cmocka_unit_test(test_baselines_follow_datasheets),
        cmocka_unit_test(test_model_given),      cmocka_unit_test(test_replicas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
