/*
 * kv_capacity.c - plan every row of a table of real vLLM start-up logs and compare.
 *
 * The tables (../shared/validation/kv_capacity.tsv and kv_capacity_2.tsv) give, per run, the
 * settings (model, dtype, KV dtype, GPU, TP/PP, utilization, max-model-len, block size, vLLM
 * version) and what vLLM logged (weights, activation peak, non-torch memory, available KV cache,
 * KV tokens, concurrency, GPU blocks, outcome). Settings are taken from the row; every number
 * compared is computed by llmplan. Cells carry remarks after their values ("v0.19.0 (sweep
 * directory)", "0.9 (default; not passed)"): the leading value is used. Where a row leaves a
 * setting unstated, vLLM's default is planned and the row says so in its label: an unstated
 * version plans llmplan's default release and is summarised in a "not stated" group of its
 * own; an unstated utilization is vLLM's 0.9. One exception is loud: when a row's own logged
 * numbers add up to a different utilization than the row states (budget = weights + activation
 * + non-torch + KV), the utilization the sums imply is used and the row is flagged, because the
 * stated one cannot have produced the log. It does not read the notes column, and it never uses
 * a logged value as an input otherwise. Summaries are per file, per vLLM version, and over the
 * rows no memory constant was fitted on.
 */
#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/order.h"
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
    C_GPU_BLOCKS,
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
    "gpu_blocks",
    "outcome",
    "source",
};

static lp_metric_cmp cmp(double actual, double predicted) {
    lp_metric_cmp c = {actual, predicted, NAN};
    if (!isnan(actual) && actual != 0.0 && !isnan(predicted))
        c.error_pct = 100.0 * (predicted - actual) / fabs(actual);
    return c;
}

/* Which rows a summary covers: a version group, all rows, or the rows no constant was fitted
 * on. */
typedef struct {
    const char *version;  /* NULL: any */
    bool not_fitted_only; /* rows no memory constant was fitted on */
    bool holdout_only;    /* rows the shared split holds out */
} row_filter;

static bool row_in(const lp_kv_row_result *row, const row_filter *f) {
    if ((f->not_fitted_only && row->fit_row) || (f->holdout_only && !row->holdout))
        return false;
    return !f->version || strcmp(row->vllm_version, f->version) == 0;
}

static lp_error_summary summarize(const lp_kv_report *r, size_t offset, bool skip_failed,
                                  const row_filter *f) {
    double vals[LP_VALIDATE_MAX_ROWS];
    int k = 0;
    for (int i = 0; i < r->n_rows; i++) {
        const lp_kv_row_result *row = &r->rows[i];
        if ((skip_failed && row->expect_failure) || !row_in(row, f))
            continue;
        const lp_metric_cmp *c = (const lp_metric_cmp *)((const char *)row + offset);
        if (!isnan(c->error_pct))
            vals[k++] = fabs(c->error_pct);
    }
    lp_error_summary out = {NAN, NAN, k};
    if (k == 0)
        return out;
    qsort(vals, (size_t)k, sizeof vals[0], lp_cmp_double);
    out.median = k % 2 ? vals[k / 2] : 0.5 * (vals[k / 2 - 1] + vals[k / 2]);
    out.max = vals[k - 1];
    return out;
}

/*
 * Outcome cells say in words why vLLM stopped. The phrases are vLLM's own or the table's
 * shorthand for them (validation/README.md: "negative or too small KV pool"); each maps to the
 * point of start-up where the memory ran out.
 */
static const struct {
    const char *phrase;
    lp_mem_failure cause;
} failure_phrases[] = {
    {"no kv room", LP_MEM_FAIL_NO_KV},
    {"no available memory for the cache blocks", LP_MEM_FAIL_NO_KV},
    {"negative", LP_MEM_FAIL_NO_KV},
    {"max seq len", LP_MEM_FAIL_KV_SHORT},
    {"max_model_len", LP_MEM_FAIL_KV_SHORT},
    {"too small kv", LP_MEM_FAIL_KV_SHORT},
    {"larger than the available kv cache", LP_MEM_FAIL_KV_SHORT},
    {"warming up sampler", LP_MEM_FAIL_WARMUP},
    {"warm-up", LP_MEM_FAIL_WARMUP},
    {"warmup", LP_MEM_FAIL_WARMUP},
    {"cuda graph", LP_MEM_FAIL_WARMUP},
    {"loading", LP_MEM_FAIL_WEIGHTS},
    {"weights do not fit", LP_MEM_FAIL_WEIGHTS},
};

