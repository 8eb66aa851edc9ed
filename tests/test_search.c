/*
 * test_search.c - the recommendation search: the same ranking for any thread count, every
 * ranked configuration valid for vLLM and within the targets, an impossible target explained
 * by the rejection counts, the Pareto front non-dominated, each objective's order, prices and
 * the cost formula (worked by hand below), malformed price files, and agreement with the real
 * start-up outcomes in ../shared/validation/kv_capacity.tsv (read at run time).
 */
#include "support/lp_test.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "llmplan/search.h"
#include "search/search_internal.h"

static lp_model model;

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

static void run(const lp_search_spec *spec, lp_search_result *r) {
    lp_error err;
    if (lp_search_run(spec, r, &err) != LP_OK)
        fail_msg("search failed: %s", err.message);
    /* every enumerated configuration is either rejected for one reason or feasible */
    size_t sum = r->feasible;
    for (int k = 0; k < LP_REJECT_COUNT; k++)
        sum += r->rejected[k];
    assert_int_equal(sum, r->enumerated);
    assert_true(r->n_ranked <= r->feasible);
}

/* Llama-3.1-8B on three GPU types up to 8 GPUs, every option on, TPOT < 60 ms. */
static const lp_gpu *three_gpus[3];
static void spec_8b(lp_search_spec *spec) {
    load("meta-llama/Llama-3.1-8B-Instruct");
    three_gpus[0] = gpu("H100 SXM");
    three_gpus[1] = gpu("A100 80GB SXM");
    three_gpus[2] = gpu("T4");
    lp_search_spec_init(spec);
    spec->model = &model;
    spec->gpus = three_gpus;
    spec->n_gpus = 3;
    spec->max_gpus = 8;
    spec->allow_quantization = true;
    spec->workload.input = lp_len_fixed(1000);
    spec->workload.output = lp_len_fixed(200);
    spec->workload.request_rate = 4;
    spec->targets.max_tpot_ms = 60;
}

static bool same_candidate(const lp_candidate *x, const lp_candidate *y) {
    return x->gpu == y->gpu && x->num_gpus == y->num_gpus && x->tp == y->tp && x->pp == y->pp &&
           x->dp == y->dp && x->expert_parallel == y->expert_parallel &&
           strcmp(x->quantization, y->quantization) == 0 &&
           x->kv_cache_dtype == y->kv_cache_dtype && x->max_num_seqs == y->max_num_seqs &&
           x->max_num_batched_tokens == y->max_num_batched_tokens && x->score == y->score &&
           x->ttft_ms == y->ttft_ms && x->e2e_ms == y->e2e_ms && x->pareto == y->pareto &&
           strcmp(x->why, y->why) == 0;
}

static void assert_same_results(const lp_search_result *a, const lp_search_result *b) {
    assert_int_equal(a->enumerated, b->enumerated);
    assert_int_equal(a->n_ranked, b->n_ranked);
    assert_int_equal(a->n_pareto, b->n_pareto);
    for (int k = 0; k < LP_REJECT_COUNT; k++)
        assert_int_equal(a->rejected[k], b->rejected[k]);
    for (size_t i = 0; i < a->n_ranked; i++)
        if (!same_candidate(&a->ranked[i], &b->ranked[i]))
            fail_msg("rank %zu differs: \"%s\" vs \"%s\"", i + 1, a->ranked[i].why,
                     b->ranked[i].why);
    for (size_t i = 0; i < a->n_pareto; i++)
        assert_true(same_candidate(&a->pareto[i], &b->pareto[i]));
}

static void test_determinism_threads(void **state) {
    (void)state;
    lp_search_spec spec;
    for (int pct = 0; pct < 2; pct++) {
        spec_8b(&spec);
        spec.targets.percentile = pct ? 99 : 50;
        lp_search_result one, two, three;
        spec.threads = 1;
        run(&spec, &one);
        spec.threads = 2;
        run(&spec, &two);
        spec.threads = 3;
        run(&spec, &three);
        assert_true(one.n_ranked > 10);
        assert_same_results(&one, &two);
        assert_same_results(&one, &three);
        if (pct) {
            /* p99: the top of the ranking was re-checked with the simulation */
            assert_true(one.simulated > 0);
            assert_true(one.ranked[0].simulated);
            assert_non_null(strstr(one.ranked[0].why, "p99 simulated"));
        }
        lp_search_result_free(&one);
        lp_search_result_free(&two);
        lp_search_result_free(&three);
    }
}

