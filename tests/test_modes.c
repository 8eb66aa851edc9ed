/*
 * test_modes.c - the serving modes as settings and memory: --speculative-config as vLLM
 * spells it, --disaggregation xPyD and --kv-connector, shared-prefix workloads as `vllm bench
 * serve` builds them, and what LoRA slots and speculative-decoding drafters take from the KV
 * cache. Expected values are counted by hand in the comments (tensor shapes from vLLM's
 * source: vllm/lora/layers/base_linear.py create_lora_weights; Llama-3.1-8B's config.json:
 * hidden 4096, 32 layers, 32 heads, 8 KV heads of 128, intermediate 14336, vocab 128256).
 */
#include "support/lp_test.h"

#include <math.h>
#include <string.h>

#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/usecase.h"
#include "llmplan/workload.h"

#define LLAMA8B "meta-llama/Llama-3.1-8B-Instruct"

static void test_spec_config_parse(void **state) {
    (void)state;
    lp_spec_config c;
    memset(&c, 0, sizeof c);
    lp_error err;
    const char *eagle3 = "{\"method\": \"eagle3\", \"model\": \"yuhuili/EAGLE3-LLaMA3.1-Instruct-"
                         "8B\", \"num_speculative_tokens\": 3}";
    assert_int_equal(lp_spec_config_parse(eagle3, strlen(eagle3), &c, &err), LP_OK);
    assert_int_equal(c.method, LP_SPEC_EAGLE3);
    assert_int_equal(c.num_speculative_tokens, 3);
    assert_string_equal(c.model, "yuhuili/EAGLE3-LLaMA3.1-Instruct-8B");
    char json[256];
    assert_true(lp_spec_config_json(&c, json, sizeof json));
    assert_string_equal(json, "{\"method\":\"eagle3\",\"model\":\"yuhuili/EAGLE3-LLaMA3.1-"
                              "Instruct-8B\",\"num_speculative_tokens\":3}");

    /* no method: vLLM infers it from the draft's name (SpeculativeConfig.__post_init__) */
    const char *named = "{\"model\": \"yuhuili/EAGLE-LLaMA3.1-Instruct-8B\", "
                        "\"num_speculative_tokens\": 2}";
    assert_int_equal(lp_spec_config_parse(named, strlen(named), &c, &err), LP_OK);
    assert_int_equal(c.method, LP_SPEC_EAGLE);
    const char *draft = "{\"model\": \"meta-llama/Llama-3.2-1B\", \"num_speculative_tokens\": 4}";
    assert_int_equal(lp_spec_config_parse(draft, strlen(draft), &c, &err), LP_OK);
    assert_int_equal(c.method, LP_SPEC_DRAFT_MODEL);
    const char *mtp = "{\"method\": \"deepseek_mtp\"}";
    assert_int_equal(lp_spec_config_parse(mtp, strlen(mtp), &c, &err), LP_OK);
    assert_int_equal(c.method, LP_SPEC_MTP);
    assert_int_equal(c.num_speculative_tokens, 0); /* MTP: the checkpoint's layers */

    const struct {
        const char *json, *needle;
    } bad[] = {
        {"{\"method\": \"ngram\"}", "num_speculative_tokens is required"},
        {"{\"method\": \"medusa\", \"num_speculative_tokens\": 2}", "not modelled"},
        {"{\"method\": \"ngram\", \"num_speculative_tokens\": 2, \"typo\": 1}", "unknown key"},
        {"{\"method\": \"eagle\", \"num_speculative_tokens\": 2}", "needs the draft"},
        {"{\"method\": \"ngram\", \"num_speculative_tokens\": 0}", "between 1 and"},
        {"[1]", "expected a JSON object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_not_equal(lp_spec_config_parse(bad[i].json, strlen(bad[i].json), &c, &err),
                             LP_OK);
        if (!strstr(err.message, bad[i].needle))
            fail_msg("%s: \"%s\" lacks \"%s\"", bad[i].json, err.message, bad[i].needle);
    }
}

