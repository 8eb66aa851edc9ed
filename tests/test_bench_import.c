/*
 * test_bench_import.c - reading `vllm bench serve --save-result` files, the older
 * benchmark_serving.py ones, and vLLM start-up logs (llmplan/bench_import.h).
 * Inputs are tests/data/vllm-bench/ (constructed in the tools' documented formats; see the
 * README there for where every value comes from) and, when it exists, every file of
 * ../shared/fixtures/vllm-bench/. Expected values are the ones written into those files.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmplan/bench_import.h"
#include "support/lp_test.h"

#define DATA LP_SOURCE_DIR "/tests/data/vllm-bench/"

static bool has_note(char notes[][LP_BENCH_NOTE_SIZE], int n, const char *text) {
    for (int i = 0; i < n; i++)
        if (strstr(notes[i], text))
            return true;
    return false;
}

/* The current format: every statistic, per-request arrays, a --metadata key. */
static void test_vllm_bench_serve(void **state) {
    (void)state;
    static lp_bench_result r;
    lp_error err;
    lp_status st =
        lp_bench_result_load(DATA "vllm-bench-serve_llama-3.1-8b_h100_c8.json", &r, &err);
    if (st != LP_OK)
        fail_msg("%s", err.message);
    assert_string_equal(r.model_id, "meta-llama/Llama-3.1-8B");
    assert_int_equal(r.num_prompts, 150);
    assert_int_equal(r.max_concurrency, 8);
    assert_int_equal(r.completed, 150);
    assert_true(isinf(r.request_rate));
    lp_assert_near(r.burstiness, 1.0, 0);
    lp_assert_near(r.output_throughput, 450.3, 1e-9);
    lp_assert_near(r.ttft.median, 763.6, 1e-9);
    lp_assert_near(r.itl.median, 15.18, 1e-9);
    lp_assert_near(lp_bench_percentile(&r.ttft, 99), 901.3, 1e-9);
    assert_true(isnan(lp_bench_percentile(&r.ttft, 90)));
    lp_assert_near(r.e2el.std, 2400.0, 1e-9);
    assert_true(isnan(r.request_goodput)); /* null in the file */
    /* the means come from input_lens / output_lens: 20000 and 2000 by construction */
    assert_true(r.lens_from_arrays);
    lp_assert_near(r.mean_input_len, 20000.0, 1e-9);
    lp_assert_near(r.mean_output_len, 2000.0, 1e-9);
    assert_true(has_note(r.notes, r.n_notes, "unknown key \"gpu_sku\""));
    assert_int_equal(r.n_notes, 1);
}

/* benchmark_serving.py of the v0.6 era: no e2el, numeric request rate, no arrays. */
static void test_benchmark_serving_v06(void **state) {
    (void)state;
    static lp_bench_result r;
    lp_error err;
    lp_status st = lp_bench_result_load(
        DATA "benchmark_serving_v0.6_llama-3.1-8b_a100_sharegpt_r4.json", &r, &err);
    if (st != LP_OK)
        fail_msg("%s", err.message);
    lp_assert_near(r.request_rate, 4.0, 0);
    lp_assert_near(r.ttft.median, 100.48, 1e-9);
    lp_assert_near(r.tpot.median, 14.14, 1e-9);
    lp_assert_near(r.itl.median, 129.32, 1e-9);
    assert_true(isnan(r.e2el.mean) && isnan(r.e2el.median));
    assert_false(r.lens_from_arrays);
    lp_assert_near(r.mean_input_len, 202.0, 1e-9); /* total_input_tokens / completed */
    lp_assert_near(r.mean_output_len, 179.0, 1e-9);
    assert_int_equal(r.max_concurrency, 0);
    assert_int_equal(r.n_notes, 0);
}

/* The oldest files: "inf" as a string, the request_inthroughput misspelling, NaN. */
static void test_benchmark_serving_v04(void **state) {
    (void)state;
    static lp_bench_result r;
    lp_error err;
    lp_status st =
        lp_bench_result_load(DATA "benchmark_serving_v0.4_llama-3.1-8b_a100_inf.json", &r, &err);
    if (st != LP_OK)
        fail_msg("%s", err.message);
    assert_true(isinf(r.request_rate));
    lp_assert_near(r.output_throughput, 4132.37, 1e-9);
    assert_true(isnan(r.ttft.std));
    assert_true(r.input_throughput > 0);
    assert_true(has_note(r.notes, r.n_notes, "NaN/Infinity"));
    assert_true(has_note(r.notes, r.n_notes, "request_inthroughput"));
}

/* vllm bench serve --burstiness inf writes "burstiness": Infinity (Python's json): that is the
 * setting (evenly spaced sends), read as inf, while an Infinity statistic is still absent. */
