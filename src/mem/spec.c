/*
 * spec.c - speculative decoding as the memory plan and the step model see it: the
 * `--speculative-config` JSON as vLLM spells it (vllm/config/speculative.py SpeculativeConfig),
 * the acceptance rate each method is assumed to reach, the drafter as a model (an EAGLE head,
 * the checkpoint's MTP layers, or a separate draft model) and what it adds to one GPU: its
 * weights and its attention layers in the KV cache.
 *
 * vLLM V1 loads the drafter beside the target (vllm/v1/spec_decode/eagle.py
 * EagleProposer.load_model; draft_model and MTP go through the same proposer): EAGLE-1 and MTP
 * heads share the target's embedding and lm_head, an EAGLE-3 head brings its own lm_head over a
 * reduced draft vocabulary; the drafter's attention layers are registered with the model
 * runner, so they join the KV-cache groups and every block holds them too
 * (docs/vllm_internals.md (e) "Speculative decoding").
 * It does not model medusa, mlp_speculator, suffix decoding or token trees.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mem/mem_internal.h"

/*
 * Per-token acceptance rates assumed when --acceptance-rate is not given. The mean acceptance
 * length of k drafted tokens accepted independently with probability a is
 * (1 - a^(k+1)) / (1 - a) (Leviathan et al. 2023, arXiv 2211.17192, eq. 1).
 * - EAGLE-1 0.61 and EAGLE-3 0.75: least-squares fits of that formula to the acceptance
 *   lengths vLLM measured for EAGLE-1 (yuhuili/EAGLE-LLaMA3.1-Instruct-8B) and EAGLE-3
 *   (yuhuili/EAGLE3-LLaMA3.1-Instruct-8B) heads at k = 2..7 on Llama-3.1-8B-Instruct
 *   (vllm-project/vllm issue #20780; ../shared/validation/serving_modes.tsv fit rows 68-73 and
 *   74-79). Checked on the holdout rows 81-84 of the same file (vllm PR #16937).
 * - MTP 0.85: DeepSeek-V3 technical report (arXiv 2412.19437, section 5.4.3): "the acceptance
 *   rate of the second token prediction ranges between 85% and 90%"; the lower end.
 * - n-gram 0.5 and draft model 0.6: no published per-token rate that transfers across data;
 *   prompt lookup accepts much more on copy-heavy tasks (summarization, code edits), and
 *   Leviathan et al. report 0.5-0.9 for their draft/target pairs. Assumptions, said in every
 *   estimate; give --acceptance-rate from vLLM's own spec-decoding metrics when known.
 */
#define LP_ACCEPT_EAGLE 0.61
#define LP_ACCEPT_EAGLE3 0.75
#define LP_ACCEPT_MTP 0.85
#define LP_ACCEPT_NGRAM 0.5
#define LP_ACCEPT_DRAFT_MODEL 0.6
/* EAGLE-3 heads predict over a reduced vocabulary (draft_vocab_size 32000 in the config of
 * yuhuili/EAGLE3-LLaMA3.1-Instruct-8B), mapped back to the target's by a d2t table. */
#define LP_EAGLE3_DRAFT_VOCAB 32000
/* Largest num_speculative_tokens accepted (vLLM has no limit; beyond this nothing is gained). */
#define LP_SPEC_MAX_TOKENS 64

const char *lp_spec_method_name(lp_spec_method method) {
    switch (method) {
    case LP_SPEC_NONE:
        return "none";
    case LP_SPEC_NGRAM:
        return "ngram";
    case LP_SPEC_EAGLE:
        return "eagle";
    case LP_SPEC_EAGLE3:
        return "eagle3";
    case LP_SPEC_MTP:
        return "mtp";
    case LP_SPEC_DRAFT_MODEL:
        return "draft_model";
    }
    return "unknown";
}

