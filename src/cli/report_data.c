/*
 * report_data.c - the CLI side of `--report FILE.html|FILE.md`: check the path, take the
 * series the report shows from the library (lp_report_series_plan / _recommend in
 * src/usecase) and write the file(s). It computes nothing; the formatting is src/render's
 * (llmplan/report.h).
 */
#include "cli/report_data.h"

#include "common/outfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/shell.h"
#include "llmplan/artifacts.h"
#include "llmplan/usecase.h"
#include "llmplan/report.h"

/* GPUs per node assumed for the plan's `vllm serve` command (8-GPU servers). */
#define PLAN_GPUS_PER_NODE 8

static int write_error(const char *cmd, const char *path, const char *why) {
    fprintf(stderr, "llmplan %s: --report %s: %s\n", cmd, path, why);
    return LP_EXIT_FAILURE;
}

/* The files of one report: its name and stem in their directory, whose output set is open. */
typedef struct {
    char name[1024], stem[1024];
    lp_outset *set; /* NULL when opening failed */
    lp_status st;   /* of opening, then of every step after it */
    lp_error err;
} report_files;

/* "dir/name.md" -> directory "dir/" (may be empty), file name "name.md" and stem "name", and
 * the output set of that directory opened (f->st says whether it was). False when path names
 * no file (nothing opened). */
static bool open_report_path(const char *path, bool force, report_files *f) {
    char dir[4096];
    f->set = NULL;
    lp_error_clear(&f->err);
    if (!lp_outfile_split(path, dir, sizeof dir, f->name, sizeof f->name))
        return false;
    const char *slash = strrchr(path, '/');
    snprintf(f->stem, sizeof f->stem, "%s", slash ? slash + 1 : path);
    char *dot = strrchr(f->stem, '.');
    if (dot && dot != f->stem)
        *dot = '\0';
    lp_outset_opts o = {force, "--force", NULL};
    f->st = lp_outset_open(dir, &o, &f->set, &f->err);
    return true;
}

/* Close the set; 0, or the exit code after the first failure's message on stderr. */
static int close_report_path(const char *cmd, report_files *f) {
    lp_outset_free(f->set);
    if (f->st != LP_OK) {
        fprintf(stderr, "llmplan %s: --report: %s\n", cmd, f->err.message);
        return lp_cli_exit_code(f->st);
    }
    return 0;
}

/* Names the Markdown report's charts are checked under before any work: more than it ever
 * writes (lp_report_chart_count is at most 7), so no chart of an earlier report is replaced
 * without --force. */
#define CHART_NAMES_CHECKED 16

/* "stem-N.svg", the name of chart N (1-based) of a Markdown report. */
static void chart_name(const char *stem, size_t n, char *buf, size_t size) {
    snprintf(buf, size, "%s-%zu.svg", stem, n);
}

int lp_cli_report_check(const char *cmd, const char *path, bool force) {
    if (!path)
        return 0;
    lp_report_format fmt = lp_report_format_for_path(path);
    if (fmt == LP_REPORT_NONE) {
        fprintf(stderr,
                "llmplan %s: --report %s: expected a file name ending in .html or .md (the "
                "extension picks the format)\n",
                cmd, path);
        return LP_EXIT_USAGE;
    }
    /* every file the report will write, checked before any work or output */
    report_files rf;
    if (!open_report_path(path, force, &rf))
        return write_error(cmd, path, "expected a file name");
    if (rf.st == LP_OK)
        rf.st = lp_outset_check(rf.set, rf.name, &rf.err);
    for (size_t i = 1; rf.st == LP_OK && fmt == LP_REPORT_MARKDOWN && i <= CHART_NAMES_CHECKED;
         i++) {
        char svg[sizeof rf.stem + 32];
        chart_name(rf.stem, i, svg, sizeof svg);
        rf.st = lp_outset_check(rf.set, svg, &rf.err);
    }
    return close_report_path(cmd, &rf);
}

/* Everything one report holds (large: allocated once). */
typedef struct {
    lp_report report;
    lp_report_series series;
    char *command, *serve;
} report_data;

/* Point the report at the parts of the series that were computed. */
static void report_series(lp_report *r, const lp_report_series *rs) {
    r->plan = rs->has_plan ? &rs->plan : NULL;
    r->lengths = rs->lengths;
    r->n_lengths = rs->n_lengths;
    r->load = rs->load;
    r->n_load = rs->n_load;
    r->knee = rs->knee;
    r->knee_threshold = rs->knee_threshold;
    r->workload = rs->has_workload ? &rs->workload : NULL;
    r->workload_note = rs->workload_note[0] ? rs->workload_note : NULL;
    r->estimate = rs->has_estimate ? &rs->estimate : NULL;
    r->simulation = rs->has_simulation ? &rs->simulation : NULL;
    r->simulation_note = rs->simulation_note[0] ? rs->simulation_note : NULL;
}

