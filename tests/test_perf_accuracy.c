/*
 * test_perf_accuracy.c - every performance estimation method against the published serving
 * measurements in ../shared/validation/serving_perf.tsv, with the targets of the performance
 * issue:
 *   over the vLLM rows, with the best method per metric, median |error| <= 20 % for output
 *   throughput and <= 25 % for TPOT, ITL and TTFT (the heuristic's errors are printed beside,
 *   not asserted);
 *   over the TensorRT-LLM offline rows (another, faster engine) the roofline's median |error|
 *   on output tok/s <= 35 %, and no roofline or simulation prediction above the
 *   memory-bandwidth limit of the hardware.
 * Plus structural checks (enough usable rows, every skipped row says why) and a unit test of
 * the row mapping on a small table. `make accuracy` prints the same comparison row by row.
 */
#include "support/lp_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmplan/perf.h"
#include "llmplan/validate.h"

/* Targets of the issue, |error| medians in percent. */
#define TARGET_THROUGHPUT_PCT 20.0
#define TARGET_LATENCY_PCT 25.0
#define TARGET_TRT_ROOFLINE_PCT 35.0
/* serving_perf.tsv has 26 vLLM rows; all but the three that lack a model, GPU or TP map. */
#define MIN_VLLM_ROWS 20
/* ... and 314 TensorRT-LLM rows, 254 of them offline (infinite rate). */
#define MIN_TRT_OFFLINE_ROWS 200

static lp_serving_report *report;

static void print_summary(const lp_serving_report *r) {
    printf("serving_perf.tsv: %d rows, %d usable (%d vLLM, %d TensorRT-LLM, %d TRT offline), %d "
           "skipped\n",
           r->n_rows, r->n_usable, r->n_vllm_rows, r->n_trt_rows, r->n_trt_offline, r->n_skipped);
    printf("vLLM rows, |error| median/max (n):  %-24s %-24s %-24s\n", "heuristic", "roofline",
           "simulate");
    for (int f = 0; f < LP_SF_COUNT; f++) {
        printf("  %-10s (%2d rows stating it)  ", lp_serving_family_name((lp_serving_family)f),
               r->vllm_family_stated[f]);
        for (int k = 0; k < LP_SERVING_METHODS; k++) {
            const lp_error_summary *s = &r->vllm_family[k][f];
            printf(" %7.1f%% %7.1f%% (%2d)     ", s->median, s->max, s->n);
        }
        printf("\n");
    }
    for (int j = 0; j < LP_SM_COUNT; j++) {
        if (r->vllm[0][j].n + r->vllm[1][j].n + r->vllm[2][j].n == 0)
            continue;
        printf("  %-28s    ", lp_serving_metric_name((lp_serving_metric)j));
        for (int k = 0; k < LP_SERVING_METHODS; k++) {
            const lp_error_summary *s = &r->vllm[k][j];
            printf(" %7.1f%% %7.1f%% (%2d)     ", s->median, s->max, s->n);
        }
        printf("\n");
    }
    printf("TensorRT-LLM rows, |error| median/max (n):\n");
    for (int j = 0; j < LP_SM_COUNT; j++) {
        if (r->trt[0][j].n + r->trt[1][j].n + r->trt[2][j].n == 0)
            continue;
        printf("  %-28s    ", lp_serving_metric_name((lp_serving_metric)j));
        for (int k = 0; k < LP_SERVING_METHODS; k++) {
            const lp_error_summary *s = &r->trt[k][j];
            printf(" %7.1f%% %7.1f%% (%2d)     ", s->median, s->max, s->n);
        }
        printf("\n");
    }
    printf("  %-28s    ", "offline output_tok_s");
    for (int k = 0; k < LP_SERVING_METHODS; k++) {
        const lp_error_summary *s = &r->trt_offline_output[k];
        printf(" %7.1f%% %7.1f%% (%2d)     ", s->median, s->max, s->n);
    }
    printf("\n  above the physical limit: heuristic %d, roofline %d, simulate %d (measured: %d)\n",
           r->trt_above_limit[LP_HEURISTIC], r->trt_above_limit[LP_ROOFLINE],
           r->trt_above_limit[LP_SIMULATE], r->trt_actual_above_limit);
    for (int i = 0; i < r->n_rows; i++) {
        const lp_serving_row_result *row = &r->rows[i];
        if (!row->usable)
            printf("  skipped line %d (%s): %s\n", row->line, row->model, row->reason);
        else
            for (int k = 0; k < LP_SERVING_METHODS; k++)
                if (!row->estimated[k])
                    printf("  line %d (%s): %s: %s\n", row->line, row->model,
                           lp_method_name((lp_method)k), row->method_error[k]);
    }
}

/* The report over serving_perf.tsv, computed once by the first test that needs it (skips the
 * test when ../shared is absent). */
