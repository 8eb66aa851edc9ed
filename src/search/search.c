/*
 * search.c - lp_search_run: evaluate every enumerated configuration on all cores, keep those
 * that meet the targets, rank them and find the cost / latency Pareto front.
 *
 * Per group of candidates (same GPU, TP, PP, quantization, KV dtype, EP, scheduler limits) the
 * memory plan and the step model are computed once (per DP size with expert parallelism);
 * each candidate (a GPU count) then costs one quiet roofline solve. What vLLM would refuse
 * (lp_mem_plan_compute's LP_ERR_INVALID_ARG, or lp_search_group_supported) counts as
 * LP_REJECT_INVALID; what does not fit as LP_REJECT_NO_FIT; then the targets, in the order
 * TTFT, TPOT, ITL, E2E, throughput (the first one missed is the reason counted).
 *
 * Threads take groups from an atomic counter and keep their own results; the merge sorts by a
 * total order (score, secondary key, enumeration index) and then reorders ties (rank.c), so the
 * ranking is the same for any number of threads. The calling thread is worker 0 and the only
 * one that reports progress.
 *
 * Percentiles: the roofline gives medians. At p90/p99 every candidate is first judged on the
 * median x a tail factor (enumerate.c); then the best candidates of the best
 * LP_SEARCH_SIMULATE_TOP deployments are simulated (lp_perf_simulate, 1000 requests), their
 * latencies replaced by the simulated percentiles and the targets checked again; a candidate
 * that now misses one is dropped (and counted) and the next one simulated, up to
 * LP_SEARCH_SIMULATE_MAX simulations. The simulated candidates lead the ranking, ordered among
 * themselves; throughput stays the roofline's for all.
 *
 * Deployments: candidates that differ only in --max-num-seqs / --max-num-batched-tokens are one
 * deployment. After ranking, each deployment is listed once, at the place of its best
 * candidate, with all its candidates meeting the targets as batch-limit variants; the Pareto
 * front is computed over the deployments.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/grow.h"
#include "search/search_internal.h"

#define GIB 1073741824.0
#define LP_SEARCH_MAX_THREADS 256
/* Groups a thread takes at a time (small: groups differ a lot in cost). */
#define LP_SEARCH_CHUNK 4
/* Seconds between two progress reports. */
#define LP_SEARCH_PROGRESS_S 0.1
/* Candidates at the top of the ranking re-checked by simulation at p90/p99, and the most
 * simulations one search runs (about 3 ms each for 1000 requests of an 8B model on one core). */
#define LP_SEARCH_SIMULATE_TOP 20
#define LP_SEARCH_SIMULATE_MAX 60

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void lp_search_spec_init(lp_search_spec *spec) {
    memset(spec, 0, sizeof *spec);
    spec->max_gpus = 8;
    spec->gpus_per_node = 8;
    spec->gpu_memory_utilization = 0.9;
    spec->vllm_version = LP_VLLM_VERSION_LATEST;
    lp_workload_init(&spec->workload);
    lp_targets_init(&spec->targets);
    spec->objective = LP_OBJ_THROUGHPUT_PER_GPU;
}

void lp_candidate_serving(const lp_candidate *c, lp_serving *s) {
    lp_serving_init(s);
    s->tensor_parallel_size = c->tp;
    s->pipeline_parallel_size = c->pp;
    s->data_parallel_size = c->dp;
    s->enable_expert_parallel = c->expert_parallel;
    s->quantization = c->quantization[0] ? c->quantization : NULL;
    s->kv_cache_dtype = c->kv_cache_dtype;
    s->max_model_len = c->max_model_len;
    s->gpu_memory_utilization = c->gpu_memory_utilization;
    s->max_num_seqs = c->max_num_seqs;
    s->max_num_batched_tokens = c->max_num_batched_tokens;
    s->vllm_version = c->vllm_version;
}

void lp_search_result_free(lp_search_result *r) {
    if (!r)
        return;
    free(r->ranked);
    free(r->pareto);
    free(r->variants);
    r->ranked = r->pareto = NULL;
    r->variants = NULL;
    r->n_ranked = r->n_pareto = r->n_variants = 0;
}

/* ---- evaluation ------------------------------------------------------------------------- */

