/*
 * test_usecase.c - the use cases as library calls: their JSON request readers (fields,
 * spellings, the GPU-count rule, errors that name the field) and what each use case returns
 * for a request worked out by hand. Front-end parity (CLI --json = HTTP body) is tested in
 * test_cli_parity.c.
 */
#include "support/lp_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmplan/bands.h"
#include "llmplan/perf_io.h"
#include "llmplan/usecase.h"

/* Storage and results are several KB each: static, one test at a time. */
static lp_request_store store;
static lp_plan_result plan;

static lp_status read_plan(const char *json, lp_plan_request *r, lp_error *err) {
    return lp_plan_request_from_json(json, strlen(json), NULL, &store, r, err);
}

static void plan_ok(const char *json, lp_plan_request *r) {
    lp_error err;
    if (read_plan(json, r, &err) != LP_OK)
        fail_msg("%s: %s", json, err.message);
}

static void plan_fails(const char *json, lp_status code, const char *needle) {
    lp_plan_request r;
    lp_error err;
    lp_status st = read_plan(json, &r, &err);
    if (st != code)
        fail_msg("%s: status %d, expected %d (%s)", json, st, code, err.message);
    if (needle && !strstr(err.message, needle))
        fail_msg("%s: message \"%s\" lacks \"%s\"", json, err.message, needle);
}

static void test_plan_request_fields(void **state) {
    (void)state;
    lp_plan_request r;
    plan_ok("{\"model\": \"meta-llama/Llama-3.1-8B-Instruct\", \"gpu\": \"H100\", "
            "\"tensor-parallel-size\": 2, \"max_model_len\": \"32k\", \"kv_cache_dtype\": "
            "\"fp8\", \"enable_chunked_prefill\": false, \"quantization\": \"fp8\"}",
            &r);
    assert_ptr_equal(r.model, &store.model);
    assert_string_equal(store.model_id, "meta-llama/Llama-3.1-8B-Instruct");
    assert_string_equal(r.cluster.gpu->name, "H100 SXM");
    assert_int_equal(r.serving.tensor_parallel_size, 2);
    assert_int_equal(r.serving.max_model_len, 32000); /* vLLM's human_readable_int: k = 1000 */
    assert_int_equal(r.serving.kv_cache_dtype, LP_DTYPE_FP8);
    assert_true(r.serving.enable_chunked_prefill_off);
    assert_string_equal(r.serving.quantization, "fp8");
    assert_false(r.gpu_described);
    plan_ok("{\"model\": \"Qwen/Qwen3-8B\", \"gpu\": \"H100\", \"max_model_len\": \"auto\"}", &r);
    assert_int_equal(r.serving.max_model_len, -1);
}

/* num_gpus alone is tensor parallelism over all of them; beside a TP size the rest are
 * replicas; a count that does not divide is an error. */
