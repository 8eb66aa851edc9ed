/*
 * lora.c - the GPU memory multi-adapter LoRA serving reserves: one slot per --max-loras, each
 * as large as an adapter of --max-lora-rank on every LoRA-capable projection, allocated when
 * the model is loaded (so it counts as weights, before the KV cache is sized).
 *
 * vllm/lora/layers/base_linear.py BaseLinearLayerWithLoRA.create_lora_weights allocates, per
 * wrapped layer and per output slice, lora_a_stacked (max_loras, 1, max_lora_rank, input) and
 * lora_b_stacked (max_loras, 1, output, max_lora_rank) in lora_dtype (the model dtype by
 * default), with the layer's own tensor-parallel shapes: column-parallel layers (qkv, gate_up:
 * 3 and 2 slices) keep the whole input and their output shard, row-parallel ones (o, down) their
 * input shard and the whole output (fully_sharded_loras off, vLLM's default). MoE layers
 * (vllm/lora/layers/fused_moe.py FusedMoEWithLoRA) hold the same per expert for w1, w3 and w2;
 * vLLM refuses expert parallelism with them. Adapters beyond the GPU slots wait in host memory
 * (--max-cpu-loras, default max_loras: vllm/config/lora.py), which this plan does not count.
 * Embedding and lm_head adapters (extra vocabulary, removed in recent releases) are not sized.
 */
#include <stdio.h>

#include "mem/mem_internal.h"

/* vllm/config/lora.py LoRAConfig defaults: max_loras 1, max_lora_rank 16. */
#define LP_LORA_DEFAULT_MAX_LORAS 1
#define LP_LORA_DEFAULT_RANK 16
/* Ranks vLLM accepts (LoRAConfig: possible_max_ranks). */
static const int LORA_RANKS[] = {1, 8, 16, 32, 64, 128, 256, 320, 512};

int lp_lora_max_loras(const lp_lora_config *l) {
    return l->max_loras > 0 ? l->max_loras : LP_LORA_DEFAULT_MAX_LORAS;
}

int lp_lora_rank(const lp_lora_config *l) {
    return l->max_lora_rank > 0 ? l->max_lora_rank : LP_LORA_DEFAULT_RANK;
}

lp_status lp_lora_check(const lp_lora_config *l, lp_error *err) {
    if (!l->enable_lora) {
        if (l->max_loras > 0 || l->max_lora_rank > 0 || l->max_cpu_loras > 0)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "--max-loras, --max-lora-rank and --max-cpu-loras need "
                                "--enable-lora");
        return LP_OK;
    }
    if (l->max_loras < 0 || l->max_loras > 4096)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "--max-loras must be between 1 and 4096");
    bool ok = false;
    for (size_t i = 0; i < sizeof LORA_RANKS / sizeof LORA_RANKS[0]; i++)
        ok |= lp_lora_rank(l) == LORA_RANKS[i];
    if (!ok)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--max-lora-rank %d: vLLM accepts 1, 8, 16, 32, 64, 128, 256, 320 or "
                            "512",
                            l->max_lora_rank);
    if (l->max_cpu_loras < 0 || (l->max_cpu_loras > 0 && l->max_cpu_loras < lp_lora_max_loras(l)))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--max-cpu-loras (%d) must be at least --max-loras (%d)",
                            l->max_cpu_loras, lp_lora_max_loras(l));
    return LP_OK;
}

