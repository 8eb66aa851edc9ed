/*
 * test_detect.c - GPU detection without a GPU: the parsers on real nvidia-smi outputs of an
 * H100 machine (tests/data/nvidia-smi/h100-x1, captured) and on multi-GPU inputs constructed
 * from the documented formats (h100-x8, a100-pcie-x4, rocm-mi300x-x2; see the README there);
 * malformed inputs are LP_ERR_PARSE naming the line and never crash (every prefix of every
 * input is parsed under ASan+UBSan); vLLM's free-memory check; and a tool that hangs is
 * stopped at the time limit.
 */
#include "support/lp_test.h"

#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "llmplan/detect.h"

#define DATA LP_SOURCE_DIR "/tests/data/nvidia-smi/"

static lp_detect_result R; /* about 40 KB: static, one at a time */

static char *data(const char *rel) {
    return lp_test_read_file(rel, NULL);
}

static void expect_parse_error(lp_status st, const lp_error *err, const char *needle) {
    if (st != LP_ERR_PARSE)
        fail_msg("expected LP_ERR_PARSE, got %d (%s)", st, err->message);
    if (needle && !strstr(err->message, needle))
        fail_msg("error \"%s\" does not mention \"%s\"", err->message, needle);
}

/* ---- real H100 outputs ---- */

/* h100-x1/README.md: one H100 80GB HBM3, nvidia-smi 81559 MiB total, 0 used, 81079 free,
 * compute capability 9.0. */
static void test_h100_csv_with_header(void **state) {
    (void)state;
    char *text = data(DATA "h100-x1/query-gpu-header.csv");
    lp_error err;
    assert_int_equal(lp_detect_parse_smi_csv(text, NULL, &R, &err), LP_OK);
    assert_int_equal(R.n_gpus, 1);
    assert_int_equal(R.gpus[0].index, 0);
    assert_string_equal(R.gpus[0].name, "NVIDIA H100 80GB HBM3");
    lp_assert_near(R.gpus[0].total_mib, 81559, 0);
    lp_assert_near(R.gpus[0].used_mib, 0, 0);
    assert_int_equal(R.gpus[0].cc_major, 9);
    assert_int_equal(R.gpus[0].cc_minor, 0);
    assert_int_equal(R.source, LP_DETECT_SOURCE_NVIDIA_SMI);
    free(text);
}

static void test_h100_csv_ten_columns(void **state) {
    (void)state;
    char *text = data(DATA "h100-x1/query-gpu.csv");
    lp_error err;
    const char *fields = "index,name,uuid,pci.bus_id,memory.total,memory.used,memory.free,"
                         "compute_cap,driver_version,power.limit";
    assert_int_equal(lp_detect_parse_smi_csv(text, fields, &R, &err), LP_OK);
    assert_int_equal(R.n_gpus, 1);
    assert_string_equal(R.gpus[0].name, "NVIDIA H100 80GB HBM3");
    lp_assert_near(R.gpus[0].total_mib, 81559, 0);
    lp_assert_near(R.gpus[0].used_mib, 0, 0);
    lp_assert_near(R.gpus[0].free_mib, 81079, 0);
    assert_int_equal(R.gpus[0].cc_major, 9);
    /* the same file read as the 5 default columns is a clear error, not a wrong GPU */
    expect_parse_error(lp_detect_parse_smi_csv(text, NULL, &R, &err), &err, "line 1");
    free(text);
}

static void test_h100_topo_and_match(void **state) {
    (void)state;
    char *csv = data(DATA "h100-x1/query-gpu-header.csv");
    char *topo = data(DATA "h100-x1/topo-m.txt");
    lp_error err;
    assert_int_equal(lp_detect_parse_smi_csv(csv, NULL, &R, &err), LP_OK);
    assert_int_equal(lp_detect_parse_topo(topo, &R, &err), LP_OK);
    assert_true(R.have_topology);
    assert_int_equal(R.n_topo_gpus, 1);
    assert_int_equal(R.links[0][0].kind, LP_TOPO_SELF);
    bool known;
    lp_detect_all_nvlink(&R, 1, &known);
    assert_false(known); /* one GPU: no peers */

    lp_detect_match(&R, NULL);
    assert_non_null(R.gpus[0].match);
    assert_string_equal(R.gpus[0].match->name, "H100 SXM");

    /* torch total: 81559 MiB less the 0.467 GiB reservation = 79.18 GiB, the measured torch
     * total of this machine (85,017,493,504 B = 79.18 GiB, h100-x1/README.md) */
    lp_assert_near(lp_detect_torch_total_gib(&R.gpus[0]), 85017493504.0 / 1073741824.0, 0.01);
    lp_gpu gpu;
    bool described;
    assert_int_equal(lp_detect_gpu_type(&R, &gpu, &described, &err), LP_OK);
    assert_false(described);
    assert_string_equal(gpu.name, "H100 SXM");
    free(csv);
    free(topo);
}

