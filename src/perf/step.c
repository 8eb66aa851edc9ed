/*
 * step.c - the roofline step model: how long one vLLM engine step takes for a batch.
 *
 * Every step streams the weights of one GPU once (routed experts only for the experts the
 * batch touches), reads the KV cache of every decoding request, and does
 * 2 x (active linear parameters) FLOPs per token plus attention FLOPs per (query, key) pair.
 * Each operator costs sqrt(c^2 + m^2) with c = FLOPs / (peak x compute efficiency) and
 * m = bytes / (bandwidth x memory efficiency): compute and memory traffic overlap, but not
 * perfectly near the ridge point. On an H200 this law was within ~5-10 % of measured bf16
 * GEMMs of LLM layer shapes from M = 1 to 8192 rows (tools/measurements/h200-2026-12-04.json,
 * gemm_bf16), where max(c, m) was up to 27 % optimistic at M = 128-256 - the batch sizes of
 * busy decode steps.
 * Operators: linear layers (GEMMs) against the weights; routed experts (grouped GEMMs that
 * stream at a share of the dense rate, efficiency.c); decode attention against the KV cache
 * (at the family's paged-attention rate); prefill attention FLOPs (at a rate that grows with
 * the context each query attends to, as FlashAttention's does); sampling over the logits.
 * Then fixed costs per layer that no byte or FLOP explains (kernel launch gaps inside a CUDA
 * graph, per-MoE-layer routing), measured on an H200; without CUDA graphs (--enforce-eager,
 * a batch beyond the captured sizes, V0 prefill steps or V0 contexts beyond 8192) the host
 * launches every kernel and a layer costs at least the host's launch time.
 * The step is their sum + communication + host overhead per step and per running request (by
 * vLLM engine era, efficiency.c). Communication (NCCL's algorithms in src/hw/link.c): two TP
 * all-reduces per layer (the family's per-call latency + NCCL ring or tree over the TP
 * group's links, which cross nodes when TP spans them or run over TCP when each rank sits in
 * its own container), pipeline hand-offs (a send/recv per stage boundary, over the network
 * where a node ends) and, with expert parallelism over data-parallel ranks, an all-gather and
 * a reduce-scatter per MoE layer.
 * Routed experts: with N tokens and top-k of E experts, the expected number of distinct
 * experts a layer touches is E x (1 - (1 - k/E)^N) (uniform routing); with expert
 * parallelism the step waits for the rank whose experts are touched most (expected maximum
 * over the ranks of a binomial count).
 * Pipeline parallelism is modelled from one request's point of view: a step crosses all
 * stages in turn (latency = stages x the slowest stage); vLLM keeps several micro-batches in
 * flight, which this does not credit (an assumption the estimate states).
 * Speculative decoding is priced in spec.c (called first when the step model has a drafter).
 * It does not model prefix-cache hits or CPU offload.
 */
#include <math.h>
#include <string.h>

#include "perf/perf_internal.h"

#define TERA 1e12
#define GIGA 1e9
/* Latency of one pipeline hand-off (send/recv of activations) beyond its link's step. */
#define LP_PP_HANDOFF_S 30e-6
/* A PCIe all-reduce costs at least this much more latency than the family's NVLink figure. */
#define LP_PCIE_ALLREDUCE_LATENCY_S 50e-6
/* FP8 GEMMs reach a smaller share of the FP8 peak than bf16 GEMMs of the bf16 peak: on H200
 * 1,407-1,427 of 1,979 TFLOPS (72 %) against 760-815 of 989.5 (80 %): 0.72 / 0.80 = 0.9
 * (tools/measurements/h200-2026-12-04.json, gemm_fp8 vs gemm_bf16 at M = 8192). */
#define LP_FP8_GEMM_SHARE 0.9
/* Sampling reads and writes the fp32 logits of every sampled sequence several times
 * (softmax, random draw, argmax): on H200 softmax + multinomial over [B, 128256] took
 * 0.20 ms at B = 1 and 1.65 ms at B = 1024, 11 ps per logit beyond the first: 47 bytes per
 * logit at the measured 4.3 TB/s (h200-2026-12-04.json, sampler). */
#define LP_SAMPLER_BYTES_PER_LOGIT 48.0
/* Routed experts' FLOPs (prefill) run in vLLM's fused-MoE kernels (Triton fused_moe, the
 * Triton mxfp4 kernels on Hopper) at about half the dense GEMM rate: kept from the previous
 * calibration of this model. (CUTLASS grouped GEMMs measured on H200 reached ~0.9 of a
 * batched GEMM at 256 tokens per expert, tools/measurements/h200-2026-12-04.json,
 * moe_grouped: the share is the kernels', not grouping's.) Expert weight streaming (decode)
 * is the family's moe_memory_share. */
#define LP_MOE_GEMM_COMPUTE_SHARE 0.5
/* Prefill attention reaches attn_compute_eff only when each query attends to many keys:
 * causal SDPA on H200 ran at 134, 398, 611 and 657 TFLOPS for 512, 2K, 8K and 16K tokens
 * (queries attend to L/2 keys on average). eff(q) = eff x q / (q + LP_ATTN_HALF_CONTEXT)
 * with q the mean keys per query matches those within ~20 %. */