typedef struct {
    const lp_search_ctx *ctx;
    atomic_size_t *next;
    atomic_size_t *done;
    bool reporter;
    double last_report;
    lp_search_eval *out;
    size_t n_out, cap_out;
    size_t rejected[LP_REJECT_COUNT];
    size_t estimated;
    bool nomem;
    /* scratch, one per thread: the memory plan is large */
    lp_mem_plan plan;
    lp_step_model sm;
    lp_perf_estimate est;
    /* simulation stage */
    lp_search_eval *sim_items;
    bool *sim_ok;
    size_t n_sim;
    /* the caller's budget (llmplan/budget.h), entered by every thread; stopped: it ran out */
    lp_budget *budget;
    bool stopped;
    lp_error stop_err;
} worker;

static bool push(worker *w, const lp_search_eval *e) {
    lp_search_eval *bigger = lp_grow(w->out, &w->cap_out, w->n_out + 1, sizeof *bigger, 256);
    if (!bigger) {
        w->nomem = true;
        return false;
    }
    w->out = bigger;
    w->out[w->n_out++] = *e;
    return true;
}

void lp_search_roofline_latencies(const lp_search_ctx *ctx, const lp_perf_estimate *est,
                                  lp_search_eval *e) {
    if (ctx->percentile == 50) {
        e->ttft_ms = est->ttft_ms.median;
        e->tpot_ms = est->tpot_ms.median;
        e->itl_ms = est->itl_ms.median;
        e->e2e_ms = est->e2el_ms.median;
        return;
    }
    e->ttft_ms = est->ttft_ms.median * ctx->tail_ttft * ctx->input_ratio_at_pct;
    e->tpot_ms = est->tpot_ms.median * ctx->tail_tpot;
    e->itl_ms = est->itl_ms.median * ctx->tail_itl;
    double out = ctx->output_len_at_pct > 1 ? ctx->output_len_at_pct : 1;
    e->e2e_ms = e->ttft_ms + (out - 1) * e->tpot_ms;
}

static void cost(const lp_search_ctx *ctx, const lp_search_group *g, lp_search_eval *e) {
    double price = ctx->gpus[g->gpu].usd_per_gpu_hour;
    e->usd_per_hour = price * e->num_gpus; /* NaN without a price */
    e->usd_per_million =
        e->output_tok_s > 0 ? e->usd_per_hour / (e->output_tok_s * 3600.0) * 1e6 : (double)NAN;
}

/* The plan and step model of a group at dp replicas: LP_REJECT_COUNT when usable. */
static lp_reject_reason prepare(worker *w, const lp_search_group *g, int dp) {
    const lp_search_ctx *ctx = w->ctx;
    const lp_gpu *gpu = ctx->gpus[g->gpu].gpu;
    lp_serving s;
    lp_search_group_serving(ctx, g, dp, &s);
    if (lp_mem_plan_compute(ctx->model, gpu, &s, &w->plan, NULL) != LP_OK)
        return LP_REJECT_INVALID;
    if (!w->plan.fits)
        return LP_REJECT_NO_FIT;
    lp_cluster cluster;
    lp_cluster_init(&cluster, gpu);
    cluster.gpus_per_node = ctx->gpus_per_node;
    cluster.inter_node_link = ctx->spec->inter_node_link;
    cluster.inter_node_link_given = ctx->spec->inter_node_link_given;
    if (lp_step_model_init(ctx->model, &cluster, &w->plan, &w->sm, NULL, NULL) != LP_OK)
        return LP_REJECT_INVALID; /* a GPU row without bandwidth or FLOPS figures */
    return LP_REJECT_COUNT;
}

