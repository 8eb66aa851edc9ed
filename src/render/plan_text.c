/*
 * plan_text.c - the terminal report of `llmplan plan`: the model, the GPUs, the per-GPU memory
 * breakdown, KV capacity, the verdict (with vLLM's own error and what to change when it does not
 * fit) and the assumptions behind the numbers. Formatting only.
 */
#include <stddef.h>
#include <stdio.h>

#include "llmplan/render.h"

#define GIB 1073741824.0

static void model_section(FILE *o, const lp_model *m, const lp_mem_plan *p) {
    char a[32], b[32], c[32];
    int64_t kinds[6];
    lp_model_layer_kind_counts(m, kinds);
    fprintf(o, "Model     %s  (%s; %s)\n", m->id, m->source,
            m->architecture[0] ? m->architecture : m->model_type);
    fprintf(o, "          parameters %s total, %s active per token%s\n",
            lp_render_params(a, sizeof a, (long long)m->params_total),
            lp_render_params(b, sizeof b, (long long)m->params_active),
            m->params_exact ? " (counted from safetensors headers)"
                            : " (computed from the architecture)");
    if (m->params_vision > 0)
        fprintf(o, "          of which vision tower + projector %s\n",
                lp_render_params(c, sizeof c, (long long)m->params_vision));
    fprintf(o, "          %lld layers:", (long long)m->num_layers);
    static const char *const names[] = {"full attention", "sliding window", "chunked local", "MLA",
                                        "mamba",          "no attention"};
    const char *sep = " ";
    for (int k = 0; k < 6; k++) {
        if (kinds[k] == 0)
            continue;
        fprintf(o, "%s%lld %s", sep, (long long)kinds[k], names[k]);
        sep = ", ";
    }
    if (m->sliding_window > 0 && kinds[LP_ATTN_SLIDING] > 0)
        fprintf(o, " (window %lld)", (long long)m->sliding_window);
    if (m->attention_chunk_size > 0 && kinds[LP_ATTN_CHUNKED] > 0)
        fprintf(o, " (chunk %lld)", (long long)m->attention_chunk_size);
    fprintf(o, "\n");
    if (m->num_experts > 0)
        fprintf(o, "          MoE: %lld of %lld layers, %lld experts, top-%lld%s\n",
                (long long)lp_model_num_moe_layers(m), (long long)m->num_layers,
                (long long)m->num_experts, (long long)m->experts_per_tok,
                m->num_shared_experts > 0 ? ", shared experts" : "");
    if (m->use_mla)
        fprintf(o, "          hidden %lld, %lld heads, MLA latent %lld + rope %lld\n",
                (long long)m->hidden_size, (long long)m->num_heads, (long long)m->kv_lora_rank,
                (long long)m->qk_rope_head_dim);
    else
        fprintf(o, "          hidden %lld, %lld heads / %lld KV heads x %lld\n",
                (long long)m->hidden_size, (long long)m->num_heads, (long long)m->num_kv_heads,
                (long long)m->head_dim);
    fprintf(o, "          KV cache %s bytes per token (%s, all layers, one replica)\n",
            lp_render_int(a, sizeof a, (long long)p->kv_bytes_per_token),
            lp_dtype_name(p->kv_cache_dtype));
}

static void gpu_section(FILE *o, const lp_gpu *g, const lp_mem_plan *p) {
    fprintf(o, "GPU       %d x %s  (%.2f GiB %s", p->num_gpus, g->name, g->usable_gib,
            g->usable_measured ? "as the driver reports it" : "derived");
    if (g->bandwidth_gbs > 0)
        fprintf(o, ", %.0f GB/s", g->bandwidth_gbs);
    if (g->bf16_tflops > 0)
        fprintf(o, ", %.0f TFLOPS bf16", g->bf16_tflops);
    fprintf(o, ")\n");
}

static void settings_section(FILE *o, const lp_mem_plan *p) {
    fprintf(o, "Settings  -tp %d -pp %d", p->tp, p->pp);
    if (p->dp > 1)
        fprintf(o, " -dp %d", p->dp);
    fprintf(o, "  --dtype %s  --quantization %s  --kv-cache-dtype %s\n", lp_dtype_name(p->dtype),
            p->quant.method == LP_QUANT_NONE ? "none" : p->quant.vllm_name,
            lp_dtype_name(p->kv_cache_dtype));
    fprintf(o,
            "          --max-model-len %lld  --gpu-memory-utilization %.2f  --block-size %d\n"
            "          --max-num-seqs %d  --max-num-batched-tokens %d  (vLLM %d.%d behaviour)\n",
            (long long)p->max_model_len, p->gpu_memory_utilization, p->block_size, p->max_num_seqs,
            p->max_num_batched_tokens, p->vllm_version / 10000, p->vllm_version / 100 % 100);
}

