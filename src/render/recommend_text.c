/*
 * recommend_text.c - the terminal reports of `llmplan recommend` and `llmplan explain`.
 *
 * recommend: the ranked configurations as one table, the cost / latency Pareto front as a
 * short one, a one-line summary of the rejected space, where the prices come from and the
 * `vllm serve` command of the chosen configuration; when nothing meets the targets, why
 * (the rejection summary and the closest misses).
 * explain: one configuration's memory breakdown (the `llmplan plan` report), its roofline
 * estimate, what bounds each phase and how a prefill and a decode step split into compute,
 * memory, communication and host time, and the targets with their margins.
 * Formatting only: every number comes from the search, the memory plan or the estimate.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "llmplan/render.h"
#include "render/format.h"

static const char *fmt_usd(char *buf, size_t size, double v) {
    if (!isfinite(v))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.*f", v < 10 ? 3 : 2, v);
    return buf;
}

/* A target as the user wrote it ("1500", "0.001"). */
static const char *fmt_target(char *buf, size_t size, double v) {
    if (!isfinite(v))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.6g", v);
    return buf;
}

static const char *quant_label(const lp_candidate *c) {
    return c->quantization[0] ? c->quantization : "ckpt";
}

static void gpu_label(char *buf, size_t size, const lp_candidate *c) {
    snprintf(buf, size, "%s x %d", c->gpu ? c->gpu->name : "?", c->num_gpus);
}

static void layout_label(char *buf, size_t size, const lp_candidate *c) {
    snprintf(buf, size, "%d/%d/%d/%s", c->tp, c->pp, c->dp, c->expert_parallel ? "ep" : "-");
}

static int percentile_of(const lp_search_spec *spec) {
    return spec && spec->targets.percentile > 0 ? spec->targets.percentile : 50;
}

/* ---- the rejected space --------------------------------------------------------------- */

static size_t appendf(char *buf, size_t size, size_t used, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static size_t appendf(char *buf, size_t size, size_t used, const char *fmt, ...) {
    if (used >= size)
        return used;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + used, size - used, fmt, ap);
    va_end(ap);
    return n < 0 ? used : used + (size_t)n;
}

static void reason_text(char *buf, size_t size, lp_reject_reason r, const lp_targets *t) {
    char v[32];
    switch (r) {
    case LP_REJECT_INVALID:
        snprintf(buf, size, "are layouts vLLM would refuse");
        break;
    case LP_REJECT_NO_FIT:
        snprintf(buf, size, "do not fit");
        break;
    case LP_REJECT_TTFT:
        snprintf(buf, size, "miss TTFT <= %s ms",
                 fmt_target(v, sizeof v, t ? t->max_ttft_ms : NAN));
        break;
    case LP_REJECT_TPOT:
        snprintf(buf, size, "miss TPOT <= %s ms",
                 fmt_target(v, sizeof v, t ? t->max_tpot_ms : NAN));
        break;
    case LP_REJECT_ITL:
        snprintf(buf, size, "miss ITL <= %s ms", fmt_target(v, sizeof v, t ? t->max_itl_ms : NAN));
        break;
    case LP_REJECT_E2E:
        snprintf(buf, size, "miss E2E <= %s ms", fmt_target(v, sizeof v, t ? t->max_e2e_ms : NAN));
        break;
    case LP_REJECT_THROUGHPUT:
        if (t && t->min_output_tok_s > 0)
            snprintf(buf, size, "give less than %s output tok/s",
                     fmt_target(v, sizeof v, t->min_output_tok_s));
        else
            snprintf(buf, size, "cannot keep up with the offered load");
        break;
    default:
        snprintf(buf, size, "%s", lp_reject_reason_name(r));
        break;
    }
}

const char *lp_render_rejections(char *buf, size_t size, const lp_search_result *r,
                                 const lp_targets *t) {
    char n[32], what[96];
    size_t used = 0;
    if (size == 0)
        return buf;
    buf[0] = '\0';
    used = appendf(buf, size, used, "%s configurations enumerated",
                   lp_render_int(n, sizeof n, (long long)r->enumerated));
    const char *sep = ": ";
    for (int k = 0; k < LP_REJECT_COUNT; k++) {
        if (r->rejected[k] == 0)
            continue;
        reason_text(what, sizeof what, (lp_reject_reason)k, t);
        used = appendf(buf, size, used, "%s%s %s", sep,
                       lp_render_int(n, sizeof n, (long long)r->rejected[k]), what);
        sep = ", ";
    }
    char d[32];
    appendf(buf, size, used, "%s%s %s (%s deployment%s)", sep,
            lp_render_int(n, sizeof n, (long long)r->feasible),
            r->feasible == 1 ? "meets every target" : "meet every target",
            lp_render_int(d, sizeof d, (long long)r->deployments), r->deployments == 1 ? "" : "s");
    return buf;
}

