/*
 * rank.c - what makes one configuration better than another: the objective's keys, the total
 * order used to sort (score, a secondary key, then the enumeration index, so the ranking never
 * depends on how work was split over threads), the latency targets, the cost / latency Pareto
 * front, and the one-line `why` of each ranked candidate. It does not estimate anything.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "search/search_internal.h"

#define GIB 1073741824.0

const char *lp_objective_name(lp_objective o) {
    switch (o) {
    case LP_OBJ_THROUGHPUT_PER_GPU:
        return "throughput-per-gpu";
    case LP_OBJ_COST:
        return "cost";
    case LP_OBJ_LATENCY:
        return "latency";
    case LP_OBJ_GPUS:
        return "gpus";
    }
    return "unknown";
}

lp_status lp_objective_parse(const char *name, lp_objective *out, lp_error *err) {
    static const lp_objective all[] = {LP_OBJ_THROUGHPUT_PER_GPU, LP_OBJ_COST, LP_OBJ_LATENCY,
                                       LP_OBJ_GPUS};
    for (size_t i = 0; name && i < sizeof all / sizeof all[0]; i++)
        if (strcasecmp(name, lp_objective_name(all[i])) == 0) {
            *out = all[i];
            return LP_OK;
        }
    if (name && (strcasecmp(name, "throughput") == 0 || strcasecmp(name, "tput") == 0)) {
        *out = LP_OBJ_THROUGHPUT_PER_GPU;
        return LP_OK;
    }
    return lp_error_set(err, LP_ERR_INVALID_ARG,
                        "--objective: expected throughput-per-gpu, cost, latency or gpus, got "
                        "\"%s\"",
                        name ? name : "");
}

const char *lp_reject_reason_name(lp_reject_reason r) {
    switch (r) {
    case LP_REJECT_INVALID:
        return "invalid for vLLM";
    case LP_REJECT_NO_FIT:
        return "does not fit";
    case LP_REJECT_TTFT:
        return "TTFT above target";
    case LP_REJECT_TPOT:
        return "TPOT above target";
    case LP_REJECT_ITL:
        return "ITL above target";
    case LP_REJECT_E2E:
        return "E2E latency above target";
    case LP_REJECT_THROUGHPUT:
        return "throughput below target";
    case LP_REJECT_COUNT:
        break;
    }
    return "unknown";
}

/* NaN sorts after every number. */
static double key(double v) {
    return isnan(v) ? INFINITY : v;
}

void lp_search_score(const lp_search_ctx *ctx, lp_search_eval *e) {
    switch (ctx->spec->objective) {
    case LP_OBJ_THROUGHPUT_PER_GPU:
        e->score = -e->output_tok_s / e->num_gpus;
        e->score2 = key(e->usd_per_million);
        break;
    case LP_OBJ_COST:
        e->score = key(e->usd_per_million);
        e->score2 = e->e2e_ms;
        break;
    case LP_OBJ_LATENCY:
        e->score = e->e2e_ms;
        e->score2 = e->ttft_ms;
        break;
    case LP_OBJ_GPUS:
        e->score = e->num_gpus;
        e->score2 = -e->output_tok_s;
        break;
    }
    e->score = key(e->score);
    e->score2 = key(e->score2);
}

