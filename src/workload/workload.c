/*
 * workload.c - the lp_workload and lp_targets values: defaults as `vllm bench serve` has them,
 * the ShareGPT-like preset and the checks every front end and use case shares.
 * Length distributions themselves (fixed, mean, validation, sampling) live with the
 * simulation that samples them (src/perf/dist.c); this file only assembles and checks.
 */
#include "llmplan/workload.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* `vllm bench serve` defaults (benchmarks/benchmark_serving.py: --random-input-len 1024,
 * --random-output-len 128, --num-prompts 1000). */
#define LP_DEFAULT_INPUT_LEN 1024.0
#define LP_DEFAULT_OUTPUT_LEN 128.0
#define LP_DEFAULT_NUM_PROMPTS 1000
/* Quantile taken as the longest request of an unbounded distribution (normal or
 * ShareGPT-like without hi): one request in a thousand may be cut by --max-model-len. */
#define LP_LEN_LONGEST_QUANTILE 0.999

lp_status lp_len_longest(const lp_len_dist *d, double *out) {
    switch (d->kind) {
    case LP_LEN_FIXED:
        *out = d->mean;
        return LP_OK;
    case LP_LEN_UNIFORM:
        *out = d->hi;
        return LP_OK;
    case LP_LEN_HISTOGRAM: {
        double m = 0;
        for (int i = 0; i < d->n; i++)
            if (d->weights[i] > 0 && d->values[i] > m)
                m = d->values[i];
        *out = m;
        return LP_OK;
    }
    default:
        if (d->hi > d->lo && d->hi >= 1) {
            *out = d->hi;
            return LP_OK;
        }
        return lp_len_quantile(d, LP_LEN_LONGEST_QUANTILE, out);
    }
}

lp_status lp_workload_context_needed(const lp_workload *w, int64_t *tokens) {
    double in = 0, out = 0;
    lp_status st = lp_len_longest(&w->input, &in);
    if (st == LP_OK)
        st = lp_len_longest(&w->output, &out);
    /* the last turn of a conversation carries every earlier prompt and answer */
    double turns = w->num_turns > 1 ? (double)w->num_turns : 1.0;
    *tokens = (int64_t)ceil(turns * (in + out));
    /* vllm bench serve keeps no ShareGPT pair longer than that (is_valid_sequence) */
    if (w->input.kind == LP_LEN_SHAREGPT && turns == 1.0 && *tokens > LP_SHAREGPT_MAX_PAIR_TOKENS)
        *tokens = LP_SHAREGPT_MAX_PAIR_TOKENS;
    return st;
}

const char *lp_dataset_name(lp_dataset dataset) {
    switch (dataset) {
    case LP_DATASET_RANDOM:
        return "random";
    case LP_DATASET_SHAREGPT:
        return "sharegpt";
    case LP_DATASET_PREFIX_REPETITION:
        return "prefix_repetition";
    }
    return "unknown";
}

lp_status lp_dataset_parse(const char *name, lp_dataset *out, lp_error *err) {
    static const lp_dataset all[] = {LP_DATASET_RANDOM, LP_DATASET_SHAREGPT,
                                     LP_DATASET_PREFIX_REPETITION};
    for (size_t i = 0; name && i < sizeof all / sizeof all[0]; i++)
        if (strcasecmp(name, lp_dataset_name(all[i])) == 0) {
            *out = all[i];
            return LP_OK;
        }
    return lp_error_set(err, LP_ERR_INVALID_ARG,
                        "--dataset-name: expected random, sharegpt or prefix_repetition, got "
                        "\"%s\"",
                        name ? name : "");
}

void lp_workload_init(lp_workload *w) {
    memset(w, 0, sizeof *w);
    w->dataset = LP_DATASET_RANDOM;
    w->input = lp_len_fixed(LP_DEFAULT_INPUT_LEN);
    w->output = lp_len_fixed(LP_DEFAULT_OUTPUT_LEN);
    w->num_prompts = LP_DEFAULT_NUM_PROMPTS;
}

void lp_workload_sharegpt(lp_workload *w, double input_mean, double output_mean) {
    w->dataset = LP_DATASET_SHAREGPT;
    w->input = lp_len_sharegpt_input(input_mean > 0 ? input_mean : LP_SHAREGPT_MEAN_INPUT);
    w->output = lp_len_sharegpt_output(output_mean > 0 ? output_mean : LP_SHAREGPT_MEAN_OUTPUT);
}

lp_status lp_workload_sharegpt_output_len(lp_workload *w, int64_t tokens, lp_error *err) {
    if (w->dataset != LP_DATASET_SHAREGPT)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--sharegpt-output-len applies to --dataset-name sharegpt, not %s",
                            lp_dataset_name(w->dataset));
    /* is_valid_sequence keeps prompts of at least 4 tokens and pairs of at most 2048 */
    const int64_t most = LP_SHAREGPT_MAX_PAIR_TOKENS - LP_SHAREGPT_MIN_PROMPT_LEN;
    if (tokens < 1 || tokens > most)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--sharegpt-output-len: expected 1 to %lld tokens (vllm bench serve "
                            "drops ShareGPT pairs over %d tokens and prompts under %d), got %lld",
                            (long long)most, LP_SHAREGPT_MAX_PAIR_TOKENS,
                            LP_SHAREGPT_MIN_PROMPT_LEN, (long long)tokens);
    w->output = lp_len_fixed((double)tokens);
    w->sharegpt_output_len = (int)tokens;
    return LP_OK;
}

