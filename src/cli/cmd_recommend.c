/*
 * cmd_recommend.c - `llmplan recommend` and `llmplan explain`: flags into the recommend and
 * explain use cases (usecase.h), results to the renderers.
 *
 * recommend: what is the best way to serve this model on these GPUs for this workload under
 * these latency targets? The flags become a recommend request (model, GPU types and prices
 * resolved here, at the edge); lp_recommend searches, estimates the shown configurations
 * again, builds their `vllm serve` lines and, when nothing meets the targets, finds the closest
 * misses (exit 3). What stays here is the terminal's: a progress bar when stderr is one,
 * --report, --emit (writing files) and --explain N (the explain use case on rank N).
 * explain: why does one configuration perform as it does: memory breakdown, roofline
 * bottleneck per phase, step-time composition, targets and assumptions (lp_explain).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/gpu_flags.h"
#include "cli/mode_flags.h"
#include "cli/opts.h"
#include "cli/report_data.h"
#include "cli/serving_flags.h"
#include "cli/workload_flags.h"
#include "common/file.h"
#include "llmplan/artifacts.h"
#include "llmplan/hw.h"
#include "llmplan/model.h"
#include "llmplan/render.h"
#include "llmplan/search.h"
#include "llmplan/usecase.h"

static int load_model(const char *cmd, const char *spec, lp_model *m) {
    lp_error err;
    lp_error_clear(&err);
    if (!spec) {
        fprintf(stderr,
                "llmplan %s: --model is required (a HF id such as "
                "meta-llama/Llama-3.1-8B-Instruct, a config.json or a model directory)\n",
                cmd);
        return LP_EXIT_USAGE;
    }
    if (lp_model_load(spec, NULL, m, &err) != LP_OK)
        return lp_cli_fail(&err);
    return 0;
}

/* Explain a result, as text or JSON; the exit code says whether it fits and meets the
 * targets. */
static int print_explanation(const char *cmd, const lp_explain_result *res, bool json) {
    lp_explain_view v;
    lp_explain_result_view(res, &v);
    lp_status st = json ? lp_render_explain_json(stdout, &v) : lp_render_explain_text(stdout, &v);
    if (st != LP_OK)
        return lp_cli_render_failed(cmd);
    if (!res->plan.fits)
        return LP_EXIT_INFEASIBLE;
    if (!res->estimate.valid) {
        fprintf(stderr, "llmplan %s: %s\n", cmd, res->estimate.error);
        return LP_EXIT_INFEASIBLE;
    }
    return res->meets_targets ? LP_EXIT_OK : LP_EXIT_INFEASIBLE;
}

/* ---- recommend ---------------------------------------------------------------------------- */

typedef struct {
    const char *model, *gpus, *gpu, *gpu_file, *vllm_version, *objective, *price_file;
    const char *emit, *out, *report, *interconnect, *load_profile;
    bool emit_disaggregated;
    int64_t max_gpus, gpus_per_node, max_model_len, top, rank, explain, threads;
    double gpu_memory_utilization, headroom_pct;
    lp_cli_targets t;
    bool allow_multi_node_tp, allow_quantization, no_fp8_kv, no_expert_parallel;
    bool json, csv, help, seen_gmu, seen_explain, force, load_sweep;
    lp_cli_workload w;
} rec_args;

