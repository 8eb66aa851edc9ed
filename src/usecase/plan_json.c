/*
 * plan_json.c - a plan request from one JSON object (`POST /v1/plan`, the Python package):
 * the model, the GPU and vLLM's engine arguments, read as the CLI reads its flags.
 */
#include "common/json_get.h"
#include "usecase/usecase_internal.h"

static const char *const PLAN_FIELDS[] = {LP_UC_MODEL_GPU_FIELDS, LP_UC_SERVING_FIELDS, NULL};

lp_status lp_plan_request_from_json(const char *text, size_t len, const lp_resolver *res,
                                    lp_request_store *store, lp_plan_request *out, lp_error *err) {
    lp_plan_request_init(out);
    json_t *o = NULL;
    lp_status st = lp_uc_open(text, len, PLAN_FIELDS, "/v1/plan", &o, err);
    bool tp_given = false;
    const lp_gpu *gpu = NULL;
    if (st == LP_OK)
        st = lp_uc_read_deployment(o, res, store, &gpu, &out->gpu_described, &out->serving,
                                   &tp_given, &out->cluster, err);
    if (st == LP_OK) {
        out->model = &store->model;
        out->cluster.gpu = gpu;
        out->parallel_given = tp_given;
        out->db = res ? res->db : NULL;
    }
    json_decref(o);
    return st;
}
