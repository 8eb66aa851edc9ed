/*
 * capacity.c - how much load one configuration takes at the targets: the highest Poisson
 * request rate it sustains while it keeps up and meets every latency target (its "goodput",
 * the quantity DistServe optimises and Vidur's search reports as capacity per replica), the
 * replicas an offered load needs, and latency against load for charts.
 *
 * Why a search over the load and not a formula: the latencies of vLLM's continuous batching
 * grow with the running batch, which grows with the rate (Little's law), until the KV cache or
 * --max-num-seqs caps it and a backlog builds; which target binds first depends on the
 * configuration. So: the roofline (lp_perf_roofline_quiet, microseconds) gives the saturation
 * rate - what the deployment completes at full load - and a geometric bisection over the rate
 * between a nearly idle load and saturation finds the highest rate whose median latencies (x the
 * search's tail factors at p90/p99) meet the targets. At p90/p99 that rate brackets the same
 * search with the simulation (lp_perf_simulate, LP_CAPACITY_SIM_PROMPTS requests, seed 0), which
 * sees the tails: one simulation at the roofline's answer, steps of 30 % up or down to bracket,
 * then bisection to 3 %, a handful of simulations per configuration. Keeping up is always the
 * roofline's judgement, as in the search: a finite simulated run drains its last requests after
 * the arrivals stop, so its completed rate is below the offered one even when it keeps up.
 *
 * It does not rank anything and never reads files. The same configuration given twice (a row
 * of the ranking that is also on the Pareto front) is computed once.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/order.h"
#include "search/search_internal.h"

/* Rates below saturation x this are "nearly idle": a target missed there is missed at any
 * load. */
#define IDLE_FRACTION 1e-4
/* The roofline bisection stops when the bracket is narrower than this ratio (0.2 %). */
#define ROOFLINE_PRECISION 1.002
/* Highest rate reported when every target holds up to saturation: a queue in front of a
 * server at 100 % utilisation grows without bound, so stop just below it. */
#define SATURATION_SHARE 0.99
/* Simulation: bracket steps and the precision of the bisection (3 %), at most this many
 * simulations per configuration. */
#define SIM_STEP_UP 1.3
#define SIM_STEP_DOWN 0.7
#define SIM_PRECISION 1.03
#define SIM_MAX 12
/* Beyond this many configurations in one call, capacities at p90/p99 stay the roofline's (x
 * the tail factors): a simulated capacity costs a handful of simulations each. */
#define SIM_MAX_CONFIGS 64
/* The load an estimate of "full load" offers (req/s): far above any deployment's capacity. */
#define FULL_LOAD_RATE 1e9
#define MAX_THREADS 64

/* One configuration's scratch: the memory plan and estimate are large. */
typedef struct {
    const lp_search_ctx *ctx;
    lp_mem_plan plan;
    lp_step_model sm;
    lp_perf_estimate est;
    int replicas;
} work;

/* The plan and step model of c, as the search prepares them (without EP the plan is per
 * replica). */
static lp_status prepare(work *w, const lp_candidate *c, lp_error *err) {
    const lp_search_ctx *ctx = w->ctx;
    if (!c->gpu)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "capacity: a configuration has no GPU");
    lp_serving s;
    lp_candidate_serving(c, &s);
    if (!c->expert_parallel)
        s.data_parallel_size = 1;
    lp_status st = lp_mem_plan_compute(ctx->model, c->gpu, &s, &w->plan, err);
    if (st != LP_OK)
        return st;
    if (!w->plan.fits)
        return lp_error_set(err, LP_ERR_INFEASIBLE, "capacity: the configuration does not fit");
    lp_cluster cluster;
    lp_cluster_init(&cluster, c->gpu);
    cluster.gpus_per_node = ctx->gpus_per_node;
    cluster.inter_node_link = ctx->spec->inter_node_link;
    cluster.inter_node_link_given = ctx->spec->inter_node_link_given;
    st = lp_step_model_init(ctx->model, &cluster, &w->plan, &w->sm, NULL, err);
    w->replicas = c->dp > 0 ? c->dp : 1;
    return st;
}