static void test_num_gpus_rule(void **state) {
    (void)state;
    lp_plan_request r;
    plan_ok("{\"model\": \"Qwen/Qwen3-8B\", \"gpu\": \"H100\", \"num_gpus\": 4}", &r);
    assert_int_equal(r.serving.tensor_parallel_size, 4);
    assert_int_equal(r.serving.data_parallel_size, 1);
    assert_true(r.parallel_given);
    plan_ok("{\"model\": \"Qwen/Qwen3-8B\", \"gpu\": \"H100\", \"num_gpus\": 8, "
            "\"tensor_parallel_size\": 2}",
            &r);
    assert_int_equal(r.serving.tensor_parallel_size, 2);
    assert_int_equal(r.serving.data_parallel_size, 4);
    plan_fails("{\"model\": \"Qwen/Qwen3-8B\", \"gpu\": \"H100\", \"num_gpus\": 6, "
               "\"tensor_parallel_size\": 4}",
               LP_ERR_INVALID_ARG, "not a multiple of tp x pp = 4");
    plan_fails("{\"model\": \"Qwen/Qwen3-8B\", \"gpu\": \"H100\", \"num_gpus\": 6, "
               "\"pipeline_parallel_size\": 4}",
               LP_ERR_INVALID_ARG, "pipeline_parallel_size");

    lp_serving s;
    lp_serving_init(&s);
    lp_error err;
    assert_int_equal(lp_serving_apply_num_gpus(&s, 0, false, false, &err), LP_OK);
    assert_int_equal(s.tensor_parallel_size, 1);
    assert_int_equal(lp_serving_apply_num_gpus(&s, -2, false, false, &err), LP_ERR_INVALID_ARG);
    /* every size and a count that disagrees (issue 13: --num-gpus 8 -tp 2 -pp 2 -dp 4 planned
     * dp 2 without a word) */
    plan_fails("{\"model\": \"Qwen/Qwen3-8B\", \"gpu\": \"H100\", \"num_gpus\": 8, "
               "\"tensor_parallel_size\": 2, \"pipeline_parallel_size\": 2, "
               "\"data_parallel_size\": 4}",
               LP_ERR_INVALID_ARG, "2 x 2 x 4 = 16 GPUs");
    /* a data-parallel size beside a count: tensor parallelism fills the rest */
    s.tensor_parallel_size = 1;
    s.data_parallel_size = 2;
    assert_int_equal(lp_serving_apply_num_gpus(&s, 8, false, true, &err), LP_OK);
    assert_int_equal(s.tensor_parallel_size, 4);
    assert_int_equal(s.data_parallel_size, 2);
}

static void test_plan_request_errors(void **state) {
    (void)state;
    plan_fails("", LP_ERR_PARSE, "empty");
    plan_fails("[1]", LP_ERR_PARSE, "JSON object");
    plan_fails("{\"model\": ", LP_ERR_PARSE, "not valid JSON");
    plan_fails("{\"model\": \"Qwen/Qwen3-8B\"}", LP_ERR_INVALID_ARG, "gpu: required");
    plan_fails("{\"model\": \"Qwen/Qwen3-8B\", \"gpu\": \"H100\", \"tp\": 2}", LP_ERR_INVALID_ARG,
               "unknown field \"tp\"");
    plan_fails("{\"model\": \"Qwen/Qwen3-8B\", \"gpu\": \"H100\", \"block-size\": 16, "
               "\"block_size\": 32}",
               LP_ERR_INVALID_ARG, "given twice");
    plan_fails("{\"model\": \"Qwen/Qwen3-8B\", \"gpu\": \"H100\", \"tensor_parallel_size\": \"2\"}",
               LP_ERR_INVALID_ARG, "tensor_parallel_size: expected an integer");
    plan_fails("{\"model\": \"Qwen/Qwen3-8B\", \"gpu\": \"H100\", \"gpu_memory_utilization\": 0}",
               LP_ERR_INVALID_ARG, "gpu_memory_utilization");
    plan_fails("{\"model\": \"Qwen/Qwen3-8B\", \"gpu\": \"H100\", \"dtype\": \"fp3\"}",
               LP_ERR_INVALID_ARG, "dtype");
    plan_fails("{\"model\": \"Qwen/Qwen3-8B\", \"gpu\": \"H100\", \"vllm_version\": \"banana\"}",
               LP_ERR_INVALID_ARG, "vllm_version");
    plan_fails("{\"gpu\": \"H100\"}", LP_ERR_INVALID_ARG, "\"config\"");
    plan_fails("{\"model\": \"Qwen/Qwen3-8B\", \"gpu\": \"Voodoo 5\"}", LP_ERR_NOT_FOUND, "gpu: ");
    /* the default resolver reads no path: an unknown model suggests pasting its config */
    plan_fails("{\"model\": \"./my-model/config.json\", \"gpu\": \"H100\"}", LP_ERR_NOT_FOUND,
               "paste its config.json");
    plan_fails("{\"gpu\": \"H100\", \"config\": {\"model_type\": 7}}", LP_ERR_PARSE,
               "config: model_type");
}

/* recommend's workload fields go through the --batch line reader's setters: one rule and one
 * message for both (request_rate positive or "inf", as `vllm bench serve --request-rate`). */
