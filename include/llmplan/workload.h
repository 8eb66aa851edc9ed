/*
 * llmplan/workload.h - the load a deployment serves, as `vllm bench serve` describes it, and
 * the latency / throughput targets it must meet.
 *
 * An lp_workload is a plain value: prompt and output length distributions, the data set they
 * imitate (--dataset-name), how many requests (--num-prompts), how they arrive (a Poisson
 * --request-rate, a closed loop of --max-concurrency clients, or both, or every request at
 * once as with an infinite rate) and the seed of the simulation. Every estimate, search and
 * use case takes the same value, so a workload is described and checked once.
 */
#ifndef LLMPLAN_WORKLOAD_H
#define LLMPLAN_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "llmplan/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Kind of a length distribution. */
typedef enum {
    LP_LEN_FIXED = 0, /**< always `mean` */
    LP_LEN_NORMAL,    /**< normal(mean, stddev), clamped to [lo, hi] (lo >= 1) */
    LP_LEN_UNIFORM,   /**< uniform integers in [lo, hi] */
    LP_LEN_HISTOGRAM, /**< values[i] with probability weights[i] (caller-owned arrays) */
    LP_LEN_SHAREGPT   /**< ShareGPT as `vllm bench serve` samples it, with the given mean:
                         use lp_len_sharegpt_input / _output (lo/hi hold vLLM's filter) */
} lp_len_kind;

/** A distribution of prompt or output lengths in tokens. */
typedef struct {
    lp_len_kind kind;
    double mean;
    double stddev;
    double lo, hi;
    const double *values;  /**< histogram values (tokens) */
    const double *weights; /**< histogram weights (any positive scale) */
    int n;                 /**< histogram size */
} lp_len_dist;

/** A fixed length distribution. */
lp_len_dist lp_len_fixed(double tokens);

/** Mean of a distribution (histograms: weighted mean). */
double lp_len_mean(const lp_len_dist *d);

/**
 * Check a distribution: a mean of at least one token, lo <= hi, histogram arrays present with
 * lengths >= 1 and weights summing above 0. what names it in the message ("input length").
 * LP_ERR_INVALID_ARG when it is not usable.
 */
lp_status lp_len_validate(const lp_len_dist *d, const char *what, lp_error *err);

/** A deterministic random generator (xoshiro256** seeded by splitmix64): the same sequence
 *  for a seed on every platform. A plain value; one per thread. */
typedef struct {
    uint64_t s[4];
} lp_rng;

/** Seed r. */
void lp_rng_seed(lp_rng *r, uint64_t seed);
/** Uniform double in [0, 1). */
double lp_rng_uniform(lp_rng *r);
/** Standard normal deviate. */
double lp_rng_normal(lp_rng *r);
/** Exponential deviate with the given rate (mean 1/rate): Poisson inter-arrival times. */
double lp_rng_exponential(lp_rng *r, double rate);
/** Gamma deviate with the given shape (> 0) and scale: mean shape x scale. */
double lp_rng_gamma(lp_rng *r, double shape, double scale);

/** Draw one length (>= 1 token) from a distribution. */
int64_t lp_len_sample(const lp_len_dist *d, lp_rng *r);

/**
 * Quantile q (0 <= q <= 1) of a distribution: its inverse CDF, exact (histograms: the
 * smallest value whose cumulative weight reaches q; ShareGPT: the shapes src/perf/dist.c
 * samples). Returns LP_OK (the status is kept for callers that check it).
 */
lp_status lp_len_quantile(const lp_len_dist *d, double q, double *out);

/**
 * The longest length a deployment must hold for d: the length itself when fixed, hi for a
 * uniform or bounded distribution, the largest histogram value, else the 0.999-quantile
 * (normal or ShareGPT-like without a bound). LP_ERR_NOMEM as lp_len_quantile.
 */
lp_status lp_len_longest(const lp_len_dist *d, double *out);

/** The data set a benchmark draws its prompts from, named as `vllm bench serve
 *  --dataset-name` names it. */
typedef enum {
    LP_DATASET_RANDOM = 0,       /**< random token ids of the given lengths (the default) */
    LP_DATASET_SHAREGPT,         /**< ShareGPT conversations: long-tailed lengths */
    LP_DATASET_PREFIX_REPETITION /**< num_prefixes shared prefixes, each prompt one of them
                                      plus its own random suffix (vllm/benchmarks/datasets
                                      PrefixRepetitionRandomDataset) */
} lp_dataset;

