/*
 * test_cli_numbers.c - every numeric flag goes through the one number parser: NaN, infinities,
 * hexadecimal, overflow, trailing text, an empty value and values outside the flag's range are
 * refused with exit 2, nothing on stdout, and a message that names the one flag at fault (never
 * a group of flags, never an internal function name). Issue 13: "NaN, negative or absurd
 * numbers accepted in several flags and distributions"; "--num-prompts accepts 10 M while
 * simulate refuses > 1 M after printing its header".
 */
#include "support/lp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LLAMA "meta-llama/Llama-3.1-8B-Instruct"
#define RESULT LP_SOURCE_DIR "/tests/data/vllm-bench/vllm-bench-serve_llama-3.1-8b_h100_c8.json"

/* Values no numeric flag takes. */
static const char *const BAD[] = {"nan",   "inf", "-inf", "0x10", "1e400", "99999999999999999999",
                                  "12abc", "''"};

/* Run `llmplan args`: exit 2, empty stdout, and one message on stderr naming flag. */
static void expect_refused(const char *cmd, const char *args, const char *flag, const char *value) {
    char full[2048], *out = NULL, *err = NULL;
    char errfile[256];
    lp_test_write_temp(errfile, sizeof errfile, "");
    snprintf(full, sizeof full, "%s %s %s %s 2>%s", cmd, args, flag, value, errfile);
    int rc = lp_test_run_cli(full, &out);
    size_t len = 0;
    err = lp_test_read_file(errfile, &len);
    remove(errfile);
    char prefix[128];
    snprintf(prefix, sizeof prefix, "llmplan %s: %s:", cmd, flag);
    if (rc != 2 || out[0] != '\0' || !strstr(err, prefix) || strstr(err, "lp_") ||
        strstr(err, "NULL"))
        fail_msg("llmplan %s %s %s %s: exit %d (expected 2), %zu bytes on stdout (expected 0), "
                 "stderr without \"%s\"?\n%s",
                 cmd, args, flag, value, rc, strlen(out), prefix, err);
    free(out);
    free(err);
}

static void test_every_bad_number(void **state) {
    (void)state;
    const struct {
        const char *cmd, *args, *flag;
    } flags[] = {
        {"plan", "--model " LLAMA " --gpu H100", "--tensor-parallel-size"},
        {"plan", "--model " LLAMA " --gpu H100", "--gpu-memory-utilization"},
        {"plan", "--model " LLAMA " --gpu H100", "--max-num-seqs"},
        {"plan", "--model " LLAMA " --gpu H100", "--max-model-len"},
        {"estimate", "--model " LLAMA " --gpu H100", "--num-prompts"},
        {"estimate", "--model " LLAMA " --gpu H100", "--random-input-len"},
        {"estimate", "--model " LLAMA " --gpu H100", "--request-rate"},
        {"estimate", "--params-b 8 --gpu H100", "--params-b"},
        {"estimate", "--model " LLAMA " --gpu X --gpu-bandwidth-gbs 3350 --gpu-tflops 989",
         "--gpu-memory-gib"},
        {"recommend", "--model " LLAMA " --gpu H100", "--max-ttft-ms"},
        {"compare", "--result " RESULT " --model " LLAMA " --gpu H100", "--request-rate"},
        {"serve", "", "--request-timeout"},
    };
    for (size_t f = 0; f < sizeof flags / sizeof flags[0]; f++)
        for (size_t v = 0; v < sizeof BAD / sizeof BAD[0]; v++) {
            /* --request-rate takes inf (all at once) and --max-model-len takes -1 and auto, as
             * vllm bench serve and vllm serve do */
            if (strcmp(flags[f].flag, "--request-rate") == 0 && strcmp(BAD[v], "inf") == 0)
                continue;
            expect_refused(flags[f].cmd, flags[f].args, flags[f].flag, BAD[v]);
        }
}

/* Values past a flag's range, each refused on the flag (the range in the message). */
static void test_ranges(void **state) {
    (void)state;
    const char *est = "--model " LLAMA " --gpu H100";
    /* 10 M prompts: refused before anything is printed (simulate's own limit is 1 M) */
    expect_refused("estimate", est, "--num-prompts", "10000000");
    expect_refused("estimate", est, "--num-prompts", "0");
    expect_refused("estimate", est, "--random-output-len", "-5");
    expect_refused("estimate", est, "--request-rate", "1e20");
    expect_refused("estimate", est, "--request-rate", "-1");
    expect_refused("plan", est, "--gpu-memory-utilization", "1.5");
    expect_refused("plan", est, "--tensor-parallel-size", "0");
    expect_refused("plan", est, "--max-model-len", "-2");
    expect_refused("serve", "", "--timeout", "0");
    expect_refused("serve", "", "--workers", "-1");
    char *out = lp_test_cli("estimate --model " LLAMA " --gpu H100 --num-prompts 1000000 "
                            "--request-rate 1e9 --json",
                            0); /* the largest values are taken */
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_bad_number),
        cmocka_unit_test(test_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
