/*
 * cmd_compare.c - `llmplan compare`: put a real `vllm bench serve --save-result` file (and a
 * vLLM start-up log) next to llmplan's estimate for the same deployment and workload. Reads
 * the files and the flags into a compare request (the engine settings come from the flags, as
 * for `llmplan estimate`, because a result file does not record them; the workload is the
 * file's unless a flag gives it), runs lp_compare and renders the result.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/serving_flags.h"
#include "cli/workload_flags.h"
#include "llmplan/bench_import.h"
#include "llmplan/calibrate.h"
#include "llmplan/hw.h"
#include "llmplan/model.h"
#include "llmplan/render.h"
#include "llmplan/usecase.h"

typedef struct {
    const char *result, *log, *model, *gpu, *interconnect, *method, *request_rate;
    const char *calibration;
    lp_cli_serving sv; /* the vLLM engine flags */
    int64_t input_len, output_len, num_prompts, max_concurrency;
    bool json, help;
    bool seen_input_len, seen_output_len, seen_num_prompts, seen_max_concurrency;
} cmp_args;

static int fail(const char *fmt, const char *arg) {
    return lp_cli_usage_error("compare", fmt, arg);
}

/* The workload overrides the flags give (the file's otherwise). */
static int overrides(const cmp_args *a, lp_compare_request *r) {
    if (a->seen_input_len && (a->input_len < 1 || a->input_len > LP_MAX_LEN_TOKENS))
        return fail("%s", "--random-input-len: expected between 1 and 10,000,000 tokens");
    if (a->seen_output_len && (a->output_len < 1 || a->output_len > LP_MAX_LEN_TOKENS))
        return fail("%s", "--random-output-len: expected between 1 and 10,000,000 tokens");
    r->input_len = a->seen_input_len ? (double)a->input_len : 0;
    r->output_len = a->seen_output_len ? (double)a->output_len : 0;
    if (a->seen_num_prompts && (a->num_prompts < 1 || a->num_prompts > LP_MAX_LEN_TOKENS))
        return fail("%s", "--num-prompts: expected between 1 and 10,000,000");
    r->num_prompts = a->seen_num_prompts ? (int)a->num_prompts : 0;
    if (a->seen_max_concurrency &&
        (a->max_concurrency < 0 || a->max_concurrency > LP_MAX_LEN_TOKENS))
        return fail("%s", "--max-concurrency: expected between 1 and 10,000,000");
    r->max_concurrency = a->seen_max_concurrency ? (int)a->max_concurrency : -1;
    if (a->request_rate && !lp_cli_parse_rate(a->request_rate, &r->request_rate)) {
        lp_opts_bad_value("compare", "--request-rate", LP_CLI_RATE_EXPECTED, a->request_rate);
        return LP_EXIT_USAGE;
    }
    return 0;
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
    static lp_compare_request req;
    static lp_compare_result res;
    static lp_model model;
    static lp_calibration cal;
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
    lp_compare_request_init(&req);
    req.result = a->result ? &bench : NULL;
    req.log = a->log ? &slog : NULL;
    req.result_name = a->result;
    req.log_name = a->log;
    lp_perf_request *p = &req.perf;
    int rc = lp_cli_build_serving("compare", &a->sv, &p->serving);
    if (rc == 0)
        rc = lp_cli_set_interconnect("compare", a->interconnect, &p->cluster);
    if (rc == 0)
        rc = overrides(a, &req);
    if (rc)
        return rc;
    p->model_id = a->model ? a->model : a->result && bench.model_id[0] ? bench.model_id : NULL;
    if (!p->model_id)
        return fail("%s", "--model is required (the result file names no model_id)");
    if (lp_gpu_find(NULL, a->gpu, &p->cluster.gpu, &err) != LP_OK)
        return lp_cli_fail(&err);
    if (a->method && lp_method_parse(a->method, &p->method, &err) != LP_OK)
        return lp_cli_fail(&err);
    if (a->calibration) {
        if (lp_calibration_load(a->calibration, &cal, &err) != LP_OK)
            return lp_cli_fail(&err);
        req.calibration = &cal;
    }
    if (lp_model_load(p->model_id, NULL, &model, &err) != LP_OK)
        return lp_cli_fail(&err);
    p->model = &model;
    lp_status st = lp_compare(&req, &res, &err);
    if (st != LP_OK) {
        fprintf(stderr, "llmplan compare: %s\n", err.message);
        return LP_EXIT_USAGE;
    }
    st = a->json ? lp_render_compare_json(stdout, &res) : lp_render_compare_text(stdout, &res);
    if (st != LP_OK)
        return lp_cli_render_failed("compare");
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
        LP_OPT_HELP_AND_END(a.help),
    };
    int rc = lp_opts_command("compare", opts, argc, argv, 2, &a.help, print_help);
    if (rc != LP_OPTS_RUN)
        return rc;
    return run(&a);
}
