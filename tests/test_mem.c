/*
 * test_mem.c - vLLM memory arithmetic. Expected values are worked out by hand in the comments
 * from vLLM's formulas (reference/vllm_internals.md) and published parameter totals
 * (reference/model_configs.md), never read back from the code under test.
 */
#include "support/lp_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"

#define GIB 1073741824.0

static lp_model model;
static lp_mem_plan plan, plan2;

static const lp_gpu *gpu(const char *name) {
    const lp_gpu *g = NULL;
    lp_error err;
    if (lp_gpu_find(lp_gpu_db_builtin(), name, &g, &err) != LP_OK)
        fail_msg("gpu %s: %s", name, err.message);
    return g;
}

static void load(const char *id) {
    lp_error err;
    if (lp_model_load(id, NULL, &model, &err) != LP_OK)
        fail_msg("model %s: %s", id, err.message);
}

static void plan_ok(const lp_gpu *g, const lp_serving *s, lp_mem_plan *p) {
    lp_error err;
    if (lp_mem_plan_compute(&model, g, s, p, &err) != LP_OK)
        fail_msg("plan failed: %s", err.message);
}

/* Llama-3.1-8B in bf16 on one GPU: every weight once, 2 bytes each. model_configs.md: 8,030,261,248
 * parameters and model.safetensors.index.json total_size 16,060,522,496 B (vocab 128,256 is a
 * multiple of 64, so vocab padding adds nothing). */
static void test_weights_llama8b_tp1(void **state) {
    (void)state;
    load("meta-llama/Llama-3.1-8B-Instruct");
    lp_serving s;
    lp_serving_init(&s);
    plan_ok(gpu("H100"), &s, &plan);
    lp_assert_near(plan.ranks[0].weights_bytes, 16060522496.0, 1.0);
}

/* TP=2: everything is split in two except the norms (32 layers x 2 x 4096 + final 4096 =
 * 266,240 parameters, replicated). Per rank: (8,030,261,248 - 266,240) / 2 + 266,240 =
 * 4,015,263,744 parameters = 8,030,527,488 B. 8 KV heads / 2 = 4 per rank: no replication. */
static void test_weights_llama8b_tp2(void **state) {
    (void)state;
    load("meta-llama/Llama-3.1-8B-Instruct");
    lp_serving s;
    lp_serving_init(&s);
    s.tensor_parallel_size = 2;
    plan_ok(gpu("H100"), &s, &plan);
    lp_assert_near(plan.ranks[0].weights_bytes, 8030527488.0, 1.0);
    assert_int_equal(plan.kv_heads_per_rank, 4);
    assert_int_equal(plan.kv_head_replicas, 1);
}

/* Llama-3.1-70B with TP=16: 64 heads / 16 = 4 per rank; 8 KV heads < 16, so QKVParallelLinear
 * keeps 1 KV head per rank and each head is replicated 16 / 8 = 2 times. */
static void test_kv_head_replication(void **state) {
    (void)state;
    load("meta-llama/Llama-3.1-70B-Instruct");
    lp_serving s;
    lp_serving_init(&s);
    s.tensor_parallel_size = 16;
    plan_ok(gpu("H100"), &s, &plan);
    assert_int_equal(plan.kv_heads_per_rank, 1);
    assert_int_equal(plan.kv_head_replicas, 2);
}

/* verify_with_parallel_config: 32 heads are not divisible by 3. Qwen2.5-7B: 28 heads divide by 7
 * but its 4 KV heads neither divide nor are divided by 7 (QKVParallelLinear divide() fails). */
static void test_invalid_tp(void **state) {
    (void)state;
    lp_error err;
    lp_serving s;
    lp_serving_init(&s);
    load("meta-llama/Llama-3.1-8B-Instruct");
    s.tensor_parallel_size = 3;
    assert_int_equal(lp_mem_plan_compute(&model, gpu("H100"), &s, &plan, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "Total number of attention heads (32) must be divisible "
                                        "by tensor parallel size (3)"));
    load("Qwen/Qwen2.5-7B-Instruct");
    s.tensor_parallel_size = 7;
    assert_int_equal(lp_mem_plan_compute(&model, gpu("H100"), &s, &plan, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "KV heads"));
}