int lp_search_eval_cmp(const void *a, const void *b) {
    const lp_search_eval *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    if (x->score2 != y->score2)
        return x->score2 < y->score2 ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* vLLM quantizes a 16-bit checkpoint at load time only to fp8 (and bitsandbytes); every other
 * method reads pre-quantized weights from the checkpoint. */
static bool quant_needs_checkpoint(const char *quant, const lp_model *m) {
    return quant && quant[0] && strcmp(quant, "fp8") != 0 && strcmp(quant, "bitsandbytes") != 0 &&
           m && m->quant.method == LP_QUANT_NONE;
}

void lp_search_eval_identity(const lp_search_ctx *ctx, lp_search_eval *e) {
    const lp_search_group *g = &ctx->groups[e->group];
    e->deployment = (uint64_t)g->layout << 32 | (uint32_t)e->num_gpus;
    e->needs_checkpoint = quant_needs_checkpoint(ctx->quants[g->quant], ctx->model);
    e->nodes = (e->num_gpus + ctx->gpus_per_node - 1) / ctx->gpus_per_node;
}

/* The order inside a tie: lower E2E latency at the percentile (NaN last), the model's own
 * checkpoint, fewer nodes, fewer GPUs; then the full order, so that it stays total. */
static int tie_cmp(const void *a, const void *b) {
    const lp_search_eval *x = a, *y = b;
    double lx = key(x->e2e_ms), ly = key(y->e2e_ms);
    if (lx != ly)
        return lx < ly ? -1 : 1;
    if (x->needs_checkpoint != y->needs_checkpoint)
        return x->needs_checkpoint ? 1 : -1;
    if (x->nodes != y->nodes)
        return x->nodes < y->nodes ? -1 : 1;
    if (x->num_gpus != y->num_gpus)
        return x->num_gpus < y->num_gpus ? -1 : 1;
    return lp_search_eval_cmp(a, b);
}

static bool tied(double s, double best) {
    if (s == best)
        return true;
    return isfinite(best) && fabs(s - best) <= LP_SEARCH_TIE_FRACTION * fabs(best);
}

void lp_search_rank(lp_search_eval *evals, size_t n) {
    qsort(evals, n, sizeof *evals, lp_search_eval_cmp);
    /* a tie is anchored at its best score, so every candidate ranked first in its tie is not
     * beaten on latency by any candidate within 1 % of it (a comparator with a tolerance is not
     * transitive, and qsort needs one that is) */
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && tied(evals[j].score, evals[i].score))
            j++;
        if (j - i > 1)
            qsort(evals + i, j - i, sizeof *evals, tie_cmp);
        i = j;
    }
}

const char *lp_capacity_method_name(lp_capacity_method m) {
    switch (m) {
    case LP_CAPACITY_NONE:
        return "none";
    case LP_CAPACITY_ROOFLINE:
        return "roofline";
    case LP_CAPACITY_SIMULATED:
        return "simulation";
    }
    return "unknown";
}

bool lp_candidate_same(const lp_candidate *a, const lp_candidate *b) {
    return a->gpu == b->gpu && a->num_gpus == b->num_gpus && a->tp == b->tp && a->pp == b->pp &&
           a->dp == b->dp && a->expert_parallel == b->expert_parallel &&
           a->kv_cache_dtype == b->kv_cache_dtype &&
           strcmp(a->quantization, b->quantization) == 0 && a->max_num_seqs == b->max_num_seqs &&
           a->max_num_batched_tokens == b->max_num_batched_tokens &&
           a->max_model_len == b->max_model_len &&
           a->gpu_memory_utilization == b->gpu_memory_utilization &&
           a->vllm_version == b->vllm_version;
}

void lp_search_objective_note(const lp_search_ctx *ctx, char *buf, size_t size) {
    const lp_search_spec *spec = ctx->spec;
    const lp_workload *w = &spec->workload;
    const double out_len = lp_len_mean(&ctx->req.workload.output);
    const double rate = ctx->req.workload.request_rate;
    char load[160] = "";
    if (ctx->offered_output_tok_s > 0 && w->request_rate > 0)
        snprintf(load, sizeof load, "a fixed load of %.3g req/s (%.0f output tok/s)", rate,
                 ctx->offered_output_tok_s);
    else if (ctx->offered_output_tok_s > 0)
        snprintf(load, sizeof load,
                 "a fixed load of %.3g output tokens a day (a mean %.3g req/s, %.0f output tok/s)",
                 spec->daily_output_tokens, rate, ctx->offered_output_tok_s);
    char ties[200];
    snprintf(ties, sizeof ties,
             "Ties (within %.0f %%) go to the lower p%d E2E latency, then the model's own "
             "checkpoint, fewer nodes, fewer GPUs.",
             100 * LP_SEARCH_TIE_FRACTION, ctx->percentile);
    switch (spec->objective) {
    case LP_OBJ_THROUGHPUT_PER_GPU:
        if (load[0])
            snprintf(buf, size,
                     "throughput-per-gpu: output tokens/s per GPU. At %s every deployment that "
                     "keeps up delivers the same tokens, so this ranks the fewest GPUs that keep "
                     "up; max_request_rate says how much more load each one takes. %s",
                     load, ties);
        else
            snprintf(buf, size, "throughput-per-gpu: the most output tokens/s per GPU at %s. %s",
                     w->max_concurrency > 0 ? "the clients' concurrency"
                                            : "full load (every request at once)",
                     ties);
        break;
    case LP_OBJ_COST:
        if (load[0])
            snprintf(buf, size,
                     "cost: $ per million output tokens. At %s every deployment that keeps up "
                     "delivers the same tokens, so this ranks the lowest $ per hour that keeps "
                     "up; max_request_rate says how much more load each one takes. %s",
                     load, ties);
        else
            snprintf(buf, size, "cost: the fewest $ per million output tokens at %s. %s",
                     w->max_concurrency > 0 ? "the clients' concurrency"
                                            : "full load (every request at once)",
                     ties);
        break;
    case LP_OBJ_LATENCY:
        snprintf(buf, size, "latency: the lowest p%d E2E latency (mean output %.0f tokens). %s",
                 ctx->percentile, out_len, ties);
        break;
    case LP_OBJ_GPUS:
        snprintf(buf, size, "gpus: the fewest GPUs that meet the targets. %s", ties);
        break;
    }
}