static void eval_group(worker *w, uint32_t gi) {
    const lp_search_ctx *ctx = w->ctx;
    const lp_search_group *g = &ctx->groups[gi];
    const char *why;
    if (!lp_search_group_supported(ctx, g, &why)) {
        w->rejected[LP_REJECT_INVALID] += g->n;
        return;
    }
    const int per_replica = g->tp * g->pp;
    lp_reject_reason state = LP_REJECT_COUNT;
    bool prepared = false;
    uint32_t j = 0;
    for (int i = 0; i < ctx->n_counts && j < g->n; i++) {
        const int count = ctx->counts[i];
        if (count % per_replica != 0)
            continue;
        const int dp = count / per_replica;
        if (g->ep && g->tp * dp <= 1)
            continue;
        const size_t index = g->first + j++;
        if (!prepared || g->ep) {
            /* without EP the plan is per replica and the same for every DP */
            state = prepare(w, g, g->ep ? dp : 1);
            prepared = true;
        }
        if (state != LP_REJECT_COUNT) {
            w->rejected[state]++;
            continue;
        }
        w->estimated++;
        lp_perf_roofline_quiet(&w->sm, &ctx->req, dp, &w->est);
        lp_search_eval e;
        memset(&e, 0, sizeof e);
        e.index = index;
        e.group = gi;
        e.num_gpus = count;
        e.dp = dp;
        e.max_num_seqs = w->plan.max_num_seqs;
        e.max_num_batched_tokens = w->plan.max_num_batched_tokens;
        lp_search_roofline_latencies(ctx, &w->est, &e);
        e.output_tok_s = w->est.output_tok_s;
        e.request_s = w->est.request_s;
        e.total_tok_s = w->est.total_tok_s;
        e.max_concurrent_requests = w->est.max_concurrent_requests;
        e.kv_tokens = w->plan.kv_tokens;
        e.kv_gib_per_gpu = w->plan.ranks[w->plan.binding_rank].kv_cache_bytes / GIB;
        e.decode_bound = (uint8_t)w->est.decode_bound;
        e.cross_node_ms =
            1e3 * lp_step_comm_cross_node_s(&w->sm, w->est.mean_batch > 1 ? w->est.mean_batch : 1);
        e.prefill_bound = (uint8_t)w->est.prefill_bound;
        cost(ctx, g, &e);
        lp_search_eval_identity(ctx, &e);
        lp_reject_reason r = lp_search_check_targets(ctx, &e);
        if (r != LP_REJECT_COUNT) {
            w->rejected[r]++;
            continue;
        }
        lp_search_score(ctx, &e);
        if (!push(w, &e))
            return;
    }
}

static void *eval_worker(void *arg) {
    worker *w = arg;
    const lp_search_ctx *ctx = w->ctx;
    lp_budget_enter(w->budget);
    for (;;) {
        size_t start = atomic_fetch_add(w->next, LP_SEARCH_CHUNK);
        if (start >= ctx->n_groups || w->nomem)
            break;
        if (lp_budget_check("search", &w->stop_err) != LP_OK) {
            w->stopped = true;
            break;
        }
        size_t end =
            start + LP_SEARCH_CHUNK < ctx->n_groups ? start + LP_SEARCH_CHUNK : ctx->n_groups;
        size_t n = 0;
        for (size_t gi = start; gi < end; gi++) {
            eval_group(w, (uint32_t)gi);
            n += ctx->groups[gi].n;
        }
        size_t done = atomic_fetch_add(w->done, n) + n;
        if (w->reporter && ctx->spec->progress) {
            double t = now_s();
            if (t - w->last_report >= LP_SEARCH_PROGRESS_S) {
                w->last_report = t;
                ctx->spec->progress(ctx->spec->progress_ctx, done, ctx->total);
            }
        }
    }
    return NULL;
}

/* Simulate the items handed out by the counter; results in place. */
static void *sim_worker(void *arg) {
    worker *w = arg;
    const lp_search_ctx *ctx = w->ctx;
    lp_budget_enter(w->budget);
    for (;;) {
        size_t k = atomic_fetch_add(w->next, 1);
        if (k >= w->n_sim)
            break;
        lp_search_eval *e = &w->sim_items[k];
        const lp_search_group *g = &ctx->groups[e->group];
        w->sim_ok[k] = false;
        if (prepare(w, g, g->ep ? e->dp : 1) != LP_REJECT_COUNT)
            continue;
        if (lp_perf_simulate(&w->sm, &ctx->req, e->dp, &w->est, NULL) != LP_OK)
            continue;
        const lp_perf_estimate *s = &w->est;
        const bool p90 = ctx->percentile == 90;
        e->ttft_ms = p90 ? s->ttft_ms.p90 : s->ttft_ms.p99;
        e->tpot_ms = p90 ? s->tpot_ms.p90 : s->tpot_ms.p99;
        e->itl_ms = p90 ? s->itl_ms.p90 : s->itl_ms.p99;
        e->e2e_ms = p90 ? s->e2el_ms.p90 : s->e2el_ms.p99;
        e->simulated = true;
        w->sim_ok[k] = true;
    }
    return NULL;
}

/* Run fn on n_threads workers (worker 0 on the calling thread). */
static void run_workers(worker *ws, int n_threads, void *(*fn)(void *)) {
    pthread_t tids[LP_SEARCH_MAX_THREADS];
    bool started[LP_SEARCH_MAX_THREADS] = {false};
    for (int t = 1; t < n_threads; t++)
        started[t] = pthread_create(&tids[t], NULL, fn, &ws[t]) == 0;
    fn(&ws[0]); /* takes whatever a thread that failed to start would have taken */
    for (int t = 1; t < n_threads; t++)
        if (started[t])
            pthread_join(tids[t], NULL);
}

