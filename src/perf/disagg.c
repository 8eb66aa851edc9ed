/*
 * disagg.c - the performance of disaggregated prefill/decode (`--disaggregation xPyD`): x
 * prefill instances compute the prompts, a KV connector moves each request's KV cache to one
 * of y decode instances, which generate the output. Both roles are ordinary vLLM servers (their
 * memory plans: src/mem/disagg.c), so each runs on its own step model:
 *
 *  - the prefill pool serves every request as a one-token request (vLLM's P/D proxies send the
 *    prefill instance max_tokens 1), solved by the roofline at the pair's request rate R;
 *  - the transfer: prompt tokens x KV bytes per token at the decode pool's --kv-cache-dtype
 *    over the link between the pools (lp_disagg_kv_transfer), after the prefill finished
 *    (NixlConnector: the decode instance pulls the blocks when the proxy hands it the request);
 *  - a decode instance holds a request from the moment its blocks are allocated (before the
 *    pull) to its last token, and runs decode steps only: no prompt chunk ever shares its
 *    steps, so TPOT is its plain decode step at C running requests, with C = (R / y) x that
 *    time (Little's law), capped by --max-num-seqs and its KV cache;
 *  - TTFT = the prefill pool's (queueing, prefill, its API server) + transfer + the decode
 *    server's own API hop (the proxy sends it the request after the prefill answered) + half a
 *    step of waiting and the first decode step (vLLM recomputes the prompt's last token there);
 *  - throughput is bounded by the slower pool: min(prefill pool, decode pool) requests/s.
 * R is the request rate (Poisson), or solves R = clients / E2E for a closed loop, or is the
 * pair's capacity when everything is sent at once; beyond the capacity requests queue.
 * The simulate method runs the same pieces event by event (disagg_sim.c).
 *
 * Deliberately not here: the memory of each role (mem/disagg.c), artifacts and search.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "llmplan/bands.h"
#include "perf/perf_internal.h"

#define GIGA 1e9
#define LP_DISAGG_ITERATIONS 60
/* A rate this close to a pool's capacity counts as the capacity (the solvers' tolerance). */
#define LP_CAPACITY_MARGIN 0.999

/* The link between the pools: as lp_disagg_kv_transfer documents. */
static void pool_link(const lp_cluster *c, int num_gpus, lp_kv_transfer *out) {
    const lp_gpu *gpu = c->decode_gpu ? c->decode_gpu : c->gpu;
    out->link_assumed = false;
    if (c->inter_node_link_given && lp_link_is_network(c->inter_node_link)) {
        lp_link_default(c->inter_node_link, NULL, &out->link);
    } else if (c->intra_node_link_given) {
        lp_link_default(c->intra_node_link, gpu, &out->link);
    } else if (num_gpus <= lp_cluster_gpus_per_node(c)) {
        lp_link_default(lp_cluster_intra_node_link(c), gpu, &out->link);
        out->link_assumed = true;
    } else {
        lp_link_default(LP_LINK_INFINIBAND, NULL, &out->link);
        out->link_assumed = true;
    }
    if (c->link_gbs > 0) {
        out->link.bandwidth = c->link_gbs * GIGA;
        snprintf(out->link.source, sizeof out->link.source, "%.1f GB/s per GPU as given",
                 c->link_gbs);
    }
    if (c->link_latency_s > 0)
        out->link.latency_s = c->link_latency_s;
}

void lp_disagg_kv_transfer(const lp_cluster *c, const lp_mem_plan *prefill,
                           const lp_mem_plan *decode, int num_gpus, double prompt_tokens,
                           lp_kv_transfer *out) {
    memset(out, 0, sizeof *out);
    pool_link(c, num_gpus, out);
    int ptp = prefill->tp > 0 ? prefill->tp : 1, dtp = decode->tp > 0 ? decode->tp : 1;
    out->streams = ptp < dtp ? ptp : dtp;
    int replicas = decode->kv_head_replicas > 0 ? decode->kv_head_replicas : 1;
    out->bytes = fmax(prompt_tokens, 0.0) * decode->kv_bytes_per_token * replicas;
    double bandwidth = out->link.bandwidth * out->streams;
    out->seconds = out->link.latency_s + (bandwidth > 0 ? out->bytes / bandwidth : 0.0);
}

/* Everything both methods need: the role requests, step models and the transfer. */
typedef struct {
    lp_perf_request prefill_req; /* the workload as the prefill pool sees it: 1 output token */
    lp_step_model prefill, decode;
    int x, y;
    lp_kv_transfer xfer;
    const lp_mem_disagg_plan *plans;
    double in, out; /* mean prompt and output tokens */
    double cap_d;   /* requests one decode instance holds */
    double api_s;   /* one API server's time per request */
} pair;

