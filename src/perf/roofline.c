/*
 * roofline.c - the roofline method: the workload's steady state solved analytically on the
 * step model (no simulation), fast enough for searches over many configurations.
 *
 * One replica with C running requests (mean prompt I, mean output O). Over one "cycle" of
 * O decode steps, C requests finish and C new ones are prefilled:
 * - with chunked prefill (vLLM V1), a prompt's chunks ride in decode steps: those steps are
 *   heavier (they carry up to max_num_batched_tokens - C prompt tokens) and the other steps
 *   are plain decode steps; when prompts outweigh the cycle, every step carries
 *   C x I / O prompt tokens;
 * - without it (vLLM V0 below 32K context), prefill steps run alone and stall every decode;
 *   V0 multi-step scheduling lets new requests in only every N steps;
 * TPOT (mean) = cycle time / O; the median ITL is the plain decode step when most steps are
 * plain; TTFT = half a step of waiting + the request's own prefill steps + queueing + the API
 * server's time per request (the simulation's, simulate.c).
 * C is the client's --max-concurrency, or Little's law (rate x E2E) for Poisson arrivals, or
 * everything at once, capped by max-num-seqs and the requests of I + O/2 tokens the KV pool
 * admits (lp_step_kv_requests). Requests wait in the queue only when that cap binds.
 * A run repeating its prompts on a warm server prefills only what the prefix cache lacks.
 * A single wave (all requests at once, no more than fit) lasts until its longest request
 * ends: the expected maximum of the output lengths, not the mean.
 * p90/p99 come from the simulation method; here they are NaN.
 */
#include <math.h>

#include "perf/perf_internal.h"

#define LP_LITTLE_ITERATIONS 60
#define LP_PI 3.141592653589793
/* waves of at most this many prompts get their mean TTFT summed prompt by prompt */
#define LP_WAVE_EXACT_MAX 32
/* vLLM V1 (0.8.0) turned prefix caching on by default. */
#define LP_PREFIX_CACHING_DEFAULT LP_VLLM_VERSION(0, 8, 0)
/* A cached prompt recomputes what whole 16-token blocks leave: 1 to 16 tokens, 8.5 on average
 * (and at least one token: get_computed_blocks never hits the whole prompt). */
#define LP_WARM_PREFILL_TOKENS 8.5

typedef struct {
    double t_decode;         /* plain decode step (C requests) */
    double t_prefill;        /* a step carrying one prefill chunk (or a V0 prefill-only step) */
    double steps_per_prompt; /* prefill steps one prompt needs */
    double tpot;             /* mean time between a request's tokens */
    double itl_median;
    double ttft;        /* own prefill + waiting for the step in progress */
    double heavy_share; /* fraction of steps carrying prefill */
    lp_bottleneck decode_bound, prefill_bound;
} steady;

/* The step model and what lp_step_prep_init works out of it, once per estimate. */
typedef struct {
    const lp_step_model *sm;
    lp_step_prep prep;
} stepper;

static void step_eval(const stepper *st, const lp_step_batch *b, lp_step_time *t) {
    lp_step_eval_prep(st->sm, &st->prep, b, 0.0, t);
}

static double eval(const stepper *st, double dec, double ctx, double pre, double pre_ctx,
                   double sampled, lp_bottleneck *bound) {
    lp_step_batch b = {dec, dec * ctx, pre, pre_ctx, sampled};
    lp_step_time t;
    step_eval(st, &b, &t);
    if (bound)
        *bound = t.bound;
    return t.total_s;
}

/* in: prompt tokens (context); pre: the ones prefilled (fewer when a warm prefix cache holds
 * the rest: they are the prompt's last tokens, each attending to about the whole prompt).
 * prompts_per_step: prompts prefilled together when several wait (saturated runs).
 * others: prompts of other requests prefilled while one request decodes its O tokens: with a
 * closed loop of C clients C - 1 (each other client is replaced about once; the request's own
 * prefill comes before its first token, not between its tokens), with Poisson arrivals C
 * (Little's law: rate x lifetime). */
