/*
 * test_dist.c - length distributions (src/perf/dist.c), above all ShareGPT as
 * `vllm bench serve --dataset-name sharegpt` samples it.
 *
 * The filter is checked against vLLM's own rule, restated here from
 * vllm/benchmarks/dataset_utils.py is_valid_sequence (min_len 4, max_prompt_len 1024,
 * max_total_len 2048; the output minimum is skipped when --sharegpt-output-len fixes the
 * output). The shapes are checked against the per-request lengths of two published
 * `benchmark_serving.py --save-result` runs in ../shared/fixtures/vllm-bench (the data they
 * were fitted to: this guards the implementation of the fit, not its generality).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "support/lp_test.h"

#include "llmplan/validate.h"
#include "perf/perf_internal.h"
#include "validate/tsv.h"

#define PAIRS 100000

/* vllm/benchmarks/dataset_utils.py is_valid_sequence with its defaults. */
/* lp_len_quantile's value (it cannot fail for these distributions). */
static double quantile(const lp_len_dist *d, double q) {
    double v = NAN;
    assert_int_equal(lp_len_quantile(d, q, &v), LP_OK);
    return v;
}

static int vllm_keeps(int64_t prompt, int64_t output, int skip_min_output) {
    int prompt_too_short = prompt < 4;
    int output_too_short = !skip_min_output && output < 4;
    int prompt_too_long = prompt > 1024;
    int combined_too_long = prompt + output > 2048;
    return !(prompt_too_short || output_too_short || prompt_too_long || combined_too_long);
}

static lp_len_pair_sampler sampler(lp_len_dist in, lp_len_dist out) {
    lp_len_pair_sampler s;
    lp_error err;
    lp_error_clear(&err);
    if (lp_len_pair_init(&s, &in, &out, &err) != LP_OK)
        fail_msg("%s", err.message);
    return s;
}

/* Every pair is one vLLM would keep, and the means after the filter are the ones asked for. */
static void test_sharegpt_pairs_pass_vllm_filter(void **state) {
    (void)state;
    lp_len_pair_sampler s = sampler(lp_len_sharegpt_input(LP_SHAREGPT_MEAN_INPUT),
                                    lp_len_sharegpt_output(LP_SHAREGPT_MEAN_OUTPUT));
    lp_rng rng;
    lp_rng_seed(&rng, 1);
    lp_error err;
    double sum_in = 0, sum_out = 0;
    int64_t max_in = 0, max_out = 0;
    for (int i = 0; i < PAIRS; i++) {
        int64_t p, o;
        assert_int_equal(lp_len_pair_sample(&s, &rng, &p, &o, &err), LP_OK);
        if (!vllm_keeps(p, o, 0))
            fail_msg("pair %d: %lld + %lld tokens is one vLLM drops", i, (long long)p,
                     (long long)o);
        sum_in += (double)p;
        sum_out += (double)o;
        max_in = p > max_in ? p : max_in;
        max_out = o > max_out ? o : max_out;
    }
    /* the shapes are located for the means of each side alone; the joint cut drops few pairs */
    lp_assert_near(sum_in / PAIRS, LP_SHAREGPT_MEAN_INPUT, 0.02 * LP_SHAREGPT_MEAN_INPUT);
    lp_assert_near(sum_out / PAIRS, LP_SHAREGPT_MEAN_OUTPUT, 0.02 * LP_SHAREGPT_MEAN_OUTPUT);
    /* long-tailed: prompts reach the cut, outputs go well past 4 x their mean */
    assert_true(max_in >= 1000);
    assert_true(max_out > 4 * LP_SHAREGPT_MEAN_OUTPUT);
}

/* --sharegpt-output-len N: the output is N for every pair and only prompts of at most
 * 2048 - N tokens are kept (is_valid_sequence with skip_min_output_len_check). */
