/*
 * report_data.c - the CLI side of `--report FILE.html|FILE.md`: compute what a report shows
 * beyond the command's own result, by calling the library, and write the file(s).
 *
 * For one configuration (the plan, or the chosen recommendation):
 *  - KV capacity and maximum concurrency vs max-model-len: the memory plan computed again at
 *    1K, 2K, 4K ... up to the model's context (and the configured length);
 *  - throughput and latency vs concurrency: roofline estimates with 1, 2, 4 ... clients in a
 *    closed loop up to what the KV cache and --max-num-seqs hold, and the knee: the last
 *    concurrency whose doubling still raises throughput by KNEE_GAIN or more;
 *  - one simulation (LP_SIMULATE) of the workload for the latency statistics.
 * The formatting is src/render's (llmplan/report.h); no number is computed there.
 * It deliberately adds no workload flags to `plan`: a plan report uses `vllm bench serve`'s
 * random defaults (1024 in / 128 out) at the knee concurrency, and says so.
 */
#include "cli/report_data.h"

#include "common/outfile.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/shell.h"
#include "llmplan/artifacts.h"
#include "llmplan/perf.h"
#include "llmplan/report.h"

/* The knee: the throughput gain per doubling of concurrency below which more clients mostly
 * add latency (10 %, as issue 6 proposes). */
#define KNEE_GAIN 0.10
/* max-model-len sweep: from 1K tokens, doubling; at most this many points. */
#define LEN_START 1024
#define MAX_LEN_POINTS 24
/* Concurrency sweep: at most this many points (1, 2, 4, ... 2^(n-2), the cap). */
#define MAX_LOAD_POINTS 20
/* `vllm bench serve` defaults for the random dataset (benchmarks/datasets.py) and
 * --num-prompts: the plan report's workload, as the command has no workload flags. */
#define BENCH_INPUT_LEN 1024
#define BENCH_OUTPUT_LEN 128
#define BENCH_NUM_PROMPTS 1000
/* GPUs per node assumed for the plan's `vllm serve` command (8-GPU servers). */
#define PLAN_GPUS_PER_NODE 8

static int write_error(const char *cmd, const char *path, const char *why) {
    fprintf(stderr, "llmplan %s: --report %s: %s\n", cmd, path, why);
    return LP_EXIT_FAILURE;
}

/* "dir/name.md" -> directory "dir/" (may be empty) and stem "name". */
static void split_path(const char *path, char *dir, size_t dsize, char *stem, size_t ssize) {
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) + 1 : 0;
    snprintf(dir, dsize, "%.*s", (int)dlen, path);
    snprintf(stem, ssize, "%s", path + dlen);
    char *dot = strrchr(stem, '.');
    if (dot && dot != stem)
        *dot = '\0';
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
    char dir[4096], name[1024], stem[1024];
    if (!lp_outfile_split(path, dir, sizeof dir, name, sizeof name))
        return write_error(cmd, path, "expected a file name");
    split_path(path, dir, sizeof dir, stem, sizeof stem);
    lp_outset *set;
    lp_outset_opts o = {force, "--force", NULL};
    lp_error err;
    lp_status st = lp_outset_open(dir, &o, &set, &err);
    if (st == LP_OK)
        st = lp_outset_check(set, name, &err);
    for (size_t i = 1; st == LP_OK && fmt == LP_REPORT_MARKDOWN && i <= CHART_NAMES_CHECKED; i++) {
        char svg[sizeof stem + 32];
        chart_name(stem, i, svg, sizeof svg);
        st = lp_outset_check(set, svg, &err);
    }
    lp_outset_free(set);
    if (st != LP_OK) {
        fprintf(stderr, "llmplan %s: --report: %s\n", cmd, err.message);
        return lp_cli_exit_code(st);
    }
    return 0;
}

/* Everything one report holds (large: allocated once). */
typedef struct {
    lp_report report;
    lp_mem_plan plan;
    lp_perf_request workload;
    lp_perf_estimate estimate, simulation;
    lp_report_len_point lengths[MAX_LEN_POINTS];
    lp_report_load_point load[MAX_LOAD_POINTS];
    char workload_note[400], simulation_note[300];
    char *command, *serve;
} report_data;

