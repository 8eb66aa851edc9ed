/*
 * test_perf_batch.c - the cached batch path gives lp_estimate_performance's answer for every
 * item: a mixed batch (several models, GPUs, parallel sizes, KV dtypes, quantization texts in
 * separate buffers, calibrated efficiencies, every method, closed-loop, Poisson and
 * all-at-once workloads, and items that fail for each reason) is estimated one by one
 * without a cache and compared field by field with the batch, for one thread and several;
 * the numbers-only flag changes nothing but the texts; the typed field setter the Python
 * package uses reads what the JSON reader reads.
 *
 * The reference here is the uncached estimate itself: a cache must not change an answer.
 */
#include "support/lp_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmplan/perf.h"
#include "llmplan/perf_io.h"
#include "llmplan/usecase.h"

enum { N = 900 };

static lp_perf_request reqs[N];
static lp_perf_estimate one[N], batch[N];
static char quant_text[N][8];
static lp_efficiency calibrated;

static const char *const MODELS[] = {"meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen3-30B-A3B",
                                     "google/gemma-3-27b-it", "no/such-model"};
static const char *const GPUS[] = {"H100", "A100 80GB", "L40S", "H200", "H1OO"};

static void build_batch(void) {
    calibrated = *lp_efficiency_for(NULL);
    calibrated.compute_eff = 0.5;
    calibrated.memory_eff = 0.7;
    calibrated.source = "test";
    for (int i = 0; i < N; i++) {
        lp_perf_request *r = &reqs[i];
        lp_perf_request_init(r);
        r->model_id = MODELS[i % 4 == 3 && i % 7 != 3 ? 0 : i % 4];
        r->gpu_name = GPUS[(i / 4) % 5 == 4 && i % 3 != 0 ? 0 : (i / 4) % 5];
        int tp = 1 << ((i / 20) % 3);
        r->serving.tensor_parallel_size = tp;
        if (i % 11 == 0)
            r->cluster.num_gpus = 2 * tp;
        if (i % 13 == 0)
            r->cluster.num_gpus = tp + 1; /* not a multiple of tp: an error, when tp > 1 */
        r->serving.max_model_len = i % 5 == 0 ? 0 : 4096 << (i % 3);
        if (i % 6 == 1)
            r->serving.kv_cache_dtype = LP_DTYPE_FP8;
        if (i % 9 == 2) {
            /* the same text in a buffer of its own per item */
            snprintf(quant_text[i], sizeof quant_text[i], "fp8");
            r->serving.quantization = quant_text[i];
        }
        if (i % 17 == 5)
            r->efficiency = &calibrated;
        r->workload.input = lp_len_fixed(64.0 + 97.0 * (i % 23));
        r->workload.output = lp_len_fixed(16.0 + 31.0 * (i % 7));
        if (i % 4 == 1)
            r->workload.max_concurrency = 1 + i % 64;
        else if (i % 4 == 2)
            r->workload.request_rate = 0.5 + (i % 10);
        if (i % 50 == 7)
            r->workload.num_prompts = 0; /* a bad workload */
        if (i % 29 == 3) {
            r->method = LP_SIMULATE;
            r->workload.num_prompts = 60;
        } else if (i % 31 == 4) {
            r->method = LP_HEURISTIC;
            if (i % 2)
                r->model_id = NULL, r->params_b = 13.0;
        }
        if (i % 97 == 11)
            r->gpu_name = NULL; /* no GPU */
        if (i % 89 == 13)
            r->model_id = NULL; /* no model */
    }
}

