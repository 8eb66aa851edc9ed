/*
 * cmd_accuracy.c - `llmplan accuracy`: llmplan against every published measurement in
 * ../shared/validation. Plans every row of the vLLM start-up logs (kv_capacity.tsv,
 * kv_capacity_2.tsv) and prints the per-row errors and their summary; runs every performance
 * method on every row of the serving tables (serving_perf.tsv, serving_perf_2.tsv,
 * serving_modes.tsv) and prints the per-row errors, the tables per GPU, source, release, load
 * regime and file (fit and holdout rows apart), and every skipped row with its reason. With
 * --markdown it writes the same as docs/ACCURACY.md. The comparisons are the library's
 * (llmplan/validate.h), the ones the accuracy tests assert on.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/accuracy_out.h"
#include "common/file.h"
#include "common/outfile.h"
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
    printf("%-23s %-7s %-28s %-16s %-26s %-13s %10s %17s %17s %17s\n", "file:line", "split",
           "model", "gpu x n", "workload", "metric", "actual", "heuristic", "roofline", "simulate");
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
            char where[48];
            snprintf(where, sizeof where, "%s:%d", row->file, row->line);
            if (first)
                printf("%-23s %-7s %-28.28s %-16.16s %-26.26s", where,
                       row->holdout ? "holdout" : "fit", row->model, gpu, row->workload);
            else
                printf("%-23s %-7s %-28s %-16s %-26s", "", "", "", "", "");
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

static void print_kv_rows(const char *path, const lp_kv_report *r) {
    printf("llmplan vs vLLM start-up logs (%s): predicted/logged and error\n\n", path);
    printf("%-5s %-7s %-44s %-10s %24s %24s %24s %26s %20s %26s %s\n", "line", "split", "model",
           "vLLM", "weights GiB", "activation GiB", "KV cache GiB", "KV tokens", "concurrency",
           "GPU blocks", "outcome");
    for (int i = 0; i < r->n_rows; i++) {
        const lp_kv_row_result *row = &r->rows[i];
        printf("%-5d %-7s %-44.44s %-10s", row->line, row->holdout ? "holdout" : "fit", row->model,
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
        tokens_cell(&row->gpu_blocks);
        printf(" %s%s%s\n",
               row->expect_failure ? (row->predicted_fits ? "failed; predicted fit (WRONG)"
                                                          : "failed; predicted no fit")
                                   : (row->predicted_fits ? "ok" : "ok; predicted no fit (WRONG)"),
               row->gmu_from_row_sums ? "; gmu from row sums" : "",
               row->fit_row ? "; memory constants fitted on it" : "");
        printf("      %s\n", row->label);
        if (row->expect_failure)
            printf("      logged cause: %s; predicted: %s\n",
                   row->logged_cause_known ? lp_mem_failure_name(row->logged_failure)
                                           : "not one llmplan distinguishes",
                   lp_mem_failure_name(row->predicted_failure));
        if (!row->predicted_fits)
            printf("      predicted: %s\n", row->predicted_error);
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
    printf("  failed start-ups predicted as not fitting: %d of %d (for the logged cause: %d)\n",
           r->failed_predicted, r->failed_rows, r->failed_right_cause);
    printf("  successful start-ups predicted as not fitting: %d\n", r->ok_predicted_fail);
    for (int i = 0; i < r->n_rows; i++)
        if (r->rows[i].gmu_from_row_sums)
            printf("  note: line %d states a utilization its own logged numbers contradict; "
                   "planned at %.2f (what weights + activation + non-torch + KV add up to)\n",
                   r->rows[i].line, r->rows[i].gmu_used);
    printf("\n");
}

static void print_serving(const lp_serving_report *r, bool rows) {
    printf("\nllmplan vs published serving measurements (");
    for (int f = 0; f < r->n_files; f++)
        printf("%s%s", f ? ", " : "", r->files[f]);
    printf("): every method, predicted and error\n(%d rows: %d usable, %d vLLM, %d TensorRT-LLM; "
           "%d skipped; notes shown for vLLM rows)\n\n",
           r->n_rows, r->n_usable, r->n_vllm_rows, r->n_trt_rows, r->n_skipped);
    if (rows) {
        print_serving_rows(r, LP_ENGINE_VLLM);
        printf("\n");
        print_serving_rows(r, LP_ENGINE_TRT);
    }
    print_serving_summary(r);
    printf("\nvLLM rows: |error| median / p90 in %%, signed bias (median error, + = predicted "
           "too high), (comparisons)\n");
    for (int d = 0; d < LP_ACC_DIMS; d++) {
        printf("\nBy %s:\n", lp_accuracy_dim_name((lp_accuracy_dim)d));
        lp_accuracy_print_table(stdout, r, (lp_accuracy_dim)d, LP_ENGINE_VLLM, false);
    }
    printf("\nTensorRT-LLM rows (an upper bound for vLLM, never fitted on), by GPU:\n");
    lp_accuracy_print_table(stdout, r, LP_ACC_GPU, LP_ENGINE_TRT, false);
    printf("\nRows per file:\n");
    lp_accuracy_print_coverage(stdout, r, false);
}

/*
 * Write what generate() writes to path through the common output rules (src/common/outfile.h:
 * a temporary file renamed over it when complete). A file that exists is replaced only when
 * llmplan wrote it (its first line carries marker) or with --force.
 */
