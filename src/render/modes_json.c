/*
 * modes_json.c - what the serving modes add to a plan's JSON: prefix caching on or off, the
 * speculative-decoding drafter and the LoRA slots with the GPU memory they take. Formatting
 * only.
 */
#include <math.h>

#include "common/json_emit.h"
#include "common/json_fields.h"
#include "render/json_objects.h"

#define GIB 1073741824.0

json_t *lp_render_plan_modes(const lp_mem_plan *p) {
    json_t *spec = json_null(), *lora = json_null();
    if (p->spec_method != LP_SPEC_NONE)
        spec = json_pack("{s:s, s:i, s:f, s:I}", "method", lp_spec_method_name(p->spec_method),
                         "num_speculative_tokens", p->spec_k, "drafter_weights_gib",
                         p->spec_weights_bytes / GIB, "drafter_kv_layers",
                         (json_int_t)p->spec_kv_layers);
    if (p->lora_slots > 0)
        lora = json_pack("{s:i, s:i, s:f}", "max_loras", p->lora_slots, "max_lora_rank",
                         p->lora_rank, "slots_gib", p->lora_weights_bytes / GIB);
    return json_pack("{s:b, s:o, s:o}", "prefix_caching", p->prefix_caching, "speculative", spec,
                     "lora", lora);
}

/* What speculative decoding did, under the names of vLLM's speculative_config and metrics. */
static const lp_json_field SPECULATIVE_KEYS[] = {
    LP_JF(lp_mode_stats, spec_k, "num_speculative_tokens", INT),
    LP_JF(lp_mode_stats, spec_acceptance_rate, "acceptance_rate", REAL),
    LP_JF(lp_mode_stats, spec_mean_acceptance_length, "mean_acceptance_length", REAL),
    LP_JF(lp_mode_stats, spec_speedup, "tpot_speedup", REAL),
};

/* Disaggregated prefill/decode: the pools (x and y of xPyD), then the KV transfer between them
 * and what each pool can serve. */
static const lp_json_field POOL_KEYS[] = {
    LP_JF(lp_disagg_stats, prefill_instances, "prefill_instances", INT),
    LP_JF(lp_disagg_stats, decode_instances, "decode_instances", INT),
};
static const lp_json_field TRANSFER_KEYS[] = {
    LP_JF(lp_disagg_stats, link_gbs, "link_gbs", REAL),
    LP_JF(lp_disagg_stats, link_latency_ms, "link_latency_ms", REAL),
    LP_JF(lp_disagg_stats, streams, "transfer_streams", INT),
    LP_JF(lp_disagg_stats, kv_transfer_bytes, "kv_transfer_bytes", REAL),
    LP_JF(lp_disagg_stats, kv_transfer_ms, "kv_transfer_ms", REAL),
    LP_JF(lp_disagg_stats, prefill_ms, "prefill_pool_ttft_ms", REAL),
    LP_JF(lp_disagg_stats, prefill_pool_request_s, "prefill_pool_request_throughput", REAL),
    LP_JF(lp_disagg_stats, decode_pool_request_s, "decode_pool_request_throughput", REAL),
};

void lp_render_estimate_modes(lp_json_emit *w, const lp_perf_estimate *e) {
    const lp_mode_stats *m = &e->modes;
    lp_je_object_begin(w);
    lp_je_key(w, "prefix_caching");
    lp_je_bool(w, m->prefix_caching);
    lp_je_key(w, "prefix_cache_hit_rate");
    lp_je_real(w, m->prefix_caching ? m->prefix_cache_hit_rate : NAN);
    lp_je_key(w, "speculative");
    if (m->spec_method == LP_SPEC_NONE) {
        lp_je_null(w);
    } else {
        lp_je_object_begin(w);
        lp_je_key(w, "method");
        lp_je_string(w, lp_spec_method_name(m->spec_method));
        lp_je_fields(w, m, SPECULATIVE_KEYS, LP_JF_COUNT(SPECULATIVE_KEYS));
        lp_je_key(w, "crossover_concurrency");
        if (m->spec_crossover_concurrency > 0)
            lp_je_int(w, (long long)m->spec_crossover_concurrency);
        else
            lp_je_null(w);
        lp_je_object_end(w);
    }
    lp_je_key(w, "disaggregation");
    const lp_disagg_stats *d = &m->disagg;
    if (!d->on) {
        lp_je_null(w);
    } else {
        lp_je_object_begin(w);
        lp_je_fields(w, d, POOL_KEYS, LP_JF_COUNT(POOL_KEYS));
        lp_je_key(w, "kv_connector");
        lp_je_string(w, lp_kv_connector_name(d->kv_connector));
        lp_je_key(w, "link");
        lp_je_string(w, lp_link_name(d->link));
        lp_je_fields(w, d, TRANSFER_KEYS, LP_JF_COUNT(TRANSFER_KEYS));
        lp_je_key(w, "limited_by");
        lp_je_string(w, d->prefill_limited ? "prefill" : "decode");
        lp_je_key(w, "decode_running_per_instance");
        lp_je_real(w, d->decode_running);
        lp_je_object_end(w);
    }
    lp_je_object_end(w);
}
