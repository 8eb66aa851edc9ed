/*
 * test_cli_compare.c - `llmplan compare` and `llmplan calibrate` as a user runs them, on the
 * constructed files of tests/data/vllm-bench/, and `llmplan estimate --calibration`.
 * Expected measured values are the files' own; estimates are only checked for presence and
 * sign conventions (their accuracy is test_perf_accuracy's subject).
 */
#include "support/lp_test.h"

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DATA LP_SOURCE_DIR "/tests/data/vllm-bench/"

static void test_compare_text(void **state) {
    (void)state;
    char *out = lp_test_cli("compare --result " DATA "vllm-bench-serve_llama-3.1-8b_h100_c8.json "
                            "--model meta-llama/Llama-3.1-8B-Instruct --gpu H100",
                            0);
    assert_non_null(strstr(out, "150 prompts, rate inf, max concurrency 8, mean 20000 in / 2000"));
    assert_non_null(strstr(out, "output_throughput"));
    assert_non_null(strstr(out, "median |error| over"));
    assert_non_null(strstr(out, "unknown key \"gpu_sku\""));
    free(out);
}

static void test_compare_json_with_log(void **state) {
    (void)state;
    /* the benchmark's requests are 20000 + 2000 tokens: a max-model-len below 22000 would be
     * refused by vLLM (and by every method of llmplan) */
    char *out = lp_test_cli(
        "compare --json --result " DATA "vllm-bench-serve_llama-3.1-8b_h100_c8.json --log " DATA
        "startup_v0.19_llama-3.1-8b_h100.log --model meta-llama/Llama-3.1-8B-Instruct "
        "--gpu H100 --gpu-memory-utilization 0.95 --max-model-len 23000 "
        "--vllm-version 0.19.0",
        0);
    json_error_t je;
    json_t *j = json_loads(out, 0, &je);
    if (!j)
        fail_msg("not JSON: %s\n%s", je.text, out);
    json_t *m = json_object_get(json_object_get(j, "performance"), "metrics");
    json_t *ot = json_object_get(m, "output_throughput");
    assert_non_null(ot);
    lp_assert_near(json_real_value(json_object_get(ot, "measured")), 450.3, 1e-9);
    double est = json_real_value(json_object_get(ot, "estimated"));
    double e = json_real_value(json_object_get(ot, "error_pct"));
    lp_assert_near(e, 100.0 * (est - 450.3) / 450.3, 1e-6);
    assert_true(
        json_is_real(json_object_get(json_object_get(j, "performance"), "median_abs_error_pct")));
    json_t *mem = json_object_get(json_object_get(j, "memory"), "metrics");
    json_t *w = json_object_get(mem, "weights_gib");
    lp_assert_near(json_real_value(json_object_get(w, "measured")), 14.99, 1e-9);
    assert_true(json_is_real(json_object_get(w, "estimated")));
    assert_non_null(json_object_get(mem, "kv_tokens"));
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "workload"), "num_prompts")), 150);
    json_decref(j);
    free(out);
}

/* A result file of a run with --burstiness 0.5 at 2 req/s: compare simulates the run as it
 * was sent (gamma gaps of shape 0.5) and echoes the file's burstiness in its workload. The
 * file is written here: 50 prompts, 25,000 input and 6,400 output tokens in all (500 / 128
 * per request). */
static void test_compare_takes_the_files_burstiness(void **state) {
    (void)state;
    char path[256], args[512];
    lp_test_write_temp(path, sizeof path,
                       "{\"num_prompts\": 50, \"request_rate\": 2.0, \"burstiness\": 0.5, "
                       "\"max_concurrency\": null, \"completed\": 50, \"total_input_tokens\": "
                       "25000, \"total_output_tokens\": 6400, \"output_throughput\": 300.0, "
                       "\"mean_ttft_ms\": 50.0}");
    snprintf(args, sizeof args,
             "compare --json --result %s --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 "
             "--method simulate",
             path);
    json_t *j = lp_test_cli_json(args, 0);
    json_t *w = json_object_get(j, "workload");
    lp_assert_near(json_number_value(json_object_get(w, "burstiness")), 0.5, 0);
    lp_assert_near(json_number_value(json_object_get(w, "mean_input_len")), 500, 0);
    json_t *a = json_object_get(j, "assumptions");
    bool said = false;
    for (size_t i = 0; i < json_array_size(a); i++)
        said |= strstr(json_string_value(json_array_get(a, i)),
                       "gamma gaps of burstiness 0.5 at 2 req/s") != NULL;
    assert_true(said);
    json_decref(j);
    snprintf(args, sizeof args,
             "compare --result %s --model meta-llama/Llama-3.1-8B-Instruct --gpu H100", path);
    char *out = lp_test_cli(args, 0);
    assert_non_null(strstr(out, "rate 2 req/s (burstiness 0.5)"));
    free(out);
    unlink(path);
}

static void test_compare_bad_input(void **state) {
    (void)state;
    free(lp_test_cli("compare --result " DATA "malformed_truncated.json --gpu H100", 2));
    free(lp_test_cli("compare --gpu H100", 2));
    free(lp_test_cli("compare --result " DATA "vllm-bench-serve_llama-3.1-8b_h100_c8.json", 2));
    free(lp_test_cli(
        "compare --result " DATA "vllm-bench-serve_llama-3.1-8b_h100_c8.json --gpu NoSuchGPU", 2));
    free(lp_test_cli("compare --result " DATA "no-such.json --gpu H100", 1));
    /* an interconnect no link class names: a usage error that names the flag */
    char *out =
        lp_test_cli("compare --result " DATA "vllm-bench-serve_llama-3.1-8b_h100_c8.json "
                    "--model meta-llama/Llama-3.1-8B-Instruct --gpu H100 --interconnect bogus 2>&1",
                    2);
    assert_non_null(
        strstr(out, "--interconnect: expected nvlink, pcie, infiniband, roce, ethernet"));
    free(out);
}

