/*
 * disagg.c - disaggregated prefill/decode in the search: which x:y split of which engine, and
 * whether splitting pays against aggregated serving at all. The estimate of a layout is the
 * perf module's (both pools, the KV transfer between them); this file only enumerates the
 * layouts, holds them to the search's targets and ranks them by its objective, with the same
 * latencies at the percentile (roofline medians x the search's tail factors) and the same
 * score keys as the aggregated candidates, so the two rankings compare.
 *
 * Why it often does not pay: a disaggregated layout gives decode steps free of prompt chunks
 * (lower TPOT) and prefill its own GPUs (lower TTFT under load), but it pays the KV transfer,
 * an extra API hop, and GPUs of one pool idle while the other is the bottleneck. With short
 * prompts the interference it removes is small and those costs dominate (DistServe, OSDI'24;
 * vLLM's docs/features/disagg_prefill.md: "Disaggregated prefill DOES NOT improve
 * throughput").
 *
 * Deliberately not here: the performance model of a layout (src/perf/disagg.c), memory plans
 * (src/mem/disagg.c), batch-limit variants and capacity searches of layouts.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "search/search_internal.h"

/* Tensor-parallel sizes a pool's instance is tried with (within one node). */
static const int DISAGG_TPS[] = {1, 2, 4, 8};
/* GPU types taken from the aggregated ranking when the spec names none. */
#define DISAGG_MAX_GPU_TYPES 8

/* The engine a layout splits: the best aggregated configuration's on that GPU. */
static const lp_candidate *aggregated_on(const lp_search_result *agg, const lp_gpu *gpu) {
    for (size_t i = 0; agg && i < agg->n_ranked; i++)
        if (agg->ranked[i].gpu == gpu)
            return &agg->ranked[i];
    return NULL;
}

/* GPU types to split on: the spec's, else those of the aggregated ranking. */
static size_t gpu_types(const lp_search_spec *spec, const lp_search_result *agg,
                        const lp_gpu **out) {
    size_t n = 0;
    if (spec->gpus && spec->n_gpus > 0) {
        for (size_t i = 0; i < spec->n_gpus && n < DISAGG_MAX_GPU_TYPES; i++)
            out[n++] = spec->gpus[i];
        return n;
    }
    for (size_t i = 0; agg && i < agg->n_ranked && n < DISAGG_MAX_GPU_TYPES; i++) {
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++)
            seen = out[k] == agg->ranked[i].gpu;
        if (!seen)
            out[n++] = agg->ranked[i].gpu;
    }
    return n;
}

typedef struct {
    const lp_search_ctx *ctx;
    lp_perf_request req;
    lp_perf_estimate est;
} disagg_work;

/* Estimate one layout; false when it does not fit or vLLM would refuse it. */
void lp_disagg_layout_serving(const lp_disagg_layout *l, lp_serving *s) {
    lp_serving_init(s);
    s->tensor_parallel_size = l->tp;
    s->quantization = l->quantization[0] ? l->quantization : NULL;
    s->kv_cache_dtype = l->kv_cache_dtype;
    s->max_model_len = l->max_model_len;
    if (l->gpu_memory_utilization > 0)
        s->gpu_memory_utilization = l->gpu_memory_utilization;
    if (l->vllm_version > 0)
        s->vllm_version = l->vllm_version;
    s->disaggregation.prefill_instances = l->prefill_instances;
    s->disaggregation.decode_instances = l->decode_instances;
}

