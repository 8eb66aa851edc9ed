/*
 * estimate.c - the estimate use case: how fast would this deployment serve this workload.
 * Chooses the method a request allows (only a parameter count: the heuristic), plans a
 * --max-model-len that serves the workload when none was given and the model's own context
 * does not fit, runs the estimate (lp_estimate_performance_calibrated), says what it assumed
 * and builds the deployment's `vllm serve` line. Model and GPU come resolved: no I/O here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmplan/artifacts.h"
#include "llmplan/usecase.h"

void lp_estimate_request_init(lp_estimate_request *r) {
    memset(r, 0, sizeof *r);
    lp_perf_request_init(&r->perf);
}

/* The serving settings a request deploys: GPUs beyond one replica's tp x pp are replicas. */
static void deployed_serving(const lp_perf_request *r, lp_serving *s) {
    *s = r->serving;
    int tp = s->tensor_parallel_size > 0 ? s->tensor_parallel_size : 1;
    int pp = s->pipeline_parallel_size > 0 ? s->pipeline_parallel_size : 1;
    if (r->cluster.num_gpus > 0 && r->cluster.num_gpus % (tp * pp) == 0)
        s->data_parallel_size = r->cluster.num_gpus / (tp * pp);
}

/*
 * No --max-model-len given and the model's default context does not fit: plan the longest
 * request of the workload instead, as a user sizing vLLM for this workload would. Returns the
 * length planned, or 0 when nothing changes (the default fits, settings vLLM refuses - the
 * estimate reports those - or the workload needs the model's whole context anyway).
 */
static int64_t plan_context(const lp_perf_request *r, lp_perf_cache *cache, int64_t *default_len,
                            int64_t *fit_len) {
    if (r->method == LP_HEURISTIC || !r->model || !r->cluster.gpu || r->serving.max_model_len != 0)
        return 0;
    static _Thread_local lp_mem_plan own; /* about 10 KB: not on the stack */
    const lp_mem_plan *p = &own;
    lp_serving s;
    deployed_serving(r, &s);
    lp_status st = cache ? lp_perf_cache_mem_plan(cache, r->model, r->cluster.gpu, &s, &p, NULL)
                         : lp_mem_plan_compute(r->model, r->cluster.gpu, &s, &own, NULL);
    if (st != LP_OK || p->fits)
        return 0;
    int64_t need = 0;
    if (lp_workload_context_needed(&r->workload, &need) != LP_OK || need < 1 ||
        need >= p->max_model_len)
        return 0;
    *default_len = p->max_model_len;
    *fit_len = p->max_model_len_fit;
    return need;
}

/* The `vllm serve` lines of a disaggregated deployment: one per role, each with its
 * --kv-transfer-config, on two lines ("" when one cannot be built). */
static void serve_lines_disaggregated(const lp_perf_request *r, char *buf, size_t size) {
    const lp_gpu *pools[2] = {r->cluster.prefill_gpu ? r->cluster.prefill_gpu : r->cluster.gpu,
                              r->cluster.decode_gpu ? r->cluster.decode_gpu : r->cluster.gpu};
    static const lp_disagg_role roles[2] = {LP_ROLE_PREFILL, LP_ROLE_DECODE};
    size_t used = 0;
    for (int i = 0; i < 2; i++) {
        lp_deploy d;
        memset(&d, 0, sizeof d);
        d.model = r->model_id ? r->model_id : r->model->id;
        d.gpu = pools[i];
        d.gpus_per_node = lp_cluster_gpus_per_node(&r->cluster);
        lp_disaggregation_role_serving(&r->serving, roles[i], &d.serving);
        d.role = i == 0 ? LP_DEPLOY_PREFILL : LP_DEPLOY_DECODE;
        d.num_gpus = (d.serving.tensor_parallel_size > 0 ? d.serving.tensor_parallel_size : 1) *
                     (d.serving.pipeline_parallel_size > 0 ? d.serving.pipeline_parallel_size : 1);
        lp_error err;
        char *line = d.gpu ? lp_artifact_vllm_serve_line(&d, &err) : NULL;
        int n = line ? snprintf(buf + used, size - used, "%s%s", i ? "\n" : "", line) : -1;
        free(line);
        if (n < 0 || (size_t)n >= size - used) {
            buf[0] = '\0';
            return;
        }
        used += (size_t)n;
    }
}