static steady steady_state(const stepper *st, double c, double in, double pre, double out_tokens,
                           double prompts_per_step, double others) {
    const lp_step_model *sm = st->sm;
    steady s;
    const double ctx = in + out_tokens / 2.0;
    const double attended = in - pre / 2.0; /* keys per prefilled query, on average */
    const double budget_total = (double)sm->max_num_batched_tokens;
    /* speculative decoding: a decode step yields `yield` tokens per request (spec.c), so a
     * request's output takes out_tokens / yield steps; TPOT is a step over the yield */
    const double yield = lp_spec_yield(sm, c);
    const double out = out_tokens / yield;
    s.t_decode = eval(st, c, ctx, 0, 0, 0, &s.decode_bound);
    double busy = c > 1 ? c - 1 : 0; /* requests decoding beside a prefill */
    if (sm->chunked_prefill) {
        double budget = lp_fmax(budget_total - busy, 1.0);
        s.steps_per_prompt = ceil(pre / budget);
        double chunk = pre / s.steps_per_prompt;
        double m = lp_fmax(1.0, lp_fmin(prompts_per_step, floor(budget / lp_fmax(chunk, 1.0))));
        double heavy = c * s.steps_per_prompt / m; /* heavy steps per cycle of O steps */
        if (heavy <= out) {
            s.t_prefill = eval(st, busy, ctx, m * chunk, m * chunk * attended, m, &s.prefill_bound);
            double beside = others * s.steps_per_prompt / m; /* during one request's decode */
            s.heavy_share = out > 1 ? lp_fmin(1.0, beside / (out - 1)) : 0;
            s.tpot = s.heavy_share * s.t_prefill + (1 - s.heavy_share) * s.t_decode;
        } else {
            /* prompts outweigh the cycle: every step carries C x I / O prompt tokens */
            double per_step = lp_fmin(c * pre / lp_fmax(out, 1.0), budget);
            s.t_prefill =
                eval(st, c, ctx, per_step, per_step * attended, per_step / pre, &s.prefill_bound);
            s.heavy_share = 1;
            s.tpot = s.t_prefill;
            s.steps_per_prompt = ceil(pre / per_step);
        }
    } else {
        /* V0: prefill-only steps of up to max_num_batched_tokens, decodes wait */
        s.steps_per_prompt = 1;
        double m = lp_fmax(1.0, lp_fmin(prompts_per_step, floor(budget_total / pre)));
        s.t_prefill = eval(st, 0, 0, m * pre, m * pre * attended, m, &s.prefill_bound);
        double stalls = others / m * s.t_prefill; /* during one request's decode */
        s.heavy_share = (others / m) / (out + others / m);
        s.tpot = s.t_decode + (out > 1 ? stalls / (out - 1) : 0);
    }
    s.itl_median = s.heavy_share < 0.5 ? s.t_decode : s.t_prefill;
    s.tpot /= yield;
    /* a new request waits for the step in progress (half a step) when others keep the engine
     * busy, or with V0 multi-step for the rest of the N-step run */
    double wait = lp_ttft_step_wait_s(s.tpot * yield, busy > 0 || others >= 1);
    if (sm->scheduler_steps > 1)
        wait = 0.5 * sm->scheduler_steps * s.t_decode;
    s.ttft = wait + s.steps_per_prompt * s.t_prefill;
    return s;
}

/* Expected largest of n draws (extreme-value approximations). */
static double expected_max(const lp_len_dist *d, double n) {
    if (n <= 1)
        return lp_len_mean(d);
    double z = sqrt(2 * log(n));
    z -= (log(log(n)) + log(4 * LP_PI)) / (2 * z);
    switch (d->kind) {
    case LP_LEN_UNIFORM:
        return d->lo + (d->hi - d->lo) * n / (n + 1);
    case LP_LEN_NORMAL: {
        double v = d->mean + d->stddev * z;
        return d->hi > d->lo && v > d->hi ? d->hi : v;
    }
    case LP_LEN_SHAREGPT: {
        /* the shape dist.c samples, at the normal extreme's probability */
        double v = d->mean;
        lp_len_quantile(d, 0.5 * erfc(-z / sqrt(2.0)), &v);
        return v;
    }
    case LP_LEN_HISTOGRAM: {
        /* the largest value whose upper tail still holds 1/n of the weight */
        double sw = 0;
        for (int i = 0; i < d->n; i++)
            sw += d->weights[i];
        double best = 0;
        for (int i = 0; i < d->n; i++) {
            double tail = 0;
            for (int j = 0; j < d->n; j++)
                if (d->values[j] >= d->values[i])
                    tail += d->weights[j];
            if (tail / sw >= 1.0 / n && d->values[i] > best)
                best = d->values[i];
        }
        return best;
    }
    default:
        return d->mean;
    }
}

static void set_stat(lp_stat *st, double mean_ms, double median_ms) {
    st->mean = mean_ms;
    st->median = median_ms;
    st->p90 = st->p99 = NAN;
}

