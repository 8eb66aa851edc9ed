/*
 * cmd_compare.c - `llmplan compare`: put a real `vllm bench serve --save-result` file (and a
 * vLLM start-up log) next to llmplan's estimate for the same deployment and workload.
 * The workload (num_prompts, request rate, max concurrency, mean input/output lengths) comes
 * from the result file unless a flag gives it; the engine settings come from the flags, as
 * for `llmplan estimate`, because a result file does not record them. Per metric it prints
 * measured, estimated and the error, then the median |error|.
 * Only flag parsing, reading and printing live here; estimates and plans are the library's.
 */
#include "render/json_out.h"
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/serving_flags.h"
#include "llmplan/bench_import.h"
#include "llmplan/calibrate.h"
#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/perf.h"

#define GIB 1073741824.0

typedef struct {
    const char *result, *log, *model, *gpu, *interconnect, *method, *request_rate;
    const char *calibration;
    lp_cli_serving sv; /* the vLLM engine flags */
    int64_t input_len, output_len, num_prompts, max_concurrency;
    bool json, help;
    bool seen_input_len, seen_output_len, seen_num_prompts, seen_max_concurrency;
} cmp_args;

static int fail(const char *fmt, const char *arg) {
    fprintf(stderr, "llmplan compare: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see llmplan compare --help)\n");
    return LP_EXIT_USAGE;
}

/* Engine settings from the flags (shared with plan and estimate), then the interconnect. */
static int build_serving(const cmp_args *a, lp_perf_request *r) {
    int rc = lp_cli_build_serving("compare", &a->sv, &r->serving);
    if (rc != 0)
        return rc;
    return lp_cli_set_interconnect("compare", a->interconnect, &r->cluster);
}

/* The workload of the result file, unless a flag gives it. */
static int build_workload(const cmp_args *a, const lp_bench_result *b, lp_perf_request *r) {
    double in = a->seen_input_len ? (double)a->input_len : b ? b->mean_input_len : NAN;
    double out = a->seen_output_len ? (double)a->output_len : b ? b->mean_output_len : NAN;
    if (!(in >= 1) || !(out >= 1) || in > 1e7 || out > 1e7)
        return fail("%s", "mean input/output lengths: the result file has neither input_lens/"
                          "output_lens nor totals; give --random-input-len and "
                          "--random-output-len");
    r->workload.input = lp_len_fixed(in);
    r->workload.output = lp_len_fixed(out);
    int64_t prompts = a->seen_num_prompts       ? a->num_prompts
                      : b && b->num_prompts > 0 ? b->num_prompts
                      : b && b->completed > 0   ? b->completed
                                                : a->num_prompts;
    if (prompts < 1 || prompts > 10000000)
        return fail("%s", "--num-prompts: expected between 1 and 10,000,000");
    r->workload.num_prompts = (int)prompts;
    int64_t conc = a->seen_max_concurrency ? a->max_concurrency : b ? b->max_concurrency : 0;
    if (conc < 0 || conc > 10000000)
        return fail("%s", "--max-concurrency: expected between 1 and 10,000,000");
    r->workload.max_concurrency = (int)conc;
    double rate = b && isfinite(b->request_rate) ? b->request_rate : 0.0;
    if (a->request_rate) {
        char *end;
        rate = strcasecmp(a->request_rate, "inf") == 0 ? 0.0 : strtod(a->request_rate, &end);
        if (strcasecmp(a->request_rate, "inf") != 0 && (*end || !(rate > 0) || !isfinite(rate)))
            return fail("--request-rate: expected a positive number or inf, got \"%s\"",
                        a->request_rate);
    }
    r->workload.request_rate = rate;
    return 0;
}

/* ---- comparing ---------------------------------------------------------------------------- */

typedef struct {
    const char *name;
    double measured, estimated, error_pct;
} row;

static void add_row(row *rows, int *n, const char *name, double measured, double estimated) {
    row *r = &rows[(*n)++];
    r->name = name;
    r->measured = measured;
    r->estimated = isfinite(estimated) && estimated > 0 ? estimated : NAN;
    r->error_pct = isfinite(measured) && measured != 0 && !isnan(r->estimated)
                       ? 100.0 * (r->estimated - measured) / fabs(measured)
                       : NAN;
}

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static double median_abs_error(const row *rows, int n, int *count) {
    double v[64];
    int k = 0;
    for (int i = 0; i < n && k < 64; i++)
        if (!isnan(rows[i].error_pct))
            v[k++] = fabs(rows[i].error_pct);
    *count = k;
    if (k == 0)
        return NAN;
    qsort(v, (size_t)k, sizeof v[0], cmp_double);
    return k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}