/* ---- recommend -------------------------------------------------------------------------- */

static void describe_targets(FILE *o, const lp_targets *t, int pct) {
    char v[32];
    const char *sep = "";
    fprintf(o, "Targets    ");
    if (t->max_ttft_ms > 0) {
        fprintf(o, "%sTTFT <= %s ms", sep, fmt_target(v, sizeof v, t->max_ttft_ms));
        sep = ", ";
    }
    if (t->max_tpot_ms > 0) {
        fprintf(o, "%sTPOT <= %s ms", sep, fmt_target(v, sizeof v, t->max_tpot_ms));
        sep = ", ";
    }
    if (t->max_itl_ms > 0) {
        fprintf(o, "%sITL <= %s ms", sep, fmt_target(v, sizeof v, t->max_itl_ms));
        sep = ", ";
    }
    if (t->max_e2e_ms > 0) {
        fprintf(o, "%sE2E <= %s ms", sep, fmt_target(v, sizeof v, t->max_e2e_ms));
        sep = ", ";
    }
    if (*sep)
        fprintf(o, " at p%d", pct);
    if (t->min_output_tok_s > 0) {
        fprintf(o, "%s>= %s output tok/s", sep, fmt_target(v, sizeof v, t->min_output_tok_s));
        sep = ", ";
    }
    if (!*sep)
        fprintf(o, "none (every configuration that fits qualifies)");
    fprintf(o, "\n");
}

static void header_section(FILE *o, const lp_recommend_view *v) {
    const lp_search_spec *s = v->spec;
    fprintf(o, "Model      %s\n", v->model_id ? v->model_id : (s->model ? s->model->id : "?"));
    fprintf(o, "GPUs       ");
    if (s->gpus && s->n_gpus > 0)
        for (size_t i = 0; i < s->n_gpus; i++)
            fprintf(o, "%s%s", i ? ", " : "", s->gpus[i]->name);
    else
        fprintf(o, "every GPU in the database");
    fprintf(o, "; at most %d per deployment, %d per node\n", s->max_gpus > 0 ? s->max_gpus : 8,
            s->gpus_per_node > 0 ? s->gpus_per_node : 8);
    fprintf(o, "Workload   ");
    lp_render_describe_length(o, "input", &s->workload.input);
    fprintf(o, ", ");
    lp_render_describe_length(o, "output", &s->workload.output);
    fprintf(o, " tokens; ");
    char rate[80];
    if (s->workload.request_rate > 0)
        fprintf(o, "%s", lp_render_describe_rate(rate, sizeof rate, &s->workload, "req/s"));
    else if (s->daily_output_tokens > 0)
        fprintf(o, "%.4g output tokens per day", s->daily_output_tokens);
    else if (s->workload.max_concurrency > 0)
        fprintf(o, "%d concurrent clients", s->workload.max_concurrency);
    else
        fprintf(o, "request rate inf (all at once)");
    if (s->workload.request_rate > 0 && s->workload.max_concurrency > 0)
        fprintf(o, ", max concurrency %d", s->workload.max_concurrency);
    fprintf(o, "\n");
    if (v->load_note && v->load_note[0])
        fprintf(o, "           %s\n", v->load_note);
    describe_targets(o, &s->targets, percentile_of(s));
    fprintf(o, "Objective  %s\n",
            v->result->objective_note[0] ? v->result->objective_note
                                         : lp_objective_name(s->objective));
}

/* Capacity columns: "12.3" req/s ("0" when no load meets the targets, "-" when unknown). */
static const char *fmt_capacity(char *buf, size_t size, const lp_candidate *c) {
    if (c->capacity_method == LP_CAPACITY_NONE || !isfinite(c->max_request_rate))
        snprintf(buf, size, "-");
    else
        lp_render_fmt_num(buf, size, c->max_request_rate, lp_render_decimals(c->max_request_rate));
    return buf;
}

static const char *fmt_replicas(char *buf, size_t size, const lp_candidate *c) {
    if (c->replicas > 0)
        snprintf(buf, size, "%d", c->replicas);
    else if (c->replicas < 0)
        snprintf(buf, size, "none");
    else
        snprintf(buf, size, "-");
    return buf;
}

