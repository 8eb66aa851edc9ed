/*
 * enumerate.c - the deployment space of a search, in a fixed order.
 *
 * Order (the enumeration index is the ranking's last tie-break, so it must not depend on
 * threads): GPU type (the spec's list, or the database's order) x TP (1, 2, 4, ... within a
 * node unless multi-node TP is allowed) x PP (every size that divides some GPU count / TP) x
 * weight quantization x KV dtype x expert parallelism x max-num-seqs x max-num-batched-tokens
 * x GPU count (ascending; powers of two and multiples of gpus_per_node up to max_gpus, and
 * max_gpus itself ("up to 3 GPUs" tries 3); those that TP x PP divides; DP = count / (TP x PP)).
 * The innermost loop varies only DP, so the candidates of one "group" share one memory plan and one
 * step model.
 *
 * Options and why:
 *  - quantization: the checkpoint's own; with allow_quantization and a 16-bit checkpoint also
 *    `--quantization fp8` and `--quantization awq` (see lp_search_group_supported for where);
 *  - KV dtype: auto, and fp8 unless no_fp8_kv (skipped when auto already means fp8);
 *  - expert parallelism: off, and on for MoE models (EP over a single rank is not enumerated);
 *  - max-num-seqs: vLLM's default for the GPU and caps 512/256/128/64/32 (smaller caps trade
 *    throughput for TPOT; a cap equal to the default is not repeated);
 *  - max-num-batched-tokens: vLLM's default, plus 16384 (vLLM's LLM-class default on >= 70 GiB
 *    GPUs, reference (d)) for prefill-heavy workloads (mean input >= 4 x mean output) where it
 *    is larger than the default: fewer chunks per prompt at the price of activation memory.
 * Rules the memory planner already enforces (TP divides heads, KV heads vs TP, PP <= layers,
 * bf16 needs cc 8.0, quantization capability floors) are left to it: lp_mem_plan_compute is
 * the judge, and its LP_ERR_INVALID_ARG counts as LP_REJECT_INVALID.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "search/search_internal.h"

static const int SEQ_CAPS[] = {512, 256, 128, 64, 32};
/* vLLM's LLM-class max_num_batched_tokens on >= 70 GiB GPUs (arg_utils.get_batch_defaults). */
#define LP_SEARCH_PREFILL_TOKENS 16384
/* A workload whose mean prompt is this many times its mean output is "prefill-heavy". */
#define LP_SEARCH_PREFILL_HEAVY_RATIO 4.0
/* Weight-only FP8 (FP8 Marlin, W8A16) is offered from Ampere (cc 8.0), the floor of every vLLM
 * release with FP8 Marlin; the newest docs allow Turing (7.5) too (reference (g)), older ones
 * do not, so the search stays on the safe side. */
#define LP_SEARCH_CC_FP8_WEIGHT_ONLY 80
/* AWQ: awq.py get_min_capability() = 75 ("Turing or newer"), reference (g). */
#define LP_SEARCH_CC_AWQ 75
/* FP8 KV cache: offered on CUDA from Ampere (cc 8.0), where vLLM's V1 attention backends
 * (FlashInfer / Triton) read an fp8 cache; on other vendors only where FP8 is supported. */
#define LP_SEARCH_CC_FP8_KV 80

/*
 * Roofline median -> percentile factors for requests beyond the simulated top of the ranking.
 * Typical ratios seen simulating Llama-3.1-8B (TP1), Llama-3.3-70B (TP4) and Qwen3-30B-A3B
 * (TP2) on H100 with fixed 1000/200-token requests at 1-16 req/s (lp_perf_simulate, 1000
 * prompts): TTFT p90 1.1-2.1x / p99 1.3-3.2x the median, TPOT p90 1.0-1.25x / p99 1.05-1.4x,
 * ITL p90 1.0-1.2x / p99 1.4-5x (steps that carry a prefill chunk). Length variance is added
 * separately (input and output length quantiles), so these are the scheduling part only.
 */
#define LP_TAIL_TTFT_P90 1.5
#define LP_TAIL_TTFT_P99 2.5
#define LP_TAIL_TPOT_P90 1.1
#define LP_TAIL_TPOT_P99 1.25
#define LP_TAIL_ITL_P90 1.1
#define LP_TAIL_ITL_P99 3.0

static bool is_pow2(int x) {
    return x > 0 && (x & (x - 1)) == 0;
}