static const lp_serving_report *get_report(void) {
    char path[4096];
    lp_test_shared_path("validation/serving_perf.tsv", path, sizeof path);
    if (report)
        return report;
    report = malloc(sizeof *report);
    assert_non_null(report);
    lp_error err;
    if (lp_validate_serving(path, NULL, report, &err) != LP_OK)
        fail_msg("lp_validate_serving: %s", err.message);
    print_summary(report);
    fflush(stdout);
    return report;
}

static void test_structure(void **state) {
    (void)state;
    const lp_serving_report *r = get_report();
    assert_false(r->truncated);
    assert_int_equal(r->n_usable + r->n_skipped, r->n_rows);
    assert_true(r->n_vllm_rows >= MIN_VLLM_ROWS);
    assert_true(r->n_trt_offline >= MIN_TRT_OFFLINE_ROWS);
    for (int i = 0; i < r->n_rows; i++) {
        const lp_serving_row_result *row = &r->rows[i];
        if (!row->usable && row->reason[0] == '\0')
            fail_msg("line %d (%s) skipped without a reason", row->line, row->model);
        if (row->usable && row->workload[0] == '\0')
            fail_msg("line %d (%s) usable without a workload", row->line, row->model);
        for (int k = 0; row->usable && k < LP_SERVING_METHODS; k++)
            if (!row->estimated[k] && row->method_error[k][0] == '\0')
                fail_msg("line %d: %s gave no estimate and no reason", row->line,
                         lp_method_name((lp_method)k));
    }
    /* every family of the targets is stated by some vLLM row */
    assert_true(r->vllm_family_stated[LP_SF_THROUGHPUT] >= 5);
    assert_true(r->vllm_family_stated[LP_SF_TTFT] >= 4);
    assert_true(r->vllm_family_stated[LP_SF_TPOT] >= 2);
    assert_true(r->vllm_family_stated[LP_SF_ITL] >= 2);
}

/*
 * The best method for a family: the smallest median of the roofline and the simulation among
 * those that estimated every vLLM row stating it (a method that cannot estimate some rows does
 * not win by leaving them out). The heuristic is printed beside, not asserted.
 */
static void check_family(lp_serving_family f, double target) {
    const lp_serving_report *r = get_report();
    int best = -1;
    for (int k = LP_ROOFLINE; k <= LP_SIMULATE; k++) {
        const lp_error_summary *s = &r->vllm_family[k][f];
        if (s->n == r->vllm_family_stated[f] && s->n > 0 &&
            (best < 0 || s->median < r->vllm_family[best][f].median))
            best = k;
    }
    printf("%s: heuristic %.1f%% (%d), roofline %.1f%% (%d), simulate %.1f%% (%d) of %d rows; "
           "target %.0f%%\n",
           lp_serving_family_name(f), r->vllm_family[LP_HEURISTIC][f].median,
           r->vllm_family[LP_HEURISTIC][f].n, r->vllm_family[LP_ROOFLINE][f].median,
           r->vllm_family[LP_ROOFLINE][f].n, r->vllm_family[LP_SIMULATE][f].median,
           r->vllm_family[LP_SIMULATE][f].n, r->vllm_family_stated[f], target);
    fflush(stdout);
    if (best < 0)
        fail_msg("%s: no method estimated all %d vLLM rows stating it", lp_serving_family_name(f),
                 r->vllm_family_stated[f]);
    if (!(r->vllm_family[best][f].median <= target))
        fail_msg("%s: best method (%s) median |error| %.1f%% > %.0f%%", lp_serving_family_name(f),
                 lp_method_name((lp_method)best), r->vllm_family[best][f].median, target);
}

static void test_vllm_throughput(void **state) {
    (void)state;
    check_family(LP_SF_THROUGHPUT, TARGET_THROUGHPUT_PCT);
}

static void test_vllm_tpot(void **state) {
    (void)state;
    check_family(LP_SF_TPOT, TARGET_LATENCY_PCT);
}

static void test_vllm_itl(void **state) {
    (void)state;
    check_family(LP_SF_ITL, TARGET_LATENCY_PCT);
}

static void test_vllm_ttft(void **state) {
    (void)state;
    check_family(LP_SF_TTFT, TARGET_LATENCY_PCT);
}

static void test_trt_offline(void **state) {
    (void)state;
    const lp_serving_report *r = get_report();
    const lp_error_summary *s = &r->trt_offline_output[LP_ROOFLINE];
    printf("TensorRT-LLM offline output tok/s: roofline median %.1f%% over %d of %d rows; above "
           "the physical limit: roofline %d, simulate %d\n",
           s->median, s->n, r->n_trt_offline, r->trt_above_limit[LP_ROOFLINE],
           r->trt_above_limit[LP_SIMULATE]);
    fflush(stdout);
    for (int i = 0; i < r->n_rows; i++) {
        const lp_serving_row_result *row = &r->rows[i];
        for (int k = LP_ROOFLINE; k <= LP_SIMULATE; k++)
            if (row->above_limit[k])
                printf("  line %d (%s, %s): %s %.0f tok/s > limit %.0f\n", row->line, row->model,
                       row->workload, lp_method_name((lp_method)k),
                       row->metrics[k][LP_SM_OUTPUT_TOK_S].predicted, row->physical_limit_tok_s);
    }
    assert_true(s->n >= MIN_TRT_OFFLINE_ROWS);
    assert_int_equal(r->trt_above_limit[LP_ROOFLINE], 0);
    assert_int_equal(r->trt_above_limit[LP_SIMULATE], 0);
    if (!(s->median <= TARGET_TRT_ROOFLINE_PCT))
        fail_msg("roofline median |error| on TensorRT-LLM offline rows %.1f%% > %.0f%%", s->median,
                 TARGET_TRT_ROOFLINE_PCT);
}