/* vLLM's method names (SpeculativeMethod, EagleModelTypes and the MTP model types). */
static bool method_from_name(const char *name, lp_spec_method *out) {
    static const struct {
        const char *name;
        lp_spec_method method;
    } NAMES[] = {
        {"ngram", LP_SPEC_NGRAM},
        {"ngram_gpu", LP_SPEC_NGRAM},
        {"eagle", LP_SPEC_EAGLE},
        {"eagle3", LP_SPEC_EAGLE3},
        {"mtp", LP_SPEC_MTP},
        {"deepseek_mtp", LP_SPEC_MTP},
        {"qwen3_next_mtp", LP_SPEC_MTP},
        {"glm4_moe_mtp", LP_SPEC_MTP},
        {"mimo_mtp", LP_SPEC_MTP},
        {"ernie_mtp", LP_SPEC_MTP},
        {"longcat_flash_mtp", LP_SPEC_MTP},
        {"draft_model", LP_SPEC_DRAFT_MODEL},
    };
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
        if (strcasecmp(name, NAMES[i].name) == 0) {
            *out = NAMES[i].method;
            return true;
        }
    return false;
}

static lp_status get_int(json_t *o, const char *key, int lo, int hi, int *out, lp_error *err) {
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return LP_OK;
    double d = json_is_integer(v) ? (double)json_integer_value(v)
               : json_is_real(v)  ? json_real_value(v)
                                  : NAN;
    if (!(d == floor(d) && d >= lo && d <= hi))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--speculative-config: %s: expected an integer between %d and %d", key,
                            lo, hi);
    *out = (int)d;
    return LP_OK;
}