static lp_status build_counts(lp_search_ctx *ctx, int max_gpus, lp_error *err) {
    ctx->n_counts = 0;
    for (int n = 1; n <= max_gpus; n++) {
        if (!is_pow2(n) && n % ctx->gpus_per_node != 0 && n != max_gpus)
            continue;
        if (ctx->n_counts == LP_SEARCH_MAX_COUNTS)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "max_gpus %d with %d GPUs per node gives more than %d GPU counts "
                                "to try; lower max_gpus",
                                max_gpus, ctx->gpus_per_node, LP_SEARCH_MAX_COUNTS);
        ctx->counts[ctx->n_counts++] = n;
    }
    return LP_OK;
}

static void gpu_options(const lp_search_ctx *ctx, lp_search_gpu *g, bool prefill_heavy) {
    lp_mem_default_batch(g->gpu, ctx->vllm_version, &g->default_tokens, &g->default_seqs);
    g->n_seqs = 0;
    g->seqs[g->n_seqs++] = 0;
    for (size_t i = 0; i < sizeof SEQ_CAPS / sizeof SEQ_CAPS[0]; i++)
        if (SEQ_CAPS[i] != g->default_seqs)
            g->seqs[g->n_seqs++] = SEQ_CAPS[i];
    g->n_tokens = 0;
    g->tokens[g->n_tokens++] = 0;
    if (prefill_heavy && LP_SEARCH_PREFILL_TOKENS > g->default_tokens)
        g->tokens[g->n_tokens++] = LP_SEARCH_PREFILL_TOKENS;
    const lp_price *p = lp_price_for(ctx->prices, g->gpu);
    g->usd_per_gpu_hour = p ? p->usd_per_gpu_hour : NAN;
}

/* Candidates of a (tp, pp, ep) layout: GPU counts that tp x pp divides (EP needs > 1 rank). */
static uint32_t layout_candidates(const lp_search_ctx *ctx, int tp, int pp, bool ep) {
    uint32_t n = 0;
    for (int i = 0; i < ctx->n_counts; i++) {
        int c = ctx->counts[i];
        if (c % (tp * pp) != 0)
            continue;
        if (ep && tp * (c / (tp * pp)) <= 1)
            continue;
        n++;
    }
    return n;
}

int lp_search_group_count(const lp_search_ctx *ctx, const lp_search_group *g, uint32_t j) {
    uint32_t k = 0;
    for (int i = 0; i < ctx->n_counts; i++) {
        int c = ctx->counts[i];
        if (c % (g->tp * g->pp) != 0)
            continue;
        if (g->ep && g->tp * (c / (g->tp * g->pp)) <= 1)
            continue;
        if (k++ == j)
            return c;
    }
    return 0;
}

/* Walk the space; with groups == NULL only count. */
static size_t walk(lp_search_ctx *ctx, int max_tp, lp_search_group *groups, size_t *total) {
    size_t ng = 0, idx = 0;
    const int max_count = ctx->counts[ctx->n_counts - 1];
    const bool moe = ctx->model->num_experts > 0 && !ctx->spec->no_expert_parallel;
    for (size_t gi = 0; gi < ctx->n_gpus; gi++) {
        const lp_search_gpu *G = &ctx->gpus[gi];
        for (int tp = 1; tp <= max_tp; tp *= 2) {
            for (int pp = 1; tp * pp <= max_count; pp++) {
                if (layout_candidates(ctx, tp, pp, false) == 0)
                    continue;
                for (int q = 0; q < ctx->n_quants; q++)
                    for (int kv = 0; kv < ctx->n_kvs; kv++)
                        for (int ep = 0; ep <= (moe ? 1 : 0); ep++) {
                            uint32_t n = layout_candidates(ctx, tp, pp, ep != 0);
                            if (n == 0)
                                continue;
                            const uint32_t layout = (uint32_t)ng;
                            for (int s = 0; s < G->n_seqs; s++)
                                for (int t = 0; t < G->n_tokens; t++) {
                                    if (groups) {
                                        lp_search_group *g = &groups[ng];
                                        g->gpu = (uint32_t)gi;
                                        g->tp = (uint16_t)tp;
                                        g->pp = (uint16_t)pp;
                                        g->quant = (uint8_t)q;
                                        g->kv = (uint8_t)kv;
                                        g->ep = ep != 0;
                                        g->seqs = G->seqs[s];
                                        g->tokens = G->tokens[t];
                                        g->first = idx;
                                        g->n = n;
                                        g->layout = layout;
                                    }
                                    ng++;
                                    idx += n;
                                }
                        }
            }
        }
    }
    *total = idx;
    return ng;
}

