/*
 * simulate.c - the `simulate` method: a discrete-event simulation of vLLM V1's
 * continuous-batching scheduler (vllm/v1/core/sched/scheduler.py, Scheduler.schedule) driven
 * by the roofline step model, reporting what `vllm bench serve` would print.
 *
 * One engine step at a time: the token budget is max_num_batched_tokens; running requests
 * are served first in admission order (a decode takes 1 token, a partial prefill the rest of
 * its prompt up to the remaining budget), then, unless a request was preempted this step,
 * waiting requests are admitted first-come first-served while fewer than max_num_seqs run
 * and budget is left (chunked prefill: a prompt may be split over steps). The KV cache is
 * paged in blocks of --block-size tokens (LP_SIM_BLOCK_TOKENS when not given); a request holds
 * ceil(computed tokens / block) blocks. When a running request needs a block and none is free, the
 * most recently admitted running request is preempted (Scheduler._preempt_request: its blocks are
 * freed, it goes to the front of the waiting queue and later prefills its prompt plus the tokens it
 * had generated). From vLLM 0.8 (V1, prefix caching on by default) the freed blocks keep their
 * contents until the pool hands them out again (BlockPool's free queue is least-recently-freed
 * first, and KVCacheManager.free frees a request's blocks tail first), so a request resumed
 * soon recomputes only what was evicted (get_computed_blocks finds the rest); free blocks
 * are kept here as that queue. The step's duration is lp_step_eval of its batch.
 * When the step model says chunked prefill is off (vLLM V0 defaults), steps follow V0's
 * default scheduler instead: a step prefills whole prompts of newly admitted requests or
 * decodes every running request, never both; with --num-scheduler-steps N, admissions happen
 * only every N decode steps.
 *
 * The API server (a separate process from vLLM 0.6 on: HTTP, tokenization, detokenization,
 * streaming) is modelled by two times per request: ingress (from the client's send to the
 * request reaching the engine) is served one request at a time, as the server's single
 * asyncio event loop does it, so a burst of requests reaches the scheduler spread out rather
 * than at once; egress is the latency from the end of a step to the client seeing its
 * tokens. Latencies and the benchmark duration are measured at the client, as
 * `vllm bench serve` measures them (vllm/benchmarks/serve.py, calculate_metrics: TTFT at the
 * first streamed chunk, TPOT = (E2E - TTFT) / (output - 1) for outputs of more than one
 * token, ITL between chunks, duration from the first send to the last response).
 *
 * Arrivals follow `vllm bench serve` (get_request): request rate inf sends every request at
 * t = 0; a finite rate draws exponential gaps (gamma ones with --burstiness other than 1,
 * shape burstiness and mean 1 / rate), and from vLLM 0.10.1 (PR #21108) the sends
 * are scaled so that the last one is at num_prompts / rate (older clients sent the first at
 * t = 0 and added raw gaps: their last send is scaled to its expected time, (n - 1) / rate,
 * as the duration of one random draw cannot be predicted); --max-concurrency makes a request wait
 * for a free slot (its latencies are measured from the moment it is sent). The initial test request
 * bench sends before measuring is not simulated: it only warms the server. Data-parallel replicas
 * each get 1/replicas of the requests, the rate and the concurrency; one replica is simulated and
 * throughputs are multiplied by the number of replicas.
 *
 * Speculative decoding (spec.c): a decoding request carries its k drafts in the step's
 * budget and KV slots, and gains 1 + the drafts accepted left to right (each with the
 * acceptance rate, drawn from the seeded generator) per verification.
 * A run that repeats an earlier one on the same server (workload.warm_prefix_cache: a sweep
 * over request rates with one seed sends the same prompts each time) starts with the earlier
 * run's prompts in the free queue, as far as the pool holds them (warm_cache below).
 * Prompts with shared prefixes (--random-prefix-len, prefix_repetition) share the full blocks
 * of their prefix through the prefix cache (prefix_cache.c): a request holds its prefix's chain
 * of blocks with the others that use it, and a chain nobody holds waits in the free queue
 * behind the requests' own blocks until eviction reaches it; bench's test run makes the first
 * prompt warm (warm_up below). With --no-enable-prefix-caching nothing is found again.
 * It deliberately does not model hits between unrelated prompts (random and ShareGPT prompts
 * share none), async scheduling overlap, priorities,
 * --ramp-up-strategy or early end-of-sequence beyond the lengths drawn.
 */
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/grow.h"
#include "llmplan/budget.h"
#include "perf/perf_internal.h"
#include "perf/sim_stats.h"

/* KV block size when the step model has none: vLLM's CUDA default
 * (vllm/platforms/cuda.py check_and_update_config). */
#define LP_SIM_BLOCK_TOKENS 16
/* Guards on the size of a simulation. */
#define LP_SIM_MAX_PROMPTS 1000000
/* Engine steps between two checks of the caller's budget (llmplan/budget.h): about 0.1 ms. */
#define LP_SIM_BUDGET_CHECK_STEPS 1024
#define LP_N_BOUNDS (LP_BOUND_QUEUEING + 1)
/* V1 engine with prefix caching on by default (VLLM_USE_V1 default from 0.8.0). */
#define LP_SIM_V1_PREFIX_CACHING LP_VLLM_VERSION(0, 8, 0)
/* vllm bench serve scales its Poisson sends to end at num_prompts / rate (PR #21108). */
#define LP_SIM_SCALED_ARRIVALS LP_VLLM_VERSION(0, 10, 1)
/*
 * API-server time per request: ingress (HTTP, validation, tokenization, hand-over to the
 * engine, served one request at a time) and egress (engine output to the client's parsed
 * chunk), split evenly for want of data that separates them. Their sum, 5.96 ms, was fitted
 * on the fit rows of ../shared/validation/serving_perf_2.tsv that are vLLM ShareGPT runs at 1
 * and 4 req/s (IOG-Foundation, vLLM 0.8.5, H100 PCIe, 200 prompts; lines 15 17 19 22 23 27 41
 * 43 45 48 49 53): the median over those rows of the measured median TTFT minus the one
 * simulated without API-server time on the current step model. Those runs came after runs of
 * the same prompts on the same server (serving_sweep.c), so the engine prefills only what the
 * prefix cache lacks and nearly all of their TTFT is this time and one engine step: residuals
 * 4.0 to 7.1 ms where the pool held the earlier run; the KV-starved Llama-3-70B rows 23 and 49
 * and the 70B FP8 row 48 add 10.8, 25.9 and 12.9 ms. (Fitted as if those runs started cold,
 * it was 3.15 ms, which left the runs that do start cold, the first of each sweep, 30 % fast.)
 * tools/sim_fit/api_time.c repeats the fit; refit it when the step model changes. Checked on
 * the holdout rows by `llmplan accuracy`.
 */
