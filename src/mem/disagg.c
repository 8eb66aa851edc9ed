/*
 * disagg.c - disaggregated prefill/decode as engine settings: the `xPyD` shape, the KV
 * connectors vLLM ships (vllm/distributed/kv_transfer/kv_connector/factory.py registers
 * NixlConnector, LMCacheConnectorV1, P2pNcclConnector and MooncakeConnector among others) and
 * the settings one instance of each role runs with. Each role is an ordinary vLLM server
 * whose memory plan is lp_mem_plan_compute of those settings; the performance model of the
 * pair lives in src/perf/disagg.c.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "llmplan/mem.h"

/* Instances of one role llmplan plans (a larger deployment is several of these). */
#define LP_DISAGG_MAX_INSTANCES 1024

const char *lp_kv_connector_name(lp_kv_connector c) {
    switch (c) {
    case LP_KV_CONNECTOR_NIXL:
        return "nixl";
    case LP_KV_CONNECTOR_LMCACHE:
        return "lmcache";
    case LP_KV_CONNECTOR_NCCL:
        return "nccl";
    case LP_KV_CONNECTOR_MOONCAKE:
        return "mooncake";
    }
    return "unknown";
}

const char *lp_kv_connector_vllm_name(lp_kv_connector c) {
    switch (c) {
    case LP_KV_CONNECTOR_NIXL:
        return "NixlConnector";
    case LP_KV_CONNECTOR_LMCACHE:
        return "LMCacheConnectorV1";
    case LP_KV_CONNECTOR_NCCL:
        return "P2pNcclConnector";
    case LP_KV_CONNECTOR_MOONCAKE:
        return "MooncakeConnector";
    }
    return "unknown";
}

lp_status lp_kv_connector_parse(const char *word, lp_kv_connector *out, lp_error *err) {
    static const lp_kv_connector all[] = {LP_KV_CONNECTOR_NIXL, LP_KV_CONNECTOR_LMCACHE,
                                          LP_KV_CONNECTOR_NCCL, LP_KV_CONNECTOR_MOONCAKE};
    for (size_t i = 0; word && i < sizeof all / sizeof all[0]; i++)
        if (strcasecmp(word, lp_kv_connector_name(all[i])) == 0 ||
            strcasecmp(word, lp_kv_connector_vllm_name(all[i])) == 0) {
            *out = all[i];
            return LP_OK;
        }
    return lp_error_set(err, LP_ERR_INVALID_ARG,
                        "--kv-connector: expected nixl, lmcache, nccl or mooncake, got \"%.64s\"",
                        word ? word : "");
}

/* A positive count of instances at *p, advancing it; 0 on a malformed number. */
static int count_at(const char **p) {
    const char *s = *p;
    if (!isdigit((unsigned char)*s))
        return 0;
    long v = 0;
    while (isdigit((unsigned char)*s)) {
        v = v * 10 + (*s - '0');
        if (v > LP_DISAGG_MAX_INSTANCES)
            return 0;
        s++;
    }
    *p = s;
    return (int)v;
}

lp_status lp_disaggregation_parse(const char *text, lp_disaggregation *out, lp_error *err) {
    const char *p = text ? text : "";
    int x = count_at(&p);
    bool ok = x > 0 && (*p == 'P' || *p == 'p');
    int y = 0;
    if (ok) {
        p++;
        y = count_at(&p);
        ok = y > 0 && (*p == 'D' || *p == 'd') && p[1] == '\0';
    }
    if (!ok)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--disaggregation: expected xPyD with 1 to %d instances each (1P1D, "
                            "4P1D, 2P3D), got \"%.64s\"",
                            LP_DISAGG_MAX_INSTANCES, text ? text : "");
    out->prefill_instances = x;
    out->decode_instances = y;
    return LP_OK;
}

bool lp_disaggregated(const lp_serving *s) {
    return s->disaggregation.prefill_instances > 0 && s->disaggregation.decode_instances > 0;
}

