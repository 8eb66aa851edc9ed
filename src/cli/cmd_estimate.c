/*
 * cmd_estimate.c - `llmplan estimate`: how fast would this deployment serve this workload?
 * Flags are spelled as `vllm serve` (engine settings) and `vllm bench serve` (workload) spell
 * them; the result is the report `vllm bench serve` would print, or with --json the keys of
 * its --save-result file. --batch FILE.jsonl estimates one request per line (fields as
 * lp_perf_request_from_json accepts them) and goes on past bad lines.
 * Only flag parsing, file reading and dispatch live here; the estimate is the library's.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/gpu_flags.h"
#include "cli/serving_flags.h"
#include "cli/workload_flags.h"
#include "llmplan/detect.h"
#include "llmplan/calibrate.h"
#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/perf.h"
#include "llmplan/perf_io.h"
#include "llmplan/render.h"

/* ShareGPT-like preset: the mean lengths quoted for vLLM's ShareGPT benchmark runs
 * (../shared/validation/README.md: about 202 input / 179 output tokens). */
#define SHAREGPT_MEAN_INPUT 202.0
#define SHAREGPT_MEAN_OUTPUT 179.0

typedef struct {
    const char *model, *gpu, *gpu_file, *interconnect, *method, *input_dist, *output_dist;
    const char *dataset, *request_rate, *batch, *calibration;
    lp_cli_serving sv; /* the vLLM engine flags */
    int64_t input_len, output_len, num_prompts, max_concurrency, seed;
    double params_b;
    bool json, help;
    bool seen_method, seen_input_len, seen_output_len;
} est_args;

static void print_help(const lp_opt *opts) {
    printf("Usage: llmplan estimate (--model MODEL | --params-b B) [--gpu GPU] [options]\n"
           "       llmplan estimate --batch FILE.jsonl [--json]\n"
           "\n"
           "Estimates TTFT, TPOT, ITL and end-to-end latency, request and token throughput,\n"
           "and the bottleneck of each phase, as `vllm bench serve` would measure them.\n"
           "Methods: roofline (default; operator-level step model), simulate (vLLM's\n"
           "scheduler simulated request by request: medians and p90/p99) and heuristic\n"
           "(7B baselines scaled by size; the default when only --params-b is given).\n"
           "\n"
           "Options (engine settings as `vllm serve` spells them, workload as `vllm bench\n"
           "serve` does):\n");
    lp_opts_print(opts);
    printf(
        "\nLength distributions (--input-len-dist / --output-len-dist):\n"
        "  normal:MEAN,SD   uniform:LO,HI   hist:FILE (lines \"tokens weight\")   sharegpt\n"
        "\n--batch FILE.jsonl: one JSON object per line, e.g.\n"
        "  {\"model\": \"Qwen/Qwen2.5-7B-Instruct\", \"gpu\": \"L40S\", \"input_len\": 512,\n"
        "   \"output_len\": 128, \"concurrency\": 16}\n"
        "  {\"params_b\": 70, \"gpu_type\": \"H100\", \"tp_size\": 4, \"method\": \"heuristic\"}\n"
        "Each line carries its own settings (other planners' field names are accepted:\n"
        "gpu_name|gpu_type|gpu, tp_size|tp_degree, input_length|prompt_tokens, ...); an\n"
        "unknown field is an error for that line. Only --json and --gpu-file apply.\n"
        "\nExamples:\n"
        "  llmplan estimate --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 \\\n"
        "      --random-input-len 1024 --random-output-len 256 --max-concurrency 32\n"
        "  llmplan estimate --model Qwen/Qwen2.5-72B-Instruct --gpu A100-80GB -tp 4 \\\n"
        "      --request-rate 4 --num-prompts 500 --method simulate --json\n"
        "  llmplan estimate --params-b 13 --gpu \"RTX 4090\" --method heuristic\n"
        "  llmplan estimate --batch configs.jsonl --json\n"
        "\nExit codes: 0 estimated, 2 bad input, 3 does not fit (infeasible), 4 larger than a\n"
        "resource limit allows (a simulation past 50,000,000 engine steps), 1 I/O failure;\n"
        "with --batch: 0 all lines valid, 3 some invalid.\n");
}

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "llmplan estimate: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see llmplan estimate --help)\n");
    return LP_EXIT_USAGE;
}