/* Seed offset of the adapters' draw (any constant: it keeps the length draws apart). */
#define LP_SIM_LORA_SEED 0x5851f42d4c957f2dULL
#define LP_SIM_API_INGRESS_S 0.00298
#define LP_SIM_API_EGRESS_S 0.00298

typedef struct {
    double send_s;        /* when the benchmark client sent it */
    double ready_s;       /* when the API server handed it to the engine */
    double admitted_s;    /* first time the scheduler admitted it */
    double first_token_s; /* end of the step that completed its prefill */
    double last_token_s;
    int32_t prompt, output; /* lengths in tokens */
    int32_t generated;      /* output tokens produced so far */
    int32_t computed;       /* tokens whose KV is in the cache */
    int32_t blocks;         /* KV blocks held */
    int32_t cached_blocks;  /* after a preemption: leading blocks still in the free queue */
    int32_t segment;        /* the free-queue segment holding them (-1: none) */
    int32_t chain;          /* its shared prefix in the prefix cache (-1: none) */
    int32_t base;           /* leading blocks it holds through that chain */
    bool holds;             /* it holds that chain now */
    int32_t lora;           /* its LoRA adapter (-1: the base model) */
    bool admitted;
} sim_req;

/* A run of free blocks in the free queue, oldest first; owner >= 0: the leading blocks of a
 * preempted request whose contents are still valid (after its shared prefix, if it has one);
 * owner <= -2: the cached blocks of shared prefix -2 - owner (prefix_cache.c). */
typedef struct {
    int32_t owner;
    int64_t count;
} sim_segment;

typedef struct {
    const lp_step_model *sm;
    lp_sim_frontend fe;
    bool prefix_caching;
    int block;          /* tokens per KV block: --block-size (prefix-cache hits are whole blocks) */
    lp_prefix_cache pc; /* shared prefixes (prefix_cache.c) */
    sim_req *reqs;
    int n;
    /* running requests in admission order, and the tokens scheduled for each this step */
    int *running, *chunk;
    int n_running, max_running;
    int sched_first; /* running[sched_first ..] are this step's batch */
    int decode_lock; /* V0 multi-step: decode steps left before the next admission */
    /* waiting queue: a ring of request indices (preempted requests go to its front) */
    int *waiting;
    int wait_head, wait_len;
    /* the free queue: segments[seg_head .. seg_len) */
    sim_segment *segments;
    int64_t seg_head, seg_len, seg_cap;
    int64_t free_blocks;
    /* the benchmark client and the API server */
    lp_rng rng;
    uint64_t seed;
    double *schedule;   /* send times of requests without a concurrency limit */
    double slot_free_s; /* when the client last saw a slot freed while all were taken */
    double ingress_free_s;
    int next_issue, in_flight, concurrency;
    /* requests the client schedules itself: all, or the first turns of the conversations;
     * turn k + 1 of a conversation is request r + turn_stride, sent when turn k is answered */
    int n_first, turn_stride;
    /* LoRA: the step each adapter was last scheduled in, the adapters this step, and the
     * waiting requests skipped for want of an adapter slot */
    long *lora_step;
    long step_id;
    int lora_count;
    int *skipped;
    /* results */
    lp_sim_stat ttft, tpot, itl, e2e;
    lp_status mem_status;
    int completed, preemptions;
    int warm_prompts; /* requests whose prompt was in the prefix cache at the start */
    long kv_blocked_steps;
    double last_finish_s;
    double total_input, total_output;
    double wait_sum_s, service_sum_s;
    double running_time_sum; /* sum over steps of running requests x step time */
    double prefill_tokens, prefill_time_s;
    double decode_only_tokens, decode_only_time_s, decode_tokens, decode_time_s;
    long bound_prefill[LP_N_BOUNDS], bound_decode[LP_N_BOUNDS];
    double spec_steps, spec_tokens; /* verifications and the tokens they yielded */
} sim_state;

void lp_sim_frontend_default(lp_sim_frontend *fe) {
    fe->api_ingress_s = LP_SIM_API_INGRESS_S;
    fe->api_egress_s = LP_SIM_API_EGRESS_S;
}

static int64_t blocks_for(const sim_state *S, int64_t tokens) {
    return (tokens + S->block - 1) / S->block;
}

static void stat_add(sim_state *S, lp_sim_stat *st, double v, uint64_t count) {
    if (lp_sim_stat_add(st, v, count) != LP_OK)
        S->mem_status = LP_ERR_NOMEM;
}

/* ---- the free queue (vllm/v1/core/block_pool.py FreeKVCacheBlockQueue) --------------------- */

static void push_free(sim_state *S, int32_t owner, int64_t count) {
    if (count <= 0)
        return;
    S->free_blocks += count;
    if (S->seg_len > S->seg_head && S->segments[S->seg_len - 1].owner == -1 && owner == -1) {
        S->segments[S->seg_len - 1].count += count;
        return;
    }
    if (S->seg_len == S->seg_cap) {
        int64_t live = S->seg_len - S->seg_head;
        if (S->seg_head > 0 && live < S->seg_cap / 2) {
            for (int64_t i = 0; i < live; i++) {
                sim_segment g = S->segments[S->seg_head + i];
                S->segments[i] = g;
                if (g.owner >= 0)
                    S->reqs[g.owner].segment = (int32_t)i;
                else if (g.owner <= -2)
                    S->pc.chains[-2 - g.owner].segment = i;
            }
            S->seg_head = 0;
            S->seg_len = live;
        } else {
            size_t cap = (size_t)S->seg_cap;
            sim_segment *g = lp_grow(S->segments, &cap, cap + 1, sizeof *g, 64);
            if (!g) {
                S->mem_status = LP_ERR_NOMEM;
                return;
            }
            S->segments = g;
            S->seg_cap = (int64_t)cap;
        }
    }
    S->segments[S->seg_len].owner = owner;
    S->segments[S->seg_len].count = count;
    if (owner >= 0)
        S->reqs[owner].segment = (int32_t)S->seg_len;
    else if (owner <= -2)
        S->pc.chains[-2 - owner].segment = S->seg_len;
    S->seg_len++;
}

/* Hand out k blocks from the head of the free queue, evicting cached contents. */
static void take_free(sim_state *S, int64_t k) {
    if (k <= 0)
        return;
    S->free_blocks -= k;
    while (k > 0 && S->seg_head < S->seg_len) {
        sim_segment *g = &S->segments[S->seg_head];
        int64_t t = g->count < k ? g->count : k;
        g->count -= t;
        k -= t;
        if (g->owner >= 0) {
            sim_req *q = &S->reqs[g->owner];
            q->cached_blocks -= (int32_t)t; /* its tail blocks go first */
            if (g->count == 0)
                q->segment = -1;
        } else if (g->owner <= -2) {
            lp_pc_chain *c = &S->pc.chains[-2 - g->owner];
            c->cached -= (int32_t)t; /* a prefix loses its last blocks first */
            if (g->count == 0)
                c->segment = -1;
        }
        if (g->count == 0)
            S->seg_head++;
    }
}

