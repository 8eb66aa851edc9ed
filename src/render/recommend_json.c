/*
 * recommend_json.c - `llmplan recommend --json` and `--csv`.
 *
 * JSON: one object whose "configs" array lists the ranked configurations best first. Each
 * entry is flat: the vLLM settings spelled as `vllm serve` spells them, the estimate under the
 * key names of a `vllm bench serve --save-result` file ({mean,median,p90,p99}_{ttft,tpot,itl,
 * e2el}_ms, output_throughput, request_throughput, total_token_throughput; null where not
 * estimated), the cost with its price source, and the `vllm serve` command. Beside it: the
 * Pareto front, rejection counts by reason, the size and duration of the search.
 * CSV: the same flat entries, one row each under a header row, so that a spreadsheet and a
 * program read the same columns. Formatting only.
 */
#include "common/json_fields.h"
#include "common/json_write.h"
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "llmplan/render.h"

static json_t *num(double v) {
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *positive(double v) {
    return v > 0 && isfinite(v) ? json_real(v) : json_null();
}

static void put(json_t *o, const char *key, json_t *v) {
    json_object_set_new(o, key, v ? v : json_null());
}

/* ---- the keys that are a member as it is (json_fields.h), in the order they are written ---- */

/* A configuration's GPUs and parallelism, spelled as `vllm serve` spells the flags. */
static const lp_json_field LAYOUT_KEYS[] = {
    LP_JF(lp_candidate, num_gpus, "num_gpus", INT),
    LP_JF(lp_candidate, nodes, "nodes", INT),
    LP_JF(lp_candidate, cross_node_ms, "cross_node_ms_per_step", REAL),
    LP_JF(lp_candidate, tp, "tensor_parallel_size", INT),
    LP_JF(lp_candidate, pp, "pipeline_parallel_size", INT),
    LP_JF(lp_candidate, dp, "data_parallel_size", INT),
    LP_JF(lp_candidate, expert_parallel, "enable_expert_parallel", BOOL),
};

/* Its engine limits. */
static const lp_json_field LIMIT_KEYS[] = {
    LP_JF(lp_candidate, max_num_seqs, "max_num_seqs", INT),
    LP_JF(lp_candidate, max_num_batched_tokens, "max_num_batched_tokens", INT),
    LP_JF(lp_candidate, max_model_len, "max_model_len", INT64),
    LP_JF(lp_candidate, gpu_memory_utilization, "gpu_memory_utilization", REAL),
};

/* Its throughput under `vllm bench serve`'s names, and its KV capacity. */
static const lp_json_field THROUGHPUT_KEYS[] = {
    LP_JF(lp_candidate, output_tok_s, "output_throughput", REAL),
    LP_JF(lp_candidate, request_s, "request_throughput", REAL),
    LP_JF(lp_candidate, total_tok_s, "total_token_throughput", REAL),
    LP_JF(lp_candidate, output_tok_s_per_gpu, "output_throughput_per_gpu", REAL),
    LP_JF(lp_candidate, max_concurrent_requests, "max_concurrent_requests", REAL),
    LP_JF(lp_candidate, kv_tokens, "kv_tokens", INT64),
};

/* Its capacity at the targets (all null when none was computed). */
static const lp_json_field CAPACITY_KEYS[] = {
    LP_JF(lp_candidate, max_request_rate, "max_request_rate", REAL),
    LP_JF(lp_candidate, max_concurrency, "max_concurrency", REAL),
    LP_JF(lp_candidate, saturation_request_rate, "saturation_request_rate", REAL),
};

/* One batch-limit setting that meets the targets. */
static const lp_json_field VARIANT_KEYS[] = {
    LP_JF(lp_batch_variant, max_num_seqs, "max_num_seqs", INT),
    LP_JF(lp_batch_variant, max_num_batched_tokens, "max_num_batched_tokens", INT),
    LP_JF(lp_batch_variant, ttft_ms, "ttft_ms", REAL),
    LP_JF(lp_batch_variant, tpot_ms, "tpot_ms", REAL),
    LP_JF(lp_batch_variant, itl_ms, "itl_ms", REAL),
    LP_JF(lp_batch_variant, e2e_ms, "e2el_ms", REAL),
    LP_JF(lp_batch_variant, output_tok_s, "output_throughput", REAL),
    LP_JF(lp_batch_variant, kv_tokens, "kv_tokens", INT64),
    LP_JF(lp_batch_variant, simulated, "simulated", BOOL),
};

/* The latencies of one point of a load sweep. */
static const lp_json_field POINT_LATENCY_KEYS[] = {
    LP_JF(lp_load_point, ttft_ms, "ttft_ms", REAL),
    LP_JF(lp_load_point, tpot_ms, "tpot_ms", REAL),
    LP_JF(lp_load_point, itl_ms, "itl_ms", REAL),
    LP_JF(lp_load_point, e2e_ms, "e2el_ms", REAL),
};

/* The replicas a day of load needs, before and after the headroom. */
static const lp_json_field REPLICA_KEYS[] = {
    LP_JF(lp_load_sizing, num_gpus, "num_gpus_per_replica", INT),
    LP_JF(lp_load_sizing, max_request_rate, "max_request_rate", REAL),
};
static const lp_json_field FLEET_KEYS[] = {
    LP_JF(lp_load_sizing, min_replicas, "min_replicas", INT),
    LP_JF(lp_load_sizing, peak_replicas, "peak_replicas", INT),
    LP_JF(lp_load_sizing, requests_per_day, "requests_per_day", REAL),
    LP_JF(lp_load_sizing, gpu_hours_per_day, "gpu_hours_per_day", REAL),
    LP_JF(lp_load_sizing, fixed_gpu_hours_per_day, "fixed_fleet_gpu_hours_per_day", REAL),
    LP_JF(lp_load_sizing, usd_per_day, "usd_per_day", REAL),
    LP_JF(lp_load_sizing, fixed_usd_per_day, "fixed_fleet_usd_per_day", REAL),
};

/* The targets (0: none, written as null). */
static const lp_json_field TARGET_KEYS[] = {
    LP_JF(lp_targets, max_ttft_ms, "max_ttft_ms", POSITIVE),
    LP_JF(lp_targets, max_tpot_ms, "max_tpot_ms", POSITIVE),
    LP_JF(lp_targets, max_itl_ms, "max_itl_ms", POSITIVE),
    LP_JF(lp_targets, max_e2e_ms, "max_e2e_ms", POSITIVE),
    LP_JF(lp_targets, min_output_tok_s, "min_output_throughput", POSITIVE),
};

/* How many configurations met the targets, and what the search did. */
static const lp_json_field COUNT_KEYS[] = {
    LP_JF(lp_search_result, n_ranked, "meeting_targets", SIZE),
    LP_JF(lp_search_result, deployments, "deployments_meeting_targets", SIZE),
    LP_JF(lp_search_result, feasible, "configurations_meeting_targets", SIZE),
};
static const lp_json_field SEARCH_KEYS[] = {
    LP_JF(lp_search_result, enumerated, "enumerated", SIZE),
    LP_JF(lp_search_result, estimated, "estimated", SIZE),
    LP_JF(lp_search_result, search_s, "search_s", REAL),
};

/* Keys of the "rejected" object: stable identifiers for programs (the text report uses
 * lp_reject_reason_name's words). */
static const char *reject_key(lp_reject_reason r) {
    switch (r) {
    case LP_REJECT_INVALID:
        return "invalid";
    case LP_REJECT_NO_FIT:
        return "no_fit";
    case LP_REJECT_TTFT:
        return "ttft";
    case LP_REJECT_TPOT:
        return "tpot";
    case LP_REJECT_ITL:
        return "itl";
    case LP_REJECT_E2E:
        return "e2e";
    case LP_REJECT_THROUGHPUT:
        return "throughput";
    case LP_REJECT_COUNT:
        break;
    }
    return "unknown";
}

static int percentile_of(const lp_search_spec *spec) {
    return spec && spec->targets.percentile > 0 ? spec->targets.percentile : 50;
}

/*
 * The four statistics of one latency. The full-statistics estimate (roofline: mean and
 * median) fills what it has; the search's value at the spec's percentile, which the ranking
 * used, fills that percentile's key.
 */
static void put_latency(json_t *o, const char *name, const lp_stat *s, double at_pct, int pct) {
    static const char *const which[] = {"mean", "median", "p90", "p99"};
    double vals[4] = {NAN, NAN, NAN, NAN};
    if (s) {
        vals[0] = s->mean;
        vals[1] = s->median;
        vals[2] = s->p90;
        vals[3] = s->p99;
    }
    int slot = pct >= 99 ? 3 : (pct >= 90 ? 2 : 1);
    if (isfinite(at_pct))
        vals[slot] = at_pct;
    for (int i = 0; i < 4; i++) {
        char key[48];
        snprintf(key, sizeof key, "%s_%s_ms", which[i], name);
        put(o, key, num(vals[i]));
    }
}

/* One configuration as a flat object (rank 0: not ranked, e.g. a Pareto point or a miss). */
static json_t *config_object(const lp_recommend_view *v, const lp_candidate *c,
                             const lp_perf_estimate *e, const char *serve, size_t rank) {
    json_t *o = json_object();
    if (!o)
        return NULL;
    int pct = percentile_of(v->spec);
    if (e && !e->valid)
        e = NULL;
    put(o, "rank", rank > 0 ? json_integer((json_int_t)rank) : json_null());
    put(o, "gpu", json_string(c->gpu ? c->gpu->name : "?"));
    lp_json_set_fields(o, c, LAYOUT_KEYS, LP_JF_COUNT(LAYOUT_KEYS));
    put(o, "quantization", c->quantization[0] ? json_string(c->quantization) : json_null());
    put(o, "kv_cache_dtype", json_string(lp_dtype_name(c->kv_cache_dtype)));
    lp_json_set_fields(o, c, LIMIT_KEYS, LP_JF_COUNT(LIMIT_KEYS));
    put(o, "latency_percentile", json_integer(pct));
    put_latency(o, "ttft", e ? &e->ttft_ms : NULL, c->ttft_ms, pct);
    put_latency(o, "tpot", e ? &e->tpot_ms : NULL, c->tpot_ms, pct);
    put_latency(o, "itl", e ? &e->itl_ms : NULL, c->itl_ms, pct);
    put_latency(o, "e2el", e ? &e->e2el_ms : NULL, c->e2e_ms, pct);
    lp_json_set_fields(o, c, THROUGHPUT_KEYS, LP_JF_COUNT(THROUGHPUT_KEYS));
    put(o, "prefill_bottleneck", json_string(lp_bottleneck_name(c->prefill_bound)));
    put(o, "decode_bottleneck", json_string(lp_bottleneck_name(c->decode_bound)));
    bool priced = isfinite(c->usd_per_million_output_tokens);
    put(o, "usd_per_hour", num(c->usd_per_hour));
    put(o, "cost_per_million_tokens", num(c->usd_per_million_output_tokens));
    put(o, "price_source",
        priced && v->result->price_origin ? json_string(v->result->price_origin) : json_null());
    put(o, "pareto", json_boolean(c->pareto));
    put(o, "meets_targets", json_boolean(c->meets_targets));
    if (!c->meets_targets)
        put(o, "reject_reason", json_string(reject_key(c->reject)));
    put(o, "score", num(c->score));
    put(o, "why", json_string(c->why));
    /* a 4-bit method vLLM cannot apply at load time: the command needs another checkpoint */
    char ckpt[128];
    put(o, "requires_checkpoint",
        lp_candidate_needs_checkpoint(c, v->spec ? v->spec->model : NULL, ckpt, sizeof ckpt)
            ? json_string(ckpt)
            : json_null());
    put(o, "vllm_serve", serve ? json_string(serve) : json_null());
    /* capacity at the targets */
    bool have_cap = c->capacity_method != LP_CAPACITY_NONE;
    lp_json_set_fields(o, have_cap ? c : NULL, CAPACITY_KEYS, LP_JF_COUNT(CAPACITY_KEYS));
    put(o, "capacity_method",
        have_cap ? json_string(lp_capacity_method_name(c->capacity_method)) : json_null());
    put(o, "capacity_limit",
        !have_cap || c->capacity_limit == LP_REJECT_COUNT ? json_null()
        : c->capacity_limit == LP_REJECT_THROUGHPUT       ? json_string("saturation")
                                                    : json_string(reject_key(c->capacity_limit)));
    put(o, "replicas", c->replicas > 0 ? json_integer(c->replicas) : json_null());
    put(o, "batch_variants", json_integer((json_int_t)c->n_variants));
    return o;
}

/* The batch-limit settings of a ranked deployment that meet the targets, best first. */
static json_t *variants_array(const lp_recommend_view *v, const lp_candidate *c) {
    json_t *a = json_array();
    const lp_search_result *r = v->result;
    for (size_t k = 0; a && k < c->n_variants && c->variants_first + k < r->n_variants; k++) {
        const lp_batch_variant *b = &r->variants[c->variants_first + k];
        json_t *o = json_object();
        lp_json_set_fields(o, b, VARIANT_KEYS, LP_JF_COUNT(VARIANT_KEYS));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *point_object(const lp_load_point *p) {
    json_t *o = json_object();
    put(o, "request_rate", num(p->request_rate));
    put(o, "keeps_up", json_boolean(p->keeps_up));
    /* a load it falls behind has no steady latency: a backlog grows without bound */
    bool ok = p->valid && p->keeps_up;
    lp_json_set_fields(o, ok ? p : NULL, POINT_LATENCY_KEYS, LP_JF_COUNT(POINT_LATENCY_KEYS));
    put(o, "output_throughput", p->valid ? num(p->output_tok_s) : json_null());
    put(o, "simulated", json_boolean(p->simulated));
    return o;
}

static json_t *sweeps_array(const lp_recommend_view *v) {
    json_t *a = json_array();
    for (size_t i = 0; a && v->sweeps && i < v->n_sweeps; i++) {
        const lp_recommend_sweep *sw = &v->sweeps[i];
        json_t *o = json_object();
        put(o, "rank", json_integer((json_int_t)sw->rank + 1));
        json_t *pts = json_array();
        for (size_t k = 0; k < sw->n; k++)
            json_array_append_new(pts, point_object(&sw->points[k]));
        put(o, "points", pts);
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *profile_object(const lp_recommend_view *v) {
    const lp_load_profile *p = v->load_profile;
    if (!p)
        return json_null();
    json_t *o = json_object();
    put(o, "intervals", json_integer((json_int_t)p->n));
    put(o, "interval_minutes", num(p->interval_s / 60.0));
    put(o, "peak_request_rate", num(lp_load_profile_peak(p)));
    put(o, "mean_request_rate", num(lp_load_profile_mean(p)));
    json_t *rates = json_array();
    for (size_t i = 0; i < p->n; i++)
        json_array_append_new(rates, num(p->rate[i]));
    put(o, "request_rate", rates);
    const lp_load_sizing *z = v->sizing;
    put(o, "rank", z ? json_integer((json_int_t)v->chosen + 1) : json_null());
    if (z) {
        json_t *reps = json_array();
        for (size_t i = 0; i < z->n; i++)
            json_array_append_new(reps, json_integer(z->replicas[i]));
        put(o, "replicas", reps);
        lp_json_set_fields(o, z, REPLICA_KEYS, LP_JF_COUNT(REPLICA_KEYS));
        put(o, "headroom_pct", num(100 * z->headroom));
        lp_json_set_fields(o, z, FLEET_KEYS, LP_JF_COUNT(FLEET_KEYS));
    }
    put(o, "error",
        v->sizing_error && v->sizing_error[0] ? json_string(v->sizing_error) : json_null());
    return o;
}

static json_t *targets_object(const lp_search_spec *s) {
    json_t *o = json_object();
    lp_json_set_fields(o, &s->targets, TARGET_KEYS, LP_JF_COUNT(TARGET_KEYS));
    put(o, "percentile", json_integer(percentile_of(s)));
    return o;
}

static size_t shown(const lp_recommend_view *v) {
    return v->top < v->result->n_ranked ? v->top : v->result->n_ranked;
}

static const char *serve_of(const lp_recommend_view *v, size_t i) {
    return v->vllm_serve ? v->vllm_serve[i] : NULL;
}

/* A disaggregated layout, its keys as a configuration's. */
static json_t *layout_object(const lp_disagg_layout *l) {
    json_t *o = json_object();
    char shape[32];
    snprintf(shape, sizeof shape, "%dP%dD", l->prefill_instances, l->decode_instances);
    put(o, "disaggregation", json_string(shape));
    put(o, "gpu", json_string(l->gpu ? l->gpu->name : "?"));
    put(o, "num_gpus", json_integer(l->num_gpus));
    put(o, "prefill_instances", json_integer(l->prefill_instances));
    put(o, "decode_instances", json_integer(l->decode_instances));
    put(o, "tensor_parallel_size", json_integer(l->tp));
    put(o, "quantization", l->quantization[0] ? json_string(l->quantization) : json_null());
    put(o, "kv_cache_dtype", json_string(lp_dtype_name(l->kv_cache_dtype)));
    put(o, "ttft_ms", num(l->ttft_ms));
    put(o, "tpot_ms", num(l->tpot_ms));
    put(o, "itl_ms", num(l->itl_ms));
    put(o, "e2el_ms", num(l->e2e_ms));
    put(o, "output_throughput", num(l->output_tok_s));
    put(o, "output_throughput_per_gpu", num(l->output_tok_s_per_gpu));
    put(o, "usd_per_hour", num(l->usd_per_hour));
    put(o, "cost_per_million_tokens", num(l->usd_per_million_output_tokens));
    put(o, "score", num(l->score));
    return o;
}

/* Disaggregated prefill/decode against the aggregated ranking (null: not computed). */
static json_t *disagg_object(const lp_recommend_view *v) {
    const lp_disagg_search *d = v->disagg;
    if (!d)
        return json_null();
    json_t *o = json_object();
    put(o, "searched", json_boolean(d->searched));
    put(o, "pays", d->searched ? json_boolean(d->pays) : json_null());
    put(o, "verdict", d->searched ? json_string(d->verdict) : json_null());
    put(o, "note", json_string(d->note));
    put(o, "layouts_enumerated", json_integer((json_int_t)d->enumerated));
    put(o, "layouts_estimated", json_integer((json_int_t)d->estimated));
    put(o, "layouts_meeting_targets", json_integer((json_int_t)d->feasible));
    put(o, "aggregated_score", d->aggregated_found ? num(d->aggregated_score) : json_null());
    put(o, "best", d->found ? layout_object(&d->best) : json_null());
    put(o, "best_other_ratio", d->found_other ? layout_object(&d->other) : json_null());
    return o;
}

lp_status lp_render_recommend_json(FILE *out, const lp_recommend_view *v) {
    const lp_search_result *r = v->result;
    json_t *root = json_object();
    if (!root)
        return LP_ERR_NOMEM;
    const char *model = v->model_id ? v->model_id : (v->spec->model ? v->spec->model->id : NULL);
    put(root, "model", model ? json_string(model) : json_null());
    put(root, "objective", json_string(lp_objective_name(v->spec->objective)));
    put(root, "targets", targets_object(v->spec));
    put(root, "objective_note", json_string(r->objective_note));
    put(root, "offered_request_rate", positive(v->offered_request_rate));
    put(root, "offered_concurrency", positive(v->offered_concurrency));
    put(root, "load_note",
        v->load_note && v->load_note[0] ? json_string(v->load_note) : json_null());
    put(root, "headroom_pct", num(100 * v->headroom));
    json_t *configs = json_array();
    for (size_t i = 0; i < shown(v); i++) {
        json_t *c = config_object(v, &r->ranked[i], v->estimates ? &v->estimates[i] : NULL,
                                  serve_of(v, i), i + 1);
        put(c, "variants", variants_array(v, &r->ranked[i]));
        json_array_append_new(configs, c);
    }
    put(root, "configs", configs);
    lp_json_set_fields(root, r, COUNT_KEYS, LP_JF_COUNT(COUNT_KEYS));
    json_t *pareto = json_array();
    for (size_t i = 0; i < r->n_pareto; i++)
        json_array_append_new(pareto, config_object(v, &r->pareto[i], NULL, NULL, 0));
    put(root, "pareto", pareto);
    json_t *rejected = json_object();
    for (int k = 0; k < LP_REJECT_COUNT; k++)
        put(rejected, reject_key((lp_reject_reason)k), json_integer((json_int_t)r->rejected[k]));
    put(root, "rejected", rejected);
    char summary[1024];
    put(root, "rejected_summary",
        json_string(lp_render_rejections(summary, sizeof summary, r, &v->spec->targets)));
    lp_json_set_fields(root, r, SEARCH_KEYS, LP_JF_COUNT(SEARCH_KEYS));
    put(root, "price_source", r->price_origin ? json_string(r->price_origin) : json_null());
    json_t *misses = json_array();
    for (size_t i = 0; i < v->n_misses; i++)
        json_array_append_new(misses, config_object(v, &v->misses[i], NULL, NULL, 0));
    put(root, "closest_misses", misses);
    put(root, "load_sweep", sweeps_array(v));
    put(root, "load_profile", profile_object(v));
    put(root, "disaggregation", disagg_object(v));
    int rc = lp_json_write(out, root, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
    fputc('\n', out);
    json_decref(root);
    if (rc != 0)
        return LP_ERR_IO;
    return ferror(out) ? LP_ERR_IO : LP_OK;
}

/* ---- CSV ---------------------------------------------------------------------------------- */

/* A string field, quoted when it holds a separator, a quote or a line break (RFC 4180). */
static void csv_string(FILE *out, const char *s) {
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

static void csv_value(FILE *out, const json_t *j) {
    switch (json_typeof(j)) {
    case JSON_STRING:
        csv_string(out, json_string_value(j));
        break;
    case JSON_INTEGER:
        fprintf(out, "%lld", (long long)json_integer_value(j));
        break;
    case JSON_REAL:
        fprintf(out, "%.10g", json_real_value(j));
        break;
    case JSON_TRUE:
        fputs("true", out);
        break;
    case JSON_FALSE:
        fputs("false", out);
        break;
    default: /* null: an empty field */
        break;
    }
}

lp_status lp_render_recommend_csv(FILE *out, const lp_recommend_view *v) {
    const lp_search_result *r = v->result;
    size_t n = shown(v);
    json_t **rows = calloc(n ? n : 1, sizeof *rows);
    if (!rows)
        return LP_ERR_NOMEM;
    lp_status st = LP_OK;
    for (size_t i = 0; i < n && st == LP_OK; i++) {
        rows[i] = config_object(v, &r->ranked[i], v->estimates ? &v->estimates[i] : NULL,
                                serve_of(v, i), i + 1);
        if (!rows[i])
            st = LP_ERR_NOMEM;
    }
    /* the columns are the keys of a ranked entry, in their order (a dummy when none) */
    json_t *cols = n > 0 ? json_incref(rows[0]) : NULL;
    if (st == LP_OK && !cols) {
        lp_candidate dummy;
        memset(&dummy, 0, sizeof dummy);
        dummy.meets_targets = true;
        cols = config_object(v, &dummy, NULL, NULL, 1);
        if (!cols)
            st = LP_ERR_NOMEM;
    }
    if (st == LP_OK) {
        const char *key;
        json_t *val;
        bool first = true;
        json_object_foreach(cols, key, val) {
            (void)val;
            fputs(first ? "" : ",", out);
            csv_string(out, key);
            first = false;
        }
        fputc('\n', out);
        for (size_t i = 0; i < n; i++) {
            first = true;
            json_object_foreach(cols, key, val) {
                fputs(first ? "" : ",", out);
                csv_value(out, json_object_get(rows[i], key));
                first = false;
            }
            fputc('\n', out);
        }
    }
    json_decref(cols);
    for (size_t i = 0; i < n; i++)
        json_decref(rows[i]);
    free(rows);
    if (st != LP_OK)
        return st;
    return ferror(out) ? LP_ERR_IO : LP_OK;
}
