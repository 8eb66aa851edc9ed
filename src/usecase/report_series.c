/*
 * report_series.c - the series a `--report FILE.html|FILE.md` shows beyond the command's own
 * result, computed once here for every front end (the CLI only writes them):
 *  - KV capacity and maximum concurrency vs max-model-len: the memory plan computed again at
 *    1K, 2K, 4K ... up to the model's context (and the configured length);
 *  - throughput and latency vs concurrency: roofline estimates with 1, 2, 4 ... clients in a
 *    closed loop up to what the KV cache and --max-num-seqs hold, and the knee: the last
 *    concurrency whose doubling still raises throughput by KNEE_GAIN or more;
 *  - one simulation (LP_SIMULATE) of the workload for the latency statistics.
 * It deliberately adds no workload to `plan`: a plan report uses `vllm bench serve`'s random
 * defaults (1024 in / 128 out) at the knee concurrency, and says so. It writes nothing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmplan/perf.h"
#include "llmplan/usecase.h"

/* The knee: the throughput gain per doubling of concurrency below which more clients mostly
 * add latency (10 %, as issue 6 proposes). */
#define KNEE_GAIN 0.10
/* max-model-len sweep: from 1K tokens, doubling; at most LP_REPORT_MAX_LENGTHS points. */
#define LEN_START 1024
/* `vllm bench serve` defaults for the random dataset (benchmarks/datasets.py) and
 * --num-prompts: the plan report's workload, as the command has no workload flags. */
#define BENCH_INPUT_LEN 1024
#define BENCH_OUTPUT_LEN 128
#define BENCH_NUM_PROMPTS 1000

static void length_sweep(lp_report_series *rs, const lp_model *m, const lp_gpu *gpu,
                         const lp_serving *s) {
    int64_t configured = rs->plan.max_model_len;
    int64_t top = m->max_position_embeddings > configured ? m->max_position_embeddings : configured;
    int64_t lens[LP_REPORT_MAX_LENGTHS];
    size_t n = 0;
    for (int64_t len = LEN_START; len < top && n < LP_REPORT_MAX_LENGTHS - 2; len *= 2)
        lens[n++] = len;
    if (top > 0)
        lens[n++] = top;
    if (configured > 0) {
        size_t at = 0;
        while (at < n && lens[at] < configured)
            at++;
        if (at == n || lens[at] != configured) {
            memmove(lens + at + 1, lens + at, (n - at) * sizeof *lens);
            lens[at] = configured;
            n++;
        }
    }
    lp_mem_plan *scratch = malloc(sizeof *scratch); /* large */
    for (size_t i = 0; i < n; i++) {
        lp_serving t = *s;
        t.max_model_len = lens[i];
        lp_report_len_point *pt = &rs->lengths[i];
        memset(pt, 0, sizeof *pt);
        pt->max_model_len = lens[i];
        lp_error err;
        if (scratch && lp_mem_plan_compute(m, gpu, &t, scratch, &err) == LP_OK) {
            pt->valid = true;
            pt->fits = scratch->fits;
            pt->kv_tokens = scratch->kv_tokens;
            pt->max_concurrency = scratch->max_concurrency;
        }
    }
    free(scratch);
    rs->n_lengths = n;
}

/* Clients in flight the deployment can serve at once: what the KV cache holds for requests
 * of the workload's length, within --max-num-seqs, times the replicas. */
static int concurrency_cap(const lp_mem_plan *p, const lp_perf_request *w) {
    double per_request = lp_len_mean(&w->workload.input) + lp_len_mean(&w->workload.output);
    double kv = per_request > 0 ? (double)p->kv_tokens / per_request : 1;
    double per_replica = kv < p->max_num_seqs ? kv : p->max_num_seqs;
    double cap = floor(per_replica) * (p->dp > 0 ? p->dp : 1);
    return cap < 1 ? 1 : cap > 1e6 ? 1000000 : (int)cap;
}