static void assert_same(int i, const lp_perf_estimate *a, const lp_perf_estimate *b, bool texts) {
    if (a->valid != b->valid)
        fail_msg("item %d: valid %d vs %d (%s | %s)", i, a->valid, b->valid, a->error, b->error);
    if (!a->valid) {
        if (strcmp(a->error, b->error) != 0)
            fail_msg("item %d: error \"%s\" vs \"%s\"", i, a->error, b->error);
        return;
    }
    size_t from = offsetof(lp_perf_estimate, method), to = offsetof(lp_perf_estimate, assumptions);
    if (memcmp((const char *)a + from, (const char *)b + from, to - from) != 0)
        fail_msg("item %d: the numbers differ (ttft %.9g vs %.9g, output %.9g vs %.9g)", i,
                 a->ttft_ms.mean, b->ttft_ms.mean, a->output_tok_s, b->output_tok_s);
    if (!texts)
        return;
    assert_int_equal(a->n_assumptions, b->n_assumptions);
    for (int k = 0; k < a->n_assumptions; k++)
        assert_string_equal(a->assumptions[k], b->assumptions[k]);
}

static void test_batch_equals_one_by_one(void **state) {
    (void)state;
    build_batch();
    size_t valid_one = 0;
    int methods[3] = {0}, reasons_failed = 0;
    for (int i = 0; i < N; i++) {
        valid_one += lp_estimate_performance(&reqs[i], &one[i]) == LP_OK;
        if (one[i].valid)
            methods[one[i].method]++;
        else
            reasons_failed++;
    }
    /* the batch is mixed: every method valid somewhere, and failures */
    assert_true(methods[LP_HEURISTIC] > 0 && methods[LP_ROOFLINE] > 100 &&
                methods[LP_SIMULATE] > 0);
    assert_true(reasons_failed > 50);
    for (unsigned threads = 1; threads <= 4; threads += 3) {
        memset(batch, 0xA5, sizeof batch); /* garbage: the batch must write what it reports */
        lp_perf_batch_opts opts = {threads, 0};
        size_t valid = lp_estimate_performance_batch_opts(reqs, N, batch, &opts);
        assert_int_equal(valid, valid_one);
        for (int i = 0; i < N; i++)
            assert_same(i, &one[i], &batch[i], true);
    }
    /* and every failure reason above is one lp_estimate_performance gives */
    bool unknown_gpu = false, unknown_model = false, no_fit = false, bad_workload = false;
    for (int i = 0; i < N; i++) {
        unknown_gpu |= strstr(batch[i].error, "unknown GPU") != NULL;
        unknown_model |= strstr(batch[i].error, "unknown model") != NULL;
        no_fit |= strstr(batch[i].error, "does not fit") != NULL;
        bad_workload |= strstr(batch[i].error, "prompts") != NULL;
    }
    assert_true(unknown_gpu && unknown_model && no_fit && bad_workload);
}

static void test_numbers_only(void **state) {
    (void)state;
    build_batch();
    for (int i = 0; i < N; i++)
        lp_estimate_performance(&reqs[i], &one[i]);
    lp_perf_batch_opts opts = {0, LP_PERF_NO_ASSUMPTIONS};
    lp_estimate_performance_batch_opts(reqs, N, batch, &opts);
    for (int i = 0; i < N; i++) {
        assert_same(i, &one[i], &batch[i], false);
        assert_int_equal(batch[i].n_assumptions, 0);
    }
}

/* The roofline's own machinery over a spread of engines, a Poisson rate on two items of three
 * (the Little's-law fixed point, the costliest part of a batch item): dense, MoE with and
 * without expert parallelism, sliding-window and hybrid models, TP 1-8, pipeline stages,
 * speculative decoding, LoRA, V0 without chunked prefill, eager mode, shared prefixes. The
 * batch's numbers (numbers only, two threads) must be lp_estimate_performance's, every byte:
 * the step evaluation the batch shares with it is prepared once per estimate (rates, the
 * collectives' plans), and that may not change an answer. */
enum { N_MIX = 480 };
static lp_perf_request mix[N_MIX];