/* ---- the series ---------------------------------------------------------------------------- */

static void length_sweep(report_data *rd, const lp_model *m, const lp_gpu *gpu,
                         const lp_serving *s) {
    int64_t configured = rd->plan.max_model_len;
    int64_t top = m->max_position_embeddings > configured ? m->max_position_embeddings : configured;
    int64_t lens[MAX_LEN_POINTS];
    size_t n = 0;
    for (int64_t len = LEN_START; len < top && n < MAX_LEN_POINTS - 2; len *= 2)
        lens[n++] = len;
    if (top > 0)
        lens[n++] = top;
    if (configured > 0) {
        size_t at = 0;
        while (at < n && lens[at] < configured)
            at++;
        if (at == n || lens[at] != configured) {
            memmove(lens + at + 1, lens + at, (n - at) * sizeof *lens);
            lens[at] = configured;
            n++;
        }
    }
    static lp_mem_plan scratch; /* large; the CLI is single-threaded */
    for (size_t i = 0; i < n; i++) {
        lp_serving t = *s;
        t.max_model_len = lens[i];
        lp_report_len_point *pt = &rd->lengths[i];
        memset(pt, 0, sizeof *pt);
        pt->max_model_len = lens[i];
        lp_error err;
        if (lp_mem_plan_compute(m, gpu, &t, &scratch, &err) == LP_OK) {
            pt->valid = true;
            pt->fits = scratch.fits;
            pt->kv_tokens = scratch.kv_tokens;
            pt->max_concurrency = scratch.max_concurrency;
        }
    }
    rd->report.lengths = rd->lengths;
    rd->report.n_lengths = n;
}

/* Clients in flight the deployment can serve at once: what the KV cache holds for requests
 * of the workload's length, within --max-num-seqs, times the replicas. */
static int concurrency_cap(const lp_mem_plan *p, const lp_perf_request *w) {
    double per_request = lp_len_mean(&w->workload.input) + lp_len_mean(&w->workload.output);
    double kv = per_request > 0 ? (double)p->kv_tokens / per_request : 1;
    double per_replica = kv < p->max_num_seqs ? kv : p->max_num_seqs;
    double cap = floor(per_replica) * (p->dp > 0 ? p->dp : 1);
    return cap < 1 ? 1 : cap > 1e6 ? 1000000 : (int)cap;
}

static void load_sweep(report_data *rd, const lp_perf_request *base) {
    int cap = concurrency_cap(&rd->plan, base);
    int clients[MAX_LOAD_POINTS];
    size_t n = 0;
    for (int c = 1; c < cap && n < MAX_LOAD_POINTS - 1; c *= 2)
        clients[n++] = c;
    clients[n++] = cap;
    static lp_perf_estimate e; /* large; the CLI is single-threaded */
    for (size_t i = 0; i < n; i++) {
        lp_perf_request q = *base;
        q.method = LP_ROOFLINE;
        q.workload.request_rate = 0;
        q.workload.max_concurrency = clients[i];
        lp_report_load_point *pt = &rd->load[i];
        memset(pt, 0, sizeof *pt);
        pt->concurrency = clients[i];
        if (lp_estimate_performance(&q, &e) == LP_OK) {
            pt->valid = true;
            pt->output_tok_s = e.output_tok_s;
            pt->request_s = e.request_s;
            pt->ttft_ms = e.ttft_ms.median;
            pt->tpot_ms = e.tpot_ms.median;
            pt->itl_ms = e.itl_ms.median;
            pt->e2el_ms = e.e2el_ms.median;
        }
    }
    rd->report.load = rd->load;
    rd->report.n_load = n;
    /* the knee: the first point whose next doubling gains less than KNEE_GAIN (normalised to
     * one doubling when the last step is shorter) */
    rd->report.knee = -1;
    rd->report.knee_threshold = KNEE_GAIN;
    for (size_t i = 0; i + 1 < n; i++) {
        const lp_report_load_point *a = &rd->load[i], *b = &rd->load[i + 1];
        if (!a->valid || !b->valid || !(a->output_tok_s > 0) || b->concurrency <= a->concurrency)
            continue;
        double doublings = log2((double)b->concurrency / a->concurrency);
        double gain = pow(b->output_tok_s / a->output_tok_s, 1 / doublings) - 1;
        if (gain < KNEE_GAIN) {
            rd->report.knee = (int)i;
            break;
        }
    }
}