static void test_invalid_utilization(void **state) {
    (void)state;
    const double bad[] = {0.0, -0.1, 1.5};
    load("meta-llama/Llama-3.1-8B-Instruct");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lp_error err;
        lp_serving s;
        lp_serving_init(&s);
        s.gpu_memory_utilization = bad[i];
        assert_int_equal(lp_mem_plan_compute(&model, gpu("H100"), &s, &plan, &err),
                         LP_ERR_INVALID_ARG);
        assert_non_null(strstr(err.message, "--gpu-memory-utilization"));
    }
}

/* _get_and_verify_max_len: Llama-3.1 derives 131,072 (rope_type llama3 is not multiplied). */
static void test_max_model_len_limits(void **state) {
    (void)state;
    lp_error err;
    lp_serving s;
    lp_serving_init(&s);
    load("meta-llama/Llama-3.1-8B-Instruct");
    plan_ok(gpu("H100"), &s, &plan);
    assert_int_equal(plan.max_model_len, 131072);
    s.max_model_len = 200000;
    assert_int_equal(lp_mem_plan_compute(&model, gpu("H100"), &s, &plan, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "greater than the derived max_model_len"));
}

/* Llama-3.1-70B in bf16 needs ~131 GiB of weights: no KV memory at all on one 80 GB GPU, and
 * vLLM's error is the "No available memory" one. */
static void test_does_not_fit(void **state) {
    (void)state;
    load("meta-llama/Llama-3.1-70B-Instruct");
    lp_serving s;
    lp_serving_init(&s);
    plan_ok(gpu("H100"), &s, &plan);
    assert_false(plan.fits);
    assert_true(plan.ranks[0].kv_cache_bytes < 0);
    assert_int_equal(plan.max_model_len_fit, 0);
    assert_non_null(strstr(plan.vllm_error, "No available memory for the cache blocks"));
    assert_true(plan.shortfall_bytes > 0);
}

/* On a 24 GB L4 the 8B model leaves a few GiB of KV cache: the default 131,072 tokens do not
 * fit; vLLM's error names the estimated maximum, and that length fits while one block more
 * (16 tokens) does not: the binary search is exact at block granularity. */
static void test_largest_fitting_len(void **state) {
    (void)state;
    load("meta-llama/Llama-3.1-8B-Instruct");
    lp_serving s;
    lp_serving_init(&s);
    plan_ok(gpu("L4"), &s, &plan);
    assert_false(plan.fits);
    int64_t fit = plan.max_model_len_fit;
    assert_true(fit > 1000 && fit < 131072);
    char expect[96];
    snprintf(expect, sizeof expect, "the estimated maximum model length is %lld", (long long)fit);
    assert_non_null(strstr(plan.vllm_error, expect));
    assert_non_null(strstr(plan.vllm_error, "max seq len (131072)"));
    s.max_model_len = fit;
    plan_ok(gpu("L4"), &s, &plan2);
    assert_true(plan2.fits);
    s.max_model_len = fit + 16;
    plan_ok(gpu("L4"), &s, &plan2);
    assert_false(plan2.fits);
    /* auto-fit picks the same length (--max-model-len -1) */
    s.max_model_len = -1;
    plan_ok(gpu("L4"), &s, &plan2);
    assert_true(plan2.fits);
    assert_int_equal(plan2.max_model_len, fit);
}

/* Uniform model: page = block 16 x 8 KV heads x 128 x 2 (K,V) x 2 B = 65,536 B per layer, and
 * 32 layers share each block: 2 MiB per block. Blocks = floor(KV memory / 2 MiB), concurrency
 * = blocks / cdiv(16000, 16) = blocks / 1000, tokens = int(concurrency x 16000). */
