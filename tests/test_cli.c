/*
 * test_cli.c - the llmplan binary as a user runs it: exit codes, JSON contract, help, and bad
 * input giving one clear message. Expected numbers come from published facts named in the
 * comments (model_configs.md), not from the code under test.
 */
#include "support/lp_test.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static double num(json_t *root, const char *path) {
    /* path like "memory.weights_gib" */
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = root;
    for (char *tok = strtok(buf, "."); tok; tok = strtok(NULL, "."))
        cur = json_object_get(cur, tok);
    if (!json_is_number(cur))
        fail_msg("JSON key %s missing or not a number", path);
    return json_number_value(cur);
}

/* The README's example: Llama-3.1-8B-Instruct on one H100 at 16,000 tokens fits.
 * params 8,030,261,248 and 131,072 KV bytes/token (model_configs.md §3, §5); weights
 * 16,060,522,496 B (index total_size) plus the bf16 rotary cache, 131,072 positions x 128 x 2 B
 * = 33,554,432 B: 16,094,076,928 B = 14.989 GiB (vLLM 0.19 logs "Model loading took 14.99
 * GiB", kv_capacity.tsv). */
static void test_plan_json_contract(void **state) {
    (void)state;
    json_t *j = lp_test_cli_json("plan --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 "
                                 "--max-model-len 16000 --json",
                                 0);
    lp_assert_near(num(j, "model.params_total"), 8030261248.0, 0.0);
    lp_assert_near(num(j, "model.params_active"), 8030261248.0, 0.0);
    lp_assert_near(num(j, "model.kv_bytes_per_token"), 131072.0, 0.0);
    lp_assert_near(num(j, "memory.weights_gib"), 14.989, 0.001);
    lp_assert_near(num(j, "memory.total_gib"), 79.18, 0.01);
    lp_assert_near(num(j, "memory.budget_gib"), 0.9 * 79.18, 0.01);
    const char *keys[] = {"memory.activation_gib",
                          "memory.non_torch_gib",
                          "memory.cuda_graph_gib",
                          "memory.kv_cache_gib",
                          "memory.kv_blocks",
                          "memory.kv_tokens",
                          "kv_blocks",
                          "kv_tokens",
                          "max_concurrency",
                          "max_model_len",
                          "max_model_len_fit"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        (void)num(j, keys[i]);
    lp_assert_near(num(j, "max_model_len"), 16000, 0);
    assert_true(json_is_true(json_object_get(j, "fits")));
    assert_true(json_is_true(json_object_get(json_object_get(j, "memory"), "fits")));
    assert_true(json_array_size(json_object_get(j, "assumptions")) >= 2);
    json_decref(j);
}

/* Llama-3.1-70B in bf16 (~131 GiB of weights) cannot fit one 80 GB GPU: exit 3, and the text
 * says by how much, prints vLLM's error and what to change. The weights alone exceed the
 * device's 79.18 GiB, so vLLM runs out of memory while loading them, before it could report
 * "No available memory for the cache blocks". */
static void test_does_not_fit_exit_3(void **state) {
    (void)state;
    char *out = NULL;
    int rc = lp_test_run_cli("plan --model meta-llama/Llama-3.1-70B-Instruct --gpu H100", &out);
    assert_int_equal(rc, 3);
    assert_non_null(strstr(out, "DOES NOT FIT"));
    assert_non_null(strstr(out, "CUDA out of memory while loading the model weights"));
    assert_non_null(strstr(out, "--tensor-parallel-size 2"));
    free(out);
    json_t *j =
        lp_test_cli_json("plan --model meta-llama/Llama-3.1-70B-Instruct --gpu H100 --json", 3);
    assert_true(json_is_false(json_object_get(j, "fits")));
    assert_true(num(j, "shortfall_gib") > 50);
    assert_true(json_is_string(json_object_get(j, "vllm_error")));
    assert_string_equal(json_string_value(json_object_get(j, "failure")), "weights");
    json_decref(j);
}

static void test_bad_input(void **state) {
    (void)state;
    lp_test_cli_usage("plan --model meta-llama/Llama-3.1-8B-Instruct --gpu H1000", "did you mean");
    lp_test_cli_usage("plan --model meta-llama/Llama-3.1-8B-Instrukt --gpu H100",
                      "meta-llama/Llama-3.1-8B-Instruct");
    lp_test_cli_usage("plan --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 -tp 3",
                      "must be divisible by tensor parallel size (3)");
    lp_test_cli_usage("plan --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 "
                      "--gpu-memory-utilization 1.5",
                      "--gpu-memory-utilization");
    lp_test_cli_usage("plan --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 "
                      "--gpu-memory-utilization -0.2",
                      "--gpu-memory-utilization");
    lp_test_cli_usage("plan --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 --max-model-len x",
                      "--max-model-len");
    lp_test_cli_usage("plan --gpu H100", "--model is required");
    lp_test_cli_usage("plan --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 --bogus",
                      "unknown option");
    lp_test_cli_usage("frobnicate", "unknown command");
}

/* A malformed config.json (truncated) is an error naming the file position; a config whose
 * model_type is unknown is rejected too. */
static void test_bad_config_file(void **state) {
    (void)state;
    char dir[] = "/tmp/lp_cli_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], args[512];
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"model_type\": \"llama\", \"hidden_size\": 4096,\n \"num_hidden_layers\": ", f);
    fclose(f);
    snprintf(args, sizeof args, "plan --model %s --gpu H100", path);
    lp_test_cli_usage(args, "config.json");
    f = fopen(path, "w");
    fputs("{\"model_type\": \"frobnicator\", \"hidden_size\": 64, \"num_hidden_layers\": 2, "
          "\"num_attention_heads\": 2, \"vocab_size\": 100, \"intermediate_size\": 128}",
          f);
    fclose(f);
    snprintf(args, sizeof args, "plan --model %s --gpu H100", dir);
    lp_test_cli_usage(args, "frobnicator");
    remove(path);
    rmdir(dir);
}

