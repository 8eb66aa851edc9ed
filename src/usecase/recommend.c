/*
 * recommend.c - the recommend use case: the best deployments of a model for a workload under
 * latency targets. The search (lp_search_run) ranks the deployments; this file estimates
 * the shown ones again for every statistic `vllm bench serve` reports (the search keeps one
 * latency per quantity), builds their `vllm serve` lines and, when nothing meets the targets,
 * searches again without them to show how close the nearest configurations come. Then the
 * capacity questions: how much load each shown configuration takes at the targets
 * (lp_search_capacity), how many replicas the offered load needs with headroom, latency
 * against load for the top ones, a day's load profile sized for the chosen one, and whether
 * disaggregated prefill/decode would serve the load better (lp_search_disagg). The CLI
 * and the HTTP server both call it, so both give the same answers.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/order.h"
#include "common/strv.h"
#include "llmplan/artifacts.h"
#include "usecase/usecase_internal.h"

void lp_recommend_request_init(lp_recommend_request *r) {
    memset(r, 0, sizeof *r);
    lp_search_spec_init(&r->spec);
    r->top = LP_RECOMMEND_DEFAULT_TOP;
    r->headroom = LP_RECOMMEND_DEFAULT_HEADROOM;
}

void lp_recommend_result_free(lp_recommend_result *r) {
    if (!r)
        return;
    lp_strv_free(r->vllm_serve, r->n_estimates);
    free(r->estimates);
    free(r->sweeps);
    free(r->sizing);
    lp_search_result_free(&r->search);
    r->vllm_serve = NULL;
    r->estimates = NULL;
    r->sweeps = NULL;
    r->sizing = NULL;
    r->n_estimates = r->n_sweeps = 0;
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
    /* the misses by how far they miss (key: the ratio), ties in ranked order */
    lp_keyed *all = r.n_ranked ? malloc(r.n_ranked * sizeof *all) : NULL;
    size_t n = 0;
    lp_reject_reason why;
    if (all) {
        for (size_t i = 0; i < r.n_ranked; i++)
            all[i] = (lp_keyed){miss_ratio(&spec->targets, offered, &r.ranked[i], &why), i};
        qsort(all, r.n_ranked, sizeof *all, lp_cmp_keyed);
        for (size_t i = 0; i < r.n_ranked && n < max; i++) {
            const lp_candidate *c = &r.ranked[all[i].index];
            bool dup = false;
            for (size_t k = 0; k < n && !dup; k++)
                dup = same_layout(&out[k], c);
            if (dup)
                continue;
            double ratio = miss_ratio(&spec->targets, offered, c, &why);
            out[n] = *c;
            out[n].meets_targets = false;
            out[n].reject = why;
            snprintf(out[n].why, sizeof out[n].why, "%s: %.2fx the target",
                     lp_reject_reason_name(why), ratio);
            n++;
        }
    }
    free(all);
    lp_search_result_free(&r);
    return n;
}

/* Every statistic of ranked configuration c (roofline, the search's arrival process) and its
 * `vllm serve` line. */
static void estimate_candidate(const lp_recommend_result *res, const lp_candidate *c,
                               lp_perf_estimate *est, char **serve) {
    lp_perf_request r;
    lp_perf_request_init(&r);
    r.model = res->spec.model;
    r.cluster.gpu = c->gpu;
    r.cluster.num_gpus = c->num_gpus;
    r.cluster.gpus_per_node = res->spec.gpus_per_node;
    lp_candidate_serving(c, &r.serving);
    r.method = LP_ROOFLINE;
    lp_uc_arrival(&res->spec.workload, res->spec.daily_output_tokens, true, &r.workload);
    lp_estimate_performance(&r, est); /* an invalid one renders as nulls */
    lp_deploy d;
    memset(&d, 0, sizeof d);
    d.model = res->model_id ? res->model_id : res->spec.model->id;
    d.gpu = c->gpu;
    d.num_gpus = c->num_gpus;
    d.gpus_per_node = res->spec.gpus_per_node;
    lp_candidate_serving(c, &d.serving);
    lp_error err;
    *serve = lp_artifact_vllm_serve_line(&d, &err); /* NULL: shown as unknown */
}

