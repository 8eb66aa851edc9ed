/*
 * request_json.c - what every JSON request reader of the use cases reads the same way: the
 * model (a name or a pasted config.json), the GPU (a name or its numbers) and vLLM's engine
 * arguments, with the same ranges as the CLI's flags. Names go through the caller's
 * lp_resolver, so a reader opens no file unless its caller allows it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/json_get.h"
#include "common/numbers.h"
#include "usecase/usecase_internal.h"

lp_status lp_uc_open(const char *text, size_t len, const char *const *allowed, const char *what,
                     json_t **o, lp_error *err) {
    json_t *root = NULL;
    *o = NULL;
    lp_status st = lp_json_parse_object(text, len, "the request body", &root, err);
    if (st == LP_OK)
        st = lp_json_normalize_fields(root, allowed, what, o, err);
    json_decref(root);
    return st;
}

/* An unknown model: a reader that opens no path suggests pasting the config instead. */
lp_status lp_uc_model_error(const lp_resolver *res, lp_error *err) {
    char *tail = strstr(err->message, " (a config.json path");
    if (tail && !(res && res->reads_paths))
        snprintf(tail, sizeof err->message - (size_t)(tail - err->message),
                 " (or paste its config.json as \"config\")");
    char msg[LP_ERROR_MESSAGE_SIZE];
    snprintf(msg, sizeof msg, "%s", err->message);
    return lp_error_set(err, err->code, "model: %s", msg);
}

lp_status lp_uc_gpu_error(lp_status st, const lp_error *inner, lp_error *err) {
    return lp_error_set(err, st, "gpu: %s", inner->message);
}

lp_status lp_uc_read_model(json_t *o, const lp_resolver *res, lp_request_store *store,
                           lp_error *err) {
    const char *id = NULL;
    json_t *config = lp_json_field(o, "config");
    lp_status st = lp_json_get_str(o, "model", &id, err);
    if (st != LP_OK)
        return st;
    if (id && config)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "give either \"model\" (a catalog id) or \"config\" (a config.json "
                            "object), not both");
    if (config) {
        char *text;
        st = lp_json_object_text(config, "config", "a config.json object", &text, err);
        /* messages start with the origin given here: "config: model_type: ..." */
        if (st == LP_OK)
            st = lp_model_from_config_json(text, strlen(text), "config", &store->model, err);
        free(text);
        if (st != LP_OK)
            return st;
        snprintf(store->model_id, sizeof store->model_id, "%s",
                 store->model.id[0] ? store->model.id : "config.json");
        return LP_OK;
    }
    if (!id)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "give \"model\" (a catalog id, see GET /v1/models) or \"config\" (a "
                            "config.json object)");
    st = res && res->load_model ? res->load_model(res->ctx, id, &store->model, err)
                                : lp_catalog_load(id, &store->model, err);
    if (st != LP_OK)
        return lp_uc_model_error(res, err);
    snprintf(store->model_id, sizeof store->model_id, "%s", id);
    return LP_OK;
}

lp_status lp_uc_read_gpu(json_t *o, const lp_resolver *res, lp_request_store *store,
                         const lp_gpu **gpu, bool *described, lp_error *err) {
    const char *name = NULL;
    double mem = 0, bw = 0, tflops = 0;
    lp_status st;
    *described = false;
    if ((st = lp_json_get_str(o, "gpu", &name, err)) != LP_OK ||
        (st = lp_json_get_num(o, "gpu_memory_gib", 0, true, 1e5, &mem, err)) != LP_OK ||
        (st = lp_json_get_num(o, "gpu_bandwidth_gbs", 0, false, 1e9, &bw, err)) != LP_OK ||
        (st = lp_json_get_num(o, "gpu_tflops", 0, false, 1e9, &tflops, err)) != LP_OK)
        return st;
    if (mem > 0) {
        if ((st = lp_gpu_describe(name, mem, bw, tflops, &store->gpu, err)) != LP_OK)
            return st;
        *gpu = &store->gpu;
        *described = true;
        return LP_OK;
    }
    if (bw > 0 || tflops > 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "gpu_bandwidth_gbs and gpu_tflops describe a GPU together with "
                            "gpu_memory_gib");
    if (!name)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "gpu: required (a name from GET /v1/gpus, such as \"H100\", or "
                            "gpu_memory_gib to describe one)");
    lp_error inner;
    if ((st = lp_uc_find_gpu(res, name, gpu, &inner)) != LP_OK)
        return lp_uc_gpu_error(st, &inner, err);
    return LP_OK;
}

