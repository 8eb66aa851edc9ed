/*
 * test_model_arch.c - architectures added beside the first families: Gemma 1, Granite 3.x
 * (dense and MoE), Kimi-K2 (DeepSeek-V3 under its own model_type, wrapped by Kimi-K2.5) and
 * GLM-4.5 (glm4_moe), plus the llm-compressor checkpoint names (w8a8, w4a16).
 *
 * Real configs are read from ../shared/fixtures (published files, never copied here); the
 * expected sizes come from the same checkpoints' own files (safetensors index total_size,
 * the LFS pointer's byte size) or from counts worked out by hand in the comments.
 */
#include "support/lp_test.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmplan/model.h"

static lp_model *load_fixture(const char *rel) {
    char path[1024];
    lp_test_shared_path(rel, path, sizeof path);
    lp_model *m = calloc(1, sizeof *m);
    assert_non_null(m);
    lp_error err;
    lp_error_clear(&err);
    if (lp_model_from_config_file(path, m, &err) != LP_OK) {
        free(m);
        fail_msg("%s: %s", rel, err.message);
    }
    return m;
}

static lp_model *load_id(const char *id) {
    lp_model *m = calloc(1, sizeof *m);
    assert_non_null(m);
    lp_error err;
    lp_error_clear(&err);
    if (lp_catalog_load(id, m, &err) != LP_OK) {
        free(m);
        fail_msg("%s: %s", id, err.message);
    }
    return m;
}

/* Gemma 1 (google/gemma-2b-it): MQA, head_dim 256, tied embeddings. Its safetensors index
 * says total_size 5,012,344,832 bytes of bf16 = 2,506,172,416 parameters; by hand:
 * embed 256000 x 2048 = 524,288,000; per layer q 2048x2048 + k,v 2 x 256x2048 + o 2048x2048
 * = 9,437,184, MLP 3 x 2048 x 16384 = 100,663,296, 2 norms 4,096 -> 110,104,576 x 18 =
 * 1,981,882,368; + final norm 2,048 = 2,506,172,416. */
static void test_gemma1(void **state) {
    (void)state;
    lp_model *m = load_fixture("fixtures/hf-configs/google__gemma-2b-it.config.json");
    char path[1024];
    lp_test_shared_path("fixtures/hf-index/google__gemma-2b-it.model.safetensors.index.json", path,
                        sizeof path);
    json_error_t jerr;
    json_t *idx = json_load_file(path, 0, &jerr);
    assert_non_null(idx);
    json_int_t total_size =
        json_integer_value(json_object_get(json_object_get(idx, "metadata"), "total_size"));
    json_decref(idx);
    assert_int_equal(total_size, INT64_C(5012344832));
    assert_int_equal(m->params_total, total_size / 2);
    assert_int_equal(m->params_total, INT64_C(2506172416));
    assert_int_equal(m->num_kv_heads, 1);
    assert_int_equal(m->head_dim, 256);
    assert_true(m->tie_word_embeddings);
    /* KV per token: 18 layers x 1 head x 256 x 2 (K and V) x 2 bytes = 18,432 */
    lp_assert_near(lp_model_kv_bytes_per_token(m, LP_DTYPE_BF16), 18432, 0);
    free(m);
}

/* Granite 3.1 MoE (ibm-granite/granite-3.1-1b-a400m-instruct): 32 experts of 512, top 8.
 * Its single bf16 model.safetensors is 2,669,283,096 bytes (LFS pointer): parameters x 2 plus
 * a JSON header of some tens of KB. By hand: embed 49155 x 1024 = 50,334,720 (tied); per layer
 * attention 1024x1024 x 2 + 512x1024 x 2 = 3,145,728, experts 32 x 3 x 1024 x 512 = 50,331,648,
 * router 32 x 1024 = 32,768, norms 2,048 -> 53,512,192 x 24 = 1,284,292,608; + final norm
 * 1,024 = 1,334,628,352. Active: 8 of 32 experts -> minus 24 x 24 x 1,572,864. */
static void test_granite_moe(void **state) {
    (void)state;
    lp_model *m =
        load_fixture("fixtures/hf-configs/ibm-granite__granite-3.1-1b-a400m-instruct.config.json");
    assert_int_equal(m->params_total, INT64_C(1334628352));
    assert_int_equal(m->params_active, INT64_C(1334628352) - INT64_C(24) * 24 * 1572864);
    assert_int_equal(m->num_experts, 32);
    assert_int_equal(m->experts_per_tok, 8);
    assert_int_equal(m->moe_intermediate_size, 512);
    char path[1024];
    lp_test_shared_path("fixtures/hf-index/"
                        "ibm-granite__granite-3.1-1b-a400m-instruct.model.safetensors.lfs-pointer",
                        path, sizeof path);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[256];
    long long bytes = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "size %lld", &bytes) == 1)
            break;
    fclose(f);
    assert_int_equal(bytes, 2669283096LL);
    long long header = bytes - 2 * (long long)m->params_total;
    assert_true(header > 0 && header < 1000000);
    free(m);
}

