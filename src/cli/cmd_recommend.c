/*
 * cmd_recommend.c - `llmplan recommend` and `llmplan explain`.
 *
 * recommend: what is the best way to serve this model on these GPUs for this workload under
 * these latency targets? Parses the flags into an lp_search_spec, runs lp_search_run (with a
 * progress bar on stderr when stderr is a terminal), re-estimates the configurations it shows
 * to report every statistic `vllm bench serve` has, asks the artifacts module for their
 * `vllm serve` command lines and hands all of it to the renderers; --emit writes the
 * deployment files of one ranked configuration; --explain N explains one. When nothing meets
 * the targets it searches again without them to show the closest misses, and exits 3.
 * explain: why does one configuration (plan-style flags, or rank N of a search) perform as it
 * does: memory breakdown, roofline bottleneck per phase, step-time composition, assumptions.
 * The search, estimates and files are the library's; only flags, dispatch and printing live
 * here.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "cli/gpu_flags.h"
#include "cli/serving_flags.h"
#include "cli/workload_flags.h"
#include "cli/report_data.h"
#include "llmplan/artifacts.h"
#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/perf.h"
#include "llmplan/render.h"
#include "llmplan/search.h"

/* ShareGPT-like preset: the mean lengths quoted for vLLM's ShareGPT benchmark runs
 * (../shared/validation/README.md: about 202 input / 179 output tokens), as `estimate`. */
#define SHAREGPT_MEAN_INPUT 202.0
#define SHAREGPT_MEAN_OUTPUT 179.0
/* Most GPU types one --gpus list may name. */
#define MAX_GPU_TYPES 64
/* Closest misses shown when nothing meets the targets. */
#define MAX_MISSES 3
/* Seconds in a day, for --daily-output-tokens. */
#define SECONDS_PER_DAY 86400.0

/* ---- workload flags, spelled as `vllm bench serve` and `llmplan estimate` spell them ------ */

/* The parsed workload: lengths, arrival and the bench size. */
typedef struct {
    lp_len_dist input, output;
    double request_rate; /* req/s; 0: none given */
    int max_concurrency;
    int num_prompts;
    double daily_output_tokens;
    bool sharegpt;
    lp_cli_hist_store hist[2];
} workload;

static void workload_free(workload *w) {
    for (int i = 0; i < 2; i++) {
        free(w->hist[i].values);
        free(w->hist[i].weights);
    }
}

static int build_workload(const char *cmd, const lp_cli_workload *a, workload *w) {
    memset(w, 0, sizeof *w);
    if (a->dataset) {
        if (strcasecmp(a->dataset, "sharegpt") == 0)
            w->sharegpt = true;
        else if (strcasecmp(a->dataset, "random") != 0)
            return lp_cli_usage_error(
                cmd, "--dataset-name: expected random or sharegpt, got \"%s\"", a->dataset);
    }
    if (a->input_len < 1 || a->input_len > 10000000)
        return lp_cli_usage_error(cmd, "%s: expected between 1 and 10,000,000 tokens",
                                  "--random-input-len");
    if (a->output_len < 1 || a->output_len > 10000000)
        return lp_cli_usage_error(cmd, "%s: expected between 1 and 10,000,000 tokens",
                                  "--random-output-len");
    w->input = lp_len_fixed((double)a->input_len);
    w->output = lp_len_fixed((double)a->output_len);
    if (w->sharegpt) {
        w->input.kind = w->output.kind = LP_LEN_SHAREGPT;
        w->input.mean = a->seen_input_len ? (double)a->input_len : SHAREGPT_MEAN_INPUT;
        w->output.mean = a->seen_output_len ? (double)a->output_len : SHAREGPT_MEAN_OUTPUT;
    }
    int rc;
    double in_mean = a->seen_input_len ? (double)a->input_len : SHAREGPT_MEAN_INPUT;
    double out_mean = a->seen_output_len ? (double)a->output_len : SHAREGPT_MEAN_OUTPUT;
    if (a->input_dist && (rc = lp_cli_parse_len_dist(cmd, "--input-len-dist", a->input_dist,
                                                     in_mean, &w->input, &w->hist[0])) != 0)
        return rc;
    if (a->output_dist && (rc = lp_cli_parse_len_dist(cmd, "--output-len-dist", a->output_dist,
                                                      out_mean, &w->output, &w->hist[1])) != 0)
        return rc;
    if (a->max_concurrency < 0 || a->max_concurrency > 10000000)
        return lp_cli_usage_error(cmd, "%s: expected between 1 and 10,000,000",
                                  "--max-concurrency");
    w->max_concurrency = (int)a->max_concurrency;
    if (a->num_prompts < 1 || a->num_prompts > 10000000)
        return lp_cli_usage_error(cmd, "%s: expected between 1 and 10,000,000", "--num-prompts");
    w->num_prompts = (int)a->num_prompts;
    if (a->request_rate && strcasecmp(a->request_rate, "inf") != 0) {
        char *end;
        errno = 0;
        double v = strtod(a->request_rate, &end);
        if (errno || end == a->request_rate || *end || !(v > 0) || !isfinite(v))
            return lp_cli_usage_error(cmd,
                                      "--request-rate: expected a positive number of requests per "
                                      "second or inf, got \"%s\"",
                                      a->request_rate);
        w->request_rate = v;
    }
    if (a->daily_output_tokens < 0 || !isfinite(a->daily_output_tokens))
        return lp_cli_usage_error(cmd, "%s: expected a positive number of output tokens per day",
                                  "--daily-output-tokens");
    w->daily_output_tokens = a->daily_output_tokens;
    if (w->daily_output_tokens > 0 && w->request_rate > 0)
        return lp_cli_usage_error(cmd, "%s: give either --request-rate or --daily-output-tokens",
                                  "--daily-output-tokens");
    return 0;
}

