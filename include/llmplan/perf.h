/*
 * llmplan/perf.h - performance estimates: TTFT, ITL/TPOT, E2E latency, throughput.
 *
 * Three methods (DESIGN §3):
 *  - heuristic: per-GPU-family baselines for a 7B model scaled by size, TP, context and
 *    quantization; needs only params_b and a GPU;
 *  - roofline:  an operator-level step model (FLOPs vs bytes per step, all-reduce, host
 *    overhead) solved analytically for the steady state of the workload;
 *  - simulate:  a discrete-event simulation of vLLM's continuous-batching scheduler driven by
 *    the same step model, producing the statistics of `vllm bench serve`.
 * Every estimate lists the assumptions it used; an invalid request yields valid=false and a
 * reason, never an abort (batches go on with the other items).
 */
#ifndef LLMPLAN_PERF_H
#define LLMPLAN_PERF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/status.h"
#include "llmplan/workload.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Estimation method. */
typedef enum { LP_HEURISTIC = 0, LP_ROOFLINE, LP_SIMULATE } lp_method;

/** Name of a method ("heuristic", "roofline", "simulate"). */
const char *lp_method_name(lp_method method);
/** Parse a method name. */
lp_status lp_method_parse(const char *name, lp_method *out, lp_error *err);

/**
 * Efficiencies and overheads of one GPU family under one vLLM engine era, with where they
 * come from (src/perf/efficiency.c). The step model (lp_step_eval) says how each is used.
 */
typedef struct {
    const char *family;         /**< "hopper", "ampere", ... */
    double compute_eff;         /**< achieved / peak dense tensor FLOPS for large GEMMs */
    double memory_eff;          /**< achieved / peak HBM bandwidth when streaming weights */
    double step_overhead_s;     /**< host time per engine step (scheduling, sampling, launches) */
    double per_seq_overhead_s;  /**< extra host time per running request per step */
    double allreduce_latency_s; /**< latency of one small all-reduce in the TP group */
    const char *source;
    double attn_memory_eff;      /**< decode attention: achieved / peak bandwidth reading paged KV
                                      (0: memory_eff) */
    double attn_compute_eff;     /**< prefill attention on long sequences: achieved / peak FLOPS
                                      (0: compute_eff at any length) */
    double layer_overhead_s;     /**< GPU time per decoder layer per step beyond bytes and FLOPs
                                      (launch gaps, ramps and tails of its kernels in a CUDA graph) */
    double moe_memory_share;     /**< routed experts stream at this share of memory_eff */
    double moe_layer_overhead_s; /**< extra per MoE layer: routing, sorting, grouped GEMMs */
    const char *engine;          /**< engine era of the host values: "V0", "V1", "V1 (ROCm)" */
    double eager_layer_s;        /**< host time to launch one layer's kernels without graphs */
    int graph_max_batch;         /**< largest step (tokens) run as a CUDA graph; beyond it, eager */
    int graph_max_context;       /**< longest decode context a graph covers (V0); 0: no limit */
    double ridge_norm; /**< an operator costs (c^p + m^p)^(1/p) of its compute time c and memory
                            time m with p = ridge_norm; 0: max(c, m) */
    /** Share of compute_eff x peak (GEMMs and prefill attention) this GPU sustains under its
     *  board power: below 1 for a part of the family's silicon with a lower power limit than
     *  the part the family's efficiencies were measured on (lp_efficiency_for_version sets it
     *  from the GPU; 0 or 1: not capped). */
    double power_share;
} lp_efficiency;

