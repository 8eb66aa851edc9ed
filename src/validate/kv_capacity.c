/*
 * kv_capacity.c - plan every row of a table of real vLLM start-up logs and compare.
 *
 * The table (../shared/validation/kv_capacity.tsv) gives, per run, the settings (model, dtype,
 * KV dtype, GPU, TP/PP, utilization, max-model-len, block size, vLLM version) and what vLLM
 * logged (weights, activation peak, non-torch memory, available KV cache, KV tokens, outcome).
 * Settings are taken from the row; every number compared is computed by llmplan. The one
 * exception is loud: when a row's own logged numbers add up to a different utilization than
 * the row states (budget = weights + activation + non-torch + KV), the utilization the sums
 * imply is used and the row is flagged, because the stated one cannot have produced the log.
 * It does not read the notes column, and it never uses a logged value as an input otherwise.
 */
#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/validate.h"
#include "validate/tsv.h"

#define GIB 1073741824.0
#define MAX_COLS 64
/* A stated utilization farther than this from the one the row's sums imply is contradicted. */
#define LP_GMU_TOLERANCE 0.01

enum {
    C_MODEL,
    C_VERSION,
    C_DTYPE,
    C_KV_DTYPE,
    C_GPU,
    C_GPU_TOTAL,
    C_TP,
    C_PP,
    C_GMU,
    C_MML,
    C_BLOCK,
    C_EAGER,
    C_WEIGHTS,
    C_ACT,
    C_NON_TORCH,
    C_GRAPH,
    C_KV_GIB,
    C_KV_TOKENS,
    C_CONCURRENCY,
    C_OUTCOME,
    C_SOURCE,
    C_COUNT
};

static const char *const COLUMN_NAMES[C_COUNT] = {
    "model",
    "vllm_version",
    "dtype_quant",
    "kv_cache_dtype",
    "gpu",
    "gpu_total_gib",
    "tp",
    "pp",
    "gmu",
    "max_model_len",
    "block_size",
    "enforce_eager",
    "weights_gib",
    "activation_gib",
    "non_torch_gib",
    "cuda_graph_gib",
    "kv_cache_gib",
    "kv_tokens",
    "max_concurrency",
    "outcome",
    "source",
};

