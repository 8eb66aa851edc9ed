/*
 * estimate_json.c - `llmplan estimate --json`: one JSON object per estimate (one line each
 * with --batch), built with jansson. Performance keys are spelled exactly as in a
 * `vllm bench serve --save-result` file so that an estimate and a real benchmark can be
 * compared key by key; llmplan's own additions (ranges, bottlenecks, assumptions) sit beside
 * them. Not-estimated values (NaN, e.g. percentiles without simulation) are null.
 * Formatting only: no number here is computed beyond unit conversion.
 */
#include "common/json_write.h"
#include "render/json_objects.h"
#include <jansson.h>
#include <math.h>

#include "llmplan/render.h"

static json_t *num(double v) {
    return isfinite(v) ? json_real(v) : json_null();
}

static void put(json_t *o, const char *key, json_t *v) {
    json_object_set_new(o, key, v ? v : json_null());
}

static void put_stat(json_t *o, const char *name, const lp_stat *s) {
    static const char *const which[] = {"mean", "median", "p90", "p99"};
    const double vals[] = {s->mean, s->median, s->p90, s->p99};
    for (int i = 0; i < 4; i++) {
        char key[48];
        snprintf(key, sizeof key, "%s_%s_ms", which[i], name);
        put(o, key, num(vals[i]));
    }
}

/* A range and the evidence behind it (its band class, the fit rows it rests on, the nominal
 * coverage), or null where there is no range. */
static json_t *range_json(lp_range r, const lp_band_info *b) {
    if (r.lo == 0 && r.hi == 0)
        return json_null(); /* no evidence for this quantity */
    json_t *o = json_object();
    put(o, "lo", num(r.lo));
    put(o, "hi", num(r.hi));
    if (b && b->found) {
        put(o, "coverage", json_real(b->coverage));
        put(o, "class", json_string(b->cls));
        put(o, "rows", json_integer(b->rows));
        put(o, "groups", json_integer(b->groups));
        put(o, "fallback_from", b->level > 0 ? json_string(b->own) : json_null());
    }
    return o;
}

/* The ranges of the four statistics of a latency, keyed as its values are. */
static void put_stat_ranges(json_t *o, const char *name, const lp_stat_range *r,
                            const lp_band_info *bands) {
    static const char *const which[] = {"mean", "median", "p90", "p99"};
    const lp_range vals[] = {r->mean, r->median, r->p90, r->p99};
    for (int i = 0; i < 4; i++) {
        char key[48];
        snprintf(key, sizeof key, "%s_%s_ms", which[i], name);
        put(o, key, range_json(vals[i], &bands[i < 2 ? LP_BAND_CENTER : LP_BAND_TAIL]));
    }
}

static json_t *request_rate_json(const lp_perf_request *req) {
    /* vllm bench writes "inf" for an infinite rate */
    if (!(req->workload.request_rate > 0) || isinf(req->workload.request_rate))
        return json_string("inf");
    return json_real(req->workload.request_rate);
}