static void test_help_and_lists(void **state) {
    (void)state;
    const char *cmds[] = {"plan --help", "models --help", "gpus --help", "accuracy --help",
                          "--help"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char *out = NULL;
        assert_int_equal(lp_test_run_cli(cmds[i], &out), 0);
        if (!strstr(out, "xample"))
            fail_msg("llmplan %s: no examples in the help", cmds[i]);
        free(out);
    }
    json_t *models = lp_test_cli_json("models --json", 0);
    assert_true(json_array_size(models) >= 40);
    json_decref(models);
    json_t *gpus = lp_test_cli_json("gpus --json", 0);
    assert_true(json_array_size(gpus) >= 34);
    json_decref(gpus);
}

/* --max-model-len auto on a small GPU picks the largest length that fits, and exits 0. */
static void test_auto_len(void **state) {
    (void)state;
    json_t *j = lp_test_cli_json("plan --model meta-llama/Llama-3.1-8B-Instruct --gpu L4 "
                                 "--max-model-len auto --json",
                                 0);
    assert_true(json_is_true(json_object_get(j, "fits")));
    assert_true(num(j, "max_model_len") < 131072);
    lp_assert_near(num(j, "max_model_len"), num(j, "max_model_len_fit"), 0);
    json_decref(j);
}

/* libcurl and libmicrohttpd pull ~30 shared libraries whose loading cost ~6 ms per run; they
 * are opened with dlopen only by the Hub client and `llmplan serve`. The binary must not link
 * them (a plan process takes ~1.3 ms; see bench_plan). */
static void test_optional_libraries_not_linked(void **state) {
    (void)state;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "ldd '%s' 2>/dev/null", LP_CLI_PATH);
    FILE *p = popen(cmd, "r");
    if (!p)
        skip();
    char line[512];
    int lines = 0;
    while (fgets(line, sizeof line, p)) {
        lines++;
        if (strstr(line, "libcurl") || strstr(line, "libmicrohttpd") || strstr(line, "libgnutls") ||
            strstr(line, "libssl"))
            fail_msg("llmplan links %s", line);
    }
    pclose(p);
    if (lines == 0) {
        fprintf(stderr, "\n*** SKIPPED: ldd printed nothing (not available) ***\n\n");
        skip();
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_json_contract),
        cmocka_unit_test(test_does_not_fit_exit_3),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_bad_config_file),
        cmocka_unit_test(test_help_and_lists),
        cmocka_unit_test(test_auto_len),
        cmocka_unit_test(test_optional_libraries_not_linked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