static void test_roofline_engines_numbers_equal(void **state) {
    (void)state;
    static const char *const models[] = {
        "meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen3-30B-A3B", "google/gemma-3-27b-it",
        "Qwen/Qwen3-Next-80B-A3B-Instruct", "meta-llama/Llama-3.3-70B-Instruct"};
    static const char *const gpus[] = {"H100", "H200", "A100 80GB", "L40S"};
    for (int i = 0; i < N_MIX; i++) {
        lp_perf_request *r = &mix[i];
        lp_perf_request_init(r);
        r->model_id = models[i % 5];
        r->gpu_name = gpus[(i / 5) % 4];
        int tp = 1 << ((i / 20) % 4);
        r->serving.tensor_parallel_size = tp;
        r->serving.max_model_len = 8192;
        switch ((i / 7) % 8) {
        case 1:
            r->serving.pipeline_parallel_size = 2;
            break;
        case 2:
            r->serving.enable_expert_parallel = true;
            r->cluster.num_gpus = 2 * tp;
            break;
        case 3:
            r->serving.speculative.method = LP_SPEC_NGRAM;
            r->serving.speculative.num_speculative_tokens = 3;
            break;
        case 4:
            r->serving.lora.enable_lora = true;
            r->serving.lora.max_loras = 4;
            r->workload.num_lora_modules = 8;
            break;
        case 5:
            r->serving.vllm_version = LP_VLLM_VERSION(0, 6, 3); /* V0: prefill steps alone */
            break;
        case 6:
            r->serving.enforce_eager = true;
            break;
        case 7:
            r->workload.prefix_len = 512;
            r->workload.num_prefixes = 4;
            break;
        }
        r->workload.input = lp_len_fixed(128.0 + 173.0 * (i % 19));
        r->workload.output = lp_len_fixed(32.0 + 59.0 * (i % 11));
        if (i % 3 != 0)
            r->workload.request_rate = 0.25 + 1.5 * (i % 23);
        else
            r->workload.max_concurrency = 1 + (i % 5) * 24;
    }
    static lp_perf_estimate plain[N_MIX], fast[N_MIX];
    int poisson_valid = 0, valid = 0, engine_valid[8] = {0};
    for (int i = 0; i < N_MIX; i++) {
        lp_estimate_performance(&mix[i], &plain[i]);
        valid += plain[i].valid;
        poisson_valid += plain[i].valid && mix[i].workload.request_rate > 0;
        engine_valid[(i / 7) % 8] += plain[i].valid && mix[i].workload.request_rate > 0;
    }
    /* most of them estimate (some do not fit: the 70B on one GPU), a Poisson rate on most, and
     * every kind of engine above at a Poisson rate somewhere */
    assert_true(valid > N_MIX / 2);
    assert_true(poisson_valid > N_MIX / 3);
    for (int k = 0; k < 8; k++)
        if (engine_valid[k] < 5)
            fail_msg("engine kind %d: %d valid Poisson items", k, engine_valid[k]);
    lp_perf_batch_opts opts = {2, LP_PERF_NO_ASSUMPTIONS};
    memset(fast, 0x5A, sizeof fast);
    assert_int_equal(lp_estimate_performance_batch_opts(mix, N_MIX, fast, &opts), (size_t)valid);
    for (int i = 0; i < N_MIX; i++)
        assert_same(i, &plain[i], &fast[i], false);
}

