/*
 * cmd_accuracy.c - `llmplan accuracy`: plan every row of the published vLLM start-up logs in
 * ../shared/validation/kv_capacity.tsv and print the per-row and median errors (the same
 * comparison the accuracy test asserts on).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
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

int lp_cmd_accuracy(int argc, char **argv) {
    const char *dir = "../shared/validation";
    bool help = false;
    const lp_opt opts[] = {
        {"--validation", NULL, LP_OPT_STRING, &dir, "DIR",
         "folder holding kv_capacity.tsv (default ../shared/validation)", NULL},
        {"--help", "-h", LP_OPT_FLAG, &help, NULL, "show this help", NULL},
        {0},
    };
    if (!lp_opts_parse("accuracy", opts, argc, argv, 2))
        return LP_EXIT_USAGE;
    if (help) {
        printf(
            "Usage: llmplan accuracy [--validation DIR]\n\nPlans every row of DIR/kv_capacity.tsv "
            "(real vLLM start-up logs) with the row's settings\nand prints predicted/logged "
            "values and the error per row, then the medians.\n\n");
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
    printf("%-5s %-44s %-8s %24s %24s %24s %26s %20s %s\n", "line", "model", "vLLM", "weights GiB",
           "activation GiB", "KV cache GiB", "KV tokens", "concurrency", "outcome");
    for (int i = 0; i < r->n_rows; i++) {
        const lp_kv_row_result *row = &r->rows[i];
        printf("%-5d %-44.44s %-8s", row->line, row->model, row->vllm_version);
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
    return planned == rows ? LP_EXIT_OK : LP_EXIT_FAILURE;
}
