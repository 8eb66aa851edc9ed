/*
 * test_perf_io.c - one --batch JSONL line into an lp_perf_request: every field name other
 * planners use (DESIGN §3) lands in the right field, unknown fields and wrong types are
 * errors naming the field, malformed JSON says where, and strings outlive the input text.
 */
#include "support/lp_test.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "llmplan/perf_io.h"

static lp_perf_io_strings strings;

static lp_perf_request parse_ok(const char *json) {
    lp_perf_request r;
    lp_error err;
    lp_error_clear(&err);
    if (lp_perf_request_from_json(json, strlen(json), &r, &strings, &err) != LP_OK)
        fail_msg("%s: %s", json, err.message);
    return r;
}

static lp_error parse_err(const char *json, lp_status expect) {
    lp_perf_request r;
    lp_error err;
    lp_error_clear(&err);
    lp_status st = lp_perf_request_from_json(json, strlen(json), &r, &strings, &err);
    if (st != expect)
        fail_msg("%s: status %d, expected %d (%s)", json, st, expect, err.message);
    return err;
}

static void test_string_aliases(void **state) {
    (void)state;
    const char *gpu_keys[] = {"gpu_name", "gpu_type", "gpu"};
    for (size_t i = 0; i < 3; i++) {
        char json[128];
        snprintf(json, sizeof json, "{\"%s\": \"H100\"}", gpu_keys[i]);
        lp_perf_request r = parse_ok(json);
        assert_string_equal(r.gpu_name, "H100");
    }
    const char *model_keys[] = {"model_id", "model"};
    for (size_t i = 0; i < 2; i++) {
        char json[128];
        snprintf(json, sizeof json, "{\"%s\": \"Qwen/Qwen3-8B\"}", model_keys[i]);
        lp_perf_request r = parse_ok(json);
        assert_string_equal(r.model_id, "Qwen/Qwen3-8B");
    }
    lp_perf_request r = parse_ok("{\"quantization\": \"awq\", \"interconnect\": \"PCIe\", "
                                 "\"method\": \"simulate\", \"kv_cache_dtype\": \"fp8\", "
                                 "\"dtype\": \"bfloat16\"}");
    assert_string_equal(r.serving.quantization, "awq");
    assert_true(r.cluster.intra_node_link_given);
    assert_int_equal(r.cluster.intra_node_link, LP_LINK_PCIE);
    assert_int_equal(r.method, LP_SIMULATE);
    assert_int_equal(r.serving.kv_cache_dtype, LP_DTYPE_FP8);
    assert_int_equal(r.serving.dtype, LP_DTYPE_BF16);
    r = parse_ok("{\"quantization\": null}");
    assert_null(r.serving.quantization);
}

typedef struct {
    const char *key;
    int which; /* 0 num_gpus, 1 tp, 2 pp, 3 input, 4 output, 5 context, 6 concurrency,
                  7 num_prompts, 8 dp */
} int_alias;

static double int_field(const lp_perf_request *r, int which) {
    switch (which) {
    case 0:
        return r->cluster.num_gpus;
    case 1:
        return r->serving.tensor_parallel_size;
    case 2:
        return r->serving.pipeline_parallel_size;
    case 3:
        return lp_len_mean(&r->workload.input);
    case 4:
        return lp_len_mean(&r->workload.output);
    case 5:
        return (double)r->serving.max_model_len;
    case 6:
        return r->workload.max_concurrency;
    case 7:
        return r->workload.num_prompts;
    default:
        return r->serving.data_parallel_size;
    }
}