static void table_header(FILE *o) {
    fprintf(o, "%4s  %-22s %5s  %-11s %-12s %-9s %-11s %8s %8s %9s %10s %9s %8s %9s %8s  %s\n", "#",
            "GPU x count", "nodes", "tp/pp/dp/ep", "quant", "kv dtype", "seqs/tokens", "TTFT ms",
            "TPOT ms", "E2E ms", "out tok/s", "tok/s/GPU", "$/M tok", "max req/s", "replicas",
            "why");
}

static void table_row(FILE *o, const char *rank, const lp_candidate *c) {
    char g[64], l[32], a[32], b[32], d[32], e[32], f[32], h[32], st[32], m[32], r[32];
    gpu_label(g, sizeof g, c);
    layout_label(l, sizeof l, c);
    snprintf(st, sizeof st, "%d/%d", c->max_num_seqs, c->max_num_batched_tokens);
    fprintf(o,
            "%4s  %-22.22s %5d  %-11s %-12.12s %-9s %-11s %8s %8s %9s %10s %9s %8s %9s %8s  %s\n",
            rank, g, c->nodes, l, quant_label(c), lp_dtype_name(c->kv_cache_dtype), st,
            lp_render_fmt_ms(a, sizeof a, c->ttft_ms), lp_render_fmt_ms(b, sizeof b, c->tpot_ms),
            lp_render_fmt_ms(d, sizeof d, c->e2e_ms),
            lp_render_fmt_num(e, sizeof e, c->output_tok_s, 0),
            lp_render_fmt_num(f, sizeof f, c->output_tok_s_per_gpu, 0),
            fmt_usd(h, sizeof h, c->usd_per_million_output_tokens), fmt_capacity(m, sizeof m, c),
            fmt_replicas(r, sizeof r, c), c->why);
}

/* What the capacity columns mean for this recommendation. */
static void capacity_note(FILE *o, const lp_recommend_view *v, int pct) {
    char rate[32];
    fprintf(o,
            "  max req/s: the highest Poisson request rate one deployment sustains while it keeps "
            "up and meets every target (p%d, %s)\n",
            pct, pct == 50 ? "roofline" : "bracketed by the roofline, refined by simulation");
    if (v->offered_request_rate > 0)
        fprintf(o, "  replicas: copies of the deployment for %s req/s with %.0f %% headroom\n",
                lp_render_fmt_num(rate, sizeof rate, v->offered_request_rate,
                                  lp_render_decimals(v->offered_request_rate)),
                100 * v->headroom);
    else if (v->offered_concurrency > 0)
        fprintf(o,
                "  replicas: copies of the deployment for %.0f concurrent clients with %.0f %% "
                "headroom; one copy holds max req/s x its mean E2E latency there (Little's law) "
                "clients\n",
                v->offered_concurrency, 100 * v->headroom);
    else
        fprintf(o, "  replicas: give a load (--request-rate, --max-concurrency, "
                   "--daily-output-tokens or --load-profile) to size them\n");
}

/* The first latency target a point of a load sweep misses ("" when it meets them all). */
static const char *target_missed(const lp_targets *t, const lp_load_point *p) {
    if (t->max_ttft_ms > 0 && !(p->ttft_ms <= t->max_ttft_ms))
        return "misses the TTFT target";
    if (t->max_tpot_ms > 0 && !(p->tpot_ms <= t->max_tpot_ms))
        return "misses the TPOT target";
    if (t->max_itl_ms > 0 && !(p->itl_ms <= t->max_itl_ms))
        return "misses the ITL target";
    if (t->max_e2e_ms > 0 && !(p->e2e_ms <= t->max_e2e_ms))
        return "misses the E2E target";
    return "";
}

