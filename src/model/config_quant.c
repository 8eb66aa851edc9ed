/*
 * config_quant.c - read a config.json quantization_config into lp_quant.
 *
 * Covers the methods vLLM detects from a checkpoint (fp8, gptq, awq, compressed-tensors,
 * bitsandbytes, mxfp4, modelopt / modelopt_fp4) and records what the memory model needs:
 * method, bits, group size, which weights are quantized, and any KV-cache dtype the
 * checkpoint carries. It does not size anything (that is the mem module's job, see
 * vllm_internals.md (f)) and it does not validate that a GPU supports the method.
 */
#include "config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_method(lp_quant *q, lp_quant_method method, const char *vllm_name, int bits,
                       int group_size) {
    q->method = method;
    snprintf(q->vllm_name, sizeof q->vllm_name, "%s", vllm_name);
    q->bits = bits;
    q->group_size = group_size;
}

/*
 * Which projections one entry of a skip list leaves unquantized. Entries are module names
 * ("model.layers.0.self_attn.q_proj"), wildcards ("model.layers.*.self_attn") or compressed-
 * tensors regular expressions ("re:.*mlp\\.(gate|up|gate_up|down)_proj.*"); vLLM matches them
 * against each layer's prefix (quant_utils.is_layer_skipped, compressed-tensors
 * should_ignore_layer). Keywords are enough here: a layer index when one is named, else every
 * layer; the attention or MLP projection names that appear, else the whole block. Embeddings,
 * norms, routers, vision towers and lm_head are left out: they are in the model dtype anyway.
 */