lp_status lp_spec_config_parse(const char *text, size_t len, lp_spec_config *out, lp_error *err) {
    static const char *const KNOWN[] = {"method",
                                        "model",
                                        "num_speculative_tokens",
                                        "draft_tensor_parallel_size",
                                        "prompt_lookup_max",
                                        "prompt_lookup_min",
                                        "disable_by_batch_size",
                                        "quantization",
                                        "revision",
                                        "max_model_len",
                                        NULL};
    json_error_t jerr;
    json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!o || !json_is_object(o)) {
        json_decref(o);
        return lp_error_set(err, LP_ERR_PARSE,
                            "--speculative-config: expected a JSON object such as "
                            "'{\"method\": \"eagle3\", \"model\": \"...\", "
                            "\"num_speculative_tokens\": 3}'");
    }
    lp_spec_config c = *out;
    c.method = LP_SPEC_NONE;
    c.num_speculative_tokens = 0;
    c.model[0] = '\0';
    c.draft_tensor_parallel_size = c.prompt_lookup_max = c.prompt_lookup_min = 0;
    c.disable_by_batch_size = 0;
    lp_status st = LP_OK;
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        size_t k = 0;
        while (KNOWN[k] && strcmp(KNOWN[k], key) != 0)
            k++;
        if (!KNOWN[k]) {
            st = lp_error_set(err, LP_ERR_INVALID_ARG,
                              "--speculative-config: unknown key \"%s\" (llmplan reads method, "
                              "model, num_speculative_tokens, draft_tensor_parallel_size, "
                              "prompt_lookup_max, prompt_lookup_min, disable_by_batch_size)",
                              key);
            break;
        }
    }
    json_t *model = json_object_get(o, "model");
    if (st == LP_OK && model && !json_is_null(model)) {
        if (!json_is_string(model) || json_string_length(model) == 0 ||
            json_string_length(model) >= sizeof c.model)
            st = lp_error_set(err, LP_ERR_INVALID_ARG,
                              "--speculative-config: model: expected a model id of at most %zu "
                              "characters",
                              sizeof c.model - 1);
        else
            snprintf(c.model, sizeof c.model, "%s", json_string_value(model));
    }
    json_t *method = json_object_get(o, "method");
    if (st == LP_OK && method && !json_is_null(method)) {
        if (!json_is_string(method))
            st = lp_error_set(err, LP_ERR_INVALID_ARG,
                              "--speculative-config: method: expected a string");
        else if (!method_from_name(json_string_value(method), &c.method))
            st = lp_error_set(err, LP_ERR_INVALID_ARG,
                              "--speculative-config: method \"%.64s\" is not modelled (llmplan "
                              "models ngram, eagle, eagle3, mtp and draft_model)",
                              json_string_value(method));
    } else if (st == LP_OK && c.model[0]) {
        /* SpeculativeConfig.__post_init__: the method follows from the draft's name */
        char lower[LP_SPEC_MODEL_SIZE];
        size_t i = 0;
        for (; c.model[i] && i + 1 < sizeof lower; i++)
            lower[i] =
                (char)(c.model[i] >= 'A' && c.model[i] <= 'Z' ? c.model[i] + 32 : c.model[i]);
        lower[i] = '\0';
        c.method = strstr(lower, "eagle3")  ? LP_SPEC_EAGLE3
                   : strstr(lower, "eagle") ? LP_SPEC_EAGLE
                                            : LP_SPEC_DRAFT_MODEL;
    } else if (st == LP_OK) {
        st = lp_error_set(err, LP_ERR_INVALID_ARG,
                          "--speculative-config: give \"method\" (ngram, eagle, eagle3, mtp, "
                          "draft_model) or a draft \"model\"");
    }
    if (st == LP_OK)
        st = get_int(o, "num_speculative_tokens", 1, LP_SPEC_MAX_TOKENS, &c.num_speculative_tokens,
                     err);
    if (st == LP_OK)
        st = get_int(o, "draft_tensor_parallel_size", 1, 1024, &c.draft_tensor_parallel_size, err);
    if (st == LP_OK)
        st = get_int(o, "prompt_lookup_max", 1, 1024, &c.prompt_lookup_max, err);
    if (st == LP_OK)
        st = get_int(o, "prompt_lookup_min", 1, 1024, &c.prompt_lookup_min, err);
    if (st == LP_OK)
        st = get_int(o, "disable_by_batch_size", 1, 1 << 20, &c.disable_by_batch_size, err);
    if (st == LP_OK && c.num_speculative_tokens == 0 && c.method != LP_SPEC_MTP)
        st = lp_error_set(err, LP_ERR_INVALID_ARG,
                          "--speculative-config: num_speculative_tokens is required for %s",
                          lp_spec_method_name(c.method));
    if (st == LP_OK &&
        (c.method == LP_SPEC_EAGLE || c.method == LP_SPEC_EAGLE3 ||
         c.method == LP_SPEC_DRAFT_MODEL) &&
        !c.model[0])
        st = lp_error_set(err, LP_ERR_INVALID_ARG,
                          "--speculative-config: method %s needs the draft \"model\"",
                          lp_spec_method_name(c.method));
    json_decref(o);
    if (st == LP_OK)
        *out = c;
    return st;
}

bool lp_spec_config_json(const lp_spec_config *c, char *buf, size_t size) {
    if (c->method == LP_SPEC_NONE)
        return false;
    json_t *o = json_object();
    if (!o)
        return false;
    json_object_set_new(o, "method", json_string(lp_spec_method_name(c->method)));
    if (c->model[0])
        json_object_set_new(o, "model", json_string(c->model));
    if (c->num_speculative_tokens > 0)
        json_object_set_new(o, "num_speculative_tokens", json_integer(c->num_speculative_tokens));
    if (c->draft_tensor_parallel_size > 0)
        json_object_set_new(o, "draft_tensor_parallel_size",
                            json_integer(c->draft_tensor_parallel_size));
    if (c->prompt_lookup_max > 0)
        json_object_set_new(o, "prompt_lookup_max", json_integer(c->prompt_lookup_max));
    if (c->prompt_lookup_min > 0)
        json_object_set_new(o, "prompt_lookup_min", json_integer(c->prompt_lookup_min));
    if (c->disable_by_batch_size > 0)
        json_object_set_new(o, "disable_by_batch_size", json_integer(c->disable_by_batch_size));
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    bool ok = text && strlen(text) < size;
    if (ok)
        snprintf(buf, size, "%s", text);
    free(text);
    return ok;
}