/* The workload at a Poisson rate (the search's lengths, prompts and seed). */
static lp_perf_request at_rate(const lp_search_ctx *ctx, double rate) {
    lp_perf_request r = ctx->req;
    r.workload.request_rate = rate;
    r.workload.max_concurrency = 0;
    r.workload.num_prompts = LP_CAPACITY_SIM_PROMPTS;
    r.workload.seed = 0;
    return r;
}

/* The roofline at a rate: the point, and the target it misses (or THROUGHPUT when it falls
 * behind; LP_REJECT_COUNT when it holds). */
static lp_reject_reason roofline_point(work *w, double rate, lp_load_point *p) {
    const lp_search_ctx *ctx = w->ctx;
    lp_perf_request r = at_rate(ctx, rate);
    lp_perf_roofline_quiet(&w->sm, &r, w->replicas, &w->est);
    lp_search_eval e;
    memset(&e, 0, sizeof e);
    lp_search_roofline_latencies(ctx, &w->est, &e);
    memset(p, 0, sizeof *p);
    p->request_rate = rate;
    p->valid = isfinite(e.ttft_ms) && w->est.request_s > 0;
    p->keeps_up = w->est.request_s >= rate * (1 - 1e-9);
    p->ttft_ms = e.ttft_ms;
    p->tpot_ms = e.tpot_ms;
    p->itl_ms = e.itl_ms;
    p->e2e_ms = e.e2e_ms;
    p->output_tok_s = w->est.output_tok_s;
    p->request_s = w->est.request_s;
    if (!p->keeps_up)
        return LP_REJECT_THROUGHPUT;
    return lp_search_check_latency(ctx, &e);
}

/* The simulation at a rate: latencies at the percentile; keeping up as the roofline says. */
static lp_reject_reason simulated_point(work *w, double rate, lp_load_point *p, bool *failed) {
    const lp_search_ctx *ctx = w->ctx;
    lp_load_point roof;
    lp_reject_reason behind = roofline_point(w, rate, &roof);
    lp_perf_request r = at_rate(ctx, rate);
    *failed = lp_perf_simulate(&w->sm, &r, w->replicas, &w->est, NULL) != LP_OK;
    if (*failed) {
        *p = roof;
        return behind;
    }
    const lp_perf_estimate *s = &w->est;
    const int pct = ctx->percentile;
    lp_search_eval e;
    memset(&e, 0, sizeof e);
    e.ttft_ms = pct == 99 ? s->ttft_ms.p99 : pct == 90 ? s->ttft_ms.p90 : s->ttft_ms.median;
    e.tpot_ms = pct == 99 ? s->tpot_ms.p99 : pct == 90 ? s->tpot_ms.p90 : s->tpot_ms.median;
    e.itl_ms = pct == 99 ? s->itl_ms.p99 : pct == 90 ? s->itl_ms.p90 : s->itl_ms.median;
    e.e2e_ms = pct == 99 ? s->e2el_ms.p99 : pct == 90 ? s->e2el_ms.p90 : s->e2el_ms.median;
    memset(p, 0, sizeof *p);
    p->request_rate = rate;
    p->valid = true;
    p->keeps_up = roof.keeps_up;
    p->ttft_ms = e.ttft_ms;
    p->tpot_ms = e.tpot_ms;
    p->itl_ms = e.itl_ms;
    p->e2e_ms = e.e2e_ms;
    p->output_tok_s = s->output_tok_s;
    p->request_s = s->request_s;
    p->simulated = true;
    if (!roof.keeps_up)
        return LP_REJECT_THROUGHPUT;
    return lp_search_check_latency(ctx, &e);
}