static void test_acceptance_length(void **state) {
    (void)state;
    /* (1 - a^(k+1)) / (1 - a): a = 0.5, k = 3 -> (1 - 1/16) / 0.5 = 1.875 */
    lp_assert_near(lp_spec_acceptance_length(0.5, 3), 1.875, 1e-12);
    lp_assert_near(lp_spec_acceptance_length(1.0, 4), 5.0, 0);
    lp_assert_near(lp_spec_acceptance_length(0.0, 4), 1.0, 0);
}

static void test_disaggregation_parse(void **state) {
    (void)state;
    lp_disaggregation d;
    memset(&d, 0, sizeof d);
    lp_error err;
    assert_int_equal(lp_disaggregation_parse("4P1D", &d, &err), LP_OK);
    assert_int_equal(d.prefill_instances, 4);
    assert_int_equal(d.decode_instances, 1);
    assert_int_equal(lp_disaggregation_parse("2p3d", &d, &err), LP_OK);
    assert_int_equal(d.prefill_instances, 2);
    assert_int_equal(d.decode_instances, 3);
    const char *bad[] = {"1P", "P1D", "0P1D", "1P0D", "1P1DX", "", "1x1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(lp_disaggregation_parse(bad[i], &d, &err), LP_ERR_INVALID_ARG);
    lp_kv_connector c;
    assert_int_equal(lp_kv_connector_parse("NixlConnector", &c, &err), LP_OK);
    assert_int_equal(c, LP_KV_CONNECTOR_NIXL);
    assert_int_equal(lp_kv_connector_parse("mooncake", &c, &err), LP_OK);
    assert_string_equal(lp_kv_connector_vllm_name(c), "MooncakeConnector");
    assert_int_equal(lp_kv_connector_parse("nccl", &c, &err), LP_OK);
    assert_string_equal(lp_kv_connector_vllm_name(c), "P2pNcclConnector");
    assert_int_equal(lp_kv_connector_parse("ucx", &c, &err), LP_ERR_INVALID_ARG);

    /* GPUs: 2 prefill instances of TP 2 and 1 decode instance of TP 4 */
    lp_serving s;
    lp_serving_init(&s);
    s.disaggregation.prefill_instances = 2;
    s.disaggregation.decode_instances = 1;
    s.disaggregation.prefill_tensor_parallel_size = 2;
    s.disaggregation.decode_tensor_parallel_size = 4;
    assert_true(lp_disaggregated(&s));
    assert_int_equal(lp_disaggregation_gpus(&s), 2 * 2 + 1 * 4);
    lp_serving role;
    lp_disaggregation_role_serving(&s, LP_ROLE_DECODE, &role);
    assert_int_equal(role.tensor_parallel_size, 4);
    assert_false(lp_disaggregated(&role));
}

static void test_shared_prefix_workloads(void **state) {
    (void)state;
    lp_workload w;
    lp_workload_init(&w);
    lp_error err;
    /* RandomDataset.sample: total_input_len = prefix_len + input_len */
    assert_int_equal(lp_workload_random_prefix(&w, 100, &err), LP_OK);
    lp_assert_near(lp_len_mean(&w.input), 1124, 0);
    assert_int_equal(w.prefix_len, 100);
    assert_int_equal(w.num_prefixes, 1);
    assert_int_equal(lp_workload_check(&w, &err), LP_OK);

    lp_workload_init(&w);
    lp_workload_sharegpt(&w, 0, 0);
    assert_int_equal(lp_workload_random_prefix(&w, 100, &err), LP_ERR_INVALID_ARG);

    /* PrefixRepetitionRandomDataset defaults: prefix 256, suffix 256, 10 prefixes, output 128 */
    lp_workload_init(&w);
    lp_workload_prefix_repetition(&w, 0, 0, 0, 0);
    assert_int_equal(w.dataset, LP_DATASET_PREFIX_REPETITION);
    lp_assert_near(lp_len_mean(&w.input), 512, 0);
    lp_assert_near(lp_len_mean(&w.output), 128, 0);
    assert_int_equal(w.prefix_len, 256);
    assert_int_equal(w.num_prefixes, 10);
    assert_string_equal(lp_dataset_name(w.dataset), "prefix_repetition");
    assert_int_equal(lp_workload_check(&w, &err), LP_OK);
    w.num_prompts = 5; /* "num_requests ... must be greater than or equal to num_prefixes" */
    assert_int_equal(lp_workload_check(&w, &err), LP_ERR_INVALID_ARG);

    lp_workload_init(&w);
    w.prefix_len = 2000; /* longer than the 1024-token prompt */
    w.num_prefixes = 1;
    assert_int_equal(lp_workload_check(&w, &err), LP_ERR_INVALID_ARG);
    assert_int_equal(lp_workload_count_names("a,b c"), 3);
    assert_int_equal(lp_workload_count_names(" sql-lora "), 1);

    /* the last turn of a 4-turn conversation holds 4 x (1024 + 128) tokens */
    lp_workload_init(&w);
    w.num_turns = 4;
    int64_t need = 0;
    assert_int_equal(lp_workload_context_needed(&w, &need), LP_OK);
    assert_int_equal(need, 4 * (1024 + 128));
}

static void plan_of(const lp_serving *s, const char *gpu_name, lp_mem_plan *plan) {
    static lp_model m;
    lp_error err;
    assert_int_equal(lp_catalog_load(LLAMA8B, &m, &err), LP_OK);
    const lp_gpu *gpu;
    assert_int_equal(lp_gpu_find(NULL, gpu_name, &gpu, &err), LP_OK);
    if (lp_mem_plan_compute(&m, gpu, s, plan, &err) != LP_OK)
        fail_msg("%s", err.message);
}

static void test_lora_slots(void **state) {
    (void)state;
    static lp_mem_plan base, lora;
    lp_serving s;
    lp_serving_init(&s);
    s.max_model_len = 16384;
    plan_of(&s, "H100", &base);
    s.lora.enable_lora = true;
    s.lora.max_loras = 4;
    s.lora.max_lora_rank = 16;
    plan_of(&s, "H100", &lora);
    /* One rank-16 slot of one layer at TP 1 (lora_a + lora_b per slice):
     *   qkv   3 x 16 x 4096 + 16 x (4096 + 1024 + 1024) = 196,608 + 98,304 = 294,912
     *   o     16 x 4096 + 4096 x 16                                        = 131,072
     *   gate_up 2 x (16 x 4096 + 14336 x 16)                               = 589,824
     *   down  16 x 14336 + 4096 x 16                                       = 294,912
     * = 1,310,720 elements; x 32 layers x 4 slots x 2 bytes (bf16) = 335,544,320 bytes. */
    lp_assert_near(lora.lora_weights_bytes, 335544320.0, 0.5);
    lp_assert_near(lora.ranks[0].weights_bytes - base.ranks[0].weights_bytes, 335544320.0, 0.5);
    assert_true(lora.kv_blocks < base.kv_blocks);

    /* TP 2: qkv 196,608 + 16 x (2048 + 512 + 512) = 245,760; o 16 x 2048 + 4096 x 16 = 98,304;
     * gate_up 2 x (16 x 4096 + 7168 x 16) = 360,448; down 16 x 7168 + 4096 x 16 = 180,224;
     * = 884,736 x 32 x 4 x 2 = 226,492,416 bytes per GPU */
    s.tensor_parallel_size = 2;
    plan_of(&s, "H100", &lora);
    lp_assert_near(lora.lora_weights_bytes, 226492416.0, 0.5);

    lp_lora_config l = {0};
    lp_error err;
    l.max_loras = 2;
    assert_int_equal(lp_lora_check(&l, &err), LP_ERR_INVALID_ARG); /* needs --enable-lora */
    l.enable_lora = true;
    l.max_lora_rank = 12;
    assert_int_equal(lp_lora_check(&l, &err), LP_ERR_INVALID_ARG); /* not a vLLM rank */
    l.max_lora_rank = 64;
    l.max_cpu_loras = 1;
    assert_int_equal(lp_lora_check(&l, &err), LP_ERR_INVALID_ARG); /* cpu < gpu slots */
}

static void test_spec_drafter_memory(void **state) {
    (void)state;
    static lp_mem_plan base, spec;
    lp_serving s;
    lp_serving_init(&s);
    s.max_model_len = 16384;
    plan_of(&s, "H100", &base);
    s.speculative.method = LP_SPEC_EAGLE3;
    s.speculative.num_speculative_tokens = 3;
    snprintf(s.speculative.model, sizeof s.speculative.model, "yuhuili/EAGLE3-LLaMA3.1-8B");
    plan_of(&s, "H100", &spec);
    /* An EAGLE-3 head of Llama-3.1-8B: one decoder layer (q 4096x4096, k and v 4096x1024 each,
     * o 4096x4096 = 41,943,040; MLP 3 x 4096 x 14336 = 176,160,768; two norms 8,192), the final
     * norm 4,096, its own lm_head over 32,000 draft tokens (131,072,000), the fc fusing three
     * hidden states (3 x 4096 x 4096 = 50,331,648) and qkv's second input half (4096 x 6144 =
     * 25,165,824): 424,685,568 parameters x 2 bytes; the embedding is the target's. */
    lp_assert_near(spec.spec_weights_bytes, 849371136.0, 0.5);
    lp_assert_near(spec.ranks[0].weights_bytes - base.ranks[0].weights_bytes, 849371136.0, 0.5);
    /* its attention layer joins the 32 of the target in every block */
    assert_int_equal(spec.spec_kv_layers, 1);
    double per_block = base.ranks[0].kv_bytes_per_block / 32.0 * 33.0;
    lp_assert_near(spec.ranks[0].kv_bytes_per_block, per_block, 0.5);
    assert_int_equal(spec.kv_blocks, (int64_t)floor(spec.ranks[0].kv_cache_bytes / per_block));

    /* n-gram drafts on the host: nothing on the GPU */
    s.speculative.method = LP_SPEC_NGRAM;
    plan_of(&s, "H100", &spec);
    lp_assert_near(spec.spec_weights_bytes, 0, 0);
    assert_int_equal(spec.kv_blocks, base.kv_blocks);

    /* MTP needs MTP layers in the checkpoint */
    static lp_model m;
    lp_error err;
    assert_int_equal(lp_catalog_load(LLAMA8B, &m, &err), LP_OK);
    s.speculative.method = LP_SPEC_MTP;
    static lp_spec_plan p;
    assert_int_equal(lp_spec_plan_resolve(&m, &s, &p, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "no MTP layers"));

    /* defaults: EAGLE-3 0.75 per token; k = 3 -> (1 - 0.75^4) / 0.25 = 2.734375 */
    s.speculative.method = LP_SPEC_EAGLE3;
    assert_int_equal(lp_spec_plan_resolve(&m, &s, &p, &err), LP_OK);
    lp_assert_near(p.acceptance_rate, 0.75, 0);
    lp_assert_near(p.mean_acceptance_length, 2.734375, 1e-12);
    s.speculative.acceptance_rate = 0.5;
    assert_int_equal(lp_spec_plan_resolve(&m, &s, &p, &err), LP_OK);
    lp_assert_near(p.mean_acceptance_length, 1.875, 1e-12);
}

/* The flags and the JSON fields mean the same: 4 rank-16 slots on Llama-3.1-8B at TP 1 take
 * 335,544,320 bytes = 0.3125 GiB (test_lora_slots). */
static void test_cli_and_json(void **state) {
    (void)state;
    json_t *j = lp_test_cli_json("plan --model " LLAMA8B " --gpu H100 --enable-lora --max-loras 4 "
                                 "--max-lora-rank 16 --json",
                                 0);
    json_t *lora = json_object_get(json_object_get(j, "modes"), "lora");
    lp_assert_near(json_real_value(json_object_get(lora, "slots_gib")), 0.3125, 1e-9);
    json_decref(j);

    static lp_request_store store;
    lp_plan_request req;
    lp_error err;
    const char *body = "{\"model\": \"" LLAMA8B "\", \"gpu\": \"H100\", \"enable_lora\": true, "
                       "\"max_loras\": 4, \"speculative_config\": {\"method\": \"ngram\", "
                       "\"num_speculative_tokens\": 5}, \"acceptance_rate\": 0.4}";
    assert_int_equal(lp_plan_request_from_json(body, strlen(body), NULL, &store, &req, &err),
                     LP_OK);
    assert_true(req.serving.lora.enable_lora);
    assert_int_equal(req.serving.lora.max_loras, 4);
    assert_int_equal(req.serving.speculative.method, LP_SPEC_NGRAM);
    lp_assert_near(req.serving.speculative.acceptance_rate, 0.4, 0);
    const char *bad = "{\"model\": \"" LLAMA8B "\", \"gpu\": \"H100\", \"max_loras\": 4}";
    assert_int_equal(lp_plan_request_from_json(bad, strlen(bad), NULL, &store, &req, &err),
                     LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "--enable-lora"));

    lp_test_cli_usage("plan --model " LLAMA8B " --gpu H100 --max-loras 4", "--enable-lora");
    lp_test_cli_usage("plan --model " LLAMA8B " --gpu H100 --kv-connector nixl",
                      "--disaggregation");
    lp_test_cli_usage("plan --model " LLAMA8B " --gpu H100 --disaggregation 1P", "xPyD");
    lp_test_cli_usage("plan --model " LLAMA8B " --gpu H100 --speculative-config '{bad'",
                      "JSON object");
    lp_test_cli_usage("estimate --model " LLAMA8B " --gpu H100 --dataset-name prefix_repetition "
                      "--random-input-len 5",
                      "--prefix-repetition");
    lp_test_cli_usage("estimate --model " LLAMA8B " --gpu H100 --prefix-repetition-num-prefixes 3",
                      "prefix_repetition");
}