/* ---- the client and the API server -------------------------------------------------------- */

/* Send times without a concurrency limit, as vllm bench serve's get_request draws them,
 * scaled to end where the client's sends end on average. */
static void draw_schedule(sim_state *S, double rate, double burstiness) {
    if (!(rate > 0)) {
        for (int i = 0; i < S->n_first; i++)
            S->schedule[i] = 0.0;
        return;
    }
    const bool scaled = S->sm->vllm_version == 0 || S->sm->vllm_version >= LP_SIM_SCALED_ARRIVALS;
    /* gaps: gamma with shape b and mean 1 / rate (exponential at b = 1, constant at inf) */
    const double b = burstiness > 0 ? burstiness : 1.0;
    double t = 0;
    for (int i = 0; i < S->n_first; i++) {
        if (scaled || i > 0)
            t += isinf(b)   ? 1.0 / rate
                 : b == 1.0 ? lp_rng_exponential(&S->rng, rate)
                            : lp_rng_gamma(&S->rng, b, 1.0 / (rate * b));
        S->schedule[i] = t;
    }
    /* older clients sent the first request at once and added raw gaps: their duration is
     * random, so its expected value, (n - 1) / rate, is what can be predicted */
    double last = scaled ? S->n_first / rate : (S->n_first - 1) / rate;
    if (t > 0)
        for (int i = 0; i < S->n_first; i++)
            S->schedule[i] *= last / t;
}

/* Send every request the client has sent by `horizon` while a concurrency slot is free; the
 * API server hands each to the engine ingress time after the previous one. */
/* The client sends request r at t; the API server hands it to the engine ingress time after
 * the previous one. */
static void send(sim_state *S, int r, double t) {
    sim_req *q = &S->reqs[r];
    q->send_s = t;
    double start = t > S->ingress_free_s ? t : S->ingress_free_s;
    q->ready_s = start + S->fe.api_ingress_s;
    S->ingress_free_s = q->ready_s;
    S->waiting[(S->wait_head + S->wait_len) % S->n] = r;
    S->wait_len++;
}

static void issue(sim_state *S, double horizon) {
    while (S->next_issue < S->n_first && S->in_flight < S->concurrency) {
        double t = S->schedule[S->next_issue];
        if (t < S->slot_free_s)
            t = S->slot_free_s; /* it waited for the slot (bench's semaphore) */
        if (t > horizon)
            break;
        send(S, S->next_issue++, t);
        S->in_flight++;
    }
}

/* When the client will next send a request (INFINITY: none left or no free slot). */
static double next_send(const sim_state *S) {
    if (S->next_issue >= S->n_first || S->in_flight >= S->concurrency)
        return INFINITY;
    double t = S->schedule[S->next_issue];
    return t > S->slot_free_s ? t : S->slot_free_s;
}

/* ---- the scheduler -------------------------------------------------------------------------- */

/* Blocks of its own a request needs to hold the KV of `tokens` tokens: those beyond the shared
 * prefix it holds (prefix_cache.c). */
static int64_t own_blocks_for(const sim_state *S, const sim_req *q, int64_t tokens) {
    int64_t b = blocks_for(S, tokens) - q->base;
    return b > 0 ? b : 0;
}

/* A request lets go of its shared prefix; when nobody holds it any more its cached blocks go to
 * the free queue's tail, after the request's own (KVCacheManager.free frees tail first). */
static void release_prefix(sim_state *S, sim_req *q) {
    if (!q->holds)
        return;
    q->holds = false;
    q->base = 0;
    if (lp_prefix_cache_release(&S->pc, q->chain))
        push_free(S, -2 - q->chain, S->pc.chains[q->chain].cached);
}

/* Recompute preemption: free the KV (from 0.8 its full blocks stay cached until handed out
 * again), forget the progress, back to the queue's front. */
static void preempt(sim_state *S, int r) {
    sim_req *q = &S->reqs[r];
    int32_t full = S->prefix_caching ? q->computed / S->block - q->base : 0;
    if (full > q->blocks)
        full = q->blocks;
    if (full < 0)
        full = 0;
    /* KVCacheManager.free frees tail first: the partial block, then the full ones last to
     * first, so eviction takes a request's later blocks before its earlier ones */
    push_free(S, -1, q->blocks - full);
    q->cached_blocks = 0;
    q->segment = -1;
    if (full > 0) {
        push_free(S, r, full);
        q->cached_blocks = full;
    }
    release_prefix(S, q);
    q->blocks = 0;
    q->computed = 0;
    S->wait_head = (S->wait_head + S->n - 1) % S->n;
    S->waiting[S->wait_head] = r;
    S->wait_len++;
    S->preemptions++;
}

/* Tokens of a waiting request found in the prefix cache: its shared prefix's leading cached
 * blocks, then, if the whole prefix is there, the cached part of its own earlier blocks
 * (KVCacheManager.get_computed_blocks stops at the first miss, and never returns all of its
 * tokens: one is always recomputed). */
static int32_t cached_tokens(const sim_state *S, const sim_req *q) {
    int32_t total = q->prompt + q->generated;
    int32_t blocks = q->cached_blocks;
    if (q->chain >= 0) {
        int32_t shared = lp_prefix_cache_hit_blocks(&S->pc, q->chain);
        blocks = shared < S->pc.chains[q->chain].len ? shared : shared + q->cached_blocks;
    }
    int32_t hit = blocks * S->block;
    if (hit > total - 1)
        hit = (total - 1) / S->block * S->block;
    return hit > 0 ? hit : 0;
}

/* Whether q's adapter may join this step's batch (Scheduler.schedule: a waiting request whose
 * adapter is not among the scheduled ones is skipped once --max-loras adapters are). */
static bool lora_fits(const sim_state *S, const sim_req *q) {
    return q->lora < 0 || S->lora_step[q->lora] == S->step_id ||
           S->lora_count < S->sm->lora.max_loras;
}

static void lora_take(sim_state *S, const sim_req *q) {
    if (q->lora >= 0 && S->lora_step[q->lora] != S->step_id) {
        S->lora_step[q->lora] = S->step_id;
        S->lora_count++;
    }
}

/* A request takes its shared prefix: a chain nobody held leaves the free queue (its cached
 * blocks) and gets the blocks it lacks, which this request computes. */
static void take_prefix(sim_state *S, sim_req *q) {
    lp_pc_chain *ch = &S->pc.chains[q->chain];
    int64_t seg = ch->segment;
    int32_t from_queue;
    int32_t cost = lp_prefix_cache_acquire(&S->pc, q->chain, &from_queue);
    if (from_queue > 0 && seg >= 0) {
        sim_segment *g = &S->segments[seg];
        S->free_blocks -= from_queue;
        g->count -= from_queue;
        g->owner = -1;
        if (g->count == 0 && seg == S->seg_head)
            S->seg_head++;
        ch->segment = -1;
    }
    take_free(S, cost - from_queue);
    q->base = ch->len;
    q->holds = true;
}