/* "tokens weight" lines (blank lines and '#' comments skipped) into a histogram. */
static int build_workload(const est_args *a, lp_perf_request *r, lp_cli_hist_store hs[2],
                          bool *sharegpt) {
    *sharegpt = false;
    if (a->dataset) {
        if (strcasecmp(a->dataset, "sharegpt") == 0)
            *sharegpt = true;
        else if (strcasecmp(a->dataset, "random") != 0)
            return usage_error("--dataset-name: expected random or sharegpt, got \"%s\"",
                               a->dataset);
    }
    if (a->seen_input_len && (a->input_len < 1 || a->input_len > 10000000))
        return usage_error("%s: expected between 1 and 10,000,000 tokens", "--random-input-len");
    if (a->seen_output_len && (a->output_len < 1 || a->output_len > 10000000))
        return usage_error("%s: expected between 1 and 10,000,000 tokens", "--random-output-len");
    if (a->seen_input_len)
        r->workload.input = lp_len_fixed((double)a->input_len);
    if (a->seen_output_len)
        r->workload.output = lp_len_fixed((double)a->output_len);
    if (*sharegpt) {
        r->workload.input.kind = r->workload.output.kind = LP_LEN_SHAREGPT;
        r->workload.input.mean = a->seen_input_len ? (double)a->input_len : SHAREGPT_MEAN_INPUT;
        r->workload.output.mean = a->seen_output_len ? (double)a->output_len : SHAREGPT_MEAN_OUTPUT;
    }
    int rc;
    double in_mean = a->seen_input_len ? (double)a->input_len : SHAREGPT_MEAN_INPUT;
    double out_mean = a->seen_output_len ? (double)a->output_len : SHAREGPT_MEAN_OUTPUT;
    if (a->input_dist && (rc = lp_cli_parse_len_dist("estimate", "--input-len-dist", a->input_dist,
                                                     in_mean, &r->workload.input, &hs[0])) != 0)
        return rc;
    if (a->output_dist &&
        (rc = lp_cli_parse_len_dist("estimate", "--output-len-dist", a->output_dist, out_mean,
                                    &r->workload.output, &hs[1])) != 0)
        return rc;
    if (a->num_prompts < 1 || a->num_prompts > 10000000)
        return usage_error("%s: expected between 1 and 10,000,000", "--num-prompts");
    r->workload.num_prompts = (int)a->num_prompts;
    if (a->max_concurrency < 0 || a->max_concurrency > 10000000)
        return usage_error("%s: expected between 1 and 10,000,000", "--max-concurrency");
    r->workload.max_concurrency = (int)a->max_concurrency;
    if (a->request_rate) {
        if (strcasecmp(a->request_rate, "inf") == 0) {
            r->workload.request_rate = 0.0;
        } else {
            char *end;
            errno = 0;
            double v = strtod(a->request_rate, &end);
            if (errno || end == a->request_rate || *end || !(v > 0) || !isfinite(v))
                return usage_error("--request-rate: expected a positive number of requests per "
                                   "second or inf, got \"%s\"",
                                   a->request_rate);
            r->workload.request_rate = v;
        }
    }
    if (a->seed < 0)
        return usage_error("%s: expected a non-negative integer", "--seed");
    r->workload.seed = (uint64_t)a->seed;
    return 0;
}

/* ---- --batch ---------------------------------------------------------------------------- */

typedef struct {
    lp_perf_request *reqs;
    lp_perf_estimate *ests;
    lp_perf_io_strings *strings;
    long *lines;
    size_t n, cap;
} batch;

/* Strings are parsed into b->strings[i], which moves when the arrays grow: re-point them. */
static void repoint(lp_perf_request *r, lp_perf_io_strings *s) {
    if (r->model_id)
        r->model_id = s->model_id;
    if (r->gpu_name)
        r->gpu_name = s->gpu_name;
    if (r->serving.quantization)
        r->serving.quantization = s->quantization;
}

