/*
 * suggest.c - what to change when a configuration does not fit (or is tight), with the numbers
 * each change gives: a shorter max-model-len, an fp8 KV cache, fp8 or 4-bit weights, more
 * tensor parallelism, a higher utilization, a larger GPU. Each alternative is a full re-plan,
 * so the numbers are exactly what `llmplan plan` prints for that change.
 * It does not rank alternatives by cost or speed: that is the recommendation search's job.
 */
#include <stdio.h>
#include <string.h>

#include "mem/mem_internal.h"

static void add(lp_mem_plan *plan, const char *change, const lp_mem_plan *alt) {
    if (plan->n_suggestions >= LP_MAX_SUGGESTIONS)
        return;
    lp_mem_suggestion *sg = &plan->suggestions[plan->n_suggestions++];
    snprintf(sg->change, sizeof sg->change, "%s", change);
    sg->fits = alt->fits;
    sg->kv_tokens = alt->kv_tokens;
    sg->max_concurrency = alt->max_concurrency;
    sg->max_model_len_fit = alt->max_model_len_fit;
}

/* Re-plan with s; record it when it computes (invalid alternatives are skipped). */
static void try_alt(lp_mem_plan *plan, const char *change, const lp_model *m, const lp_gpu *gpu,
                    const lp_serving *s) {
    static _Thread_local lp_mem_plan alt; /* large: keep it off the stack */
    if (lp_mem_plan_compute(m, gpu, s, &alt, NULL) == LP_OK)
        add(plan, change, &alt);
}

static bool next_tp(const lp_model *m, int tp, int *out) {
    for (int t = tp * 2; t <= 64; t *= 2) {
        if (m->num_heads % t != 0)
            continue;
        if (!m->use_mla && m->num_kv_heads > 0 &&
            !(t >= m->num_kv_heads ? t % m->num_kv_heads == 0 : m->num_kv_heads % t == 0))
            continue;
        *out = t;
        return true;
    }
    return false;
}

lp_status lp_mem_plan_with_suggestions(const lp_model *m, const lp_gpu *gpu, const lp_serving *s,
                                       const lp_gpu_db *db, lp_mem_plan *plan, lp_error *err) {
    lp_status st = lp_mem_plan_compute(m, gpu, s, plan, err);
    if (st != LP_OK || plan->fits)
        return st;
    char change[96];
    lp_serving alt;

    if (plan->max_model_len_fit > 0 && plan->max_model_len_fit < plan->max_model_len) {
        alt = *s;
        alt.max_model_len = plan->max_model_len_fit;
        snprintf(change, sizeof change, "--max-model-len %lld", (long long)plan->max_model_len_fit);
        try_alt(plan, change, m, gpu, &alt);
    }
    if (lp_dtype_bytes(plan->kv_cache_dtype) > 1.0) {
        alt = *s;
        alt.kv_cache_dtype = LP_DTYPE_FP8;
        try_alt(plan, "--kv-cache-dtype fp8", m, gpu, &alt);
    }
    if (m->quant.method == LP_QUANT_NONE && plan->quant.method == LP_QUANT_NONE) {
        alt = *s;
        alt.quantization = "fp8";
        try_alt(plan, "--quantization fp8 (or an FP8 checkpoint)", m, gpu, &alt);
        alt.quantization = "awq";
        try_alt(plan, "a 4-bit AWQ/GPTQ checkpoint of this model", m, gpu, &alt);
    }
    int tp;
    if (next_tp(m, plan->tp, &tp)) {
        alt = *s;
        alt.tensor_parallel_size = tp;
        snprintf(change, sizeof change, "--tensor-parallel-size %d (%d GPUs)", tp,
                 tp * plan->pp * plan->dp);
        try_alt(plan, change, m, gpu, &alt);
    }
    if (plan->gpu_memory_utilization < 0.95) {
        alt = *s;
        alt.gpu_memory_utilization = 0.95;
        try_alt(plan, "--gpu-memory-utilization 0.95", m, gpu, &alt);
    }
    if (db) {
        /* the smallest GPU in the database with more memory on which the plan fits */
        const lp_gpu *best = NULL;
        static _Thread_local lp_mem_plan probe;
        for (size_t i = 0; i < lp_gpu_db_count(db); i++) {
            const lp_gpu *g = lp_gpu_db_at(db, i);
            if (g->usable_gib <= gpu->usable_gib)
                continue;
            if (best && g->usable_gib >= best->usable_gib)
                continue;
            if (lp_mem_plan_compute(m, g, s, &probe, NULL) == LP_OK && probe.fits)
                best = g;
        }
        if (best) {
            snprintf(change, sizeof change, "--gpu \"%s\" (%.0f GB)", best->name, best->memory_gib);
            try_alt(plan, change, m, best, s);
        }
    }
    return LP_OK;
}
