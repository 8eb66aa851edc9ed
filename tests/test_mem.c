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
 * multiple of 64, so vocab padding adds nothing). Loaded with them: the rotary cos/sin cache,
 * max_position_embeddings 131,072 (llama3 rope keeps it) x head_dim 128 x 2 B (bf16) =
 * 33,554,432 B = ROPE_LLAMA8B. 16,094,076,928 B = 14.989 GiB; vLLM 0.19 logs "Model loading
 * took 14.99 GiB" (kv_capacity.tsv), the parameters alone would be 14.957. */
#define ROPE_LLAMA8B 33554432.0
static void test_weights_llama8b_tp1(void **state) {
    (void)state;
    load("meta-llama/Llama-3.1-8B-Instruct");
    lp_serving s;
    lp_serving_init(&s);
    plan_ok(gpu("H100"), &s, &plan);
    lp_assert_near(plan.ranks[0].weights_bytes, 16060522496.0 + ROPE_LLAMA8B, 1.0);
}

/* TP=2: everything is split in two except the norms (32 layers x 2 x 4096 + final 4096 =
 * 266,240 parameters, replicated). Per rank: (8,030,261,248 - 266,240) / 2 + 266,240 =
 * 4,015,263,744 parameters = 8,030,527,488 B. 8 KV heads / 2 = 4 per rank: no replication.
 * Every rank builds the whole rotary cache. */