static void print_recommend_help(const lp_opt *opts) {
    printf("Usage: llmplan recommend --model MODEL [--gpus LIST | --gpu GPU] [workload] "
           "[targets] [options]\n"
           "\n"
           "Searches the deployment space - GPU type x count (several nodes included) x\n"
           "tensor / pipeline / data parallel sizes x expert parallelism x weight quantization\n"
           "x KV-cache dtype x scheduler limits - drops what vLLM would refuse or what does not\n"
           "fit, estimates the rest with the roofline model, keeps what meets every target and\n"
           "ranks it by the objective. Prints the top configurations, the cost / latency\n"
           "Pareto front, why the rest was rejected and the `vllm serve` command of the best.\n"
           "\n" LP_CLI_WORKLOAD_OPTIONS_HEADING);
    lp_opts_print(opts);
    printf(
        LP_CLI_LEN_DIST_HELP
        "Arrival: --request-rate R (Poisson), --max-concurrency N (closed loop) or\n"
        "--daily-output-tokens T (a mean rate: T / 86400 / mean output length).\n"
        "Objectives: throughput-per-gpu (default), cost ($ per million output tokens, from\n"
        "the embedded price table or --price-file), latency (E2E, then TTFT), gpus (fewest).\n"
        "--price-file: TSV with columns gpu, usd_per_gpu_hour, provider, date, source.\n"
        "\nEach row is one deployment (GPU type x count, parallel layout, quantization, KV\n"
        "dtype) with its best --max-num-seqs / --max-num-batched-tokens; --explain N lists\n"
        "the others. Within 1 %% of the best objective value, lower latency at the target\n"
        "percentile wins, then the model's own checkpoint, fewer nodes, fewer GPUs.\n"
        "Capacity: every row gets max req/s, the highest Poisson request rate one\n"
        "deployment sustains while it keeps up and meets every target (roofline at p50;\n"
        "simulation at p90/p99), and the replicas the load needs with --headroom (default\n"
        "20 %%) spare: a rate against max req/s, --max-concurrency clients against the\n"
        "clients one copy holds there (max req/s x its E2E latency, Little's law).\n"
        "--load-sweep prints latency against load for the top configurations (the --report\n"
        "draws it with the target lines).\n"
        "--load-profile FILE: a day of load as CSV, one row per interval (24 hourly, 96\n"
        "quarter-hours, 1440 per minute): \"HH:MM,requests_per_s\" (\"# comments\", an optional\n"
        "header line), or the rates alone. Sizes the chosen configuration (--rank) per\n"
        "interval and compares GPU-hours and cost with a fixed fleet for the peak. Without\n"
        "--request-rate the search ranks at the profile's mean rate.\n"
        "\nExamples:\n"
        "  llmplan recommend --model meta-llama/Llama-3.3-70B-Instruct --random-input-len 2000 "
        "\\\n"
        "      --random-output-len 300 --request-rate 10 --max-ttft-ms 1500 --max-tpot-ms 50 "
        "\\\n"
        "      --gpus H100,A100-80GB,L40S,H200 --max-gpus 8\n"
        "  llmplan recommend --model Qwen/Qwen3-235B-A22B --gpu H200 --max-gpus 16 "
        "--objective cost \\\n"
        "      --price-file prices.tsv --json\n"
        "  llmplan recommend ... --emit vllm,docker,compose,k8s --out deploy/\n"
        "  llmplan recommend ... --emit all --emit-disaggregated --out deploy-pd/\n"
        "  llmplan recommend --model Qwen/Qwen3-30B-A3B --gpus H100,L40S,A100-80GB --max-gpus 4 "
        "\\\n"
        "      --random-input-len 1000 --random-output-len 500 --max-concurrency 64 "
        "--max-tpot-ms 40\n"
        "  llmplan recommend --model meta-llama/Llama-3.1-8B-Instruct --gpus H100,L40S "
        "--max-ttft-ms 500 \\\n"
        "      --max-tpot-ms 30 --load-profile day.csv --headroom 30 --report plan.html\n"
        "\nExit codes: 0 configurations meet the targets, 3 none does (the report says why),\n"
        "4 more than 2,000,000 configurations to try (narrow the search), 2 bad input,\n"
        "1 I/O failure.\n");
}

static int resolve_gpus(const rec_args *a, const lp_gpu_db *db, const lp_gpu **list, size_t *n) {
    lp_error err;
    *n = 0;
    if (a->gpu && a->gpus)
        return lp_cli_usage_error("recommend", "%s", "give either --gpu or --gpus, not both");
    const char *text = a->gpu ? a->gpu : a->gpus;
    if (!text)
        return 0;
    if (a->gpu) {
        if (lp_gpu_find(db, a->gpu, &list[0], &err) != LP_OK)
            return lp_cli_fail(&err);
        *n = 1;
        return 0;
    }
    char *copy = strdup(text);
    if (!copy) {
        fprintf(stderr, "llmplan recommend: out of memory\n");
        return LP_EXIT_FAILURE;
    }
    int rc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        size_t len = strlen(tok);
        while (len > 0 && tok[len - 1] == ' ')
            tok[--len] = '\0';
        if (!*tok)
            continue;
        if (*n == LP_MAX_GPU_TYPES) {
            fprintf(stderr, "llmplan recommend: --gpus: at most %d GPU types\n", LP_MAX_GPU_TYPES);
            rc = LP_EXIT_USAGE;
            break;
        }
        const lp_gpu *g;
        if (lp_gpu_find(db, tok, &g, &err) != LP_OK) {
            fprintf(stderr, "llmplan recommend: --gpus: %s\n", err.message);
            rc = lp_cli_exit_code(err.code);
            break;
        }
        bool dup = false;
        for (size_t i = 0; i < *n; i++)
            dup = dup || list[i] == g;
        if (!dup)
            list[(*n)++] = g;
    }
    free(copy);
    if (rc == 0 && *n == 0) {
        lp_opts_bad_value("recommend", "--gpus", "a comma-separated list of GPU names", text);
        rc = LP_EXIT_USAGE;
    }
    return rc;
}