typedef struct {
    double c, in, out, kv_cap, heavy_share, pre;
    const char *how;
    lp_prefix_state prefix;
} roofline_facts;

/*
 * Prompt tokens a request prefills. A run that repeats the same prompts on a warm server
 * (workload.warm_prefix_cache, vLLM 0.8 and later: prefix caching on) finds each prompt in the
 * pool and computes only the tail a whole block does not cover: 1 to 16 tokens,
 * LP_WARM_PREFILL_TOKENS on average (KVCacheManager.get_computed_blocks). That holds only when
 * the pool held the whole earlier run (its n requests of I + O tokens): the free queue is LRU
 * (BlockPool: freed blocks go to its tail, new ones come from its head), and prompts sent again
 * in the same order evict the earlier run's blocks before they reach them when it did not fit
 * (simulate.c, warm_cache, follows the blocks one by one).
 */
static double prefilled(const lp_step_model *sm, const lp_perf_request *req, double in, double outl,
                        double n) {
    bool caches = sm->vllm_version == 0 || sm->vllm_version >= LP_PREFIX_CACHING_DEFAULT;
    if (!req->workload.warm_prefix_cache || !caches || !(n > 0))
        return in;
    if (lp_step_kv_requests(sm, in + outl) < n)
        return in;
    return lp_fmin(in, LP_WARM_PREFILL_TOKENS);
}