lp_status lp_uc_find_gpu(const lp_resolver *res, const char *name, const lp_gpu **out,
                         lp_error *inner) {
    return res && res->find_gpu ? res->find_gpu(res->ctx, name, out, inner)
                                : lp_gpu_find(res && res->db ? res->db : NULL, name, out, inner);
}

lp_status lp_uc_find_gpu_field(const lp_resolver *res, const char *name, const char *field,
                               const lp_gpu **out, lp_error *err) {
    lp_error inner;
    lp_status st = lp_uc_find_gpu(res, name, out, &inner);
    if (st != LP_OK)
        return lp_error_set(err, st, "%s: %s", field, inner.message);
    return LP_OK;
}

lp_status lp_uc_read_deployment(json_t *o, const lp_resolver *res, lp_request_store *store,
                                const lp_gpu **gpu, bool *described, lp_serving *s, bool *tp_given,
                                lp_cluster *cluster, lp_error *err) {
    lp_status st;
    if ((st = lp_uc_read_gpu(o, res, store, gpu, described, err)) != LP_OK ||
        (st = lp_uc_read_serving(o, store, s, tp_given, err)) != LP_OK ||
        (st = lp_uc_read_model(o, res, store, err)) != LP_OK)
        return st;
    return lp_uc_resolve_modes(o, res, store, s, cluster, err);
}

/* max_model_len: a positive integer, -1 or "auto" (fit), or a string such as "32k". */
static lp_status read_max_model_len(json_t *o, int64_t *out, lp_error *err) {
    json_t *v = lp_json_field(o, "max_model_len");
    if (!v)
        return LP_OK;
    int64_t n = 0;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (strcasecmp(s, "auto") == 0) {
            *out = -1;
            return LP_OK;
        }
        if (!lp_parse_token_count(s, &n))
            n = 0;
    } else {
        lp_status st = lp_json_get_int(o, "max_model_len", -1, LP_MAX_MODEL_LEN, &n, err);
        if (st != LP_OK)
            return st;
    }
    if (n == -1 || (n > 0 && n < LP_MAX_MODEL_LEN)) {
        *out = n;
        return LP_OK;
    }
    return lp_error_set(err, LP_ERR_INVALID_ARG,
                        "max_model_len: expected a positive integer (16000, \"32k\"), -1 or "
                        "\"auto\"");
}

static lp_status read_dtype(json_t *o, const char *name, lp_dtype *out, lp_error *err) {
    const char *s = NULL;
    lp_status st = lp_json_get_str(o, name, &s, err);
    if (st != LP_OK || !s)
        return st;
    lp_error inner;
    if (lp_dtype_parse(s, out, &inner) != LP_OK)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: %s", name, inner.message);
    return LP_OK;
}