/** One configuration to estimate. Zero/NULL fields take the documented defaults. */
typedef struct {
    /** The model: a loaded one; or NULL and model_id, an id of the embedded catalog (no file,
     *  cache or network is read here: load other models first, e.g. with lp_model_load); or
     *  only params_b (heuristic method). With model set, model_id is how the user named it
     *  (shown in results and `vllm serve` lines). */
    const lp_model *model;
    const char *model_id;
    double params_b;

    /** The GPUs: cluster.gpu, or NULL and gpu_name to look up (cluster.num_gpus 0: tp x pp;
     *  beyond one replica's tp x pp they are data-parallel replicas). */
    lp_cluster cluster;
    const char *gpu_name;
    /** Disaggregated pools' GPUs to look up when cluster.prefill_gpu / decode_gpu are NULL
     *  (NULL: the cluster's GPU). */
    const char *prefill_gpu_name, *decode_gpu_name;

    /* serving (vLLM flags); serving.max_model_len is the context length */
    lp_serving serving;

    /** The load, as `vllm bench serve` sends it (lp_workload_init's defaults). */
    lp_workload workload;

    lp_method method;

    /** Efficiencies to use instead of the GPU family's (e.g. from `llmplan calibrate`): its
     * compute_eff, memory_eff, step_overhead_s and per_seq_overhead_s replace the family's;
     * NULL: the family's. Not used by the heuristic. */
    const lp_efficiency *efficiency;
} lp_perf_request;

/** Fill r with defaults: roofline, lp_cluster_init (no GPU), vLLM's serving defaults and
 *  lp_workload_init (fixed 1024 in / 128 out, 1000 prompts, rate inf). */
void lp_perf_request_init(lp_perf_request *r);

/**
 * How the load reaches the server, the regime an error band is measured in: one request at a
 * time, a closed loop of several clients, Poisson arrivals, or every request at once.
 */
typedef enum {
    LP_REGIME_BATCH1 = 0,  /**< one request at a time (--max-concurrency 1, or one prompt) */
    LP_REGIME_CLOSED,      /**< --max-concurrency N > 1 at an infinite rate */
    LP_REGIME_POISSON,     /**< a finite --request-rate */
    LP_REGIME_ALL_AT_ONCE, /**< infinite rate, no client limit: offline / all at once */
    LP_REGIME_COUNT
} lp_load_regime;

/** The regime of a workload (from max_concurrency, request_rate and num_prompts). */
lp_load_regime lp_perf_regime(const lp_workload *w);

/** Name of a regime ("batch1", "closed", "poisson", "all-at-once"). */
const char *lp_perf_regime_name(lp_load_regime regime);

/** What limits a phase. */
typedef enum {
    LP_BOUND_COMPUTE = 0,
    LP_BOUND_MEMORY,      /**< memory bandwidth */
    LP_BOUND_COMM,        /**< tensor/pipeline-parallel communication */
    LP_BOUND_HOST,        /**< per-step host overhead (scheduling, sampling, launches) */
    LP_BOUND_KV_CAPACITY, /**< the KV cache limits the batch */
    LP_BOUND_QUEUEING     /**< requests wait for a free slot */
} lp_bottleneck;

/** Name of a bottleneck ("compute", "memory bandwidth", ...). */
const char *lp_bottleneck_name(lp_bottleneck b);

typedef struct {
    double lo, hi;
} lp_range;

/** Summary statistics of a latency, in ms (p90/p99 are NaN when not simulated). */
typedef struct {
    double mean, median, p90, p99;
} lp_stat;

/** Quantities an error band covers (llmplan/bands.h). */
typedef enum {
    LP_BAND_THROUGHPUT = 0, /**< request, output and total token throughput */
    LP_BAND_TTFT,
    LP_BAND_TPOT,
    LP_BAND_ITL,
    LP_BAND_E2E,
    LP_BAND_KV, /**< KV capacity: tokens and the concurrent requests they hold */
    LP_BAND_METRICS
} lp_band_metric;

/** The statistic class of a band: the centre (mean, median) or the tail (p90, p99). */
typedef enum { LP_BAND_CENTER = 0, LP_BAND_TAIL, LP_BAND_STATS } lp_band_stat;