static void solve(const lp_step_model *sm, const lp_perf_request *req, int replicas,
                  lp_perf_estimate *out, roofline_facts *facts) {
    stepper st = {sm, {0}};
    lp_step_prep_init(sm, &st.prep);
    if (replicas < 1)
        replicas = 1;
    const double in = lp_len_mean(&req->workload.input), outl = lp_len_mean(&req->workload.output);
    const double n = (double)req->workload.num_prompts / replicas;

    /* requests the KV pool admits at the mean occupancy (hybrid and sliding-window models: as
     * vLLM's block pool counts their groups, lp_step_kv_requests) */
    /* prefix caching of shared prefixes (prefix.c): the running requests are taken at the
     * most the load allows for the cache's room; a hit shortens the prefill and the KV a
     * request holds alone */
    lp_prefix_state px;
    double running = lp_fmin((double)sm->max_num_seqs, lp_fmax(n, 1.0));
    if (req->workload.max_concurrency > 0)
        running = lp_fmin(running, (double)req->workload.max_concurrency / replicas);
    lp_prefix_hits(sm, req, running, &px);
    double kv_cap = lp_step_kv_requests(sm, in - px.hit_tokens + outl / 2.0);
    const double pre = lp_fmin(prefilled(sm, req, in, outl, n), in - px.hit_tokens);
    const double api_s = lp_ttft_api_s();
    double cap = lp_fmax(1.0, lp_fmin((double)sm->max_num_seqs, kv_cap));
    out->max_concurrent_requests = cap;
    const bool all_at_once = req->workload.max_concurrency <= 0 && req->workload.request_rate <= 0;
    const char *how;
    double c, wait_s = 0;
    bool queueing = false, overloaded = false;
    steady s;

    if (req->workload.max_concurrency > 0) {
        how = "client concurrency";
        double clients = (double)req->workload.max_concurrency / replicas;
        c = lp_fmin(lp_fmin(clients, cap), n);
        s = steady_state(&st, c, in, pre, outl, 1, lp_fmax(c - 1, 0));
        if (clients > cap) {
            queueing = true;
            wait_s = lp_queue_wait_closed_s(clients, cap, s.ttft + (outl - 1) * s.tpot);
        }
    } else if (req->workload.request_rate > 0) {
        how = "Little's law at the request rate";
        double lambda = req->workload.request_rate / replicas;
        /* a finite run never holds more requests than it sends */
        double cap_rate = lp_fmin(cap, lp_fmax(n, 1.0));
        c = 1;
        bool converged = false; /* then s is already the steady state at c */
        for (int i = 0; i < LP_LITTLE_ITERATIONS; i++) {
            s = steady_state(&st, c, in, pre, outl, 1, c);
            double next = lp_fmin(lp_fmax(lambda * (s.ttft + (outl - 1) * s.tpot), 1e-3), cap_rate);
            if (fabs(next - c) < 1e-4 * c) {
                converged = true;
                break;
            }
            /* plain iteration converges in a few steps (E2E depends weakly on C); damp it
             * after that in case it oscillates */
            c = i < 8 ? next : 0.5 * (c + next);
        }
        if (!converged) /* steady_state is a pure function: no need to solve c twice */
            s = steady_state(&st, c, in, pre, outl, 1, c);
        double capacity_rps = c / (s.ttft + (outl - 1) * s.tpot);
        /* c follows lambda x E2E until a cap binds; only then can the rate outrun it */
        overloaded = c >= cap_rate * 0.999 && lambda > capacity_rps;
        /* prompts per second the token budget prefills (Scheduler.schedule: at most
         * max_num_batched_tokens per step, first come first served) */
        double prefill_rps =
            (double)sm->max_num_batched_tokens / (lp_fmax(s.t_prefill, 1e-9) * pre);
        if (overloaded && c >= cap * 0.999) {
            /* the engine is full (max-num-seqs or the KV cache): a backlog builds in the
             * waiting queue over the run; the mean request waits for half of it */
            queueing = true;
            wait_s = lp_queue_wait_backlog_s(n, capacity_rps, lambda);
        } else if (overloaded && lambda > prefill_rps) {
            /* the run sends fewer requests than the engine holds, so all of them run and
             * slow each other's tokens; their first tokens wait only when the prompts come
             * faster than the token budget prefills them */
            queueing = true;
            wait_s = lp_queue_wait_backlog_s(n, prefill_rps, lambda);
        }
    } else {
        how = "all requests at once";
        c = lp_fmin(cap, n);
        s = steady_state(&st, c, in, pre, outl, c, lp_fmax(c - 1, 0));
    }

    double e2e_service = s.ttft + (outl - 1) * s.tpot;
    double ttft_s = s.ttft + wait_s, tpot_s = s.tpot, itl_med = s.itl_median, req_s_replica;
    if (all_at_once && n <= cap) {
        /* one wave: all prompts prefill first (in chunks of the token budget), then the batch
         * decodes until its longest request ends */
        double budget = (double)sm->max_num_batched_tokens;
        double prefill_steps = ceil(n * pre / budget);
        double t_pf = 0;
        {
            lp_step_batch b = {0, 0, lp_fmin(n * pre, budget),
                               lp_fmin(n * pre, budget) * (in - pre / 2.0),
                               lp_fmin(n, budget / pre)};
            lp_step_time t;
            step_eval(&st, &b, &t);
            t_pf = t.total_s;
        }
        double longest = expected_max(&req->workload.output, n);
        double mean_batch = n * outl / lp_fmax(longest, 1.0);
        lp_step_batch db = {mean_batch, mean_batch * (in + outl / 2.0), 0, 0, 0};
        lp_step_time dt;
        step_eval(&st, &db, &dt);
        /* the i-th prompt's first token comes with prefill step ceil(i x I / budget) */
        if (n <= LP_WAVE_EXACT_MAX) {
            double steps_sum = 0;
            for (double i = 1; i <= n; i++)
                steps_sum += ceil(i * pre / budget);
            ttft_s = steps_sum / n * t_pf;
        } else {
            /* mean of ceil(i x I / budget): the mean of i x I / budget plus half a step */
            ttft_s = (0.5 * (n + 1) * pre / budget + 0.5) * t_pf;
        }
        const double yield = lp_spec_yield(sm, mean_batch);
        itl_med = dt.total_s;
        tpot_s = dt.total_s / yield;
        double duration = prefill_steps * t_pf + (longest - 1) / yield * dt.total_s;
        req_s_replica = n / duration;
        c = mean_batch;
        e2e_service = ttft_s + (outl - 1) * tpot_s;
        wait_s = 0;
    } else if (all_at_once) {
        /* waves of C: the mean request waits (n/C - 1)/2 service times */
        wait_s = lp_queue_wait_waves_s(n, c, e2e_service);
        queueing = true;
        ttft_s = s.ttft + wait_s;
        req_s_replica = c / e2e_service;
    } else if (req->workload.request_rate > 0 && !overloaded) {
        req_s_replica = req->workload.request_rate / replicas;
    } else {
        /* a closed loop's client also waits for the API server on both sides of the engine */
        req_s_replica = c / (e2e_service + (req->workload.max_concurrency > 0 ? api_s : 0.0));
    }
    /* the API server's time before and after the engine (simulate.c, fitted there) */
    ttft_s += api_s;
    double e2e_s = ttft_s + (outl - 1) * tpot_s;

    set_stat(&out->ttft_ms, 1e3 * ttft_s, 1e3 * ttft_s);
    set_stat(&out->tpot_ms, 1e3 * tpot_s, 1e3 * tpot_s);
    set_stat(&out->itl_ms, 1e3 * tpot_s, 1e3 * itl_med);
    set_stat(&out->e2el_ms, 1e3 * e2e_s, 1e3 * e2e_s);
    out->request_s = req_s_replica * replicas;
    out->output_tok_s = out->request_s * outl;
    out->total_tok_s = out->request_s * (in + outl);
    out->decode_tok_s = c * lp_spec_yield(sm, c) / s.t_decode;
    out->mean_batch = c;
    out->replicas = replicas;

    /* full-load prefill throughput of one replica */
    double budget = (double)sm->max_num_batched_tokens;
    lp_step_batch pb = {0, 0, budget, budget * lp_fmin(in, budget) / 2.0, budget / in};
    lp_step_time pt;
    step_eval(&st, &pb, &pt);
    out->prefill_tok_s = budget / pt.total_s;
    out->prefill_bound = queueing ? LP_BOUND_QUEUEING : pt.bound;
    out->decode_bound =
        kv_cap < sm->max_num_seqs && c >= cap * 0.999 ? LP_BOUND_KV_CAPACITY : s.decode_bound;

    out->completed = req->workload.num_prompts;
    out->duration_s = out->request_s > 0 ? req->workload.num_prompts / out->request_s : 0;
    facts->c = c;
    facts->in = in;
    facts->out = outl;
    facts->kv_cap = kv_cap;
    facts->pre = pre;
    facts->heavy_share = s.heavy_share;
    facts->how = how;
    facts->prefix = px;
    out->modes.prefix_cache_hit_rate = px.hit_rate;
    facts->prefix = px;
    out->modes.prefix_cache_hit_rate = px.hit_rate;
}

