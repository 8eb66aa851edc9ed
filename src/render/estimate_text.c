/*
 * estimate_text.c - the terminal report of `llmplan estimate`: what was estimated (model,
 * GPU, workload, method), the latencies `vllm bench serve` prints (TTFT, TPOT, ITL, E2E; mean
 * and median, p90/p99 when simulated) with their ranges, throughputs, per-replica prefill and
 * decode rates, concurrency, the bottleneck of each phase and the assumptions. Also the
 * one-row-per-item table of a --batch run. Formatting only.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "llmplan/render.h"
#include "render/format.h"

static const char *fmt_range(char *buf, size_t size, lp_range r, int decimals) {
    if ((r.lo == 0 && r.hi == 0) || !isfinite(r.lo) || !isfinite(r.hi))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.*f - %.*f", decimals, r.lo, decimals, r.hi);
    return buf;
}

static void latency_row(FILE *o, const char *name, const lp_stat *s, const lp_stat_range *r) {
    char a[32], b[32], c[32], d[32], e[48], f[48];
    int k = lp_render_decimals(s->mean);
    fprintf(o, "  %-12s %10s %10s %10s %10s   %-17s %s\n", name,
            lp_render_fmt_num(a, sizeof a, s->mean, k),
            lp_render_fmt_num(b, sizeof b, s->median, k), lp_render_fmt_num(c, sizeof c, s->p90, k),
            lp_render_fmt_num(d, sizeof d, s->p99, k), fmt_range(e, sizeof e, r->mean, k),
            isfinite(s->p99) ? fmt_range(f, sizeof f, r->p99, k) : "");
}

static void rate_row(FILE *o, const char *name, double v, const char *unit, lp_range r) {
    char a[32], e[48];
    int k = lp_render_decimals(v);
    fprintf(o, "  %-34s %12s %-8s %s%s\n", name, lp_render_fmt_num(a, sizeof a, v, k), unit,
            r.lo == 0 && r.hi == 0 ? "" : "80 % band ", fmt_range(e, sizeof e, r, k));
}

static void request_section(FILE *o, const lp_perf_request *r) {
    if (r->model)
        fprintf(o, "Model      %s\n", r->model->id);
    else if (r->model_id)
        fprintf(o, "Model      %s\n", r->model_id);
    else
        fprintf(o, "Model      %.2f B parameters (no architecture: heuristic only)\n", r->params_b);
    const char *gpu = r->cluster.gpu ? r->cluster.gpu->name : r->gpu_name;
    fprintf(o, "GPU        %s", gpu ? gpu : "(none given: default baseline)");
    int tp = r->serving.tensor_parallel_size > 0 ? r->serving.tensor_parallel_size : 1;
    int pp = r->serving.pipeline_parallel_size > 0 ? r->serving.pipeline_parallel_size : 1;
    fprintf(o, "  TP %d  PP %d", tp, pp);
    const lp_disaggregation *dg = &r->serving.disaggregation;
    if (lp_disaggregated(&r->serving)) {
        const char *pg = r->cluster.prefill_gpu ? r->cluster.prefill_gpu->name : gpu;
        const char *dgpu = r->cluster.decode_gpu ? r->cluster.decode_gpu->name : gpu;
        fprintf(o, "\nPools      %dP%dD over %s: prefill %s TP %d, decode %s TP %d",
                dg->prefill_instances, dg->decode_instances,
                lp_kv_connector_vllm_name(dg->kv_connector), pg ? pg : "?",
                dg->prefill_tensor_parallel_size > 0 ? dg->prefill_tensor_parallel_size : tp,
                dgpu ? dgpu : "?",
                dg->decode_tensor_parallel_size > 0 ? dg->decode_tensor_parallel_size : tp);
    }
    if (r->cluster.num_gpus > 0)
        fprintf(o, "  (%d GPUs in all)", r->cluster.num_gpus);
    if (r->cluster.intra_node_link_given)
        fprintf(o, "  interconnect %s", lp_link_name(r->cluster.intra_node_link));
    fprintf(o, "\nWorkload   ");
    lp_render_describe_workload(o, &r->workload, true);
    fprintf(o, "\n");
}

lp_status lp_render_estimate_text(FILE *o, const lp_estimate_result *r) {
    const lp_perf_estimate *e = &r->estimate;
    request_section(o, &r->request);
    if (!e->valid) {
        fprintf(o, "\nNo estimate: %s\n", e->error);
        return ferror(o) ? LP_ERR_IO : LP_OK;
    }
    fprintf(o, "Method     %s\n\n", lp_method_name(e->method));

    fprintf(o, "%-14s %10s %10s %10s %10s   %-17s %s\n", "Latency (ms)", "mean", "median", "p90",
            "p99", "80 % band: mean", isfinite(e->ttft_ms.p99) ? "p99" : "");
    latency_row(o, "TTFT", &e->ttft_ms, &e->ttft_band);
    latency_row(o, "TPOT", &e->tpot_ms, &e->tpot_band);
    latency_row(o, "ITL", &e->itl_ms, &e->itl_band);
    latency_row(o, "E2E", &e->e2el_ms, &e->e2el_band);

    lp_range none = {0, 0};
    fprintf(o, "\nThroughput (whole deployment)\n");
    rate_row(o, "requests", e->request_s, "req/s", e->request_s_range);
    rate_row(o, "output tokens", e->output_tok_s, "tok/s", e->output_tok_s_range);
    rate_row(o, "total tokens (input + output)", e->total_tok_s, "tok/s", e->total_tok_s_range);
    if (e->modes.disagg.on)
        fprintf(o,
                "\nPer instance (prefill: one prefill instance; the rest: one of %d decode "
                "instance%s)\n",
                e->replicas, e->replicas == 1 ? "" : "s");
    else
        fprintf(o, "\nPer replica (%d replica%s)\n", e->replicas, e->replicas == 1 ? "" : "s");
    rate_row(o, "prefill at full load", e->prefill_tok_s, "tok/s", e->prefill_tok_s_range);
    rate_row(o, "decode at the workload's batch", e->decode_tok_s, "tok/s", e->decode_tok_s_range);
    rate_row(o, "mean running requests", e->mean_batch, "", none);
    if (isfinite(e->max_concurrent_requests))
        rate_row(o, "max concurrent requests", e->max_concurrent_requests, "",
                 e->max_concurrent_range);
    else
        fprintf(o, "  %-34s %12s (needs a model and a GPU)\n", "max concurrent requests", "-");
    if (e->method == LP_SIMULATE || e->completed > 0) {
        char a[32];
        fprintf(o, "  %-34s %12d in %s s", "completed requests", e->completed,
                lp_render_fmt_num(a, sizeof a, e->duration_s, 1));
        if (e->method == LP_SIMULATE)
            fprintf(o, ", %d preemptions", e->preemptions);
        fprintf(o, "\n");
    }
    fprintf(o, "\nBottleneck  prefill: %s; decode: %s\n", lp_bottleneck_name(e->prefill_bound),
            lp_bottleneck_name(e->decode_bound));
    if (e->n_assumptions > 0) {
        fprintf(o, "\nAssumptions\n");
        for (int i = 0; i < e->n_assumptions && i < LP_MAX_ASSUMPTIONS; i++)
            fprintf(o, "  - %s\n", e->assumptions[i]);
    }
    if (r->vllm_serve[0]) {
        /* a disaggregated deployment has one line per role */
        fprintf(o, "\nvLLM command%s\n", strchr(r->vllm_serve, '\n') ? "s (prefill, decode)" : "");
        for (const char *p = r->vllm_serve; *p;) {
            size_t n = strcspn(p, "\n");
            fprintf(o, "  %.*s\n", (int)n, p);
            p += n + (p[n] == '\n');
        }
    }
    return ferror(o) ? LP_ERR_IO : LP_OK;
}