/* Granite 3.x dense in the catalog: the 8B is published as 8,170,864,640 parameters; by hand
 * embed 49155 x 4096 = 201,338,880 (tied); per layer 4096x4096 x 2 + 1024x4096 x 2 +
 * 3 x 4096 x 12800 + 2 x 4096 = 199,237,632 x 40 = 7,969,505,280; + 4,096 = 8,170,848,256
 * for vocab 49155 -- the published count is vocab 49159 (3.3): + 4 x 4096 = 8,170,864,640. */
static void test_granite_dense(void **state) {
    (void)state;
    lp_model *m = load_id("ibm-granite/granite-3.3-8b-instruct");
    assert_int_equal(m->params_total, INT64_C(8170864640));
    free(m);
    m = load_id("ibm-granite/granite-3.1-8b-instruct");
    assert_int_equal(m->params_total, INT64_C(8170848256));
    free(m);
}

/* Kimi-K2.5 (moonshotai/Kimi-K2.5): the kimi_k25 wrapper's text_config is model_type kimi_k2,
 * DeepSeek-V3's layout with 384 routed experts, 64 heads and one dense layer. MLA caches
 * kv_lora_rank 512 + qk_rope_head_dim 64 per layer: 61 x 576 x 2 bytes = 70,272 per token. */
static void test_kimi(void **state) {
    (void)state;
    lp_model *m = load_fixture("fixtures/hf-configs/moonshotai__Kimi-K2.5.config.json");
    assert_true(m->use_mla);
    assert_int_equal(m->num_layers, 61);
    assert_int_equal(m->num_experts, 384);
    assert_int_equal(m->experts_per_tok, 8);
    assert_int_equal(m->num_shared_experts, 1);
    assert_int_equal(m->layer_moe[0], 0);
    assert_int_equal(m->layer_moe[1], 1);
    lp_assert_near(lp_model_kv_bytes_per_token(m, LP_DTYPE_BF16), 70272, 0);
    /* "1T total parameters, 32B activated" (model card): within a few percent */
    assert_true(m->params_total > 1.00e12 && m->params_total < 1.06e12);
    assert_true(m->params_active > 31e9 && m->params_active < 34e9);
    free(m);
}

/* GLM-4.5 (zai-org/GLM-4.5): 92 layers, the first 3 dense; 160 experts of 1536 + 1 shared;
 * GQA 96 x 128 with 8 KV heads and qkv bias, q/k norms. By hand (MTP layer excluded, as
 * vLLM loads it only for speculative decoding), term by term below:
 *   embed + lm_head 2 x 151552 x 5120 = 1,551,892,480
 *   attention per layer 5120x12288 x 2 + 5120x1024 x 2 + qkv bias 14,336 + q/k norms 256
 *     = 136,329,472, and 2 norms of 5120
 *   3 dense MLPs of 3 x 5120 x 12288; 89 MoE layers of 160 x 3 x 5120 x 1536 experts, one
 *   shared expert of the same width, router 160 x 5120 and its 160 correction biases
 *   = 352,797,... (about 352.8 B). KV per token: 92 x 8 x 128 x 2 x 2 = 376,832. */
static void test_glm45(void **state) {
    (void)state;
    lp_model *m = load_id("zai-org/GLM-4.5");
    const int64_t H = 5120, V = 151552, L = 92, dense = 3, E = 160, MI = 1536, I = 12288;
    int64_t attn = H * 96 * 128 * 2 + H * 8 * 128 * 2 + (96 * 128 + 2 * 8 * 128) + 2 * 128;
    int64_t moe = E * 3 * H * MI + 3 * H * MI + E * H + E; /* experts, shared, router, bias */
    int64_t expect = 2 * V * H + L * (attn + 2 * H) + dense * 3 * H * I + (L - dense) * moe + H;
    assert_int_equal(m->params_total, expect);
    /* "355B total parameters" counts the MTP layer (about one MoE layer, 3.8B) too */
    assert_true(fabs((double)m->params_total + (double)(attn + moe) - 355e9) < 0.01 * 355e9);
    assert_int_equal(m->num_kv_heads, 8);
    assert_true(m->qkv_bias);
    assert_false(m->o_bias);
    assert_true(m->qk_norm);
    assert_false(m->use_mla);
    lp_assert_near(lp_model_kv_bytes_per_token(m, LP_DTYPE_BF16), 376832, 0);
    free(m);
    /* GLM-4.5-Air: "106B total, 12B active"; no q/k norms */
    m = load_id("zai-org/GLM-4.5-Air");
    assert_false(m->qk_norm);
    assert_true(m->params_total > 105e9 && m->params_total < 108e9);
    free(m);
}