static lp_status role_error(lp_disagg_role role, lp_status st, const lp_error *inner,
                            lp_error *err) {
    return lp_error_set(err, st, "%s pool: %s", role == LP_ROLE_PREFILL ? "prefill" : "decode",
                        inner->message);
}

/* The step model of one instance of role, through lp_perf_prepare (efficiencies, LoRA and the
 * drafter as for any server). */
static lp_status prepare_role(const lp_perf_request *req, lp_disagg_role role, const lp_gpu *gpu,
                              lp_perf_request *rr, lp_step_model *sm, lp_perf_estimate *est,
                              lp_error *err) {
    *rr = *req;
    lp_disaggregation_role_serving(&req->serving, role, &rr->serving);
    rr->cluster.gpu = gpu;
    rr->cluster.num_gpus = 0;
    rr->cluster.prefill_gpu = rr->cluster.decode_gpu = NULL;
    rr->prefill_gpu_name = rr->decode_gpu_name = NULL;
    static _Thread_local lp_model loaded;
    int replicas;
    const lp_gpu *used;
    lp_error inner;
    lp_error_clear(&inner);
    lp_status st = lp_perf_prepare(rr, &loaded, sm, &replicas, &used, est, &inner);
    return st == LP_OK ? LP_OK : role_error(role, st, &inner, err);
}

static lp_status pool_gpu(const lp_gpu *given, const char *name, const lp_gpu *fallback,
                          const char *field, const lp_gpu **out, lp_error *err) {
    *out = given ? given : fallback;
    if (given || !name)
        return LP_OK;
    lp_error inner;
    if (lp_gpu_find(lp_gpu_db_builtin(), name, out, &inner) != LP_OK)
        return lp_error_set(err, inner.code, "%s: %s", field, inner.message);
    return LP_OK;
}

static lp_status prepare_pair(const lp_perf_request *req, pair *p, lp_perf_estimate *est,
                              lp_error *err) {
    memset(p, 0, sizeof *p);
    const lp_model *m = req->model;
    static _Thread_local lp_model by_id;
    lp_status st;
    if (!m && req->model_id) {
        if ((st = lp_perf_model_by_id(req->model_id, &by_id, err)) != LP_OK)
            return st;
        m = &by_id;
    }
    if (!m)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "the %s method needs a model (catalog id, config.json or model "
                            "directory)",
                            lp_method_name(req->method));
    const lp_gpu *gpu = req->cluster.gpu;
    if (!gpu && req->gpu_name &&
        (st = lp_gpu_find(lp_gpu_db_builtin(), req->gpu_name, &gpu, err)) != LP_OK)
        return st;
    const lp_gpu *pg, *dg;
    if ((st = pool_gpu(req->cluster.prefill_gpu, req->prefill_gpu_name, gpu, "prefill_gpu", &pg,
                       err)) != LP_OK ||
        (st = pool_gpu(req->cluster.decode_gpu, req->decode_gpu_name, gpu, "decode_gpu", &dg,
                       err)) != LP_OK)
        return st;
    if (!pg || !dg)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "no GPU given (gpu_name)");
    static _Thread_local lp_mem_disagg_plan plans;
    if ((st = lp_mem_disagg_plan_compute(m, pg, dg, &req->serving, NULL, &plans, err)) != LP_OK)
        return st;
    if (req->cluster.num_gpus > 0 && req->cluster.num_gpus != plans.num_gpus)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "num_gpus %d disagrees with --disaggregation %dP%dD, which uses %d "
                            "GPUs; leave it out",
                            req->cluster.num_gpus, plans.prefill_instances, plans.decode_instances,
                            plans.num_gpus);
    p->plans = &plans;
    lp_perf_request rr = *req;
    rr.model = m;
    /* the decode pool's assumptions (efficiencies, KV) are listed: it sets TPOT */
    if ((st = prepare_role(&rr, LP_ROLE_PREFILL, pg, &p->prefill_req, &p->prefill, NULL, err)) !=
        LP_OK)
        return st;
    lp_perf_request dr;
    if ((st = prepare_role(&rr, LP_ROLE_DECODE, dg, &dr, &p->decode, est, err)) != LP_OK)
        return st;
    int64_t need = 0;
    if (lp_workload_context_needed(&req->workload, &need) == LP_OK &&
        need > plans.decode.max_model_len)
        return lp_error_set(err, LP_ERR_INFEASIBLE,
                            "a request of up to %lld prompt + output tokens is longer than "
                            "max-model-len %lld, and vLLM refuses it; shorten the lengths or raise "
                            "--max-model-len",
                            (long long)need, (long long)plans.decode.max_model_len);
    p->prefill_req.workload.output = lp_len_fixed(1);
    p->x = plans.prefill_instances;
    p->y = plans.decode_instances;
    p->in = lp_len_mean(&req->workload.input);
    p->out = lp_len_mean(&req->workload.output);
    lp_cluster c = req->cluster;
    c.gpu = gpu ? gpu : dg;
    c.decode_gpu = dg;
    lp_disagg_kv_transfer(&c, &plans.prefill, &plans.decode, plans.num_gpus, p->in, &p->xfer);
    p->cap_d = fmax(1.0, fmin((double)p->decode.max_num_seqs,
                              lp_step_kv_requests(&p->decode, p->in + p->out / 2.0)));
    lp_sim_frontend fe;
    lp_sim_frontend_default(&fe);
    p->api_s = fe.api_ingress_s + fe.api_egress_s;
    return LP_OK;
}