#define LP_ATTN_HALF_CONTEXT 600.0
/* The first length at which the KV shape is sampled: one block of vLLM's default size. */
#define LP_KV_SHAPE_FIRST_TOKENS 16.0
/* Below this ratio of the smaller to the larger time an operator costs the larger alone. */
#define LP_RIDGE_NEGLIGIBLE 0.01
/* vLLM hands two tensors between pipeline stages, hidden_states and residual
 * (IntermediateTensors of the decoder models, e.g. vllm/model_executor/models/llama.py). */
#define LP_PP_TENSORS 2.0

/* The links of the replica: where its TP group, pipeline hand-offs and EP group sit, and what
 * an all-reduce costs at the least. Communication terms of the step (see lp_step_eval). */
static lp_status init_links(const lp_cluster *cluster, const lp_mem_plan *plan, lp_step_model *sm,
                            lp_perf_estimate *est, lp_error *err) {
    lp_topology topo;
    lp_status st = lp_topology_resolve(cluster, plan->tp * plan->pp, &topo, err);
    if (st != LP_OK)
        return st;
    sm->tp_group = lp_topology_group(&topo, plan->tp);
    sm->link_bandwidth = sm->tp_group.nodes > 1 && topo.inter.bandwidth < topo.intra.bandwidth
                             ? topo.inter.bandwidth
                             : topo.intra.bandwidth;
    sm->inter_node_bandwidth = topo.inter.bandwidth;
    /* in-node PCIe (or an unknown link): NCCL instead of the custom all-reduce */
    if ((topo.intra.kind == LP_LINK_PCIE || topo.intra.kind == LP_LINK_UNKNOWN) &&
        sm->eff.allreduce_latency_s < LP_PCIE_ALLREDUCE_LATENCY_S)
        sm->eff.allreduce_latency_s = LP_PCIE_ALLREDUCE_LATENCY_S;
    if (topo.intra.kind == LP_LINK_UNKNOWN && plan->tp > 1)
        lp_perf_assume(est, "interconnect unknown: tensor-parallel traffic over PCIe assumed");

    /* pipeline: stage s holds ranks [s tp, (s+1) tp); a hand-off crosses a node boundary where
     * a node ends between two stages */
    sm->pp_intra = topo.intra;
    sm->pp_inter = topo.inter;
    sm->pp_handoffs_across_nodes = 0;
    for (int s = 1; s < plan->pp; s++)
        if ((s * plan->tp) / topo.gpus_per_node != (s * plan->tp - 1) / topo.gpus_per_node)
            sm->pp_handoffs_across_nodes++;

    /* expert parallelism across data-parallel ranks: vLLM's default all2all backend
     * (VLLM_ALL2ALL_BACKEND=allgather_reducescatter, vllm/envs.py) all-gathers the tokens of
     * every DP rank before each MoE layer and reduce-scatters the outputs after it */
    if (plan->expert_parallel && plan->dp > 1) {
        sm->ep_group = lp_topology_group(&topo, plan->tp * plan->dp);
        /* the EP group spans the DP replicas: the topology of one replica does not bound it */
        int per_node = topo.gpus_per_node;
        sm->ep_group.per_node = per_node < sm->ep_group.ranks ? per_node : sm->ep_group.ranks;
        sm->ep_group.nodes =
            (sm->ep_group.ranks + sm->ep_group.per_node - 1) / sm->ep_group.per_node;
    }

    const int tp = plan->tp;
    if (tp > 1 && (topo.ranks_isolated || sm->tp_group.nodes > 1)) {
        const char *algo = NULL;
        double one = sm->eff.allreduce_latency_s +
                     lp_collective_time_s(LP_COLL_ALL_REDUCE, 0, &sm->tp_group, &algo);
        lp_perf_assume(est,
                       "tensor parallel %d %s %s (%.1f GB/s per GPU, %.0f us per step): every "
                       "all-reduce costs >= %.0f us (NCCL %s); keep TP inside a node if you can",
                       tp,
                       topo.ranks_isolated ? "with each rank in its own container, over"
                                           : "spans nodes, over",
                       lp_link_name(topo.inter.kind), topo.inter.bandwidth / GIGA,
                       topo.inter.latency_s * 1e6, one * 1e6, algo);
    }
    if (sm->pp_handoffs_across_nodes > 0 || (sm->ep_group.nodes > 1))
        lp_perf_assume(
            est, "between nodes: %s, %.1f GB/s per GPU, %.0f us per step (%s)",
            lp_link_name(topo.inter.kind), topo.inter.bandwidth / GIGA, topo.inter.latency_s * 1e6,
            topo.inter_assumed ? "not named: assumed; give --interconnect" : topo.inter.source);
    return LP_OK;
}

