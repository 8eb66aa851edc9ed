/*
 * cmd_accuracy.c - `llmplan accuracy`: plan every row of the published vLLM start-up logs in
 * ../shared/validation/kv_capacity.tsv and print the per-row and median errors (the same
 * comparison the accuracy test asserts on); then run every performance estimation method on
 * every row of ../shared/validation/serving_perf.tsv and print the same kind of report (the
 * comparison test_perf_accuracy asserts on).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "llmplan/perf.h"
#include "llmplan/validate.h"

static void cell(const lp_metric_cmp *c, int width) {
    if (isnan(c->actual) && isnan(c->predicted)) {
        printf(" %*s", width, "-");
        return;
    }
    char buf[64];
    if (isnan(c->actual))
        snprintf(buf, sizeof buf, "%.2f", c->predicted);
    else if (isnan(c->error_pct))
        snprintf(buf, sizeof buf, "%.2f/%.2f", c->predicted, c->actual);
    else
        snprintf(buf, sizeof buf, "%.2f/%.2f %+.1f%%", c->predicted, c->actual, c->error_pct);
    printf(" %*s", width, buf);
}

static void tokens_cell(const lp_metric_cmp *c) {
    char buf[64];
    if (isnan(c->actual))
        snprintf(buf, sizeof buf, "%.0f", c->predicted);
    else
        snprintf(buf, sizeof buf, "%.0f/%.0f %+.1f%%", c->predicted, c->actual, c->error_pct);
    printf(" %26s", buf);
}

/* ---- serving performance ------------------------------------------------------------------ */

/* A number in at most 8 characters: no decimals from 10000 on, one from 100, else two. */
static void number(double v, char *buf, size_t size) {
    if (isnan(v))
        snprintf(buf, size, "-");
    else if (fabs(v) >= 10000.0)
        snprintf(buf, size, "%.0f", v);
    else if (fabs(v) >= 100.0)
        snprintf(buf, size, "%.1f", v);
    else
        snprintf(buf, size, "%.2f", v);
}

/* "predicted err%" of one method, or why there is none. */
static void method_cell(const lp_serving_row_result *row, int k, lp_serving_metric j) {
    char buf[48], num[24];
    const lp_metric_cmp *c = &row->metrics[k][j];
    if (!row->estimated[k])
        snprintf(buf, sizeof buf, "%s", row->method_error[k][0] ? "failed" : "not run");
    else if (isnan(c->predicted))
        snprintf(buf, sizeof buf, "-");
    else {
        number(c->predicted, num, sizeof num);
        snprintf(buf, sizeof buf, "%s %+.0f%%", num, c->error_pct);
    }
    printf(" %17s", buf);
}

static void summary_cell(const lp_error_summary *s) {
    char buf[48];
    if (s->n == 0)
        snprintf(buf, sizeof buf, "-");
    else
        snprintf(buf, sizeof buf, "%.1f%% / %.1f%% (%d)", s->median, s->max, s->n);
    printf(" %26s", buf);
}

static const char *engine_name(lp_serving_engine e) {
    return e == LP_ENGINE_VLLM  ? "vLLM"
           : e == LP_ENGINE_TRT ? "TensorRT-LLM (a faster engine: an upper bound for vLLM)"
                                : "other";
}

static void print_serving_rows(const lp_serving_report *r, lp_serving_engine engine) {
    printf("%s rows\n", engine_name(engine));
    printf("%-5s %-7s %-28s %-16s %-26s %-13s %10s %17s %17s %17s\n", "line", "split", "model",
           "gpu x n", "workload", "metric", "actual", "heuristic", "roofline", "simulate");
    for (int i = 0; i < r->n_rows; i++) {
        const lp_serving_row_result *row = &r->rows[i];
        if (!row->usable || row->engine != engine)
            continue;
        char gpu[40];
        snprintf(gpu, sizeof gpu, "%s x%d", row->gpu, row->num_gpus);
        bool first = true;
        for (int j = 0; j < LP_SM_COUNT; j++) {
            double actual = row->metrics[0][j].actual;
            if (isnan(actual))
                continue;
            char num[24];
            number(actual, num, sizeof num);
            if (first)
                printf("%-5d %-7s %-28.28s %-16.16s %-26.26s", row->line,
                       row->holdout ? "holdout" : "fit", row->model, gpu, row->workload);
            else
                printf("%-5s %-7s %-28s %-16s %-26s", "", "", "", "", "");
            printf(" %-13s %10s", lp_serving_metric_name((lp_serving_metric)j), num);
            for (int k = 0; k < LP_SERVING_METHODS; k++)
                method_cell(row, k, (lp_serving_metric)j);
            printf("\n");
            first = false;
        }
        for (int k = 0; k < LP_SERVING_METHODS; k++)
            if (!row->estimated[k] && row->method_error[k][0])
                printf("      %s: %s\n", lp_method_name((lp_method)k), row->method_error[k]);
        for (int k = 0; k < LP_SERVING_METHODS; k++)
            if (row->above_limit[k])
                printf("      %s predicts %.0f output tok/s, above the physical limit %.0f\n",
                       lp_method_name((lp_method)k), row->metrics[k][LP_SM_OUTPUT_TOK_S].predicted,
                       row->physical_limit_tok_s);
        if (row->actual_above_limit)
            printf(
                "      measured %.0f output tok/s is above the limit %.0f at vLLM's KV capacity\n",
                row->metrics[0][LP_SM_OUTPUT_TOK_S].actual, row->physical_limit_tok_s);
        if (row->engine == LP_ENGINE_VLLM)
            for (int n = 0; n < row->n_notes; n++)
                printf("      note: %s\n", row->notes[n]);
    }
}

