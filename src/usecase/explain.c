/*
 * explain.c - the explain use case: why one configuration performs as it does. vLLM's start-up
 * memory arithmetic (lp_mem_plan_with_suggestions), the roofline estimate of the workload, one
 * prefill step of the mean prompt and one decode step at the estimate's mean batch (the two
 * steps whose composition says what bounds each phase), the targets and the `vllm serve` line.
 * The configuration is given by its settings, or is one ranked by a search.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmplan/artifacts.h"
#include "usecase/usecase_internal.h"

void lp_explain_request_init(lp_explain_request *r) {
    memset(r, 0, sizeof *r);
    lp_cluster_init(&r->cluster, NULL);
    lp_serving_init(&r->serving);
    lp_workload_init(&r->workload);
    lp_targets_init(&r->targets);
}

/* A prefill step of the mean prompt (up to the token budget) and a decode step at the
 * estimate's mean batch. */
static void explain_steps(const lp_explain_request *req, lp_explain_result *out) {
    lp_step_model sm;
    lp_error err;
    lp_cluster cluster = req->cluster;
    if (lp_step_model_init(req->model, &cluster, &out->plan, &sm, NULL, &err) != LP_OK)
        return;
    const lp_workload *w = &out->request.workload;
    double in_mean = lp_len_mean(&w->input), out_mean = lp_len_mean(&w->output);
    double budget =
        out->plan.max_num_batched_tokens > 0 ? out->plan.max_num_batched_tokens : in_mean;
    lp_step_batch b;
    memset(&b, 0, sizeof b);
    b.prefill_tokens = in_mean < budget ? in_mean : budget;
    /* causal attention: token i attends to i positions */
    b.prefill_ctx = b.prefill_tokens * (b.prefill_tokens + 1) / 2;
    b.prefill_seqs = b.prefill_tokens >= in_mean ? 1 : 0;
    lp_step_eval(&sm, &b, &out->prefill_step);
    out->prefill_step_tokens = b.prefill_tokens;
    memset(&b, 0, sizeof b);
    b.decode_seqs = out->estimate.mean_batch >= 1 ? out->estimate.mean_batch : 1;
    b.decode_ctx = b.decode_seqs * (in_mean + out_mean / 2);
    lp_step_eval(&sm, &b, &out->decode_step);
    out->decode_step_seqs = b.decode_seqs;
    out->have_steps = true;
}

/* Whether an estimate meets every target given (at the targets' percentile). */
static bool meets(const lp_targets *t, const lp_perf_estimate *e) {
    int pct = t->percentile > 0 ? t->percentile : 50;
    const lp_stat *s[4] = {&e->ttft_ms, &e->tpot_ms, &e->itl_ms, &e->e2el_ms};
    const double lim[4] = {t->max_ttft_ms, t->max_tpot_ms, t->max_itl_ms, t->max_e2e_ms};
    for (int i = 0; i < 4; i++) {
        if (!(lim[i] > 0))
            continue;
        double v = pct >= 99 ? s[i]->p99 : (pct >= 90 ? s[i]->p90 : s[i]->median);
        if (isfinite(v) && v > lim[i])
            return false;
    }
    return !(t->min_output_tok_s > 0) || e->output_tok_s >= t->min_output_tok_s;
}

static void serve_line(const lp_explain_request *req, lp_explain_result *out) {
    lp_deploy d;
    memset(&d, 0, sizeof d);
    d.model = req->model_id ? req->model_id : req->model->id;
    d.gpu = req->cluster.gpu;
    d.num_gpus = out->plan.num_gpus;
    d.gpus_per_node = lp_cluster_gpus_per_node(&req->cluster);
    d.serving = req->serving;
    lp_error err;
    char *line = lp_artifact_vllm_serve_line(&d, &err);
    if (line && strlen(line) < sizeof out->vllm_serve)
        snprintf(out->vllm_serve, sizeof out->vllm_serve, "%s", line);
    free(line);
}

lp_status lp_explain(const lp_explain_request *req, lp_explain_result *out, lp_error *err) {
    memset(out, 0, sizeof *out);
    if (!req->model)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "explain: no model given");
    if (!req->cluster.gpu)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "explain: no GPU given");
    out->model = req->model;
    out->gpu = req->cluster.gpu;
    out->targets = req->targets;
    out->candidate = req->candidate;
    out->rank = req->rank;
    out->objective = req->objective;
    out->variants = req->variants;
    out->n_variants = req->variants ? req->n_variants : 0;
    lp_status st =
        lp_mem_plan_with_suggestions(req->model, req->cluster.gpu, &req->serving,
                                     req->db ? req->db : lp_gpu_db_builtin(), &out->plan, err);
    if (st != LP_OK)
        return st;
    if (req->gpu_described)
        lp_uc_note_described_gpu(&out->plan, req->cluster.gpu);
    lp_perf_request *r = &out->request;
    lp_perf_request_init(r);
    r->model = req->model;
    r->model_id = req->model_id;
    r->cluster = req->cluster;
    r->cluster.num_gpus = out->plan.num_gpus;
    r->serving = req->serving;
    r->method = LP_ROOFLINE;
    lp_uc_arrival(&req->workload, req->daily_output_tokens, req->candidate != NULL, &r->workload);
    if (!out->plan.fits) {
        lp_mem_plan_infeasible(&out->plan, err);
        snprintf(out->estimate.error, sizeof out->estimate.error, "%s", err->message);
        lp_error_clear(err);
        return LP_OK;
    }
    if (lp_estimate_performance(r, &out->estimate) == LP_OK)
        explain_steps(req, out);
    serve_line(req, out);
    /* a ranked configuration met the targets on the search's numbers */
    out->meets_targets =
        out->estimate.valid && (req->candidate != NULL || meets(&req->targets, &out->estimate));
    return LP_OK;
}

void lp_explain_result_view(const lp_explain_result *r, lp_explain_view *v) {
    /* the view of r (members not named here are zero) */
    *v = (lp_explain_view){
        .model = r->model,
        .gpu = r->gpu,
        .plan = &r->plan,
        .request = &r->request,
        .estimate = r->plan.fits ? &r->estimate : NULL,
        .prefill_step = r->have_steps ? &r->prefill_step : NULL,
        .prefill_step_tokens = r->prefill_step_tokens,
        .decode_step = r->have_steps ? &r->decode_step : NULL,
        .decode_step_seqs = r->decode_step_seqs,
        .targets = &r->targets,
        .candidate = r->candidate,
        .rank = r->rank,
        .objective = r->objective,
        .vllm_serve = r->vllm_serve[0] ? r->vllm_serve : NULL,
        .variants = r->variants,
        .n_variants = r->n_variants,
    };
}