static bool estimate_layout(disagg_work *w, lp_disagg_layout *l) {
    const lp_search_ctx *ctx = w->ctx;
    lp_perf_request *r = &w->req;
    r->cluster.gpu = l->gpu;
    r->cluster.num_gpus = l->num_gpus;
    l->max_model_len = ctx->max_model_len;
    l->gpu_memory_utilization = ctx->gpu_memory_utilization;
    l->vllm_version = ctx->vllm_version;
    lp_disagg_layout_serving(l, &r->serving);
    if (lp_estimate_performance(r, &w->est) != LP_OK || !w->est.valid)
        return false;
    lp_search_eval e;
    memset(&e, 0, sizeof e);
    e.num_gpus = l->num_gpus;
    lp_search_roofline_latencies(ctx, &w->est, &e);
    e.output_tok_s = w->est.output_tok_s;
    double price = NAN;
    const lp_price *p = lp_price_for(ctx->prices, l->gpu);
    if (p)
        price = p->usd_per_gpu_hour;
    e.usd_per_hour = price * l->num_gpus;
    e.usd_per_million =
        e.output_tok_s > 0 ? e.usd_per_hour / (e.output_tok_s * 3600.0) * 1e6 : (double)NAN;
    lp_search_score(ctx, &e);
    l->ttft_ms = e.ttft_ms;
    l->tpot_ms = e.tpot_ms;
    l->itl_ms = e.itl_ms;
    l->e2e_ms = e.e2e_ms;
    l->output_tok_s = e.output_tok_s;
    l->output_tok_s_per_gpu = e.output_tok_s / l->num_gpus;
    l->usd_per_hour = e.usd_per_hour;
    l->usd_per_million_output_tokens = e.usd_per_million;
    l->score = e.score;
    l->reject = lp_search_check_targets(ctx, &e);
    l->meets_targets = l->reject == LP_REJECT_COUNT;
    return true;
}

/* The ranking order of lp_search_run: the score, ties within LP_SEARCH_TIE_FRACTION broken by
 * lower E2E latency, then fewer GPUs. */
static bool better(const lp_disagg_layout *a, const lp_disagg_layout *b) {
    double tol = LP_SEARCH_TIE_FRACTION * fabs(b->score);
    if (a->score < b->score - tol)
        return true;
    if (a->score > b->score + tol)
        return false;
    if (a->e2e_ms != b->e2e_ms)
        return a->e2e_ms < b->e2e_ms;
    return a->num_gpus < b->num_gpus;
}

static void verdict(const lp_search_ctx *ctx, lp_disagg_search *out) {
    const char *obj = lp_objective_name(ctx->spec->objective);
    if (out->enumerated == 0) {
        out->pays = false;
        snprintf(out->verdict, sizeof out->verdict,
                 "disaggregation does not pay here: %d GPU(s) at most leave no room for a "
                 "prefill and a decode pool",
                 ctx->spec->max_gpus > 0 ? ctx->spec->max_gpus : 8);
        return;
    }
    if (!out->found) {
        out->pays = false;
        snprintf(out->verdict, sizeof out->verdict,
                 "disaggregation does not pay here: none of the %zu prefill/decode layouts "
                 "estimated meets the targets%s",
                 out->estimated,
                 out->aggregated_found ? ", while aggregated serving does" : " either");
        return;
    }
    const lp_disagg_layout *b = &out->best;
    char shape[48];
    snprintf(shape, sizeof shape, "%dP%dD of TP %d on %s", b->prefill_instances,
             b->decode_instances, b->tp, b->gpu->name);
    if (!out->aggregated_found) {
        out->pays = true;
        snprintf(out->verdict, sizeof out->verdict,
                 "disaggregation pays: %s meets the targets, which no aggregated configuration "
                 "does",
                 shape);
        return;
    }
    double a = out->aggregated_score, d = b->score;
    double tol = LP_SEARCH_TIE_FRACTION * fabs(a);
    out->pays = d < a - tol;
    /* the objective's keys: output tok/s per GPU is stored negated (lower is better) */
    double shown_d = ctx->spec->objective == LP_OBJ_THROUGHPUT_PER_GPU ? -d : d;
    double shown_a = ctx->spec->objective == LP_OBJ_THROUGHPUT_PER_GPU ? -a : a;
    snprintf(out->verdict, sizeof out->verdict,
             "disaggregation %s: the best layout, %s, scores %.4g against %.4g for the best "
             "aggregated configuration (objective %s)",
             out->pays ? "pays" : "does not pay", shape, shown_d, shown_a, obj);
}

