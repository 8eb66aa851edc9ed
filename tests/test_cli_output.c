/*
 * test_cli_output.c - every command tells the truth when its output cannot be written: to a
 * full device (`> /dev/full`) or a closed stdout (`>&-`) it exits 1 with the system's reason
 * on stderr, never 0; and a file it opens while stdout is closed never becomes its output.
 * (detect is checked in test_cli_detect, where its fake nvidia-smi lives.)
 */
#include "support/lp_test.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DATA LP_SOURCE_DIR "/tests/data/vllm-bench/"
#define LLAMA "meta-llama/Llama-3.1-8B-Instruct"

/* Commands that succeed (exit 0) when their output can be written. */
static const char *const COMMANDS[] = {
    "plan --model " LLAMA " --gpu H100",
    "plan --model " LLAMA " --gpu H100 --json",
    "estimate --model " LLAMA " --gpu H100",
    "estimate --model " LLAMA " --gpu H100 --method simulate --num-prompts 50 --json",
    "recommend --model " LLAMA " --gpus H100,L40S",
    "explain --model " LLAMA " --gpu H100",
    "compare --result " DATA "vllm-bench-serve_llama-3.1-8b_h100_c8.json --model " LLAMA
    " --gpu H100",
    "calibrate --results " DATA "benchmark_serving_v0.6_llama-3.1-8b_a100_sharegpt_r4.json " DATA
    "benchmark_serving_v0.4_llama-3.1-8b_a100_inf.json --gpu A100-80GB",
    "models",
    "gpus --json",
    "version",
    "--help",
    "plan --help",
};

static void expect_write_error(const char *args, const char *redirect, const char *reason) {
    char cmd[4096], *out = NULL;
    /* redirections apply left to right: stderr goes to the pipe, then stdout is broken */
    snprintf(cmd, sizeof cmd, "%s 2>&1 %s", args, redirect);
    int rc = lp_test_run_cli(cmd, &out);
    /* one message: the renderer that hit the error does not add a second, reasonless one */
    const char *first = strstr(out, "cannot write the output");
    if (rc != 1 || !strstr(out, reason) || !first || strstr(first + 1, "cannot write") ||
        strstr(out, "failed\n"))
        fail_msg("llmplan %s %s: exit %d (expected 1) and one \"%s\" message?\n%s", args, redirect,
                 rc, reason, out);
    free(out);
}

/* estimate --batch over a file of three requests, as text or JSON lines */
static void batch_args(char *path, size_t path_size, char *args, size_t args_size, bool json) {
    lp_test_write_temp(path, path_size,
                       "{\"model\": \"" LLAMA "\", \"gpu\": \"H100\"}\n"
                       "{\"model\": \"" LLAMA "\", \"gpu\": \"L40S\"}\n"
                       "{\"model\": \"" LLAMA "\", \"gpu\": \"A100-80GB\", \"input_len\": 2000}\n");
    snprintf(args, args_size, "estimate --batch %s%s", path, json ? " --json" : "");
}

static void test_full_device(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++) {
        free(lp_test_cli(COMMANDS[i], 0)); /* it works when it can write */
        expect_write_error(COMMANDS[i], "> /dev/full", "No space left on device");
    }
    char path[256], args[512];
    for (int json = 0; json < 2; json++) {
        batch_args(path, sizeof path, args, sizeof args, json);
        free(lp_test_cli(args, 0));
        expect_write_error(args, "> /dev/full", "No space left on device");
        unlink(path);
    }
}

static void test_closed_stdout(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        expect_write_error(COMMANDS[i], ">&-", "Bad file descriptor");
    char path[256], args[512];
    for (int json = 0; json < 2; json++) {
        batch_args(path, sizeof path, args, sizeof args, json);
        expect_write_error(args, ">&-", "Bad file descriptor");
        unlink(path);
    }
}

/* With stdout closed, the report file recommend opens must not receive the terminal output
 * (it would take descriptor 1 if nothing held it). */
static void test_closed_stdout_and_a_file(void **state) {
    (void)state;
    char dir[512], args[2048], path[600];
    assert_non_null(lp_test_make_temp_dir(dir, sizeof dir, "lp_test_cli_output"));
    snprintf(path, sizeof path, "%s/report.md", dir);
    snprintf(args, sizeof args, "plan --model " LLAMA " --gpu H100 --report %s", path);
    expect_write_error(args, ">&-", "Bad file descriptor");
    size_t len = 0;
    char *text = lp_test_read_file(path, &len);
    assert_null(strstr(text, "Verdict   FITS")); /* the terminal report is not in it */
    assert_non_null(strstr(text, "# "));         /* the Markdown report is */
    free(text);
    assert_int_equal(lp_test_remove_tree(dir), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_device),
        cmocka_unit_test(test_closed_stdout),
        cmocka_unit_test(test_closed_stdout_and_a_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
