/*
 * resolve.c - turn (model, GPU, serving flags) into the concrete settings vLLM would run with:
 * dtype, weight quantization, KV dtype, parallel sizes, max-model-len, scheduler limits and
 * block size, rejecting what vLLM rejects with vLLM's own wording where it has one.
 *
 * Sources: vllm/config/model.py (_resolve_auto_dtype, verify_with_parallel_config,
 * _get_and_verify_max_len), vllm/platforms/cuda.py (check_if_supports_dtype, block sizes),
 * vllm/model_executor/layers/linear.py (QKVParallelLinear divisibility),
 * vllm/engine/arg_utils.py (batch defaults); docs/vllm_internals.md (b), (d), (g).
 * LoRA and speculative-decoding settings are resolved in lora.c and spec.c (called last).
 * It does not check host memory or Ray/multi-node topology.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mem/mem_internal.h"

/* Capability floors (major*10+minor) from the vLLM quantization docs table (reference (g)). */
#define LP_CC_AWQ 75       /* awq.py get_min_capability: "Turing or newer" */
#define LP_CC_FP8_W8A16 75 /* FP8 Marlin weight-only on Turing+ (docs v0.32) */
#define LP_CC_FP4_MARLIN 80
#define LP_CC_BNB 70
#define LP_CC_GPTQ 60
#define LP_CC_BF16 80 /* check_if_supports_dtype */
/* The V1 engine became the default in v0.8; V0 scheduler defaults before that. */
#define LP_VLLM_V1_DEFAULT LP_VLLM_VERSION(0, 8, 0)
#define LP_V0_CHUNKED_ABOVE 32768
#define LP_V0_CHUNKED_TOKENS 512
#define LP_V0_MAX_NUM_SEQS 256
/*
 * Largest device memory planned for, GiB. Real parts hold at most a few hundred GiB; the bound
 * only keeps bytes, KV blocks and token counts inside int64 whatever a GPU row or a detected GPU
 * says (fuzz/fuzz_detect.c found a 3.7e110 MiB nvidia-smi line reaching an undefined double ->
 * int64 conversion in plan.c). NaN is rejected by the same test.
 */
#define LP_MAX_DEVICE_GIB 1e7

typedef struct {
    const char *name;
    lp_quant_method method;
    int bits;
    int group_size;
    int min_cc;
    const char *alias_of; /* checkpoint method this flag accepts (marlin upgrades) */
} quant_flag;

static const quant_flag QUANT_FLAGS[] = {
    {"fp8", LP_QUANT_FP8, 8, 0, LP_CC_FP8_W8A16, NULL},
    {"awq", LP_QUANT_AWQ, 4, 128, LP_CC_AWQ, NULL},
    {"awq_marlin", LP_QUANT_AWQ, 4, 128, 80, "awq"},
    {"gptq", LP_QUANT_GPTQ, 4, 128, LP_CC_GPTQ, NULL},
    {"gptq_marlin", LP_QUANT_GPTQ, 4, 128, 80, "gptq"},
    {"bitsandbytes", LP_QUANT_BNB4, 4, 64, LP_CC_BNB, NULL},
    {"mxfp4", LP_QUANT_MXFP4, 4, 32, LP_CC_FP4_MARLIN, NULL},
    {"modelopt", LP_QUANT_FP8, 8, 0, LP_CC_FP8_W8A16, NULL},
    {"modelopt_fp4", LP_QUANT_NVFP4, 4, 16, LP_CC_FP4_MARLIN, NULL},
    {"mxfp8", LP_QUANT_MXFP8, 8, 32, LP_CC_FP8_W8A16, NULL},
    {"compressed-tensors", LP_QUANT_NONE, 0, 0, 70, NULL},
    {"experts_int8", LP_QUANT_INT8, 8, 0, 70, NULL},
};
#define N_QUANT_FLAGS (sizeof QUANT_FLAGS / sizeof QUANT_FLAGS[0])

static int gpu_cc(const lp_gpu *gpu) {
    return gpu->cc_major < 0 ? -1 : gpu->cc_major * 10 + gpu->cc_minor;
}

