/*
 * disagg_sim.c - the simulate method for disaggregated prefill/decode: both pools and the KV
 * transfer, event by event, with the statistics of `vllm bench serve`.
 *
 * Requests are drawn and sent as `vllm bench serve` sends them (all at once, Poisson at the
 * rate, or a closed loop of --max-concurrency clients) and routed round-robin over the x
 * prefill and y decode instances, as vLLM's P/D proxies do. Each request's way:
 *  - the prefill instance's API server (ingress), then its queue: a prefill instance serves only
 *    one-token requests, so its scheduler fills each step with waiting prompts first-come
 *    first-served up to max_num_batched_tokens (a prompt may be chunked over steps); the step
 *    costs lp_step_eval of that batch on the prefill pool's step model;
 *  - the prefill server's answer (egress), the proxy's request to the decode server (ingress),
 *    then the KV pull: the transfer time of lp_disagg_kv_transfer for its prompt, one transfer
 *    at a time over each prefill instance's link (its NIC sends them in turn);
 *  - the decode instance: admitted first-come first-served while fewer than max_num_seqs run
 *    and its KV cache holds the request's whole prompt + output (reserved at admission: no
 *    preemption is simulated), then one decode step after another (lp_step_eval of the running
 *    requests, decodes only); the first step yields its first token (vLLM recomputes the
 *    prompt's last token there), each step a token (speculative decoding: the expected
 *    yield), and the client sees each after the API server's egress.
 * Deliberately simple: no prefix caching across requests, no preemption, no KV limit on the
 * prefill instances (they free a request's blocks once it is pulled), sends not serialized by
 * the API server's event loop; all said in the assumptions.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "perf/perf_internal.h"
#include "perf/sim_stats.h"

#define LP_DSIM_MAX_PROMPTS 1000000

typedef struct {
    int32_t in, out;
    double send, done_tokens, generated;
    double first_s; /* when the client saw the first token (-1: not yet) */
    int prefill, decode;
} dreq;

/* A min-heap of (time, request) for the transfers in flight. */
typedef struct {
    double *t;
    int *id;
    int n;
} theap;

static void heap_push(theap *h, double t, int id) {
    int i = h->n++;
    while (i > 0) {
        int p = (i - 1) / 2;
        if (h->t[p] <= t)
            break;
        h->t[i] = h->t[p];
        h->id[i] = h->id[p];
        i = p;
    }
    h->t[i] = t;
    h->id[i] = id;
}

static int heap_pop(theap *h) {
    int top = h->id[0];
    double t = h->t[--h->n];
    int id = h->id[h->n], i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->t[c + 1] < h->t[c])
            c++;
        if (h->t[c] >= t)
            break;
        h->t[i] = h->t[c];
        h->id[i] = h->id[c];
        i = c;
    }
    h->t[i] = t;
    h->id[i] = id;
    return top;
}

/* One instance: a FIFO of waiting requests (ids, head..tail), the running ones (decode) and the
 * end of the step in progress (busy false: idle). */
typedef struct {
    int *queue;
    int head, tail;
    int *running;
    int n_running;
    double kv_used; /* tokens reserved (decode) */
    bool busy;
    double step_end, step_s;
    int step_last; /* prefill: queue index of the step's last request */
    double link_free;
} inst;

typedef struct {
    const lp_step_model *p, *d;
    const lp_kv_transfer *xfer;
    double per_token_s; /* transfer seconds per prompt token beyond the latency */
    lp_sim_frontend fe;
    int x, y, n;
    dreq *reqs;
    inst *pi, *di;
    theap heap;
    lp_sim_stat ttft, tpot, itl, e2e;
    double busy_seqs_s, busy_s; /* decode: running x time, time stepping */
    double first_send, last_done;
    long out_tokens, in_tokens;
} dsim;

static double transfer_s(const dsim *S, const dreq *q) {
    return S->xfer->link.latency_s + q->in * S->per_token_s;
}

