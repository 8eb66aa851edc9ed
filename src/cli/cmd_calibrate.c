/*
 * cmd_calibrate.c - `llmplan calibrate`: fit the roofline's efficiency constants of one GPU
 * family to your own `vllm bench serve --save-result` files and save them for
 * `llmplan estimate --calibration FILE`.
 * --results takes several files (a shell glob expands to them), so it is collected before the
 * option table parses the rest. Each file becomes one calibration point: its workload (as
 * `llmplan compare` reads it) and its measured throughput and median latencies. The engine
 * settings come from the flags and are the same for every file.
 * Only flag parsing, reading and printing live here; the fit is lp_calibrate's.
 */
#include "common/json_write.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "common/outfile.h"
#include "cli/serving_flags.h"
#include "llmplan/bench_import.h"
#include "llmplan/calibrate.h"
#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/perf.h"

#define MAX_RESULTS 4096

typedef struct {
    const char *model, *gpu, *out, *interconnect;
    lp_cli_serving sv; /* the vLLM engine flags */
    int64_t holdout_every, seed, max_evaluations;
    double holdout;
    bool json, help, force;
} cal_args;

static int fail(const char *fmt, const char *arg) {
    fprintf(stderr, "llmplan calibrate: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see llmplan calibrate --help)\n");
    return LP_EXIT_USAGE;
}

/* Engine settings from the flags (shared with plan and estimate), then the interconnect. */
static int build_serving(const cal_args *a, lp_perf_request *r) {
    int rc = lp_cli_build_serving("calibrate", &a->sv, &r->serving);
    if (rc != 0)
        return rc;
    return lp_cli_set_interconnect("calibrate", a->interconnect, &r->cluster);
}

/* One result file -> one point (workload and measured metrics); 0 or an exit code. */
static int to_point(const char *path, const lp_bench_result *b, const lp_perf_request *base,
                    lp_calib_point *p, lp_model *model) {
    p->req = *base;
    if (!p->req.model_id)
        p->req.model_id = b->model_id[0] ? b->model_id : NULL;
    if (!p->req.model_id)
        return fail("%s: names no model_id; give --model", path);
    /* the model is read here (files, HF cache, Hub); one that cannot be is left to the
     * calibration, which skips the point and says why */
    lp_error err;
    if (lp_model_load(p->req.model_id, NULL, model, &err) == LP_OK)
        p->req.model = model;
    if (!(b->mean_input_len >= 1) || !(b->mean_output_len >= 1)) {
        fprintf(stderr,
                "llmplan calibrate: %s: mean input/output lengths unknown (no input_lens/"
                "output_lens, no totals)\n",
                path);
        return LP_EXIT_USAGE;
    }
    p->req.workload.input = lp_len_fixed(b->mean_input_len);
    p->req.workload.output = lp_len_fixed(b->mean_output_len);
    p->req.workload.num_prompts = b->num_prompts > 0 ? b->num_prompts
                                  : b->completed > 0 ? b->completed
                                                     : 1000;
    p->req.workload.max_concurrency = b->max_concurrency > 0 ? b->max_concurrency : 0;
    p->req.workload.request_rate =
        isfinite(b->request_rate) && b->request_rate > 0 ? b->request_rate : 0.0;
    p->req.workload.burstiness = b->burstiness > 0 ? b->burstiness : 0.0; /* NaN: absent */
    p->measured[LP_CAL_OUTPUT_TOK_S] = b->output_throughput;
    p->measured[LP_CAL_TOTAL_TOK_S] = b->total_token_throughput;
    p->measured[LP_CAL_REQUEST_S] = b->request_throughput;
    const lp_bench_latency *l[4] = {&b->ttft, &b->tpot, &b->itl, &b->e2el};
    for (int i = 0; i < 4; i++)
        p->measured[LP_CAL_TTFT_MS + i] = isfinite(l[i]->median) ? l[i]->median : l[i]->mean;
    return 0;
}