static void test_integer_aliases(void **state) {
    (void)state;
    const int_alias aliases[] = {
        {"num_gpus", 0},
        {"num_gpu", 0},
        {"tp_size", 1},
        {"tp_degree", 1},
        {"tensor_parallel_size", 1},
        {"pp_size", 2},
        {"pipeline_parallel_size", 2},
        {"input_length", 3},
        {"input_len", 3},
        {"prompt_tokens", 3},
        {"random_input_len", 3},
        {"output_length", 4},
        {"output_len", 4},
        {"random_output_len", 4},
        {"context_len", 5},
        {"max_model_len", 5},
        {"concurrency", 6},
        {"max_concurrency", 6},
        {"num_prompts", 7},
        {"dp_size", 8},
        {"data_parallel_size", 8},
    };
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
        char json[128];
        snprintf(json, sizeof json, "{\"%s\": 4}", aliases[i].key);
        lp_perf_request r = parse_ok(json);
        if (int_field(&r, aliases[i].which) != 4)
            fail_msg("%s: field not set", aliases[i].key);
        /* 4.0 is an integer too */
        snprintf(json, sizeof json, "{\"%s\": 4.0}", aliases[i].key);
        r = parse_ok(json);
        assert_true(int_field(&r, aliases[i].which) == 4);
    }
}

static void test_numbers(void **state) {
    (void)state;
    lp_perf_request r = parse_ok("{\"params_b\": 13.5, \"request_rate\": 2.5, \"seed\": 42, "
                                 "\"gpu_memory_utilization\": 0.85, \"max_num_seqs\": 64, "
                                 "\"max_num_batched_tokens\": 4096, \"block_size\": 32, "
                                 "\"enable_expert_parallel\": true, \"enforce_eager\": false}");
    lp_assert_near(r.params_b, 13.5, 0);
    lp_assert_near(r.workload.request_rate, 2.5, 0);
    assert_true(r.workload.seed == 42);
    lp_assert_near(r.serving.gpu_memory_utilization, 0.85, 0);
    assert_int_equal(r.serving.max_num_seqs, 64);
    assert_int_equal(r.serving.max_num_batched_tokens, 4096);
    assert_int_equal(r.serving.block_size, 32);
    assert_true(r.serving.enable_expert_parallel);
    assert_false(r.serving.enforce_eager);
    /* "inf" as vllm bench writes it: all at once (0) */
    r = parse_ok("{\"request_rate\": \"inf\"}");
    lp_assert_near(r.workload.request_rate, 0, 0);
    /* defaults kept for what is not given */
    r = parse_ok("{}");
    assert_int_equal(r.workload.num_prompts, 1000);
    assert_int_equal(r.method, LP_ROOFLINE);
    lp_assert_near(lp_len_mean(&r.workload.input), 1024, 0);
}

static void test_unknown_field(void **state) {
    (void)state;
    lp_error e = parse_err("{\"gpu\": \"H100\", \"tp_szie\": 2}", LP_ERR_INVALID_ARG);
    assert_non_null(strstr(e.message, "unknown field \"tp_szie\""));
    /* two names for one field */
    e = parse_err("{\"gpu\": \"H100\", \"gpu_name\": \"A100\"}", LP_ERR_INVALID_ARG);
    assert_non_null(strstr(e.message, "\"gpu\""));
    assert_non_null(strstr(e.message, "\"gpu_name\""));
}