/* The roofline capacity: saturation, then bisection. */
static void roofline_capacity(work *w, lp_candidate *c) {
    lp_load_point p;
    roofline_point(w, FULL_LOAD_RATE, &p);
    const double sat = p.request_s;
    c->saturation_request_rate = sat;
    c->capacity_method = LP_CAPACITY_ROOFLINE;
    if (!(sat > 0)) {
        c->max_request_rate = 0;
        c->capacity_limit = LP_REJECT_THROUGHPUT;
        return;
    }
    double hi = sat * SATURATION_SHARE;
    lp_reject_reason why = roofline_point(w, hi, &p);
    if (why == LP_REJECT_COUNT) {
        c->max_request_rate = hi;
        c->capacity_limit = LP_REJECT_THROUGHPUT;
        return;
    }
    double lo = sat * IDLE_FRACTION;
    lp_reject_reason at_idle = roofline_point(w, lo, &p);
    if (at_idle != LP_REJECT_COUNT) {
        c->max_request_rate = 0;
        c->capacity_limit = at_idle;
        return;
    }
    while (hi / lo > ROOFLINE_PRECISION) {
        double mid = sqrt(lo * hi);
        lp_reject_reason r = roofline_point(w, mid, &p);
        if (r == LP_REJECT_COUNT) {
            lo = mid;
        } else {
            hi = mid;
            why = r;
        }
    }
    c->max_request_rate = lo;
    c->capacity_limit = why;
}

/* Refine a roofline capacity with the simulation (p90/p99). */
static lp_status simulated_capacity(work *w, lp_candidate *c, lp_error *err) {
    const double sat = c->saturation_request_rate;
    if (!(sat > 0))
        return LP_OK;
    const double top = sat * SATURATION_SHARE, floor_rate = sat * IDLE_FRACTION;
    double start = c->max_request_rate > 0 ? c->max_request_rate : sat * 0.01;
    double lo = 0, hi = 0;
    lp_reject_reason why = LP_REJECT_THROUGHPUT;
    lp_load_point p;
    int sims = 0;
    bool failed = false;
    lp_status st;
#define SIM_AT(rate, reason)                                                                       \
    do {                                                                                           \
        if ((st = lp_budget_check("capacity", err)) != LP_OK)                                      \
            return st;                                                                             \
        (reason) = simulated_point(w, (rate), &p, &failed);                                        \
        sims++;                                                                                    \
        if (failed)                                                                                \
            return LP_OK; /* the roofline's answer stays */                                        \
    } while (0)
    lp_reject_reason r;
    SIM_AT(start, r);
    if (r == LP_REJECT_COUNT) {
        lo = start;
        for (double x = start * SIM_STEP_UP; sims < SIM_MAX; x *= SIM_STEP_UP) {
            if (x >= top) {
                SIM_AT(top, r);
                if (r == LP_REJECT_COUNT) {
                    c->max_request_rate = top;
                    c->capacity_limit = LP_REJECT_THROUGHPUT;
                    c->capacity_method = LP_CAPACITY_SIMULATED;
                    return LP_OK;
                }
                hi = top;
                why = r;
                break;
            }
            SIM_AT(x, r);
            if (r != LP_REJECT_COUNT) {
                hi = x;
                why = r;
                break;
            }
            lo = x;
        }
    } else {
        hi = start;
        why = r;
        for (double x = start * SIM_STEP_DOWN; sims < SIM_MAX; x *= SIM_STEP_DOWN) {
            if (x <= floor_rate) {
                c->max_request_rate = 0;
                c->capacity_limit = why;
                c->capacity_method = LP_CAPACITY_SIMULATED;
                return LP_OK;
            }
            SIM_AT(x, r);
            if (r == LP_REJECT_COUNT) {
                lo = x;
                break;
            }
            hi = x;
            why = r;
        }
    }
    if (lo > 0 && hi > 0) {
        while (hi / lo > SIM_PRECISION && sims < SIM_MAX) {
            double mid = sqrt(lo * hi);
            SIM_AT(mid, r);
            if (r == LP_REJECT_COUNT) {
                lo = mid;
            } else {
                hi = mid;
                why = r;
            }
        }
    }
#undef SIM_AT
    c->max_request_rate = lo; /* 0 when the steps ran out before a rate held */
    c->capacity_limit = why;
    c->capacity_method = LP_CAPACITY_SIMULATED;
    return LP_OK;
}

