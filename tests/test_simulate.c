/*
 * test_simulate.c - the `simulate` method (src/perf/simulate.c) and its statistics
 * (src/perf/sim_stats.c).
 *
 * The step model is built by hand so that step times are known exactly and independent of
 * llmplan's calibration: weights 16e9 B over 2e12 B/s at 100 % efficiency give an 8 ms floor
 * per step (memory), and 16e9 FLOPs per token at 1e15 FLOPS give 16 us per token (compute);
 * no attention cost, no KV reads, no host overhead, one GPU. So a decode step of B <= 500
 * requests takes 8 ms and a step with T tokens takes max(T x 16 us, 8 ms). Expected values
 * below are worked out by hand from that.
 */
#include <math.h>
#include <string.h>

#include "support/lp_test.h"

#include "perf/perf_internal.h"
#include "perf/sim_stats.h"

#define DECODE_S 0.008
#define TOKEN_S 16e-6

static lp_step_model hand_model(void) {
    lp_step_model sm;
    memset(&sm, 0, sizeof sm);
    sm.weight_bytes = 16e9;
    sm.bandwidth = 2e12;
    sm.peak_flops = 1e15;
    sm.linear_flops_per_token = 16e9;
    sm.link_bandwidth = 1e11;
    sm.inter_node_bandwidth = 5e10;
    sm.eff.family = "test";
    sm.eff.compute_eff = 1.0;
    sm.eff.memory_eff = 1.0;
    sm.eff.source = "hand-built for tests";
    sm.tp = 1;
    sm.pp_stages = 1;
    sm.chunked_prefill = true;
    sm.scheduler_steps = 1;
    sm.max_num_seqs = 256;
    sm.max_num_batched_tokens = 8192;
    sm.kv_capacity_tokens = 1e6;
    sm.max_model_len = 131072;
    return sm;
}

static lp_perf_request fixed_request(int in, int out, int n) {
    lp_perf_request r;
    lp_perf_request_init(&r);
    r.method = LP_SIMULATE;
    r.workload.input = lp_len_fixed(in);
    r.workload.output = lp_len_fixed(out);
    r.workload.num_prompts = n;
    return r;
}

/* The engine alone: no API-server time, so step times add up by hand. */
static const lp_sim_frontend NO_FRONTEND = {0.0, 0.0};

static lp_status simulate_with(const lp_step_model *sm, const lp_sim_frontend *fe,
                               const lp_perf_request *r, int replicas, lp_perf_estimate *est) {
    lp_error err;
    lp_error_clear(&err);
    memset(est, 0, sizeof *est);
    lp_status st = lp_perf_simulate_with(sm, fe, r, replicas, est, &err);
    if (st != LP_OK)
        print_message("simulate: %s\n", err.message);
    return st;
}

static lp_status simulate(const lp_step_model *sm, const lp_perf_request *r, int replicas,
                          lp_perf_estimate *est) {
    lp_error err;
    lp_error_clear(&err);
    memset(est, 0, sizeof *est);
    lp_status st = lp_perf_simulate_with(sm, &NO_FRONTEND, r, replicas, est, &err);
    if (st != LP_OK)
        print_message("simulate: %s\n", err.message);
    return st;
}

/* One request: TTFT = one prefill step (1000 x 16 us = 16 ms), then 99 decode steps of 8 ms. */
static void test_single_request(void **state) {
    (void)state;
    lp_step_model sm = hand_model();
    lp_perf_request r = fixed_request(1000, 100, 1);
    lp_perf_estimate e;
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    lp_assert_near(e.ttft_ms.mean, 16.0, 1e-9);
    lp_assert_near(e.ttft_ms.p99, 16.0, 1e-9);
    lp_assert_near(e.e2el_ms.mean, 16.0 + 99 * 8.0, 1e-9);
    lp_assert_near(e.tpot_ms.mean, 8.0, 1e-9);
    lp_assert_near(e.itl_ms.mean, 8.0, 1e-9);
    lp_assert_near(e.itl_ms.median, 8.0, 1e-9);
    lp_assert_near(e.itl_ms.p99, 8.0, 1e-9);
    lp_assert_near(e.duration_s, 0.808, 1e-12);
    lp_assert_near(e.request_s, 1 / 0.808, 1e-9);
    lp_assert_near(e.output_tok_s, 100 / 0.808, 1e-9);
    lp_assert_near(e.total_tok_s, 1100 / 0.808, 1e-9);
    lp_assert_near(e.prefill_tok_s, 1000 / 0.016, 1e-6);
    lp_assert_near(e.decode_tok_s, 1 / 0.008, 1e-6);
    lp_assert_near(e.mean_batch, 1.0, 1e-9);
    assert_int_equal(e.completed, 1);
    assert_int_equal(e.preemptions, 0);
    assert_int_equal(e.prefill_bound, LP_BOUND_COMPUTE);
    assert_int_equal(e.decode_bound, LP_BOUND_MEMORY);
    assert_true(e.n_assumptions >= 4);
    /* KV 1e6 tokens / 1100 per request = 909 > max_num_seqs 256 */
    lp_assert_near(e.max_concurrent_requests, 256, 1e-9);

    /* one output token: done at the end of the prefill; no TPOT or ITL samples (0, as in
     * vllm bench serve's np.mean(x or 0)) */
    r = fixed_request(1000, 1, 1);
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    lp_assert_near(e.e2el_ms.mean, 16.0, 1e-9);
    lp_assert_near(e.tpot_ms.mean, 0.0, 0);
    lp_assert_near(e.itl_ms.p99, 0.0, 0);
}

