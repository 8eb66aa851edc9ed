/*
 * report_charts.c - the charts of a report as svg.c charts: the memory breakdown (one stacked
 * bar per pipeline stage), KV capacity and maximum concurrency against max-model-len,
 * throughput and latency against concurrency (the knee marked), the latency statistics of the
 * simulation, the cost / latency Pareto front of a recommendation, latency against load for
 * its top configurations with the target drawn, and the GPUs a day's load profile takes.
 *
 * It only arranges numbers the caller computed (lp_report); the one piece of arithmetic is the
 * free part of a memory bar, total minus what the plan accounts for.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "render/report_internal.h"

#define GIB 1073741824.0
/* Ranked points drawn in the Pareto chart unless lp_report says otherwise. */
#define DEFAULT_SCATTER_POINTS 1000
/* Room for one point's tooltip. */
#define LABEL_SIZE 128
/* A y range wider than this ratio is drawn on a log axis. */
#define LOG_RATIO 50.0

enum {
    CH_MEMORY = 0,
    CH_KV_TOKENS,
    CH_KV_CONCURRENCY,
    CH_THROUGHPUT,
    CH_LATENCY,
    CH_SIMULATION,
    CH_PARETO,
    CH_CAPACITY_TTFT,
    CH_CAPACITY_TPOT,
    CH_CAPACITY_E2E,
    CH_PROFILE,
    CH_COUNT
};

lp_report_format lp_report_format_for_path(const char *path) {
    const char *dot = path ? strrchr(path, '.') : NULL;
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (!dot || (slash && dot < slash) || dot == path || (slash && dot == slash + 1))
        return LP_REPORT_NONE;
    if (strcasecmp(dot, ".html") == 0 || strcasecmp(dot, ".htm") == 0)
        return LP_REPORT_HTML;
    if (strcasecmp(dot, ".md") == 0 || strcasecmp(dot, ".markdown") == 0)
        return LP_REPORT_MARKDOWN;
    return LP_REPORT_NONE;
}

void lp_report_init(lp_report *r) {
    memset(r, 0, sizeof *r);
    r->knee = -1;
    r->knee_threshold = 0.10;
}

static bool has_chart(const lp_report *r, int kind) {
    switch (kind) {
    case CH_MEMORY:
        return r->plan && r->plan->n_ranks > 0;
    case CH_KV_TOKENS:
    case CH_KV_CONCURRENCY:
        return r->lengths && r->n_lengths > 0;
    case CH_THROUGHPUT:
    case CH_LATENCY:
        return r->load && r->n_load > 0;
    case CH_SIMULATION:
        return r->simulation && r->simulation->valid;
    case CH_PARETO:
        return r->recommend && r->recommend->result && r->recommend->result->n_ranked > 0;
    case CH_CAPACITY_TTFT:
    case CH_CAPACITY_TPOT:
    case CH_CAPACITY_E2E: {
        const lp_recommend_view *v = r->recommend;
        if (!v || !v->sweeps || v->n_sweeps == 0 || !v->spec)
            return false;
        const lp_targets *t = &v->spec->targets;
        bool any =
            t->max_ttft_ms > 0 || t->max_tpot_ms > 0 || t->max_itl_ms > 0 || t->max_e2e_ms > 0;
        /* one chart per latency target; E2E alone when there is none */
        return kind == CH_CAPACITY_TTFT   ? t->max_ttft_ms > 0
               : kind == CH_CAPACITY_TPOT ? t->max_tpot_ms > 0
                                          : t->max_e2e_ms > 0 || !any;
    }
    case CH_PROFILE:
        return r->recommend && r->recommend->sizing && r->recommend->load_profile;
    default:
        return false;
    }
}

size_t lp_report_chart_count(const lp_report *r) {
    size_t n = 0;
    for (int k = 0; k < CH_COUNT; k++)
        n += has_chart(r, k);
    return n;
}

