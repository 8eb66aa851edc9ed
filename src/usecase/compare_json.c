/*
 * compare_json.c - a compare request from one JSON object (`POST /v1/compare`): the benchmark
 * result pasted as "result", the start-up log's text as "log", the deployment as for a plan.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/json_get.h"
#include "usecase/usecase_internal.h"

static const char *const COMPARE_FIELDS[] = {
    "result",    "log",        LP_UC_MODEL_GPU_FIELDS, LP_UC_SERVING_FIELDS, "method",
    "input_len", "output_len", "num_prompts",          "max_concurrency",    "request_rate",
    NULL};

static lp_status read_result(json_t *o, lp_bench_result *result, lp_error *err) {
    char *text;
    lp_status st = lp_json_object_text(lp_json_field(o, "result"), "result",
                                       "a `vllm bench serve --save-result` object", &text, err);
    if (st == LP_OK)
        st = lp_bench_result_parse(text, strlen(text), "result", result, err);
    free(text);
    return st;
}

static lp_status read_log(json_t *o, lp_startup_log *log, lp_error *err) {
    json_t *v = lp_json_field(o, "log");
    if (!json_is_string(v))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "log: expected the text of a vLLM start-up log, got %s",
                            lp_json_type_name(v));
    return lp_startup_log_parse(json_string_value(v), json_string_length(v), "log", log, err);
}

/* The workload overrides; absent fields leave the file's. */
static lp_status read_overrides(json_t *o, lp_compare_request *r, lp_error *err) {
    int64_t prompts = 0, conc = -1;
    lp_status st;
    if ((st = lp_json_get_num(o, "input_len", 1, false, LP_MAX_LEN_TOKENS, &r->input_len, err)) ||
        (st = lp_json_get_num(o, "output_len", 1, false, LP_MAX_LEN_TOKENS, &r->output_len, err)) ||
        (st = lp_json_get_int(o, "num_prompts", 1, LP_MAX_LEN_TOKENS, &prompts, err)) ||
        (st = lp_json_get_int(o, "max_concurrency", 0, LP_MAX_LEN_TOKENS, &conc, err)))
        return st;
    r->num_prompts = (int)prompts;
    r->max_concurrency = (int)conc;
    json_t *rate = lp_json_field(o, "request_rate");
    if (rate && json_is_string(rate) && strcasecmp(json_string_value(rate), "inf") == 0)
        r->request_rate = 0;
    else if (rate)
        return lp_json_get_num(o, "request_rate", 0, true, 1e9, &r->request_rate, err);
    return LP_OK;
}

lp_status lp_compare_request_from_json(const char *text, size_t len, const lp_resolver *res,
                                       lp_request_store *store, lp_bench_result *result,
                                       lp_startup_log *log, lp_compare_request *out,
                                       lp_error *err) {
    lp_compare_request_init(out);
    json_t *o = NULL;
    lp_status st = lp_uc_open(text, len, COMPARE_FIELDS, "/v1/compare", &o, err);
    if (st == LP_OK && !lp_json_field(o, "result") && !lp_json_field(o, "log"))
        st = lp_error_set(err, LP_ERR_INVALID_ARG,
                          "give \"result\" (a vllm bench serve --save-result object) and/or "
                          "\"log\" (a start-up log's text)");
    if (st == LP_OK && lp_json_field(o, "result") && (st = read_result(o, result, err)) == LP_OK)
        out->result = result;
    if (st == LP_OK && lp_json_field(o, "log") && (st = read_log(o, log, err)) == LP_OK)
        out->log = log;
    const lp_gpu *gpu = NULL;
    bool described = false, tp_given = false;
    if (st == LP_OK)
        st = lp_uc_read_gpu(o, res, store, &gpu, &described, err);
    if (st == LP_OK)
        st = lp_uc_read_serving(o, store, &out->perf.serving, &tp_given, err);
    if (st == LP_OK)
        st = read_overrides(o, out, err);
    const char *method = NULL;
    if (st == LP_OK)
        st = lp_json_get_str(o, "method", &method, err);
    lp_error inner;
    if (st == LP_OK && method && lp_method_parse(method, &out->perf.method, &inner) != LP_OK)
        st = lp_error_set(err, LP_ERR_INVALID_ARG, "method: %s", inner.message);
    if (st == LP_OK) {
        /* the model: the request's, else the one the result file names */
        if (!lp_json_field(o, "model") && !lp_json_field(o, "config") && out->result &&
            out->result->model_id[0])
            json_object_set_new(o, "model", json_string(out->result->model_id));
        st = lp_uc_read_model(o, res, store, err);
    }
    if (st == LP_OK)
        st = lp_uc_resolve_modes(o, res, store, &out->perf.serving, &out->perf.cluster, err);
    if (st == LP_OK) {
        out->perf.model = &store->model;
        out->perf.model_id = store->model_id;
        out->perf.cluster.gpu = gpu;
    }
    json_decref(o);
    return st;
}
