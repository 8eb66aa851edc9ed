/*
 * plan.c - lp_mem_plan_compute: vLLM's start-up arithmetic for every pipeline stage, then KV
 * blocks (minimum over ranks), KV tokens and maximum concurrency as vLLM logs them, the
 * largest max-model-len that fits, and vLLM's error text when it does not.
 *
 * Order follows Worker.determine_available_memory (vllm/v1/worker/gpu_worker.py):
 *   requested = total x gpu_memory_utilization
 *   available = requested - weights - activation peak - non-torch [- CUDA graphs (v0.21+)]
 * then get_kv_cache_configs / _check_enough_kv_cache_memory / _report_kv_cache_config
 * (vllm/v1/core/kv_cache_utils.py); docs/vllm_internals.md (a)-(c).
 * Tensor-parallel ranks of one stage are identical here, so one entry per stage is kept.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mem/mem_internal.h"

/* _report_kv_cache_config logs tokens as max_concurrency x max_model_len in current releases;
 * older V1 releases logged num_blocks // len(groups) x block_size. The two agree for uniform
 * models; we switch at v0.11 (the oldest release in the validation data). */
#define LP_VLLM_TOKENS_AS_CONCURRENCY LP_VLLM_VERSION(0, 11, 0)

static double needed_bytes(const lp_mem_ctx *c, const lp_kv_layout *lay, int64_t max_model_len) {
    /* _max_memory_usage_bytes_from_groups: group_size x page x sum over groups of blocks */
    return (double)lp_mem_kv_blocks_per_request(c, lay, max_model_len) * lay->page_bytes *
           (double)lay->group_size;
}

static bool fits_len(const lp_mem_ctx *c, const lp_kv_layout *lays, const lp_mem_plan *p,
                     int64_t len) {
    for (int r = 0; r < p->n_ranks; r++) {
        if (p->ranks[r].kv_cache_bytes <= 0.0)
            return false;
        if (lays[r].total_layers > 0 && needed_bytes(c, &lays[r], len) > p->ranks[r].kv_cache_bytes)
            return false;
    }
    return true;
}

/* estimate_max_model_len: binary search for the largest length in [1, hi] that fits. */
static int64_t largest_fitting_len(const lp_mem_ctx *c, const lp_kv_layout *lays,
                                   const lp_mem_plan *p, int64_t hi) {
    if (!fits_len(c, lays, p, 1))
        return 0;
    int64_t lo = 1;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo + 1) / 2;
        if (fits_len(c, lays, p, mid))
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static void fill_capacity(const lp_mem_ctx *c, const lp_kv_layout *lays, lp_mem_plan *p) {
    const lp_kv_layout *lay = &lays[p->binding_rank];
    p->blocks_per_request = lp_mem_kv_blocks_per_request(c, lay, p->max_model_len);
    p->kv_groups = lay->n_groups;
    for (int k = 0; k < 6; k++)
        p->kv_groups_per_kind[k] = lay->groups_per_kind[k];
    p->kv_group_size = lay->group_size;
    p->needed_bytes = needed_bytes(c, lay, p->max_model_len);
    p->max_concurrency =
        p->blocks_per_request > 0 ? (double)p->kv_blocks / (double)p->blocks_per_request : 0.0;
    if (c->version >= LP_VLLM_TOKENS_AS_CONCURRENCY)
        p->kv_tokens = (int64_t)(p->max_concurrency * (double)p->max_model_len);
    else
        p->kv_tokens = lay->n_groups > 0 ? p->kv_blocks / lay->n_groups * p->block_size : 0;
    p->fits = fits_len(c, lays, p, p->max_model_len);
}

/*
 * After sizing the KV cache, vLLM allocates it, captures CUDA graphs and warms the sampler up
 * with min(max_num_seqs, max_num_batched_tokens) dummy requests (Worker.compile_or_warm_up_model,
 * vllm/v1/worker/gpu_worker.py). Those run in what the device has left: the memory outside
 * --gpu-memory-utilization plus the activation peak the profile run reserved (freed again), and
 * from v0.21 the graph estimate held back for them. When graphs and the sampler's logits do not
 * fit there, start-up fails after the KV cache was sized (gpu_model_runner.py
 * _dummy_sampler_run: "CUDA out of memory occurred when warming up sampler ...").
 */
