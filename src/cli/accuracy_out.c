/*
 * accuracy_out.c - the tables of `llmplan accuracy`, as aligned text for the terminal and as
 * Markdown for docs/ACCURACY.md: errors per GPU, source, release, load regime and file, fit and
 * holdout rows apart; rows used and skipped per file with the reasons; the memory summary.
 * It formats what the library measured (llmplan/validate.h); it computes nothing new beyond
 * the medians of the memory summary.
 */
#include "cli/accuracy_out.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

const char *const LP_ACC_KV_FILE_NAMES[LP_ACC_KV_FILES] = {"kv_capacity.tsv", "kv_capacity_2.tsv"};
const char *const LP_ACC_SERVING_FILE_NAMES[LP_ACC_SERVING_FILES] = {
    "serving_perf.tsv", "serving_perf_2.tsv", "serving_modes.tsv"};

static const char *const METHOD_NAMES[LP_SERVING_METHODS] = {"heuristic", "roofline", "simulate"};

/* "12.3 / 40.1, -5.2 (n)" or "-" */
static void stats_cell(const lp_error_stats *s, char *buf, size_t size) {
    if (s->n == 0)
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.1f / %.1f, %+.1f (%d)", s->median_abs, s->p90_abs, s->bias, s->n);
}

void lp_accuracy_print_table(FILE *o, const lp_serving_report *r, lp_accuracy_dim dim,
                             lp_serving_engine engine, bool markdown) {
    lp_accuracy_row *rows;
    int n;
    lp_error err;
    if (lp_accuracy_table(r, dim, engine, &rows, &n, &err) != LP_OK) {
        fprintf(o, "(%s)\n", err.message);
        return;
    }
    if (markdown) {
        fprintf(o, "| %s | split | metric | rows | heuristic | roofline | simulate |\n",
                lp_accuracy_dim_name(dim));
        fprintf(o, "|---|---|---|---:|---|---|---|\n");
    } else {
        fprintf(o, "  %-28s %-7s %-10s %4s %30s %30s %30s\n", lp_accuracy_dim_name(dim), "split",
                "metric", "rows", METHOD_NAMES[0], METHOD_NAMES[1], METHOD_NAMES[2]);
    }
    for (int i = 0; i < n; i++) {
        const lp_accuracy_row *row = &rows[i];
        bool first = i == 0 || strcmp(rows[i - 1].group, row->group) != 0 ||
                     rows[i - 1].holdout != row->holdout;
        const char *split = row->holdout ? "holdout" : "fit";
        if (markdown)
            fprintf(o, "| %s | %s | %s | %d |", first ? row->group : "", first ? split : "",
                    lp_serving_family_name(row->family), row->stated);
        else
            fprintf(o, "  %-28.28s %-7s %-10s %4d", first ? row->group : "", first ? split : "",
                    lp_serving_family_name(row->family), row->stated);
        for (int k = 0; k < LP_SERVING_METHODS; k++) {
            char cell[64];
            stats_cell(&row->methods[k], cell, sizeof cell);
            if (markdown)
                fprintf(o, " %s |", cell);
            else
                fprintf(o, " %30s", cell);
        }
        fprintf(o, "\n");
    }
    free(rows);
}

void lp_accuracy_print_coverage(FILE *o, const lp_serving_report *r, bool markdown) {
    if (markdown) {
        fprintf(o, "| file | rows | used (vLLM) | used (TensorRT-LLM) | skipped |\n");
        fprintf(o, "|---|---:|---:|---:|---:|\n");
    } else {
        fprintf(o, "  %-22s %6s %12s %14s %8s\n", "file", "rows", "vLLM used", "TRT-LLM used",
                "skipped");
    }
    for (int f = 0; f < r->n_files; f++) {
        int rows = 0, vllm = 0, trt = 0, skipped = 0;
        for (int i = 0; i < r->n_rows; i++) {
            const lp_serving_row_result *row = &r->rows[i];
            if (strcmp(row->file, r->files[f]) != 0)
                continue;
            rows++;
            skipped += !row->usable;
            vllm += row->usable && row->engine == LP_ENGINE_VLLM;
            trt += row->usable && row->engine == LP_ENGINE_TRT;
        }
        if (markdown)
            fprintf(o, "| %s | %d | %d | %d | %d |\n", r->files[f], rows, vllm, trt, skipped);
        else
            fprintf(o, "  %-22s %6d %12d %14d %8d\n", r->files[f], rows, vllm, trt, skipped);
    }
    fprintf(o, markdown ? "\nSkipped rows and why:\n\n| file | line | model | reason |\n"
                          "|---|---:|---|---|\n"
                        : "\n  Skipped rows and why:\n");
    for (int i = 0; i < r->n_rows; i++) {
        const lp_serving_row_result *row = &r->rows[i];
        if (row->usable)
            continue;
        if (markdown)
            fprintf(o, "| %s | %d | %s | %s |\n", row->file, row->line, row->model, row->reason);
        else
            fprintf(o, "  %-20s %4d  %-44.44s %s\n", row->file, row->line, row->model, row->reason);
    }
}