/* Admit waiting requests FCFS while a slot, budget and KV blocks are left and the API server
 * has handed them over. V1 splits the last prompt to fit the budget (chunked prefill);
 * without chunking (V0) a prompt is taken whole, and only one longer than the whole budget
 * may exceed it (alone), so nothing can starve. */
static int admit(sim_state *S, double now, int budget) {
    const bool chunked = S->sm->chunked_prefill;
    int admitted = 0, skipped = 0;
    while (S->wait_len > 0 && budget > 0 && S->n_running < S->max_running) {
        int r = S->waiting[S->wait_head];
        sim_req *q = &S->reqs[r];
        if (q->ready_s > now)
            break;
        if (!lora_fits(S, q)) {
            /* skipped this step; it keeps its place in the queue (skipped_waiting_requests) */
            S->skipped[skipped++] = r;
            S->wait_head = (S->wait_head + 1) % S->n;
            S->wait_len--;
            continue;
        }
        int32_t hit = cached_tokens(S, q);
        int32_t want = q->prompt + q->generated - hit;
        int32_t c = want;
        if (chunked && c > budget)
            c = budget;
        if (!chunked && c > budget && admitted > 0)
            break;
        /* a shared prefix nobody holds costs its whole chain (cached blocks leave the free
         * queue, the rest are allocated); the request's own blocks come after it */
        const lp_pc_chain *ch = q->chain >= 0 ? &S->pc.chains[q->chain] : NULL;
        int32_t base = ch ? ch->len : 0;
        int64_t own_need = blocks_for(S, (int64_t)hit + c) - base;
        if (own_need < 0)
            own_need = 0;
        /* the cached blocks are free-queue blocks too: they count against the free pool */
        int64_t need = own_need + (ch && ch->refs == 0 ? base : 0);
        if (need > S->free_blocks) {
            S->kv_blocked_steps++;
            break;
        }
        S->wait_head = (S->wait_head + 1) % S->n;
        S->wait_len--;
        if (!q->admitted && S->prefix_caching)
            lp_prefix_cache_count(&S->pc, q->prompt, hit);
        if (ch)
            take_prefix(S, q);
        int64_t own = hit / S->block - base;
        if (own < 0)
            own = 0;
        if (q->segment >= 0) {
            /* its cached blocks leave the free queue; any beyond the hit are plain free */
            sim_segment *g = &S->segments[q->segment];
            S->free_blocks -= own;
            g->count -= own;
            g->owner = -1;
            if (g->count == 0 && q->segment == S->seg_head)
                S->seg_head++;
            q->segment = -1;
        }
        q->cached_blocks = 0;
        take_free(S, own_need - own);
        q->blocks = (int32_t)own_need;
        q->computed = hit;
        if (!q->admitted) {
            q->admitted = true;
            q->admitted_s = now;
        }
        lora_take(S, q);
        S->running[S->n_running] = r;
        S->chunk[S->n_running] = c;
        S->n_running++;
        budget -= c;
        admitted++;
    }
    while (skipped > 0) {
        S->wait_head = (S->wait_head + S->n - 1) % S->n;
        S->waiting[S->wait_head] = S->skipped[--skipped];
        S->wait_len++;
    }
    return admitted;
}

/* Scheduler.schedule: the requests running[sched_first .. return) run this step with
 * chunk[] tokens each.
 * V1 (vllm/v1/core/sched/scheduler.py): running requests first, in admission order, then
 * admissions unless this step preempted someone.
 * V0 without chunked prefill (vllm/core/scheduler.py _schedule_default): a step is either
 * the prefills of newly admitted requests or a decode of every running request; with
 * multi-step scheduling new requests join only every scheduler_steps decode steps. */
static int schedule(sim_state *S, double now) {
    const bool v0 = !S->sm->chunked_prefill;
    int budget = S->sm->max_num_batched_tokens;
    S->step_id++;
    S->lora_count = 0;
    S->sched_first = 0;
    if (S->n_running == 0)
        S->decode_lock = 0;
    if (v0 && S->decode_lock == 0) {
        int first = S->n_running;
        if (admit(S, now, budget) > 0) {
            S->sched_first = first;
            return S->n_running;
        }
    }
    bool preempted = false;
    int i = 0;
    /* speculative decoding: a decoding request also carries its drafts (spec.c) */
    const int spec_k = lp_spec_k_at(S->sm, S->n_running);
    while (i < S->n_running && budget > 0) {
        sim_req *q = &S->reqs[S->running[i]];
        int32_t want = q->prompt + q->generated - q->computed;
        int32_t c = want < budget ? want : budget;
        if (spec_k > 0 && want == 1 && q->generated > 0)
            c += spec_k < budget - 1 ? spec_k : budget - 1; /* num_tokens_with_spec */
        int64_t need = own_blocks_for(S, q, (int64_t)q->computed + c) - q->blocks;
        if (need < 0)
            need = 0;
        bool self = false;
        while (need > S->free_blocks) {
            int victim = S->running[--S->n_running];
            preempt(S, victim);
            preempted = true;
            if (S->n_running == i) { /* it was the request itself */
                self = true;
                break;
            }
        }
        if (self)
            break;
        take_free(S, need);
        q->blocks += (int32_t)need;
        lora_take(S, q);
        S->chunk[i] = c;
        budget -= c;
        i++;
    }
    if (v0) {
        if (S->decode_lock > 0)
            S->decode_lock--;
        else if (S->sm->scheduler_steps > 1)
            S->decode_lock = S->sm->scheduler_steps - 1;
        return i;
    }
    if (preempted || budget == 0)
        return i;
    admit(S, now, budget);
    return S->n_running;
}

/* A request's last token left the engine at t; the client has it egress time later. The next
 * turn of its conversation, if any, is sent then and keeps its slot. */
static void finish(sim_state *S, sim_req *q, double t) {
    const int r = (int)(q - S->reqs);
    int32_t history = 0;
    if (S->turn_stride > 0 && q->holds) {
        /* a turn's full blocks (prompt and answer, bar the last token, never cached) join
         * its conversation's chain: the next turn's prompt starts with them */
        history = (q->prompt + q->output - 1) / S->block - q->base;
        if (history > q->blocks)
            history = q->blocks;
        if (history < 0)
            history = 0;
    }
    push_free(S, -1, q->blocks - history);
    q->blocks = 0;
    if (history > 0)
        lp_prefix_cache_extend(&S->pc, q->chain, history);
    release_prefix(S, q);
    const double seen = t + S->fe.api_egress_s;
    if (S->turn_stride > 0 && r + S->turn_stride < S->n) {
        send(S, r + S->turn_stride, seen);
    } else {
        if (S->in_flight == S->concurrency)
            S->slot_free_s = seen; /* a request waiting for a slot is sent now */
        S->in_flight--;
    }
    S->completed++;
    S->last_finish_s = seen;
    double ttft = q->first_token_s + S->fe.api_egress_s - q->send_s, e2e = seen - q->send_s;
    stat_add(S, &S->ttft, ttft, 1);
    stat_add(S, &S->e2e, e2e, 1);
    if (q->output > 1)
        stat_add(S, &S->tpot, (e2e - ttft) / (q->output - 1), 1);
    S->total_input += q->prompt;
    S->total_output += q->output;
    S->wait_sum_s += q->admitted_s - q->send_s;
    S->service_sum_s += t - q->admitted_s;
}