static void test_weights_llama8b_tp2(void **state) {
    (void)state;
    load("meta-llama/Llama-3.1-8B-Instruct");
    lp_serving s;
    lp_serving_init(&s);
    s.tensor_parallel_size = 2;
    plan_ok(gpu("H100"), &s, &plan);
    lp_assert_near(plan.ranks[0].weights_bytes, 8030527488.0 + ROPE_LLAMA8B, 1.0);
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

/* Llama-3.1-70B in bf16 needs ~131 GiB of weights: no KV memory at all on one 80 GB GPU. vLLM
 * never gets to sizing the KV cache: the weights do not fit on the device, so load_model runs
 * out of memory (not the "No available memory for the cache blocks" of a model that loads). */
static void test_does_not_fit(void **state) {
    (void)state;
    load("meta-llama/Llama-3.1-70B-Instruct");
    lp_serving s;
    lp_serving_init(&s);
    plan_ok(gpu("H100"), &s, &plan);
    assert_false(plan.fits);
    assert_true(plan.ranks[0].kv_cache_bytes < 0);
    assert_int_equal(plan.max_model_len_fit, 0);
    assert_non_null(strstr(plan.vllm_error, "CUDA out of memory while loading the model weights"));
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

/* Gemma 4 31B at TP2: sliding layers keep 16 / 2 = 8 KV heads of 256 (8 x 512 x 2 B = 8,192 B a
 * token, page 16 x 8,192 = 131,072 B); full layers 4 / 2 = 2 heads of 512 (4,096 B a token). vLLM
 * unify_kv_cache_spec_page_size keeps the larger page and doubles the full layers' block to 32
 * tokens. 50 sliding + 10 full: group_size 10, 5 + 1 groups. At max-model-len 8192 and 2048
 * batched tokens: sliding min(1024 - 1 + 2048, 8192) = 3071 tokens -> cdiv(3071, 16) + 1 = 193
 * blocks x 5 groups = 965; full cdiv(8192, 32) = 256; 1221 blocks per request. */
static void test_gemma4_page_unification(void **state) {
    (void)state;
    load("google/gemma-4-31B-it");
    lp_serving s;
    lp_serving_init(&s);
    s.tensor_parallel_size = 2;
    s.max_model_len = 8192;
    s.max_num_batched_tokens = 2048;
    plan_ok(gpu("H100"), &s, &plan);
    assert_int_equal(plan.kv_groups, 6);
    assert_int_equal(plan.kv_group_size, 10);
    assert_int_equal(plan.blocks_per_request, 1221);
    lp_assert_near(plan.ranks[0].kv_bytes_per_block, 131072.0 * 10, 0.5);
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
     * the lightest: 11 layers x 218,112,000 parameters x 2 B, and its own rotary cache */
    lp_assert_near(plan.ranks[1].weights_bytes, 11.0 * 218112000.0 * 2.0 + ROPE_LLAMA8B, 1.0);
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
 * embedding and lm_head stay bf16: 2 x 525,336,576 x 2 B + 6,979,321,856 x ~1 B = ~9.08e9 B,
 * plus the bf16 rotary cache (33,554,432 B): ~9.11e9 B (vLLM 0.19 logs 8.49 GiB = 9.12e9 B). */
static void test_online_fp8(void **state) {
    (void)state;
    load("meta-llama/Llama-3.1-8B-Instruct");
    lp_serving s;
    lp_serving_init(&s);
    s.quantization = "fp8";
    plan_ok(gpu("H100"), &s, &plan);
    lp_assert_near(plan.ranks[0].weights_bytes, 9.08e9 + ROPE_LLAMA8B, 0.02e9);
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

/* ---- hybrid models, quantized storage, start-up failures ------------------------------------ */

static void load_json(const char *json) {
    lp_error err;
    if (lp_model_from_config_json(json, strlen(json), "test", &model, &err) != LP_OK)
        fail_msg("config: %s", err.message);
}

static void load_shared_config(const char *name) {
    char rel[256], path[4096];
    snprintf(rel, sizeof rel, "fixtures/hf-configs/%s", name);
    lp_test_shared_path(rel, path, sizeof path); /* skips loudly without ../shared */
    lp_error err;
    if (lp_model_from_config_file(path, &model, &err) != LP_OK)
        fail_msg("%s: %s", name, err.message);
}

/*
 * Nemotron-H-56B (the real config in ../shared/fixtures): hybrid_override_pattern has 118
 * characters, 54 'M' (Mamba2), 10 '*' (attention), 54 '-' (relu2 MLP). Parameters, from vLLM's
 * module shapes (hidden 8192, vocab 131072 untied, inner 256 heads x 64 = 16384, 8 groups,
 * state 256, conv 4): Mamba2 layer = in_proj 8192 x (2 x 16384 + 2 x 8 x 256 + 256) + out_proj
 * 16384 x 8192 + conv 20480 x 4 + conv bias 20480 + dt_bias/A/D 3 x 256 + norm 16384 =
 * 438,424,320; attention layer 150,994,944; MLP layer 2 x 8192 x 32768 = 536,870,912; one norm
 * of 8192 per layer, final norm 8192, embedding and lm_head 2 x 131072 x 8192:
 * 56,324,350,464 in all ("56B").
 * KV at TP 4 (vllm_internals.md (b), mamba_utils.mamba2_state_shape): Mamba page = conv 3 x
 * (16384 + 2 x 8 x 256) / 4 x 2 B = 30,720 + SSM (256 / 4) x 64 x 256 x 2 B = 2,097,152 ->
 * 2,127,872 B; attention 2 KV heads x 128 x 2 (K, V) x 2 B = 1,024 B per token, so the block
 * grows to 16 x cdiv(2,127,872, 16 x 1,024) = 2,080 tokens. Groups: min(10, 54) = 10 layers a
 * group, 1 attention group + cdiv(54, 10) = 6 Mamba groups. One request of 8,192 tokens takes
 * cdiv(8192, 2080) = 4 attention blocks + 6 Mamba blocks = 10 blocks.
 */
static void test_hybrid_nemotron_h(void **state) {
    (void)state;
    load_shared_config("nvidia__Nemotron-H-56B-Base-8K.config.json");
    int64_t kinds[6];
    lp_model_layer_kind_counts(&model, kinds);
    assert_int_equal(kinds[LP_ATTN_MAMBA], 54);
    assert_int_equal(kinds[LP_ATTN_FULL], 10);
    assert_int_equal(kinds[LP_ATTN_NONE], 54);
    assert_int_equal(model.params_total, 56324350464LL);
    lp_serving s;
    lp_serving_init(&s);
    s.tensor_parallel_size = 4;
    s.max_model_len = 8192;
    plan_ok(gpu("H100"), &s, &plan);
    assert_int_equal(plan.block_size, 2080);
    assert_int_equal(plan.kv_groups, 7);
    assert_int_equal(plan.kv_group_size, 10);
    assert_int_equal(plan.blocks_per_request, 10);
    lp_assert_near(plan.ranks[0].kv_bytes_per_block, 10.0 * 2080.0 * 1024.0, 0.0);
    lp_assert_near(plan.max_concurrency, (double)plan.kv_blocks / 10.0, 1e-9);
    /* _report_kv_cache_config: tokens = concurrency x max_model_len, not GiB / bytes per token */
    assert_int_equal(plan.kv_tokens, (int64_t)((double)plan.kv_blocks / 10.0 * 8192.0));
    /* a request of 1,088 tokens takes cdiv(1088, 2080) = 1 attention block + 6 state blocks:
     * kv_blocks / 7 of them fit, far fewer than kv_tokens / 1088 */
    lp_assert_near(lp_mem_plan_requests_at(&plan, &model, 1088), (double)plan.kv_blocks / 7.0,
                   1e-9);
}

/*
 * Gated DeltaNet (Qwen3-Next layout, with the float32 SSM state Qwen3.5 configs ask for via
 * mamba_ssm_dtype): at TP 4, conv (2 x 16 x 128 + 32 x 128) / 4 x 3 x 2 B = 12,288 + state
 * 32 / 4 x 128 x 128 x 4 B = 524,288 -> 536,576 B; attention 1 KV head x 256 x 2 x 2 B = 1,024 B
 * a token, so block 16 x cdiv(536,576, 16,384) = 528 (the derivation quoted in
 * reference/vllm_internals.md (b)). 48 layers, full attention every 4th: 12 + 36 -> 3 Mamba
 * groups of 12.
 */
static void test_hybrid_gdn(void **state) {
    (void)state;
    load_json("{\"model_type\":\"qwen3_next\",\"architectures\":[\"Qwen3NextForCausalLM\"],"
              "\"hidden_size\":2048,\"num_hidden_layers\":48,\"vocab_size\":151936,"
              "\"num_attention_heads\":16,\"num_key_value_heads\":2,\"head_dim\":256,"
              "\"intermediate_size\":5120,\"num_experts\":512,\"num_experts_per_tok\":10,"
              "\"moe_intermediate_size\":512,\"shared_expert_intermediate_size\":512,"
              "\"full_attention_interval\":4,\"linear_num_key_heads\":16,"
              "\"linear_num_value_heads\":32,\"linear_key_head_dim\":128,"
              "\"linear_value_head_dim\":128,\"linear_conv_kernel_dim\":4,"
              "\"mamba_ssm_dtype\":\"float32\",\"max_position_embeddings\":262144,"
              "\"torch_dtype\":\"bfloat16\"}");
    lp_serving s;
    lp_serving_init(&s);
    s.tensor_parallel_size = 4;
    s.max_model_len = 32768;
    plan_ok(gpu("H100"), &s, &plan);
    assert_int_equal(plan.block_size, 528);
    assert_int_equal(plan.kv_group_size, 12);
    assert_int_equal(plan.kv_groups, 4);
    /* cdiv(32768, 528) = 63 attention blocks + 3 state blocks */
    assert_int_equal(plan.blocks_per_request, 66);
}

/*
 * Meta's Llama-3.1-405B-Instruct-FP8 keeps every attention projection and the MLPs of layers 0
 * and 125 in bf16 (its modules_to_not_convert). Per GPU at TP 8, by hand: attention 126 x
 * (2 x 16384 x 16384 + 2 x 16384 x 1024) / 8 x 2 B, two bf16 MLPs 2 x 3 x 16384 x 53248 / 8 x
 * 2 B, embedding and lm_head 2 x 128256 / 8 x 16384 x 2 B, norms; 124 FP8 MLPs x 3 x 16384 x
 * 53248 / 8 x 1 B plus one fp32 scale per output channel: 60,910,911,488 B = 56.73 GiB (all FP8
 * would be ~47.8 GiB).
 */
static void test_quant_kept_modules(void **state) {
    (void)state;
    load("meta-llama/Llama-3.1-405B-Instruct-FP8");
    assert_int_equal(model.quant.keep[0], LP_KEEP_ATTN | LP_KEEP_MLP);
    assert_int_equal(model.quant.keep[60], LP_KEEP_ATTN);
    assert_int_equal(model.quant.keep[125], LP_KEEP_ATTN | LP_KEEP_MLP);
    lp_serving s;
    lp_serving_init(&s);
    s.tensor_parallel_size = 8;
    plan_ok(gpu("H100"), &s, &plan);
    lp_assert_near(plan.ranks[0].weights_bytes, 60910911488.0, 60910911488.0 * 0.001);
}

/* compressed-tensors ignore (regexes as Kimi-K2.5 writes them): attention and dense MLPs stay
 * bf16, so only routed experts are quantized; lm_head is not a decoder layer. */
static void test_quant_ignore_regex(void **state) {
    (void)state;
    load_json("{\"model_type\":\"qwen3_moe\",\"hidden_size\":1024,\"num_hidden_layers\":4,"
              "\"vocab_size\":1000,\"num_attention_heads\":8,\"num_key_value_heads\":2,"
              "\"head_dim\":128,\"intermediate_size\":2048,\"num_experts\":8,"
              "\"num_experts_per_tok\":2,\"moe_intermediate_size\":256,\"mlp_only_layers\":[0],"
              "\"torch_dtype\":\"bfloat16\",\"quantization_config\":{\"quant_method\":"
              "\"compressed-tensors\",\"format\":\"pack-quantized\",\"config_groups\":{"
              "\"group_0\":{\"targets\":[\"Linear\"],\"weights\":{\"num_bits\":4,\"type\":\"int\","
              "\"strategy\":\"group\",\"group_size\":32}}},\"ignore\":[\"lm_head\","
              "\"re:.*self_attn.*\",\"re:.*mlp\\\\.(gate|up|gate_up|down)_proj.*\"]}}");
    assert_int_equal(model.quant.keep[0], LP_KEEP_ATTN | LP_KEEP_MLP);
    assert_int_equal(model.quant.keep[1], LP_KEEP_ATTN);
    assert_true(model.quant.experts_only);
}

/* Python's json module writes NaN / Infinity literals (Nemotron-H's time_step_limit): they are
 * read as null, whatever their length, and the rest of the config as usual. */
static void test_config_nonfinite_literals(void **state) {
    (void)state;
    load_json("{\"model_type\":\"llama\",\"hidden_size\":512,\"num_hidden_layers\":2,"
              "\"vocab_size\":1000,\"num_attention_heads\":8,\"intermediate_size\":1024,"
              "\"a\":NaN,\"b\":[-Infinity,Infinity],\"c\":\"NaN\",\"torch_dtype\":"
              "\"bfloat16\"}");
    assert_int_equal(model.hidden_size, 512);
    assert_int_equal(model.num_layers, 2);
}

/* MXFP4 experts on Marlin (compute capability < 9: A100) are allocated with the intermediate
 * size rounded up to 128 and the hidden size to 256 (mxfp4.py create_weights): gpt-oss-20b's
 * 24 x 32 experts of 3 x 2944 x 3072 elements x 0.53125 B = 11,069,816,832 B. On H100 the
 * triton_kernels backend leaves 2880 (a multiple of 64) unpadded, 24 x 32 x 3 x 2880^2 x 0.53125
 * = 10,152,345,600 B, but keeps the loaded scales beside their swizzled copy, whose rows are
 * padded to 256: w13 5888 x 90 + w2 3072 x 90 = 806,400 B per expert, x 768 = 619,315,200 B,
 * 10,771,660,800 B in all. Difference: 298,156,032 B. That is vLLM 0.11.0 (torch 2.8.0: the
 * values keep their strided layout); the rotary cache is the same on both GPUs. */
static void test_mxfp4_backend_padding(void **state) {
    (void)state;
    load("openai/gpt-oss-20b");
    lp_serving s;
    lp_serving_init(&s);
    s.vllm_version = LP_VLLM_VERSION(0, 11, 0);
    plan_ok(gpu("A100 80GB"), &s, &plan);
    plan_ok(gpu("H100"), &s, &plan2);
    lp_assert_near(plan.ranks[0].weights_bytes - plan2.ranks[0].weights_bytes, 298156032.0, 1e4);
}

/*
 * gpt-oss-20b at TP 4 on H100, vLLM 0.19 (torch 2.10: triton_kernels swizzles the MXFP4 values),
 * counted by hand from config.json (hidden 2880, 24 layers, 64 q / 8 KV heads of 64, vocab
 * 201,088 = 3,142 x 64, 32 experts of width 2880, untied lm_head, biases, sinks). One rank holds:
 * - embedding and lm_head, 201,088 / 4 = 50,272 rows x 2880 x 2 B = 289,566,720 B each;
 *   final norm 2880 x 2 B = 5,760 B;
 * - per layer, attention: q and o 2 x 2880 x 4096, k and v 2 x 2880 x 512, all split in four
 *   (8 KV heads / 4 = 2 per rank): 26,542,080 / 4 x 2 B = 13,271,040 B;
 * - per layer, whole on every rank in bf16: qkv bias 5,120, o bias 2,880, sinks 64, two norms
 *   5,760, router 2880 x 32 + 32, expert biases 32 x (2 x 2880 + 2880) = 276,480: 382,496
 *   parameters = 764,992 B (vLLM holds the expert biases as fp32 of the padded width, 565,248 B
 *   instead of 552,960: not modelled, 12 kB a layer);
 * - per layer, 32 experts of intermediate 2880 / 4 = 720, padded to 768 (round_up(720, 64),
 *   create_weights' triton branch). Per expert: swizzled values (HopperMXValueLayout pads the
 *   packed axis to 64 and the other to 256): w13 1472 (1440 -> 64) x 1536 = 2,260,992 B, w2
 *   384 x 3072 (2880 -> 256) = 1,179,648 B; scales as loaded w13 1536 x 90 + w2 2880 x 24 =
 *   207,360 B; their swizzled copy w13 1536 x 90 + w2 3072 x 24 = 211,968 B. 3,859,968 B x 32 =
 *   123,518,976 B;
 * - a layer: 137,555,008 B; 24 layers: 3,301,320,192 B;
 * - the rotary cache gpt_oss.py builds in float32: YaRN 4096 x 32 = 131,072 positions x 64 x
 *   4 B = 33,554,432 B.
 * Total 3,914,013,824 B = 3.645 GiB; vLLM 0.19 logs "Model loading took 3.63 GiB"
 * (kv_capacity_2.tsv, +0.4 %). Without the value padding it would be 3,819,641,984 B = 3.557 GiB
 * (-2.0 %).
 */
static void test_mxfp4_hopper_tp4(void **state) {
    (void)state;
    load("openai/gpt-oss-20b");
    lp_serving s;
    lp_serving_init(&s);
    s.tensor_parallel_size = 4;
    s.vllm_version = LP_VLLM_VERSION(0, 19, 0);
    plan_ok(gpu("H100"), &s, &plan);
    lp_assert_near(plan.ranks[0].weights_bytes, 3914013824.0, 1e3);
    /* 0.11.0 (torch 2.8.0) keeps the values as loaded: 32 x 24 x 122,880 B = 94,371,840 B less */
    s.vllm_version = LP_VLLM_VERSION(0, 11, 0);
    plan_ok(gpu("H100"), &s, &plan2);
    lp_assert_near(plan.ranks[0].weights_bytes - plan2.ranks[0].weights_bytes, 94371840.0, 1.0);
}

/* The rotary cache follows --dtype: Llama-3.1-8B in float32 holds 2 x 16,060,522,496 B of
 * weights and a 131,072 x 128 x 4 B = 67,108,864 B cache: 32,188,153,856 B = 29.977 GiB (vLLM
 * 0.19 logs 29.98 GiB, kv_capacity.tsv). */
static void test_rope_cache_dtype(void **state) {
    (void)state;
    load("meta-llama/Llama-3.1-8B-Instruct");
    lp_serving s;
    lp_serving_init(&s);
    s.dtype = LP_DTYPE_FP32;
    plan_ok(gpu("H100"), &s, &plan);
    lp_assert_near(plan.ranks[0].weights_bytes, 2.0 * 16060522496.0 + 67108864.0, 1.0);
}

/* partial_rotary_factor shrinks the cache's width (get_rope rotary_dim = head_dim x factor);
 * Nemotron-H attention has no rotary embedding at all (nemotron_h.py). A factor outside (0, 1]
 * is refused, naming the field. */
static void test_rope_partial_and_none(void **state) {
    (void)state;
    load_json("{\"model_type\":\"llama\",\"hidden_size\":512,\"num_hidden_layers\":2,"
              "\"vocab_size\":1000,\"num_attention_heads\":8,\"intermediate_size\":1024,"
              "\"partial_rotary_factor\":0.25,\"torch_dtype\":\"bfloat16\"}");
    assert_int_equal(model.head_dim, 64);
    assert_int_equal(model.rotary_dim, 16);
    load_json("{\"model_type\":\"llama\",\"hidden_size\":512,\"num_hidden_layers\":2,"
              "\"vocab_size\":1000,\"num_attention_heads\":8,\"intermediate_size\":1024,"
              "\"torch_dtype\":\"bfloat16\"}");
    assert_int_equal(model.rotary_dim, 64);
    const char *bad = "{\"model_type\":\"llama\",\"hidden_size\":512,\"num_hidden_layers\":2,"
                      "\"vocab_size\":1000,\"num_attention_heads\":8,\"intermediate_size\":"
                      "1024,\"partial_rotary_factor\":1.5}";
    lp_error err;
    assert_int_not_equal(lp_model_from_config_json(bad, strlen(bad), "test", &model, &err), LP_OK);
    assert_non_null(strstr(err.message, "partial_rotary_factor"));
    char path[4096];
    lp_test_shared_path("fixtures/hf-configs/nvidia__Nemotron-H-56B-Base-8K.config.json", path,
                        sizeof path);
    if (lp_model_from_config_file(path, &model, &err) != LP_OK)
        fail_msg("%s: %s", path, err.message);
    assert_int_equal(model.rotary_dim, 0);
}

/* Mistral-format Pixtral (mistralai/ repos, v0.11+): the vision encoder (403,305,472) and adapter
 * (35,652,608) are plain nn.Linear, held whole by every TP rank: at TP 4 each rank holds 3/4 of
 * them more than when sharded, 438,958,080 x 0.75 x 2 B = 658,437,120 B. */
static void test_pixtral_replicated(void **state) {
    (void)state;
    load("mistralai/Mistral-Small-3.1-24B-Instruct-2503");
    lp_serving s;
    lp_serving_init(&s);
    s.tensor_parallel_size = 4;
    s.vllm_version = LP_VLLM_VERSION(0, 19, 0);
    plan_ok(gpu("H100"), &s, &plan);
    s.vllm_version = LP_VLLM_VERSION(0, 10, 0);
    plan_ok(gpu("H100"), &s, &plan2);
    lp_assert_near(plan.ranks[0].weights_bytes - plan2.ranks[0].weights_bytes, 658437120.0, 1.0);
}

/*
 * Failure after the KV pool is allocated: Llama-3.1-8B on an L4 (21.96 GiB) at
 * --gpu-memory-utilization 0.99, vLLM 0.11, 8,192 tokens: the KV cache of one request (1 GiB)
 * fits, but what is left afterwards, (1 - 0.99) x 21.96 = 0.22 GiB plus the freed activation
 * peak, cannot hold the CUDA graphs and the sampler warm-up with min(256, 2048) = 256 requests
 * (gpu_model_runner._dummy_sampler_run raises the message below). At 0.90 it starts.
 */
static void test_warmup_failure(void **state) {
    (void)state;
    load("meta-llama/Llama-3.1-8B-Instruct");
    lp_serving s;
    lp_serving_init(&s);
    s.vllm_version = LP_VLLM_VERSION(0, 11, 0);
    s.max_model_len = 8192;
    s.gpu_memory_utilization = 0.99;
    plan_ok(gpu("L4"), &s, &plan);
    assert_true(plan.ranks[0].kv_cache_bytes > 1.0 * GIB);
    assert_false(plan.fits);
    assert_true(plan.warmup_fails);
    assert_int_equal(plan.failure, LP_MEM_FAIL_WARMUP);
    assert_non_null(strstr(plan.vllm_error, "CUDA out of memory occurred when warming up sampler "
                                            "with 256 dummy requests"));
    lp_error err;
    assert_int_equal(lp_mem_plan_infeasible(&plan, &err), LP_ERR_INFEASIBLE);
    s.gpu_memory_utilization = 0.90;
    plan_ok(gpu("L4"), &s, &plan);
    assert_true(plan.fits);
    assert_false(plan.warmup_fails);
}

/*
 * The three ways a start-up runs out before the warm-up, in the order vLLM meets them, for
 * Llama-3.1-70B-Instruct in bf16 (70,553,706,496 parameters, model_configs.md: 131.4 GiB) on
 * H100s (79.18 GiB each), vLLM 0.19, max-model-len 131,072:
 * - one GPU: 131.4 GiB of weights exceed the device: load_model runs out of memory;
 * - TP 2 at utilization 0.8: 65.7 GiB a GPU load, but the budget is 0.8 x 79.18 = 63.3 GiB:
 *   nothing for the KV cache ("No available memory for the cache blocks");
 * - TP 2 at 0.9: 71.3 - 65.7 - activation and non-torch (about 4 GiB) leave about 1.6 GiB of
 *   KV cache, but one request needs 131,072 x 80 layers x 2 (K, V) x 4 KV heads a GPU x 128 x
 *   2 B = 20 GiB ("To serve at least one request ...");
 * - TP 4 at 0.9: 32.9 GiB of weights and about 34 GiB of KV cache, one request 10 GiB: starts.
 */
static void test_failure_causes(void **state) {
    (void)state;
    load("meta-llama/Llama-3.1-70B-Instruct");
    lp_serving s;
    lp_serving_init(&s);
    s.vllm_version = LP_VLLM_VERSION(0, 19, 0);
    s.max_model_len = 131072;
    lp_error err;
    plan_ok(gpu("H100"), &s, &plan);
    assert_false(plan.fits);
    assert_int_equal(plan.failure, LP_MEM_FAIL_WEIGHTS);
    assert_non_null(strstr(plan.vllm_error, "out of memory while loading the model weights"));
    assert_int_equal(lp_mem_plan_infeasible(&plan, &err), LP_ERR_INFEASIBLE);
    assert_non_null(strstr(err.message, "the weights do not load"));
    s.tensor_parallel_size = 2;
    s.gpu_memory_utilization = 0.8;
    plan_ok(gpu("H100"), &s, &plan);
    assert_int_equal(plan.failure, LP_MEM_FAIL_NO_KV);
    assert_non_null(strstr(plan.vllm_error, "No available memory for the cache blocks"));
    s.gpu_memory_utilization = 0.9;
    plan_ok(gpu("H100"), &s, &plan);
    assert_int_equal(plan.failure, LP_MEM_FAIL_KV_SHORT);
    assert_non_null(strstr(plan.vllm_error, "To serve at least one request"));
    lp_assert_near(plan.needed_bytes, 21474836480.0, 16.0 * 80 * 2 * 4 * 128 * 2);
    s.tensor_parallel_size = 4;
    plan_ok(gpu("H100"), &s, &plan);
    assert_true(plan.fits);
    assert_int_equal(plan.failure, LP_MEM_STARTS);
}

/* vLLM's own start-up refusals (SchedulerConfig._verify_args; attention backends' assert that
 * query heads divide evenly over KV heads). */
static void test_startup_refusals(void **state) {
    (void)state;
    load("meta-llama/Llama-3.1-8B-Instruct");
    lp_serving s;
    lp_serving_init(&s);
    s.max_num_batched_tokens = 16;
    s.max_num_seqs = 256;
    lp_error err;
    assert_int_equal(lp_mem_plan_compute(&model, gpu("H100"), &s, &plan, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "max_num_batched_tokens (16) must be greater than or "
                                        "equal to max_num_seqs (256)"));
    /* without --max-num-seqs vLLM lowers the default to the token budget instead */
    s.max_num_seqs = 0;
    plan_ok(gpu("H100"), &s, &plan);
    assert_int_equal(plan.max_num_seqs, 16);
    load_json("{\"model_type\":\"llama\",\"hidden_size\":1536,\"num_hidden_layers\":2,"
              "\"vocab_size\":1000,\"num_attention_heads\":12,\"num_key_value_heads\":5,"
              "\"intermediate_size\":4096,\"torch_dtype\":\"bfloat16\"}");
    lp_serving_init(&s);
    assert_int_equal(lp_mem_plan_compute(&model, gpu("H100"), &s, &plan, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "not a multiple of num_key_value_heads (5)"));
}

/* vLLM 0.8 (V1, before get_batch_defaults): `vllm serve` gets 2048 tokens and 256 sequences on
 * every GPU; the v0.8.5 start-up log in ../shared/fixtures says "Chunked prefill is enabled with
 * max_num_batched_tokens=2048". */
static void test_batch_defaults_v08(void **state) {
    (void)state;
    int t, q;
    lp_mem_default_batch(gpu("H100"), LP_VLLM_VERSION(0, 8, 5), &t, &q);
    assert_int_equal(t, 2048);
    assert_int_equal(q, 256);
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
        cmocka_unit_test(test_gemma4_page_unification),
        cmocka_unit_test(test_mla_page),
        cmocka_unit_test(test_batch_defaults),
        cmocka_unit_test(test_pipeline_split),
        cmocka_unit_test(test_cuda_graph_versions),
        cmocka_unit_test(test_online_fp8),
        cmocka_unit_test(test_quant_mismatch),
        cmocka_unit_test(test_bf16_on_t4),
        cmocka_unit_test(test_suggestions),
        cmocka_unit_test(test_hybrid_nemotron_h),
        cmocka_unit_test(test_hybrid_gdn),
        cmocka_unit_test(test_quant_kept_modules),
        cmocka_unit_test(test_quant_ignore_regex),
        cmocka_unit_test(test_config_nonfinite_literals),
        cmocka_unit_test(test_mxfp4_backend_padding),
        cmocka_unit_test(test_mxfp4_hopper_tp4),
        cmocka_unit_test(test_rope_cache_dtype),
        cmocka_unit_test(test_failure_causes),
        cmocka_unit_test(test_rope_partial_and_none),
        cmocka_unit_test(test_pixtral_replicated),
        cmocka_unit_test(test_warmup_failure),
        cmocka_unit_test(test_startup_refusals),
        cmocka_unit_test(test_batch_defaults_v08),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
