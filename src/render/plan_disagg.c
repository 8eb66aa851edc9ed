/*
 * plan_disagg.c - a plan result as `llmplan plan` prints it: one server through plan_text.c /
 * plan_json.c, or a disaggregated deployment with its prefill and decode roles side by side
 * (text) or one object per role (JSON). Formatting only; the plans come from
 * lp_mem_disagg_plan_compute.
 */
#include <stddef.h>
#include <stdio.h>

#include "common/json_write.h"
#include "render/json_objects.h"
#include <jansson.h>

#include "llmplan/render.h"

#define GIB 1073741824.0

static json_t *role_object(const char *role, int instances, const lp_model *m, const lp_gpu *gpu,
                           const lp_mem_plan *p) {
    json_t *o = lp_render_plan_object(m, gpu, p);
    if (!o)
        return NULL;
    json_object_set_new(o, "role", json_string(role));
    json_object_set_new(o, "instances", json_integer(instances));
    json_object_set_new(o, "gpus_per_instance", json_integer(p->num_gpus));
    return o;
}

/* A range and the evidence behind it, as an estimate's "ranges" give it; null without one. */
static json_t *range_json(lp_range v, const lp_band_info *b) {
    if (!b->found || (v.lo == 0 && v.hi == 0))
        return json_null();
    return json_pack("{s:f, s:f, s:f, s:s, s:i, s:i, s:o}", "lo", v.lo, "hi", v.hi, "coverage",
                     b->coverage, "class", b->cls, "rows", b->rows, "groups", b->groups,
                     "fallback_from", b->level > 0 ? json_string(b->own) : json_null());
}