/* One engine step starting at *t; advances *t to its end. */
static lp_status step(sim_state *S, double *t, lp_error *err) {
    const double now = *t;
    int n_sched = schedule(S, now);
    if (n_sched <= S->sched_first)
        return S->mem_status; /* everything was preempted; the next step admits again */

    lp_step_batch b = {0};
    for (int k = S->sched_first; k < n_sched; k++) {
        const sim_req *q = &S->reqs[S->running[k]];
        double a = q->computed, c = S->chunk[k];
        if (q->generated > 0 && q->computed == q->prompt + q->generated - 1) {
            /* a decode (with its drafts, which the step model prices: spec.c) */
            b.decode_seqs += 1;
            b.decode_ctx += a + 1;
        } else {
            /* positions [a, a + c) attend to p + 1 tokens each */
            b.prefill_tokens += c;
            b.prefill_ctx += 0.5 * ((a + c) * (a + c + 1) - a * (a + 1));
            if (q->computed + S->chunk[k] == q->prompt + q->generated)
                b.prefill_seqs += 1; /* its prefill completes: a token is sampled */
        }
    }
    lp_step_time st;
    lp_step_eval_adapters(S->sm, &b, S->lora_count, &st);
    const double dt = st.total_s;
    if (!(dt >= 0 && isfinite(dt)))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "simulate: the step model gave a step time of %g s for a batch of "
                            "%g decodes and %g prompt tokens; check its bandwidth and FLOPS",
                            dt, b.decode_seqs, b.prefill_tokens);
    const double end = now + dt;

    S->running_time_sum += S->n_running * dt;
    int bound = st.bound >= 0 && st.bound < LP_N_BOUNDS ? (int)st.bound : 0;
    if (b.prefill_tokens > 0) {
        S->prefill_tokens += b.prefill_tokens;
        S->prefill_time_s += dt;
        S->bound_prefill[bound]++;
    } else {
        S->decode_only_tokens += b.decode_seqs;
        S->decode_only_time_s += dt;
        S->bound_decode[bound]++;
    }
    if (b.decode_seqs > 0) {
        S->decode_tokens += b.decode_seqs;
        S->decode_time_s += dt;
    }

    uint64_t one_step_gaps = 0;
    for (int k = S->sched_first; k < n_sched; k++) {
        sim_req *q = &S->reqs[S->running[k]];
        int32_t drafts = S->chunk[k] - 1;
        bool verifying =
            drafts > 0 && q->generated > 0 && q->computed == q->prompt + q->generated - 1;
        q->computed += verifying ? 1 : S->chunk[k];
        if (q->computed < q->prompt + q->generated)
            continue; /* partial prefill: no token yet */
        q->generated++;
        if (verifying) {
            /* drafts accepted left to right until the first rejection */
            int32_t acc = 0;
            while (acc < drafts && lp_rng_uniform(&S->rng) < S->sm->spec.acceptance)
                acc++;
            S->spec_steps++;
            S->spec_tokens += 1 + acc;
            if (acc > q->output - q->generated)
                acc = q->output - q->generated;
            q->generated += acc;
            q->computed += acc;
        }
        if (q->generated == 1)
            q->first_token_s = end;
        else if (q->last_token_s == now)
            one_step_gaps++; /* the common case, added once below */
        else
            stat_add(S, &S->itl, end - q->last_token_s, 1);
        q->last_token_s = end;
        if (q->generated == q->output)
            finish(S, q, end);
    }
    stat_add(S, &S->itl, end - now, one_step_gaps);

    int kept = 0;
    for (int k = 0; k < S->n_running; k++) {
        int r = S->running[k];
        if (S->reqs[r].generated < S->reqs[r].output)
            S->running[kept++] = r;
    }
    S->n_running = kept;
    /* what the client sent during the step and after the responses it has seen by then */
    issue(S, end + S->fe.api_egress_s);
    *t = end;
    return S->mem_status;
}

static lp_status draw_requests(sim_state *S, const lp_perf_request *req, lp_error *err) {
    const lp_step_model *sm = S->sm;
    const double capacity_tokens = floor(sm->kv_capacity_tokens / S->block) * S->block;
    lp_len_pair_sampler pairs;
    lp_status st = lp_len_pair_init(&pairs, &req->workload.input, &req->workload.output, err);
    if (st != LP_OK)
        return st;
    for (int i = 0; i < S->n; i++) {
        int64_t in, out;
        if ((st = lp_len_pair_sample(&pairs, &S->rng, &in, &out, err)) != LP_OK)
            return st;
        /* a later turn's prompt: the conversation so far, then the new user message */
        if (S->turn_stride > 0 && i >= S->turn_stride)
            in += (int64_t)S->reqs[i - S->turn_stride].prompt + S->reqs[i - S->turn_stride].output;
        if (sm->max_model_len > 0 && in + out > sm->max_model_len)
            return lp_error_set(err, LP_ERR_INFEASIBLE,
                                "simulate: request %d has %lld prompt + %lld output tokens, more "
                                "than max-model-len %lld; shorten the lengths or raise "
                                "--max-model-len",
                                i + 1, (long long)in, (long long)out, (long long)sm->max_model_len);
        /* the last sampled token is never written to the cache */
        if ((double)(blocks_for(S, in + out - 1) * S->block) > capacity_tokens)
            return lp_error_set(err, LP_ERR_INFEASIBLE,
                                "simulate: request %d needs %lld tokens of KV cache but one "
                                "replica holds only %.0f; shorten the lengths or give the KV "
                                "cache more memory",
                                i + 1, (long long)(in + out - 1), capacity_tokens);
        S->reqs[i].prompt = (int32_t)in;
        S->reqs[i].output = (int32_t)out;
        S->reqs[i].segment = -1;
        S->reqs[i].chain = -1;
        S->reqs[i].lora = -1;
    }
    return LP_OK;
}

/*
 * The pool after an earlier run of the same prompts (workload.warm_prefix_cache): BlockPool's
 * free queue hands out never-used blocks first and appends freed ones at its tail, so after
 * that run the blocks of the requests that finished last are still cached, as many as the pool
 * holds. Their order of finishing is taken as their order of sending, and each request's
 * footprint as its prompt + output tokens; of it, only the prompt's full blocks can be found
 * again (KVCacheManager.get_computed_blocks hashes whole blocks of the prompt, and a repeated
 * prompt's answer is generated anew). Returns the requests whose prompt starts cached.
 */