static const quant_flag *find_quant_flag(const char *name) {
    for (size_t i = 0; i < N_QUANT_FLAGS; i++)
        if (strcasecmp(QUANT_FLAGS[i].name, name) == 0)
            return &QUANT_FLAGS[i];
    return NULL;
}

static lp_status resolve_quant(const lp_mem_ctx *c, const lp_model *m, const char *flag,
                               lp_quant *out, lp_error *err) {
    *out = m->quant;
    if (!flag || !*flag || strcasecmp(flag, "none") == 0 || strcasecmp(flag, "auto") == 0) {
        if (flag && strcasecmp(flag, "none") == 0 && m->quant.method != LP_QUANT_NONE)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "--quantization none: the checkpoint is quantized with %s; its "
                                "weights cannot be loaded unquantized",
                                m->quant.vllm_name);
        return LP_OK;
    }
    const quant_flag *q = find_quant_flag(flag);
    if (!q) {
        char list[512] = "";
        for (size_t i = 0; i < N_QUANT_FLAGS; i++) {
            strncat(list, QUANT_FLAGS[i].name, sizeof list - strlen(list) - 1);
            if (i + 1 < N_QUANT_FLAGS)
                strncat(list, ", ", sizeof list - strlen(list) - 1);
        }
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--quantization: unknown method \"%s\"; llmplan sizes: %s", flag, list);
    }
    int cc = gpu_cc(c->gpu);
    if (cc >= 0 && cc < q->min_cc)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "The quantization method %s is not supported for the current GPU. "
                            "Minimum capability: %d. Current capability: %d.",
                            q->name, q->min_cc, cc);
    if (m->quant.method != LP_QUANT_NONE) {
        const char *ck = m->quant.vllm_name;
        bool same = strcasecmp(ck, q->name) == 0 ||
                    (q->alias_of && strcasecmp(ck, q->alias_of) == 0) ||
                    (strcmp(q->name, "compressed-tensors") == 0 &&
                     strcasecmp(ck, "compressed-tensors") == 0);
        if (!same)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "Quantization method specified in the model config (%s) does not "
                                "match the quantization method specified in the `quantization` "
                                "argument (%s).",
                                ck, q->name);
        return LP_OK; /* the checkpoint's own parameters (bits, groups) win */
    }
    if (q->method == LP_QUANT_NONE)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--quantization %s needs a checkpoint quantized that way; this "
                            "checkpoint has no quantization_config",
                            q->name);
    memset(out, 0, sizeof *out);
    out->method = q->method;
    snprintf(out->vllm_name, sizeof out->vllm_name, "%s", q->name);
    out->bits = q->bits;
    out->group_size = q->group_size;
    out->activations =
        (q->method == LP_QUANT_FP8 || q->method == LP_QUANT_INT8) && lp_gpu_supports_fp8(c->gpu);
    if (q->method == LP_QUANT_FP8 && strcmp(q->name, "fp8") == 0) {
        lp_mem_note(c,
                    "--quantization fp8 on an unquantized checkpoint: linear weights quantized "
                    "to FP8 at load time; embeddings and lm_head stay %s",
                    lp_dtype_name(c->dtype));
    } else if (q->method == LP_QUANT_BNB4) {
        lp_mem_note(c, "--quantization bitsandbytes: in-flight 4-bit (nf4, blocksize 64)");
    } else {
        lp_mem_note(c,
                    "--quantization %s on an unquantized checkpoint: sized as a pre-quantized %s "
                    "checkpoint of this architecture (%d-bit%s)",
                    q->name, q->name, q->bits, q->group_size > 0 ? ", grouped" : "");
    }
    return LP_OK;
}

static bool fp16_forbidden(const lp_model *m) {
    /* _FLOAT16_NOT_SUPPORTED_MODELS in vllm/config/model.py */
    static const char *const types[] = {"gemma2", "gemma3", "gemma3_text", "plamo2", "glm4"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(m->model_type, types[i]) == 0)
            return true;
    return false;
}