static void sweep_section(FILE *o, const lp_recommend_view *v, int pct) {
    if (!v->sweeps || v->n_sweeps == 0)
        return;
    const lp_targets *t = &v->spec->targets;
    char tv[32];
    fprintf(o, "\nLatency against load (p%d, %s; targets", pct,
            pct == 50 ? "roofline" : "simulation");
    if (t->max_ttft_ms > 0)
        fprintf(o, " TTFT <= %s", fmt_target(tv, sizeof tv, t->max_ttft_ms));
    if (t->max_tpot_ms > 0)
        fprintf(o, " TPOT <= %s", fmt_target(tv, sizeof tv, t->max_tpot_ms));
    if (t->max_itl_ms > 0)
        fprintf(o, " ITL <= %s", fmt_target(tv, sizeof tv, t->max_itl_ms));
    if (t->max_e2e_ms > 0)
        fprintf(o, " E2E <= %s", fmt_target(tv, sizeof tv, t->max_e2e_ms));
    fprintf(o, " ms)\n");
    for (size_t i = 0; i < v->n_sweeps; i++) {
        const lp_recommend_sweep *sw = &v->sweeps[i];
        const lp_candidate *c = &v->result->ranked[sw->rank];
        char g[64], l[32], m[32];
        gpu_label(g, sizeof g, c);
        layout_label(l, sizeof l, c);
        fprintf(o, "  #%zu %s %s %s, kv %s (max %s req/s)\n", sw->rank + 1, g, l, quant_label(c),
                lp_dtype_name(c->kv_cache_dtype), fmt_capacity(m, sizeof m, c));
        if (sw->n == 0) {
            fprintf(o, "    no load meets the targets\n");
            continue;
        }
        fprintf(o, "    %9s %9s %9s %9s %10s\n", "req/s", "TTFT ms", "TPOT ms", "E2E ms",
                "out tok/s");
        for (size_t k = 0; k < sw->n; k++) {
            const lp_load_point *p = &sw->points[k];
            char a[32], b[32], d[32], e[32], f[32];
            bool ok = p->valid && p->keeps_up;
            const char *note = !p->valid      ? "not estimated"
                               : !p->keeps_up ? "falls behind (a backlog grows)"
                                              : target_missed(t, p);
            fprintf(o, "    %9s %9s %9s %9s %10s%s%s\n",
                    lp_render_fmt_num(a, sizeof a, p->request_rate,
                                      lp_render_decimals(p->request_rate)),
                    lp_render_fmt_ms(b, sizeof b, ok ? p->ttft_ms : NAN),
                    lp_render_fmt_ms(d, sizeof d, ok ? p->tpot_ms : NAN),
                    lp_render_fmt_ms(e, sizeof e, ok ? p->e2e_ms : NAN),
                    lp_render_fmt_num(f, sizeof f, p->valid ? p->output_tok_s : NAN, 0),
                    note[0] ? "  " : "", note);
        }
    }
}

static void profile_section(FILE *o, const lp_recommend_view *v) {
    const lp_load_profile *p = v->load_profile;
    if (!p)
        return;
    char a[32], b[32];
    fprintf(o, "\nLoad profile: %zu intervals of %.0f min, peak %s req/s, mean %s req/s\n", p->n,
            p->interval_s / 60.0,
            lp_render_fmt_num(a, sizeof a, lp_load_profile_peak(p),
                              lp_render_decimals(lp_load_profile_peak(p))),
            lp_render_fmt_num(b, sizeof b, lp_load_profile_mean(p),
                              lp_render_decimals(lp_load_profile_mean(p))));
    const lp_load_sizing *z = v->sizing;
    if (!z) {
        fprintf(o, "  no sizing: %s\n",
                v->sizing_error && v->sizing_error[0] ? v->sizing_error
                                                      : "no configuration meets the targets");
        return;
    }
    const lp_candidate *c = &v->result->ranked[v->chosen];
    char g[64], l[32], m[32];
    gpu_label(g, sizeof g, c);
    layout_label(l, sizeof l, c);
    fprintf(o,
            "  #%zu %s %s: %s req/s each at the targets; replicas with %.0f %% headroom (at least "
            "%d)\n",
            v->chosen + 1, g, l, fmt_capacity(m, sizeof m, c), 100 * z->headroom, z->min_replicas);
    /* at most one line per hour: the busiest interval of each hour */
    size_t per_line = z->n > 24 ? z->n / 24 : 1;
    fprintf(o, "  %-11s %10s %9s %6s\n", "from", "req/s", "replicas", "GPUs");
    for (size_t i = 0; i < z->n; i += per_line) {
        double rate = 0;
        int reps = 0;
        for (size_t k = i; k < i + per_line && k < z->n; k++) {
            rate = p->rate[k] > rate ? p->rate[k] : rate;
            reps = z->replicas[k] > reps ? z->replicas[k] : reps;
        }
        int minute = (int)((double)i * z->interval_s / 60.0 + 0.5);
        char t[16];
        snprintf(t, sizeof t, "%02d:%02d", minute / 60, minute % 60);
        fprintf(o, "  %-11s %10s %9d %6d\n", t,
                lp_render_fmt_num(a, sizeof a, rate, lp_render_decimals(rate)), reps,
                reps * z->num_gpus);
    }
    if (per_line > 1)
        fprintf(o, "  (each line: the busiest of its %zu intervals)\n", per_line);
    char u[32], w[32];
    fprintf(o, "  following the load: %s GPU-hours a day ($%s)\n",
            lp_render_fmt_num(a, sizeof a, z->gpu_hours_per_day, 0),
            fmt_usd(u, sizeof u, z->usd_per_day));
    fprintf(o, "  fixed fleet for the peak (%d replica%s, %d GPU%s): %s GPU-hours a day ($%s)",
            z->peak_replicas, z->peak_replicas == 1 ? "" : "s", z->peak_replicas * z->num_gpus,
            z->peak_replicas * z->num_gpus == 1 ? "" : "s",
            lp_render_fmt_num(b, sizeof b, z->fixed_gpu_hours_per_day, 0),
            fmt_usd(w, sizeof w, z->fixed_usd_per_day));
    if (z->fixed_gpu_hours_per_day > 0)
        fprintf(o, "; following the load saves %.0f %%",
                100 * (1 - z->gpu_hours_per_day / z->fixed_gpu_hours_per_day));
    fprintf(o, "\n");
}

