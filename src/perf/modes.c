/*
 * modes.c - which serving modes each estimation method models, checked before a method runs
 * so that a mode is never ignored silently: the heuristic models none of them (its per-family
 * baselines are plain serving), and a mode the step model and the simulation do not cover yet
 * is refused with the reason.
 */
#include "perf/perf_internal.h"

/* The modes a request asks for that change performance (prefix caching with no shared
 * prefix changes nothing, so it is not listed). Returns the first one's name or NULL. */
static const char *mode_in_use(const lp_perf_request *req) {
    const lp_serving *s = &req->serving;
    if (lp_disaggregated(s))
        return "disaggregated prefill/decode (--disaggregation)";
    if (req->method == LP_HEURISTIC && s->speculative.method != LP_SPEC_NONE)
        return "speculative decoding (--speculative-config)";
    if (s->lora.enable_lora)
        return "LoRA (--enable-lora)";
    if (req->workload.prefix_len > 0)
        return "shared prompt prefixes (--random-prefix-len, prefix_repetition)";
    if (req->workload.num_turns > 1)
        return "multi-turn conversations (--num-turns)";
    return NULL;
}

lp_status lp_perf_modes_check(const lp_perf_request *req, lp_error *err) {
    const char *mode = mode_in_use(req);
    if (!mode)
        return LP_OK;
    if (req->method == LP_HEURISTIC)
        return lp_error_set(err, LP_ERR_UNSUPPORTED,
                            "the heuristic method does not model %s; use --method roofline or "
                            "simulate",
                            mode);
    return lp_error_set(err, LP_ERR_UNSUPPORTED, "%s is not modelled yet", mode);
}