static lp_status resolve_workload(lp_search_ctx *ctx, const lp_search_spec *spec, lp_error *err) {
    lp_status st;
    lp_perf_request *r = &ctx->req;
    lp_perf_request_init(r);
    r->workload.input = spec->workload.input;
    r->workload.output = spec->workload.output;
    /* an all-zero distribution means "the default" (fixed 1024 / 128, as `vllm bench serve`) */
    if (r->workload.input.kind == LP_LEN_FIXED && r->workload.input.mean == 0)
        r->workload.input = lp_len_fixed(1024);
    if (r->workload.output.kind == LP_LEN_FIXED && r->workload.output.mean == 0)
        r->workload.output = lp_len_fixed(128);
    if ((st = lp_len_validate(&r->workload.input, "input length", err)) != LP_OK ||
        (st = lp_len_validate(&r->workload.output, "output length", err)) != LP_OK)
        return st;
    if (!(spec->workload.request_rate >= 0) || spec->workload.max_concurrency < 0 ||
        !(spec->daily_output_tokens >= 0))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "workload: request rate, concurrency and daily output tokens must not "
                            "be negative");
    const double mean_out = lp_len_mean(&r->workload.output);
    ctx->offered_output_tok_s = 0;
    if (spec->workload.request_rate > 0 && isfinite(spec->workload.request_rate)) {
        r->workload.request_rate = spec->workload.request_rate;
        ctx->offered_output_tok_s = spec->workload.request_rate * mean_out;
    } else if (spec->workload.max_concurrency > 0) {
        r->workload.max_concurrency = spec->workload.max_concurrency;
    } else if (spec->daily_output_tokens > 0) {
        r->workload.request_rate = spec->daily_output_tokens / 86400.0 / mean_out;
        ctx->offered_output_tok_s = spec->daily_output_tokens / 86400.0;
    }
    /* otherwise every request at once (vllm bench serve's default rate inf) */

    int p = spec->targets.percentile == 0 ? 50 : spec->targets.percentile;
    if (p != 50 && p != 90 && p != 99)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "targets: percentile must be 50, 90 or 99, got %d",
                            spec->targets.percentile);
    ctx->percentile = p;
    const lp_targets *t = &spec->targets;
    if (!(t->max_ttft_ms >= 0) || !(t->max_tpot_ms >= 0) || !(t->max_itl_ms >= 0) ||
        !(t->max_e2e_ms >= 0) || !(t->min_output_tok_s >= 0))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "targets must be positive numbers (0: no target)");
    st = LP_OK;
    if (p == 50) {
        ctx->tail_ttft = ctx->tail_tpot = ctx->tail_itl = 1.0;
        ctx->output_len_at_pct = mean_out;
        ctx->input_ratio_at_pct = 1.0;
    } else {
        const double q = p / 100.0;
        ctx->tail_ttft = p == 90 ? LP_TAIL_TTFT_P90 : LP_TAIL_TTFT_P99;
        ctx->tail_tpot = p == 90 ? LP_TAIL_TPOT_P90 : LP_TAIL_TPOT_P99;
        ctx->tail_itl = p == 90 ? LP_TAIL_ITL_P90 : LP_TAIL_ITL_P99;
        double out_q = mean_out, in_q = lp_len_mean(&r->workload.input);
        if (lp_len_quantile(&r->workload.output, q, &out_q) != LP_OK ||
            lp_len_quantile(&r->workload.input, q, &in_q) != LP_OK)
            st = LP_ERR_NOMEM;
        ctx->output_len_at_pct = out_q;
        ctx->input_ratio_at_pct = in_q / lp_len_mean(&r->workload.input);
        if (ctx->input_ratio_at_pct < 1.0)
            ctx->input_ratio_at_pct = 1.0;
    }
    if (spec->max_model_len < 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "max_model_len must be positive (0: longest input + output)");
    if (spec->max_model_len > 0) {
        ctx->max_model_len = spec->max_model_len;
    } else {
        if (lp_workload_context_needed(&r->workload, &ctx->max_model_len) != LP_OK)
            st = LP_ERR_NOMEM;
        /* vLLM cannot serve beyond the model's context; longer requests are the workload's
         * problem, not the deployment's */
        int64_t derived = ctx->model->derived_max_model_len;
        if (derived > 0 && ctx->max_model_len > derived)
            ctx->max_model_len = derived;
    }
    if (st != LP_OK)
        return lp_error_set(err, st, "out of memory sampling the length distributions");
    return LP_OK;
}

