/*
 * compare.c - the compare use case: a real `vllm bench serve --save-result` file and/or a vLLM
 * start-up log next to llmplan's estimate and memory plan for the same deployment. The
 * workload is the file's (num_prompts, request rate, max concurrency, mean input and output
 * lengths) unless the request overrides it; per metric the rows hold measured, estimated and
 * the error. Parsing the files is the caller's (bench_import.h); this file only computes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/order.h"
#include "llmplan/usecase.h"

#define GIB 1073741824.0
/* `vllm bench serve` --num-prompts default, for a file that states neither it nor completed. */
#define LP_COMPARE_DEFAULT_PROMPTS 1000

void lp_compare_request_init(lp_compare_request *r) {
    memset(r, 0, sizeof *r);
    lp_perf_request_init(&r->perf);
    r->max_concurrency = -1;
    r->request_rate = -1;
}

static void add_row(lp_compare_row *rows, int *n, const char *name, double measured,
                    double estimated) {
    if (*n >= LP_COMPARE_MAX_ROWS || isnan(measured))
        return; /* only what was measured */
    lp_compare_row *r = &rows[(*n)++];
    r->name = name;
    r->measured = measured;
    r->estimated = isfinite(estimated) && estimated > 0 ? estimated : NAN;
    r->error_pct = isfinite(measured) && measured != 0 && !isnan(r->estimated)
                       ? 100.0 * (r->estimated - measured) / fabs(measured)
                       : NAN;
}

double lp_compare_median_abs_error(const lp_compare_row *rows, int n, int *count) {
    double v[LP_COMPARE_MAX_ROWS];
    int k = 0;
    for (int i = 0; i < n && k < LP_COMPARE_MAX_ROWS; i++)
        if (!isnan(rows[i].error_pct))
            v[k++] = fabs(rows[i].error_pct);
    *count = k;
    if (k == 0)
        return NAN;
    qsort(v, (size_t)k, sizeof v[0], lp_cmp_double);
    return k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}

static void perf_rows(const lp_bench_result *b, const lp_perf_estimate *e, lp_compare_result *o) {
    add_row(o->perf, &o->n_perf, "request_throughput", b->request_throughput, e->request_s);
    add_row(o->perf, &o->n_perf, "output_throughput", b->output_throughput, e->output_tok_s);
    add_row(o->perf, &o->n_perf, "total_token_throughput", b->total_token_throughput,
            e->total_tok_s);
    static const char *const NAMES[4][3] = {
        {"mean_ttft_ms", "median_ttft_ms", "p99_ttft_ms"},
        {"mean_tpot_ms", "median_tpot_ms", "p99_tpot_ms"},
        {"mean_itl_ms", "median_itl_ms", "p99_itl_ms"},
        {"mean_e2el_ms", "median_e2el_ms", "p99_e2el_ms"},
    };
    const lp_bench_latency *m[4] = {&b->ttft, &b->tpot, &b->itl, &b->e2el};
    const lp_stat *s[4] = {&e->ttft_ms, &e->tpot_ms, &e->itl_ms, &e->e2el_ms};
    for (int i = 0; i < 4; i++) {
        add_row(o->perf, &o->n_perf, NAMES[i][0], m[i]->mean, s[i]->mean);
        add_row(o->perf, &o->n_perf, NAMES[i][1], m[i]->median, s[i]->median);
        add_row(o->perf, &o->n_perf, NAMES[i][2], lp_bench_percentile(m[i], 99), s[i]->p99);
    }
}