static void pareto_section(FILE *o, const lp_search_result *r) {
    /* a short table: the front of a large search can hold dozens of points */
    enum { MAX_PARETO_ROWS = 12 };
    if (r->n_pareto == 0)
        return;
    fprintf(o, "\nPareto front (cost vs latency): %zu configuration%s\n", r->n_pareto,
            r->n_pareto == 1 ? "" : "s");
    fprintf(o, "  %-22s %-11s %-12s %-9s %8s %9s %9s %10s\n", "GPU x count", "tp/pp/dp/ep", "quant",
            "kv dtype", "$/M tok", "E2E ms", "TTFT ms", "out tok/s");
    size_t n = r->n_pareto < MAX_PARETO_ROWS ? r->n_pareto : MAX_PARETO_ROWS;
    for (size_t i = 0; i < n; i++) {
        const lp_candidate *c = &r->pareto[i];
        char g[64], l[32], a[32], b[32], d[32], e[32];
        gpu_label(g, sizeof g, c);
        layout_label(l, sizeof l, c);
        fprintf(o, "  %-22.22s %-11s %-12.12s %-9s %8s %9s %9s %10s\n", g, l, quant_label(c),
                lp_dtype_name(c->kv_cache_dtype),
                fmt_usd(a, sizeof a, c->usd_per_million_output_tokens),
                lp_render_fmt_ms(b, sizeof b, c->e2e_ms), lp_render_fmt_ms(d, sizeof d, c->ttft_ms),
                lp_render_fmt_num(e, sizeof e, c->output_tok_s, 0));
    }
    if (n < r->n_pareto)
        fprintf(o, "  ... and %zu more (--json lists them all)\n", r->n_pareto - n);
}

static void price_section(FILE *o, const lp_recommend_view *v, size_t shown) {
    const lp_search_result *r = v->result;
    fprintf(o, "Prices     %s", r->price_origin ? r->price_origin : "(none)");
    /* GPUs shown without a price: costs are unknown for them, say so once */
    const char *missing[8];
    size_t n_missing = 0;
    for (size_t i = 0; i < shown && n_missing < 8; i++) {
        const lp_candidate *c = &r->ranked[i];
        if (isfinite(c->usd_per_million_output_tokens) || !c->gpu)
            continue;
        bool seen = false;
        for (size_t k = 0; k < n_missing; k++)
            seen = seen || strcmp(missing[k], c->gpu->name) == 0;
        if (!seen)
            missing[n_missing++] = c->gpu->name;
    }
    if (n_missing > 0) {
        fprintf(o, "; no price for ");
        for (size_t k = 0; k < n_missing; k++)
            fprintf(o, "%s%s", k ? ", " : "", missing[k]);
        fprintf(o, " (--price-file adds one)");
    }
    fprintf(o, "\n");
}

static size_t variants_of(const lp_search_result *r, size_t shown) {
    size_t n = 0;
    for (size_t i = 0; i < shown; i++)
        n += r->ranked[i].n_variants;
    return n;
}

