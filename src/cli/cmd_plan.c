/*
 * cmd_plan.c - `llmplan plan`: does a model fit on these GPUs under vLLM, with which flags,
 * how much KV cache and concurrency. Parses vLLM-spelled flags into a plan request, resolves
 * the model and GPU, calls lp_plan and renders the result. Exit 3 when it does not fit.
 * `--gpu detect` plans on this machine's GPUs: detection (lp_detect_run) happens here, the
 * choice of tensor-parallel size and vLLM's start-up check on the memory other processes hold
 * in the plan use case (lp_plan).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/gpu_flags.h"
#include "cli/mode_flags.h"
#include "cli/serving_flags.h"
#include "cli/workload_flags.h"
#include "cli/report_data.h"
#include "llmplan/detect.h"
#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/render.h"
#include "llmplan/usecase.h"

typedef struct {
    const char *model, *revision, *report;
    lp_cli_gpu_flags g; /* --gpu, --gpu-file and a described GPU */
    lp_cli_serving sv;  /* the vLLM engine flags */
    const char *interconnect;
    int64_t gpus_per_node;
    lp_cli_modes m; /* the serving modes' flags */
    bool json, help, no_safetensors, force;
} plan_args;

static void print_help(const lp_opt *opts) {
    printf("Usage: llmplan plan --model MODEL --gpu GPU [options]\n"
           "\n"
           "Reproduces vLLM's start-up memory arithmetic per GPU (weights, activation peak,\n"
           "non-torch memory, CUDA graphs, KV-cache blocks) and says whether the model fits,\n"
           "how many tokens of KV cache and concurrent requests it gets, and what to change.\n"
           "\n"
           "MODEL is a Hugging Face id (embedded catalog or the local HF cache), a config.json\n"
           "file or a model directory. GPU is a name from `llmplan gpus` (forgiving: H100,\n"
           "\"NVIDIA A100-SXM4-80GB\", a100-80gb, \"RTX 4090\"), or `detect` for this machine's\n"
           "GPUs (type, count as -tp, memory already in use; see `llmplan detect`).\n"
           "\n"
           "Options (spelled as `vllm serve` spells them):\n");
    lp_opts_print(opts);
    printf("\nExamples:\n"
           "  llmplan plan --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 --max-model-len "
           "16000\n"
           "  llmplan plan --model Qwen/Qwen3-32B --gpu A100-80GB -tp 2 --kv-cache-dtype fp8\n"
           "  llmplan plan --model ./my-model-dir --gpu \"NVIDIA A100-SXM4-80GB\" -tp 2 \\\n"
           "      --gpu-memory-utilization 0.5 --json\n"
           "  llmplan plan --model meta-llama/Llama-3.3-70B-Instruct --gpu L40S -tp 4 "
           "--max-model-len auto\n"
           "  llmplan plan --model Qwen/Qwen3-32B --gpu H100 --disaggregation 2P1D \\\n"
           "      --prefill-tensor-parallel-size 1 --decode-tensor-parallel-size 2 "
           "--max-model-len 8192\n"
           "\nExit codes: 0 fits, 2 bad input, 3 does not fit, 1 I/O failure.\n");
}

/* --gpu detect: this machine's GPUs and their one type. Prints the error and returns the exit
 * code on failure. */
static int detect_gpu(const lp_gpu_db *db, lp_detect_result *det, lp_gpu *gpu, bool *described) {
    lp_error err;
    lp_error_clear(&err);
    lp_detect_opts opts;
    if (lp_detect_opts_from_source(getenv("LLMPLAN_DETECT_SOURCE"), &opts, &err) != LP_OK) {
        fprintf(stderr, "llmplan plan: LLMPLAN_DETECT_SOURCE: %s\n", err.message);
        return LP_EXIT_USAGE;
    }
    lp_status st = lp_detect_run(&opts, db, det, &err);
    if (st == LP_OK)
        st = lp_detect_gpu_type(det, gpu, described, &err);
    if (st != LP_OK) {
        fprintf(stderr, "llmplan plan: --gpu detect: %s\n", err.message);
        return st == LP_ERR_INVALID_ARG ? LP_EXIT_USAGE : LP_EXIT_FAILURE;
    }
    return 0;
}

/* The flags as a plan request: the GPU (named, described or detected) and the model are
 * resolved here, at the edge. Prints the error and returns the exit code on failure. */
