/*
 * llmplan/search.h - recommendation: search the deployment space under latency targets.
 *
 * The search enumerates GPU type x GPU count (several nodes included) x tensor / pipeline /
 * data parallel sizes x expert parallelism x weight quantization x KV-cache dtype x scheduler
 * limits; drops what vLLM would reject or what does not fit (memory first: the cheapest test);
 * estimates the survivors with the roofline; keeps those that meet every target; ranks them by
 * the objective; and computes the Pareto front of cost against latency. Deterministic: the
 * same spec gives the same ranking whatever the number of threads.
 */
#ifndef LLMPLAN_SEARCH_H
#define LLMPLAN_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/perf.h"
#include "llmplan/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Prices ------------------------------------------------------------------------------ */

/** One price: $ per GPU-hour for a GPU name, with where and when it was listed. */
typedef struct {
    char gpu[64]; /**< GPU name as in the GPU database (matched with lp_gpu_find) */
    double usd_per_gpu_hour;
    char provider[64];
    char date[16]; /**< YYYY-MM-DD the price was listed */
    char source[256];
} lp_price;

/** A price table (the shipped default data/prices.tsv, or a user --price-file). */
typedef struct lp_price_table lp_price_table;

/** The embedded default table (never freed). NULL only if the embedded data is corrupt. */
const lp_price_table *lp_price_table_builtin(void);
/** Read a TSV file with columns gpu, usd_per_gpu_hour, provider, date, source. */
lp_status lp_price_table_load(const char *path, lp_price_table **out, lp_error *err);
void lp_price_table_free(lp_price_table *t);
/** Where the table came from ("data/prices.tsv (embedded)" or the file path). */
const char *lp_price_table_origin(const lp_price_table *t);
/** The cheapest price for a GPU, or NULL when the table has none. */
const lp_price *lp_price_for(const lp_price_table *t, const lp_gpu *gpu);

/* ---- The search -------------------------------------------------------------------------- */

typedef enum {
    LP_OBJ_THROUGHPUT_PER_GPU = 0, /**< most output tokens/s per GPU */
    LP_OBJ_COST,                   /**< lowest $ per million output tokens */
    LP_OBJ_LATENCY,                /**< lowest E2E latency (then TTFT) at the percentile */
    LP_OBJ_GPUS                    /**< fewest GPUs, then throughput */
} lp_objective;

const char *lp_objective_name(lp_objective o);
lp_status lp_objective_parse(const char *name, lp_objective *out, lp_error *err);

/** Why a candidate was dropped (counted in lp_search_result.rejected). */
typedef enum {
    LP_REJECT_INVALID = 0, /**< vLLM would refuse the parallel layout or quantization */
    LP_REJECT_NO_FIT,      /**< does not fit the GPUs' memory */
    LP_REJECT_TTFT,
    LP_REJECT_TPOT,
    LP_REJECT_ITL,
    LP_REJECT_E2E,
    LP_REJECT_THROUGHPUT,
    LP_REJECT_COUNT
} lp_reject_reason;

const char *lp_reject_reason_name(lp_reject_reason r);

/** What to search. Zero/NULL fields take the documented defaults. */
typedef struct {
    const lp_model *model;
    const lp_gpu *const *gpus; /**< GPU types to consider (NULL: every GPU in the database) */
    size_t n_gpus;
    int max_gpus;      /**< most GPUs in one deployment (default 8) */
    int gpus_per_node; /**< default 8 */
    /** The network between nodes (infiniband, roce, ethernet) when given; otherwise RDMA at
     *  400 Gb/s per GPU is assumed. */
    lp_link_kind inter_node_link;
    bool inter_node_link_given;
    bool allow_multi_node_tp; /**< tensor parallelism across nodes (default: only in a node) */
    bool allow_quantization;  /**< also try fp8 and 4-bit weights when the checkpoint is 16-bit */
    bool no_fp8_kv;           /**< do not try --kv-cache-dtype fp8 */
    bool no_expert_parallel;  /**< do not try --enable-expert-parallel on MoE models */
    int64_t max_model_len;    /**< context to serve (default: longest input + output) */
    double gpu_memory_utilization; /**< default 0.9 */
    lp_vllm_version vllm_version;

    /** The load. One arrival process is searched: workload.request_rate when > 0, else
     *  workload.max_concurrency when > 0, else daily_output_tokens as a mean rate, else every
     *  request at once. The p90/p99 simulation of the best candidates uses 1000 prompts and
     *  seed 0, whatever workload.num_prompts says. */
    lp_workload workload;
    double daily_output_tokens; /**< output tokens per day (converted to a mean rate) */

    lp_targets targets;
    lp_objective objective;
    const lp_price_table *prices; /**< NULL: the embedded table */

    int threads; /**< 0: every core */
    /** Called from one thread with the candidates done so far (may be NULL). */
    void (*progress)(void *ctx, size_t done, size_t total);
    void *progress_ctx;
} lp_search_spec;

