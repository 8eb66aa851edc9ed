/*
 * plan_json.c - `llmplan plan --json`: one JSON object built with jansson (proper escaping,
 * no hand-written JSON). Memory values are per GPU in GiB (2^30 bytes) for the binding stage;
 * `memory.per_stage` lists every pipeline stage. Formatting only.
 */
#include "common/json_write.h"
#include "render/json_objects.h"
#include <jansson.h>

#include "llmplan/render.h"

#define GIB 1073741824.0

static json_t *notes_array(const char (*notes)[192], int n) {
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_string(notes[i]));
    return a;
}

static json_t *model_json(const lp_model *m, const lp_mem_plan *p) {
    int64_t kinds[6];
    lp_model_layer_kind_counts(m, kinds);
    json_t *layers = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I}", "total", (json_int_t)m->num_layers, "full_attention",
        (json_int_t)kinds[LP_ATTN_FULL], "sliding_window", (json_int_t)kinds[LP_ATTN_SLIDING],
        "chunked_local", (json_int_t)kinds[LP_ATTN_CHUNKED], "mla", (json_int_t)kinds[LP_ATTN_MLA],
        "moe", (json_int_t)lp_model_num_moe_layers(m));
    json_t *notes = json_array();
    for (int i = 0; i < m->n_notes; i++)
        json_array_append_new(notes, json_string(m->notes[i]));
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:b, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:s, "
        "s:s, s:I, s:o}",
        "id", m->id, "source", m->source, "architecture", m->architecture, "model_type",
        m->model_type, "params_total", (json_int_t)m->params_total, "params_active",
        (json_int_t)m->params_active, "params_vision", (json_int_t)m->params_vision, "params_exact",
        m->params_exact, "layers", layers, "hidden_size", (json_int_t)m->hidden_size,
        "num_attention_heads", (json_int_t)m->num_heads, "num_key_value_heads",
        (json_int_t)m->num_kv_heads, "head_dim", (json_int_t)m->head_dim, "num_experts",
        (json_int_t)m->num_experts, "experts_per_tok", (json_int_t)m->experts_per_tok,
        "kv_bytes_per_token", p->kv_bytes_per_token, "dtype", lp_dtype_name(m->dtype),
        "quantization", m->quant.method == LP_QUANT_NONE ? "none" : m->quant.vllm_name,
        "max_position_embeddings", (json_int_t)m->max_position_embeddings, "notes", notes);
}

static json_t *rank_json(const lp_mem_rank *r) {
    return json_pack("{s:i, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:I}", "pp_rank", r->pp_rank,
                     "layers", (json_int_t)r->layers, "total_gib", r->total_bytes / GIB,
                     "budget_gib", r->budget_bytes / GIB, "weights_gib", r->weights_bytes / GIB,
                     "activation_gib", r->activation_bytes / GIB, "non_torch_gib",
                     r->non_torch_bytes / GIB, "cuda_graph_gib", r->cuda_graph_bytes / GIB,
                     "kv_cache_gib", r->kv_cache_bytes / GIB, "kv_blocks",
                     (json_int_t)r->kv_blocks);
}