static int check_args(const rec_args *a) {
    const char *cmd = "recommend";
    if (a->max_gpus < 1 || a->max_gpus > 65536)
        return lp_cli_usage_error(cmd, "%s: expected between 1 and 65536", "--max-gpus");
    if (a->gpus_per_node < 1 || a->gpus_per_node > 1024)
        return lp_cli_usage_error(cmd, "%s: expected between 1 and 1024", "--gpus-per-node");
    lp_link_kind kind;
    lp_error err;
    if (a->interconnect &&
        (lp_link_parse(a->interconnect, &kind, &err) != LP_OK || !lp_link_is_network(kind)))
        return lp_cli_usage_error(cmd,
                                  "--interconnect: expected infiniband, roce or ethernet, got "
                                  "\"%s\"",
                                  a->interconnect);
    if (a->max_model_len < 0 || a->max_model_len > (1LL << 40))
        return lp_cli_usage_error(cmd, "%s: expected a positive number of tokens",
                                  "--max-model-len");
    if (a->seen_gmu && !(a->gpu_memory_utilization > 0 && a->gpu_memory_utilization <= 1))
        return lp_cli_usage_error(cmd, "%s: expected a fraction in (0, 1]",
                                  "--gpu-memory-utilization");
    if (a->top < 1 || a->top > 100000)
        return lp_cli_usage_error(cmd, "%s: expected between 1 and 100,000", "--top");
    if (a->rank < 1)
        return lp_cli_usage_error(cmd, "%s: expected a rank of 1 or more", "--rank");
    if (a->seen_explain && a->explain < 1)
        return lp_cli_usage_error(cmd, "%s: expected a rank of 1 or more", "--explain");
    if (a->threads < 0 || a->threads > 4096)
        return lp_cli_usage_error(cmd, "%s: expected between 0 (every core) and 4096", "--threads");
    lp_targets targets;
    int trc = lp_cli_targets_build(cmd, &a->t, &targets);
    if (trc != 0)
        return trc;
    if (a->json && a->csv)
        return lp_cli_usage_error(cmd, "%s", "give either --json or --csv");
    if (a->emit_disaggregated && !a->emit)
        return lp_cli_usage_error(cmd, "%s",
                                  "--emit-disaggregated needs --emit KINDS (vllm,k8s or all)");
    if (a->emit && !a->out)
        return lp_cli_usage_error(cmd, "%s", "--emit needs --out DIR (where to write the files)");
    if (a->out && !a->emit)
        return lp_cli_usage_error(cmd, "%s",
                                  "--out needs --emit KINDS (vllm,docker,compose,k8s or all)");
    if (!(a->headroom_pct >= 0 && a->headroom_pct <= 1000))
        return lp_cli_usage_error(cmd, "%s: expected a percentage between 0 and 1000",
                                  "--headroom");
    if (a->seen_explain && (a->json || a->csv))
        return lp_cli_usage_error(cmd, "%s",
                                  "--explain prints a report; it does not combine with "
                                  "--json or --csv");
    return 0;
}

/* Progress on stderr, redrawn when the percentage changes (only when stderr is a terminal). */
typedef struct {
    int last_pct;
    bool drawn;
} progress_state;

