/*
 * perf_internal.h - the pieces of src/perf/ behind lp_estimate_performance: the preparation
 * of a request and the heuristic method. Not public API (the roofline and the simulation on a
 * prepared step model are perf.h's).
 */
#ifndef LP_PERF_INTERNAL_H
#define LP_PERF_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "llmplan/perf.h"

/** One side of a ShareGPT pair as dist.c samples it: a cut shape located for its mean. */
typedef struct {
    bool output;         /**< exponential (outputs) or log-normal (prompts) */
    double location;     /**< exponential mean, or log-normal mu */
    double a, b;         /**< continuous cut [a, b) */
    double cdf_a, cdf_b; /**< CDF of the uncut shape at a and b */
} lp_len_shape;

/**
 * Draws (prompt, output) pairs the way `vllm bench serve` keeps them: a ShareGPT side follows
 * its fitted shape, and when the prompt is from ShareGPT a pair longer than 2048 tokens is
 * dropped and redrawn (vllm/benchmarks/dataset_utils.py is_valid_sequence). Other kinds are
 * drawn as lp_len_sample draws them.
 */
typedef struct {
    lp_len_dist in, out;
    bool sharegpt_in, sharegpt_out;
    lp_len_shape in_shape, out_shape;
} lp_len_pair_sampler;

/** Prepare a pair sampler (solves the ShareGPT shapes once). LP_ERR_INVALID_ARG when the
 * filter can keep no pair (a fixed output over 2044 tokens with ShareGPT prompts). */
lp_status lp_len_pair_init(lp_len_pair_sampler *s, const lp_len_dist *in, const lp_len_dist *out,
                           lp_error *err);

/** Draw one pair; LP_ERR_INVALID_ARG if no valid pair turned up in many draws. */
lp_status lp_len_pair_sample(const lp_len_pair_sampler *s, lp_rng *r, int64_t *in, int64_t *out,
                             lp_error *err);

/**
 * A model named by id as an estimate resolves it: the embedded catalog only (no file, cache or
 * network); an id outside it is an error saying to load the model first.
 */
lp_status lp_perf_model_by_id(const char *id, lp_model *out, lp_error *err);

/**
 * Everything lp_estimate_performance does before a method runs: resolve the GPU and the model
 * (model_buf is scratch for one loaded by id), turn num_gpus into replicas, plan the memory
 * (LP_ERR_INFEASIBLE when it does not fit), prepare the step model and apply
 * req->efficiency. est (may be NULL) receives the assumptions. Shared with calibration, which
 * prepares each point once and evaluates many efficiencies.
 */
lp_status lp_perf_prepare(const lp_perf_request *req, lp_model *model_buf, lp_step_model *sm,
                          int *replicas, const lp_gpu **gpu_out, lp_perf_estimate *est,
                          lp_error *err);

/**
 * Run req's method (roofline or simulate) on a prepared step model into out, after
 * lp_perf_prepare: the tail of lp_estimate_performance, shared with the cached batch path
 * (batch.c). quiet: the roofline leaves out its assumption texts. Returns LP_OK with
 * out->valid, or the simulation's error with out->valid false.
 */
lp_status lp_perf_run(const lp_step_model *sm, const lp_perf_request *req, int replicas,
                      lp_perf_estimate *out, bool quiet);

/**
 * A disaggregated deployment (req->serving.disaggregation) by req's method (roofline or
 * simulate, disagg_sim.c): both
 * roles' memory plans and step models, the KV transfer, the pair's statistics, out->modes.disagg
 * and the assumptions; out->valid on LP_OK. Errors name the pool ("prefill pool: ...").
 */
lp_status lp_perf_disagg(const lp_perf_request *req, lp_perf_estimate *out, lp_error *err);

/**
 * The simulation of a disaggregated pair (disagg_sim.c): x prefill instances on step model
 * prefill, y decode instances on decode, the KV transfer xfer of a mean prompt (scaled per
 * request by its prompt), req's workload. Fills the latencies (with percentiles), throughputs,
 * mean_batch, decode_tok_s, completed, duration_s and replicas (y) of out. LP_ERR_INFEASIBLE
 * for a request longer than max-model-len or a decode instance's KV cache, LP_ERR_NOMEM.
 */
lp_status lp_perf_disagg_simulate(const lp_step_model *prefill, const lp_step_model *decode,
                                  const lp_kv_transfer *xfer, int x, int y,
                                  const lp_perf_request *req, lp_perf_estimate *out, lp_error *err);

/** What the simulation adds around the engine: vLLM's API server. */
typedef struct {
    double api_ingress_s; /**< per request, client send to engine, one request at a time */
    double api_egress_s;  /**< end of an engine step to the client seeing its tokens */
} lp_sim_frontend;

/** The API-server times lp_perf_simulate uses (fitted; see simulate.c). */
void lp_sim_frontend_default(lp_sim_frontend *fe);