/* Re-plan every ranked candidate with the memory planner: vLLM would start it, and it fits. */
static void assert_valid_for_vllm(const lp_search_spec *spec, const lp_search_result *r) {
    for (size_t i = 0; i < r->n_ranked; i++) {
        const lp_candidate *c = &r->ranked[i];
        lp_serving s;
        lp_candidate_serving(c, &s);
        lp_mem_plan plan;
        lp_error err;
        if (lp_mem_plan_compute(&model, c->gpu, &s, &plan, &err) != LP_OK)
            fail_msg("rank %zu (%s) is refused: %s", i + 1, c->why, err.message);
        assert_true(plan.fits);
        assert_int_equal(c->tp * c->pp * c->dp, c->num_gpus);
        assert_int_equal(model.num_heads % c->tp, 0);
        if (!model.use_mla)
            assert_true(c->tp >= model.num_kv_heads ? c->tp % model.num_kv_heads == 0
                                                    : model.num_kv_heads % c->tp == 0);
        assert_true(c->pp <= model.num_layers);
        assert_true(c->tp <= (spec->gpus_per_node ? spec->gpus_per_node : 8));
        assert_true(c->num_gpus <= spec->max_gpus);
        assert_int_equal(c->nodes, (c->num_gpus + 7) / 8);
        int cc = c->gpu->cc_major * 10 + c->gpu->cc_minor;
        if (strcmp(c->quantization, "fp8") == 0)
            assert_true(lp_gpu_supports_fp8(c->gpu) || cc >= 80);
        if (strcmp(c->quantization, "awq") == 0)
            assert_true(cc >= 75);
        if (c->kv_cache_dtype == LP_DTYPE_FP8)
            assert_true(cc >= 80);
        if (!lp_gpu_supports_bf16(c->gpu))
            assert_int_equal(plan.dtype, LP_DTYPE_FP16);
        assert_int_equal(plan.kv_tokens, c->kv_tokens);
    }
}

static void test_ranked_valid_for_vllm(void **state) {
    (void)state;
    lp_search_spec spec;
    spec_8b(&spec);
    lp_search_result r;
    run(&spec, &r);
    assert_true(r.n_ranked > 0);
    assert_valid_for_vllm(&spec, &r);
    /* T4 (cc 7.5) has no FP8 and no bf16: fp8 weights and KV are counted invalid there */
    assert_true(r.rejected[LP_REJECT_INVALID] > 0);
    bool t4 = false;
    for (size_t i = 0; i < r.n_ranked; i++)
        t4 |= r.ranked[i].gpu == three_gpus[2];
    assert_true(t4);
    lp_search_result_free(&r);

    /* a MoE model with expert parallelism: Qwen3-30B-A3B (48 layers, 4 KV heads) */
    load("Qwen/Qwen3-30B-A3B");
    const lp_gpu *h100 = gpu("H100 SXM");
    spec.model = &model;
    spec.gpus = &h100;
    spec.n_gpus = 1;
    spec.targets.max_tpot_ms = 0;
    run(&spec, &r);
    bool ep = false;
    for (size_t i = 0; i < r.n_ranked; i++)
        ep |= r.ranked[i].expert_parallel;
    assert_true(ep);
    /* 4 KV heads: TP 8 replicates each twice (8 % 4 == 0), which vLLM accepts */
    assert_valid_for_vllm(&spec, &r);
    lp_search_result_free(&r);
}

static void assert_targets(const lp_targets *t, const lp_search_result *r) {
    for (size_t i = 0; i < r->n_ranked; i++) {
        const lp_candidate *c = &r->ranked[i];
        assert_true(c->meets_targets);
        if (t->max_ttft_ms > 0)
            assert_true(c->ttft_ms <= t->max_ttft_ms);
        if (t->max_tpot_ms > 0)
            assert_true(c->tpot_ms <= t->max_tpot_ms);
        if (t->max_itl_ms > 0)
            assert_true(c->itl_ms <= t->max_itl_ms);
        if (t->max_e2e_ms > 0)
            assert_true(c->e2e_ms <= t->max_e2e_ms);
        if (t->min_output_tok_s > 0)
            assert_true(c->output_tok_s >= t->min_output_tok_s);
    }
}

static void test_targets_respected(void **state) {
    (void)state;
    lp_search_spec spec;
    spec_8b(&spec);
    spec.workload.request_rate = 0;
    spec.workload.max_concurrency = 32;
    spec.targets.max_ttft_ms = 400;
    spec.targets.max_tpot_ms = 30;
    spec.targets.max_e2e_ms = 6000;
    spec.targets.min_output_tok_s = 1000;
    for (int p = 0; p < 3; p++) {
        static const int pcts[] = {50, 90, 99};
        spec.targets.percentile = pcts[p];
        lp_search_result r;
        run(&spec, &r);
        assert_true(r.n_ranked > 0);
        assert_targets(&spec.targets, &r);
        assert_true(r.rejected[LP_REJECT_TTFT] + r.rejected[LP_REJECT_TPOT] > 0);
        lp_search_result_free(&r);
    }
}

