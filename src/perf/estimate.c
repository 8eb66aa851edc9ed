/*
 * estimate.c - lp_estimate_performance: validate the request, resolve model (the embedded
 * catalog only: no file, cache or network) and GPU (the embedded table), plan the
 * memory (an estimate for a configuration that does not fit is invalid, with the reason),
 * prepare the step model and hand over to the chosen method. Also the batch form, where one
 * bad item never stops the others, and small helpers (names, assumptions).
 * It does not print; rendering is src/render's job.
 */
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "llmplan/bands.h"
#include "perf/perf_internal.h"

void lp_perf_request_init(lp_perf_request *r) {
    memset(r, 0, sizeof *r);
    lp_cluster_init(&r->cluster, NULL);
    lp_serving_init(&r->serving);
    lp_workload_init(&r->workload);
    r->method = LP_ROOFLINE;
}

const char *lp_method_name(lp_method method) {
    switch (method) {
    case LP_HEURISTIC:
        return "heuristic";
    case LP_ROOFLINE:
        return "roofline";
    case LP_SIMULATE:
        return "simulate";
    }
    return "unknown";
}

lp_status lp_method_parse(const char *name, lp_method *out, lp_error *err) {
    static const lp_method all[] = {LP_HEURISTIC, LP_ROOFLINE, LP_SIMULATE};
    for (size_t i = 0; name && i < sizeof all / sizeof all[0]; i++)
        if (strcasecmp(name, lp_method_name(all[i])) == 0) {
            *out = all[i];
            return LP_OK;
        }
    return lp_error_set(err, LP_ERR_INVALID_ARG,
                        "--method: expected heuristic, roofline or simulate, got \"%s\"",
                        name ? name : "");
}

const char *lp_bottleneck_name(lp_bottleneck b) {
    switch (b) {
    case LP_BOUND_COMPUTE:
        return "compute";
    case LP_BOUND_MEMORY:
        return "memory bandwidth";
    case LP_BOUND_COMM:
        return "communication";
    case LP_BOUND_HOST:
        return "host overhead";
    case LP_BOUND_KV_CAPACITY:
        return "KV capacity";
    case LP_BOUND_QUEUEING:
        return "queueing";
    }
    return "unknown";
}

void lp_perf_assume(lp_perf_estimate *est, const char *fmt, ...) {
    if (!est || est->n_assumptions >= LP_MAX_ASSUMPTIONS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(est->assumptions[est->n_assumptions], LP_ASSUMPTION_SIZE, fmt, ap);
    va_end(ap);
    est->n_assumptions++;
}

static lp_status invalid(lp_perf_estimate *out, const lp_error *err) {
    out->valid = false;
    snprintf(out->error, sizeof out->error, "%s", err->message);
    return err->code;
}

/*
 * A model named by id: the embedded catalog only. Reading config files, the HF cache or the Hub
 * is I/O and happens at the edge (lp_model_load, or a use case's lp_resolver) before an
 * estimate; here an id outside the catalog is an error that says so.
 */
lp_status lp_perf_model_by_id(const char *id, lp_model *out, lp_error *err) {
    lp_error inner;
    lp_status st = lp_catalog_load(id, out, &inner);
    if (st == LP_OK)
        return LP_OK;
    return lp_error_set(err, st,
                        "%s (an estimate resolves model ids from the embedded catalog only: load "
                        "other models first, e.g. with lp_model_load, and pass them as model)",
                        inner.message);
}

/*
 * vLLM refuses a request longer than max-model-len (its OpenAI server: "This model's maximum
 * context length is N tokens. However, you requested M tokens"), so every method does: the
 * simulation per drawn request, the roofline and the heuristic for the workload's longest
 * prompt + output (lp_workload_context_needed) when it is known exactly, else for its mean (a
 * quantile costs thousands of draws, too much for every item of a batch; the simulation still
 * refuses a long draw). LP_ERR_INFEASIBLE, as the simulation says.
 */
static bool longest_is_exact(const lp_len_dist *d) {
    return d->kind == LP_LEN_FIXED || d->kind == LP_LEN_UNIFORM || d->kind == LP_LEN_HISTOGRAM ||
           d->hi > 0;
}

static lp_status check_context(const lp_perf_request *req, int64_t max_model_len, lp_error *err) {
    if (max_model_len <= 0)
        return LP_OK;
    const lp_workload *w = &req->workload;
    int64_t need = 0;
    if (longest_is_exact(&w->input) && longest_is_exact(&w->output)) {
        if (lp_workload_context_needed(w, &need) != LP_OK)
            return LP_OK;
    } else {
        need = (int64_t)ceil(lp_len_mean(&w->input) + lp_len_mean(&w->output));
    }
    if (need <= max_model_len)
        return LP_OK;
    return lp_error_set(err, LP_ERR_INFEASIBLE,
                        "%s: a request of up to %lld prompt + output tokens is longer than "
                        "max-model-len %lld, and vLLM refuses it (\"This model's maximum context "
                        "length is %lld tokens\"); shorten the lengths or raise --max-model-len",
                        lp_method_name(req->method), (long long)need, (long long)max_model_len,
                        (long long)max_model_len);
}

static lp_status resolve_gpu(const lp_perf_request *r, const lp_gpu **gpu, lp_error *err) {
    *gpu = r->cluster.gpu;
    if (*gpu)
        return LP_OK;
    if (!r->gpu_name)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "no GPU given (gpu_name)");
    return lp_gpu_find(lp_gpu_db_builtin(), r->gpu_name, gpu, err);
}