static lp_metric_cmp cmp(double actual, double predicted) {
    lp_metric_cmp c = {actual, predicted, NAN};
    if (!isnan(actual) && actual != 0.0 && !isnan(predicted))
        c.error_pct = 100.0 * (predicted - actual) / fabs(actual);
    return c;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void summarize(const lp_kv_report *r, size_t offset, bool skip_failed, double *median,
                      double *max, int *n) {
    double vals[LP_VALIDATE_MAX_ROWS];
    int k = 0;
    for (int i = 0; i < r->n_rows; i++) {
        const lp_kv_row_result *row = &r->rows[i];
        if (skip_failed && row->expect_failure)
            continue;
        const lp_metric_cmp *c = (const lp_metric_cmp *)((const char *)row + offset);
        if (!isnan(c->error_pct))
            vals[k++] = fabs(c->error_pct);
    }
    *n = k;
    if (k == 0) {
        *median = *max = NAN;
        return;
    }
    qsort(vals, (size_t)k, sizeof vals[0], cmp_double);
    *median = k % 2 ? vals[k / 2] : 0.5 * (vals[k / 2 - 1] + vals[k / 2]);
    *max = vals[k - 1];
}

static void plan_row(char **c, lp_kv_row_result *row) {
    lp_error err;
    lp_error_clear(&err);
    snprintf(row->model, sizeof row->model, "%s", c[C_MODEL]);
    row->holdout = lp_validate_is_holdout(c[C_SOURCE], c[C_MODEL], c[C_GPU], c[C_TP], c[C_VERSION]);
    snprintf(row->vllm_version, sizeof row->vllm_version, "%.15s", c[C_VERSION]);
    char *space = strchr(row->vllm_version, ' ');
    if (space)
        *space = '\0';

    lp_serving s;
    lp_serving_init(&s);
    if ((row->status = lp_vllm_version_parse(row->vllm_version, &s.vllm_version, &err)) != LP_OK)
        goto fail;
    char dq[128];
    size_t i;
    for (i = 0; c[C_DTYPE][i] && i + 1 < sizeof dq; i++)
        dq[i] = (char)tolower((unsigned char)c[C_DTYPE][i]);
    dq[i] = '\0';
    if (strstr(dq, "--dtype float32"))
        s.dtype = LP_DTYPE_FP32;
    if (strstr(dq, "--quantization fp8"))
        s.quantization = "fp8";
    if (strcmp(c[C_KV_DTYPE], "auto") != 0 &&
        (row->status = lp_dtype_parse(c[C_KV_DTYPE], &s.kv_cache_dtype, &err)) != LP_OK)
        goto fail;
    s.tensor_parallel_size = (int)lp_tsv_number(c[C_TP]);
    s.pipeline_parallel_size = (int)lp_tsv_number(c[C_PP]);
    s.gpu_memory_utilization = lp_tsv_number(c[C_GMU]);
    s.max_model_len = (int64_t)lp_tsv_number(c[C_MML]);
    double block = lp_tsv_number(c[C_BLOCK]);
    s.block_size = isnan(block) ? 0 : (int)block;
    s.enforce_eager = strncmp(c[C_EAGER], "yes", 3) == 0;

    double w = lp_tsv_number(c[C_WEIGHTS]), a = lp_tsv_number(c[C_ACT]);
    double nt = lp_tsv_number(c[C_NON_TORCH]), kv = lp_tsv_number(c[C_KV_GIB]);
    double total = lp_tsv_number(c[C_GPU_TOTAL]);
    double graph = lp_tsv_number(c[C_GRAPH]);
    row->expect_failure = strncmp(c[C_OUTCOME], "failed", 6) == 0;
    if (!isnan(w) && !isnan(a) && !isnan(nt) && !isnan(kv) && total > 0) {
        double used = w + a + nt + kv;
        if (s.vllm_version >= LP_VLLM_VERSION(0, 21, 0) && !isnan(graph))
            used += graph;
        double implied = round(100.0 * used / total) / 100.0;
        if (fabs(implied - s.gpu_memory_utilization) > LP_GMU_TOLERANCE) {
            row->gmu_from_row_sums = true;
            s.gpu_memory_utilization = implied;
        }
    }
    row->gmu_used = s.gpu_memory_utilization;
    snprintf(row->label, sizeof row->label, "%s kv=%s tp%d pp%d gmu %.2f%s len %lld", c[C_DTYPE],
             c[C_KV_DTYPE], s.tensor_parallel_size, s.pipeline_parallel_size,
             s.gpu_memory_utilization, row->gmu_from_row_sums ? " (from row sums)" : "",
             (long long)s.max_model_len);

    const lp_gpu *gpu;
    if ((row->status = lp_gpu_find(lp_gpu_db_builtin(), c[C_GPU], &gpu, &err)) != LP_OK)
        goto fail;
    static _Thread_local lp_model m;
    if ((row->status = lp_model_load(c[C_MODEL], NULL, &m, &err)) != LP_OK)
        goto fail;
    static _Thread_local lp_mem_plan p;
    if ((row->status = lp_mem_plan_compute(&m, gpu, &s, &p, &err)) != LP_OK)
        goto fail;
    const lp_mem_rank *first = &p.ranks[0], *bind = &p.ranks[p.binding_rank];
    row->predicted_fits = p.fits;
    row->weights_gib = cmp(w, first->weights_bytes / GIB);
    row->activation_gib = cmp(a, first->activation_bytes / GIB);
    row->non_torch_gib = cmp(nt, first->non_torch_bytes / GIB);
    row->kv_cache_gib = cmp(row->expect_failure ? NAN : kv, bind->kv_cache_bytes / GIB);
    row->kv_tokens = cmp(lp_tsv_number(c[C_KV_TOKENS]), (double)p.kv_tokens);
    row->max_concurrency = cmp(lp_tsv_number(c[C_CONCURRENCY]), p.max_concurrency);
    return;
fail:
    snprintf(row->error, sizeof row->error, "%s", err.message);
    row->weights_gib = row->activation_gib = row->non_torch_gib = cmp(NAN, NAN);
    row->kv_cache_gib = row->kv_tokens = row->max_concurrency = cmp(NAN, NAN);
}

lp_status lp_validate_kv_capacity(const char *path, lp_kv_report *report, lp_error *err) {
    memset(report, 0, sizeof *report);
    FILE *f = fopen(path, "r");
    if (!f)
        return lp_error_set(err, LP_ERR_IO, "%s: cannot open", path);
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0;
    int colmap[C_COUNT];
    bool have_header = false;
    lp_status st = LP_OK;
    char *cols[MAX_COLS];
    int n;
    while ((n = lp_tsv_next(f, &line, &cap, &lineno, cols, MAX_COLS)) > 0) {
        if (!have_header) {
            lp_tsv_map_header(cols, n, COLUMN_NAMES, C_COUNT, colmap);
            for (int k = 0; k < C_COUNT; k++) {
                if (colmap[k] < 0) {
                    st = lp_error_set(err, LP_ERR_PARSE, "%s:%d: missing column \"%s\"", path,
                                      lineno, COLUMN_NAMES[k]);
                    goto out;
                }
            }
            have_header = true;
            continue;
        }
        if (report->n_rows >= LP_VALIDATE_MAX_ROWS)
            break;
        char *c[C_COUNT];
        lp_tsv_pick(cols, n, colmap, C_COUNT, c);
        lp_kv_row_result *row = &report->rows[report->n_rows++];
        row->line = lineno;
        plan_row(c, row);
        if (row->status == LP_OK)
            report->n_planned++;
        if (row->expect_failure) {
            report->failed_rows++;
            if (row->status == LP_OK && !row->predicted_fits)
                report->failed_predicted++;
        } else if (row->status == LP_OK && !row->predicted_fits) {
            report->ok_predicted_fail++;
        }
    }
    if (!have_header)
        st = lp_error_set(err, LP_ERR_PARSE, "%s: no header row", path);
    summarize(report, offsetof(lp_kv_row_result, weights_gib), false, &report->weights_median,
              &report->weights_max, &report->weights_n);
    summarize(report, offsetof(lp_kv_row_result, kv_cache_gib), true, &report->kv_gib_median,
              &report->kv_gib_max, &report->kv_gib_n);
    summarize(report, offsetof(lp_kv_row_result, kv_tokens), true, &report->kv_tokens_median,
              &report->kv_tokens_max, &report->kv_tokens_n);
    summarize(report, offsetof(lp_kv_row_result, max_concurrency), true,
              &report->concurrency_median, &report->concurrency_max, &report->concurrency_n);
out:
    free(line);
    fclose(f);
    return st;
}