void lp_perf_roofline_quiet(const lp_step_model *sm, const lp_perf_request *req, int replicas,
                            lp_perf_estimate *out) {
    roofline_facts f;
    solve(sm, req, replicas, out, &f);
}

void lp_perf_roofline(const lp_step_model *sm, const lp_perf_request *req, int replicas,
                      lp_perf_estimate *out) {
    roofline_facts f;
    solve(sm, req, replicas, out, &f);
    double c = f.c, in = f.in, outl = f.out, kv_cap = f.kv_cap;
    const char *how = f.how;
    if (replicas < 1)
        replicas = 1;
    lp_perf_assume(out,
                   "steady state: %.1f running requests per replica (%s), mean context %.0f "
                   "tokens; %.1f %% of steps carry prefill (%s)",
                   c, how, in + outl / 2.0, 100 * f.heavy_share,
                   sm->chunked_prefill ? "chunked prefill" : "prefill steps stall decodes (V0)");
    lp_perf_assume(out,
                   "KV cache holds %.0f tokens per replica: at most %.1f requests of %.0f "
                   "tokens%s; max-num-seqs %d",
                   sm->kv_capacity_tokens, kv_cap, in + outl / 2.0,
                   sm->kv_shape_n > 0 ? " (as vLLM counts each KV-cache group's blocks)" : "",
                   sm->max_num_seqs);
    if (req->workload.warm_prefix_cache)
        lp_perf_assume(out,
                       "the same prompts ran before on this server: %.0f of %.0f prompt tokens "
                       "prefilled per request (the rest found in the prefix cache, as far as "
                       "the pool holds the earlier run)",
                       f.pre, in);
    if (f.prefix.cached_tokens > 0)
        lp_perf_assume(out,
                       "prefix caching: %.0f of %.0f prompt tokens per request from the cache "
                       "(hit rate %.1f %%: %.0f prefix tokens in full blocks, %.1f %% of "
                       "prefixes kept in the KV cache, %.1f %% first uses miss)",
                       f.prefix.hit_tokens, f.in, 100 * f.prefix.hit_rate, f.prefix.cached_tokens,
                       100 * f.prefix.kept, 100 * f.prefix.cold_share);
    if (sm->scheduler_steps > 1)
        lp_perf_assume(out, "multi-step scheduling (%d steps): new requests join between runs",
                       sm->scheduler_steps);
    if (replicas > 1)
        lp_perf_assume(out, "%d data-parallel replicas share the load evenly", replicas);
    lp_perf_assume(out,
                   "API server %.1f ms per request (HTTP, tokenization, detokenization), in "
                   "TTFT and E2E, as --method simulate fits it",
                   1e3 * lp_ttft_api_s());
    lp_perf_assume(out, "p90/p99 need --method simulate");
}