static const char *const CHART_IDS[CH_COUNT] = {
    "chart-memory",        "chart-kv-tokens",    "chart-kv-concurrency", "chart-throughput",
    "chart-latency",       "chart-simulation",   "chart-pareto",         "chart-capacity-ttft",
    "chart-capacity-tpot", "chart-capacity-e2e", "chart-load-profile"};

size_t lp_report_chart_index(const lp_report *r, const char *id) {
    size_t i = 0;
    for (int k = 0; k < CH_COUNT; k++) {
        if (!has_chart(r, k))
            continue;
        if (strcmp(CHART_IDS[k], id) == 0)
            return i;
        i++;
    }
    return (size_t)-1;
}

static int kind_at(const lp_report *r, size_t i) {
    for (int k = 0; k < CH_COUNT; k++)
        if (has_chart(r, k) && i-- == 0)
            return k;
    return -1;
}

void lp_report_chart_free(lp_report_chart *c) {
    free(c->values);
    free(c->flags);
    free(c->labels);
    free(c->label_text);
    c->values = NULL;
    c->flags = NULL;
    c->labels = NULL;
    c->label_text = NULL;
}

static lp_status alloc_values(lp_report_chart *c, size_t n) {
    c->values = calloc(n ? n : 1, sizeof *c->values);
    return c->values ? LP_OK : LP_ERR_NOMEM;
}

/* ---- memory ---------------------------------------------------------------------------- */

static lp_status memory_chart(const lp_report *r, lp_report_chart *c) {
    static const char *const names[] = {"weights",     "activation peak", "non-torch",
                                        "CUDA graphs", "KV cache",        "free / reserved"};
    static const char *const colors[] = {"#4e79a7", "#f28e2b", "#e15759",
                                         "#b07aa1", "#59a14f", "#d9d9d9"};
    enum { SEGMENTS = 6 };
    const lp_mem_plan *p = r->plan;
    size_t n = (size_t)p->n_ranks;
    if (n > LP_SVG_MAX_CATEGORIES)
        n = LP_SVG_MAX_CATEGORIES;
    if (alloc_values(c, SEGMENTS * n) != LP_OK)
        return LP_ERR_NOMEM;
    for (size_t k = 0; k < n; k++) {
        const lp_mem_rank *m = &p->ranks[k];
        double *v = c->values;
        v[0 * n + k] = m->weights_bytes / GIB;
        v[1 * n + k] = m->activation_bytes / GIB;
        v[2 * n + k] = m->non_torch_bytes / GIB;
        v[3 * n + k] = m->cuda_graph_bytes / GIB;
        v[4 * n + k] = m->kv_cache_bytes / GIB;
        double used = m->weights_bytes + m->activation_bytes + m->non_torch_bytes +
                      m->cuda_graph_bytes + (m->kv_cache_bytes > 0 ? m->kv_cache_bytes : 0);
        v[5 * n + k] = (m->total_bytes - used) / GIB;
        if (n == 1)
            snprintf(c->category_text[k], sizeof c->category_text[k], "%s%d GPU%s",
                     p->num_gpus > 1 ? "each of " : "", p->num_gpus, p->num_gpus > 1 ? "s" : "");
        else
            snprintf(c->category_text[k], sizeof c->category_text[k], "stage %d (%d GPU%s)",
                     m->pp_rank, p->tp, p->tp == 1 ? "" : "s");
        c->categories[k] = c->category_text[k];
    }
    for (size_t i = 0; i < SEGMENTS; i++) {
        c->series[i].name = names[i];
        c->series[i].y = c->values + i * n;
        c->series[i].n = n;
        c->series[i].color = colors[i];
    }
    lp_svg_chart_init(&c->chart, LP_SVG_BAR);
    c->chart.id = "chart-memory";
    snprintf(c->title, sizeof c->title, "Memory per GPU%s", n > 1 ? " by pipeline stage" : "");
    snprintf(c->desc, sizeof c->desc,
             "Stacked bars of each GPU's memory as vLLM accounts for it at start-up: weights, the "
             "activation peak of the profile run, non-torch memory, CUDA graphs, the KV cache "
             "and what is left free (including the %.0f %% outside --gpu-memory-utilization).",
             100 * (1 - p->gpu_memory_utilization));
    c->chart.x_label = n > 1 ? "pipeline stage" : "GPU";
    c->chart.y_label = "memory";
    c->chart.y_unit = "GiB";
    c->chart.categories = c->categories;
    c->chart.n_categories = n;
    c->chart.n_series = SEGMENTS;
    c->chart.stacked = true;
    return LP_OK;
}