double lp_spec_acceptance_length(double a, int k) {
    if (k <= 0)
        return 1.0;
    if (!(a < 1.0))
        return (double)k + 1.0;
    if (!(a > 0.0))
        return 1.0;
    return (1.0 - pow(a, (double)k + 1.0)) / (1.0 - a);
}

/* A dense one-layer head over the target's widths (EAGLE-1, EAGLE-3). */
static void eagle_head(const lp_model *t, lp_model *d, bool eagle3) {
    *d = *t;
    d->num_layers = 1;
    d->layer_attn[0] = t->use_mla ? LP_ATTN_MLA : LP_ATTN_FULL;
    d->layer_moe[0] = 0;
    d->layer_no_mlp[0] = 0;
    d->num_experts = d->experts_per_tok = d->num_shared_experts = 0;
    d->moe_intermediate_size = d->shared_expert_intermediate_size = 0;
    if (d->intermediate_size <= 0)
        d->intermediate_size =
            t->moe_intermediate_size * (t->experts_per_tok > 0 ? t->experts_per_tok : 1);
    d->sliding_window = d->attention_chunk_size = 0;
    d->mixer = LP_MIXER_NONE;
    d->num_mtp_layers = 0;
    d->params_vision = 0;
    d->quant.method = LP_QUANT_NONE; /* heads are published in bf16 */
    memset(d->quant.keep, 0, sizeof d->quant.keep);
    if (eagle3) {
        d->vocab_size = LP_EAGLE3_DRAFT_VOCAB;
        d->tie_word_embeddings = false;
    }
    lp_model_count_params(d);
}