static bool batch_grow(batch *b) {
    if (b->n < b->cap)
        return true;
    size_t cap = b->cap ? 2 * b->cap : 16;
    lp_perf_request *r = realloc(b->reqs, cap * sizeof *r);
    if (r)
        b->reqs = r;
    lp_perf_estimate *e = realloc(b->ests, cap * sizeof *e);
    if (e)
        b->ests = e;
    lp_perf_io_strings *s = realloc(b->strings, cap * sizeof *s);
    if (s)
        b->strings = s;
    long *l = realloc(b->lines, cap * sizeof *l);
    if (l)
        b->lines = l;
    if (!r || !e || !s || !l)
        return false;
    b->cap = cap;
    for (size_t k = 0; k < b->n; k++)
        repoint(&b->reqs[k], &b->strings[k]);
    return true;
}

static void batch_free(batch *b) {
    free(b->reqs);
    free(b->ests);
    free(b->strings);
    free(b->lines);
}

static void mark_invalid(lp_perf_estimate *e, long line, const char *msg) {
    memset(e, 0, sizeof *e);
    e->valid = false;
    snprintf(e->error, sizeof e->error, "line %ld: %s", line, msg);
}

static int run_batch(const est_args *a) {
    FILE *f = strcmp(a->batch, "-") == 0 ? stdin : fopen(a->batch, "r");
    if (!f) {
        fprintf(stderr, "llmplan estimate: --batch: cannot open %s: %s\n", a->batch,
                strerror(errno));
        return LP_EXIT_FAILURE;
    }
    lp_gpu_db *user_db = NULL;
    const lp_gpu_db *db;
    int rc = lp_cli_open_gpu_db(a->gpu_file, &user_db, &db);
    if (rc != 0) {
        if (f != stdin)
            fclose(f);
        return rc;
    }
    batch b = {0};
    char *line = NULL;
    size_t linecap = 0;
    ssize_t len;
    long lineno = 0;
    while ((len = getline(&line, &linecap, f)) >= 0) {
        lineno++;
        const char *p = line;
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (*p == '\0')
            continue; /* blank lines separate nothing in JSONL; skip them */
        if (!batch_grow(&b)) {
            rc = LP_EXIT_FAILURE;
            fprintf(stderr, "llmplan estimate: out of memory\n");
            break;
        }
        size_t i = b.n++;
        b.lines[i] = lineno;
        lp_error err;
        lp_error_clear(&err);
        lp_perf_request *r = &b.reqs[i];
        if (lp_perf_request_from_json(line, (size_t)len, r, &b.strings[i], &err) != LP_OK) {
            mark_invalid(&b.ests[i], lineno, err.message);
            continue;
        }
        if (!r->model_id && r->params_b > 0 && r->method == LP_ROOFLINE)
            r->method = LP_HEURISTIC; /* only a parameter count: the heuristic is all there is */
        if (r->gpu_name) {
            const lp_gpu *g;
            if (lp_gpu_find(db, r->gpu_name, &g, &err) != LP_OK) {
                mark_invalid(&b.ests[i], lineno, err.message);
                continue;
            }
            r->cluster.gpu = g;
        }
        if (lp_estimate_performance(r, &b.ests[i]) != LP_OK) {
            char msg[LP_ERROR_MESSAGE_SIZE];
            snprintf(msg, sizeof msg, "%s", b.ests[i].error);
            mark_invalid(&b.ests[i], lineno, msg);
        }
    }
    bool read_failed = ferror(f);
    free(line);
    if (f != stdin)
        fclose(f);
    if (rc == 0 && read_failed) {
        fprintf(stderr, "llmplan estimate: --batch: reading %s failed\n", a->batch);
        rc = LP_EXIT_FAILURE;
    }
    if (rc == 0 && b.n == 0) {
        fprintf(stderr,
                "llmplan estimate: --batch: %s has no requests (one JSON object per "
                "line)\n",
                a->batch);
        rc = LP_EXIT_USAGE;
    }
    if (rc == 0) {
        size_t invalid = 0;
        lp_status st = LP_OK;
        for (size_t i = 0; i < b.n; i++)
            invalid += !b.ests[i].valid;
        if (a->json) {
            for (size_t i = 0; i < b.n && st == LP_OK; i++)
                st = lp_render_estimate_json(stdout, &b.reqs[i], &b.ests[i], b.lines[i], false);
        } else {
            st = lp_render_estimate_batch_text(stdout, b.reqs, b.ests, b.lines, b.n);
        }
        if (st != LP_OK) {
            fprintf(stderr, "llmplan estimate: writing the results failed\n");
            rc = LP_EXIT_FAILURE;
        } else {
            if (invalid > 0)
                fprintf(stderr, "llmplan estimate: %zu of %zu requests invalid\n", invalid, b.n);
            rc = invalid > 0 ? LP_EXIT_INFEASIBLE : LP_EXIT_OK;
        }
    }
    batch_free(&b);
    lp_gpu_db_free(user_db);
    return rc;
}