/* The nvidia-smi table (nvidia-smi.txt) is not a query output: a clear error. */
static void test_h100_table_is_not_csv(void **state) {
    (void)state;
    char *text = data(DATA "h100-x1/nvidia-smi.txt");
    lp_error err;
    /* the refusal says what it was given */
    expect_parse_error(lp_detect_parse_smi_csv(text, NULL, &R, &err), &err,
                       "this is the table nvidia-smi prints by default");
    expect_parse_error(lp_detect_parse_topo(text, &R, &err), &err, "line 1");
    free(text);
}

/* ---- constructed multi-GPU inputs ---- */

static void test_h100_x8_nv18(void **state) {
    (void)state;
    char *csv = data(DATA "h100-x8/query-gpu.csv");
    char *topo = data(DATA "h100-x8/topo-m.txt");
    lp_error err;
    assert_int_equal(lp_detect_parse_smi_csv(csv, NULL, &R, &err), LP_OK);
    assert_int_equal(R.n_gpus, 8);
    for (int i = 0; i < 8; i++)
        assert_int_equal(R.gpus[i].index, i);
    assert_int_equal(lp_detect_parse_topo(topo, &R, &err), LP_OK);
    assert_int_equal(R.n_topo_gpus, 8);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++) {
            if (i == j) {
                assert_int_equal(R.links[i][j].kind, LP_TOPO_SELF);
            } else {
                assert_int_equal(R.links[i][j].kind, LP_TOPO_NVLINK);
                assert_int_equal(R.links[i][j].nvlinks, 18);
            }
        }
    bool known;
    assert_true(lp_detect_all_nvlink(&R, 8, &known));
    assert_true(known);
    char buf[16];
    assert_string_equal(lp_topo_link_str(R.links[0][7], buf, sizeof buf), "NV18");
    lp_detect_match(&R, NULL);
    for (int i = 0; i < 8; i++)
        assert_string_equal(R.gpus[i].match->name, "H100 SXM");
    free(csv);
    free(topo);
}

static void test_a100_pcie_x4(void **state) {
    (void)state;
    char *csv = data(DATA "a100-pcie-x4/query-gpu.csv");
    char *topo = data(DATA "a100-pcie-x4/topo-m.txt");
    lp_error err;
    assert_int_equal(lp_detect_parse_smi_csv(csv, NULL, &R, &err), LP_OK);
    assert_int_equal(R.n_gpus, 4);
    assert_int_equal(lp_detect_parse_topo(topo, &R, &err), LP_OK);
    assert_int_equal(R.links[0][1].kind, LP_TOPO_PIX);
    assert_int_equal(R.links[2][3].kind, LP_TOPO_PHB);
    assert_int_equal(R.links[0][2].kind, LP_TOPO_SYS);
    assert_int_equal(R.links[3][1].kind, LP_TOPO_SYS);
    bool known;
    assert_false(lp_detect_all_nvlink(&R, 4, &known));
    assert_true(known);
    lp_detect_match(&R, NULL);
    assert_non_null(R.gpus[0].match);
    assert_string_equal(R.gpus[0].match->name, "A100 80GB PCIe");
    free(csv);
    free(topo);
}

static void check_mi300x(void) {
    assert_int_equal(R.n_gpus, 2);
    assert_int_equal(R.source, LP_DETECT_SOURCE_ROCM_SMI);
    assert_int_equal(R.gpus[1].index, 1);
    assert_string_equal(R.gpus[0].name, "AMD Instinct MI300X OAM");
    lp_assert_near(R.gpus[0].total_mib, 206141652992.0 / 1048576.0, 1e-6);
    lp_assert_near(R.gpus[0].used_mib, 293679104.0 / 1048576.0, 1e-6);
    assert_string_equal(R.gpus[0].arch, "gfx942");
    assert_int_equal(R.gpus[0].cc_major, -1);
    lp_detect_match(&R, NULL);
    assert_non_null(R.gpus[0].match);
    assert_string_equal(R.gpus[0].match->name, "MI300X");
}