/* Start a prefill step on instance k at t, if it is idle and has work. */
static void prefill_start(dsim *S, int k, double t) {
    inst *I = &S->pi[k];
    if (I->busy || I->head == I->tail)
        return;
    double budget = (double)S->p->max_num_batched_tokens, tokens = 0, ctx = 0, seqs = 0;
    int j = I->head;
    for (; j < I->tail && budget > 0; j++) {
        dreq *q = &S->reqs[I->queue[j]];
        double chunk = fmin(q->in - q->done_tokens, budget);
        tokens += chunk;
        ctx += chunk * (q->done_tokens + chunk / 2.0);
        budget -= chunk;
        if (q->done_tokens + chunk >= q->in)
            seqs++;
    }
    lp_step_batch b = {0, 0, tokens, ctx, seqs};
    lp_step_time st;
    lp_step_eval(S->p, &b, &st);
    I->busy = true;
    I->step_s = st.total_s;
    I->step_end = t + st.total_s;
    I->step_last = j;
}

/* The prefill step of instance k ends: chunks are done, finished prompts go to the transfer. */
static void prefill_end(dsim *S, int k) {
    inst *I = &S->pi[k];
    double t = I->step_end, budget = (double)S->p->max_num_batched_tokens;
    I->busy = false;
    for (int j = I->head; j < I->step_last; j++) {
        int id = I->queue[j];
        dreq *q = &S->reqs[id];
        double chunk = fmin(q->in - q->done_tokens, budget);
        budget -= chunk;
        q->done_tokens += chunk;
        if (q->done_tokens < q->in)
            break;
        I->head = j + 1;
        /* answer to the proxy, the proxy's request to the decode server, then the pull over
         * this instance's link, one transfer at a time */
        double start = fmax(t + S->fe.api_egress_s + S->fe.api_ingress_s, I->link_free);
        I->link_free = start + transfer_s(S, q);
        heap_push(&S->heap, I->link_free, id);
    }
    prefill_start(S, k, t);
}

/* Start a decode step on instance k at t: admit what fits, then step the running requests. */
static void decode_start(dsim *S, int k, double t) {
    inst *I = &S->di[k];
    if (I->busy)
        return;
    const double cap = S->d->kv_capacity_tokens;
    while (I->head < I->tail && I->n_running < S->d->max_num_seqs) {
        dreq *q = &S->reqs[I->queue[I->head]];
        if (I->n_running > 0 && I->kv_used + q->in + q->out > cap)
            break;
        I->kv_used += q->in + q->out;
        I->running[I->n_running++] = I->queue[I->head++];
    }
    if (I->n_running == 0)
        return;
    double ctx = 0;
    for (int i = 0; i < I->n_running; i++)
        ctx += S->reqs[I->running[i]].in + S->reqs[I->running[i]].generated;
    lp_step_batch b = {(double)I->n_running, ctx, 0, 0, 0};
    lp_step_time st;
    lp_step_eval(S->d, &b, &st);
    I->busy = true;
    I->step_s = st.total_s;
    I->step_end = t + st.total_s;
    S->busy_seqs_s += I->n_running * st.total_s;
    S->busy_s += st.total_s;
}

/* Returns the number of requests that finished (their clients may send again). */
static lp_status decode_end(dsim *S, int k, int *finished) {
    inst *I = &S->di[k];
    double t = I->step_end, seen = t + S->fe.api_egress_s;
    double yield = lp_spec_yield(S->d, I->n_running);
    I->busy = false;
    *finished = 0;
    lp_status st = LP_OK;
    int kept = 0;
    for (int i = 0; i < I->n_running; i++) {
        int id = I->running[i];
        dreq *q = &S->reqs[id];
        bool first = q->generated == 0;
        q->generated += first ? 1.0 : yield;
        if (first) {
            q->first_s = seen;
            st |= lp_sim_stat_add(&S->ttft, 1e3 * (seen - q->send), 1);
        } else {
            st |= lp_sim_stat_add(&S->itl, 1e3 * I->step_s, 1);
        }
        if (q->generated + 1e-9 < q->out) {
            I->running[kept++] = id;
            continue;
        }
        I->kv_used -= q->in + q->out;
        st |= lp_sim_stat_add(&S->e2e, 1e3 * (seen - q->send), 1);
        if (q->out > 1)
            st |= lp_sim_stat_add(&S->tpot, 1e3 * (seen - q->first_s) / (q->out - 1), 1);
        S->last_done = fmax(S->last_done, seen);
        (*finished)++;
    }
    I->n_running = kept;
    return st == LP_OK ? LP_OK : LP_ERR_NOMEM;
}