static void print_help(const lp_opt *opts) {
    printf("Usage: llmplan calibrate --results FILE.json [FILE.json ...] --gpu GPU\n"
           "                         [--model MODEL] [serving options] --out FILE.calib\n"
           "\n"
           "Fits the roofline's efficiency constants of the GPU's family (compute and memory\n"
           "efficiency, host time per step and per running request; bounded to physical\n"
           "ranges) to measured `vllm bench serve --save-result` files, by least squares on\n"
           "the log error of throughput and median TTFT/TPOT/ITL/E2E, and reports the RMS log\n"
           "error before and after. With --holdout F (or --holdout-every K) part of the files\n"
           "is held back and the median |error| on them is reported before and after: the\n"
           "fit must improve points it did not see. Apply the result with\n"
           "`llmplan estimate --calibration FILE.calib`.\n"
           "\nOptions:\n"
           "  --results FILE...        result files (one point each; a shell glob works)\n");
    lp_opts_print(opts);
    printf("\nExample:\n"
           "  llmplan calibrate --results runs/*.json --model meta-llama/Llama-3.1-8B-Instruct \\\n"
           "      --gpu H100 --holdout 0.3 --out my-h100.calib\n"
           "\nExit codes: 0 fitted, 2 bad input, 1 I/O failure.\n");
}

static json_t *num(double v) {
    return isfinite(v) ? json_real(v) : json_null();
}

/* Open --out's set of one file: it may not be one of the --results files, even with --force,
 * and exists only with --force. NULL after a message on stderr (*rc its exit code). */
static lp_outset *open_out(const cal_args *a, char **files, int n_files, char *name,
                           size_t name_size, int *rc) {
    char dir[4096];
    const char **inputs = calloc((size_t)n_files + 1, sizeof *inputs);
    lp_outset *set = NULL;
    lp_error err;
    *rc = 0;
    if (!inputs) {
        *rc = fail("%s", "out of memory");
        return NULL;
    }
    for (int i = 0; i < n_files; i++)
        inputs[i] = files[i];
    lp_outset_opts o = {a->force, "--force", inputs};
    if (!lp_outfile_split(a->out, dir, sizeof dir, name, name_size))
        *rc = fail("--out %s: expected a file name", a->out);
    else if (lp_outset_open(dir, &o, &set, &err) != LP_OK ||
             lp_outset_check(set, name, &err) != LP_OK)
        *rc = fail("--out: %s", err.message);
    free(inputs);
    if (*rc) {
        lp_outset_free(set);
        return NULL;
    }
    return set;
}

static int write_calibration(const cal_args *a, const lp_calibration *cal, char **files,
                             int n_files) {
    char name[1024];
    int rc;
    lp_outset *set = open_out(a, files, n_files, name, sizeof name, &rc);
    if (!set)
        return rc;
    lp_error err;
    FILE *f;
    lp_status st = lp_outset_add(set, name, 0666u, &f, &err);
    if (st == LP_OK && lp_calibration_write(f, cal) != LP_OK)
        st = lp_error_set(&err, LP_ERR_IO, "%s: writing failed", a->out);
    if (st == LP_OK)
        st = lp_outset_commit(set, &err);
    lp_outset_free(set);
    return st == LP_OK ? 0 : lp_cli_fail(&err);
}