static void test_sharegpt_fixed_output_filter_count(void **state) {
    (void)state;
    lp_rng rng;
    lp_rng_seed(&rng, 2);
    lp_error err;
    int64_t p, o;

    /* 2048 - 2044 = 4 = the shortest prompt kept: all 1000 prompts are exactly 4 tokens */
    lp_len_pair_sampler s =
        sampler(lp_len_sharegpt_input(LP_SHAREGPT_MEAN_INPUT), lp_len_fixed(2044));
    int fours = 0;
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(lp_len_pair_sample(&s, &rng, &p, &o, &err), LP_OK);
        assert_int_equal(o, 2044);
        fours += p == 4;
    }
    assert_int_equal(fours, 1000);

    /* output 2000: prompts of 4..48 tokens only */
    s = sampler(lp_len_sharegpt_input(LP_SHAREGPT_MEAN_INPUT), lp_len_fixed(2000));
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(lp_len_pair_sample(&s, &rng, &p, &o, &err), LP_OK);
        assert_true(p >= 4 && p <= 48 && vllm_keeps(p, o, 1));
    }

    /* output 2 is kept (the minimum applies to the dataset's answers only) */
    s = sampler(lp_len_sharegpt_input(LP_SHAREGPT_MEAN_INPUT), lp_len_fixed(2));
    assert_int_equal(lp_len_pair_sample(&s, &rng, &p, &o, &err), LP_OK);
    assert_int_equal(o, 2);

    /* output 2045: no prompt of 4 tokens fits in 2048 */
    lp_len_pair_sampler bad;
    lp_len_dist in = lp_len_sharegpt_input(LP_SHAREGPT_MEAN_INPUT), out = lp_len_fixed(2045);
    assert_int_equal(lp_len_pair_init(&bad, &in, &out, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "2048"));
}

/* The bug this replaced: a ShareGPT kind set on top of lp_len_fixed(1024) (what the CLI did
 * for --dataset-name sharegpt) clamped every draw to 1024 tokens. The pair sampler must ignore
 * a fixed distribution's leftovers and draw the whole ShareGPT range. */
static void test_sharegpt_kind_over_fixed_is_not_clamped(void **state) {
    (void)state;
    lp_len_dist in = lp_len_fixed(1024), out = lp_len_fixed(128);
    in.kind = out.kind = LP_LEN_SHAREGPT;
    in.mean = LP_SHAREGPT_MEAN_INPUT;
    out.mean = LP_SHAREGPT_MEAN_OUTPUT;
    lp_len_pair_sampler s = sampler(in, out);
    lp_rng rng;
    lp_rng_seed(&rng, 3);
    lp_error err;
    int at_1024 = 0, above_128 = 0;
    for (int i = 0; i < 1000; i++) {
        int64_t p, o;
        assert_int_equal(lp_len_pair_sample(&s, &rng, &p, &o, &err), LP_OK);
        at_1024 += p == 1024;
        above_128 += o > 128;
    }
    assert_true(at_1024 < 50);
    assert_true(above_128 > 300);
}

/* The context a ShareGPT workload needs is vLLM's pair cut, 2048 tokens, not the longest
 * prompt (1024) plus the longest output alone (2044). */
static void test_sharegpt_context_needed(void **state) {
    (void)state;
    lp_workload w;
    lp_workload_init(&w);
    lp_workload_sharegpt(&w, 0, 0);
    int64_t tokens = 0;
    assert_int_equal(lp_workload_context_needed(&w, &tokens), LP_OK);
    assert_int_equal(tokens, 2048);
}

/* Means vLLM's filter cannot produce are refused with a reason. */
static void test_sharegpt_mean_out_of_reach(void **state) {
    (void)state;
    lp_error err;
    lp_error_clear(&err);
    lp_len_dist d = lp_len_sharegpt_input(5000);
    assert_int_equal(lp_len_validate(&d, "input length", &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "1024"));
    d = lp_len_sharegpt_output(2);
    assert_int_equal(lp_len_validate(&d, "output length", &err), LP_ERR_INVALID_ARG);
    d = lp_len_sharegpt_output(500);
    assert_int_equal(lp_len_validate(&d, "output length", &err), LP_OK);
}

/* Gamma deviates (vllm bench serve's --burstiness gaps): a gamma with shape k and scale s has
 * mean k s and variance k s^2 (any table of the distribution). vLLM's get_request draws the
 * gaps at rate r with k = burstiness and s = 1 / (r x burstiness), so the mean gap is 1 / r
 * whatever the shape. Worked by hand:
 *   k 0.25, s 2      mean 0.5    variance 1.0
 *   k 3,    s 2      mean 6      variance 12
 *   k 0.5,  r 4/s:   s 0.5,   mean 0.25 s, variance 0.125 s^2   (burstier than Poisson)
 *   k 1,    r 4/s:   s 0.25,  mean 0.25 s, variance 0.0625 s^2  (exponential: Poisson)
 *   k 2,    r 4/s:   s 0.125, mean 0.25 s, variance 0.03125 s^2 (more regular)
 * 200,000 draws: the mean's standard error is at most 0.2 % of it (k >= 0.25); the
 * variance's at most 1.2 % (excess kurtosis 6 / k = 24 at k 0.25): 2 % and 5 % tolerances. */