static void test_recommend_workload_fields(void **state) {
    (void)state;
    static lp_recommend_request rr;
    static lp_perf_request line;
    static lp_perf_io_strings strings;
    const char *fields[] = {"\"request_rate\": 0", "\"input_len\": 0", "\"num_prompts\": 1.5",
                            "\"dataset_name\": \"imdb\"", "\"max_concurrency\": -1"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        char body[256], batch[256];
        snprintf(body, sizeof body, "{\"model\": \"Qwen/Qwen3-8B\", \"gpu\": \"H100\", %s}",
                 fields[i]);
        snprintf(batch, sizeof batch, "{%s}", fields[i]);
        lp_error e1, e2;
        assert_int_equal(lp_recommend_request_from_json(body, strlen(body), NULL, &store, &rr, &e1),
                         LP_ERR_INVALID_ARG);
        assert_int_equal(lp_perf_request_from_json(batch, strlen(batch), &line, &strings, &e2),
                         LP_ERR_INVALID_ARG);
        assert_string_equal(e1.message, e2.message);
    }
    /* "inf" is every request at once (rate 0); sharegpt takes the given lengths as its means */
    const char *ok = "{\"model\": \"Qwen/Qwen3-8B\", \"gpu\": \"H100\", \"request_rate\": "
                     "\"inf\", \"dataset_name\": \"sharegpt\", \"input_len\": 300}";
    lp_error err;
    if (lp_recommend_request_from_json(ok, strlen(ok), NULL, &store, &rr, &err) != LP_OK)
        fail_msg("%s", err.message);
    assert_true(rr.spec.workload.request_rate == 0);
    assert_int_equal(rr.spec.workload.dataset, LP_DATASET_SHAREGPT);
    assert_true(fabs(lp_len_mean(&rr.spec.workload.input) - 300) < 1e-9);
}

/* Llama-3.1-8B-Instruct on one H100 SXM: 8,030,261,248 parameters (model_configs.md) in
 * bf16 are 16,060,522,496 bytes of weights on the one GPU, and the bf16 rotary cache
 * (131,072 positions x 128 x 2 B = 33,554,432 B) is loaded with them; it fits. */
static void test_plan_runs(void **state) {
    (void)state;
    lp_plan_request r;
    plan_ok("{\"model\": \"meta-llama/Llama-3.1-8B-Instruct\", \"gpu\": \"H100\", "
            "\"max_model_len\": 16000}",
            &r);
    lp_error err;
    assert_int_equal(lp_plan(&r, &plan, &err), LP_OK);
    assert_true(plan.plan.fits);
    lp_assert_near(plan.plan.ranks[0].weights_bytes, 16060522496.0 + 33554432.0, 0.5);
    assert_int_equal(plan.plan.max_model_len, 16000);
    assert_ptr_equal(plan.model, r.model);
    assert_ptr_equal(plan.gpu, r.cluster.gpu);

    /* a GPU described by its numbers is said in the notes */
    plan_ok("{\"model\": \"meta-llama/Llama-3.1-8B-Instruct\", \"gpu\": \"my-48g\", "
            "\"gpu_memory_gib\": 48}",
            &r);
    assert_true(r.gpu_described);
    assert_string_equal(r.cluster.gpu->name, "my-48g");
    assert_int_equal(lp_plan(&r, &plan, &err), LP_OK);
    bool said = false;
    for (int i = 0; i < plan.plan.n_notes; i++)
        said = said || strstr(plan.plan.notes[i], "described by its numbers") != NULL;
    assert_true(said);

    /* settings vLLM refuses: 32 attention heads do not split over 3 ranks */
    plan_ok("{\"model\": \"meta-llama/Llama-3.1-8B-Instruct\", \"gpu\": \"H100\", "
            "\"tensor_parallel_size\": 3}",
            &r);
    assert_int_equal(lp_plan(&r, &plan, &err), LP_ERR_INVALID_ARG);
    lp_plan_request none;
    lp_plan_request_init(&none);
    assert_int_equal(lp_plan(&none, &plan, &err), LP_ERR_INVALID_ARG);
}