static void check_warmup(const lp_mem_ctx *c, lp_mem_plan *p) {
    for (int r = 0; r < p->n_ranks; r++) {
        lp_mem_rank *rk = &p->ranks[r];
        double kv_alloc = (double)p->kv_blocks * rk->kv_bytes_per_block;
        rk->post_kv_free_bytes =
            rk->total_bytes - rk->weights_bytes - kv_alloc - rk->non_torch_bytes;
        double graphs = lp_mem_cuda_graph_actual_rank(c, rk->layers);
        rk->warmup_bytes = graphs + lp_mem_sampler_rank(c, r);
        if (rk->warmup_bytes <= rk->post_kv_free_bytes)
            continue;
        p->warmup_fails = true;
        p->failure = LP_MEM_FAIL_WARMUP;
        p->fits = false;
        p->binding_rank = r;
        p->shortfall_bytes = rk->warmup_bytes - rk->post_kv_free_bytes;
        int requests = p->max_num_seqs < p->max_num_batched_tokens ? p->max_num_seqs
                                                                   : p->max_num_batched_tokens;
        if (graphs > rk->post_kv_free_bytes)
            snprintf(p->vllm_error, sizeof p->vllm_error,
                     "torch.OutOfMemoryError: CUDA out of memory while capturing CUDA graphs after "
                     "the KV cache was allocated (about %.2f GiB needed, %.2f GiB free). Lower "
                     "`gpu_memory_utilization` or pass --enforce-eager.",
                     graphs / LP_GIB, rk->post_kv_free_bytes / LP_GIB);
        else
            snprintf(p->vllm_error, sizeof p->vllm_error,
                     "RuntimeError: CUDA out of memory occurred when warming up sampler with %d "
                     "dummy requests. Please try lowering `max_num_seqs` or "
                     "`gpu_memory_utilization` when initializing the engine.",
                     requests);
        return;
    }
}

/*
 * The first stage whose weights, with the CUDA context and communication buffers set up before
 * them, exceed the device: vLLM allocates the weights in load_model whatever
 * --gpu-memory-utilization says, so the load itself runs out of memory (torch.OutOfMemoryError),
 * before any KV arithmetic. -1 when every stage loads.
 */
static int weights_oom_rank(const lp_mem_plan *p) {
    for (int r = 0; r < p->n_ranks; r++) {
        const lp_mem_rank *rk = &p->ranks[r];
        if (rk->weights_bytes + rk->non_torch_bytes > rk->total_bytes)
            return r;
    }
    return -1;
}

static void write_vllm_error(lp_mem_plan *p) {
    const char *docs = "See https://docs.vllm.ai/en/latest/configuration/conserving_memory/ for "
                       "more details.";
    int oom = weights_oom_rank(p);
    if (oom >= 0) {
        const lp_mem_rank *w = &p->ranks[oom];
        p->failure = LP_MEM_FAIL_WEIGHTS;
        p->binding_rank = oom;
        p->shortfall_bytes = w->weights_bytes + w->non_torch_bytes - w->total_bytes;
        snprintf(p->vllm_error, sizeof p->vllm_error,
                 "torch.OutOfMemoryError: CUDA out of memory while loading the model weights "
                 "(%.2f GiB per GPU of stage %d, the GPU has %.2f GiB). Use more GPUs "
                 "(--tensor-parallel-size / --pipeline-parallel-size) or a quantized checkpoint.",
                 w->weights_bytes / LP_GIB, oom, w->total_bytes / LP_GIB);
        return;
    }
    const lp_mem_rank *r = &p->ranks[p->binding_rank];
    if (r->kv_cache_bytes <= 0.0) {
        p->failure = LP_MEM_FAIL_NO_KV;
        snprintf(p->vllm_error, sizeof p->vllm_error,
                 "ValueError: No available memory for the cache blocks. Try increasing "
                 "`gpu_memory_utilization` when initializing the engine. %s",
                 docs);
        return;
    }
    p->failure = LP_MEM_FAIL_KV_SHORT;
    char estimated[128] = "";
    if (p->max_model_len_fit > 0)
        snprintf(estimated, sizeof estimated,
                 "Based on the available memory, the estimated maximum model length is %lld. ",
                 (long long)p->max_model_len_fit);
    snprintf(p->vllm_error, sizeof p->vllm_error,
             "ValueError: To serve at least one request with the model's max seq len (%lld), "
             "(%.2f GiB KV cache is needed, which is larger than the available KV cache memory "
             "(%.2f GiB). %sTry increasing `gpu_memory_utilization` or decreasing "
             "`max_model_len` when initializing the engine. %s",
             (long long)p->max_model_len, p->needed_bytes / LP_GIB, r->kv_cache_bytes / LP_GIB,
             estimated, docs);
}

