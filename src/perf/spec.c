/*
 * spec.c - speculative decoding in the step model: what one decode step costs when it
 * verifies k drafted tokens per request and the drafter proposes the next k, and what it
 * yields.
 *
 * vLLM V1 (vllm/v1/spec_decode/eagle.py EagleProposer.propose; draft_model and MTP use the
 * same proposer, n-gram runs on the host: vllm/v1/spec_decode/ngram_proposer.py):
 * - the scheduler gives each decoding request 1 + k tokens of the step's budget (its last
 *   sampled token and the k drafts, Scheduler.schedule: num_tokens_with_spec) and k lookahead
 *   KV slots;
 * - the target verifies them in one forward pass: k more query tokens per request, each
 *   attending to the context, logits at every position (the rejection sampler,
 *   vllm/v1/sample/rejection_sampler.py);
 * - the drafter then runs one pass over the step's accepted tokens (the target's hidden
 *   states of every position it keeps) and k - 1 passes of one token per request, each
 *   ending in a greedy argmax over its vocabulary;
 * - drafted tokens are accepted left to right until the first rejection, then one token is
 *   sampled from the target: with acceptance a per token, a step yields
 *   (1 - a^(k+1)) / (1 - a) tokens per request on average (Leviathan et al. 2023).
 * A drafter pass is priced like a target step (lp_step_eval on the drafter's constants: its
 * weights streamed, its FLOPs, its KV read, its per-layer kernel floors) plus the proposer's
 * host time between passes. Speculation pays when decode steps are
 * memory-bound (few requests) and costs when they are compute-bound (many): lp_spec_report
 * finds the client concurrency where it stops paying.
 * It does not model tree drafts, per-position acceptance decay, or draft-model TP 1 on a
 * larger target TP (priced at the target's TP).
 */
#include <math.h>
#include <string.h>

#include "perf/perf_internal.h"

/* A greedy argmax reads the drafter's fp32 logits once after the lm_head wrote them: 8 bytes
 * per logit (the full sampler's 48 bytes, step.c, include softmax and a random draw). */
#define LP_DRAFT_ARGMAX_BYTES_PER_LOGIT 8.0
/* Host time of the n-gram proposer per request and step (a KMP match over the request's
 * tokens in NgramProposer.propose, numba on the CPU): assumed, not measured. */
#define LP_NGRAM_HOST_PER_SEQ_S 20e-6
/*
 * Host time of one drafter pass beyond its GPU work: the proposer's Python loop between
 * passes (positions, slot mapping and attention metadata for the next token, then argmax), which
 * at small batches the GPU waits for. 0.3 ms: fitted on the fit rows 68-79 of
 * ../shared/validation/serving_modes.tsv (vllm-project/vllm issue #20780: EAGLE-1 and EAGLE-3
 * heads on Llama-3.1-8B-Instruct at batch 1, k = 2..7, TPOT against the same run's vanilla
 * TPOT of row 67, each row's acceptance length as input). Their GPU is not stated; H100 was
 * assumed (llmplan's vanilla TPOT there, 7.16 ms, is the run's 7.07 ms). Median |error| of the
 * TPOT ratio 11 % (EAGLE-1 within 4 %, EAGLE-3 18-25 % under-costed); checked on the holdout
 * rows 81-84 (vllm PR #16937, H100) by `llmplan accuracy`.
 */
#define LP_SPEC_DRAFT_PASS_HOST_S 0.3e-3
/* Client concurrencies tried when looking for the crossover (doubling, then bisection). */
#define LP_SPEC_CROSSOVER_PROMPTS_PER_CLIENT 8

int lp_spec_k_at(const lp_step_model *sm, double seqs) {
    const lp_spec_step *sp = &sm->spec;
    if (sp->k <= 0)
        return 0;
    if (sp->disable_by_batch_size > 0 && seqs > sp->disable_by_batch_size)
        return 0;
    return sp->k;
}

double lp_spec_yield(const lp_step_model *sm, double seqs) {
    return lp_spec_k_at(sm, seqs) > 0 ? sm->spec.accept_len : 1.0;
}