json_t *lp_render_estimate_object(const lp_perf_request *req, const lp_perf_estimate *e,
                                  long line) {
    json_t *o = json_object();
    if (!o)
        return NULL;
    if (line > 0)
        put(o, "line", json_integer(line));
    put(o, "valid", json_boolean(e->valid));
    if (!e->valid) {
        put(o, "error", json_string(e->error));
        return o;
    }
    put(o, "error", json_null());
    put(o, "method", json_string(lp_method_name(e->method)));
    {
        if (req->model_id)
            put(o, "model_id", json_string(req->model_id));
        else if (req->model)
            put(o, "model_id", json_string(req->model->id));
        else
            put(o, "model_id", json_null());
        if (req->params_b > 0)
            put(o, "params_b", json_real(req->params_b));
        if (req->cluster.gpu)
            put(o, "gpu", json_string(req->cluster.gpu->name));
        else
            put(o, "gpu", req->gpu_name ? json_string(req->gpu_name) : json_null());
        put(o, "num_prompts", json_integer(req->workload.num_prompts));
        put(o, "request_rate", request_rate_json(req));
        put(o, "max_concurrency",
            req->workload.max_concurrency > 0 ? json_integer(req->workload.max_concurrency)
                                              : json_null());
    }

    /* the keys of `vllm bench serve --save-result` */
    put(o, "completed", json_integer(e->completed));
    put(o, "duration", e->duration_s > 0 ? num(e->duration_s) : json_null());
    put(o, "request_throughput", num(e->request_s));
    put(o, "output_throughput", num(e->output_tok_s));
    put(o, "total_token_throughput", num(e->total_tok_s));
    put_stat(o, "ttft", &e->ttft_ms);
    put_stat(o, "tpot", &e->tpot_ms);
    put_stat(o, "itl", &e->itl_ms);
    put_stat(o, "e2el", &e->e2el_ms);

    /* llmplan's additions */
    put(o, "max_concurrent_requests", num(e->max_concurrent_requests));
    put(o, "prefill_tok_s", num(e->prefill_tok_s));
    put(o, "decode_tok_s", num(e->decode_tok_s));
    put(o, "mean_batch", num(e->mean_batch));
    put(o, "replicas", json_integer(e->replicas));
    if (e->method == LP_SIMULATE)
        put(o, "preemptions", json_integer(e->preemptions));
    /* error bands from evidence: the value of the same key lay in [lo, hi] for `coverage` of
     * the published runs of its class (llmplan/bands.h) */
    json_t *ranges = json_object();
    const lp_band_info *tput = &e->bands[LP_BAND_THROUGHPUT][LP_BAND_CENTER];
    put(ranges, "request_throughput", range_json(e->request_s_range, tput));
    put(ranges, "output_throughput", range_json(e->output_tok_s_range, tput));
    put(ranges, "total_token_throughput", range_json(e->total_tok_s_range, tput));
    put_stat_ranges(ranges, "ttft", &e->ttft_band, e->bands[LP_BAND_TTFT]);
    put_stat_ranges(ranges, "tpot", &e->tpot_band, e->bands[LP_BAND_TPOT]);
    put_stat_ranges(ranges, "itl", &e->itl_band, e->bands[LP_BAND_ITL]);
    put_stat_ranges(ranges, "e2el", &e->e2el_band, e->bands[LP_BAND_E2E]);
    put(ranges, "max_concurrent_requests",
        range_json(e->max_concurrent_range, &e->bands[LP_BAND_KV][LP_BAND_CENTER]));
    put(ranges, "prefill_tok_s", range_json(e->prefill_tok_s_range, tput));
    put(ranges, "decode_tok_s", range_json(e->decode_tok_s_range, tput));
    /* the means' ranges under their earlier names */
    put(ranges, "ttft_ms", range_json(e->ttft_ms_range, &e->bands[LP_BAND_TTFT][LP_BAND_CENTER]));
    put(ranges, "tpot_ms", range_json(e->tpot_ms_range, &e->bands[LP_BAND_TPOT][LP_BAND_CENTER]));
    put(ranges, "itl_ms", range_json(e->itl_ms_range, &e->bands[LP_BAND_ITL][LP_BAND_CENTER]));
    put(ranges, "e2el_ms", range_json(e->e2el_ms_range, &e->bands[LP_BAND_E2E][LP_BAND_CENTER]));
    put(o, "ranges", ranges);
    json_t *bounds = json_object();
    put(bounds, "prefill", json_string(lp_bottleneck_name(e->prefill_bound)));
    put(bounds, "decode", json_string(lp_bottleneck_name(e->decode_bound)));
    put(o, "bottlenecks", bounds);
    json_t *assumptions = json_array();
    for (int i = 0; i < e->n_assumptions && i < LP_MAX_ASSUMPTIONS; i++)
        json_array_append_new(assumptions, json_string(e->assumptions[i]));
    put(o, "assumptions", assumptions);
    return o;
}

static json_t *estimate_object(const lp_estimate_result *res, long line) {
    json_t *o = lp_render_estimate_object(&res->request, &res->estimate, line);
    if (!o || !res->estimate.valid)
        return o;
    if (res->planned_max_model_len > 0)
        put(o, "planned_max_model_len", json_integer(res->planned_max_model_len));
    if (res->vllm_serve[0])
        put(o, "vllm_serve", json_string(res->vllm_serve));
    return o;
}

lp_status lp_render_estimate_json(FILE *out, const lp_estimate_result *r, long line, bool indent) {
    json_t *o = estimate_object(r, line);
    if (!o)
        return LP_ERR_NOMEM;
    size_t flags = JSON_REAL_PRECISION(6) | (indent ? JSON_INDENT(2) : JSON_COMPACT);
    int rc = lp_json_write(out, o, flags);
    fputc('\n', out);
    json_decref(o);
    return rc == 0 && !ferror(out) ? LP_OK : LP_ERR_IO;
}
