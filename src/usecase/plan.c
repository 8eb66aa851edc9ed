/*
 * plan.c - the plan use case: does a model fit on these GPUs under vLLM, with which flags, how
 * much KV cache and concurrency. It runs vLLM's start-up memory arithmetic with suggestions
 * (lp_mem_plan_with_suggestions) and, for `--gpu detect`, plans on what was found on this
 * machine: the tensor-parallel size over the detected GPUs, the memory other processes already
 * hold (vLLM's start-up check) and notes saying what was found. Detection itself is I/O and
 * happens before, at the edge; this file only computes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmplan/bands.h"
#include "llmplan/usecase.h"
#include "usecase/usecase_internal.h"

/* Default --gpu-memory-utilization (vLLM's EngineArgs). */
#define LP_DEFAULT_UTILIZATION 0.9

void lp_plan_request_init(lp_plan_request *r) {
    memset(r, 0, sizeof *r);
    lp_cluster_init(&r->cluster, NULL);
    lp_serving_init(&r->serving);
}

/* Note added to the plan (notes beyond LP_MAX_MEM_NOTES are dropped). */
static void add_note(lp_mem_plan *plan, const char *text) {
    if (plan->n_notes < LP_MAX_MEM_NOTES)
        snprintf(plan->notes[plan->n_notes++], sizeof plan->notes[0], "%s", text);
}

/* The KV capacity's error band (the compiled-in table, the class of the GPU's family), the
 * ranges it gives and a note saying it, or why there is none. */
static void kv_band(lp_plan_result *out) {
    const lp_mem_plan *p = &out->plan;
    lp_band_info *b = &out->kv_band;
    if (!(p->kv_tokens > 0))
        return;
    lp_band_info_of(lp_band_table_builtin(), LP_BAND_KV, LP_BAND_CENTER, LP_BAND_METHOD_PLAN,
                    lp_efficiency_for(out->gpu)->family, LP_BAND_ANY, b);
    char text[192];
    if (!b->found) {
        snprintf(text, sizeof text,
                 "band KV capacity: no published start-up log of its class (%s) to measure an "
                 "error band by; no range",
                 b->own);
        add_note(&out->plan, text);
        return;
    }
    out->kv_tokens_range = (lp_range){p->kv_tokens * b->lo, p->kv_tokens * b->hi};
    out->max_concurrency_range = (lp_range){p->max_concurrency * b->lo, p->max_concurrency * b->hi};
    snprintf(text, sizeof text,
             "band KV capacity x%.3f-%.3f: %.0f-%.0f tokens (logged / planned in %.0f %% of %d "
             "fit start-up logs, %d groups; class %s)",
             b->lo, b->hi, out->kv_tokens_range.lo, out->kv_tokens_range.hi, 100 * b->coverage,
             b->rows, b->groups, b->cls);
    add_note(&out->plan, text);
}

/* Detected GPUs without -tp/--num-gpus: tensor parallel over every one when the model allows
 * it (heads divisible by TP, ...), else the largest TP that divides the count, with the rest
 * as data-parallel replicas. */
static lp_status choose_parallelism(const lp_detect_result *det, const lp_model *model,
                                    const lp_gpu *gpu, lp_serving *s, lp_mem_plan *scratch,
                                    lp_error *err) {
    int units = s->pipeline_parallel_size * s->data_parallel_size;
    if (det->n_gpus % units != 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--gpu detect: %d GPUs detected is not a multiple of -pp x -dp = %d; "
                            "give -tp",
                            det->n_gpus, units);
    int per = det->n_gpus / units, chosen = 1;
    for (int tp = per; tp >= 1; tp--) {
        if (per % tp != 0)
            continue;
        lp_serving t = *s;
        t.tensor_parallel_size = tp;
        t.data_parallel_size = s->data_parallel_size * (per / tp);
        lp_error e;
        if (lp_mem_plan_compute(model, gpu, &t, scratch, &e) != LP_ERR_INVALID_ARG) {
            chosen = tp;
            break;
        }
    }
    s->tensor_parallel_size = chosen;
    s->data_parallel_size *= per / chosen;
    return LP_OK;
}

/* What --gpu detect found, as plan notes. */
static void detect_notes(const lp_detect_result *det, const lp_gpu *gpu, bool described, int n_used,
                         const char *used_note, lp_mem_plan *plan) {
    char text[192];
    snprintf(text, sizeof text, "--gpu detect: %d x %s (%s) found by %s; the plan uses %d",
             det->n_gpus, det->gpus[0].name, described ? "not in the GPU database" : gpu->name,
             lp_detect_source_name(det->source), n_used);
    add_note(plan, text);
    if (described) {
        snprintf(text, sizeof text,
                 "GPU described from detection: %.0f MiB total (%.2f GiB for torch), compute "
                 "capability %d.%d",
                 det->gpus[0].total_mib, gpu->usable_gib, det->gpus[0].cc_major,
                 det->gpus[0].cc_minor);
        add_note(plan, text);
    }
    bool known;
    bool nvlink = lp_detect_all_nvlink(det, n_used, &known);
    if (known) {
        snprintf(text, sizeof text, "the %d GPUs used are linked %s", n_used,
                 nvlink ? "pairwise by NVLink" : "partly over PCIe only (no NVLink between some)");
        add_note(plan, text);
    }
    if (used_note && *used_note)
        add_note(plan, used_note);
}

/* Suggestions to raise --gpu-memory-utilization are computed without the memory other
 * processes hold: drop those vLLM's start-up check would refuse on this machine, and say so. */