/* ---- KV capacity vs max-model-len ------------------------------------------------------- */

static lp_status lengths_chart(const lp_report *r, lp_report_chart *c, bool concurrency) {
    size_t n = r->n_lengths;
    if (alloc_values(c, 3 * n) != LP_OK)
        return LP_ERR_NOMEM;
    double *x = c->values, *y = c->values + n, *one = c->values + 2 * n;
    for (size_t k = 0; k < n; k++) {
        const lp_report_len_point *pt = &r->lengths[k];
        x[k] = (double)pt->max_model_len;
        y[k] = !pt->valid ? NAN : concurrency ? pt->max_concurrency : (double)pt->kv_tokens;
        one[k] = 1;
    }
    lp_svg_chart_init(&c->chart, LP_SVG_LINE);
    c->series[0].name = concurrency ? "maximum concurrency" : "KV cache tokens";
    c->series[0].x = x;
    c->series[0].y = y;
    c->series[0].n = n;
    c->chart.n_series = 1;
    if (concurrency) {
        c->series[1].name = "1 request (below: does not fit)";
        c->series[1].x = x;
        c->series[1].y = one;
        c->series[1].n = n;
        c->series[1].color = "#999999";
        c->series[1].no_markers = true;
        c->chart.n_series = 2;
    }
    c->chart.id = concurrency ? "chart-kv-concurrency" : "chart-kv-tokens";
    snprintf(c->title, sizeof c->title, "%s vs max-model-len",
             concurrency ? "Maximum concurrency" : "KV cache capacity");
    snprintf(c->desc, sizeof c->desc, "%s",
             concurrency ? "Requests of max-model-len tokens the KV cache holds at once, as vLLM "
                           "logs it (Maximum concurrency for N tokens per request), for the same "
                           "configuration planned again at each max-model-len."
                         : "Tokens of KV cache (GPU KV cache size) for the same configuration "
                           "planned again at each max-model-len.");
    c->chart.x_label = "max-model-len";
    c->chart.x_unit = "tokens";
    c->chart.y_label = concurrency ? "requests" : "KV cache";
    c->chart.y_unit = concurrency ? "" : "tokens";
    c->chart.log_x = true;
    c->chart.log_y = concurrency;
    if (r->plan && r->plan->max_model_len > 0) {
        c->chart.marker_x = (double)r->plan->max_model_len;
        snprintf(c->marker, sizeof c->marker, "configured %lld", (long long)r->plan->max_model_len);
        c->chart.marker_label = c->marker;
    }
    return LP_OK;
}

/* ---- throughput and latency vs concurrency ------------------------------------------------ */

static bool wide_range(const double *v, size_t n) {
    double lo = INFINITY, hi = 0;
    for (size_t k = 0; k < n; k++)
        if (isfinite(v[k]) && v[k] > 0) {
            lo = v[k] < lo ? v[k] : lo;
            hi = v[k] > hi ? v[k] : hi;
        }
    return hi > 0 && isfinite(lo) && hi / lo > LOG_RATIO;
}

static void knee_marker(const lp_report *r, lp_report_chart *c) {
    if (r->knee < 0 || (size_t)r->knee >= r->n_load)
        return;
    c->chart.marker_x = r->load[r->knee].concurrency;
    snprintf(c->marker, sizeof c->marker, "knee: %d concurrent", r->load[r->knee].concurrency);
    c->chart.marker_label = c->marker;
}