/* ---- the row mapping on a small table ---------------------------------------------------- */

static const char *write_tsv(char *path, const char *text) {
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static const lp_serving_row_result *row_at(const lp_serving_report *r, int line) {
    for (int i = 0; i < r->n_rows; i++)
        if (r->rows[i].line == line)
            return &r->rows[i];
    fail_msg("no row for line %d", line);
    return NULL;
}

static bool has_note(const lp_serving_row_result *row, const char *text) {
    for (int i = 0; i < row->n_notes; i++)
        if (strstr(row->notes[i], text))
            return true;
    return false;
}

#define HEADER                                                                                     \
    "engine\tengine_version\tmodel\tprecision\tgpu\tgpu_count\ttp\tpp\tdataset\tisl\tosl\tnum_"    \
    "prompts\tconcurrency\trequest_rate\tmax_batch\toutput_tok_s\trequest_s\tttft_p50_ms\ttpot_"   \
    "p50_ms\titl_p50_ms\te2e_mean_ms\tnotes\n"

static void test_row_mapping(void **state) {
    (void)state;
    char path[] = "/tmp/lp_serving_XXXXXX";
    write_tsv(path, HEADER
              /* line 2: TensorRT-LLM offline, alias, fp8 weights + KV, GPU with remarks */
              "TensorRT-LLM (trtllm-bench)\t0.17\tLlama-3.1 8B\tFP8 weights+FP8 KV cache\tH100 "
              "80GB HBM3\t1\t1\t1\tfixed\t128\t128\t\t\tinf (offline max "
              "throughput)\t\t20000\t\t\t\t\t\tkv_cache_free_gpu_mem_fraction 0.95\n"
              /* line 3: vLLM 0.6 ShareGPT at 4 req/s, multi-step scheduling */
              "vLLM\t0.6.0\tmeta-llama/Llama-3.1-8B-Instruct\tbf16 (default)\tA100 "
              "80GB\t1\t1\t1\tShareGPT\tShareGPT\tShareGPT\t1200\t\t4\t\t\t\t100\t14\t129\t\tvLLM "
              "run with --num-scheduler-steps 10 --max_model_len 4096\n"
              /* line 4: ~20k/~2k +/-15 %, concurrency 8, fp8 KV */
              "vLLM\tv0.19.1\tmeta-llama/Llama-3.1-8B (Instruct variant not specified)\tbf16 "
              "weights, KV cache fp8\tH100\t1\t1\t1\tsynthetic ~20k / ~2k "
              "(+/-15%)\t~20000\t~2000\t150\t8\t\t\t500\t\t700\t\t13\t\t\n"
              /* line 5: latency test, batch of 8, alias with a remark */
              "vLLM\tnot stated\tMixtral-8x7B (CI test latency_mixtral8x7B_tp2)\tbf16 "
              "(default)\tH200\t2\t2\t1\tfixed lengths\t32\t128\t\t\t\t8\t\t\t\t\t\t1900\tbatch "
              "fixed 8\n"
              /* line 6: unknown model */
              "vLLM\t0.6.0\tFoo-Bar 13B\tbf16\tH100\t1\t1\t1\tfixed\t128\t128\t100\t\t2\t\t100\t\t"
              "\t\t\t\t\n"
              /* line 7: no GPU */
              "vLLM\tnot stated\tmeta-llama/Llama-3.1-8B-Instruct\tbf16\t\t8\t8\t1\tfixed\t1024\t"
              "128\t\t\t\t\t290\t\t\t\t\t\t\n"
              /* line 8: no TP / GPU count */
              "vLLM\tnot stated\tmeta-llama/Llama-3.1-8B-Instruct\tbf16\tRTX "
              "3090\t\t\t\tfixed\t800\t100\t100\t\t2\t\t180\t\t\t\t\t\t\n"
              /* line 9: nothing comparable */
              "TensorRT-LLM\t0.14.0\tLlama 3.1 70B\tbf16\tH200 131GB "
              "HBM3\t4\t4\t1\tfixed\t467\t256\t500\t\t2\t\t\t\t\t\t\t\t\n"
              /* line 10: the H200 of line 9 with a metric */
              "TensorRT-LLM\t0.14.0\tLlama 3.1 70B\tbf16\tH200 131GB "
              "HBM3\t4\t4\t1\tfixed\t467\t256\t500\t\t2\t\t498\t\t\t\t\t\t\n"
              /* line 11: a hybrid Mamba-Transformer MoE the catalog holds (its -FP8 release) */
              "vLLM\tv0.12.0\tnvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-FP8\tfp8\tH200\t1\t1\t1\t"
              "random\t1024\t1024\t2048\t1024\t\t\t15828\t\t\t\t\t\thybrid Mamba-Transformer "
              "MoE\n"
              /* line 12: "A100" alone: 40 or 80 GB, SXM or PCIe */
              "vLLM\t0.6.0\tmeta-llama/Llama-2-7b-hf\tbf16\tA100\t1\t1\t1\tfixed\t128\t128\t"
              "100\t\t2\t\t100\t\t\t\t\t\t\n");
    lp_serving_report *r = malloc(sizeof *r);
    assert_non_null(r);
    lp_validate_serving_opts opts;
    lp_validate_serving_opts_init(&opts);
    opts.methods[LP_SIMULATE] = false; /* the mapping is under test, not the simulation */
    lp_error err;
    assert_int_equal(lp_validate_serving(path, &opts, r, &err), LP_OK);
    assert_int_equal(r->n_rows, 11);

    const lp_serving_row_result *row = row_at(r, 2);
    assert_true(row->usable);
    assert_int_equal(row->engine, LP_ENGINE_TRT);
    assert_true(row->offline);
    assert_string_equal(row->model_id, "meta-llama/Llama-3.1-8B-Instruct");
    assert_string_equal(row->gpu, "H100 SXM");
    assert_string_equal(row->workload, "128/128 inf n=1000");
    assert_true(has_note(row, "num_prompts not stated"));
    assert_true(has_note(row, "kv_cache_free_gpu_mem_fraction"));
    assert_true(row->physical_limit_tok_s > 0);
    assert_false(isnan(row->metrics[LP_ROOFLINE][LP_SM_OUTPUT_TOK_S].actual));
    assert_true(isnan(row->metrics[LP_ROOFLINE][LP_SM_TTFT_P50].actual));
    assert_false(row->estimated[LP_SIMULATE]);

    row = row_at(r, 3);
    assert_true(row->usable);
    assert_int_equal(row->engine, LP_ENGINE_VLLM);
    assert_false(row->offline);
    assert_string_equal(row->workload, "ShareGPT r=4 n=1200");
    assert_string_equal(row->gpu, "A100 80GB SXM");
    /* ITL of multi-step scheduling is per burst: not compared; TPOT is */
    assert_true(isnan(row->metrics[LP_ROOFLINE][LP_SM_ITL_P50].actual));
    assert_true(has_note(row, "ITL not compared"));
    assert_true(row->metrics[LP_ROOFLINE][LP_SM_TPOT_P50].actual == 14.0);
    assert_true(isnan(row->physical_limit_tok_s));

    row = row_at(r, 4);
    assert_true(row->usable);
    assert_string_equal(row->model_id, "meta-llama/Llama-3.1-8B");
    assert_string_equal(row->workload, "~20000/~2000 c=8 n=150");

    row = row_at(r, 5);
    assert_true(row->usable);
    assert_string_equal(row->model_id, "mistralai/Mixtral-8x7B-v0.1");
    assert_string_equal(row->workload, "32/128 batch 8");
    assert_int_equal(row->tp, 2);
    assert_int_equal(row->num_gpus, 2);
    assert_true(has_note(row, "vLLM version not stated"));

    row = row_at(r, 6);
    assert_false(row->usable);
    assert_non_null(strstr(row->reason, "unsupported model"));
    assert_non_null(strstr(row->reason, "Foo-Bar 13B"));

    row = row_at(r, 7);
    assert_false(row->usable);
    assert_string_equal(row->reason, "GPU not stated");

    row = row_at(r, 8);
    assert_false(row->usable);
    assert_string_equal(row->reason, "TP/GPU count not stated");

    row = row_at(r, 9);
    assert_false(row->usable);
    assert_non_null(strstr(row->reason, "no comparable metric"));

    row = row_at(r, 10);
    assert_true(row->usable);
    assert_string_equal(row->model_id, "meta-llama/Llama-3.1-70B-Instruct");
    assert_string_equal(row->gpu, "H200 SXM");
    assert_true(has_note(row, "memory size matches no part"));
    assert_string_equal(row->workload, "467/256 r=2 n=500");

    /* hybrid models are estimated, not skipped for being hybrid */
    row = row_at(r, 11);
    assert_true(row->usable);
    assert_string_equal(row->model_id, "nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-FP8");

    row = row_at(r, 12);
    assert_false(row->usable);
    assert_non_null(strstr(row->reason, "ambiguous"));
    assert_non_null(strstr(row->reason, "memory size"));

    assert_int_equal(r->n_usable, 6);
    assert_int_equal(r->n_skipped, 5);
    assert_int_equal(r->n_vllm_rows, 4);
    assert_int_equal(r->n_trt_rows, 2);
    assert_int_equal(r->n_trt_offline, 1);
    free(r);
    remove(path);
}

/* A header without the required columns is a parse error naming one; a missing file is I/O. */
static void test_bad_table(void **state) {
    (void)state;
    char path[] = "/tmp/lp_serving_XXXXXX";
    write_tsv(path, "model\tgpu\toutput_tok_s\nLlama-3.1 8B\tH100\t100\n");
    lp_serving_report *r = malloc(sizeof *r);
    assert_non_null(r);
    lp_error err;
    assert_int_equal(lp_validate_serving(path, NULL, r, &err), LP_ERR_PARSE);
    assert_non_null(strstr(err.message, "missing column"));
    remove(path);

    char empty[] = "/tmp/lp_serving_XXXXXX";
    write_tsv(empty, "");
    assert_int_equal(lp_validate_serving(empty, NULL, r, &err), LP_ERR_PARSE);
    remove(empty);

    assert_int_equal(lp_validate_serving("/nonexistent/serving_perf.tsv", NULL, r, &err),
                     LP_ERR_IO);
    assert_string_equal(lp_serving_metric_name(LP_SM_TTFT_P50), "ttft_p50_ms");
    assert_string_equal(lp_serving_family_name(LP_SF_THROUGHPUT), "throughput");
    free(r);
}

/* ---- the other tables: serving_modes.tsv columns, stated-in-words settings ---------------- */

#define MODES_HEADER                                                                               \
    "source\tengine\tengine_version\tmode\tmodel\tgpu\tgpu_count\ttp\tpp\tdp\tmode_settings\t"     \
    "dataset\tisl\tosl\tnum_prompts\tconcurrency\trequest_rate\toutput_tok_s\tttft_mean_ms\t"      \
    "baseline_of_row\tnotes\n"

static void test_modes_table(void **state) {
    (void)state;
    char path[4096];
    lp_test_write_temp(path, sizeof path,
                       MODES_HEADER
                       /* line 2: a baseline row: mapped like any serving run; one GPU, no TP */
                       "a/b x\tvLLM\t0.6.2 + PR\tbaseline\tmeta-llama/Llama-3.1-8B-Instruct\t"
                       "H100\t1\t\t1\t\tnon-disaggregated, --enforce-eager\tsonnet\t1024\t6\t200"
                       "\t\t2\t12.1\t460\t\tid=x\n"
                       /* line 3: a mode row */
                       "a/b x\tvLLM\t0.6.2\tspec\tmeta-llama/Llama-3.1-8B-Instruct\tH100\t1\t1\t"
                       "1\t\tEAGLE\tsonnet\t1024\t6\t200\t\t2\t20\t300\t2\t\n"
                       /* line 4: another engine */
                       "c/d\tSGLang\tmain\tbaseline\tmeta-llama/Llama-3.1-8B-Instruct\tH100\t1\t1"
                       "\t1\t\t\tsonnet\t1024\t6\t200\t\t2\t20\t300\t\t\n"
                       /* line 5: GPU written as not stated */
                       "e/f\tvLLM\t0.7.0\tbaseline\tmeta-llama/Llama-3.1-8B-Instruct\tnot stated "
                       "in excerpt\t1\t1\t1\t\t\tsonnet\t1024\t6\t200\t\t2\t20\t300\t\t\n");
    lp_serving_report *r = malloc(sizeof *r);
    assert_non_null(r);
    lp_validate_serving_opts opts;
    lp_validate_serving_opts_init(&opts);
    opts.methods[LP_SIMULATE] = false;
    lp_error err;
    assert_int_equal(lp_validate_serving(path, &opts, r, &err), LP_OK);
    assert_int_equal(r->n_rows, 4);
    assert_int_equal(r->n_files, 1);
    const lp_serving_row_result *row = row_at(r, 2);
    assert_true(row->usable);
    assert_string_equal(row->mode, "baseline");
    assert_string_equal(row->file, strrchr(path, '/') + 1);
    assert_string_equal(row->source, "a/b");
    assert_string_equal(row->version, "vLLM 0.6");
    assert_string_equal(row->family, "hopper");
    assert_int_equal(row->tp, 1);
    assert_true(has_note(row, "TP not stated: 1"));
    assert_string_equal(row->workload, "1024/6 r=2 n=200");
    assert_int_equal(row->regime, LP_REGIME_POISSON);
    assert_true(row->estimated[LP_ROOFLINE]);
    assert_true(row->metrics[LP_ROOFLINE][LP_SM_TTFT_MEAN].actual == 460.0);
    row = row_at(r, 3);
    assert_false(row->usable);
    assert_string_equal(row->reason, "mode not modelled yet (spec)");
    row = row_at(r, 4);
    assert_false(row->usable);
    assert_non_null(strstr(row->reason, "SGLang"));
    row = row_at(r, 5);
    assert_false(row->usable);
    assert_string_equal(row->reason, "GPU not stated");
    /* a second table goes into the same report */
    assert_int_equal(lp_validate_serving_add(path, &opts, r, &err), LP_OK);
    assert_int_equal(r->n_rows, 8);
    assert_int_equal(r->n_files, 2);
    assert_int_equal(r->n_usable, 2);
    /* the two parts of the split partition the rows */
    int held = 0;
    for (int i = 0; i < r->n_rows; i++)
        held += r->rows[i].holdout;
    opts.rows = LP_ROWS_HOLDOUT;
    assert_int_equal(lp_validate_serving(path, &opts, r, &err), LP_OK);
    assert_int_equal(r->n_rows, held / 2);
    for (int i = 0; i < r->n_rows; i++)
        assert_true(r->rows[i].holdout);
    opts.rows = LP_ROWS_FIT;
    assert_int_equal(lp_validate_serving(path, &opts, r, &err), LP_OK);
    assert_int_equal(r->n_rows, 4 - held / 2);
    for (int i = 0; i < r->n_rows; i++)
        assert_false(r->rows[i].holdout);
    free(r);
    remove(path);
}

#define PERF2_HEADER                                                                               \
    "source\tengine\tengine_version\tmodel\tprecision\tgpu\tgpu_count\ttp\tpp\tdataset\tisl\t"     \
    "osl\tnum_prompts\tconcurrency\trequest_rate\tmax_batch\toutput_tok_s\t"                       \
    "throughput_unspecified_tok_s\tnotes\n"

/* Throughputs whose kind the source does not state, a batch column that is an engine limit,
 * length ranges and a precision not recorded per run. */
static void test_throughput_kinds(void **state) {
    (void)state;
    char path[4096];
    lp_test_write_temp(
        path, sizeof path,
        PERF2_HEADER
        /* line 2: Qwen's speed benchmark: one request, speed = output tokens / its E2E */
        "QwenLM/Qwen2.5 doc\tvLLM\t0.6.3\tQwen/Qwen2.5-7B-Instruct\tBF16\tA100 80GB\t1\t1\t1\t"
        "synthetic\t6144\t2048\t\t1\toffline\t1\t\t80\tgpu_memory_utilization=0.9 "
        "max_model_len=32768 enforce_eager=False\n"
        /* line 3: ROCm offline, 128/2048: total and output differ by 6 %; max num seqs */
        "ROCm/vllm doc\tvLLM (ROCm fork)\t0.8.5 (x)\tmeta-llama/Llama-3.1-70B-Instruct\tFP8 "
        "weights + FP8 KV\tMI300X 192GB\t8\t8\t1\trandom\t128\t2048\t3200\t\toffline\t3200 (Max "
        "Num Seqs)\t\t16000\t--max-model-len 8192 --max-num-batched-tokens 131072\n"
        /* line 4: the same at 2048/2048: total is twice output, not comparable */
        "ROCm/vllm doc\tvLLM (ROCm fork)\t0.8.5 (x)\tmeta-llama/Llama-3.1-70B-Instruct\tFP8 "
        "weights + FP8 KV\tMI300X 192GB\t8\t8\t1\trandom\t2048\t2048\t1500\t\toffline\t1500 "
        "(Max Num Seqs)\t\t8000\t\n"
        /* line 5: a length range, and a precision not recorded per run */
        "x/y\tvLLM\t0.8.5\tgoogle/gemma-2-9b-it\tfloat16 per README (not recorded per run)\t"
        "H100\t1\t1\t1\tprefix\t256-512\t128\t100\t\t4\t\t900\t\t\n");
    lp_serving_report *r = malloc(sizeof *r);
    assert_non_null(r);
    lp_validate_serving_opts opts;
    lp_validate_serving_opts_init(&opts);
    opts.methods[LP_SIMULATE] = false;
    lp_error err;
    assert_int_equal(lp_validate_serving(path, &opts, r, &err), LP_OK);

    const lp_serving_row_result *row = row_at(r, 2);
    assert_true(row->usable);
    assert_int_equal(row->regime, LP_REGIME_BATCH1);
    assert_string_equal(row->workload, "6144/2048 batch 1");
    assert_true(has_note(row, "one request's output tokens / E2E"));
    assert_true(row->metrics[LP_ROOFLINE][LP_SM_OUTPUT_TOK_S].actual == 80.0);
    /* the prediction compared is 2048 output tokens over the predicted E2E of the request */
    double e2e = row->metrics[LP_ROOFLINE][LP_SM_E2E_MEAN].predicted;
    lp_assert_near(row->metrics[LP_ROOFLINE][LP_SM_OUTPUT_TOK_S].predicted, 2048.0 / (e2e / 1e3),
                   1e-6);

    row = row_at(r, 3);
    assert_true(row->usable);
    assert_string_equal(row->workload, "128/2048 inf n=3200"); /* not a latency batch */
    assert_int_equal(row->regime, LP_REGIME_ALL_AT_ONCE);
    assert_string_equal(row->version, "vLLM 0.8");
    assert_string_equal(row->family, "amd-cdna");
    assert_true(has_note(row, "geometric mean of total and output"));

    row = row_at(r, 4);
    assert_false(row->usable);
    assert_non_null(strstr(row->reason, "differ by 100 %"));

    row = row_at(r, 5);
    assert_true(row->usable);
    assert_true(row->estimated[LP_ROOFLINE]); /* not refused as gemma2 in float16 */
    assert_true(has_note(row, "uniform between the two"));
    assert_true(has_note(row, "not recorded per run"));
    free(r);
    remove(path);
}

/* Statistics worked out by hand: signed errors -30, -10, 5, 20: bias (median) -2.5; |error|
 * 5, 10, 20, 30: median 15, p90 at position 0.9 x 3 = 2.7: 20 + 0.7 x 10 = 27. */
static void test_error_stats(void **state) {
    (void)state;
    double v[] = {-10, 20, 5, -30};
    lp_error_stats s = lp_error_stats_of(v, 4);
    assert_int_equal(s.n, 4);
    lp_assert_near(s.bias, -2.5, 1e-12);
    lp_assert_near(s.median_abs, 15.0, 1e-12);
    lp_assert_near(s.p90_abs, 27.0, 1e-12);
    s = lp_error_stats_of(v, 0);
    assert_int_equal(s.n, 0);
    assert_true(isnan(s.median_abs));
}

/* A table over a report built by hand: two GPUs, fit and holdout rows apart. */
static void test_accuracy_table(void **state) {
    (void)state;
    lp_serving_report *r = calloc(1, sizeof *r);
    assert_non_null(r);
    const struct {
        const char *gpu;
        bool holdout;
        double actual, predicted;
    } ROWS[] = {
        {"H100 SXM", false, 100, 110}, {"H100 SXM", false, 100, 80}, {"H100 SXM", true, 200, 300},
        {"A10", false, 50, 40},        {"A10", true, 10, 9},
    };
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++) {
        lp_serving_row_result *row = &r->rows[r->n_rows++];
        row->usable = true;
        row->engine = LP_ENGINE_VLLM;
        row->holdout = ROWS[i].holdout;
        snprintf(row->gpu, sizeof row->gpu, "%s", ROWS[i].gpu);
        for (int k = 0; k < LP_SERVING_METHODS; k++)
            for (int j = 0; j < LP_SM_COUNT; j++)
                row->metrics[k][j] = (lp_metric_cmp){NAN, NAN, NAN};
        double err = 100.0 * (ROWS[i].predicted - ROWS[i].actual) / ROWS[i].actual;
        row->metrics[LP_ROOFLINE][LP_SM_OUTPUT_TOK_S] =
            (lp_metric_cmp){ROWS[i].actual, ROWS[i].predicted, err};
        for (int k = 0; k < LP_SERVING_METHODS; k++)
            row->metrics[k][LP_SM_OUTPUT_TOK_S].actual = ROWS[i].actual;
    }
    lp_accuracy_row *rows;
    int n;
    lp_error err;
    assert_int_equal(lp_accuracy_table(r, LP_ACC_GPU, LP_ENGINE_VLLM, &rows, &n, &err), LP_OK);
    assert_int_equal(n, 4); /* A10 fit, A10 holdout, H100 fit, H100 holdout; throughput only */
    assert_string_equal(rows[0].group, "A10");
    assert_false(rows[0].holdout);
    lp_assert_near(rows[0].methods[LP_ROOFLINE].bias, -20.0, 1e-9); /* 40 vs 50 */
    assert_true(rows[1].holdout);
    lp_assert_near(rows[1].methods[LP_ROOFLINE].median_abs, 10.0, 1e-9); /* 9 vs 10 */
    assert_string_equal(rows[2].group, "H100 SXM");
    /* +10 % and -20 %: bias -5, |error| median 15, p90 at 0.9: 10 + 0.9 x 10 = 19 */
    lp_assert_near(rows[2].methods[LP_ROOFLINE].bias, -5.0, 1e-9);
    lp_assert_near(rows[2].methods[LP_ROOFLINE].median_abs, 15.0, 1e-9);
    lp_assert_near(rows[2].methods[LP_ROOFLINE].p90_abs, 19.0, 1e-9);
    assert_int_equal(rows[2].stated, 2);
    assert_int_equal(rows[2].methods[LP_HEURISTIC].n, 0);          /* stated but not estimated */
    lp_assert_near(rows[3].methods[LP_ROOFLINE].bias, 50.0, 1e-9); /* 300 vs 200 */
    free(rows);
    free(r);
}