/** Fill spec with defaults (objective throughput per GPU, 8 GPUs, percentile 50). */
void lp_search_spec_init(lp_search_spec *spec);

/** How a configuration's capacity at the targets was found. */
typedef enum {
    LP_CAPACITY_NONE = 0, /**< not computed */
    LP_CAPACITY_ROOFLINE, /**< median targets: the roofline over the load */
    LP_CAPACITY_SIMULATED /**< p90/p99 targets: bracketed by the roofline, refined by simulation */
} lp_capacity_method;

/** Name of a capacity method ("none", "roofline", "simulation"). */
const char *lp_capacity_method_name(lp_capacity_method m);

/**
 * One batch-limit setting of a deployment (its --max-num-seqs / --max-num-batched-tokens)
 * that meets the targets, with what the search estimated for it. A ranked deployment shows
 * its best; lp_search_result.variants holds all of them.
 */
typedef struct {
    int max_num_seqs, max_num_batched_tokens; /**< as vLLM resolves them */
    double ttft_ms, tpot_ms, itl_ms, e2e_ms;  /**< at the spec's percentile */
    double output_tok_s;
    double max_concurrent_requests;
    int64_t kv_tokens;
    double score;
    bool simulated;
} lp_batch_variant;

/** One evaluated configuration. */
typedef struct {
    const lp_gpu *gpu; /**< points into the GPU database given */
    int num_gpus, nodes;
    int tp, pp, dp;
    bool expert_parallel;
    char quantization[32];   /**< vLLM --quantization value, "" for the checkpoint's own */
    lp_dtype kv_cache_dtype; /**< the --kv-cache-dtype flag: AUTO or FP8 */
    int max_num_seqs, max_num_batched_tokens; /**< as vLLM resolves them (defaults filled in) */
    int64_t max_model_len;
    double gpu_memory_utilization;
    lp_vllm_version vllm_version; /**< the release whose behaviour was reproduced */

    /* estimate (roofline; latencies at the spec's percentile) */
    double ttft_ms, tpot_ms, itl_ms, e2e_ms;
    double output_tok_s, request_s, total_tok_s;
    double output_tok_s_per_gpu;
    double max_concurrent_requests;
    int64_t kv_tokens;
    lp_bottleneck decode_bound, prefill_bound;

    /* cost (NaN when the price table has no price for the GPU) */
    double usd_per_hour;
    double usd_per_million_output_tokens;
    /** What crossing nodes adds to one decode step (ms): 0 inside one node. */
    double cross_node_ms;

    bool meets_targets;
    lp_reject_reason reject; /**< when !meets_targets */
    bool pareto;             /**< on the cost / latency Pareto front */
    double score;            /**< the objective's key (lower is better) */
    bool simulated;          /**< p90/p99 latencies from the simulation (else roofline x tail) */
    char why[200];           /**< why it ranks where it does (or why it was rejected) */

    /* the deployment: configurations that differ only in their batch limits are one */
    size_t n_variants;     /**< its batch-limit settings meeting the targets (this one first) */
    size_t variants_first; /**< where they are in lp_search_result.variants */

    /* capacity at the targets (lp_search_capacity; NaN / LP_CAPACITY_NONE until computed) */
    double max_request_rate; /**< req/s it sustains meeting every target (0: none) */
    /** Clients it holds at that rate (closed loop), by Little's law: max_request_rate x mean
     *  E2E latency there (roofline). Sizes replicas for a --max-concurrency load. */
    double max_concurrency;
    double saturation_request_rate; /**< req/s at full load, targets aside (roofline) */
    lp_capacity_method capacity_method;
    lp_reject_reason capacity_limit; /**< what stops more load: a target, or THROUGHPUT */
    int replicas; /**< copies needed for the offered load with headroom (0: no load given) */
} lp_candidate;

