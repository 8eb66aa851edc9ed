/*
 * test_capacity.c - capacity at the targets (src/search/capacity.c): a case computed by hand
 * from the step model and Little's law; the boundary checked with the public estimator (the
 * rate found meets the targets, a little more does not); the p90 refinement checked against a
 * simulation at the rate found; a configuration that misses at any load; equal configurations
 * computed once; and load curves.
 */
#include "support/lp_test.h"

#include <math.h>
#include <string.h>

#include "llmplan/load_profile.h"
#include "llmplan/perf.h"
#include "llmplan/search.h"

static lp_model model;

static const lp_gpu *gpu(const char *name) {
    const lp_gpu *g = NULL;
    lp_error err;
    if (lp_gpu_find(lp_gpu_db_builtin(), name, &g, &err) != LP_OK)
        fail_msg("gpu %s: %s", name, err.message);
    return g;
}

/* Llama-3.1-8B on one H100, TP1, vLLM's defaults except max-num-seqs 256, 2K context. */
static void candidate_8b(lp_candidate *c) {
    lp_error err;
    if (lp_model_load("meta-llama/Llama-3.1-8B-Instruct", NULL, &model, &err) != LP_OK)
        fail_msg("%s", err.message);
    memset(c, 0, sizeof *c);
    c->gpu = gpu("H100 SXM");
    c->num_gpus = c->tp = c->pp = c->dp = 1;
    c->nodes = 1;
    c->kv_cache_dtype = LP_DTYPE_AUTO;
    c->max_num_seqs = 256;
    c->max_num_batched_tokens = 8192;
    c->max_model_len = 2048;
    c->gpu_memory_utilization = 0.9;
    c->vllm_version = LP_VLLM_VERSION_LATEST;
}

static void spec_for(lp_search_spec *spec, double in, double out) {
    lp_search_spec_init(spec);
    spec->model = &model;
    spec->workload.input = lp_len_fixed(in);
    spec->workload.output = lp_len_fixed(out);
    spec->threads = 1;
}

static void capacity(const lp_search_spec *spec, lp_candidate *c) {
    lp_error err;
    lp_candidate *one[1] = {c};
    if (lp_search_capacity(spec, one, 1, &err) != LP_OK)
        fail_msg("capacity: %s", err.message);
}

/* One decode step of n requests at context ctx on the step model of c (what vLLM's engine
 * runs between two tokens of every running request). */
static double decode_step_s(const lp_step_model *sm, double n, double ctx) {
    lp_step_batch b = {n, n * ctx, 0, 0, 0};
    lp_step_time t;
    lp_step_eval(sm, &b, &t);
    return t.total_s;
}

/*
 * By hand: prompts of 1 token and 1000-token outputs, so requests spend their life decoding
 * and the time per output token is the decode step of the running batch. Take the TPOT target
 * T = the step with 96 requests at the mean context (1 + 1000 / 2 tokens). Then the most
 * requests that may run at once is C = 96, and by Little's law a deployment holding C requests
 * that each live E2E seconds completes C / E2E requests per second. A request lives its 999
 * decode steps plus its first token: half a step waiting for the step in progress and one
 * step carrying its 1-token prompt, so E2E = (999 + 1.5) x T and the capacity is
 * 96 / (1000.5 x T). The KV cache (~470K tokens for 8B on an H100 at 0.9) and max-num-seqs 256
 * hold far more than 96 such requests, so the target binds, not the memory. The clients a
 * closed loop may run at that rate are, by Little's law again, the same C = 96.
 */
static void test_capacity_by_hand(void **state) {
    (void)state;
    lp_candidate c;
    candidate_8b(&c);
    lp_serving s;
    lp_candidate_serving(&c, &s);
    lp_mem_plan plan;
    lp_step_model sm;
    lp_cluster cluster;
    lp_error err;
    assert_int_equal(lp_mem_plan_compute(&model, c.gpu, &s, &plan, &err), LP_OK);
    lp_cluster_init(&cluster, c.gpu);
    assert_int_equal(lp_step_model_init(&model, &cluster, &plan, &sm, NULL, &err), LP_OK);
    const double ctx = 1 + 1000 / 2.0, T = decode_step_s(&sm, 96, ctx);
    assert_true(plan.kv_tokens / ctx > 2 * 96); /* memory does not bind */
    const double expected = 96 / (1000.5 * T);

    lp_search_spec spec;
    spec_for(&spec, 1, 1000);
    spec.targets.max_tpot_ms = 1e3 * T;
    capacity(&spec, &c);
    assert_int_equal(c.capacity_method, LP_CAPACITY_ROOFLINE);
    assert_int_equal(c.capacity_limit, LP_REJECT_TPOT);
    if (fabs(c.max_request_rate / expected - 1) > 0.01)
        fail_msg("capacity %.4f req/s, by hand %.4f (T %.3f ms)", c.max_request_rate, expected,
                 1e3 * T);
    assert_true(c.saturation_request_rate > c.max_request_rate);
    if (fabs(c.max_concurrency / 96 - 1) > 0.01)
        fail_msg("clients at capacity %.2f, by hand 96", c.max_concurrency);
}