/* ---- the simulation stage (p90 / p99) ------------------------------------------------- */

static bool has_deployment(const uint64_t *keys, size_t n, uint64_t key) {
    for (size_t i = 0; i < n; i++)
        if (keys[i] == key)
            return true;
    return false;
}

/* Simulate the best candidate of each of the best deployments (batch-limit variants of a
 * deployment already confirmed are skipped: they would crowd out other deployments). */
static lp_status simulate_top(const lp_search_ctx *ctx, worker *ws, int n_threads,
                              lp_search_eval *evals, size_t *n_evals, size_t *rejected,
                              size_t *n_simulated) {
    size_t n = *n_evals, next = 0, confirmed = 0, sims = 0;
    bool *drop = calloc(n ? n : 1, sizeof *drop);
    bool *head = calloc(n ? n : 1, sizeof *head);
    lp_search_eval *batch = malloc(LP_SEARCH_SIMULATE_TOP * sizeof *batch);
    size_t *where = malloc(LP_SEARCH_SIMULATE_TOP * sizeof *where);
    bool *ok = malloc(LP_SEARCH_SIMULATE_TOP * sizeof *ok);
    lp_search_eval *sorted = malloc((n ? n : 1) * sizeof *sorted);
    uint64_t done_keys[LP_SEARCH_SIMULATE_TOP];
    lp_status st = LP_OK;
    if (!drop || !head || !batch || !where || !ok || !sorted) {
        st = LP_ERR_NOMEM;
        goto out;
    }
    while (confirmed < LP_SEARCH_SIMULATE_TOP && next < n && sims < LP_SEARCH_SIMULATE_MAX) {
        size_t want = LP_SEARCH_SIMULATE_TOP - confirmed;
        if (want > LP_SEARCH_SIMULATE_MAX - sims)
            want = LP_SEARCH_SIMULATE_MAX - sims;
        size_t got = 0;
        for (; next < n && got < want; next++) {
            if (has_deployment(done_keys, confirmed, evals[next].deployment))
                continue;
            bool queued = false; /* one variant of a deployment per batch */
            for (size_t k = 0; k < got && !queued; k++)
                queued = batch[k].deployment == evals[next].deployment;
            if (queued)
                continue;
            where[got] = next;
            batch[got++] = evals[next];
        }
        if (got == 0)
            break;
        atomic_size_t counter = 0;
        for (int t = 0; t < n_threads; t++) {
            ws[t].next = &counter;
            ws[t].sim_items = batch;
            ws[t].sim_ok = ok;
            ws[t].n_sim = got;
        }
        run_workers(ws, n_threads < (int)got ? n_threads : (int)got, sim_worker);
        for (size_t k = 0; k < got; k++) {
            lp_search_eval *e = &evals[where[k]];
            if (ok[k]) {
                *e = batch[k];
                lp_reject_reason r = lp_search_check_targets(ctx, e);
                if (r != LP_REJECT_COUNT) {
                    rejected[r]++;
                    drop[where[k]] = true;
                    continue;
                }
                lp_search_score(ctx, e);
            }
            head[where[k]] = true;
            if (confirmed < LP_SEARCH_SIMULATE_TOP)
                done_keys[confirmed] = e->deployment;
            confirmed++;
        }
        sims += got;
    }
    /* the checked ones first, ranked among themselves; then the rest as ranked before */
    size_t m = 0, h = 0;
    for (size_t i = 0; i < n; i++)
        if (head[i])
            sorted[m++] = evals[i];
    h = m;
    for (size_t i = 0; i < n; i++)
        if (!head[i] && !drop[i])
            sorted[m++] = evals[i];
    memcpy(evals, sorted, m * sizeof *evals);
    lp_search_rank(evals, h);
    *n_evals = m;
    *n_simulated = sims;
out:
    free(drop);
    free(head);
    free(batch);
    free(where);
    free(ok);
    free(sorted);
    return st;
}

/* ---- the search ----------------------------------------------------------------------- */

static int thread_count(const lp_search_spec *spec, size_t n_groups) {
    long t = spec->threads > 0 ? spec->threads : sysconf(_SC_NPROCESSORS_ONLN);
    if (t < 1)
        t = 1;
    if (t > LP_SEARCH_MAX_THREADS)
        t = LP_SEARCH_MAX_THREADS;
    t = lp_budget_threads((int)t);
    if ((size_t)t > n_groups)
        t = n_groups > 0 ? (long)n_groups : 1;
    return (int)t;
}