static void test_blocks_uniform(void **state) {
    (void)state;
    load("meta-llama/Llama-3.1-8B-Instruct");
    lp_serving s;
    lp_serving_init(&s);
    s.max_model_len = 16000;
    plan_ok(gpu("H100"), &s, &plan);
    assert_true(plan.fits);
    assert_int_equal(plan.block_size, 16);
    lp_assert_near(plan.ranks[0].kv_bytes_per_block, 2097152.0, 0.0);
    assert_int_equal(plan.kv_blocks, (int64_t)floor(plan.ranks[0].kv_cache_bytes / 2097152.0));
    assert_int_equal(plan.blocks_per_request, 1000);
    lp_assert_near(plan.max_concurrency, plan.kv_blocks / 1000.0, 1e-9);
    assert_int_equal(plan.kv_tokens, plan.kv_blocks * 16);
    /* model_configs.md §3: 131,072 bytes per token (128 KiB) for all 32 layers */
    lp_assert_near(plan.kv_bytes_per_token, 131072.0, 0.0);
}

/* validation README: "--kv-cache-dtype fp8 doubles the tokens and leaves the GiB unchanged". */
static void test_fp8_kv_doubles_tokens(void **state) {
    (void)state;
    load("meta-llama/Llama-3.1-8B-Instruct");
    lp_serving s;
    lp_serving_init(&s);
    s.max_model_len = 8192;
    plan_ok(gpu("H100"), &s, &plan);
    s.kv_cache_dtype = LP_DTYPE_FP8;
    plan_ok(gpu("H100"), &s, &plan2);
    lp_assert_near(plan2.ranks[0].kv_cache_bytes, plan.ranks[0].kv_cache_bytes, 1.0);
    lp_assert_near((double)plan2.kv_tokens, 2.0 * (double)plan.kv_tokens, 16.0);
}

/* gpt-oss-20b: 24 layers alternating sliding (window 128) and full. 12 and 12: group_size 12,
 * one sliding group and one full group. At max-model-len 16000, 8192 batched tokens and block
 * 16: full cdiv(16000, 16) = 1000 blocks; sliding min(128 - 1 + 8192, 16000) = 8319 tokens ->
 * cdiv(8319, 16) + 1 = 521 blocks; 1521 blocks per request (kv_cache_interface.py). */
static void test_sliding_window_blocks(void **state) {
    (void)state;
    load("openai/gpt-oss-20b");
    lp_serving s;
    lp_serving_init(&s);
    s.max_model_len = 16000;
    s.max_num_batched_tokens = 8192;
    plan_ok(gpu("H100"), &s, &plan);
    assert_int_equal(plan.kv_groups, 2);
    assert_int_equal(plan.kv_group_size, 12);
    assert_int_equal(plan.blocks_per_request, 1521);
    /* without the hybrid manager sliding layers cost full length: 2 x 1000 blocks */
    s.disable_hybrid_kv_cache_manager = true;
    plan_ok(gpu("H100"), &s, &plan2);
    assert_int_equal(plan2.blocks_per_request, 1000);
    assert_true(plan2.max_concurrency < plan.max_concurrency);
}

/* reference/vllm_internals.md (b): Gemma-3-27B, 62 layers, 52 sliding + 10 full: group_size
 * 10, sliding split into 6 groups, full into 1: 7 groups. */
static void test_gemma3_groups(void **state) {
    (void)state;
    load("google/gemma-3-27b-it");
    lp_serving s;
    lp_serving_init(&s);
    s.max_model_len = 32768;
    plan_ok(gpu("H200"), &s, &plan);
    assert_int_equal(plan.kv_groups, 7);
    assert_int_equal(plan.kv_group_size, 10);
}

/* DeepSeek-V3 MLA: latent 512 + rope 64 = 576 elements x 2 B = 1,152 B per token per layer, not
 * divided by TP; FlashMLA on Hopper forces block 64: page = 64 x 1,152 = 73,728 B per layer. */
