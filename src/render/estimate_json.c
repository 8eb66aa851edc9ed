/*
 * estimate_json.c - `llmplan estimate --json`: one JSON object per estimate (one line each
 * with --batch), written with common/json_emit (the bytes jansson would write, without a tree
 * per line: a batch writes hundreds of thousands). Performance keys are spelled exactly as in a
 * `vllm bench serve --save-result` file so that an estimate and a real benchmark can be
 * compared key by key; llmplan's own additions (ranges, bottlenecks, assumptions) sit beside
 * them. Not-estimated values (NaN, e.g. percentiles without simulation) are null.
 * Formatting only: no number here is computed beyond unit conversion.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>

#include "common/json_emit.h"
#include "common/json_fields.h"
#include "render/json_objects.h"

#include "llmplan/render.h"

/* Significant digits of the reals an estimate writes. */
#define LP_ESTIMATE_JSON_DIGITS 6

static void put_stat(lp_json_emit *w, const char *name, const lp_stat *s) {
    static const char *const which[] = {"mean", "median", "p90", "p99"};
    const double vals[] = {s->mean, s->median, s->p90, s->p99};
    for (int i = 0; i < 4; i++) {
        char key[48];
        snprintf(key, sizeof key, "%s_%s_ms", which[i], name);
        lp_je_key(w, key);
        lp_je_real(w, vals[i]);
    }
}

/* A range and the evidence behind it (its band class, the fit rows it rests on, the nominal
 * coverage), or null where there is no range. */
static void put_range(lp_json_emit *w, const char *key, lp_range r, const lp_band_info *b) {
    lp_je_key(w, key);
    if (r.lo == 0 && r.hi == 0) {
        lp_je_null(w); /* no evidence for this quantity */
        return;
    }
    lp_je_object_begin(w);
    lp_je_key(w, "lo");
    lp_je_real(w, r.lo);
    lp_je_key(w, "hi");
    lp_je_real(w, r.hi);
    if (b && b->found) {
        lp_je_key(w, "coverage");
        lp_je_real(w, b->coverage);
        lp_je_key(w, "class");
        lp_je_string(w, b->cls);
        lp_je_key(w, "rows");
        lp_je_int(w, b->rows);
        lp_je_key(w, "groups");
        lp_je_int(w, b->groups);
        lp_je_key(w, "fallback_from");
        if (b->level > 0)
            lp_je_string(w, b->own);
        else
            lp_je_null(w);
    }
    lp_je_object_end(w);
}

/* The ranges of the four statistics of a latency, keyed as its values are. */
static void put_stat_ranges(lp_json_emit *w, const char *name, const lp_stat_range *r,
                            const lp_band_info *bands) {
    static const char *const which[] = {"mean", "median", "p90", "p99"};
    const lp_range vals[] = {r->mean, r->median, r->p90, r->p99};
    for (int i = 0; i < 4; i++) {
        char key[48];
        snprintf(key, sizeof key, "%s_%s_ms", which[i], name);
        put_range(w, key, vals[i], &bands[i < 2 ? LP_BAND_CENTER : LP_BAND_TAIL]);
    }
}

static void put_request(lp_json_emit *w, const lp_perf_request *req) {
    lp_je_key(w, "model_id");
    if (req->model_id)
        lp_je_string(w, req->model_id);
    else if (req->model)
        lp_je_string(w, req->model->id);
    else
        lp_je_null(w);
    if (req->params_b > 0) {
        lp_je_key(w, "params_b");
        lp_je_real(w, req->params_b);
    }
    lp_je_key(w, "gpu");
    if (req->cluster.gpu)
        lp_je_string(w, req->cluster.gpu->name);
    else if (req->gpu_name)
        lp_je_string(w, req->gpu_name);
    else
        lp_je_null(w);
    lp_je_key(w, "num_prompts");
    lp_je_int(w, req->workload.num_prompts);
    lp_je_key(w, "request_rate");
    /* vllm bench writes "inf" for an infinite rate */
    if (!(req->workload.request_rate > 0) || isinf(req->workload.request_rate))
        lp_je_string(w, "inf");
    else
        lp_je_real(w, req->workload.request_rate);
    /* as vllm bench serve's result file: 1.0 unless --burstiness changed it (0 means 1) */
    lp_je_key(w, "burstiness");
    if (isinf(req->workload.burstiness))
        lp_je_string(w, "inf");
    else
        lp_je_real(w, req->workload.burstiness > 0 ? req->workload.burstiness : 1.0);
    if (req->workload.sharegpt_output_len > 0) {
        lp_je_key(w, "sharegpt_output_len");
        lp_je_int(w, req->workload.sharegpt_output_len);
    }
    lp_je_key(w, "max_concurrency");
    if (req->workload.max_concurrency > 0)
        lp_je_int(w, req->workload.max_concurrency);
    else
        lp_je_null(w);
}

/* The throughput keys of `vllm bench serve --save-result` (a duration of 0: not simulated). */
static const lp_json_field BENCH_KEYS[] = {
    LP_JF(lp_perf_estimate, completed, "completed", INT),
    LP_JF(lp_perf_estimate, duration_s, "duration", POSITIVE),
    LP_JF(lp_perf_estimate, request_s, "request_throughput", REAL),
    LP_JF(lp_perf_estimate, output_tok_s, "output_throughput", REAL),
    LP_JF(lp_perf_estimate, total_tok_s, "total_token_throughput", REAL),
};