/** The outcome of a search. Arrays are owned by the result (lp_search_result_free). */
typedef struct {
    lp_candidate *ranked; /**< candidates meeting every target, best first */
    size_t n_ranked;
    lp_candidate *pareto; /**< cost/latency Pareto front of the feasible candidates */
    size_t n_pareto;
    size_t enumerated; /**< configurations considered */
    size_t estimated;  /**< configurations that fitted and were estimated */
    size_t rejected[LP_REJECT_COUNT];
    size_t feasible;            /**< candidates meeting every target (n_ranked is capped) */
    size_t simulated;           /**< candidates re-checked with the simulation (p90/p99) */
    const char *price_origin;   /**< which price table the costs come from */
    double search_s;            /**< wall time of the search */
    size_t deployments;         /**< distinct deployments among the feasible (n_ranked is capped) */
    lp_batch_variant *variants; /**< batch-limit settings of the ranked deployments, best first */
    size_t n_variants;
    /** The objective and what it means for this load, in one or two sentences. */
    char objective_note[480];
} lp_search_result;

/** Candidates within this fraction of the best remaining objective value are tied. */
#define LP_SEARCH_TIE_FRACTION 0.01

/**
 * Run the search. Returns LP_OK (even when nothing meets the targets: n_ranked == 0 and the
 * rejection counts say why), or an error for an invalid spec.
 *
 * Ranking: by the objective; candidates within LP_SEARCH_TIE_FRACTION of the best remaining
 * value are tied and ordered by lower E2E latency at the target percentile, then no
 * checkpoint substitution (lp_candidate_needs_checkpoint), then fewer nodes, then fewer GPUs.
 * Candidates that differ only in --max-num-seqs / --max-num-batched-tokens are one deployment:
 * ranked lists each deployment once, with its best batch limits (the others in variants).
 * The Pareto front is computed over those deployments.
 */
lp_status lp_search_run(const lp_search_spec *spec, lp_search_result *out, lp_error *err);

/** Free the arrays of a result. */
void lp_search_result_free(lp_search_result *r);

/**
 * Whether a candidate needs a different checkpoint than the model's own: its --quantization
 * (e.g. awq, a 4-bit method) cannot be applied by vLLM at load time to the model's 16-bit
 * checkpoint (only fp8 can). When true, what[] (if non-NULL) says which checkpoint, e.g.
 * "an AWQ 4-bit checkpoint of meta-llama/Llama-3.3-70B-Instruct".
 */
bool lp_candidate_needs_checkpoint(const lp_candidate *c, const lp_model *m, char *what,
                                   size_t size);

/**
 * The serving settings of a candidate, ready for lp_mem_plan_compute / artifacts (the
 * quantization string points into the candidate).
 */
void lp_candidate_serving(const lp_candidate *c, lp_serving *out);

/** Whether two candidates are the same configuration (deployment and batch limits). */
bool lp_candidate_same(const lp_candidate *a, const lp_candidate *b);

/* ---- Disaggregated prefill/decode against aggregated serving -------------------------------- */

/** Instances of one role the disaggregated search tries (1P1D ... 4P4D). */
#define LP_SEARCH_DISAGG_MAX_INSTANCES 4

/** One disaggregated layout: x prefill and y decode instances of one engine (lp_search_disagg). */
typedef struct {
    const lp_gpu *gpu; /**< both pools' GPU type */
    int prefill_instances, decode_instances;
    int tp;                  /**< each instance's tensor-parallel size (both roles) */
    int num_gpus;            /**< (x + y) x tp */
    char quantization[32];   /**< as the aggregated layout it splits ("" the checkpoint's) */
    lp_dtype kv_cache_dtype; /**< as the aggregated layout it splits */
    int64_t max_model_len;   /**< as the search planned it */
    double gpu_memory_utilization;
    lp_vllm_version vllm_version;
    double ttft_ms, tpot_ms, itl_ms, e2e_ms; /**< at the spec's percentile (roofline) */
    double output_tok_s, output_tok_s_per_gpu;
    double usd_per_hour, usd_per_million_output_tokens; /**< NaN without a price */
    double score; /**< the objective's key, as lp_candidate.score (lower is better) */
    bool meets_targets;
    lp_reject_reason reject; /**< when !meets_targets */
} lp_disagg_layout;