/* The plan a drafter runs with: the target's settings on one stage of its own layers. */
static void draft_plan(const lp_mem_plan *target, const lp_spec_plan *p, lp_mem_plan *out) {
    *out = *target;
    out->pp = 1;
    out->tp = p->draft_tp;
    out->n_ranks = 1;
    out->binding_rank = 0;
    out->ranks[0] = target->ranks[target->n_ranks - 1];
    out->ranks[0].pp_rank = 0;
    out->ranks[0].layers = p->draft.num_layers;
    if (p->method != LP_SPEC_MTP)
        out->quant = p->draft.quant;
    const lp_model *d = &p->draft;
    if (d->use_mla) {
        out->kv_heads_per_rank = 1;
    } else {
        int64_t per = d->num_kv_heads / p->draft_tp;
        out->kv_heads_per_rank = (int)(per < 1 ? 1 : per);
    }
    out->n_notes = 0;
}

lp_status lp_spec_step_init(const lp_model *m, const lp_cluster *cluster, const lp_mem_plan *plan,
                            const lp_serving *s, lp_step_model *sm, lp_perf_estimate *est,
                            lp_error *err) {
    memset(&sm->spec, 0, sizeof sm->spec);
    if (s->speculative.method == LP_SPEC_NONE)
        return LP_OK;
    static _Thread_local lp_spec_plan p;      /* holds a model */
    static _Thread_local lp_mem_plan dplan;   /* about 12 KB */
    static _Thread_local lp_step_model draft; /* the drafter's step */
    lp_status st = lp_spec_plan_resolve(m, s, &p, err);
    if (st != LP_OK)
        return st;
    lp_spec_step *sp = &sm->spec;
    sp->k = p.k;
    sp->acceptance = p.acceptance_rate;
    sp->accept_len = p.mean_acceptance_length;
    sp->disable_by_batch_size = s->speculative.disable_by_batch_size;
    sp->tp = p.draft_tp;
    if (p.method == LP_SPEC_NGRAM) {
        sp->host_drafter = true;
        sp->host_per_seq_s = LP_NGRAM_HOST_PER_SEQ_S;
    } else {
        draft_plan(plan, &p, &dplan);
        if ((st = lp_step_model_init(&p.draft, cluster, &dplan, &draft, NULL, err)) != LP_OK)
            return st;
        const double dtype_b = lp_dtype_bytes(plan->dtype);
        sp->weight_bytes = draft.weight_bytes + p.extra_params * dtype_b;
        sp->linear_flops_per_token = draft.linear_flops_per_token + 2.0 * p.extra_params;
        sp->lm_head_flops_per_token = draft.lm_head_flops_per_token;
        sp->attn_flops_per_ctx = draft.attn_flops_per_ctx;
        sp->kv_bytes_per_token = draft.kv_bytes_per_token;
        sp->layers = draft.layers;
        sp->sampler_bytes_per_seq = (double)p.draft.vocab_size * LP_DRAFT_ARGMAX_BYTES_PER_LOGIT;
        sp->moe_layers = draft.moe_layers;
        sp->experts = draft.experts;
        sp->experts_total = draft.experts_total;
        sp->topk = draft.topk;
        sp->expert_bytes = draft.expert_bytes;
        sp->expert_flops_per_token = draft.expert_flops_per_token;
        sp->allreduces_per_step = draft.allreduces_per_step;
        sp->allreduce_bytes_per_token = draft.allreduce_bytes_per_token;
    }
    lp_perf_assume(est,
                   "speculative decoding %s, %d tokens per step: acceptance %.2f per token (%s), "
                   "so %.2f tokens per verification",
                   lp_spec_method_name(p.method), p.k, p.acceptance_rate, p.acceptance_source,
                   p.mean_acceptance_length);
    if (sp->host_drafter)
        lp_perf_assume(est,
                       "n-gram proposals on the host: %.0f us per request per step assumed (not "
                       "measured); the target verifies %d extra tokens per request",
                       1e6 * LP_NGRAM_HOST_PER_SEQ_S, p.k);
    else
        lp_perf_assume(est,
                       "drafter: %.0f layer%s, %.2f GiB read per pass; one pass over the step's "
                       "tokens then %d of one token per request, each with %.1f ms of proposer "
                       "host time (fitted on vLLM's EAGLE batch-1 runs)",
                       sp->layers, sp->layers == 1 ? "" : "s", sp->weight_bytes / 1073741824.0,
                       p.k - 1, 1e3 * LP_SPEC_DRAFT_PASS_HOST_S);
    return LP_OK;
}