/* num_gpus beyond one replica's TP x PP become data-parallel replicas. */
static lp_status resolve_parallel(const lp_perf_request *r, lp_serving *s, lp_error *err) {
    int per = (s->tensor_parallel_size > 0 ? s->tensor_parallel_size : 1) *
              (s->pipeline_parallel_size > 0 ? s->pipeline_parallel_size : 1);
    int num_gpus = r->cluster.num_gpus;
    if (num_gpus > 0) {
        if (num_gpus % per != 0)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "num_gpus %d is not a multiple of tp x pp = %d", num_gpus, per);
        s->data_parallel_size = num_gpus / per;
    }
    return LP_OK;
}

/* Replace the family's efficiencies with req->efficiency (calibrated constants). */
static void apply_efficiency(const lp_perf_request *req, lp_step_model *sm, lp_perf_estimate *est) {
    if (!req->efficiency)
        return;
    sm->eff.compute_eff = req->efficiency->compute_eff;
    sm->eff.memory_eff = req->efficiency->memory_eff;
    sm->eff.step_overhead_s = req->efficiency->step_overhead_s;
    sm->eff.per_seq_overhead_s = req->efficiency->per_seq_overhead_s;
    /* a calibrated compute_eff is what the calibrated GPU sustained, power limit included */
    sm->eff.power_share = 1.0;
    if (!est)
        return;
    for (int i = 0; i < est->n_assumptions; i++)
        if (strncmp(est->assumptions[i], "roofline efficiencies", 21) == 0)
            snprintf(est->assumptions[i], LP_ASSUMPTION_SIZE,
                     "roofline efficiencies (%s) given by the caller (%s): %.0f %% of peak FLOPS, "
                     "%.0f %% of peak bandwidth, %.2f ms per step + %.1f us per request",
                     sm->eff.family, req->efficiency->source ? req->efficiency->source : "",
                     100 * sm->eff.compute_eff, 100 * sm->eff.memory_eff,
                     1e3 * sm->eff.step_overhead_s, 1e6 * sm->eff.per_seq_overhead_s);
}

lp_status lp_perf_prepare(const lp_perf_request *req, lp_model *model_buf, lp_step_model *sm,
                          int *replicas, const lp_gpu **gpu_out, lp_perf_estimate *est,
                          lp_error *err) {
    const lp_gpu *gpu = NULL;
    lp_status st;
    if ((st = resolve_gpu(req, &gpu, err)) != LP_OK)
        return st;
    *gpu_out = gpu;
    const lp_model *m = req->model;
    if (!m && req->model_id) {
        if ((st = lp_perf_model_by_id(req->model_id, model_buf, err)) != LP_OK)
            return st;
        m = model_buf;
    }
    if (!m)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "the %s method needs a model (catalog id, config.json or model "
                            "directory); with only a parameter count use the heuristic method",
                            lp_method_name(req->method));
    lp_serving s = req->serving;
    if ((st = resolve_parallel(req, &s, err)) != LP_OK)
        return st;
    static _Thread_local lp_mem_plan plan;
    if ((st = lp_mem_plan_compute(m, gpu, &s, &plan, err)) != LP_OK)
        return st;
    if (!plan.fits)
        return lp_mem_plan_infeasible(&plan, err);
    lp_cluster cluster = req->cluster;
    cluster.gpu = gpu;
    if ((st = lp_step_model_init(m, &cluster, &plan, sm, est, err)) != LP_OK)
        return st;
    apply_efficiency(req, sm, est);
    lp_lora_step_init(&plan, &req->workload, sm, est);
    if ((st = lp_spec_step_init(m, &cluster, &plan, &s, sm, est, err)) != LP_OK)
        return st;
    *replicas = plan.dp > 0 ? plan.dp : 1;
    return LP_OK;
}

/* What the serving modes did at this workload, beside the method's statistics. */
static lp_status report_modes(const lp_perf_request *req, const lp_step_model *sm, int replicas,
                              lp_perf_estimate *out, lp_error *err) {
    out->modes.prefix_caching = !req->serving.enable_prefix_caching_off;
    if (req->serving.speculative.method == LP_SPEC_NONE)
        return LP_OK;
    /* the same deployment without a drafter (its KV cache is a little larger) */
    static _Thread_local lp_model loaded_base;
    static _Thread_local lp_step_model base;
    lp_perf_request r = *req;
    memset(&r.serving.speculative, 0, sizeof r.serving.speculative);
    int rep;
    const lp_gpu *gpu;
    lp_status st = lp_perf_prepare(&r, &loaded_base, &base, &rep, &gpu, NULL, err);
    if (st != LP_OK)
        return st;
    lp_spec_report(sm, &base, req, replicas, out);
    return LP_OK;
}