static void test_burstiness_infinity(void **state) {
    (void)state;
    static lp_bench_result r;
    lp_error err;
    const char *t = "{\"request_rate\": 4.0, \"burstiness\" :  Infinity, \"std_ttft_ms\": "
                    "Infinity, \"output_throughput\": 500.0}";
    lp_status st = lp_bench_result_parse(t, strlen(t), "b.json", &r, &err);
    if (st != LP_OK)
        fail_msg("%s", err.message);
    assert_true(isinf(r.burstiness) && r.burstiness > 0);
    assert_true(isnan(r.ttft.std));
    assert_true(has_note(r.notes, r.n_notes, "1 NaN/Infinity value(s) read as absent"));
    t = "{\"burstiness\": 0.5, \"output_throughput\": 500.0}";
    assert_int_equal(lp_bench_result_parse(t, strlen(t), "b.json", &r, &err), LP_OK);
    lp_assert_near(r.burstiness, 0.5, 0);
}

static void test_errors(void **state) {
    (void)state;
    static lp_bench_result r;
    lp_error err;
    assert_int_equal(lp_bench_result_load(DATA "malformed_truncated.json", &r, &err), LP_ERR_PARSE);
    assert_non_null(strstr(err.message, "malformed_truncated.json: line 2"));
    const char *wrong = "{\"mean_ttft_ms\": \"12\"}";
    assert_int_equal(lp_bench_result_parse(wrong, strlen(wrong), "x.json", &r, &err),
                     LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "x.json: mean_ttft_ms: expected a number, got a string"));
    const char *rate = "{\"request_rate\": \"fast\", \"output_throughput\": 1}";
    assert_int_equal(lp_bench_result_parse(rate, strlen(rate), "x.json", &r, &err),
                     LP_ERR_INVALID_ARG);
    const char *none = "{\"date\": \"20260101\", \"something\": 3}";
    assert_int_equal(lp_bench_result_parse(none, strlen(none), "x.json", &r, &err),
                     LP_ERR_MISSING_FIELD);
    const char *arr = "[1, 2]";
    assert_int_equal(lp_bench_result_parse(arr, strlen(arr), "x.json", &r, &err), LP_ERR_PARSE);
    assert_int_equal(lp_bench_result_load(DATA "no-such-file.json", &r, &err), LP_ERR_IO);
}

/* Other planners' spellings (DESIGN §3) and a NaN inside a string left alone. */
static void test_aliases(void **state) {
    (void)state;
    static lp_bench_result r;
    lp_error err;
    const char *t = "{\"ttft_ms\": 120.5, \"itl\": 11, \"tps\": 900, \"max_concurrent\": 4, "
                    "\"model\": \"NaN-model\", \"p99.9_ttft_ms\": 400, \"p90_ttft_ms\": 300}";
    lp_status st = lp_bench_result_parse(t, strlen(t), "a.json", &r, &err);
    if (st != LP_OK)
        fail_msg("%s", err.message);
    lp_assert_near(r.ttft.mean, 120.5, 0);
    lp_assert_near(r.itl.mean, 11, 0);
    lp_assert_near(r.output_throughput, 900, 0);
    assert_string_equal(r.model_id, "NaN-model");
    lp_assert_near(lp_bench_percentile(&r.ttft, 99.9), 400, 0);
    assert_int_equal(r.ttft.n_percentiles, 2);
    lp_assert_near(r.ttft.percentile[0], 90, 0); /* ascending */
    assert_true(has_note(r.notes, r.n_notes, "\"ttft_ms\" read as the mean"));
    assert_false(has_note(r.notes, r.n_notes, "NaN/Infinity"));
}

static void test_startup_log_v1(void **state) {
    (void)state;
    static lp_startup_log l;
    lp_error err;
    lp_status st = lp_startup_log_load(DATA "startup_v0.19_llama-3.1-8b_h100.log", &l, &err);
    if (st != LP_OK)
        fail_msg("%s", err.message);
    lp_assert_near(l.weights_gib, 14.99, 1e-9);
    lp_assert_near(l.activation_gib, 1.89, 1e-9);
    lp_assert_near(l.non_torch_gib, 0.25, 1e-9);
    lp_assert_near(l.kv_cache_gib, 58.11, 1e-9);
    lp_assert_near(l.cuda_graph_gib, 0.62, 1e-9);
    assert_int_equal(l.kv_tokens, 476000);
    assert_int_equal(l.max_concurrency_tokens, 8192);
    lp_assert_near(l.max_concurrency, 58.11, 1e-9);
    assert_int_equal(l.gpu_blocks, -1);
    assert_true(isnan(l.total_gib));
    assert_int_equal(l.lines_matched, 6);
}

