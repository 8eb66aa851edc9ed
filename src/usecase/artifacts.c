/*
 * artifacts.c - the deployment files of one configuration as text: serve.sh, docker-run.sh,
 * docker-compose.yaml and k8s.yaml, the files `recommend --emit all` writes to a folder, for
 * front ends that hand them over instead (the web page offers them as downloads through
 * POST /v1/artifacts). The writing itself is src/render/artifacts*.c; this file only runs each
 * writer into memory and reads the request. The model is named, never loaded: the files only
 * carry its id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_get.h"
#include "usecase/usecase_internal.h"

typedef lp_status (*writer)(const lp_deploy *d, FILE *out, lp_error *err);

static const struct {
    const char *name;
    writer write;
} FILES[LP_ARTIFACT_FILES] = {
    {"serve.sh", lp_artifact_vllm_serve},
    {"docker-run.sh", lp_artifact_docker_run},
    {"docker-compose.yaml", lp_artifact_compose},
    {"k8s.yaml", lp_artifact_k8s},
};

void lp_artifacts_result_free(lp_artifacts_result *r) {
    if (!r)
        return;
    for (size_t i = 0; i < LP_ARTIFACT_FILES; i++) {
        free(r->files[i].text);
        r->files[i].text = NULL;
    }
    r->n = 0;
}

/* One writer into a malloc'd string. */
static lp_status render(writer w, const lp_deploy *d, char **text, lp_error *err) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    lp_status st = w(d, f, err);
    if (fclose(f) != 0 && st == LP_OK)
        st = lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    if (st != LP_OK) {
        free(buf);
        return st;
    }
    *text = buf;
    return LP_OK;
}

lp_status lp_artifacts(const lp_artifacts_request *req, lp_artifacts_result *out, lp_error *err) {
    memset(out, 0, sizeof *out);
    /* the command line first: a deployment vLLM would refuse gets no files at all */
    char *line = lp_artifact_vllm_serve_line(&req->deploy, err);
    if (!line)
        return err ? err->code : LP_ERR_INVALID_ARG;
    free(line);
    for (size_t i = 0; i < LP_ARTIFACT_FILES; i++) {
        lp_artifact_file *f = &out->files[i];
        f->name = FILES[i].name;
        lp_error e;
        lp_error_clear(&e);
        lp_status st = render(FILES[i].write, &req->deploy, &f->text, &e);
        if (st == LP_ERR_NOMEM)
            return lp_error_set(err, st, "%s", e.message);
        if (st != LP_OK)
            snprintf(f->error, sizeof f->error, "%s", e.message);
        out->n = i + 1;
    }
    return LP_OK;
}

static const char *const ARTIFACT_FIELDS[] = {"model", "gpu", "gpus_per_node", LP_UC_SERVING_FIELDS,
                                              NULL};

lp_status lp_artifacts_request_from_json(const char *text, size_t len, const lp_resolver *res,
                                         lp_request_store *store, lp_artifacts_request *out,
                                         lp_error *err) {
    memset(out, 0, sizeof *out);
    json_t *o = NULL;
    lp_status st = lp_uc_open(text, len, ARTIFACT_FIELDS, "/v1/artifacts", &o, err);
    const char *model = NULL, *gpu_name = NULL;
    int64_t per_node = LP_DEFAULT_GPUS_PER_NODE;
    bool tp_given = false;
    if (st == LP_OK)
        st = lp_json_get_str(o, "model", &model, err);
    if (st == LP_OK && !model)
        st = lp_error_set(err, LP_ERR_INVALID_ARG,
                          "model: required (the id `vllm serve` is given, e.g. "
                          "meta-llama/Llama-3.1-8B-Instruct)");
    if (st == LP_OK)
        st = lp_json_get_str(o, "gpu", &gpu_name, err);
    if (st == LP_OK && !gpu_name)
        st = lp_error_set(err, LP_ERR_INVALID_ARG, "gpu: required (a GPU name, see GET /v1/gpus)");
    if (st == LP_OK)
        st = lp_json_get_int(o, "gpus_per_node", 1, LP_MAX_PARALLEL_SIZE, &per_node, err);
    if (st == LP_OK)
        st = lp_uc_read_serving(o, store, &out->deploy.serving, &tp_given, err);
    if (st == LP_OK) {
        lp_error inner;
        if ((st = lp_uc_find_gpu(res, gpu_name, &out->deploy.gpu, &inner)) != LP_OK)
            st = lp_uc_gpu_error(st, &inner, err);
    }
    /* disaggregated: each pool's GPU type (default: gpu), checked by lp_json_read_mode_serving */
    const char *pool_gpu[2] = {NULL, NULL};
    const lp_gpu **pool_out[2] = {&out->deploy.prefill_gpu, &out->deploy.decode_gpu};
    static const char *const pool_field[2] = {"prefill_gpu", "decode_gpu"};
    for (int i = 0; i < 2 && st == LP_OK; i++)
        if ((st = lp_json_get_str(o, pool_field[i], &pool_gpu[i], err)) == LP_OK && pool_gpu[i])
            st = lp_uc_find_gpu_field(res, pool_gpu[i], pool_field[i], pool_out[i], err);
    if (st == LP_OK) {
        snprintf(store->model_id, sizeof store->model_id, "%s", model);
        const lp_serving *s = &out->deploy.serving;
        out->deploy.model = store->model_id;
        out->deploy.gpus_per_node = (int)per_node;
        out->deploy.num_gpus = lp_disaggregated(s)
                                   ? lp_disaggregation_gpus(s)
                                   : s->tensor_parallel_size * s->pipeline_parallel_size *
                                         (s->data_parallel_size > 0 ? s->data_parallel_size : 1);
    }
    json_decref(o);
    return st;
}