/* Signed errors of one memory metric over the planned rows of a split. */
static lp_error_stats kv_stats(const lp_kv_report *r, size_t offset, bool holdout) {
    double vals[LP_VALIDATE_MAX_ROWS];
    int n = 0;
    for (int i = 0; i < r->n_rows; i++) {
        const lp_kv_row_result *row = &r->rows[i];
        const lp_metric_cmp *c = (const lp_metric_cmp *)((const char *)row + offset);
        if (row->holdout == holdout && row->status == LP_OK && !isnan(c->error_pct))
            vals[n++] = c->error_pct;
    }
    return lp_error_stats_of(vals, n);
}

void lp_accuracy_print_kv_summary(FILE *o, const char *file, const lp_kv_report *r, bool markdown) {
    static const struct {
        const char *name;
        size_t offset;
    } METRICS[] = {
        {"weights GiB", offsetof(lp_kv_row_result, weights_gib)},
        {"activation GiB", offsetof(lp_kv_row_result, activation_gib)},
        {"non-torch GiB", offsetof(lp_kv_row_result, non_torch_gib)},
        {"KV cache GiB", offsetof(lp_kv_row_result, kv_cache_gib)},
        {"KV tokens", offsetof(lp_kv_row_result, kv_tokens)},
        {"max concurrency", offsetof(lp_kv_row_result, max_concurrency)},
        {"GPU blocks", offsetof(lp_kv_row_result, gpu_blocks)},
    };
    int planned[2] = {0, 0}, rows[2] = {0, 0};
    for (int i = 0; i < r->n_rows; i++) {
        rows[r->rows[i].holdout]++;
        planned[r->rows[i].holdout] += r->rows[i].status == LP_OK;
    }
    if (markdown) {
        fprintf(o,
                "`%s`: %d fit rows (%d planned), %d holdout rows (%d planned); failed "
                "start-ups predicted as failing: %d of %d; successful ones predicted as "
                "failing: %d.\n\n",
                file, rows[0], planned[0], rows[1], planned[1], r->failed_predicted, r->failed_rows,
                r->ok_predicted_fail);
        fprintf(o, "| metric | fit: median / p90 \\|error\\| %%, bias (n) | holdout: median / "
                   "p90, bias (n) |\n|---|---|---|\n");
    } else {
        fprintf(o, "  %s: %d fit rows (%d planned), %d holdout rows (%d planned)\n", file, rows[0],
                planned[0], rows[1], planned[1]);
        fprintf(o, "  %-16s %30s %30s\n", "metric", "fit", "holdout");
    }
    for (size_t m = 0; m < sizeof METRICS / sizeof METRICS[0]; m++) {
        char cells[2][64];
        for (int h = 0; h < 2; h++) {
            lp_error_stats s = kv_stats(r, METRICS[m].offset, h == 1);
            stats_cell(&s, cells[h], sizeof cells[h]);
        }
        if (markdown)
            fprintf(o, "| %s | %s | %s |\n", METRICS[m].name, cells[0], cells[1]);
        else
            fprintf(o, "  %-16s %30s %30s\n", METRICS[m].name, cells[0], cells[1]);
    }
}