/* One decode step of c requests at mean context ctx on a decode instance. */
static double decode_step(const lp_step_model *sm, double c, double ctx, lp_bottleneck *bound) {
    lp_step_batch b = {c, c * ctx, 0, 0, 0};
    lp_step_time t;
    lp_step_eval(sm, &b, &t);
    if (bound)
        *bound = t.bound;
    return t.total_s;
}

/* How long a decode instance holds a request at c running: the transfer, half a step of
 * waiting and the first step, then the other output tokens. */
static double decode_hold_s(const pair *p, double c) {
    double t = decode_step(&p->decode, c, p->in + p->out / 2.0, NULL);
    double yield = lp_spec_yield(&p->decode, c);
    return p->xfer.seconds + 1.5 * t + fmax(p->out - 1.0, 0.0) * t / yield;
}

/* Running requests per decode instance at rate lambda per instance (Little's law, capped). */
static double decode_running(const pair *p, double lambda) {
    double c = 1;
    for (int i = 0; i < LP_DISAGG_ITERATIONS; i++) {
        double next = fmin(fmax(lambda * decode_hold_s(p, c), 1e-3), p->cap_d);
        if (fabs(next - c) < 1e-6 * c)
            return next;
        c = i < 8 ? next : 0.5 * (c + next);
    }
    return c;
}

/* The prefill pool at rate r (requests/s over all x instances); r 0: everything at once. */
static void prefill_at(const pair *p, double r, lp_perf_estimate *e) {
    lp_perf_request q = p->prefill_req;
    q.workload.max_concurrency = 0;
    q.workload.request_rate = r;
    memset(e, 0, sizeof *e);
    lp_perf_roofline_quiet(&p->prefill, &q, p->x, e);
}

/* The pair at rate r: its service times without the queue in front of it. */
typedef struct {
    double ttft_s, tpot_s, itl_s, e2e_s, prefill_s, c_d;
    lp_bottleneck decode_bound, prefill_bound;
    double prefill_tok_s;
} pair_state;

static void pair_at(const pair *p, double r, pair_state *s) {
    lp_perf_estimate pe;
    prefill_at(p, r, &pe);
    s->prefill_s = pe.ttft_ms.mean / 1e3;
    s->prefill_bound = pe.prefill_bound;
    s->prefill_tok_s = pe.prefill_tok_s;
    s->c_d = decode_running(p, r / p->y);
    double t = decode_step(&p->decode, s->c_d, p->in + p->out / 2.0, &s->decode_bound);
    double yield = lp_spec_yield(&p->decode, s->c_d);
    s->itl_s = t;
    s->tpot_s = t / yield;
    s->ttft_s = s->prefill_s + p->xfer.seconds + p->api_s + 1.5 * t;
    s->e2e_s = s->ttft_s + fmax(p->out - 1.0, 0.0) * s->tpot_s;
}

/* The most requests/s each pool serves: x instances prefilling full token budgets (the
 * roofline's prefill throughput at full load) over the prompt, and y decode instances full. */
static void capacities(const pair *p, double *prefill_rps, double *decode_rps) {
    lp_perf_estimate pe;
    prefill_at(p, 1.0, &pe);
    *prefill_rps = p->x * pe.prefill_tok_s / fmax(p->in, 1.0);
    *decode_rps = p->y * p->cap_d / decode_hold_s(p, p->cap_d);
}