/*
 * The workload as a performance request. As the search reads it (search_order), one arrival
 * process only: a request rate, else a concurrency, else a daily volume as a mean rate; so
 * that a configuration estimated again matches the search's numbers. Otherwise (explain with
 * flags) rate and concurrency combine as in `vllm bench serve`.
 */
static void workload_to_request(const workload *w, bool search_order, lp_perf_request *r) {
    r->workload.input = w->input;
    r->workload.output = w->output;
    r->workload.num_prompts = w->num_prompts;
    r->workload.request_rate = w->request_rate;
    r->workload.max_concurrency = w->max_concurrency;
    if (search_order && r->workload.request_rate > 0)
        r->workload.max_concurrency = 0;
    if (!(r->workload.request_rate > 0) && !(search_order && r->workload.max_concurrency > 0) &&
        w->daily_output_tokens > 0) {
        /* a daily volume is a mean rate: tokens per second over the mean output length */
        double out = lp_len_mean(&w->output);
        if (out > 0)
            r->workload.request_rate = w->daily_output_tokens / SECONDS_PER_DAY / out;
    }
}

/* Output tokens/s the workload offers (a rate or a daily volume), 0 for a closed loop. */
static double offered_output_tok_s(const workload *w) {
    if (w->request_rate > 0)
        return w->request_rate * lp_len_mean(&w->output);
    if (w->max_concurrency > 0)
        return 0;
    return w->daily_output_tokens / SECONDS_PER_DAY;
}

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

/* A shell word: left bare when it holds only safe characters, else single-quoted. */
static void shell_word(char *buf, size_t size, size_t *used, const char *w) {
    bool safe = *w != '\0';
    for (const char *p = w; *p && safe; p++)
        safe = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
               strchr("_@%+=:,./-", *p) != NULL;
    /* the placeholder for node 0's address stays a variable the shell expands */
    if (strcmp(w, "$MASTER_ADDR") == 0)
        safe = true;
    size_t u = *used;
    if (safe) {
        int n = snprintf(buf + u, u < size ? size - u : 0, "%s", w);
        *used = u + (size_t)(n > 0 ? n : 0);
        return;
    }
    if (u < size)
        buf[u] = '\'';
    u++;
    for (const char *p = w; *p; p++) {
        const char *piece = *p == '\'' ? "'\\''" : NULL;
        if (piece) {
            for (const char *q = piece; *q; q++, u++)
                if (u < size)
                    buf[u] = *q;
        } else {
            if (u < size)
                buf[u] = *p;
            u++;
        }
    }
    if (u < size)
        buf[u] = '\'';
    u++;
    if (u < size)
        buf[u] = '\0';
    *used = u;
}

static void candidate_deploy(const char *model_spec, const lp_candidate *c, int gpus_per_node,
                             lp_deploy *d) {
    memset(d, 0, sizeof *d);
    d->model = model_spec;
    d->gpu = c->gpu;
    d->num_gpus = c->num_gpus;
    d->gpus_per_node = gpus_per_node;
    lp_candidate_serving(c, &d->serving);
}

/*
 * The `vllm serve` command of a deployment as one shell line (node 0's command for several
 * nodes, with $MASTER_ADDR for its address), or NULL when the artifacts module cannot build
 * one (the reason is left in err). Caller frees.
 */
static char *serve_command(const lp_deploy *d, lp_error *err) {
    char **argv = NULL;
    int argc = 0;
    lp_args_opts ao;
    memset(&ao, 0, sizeof ao);
    ao.form = LP_ARGS_VLLM_SERVE;
    if (lp_artifact_num_nodes(d) > 1)
        ao.master_addr = "$MASTER_ADDR";
    if (lp_artifact_vllm_args(d, &ao, &argv, &argc, err) != LP_OK)
        return NULL;
    /* quoting at most quadruples a character ('\'' for '), plus quotes and a space */
    size_t cap = 1;
    for (int i = 0; i < argc; i++)
        cap += 4 * strlen(argv[i]) + 3;
    char *buf = malloc(cap);
    if (!buf) {
        lp_artifact_args_free(argv, argc);
        lp_error_set(err, LP_ERR_NOMEM, "out of memory");
        return NULL;
    }
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < argc; i++) {
        if (i > 0)
            buf[used++] = ' ';
        shell_word(buf, cap, &used, argv[i]);
    }
    buf[used < cap ? used : cap - 1] = '\0';
    lp_artifact_args_free(argv, argc);
    return buf;
}

