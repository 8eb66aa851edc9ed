/*
 * plan_and_estimate.c - a small program over the installed libllmplan: does a model fit on a
 * GPU under vLLM, how many tokens of KV cache does it get, and how fast does it serve a
 * workload of fixed-length requests?
 *
 *   cc plan_and_estimate.c $(pkg-config --cflags --libs llmplan) -o plan_and_estimate
 *   ./plan_and_estimate [MODEL [GPU [TP]]]    (default: Llama-3.1-8B-Instruct on one H100)
 *
 * Exit status as llmplan's: 0 fits and estimated, 2 bad input (unknown model or GPU),
 * 3 valid but does not fit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llmplan/llmplan.h>

static int fail(const lp_error *err) {
    fprintf(stderr, "plan_and_estimate: %s\n", err->message);
    return err->code == LP_ERR_INFEASIBLE ? 3 : err->code == LP_ERR_IO ? 1 : 2;
}

int main(int argc, char **argv) {
    const char *model_id = argc > 1 ? argv[1] : "meta-llama/Llama-3.1-8B-Instruct";
    const char *gpu_name = argc > 2 ? argv[2] : "H100";
    int tp = argc > 3 ? atoi(argv[3]) : 1;
    if (strcmp(LP_VERSION_STRING, lp_version()) != 0)
        fprintf(stderr, "plan_and_estimate: built with llmplan %s headers, running with %s\n",
                LP_VERSION_STRING, lp_version());

    /* lp_model is a few kilobytes of architecture facts: keep it off small stacks */
    static lp_model model;
    static lp_mem_plan plan;
    lp_error err;
    const lp_gpu *gpu = NULL;
    if (lp_model_load(model_id, NULL, &model, &err) != LP_OK ||
        lp_gpu_find(lp_gpu_db_builtin(), gpu_name, &gpu, &err) != LP_OK)
        return fail(&err);

    /* vLLM's defaults, then the flags we would pass to `vllm serve` */
    lp_serving serving;
    lp_serving_init(&serving);
    serving.tensor_parallel_size = tp;
    serving.max_model_len = 8192;
    if (lp_mem_plan_compute(&model, gpu, &serving, &plan, &err) != LP_OK)
        return fail(&err);
    printf("%s on %d x %s, --max-model-len %lld:\n", model.id, tp, gpu->name,
           (long long)plan.max_model_len);
    printf("  KV cache %.2f GiB per GPU, %lld tokens, %.1f requests of %lld tokens at once\n",
           plan.ranks[0].kv_cache_bytes / (1024.0 * 1024.0 * 1024.0), (long long)plan.kv_tokens,
           plan.max_concurrency, (long long)plan.max_model_len);
    if (!plan.fits) {
        lp_mem_plan_infeasible(&plan, &err);
        return fail(&err);
    }

    /* 1000 requests of 1024 prompt + 256 output tokens, 32 at a time, as
     * `vllm bench serve --random-input-len 1024 --random-output-len 256 --max-concurrency 32` */
    static lp_perf_request req;
    static lp_perf_estimate est;
    lp_perf_request_init(&req);
    req.model = &model;
    lp_cluster_init(&req.cluster, gpu);
    req.serving = serving;
    req.workload.input = lp_len_fixed(1024);
    req.workload.output = lp_len_fixed(256);
    req.workload.max_concurrency = 32;
    req.method = LP_ROOFLINE;
    lp_status st = lp_estimate_performance(&req, &est);
    if (st != LP_OK) {
        fprintf(stderr, "plan_and_estimate: %s\n", est.error);
        return st == LP_ERR_INFEASIBLE ? 3 : 2;
    }
    printf("  TTFT %.1f ms, TPOT %.2f ms, %.0f output tokens/s (%s)\n", est.ttft_ms.mean,
           est.tpot_ms.mean, est.output_tok_s, lp_method_name(est.method));
    for (int i = 0; i < est.n_assumptions; i++)
        printf("  assumes: %s\n", est.assumptions[i]);
    return 0;
}
