/*
 * api_time.c - the fit of the API-server time of the simulation (src/perf/simulate.c,
 * LP_SIM_API_INGRESS_S + LP_SIM_API_EGRESS_S), repeatable: on the fit rows (never the holdout
 * rows) of ../shared/validation/serving_perf_2.tsv that are vLLM ShareGPT runs at 1 or 4 req/s
 * (the engine nearly idle), as `llmplan accuracy` maps them, it simulates each row without
 * API-server time and prints the measured median TTFT minus the simulated one, then the
 * median of those residuals: the constant.
 *
 * Build and run from the repository root after `make`:
 *   cc -O2 -Iinclude -Isrc tools/sim_fit/api_time.c build/libllmplan.a \
 *      $(pkg-config --libs jansson yaml-0.1) -lm -ldl -lpthread -o /tmp/api_time
 *   /tmp/api_time ../shared/validation/serving_perf_2.tsv
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "llmplan/validate.h"
#include "perf/perf_internal.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "../shared/validation/serving_perf_2.tsv";
    lp_serving_point *pts;
    int n;
    lp_error err;
    lp_error_clear(&err);
    if (lp_serving_points_read(path, &pts, &n, &err) != LP_OK) {
        fprintf(stderr, "api_time: %s\n", err.message);
        return 1;
    }
    static lp_perf_estimate est;
    static lp_model scratch;
    double res[512];
    int m = 0;
    const lp_sim_frontend none = {0.0, 0.0};
    for (int i = 0; i < n; i++) {
        lp_serving_point *p = &pts[i];
        const lp_workload *w = &p->req.workload;
        double rate = w->request_rate;
        if (p->engine != LP_ENGINE_VLLM || p->holdout || w->input.kind != LP_LEN_SHAREGPT ||
            !(rate == 1.0 || rate == 4.0) || isnan(p->actual[LP_SM_TTFT_P50]))
            continue;
        lp_perf_request req = p->req;
        req.method = LP_SIMULATE;
        lp_step_model sm;
        int replicas = 1;
        const lp_gpu *gpu;
        if (lp_perf_prepare(&req, &scratch, &sm, &replicas, &gpu, NULL, &err) != LP_OK ||
            lp_perf_simulate_with(&sm, &none, &req, replicas, &est, &err) != LP_OK) {
            printf("line %d %s: %s\n", p->line, p->model_id, err.message);
            continue;
        }
        double r = p->actual[LP_SM_TTFT_P50] - est.ttft_ms.median;
        printf("line %3d %-40s %-10s rate %g: TTFT p50 %.2f ms measured, %.2f simulated, "
               "residual %.2f ms\n",
               p->line, p->model_id, p->gpu, rate, p->actual[LP_SM_TTFT_P50], est.ttft_ms.median,
               r);
        if (m < 512)
            res[m++] = r;
    }
    lp_serving_points_free(pts);
    if (m == 0) {
        fprintf(stderr, "api_time: no fit row at 1 or 4 req/s\n");
        return 1;
    }
    qsort(res, (size_t)m, sizeof *res, cmp_double);
    double med = m % 2 ? res[m / 2] : 0.5 * (res[m / 2 - 1] + res[m / 2]);
    printf("%d fit rows: median residual %.2f ms (range %.2f to %.2f)\n", m, med, res[0],
           res[m - 1]);
    return 0;
}