/* Deployments in ranked order: ordinal[i] is the deployment of evals[i] (0, 1, ... in the
 * order of their best candidate), leaders[d] the index of deployment d's best. */
static size_t deployments(const lp_search_eval *evals, size_t n, uint32_t *ordinal, size_t *leaders,
                          bool *nomem) {
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    uint64_t *keys = calloc(cap, sizeof *keys);
    uint32_t *vals = malloc(cap * sizeof *vals);
    size_t n_dep = 0;
    if (!keys || !vals) {
        free(keys);
        free(vals);
        *nomem = true;
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t k = evals[i].deployment; /* never 0: the GPU count is at least 1 */
        size_t h = (size_t)((k * 0x9E3779B97F4A7C15ull) >> 20) & (cap - 1);
        while (keys[h] && keys[h] != k)
            h = (h + 1) & (cap - 1);
        if (!keys[h]) {
            keys[h] = k;
            vals[h] = (uint32_t)n_dep;
            leaders[n_dep++] = i;
        }
        ordinal[i] = vals[h];
    }
    free(keys);
    free(vals);
    return n_dep;
}

static void fill_variant(const lp_search_eval *e, lp_batch_variant *v) {
    v->max_num_seqs = e->max_num_seqs;
    v->max_num_batched_tokens = e->max_num_batched_tokens;
    v->ttft_ms = e->ttft_ms;
    v->tpot_ms = e->tpot_ms;
    v->itl_ms = e->itl_ms;
    v->e2e_ms = e->e2e_ms;
    v->output_tok_s = e->output_tok_s;
    v->max_concurrent_requests = e->max_concurrent_requests;
    v->kv_tokens = e->kv_tokens;
    v->score = e->score;
    v->simulated = e->simulated;
}

static lp_status finish(const lp_search_ctx *ctx, lp_search_eval *evals, size_t n,
                        lp_search_result *out, lp_error *err) {
    uint32_t *ordinal = malloc((n ? n : 1) * sizeof *ordinal);
    size_t *leaders = malloc((n ? n : 1) * sizeof *leaders);
    lp_search_eval *lead = NULL;
    size_t *front = NULL, *count = NULL;
    bool nomem = !ordinal || !leaders;
    size_t n_dep = nomem ? 0 : deployments(evals, n, ordinal, leaders, &nomem);
    if (!nomem) {
        lead = malloc((n_dep ? n_dep : 1) * sizeof *lead);
        nomem = !lead;
    }
    size_t n_front = 0;
    if (!nomem) {
        for (size_t d = 0; d < n_dep; d++)
            lead[d] = evals[leaders[d]];
        n_front = lp_search_pareto(lead, n_dep, &front, &nomem);
    }
    const size_t n_ranked = n_dep < LP_SEARCH_MAX_RANKED ? n_dep : LP_SEARCH_MAX_RANKED;
    size_t n_var = 0;
    for (size_t i = 0; i < n && !nomem; i++)
        n_var += ordinal[i] < n_ranked;
    if (!nomem) {
        out->ranked = calloc(n_ranked ? n_ranked : 1, sizeof *out->ranked);
        out->pareto = calloc(n_front ? n_front : 1, sizeof *out->pareto);
        out->variants = calloc(n_var ? n_var : 1, sizeof *out->variants);
        count = calloc(n_ranked + 1, sizeof *count);
        nomem = !out->ranked || !out->pareto || !out->variants || !count;
    }
    if (nomem) {
        free(ordinal);
        free(leaders);
        free(lead);
        free(front);
        free(count);
        lp_search_result_free(out);
        return lp_error_set(err, LP_ERR_NOMEM, "search: out of memory for the ranking");
    }
    for (size_t d = 0; d < n_ranked; d++)
        lp_search_fill_candidate(ctx, &lead[d], &out->ranked[d]);
    for (size_t k = 0; k < n_front; k++) {
        lp_search_fill_candidate(ctx, &lead[front[k]], &out->pareto[k]);
        out->pareto[k].pareto = true;
        if (front[k] < n_ranked)
            out->ranked[front[k]].pareto = true;
    }
    /* each ranked deployment's variants, best first (the order of evals) */
    for (size_t i = 0; i < n; i++)
        if (ordinal[i] < n_ranked)
            count[ordinal[i] + 1]++;
    for (size_t d = 0; d < n_ranked; d++) {
        count[d + 1] += count[d];
        out->ranked[d].variants_first = count[d];
        out->ranked[d].n_variants = count[d + 1] - count[d];
    }
    for (size_t i = 0; i < n; i++)
        if (ordinal[i] < n_ranked)
            fill_variant(&evals[i], &out->variants[count[ordinal[i]]++]);
    for (size_t k = 0; k < n_front; k++)
        if (front[k] < n_ranked) {
            out->pareto[k].variants_first = out->ranked[front[k]].variants_first;
            out->pareto[k].n_variants = out->ranked[front[k]].n_variants;
        }
    out->n_ranked = n_ranked;
    out->n_pareto = n_front;
    out->n_variants = n_var;
    out->deployments = n_dep;
    free(ordinal);
    free(leaders);
    free(lead);
    free(front);
    free(count);
    return LP_OK;
}