/* An estimate of c at a Poisson rate (the public estimator, roofline or simulation). */
static void estimate_at(const lp_candidate *c, const lp_search_spec *spec, double rate,
                        lp_method method, lp_perf_estimate *e) {
    lp_perf_request r;
    lp_perf_request_init(&r);
    r.model = &model;
    r.cluster.gpu = c->gpu;
    r.cluster.num_gpus = c->num_gpus;
    lp_candidate_serving(c, &r.serving);
    r.workload = spec->workload;
    r.workload.request_rate = rate;
    r.workload.num_prompts = LP_CAPACITY_SIM_PROMPTS;
    r.method = method;
    if (lp_estimate_performance(&r, e) != LP_OK)
        fail_msg("estimate at %g req/s: %s", rate, e->error);
}

/* The rate found meets the targets with the estimator, and 1 % more does not (the roofline
 * bisection stops at 0.2 %): TTFT and TPOT targets on a 1000 / 200 workload. */
static void test_capacity_boundary(void **state) {
    (void)state;
    lp_candidate c;
    candidate_8b(&c);
    lp_search_spec spec;
    spec_for(&spec, 1000, 200);
    spec.targets.max_ttft_ms = 200;
    spec.targets.max_tpot_ms = 25;
    capacity(&spec, &c);
    const double r = c.max_request_rate;
    assert_true(r > 0);
    lp_perf_estimate e;
    estimate_at(&c, &spec, r, LP_ROOFLINE, &e);
    assert_true(e.ttft_ms.median <= 200 && e.tpot_ms.median <= 25);
    assert_true(e.request_s >= r * 0.999); /* keeps up */
    estimate_at(&c, &spec, r * 1.01, LP_ROOFLINE, &e);
    bool misses = e.ttft_ms.median > 200 || e.tpot_ms.median > 25 || e.request_s < r * 1.01 * 0.999;
    assert_true(misses);
    /* Little's law holds at the answer: running requests = rate x E2E */
    estimate_at(&c, &spec, r, LP_ROOFLINE, &e);
    assert_true(fabs(e.mean_batch / (r * e.e2el_ms.mean / 1e3) - 1) < 0.01);
}

/* p90 targets: the roofline brackets, the simulation decides; at the rate found the simulated
 * p90 latencies meet the targets. */
static void test_capacity_p90_simulated(void **state) {
    (void)state;
    lp_candidate c;
    candidate_8b(&c);
    lp_search_spec spec;
    spec_for(&spec, 1000, 200);
    spec.targets.max_ttft_ms = 300;
    spec.targets.max_tpot_ms = 25;
    spec.targets.percentile = 90;
    capacity(&spec, &c);
    assert_int_equal(c.capacity_method, LP_CAPACITY_SIMULATED);
    assert_true(c.max_request_rate > 0);
    lp_perf_estimate e;
    estimate_at(&c, &spec, c.max_request_rate, LP_SIMULATE, &e);
    assert_true(e.ttft_ms.p90 <= 300);
    assert_true(e.tpot_ms.p90 <= 25);
    /* the p90 capacity is below the median one */
    lp_candidate m = c;
    spec.targets.percentile = 50;
    capacity(&spec, &m);
    assert_true(c.max_request_rate < m.max_request_rate);
}

/* A TTFT target below one prefill is missed at any load: capacity 0, limit TTFT. No target at
 * all: the capacity is the saturation rate. */