/* Phi-2 (microsoft/phi-2, model card "2.7 billion parameters", HF count 2,779,683,840): by
 * hand embed and untied lm_head 2 x 51200 x 2560 = 262,144,000 + lm_head bias 51,200; per
 * layer q/k/v 3 x (2560x2560 + 2560) = 19,668,480, dense 6,553,600 + 2,560, fc1 2560x10240
 * + 10,240, fc2 10240x2560 + 2,560, one LayerNorm with bias 5,120 -> 78,671,360 x 32 =
 * 2,517,483,520; final LayerNorm 5,120. Total 2,779,683,840. MHA: 32 x 80 x 2 x 32 x 2 bytes
 * = 327,680 KV bytes per token. */
static void test_phi2(void **state) {
    (void)state;
    lp_model *m = load_id("microsoft/phi-2");
    assert_int_equal(m->params_total, INT64_C(2779683840));
    assert_false(m->gated_mlp);
    assert_true(m->lm_head_bias);
    lp_assert_near(lp_model_kv_bytes_per_token(m, LP_DTYPE_BF16), 327680, 0);
    free(m);
}

/* RedHatAI's llm-compressor names resolve to the base architecture with the scheme named. */
static void test_compressor_variants(void **state) {
    (void)state;
    lp_model *m = load_id("RedHatAI/Llama-3.3-70B-Instruct-quantized.w8a8");
    assert_int_equal(m->quant.method, LP_QUANT_INT8);
    assert_true(m->quant.activations);
    assert_string_equal(m->quant.vllm_name, "compressed-tensors");
    assert_int_equal(m->num_layers, 80);
    free(m);
    m = load_id("RedHatAI/Qwen2.5-7B-Instruct-quantized.w4a16");
    assert_int_equal(m->quant.method, LP_QUANT_INT4_W4A16);
    assert_int_equal(m->quant.bits, 4);
    assert_false(m->quant.activations);
    free(m);
}

/* Nemotron-3-Nano (nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16), model card "31.6B total, 3.2B
 * active (3.6B including embeddings)". By hand from vLLM nemotron_h.py's module shapes, hidden
 * 2688, vocab 131072 untied, pattern of 23 'M', 23 'E', 6 '*':
 *   embed + lm_head 2 x 131072 x 2688 = 704,643,072; one norm per layer 52 x 2688 + final 2688
 *   Mamba2 (inner 64 x 64 = 4096, 8 groups, state 128): in_proj 2688 x (2 x 4096 + 2 x 8 x 128
 *     + 64) = 27,697,152, conv 6144 x 4 + bias 6144, dt_bias/A/D 192, gated norm 4096,
 *     out_proj 4096 x 2688 = 11,010,048 -> 38,742,208 x 23
 *   attention: q, o 2 x 2688 x 4096 + k, v 2 x 2688 x 256 = 23,396,352 x 6
 *   MoE (relu2, not gated: up + down): 128 x 2 x 2688 x 1856 experts, shared 2 x 2688 x 3712,
 *     router 128 x 2688 + 128 correction biases = 1,297,465,472 x 23
 *   total 31,577,940,288 (31.6B); active: minus 122 of 128 experts in 23 layers
 *   = 3,580,076,352 (3.6B with embeddings).
 * KV per token: only the 6 attention layers, 2 KV heads x 128 x (K, V) x 2 B = 6,144 B. The SSM
 * state in float32 as the config's mamba_ssm_cache_dtype asks. The -FP8 release resolves to this
 * architecture through its -BF16 sibling. */
static void test_nemotron3_nano(void **state) {
    (void)state;
    lp_model *m = load_id("nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16");
    assert_int_equal(m->params_total, INT64_C(31577940288));
    assert_int_equal(m->params_active, INT64_C(3580076352));
    int64_t kinds[6];
    lp_model_layer_kind_counts(m, kinds);
    assert_int_equal(kinds[LP_ATTN_MAMBA], 23);
    assert_int_equal(kinds[LP_ATTN_FULL], 6);
    assert_int_equal(lp_model_num_moe_layers(m), 23);
    assert_int_equal(m->mamba_ssm_dtype, LP_DTYPE_FP32);
    lp_assert_near(lp_model_kv_bytes_per_token(m, LP_DTYPE_BF16), 6144, 0);
    free(m);
    m = load_id("nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-FP8");
    assert_int_equal(m->quant.method, LP_QUANT_FP8);
    assert_int_equal(m->num_layers, 52);
    free(m);
}