/** The evidence behind the bands of one quantity and statistic class of an estimate. */
typedef struct {
    bool found;       /**< a band applies (false: no evidence, no range) */
    char cls[64];     /**< the class used: "ttft/center/simulate/hopper/poisson" ('*': any) */
    char own[64];     /**< the estimate's own class (differs when it fell back) */
    int level;        /**< 0: its own class; higher: a broader one */
    int rows, groups; /**< fit rows of the validation data, and their groups */
    double coverage;  /**< nominal coverage */
    double lo, hi;    /**< the measured value lay within [lo, hi] x the estimate */
    double widen;     /**< the factor its quantiles were widened by on each side */
} lp_band_info;

/** Ranges of each statistic of a latency. */
typedef struct {
    lp_range mean, median, p90, p99;
} lp_stat_range;

#define LP_MAX_ASSUMPTIONS 24
#define LP_ASSUMPTION_SIZE 200

/** What disaggregated prefill/decode adds to an estimate (src/perf/disagg.c; on false when
 *  the deployment is aggregated). */
typedef struct {
    bool on;
    int prefill_instances, decode_instances; /**< x and y of xPyD */
    lp_kv_connector kv_connector;
    lp_link_kind link;             /**< the link the KV cache crosses between the pools */
    double link_gbs;               /**< GB/s one request's transfer moves at (all streams) */
    double link_latency_ms;        /**< fixed time per transfer */
    int streams;                   /**< rank pairs moving their shards in parallel */
    double kv_transfer_bytes;      /**< per request: prompt tokens x KV bytes per token */
    double kv_transfer_ms;         /**< per request */
    double prefill_ms;             /**< TTFT's share on the prefill pool (queueing, prefill,
                                        its API server) */
    double prefill_pool_request_s; /**< requests/s the prefill pool can serve at most */
    double decode_pool_request_s;  /**< requests/s the decode pool can serve at most */
    bool prefill_limited;          /**< the prefill pool is the slower one */
    double decode_running;         /**< mean running requests per decode instance */
} lp_disagg_stats;

/** What the serving modes add to an estimate (zeros when a mode is off or not applicable). */
typedef struct {
    lp_disagg_stats disagg;             /**< disaggregated prefill/decode */
    bool prefix_caching;                /**< prefix caching was on (vLLM's default) */
    double prefix_cache_hit_rate;       /**< prompt tokens served from the cache / prompt tokens */
    lp_spec_method spec_method;         /**< speculative decoding (none: off) */
    int spec_k;                         /**< tokens drafted per step */
    double spec_acceptance_rate;        /**< per drafted token (given or the method's default) */
    double spec_mean_acceptance_length; /**< tokens per verification step: 1 + accepted */
    double spec_speedup; /**< TPOT without / with speculation at this workload (roofline) */
    /** Client concurrency from which speculation gives less output throughput than none
     *  (roofline, closed loop); 0 when it pays up to max-num-seqs. */
    double spec_crossover_concurrency;
} lp_mode_stats;

/** The result of one estimate. */
typedef struct {
    bool valid;
    char error[LP_ERROR_MESSAGE_SIZE]; /**< why not valid */
    lp_method method;

    lp_stat ttft_ms, tpot_ms, itl_ms, e2el_ms;
    double output_tok_s;            /**< output tokens per second, whole deployment */
    double total_tok_s;             /**< input + output tokens per second */
    double request_s;               /**< completed requests per second */
    double prefill_tok_s;           /**< prefill throughput of one replica at full load */
    double decode_tok_s;            /**< decode throughput of one replica at the workload's batch */
    double max_concurrent_requests; /**< requests one replica can hold (KV and max-num-seqs) */
    double mean_batch;              /**< mean running requests per replica */
    int replicas;                   /**< data-parallel replicas */
    lp_bottleneck prefill_bound, decode_bound;

    lp_range ttft_ms_range, itl_ms_range, tpot_ms_range, e2el_ms_range;
    lp_range decode_tok_s_range, prefill_tok_s_range, output_tok_s_range;
    /**
     * Error bands from evidence (llmplan/bands.h): each statistic of each latency, every
     * throughput and the KV capacity x [lo, hi] of its class; {0, 0} where no evidence exists.
     * The ranges above are the means' (and the output throughput's) of these.
     */
    lp_stat_range ttft_band, tpot_band, itl_band, e2el_band;
    lp_range request_s_range, total_tok_s_range, max_concurrent_range;
    lp_band_info bands[LP_BAND_METRICS][LP_BAND_STATS];

    int completed;     /**< requests finished (simulation) */
    int preemptions;   /**< recompute preemptions (simulation) */
    double duration_s; /**< benchmark duration (simulation) */

    char assumptions[LP_MAX_ASSUMPTIONS][LP_ASSUMPTION_SIZE];
    int n_assumptions;

    lp_mode_stats modes; /**< prefix caching, speculative decoding, LoRA, disaggregation */
} lp_perf_estimate;