/* One server: the plan, and the error band of its KV capacity under "ranges". */
static lp_status plan_json(FILE *out, const lp_plan_result *r) {
    json_t *root = lp_render_plan_object(r->model, r->gpu, &r->plan);
    if (!root)
        return LP_ERR_NOMEM;
    json_object_set_new(root, "ranges",
                        json_pack("{s:o, s:o}", "kv_tokens",
                                  range_json(r->kv_tokens_range, &r->kv_band), "max_concurrency",
                                  range_json(r->max_concurrency_range, &r->kv_band)));
    int rc = lp_json_write(out, root, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    fputc('\n', out);
    json_decref(root);
    return rc == 0 && !ferror(out) ? LP_OK : LP_ERR_IO;
}

lp_status lp_render_plan_result_json(FILE *out, const lp_plan_result *r) {
    if (!r->disaggregated)
        return plan_json(out, r);
    const lp_mem_disagg_plan *d = &r->disagg;
    char shape[32];
    snprintf(shape, sizeof shape, "%dP%dD", d->prefill_instances, d->decode_instances);
    json_t *roles = json_array();
    json_array_append_new(
        roles, role_object("prefill", d->prefill_instances, r->model, d->prefill_gpu, &d->prefill));
    json_array_append_new(
        roles, role_object("decode", d->decode_instances, r->model, d->decode_gpu, &d->decode));
    json_t *root = json_pack(
        "{s:{s:s, s:i, s:i, s:s, s:s}, s:i, s:b, s:I, s:f, s:I, s:o}", "disaggregation", "shape",
        shape, "prefill_instances", d->prefill_instances, "decode_instances", d->decode_instances,
        "kv_connector", lp_kv_connector_name(d->kv_connector), "kv_connector_vllm",
        lp_kv_connector_vllm_name(d->kv_connector), "num_gpus", d->num_gpus, "fits", d->fits,
        "kv_tokens", (json_int_t)d->kv_tokens, "max_concurrency", d->max_concurrency,
        "max_model_len", (json_int_t)d->decode.max_model_len, "roles", roles);
    if (!root)
        return LP_ERR_NOMEM;
    int rc = lp_json_write(out, root, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    fputc('\n', out);
    json_decref(root);
    return rc == 0 && !ferror(out) ? LP_OK : LP_ERR_IO;
}

/* One row of the side-by-side table: a label and each role's value. */
static void row_gib(FILE *o, const char *label, const lp_mem_plan *p, const lp_mem_plan *dp,
                    size_t offset) {
    const double *a = (const double *)((const char *)&p->ranks[p->binding_rank] + offset);
    const double *b = (const double *)((const char *)&dp->ranks[dp->binding_rank] + offset);
    fprintf(o, "  %-28s %18.2f %18.2f\n", label, *a / GIB, *b / GIB);
}

static void role_failure(FILE *o, const char *role, const lp_mem_plan *p) {
    char a[32];
    if (p->fits)
        return;
    fprintf(o, "\n%s pool DOES NOT %s: %.2f GiB per GPU short of one request of %s tokens\n", role,
            p->warmup_fails ? "START" : "FIT", p->shortfall_bytes / GIB,
            lp_render_int(a, sizeof a, (long long)p->max_model_len));
    fprintf(o, "          vLLM would stop with:\n          %s\n", p->vllm_error);
    for (int i = 0; i < p->n_suggestions; i++)
        fprintf(o, "  change %-46s fits %s, max concurrency %.2f\n", p->suggestions[i].change,
                p->suggestions[i].fits ? "yes" : "no", p->suggestions[i].max_concurrency);
}

lp_status lp_render_plan_result_text(FILE *o, const lp_plan_result *r) {
    if (!r->disaggregated)
        return lp_render_plan_text(o, r->model, r->gpu, &r->plan);
    const lp_mem_disagg_plan *d = &r->disagg;
    const lp_mem_plan *p = &d->prefill, *q = &d->decode;
    const lp_model *m = r->model;
    char a[32], b[32];
    fprintf(o, "Model     %s  (%s)\n", m->id, m->source);
    fprintf(o, "Disaggregated prefill/decode %dP%dD over %s, %d GPUs in all\n",
            d->prefill_instances, d->decode_instances, lp_kv_connector_vllm_name(d->kv_connector),
            d->num_gpus);
    fprintf(o, "\n  %-28s %18s %18s\n", "", "prefill", "decode");
    fprintf(o, "  %-28s %18.18s %18.18s\n", "GPU", d->prefill_gpu->name, d->decode_gpu->name);
    snprintf(a, sizeof a, "%d x %d", d->prefill_instances, p->num_gpus);
    snprintf(b, sizeof b, "%d x %d", d->decode_instances, q->num_gpus);
    fprintf(o, "  %-28s %18s %18s\n", "instances x GPUs each", a, b);
    fprintf(o, "  %-28s %12d / %3d %12d / %3d\n", "-tp / -pp", p->tp, p->pp, q->tp, q->pp);
    fprintf(o, "  %-28s %18s %18s\n", "--kv-cache-dtype", lp_dtype_name(p->kv_cache_dtype),
            lp_dtype_name(q->kv_cache_dtype));
    fprintf(o, "  %-28s %18d %18d\n", "--max-num-seqs", p->max_num_seqs, q->max_num_seqs);
    fprintf(o, "  %-28s %18d %18d\n", "--max-num-batched-tokens", p->max_num_batched_tokens,
            q->max_num_batched_tokens);
    fprintf(o, "  Memory per GPU (GiB)\n");
    row_gib(o, "  total", p, q, offsetof(lp_mem_rank, total_bytes));
    row_gib(o, "  budget (x utilization)", p, q, offsetof(lp_mem_rank, budget_bytes));
    row_gib(o, "  - weights", p, q, offsetof(lp_mem_rank, weights_bytes));
    row_gib(o, "  - activation peak", p, q, offsetof(lp_mem_rank, activation_bytes));
    row_gib(o, "  - non-torch", p, q, offsetof(lp_mem_rank, non_torch_bytes));
    row_gib(o, "  - CUDA graphs", p, q, offsetof(lp_mem_rank, cuda_graph_bytes));
    row_gib(o, "  = KV cache", p, q, offsetof(lp_mem_rank, kv_cache_bytes));
    fprintf(o, "  %-28s %18s %18s\n", "KV tokens per instance",
            lp_render_int(a, sizeof a, (long long)p->kv_tokens),
            lp_render_int(b, sizeof b, (long long)q->kv_tokens));
    fprintf(o, "  %-28s %18.2f %18.2f\n", "max concurrency per inst.", p->max_concurrency,
            q->max_concurrency);
    fprintf(o, "  %-28s %18s %18s\n", "fits", p->fits ? "yes" : "NO", q->fits ? "yes" : "NO");
    if (d->fits)
        fprintf(o,
                "\nVerdict   FITS: the decode pool holds %s KV tokens, room for %.1f requests of "
                "%s tokens\n",
                lp_render_int(a, sizeof a, (long long)d->kv_tokens), d->max_concurrency,
                lp_render_int(b, sizeof b, (long long)q->max_model_len));
    else
        fprintf(o, "\nVerdict   DOES NOT FIT: every role must fit\n");
    role_failure(o, "prefill", p);
    role_failure(o, "decode", q);
    fprintf(o, "\nAssumptions\n");
    for (int i = 0; i < m->n_notes; i++)
        fprintf(o, "  - %s\n", m->notes[i]);
    for (int i = 0; i < p->n_notes; i++)
        fprintf(o, "  - prefill: %s\n", p->notes[i]);
    for (int i = 0; i < q->n_notes; i++)
        fprintf(o, "  - decode: %s\n", q->notes[i]);
    return ferror(o) ? LP_ERR_IO : LP_OK;
}