static double peak_flops(const lp_gpu *gpu, const lp_mem_plan *plan, lp_perf_estimate *est) {
    double bf16 = gpu->bf16_tflops > 0 ? gpu->bf16_tflops : gpu->fp16_tflops;
    const lp_quant *q = &plan->quant;
    bool fp8_compute = (q->method == LP_QUANT_FP8 || q->method == LP_QUANT_MXFP8) &&
                       gpu->fp8_tflops > 0 && lp_gpu_supports_fp8(gpu);
    if (fp8_compute) {
        lp_perf_assume(est, "FP8 weights and activations: FP8 tensor-core peak %.0f TFLOPS",
                       gpu->fp8_tflops);
        return gpu->fp8_tflops * TERA;
    }
    if (q->method == LP_QUANT_INT8 && gpu->int8_tops > 0) {
        lp_perf_assume(est, "INT8 weights and activations: INT8 peak %.0f TOPS", gpu->int8_tops);
        return gpu->int8_tops * TERA;
    }
    if (q->method != LP_QUANT_NONE)
        lp_perf_assume(est, "%s weights on %s: weight-only, GEMMs at the 16-bit peak", q->vllm_name,
                       gpu->name);
    return bf16 * TERA;
}

/*
 * What the KV pool admits when not every KV-cache group grows with the context (sliding-window,
 * chunked-local and Mamba groups beside full attention): vLLM allocates each group's blocks
 * for a request (kv_cache_utils.get_max_concurrency_for_kv_cache_config counts them), so the
 * requests that fit are not kv_tokens / length. lp_mem_plan_requests_at answers it for one
 * length; it is sampled here at 16 x 2^(i/2) tokens up to max_model_len (and a point past it)
 * for the performance models to interpolate.
 */
static void kv_shape_init(const lp_model *m, const lp_mem_plan *plan, lp_step_model *sm) {
    bool uniform = true;
    for (int k = 0; k < 6; k++)
        if (k != LP_ATTN_FULL && k != LP_ATTN_MLA && plan->kv_groups_per_kind[k] > 0)
            uniform = false;
    sm->kv_shape_n = 0;
    if (uniform || plan->kv_blocks <= 0)
        return;
    int n = 0;
    for (int i = 0; i < LP_KV_SHAPE_POINTS; i++) {
        int64_t tokens = (int64_t)llround(LP_KV_SHAPE_FIRST_TOKENS * pow(2.0, 0.5 * i));
        double requests = lp_mem_plan_requests_at(plan, m, tokens);
        if (!(requests > 0))
            break;
        sm->kv_shape_tokens[n] = (double)tokens;
        sm->kv_shape_blocks[n] = (double)plan->kv_blocks / requests;
        n++;
        if (plan->max_model_len > 0 && tokens >= plan->max_model_len)
            break;
    }
    if (n >= 2) {
        sm->kv_shape_n = n;
        sm->kv_pool_blocks = (double)plan->kv_blocks;
    }
}

double lp_step_kv_blocks(const lp_step_model *sm, double tokens) {
    if (sm->kv_shape_n < 2)
        return tokens / LP_KV_SHAPE_FIRST_TOKENS;
    const double *t = sm->kv_shape_tokens, *b = sm->kv_shape_blocks;
    const int n = sm->kv_shape_n;
    if (tokens <= t[0])
        return b[0]; /* every group holds at least its first block */
    int lo = 0, hi = n - 1;
    if (tokens >= t[hi]) {
        lo = hi - 1; /* past the last point: the last segment's slope (full groups grow on) */
    } else {
        while (hi - lo > 1) {
            int mid = (lo + hi) / 2;
            if (t[mid] <= tokens)
                lo = mid;
            else
                hi = mid;
        }
    }
    return b[lo] + (b[hi] - b[lo]) * (tokens - t[lo]) / (t[hi] - t[lo]);
}

double lp_step_kv_requests(const lp_step_model *sm, double tokens) {
    if (!(tokens > 0))
        return 0.0;
    if (sm->kv_shape_n < 2)
        return sm->kv_capacity_tokens / tokens;
    double blocks = lp_step_kv_blocks(sm, tokens);
    return blocks > 0 ? sm->kv_pool_blocks / blocks : 0.0;
}