static int perf_rows(const lp_bench_result *b, const lp_perf_estimate *e, row *rows) {
    int n = 0;
    add_row(rows, &n, "request_throughput", b->request_throughput, e->request_s);
    add_row(rows, &n, "output_throughput", b->output_throughput, e->output_tok_s);
    add_row(rows, &n, "total_token_throughput", b->total_token_throughput, e->total_tok_s);
    static const char *const NAMES[4][3] = {
        {"mean_ttft_ms", "median_ttft_ms", "p99_ttft_ms"},
        {"mean_tpot_ms", "median_tpot_ms", "p99_tpot_ms"},
        {"mean_itl_ms", "median_itl_ms", "p99_itl_ms"},
        {"mean_e2el_ms", "median_e2el_ms", "p99_e2el_ms"},
    };
    const lp_bench_latency *m[4] = {&b->ttft, &b->tpot, &b->itl, &b->e2el};
    const lp_stat *s[4] = {&e->ttft_ms, &e->tpot_ms, &e->itl_ms, &e->e2el_ms};
    for (int i = 0; i < 4; i++) {
        add_row(rows, &n, NAMES[i][0], m[i]->mean, s[i]->mean);
        add_row(rows, &n, NAMES[i][1], m[i]->median, s[i]->median);
        add_row(rows, &n, NAMES[i][2], lp_bench_percentile(m[i], 99), s[i]->p99);
    }
    /* keep only what the file measured */
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(rows[i].measured))
            rows[k++] = rows[i];
    return k;
}

static int memory_rows(const lp_startup_log *l, const lp_mem_plan *p, row *rows) {
    int n = 0;
    const lp_mem_rank *r = &p->ranks[p->binding_rank];
    add_row(rows, &n, "weights_gib", l->weights_gib, r->weights_bytes / GIB);
    add_row(rows, &n, "activation_gib", l->activation_gib, r->activation_bytes / GIB);
    add_row(rows, &n, "non_torch_gib", l->non_torch_gib, r->non_torch_bytes / GIB);
    add_row(rows, &n, "cuda_graph_gib", l->cuda_graph_gib, r->cuda_graph_bytes / GIB);
    add_row(rows, &n, "kv_cache_gib", l->kv_cache_gib, r->kv_cache_bytes / GIB);
    add_row(rows, &n, "kv_tokens", l->kv_tokens >= 0 ? (double)l->kv_tokens : NAN,
            (double)p->kv_tokens);
    add_row(rows, &n, "gpu_blocks", l->gpu_blocks >= 0 ? (double)l->gpu_blocks : NAN,
            (double)p->kv_blocks);
    add_row(rows, &n, "max_concurrency", l->max_concurrency, p->max_concurrency);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(rows[i].measured))
            rows[k++] = rows[i];
    return k;
}

static void print_rows(const char *title, const row *rows, int n) {
    int count;
    double med = median_abs_error(rows, n, &count);
    printf("%s\n  %-24s %14s %14s %9s\n", title, "metric", "measured", "estimated", "error");
    for (int i = 0; i < n; i++) {
        printf("  %-24s %14.4g ", rows[i].name, rows[i].measured);
        if (isnan(rows[i].estimated))
            printf("%14s %9s\n", "n/a", "");
        else
            printf("%14.4g %+8.1f%%\n", rows[i].estimated, rows[i].error_pct);
    }
    if (count > 0)
        printf("  median |error| over %d metrics: %.1f %%\n", count, med);
    else
        printf("  nothing comparable\n");
}

static json_t *num(double v) {
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *rows_json(const row *rows, int n) {
    json_t *o = json_object(), *metrics = json_object();
    for (int i = 0; i < n; i++) {
        json_t *m = json_object();
        json_object_set_new(m, "measured", num(rows[i].measured));
        json_object_set_new(m, "estimated", num(rows[i].estimated));
        json_object_set_new(m, "error_pct", num(rows[i].error_pct));
        json_object_set_new(metrics, rows[i].name, m);
    }
    int count;
    double med = median_abs_error(rows, n, &count);
    json_object_set_new(o, "metrics", metrics);
    json_object_set_new(o, "median_abs_error_pct", num(med));
    json_object_set_new(o, "compared", json_integer(count));
    return o;
}

static json_t *notes_json(char notes[][LP_BENCH_NOTE_SIZE], int n) {
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_string(notes[i]));
    return a;
}

