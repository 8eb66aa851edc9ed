/*
 * llmplan/validate.h - compare llmplan with real vLLM measurements.
 *
 * Reads a table of published vLLM start-up logs (the format of ../shared/validation/
 * kv_capacity.tsv: one row per run with its settings and the logged memory lines), plans each
 * row with the same settings, and reports the error per row and the medians. Used by
 * `llmplan accuracy` and by the accuracy test, so both always agree.
 */
#ifndef LLMPLAN_VALIDATE_H
#define LLMPLAN_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>

#include "llmplan/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LP_VALIDATE_MAX_ROWS 256

/** One metric: what vLLM logged and what llmplan predicts (NaN when the row lacks it). */
typedef struct {
    double actual;
    double predicted;
    double error_pct; /**< 100 x (predicted - actual) / actual; NaN when not comparable */
} lp_metric_cmp;

/** Result for one row of the table. */
typedef struct {
    int line; /**< line number in the TSV */
    char model[96];
    char vllm_version[16];
    char label[160];                   /**< short description: dtype, kv dtype, tp/pp, gmu, mml */
    lp_status status;                  /**< LP_OK when the row could be planned */
    char error[LP_ERROR_MESSAGE_SIZE]; /**< why not, when status != LP_OK */
    bool expect_failure;               /**< outcome column says the start-up failed */
    bool predicted_fits;
    double gmu_used;        /**< utilization used for the plan */
    bool gmu_from_row_sums; /**< the stated utilization contradicted the row's own sums */
    lp_metric_cmp weights_gib, activation_gib, non_torch_gib, kv_cache_gib, kv_tokens;
    lp_metric_cmp max_concurrency; /**< "Maximum concurrency for N tokens per request" */
} lp_kv_row_result;

/** Summary of a whole table. */
typedef struct {
    lp_kv_row_result rows[LP_VALIDATE_MAX_ROWS];
    int n_rows;
    int n_planned; /**< rows planned successfully */
    /* medians and maxima of |error %| over rows that state the metric */
    double weights_median, weights_max;
    int weights_n;
    double kv_gib_median, kv_gib_max;
    int kv_gib_n;
    double kv_tokens_median, kv_tokens_max;
    int kv_tokens_n;
    double concurrency_median, concurrency_max;
    int concurrency_n;
    int failed_rows;       /**< rows whose outcome is a failure */
    int failed_predicted;  /**< of those, predicted as not fitting */
    int ok_predicted_fail; /**< rows that started but llmplan says do not fit */
} lp_kv_report;

/**
 * Plan every row of a kv_capacity-style TSV at path and fill report (caller-allocated; large).
 * Rows whose model or GPU is unknown are reported with their error, not skipped silently.
 * Errors: LP_ERR_IO (cannot read), LP_ERR_PARSE (missing columns).
 */
lp_status lp_validate_kv_capacity(const char *path, lp_kv_report *report, lp_error *err);

#ifdef __cplusplus
}
#endif

#endif
