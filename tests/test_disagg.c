/*
 * test_disagg.c - disaggregated prefill/decode (`--disaggregation xPyD`): one memory plan per
 * role, the deployment fits only when both do, and the decode pool's KV cache decides
 * concurrency. Expected values are counted by hand in the comments (Llama-3.1-8B's config.json:
 * 32 layers, 8 KV heads of 128, bf16).
 */
#include "support/lp_test.h"

#include <math.h>
#include <string.h>

#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/perf.h"
#include "llmplan/usecase.h"
#include "llmplan/validate.h"

#define LLAMA8B "meta-llama/Llama-3.1-8B-Instruct"
#define LLAMA70B "meta-llama/Llama-3.1-70B-Instruct"

static lp_model model8b, model70b;
static lp_plan_result result; /* about 35 KB */

static void load(const char *id, lp_model *m) {
    lp_error err;
    assert_int_equal(lp_model_load(id, NULL, m, &err), LP_OK);
}

static const lp_gpu *gpu_named(const char *name) {
    const lp_gpu *g;
    lp_error err;
    assert_int_equal(lp_gpu_find(NULL, name, &g, &err), LP_OK);
    return g;
}

/* 2P1D of Llama-3.1-8B on H100: prefill instances -tp 1, the decode instance -tp 2. */
static void test_plan_per_role(void **state) {
    (void)state;
    load(LLAMA8B, &model8b);
    lp_plan_request req;
    lp_plan_request_init(&req);
    req.model = &model8b;
    req.cluster.gpu = gpu_named("H100");
    req.serving.max_model_len = 16000;
    lp_error err;
    assert_int_equal(lp_disaggregation_parse("2P1D", &req.serving.disaggregation, &err), LP_OK);
    req.serving.disaggregation.decode_tensor_parallel_size = 2;
    assert_int_equal(lp_plan(&req, &result, &err), LP_OK);
    assert_true(result.disaggregated);
    const lp_mem_disagg_plan *d = &result.disagg;
    assert_int_equal(d->prefill.tp, 1);
    assert_int_equal(d->decode.tp, 2);
    /* GPUs by hand: 2 prefill instances x 1 + 1 decode instance x 2 = 4 */
    assert_int_equal(d->num_gpus, 4);
    /* KV per token by hand: 32 layers x 8 heads x 128 x (K + V) x 2 bytes = 131,072 */
    lp_assert_near(d->decode.kv_bytes_per_token, 131072.0, 0);
    assert_true(d->fits);
    assert_true(lp_plan_result_fits(&result));
    /* the decode pool decides: one instance holds what a plain -tp 2 server of it holds */
    lp_serving plain;
    lp_serving_init(&plain);
    plain.tensor_parallel_size = 2;
    plain.max_model_len = 16000;
    static lp_mem_plan alone;
    assert_int_equal(lp_mem_plan_compute(&model8b, req.cluster.gpu, &plain, &alone, &err), LP_OK);
    assert_int_equal(d->decode.kv_tokens, alone.kv_tokens);
    assert_int_equal(d->kv_tokens, alone.kv_tokens);
    lp_assert_near(d->max_concurrency, alone.max_concurrency, 1e-9);
    /* a second decode instance doubles the pool; the prefill instances add nothing to it */
    req.serving.disaggregation.decode_instances = 2;
    assert_int_equal(lp_plan(&req, &result, &err), LP_OK);
    assert_int_equal(result.disagg.kv_tokens, 2 * alone.kv_tokens);
    assert_int_equal(result.disagg.num_gpus, 2 * 1 + 2 * 2);
}

/* Each pool on its own GPU type: Llama-3.1-70B's bf16 weights (~141 GB) cannot fit one L4
 * (24 GB) as a prefill instance of -tp 1, while a decode instance of -tp 4 on H100 (~35 GB of
 * weights per GPU) fits: the deployment does not fit. */
static void test_fits_only_if_both_fit(void **state) {
    (void)state;
    load(LLAMA70B, &model70b);
    lp_plan_request req;
    lp_plan_request_init(&req);
    req.model = &model70b;
    req.cluster.gpu = gpu_named("H100");
    req.cluster.prefill_gpu = gpu_named("L4");
    req.serving.max_model_len = 8192;
    req.serving.disaggregation.prefill_instances = 1;
    req.serving.disaggregation.decode_instances = 1;
    req.serving.disaggregation.prefill_tensor_parallel_size = 1;
    req.serving.disaggregation.decode_tensor_parallel_size = 4;
    lp_error err;
    assert_int_equal(lp_plan(&req, &result, &err), LP_OK);
    assert_false(result.disagg.prefill.fits);
    assert_true(result.disagg.decode.fits);
    assert_false(result.disagg.fits);
    assert_false(lp_plan_result_fits(&result));
    assert_string_equal(result.disagg.prefill_gpu->name, gpu_named("L4")->name);

    /* xPyD gives the instances: -dp beside it is refused */
    req.cluster.prefill_gpu = NULL;
    req.serving.data_parallel_size = 2;
    assert_int_equal(lp_plan(&req, &result, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "-dp"));
}