lp_status lp_workload_random_prefix(lp_workload *w, int prefix_len, lp_error *err) {
    if (prefix_len < 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "--random-prefix-len must not be negative");
    if (prefix_len == 0)
        return LP_OK;
    if (w->dataset != LP_DATASET_RANDOM)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--random-prefix-len applies to --dataset-name random, not %s",
                            lp_dataset_name(w->dataset));
    lp_len_dist *d = &w->input;
    if (d->kind != LP_LEN_FIXED && d->kind != LP_LEN_NORMAL && d->kind != LP_LEN_UNIFORM)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--random-prefix-len needs fixed, normal or uniform prompt lengths "
                            "(the prefix is added to each)");
    d->mean += prefix_len;
    if (d->kind == LP_LEN_UNIFORM) {
        d->lo += prefix_len;
        d->hi += prefix_len;
    } else if (d->kind == LP_LEN_NORMAL) {
        /* the random part keeps its own clamp [max(lo, 1), hi] */
        double lo = d->lo >= 1.0 ? d->lo : 1.0;
        if (d->hi > lo)
            d->hi += prefix_len;
        d->lo = lo + prefix_len;
    }
    w->prefix_len = prefix_len;
    w->num_prefixes = 1;
    return LP_OK;
}

void lp_workload_prefix_repetition(lp_workload *w, int prefix_len, int suffix_len, int num_prefixes,
                                   int output_len) {
    if (prefix_len <= 0)
        prefix_len = LP_PREFIX_REPETITION_PREFIX_LEN;
    if (suffix_len <= 0)
        suffix_len = LP_PREFIX_REPETITION_SUFFIX_LEN;
    if (num_prefixes <= 0)
        num_prefixes = LP_PREFIX_REPETITION_NUM_PREFIXES;
    if (output_len <= 0)
        output_len = LP_PREFIX_REPETITION_OUTPUT_LEN;
    w->dataset = LP_DATASET_PREFIX_REPETITION;
    w->input = lp_len_fixed((double)prefix_len + (double)suffix_len);
    w->output = lp_len_fixed((double)output_len);
    w->prefix_len = prefix_len;
    w->num_prefixes = num_prefixes;
}

int lp_workload_count_names(const char *list) {
    int n = 0;
    bool in_name = false;
    for (const char *p = list ? list : ""; *p; p++) {
        bool sep = *p == ',' || *p == ' ' || *p == '\t';
        if (!sep && !in_name)
            n++;
        in_name = !sep;
    }
    return n;
}

/* The shortest prompt a distribution can draw (its lower bound, or the mean when fixed). */
static double shortest(const lp_len_dist *d) {
    switch (d->kind) {
    case LP_LEN_FIXED:
        return d->mean;
    case LP_LEN_HISTOGRAM: {
        double m = INFINITY;
        for (int i = 0; i < d->n; i++)
            if (d->weights[i] > 0 && d->values[i] < m)
                m = d->values[i];
        return m;
    }
    default:
        return d->lo >= 1 ? d->lo : 1;
    }
}

static lp_status check_sharing(const lp_workload *w, lp_error *err) {
    if (w->prefix_len < 0 || w->num_prefixes < 0 || w->num_turns < 0 || w->num_lora_modules < 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "prefix length, number of prefixes, --num-turns and --lora-modules "
                            "must not be negative");
    if (w->prefix_len > 0) {
        if (w->prefix_len >= shortest(&w->input))
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "the shared prefix (%d tokens) must be shorter than every prompt "
                                "(shortest %.0f)",
                                w->prefix_len, shortest(&w->input));
        if (w->num_prefixes < 1 || w->num_prefixes > w->num_prompts)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "--prefix-repetition-num-prefixes must be between 1 and "
                                "--num-prompts (%d), got %d",
                                w->num_prompts, w->num_prefixes);
    }
    if (w->num_turns > w->num_prompts)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--num-turns (%d) must not exceed --num-prompts (%d): every turn is "
                            "one request",
                            w->num_turns, w->num_prompts);
    return LP_OK;
}

lp_status lp_workload_check(const lp_workload *w, lp_error *err) {
    lp_status st;
    if ((st = lp_len_validate(&w->input, "input length", err)) != LP_OK)
        return st;
    if ((st = lp_len_validate(&w->output, "output length", err)) != LP_OK)
        return st;
    if (w->num_prompts <= 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "--num-prompts must be positive, got %d",
                            w->num_prompts);
    if (w->max_concurrency < 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "--max-concurrency must not be negative");
    if (!(w->request_rate >= 0.0))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--request-rate must be a positive number of requests per second or "
                            "inf");
    if (!(w->burstiness >= 0.0))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--burstiness must be positive (1: Poisson, below 1: burstier, "
                            "inf: evenly spaced), got %g",
                            w->burstiness);
    return check_sharing(w, err);
}

void lp_targets_init(lp_targets *t) {
    memset(t, 0, sizeof *t);
    t->percentile = 50;
}

bool lp_targets_any(const lp_targets *t) {
    return t->max_ttft_ms > 0 || t->max_tpot_ms > 0 || t->max_itl_ms > 0 || t->max_e2e_ms > 0 ||
           t->min_output_tok_s > 0;
}

lp_status lp_targets_check(const lp_targets *t, lp_error *err) {
    const struct {
        const char *name;
        double v;
    } limits[] = {{"max_ttft_ms", t->max_ttft_ms},
                  {"max_tpot_ms", t->max_tpot_ms},
                  {"max_itl_ms", t->max_itl_ms},
                  {"max_e2e_ms", t->max_e2e_ms},
                  {"min_throughput", t->min_output_tok_s}};
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++)
        if (!(limits[i].v >= 0) || !isfinite(limits[i].v))
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "%s: expected a positive number (0: no target)", limits[i].name);
    if (t->percentile != 0 && t->percentile != 50 && t->percentile != 90 && t->percentile != 99)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "percentile: expected 50, 90 or 99, got %d",
                            t->percentile);
    return LP_OK;
}