static int warm_cache(sim_state *S) {
    const int64_t pool = (int64_t)(S->sm->kv_capacity_tokens / S->block);
    int64_t used = 0, cached = 0;
    int first = S->n;
    for (int i = S->n - 1; i >= 0; i--) {
        int64_t footprint = blocks_for(S, (int64_t)S->reqs[i].prompt + S->reqs[i].output - 1);
        if (used + footprint > pool)
            break;
        used += footprint;
        cached += S->reqs[i].prompt / S->block;
        first = i;
    }
    push_free(S, -1, pool - cached);
    for (int i = first; i < S->n; i++) {
        int32_t full = S->reqs[i].prompt / S->block;
        if (full > 0) {
            push_free(S, i, full);
            S->reqs[i].cached_blocks = full;
        }
    }
    return S->n - first;
}

/*
 * `vllm bench serve` sends its first prompt once before measuring (the initial test run,
 * vllm/benchmarks/serve.py benchmark: input_requests[0] with its output length). With prefix
 * caching on, that prompt's shared prefix and its own full blocks are then at the free queue's
 * tail (own blocks first: tail first), so the first measured request finds all but its last
 * partial block. Done for workloads with shared prefixes, where the prefix cache is simulated.
 */
static void warm_up(sim_state *S) {
    const int64_t pool = (int64_t)(S->sm->kv_capacity_tokens / S->block);
    sim_req *q = &S->reqs[0];
    lp_pc_chain *ch = q->chain >= 0 ? &S->pc.chains[q->chain] : NULL;
    int32_t shared = ch ? ch->len : 0;
    int32_t own = q->prompt / S->block - shared;
    if (own < 0)
        own = 0;
    push_free(S, -1, pool - shared - own);
    if (own > 0) {
        push_free(S, 0, own);
        q->cached_blocks = own;
    }
    if (ch) {
        ch->cached = shared;
        push_free(S, -2 - q->chain, shared);
    }
}

/* Each request's adapter, drawn uniformly as `vllm bench serve --lora-modules` picks one
 * (random.choice), with a generator of its own so the lengths drawn stay the same. */
static lp_status init_lora(sim_state *S, lp_error *err) {
    const int adapters = S->sm->lora.adapters > 0 ? S->sm->lora.adapters : 1;
    S->lora_step = calloc((size_t)adapters, sizeof *S->lora_step);
    S->skipped = malloc((size_t)S->n * sizeof *S->skipped);
    if (!S->lora_step || !S->skipped)
        return lp_error_set(err, LP_ERR_NOMEM, "simulate: out of memory for %d adapters", adapters);
    for (int a = 0; a < adapters; a++)
        S->lora_step[a] = -1;
    lp_rng rng;
    lp_rng_seed(&rng, S->seed ^ LP_SIM_LORA_SEED);
    for (int i = 0; i < S->n; i++) {
        int a = (int)(lp_rng_uniform(&rng) * adapters);
        S->reqs[i].lora = a < adapters ? a : adapters - 1;
    }
    return LP_OK;
}

/* The shared prefixes of the workload's prompts, when prefix caching is on. */
static lp_status init_prefix_cache(sim_state *S, const lp_workload *w, lp_error *err) {
    int32_t *chain_of = malloc((size_t)S->n * sizeof *chain_of);
    if (!chain_of)
        return lp_error_set(err, LP_ERR_NOMEM, "simulate: out of memory for %d requests", S->n);
    lp_status st = lp_prefix_cache_init(&S->pc, w, S->block, S->n, chain_of, err);
    for (int i = 0; st == LP_OK && i < S->n; i++)
        S->reqs[i].chain = chain_of[i];
    free(chain_of);
    return st;
}

static void describe_len(const lp_len_dist *d, char *buf, size_t size) {
    switch (d->kind) {
    case LP_LEN_FIXED:
        snprintf(buf, size, "fixed %.0f", d->mean);
        break;
    case LP_LEN_NORMAL:
        snprintf(buf, size, "normal(%.0f, sd %.0f)", d->mean, d->stddev);
        break;
    case LP_LEN_UNIFORM:
        snprintf(buf, size, "uniform [%.0f, %.0f]", d->lo, d->hi);
        break;
    case LP_LEN_HISTOGRAM:
        snprintf(buf, size, "histogram of %d lengths, mean %.0f", d->n, lp_len_mean(d));
        break;
    case LP_LEN_SHAREGPT:
        snprintf(buf, size, "ShareGPT as vllm bench serve keeps it, mean %.0f", d->mean);
        break;
    }
}

static lp_stat summary_ms(lp_sim_stat *s) {
    lp_stat r;
    r.mean = 1e3 * lp_sim_stat_mean(s);
    r.median = 1e3 * lp_sim_stat_quantile(s, 0.5);
    r.p90 = 1e3 * lp_sim_stat_quantile(s, 0.9);
    r.p99 = 1e3 * lp_sim_stat_quantile(s, 0.99);
    return r;
}

static lp_bottleneck most_seen(const long *counts, lp_bottleneck fallback) {
    int best = -1;
    for (int i = 0; i < LP_N_BOUNDS; i++)
        if (counts[i] > 0 && (best < 0 || counts[i] > counts[best]))
            best = i;
    return best < 0 ? fallback : (lp_bottleneck)best;
}

static double per_s(double amount, double seconds) {
    return seconds > 0 ? amount / seconds : 0.0;
}