lp_status lp_spec_plan_resolve(const lp_model *target, const lp_serving *s, lp_spec_plan *out,
                               lp_error *err) {
    memset(out, 0, sizeof *out);
    const lp_spec_config *c = &s->speculative;
    out->method = c->method;
    if (c->method == LP_SPEC_NONE)
        return LP_OK;
    if (!(c->acceptance_rate >= 0.0 && c->acceptance_rate <= 1.0))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--acceptance-rate must be between 0 and 1, got %g",
                            c->acceptance_rate);
    int tp = s->tensor_parallel_size > 0 ? s->tensor_parallel_size : 1;
    if (s->pipeline_parallel_size > 1)
        return lp_error_set(err, LP_ERR_UNSUPPORTED,
                            "speculative decoding with pipeline parallelism is not modelled "
                            "(vLLM V1 supports it only for some methods); use -pp 1");
    out->k = c->num_speculative_tokens;
    out->draft_tp = c->draft_tensor_parallel_size > 0 ? c->draft_tensor_parallel_size : tp;
    if (out->draft_tp != tp && out->draft_tp != 1)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--speculative-config: draft_tensor_parallel_size %d: vLLM allows "
                            "only 1 or the target's tensor parallel size (%d)",
                            out->draft_tp, tp);
    double def = 0;
    const char *why = "";
    switch (c->method) {
    case LP_SPEC_NGRAM:
        def = LP_ACCEPT_NGRAM;
        why = "n-gram default 0.5 assumed (no published rate; copy-heavy tasks accept more)";
        out->draft.num_layers = 0;
        break;
    case LP_SPEC_EAGLE:
    case LP_SPEC_EAGLE3: {
        bool e3 = c->method == LP_SPEC_EAGLE3;
        def = e3 ? LP_ACCEPT_EAGLE3 : LP_ACCEPT_EAGLE;
        why = e3 ? "EAGLE-3 default 0.75 (fitted to vLLM's measured acceptance lengths, Llama-3.1-"
                   "8B, issue #20780)"
                 : "EAGLE-1 default 0.61 (fitted to vLLM's measured acceptance lengths, Llama-3.1-"
                   "8B, issue #20780)";
        eagle_head(target, &out->draft, e3);
        out->shares_lm_head = !e3;
        /* the fc fusing 2 (EAGLE-1) or 3 (EAGLE-3) hidden states; EAGLE-3's qkv also reads the
         * embedding beside the fused state (input 2 x hidden) */
        double h = (double)target->hidden_size;
        out->extra_params = (e3 ? 3.0 : 2.0) * h * h;
        if (e3)
            out->extra_params += h * (double)(target->num_heads * target->head_dim +
                                              2 * target->num_kv_heads * target->head_dim);
        break;
    }
    case LP_SPEC_MTP:
        def = LP_ACCEPT_MTP;
        why = "MTP default 0.85 (DeepSeek-V3 report: 85-90 % of second tokens accepted)";
        if (target->num_mtp_layers <= 0)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "--speculative-config: method mtp: %s has no MTP layers "
                                "(num_nextn_predict_layers); use eagle, eagle3, ngram or a "
                                "draft_model",
                                target->id);
        if (out->k == 0)
            out->k = (int)target->num_mtp_layers;
        out->draft = *target;
        out->draft.num_layers = target->num_mtp_layers;
        for (int64_t i = 0; i < out->draft.num_layers && i < LP_MAX_LAYERS; i++) {
            int64_t last = target->num_layers - 1;
            out->draft.layer_attn[i] = target->layer_attn[last] == LP_ATTN_MAMBA
                                           ? (target->use_mla ? LP_ATTN_MLA : LP_ATTN_FULL)
                                           : target->layer_attn[last];
            out->draft.layer_moe[i] = target->layer_moe[last];
            out->draft.layer_no_mlp[i] = 0;
            out->draft.quant.keep[i] = target->quant.keep[last];
        }
        out->draft.params_vision = 0;
        lp_model_count_params(&out->draft);
        out->shares_lm_head = true;
        /* eh_proj fuses the embedding and the hidden state (2 x hidden -> hidden) per layer */
        out->extra_params = 2.0 * (double)target->hidden_size * (double)target->hidden_size *
                            (double)target->num_mtp_layers;
        break;
    case LP_SPEC_DRAFT_MODEL:
        def = LP_ACCEPT_DRAFT_MODEL;
        why = "draft-model default 0.6 assumed (0.5-0.9 published for draft/target pairs)";
        if (!c->draft)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "--speculative-config: draft model \"%s\" was not loaded; give "
                                "a catalog id, config.json or model directory",
                                c->model);
        if (c->draft->vocab_size != target->vocab_size)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "--speculative-config: draft model %s has a vocabulary of %lld "
                                "tokens, the target %lld; vLLM needs the same vocabulary",
                                c->draft->id, (long long)c->draft->vocab_size,
                                (long long)target->vocab_size);
        out->draft = *c->draft;
        break;
    case LP_SPEC_NONE:
        break;
    }
    if (out->k <= 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--speculative-config: num_speculative_tokens must be at least 1");
    if (c->acceptance_rate > 0.0) {
        out->acceptance_rate = c->acceptance_rate;
        snprintf(out->acceptance_source, sizeof out->acceptance_source,
                 "%.2f given (--acceptance-rate)", c->acceptance_rate);
    } else {
        out->acceptance_rate = def;
        snprintf(out->acceptance_source, sizeof out->acceptance_source, "%s", why);
    }
    out->mean_acceptance_length = lp_spec_acceptance_length(out->acceptance_rate, out->k);
    return LP_OK;
}

/* Weights of the drafter on one GPU of the last stage: its layers (sharded over draft_tp) and
 * its own lm_head, in its own precision, plus the fusing projections (replicated). */