static void test_rocm_json_and_csv(void **state) {
    (void)state;
    lp_error err;
    char *json = data(DATA "rocm-mi300x-x2/rocm-smi.json");
    assert_int_equal(lp_detect_parse_rocm(json, &R, &err), LP_OK);
    check_mi300x();
    char *csv = data(DATA "rocm-mi300x-x2/rocm-smi.csv");
    assert_int_equal(lp_detect_parse_rocm(csv, &R, &err), LP_OK);
    check_mi300x();
    /* older rocm-smi spells "Card series" */
    assert_int_equal(lp_detect_parse_rocm("{\"card0\": {\"Card series\": \"AMD Instinct MI250X\", "
                                          "\"VRAM Total Memory (B)\": \"68702699520\"}}",
                                          &R, &err),
                     LP_OK);
    assert_string_equal(R.gpus[0].name, "AMD Instinct MI250X");
    lp_assert_near(R.gpus[0].used_mib, -1, 0);
    free(json);
    free(csv);
}

/* ---- malformed inputs ---- */

static void test_malformed_csv(void **state) {
    (void)state;
    lp_error err;
    /* a truncated line */
    expect_parse_error(lp_detect_parse_smi_csv("0, NVIDIA H100 80GB HBM3, 815\n", NULL, &R, &err),
                       &err, "line 1");
    expect_parse_error(lp_detect_parse_smi_csv("0, NVIDIA H100 80GB HBM3, 81559, 0, 9.0\n"
                                               "1, NVIDIA H100 80GB HBM3, 81559\n",
                                               NULL, &R, &err),
                       &err, "line 2");
    assert_int_equal(R.n_gpus, 0); /* nothing half-parsed is left behind */
    /* non-numeric memory */
    expect_parse_error(
        lp_detect_parse_smi_csv("0, NVIDIA H100 80GB HBM3, 8l559, 0, 9.0\n", NULL, &R, &err), &err,
        "memory.total");
    assert_non_null(strstr(err.message, "line 1"));
    expect_parse_error(
        lp_detect_parse_smi_csv("0, NVIDIA H100 80GB HBM3, 81559, lots, 9.0\n", NULL, &R, &err),
        &err, "memory.used");
    expect_parse_error(
        lp_detect_parse_smi_csv("0, NVIDIA H100 80GB HBM3, -5, 0, 9.0\n", NULL, &R, &err), &err,
        "line 1");
    expect_parse_error(
        lp_detect_parse_smi_csv("0, NVIDIA H100 80GB HBM3, 81559, 0, nine\n", NULL, &R, &err), &err,
        "compute_cap");
    expect_parse_error(lp_detect_parse_smi_csv("", NULL, &R, &err), &err, "no GPU");
    expect_parse_error(lp_detect_parse_smi_csv("\n\n", NULL, &R, &err), &err, "no GPU");
    /* "[N/A]" where nvidia-smi does not report a value is not an error */
    assert_int_equal(
        lp_detect_parse_smi_csv("0, NVIDIA H100 80GB HBM3, 81559, [N/A], [N/A]\n", NULL, &R, &err),
        LP_OK);
    lp_assert_near(R.gpus[0].used_mib, -1, 0);
    assert_int_equal(R.gpus[0].cc_major, -1);
    lp_assert_near(lp_detect_free_gib(&R.gpus[0]), -1, 0);
}