static void test_cli(void **state) {
    (void)state;
    json_t *j = lp_test_cli_json("plan --model " LLAMA8B " --gpu H100 --disaggregation 1P1D "
                                 "--decode-tensor-parallel-size 2 --max-model-len 16000 --json",
                                 0);
    json_t *roles = json_object_get(j, "roles");
    assert_int_equal(json_array_size(roles), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(roles, 0), "role")),
                        "prefill");
    json_t *dec = json_array_get(roles, 1);
    assert_string_equal(json_string_value(json_object_get(dec, "role")), "decode");
    assert_int_equal(json_integer_value(json_object_get(dec, "gpus_per_instance")), 2);
    /* 1 x 1 + 1 x 2 GPUs */
    assert_int_equal(json_integer_value(json_object_get(j, "num_gpus")), 3);
    assert_true(json_is_true(json_object_get(j, "fits")));
    assert_int_equal(json_integer_value(json_object_get(j, "kv_tokens")),
                     json_integer_value(json_object_get(dec, "kv_tokens")));
    json_decref(j);
    /* a pool that does not fit: exit 3, the table names the role */
    char *text = lp_test_cli("plan --model " LLAMA70B " --gpu H100 --prefill-gpu L4 "
                             "--disaggregation 1P1D --decode-tensor-parallel-size 4 "
                             "--prefill-tensor-parallel-size 1 --max-model-len 8192",
                             3);
    assert_non_null(strstr(text, "prefill pool DOES NOT FIT"));
    free(text);
    lp_test_cli_usage("plan --model " LLAMA8B " --gpu H100 --disaggregation 1P1D --report x.html",
                      "disaggregated");
}

/* The transfer of one 2,048-token Llama-3.1-8B prompt, counted by hand: 2048 tokens x 131,072
 * bytes per token (bf16) = 268,435,456 bytes. */
static void test_kv_transfer(void **state) {
    (void)state;
    load(LLAMA8B, &model8b);
    lp_serving s;
    lp_serving_init(&s);
    s.max_model_len = 16000;
    s.disaggregation.prefill_instances = s.disaggregation.decode_instances = 1;
    static lp_mem_disagg_plan plans;
    lp_error err;
    const lp_gpu *h100 = gpu_named("H100");
    assert_int_equal(lp_mem_disagg_plan_compute(&model8b, h100, h100, &s, NULL, &plans, &err),
                     LP_OK);
    lp_cluster c;
    lp_cluster_init(&c, h100);
    /* 25 GB/s over InfiniBand (7.5 us a transfer, src/hw/link.c):
     * 268,435,456 / 25e9 = 10.737 ms + 0.0075 ms = 10.745 ms */
    lp_cluster_set_link(&c, LP_LINK_INFINIBAND);
    c.link_gbs = 25;
    lp_kv_transfer t;
    lp_disagg_kv_transfer(&c, &plans.prefill, &plans.decode, 2, 2048, &t);
    lp_assert_near(t.bytes, 268435456.0, 0);
    assert_int_equal(t.streams, 1);
    lp_assert_near(t.seconds * 1e3, 10.7449, 1e-4);
    assert_false(t.link_assumed);
    /* Ethernet over TCP: 25 Gb/s = 3.125 GB/s x 0.46 (NCCL's socket share) = 1.4375 GB/s:
     * 268,435,456 / 1.4375e9 = 186.738 ms + 0.040 ms */
    lp_cluster_init(&c, h100);
    lp_cluster_set_link(&c, LP_LINK_ETHERNET);
    lp_disagg_kv_transfer(&c, &plans.prefill, &plans.decode, 2, 2048, &t);
    lp_assert_near(t.seconds * 1e3, 186.778, 1e-3);
    /* nothing named, both pools in one 8-GPU node: H100 SXM NVLink, 900 GB/s both ways = 450
     * one way: 268,435,456 / 450e9 = 0.597 ms */
    lp_cluster_init(&c, h100);
    lp_disagg_kv_transfer(&c, &plans.prefill, &plans.decode, 2, 2048, &t);
    assert_int_equal(t.link.kind, LP_LINK_NVLINK);
    assert_true(t.link_assumed);
    lp_assert_near(t.seconds * 1e3, 0.5965, 1e-3);
    /* -tp 2 in both pools: each rank pair moves its half of the KV heads at once, 5.369 ms */
    s.tensor_parallel_size = 2;
    assert_int_equal(lp_mem_disagg_plan_compute(&model8b, h100, h100, &s, NULL, &plans, &err),
                     LP_OK);
    lp_cluster_set_link(&c, LP_LINK_INFINIBAND);
    c.link_gbs = 25;
    lp_disagg_kv_transfer(&c, &plans.prefill, &plans.decode, 4, 2048, &t);
    assert_int_equal(t.streams, 2);
    lp_assert_near(t.seconds * 1e3, 5.3687 + 0.0075, 1e-4);
}