static lp_status load_chart(const lp_report *r, lp_report_chart *c, bool latency) {
    size_t n = r->n_load;
    if (alloc_values(c, 4 * n) != LP_OK)
        return LP_ERR_NOMEM;
    double *x = c->values;
    for (size_t k = 0; k < n; k++) {
        const lp_report_load_point *pt = &r->load[k];
        x[k] = pt->concurrency;
        c->values[n + k] = pt->valid ? (latency ? pt->ttft_ms : pt->output_tok_s) : NAN;
        c->values[2 * n + k] = pt->valid ? pt->tpot_ms : NAN;
        c->values[3 * n + k] = pt->valid ? pt->e2el_ms : NAN;
    }
    lp_svg_chart_init(&c->chart, LP_SVG_LINE);
    static const char *const lat_names[] = {"median TTFT", "median TPOT", "median E2E"};
    size_t ns = latency ? 3 : 1;
    for (size_t i = 0; i < ns; i++) {
        c->series[i].name = latency ? lat_names[i] : "output tokens/s";
        c->series[i].x = x;
        c->series[i].y = c->values + (i + 1) * n;
        c->series[i].n = n;
    }
    c->chart.n_series = ns;
    c->chart.id = latency ? "chart-latency" : "chart-throughput";
    snprintf(c->title, sizeof c->title, "%s vs concurrency",
             latency ? "Latency" : "Output throughput");
    snprintf(c->desc, sizeof c->desc,
             "Roofline estimates with the given number of clients in a closed loop "
             "(--max-concurrency), the whole deployment. The knee is the last concurrency whose "
             "doubling still raises throughput by %.0f %% or more.",
             100 * r->knee_threshold);
    c->chart.x_label = "concurrent requests";
    c->chart.y_label = latency ? "latency" : "output throughput";
    c->chart.y_unit = latency ? "ms" : "tok/s";
    c->chart.log_x = true;
    c->chart.log_y = latency && wide_range(c->values + n, 3 * n);
    knee_marker(r, c);
    return LP_OK;
}

/* ---- simulation ---------------------------------------------------------------------------- */

static lp_status simulation_chart(const lp_report *r, lp_report_chart *c) {
    static const char *const cats[] = {"mean", "median", "p90", "p99"};
    static const char *const names[] = {"TTFT", "TPOT", "ITL"};
    const lp_perf_estimate *e = r->simulation;
    const lp_stat *stats[] = {&e->ttft_ms, &e->tpot_ms, &e->itl_ms};
    if (alloc_values(c, 12) != LP_OK)
        return LP_ERR_NOMEM;
    for (size_t i = 0; i < 3; i++) {
        double *v = c->values + 4 * i;
        v[0] = stats[i]->mean;
        v[1] = stats[i]->median;
        v[2] = stats[i]->p90;
        v[3] = stats[i]->p99;
        c->series[i].name = names[i];
        c->series[i].y = v;
        c->series[i].n = 4;
    }
    for (size_t k = 0; k < 4; k++)
        c->categories[k] = cats[k];
    lp_svg_chart_init(&c->chart, LP_SVG_BAR);
    c->chart.stacked = false;
    c->chart.id = "chart-simulation";
    snprintf(c->title, sizeof c->title, "Latency statistics of the simulation");
    snprintf(c->desc, sizeof c->desc,
             "Mean, median, p90 and p99 of time to first token, time per output token and "
             "inter-token latency from one discrete-event simulation of vLLM's scheduler. The "
             "estimate API returns these statistics, not per-request samples, so the "
             "distribution is shown by its percentiles rather than as a histogram.");
    c->chart.categories = c->categories;
    c->chart.n_categories = 4;
    c->chart.n_series = 3;
    c->chart.x_label = "statistic";
    c->chart.y_label = "latency";
    c->chart.y_unit = "ms";
    c->chart.log_y = wide_range(c->values, 12);
    return LP_OK;
}

/* ---- Pareto front ----------------------------------------------------------------------- */

