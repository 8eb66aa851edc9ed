/*
 * modes_json.c - what the serving modes need resolved at the edge of a JSON reader: the GPU
 * types of a disaggregated deployment's pools and the draft model of speculative decoding.
 * Names go through the caller's lp_resolver like every other name of a request.
 */
#include <stdio.h>
#include <string.h>

#include "common/json_get.h"
#include "usecase/usecase_internal.h"

lp_status lp_uc_resolve_mode_names(const lp_resolver *res, lp_request_store *store,
                                   const char *prefill_gpu, const char *decode_gpu, lp_serving *s,
                                   lp_cluster *cluster, lp_error *err) {
    lp_status st;
    if (prefill_gpu && (st = lp_uc_find_gpu_field(res, prefill_gpu, "prefill_gpu",
                                                  &cluster->prefill_gpu, err)) != LP_OK)
        return st;
    if (decode_gpu && (st = lp_uc_find_gpu_field(res, decode_gpu, "decode_gpu",
                                                 &cluster->decode_gpu, err)) != LP_OK)
        return st;
    lp_spec_config *c = &s->speculative;
    if (c->method != LP_SPEC_DRAFT_MODEL || c->draft)
        return LP_OK;
    lp_error inner;
    st = res && res->load_model ? res->load_model(res->ctx, c->model, &store->draft, &inner)
                                : lp_catalog_load(c->model, &store->draft, &inner);
    if (st != LP_OK)
        return lp_error_set(err, st, "speculative_config: model: %s", inner.message);
    c->draft = &store->draft;
    return LP_OK;
}

lp_status lp_uc_resolve_modes(json_t *o, const lp_resolver *res, lp_request_store *store,
                              lp_serving *s, lp_cluster *cluster, lp_error *err) {
    const char *prefill = NULL, *decode = NULL;
    lp_status st;
    if ((st = lp_json_get_str(o, "prefill_gpu", &prefill, err)) != LP_OK ||
        (st = lp_json_get_str(o, "decode_gpu", &decode, err)) != LP_OK)
        return st;
    return lp_uc_resolve_mode_names(res, store, prefill, decode, s, cluster, err);
}