void lp_disaggregation_role_serving(const lp_serving *s, lp_disagg_role role, lp_serving *out) {
    *out = *s;
    const lp_disaggregation *d = &s->disaggregation;
    int tp =
        role == LP_ROLE_PREFILL ? d->prefill_tensor_parallel_size : d->decode_tensor_parallel_size;
    if (tp > 0)
        out->tensor_parallel_size = tp;
    out->data_parallel_size = 1;
    /* one instance of one role; the connector stays (its --kv-transfer-config) */
    out->disaggregation.prefill_instances = out->disaggregation.decode_instances = 0;
    out->disaggregation.prefill_tensor_parallel_size = 0;
    out->disaggregation.decode_tensor_parallel_size = 0;
    /* the drafter runs where tokens are decoded: a prefill instance only computes the first
     * token (vLLM's P/D examples start prefill instances without --speculative-config) */
    if (role == LP_ROLE_PREFILL)
        memset(&out->speculative, 0, sizeof out->speculative);
}

int lp_disaggregation_gpus(const lp_serving *s) {
    if (!lp_disaggregated(s))
        return 0;
    const lp_disaggregation *d = &s->disaggregation;
    int tp = s->tensor_parallel_size > 0 ? s->tensor_parallel_size : 1;
    int pp = s->pipeline_parallel_size > 0 ? s->pipeline_parallel_size : 1;
    int ptp = d->prefill_tensor_parallel_size > 0 ? d->prefill_tensor_parallel_size : tp;
    int dtp = d->decode_tensor_parallel_size > 0 ? d->decode_tensor_parallel_size : tp;
    return (d->prefill_instances * ptp + d->decode_instances * dtp) * pp;
}

/* The plan of one instance of role, its errors named by the pool. */
static lp_status plan_role(const lp_model *m, const lp_gpu *gpu, const lp_serving *s,
                           lp_disagg_role role, const lp_gpu_db *db, lp_serving *rs,
                           lp_mem_plan *plan, lp_error *err) {
    const char *pool = role == LP_ROLE_PREFILL ? "prefill pool" : "decode pool";
    if (!gpu)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: no GPU given", pool);
    lp_disaggregation_role_serving(s, role, rs);
    lp_error inner;
    lp_error_clear(&inner);
    lp_status st = db ? lp_mem_plan_with_suggestions(m, gpu, rs, db, plan, &inner)
                      : lp_mem_plan_compute(m, gpu, rs, plan, &inner);
    if (st != LP_OK)
        return lp_error_set(err, st, "%s: %s", pool, inner.message);
    return LP_OK;
}

lp_status lp_mem_disagg_plan_compute(const lp_model *m, const lp_gpu *prefill_gpu,
                                     const lp_gpu *decode_gpu, const lp_serving *s,
                                     const lp_gpu_db *db, lp_mem_disagg_plan *out, lp_error *err) {
    memset(out, 0, sizeof *out);
    if (!m || !s)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "lp_mem_disagg_plan_compute: NULL argument");
    if (!lp_disaggregated(s))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "not a disaggregated deployment: give --disaggregation xPyD");
    if (s->data_parallel_size > 1)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--disaggregation xPyD sets the instances of each role: leave out -dp "
                            "(got -dp %d)",
                            s->data_parallel_size);
    const lp_disaggregation *d = &s->disaggregation;
    out->prefill_instances = d->prefill_instances;
    out->decode_instances = d->decode_instances;
    out->kv_connector = d->kv_connector;
    out->prefill_gpu = prefill_gpu;
    out->decode_gpu = decode_gpu;
    lp_status st = plan_role(m, prefill_gpu, s, LP_ROLE_PREFILL, db, &out->prefill_serving,
                             &out->prefill, err);
    if (st == LP_OK)
        st = plan_role(m, decode_gpu, s, LP_ROLE_DECODE, db, &out->decode_serving, &out->decode,
                       err);
    if (st != LP_OK)
        return st;
    out->num_gpus =
        d->prefill_instances * out->prefill.num_gpus + d->decode_instances * out->decode.num_gpus;
    out->fits = out->prefill.fits && out->decode.fits;
    out->kv_tokens = (int64_t)d->decode_instances * out->decode.kv_tokens;
    out->max_concurrency = d->decode_instances * out->decode.max_concurrency;
    return LP_OK;
}