lp_status lp_step_model_init(const lp_model *m, const lp_cluster *cluster, const lp_mem_plan *plan,
                             lp_step_model *sm, lp_perf_estimate *est, lp_error *err) {
    memset(sm, 0, sizeof *sm);
    const lp_gpu *gpu = cluster->gpu;
    if (!gpu)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "no GPU given");
    if (!(gpu->bandwidth_gbs > 0))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "%s has no memory bandwidth figure; describe it with "
                            "--gpu-bandwidth-gbs",
                            gpu->name);
    sm->eff = lp_efficiency_for_version(gpu, plan->vllm_version);
    sm->peak_flops = peak_flops(gpu, plan, est);
    sm->peak_flops_attn = (gpu->bf16_tflops > 0 ? gpu->bf16_tflops : gpu->fp16_tflops) * TERA;
    if (!(sm->peak_flops_attn > 0))
        sm->peak_flops_attn = sm->peak_flops;
    sm->gemm_compute_scale = sm->peak_flops > sm->peak_flops_attn * 1.01 ? LP_FP8_GEMM_SHARE : 1.0;
    sm->expert_compute_scale = sm->gemm_compute_scale * LP_MOE_GEMM_COMPUTE_SHARE;
    sm->eager = plan->enforce_eager;
    if (!(sm->peak_flops > 0))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "%s has no tensor FLOPS figure for this precision; describe it with "
                            "--gpu-tflops",
                            gpu->name);
    sm->bandwidth = gpu->bandwidth_gbs * GIGA;
    const int tp = plan->tp, pp = plan->pp;
    sm->tp = tp;
    sm->pp_stages = pp;

    /* the slowest stage: the one holding the most weights */
    int r = 0;
    for (int i = 1; i < plan->n_ranks; i++)
        if (plan->ranks[i].weights_bytes > plan->ranks[r].weights_bytes)
            r = i;
    int64_t start = 0;
    for (int i = 0; i < r; i++)
        start += plan->ranks[i].layers;
    int64_t end = start + plan->ranks[r].layers;
    bool last = r == plan->n_ranks - 1;

    const double dtype_b = lp_dtype_bytes(plan->dtype);
    const bool quantized = plan->quant.method != LP_QUANT_NONE;
    const double q_b = lp_mem_bytes_per_weight(&plan->quant, plan->dtype, m->hidden_size);
    const double linear_b = quantized && !plan->quant.experts_only ? q_b : dtype_b;
    const double kv_b = lp_dtype_bytes(plan->kv_cache_dtype);
    const double heads_rank = (double)m->num_heads / tp;

    double weight_bytes = 0, linear_params = 0, attn_coef = 0, kv_per_tok = 0;
    double window_coef = 0, moe_layers = 0, expert_params = 0, layers = 0;
    double indexer_flops = 0, indexer_bytes = 0, mamba_state = 0;
    const double mamba_layer_state = lp_mem_mamba_state_bytes(m, plan->dtype, tp);
    lp_layer_params lp;
    for (int64_t i = start; i < end; i++) {
        /* mllama: a batch without images skips the cross-attention layers whole (vLLM
         * mllama.py MllamaTextModel.forward, skip_cross_attention); llmplan's workloads are text */
        if (m->layer_cross_attn[i])
            continue;
        lp_model_layer_params(m, i, &lp);
        layers += 1;
        /* this layer's KV heads on a rank (replicated when tp exceeds them; Gemma 4's full layers
         * have fewer, and wider, heads than its sliding ones) */
        int64_t kv_heads = lp_model_layer_kv_heads(m, i);
        int64_t kv_rank = kv_heads / tp >= 1 ? kv_heads / tp : 1;
        const double kv_share = kv_heads > 0 ? (double)kv_rank / (double)kv_heads : 1.0;
        double dense = (double)lp.attn_sharded / tp + (double)lp.attn_kv * kv_share +
                       (double)lp.attn_replicated + (double)lp.mlp_dense / tp;
        weight_bytes += dense * linear_b + (double)lp.small * dtype_b;
        linear_params += dense;
        if (m->layer_moe[i]) {
            moe_layers += 1;
            linear_params += (double)m->experts_per_tok * (double)lp.expert_one / tp;
            expert_params += (double)m->experts_per_tok * (double)lp.expert_one / tp;
        }
        int kind = m->layer_attn[i];
        double coef, kvl;
        if (kind == LP_ATTN_MLA) {
            /* absorbed MLA decode: scores over (latent + rope), values over the latent */
            coef = 2.0 * heads_rank * (double)(m->kv_lora_rank + m->qk_rope_head_dim) +
                   2.0 * heads_rank * (double)m->kv_lora_rank;
            kvl = (double)(m->kv_lora_rank + m->qk_rope_head_dim) * kv_b;
            if (m->index_topk > 0) {
                /* DeepSeek-V3.2 (vLLM deepseek_v2.py Indexer, replicated on every rank): fp8
                 * logits of index_n_heads x index_head_dim per (query, cached token) over its
                 * own 132-byte K cache; the sparse MLA then reads index_topk latents (window) */
                indexer_flops += 2.0 * (double)m->index_n_heads * (double)m->index_head_dim;
                indexer_bytes += (double)m->index_head_dim + (double)(m->index_head_dim / 128) * 4;
                window_coef += coef;
            }
        } else if (kind == LP_ATTN_MAMBA || kind == LP_ATTN_NONE) {
            if (kind == LP_ATTN_MAMBA)
                mamba_state += mamba_layer_state;
            continue;
        } else {
            int64_t hd = lp_model_layer_head_dim(m, i);
            double dv =
                hd != m->head_dim ? (double)hd : (double)(m->head_dim_v > 0 ? m->head_dim_v : hd);
            coef = 2.0 * heads_rank * ((double)hd + dv);
            kvl = (double)kv_rank * ((double)hd + dv) * kv_b;
        }
        attn_coef += coef;
        kv_per_tok += kvl;
        if (kind == LP_ATTN_SLIDING || kind == LP_ATTN_CHUNKED)
            window_coef += coef;
    }
    if (last) {
        /* lm_head streamed every step; logits only for sampled tokens (see lp_step_eval) */
        weight_bytes += (double)m->vocab_size * (double)m->hidden_size / tp * dtype_b;
        sm->lm_head_flops_per_token = 2.0 * (double)m->vocab_size * (double)m->hidden_size / tp;
        sm->sampler_bytes_per_seq = (double)m->vocab_size * LP_SAMPLER_BYTES_PER_LOGIT;
    }
    sm->layers = layers;
    sm->weight_bytes = weight_bytes;
    sm->linear_flops_per_token = 2.0 * linear_params;
    sm->expert_flops_per_token = 2.0 * expert_params;
    sm->attn_flops_per_ctx = attn_coef;
    sm->kv_bytes_per_token = kv_per_tok;
    sm->window_fraction = attn_coef > 0 ? window_coef / attn_coef : 0.0;
    sm->window =
        m->sliding_window > 0 ? (double)m->sliding_window : (double)m->attention_chunk_size;
    if (m->index_topk > 0)
        sm->window = (double)m->index_topk;
    sm->mamba_state_bytes_per_seq = mamba_state;
    sm->indexer_flops_per_ctx = indexer_flops;
    sm->indexer_bytes_per_token = indexer_bytes;
    if (m->num_experts > 0 && moe_layers > 0) {
        lp_layer_params one;
        for (int64_t i = start; i < end; i++)
            if (m->layer_moe[i]) {
                lp_model_layer_params(m, i, &one);
                break;
            }
        double expert_b = quantized ? q_b : dtype_b;
        sm->moe_layers = moe_layers;
        sm->experts_total = (double)m->num_experts;
        sm->topk = (double)m->experts_per_tok;
        if (plan->expert_parallel) {
            /* EP: whole experts spread over the TP x DP ranks */
            double ranks = (double)tp * plan->dp;
            sm->experts = ceil((double)m->num_experts / ranks);
            sm->ep_ranks = ranks;
            sm->expert_bytes = (double)one.expert_one * expert_b;
        } else {
            /* TP slices every expert */
            sm->experts = (double)m->num_experts;
            sm->expert_bytes = (double)one.expert_one * expert_b / tp;
        }
    }

    lp_status st = init_links(cluster, plan, sm, est, err);
    if (st != LP_OK)
        return st;
    if (tp > 1) {
        sm->allreduces_per_step = 2.0 * (double)(end - start);
        sm->allreduce_bytes_per_token = (double)m->hidden_size * dtype_b;
    }
    sm->pp_bytes_per_token = pp > 1 ? LP_PP_TENSORS * (double)m->hidden_size * dtype_b : 0.0;
    if (sm->ep_group.ranks > 1) {
        sm->ep_collectives_per_step = 2.0 * moe_layers;
        sm->ep_bytes_per_token = (double)m->hidden_size * dtype_b;
    }

    sm->chunked_prefill = plan->chunked_prefill;
    sm->scheduler_steps = plan->num_scheduler_steps > 1 ? plan->num_scheduler_steps : 1;
    sm->max_num_seqs = plan->max_num_seqs;
    sm->max_num_batched_tokens = plan->max_num_batched_tokens;
    sm->kv_capacity_tokens = (double)plan->kv_tokens;
    sm->kv_block_size = plan->block_size;
    sm->max_model_len = plan->max_model_len;
    sm->vllm_version = plan->vllm_version;
    kv_shape_init(m, plan, sm);
    lp_lora_step_fill(plan, sm);

    lp_perf_assume(est,
                   "roofline efficiencies (%s): %.0f %% of peak FLOPS, %.0f %% of peak "
                   "bandwidth, %.0f us per layer, %.2f ms + %.0f us per request per step "
                   "(vLLM %s host)",
                   sm->eff.family, 100 * sm->eff.compute_eff, 100 * sm->eff.memory_eff,
                   1e6 * sm->eff.layer_overhead_s, 1e3 * sm->eff.step_overhead_s,
                   1e6 * sm->eff.per_seq_overhead_s, sm->eff.engine);
    if (sm->eff.power_share > 0 && sm->eff.power_share < 0.995)
        lp_perf_assume(est,
                       "%s: %.0f W board power sustains %.0f %% of the tensor rate its peak "
                       "implies (the family's reference part, at its own limit, does the same "
                       "work per joule)",
                       gpu->name, gpu->tdp_w, 100 * sm->eff.power_share);
    if (sm->eager)
        lp_perf_assume(est,
                       "--enforce-eager: every kernel launched by the host, at least %.0f us "
                       "per layer",
                       1e6 * sm->eff.eager_layer_s);
    if (pp > 1)
        lp_perf_assume(est,
                       "pipeline parallel %d: one micro-batch in flight modelled (vLLM "
                       "overlaps several; throughput may be higher)",
                       pp);
    if (m->num_experts > 0)
        lp_perf_assume(est,
                       "MoE: uniform routing; a step reads the distinct experts its tokens "
                       "touch, as grouped GEMMs at %.0f %% of the dense streaming rate",
                       100 * sm->eff.moe_memory_share);
    return LP_OK;
}