lp_status lp_search_disagg(const lp_search_spec *spec, const lp_search_result *agg,
                           lp_disagg_search *out, lp_error *err) {
    memset(out, 0, sizeof *out);
    lp_search_ctx ctx;
    lp_status st = lp_search_ctx_resolve(spec, &ctx, err);
    if (st != LP_OK)
        return st;
    out->aggregated_found = agg && agg->n_ranked > 0;
    out->aggregated_score = out->aggregated_found ? agg->ranked[0].score : NAN;
    const lp_gpu *gpus[DISAGG_MAX_GPU_TYPES];
    size_t n_gpus = gpu_types(spec, agg, gpus);
    int max_gpus = spec->max_gpus > 0 ? spec->max_gpus : 8;
    disagg_work w;
    memset(&w, 0, sizeof w);
    w.ctx = &ctx;
    lp_perf_request_init(&w.req);
    w.req.model = spec->model;
    w.req.method = LP_ROOFLINE;
    w.req.workload = ctx.req.workload;
    w.req.cluster.gpus_per_node = ctx.gpus_per_node;
    w.req.cluster.inter_node_link = spec->inter_node_link;
    w.req.cluster.inter_node_link_given = spec->inter_node_link_given;
    lp_serving_init(&w.req.serving);
    /* an estimator that does not model disaggregation is said, not searched around */
    w.req.serving.disaggregation.prefill_instances = w.req.serving.disaggregation.decode_instances =
        1;
    lp_error refusal;
    bool refused = lp_perf_modes_check(&w.req, &refusal) != LP_OK;
    for (size_t g = 0; g < n_gpus && !refused; g++) {
        const lp_candidate *base = aggregated_on(agg, gpus[g]);
        for (size_t t = 0; t < sizeof DISAGG_TPS / sizeof DISAGG_TPS[0] && !refused; t++) {
            int tp = DISAGG_TPS[t];
            if (tp > ctx.gpus_per_node)
                continue;
            for (int x = 1; x <= LP_SEARCH_DISAGG_MAX_INSTANCES && !refused; x++)
                for (int y = 1; y <= LP_SEARCH_DISAGG_MAX_INSTANCES && !refused; y++) {
                    if ((x + y) * tp > max_gpus)
                        continue;
                    lp_disagg_layout l;
                    memset(&l, 0, sizeof l);
                    l.gpu = gpus[g];
                    l.prefill_instances = x;
                    l.decode_instances = y;
                    l.tp = tp;
                    l.num_gpus = (x + y) * tp;
                    if (base) {
                        snprintf(l.quantization, sizeof l.quantization, "%s", base->quantization);
                        l.kv_cache_dtype = base->kv_cache_dtype;
                    }
                    out->enumerated++;
                    if (!estimate_layout(&w, &l))
                        continue;
                    out->estimated++;
                    if (!l.meets_targets)
                        continue;
                    out->feasible++;
                    if (!out->found || better(&l, &out->best)) {
                        bool new_ratio =
                            out->found && (out->best.prefill_instances * l.decode_instances !=
                                           l.prefill_instances * out->best.decode_instances);
                        if (new_ratio) {
                            out->other = out->best;
                            out->found_other = true;
                        }
                        out->best = l;
                        out->found = true;
                    } else if (out->best.prefill_instances * l.decode_instances !=
                                   l.prefill_instances * out->best.decode_instances &&
                               (!out->found_other || better(&l, &out->other))) {
                        out->other = l;
                        out->found_other = true;
                    }
                }
        }
    }
    lp_search_ctx_free(&ctx);
    if (refused) {
        memset(out, 0, sizeof *out);
        snprintf(out->note, sizeof out->note, "not searched: %s", refusal.message);
        return LP_OK;
    }
    if (n_gpus == 0) {
        snprintf(out->note, sizeof out->note,
                 "not searched: no GPU type to split (name GPUs, or let the aggregated search "
                 "rank one)");
        return LP_OK;
    }
    out->searched = true;
    snprintf(out->note, sizeof out->note,
             "xPyD with x, y in 1..%d, one tensor-parallel size for both pools, the engine of "
             "the best aggregated configuration on each GPU; roofline",
             LP_SEARCH_DISAGG_MAX_INSTANCES);
    verdict(&ctx, out);
    return LP_OK;
}