/* Llama-3.3-Nemotron-Super-49B (nemotron-nas, the real config in ../shared/fixtures). Its 80
 * block_configs, counted by hand: 49 layers with attention (n_heads_in_group 8: 64 / 8 = 8 KV
 * heads), 31 no-op attention; MLP ffn_mult 5.25 x 49, 2.625 x 6, 1.3125 x 10, 1.0 x 8, 0.5 x 6,
 * 3.28125 x 1, widths int(2 x mult x 8192 / 3) rounded up to 256: 28672, 14336, 7168, 5632
 * (5461 -> 5632), 2816 (2730 -> 2816), 17920. Parameters (vLLM nemotron_nas.py: Llama
 * attention and SwiGLU MLP, input_layernorm only with attention, post_attention_layernorm only
 * with an MLP):
 *   embed + lm_head 2 x 128256 x 8192 = 2,101,346,304
 *   attention 49 x (2 x 8192 x 8192 + 2 x 8192 x 1024) = 7,398,752,256
 *   MLP 3 x 8192 x (49 x 28672 + 6 x 14336 + 10 x 7168 + 8 x 5632 + 6 x 2816 + 17920)
 *     = 40,365,981,696
 *   norms (49 + 80 + 1) x 8192 = 1,064,960
 *   total 49,867,145,216 (HF model page: 49.9B params).
 * KV per token: 49 layers x 8 heads x 128 x (K, V) x 2 B = 200,704. */
static void test_nemotron_nas(void **state) {
    (void)state;
    lp_model *m =
        load_fixture("fixtures/hf-configs/nvidia__Llama-3_3-Nemotron-Super-49B-v1.config.json");
    assert_int_equal(m->params_total, INT64_C(49867145216));
    int64_t kinds[6];
    lp_model_layer_kind_counts(m, kinds);
    assert_int_equal(kinds[LP_ATTN_FULL], 49);
    assert_int_equal(kinds[LP_ATTN_NONE], 31);
    assert_int_equal(m->num_kv_heads, 8);
    assert_int_equal(m->intermediate_size, 28672); /* the widest, for the activation peak */
    lp_assert_near(lp_model_kv_bytes_per_token(m, LP_DTYPE_BF16), 200704, 0);
    free(m);
    m = load_id("nvidia/Llama-3_3-Nemotron-Super-49B-v1");
    assert_int_equal(m->params_total, INT64_C(49867145216));
    free(m);
    /* blocks vLLM does not build are refused, not sized as something else */
    static const char cfg[] =
        "{\"model_type\":\"nemotron-nas\",\"hidden_size\":1024,\"num_hidden_layers\":1,"
        "\"num_attention_heads\":8,\"vocab_size\":1000,\"block_configs\":[{\"attention\":"
        "{\"no_op\":false,\"replace_with_linear\":true},\"ffn\":{\"ffn_mult\":1.0}}]}";
    lp_model *x = calloc(1, sizeof *x);
    assert_non_null(x);
    lp_error err;
    assert_int_equal(lp_model_from_config_json(cfg, strlen(cfg), "t", x, &err), LP_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "replace_with_linear"));
    free(x);
}

/* DeepSeek-V3.2 (deepseek_v32): DeepSeek-V3's layout (671,026,419,200 parameters without the MTP
 * layer, model_configs.md section 5; 37,552,297,472 active) plus, in each of the 61 MLA layers,
 * the lightning indexer of vLLM deepseek_v2.py Indexer: wq_b 1536 x (64 x 128) = 12,582,912,
 * wk 7168 x 128 = 917,504, k_norm weight + bias 256, weights_proj 7168 x 64 = 458,752 ->
 * 13,959,424 a layer, 851,524,864 in all: 671,877,944,064 total, 38,403,822,336 active.
 * KV per token and layer: bf16 latent (512 + 64) x 2 = 1,152 B + the indexer's K cache 128 fp8
 * + one 4-byte scale = 132 B -> 61 x 1,284 = 78,324 B; with --kv-cache-dtype fp8 the latent is
 * vLLM's fp8_ds_mla (512 + 512 / 128 x 4 + 64 x 2 = 656 B) -> 61 x 788 = 48,068 B. */