/* The load regimes of a request. */
static void test_regimes(void **state) {
    (void)state;
    lp_workload w;
    lp_workload_init(&w);
    assert_int_equal(lp_perf_regime(&w), LP_REGIME_ALL_AT_ONCE); /* rate inf, 1000 prompts */
    w.max_concurrency = 8;
    assert_int_equal(lp_perf_regime(&w), LP_REGIME_CLOSED);
    w.request_rate = 4;
    assert_int_equal(lp_perf_regime(&w), LP_REGIME_POISSON);
    w.max_concurrency = 1;
    assert_int_equal(lp_perf_regime(&w), LP_REGIME_BATCH1);
    w.max_concurrency = 0;
    w.request_rate = 0;
    w.num_prompts = 1;
    assert_int_equal(lp_perf_regime(&w), LP_REGIME_BATCH1);
    assert_string_equal(lp_perf_regime_name(LP_REGIME_ALL_AT_ONCE), "all-at-once");
}

/*
 * The LoRA and prefix rows of serving_modes.tsv are compared with their baselines. The prefix
 * row of benchmark_prefix_caching.py (200 ShareGPT prompts sent twice each, 256-512 tokens,
 * about half of the prompt tokens found in the cache) must come out faster than its
 * no-cache baseline, as measured; every LoRA pair must estimate LoRA as no faster than plain
 * serving (its kernels only add work), and no constant is fitted on these rows.
 */