static bool is_16bit_checkpoint(const lp_model *m) {
    return m->quant.method == LP_QUANT_NONE &&
           (m->dtype == LP_DTYPE_AUTO || m->dtype == LP_DTYPE_BF16 || m->dtype == LP_DTYPE_FP16 ||
            m->dtype == LP_DTYPE_FP32);
}

lp_status lp_search_ctx_resolve(const lp_search_spec *spec, lp_search_ctx *ctx, lp_error *err) {
    memset(ctx, 0, sizeof *ctx);
    ctx->spec = spec;
    ctx->model = spec->model;
    if (!spec->model)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "search: no model given");
    double gmu = spec->gpu_memory_utilization == 0 ? 0.9 : spec->gpu_memory_utilization;
    if (!(gmu > 0 && gmu <= 1))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--gpu-memory-utilization must be in (0, 1], got %g", gmu);
    ctx->gpu_memory_utilization = gmu;
    ctx->vllm_version = spec->vllm_version > 0 ? spec->vllm_version : LP_VLLM_VERSION_LATEST;
    ctx->prices = spec->prices ? spec->prices : lp_price_table_builtin();
    ctx->gpus_per_node = spec->gpus_per_node > 0 ? spec->gpus_per_node : 8;
    return resolve_workload(ctx, spec, err);
}

lp_status lp_search_ctx_build(const lp_search_spec *spec, lp_search_ctx *ctx, lp_error *err) {
    memset(ctx, 0, sizeof *ctx);
    ctx->spec = spec;
    ctx->model = spec->model;
    if (!spec->model)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "search: no model given");
    if (spec->n_gpus > 0 && !spec->gpus)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "search: n_gpus is %zu but gpus is NULL",
                            spec->n_gpus);
    if (spec->max_gpus < 0 || spec->gpus_per_node < 0 || spec->threads < 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "search: max_gpus, gpus_per_node and threads must not be negative");
    if ((unsigned)spec->objective > LP_OBJ_GPUS)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "search: unknown objective %d",
                            (int)spec->objective);
    double gmu = spec->gpu_memory_utilization == 0 ? 0.9 : spec->gpu_memory_utilization;
    if (!(gmu > 0 && gmu <= 1))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--gpu-memory-utilization must be in (0, 1], got %g", gmu);
    ctx->gpu_memory_utilization = gmu;
    ctx->vllm_version = spec->vllm_version > 0 ? spec->vllm_version : LP_VLLM_VERSION_LATEST;
    ctx->prices = spec->prices ? spec->prices : lp_price_table_builtin();
    ctx->gpus_per_node = spec->gpus_per_node > 0 ? spec->gpus_per_node : 8;
    int max_gpus = spec->max_gpus > 0 ? spec->max_gpus : 8;
    lp_status st;
    if ((st = build_counts(ctx, max_gpus, err)) != LP_OK)
        return st;
    if ((st = resolve_workload(ctx, spec, err)) != LP_OK)
        return st;

    /* GPU types */
    const lp_gpu_db *db = lp_gpu_db_builtin();
    size_t n = spec->gpus ? spec->n_gpus : lp_gpu_db_count(db);
    if (n == 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "search: no GPU types to consider");
    ctx->gpus = calloc(n, sizeof *ctx->gpus);
    if (!ctx->gpus)
        return lp_error_set(err, LP_ERR_NOMEM, "search: out of memory");
    const double mean_in = lp_len_mean(&ctx->req.workload.input),
                 mean_out = lp_len_mean(&ctx->req.workload.output);
    const bool prefill_heavy = mean_in >= LP_SEARCH_PREFILL_HEAVY_RATIO * mean_out;
    for (size_t i = 0; i < n; i++) {
        const lp_gpu *g = spec->gpus ? spec->gpus[i] : lp_gpu_db_at(db, i);
        if (!g) {
            lp_search_ctx_free(ctx);
            return lp_error_set(err, LP_ERR_INVALID_ARG, "search: GPU %zu of the list is NULL",
                                i + 1);
        }
        ctx->gpus[ctx->n_gpus].gpu = g;
        gpu_options(ctx, &ctx->gpus[ctx->n_gpus], prefill_heavy);
        ctx->n_gpus++;
    }

    ctx->quants[ctx->n_quants++] = NULL;
    if (spec->allow_quantization && is_16bit_checkpoint(ctx->model)) {
        ctx->quants[ctx->n_quants++] = "fp8";
        ctx->quants[ctx->n_quants++] = "awq";
    }
    ctx->kvs[ctx->n_kvs++] = LP_DTYPE_AUTO;
    if (!spec->no_fp8_kv && ctx->model->quant.kv_cache_dtype != LP_DTYPE_FP8)
        ctx->kvs[ctx->n_kvs++] = LP_DTYPE_FP8;

    int max_tp = spec->allow_multi_node_tp ? max_gpus : ctx->gpus_per_node;
    if (max_tp > max_gpus)
        max_tp = max_gpus;
    size_t total = 0;
    size_t ng = walk(ctx, max_tp, NULL, &total);
    const long long max_configs = lp_budget_search_configs();
    if (total > (size_t)max_configs) {
        lp_search_ctx_free(ctx);
        return lp_budget_exceeded(LP_BUDGET_SEARCH_CONFIGS, err,
                                  "search: %zu configurations to try, more than %lld; narrow it "
                                  "(fewer GPU types, a lower max_gpus, no quantization options)",
                                  total, max_configs);
    }
    ctx->groups = calloc(ng ? ng : 1, sizeof *ctx->groups);
    if (!ctx->groups) {
        lp_search_ctx_free(ctx);
        return lp_error_set(err, LP_ERR_NOMEM, "search: out of memory");
    }
    ctx->n_groups = walk(ctx, max_tp, ctx->groups, &ctx->total);
    return LP_OK;
}