lp_status lp_uc_read_serving(json_t *o, lp_request_store *store, lp_serving *s, bool *tp_given,
                             lp_error *err) {
    lp_serving_init(s);
    int64_t tp = 1, pp = 1, dp = 1, num_gpus = 0, seqs = 0, batched = 0, block = 0;
    lp_status st;
    if ((st = lp_json_get_int(o, "tensor_parallel_size", 1, LP_MAX_PARALLEL_SIZE, &tp, err)) ||
        (st = lp_json_get_int(o, "pipeline_parallel_size", 1, LP_MAX_PARALLEL_SIZE, &pp, err)) ||
        (st = lp_json_get_int(o, "data_parallel_size", 1, LP_MAX_PARALLEL_SIZE, &dp, err)) ||
        (st = lp_json_get_int(o, "num_gpus", 1, LP_MAX_NUM_GPUS, &num_gpus, err)) ||
        (st = lp_json_get_int(o, "max_num_seqs", 0, LP_MAX_NUM_SEQS, &seqs, err)) ||
        (st = lp_json_get_int(o, "max_num_batched_tokens", 0, LP_MAX_NUM_BATCHED_TOKENS, &batched,
                              err)) ||
        (st = lp_json_get_int(o, "block_size", 0, LP_MAX_BLOCK_SIZE, &block, err)))
        return st;
    s->tensor_parallel_size = (int)tp;
    s->pipeline_parallel_size = (int)pp;
    s->data_parallel_size = (int)dp;
    bool tp_field = lp_json_field(o, "tensor_parallel_size") != NULL;
    bool dp_field = lp_json_field(o, "data_parallel_size") != NULL;
    if ((st = lp_serving_apply_num_gpus(s, num_gpus, tp_field, dp_field, err)) != LP_OK)
        return st;
    *tp_given = tp_field || num_gpus > 0;
    s->max_num_seqs = (int)seqs;
    s->max_num_batched_tokens = (int)batched;
    s->block_size = (int)block;
    bool chunked = true;
    const char *quant = NULL, *version = NULL;
    if ((st = lp_json_get_bool(o, "enable_expert_parallel", &s->enable_expert_parallel, err)) ||
        (st = lp_json_get_bool(o, "enforce_eager", &s->enforce_eager, err)) ||
        (st = lp_json_get_bool(o, "enable_chunked_prefill", &chunked, err)) ||
        (st = lp_json_get_bool(o, "disable_hybrid_kv_cache_manager",
                               &s->disable_hybrid_kv_cache_manager, err)) ||
        (st = lp_json_get_num(o, "gpu_memory_utilization", 0, true, 1, &s->gpu_memory_utilization,
                              err)) ||
        (st = lp_json_get_num(o, "cpu_offload_gb", 0, false, 1e6, &s->cpu_offload_gib, err)) ||
        (st = read_dtype(o, "dtype", &s->dtype, err)) ||
        (st = read_dtype(o, "kv_cache_dtype", &s->kv_cache_dtype, err)) ||
        (st = lp_json_get_str(o, "quantization", &quant, err)) ||
        (st = read_max_model_len(o, &s->max_model_len, err)) ||
        (st = lp_json_get_str(o, "vllm_version", &version, err)))
        return st;
    s->enable_chunked_prefill_off = !chunked;
    if (quant) {
        if (strlen(quant) >= sizeof store->quantization)
            return lp_error_set(err, LP_ERR_INVALID_ARG, "quantization: at most %zu characters",
                                sizeof store->quantization - 1);
        snprintf(store->quantization, sizeof store->quantization, "%s", quant);
        s->quantization = store->quantization;
    }
    lp_error inner;
    if (version && lp_vllm_version_parse(version, &s->vllm_version, &inner) != LP_OK)
        return lp_error_set(err, inner.code, "vllm_version: %s", inner.message);
    lp_json_pool_names pools = {NULL, NULL}; /* resolved by lp_uc_resolve_modes */
    return lp_json_read_mode_serving(o, s, &pools, err);
}

void lp_uc_note_described_gpu(lp_mem_plan *plan, const lp_gpu *gpu) {
    if (plan->n_notes < LP_MAX_MEM_NOTES)
        snprintf(plan->notes[plan->n_notes++], sizeof plan->notes[0],
                 "GPU described by its numbers (--gpu-memory-gib): %.2f GiB total, bf16-capable "
                 "assumed",
                 gpu->usable_gib);
}
