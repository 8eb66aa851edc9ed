/*
 * recommend_json.c - recommend and explain requests from one JSON object (`POST /v1/recommend`,
 * `POST /v1/explain`, the Python package): the model, the GPUs, the search options, the
 * workload and the targets, read as the CLI reads its flags.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_get.h"
#include "usecase/usecase_internal.h"

static const char *const RECOMMEND_FIELDS[] = {"model",
                                               "config",
                                               "gpus",
                                               "gpu",
                                               "max_gpus",
                                               "gpus_per_node",
                                               "allow_multi_node_tp",
                                               "interconnect",
                                               "allow_quantization",
                                               "no_fp8_kv",
                                               "no_expert_parallel",
                                               "max_model_len",
                                               "gpu_memory_utilization",
                                               "vllm_version",
                                               LP_UC_WORKLOAD_FIELDS,
                                               LP_UC_TARGET_FIELDS,
                                               "objective",
                                               "top",
                                               "headroom_pct",
                                               "load_sweep",
                                               "load_profile",
                                               NULL};

/* Longest load profile text a request may carry (1440 rows of "HH:MM,rate"). */
#define LP_LOAD_PROFILE_MAX_TEXT (64 * 1024)
/* Highest headroom a request may ask for, in percent (ten times the load). */
#define LP_MAX_HEADROOM_PCT 1000

/* One GPU type into the list, unless it is there already. */
static lp_status add_gpu(const lp_resolver *res, const char *name, const char *field,
                         lp_request_store *store, size_t *n, lp_error *err) {
    const lp_gpu *g;
    lp_status st = lp_uc_find_gpu_field(res, name, field, &g, err);
    if (st != LP_OK)
        return st;
    for (size_t i = 0; i < *n; i++)
        if (store->gpus[i] == g)
            return LP_OK;
    if (*n >= LP_MAX_GPU_TYPES)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "gpus: at most %d GPU types",
                            LP_MAX_GPU_TYPES);
    store->gpus[(*n)++] = g;
    return LP_OK;
}

/* "gpus": an array of names or one comma-separated string; "gpu": one name; absent: every
 * GPU (n 0). */
static lp_status read_gpus(json_t *o, const lp_resolver *res, lp_request_store *store, size_t *n,
                           lp_error *err) {
    *n = 0;
    json_t *v = lp_json_field(o, "gpus");
    const char *one = NULL;
    lp_status st = lp_json_get_str(o, "gpu", &one, err);
    if (st != LP_OK)
        return st;
    if (one && v)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "give either \"gpu\" or \"gpus\", not both");
    if (one)
        return add_gpu(res, one, "gpu", store, n, err);
    if (!v)
        return LP_OK;
    if (json_is_string(v)) {
        char buf[LP_JSON_MAX_STRING_BYTES + 1];
        const char *text = json_string_value(v);
        if (strlen(text) >= sizeof buf)
            return lp_error_set(err, LP_ERR_INVALID_ARG, "gpus: at most %d bytes",
                                LP_JSON_MAX_STRING_BYTES);
        memcpy(buf, text, strlen(text) + 1);
        for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            while (isspace((unsigned char)*tok))
                tok++;
            size_t len = strlen(tok);
            while (len > 0 && isspace((unsigned char)tok[len - 1]))
                tok[--len] = '\0';
            if (*tok && (st = add_gpu(res, tok, "gpus", store, n, err)) != LP_OK)
                return st;
        }
        if (*n == 0)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "gpus: expected GPU names, comma-separated, got \"%s\"", text);
        return LP_OK;
    }
    if (!json_is_array(v))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "gpus: expected an array of GPU names or a comma-separated string, "
                            "got %s",
                            lp_json_type_name(v));
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
        if (!json_is_string(item))
            return lp_error_set(err, LP_ERR_INVALID_ARG, "gpus[%zu]: expected a GPU name, got %s",
                                i, lp_json_type_name(item));
        if ((st = add_gpu(res, json_string_value(item), "gpus", store, n, err)) != LP_OK)
            return st;
    }
    return LP_OK;
}

