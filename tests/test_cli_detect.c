/*
 * test_cli_detect.c - `llmplan detect` and `--gpu detect` as a user runs them, on any machine:
 * a fake `nvidia-smi` script, written into a temporary directory placed first on PATH, prints
 * the real outputs of an H100 machine (tests/data/nvidia-smi/h100-x1) or the constructed 8-GPU
 * ones; LLMPLAN_DETECT_SOURCE=nvidia-smi keeps a real NVML (on a GPU machine) out of the way.
 * Without any tool, detect exits 1 with one clear message.
 */
#include "support/lp_test.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DATA LP_SOURCE_DIR "/tests/data/nvidia-smi/"
#define LLAMA_8B "meta-llama/Llama-3.1-8B-Instruct"

static char tmpdir[256];
static char old_path[8192];

/* A temporary directory first on PATH (the CLI inherits the environment). */
static int setup(void **state) {
    (void)state;
    if (!lp_test_make_temp_dir(tmpdir, sizeof tmpdir, "lp_test_cli_detect"))
        return -1;
    lp_test_prepend_path(tmpdir, old_path, sizeof old_path);
    setenv("LLMPLAN_DETECT_SOURCE", "nvidia-smi", 1);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    setenv("PATH", old_path, 1);
    unsetenv("LLMPLAN_DETECT_SOURCE");
    return lp_test_remove_tree(tmpdir);
}

/* The fake nvidia-smi: `topo -m` and `--query-gpu=...` print the given files (or text). */
static void fake_smi(const char *query_cmd, const char *topo_file) {
    char path[512], script[2048];
    snprintf(path, sizeof path, "%s/nvidia-smi", tmpdir);
    snprintf(script, sizeof script,
             "#!/bin/sh\n"
             "case \"$1\" in\n"
             "  topo) cat '%s' ;;\n"
             "  --query-gpu=*) %s ;;\n"
             "  *) cat '%sh100-x1/nvidia-smi.txt' ;;\n"
             "esac\n",
             topo_file, query_cmd, DATA);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(script, f);
    fclose(f);
    assert_int_equal(chmod(path, 0755), 0);
}

static void fake_h100(void) {
    fake_smi("cat '" DATA "h100-x1/query-gpu-header.csv'", DATA "h100-x1/topo-m.txt");
}

static void expect_in(const char *out, const char *needle) {
    if (!strstr(out, needle))
        fail_msg("output lacks \"%s\":\n%s", needle, out);
}

/* No tool on PATH: exit 1 and the message that says what was tried. */
static void test_no_gpu(void **state) {
    (void)state;
    char *out = lp_test_cli("detect 2>&1", 1);
    expect_in(out, "no NVIDIA or AMD GPU found");
    expect_in(out, "nvidia-smi not on PATH");
    free(out);

    /* every source: NVML is tried first; on a machine without the driver the full message */
    unsetenv("LLMPLAN_DETECT_SOURCE");
    char path[600];
    snprintf(path, sizeof path, "%s", tmpdir);
    setenv("PATH", path, 1); /* nothing but the empty temporary directory */
    int rc = lp_test_run_cli("detect 2>&1", &out);
    char restore[9000];
    snprintf(restore, sizeof restore, "%s:%s", tmpdir, old_path);
    setenv("PATH", restore, 1);
    setenv("LLMPLAN_DETECT_SOURCE", "nvidia-smi", 1);
    if (rc == 0) {
        printf("NVML found a GPU on this machine; the no-driver message is not checked\n");
    } else {
        assert_int_equal(rc, 1);
        expect_in(out, "llmplan detect: no NVIDIA or AMD GPU found: libnvidia-ml.so.1 not "
                       "loadable and nvidia-smi not on PATH");
    }
    free(out);
}

static void test_detect_json_h100(void **state) {
    (void)state;
    fake_h100();
    char *out = lp_test_cli("detect --json", 0);
    json_error_t jerr;
    json_t *j = json_loads(out, 0, &jerr);
    if (!j)
        fail_msg("not one JSON object (%s):\n%s", jerr.text, out);
    assert_string_equal(json_string_value(json_object_get(j, "source")), "nvidia-smi");
    json_t *gpus = json_object_get(j, "gpus");
    assert_int_equal(json_array_size(gpus), 1);
    json_t *g = json_array_get(gpus, 0);
    /* h100-x1/README.md: one H100 80GB HBM3, 81559 MiB, 0 used, compute capability 9.0 */
    assert_string_equal(json_string_value(json_object_get(g, "name")), "NVIDIA H100 80GB HBM3");
    assert_string_equal(json_string_value(json_object_get(g, "matched")), "H100 SXM");
    lp_assert_near(json_number_value(json_object_get(g, "memory_total_mib")), 81559, 0);
    lp_assert_near(json_number_value(json_object_get(g, "memory_used_mib")), 0, 0);
    assert_string_equal(json_string_value(json_object_get(g, "compute_capability")), "9.0");
    json_decref(j);
    free(out);

    out = lp_test_cli("detect", 0);
    expect_in(out, "NVIDIA H100 80GB HBM3");
    expect_in(out, "H100 SXM");
    expect_in(out, "81559");
    free(out);
}

