/*
 * workload_flags.h - workload flags shared by estimate, recommend and explain: length
 * distributions as `--input-len-dist` / `--output-len-dist` spell them (normal:MEAN,SD,
 * uniform:LO,HI, hist:FILE, sharegpt) and the usage-error message all commands print.
 */
#ifndef LP_CLI_WORKLOAD_FLAGS_H
#define LP_CLI_WORKLOAD_FLAGS_H

#include <stdbool.h>
#include <stdint.h>

#include "cli/opts.h"
#include "llmplan/perf.h"
#include "llmplan/search.h"

/** Workload flags spelled as `vllm bench serve` and `llmplan estimate` spell them. */
typedef struct {
    int64_t input_len, output_len, max_concurrency, num_prompts;
    const char *input_dist, *output_dist, *dataset, *request_rate;
    double daily_output_tokens; /* recommend and explain only (LP_CLI_DAILY_OPT) */
    bool seen_input_len, seen_output_len;
    /* shared prefixes, conversations and adapters (`vllm bench serve` spellings) */
    int64_t random_prefix_len, pr_prefix_len, pr_suffix_len, pr_num_prefixes, pr_output_len;
    int64_t num_turns;
    const char *lora_modules;
    const char *burstiness;      /* --burstiness: a number above 0 or inf */
    int64_t sharegpt_output_len; /* --sharegpt-output-len (0: not given) */
} lp_cli_workload;

/** Everything unset but `vllm bench serve`'s random-dataset defaults: 1024 prompt and 128
 *  output tokens per request, 1000 prompts. */
void lp_cli_workload_init(lp_cli_workload *w);