static lp_status read_spec(json_t *o, lp_search_spec *spec, int64_t *top, lp_error *err) {
    int64_t max_gpus = spec->max_gpus, per_node = spec->gpus_per_node, max_len = 0;
    lp_status st;
    if ((st = lp_json_get_int(o, "max_gpus", 1, LP_MAX_NUM_GPUS, &max_gpus, err)) ||
        (st = lp_json_get_int(o, "gpus_per_node", 1, LP_MAX_PARALLEL_SIZE, &per_node, err)) ||
        (st = lp_json_get_int(o, "max_model_len", 0, LP_MAX_MODEL_LEN, &max_len, err)) ||
        (st = lp_json_get_int(o, "top", 1, LP_RECOMMEND_MAX_TOP, top, err)) ||
        (st = lp_json_get_num(o, "gpu_memory_utilization", 0, true, 1,
                              &spec->gpu_memory_utilization, err)) ||
        (st = lp_json_get_bool(o, "allow_multi_node_tp", &spec->allow_multi_node_tp, err)) ||
        (st = lp_json_get_bool(o, "allow_quantization", &spec->allow_quantization, err)) ||
        (st = lp_json_get_bool(o, "no_fp8_kv", &spec->no_fp8_kv, err)) ||
        (st = lp_json_get_bool(o, "no_expert_parallel", &spec->no_expert_parallel, err)) ||
        (st = lp_uc_read_workload(o, &spec->workload, &spec->daily_output_tokens, err)) ||
        (st = lp_uc_read_targets(o, &spec->targets, err)))
        return st;
    const char *objective = NULL, *version = NULL, *link = NULL;
    if ((st = lp_json_get_str(o, "objective", &objective, err)) ||
        (st = lp_json_get_str(o, "vllm_version", &version, err)) ||
        (st = lp_json_get_str(o, "interconnect", &link, err)))
        return st;
    lp_error inner;
    if (link) {
        /* the network between nodes, as recommend's --interconnect */
        if (lp_link_parse(link, &spec->inter_node_link, &inner) != LP_OK ||
            !lp_link_is_network(spec->inter_node_link))
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "interconnect: expected infiniband, roce or ethernet, got \"%s\"",
                                link);
        spec->inter_node_link_given = true;
    }
    if (objective && lp_objective_parse(objective, &spec->objective, &inner) != LP_OK)
        return lp_error_set(err, inner.code, "objective: %s", inner.message);
    if (version && lp_vllm_version_parse(version, &spec->vllm_version, &inner) != LP_OK)
        return lp_error_set(err, inner.code, "vllm_version: %s", inner.message);
    spec->max_gpus = (int)max_gpus;
    spec->gpus_per_node = (int)per_node;
    spec->max_model_len = max_len;
    return LP_OK;
}

/* "headroom_pct", "load_sweep" (true or a count) and "load_profile" (rates or CSV text). */
static lp_status read_capacity(json_t *o, lp_request_store *store, lp_recommend_request *out,
                               lp_error *err) {
    double pct = 100 * out->headroom;
    lp_status st = lp_json_get_num(o, "headroom_pct", 0, false, LP_MAX_HEADROOM_PCT, &pct, err);
    if (st != LP_OK)
        return st;
    out->headroom = pct / 100;
    json_t *v = lp_json_field(o, "load_sweep");
    if (v && json_is_boolean(v)) {
        out->load_sweep = json_is_true(v) ? LP_RECOMMEND_SWEEP_MAX : 0;
    } else if (v) {
        int64_t n = 0;
        if ((st = lp_json_get_int(o, "load_sweep", 0, LP_RECOMMEND_SWEEP_MAX, &n, err)) != LP_OK)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "load_sweep: expected true, false or a number of configurations "
                                "between 0 and %d, got %s",
                                LP_RECOMMEND_SWEEP_MAX, lp_json_type_name(v));
        out->load_sweep = (size_t)n;
    }
    v = lp_json_field(o, "load_profile");
    if (!v)
        return LP_OK;
    if (json_is_string(v)) {
        size_t n = json_string_length(v);
        if (n > LP_LOAD_PROFILE_MAX_TEXT)
            return lp_error_set(err, LP_ERR_INVALID_ARG, "load_profile: at most %d bytes of CSV",
                                LP_LOAD_PROFILE_MAX_TEXT);
        st = lp_load_profile_parse(json_string_value(v), n, "load_profile", &store->load_profile,
                                   err);
    } else if (json_is_array(v)) {
        size_t n = json_array_size(v);
        if (n > LP_LOAD_PROFILE_MAX_INTERVALS)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "load_profile: %zu rates: at most %d (one per minute of a day)", n,
                                LP_LOAD_PROFILE_MAX_INTERVALS);
        static const double none = 0;
        double *rates = n ? malloc(n * sizeof *rates) : NULL;
        if (n && !rates)
            return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
            json_t *x = json_array_get(v, i);
            if (!json_is_number(x)) {
                free(rates);
                return lp_error_set(err, LP_ERR_INVALID_ARG,
                                    "load_profile[%zu]: expected a request rate (req/s), got %s", i,
                                    lp_json_type_name(x));
            }
            rates[i] = json_number_value(x);
        }
        st = lp_load_profile_from_rates(n ? rates : &none, n, "load_profile", &store->load_profile,
                                        err);
        free(rates);
    } else {
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "load_profile: expected an array of request rates over equal "
                            "intervals of a day, or CSV text, got %s",
                            lp_json_type_name(v));
    }
    if (st == LP_OK)
        out->load_profile = &store->load_profile;
    return st;
}