/* ---- estimate ---------------------------------------------------------------------------- */

static lp_estimate_request est_req;
static lp_estimate_result est;

static const char *LLAMA70_2XH100 =
    "{\"model\": \"meta-llama/Llama-3.1-70B\", \"gpu\": \"H100\", \"num_gpus\": 2, "
    "\"tp_size\": 2, \"input_len\": %d, \"output_len\": %d%s}";

static lp_status estimate_json(const char *fmt, int in, int out, const char *extra) {
    char body[512];
    snprintf(body, sizeof body, fmt, in, out, extra);
    lp_error err;
    if (lp_estimate_request_from_json(body, strlen(body), NULL, &store, &est_req, &err) != LP_OK)
        fail_msg("%s: %s", body, err.message);
    return lp_estimate(&est_req, &est);
}

static bool has_assumption(const lp_perf_estimate *e, const char *needle) {
    for (int i = 0; i < e->n_assumptions; i++)
        if (strstr(e->assumptions[i], needle))
            return true;
    return false;
}

/*
 * Llama-3.1-70B on two H100s at TP 2: 70.6 B parameters in bf16 leave each 80 GB GPU about
 * 6 GB of its 0.9 x 79.18 GiB budget, while one 131,072-token request of KV needs
 * 131,072 x 80 layers x 8 KV heads x 128 x 2 (K, V) x 2 bytes / 2 ranks = 21.5 GB per GPU: the
 * model's default context cannot fit, a 2,560-token request (2048 + 512) can.
 */
static void test_estimate_plans_context(void **state) {
    (void)state;
    assert_int_equal(estimate_json(LLAMA70_2XH100, 2048, 512, ""), LP_OK);
    assert_true(est.estimate.valid);
    assert_int_equal(est.planned_max_model_len, 2560);
    assert_int_equal(est.request.serving.max_model_len, 2560);
    assert_true(has_assumption(&est.estimate, "--max-model-len 2560 planned"));
    assert_non_null(strstr(est.vllm_serve, "--max-model-len 2560"));
    assert_non_null(strstr(est.vllm_serve, "--tensor-parallel-size 2"));

    /* an explicit --max-model-len stays as given, and does not fit */
    assert_int_equal(estimate_json(LLAMA70_2XH100, 2048, 512, ", \"max_model_len\": 131072"),
                     LP_ERR_INFEASIBLE);
    assert_false(est.estimate.valid);
    assert_int_equal(est.planned_max_model_len, 0);

    /* a workload that cannot fit itself is refused: 101,000 tokens of KV are 16.5 GB per GPU */
    assert_int_equal(estimate_json(LLAMA70_2XH100, 100000, 1000, ""), LP_ERR_INFEASIBLE);
    assert_false(est.estimate.valid);
    assert_non_null(strstr(est.estimate.error, "fit"));

    /* when the default fits, nothing is planned: an 8B model on one H100 */
    const char *small = "{\"model\": \"meta-llama/Llama-3.1-8B-Instruct\", \"gpu\": \"H100\", "
                        "\"input_len\": %d, \"output_len\": %d%s}";
    assert_int_equal(estimate_json(small, 1024, 128, ""), LP_OK);
    assert_int_equal(est.planned_max_model_len, 0);
    assert_false(has_assumption(&est.estimate, "planned"));
}

