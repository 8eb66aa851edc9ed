/*
 * report_content.c - what a report says, written once for both formats through the document
 * interface of report_internal.h (report_html.c and report_md.c implement it): the summary,
 * the inputs, the memory breakdown, KV capacity vs max-model-len, load vs concurrency, the
 * simulation, the Pareto front, the ranked configurations, the rejected space, the assumptions
 * and the `vllm serve` command. Formatting only: every number comes from lp_report.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "render/format.h"
#include "render/report_internal.h"

#define GIB 1073741824.0
/* Rows of the Pareto table (the chart shows every point). */
#define MAX_PARETO_ROWS 50
/* Room for one table cell or one sentence. */
#define CELL 160
#define LINE 1024

static void para(lp_report_doc *d, const char *cls, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void para(lp_report_doc *d, const char *cls, const char *fmt, ...) {
    char buf[LINE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    d->ops->para(d, cls, buf);
}

static const char *fmt_int(char *buf, size_t size, double v) {
    if (!isfinite(v))
        snprintf(buf, size, "-");
    else
        lp_render_int(buf, size, (long long)llround(v));
    return buf;
}

static void kv_row(lp_report_doc *d, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void kv_row(lp_report_doc *d, const char *key, const char *fmt, ...) {
    char buf[LINE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    const char *cells[2] = {key, buf};
    d->ops->table_row(d, NULL, cells, 2);
}

const char *lp_report_title(const lp_report *r, char *buf, size_t size) {
    const char *model = r->model_spec ? r->model_spec : (r->model ? r->model->id : "model");
    if (r->title)
        snprintf(buf, size, "%s", r->title);
    else if (r->recommend)
        snprintf(buf, size, "llmplan recommend: %s", model);
    else if (r->gpu && r->plan)
        snprintf(buf, size, "llmplan plan: %s on %d x %s", model, r->plan->num_gpus, r->gpu->name);
    else
        snprintf(buf, size, "llmplan report: %s", model);
    return buf;
}

static void describe_len(char *buf, size_t size, const lp_len_dist *l) {
    switch (l->kind) {
    case LP_LEN_FIXED:
        snprintf(buf, size, "%.0f tokens", l->mean);
        break;
    case LP_LEN_NORMAL:
        snprintf(buf, size, "normal, mean %.0f, sd %.0f tokens", l->mean, l->stddev);
        break;
    case LP_LEN_UNIFORM:
        snprintf(buf, size, "uniform %.0f to %.0f tokens", l->lo, l->hi);
        break;
    case LP_LEN_HISTOGRAM:
        snprintf(buf, size, "histogram of %d lengths, mean %.0f tokens", l->n, lp_len_mean(l));
        break;
    case LP_LEN_SHAREGPT:
        snprintf(buf, size, "ShareGPT-like, mean %.0f tokens", l->mean);
        break;
    }
}

static void describe_arrival(char *buf, size_t size, const lp_workload *w) {
    char rate[80];
    if (w->request_rate > 0 && w->max_concurrency > 0)
        snprintf(buf, size, "%s, at most %d in flight",
                 lp_render_describe_rate(rate, sizeof rate, w, "requests/s"), w->max_concurrency);
    else if (w->request_rate > 0)
        snprintf(buf, size, "%s", lp_render_describe_rate(rate, sizeof rate, w, "requests/s"));
    else if (w->max_concurrency > 0)
        snprintf(buf, size, "%d concurrent clients (closed loop)", w->max_concurrency);
    else
        snprintf(buf, size, "all requests at once (request rate inf)");
}

/* ---- summary and inputs --------------------------------------------------------------------- */

static void summary_section(lp_report_doc *d, const lp_report *r) {
    char a[48], b[48];
    d->ops->section_begin(d, "summary", "Summary");
    if (r->command)
        para(d, "command", "Produced by: %s", r->command);
    if (r->recommend) {
        const lp_search_result *res = r->recommend->result;
        char line[LINE];
        lp_render_rejections(line, sizeof line, res, &r->recommend->spec->targets);
        if (res->n_ranked > 0) {
            const lp_candidate *c =
                &res->ranked[r->recommend->chosen < res->n_ranked ? r->recommend->chosen : 0];
            para(d, "verdict ok",
                 "%zu configuration%s meet%s every target. Chosen (#%zu): %s x %d, tensor "
                 "parallel %d, pipeline parallel %d, data parallel %d: %s output tokens/s, E2E "
                 "%s ms.",
                 res->feasible, res->feasible == 1 ? "" : "s", res->feasible == 1 ? "s" : "",
                 r->recommend->chosen + 1, c->gpu ? c->gpu->name : "?", c->num_gpus, c->tp, c->pp,
                 c->dp, fmt_int(a, sizeof a, c->output_tok_s),
                 lp_render_fmt_ms(b, sizeof b, c->e2e_ms));
        } else {
            para(d, "verdict fail", "No configuration meets the targets.");
        }
        para(d, NULL, "%s", line);
    } else if (r->plan) {
        const lp_mem_plan *p = r->plan;
        if (p->fits)
            para(d, "verdict ok",
                 "Fits: %.2f GiB of KV cache per GPU, %s tokens, room for %.2f requests of %s "
                 "tokens at once.",
                 p->ranks[p->binding_rank].kv_cache_bytes / GIB,
                 lp_render_int(a, sizeof a, (long long)p->kv_tokens), p->max_concurrency,
                 lp_render_int(b, sizeof b, (long long)p->max_model_len));
        else
            para(d, "verdict fail",
                 "Does not fit: %.2f GiB per GPU short of one request of %s tokens. vLLM would "
                 "stop with: %s",
                 p->shortfall_bytes / GIB, lp_render_int(a, sizeof a, (long long)p->max_model_len),
                 p->vllm_error);
    }
    if (r->estimate && r->estimate->valid)
        para(d, NULL,
             "At the workload (roofline): median TTFT %s ms, median TPOT %s ms, %s output "
             "tokens/s.",
             lp_render_fmt_ms(a, sizeof a, r->estimate->ttft_ms.median),
             lp_render_fmt_ms(b, sizeof b, r->estimate->tpot_ms.median),
             fmt_int((char[48]){0}, 48, r->estimate->output_tok_s));
    d->ops->section_end(d);
}

static void inputs_section(lp_report_doc *d, const lp_report *r) {
    static const char *const headers[] = {"input", "value"};
    char a[48], b[48], c1[48];
    d->ops->section_begin(d, "inputs", "Inputs");
    d->ops->table_begin(d, "inputs-table", headers, 2);
    const lp_model *m = r->model;
    if (m)
        kv_row(d, "Model", "%s (%s; %s parameters, %s active; %lld layers)",
               r->model_spec ? r->model_spec : m->id,
               m->architecture[0] ? m->architecture : m->model_type,
               lp_render_params(a, sizeof a, (long long)m->params_total),
               lp_render_params(b, sizeof b, (long long)m->params_active),
               (long long)m->num_layers);
    else if (r->model_spec)
        kv_row(d, "Model", "%s", r->model_spec);
    const lp_mem_plan *p = r->plan;
    if (r->recommend && r->recommend->spec) {
        const lp_search_spec *s = r->recommend->spec;
        char list[LINE] = "";
        size_t used = 0;
        if (s->gpus && s->n_gpus > 0)
            for (size_t i = 0; i < s->n_gpus && used < sizeof list; i++)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                                         s->gpus[i]->name);
        else
            snprintf(list, sizeof list, "every GPU in the database");
        kv_row(d, "GPUs searched", "%s; at most %d per deployment, %d per node", list,
               s->max_gpus > 0 ? s->max_gpus : 8, s->gpus_per_node > 0 ? s->gpus_per_node : 8);
        int pct = s->targets.percentile > 0 ? s->targets.percentile : 50;
        char t[LINE];
        size_t u = (size_t)snprintf(t, sizeof t, "at p%d:", pct);
        const struct {
            const char *name;
            double v;
            const char *unit;
        } tg[] = {{"TTFT", s->targets.max_ttft_ms, "ms"},
                  {"TPOT", s->targets.max_tpot_ms, "ms"},
                  {"ITL", s->targets.max_itl_ms, "ms"},
                  {"E2E", s->targets.max_e2e_ms, "ms"},
                  {"output throughput >=", s->targets.min_output_tok_s, "tok/s"}};
        bool any = false;
        for (size_t i = 0; i < sizeof tg / sizeof tg[0] && u < sizeof t; i++)
            if (tg[i].v > 0) {
                u += (size_t)snprintf(t + u, sizeof t - u, "%s %s%s %.6g %s", any ? "," : "",
                                      tg[i].name, i < 4 ? " <=" : "", tg[i].v, tg[i].unit);
                any = true;
            }
        kv_row(d, "Targets", "%s", any ? t : "none");
        kv_row(d, "Objective", "%s", lp_objective_name(s->objective));
    }
    if (r->gpu && p) {
        const lp_gpu *g = r->gpu;
        kv_row(d, r->recommend ? "Chosen GPUs" : "GPUs", "%d x %s (%.2f GiB each%s%s%s)",
               p->num_gpus, g->name, g->usable_gib, g->bandwidth_gbs > 0 ? ", " : "",
               g->bandwidth_gbs > 0 ? lp_render_fmt_num(a, sizeof a, g->bandwidth_gbs, 0) : "",
               g->bandwidth_gbs > 0 ? " GB/s" : "");
        kv_row(d, "Parallelism", "tensor %d, pipeline %d, data %d%s", p->tp, p->pp, p->dp,
               p->expert_parallel ? ", expert parallel" : "");
        kv_row(d, "Precision", "--dtype %s, --quantization %s, --kv-cache-dtype %s",
               lp_dtype_name(p->dtype),
               p->quant.method == LP_QUANT_NONE ? "none" : p->quant.vllm_name,
               lp_dtype_name(p->kv_cache_dtype));
        kv_row(d, "Engine",
               "--max-model-len %s, --gpu-memory-utilization %.2f, --max-num-seqs %d, "
               "--max-num-batched-tokens %d, --block-size %d (vLLM %d.%d behaviour)",
               lp_render_int(c1, sizeof c1, (long long)p->max_model_len), p->gpu_memory_utilization,
               p->max_num_seqs, p->max_num_batched_tokens, p->block_size, p->vllm_version / 10000,
               p->vllm_version / 100 % 100);
    }
    if (r->workload) {
        const lp_perf_request *w = r->workload;
        char in[CELL], out[CELL], arr[CELL];
        describe_len(in, sizeof in, &w->workload.input);
        describe_len(out, sizeof out, &w->workload.output);
        describe_arrival(arr, sizeof arr, &w->workload);
        kv_row(d, "Workload", "input %s, output %s; %s; %d prompts", in, out, arr,
               w->workload.num_prompts);
    }
    if (r->workload_note)
        kv_row(d, "Workload chosen", "%s", r->workload_note);
    d->ops->table_end(d);
    d->ops->section_end(d);
}

/* ---- memory ------------------------------------------------------------------------------ */

static lp_status chart(lp_report_doc *d, const lp_report *r, const char *id) {
    size_t i = lp_report_chart_index(r, id);
    return i == (size_t)-1 ? LP_OK : d->ops->chart(d, r, i);
}

static lp_status memory_section(lp_report_doc *d, const lp_report *r) {
    const lp_mem_plan *p = r->plan;
    d->ops->section_begin(
        d, "memory", r->recommend ? "Memory per GPU (chosen configuration)" : "Memory per GPU");
    lp_status st = chart(d, r, "chart-memory");
    const char *headers[1 + LP_MAX_PP];
    char names[LP_MAX_PP][32];
    int n = p->n_ranks < LP_MAX_PP ? p->n_ranks : LP_MAX_PP;
    headers[0] = "GiB per GPU";
    for (int k = 0; k < n; k++) {
        snprintf(names[k], sizeof names[k], n == 1 ? "every GPU" : "stage %d%s", k,
                 k == p->binding_rank ? " (binding)" : "");
        headers[k + 1] = names[k];
    }
    d->ops->table_begin(d, "memory-table", headers, (size_t)n + 1);
    static const struct {
        const char *label;
        size_t offset;
    } rows[] = {
        {"total", offsetof(lp_mem_rank, total_bytes)},
        {"budget (x utilization)", offsetof(lp_mem_rank, budget_bytes)},
        {"weights", offsetof(lp_mem_rank, weights_bytes)},
        {"activation peak", offsetof(lp_mem_rank, activation_bytes)},
        {"non-torch", offsetof(lp_mem_rank, non_torch_bytes)},
        {"CUDA graphs", offsetof(lp_mem_rank, cuda_graph_bytes)},
        {"KV cache", offsetof(lp_mem_rank, kv_cache_bytes)},
    };
    char cells[1 + LP_MAX_PP][32];
    const char *cp[1 + LP_MAX_PP];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        cp[0] = rows[i].label;
        for (int k = 0; k < n; k++) {
            const double *v = (const double *)((const char *)&p->ranks[k] + rows[i].offset);
            snprintf(cells[k + 1], sizeof cells[k + 1], "%.2f", *v / GIB);
            cp[k + 1] = cells[k + 1];
        }
        d->ops->table_row(d, NULL, cp, (size_t)n + 1);
    }
    d->ops->table_end(d);
    char a[48], b[48];
    para(d, NULL, "KV cache: %s tokens in %s blocks of %d; %.2f requests of %s tokens at once.",
         lp_render_int(a, sizeof a, (long long)p->kv_tokens),
         lp_render_int(b, sizeof b, (long long)p->kv_blocks), p->block_size, p->max_concurrency,
         lp_render_int((char[48]){0}, 48, (long long)p->max_model_len));
    if (p->max_model_len_fit > 0)
        para(d, NULL, "Largest max-model-len that fits: %s tokens.",
             lp_render_int(a, sizeof a, (long long)p->max_model_len_fit));
    if (p->n_suggestions > 0) {
        static const char *const sh[] = {"what to change", "fits", "KV tokens", "concurrency",
                                         "max-model-len that fits"};
        d->ops->subheading(d, "What to change");
        d->ops->table_begin(d, "suggestions-table", sh, 5);
        for (int i = 0; i < p->n_suggestions; i++) {
            const lp_mem_suggestion *s = &p->suggestions[i];
            char t[48], c[48], l[48];
            lp_render_int(t, sizeof t, (long long)s->kv_tokens);
            snprintf(c, sizeof c, "%.2f", s->max_concurrency);
            lp_render_int(l, sizeof l, (long long)s->max_model_len_fit);
            const char *cells2[] = {s->change, s->fits ? "yes" : "no", t, c, l};
            d->ops->table_row(d, s->fits ? "fits" : NULL, cells2, 5);
        }
        d->ops->table_end(d);
    }
    d->ops->section_end(d);
    return st;
}

static lp_status lengths_section(lp_report_doc *d, const lp_report *r) {
    d->ops->section_begin(d, "kv-capacity", "KV capacity and concurrency vs max-model-len");
    lp_status st = chart(d, r, "chart-kv-tokens");
    if (st == LP_OK)
        st = chart(d, r, "chart-kv-concurrency");
    static const char *const headers[] = {"max-model-len", "fits", "KV cache tokens",
                                          "max concurrency"};
    d->ops->table_begin(d, "kv-table", headers, 4);
    for (size_t i = 0; i < r->n_lengths; i++) {
        const lp_report_len_point *pt = &r->lengths[i];
        char l[48], t[48], c[48];
        lp_render_int(l, sizeof l, (long long)pt->max_model_len);
        if (pt->valid) {
            lp_render_int(t, sizeof t, (long long)pt->kv_tokens);
            snprintf(c, sizeof c, "%.2f", pt->max_concurrency);
        } else {
            snprintf(t, sizeof t, "-");
            snprintf(c, sizeof c, "-");
        }
        const char *cells[] = {l, !pt->valid ? "invalid" : pt->fits ? "yes" : "no", t, c};
        bool current = r->plan && pt->max_model_len == r->plan->max_model_len;
        d->ops->table_row(d, current ? "current" : NULL, cells, 4);
    }
    d->ops->table_end(d);
    d->ops->section_end(d);
    return st;
}

static lp_status load_section(lp_report_doc *d, const lp_report *r) {
    d->ops->section_begin(d, "load", "Throughput and latency vs concurrency");
    lp_status st = chart(d, r, "chart-throughput");
    if (st == LP_OK)
        st = chart(d, r, "chart-latency");
    if (r->knee >= 0 && (size_t)r->knee < r->n_load)
        para(d, "knee",
             "Knee: %d concurrent requests. Doubling the concurrency beyond it raises "
             "throughput by less than %.0f %% while latency keeps growing.",
             r->load[r->knee].concurrency, 100 * r->knee_threshold);
    else
        para(d, "knee",
             "No knee within the range: every doubling of the concurrency still raises "
             "throughput by %.0f %% or more.",
             100 * r->knee_threshold);
    static const char *const headers[] = {"concurrency",    "output tok/s",   "requests/s",
                                          "median TTFT ms", "median TPOT ms", "median ITL ms",
                                          "median E2E ms"};
    d->ops->table_begin(d, "load-table", headers, 7);
    for (size_t i = 0; i < r->n_load; i++) {
        const lp_report_load_point *pt = &r->load[i];
        char c[7][48];
        snprintf(c[0], sizeof c[0], "%d", pt->concurrency);
        fmt_int(c[1], sizeof c[1], pt->valid ? pt->output_tok_s : NAN);
        lp_render_fmt_num(c[2], sizeof c[2], pt->valid ? pt->request_s : NAN, 2);
        lp_render_fmt_ms(c[3], sizeof c[3], pt->valid ? pt->ttft_ms : NAN);
        lp_render_fmt_ms(c[4], sizeof c[4], pt->valid ? pt->tpot_ms : NAN);
        lp_render_fmt_ms(c[5], sizeof c[5], pt->valid ? pt->itl_ms : NAN);
        lp_render_fmt_ms(c[6], sizeof c[6], pt->valid ? pt->e2el_ms : NAN);
        const char *cells[] = {c[0], c[1], c[2], c[3], c[4], c[5], c[6]};
        d->ops->table_row(d, (int)i == r->knee ? "knee" : NULL, cells, 7);
    }
    d->ops->table_end(d);
    d->ops->section_end(d);
    return st;
}

static lp_status simulation_section(lp_report_doc *d, const lp_report *r) {
    const lp_perf_estimate *e = r->simulation;
    d->ops->section_begin(d, "simulation", "Latency distribution (simulation)");
    lp_status st = chart(d, r, "chart-simulation");
    if (r->simulation_note)
        para(d, NULL, "%s", r->simulation_note);
    static const char *const headers[] = {"ms", "mean", "median", "p90", "p99"};
    d->ops->table_begin(d, "simulation-table", headers, 5);
    const struct {
        const char *name;
        const lp_stat *s;
    } rows[] = {
        {"TTFT", &e->ttft_ms}, {"TPOT", &e->tpot_ms}, {"ITL", &e->itl_ms}, {"E2E", &e->e2el_ms}};
    for (size_t i = 0; i < 4; i++) {
        char c[4][48];
        lp_render_fmt_ms(c[0], sizeof c[0], rows[i].s->mean);
        lp_render_fmt_ms(c[1], sizeof c[1], rows[i].s->median);
        lp_render_fmt_ms(c[2], sizeof c[2], rows[i].s->p90);
        lp_render_fmt_ms(c[3], sizeof c[3], rows[i].s->p99);
        const char *cells[] = {rows[i].name, c[0], c[1], c[2], c[3]};
        d->ops->table_row(d, NULL, cells, 5);
    }
    d->ops->table_end(d);
    char a[48];
    para(d, NULL,
         "%d requests completed in %.1f s: %s output tokens/s, %.2f requests/s, %d preemptions.",
         e->completed, e->duration_s, fmt_int(a, sizeof a, e->output_tok_s), e->request_s,
         e->preemptions);
    d->ops->section_end(d);
    return st;
}

/* ---- recommendation --------------------------------------------------------------------- */

static void candidate_cells(const lp_candidate *c, size_t rank, char cells[][CELL]) {
    if (rank > 0)
        snprintf(cells[0], CELL, "%zu", rank);
    else
        snprintf(cells[0], CELL, "-");
    snprintf(cells[1], CELL, "%s x %d", c->gpu ? c->gpu->name : "?", c->num_gpus);
    snprintf(cells[2], CELL, "%d", c->nodes);
    snprintf(cells[3], CELL, "%d/%d/%d/%s", c->tp, c->pp, c->dp, c->expert_parallel ? "ep" : "-");
    snprintf(cells[4], CELL, "%s", c->quantization[0] ? c->quantization : "ckpt");
    snprintf(cells[5], CELL, "%s", lp_dtype_name(c->kv_cache_dtype));
    snprintf(cells[6], CELL, "%d/%d", c->max_num_seqs, c->max_num_batched_tokens);
    lp_render_fmt_ms(cells[7], CELL, c->ttft_ms);
    lp_render_fmt_ms(cells[8], CELL, c->tpot_ms);
    lp_render_fmt_ms(cells[9], CELL, c->e2e_ms);
    fmt_int(cells[10], CELL, c->output_tok_s);
    fmt_int(cells[11], CELL, c->output_tok_s_per_gpu);
    if (isfinite(c->usd_per_million_output_tokens))
        snprintf(cells[12], CELL, "%.3f", c->usd_per_million_output_tokens);
    else
        snprintf(cells[12], CELL, "-");
    if (c->capacity_method == LP_CAPACITY_NONE || !isfinite(c->max_request_rate))
        snprintf(cells[13], CELL, "-");
    else
        lp_render_fmt_num(cells[13], CELL, c->max_request_rate,
                          lp_render_decimals(c->max_request_rate));
    if (c->replicas > 0)
        snprintf(cells[14], CELL, "%d", c->replicas);
    else
        snprintf(cells[14], CELL, "%s", c->replicas < 0 ? "none" : "-");
    snprintf(cells[15], CELL, "%s", c->why);
}

enum { CAND_COLS = 16 };

static void candidate_table(lp_report_doc *d, const char *id, const lp_candidate *list, size_t n,
                            bool ranked, size_t chosen, int pct) {
    char h7[32], h8[32], h9[32];
    snprintf(h7, sizeof h7, "p%d TTFT ms", pct);
    snprintf(h8, sizeof h8, "p%d TPOT ms", pct);
    snprintf(h9, sizeof h9, "p%d E2E ms", pct);
    const char *headers[CAND_COLS] = {"#",
                                      "GPU x count",
                                      "nodes",
                                      "tp/pp/dp/ep",
                                      "quant",
                                      "KV dtype",
                                      "seqs/tokens",
                                      h7,
                                      h8,
                                      h9,
                                      "output tok/s",
                                      "tok/s per GPU",
                                      "$/M tokens",
                                      "max req/s",
                                      "replicas",
                                      "why"};
    d->ops->table_begin(d, id, headers, CAND_COLS);
    for (size_t i = 0; i < n; i++) {
        char cells[CAND_COLS][CELL];
        candidate_cells(&list[i], ranked ? i + 1 : 0, cells);
        const char *cp[CAND_COLS];
        for (size_t k = 0; k < CAND_COLS; k++)
            cp[k] = cells[k];
        d->ops->table_row(d, ranked && i == chosen ? "chosen" : NULL, cp, CAND_COLS);
    }
    d->ops->table_end(d);
}

/* Latency against load of the top configurations, one chart per latency target. */
static lp_status capacity_section(lp_report_doc *d, const lp_report *r) {
    static const char *const ids[] = {"chart-capacity-ttft", "chart-capacity-tpot",
                                      "chart-capacity-e2e"};
    const lp_recommend_view *v = r->recommend;
    if (!v->sweeps || v->n_sweeps == 0)
        return LP_OK;
    d->ops->section_begin(d, "capacity", "Latency against load");
    para(d, NULL,
         "How each of the top %zu configurations behaves as the request rate grows to its "
         "capacity and beyond; where a line crosses the target is its max req/s.",
         v->n_sweeps);
    lp_status st = LP_OK;
    for (size_t i = 0; i < 3 && st == LP_OK; i++)
        if (lp_report_chart_index(r, ids[i]) != (size_t)-1)
            st = chart(d, r, ids[i]);
    d->ops->section_end(d);
    return st;
}

/* The chosen configuration over a day of load. */
static lp_status profile_section(lp_report_doc *d, const lp_report *r) {
    const lp_recommend_view *v = r->recommend;
    const lp_load_profile *p = v->load_profile;
    if (!p)
        return LP_OK;
    d->ops->section_begin(d, "load-profile", "Sizing for the day's load");
    char a[32], b[32];
    para(d, NULL, "Load profile: %zu intervals of %.0f minutes, peak %s req/s, mean %s req/s.",
         p->n, p->interval_s / 60.0,
         lp_render_fmt_num(a, sizeof a, lp_load_profile_peak(p),
                           lp_render_decimals(lp_load_profile_peak(p))),
         lp_render_fmt_num(b, sizeof b, lp_load_profile_mean(p),
                           lp_render_decimals(lp_load_profile_mean(p))));
    const lp_load_sizing *z = v->sizing;
    lp_status st = LP_OK;
    if (!z) {
        para(d, NULL, "No sizing: %s.",
             v->sizing_error && v->sizing_error[0] ? v->sizing_error
                                                   : "no configuration meets the targets");
    } else {
        st = chart(d, r, "chart-load-profile");
        static const char *const headers[] = {"", "GPU-hours a day", "$ a day", "peak GPUs"};
        d->ops->table_begin(d, "load-profile-table", headers, 4);
        char c0[48], c1[48], c2[48], c3[48];
        const char *row[4] = {c0, c1, c2, c3};
        snprintf(c0, sizeof c0, "following the load");
        fmt_int(c1, sizeof c1, z->gpu_hours_per_day);
        if (isfinite(z->usd_per_day))
            snprintf(c2, sizeof c2, "%.2f", z->usd_per_day);
        else
            snprintf(c2, sizeof c2, "-");
        snprintf(c3, sizeof c3, "%d", z->peak_replicas * z->num_gpus);
        d->ops->table_row(d, NULL, row, 4);
        snprintf(c0, sizeof c0, "fixed fleet for the peak");
        fmt_int(c1, sizeof c1, z->fixed_gpu_hours_per_day);
        if (isfinite(z->fixed_usd_per_day))
            snprintf(c2, sizeof c2, "%.2f", z->fixed_usd_per_day);
        else
            snprintf(c2, sizeof c2, "-");
        d->ops->table_row(d, NULL, row, 4);
        d->ops->table_end(d);
        para(d, NULL,
             "#%zu takes %.3g req/s at the targets; replicas keep %.0f %% headroom and at least "
             "%d stays up.",
             v->chosen + 1, z->max_request_rate, 100 * z->headroom, z->min_replicas);
    }
    d->ops->section_end(d);
    return st;
}

static lp_status recommend_sections(lp_report_doc *d, const lp_report *r) {
    const lp_recommend_view *v = r->recommend;
    const lp_search_result *res = v->result;
    int pct = v->spec && v->spec->targets.percentile > 0 ? v->spec->targets.percentile : 50;
    lp_status st = LP_OK;
    if (res->n_ranked > 0) {
        d->ops->section_begin(d, "pareto", "Cost vs latency: the Pareto front");
        st = chart(d, r, "chart-pareto");
        size_t n = res->n_pareto < MAX_PARETO_ROWS ? res->n_pareto : MAX_PARETO_ROWS;
        candidate_table(d, "pareto-table", res->pareto, n, false, 0, pct);
        if (n < res->n_pareto)
            para(d, NULL, "... and %zu more on the front (--json lists them all).",
                 res->n_pareto - n);
        d->ops->section_end(d);

        d->ops->section_begin(d, "ranked", "Top deployments");
        size_t top = v->top < res->n_ranked ? v->top : res->n_ranked;
        para(d, NULL,
             "The best %zu of %zu deployments that meet every target (%zu configurations: each "
             "row shows its deployment's best max-num-seqs / max-num-batched-tokens).",
             top, res->deployments, res->feasible);
        para(d, NULL, "Objective: %s", res->objective_note);
        if (v->load_note && v->load_note[0])
            para(d, NULL, "Load: %s.", v->load_note);
        if (v->disagg && v->disagg->searched)
            para(d, NULL, "Disaggregated prefill/decode: %s.", v->disagg->verdict);
        else if (v->disagg)
            para(d, NULL, "Disaggregated prefill/decode %s.", v->disagg->note);
        candidate_table(d, "ranked-table", res->ranked, top, true, v->chosen, pct);
        char rate[32];
        para(d, NULL,
             "max req/s: the highest Poisson request rate one deployment sustains while it keeps "
             "up and meets every target (%s). replicas: %s",
             pct == 50 ? "roofline" : "bracketed by the roofline, refined by simulation",
             v->offered_request_rate > 0 || v->offered_concurrency > 0
                 ? ""
                 : "a load (a rate or concurrent clients) sizes them.");
        if (v->offered_request_rate > 0)
            para(d, NULL,
                 "Replicas are copies of the deployment for %s req/s with %.0f %% headroom.",
                 lp_render_fmt_num(rate, sizeof rate, v->offered_request_rate,
                                   lp_render_decimals(v->offered_request_rate)),
                 100 * v->headroom);
        else if (v->offered_concurrency > 0)
            para(d, NULL,
                 "Replicas are copies of the deployment for %.0f concurrent clients with %.0f %% "
                 "headroom; one copy holds max req/s x its mean E2E latency there (Little's law) "
                 "clients.",
                 v->offered_concurrency, 100 * v->headroom);
        d->ops->section_end(d);
        st = capacity_section(d, r);
        if (st == LP_OK)
            st = profile_section(d, r);
    } else if (v->misses && v->n_misses > 0) {
        d->ops->section_begin(d, "ranked", "Closest misses");
        para(d, NULL, "Nothing meets the targets; these come closest.");
        candidate_table(d, "ranked-table", v->misses, v->n_misses, false, 0, pct);
        d->ops->section_end(d);
    }

    d->ops->section_begin(d, "rejections", "What was rejected and why");
    char line[LINE];
    para(d, NULL, "%s", lp_render_rejections(line, sizeof line, res, &v->spec->targets));
    static const char *const headers[] = {"reason", "configurations"};
    d->ops->table_begin(d, "rejections-table", headers, 2);
    char a[48];
    kv_row(d, "enumerated", "%s", lp_render_int(a, sizeof a, (long long)res->enumerated));
    kv_row(d, "estimated (fit in memory)", "%s",
           lp_render_int(a, sizeof a, (long long)res->estimated));
    for (int k = 0; k < LP_REJECT_COUNT; k++)
        if (res->rejected[k] > 0)
            kv_row(d, lp_reject_reason_name((lp_reject_reason)k), "%s",
                   lp_render_int(a, sizeof a, (long long)res->rejected[k]));
    kv_row(d, "meet every target", "%s", lp_render_int(a, sizeof a, (long long)res->feasible));
    d->ops->table_end(d);
    para(d, NULL, "Prices: %s. Search time %.2f s.",
         res->price_origin ? res->price_origin : "(none)", res->search_s);
    d->ops->section_end(d);
    return st;
}

/* ---- assumptions and command ------------------------------------------------------------- */

static bool seen_before(const char *const *list, size_t n, const char *s) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

static void assumptions_section(lp_report_doc *d, const lp_report *r) {
    enum { MAX_ITEMS = 96 };
    const char *items[MAX_ITEMS];
    size_t n = 0;
    if (r->model)
        for (int i = 0; i < r->model->n_notes && n < MAX_ITEMS; i++)
            if (!seen_before(items, n, r->model->notes[i]))
                items[n++] = r->model->notes[i];
    if (r->plan)
        for (int i = 0; i < r->plan->n_notes && n < MAX_ITEMS; i++)
            if (!seen_before(items, n, r->plan->notes[i]))
                items[n++] = r->plan->notes[i];
    const lp_perf_estimate *ests[] = {r->estimate, r->simulation};
    for (size_t e = 0; e < 2; e++)
        if (ests[e])
            for (int i = 0; i < ests[e]->n_assumptions && n < MAX_ITEMS; i++)
                if (!seen_before(items, n, ests[e]->assumptions[i]))
                    items[n++] = ests[e]->assumptions[i];
    d->ops->section_begin(d, "assumptions", "Assumptions");
    if (n == 0) {
        para(d, NULL, "None recorded.");
    } else {
        d->ops->list_begin(d);
        for (size_t i = 0; i < n; i++)
            d->ops->list_item(d, items[i]);
        d->ops->list_end(d);
    }
    d->ops->section_end(d);
}

lp_status lp_report_write_content(lp_report_doc *d, const lp_report *r) {
    lp_status st = LP_OK;
    summary_section(d, r);
    inputs_section(d, r);
    if (r->plan)
        st = memory_section(d, r);
    if (st == LP_OK && r->lengths && r->n_lengths > 0)
        st = lengths_section(d, r);
    if (st == LP_OK && r->load && r->n_load > 0)
        st = load_section(d, r);
    if (st == LP_OK && r->simulation && r->simulation->valid)
        st = simulation_section(d, r);
    if (st == LP_OK && r->recommend && r->recommend->result)
        st = recommend_sections(d, r);
    if (st != LP_OK)
        return st;
    assumptions_section(d, r);
    d->ops->section_begin(d, "vllm-serve", "Command");
    if (r->vllm_serve)
        d->ops->code(d, "vllm-serve-command", r->vllm_serve);
    else
        para(d, NULL, "No `vllm serve` command: there is no configuration to run.");
    d->ops->section_end(d);
    return ferror(d->out) ? LP_ERR_IO : LP_OK;
}