/* One drafter pass: the target's hardware and efficiencies, the drafter's constants. */
static void draft_pass(const lp_step_model *sm, const lp_step_batch *b, lp_step_time *out) {
    lp_step_model d = *sm;
    const lp_spec_step *sp = &sm->spec;
    d.spec.k = 0;
    d.weight_bytes = sp->weight_bytes;
    d.linear_flops_per_token = sp->linear_flops_per_token;
    d.lm_head_flops_per_token = sp->lm_head_flops_per_token;
    d.attn_flops_per_ctx = sp->attn_flops_per_ctx;
    d.kv_bytes_per_token = sp->kv_bytes_per_token;
    d.layers = sp->layers;
    d.sampler_bytes_per_seq = sp->sampler_bytes_per_seq;
    d.moe_layers = sp->moe_layers;
    d.experts = sp->experts;
    d.experts_total = sp->experts_total;
    d.topk = sp->topk;
    d.expert_bytes = sp->expert_bytes;
    d.expert_flops_per_token = sp->expert_flops_per_token;
    d.allreduces_per_step = sp->allreduces_per_step;
    d.allreduce_bytes_per_token = sp->allreduce_bytes_per_token;
    d.window = d.window_fraction = 0;
    d.pp_stages = 1;
    d.scheduler_steps = 1;
    /* no scheduling of its own: the proposer's loop between passes is its host time */
    d.eff.step_overhead_s = LP_SPEC_DRAFT_PASS_HOST_S;
    d.eff.per_seq_overhead_s = 0;
    lp_step_eval(&d, b, out);
}

static void add_time(lp_step_time *to, const lp_step_time *t) {
    to->total_s += t->total_s;
    to->compute_s += t->compute_s;
    to->memory_s += t->memory_s;
    to->comm_s += t->comm_s;
    to->host_s += t->host_s;
    to->launch_s += t->launch_s;
}

void lp_spec_step_eval(const lp_step_model *sm, const lp_step_batch *b, lp_step_time *out) {
    const int k = lp_spec_k_at(sm, b->decode_seqs);
    lp_step_model t = *sm;
    t.spec.k = 0;
    lp_step_batch v = *b;
    const double seqs = b->decode_seqs;
    const double ctx = seqs > 0 ? b->decode_ctx / seqs : 0;
    if (k > 0 && seqs > 0) {
        /* the k drafts ride with each request's last token: query tokens attending to the
         * context and the drafts before them, with logits at every position */
        v.prefill_tokens += seqs * k;
        v.prefill_ctx += seqs * k * (ctx + 0.5 * (k + 1));
        v.prefill_seqs += seqs * k;
    }
    lp_step_eval(&t, &v, out);
    /* requests that get new drafts: the decoding ones and those whose prefill completes */
    const double drafted = (k > 0 ? seqs : 0) + b->prefill_seqs;
    if (sm->spec.k <= 0 || drafted <= 0)
        return;
    lp_step_time p;
    if (sm->spec.host_drafter) {
        double host = sm->spec.host_per_seq_s * drafted;
        out->host_s += host;
        out->total_s += host;
        return;
    }
    const int kk = sm->spec.k;
    const double accepted = k > 0 ? seqs * sm->spec.accept_len : 0;
    /* first pass: every token the step keeps (the accepted ones of the decoding requests,
     * the prompt chunks), then kk - 1 passes of one token per drafted request */
    lp_step_batch first = {k > 0 ? seqs : 0, k > 0 ? b->decode_ctx : 0,
                           fmax(accepted - (k > 0 ? seqs : 0), 0) + b->prefill_tokens,
                           fmax(accepted - (k > 0 ? seqs : 0), 0) * ctx + b->prefill_ctx,
                           b->prefill_seqs};
    draft_pass(sm, &first, &p);
    add_time(out, &p);
    double ctx_all = (k > 0 ? b->decode_ctx : 0) +
                     (b->prefill_seqs > 0 && b->prefill_tokens > 0
                          ? b->prefill_seqs * (b->prefill_ctx / b->prefill_tokens * 2.0)
                          : 0);
    lp_step_batch next = {drafted, ctx_all, 0, 0, 0};
    for (int i = 1; i < kk; i++) {
        next.decode_ctx += drafted; /* each pass appends one drafted token per request */
        draft_pass(sm, &next, &p);
        add_time(out, &p);
    }
}