/* Only a parameter count: the heuristic, and the estimate says it chose it. */
static void test_estimate_method_choice(void **state) {
    (void)state;
    const char *body = "{\"params_b\": 7, \"gpu\": \"L4\"}";
    lp_error err;
    assert_int_equal(
        lp_estimate_request_from_json(body, strlen(body), NULL, &store, &est_req, &err), LP_OK);
    assert_false(est_req.method_given);
    assert_int_equal(lp_estimate(&est_req, &est), LP_OK);
    assert_int_equal(est.estimate.method, LP_HEURISTIC);
    assert_true(has_assumption(&est.estimate, "only a parameter count"));
    assert_string_equal(est.vllm_serve, ""); /* no model to serve */
    body = "{\"params_b\": 7, \"gpu\": \"L4\", \"method\": \"roofline\"}";
    assert_int_equal(
        lp_estimate_request_from_json(body, strlen(body), NULL, &store, &est_req, &err), LP_OK);
    assert_true(est_req.method_given);
    assert_int_equal(lp_estimate(&est_req, &est), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(est.estimate.error, "needs a model"));
    /* names resolve through the reader; unknown ones name the field */
    body = "{\"model\": \"Qwen/Qwen3-8B\", \"gpu\": \"Voodoo 5\"}";
    assert_int_equal(
        lp_estimate_request_from_json(body, strlen(body), NULL, &store, &est_req, &err),
        LP_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "gpu: "));
    body = "{\"config\": 7, \"gpu\": \"H100\"}";
    assert_int_equal(
        lp_estimate_request_from_json(body, strlen(body), NULL, &store, &est_req, &err),
        LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "config"));
}

/* The core reads no files: an estimate given a path as its model id refuses it and says how to
 * load it, even though the file is there and is a valid config.json. */
static void test_core_reads_no_files(void **state) {
    (void)state;
    const lp_catalog_entry *e = lp_catalog_find("Qwen/Qwen3-8B", NULL, 0);
    assert_non_null(e);
    char path[512];
    lp_test_write_temp(path, sizeof path, e->config_json);
    lp_perf_request r;
    lp_perf_request_init(&r);
    r.model_id = path;
    r.gpu_name = "H100";
    static lp_perf_estimate out;
    assert_int_equal(lp_estimate_performance(&r, &out), LP_ERR_NOT_FOUND);
    assert_non_null(strstr(out.error, "embedded catalog only"));
    /* loaded at the edge, the same file estimates */
    static lp_model m;
    lp_error err;
    assert_int_equal(lp_model_load(path, NULL, &m, &err), LP_OK);
    r.model = &m;
    assert_int_equal(lp_estimate_performance(&r, &out), LP_OK);
    remove(path);
}

/* Every catalog model is listed, parsed, in catalog order. */
static void test_models_list(void **state) {
    (void)state;
    lp_catalog_row *rows = NULL;
    size_t n = 0;
    lp_error err;
    assert_int_equal(lp_models_list(&rows, &n, &err), LP_OK);
    assert_int_equal(n, lp_catalog_count());
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(rows[i].entry, lp_catalog_at(i));
        if (!rows[i].parsed)
            fail_msg("%s does not parse", rows[i].entry->id);
        assert_true(rows[i].model.params_total > 0);
    }
    free(rows);
}

/* A plan report's series for Llama-3.1-8B on one H100 at --max-model-len 4400. Counted by hand:
 * the length sweep doubles from 1,024 below the model's 131,072-token context (1K, 2K, 4K, 8K,
 * 16K, 32K, 64K: 7 points), adds the context itself and the configured 4,400 in order: 9 points.
 * 4,400 holds vllm bench serve's random defaults (1,024 + 128 tokens), so they are not
 * shortened, and 1,000 prompts are simulated. */
