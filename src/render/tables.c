/*
 * tables.c - `llmplan models` and `llmplan gpus`: the embedded catalog and the GPU database as
 * terminal tables or JSON arrays. Formatting only: the rows come parsed (lp_models_list).
 */
#include "common/json_write.h"
#include <jansson.h>
#include <string.h>

#include "llmplan/render.h"

/* The end of a list: with json its array written and freed (the text table is printed
 * already). */
static lp_status finish_list(FILE *out, json_t *arr, bool json) {
    if (json) {
        int rc = lp_json_write(out, arr, JSON_INDENT(2));
        fputc('\n', out);
        json_decref(arr);
        if (rc != 0)
            return LP_ERR_IO;
    }
    return ferror(out) ? LP_ERR_IO : LP_OK;
}

lp_status lp_render_catalog(FILE *out, const lp_catalog_row *rows, size_t n, bool json) {
    json_t *arr = json ? json_array() : NULL;
    if (!json)
        fprintf(out, "%-52s %10s %10s %6s %-12s %s\n", "MODEL", "PARAMS", "ACTIVE", "LAYERS",
                "TYPE", "QUANT");
    for (size_t i = 0; i < n; i++) {
        const lp_catalog_entry *e = rows[i].entry;
        const lp_model *mp = &rows[i].model;
        if (!rows[i].parsed) {
            if (!json)
                fprintf(out, "%-52s (config does not parse)\n", e->id);
            continue;
        }
        const lp_model m = *mp;
        const char *q =
            m.quant.method == LP_QUANT_NONE ? lp_dtype_name(m.dtype) : m.quant.vllm_name;
        if (json) {
            json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:I}", "id",
                                                 e->id, "model_type", m.model_type, "params_total",
                                                 (json_int_t)m.params_total, "params_active",
                                                 (json_int_t)m.params_active, "num_layers",
                                                 (json_int_t)m.num_layers, "quantization", q,
                                                 "source", e->source, "max_model_len",
                                                 (json_int_t)m.derived_max_model_len));
        } else {
            char a[32], b[32];
            fprintf(out, "%-52s %10s %10s %6lld %-12s %s\n", e->id,
                    lp_render_params(a, sizeof a, (long long)m.params_total),
                    lp_render_params(b, sizeof b, (long long)m.params_active),
                    (long long)m.num_layers, m.model_type, q);
        }
    }
    return finish_list(out, arr, json);
}

/* A tensor rate for the GPU listing: "-" when the part has none. */
static void fmt_rate(char *buf, size_t size, double tflops) {
    if (tflops > 0)
        snprintf(buf, size, "%.1f", tflops);
    else
        snprintf(buf, size, "-");
}

lp_status lp_render_gpus(FILE *out, const lp_gpu_db *db, bool json) {
    json_t *arr = json ? json_array() : NULL;
    if (!json)
        fprintf(out, "%-24s %-8s %8s %8s %12s %8s %8s %-15s %s\n", "GPU", "VENDOR", "MEM GiB",
                "BW GB/s", "16-BIT TF", "FP8 TF", "FP4 TF", "LINK", "CC");
    for (size_t i = 0; i < lp_gpu_db_count(db); i++) {
        const lp_gpu *g = lp_gpu_db_at(db, i);
        char cc[16];
        if (g->cc_major >= 0)
            snprintf(cc, sizeof cc, "%d.%d", g->cc_major, g->cc_minor);
        else
            snprintf(cc, sizeof cc, "%s", g->arch_tag);
        if (json) {
            json_array_append_new(
                arr, json_pack("{s:s, s:s, s:s, s:s, s:f, s:f, s:b, s:f, s:f, s:f, s:f, s:f, s:f, "
                               "s:f, s:s, s:f, s:f, s:s}",
                               "name", g->name, "aliases", g->aliases, "vendor", g->vendor,
                               "compute_capability", cc, "memory_gib", g->memory_gib, "usable_gib",
                               g->usable_gib, "usable_measured", g->usable_measured,
                               "bandwidth_gbs", g->bandwidth_gbs, "bf16_tflops", g->bf16_tflops,
                               "fp16_tflops", g->fp16_tflops, "fp8_tflops", g->fp8_tflops,
                               "int8_tops", g->int8_tops, "fp4_tflops", g->fp4_tflops, "tdp_w",
                               g->tdp_w, "link", lp_link_name(g->link), "link_gbs", g->link_gbs,
                               "pcie_gbs", g->pcie_gbs, "source", g->source));
        } else {
            /* the 16-bit rate vLLM runs at: BF16, or FP16 on parts without BF16 (T4, V100);
             * "-" where the part has no such tensor rate */
            char half[24], fp8[16], fp4[16];
            if (g->bf16_tflops > 0)
                snprintf(half, sizeof half, "%.1f", g->bf16_tflops);
            else if (g->fp16_tflops > 0)
                snprintf(half, sizeof half, "%.1f fp16", g->fp16_tflops);
            else
                snprintf(half, sizeof half, "-");
            fmt_rate(fp8, sizeof fp8, g->fp8_tflops);
            fmt_rate(fp4, sizeof fp4, g->fp4_tflops);
            fprintf(out, "%-24s %-8.*s %8.2f %8.0f %12s %8s %8s %-15s %s\n", g->name,
                    (int)strcspn(g->vendor, " ("), g->vendor, g->usable_gib, g->bandwidth_gbs, half,
                    fp8, fp4, lp_link_name(g->link), cc);
        }
    }
    return finish_list(out, arr, json);
}