static void test_impossible_target(void **state) {
    (void)state;
    lp_search_spec spec;
    spec_8b(&spec);
    spec.targets.max_tpot_ms = 0.001; /* 1 us per token: no GPU does that */
    lp_search_result r;
    run(&spec, &r);
    assert_int_equal(r.n_ranked, 0);
    assert_int_equal(r.n_pareto, 0);
    assert_int_equal(r.feasible, 0);
    /* everything that fitted was estimated and missed the TPOT target */
    assert_int_equal(r.rejected[LP_REJECT_TPOT], r.estimated);
    assert_true(r.estimated > 0);
    lp_search_result_free(&r);

    /* Llama-3.1-405B in bf16 (about 810 GB of weights) on at most 8 L4s (24 GB each) */
    load("meta-llama/Llama-3.1-405B");
    const lp_gpu *l4 = gpu("L4");
    spec.model = &model;
    spec.gpus = &l4;
    spec.n_gpus = 1;
    spec.targets.max_tpot_ms = 0;
    run(&spec, &r);
    assert_int_equal(r.n_ranked, 0);
    assert_int_equal(r.estimated, 0);
    assert_true(r.rejected[LP_REJECT_NO_FIT] > 0);
    lp_search_result_free(&r);
}

static void test_pareto_nondominated(void **state) {
    (void)state;
    lp_search_spec spec;
    spec_8b(&spec);
    spec.objective = LP_OBJ_COST;
    lp_search_result r;
    run(&spec, &r);
    assert_true(r.n_pareto >= 2);
    for (size_t i = 0; i < r.n_pareto; i++) {
        const lp_candidate *p = &r.pareto[i];
        assert_true(p->pareto);
        assert_true(isfinite(p->usd_per_million_output_tokens));
        if (i > 0) {
            /* sorted by cost; each costlier point must be faster */
            assert_true(p->usd_per_million_output_tokens >=
                        r.pareto[i - 1].usd_per_million_output_tokens);
            assert_true(p->e2e_ms < r.pareto[i - 1].e2e_ms);
        }
        /* no feasible candidate dominates a front point */
        for (size_t j = 0; j < r.n_ranked; j++) {
            const lp_candidate *c = &r.ranked[j];
            bool le = c->usd_per_million_output_tokens <= p->usd_per_million_output_tokens &&
                      c->e2e_ms <= p->e2e_ms;
            bool lt = c->usd_per_million_output_tokens < p->usd_per_million_output_tokens ||
                      c->e2e_ms < p->e2e_ms;
            assert_false(le && lt);
        }
    }
    /* every priced candidate is matched or beaten by some front point */
    for (size_t j = 0; j < r.n_ranked; j++) {
        const lp_candidate *c = &r.ranked[j];
        if (!isfinite(c->usd_per_million_output_tokens))
            continue;
        bool covered = false;
        for (size_t i = 0; i < r.n_pareto && !covered; i++)
            covered =
                r.pareto[i].usd_per_million_output_tokens <= c->usd_per_million_output_tokens &&
                r.pareto[i].e2e_ms <= c->e2e_ms;
        assert_true(covered);
    }
    lp_search_result_free(&r);
}

static double nan_last(double v) {
    return isnan(v) ? INFINITY : v;
}

static void test_objective_ordering(void **state) {
    (void)state;
    lp_search_spec spec;
    spec_8b(&spec);
    spec.workload.request_rate = 0;
    spec.workload.max_concurrency = 64; /* throughput differs between configurations */
    for (int o = LP_OBJ_THROUGHPUT_PER_GPU; o <= LP_OBJ_GPUS; o++) {
        spec.objective = (lp_objective)o;
        lp_search_result r;
        run(&spec, &r);
        assert_true(r.n_ranked > 10);
        /* ties within 1 % of the best remaining value are reordered by latency, so the order
         * holds to that tolerance: for a before b, a's key is within 1 % of b's or better
         * (throughput >= 0.99 x b's; a cost or latency <= 1.01 x b's) */
        const double tol = 1 + LP_SEARCH_TIE_FRACTION;
        for (size_t i = 1; i < r.n_ranked; i++) {
            const lp_candidate *a = &r.ranked[i - 1], *b = &r.ranked[i];
            switch (spec.objective) {
            case LP_OBJ_THROUGHPUT_PER_GPU:
                assert_true(a->output_tok_s_per_gpu >=
                            (1 - LP_SEARCH_TIE_FRACTION) * b->output_tok_s_per_gpu);
                break;
            case LP_OBJ_COST:
                assert_true(nan_last(a->usd_per_million_output_tokens) <=
                            tol * nan_last(b->usd_per_million_output_tokens));
                break;
            case LP_OBJ_LATENCY:
                assert_true(a->e2e_ms <= tol * b->e2e_ms);
                break;
            case LP_OBJ_GPUS:
                /* 1 % of a GPU count is less than one GPU: equal counts tie, on latency */
                assert_true(a->num_gpus <= b->num_gpus);
                if (a->num_gpus == b->num_gpus)
                    assert_true(a->e2e_ms <= b->e2e_ms);
                break;
            }
        }
        lp_search_result_free(&r);
    }
    lp_objective o;
    lp_error err;
    for (int i = LP_OBJ_THROUGHPUT_PER_GPU; i <= LP_OBJ_GPUS; i++) {
        assert_int_equal(lp_objective_parse(lp_objective_name((lp_objective)i), &o, &err), LP_OK);
        assert_int_equal(o, i);
    }
    assert_int_equal(lp_objective_parse("fastest", &o, &err), LP_ERR_INVALID_ARG);
}