static void test_report_series_plan(void **state) {
    (void)state;
    static lp_model m;
    lp_error err;
    assert_int_equal(lp_model_load("meta-llama/Llama-3.1-8B-Instruct", NULL, &m, &err), LP_OK);
    const lp_gpu *g = NULL;
    assert_int_equal(lp_gpu_find(lp_gpu_db_builtin(), "H100", &g, &err), LP_OK);
    lp_serving s;
    lp_serving_init(&s);
    s.max_model_len = 4400;
    static lp_mem_plan p;
    assert_int_equal(lp_mem_plan_compute(&m, g, &s, &p, &err), LP_OK);
    assert_true(p.fits);
    lp_report_series *rs = malloc(sizeof *rs);
    assert_non_null(rs);
    lp_report_series_plan(&m, g, &s, &p, rs);
    const int64_t lens[] = {1024, 2048, 4096, 4400, 8192, 16384, 32768, 65536, 131072};
    assert_int_equal(rs->n_lengths, 9);
    for (size_t i = 0; i < 9; i++) {
        assert_int_equal(rs->lengths[i].max_model_len, lens[i]);
        assert_true(rs->lengths[i].valid);
    }
    assert_true(rs->lengths[3].fits);
    assert_int_equal(rs->lengths[3].kv_tokens, p.kv_tokens); /* the same plan again */
    /* the load sweep: 1, 2, 4 ... clients, ascending, the knee (if any) inside it */
    assert_true(rs->n_load >= 1);
    assert_int_equal(rs->load[0].concurrency, 1);
    for (size_t i = 1; i < rs->n_load; i++)
        assert_true(rs->load[i].concurrency > rs->load[i - 1].concurrency);
    assert_true(rs->knee >= -1 && rs->knee < (int)rs->n_load);
    assert_true(rs->has_workload && rs->has_estimate && rs->has_simulation);
    assert_true(lp_len_mean(&rs->workload.workload.input) == 1024);
    assert_true(lp_len_mean(&rs->workload.workload.output) == 128);
    assert_non_null(strstr(rs->simulation_note, "1000 requests"));
    assert_non_null(strstr(rs->workload_note, "clients in a closed loop"));
    free(rs);
}

/*
 * A plan's KV capacity carries the error band of its class in the compiled-in table, as an
 * estimate's ranges do: the KV tokens and the concurrency times the factors of the class that
 * lp_band_lookup finds for the GPU's family (or a broader one, said as such, for a family
 * without enough start-up logs of its own), and a note that says it.
 */
static void test_plan_kv_band(void **state) {
    (void)state;
    static const struct {
        const char *json, *family;
    } CASES[] = {
        {"{\"model\": \"meta-llama/Llama-3.1-8B-Instruct\", \"gpu\": \"H100\"}", "hopper"},
        {"{\"model\": \"meta-llama/Llama-3.1-8B-Instruct\", \"gpu\": \"A100 80GB\"}",
         "ampere-datacenter"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        lp_plan_request r;
        lp_error err;
        plan_ok(CASES[i].json, &r);
        assert_int_equal(lp_plan(&r, &plan, &err), LP_OK);
        assert_true(plan.plan.fits && plan.plan.kv_tokens > 0);
        int level = -1;
        const lp_band *b =
            lp_band_lookup(lp_band_table_builtin(), LP_BAND_KV, LP_BAND_CENTER, LP_BAND_METHOD_PLAN,
                           CASES[i].family, LP_BAND_ANY, &level);
        assert_non_null(b);
        assert_true(plan.kv_band.found);
        assert_int_equal(plan.kv_band.level, level);
        assert_int_equal(plan.kv_band.rows, b->rows);
        lp_assert_near(plan.kv_tokens_range.lo, plan.plan.kv_tokens * b->lo, 1e-6);
        lp_assert_near(plan.kv_tokens_range.hi, plan.plan.kv_tokens * b->hi, 1e-6);
        lp_assert_near(plan.max_concurrency_range.hi, plan.plan.max_concurrency * b->hi, 1e-9);
        char own[64];
        snprintf(own, sizeof own, "kv/center/plan/%s/*", CASES[i].family);
        assert_string_equal(plan.kv_band.own, own);
        /* a broader class than its own is said as such */
        assert_true((plan.kv_band.level > 0) == (strcmp(plan.kv_band.cls, own) != 0));
        bool said = false;
        for (int k = 0; k < plan.plan.n_notes; k++)
            said |= strstr(plan.plan.notes[k], "band KV capacity x") != NULL;
        assert_true(said);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_request_fields),
        cmocka_unit_test(test_num_gpus_rule),
        cmocka_unit_test(test_plan_request_errors),
        cmocka_unit_test(test_recommend_workload_fields),
        cmocka_unit_test(test_plan_runs),
        cmocka_unit_test(test_plan_kv_band),
        cmocka_unit_test(test_estimate_plans_context),
        cmocka_unit_test(test_estimate_method_choice),
        cmocka_unit_test(test_core_reads_no_files),
        cmocka_unit_test(test_models_list),
        cmocka_unit_test(test_report_series_plan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