static void test_cache_keys_on_what_changes_the_answer(void **state) {
    (void)state;
    lp_error err_unused;
    lp_perf_cache *c = lp_perf_cache_new();
    assert_non_null(c);
    lp_perf_request r;
    lp_perf_request_init(&r);
    r.model_id = MODELS[0];
    r.gpu_name = "H100";
    r.serving.max_model_len = 8192;
    lp_perf_estimate a, b, ref;
    assert_int_equal(lp_perf_cache_estimate(c, &r, &a, 0), LP_OK);
    /* a different KV dtype, max-model-len or utilization is another configuration */
    r.serving.kv_cache_dtype = LP_DTYPE_FP8;
    assert_int_equal(lp_perf_cache_estimate(c, &r, &b, 0), LP_OK);
    assert_int_equal(lp_estimate_performance(&r, &ref), LP_OK);
    assert_same(0, &ref, &b, true);
    assert_true(b.max_concurrent_requests > a.max_concurrent_requests * 1.5);
    r.serving.gpu_memory_utilization = 0.5;
    assert_int_equal(lp_perf_cache_estimate(c, &r, &b, 0), LP_OK);
    assert_int_equal(lp_estimate_performance(&r, &ref), LP_OK);
    assert_same(0, &ref, &b, true);
    /* the same quantization text in another buffer is the same configuration, another text
     * is not */
    char q1[8] = "fp8", q2[8] = "fp8";
    r.serving.quantization = q1;
    assert_int_equal(lp_perf_cache_estimate(c, &r, &a, 0), LP_OK);
    r.serving.quantization = q2;
    assert_int_equal(lp_perf_cache_estimate(c, &r, &b, 0), LP_OK);
    assert_same(0, &a, &b, true);
    snprintf(q2, sizeof q2, "awq");
    lp_perf_cache_estimate(c, &r, &b, 0);
    lp_estimate_performance(&r, &ref);
    assert_same(0, &ref, &b, true);
    /* a memory plan is made once per (model, GPU, settings) and is lp_mem_plan_compute's */
    const lp_model *m;
    const lp_gpu *g;
    assert_int_equal(lp_perf_cache_model(c, MODELS[0], &m, &err_unused), LP_OK);
    assert_int_equal(lp_perf_cache_gpu(c, "L40S", &g, &err_unused), LP_OK);
    lp_serving s;
    lp_serving_init(&s);
    static lp_mem_plan direct;
    const lp_mem_plan *p1, *p2;
    assert_int_equal(lp_perf_cache_mem_plan(c, m, g, &s, &p1, &err_unused), LP_OK);
    assert_int_equal(lp_perf_cache_mem_plan(c, m, g, &s, &p2, &err_unused), LP_OK);
    assert_ptr_equal(p1, p2);
    assert_int_equal(lp_mem_plan_compute(m, g, &s, &direct, &err_unused), LP_OK);
    assert_int_equal(p1->kv_tokens, direct.kv_tokens);
    assert_int_equal(p1->fits, direct.fits);
    s.tensor_parallel_size = 3; /* vLLM refuses: 32 heads do not split 3 ways */
    lp_error e1, e2;
    lp_status s1 = lp_perf_cache_mem_plan(c, m, g, &s, &p1, &e1);
    assert_int_equal(s1, lp_mem_plan_compute(m, g, &s, &direct, &e2));
    assert_int_equal(s1, lp_perf_cache_mem_plan(c, m, g, &s, &p1, &e1));
    assert_string_equal(e1.message, e2.message);
    lp_perf_cache_free(c);
    lp_perf_cache_free(NULL);
}

static lp_status set_value(lp_perf_request_reader *rd, const char *key, lp_value v) {
    lp_error err;
    return lp_perf_request_set(rd, key, &v, &err);
}

