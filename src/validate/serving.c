/*
 * serving.c - run every estimation method on every row of the tables of published serving
 * measurements (../shared/validation/serving_perf.tsv, serving_perf_2.tsv, serving_modes.tsv)
 * and compare.
 *
 * Each row is mapped to an lp_perf_request with the row's own settings by serving_map.c; every
 * metric the row states is then compared with the same statistic of each method's estimate.
 * Several tables go into one report (lp_validate_serving_add), each row keeping its file, line
 * and fit/holdout split; serving_tables.c summarizes them.
 *
 * TensorRT-LLM rows measure a different, faster engine: they are summarized apart, and for
 * their offline rows a memory-bandwidth limit no engine can beat is computed from the same
 * memory plan, so that predictions above physics are flagged.
 *
 * It does not read measured values as inputs (only settings), does not print and does not
 * decide pass/fail: the accuracy test and `llmplan accuracy` do. lp_serving_points_read hands
 * the same mapping, without estimating, to calibration.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/grow.h"
#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/perf.h"
#include "llmplan/validate.h"
#include "validate/serving_internal.h"
#include "validate/tsv.h"

/* Defaults of lp_validate_serving_opts: keep one simulation per row within a second or so. */
#define LP_SIM_MAX_PROMPTS 2000
#define LP_SIM_MAX_OUTPUT_TOKENS 5e6

static const char *const METRIC_NAMES[LP_SM_COUNT] = {
    "output_tok_s", "total_tok_s",  "request_s",   "ttft_mean_ms", "ttft_p50_ms",
    "ttft_p99_ms",  "tpot_mean_ms", "tpot_p50_ms", "tpot_p99_ms",  "itl_mean_ms",
    "itl_p50_ms",   "itl_p99_ms",   "e2e_mean_ms", "e2e_p50_ms",   "e2e_p99_ms",
};

static const char *const FAMILY_NAMES[LP_SF_COUNT] = {"throughput", "ttft", "tpot", "itl", "e2e"};

const char *lp_serving_metric_name(lp_serving_metric metric) {
    return metric >= 0 && metric < LP_SM_COUNT ? METRIC_NAMES[metric] : "unknown";
}

const char *lp_serving_family_name(lp_serving_family family) {
    return family >= 0 && family < LP_SF_COUNT ? FAMILY_NAMES[family] : "unknown";
}

void lp_validate_serving_opts_init(lp_validate_serving_opts *opts) {
    memset(opts, 0, sizeof *opts);
    for (int i = 0; i < LP_SERVING_METHODS; i++)
        opts->methods[i] = true;
    opts->sim_max_prompts = LP_SIM_MAX_PROMPTS;
    opts->sim_max_output_tokens = LP_SIM_MAX_OUTPUT_TOKENS;
}

/* ---- estimating and comparing ------------------------------------------------------------ */

static lp_metric_cmp compare(double actual, double predicted) {
    lp_metric_cmp m = {actual, predicted, NAN};
    if (!(predicted > 0) || !isfinite(predicted))
        m.predicted = NAN; /* an estimate leaves what it does not give at 0 or NaN */
    if (!isnan(actual) && actual != 0.0 && !isnan(m.predicted))
        m.error_pct = 100.0 * (m.predicted - actual) / fabs(actual);
    return m;
}

/* The predicted value of each metric, as the row measured it. */
static void predictions(const lp_perf_estimate *e, const lp_serving_row_map *rm,
                        double out[LP_SM_COUNT]) {
    out[LP_SM_OUTPUT_TOK_S] = e->output_tok_s;
    out[LP_SM_TOTAL_TOK_S] = e->total_tok_s;
    out[LP_SM_REQUEST_S] = e->request_s;
    const lp_stat *stats[4] = {&e->ttft_ms, &e->tpot_ms, &e->itl_ms, &e->e2el_ms};
    for (int i = 0; i < 4; i++) {
        out[LP_SM_TTFT_MEAN + 3 * i] = stats[i]->mean;
        out[LP_SM_TTFT_P50 + 3 * i] = stats[i]->median;
        out[LP_SM_TTFT_P99 + 3 * i] = stats[i]->p99;
    }
    if (rm->latency_test) {
        /* The latency benchmark's statistics are over repeated runs of one batch; each run
         * lasts until the batch's last request ends: p99 where the method gives percentiles,
         * else the mean (identical requests issued together end together). */
        double batch =
            isfinite(e->e2el_ms.p99) && e->e2el_ms.p99 > 0 ? e->e2el_ms.p99 : e->e2el_ms.mean;
        out[LP_SM_E2E_MEAN] = out[LP_SM_E2E_P50] = out[LP_SM_E2E_P99] = batch;
    }
    if (rm->single_request) /* one request's output tokens over its own E2E */
        out[LP_SM_OUTPUT_TOK_S] = rm->osl_mean / (1e-3 * out[LP_SM_E2E_MEAN]);
    else if (rm->tput_either) /* total or output tok/s: the geometric mean of the two */
        out[LP_SM_OUTPUT_TOK_S] = sqrt(e->output_tok_s * e->total_tok_s);
}