/* Llama-3.1-8B on H100, 2,048 in / 256 out, a closed loop of `clients`, roofline. */
static void estimate_by(lp_method method, const char *shape, int num_gpus, lp_link_kind link,
                        int clients, lp_perf_estimate *e) {
    load(LLAMA8B, &model8b);
    lp_perf_request r;
    lp_perf_request_init(&r);
    r.model = &model8b;
    lp_cluster_init(&r.cluster, gpu_named("H100"));
    if (link != LP_LINK_UNKNOWN)
        lp_cluster_set_link(&r.cluster, link);
    r.serving.max_model_len = 4096;
    r.serving.tensor_parallel_size = 1;
    lp_error err;
    if (shape)
        assert_int_equal(lp_disaggregation_parse(shape, &r.serving.disaggregation, &err), LP_OK);
    else
        r.cluster.num_gpus = num_gpus;
    r.workload.input = lp_len_fixed(2048);
    r.workload.output = lp_len_fixed(256);
    r.workload.max_concurrency = clients;
    r.workload.num_prompts = method == LP_SIMULATE ? 200 : 1000;
    r.method = method;
    assert_int_equal(lp_estimate_performance(&r, e), LP_OK);
    assert_true(e->valid);
}

static void estimate(const char *shape, int num_gpus, lp_link_kind link, int clients,
                     lp_perf_estimate *e) {
    estimate_by(LP_ROOFLINE, shape, num_gpus, link, clients, e);
}

/* The simulation of both pools and the transfer: one client at a time leaves nothing to queue,
 * so each request's TPOT is the decode step of one request, as the roofline has it; over TCP
 * every TTFT grows by the transfer difference (186.78 - 0.60 ms, test_kv_transfer). */
static void test_simulate(void **state) {
    (void)state;
    static lp_perf_estimate sim, roof, slow;
    estimate_by(LP_SIMULATE, "1P1D", 0, LP_LINK_UNKNOWN, 1, &sim);
    estimate_by(LP_ROOFLINE, "1P1D", 0, LP_LINK_UNKNOWN, 1, &roof);
    estimate_by(LP_SIMULATE, "1P1D", 0, LP_LINK_ETHERNET, 1, &slow);
    assert_int_equal(sim.completed, 200);
    assert_true(isfinite(sim.ttft_ms.p99));
    lp_assert_near(sim.tpot_ms.mean, roof.tpot_ms.mean, 0.02 * roof.tpot_ms.mean);
    lp_assert_near(slow.ttft_ms.mean - sim.ttft_ms.mean, 186.78 - 0.60, 0.01 * 186.0);
    assert_true(sim.modes.disagg.on);
    /* and at high load the decode pool's steps stay free of prompts: TPOT no worse than the
     * roofline's two aggregated replicas on the same GPUs (test_estimate) */
    static lp_perf_estimate pd, agg;
    estimate_by(LP_SIMULATE, "1P1D", 0, LP_LINK_UNKNOWN, 128, &pd);
    estimate_by(LP_SIMULATE, NULL, 2, LP_LINK_UNKNOWN, 128, &agg);
    assert_true(pd.tpot_ms.mean <= agg.tpot_ms.mean);
}

static void test_estimate(void **state) {
    (void)state;
    static lp_perf_estimate pd, agg, slow;
    /* high load, 128 clients: the decode instance's steps carry no prompt chunks, so its TPOT
     * is no worse than two aggregated replicas' on the same two GPUs, whose steps do */
    estimate("1P1D", 0, LP_LINK_UNKNOWN, 128, &pd);
    estimate(NULL, 2, LP_LINK_UNKNOWN, 128, &agg);
    assert_true(pd.modes.disagg.on);
    assert_false(agg.modes.disagg.on);
    assert_true(pd.tpot_ms.mean <= agg.tpot_ms.mean);
    /* TTFT holds the prefill pool's share and the transfer */
    const lp_disagg_stats *d = &pd.modes.disagg;
    assert_true(pd.ttft_ms.mean > d->prefill_ms + d->kv_transfer_ms);
    lp_assert_near(d->kv_transfer_bytes, 268435456.0, 0);
    /* over TCP the transfer grows by ~186 ms (test_kv_transfer), and TTFT with it */
    estimate("1P1D", 0, LP_LINK_ETHERNET, 4, &slow);
    estimate("1P1D", 0, LP_LINK_UNKNOWN, 4, &pd);
    double grew = slow.ttft_ms.mean - pd.ttft_ms.mean;
    lp_assert_near(grew, slow.modes.disagg.kv_transfer_ms - pd.modes.disagg.kv_transfer_ms,
                   0.05 * grew);
    /* throughput is bounded by the slower pool */
    assert_true(pd.request_s <= fmin(d->prefill_pool_request_s, d->decode_pool_request_s));
    /* every assumption is said: connector, link, transfer */
    bool connector = false, transfer = false;
    for (int i = 0; i < slow.n_assumptions; i++) {
        connector |= strstr(slow.assumptions[i], "NixlConnector") != NULL;
        transfer |= strstr(slow.assumptions[i], "KV transfer per request") != NULL &&
                    strstr(slow.assumptions[i], "ethernet") != NULL;
    }
    assert_true(connector);
    assert_true(transfer);
}