static void print_help(const lp_opt *opts) {
    printf("Usage: llmplan compare --result FILE.json --gpu GPU [--model MODEL] [options]\n"
           "       llmplan compare --log STARTUP.log --model MODEL --gpu GPU [options]\n"
           "\n"
           "Compares a real benchmark with llmplan's estimate for the same deployment: a\n"
           "`vllm bench serve --save-result` file (or an older benchmark_serving.py one) and/or\n"
           "a vLLM start-up log (the memory and KV-cache lines). The workload (prompts, request\n"
           "rate, max concurrency, mean input/output lengths) is the file's unless a flag\n"
           "gives it; the engine settings are the flags' (a result file does not record\n"
           "them). The model is the file's model_id unless --model is given.\n"
           "\nOptions:\n");
    lp_opts_print(opts);
    printf("\nExample:\n"
           "  llmplan compare --result run.json --gpu H100 -tp 1 --log server.log\n"
           "\nExit codes: 0 compared, 2 bad input, 1 I/O failure.\n");
}

static int run(const cmp_args *a) {
    static lp_bench_result bench;
    static lp_startup_log slog;
    lp_error err;
    lp_error_clear(&err);
    if (!a->result && !a->log)
        return fail("%s", "give --result FILE.json and/or --log STARTUP.log");
    if (!a->gpu)
        return fail("%s", "--gpu is required (see `llmplan gpus`)");
    if (a->result && lp_bench_result_load(a->result, &bench, &err) != LP_OK)
        return lp_cli_fail(&err);
    if (a->log && lp_startup_log_load(a->log, &slog, &err) != LP_OK)
        return lp_cli_fail(&err);
    static lp_perf_request req;
    lp_perf_request_init(&req);
    int rc = build_serving(a, &req);
    if (rc)
        return rc;
    req.model_id = a->model ? a->model : a->result && bench.model_id[0] ? bench.model_id : NULL;
    if (!req.model_id)
        return fail("%s", "--model is required (the result file names no model_id)");
    if (lp_gpu_find(NULL, a->gpu, &req.cluster.gpu, &err) != LP_OK)
        return lp_cli_fail(&err);
    if (a->method && lp_method_parse(a->method, &req.method, &err) != LP_OK)
        return lp_cli_fail(&err);
    static lp_calibration cal;
    if (a->calibration && lp_calibration_load(a->calibration, &cal, &err) != LP_OK)
        return lp_cli_fail(&err);

    row perf[32], mem[16];
    int n_perf = 0, n_mem = 0;
    static lp_perf_estimate est;
    bool estimated = false;
    if (a->result) {
        if ((rc = build_workload(a, &bench, &req)) != 0)
            return rc;
        if (lp_estimate_performance_calibrated(&req, a->calibration ? &cal : NULL, &est) != LP_OK) {
            fprintf(stderr, "llmplan compare: %s\n", est.error);
            return LP_EXIT_USAGE;
        }
        estimated = true;
        n_perf = perf_rows(&bench, &est, perf);
    }
    static lp_model model;
    static lp_mem_plan plan;
    if (a->log) {
        if (lp_model_load(req.model_id, NULL, &model, &err) != LP_OK)
            return lp_cli_fail(&err);
        lp_serving s = req.serving;
        if (req.cluster.num_gpus > 0)
            s.data_parallel_size =
                req.cluster.num_gpus / (s.tensor_parallel_size * s.pipeline_parallel_size);
        if (lp_mem_plan_compute(&model, req.cluster.gpu, &s, &plan, &err) != LP_OK)
            return lp_cli_fail(&err);
        n_mem = memory_rows(&slog, &plan, mem);
    }

    if (a->json) {
        json_t *o = json_object();
        json_object_set_new(o, "model_id", json_string(req.model_id));
        json_object_set_new(o, "gpu", json_string(req.cluster.gpu->name));
        if (a->result) {
            json_object_set_new(o, "result_file", json_string(a->result));
            json_object_set_new(o, "method", json_string(lp_method_name(req.method)));
            json_t *w = json_object();
            json_object_set_new(w, "num_prompts", json_integer(req.workload.num_prompts));
            json_object_set_new(w, "request_rate",
                                req.workload.request_rate > 0 ? json_real(req.workload.request_rate)
                                                              : json_string("inf"));
            json_object_set_new(w, "max_concurrency",
                                req.workload.max_concurrency > 0
                                    ? json_integer(req.workload.max_concurrency)
                                    : json_null());
            json_object_set_new(w, "mean_input_len", num(lp_len_mean(&req.workload.input)));
            json_object_set_new(w, "mean_output_len", num(lp_len_mean(&req.workload.output)));
            json_object_set_new(o, "workload", w);
            json_object_set_new(o, "performance", rows_json(perf, n_perf));
            json_object_set_new(o, "result_notes", notes_json(bench.notes, bench.n_notes));
            json_t *as = json_array();
            for (int i = 0; estimated && i < est.n_assumptions; i++)
                json_array_append_new(as, json_string(est.assumptions[i]));
            json_object_set_new(o, "assumptions", as);
        }
        if (a->log) {
            json_object_set_new(o, "log_file", json_string(a->log));
            json_object_set_new(o, "memory", rows_json(mem, n_mem));
            json_object_set_new(o, "log_notes", notes_json(slog.notes, slog.n_notes));
        }
        int wr = lp_json_write(stdout, o, JSON_INDENT(2) | JSON_REAL_PRECISION(8));
        json_decref(o);
        putchar('\n');
        if (wr != 0) {
            fprintf(stderr, "llmplan compare: writing the JSON failed\n");
            return LP_EXIT_FAILURE;
        }
        return LP_EXIT_OK;
    }
    printf("%s on %s\n", req.model_id, req.cluster.gpu->name);
    if (a->result) {
        char rate[32];
        if (req.workload.request_rate > 0)
            snprintf(rate, sizeof rate, "%g req/s", req.workload.request_rate);
        else
            snprintf(rate, sizeof rate, "inf");
        printf("workload from %s: %d prompts, rate %s, max concurrency %d, mean %.0f in / %.0f "
               "out tokens; method %s\n",
               a->result, req.workload.num_prompts, rate, req.workload.max_concurrency,
               lp_len_mean(&req.workload.input), lp_len_mean(&req.workload.output),
               lp_method_name(req.method));
        print_rows("\nperformance (vllm bench serve keys):", perf, n_perf);
        for (int i = 0; i < bench.n_notes; i++)
            printf("  note: %s\n", bench.notes[i]);
    }
    if (a->log) {
        print_rows("\nstart-up memory per GPU (log vs llmplan plan):", mem, n_mem);
        for (int i = 0; i < slog.n_notes; i++)
            printf("  found: %s\n", slog.notes[i]);
    }
    return LP_EXIT_OK;
}

