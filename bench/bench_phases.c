/*
 * bench_phases.c - where one batch item's time goes: the cost of each phase of
 * lp_perf_cache_estimate (numbers only), measured apart on the one-model set of
 * bench_items.h, on one thread.
 *
 * Phases: the request checks (workload and serving modes), the method on an already prepared
 * step model (lp_perf_run: context check, roofline, modes, bands) split into the roofline of
 * the closed-loop / all-at-once items and of the Poisson-rate items (the Little's-law fixed
 * point), one step-model evaluation, and the error bands; the cached lookups and the result
 * resets are what the whole item costs beyond the checks and lp_perf_run. Each phase runs over
 * all 10,000 items RUNS times; the thread's CPU time (not wall time: the machine is shared) of
 * the best and the median run is printed in ns per item. Not a test (no thresholds here).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llmplan/bands.h"
#include "llmplan/perf.h"
#include "perf/perf_internal.h"

#include "bench_items.h"

#define RUNS 7
/* distinct configurations of the one-model set: 4 GPUs x 2 TP x 3 contexts */
#define MAX_CONFIGS 64

enum { N = LP_BENCH_ITEMS };
static lp_perf_request reqs[N];
static lp_perf_estimate outs[N];
static lp_step_model sms[MAX_CONFIGS];
static int replicas[MAX_CONFIGS];
static int config_of[N];

static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef enum {
    PH_FULL,
    PH_CHECKS,
    PH_RUN,
    PH_ROOFLINE_CLOSED,
    PH_ROOFLINE_POISSON,
    PH_STEP,
    PH_BANDS,
    PH_COUNT
} phase;

static const char *const NAMES[PH_COUNT] = {
    "whole item (lp_perf_cache_estimate)",    "request checks (workload, modes)",
    "lp_perf_run (roofline + modes + bands)", "roofline, concurrency / all at once",
    "roofline, Poisson rate (Little's law)",  "one step-model evaluation (decode step)",
    "error bands (lp_perf_apply_bands)",
};

/* One pass of phase p over the items it applies to; returns how many it did. */
static int pass(phase p, lp_perf_cache *c, double *sink) {
    int done = 0;
    lp_error err;
    for (int i = 0; i < N; i++) {
        const lp_perf_request *r = &reqs[i];
        lp_perf_estimate *e = &outs[i];
        const lp_step_model *sm = &sms[config_of[i]];
        bool poisson = r->workload.request_rate > 0;
        switch (p) {
        case PH_FULL:
            lp_perf_cache_estimate(c, r, e, LP_PERF_NO_ASSUMPTIONS);
            break;
        case PH_CHECKS:
            *sink += lp_workload_check(&r->workload, &err) + lp_perf_modes_check(r, &err);
            break;
        case PH_RUN:
            e->n_assumptions = LP_MAX_ASSUMPTIONS; /* full: no text, as numbers only */
            lp_perf_run(sm, r, replicas[config_of[i]], e, true);
            break;
        case PH_ROOFLINE_CLOSED:
        case PH_ROOFLINE_POISSON:
            if (poisson != (p == PH_ROOFLINE_POISSON))
                continue;
            lp_perf_roofline_quiet(sm, r, replicas[config_of[i]], e);
            break;
        case PH_STEP: {
            double seqs = 1 + i % 64;
            lp_step_batch b = {seqs, seqs * (64.0 + 61.0 * (i % 53)), 0, 0, 0};
            lp_step_time t;
            lp_step_eval(sm, &b, &t);
            *sink += t.total_s;
            break;
        }
        case PH_BANDS:
            e->n_assumptions = LP_MAX_ASSUMPTIONS; /* full: no text, as numbers only */
            lp_perf_apply_bands(NULL, r, sm->eff.family, e);
            break;
        case PH_COUNT:
            break;
        }
        *sink += e->ttft_ms.mean;
        done++;
    }
    return done;
}

int main(void) {
    lp_bench_items(reqs, N, 0);
    /* prepare each distinct configuration once, as the cache does */
    static lp_perf_request seen[MAX_CONFIGS];
    int n_configs = 0;
    static lp_model models[MAX_CONFIGS];
    for (int i = 0; i < N; i++) {
        const lp_perf_request *r = &reqs[i];
        int k = 0;
        while (k < n_configs &&
               !(seen[k].gpu_name == r->gpu_name &&
                 seen[k].serving.tensor_parallel_size == r->serving.tensor_parallel_size &&
                 seen[k].serving.max_model_len == r->serving.max_model_len))
            k++;
        if (k == n_configs) {
            if (n_configs == MAX_CONFIGS) {
                fprintf(stderr, "bench_phases: more than %d configurations\n", MAX_CONFIGS);
                return 1;
            }
            lp_error err;
            const lp_gpu *gpu;
            seen[k] = *r;
            if (lp_perf_prepare(r, &models[k], &sms[k], &replicas[k], &gpu, NULL, &err) != LP_OK) {
                fprintf(stderr, "bench_phases: %s\n", err.message);
                return 1;
            }
            n_configs++;
        }
        config_of[i] = k;
    }
    lp_perf_cache *c = lp_perf_cache_new();
    if (!c) {
        fprintf(stderr, "bench_phases: out of memory\n");
        return 1;
    }
    double sink = 0;
    pass(PH_FULL, c, &sink); /* warm the cache: every configuration prepared */
    printf("bench_phases: one batch item's phases, one thread, numbers only; %d items of one "
           "model (%d configurations, a third at Poisson rates); thread CPU time, %d runs\n",
           N, n_configs, RUNS);
    double best[PH_COUNT];
    for (int p = 0; p < PH_COUNT; p++) {
        double t[RUNS];
        int done = 0;
        for (int rep = 0; rep < RUNS; rep++) {
            double t0 = cpu_s();
            done = pass((phase)p, c, &sink);
            t[rep] = cpu_s() - t0;
        }
        qsort(t, RUNS, sizeof t[0], cmp_double);
        best[p] = 1e9 * t[0] / N; /* per batch item, whatever the phase covers */
        printf("  %-42s %8.1f ns/item best %8.1f median  (%5d items, %7.1f ns each)\n", NAMES[p],
               best[p], 1e9 * t[RUNS / 2] / N, done, 1e9 * t[0] / done);
    }
    printf("  %-42s %8.1f ns/item (whole item - checks - lp_perf_run, best runs)\n",
           "lookups, key hashing, result resets", best[PH_FULL] - best[PH_CHECKS] - best[PH_RUN]);
    printf("  %-42s %8.1f ns/item (lp_perf_run - roofline - bands)\n", "context check, modes",
           best[PH_RUN] - best[PH_ROOFLINE_CLOSED] - best[PH_ROOFLINE_POISSON] - best[PH_BANDS]);
    printf("  (checksum %.6g)\n", sink);
    lp_perf_cache_free(c);
    return 0;
}