/*
 * How a request's first token waits, for the analytic methods (ttft.c): the one home of the
 * rules the roofline and the heuristic share. A request arriving while other requests keep the
 * engine stepping waits for the step in progress (half of one on average); then its own
 * prefill steps run; before that it may wait in vLLM's queue; and the API server takes its
 * time on both sides of the engine.
 */

/** Half the step in progress when the engine is busy with other requests, else 0. */
double lp_ttft_step_wait_s(double step_s, bool busy);

/** The API server's time per request in TTFT and E2E (ingress + egress, lp_sim_frontend). */
double lp_ttft_api_s(void);

/** Queue wait with a closed loop of `clients` when only `cap` run: (clients / cap - 1) service
 *  times of a request. */
double lp_queue_wait_closed_s(double clients, double cap, double service_s);

/** Mean wait of n requests offered at offered_rps to an engine serving served_rps: the backlog
 *  grows over the run and the mean request waits for half of it. */
double lp_queue_wait_backlog_s(double n, double served_rps, double offered_rps);

/** n requests sent at once to an engine running c at a time: waves of c, the mean request
 *  waits (n / c - 1) / 2 service times. */
double lp_queue_wait_waves_s(double n, double c, double service_s);

/** lp_perf_simulate with the given API-server times (0 and 0: the engine alone). */
lp_status lp_perf_simulate_with(const lp_step_model *sm, const lp_sim_frontend *fe,
                                const lp_perf_request *req, int replicas, lp_perf_estimate *out,
                                lp_error *err);

/** A step with speculative decoding (spec.c): the target verifies k drafts per decoding
 *  request, then the drafter's passes; called by lp_step_eval when sm->spec.k > 0. */
void lp_spec_step_eval(const lp_step_model *sm, const lp_step_batch *b, lp_step_time *out);

/**
 * Fill out->modes with what speculation does at req's workload (acceptance, mean acceptance
 * length, TPOT speed-up against base, the step model without speculation) and the client
 * concurrency from which it stops paying; adds the assumptions. Roofline sweeps, quiet.
 */
/** Prefix caching of shared prompt prefixes at a steady state (prefix.c). */
typedef struct {
    bool on;              /**< prefix caching on (vLLM's default) */
    double cached_tokens; /**< prefix tokens one hit covers (full blocks, < the prompt) */
    double kept;          /**< fraction of the prefixes the KV cache keeps between uses */
    double cold_share;    /**< requests that are a prefix's first use (a miss) */
    double hit_tokens;    /**< mean prompt tokens per request served from the cache */
    double shared_tokens; /**< KV tokens the kept prefixes hold, shared by their requests */
    double hit_rate;      /**< hit_tokens / mean prompt tokens */
} lp_prefix_state;

/** The prefix-cache hits of req's workload on sm with `running` requests holding the KV cache
 *  (all zero when caching is off or prompts share no prefix). */
void lp_prefix_hits(const lp_step_model *sm, const lp_perf_request *req, double running,
                    lp_prefix_state *out);

/** One shared prefix in the simulation's prefix cache (prefix_cache.c). */
typedef struct {
    int32_t len;     /**< full blocks of the prefix (the chain of block hashes) */
    int32_t cached;  /**< leading blocks still valid, in use or in the free queue */
    int32_t refs;    /**< running requests holding it */
    int64_t segment; /**< its free-queue segment while nobody holds it (-1: none) */
} lp_pc_chain;

/** The simulation's prefix cache: the shared prefixes and the hit counts. */
typedef struct {
    lp_pc_chain *chains;
    int n_chains;
    double query_tokens, hit_tokens; /**< vLLM's PrefixCacheStats, in tokens */
} lp_prefix_cache;

/** Assign each of n_requests requests of w its shared prefix (chain_of[i], -1: none) and set
 *  up one chain per prefix of w->prefix_len / block_tokens full blocks, or, with num_turns > 1,
 *  one empty chain per conversation (request i in conversation i mod ceil(n / num_turns)).
 *  LP_ERR_NOMEM. */
lp_status lp_prefix_cache_init(lp_prefix_cache *pc, const lp_workload *w, int block_tokens,
                               int n_requests, int32_t *chain_of, lp_error *err);
void lp_prefix_cache_free(lp_prefix_cache *pc);
/** Blocks of `chain` a request admitted now finds (all while someone holds it). */
int32_t lp_prefix_cache_hit_blocks(const lp_prefix_cache *pc, int32_t chain);
/** A request takes `chain`: returns the blocks this costs the free pool (the whole chain when
 *  nobody held it), *from_queue of which are its cached blocks leaving the free queue. */
int32_t lp_prefix_cache_acquire(lp_prefix_cache *pc, int32_t chain, int32_t *from_queue);
/** A holder of `chain` finished or was preempted: true when the chain goes to the free queue. */
bool lp_prefix_cache_release(lp_prefix_cache *pc, int32_t chain);
/** A holder of `chain` appends `blocks` full blocks to it (a conversation's answered turn). */
void lp_prefix_cache_extend(lp_prefix_cache *pc, int32_t chain, int32_t blocks);
void lp_prefix_cache_count(lp_prefix_cache *pc, double query_tokens, double hit_tokens);
/** Hit tokens / query tokens so far (0 with no query). */
double lp_prefix_cache_hit_rate(const lp_prefix_cache *pc);

