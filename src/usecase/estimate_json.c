/*
 * estimate_json.c - an estimate request from one JSON object (`POST /v1/estimate`, the
 * Python package): the fields of a --batch line (lp_perf_request_from_json, tolerant of other
 * planners' names) plus "config", a pasted config.json; names resolved through the caller's
 * lp_resolver.
 */
#include <stdlib.h>
#include <string.h>

#include "common/json_get.h"
#include "usecase/usecase_internal.h"

/* The model and GPU a parsed request names, resolved; the request points into store. */
static lp_status resolve(const lp_resolver *res, lp_request_store *store, json_t *config,
                         lp_perf_request *r, lp_error *err) {
    lp_status st;
    if (config || r->model_id) {
        /* the model reader takes a request object: one holding just the config or the name */
        json_t *holder =
            config ? json_pack("{sO}", "config", config) : json_pack("{ss}", "model", r->model_id);
        if (!holder)
            return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
        st = lp_uc_read_model(holder, res, store, err);
        json_decref(holder);
        if (st != LP_OK)
            return st;
        r->model = &store->model;
        r->model_id = store->model_id;
    }
    if (r->gpu_name) {
        lp_error inner;
        if ((st = lp_uc_find_gpu(res, r->gpu_name, &r->cluster.gpu, &inner)) != LP_OK)
            return lp_uc_gpu_error(st, &inner, err);
    }
    return lp_uc_resolve_mode_names(res, store, r->prefill_gpu_name, r->decode_gpu_name,
                                    &r->serving, &r->cluster, err);
}

/* The edge's loader: everything lp_model_load reaches (catalog, paths, HF cache, Hub). */
static lp_status load_any(void *ctx, const char *id, lp_model *out, lp_error *err) {
    (void)ctx;
    return lp_model_load(id, NULL, out, err);
}

lp_status lp_estimate_request_resolve(lp_estimate_request *req, lp_perf_cache *cache,
                                      lp_error *err) {
    lp_perf_request *r = &req->perf;
    lp_error inner;
    lp_status st;
    if (!r->model && r->model_id) {
        lp_perf_cache_set_loader(cache, load_any, NULL);
        if (lp_perf_cache_model(cache, r->model_id, &r->model, err) != LP_OK) {
            /* loaded with lp_model_load, as a resolver that reads paths loads it */
            static const lp_resolver reads_paths = {NULL, NULL, NULL, NULL, true};
            return lp_uc_model_error(&reads_paths, err);
        }
    }
    if (!r->cluster.gpu && r->gpu_name) {
        if ((st = lp_perf_cache_gpu(cache, r->gpu_name, &r->cluster.gpu, &inner)) != LP_OK)
            return lp_uc_gpu_error(st, &inner, err);
    }
    lp_spec_config *c = &r->serving.speculative;
    if (c->method == LP_SPEC_DRAFT_MODEL && !c->draft &&
        lp_perf_cache_model(cache, c->model, &c->draft, &inner) != LP_OK)
        return lp_error_set(err, inner.code, "speculative_config: model: %s", inner.message);
    const char *pool[2] = {r->prefill_gpu_name, r->decode_gpu_name};
    const lp_gpu **gpu[2] = {&r->cluster.prefill_gpu, &r->cluster.decode_gpu};
    static const char *const field[2] = {"prefill_gpu", "decode_gpu"};
    for (int i = 0; i < 2; i++)
        if (pool[i] && !*gpu[i] &&
            (st = lp_perf_cache_gpu(cache, pool[i], gpu[i], &inner)) != LP_OK)
            return lp_error_set(err, st, "%s: %s", field[i], inner.message);
    return LP_OK;
}

lp_status lp_estimate_request_from_json(const char *text, size_t len, const lp_resolver *res,
                                        lp_request_store *store, lp_estimate_request *out,
                                        lp_error *err) {
    lp_estimate_request_init(out);
    out->vllm_serve = true;
    json_t *root = NULL;
    lp_status st = lp_json_parse_object(text, len, "the request body", &root, err);
    if (st != LP_OK)
        return st;
    json_t *config = json_object_get(root, "config");
    char *line = NULL;
    if (config) {
        /* "config" is not a --batch field: take it out before the line reader sees it */
        json_incref(config);
        json_object_del(root, "config");
        if (json_object_get(root, "model") || json_object_get(root, "model_id"))
            st = lp_error_set(err, LP_ERR_INVALID_ARG,
                              "give either \"model\" (a catalog id) or \"config\" (a config.json "
                              "object), not both");
        else if (!json_is_object(config))
            st = lp_error_set(err, LP_ERR_INVALID_ARG,
                              "config: expected a config.json object, got %s",
                              lp_json_type_name(config));
    }
    out->method_given = json_object_get(root, "method") != NULL;
    if (st == LP_OK && !(line = json_dumps(root, JSON_COMPACT)))
        st = lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    if (st == LP_OK)
        st = lp_perf_request_from_json(line, strlen(line), &out->perf, &store->strings, err);
    if (st == LP_OK)
        st = resolve(res, store, config, &out->perf, err);
    free(line);
    json_decref(config);
    json_decref(root);
    return st;
}