static void test_deepseek_v32(void **state) {
    (void)state;
    lp_model *m = load_id("deepseek-ai/DeepSeek-V3.2");
    assert_int_equal(m->params_total, INT64_C(671877944064));
    assert_int_equal(m->params_active, INT64_C(38403822336));
    assert_int_equal(m->index_topk, 2048);
    lp_assert_near(lp_model_kv_bytes_per_token(m, LP_DTYPE_BF16), 78324, 0);
    lp_assert_near(lp_model_kv_bytes_per_token(m, LP_DTYPE_FP8), 48068, 0);
    free(m);
    /* V3 itself has no indexer: its latent alone, 61 x 1,152 = 70,272 B */
    m = load_id("deepseek-ai/DeepSeek-V3");
    assert_int_equal(m->index_head_dim, 0);
    lp_assert_near(lp_model_kv_bytes_per_token(m, LP_DTYPE_BF16), 70272, 0);
    free(m);
}

/* Llama-3.2-11B-Vision (mllama), by hand from vLLM mllama.py / transformers' Mllama modules:
 * text: embed_tokens (128256 + 8) x 4096 = 525,369,344, lm_head 128256 x 4096 = 525,336,576;
 *   32 self-attention layers as Llama-3.1-8B's (q, o 4096 x 4096, k, v 4096 x 1024, MLP
 *   3 x 4096 x 14336, 2 norms) = 218,112,000 each; the 8 cross_attention_layers add q_norm and
 *   k_norm (128 each) and two gates = 218,112,258; final norm 4096 -> 9,775,192,080.
 * vision: patch conv 3 x 14 x 14 x 1280 = 752,640, class embedding 1280, positions 1601 x 1280
 *   = 2,049,280 + gate, tile embedding 9 x 4 x 1601 x 1280 = 73,774,080, pre/post tile
 *   embeddings 2 x (9 x 4 x 1280 + gate) = 92,162, layernorm_pre/post 5,120; 32 local layers of
 *   4 x 1280^2 + 1280 x 5120 + 5120 + 5120 x 1280 + 1280 + 2 x 2560 = 13,118,720 and 8 gated
 *   global layers of 13,118,722 -> 863,567,379; projector 7680 x 4096 + 4096 = 31,461,376.
 * Total 10,670,220,835 (model card: 10.6B; HF page: 10.7B). KV per token: vLLM's V0 cache
 * engine sizes all 40 layers alike (the cross-attention layers' slots hold the image's K/V):
 * 40 x 8 x 128 x 2 x 2 B = 163,840. */
static void test_mllama(void **state) {
    (void)state;
    lp_model *m = load_id("meta-llama/Llama-3.2-11B-Vision-Instruct");
    assert_int_equal(m->params_total, INT64_C(10670220835));
    assert_int_equal(m->params_vision, INT64_C(895028755));
    int64_t cross = 0;
    for (int64_t i = 0; i < m->num_layers; i++)
        cross += m->layer_cross_attn[i];
    assert_int_equal(cross, 8);
    assert_true(m->layer_cross_attn[3] && m->layer_cross_attn[38] && !m->layer_cross_attn[4]);
    lp_assert_near(lp_model_kv_bytes_per_token(m, LP_DTYPE_BF16), 163840, 0);
    free(m);
    /* the FP8-dynamic release the validation rows name resolves to this architecture */
    m = load_id("neuralmagic/Llama-3.2-11B-Vision-Instruct-FP8-dynamic");
    assert_int_equal(m->quant.method, LP_QUANT_FP8);
    assert_int_equal(m->num_layers, 40);
    free(m);
}

/* llava_next (LLaVA-NeXT, Granite Vision's layout: a granite text_config, a SigLIP tower, two
 * vision feature layers concatenated), small enough to count by hand:
 * text (tied): embed 100 x 64 = 6,400; per layer q, o 2 x 64 x 64 + k, v 2 x 64 x 32 = 12,288,
 *   MLP 3 x 64 x 128 = 24,576, 2 norms 128 -> 36,992 x 2 = 73,984; final norm 64 -> 80,448.
 * SigLIP: patch conv 3 x 8 x 8 x 32 + bias 32 + positions (32 / 8)^2 x 32 = 6,688; per layer
 *   4 x (32 x 32 + 32) + (32 x 48 + 48) + (48 x 32 + 32) + 2 x 64 = 7,504 x 2 = 15,008; post
 *   LayerNorm 64 -> 21,760. Projector: linear_1 (2 x 32) x 64, linear_2 64 x 64, biases 128 =
 *   8,320; image_newline 64. Vision 30,144; total 110,592. */