static void test_capacity_none_and_saturation(void **state) {
    (void)state;
    lp_candidate c;
    candidate_8b(&c);
    lp_search_spec spec;
    spec_for(&spec, 1000, 200);
    spec.targets.max_ttft_ms = 0.01;
    capacity(&spec, &c);
    assert_true(c.max_request_rate == 0);
    assert_int_equal(c.capacity_limit, LP_REJECT_TTFT);
    spec.targets.max_ttft_ms = 0;
    capacity(&spec, &c);
    assert_int_equal(c.capacity_limit, LP_REJECT_THROUGHPUT);
    assert_true(c.max_request_rate > 0.98 * c.saturation_request_rate);
    assert_true(c.max_request_rate < c.saturation_request_rate);
    /* saturation: what the deployment completes at full load, from the estimator */
    lp_perf_estimate e;
    estimate_at(&c, &spec, 1e6, LP_ROOFLINE, &e);
    assert_true(fabs(e.request_s / c.saturation_request_rate - 1) < 1e-9);
}

/* The same configuration twice is computed once and both get the answer; a different one
 * gets its own. Two replicas (dp 2) take twice the load of one. */
static void test_capacity_cache_and_replicas(void **state) {
    (void)state;
    lp_candidate a, b, d;
    candidate_8b(&a);
    b = a;
    d = a;
    d.num_gpus = d.dp = 2;
    lp_search_spec spec;
    spec_for(&spec, 1000, 200);
    spec.targets.max_tpot_ms = 25;
    spec.threads = 2;
    lp_candidate *all[3] = {&a, &d, &b};
    lp_error err;
    assert_int_equal(lp_search_capacity(&spec, all, 3, &err), LP_OK);
    assert_true(a.max_request_rate > 0);
    assert_true(a.max_request_rate == b.max_request_rate);
    assert_true(fabs(d.max_request_rate / (2 * a.max_request_rate) - 1) < 0.01);
}

/* ceil(rate x (1 + headroom) / capacity), worked by hand. */
static void test_replicas(void **state) {
    (void)state;
    assert_int_equal(lp_load_replicas(10, 0.2, 5, 0), 3);   /* 12 / 5 = 2.4 -> 3 */
    assert_int_equal(lp_load_replicas(10, 0.2, 12, 0), 1);  /* exactly full: no extra one */
    assert_int_equal(lp_load_replicas(10, 0.0, 5, 0), 2);   /* 10 / 5 = 2 */
    assert_int_equal(lp_load_replicas(10, 0.2, 4.8, 0), 3); /* 12 / 4.8 = 2.5 -> 3 */
    assert_int_equal(lp_load_replicas(0.1, 0.2, 100, 0), 1);
    assert_int_equal(lp_load_replicas(0, 0.2, 5, 0), 0);
    assert_int_equal(lp_load_replicas(0, 0.2, 5, 1), 1);
    assert_int_equal(lp_load_replicas(10, 0.2, 0, 0), -1);
    assert_int_equal(lp_load_replicas(10, 0.2, NAN, 0), -1);
}

/* Latency against load: rises with the rate; beyond saturation the deployment falls behind. */
static void test_load_curve(void **state) {
    (void)state;
    lp_candidate c;
    candidate_8b(&c);
    lp_search_spec spec;
    spec_for(&spec, 1000, 200);
    spec.targets.max_tpot_ms = 25;
    capacity(&spec, &c);
    const double rates[4] = {0.2 * c.max_request_rate, 0.6 * c.max_request_rate, c.max_request_rate,
                             1.5 * c.saturation_request_rate};
    lp_load_point p[4];
    lp_error err;
    assert_int_equal(lp_search_load_curve(&spec, &c, rates, 4, p, &err), LP_OK);
    for (int i = 0; i < 3; i++) {
        assert_true(p[i].valid && p[i].keeps_up);
        assert_false(p[i].simulated);
        if (i > 0)
            assert_true(p[i].tpot_ms >= p[i - 1].tpot_ms);
    }
    assert_true(p[2].tpot_ms <= 25 * 1.0001);
    assert_false(p[3].keeps_up);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capacity_by_hand),
        cmocka_unit_test(test_capacity_boundary),
        cmocka_unit_test(test_capacity_p90_simulated),
        cmocka_unit_test(test_capacity_none_and_saturation),
        cmocka_unit_test(test_capacity_cache_and_replicas),
        cmocka_unit_test(test_replicas),
        cmocka_unit_test(test_load_curve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