static void set_stat(lp_stat *st, double ms) {
    st->mean = st->median = ms;
    st->p90 = st->p99 = NAN;
}

static void fill_modes(const lp_perf_request *req, const pair *p, double prefill_rps,
                       double decode_rps, double prefill_s, double c_d, lp_perf_estimate *out) {
    lp_disagg_stats *d = &out->modes.disagg;
    d->on = true;
    d->prefill_instances = p->x;
    d->decode_instances = p->y;
    d->kv_connector = req->serving.disaggregation.kv_connector;
    d->link = p->xfer.link.kind;
    d->link_gbs = p->xfer.link.bandwidth * p->xfer.streams / GIGA;
    d->link_latency_ms = 1e3 * p->xfer.link.latency_s;
    d->streams = p->xfer.streams;
    d->kv_transfer_bytes = p->xfer.bytes;
    d->kv_transfer_ms = 1e3 * p->xfer.seconds;
    d->prefill_ms = 1e3 * prefill_s;
    d->prefill_pool_request_s = prefill_rps;
    d->decode_pool_request_s = decode_rps;
    d->prefill_limited = prefill_rps < decode_rps;
    d->decode_running = c_d;
    out->modes.prefix_caching = !req->serving.enable_prefix_caching_off;
}

/* The assumptions of a disaggregated estimate (both methods). */
static void assume(const lp_perf_request *req, const pair *p, lp_perf_estimate *out) {
    const lp_disagg_stats *d = &out->modes.disagg;
    const lp_mem_disagg_plan *pl = p->plans;
    lp_perf_assume(out,
                   "disaggregated %dP%dD over %s: prefill instances -tp %d on %s, decode "
                   "instances -tp %d on %s; each role is its own vLLM server",
                   p->x, p->y, lp_kv_connector_vllm_name(d->kv_connector), pl->prefill.tp,
                   pl->prefill_gpu->name, pl->decode.tp, pl->decode_gpu->name);
    lp_perf_assume(out,
                   "KV transfer per request: %.0f prompt tokens x %.0f bytes per token (%s KV%s) "
                   "= %.1f MB over %s%s at %.1f GB/s (%d rank pair%s in parallel) + %.3f ms = "
                   "%.2f ms",
                   p->in, pl->decode.kv_bytes_per_token, lp_dtype_name(pl->decode.kv_cache_dtype),
                   pl->decode.kv_head_replicas > 1 ? ", each replicated head copy" : "",
                   d->kv_transfer_bytes / 1e6, lp_link_name(d->link),
                   p->xfer.link_assumed ? " (assumed: no --interconnect)" : "", d->link_gbs,
                   d->streams, d->streams == 1 ? "" : "s", d->link_latency_ms, d->kv_transfer_ms);
    lp_perf_assume(out, "inter-pool link: %s", p->xfer.link.source);
    lp_perf_assume(out,
                   "the transfer starts after the prefill (the decode instance pulls the blocks), "
                   "not layer by layer; KV of every layer moved as if all were full attention");
    if (req->method == LP_ROOFLINE)
        lp_perf_assume(out,
                       "TTFT = prefill pool %.1f ms (queueing, prefill, its API server) + "
                       "transfer %.2f ms + the decode server's API hop %.1f ms + half a step and "
                       "the first decode step",
                       d->prefill_ms, d->kv_transfer_ms, 1e3 * p->api_s);
    else
        lp_perf_assume(out,
                       "TTFT = the prefill instance's queue and steps + both API servers (%.1f ms "
                       "each) + the transfer (%.2f ms for the mean prompt) + the decode "
                       "instance's queue and first step",
                       1e3 * p->api_s, d->kv_transfer_ms);
    lp_perf_assume(out,
                   "TPOT from decode steps alone at %.1f running requests per decode instance "
                   "(no prefill shares its steps); at most %.1f per instance (KV cache and "
                   "--max-num-seqs %d)",
                   d->decode_running, p->cap_d, p->decode.max_num_seqs);
    lp_perf_assume(out,
                   "throughput bounded by the slower pool: prefill pool %.2f requests/s, decode "
                   "pool %.2f requests/s (%s limits)",
                   d->prefill_pool_request_s, d->decode_pool_request_s,
                   d->prefill_limited ? "prefill" : "decode");
    if (req->method == LP_ROOFLINE)
        lp_perf_assume(out, "p90/p99 need --method simulate");
}