static void load_sweep(lp_report_series *rs) {
    int cap = concurrency_cap(&rs->plan, &rs->workload);
    int clients[LP_REPORT_MAX_LOADS];
    size_t n = 0;
    for (int c = 1; c < cap && n < LP_REPORT_MAX_LOADS - 1; c *= 2)
        clients[n++] = c;
    clients[n++] = cap;
    lp_perf_estimate *e = malloc(sizeof *e); /* large */
    for (size_t i = 0; i < n; i++) {
        lp_perf_request q = rs->workload;
        q.method = LP_ROOFLINE;
        q.workload.request_rate = 0;
        q.workload.max_concurrency = clients[i];
        lp_report_load_point *pt = &rs->load[i];
        memset(pt, 0, sizeof *pt);
        pt->concurrency = clients[i];
        if (e && lp_estimate_performance(&q, e) == LP_OK) {
            pt->valid = true;
            pt->output_tok_s = e->output_tok_s;
            pt->request_s = e->request_s;
            pt->ttft_ms = e->ttft_ms.median;
            pt->tpot_ms = e->tpot_ms.median;
            pt->itl_ms = e->itl_ms.median;
            pt->e2el_ms = e->e2el_ms.median;
        }
    }
    free(e);
    rs->n_load = n;
    /* the knee: the first point whose next doubling gains less than KNEE_GAIN (normalised to
     * one doubling when the last step is shorter) */
    for (size_t i = 0; i + 1 < n; i++) {
        const lp_report_load_point *a = &rs->load[i], *b = &rs->load[i + 1];
        if (!a->valid || !b->valid || !(a->output_tok_s > 0) || b->concurrency <= a->concurrency)
            continue;
        double doublings = log2((double)b->concurrency / a->concurrency);
        double gain = pow(b->output_tok_s / a->output_tok_s, 1 / doublings) - 1;
        if (gain < KNEE_GAIN) {
            rs->knee = (int)i;
            break;
        }
    }
}

static void simulate(lp_report_series *rs) {
    lp_perf_request q = rs->workload;
    q.method = LP_SIMULATE;
    rs->has_simulation = lp_estimate_performance(&q, &rs->simulation) == LP_OK;
    char arr[96];
    const double b = q.workload.burstiness > 0 ? q.workload.burstiness : 1.0;
    if (q.workload.request_rate > 0 && b != 1.0)
        snprintf(arr, sizeof arr, "gamma gaps of burstiness %g at %.3g requests/s", b,
                 q.workload.request_rate);
    else if (q.workload.request_rate > 0)
        snprintf(arr, sizeof arr, "Poisson arrivals at %.3g requests/s", q.workload.request_rate);
    else if (q.workload.max_concurrency > 0)
        snprintf(arr, sizeof arr, "%d clients in a closed loop", q.workload.max_concurrency);
    else
        snprintf(arr, sizeof arr, "every request at once");
    snprintf(rs->simulation_note, sizeof rs->simulation_note,
             "One simulation of vLLM's scheduler: %d requests, %s, seed %llu.",
             q.workload.num_prompts, arr, (unsigned long long)q.workload.seed);
}

static void series_init(lp_report_series *out) {
    memset(out, 0, sizeof *out);
    out->knee = -1;
    out->knee_threshold = KNEE_GAIN;
}

/* The sweeps of the configuration whose plan is in rs->plan (the load sweep replaces the
 * workload's arrival). */
static void config_series(lp_report_series *rs, const lp_model *m, const lp_gpu *gpu,
                          const lp_serving *s) {
    length_sweep(rs, m, gpu, s);
    if (rs->plan.fits)
        load_sweep(rs);
}