/* All at once, 4 requests fit in one step: every request sees the same timeline. */
static void test_batch_at_once(void **state) {
    (void)state;
    lp_step_model sm = hand_model();
    lp_perf_request r = fixed_request(1000, 10, 4);
    lp_perf_estimate e;
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    /* prefill of 4000 tokens in one step: 64 ms; then 9 decode steps of 8 ms */
    lp_assert_near(e.ttft_ms.median, 64.0, 1e-9);
    lp_assert_near(e.e2el_ms.mean, 64.0 + 9 * 8.0, 1e-9);
    lp_assert_near(e.request_s, 4 / 0.136, 1e-9);
    lp_assert_near(e.mean_batch, 4.0, 1e-9);
}

static lp_perf_request random_request(uint64_t seed) {
    lp_perf_request r = fixed_request(0, 0, 300);
    r.workload.input.kind = LP_LEN_NORMAL;
    r.workload.input.mean = 500;
    r.workload.input.stddev = 200;
    r.workload.input.lo = 1;
    r.workload.input.hi = 2000;
    r.workload.output.kind = LP_LEN_UNIFORM;
    r.workload.output.lo = 10;
    r.workload.output.hi = 200;
    r.workload.request_rate = 20;
    r.workload.seed = seed;
    return r;
}

static void test_determinism(void **state) {
    (void)state;
    lp_step_model sm = hand_model();
    lp_perf_request r1 = random_request(7), r2 = random_request(7), r3 = random_request(8);
    lp_perf_estimate a, b, c;
    assert_int_equal(simulate(&sm, &r1, 1, &a), LP_OK);
    assert_int_equal(simulate(&sm, &r2, 1, &b), LP_OK);
    assert_int_equal(simulate(&sm, &r3, 1, &c), LP_OK);
    assert_memory_equal(&a.ttft_ms, &b.ttft_ms, sizeof a.ttft_ms);
    assert_memory_equal(&a.itl_ms, &b.itl_ms, sizeof a.itl_ms);
    assert_memory_equal(&a.e2el_ms, &b.e2el_ms, sizeof a.e2el_ms);
    assert_true(a.output_tok_s == b.output_tok_s && a.duration_s == b.duration_s);
    assert_true(a.e2el_ms.mean != c.e2el_ms.mean);
    assert_true(a.output_tok_s != c.output_tok_s);
    assert_int_equal(a.completed, 300);
}

/* max_concurrency 1: one request at a time, each sent when the previous one finishes. */
static void test_concurrency_one_serialises(void **state) {
    (void)state;
    lp_step_model sm = hand_model();
    lp_perf_request r = fixed_request(1000, 100, 5);
    r.workload.max_concurrency = 1;
    lp_perf_estimate e;
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    lp_assert_near(e.ttft_ms.p99, 16.0, 1e-9);
    lp_assert_near(e.e2el_ms.p99, 808.0, 1e-9);
    lp_assert_near(e.request_s, 1 / 0.808, 1e-9);
    lp_assert_near(e.duration_s, 5 * 0.808, 1e-9);
    lp_assert_near(e.mean_batch, 1.0, 1e-9);
    assert_int_equal(e.completed, 5);
}

/* Budget 2048: a 4396-token prompt takes 2048 + 2048 + 300 tokens over 3 steps,
 * 32.768 + 32.768 + 8 (floor) ms; unchunked it would be 70.336 ms. */
static void test_chunked_prefill(void **state) {
    (void)state;
    lp_step_model sm = hand_model();
    sm.max_num_batched_tokens = 2048;
    lp_perf_request r = fixed_request(4396, 2, 1);
    lp_perf_estimate e;
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    lp_assert_near(e.ttft_ms.mean, 2 * 2048 * TOKEN_S * 1e3 + 8.0, 1e-9);
    lp_assert_near(e.e2el_ms.mean, 2 * 2048 * TOKEN_S * 1e3 + 16.0, 1e-9);

    /* exactly the budget: one step */
    r = fixed_request(2048, 2, 1);
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    lp_assert_near(e.ttft_ms.mean, 2048 * TOKEN_S * 1e3, 1e-9);

    /* two prompts of 1500 with budget 2048: the first whole, the second split 548 + 952;
     * step 1: 2048 tokens (32.768 ms); step 2: one decode + 952 prefill (15.248 ms) */
    r = fixed_request(1500, 2, 2);
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    double s1 = 2048 * TOKEN_S * 1e3, s2 = 953 * TOKEN_S * 1e3;
    lp_assert_near(e.ttft_ms.mean, (s1 + (s1 + s2)) / 2, 1e-9);
    lp_assert_near(e.duration_s * 1e3, s1 + s2 + 8.0, 1e-9);
}

/* V0 without chunked prefill: prefill steps hold whole prompts and pause decodes. Budget
 * 2048, two prompts of 1500: step 1 prefills A (24 ms), step 2 prefills B alone (24 ms),
 * step 3 decodes both (8 ms). */
