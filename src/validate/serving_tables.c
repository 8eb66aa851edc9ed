/*
 * serving_tables.c - how wrong llmplan is on the published serving measurements, summarized:
 * the report's medians per method and metric, and the accuracy tables that group the rows by
 * GPU, source, engine release, load regime or file, fit and holdout rows apart.
 *
 * One comparison per row and metric family (the row's median, else mean, else p99; for
 * throughput output tok/s, else requests/s, else total tok/s), so a row stating three
 * statistics of one latency does not count three times. Statistics: median and 90th
 * percentile of |error| and the median signed error (the bias). Pure arithmetic over the
 * report: nothing here estimates or prints.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/order.h"
#include "validate/serving_internal.h"

/* The percentile of the |error| table column. */
#define LP_TABLE_PERCENTILE 0.9

const lp_serving_metric LP_FAMILY_METRICS[LP_SF_COUNT][3] = {
    [LP_SF_THROUGHPUT] = {LP_SM_OUTPUT_TOK_S, LP_SM_REQUEST_S, LP_SM_TOTAL_TOK_S},
    [LP_SF_TTFT] = {LP_SM_TTFT_P50, LP_SM_TTFT_MEAN, LP_SM_TTFT_P99},
    [LP_SF_TPOT] = {LP_SM_TPOT_P50, LP_SM_TPOT_MEAN, LP_SM_TPOT_P99},
    [LP_SF_ITL] = {LP_SM_ITL_P50, LP_SM_ITL_MEAN, LP_SM_ITL_P99},
    [LP_SF_E2E] = {LP_SM_E2E_P50, LP_SM_E2E_MEAN, LP_SM_E2E_P99},
};

const char *lp_accuracy_dim_name(lp_accuracy_dim dim) {
    static const char *const NAMES[LP_ACC_DIMS] = {"all",     "gpu",    "source",
                                                   "version", "regime", "file"};
    return dim >= 0 && dim < LP_ACC_DIMS ? NAMES[dim] : "unknown";
}

/* The q-quantile of n sorted values, linear between order statistics. */
static double quantile_sorted(const double *v, int n, double q) {
    double pos = q * (n - 1);
    int i = (int)floor(pos);
    if (i >= n - 1)
        return v[n - 1];
    return v[i] + (pos - i) * (v[i + 1] - v[i]);
}

lp_error_stats lp_error_stats_of(double *vals, int n) {
    lp_error_stats s = {n, NAN, NAN, NAN};
    if (n == 0)
        return s;
    qsort(vals, (size_t)n, sizeof vals[0], lp_cmp_double);
    s.bias = quantile_sorted(vals, n, 0.5);
    for (int i = 0; i < n; i++)
        vals[i] = fabs(vals[i]);
    qsort(vals, (size_t)n, sizeof vals[0], lp_cmp_double);
    s.median_abs = quantile_sorted(vals, n, 0.5);
    s.p90_abs = quantile_sorted(vals, n, LP_TABLE_PERCENTILE);
    return s;
}

static lp_error_summary summarize(double *vals, int n) {
    lp_error_summary s = {NAN, NAN, n};
    if (n == 0)
        return s;
    qsort(vals, (size_t)n, sizeof vals[0], lp_cmp_double);
    s.median = n % 2 ? vals[n / 2] : 0.5 * (vals[n / 2 - 1] + vals[n / 2]);
    s.max = vals[n - 1];
    return s;
}

int lp_serving_family_metric(const lp_serving_row_result *row, int family) {
    for (int i = 0; i < 3; i++) {
        lp_serving_metric k = LP_FAMILY_METRICS[family][i];
        if (!isnan(row->metrics[0][k].actual))
            return (int)k;
    }
    return -1;
}