/* Disaggregated prefill/decode: whether it pays here, and its best layouts. */
static void disagg_section(FILE *o, const lp_recommend_view *v, int pct) {
    const lp_disagg_search *d = v->disagg;
    if (!d)
        return;
    if (!d->searched) {
        fprintf(o, "\nDisaggregated prefill/decode %s\n", d->note);
        return;
    }
    fprintf(o, "\nDisaggregated prefill/decode: %s.\n", d->verdict);
    const lp_disagg_layout *ls[2] = {d->found ? &d->best : NULL, d->found_other ? &d->other : NULL};
    for (int i = 0; i < 2; i++) {
        const lp_disagg_layout *l = ls[i];
        if (!l)
            continue;
        fprintf(o,
                "  %s %dP%dD  %d x %s (TP %d per instance)  TTFT %.0f ms  TPOT %.1f ms (p%d)  "
                "%.0f output tok/s, %.0f per GPU\n",
                i == 0 ? "best " : "other", l->prefill_instances, l->decode_instances, l->num_gpus,
                l->gpu->name, l->tp, l->ttft_ms, l->tpot_ms, pct, l->output_tok_s,
                l->output_tok_s_per_gpu);
    }
    fprintf(o, "  (%zu layouts estimated, %zu meet the targets; %s)\n", d->estimated, d->feasible,
            d->note);
}

lp_status lp_render_recommend_text(FILE *o, const lp_recommend_view *v) {
    const lp_search_result *r = v->result;
    int pct = percentile_of(v->spec);
    char line[1024];
    header_section(o, v);
    size_t shown = v->top < r->n_ranked ? v->top : r->n_ranked;
    if (shown > 0) {
        fprintf(o,
                "\nTop %zu of %zu deployments meeting the targets (best first; latencies at "
                "p%d)\n",
                shown, r->deployments, pct);
        table_header(o);
        for (size_t i = 0; i < shown; i++) {
            char rank[16];
            snprintf(rank, sizeof rank, "%zu%s", i + 1, r->ranked[i].pareto ? "*" : "");
            table_row(o, rank, &r->ranked[i]);
        }
        fprintf(o,
                "  (* on the cost / latency Pareto front; each row is one deployment with its "
                "best max-num-seqs / max-num-batched-tokens;\n   %zu settings of these %zu "
                "deployments meet the targets: --explain N lists them)\n",
                variants_of(r, shown), shown);
        capacity_note(o, v, pct);
        pareto_section(o, r);
    } else {
        fprintf(o, "\nNo configuration meets the targets.\n");
    }
    fprintf(o, "\nSearched   %s (%.2f s)\n",
            lp_render_rejections(line, sizeof line, r, &v->spec->targets), r->search_s);
    price_section(o, v, shown);
    if (shown == 0 && v->n_misses > 0) {
        fprintf(o, "\nClosest misses (searched again without the targets; latencies at p%d)\n",
                pct);
        table_header(o);
        for (size_t i = 0; i < v->n_misses; i++) {
            char rank[16];
            snprintf(rank, sizeof rank, "-");
            table_row(o, rank, &v->misses[i]);
        }
    }
    disagg_section(o, v, pct);
    sweep_section(o, v, pct);
    profile_section(o, v);
    if (shown > 0 && v->chosen < r->n_ranked && v->vllm_serve && v->vllm_serve[v->chosen]) {
        fprintf(o, "\nvllm serve command of #%zu:\n  %s\n", v->chosen + 1,
                v->vllm_serve[v->chosen]);
        char ckpt[128];
        if (lp_candidate_needs_checkpoint(&r->ranked[v->chosen], v->spec->model, ckpt, sizeof ckpt))
            fprintf(o,
                    "  note: vLLM cannot quantize a 16-bit checkpoint to %s at load time: replace "
                    "the model with %s\n",
                    r->ranked[v->chosen].quantization, ckpt);
    }
    return ferror(o) ? LP_ERR_IO : LP_OK;
}

/* ---- explain ---------------------------------------------------------------------------- */

static void step_line(FILE *o, const char *what, const lp_step_time *t) {
    char a[32], b[32], c[32], d[32], e[32];
    fprintf(o, "  %-34s %8s ms  = compute %s | memory %s | comm %s | host %s ms  -> %s-bound\n",
            what, lp_render_fmt_ms(a, sizeof a, 1e3 * t->total_s),
            lp_render_fmt_ms(b, sizeof b, 1e3 * t->compute_s),
            lp_render_fmt_ms(c, sizeof c, 1e3 * t->memory_s),
            lp_render_fmt_ms(d, sizeof d, 1e3 * t->comm_s),
            lp_render_fmt_ms(e, sizeof e, 1e3 * t->host_s), lp_bottleneck_name(t->bound));
}

static void latency_row(FILE *o, const char *name, const lp_stat *s) {
    char a[32], b[32], c[32], d[32];
    fprintf(o, "  %-12s %10s %10s %10s %10s\n", name, lp_render_fmt_ms(a, sizeof a, s->mean),
            lp_render_fmt_ms(b, sizeof b, s->median), lp_render_fmt_ms(c, sizeof c, s->p90),
            lp_render_fmt_ms(d, sizeof d, s->p99));
}