/* Write text to a fresh temporary file; returns its path (static buffer per slot). */
static void test_prices_builtin(void **state) {
    (void)state;
    const lp_price_table *t = lp_price_table_builtin();
    assert_non_null(t);
    assert_string_equal(lp_price_table_origin(t), "data/prices.tsv (embedded)");
    /* the cheapest H100 SXM row of data/prices.tsv, read here independently of the parser */
    char path[1024];
    snprintf(path, sizeof path, "%s/data/prices.tsv", LP_SOURCE_DIR);
    char *text = lp_test_read_file(path, NULL);
    double cheapest = INFINITY;
    int rows = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "H100 SXM\t", 9) == 0) {
            double v = strtod(line + 9, NULL);
            if (v < cheapest)
                cheapest = v;
            rows++;
        }
        /* every row has five columns: gpu, price, provider, date, source */
        if (line[0] != '#') {
            int tabs = 0;
            for (const char *p = line; *p; p++)
                tabs += *p == '\t';
            assert_int_equal(tabs, 4);
        }
    }
    free(text);
    assert_true(rows >= 1);
    const lp_price *p = lp_price_for(t, gpu("H100"));
    assert_non_null(p);
    assert_true(p->usd_per_gpu_hour == cheapest);
    assert_true(strlen(p->source) > 8 && strlen(p->date) == 10);
    /* a GPU without a row: no price (costs are NaN) */
    assert_null(lp_price_for(t, gpu("RTX 3090")));
}

/*
 * The cost formula by hand: one price row, L4 at $1.00 per GPU-hour. Llama-3.1-8B at 1 req/s
 * with 100 output tokens per request: the deployment keeps up, so it produces 100 output
 * tokens/s = 360,000 per hour. 1 GPU: $1.00/h -> 1.00 / 360,000 x 1e6 = $2.7778 per million
 * output tokens; 2 GPUs: $2.00/h -> $5.5556 per million.
 */
static void test_cost_formula(void **state) {
    (void)state;
    char path[512];
    lp_test_write_temp(path, sizeof path,
                       "# one row\ngpu\tusd_per_gpu_hour\tprovider\tdate\tsource\n"
                       "L4\t1.00\ttest\t2025-01-01\thttps://example.org/prices\n");
    lp_price_table *t = NULL;
    lp_error err;
    assert_int_equal(lp_price_table_load(path, &t, &err), LP_OK);
    assert_string_equal(lp_price_table_origin(t), path);
    load("meta-llama/Llama-3.1-8B-Instruct");
    const lp_gpu *l4 = gpu("L4");
    lp_search_spec spec;
    lp_search_spec_init(&spec);
    spec.model = &model;
    spec.gpus = &l4;
    spec.n_gpus = 1;
    spec.max_gpus = 2;
    spec.workload.input = lp_len_fixed(500);
    spec.workload.output = lp_len_fixed(100);
    spec.workload.request_rate = 1;
    spec.prices = t;
    lp_search_result r;
    run(&spec, &r);
    assert_string_equal(r.price_origin, path);
    bool one = false, two = false;
    for (size_t i = 0; i < r.n_ranked; i++) {
        const lp_candidate *c = &r.ranked[i];
        lp_assert_near(c->output_tok_s, 100.0, 1e-6);
        lp_assert_near(c->usd_per_hour, 1.00 * c->num_gpus, 1e-12);
        lp_assert_near(c->usd_per_million_output_tokens, c->num_gpus == 1 ? 2.7778 : 5.5556, 1e-4);
        one |= c->num_gpus == 1;
        two |= c->num_gpus == 2;
    }
    assert_true(one && two);
    lp_search_result_free(&r);
    /* the embedded table has no price for this GPU: NaN costs, ranked last by cost */
    const lp_gpu *g3090 = gpu("RTX 3090");
    spec.gpus = &g3090;
    spec.prices = NULL;
    spec.objective = LP_OBJ_COST;
    run(&spec, &r);
    assert_true(r.n_ranked > 0);
    assert_true(isnan(r.ranked[0].usd_per_million_output_tokens));
    assert_non_null(strstr(r.ranked[0].why, "no price"));
    assert_int_equal(r.n_pareto, 0);
    lp_search_result_free(&r);
    lp_price_table_free(t);
    unlink(path);
}

