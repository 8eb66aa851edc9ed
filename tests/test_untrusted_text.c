/*
 * test_untrusted_text.c - strings from outside llmplan never reach the terminal raw, and long
 * arguments are never echoed whole: a config.json whose "architectures" or model_type carries
 * escape sequences, a GPU file and nvidia-smi output with them, a 100 KB argument in the place
 * of a flag's value, an unknown option or a model id. Output is checked byte by byte for
 * control characters (other than newline and tab).
 */
#include "support/lp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/text.h"
#include "llmplan/detect.h"

/* A Llama config.json with text spliced in: architectures[0] and model_type. */
#define CONFIG(arch, type)                                                                         \
    "{\"architectures\": [\"" arch "\"], \"model_type\": \"" type "\", \"hidden_size\": 4096, "    \
    "\"intermediate_size\": 14336, \"num_hidden_layers\": 32, \"num_attention_heads\": 32, "       \
    "\"num_key_value_heads\": 8, \"vocab_size\": 128256, \"max_position_embeddings\": 131072, "    \
    "\"torch_dtype\": \"bfloat16\"}"

/* Fail when out holds a control character other than '\n' and '\t'. */
static void expect_printable(const char *what, const char *out) {
    for (const unsigned char *p = (const unsigned char *)out; *p; p++)
        if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
            fail_msg("%s: control character 0x%02x at byte %zu", what, *p,
                     (size_t)((const char *)p - out));
}

static void test_config_json(void **state) {
    (void)state;
    char path[512], args[1024];
    lp_test_write_temp(path, sizeof path,
                       CONFIG("\\u001b]0;pwned\\u0007Llama\\u001b[31mForCausalLM", "llama"));
    snprintf(args, sizeof args, "plan --model %s --gpu H100 2>&1", path);
    char *out = lp_test_cli(args, 0);
    expect_printable("plan with a hostile architectures[0]", out);
    assert_non_null(strstr(out, "?]0;pwned?Llama?[31mForCausalLM"));
    free(out);
    remove(path);

    lp_test_write_temp(path, sizeof path, CONFIG("LlamaForCausalLM", "\\u001b[2J\\u001b[Hllama"));
    snprintf(args, sizeof args, "plan --model %s --gpu H100 2>&1", path);
    out = lp_test_cli(args, 2);
    expect_printable("plan with a hostile model_type", out);
    assert_non_null(strstr(out, "?[2J?[Hllama"));
    free(out);
    remove(path);
}

static void test_gpu_file(void **state) {
    (void)state;
    char path[512];
    lp_test_write_temp(path, sizeof path,
                       "name\tmemory_gib\tmemory_bandwidth_gbs\tbf16_dense_tflops\tsource\n"
                       "Evil\x1b[31m GPU\t80\t3350\t989\tmy \x07 notes\n");
    char args[1024];
    snprintf(args, sizeof args, "gpus --gpu-file %s 2>&1", path);
    char *out = lp_test_cli(args, 0);
    expect_printable("gpus --gpu-file with escapes", out);
    assert_non_null(strstr(out, "Evil?[31m GPU"));
    free(out);
    remove(path);
}

static void test_nvidia_smi_names(void **state) {
    (void)state;
    static lp_detect_result r;
    lp_error err;
    const char *csv = "index, name, memory.total [MiB], memory.used [MiB], memory.free [MiB], "
                      "compute_cap\n0, NVIDIA H100 \x1b[8m80GB HBM3, 81559 MiB, 0 MiB, 81079 MiB, "
                      "9.0\n";
    assert_int_equal(lp_detect_parse_smi_csv(csv, NULL, &r, &err), LP_OK);
    assert_int_equal(r.n_gpus, 1);
    assert_string_equal(r.gpus[0].name, "NVIDIA H100 ?[8m80GB HBM3");
    char buf[16];
    assert_string_equal(lp_text_printable_copy("a\tb\x7f", buf, sizeof buf), "a?b?");
}

/* A 100 KB argument: the message names the flag and shows at most a short piece of it. */
static void test_long_arguments(void **state) {
    (void)state;
    size_t n = 100 * 1024;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'x', n);
    big[n] = '\0';
    const char *forms[] = {"plan --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 -tp %s",
                           "plan --%s",
                           "plan --model %s --gpu H100",
                           "estimate --gpu %s",
                           "serve --allow-host x --port %s",
                           "%s",
                           "estimate --params-b 8 --gpu H100 --input-len-dist %s",
                           "estimate --params-b 8 --gpu H100 --output-len-dist uniform:%s",
                           "estimate --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 "
                           "--max-model-len %s",
                           "estimate --params-b 8 --gpu H100 --interconnect %s",
                           "estimate --params-b 8 --gpu H100 --request-rate %s",
                           "recommend --model meta-llama/Llama-3.1-8B-Instruct --gpus ,%s"};
    /* lp_test_run_cli's command buffer is 4 KB: run these through popen directly */
    size_t cap = n + 1024;
    char *cmd = malloc(cap);
    assert_non_null(cmd);
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        int k = snprintf(cmd, cap, "'%s' ", LP_CLI_PATH);
        k += snprintf(cmd + k, cap - (size_t)k, forms[i], big);
        snprintf(cmd + k, cap - (size_t)k, " 2>&1");
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        char out[65536];
        size_t got = fread(out, 1, sizeof out - 1, p);
        out[got] = '\0';
        int status = pclose(p);
        int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (rc != 2 || got > 4096)
            fail_msg("form %zu: exit %d (expected 2), %zu bytes of output (at most 4096): %.300s",
                     i, rc, got, out);
    }
    free(cmd);
    free(big);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_json),
        cmocka_unit_test(test_gpu_file),
        cmocka_unit_test(test_nvidia_smi_names),
        cmocka_unit_test(test_long_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