/* Capacity of every configuration shown (each computed once) and the replicas of the load. */
static lp_status capacities(lp_recommend_result *out, lp_error *err) {
    lp_search_result *r = &out->search;
    size_t n = out->top + 1 + r->n_pareto + out->n_misses, k = 0;
    lp_candidate **all = malloc(n * sizeof *all);
    if (!all)
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < out->top; i++)
        all[k++] = &r->ranked[i];
    if (r->n_ranked > 0 && out->chosen >= out->top)
        all[k++] = &r->ranked[out->chosen];
    for (size_t i = 0; i < r->n_pareto; i++)
        all[k++] = &r->pareto[i];
    for (size_t i = 0; i < out->n_misses; i++)
        all[k++] = &out->misses[i];
    lp_search_spec spec = out->spec;
    spec.progress = NULL;
    lp_status st = lp_search_capacity(&spec, all, k, err);
    /* a rate against the rate each copy sustains; a closed loop's clients against the clients
     * each copy holds at that rate (Little's law, capacity.c) */
    for (size_t i = 0; st == LP_OK && i < k; i++)
        all[i]->replicas = out->offered_request_rate > 0
                               ? lp_load_replicas(out->offered_request_rate, out->headroom,
                                                  all[i]->max_request_rate, 0)
                               : lp_load_replicas(out->offered_concurrency, out->headroom,
                                                  all[i]->max_concurrency, 0);
    free(all);
    return st;
}

/* The rates of a load sweep: fractions of the configuration's capacity (or of its saturation
 * when it meets the targets at no load), reaching beyond it so the chart shows the targets
 * being crossed. */
static const double SWEEP_FRACTIONS[LP_RECOMMEND_SWEEP_POINTS] = {0.1, 0.25, 0.4, 0.55, 0.7, 0.8,
                                                                  0.9, 0.95, 1.0, 1.05, 1.1, 1.2};

static lp_status sweeps(const lp_recommend_request *req, lp_recommend_result *out, lp_error *err) {
    size_t n = req->load_sweep < LP_RECOMMEND_SWEEP_MAX ? req->load_sweep : LP_RECOMMEND_SWEEP_MAX;
    if (n > out->top)
        n = out->top;
    if (n == 0)
        return LP_OK;
    out->sweeps = calloc(n, sizeof *out->sweeps);
    if (!out->sweeps)
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    lp_search_spec spec = out->spec;
    spec.progress = NULL;
    for (size_t i = 0; i < n; i++) {
        const lp_candidate *c = &out->search.ranked[i];
        double ref = c->max_request_rate > 0
                         ? c->max_request_rate
                         : 0.5 * (c->saturation_request_rate > 0 ? c->saturation_request_rate : 0);
        lp_recommend_sweep *sw = &out->sweeps[i];
        sw->rank = i;
        if (!(ref > 0))
            continue;
        double rates[LP_RECOMMEND_SWEEP_POINTS];
        for (size_t k = 0; k < LP_RECOMMEND_SWEEP_POINTS; k++)
            rates[k] = SWEEP_FRACTIONS[k] * ref;
        lp_status st =
            lp_search_load_curve(&spec, c, rates, LP_RECOMMEND_SWEEP_POINTS, sw->points, err);
        if (st != LP_OK)
            return st;
        sw->n = LP_RECOMMEND_SWEEP_POINTS;
        out->n_sweeps = i + 1;
    }
    out->n_sweeps = n;
    return LP_OK;
}

/* The chosen configuration over the load profile. */
static lp_status size_profile(const lp_recommend_request *req, lp_recommend_result *out) {
    if (!req->load_profile || out->search.n_ranked == 0)
        return LP_OK;
    const lp_candidate *c = &out->search.ranked[out->chosen];
    out->sizing = calloc(1, sizeof *out->sizing);
    if (!out->sizing)
        return LP_ERR_NOMEM;
    double price = c->num_gpus > 0 ? c->usd_per_hour / c->num_gpus : NAN;
    lp_error e;
    /* one copy stays up when no request comes: the service answers at any hour */
    if (lp_load_profile_size(req->load_profile, c->max_request_rate, c->num_gpus, out->headroom, 1,
                             price, out->sizing, &e) != LP_OK) {
        snprintf(out->sizing_error, sizeof out->sizing_error, "%s", e.message);
        free(out->sizing);
        out->sizing = NULL;
    }
    return LP_OK;
}