void lp_serving_summarize(lp_serving_report *r) {
    static _Thread_local double vals[LP_SERVING_MAX_ROWS];
    for (int k = 0; k < LP_SERVING_METHODS; k++) {
        for (int j = 0; j < LP_SM_COUNT; j++) {
            for (int engine = LP_ENGINE_VLLM; engine <= LP_ENGINE_TRT; engine++) {
                int n = 0;
                for (int i = 0; i < r->n_rows; i++) {
                    const lp_serving_row_result *row = &r->rows[i];
                    double e = row->metrics[k][j].error_pct;
                    if (row->usable && (int)row->engine == engine && !isnan(e))
                        vals[n++] = fabs(e);
                }
                lp_error_summary s = summarize(vals, n);
                if (engine == LP_ENGINE_VLLM)
                    r->vllm[k][j] = s;
                else
                    r->trt[k][j] = s;
            }
        }
        for (int f = 0; f < LP_SF_COUNT; f++) {
            int n = 0, stated = 0;
            for (int i = 0; i < r->n_rows; i++) {
                const lp_serving_row_result *row = &r->rows[i];
                int j = lp_serving_family_metric(row, f);
                if (!row->usable || row->engine != LP_ENGINE_VLLM || j < 0)
                    continue;
                stated++;
                if (!isnan(row->metrics[k][j].error_pct))
                    vals[n++] = fabs(row->metrics[k][j].error_pct);
            }
            r->vllm_family[k][f] = summarize(vals, n);
            r->vllm_family_stated[f] = stated;
        }
        int n = 0;
        r->trt_above_limit[k] = 0;
        for (int i = 0; i < r->n_rows; i++) {
            const lp_serving_row_result *row = &r->rows[i];
            if (!row->usable || row->engine != LP_ENGINE_TRT || !row->offline)
                continue;
            double e = row->metrics[k][LP_SM_OUTPUT_TOK_S].error_pct;
            if (!isnan(e))
                vals[n++] = fabs(e);
            r->trt_above_limit[k] += row->above_limit[k];
        }
        r->trt_offline_output[k] = summarize(vals, n);
    }
    r->n_usable = r->n_skipped = r->n_vllm_rows = r->n_trt_rows = 0;
    r->n_trt_offline = r->trt_actual_above_limit = 0;
    for (int i = 0; i < r->n_rows; i++) {
        const lp_serving_row_result *row = &r->rows[i];
        if (!row->usable) {
            r->n_skipped++;
            continue;
        }
        r->n_usable++;
        r->n_vllm_rows += row->engine == LP_ENGINE_VLLM;
        r->n_trt_rows += row->engine == LP_ENGINE_TRT;
        r->n_trt_offline += row->engine == LP_ENGINE_TRT && row->offline;
        r->trt_actual_above_limit += row->actual_above_limit;
    }
}

/* ---- accuracy tables --------------------------------------------------------------------- */

static const char *group_of(const lp_serving_row_result *row, lp_accuracy_dim dim) {
    switch (dim) {
    case LP_ACC_GPU:
        return row->gpu;
    case LP_ACC_SOURCE:
        return row->source;
    case LP_ACC_VERSION:
        return row->version;
    case LP_ACC_REGIME:
        return lp_perf_regime_name(row->regime);
    case LP_ACC_FILE:
        return row->file;
    default:
        return "all";
    }
}

static int cmp_table_rows(const void *a, const void *b) {
    const lp_accuracy_row *x = a, *y = b;
    int c = strcmp(x->group, y->group);
    if (c)
        return c;
    if (x->holdout != y->holdout)
        return x->holdout ? 1 : -1;
    return (int)x->family - (int)y->family;
}

/* Fill one line: the rows of group / split stating family f. */
static void fill_line(const lp_serving_report *r, lp_accuracy_dim dim, lp_serving_engine engine,
                      lp_accuracy_row *line, double *vals) {
    for (int k = 0; k < LP_SERVING_METHODS; k++) {
        int n = 0;
        line->stated = 0;
        for (int i = 0; i < r->n_rows; i++) {
            const lp_serving_row_result *row = &r->rows[i];
            if (!row->usable || row->engine != engine || row->holdout != line->holdout ||
                strcmp(group_of(row, dim), line->group) != 0)
                continue;
            int j = lp_serving_family_metric(row, line->family);
            if (j < 0)
                continue;
            line->stated++;
            if (!isnan(row->metrics[k][j].error_pct))
                vals[n++] = row->metrics[k][j].error_pct;
        }
        line->methods[k] = lp_error_stats_of(vals, n);
    }
}

lp_status lp_accuracy_table(const lp_serving_report *r, lp_accuracy_dim dim,
                            lp_serving_engine engine, lp_accuracy_row **rows, int *n,
                            lp_error *err) {
    *rows = NULL;
    *n = 0;
    int cap = 2 * LP_SF_COUNT * (r->n_rows > 0 ? r->n_rows : 1);
    lp_accuracy_row *out = calloc((size_t)cap, sizeof *out);
    double *vals = malloc((size_t)(r->n_rows > 0 ? r->n_rows : 1) * sizeof *vals);
    if (!out || !vals) {
        free(out);
        free(vals);
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory building an accuracy table");
    }
    int count = 0;
    for (int i = 0; i < r->n_rows; i++) {
        const lp_serving_row_result *row = &r->rows[i];
        if (!row->usable || row->engine != engine)
            continue;
        const char *g = group_of(row, dim);
        for (int f = 0; f < LP_SF_COUNT; f++) {
            if (lp_serving_family_metric(row, f) < 0)
                continue;
            bool seen = false;
            for (int j = 0; j < count && !seen; j++)
                seen = out[j].holdout == row->holdout && (int)out[j].family == f &&
                       strcmp(out[j].group, g) == 0;
            if (seen)
                continue;
            lp_accuracy_row *line = &out[count++];
            snprintf(line->group, sizeof line->group, "%s", g);
            line->holdout = row->holdout;
            line->family = (lp_serving_family)f;
            fill_line(r, dim, engine, line, vals);
        }
    }
    free(vals);
    qsort(out, (size_t)count, sizeof *out, cmp_table_rows);
    *rows = out;
    *n = count;
    return LP_OK;
}