int lp_cmd_compare(int argc, char **argv) {
    cmp_args a;
    memset(&a, 0, sizeof a);
    lp_cli_serving_init(&a.sv);
    a.num_prompts = 1000;
    const lp_opt opts[] = {
        {"--result", NULL, LP_OPT_STRING, &a.result, "FILE",
         "`vllm bench serve --save-result` JSON file", NULL},
        {"--log", NULL, LP_OPT_STRING, &a.log, "FILE", "vLLM start-up log (memory lines)", NULL},
        {"--model", NULL, LP_OPT_STRING, &a.model, "MODEL", "model (default: the file's model_id)",
         NULL},
        {"--gpu", NULL, LP_OPT_STRING, &a.gpu, "GPU", "GPU name (see `llmplan gpus`)", NULL},
        LP_CLI_SERVING_OPTS(a.sv),
        {"--interconnect", NULL, LP_OPT_STRING, &a.interconnect, "L", "nvlink, pcie or unknown",
         NULL},
        {"--method", NULL, LP_OPT_STRING, &a.method, "M", "roofline (default), simulate, heuristic",
         NULL},
        {"--calibration", NULL, LP_OPT_STRING, &a.calibration, "FILE",
         "efficiencies from `llmplan calibrate`", NULL},
        {"--random-input-len", "--input-len", LP_OPT_INT, &a.input_len, "N",
         "mean prompt tokens (default: the file's)", &a.seen_input_len},
        {"--random-output-len", "--output-len", LP_OPT_INT, &a.output_len, "N",
         "mean output tokens (default: the file's)", &a.seen_output_len},
        {"--num-prompts", NULL, LP_OPT_INT, &a.num_prompts, "N", "default: the file's",
         &a.seen_num_prompts},
        {"--max-concurrency", NULL, LP_OPT_INT, &a.max_concurrency, "N", "default: the file's",
         &a.seen_max_concurrency},
        {"--request-rate", NULL, LP_OPT_STRING, &a.request_rate, "R", "default: the file's", NULL},
        {"--json", NULL, LP_OPT_FLAG, &a.json, NULL, "print one JSON object", NULL},
        {"--help", "-h", LP_OPT_FLAG, &a.help, NULL, "show this help", NULL},
        {0},
    };
    if (!lp_opts_parse("compare", opts, argc, argv, 2))
        return LP_EXIT_USAGE;
    if (a.help) {
        print_help(opts);
        return LP_EXIT_OK;
    }
    return run(&a);
}