static void test_llava_next(void **state) {
    (void)state;
    static const char cfg[] =
        "{\"model_type\":\"llava_next\",\"vision_feature_layer\":[-2,-1],"
        "\"text_config\":{\"model_type\":\"granite\",\"hidden_size\":64,"
        "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
        "\"intermediate_size\":128,\"vocab_size\":100,\"tie_word_embeddings\":true},"
        "\"vision_config\":{\"model_type\":\"siglip_vision_model\",\"hidden_size\":32,"
        "\"intermediate_size\":48,\"num_hidden_layers\":2,\"patch_size\":8,"
        "\"image_size\":32}}";
    lp_model *m = calloc(1, sizeof *m);
    assert_non_null(m);
    lp_error err;
    assert_int_equal(lp_model_from_config_json(cfg, strlen(cfg), "t", m, &err), LP_OK);
    assert_int_equal(m->params_vision, 30144);
    assert_int_equal(m->params_total, 110592);
    free(m);
}

/* Qwen3.5-35B-A3B (qwen3_5_moe wrapping qwen3_5_moe_text), by hand from vLLM's Qwen3-Next /
 * Qwen3.5 modules, hidden 2048, vocab 248320 untied, 40 layers (3 Gated DeltaNet : 1 attention):
 *   embed + lm_head 2 x 248320 x 2048 = 1,017,118,720
 *   gated attention x 10: q (with its gate) 2048 x 16 x 256 x 2 = 16,777,216, k, v 2 x 2048 x 512
 *     = 2,097,152, o 4096 x 2048 = 8,388,608, q/k norms 512 -> 27,263,488
 *   Gated DeltaNet x 30: in_proj_qkvz 2048 x (2 x 2048 + 2 x 4096) = 25,165,824, in_proj_ba
 *     2048 x 64 = 131,072, conv 8192 x 4 = 32,768, dt_bias + A_log 64, norm 128, out_proj
 *     4096 x 2048 = 8,388,608 -> 33,718,464
 *   MoE x 40: 256 experts x 3 x 2048 x 512 = 805,306,368, shared expert 3,145,728, its gate
 *     2048, router 524,288 -> 808,978,432; 2 norms a layer, final norm
 *   text model 34,660,610,688 (MTP layer apart); active: minus 248 of 256 experts in 40 layers
 *   = 3,454,988,928 ("A3B").
 * Vision tower (transformers Qwen3_5VisionModel: Qwen3-VL's tower without DeepStack), depth 27,
 * hidden 1152, out 2048 from the file, the rest Qwen3_5MoeVisionConfig defaults (MLP 4304,
 * patch 16, temporal 2, 3 channels, merge 2, 2304 positions):
 *   patch Conv3d 3 x 2 x 16 x 16 x 1152 + bias 1152 = 1,770,624; positions 2304 x 1152 = 2,654,208
 *   block: 2 LayerNorms 4,608, qkv 1152 x 3456 + 3456 = 3,984,768, proj 1152^2 + 1152 = 1,328,256,
 *     fc1 1152 x 4304 + 4304 = 4,962,512, fc2 4304 x 1152 + 1152 = 4,959,360 -> 15,239,504 x 27
 *     = 411,466,608
 *   merger: LayerNorm 2,304, fc1 4608^2 + 4608 = 21,238,272, fc2 4608 x 2048 + 2048 = 9,439,232
 *   vision 446,571,248; total 35,107,181,936 ("35B"), active 3,901,560,176.
 * KV per token: 10 attention layers x 2 KV heads x 256 x 2 x 2 B = 20,480. */
static void test_qwen3_5(void **state) {
    (void)state;
    lp_model *m = load_id("Qwen/Qwen3.5-35B-A3B");
    assert_int_equal(m->params_vision, INT64_C(446571248));
    assert_int_equal(m->params_total, INT64_C(35107181936));
    assert_int_equal(m->params_active, INT64_C(3901560176));
    assert_int_equal(m->mixer, LP_MIXER_GDN);
    assert_int_equal(m->mamba_ssm_dtype, LP_DTYPE_FP32);
    lp_assert_near(lp_model_kv_bytes_per_token(m, LP_DTYPE_BF16), 20480, 0);
    free(m);
}

/* Qwen2-57B-A14B (qwen2_moe), by hand: hidden 3584, vocab 151936 untied, 28 layers:
 *   embed + lm_head 2 x 151936 x 3584 = 1,089,077,248; final norm 3584
 *   attention: q and o 3584 x 3584 = 12,845,056 each, k and v 3584 x 512 = 1,835,008 each, q/k/v
 *     biases 3584 + 2 x 512 = 4,608 -> 29,364,736
 *   MoE: 64 experts x 3 x 3584 x 2560 = 1,761,607,680, shared expert 3 x 3584 x 20480 =
 *     220,200,960, its gate 3584, router 3584 x 64 = 229,376; 2 norms 7,168
 *   layer 2,011,413,504 x 28 = 56,319,578,112; total 57,408,658,944 ("57B")
 *   active: minus 56 of 64 experts (27,525,120 each) in 28 layers = 14,249,270,784 ("A14B").
 * KV per token: 28 layers x 4 KV heads x 128 x 2 x 2 B = 57,344. */