/* The serving modes against the baseline measured beside them (src/validate/serving_modes.c). */
static lp_status print_modes(const char *dir) {
    static lp_modes_report rep; /* about 150 KB */
    char path[4096];
    snprintf(path, sizeof path, "%s/serving_modes.tsv", dir);
    lp_error err;
    lp_status st = lp_validate_serving_modes(path, &rep, &err);
    if (st != LP_OK)
        lp_cli_fail(&err);
    else
        lp_modes_print(stdout, &rep);
    return st;
}

static int write_generated(const char *path, const char *marker, bool force,
                           const lp_accuracy_data *data, const char *commit,
                           void (*generate)(FILE *, const lp_accuracy_data *, const char *)) {
    char dir[4096], name[256];
    lp_error err;
    if (!lp_outfile_split(path, dir, sizeof dir, name, sizeof name)) {
        lp_error_set(&err, LP_ERR_INVALID_ARG, "%s: expected a file name", path);
        return lp_cli_fail(&err);
    }
    FILE *old = fopen(path, "r");
    if (old) {
        char first[512] = "";
        force |= fgets(first, sizeof first, old) && strstr(first, marker);
        fclose(old);
    }
    lp_outset_opts o = {.force = force, .force_flag = "--force", .inputs = NULL};
    lp_outset *set = NULL;
    FILE *f = NULL;
    lp_status st = lp_outset_open(dir, &o, &set, &err);
    if (st == LP_OK)
        st = lp_outset_add(set, name, 0666, &f, &err);
    if (st == LP_OK) {
        generate(f, data, commit);
        st = lp_outset_commit(set, &err);
    }
    lp_outset_free(set);
    if (st != LP_OK)
        return lp_cli_fail(&err);
    fprintf(stderr, "llmplan: wrote %s\n", path);
    return LP_EXIT_OK;
}

/* A band table is a few hundred lines; anything far larger is not one. */
#define LP_BAND_TABLE_MAX_BYTES (4u << 20)

/* Read back the band table just written: a table the library cannot read must not be built in
 * (every estimate would lose its bands). */
static int check_bands(const char *path) {
    char *text = NULL;
    size_t len = 0;
    lp_error err;
    lp_band_table *t = NULL;
    lp_status st = lp_read_file(path, "band table", LP_BAND_TABLE_MAX_BYTES, &text, &len, &err);
    if (st == LP_OK)
        st = lp_band_table_parse(text, len, &t, &err);
    free(text);
    lp_band_table_free(t);
    return st == LP_OK ? LP_EXIT_OK : lp_cli_fail(&err);
}

static void free_data(lp_accuracy_data *d) {
    lp_band_table_free(d->fitted);
    for (int i = 0; i < LP_ACC_KV_FILES; i++)
        free(d->kv[i]);
    free(d->serving);
}

static int load(lp_accuracy_data *d, const lp_validate_serving_opts *opts) {
    char path[4096];
    lp_error err;
    for (int i = 0; i < LP_ACC_KV_FILES; i++) {
        snprintf(path, sizeof path, "%s/%s", d->dir, LP_ACC_KV_FILE_NAMES[i]);
        if (!(d->kv[i] = malloc(sizeof *d->kv[i])))
            return LP_EXIT_FAILURE;
        if (lp_validate_kv_capacity(path, d->kv[i], &err) != LP_OK)
            return lp_cli_fail(&err);
    }
    if (!(d->serving = calloc(1, sizeof *d->serving)))
        return LP_EXIT_FAILURE;
    for (int i = 0; i < LP_ACC_SERVING_FILES; i++) {
        snprintf(path, sizeof path, "%s/%s", d->dir, LP_ACC_SERVING_FILE_NAMES[i]);
        if (lp_validate_serving_add(path, opts, d->serving, &err) != LP_OK)
            return lp_cli_fail(&err);
    }
    return LP_EXIT_OK;
}