/* ---- --gpu detect ------------------------------------------------------------------------- */

/* --gpu detect: this machine's GPUs. Their one type must be in the database (an estimate needs
 * its bandwidth and FLOPS); their count is the tensor-parallel size unless -tp/--num-gpus say
 * otherwise; their links set --interconnect unless it is given; the memory other processes
 * hold must pass vLLM's start-up check. notes[0] says what was found, notes[1] the memory in
 * use. Prints the error and returns the exit code on failure. */
static int detect_for_estimate(const est_args *a, const lp_gpu_db *db, lp_perf_request *req,
                               char notes[2][192]) {
    static lp_detect_result det; /* about 40 KB; one per process */
    static lp_gpu gpu;
    lp_error err;
    lp_error_clear(&err);
    lp_detect_opts opts;
    if (lp_detect_opts_from_source(getenv("LLMPLAN_DETECT_SOURCE"), &opts, &err) != LP_OK) {
        fprintf(stderr, "llmplan estimate: LLMPLAN_DETECT_SOURCE: %s\n", err.message);
        return LP_EXIT_USAGE;
    }
    bool described = false;
    lp_status st = lp_detect_run(&opts, db, &det, &err);
    if (st == LP_OK)
        st = lp_detect_gpu_type(&det, &gpu, &described, &err);
    if (st != LP_OK) {
        fprintf(stderr, "llmplan estimate: --gpu detect: %s\n", err.message);
        return st == LP_ERR_INVALID_ARG ? LP_EXIT_USAGE : LP_EXIT_FAILURE;
    }
    if (described) {
        fprintf(stderr,
                "llmplan estimate: --gpu detect: %s is not in the GPU database (%s); an estimate "
                "needs its bandwidth and FLOPS: add a row with --gpu-file\n",
                det.gpus[0].name, det.gpus[0].match_error);
        return LP_EXIT_USAGE;
    }
    req->cluster.gpu = &gpu;
    lp_serving *s = &req->serving;
    int units = s->pipeline_parallel_size * s->data_parallel_size;
    if (!a->sv.seen_tp && a->sv.num_gpus == 0 && det.n_gpus % units == 0) {
        s->tensor_parallel_size = det.n_gpus / units;
        req->cluster.num_gpus = det.n_gpus;
    }
    int n_used =
        req->cluster.num_gpus > 0 ? req->cluster.num_gpus : s->tensor_parallel_size * units;
    bool known;
    bool nvlink = lp_detect_all_nvlink(&det, n_used, &known);
    if (!a->interconnect && known) {
        req->cluster.intra_node_link = nvlink ? LP_LINK_NVLINK : LP_LINK_PCIE;
        req->cluster.intra_node_link_given = true;
    }
    double util = s->gpu_memory_utilization > 0 ? s->gpu_memory_utilization : 0.9;
    if (lp_detect_check_free(&det, n_used, util, notes[1], sizeof notes[1], &err) != LP_OK)
        return lp_cli_fail(&err);
    snprintf(notes[0], sizeof notes[0], "--gpu detect: %d x %s (%s) found by %s; -tp %d%s%s",
             det.n_gpus, det.gpus[0].name, gpu.name, lp_detect_source_name(det.source),
             s->tensor_parallel_size, known ? ", linked by " : "",
             known ? (nvlink ? "NVLink" : "PCIe") : "");
    return 0;
}