/**
 * Estimate one configuration. Pure computation: the model and GPU come resolved, or are looked
 * up in the embedded catalog and GPU table. Returns LP_OK when out->valid; otherwise the status
 * of the failure, with out->valid false and out->error set (bad model/GPU name, impossible
 * parallelism, does not fit: LP_ERR_INFEASIBLE). Thread-safe.
 */
lp_status lp_estimate_performance(const lp_perf_request *req, lp_perf_estimate *out);

/**
 * Estimate n configurations; out[i] is valid or says why not, exactly as
 * lp_estimate_performance would say it. Returns the number of valid estimates. Items are
 * independent: one bad item never stops the others. Each model, GPU and step model is
 * resolved once per batch (an lp_perf_cache per thread), and the items are spread over one
 * thread per online CPU (fewer under a budget, llmplan/budget.h, which every thread enters);
 * the results do not depend on the number of threads.
 */
size_t lp_estimate_performance_batch(const lp_perf_request *reqs, size_t n, lp_perf_estimate *out);

/** Leave the assumption texts out (n_assumptions 0): the numbers alone, several times faster. */
#define LP_PERF_NO_ASSUMPTIONS 1u

/** How a batch runs. Zero fields take the defaults. */
typedef struct {
    unsigned threads; /**< worker threads (0: one per online CPU) */
    unsigned flags;   /**< LP_PERF_NO_ASSUMPTIONS */
} lp_perf_batch_opts;

/** lp_estimate_performance_batch with options (opts NULL: the defaults). */
size_t lp_estimate_performance_batch_opts(const lp_perf_request *reqs, size_t n,
                                          lp_perf_estimate *out, const lp_perf_batch_opts *opts);

/**
 * What a batch shares between its items: models loaded by id, GPUs found by name, and for
 * each distinct (model, GPU, cluster, serving settings, efficiencies) the memory plan and
 * the step model, prepared once (or the reason it cannot be, kept for the next item that
 * asks). Requests given a model or GPU pointer are keyed by the pointer: the object must not
 * change while the cache lives. Not thread-safe: one cache per thread.
 */
typedef struct lp_perf_cache lp_perf_cache;

/** A new, empty cache (NULL when out of memory). Free with lp_perf_cache_free. */
lp_perf_cache *lp_perf_cache_new(void);

/** Free a cache and everything it holds. NULL is fine. */
void lp_perf_cache_free(lp_perf_cache *c);

/** How a cache loads a model named by id (as lp_resolver.load_model). */
typedef lp_status (*lp_model_loader)(void *ctx, const char *id, lp_model *out, lp_error *err);

/**
 * Set how c loads models named by id: fn (with ctx), or NULL for the embedded catalog only,
 * as lp_estimate_performance resolves ids (the default). The front ends' edge passes
 * lp_model_load's reach (config.json paths, model directories, the HF cache, the Hub) through
 * lp_estimate_request_resolve; perf itself reads nothing.
 */
void lp_perf_cache_set_loader(lp_perf_cache *c, lp_model_loader fn, void *ctx);