bool lp_validate_failure_cause(const char *outcome, lp_mem_failure *cause) {
    if (!outcome || strncmp(outcome, "failed", 6) != 0)
        return false;
    char low[256];
    size_t n = 0;
    for (; outcome[n] && n + 1 < sizeof low; n++)
        low[n] = (char)tolower((unsigned char)outcome[n]);
    low[n] = '\0';
    for (size_t i = 0; i < sizeof failure_phrases / sizeof failure_phrases[0]; i++) {
        if (strstr(low, failure_phrases[i].phrase)) {
            if (cause)
                *cause = failure_phrases[i].cause;
            return true;
        }
    }
    return false;
}

/* A failed row llmplan predicts to fail at the point of start-up its outcome names. */
static bool right_cause(const lp_kv_row_result *row) {
    return row->expect_failure && row->status == LP_OK && !row->predicted_fits &&
           row->logged_cause_known && row->predicted_failure == row->logged_failure;
}

static void fill_group(const lp_kv_report *r, const row_filter *f, lp_kv_group *g) {
    g->weights = summarize(r, offsetof(lp_kv_row_result, weights_gib), false, f);
    g->kv_gib = summarize(r, offsetof(lp_kv_row_result, kv_cache_gib), true, f);
    g->kv_tokens = summarize(r, offsetof(lp_kv_row_result, kv_tokens), true, f);
    g->concurrency = summarize(r, offsetof(lp_kv_row_result, max_concurrency), true, f);
    g->gpu_blocks = summarize(r, offsetof(lp_kv_row_result, gpu_blocks), true, f);
    for (int i = 0; i < r->n_rows; i++) {
        const lp_kv_row_result *row = &r->rows[i];
        if (!row_in(row, f))
            continue;
        g->rows++;
        g->planned += row->status == LP_OK;
        if (row->expect_failure) {
            g->failed_rows++;
            g->failed_predicted += row->status == LP_OK && !row->predicted_fits;
            g->failed_right_cause += right_cause(row);
        } else if (row->status == LP_OK && !row->predicted_fits) {
            g->ok_predicted_fail++;
        }
    }
}

static void summarize_report(lp_kv_report *r) {
    row_filter all = {NULL, false, false}, not_fitted = {NULL, true, false},
               holdout = {NULL, false, true};
    fill_group(r, &all, &r->all);
    snprintf(r->all.version, sizeof r->all.version, "all");
    fill_group(r, &not_fitted, &r->not_fitted);
    snprintf(r->not_fitted.version, sizeof r->not_fitted.version, "not fitted");
    fill_group(r, &holdout, &r->holdout);
    snprintf(r->holdout.version, sizeof r->holdout.version, "holdout");
    for (int i = 0; i < r->n_rows; i++) {
        const char *v = r->rows[i].vllm_version;
        bool seen = false;
        for (int g = 0; g < r->n_groups && !seen; g++)
            seen = strcmp(r->groups[g].version, v) == 0;
        if (seen || r->n_groups >= LP_KV_MAX_GROUPS)
            continue;
        lp_kv_group *g = &r->groups[r->n_groups++];
        snprintf(g->version, sizeof g->version, "%s", v);
        row_filter f = {g->version, false, false};
        fill_group(r, &f, g);
    }
    r->weights_median = r->all.weights.median, r->weights_max = r->all.weights.max;
    r->weights_n = r->all.weights.n;
    r->kv_gib_median = r->all.kv_gib.median, r->kv_gib_max = r->all.kv_gib.max;
    r->kv_gib_n = r->all.kv_gib.n;
    r->kv_tokens_median = r->all.kv_tokens.median, r->kv_tokens_max = r->all.kv_tokens.max;
    r->kv_tokens_n = r->all.kv_tokens.n;
    r->concurrency_median = r->all.concurrency.median;
    r->concurrency_max = r->all.concurrency.max;
    r->concurrency_n = r->all.concurrency.n;
    r->gpu_blocks_median = r->all.gpu_blocks.median, r->gpu_blocks_max = r->all.gpu_blocks.max;
    r->gpu_blocks_n = r->all.gpu_blocks.n;
}

/* The first whitespace-separated word of a cell ("v0.19.0 (sweep directory)" -> "v0.19.0"). */
static void first_word(const char *cell, char *out, size_t size) {
    while (isspace((unsigned char)*cell))
        cell++;
    size_t n = strcspn(cell, " \t(");
    if (n >= size)
        n = size - 1;
    memcpy(out, cell, n);
    out[n] = '\0';
}