static void candidate_label(char *buf, size_t size, const char *prefix, const lp_candidate *c) {
    snprintf(buf, size, "%s%s x %d, tp %d pp %d dp %d%s%s%s: E2E %.0f ms, $%.3f/M tok", prefix,
             c->gpu ? c->gpu->name : "?", c->num_gpus, c->tp, c->pp, c->dp,
             c->expert_parallel ? " ep" : "", c->quantization[0] ? ", " : "", c->quantization,
             c->e2e_ms, c->usd_per_million_output_tokens);
}

static lp_status pareto_chart(const lp_report *r, lp_report_chart *c) {
    const lp_recommend_view *v = r->recommend;
    const lp_search_result *res = v->result;
    size_t cap = r->max_scatter_points ? r->max_scatter_points : DEFAULT_SCATTER_POINTS;
    size_t n_all = res->n_ranked < cap ? res->n_ranked : cap;
    size_t n_front = res->n_pareto;
    bool chosen = v->chosen < res->n_ranked;
    size_t total = n_all + n_front + 1;
    size_t labelled = (v->top < n_all ? v->top : n_all) + n_front + 1;
    if (alloc_values(c, 2 * total) != LP_OK)
        return LP_ERR_NOMEM;
    c->flags = calloc(total, sizeof *c->flags);
    c->labels = calloc(total, sizeof *c->labels);
    c->label_text = malloc(labelled * LABEL_SIZE);
    if (!c->flags || !c->labels || !c->label_text)
        return LP_ERR_NOMEM;
    double *x = c->values, *y = c->values + total;
    size_t used_labels = 0;
    const lp_candidate *groups[3] = {res->ranked, res->pareto,
                                     chosen ? &res->ranked[v->chosen] : NULL};
    size_t counts[3] = {n_all, n_front, chosen ? 1 : 0};
    static const char *const names[] = {"ranked configurations", "Pareto front", "chosen"};
    static const char *const colors[] = {"#9db4d0", "#f28e2b", "#e15759"};
    size_t at = 0;
    for (size_t g = 0; g < 3; g++) {
        c->series[g].name = names[g];
        c->series[g].x = x + at;
        c->series[g].y = y + at;
        c->series[g].n = counts[g];
        c->series[g].highlight = g > 0 ? c->flags + at : NULL;
        c->series[g].labels = c->labels + at;
        c->series[g].color = colors[g];
        for (size_t k = 0; k < counts[g]; k++) {
            const lp_candidate *cand = &groups[g][k];
            x[at + k] = cand->e2e_ms;
            y[at + k] = cand->usd_per_million_output_tokens;
            c->flags[at + k] = g > 0;
            if ((g > 0 || k < v->top) && used_labels < labelled) {
                char prefix[32] = "";
                if (g == 0 || g == 2) {
                    size_t rank = g == 0 ? k + 1 : v->chosen + 1;
                    snprintf(prefix, sizeof prefix, "#%zu ", rank);
                }
                char *buf = c->label_text + used_labels++ * LABEL_SIZE;
                candidate_label(buf, LABEL_SIZE, prefix, cand);
                c->labels[at + k] = buf;
            }
        }
        at += counts[g];
    }
    lp_svg_chart_init(&c->chart, LP_SVG_SCATTER);
    c->chart.id = "chart-pareto";
    c->chart.n_series = 3;
    int pct = v->spec && v->spec->targets.percentile > 0 ? v->spec->targets.percentile : 50;
    snprintf(c->title, sizeof c->title, "Cost vs latency (p%d E2E)", pct);
    snprintf(c->desc, sizeof c->desc,
             "Each point is a configuration that meets every target (the best %zu of %zu by the "
             "objective); the Pareto front (no other configuration is both cheaper and faster) "
             "and the chosen configuration are highlighted. Configurations without a price are "
             "not drawn.",
             n_all, res->n_ranked);
    c->chart.x_label = "end-to-end latency";
    c->chart.x_unit = "ms";
    c->chart.y_label = "cost";
    c->chart.y_unit = "$ per million output tokens";
    c->chart.log_x = wide_range(x, total);
    c->chart.log_y = wide_range(y, total);
    return LP_OK;
}

/* ---- capacity: latency against load ------------------------------------------------------ */