void lp_report_series_plan(const lp_model *model, const lp_gpu *gpu, const lp_serving *s,
                           const lp_mem_plan *plan, lp_report_series *out) {
    series_init(out);
    out->plan = *plan;
    out->has_plan = true;
    lp_serving serving = *s;
    serving.max_model_len = plan->max_model_len; /* auto resolved */
    lp_perf_request *w = &out->workload;
    lp_perf_request_init(w);
    w->model = model;
    w->cluster.gpu = gpu;
    w->cluster.num_gpus = plan->num_gpus;
    w->serving = serving;
    /* the defaults of `vllm bench serve`, shortened to fit a short max-model-len */
    double len = (double)plan->max_model_len;
    double in = BENCH_INPUT_LEN, out_len = BENCH_OUTPUT_LEN;
    if (len > 1 && in + out_len > len) {
        in = floor(len * BENCH_INPUT_LEN / (BENCH_INPUT_LEN + BENCH_OUTPUT_LEN));
        out_len = len - in > 1 ? floor(len - in) : 1;
        in = in >= 1 ? in : 1;
    }
    w->workload.input = lp_len_fixed(in);
    w->workload.output = lp_len_fixed(out_len);
    w->workload.num_prompts = BENCH_NUM_PROMPTS;
    config_series(out, model, gpu, &serving);
    if (!plan->fits)
        return;
    int clients = out->knee >= 0    ? out->load[out->knee].concurrency
                  : out->n_load > 0 ? out->load[out->n_load - 1].concurrency
                                    : 1;
    w->workload.max_concurrency = clients;
    snprintf(out->workload_note, sizeof out->workload_note,
             "llmplan plan takes no workload: the estimates use vllm bench serve's random "
             "defaults (%.0f input, %.0f output tokens, %d prompts) with %d clients in a "
             "closed loop, %s.",
             in, out_len, w->workload.num_prompts, clients,
             out->knee >= 0 ? "the knee of the throughput curve"
                            : "the most the KV cache holds (no knee)");
    out->has_workload = true;
    out->has_estimate = lp_estimate_performance(w, &out->estimate) == LP_OK;
    simulate(out);
}

void lp_report_series_recommend(const lp_recommend_view *v, int num_prompts,
                                lp_report_series *out) {
    series_init(out);
    const lp_search_spec *spec = v->spec;
    const lp_search_result *res = v->result;
    if (!(res->n_ranked > 0 && v->chosen < res->n_ranked))
        return;
    const lp_candidate *c = &res->ranked[v->chosen];
    lp_serving s;
    lp_candidate_serving(c, &s);
    lp_error err;
    if (lp_mem_plan_compute(spec->model, c->gpu, &s, &out->plan, &err) != LP_OK)
        return;
    out->has_plan = true;
    lp_perf_request *w = &out->workload;
    lp_perf_request_init(w);
    w->model = spec->model;
    w->cluster.gpu = c->gpu;
    w->cluster.num_gpus = c->num_gpus;
    w->serving = s;
    if (spec->workload.input.mean > 0 || spec->workload.input.kind != LP_LEN_FIXED)
        w->workload.input = spec->workload.input;
    if (spec->workload.output.mean > 0 || spec->workload.output.kind != LP_LEN_FIXED)
        w->workload.output = spec->workload.output;
    w->workload.num_prompts = num_prompts > 0 ? num_prompts : BENCH_NUM_PROMPTS;
    /* one arrival process, in the order the search reads it (search/enumerate.c) */
    if (spec->workload.request_rate > 0)
        w->workload.request_rate = spec->workload.request_rate;
    else if (spec->workload.max_concurrency > 0)
        w->workload.max_concurrency = spec->workload.max_concurrency;
    else if (spec->daily_output_tokens > 0 && lp_len_mean(&w->workload.output) > 0)
        w->workload.request_rate =
            spec->daily_output_tokens / 86400.0 / lp_len_mean(&w->workload.output);
    w->workload.burstiness = spec->workload.burstiness; /* the gaps' shape at that rate */
    out->has_workload = true;
    config_series(out, spec->model, c->gpu, &s);
    if (v->estimates && v->estimates[v->chosen].valid) {
        out->estimate = v->estimates[v->chosen];
        out->has_estimate = true;
    } else {
        out->has_estimate = lp_estimate_performance(w, &out->estimate) == LP_OK;
    }
    simulate(out);
}
