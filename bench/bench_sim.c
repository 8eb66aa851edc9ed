/*
 * bench_sim.c - how fast the `simulate` method is, on one core.
 * Llama-3.1-8B-Instruct on one H100 with vLLM's defaults, fixed 1024 input / 256 output
 * tokens, every request sent at t = 0 (rate inf), for 1k, 10k and 100k requests: wall time
 * of lp_perf_simulate (best of a few runs), simulated requests per second, ns per request and
 * per generated token. The target is 10k requests in under 100 ms.
 * Also a Poisson run (rate 20 req/s) to show the cost of an open-loop workload.
 * Prints ratios and per-item costs; not a test (no thresholds here).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/perf.h"
#include "perf/perf_internal.h"

#define MODEL_ID "meta-llama/Llama-3.1-8B-Instruct"
#define GPU_NAME "H100"
#define TARGET_10K_MS 100.0

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static lp_model model;
static lp_mem_plan plan;
static lp_perf_estimate est;

static void die(const lp_error *err) {
    fprintf(stderr, "bench_sim: %s\n", err->message);
    exit(1);
}

/* Best wall time of `runs` simulations of n requests; est keeps the last result. */
static double time_sim(const lp_step_model *sm, int n, double rate, int runs) {
    lp_perf_request r;
    lp_perf_request_init(&r);
    r.method = LP_SIMULATE;
    r.workload.input = lp_len_fixed(1024);
    r.workload.output = lp_len_fixed(256);
    r.workload.num_prompts = n;
    r.workload.request_rate = rate;
    double best = 1e30;
    for (int i = 0; i < runs; i++) {
        lp_error err;
        lp_error_clear(&err);
        est.n_assumptions = 0;
        double t0 = now_s();
        if (lp_perf_simulate(sm, &r, 1, &est, &err) != LP_OK)
            die(&err);
        double t = now_s() - t0;
        if (t < best)
            best = t;
    }
    return best;
}

static void report(const char *label, int n, double t) {
    double tokens = (double)n * 256;
    printf("%-26s %8d req %9.2f ms %12.0f sim req/s %8.0f ns/req %6.1f ns/token  "
           "(simulated: %.1f s, %.0f out tok/s, %d preemptions)\n",
           label, n, 1e3 * t, n / t, 1e9 * t / n, 1e9 * t / tokens, est.duration_s,
           est.output_tok_s, est.preemptions);
}

int main(void) {
    lp_error err;
    lp_error_clear(&err);
    const lp_gpu *gpu;
    if (lp_model_load(MODEL_ID, NULL, &model, &err) != LP_OK)
        die(&err);
    if (lp_gpu_find(lp_gpu_db_builtin(), GPU_NAME, &gpu, &err) != LP_OK)
        die(&err);
    lp_serving s;
    lp_serving_init(&s);
    if (lp_mem_plan_compute(&model, gpu, &s, &plan, &err) != LP_OK)
        die(&err);
    lp_step_model sm;
    lp_cluster cluster;
    lp_cluster_init(&cluster, gpu);
    if (lp_step_model_init(&model, &cluster, &plan, &sm, NULL, &err) != LP_OK)
        die(&err);
    printf("bench_sim: %s on one %s, KV %.0f tokens, max_num_seqs %d, "
           "max_num_batched_tokens %d, 1024 in / 256 out\n",
           MODEL_ID, GPU_NAME, sm.kv_capacity_tokens, sm.max_num_seqs, sm.max_num_batched_tokens);

    double t1k = time_sim(&sm, 1000, 0, 5);
    report("rate inf", 1000, t1k);
    double t10k = time_sim(&sm, 10000, 0, 5);
    report("rate inf", 10000, t10k);
    double t100k = time_sim(&sm, 100000, 0, 2);
    report("rate inf", 100000, t100k);
    double tp = time_sim(&sm, 10000, 20, 3);
    report("Poisson 20 req/s", 10000, tp);

    printf("scaling: 10k/1k time ratio %.1f (10 = linear), 100k/10k %.1f\n", t10k / t1k,
           t100k / t10k);
    printf("10k requests: %.1f ms, target < %.0f ms: %s (%.1fx headroom)\n", 1e3 * t10k,
           TARGET_10K_MS, 1e3 * t10k < TARGET_10K_MS ? "met" : "MISSED",
           TARGET_10K_MS / (1e3 * t10k));
    return 0;
}
