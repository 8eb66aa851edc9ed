/*
 * bench_perf.c - roofline estimates per second on one core.
 * The step model is prepared once per configuration (as a search does); each estimate then
 * solves one workload's steady state. Workloads vary lengths and concurrency; a second run
 * uses Poisson rates (Little's-law iterations, the slower path). Last, the batch API end to
 * end (name resolution, memory plan, step model, roofline) per item.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "llmplan/perf.h"
#include "perf/perf_internal.h"

#include "bench_items.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static lp_model model;

/* Batch runs per configuration set: the best and the median are printed (the machine is
 * shared, so single runs vary). */
#define RUNS 9

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static lp_mem_plan plan;

int main(void) {
    lp_error err;
    const lp_gpu *gpu;
    if (lp_model_load("meta-llama/Llama-3.1-8B-Instruct", NULL, &model, &err) != LP_OK ||
        lp_gpu_find(lp_gpu_db_builtin(), "H100", &gpu, &err) != LP_OK) {
        fprintf(stderr, "bench: %s\n", err.message);
        return 1;
    }
    lp_serving s;
    lp_serving_init(&s);
    s.max_model_len = 16384;
    lp_step_model sm;
    lp_cluster cluster;
    lp_cluster_init(&cluster, gpu);
    if (lp_mem_plan_compute(&model, gpu, &s, &plan, &err) != LP_OK ||
        lp_step_model_init(&model, &cluster, &plan, &sm, NULL, &err) != LP_OK) {
        fprintf(stderr, "bench: %s\n", err.message);
        return 1;
    }
    static const double ins[] = {128, 512, 1024, 2048, 4096, 8000};
    static const double outs_len[] = {64, 128, 256, 512, 1024};
    static const int concs[] = {0, 1, 8, 32, 128};
    for (int pass = 0; pass < 2; pass++) {
        lp_perf_request r;
        lp_perf_request_init(&r);
        lp_perf_estimate e;
        long count = 0;
        double sink = 0, t0 = now_s(), t;
        do {
            for (int i = 0; i < 6; i++)
                for (int o = 0; o < 5; o++)
                    for (int c = 0; c < 5; c++) {
                        r.workload.input = lp_len_fixed(ins[i]);
                        r.workload.output = lp_len_fixed(outs_len[o]);
                        r.workload.max_concurrency = pass == 0 ? concs[c] : 0;
                        r.workload.request_rate = pass == 0 ? 0 : 0.5 + c * 4.0;
                        e.n_assumptions = LP_MAX_ASSUMPTIONS; /* full: skip the texts */
                        lp_perf_roofline_quiet(&sm, &r, 1, &e);
                        sink += e.output_tok_s;
                        count++;
                    }
            t = now_s() - t0;
        } while (t < 1.0);
        printf("roofline %-32s %10.0f estimates/s  %7.3f us/estimate  (%ld, checksum %.3g)\n",
               pass == 0 ? "(concurrency / all at once)" : "(Poisson rate, Little's law)",
               count / t, 1e6 * t / count, count, sink);
    }
    /* the batch API end to end (lp_estimate_performance_batch): every item names its model and
     * GPU; the batch resolves each model, GPU and step model once per thread and spreads the
     * items over every core. First 10,000 mixed configurations of one model (GPU type, TP,
     * context, lengths, closed-loop concurrency or Poisson rate), with the assumption texts and
     * with numbers only; then four models. The best and the median of RUNS runs are printed
     * (the machine is shared). */
    {
        enum { N = LP_BENCH_ITEMS };
        static lp_perf_request reqs[N];
        static lp_perf_estimate outs[N];
        for (int set = 0; set < 2; set++) {
            lp_bench_items(reqs, N, set);
            for (unsigned flags = 0; flags <= (set == 0 ? LP_PERF_NO_ASSUMPTIONS : 0); flags++) {
                double t[RUNS];
                size_t valid = 0;
                for (int rep = 0; rep < RUNS; rep++) {
                    lp_perf_batch_opts opts = {0, flags};
                    double t0 = now_s();
                    valid = lp_estimate_performance_batch_opts(reqs, N, outs, &opts);
                    t[rep] = now_s() - t0;
                }
                qsort(t, RUNS, sizeof t[0], cmp_double);
                printf("batch    %-32s %10.0f items/s best, %10.0f median  %6.0f ns/item best  "
                       "(%d items, %zu valid, %ld threads, %d runs)\n",
                       set == 0 ? (flags ? "(one model, numbers only)" : "(one model, mixed)")
                                : "(four models)",
                       N / t[0], N / t[RUNS / 2], 1e9 * t[0] / N, N, valid,
                       sysconf(_SC_NPROCESSORS_ONLN), RUNS);
            }
        }
    }
    return 0;
}