static void fill_estimate(sim_state *S, const lp_perf_request *req, int replicas,
                          lp_perf_estimate *out) {
    const lp_step_model *sm = S->sm;
    const double duration = S->last_finish_s; /* the first request is sent at t = 0 */
    out->replicas = replicas;
    out->ttft_ms = summary_ms(&S->ttft);
    out->tpot_ms = summary_ms(&S->tpot);
    out->itl_ms = summary_ms(&S->itl);
    out->e2el_ms = summary_ms(&S->e2e);
    out->request_s = replicas * per_s(S->completed, duration);
    out->output_tok_s = replicas * per_s(S->total_output, duration);
    out->total_tok_s = replicas * per_s(S->total_input + S->total_output, duration);
    out->prefill_tok_s = per_s(S->prefill_tokens, S->prefill_time_s);
    out->decode_tok_s = S->decode_only_time_s > 0
                            ? per_s(S->decode_only_tokens, S->decode_only_time_s)
                            : per_s(S->decode_tokens, S->decode_time_s);
    out->mean_batch = per_s(S->running_time_sum, duration);
    double mean_len = lp_len_mean(&req->workload.input) + lp_len_mean(&req->workload.output);
    double by_kv = mean_len > 0 ? sm->kv_capacity_tokens / mean_len : 0.0;
    out->max_concurrent_requests = by_kv < sm->max_num_seqs ? by_kv : sm->max_num_seqs;

    out->prefill_bound = most_seen(S->bound_prefill, LP_BOUND_COMPUTE);
    out->decode_bound = most_seen(S->bound_decode, most_seen(S->bound_prefill, LP_BOUND_MEMORY));
    /* requests spend longer waiting for a slot than being served: TTFT is queueing */
    if (S->completed > 0 && S->wait_sum_s > S->service_sum_s)
        out->prefill_bound = LP_BOUND_QUEUEING;
    /* the KV cache, not max_num_seqs or the step, limits the batch */
    if (S->preemptions > 0 || S->kv_blocked_steps > 0)
        out->decode_bound = LP_BOUND_KV_CAPACITY;

    long long all = (long long)S->completed * replicas;
    out->completed = all < req->workload.num_prompts ? (int)all : req->workload.num_prompts;
    out->preemptions = S->preemptions;
    out->duration_s = duration;
    out->modes.prefix_caching = S->prefix_caching;
    out->modes.prefix_cache_hit_rate = lp_prefix_cache_hit_rate(&S->pc);
    if (S->spec_steps > 0)
        out->modes.spec_mean_acceptance_length = S->spec_tokens / S->spec_steps;
}

static void add_assumptions(const sim_state *S, const lp_perf_request *req, int replicas,
                            lp_perf_estimate *out) {
    const lp_step_model *sm = S->sm;
    char in[64], outl[64];
    describe_len(&req->workload.input, in, sizeof in);
    describe_len(&req->workload.output, outl, sizeof outl);
    const double b = req->workload.burstiness > 0 ? req->workload.burstiness : 1.0;
    char process[64];
    if (b == 1.0)
        snprintf(process, sizeof process, "a Poisson process");
    else if (isinf(b))
        snprintf(process, sizeof process, "evenly spaced sends");
    else
        snprintf(process, sizeof process, "gamma gaps of burstiness %g", b);
    if (req->workload.request_rate > 0)
        lp_perf_assume(out, "simulate: %d requests sent as %s at %g req/s%s, seed %llu",
                       req->workload.num_prompts, process, req->workload.request_rate,
                       sm->vllm_version == 0 || sm->vllm_version >= LP_SIM_SCALED_ARRIVALS
                           ? " (the last at num-prompts / rate, as vllm bench serve since 0.10.1)"
                           : "",
                       (unsigned long long)req->workload.seed);
    else
        lp_perf_assume(out, "simulate: %d requests all sent at t = 0 (request rate inf), seed %llu",
                       req->workload.num_prompts, (unsigned long long)req->workload.seed);
    if (req->workload.max_concurrency > 0)
        lp_perf_assume(out,
                       "simulate: at most %d requests in flight; a request waits for a free "
                       "slot and its latencies count from when it is sent (vllm bench serve)",
                       req->workload.max_concurrency);
    lp_perf_assume(out, "simulate: input lengths %s, output lengths %s tokens", in, outl);
    if (req->workload.input.kind == LP_LEN_SHAREGPT || req->workload.output.kind == LP_LEN_SHAREGPT)
        lp_perf_assume(out,
                       "simulate: ShareGPT pairs kept as vllm bench serve keeps them (prompt "
                       "4-1024 tokens, %s, sum <= 2048); shapes fitted to two published runs' "
                       "per-request lengths",
                       req->workload.sharegpt_output_len > 0 ? "output fixed" : "output >= 4");
    lp_perf_assume(out,
                   "simulate: API server %.1f ms per request before the engine (one at a time) "
                   "and %.1f ms from engine to client, fitted on published vLLM runs",
                   1e3 * S->fe.api_ingress_s, 1e3 * S->fe.api_egress_s);
    if (sm->chunked_prefill)
        lp_perf_assume(out,
                       "simulate: vLLM V1 scheduler, chunked prefill, %d tokens and %d requests "
                       "per step, FCFS%s",
                       sm->max_num_batched_tokens, sm->max_num_seqs,
                       S->pc.n_chains > 0 ? "" : ", no prefix-cache hits between requests");
    else
        lp_perf_assume(out,
                       "simulate: vLLM V0 scheduler, whole-prompt prefill steps that pause "
                       "decodes, %d tokens and %d requests per step, %d decode steps per "
                       "schedule, FCFS",
                       sm->max_num_batched_tokens, sm->max_num_seqs,
                       sm->scheduler_steps > 1 ? sm->scheduler_steps : 1);
    if (S->turn_stride > 0)
        lp_perf_assume(
            out,
            "simulate: %d conversations of up to %d turns; a turn is sent when the last is "
            "answered (no think time) with the conversation so far; rate and "
            "concurrency count conversations",
            S->turn_stride, req->workload.num_turns);
    if (S->pc.n_chains > 0 && S->turn_stride > 0)
        lp_perf_assume(out,
                       "simulate: prefix cache keeps each conversation's full blocks for its "
                       "next turn, LRU eviction of free blocks; hit rate %.1f %% of prompt tokens",
                       100.0 * lp_prefix_cache_hit_rate(&S->pc));
    else if (S->pc.n_chains > 0)
        lp_perf_assume(out,
                       "simulate: prefix cache of %d shared prefixes of %d full blocks (hash "
                       "chain), LRU eviction of free blocks; the first prompt warm from bench's "
                       "test run; hit rate %.1f %% of prompt tokens",
                       S->pc.n_chains, S->pc.chains[0].len,
                       100.0 * lp_prefix_cache_hit_rate(&S->pc));
    else if (!S->prefix_caching && req->workload.prefix_len > 0)
        lp_perf_assume(out, "simulate: prefix caching off: shared prefixes are prefilled "
                            "by every request");
    lp_perf_assume(out,
                   "simulate: KV cache of %.0f tokens in blocks of %d; when full the newest "
                   "running request is preempted and recomputed%s (%d preemptions)",
                   sm->kv_capacity_tokens, S->block,
                   S->prefix_caching ? " from its blocks not yet reused (prefix caching)" : "",
                   S->preemptions);
    if (req->workload.warm_prefix_cache)
        lp_perf_assume(out,
                       S->prefix_caching
                           ? "simulate: the same prompts ran before on this server: %d of %d "
                             "start in the prefix cache (the last to finish, as the pool holds "
                             "them); only their last partial block is prefilled"
                           : "simulate: the same prompts ran before, but vLLM before 0.8 does "
                             "not cache prefixes by default: %d of %d start cached",
                       S->warm_prompts, S->n);
    if (replicas > 1)
        lp_perf_assume(out,
                       "simulate: one of %d data-parallel replicas simulated with 1/%d of the "
                       "requests, rate and concurrency; throughputs multiplied by %d",
                       replicas, replicas, replicas);
    lp_perf_assume(out, "simulate: percentiles within 0.25 %%");
}