static int run(const cal_args *a, char **files, int n_files) {
    if (n_files == 0)
        return fail("%s", "--results FILE.json ... is required");
    if (!a->gpu)
        return fail("%s", "--gpu is required (see `llmplan gpus`)");
    if (!(a->holdout >= 0 && a->holdout < 1))
        return fail("%s", "--holdout: expected a fraction in [0, 1)");
    if (a->holdout_every < 0 || a->holdout_every == 1 || a->holdout_every > 1000000)
        return fail("%s", "--holdout-every: expected K >= 2");
    if (a->seed < 0 || a->max_evaluations < 0 || a->max_evaluations > 1000000)
        return fail("%s", "--seed and --max-evaluations must be non-negative");
    if (a->out) {
        /* before any work: the calibration will have a place to go */
        char name[1024];
        int rc;
        lp_outset *set = open_out(a, files, n_files, name, sizeof name, &rc);
        if (!set)
            return rc;
        lp_outset_free(set);
    }
    lp_perf_request base;
    lp_perf_request_init(&base);
    int rc = build_serving(a, &base);
    if (rc)
        return rc;
    lp_error err;
    lp_error_clear(&err);
    if (lp_gpu_find(NULL, a->gpu, &base.cluster.gpu, &err) != LP_OK)
        return lp_cli_fail(&err);
    base.model_id = a->model;

    lp_bench_result *results = calloc((size_t)n_files, sizeof *results);
    lp_calib_point *points = calloc((size_t)n_files, sizeof *points);
    lp_model *models = calloc((size_t)n_files, sizeof *models);
    lp_calib_point_result *per = calloc((size_t)n_files, sizeof *per);
    if (!results || !points || !per || !models) {
        fprintf(stderr, "llmplan calibrate: out of memory\n");
        rc = LP_EXIT_FAILURE;
        goto out;
    }
    for (int i = 0; i < n_files && rc == 0; i++) {
        if (lp_bench_result_load(files[i], &results[i], &err) != LP_OK)
            rc = lp_cli_fail(&err);
        else
            rc = to_point(files[i], &results[i], &base, &points[i], &models[i]);
    }
    if (rc)
        goto out;
    lp_calib_opts o;
    lp_calib_opts_init(&o);
    o.holdout_fraction = a->holdout;
    o.holdout_every = (int)a->holdout_every;
    o.seed = (uint64_t)a->seed;
    if (a->max_evaluations > 0)
        o.max_evaluations = (int)a->max_evaluations;
    static lp_calibration cal;
    if (lp_calibrate(points, (size_t)n_files, &o, &cal, per, &err) != LP_OK) {
        rc = lp_cli_fail(&err);
        goto out;
    }
    if (a->out && (rc = write_calibration(a, &cal, files, n_files)) != 0)
        goto out;
    const lp_efficiency *fam = lp_efficiency_for(base.cluster.gpu);
    if (a->json) {
        json_t *j = json_object(), *pts = json_array();
        json_object_set_new(j, "family", json_string(cal.family));
        json_object_set_new(j, "gpu", json_string(cal.gpu));
        json_t *before = json_object(), *after = json_object();
        json_object_set_new(before, "compute_eff", num(fam->compute_eff));
        json_object_set_new(before, "memory_eff", num(fam->memory_eff));
        json_object_set_new(before, "step_overhead_s", num(fam->step_overhead_s));
        json_object_set_new(before, "per_seq_overhead_s", num(fam->per_seq_overhead_s));
        json_object_set_new(after, "compute_eff", num(cal.compute_eff));
        json_object_set_new(after, "memory_eff", num(cal.memory_eff));
        json_object_set_new(after, "step_overhead_s", num(cal.step_overhead_s));
        json_object_set_new(after, "per_seq_overhead_s", num(cal.per_seq_overhead_s));
        json_object_set_new(j, "built_in", before);
        json_object_set_new(j, "fitted", after);
        json_object_set_new(j, "points", json_integer(cal.n_points));
        json_object_set_new(j, "fit_points", json_integer(cal.n_fit));
        json_object_set_new(j, "holdout_points", json_integer(cal.n_holdout));
        json_object_set_new(j, "skipped_points", json_integer(cal.n_skipped));
        json_object_set_new(j, "rms_log_error_before", num(cal.rms_log_before));
        json_object_set_new(j, "rms_log_error_after", num(cal.rms_log_after));
        json_object_set_new(j, "fit_median_error_pct_before", num(cal.fit_median_before));
        json_object_set_new(j, "fit_median_error_pct_after", num(cal.fit_median_after));
        json_object_set_new(j, "holdout_median_error_pct_before", num(cal.holdout_median_before));
        json_object_set_new(j, "holdout_median_error_pct_after", num(cal.holdout_median_after));
        for (int i = 0; i < n_files; i++) {
            json_t *p = json_object();
            json_object_set_new(p, "file", json_string(files[i]));
            json_object_set_new(p, "used", json_boolean(per[i].used));
            json_object_set_new(p, "held_out", json_boolean(per[i].held_out));
            if (!per[i].used)
                json_object_set_new(p, "reason", json_string(per[i].reason));
            json_array_append_new(pts, p);
        }
        json_object_set_new(j, "files", pts);
        if (a->out)
            json_object_set_new(j, "out", json_string(a->out));
        int wr = lp_json_write(stdout, j, JSON_INDENT(2) | JSON_REAL_PRECISION(8));
        json_decref(j);
        putchar('\n');
        if (wr != 0)
            rc = LP_EXIT_FAILURE;
        goto out;
    }
    printf("calibration of the %s family on %s: %d points (%d fitted, %d held back, %d "
           "skipped)\n",
           cal.family, cal.gpu, cal.n_points, cal.n_fit, cal.n_holdout, cal.n_skipped);
    printf("  %-20s %12s %12s\n", "constant", "built-in", "fitted");
    printf("  %-20s %11.1f%% %11.1f%%\n", "compute_eff", 100 * fam->compute_eff,
           100 * cal.compute_eff);
    printf("  %-20s %11.1f%% %11.1f%%\n", "memory_eff", 100 * fam->memory_eff,
           100 * cal.memory_eff);
    printf("  %-20s %9.3f ms %9.3f ms\n", "step_overhead", 1e3 * fam->step_overhead_s,
           1e3 * cal.step_overhead_s);
    printf("  %-20s %9.2f us %9.2f us\n", "per_seq_overhead", 1e6 * fam->per_seq_overhead_s,
           1e6 * cal.per_seq_overhead_s);
    printf("RMS log error on fitted points: %.3f before, %.3f after\n", cal.rms_log_before,
           cal.rms_log_after);
    printf("median |error| on fitted points: %.1f %% before, %.1f %% after\n",
           cal.fit_median_before, cal.fit_median_after);
    if (cal.n_holdout > 0)
        printf("median |error| on %d held-back points: %.1f %% before, %.1f %% after\n",
               cal.n_holdout, cal.holdout_median_before, cal.holdout_median_after);
    else
        printf("no points held back (--holdout F or --holdout-every K checks the fit on "
               "unseen points)\n");
    for (int i = 0; i < n_files; i++)
        if (!per[i].used)
            printf("  skipped %s: %s\n", files[i], per[i].reason);
    if (a->out)
        printf("written to %s (apply with llmplan estimate --calibration %s)\n", a->out, a->out);
out:
    free(results);
    free(points);
    free(models);
    free(per);
    return rc;
}