static lp_status resolve_dtype(lp_mem_ctx *c, const lp_serving *s, lp_error *err) {
    const lp_model *m = c->m;
    bool bf16_ok = lp_gpu_supports_bf16(c->gpu);
    lp_dtype d = s->dtype;
    if (d == LP_DTYPE_AUTO) {
        d = m->dtype;
        if (d == LP_DTYPE_AUTO) {
            d = LP_DTYPE_BF16;
            lp_mem_note(c, "checkpoint dtype not stated: assuming bfloat16");
        }
        if (d == LP_DTYPE_FP32 || d == LP_DTYPE_FP8 || d == LP_DTYPE_INT8) {
            /* _resolve_auto_dtype: fp32 checkpoints run in the first supported of bf16, fp16 */
            d = LP_DTYPE_BF16;
        }
        if (d == LP_DTYPE_BF16 && !bf16_ok) {
            d = LP_DTYPE_FP16;
            lp_mem_note(c,
                        "%s has no bfloat16 (compute capability < 8.0): vLLM falls back to "
                        "float16",
                        c->gpu->name);
        }
    } else if (d == LP_DTYPE_BF16 && !bf16_ok) {
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "Bfloat16 is only supported on GPUs with compute capability of at "
                            "least 8.0. Your %s GPU has compute capability %d.%d. You can use "
                            "float16 instead by explicitly setting the dtype flag in CLI, for "
                            "example: --dtype=half.",
                            c->gpu->name, c->gpu->cc_major, c->gpu->cc_minor);
    } else if (d == LP_DTYPE_FP8 || d == LP_DTYPE_INT8) {
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--dtype must be auto, half, float16, bfloat16, float or float32; use "
                            "--quantization for 8-bit weights");
    }
    if (d == LP_DTYPE_FP16 && fp16_forbidden(m))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "The model type '%s' does not support float16. Reason: Numerical "
                            "instability. Please use bfloat16 or float32 instead.",
                            m->model_type);
    c->dtype = d;
    return LP_OK;
}

static lp_status resolve_parallel(lp_mem_ctx *c, const lp_serving *s, lp_error *err) {
    const lp_model *m = c->m;
    c->tp = s->tensor_parallel_size > 0 ? s->tensor_parallel_size : 1;
    c->pp = s->pipeline_parallel_size > 0 ? s->pipeline_parallel_size : 1;
    c->dp = s->data_parallel_size > 0 ? s->data_parallel_size : 1;
    c->ep = s->enable_expert_parallel;
    if (s->tensor_parallel_size < 0 || s->pipeline_parallel_size < 0 || s->data_parallel_size < 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "parallel sizes must be positive");
    if (m->num_heads <= 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "model has no attention heads");
    if (m->num_heads % c->tp != 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "Total number of attention heads (%lld) must be divisible by tensor "
                            "parallel size (%d).",
                            (long long)m->num_heads, c->tp);
    /* Attention backends group query heads per KV head: FlashAttentionImpl and the others
     * assert num_heads % num_kv_heads == 0 (num_queries_per_kv). */
    if (!m->use_mla && m->num_kv_heads > 0 && m->num_heads % m->num_kv_heads != 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "%s: num_attention_heads (%lld) is not a multiple of "
                            "num_key_value_heads (%lld); vLLM's attention needs every KV head "
                            "to serve the same number of query heads",
                            m->id, (long long)m->num_heads, (long long)m->num_kv_heads);
    if (!m->use_mla && m->num_kv_heads > 0) {
        bool ok =
            c->tp >= m->num_kv_heads ? c->tp % m->num_kv_heads == 0 : m->num_kv_heads % c->tp == 0;
        if (!ok)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "tensor parallel size %d and %lld KV heads: one must divide the "
                                "other (QKVParallelLinear replicates KV heads only when TP is a "
                                "multiple of their count)",
                                c->tp, (long long)m->num_kv_heads);
    }
    if (c->pp > m->num_layers || c->pp > LP_MAX_PP)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "pipeline parallel size %d exceeds the %lld decoder layers", c->pp,
                            (long long)m->num_layers);
    if (c->ep && m->num_experts == 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--enable-expert-parallel: %s is not a mixture-of-experts model",
                            m->id);
    return LP_OK;
}