/* The clients the deployment holds at its capacity, by Little's law: requests in the system =
 * arrival rate x mean time in it (E2E, queueing included), at the capacity rate on the
 * roofline. A closed loop of that many clients (each sends its next request when the last
 * one ends) offers the same mean load, with less burstiness than Poisson arrivals. */
static void clients_at_capacity(work *w, lp_candidate *c) {
    c->max_concurrency = 0;
    if (!(c->max_request_rate > 0))
        return;
    lp_load_point p;
    roofline_point(w, c->max_request_rate, &p);
    if (p.valid && isfinite(w->est.e2el_ms.mean))
        c->max_concurrency = c->max_request_rate * w->est.e2el_ms.mean / 1e3;
}

static lp_status capacity_of(work *w, lp_candidate *c, bool simulate, lp_error *err) {
    lp_status st = prepare(w, c, err);
    if (st != LP_OK)
        return st;
    roofline_capacity(w, c);
    if (simulate && w->ctx->percentile != 50 && (st = simulated_capacity(w, c, err)) != LP_OK)
        return st;
    clients_at_capacity(w, c);
    return LP_OK;
}

/* ---- many configurations over threads ------------------------------------------------------ */

typedef struct {
    const lp_search_ctx *ctx;
    lp_candidate *const *items; /* the distinct configurations */
    size_t n;
    atomic_size_t *next;
    lp_budget *budget;
    work *w;
    lp_status st;
    lp_error err;
} runner;

static void *run_items(void *arg) {
    runner *r = arg;
    lp_budget_enter(r->budget);
    for (;;) {
        size_t k = atomic_fetch_add(r->next, 1);
        if (k >= r->n || r->st != LP_OK)
            break;
        lp_candidate *c = r->items[k];
        lp_error err;
        lp_status st = capacity_of(r->w, c, k < SIM_MAX_CONFIGS, &err);
        if (st == LP_ERR_LIMIT || st == LP_ERR_NOMEM) {
            r->st = st;
            r->err = err;
            break;
        }
        if (st != LP_OK) { /* does not fit or is refused: no capacity */
            c->max_request_rate = 0;
            c->max_concurrency = 0;
            c->saturation_request_rate = 0;
            c->capacity_method = LP_CAPACITY_ROOFLINE;
            c->capacity_limit = LP_REJECT_NO_FIT;
        }
    }
    return NULL;
}

static uint64_t config_hash(const lp_candidate *c) {
    uint64_t h = 1469598103934665603ull;
    const int64_t parts[] = {(int64_t)(uintptr_t)c->gpu,
                             c->num_gpus,
                             c->tp,
                             c->pp,
                             c->dp,
                             c->expert_parallel,
                             c->kv_cache_dtype,
                             c->max_num_seqs,
                             c->max_num_batched_tokens,
                             c->max_model_len};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        h ^= (uint64_t)parts[i];
        h *= 1099511628211ull;
    }
    for (const char *q = c->quantization; *q; q++) {
        h ^= (uint64_t)(unsigned char)*q;
        h *= 1099511628211ull;
    }
    return h;
}

typedef struct {
    uint64_t hash;
    size_t index;
} keyed;

static int keyed_cmp(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    int by_hash = lp_order_u64(x->hash, y->hash);
    return by_hash ? by_hash : lp_order_size(x->index, y->index);
}

