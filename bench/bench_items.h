/*
 * bench_items.h - the batch items the benchmarks share: 10,000 mixed roofline configurations
 * as a sweep writes them (GPU type, TP, context, prompt and output lengths, closed-loop
 * concurrency or a Poisson rate on every third item), of one model or of four. bench_perf
 * measures the batch API on them end to end, bench_phases splits one item's cost.
 */
#ifndef LP_BENCH_ITEMS_H
#define LP_BENCH_ITEMS_H

#include "llmplan/perf.h"

enum { LP_BENCH_ITEMS = 10000 };

/* Fill reqs[0..n): set 0 is one model (Llama-3.1-8B) on 4 GPU types x TP 1/2 x 3 contexts,
 * set 1 four models (one of them too large for some GPUs: those items are invalid). */
static inline void lp_bench_items(lp_perf_request *reqs, int n, int set) {
    static const char *const models[] = {"meta-llama/Llama-3.1-8B-Instruct",
                                         "Qwen/Qwen2.5-72B-Instruct", "openai/gpt-oss-20b",
                                         "mistralai/Mixtral-8x7B-v0.1"};
    static const char *const gpus[] = {"H100", "H200", "A100 80GB", "L40S"};
    static const int tps[] = {1, 4, 1, 2};
    static const int concs[] = {0, 1, 8, 32, 128};
    for (int i = 0; i < n; i++) {
        lp_perf_request *r = &reqs[i];
        lp_perf_request_init(r);
        if (set == 0) {
            r->model_id = models[0];
            r->gpu_name = gpus[i % 4];
            r->serving.tensor_parallel_size = 1 + (i / 4) % 2;
            r->serving.max_model_len = 4096 << ((i / 8) % 3);
        } else {
            r->model_id = models[i % 4];
            r->gpu_name = gpus[(i / 4) % 4];
            r->serving.tensor_parallel_size = tps[i % 4];
            r->serving.max_model_len = 8192;
        }
        r->workload.input = lp_len_fixed(64.0 + 61.0 * (i % 53));
        r->workload.output = lp_len_fixed(16.0 + 27.0 * (i % 31)); /* fits 4,096 */
        if (i % 3 == 2)
            r->workload.request_rate = 0.5 + 0.25 * (i % 40);
        else
            r->workload.max_concurrency = concs[i % 5];
    }
}

#endif
