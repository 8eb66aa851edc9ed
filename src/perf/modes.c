/*
 * modes.c - which serving modes each estimation method models, checked before a method runs
 * so that a mode is never ignored silently: the heuristic models none of them (its per-family
 * baselines are plain serving), prefix caching of shared prefixes is in the roofline (prefix.c,
 * a steady state) and the simulation (prefix_cache.c, vLLM's block cache), disaggregated
 * prefill/decode in both (disagg.c, disagg_sim.c), and a mode no method covers yet is refused
 * with the reason.
 */
#include "perf/perf_internal.h"

/* The first mode of req that req->method does not model, or NULL. Prefix caching with no shared
 * prefix changes nothing, and shared prefixes without prefix caching are only longer prompts:
 * neither is listed. */
static const char *mode_not_modelled(const lp_perf_request *req) {
    const lp_serving *s = &req->serving;
    if (lp_disaggregated(s) && req->method == LP_HEURISTIC)
        return "disaggregated prefill/decode (--disaggregation)";
    if (lp_disaggregated(s) && req->workload.num_turns > 1)
        return "multi-turn conversations with disaggregated prefill/decode";
    if (req->method == LP_HEURISTIC && s->lora.enable_lora)
        return "LoRA (--enable-lora)";
    if (req->workload.num_turns > 1 && req->method != LP_SIMULATE)
        return "multi-turn conversations (--num-turns)";
    if (req->method == LP_HEURISTIC && s->speculative.method != LP_SPEC_NONE)
        return "speculative decoding (--speculative-config)";
    if (req->method == LP_HEURISTIC && req->workload.prefix_len > 0 &&
        !s->enable_prefix_caching_off)
        return "prefix caching of shared prompt prefixes (--random-prefix-len, prefix_repetition)";
    return NULL;
}

lp_status lp_perf_modes_check(const lp_perf_request *req, lp_error *err) {
    const char *mode = mode_not_modelled(req);
    if (!mode)
        return LP_OK;
    if (req->method == LP_HEURISTIC)
        return lp_error_set(err, LP_ERR_UNSUPPORTED,
                            "the heuristic method does not model %s; use --method roofline or "
                            "simulate",
                            mode);
    if (req->workload.num_turns > 1 && !lp_disaggregated(&req->serving))
        return lp_error_set(err, LP_ERR_UNSUPPORTED,
                            "%s are modelled by the simulate method only; use --method simulate",
                            mode);
    return lp_error_set(err, LP_ERR_UNSUPPORTED, "%s is not modelled yet", mode);
}