/* Elements of one slot on one GPU for layer i (lora_a + lora_b of every wrapped projection). */
static double slot_elements_layer(const lp_mem_ctx *c, int64_t i, double r) {
    const lp_model *m = c->m;
    const double tp = c->tp, h = (double)m->hidden_size;
    double e = 0.0;
    int kind = m->layer_attn[i];
    if (kind != LP_ATTN_MAMBA && kind != LP_ATTN_NONE) {
        if (m->use_mla) {
            /* q_a / kv_a replicated (whole in and out), q_b / kv_b column, o row */
            double q_rank = m->q_lora_rank > 0 ? (double)m->q_lora_rank : 0.0;
            double qk = (double)(m->qk_nope_head_dim + m->qk_rope_head_dim);
            double kv_a = (double)(m->kv_lora_rank + m->qk_rope_head_dim);
            double heads = (double)m->num_heads;
            if (q_rank > 0)
                e += r * (h + q_rank) + r * (q_rank + heads * qk / tp);
            else
                e += r * h + r * heads * qk / tp;
            e += r * (h + kv_a);
            e += r * (double)m->kv_lora_rank +
                 r * heads * (double)(m->qk_nope_head_dim + m->v_head_dim) / tp;
            e += r * heads * (double)m->v_head_dim / tp + r * h;
        } else {
            double hd = (double)m->head_dim, hv = (double)(m->head_dim_v > 0 ? m->head_dim_v : hd);
            double kv_rank = m->num_kv_heads / c->tp >= 1 ? (double)(m->num_kv_heads / c->tp) : 1.0;
            double q_out = (double)m->num_heads * hd / tp * (m->attn_output_gate ? 2.0 : 1.0);
            /* qkv: three slices over the whole input, each its output shard */
            e += 3.0 * r * h + r * (q_out + kv_rank * (hd + hv));
            /* o: the input shard, the whole output */
            e += r * (double)m->num_heads * hv / tp + r * h;
        }
    }
    if (m->layer_no_mlp[i])
        return e;
    double slices = m->gated_mlp ? 2.0 : 1.0;
    if (m->layer_moe[i]) {
        if (c->version >= LP_VLLM_LORA_MOE) {
            double inter = (double)m->moe_intermediate_size / tp;
            double experts = (double)m->num_experts;
            e += experts * (slices * (r * h + r * inter) + r * inter + r * h);
        }
        if (m->num_shared_experts > 0) {
            double inter =
                (double)(m->shared_expert_intermediate_size > 0 ? m->shared_expert_intermediate_size
                                                                : m->moe_intermediate_size) *
                (double)m->num_shared_experts / tp;
            e += slices * (r * h + r * inter) + r * inter + r * h;
        }
    } else {
        double inter = (double)m->intermediate_size / tp;
        e += slices * (r * h + r * inter) + r * inter + r * h;
    }
    return e;
}

double lp_mem_lora_weights_rank(const lp_mem_ctx *c, int pp_rank) {
    if (!c->lora.enable_lora)
        return 0.0;
    int64_t start, end;
    lp_mem_pp_range(c->m->num_layers, c->pp, pp_rank, &start, &end);
    const double r = (double)lp_lora_rank(&c->lora);
    double elements = 0.0;
    for (int64_t i = start; i < end && i < LP_MAX_LAYERS; i++)
        elements += slot_elements_layer(c, i, r);
    return elements * (double)lp_lora_max_loras(&c->lora) * lp_dtype_bytes(c->dtype);
}

lp_status lp_mem_resolve_lora(lp_mem_ctx *c, const lp_serving *s, lp_error *err) {
    c->lora = s->lora;
    lp_status st = lp_lora_check(&s->lora, err);
    if (st != LP_OK || !s->lora.enable_lora)
        return st;
    if (c->ep && c->m->num_experts > 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--enable-lora with --enable-expert-parallel: vLLM's MoE LoRA layer "
                            "does not support expert parallelism (FusedMoEWithLoRA: \"EP support "
                            "for Fused MoE LoRA is not implemented yet\")");
    double per_slot = 0.0;
    for (int r = 0; r < c->pp; r++) {
        double b = lp_mem_lora_weights_rank(c, r);
        if (b > per_slot)
            per_slot = b;
    }
    lp_mem_note(c,
                "LoRA: %d GPU slot%s of rank %d, %.2f GiB per GPU (allocated with the weights, "
                "before the KV cache); %d adapter%s cached in host memory%s",
                lp_lora_max_loras(&c->lora), lp_lora_max_loras(&c->lora) == 1 ? "" : "s",
                lp_lora_rank(&c->lora), per_slot / LP_GIB,
                c->lora.max_cpu_loras > 0 ? c->lora.max_cpu_loras : lp_lora_max_loras(&c->lora),
                (c->lora.max_cpu_loras > 0 ? c->lora.max_cpu_loras : lp_lora_max_loras(&c->lora)) ==
                        1
                    ? ""
                    : "s",
                c->m->num_experts > 0 && c->version < LP_VLLM_LORA_MOE
                    ? "; routed experts carry no adapter before vLLM 0.11"
                    : "");
    return LP_OK;
}