static void test_v0_prefill_steps(void **state) {
    (void)state;
    lp_step_model sm = hand_model();
    sm.max_num_batched_tokens = 2048;
    sm.chunked_prefill = false;
    lp_perf_request r = fixed_request(1500, 2, 2);
    lp_perf_estimate e;
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    lp_assert_near(e.ttft_ms.mean, (24.0 + 48.0) / 2, 1e-9);
    lp_assert_near(e.e2el_ms.mean, 56.0, 1e-9);
    lp_assert_near(e.duration_s, 0.056, 1e-12);

    /* multi-step scheduling: new requests wait for the decode steps under way */
    r = fixed_request(1000, 100, 40);
    r.workload.request_rate = 5;
    r.workload.seed = 11;
    lp_perf_estimate one, eight;
    assert_int_equal(simulate(&sm, &r, 1, &one), LP_OK);
    sm.scheduler_steps = 8;
    assert_int_equal(simulate(&sm, &r, 1, &eight), LP_OK);
    assert_int_equal(eight.completed, 40);
    assert_true(eight.ttft_ms.mean > one.ttft_ms.mean);
}

/* 256 KV blocks (4096 tokens) for 8 requests that each grow to 1399 tokens (88 blocks). */
static void test_kv_pressure_preempts(void **state) {
    (void)state;
    lp_step_model sm = hand_model();
    sm.kv_capacity_tokens = 4096;
    lp_perf_request r = fixed_request(1000, 400, 8);
    lp_perf_estimate e;
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    assert_int_equal(e.completed, 8);
    assert_true(e.preemptions > 0);
    assert_int_equal(e.decode_bound, LP_BOUND_KV_CAPACITY);
    /* at most 4 run at once: 4096 / 1000 tokens */
    assert_true(e.mean_batch <= 4.0 + 1e-9);
    lp_assert_near(e.max_concurrent_requests, 4096.0 / 1400.0, 1e-9);
    /* every token still arrives: ITL samples are gaps, E2E >= one request alone */
    assert_true(e.e2el_ms.median >= 16.0 + 399 * 8.0 - 1e-9);
    assert_true(e.itl_ms.p99 >= 8.0 - 1e-9);
}

static void test_infeasible(void **state) {
    (void)state;
    lp_step_model sm = hand_model();
    sm.kv_capacity_tokens = 1024;
    lp_perf_request r = fixed_request(1000, 100, 3);
    lp_perf_estimate e;
    lp_error err;
    lp_error_clear(&err);
    assert_int_equal(lp_perf_simulate(&sm, &r, 1, &e, &err), LP_ERR_INFEASIBLE);
    assert_non_null(strstr(err.message, "KV cache"));

    sm = hand_model();
    sm.max_model_len = 1024;
    assert_int_equal(lp_perf_simulate(&sm, &r, 1, &e, &err), LP_ERR_INFEASIBLE);
    assert_non_null(strstr(err.message, "max-model-len"));

    sm = hand_model();
    r.workload.num_prompts = 1000001;
    assert_int_equal(lp_perf_simulate(&sm, &r, 1, &e, &err), LP_ERR_INVALID_ARG);
}

/* Poisson at 0.05 req/s, each request busy 0.8 s: almost never queued. */
static void test_poisson_low_rate(void **state) {
    (void)state;
    lp_step_model sm = hand_model();
    lp_perf_request r = fixed_request(1000, 100, 40);
    r.workload.request_rate = 0.05;
    r.workload.seed = 3;
    lp_perf_estimate e;
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    assert_int_equal(e.completed, 40);
    /* prefill 16 ms, plus at most one 8 ms decode step in progress when it arrives */
    lp_assert_near(e.ttft_ms.median, 16.0, 8.1);
    assert_true(e.ttft_ms.mean < 24.1);
    assert_true(e.prefill_bound != LP_BOUND_QUEUEING);
    /* duration ~ 40 / 0.05 = 800 s; throughput ~ the rate */
    lp_assert_near(e.request_s, 0.05, 0.025);
    assert_true(e.mean_batch < 0.2);
}

/* Many requests at once against few slots: waiting dominates. */
static void test_queueing_bound(void **state) {
    (void)state;
    lp_step_model sm = hand_model();
    sm.max_num_seqs = 2;
    lp_perf_request r = fixed_request(100, 50, 40);
    lp_perf_estimate e;
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    assert_int_equal(e.prefill_bound, LP_BOUND_QUEUEING);
    assert_true(e.ttft_ms.p99 > 1000.0);
}

/* Two replicas: each gets half the requests; throughput doubles, latency stays. */
static void test_replicas(void **state) {
    (void)state;
    lp_step_model sm = hand_model();
    lp_perf_request r1 = fixed_request(1000, 100, 4), r2 = fixed_request(1000, 100, 8);
    lp_perf_estimate a, b;
    assert_int_equal(simulate(&sm, &r1, 1, &a), LP_OK);
    assert_int_equal(simulate(&sm, &r2, 2, &b), LP_OK);
    lp_assert_near(b.e2el_ms.mean, a.e2el_ms.mean, 1e-9);
    lp_assert_near(b.output_tok_s, 2 * a.output_tok_s, 1e-6);
    assert_int_equal(b.completed, 8);
    assert_int_equal(b.replicas, 2);
}

/* The API server: ingress 2 ms and egress 3 ms around the single request of
 * test_single_request (16 ms prefill, 99 decode steps of 8 ms): the client sees the first
 * token 2 + 16 + 3 ms after sending, the last 2 + 808 + 3 ms after; TPOT is unchanged. */