static void print_serving_summary(const lp_serving_report *r) {
    printf("\nSummary over %d vLLM rows: |error| median / max (comparisons)\n", r->n_vllm_rows);
    printf("  %-14s %26s %26s %26s\n", "metric", "heuristic", "roofline", "simulate");
    for (int f = 0; f < LP_SF_COUNT; f++) {
        char name[32];
        snprintf(name, sizeof name, "%s (%d)", lp_serving_family_name((lp_serving_family)f),
                 r->vllm_family_stated[f]);
        printf("  %-14s", name);
        for (int k = 0; k < LP_SERVING_METHODS; k++)
            summary_cell(&r->vllm_family[k][f]);
        printf("\n");
    }
    printf("  by column:\n");
    for (int j = 0; j < LP_SM_COUNT; j++) {
        if (r->vllm[0][j].n + r->vllm[1][j].n + r->vllm[2][j].n == 0)
            continue;
        printf("  %-14s", lp_serving_metric_name((lp_serving_metric)j));
        for (int k = 0; k < LP_SERVING_METHODS; k++)
            summary_cell(&r->vllm[k][j]);
        printf("\n");
    }
    printf("\nTensorRT-LLM rows (%d; a faster engine: an upper bound for vLLM), |error| median / "
           "max (comparisons)\n",
           r->n_trt_rows);
    for (int j = 0; j < LP_SM_COUNT; j++) {
        if (r->trt[0][j].n + r->trt[1][j].n + r->trt[2][j].n == 0)
            continue;
        printf("  %-14s", lp_serving_metric_name((lp_serving_metric)j));
        for (int k = 0; k < LP_SERVING_METHODS; k++)
            summary_cell(&r->trt[k][j]);
        printf("\n");
    }
    printf("  %-14s", "offline out/s");
    for (int k = 0; k < LP_SERVING_METHODS; k++)
        summary_cell(&r->trt_offline_output[k]);
    printf("\n  %-14s", "above limit");
    for (int k = 0; k < LP_SERVING_METHODS; k++)
        printf(" %26d", r->trt_above_limit[k]);
    printf("\n  (%d offline rows; measurements above the limit at vLLM's KV capacity: %d, where "
           "TensorRT-LLM's larger KV pool holds more)\n",
           r->n_trt_offline, r->trt_actual_above_limit);
}

static int print_serving(const char *path) {
    lp_serving_report *r = malloc(sizeof *r);
    if (!r)
        return LP_EXIT_FAILURE;
    lp_error err;
    if (lp_validate_serving(path, NULL, r, &err) != LP_OK) {
        free(r);
        return lp_cli_fail(&err);
    }
    printf("\n\nllmplan vs published serving measurements (%s): every method, predicted and "
           "error\n(%d rows: %d usable, %d vLLM, %d TensorRT-LLM; %d skipped; notes shown for "
           "vLLM rows)\n\n",
           path, r->n_rows, r->n_usable, r->n_vllm_rows, r->n_trt_rows, r->n_skipped);
    print_serving_rows(r, LP_ENGINE_VLLM);
    printf("\n");
    print_serving_rows(r, LP_ENGINE_TRT);
    print_serving_summary(r);
    printf("\nSkipped rows (%d)\n", r->n_skipped);
    for (int i = 0; i < r->n_rows; i++)
        if (!r->rows[i].usable)
            printf("  line %-4d %-44.44s %s\n", r->rows[i].line, r->rows[i].model,
                   r->rows[i].reason);
    free(r);
    return LP_EXIT_OK;
}

