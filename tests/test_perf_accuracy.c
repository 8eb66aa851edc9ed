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
              "HBM3\t4\t4\t1\tfixed\t467\t256\t500\t\t2\t\t498\t\t\t\t\t\t\n");
    lp_serving_report *r = malloc(sizeof *r);
    assert_non_null(r);
    lp_validate_serving_opts opts;
    lp_validate_serving_opts_init(&opts);
    opts.methods[LP_SIMULATE] = false; /* the mapping is under test, not the simulation */
    lp_error err;
    assert_int_equal(lp_validate_serving(path, &opts, r, &err), LP_OK);
    assert_int_equal(r->n_rows, 9);

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

    assert_int_equal(r->n_usable, 5);
    assert_int_equal(r->n_skipped, 4);
    assert_int_equal(r->n_vllm_rows, 3);
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

int main(void) {
    const struct CMUnitTest mapping[] = {
        cmocka_unit_test(test_row_mapping),
        cmocka_unit_test(test_bad_table),
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