static void progress_bar(void *ctx, size_t done, size_t total) {
    enum { WIDTH = 30 };
    progress_state *p = ctx;
    if (total == 0)
        return;
    int pct = (int)(100.0 * (double)done / (double)total);
    if (pct == p->last_pct)
        return;
    p->last_pct = pct;
    p->drawn = true;
    int fill = pct * WIDTH / 100;
    char bar[WIDTH + 1];
    for (int i = 0; i < WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[WIDTH] = '\0';
    fprintf(stderr, "\rsearching [%s] %3d%% %zu/%zu configurations", bar, pct, done, total);
    fflush(stderr);
}

static void progress_clear(progress_state *p) {
    if (p->drawn) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
}

/* --emit-disaggregated: the files of the best disaggregated layout (serve.sh per role, k8s). */
static int emit_disaggregated(const rec_args *a, const lp_recommend_result *r) {
    const lp_disagg_search *dg = &r->disagg;
    if (!dg->found) {
        fprintf(stderr,
                "llmplan recommend: --emit-disaggregated: no disaggregated layout meets the "
                "targets (%s)\n",
                dg->searched ? dg->verdict : dg->note);
        return LP_EXIT_INFEASIBLE;
    }
    lp_deploy d;
    memset(&d, 0, sizeof d);
    d.model = a->model;
    d.gpu = dg->best.gpu;
    d.num_gpus = dg->best.num_gpus;
    d.gpus_per_node = r->spec.gpus_per_node;
    lp_disagg_layout_serving(&dg->best, &d.serving);
    lp_error err;
    lp_error_clear(&err);
    if (lp_artifact_write(&d, a->emit, a->out, a->force, &err) != LP_OK)
        return lp_cli_fail(&err);
    fprintf(stderr,
            "llmplan recommend: wrote the deployment files (%s) of the best disaggregated layout, "
            "%dP%dD, to %s\n",
            a->emit, dg->best.prefill_instances, dg->best.decode_instances, a->out);
    return 0;
}

static int emit_artifacts(const rec_args *a, const lp_recommend_result *r) {
    if (a->emit_disaggregated)
        return emit_disaggregated(a, r);
    size_t idx = (size_t)a->rank - 1;
    if (idx >= r->search.n_ranked) {
        fprintf(stderr,
                "llmplan recommend: --rank %lld: only %zu configuration%s meet%s the "
                "targets\n",
                (long long)a->rank, r->search.n_ranked, r->search.n_ranked == 1 ? "" : "s",
                r->search.n_ranked == 1 ? "s" : "");
        return LP_EXIT_USAGE;
    }
    const lp_candidate *c = &r->search.ranked[idx];
    lp_deploy d;
    memset(&d, 0, sizeof d);
    d.model = a->model;
    d.gpu = c->gpu;
    d.num_gpus = c->num_gpus;
    d.gpus_per_node = r->spec.gpus_per_node;
    lp_candidate_serving(c, &d.serving);
    lp_error err;
    lp_error_clear(&err);
    if (lp_artifact_write(&d, a->emit, a->out, a->force, &err) != LP_OK)
        return lp_cli_fail(&err);
    fprintf(stderr, "llmplan recommend: wrote the deployment files (%s) of #%zu to %s\n", a->emit,
            idx + 1, a->out);
    char ckpt[128];
    if (lp_candidate_needs_checkpoint(c, r->spec.model, ckpt, sizeof ckpt))
        fprintf(stderr,
                "llmplan recommend: note: the files serve %s with --quantization %s, which vLLM "
                "only accepts for %s: replace the model id in them\n",
                a->model, c->quantization, ckpt);
    return 0;
}

/* --explain N: the explain use case on the configuration ranked N. */
static int recommend_explain(const rec_args *a, const lp_recommend_request *rq,
                             const lp_recommend_result *r, const lp_gpu_db *db) {
    size_t idx = (size_t)a->explain - 1;
    if (idx >= r->search.n_ranked) {
        if (r->search.n_ranked == 0) {
            char line[1024];
            fprintf(stderr,
                    "llmplan recommend: --explain %lld: no configuration meets the "
                    "targets (%s)\n",
                    (long long)a->explain,
                    lp_render_rejections(line, sizeof line, &r->search, &r->spec.targets));
            return LP_EXIT_INFEASIBLE;
        }
        fprintf(stderr,
                "llmplan recommend: --explain %lld: only %zu configuration%s meet%s the "
                "targets\n",
                (long long)a->explain, r->search.n_ranked, r->search.n_ranked == 1 ? "" : "s",
                r->search.n_ranked == 1 ? "s" : "");
        return LP_EXIT_USAGE;
    }
    const lp_candidate *c = &r->search.ranked[idx];
    static lp_explain_request in;
    static lp_explain_result res;
    lp_explain_request_init(&in);
    in.model = rq->spec.model;
    in.model_id = a->model;
    lp_cluster_init(&in.cluster, c->gpu);
    in.cluster.gpus_per_node = rq->spec.gpus_per_node;
    in.db = db;
    lp_candidate_serving(c, &in.serving);
    in.workload = rq->spec.workload;
    in.daily_output_tokens = rq->spec.daily_output_tokens;
    in.targets = rq->spec.targets;
    in.candidate = c;
    in.rank = idx + 1;
    in.objective = rq->spec.objective;
    if (c->n_variants > 0 && c->variants_first + c->n_variants <= r->search.n_variants) {
        in.variants = &r->search.variants[c->variants_first];
        in.n_variants = c->n_variants;
    }
    lp_error err;
    lp_error_clear(&err);
    if (lp_explain(&in, &res, &err) != LP_OK)
        return lp_cli_fail(&err);
    return print_explanation("recommend", &res, false);
}

static int report(const rec_args *a, const lp_recommend_result *r, int argc, char **argv) {
    size_t chosen = (size_t)a->rank - 1;
    if (r->search.n_ranked > 0 && chosen >= r->search.n_ranked) {
        fprintf(stderr,
                "llmplan recommend: --rank %lld: only %zu configuration%s meet%s the targets\n",
                (long long)a->rank, r->search.n_ranked, r->search.n_ranked == 1 ? "" : "s",
                r->search.n_ranked == 1 ? "s" : "");
        return LP_EXIT_USAGE;
    }
    lp_recommend_view v;
    lp_recommend_result_view(r, &v);
    lp_status st = a->json  ? lp_render_recommend_json(stdout, &v)
                   : a->csv ? lp_render_recommend_csv(stdout, &v)
                            : lp_render_recommend_text(stdout, &v);
    if (st != LP_OK)
        return lp_cli_render_failed("recommend");
    if (a->report) {
        int rc = lp_cli_report_recommend(a->report, a->force, argc - 1, argv + 1, &v,
                                         r->spec.workload.num_prompts);
        if (rc != 0)
            return rc;
    }
    if (r->search.n_ranked == 0) {
        char line[1024];
        fprintf(stderr, "llmplan recommend: no configuration meets the targets: %s\n",
                lp_render_rejections(line, sizeof line, &r->search, &r->spec.targets));
        return LP_EXIT_INFEASIBLE;
    }
    return LP_EXIT_OK;
}

/* The flags as a recommend request; GPU types, prices and the model resolved here. Prints the
 * error and returns the exit code on failure. The caller frees *gpus, *prices, *user_db. */
static int build_recommend(const rec_args *a, lp_recommend_request *rq, lp_cli_hist_store hs[2],
                           lp_model *model, const lp_gpu **gpu_list, const lp_gpu ***all_gpus,
                           lp_price_table **prices, lp_gpu_db **user_db, const lp_gpu_db **db) {
    lp_recommend_request_init(rq);
    lp_search_spec *spec = &rq->spec;
    lp_error err;
    lp_error_clear(&err);
    if (a->objective && lp_objective_parse(a->objective, &spec->objective, &err) != LP_OK) {
        fprintf(stderr, "llmplan recommend: %s\n", err.message);
        return LP_EXIT_USAGE;
    }
    if (a->vllm_version &&
        lp_vllm_version_parse(a->vllm_version, &spec->vllm_version, &err) != LP_OK)
        return lp_cli_fail(&err);
    int rc = lp_cli_build_workload("recommend", &a->w, &spec->workload, hs);
    if (rc != 0)
        return rc;
    spec->daily_output_tokens = a->w.daily_output_tokens;
    if ((rc = lp_cli_open_gpu_db(a->gpu_file, user_db, db)) != 0)
        return rc;
    size_t n_gpus = 0;
    if ((rc = resolve_gpus(a, *db, gpu_list, &n_gpus)) != 0)
        return rc;
    if (n_gpus == 0 && *user_db) {
        /* every GPU of the database the user extended, not only the embedded one */
        size_t n = lp_gpu_db_count(*db);
        *all_gpus = calloc(n ? n : 1, sizeof **all_gpus);
        if (!*all_gpus) {
            fprintf(stderr, "llmplan recommend: out of memory\n");
            return LP_EXIT_FAILURE;
        }
        for (size_t i = 0; i < n; i++)
            (*all_gpus)[i] = lp_gpu_db_at(*db, i);
        n_gpus = n;
    }
    if (a->price_file && lp_price_table_load(a->price_file, prices, &err) != LP_OK) {
        fprintf(stderr, "llmplan recommend: --price-file: %s\n", err.message);
        return lp_cli_exit_code(err.code);
    }
    if ((rc = load_model("recommend", a->model, model)) != 0)
        return rc;
    spec->model = model;
    spec->gpus = n_gpus == 0 ? NULL : (*all_gpus ? *all_gpus : gpu_list);
    spec->n_gpus = n_gpus;
    spec->max_gpus = (int)a->max_gpus;
    spec->gpus_per_node = (int)a->gpus_per_node;
    spec->allow_multi_node_tp = a->allow_multi_node_tp;
    if (a->interconnect && lp_link_parse(a->interconnect, &spec->inter_node_link, &err) == LP_OK)
        spec->inter_node_link_given = true;
    spec->allow_quantization = a->allow_quantization;
    spec->no_fp8_kv = a->no_fp8_kv;
    spec->no_expert_parallel = a->no_expert_parallel;
    spec->max_model_len = a->max_model_len;
    if (a->seen_gmu)
        spec->gpu_memory_utilization = a->gpu_memory_utilization;
    lp_cli_targets_build("recommend", &a->t, &spec->targets); /* checked in check_args */
    spec->prices = *prices;
    spec->threads = (int)a->threads;
    rq->model_id = a->model;
    rq->top = (size_t)a->top;
    rq->chosen = (size_t)a->rank - 1;
    rq->headroom = a->headroom_pct / 100.0;
    rq->load_sweep = a->load_sweep || a->report ? LP_RECOMMEND_SWEEP_MAX : 0;
    return 0;
}

/* A day of load per minute is 1440 short rows; a few comments on top stay far below this. */
#define LOAD_PROFILE_MAX_BYTES (1u << 20)

/* --load-profile FILE: read and check the CSV (the library parses the text). */
static int read_load_profile(const char *path, lp_load_profile *out) {
    char *text = NULL;
    size_t len = 0;
    lp_error err;
    lp_error_clear(&err);
    lp_status st = lp_read_file(path, "load profile", LOAD_PROFILE_MAX_BYTES, &text, &len, &err);
    if (st == LP_OK)
        st = lp_load_profile_parse(text, len, path, out, &err);
    free(text);
    if (st != LP_OK) {
        fprintf(stderr, "llmplan recommend: --load-profile: %s\n", err.message);
        return lp_cli_exit_code(st);
    }
    return 0;
}

int lp_cmd_recommend(int argc, char **argv) {
    rec_args a;
    memset(&a, 0, sizeof a);
    a.max_gpus = 8;
    a.gpus_per_node = 8;
    a.top = 10;
    a.rank = 1;
    a.headroom_pct = 100 * LP_RECOMMEND_DEFAULT_HEADROOM;
    lp_cli_targets_init(&a.t);
    lp_cli_workload_init(&a.w);
    const lp_opt opts[] = {
        LP_OPT_MODEL(a.model),
        {"--gpus", NULL, LP_OPT_STRING, &a.gpus, "LIST",
         "GPU types to consider (H100,A100-80GB,...; default all)", NULL},
        {"--gpu", NULL, LP_OPT_STRING, &a.gpu, "GPU", "consider one GPU type only", NULL},
        {"--gpu-file", NULL, LP_OPT_STRING, &a.gpu_file, "TSV",
         "add or override GPU rows (same columns as data/gpus.tsv)", NULL},
        {"--max-gpus", NULL, LP_OPT_INT, &a.max_gpus, "N",
         "most GPUs in one deployment (default 8)", NULL},
        {"--gpus-per-node", NULL, LP_OPT_INT, &a.gpus_per_node, "N", "GPUs in a node (default 8)",
         NULL},
        {"--allow-multi-node-tp", NULL, LP_OPT_FLAG, &a.allow_multi_node_tp, NULL,
         "allow tensor parallelism across nodes", NULL},
        {"--interconnect", NULL, LP_OPT_STRING, &a.interconnect, "L",
         "network between nodes: infiniband, roce or ethernet (default: RDMA assumed)", NULL},
        {"--allow-quantization", NULL, LP_OPT_FLAG, &a.allow_quantization, NULL,
         "also try fp8 and 4-bit weights", NULL},
        {"--no-fp8-kv", NULL, LP_OPT_FLAG, &a.no_fp8_kv, NULL, "do not try --kv-cache-dtype fp8",
         NULL},
        {"--no-expert-parallel", NULL, LP_OPT_FLAG, &a.no_expert_parallel, NULL,
         "do not try --enable-expert-parallel", NULL},
        {"--max-model-len", NULL, LP_OPT_INT, &a.max_model_len, "N",
         "context to serve (default: longest input + output)", NULL},
        {"--gpu-memory-utilization", NULL, LP_OPT_DOUBLE, &a.gpu_memory_utilization, "F",
         "fraction of GPU memory for vLLM (default 0.9)", &a.seen_gmu},
        {"--vllm-version", NULL, LP_OPT_STRING, &a.vllm_version, "V",
         "vLLM release to reproduce (default: latest)", NULL},
        LP_CLI_WORKLOAD_OPTS(a.w),
        LP_CLI_DAILY_OPT(a.w),
        LP_CLI_TARGET_OPTS(a.t),
        {"--objective", NULL, LP_OPT_STRING, &a.objective, "O",
         "throughput-per-gpu (default), cost, latency, gpus", NULL},
        {"--price-file", NULL, LP_OPT_STRING, &a.price_file, "TSV",
         "$ per GPU-hour (default: the embedded table)", NULL},
        {"--top", NULL, LP_OPT_INT, &a.top, "N", "deployments to show (default 10)", NULL},
        {"--headroom", NULL, LP_OPT_DOUBLE, &a.headroom_pct, "PCT",
         "spare capacity when sizing replicas (default 20)", NULL},
        {"--load-sweep", NULL, LP_OPT_FLAG, &a.load_sweep, NULL,
         "latency against load for the top configurations", NULL},
        {"--load-profile", NULL, LP_OPT_STRING, &a.load_profile, "CSV",
         "a day of load: size the chosen configuration per interval", NULL},
        {"--json", NULL, LP_OPT_FLAG, &a.json, NULL, "print one JSON object", NULL},
        {"--csv", NULL, LP_OPT_FLAG, &a.csv, NULL, "print CSV (a header row, one row each)", NULL},
        {"--report", NULL, LP_OPT_STRING, &a.report, "FILE",
         "also write a report with charts: FILE.html or FILE.md", NULL},
        {"--emit", NULL, LP_OPT_STRING, &a.emit, "KINDS",
         "write vllm,docker,compose,k8s (or all) files ...", NULL},
        {"--out", NULL, LP_OPT_STRING, &a.out, "DIR", "  ... into DIR", NULL},
        {"--force", NULL, LP_OPT_FLAG, &a.force, NULL, "replace --emit / --report files that exist",
         NULL},
        {"--rank", NULL, LP_OPT_INT, &a.rank, "N",
         "the configuration --emit writes (default 1: the best)", NULL},
        {"--emit-disaggregated", NULL, LP_OPT_FLAG, &a.emit_disaggregated, NULL,
         "--emit the best disaggregated prefill/decode layout instead", NULL},
        {"--explain", NULL, LP_OPT_INT, &a.explain, "N",
         "explain ranked configuration N instead of the table", &a.seen_explain},
        {"--threads", NULL, LP_OPT_INT, &a.threads, "N", "search threads (default 0: every core)",
         NULL},
        LP_OPT_HELP_AND_END(a.help),
    };
    int rc = lp_opts_command("recommend", opts, argc, argv, 2, &a.help, print_recommend_help);
    if (rc != LP_OPTS_RUN)
        return rc;
    if (!a.model) {
        fprintf(stderr, "llmplan recommend: --model is required (a HF id such as "
                        "meta-llama/Llama-3.3-70B-Instruct, a config.json or a model directory; "
                        "see llmplan recommend --help)\n");
        return LP_EXIT_USAGE;
    }
    rc = check_args(&a);
    if (rc != 0)
        return rc;
    if ((rc = lp_cli_report_check("recommend", a.report, a.force)) != 0)
        return rc;
    if (a.emit && a.out) {
        /* the deployment files, before the search: nothing is replaced without --force */
        lp_error cerr;
        if (lp_artifact_check(a.emit, a.out, a.force, &cerr) != LP_OK)
            return lp_cli_fail(&cerr);
    }

    static lp_recommend_request rq;
    static lp_recommend_result res;
    static lp_model model;
    static const lp_gpu *gpu_list[LP_MAX_GPU_TYPES];
    const lp_gpu **all_gpus = NULL;
    lp_price_table *prices = NULL;
    lp_gpu_db *user_db = NULL;
    const lp_gpu_db *db = NULL;
    lp_cli_hist_store hs[2] = {{0}};
    static lp_load_profile profile;
    if (a.load_profile && (rc = read_load_profile(a.load_profile, &profile)) != 0)
        return rc;
    rc = build_recommend(&a, &rq, hs, &model, gpu_list, &all_gpus, &prices, &user_db, &db);
    if (rc == 0 && a.load_profile)
        rq.load_profile = &profile;
    if (rc == 0) {
        static progress_state progress = {-1, false};
        if (isatty(STDERR_FILENO)) {
            rq.spec.progress = progress_bar;
            rq.spec.progress_ctx = &progress;
        }
        lp_error err;
        lp_error_clear(&err);
        lp_status st = lp_recommend(&rq, &res, &err);
        progress_clear(&progress);
        if (st != LP_OK)
            rc = lp_cli_fail(&err);
    }
    if (rc == 0 && a.seen_explain) {
        rc = recommend_explain(&a, &rq, &res, db);
    } else if (rc == 0) {
        rc = report(&a, &res, argc, argv);
        if (rc == LP_EXIT_OK && a.emit)
            rc = emit_artifacts(&a, &res);
    }
    lp_recommend_result_free(&res);
    free(all_gpus);
    lp_price_table_free(prices);
    lp_gpu_db_free(user_db);
    lp_cli_hist_free(&hs[0]);
    lp_cli_hist_free(&hs[1]);
    return rc;
}

/* ---- explain ------------------------------------------------------------------------------ */

typedef struct {
    const char *model;
    lp_cli_gpu_flags g; /* --gpu, --gpu-file and a described GPU */
    lp_cli_serving sv;  /* the vLLM engine flags */
    lp_cli_modes m;     /* the serving modes' flags */
    int64_t gpus_per_node;
    lp_cli_targets t;
    bool help, json;
    lp_cli_workload w;
} explain_args;

static void print_explain_help(const lp_opt *opts) {
    printf("Usage: llmplan explain --model MODEL --gpu GPU [-tp N -pp N ...] [workload] "
           "[targets]\n"
           "       llmplan recommend ... --explain N\n"
           "\n"
           "Explains one configuration: vLLM's start-up memory arithmetic per GPU (what the\n"
           "weights, activations, non-torch memory and CUDA graphs leave for the KV cache),\n"
           "the roofline estimate with what bounds each phase (compute, memory bandwidth,\n"
           "communication, host overhead) and how a prefill and a decode step split into\n"
           "those parts, the targets with their margins, and the assumptions behind it all.\n"
           "With `recommend --explain N` it explains the configuration ranked N.\n"
           "\n"
           "Options (spelled as `vllm serve` and `vllm bench serve` spell them):\n");
    lp_opts_print(opts);
    printf("\nExamples:\n"
           "  llmplan explain --model meta-llama/Llama-3.3-70B-Instruct --gpu H100 -tp 4 \\\n"
           "      --random-input-len 2000 --random-output-len 300 --request-rate 10\n"
           "  llmplan recommend --model Qwen/Qwen3-32B --gpus H100,L40S --max-ttft-ms 500 "
           "--explain 2\n"
           "\nExit codes: 0 fits (and meets the targets given), 3 does not fit or misses a "
           "target,\n2 bad input, 1 I/O failure.\n");
}

int lp_cmd_explain(int argc, char **argv) {
    explain_args a;
    memset(&a, 0, sizeof a);
    lp_cli_serving_init(&a.sv);
    a.gpus_per_node = 8;
    lp_cli_targets_init(&a.t);
    lp_cli_workload_init(&a.w);
    const lp_opt opts[] = {
        LP_OPT_MODEL(a.model),
        LP_CLI_GPU_OPTS(a.g),
        {"--gpus-per-node", NULL, LP_OPT_INT, &a.gpus_per_node, "N", "GPUs in a node (default 8)",
         NULL},
        LP_CLI_SERVING_OPTS(a.sv),
        LP_CLI_MODE_OPTS(a.m),
        LP_CLI_WORKLOAD_OPTS(a.w),
        LP_CLI_DAILY_OPT(a.w),
        LP_CLI_TARGET_OPTS(a.t),
        {"--json", NULL, LP_OPT_FLAG, &a.json, NULL, "print one JSON object", NULL},
        LP_OPT_HELP_AND_END(a.help),
    };
    int rc = lp_opts_command("explain", opts, argc, argv, 2, &a.help, print_explain_help);
    if (rc != LP_OPTS_RUN)
        return rc;
    if (!a.model)
        return lp_cli_usage_error(
            "explain", "%s", "--model is required (a HF id, a config.json or a model directory)");
    if (!a.g.gpu && a.g.memory_gib <= 0)
        return lp_cli_usage_error("explain", "%s", "--gpu is required (see `llmplan gpus`)");
    if (a.gpus_per_node < 1 || a.gpus_per_node > 1024)
        return lp_cli_usage_error("explain", "%s: expected between 1 and 1024", "--gpus-per-node");
    static lp_explain_request in;
    static lp_explain_result res;
    static lp_gpu gpu;
    static lp_model model, draft;
    lp_explain_request_init(&in);
    rc = lp_cli_targets_build("explain", &a.t, &in.targets);
    if (rc == 0)
        rc = lp_cli_build_serving("explain", &a.sv, &in.serving);
    lp_cli_hist_store hs[2] = {{0}};
    if (rc == 0)
        rc = lp_cli_build_workload("explain", &a.w, &in.workload, hs);
    in.daily_output_tokens = a.w.daily_output_tokens;
    lp_gpu_db *user_db = NULL;
    const lp_gpu_db *db = NULL;
    if (rc == 0)
        rc = lp_cli_open_gpu_db(a.g.gpu_file, &user_db, &db);
    if (rc == 0)
        rc = lp_cli_select_gpu("explain", &a.g, db, &gpu);
    if (rc == 0)
        rc = load_model("explain", a.model, &model);
    if (rc == 0) {
        lp_cluster_init(&in.cluster, &gpu);
        rc = lp_cli_build_modes("explain", &a.m, db, &in.serving, &in.cluster, &draft);
    }
    if (rc == 0) {
        in.model = &model;
        in.model_id = a.model;
        in.cluster.gpus_per_node = (int)a.gpus_per_node;
        in.gpu_described = a.g.memory_gib > 0;
        in.db = db;
        lp_error err;
        lp_error_clear(&err);
        if (lp_explain(&in, &res, &err) != LP_OK)
            rc = lp_cli_fail(&err);
        else
            rc = print_explanation("explain", &res, a.json);
    }
    lp_gpu_db_free(user_db);
    lp_cli_hist_free(&hs[0]);
    lp_cli_hist_free(&hs[1]);
    return rc;
}