lp_reject_reason lp_search_check_latency(const lp_search_ctx *ctx, const lp_search_eval *e) {
    const lp_targets *t = &ctx->spec->targets;
    if (t->max_ttft_ms > 0 && !(e->ttft_ms <= t->max_ttft_ms))
        return LP_REJECT_TTFT;
    if (t->max_tpot_ms > 0 && !(e->tpot_ms <= t->max_tpot_ms))
        return LP_REJECT_TPOT;
    if (t->max_itl_ms > 0 && !(e->itl_ms <= t->max_itl_ms))
        return LP_REJECT_ITL;
    if (t->max_e2e_ms > 0 && !(e->e2e_ms <= t->max_e2e_ms))
        return LP_REJECT_E2E;
    return LP_REJECT_COUNT;
}

lp_reject_reason lp_search_check_targets(const lp_search_ctx *ctx, const lp_search_eval *e) {
    const lp_targets *t = &ctx->spec->targets;
    lp_reject_reason latency = lp_search_check_latency(ctx, e);
    if (latency != LP_REJECT_COUNT)
        return latency;
    if (t->min_output_tok_s > 0 && !(e->output_tok_s >= t->min_output_tok_s))
        return LP_REJECT_THROUGHPUT;
    /* a request rate (or a daily volume) is a throughput the deployment must sustain: when it
     * falls behind, a backlog builds up without bound */
    if (ctx->offered_output_tok_s > 0 && !(e->output_tok_s >= 0.99 * ctx->offered_output_tok_s))
        return LP_REJECT_THROUGHPUT;
    return LP_REJECT_COUNT;
}

/* The target closest to its limit, as "TPOT 21 ms < 50" (empty when no latency target). */
static void tightest_target(const lp_search_ctx *ctx, const lp_search_eval *e, char *buf,
                            size_t size) {
    const lp_targets *t = &ctx->spec->targets;
    const struct {
        const char *name;
        double value, limit;
    } all[] = {{"TTFT", e->ttft_ms, t->max_ttft_ms},
               {"TPOT", e->tpot_ms, t->max_tpot_ms},
               {"ITL", e->itl_ms, t->max_itl_ms},
               {"E2E", e->e2e_ms, t->max_e2e_ms}};
    int best = -1;
    double ratio = -1;
    for (int i = 0; i < 4; i++)
        if (all[i].limit > 0 && all[i].value / all[i].limit > ratio) {
            ratio = all[i].value / all[i].limit;
            best = i;
        }
    if (best < 0) {
        snprintf(buf, size, "TTFT %.0f ms, TPOT %.1f ms", e->ttft_ms, e->tpot_ms);
        return;
    }
    snprintf(buf, size, "%s %.0f ms < %.0f", all[best].name, all[best].value, all[best].limit);
}