/**
 * The model named id, loaded once per cache by its loader (lp_perf_cache_set_loader): *out
 * stays valid, and the same pointer, while the cache lives. Fails as the loader does (the
 * error is kept and given again).
 */
lp_status lp_perf_cache_model(lp_perf_cache *c, const char *id, const lp_model **out,
                              lp_error *err);

/** The GPU named name in the built-in database, found once per cache (lp_gpu_find). */
lp_status lp_perf_cache_gpu(lp_perf_cache *c, const char *name, const lp_gpu **out, lp_error *err);

/**
 * lp_mem_plan_compute(m, gpu, s) once per distinct (model, GPU, settings) in the cache: *out
 * stays valid while the cache lives. Errors as lp_mem_plan_compute's (kept and given again).
 */
lp_status lp_perf_cache_mem_plan(lp_perf_cache *c, const lp_model *m, const lp_gpu *gpu,
                                 const lp_serving *s, const lp_mem_plan **out, lp_error *err);

/**
 * lp_estimate_performance through the cache: the same result, bit for bit (except the
 * assumption texts left out with LP_PERF_NO_ASSUMPTIONS), at the cost of the method alone
 * once the configuration has been seen. Returns what lp_estimate_performance returns.
 */
lp_status lp_perf_cache_estimate(lp_perf_cache *c, const lp_perf_request *req,
                                 lp_perf_estimate *out, unsigned flags);

/* ---- The step model (shared by roofline, simulation and search) ------------------------- */

/** The efficiencies llmplan assumes for a GPU (by architecture family) under the latest vLLM
 * engine. Points into a static table (two GPUs of one family get the same pointer). */
const lp_efficiency *lp_efficiency_for(const lp_gpu *gpu);

/** The same for a given vLLM release (0: the latest): the family's GPU-side fractions with
 * the host overheads and CUDA-graph limits of that release's engine (V0 before 0.8.0). */
lp_efficiency lp_efficiency_for_version(const lp_gpu *gpu, lp_vllm_version version);

/**
 * Speculative decoding in the step model (src/perf/spec.c): a decode step verifies k drafted
 * tokens per request at once and costs the drafter's passes on top; it yields accept_len
 * tokens per request on average. The drafter's forward pass is priced like the target's step,
 * from these constants (a dense model on the same GPUs).
 */
/**
 * Multi-adapter LoRA in the step model (src/perf/lora_step.c): every token of a LoRA request
 * runs its adapter's shrink (rank x input) and expand (output x rank) on every wrapped layer,
 * a step reads the weights of the distinct adapters in its batch, and vLLM's punica kernels
 * (one shrink and one expand launch per wrapped projection per layer) add a fixed time each.
 */
typedef struct {
    int max_loras;           /**< distinct adapters one batch may hold (0: LoRA off) */
    int adapters;            /**< adapters the requests spread over (--lora-modules; 1 if none) */
    double slot_bytes;       /**< one adapter's A and B matrices on this GPU */
    double flops_per_token;  /**< shrink + expand FLOPs of one token through the stage */
    double kernels_per_step; /**< punica shrink and expand launches per step */
} lp_lora_step;

typedef struct {
    int k;                     /**< tokens drafted per decode step (0: off) */
    double acceptance;         /**< probability one drafted token is accepted */
    double accept_len;         /**< mean tokens one verification yields per request */
    int disable_by_batch_size; /**< no speculation while more requests decode (0: never) */
    bool host_drafter;         /**< n-gram: proposals come from the host, no draft passes */
    double host_per_seq_s;     /**< host time per request per step of an n-gram proposer */
    /* the drafter's forward pass on one GPU */
    double weight_bytes, linear_flops_per_token, lm_head_flops_per_token, attn_flops_per_ctx;
    double kv_bytes_per_token, layers, sampler_bytes_per_seq;
    double moe_layers, experts, experts_total, topk, expert_bytes, expert_flops_per_token;
    double allreduces_per_step, allreduce_bytes_per_token;
    int tp;
} lp_spec_step;