static void test_api_server_times(void **state) {
    (void)state;
    lp_step_model sm = hand_model();
    lp_perf_request r = fixed_request(1000, 100, 1);
    const lp_sim_frontend fe = {0.002, 0.003};
    lp_perf_estimate e;
    assert_int_equal(simulate_with(&sm, &fe, &r, 1, &e), LP_OK);
    lp_assert_near(e.ttft_ms.mean, 21.0, 1e-9);
    lp_assert_near(e.e2el_ms.mean, 813.0, 1e-9);
    lp_assert_near(e.tpot_ms.mean, 8.0, 1e-9);
    lp_assert_near(e.itl_ms.p99, 8.0, 1e-9);
    lp_assert_near(e.duration_s, 0.813, 1e-12);

    /* --max-concurrency 1: the next request leaves the client when it has seen the last
     * token, so five requests take 5 x 813 ms */
    r = fixed_request(1000, 100, 5);
    r.workload.max_concurrency = 1;
    assert_int_equal(simulate_with(&sm, &fe, &r, 1, &e), LP_OK);
    lp_assert_near(e.duration_s, 5 * 0.813, 1e-9);
    lp_assert_near(e.ttft_ms.p99, 21.0, 1e-9);
}

/* Ingress is served one request at a time: four requests sent together reach the engine
 * 10, 20, 30 and 40 ms later. Each has a 100-token prompt and one output token, a step of
 * 8 ms (the memory floor) on an idle engine: they finish at 18, 28, 38 and 48 ms (egress 0),
 * where all four at once would share one 8 ms step. */
static void test_api_ingress_is_serial(void **state) {
    (void)state;
    lp_step_model sm = hand_model();
    lp_perf_request r = fixed_request(100, 1, 4);
    const lp_sim_frontend fe = {0.010, 0.0};
    lp_perf_estimate e;
    assert_int_equal(simulate_with(&sm, &fe, &r, 1, &e), LP_OK);
    lp_assert_near(e.ttft_ms.mean, (18.0 + 28.0 + 38.0 + 48.0) / 4, 1e-9);
    lp_assert_near(e.ttft_ms.p99, 38.0 + 0.97 * (48.0 - 38.0), 1e-9); /* numpy: rank 0.99 x 3 */
    lp_assert_near(e.duration_s, 0.048, 1e-12);
    lp_assert_near(e.mean_batch, 4 * 0.008 / 0.048, 1e-9);
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    lp_assert_near(e.ttft_ms.p99, 8.0, 1e-9);
}

/*
 * Preemption under KV pressure, with and without vLLM V1's prefix cache. KV of 128 blocks
 * (2048 tokens); A and B have 1020-token prompts and 10 output tokens. Step 1 prefills both
 * (2040 x 16 us = 32.64 ms), leaving no free block. Steps 2-5 decode both (8 ms each). In
 * step 6 A's 1025th token needs a 65th block: B (admitted last) is preempted with 1024
 * computed tokens = 64 full blocks, and A takes one of them (B's last). A finishes after
 * step 10 (32.64 + 9 x 8 = 104.64 ms). B could not come back earlier: it needs 65 blocks.
 *  - V1 (0.8+): B's first 63 blocks (1008 tokens) are still cached, so step 11 recomputes
 *    only 17 tokens (8 ms floor); B's tokens 6-10 follow at 8 ms: done at 144.64 ms.
 *  - before 0.8 (no prefix caching): step 11 recomputes all 1025 tokens (16.4 ms): B is
 *    done at 153.04 ms.
 */
static void test_preemption_resumes_from_cached_blocks(void **state) {
    (void)state;
    lp_step_model sm = hand_model();
    sm.kv_capacity_tokens = 2048;
    lp_perf_request r = fixed_request(1020, 10, 2);
    lp_perf_estimate e;
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    assert_int_equal(e.preemptions, 1);
    lp_assert_near(e.ttft_ms.mean, 32.64, 1e-9);
    lp_assert_near(e.duration_s * 1e3, 144.64, 1e-9);
    lp_assert_near(e.e2el_ms.mean, (104.64 + 144.64) / 2, 1e-9);

    sm.vllm_version = LP_VLLM_VERSION(0, 7, 3);
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    assert_int_equal(e.preemptions, 1);
    lp_assert_near(e.duration_s * 1e3, 153.04, 1e-9);
}

/*
 * Prefix caching of a shared prefix (vLLM V1's block-hash cache, prefix_cache.c). Four
 * requests of 60 random tokens after a shared 100-token prefix (--random-prefix-len 100:
 * prompts of 160 tokens), 2 output tokens, all sent at once. Only full blocks are shared:
 * floor(100 / 16) = 6 blocks = 96 tokens. bench's test run sent request 0's prompt before
 * measuring, so request 0 finds its prefix and its own full blocks: 160 / 16 = 10 blocks, but
 * one token is always recomputed, so floor(159 / 16) x 16 = 144 tokens. Requests 1-3 find
 * the 96 prefix tokens (request 0 holds the prefix). Hit rate (144 + 3 x 96) / (4 x 160) =
 * 432 / 640. Step 1 computes 16 + 3 x 64 = 208 tokens (3.3 ms, under the 8 ms floor): TTFT
 * 8 ms. With --no-enable-prefix-caching step 1 computes all 640 tokens: 10.24 ms.
 */