static void test_typed_setter_reads_what_json_reads(void **state) {
    (void)state;
    const char *json = "{\"model\": \"Qwen/Qwen3-8B\", \"gpu_type\": \"L40S\", \"tp_degree\": 2, "
                       "\"num_gpu\": 4, \"prompt_tokens\": 700, \"output_len\": 90, "
                       "\"context_len\": 8192, \"request_rate\": 2.5, \"quantization\": \"fp8\", "
                       "\"enforce_eager\": true, \"method\": \"simulate\", \"seed\": 3}";
    static lp_perf_io_strings st;
    lp_perf_request from_json, typed;
    lp_error err;
    assert_int_equal(lp_perf_request_from_json(json, strlen(json), &from_json, &st, &err), LP_OK);
    lp_perf_request_reader rd;
    lp_perf_request_reader_init(&rd, &typed, NULL); /* strings stay the caller's */
    const char *model = "Qwen/Qwen3-8B", *gpu = "L40S", *fp8 = "fp8";
    assert_int_equal(
        set_value(&rd, "model",
                  (lp_value){.kind = LP_VALUE_STRING, .string = model, .len = strlen(model)}),
        LP_OK);
    assert_int_equal(
        set_value(&rd, "gpu_type",
                  (lp_value){.kind = LP_VALUE_STRING, .string = gpu, .len = strlen(gpu)}),
        LP_OK);
    assert_int_equal(set_value(&rd, "tp_degree", (lp_value){.kind = LP_VALUE_INT, .integer = 2}),
                     LP_OK);
    assert_int_equal(set_value(&rd, "num_gpu", (lp_value){.kind = LP_VALUE_INT, .integer = 4}),
                     LP_OK);
    assert_int_equal(
        set_value(&rd, "prompt_tokens", (lp_value){.kind = LP_VALUE_NUMBER, .number = 700.0}),
        LP_OK);
    assert_int_equal(set_value(&rd, "output_len", (lp_value){.kind = LP_VALUE_INT, .integer = 90}),
                     LP_OK);
    assert_int_equal(
        set_value(&rd, "context_len", (lp_value){.kind = LP_VALUE_INT, .integer = 8192}), LP_OK);
    assert_int_equal(
        set_value(&rd, "request_rate", (lp_value){.kind = LP_VALUE_NUMBER, .number = 2.5}), LP_OK);
    assert_int_equal(set_value(&rd, "quantization",
                               (lp_value){.kind = LP_VALUE_STRING, .string = fp8, .len = 3}),
                     LP_OK);
    assert_int_equal(
        set_value(&rd, "enforce_eager", (lp_value){.kind = LP_VALUE_BOOL, .boolean = true}), LP_OK);
    assert_int_equal(set_value(&rd, "method",
                               (lp_value){.kind = LP_VALUE_STRING, .string = "simulate", .len = 8}),
                     LP_OK);
    assert_int_equal(set_value(&rd, "seed", (lp_value){.kind = LP_VALUE_INT, .integer = 3}), LP_OK);
    assert_ptr_equal(typed.model_id, model); /* no storage: the caller's text */
    assert_string_equal(typed.model_id, from_json.model_id);
    assert_string_equal(typed.gpu_name, from_json.gpu_name);
    assert_string_equal(typed.serving.quantization, from_json.serving.quantization);
    assert_int_equal(typed.serving.tensor_parallel_size, from_json.serving.tensor_parallel_size);
    assert_int_equal(typed.cluster.num_gpus, from_json.cluster.num_gpus);
    assert_int_equal(typed.serving.max_model_len, from_json.serving.max_model_len);
    assert_true(typed.serving.enforce_eager && from_json.serving.enforce_eager);
    assert_int_equal(typed.method, from_json.method);
    assert_int_equal(typed.workload.seed, from_json.workload.seed);
    assert_true(typed.workload.request_rate == from_json.workload.request_rate);
    assert_true(typed.workload.input.kind == from_json.workload.input.kind &&
                typed.workload.input.mean == from_json.workload.input.mean);
    assert_true(typed.workload.output.kind == from_json.workload.output.kind &&
                typed.workload.output.mean == from_json.workload.output.mean);
    /* and so the same estimate */
    lp_perf_estimate *a = &one[0], *b = &batch[0];
    lp_estimate_performance(&typed, a);
    lp_estimate_performance(&from_json, b);
    assert_true(a->valid);
    assert_same(0, a, b, true);

    /* the same errors, naming the field */
    lp_perf_request_reader_init(&rd, &typed, NULL);
    lp_value two = {.kind = LP_VALUE_STRING, .string = "2", .len = 1};
    assert_int_equal(lp_perf_request_set(&rd, "num_gpus", &two, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "num_gpus: expected an integer, got a string"));
    lp_value list = {.kind = LP_VALUE_OTHER};
    assert_int_equal(lp_perf_request_set(&rd, "tp_size", &list, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "tp_size"));
    lp_value one_tp = {.kind = LP_VALUE_INT, .integer = 1};
    assert_int_equal(lp_perf_request_set(&rd, "tp_szie", &one_tp, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "unknown field \"tp_szie\""));
    assert_int_equal(lp_perf_request_set(&rd, "tp_size", &one_tp, &err), LP_OK);
    assert_int_equal(lp_perf_request_set(&rd, "tensor_parallel_size", &one_tp, &err),
                     LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "\"tp_size\" and \"tensor_parallel_size\""));
    assert_int_equal(lp_perf_request_field("gpu_type"), lp_perf_request_field("gpu"));
    assert_int_equal(lp_perf_request_field("nope"), -1);
}