/* ---- explain (shared by `llmplan explain` and `recommend --explain N`) -------------------- */

typedef struct {
    const lp_model *model;
    const char *model_spec;
    const lp_gpu *gpu;
    const lp_gpu_db *db;
    lp_serving serving;
    int num_gpus, gpus_per_node;
    const workload *load;
    const lp_targets *targets;
    const lp_candidate *candidate; /* from a search, or NULL */
    size_t rank;
    lp_objective objective;
    bool gpu_described;
} explain_input;

/* A prefill step of the mean prompt (up to the token budget) and a decode step at the
 * estimate's mean batch: the two steps whose composition says what bounds each phase. */
static void explain_steps(const explain_input *in, const lp_mem_plan *plan,
                          const lp_perf_estimate *est, lp_step_time *prefill,
                          double *prefill_tokens, lp_step_time *decode, double *decode_seqs,
                          bool *have) {
    lp_step_model sm;
    lp_error err;
    *have = false;
    lp_cluster cluster;
    lp_cluster_init(&cluster, in->gpu);
    cluster.gpus_per_node = in->gpus_per_node;
    if (lp_step_model_init(in->model, &cluster, plan, &sm, NULL, &err) != LP_OK)
        return;
    double in_mean = lp_len_mean(&in->load->input);
    double out_mean = lp_len_mean(&in->load->output);
    double budget = plan->max_num_batched_tokens > 0 ? plan->max_num_batched_tokens : in_mean;
    lp_step_batch b;
    memset(&b, 0, sizeof b);
    b.prefill_tokens = in_mean < budget ? in_mean : budget;
    /* causal attention: token i attends to i positions */
    b.prefill_ctx = b.prefill_tokens * (b.prefill_tokens + 1) / 2;
    b.prefill_seqs = b.prefill_tokens >= in_mean ? 1 : 0;
    lp_step_eval(&sm, &b, prefill);
    *prefill_tokens = b.prefill_tokens;
    memset(&b, 0, sizeof b);
    b.decode_seqs = est->mean_batch >= 1 ? est->mean_batch : 1;
    b.decode_ctx = b.decode_seqs * (in_mean + out_mean / 2);
    lp_step_eval(&sm, &b, decode);
    *decode_seqs = b.decode_seqs;
    *have = true;
}

static bool meets(const lp_targets *t, const lp_perf_estimate *e) {
    if (!t)
        return true;
    int pct = t->percentile > 0 ? t->percentile : 50;
    const lp_stat *s[4] = {&e->ttft_ms, &e->tpot_ms, &e->itl_ms, &e->e2el_ms};
    const double lim[4] = {t->max_ttft_ms, t->max_tpot_ms, t->max_itl_ms, t->max_e2e_ms};
    for (int i = 0; i < 4; i++) {
        if (!(lim[i] > 0))
            continue;
        double v = pct >= 99 ? s[i]->p99 : (pct >= 90 ? s[i]->p90 : s[i]->median);
        if (isfinite(v) && v > lim[i])
            return false;
    }
    return !(t->min_output_tok_s > 0) || e->output_tok_s >= t->min_output_tok_s;
}

static int run_explain(const explain_input *in) {
    static lp_mem_plan plan;
    static lp_perf_request req;
    static lp_perf_estimate est;
    lp_error err;
    lp_error_clear(&err);
    lp_status st =
        lp_mem_plan_with_suggestions(in->model, in->gpu, &in->serving, in->db, &plan, &err);
    if (st != LP_OK)
        return lp_cli_fail(&err);
    if (in->gpu_described && plan.n_notes < LP_MAX_MEM_NOTES)
        snprintf(plan.notes[plan.n_notes++], sizeof plan.notes[0],
                 "GPU described on the command line: %.2f GiB total, bf16-capable assumed",
                 in->gpu->usable_gib);
    lp_perf_request_init(&req);
    req.model = in->model;
    req.cluster.gpu = in->gpu;
    req.cluster.num_gpus = in->num_gpus;
    req.serving = in->serving;
    req.method = LP_ROOFLINE;
    workload_to_request(in->load, in->candidate != NULL, &req);
    bool estimated = false;
    lp_step_time prefill, decode;
    double prefill_tokens = 0, decode_seqs = 0;
    bool have_steps = false;
    if (plan.fits) {
        estimated = lp_estimate_performance(&req, &est) == LP_OK;
        if (estimated)
            explain_steps(in, &plan, &est, &prefill, &prefill_tokens, &decode, &decode_seqs,
                          &have_steps);
    }
    lp_deploy d;
    memset(&d, 0, sizeof d);
    d.model = in->model_spec;
    d.gpu = in->gpu;
    d.num_gpus = in->num_gpus;
    d.gpus_per_node = in->gpus_per_node;
    d.serving = in->serving;
    lp_error serr;
    char *serve = plan.fits ? serve_command(&d, &serr) : NULL;

    lp_explain_view v;
    memset(&v, 0, sizeof v);
    v.model = in->model;
    v.gpu = in->gpu;
    v.plan = &plan;
    v.request = &req;
    v.estimate = plan.fits ? &est : NULL;
    v.prefill_step = have_steps ? &prefill : NULL;
    v.prefill_step_tokens = prefill_tokens;
    v.decode_step = have_steps ? &decode : NULL;
    v.decode_step_seqs = decode_seqs;
    v.targets = in->targets;
    v.candidate = in->candidate;
    v.rank = in->rank;
    v.objective = in->objective;
    v.vllm_serve = serve;
    st = lp_render_explain_text(stdout, &v);
    free(serve);
    if (st != LP_OK) {
        fprintf(stderr, "llmplan explain: writing the report failed\n");
        return LP_EXIT_FAILURE;
    }
    if (!plan.fits)
        return LP_EXIT_INFEASIBLE;
    if (!estimated) {
        fprintf(stderr, "llmplan explain: %s\n", est.error);
        return lp_cli_exit_code(LP_ERR_INFEASIBLE);
    }
    /* a ranked configuration met the targets on the search's numbers */
    return in->candidate || meets(in->targets, &est) ? LP_EXIT_OK : LP_EXIT_INFEASIBLE;
}

