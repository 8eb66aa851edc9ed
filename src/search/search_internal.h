/*
 * search_internal.h - what the files of src/search/ share: the resolved search (GPUs with
 * their prices and scheduler defaults, option lists, the workload as a perf request), the
 * enumeration as groups of candidates that share one memory plan, and the compact per-candidate
 * result the threads produce. Not public API.
 */
#ifndef LP_SEARCH_INTERNAL_H
#define LP_SEARCH_INTERNAL_H

#include <stdint.h>

#include "llmplan/budget.h"
#include "llmplan/search.h"

/* (The most configurations one search may enumerate: LP_BUDGET_DEFAULT_SEARCH_CONFIGS.) */
/* Most candidates returned in lp_search_result.ranked (the rest are counted in `feasible`). */
#define LP_SEARCH_MAX_RANKED 10000
/* Most GPU counts (1, 2, 4, 8, 16, 24, ...) one search tries. */
#define LP_SEARCH_MAX_COUNTS 256
#define LP_SEARCH_MAX_QUANTS 3
#define LP_SEARCH_MAX_SEQS 8

/** One GPU type of the search with what the loops need about it. */
typedef struct {
    const lp_gpu *gpu;
    double usd_per_gpu_hour; /**< NaN without a price */
    int default_seqs;        /**< vLLM's max_num_seqs default for this GPU and version */
    int default_tokens;      /**< vLLM's max_num_batched_tokens default */
    int seqs[LP_SEARCH_MAX_SEQS];
    int n_seqs; /**< max_num_seqs options (0 = vLLM's default) */
    int tokens[2];
    int n_tokens; /**< max_num_batched_tokens options (0 = vLLM's default) */
} lp_search_gpu;

/**
 * Candidates that share one memory plan and step model: the same GPU, TP, PP, quantization,
 * KV dtype, expert parallelism and scheduler limits; they differ only in the GPU count (data
 * parallel replicas). With expert parallelism the plan depends on DP too, and is recomputed.
 */
typedef struct {
    uint32_t gpu; /**< index into lp_search_ctx.gpus */
    uint16_t tp, pp;
    uint8_t quant; /**< index into lp_search_ctx.quants */
    uint8_t kv;    /**< index into lp_search_ctx.kvs */
    bool ep;
    int seqs, tokens; /**< flag values (0 = vLLM's default) */
    size_t first;     /**< enumeration index of the group's first candidate */
    uint32_t n;       /**< candidates in the group */
    uint32_t layout;  /**< the first group of its layout: groups that differ only in seqs/tokens */
} lp_search_group;

typedef struct {
    const lp_search_spec *spec;
    const lp_model *model;
    lp_search_gpu *gpus;
    size_t n_gpus;
    const char *quants[LP_SEARCH_MAX_QUANTS]; /**< NULL: the checkpoint's own */
    int n_quants;
    lp_dtype kvs[2];
    int n_kvs;
    int counts[LP_SEARCH_MAX_COUNTS]; /**< GPU counts, ascending */
    int n_counts;
    int gpus_per_node;
    int64_t max_model_len;
    double gpu_memory_utilization;
    lp_vllm_version vllm_version;
    int percentile;
    const lp_price_table *prices;

    lp_perf_request req;         /**< the workload as `vllm bench serve` would send it */
    double offered_output_tok_s; /**< output tokens/s a rate or daily volume asks for (0: none) */
    double tail_ttft, tail_tpot, tail_itl; /**< roofline median -> percentile (1 at p50) */
    double output_len_at_pct;              /**< output length at the percentile */
    double input_ratio_at_pct;             /**< input length at the percentile / mean */

    lp_search_group *groups;
    size_t n_groups;
    size_t total; /**< candidates enumerated */
} lp_search_ctx;