/* One operator: compute and memory traffic overlap imperfectly, sqrt(c^2 + m^2) (see the top
 * of the file). Adds to compute_s or memory_s by which of the two dominates. */
static inline double op(const lp_step_model *sm, double c, double m, lp_step_time *t) {
    double hi = c >= m ? c : m, lo = c >= m ? m : c, v;
    double p = sm->eff.ridge_norm;
    if (p <= 1.0 || lo <= LP_RIDGE_NEGLIGIBLE * hi)
        v = hi; /* the smaller term changes sqrt(c^2 + m^2) by less than 5e-5 */
    else if (p == 2.0)
        v = sqrt(c * c + m * m);
    else
        v = pow(pow(c, p) + pow(m, p), 1.0 / p);
    if (c >= m)
        t->compute_s += v;
    else
        t->memory_s += v;
    return v;
}

/* Expected distinct experts a rank reads per MoE layer for `tokens` tokens: without EP every
 * rank holds a slice of every expert; with EP a rank holds `experts` whole experts and the
 * step waits for the most touched rank (mean + sqrt(2 ln R) standard deviations of a
 * binomial count, at most all of them). */
static double experts_read(const lp_step_model *sm, double tokens) {
    double p = 1.0 - pow(1.0 - sm->topk / sm->experts_total, tokens);
    double mean = sm->experts * p;
    if (sm->ep_ranks <= 1)
        return mean;
    double sd = sqrt(sm->experts * p * (1.0 - p));
    return lp_fmin(sm->experts, mean + sd * sqrt(2.0 * log(sm->ep_ranks)));
}