int lp_cmd_accuracy(int argc, char **argv) {
    const char *dir = "../shared/validation";
    bool help = false;
    const lp_opt opts[] = {
        {"--validation", NULL, LP_OPT_STRING, &dir, "DIR",
         "folder holding kv_capacity.tsv and serving_perf.tsv (default ../shared/validation)",
         NULL},
        {"--help", "-h", LP_OPT_FLAG, &help, NULL, "show this help", NULL},
        {0},
    };
    if (!lp_opts_parse("accuracy", opts, argc, argv, 2))
        return LP_EXIT_USAGE;
    if (help) {
        printf(
            "Usage: llmplan accuracy [--validation DIR]\n\nPlans every row of DIR/kv_capacity.tsv "
            "(real vLLM start-up logs) with the row's settings\nand prints predicted/logged "
            "values and the error per row, then the medians.\nThen estimates every row of "
            "DIR/serving_perf.tsv (published throughput and latency)\nwith every method and "
            "prints the errors per row and metric, the summaries and the\nskipped rows with "
            "their reasons.\n\n");
        lp_opts_print(opts);
        printf("\nExample:\n  make accuracy\n");
        return LP_EXIT_OK;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/kv_capacity.tsv", dir);
    lp_kv_report *r = malloc(sizeof *r);
    if (!r)
        return LP_EXIT_FAILURE;
    lp_error err;
    if (lp_validate_kv_capacity(path, r, &err) != LP_OK) {
        free(r);
        return lp_cli_fail(&err);
    }
    printf("llmplan vs vLLM start-up logs (%s): predicted/logged and error\n\n", path);
    printf("%-5s %-7s %-44s %-8s %24s %24s %24s %26s %20s %s\n", "line", "split", "model", "vLLM",
           "weights GiB", "activation GiB", "KV cache GiB", "KV tokens", "concurrency", "outcome");
    for (int i = 0; i < r->n_rows; i++) {
        const lp_kv_row_result *row = &r->rows[i];
        printf("%-5d %-7s %-44.44s %-8s", row->line, row->holdout ? "holdout" : "fit", row->model,
               row->vllm_version);
        if (row->status != LP_OK) {
            printf(" ERROR: %s\n", row->error);
            continue;
        }
        cell(&row->weights_gib, 24);
        cell(&row->activation_gib, 24);
        cell(&row->kv_cache_gib, 24);
        tokens_cell(&row->kv_tokens);
        cell(&row->max_concurrency, 20);
        printf(" %s%s\n",
               row->expect_failure ? (row->predicted_fits ? "failed; predicted fit (WRONG)"
                                                          : "failed; predicted no fit")
                                   : (row->predicted_fits ? "ok" : "ok; predicted no fit (WRONG)"),
               row->gmu_from_row_sums ? "; gmu from row sums" : "");
        printf("      %s\n", row->label);
    }
    printf("\nSummary (|error|, rows that state the metric)\n");
    printf("  weights     median %5.2f%%  max %5.2f%%  over %d rows\n", r->weights_median,
           r->weights_max, r->weights_n);
    printf("  KV GiB      median %5.2f%%  max %5.2f%%  over %d rows\n", r->kv_gib_median,
           r->kv_gib_max, r->kv_gib_n);
    printf("  KV tokens   median %5.2f%%  max %5.2f%%  over %d rows\n", r->kv_tokens_median,
           r->kv_tokens_max, r->kv_tokens_n);
    printf("  concurrency median %5.2f%%  max %5.2f%%  over %d rows\n", r->concurrency_median,
           r->concurrency_max, r->concurrency_n);
    printf("  failed start-ups predicted as not fitting: %d of %d\n", r->failed_predicted,
           r->failed_rows);
    printf("  successful start-ups predicted as not fitting: %d\n", r->ok_predicted_fail);
    for (int i = 0; i < r->n_rows; i++)
        if (r->rows[i].gmu_from_row_sums)
            printf("  note: line %d states a utilization its own logged numbers contradict; "
                   "planned at %.2f (what weights + activation + non-torch + KV add up to)\n",
                   r->rows[i].line, r->rows[i].gmu_used);
    int planned = r->n_planned, rows = r->n_rows;
    free(r);
    snprintf(path, sizeof path, "%s/serving_perf.tsv", dir);
    int serving = print_serving(path);
    if (serving != LP_EXIT_OK)
        return serving;
    return planned == rows ? LP_EXIT_OK : LP_EXIT_FAILURE;
}