/** Fill sm->lora from the plan's LoRA slots, one adapter for every request (lora_step.c; called
 *  by lp_step_model_init). Leaves it off without --enable-lora. */
void lp_lora_step_fill(const lp_mem_plan *plan, lp_step_model *sm);
/** The workload's adapters into sm->lora (filled before), and the assumptions. */
void lp_lora_step_init(const lp_mem_plan *plan, const lp_workload *w, lp_step_model *sm,
                       lp_perf_estimate *est);
/** Expected distinct adapters among `seqs` requests, at most --max-loras. */
double lp_lora_expected_adapters(const lp_step_model *sm, double seqs);
/** LoRA's share of a step of `tokens` tokens with `adapters` distinct adapters (0: the
 *  expected number): *flop_s and *byte_s, the shrink/expand compute and adapter reads (to be
 *  priced as one operator), and the kernels' fixed time (returned). */
double lp_lora_step_s(const lp_step_model *sm, const lp_step_batch *b, double adapters,
                      double tokens, double s_flop, double s_byte, double *flop_s, double *byte_s);
/** fmax and fmin as glibc computes them (a NaN argument gives the other one; equal values give
 *  the second), inline: libm's are function calls on x86-64, and the roofline's fixed point
 *  makes dozens per estimate. */
static inline double lp_fmax(double a, double b) {
    if (b != b)
        return a;
    if (a != a)
        return b;
    return a > b ? a : b;
}

static inline double lp_fmin(double a, double b) {
    if (b != b)
        return a;
    if (a != a)
        return b;
    return a < b ? a : b;
}

/** The collectives of one step model's steps (TP all-reduces, pipeline hand-offs, EP
 *  gathers), planned once: lp_step_comm_time gives lp_step_comm_s's value bit for bit. */
typedef struct {
    bool tp_on, pp_on, pp_gather_on, ep_on;
    int pp_tp, ep_dp;
    lp_collective_plan tp_allreduce, pp_across, pp_inside, pp_gather, ep_gather, ep_scatter;
} lp_step_comm;

/** Plan sm's collectives into c. */
void lp_step_comm_init(const lp_step_model *sm, lp_step_comm *c);
/** lp_step_comm_s(sm, tokens) with c planned from sm. */
double lp_step_comm_time(const lp_step_model *sm, const lp_step_comm *c, double tokens);

/** What lp_step_eval works out from the step model alone, for evaluating many batches of one
 *  step model (the roofline's fixed point): lp_step_prep_init, then lp_step_eval_prep, which
 *  gives lp_step_eval's result bit for bit. Stale once sm changes. */
typedef struct {
    bool spec;                       /**< speculative decoding: spec.c prices the step */
    double gemm_scale, expert_scale; /**< share of compute_eff GEMMs / grouped GEMMs reach */
    double s_flop, s_byte;           /**< seconds per GEMM FLOP and per byte */
    double weights_s;                /**< reading the weights once */
    double moe_share;                /**< routed experts' share of the streaming rate */
    double kv_share;                 /**< memory_eff over the paged-attention efficiency */
    double attn_rate;                /**< attention FLOPS at compute_eff */
    double attn_prefill_rate;        /**< prefill attention FLOPS at attn_compute_eff */
    bool lora;                       /**< LoRA adapters priced (lora_step.c) */
    double floors;                   /**< kernel floors of the layers and MoE layers */
    lp_step_comm comm;               /**< the step's collectives */
    bool any_comm;                   /**< TP, PP or EP communication in the step */
    double steps;                    /**< V0 multi-step: host overhead shared by N steps */
    double pp;                       /**< pipeline stages a step crosses */
} lp_step_prep;

/** Work out p from sm (call again after sm changes). */
void lp_step_prep_init(const lp_step_model *sm, lp_step_prep *p);
/** lp_step_eval_adapters(sm, b, adapters, out) with p prepared from sm. */
void lp_step_eval_prep(const lp_step_model *sm, const lp_step_prep *p, const lp_step_batch *b,
                       double adapters, lp_step_time *out);

/** lp_step_eval with the batch's distinct LoRA adapters counted by the caller (0: expected). */
void lp_step_eval_adapters(const lp_step_model *sm, const lp_step_batch *b, double adapters,
                           lp_step_time *out);

void lp_spec_report(const lp_step_model *sm, const lp_step_model *base, const lp_perf_request *req,
                    int replicas, lp_perf_estimate *out);

/**
 * Heuristic method (the quick one of the original design): needs only params_b and a GPU.
 * model may be NULL (then params_b is used).
 */
lp_status lp_perf_heuristic(const lp_perf_request *req, const lp_model *model, const lp_gpu *gpu,
                            lp_perf_estimate *out, lp_error *err);

#endif