/** Name of a data set ("random", "sharegpt", "prefix_repetition"). */
const char *lp_dataset_name(lp_dataset dataset);

/** Parse a --dataset-name value (any case). LP_ERR_INVALID_ARG names the accepted ones. */
lp_status lp_dataset_parse(const char *name, lp_dataset *out, lp_error *err);

/**
 * Mean tokens per request of ShareGPT_V3_unfiltered_cleaned_split as `vllm bench serve
 * --dataset-name sharegpt` sends it (prompt) and as servers answered it (output, early
 * end-of-sequence included): the medians over the fit rows of ../shared/validation/
 * serving_perf_2.tsv that state them (IOG-Foundation vLLM 0.8.5 runs, total minus output
 * tokens/s and output tokens/s over requests/s, 13 models' tokenizers; lines 2 4 6 9 10 14 15
 * 17 19 22 23 27 28 30 32 35 36 40 41 43 45 48 49 53 54 56 58 61 62 66 123). The holdout rows'
 * medians are 208 / 202.
 */
#define LP_SHAREGPT_MEAN_INPUT 206.0
#define LP_SHAREGPT_MEAN_OUTPUT 204.0

/** The longest ShareGPT prompt + output `vllm bench serve` keeps (vllm/benchmarks/
 *  dataset_utils.py is_valid_sequence, max_total_len). */
#define LP_SHAREGPT_MAX_PAIR_TOKENS 2048
/** The shortest ShareGPT prompt it keeps (is_valid_sequence, min_len). */
#define LP_SHAREGPT_MIN_PROMPT_LEN 4

/** ShareGPT prompt lengths with the given mean: 4..1024 tokens, long-tailed (sampled as
 *  src/perf/dist.c describes). */
lp_len_dist lp_len_sharegpt_input(double mean_tokens);

/** ShareGPT output lengths with the given mean: at least 4 tokens, prompt + output <= 2048. */
lp_len_dist lp_len_sharegpt_output(double mean_tokens);

/** The load, as `vllm bench serve` sends it. Zero fields mean the documented defaults. */
typedef struct {
    lp_dataset dataset;  /**< --dataset-name */
    lp_len_dist input;   /**< prompt lengths (--random-input-len; default fixed 1024) */
    lp_len_dist output;  /**< output lengths (--random-output-len; default fixed 128) */
    int num_prompts;     /**< --num-prompts (default 1000) */
    int max_concurrency; /**< --max-concurrency: clients in a closed loop (0: no limit) */
    double request_rate; /**< --request-rate, Poisson arrivals per second (0: inf, all at once) */
    uint64_t seed;       /**< --seed of the simulation (default 0) */
    /** --burstiness: shape of the gamma distribution of the gaps between sends at a finite
     *  request rate (vllm bench serve's get_request): 0 or 1 a Poisson process, below 1
     *  burstier, above 1 more regular, INFINITY evenly spaced. */
    double burstiness;
    /** --sharegpt-output-len: every ShareGPT request's output fixed to this many tokens
     *  (ShareGPTDataset.sample's output_len; `output` is then fixed to it). 0: the data set's
     *  own answers. */
    int sharegpt_output_len;
    /** Leading prompt tokens shared with other requests (included in `input`): every prompt
     *  of the random data set with --random-prefix-len, one of num_prefixes prefixes with
     *  prefix_repetition. 0: prompts share nothing. */
    int prefix_len;
    int num_prefixes; /**< distinct shared prefixes (1 for --random-prefix-len) */
    /** Multi-turn conversations (--num-turns): each conversation sends num_turns requests one
     *  after the other, each prompt the whole conversation so far (earlier prompts and answers)
     *  plus a new user message drawn from `input`. 0 or 1: independent requests. */
    int num_turns;
    /** --lora-modules: requests pick one of this many adapters at random, as `vllm bench
     *  serve` does (0: every request to the base model). */
    int num_lora_modules;
    /** The server served these same prompts just before (the benchmark repeated, or a sweep
     *  over request rates with one --seed, which samples the same prompts every time): from
     *  vLLM 0.8 (prefix caching on) their KV blocks are still in the pool's free queue as far
     *  as the pool holds them, and a prompt found there is not prefilled again. false: a
     *  freshly started server (or a new seed). */
    bool warm_prefix_cache;
} lp_workload;

/* `vllm bench serve --dataset-name prefix_repetition` defaults
 * (PrefixRepetitionRandomDataset.DEFAULT_*: prefix 256, suffix 256, 10 prefixes, output 128). */