/* The collectives of a step, planned from the step model alone (lp_step_comm_time prices
 * them for a number of tokens). */
void lp_step_comm_init(const lp_step_model *sm, lp_step_comm *c) {
    /* only the plans of the collectives that run are filled (lp_step_eval prepares per call) */
    c->pp_gather_on = false;
    c->tp_on = sm->tp > 1 && sm->allreduces_per_step > 0;
    if (c->tp_on) {
        lp_comm_group g = sm->tp_group;
        if (g.ranks < 2) { /* a hand-built model: one node, the link bandwidth given */
            g.ranks = g.per_node = sm->tp;
            g.nodes = 1;
            g.intra.bandwidth = sm->link_bandwidth;
            g.intra.latency_s = 0;
        }
        lp_collective_plan_init(LP_COLL_ALL_REDUCE, &g, &c->tp_allreduce);
    }
    c->pp_on = sm->pp_stages > 1;
    if (c->pp_on) {
        c->pp_tp = sm->tp > 1 ? sm->tp : 1;
        lp_comm_group pair = {2, 1, 2, sm->pp_intra, sm->pp_inter};
        lp_comm_group local = {2, 2, 1, sm->pp_intra, sm->pp_inter};
        if (pair.inter.bandwidth <= 0) { /* a hand-built model: the network bandwidth given */
            pair.inter.bandwidth = local.intra.bandwidth = sm->inter_node_bandwidth;
            pair.intra = local.intra;
        }
        lp_collective_plan_init(LP_COLL_SEND_RECV, &pair, &c->pp_across);
        lp_collective_plan_init(LP_COLL_SEND_RECV, &local, &c->pp_inside);
        c->pp_gather_on = c->pp_tp > 1 && sm->tp_group.ranks > 1;
        if (c->pp_gather_on)
            lp_collective_plan_init(LP_COLL_ALL_GATHER, &sm->tp_group, &c->pp_gather);
    }
    c->ep_on = sm->ep_group.ranks > 1 && sm->ep_collectives_per_step > 0;
    if (c->ep_on) {
        c->ep_dp = sm->ep_group.ranks / (sm->tp > 1 ? sm->tp : 1);
        lp_collective_plan_init(LP_COLL_ALL_GATHER, &sm->ep_group, &c->ep_gather);
        lp_collective_plan_init(LP_COLL_REDUCE_SCATTER, &sm->ep_group, &c->ep_scatter);
    }
}

double lp_step_comm_time(const lp_step_model *sm, const lp_step_comm *c, double tokens) {
    double comm = 0;
    /* tensor parallel: two all-reduces per layer, each the family's per-call latency plus
     * NCCL's ring or tree over the group's links (vLLM's custom all-reduce inside an NVLink
     * node costs the per-call latency and the ring's bytes) */
    if (c->tp_on)
        comm += sm->allreduces_per_step *
                (sm->eff.allreduce_latency_s +
                 lp_collective_plan_time_s(&c->tp_allreduce, tokens * sm->allreduce_bytes_per_token,
                                           NULL));
    /* pipeline hand-offs: each TP rank sends its 1/tp slice of the two tensors to its peer of
     * the next stage, which all-gathers them over its TP group (vllm/distributed/
     * parallel_state.py GroupCoordinator.send_tensor_dict with all_gather_group) */
    if (c->pp_on) {
        double bytes = tokens * sm->pp_bytes_per_token;
        int tp = c->pp_tp;
        double across =
            LP_PP_HANDOFF_S + lp_collective_plan_time_s(&c->pp_across, bytes / tp, NULL);
        double inside =
            LP_PP_HANDOFF_S + lp_collective_plan_time_s(&c->pp_inside, bytes / tp, NULL);
        double gather = c->pp_gather_on ? lp_collective_plan_time_s(&c->pp_gather, bytes, NULL) : 0;
        int n_across = sm->pp_handoffs_across_nodes;
        int n_inside = (int)sm->pp_stages - 1 - n_across;
        comm += n_across * across + n_inside * inside + (sm->pp_stages - 1) * gather;
    }
    /* expert parallelism over data-parallel ranks: an all-gather and a reduce-scatter per MoE
     * layer of every DP rank's tokens (as many as this replica's, assumed) */
    if (c->ep_on) {
        double bytes = tokens * c->ep_dp * sm->ep_bytes_per_token;
        comm += sm->ep_collectives_per_step / 2 *
                (2 * sm->eff.allreduce_latency_s +
                 lp_collective_plan_time_s(&c->ep_gather, bytes, NULL) +
                 lp_collective_plan_time_s(&c->ep_scatter, bytes, NULL));
    }
    return comm;
}