static void sim_free(sim_state *S) {
    free(S->reqs);
    free(S->running);
    free(S->chunk);
    free(S->waiting);
    free(S->segments);
    free(S->schedule);
    free(S->lora_step);
    free(S->skipped);
    lp_prefix_cache_free(&S->pc);
    lp_sim_stat_free(&S->ttft);
    lp_sim_stat_free(&S->tpot);
    lp_sim_stat_free(&S->itl);
    lp_sim_stat_free(&S->e2e);
}

static lp_status run(sim_state *S, lp_error *err) {
    double t = 0;
    issue(S, t);
    long long steps = 0;
    const long long max_steps = lp_budget_sim_steps();
    while (S->completed < S->n) {
        if (++steps > max_steps)
            return lp_budget_exceeded(LP_BUDGET_SIM_STEPS, err,
                                      "simulate: stopped after %lld engine steps with %d of %d "
                                      "requests done; simulate fewer prompts or shorter outputs",
                                      max_steps, S->completed, S->n);
        if (steps % LP_SIM_BUDGET_CHECK_STEPS == 0 && lp_budget_check("simulate", err) != LP_OK)
            return LP_ERR_LIMIT;
        if (S->n_running == 0) {
            /* idle engine: wait for the next request to reach it */
            double next = S->wait_len > 0 ? S->reqs[S->waiting[S->wait_head]].ready_s : INFINITY;
            if (S->wait_len == 0) {
                double send = next_send(S);
                if (!isfinite(send))
                    return lp_error_set(err, LP_ERR_INVALID_ARG,
                                        "simulate: no request left to send with %d of %d done",
                                        S->completed, S->n);
                issue(S, send);
                continue;
            }
            if (next > t)
                t = next;
            issue(S, t);
        }
        lp_status st = step(S, &t, err);
        if (st == LP_ERR_NOMEM)
            return lp_error_set(err, st, "simulate: out of memory for the latency statistics");
        if (st != LP_OK)
            return st;
    }
    return LP_OK;
}

lp_status lp_perf_simulate_with(const lp_step_model *sm, const lp_sim_frontend *fe,
                                const lp_perf_request *req, int replicas, lp_perf_estimate *out,
                                lp_error *err) {
    if (replicas < 1)
        replicas = 1;
    if (req->workload.num_prompts < 1 || req->workload.num_prompts > LP_SIM_MAX_PROMPTS)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "simulate: --num-prompts must be between 1 and %d, got %d",
                            LP_SIM_MAX_PROMPTS, req->workload.num_prompts);
    if (sm->max_num_seqs < 1 || sm->max_num_batched_tokens < 1)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "simulate: max-num-seqs (%d) and max-num-batched-tokens (%d) must be "
                            "positive",
                            sm->max_num_seqs, sm->max_num_batched_tokens);
    const int block = sm->kv_block_size > 0 ? sm->kv_block_size : LP_SIM_BLOCK_TOKENS;
    if (!(sm->kv_capacity_tokens >= block))
        return lp_error_set(err, LP_ERR_INFEASIBLE,
                            "simulate: the KV cache holds %.0f tokens, less than one block of %d",
                            sm->kv_capacity_tokens, block);
    if (!(fe->api_ingress_s >= 0 && fe->api_egress_s >= 0))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "simulate: API server times must not be negative");

    sim_state S = {0};
    S.sm = sm;
    S.fe = *fe;
    S.prefix_caching = (sm->vllm_version == 0 || sm->vllm_version >= LP_SIM_V1_PREFIX_CACHING) &&
                       !req->serving.enable_prefix_caching_off;
    S.block = block;
    S.n = (req->workload.num_prompts + replicas - 1) / replicas;
    S.n_first = S.n;
    if (req->workload.num_turns > 1) {
        if (req->workload.prefix_len > 0)
            return lp_error_set(err, LP_ERR_UNSUPPORTED,
                                "simulate: shared prefixes and --num-turns together are not "
                                "modelled; give one of them");
        S.turn_stride = (S.n + req->workload.num_turns - 1) / req->workload.num_turns;
        S.n_first = S.turn_stride;
    }
    S.max_running = sm->max_num_seqs < S.n ? sm->max_num_seqs : S.n;
    S.concurrency = req->workload.max_concurrency > 0
                        ? (req->workload.max_concurrency + replicas - 1) / replicas
                        : INT_MAX;
    lp_sim_stat_init(&S.ttft);
    lp_sim_stat_init(&S.tpot);
    lp_sim_stat_init(&S.itl);
    lp_sim_stat_init(&S.e2e);
    S.reqs = calloc((size_t)S.n, sizeof *S.reqs);
    S.running = malloc((size_t)S.max_running * sizeof *S.running);
    S.chunk = malloc((size_t)S.max_running * sizeof *S.chunk);
    S.waiting = malloc((size_t)S.n * sizeof *S.waiting);
    S.schedule = malloc((size_t)S.n * sizeof *S.schedule);
    lp_status st = LP_OK;
    if (!S.reqs || !S.running || !S.chunk || !S.waiting || !S.schedule)
        st = lp_error_set(err, LP_ERR_NOMEM, "simulate: out of memory for %d requests", S.n);
    if (st == LP_OK) {
        lp_rng_seed(&S.rng, req->workload.seed);
        S.seed = req->workload.seed;
        st = draw_requests(&S, req, err);
    }
    if (st == LP_OK) {
        double rate = req->workload.request_rate > 0 && isfinite(req->workload.request_rate)
                          ? req->workload.request_rate / replicas
                          : 0.0;
        draw_schedule(&S, rate, req->workload.burstiness);
        if (S.prefix_caching)
            st = init_prefix_cache(&S, &req->workload, err);
        if (st == LP_OK && sm->lora.max_loras > 0)
            st = init_lora(&S, err);
    }
    if (st == LP_OK) {
        if (S.pc.n_chains > 0)
            warm_up(&S);
        else if (req->workload.warm_prefix_cache && S.prefix_caching)
            S.warm_prompts = warm_cache(&S);
        else
            push_free(&S, -1, (int64_t)(sm->kv_capacity_tokens / S.block));
        st = S.mem_status;
        if (st != LP_OK)
            lp_error_set(err, st, "simulate: out of memory for the KV block queue");
    }
    if (st == LP_OK)
        st = run(&S, err);
    if (st == LP_OK) {
        fill_estimate(&S, req, replicas, out);
        add_assumptions(&S, req, replicas, out);
    }
    sim_free(&S);
    return st;
}

lp_status lp_perf_simulate(const lp_step_model *sm, const lp_perf_request *req, int replicas,
                           lp_perf_estimate *out, lp_error *err) {
    lp_sim_frontend fe;
    lp_sim_frontend_default(&fe);
    return lp_perf_simulate_with(sm, &fe, req, replicas, out, err);
}