lp_status lp_search_run(const lp_search_spec *spec, lp_search_result *out, lp_error *err) {
    if (!spec || !out)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "lp_search_run: NULL argument");
    memset(out, 0, sizeof *out);
    const double t0 = now_s();
    lp_search_ctx ctx;
    lp_status st = lp_search_ctx_build(spec, &ctx, err);
    if (st != LP_OK)
        return st;
    out->price_origin = lp_price_table_origin(ctx.prices);
    out->enumerated = ctx.total;

    const int n_threads = thread_count(spec, ctx.n_groups);
    worker *ws = calloc((size_t)n_threads, sizeof *ws);
    if (!ws) {
        lp_search_ctx_free(&ctx);
        return lp_error_set(err, LP_ERR_NOMEM, "search: out of memory");
    }
    atomic_size_t next = 0, done = 0;
    for (int t = 0; t < n_threads; t++) {
        ws[t].ctx = &ctx;
        ws[t].next = &next;
        ws[t].done = &done;
        ws[t].reporter = t == 0;
        ws[t].last_report = t0;
        ws[t].budget = lp_budget_current();
    }
    if (ctx.n_groups > 0)
        run_workers(ws, n_threads, eval_worker);

    /* merge */
    size_t n = 0;
    bool nomem = false;
    for (int t = 0; t < n_threads; t++) {
        n += ws[t].n_out;
        nomem |= ws[t].nomem;
        out->estimated += ws[t].estimated;
        for (int r = 0; r < LP_REJECT_COUNT; r++)
            out->rejected[r] += ws[t].rejected[r];
    }
    lp_search_eval *evals = nomem ? NULL : malloc((n ? n : 1) * sizeof *evals);
    if (evals) {
        size_t k = 0;
        for (int t = 0; t < n_threads; t++) {
            if (ws[t].n_out)
                memcpy(&evals[k], ws[t].out, ws[t].n_out * sizeof *evals);
            k += ws[t].n_out;
        }
    }
    for (int t = 0; t < n_threads; t++)
        free(ws[t].out);
    for (int t = 0; t < n_threads; t++) {
        if (ws[t].stopped) {
            if (err)
                *err = ws[t].stop_err;
            free(evals);
            free(ws);
            lp_search_ctx_free(&ctx);
            return LP_ERR_LIMIT;
        }
    }
    if (!evals) {
        free(ws);
        lp_search_ctx_free(&ctx);
        return lp_error_set(err, LP_ERR_NOMEM,
                            "search: out of memory keeping the feasible configurations");
    }
    lp_search_rank(evals, n);

    if (ctx.percentile != 50 && n > 0) {
        int sim_threads = n_threads;
        if (simulate_top(&ctx, ws, sim_threads, evals, &n, out->rejected, &out->simulated) !=
            LP_OK) {
            free(evals);
            free(ws);
            lp_search_ctx_free(&ctx);
            return lp_error_set(err, LP_ERR_NOMEM, "search: out of memory simulating");
        }
        /* a simulation the budget stopped counts as a failed check: say so, not a ranking */
        if (lp_budget_check("search", err) != LP_OK) {
            free(evals);
            free(ws);
            lp_search_ctx_free(&ctx);
            return LP_ERR_LIMIT;
        }
    }
    free(ws);
    out->feasible = n;
    lp_search_objective_note(&ctx, out->objective_note, sizeof out->objective_note);
    st = finish(&ctx, evals, n, out, err);
    free(evals);
    if (st == LP_OK && spec->progress)
        spec->progress(spec->progress_ctx, ctx.total, ctx.total);
    lp_search_ctx_free(&ctx);
    out->search_s = now_s() - t0;
    return st;
}