static void test_prefix_cache_hits(void **state) {
    (void)state;
    lp_step_model sm = hand_model();
    lp_perf_request r = fixed_request(60, 2, 4);
    lp_error err;
    assert_int_equal(lp_workload_random_prefix(&r.workload, 100, &err), LP_OK);
    lp_perf_estimate e;
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    assert_true(e.modes.prefix_caching);
    lp_assert_near(e.modes.prefix_cache_hit_rate, 432.0 / 640.0, 1e-12);
    lp_assert_near(e.ttft_ms.mean, 8.0, 1e-9);

    r.serving.enable_prefix_caching_off = true;
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    assert_false(e.modes.prefix_caching);
    lp_assert_near(e.ttft_ms.mean, 640 * 16e-3, 1e-9);

    /* --block-size 64: the prefix is floor(100 / 64) = 1 block (64 tokens); request 0 finds
     * floor(159 / 64) x 64 = 128: (128 + 3 x 64) / 640 */
    r.serving.enable_prefix_caching_off = false;
    sm.kv_block_size = 64;
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    lp_assert_near(e.modes.prefix_cache_hit_rate, 320.0 / 640.0, 1e-12);
}

/*
 * Eviction under a tiny pool. prefix_repetition with 2 prefixes of 160 tokens (10 blocks) and
 * 40-token suffixes (prompts of 200 tokens), 2 output tokens, one request at a time
 * (--max-concurrency 1). A request holds its prefix's 10 blocks and 3 of its own
 * (ceil(201 / 16) = 13). With a pool of exactly 13 blocks, a finished request leaves its 3
 * own blocks at the head of the free queue and its prefix's 10 behind them (freed tail first,
 * LRU): a request with the same prefix finds all 160 tokens; one with the other prefix needs
 * 13 blocks and so evicts the whole cached prefix: it finds nothing. Request 0 finds its
 * whole prompt but one block from bench's test run: floor(199 / 16) x 16 = 192 tokens.
 * Expected hits: 192 + 160 x (requests whose prefix is the previous request's). With a pool
 * of a million tokens nothing is evicted and only the first use of the other prefix misses:
 * 192 + 160 x (n - 2).
 */
static void test_prefix_cache_eviction(void **state) {
    (void)state;
    const int n = 40;
    lp_step_model sm = hand_model();
    lp_perf_request r = fixed_request(1, 1, n);
    lp_workload_prefix_repetition(&r.workload, 160, 40, 2, 2);
    r.workload.num_prompts = n;
    r.workload.max_concurrency = 1;
    r.workload.seed = 7;
    /* which prompt has which prefix: the data set's shuffle, not the quantity tested */
    int32_t prefix_of[40];
    lp_prefix_cache pc;
    lp_error err;
    assert_int_equal(lp_prefix_cache_init(&pc, &r.workload, 16, n, prefix_of, &err), LP_OK);
    lp_prefix_cache_free(&pc);
    int repeats = 0, uses[2] = {0, 0};
    for (int i = 0; i < n; i++) {
        uses[prefix_of[i]]++;
        repeats += i > 0 && prefix_of[i] == prefix_of[i - 1];
    }
    assert_int_equal(uses[0], n / 2); /* n / num_prefixes prompts of each prefix */
    assert_true(repeats > 0 && repeats < n - 1);

    lp_perf_estimate e;
    sm.kv_capacity_tokens = 13 * 16;
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    assert_int_equal(e.preemptions, 0);
    lp_assert_near(e.modes.prefix_cache_hit_rate, (192.0 + 160.0 * repeats) / (n * 200.0), 1e-12);

    sm.kv_capacity_tokens = 1e6;
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    lp_assert_near(e.modes.prefix_cache_hit_rate, (192.0 + 160.0 * (n - 2)) / (n * 200.0), 1e-12);
}

/*
 * Multi-turn conversations (--num-turns): 2 conversations of 3 turns (6 requests), user
 * messages of 40 tokens, answers of 8, all sent at once. Turn k + 1 is sent when turn k is
 * answered and its prompt is the conversation so far: 40, 40 + 8 + 40 = 88 and
 * 88 + 8 + 40 = 136 tokens (528 over both conversations). Each answered turn leaves its full
 * blocks of prompt + answer - 1 tokens (the last answer token is never cached) for the next:
 * turn 2 finds floor(47 / 16) = 2 blocks = 32 tokens, turn 3 floor(95 / 16) = 5 blocks = 80
 * tokens. bench's test run warms the first prompt: floor(39 / 16) x 16 = 32 tokens. Hits:
 * 32 + 0 + 2 x 32 + 2 x 80 = 256 of 528. Every step is the 8 ms floor: a turn takes 8 steps
 * (prefill + 7 decodes), so the three turns end at 64, 128 and 192 ms.
 */
static void test_multi_turn_conversations(void **state) {
    (void)state;
    lp_step_model sm = hand_model();
    lp_perf_request r = fixed_request(40, 8, 6);
    r.workload.num_turns = 3;
    lp_perf_estimate e;
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    assert_int_equal(e.completed, 6);
    lp_assert_near(e.modes.prefix_cache_hit_rate, 256.0 / 528.0, 1e-12);
    lp_assert_near(e.duration_s, 0.192, 1e-12);
    lp_assert_near(e.ttft_ms.mean, 8.0, 1e-9);

    r.serving.enable_prefix_caching_off = true;
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    assert_false(e.modes.prefix_caching);
    lp_assert_near(e.duration_s, 0.192, 1e-12);

    /* together with shared prefixes: refused, not ignored */
    lp_error err;
    lp_error_clear(&err);
    r.serving.enable_prefix_caching_off = false;
    r.workload.prefix_len = 16;
    assert_int_equal(lp_perf_simulate_with(&sm, &NO_FRONTEND, &r, 1, &e, &err), LP_ERR_UNSUPPORTED);
}

