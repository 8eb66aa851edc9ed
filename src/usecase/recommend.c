/*
 * recommend.c - the recommend use case: the best deployments of a model for a workload under
 * latency targets. The search (lp_search_run) ranks the configurations; this file estimates
 * the shown ones again for every statistic `vllm bench serve` reports (the search keeps one
 * latency per quantity), builds their `vllm serve` lines and, when nothing meets the targets,
 * searches again without them to show how close the nearest configurations come. The CLI and
 * the HTTP server both call it, so both list the same closest misses.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmplan/artifacts.h"
#include "usecase/usecase_internal.h"

void lp_recommend_request_init(lp_recommend_request *r) {
    memset(r, 0, sizeof *r);
    lp_search_spec_init(&r->spec);
    r->top = LP_RECOMMEND_DEFAULT_TOP;
}

void lp_recommend_result_free(lp_recommend_result *r) {
    if (!r)
        return;
    for (size_t i = 0; r->vllm_serve && i < r->n_estimates; i++)
        free(r->vllm_serve[i]);
    free(r->vllm_serve);
    free(r->estimates);
    lp_search_result_free(&r->search);
    r->vllm_serve = NULL;
    r->estimates = NULL;
    r->n_estimates = 0;
}

/*
 * How far a candidate is from the targets it misses: the worst ratio of value to limit (limit
 * to value for the throughput floor); 1 or less meets them all. Sets the reason of the worst.
 */
static double miss_ratio(const lp_targets *t, double offered, const lp_candidate *c,
                         lp_reject_reason *why) {
    const double v[4] = {c->ttft_ms, c->tpot_ms, c->itl_ms, c->e2e_ms};
    const double lim[4] = {t->max_ttft_ms, t->max_tpot_ms, t->max_itl_ms, t->max_e2e_ms};
    const lp_reject_reason rs[4] = {LP_REJECT_TTFT, LP_REJECT_TPOT, LP_REJECT_ITL, LP_REJECT_E2E};
    double worst = 0;
    *why = LP_REJECT_NO_FIT;
    for (int i = 0; i < 4; i++) {
        if (!(lim[i] > 0))
            continue;
        double r = isfinite(v[i]) ? v[i] / lim[i] : INFINITY;
        if (r > worst) {
            worst = r;
            *why = rs[i];
        }
    }
    double floor = t->min_output_tok_s > offered ? t->min_output_tok_s : offered;
    if (floor > 0) {
        double r = c->output_tok_s > 0 ? floor / c->output_tok_s : INFINITY;
        if (r > worst) {
            worst = r;
            *why = LP_REJECT_THROUGHPUT;
        }
    }
    return worst;
}

/* Same GPUs, parallel layout and dtypes (differing only in scheduler limits). */
static bool same_layout(const lp_candidate *a, const lp_candidate *b) {
    return a->gpu == b->gpu && a->num_gpus == b->num_gpus && a->tp == b->tp && a->pp == b->pp &&
           a->dp == b->dp && a->expert_parallel == b->expert_parallel &&
           a->kv_cache_dtype == b->kv_cache_dtype && strcmp(a->quantization, b->quantization) == 0;
}

typedef struct {
    double ratio;
    size_t index;
    lp_reject_reason why;
} miss;