lp_status lp_search_capacity(const lp_search_spec *spec, lp_candidate *const *cands, size_t n,
                             lp_error *err) {
    if (!spec || (n > 0 && !cands))
        return lp_error_set(err, LP_ERR_INVALID_ARG, "lp_search_capacity: NULL argument");
    if (n == 0)
        return LP_OK;
    lp_search_ctx ctx;
    lp_status st = lp_search_ctx_resolve(spec, &ctx, err);
    if (st != LP_OK)
        return st;
    /* the distinct configurations, in the order given (the first of equals computes) */
    keyed *keys = malloc(n * sizeof *keys);
    size_t *first = malloc(n * sizeof *first); /* the computing entry of each entry */
    lp_candidate **items = malloc(n * sizeof *items);
    if (!keys || !first || !items) {
        free(keys);
        free(first);
        free(items);
        return lp_error_set(err, LP_ERR_NOMEM, "capacity: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        keys[i].hash = config_hash(cands[i]);
        keys[i].index = i;
        first[i] = i;
    }
    qsort(keys, n, sizeof *keys, keyed_cmp);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && keys[j].hash == keys[i].hash)
            j++;
        for (size_t a = i; a < j; a++)
            for (size_t b = i; b < a && first[keys[a].index] == keys[a].index; b++)
                if (first[keys[b].index] == keys[b].index &&
                    lp_candidate_same(cands[keys[a].index], cands[keys[b].index]))
                    first[keys[a].index] = keys[b].index; /* b < a in index order */
        i = j;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (first[i] == i)
            items[m++] = cands[i];

    long t = spec->threads > 0 ? spec->threads : sysconf(_SC_NPROCESSORS_ONLN);
    if (t < 1)
        t = 1;
    if (t > MAX_THREADS)
        t = MAX_THREADS;
    t = lp_budget_threads((int)t);
    if ((size_t)t > m)
        t = (long)m;
    runner *rs = calloc((size_t)t, sizeof *rs);
    work *ws = calloc((size_t)t, sizeof *ws);
    if (!rs || !ws) {
        free(rs);
        free(ws);
        free(keys);
        free(first);
        free(items);
        return lp_error_set(err, LP_ERR_NOMEM, "capacity: out of memory");
    }
    atomic_size_t next = 0;
    for (long k = 0; k < t; k++) {
        ws[k].ctx = &ctx;
        rs[k] = (runner){&ctx, items, m, &next, lp_budget_current(), &ws[k], LP_OK, {0}};
    }
    pthread_t tids[MAX_THREADS];
    bool started[MAX_THREADS] = {false};
    for (long k = 1; k < t; k++)
        started[k] = pthread_create(&tids[k], NULL, run_items, &rs[k]) == 0;
    run_items(&rs[0]);
    for (long k = 1; k < t; k++)
        if (started[k])
            pthread_join(tids[k], NULL);
    st = LP_OK;
    for (long k = 0; k < t && st == LP_OK; k++)
        if (rs[k].st != LP_OK) {
            st = rs[k].st;
            if (err)
                *err = rs[k].err;
        }
    for (size_t i = 0; i < n && st == LP_OK; i++) {
        if (first[i] == i)
            continue;
        lp_candidate *dst = cands[i];
        const lp_candidate *src = cands[first[i]];
        dst->max_request_rate = src->max_request_rate;
        dst->max_concurrency = src->max_concurrency;
        dst->saturation_request_rate = src->saturation_request_rate;
        dst->capacity_method = src->capacity_method;
        dst->capacity_limit = src->capacity_limit;
    }
    free(rs);
    free(ws);
    free(keys);
    free(first);
    free(items);
    return st;
}

lp_status lp_search_load_curve(const lp_search_spec *spec, const lp_candidate *c,
                               const double *rates, size_t n, lp_load_point *out, lp_error *err) {
    if (!spec || !c || (n > 0 && (!rates || !out)))
        return lp_error_set(err, LP_ERR_INVALID_ARG, "lp_search_load_curve: NULL argument");
    lp_search_ctx ctx;
    lp_status st = lp_search_ctx_resolve(spec, &ctx, err);
    if (st != LP_OK)
        return st;
    work *w = calloc(1, sizeof *w);
    if (!w)
        return lp_error_set(err, LP_ERR_NOMEM, "load curve: out of memory");
    w->ctx = &ctx;
    st = prepare(w, c, err);
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].request_rate = rates[i];
        if (st != LP_OK || !(rates[i] > 0))
            continue;
        lp_status b = lp_budget_check("load curve", err);
        if (b != LP_OK) {
            free(w);
            return b;
        }
        bool failed = false;
        if (ctx.percentile != 50)
            simulated_point(w, rates[i], &out[i], &failed);
        else
            roofline_point(w, rates[i], &out[i]);
    }
    free(w);
    return st == LP_OK || st == LP_ERR_INFEASIBLE || st == LP_ERR_INVALID_ARG ? LP_OK : st;
}