int lp_cmd_calibrate(int argc, char **argv) {
    cal_args a;
    memset(&a, 0, sizeof a);
    lp_cli_serving_init(&a.sv);
    a.seed = 1;
    /* --results FILE...: collect the files, pass everything else to the option table */
    char **rest = malloc((size_t)(argc + 1) * sizeof *rest);
    char **files = malloc((size_t)(argc + 1) * sizeof *files);
    if (!rest || !files) {
        free(rest);
        free(files);
        fprintf(stderr, "llmplan calibrate: out of memory\n");
        return LP_EXIT_FAILURE;
    }
    int n_rest = 0, n_files = 0;
    for (int i = 0; i < argc; i++) {
        if (i >= 2 && strncmp(argv[i], "--results=", 10) == 0) {
            files[n_files++] = argv[i] + 10;
        } else if (i >= 2 && strcmp(argv[i], "--results") == 0) {
            while (i + 1 < argc && argv[i + 1][0] != '-')
                files[n_files++] = argv[++i];
        } else {
            rest[n_rest++] = argv[i];
        }
    }
    rest[n_rest] = NULL;
    const lp_opt opts[] = {
        {"--model", NULL, LP_OPT_STRING, &a.model, "MODEL", "model (default: each file's model_id)",
         NULL},
        {"--gpu", NULL, LP_OPT_STRING, &a.gpu, "GPU", "GPU the runs used (see `llmplan gpus`)",
         NULL},
        {"--out", "-o", LP_OPT_STRING, &a.out, "FILE", "write the calibration here", NULL},
        {"--force", NULL, LP_OPT_FLAG, &a.force, NULL, "replace an --out file that exists", NULL},
        {"--holdout", NULL, LP_OPT_DOUBLE, &a.holdout, "F",
         "hold back this share of the files (random, --seed)", NULL},
        {"--holdout-every", NULL, LP_OPT_INT, &a.holdout_every, "K", "hold back every K-th file",
         NULL},
        {"--seed", NULL, LP_OPT_INT, &a.seed, "N", "seed of the held-back draw (default 1)", NULL},
        {"--max-evaluations", NULL, LP_OPT_INT, &a.max_evaluations, "N",
         "search budget (default 600)", NULL},
        LP_CLI_SERVING_OPTS(a.sv),
        {"--interconnect", NULL, LP_OPT_STRING, &a.interconnect, "L", "nvlink, pcie or unknown",
         NULL},
        {"--json", NULL, LP_OPT_FLAG, &a.json, NULL, "print one JSON object", NULL},
        LP_OPT_HELP_AND_END(a.help),
    };
    int rc = lp_opts_command("calibrate", opts, n_rest, rest, 2, &a.help, print_help);
    if (rc == LP_OPTS_RUN)
        rc = n_files > MAX_RESULTS ? fail("%s", "--results: too many files (at most 4096)")
                                   : run(&a, files, n_files);
    free(rest);
    free(files);
    return rc;
}