/** Option rows for an lp_opt table initializer. */
#define LP_CLI_WORKLOAD_OPTS(w)                                                                    \
    {"--random-input-len", "--input-len", LP_OPT_INT,                                              \
     &(w).input_len,       "N",           "prompt tokens per request (default 1024)",              \
     &(w).seen_input_len},                                                                         \
        {"--random-output-len",                                                                    \
         "--output-len",                                                                           \
         LP_OPT_INT,                                                                               \
         &(w).output_len,                                                                          \
         "N",                                                                                      \
         "output tokens per request (default 128)",                                                \
         &(w).seen_output_len},                                                                    \
        {"--input-len-dist",                                                                       \
         NULL,                                                                                     \
         LP_OPT_STRING,                                                                            \
         &(w).input_dist,                                                                          \
         "D",                                                                                      \
         "prompt length distribution (see below)",                                                 \
         NULL},                                                                                    \
        {"--output-len-dist",                                                                      \
         NULL,                                                                                     \
         LP_OPT_STRING,                                                                            \
         &(w).output_dist,                                                                         \
         "D",                                                                                      \
         "output length distribution (see below)",                                                 \
         NULL},                                                                                    \
        {"--dataset-name",                                                                         \
         NULL,                                                                                     \
         LP_OPT_STRING,                                                                            \
         &(w).dataset,                                                                             \
         "NAME",                                                                                   \
         "random (default) or sharegpt (means 206 in / 204 out)",                                  \
         NULL},                                                                                    \
        {"--num-prompts",                                                                          \
         NULL,                                                                                     \
         LP_OPT_INT,                                                                               \
         &(w).num_prompts,                                                                         \
         "N",                                                                                      \
         "requests in the benchmark (default 1000)",                                               \
         NULL},                                                                                    \
        {"--request-rate",                                                                         \
         NULL,                                                                                     \
         LP_OPT_STRING,                                                                            \
         &(w).request_rate,                                                                        \
         "R",                                                                                      \
         "Poisson arrivals per second, or inf (default: inf)",                                     \
         NULL},                                                                                    \
        {"--burstiness",                                                                           \
         NULL,                                                                                     \
         LP_OPT_STRING,                                                                            \
         &(w).burstiness,                                                                          \
         "F",                                                                                      \
         "gamma shape of the gaps at a finite rate: 1 Poisson (default), <1 burstier, inf even",   \
         NULL},                                                                                    \
        {"--sharegpt-output-len",                                                                  \
         NULL,                                                                                     \
         LP_OPT_INT,                                                                               \
         &(w).sharegpt_output_len,                                                                 \
         "N",                                                                                      \
         "--dataset-name sharegpt: every output N tokens (prompts as the data set's)",             \
         NULL},                                                                                    \
        {"--max-concurrency",                                                                      \
         NULL,                                                                                     \
         LP_OPT_INT,                                                                               \
         &(w).max_concurrency,                                                                     \
         "N",                                                                                      \
         "client-side limit on requests in flight",                                                \
         NULL},                                                                                    \
        {"--random-prefix-len",                                                                    \
         NULL,                                                                                     \
         LP_OPT_INT,                                                                               \
         &(w).random_prefix_len,                                                                   \
         "N",                                                                                      \
         "a prefix every prompt shares, added to its length",                                      \
         NULL},                                                                                    \
        {"--prefix-repetition-prefix-len",                                                         \
         NULL,                                                                                     \
         LP_OPT_INT,                                                                               \
         &(w).pr_prefix_len,                                                                       \
         "N",                                                                                      \
         "--dataset-name prefix_repetition: prefix tokens (256)",                                  \
         NULL},                                                                                    \
        {"--prefix-repetition-suffix-len",                                                         \
         NULL,                                                                                     \
         LP_OPT_INT,                                                                               \
         &(w).pr_suffix_len,                                                                       \
         "N",                                                                                      \
         "  ... random suffix tokens per prompt (256)",                                            \
         NULL},                                                                                    \
        {"--prefix-repetition-num-prefixes", NULL, LP_OPT_INT, &(w).pr_num_prefixes, "N",          \
         "  ... distinct prefixes (10)",     NULL},                                                \
        {"--prefix-repetition-output-len", NULL, LP_OPT_INT, &(w).pr_output_len, "N",              \
         "  ... output tokens (128)",      NULL},                                                  \
        {"--num-turns", NULL,                                                                      \
         LP_OPT_INT,    &(w).num_turns,                                                            \
         "N",           "turns per conversation, each prompt the whole history (simulate)",        \
         NULL},                                                                                    \
    {                                                                                              \
        "--lora-modules", NULL, LP_OPT_STRING, &(w).lora_modules, "NAMES",                         \
            "adapters requests pick at random (comma-separated)", NULL                             \
    }

/** The --daily-output-tokens row (recommend and explain). */
#define LP_CLI_DAILY_OPT(w)                                                                        \
    {                                                                                              \
        "--daily-output-tokens", NULL, LP_OPT_DOUBLE, &(w).daily_output_tokens, "T",               \
            "output tokens per day (a mean request rate)", NULL                                    \
    }

/** Arrays a histogram distribution points to (the caller frees them at the end). */
typedef struct {
    double *values, *weights;
} lp_cli_hist_store;

/**
 * The workload flags as an lp_workload (hist:FILE distributions point into hs[0] (input) and
 * hs[1] (output), which the caller frees with lp_cli_hist_free). Checks ranges and that
 * --request-rate and --daily-output-tokens are not both given. Prints one message naming
 * `llmplan <cmd>` and returns an exit code on a problem; 0 when w is filled.
 */
int lp_cli_build_workload(const char *cmd, const lp_cli_workload *a, lp_workload *w,
                          lp_cli_hist_store hs[2]);

/** Latency and throughput targets as flags (0: no target). */
typedef struct {
    double max_ttft_ms, max_tpot_ms, max_itl_ms, max_e2e_ms, min_throughput;
    int64_t percentile;
} lp_cli_targets;

/** No targets, latencies at p50. */
void lp_cli_targets_init(lp_cli_targets *t);