static void test_malformed_topo(void **state) {
    (void)state;
    lp_error err;
    expect_parse_error(lp_detect_parse_topo("hello world\nthis is not a matrix\n", &R, &err), &err,
                       "line 1");
    lp_detect_result_init(&R);
    expect_parse_error(lp_detect_parse_topo("", &R, &err), &err, "no GPU matrix");
    expect_parse_error(
        lp_detect_parse_topo("\tGPU0\tGPU1\nGPU0\t X \tNV18\nGPU1\tNV18\n", &R, &err), &err,
        "line 3");
    expect_parse_error(
        lp_detect_parse_topo("\tGPU0\tGPU1\nGPU0\t X \tNVX\nGPU1\tNV18\t X \n", &R, &err), &err,
        "line 2");
    expect_parse_error(lp_detect_parse_topo("\tGPU0\tGPU1\nGPU0\t X \tNV4\n", &R, &err), &err,
                       "only 1 rows");
    expect_parse_error(lp_detect_parse_topo("\tGPU0\tGPU1\nGPU1\t X \tNV4\n", &R, &err), &err,
                       "line 2");
    expect_parse_error(lp_detect_parse_topo("\tGPU0\tGPU1\nGPU0\tPIX\tX\nGPU1\tX\tPIX\n", &R, &err),
                       &err, "diagonal");
    /* a topology of 8 GPUs with a query of 1 is inconsistent */
    char *csv = data(DATA "h100-x1/query-gpu-header.csv");
    char *topo = data(DATA "h100-x8/topo-m.txt");
    assert_int_equal(lp_detect_parse_smi_csv(csv, NULL, &R, &err), LP_OK);
    expect_parse_error(lp_detect_parse_topo(topo, &R, &err), &err, "8 GPUs");
    assert_false(R.have_topology);
    free(csv);
    free(topo);
}

static void test_malformed_rocm(void **state) {
    (void)state;
    lp_error err;
    expect_parse_error(lp_detect_parse_rocm("{\"card0\": {\"Card Series\": ", &R, &err), &err,
                       "line 1");
    expect_parse_error(lp_detect_parse_rocm("{\"card0\": {\"Card Series\": \"AMD Instinct "
                                            "MI300X\"}}",
                                            &R, &err),
                       &err, "VRAM Total Memory");
    expect_parse_error(lp_detect_parse_rocm("{\"card0\": {\"Card Series\": \"X\", \"VRAM Total "
                                            "Memory (B)\": \"big\"}}",
                                            &R, &err),
                       &err, "card0");
    expect_parse_error(lp_detect_parse_rocm("{}", &R, &err), &err, "no \"cardN\"");
    expect_parse_error(lp_detect_parse_rocm("device,Card Series,VRAM Total Memory (B)\n"
                                            "card0,AMD Instinct MI300X\n",
                                            &R, &err),
                       &err, "line 2");
    expect_parse_error(lp_detect_parse_rocm("WARNING: no AMD GPU\n", &R, &err), &err, "line 1");
}

/* Every prefix of every input, through every parser: errors are fine, crashes are not
 * (ASan+UBSan watch). Also a few bytes flipped to garbage. */
static void test_no_crash_on_truncation(void **state) {
    (void)state;
    static const char *const files[] = {
        "h100-x1/query-gpu-header.csv", "h100-x1/query-gpu.csv",
        "h100-x1/topo-m.txt",           "h100-x1/nvidia-smi.txt",
        "h100-x8/query-gpu.csv",        "h100-x8/topo-m.txt",
        "a100-pcie-x4/topo-m.txt",      "rocm-mi300x-x2/rocm-smi.json",
        "rocm-mi300x-x2/rocm-smi.csv",
    };
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[512];
        snprintf(path, sizeof path, DATA "%s", files[f]);
        size_t len;
        char *text = lp_test_read_file(path, &len);
        char *copy = malloc(len + 1);
        assert_non_null(copy);
        size_t step = len > 3000 ? 7 : 1;
        for (size_t n = 0; n <= len; n += step) {
            memcpy(copy, text, n);
            copy[n] = '\0';
            lp_error err;
            (void)lp_detect_parse_smi_csv(copy, NULL, &R, &err);
            (void)lp_detect_parse_topo(copy, &R, &err);
            (void)lp_detect_parse_rocm(copy, &R, &err);
            if (n > 0) {
                copy[n / 2] = (char)0xff;
                copy[n - 1] = ',';
                (void)lp_detect_parse_smi_csv(copy, NULL, &R, &err);
                (void)lp_detect_parse_topo(copy, &R, &err);
                (void)lp_detect_parse_rocm(copy, &R, &err);
            }
        }
        free(copy);
        free(text);
    }
}

/* ---- planning on what was detected ---- */