/* ---- writing -------------------------------------------------------------------------------- */

/* The report and, for Markdown, its charts: all or nothing, nothing replaced without force. */
static int write_report(const char *cmd, const char *path, const lp_report *r, bool force) {
    lp_report_format fmt = lp_report_format_for_path(path);
    report_files rf;
    if (!open_report_path(path, force, &rf))
        return write_error(cmd, path, "expected a file name");
    FILE *f;
    if (rf.st == LP_OK && (rf.st = lp_outset_add(rf.set, rf.name, 0666u, &f, &rf.err)) == LP_OK) {
        rf.st = fmt == LP_REPORT_HTML ? lp_render_report_html(f, r)
                                      : lp_render_report_md(f, r, rf.stem);
        if (rf.st != LP_OK)
            lp_error_set(&rf.err, rf.st, "%s: %s", path,
                         rf.st == LP_ERR_NOMEM ? "out of memory" : "writing failed");
    }
    for (size_t i = 0, n = lp_report_chart_count(r);
         rf.st == LP_OK && fmt == LP_REPORT_MARKDOWN && i < n; i++) {
        char svg[sizeof rf.stem + 32];
        chart_name(rf.stem, i + 1, svg, sizeof svg);
        FILE *g;
        if ((rf.st = lp_outset_add(rf.set, svg, 0666u, &g, &rf.err)) == LP_OK &&
            (rf.st = lp_render_report_chart_svg(g, r, i)) != LP_OK)
            lp_error_set(&rf.err, rf.st, "%s: writing chart %zu failed", path, i + 1);
    }
    if (rf.st == LP_OK)
        rf.st = lp_outset_commit(rf.set, &rf.err);
    return close_report_path(cmd, &rf);
}

static report_data *data_new(int argc, char **argv) {
    report_data *rd = calloc(1, sizeof *rd);
    if (!rd)
        return NULL;
    lp_report_init(&rd->report);
    rd->command = lp_sh_join("llmplan", argv, argc, NULL);
    rd->report.command = rd->command;
    return rd;
}

static void data_free(report_data *rd) {
    if (!rd)
        return;
    free(rd->command);
    free(rd->serve);
    free(rd);
}

int lp_cli_report_plan(const char *path, bool force, int argc, char **argv, const char *model_spec,
                       const lp_model *model, const lp_gpu *gpu, const lp_serving *s,
                       const lp_mem_plan *plan) {
    report_data *rd = data_new(argc, argv);
    if (!rd)
        return write_error("plan", path, "out of memory");
    lp_report_series_plan(model, gpu, s, plan, &rd->series);
    lp_report *r = &rd->report;
    report_series(r, &rd->series);
    r->model_spec = model_spec;
    r->model = model;
    r->gpu = gpu;
    lp_deploy d;
    memset(&d, 0, sizeof d);
    d.model = model_spec;
    d.gpu = gpu;
    d.num_gpus = plan->num_gpus;
    d.gpus_per_node = PLAN_GPUS_PER_NODE;
    d.serving = *s;
    lp_error err;
    rd->serve = lp_artifact_vllm_serve_line(&d, &err); /* NULL: the report shows none */
    r->vllm_serve = rd->serve;
    int rc = write_report("plan", path, r, force);
    data_free(rd);
    return rc;
}

int lp_cli_report_recommend(const char *path, bool force, int argc, char **argv,
                            const lp_recommend_view *v, int num_prompts) {
    report_data *rd = data_new(argc, argv);
    if (!rd)
        return write_error("recommend", path, "out of memory");
    lp_report_series_recommend(v, num_prompts, &rd->series);
    lp_report *r = &rd->report;
    r->recommend = v;
    r->model_spec = v->model_id;
    r->model = v->spec->model;
    if (rd->series.has_plan) {
        report_series(r, &rd->series);
        r->gpu = v->result->ranked[v->chosen].gpu;
    }
    if (v->result->n_ranked > 0 && v->chosen < v->result->n_ranked && v->vllm_serve)
        r->vllm_serve = v->vllm_serve[v->chosen];
    int rc = write_report("recommend", path, r, force);
    data_free(rd);
    return rc;
}
