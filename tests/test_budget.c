/*
 * test_budget.c - work budgets (llmplan/budget.h) through the library's long loops: a
 * simulation stops at its step cap, its deadline or its cancel flag, a search at its size cap
 * or deadline, each with LP_ERR_LIMIT, the limit recorded and a message naming it; without a
 * budget the built-in caps apply and ordinary work is untouched. The CLI's exit code 4 for a
 * resource limit is checked on recommend (the search cap is reached at once).
 */
#include <math.h>
#include <string.h>

#include "support/lp_test.h"

#include "llmplan/budget.h"
#include "llmplan/model.h"
#include "llmplan/perf.h"
#include "llmplan/search.h"

static lp_model g_model;

static void load_8b(void) {
    lp_error err;
    if (lp_model_load("meta-llama/Llama-3.1-8B-Instruct", NULL, &g_model, &err) != LP_OK)
        fail_msg("model: %s", err.message);
}

/* A simulation of n prompts of out output tokens of Llama-3.1-8B on one H100. */
static lp_status simulate(int n, int out, lp_perf_estimate *est) {
    lp_perf_request r;
    lp_perf_request_init(&r);
    r.model = &g_model;
    r.gpu_name = "H100";
    r.method = LP_SIMULATE;
    r.workload.num_prompts = n;
    r.workload.output = lp_len_fixed(out);
    memset(est, 0, sizeof *est);
    return lp_estimate_performance(&r, est);
}

static void test_sim_steps(void **state) {
    (void)state;
    load_8b();
    lp_perf_estimate est;
    /* 1000 prompts x 128 tokens: about 1,000 steps (batches of 256), well within 10,000 */
    lp_budget b = {0};
    b.max_sim_steps = 10000;
    b.owner = "the test's budget";
    lp_budget_enter(&b);
    assert_int_equal(simulate(1000, 128, &est), LP_OK);
    assert_int_equal(b.tripped, LP_BUDGET_NONE);
    /* 1000 prompts x 20,000 tokens: at least 80,000 decode steps (256 at a time) */
    assert_int_equal(simulate(1000, 20000, &est), LP_ERR_LIMIT);
    lp_budget_enter(NULL);
    assert_false(est.valid);
    assert_int_equal(b.tripped, LP_BUDGET_SIM_STEPS);
    assert_non_null(strstr(est.error, "stopped after 10000 engine steps"));
    assert_non_null(strstr(est.error, "the test's budget"));
}

static void test_sim_deadline_and_cancel(void **state) {
    (void)state;
    load_8b();
    lp_perf_estimate est;
    lp_budget b = {0};
    b.deadline_s = lp_budget_now() - 1; /* already past */
    lp_budget_enter(&b);
    assert_int_equal(simulate(200, 5000, &est), LP_ERR_LIMIT);
    assert_int_equal(b.tripped, LP_BUDGET_DEADLINE);
    assert_non_null(strstr(est.error, "time limit"));

    int cancel = 1;
    lp_budget c = {0};
    c.cancel = &cancel;
    lp_budget_enter(&c);
    assert_int_equal(simulate(200, 5000, &est), LP_ERR_LIMIT);
    assert_int_equal(c.tripped, LP_BUDGET_CANCELLED);
    /* the first limit hit stays recorded */
    c.deadline_s = lp_budget_now() - 1;
    assert_int_equal(simulate(200, 5000, &est), LP_ERR_LIMIT);
    assert_int_equal(c.tripped, LP_BUDGET_CANCELLED);
    lp_budget_enter(NULL);
    assert_null(lp_budget_current());
    /* no budget: the same simulation (about 5,000 steps; the budget is checked every 1,024)
     * runs to the end */
    assert_int_equal(simulate(200, 5000, &est), LP_OK);
    assert_int_equal(est.completed, 200);
}

static void spec_for(lp_search_spec *spec) {
    lp_search_spec_init(spec);
    spec->model = &g_model;
    spec->max_gpus = 64;
    spec->allow_quantization = true;
}

static void test_search(void **state) {
    (void)state;
    load_8b();
    lp_search_spec spec;
    spec_for(&spec);
    lp_search_result r;
    lp_error err;
    lp_budget b = {0};
    b.max_search_configs = 1000;
    b.max_threads = 1;
    lp_budget_enter(&b);
    assert_int_equal(lp_search_run(&spec, &r, &err), LP_ERR_LIMIT);
    assert_int_equal(b.tripped, LP_BUDGET_SEARCH_CONFIGS);
    assert_non_null(strstr(err.message, "more than 1000"));

    lp_budget d = {0};
    d.deadline_s = lp_budget_now() - 1;
    lp_budget_enter(&d);
    assert_int_equal(lp_search_run(&spec, &r, &err), LP_ERR_LIMIT);
    assert_int_equal(d.tripped, LP_BUDGET_DEADLINE);
    assert_non_null(strstr(err.message, "search: stopped at the time limit"));
    lp_budget_enter(NULL);

    /* the built-in cap: 2,000,000 configurations */
    spec.max_gpus = 1024;
    assert_int_equal(lp_search_run(&spec, &r, &err), LP_ERR_LIMIT);
    assert_non_null(strstr(err.message, "more than 2000000"));
    assert_non_null(strstr(err.message, "a limit built into llmplan"));
}

static void test_threads(void **state) {
    (void)state;
    assert_int_equal(lp_budget_threads(8), 8);
    assert_int_equal(lp_budget_threads(0), 1);
    lp_budget b = {0};
    b.max_threads = 2;
    lp_budget_enter(&b);
    assert_int_equal(lp_budget_threads(8), 2);
    assert_int_equal(lp_budget_threads(1), 1);
    lp_budget_enter(NULL);
    assert_int_equal(lp_budget_sim_steps(), LP_BUDGET_DEFAULT_SIM_STEPS);
    assert_int_equal(lp_budget_search_configs(), LP_BUDGET_DEFAULT_SEARCH_CONFIGS);
}

/* The CLI: a resource limit is exit 4 with its own message and nothing on stdout. */
static void test_cli_exit_code(void **state) {
    (void)state;
    char *out = lp_test_cli("recommend --model meta-llama/Llama-3.1-8B-Instruct --max-gpus 1024 "
                            "--allow-quantization 2>&1",
                            4);
    assert_non_null(strstr(out, "more than 2000000"));
    assert_null(strstr(out, "vllm serve"));
    free(out);
    out = lp_test_cli("recommend --model meta-llama/Llama-3.1-8B-Instruct --max-gpus 1024 "
                      "--allow-quantization --json 2>/dev/null",
                      4);
    assert_string_equal(out, "");
    free(out);
    out = lp_test_cli("--help", 0);
    assert_non_null(strstr(out, "4 larger than a resource limit allows"));
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_sim_steps),
        cmocka_unit_test(test_sim_deadline_and_cancel),
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_cli_exit_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