json_t *lp_render_plan_object(const lp_model *m, const lp_gpu *gpu, const lp_mem_plan *p) {
    const lp_mem_rank *b = &p->ranks[p->binding_rank];
    json_t *stages = json_array();
    for (int r = 0; r < p->n_ranks; r++)
        json_array_append_new(stages, rank_json(&p->ranks[r]));
    json_t *memory = rank_json(b);
    json_object_set_new(memory, "per_stage", stages);
    json_object_set_new(memory, "kv_tokens", json_integer((json_int_t)p->kv_tokens));
    json_object_set_new(memory, "max_concurrency", json_real(p->max_concurrency));
    json_object_set_new(memory, "max_model_len", json_integer((json_int_t)p->max_model_len));
    json_object_set_new(memory, "max_model_len_fit",
                        json_integer((json_int_t)p->max_model_len_fit));
    json_object_set_new(memory, "fits", json_boolean(p->fits));
    json_object_del(memory, "pp_rank");
    json_object_set_new(memory, "binding_stage", json_integer(p->binding_rank));

    json_t *gpu_j =
        json_pack("{s:s, s:i, s:f, s:b, s:f, s:f, s:f, s:s}", "name", gpu->name, "count",
                  p->num_gpus, "total_gib", gpu->usable_gib, "total_gib_measured",
                  gpu->usable_measured, "bandwidth_gbs", gpu->bandwidth_gbs, "bf16_tflops",
                  gpu->bf16_tflops, "fp8_tflops", gpu->fp8_tflops, "source", gpu->source);
    char version[24];
    snprintf(version, sizeof version, "%d.%d.%d", p->vllm_version / 10000,
             p->vllm_version / 100 % 100, p->vllm_version % 100);
    json_t *settings =
        json_pack("{s:i, s:i, s:i, s:s, s:s, s:s, s:I, s:f, s:i, s:i, s:i, s:s}",
                  "tensor_parallel_size", p->tp, "pipeline_parallel_size", p->pp,
                  "data_parallel_size", p->dp, "dtype", lp_dtype_name(p->dtype), "quantization",
                  p->quant.method == LP_QUANT_NONE ? "none" : p->quant.vllm_name, "kv_cache_dtype",
                  lp_dtype_name(p->kv_cache_dtype), "max_model_len", (json_int_t)p->max_model_len,
                  "gpu_memory_utilization", p->gpu_memory_utilization, "max_num_seqs",
                  p->max_num_seqs, "max_num_batched_tokens", p->max_num_batched_tokens,
                  "block_size", p->block_size, "vllm_version", version);

    json_t *sugg = json_array();
    for (int i = 0; i < p->n_suggestions; i++) {
        const lp_mem_suggestion *s = &p->suggestions[i];
        json_array_append_new(sugg,
                              json_pack("{s:s, s:b, s:I, s:f, s:I}", "change", s->change, "fits",
                                        s->fits, "kv_tokens", (json_int_t)s->kv_tokens,
                                        "max_concurrency", s->max_concurrency, "max_model_len_fit",
                                        (json_int_t)s->max_model_len_fit));
    }
    json_t *root = json_pack(
        "{s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:f, s:I, s:I, s:b, s:f, s:o, s:o}", "model",
        model_json(m, p), "gpu", gpu_j, "settings", settings, "memory", memory, "kv_blocks",
        (json_int_t)p->kv_blocks, "blocks_per_request", (json_int_t)p->blocks_per_request,
        "kv_tokens", (json_int_t)p->kv_tokens, "max_concurrency", p->max_concurrency,
        "max_model_len", (json_int_t)p->max_model_len, "max_model_len_fit",
        (json_int_t)p->max_model_len_fit, "fits", p->fits, "shortfall_gib",
        p->fits ? 0.0 : p->shortfall_bytes / GIB, "suggestions", sugg, "assumptions",
        notes_array((const char(*)[192])p->notes, p->n_notes));
    if (!root)
        return NULL;
    json_object_set_new(root, "vllm_error", p->fits ? json_null() : json_string(p->vllm_error));
    json_object_set_new(root, "warmup_fails", json_boolean(p->warmup_fails));
    json_object_set_new(root, "failure", json_string(lp_mem_failure_name(p->failure)));
    json_object_set_new(root, "modes", lp_render_plan_modes(p));
    return root;
}

lp_status lp_render_plan_json(FILE *out, const lp_model *m, const lp_gpu *gpu,
                              const lp_mem_plan *p) {
    json_t *root = lp_render_plan_object(m, gpu, p);
    if (!root)
        return LP_ERR_NOMEM;
    int rc = lp_json_write(out, root, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    fputc('\n', out);
    json_decref(root);
    return rc == 0 && !ferror(out) ? LP_OK : LP_ERR_IO;
}