static void test_modes_lora_prefix_pairs(void **state) {
    (void)state;
    char path[4096];
    lp_test_shared_path("validation/serving_modes.tsv", path, sizeof path);
    static lp_modes_report rep;
    lp_error err;
    assert_int_equal(lp_validate_serving_modes(path, &rep, &err), LP_OK);
    int lora = 0, prefix = 0;
    for (int i = 0; i < rep.n_pairs; i++) {
        const lp_modes_pair *p = &rep.pairs[i];
        if (p->mode == LP_MODES_PREFIX && p->metric == LP_MODES_OUTPUT_TOK_S) {
            prefix++;
            assert_true(p->measured_ratio > 1.0);
            assert_true(p->estimated_ratio > 1.0);
        }
        if (p->mode == LP_MODES_LORA) {
            lora++;
            if (p->metric == LP_MODES_OUTPUT_TOK_S)
                assert_true(p->estimated_ratio <= 1.0 + 1e-9);
            else
                assert_true(p->estimated_ratio >= 1.0 - 1e-9);
        }
    }
    assert_true(prefix >= 1);
    assert_true(lora >= 2);
    assert_string_equal(lp_modes_mode_name(LP_MODES_LORA), "lora");
}

/*
 * Runs that repeat an earlier run on the same server. The IOG-Foundation H100 PCIe ShareGPT
 * runs of serving_perf_2.tsv were made model by model as sweeps over request rates, each
 * saved with the time it ended ("date" in the notes): 32 req/s first, then 16, 8, 4 and 1, each
 * starting seconds to a few minutes after the one before (e.g. the Llama-3-8B sweep ended its
 * runs at 14:30:26, 14:30:59, 14:31:43, 14:32:50, 14:36:14), while the next model's sweep
 * starts after a new server has loaded. vllm bench serve samples the same prompts every time
 * (one --seed), so every run but the first of each sweep starts with its prompts cached.
 */