static void test_qwen2_57b(void **state) {
    (void)state;
    lp_model *m = load_id("Qwen/Qwen2-57B-A14B-Instruct");
    assert_int_equal(m->params_total, INT64_C(57408658944));
    assert_int_equal(m->params_active, INT64_C(14249270784));
    lp_assert_near(lp_model_kv_bytes_per_token(m, LP_DTYPE_BF16), 57344, 0);
    free(m);
}

/* Gemma 4 31B (google/gemma-4-31B-it): 31,273,088,876 parameters, the tensor elements of its two
 * safetensors shards. By hand, hidden 5376, vocab 262144 tied, 60 layers (5 sliding : 1 full):
 *   embed 262144 x 5376 = 1,409,286,144
 *   sliding x 50: q 5376 x 32 x 256 = 44,040,192, k and v 5376 x 16 x 256 = 22,020,096 each,
 *     o 44,040,192, q/k norms 2 x 256 -> 132,121,088
 *   full x 10 (global_head_dim 512, k_eq_v: 4 KV heads, no v_proj): q 5376 x 32 x 512 =
 *     88,080,384, k 5376 x 4 x 512 = 11,010,048, o 88,080,384, q/k norms 2 x 512 -> 187,171,840
 *   every layer: MLP 3 x 5376 x 21504 = 346,816,512, 4 norms 21,504, layer_scalar 1
 *     -> 346,838,017 x 60
 *   final norm 5376; text 30,697,345,340
 *   vision (27 layers of 1152, MLP 4304, head 72): input_proj 768 x 1152 = 884,736, positions
 *     2 x 10240 x 1152 = 23,592,960, per layer 4 x 1152^2 + 2 x 72 + 3 x 1152 x 4304 + 4 x 1152 =
 *     20,187,792 x 27 = 545,070,384, std bias/scale 2,304, embedding_projection 1152 x 5376 =
 *     6,193,152 -> 575,743,536
 * KV per token (bf16): 50 x 16 heads x (256 + 256) x 2 B = 819,200 + 10 x 4 x (512 + 512) x 2 B
 *   = 81,920 -> 901,120. */
static void test_gemma4(void **state) {
    (void)state;
    lp_model *m = load_id("google/gemma-4-31B-it");
    assert_int_equal(m->params_vision, INT64_C(575743536));
    assert_int_equal(m->params_total, INT64_C(31273088876));
    int64_t counts[6];
    lp_model_layer_kind_counts(m, counts);
    assert_int_equal(counts[LP_ATTN_FULL], 10);
    assert_int_equal(counts[LP_ATTN_SLIDING], 50);
    assert_int_equal(m->sliding_window, 1024);
    assert_int_equal(lp_model_layer_kv_heads(m, 5), 4);
    assert_int_equal(lp_model_layer_head_dim(m, 5), 512);
    assert_int_equal(lp_model_layer_kv_heads(m, 4), 16);
    assert_int_equal(lp_model_layer_head_dim(m, 4), 256);
    lp_assert_near(lp_model_kv_bytes_per_token(m, LP_DTYPE_BF16), 901120, 0);
    assert_int_equal(m->derived_max_model_len, 262144);
    free(m);
}

/* The Gemma 4 parts not modelled are refused by name, not miscounted. */
static void test_gemma4_refusals(void **state) {
    (void)state;
    static const char *const extra[] = {"\"enable_moe_block\":true",
                                        "\"hidden_size_per_layer_input\":256",
                                        "\"num_kv_shared_layers\":20"};
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
        char cfg[1024];
        snprintf(cfg, sizeof cfg,
                 "{\"model_type\":\"gemma4_text\",\"hidden_size\":64,\"num_hidden_layers\":2,"
                 "\"num_attention_heads\":2,\"num_key_value_heads\":1,\"head_dim\":32,"
                 "\"intermediate_size\":128,\"vocab_size\":100,\"sliding_window\":16,"
                 "\"layer_types\":[\"sliding_attention\",\"full_attention\"],%s}",
                 extra[i]);
        lp_model *m = calloc(1, sizeof *m);
        assert_non_null(m);
        lp_error err;
        assert_int_equal(lp_model_from_config_json(cfg, strlen(cfg), "t", m, &err),
                         LP_ERR_UNSUPPORTED);
        assert_non_null(strstr(err.message, "not modelled yet"));
        free(m);
    }
}