static void test_mixed_types_error(void **state) {
    (void)state;
    lp_error err;
    assert_int_equal(lp_detect_parse_smi_csv("0, NVIDIA H100 80GB HBM3, 81559, 0, 9.0\n"
                                             "1, NVIDIA A100-SXM4-80GB, 81920, 0, 8.0\n",
                                             NULL, &R, &err),
                     LP_OK);
    lp_detect_match(&R, NULL);
    lp_gpu gpu;
    bool described;
    assert_int_equal(lp_detect_gpu_type(&R, &gpu, &described, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "GPU 0: NVIDIA H100 80GB HBM3"));
    assert_non_null(strstr(err.message, "GPU 1: NVIDIA A100-SXM4-80GB"));
}

static void test_unmatched_gpu_is_described(void **state) {
    (void)state;
    lp_error err;
    assert_int_equal(
        lp_detect_parse_smi_csv("0, NVIDIA Imaginary Z9 48GB, 49140, 10, 9.9\n", NULL, &R, &err),
        LP_OK);
    lp_detect_match(&R, NULL);
    assert_null(R.gpus[0].match);
    assert_true(R.gpus[0].match_error[0] != '\0');
    lp_gpu gpu;
    bool described;
    assert_int_equal(lp_detect_gpu_type(&R, &gpu, &described, &err), LP_OK);
    assert_true(described);
    assert_string_equal(gpu.name, "NVIDIA Imaginary Z9 48GB");
    lp_assert_near(gpu.usable_gib, 49140.0 / 1024 - 0.467, 1e-9);
    assert_int_equal(gpu.cc_major, 9);
    assert_int_equal(gpu.cc_minor, 9);
}

/* vLLM's start-up check (reference/vllm_internals.md (a)): free < total x utilization fails.
 * 60,000 MiB used on the H100: torch total 79.18 GiB, free 79.18 - 58.59 = 20.59 GiB, requested
 * 0.9 x 79.18 = 71.26 GiB. */
static void test_free_memory_check(void **state) {
    (void)state;
    lp_error err;
    char note[192];
    assert_int_equal(
        lp_detect_parse_smi_csv("0, NVIDIA H100 80GB HBM3, 81559, 60000, 9.0\n", NULL, &R, &err),
        LP_OK);
    assert_int_equal(lp_detect_check_free(&R, 1, 0.9, note, sizeof note, &err), LP_ERR_INFEASIBLE);
    assert_non_null(strstr(err.message, "Free memory on device (20.59/79.18 GiB) on startup is "
                                        "less than desired GPU memory utilization (0.9, 71.26 "
                                        "GiB). Decrease GPU memory utilization or reduce GPU "
                                        "memory used by other processes."));
    assert_non_null(strstr(err.message, "GPU 0"));
    /* at 0.25 it starts: 20.59 >= 0.25 x 79.18 = 19.80; the note says what is in use */
    assert_int_equal(lp_detect_check_free(&R, 1, 0.25, note, sizeof note, &err), LP_OK);
    assert_non_null(strstr(note, "60000 MiB in use"));

    assert_int_equal(
        lp_detect_parse_smi_csv("0, NVIDIA H100 80GB HBM3, 81559, 0, 9.0\n", NULL, &R, &err),
        LP_OK);
    assert_int_equal(lp_detect_check_free(&R, 1, 0.9, note, sizeof note, &err), LP_OK);
    assert_string_equal(note, "");
    assert_int_equal(lp_detect_check_free(&R, 2, 0.9, note, sizeof note, &err), LP_ERR_INFEASIBLE);
    assert_non_null(strstr(err.message, "needs 2 GPUs"));
}

static void test_source_names(void **state) {
    (void)state;
    lp_detect_opts o;
    lp_error err;
    assert_int_equal(lp_detect_opts_from_source("nvidia-smi", &o, &err), LP_OK);
    assert_true(o.no_nvml && !o.no_nvidia_smi && o.no_rocm_smi);
    assert_int_equal(lp_detect_opts_from_source(NULL, &o, &err), LP_OK);
    assert_false(o.no_nvml || o.no_nvidia_smi || o.no_rocm_smi);
    assert_int_equal(lp_detect_opts_from_source("cuda", &o, &err), LP_ERR_INVALID_ARG);
    assert_string_equal(lp_detect_source_name(LP_DETECT_SOURCE_NVML), "nvml");
}

/* ---- running the tools ---- */

static char tmpdir[256];
static char old_path[8192];

static void fake_tool(const char *name, const char *script) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(script, f);
    fclose(f);
    assert_int_equal(chmod(path, 0755), 0);
}