/* The roofline of the pair. */
static void roofline(const lp_perf_request *req, const pair *p, lp_perf_estimate *out) {
    const lp_workload *w = &req->workload;
    double prefill_rps, decode_rps;
    capacities(p, &prefill_rps, &decode_rps);
    double r_max = fmin(prefill_rps, decode_rps);
    double n = w->num_prompts > 0 ? w->num_prompts : 1;
    double r, wait_s = 0;
    pair_state s;
    if (w->max_concurrency > 0) {
        /* a closed loop: R = clients / E2E, at most the capacity; beyond it clients wait */
        double clients = fmin((double)w->max_concurrency, n);
        r = fmin(r_max, 1.0);
        for (int i = 0; i < LP_DISAGG_ITERATIONS; i++) {
            pair_at(p, r, &s);
            double next = fmin(clients / s.e2e_s, r_max * LP_CAPACITY_MARGIN);
            if (fabs(next - r) < 1e-6 * r)
                break;
            r = i < 8 ? next : 0.5 * (r + next);
        }
        pair_at(p, r, &s);
        wait_s = fmax(0.0, clients / r - s.e2e_s);
    } else if (w->request_rate > 0) {
        r = fmin(w->request_rate, r_max * LP_CAPACITY_MARGIN);
        pair_at(p, r, &s);
        if (w->request_rate > r_max)
            wait_s = 0.5 * n * (1.0 / r_max - 1.0 / w->request_rate);
    } else {
        /* everything at once: the pair runs at its capacity; the mean request waits for half
         * of what does not fit in service */
        r = r_max * LP_CAPACITY_MARGIN;
        pair_at(p, r, &s);
        wait_s = 0.5 * fmax(0.0, n - r * s.e2e_s) / r;
    }
    double ttft = s.ttft_s + wait_s, e2e = s.e2e_s + wait_s;
    set_stat(&out->ttft_ms, 1e3 * ttft);
    set_stat(&out->tpot_ms, 1e3 * s.tpot_s);
    set_stat(&out->itl_ms, 1e3 * s.tpot_s);
    out->itl_ms.median = 1e3 * s.itl_s;
    set_stat(&out->e2el_ms, 1e3 * e2e);
    out->request_s = r;
    out->output_tok_s = r * p->out;
    out->total_tok_s = r * (p->in + p->out);
    out->prefill_tok_s = s.prefill_tok_s;
    out->decode_tok_s = s.c_d * lp_spec_yield(&p->decode, s.c_d) / s.itl_s;
    out->max_concurrent_requests = p->y * p->cap_d;
    out->mean_batch = s.c_d;
    out->replicas = p->y;
    out->prefill_bound = wait_s > 0 ? LP_BOUND_QUEUEING : s.prefill_bound;
    out->decode_bound = s.c_d >= p->cap_d * LP_CAPACITY_MARGIN && p->cap_d < p->decode.max_num_seqs
                            ? LP_BOUND_KV_CAPACITY
                            : s.decode_bound;
    out->completed = (int)n;
    out->duration_s = n / r;
    fill_modes(req, p, prefill_rps, decode_rps, s.prefill_s, s.c_d, out);
}

lp_status lp_perf_disagg(const lp_perf_request *req, lp_perf_estimate *out, lp_error *err) {
    static _Thread_local pair p;
    lp_status st = prepare_pair(req, &p, out, err);
    if (st != LP_OK)
        return st;
    if (req->method == LP_SIMULATE) {
        if ((st = lp_perf_disagg_simulate(&p.prefill, &p.decode, &p.xfer, p.x, p.y, req, out,
                                          err)) != LP_OK)
            return st;
        double prefill_rps, decode_rps;
        capacities(&p, &prefill_rps, &decode_rps);
        lp_perf_estimate pe;
        prefill_at(&p, fmin(prefill_rps, decode_rps) * 0.5, &pe);
        out->prefill_tok_s = pe.prefill_tok_s;
        out->max_concurrent_requests = p.y * p.cap_d;
        out->prefill_bound = pe.prefill_bound;
        decode_step(&p.decode, out->mean_batch, p.in + p.out / 2.0, &out->decode_bound);
        fill_modes(req, &p, prefill_rps, decode_rps, NAN, out->mean_batch, out);
        lp_perf_assume(
            out, "simulated: round-robin routing; prefill steps filled first come first served "
                 "(chunked); one KV transfer at a time per prefill link; decode admits while "
                 "its KV holds the whole request");
    } else {
        roofline(req, &p, out);
    }
    assume(req, &p, out);
    lp_perf_apply_bands(NULL, req, p.decode.eff.family, out);
    lp_perf_assume(out, "error bands: those of aggregated serving on the decode pool's GPUs");
    out->method = req->method;
    out->valid = true;
    return LP_OK;
}