/* What --burstiness did: the simulation draws gamma gaps and says so itself; at rate inf
 * vllm bench serve draws no gaps, and the heuristic and the roofline solve a steady state at
 * the mean rate, where the spread of the gaps has no term (Little's law holds for any
 * arrival process). Said rather than silently ignored. */
static void assume_burstiness(const lp_perf_request *req, lp_perf_estimate *out) {
    const double b = req->workload.burstiness;
    if (b == 0 || b == 1.0)
        return;
    char text[32];
    if (isinf(b))
        snprintf(text, sizeof text, "inf");
    else
        snprintf(text, sizeof text, "%g", b);
    if (!(req->workload.request_rate > 0))
        lp_perf_assume(out,
                       "--burstiness %s has no effect: at request rate inf every request is "
                       "sent at t = 0 (vllm bench serve draws gaps only at a finite rate)",
                       text);
    else if (req->method != LP_SIMULATE)
        lp_perf_assume(out,
                       "--burstiness %s not modelled by the %s method: its steady state depends "
                       "on the mean rate only; --method simulate sends requests with gamma gaps "
                       "of this shape (queueing of bursts, tails)",
                       text, lp_method_name(req->method));
    else
        lp_perf_assume(out,
                       "--burstiness %s: the 80 %% bands rest on validation runs sent as a "
                       "Poisson process (burstiness 1); none of them was burstier or more "
                       "regular",
                       text);
}

lp_status lp_estimate_performance(const lp_perf_request *req, lp_perf_estimate *out) {
    lp_error err;
    lp_error_clear(&err);
    memset(out, 0, sizeof *out);
    out->method = req->method;
    lp_status st;
    if ((st = lp_workload_check(&req->workload, &err)) != LP_OK)
        return invalid(out, &err);
    if ((st = lp_perf_modes_check(req, &err)) != LP_OK)
        return invalid(out, &err);

    if (lp_disaggregated(&req->serving)) {
        if ((st = lp_perf_disagg(req, out, &err)) != LP_OK)
            return invalid(out, &err);
        return LP_OK;
    }
    static _Thread_local lp_model loaded;
    if (req->method == LP_HEURISTIC) {
        const lp_gpu *gpu = NULL; /* none given: the heuristic's default baseline, said */
        if ((req->cluster.gpu || req->gpu_name) && (st = resolve_gpu(req, &gpu, &err)) != LP_OK)
            return invalid(out, &err);
        const lp_model *m = req->model;
        if (!m && req->model_id) {
            if ((st = lp_perf_model_by_id(req->model_id, &loaded, &err)) != LP_OK)
                return invalid(out, &err);
            m = &loaded;
        }
        if (!m && !(req->params_b > 0)) {
            lp_error_set(&err, LP_ERR_INVALID_ARG,
                         "no model: give a model id, a config.json or params_b");
            return invalid(out, &err);
        }
        if ((st = check_context(req, req->serving.max_model_len, &err)) != LP_OK)
            return invalid(out, &err);
        if ((st = lp_perf_heuristic(req, m, gpu, out, &err)) != LP_OK)
            return invalid(out, &err);
        assume_burstiness(req, out);
        lp_perf_apply_bands(NULL, req, lp_efficiency_for(gpu)->family, out);
        out->valid = true;
        return LP_OK;
    }

    lp_step_model sm;
    int replicas = 1;
    const lp_gpu *gpu;
    if ((st = lp_perf_prepare(req, &loaded, &sm, &replicas, &gpu, out, &err)) != LP_OK)
        return invalid(out, &err);
    return lp_perf_run(&sm, req, replicas, out, false);
}

lp_status lp_perf_run(const lp_step_model *sm, const lp_perf_request *req, int replicas,
                      lp_perf_estimate *out, bool quiet) {
    lp_error err;
    lp_status st;
    if (req->method == LP_ROOFLINE) {
        if ((st = check_context(req, sm->max_model_len, &err)) != LP_OK)
            return invalid(out, &err);
        if (quiet)
            lp_perf_roofline_quiet(sm, req, replicas, out);
        else
            lp_perf_roofline(sm, req, replicas, out);
    } else if ((st = lp_perf_simulate(sm, req, replicas, out, &err)) != LP_OK) {
        return invalid(out, &err);
    }
    if ((st = report_modes(req, sm, replicas, out, &err)) != LP_OK)
        return invalid(out, &err);
    if (!quiet)
        assume_burstiness(req, out);
    out->method = req->method;
    lp_perf_apply_bands(NULL, req, sm->eff.family, out);
    out->valid = true;
    return LP_OK;
}