static void compute(const lp_mem_ctx *c, lp_mem_plan *p) {
    const lp_model *m = c->m;
    lp_kv_layout lays[LP_MAX_PP];

    p->tp = c->tp;
    p->pp = c->pp;
    p->dp = c->dp;
    p->num_gpus = c->tp * c->pp * c->dp;
    p->expert_parallel = c->ep;
    p->chunked_prefill = c->chunked_prefill;
    p->num_scheduler_steps = c->scheduler_steps;
    p->enforce_eager = c->enforce_eager;
    p->dtype = c->dtype;
    p->kv_cache_dtype = c->kv_dtype;
    p->quant = c->quant;
    p->max_model_len = c->max_model_len;
    p->max_num_seqs = c->max_num_seqs;
    p->max_num_batched_tokens = c->max_num_batched_tokens;
    p->block_size = c->block_size;
    p->gpu_memory_utilization = c->utilization;
    p->vllm_version = c->version;
    if (m->use_mla) {
        p->kv_heads_per_rank = 1;
        p->kv_head_replicas = c->tp; /* every TP rank stores the whole latent */
    } else {
        int64_t per = m->num_kv_heads / c->tp;
        p->kv_heads_per_rank = (int)(per < 1 ? 1 : per);
        p->kv_head_replicas = c->tp > m->num_kv_heads ? (int)(c->tp / m->num_kv_heads) : 1;
    }
    p->kv_bytes_per_token = lp_model_kv_bytes_per_token(m, c->kv_dtype);

    const double total = c->gpu->usable_gib * LP_GIB;
    p->n_ranks = c->pp;
    int64_t min_blocks = -1;
    for (int r = 0; r < c->pp; r++) {
        lp_mem_rank *rk = &p->ranks[r];
        int64_t start, end;
        lp_mem_pp_range(m->num_layers, c->pp, r, &start, &end);
        rk->pp_rank = r;
        rk->layers = end - start;
        rk->total_bytes = total;
        rk->budget_bytes = total * c->utilization;
        rk->weights_bytes = lp_mem_weights_rank(c, r) + lp_mem_rope_cache_rank(c, r) +
                            lp_mem_spec_weights_rank(c, r) + lp_mem_lora_weights_rank(c, r);
        rk->activation_bytes = lp_mem_activation_rank(c, r);
        rk->non_torch_bytes = lp_mem_non_torch_rank(c);
        rk->cuda_graph_bytes = lp_mem_cuda_graph_rank(c, rk->layers);
        rk->kv_cache_bytes = rk->budget_bytes - rk->weights_bytes - rk->activation_bytes -
                             rk->non_torch_bytes - rk->cuda_graph_bytes;
        lp_mem_kv_layout(c, r, &lays[r]);
        rk->kv_bytes_per_block = lays[r].page_bytes * (double)lays[r].group_size;
        if (rk->kv_cache_bytes > 0.0 && rk->kv_bytes_per_block > 0.0)
            rk->kv_blocks = (int64_t)floor(rk->kv_cache_bytes / rk->kv_bytes_per_block);
        else
            rk->kv_blocks = 0;
        if (min_blocks < 0 || rk->kv_blocks < min_blocks) {
            min_blocks = rk->kv_blocks;
            p->binding_rank = r;
        }
    }
    p->kv_blocks = min_blocks < 0 ? 0 : min_blocks;
    p->prefix_caching = c->prefix_caching;
    p->spec_method = c->spec_method;
    p->spec_k = c->spec_k;
    p->lora_slots = c->lora.enable_lora ? lp_lora_max_loras(&c->lora) : 0;
    p->lora_rank = c->lora.enable_lora ? lp_lora_rank(&c->lora) : 0;
    p->spec_weights_bytes = c->spec_weights_bytes;
    p->spec_kv_layers = c->spec_kv_layers;
    p->lora_weights_bytes = lp_mem_lora_weights_rank(c, p->binding_rank);

    int64_t derived = m->derived_max_model_len > 0 ? m->derived_max_model_len : 2048;
    int64_t hi = derived > c->max_model_len ? derived : c->max_model_len;
    p->max_model_len_fit = largest_fitting_len(c, lays, p, hi);
    if (c->auto_fit_len && p->max_model_len_fit > 0 && p->max_model_len_fit < p->max_model_len) {
        lp_mem_note(c, "--max-model-len auto: reduced from %lld to %lld to fit the KV cache",
                    (long long)p->max_model_len, (long long)p->max_model_len_fit);
        p->max_model_len = p->max_model_len_fit;
    }
    fill_capacity(c, lays, p);
    if (p->fits)
        check_warmup(c, p);
    if (!p->fits && !p->warmup_fails) {
        const lp_mem_rank *r = &p->ranks[p->binding_rank];
        p->shortfall_bytes = p->needed_bytes - r->kv_cache_bytes;
        /* the error's own estimate searches [1, max_model_len] */
        int64_t saved = p->max_model_len_fit;
        if (p->max_model_len_fit > p->max_model_len)
            p->max_model_len_fit = largest_fitting_len(c, lays, p, p->max_model_len);
        write_vllm_error(p);
        p->max_model_len_fit = saved;
    }
}