/* Ministral 3 (mistral3 wrapping a ministral3 text_config, YaRN in rope_parameters), the
 * text model small enough to count by hand: embed + untied lm_head 2 x 1000 x 64 = 128,000;
 * per layer q, o 2 x 64 x (4 x 16) + k, v 2 x 64 x (2 x 16) = 12,288, MLP 3 x 64 x 128 =
 * 24,576, 2 norms 128 -> 36,992 x 2 = 73,984; final norm 64. Total 202,048 (no vision_config:
 * no tower counted, and the notes say so). KV: 2 layers x 2 heads x 16 x 2 x 2 B = 256. */
static void test_ministral3(void **state) {
    (void)state;
    static const char cfg[] =
        "{\"model_type\":\"mistral3\",\"architectures\":[\"Mistral3ForConditionalGeneration\"],"
        "\"text_config\":{\"model_type\":\"ministral3\",\"hidden_size\":64,"
        "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
        "\"head_dim\":16,\"intermediate_size\":128,\"vocab_size\":1000,"
        "\"max_position_embeddings\":262144,\"tie_word_embeddings\":false,"
        "\"rope_parameters\":{\"rope_type\":\"yarn\",\"factor\":16.0,"
        "\"original_max_position_embeddings\":16384,\"llama_4_scaling_beta\":0.1,"
        "\"rope_theta\":1000000.0}}}";
    lp_model *m = calloc(1, sizeof *m);
    assert_non_null(m);
    lp_error err;
    assert_int_equal(lp_model_from_config_json(cfg, strlen(cfg), "t", m, &err), LP_OK);
    assert_int_equal(m->params_total, 202048);
    lp_assert_near(lp_model_kv_bytes_per_token(m, LP_DTYPE_BF16), 256, 0);
    free(m);
}

/* Qwen3-Next-80B-A3B, by hand with the Qwen3.5 layer sizes above (hidden 2048, the same gated
 * attention and Gated DeltaNet) over 48 layers, 12 attention + 36 DeltaNet, vocab 151936:
 *   embed + lm_head 2 x 151936 x 2048 = 622,329,856; attention 12 x 27,263,488; DeltaNet
 *   36 x 33,718,464; MoE 48 x (512 x 3 x 2048 x 512 + shared 3,145,728 + gate 2048 + router
 *   512 x 2048) = 48 x 1,614,809,088; norms 48 x 2 x 2048 + 2048
 *   total 79,674,391,296 ("80B"; with its MTP layer the HF page's 81.3B), active: minus 502 of
 *   512 experts in 48 layers (502 x 3,145,728 x 48 = 75,799,461,888) = 3,874,929,408 (3.25B
 * without the embeddings: "3B activated"). */
static void test_qwen3_next(void **state) {
    (void)state;
    lp_model *m = load_id("Qwen/Qwen3-Next-80B-A3B-Instruct");
    assert_int_equal(m->params_total, INT64_C(79674391296));
    assert_int_equal(m->params_active, INT64_C(3874929408));
    lp_assert_near(lp_model_kv_bytes_per_token(m, LP_DTYPE_BF16), 12 * 2 * 256 * 2 * 2, 0);
    free(m);
}

/* Nemotron-H-56B in the catalog: the same config as the fixture that tests/test_mem.c counts by
 * hand (56,324,350,464 parameters: 54 Mamba2 layers of 438,424,320, 10 attention layers of
 * 150,994,944, 54 MLP layers of 536,870,912, norms, embedding and lm_head). */
static void test_nemotron_h_catalog(void **state) {
    (void)state;
    lp_model *m = load_id("nvidia/Nemotron-H-56B-Base-8K");
    assert_int_equal(m->params_total, INT64_C(56324350464));
    free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemma1),        cmocka_unit_test(test_granite_moe),
        cmocka_unit_test(test_granite_dense), cmocka_unit_test(test_kimi),
        cmocka_unit_test(test_glm45),         cmocka_unit_test(test_compressor_variants),
        cmocka_unit_test(test_phi2),          cmocka_unit_test(test_nemotron3_nano),
        cmocka_unit_test(test_nemotron_nas),  cmocka_unit_test(test_deepseek_v32),
        cmocka_unit_test(test_mllama),        cmocka_unit_test(test_llava_next),
        cmocka_unit_test(test_qwen3_5),       cmocka_unit_test(test_ministral3),
        cmocka_unit_test(test_qwen3_next),    cmocka_unit_test(test_nemotron_h_catalog),
        cmocka_unit_test(test_gemma4),        cmocka_unit_test(test_gemma4_refusals),
        cmocka_unit_test(test_qwen2_57b),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