#define LP_CLI_TARGET_OPTS(t)                                                                      \
    {"--max-ttft-ms",                                                                              \
     NULL,                                                                                         \
     LP_OPT_DOUBLE,                                                                                \
     &(t).max_ttft_ms,                                                                             \
     "MS",                                                                                         \
     "target: time to first token",                                                                \
     NULL},                                                                                        \
        {"--max-tpot-ms",                                                                          \
         NULL,                                                                                     \
         LP_OPT_DOUBLE,                                                                            \
         &(t).max_tpot_ms,                                                                         \
         "MS",                                                                                     \
         "target: time per output token",                                                          \
         NULL},                                                                                    \
        {"--max-itl-ms",                                                                           \
         NULL,                                                                                     \
         LP_OPT_DOUBLE,                                                                            \
         &(t).max_itl_ms,                                                                          \
         "MS",                                                                                     \
         "target: inter-token latency",                                                            \
         NULL},                                                                                    \
        {"--max-e2e-ms",                                                                           \
         NULL,                                                                                     \
         LP_OPT_DOUBLE,                                                                            \
         &(t).max_e2e_ms,                                                                          \
         "MS",                                                                                     \
         "target: end-to-end latency",                                                             \
         NULL},                                                                                    \
        {"--percentile",                                                                           \
         NULL,                                                                                     \
         LP_OPT_INT,                                                                               \
         &(t).percentile,                                                                          \
         "P",                                                                                      \
         "latency targets at p50 (default), p90 or p99",                                           \
         NULL},                                                                                    \
    {                                                                                              \
        "--min-throughput", NULL, LP_OPT_DOUBLE, &(t).min_throughput, "TOK_S",                     \
            "target: output tokens/s of the whole deployment", NULL                                \
    }

/** Check the target flags (percentile 50/90/99, limits >= 0) and fill out; 0 or exit code. */
int lp_cli_targets_build(const char *cmd, const lp_cli_targets *t, lp_targets *out);

/** Free the arrays of a histogram store (safe on an empty one). */
void lp_cli_hist_free(lp_cli_hist_store *hs);

/** The help text around the option list of the commands that take a workload: the heading
 *  before it and the length distributions after it. */
#define LP_CLI_WORKLOAD_OPTIONS_HEADING                                                            \
    "Options (engine settings as `vllm serve` spells them, workload as `vllm bench\n"              \
    "serve` does):\n"
#define LP_CLI_LEN_DIST_HELP                                                                       \
    "\nLength distributions (--input-len-dist / --output-len-dist):\n"                             \
    "  normal:MEAN,SD   uniform:LO,HI   hist:FILE (lines \"tokens weight\")   sharegpt\n"

/** Largest --request-rate (requests per second), as the JSON readers take request_rate. */
#define LP_CLI_MAX_REQUEST_RATE 1e9
#define LP_CLI_RATE_EXPECTED "a number of requests per second above 0 and at most 1e9, or inf"

/**
 * Parse a --request-rate value: "inf" (all at once: *out = 0) or a number in
 * (0, LP_CLI_MAX_REQUEST_RATE] read by the one number parser (no hex, NaN or trailing text).
 */
bool lp_cli_parse_rate(const char *text, double *out);

#define LP_CLI_BURSTINESS_EXPECTED "a number above 0 (1: Poisson) and at most 1e9, or inf"

/** Parse a --burstiness value: a number in (0, LP_MAX_BURSTINESS] or "inf" (INFINITY). */
bool lp_cli_parse_burstiness(const char *text, double *out);

/** Print "llmplan CMD: <fmt with arg> (see llmplan CMD --help)" and return LP_EXIT_USAGE. */
int lp_cli_usage_error(const char *cmd, const char *fmt, const char *arg);

/**
 * Parse a length distribution spec for flag (used in messages). sharegpt_mean is the mean
 * of the ShareGPT-like preset. hist:FILE reads "tokens weight" lines into hs. Returns 0, or
 * prints one message and returns an exit code (2 bad spec, 1 unreadable file).
 */
int lp_cli_parse_len_dist(const char *cmd, const char *flag, const char *spec, double sharegpt_mean,
                          lp_len_dist *d, lp_cli_hist_store *hs);

#endif