/* The `vllm serve` line of the deployment estimated ("" when it has no model to serve). */
static void serve_line(const lp_perf_request *r, char *buf, size_t size) {
    buf[0] = '\0';
    if (!r->model && !r->model_id)
        return;
    if (lp_disaggregated(&r->serving)) {
        serve_lines_disaggregated(r, buf, size);
        return;
    }
    lp_deploy d;
    memset(&d, 0, sizeof d);
    d.model = r->model_id ? r->model_id : r->model->id;
    d.gpu = r->cluster.gpu;
    d.gpus_per_node = lp_cluster_gpus_per_node(&r->cluster);
    deployed_serving(r, &d.serving);
    d.num_gpus = (d.serving.tensor_parallel_size > 0 ? d.serving.tensor_parallel_size : 1) *
                 (d.serving.pipeline_parallel_size > 0 ? d.serving.pipeline_parallel_size : 1) *
                 (d.serving.data_parallel_size > 0 ? d.serving.data_parallel_size : 1);
    lp_error err;
    char *line = lp_artifact_vllm_serve_line(&d, &err);
    if (line && strlen(line) < size)
        snprintf(buf, size, "%s", line);
    free(line);
}

/* The estimate of r, through the batch's cache when there is one. */
static lp_status run(const lp_estimate_request *req, const lp_perf_request *r,
                     lp_perf_estimate *e) {
    return req->cache && !req->calibration
               ? lp_perf_cache_estimate(req->cache, r, e, req->perf_flags)
               : lp_estimate_performance_calibrated(r, req->calibration, e);
}

lp_status lp_estimate(const lp_estimate_request *req, lp_estimate_result *out) {
    out->request = req->perf;
    out->planned_max_model_len = 0;
    out->vllm_serve[0] = '\0';
    lp_perf_request *r = &out->request;
    bool chose_heuristic = false;
    if (!req->method_given && !r->model && r->params_b > 0 && r->method != LP_HEURISTIC) {
        r->method = LP_HEURISTIC; /* only a parameter count: the heuristic is all there is */
        chose_heuristic = true;
    }
    lp_perf_estimate *e = &out->estimate;
    lp_status st = run(req, r, e);
    /* the model's default context does not fit: plan the workload's instead (only then, so
     * that an estimate that fits costs no second memory plan) */
    int64_t default_len = 0, fit_len = 0, planned = 0;
    if (st == LP_ERR_INFEASIBLE &&
        (planned = plan_context(r, req->cache, &default_len, &fit_len)) > 0) {
        r->serving.max_model_len = planned;
        out->planned_max_model_len = planned;
        st = run(req, r, e);
    }
    if (st != LP_OK)
        return st;
    if (planned > 0)
        lp_perf_assume(e,
                       "--max-model-len %lld planned: the workload's longest request; the "
                       "model's default of %lld tokens does not fit (at most %lld does)",
                       (long long)planned, (long long)default_len, (long long)fit_len);
    if (r->workload.dataset == LP_DATASET_SHAREGPT && r->workload.sharegpt_output_len > 0)
        lp_perf_assume(e,
                       "--sharegpt-output-len %d: ShareGPT prompts (mean %.0f tokens, as "
                       "published vLLM runs), every output %d tokens as if --ignore-eos (a "
                       "model that ends its answer sooner sends fewer)",
                       r->workload.sharegpt_output_len, lp_len_mean(&r->workload.input),
                       r->workload.sharegpt_output_len);
    else if (r->workload.dataset == LP_DATASET_SHAREGPT)
        lp_perf_assume(e,
                       "--dataset-name sharegpt: ShareGPT lengths as vllm bench serve keeps "
                       "them, means %.0f in / %.0f out (published vLLM runs' tokens per "
                       "request), not the data set itself",
                       lp_len_mean(&r->workload.input), lp_len_mean(&r->workload.output));
    for (int i = 0; i < req->n_notes && i < LP_ESTIMATE_MAX_NOTES; i++)
        if (req->notes[i][0])
            lp_perf_assume(e, "%s", req->notes[i]);
    if (chose_heuristic)
        lp_perf_assume(e, "method heuristic: only a parameter count was given");
    if (req->vllm_serve)
        serve_line(r, out->vllm_serve, sizeof out->vllm_serve);
    return LP_OK;
}