static lp_stat summary(lp_sim_stat *s) {
    lp_stat r = {lp_sim_stat_mean(s), lp_sim_stat_quantile(s, 0.5), lp_sim_stat_quantile(s, 0.9),
                 lp_sim_stat_quantile(s, 0.99)};
    return r;
}

static void dsim_free(dsim *S) {
    free(S->reqs);
    if (S->pi)
        for (int k = 0; k < S->x; k++)
            free(S->pi[k].queue);
    if (S->di)
        for (int k = 0; k < S->y; k++) {
            free(S->di[k].queue);
            free(S->di[k].running);
        }
    free(S->pi);
    free(S->di);
    free(S->heap.t);
    free(S->heap.id);
    lp_sim_stat_free(&S->ttft);
    lp_sim_stat_free(&S->tpot);
    lp_sim_stat_free(&S->itl);
    lp_sim_stat_free(&S->e2e);
}

static lp_status dsim_alloc(dsim *S, lp_error *err) {
    S->reqs = calloc((size_t)S->n, sizeof *S->reqs);
    S->pi = calloc((size_t)S->x, sizeof *S->pi);
    S->di = calloc((size_t)S->y, sizeof *S->di);
    S->heap.t = malloc((size_t)S->n * sizeof *S->heap.t);
    S->heap.id = malloc((size_t)S->n * sizeof *S->heap.id);
    bool ok = S->reqs && S->pi && S->di && S->heap.t && S->heap.id;
    for (int k = 0; ok && k < S->x; k++)
        ok = (S->pi[k].queue = malloc((size_t)S->n * sizeof(int))) != NULL;
    for (int k = 0; ok && k < S->y; k++)
        ok = (S->di[k].queue = malloc((size_t)S->n * sizeof(int))) != NULL &&
             (S->di[k].running = malloc((size_t)S->n * sizeof(int))) != NULL;
    return ok ? LP_OK : lp_error_set(err, LP_ERR_NOMEM, "simulate: out of memory");
}

/* Draw the requests and their scheduled send times (closed loop: released by completions). */
static lp_status draw(dsim *S, const lp_perf_request *req, double *sched, lp_error *err) {
    lp_rng rng;
    lp_rng_seed(&rng, req->workload.seed);
    lp_len_pair_sampler pairs;
    lp_status st = lp_len_pair_init(&pairs, &req->workload.input, &req->workload.output, err);
    double t = 0, rate = req->workload.request_rate;
    double shape = req->workload.burstiness > 0 ? req->workload.burstiness : 1.0;
    for (int i = 0; st == LP_OK && i < S->n; i++) {
        int64_t in, out;
        if ((st = lp_len_pair_sample(&pairs, &rng, &in, &out, err)) != LP_OK)
            break;
        if (S->d->max_model_len > 0 && in + out > S->d->max_model_len)
            return lp_error_set(err, LP_ERR_INFEASIBLE,
                                "simulate: request %d has %lld prompt + %lld output tokens, more "
                                "than max-model-len %lld; shorten the lengths or raise "
                                "--max-model-len",
                                i + 1, (long long)in, (long long)out,
                                (long long)S->d->max_model_len);
        if (in + out > S->d->kv_capacity_tokens)
            return lp_error_set(err, LP_ERR_INFEASIBLE,
                                "simulate: request %d needs %lld tokens of KV cache but one decode "
                                "instance holds only %.0f",
                                i + 1, (long long)(in + out), S->d->kv_capacity_tokens);
        dreq *q = &S->reqs[i];
        q->in = (int32_t)in;
        q->out = (int32_t)(out > 0 ? out : 1);
        q->first_s = -1;
        q->prefill = i % S->x;
        q->decode = i % S->y;
        S->in_tokens += in;
        S->out_tokens += q->out;
        if (rate > 0)
            t += lp_rng_gamma(&rng, shape, 1.0 / (rate * shape));
        sched[i] = t;
    }
    return st;
}

/* Send request i at t: it reaches its prefill instance after the API server's ingress. */
static void send_at(dsim *S, int i, double t) {
    dreq *q = &S->reqs[i];
    q->send = t;
    inst *I = &S->pi[q->prefill];
    I->queue[I->tail++] = i;
}