/*
 * The GPU a row names: the whole cell ("H100 80GB"), else its first word, else (for cells such
 * as "not stated (other rows of the same table: H100)") the last word of its remark that the
 * database knows, flagged.
 */
static lp_status find_gpu(const char *cell, lp_kv_row_result *row, const lp_gpu **gpu,
                          lp_error *err) {
    const lp_gpu_db *db = lp_gpu_db_builtin();
    lp_error ignored;
    if (lp_gpu_find(db, cell, gpu, &ignored) == LP_OK)
        return LP_OK;
    char word[64];
    first_word(cell, word, sizeof word);
    if (*word && lp_gpu_find(db, word, gpu, &ignored) == LP_OK)
        return LP_OK;
    char copy[256];
    snprintf(copy, sizeof copy, "%s", cell);
    const lp_gpu *last = NULL;
    for (char *tok = strtok(copy, " \t():;,"); tok; tok = strtok(NULL, " \t():;,"))
        if (lp_gpu_find(db, tok, gpu, &ignored) == LP_OK)
            last = *gpu;
    if (last) {
        *gpu = last;
        row->gpu_from_remark = true;
        return LP_OK;
    }
    return lp_gpu_find(db, cell, gpu, err);
}

/*
 * Rows the memory constants of src/mem/overheads.c were fitted on (see the comments there): the
 * Llama-3.1-8B-Instruct start-up logs of kv_capacity.tsv. Every other row is out of sample.
 */
static bool is_fit_row(const char *path, const char *model) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return strcmp(base, "kv_capacity.tsv") == 0 &&
           strcmp(model, "meta-llama/Llama-3.1-8B-Instruct") == 0;
}