/* Output tokens per second and TPOT of req on sm (roofline, quiet). */
static void roofline_at(const lp_step_model *sm, const lp_perf_request *req, int replicas,
                        int clients, double *tok_s, double *tpot_ms) {
    static _Thread_local lp_perf_estimate e;
    lp_perf_request r = *req;
    if (clients > 0) {
        r.workload.max_concurrency = clients;
        r.workload.request_rate = 0;
        r.workload.num_prompts = clients * LP_SPEC_CROSSOVER_PROMPTS_PER_CLIENT;
    }
    memset(&e, 0, sizeof e);
    lp_perf_roofline_quiet(sm, &r, replicas, &e);
    *tok_s = e.output_tok_s;
    *tpot_ms = e.tpot_ms.mean;
}

/* Whether speculation gives at least the output throughput of none at `clients`. */
static bool pays_at(const lp_step_model *spec, const lp_step_model *base, const lp_perf_request *r,
                    int replicas, int clients) {
    double ts, tb, ps, pb;
    roofline_at(spec, r, replicas, clients, &ts, &ps);
    roofline_at(base, r, replicas, clients, &tb, &pb);
    return ts >= tb;
}

void lp_spec_report(const lp_step_model *sm, const lp_step_model *base, const lp_perf_request *req,
                    int replicas, lp_perf_estimate *out) {
    lp_mode_stats *ms = &out->modes;
    ms->spec_method = req->serving.speculative.method;
    ms->spec_k = sm->spec.k;
    ms->spec_acceptance_rate = sm->spec.acceptance;
    if (!(ms->spec_mean_acceptance_length > 0)) /* the simulation counts its own */
        ms->spec_mean_acceptance_length = sm->spec.accept_len;
    double ts, tb, ps, pb;
    roofline_at(sm, req, replicas, 0, &ts, &ps);
    roofline_at(base, req, replicas, 0, &tb, &pb);
    ms->spec_speedup = ps > 0 ? pb / ps : 0;
    /* the crossover: double the clients until speculation stops paying, then bisect */
    int limit = sm->max_num_seqs * (replicas > 0 ? replicas : 1);
    int lo = 0, hi = 0;
    for (int c = 1; c <= limit; c *= 2) {
        if (!pays_at(sm, base, req, replicas, c)) {
            hi = c;
            break;
        }
        lo = c;
        if (c > limit / 2 && c < limit)
            c = limit / 2; /* try the limit itself next */
    }
    if (hi > 0) {
        while (hi - lo > 1) {
            int mid = lo + (hi - lo) / 2;
            if (pays_at(sm, base, req, replicas, mid))
                lo = mid;
            else
                hi = mid;
        }
    }
    ms->spec_crossover_concurrency = hi;
    if (hi > 0)
        lp_perf_assume(out,
                       "speculative decoding: TPOT x%.2f of none at this workload; from %d "
                       "concurrent requests on it gives less output throughput than none "
                       "(roofline, closed loop)",
                       1.0 / fmax(ms->spec_speedup, 1e-9), hi);
    else
        lp_perf_assume(out,
                       "speculative decoding: TPOT x%.2f of none at this workload; it pays up to "
                       "max-num-seqs (%d) concurrent requests (roofline, closed loop)",
                       1.0 / fmax(ms->spec_speedup, 1e-9), limit);
}