double lp_step_comm_s(const lp_step_model *sm, double tokens) {
    lp_step_comm c;
    lp_step_comm_init(sm, &c);
    return lp_step_comm_time(sm, &c, tokens);
}

double lp_step_comm_cross_node_s(const lp_step_model *sm, double tokens) {
    lp_step_model local = *sm;
    /* the same collectives with every rank in one node, on the node's own link */
    lp_comm_group *groups[] = {&local.tp_group, &local.ep_group};
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        groups[i]->per_node = groups[i]->ranks;
        groups[i]->nodes = 1;
        groups[i]->inter = groups[i]->intra;
    }
    local.pp_handoffs_across_nodes = 0;
    double extra = lp_step_comm_s(sm, tokens) - lp_step_comm_s(&local, tokens);
    return extra > 0 ? extra : 0;
}

/*
 * The parts of a step's time that depend on the step model alone (rates, seconds per FLOP and
 * per byte, the weights' read time, fixed floors), worked out once for many batches. Each is
 * the very expression lp_step_eval used to evaluate per step, in the same order, so a prepared
 * evaluation gives the same bits.
 */
void lp_step_prep_init(const lp_step_model *sm, lp_step_prep *p) {
    p->spec = sm->spec.k > 0;
    /* seconds per FLOP and per byte of each kind of operator (fields left at 0 by a
     * hand-built model take the plain compute/memory efficiencies) */
    p->gemm_scale = sm->gemm_compute_scale > 0 ? sm->gemm_compute_scale : 1.0;
    p->expert_scale = sm->expert_compute_scale > 0 ? sm->expert_compute_scale : p->gemm_scale;
    /* tensor work runs at the clock the board's power limit allows (efficiency.c) */
    const double power = sm->eff.power_share > 0 ? sm->eff.power_share : 1.0;
    const double attn_peak =
        power * (sm->peak_flops_attn > 0 ? sm->peak_flops_attn : sm->peak_flops);
    p->s_flop = 1.0 / (power * sm->peak_flops * sm->eff.compute_eff);
    p->s_byte = 1.0 / (sm->bandwidth * sm->eff.memory_eff);
    p->weights_s = sm->weight_bytes * p->s_byte;
    p->moe_share = sm->eff.moe_memory_share > 0 ? sm->eff.moe_memory_share : 1.0;
    p->kv_share = sm->eff.attn_memory_eff > 0 ? sm->eff.memory_eff / sm->eff.attn_memory_eff : 1.0;
    p->attn_rate = attn_peak * sm->eff.compute_eff;
    p->attn_prefill_rate = attn_peak * sm->eff.attn_compute_eff;
    p->lora = sm->lora.max_loras > 0;
    p->floors =
        sm->layers * sm->eff.layer_overhead_s + sm->moe_layers * sm->eff.moe_layer_overhead_s;
    lp_step_comm_init(sm, &p->comm);
    p->any_comm = p->comm.tp_on || p->comm.pp_on || p->comm.ep_on;
    p->steps = sm->scheduler_steps > 1 ? sm->scheduler_steps : 1;
    p->pp = sm->pp_stages > 1 ? sm->pp_stages : 1;
}

void lp_step_eval(const lp_step_model *sm, const lp_step_batch *b, lp_step_time *out) {
    lp_step_eval_adapters(sm, b, 0.0, out);
}

void lp_step_eval_adapters(const lp_step_model *sm, const lp_step_batch *b, double adapters,
                           lp_step_time *out) {
    lp_step_prep p;
    lp_step_prep_init(sm, &p);
    lp_step_eval_prep(sm, &p, b, adapters, out);
}