void lp_accuracy_print_kv_versions(FILE *o, const lp_kv_report *r, bool markdown) {
    const lp_kv_group *groups[LP_KV_MAX_GROUPS + 3];
    int n = 0;
    for (int g = 0; g < r->n_groups; g++)
        groups[n++] = &r->groups[g];
    groups[n++] = &r->all;
    groups[n++] = &r->not_fitted;
    groups[n++] = &r->holdout;
    if (markdown)
        fprintf(o, "| vLLM release | rows | planned | weights | KV GiB | KV tokens | concurrency | "
                   "GPU blocks | failed start-ups predicted | started, predicted failing "
                   "|\n|---|---|---|---|---|---|---|---|---|---|\n");
    else
        fprintf(o,
                "  per vLLM release, |error| median / max %% (rows):\n  %-11s %5s %7s %20s %20s "
                "%20s %20s %20s %9s %s\n",
                "release", "rows", "planned", "weights", "KV GiB", "KV tokens", "concurrency",
                "GPU blocks", "failed", "ok->fail");
    for (int i = 0; i < n; i++) {
        const lp_kv_group *g = groups[i];
        const lp_error_summary *m[5] = {&g->weights, &g->kv_gib, &g->kv_tokens, &g->concurrency,
                                        &g->gpu_blocks};
        char cells[5][40];
        for (int k = 0; k < 5; k++) {
            snprintf(cells[k], sizeof cells[k], "-");
            if (m[k]->n > 0)
                snprintf(cells[k], sizeof cells[k], "%.2f / %.2f (%d)", m[k]->median, m[k]->max,
                         m[k]->n);
        }
        if (markdown)
            fprintf(o, "| %s | %d | %d | %s | %s | %s | %s | %s | %d of %d | %d |\n", g->version,
                    g->rows, g->planned, cells[0], cells[1], cells[2], cells[3], cells[4],
                    g->failed_predicted, g->failed_rows, g->ok_predicted_fail);
        else
            fprintf(o, "  %-11s %5d %7d %20s %20s %20s %20s %20s %5d/%-3d %d\n", g->version,
                    g->rows, g->planned, cells[0], cells[1], cells[2], cells[3], cells[4],
                    g->failed_predicted, g->failed_rows, g->ok_predicted_fail);
    }
    fprintf(o,
            "%s(\"not fitted\": rows no memory constant was fitted on; \"holdout\": the "
            "shared split's held-out rows)\n\n",
            markdown ? "\n" : "  ");
}

/* ---- error bands ------------------------------------------------------------------------- */

static const char *method_or_any(int method) {
    return method == LP_BAND_ANY           ? "*"
           : method == LP_BAND_METHOD_PLAN ? "plan"
                                           : METHOD_NAMES[method];
}

void lp_accuracy_write_bands(FILE *o, const lp_accuracy_data *data, const char *commit) {
    const lp_band_fit_info *f = &data->fit;
    fprintf(o,
            "# " LP_BANDS_MARKER " (llmplan accuracy --bands-out data/bands.tsv) at model "
            "commit %s from ../shared/validation; do not edit\n",
            commit);
    fprintf(o,
            "# rows used: fit rows only (lp_validate_is_holdout false), vLLM engine only: %d "
            "serving rows in %d groups (%d comparisons), %d start-up logs in %d groups\n",
            f->serving_rows, f->serving_groups, f->serving_residuals, f->kv_rows, f->kv_groups);
    fprintf(o,
            "# nominal coverage %.0f %%: measured / predicted in [lo, hi]; r = ln(measured / "
            "predicted), band exp(q10) / widen .. exp(q90) x widen over the class's fit rows, "
            "widen = exp(margin) from leaving each fit group out (src/validate/bands_fit.c)\n",
            100 * LP_BAND_COVERAGE);
    fprintf(o, "# coverage with each fit group left out: serving %.1f %%, memory %.1f %%\n",
            100 * f->logo_coverage[0], 100 * f->logo_coverage[1]);
    for (int i = 0; i < f->n_cal; i++) {
        const lp_band_calibration *c = &f->cal[i];
        fprintf(o, "# margin %s/%s/%s, %s: widen x%.3f from %d left-out fit comparisons\n",
                c->metric == LP_BAND_ANY ? "*" : lp_band_metric_name((lp_band_metric)c->metric),
                lp_band_stat_name(c->stat), method_or_any(c->method),
                c->fallback < 0   ? "all bands"
                : c->fallback > 0 ? "fallback bands"
                                  : "own-class bands",
                exp(c->margin), c->n);
    }
    fprintf(o, "%s\n", LP_BAND_TSV_HEADER);
    for (int i = 0; data->fitted && i < data->fitted->n; i++) {
        const lp_band *b = &data->fitted->bands[i];
        fprintf(o, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%.4g\t%.4g\t%.4g\n", lp_band_metric_name(b->metric),
                lp_band_stat_name(b->stat), method_or_any(b->method),
                b->family[0] ? b->family : "*", lp_perf_regime_name((lp_load_regime)b->regime),
                b->rows, b->groups, b->lo, b->hi, b->widen);
    }
}

/* The target for the held-out coverage of the 80 % bands. */
#define TARGET_COVERAGE_MIN 0.70
#define TARGET_COVERAGE_MAX 0.90