/** Lengths at which a step model samples what its KV pool admits (16 tokens x 2^(i/2)). */
#define LP_KV_SHAPE_POINTS 40

/** Constants of one replica's engine step, prepared once per (model, GPU, settings). */
typedef struct {
    /* per GPU of the replica (the slowest pipeline stage) */
    double weight_bytes;            /**< weights read every step except routed experts */
    double expert_bytes;            /**< bytes of one routed expert on this GPU (0: dense) */
    double moe_layers;              /**< MoE layers on the stage */
    double experts;                 /**< routed experts per layer held by this GPU */
    double experts_total;           /**< routed experts per layer in the model */
    double ep_ranks;                /**< ranks the experts are spread over (EP; 0/1: none) */
    double topk;                    /**< experts per token */
    double linear_flops_per_token;  /**< 2 x active linear parameters on this GPU */
    double lm_head_flops_per_token; /**< 2 x vocab x hidden / tp per sampled token */
    double expert_flops_per_token;  /**< the part of linear_flops_per_token in routed experts */
    double attn_flops_per_ctx;      /**< FLOPs per (query token x attended token), this GPU */
    double layers;                  /**< decoder layers on the stage (kernel floors) */
    double sampler_bytes_per_seq;   /**< logits traffic of sampling one token (last stage) */
    double gemm_compute_scale;      /**< share of compute_eff the GEMMs' precision reaches (0: 1) */
    double expert_compute_scale; /**< the same for the routed experts' grouped GEMMs (0: as gemm) */
    double peak_flops_attn;      /**< 16-bit peak: attention runs in the model dtype */
    bool eager;                  /**< --enforce-eager: no CUDA graphs */
    double kv_bytes_per_token;   /**< KV bytes read per cached token per step, this GPU */
    double window;               /**< sliding window (0: none) and ... */
    double window_fraction;      /**< ... fraction of attention layers that use it */
    /** DeepSeek-V3.2 sparse attention: its MLA layers attend to window = index_topk tokens, and
     *  the indexer scores every cached token: FLOPs per (query x cached token) and bytes of its
     *  K cache per cached token, this GPU (0: no indexer) */
    double indexer_flops_per_ctx;
    double indexer_bytes_per_token;
    /** Recurrent state of the stage's Mamba / linear-attention layers for one request, this
     *  GPU: read and written back by every decode step (0: no such layers) */
    double mamba_state_bytes_per_seq;
    double allreduce_bytes_per_token; /**< activation bytes all-reduced per token per step */
    double allreduces_per_step;       /**< all-reduce calls per step (2 per layer with TP > 1) */
    double pp_stages;
    double pp_bytes_per_token; /**< activation bytes handed between stages per token */
    /* hardware */
    double peak_flops;              /**< dense FLOPS for the compute dtype */
    double bandwidth;               /**< bytes/s */
    double link_bandwidth;          /**< bytes/s between TP ranks (slowest link of tp_group) */
    double inter_node_bandwidth;    /**< bytes/s of the network between nodes */
    lp_comm_group tp_group;         /**< the TP ranks and their links (ranks 0/1: no TP) */
    lp_comm_group ep_group;         /**< EP ranks over TP x DP (ranks 0/1: no EP collectives) */
    double ep_collectives_per_step; /**< all-gathers + reduce-scatters (2 per MoE layer) */
    double ep_bytes_per_token;      /**< activation bytes one token adds to each of them */
    int pp_handoffs_across_nodes;   /**< pipeline hand-offs that cross a node boundary */
    lp_link pp_intra, pp_inter;     /**< links of hand-offs inside / across nodes */
    lp_efficiency eff;
    int tp;
    bool chunked_prefill; /**< prefill chunks share steps with decodes (vLLM V1) */
    int scheduler_steps;  /**< V0 multi-step scheduling: new requests join every N steps */
    int max_num_seqs;
    int max_num_batched_tokens;
    double kv_capacity_tokens; /**< KV tokens one replica holds */
    int64_t max_model_len;
    lp_vllm_version
        vllm_version;  /**< release whose scheduler and client to reproduce (0: latest) */
    lp_spec_step spec; /**< speculative decoding (spec.k 0: off) */
    lp_lora_step lora; /**< multi-adapter LoRA (lora.max_loras 0: off) */
    /** Hybrid and sliding-window models (several KV-cache groups, not every one growing with
     *  the context): a request of kv_shape_tokens[i] tokens holds kv_shape_blocks[i] of the
     *  pool's kv_pool_blocks blocks (lp_mem_plan_requests_at, sampled by
     *  lp_step_model_init). kv_shape_n 0: every token costs the same and the pool holds
     *  kv_capacity_tokens tokens. Read through lp_step_kv_blocks / lp_step_kv_requests. */
    int kv_shape_n;
    double kv_pool_blocks;
    double kv_shape_tokens[LP_KV_SHAPE_POINTS], kv_shape_blocks[LP_KV_SHAPE_POINTS];
    int kv_block_size; /**< tokens per KV block (prefix caching hits whole blocks) */
} lp_step_model;