static lp_status load_any(void *ctx, const char *id, lp_model *out, lp_error *err) {
    (void)ctx;
    return lp_model_load(id, NULL, out, err);
}

/* The estimate use case through a cache: what a batch reader (the Python package) runs, next
 * to the JSON reader with a resolver that reads paths as the CLI's does. */
static void test_estimate_use_case_through_a_cache(void **state) {
    (void)state;
    static const char *const lines[] = {
        /* no max-model-len: 131,072 tokens do not fit, the workload's 2,560 are planned */
        "{\"model\": \"meta-llama/Llama-3.1-70B\", \"gpu\": \"H100\", \"num_gpus\": 2, "
        "\"tp_size\": 2, \"input_len\": 2048, \"output_len\": 512}",
        /* only a parameter count and no method: the heuristic, said */
        "{\"params_b\": 13, \"gpu\": \"L40S\"}",
        "{\"model\": \"Qwen/Qwen3-8B\", \"gpu\": \"A100 80GB\", \"dataset_name\": \"sharegpt\", "
        "\"max_concurrency\": 16}",
        "{\"model\": \"Qwen/Qwen3-8B\", \"gpu\": \"H1OO\"}",
        "{\"model\": \"no/such-model\", \"gpu\": \"H100\"}",
    };
    lp_perf_cache *c = lp_perf_cache_new();
    static lp_request_store store;
    static lp_estimate_request a, b;
    static lp_estimate_result ra, rb;
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        lp_error ea, eb;
        static const lp_resolver cli_like = {load_any, NULL, NULL, NULL, true};
        lp_status sa =
            lp_estimate_request_from_json(lines[i], strlen(lines[i]), &cli_like, &store, &a, &ea);
        /* the same request set field by field, then resolved through the cache */
        lp_estimate_request_init(&b);
        static lp_perf_io_strings st;
        assert_int_equal(lp_perf_request_from_json(lines[i], strlen(lines[i]), &b.perf, &st, &eb),
                         LP_OK);
        b.method_given = false;
        b.cache = c;
        b.perf_flags = LP_PERF_NO_ASSUMPTIONS;
        lp_status sb = lp_estimate_request_resolve(&b, c, &eb);
        assert_int_equal(sa, sb);
        if (sa != LP_OK) {
            assert_string_equal(ea.message, eb.message);
            continue;
        }
        lp_estimate(&a, &ra);
        lp_estimate(&b, &rb);
        assert_same((int)i, &ra.estimate, &rb.estimate, false);
        assert_int_equal(ra.planned_max_model_len, rb.planned_max_model_len);
        assert_true(ra.estimate.valid);
    }
    lp_perf_cache_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_equals_one_by_one),
        cmocka_unit_test(test_numbers_only),
        cmocka_unit_test(test_roofline_engines_numbers_equal),
        cmocka_unit_test(test_cache_keys_on_what_changes_the_answer),
        cmocka_unit_test(test_typed_setter_reads_what_json_reads),
        cmocka_unit_test(test_estimate_use_case_through_a_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