static void plan_row(const char *path, char **c, lp_kv_row_result *row) {
    lp_error err;
    lp_error_clear(&err);
    snprintf(row->model, sizeof row->model, "%s", c[C_MODEL]);
    row->holdout = lp_validate_is_holdout(c[C_SOURCE], c[C_MODEL], c[C_GPU], c[C_TP], c[C_VERSION]);
    row->fit_row = is_fit_row(path, c[C_MODEL]);
    row->group =
        lp_validate_split_key(c[C_SOURCE], c[C_MODEL], c[C_GPU], c[C_TP], c[C_VERSION], NULL, 0);

    lp_serving s;
    lp_serving_init(&s);
    char word[64];
    first_word(c[C_VERSION], word, sizeof word);
    row->version_stated = *word && lp_vllm_version_parse(word, &s.vllm_version, &err) == LP_OK;
    if (row->version_stated) {
        snprintf(row->vllm_version, sizeof row->vllm_version, "%s", word);
    } else {
        /* planned as llmplan's default release, and reported in a group of its own */
        s.vllm_version = LP_VLLM_VERSION_LATEST;
        snprintf(row->vllm_version, sizeof row->vllm_version, "not stated");
    }
    lp_error_clear(&err);
    char dq[128];
    size_t i;
    for (i = 0; c[C_DTYPE][i] && i + 1 < sizeof dq; i++)
        dq[i] = (char)tolower((unsigned char)c[C_DTYPE][i]);
    dq[i] = '\0';
    if (strstr(dq, "--dtype float32"))
        s.dtype = LP_DTYPE_FP32;
    if (strstr(dq, "--quantization fp8"))
        s.quantization = "fp8";
    first_word(c[C_KV_DTYPE], word, sizeof word);
    if (*word && strcmp(word, "auto") != 0 &&
        (row->status = lp_dtype_parse(word, &s.kv_cache_dtype, &err)) != LP_OK)
        goto fail;
    double tp = lp_tsv_number(c[C_TP]), pp = lp_tsv_number(c[C_PP]);
    s.tensor_parallel_size = isnan(tp) ? 1 : (int)tp;
    s.pipeline_parallel_size = isnan(pp) ? 1 : (int)pp;
    double gmu = lp_tsv_number(c[C_GMU]);
    bool gmu_stated = !isnan(gmu);
    if (gmu_stated)
        s.gpu_memory_utilization = gmu; /* else vLLM's default, kept from lp_serving_init */
    double mml = lp_tsv_number(c[C_MML]);
    s.max_model_len = isnan(mml) ? 0 : (int64_t)mml;
    double block = lp_tsv_number(c[C_BLOCK]);
    s.block_size = isnan(block) ? 0 : (int)block;
    s.enforce_eager = strncmp(c[C_EAGER], "yes", 3) == 0;

    double w = lp_tsv_number(c[C_WEIGHTS]), a = lp_tsv_number(c[C_ACT]);
    double nt = lp_tsv_number(c[C_NON_TORCH]), kv = lp_tsv_number(c[C_KV_GIB]);
    double total = lp_tsv_number(c[C_GPU_TOTAL]);
    double graph = lp_tsv_number(c[C_GRAPH]);
    row->expect_failure = strncmp(c[C_OUTCOME], "failed", 6) == 0;
    row->logged_cause_known = lp_validate_failure_cause(c[C_OUTCOME], &row->logged_failure);
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

    const lp_gpu *gpu;
    if ((row->status = find_gpu(c[C_GPU], row, &gpu, &err)) != LP_OK)
        goto fail;
    snprintf(row->gpu, sizeof row->gpu, "%s", gpu->name);
    char len[32] = "default";
    if (s.max_model_len > 0)
        snprintf(len, sizeof len, "%lld", (long long)s.max_model_len);
    snprintf(row->label, sizeof row->label, "%.60s kv=%.12s %s tp%d pp%d gmu %.2f%s len %s%s%s",
             c[C_DTYPE], c[C_KV_DTYPE], gpu->name, s.tensor_parallel_size, s.pipeline_parallel_size,
             s.gpu_memory_utilization,
             row->gmu_from_row_sums ? " (from row sums)"
             : gmu_stated           ? ""
                                    : " (not stated: vLLM default)",
             len, row->version_stated ? "" : "; version not stated: planned as llmplan's default",
             row->gpu_from_remark ? "; GPU taken from the cell's remark" : "");

    static _Thread_local lp_model m;
    if ((row->status = lp_model_load(c[C_MODEL], NULL, &m, &err)) != LP_OK)
        goto fail;
    static _Thread_local lp_mem_plan p;
    if ((row->status = lp_mem_plan_compute(&m, gpu, &s, &p, &err)) != LP_OK)
        goto fail;
    const lp_mem_rank *first = &p.ranks[0], *bind = &p.ranks[p.binding_rank];
    row->predicted_fits = p.fits;
    row->predicted_failure = p.failure;
    if (!p.fits)
        snprintf(row->predicted_error, sizeof row->predicted_error, "%s", p.vllm_error);
    row->weights_gib = cmp(w, first->weights_bytes / GIB);
    row->activation_gib = cmp(a, first->activation_bytes / GIB);
    row->non_torch_gib = cmp(nt, first->non_torch_bytes / GIB);
    row->kv_cache_gib = cmp(row->expect_failure ? NAN : kv, bind->kv_cache_bytes / GIB);
    row->kv_tokens = cmp(lp_tsv_number(c[C_KV_TOKENS]), (double)p.kv_tokens);
    row->max_concurrency = cmp(lp_tsv_number(c[C_CONCURRENCY]), p.max_concurrency);
    /* Where a row states both, blocks x block size = tokens (the blocks were derived from the
     * token line): only V0 logs, which print blocks alone, make the blocks a measurement. */
    double tokens = lp_tsv_number(c[C_KV_TOKENS]);
    row->gpu_blocks =
        cmp(isnan(tokens) ? lp_tsv_number(c[C_GPU_BLOCKS]) : NAN, (double)p.kv_blocks);
    return;
fail:
    snprintf(row->error, sizeof row->error, "%s", err.message);
    row->weights_gib = row->activation_gib = row->non_torch_gib = cmp(NAN, NAN);
    row->kv_cache_gib = row->kv_tokens = row->max_concurrency = cmp(NAN, NAN);
    row->gpu_blocks = cmp(NAN, NAN);
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
        plan_row(path, c, row);
        if (row->status == LP_OK)
            report->n_planned++;
        if (row->expect_failure) {
            report->failed_rows++;
            if (row->status == LP_OK && !row->predicted_fits)
                report->failed_predicted++;
            report->failed_right_cause += right_cause(row);
        } else if (row->status == LP_OK && !row->predicted_fits) {
            report->ok_predicted_fail++;
        }
    }
    if (!have_header)
        st = lp_error_set(err, LP_ERR_PARSE, "%s: no header row", path);
    summarize_report(report);
out:
    free(line);
    fclose(f);
    return st;
}