static void test_plan_on_detected_h100(void **state) {
    (void)state;
    fake_h100();
    char *out = lp_test_cli("plan --model " LLAMA_8B " --gpu detect", 0);
    expect_in(out, "1 x H100 SXM");
    expect_in(out, "--gpu detect: 1 x NVIDIA H100 80GB HBM3 (H100 SXM) found by nvidia-smi");
    free(out);
    /* the same plan as naming the GPU */
    char *named = lp_test_cli("plan --model " LLAMA_8B " --gpu H100 --json", 0);
    out = lp_test_cli("plan --model " LLAMA_8B " --gpu detect --json", 0);
    json_t *a = json_loads(named, 0, NULL), *b = json_loads(out, 0, NULL);
    assert_non_null(a);
    assert_non_null(b);
    json_t *ka = json_object_get(a, "kv_tokens"), *kb = json_object_get(b, "kv_tokens");
    if (ka && kb)
        assert_true(json_equal(ka, kb));
    json_decref(a);
    json_decref(b);
    free(named);
    free(out);
}

/* 60,000 MiB in use: free 79.18 - 58.59 = 20.59 GiB < 0.9 x 79.18 = 71.26 GiB: vLLM's start-up
 * error (reference/vllm_internals.md (a)) and exit 3. */
static void test_plan_memory_in_use(void **state) {
    (void)state;
    fake_smi("echo '0, NVIDIA H100 80GB HBM3, 81559, 60000, 9.0'", DATA "h100-x1/topo-m.txt");
    char *out = lp_test_cli("plan --model " LLAMA_8B " --gpu detect 2>&1", 3);
    expect_in(out, "Free memory on device (20.59/79.18 GiB) on startup is less than desired GPU "
                   "memory utilization (0.9, 71.26 GiB). Decrease GPU memory utilization or "
                   "reduce GPU memory used by other processes.");
    expect_in(out, "60000 MiB in use");
    free(out);
    /* a lower utilization starts, and the plan says what is in use */
    out = lp_test_cli("plan --model " LLAMA_8B
                      " --gpu detect --gpu-memory-utilization 0.25 --max-model-len 8192",
                      0);
    expect_in(out, "60000 MiB in use by other processes");
    free(out);
    /* suggestions to raise the utilization past what is free are not made */
    out = lp_test_cli("plan --model " LLAMA_8B " --gpu detect --gpu-memory-utilization 0.25", 3);
    expect_in(out, "not suggested: --gpu-memory-utilization");
    free(out);
    out = lp_test_cli("estimate --model " LLAMA_8B " --gpu detect 2>&1", 3);
    expect_in(out, "Free memory on device (20.59/79.18 GiB)");
    free(out);
}

static void test_eight_gpus(void **state) {
    (void)state;
    fake_smi("cat '" DATA "h100-x8/query-gpu.csv'", DATA "h100-x8/topo-m.txt");
    char *out = lp_test_cli("plan --model " LLAMA_8B " --gpu detect", 0);
    expect_in(out, "-tp 8");
    expect_in(out, "linked pairwise by NVLink");
    free(out);
    out = lp_test_cli("plan --model " LLAMA_8B " --gpu detect -tp 2", 0);
    expect_in(out, "-tp 2");
    free(out);
    out = lp_test_cli("detect", 0);
    expect_in(out, "8 GPUs found by nvidia-smi");
    expect_in(out, "every pair of GPUs is linked by NVLink");
    free(out);
    out = lp_test_cli("estimate --model " LLAMA_8B " --gpu detect", 0);
    expect_in(out, "--gpu detect: 8 x NVIDIA H100 80GB HBM3 (H100 SXM) found by nvidia-smi; -tp 8");
    free(out);
}

static void test_mixed_and_malformed(void **state) {
    (void)state;
    fake_smi("printf '0, NVIDIA H100 80GB HBM3, 81559, 0, 9.0\\n1, NVIDIA A100 80GB PCIe, 81920, "
             "0, 8.0\\n'",
             DATA "a100-pcie-x4/topo-m.txt");
    char *out = lp_test_cli("plan --model " LLAMA_8B " --gpu detect 2>&1", 2);
    expect_in(out, "GPU 0: NVIDIA H100 80GB HBM3, GPU 1: NVIDIA A100 80GB PCIe");
    free(out);
    fake_smi("echo '0, NVIDIA H100 80GB HBM3, 81559'", DATA "h100-x1/topo-m.txt");
    out = lp_test_cli("detect 2>&1", 1);
    expect_in(out, "line 1");
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_gpu),
        cmocka_unit_test(test_detect_json_h100),
        cmocka_unit_test(test_plan_on_detected_h100),
        cmocka_unit_test(test_plan_memory_in_use),
        cmocka_unit_test(test_eight_gpus),
        cmocka_unit_test(test_mixed_and_malformed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