lp_status lp_render_estimate_batch_header(FILE *o) {
    fprintf(o, "%5s  %-9s  %-36s  %-14s  %9s  %9s  %11s  %8s\n", "line", "method", "model", "GPU",
            "TTFT ms", "TPOT ms", "output t/s", "max conc");
    return ferror(o) ? LP_ERR_IO : LP_OK;
}

lp_status lp_render_estimate_batch_row(FILE *o, const lp_estimate_result *res, long line) {
    const lp_perf_request *r = &res->request;
    const lp_perf_estimate *e = &res->estimate;
    if (!e->valid) {
        fprintf(o, "%5ld  invalid: %s\n", line, e->error);
        return ferror(o) ? LP_ERR_IO : LP_OK;
    }
    char model[40], a[32], b[32], c[32], d[32];
    if (r->model_id)
        snprintf(model, sizeof model, "%s", r->model_id);
    else if (r->model)
        snprintf(model, sizeof model, "%s", r->model->id);
    else
        snprintf(model, sizeof model, "%.2f B params", r->params_b);
    const char *gpu =
        r->cluster.gpu ? r->cluster.gpu->name : (r->gpu_name ? r->gpu_name : "(default)");
    fprintf(o, "%5ld  %-9s  %-36.36s  %-14.14s  %9s  %9s  %11s  %8s\n", line,
            lp_method_name(e->method), model, gpu,
            lp_render_fmt_num(a, sizeof a, e->ttft_ms.mean, 1),
            lp_render_fmt_num(b, sizeof b, e->tpot_ms.mean, 2),
            lp_render_fmt_num(c, sizeof c, e->output_tok_s, 0),
            lp_render_fmt_num(d, sizeof d, e->max_concurrent_requests, 1));
    return ferror(o) ? LP_ERR_IO : LP_OK;
}