static lp_status capacity_chart(const lp_report *r, lp_report_chart *c, int kind) {
    const lp_recommend_view *v = r->recommend;
    const lp_targets *t = &v->spec->targets;
    const char *what = kind == CH_CAPACITY_TTFT   ? "TTFT"
                       : kind == CH_CAPACITY_TPOT ? "TPOT"
                                                  : "E2E";
    const double target = kind == CH_CAPACITY_TTFT   ? t->max_ttft_ms
                          : kind == CH_CAPACITY_TPOT ? t->max_tpot_ms
                                                     : t->max_e2e_ms;
    size_t ns = v->n_sweeps < LP_REPORT_MAX_SERIES - 1 ? v->n_sweeps : LP_REPORT_MAX_SERIES - 1;
    size_t per = LP_RECOMMEND_SWEEP_POINTS;
    if (alloc_values(c, 2 * per * ns + 4) != LP_OK)
        return LP_ERR_NOMEM;
    c->label_text = malloc((ns + 1) * LABEL_SIZE);
    if (!c->label_text)
        return LP_ERR_NOMEM;
    double lo = INFINITY, hi = 0;
    for (size_t i = 0; i < ns; i++) {
        const lp_recommend_sweep *sw = &v->sweeps[i];
        double *x = c->values + 2 * per * i, *y = x + per;
        for (size_t k = 0; k < sw->n && k < per; k++) {
            const lp_load_point *p = &sw->points[k];
            bool ok = p->valid && p->keeps_up;
            x[k] = p->request_rate;
            y[k] = !ok                        ? NAN
                   : kind == CH_CAPACITY_TTFT ? p->ttft_ms
                   : kind == CH_CAPACITY_TPOT ? p->tpot_ms
                                              : p->e2e_ms;
            if (p->request_rate > 0) {
                lo = p->request_rate < lo ? p->request_rate : lo;
                hi = p->request_rate > hi ? p->request_rate : hi;
            }
        }
        const lp_candidate *cand = &v->result->ranked[sw->rank];
        char *name = c->label_text + i * LABEL_SIZE;
        snprintf(name, LABEL_SIZE, "#%zu %s x %d tp%d dp%d%s%s", sw->rank + 1,
                 cand->gpu ? cand->gpu->name : "?", cand->num_gpus, cand->tp, cand->dp,
                 cand->quantization[0] ? " " : "", cand->quantization);
        c->series[i].name = name;
        c->series[i].x = x;
        c->series[i].y = y;
        c->series[i].n = sw->n < per ? sw->n : per;
    }
    if (target > 0 && hi > 0) {
        /* the target as a flat reference line across the loads drawn */
        double *x = c->values + 2 * per * ns, *y = x + 2;
        x[0] = lo;
        x[1] = hi;
        y[0] = y[1] = target;
        char *name = c->label_text + ns * LABEL_SIZE;
        snprintf(name, LABEL_SIZE, "target %s <= %g ms", what, target);
        c->series[ns].name = name;
        c->series[ns].x = x;
        c->series[ns].y = y;
        c->series[ns].n = 2;
        c->series[ns].color = "#b3261e";
        c->series[ns].no_markers = true;
    }
    lp_svg_chart_init(&c->chart, LP_SVG_LINE);
    c->chart.n_series = target > 0 && hi > 0 ? ns + 1 : ns;
    c->chart.id = kind == CH_CAPACITY_TTFT   ? "chart-capacity-ttft"
                  : kind == CH_CAPACITY_TPOT ? "chart-capacity-tpot"
                                             : "chart-capacity-e2e";
    int pct = t->percentile > 0 ? t->percentile : 50;
    snprintf(c->title, sizeof c->title, "p%d %s against load", pct, what);
    snprintf(c->desc, sizeof c->desc,
             "Each line is one of the top configurations at Poisson request rates from 10 %% to "
             "120 %% of its capacity at the targets (max req/s); %s. A load it falls behind has no "
             "steady latency (the backlog grows) and is not drawn. The red line is the target.",
             pct == 50 ? "roofline estimates"
                       : "simulated percentiles (1000 requests each, seed 0)");
    c->chart.x_label = "request rate";
    c->chart.x_unit = "req/s";
    c->chart.y_label = what;
    c->chart.y_unit = "ms";
    return LP_OK;
}