/** The compact result of one candidate that fitted and met every target. */
typedef struct {
    size_t index; /**< enumeration index: the deterministic tie-break */
    uint32_t group;
    int num_gpus, dp;
    int max_num_seqs, max_num_batched_tokens; /**< as vLLM resolves them */
    double ttft_ms, tpot_ms, itl_ms, e2e_ms;  /**< at the spec's percentile */
    double output_tok_s, request_s, total_tok_s, max_concurrent_requests;
    int64_t kv_tokens;
    double kv_gib_per_gpu;
    uint8_t decode_bound, prefill_bound;
    bool simulated; /**< latencies at the percentile come from lp_perf_simulate */
    double usd_per_hour, usd_per_million;
    double score, score2; /**< the objective's keys (lower is better) */
    double cross_node_ms; /**< communication a decode step pays for crossing nodes */
    uint64_t deployment;  /**< layout x GPU count: equal for candidates differing in batch limits */
    bool needs_checkpoint; /**< its quantization needs another checkpoint (a tie-break) */
    int nodes;
} lp_search_eval;

/* enumerate.c */
lp_status lp_search_ctx_build(const lp_search_spec *spec, lp_search_ctx *ctx, lp_error *err);
void lp_search_ctx_free(lp_search_ctx *ctx);
/** GPU count of the j-th candidate of group g (j < g->n). */
int lp_search_group_count(const lp_search_ctx *ctx, const lp_search_group *g, uint32_t j);
/** The vLLM flags of a group's candidate with dp replicas. */
void lp_search_group_serving(const lp_search_ctx *ctx, const lp_search_group *g, int dp,
                             lp_serving *s);
/**
 * vLLM support rules the memory planner does not judge (FP8 / AWQ / FP8 KV per GPU); false
 * with a reason when the group is invalid.
 */
bool lp_search_group_supported(const lp_search_ctx *ctx, const lp_search_group *g,
                               const char **why);

/* rank.c */
/** Scores of an evaluation under the spec's objective. */
void lp_search_score(const lp_search_ctx *ctx, lp_search_eval *e);
/** Total order: score, then the secondary key, then the enumeration index. */
int lp_search_eval_cmp(const void *a, const void *b);
/** Deployment key, checkpoint and node count of an evaluation (before ranking it). */
void lp_search_eval_identity(const lp_search_ctx *ctx, lp_search_eval *e);
/**
 * Rank evals[0..n): sort by lp_search_eval_cmp, then reorder each tie (the candidates within
 * LP_SEARCH_TIE_FRACTION of the best score remaining) by E2E latency, checkpoint, nodes, GPUs.
 */
void lp_search_rank(lp_search_eval *evals, size_t n);
/** The objective and what it means for the spec's load (lp_search_result.objective_note). */
void lp_search_objective_note(const lp_search_ctx *ctx, char *buf, size_t size);
/** The spec's workload resolved (no enumeration): for capacity searches and load curves. */
lp_status lp_search_ctx_resolve(const lp_search_spec *spec, lp_search_ctx *ctx, lp_error *err);
/** First target the evaluation misses (LP_REJECT_COUNT when it meets all). */
lp_reject_reason lp_search_check_targets(const lp_search_ctx *ctx, const lp_search_eval *e);
/** The same for the latency targets alone (TTFT, TPOT, ITL, E2E). */
lp_reject_reason lp_search_check_latency(const lp_search_ctx *ctx, const lp_search_eval *e);

/* search.c */
/** Latencies at the spec's percentile from a roofline estimate (medians x tail factors). */
void lp_search_roofline_latencies(const lp_search_ctx *ctx, const lp_perf_estimate *est,
                                  lp_search_eval *e);
/** Fill a public candidate (with its `why`) from an evaluation. */
void lp_search_fill_candidate(const lp_search_ctx *ctx, const lp_search_eval *e, lp_candidate *c);
/**
 * Indices (into evals) of the cost / latency Pareto front, sorted by cost. Returns the count;
 * *out is malloc'd (NULL with 0 when none or out of memory: *nomem says which).
 */
size_t lp_search_pareto(const lp_search_eval *evals, size_t n, size_t **out, bool *nomem);

#endif
