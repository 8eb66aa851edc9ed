/*
 * bench_search.c - how fast the recommendation search is over a large space.
 * meta-llama/Llama-3.3-70B-Instruct with quantization options (bf16, fp8, awq) x KV dtype x
 * scheduler limits, on 10 GPU types, up to 64 GPUs (8 per node): more than 100,000
 * configurations. A prefill-heavy workload (2000 in / 250 out tokens at 4 req/s, so the
 * larger max-num-batched-tokens option is tried too) with TTFT < 2 s and TPOT < 50 ms at the
 * median. Runs with 1 and 2 threads (best of a few runs each), prints candidates, wall time,
 * candidates per second and the cost per candidate, and checks both rankings are identical.
 * Target: the whole search under 1 s on a 2-core machine (Release build).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmplan/search.h"

#define MODEL_ID "meta-llama/Llama-3.3-70B-Instruct"
#define RUNS 3
#define TARGET_S 1.0

static const char *const GPU_NAMES[] = {"H100 SXM",      "H200 SXM",      "H100 PCIe", "B200",
                                        "A100 80GB SXM", "A100 40GB SXM", "L40S",      "L4",
                                        "A10G",          "MI300X"};
#define N_GPU_NAMES (sizeof GPU_NAMES / sizeof GPU_NAMES[0])

static lp_model model;

static void die(const char *what, const lp_error *err) {
    fprintf(stderr, "bench_search: %s: %s\n", what, err->message);
    exit(1);
}

static bool same_ranking(const lp_search_result *a, const lp_search_result *b) {
    if (a->n_ranked != b->n_ranked || a->n_pareto != b->n_pareto)
        return false;
    for (size_t i = 0; i < a->n_ranked; i++) {
        const lp_candidate *x = &a->ranked[i], *y = &b->ranked[i];
        if (x->gpu != y->gpu || x->num_gpus != y->num_gpus || x->tp != y->tp || x->pp != y->pp ||
            x->kv_cache_dtype != y->kv_cache_dtype || strcmp(x->quantization, y->quantization) ||
            x->max_num_seqs != y->max_num_seqs || x->score != y->score)
            return false;
    }
    return true;
}

int main(void) {
    lp_error err;
    if (lp_model_load(MODEL_ID, NULL, &model, &err) != LP_OK)
        die(MODEL_ID, &err);
    const lp_gpu *gpus[N_GPU_NAMES];
    for (size_t i = 0; i < N_GPU_NAMES; i++)
        if (lp_gpu_find(lp_gpu_db_builtin(), GPU_NAMES[i], &gpus[i], &err) != LP_OK)
            die(GPU_NAMES[i], &err);

    lp_search_spec spec;
    lp_search_spec_init(&spec);
    spec.model = &model;
    spec.gpus = gpus;
    spec.n_gpus = N_GPU_NAMES;
    spec.max_gpus = 64;
    spec.gpus_per_node = 8;
    spec.allow_quantization = true;
    spec.workload.input = lp_len_fixed(2000);
    spec.workload.output = lp_len_fixed(250);
    spec.workload.request_rate = 4;
    spec.targets.max_ttft_ms = 2000;
    spec.targets.max_tpot_ms = 50;
    spec.objective = LP_OBJ_COST;

    printf("bench_search: %s, %zu GPU types, up to %d GPUs, quantization options on\n", MODEL_ID,
           N_GPU_NAMES, spec.max_gpus);
    lp_search_result results[2];
    double best[2] = {0, 0};
    for (int t = 1; t <= 2; t++) {
        spec.threads = t;
        for (int run = 0; run < RUNS; run++) {
            lp_search_result r;
            if (lp_search_run(&spec, &r, &err) != LP_OK)
                die("search", &err);
            if (run == 0 || r.search_s < best[t - 1])
                best[t - 1] = r.search_s;
            if (run == 0)
                results[t - 1] = r;
            else
                lp_search_result_free(&r);
        }
        const lp_search_result *r = &results[t - 1];
        double s = best[t - 1];
        printf("threads %d: %zu candidates, %zu estimated, %zu meet the targets, %zu on the "
               "Pareto front\n",
               t, r->enumerated, r->estimated, r->feasible, r->n_pareto);
        printf("           %.3f s (best of %d), %.0f candidates/s, %.2f us/candidate (x threads: "
               "%.2f us of CPU)\n",
               s, RUNS, r->enumerated / s, 1e6 * s / r->enumerated, 1e6 * s * t / r->enumerated);
        printf("           rejected:");
        for (int k = 0; k < LP_REJECT_COUNT; k++)
            printf(" %s %zu%s", lp_reject_reason_name((lp_reject_reason)k), r->rejected[k],
                   k + 1 < LP_REJECT_COUNT ? "," : "\n");
    }
    if (results[0].n_ranked > 0)
        printf("best: %s\n", results[0].ranked[0].why);
    bool same = same_ranking(&results[0], &results[1]);
    printf("1 vs 2 threads: ranking %s, speed-up %.2fx\n", same ? "identical" : "DIFFERENT",
           best[0] / best[1]);
    printf("target < %.1f s: %s\n", TARGET_S, best[1] < TARGET_S ? "met" : "NOT met");
    printf("costs from %s\n", results[0].price_origin);
    lp_search_result_free(&results[0]);
    lp_search_result_free(&results[1]);
    return same ? 0 : 1;
}