static void print_help(const lp_opt *opts) {
    printf("Usage: llmplan accuracy [--validation DIR] [--brief] [--markdown FILE]\n\n"
           "Plans every row of DIR/kv_capacity.tsv and DIR/kv_capacity_2.tsv (real vLLM "
           "start-up\nlogs) with the row's settings and prints predicted/logged values and "
           "the error per row.\nThen estimates every row of DIR/serving_perf.tsv, "
           "serving_perf_2.tsv and serving_modes.tsv\n(published throughput and latency) "
           "with every method and prints the errors per row,\ntables per GPU, source, "
           "release, load regime and file (fit and holdout rows apart:\nheld-out rows are "
           "never used to fit a constant) and every skipped row with its reason.\n\n");
    lp_opts_print(opts);
    printf("\nExamples:\n  make accuracy\n  make accuracy-doc      (writes "
           "docs/ACCURACY.md)\n  make bands             (fits data/bands.tsv on the fit "
           "rows)\n  llmplan accuracy --brief\n");
}

int lp_cmd_accuracy(int argc, char **argv) {
    lp_accuracy_data data = {.dir = "../shared/validation"};
    const char *markdown = NULL, *bands = NULL, *commit = "unknown";
    bool help = false, brief = false, force = false;
    const lp_opt opts[] = {
        {"--validation", NULL, LP_OPT_STRING, &data.dir, "DIR",
         "folder of the validation tables (default ../shared/validation)", NULL},
        {"--brief", NULL, LP_OPT_FLAG, &brief, NULL,
         "summaries and tables only, without the row-by-row listing", NULL},
        {"--markdown", NULL, LP_OPT_STRING, &markdown, "FILE",
         "also write the report as Markdown (docs/ACCURACY.md)", NULL},
        {"--bands-out", NULL, LP_OPT_STRING, &bands, "FILE",
         "fit the error bands on the fit rows and write them (data/bands.tsv)", NULL},
        {"--force", NULL, LP_OPT_FLAG, &force, NULL,
         "replace --markdown / --bands-out files llmplan did not write", NULL},
        {"--commit", NULL, LP_OPT_STRING, &commit, "ID",
         "the commit of the model measured, named in what --markdown writes", NULL},
        LP_OPT_HELP_AND_END(help),
    };
    int rc = lp_opts_command("accuracy", opts, argc, argv, 2, &help, print_help);
    if (rc != LP_OPTS_RUN)
        return rc;
    lp_validate_serving_opts sopts;
    lp_validate_serving_opts_init(&sopts);
    rc = load(&data, &sopts);
    if (rc == LP_EXIT_OK) {
        for (int i = 0; i < LP_ACC_KV_FILES; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", data.dir, LP_ACC_KV_FILE_NAMES[i]);
            if (!brief)
                print_kv_rows(path, data.kv[i]);
            lp_accuracy_print_kv_summary(stdout, LP_ACC_KV_FILE_NAMES[i], data.kv[i], false);
            lp_accuracy_print_kv_versions(stdout, data.kv[i], false);
        }
        print_serving(data.serving, !brief);
        if (print_modes(data.dir) != LP_OK)
            rc = LP_EXIT_FAILURE;
        printf("\nError bands (80 %% nominal) of the compiled-in table: measured values inside\n");
        lp_accuracy_print_coverage_bands(stdout, &data, false);
        lp_error err;
        if (bands) {
            const lp_kv_report *kv[LP_ACC_KV_FILES] = {data.kv[0], data.kv[1]};
            if (lp_bands_fit(data.serving, kv, LP_ACC_KV_FILES, &data.fitted, &data.fit, &err) !=
                LP_OK)
                rc = lp_cli_fail(&err);
            else
                rc = write_generated(bands, LP_BANDS_MARKER, force, &data, commit,
                                     lp_accuracy_write_bands);
            if (rc == LP_EXIT_OK)
                rc = check_bands(bands);
        }
        if (rc == LP_EXIT_OK && markdown)
            rc = write_generated(markdown, LP_ACCURACY_DOC_MARKER, force, &data, commit,
                                 lp_accuracy_write_doc);
    }
    free_data(&data);
    return rc;
}