lp_status lp_recommend_request_from_json(const char *text, size_t len, const lp_resolver *res,
                                         lp_request_store *store, lp_recommend_request *out,
                                         lp_error *err) {
    lp_recommend_request_init(out);
    json_t *o = NULL;
    lp_status st = lp_uc_open(text, len, RECOMMEND_FIELDS, "/v1/recommend", &o, err);
    int64_t top = (int64_t)out->top;
    size_t n_gpus = 0;
    if (st == LP_OK)
        st = read_spec(o, &out->spec, &top, err);
    if (st == LP_OK)
        st = read_capacity(o, store, out, err);
    if (st == LP_OK)
        st = read_gpus(o, res, store, &n_gpus, err);
    if (st == LP_OK)
        st = lp_uc_read_model(o, res, store, err);
    if (st == LP_OK) {
        out->spec.model = &store->model;
        out->spec.gpus = n_gpus ? store->gpus : NULL;
        out->spec.n_gpus = n_gpus;
        out->model_id = store->model_id;
        out->top = (size_t)top;
    }
    json_decref(o);
    return st;
}

static const char *const EXPLAIN_FIELDS[] = {LP_UC_MODEL_GPU_FIELDS, LP_UC_SERVING_FIELDS,
                                             "gpus_per_node",        LP_UC_WORKLOAD_FIELDS,
                                             LP_UC_TARGET_FIELDS,    NULL};

lp_status lp_explain_request_from_json(const char *text, size_t len, const lp_resolver *res,
                                       lp_request_store *store, lp_explain_request *out,
                                       lp_error *err) {
    bool tp_given = false;
    const lp_gpu *gpu = NULL;
    int64_t per_node = LP_DEFAULT_GPUS_PER_NODE;
    lp_explain_request_init(out);
    json_t *o = NULL;
    lp_status st = lp_uc_open(text, len, EXPLAIN_FIELDS, "/v1/explain", &o, err);
    if (st == LP_OK)
        st = lp_json_get_int(o, "gpus_per_node", 1, LP_MAX_PARALLEL_SIZE, &per_node, err);
    if (st == LP_OK)
        st = lp_uc_read_workload(o, &out->workload, &out->daily_output_tokens, err);
    if (st == LP_OK)
        st = lp_uc_read_targets(o, &out->targets, err);
    if (st == LP_OK)
        st = lp_uc_read_deployment(o, res, store, &gpu, &out->gpu_described, &out->serving,
                                   &tp_given, &out->cluster, err);
    if (st == LP_OK) {
        out->model = &store->model;
        out->model_id = store->model_id;
        out->cluster.gpu = gpu;
        out->cluster.gpus_per_node = (int)per_node;
        out->db = res ? res->db : NULL;
    }
    json_decref(o);
    return st;
}