static lp_status resolve_lengths(lp_mem_ctx *c, const lp_serving *s, lp_error *err) {
    const lp_model *m = c->m;
    int64_t derived = m->derived_max_model_len > 0 ? m->derived_max_model_len : 2048;
    c->auto_fit_len = s->max_model_len < 0;
    if (s->max_model_len == 0 || s->max_model_len < 0) {
        c->max_model_len = derived;
    } else if (s->max_model_len > derived) {
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "User-specified max_model_len (%lld) is greater than the derived "
                            "max_model_len (%lld from the model's config.json). To allow "
                            "overriding this maximum, set the env var "
                            "VLLM_ALLOW_LONG_MAX_MODEL_LEN=1 (vLLM warns this may cause "
                            "incorrect outputs).",
                            (long long)s->max_model_len, (long long)derived);
    } else {
        c->max_model_len = s->max_model_len;
    }

    int def_tokens, def_seqs;
    lp_mem_default_batch(c->gpu, c->version, &def_tokens, &def_seqs);
    /* V1 (the default engine from v0.8) always chunks prefills; the V0 engine chunked them
     * only when max_model_len > 32K, with 512 batched tokens, and otherwise used
     * max(max_model_len, 2048) tokens and 256 sequences (reference (d), V0 defaults). */
    c->chunked_prefill = !s->enable_chunked_prefill_off;
    if (c->version < LP_VLLM_V1_DEFAULT) {
        c->chunked_prefill = c->chunked_prefill && c->max_model_len > LP_V0_CHUNKED_ABOVE;
        def_seqs = LP_V0_MAX_NUM_SEQS;
        def_tokens = c->chunked_prefill ? LP_V0_CHUNKED_TOKENS
                                        : (int)(c->max_model_len > 2048 ? c->max_model_len : 2048);
    }
    c->scheduler_steps = s->num_scheduler_steps > 1 ? s->num_scheduler_steps : 1;
    if (c->scheduler_steps > 1 && c->version >= LP_VLLM_V1_DEFAULT)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--num-scheduler-steps exists only in vLLM 0.5-0.7 (the V0 engine); "
                            "pass --vllm-version 0.6 to model it");
    if (s->max_num_seqs < 0 || s->max_num_batched_tokens < 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--max-num-seqs and --max-num-batched-tokens must be positive");
    int seqs = s->max_num_seqs > 0 ? s->max_num_seqs : def_seqs;
    int64_t tokens = s->max_num_batched_tokens > 0 ? s->max_num_batched_tokens : def_tokens;
    if (s->max_num_batched_tokens == 0) {
        /* _set_default_max_num_seqs_and_batched_tokens_args */
        if (!c->chunked_prefill && c->max_model_len > tokens)
            tokens = c->max_model_len;
        if ((int64_t)seqs * c->max_model_len < tokens)
            tokens = (int64_t)seqs * c->max_model_len;
    }
    if (s->max_num_seqs == 0 && tokens < seqs)
        seqs = (int)tokens;
    /* SchedulerConfig.verify_max_model_len / _verify_args */
    if (tokens < seqs)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "max_num_batched_tokens (%lld) must be greater than or equal to "
                            "max_num_seqs (%d).",
                            (long long)tokens, seqs);
    if (!c->chunked_prefill && tokens < c->max_model_len)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "max_num_batched_tokens (%lld) is smaller than max_model_len (%lld). "
                            "This effectively limits the maximum sequence length to "
                            "max_num_batched_tokens and makes vLLM reject longer sequences. "
                            "Please increase max_num_batched_tokens or decrease max_model_len.",
                            (long long)tokens, (long long)c->max_model_len);
    c->max_num_seqs = seqs;
    c->max_num_batched_tokens = (int)tokens;
    return LP_OK;
}

static lp_status resolve_block_size(lp_mem_ctx *c, const lp_serving *s, lp_error *err) {
    static const int allowed[] = {1, 8, 16, 32, 64, 128, 256};
    if (s->block_size != 0) {
        bool ok = false;
        for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
            ok |= s->block_size == allowed[i];
        if (!ok)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "--block-size %d: vLLM allows 1, 8, 16, 32, 64, 128 or 256",
                                s->block_size);
        c->block_size = s->block_size;
        return LP_OK;
    }
    /* vllm/platforms/cuda.py check_and_update_config: 16, MLA backends force their own */
    c->block_size = 16;
    if (c->m->use_mla) {
        if (c->gpu->cc_major >= 10)
            c->block_size = 128; /* CUTLASS_MLA, Blackwell default */
        else if (c->gpu->cc_major == 9)
            c->block_size = 64; /* FlashMLA on Hopper */
    }
    return LP_OK;
}