static void drop_refused_utilization(const lp_detect_result *det, lp_mem_plan *plan) {
    static const char prefix[] = "--gpu-memory-utilization ";
    int kept = 0;
    for (int i = 0; i < plan->n_suggestions; i++) {
        const lp_mem_suggestion *sg = &plan->suggestions[i];
        char *end;
        double util = 0;
        if (strncmp(sg->change, prefix, sizeof prefix - 1) == 0)
            util = strtod(sg->change + sizeof prefix - 1, &end);
        lp_error e;
        char unused[8];
        if (util > 0 && lp_detect_check_free(det, plan->num_gpus, util, unused, sizeof unused,
                                             &e) == LP_ERR_INFEASIBLE) {
            char text[192];
            snprintf(text, sizeof text,
                     "not suggested: %s (vLLM's start-up check would refuse it with the memory "
                     "other processes hold)",
                     sg->change);
            add_note(plan, text);
            continue;
        }
        plan->suggestions[kept++] = *sg;
    }
    plan->n_suggestions = kept;
}

bool lp_plan_result_fits(const lp_plan_result *r) {
    return r->disaggregated ? r->disagg.fits : r->plan.fits;
}

/* A disaggregated deployment: a plan per role, each pool on its own GPU type (the cluster's
 * when not given), and where each role's ranks sit. */
static lp_status plan_disaggregated(const lp_plan_request *req, lp_plan_result *out,
                                    lp_error *err) {
    if (req->detected)
        return lp_error_set(err, LP_ERR_UNSUPPORTED,
                            "--gpu detect plans one server on this machine; name the GPUs of a "
                            "disaggregated deployment (--gpu, --prefill-gpu, --decode-gpu)");
    const lp_cluster *c = &req->cluster;
    const lp_gpu *pg = c->prefill_gpu ? c->prefill_gpu : c->gpu;
    const lp_gpu *dg = c->decode_gpu ? c->decode_gpu : c->gpu;
    out->disaggregated = true;
    lp_mem_disagg_plan *d = &out->disagg;
    lp_status st = lp_mem_disagg_plan_compute(req->model, pg, dg, &out->serving,
                                              req->db ? req->db : lp_gpu_db_builtin(), d, err);
    if (st != LP_OK)
        return st;
    lp_mem_plan *roles[2] = {&d->prefill, &d->decode};
    const lp_gpu *gpus[2] = {pg, dg};
    for (int i = 0; i < 2; i++) {
        if (req->gpu_described && gpus[i] == c->gpu)
            lp_uc_note_described_gpu(roles[i], gpus[i]);
        lp_cluster rc = *c;
        rc.gpu = gpus[i];
        char placement[sizeof roles[i]->notes[0]];
        if (lp_topology_describe(&rc, roles[i]->tp, roles[i]->pp, placement, sizeof placement) > 0)
            add_note(roles[i], placement);
    }
    char text[192];
    snprintf(text, sizeof text,
             "the decode pool's KV cache decides concurrency: %d decode instance%s x %.2f = %.2f "
             "requests of %lld tokens; a prefill instance holds a request's KV only until "
             "%s hands it over",
             d->decode_instances, d->decode_instances == 1 ? "" : "s", d->decode.max_concurrency,
             d->max_concurrency, (long long)d->decode.max_model_len,
             lp_kv_connector_vllm_name(d->kv_connector));
    add_note(&d->decode, text);
    return LP_OK;
}

lp_status lp_plan(const lp_plan_request *req, lp_plan_result *out, lp_error *err) {
    memset(out, 0, sizeof *out);
    const lp_gpu *gpu = req->cluster.gpu;
    if (!req->model)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "plan: no model given");
    if (!gpu)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "plan: no GPU given");
    out->model = req->model;
    out->gpu = gpu;
    out->serving = req->serving;
    if (lp_disaggregated(&req->serving))
        return plan_disaggregated(req, out, err);
    lp_status st;
    const lp_detect_result *det = req->detected;
    char used_note[192] = "";
    if (det) {
        if (!req->parallel_given && (st = choose_parallelism(det, req->model, gpu, &out->serving,
                                                             &out->plan, err)) != LP_OK)
            return st;
        const lp_serving *s = &out->serving;
        double util =
            s->gpu_memory_utilization > 0 ? s->gpu_memory_utilization : LP_DEFAULT_UTILIZATION;
        int n_used = s->tensor_parallel_size * s->pipeline_parallel_size * s->data_parallel_size;
        if ((st = lp_detect_check_free(det, n_used, util, used_note, sizeof used_note, err)) !=
            LP_OK)
            return st;
    }
    st = lp_mem_plan_with_suggestions(req->model, gpu, &out->serving,
                                      req->db ? req->db : lp_gpu_db_builtin(), &out->plan, err);
    if (st != LP_OK)
        return st;
    /* a GPU described by detection is said by the detection notes */
    if (req->gpu_described && !det)
        lp_uc_note_described_gpu(&out->plan, gpu);
    if (det) {
        detect_notes(det, gpu, req->gpu_described, out->plan.num_gpus, used_note, &out->plan);
        drop_refused_utilization(det, &out->plan);
    }
    /* where the replica's ranks sit: what crossing nodes (or containers) costs */
    char placement[sizeof out->plan.notes[0]];
    if (lp_topology_describe(&req->cluster, out->plan.tp, out->plan.pp, placement,
                             sizeof placement) > 0)
        add_note(&out->plan, placement);
    kv_band(out);
    return LP_OK;
}