/*
 * Average over the decode steps of one request (context from ISL to ISL + OSL) of the KV bytes
 * it reads, per layer kind: full layers read the whole context, sliding-window layers at most
 * the window.
 */
static double mean_kv_read_bytes(const lp_model *m, lp_dtype kv_dtype, double isl, double osl) {
    double lo = isl, hi = isl + osl, total = 0.0;
    for (int64_t l = 0; l < m->num_layers && l < LP_MAX_LAYERS; l++) {
        double per_token = lp_model_kv_bytes_per_token_layer(m, l, kv_dtype);
        double w = (double)m->sliding_window;
        double ctx;
        if (m->layer_attn[l] == LP_ATTN_SLIDING && w > 0 && w < hi) {
            /* mean of min(c, w) for c uniform in [lo, hi] */
            ctx = w <= lo ? w : ((w * w - lo * lo) / 2.0 + w * (hi - w)) / (hi - lo);
        } else {
            ctx = 0.5 * (lo + hi);
        }
        total += per_token * ctx;
    }
    return total;
}

/*
 * Output tok/s no engine can exceed on this deployment when decode streams the weights and
 * the KV cache from memory each step: B x (num_gpus x peak bandwidth) / (weights + B x KV read
 * per request), at B = the requests the KV cache holds, from the same memory plan as the
 * estimate. Requests in flight are at every stage of their decode, so on average each holds
 * ISL + OSL/2 tokens: B = KV tokens / (ISL + OSL/2) (dividing by ISL + OSL instead would
 * leave room a scheduler can use, and the limit would not be one). NaN when the plan cannot
 * be made.
 */
static double physical_limit(const lp_serving_row_map *rm, int num_gpus) {
    lp_serving s = rm->req.serving;
    int per_replica = s.tensor_parallel_size * s.pipeline_parallel_size;
    s.data_parallel_size = num_gpus / per_replica;
    static _Thread_local lp_mem_plan plan;
    lp_error err;
    if (lp_mem_plan_compute(&rm->model, rm->gpu, &s, &plan, &err) != LP_OK || !plan.fits ||
        plan.kv_tokens <= 0)
        return NAN;
    double replicas = plan.dp > 0 ? plan.dp : 1;
    double weights = 0.0;
    for (int i = 0; i < plan.n_ranks; i++)
        weights += plan.ranks[i].weights_bytes * plan.tp;
    weights *= replicas;
    double batch = replicas * floor((double)plan.kv_tokens / (rm->isl_mean + 0.5 * rm->osl_mean));
    if (batch < 1)
        return NAN;
    double kv_per_request =
        mean_kv_read_bytes(&rm->model, plan.kv_cache_dtype, rm->isl_mean, rm->osl_mean);
    double bandwidth = num_gpus * rm->gpu->bandwidth_gbs * 1e9;
    return batch * bandwidth / (weights + batch * kv_per_request);
}