/* ---- one request -------------------------------------------------------------------------- */

static int run_one(const est_args *a) {
    static lp_perf_request req; /* static: large, one per process */
    lp_perf_request_init(&req);
    lp_cli_hist_store hs[2] = {{0}};
    char detect_notes[2][192] = {"", ""};
    lp_gpu_db *user_db = NULL;
    int rc = lp_cli_build_serving("estimate", &a->sv, &req.serving);
    bool sharegpt = false;
    if (rc == 0)
        rc = build_workload(a, &req, hs, &sharegpt);
    if (rc == 0)
        rc = lp_cli_set_interconnect("estimate", a->interconnect, &req.cluster);
    req.model_id = a->model;
    req.params_b = a->params_b;
    if (rc == 0 && a->seen_method) {
        lp_error err;
        if (lp_method_parse(a->method, &req.method, &err) != LP_OK)
            rc = lp_cli_fail(&err);
    } else if (rc == 0) {
        req.method = a->model ? LP_ROOFLINE : LP_HEURISTIC;
    }
    if (rc == 0 && !a->model && !(a->params_b > 0))
        rc = usage_error("%s", "--model (HF id, config.json or model directory) or --params-b "
                               "(billions of parameters, heuristic method) is required");
    if (rc == 0 && a->params_b < 0)
        rc = usage_error("%s", "--params-b must be a positive number of billions");
    if (rc == 0 && !a->gpu && req.method != LP_HEURISTIC)
        rc = usage_error("--gpu is required for the %s method (see `llmplan gpus`)",
                         lp_method_name(req.method));
    const lp_gpu_db *db = NULL;
    if (rc == 0)
        rc = lp_cli_open_gpu_db(a->gpu_file, &user_db, &db);
    if (rc == 0 && a->gpu) {
        lp_error err;
        if (strcasecmp(a->gpu, "detect") == 0) {
            rc = detect_for_estimate(a, db, &req, detect_notes);
        } else if (lp_gpu_find(db, a->gpu, &req.cluster.gpu, &err) != LP_OK) {
            rc = lp_cli_fail(&err);
        }
    }
    static lp_calibration cal;
    if (rc == 0 && a->calibration) {
        lp_error err;
        if (lp_calibration_load(a->calibration, &cal, &err) != LP_OK)
            rc = lp_cli_fail(&err);
    }
    if (rc == 0) {
        static lp_perf_estimate est;
        lp_status st = lp_estimate_performance_calibrated(&req, a->calibration ? &cal : NULL, &est);
        if (st == LP_OK) {
            if (sharegpt)
                lp_perf_assume(&est,
                               "--dataset-name sharegpt: ShareGPT-like long-tailed lengths with "
                               "means %.0f in / %.0f out (the averages quoted for vLLM's "
                               "ShareGPT runs), not the data set itself",
                               lp_len_mean(&req.workload.input), lp_len_mean(&req.workload.output));
            for (int k = 0; k < 2; k++)
                if (detect_notes[k][0])
                    lp_perf_assume(&est, "%s", detect_notes[k]);
            if (req.method == LP_HEURISTIC && !a->seen_method)
                lp_perf_assume(&est, "method heuristic: only a parameter count was given");
        }
        /* a resource limit is no estimate of this configuration: nothing on stdout */
        lp_status wst = st == LP_ERR_LIMIT ? LP_OK
                        : a->json          ? lp_render_estimate_json(stdout, &req, &est, 0, true)
                                           : lp_render_estimate_text(stdout, &req, &est);
        if (st != LP_OK) {
            fprintf(stderr, "llmplan estimate: %s\n", est.error);
            rc = lp_cli_exit_code(st);
        } else if (wst != LP_OK) {
            fprintf(stderr, "llmplan estimate: writing the report failed\n");
            rc = LP_EXIT_FAILURE;
        }
    }
    free(hs[0].values);
    free(hs[0].weights);
    free(hs[1].values);
    free(hs[1].weights);
    lp_gpu_db_free(user_db);
    return rc;
}