/*
 * LoRA in the step and the scheduler. The step: a decode of one request on the hand model
 * with 256 punica kernels per step (2 per wrapped projection x 4 projections x 32 layers),
 * each at least 3 us (lora_step.c's assumption), and no LoRA FLOPs or bytes: 8 ms + 0.768 ms.
 * The scheduler: 8 requests of 10 prompt and 2 output tokens, all sent at once, spread over 2
 * adapters (both occur among 8 draws for this seed). With --max-loras 2 every request runs at
 * once: a prefill step and a decode step, 16 ms. With --max-loras 1 the requests of the second
 * adapter are skipped while the first adapter's run (Scheduler.schedule checks max_loras
 * against the adapters already scheduled): two such pairs of steps, 32 ms.
 */
static void test_lora_step_and_limit(void **state) {
    (void)state;
    lp_step_model sm = hand_model();
    sm.lora.max_loras = 2;
    sm.lora.adapters = 2;
    sm.lora.kernels_per_step = 256;
    lp_step_batch one = {1, 0, 0, 0, 0};
    lp_step_time t;
    lp_step_eval(&sm, &one, &t);
    lp_assert_near(t.total_s, 0.008 + 256 * 3e-6, 1e-12);

    sm.lora.kernels_per_step = 0;
    lp_perf_request r = fixed_request(10, 2, 8);
    lp_perf_estimate e;
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    lp_assert_near(e.duration_s, 0.016, 1e-12);
    sm.lora.max_loras = 1;
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    lp_assert_near(e.duration_s, 0.032, 1e-12);
    lp_assert_near(e.ttft_ms.p99 > 20.0, 1.0, 0); /* the second adapter's requests waited */
}

/* Poisson sends as vllm bench serve makes them: from 0.10.1 the last of n requests leaves at
 * n / rate exactly (PR #21108); older clients sent the first at 0 and the last, on average,
 * at (n - 1) / rate. Four one-token requests at 1 req/s, each an 8 ms step on an idle
 * engine: the benchmark ends 8 ms after the last send. */
static void test_poisson_sends_end_on_time(void **state) {
    (void)state;
    lp_step_model sm = hand_model();
    lp_perf_request r = fixed_request(100, 1, 4);
    r.workload.request_rate = 1.0;
    r.workload.seed = 5;
    lp_perf_estimate e;
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    lp_assert_near(e.duration_s, 4.008, 1e-9);
    sm.vllm_version = LP_VLLM_VERSION(0, 8, 5);
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    lp_assert_near(e.duration_s, 3.008, 1e-9);
}

/* --burstiness inf: evenly spaced sends. Four one-token requests at 1 req/s leave at 1, 2, 3
 * and 4 s (scaled to end at n / rate) and each is one 8 ms step on an idle engine; with
 * burstiness 0.25 (bursty gamma gaps) some arrive together and wait, so TTFT p99 grows. */
static void test_burstiness(void **state) {
    (void)state;
    lp_step_model sm = hand_model();
    lp_perf_request r = fixed_request(100, 1, 4);
    r.workload.request_rate = 1.0;
    r.workload.burstiness = INFINITY;
    lp_perf_estimate e;
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    lp_assert_near(e.duration_s, 4.008, 1e-9);
    lp_assert_near(e.ttft_ms.p99, 8.0, 1e-9);

    r = fixed_request(100, 1, 2000);
    r.workload.request_rate = 50;
    r.workload.burstiness = INFINITY; /* a step every 20 ms, each 8 ms long: never a queue */
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    lp_assert_near(e.ttft_ms.p99, 8.0, 1e-9);
    r.workload.burstiness = 0.25;
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    assert_true(e.ttft_ms.p99 > 12.0);
}

/* Burstier sends queue more at the same mean rate: 2000 requests of 2000 prompt tokens and one
 * output token at 18 req/s. A prompt costs 2000 x 16 us = 32 ms of compute however the steps
 * chunk it (8192-token budget), so the engine is a single server busy 18 x 32 ms = 58 % of
 * the time and a request waits for the prompts sent before it and not yet prefilled. The
 * gaps' coefficient of variation is 1 / sqrt(b) (gamma with shape b: variance b x scale^2
 * over mean^2 (b x scale)^2), and the waits grow with it (Kingman: the mean wait in a G/D/1
 * queue is proportional to the arrivals' squared coefficient of variation, 1 / b, plus 0 for
 * the fixed service): p99 TTFT at b = 0.5 above Poisson (b = 1), and b = 2 at most Poisson.
 * Same seed for each. */
static void test_burstiness_orders_ttft_tails(void **state) {
    (void)state;
    lp_step_model sm = hand_model();
    double p99[3];
    const double shapes[3] = {0.5, 1.0, 2.0};
    for (int k = 0; k < 3; k++) {
        lp_perf_request r = fixed_request(2000, 1, 2000);
        r.workload.request_rate = 18;
        r.workload.seed = 3;
        r.workload.burstiness = shapes[k];
        lp_perf_estimate e;
        assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
        /* the mean rate holds whatever the shape: the last send is at n / rate = 111.1 s and
         * its prefill (32 ms) ends the run, after at most a short wait */
        assert_true(e.duration_s >= 2000.0 / 18 + 2000 * TOKEN_S - 1e-9);
        assert_true(e.duration_s < 2000.0 / 18 + 2.0);
        p99[k] = e.ttft_ms.p99;
    }
    print_message("p99 TTFT ms: b=0.5 %.3f, b=1 %.3f, b=2 %.3f\n", p99[0], p99[1], p99[2]);
    assert_true(p99[0] > p99[1]);
    assert_true(p99[2] <= p99[1]);
}