static void memory_section(FILE *o, const lp_mem_plan *p) {
    fprintf(o, "\nMemory per GPU (GiB)");
    if (p->n_ranks > 1)
        for (int r = 0; r < p->n_ranks; r++)
            fprintf(o, "   stage %d%s", r, r == p->binding_rank ? "*" : " ");
    fprintf(o, "\n");
    struct {
        const char *label;
        size_t offset;
    } rows[] = {
        {"  total                    ", offsetof(lp_mem_rank, total_bytes)},
        {"  budget (x utilization)   ", offsetof(lp_mem_rank, budget_bytes)},
        {"  - weights                ", offsetof(lp_mem_rank, weights_bytes)},
        {"  - activation peak        ", offsetof(lp_mem_rank, activation_bytes)},
        {"  - non-torch              ", offsetof(lp_mem_rank, non_torch_bytes)},
        {"  - CUDA graphs            ", offsetof(lp_mem_rank, cuda_graph_bytes)},
        {"  = KV cache               ", offsetof(lp_mem_rank, kv_cache_bytes)},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        fprintf(o, "%s", rows[i].label);
        for (int r = 0; r < p->n_ranks; r++) {
            const double *v = (const double *)((const char *)&p->ranks[r] + rows[i].offset);
            fprintf(o, "%9.2f  ", *v / GIB);
        }
        fprintf(o, "\n");
    }
    if (p->n_ranks > 1)
        fprintf(o, "  (* the stage with the fewest KV blocks sets the pool for all)\n");
}

static void capacity_section(FILE *o, const lp_mem_plan *p) {
    char a[32], b[32], c[32];
    fprintf(o, "\nKV cache  %s tokens (%s blocks of %d)\n",
            lp_render_int(a, sizeof a, (long long)p->kv_tokens),
            lp_render_int(b, sizeof b, (long long)p->kv_blocks), p->block_size);
    fprintf(o, "          maximum concurrency %.2fx at %s tokens per request\n", p->max_concurrency,
            lp_render_int(c, sizeof c, (long long)p->max_model_len));
    if (p->max_model_len_fit > 0)
        fprintf(o, "          largest max-model-len that fits: %s\n",
                lp_render_int(a, sizeof a, (long long)p->max_model_len_fit));
    else
        fprintf(o, "          no max-model-len fits: the weights leave no room for KV cache\n");
}

static void verdict_section(FILE *o, const lp_mem_plan *p) {
    char a[32];
    if (p->fits) {
        fprintf(o,
                "\nVerdict   FITS: %.2f GiB of KV cache per GPU, room for %.1f requests of %s "
                "tokens\n",
                p->ranks[p->binding_rank].kv_cache_bytes / GIB, p->max_concurrency,
                lp_render_int(a, sizeof a, (long long)p->max_model_len));
    } else if (p->warmup_fails) {
        fprintf(o,
                "\nVerdict   DOES NOT START: the KV cache fits, but CUDA graphs and the sampler "
                "warm-up\n          need %.2f GiB more than is left per GPU after it\n",
                p->shortfall_bytes / GIB);
        fprintf(o, "          vLLM would stop with:\n          %s\n", p->vllm_error);
    } else if (p->failure == LP_MEM_FAIL_WEIGHTS) {
        fprintf(
            o,
            "\nVerdict   DOES NOT FIT: the weights do not load, they need %.2f GiB more per GPU "
            "than\n          the GPU has\n",
            p->shortfall_bytes / GIB);
        fprintf(o, "          vLLM would stop with:\n          %s\n", p->vllm_error);
    } else {
        fprintf(o, "\nVerdict   DOES NOT FIT: %.2f GiB per GPU short of one request of %s tokens\n",
                p->shortfall_bytes / GIB, lp_render_int(a, sizeof a, (long long)p->max_model_len));
        fprintf(o, "          vLLM would stop with:\n          %s\n", p->vllm_error);
    }
    if (p->n_suggestions > 0) {
        fprintf(o, "\nWhat to change                                   fits  KV tokens    "
                   "concurrency  max-model-len fit\n");
        for (int i = 0; i < p->n_suggestions; i++) {
            const lp_mem_suggestion *s = &p->suggestions[i];
            char t[32], l[32];
            fprintf(o, "  %-46s %-4s %12s %12.2f %18s\n", s->change, s->fits ? "yes" : "no",
                    lp_render_int(t, sizeof t, (long long)s->kv_tokens), s->max_concurrency,
                    lp_render_int(l, sizeof l, (long long)s->max_model_len_fit));
        }
    }
}

lp_status lp_render_plan_text(FILE *o, const lp_model *m, const lp_gpu *gpu, const lp_mem_plan *p) {
    model_section(o, m, p);
    gpu_section(o, gpu, p);
    settings_section(o, p);
    memory_section(o, p);
    capacity_section(o, p);
    verdict_section(o, p);
    if (p->n_notes + m->n_notes > 0) {
        fprintf(o, "\nAssumptions\n");
        for (int i = 0; i < m->n_notes; i++)
            fprintf(o, "  - %s\n", m->notes[i]);
        for (int i = 0; i < p->n_notes; i++)
            fprintf(o, "  - %s\n", p->notes[i]);
    }
    return ferror(o) ? LP_ERR_IO : LP_OK;
}