static void estimate_row(const lp_validate_serving_opts *opts, lp_serving_row_result *row,
                         lp_serving_row_map *rm) {
    static _Thread_local lp_perf_estimate est;
    static const lp_method METHODS[LP_SERVING_METHODS] = {LP_HEURISTIC, LP_ROOFLINE, LP_SIMULATE};
    for (int k = 0; k < LP_SERVING_METHODS; k++) {
        for (int j = 0; j < LP_SM_COUNT; j++)
            row->metrics[k][j] = compare(rm->actual[j], NAN);
        if (!opts->methods[k])
            continue;
        lp_perf_request req = rm->req;
        req.method = METHODS[k];
        req.workload.seed = opts->seed;
        if (METHODS[k] == LP_SIMULATE) {
            if (req.workload.num_prompts > opts->sim_max_prompts) {
                lp_serving_note(row, "simulated %d of %d prompts", opts->sim_max_prompts,
                                req.workload.num_prompts);
                req.workload.num_prompts = opts->sim_max_prompts;
            }
            double tokens = req.workload.num_prompts * rm->osl_mean;
            if (tokens > opts->sim_max_output_tokens) {
                snprintf(row->method_error[k], LP_SERVING_NOTE_SIZE,
                         "not simulated: %.3g output tokens > limit %.3g", tokens,
                         opts->sim_max_output_tokens);
                continue;
            }
            row->sim_prompts = req.workload.num_prompts;
        }
        lp_estimate_performance(&req, &est);
        if (!est.valid) {
            snprintf(row->method_error[k], LP_SERVING_NOTE_SIZE, "%s", est.error);
            continue;
        }
        row->estimated[k] = true;
        double pred[LP_SM_COUNT];
        predictions(&est, rm, pred);
        for (int j = 0; j < LP_SM_COUNT; j++) {
            row->metrics[k][j] = compare(rm->actual[j], pred[j]);
            /* the band of the comparison: its prediction x its class's factors */
            lp_band_metric q;
            lp_band_stat st;
            lp_serving_metric_band((lp_serving_metric)j, &q, &st);
            const lp_band_info *b = &est.bands[q][st];
            double v = row->metrics[k][j].predicted;
            if (b->found && v > 0)
                row->band[k][j] = (lp_range){v * b->lo, v * b->hi};
        }
    }
    row->physical_limit_tok_s = NAN;
    if (row->engine == LP_ENGINE_TRT && row->offline) {
        double limit = physical_limit(rm, row->num_gpus);
        row->physical_limit_tok_s = limit;
        if (!isnan(limit)) {
            for (int k = 0; k < LP_SERVING_METHODS; k++)
                row->above_limit[k] =
                    row->estimated[k] && row->metrics[k][LP_SM_OUTPUT_TOK_S].predicted > limit;
            row->actual_above_limit = rm->actual[LP_SM_OUTPUT_TOK_S] > limit;
        }
    }
}

/* ---- the tables ------------------------------------------------------------------------- */

static bool keep_row(const lp_validate_serving_opts *opts, bool holdout) {
    return opts->rows == LP_ROWS_ALL || (opts->rows == LP_ROWS_HOLDOUT) == holdout;
}

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* A run right after an earlier run of the same benchmark on the same server (serving_sweep.c)
 * starts with that run's prompts in the prefix cache. */
static void apply_sweep(const bool *repeat, int n_lines, int lineno, lp_serving_row_result *row,
                        lp_serving_row_map *rm) {
    if (!repeat || lineno > n_lines || !repeat[lineno])
        return;
    rm->req.workload.warm_prefix_cache = true;
    lp_serving_note(row, "ran right after another run of the same prompts on this server "
                         "(dates in the notes): prompts start in the prefix cache");
}