static double draft_weights(const lp_mem_ctx *c, const lp_spec_plan *p) {
    if (p->draft.num_layers <= 0)
        return 0.0;
    lp_mem_ctx d = *c;
    d.m = &p->draft;
    d.tp = p->draft_tp;
    d.pp = 1;
    d.cpu_offload_bytes = 0.0;
    d.plan = NULL;
    if (p->method != LP_SPEC_MTP)
        d.quant = p->draft.quant; /* EAGLE heads and draft models keep their own precision */
    double bytes = lp_mem_weights_rank(&d, 0);
    const double dtype_b = lp_dtype_bytes(c->dtype);
    double vocab_rows = ceil((double)p->draft.vocab_size / 64.0) * 64.0 / d.tp;
    double table = vocab_rows * (double)p->draft.hidden_size * dtype_b;
    if (p->method != LP_SPEC_DRAFT_MODEL) {
        /* heads share the target's input embedding; EAGLE-1 and MTP its lm_head too */
        bytes -= table;
        if (p->shares_lm_head && !p->draft.tie_word_embeddings)
            bytes -= table;
    }
    bytes += p->extra_params * dtype_b;
    return bytes > 0.0 ? bytes : 0.0;
}

/* The drafter's attention layers as layers of the target's page size (draft models with other
 * widths are counted by their bytes per token). */
static int64_t draft_kv_layers(const lp_mem_ctx *c, const lp_spec_plan *p, int *kind) {
    const lp_model *t = c->m, *d = &p->draft;
    *kind = t->use_mla ? LP_ATTN_MLA : LP_ATTN_FULL;
    int64_t n = 0;
    double bytes = 0.0;
    for (int64_t i = 0; i < d->num_layers && i < LP_MAX_LAYERS; i++) {
        if (d->layer_attn[i] == LP_ATTN_MAMBA || d->layer_attn[i] == LP_ATTN_NONE)
            continue;
        n++;
        bytes += lp_model_kv_bytes_per_token_layer(d, i, c->kv_dtype);
    }
    if (n == 0 || p->method != LP_SPEC_DRAFT_MODEL)
        return n;
    double per_layer = 0.0;
    for (int64_t i = 0; i < t->num_layers && i < LP_MAX_LAYERS && per_layer <= 0.0; i++)
        if (t->layer_attn[i] != LP_ATTN_MAMBA && t->layer_attn[i] != LP_ATTN_NONE)
            per_layer = lp_model_kv_bytes_per_token_layer(t, i, c->kv_dtype);
    return per_layer > 0.0 ? (int64_t)ceil(bytes / per_layer) : n;
}

lp_status lp_mem_resolve_spec(lp_mem_ctx *c, const lp_serving *s, lp_error *err) {
    c->spec_weights_bytes = 0.0;
    c->spec_kv_layers = 0;
    c->spec_method = s->speculative.method;
    if (s->speculative.method == LP_SPEC_NONE)
        return LP_OK;
    static _Thread_local lp_spec_plan p; /* holds a model (several KB) */
    lp_status st = lp_spec_plan_resolve(c->m, s, &p, err);
    if (st != LP_OK)
        return st;
    c->spec_weights_bytes = draft_weights(c, &p);
    c->spec_kv_layers = draft_kv_layers(c, &p, &c->spec_kv_kind);
    c->spec_k = p.k;
    lp_mem_note(c,
                "speculative decoding (%s, %d tokens): drafter weights %.2f GiB per GPU of the "
                "last stage, %lld drafter attention layer%s in every KV block",
                lp_spec_method_name(p.method), p.k, c->spec_weights_bytes / LP_GIB,
                (long long)c->spec_kv_layers, c->spec_kv_layers == 1 ? "" : "s");
    return LP_OK;
}

double lp_mem_spec_weights_rank(const lp_mem_ctx *c, int pp_rank) {
    return pp_rank == c->pp - 1 ? c->spec_weights_bytes : 0.0;
}