/* The value at percentile pct of a statistic (median for 50; NaN when not estimated). */
static double at_percentile(const lp_stat *s, int pct) {
    return pct >= 99 ? s->p99 : (pct >= 90 ? s->p90 : s->median);
}

static void target_row(FILE *o, const char *name, double value, double target, bool at_most) {
    char a[32], b[32];
    if (!(target > 0))
        return;
    bool ok = isfinite(value) && (at_most ? value <= target : value >= target);
    double margin =
        isfinite(value) ? 100.0 * (at_most ? (target - value) : (value - target)) / target : NAN;
    fprintf(
        o, "  %-22s %10s  %s %10s   %s", name,
        at_most ? lp_render_fmt_ms(a, sizeof a, value) : lp_render_fmt_num(a, sizeof a, value, 0),
        at_most ? "<=" : ">=",
        at_most ? lp_render_fmt_ms(b, sizeof b, target) : lp_render_fmt_num(b, sizeof b, target, 0),
        !isfinite(value) ? "not estimated" : (ok ? "met" : "MISSED"));
    if (isfinite(margin))
        fprintf(o, " (%+.0f %% margin)", margin);
    fprintf(o, "\n");
}

static void targets_section(FILE *o, const lp_explain_view *v) {
    const lp_targets *t = v->targets;
    if (!t)
        return;
    bool any = t->max_ttft_ms > 0 || t->max_tpot_ms > 0 || t->max_itl_ms > 0 || t->max_e2e_ms > 0 ||
               t->min_output_tok_s > 0;
    if (!any)
        return;
    int pct = t->percentile > 0 ? t->percentile : 50;
    const lp_candidate *c = v->candidate;
    const lp_perf_estimate *e = v->estimate;
    fprintf(o, "\nTargets (p%d)\n", pct);
    /* a ranked configuration is judged on the search's numbers, which the ranking used */
    double ttft = c ? c->ttft_ms : (e ? at_percentile(&e->ttft_ms, pct) : NAN);
    double tpot = c ? c->tpot_ms : (e ? at_percentile(&e->tpot_ms, pct) : NAN);
    double itl = c ? c->itl_ms : (e ? at_percentile(&e->itl_ms, pct) : NAN);
    double e2e = c ? c->e2e_ms : (e ? at_percentile(&e->e2el_ms, pct) : NAN);
    double tok = c ? c->output_tok_s : (e ? e->output_tok_s : NAN);
    target_row(o, "TTFT (ms)", ttft, t->max_ttft_ms, true);
    target_row(o, "TPOT (ms)", tpot, t->max_tpot_ms, true);
    target_row(o, "ITL (ms)", itl, t->max_itl_ms, true);
    target_row(o, "E2E (ms)", e2e, t->max_e2e_ms, true);
    target_row(o, "output tok/s", tok, t->min_output_tok_s, false);
}

static void ranking_section(FILE *o, const lp_explain_view *v) {
    const lp_candidate *c = v->candidate;
    char g[64], l[32], a[32], b[32];
    gpu_label(g, sizeof g, c);
    layout_label(l, sizeof l, c);
    fprintf(o,
            "Configuration #%zu by %s: %s on %d node%s, tp/pp/dp/ep %s, quantization %s, "
            "kv %s, max-num-seqs %d\n",
            v->rank, lp_objective_name(v->objective), g, c->nodes, c->nodes == 1 ? "" : "s", l,
            c->quantization[0] ? c->quantization : "as in the checkpoint",
            lp_dtype_name(c->kv_cache_dtype), c->max_num_seqs);
    fprintf(o, "  why: %s\n", c->why);
    if (c->capacity_method != LP_CAPACITY_NONE) {
        char m[32];
        fprintf(o, "  capacity: %s req/s at the targets (%s)\n", fmt_capacity(m, sizeof m, c),
                lp_capacity_method_name(c->capacity_method));
    }
    fprintf(o,
            "  %s tok/s per GPU, $%s per million output tokens%s, objective key %.4g (lower "
            "ranks higher)\n",
            lp_render_fmt_num(a, sizeof a, c->output_tok_s_per_gpu, 0),
            fmt_usd(b, sizeof b, c->usd_per_million_output_tokens),
            c->pareto ? ", on the cost / latency Pareto front" : "", c->score);
    if (v->variants && v->n_variants > 0) {
        fprintf(o, "\n  Batch limits of this deployment that meet the targets (%zu, best first):\n",
                v->n_variants);
        fprintf(o, "    %-14s %-22s %8s %8s %9s %10s %12s\n", "max-num-seqs",
                "max-num-batched-tokens", "TTFT ms", "TPOT ms", "E2E ms", "out tok/s", "KV tokens");
        for (size_t k = 0; k < v->n_variants; k++) {
            const lp_batch_variant *bv = &v->variants[k];
            char x[32], y[32], z[32], t[32], kv[32];
            fprintf(o, "    %-14d %-22d %8s %8s %9s %10s %12s%s\n", bv->max_num_seqs,
                    bv->max_num_batched_tokens, lp_render_fmt_ms(x, sizeof x, bv->ttft_ms),
                    lp_render_fmt_ms(y, sizeof y, bv->tpot_ms),
                    lp_render_fmt_ms(z, sizeof z, bv->e2e_ms),
                    lp_render_fmt_num(t, sizeof t, bv->output_tok_s, 0),
                    lp_render_int(kv, sizeof kv, (long long)bv->kv_tokens),
                    k == 0 ? "  <- shown" : "");
        }
    }
    fprintf(o, "\n");
}