lp_status lp_recommend(const lp_recommend_request *req, lp_recommend_result *out, lp_error *err) {
    memset(out, 0, sizeof *out);
    out->spec = req->spec;
    out->model_id = req->model_id ? req->model_id : (req->spec.model ? req->spec.model->id : NULL);
    out->headroom = req->headroom > 0 ? req->headroom : 0;
    out->load_profile = req->load_profile;
    if (!req->spec.model)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "recommend: no model given");
    if (!(req->headroom >= 0) || !isfinite(req->headroom))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "headroom must be a fraction >= 0 (0.2 keeps 20 %% spare), got %g",
                            req->headroom);
    const lp_workload *w = &req->spec.workload;
    if (req->load_profile && !(w->request_rate > 0) && w->max_concurrency <= 0 &&
        !(req->spec.daily_output_tokens > 0)) {
        out->spec.workload.request_rate = lp_load_profile_mean(req->load_profile);
        snprintf(out->load_note, sizeof out->load_note,
                 "ranked at the load profile's mean rate, %.3g req/s (peak %.3g req/s)",
                 out->spec.workload.request_rate, lp_load_profile_peak(req->load_profile));
    }
    if (out->spec.workload.request_rate > 0 && isfinite(out->spec.workload.request_rate))
        out->offered_request_rate = out->spec.workload.request_rate;
    else if (out->spec.workload.max_concurrency <= 0 && out->spec.daily_output_tokens > 0)
        out->offered_request_rate =
            lp_uc_offered_output_tok_s(&out->spec.workload, out->spec.daily_output_tokens) /
            lp_len_mean(&out->spec.workload.output);
    else if (out->spec.workload.max_concurrency > 0)
        out->offered_concurrency = out->spec.workload.max_concurrency;
    /* the search ranks with the roofline, whose steady state depends on the mean rate only:
     * say that --burstiness did not change the ranking rather than drop it silently */
    const double b = out->spec.workload.burstiness;
    if (b > 0 && b != 1.0) {
        size_t used = strlen(out->load_note);
        snprintf(out->load_note + used, sizeof out->load_note - used,
                 "%s--burstiness %g not modelled by the search (roofline: mean rate only)%s",
                 used ? "; " : "", b,
                 out->offered_request_rate > 0 ? "; check with estimate --method simulate"
                                               : ", and no effect without a request rate");
    }
    /* the search estimates with the roofline: refuse a mode it does not model */
    lp_perf_request modes;
    lp_perf_request_init(&modes);
    modes.workload = req->spec.workload;
    modes.method = LP_ROOFLINE;
    lp_status st = lp_perf_modes_check(&modes, err);
    if (st != LP_OK)
        return st;
    st = lp_search_run(&out->spec, &out->search, err);
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
            estimate_candidate(out, &out->search.ranked[i], &out->estimates[i],
                               &out->vllm_serve[i]);
    if (ranked == 0)
        out->n_misses = closest_misses(&out->spec, out->misses, LP_RECOMMEND_MAX_MISSES);
    /* the same load, targets and objective split into prefill and decode pools */
    if ((st = lp_search_disagg(&out->spec, &out->search, &out->disagg, err)) != LP_OK)
        return st;
    if ((st = capacities(out, err)) != LP_OK || (st = sweeps(req, out, err)) != LP_OK)
        return st;
    if (size_profile(req, out) != LP_OK)
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
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
    v->offered_request_rate = r->offered_request_rate;
    v->offered_concurrency = r->offered_concurrency;
    v->headroom = r->headroom;
    v->load_note = r->load_note;
    v->sweeps = r->sweeps;
    v->n_sweeps = r->n_sweeps;
    v->load_profile = r->load_profile;
    v->sizing = r->sizing;
    v->sizing_error = r->sizing_error;
    v->disagg = &r->disagg;
}