/* ---- recommend ---------------------------------------------------------------------------- */

typedef struct {
    const char *model, *gpus, *gpu, *gpu_file, *vllm_version, *objective, *price_file;
    const char *emit, *out, *report;
    int64_t max_gpus, gpus_per_node, max_model_len, top, rank, explain, threads;
    double gpu_memory_utilization;
    lp_cli_targets t;
    bool allow_multi_node_tp, allow_quantization, no_fp8_kv, no_expert_parallel;
    bool json, csv, help, seen_gmu, seen_explain;
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
           "\n"
           "Options (engine settings as `vllm serve` spells them, workload as `vllm bench\n"
           "serve` does):\n");
    lp_opts_print(opts);
    printf("\nLength distributions (--input-len-dist / --output-len-dist):\n"
           "  normal:MEAN,SD   uniform:LO,HI   hist:FILE (lines \"tokens weight\")   sharegpt\n"
           "Arrival: --request-rate R (Poisson), --max-concurrency N (closed loop) or\n"
           "--daily-output-tokens T (a mean rate: T / 86400 / mean output length).\n"
           "Objectives: throughput-per-gpu (default), cost ($ per million output tokens, from\n"
           "the embedded price table or --price-file), latency (E2E, then TTFT), gpus (fewest).\n"
           "--price-file: TSV with columns gpu, usd_per_gpu_hour, provider, date, source.\n"
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
        if (*n == MAX_GPU_TYPES) {
            fprintf(stderr, "llmplan recommend: --gpus: at most %d GPU types\n", MAX_GPU_TYPES);
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
    if (rc == 0 && *n == 0)
        rc = lp_cli_usage_error("recommend",
                                "--gpus: expected a comma-separated list of GPU names, "
                                "got \"%s\"",
                                text);
    return rc;
}

static int check_args(const rec_args *a) {
    const char *cmd = "recommend";
    if (a->max_gpus < 1 || a->max_gpus > 65536)
        return lp_cli_usage_error(cmd, "%s: expected between 1 and 65536", "--max-gpus");
    if (a->gpus_per_node < 1 || a->gpus_per_node > 1024)
        return lp_cli_usage_error(cmd, "%s: expected between 1 and 1024", "--gpus-per-node");
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
    if (a->emit && !a->out)
        return lp_cli_usage_error(cmd, "%s", "--emit needs --out DIR (where to write the files)");
    if (a->out && !a->emit)
        return lp_cli_usage_error(cmd, "%s",
                                  "--out needs --emit KINDS (vllm,docker,compose,k8s or all)");
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

/*
 * How far a candidate is from the targets it misses: the worst ratio of value to limit (limit
 * to value for the throughput floor); 1 or less meets them all. Sets the reason of the worst.
 */
static double miss_ratio(const lp_targets *t, double offered, const lp_candidate *c,
                         lp_reject_reason *why) {
    const double v[4] = {c->ttft_ms, c->tpot_ms, c->itl_ms, c->e2e_ms};
    const double lim[4] = {t->max_ttft_ms, t->max_tpot_ms, t->max_itl_ms, t->max_e2e_ms};
    const lp_reject_reason rs[4] = {LP_REJECT_TTFT, LP_REJECT_TPOT, LP_REJECT_ITL, LP_REJECT_E2E};
    double worst = 0;
    *why = LP_REJECT_NO_FIT;
    for (int i = 0; i < 4; i++) {
        if (!(lim[i] > 0))
            continue;
        double r = isfinite(v[i]) ? v[i] / lim[i] : INFINITY;
        if (r > worst) {
            worst = r;
            *why = rs[i];
        }
    }
    double floor = t->min_output_tok_s > offered ? t->min_output_tok_s : offered;
    if (floor > 0) {
        double r = c->output_tok_s > 0 ? floor / c->output_tok_s : INFINITY;
        if (r > worst) {
            worst = r;
            *why = LP_REJECT_THROUGHPUT;
        }
    }
    return worst;
}

/* Same GPUs, parallel layout and dtypes (differing only in scheduler limits). */
static bool same_layout(const lp_candidate *a, const lp_candidate *b) {
    return a->gpu == b->gpu && a->num_gpus == b->num_gpus && a->tp == b->tp && a->pp == b->pp &&
           a->dp == b->dp && a->expert_parallel == b->expert_parallel &&
           a->kv_cache_dtype == b->kv_cache_dtype && strcmp(a->quantization, b->quantization) == 0;
}

/* Nothing met the targets: search again without them and keep the nearest misses, one per
 * layout (the ranking by the objective breaks ties). */
typedef struct {
    double ratio;
    size_t index;
    lp_reject_reason why;
} miss;

static int miss_cmp(const void *a, const void *b) {
    const miss *x = a, *y = b;
    if (x->ratio != y->ratio)
        return x->ratio < y->ratio ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static size_t closest_misses(const lp_search_spec *spec, const workload *w, lp_candidate *out,
                             size_t max) {
    lp_search_spec relaxed = *spec;
    memset(&relaxed.targets, 0, sizeof relaxed.targets);
    relaxed.targets.percentile = spec->targets.percentile;
    relaxed.progress = NULL;
    lp_search_result r;
    lp_error err;
    memset(&r, 0, sizeof r);
    if (lp_search_run(&relaxed, &r, &err) != LP_OK)
        return 0;
    miss *all = r.n_ranked ? malloc(r.n_ranked * sizeof *all) : NULL;
    size_t n = 0;
    if (all) {
        for (size_t i = 0; i < r.n_ranked; i++) {
            all[i].index = i;
            all[i].ratio =
                miss_ratio(&spec->targets, offered_output_tok_s(w), &r.ranked[i], &all[i].why);
        }
        qsort(all, r.n_ranked, sizeof *all, miss_cmp);
        for (size_t i = 0; i < r.n_ranked && n < max; i++) {
            const lp_candidate *c = &r.ranked[all[i].index];
            bool dup = false;
            for (size_t k = 0; k < n && !dup; k++)
                dup = same_layout(&out[k], c);
            if (dup)
                continue;
            out[n] = *c;
            out[n].meets_targets = false;
            out[n].reject = all[i].why;
            snprintf(out[n].why, sizeof out[n].why, "%s: %.2fx the target",
                     lp_reject_reason_name(all[i].why), all[i].ratio);
            n++;
        }
    }
    free(all);
    lp_search_result_free(&r);
    return n;
}

static int emit_artifacts(const rec_args *a, const lp_search_spec *spec,
                          const lp_search_result *r) {
    size_t idx = (size_t)a->rank - 1;
    if (idx >= r->n_ranked) {
        fprintf(stderr,
                "llmplan recommend: --rank %lld: only %zu configuration%s meet%s the "
                "targets\n",
                (long long)a->rank, r->n_ranked, r->n_ranked == 1 ? "" : "s",
                r->n_ranked == 1 ? "s" : "");
        return LP_EXIT_USAGE;
    }
    lp_deploy d;
    candidate_deploy(a->model, &r->ranked[idx], spec->gpus_per_node, &d);
    lp_error err;
    lp_error_clear(&err);
    if (lp_artifact_write(&d, a->emit, a->out, &err) != LP_OK)
        return lp_cli_fail(&err);
    fprintf(stderr, "llmplan recommend: wrote the deployment files (%s) of #%zu to %s\n", a->emit,
            idx + 1, a->out);
    char ckpt[128];
    if (lp_candidate_needs_checkpoint(&r->ranked[idx], spec->model, ckpt, sizeof ckpt))
        fprintf(stderr,
                "llmplan recommend: note: the files serve %s with --quantization %s, which vLLM "
                "only accepts for %s: replace the model id in them\n",
                a->model, r->ranked[idx].quantization, ckpt);
    return 0;
}

static int recommend_explain(const rec_args *a, const lp_search_spec *spec,
                             const lp_search_result *r, const lp_gpu_db *db, const workload *w) {
    size_t idx = (size_t)a->explain - 1;
    if (idx >= r->n_ranked) {
        if (r->n_ranked == 0) {
            char line[1024];
            fprintf(stderr,
                    "llmplan recommend: --explain %lld: no configuration meets the "
                    "targets (%s)\n",
                    (long long)a->explain,
                    lp_render_rejections(line, sizeof line, r, &spec->targets));
            return LP_EXIT_INFEASIBLE;
        }
        fprintf(stderr,
                "llmplan recommend: --explain %lld: only %zu configuration%s meet%s the "
                "targets\n",
                (long long)a->explain, r->n_ranked, r->n_ranked == 1 ? "" : "s",
                r->n_ranked == 1 ? "s" : "");
        return LP_EXIT_USAGE;
    }
    const lp_candidate *c = &r->ranked[idx];
    explain_input in;
    memset(&in, 0, sizeof in);
    in.model = spec->model;
    in.model_spec = a->model;
    in.gpu = c->gpu;
    in.db = db;
    lp_candidate_serving(c, &in.serving);
    in.num_gpus = c->num_gpus;
    in.gpus_per_node = spec->gpus_per_node;
    in.load = w;
    in.targets = &spec->targets;
    in.candidate = c;
    in.rank = idx + 1;
    in.objective = spec->objective;
    return run_explain(&in);
}

static int report(const rec_args *a, const lp_search_spec *spec, const lp_search_result *r,
                  const workload *w, int argc, char **argv) {
    size_t top = (size_t)a->top < r->n_ranked ? (size_t)a->top : r->n_ranked;
    size_t chosen = (size_t)a->rank - 1;
    if (r->n_ranked > 0 && chosen >= r->n_ranked) {
        fprintf(stderr,
                "llmplan recommend: --rank %lld: only %zu configuration%s meet%s the targets\n",
                (long long)a->rank, r->n_ranked, r->n_ranked == 1 ? "" : "s",
                r->n_ranked == 1 ? "s" : "");
        return LP_EXIT_USAGE;
    }
    /* the shown configurations, and the chosen one when it ranks below them */
    size_t n = r->n_ranked > 0 && chosen + 1 > top ? chosen + 1 : top;
    lp_perf_estimate *ests = n ? calloc(n, sizeof *ests) : NULL;
    char **serve = n ? calloc(n, sizeof *serve) : NULL;
    lp_candidate misses[MAX_MISSES];
    size_t n_misses = 0;
    if (n && (!ests || !serve)) {
        free(ests);
        free(serve);
        fprintf(stderr, "llmplan recommend: out of memory\n");
        return LP_EXIT_FAILURE;
    }
    /* The search keeps one latency per quantity (at the percentile); the reports carry every
     * statistic `vllm bench serve` has, so the shown configurations are estimated again. */
    for (size_t i = 0; i < n; i++) {
        if (i >= top && i != chosen)
            continue;
        const lp_candidate *c = &r->ranked[i];
        static lp_perf_request req;
        lp_perf_request_init(&req);
        req.model = spec->model;
        req.cluster.gpu = c->gpu;
        req.cluster.num_gpus = c->num_gpus;
        lp_candidate_serving(c, &req.serving);
        req.method = LP_ROOFLINE;
        workload_to_request(w, true, &req);
        lp_estimate_performance(&req, &ests[i]); /* an invalid one renders as nulls */
        lp_deploy d;
        candidate_deploy(a->model, c, spec->gpus_per_node, &d);
        lp_error err;
        serve[i] = serve_command(&d, &err);
    }
    if (r->n_ranked == 0)
        n_misses = closest_misses(spec, w, misses, MAX_MISSES);

    lp_recommend_view v;
    memset(&v, 0, sizeof v);
    v.model_id = a->model;
    v.spec = spec;
    v.result = r;
    v.top = top;
    v.estimates = ests;
    v.vllm_serve = (const char *const *)serve;
    v.chosen = chosen;
    v.misses = misses;
    v.n_misses = n_misses;
    lp_status st = a->json  ? lp_render_recommend_json(stdout, &v)
                   : a->csv ? lp_render_recommend_csv(stdout, &v)
                            : lp_render_recommend_text(stdout, &v);
    int report_rc = st == LP_OK && a->report
                        ? lp_cli_report_recommend(a->report, argc - 1, argv + 1, &v, w->num_prompts)
                        : 0;
    for (size_t i = 0; i < n; i++)
        free(serve[i]);
    free(serve);
    free(ests);
    if (st != LP_OK) {
        fprintf(stderr, "llmplan recommend: writing the report failed\n");
        return LP_EXIT_FAILURE;
    }
    if (report_rc != 0)
        return report_rc;
    if (r->n_ranked == 0) {
        char line[1024];
        fprintf(stderr, "llmplan recommend: no configuration meets the targets: %s\n",
                lp_render_rejections(line, sizeof line, r, &spec->targets));
        return LP_EXIT_INFEASIBLE;
    }
    return LP_EXIT_OK;
}

int lp_cmd_recommend(int argc, char **argv) {
    rec_args a;
    memset(&a, 0, sizeof a);
    a.max_gpus = 8;
    a.gpus_per_node = 8;
    a.top = 10;
    a.rank = 1;
    lp_cli_targets_init(&a.t);
    lp_cli_workload_init(&a.w);
    const lp_opt opts[] = {
        {"--model", NULL, LP_OPT_STRING, &a.model, "MODEL", "HF id, config.json or model directory",
         NULL},
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
        LP_CLI_TARGET_OPTS(a.t),
        {"--objective", NULL, LP_OPT_STRING, &a.objective, "O",
         "throughput-per-gpu (default), cost, latency, gpus", NULL},
        {"--price-file", NULL, LP_OPT_STRING, &a.price_file, "TSV",
         "$ per GPU-hour (default: the embedded table)", NULL},
        {"--top", NULL, LP_OPT_INT, &a.top, "N", "configurations to show (default 10)", NULL},
        {"--json", NULL, LP_OPT_FLAG, &a.json, NULL, "print one JSON object", NULL},
        {"--csv", NULL, LP_OPT_FLAG, &a.csv, NULL, "print CSV (a header row, one row each)", NULL},
        {"--report", NULL, LP_OPT_STRING, &a.report, "FILE",
         "also write a report with charts: FILE.html or FILE.md", NULL},
        {"--emit", NULL, LP_OPT_STRING, &a.emit, "KINDS",
         "write vllm,docker,compose,k8s (or all) files ...", NULL},
        {"--out", NULL, LP_OPT_STRING, &a.out, "DIR", "  ... into DIR", NULL},
        {"--rank", NULL, LP_OPT_INT, &a.rank, "N",
         "the configuration --emit writes (default 1: the best)", NULL},
        {"--explain", NULL, LP_OPT_INT, &a.explain, "N",
         "explain ranked configuration N instead of the table", &a.seen_explain},
        {"--threads", NULL, LP_OPT_INT, &a.threads, "N", "search threads (default 0: every core)",
         NULL},
        {"--help", "-h", LP_OPT_FLAG, &a.help, NULL, "show this help", NULL},
        {0},
    };
    if (!lp_opts_parse("recommend", opts, argc, argv, 2))
        return LP_EXIT_USAGE;
    if (a.help) {
        print_recommend_help(opts);
        return LP_EXIT_OK;
    }
    if (!a.model) {
        fprintf(stderr, "llmplan recommend: --model is required (a HF id such as "
                        "meta-llama/Llama-3.3-70B-Instruct, a config.json or a model directory; "
                        "see llmplan recommend --help)\n");
        return LP_EXIT_USAGE;
    }
    int rc = check_args(&a);
    if (rc != 0)
        return rc;
    if (lp_cli_report_check("recommend", a.report) != 0)
        return LP_EXIT_USAGE;

    static lp_search_spec spec;
    lp_search_spec_init(&spec);
    lp_error err;
    lp_error_clear(&err);
    if (a.objective && lp_objective_parse(a.objective, &spec.objective, &err) != LP_OK) {
        fprintf(stderr, "llmplan recommend: --objective: %s\n", err.message);
        return LP_EXIT_USAGE;
    }
    if (a.vllm_version && lp_vllm_version_parse(a.vllm_version, &spec.vllm_version, &err) != LP_OK)
        return lp_cli_fail(&err);
    static workload w;
    rc = build_workload("recommend", &a.w, &w);
    if (rc != 0) {
        workload_free(&w);
        return rc;
    }

    lp_gpu_db *user_db = NULL;
    lp_price_table *prices = NULL;
    const lp_gpu_db *db = NULL;
    static const lp_gpu *gpu_list[MAX_GPU_TYPES];
    static const lp_gpu **all_gpus;
    size_t n_gpus = 0;
    static lp_model model;
    rc = lp_cli_open_gpu_db(a.gpu_file, &user_db, &db);
    if (rc == 0)
        rc = resolve_gpus(&a, db, gpu_list, &n_gpus);
    if (rc == 0 && n_gpus == 0 && user_db) {
        /* every GPU of the database the user extended, not only the embedded one */
        size_t n = lp_gpu_db_count(db);
        all_gpus = calloc(n ? n : 1, sizeof *all_gpus);
        if (!all_gpus) {
            fprintf(stderr, "llmplan recommend: out of memory\n");
            rc = LP_EXIT_FAILURE;
        } else {
            for (size_t i = 0; i < n; i++)
                all_gpus[i] = lp_gpu_db_at(db, i);
            n_gpus = n;
        }
    }
    if (rc == 0 && a.price_file && lp_price_table_load(a.price_file, &prices, &err) != LP_OK) {
        fprintf(stderr, "llmplan recommend: --price-file: %s\n", err.message);
        rc = lp_cli_exit_code(err.code);
    }
    if (rc == 0)
        rc = load_model("recommend", a.model, &model);

    lp_search_result result;
    memset(&result, 0, sizeof result);
    bool searched = false;
    if (rc == 0) {
        spec.model = &model;
        spec.gpus = n_gpus == 0 ? NULL : (all_gpus ? all_gpus : gpu_list);
        spec.n_gpus = n_gpus;
        spec.max_gpus = (int)a.max_gpus;
        spec.gpus_per_node = (int)a.gpus_per_node;
        spec.allow_multi_node_tp = a.allow_multi_node_tp;
        spec.allow_quantization = a.allow_quantization;
        spec.no_fp8_kv = a.no_fp8_kv;
        spec.no_expert_parallel = a.no_expert_parallel;
        spec.max_model_len = a.max_model_len;
        if (a.seen_gmu)
            spec.gpu_memory_utilization = a.gpu_memory_utilization;
        spec.workload.input = w.input;
        spec.workload.output = w.output;
        spec.workload.request_rate = w.request_rate;
        spec.workload.max_concurrency = w.max_concurrency;
        spec.daily_output_tokens = w.daily_output_tokens;
        lp_cli_targets_build("recommend", &a.t, &spec.targets); /* checked in check_args */
        spec.prices = prices;
        spec.threads = (int)a.threads;
        static progress_state progress = {-1, false};
        if (isatty(STDERR_FILENO)) {
            spec.progress = progress_bar;
            spec.progress_ctx = &progress;
        }
        lp_status st = lp_search_run(&spec, &result, &err);
        progress_clear(&progress);
        if (st != LP_OK)
            rc = lp_cli_fail(&err);
        else
            searched = true;
    }
    if (rc == 0 && a.seen_explain) {
        rc = recommend_explain(&a, &spec, &result, db, &w);
    } else if (rc == 0) {
        rc = report(&a, &spec, &result, &w, argc, argv);
        if (rc == LP_EXIT_OK && a.emit)
            rc = emit_artifacts(&a, &spec, &result);
    }
    if (searched)
        lp_search_result_free(&result);
    free(all_gpus);
    all_gpus = NULL;
    lp_price_table_free(prices);
    lp_gpu_db_free(user_db);
    workload_free(&w);
    return rc;
}

/* ---- explain ------------------------------------------------------------------------------ */

typedef struct {
    const char *model;
    lp_cli_gpu_flags g; /* --gpu, --gpu-file and a described GPU */
    lp_cli_serving sv;  /* the vLLM engine flags */
    int64_t gpus_per_node;
    lp_cli_targets t;
    bool help;
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
        {"--model", NULL, LP_OPT_STRING, &a.model, "MODEL", "HF id, config.json or model directory",
         NULL},
        LP_CLI_GPU_OPTS(a.g),
        {"--gpus-per-node", NULL, LP_OPT_INT, &a.gpus_per_node, "N", "GPUs in a node (default 8)",
         NULL},
        LP_CLI_SERVING_OPTS(a.sv),
        LP_CLI_WORKLOAD_OPTS(a.w),
        {"--num-prompts", NULL, LP_OPT_INT, &a.w.num_prompts, "N",
         "requests in the benchmark (default 1000)", NULL},
        LP_CLI_TARGET_OPTS(a.t),
        {"--help", "-h", LP_OPT_FLAG, &a.help, NULL, "show this help", NULL},
        {0},
    };
    if (!lp_opts_parse("explain", opts, argc, argv, 2))
        return LP_EXIT_USAGE;
    if (a.help) {
        print_explain_help(opts);
        return LP_EXIT_OK;
    }
    if (!a.model)
        return lp_cli_usage_error(
            "explain", "%s", "--model is required (a HF id, a config.json or a model directory)");
    if (!a.g.gpu && a.g.memory_gib <= 0)
        return lp_cli_usage_error("explain", "%s", "--gpu is required (see `llmplan gpus`)");
    if (a.gpus_per_node < 1 || a.gpus_per_node > 1024)
        return lp_cli_usage_error("explain", "%s: expected between 1 and 1024", "--gpus-per-node");
    lp_targets targets;
    int trc = lp_cli_targets_build("explain", &a.t, &targets);
    if (trc != 0)
        return trc;
    lp_serving s;
    int num_gpus = 1;
    int rc = lp_cli_build_serving("explain", &a.sv, &s);
    num_gpus = s.tensor_parallel_size * s.pipeline_parallel_size * s.data_parallel_size;
    if (rc != 0)
        return rc;
    static workload w;
    rc = build_workload("explain", &a.w, &w);
    lp_gpu_db *user_db = NULL;
    const lp_gpu_db *db = NULL;
    static lp_gpu gpu;
    static lp_model model;
    if (rc == 0)
        rc = lp_cli_open_gpu_db(a.g.gpu_file, &user_db, &db);
    if (rc == 0)
        rc = lp_cli_select_gpu("explain", &a.g, db, &gpu);
    if (rc == 0)
        rc = load_model("explain", a.model, &model);
    if (rc == 0) {
        lp_targets t = targets;
        explain_input in;
        memset(&in, 0, sizeof in);
        in.model = &model;
        in.model_spec = a.model;
        in.gpu = &gpu;
        in.db = db;
        in.serving = s;
        in.num_gpus = num_gpus;
        in.gpus_per_node = (int)a.gpus_per_node;
        in.load = &w;
        in.targets = &t;
        in.objective = LP_OBJ_THROUGHPUT_PER_GPU;
        in.gpu_described = a.g.memory_gib > 0;
        rc = run_explain(&in);
    }
    lp_gpu_db_free(user_db);
    workload_free(&w);
    return rc;
}