/* A real vLLM 0.11.0 serve log of Llama-3.1-8B-Instruct (../shared/fixtures, L4, 0.92,
 * max_model_len 32000, max_num_seqs 128) says "Model loading took 14.9889 GiB". By hand:
 * 16,060,522,496 B of bf16 parameters (index total_size) + the bf16 rotary cache of 131,072
 * positions x 128 x 2 B = 33,554,432 B: 16,094,076,928 B = 14.98878 GiB. */
static void test_compare_log_weights(void **state) {
    (void)state;
    char log[1024], args[2048];
    lp_test_shared_path("fixtures/vllm-bench/llama-3.1-8b-instruct.l4.vllm-0.11.0.serve.log", log,
                        sizeof log);
    snprintf(args, sizeof args,
             "compare --json --log %s --model meta-llama/Llama-3.1-8B-Instruct --gpu L4 "
             "--vllm-version 0.11.0 --max-model-len 32000 --gpu-memory-utilization 0.92 "
             "--max-num-seqs 128",
             log);
    json_t *j = lp_test_cli_json(args, 0);
    json_t *w =
        json_object_get(json_object_get(json_object_get(j, "memory"), "metrics"), "weights_gib");
    lp_assert_near(json_real_value(json_object_get(w, "measured")), 14.9889, 1e-9);
    lp_assert_near(json_real_value(json_object_get(w, "estimated")), 16094076928.0 / 1073741824.0,
                   1e-5);
    json_decref(j);
}

/* A failed start-up (the real vLLM 0.25.1 CPU log of ../shared/fixtures) is reported as a
 * failure with vLLM's own exception line, in text and JSON. */
static void test_compare_failed_startup(void **state) {
    (void)state;
    char log[1024], args[2048];
    lp_test_shared_path("fixtures/vllm-bench/opt-125m.cpu.vllm-0.25.1.no-kv-cache-memory.error.log",
                        log, sizeof log);
    snprintf(args, sizeof args,
             "compare --log %s --model meta-llama/Llama-3.1-8B-Instruct --gpu H100", log);
    char *out = lp_test_cli(args, 0);
    assert_non_null(strstr(out, "start-up FAILED in"));
    assert_non_null(strstr(out, "ValueError: No available memory for the cache blocks"));
    assert_non_null(strstr(out, "llmplan plan for these settings: "));
    free(out);
    strncat(args, " --json", sizeof args - strlen(args) - 1);
    json_t *j = lp_test_cli_json(args, 0);
    assert_true(json_is_true(json_object_get(j, "startup_failed")));
    assert_non_null(strstr(json_string_value(json_object_get(j, "vllm_error")),
                           "No available memory for the cache blocks"));
    json_decref(j);
}

static void test_calibrate_and_apply(void **state) {
    (void)state;
    const char *dir = getenv("TMPDIR");
    char calib[512];
    snprintf(calib, sizeof calib, "%s/lp_test_calib_%d.calib", dir && *dir ? dir : "/tmp",
             (int)getpid());
    char args[2048];
    snprintf(args, sizeof args,
             "calibrate --results " DATA
             "benchmark_serving_v0.6_llama-3.1-8b_a100_sharegpt_r4.json " DATA
             "benchmark_serving_v0.4_llama-3.1-8b_a100_inf.json --gpu A100-80GB --out %s",
             calib);
    char *out = lp_test_cli(args, 0);
    assert_non_null(strstr(out, "ampere-datacenter"));
    assert_non_null(strstr(out, "RMS log error on fitted points"));
    free(out);
    size_t len;
    char *text = lp_test_read_file(calib, &len);
    assert_non_null(strstr(text, "# llmplan calibration"));
    assert_non_null(strstr(text, "family = ampere-datacenter"));
    assert_non_null(strstr(text, "points = 2"));
    free(text);
    snprintf(args, sizeof args,
             "estimate --model meta-llama/Llama-3.1-8B-Instruct --gpu A100-80GB --calibration %s",
             calib);
    out = lp_test_cli(args, 0);
    assert_non_null(strstr(out, "calibrated by"));
    free(out);
    /* a Hopper GPU with an Ampere calibration: refused */
    snprintf(args, sizeof args,
             "estimate --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 --calibration %s",
             calib);
    free(lp_test_cli(args, 2));
    remove(calib);
    /* held-back split needs enough files; bad flags exit 2 */
    free(lp_test_cli("calibrate --gpu H100", 2));
    free(lp_test_cli("calibrate --results " DATA "malformed_truncated.json --gpu H100", 2));
    free(lp_test_cli("calibrate --results " DATA
                     "vllm-bench-serve_llama-3.1-8b_h100_c8.json --gpu H100 --holdout 1.5",
                     2));
    out = lp_test_cli("calibrate --results " DATA
                      "vllm-bench-serve_llama-3.1-8b_h100_c8.json --gpu H100 "
                      "--interconnect bogus 2>&1",
                      2);
    assert_non_null(strstr(out, "llmplan calibrate: --interconnect"));
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compare_text),
        cmocka_unit_test(test_compare_json_with_log),
        cmocka_unit_test(test_compare_takes_the_files_burstiness),
        cmocka_unit_test(test_compare_bad_input),
        cmocka_unit_test(test_compare_failed_startup),
        cmocka_unit_test(test_compare_log_weights),
        cmocka_unit_test(test_calibrate_and_apply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