lp_status lp_perf_disagg_simulate(const lp_step_model *prefill, const lp_step_model *decode,
                                  const lp_kv_transfer *xfer, int x, int y,
                                  const lp_perf_request *req, lp_perf_estimate *out,
                                  lp_error *err) {
    dsim S;
    memset(&S, 0, sizeof S);
    S.p = prefill;
    S.d = decode;
    S.xfer = xfer;
    S.x = x;
    S.y = y;
    S.n = req->workload.num_prompts > 0 ? req->workload.num_prompts : 1;
    if (S.n > LP_DSIM_MAX_PROMPTS)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "simulate: at most %d prompts",
                            LP_DSIM_MAX_PROMPTS);
    double bw = xfer->link.bandwidth * xfer->streams;
    double in_mean = lp_len_mean(&req->workload.input);
    S.per_token_s = bw > 0 && in_mean > 0 ? xfer->bytes / in_mean / bw : 0;
    lp_sim_frontend_default(&S.fe);
    lp_sim_stat_init(&S.ttft);
    lp_sim_stat_init(&S.tpot);
    lp_sim_stat_init(&S.itl);
    lp_sim_stat_init(&S.e2e);
    double *sched = malloc((size_t)S.n * sizeof *sched);
    lp_status st = sched ? dsim_alloc(&S, err) : lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    if (st == LP_OK)
        st = draw(&S, req, sched, err);
    int clients = req->workload.max_concurrency > 0 ? req->workload.max_concurrency : S.n;
    int next = 0, in_flight = 0, finished_all = 0;
    double now = 0;
    /* ingress: the request joins its prefill queue api_ingress_s after it is sent */
    double ingress = S.fe.api_ingress_s;
    while (st == LP_OK && finished_all < S.n) {
        /* the earliest event: a send, a prefill or decode step end, a transfer arriving */
        double t_send = next < S.n && in_flight < clients ? fmax(sched[next], now) : INFINITY;
        double t_best = t_send + ingress;
        int kind = 0, who = -1;
        for (int k = 0; k < S.x; k++)
            if (S.pi[k].busy && S.pi[k].step_end < t_best) {
                t_best = S.pi[k].step_end;
                kind = 1;
                who = k;
            }
        for (int k = 0; k < S.y; k++)
            if (S.di[k].busy && S.di[k].step_end < t_best) {
                t_best = S.di[k].step_end;
                kind = 2;
                who = k;
            }
        if (S.heap.n > 0 && S.heap.t[0] < t_best) {
            t_best = S.heap.t[0];
            kind = 3;
        }
        if (!isfinite(t_best)) {
            st = lp_error_set(err, LP_ERR_INVALID_ARG, "simulate: the pair stalled");
            break;
        }
        now = t_best;
        if (kind == 0) {
            if (next == 0)
                S.first_send = t_send;
            send_at(&S, next, t_send);
            in_flight++;
            prefill_start(&S, S.reqs[next].prefill, now);
            next++;
        } else if (kind == 1) {
            prefill_end(&S, who);
        } else if (kind == 3) {
            int id = heap_pop(&S.heap);
            inst *D = &S.di[S.reqs[id].decode];
            D->queue[D->tail++] = id;
            decode_start(&S, S.reqs[id].decode, now);
        } else {
            int done = 0;
            st = decode_end(&S, who, &done);
            in_flight -= done;
            finished_all += done;
            decode_start(&S, who, now);
        }
        if (st != LP_OK)
            lp_error_set(err, st, "simulate: out of memory");
    }
    free(sched);
    if (st != LP_OK) {
        dsim_free(&S);
        return st;
    }
    double duration = fmax(S.last_done - S.first_send, 1e-9);
    out->ttft_ms = summary(&S.ttft);
    out->tpot_ms = summary(&S.tpot);
    out->itl_ms = summary(&S.itl);
    out->e2el_ms = summary(&S.e2e);
    out->request_s = S.n / duration;
    out->output_tok_s = S.out_tokens / duration;
    out->total_tok_s = (S.in_tokens + S.out_tokens) / duration;
    out->mean_batch = S.busy_s > 0 ? S.busy_seqs_s / S.busy_s : 0;
    out->decode_tok_s = out->output_tok_s / y;
    out->completed = S.n;
    out->duration_s = duration;
    out->replicas = y;
    dsim_free(&S);
    return LP_OK;
}