static void test_mla_page(void **state) {
    (void)state;
    load("deepseek-ai/DeepSeek-V3");
    lp_serving s;
    lp_serving_init(&s);
    s.tensor_parallel_size = 8;
    s.max_model_len = 32768;
    plan_ok(gpu("H200"), &s, &plan);
    assert_int_equal(plan.block_size, 64);
    /* 61 layers share a block: 61 x 73,728 B */
    lp_assert_near(plan.ranks[0].kv_bytes_per_block, 61.0 * 73728.0, 0.0);
    /* model_configs.md §3: 70,272 B per token for all 61 layers */
    lp_assert_near(plan.kv_bytes_per_token, 70272.0, 0.0);
}

/* EngineArgs.get_batch_defaults: >= 70 GiB and not an A100 -> 8192 tokens / 1024 seqs;
 * otherwise 2048 / 256. */
static void test_batch_defaults(void **state) {
    (void)state;
    struct {
        const char *gpu;
        int tokens, seqs;
    } cases[] = {{"H100", 8192, 1024}, {"H200", 8192, 1024}, {"A100 80GB", 2048, 256},
                 {"L40S", 2048, 256},  {"L4", 2048, 256},    {"MI300X", 8192, 1024}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int t, q;
        lp_mem_default_batch(gpu(cases[i].gpu), LP_VLLM_VERSION_LATEST, &t, &q);
        assert_int_equal(t, cases[i].tokens);
        assert_int_equal(q, cases[i].seqs);
    }
}

/* get_pp_indices: 32 layers over 3 stages -> [11, 11, 10] (the remainder goes to the stages
 * before the last, counting back from the second-to-last); 36 over 3 -> [12, 12, 12]. */
static void test_pipeline_split(void **state) {
    (void)state;
    load("meta-llama/Llama-3.1-8B-Instruct");
    lp_serving s;
    lp_serving_init(&s);
    s.pipeline_parallel_size = 3;
    plan_ok(gpu("H100"), &s, &plan);
    assert_int_equal(plan.n_ranks, 3);
    assert_int_equal(plan.ranks[0].layers, 11);
    assert_int_equal(plan.ranks[1].layers, 11);
    assert_int_equal(plan.ranks[2].layers, 10);
    /* the embedding sits on stage 0 and the lm_head on stage 2; stage 1 has neither, so it is
     * the lightest: 11 layers x 218,112,000 parameters x 2 B */
    lp_assert_near(plan.ranks[1].weights_bytes, 11.0 * 218112000.0 * 2.0, 1.0);
}

/* CUDA graphs: subtracted from v0.21 on, not before, never with --enforce-eager. */
static void test_cuda_graph_versions(void **state) {
    (void)state;
    load("meta-llama/Llama-3.1-8B-Instruct");
    lp_serving s;
    lp_serving_init(&s);
    s.vllm_version = LP_VLLM_VERSION(0, 19, 0);
    plan_ok(gpu("H100"), &s, &plan);
    lp_assert_near(plan.ranks[0].cuda_graph_bytes, 0.0, 0.0);
    s.vllm_version = LP_VLLM_VERSION(0, 21, 0);
    plan_ok(gpu("H100"), &s, &plan);
    assert_true(plan.ranks[0].cuda_graph_bytes > 0.3 * GIB);
    assert_true(plan.ranks[0].cuda_graph_bytes < 1.4 * GIB);
    s.enforce_eager = true;
    plan_ok(gpu("H100"), &s, &plan);
    lp_assert_near(plan.ranks[0].cuda_graph_bytes, 0.0, 0.0);
}

/* --quantization fp8 on a bf16 checkpoint: linear layers 1 byte (+ per-channel scales), the
 * embedding and lm_head stay bf16: 2 x 525,336,576 x 2 B + 6,979,321,856 x ~1 B = ~9.08e9 B. */