static void test_startup_log_v0(void **state) {
    (void)state;
    static lp_startup_log l;
    lp_error err;
    lp_status st = lp_startup_log_load(DATA "startup_v0.6_llama-3.1-8b_h100.log", &l, &err);
    if (st != LP_OK)
        fail_msg("%s", err.message);
    lp_assert_near(l.weights_gib, 14.99, 1e-9); /* the profiling line, after "took 14.9888 GB" */
    lp_assert_near(l.activation_gib, 4.76, 1e-9);
    lp_assert_near(l.non_torch_gib, 0.13, 1e-9);
    lp_assert_near(l.kv_cache_gib, 51.38, 1e-9);
    lp_assert_near(l.total_gib, 79.18, 1e-9);
    lp_assert_near(l.gpu_memory_utilization, 0.90, 1e-9);
    assert_int_equal(l.gpu_blocks, 3288);
    const char *none = "INFO starting\nnothing here\n";
    assert_int_equal(lp_startup_log_parse(none, strlen(none), "n.log", &l, &err),
                     LP_ERR_MISSING_FIELD);
    const char *mib = "x | Model loading took 512 MiB memory";
    assert_int_equal(lp_startup_log_parse(mib, strlen(mib), "m.log", &l, &err), LP_OK);
    lp_assert_near(l.weights_gib, 0.5, 1e-12);
    assert_false(l.failed);
}

/* A failed start-up is read as a failure, with vLLM's own exception line as the reason. */
static void test_startup_log_failure(void **state) {
    (void)state;
    static lp_startup_log l;
    lp_error err;
    /* the shape of vLLM 0.25's failure (the shared fixture
     * opt-125m.cpu.vllm-0.25.1.no-kv-cache-memory.error.log): no memory line, the root cause
     * as a ValueError, then the engine's RuntimeError that names no cause */
    const char *log = "(EngineCore pid=25) ERROR [core.py:1231]     raise ValueError(\n"
                      "(EngineCore pid=25) ERROR [core.py:1231] ValueError: No available memory "
                      "for the cache blocks. Try increasing `gpu_memory_utilization`\n"
                      "(APIServer pid=1) RuntimeError: Engine core initialization failed.\n";
    assert_int_equal(lp_startup_log_parse(log, strlen(log), "f.log", &l, &err), LP_OK);
    assert_true(l.failed);
    assert_string_equal(l.error, "ValueError: No available memory for the cache blocks. Try "
                                 "increasing `gpu_memory_utilization`");
    /* vLLM logs a negative pool just before it refuses to start: the sign is kept */
    const char *neg = "INFO [gpu_worker.py:298] Available KV cache memory: -2.37 GiB\n";
    assert_int_equal(lp_startup_log_parse(neg, strlen(neg), "n.log", &l, &err), LP_OK);
    lp_assert_near(l.kv_cache_gib, -2.37, 1e-12);
    assert_true(l.failed);
}

/* Every file of ../shared/fixtures/vllm-bench/, when it exists: parses or fails cleanly. */
static void test_shared_fixtures(void **state) {
    (void)state;
    char dir[1024];
    lp_test_shared_path("fixtures/vllm-bench", dir, sizeof dir);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int parsed = 0;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        lp_error err;
        lp_status st;
        if (n > 5 && strcmp(e->d_name + n - 5, ".json") == 0) {
            static lp_bench_result r;
            st = lp_bench_result_load(path, &r, &err);
        } else if (n > 4 && strcmp(e->d_name + n - 4, ".log") == 0) {
            static lp_startup_log l;
            st = lp_startup_log_load(path, &l, &err);
            /* a log named as a failure must be read as one */
            if (st == LP_OK && strstr(e->d_name, ".error.") && !l.failed)
                fail_msg("%s: a failed start-up read as a success", path);
        } else {
            continue;
        }
        printf("  %s: %s%s\n", e->d_name,
               st == LP_OK ? "ok" : "error: ", st == LP_OK ? "" : err.message);
        /* the recorded client command line (*.commands.json) is not a result: it must be
         * refused with a message that says so */
        if (st != LP_OK && strstr(e->d_name, ".commands.") &&
            !strstr(err.message, "not a benchmark result"))
            fail_msg("%s: refused without saying why: %s", path, err.message);
        if (st != LP_OK && !strstr(e->d_name, "malformed") && !strstr(e->d_name, "invalid") &&
            !strstr(e->d_name, ".commands."))
            fail_msg("%s: %s", path, err.message);
        parsed++;
    }
    closedir(d);
    printf("  %d shared fixture files read\n", parsed);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vllm_bench_serve),
        cmocka_unit_test(test_benchmark_serving_v06),
        cmocka_unit_test(test_benchmark_serving_v04),
        cmocka_unit_test(test_burstiness_infinity),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_aliases),
        cmocka_unit_test(test_startup_log_v1),
        cmocka_unit_test(test_startup_log_v0),
        cmocka_unit_test(test_startup_log_failure),
        cmocka_unit_test(test_shared_fixtures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