#define LP_PREFIX_REPETITION_PREFIX_LEN 256
#define LP_PREFIX_REPETITION_SUFFIX_LEN 256
#define LP_PREFIX_REPETITION_NUM_PREFIXES 10
#define LP_PREFIX_REPETITION_OUTPUT_LEN 128

/** Fill w with `vllm bench serve`'s defaults: random data set, fixed 1024 prompt and 128 output
 *  tokens, 1000 prompts, rate inf, no concurrency limit, seed 0. */
void lp_workload_init(lp_workload *w);

/**
 * Make w the ShareGPT-like data set: long-tailed lengths whose means are input_mean and
 * output_mean tokens (0: the preset's LP_SHAREGPT_MEAN_INPUT / _OUTPUT).
 */
void lp_workload_sharegpt(lp_workload *w, double input_mean, double output_mean);

/**
 * Give every prompt of the random data set a shared prefix of prefix_len tokens, as
 * `--random-prefix-len` does: the prompt becomes prefix + the random part, so the input length
 * grows by prefix_len (RandomDataset.sample: total_input_len = prefix_len + input_len).
 * LP_ERR_INVALID_ARG for a negative length, another data set or a histogram / ShareGPT length
 * (only fixed, normal or uniform lengths shift).
 */
lp_status lp_workload_random_prefix(lp_workload *w, int prefix_len, lp_error *err);

/**
 * Make w `--dataset-name prefix_repetition`: num_prefixes prefixes of prefix_len tokens, each
 * prompt one of them plus a random suffix of suffix_len tokens, outputs of output_len tokens
 * (0: the LP_PREFIX_REPETITION_* defaults). Lengths are fixed, as the data set makes them.
 */
void lp_workload_prefix_repetition(lp_workload *w, int prefix_len, int suffix_len, int num_prefixes,
                                   int output_len);

/** Largest --burstiness other than inf that a reader takes (the gaps are all but constant
 *  long before: their coefficient of variation is 1 / sqrt(burstiness)). */
#define LP_MAX_BURSTINESS 1e9

/**
 * Fix the output of every ShareGPT request to tokens, as `vllm bench serve
 * --sharegpt-output-len` does (ShareGPTDataset.sample: the answer's length is replaced, and
 * is_valid_sequence then skips its minimum output check); prompts keep the data set's
 * lengths. LP_ERR_INVALID_ARG for another data set or tokens outside 1..2044 (a longer output
 * leaves no prompt of at least 4 tokens under the 2048-token pair limit).
 */
lp_status lp_workload_sharegpt_output_len(lp_workload *w, int64_t tokens, lp_error *err);

/** The number of names in a comma- or space-separated list (`--lora-modules a,b c`). */
int lp_workload_count_names(const char *list);

/**
 * Check a workload: both length distributions (lp_len_validate), num_prompts >= 1,
 * max_concurrency >= 0, request_rate >= 0 (0 is inf), a shared prefix shorter than every
 * prompt, num_prefixes between 1 and num_prompts, num_turns and num_lora_modules >= 0.
 * LP_ERR_INVALID_ARG names the field as `vllm bench serve` spells it.
 */
lp_status lp_workload_check(const lp_workload *w, lp_error *err);

/**
 * The context one request of w may need: the longest prompt plus the longest output
 * (lp_len_longest of each), rounded up - the --max-model-len that serves every request of the
 * workload; with ShareGPT prompts at most LP_SHAREGPT_MAX_PAIR_TOKENS. LP_ERR_NOMEM as
 * lp_len_quantile.
 */
lp_status lp_workload_context_needed(const lp_workload *w, int64_t *tokens);

/** Latency and throughput targets; 0 means "no target". */
typedef struct {
    double max_ttft_ms, max_tpot_ms, max_itl_ms, max_e2e_ms;
    int percentile;          /**< 50, 90 or 99 (0: 50, the median) */
    double min_output_tok_s; /**< output tokens/s of the whole deployment */
} lp_targets;

/** No targets, latencies at the median. */
void lp_targets_init(lp_targets *t);

/** Whether any target is set. */
bool lp_targets_any(const lp_targets *t);

/**
 * Check targets: limits finite and >= 0, percentile 0, 50, 90 or 99. LP_ERR_INVALID_ARG names
 * the field (max_ttft_ms, ..., percentile).
 */
lp_status lp_targets_check(const lp_targets *t, lp_error *err);

#ifdef __cplusplus
}
#endif

#endif