static void test_estimate_cli(void **state) {
    (void)state;
    json_t *j = lp_test_cli_json("estimate --model " LLAMA8B " --gpu H100 --disaggregation 1P1D "
                                 "--interconnect roce --random-input-len 2048 --max-model-len 4096 "
                                 "--json",
                                 0);
    json_t *d = json_object_get(json_object_get(j, "modes"), "disaggregation");
    assert_true(json_is_object(d));
    assert_string_equal(json_string_value(json_object_get(d, "link")), "roce");
    /* RoCE 400 GbE = 50 GB/s x 0.97: 268,435,456 / 48.5e9 = 5.535 ms + 0.011 ms */
    lp_assert_near(json_real_value(json_object_get(d, "kv_transfer_ms")), 5.5457, 1e-3);
    json_decref(j);
    lp_test_cli_usage("estimate --model " LLAMA8B " --gpu H100 --disaggregation 1P1D "
                      "--method heuristic",
                      "heuristic method does not model disaggregated");
}

/*
 * The pd rows of serving_modes.tsv against the aggregated server measured beside them
 * (kvcache-ai/Mooncake, 1P1D of two A10 against one A10, vLLM 0.6.2): at a request rate both
 * serve, the throughput ratio is 1 (measured 1.00); the transfer and the second hop make TTFT
 * longer than the baseline's (measured ratio 1.6-4.2 in every row); and over TCP it is longer
 * than over RDMA (measured in every pair of rows). Nothing is fitted on these rows.
 */
static void test_modes_pd_rows(void **state) {
    (void)state;
    char path[4096];
    if (!lp_test_shared_path("validation/serving_modes.tsv", path, sizeof path))
        return;
    static lp_modes_report rep;
    lp_error err;
    assert_int_equal(lp_validate_serving_modes(path, &rep, &err), LP_OK);
    int pd = 0;
    const lp_modes_pair *ttft_tcp = NULL, *ttft_rdma = NULL;
    for (int i = 0; i < rep.n_pairs; i++) {
        const lp_modes_pair *p = &rep.pairs[i];
        if (p->mode != LP_MODES_PD)
            continue;
        pd++;
        if (p->metric == LP_MODES_OUTPUT_TOK_S)
            lp_assert_near(p->estimated_ratio, p->measured_ratio, 0.02);
        if (p->metric == LP_MODES_TTFT) {
            assert_true(p->measured_ratio > 1.0);
            assert_true(p->estimated_ratio > 1.0);
            /* the first rows of one baseline: RDMA (1 NIC), then TCP */
            if (strstr(p->settings, "ethernet") && !ttft_tcp)
                ttft_tcp = p;
            if (strstr(p->settings, "roce") && !ttft_rdma)
                ttft_rdma = p;
        }
    }
    assert_true(pd >= 7);
    assert_non_null(ttft_tcp);
    assert_non_null(ttft_rdma);
    assert_int_equal(ttft_tcp->base_line, ttft_rdma->base_line);
    assert_true(ttft_tcp->measured > ttft_rdma->measured);
    assert_true(ttft_tcp->estimated > ttft_rdma->estimated);
    /* SGLang rows are never compared */
    bool sglang = false;
    for (int i = 0; i < rep.n_skips; i++)
        sglang |= strcmp(rep.skips[i].mode, "pd") == 0 && strstr(rep.skips[i].reason, "SGLang");
    assert_true(sglang);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_per_role), cmocka_unit_test(test_fits_only_if_both_fit),
        cmocka_unit_test(test_cli),           cmocka_unit_test(test_kv_transfer),
        cmocka_unit_test(test_estimate),      cmocka_unit_test(test_estimate_cli),
        cmocka_unit_test(test_modes_pd_rows), cmocka_unit_test(test_simulate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