lp_status lp_render_explain_text(FILE *o, const lp_explain_view *v) {
    if (v->candidate)
        ranking_section(o, v);
    fprintf(o, "== Memory: vLLM's start-up arithmetic, per GPU ==\n\n");
    lp_status st = lp_render_plan_text(o, v->model, v->gpu, v->plan);
    if (st != LP_OK)
        return st;
    const lp_perf_estimate *e = v->estimate;
    fprintf(o, "\n== Performance: roofline step model ==\n\n");
    if (!e || !e->valid) {
        fprintf(o, "No estimate: %s\n",
                e ? e->error : "the configuration does not fit, so it cannot serve");
        return ferror(o) ? LP_ERR_IO : LP_OK;
    }
    if (v->request) {
        const lp_perf_request *r = v->request;
        fprintf(o, "Workload   ");
        lp_render_describe_workload(o, &r->workload, false);
        fprintf(o, "\n\n");
    }
    fprintf(o, "%-14s %10s %10s %10s %10s\n", "Latency (ms)", "mean", "median", "p90", "p99");
    latency_row(o, "TTFT", &e->ttft_ms);
    latency_row(o, "TPOT", &e->tpot_ms);
    latency_row(o, "ITL", &e->itl_ms);
    latency_row(o, "E2E", &e->e2el_ms);
    char a[32], b[32], c[32], d[32];
    fprintf(o,
            "\nThroughput %s output tok/s, %s total tok/s, %s req/s (%d replica%s, %s running "
            "requests each)\n",
            lp_render_fmt_num(a, sizeof a, e->output_tok_s, 0),
            lp_render_fmt_num(b, sizeof b, e->total_tok_s, 0),
            lp_render_fmt_num(c, sizeof c, e->request_s, 2), e->replicas,
            e->replicas == 1 ? "" : "s", lp_render_fmt_num(d, sizeof d, e->mean_batch, 1));
    fprintf(o, "\nBottleneck  prefill: %s (%s tok/s per replica at full load)\n",
            lp_bottleneck_name(e->prefill_bound),
            lp_render_fmt_num(a, sizeof a, e->prefill_tok_s, 0));
    fprintf(o, "            decode: %s (%s tok/s per replica at the workload's batch)\n",
            lp_bottleneck_name(e->decode_bound),
            lp_render_fmt_num(a, sizeof a, e->decode_tok_s, 0));
    if (v->prefill_step || v->decode_step) {
        fprintf(o, "\nStep time composition (one engine step; the slower of compute and memory "
                   "per operator)\n");
        char what[64];
        if (v->prefill_step) {
            snprintf(what, sizeof what, "prefill of %.0f tokens", v->prefill_step_tokens);
            step_line(o, what, v->prefill_step);
        }
        if (v->decode_step) {
            snprintf(what, sizeof what, "decode of %.1f sequences", v->decode_step_seqs);
            step_line(o, what, v->decode_step);
        }
    }
    targets_section(o, v);
    if (v->vllm_serve)
        fprintf(o, "\nvllm serve command:\n  %s\n", v->vllm_serve);
    if (e->n_assumptions > 0) {
        fprintf(o, "\nAssumptions of the estimate\n");
        for (int i = 0; i < e->n_assumptions && i < LP_MAX_ASSUMPTIONS; i++)
            fprintf(o, "  - %s\n", e->assumptions[i]);
    }
    return ferror(o) ? LP_ERR_IO : LP_OK;
}
