/*
 * compare.c - `llmplan compare` and `POST /v1/compare`: a real benchmark and start-up log next
 * to llmplan's estimate and plan, as a terminal table or one JSON object. Formatting only.
 */
#include <jansson.h>
#include <math.h>

#include "common/json_write.h"
#include "common/text.h"
#include "llmplan/render.h"

static json_t *num(double v) {
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *rows_json(const lp_compare_row *rows, int n) {
    json_t *o = json_object(), *metrics = json_object();
    for (int i = 0; i < n; i++) {
        json_t *m = json_object();
        json_object_set_new(m, "measured", num(rows[i].measured));
        json_object_set_new(m, "estimated", num(rows[i].estimated));
        json_object_set_new(m, "error_pct", num(rows[i].error_pct));
        json_object_set_new(metrics, rows[i].name, m);
    }
    int count;
    double med = lp_compare_median_abs_error(rows, n, &count);
    json_object_set_new(o, "metrics", metrics);
    json_object_set_new(o, "median_abs_error_pct", num(med));
    json_object_set_new(o, "compared", json_integer(count));
    return o;
}

static json_t *notes_json(const char notes[][LP_BENCH_NOTE_SIZE], int n) {
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_string(notes[i]));
    return a;
}

static const char *model_name(const lp_perf_request *r) {
    return r->model_id ? r->model_id : (r->model ? r->model->id : "");
}

lp_status lp_render_compare_json(FILE *out, const lp_compare_result *c) {
    const lp_perf_request *req = &c->request;
    json_t *o = json_object();
    if (!o)
        return LP_ERR_NOMEM;
    json_object_set_new(o, "model_id", json_string(model_name(req)));
    json_object_set_new(o, "gpu", json_string(req->cluster.gpu->name));
    if (c->result) {
        json_object_set_new(o, "result_file",
                            c->result_name ? json_string(c->result_name) : json_null());
        json_object_set_new(o, "method", json_string(lp_method_name(req->method)));
        json_t *w = json_object();
        const lp_workload *wl = &req->workload;
        json_object_set_new(w, "num_prompts", json_integer(wl->num_prompts));
        json_object_set_new(w, "request_rate",
                            wl->request_rate > 0 ? json_real(wl->request_rate)
                                                 : json_string("inf"));
        json_object_set_new(w, "burstiness",
                            isinf(wl->burstiness)
                                ? json_string("inf")
                                : json_real(wl->burstiness > 0 ? wl->burstiness : 1.0));
        json_object_set_new(w, "max_concurrency",
                            wl->max_concurrency > 0 ? json_integer(wl->max_concurrency)
                                                    : json_null());
        json_object_set_new(w, "mean_input_len", num(lp_len_mean(&wl->input)));
        json_object_set_new(w, "mean_output_len", num(lp_len_mean(&wl->output)));
        json_object_set_new(o, "workload", w);
        json_object_set_new(o, "performance", rows_json(c->perf, c->n_perf));
        json_object_set_new(
            o, "result_notes",
            notes_json((const char(*)[LP_BENCH_NOTE_SIZE])c->result->notes, c->result->n_notes));
        json_t *as = json_array();
        for (int i = 0; i < c->estimate.n_assumptions; i++)
            json_array_append_new(as, json_string(c->estimate.assumptions[i]));
        json_object_set_new(o, "assumptions", as);
    }
    if (c->log) {
        json_object_set_new(o, "log_file", c->log_name ? json_string(c->log_name) : json_null());
        /* a failed start-up is the log's verdict: said first, with vLLM's own error */
        json_object_set_new(o, "startup_failed", json_boolean(c->log->failed));
        json_object_set_new(o, "vllm_error",
                            c->log->error[0] ? json_string(c->log->error) : json_null());
        json_object_set_new(o, "llmplan_fits", json_boolean(c->plan.fits));
        json_object_set_new(o, "memory", rows_json(c->memory, c->n_memory));
        json_object_set_new(
            o, "log_notes",
            notes_json((const char(*)[LP_BENCH_NOTE_SIZE])c->log->notes, c->log->n_notes));
    }
    int wr = lp_json_write(out, o, JSON_INDENT(2) | JSON_REAL_PRECISION(8));
    json_decref(o);
    fputc('\n', out);
    return wr == 0 && !ferror(out) ? LP_OK : LP_ERR_IO;
}

static void print_rows(FILE *out, const char *title, const lp_compare_row *rows, int n) {
    int count;
    double med = lp_compare_median_abs_error(rows, n, &count);
    fprintf(out, "%s\n  %-24s %14s %14s %9s\n", title, "metric", "measured", "estimated", "error");
    for (int i = 0; i < n; i++) {
        fprintf(out, "  %-24s %14.4g ", rows[i].name, rows[i].measured);
        if (isnan(rows[i].estimated))
            fprintf(out, "%14s %9s\n", "n/a", "");
        else
            fprintf(out, "%14.4g %+8.1f%%\n", rows[i].estimated, rows[i].error_pct);
    }
    if (count > 0)
        fprintf(out, "  median |error| over %d metrics: %.1f %%\n", count, med);
    else
        fprintf(out, "  nothing comparable\n");
}

lp_status lp_render_compare_text(FILE *out, const lp_compare_result *c) {
    const lp_perf_request *req = &c->request;
    fprintf(out, "%s on %s\n", model_name(req), req->cluster.gpu->name);
    if (c->result) {
        const lp_workload *w = &req->workload;
        char rate[64];
        if (w->request_rate > 0 && w->burstiness > 0 && w->burstiness != 1.0)
            snprintf(rate, sizeof rate, "%g req/s (burstiness %g)", w->request_rate, w->burstiness);
        else if (w->request_rate > 0)
            snprintf(rate, sizeof rate, "%g req/s", w->request_rate);
        else
            snprintf(rate, sizeof rate, "inf");
        fprintf(out,
                "workload from %s: %d prompts, rate %s, max concurrency %d, mean %.0f in / %.0f "
                "out tokens; method %s\n",
                c->result_name ? c->result_name : "the result", w->num_prompts, rate,
                w->max_concurrency, lp_len_mean(&w->input), lp_len_mean(&w->output),
                lp_method_name(req->method));
        print_rows(out, "\nperformance (vllm bench serve keys):", c->perf, c->n_perf);
        for (int i = 0; i < c->result->n_notes; i++)
            fprintf(out, "  note: %s\n", c->result->notes[i]);
    }
    if (c->log && c->log->failed) {
        char shown[sizeof c->log->error];
        lp_text_printable_copy(c->log->error[0] ? c->log->error : "(no exception line)", shown,
                               sizeof shown);
        fprintf(out, "\nstart-up FAILED in %s: %s\n", c->log_name ? c->log_name : "the log", shown);
        fprintf(out, "llmplan plan for these settings: %s\n",
                c->plan.fits ? "fits - it would not have predicted this failure"
                             : "does not fit - it predicts this failure");
    }
    if (c->log) {
        print_rows(out, "\nstart-up memory per GPU (log vs llmplan plan):", c->memory, c->n_memory);
        for (int i = 0; i < c->log->n_notes; i++)
            fprintf(out, "  found: %s\n", c->log->notes[i]);
    }
    return ferror(out) ? LP_ERR_IO : LP_OK;
}