/* One line of the coverage table: a class's comparisons and groups on the fit and held-out
 * rows, its typical band, and the share inside on each; no share where there are fewer than
 * LP_BAND_MIN_MEASURED held-out comparisons. */
static void coverage_line(FILE *o, bool markdown, const char *method, const char *quantity,
                          const char *stat, const lp_band_count *fit, const lp_band_count *hold) {
    if (fit->n + hold->n == 0)
        return;
    char nf[32], nh[32], band[40] = "-", cf[24] = "-", ch[40] = "-", target[24] = "-";
    snprintf(nf, sizeof nf, "%d (%d)", fit->n, fit->groups);
    snprintf(nh, sizeof nh, "%d (%d)", hold->n, hold->groups);
    const lp_band_count *w = hold->n > 0 ? hold : fit;
    lp_range typical = lp_band_count_typical(w);
    if (w->n > 0)
        snprintf(band, sizeof band, "x%.2f-%.2f", typical.lo, typical.hi);
    if (fit->n > 0)
        snprintf(cf, sizeof cf, "%.0f %%", 100.0 * fit->inside / fit->n);
    if (hold->n >= LP_BAND_MIN_MEASURED) {
        double f = (double)hold->inside / hold->n;
        snprintf(ch, sizeof ch, "%.0f %% (%d/%d)", 100 * f, hold->inside, hold->n);
        snprintf(target, sizeof target, "%s",
                 f >= TARGET_COVERAGE_MIN && f <= TARGET_COVERAGE_MAX ? "yes"
                 : f < TARGET_COVERAGE_MIN                            ? "no, below"
                                                                      : "no, above");
    } else if (hold->n > 0) {
        snprintf(ch, sizeof ch, "too thin (%d)", hold->n);
    }
    if (markdown)
        fprintf(o, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", method, quantity, stat, nf,
                cf, nh, band, ch, target);
    else
        fprintf(o, "  %-9s %-10s %-6s %10s %6s %10s %12s %15s %s\n", method, quantity, stat, nf, cf,
                nh, band, ch, target);
}

void lp_accuracy_print_coverage_bands(FILE *o, const lp_accuracy_data *data, bool markdown) {
    lp_band_coverage cov[2];
    lp_error err;
    if (lp_band_coverage_of(data->serving, false, NULL, &cov[0], &err) != LP_OK ||
        lp_band_coverage_of(data->serving, true, NULL, &cov[1], &err) != LP_OK) {
        fprintf(o, "%s%s\n", markdown ? "" : "  ", err.message);
        return;
    }
    const lp_band_table *t = lp_band_table_builtin();
    fprintf(o, "%sBand table: %s\n%s", markdown ? "" : "  ",
            t && t->origin[0] ? t->origin : "(none)", markdown ? "\n" : "");
    if (markdown)
        fprintf(o, "| method | quantity | statistic | fit comparisons (groups) | fit inside | "
                   "held-out comparisons (groups) | typical band (measured / estimated) | "
                   "held-out inside | within 70-90 %% |\n|---|---|---|---|---|---|---|---|---|\n");
    else
        fprintf(o, "  %-9s %-10s %-6s %10s %6s %10s %12s %15s %s\n", "method", "quantity", "stat",
                "fit (grp)", "inside", "held (grp)", "typical band", "held-out inside",
                "within 70-90 %");
    for (int k = 0; k < LP_SERVING_METHODS; k++) {
        for (int m = 0; m < LP_BAND_METRICS; m++)
            for (int s = 0; s < LP_BAND_STATS; s++)
                coverage_line(o, markdown, METHOD_NAMES[k], lp_band_metric_name((lp_band_metric)m),
                              lp_band_stat_name(s), &cov[0].cells[k][m][s], &cov[1].cells[k][m][s]);
        coverage_line(o, markdown, METHOD_NAMES[k], "all", "", &cov[0].methods[k],
                      &cov[1].methods[k]);
    }
    coverage_line(o, markdown, "all", "all", "", &cov[0].all, &cov[1].all);
    const lp_kv_report *kv[LP_ACC_KV_FILES];
    for (int i = 0; i < LP_ACC_KV_FILES; i++)
        kv[i] = data->kv[i];
    lp_band_count kv_fit = lp_band_coverage_kv(kv, LP_ACC_KV_FILES, NULL, false),
                  kv_hold = lp_band_coverage_kv(kv, LP_ACC_KV_FILES, NULL, true);
    coverage_line(o, markdown, "plan", "kv", "center", &kv_fit, &kv_hold);
}