void lp_search_ctx_free(lp_search_ctx *ctx) {
    free(ctx->gpus);
    free(ctx->groups);
    ctx->gpus = NULL;
    ctx->groups = NULL;
    ctx->n_gpus = ctx->n_groups = 0;
}

void lp_search_group_serving(const lp_search_ctx *ctx, const lp_search_group *g, int dp,
                             lp_serving *s) {
    lp_serving_init(s);
    s->tensor_parallel_size = g->tp;
    s->pipeline_parallel_size = g->pp;
    s->data_parallel_size = dp;
    s->enable_expert_parallel = g->ep;
    s->quantization = ctx->quants[g->quant];
    s->kv_cache_dtype = ctx->kvs[g->kv];
    s->max_model_len = ctx->max_model_len;
    s->gpu_memory_utilization = ctx->gpu_memory_utilization;
    s->max_num_seqs = g->seqs;
    s->max_num_batched_tokens = g->tokens;
    s->vllm_version = ctx->vllm_version;
}

static int gpu_cc(const lp_gpu *gpu) {
    return gpu->cc_major < 0 ? -1 : gpu->cc_major * 10 + gpu->cc_minor;
}

bool lp_search_group_supported(const lp_search_ctx *ctx, const lp_search_group *g,
                               const char **why) {
    const lp_gpu *gpu = ctx->gpus[g->gpu].gpu;
    const int cc = gpu_cc(gpu);
    const bool cuda = cc >= 0;
    const char *q = ctx->quants[g->quant];
    if (q && strcmp(q, "fp8") == 0) {
        /* W8A8 where FP8 tensor cores exist; weight-only FP8 Marlin from Ampere */
        bool ok = lp_gpu_supports_fp8(gpu) || (cuda && cc >= LP_SEARCH_CC_FP8_WEIGHT_ONLY);
        if (!ok) {
            *why = "--quantization fp8 needs FP8 tensor cores or (weight-only) cc >= 8.0";
            return false;
        }
    } else if (q && strcmp(q, "awq") == 0) {
        /* AWQ kernels are CUDA (Turing+); ROCm support only in the newest releases */
        if (!cuda || cc < LP_SEARCH_CC_AWQ) {
            *why = "--quantization awq needs a CUDA GPU with cc >= 7.5";
            return false;
        }
    }
    if (ctx->kvs[g->kv] == LP_DTYPE_FP8) {
        bool ok = cuda ? cc >= LP_SEARCH_CC_FP8_KV : lp_gpu_supports_fp8(gpu);
        if (!ok) {
            *why = "--kv-cache-dtype fp8 needs cc >= 8.0 (CUDA) or FP8 support";
            return false;
        }
    }
    *why = NULL;
    return true;
}
