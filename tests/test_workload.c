/*
 * test_workload.c - the value types every use case takes: lp_workload (defaults as
 * `vllm bench serve` has them, data sets, checks), lp_targets and lp_cluster (GPUs per node,
 * nodes, the link inside a node, GPUs described by their numbers).
 *
 * Expected defaults come from vLLM's benchmarks/benchmark_serving.py / `vllm bench serve
 * --help`: --random-input-len 1024, --random-output-len 128, --num-prompts 1000,
 * --request-rate inf, --dataset-name random (vLLM 0.10 changed the default from sharegpt).
 */
#include "support/lp_test.h"

#include <math.h>
#include <string.h>

#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/perf.h"
#include "llmplan/workload.h"

static void test_workload_defaults(void **state) {
    (void)state;
    lp_workload w;
    lp_workload_init(&w);
    assert_int_equal(w.dataset, LP_DATASET_RANDOM);
    assert_int_equal(w.input.kind, LP_LEN_FIXED);
    lp_assert_near(lp_len_mean(&w.input), 1024, 0);
    lp_assert_near(lp_len_mean(&w.output), 128, 0);
    assert_int_equal(w.num_prompts, 1000);
    assert_int_equal(w.max_concurrency, 0);
    assert_true(w.request_rate == 0.0); /* inf: every request at once */
    lp_error err;
    assert_int_equal(lp_workload_check(&w, &err), LP_OK);
    /* an estimate request starts from the same workload */
    lp_perf_request r;
    lp_perf_request_init(&r);
    lp_assert_near(lp_len_mean(&r.workload.input), 1024, 0);
    lp_assert_near(lp_len_mean(&r.workload.output), 128, 0);
    assert_int_equal(r.workload.num_prompts, 1000);
    assert_null(r.cluster.gpu);
}

static void test_workload_sharegpt(void **state) {
    (void)state;
    lp_workload w;
    lp_workload_init(&w);
    lp_workload_sharegpt(&w, 0, 0);
    assert_int_equal(w.dataset, LP_DATASET_SHAREGPT);
    assert_int_equal(w.input.kind, LP_LEN_SHAREGPT);
    /* the preset's means (where they come from is checked against the validation rows in
     * test_dist.c) */
    lp_assert_near(lp_len_mean(&w.input), LP_SHAREGPT_MEAN_INPUT, 0);
    lp_assert_near(lp_len_mean(&w.output), LP_SHAREGPT_MEAN_OUTPUT, 0);
    lp_workload_sharegpt(&w, 512, 0);
    lp_assert_near(lp_len_mean(&w.input), 512, 0);
    lp_assert_near(lp_len_mean(&w.output), LP_SHAREGPT_MEAN_OUTPUT, 0);

    lp_dataset d;
    lp_error err;
    assert_int_equal(lp_dataset_parse("ShareGPT", &d, &err), LP_OK);
    assert_int_equal(d, LP_DATASET_SHAREGPT);
    assert_string_equal(lp_dataset_name(d), "sharegpt");
    assert_int_equal(lp_dataset_parse("sonnet", &d, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "--dataset-name"));
    assert_non_null(strstr(err.message, "sonnet"));
}

static void test_workload_check(void **state) {
    (void)state;
    lp_error err;
    lp_workload w;
    lp_workload_init(&w);
    w.num_prompts = 0;
    assert_int_equal(lp_workload_check(&w, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "--num-prompts"));
    lp_workload_init(&w);
    w.max_concurrency = -1;
    assert_int_equal(lp_workload_check(&w, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "--max-concurrency"));
    lp_workload_init(&w);
    w.request_rate = NAN;
    assert_int_equal(lp_workload_check(&w, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "--request-rate"));
    lp_workload_init(&w);
    w.output = lp_len_fixed(0);
    assert_int_equal(lp_workload_check(&w, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "output length"));
}

static void test_targets(void **state) {
    (void)state;
    lp_targets t;
    lp_targets_init(&t);
    lp_error err;
    assert_int_equal(t.percentile, 50);
    assert_false(lp_targets_any(&t));
    assert_int_equal(lp_targets_check(&t, &err), LP_OK);
    t.max_tpot_ms = 50;
    assert_true(lp_targets_any(&t));
    t.percentile = 95;
    assert_int_equal(lp_targets_check(&t, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "percentile"));
    t.percentile = 99;
    t.max_ttft_ms = -1;
    assert_int_equal(lp_targets_check(&t, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "max_ttft_ms"));
}