void lp_search_fill_candidate(const lp_search_ctx *ctx, const lp_search_eval *e, lp_candidate *c) {
    const lp_search_group *g = &ctx->groups[e->group];
    const lp_search_gpu *G = &ctx->gpus[g->gpu];
    memset(c, 0, sizeof *c);
    c->gpu = G->gpu;
    c->num_gpus = e->num_gpus;
    c->nodes = (e->num_gpus + ctx->gpus_per_node - 1) / ctx->gpus_per_node;
    c->tp = g->tp;
    c->pp = g->pp;
    c->dp = e->dp;
    c->expert_parallel = g->ep;
    snprintf(c->quantization, sizeof c->quantization, "%s",
             ctx->quants[g->quant] ? ctx->quants[g->quant] : "");
    c->kv_cache_dtype = ctx->kvs[g->kv];
    c->max_num_seqs = e->max_num_seqs;
    c->max_num_batched_tokens = e->max_num_batched_tokens;
    c->max_model_len = ctx->max_model_len;
    c->gpu_memory_utilization = ctx->gpu_memory_utilization;
    c->vllm_version = ctx->vllm_version;
    c->ttft_ms = e->ttft_ms;
    c->tpot_ms = e->tpot_ms;
    c->itl_ms = e->itl_ms;
    c->e2e_ms = e->e2e_ms;
    c->output_tok_s = e->output_tok_s;
    c->request_s = e->request_s;
    c->total_tok_s = e->total_tok_s;
    c->output_tok_s_per_gpu = e->output_tok_s / e->num_gpus;
    c->max_concurrent_requests = e->max_concurrent_requests;
    c->kv_tokens = e->kv_tokens;
    c->decode_bound = (lp_bottleneck)e->decode_bound;
    c->prefill_bound = (lp_bottleneck)e->prefill_bound;
    c->usd_per_hour = e->usd_per_hour;
    c->usd_per_million_output_tokens = e->usd_per_million;
    c->cross_node_ms = e->cross_node_ms;
    c->meets_targets = true;
    c->reject = LP_REJECT_COUNT;
    c->score = e->score;
    c->simulated = e->simulated;
    c->n_variants = 1;
    c->max_request_rate = c->saturation_request_rate = c->max_concurrency = NAN;
    c->capacity_method = LP_CAPACITY_NONE;
    c->capacity_limit = LP_REJECT_COUNT;

    char target[64], cost[48], pct[40] = "";
    tightest_target(ctx, e, target, sizeof target);
    if (isnan(e->usd_per_million))
        snprintf(cost, sizeof cost, "no price");
    else
        snprintf(cost, sizeof cost, "$%.2f/M tokens", e->usd_per_million);
    if (ctx->percentile != 50)
        snprintf(pct, sizeof pct, "; p%d %s", ctx->percentile,
                 e->simulated ? "simulated" : "roofline x tail factor");
    char needs[160] = "";
    char ckpt[128];
    if (lp_candidate_needs_checkpoint(c, ctx->model, ckpt, sizeof ckpt))
        snprintf(needs, sizeof needs, "; needs %s", ckpt);
    else if (e->cross_node_ms >= 0.05)
        snprintf(needs, sizeof needs, "; crossing nodes +%.1f ms/step", e->cross_node_ms);
    snprintf(c->why, sizeof c->why,
             "fits %d x %s with %.1f GiB KV/GPU; %s; %.0f tok/s/GPU; %s; %s-bound decode%s%s",
             e->num_gpus, G->gpu->name, e->kv_gib_per_gpu, target, e->output_tok_s / e->num_gpus,
             cost, lp_bottleneck_name(c->decode_bound), pct, needs);
}

bool lp_candidate_needs_checkpoint(const lp_candidate *c, const lp_model *m, char *what,
                                   size_t size) {
    if (!quant_needs_checkpoint(c->quantization, m))
        return false;
    if (what) {
        char upper[32];
        size_t i = 0;
        for (; c->quantization[i] && i + 1 < sizeof upper; i++)
            upper[i] = (char)toupper((unsigned char)c->quantization[i]);
        upper[i] = '\0';
        snprintf(what, size, "an %s 4-bit checkpoint of %s", upper, m->id);
    }
    return true;
}

typedef struct {
    double cost, e2e;
    size_t index, pos;
} pareto_point;

static int cmp_cost_latency(const void *a, const void *b) {
    const pareto_point *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost < y->cost ? -1 : 1;
    if (x->e2e != y->e2e)
        return x->e2e < y->e2e ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

size_t lp_search_pareto(const lp_search_eval *evals, size_t n, size_t **out, bool *nomem) {
    *out = NULL;
    *nomem = false;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += isfinite(evals[i].usd_per_million) && isfinite(evals[i].e2e_ms);
    if (m == 0)
        return 0;
    pareto_point *pts = malloc(m * sizeof *pts);
    size_t *idx = malloc(m * sizeof *idx);
    if (!pts || !idx) {
        free(pts);
        free(idx);
        *nomem = true;
        return 0;
    }
    m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(evals[i].usd_per_million) && isfinite(evals[i].e2e_ms))
            pts[m++] = (pareto_point){evals[i].usd_per_million, evals[i].e2e_ms, evals[i].index, i};
    qsort(pts, m, sizeof *pts, cmp_cost_latency);
    /* sweep by rising cost: a point is on the front when it is faster than every cheaper one */
    size_t k = 0;
    double best = INFINITY;
    for (size_t i = 0; i < m; i++)
        if (pts[i].e2e < best) {
            best = pts[i].e2e;
            idx[k++] = pts[i].pos;
        }
    free(pts);
    *out = idx;
    return k;
}