static void simulate(report_data *rd, const lp_perf_request *w) {
    lp_perf_request q = *w;
    q.method = LP_SIMULATE;
    if (lp_estimate_performance(&q, &rd->simulation) == LP_OK)
        rd->report.simulation = &rd->simulation;
    char arr[96];
    if (q.workload.request_rate > 0)
        snprintf(arr, sizeof arr, "Poisson arrivals at %.3g requests/s", q.workload.request_rate);
    else if (q.workload.max_concurrency > 0)
        snprintf(arr, sizeof arr, "%d clients in a closed loop", q.workload.max_concurrency);
    else
        snprintf(arr, sizeof arr, "every request at once");
    snprintf(rd->simulation_note, sizeof rd->simulation_note,
             "One simulation of vLLM's scheduler: %d requests, %s, seed %llu.",
             q.workload.num_prompts, arr, (unsigned long long)q.workload.seed);
    rd->report.simulation_note = rd->simulation_note;
}

/* ---- writing -------------------------------------------------------------------------------- */

/* The report and, for Markdown, its charts: all or nothing, nothing replaced without force. */
static int write_report(const char *cmd, const char *path, const lp_report *r, bool force) {
    lp_report_format fmt = lp_report_format_for_path(path);
    char dir[4096], name[1024], stem[1024];
    if (!lp_outfile_split(path, dir, sizeof dir, name, sizeof name))
        return write_error(cmd, path, "expected a file name");
    split_path(path, dir, sizeof dir, stem, sizeof stem);
    lp_outset *set;
    lp_outset_opts o = {force, "--force", NULL};
    lp_error err;
    lp_error_clear(&err);
    lp_status st = lp_outset_open(dir, &o, &set, &err);
    FILE *f;
    if (st == LP_OK && (st = lp_outset_add(set, name, 0666u, &f, &err)) == LP_OK) {
        st = fmt == LP_REPORT_HTML ? lp_render_report_html(f, r) : lp_render_report_md(f, r, stem);
        if (st != LP_OK)
            lp_error_set(&err, st, "%s: %s", path,
                         st == LP_ERR_NOMEM ? "out of memory" : "writing failed");
    }
    for (size_t i = 0, n = lp_report_chart_count(r);
         st == LP_OK && fmt == LP_REPORT_MARKDOWN && i < n; i++) {
        char svg[sizeof stem + 32];
        chart_name(stem, i + 1, svg, sizeof svg);
        FILE *g;
        if ((st = lp_outset_add(set, svg, 0666u, &g, &err)) == LP_OK &&
            (st = lp_render_report_chart_svg(g, r, i)) != LP_OK)
            lp_error_set(&err, st, "%s: writing chart %zu failed", path, i + 1);
    }
    if (st == LP_OK)
        st = lp_outset_commit(set, &err);
    lp_outset_free(set);
    if (st != LP_OK) {
        fprintf(stderr, "llmplan %s: --report: %s\n", cmd, err.message);
        return lp_cli_exit_code(st);
    }
    return 0;
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

/* The series of one configuration whose plan is in rd->plan, for workload w (lengths and
 * arrival; the load sweep replaces the arrival). */
static void config_series(report_data *rd, const lp_model *m, const lp_gpu *gpu,
                          const lp_serving *s) {
    rd->report.plan = &rd->plan;
    length_sweep(rd, m, gpu, s);
    if (rd->plan.fits)
        load_sweep(rd, &rd->workload);
}

int lp_cli_report_plan(const char *path, bool force, int argc, char **argv, const char *model_spec,
                       const lp_model *model, const lp_gpu *gpu, const lp_serving *s,
                       const lp_mem_plan *plan) {
    report_data *rd = data_new(argc, argv);
    if (!rd)
        return write_error("plan", path, "out of memory");
    rd->plan = *plan;
    lp_serving serving = *s;
    serving.max_model_len = plan->max_model_len; /* auto resolved */
    lp_perf_request *w = &rd->workload;
    lp_perf_request_init(w);
    w->model = model;
    w->cluster.gpu = gpu;
    w->cluster.num_gpus = plan->num_gpus;
    w->serving = serving;
    /* the defaults of `vllm bench serve`, shortened to fit a short max-model-len */
    double len = (double)plan->max_model_len;
    double in = BENCH_INPUT_LEN, out = BENCH_OUTPUT_LEN;
    if (len > 1 && in + out > len) {
        in = floor(len * BENCH_INPUT_LEN / (BENCH_INPUT_LEN + BENCH_OUTPUT_LEN));
        out = len - in > 1 ? floor(len - in) : 1;
        in = in >= 1 ? in : 1;
    }
    w->workload.input = lp_len_fixed(in);
    w->workload.output = lp_len_fixed(out);
    w->workload.num_prompts = BENCH_NUM_PROMPTS;
    config_series(rd, model, gpu, &serving);

    lp_report *r = &rd->report;
    r->model_spec = model_spec;
    r->model = model;
    r->gpu = gpu;
    if (plan->fits) {
        int clients = r->knee >= 0    ? r->load[r->knee].concurrency
                      : r->n_load > 0 ? r->load[r->n_load - 1].concurrency
                                      : 1;
        w->workload.max_concurrency = clients;
        snprintf(rd->workload_note, sizeof rd->workload_note,
                 "llmplan plan takes no workload: the estimates use vllm bench serve's random "
                 "defaults (%.0f input, %.0f output tokens, %d prompts) with %d clients in a "
                 "closed loop, %s.",
                 in, out, w->workload.num_prompts, clients,
                 r->knee >= 0 ? "the knee of the throughput curve"
                              : "the most the KV cache holds (no knee)");
        r->workload = w;
        r->workload_note = rd->workload_note;
        if (lp_estimate_performance(w, &rd->estimate) == LP_OK)
            r->estimate = &rd->estimate;
        simulate(rd, w);
    }
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
    lp_report *r = &rd->report;
    const lp_search_spec *spec = v->spec;
    r->recommend = v;
    r->model_spec = v->model_id;
    r->model = spec->model;
    const lp_search_result *res = v->result;
    if (res->n_ranked > 0 && v->chosen < res->n_ranked) {
        const lp_candidate *c = &res->ranked[v->chosen];
        lp_serving s;
        lp_candidate_serving(c, &s);
        lp_error err;
        if (lp_mem_plan_compute(spec->model, c->gpu, &s, &rd->plan, &err) == LP_OK) {
            lp_perf_request *w = &rd->workload;
            lp_perf_request_init(w);
            w->model = spec->model;
            w->cluster.gpu = c->gpu;
            w->cluster.num_gpus = c->num_gpus;
            w->serving = s;
            if (spec->workload.input.mean > 0 || spec->workload.input.kind != LP_LEN_FIXED)
                w->workload.input = spec->workload.input;
            if (spec->workload.output.mean > 0 || spec->workload.output.kind != LP_LEN_FIXED)
                w->workload.output = spec->workload.output;
            w->workload.num_prompts = num_prompts > 0 ? num_prompts : BENCH_NUM_PROMPTS;
            /* one arrival process, in the order the search reads it (search/enumerate.c) */
            if (spec->workload.request_rate > 0)
                w->workload.request_rate = spec->workload.request_rate;
            else if (spec->workload.max_concurrency > 0)
                w->workload.max_concurrency = spec->workload.max_concurrency;
            else if (spec->daily_output_tokens > 0 && lp_len_mean(&w->workload.output) > 0)
                w->workload.request_rate =
                    spec->daily_output_tokens / 86400.0 / lp_len_mean(&w->workload.output);
            r->gpu = c->gpu;
            r->workload = w;
            config_series(rd, spec->model, c->gpu, &s);
            if (v->estimates && v->estimates[v->chosen].valid)
                r->estimate = &v->estimates[v->chosen];
            else if (lp_estimate_performance(w, &rd->estimate) == LP_OK)
                r->estimate = &rd->estimate;
            simulate(rd, w);
        }
        if (v->vllm_serve)
            r->vllm_serve = v->vllm_serve[v->chosen];
    }
    int rc = write_report("recommend", path, r, force);
    data_free(rd);
    return rc;
}