static void describe(const lp_mem_ctx *c) {
    const lp_mem_plan *p = c->plan;
    lp_mem_note(c,
                "activation peak: profile run over %d batched tokens and %d dummy requests "
                "(sampler over the full vocabulary on the last stage), vLLM %s era model",
                p->max_num_batched_tokens,
                p->max_num_seqs < p->max_num_batched_tokens ? p->max_num_seqs
                                                            : p->max_num_batched_tokens,
                p->vllm_version >= LP_VLLM_VERSION(0, 17, 0) ? ">=0.17" : "<=0.16");
    if (p->ranks[0].cuda_graph_bytes > 0.0)
        lp_mem_note(c,
                    "CUDA graphs: vLLM >= 0.21 subtracts its own estimate; llmplan assumes %.2f "
                    "GiB per GPU (typical 0.36-1.3 GiB; use --enforce-eager to remove)",
                    p->ranks[0].cuda_graph_bytes / LP_GIB);
    else if (!c->enforce_eager)
        lp_mem_note(c, "CUDA graphs are captured after the KV cache is sized in this vLLM version "
                       "(not subtracted; they use the memory left outside the budget)");
    lp_mem_note(c, "non-torch memory %.2f GiB per GPU (CUDA context, NCCL%s buffers)",
                p->ranks[0].non_torch_bytes / LP_GIB, c->tp > 1 ? " and custom all-reduce" : "");
    if (!c->gpu->usable_measured)
        lp_mem_note(c, "%s total memory %.2f GiB is derived, not a reported value", c->gpu->name,
                    c->gpu->usable_gib);
}

lp_status lp_mem_plan_compute(const lp_model *m, const lp_gpu *gpu, const lp_serving *s,
                              lp_mem_plan *plan, lp_error *err) {
    if (!m || !gpu || !s || !plan)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "lp_mem_plan_compute: NULL argument");
    memset(plan, 0, sizeof *plan);
    lp_mem_ctx c;
    memset(&c, 0, sizeof c);
    c.plan = plan;
    lp_status st = lp_mem_resolve(&c, m, gpu, s, err);
    if (st != LP_OK)
        return st;
    compute(&c, plan);
    describe(&c);
    return LP_OK;
}

const char *lp_mem_failure_name(lp_mem_failure f) {
    switch (f) {
    case LP_MEM_STARTS:
        return "starts";
    case LP_MEM_FAIL_WEIGHTS:
        return "weights";
    case LP_MEM_FAIL_NO_KV:
        return "no KV room";
    case LP_MEM_FAIL_KV_SHORT:
        return "KV < one request";
    case LP_MEM_FAIL_WARMUP:
        return "warm-up";
    }
    return "unknown";
}

lp_status lp_mem_plan_infeasible(const lp_mem_plan *p, lp_error *err) {
    if (p->failure == LP_MEM_FAIL_WEIGHTS)
        return lp_error_set(err, LP_ERR_INFEASIBLE,
                            "does not fit: the weights do not load, they need %.2f GiB more per "
                            "GPU than the GPU has; use more GPUs or a quantized checkpoint "
                            "(vLLM: %s)",
                            p->shortfall_bytes / LP_GIB, p->vllm_error);
    if (p->warmup_fails)
        return lp_error_set(err, LP_ERR_INFEASIBLE,
                            "does not start: the KV cache fits, but CUDA graphs and the sampler "
                            "warm-up need %.2f GiB more than is left per GPU; lower "
                            "--gpu-memory-utilization or --max-num-seqs (vLLM: %s)",
                            p->shortfall_bytes / LP_GIB, p->vllm_error);
    return lp_error_set(err, LP_ERR_INFEASIBLE,
                        "does not fit: %.2f GiB of KV cache per GPU short of one request of %lld "
                        "tokens (largest max-model-len that fits: %lld); see `llmplan plan`",
                        p->shortfall_bytes / LP_GIB, (long long)p->max_model_len,
                        (long long)p->max_model_len_fit);
}

double lp_mem_plan_requests_at(const lp_mem_plan *p, const lp_model *m, int64_t tokens) {
    if (!p || !m || tokens <= 0 || p->kv_blocks <= 0)
        return 0.0;
    lp_mem_ctx c;
    memset(&c, 0, sizeof c);
    c.m = m;
    c.block_size = p->block_size;
    c.max_num_batched_tokens = p->max_num_batched_tokens;
    lp_kv_layout lay;
    memset(&lay, 0, sizeof lay);
    for (int k = 0; k < 6; k++)
        lay.groups_per_kind[k] = p->kv_groups_per_kind[k];
    int64_t blocks = lp_mem_kv_blocks_per_request(&c, &lay, tokens);
    return blocks > 0 ? (double)p->kv_blocks / (double)blocks : 0.0;
}