lp_status lp_mem_resolve(lp_mem_ctx *c, const lp_model *m, const lp_gpu *gpu, const lp_serving *s,
                         lp_error *err) {
    lp_status st;
    c->m = m;
    c->gpu = gpu;
    c->version = s->vllm_version > 0 ? s->vllm_version : LP_VLLM_VERSION_LATEST;
    double util = s->gpu_memory_utilization;
    if (!(util > 0.0 && util <= 1.0))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--gpu-memory-utilization must be in (0, 1], got %g", util);
    c->utilization = util;
    if (s->cpu_offload_gib < 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "--cpu-offload-gb must not be negative");
    c->cpu_offload_bytes = s->cpu_offload_gib * LP_GIB;
    c->enforce_eager = s->enforce_eager;
    if (gpu->usable_gib <= 0.0)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "GPU %s has no memory size", gpu->name);
    if (!(gpu->usable_gib <= LP_MAX_DEVICE_GIB))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "GPU %s memory size %g GiB is not plausible (at most %g GiB)",
                            gpu->name, gpu->usable_gib, LP_MAX_DEVICE_GIB);
    if (m->num_layers <= 0 || m->num_layers > LP_MAX_LAYERS || m->hidden_size <= 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "model %s has no usable architecture", m->id);
    if ((st = resolve_parallel(c, s, err)) != LP_OK)
        return st;
    if ((st = resolve_dtype(c, s, err)) != LP_OK)
        return st;
    if ((st = resolve_quant(c, m, s->quantization, &c->quant, err)) != LP_OK)
        return st;
    c->kv_dtype = s->kv_cache_dtype;
    if (c->kv_dtype == LP_DTYPE_AUTO)
        c->kv_dtype = m->quant.kv_cache_dtype != LP_DTYPE_AUTO && c->quant.method == m->quant.method
                          ? m->quant.kv_cache_dtype
                          : c->dtype;
    if (c->kv_dtype == LP_DTYPE_INT8)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--kv-cache-dtype: llmplan sizes auto, bfloat16, float16, fp8, "
                            "fp8_e4m3 and fp8_e5m2");
    if ((st = resolve_lengths(c, s, err)) != LP_OK)
        return st;
    if ((st = resolve_block_size(c, s, err)) != LP_OK)
        return st;
    /* the hybrid KV-cache manager (sliding windows sized by window) is the default in v1 */
    c->hybrid_kv = !s->disable_hybrid_kv_cache_manager && c->version >= LP_VLLM_VERSION(0, 10, 0);
    /* Mamba / linear-attention hybrids: the attention block grows to hold one state page
     * (a user-set --block-size is raised too when it is smaller) */
    c->mamba_page_bytes = lp_mem_mamba_page_bytes(c);
    if (c->mamba_page_bytes > 0.0) {
        int raised = lp_mem_hybrid_block_size(c, c->block_size);
        if (raised != c->block_size)
            lp_mem_note(c,
                        "hybrid model: attention block size raised from %d to %d tokens so that "
                        "one page holds a %.2f MiB Mamba state (vLLM pads the state to the page)",
                        c->block_size, raised, c->mamba_page_bytes / 1048576.0);
        c->block_size = raised;
    }
    c->prefix_caching = !s->enable_prefix_caching_off;
    /* one plan is one vLLM server: a disaggregated deployment is a plan per role
     * (lp_mem_disagg_plan_compute), which `plan` and `estimate` assemble */
    if (lp_disaggregated(s))
        return lp_error_set(err, LP_ERR_UNSUPPORTED,
                            "disaggregated prefill/decode (--disaggregation) is modelled by plan "
                            "and estimate only (one memory plan per role); this command plans one "
                            "vLLM server");
    if ((st = lp_mem_resolve_lora(c, s, err)) != LP_OK)
        return st;
    return lp_mem_resolve_spec(c, s, err);
}
