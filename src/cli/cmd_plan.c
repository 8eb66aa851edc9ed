/*
 * cmd_plan.c - `llmplan plan`: does a model fit on these GPUs under vLLM, with which flags,
 * how much KV cache and concurrency. Parses vLLM-spelled flags, resolves the model and GPU,
 * calls lp_mem_plan_with_suggestions and renders the result. Exit 3 when it does not fit.
 * `--gpu detect` plans on this machine's GPUs (lp_detect_run): their type, their count (as the
 * tensor-parallel size unless -tp/--num-gpus say otherwise) and the memory other processes
 * already hold, which vLLM checks at start-up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/gpu_flags.h"
#include "cli/serving_flags.h"
#include "cli/report_data.h"
#include "llmplan/detect.h"
#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/render.h"

typedef struct {
    const char *model, *revision, *report;
    lp_cli_gpu_flags g; /* --gpu, --gpu-file and a described GPU */
    lp_cli_serving sv;  /* the vLLM engine flags */
    bool json, help, no_safetensors;
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
           "\nExit codes: 0 fits, 2 bad input, 3 does not fit, 1 I/O failure.\n");
}

/* Note added to the plan (notes beyond LP_MAX_MEM_NOTES are dropped). */
static void add_note(lp_mem_plan *plan, const char *text) {
    if (plan->n_notes < LP_MAX_MEM_NOTES)
        snprintf(plan->notes[plan->n_notes++], sizeof plan->notes[0], "%s", text);
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

/* --gpu detect without -tp/--num-gpus: tensor parallel over every detected GPU when the model
 * allows it (heads divisible by TP, ...), else the largest TP that divides the count, with the
 * rest as data-parallel replicas. */
static int choose_parallelism(const lp_detect_result *det, const lp_model *model, const lp_gpu *gpu,
                              lp_serving *s, lp_mem_plan *scratch) {
    int units = s->pipeline_parallel_size * s->data_parallel_size;
    if (det->n_gpus % units != 0) {
        fprintf(stderr,
                "llmplan plan: --gpu detect: %d GPUs detected is not a multiple of -pp x -dp = "
                "%d; give -tp\n",
                det->n_gpus, units);
        return LP_EXIT_USAGE;
    }
    int per = det->n_gpus / units, chosen = 1;
    for (int tp = per; tp >= 1; tp--) {
        if (per % tp != 0)
            continue;
        lp_serving t = *s;
        t.tensor_parallel_size = tp;
        t.data_parallel_size = s->data_parallel_size * (per / tp);
        lp_error e;
        if (lp_mem_plan_compute(model, gpu, &t, scratch, &e) != LP_ERR_INVALID_ARG) {
            chosen = tp;
            break;
        }
    }
    s->tensor_parallel_size = chosen;
    s->data_parallel_size *= per / chosen;
    return 0;
}

/* What --gpu detect found, as plan notes. */
static void detect_notes(const lp_detect_result *det, const lp_gpu *gpu, bool described, int n_used,
                         const char *used_note, lp_mem_plan *plan) {
    char text[192];
    snprintf(text, sizeof text, "--gpu detect: %d x %s (%s) found by %s; the plan uses %d",
             det->n_gpus, det->gpus[0].name, described ? "not in the GPU database" : gpu->name,
             lp_detect_source_name(det->source), n_used);
    add_note(plan, text);
    if (described) {
        snprintf(text, sizeof text,
                 "GPU described from detection: %.0f MiB total (%.2f GiB for torch), compute "
                 "capability %d.%d",
                 det->gpus[0].total_mib, gpu->usable_gib, det->gpus[0].cc_major,
                 det->gpus[0].cc_minor);
        add_note(plan, text);
    }
    bool known;
    bool nvlink = lp_detect_all_nvlink(det, n_used, &known);
    if (known) {
        snprintf(text, sizeof text, "the %d GPUs used are linked %s", n_used,
                 nvlink ? "pairwise by NVLink" : "partly over PCIe only (no NVLink between some)");
        add_note(plan, text);
    }
    if (used_note && *used_note)
        add_note(plan, used_note);
}

/* Suggestions to raise --gpu-memory-utilization are computed without the memory other processes
 * hold: drop those vLLM's start-up check would refuse on this machine, and say so. */
static void drop_refused_utilization(const lp_detect_result *det, lp_mem_plan *plan) {
    static const char prefix[] = "--gpu-memory-utilization ";
    int kept = 0;
    for (int i = 0; i < plan->n_suggestions; i++) {
        const lp_mem_suggestion *sg = &plan->suggestions[i];
        char *end;
        double util = 0;
        if (strncmp(sg->change, prefix, sizeof prefix - 1) == 0)
            util = strtod(sg->change + sizeof prefix - 1, &end);
        lp_error e;
        char unused[8];
        if (util > 0 && lp_detect_check_free(det, plan->num_gpus, util, unused, sizeof unused,
                                             &e) == LP_ERR_INFEASIBLE) {
            char text[192];
            snprintf(text, sizeof text,
                     "not suggested: %s (vLLM's start-up check would refuse it with the memory "
                     "other processes hold)",
                     sg->change);
            add_note(plan, text);
            continue;
        }
        plan->suggestions[kept++] = *sg;
    }
    plan->n_suggestions = kept;
}

int lp_cmd_plan(int argc, char **argv) {
    plan_args a;
    memset(&a, 0, sizeof a);
    lp_cli_serving_init(&a.sv);
    const lp_opt opts[] = {
        {"--model", NULL, LP_OPT_STRING, &a.model, "MODEL", "HF id, config.json or model directory",
         NULL},
        LP_CLI_GPU_OPTS(a.g),
        LP_CLI_SERVING_OPTS(a.sv),
        {"--revision", NULL, LP_OPT_STRING, &a.revision, "REV", "snapshot of the local HF cache",
         NULL},
        {"--no-safetensors", NULL, LP_OPT_FLAG, &a.no_safetensors, NULL,
         "do not read safetensors headers", NULL},
        {"--json", NULL, LP_OPT_FLAG, &a.json, NULL, "print one JSON object", NULL},
        {"--report", NULL, LP_OPT_STRING, &a.report, "FILE",
         "also write a report with charts: FILE.html or FILE.md", NULL},
        {"--help", "-h", LP_OPT_FLAG, &a.help, NULL, "show this help", NULL},
        {0},
    };
    if (!lp_opts_parse("plan", opts, argc, argv, 2))
        return LP_EXIT_USAGE;
    if (a.help) {
        print_help(opts);
        return LP_EXIT_OK;
    }
    if (lp_cli_report_check("plan", a.report) != 0)
        return LP_EXIT_USAGE;
    if (!a.model) {
        fprintf(stderr, "llmplan plan: --model is required (a HF id such as "
                        "meta-llama/Llama-3.1-8B-Instruct, a config.json or a model directory)\n");
        return LP_EXIT_USAGE;
    }
    if (!a.g.gpu && a.g.memory_gib <= 0) {
        fprintf(stderr, "llmplan plan: --gpu is required (see `llmplan gpus`)\n");
        return LP_EXIT_USAGE;
    }

    lp_serving s;
    int rc = lp_cli_build_serving("plan", &a.sv, &s);
    if (rc != 0)
        return rc;

    lp_error err;
    lp_error_clear(&err);
    lp_gpu_db *user_db = NULL;
    const lp_gpu_db *db;
    if ((rc = lp_cli_open_gpu_db(a.g.gpu_file, &user_db, &db)) != 0)
        return rc;
    lp_gpu gpu;
    static lp_detect_result det; /* about 40 KB; one per process */
    bool detect = a.g.gpu && strcasecmp(a.g.gpu, "detect") == 0, described = false;
    if (detect) {
        if (a.g.memory_gib > 0) {
            fprintf(stderr, "llmplan plan: --gpu detect and --gpu-memory-gib exclude each other\n");
            lp_gpu_db_free(user_db);
            return LP_EXIT_USAGE;
        }
        if ((rc = detect_gpu(db, &det, &gpu, &described)) != 0) {
            lp_gpu_db_free(user_db);
            return rc;
        }
    } else if ((rc = lp_cli_select_gpu("plan", &a.g, db, &gpu)) != 0) {
        lp_gpu_db_free(user_db);
        return rc;
    }

    static lp_model model; /* large; one per process */
    lp_model_load_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.revision = a.revision;
    lo.no_safetensors = a.no_safetensors;
    if (lp_model_load(a.model, &lo, &model, &err) != LP_OK) {
        lp_gpu_db_free(user_db);
        return lp_cli_fail(&err);
    }

    static lp_mem_plan plan;
    char used_note[192] = "";
    if (detect) {
        if (!a.sv.seen_tp && a.sv.num_gpus == 0 &&
            (rc = choose_parallelism(&det, &model, &gpu, &s, &plan)) != 0) {
            lp_gpu_db_free(user_db);
            return rc;
        }
        double util = s.gpu_memory_utilization > 0 ? s.gpu_memory_utilization : 0.9;
        int n_used = s.tensor_parallel_size * s.pipeline_parallel_size * s.data_parallel_size;
        if (lp_detect_check_free(&det, n_used, util, used_note, sizeof used_note, &err) != LP_OK) {
            lp_gpu_db_free(user_db);
            return lp_cli_fail(&err);
        }
    }
    lp_status st = lp_mem_plan_with_suggestions(&model, &gpu, &s, db, &plan, &err);
    if (st != LP_OK) {
        lp_gpu_db_free(user_db);
        return lp_cli_fail(&err);
    }
    if (a.g.memory_gib > 0 && plan.n_notes < LP_MAX_MEM_NOTES)
        snprintf(plan.notes[plan.n_notes++], sizeof plan.notes[0],
                 "GPU described on the command line: %.2f GiB total, bf16-capable assumed",
                 a.g.memory_gib);
    if (detect) {
        detect_notes(&det, &gpu, described, plan.num_gpus, used_note, &plan);
        drop_refused_utilization(&det, &plan);
    }
    st = a.json ? lp_render_plan_json(stdout, &model, &gpu, &plan)
                : lp_render_plan_text(stdout, &model, &gpu, &plan);
    lp_gpu_db_free(user_db);
    if (st != LP_OK) {
        fprintf(stderr, "llmplan plan: writing the report failed\n");
        return LP_EXIT_FAILURE;
    }
    if (a.report &&
        lp_cli_report_plan(a.report, argc - 1, argv + 1, a.model, &model, &gpu, &s, &plan) != 0)
        return LP_EXIT_FAILURE;
    return plan.fits ? LP_EXIT_OK : LP_EXIT_INFEASIBLE;
}