/* --sharegpt-output-len N (ShareGPTDataset.sample's output_len): every output is N tokens,
 * prompts keep ShareGPT's lengths. 300 requests with N = 50: 300 x 50 = 15,000 output tokens
 * in all. With N = 1900 only prompts of at most 2048 - 1900 = 148 tokens pass vLLM's pair
 * limit (and at least 4), so the mean prompt lies in [4, 148]. */
static void test_sharegpt_output_len(void **state) {
    (void)state;
    lp_step_model sm = hand_model();
    lp_perf_request r = fixed_request(1, 1, 300);
    lp_workload_sharegpt(&r.workload, 0, 0);
    lp_error err;
    assert_int_equal(lp_workload_sharegpt_output_len(&r.workload, 50, &err), LP_OK);
    r.workload.num_prompts = 300;
    r.workload.request_rate = 10;
    lp_perf_estimate e;
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    assert_int_equal(e.completed, 300);
    lp_assert_near(e.output_tok_s * e.duration_s, 15000.0, 1e-6);
    double in_per_request = e.total_tok_s / e.request_s - e.output_tok_s / e.request_s;
    /* ShareGPT prompts, not a fixed length: far from the random data set's 1024 */
    assert_true(in_per_request > 4 && in_per_request < 1024);

    lp_workload_sharegpt(&r.workload, 0, 0);
    assert_int_equal(lp_workload_sharegpt_output_len(&r.workload, 1900, &err), LP_OK);
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    lp_assert_near(e.output_tok_s * e.duration_s, 300.0 * 1900.0, 1e-3);
    in_per_request = e.total_tok_s / e.request_s - e.output_tok_s / e.request_s;
    assert_true(in_per_request >= 4 && in_per_request <= 148);

    /* refused: another data set, 0 tokens, or more than 2048 - 4 */
    lp_workload w;
    lp_workload_init(&w);
    assert_int_equal(lp_workload_sharegpt_output_len(&w, 50, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "--dataset-name sharegpt"));
    lp_workload_sharegpt(&w, 0, 0);
    assert_int_equal(lp_workload_sharegpt_output_len(&w, 0, &err), LP_ERR_INVALID_ARG);
    assert_int_equal(lp_workload_sharegpt_output_len(&w, 2045, &err), LP_ERR_INVALID_ARG);
    assert_int_equal(lp_workload_sharegpt_output_len(&w, 2044, &err), LP_OK);
}

/* The assumptions name the one scheduler simulated: V1 (chunked prefill) or V0, never both (a
 * V1 run without prefix-cache hits once listed the V0 line too). */
static void test_scheduler_assumption(void **state) {
    (void)state;
    lp_step_model sm = hand_model();
    lp_perf_request r = fixed_request(100, 4, 20);
    lp_perf_estimate e;
    for (int chunked = 0; chunked < 2; chunked++) {
        sm.chunked_prefill = chunked;
        assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
        int v0 = 0, v1 = 0;
        for (int i = 0; i < e.n_assumptions; i++) {
            v0 += strstr(e.assumptions[i], "vLLM V0 scheduler") != NULL;
            v1 += strstr(e.assumptions[i], "vLLM V1 scheduler") != NULL;
        }
        assert_int_equal(v1, chunked);
        assert_int_equal(v0, !chunked);
    }
}

/* Little's law, L = lambda x W: the mean number of running requests equals throughput times
 * the mean time a request runs (here E2E: at 10 req/s against 256 slots nothing waits). */
static void test_littles_law(void **state) {
    (void)state;
    lp_step_model sm = hand_model();
    lp_perf_request r = fixed_request(500, 100, 2000);
    r.workload.request_rate = 10;
    r.workload.seed = 11;
    lp_perf_estimate e;
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    double little = e.request_s * e.e2el_ms.mean / 1e3;
    lp_assert_near(e.mean_batch, little, 0.01 * little);
    assert_true(e.mean_batch > 5.0); /* a real load, not an empty engine */
}

/* ShareGPT with the simulation: lengths drawn as vllm bench serve keeps them, not the fixed
 * 1024 / 128 the CLI once clamped them to (the bug this replaced): mean output tokens per
 * request near the ShareGPT mean. */
static void test_sharegpt_workload(void **state) {
    (void)state;
    lp_step_model sm = hand_model();
    lp_perf_request r = fixed_request(1, 1, 2000);
    r.workload.input = lp_len_sharegpt_input(LP_SHAREGPT_MEAN_INPUT);
    r.workload.output = lp_len_sharegpt_output(LP_SHAREGPT_MEAN_OUTPUT);
    r.workload.request_rate = 10;
    lp_perf_estimate e;
    assert_int_equal(simulate(&sm, &r, 1, &e), LP_OK);
    double out_per_request = e.output_tok_s / e.request_s;
    double in_per_request = e.total_tok_s / e.request_s - out_per_request;
    /* 2000 draws of long-tailed lengths (prompt sd ~270 tokens): within 3 standard errors */
    lp_assert_near(out_per_request, LP_SHAREGPT_MEAN_OUTPUT, 0.10 * LP_SHAREGPT_MEAN_OUTPUT);
    lp_assert_near(in_per_request, LP_SHAREGPT_MEAN_INPUT, 0.10 * LP_SHAREGPT_MEAN_INPUT);
    /* long-tailed outputs: at a light load E2E follows them, p99 far above the median (an
     * exponential's p99 / median is ln 100 / ln 2 = 6.6) */
    assert_true(e.e2el_ms.p99 > 3 * e.e2el_ms.median);
}