static const lp_gpu *gpu(const char *name) {
    const lp_gpu *g;
    lp_error err;
    if (lp_gpu_find(NULL, name, &g, &err) != LP_OK)
        fail_msg("%s", err.message);
    return g;
}

static void test_cluster(void **state) {
    (void)state;
    lp_cluster c;
    lp_cluster_init(&c, gpu("H100"));
    assert_int_equal(lp_cluster_gpus_per_node(&c), 8);
    /* 12 GPUs, 8 to a node: two nodes; 16 fill two exactly; 1 is one */
    assert_int_equal(lp_cluster_nodes(&c, 12), 2);
    assert_int_equal(lp_cluster_nodes(&c, 16), 2);
    assert_int_equal(lp_cluster_nodes(&c, 1), 1);
    c.gpus_per_node = 4;
    assert_int_equal(lp_cluster_nodes(&c, 12), 3);
    /* the H100 SXM's own link is NVLink (NVIDIA H100 datasheet: NVLink 900 GB/s) */
    assert_int_equal(lp_cluster_intra_node_link(&c), LP_LINK_NVLINK);
    c.intra_node_link = LP_LINK_PCIE;
    assert_int_equal(lp_cluster_intra_node_link(&c), LP_LINK_NVLINK); /* not given: ignored */
    c.intra_node_link_given = true;
    assert_int_equal(lp_cluster_intra_node_link(&c), LP_LINK_PCIE);
    lp_cluster_init(&c, NULL);
    assert_int_equal(lp_cluster_intra_node_link(&c), LP_LINK_UNKNOWN);

    lp_link_kind k;
    lp_error err;
    assert_int_equal(lp_link_parse("PCIe", &k, &err), LP_OK);
    assert_int_equal(k, LP_LINK_PCIE);
    assert_int_equal(lp_link_parse("xgmi", &k, &err), LP_OK);
    assert_int_equal(k, LP_LINK_INFINITY_FABRIC);
    assert_int_equal(lp_link_parse("carrier-pigeon", &k, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "--interconnect"));
}

static void test_gpu_describe(void **state) {
    (void)state;
    lp_gpu g;
    lp_error err;
    assert_int_equal(lp_gpu_describe("my-gpu", 48, 864, 181, &g, &err), LP_OK);
    assert_string_equal(g.name, "my-gpu");
    lp_assert_near(g.usable_gib, 48, 0);
    lp_assert_near(g.bandwidth_gbs, 864, 0);
    lp_assert_near(g.bf16_tflops, 181, 0);
    assert_true(lp_gpu_supports_bf16(&g));
    assert_int_equal(lp_gpu_describe(NULL, 0, 0, 0, &g, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "--gpu-memory-gib"));
    assert_int_equal(lp_gpu_describe(NULL, 1e6, 0, 0, &g, &err), LP_ERR_INVALID_ARG);
}

/* Tensor parallelism wider than a node goes over the network: with 4 GPUs per node, TP 8 of
 * H100s cannot use NVLink for its all-reduces, with 8 per node it can. */
static void test_step_model_nodes(void **state) {
    (void)state;
    static lp_model model;
    static lp_mem_plan plan;
    lp_error err;
    if (lp_catalog_load("meta-llama/Llama-3.1-70B-Instruct", &model, &err) != LP_OK)
        fail_msg("%s", err.message);
    lp_serving s;
    lp_serving_init(&s);
    s.tensor_parallel_size = 8;
    s.max_model_len = 8192;
    if (lp_mem_plan_compute(&model, gpu("H100"), &s, &plan, &err) != LP_OK)
        fail_msg("%s", err.message);
    lp_cluster c;
    lp_cluster_init(&c, gpu("H100"));
    lp_step_model in_node, across;
    static lp_perf_estimate notes;
    memset(&notes, 0, sizeof notes);
    assert_int_equal(lp_step_model_init(&model, &c, &plan, &in_node, NULL, &err), LP_OK);
    c.gpus_per_node = 4;
    assert_int_equal(lp_step_model_init(&model, &c, &plan, &across, &notes, &err), LP_OK);
    assert_true(across.link_bandwidth < in_node.link_bandwidth);
    bool said = false;
    for (int i = 0; i < notes.n_assumptions; i++)
        said = said || strstr(notes.assumptions[i], "spans nodes") != NULL;
    assert_true(said);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_workload_defaults), cmocka_unit_test(test_workload_sharegpt),
        cmocka_unit_test(test_workload_check),    cmocka_unit_test(test_targets),
        cmocka_unit_test(test_cluster),           cmocka_unit_test(test_gpu_describe),
        cmocka_unit_test(test_step_model_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