lp_status lp_validate_serving_add(const char *tsv_path, const lp_validate_serving_opts *opts,
                                  lp_serving_report *report, lp_error *err) {
    lp_validate_serving_opts defaults;
    if (!opts) {
        lp_validate_serving_opts_init(&defaults);
        opts = &defaults;
    }
    lp_serving_table t;
    lp_status st = lp_serving_table_open(&t, tsv_path, err);
    if (st != LP_OK)
        return st;
    lp_serving_row_map *rm = malloc(sizeof *rm);
    if (!rm) {
        lp_serving_table_close(&t);
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory reading %s", tsv_path);
    }
    bool *repeat = NULL;
    int n_lines = 0;
    lp_status sweep = lp_serving_sweep_scan(tsv_path, &repeat, &n_lines, err);
    if (sweep != LP_OK) {
        free(rm);
        lp_serving_table_close(&t);
        return sweep;
    }
    const char *file = base_name(tsv_path);
    if (report->n_files < LP_SERVING_MAX_FILES)
        snprintf(report->files[report->n_files++], sizeof report->files[0], "%s", file);
    char *c[LP_SC_COUNT];
    bool got;
    while ((st = lp_serving_table_next(&t, c, &got, err)) == LP_OK && got) {
        if (report->n_rows >= LP_SERVING_MAX_ROWS) {
            report->truncated = true;
            break;
        }
        int lineno = t.lineno;
        lp_serving_row_result *row = &report->rows[report->n_rows];
        memset(row, 0, sizeof *row);
        memset(rm, 0, sizeof *rm);
        row->line = lineno;
        snprintf(row->file, sizeof row->file, "%s", file);
        row->physical_limit_tok_s = NAN;
        bool mapped = lp_serving_map_row(c, row, rm);
        if (mapped)
            apply_sweep(repeat, n_lines, lineno, row, rm);
        if (!keep_row(opts, row->holdout))
            continue;
        report->n_rows++;
        if (mapped)
            estimate_row(opts, row, rm);
        else
            for (int k = 0; k < LP_SERVING_METHODS; k++)
                for (int j = 0; j < LP_SM_COUNT; j++)
                    row->metrics[k][j] = compare(NAN, NAN);
    }
    if (st == LP_OK)
        lp_serving_summarize(report);
    free(repeat);
    free(rm);
    lp_serving_table_close(&t);
    return st;
}

lp_status lp_validate_serving(const char *tsv_path, const lp_validate_serving_opts *opts,
                              lp_serving_report *report, lp_error *err) {
    memset(report, 0, sizeof *report);
    return lp_validate_serving_add(tsv_path, opts, report, err);
}

/* ---- the mapped rows, for calibration ------------------------------------------------------ */

lp_status lp_serving_points_read(const char *tsv_path, lp_serving_point **points, int *n,
                                 lp_error *err) {
    *points = NULL;
    *n = 0;
    lp_serving_table t;
    lp_status st = lp_serving_table_open(&t, tsv_path, err);
    if (st != LP_OK)
        return st;
    lp_serving_row_map *rm = malloc(sizeof *rm);
    lp_serving_row_result *row = malloc(sizeof *row);
    lp_serving_point *pts = NULL;
    int count = 0;
    size_t cap = 0;
    bool *repeat = NULL;
    int n_lines = 0;
    if (!rm || !row) {
        st = lp_error_set(err, LP_ERR_NOMEM, "out of memory reading %s", tsv_path);
        goto out;
    }
    if ((st = lp_serving_sweep_scan(tsv_path, &repeat, &n_lines, err)) != LP_OK)
        goto out;
    char *c[LP_SC_COUNT];
    bool got;
    while ((st = lp_serving_table_next(&t, c, &got, err)) == LP_OK && got) {
        int lineno = t.lineno;
        memset(rm, 0, sizeof *rm);
        memset(row, 0, sizeof *row);
        row->line = lineno;
        if (!lp_serving_map_row(c, row, rm))
            continue;
        apply_sweep(repeat, n_lines, lineno, row, rm);
        lp_serving_point *np = lp_grow(pts, &cap, (size_t)count + 1, sizeof *np, 64);
        if (!np) {
            st = lp_error_set(err, LP_ERR_NOMEM, "out of memory reading %s", tsv_path);
            goto out;
        }
        pts = np;
        lp_serving_point *p = &pts[count++];
        memset(p, 0, sizeof *p);
        p->line = lineno;
        p->engine = row->engine;
        p->holdout = row->holdout;
        p->offline = row->offline;
        p->latency_test = rm->latency_test;
        snprintf(p->model_id, sizeof p->model_id, "%s", row->model_id);
        snprintf(p->gpu, sizeof p->gpu, "%s", row->gpu);
        snprintf(p->workload, sizeof p->workload, "%s", row->workload);
        p->model = rm->model;
        p->req = rm->req;
        p->req.method = LP_ROOFLINE;
        memcpy(p->actual, rm->actual, sizeof p->actual);
    }
out:
    if (st == LP_OK) {
        for (int i = 0; i < count; i++)
            pts[i].req.model = &pts[i].model; /* the array is final: point into it */
        *points = pts;
        *n = count;
    } else {
        free(pts);
    }
    free(repeat);
    free(rm);
    free(row);
    lp_serving_table_close(&t);
    return st;
}

void lp_serving_points_free(lp_serving_point *points) {
    free(points);
}