/** The disaggregated search and its verdict against the aggregated ranking. */
typedef struct {
    bool searched;     /**< layouts were estimated (false: note says why not) */
    size_t enumerated; /**< layouts considered */
    size_t estimated;  /**< layouts that fitted and were estimated */
    size_t feasible;   /**< layouts meeting every target */
    bool found;        /**< best holds the best layout meeting every target */
    lp_disagg_layout best;
    /** The best layout of another x:y ratio than best's, when one meets the targets. */
    bool found_other;
    lp_disagg_layout other;
    bool aggregated_found;   /**< the aggregated search ranked a configuration */
    double aggregated_score; /**< its best score (lower is better) */
    /** Disaggregation pays: the best layout beats the best aggregated configuration by the
     *  objective by more than LP_SEARCH_TIE_FRACTION, or meets targets none of those meets. */
    bool pays;
    char verdict[400]; /**< the comparison in one or two sentences */
    char note[200];    /**< why nothing was searched, or what the search held fixed */
} lp_disagg_search;

/**
 * Search disaggregated prefill/decode for spec: for each GPU type (spec->gpus, or those of the
 * aggregated ranking when spec->gpus is NULL), each tensor-parallel size 1, 2, 4, 8 within a node
 * and each ratio xPyD with x, y in 1..LP_SEARCH_DISAGG_MAX_INSTANCES and (x + y) x tp <=
 * spec->max_gpus, estimate the layout with the roofline (lp_estimate_performance, both pools
 * and the KV transfer), keep those that meet the targets and rank them by the same objective
 * and keys as lp_search_run. The engine of each layout is the best aggregated configuration's
 * on that GPU (quantization and KV-cache dtype), else the checkpoint's own. agg is the aggregated
 * search (its best score is the bar to beat; may have no ranked configuration). Returns LP_OK
 * (with searched false and a note when the estimator refuses disaggregation), or an error for an
 * invalid spec.
 */
lp_status lp_search_disagg(const lp_search_spec *spec, const lp_search_result *agg,
                           lp_disagg_search *out, lp_error *err);

/** The serving settings of a layout (disaggregation xPyD, its TP, quantization, KV dtype and
 *  context), ready for artifacts and estimates; quantization points into l. */
void lp_disagg_layout_serving(const lp_disagg_layout *l, lp_serving *out);

/* ---- Capacity at the targets --------------------------------------------------------------- */

/** Simulated prompts per point of a capacity search or load curve (and seed 0). */
#define LP_CAPACITY_SIM_PROMPTS 1000

/**
 * The capacity of configurations at spec's targets: the highest Poisson request rate (req/s,
 * the whole deployment) each sustains while it keeps up with the load and meets every latency
 * target at the spec's percentile - the "goodput" of DistServe and Vidur's capacity search.
 * Fills max_request_rate, saturation_request_rate, capacity_method and capacity_limit of
 * every cands[i], and max_concurrency (the clients held at that rate, Little's law); spec's
 * workload lengths are used, its arrival process is replaced by the rate being searched.
 *
 * Method: the roofline gives the saturation rate (the most requests/s the deployment completes
 * at full load) and, by bisection over the rate, the highest one whose median latencies (x the
 * search's tail factors at p90/p99) meet the targets, to 0.2 %. At p90/p99 that rate brackets a
 * search with the simulation (LP_CAPACITY_SIM_PROMPTS requests, seed 0) refined to 3 %: a
 * handful of simulations each. The same configuration given twice is computed once; the
 * configurations are spread over spec->threads. Without latency targets the capacity is the
 * saturation rate. max_request_rate is 0 when even a nearly idle deployment misses a target.
 * Returns LP_OK, LP_ERR_INVALID_ARG for a bad spec, LP_ERR_LIMIT when the budget ran out,
 * LP_ERR_NOMEM.
 */
lp_status lp_search_capacity(const lp_search_spec *spec, lp_candidate *const *cands, size_t n,
                             lp_error *err);

/** Latency and throughput of one configuration at one offered request rate. */
typedef struct {
    double request_rate;                     /**< offered req/s (Poisson) */
    bool valid;                              /**< estimated */
    bool keeps_up;                           /**< completes what is offered (no backlog) */
    double ttft_ms, tpot_ms, itl_ms, e2e_ms; /**< at the spec's percentile */
    double output_tok_s, request_s;
    bool simulated; /**< latencies from the simulation (p90/p99), else the roofline */
} lp_load_point;

/**
 * Latency against load: c estimated at each of rates[0..n) (req/s, Poisson), latencies at
 * spec's percentile (roofline at p50; simulation, LP_CAPACITY_SIM_PROMPTS requests, at
 * p90/p99). Returns LP_OK (a point that cannot be estimated is !valid) or an error as
 * lp_search_capacity.
 */
lp_status lp_search_load_curve(const lp_search_spec *spec, const lp_candidate *c,
                               const double *rates, size_t n, lp_load_point *out, lp_error *err);

#ifdef __cplusplus
}
#endif

#endif