static void test_gamma(void **state) {
    (void)state;
    static const struct {
        double shape, scale, mean, var;
    } CASES[] = {{0.25, 2.0, 0.5, 1.0},
                 {3.0, 2.0, 6.0, 12.0},
                 {0.5, 0.5, 0.25, 0.125},
                 {1.0, 0.25, 0.25, 0.0625},
                 {2.0, 0.125, 0.25, 0.03125}};
    for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
        lp_rng rng;
        lp_rng_seed(&rng, 9);
        double sum = 0, sum2 = 0;
        const int n = 200000;
        for (int i = 0; i < n; i++) {
            double x = lp_rng_gamma(&rng, CASES[k].shape, CASES[k].scale);
            assert_true(x >= 0);
            sum += x;
            sum2 += x * x;
        }
        double mean = sum / n, var = sum2 / n - mean * mean;
        lp_assert_near(mean, CASES[k].mean, 0.02 * CASES[k].mean);
        lp_assert_near(var, CASES[k].var, 0.05 * CASES[k].var);
    }
}

/* A negative or NaN burstiness is refused by the workload check; 0 (the default) and inf are
 * accepted. */
static void test_burstiness_checked(void **state) {
    (void)state;
    lp_workload w;
    lp_workload_init(&w);
    lp_error err;
    lp_error_clear(&err);
    assert_int_equal(lp_workload_check(&w, &err), LP_OK);
    w.burstiness = INFINITY;
    assert_int_equal(lp_workload_check(&w, &err), LP_OK);
    w.burstiness = -1;
    assert_int_equal(lp_workload_check(&w, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "--burstiness"));
    w.burstiness = NAN;
    assert_int_equal(lp_workload_check(&w, &err), LP_ERR_INVALID_ARG);
}

/* Phi^-1(0.975) = 1.959964 (any table of the normal distribution). */
static void test_quantile_normal(void **state) {
    (void)state;
    lp_len_dist d = {0};
    d.kind = LP_LEN_NORMAL;
    d.mean = 100;
    d.stddev = 10;
    lp_assert_near(quantile(&d, 0.975), 119.59964, 1e-4);
    lp_assert_near(quantile(&d, 0.5), 100.0, 1e-9);
    lp_assert_near(quantile(&d, 0.001), 100 - 30.902323, 1e-4);
    /* uniform [10, 20]: linear */
    d.kind = LP_LEN_UNIFORM;
    d.lo = 10;
    d.hi = 20;
    lp_assert_near(quantile(&d, 0.25), 12.5, 1e-12);
}

