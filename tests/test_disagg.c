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
#include "llmplan/usecase.h"

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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_per_role),
        cmocka_unit_test(test_fits_only_if_both_fit),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