static int build_request(const plan_args *a, const lp_gpu_db *db, lp_plan_request *r, lp_gpu *gpu,
                         lp_model *model, lp_model *draft, lp_detect_result *det) {
    lp_plan_request_init(r);
    int rc = lp_cli_build_serving("plan", &a->sv, &r->serving);
    if (rc != 0)
        return rc;
    if (a->g.gpu && strcasecmp(a->g.gpu, "detect") == 0) {
        if (a->g.memory_gib > 0) {
            fprintf(stderr, "llmplan plan: --gpu detect and --gpu-memory-gib exclude each other\n");
            return LP_EXIT_USAGE;
        }
        if ((rc = detect_gpu(db, det, gpu, &r->gpu_described)) != 0)
            return rc;
        r->detected = det;
        r->parallel_given = a->sv.seen_tp || a->sv.num_gpus != 0;
    } else if ((rc = lp_cli_select_gpu("plan", &a->g, db, gpu)) != 0) {
        return rc;
    } else {
        r->gpu_described = a->g.memory_gib > 0;
    }
    r->cluster.gpu = gpu;
    if ((rc = lp_cli_set_interconnect("plan", a->interconnect, &r->cluster)) != 0)
        return rc;
    if (a->gpus_per_node < 0 || a->gpus_per_node > 1024)
        return lp_cli_usage_error("plan", "%s: expected between 1 and 1024", "--gpus-per-node");
    if (a->gpus_per_node > 0)
        r->cluster.gpus_per_node = (int)a->gpus_per_node;
    r->db = db;
    if ((rc = lp_cli_build_modes("plan", &a->m, db, &r->serving, &r->cluster, draft)) != 0)
        return rc;
    lp_model_load_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.revision = a->revision;
    lo.no_safetensors = a->no_safetensors;
    lp_error err;
    lp_error_clear(&err);
    if (lp_model_load(a->model, &lo, model, &err) != LP_OK)
        return lp_cli_fail(&err);
    r->model = model;
    return 0;
}

int lp_cmd_plan(int argc, char **argv) {
    plan_args a;
    memset(&a, 0, sizeof a);
    lp_cli_serving_init(&a.sv);
    const lp_opt opts[] = {
        LP_OPT_MODEL(a.model),
        LP_CLI_GPU_OPTS(a.g),
        LP_CLI_SERVING_OPTS(a.sv),
        LP_CLI_MODE_OPTS(a.m),
        {"--revision", NULL, LP_OPT_STRING, &a.revision, "REV", "snapshot of the local HF cache",
         NULL},
        {"--no-safetensors", NULL, LP_OPT_FLAG, &a.no_safetensors, NULL,
         "do not read safetensors headers", NULL},
        {"--interconnect", NULL, LP_OPT_STRING, &a.interconnect, "L",
         "nvlink or pcie (in a node); infiniband, roce or ethernet (between nodes)", NULL},
        {"--gpus-per-node", NULL, LP_OPT_INT, &a.gpus_per_node, "N",
         "GPUs in one node (default 8); TP fills a node first", NULL},
        {"--json", NULL, LP_OPT_FLAG, &a.json, NULL, "print one JSON object", NULL},
        {"--report", NULL, LP_OPT_STRING, &a.report, "FILE",
         "also write a report with charts: FILE.html or FILE.md", NULL},
        {"--force", NULL, LP_OPT_FLAG, &a.force, NULL,
         "replace a --report file (and its charts) that exists", NULL},
        LP_OPT_HELP_AND_END(a.help),
    };
    int rc = lp_opts_command("plan", opts, argc, argv, 2, &a.help, print_help);
    if (rc != LP_OPTS_RUN)
        return rc;
    int checked = lp_cli_report_check("plan", a.report, a.force);
    if (checked != 0)
        return checked;
    if (!a.model) {
        fprintf(stderr, "llmplan plan: --model is required (a HF id such as "
                        "meta-llama/Llama-3.1-8B-Instruct, a config.json or a model directory)\n");
        return LP_EXIT_USAGE;
    }
    if (!a.g.gpu && a.g.memory_gib <= 0) {
        fprintf(stderr, "llmplan plan: --gpu is required (see `llmplan gpus`)\n");
        return LP_EXIT_USAGE;
    }

    lp_gpu_db *user_db = NULL;
    const lp_gpu_db *db;
    rc = lp_cli_open_gpu_db(a.g.gpu_file, &user_db, &db);
    if (rc != 0)
        return rc;
    static lp_detect_result det;  /* about 40 KB; one per process */
    static lp_model model, draft; /* large; one per process */
    static lp_plan_result res;
    lp_gpu gpu;
    lp_plan_request req;
    rc = build_request(&a, db, &req, &gpu, &model, &draft, &det);
    if (rc == 0 && a.report && lp_disaggregated(&req.serving))
        rc = lp_cli_usage_error("plan",
                                "%s: a report does not show a disaggregated deployment "
                                "yet; use the table or --json",
                                "--report");
    lp_error err;
    lp_error_clear(&err);
    if (rc == 0 && lp_plan(&req, &res, &err) != LP_OK)
        rc = lp_cli_fail(&err);
    lp_status st = LP_OK;
    if (rc == 0)
        st = a.json ? lp_render_plan_result_json(stdout, &res)
                    : lp_render_plan_result_text(stdout, &res);
    lp_gpu_db_free(user_db);
    if (rc != 0)
        return rc;
    if (st != LP_OK)
        return lp_cli_render_failed("plan");
    if (a.report && lp_cli_report_plan(a.report, a.force, argc - 1, argv + 1, a.model, &model, &gpu,
                                       &res.serving, &res.plan) != 0)
        return LP_EXIT_FAILURE;
    return lp_plan_result_fits(&res) ? LP_EXIT_OK : LP_EXIT_INFEASIBLE;
}