void lp_step_eval_prep(const lp_step_model *sm, const lp_step_prep *p, const lp_step_batch *b,
                       double adapters, lp_step_time *result) {
    if (p->spec) {
        lp_spec_step_eval(sm, b, result); /* verification + drafter (spec.c) */
        return;
    }
    /* the sums build in a local: stores through result could alias sm's and b's doubles and
     * make every term reload them */
    lp_step_time acc;
    lp_step_time *const out = &acc;
    const double tokens = b->decode_seqs + b->prefill_tokens;
    /* sliding-window / chunked layers attend to at most `window` keys */
    double ctx_dec = b->decode_ctx, ctx_pre = b->prefill_ctx;
    if (sm->window_fraction > 0 && sm->window > 0) {
        double wf = sm->window_fraction;
        ctx_dec =
            (1 - wf) * b->decode_ctx + wf * lp_fmin(b->decode_ctx, b->decode_seqs * sm->window);
        ctx_pre = (1 - wf) * b->prefill_ctx +
                  wf * lp_fmin(b->prefill_ctx, b->prefill_tokens * sm->window);
    }
    out->compute_s = out->memory_s = out->launch_s = 0;
    const double gemm_scale = p->gemm_scale, expert_scale = p->expert_scale;
    const double s_flop = p->s_flop, s_byte = p->s_byte;
    /* linear layers (GEMMs): every token's FLOPs against one read of the weights */
    double sampled = b->decode_seqs + b->prefill_seqs;
    double expert_flops = tokens * sm->expert_flops_per_token;
    double gpu = op(sm,
                    (tokens * sm->linear_flops_per_token - expert_flops +
                     sampled * sm->lm_head_flops_per_token) *
                        s_flop / gemm_scale,
                    p->weights_s, out);
    /* routed experts: grouped GEMMs over the experts the batch touches */
    if (sm->moe_layers > 0 && tokens > 0) {
        double bytes = sm->moe_layers * experts_read(sm, tokens) * sm->expert_bytes;
        gpu += op(sm, expert_flops * s_flop / expert_scale, bytes * s_byte / p->moe_share, out);
    }
    /* decode attention reads the whole KV cache of every decoding request */
    if (ctx_dec > 0) {
        gpu += op(sm, sm->attn_flops_per_ctx * ctx_dec / p->attn_rate,
                  sm->kv_bytes_per_token * ctx_dec * s_byte * p->kv_share, out);
    }
    /* Mamba / linear-attention layers: every decoding request's state is read and written back
     * once a step (vLLM selective_state_update / fused_recurrent_gated_delta_rule update it in
     * place); a prefilling request's chunk does the same once */
    if (sm->mamba_state_bytes_per_seq > 0) {
        double seqs =
            b->decode_seqs + (b->prefill_tokens > 0 ? lp_fmax(b->prefill_seqs, 1.0) : 0.0);
        gpu += op(sm, 0, 2.0 * sm->mamba_state_bytes_per_seq * seqs * s_byte, out);
    }
    /* DeepSeek-V3.2's indexer scores every cached token, whatever the sparse attention keeps */
    if (sm->indexer_flops_per_ctx > 0) {
        double scored = b->decode_ctx + b->prefill_ctx;
        gpu += op(sm, sm->indexer_flops_per_ctx * scored / p->attn_rate,
                  sm->indexer_bytes_per_token * (b->decode_ctx + b->prefill_tokens) * s_byte, out);
    }
    /* prefill attention: causal FLOPs over the chunk at a rate that grows with the keys each
     * query attends to, eff x q / (q + LP_ATTN_HALF_CONTEXT); writes the chunk's KV */
    if (b->prefill_tokens > 0) {
        double flops = sm->attn_flops_per_ctx * ctx_pre, c;
        if (sm->eff.attn_compute_eff > 0) {
            double q = lp_fmax(ctx_pre / b->prefill_tokens, 1.0);
            c = flops * (q + LP_ATTN_HALF_CONTEXT) / (p->attn_prefill_rate * q);
        } else {
            c = flops / p->attn_rate;
        }
        gpu += op(sm, c, sm->kv_bytes_per_token * b->prefill_tokens * s_byte, out);
    }
    /* LoRA adapters: shrink + expand per token, the batch's adapters read (lora_step.c) */
    double lora_kernels_s = 0;
    if (p->lora) {
        double lora_flop_s, lora_byte_s;
        lora_kernels_s = lp_lora_step_s(sm, b, adapters, tokens, s_flop / gemm_scale, s_byte,
                                        &lora_flop_s, &lora_byte_s);
        if (lora_flop_s > 0 || lora_byte_s > 0)
            gpu += op(sm, lora_flop_s, lora_byte_s, out);
    }
    /* sampling over the logits of every sampled sequence */
    if (sampled > 0 && sm->sampler_bytes_per_seq > 0)
        gpu += op(sm, 0, sampled * sm->sampler_bytes_per_seq * s_byte, out);

    /* kernel floors; without CUDA graphs the host's launches can be slower than the GPU */
    double floors = p->floors + lora_kernels_s;
    bool graphs = !sm->eager && (sm->eff.graph_max_batch <= 0 || tokens <= sm->eff.graph_max_batch);
    if (sm->eff.graph_max_context > 0) {
        /* V0: prefill steps ran eagerly, and decodes beyond max_seq_len_to_capture */
        if (b->prefill_tokens > 0)
            graphs = false;
        if (b->decode_seqs > 0 && b->decode_ctx / b->decode_seqs > sm->eff.graph_max_context)
            graphs = false;
    }
    out->launch_s = floors;
    if (!graphs) {
        double launches = sm->layers * sm->eff.eager_layer_s;
        if (launches > gpu + floors)
            out->launch_s = launches - gpu;
    }

    out->comm_s = p->any_comm ? lp_step_comm_time(sm, &p->comm, tokens) : 0.0;
    out->host_s =
        (sm->eff.step_overhead_s + sm->eff.per_seq_overhead_s * (b->decode_seqs + sampled)) /
        p->steps;
    double stage = out->compute_s + out->memory_s + out->launch_s;
    out->total_s = p->pp * stage + out->comm_s + out->host_s;
    double best = out->compute_s >= out->memory_s ? out->compute_s : out->memory_s;
    out->bound = out->compute_s >= out->memory_s ? LP_BOUND_COMPUTE : LP_BOUND_MEMORY;
    if (out->comm_s > best) {
        best = out->comm_s;
        out->bound = LP_BOUND_COMM;
    }
    if (out->host_s + out->launch_s > best)
        out->bound = LP_BOUND_HOST;
    *result = acc;
}