static int miss_cmp(const void *a, const void *b) {
    const miss *x = a, *y = b;
    if (x->ratio != y->ratio)
        return x->ratio < y->ratio ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Nothing met the targets: search again without them and keep the nearest misses, one per
 * layout (the ranking by the objective breaks ties). */
static size_t closest_misses(const lp_search_spec *spec, lp_candidate *out, size_t max) {
    lp_search_spec relaxed = *spec;
    memset(&relaxed.targets, 0, sizeof relaxed.targets);
    relaxed.targets.percentile = spec->targets.percentile;
    relaxed.progress = NULL;
    lp_search_result r;
    lp_error err;
    memset(&r, 0, sizeof r);
    if (lp_search_run(&relaxed, &r, &err) != LP_OK)
        return 0;
    double offered = lp_uc_offered_output_tok_s(&spec->workload, spec->daily_output_tokens);
    miss *all = r.n_ranked ? malloc(r.n_ranked * sizeof *all) : NULL;
    size_t n = 0;
    if (all) {
        for (size_t i = 0; i < r.n_ranked; i++) {
            all[i].index = i;
            all[i].ratio = miss_ratio(&spec->targets, offered, &r.ranked[i], &all[i].why);
        }
        qsort(all, r.n_ranked, sizeof *all, miss_cmp);
        for (size_t i = 0; i < r.n_ranked && n < max; i++) {
            const lp_candidate *c = &r.ranked[all[i].index];
            bool dup = false;
            for (size_t k = 0; k < n && !dup; k++)
                dup = same_layout(&out[k], c);
            if (dup)
                continue;
            out[n] = *c;
            out[n].meets_targets = false;
            out[n].reject = all[i].why;
            snprintf(out[n].why, sizeof out[n].why, "%s: %.2fx the target",
                     lp_reject_reason_name(all[i].why), all[i].ratio);
            n++;
        }
    }
    free(all);
    lp_search_result_free(&r);
    return n;
}

/* Every statistic of ranked configuration c (roofline, the search's arrival process) and its
 * `vllm serve` line. */
static void estimate_candidate(const lp_recommend_request *req, const lp_candidate *c,
                               lp_perf_estimate *est, char **serve) {
    lp_perf_request r;
    lp_perf_request_init(&r);
    r.model = req->spec.model;
    r.cluster.gpu = c->gpu;
    r.cluster.num_gpus = c->num_gpus;
    r.cluster.gpus_per_node = req->spec.gpus_per_node;
    lp_candidate_serving(c, &r.serving);
    r.method = LP_ROOFLINE;
    lp_uc_arrival(&req->spec.workload, req->spec.daily_output_tokens, true, &r.workload);
    lp_estimate_performance(&r, est); /* an invalid one renders as nulls */
    lp_deploy d;
    memset(&d, 0, sizeof d);
    d.model = req->model_id ? req->model_id : req->spec.model->id;
    d.gpu = c->gpu;
    d.num_gpus = c->num_gpus;
    d.gpus_per_node = req->spec.gpus_per_node;
    lp_candidate_serving(c, &d.serving);
    lp_error err;
    *serve = lp_artifact_vllm_serve_line(&d, &err); /* NULL: shown as unknown */
}

lp_status lp_recommend(const lp_recommend_request *req, lp_recommend_result *out, lp_error *err) {
    memset(out, 0, sizeof *out);
    out->spec = req->spec;
    out->model_id = req->model_id ? req->model_id : (req->spec.model ? req->spec.model->id : NULL);
    if (!req->spec.model)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "recommend: no model given");
    lp_status st = lp_search_run(&req->spec, &out->search, err);
    if (st != LP_OK)
        return st;
    size_t top = req->top > 0 ? req->top : LP_RECOMMEND_DEFAULT_TOP;
    const size_t ranked = out->search.n_ranked;
    out->top = top < ranked ? top : ranked;
    out->chosen = req->chosen < ranked ? req->chosen : 0;
    size_t n = ranked > 0 && out->chosen + 1 > out->top ? out->chosen + 1 : out->top;
    if (n > 0) {
        out->estimates = calloc(n, sizeof *out->estimates);
        out->vllm_serve = calloc(n, sizeof *out->vllm_serve);
        if (!out->estimates || !out->vllm_serve)
            return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
        out->n_estimates = n;
    }
    for (size_t i = 0; i < n; i++)
        if (i < out->top || i == out->chosen)
            estimate_candidate(req, &out->search.ranked[i], &out->estimates[i],
                               &out->vllm_serve[i]);
    if (ranked == 0)
        out->n_misses = closest_misses(&req->spec, out->misses, LP_RECOMMEND_MAX_MISSES);
    return LP_OK;
}

void lp_recommend_result_view(const lp_recommend_result *r, lp_recommend_view *v) {
    memset(v, 0, sizeof *v);
    v->model_id = r->model_id;
    v->spec = &r->spec;
    v->result = &r->search;
    v->top = r->top;
    v->estimates = r->estimates;
    v->vllm_serve = (const char *const *)r->vllm_serve;
    v->chosen = r->chosen;
    v->misses = r->misses;
    v->n_misses = r->n_misses;
}
