/*
 * explain_json.c - `llmplan explain --json` and `POST /v1/explain`: one JSON object with the
 * memory plan (as `plan --json`), the estimate (as `estimate --json`), one prefill and one
 * decode step split into compute, memory, communication and host time, each target with its
 * value and margin, and the `vllm serve` command. Formatting only.
 */
#include <jansson.h>
#include <math.h>

#include "llmplan/render.h"
#include "render/json_objects.h"
#include "common/json_write.h"

static json_t *num(double v) {
    return isfinite(v) ? json_real(v) : json_null();
}

static void put(json_t *o, const char *key, json_t *v) {
    json_object_set_new(o, key, v ? v : json_null());
}

static json_t *step_object(const char *count_key, double count, const lp_step_time *t) {
    json_t *o = json_object();
    put(o, count_key, num(count));
    put(o, "total_ms", num(1e3 * t->total_s));
    put(o, "compute_ms", num(1e3 * t->compute_s));
    put(o, "memory_ms", num(1e3 * t->memory_s));
    put(o, "communication_ms", num(1e3 * t->comm_s));
    put(o, "host_ms", num(1e3 * t->host_s));
    put(o, "bottleneck", json_string(lp_bottleneck_name(t->bound)));
    return o;
}

static double at_percentile(const lp_stat *s, int pct) {
    return pct >= 99 ? s->p99 : (pct >= 90 ? s->p90 : s->median);
}

/* One target: its value, limit, whether it is met and the margin; NULL when not set. */
static json_t *target_object(double value, double limit, bool at_most, bool *all_met) {
    if (!(limit > 0))
        return NULL;
    bool met = isfinite(value) && (at_most ? value <= limit : value >= limit);
    *all_met = *all_met && met;
    json_t *o = json_object();
    put(o, "value", num(value));
    put(o, "target", num(limit));
    put(o, "met", json_boolean(met));
    put(o, "margin_pct",
        num(isfinite(value) ? 100.0 * (at_most ? (limit - value) : (value - limit)) / limit : NAN));
    return o;
}

/* The targets given, judged on the search's numbers for a ranked configuration (as the
 * ranking was), else on the estimate at the targets' percentile. */
static json_t *targets_object(const lp_explain_view *v, bool *all_met) {
    const lp_targets *t = v->targets;
    *all_met = true;
    json_t *o = json_object();
    int pct = t && t->percentile > 0 ? t->percentile : 50;
    put(o, "percentile", json_integer(pct));
    if (!t)
        return o;
    const lp_candidate *c = v->candidate;
    const lp_perf_estimate *e = v->estimate && v->estimate->valid ? v->estimate : NULL;
    double ttft = c ? c->ttft_ms : (e ? at_percentile(&e->ttft_ms, pct) : NAN);
    double tpot = c ? c->tpot_ms : (e ? at_percentile(&e->tpot_ms, pct) : NAN);
    double itl = c ? c->itl_ms : (e ? at_percentile(&e->itl_ms, pct) : NAN);
    double e2e = c ? c->e2e_ms : (e ? at_percentile(&e->e2el_ms, pct) : NAN);
    double tok = c ? c->output_tok_s : (e ? e->output_tok_s : NAN);
    json_t *rows[5] = {target_object(ttft, t->max_ttft_ms, true, all_met),
                       target_object(tpot, t->max_tpot_ms, true, all_met),
                       target_object(itl, t->max_itl_ms, true, all_met),
                       target_object(e2e, t->max_e2e_ms, true, all_met),
                       target_object(tok, t->min_output_tok_s, false, all_met)};
    static const char *const keys[5] = {"ttft_ms", "tpot_ms", "itl_ms", "e2el_ms",
                                        "output_throughput"};
    for (int i = 0; i < 5; i++)
        if (rows[i])
            put(o, keys[i], rows[i]);
    return o;
}

lp_status lp_render_explain_json(FILE *out, const lp_explain_view *v) {
    json_t *root = json_object();
    if (!root)
        return LP_ERR_NOMEM;
    put(root, "model",
        json_string(v->request && v->request->model_id ? v->request->model_id : v->model->id));
    put(root, "gpu", json_string(v->gpu->name));
    if (v->candidate) {
        put(root, "rank", json_integer((json_int_t)v->rank));
        put(root, "objective", json_string(lp_objective_name(v->objective)));
        put(root, "why", json_string(v->candidate->why));
    }
    put(root, "plan", lp_render_plan_object(v->model, v->gpu, v->plan));
    const lp_perf_estimate *e = v->estimate;
    if (e)
        put(root, "estimate", lp_render_estimate_object(v->request, e, 0));
    else
        put(root, "estimate",
            json_pack("{s:b, s:s}", "valid", 0, "error",
                      "the configuration does not fit, so it cannot serve"));
    json_t *steps = json_object();
    put(steps, "prefill",
        v->prefill_step ? step_object("tokens", v->prefill_step_tokens, v->prefill_step) : NULL);
    put(steps, "decode",
        v->decode_step ? step_object("sequences", v->decode_step_seqs, v->decode_step) : NULL);
    put(root, "steps", steps);
    bool all_met = true;
    put(root, "targets", targets_object(v, &all_met));
    put(root, "meets_targets", json_boolean(v->plan->fits && e && e->valid && all_met));
    put(root, "vllm_serve", v->vllm_serve ? json_string(v->vllm_serve) : NULL);
    int rc = lp_json_write(out, root, JSON_INDENT(2) | JSON_REAL_PRECISION(8));
    fputc('\n', out);
    json_decref(root);
    return rc == 0 && !ferror(out) ? LP_OK : LP_ERR_IO;
}