/* llmplan's additions after the latencies. */
static const lp_json_field OWN_KEYS[] = {
    LP_JF(lp_perf_estimate, max_concurrent_requests, "max_concurrent_requests", REAL),
    LP_JF(lp_perf_estimate, prefill_tok_s, "prefill_tok_s", REAL),
    LP_JF(lp_perf_estimate, decode_tok_s, "decode_tok_s", REAL),
    LP_JF(lp_perf_estimate, mean_batch, "mean_batch", REAL),
    LP_JF(lp_perf_estimate, replicas, "replicas", INT),
};

/* The estimate object; res (may be NULL) adds the use case's keys. */
static void put_estimate(lp_json_emit *w, const lp_perf_request *req, const lp_perf_estimate *e,
                         long line, const lp_estimate_result *res) {
    lp_je_object_begin(w);
    if (line > 0) {
        lp_je_key(w, "line");
        lp_je_int(w, line);
    }
    lp_je_key(w, "valid");
    lp_je_bool(w, e->valid);
    lp_je_key(w, "error");
    if (!e->valid) {
        lp_je_string(w, e->error);
        lp_je_object_end(w);
        return;
    }
    lp_je_null(w);
    lp_je_key(w, "method");
    lp_je_string(w, lp_method_name(e->method));
    put_request(w, req);

    /* the keys of `vllm bench serve --save-result` */
    lp_je_fields(w, e, BENCH_KEYS, LP_JF_COUNT(BENCH_KEYS));
    put_stat(w, "ttft", &e->ttft_ms);
    put_stat(w, "tpot", &e->tpot_ms);
    put_stat(w, "itl", &e->itl_ms);
    put_stat(w, "e2el", &e->e2el_ms);
    lp_je_fields(w, e, OWN_KEYS, LP_JF_COUNT(OWN_KEYS));
    if (e->method == LP_SIMULATE) {
        lp_je_key(w, "preemptions");
        lp_je_int(w, e->preemptions);
    }
    /* error bands from evidence: the value of the same key lay in [lo, hi] for `coverage` of
     * the published runs of its class (llmplan/bands.h) */
    lp_je_key(w, "ranges");
    lp_je_object_begin(w);
    const lp_band_info *tput = &e->bands[LP_BAND_THROUGHPUT][LP_BAND_CENTER];
    put_range(w, "request_throughput", e->request_s_range, tput);
    put_range(w, "output_throughput", e->output_tok_s_range, tput);
    put_range(w, "total_token_throughput", e->total_tok_s_range, tput);
    put_stat_ranges(w, "ttft", &e->ttft_band, e->bands[LP_BAND_TTFT]);
    put_stat_ranges(w, "tpot", &e->tpot_band, e->bands[LP_BAND_TPOT]);
    put_stat_ranges(w, "itl", &e->itl_band, e->bands[LP_BAND_ITL]);
    put_stat_ranges(w, "e2el", &e->e2el_band, e->bands[LP_BAND_E2E]);
    put_range(w, "max_concurrent_requests", e->max_concurrent_range,
              &e->bands[LP_BAND_KV][LP_BAND_CENTER]);
    put_range(w, "prefill_tok_s", e->prefill_tok_s_range, tput);
    put_range(w, "decode_tok_s", e->decode_tok_s_range, tput);
    /* the means' ranges under their earlier names */
    put_range(w, "ttft_ms", e->ttft_ms_range, &e->bands[LP_BAND_TTFT][LP_BAND_CENTER]);
    put_range(w, "tpot_ms", e->tpot_ms_range, &e->bands[LP_BAND_TPOT][LP_BAND_CENTER]);
    put_range(w, "itl_ms", e->itl_ms_range, &e->bands[LP_BAND_ITL][LP_BAND_CENTER]);
    put_range(w, "e2el_ms", e->e2el_ms_range, &e->bands[LP_BAND_E2E][LP_BAND_CENTER]);
    lp_je_object_end(w);
    lp_je_key(w, "bottlenecks");
    lp_je_object_begin(w);
    lp_je_key(w, "prefill");
    lp_je_string(w, lp_bottleneck_name(e->prefill_bound));
    lp_je_key(w, "decode");
    lp_je_string(w, lp_bottleneck_name(e->decode_bound));
    lp_je_object_end(w);
    lp_je_key(w, "modes");
    lp_render_estimate_modes(w, e);
    lp_je_key(w, "assumptions");
    lp_je_array_begin(w);
    for (int i = 0; i < e->n_assumptions && i < LP_MAX_ASSUMPTIONS; i++)
        lp_je_string(w, e->assumptions[i]);
    lp_je_array_end(w);
    if (res && res->planned_max_model_len > 0) {
        lp_je_key(w, "planned_max_model_len");
        lp_je_int(w, res->planned_max_model_len);
    }
    if (res && res->vllm_serve[0]) {
        lp_je_key(w, "vllm_serve");
        lp_je_string(w, res->vllm_serve);
    }
    lp_je_object_end(w);
}

json_t *lp_render_estimate_object(const lp_perf_request *req, const lp_perf_estimate *e,
                                  long line) {
    lp_json_emit w = {0};
    lp_je_init(&w, false, LP_ESTIMATE_JSON_DIGITS);
    put_estimate(&w, req, e, line, NULL);
    json_t *o = w.oom ? NULL : json_loads(w.buf, 0, NULL);
    lp_je_free(&w);
    return o;
}

lp_status lp_render_estimate_json(FILE *out, const lp_estimate_result *r, long line, bool indent) {
    lp_json_emit w = {0};
    lp_je_init(&w, indent, LP_ESTIMATE_JSON_DIGITS);
    put_estimate(&w, &r->request, &r->estimate, line, r);
    int rc = lp_je_write(&w, out);
    bool oom = w.oom;
    lp_je_free(&w);
    if (oom)
        return LP_ERR_NOMEM;
    fputc('\n', out);
    return rc == 0 && !ferror(out) ? LP_OK : LP_ERR_IO;
}