static void memory_rows(const lp_startup_log *l, const lp_mem_plan *p, lp_compare_result *o) {
    const lp_mem_rank *r = &p->ranks[p->binding_rank];
    lp_compare_row *rows = o->memory;
    int *n = &o->n_memory;
    add_row(rows, n, "weights_gib", l->weights_gib, r->weights_bytes / GIB);
    add_row(rows, n, "activation_gib", l->activation_gib, r->activation_bytes / GIB);
    add_row(rows, n, "non_torch_gib", l->non_torch_gib, r->non_torch_bytes / GIB);
    add_row(rows, n, "cuda_graph_gib", l->cuda_graph_gib, r->cuda_graph_bytes / GIB);
    add_row(rows, n, "kv_cache_gib", l->kv_cache_gib, r->kv_cache_bytes / GIB);
    add_row(rows, n, "kv_tokens", l->kv_tokens >= 0 ? (double)l->kv_tokens : NAN,
            (double)p->kv_tokens);
    add_row(rows, n, "gpu_blocks", l->gpu_blocks >= 0 ? (double)l->gpu_blocks : NAN,
            (double)p->kv_blocks);
    add_row(rows, n, "max_concurrency", l->max_concurrency, p->max_concurrency);
}

/* The result file's workload, with the request's overrides. */
static lp_status file_workload(const lp_compare_request *req, const lp_bench_result *b,
                               lp_workload *w, lp_error *err) {
    lp_workload_init(w);
    double in = req->input_len > 0 ? req->input_len : b->mean_input_len;
    double out = req->output_len > 0 ? req->output_len : b->mean_output_len;
    if (!(in >= 1) || !(out >= 1) || in > LP_MAX_LEN_TOKENS || out > LP_MAX_LEN_TOKENS)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "mean input/output lengths: the result file has neither input_lens/"
                            "output_lens nor totals; give --random-input-len and "
                            "--random-output-len");
    w->input = lp_len_fixed(in);
    w->output = lp_len_fixed(out);
    w->num_prompts = req->num_prompts > 0 ? req->num_prompts
                     : b->num_prompts > 0 ? b->num_prompts
                     : b->completed > 0   ? b->completed
                                          : LP_COMPARE_DEFAULT_PROMPTS;
    w->max_concurrency = req->max_concurrency >= 0 ? req->max_concurrency
                         : b->max_concurrency > 0  ? b->max_concurrency
                                                   : 0;
    w->request_rate = req->request_rate >= 0                             ? req->request_rate
                      : isfinite(b->request_rate) && b->request_rate > 0 ? b->request_rate
                                                                         : 0.0;
    /* the run's --burstiness, as its result file records it (absent: 1.0, Poisson) */
    w->burstiness = b->burstiness > 0 ? b->burstiness : 0.0; /* NaN (absent) fails the test */
    return LP_OK;
}

lp_status lp_compare(const lp_compare_request *req, lp_compare_result *out, lp_error *err) {
    memset(out, 0, sizeof *out);
    out->result = req->result;
    out->log = req->log;
    out->result_name = req->result_name;
    out->log_name = req->log_name;
    out->request = req->perf;
    if (!req->result && !req->log)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "give a benchmark result and/or a start-up log to compare");
    if (!req->perf.cluster.gpu)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "compare: no GPU given");
    lp_status st;
    if (req->result) {
        if ((st = file_workload(req, req->result, &out->request.workload, err)) != LP_OK)
            return st;
        st = lp_estimate_performance_calibrated(&out->request, req->calibration, &out->estimate);
        if (st != LP_OK)
            return lp_error_set(err, st, "%s", out->estimate.error);
        perf_rows(req->result, &out->estimate, out);
    }
    if (req->log) {
        if (!req->perf.model)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "a start-up log is compared with a memory plan: give the model");
        lp_serving s = req->perf.serving;
        int per = s.tensor_parallel_size * s.pipeline_parallel_size;
        if (req->perf.cluster.num_gpus > 0 && per > 0)
            s.data_parallel_size = req->perf.cluster.num_gpus / per;
        st = lp_mem_plan_compute(req->perf.model, req->perf.cluster.gpu, &s, &out->plan, err);
        if (st != LP_OK)
            return st;
        memory_rows(req->log, &out->plan, out);
    }
    return LP_OK;
}