static void keep_entry(const char *entry, lp_model *m) {
    char e[256];
    size_t n = 0;
    for (const char *p = entry; *p && n + 1 < sizeof e; p++)
        if (*p != '\\')
            e[n++] = (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
    e[n] = '\0';
    static const char *const skip[] = {"lm_head",     "embed",     "norm",  "router",
                                       "vision",      "visual",    "vit",   "mm_",
                                       "multi_modal", "projector", "audio", NULL};
    for (size_t k = 0; skip[k]; k++)
        if (strstr(e, skip[k]))
            return;
    const char *g = strstr(e, "mlp.gate");
    if (g && g[8] != '_') /* mlp.gate is the MoE router; mlp.gate_proj a projection */
        return;

    int64_t first = 0, last = m->num_layers - 1;
    const char *l = strstr(e, "layers.");
    if (l && l[7] >= '0' && l[7] <= '9') {
        first = last = strtoll(l + 7, NULL, 10);
        if (first >= m->num_layers)
            return;
    }
    bool attn = strstr(e, "attn") || strstr(e, "attention");
    bool shared = strstr(e, "shared_expert") != NULL;
    bool experts = !shared && strstr(e, "experts") != NULL;
    bool mlp = strstr(e, "mlp") || strstr(e, "feed_forward") || strstr(e, "ffn");
    uint8_t proj = 0;
    if (strstr(e, "_proj") || strstr(e, "qkv")) {
        proj |= strstr(e, "q_proj") || strstr(e, "qkv") ? LP_KEEP_Q : 0;
        proj |= strstr(e, "k_proj") || strstr(e, "qkv") ? LP_KEEP_K : 0;
        proj |= strstr(e, "v_proj") || strstr(e, "qkv") ? LP_KEEP_V : 0;
        proj |= strstr(e, "o_proj") ? LP_KEEP_O : 0;
        proj |= strstr(e, "gate") ? LP_KEEP_GATE : 0;
        proj |= strstr(e, "up") ? LP_KEEP_UP : 0;
        proj |= strstr(e, "down") ? LP_KEEP_DOWN : 0;
    }
    for (int64_t i = first; i <= last && i < LP_MAX_LAYERS; i++) {
        bool moe = m->layer_moe[i] != 0;
        uint8_t bits = 0;
        if (attn)
            bits |= (proj & LP_KEEP_ATTN) ? (proj & LP_KEEP_ATTN) : LP_KEEP_ATTN;
        else if (shared && moe)
            bits |= (proj & LP_KEEP_MLP) ? (proj & LP_KEEP_MLP) : LP_KEEP_MLP;
        else if (experts && moe)
            bits |= LP_KEEP_EXPERTS;
        else if (mlp && !shared && !experts && (proj & LP_KEEP_MLP) && !moe)
            bits |= proj & LP_KEEP_MLP;
        else if (mlp && !shared && !experts && !(proj & LP_KEEP_MLP))
            bits |= LP_KEEP_MLP | (moe ? LP_KEEP_EXPERTS : 0); /* a whole MLP block */
        else if (!attn && !mlp && !shared && !experts && (proj & LP_KEEP_ATTN))
            bits |= proj & LP_KEEP_ATTN; /* "q_proj" without its parent's name */
        else if (!attn && !mlp && !shared && !experts && l && proj == 0)
            bits |= LP_KEEP_ATTN | LP_KEEP_MLP | LP_KEEP_EXPERTS; /* "model.layers.3" */
        m->quant.keep[i] |= bits;
    }
}

/* The checkpoint's list of modules left unquantized, under whichever name its method uses. */
static lp_status parse_keep(const lp_cfg *q, lp_model *m) {
    static const char *const keys[] = {"modules_to_not_convert", "ignore",
                                       "ignored_layers",         "exclude_modules",
                                       "llm_int8_skip_modules",  NULL};
    for (size_t k = 0; keys[k]; k++) {
        const char *pfx = "";
        const json_t *a = lp_cfg_get(q, keys[k], &pfx);
        if (!a)
            continue;
        if (!json_is_array(a))
            return lp_cfg_fail(q, LP_ERR_PARSE, pfx, keys[k], "an array of module names", a);
        for (size_t i = 0; i < json_array_size(a); i++) {
            const char *s = json_string_value(json_array_get(a, i));
            if (!s)
                return lp_cfg_fail(q, LP_ERR_PARSE, pfx, keys[k], "an array of module names", a);
            keep_entry(s, m);
        }
    }
    /* Everything but the routed experts kept: the experts-only layout (gpt-oss, Kimi-K2). */
    bool experts_only = lp_model_num_moe_layers(m) > 0;
    for (int64_t i = 0; i < m->num_layers && i < LP_MAX_LAYERS && experts_only; i++) {
        uint8_t need = LP_KEEP_ATTN | LP_KEEP_MLP;
        if (m->layer_moe[i] && m->num_shared_experts == 0)
            need = LP_KEEP_ATTN;
        experts_only = (m->quant.keep[i] & need) == need && !(m->quant.keep[i] & LP_KEEP_EXPERTS);
    }
    if (experts_only)
        m->quant.experts_only = true;
    return LP_OK;
}

static lp_status parse_fp8(const lp_cfg *q, lp_model *m) {
    set_method(&m->quant, LP_QUANT_FP8, "fp8", 8, 0);
    /* vLLM Fp8Config: activation_scheme defaults to "dynamic"; both schemes are W8A8. */
    m->quant.activations = true;
    const char *pfx = "";
    const json_t *block = lp_cfg_get(q, "weight_block_size", &pfx);
    if (block) {
        if (!json_is_array(block) || json_array_size(block) != 2 ||
            !json_is_integer(json_array_get(block, 0)) ||
            !json_is_integer(json_array_get(block, 1)))
            return lp_cfg_fail(q, LP_ERR_PARSE, pfx, "weight_block_size",
                               "an array of two integers", block);
        json_int_t in_block = json_integer_value(json_array_get(block, 1));
        if (in_block < 1 || in_block > LP_CFG_MAX_FFN ||
            json_integer_value(json_array_get(block, 0)) < 1)
            return lp_cfg_fail(q, LP_ERR_INVALID_ARG, pfx, "weight_block_size",
                               "two positive block sizes", block);
        m->quant.weight_block = true;
        m->quant.group_size = (int)in_block;
    }
    const char *scheme = NULL;
    return lp_cfg_string(q, "activation_scheme", &scheme);
}

static lp_status parse_gptq_awq(const lp_cfg *q, lp_model *m, bool awq) {
    static const char *const bits_keys[] = {"bits", "w_bit", NULL};
    static const char *const group_keys[] = {"group_size", "q_group_size", NULL};
    int64_t bits = 4, group = 128;
    lp_status st = lp_cfg_int_any(q, bits_keys, 2, 8, &bits, NULL);
    if (st != LP_OK)
        return st;
    st = lp_cfg_int_any(q, group_keys, -1, LP_CFG_MAX_FFN, &group, NULL);
    if (st != LP_OK)
        return st;
    if (group == 0)
        return lp_error_set(q->err, LP_ERR_INVALID_ARG,
                            "%s: %sgroup_size: expected a positive group size or -1 (per "
                            "channel), got 0",
                            q->origin, q->prefix);
    if (awq) {
        set_method(&m->quant, LP_QUANT_AWQ, "awq", (int)bits, (int)group);
        if (bits != 4)
            lp_model_note(m, "AWQ with %d-bit weights: vLLM's AWQ kernels support 4-bit only",
                          (int)bits);
    } else {
        set_method(&m->quant, LP_QUANT_GPTQ, "gptq", (int)bits, (int)group);
    }
    return LP_OK;
}

static lp_status parse_bnb(const lp_cfg *q, lp_model *m) {
    bool in4 = false, in8 = false, dq = false;
    lp_status st = lp_cfg_bool(q, "load_in_4bit", &in4, NULL);
    if (st == LP_OK)
        st = lp_cfg_bool(q, "load_in_8bit", &in8, NULL);
    if (st == LP_OK)
        st = lp_cfg_bool(q, "bnb_4bit_use_double_quant", &dq, NULL);
    if (st != LP_OK)
        return st;
    if (in4) {
        /* bitsandbytes 4-bit quantizes in blocks of 64 (its default blocksize). */
        set_method(&m->quant, LP_QUANT_BNB4, "bitsandbytes", 4, 64);
        m->quant.double_quant = dq;
    } else if (in8) {
        set_method(&m->quant, LP_QUANT_BNB8, "bitsandbytes", 8, -1);
    } else {
        return lp_error_set(q->err, LP_ERR_INVALID_ARG,
                            "%s: %sload_in_4bit: expected load_in_4bit or load_in_8bit to be "
                            "true for a bitsandbytes checkpoint",
                            q->origin, q->prefix);
    }
    return LP_OK;
}

static lp_status parse_mxfp4(const lp_cfg *q, lp_model *m) {
    /* OCP MX: one E8M0 scale per 32 elements; modules_to_not_convert read by parse_keep. */
    set_method(&m->quant, LP_QUANT_MXFP4, "mxfp4", 4, 32);
    (void)q;
    return LP_OK;
}

static lp_status parse_modelopt(const lp_cfg *q0, lp_model *m) {
    /* Older exports nest the fields under "quantization" (hf_quant_config.json layout). */
    lp_cfg nested, q = *q0;
    if (lp_cfg_sub(q0, "quantization", &nested)) {
        nested.alt = q0->obj;
        snprintf(nested.alt_prefix, sizeof nested.alt_prefix, "%s", q0->prefix);
        q = nested;
    }
    const char *algo = NULL, *kv = NULL;
    lp_status st = lp_cfg_string(&q, "quant_algo", &algo);
    if (st == LP_OK)
        st = lp_cfg_string(&q, "kv_cache_quant_algo", &kv);
    if (st != LP_OK)
        return st;
    if (!algo)
        return lp_error_set(q.err, LP_ERR_MISSING_FIELD,
                            "%s: %squant_algo: expected \"FP8\" or \"NVFP4\" for a modelopt "
                            "checkpoint, got nothing",
                            q.origin, q.prefix);
    if (strcmp(algo, "FP8") == 0 || strcmp(algo, "FP8_PER_CHANNEL_PER_TOKEN") == 0) {
        set_method(&m->quant, LP_QUANT_FP8, "modelopt", 8, algo[3] ? -1 : 0);
        m->quant.activations = true;
    } else if (strcmp(algo, "NVFP4") == 0) {
        int64_t group = 16; /* NVFP4: one FP8 scale per 16 elements */
        st = lp_cfg_int(&q, "group_size", 1, LP_CFG_MAX_FFN, &group, NULL);
        if (st != LP_OK)
            return st;
        set_method(&m->quant, LP_QUANT_NVFP4, "modelopt_fp4", 4, (int)group);
        m->quant.activations = true;
    } else {
        const char *pfx = "";
        const json_t *v = lp_cfg_get(&q, "quant_algo", &pfx);
        return lp_cfg_fail(&q, LP_ERR_UNSUPPORTED, pfx, "quant_algo", "\"FP8\" or \"NVFP4\"", v);
    }
    if ((st = parse_keep(&q, m)) != LP_OK)
        return st;
    if (kv) {
        if (strcmp(kv, "FP8") == 0)
            m->quant.kv_cache_dtype = LP_DTYPE_FP8;
        else
            lp_model_note(m,
                          "modelopt kv_cache_quant_algo \"%.40s\" not modelled; KV dtype "
                          "left to --kv-cache-dtype",
                          kv);
    }
    return LP_OK;
}

static lp_status parse_compressed_tensors(const lp_cfg *q, lp_model *m) {
    const char *format = NULL;
    lp_status st = lp_cfg_string(q, "format", &format);
    if (st != LP_OK)
        return st;
    snprintf(m->quant.vllm_name, sizeof m->quant.vllm_name, "compressed-tensors");

    /* The first config group with a weights scheme decides (real checkpoints have one). */
    lp_cfg groups, weights, group_cfg;
    bool have_weights = false, activations = false;
    if (lp_cfg_sub(q, "config_groups", &groups)) {
        const char *name;
        json_t *g;
        json_object_foreach((json_t *)groups.obj, name, g) {
            if (!json_is_object(g))
                continue;
            char path[160];
            snprintf(path, sizeof path, "%s%.24s.", groups.prefix, name);
            lp_cfg_view(&group_cfg, g, path, NULL, NULL, q->origin, q->err);
            if (lp_cfg_sub(&group_cfg, "weights", &weights)) {
                have_weights = true;
                activations = lp_cfg_has(&group_cfg, "input_activations");
                break;
            }
        }
    }
    int64_t bits = 0, group = 0;
    const char *type = NULL, *strategy = NULL;
    if (have_weights) {
        st = lp_cfg_int(&weights, "num_bits", 1, 16, &bits, NULL);
        if (st == LP_OK)
            st = lp_cfg_string(&weights, "type", &type);
        if (st == LP_OK)
            st = lp_cfg_string(&weights, "strategy", &strategy);
        if (st == LP_OK)
            st = lp_cfg_int(&weights, "group_size", 1, LP_CFG_MAX_FFN, &group, NULL);
        if (st != LP_OK)
            return st;
    }
    /* Fall back to the checkpoint format when the weight scheme is incomplete. */
    if (!type && format) {
        if (strstr(format, "float") || strstr(format, "fp4"))
            type = "float";
        else if (strstr(format, "int") || strstr(format, "pack"))
            type = "int";
    }
    if (bits == 0 && format) {
        if (strstr(format, "fp4") || strcmp(format, "pack-quantized") == 0)
            bits = 4;
        else if (strcmp(format, "float-quantized") == 0 || strcmp(format, "int-quantized") == 0)
            bits = 8;
    }
    if (!type || bits == 0)
        return lp_error_set(q->err, LP_ERR_MISSING_FIELD,
                            "%s: %sconfig_groups: expected a group with weights {num_bits, "
                            "type}, or a format such as \"float-quantized\"",
                            q->origin, q->prefix);
    bool is_float = strcmp(type, "float") == 0;
    if (is_float && bits == 8) {
        m->quant.method = LP_QUANT_FP8;
    } else if (is_float && bits == 4) {
        m->quant.method = (group == 32) ? LP_QUANT_MXFP4 : LP_QUANT_NVFP4;
    } else if (!is_float && bits == 8) {
        m->quant.method = LP_QUANT_INT8;
    } else if (!is_float && bits < 8) {
        m->quant.method = LP_QUANT_INT4_W4A16;
    } else {
        return lp_error_set(q->err, LP_ERR_UNSUPPORTED,
                            "%s: %sconfig_groups: %d-bit %s weights are not modelled; expected "
                            "8-bit float/int or 4-bit",
                            q->origin, q->prefix, (int)bits, type);
    }
    m->quant.bits = (int)bits;
    m->quant.activations = activations;
    if (strategy && strcmp(strategy, "channel") == 0)
        m->quant.group_size = -1;
    else if (strategy && (strcmp(strategy, "group") == 0 || strcmp(strategy, "tensor_group") == 0))
        m->quant.group_size = (int)group;
    else if (strategy && strcmp(strategy, "block") == 0) {
        const json_t *bs = json_object_get(weights.obj, "block_structure");
        m->quant.weight_block = true;
        if (json_is_array(bs) && json_array_size(bs) == 2 &&
            json_integer_value(json_array_get(bs, 1)) > 0 &&
            json_integer_value(json_array_get(bs, 1)) <= LP_CFG_MAX_FFN)
            m->quant.group_size = (int)json_integer_value(json_array_get(bs, 1));
    } else
        m->quant.group_size = (int)group;

    lp_cfg kv;
    if (lp_cfg_sub(q, "kv_cache_scheme", &kv)) {
        const char *kv_type = NULL;
        st = lp_cfg_string(&kv, "type", &kv_type);
        if (st != LP_OK)
            return st;
        m->quant.kv_cache_dtype =
            (kv_type && strcmp(kv_type, "int") == 0) ? LP_DTYPE_INT8 : LP_DTYPE_FP8;
        lp_model_note(m,
                      "checkpoint carries %s KV-cache scales (kv_cache_scheme); vLLM uses "
                      "them with --kv-cache-dtype fp8",
                      lp_dtype_name(m->quant.kv_cache_dtype));
    }
    return LP_OK;
}

lp_status lp_config_parse_quant(const lp_cfg *c, lp_model *m) {
    lp_cfg q;
    if (!lp_cfg_sub(c, "quantization_config", &q)) {
        const char *pfx = "";
        const json_t *v = lp_cfg_get(c, "quantization_config", &pfx);
        if (v)
            return lp_cfg_fail(c, LP_ERR_PARSE, pfx, "quantization_config", "an object", v);
        return LP_OK;
    }
    const char *method = NULL;
    lp_status st = lp_cfg_string(&q, "quant_method", &method);
    if (st != LP_OK)
        return st;
    if (!method) {
        /* Old bitsandbytes exports write only load_in_4bit / load_in_8bit. */
        if (lp_cfg_has(&q, "load_in_4bit") || lp_cfg_has(&q, "load_in_8bit"))
            return parse_bnb(&q, m);
        return lp_error_set(c->err, LP_ERR_MISSING_FIELD,
                            "%s: %squant_method: expected the quantization method name (fp8, "
                            "gptq, awq, ...), got nothing",
                            q.origin, q.prefix);
    }
    if (strcmp(method, "modelopt") == 0 || strcmp(method, "modelopt_fp4") == 0)
        return parse_modelopt(&q, m);
    if (strcmp(method, "fp8") == 0) {
        st = parse_fp8(&q, m);
    } else if (strcmp(method, "fbgemm_fp8") == 0) {
        /* FBGEMMFp8Config: FP8 weights with one fp32 scale per output channel */
        set_method(&m->quant, LP_QUANT_FP8, "fbgemm_fp8", 8, -1);
        m->quant.activations = true;
    } else if (strcmp(method, "gptq") == 0 || strcmp(method, "gptq_marlin") == 0) {
        st = parse_gptq_awq(&q, m, false);
    } else if (strcmp(method, "awq") == 0 || strcmp(method, "awq_marlin") == 0) {
        st = parse_gptq_awq(&q, m, true);
    } else if (strcmp(method, "compressed-tensors") == 0) {
        st = parse_compressed_tensors(&q, m);
    } else if (strcmp(method, "bitsandbytes") == 0) {
        st = parse_bnb(&q, m);
    } else if (strcmp(method, "mxfp4") == 0) {
        st = parse_mxfp4(&q, m);
    } else {
        return lp_error_set(c->err, LP_ERR_UNSUPPORTED,
                            "%s: %squant_method: \"%.40s\" is not supported; expected one of fp8, "
                            "fbgemm_fp8, gptq, awq, compressed-tensors, bitsandbytes, mxfp4, "
                            "modelopt, modelopt_fp4",
                            q.origin, q.prefix, method);
    }
    if (st == LP_OK)
        st = parse_keep(&q, m);
    return st;
}