int lp_cmd_estimate(int argc, char **argv) {
    est_args a;
    memset(&a, 0, sizeof a);
    lp_cli_serving_init(&a.sv);
    a.num_prompts = 1000;
    a.input_len = 1024;
    a.output_len = 128;
    const lp_opt opts[] = {
        {"--model", NULL, LP_OPT_STRING, &a.model, "MODEL", "HF id, config.json or model directory",
         NULL},
        {"--params-b", NULL, LP_OPT_DOUBLE, &a.params_b, "B",
         "only a parameter count, in billions (heuristic)", NULL},
        {"--gpu", NULL, LP_OPT_STRING, &a.gpu, "GPU",
         "GPU name (see `llmplan gpus`), or detect (this machine's)", NULL},
        {"--gpu-file", NULL, LP_OPT_STRING, &a.gpu_file, "TSV",
         "add or override GPU rows (same columns as data/gpus.tsv)", NULL},
        LP_CLI_SERVING_OPTS(a.sv),
        {"--interconnect", NULL, LP_OPT_STRING, &a.interconnect, "L",
         "nvlink, pcie or unknown (default: the GPU's)", NULL},
        {"--method", NULL, LP_OPT_STRING, &a.method, "M",
         "roofline (default), simulate or heuristic", &a.seen_method},
        {"--random-input-len", "--input-len", LP_OPT_INT, &a.input_len, "N",
         "prompt tokens per request (default 1024)", &a.seen_input_len},
        {"--random-output-len", "--output-len", LP_OPT_INT, &a.output_len, "N",
         "output tokens per request (default 128)", &a.seen_output_len},
        {"--input-len-dist", NULL, LP_OPT_STRING, &a.input_dist, "D",
         "prompt length distribution (see below)", NULL},
        {"--output-len-dist", NULL, LP_OPT_STRING, &a.output_dist, "D",
         "output length distribution (see below)", NULL},
        {"--dataset-name", NULL, LP_OPT_STRING, &a.dataset, "NAME",
         "random (default) or sharegpt (means 202 in / 179 out)", NULL},
        {"--num-prompts", NULL, LP_OPT_INT, &a.num_prompts, "N",
         "requests in the benchmark (default 1000)", NULL},
        {"--max-concurrency", NULL, LP_OPT_INT, &a.max_concurrency, "N",
         "client-side limit on requests in flight", NULL},
        {"--request-rate", NULL, LP_OPT_STRING, &a.request_rate, "R",
         "Poisson arrivals per second, or inf (default: inf)", NULL},
        {"--seed", NULL, LP_OPT_INT, &a.seed, "N", "random seed of the simulation (default 0)",
         NULL},
        {"--calibration", NULL, LP_OPT_STRING, &a.calibration, "FILE",
         "efficiencies fitted by `llmplan calibrate` (this GPU family)", NULL},
        {"--batch", NULL, LP_OPT_STRING, &a.batch, "FILE",
         "estimate one JSON request per line (JSONL; - for stdin)", NULL},
        {"--json", NULL, LP_OPT_FLAG, &a.json, NULL,
         "print JSON (`vllm bench serve --save-result` keys)", NULL},
        {"--help", "-h", LP_OPT_FLAG, &a.help, NULL, "show this help", NULL},
        {0},
    };
    if (!lp_opts_parse("estimate", opts, argc, argv, 2))
        return LP_EXIT_USAGE;
    if (a.help) {
        print_help(opts);
        return LP_EXIT_OK;
    }
    if (a.batch)
        return run_batch(&a);
    return run_one(&a);
}