/* numpy: np.median(1..10) = 5.5, np.percentile(1..10, 90) = 9.1, 99 -> 9.91. */
static void test_stats_small_sample(void **state) {
    (void)state;
    lp_sim_stat s;
    lp_sim_stat_init(&s);
    static const double v[] = {7, 3, 10, 1, 5, 9, 2, 8, 4, 6};
    for (int i = 0; i < 10; i++)
        assert_int_equal(lp_sim_stat_add(&s, v[i], 1), LP_OK);
    lp_assert_near(lp_sim_stat_mean(&s), 5.5, 1e-12);
    lp_assert_near(lp_sim_stat_quantile(&s, 0.5), 5.5, 1e-12);
    lp_assert_near(lp_sim_stat_quantile(&s, 0.9), 9.1, 1e-12);
    lp_assert_near(lp_sim_stat_quantile(&s, 0.99), 9.91, 1e-12);
    lp_assert_near(lp_sim_stat_quantile(&s, 0.0), 1, 1e-12);
    lp_assert_near(lp_sim_stat_quantile(&s, 1.0), 10, 1e-12);
    lp_sim_stat_free(&s);

    /* weighted: {1, 2, 2, 2} -> median 2, mean 1.75; np.percentile(.., 10) = 1.3 */
    lp_sim_stat_init(&s);
    assert_int_equal(lp_sim_stat_add(&s, 2.0, 3), LP_OK);
    assert_int_equal(lp_sim_stat_add(&s, 1.0, 1), LP_OK);
    lp_assert_near(lp_sim_stat_quantile(&s, 0.5), 2.0, 1e-12);
    lp_assert_near(lp_sim_stat_quantile(&s, 0.1), 1.3, 1e-12);
    lp_assert_near(lp_sim_stat_mean(&s), 1.75, 1e-12);
    lp_sim_stat_free(&s);

    /* empty: 0 like np.mean(x or 0) */
    lp_sim_stat_init(&s);
    lp_assert_near(lp_sim_stat_quantile(&s, 0.5), 0, 0);
    lp_assert_near(lp_sim_stat_mean(&s), 0, 0);
    lp_sim_stat_free(&s);
}

/* Past LP_SIM_STAT_EXACT_MAX distinct samples the histogram takes over: quantiles within
 * 0.25 %, mean exact. Samples 1..N ms: median (N + 1) / 2, p99 1 + 0.99 (N - 1). */
static void test_stats_histogram_precision(void **state) {
    (void)state;
    const uint64_t n = LP_SIM_STAT_EXACT_MAX + 40000;
    lp_sim_stat s;
    lp_sim_stat_init(&s);
    for (uint64_t i = n; i >= 1; i--) /* descending: no merging of neighbours */
        assert_int_equal(lp_sim_stat_add(&s, (double)i * 1e-3, 1), LP_OK);
    assert_non_null(s.bins);
    double nd = (double)n;
    lp_assert_near(lp_sim_stat_mean(&s), (nd + 1) / 2 * 1e-3, 1e-9);
    double med = (nd + 1) / 2 * 1e-3, p99 = (1 + 0.99 * (nd - 1)) * 1e-3;
    lp_assert_near(lp_sim_stat_quantile(&s, 0.5), med, 0.0025 * med);
    lp_assert_near(lp_sim_stat_quantile(&s, 0.99), p99, 0.0025 * p99);
    lp_assert_near(lp_sim_stat_quantile(&s, 1.0), nd * 1e-3, 1e-12);
    lp_sim_stat_free(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_request),
        cmocka_unit_test(test_batch_at_once),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_concurrency_one_serialises),
        cmocka_unit_test(test_chunked_prefill),
        cmocka_unit_test(test_v0_prefill_steps),
        cmocka_unit_test(test_kv_pressure_preempts),
        cmocka_unit_test(test_infeasible),
        cmocka_unit_test(test_poisson_low_rate),
        cmocka_unit_test(test_queueing_bound),
        cmocka_unit_test(test_replicas),
        cmocka_unit_test(test_api_server_times),
        cmocka_unit_test(test_api_ingress_is_serial),
        cmocka_unit_test(test_preemption_resumes_from_cached_blocks),
        cmocka_unit_test(test_prefix_cache_hits),
        cmocka_unit_test(test_prefix_cache_eviction),
        cmocka_unit_test(test_multi_turn_conversations),
        cmocka_unit_test(test_lora_step_and_limit),
        cmocka_unit_test(test_poisson_sends_end_on_time),
        cmocka_unit_test(test_burstiness),
        cmocka_unit_test(test_littles_law),
        cmocka_unit_test(test_sharegpt_workload),
        cmocka_unit_test(test_burstiness_orders_ttft_tails),
        cmocka_unit_test(test_sharegpt_output_len),
        cmocka_unit_test(test_scheduler_assumption),
        cmocka_unit_test(test_stats_small_sample),
        cmocka_unit_test(test_stats_histogram_precision),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