/** A batch of one engine step. */
typedef struct {
    double decode_seqs;    /**< requests generating one token */
    double decode_ctx;     /**< sum of their context lengths */
    double prefill_tokens; /**< prompt tokens processed this step (chunked prefill) */
    double prefill_ctx;    /**< sum over those tokens of the positions they attend to */
    double prefill_seqs;   /**< requests whose prefill completes this step (sampled) */
} lp_step_batch;

/** Time of one step and what limits it. */
typedef struct {
    double total_s, compute_s, memory_s, comm_s, host_s;
    double launch_s; /**< kernel floors of the layers (in total_s; part of the GPU time) */
    lp_bottleneck bound;
} lp_step_time;

/**
 * Prepare the step model of one replica on cluster (its GPU, GPUs per node and link inside a
 * node) from a resolved memory plan (settings and KV capacity come from it). Records
 * assumptions into est when est is non-NULL.
 */
lp_status lp_step_model_init(const lp_model *m, const lp_cluster *cluster, const lp_mem_plan *plan,
                             lp_step_model *out, lp_perf_estimate *est, lp_error *err);

/** Time of one engine step for a batch. Pure, allocation-free. */
void lp_step_eval(const lp_step_model *sm, const lp_step_batch *b, lp_step_time *out);

/** Communication time of one step of `tokens` tokens: TP all-reduces, pipeline hand-offs and
 * EP collectives over the replica's links (part of lp_step_eval's comm_s). */
double lp_step_comm_s(const lp_step_model *sm, double tokens);

/** What crossing nodes (or containers) adds to lp_step_comm_s: the same collectives with every
 * rank of a group in one node, on the node's link, subtracted. 0 inside one node. */
double lp_step_comm_cross_node_s(const lp_step_model *sm, double tokens);

/**
 * KV blocks one request of `tokens` tokens holds in the pool of kv_pool_blocks blocks, for a
 * step model with a KV shape (kv_shape_n > 0): interpolated between the sampled lengths,
 * exact at them. Without a shape: tokens / 16 (the pool is kv_capacity_tokens / 16 blocks).
 */
double lp_step_kv_blocks(const lp_step_model *sm, double tokens);

/**
 * Requests of `tokens` tokens each the KV pool of one replica holds at once, as vLLM's block
 * pool admits them (get_max_concurrency_for_kv_cache_config at that length): kv_pool_blocks /
 * lp_step_kv_blocks for hybrid and sliding-window models, kv_capacity_tokens / tokens
 * otherwise. 0 for tokens <= 0.
 */
double lp_step_kv_requests(const lp_step_model *sm, double tokens);

/* ---- Methods on a prepared step model (searches, calibration, batches) ------------------- */