static void expect_price_error(const char *text, lp_status code, const char *needle) {
    char path[512];
    lp_test_write_temp(path, sizeof path, text);
    lp_price_table *t = NULL;
    lp_error err;
    lp_error_clear(&err);
    lp_status st = lp_price_table_load(path, &t, &err);
    unlink(path);
    if (st != code)
        fail_msg("expected status %d, got %d (%s) for:\n%s", code, st, err.message, text);
    assert_null(t);
    if (!strstr(err.message, needle))
        fail_msg("message \"%s\" lacks \"%s\"", err.message, needle);
}

static void test_price_file_malformed(void **state) {
    (void)state;
    static const char header[] = "gpu\tusd_per_gpu_hour\tprovider\tdate\tsource\n";
    char text[512];
    snprintf(text, sizeof text, "%sH100\tabc\tx\t2025-01-01\thttps://x\n", header);
    expect_price_error(text, LP_ERR_PARSE, ":2: usd_per_gpu_hour");
    snprintf(text, sizeof text, "%sH100\t-2\tx\t2025-01-01\thttps://x\n", header);
    expect_price_error(text, LP_ERR_PARSE, "usd_per_gpu_hour");
    snprintf(text, sizeof text, "%sH100\t2.0\tx\t2025-01\thttps://x\n", header);
    expect_price_error(text, LP_ERR_PARSE, "date");
    snprintf(text, sizeof text, "%sA100\t2.0\tx\t2025-01-01\thttps://x\n", header);
    expect_price_error(text, LP_ERR_PARSE, ":2: gpu"); /* A100: 40 or 80 GB? ambiguous */
    snprintf(text, sizeof text, "%sH100\t2.0\tx\t2025-01-01\n", header);
    expect_price_error(text, LP_ERR_PARSE, "columns");
    expect_price_error("gpu\tprice\nH100\t2.0\n", LP_ERR_PARSE, "usd_per_gpu_hour");
    expect_price_error("# only a comment\n", LP_ERR_PARSE, "no prices");
    lp_price_table *t = NULL;
    lp_error err;
    assert_int_equal(lp_price_table_load("/nonexistent/prices.tsv", &t, &err), LP_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "/nonexistent/prices.tsv"));
}

typedef struct {
    pthread_t caller;
    size_t calls, last_done, total;
    bool other_thread, backwards;
} progress_log;

static void on_progress(void *ctx, size_t done, size_t total) {
    progress_log *p = ctx;
    p->other_thread |= !pthread_equal(pthread_self(), p->caller);
    p->backwards |= done < p->last_done || done > total;
    p->calls++;
    p->last_done = done;
    p->total = total;
}

/* Progress comes from the calling thread only, never goes backwards, and ends at the total. */
static void test_progress(void **state) {
    (void)state;
    lp_search_spec spec;
    spec_8b(&spec);
    spec.threads = 2;
    progress_log log = {pthread_self(), 0, 0, 0, false, false};
    spec.progress = on_progress;
    spec.progress_ctx = &log;
    lp_search_result r;
    run(&spec, &r);
    assert_true(log.calls >= 1);
    assert_false(log.other_thread);
    assert_false(log.backwards);
    assert_int_equal(log.last_done, r.enumerated);
    assert_int_equal(log.total, r.enumerated);
    lp_search_result_free(&r);
}

static void test_spec_errors(void **state) {
    (void)state;
    lp_search_spec spec;
    lp_search_result r;
    lp_error err;
    lp_search_spec_init(&spec);
    assert_int_equal(lp_search_run(&spec, &r, &err), LP_ERR_INVALID_ARG); /* no model */
    spec_8b(&spec);
    spec.targets.percentile = 75;
    assert_int_equal(lp_search_run(&spec, &r, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "percentile"));
    spec_8b(&spec);
    spec.gpu_memory_utilization = 1.5;
    assert_int_equal(lp_search_run(&spec, &r, &err), LP_ERR_INVALID_ARG);
    spec_8b(&spec);
    spec.workload.request_rate = -1;
    assert_int_equal(lp_search_run(&spec, &r, &err), LP_ERR_INVALID_ARG);
}

/* ---- agreement with real vLLM start-ups (../shared/validation/kv_capacity.tsv) --------- */