/* ---- a day of load ------------------------------------------------------------------------ */

static lp_status profile_chart(const lp_report *r, lp_report_chart *c) {
    const lp_load_sizing *z = r->recommend->sizing;
    const size_t n = z->n;
    if (alloc_values(c, 4 * n) != LP_OK)
        return LP_ERR_NOMEM;
    double *x = c->values, *need = x + n, *xf = need + n, *fixed = xf + n;
    for (size_t i = 0; i < n; i++) {
        x[i] = xf[i] = (double)i * z->interval_s / 3600.0;
        need[i] = (double)z->replicas[i] * z->num_gpus;
        fixed[i] = (double)z->peak_replicas * z->num_gpus;
    }
    lp_svg_chart_init(&c->chart, LP_SVG_LINE);
    c->series[0].name = "GPUs following the load";
    c->series[0].x = x;
    c->series[0].y = need;
    c->series[0].n = n;
    c->series[0].no_markers = n > 48;
    c->series[1].name = "fixed fleet for the peak";
    c->series[1].x = xf;
    c->series[1].y = fixed;
    c->series[1].n = n;
    c->series[1].no_markers = true;
    c->series[1].color = "#b3261e";
    c->chart.n_series = 2;
    c->chart.id = "chart-load-profile";
    snprintf(c->title, sizeof c->title, "GPUs through the day (#%zu, %.0f %% headroom)",
             r->recommend->chosen + 1, 100 * z->headroom);
    snprintf(c->desc, sizeof c->desc,
             "GPUs the chosen configuration needs in each interval of the load profile: "
             "replicas = ceil(rate x (1 + headroom) / %.3g req/s), at least %d, times %d GPUs "
             "each; against a fleet sized for the peak all day. %.0f against %.0f GPU-hours a "
             "day.",
             z->max_request_rate, z->min_replicas, z->num_gpus, z->gpu_hours_per_day,
             z->fixed_gpu_hours_per_day);
    c->chart.x_label = "hour of the day (interval start)";
    c->chart.x_unit = "h";
    c->chart.y_label = "GPUs";
    return LP_OK;
}

lp_status lp_report_chart_build(const lp_report *r, size_t i, lp_report_chart *out) {
    memset(out, 0, sizeof *out);
    int kind = kind_at(r, i);
    lp_status st;
    switch (kind) {
    case CH_MEMORY:
        st = memory_chart(r, out);
        break;
    case CH_KV_TOKENS:
    case CH_KV_CONCURRENCY:
        st = lengths_chart(r, out, kind == CH_KV_CONCURRENCY);
        break;
    case CH_THROUGHPUT:
    case CH_LATENCY:
        st = load_chart(r, out, kind == CH_LATENCY);
        break;
    case CH_SIMULATION:
        st = simulation_chart(r, out);
        break;
    case CH_PARETO:
        st = pareto_chart(r, out);
        break;
    case CH_CAPACITY_TTFT:
    case CH_CAPACITY_TPOT:
    case CH_CAPACITY_E2E:
        st = capacity_chart(r, out, kind);
        break;
    case CH_PROFILE:
        st = profile_chart(r, out);
        break;
    default:
        return LP_ERR_INVALID_ARG;
    }
    if (st != LP_OK)
        return st;
    out->chart.series = out->series;
    out->chart.title = out->title;
    out->chart.desc = out->desc;
    return LP_OK;
}

lp_status lp_render_report_chart_svg(FILE *out, const lp_report *r, size_t i) {
    lp_report_chart c;
    lp_status st = lp_report_chart_build(r, i, &c);
    if (st == LP_OK)
        st = lp_svg_write(out, &c.chart, true);
    lp_report_chart_free(&c);
    return st;
}