static int cmp_long(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* numpy's default (linear) percentile of a sorted array. */
static double percentile(const long *v, size_t n, double q) {
    double r = q * (double)(n - 1);
    size_t lo = (size_t)r, hi = lo + 1 < n ? lo + 1 : lo;
    return (double)v[lo] + (r - (double)lo) * (double)(v[hi] - v[lo]);
}

/* Lengths of the published runs (their per-request arrays) against the fitted shapes. */
static void test_sharegpt_shape_matches_published_runs(void **state) {
    (void)state;
    static const char *const FILES[] = {
        "fixtures/vllm-bench/llama-3.3-70b.tp8.a100-40gbx8.qps-inf.benchmark_serving.json",
        "fixtures/vllm-bench/deepseek-v2.5.tp8pp2.2x-a100-40gbx8.qps-4.benchmark_serving.json"};
    long in[512], out[512];
    size_t n_in = 0, n_out = 0;
    for (size_t f = 0; f < 2; f++) {
        char path[512];
        lp_test_shared_path(FILES[f], path, sizeof path);
        json_error_t jerr;
        json_t *j = json_load_file(path, 0, &jerr);
        if (!j)
            fail_msg("%s: %s", path, jerr.text);
        json_t *ins = json_object_get(j, "input_lens"), *outs = json_object_get(j, "output_lens");
        assert_true(json_is_array(ins) && json_is_array(outs));
        for (size_t i = 0; i < json_array_size(ins) && n_in < 512; i++)
            in[n_in++] = (long)json_integer_value(json_array_get(ins, i));
        for (size_t i = 0; i < json_array_size(outs) && n_out < 512; i++) {
            long v = (long)json_integer_value(json_array_get(outs, i));
            if (v >= 4) /* the outputs the filter would keep; 1-3 are early ends */
                out[n_out++] = v;
        }
        json_decref(j);
    }
    assert_true(n_in == 400 && n_out > 300);
    qsort(in, n_in, sizeof *in, cmp_long);
    qsort(out, n_out, sizeof *out, cmp_long);

    /* the shapes at the runs' own means: quartiles and p90 within 25 % (400 requests carry
     * about 10-15 % sampling error at these quantiles) */
    double mean_in = 0, mean_out = 0;
    for (size_t i = 0; i < n_in; i++)
        mean_in += (double)in[i] / (double)n_in;
    for (size_t i = 0; i < n_out; i++)
        mean_out += (double)out[i] / (double)n_out;
    lp_len_dist din = lp_len_sharegpt_input(mean_in), dout = lp_len_sharegpt_output(mean_out);
    static const double Q[] = {0.25, 0.5, 0.75, 0.9};
    for (size_t k = 0; k < sizeof Q / sizeof Q[0]; k++) {
        double want_in = percentile(in, n_in, Q[k]), want_out = percentile(out, n_out, Q[k]);
        lp_assert_near(quantile(&din, Q[k]), want_in, 0.25 * want_in);
        /* the runs have more very short answers than an exponential (their p25 is 37 tokens,
         * the shape's 72: a known misfit of the low end, see dist.c); median and up agree */
        if (Q[k] >= 0.5)
            lp_assert_near(quantile(&dout, Q[k]), want_out, 0.25 * want_out);
    }
    /* the library's default means are those of other published runs; these two runs (other
     * tokenizers, another client version) agree within 15 % */
    lp_assert_near(mean_in, LP_SHAREGPT_MEAN_INPUT, 0.15 * mean_in);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The ShareGPT means are the medians, over the fit rows of serving_perf_2.tsv that state
 * output and total tokens/s and requests/s of a vLLM ShareGPT run, of the tokens per request
 * those runs sent and received (input: (total - output) / requests; output: output /
 * requests); the holdout rows' medians agree within 3 %. */
static void test_sharegpt_means_from_validation_rows(void **state) {
    (void)state;
    char path[512];
    lp_test_shared_path("validation/serving_perf_2.tsv", path, sizeof path);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static const char *const NAMES[] = {
        "source", "engine", "engine_version", "model",       "gpu",
        "tp",     "isl",    "output_tok_s",   "total_tok_s", "request_s"};
    enum { SRC, ENGINE, VERSION, MODEL, GPU, TP, ISL, OUT, TOTAL, REQ, N_NAMES };
    int colmap[N_NAMES];
    char *line = NULL, *cols[128], *cell[N_NAMES];
    size_t cap = 0;
    int lineno = 0, n;
    double fit_in[256], fit_out[256], hold_in[256], hold_out[256];
    int n_fit = 0, n_hold = 0;
    bool header = true;
    while ((n = lp_tsv_next(f, &line, &cap, &lineno, cols, 128)) > 0) {
        if (header) {
            lp_tsv_map_header(cols, n, NAMES, N_NAMES, colmap);
            header = false;
            continue;
        }
        lp_tsv_pick(cols, n, colmap, N_NAMES, cell);
        double out = lp_tsv_number(cell[OUT]), total = lp_tsv_number(cell[TOTAL]);
        double req = lp_tsv_number(cell[REQ]);
        if (strncmp(cell[ENGINE], "vLLM", 4) != 0 || strncmp(cell[ISL], "ShareGPT", 8) != 0 ||
            !(out > 0 && total > out && req > 0))
            continue;
        bool hold =
            lp_validate_is_holdout(cell[SRC], cell[MODEL], cell[GPU], cell[TP], cell[VERSION]);
        if (hold && n_hold < 256) {
            hold_in[n_hold] = (total - out) / req;
            hold_out[n_hold++] = out / req;
        } else if (!hold && n_fit < 256) {
            fit_in[n_fit] = (total - out) / req;
            fit_out[n_fit++] = out / req;
        }
    }
    free(line);
    fclose(f);
    assert_true(n_fit >= 20 && n_hold >= 20);
    lp_assert_near(median(fit_in, n_fit), LP_SHAREGPT_MEAN_INPUT, 0.5);
    lp_assert_near(median(fit_out, n_fit), LP_SHAREGPT_MEAN_OUTPUT, 0.5);
    lp_assert_near(median(hold_in, n_hold), LP_SHAREGPT_MEAN_INPUT, 0.03 * LP_SHAREGPT_MEAN_INPUT);
    lp_assert_near(median(hold_out, n_hold), LP_SHAREGPT_MEAN_OUTPUT,
                   0.03 * LP_SHAREGPT_MEAN_OUTPUT);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sharegpt_pairs_pass_vllm_filter),
        cmocka_unit_test(test_sharegpt_fixed_output_filter_count),
        cmocka_unit_test(test_sharegpt_kind_over_fixed_is_not_clamped),
        cmocka_unit_test(test_sharegpt_context_needed),
        cmocka_unit_test(test_sharegpt_mean_out_of_reach),
        cmocka_unit_test(test_gamma),
        cmocka_unit_test(test_burstiness_checked),
        cmocka_unit_test(test_quantile_normal),
        cmocka_unit_test(test_sharegpt_shape_matches_published_runs),
        cmocka_unit_test(test_sharegpt_means_from_validation_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