static int column(char **cols, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (strcmp(cols[i], name) == 0)
            return i;
    fail_msg("kv_capacity.tsv: no column %s", name);
    return -1;
}

static int split(char *line, char **cols, int max) {
    int n = 0;
    for (char *p = line; n < max;) {
        cols[n++] = p;
        char *tab = strchr(p, '\t');
        if (!tab)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    return n;
}

static bool matches(const lp_candidate *c, const lp_gpu *g, int count, int tp, int pp,
                    lp_dtype kv) {
    return c->gpu == g && c->num_gpus == count && c->tp == tp && c->pp == pp &&
           c->kv_cache_dtype == kv && c->quantization[0] == '\0';
}

static void test_validation_kv_capacity(void **state) {
    (void)state;
    char path[1024];
    lp_test_shared_path("validation/kv_capacity.tsv", path, sizeof path);
    char *text = lp_test_read_file(path, NULL);
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save);
    char *hdr[64];
    int nh = split(line, hdr, 64);
    const int c_model = column(hdr, nh, "model"), c_quant = column(hdr, nh, "dtype_quant"),
              c_kv = column(hdr, nh, "kv_cache_dtype"), c_gpu = column(hdr, nh, "gpu"),
              c_count = column(hdr, nh, "gpu_count"), c_tp = column(hdr, nh, "tp"),
              c_pp = column(hdr, nh, "pp"), c_gmu = column(hdr, nh, "gmu"),
              c_len = column(hdr, nh, "max_model_len"), c_ver = column(hdr, nh, "vllm_version"),
              c_out = column(hdr, nh, "outcome");
    int failures = 0, successes = 0;
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        char *cols[64];
        int n = split(line, cols, 64);
        if (n <= c_out)
            continue;
        /* runtime flags (--dtype float32, --quantization fp8) are not this search's axes */
        if (strstr(cols[c_quant], "--"))
            continue;
        lp_error err;
        if (lp_model_load(cols[c_model], NULL, &model, &err) != LP_OK)
            continue; /* not in the catalog */
        const lp_gpu *g = gpu(cols[c_gpu]);
        char version[32];
        sscanf(cols[c_ver], "%31s", version);
        lp_search_spec spec;
        lp_search_spec_init(&spec);
        if (lp_vllm_version_parse(version, &spec.vllm_version, &err) != LP_OK)
            fail_msg("%s", err.message);
        spec.model = &model;
        spec.gpus = &g;
        spec.n_gpus = 1;
        spec.max_gpus = atoi(cols[c_count]);
        spec.gpu_memory_utilization = strtod(cols[c_gmu], NULL);
        spec.max_model_len = atoll(cols[c_len]);
        spec.allow_quantization = false;
        const int tp = atoi(cols[c_tp]), pp = atoi(cols[c_pp]);
        const lp_dtype kv = strcmp(cols[c_kv], "fp8") == 0 ? LP_DTYPE_FP8 : LP_DTYPE_AUTO;
        lp_search_result r;
        run(&spec, &r);
        assert_int_equal(r.n_ranked, r.deployments); /* small spaces: nothing capped */
        bool found = false;
        for (size_t i = 0; i < r.n_ranked; i++)
            found |= matches(&r.ranked[i], g, spec.max_gpus, tp, pp, kv);
        bool ok = strncmp(cols[c_out], "ok", 2) == 0;
        if (ok && !found)
            fail_msg("%s on %d x %s (tp %d, pp %d, gmu %g, max-model-len %lld) started in "
                     "vLLM but the search never ranks it",
                     cols[c_model], spec.max_gpus, g->name, tp, pp, spec.gpu_memory_utilization,
                     (long long)spec.max_model_len);
        if (!ok && found)
            fail_msg("%s on %d x %s (tp %d, pp %d) failed in vLLM (%s) but the search ranks it",
                     cols[c_model], spec.max_gpus, g->name, tp, pp, cols[c_out]);
        failures += !ok;
        successes += ok;
        lp_search_result_free(&r);
    }
    free(text);
    assert_true(failures >= 1);
    assert_true(successes >= 5);
}

/* An evaluation with what the tie-breaks read; index is the enumeration order. */
static lp_search_eval eval(size_t index, double score, double e2e_ms, bool ckpt, int nodes,
                           int gpus) {
    lp_search_eval e;
    memset(&e, 0, sizeof e);
    e.index = index;
    e.score = score;
    e.e2e_ms = e2e_ms;
    e.needs_checkpoint = ckpt;
    e.nodes = nodes;
    e.num_gpus = gpus;
    return e;
}