/**
 * Roofline method: the steady state of the workload solved analytically on the step model.
 * Fills out (valid, latencies as means = medians, throughputs, bottlenecks, ranges).
 */
void lp_perf_roofline(const lp_step_model *sm, const lp_perf_request *req, int replicas,
                      lp_perf_estimate *out);

/** The roofline without its assumption texts: the fast path of searches, batches and
 *  benchmarks (identical numbers). */
void lp_perf_roofline_quiet(const lp_step_model *sm, const lp_perf_request *req, int replicas,
                            lp_perf_estimate *out);

/**
 * Simulation method: discrete-event simulation of vLLM's scheduler on the step model, with
 * the statistics of `vllm bench serve`. Returns LP_OK or an error for impossible workloads.
 */
lp_status lp_perf_simulate(const lp_step_model *sm, const lp_perf_request *req, int replicas,
                           lp_perf_estimate *out, lp_error *err);
/**
 * Prepare the speculative-decoding part of a step model (sm->spec) for the drafter of
 * s->speculative on the same cluster and plan (spec.c). No-op when speculation is off; records
 * the acceptance rate and what it comes from into est when non-NULL.
 */
lp_status lp_spec_step_init(const lp_model *m, const lp_cluster *cluster, const lp_mem_plan *plan,
                            const lp_serving *s, lp_step_model *sm, lp_perf_estimate *est,
                            lp_error *err);

/** Tokens drafted per request in a step where `seqs` requests decode (0 when speculation is
 *  off, or disabled at that batch size). */
int lp_spec_k_at(const lp_step_model *sm, double seqs);

/** Mean tokens a decode step yields per request at `seqs` decoding requests (1 without
 *  speculation). */
double lp_spec_yield(const lp_step_model *sm, double seqs);

/** The KV transfer of one request from a prefill to a decode instance (src/perf/disagg.c). */
typedef struct {
    lp_link link;      /**< the link crossed, with its bandwidth per GPU and latency */
    bool link_assumed; /**< no --interconnect given: chosen from where the pools sit */
    int streams;       /**< rank pairs moving shards in parallel: min(prefill TP, decode TP) */
    double bytes;      /**< prompt tokens x KV bytes per token (x head replicas under TP) */
    double seconds;    /**< link latency + bytes / (bandwidth x streams) */
} lp_kv_transfer;

/**
 * The KV transfer of a prompt of prompt_tokens tokens from one prefill instance (plan prefill)
 * to one decode instance (plan decode) of a disaggregated deployment on cluster c: the KV of
 * every layer at the decode pool's --kv-cache-dtype (decode->kv_bytes_per_token; every copy of a
 * KV head replicated over TP ranks is moved), each TP rank's shard over its own link in
 * parallel with the others, after the prefill (vLLM's NixlConnector pulls the blocks once the
 * prefill request finished). The link: the network --interconnect names (infiniband, roce,
 * ethernet: each GPU's own NIC), or nvlink / pcie (both pools in one node); without one, the
 * GPUs' own link when every GPU of the deployment fits in one node, else RDMA InfiniBand
 * (link_assumed). c->link_gbs and c->link_latency_s replace the link's figures. Pure; never
 * fails for plans that were computed. num_gpus: the whole deployment's GPUs.
 */
void lp_disagg_kv_transfer(const lp_cluster *c, const lp_mem_plan *prefill,
                           const lp_mem_plan *decode, int num_gpus, double prompt_tokens,
                           lp_kv_transfer *out);

/** LP_ERR_UNSUPPORTED naming the first serving mode of req that req->method does not model
 *  (a mode is never ignored silently); LP_OK otherwise. */
lp_status lp_perf_modes_check(const lp_perf_request *req, lp_error *err);

/** Add an assumption to an estimate (no-op when full). */
void lp_perf_assume(lp_perf_estimate *est, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#ifdef __cplusplus
}
#endif

#endif