static void test_sweep_repeats(void **state) {
    (void)state;
    char path[4096];
    lp_test_shared_path("validation/serving_perf_2.tsv", path, sizeof path);
    lp_serving_point *pts = NULL;
    int n = 0;
    lp_error err;
    if (lp_serving_points_read(path, &pts, &n, &err) != LP_OK)
        fail_msg("%s", err.message);
    int first = 0, repeats = 0;
    for (int i = 0; i < n; i++) {
        const lp_workload *w = &pts[i].req.workload;
        if (!strstr(pts[i].gpu, "H100 PCIe") || w->input.kind != LP_LEN_SHAREGPT)
            continue;
        bool is_first = w->request_rate == 32.0;
        if (w->warm_prefix_cache == is_first)
            fail_msg("line %d (%g req/s): %s", pts[i].line, w->request_rate,
                     is_first ? "first run of its sweep taken as warm" : "repeat not found");
        first += is_first;
        repeats += !is_first;
    }
    assert_true(first >= 10);
    assert_int_equal(repeats, 4 * first);
    lp_serving_points_free(pts);
}

int main(void) {
    const struct CMUnitTest mapping[] = {
        cmocka_unit_test(test_row_mapping),
        cmocka_unit_test(test_bad_table),
        cmocka_unit_test(test_modes_table),
        cmocka_unit_test(test_throughput_kinds),
        cmocka_unit_test(test_error_stats),
        cmocka_unit_test(test_accuracy_table),
        cmocka_unit_test(test_regimes),
        cmocka_unit_test(test_sweep_repeats),
        cmocka_unit_test(test_modes_lora_prefix_pairs),
    };
    const struct CMUnitTest accuracy[] = {
        cmocka_unit_test(test_structure), cmocka_unit_test(test_vllm_throughput),
        cmocka_unit_test(test_vllm_tpot), cmocka_unit_test(test_vllm_itl),
        cmocka_unit_test(test_vllm_ttft), cmocka_unit_test(test_trt_offline),
    };
    int failed = cmocka_run_group_tests_name("serving row mapping", mapping, NULL, NULL);
    failed += cmocka_run_group_tests_name("serving accuracy", accuracy, NULL, NULL);
    free(report);
    return failed;
}