static void use_tmp_path(void) {
    assert_non_null(lp_test_make_temp_dir(tmpdir, sizeof tmpdir, "lp_test_detect"));
    lp_test_prepend_path(tmpdir, old_path, sizeof old_path);
}

static void restore_path(void) {
    setenv("PATH", old_path, 1);
    assert_int_equal(lp_test_remove_tree(tmpdir), 0);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void test_hanging_tool_is_stopped(void **state) {
    (void)state;
    use_tmp_path();
    fake_tool("nvidia-smi", "#!/bin/sh\nsleep 30\n");
    lp_detect_opts o = {.no_nvml = true, .no_rocm_smi = true, .timeout_s = 1};
    lp_error err;
    double t0 = now_s();
    lp_status st = lp_detect_run(&o, NULL, &R, &err);
    double took = now_s() - t0;
    restore_path();
    assert_int_equal(st, LP_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "did not finish within 1 s"));
    if (took > 5)
        fail_msg("detection took %.1f s with a 1 s limit", took);
}

static void test_run_with_fake_tools(void **state) {
    (void)state;
    use_tmp_path();
    char script[2048];
    snprintf(script, sizeof script,
             "#!/bin/sh\n"
             "case \"$1\" in\n"
             "  topo) cat '%sh100-x8/topo-m.txt' ;;\n"
             "  --query-gpu=*) cat '%sh100-x8/query-gpu.csv' ;;\n"
             "  *) exit 2 ;;\n"
             "esac\n",
             DATA, DATA);
    fake_tool("nvidia-smi", script);
    lp_detect_opts o = {.no_nvml = true, .no_rocm_smi = true};
    lp_error err;
    lp_status st = lp_detect_run(&o, NULL, &R, &err);
    restore_path();
    if (st != LP_OK)
        fail_msg("lp_detect_run: %s", err.message);
    assert_int_equal(R.n_gpus, 8);
    assert_true(R.have_topology);
    assert_string_equal(R.gpus[5].match->name, "H100 SXM");

    lp_detect_opts none = {.no_nvml = true, .no_nvidia_smi = true, .no_rocm_smi = true};
    assert_int_equal(lp_detect_run(&none, NULL, &R, &err), LP_ERR_NOT_FOUND);
}

/* ---- real outputs from the shared fixtures, when they exist ---- */

static void test_shared_fixtures(void **state) {
    (void)state;
    char dir[1024];
    lp_test_shared_path("fixtures/nvidia-smi", dir, sizeof dir);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int parsed = 0;
    while ((e = readdir(d)) != NULL) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        char *text = lp_test_read_file(path, NULL);
        lp_error err;
        memset(&R, 0, sizeof R); /* each file alone: a topology is checked against the CSV's */
        if (strstr(e->d_name, "topo")) {
            if (lp_detect_parse_topo(text, &R, &err) != LP_OK)
                fail_msg("%s: %s", path, err.message);
            parsed++;
        } else if (strstr(e->d_name, ".csv") && strncmp(text, "index", 5) == 0) {
            if (lp_detect_parse_smi_csv(text, NULL, &R, &err) != LP_OK)
                fail_msg("%s: %s", path, err.message);
            parsed++;
        } else {
            (void)lp_detect_parse_smi_csv(text, NULL, &R, &err); /* no crash is all */
        }
        free(text);
    }
    closedir(d);
    printf("parsed %d shared nvidia-smi fixtures\n", parsed);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_h100_csv_with_header),
        cmocka_unit_test(test_h100_csv_ten_columns),
        cmocka_unit_test(test_h100_topo_and_match),
        cmocka_unit_test(test_h100_table_is_not_csv),
        cmocka_unit_test(test_h100_x8_nv18),
        cmocka_unit_test(test_a100_pcie_x4),
        cmocka_unit_test(test_rocm_json_and_csv),
        cmocka_unit_test(test_malformed_csv),
        cmocka_unit_test(test_malformed_topo),
        cmocka_unit_test(test_malformed_rocm),
        cmocka_unit_test(test_no_crash_on_truncation),
        cmocka_unit_test(test_mixed_types_error),
        cmocka_unit_test(test_unmatched_gpu_is_described),
        cmocka_unit_test(test_free_memory_check),
        cmocka_unit_test(test_source_names),
        cmocka_unit_test(test_hanging_tool_is_stopped),
        cmocka_unit_test(test_run_with_fake_tools),
        cmocka_unit_test(test_shared_fixtures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