/* An estimate of Llama-3.1-8B on one H100 (roofline) with workload w. */
static void estimate_of(const lp_workload *w, bool caching_off, lp_perf_estimate *e) {
    static lp_model m;
    lp_error err;
    assert_int_equal(lp_model_load(LLAMA8B, NULL, &m, &err), LP_OK);
    const lp_gpu *gpu;
    assert_int_equal(lp_gpu_find(NULL, "H100", &gpu, &err), LP_OK);
    lp_perf_request r;
    lp_perf_request_init(&r);
    r.model = &m;
    lp_cluster_init(&r.cluster, gpu);
    r.serving.enable_prefix_caching_off = caching_off;
    r.workload = *w;
    r.method = LP_ROOFLINE;
    assert_int_equal(lp_estimate_performance(&r, e), LP_OK);
}

/* Prefix-cache hits counted by hand as vLLM's V1 KV cache manager gives them: whole 16-token
 * blocks of the shared prefix (the default block size), never the prompt's last token, each
 * distinct prefix missing once per run except the one `vllm bench serve` warmed up. */
static void test_prefix_cache_hits(void **state) {
    (void)state;
    lp_workload w;
    lp_error err;
    /* --random-input-len 24 --random-prefix-len 1000: prompts of 1024 tokens; 1000 // 16 = 62
     * blocks = 992 tokens hit, one prefix warmed up: hit rate 992 / 1024 = 0.96875 */
    lp_workload_init(&w);
    w.input = lp_len_fixed(24);
    w.max_concurrency = 1;
    w.num_prompts = 20;
    assert_int_equal(lp_workload_random_prefix(&w, 1000, &err), LP_OK);
    lp_perf_estimate hit, off;
    estimate_of(&w, false, &hit);
    lp_assert_near(hit.modes.prefix_cache_hit_rate, 0.96875, 1e-12);
    /* caching off: the whole 1024 tokens computed, no hit; TTFT computes 32 tokens instead of
     * 1024 with the cache, so it is far shorter */
    estimate_of(&w, true, &off);
    lp_assert_near(off.modes.prefix_cache_hit_rate, 0.0, 0);
    assert_true(hit.ttft_ms.mean < 0.5 * off.ttft_ms.mean);
    /* the decode steps read the whole context either way */
    lp_assert_near(hit.tpot_ms.mean, off.tpot_ms.mean, 0.05 * off.tpot_ms.mean);

    /* prefix_repetition defaults: 10 prefixes of 256 (16 full blocks), suffix 256, 1000
     * prompts: 9 first uses miss, so 256 x 991 / 1000 = 253.696 of 512 tokens hit: 0.4955 */
    lp_workload_init(&w);
    lp_workload_prefix_repetition(&w, 0, 0, 0, 0);
    w.num_prompts = 1000;
    w.max_concurrency = 8;
    estimate_of(&w, false, &hit);
    lp_assert_near(hit.modes.prefix_cache_hit_rate, 253.696 / 512.0, 1e-12);

    /* 200 prefixes of 4096 tokens (819,200 tokens) do not fit the KV cache of one H100 beside
     * one running request holding 4352 - 4096 + 128 / 2 = 320 tokens of its own and pinning
     * 200 x (1 - (199/200)^1) = 1 prefix: the fraction kept is (4096 + kv_tokens - 320 - 4096)
     * / 819,200 and 199 of 1000 first uses miss, so the hit rate is 4096 x kept x 0.801 / 4352
     * (kv_tokens from the memory plan of the same settings). */
    lp_workload_init(&w);
    lp_workload_prefix_repetition(&w, 4096, 256, 200, 128);
    w.num_prompts = 1000;
    w.max_concurrency = 1;
    estimate_of(&w, false, &hit);
    lp_serving s;
    lp_serving_init(&s);
    static lp_model m;
    assert_int_equal(lp_model_load(LLAMA8B, NULL, &m, &err), LP_OK);
    const lp_gpu *gpu;
    assert_int_equal(lp_gpu_find(NULL, "H100", &gpu, &err), LP_OK);
    static lp_mem_plan plan;
    assert_int_equal(lp_mem_plan_compute(&m, gpu, &s, &plan, &err), LP_OK);
    double kept = ((double)plan.kv_tokens - 320.0) / 819200.0;
    assert_true(kept > 0.2 && kept < 1.0);
    lp_assert_near(hit.modes.prefix_cache_hit_rate, 4096.0 * kept * 0.801 / 4352.0, 1e-9);

    /* the heuristic keeps no prefix cache: refused, not ignored (the simulation's cache is
     * tested in test_simulate.c) */
    lp_test_cli_usage("estimate --model " LLAMA8B " --gpu H100 --random-prefix-len 100 "
                      "--method heuristic",
                      "heuristic method does not model prefix caching");
    /* conversations need the simulation's per-request history: the roofline refuses them */
    lp_test_cli_usage("estimate --model " LLAMA8B " --gpu H100 --num-turns 4 --num-prompts 40",
                      "modelled by the simulate method only");
    lp_test_cli_usage("estimate --model " LLAMA8B " --gpu H100 --enable-lora --method heuristic",
                      "heuristic method does not model LoRA");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_config_parse),    cmocka_unit_test(test_acceptance_length),
        cmocka_unit_test(test_disaggregation_parse), cmocka_unit_test(test_shared_prefix_workloads),
        cmocka_unit_test(test_lora_slots),           cmocka_unit_test(test_spec_drafter_memory),
        cmocka_unit_test(test_cli_and_json),         cmocka_unit_test(test_prefix_cache_hits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