/*
 * Ties on constructed candidates (scores are -tok/s per GPU: lower is better). The best score
 * is -1000, so the tie holds everything within 1 % of it: -990 included (exactly 1 %), -980 not.
 * Inside the tie: lower E2E first (G 5000 ms), then at 6000 ms the model's own checkpoint
 * (D needs another, last of the three), then fewer nodes (C has 2), then fewer GPUs (F 4 before
 * B 8); A is slower (9000 ms) and E, though the fastest of all, is outside the tie.
 */
static void test_tie_breaks(void **state) {
    (void)state;
    lp_search_eval e[] = {
        eval(0, -1000, 9000, true, 1, 8),  /* A */
        eval(1, -995, 6000, false, 1, 8),  /* B */
        eval(2, -994, 6000, false, 2, 16), /* C */
        eval(3, -996, 6000, true, 1, 8),   /* D */
        eval(4, -980, 100, false, 1, 8),   /* E */
        eval(5, -1000, 6000, false, 1, 4), /* F */
        eval(6, -990, 5000, false, 1, 8),  /* G */
    };
    const size_t want[] = {6, 5, 1, 2, 3, 0, 4}; /* G F B C D A E */
    lp_search_rank(e, sizeof e / sizeof e[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (e[i].index != want[i])
            fail_msg("position %zu: candidate %zu, expected %zu", i, e[i].index, want[i]);
    /* a NaN latency sorts last in its tie; equal keys fall back to the enumeration order */
    lp_search_eval f[] = {eval(0, -100, NAN, false, 1, 1), eval(1, -100, 50, false, 1, 1),
                          eval(2, -100, 50, false, 1, 1)};
    lp_search_rank(f, 3);
    assert_int_equal(f[0].index, 1);
    assert_int_equal(f[1].index, 2);
    assert_int_equal(f[2].index, 0);
}

/* Each ranked row is a different deployment; its batch-limit variants all meet the targets,
 * the first is the row itself, and the rest differ only in max-num-seqs / -batched-tokens. */
static void test_distinct_deployments(void **state) {
    (void)state;
    lp_search_spec spec;
    spec_8b(&spec);
    lp_search_result r;
    run(&spec, &r);
    assert_true(r.n_ranked > 10);
    assert_int_equal(r.n_ranked, r.deployments);
    size_t total = 0;
    for (size_t i = 0; i < r.n_ranked; i++) {
        const lp_candidate *a = &r.ranked[i];
        for (size_t j = 0; j < i; j++) {
            const lp_candidate *b = &r.ranked[j];
            bool same = a->gpu == b->gpu && a->num_gpus == b->num_gpus && a->tp == b->tp &&
                        a->pp == b->pp && a->dp == b->dp &&
                        a->expert_parallel == b->expert_parallel &&
                        a->kv_cache_dtype == b->kv_cache_dtype &&
                        strcmp(a->quantization, b->quantization) == 0;
            if (same)
                fail_msg("ranks %zu and %zu are one deployment", j + 1, i + 1);
        }
        assert_true(a->n_variants >= 1);
        assert_true(a->variants_first + a->n_variants <= r.n_variants);
        const lp_batch_variant *v = &r.variants[a->variants_first];
        assert_int_equal(v[0].max_num_seqs, a->max_num_seqs);
        assert_int_equal(v[0].max_num_batched_tokens, a->max_num_batched_tokens);
        assert_true(v[0].e2e_ms == a->e2e_ms);
        for (size_t k = 0; k < a->n_variants; k++) {
            assert_true(v[k].tpot_ms <= spec.targets.max_tpot_ms);
            for (size_t m = 0; m < k; m++)
                assert_false(v[m].max_num_seqs == v[k].max_num_seqs &&
                             v[m].max_num_batched_tokens == v[k].max_num_batched_tokens);
        }
        total += a->n_variants;
    }
    /* every candidate meeting the targets is some deployment's variant (nothing capped) */
    assert_int_equal(total, r.feasible);
    assert_int_equal(r.n_variants, r.feasible);
    lp_search_result_free(&r);
}

/* vLLM quantizes a 16-bit checkpoint at load time only to fp8: a 4-bit AWQ candidate of a bf16
 * model needs an AWQ checkpoint, fp8 does not, and a checkpoint that is already AWQ does not. */
static void test_needs_checkpoint(void **state) {
    (void)state;
    lp_candidate c;
    memset(&c, 0, sizeof c);
    char what[128];
    load("meta-llama/Llama-3.1-8B-Instruct");
    snprintf(c.quantization, sizeof c.quantization, "awq");
    assert_true(lp_candidate_needs_checkpoint(&c, &model, what, sizeof what));
    assert_string_equal(what, "an AWQ 4-bit checkpoint of meta-llama/Llama-3.1-8B-Instruct");
    snprintf(c.quantization, sizeof c.quantization, "fp8");
    assert_false(lp_candidate_needs_checkpoint(&c, &model, NULL, 0));
    c.quantization[0] = '\0';
    assert_false(lp_candidate_needs_checkpoint(&c, &model, NULL, 0));
    load("meta-llama/Llama-3.1-8B-Instruct-AWQ"); /* catalog variant: AWQ checkpoint */
    snprintf(c.quantization, sizeof c.quantization, "awq");
    assert_false(lp_candidate_needs_checkpoint(&c, &model, NULL, 0));
}

/* Disaggregated prefill/decode against aggregated serving, Llama-3.1-8B on H100 SXM at 10 req/s
 * under TPOT <= 15 ms, ranked by output tokens/s per GPU. */
static void disagg_case(int input_len, lp_search_result *agg, lp_disagg_search *d) {
    load("meta-llama/Llama-3.1-8B-Instruct");
    static const lp_gpu *h100[1];
    h100[0] = gpu("H100 SXM");
    lp_search_spec spec;
    lp_search_spec_init(&spec);
    spec.model = &model;
    spec.gpus = h100;
    spec.n_gpus = 1;
    spec.max_gpus = 8;
    spec.workload.input = lp_len_fixed(input_len);
    spec.workload.output = lp_len_fixed(200);
    spec.workload.request_rate = 10;
    spec.targets.max_tpot_ms = 15;
    run(&spec, agg);
    lp_error err;
    if (lp_search_disagg(&spec, agg, d, &err) != LP_OK)
        fail_msg("lp_search_disagg: %s", err.message);
    assert_true(d->searched);
    /* 1 to 4 instances each: (x + y) x TP <= 8 gives 16 layouts at TP 1, 6 at TP 2 (x + y <= 4)
     * and 1 at TP 4 (1P1D), counted by hand */
    assert_int_equal(d->enumerated, 23);
}

static void test_disagg_pays_for_long_prompts(void **state) {
    (void)state;
    lp_search_result agg;
    lp_disagg_search d;
    /* 8000-token prompts at 10 req/s are 80,000 prompt tokens/s against 2,000 output tokens/s.
     * In an aggregated server those prompts are chunked into the same steps as the decodes
     * (chunked prefill), so every decode step carries up to max-num-batched-tokens of prompt and
     * the TPOT target can only be met by spreading the load thin over many GPUs. A decode pool
     * runs decode steps alone (its TPOT free of prefill), so a split meets the target with fewer
     * GPUs for the same output: it must score better per GPU, and since nearly all the work is
     * prompt, it gives prefill at least as many instances as decode. */
    disagg_case(8000, &agg, &d);
    assert_true(d.found);
    assert_true(d.pays);
    assert_true(d.best.meets_targets);
    assert_true(d.best.tpot_ms <= 15);
    if (agg.n_ranked > 0) {
        assert_true(d.best.score < agg.ranked[0].score);
        assert_true(d.best.num_gpus < agg.ranked[0].num_gpus);
    }
    assert_true(d.best.prefill_instances >= d.best.decode_instances);
    assert_non_null(strstr(d.verdict, "pays"));
    lp_search_result_free(&agg);

    /* 200-token prompts: a prompt chunk adds little to a decode step, so one aggregated GPU
     * meets TPOT <= 15 ms for the whole load, while any split takes at least two GPUs (one per
     * pool) for the same output: it cannot pay by output per GPU (DistServe, OSDI'24, and vLLM's
     * docs/features/disagg_prefill.md: disaggregation does not improve throughput). */
    disagg_case(200, &agg, &d);
    assert_true(agg.n_ranked > 0);
    assert_false(d.pays);
    assert_int_equal(agg.ranked[0].num_gpus, 1);
    if (d.found) {
        assert_true(d.best.num_gpus >= 2);
        assert_true(d.best.score > agg.ranked[0].score);
    }
    assert_non_null(strstr(d.verdict, "does not pay"));
    lp_search_result_free(&agg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_determinism_threads),
        cmocka_unit_test(test_ranked_valid_for_vllm),
        cmocka_unit_test(test_targets_respected),
        cmocka_unit_test(test_impossible_target),
        cmocka_unit_test(test_pareto_nondominated),
        cmocka_unit_test(test_objective_ordering),
        cmocka_unit_test(test_prices_builtin),
        cmocka_unit_test(test_cost_formula),
        cmocka_unit_test(test_price_file_malformed),
        cmocka_unit_test(test_progress),
        cmocka_unit_test(test_spec_errors),
        cmocka_unit_test(test_validation_kv_capacity),
        cmocka_unit_test(test_needs_checkpoint),
        cmocka_unit_test(test_tie_breaks),
        cmocka_unit_test(test_distinct_deployments),
        cmocka_unit_test(test_disagg_pays_for_long_prompts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