static void test_online_fp8(void **state) {
    (void)state;
    load("meta-llama/Llama-3.1-8B-Instruct");
    lp_serving s;
    lp_serving_init(&s);
    s.quantization = "fp8";
    plan_ok(gpu("H100"), &s, &plan);
    lp_assert_near(plan.ranks[0].weights_bytes, 9.08e9, 0.02e9);
}

/* vLLM refuses a --quantization that differs from the checkpoint's own method. */
static void test_quant_mismatch(void **state) {
    (void)state;
    lp_error err;
    load("RedHatAI/Llama-3.3-70B-Instruct-FP8-dynamic");
    lp_serving s;
    lp_serving_init(&s);
    s.tensor_parallel_size = 2;
    s.quantization = "awq";
    assert_int_equal(lp_mem_plan_compute(&model, gpu("H100"), &s, &plan, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "does not match the quantization method"));
    s.quantization = "nonsense";
    assert_int_equal(lp_mem_plan_compute(&model, gpu("H100"), &s, &plan, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "unknown method"));
}

/* check_if_supports_dtype: T4 is compute capability 7.5 -> no bf16. Explicit bfloat16 is an
 * error with vLLM's text; auto falls back to float16. */
static void test_bf16_on_t4(void **state) {
    (void)state;
    lp_error err;
    load("Qwen/Qwen2.5-0.5B");
    lp_serving s;
    lp_serving_init(&s);
    s.dtype = LP_DTYPE_BF16;
    assert_int_equal(lp_mem_plan_compute(&model, gpu("T4"), &s, &plan, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "Bfloat16 is only supported"));
    s.dtype = LP_DTYPE_AUTO;
    plan_ok(gpu("T4"), &s, &plan);
    assert_int_equal(plan.dtype, LP_DTYPE_FP16);
}

/* Suggestions when it does not fit: every suggested change is re-planned; the fp8 KV cache
 * doubles the tokens of the same memory. */
static void test_suggestions(void **state) {
    (void)state;
    lp_error err;
    load("meta-llama/Llama-3.1-8B-Instruct");
    lp_serving s;
    lp_serving_init(&s);
    assert_int_equal(
        lp_mem_plan_with_suggestions(&model, gpu("L4"), &s, lp_gpu_db_builtin(), &plan, &err),
        LP_OK);
    assert_false(plan.fits);
    assert_true(plan.n_suggestions >= 4);
    bool saw_len = false, saw_larger_gpu = false;
    for (int i = 0; i < plan.n_suggestions; i++) {
        if (strncmp(plan.suggestions[i].change, "--max-model-len", 15) == 0) {
            saw_len = true;
            assert_true(plan.suggestions[i].fits);
        }
        if (strncmp(plan.suggestions[i].change, "--gpu \"", 7) == 0) {
            saw_larger_gpu = true;
            assert_true(plan.suggestions[i].fits);
        }
    }
    assert_true(saw_len);
    assert_true(saw_larger_gpu);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weights_llama8b_tp1),
        cmocka_unit_test(test_weights_llama8b_tp2),
        cmocka_unit_test(test_kv_head_replication),
        cmocka_unit_test(test_invalid_tp),
        cmocka_unit_test(test_invalid_utilization),
        cmocka_unit_test(test_max_model_len_limits),
        cmocka_unit_test(test_does_not_fit),
        cmocka_unit_test(test_largest_fitting_len),
        cmocka_unit_test(test_blocks_uniform),
        cmocka_unit_test(test_fp8_kv_doubles_tokens),
        cmocka_unit_test(test_sliding_window_blocks),
        cmocka_unit_test(test_gemma3_groups),
        cmocka_unit_test(test_mla_page),
        cmocka_unit_test(test_batch_defaults),
        cmocka_unit_test(test_pipeline_split),
        cmocka_unit_test(test_cuda_graph_versions),
        cmocka_unit_test(test_online_fp8),
        cmocka_unit_test(test_quant_mismatch),
        cmocka_unit_test(test_bf16_on_t4),
        cmocka_unit_test(test_suggestions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