static void test_wrong_types(void **state) {
    (void)state;
    const struct {
        const char *json, *field;
    } cases[] = {
        {"{\"tp_size\": \"2\"}", "tp_size"},
        {"{\"num_gpu\": 1.5}", "num_gpu"},
        {"{\"gpu_type\": 100}", "gpu_type"},
        {"{\"params_b\": \"7B\"}", "params_b"},
        {"{\"params_b\": -7}", "params_b"},
        {"{\"request_rate\": \"fast\"}", "request_rate"},
        {"{\"request_rate\": 0}", "request_rate"},
        {"{\"method\": \"guess\"}", "method"},
        {"{\"interconnect\": \"carrier-pigeon\"}", "interconnect"},
        {"{\"kv_cache_dtype\": \"fp3\"}", "kv_cache_dtype"},
        {"{\"input_len\": 0}", "input_len"},
        {"{\"seed\": -1}", "seed"},
        {"{\"enforce_eager\": 1}", "enforce_eager"},
        {"{\"model\": [\"a\"]}", "model"},
        {"{\"gpu_memory_utilization\": 1.5}", "gpu_memory_utilization"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lp_error e = parse_err(cases[i].json, LP_ERR_INVALID_ARG);
        if (strncmp(e.message, cases[i].field, strlen(cases[i].field)) != 0)
            fail_msg("%s: message does not start with the field: %s", cases[i].json, e.message);
    }
}

/* `vllm bench serve --burstiness F` and `--sharegpt-output-len N` as JSON keys, spelled as
 * its arguments: a number above 0 or "inf"; N with the ShareGPT data set only, and not with
 * an output length beside it. */
static void test_burstiness_and_sharegpt_output_len(void **state) {
    (void)state;
    lp_perf_request r = parse_ok("{\"request_rate\": 4, \"burstiness\": 0.5}");
    lp_assert_near(r.workload.burstiness, 0.5, 0);
    r = parse_ok("{\"burstiness\": \"inf\"}");
    assert_true(isinf(r.workload.burstiness));
    r = parse_ok("{\"dataset_name\": \"sharegpt\", \"sharegpt_output_len\": 300}");
    assert_int_equal(r.workload.sharegpt_output_len, 300);
    assert_int_equal(r.workload.output.kind, LP_LEN_FIXED);
    lp_assert_near(r.workload.output.mean, 300, 0);
    assert_int_equal(r.workload.input.kind, LP_LEN_SHAREGPT); /* prompts keep ShareGPT's */
    static const struct {
        const char *json, *says;
    } bad[] = {
        {"{\"burstiness\": 0}", "burstiness"},
        {"{\"burstiness\": -1}", "burstiness"},
        {"{\"burstiness\": \"often\"}", "burstiness"},
        {"{\"burstiness\": true}", "burstiness"},
        {"{\"sharegpt_output_len\": 300}", "--dataset-name sharegpt"},
        {"{\"dataset_name\": \"sharegpt\", \"sharegpt_output_len\": 0}", "sharegpt_output_len"},
        {"{\"dataset_name\": \"sharegpt\", \"sharegpt_output_len\": 2045}", "2044"},
        {"{\"dataset_name\": \"sharegpt\", \"sharegpt_output_len\": 9, \"output_len\": 9}",
         "give one"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lp_error e = parse_err(bad[i].json, LP_ERR_INVALID_ARG);
        if (!strstr(e.message, bad[i].says))
            fail_msg("%s: \"%s\" does not say %s", bad[i].json, e.message, bad[i].says);
    }
}

static void test_malformed(void **state) {
    (void)state;
    lp_error e = parse_err("{\"gpu\": \"H100\", ", LP_ERR_PARSE);
    assert_non_null(strstr(e.message, "at character"));
    /* jansson counts the characters read up to the end of the offending token */
    e = parse_err("{\"gpu\" \"H100\"}", LP_ERR_PARSE);
    assert_non_null(strstr(e.message, "at character 13"));
    e = parse_err("[1, 2]", LP_ERR_PARSE);
    assert_non_null(strstr(e.message, "JSON object"));
    e = parse_err("{} {}", LP_ERR_PARSE);
    e = parse_err("", LP_ERR_PARSE);
    (void)e;
}

/* The request's strings live in the storage, not in the line. */
static void test_strings_outlive_line(void **state) {
    (void)state;
    char line[] = "{\"model\": \"meta-llama/Llama-3.1-8B\", \"gpu\": \"L40S\"}";
    lp_perf_request r;
    lp_error err;
    assert_int_equal(lp_perf_request_from_json(line, strlen(line), &r, &strings, &err), LP_OK);
    memset(line, 'x', sizeof line - 1);
    assert_string_equal(r.model_id, "meta-llama/Llama-3.1-8B");
    assert_string_equal(r.gpu_name, "L40S");
    assert_ptr_equal(r.gpu_name, strings.gpu_name);
    /* the length is honoured: no NUL needed after the object */
    const char *two = "{\"gpu\": \"H100\"}{\"gpu\": \"B200\"}";
    assert_int_equal(lp_perf_request_from_json(two, 15, &r, &strings, &err), LP_OK);
    assert_string_equal(r.gpu_name, "H100");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string_aliases),
        cmocka_unit_test(test_integer_aliases),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_unknown_field),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_burstiness_and_sharegpt_output_len),
        cmocka_unit_test(test_strings_outlive_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
