/*
 * config_vision.c - parameter counts of the vision towers and projectors of multimodal
 * wrappers (Gemma 3 SigLIP, Gemma 4, Mistral 3 / Pixtral, Llava CLIP/SigLIP/Pixtral, Llama 4,
 * Qwen2.5-VL, Qwen3.5), read from vision_config.
 *
 * Each formula mirrors the module tree of the transformers class named beside it, tensor
 * by tensor; the Gemma 3, Mistral-Small-3.1, Llama 4 and Qwen2.5-VL ones reproduce the
 * published totals exactly (model_configs.md §5). It deliberately does not model vision
 * activations or image-token budgets (the mem/perf modules do), and it counts an unknown
 * tower as 0 with a note rather than guessing.
 */
#include "config_internal.h"

#include <stdio.h>
#include <string.h>

/* Bounds for vision_config fields (ViTs are far smaller than these). */
#define VIS_MAX_WIDTH (INT64_C(1) << 16)
#define VIS_MAX_LAYERS 1024
#define VIS_MAX_IMAGE (INT64_C(1) << 16)

typedef struct {
    int64_t hidden, intermediate, layers, patch, image, channels;
} vision_dims;

/* Read the common ViT fields, taking the given class defaults (noted) for absent ones. */
static lp_status read_dims(const lp_cfg *v, const vision_dims *defaults, const char *cls,
                           vision_dims *d, lp_model *m) {
    static const char *const names[] = {"hidden_size", "intermediate_size", "num_hidden_layers",
                                        "patch_size",  "image_size",        "num_channels"};
    static const int64_t maxima[] = {VIS_MAX_WIDTH, LP_CFG_MAX_FFN, VIS_MAX_LAYERS,
                                     VIS_MAX_IMAGE, VIS_MAX_IMAGE,  64};
    int64_t *fields[] = {&d->hidden, &d->intermediate, &d->layers,
                         &d->patch,  &d->image,        &d->channels};
    const int64_t def[] = {defaults->hidden, defaults->intermediate, defaults->layers,
                           defaults->patch,  defaults->image,        defaults->channels};
    for (size_t i = 0; i < 6; i++) {
        bool present = false;
        *fields[i] = def[i];
        lp_status st = lp_cfg_int(v, names[i], 1, maxima[i], fields[i], &present);
        if (st != LP_OK)
            return st;
        if (!present && def[i] > 0 && strcmp(names[i], "num_channels") != 0)
            lp_model_note(m, "%s%s absent: using the %s default %lld", v->prefix, names[i], cls,
                          (long long)def[i]);
    }
    return LP_OK;
}

/* transformers SiglipVisionModel (no pooling head): conv patch embedding with bias, learned
 * positions, pre-LN encoder layers with biased q/k/v/o and fc1/fc2, post layernorm. */
static int64_t siglip_params(const vision_dims *d) {
    int64_t h = d->hidden, i = d->intermediate, side = d->image / d->patch;
    int64_t embed = d->channels * d->patch * d->patch * h + h + side * side * h;
    int64_t layer = 4 * (h * h + h) + (h * i + i) + (i * h + h) + 2 * (2 * h);
    return embed + d->layers * layer + 2 * h;
}

/* transformers CLIPVisionModel: conv patch embedding without bias, class embedding,
 * positions (patches + 1), pre_layrnorm, layers as SigLIP, post_layernorm. */
static int64_t clip_params(const vision_dims *d) {
    int64_t h = d->hidden, i = d->intermediate, side = d->image / d->patch;
    int64_t embed = d->channels * d->patch * d->patch * h + h + (side * side + 1) * h;
    int64_t layer = 4 * (h * h + h) + (h * i + i) + (i * h + h) + 2 * (2 * h);
    return embed + 2 * h + d->layers * layer + 2 * h;
}

/* transformers PixtralVisionModel: conv patch embedding without bias, ln_pre (RMSNorm),
 * layers with bias-free q/k/v/o, SwiGLU feed-forward and two RMSNorms; RoPE has no weights. */
static int64_t pixtral_params(const vision_dims *d) {
    int64_t h = d->hidden, i = d->intermediate;
    int64_t layer = 4 * h * h + 3 * h * i + 2 * h;
    return d->channels * d->patch * d->patch * h + h + d->layers * layer;
}

/* Number of vision feature layers concatenated before the projector (list or one index). */
static int64_t feature_layers(const lp_cfg *root) {
    const json_t *f = lp_cfg_get(root, "vision_feature_layer", NULL);
    if (f && json_is_array(f) && json_array_size(f) > 0 && json_array_size(f) < 64)
        return (int64_t)json_array_size(f);
    return 1;
}

static lp_status vision_gemma3(const lp_cfg *root, const lp_cfg *v, int64_t text_hidden,
                               lp_model *m) {
    /* SiglipVisionConfig class defaults (Gemma 3 files list their so400m values). */
    static const vision_dims defaults = {768, 3072, 12, 16, 224, 3};
    vision_dims d;
    lp_status st = read_dims(v, &defaults, "SiglipVisionConfig", &d, m);
    if (st != LP_OK)
        return st;
    bool head = false;
    st = lp_cfg_bool(v, "vision_use_head", &head, NULL);
    if (st != LP_OK)
        return st;
    if (head)
        lp_model_note(m, "vision_use_head is true; the SigLIP pooling head is not counted "
                         "(Gemma 3 does not use it)");
    (void)root;
    /* Gemma3MultiModalProjector: mm_soft_emb_norm (RMSNorm, vision width) and
     * mm_input_projection_weight [vision hidden, text hidden]; the average pool has none. */
    m->params_vision = siglip_params(&d) + d.hidden + d.hidden * text_hidden;
    return LP_OK;
}

static lp_status vision_pixtral_dims(const lp_cfg *v, vision_dims *d, lp_model *m) {
    /* PixtralVisionConfig class defaults. */
    static const vision_dims defaults = {1024, 4096, 24, 16, 1024, 3};
    return read_dims(v, &defaults, "PixtralVisionConfig", d, m);
}

static lp_status vision_mistral3(const lp_cfg *root, const lp_cfg *v, int64_t text_hidden,
                                 lp_model *m) {
    vision_dims d;
    lp_status st = vision_pixtral_dims(v, &d, m);
    if (st != LP_OK)
        return st;
    int64_t merge = 2; /* Mistral3Config.spatial_merge_size default */
    bool bias = false; /* Mistral3Config.multimodal_projector_bias default */
    st = lp_cfg_int(root, "spatial_merge_size", 1, 16, &merge, NULL);
    if (st == LP_OK)
        st = lp_cfg_bool(root, "multimodal_projector_bias", &bias, NULL);
    if (st != LP_OK)
        return st;
    int64_t in = d.hidden * feature_layers(root);
    /* Mistral3MultiModalProjector: norm (RMSNorm over the vision width), patch_merger
     * merging_layer [h*s^2 -> h] without bias, linear_1 [in -> text], linear_2 [text -> text]. */
    int64_t proj = d.hidden + d.hidden * merge * merge * d.hidden + in * text_hidden +
                   text_hidden * text_hidden + (bias ? 2 * text_hidden : 0);
    m->params_vision = pixtral_params(&d) + proj;
    return LP_OK;
}

static lp_status vision_llava(const lp_cfg *root, const lp_cfg *v, int64_t text_hidden,
                              lp_model *m) {
    const char *vtype = NULL;
    lp_status st = lp_cfg_string(v, "model_type", &vtype);
    if (st != LP_OK)
        return st;
    vision_dims d;
    int64_t (*tower_params)(const vision_dims *);
    if (!vtype || strcmp(vtype, "clip_vision_model") == 0) {
        /* CLIPVisionConfig as LlavaConfig builds it by default (ViT-L/14-336). */
        static const vision_dims defaults = {1024, 4096, 24, 14, 336, 3};
        st = read_dims(v, &defaults, "LlavaConfig CLIP", &d, m);
        tower_params = clip_params;
    } else if (strcmp(vtype, "siglip_vision_model") == 0) {
        static const vision_dims defaults = {768, 3072, 12, 16, 224, 3};
        st = read_dims(v, &defaults, "SiglipVisionConfig", &d, m);
        tower_params = siglip_params;
    } else if (strcmp(vtype, "pixtral") == 0) {
        st = vision_pixtral_dims(v, &d, m);
        tower_params = pixtral_params;
    } else {
        lp_model_note(m,
                      "vision tower \"%.40s\" is not modelled: vision parameters counted "
                      "as 0",
                      vtype);
        return LP_OK;
    }
    if (st != LP_OK)
        return st;
    int64_t tower = tower_params(&d);
    bool bias = true; /* LlavaConfig.multimodal_projector_bias default */
    st = lp_cfg_bool(root, "multimodal_projector_bias", &bias, NULL);
    if (st != LP_OK)
        return st;
    /* LlavaMultiModalProjector: linear_1 [vision*features -> text], GELU, linear_2. */
    int64_t in = d.hidden * feature_layers(root);
    int64_t proj = in * text_hidden + text_hidden * text_hidden + (bias ? 2 * text_hidden : 0);
    m->params_vision = tower + proj;
    lp_model_note(m, "llava vision tower counted whole; vLLM may skip layers past "
                     "vision_feature_layer");
    return LP_OK;
}

static lp_status vision_llama4(const lp_cfg *v, int64_t text_hidden, lp_model *m) {
    /* Llama4VisionConfig class defaults. */
    static const vision_dims defaults = {768, 5632, 34, 14, 448, 3};
    vision_dims d;
    lp_status st = read_dims(v, &defaults, "Llama4VisionConfig", &d, m);
    if (st != LP_OK)
        return st;
    int64_t proj_in = 4096, proj_out = 4096, out_dim = 7680;
    st = lp_cfg_int(v, "projector_input_dim", 1, LP_CFG_MAX_FFN, &proj_in, NULL);
    if (st == LP_OK)
        st = lp_cfg_int(v, "projector_output_dim", 1, LP_CFG_MAX_FFN, &proj_out, NULL);
    if (st == LP_OK)
        st = lp_cfg_int(v, "vision_output_dim", 1, LP_CFG_MAX_FFN, &out_dim, NULL);
    if (st != LP_OK)
        return st;
    int64_t h = d.hidden, i = d.intermediate, side = d.image / d.patch;
    /* Llama4VisionModel: unfold-conv linear [C*p*p -> h] without bias, class_embedding,
     * positional_embedding_vlm (patches + 1), layernorm_pre/post (LayerNorm w+b),
     * encoder layers (biased q/k/v/o, fc1/fc2, two LayerNorms). */
    int64_t embed = d.channels * d.patch * d.patch * h + h + (side * side + 1) * h;
    int64_t layer = 4 * (h * h + h) + (h * i + i) + (i * h + h) + 2 * (2 * h);
    /* vision_adapter (Llama4VisionPixelShuffleMLP -> Llama4VisionMLP2): fc1 [intermediate ->
     * projector_input_dim], fc2 [projector_input_dim -> projector_output_dim], no biases. */
    int64_t adapter = i * proj_in + proj_in * proj_out;
    /* Llama4MultiModalProjector: linear_1 [vision_output_dim -> text hidden], no bias. */
    int64_t projector = out_dim * text_hidden;
    m->params_vision = embed + 2 * (2 * h) + d.layers * layer + adapter + projector;
    return LP_OK;
}

static lp_status vision_qwen2_5_vl(const lp_cfg *v, lp_model *m) {
    /* Qwen2_5_VLVisionConfig class defaults. */
    int64_t h = 3584, i = 3420, depth = 32, patch = 14, temporal = 2, chans = 3, merge = 2,
            out = 3584;
    static const char *const chan_keys[] = {"in_chans", "in_channels", NULL};
    struct {
        const char *key;
        int64_t *dst, max;
    } f[] = {{"hidden_size", &h, VIS_MAX_WIDTH},         {"intermediate_size", &i, LP_CFG_MAX_FFN},
             {"depth", &depth, VIS_MAX_LAYERS},          {"patch_size", &patch, VIS_MAX_IMAGE},
             {"temporal_patch_size", &temporal, 16},     {"spatial_merge_size", &merge, 16},
             {"out_hidden_size", &out, LP_CFG_MAX_WIDTH}};
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
        bool present = false;
        lp_status st = lp_cfg_int(v, f[k].key, 1, f[k].max, f[k].dst, &present);
        if (st != LP_OK)
            return st;
        if (!present)
            lp_model_note(m, "%s%s absent: using the Qwen2_5_VLVisionConfig default %lld",
                          v->prefix, f[k].key, (long long)*f[k].dst);
    }
    lp_status st = lp_cfg_int_any(v, chan_keys, 1, 64, &chans, NULL);
    if (st != LP_OK)
        return st;
    /* Qwen2_5_VisionTransformerPretrainedModel: Conv3d patch embed without bias; blocks with
     * two RMSNorms, fused qkv and proj (biased), SwiGLU MLP with biases; PatchMerger: ln_q
     * (RMSNorm) + Linear(h*s^2, h*s^2) + Linear(h*s^2, out), biased. Rotary has no weights. */
    int64_t embed = chans * temporal * patch * patch * h;
    int64_t block = 2 * h + (h * 3 * h + 3 * h) + (h * h + h) + 3 * h * i + 2 * i + h;
    int64_t mh = h * merge * merge;
    int64_t merger = h + mh * mh + mh + mh * out + out;
    m->params_vision = embed + depth * block + merger;
    return LP_OK;
}

/*
 * transformers MllamaVisionModel + MllamaMultiModalProjector (Llama-3.2-Vision), tensor by
 * tensor: patch conv without bias (C x P x P x h), class embedding (h), gated positional
 * embedding (patches + 1 rows, a gate, and a tile embedding of (aspect ratios + 1) rows of
 * tiles x (patches + 1) x h), pre- and post-tile positional embeddings ((aspect ratios + 1) x
 * tiles x h and a gate each), layernorm_pre/post (LayerNorm with bias), num_hidden_layers local
 * and num_global_layers gated encoder layers (biasless q/k/v/o, biased fc1/fc2, two LayerNorms;
 * the gated ones add gate_attn and gate_ffn), and the projector Linear(vision_output_dim, text
 * hidden) with bias.
 */
static lp_status vision_mllama(const lp_cfg *v, int64_t text_hidden, lp_model *m) {
    /* MllamaVisionConfig class defaults */
    static const vision_dims defaults = {1280, 5120, 32, 14, 560, 3};
    vision_dims d;
    lp_status st = read_dims(v, &defaults, "MllamaVisionConfig", &d, m);
    int64_t global = 8, tiles = 4, out = 7680, ratios = 8;
    if (st == LP_OK)
        st = lp_cfg_int(v, "num_global_layers", 0, VIS_MAX_LAYERS, &global, NULL);
    if (st == LP_OK)
        st = lp_cfg_int(v, "max_num_tiles", 1, 64, &tiles, NULL);
    if (st == LP_OK)
        st = lp_cfg_int(v, "vision_output_dim", 1, LP_CFG_MAX_FFN, &out, NULL);
    if (st != LP_OK)
        return st;
    const json_t *sar = lp_cfg_get(v, "supported_aspect_ratios", NULL);
    if (sar && json_is_array(sar) && json_array_size(sar) > 0 && json_array_size(sar) < 256)
        ratios = (int64_t)json_array_size(sar);
    int64_t h = d.hidden, i = d.intermediate, side = d.image / d.patch;
    int64_t positions = side * side + 1;
    int64_t embed = d.channels * d.patch * d.patch * h + h;
    embed += positions * h + 1 + (ratios + 1) * tiles * positions * h;
    embed += 2 * ((ratios + 1) * tiles * h + 1);
    int64_t layer = 4 * h * h + (h * i + i) + (i * h + h) + 2 * (2 * h);
    int64_t tower = embed + 2 * (2 * h) + d.layers * layer + global * (layer + 2);
    m->params_vision = tower + out * text_hidden + text_hidden;
    return LP_OK;
}

/*
 * transformers Gemma4VisionModel + Gemma4MultimodalEmbedder (Gemma 4 31B: 575,743,536 parameters
 * counted tensor by tensor from its safetensors): patch_embedder.input_proj [C*p*p -> h] without
 * bias, position_embedding_table (2 x position_embedding_size x h), encoder layers with bias-free
 * q/k/v/o, q_norm and k_norm over head_dim (the v norm has no weight), a gated MLP (gate, up,
 * down) and four RMSNorms, std_bias and std_scale (h each) when standardize is set; the pooler
 * has no weights; embed_vision.embedding_projection [h -> text hidden] without bias.
 */
static lp_status vision_gemma4(const lp_cfg *root, const lp_cfg *v, int64_t text_hidden,
                               lp_model *m) {
    vision_dims d;
    static const vision_dims no_defaults = {0, 0, 0, 0, 0, 3};
    lp_status st = read_dims(v, &no_defaults, "Gemma4VisionConfig", &d, m);
    int64_t head_dim = 0, heads = 0, positions = 0;
    bool standardize = false, clipped = false;
    if (st == LP_OK)
        st = lp_cfg_int(v, "head_dim", 1, VIS_MAX_WIDTH, &head_dim, NULL);
    if (st == LP_OK)
        st = lp_cfg_int(v, "num_attention_heads", 1, VIS_MAX_WIDTH, &heads, NULL);
    if (st == LP_OK)
        st = lp_cfg_int(v, "position_embedding_size", 1, VIS_MAX_IMAGE * 4, &positions, NULL);
    if (st == LP_OK)
        st = lp_cfg_bool(v, "standardize", &standardize, NULL);
    if (st == LP_OK)
        st = lp_cfg_bool(v, "use_clipped_linears", &clipped, NULL);
    if (st != LP_OK)
        return st;
    static const char *const needed[] = {"hidden_size", "intermediate_size", "num_hidden_layers",
                                         "patch_size", "position_embedding_size"};
    int64_t values[] = {d.hidden, d.intermediate, d.layers, d.patch, positions};
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++)
        if (values[i] <= 0)
            return lp_cfg_fail(v, LP_ERR_MISSING_FIELD, v->prefix, needed[i],
                               "a positive integer (Gemma 4 vision tower)", NULL);
    if (head_dim <= 0)
        head_dim = heads > 0 ? d.hidden / heads : 0;
    if (clipped)
        lp_model_note(m, "vision use_clipped_linears: the clip bounds (4 scalars per linear) are "
                         "not counted");
    (void)root;
    int64_t h = d.hidden, i = d.intermediate;
    int64_t embed = d.channels * d.patch * d.patch * h + 2 * positions * h;
    int64_t layer = 4 * h * h + 2 * head_dim + 3 * h * i + 4 * h;
    m->params_vision = embed + d.layers * layer + (standardize ? 2 * h : 0) + h * text_hidden;
    return LP_OK;
}

/*
 * Qwen3.5's vision tower (transformers Qwen3_5VisionModel = Qwen3VLVisionModel without the
 * DeepStack mergers; vLLM qwen3_5.py reuses Qwen3_VisionTransformer): Conv3d patch embedding
 * with bias (C x T x p x p -> h), learned positions (num_position_embeddings x h), blocks of two
 * LayerNorms (with bias), fused qkv and proj (biased) and a GELU MLP fc1/fc2 (biased), and one
 * PatchMerger: LayerNorm over h, fc1 [h*s^2 -> h*s^2] and fc2 [h*s^2 -> out_hidden_size], biased.
 * Absent fields take the Qwen3_5(Moe)VisionConfig class defaults, noted.
 */
static lp_status vision_qwen3_5(const lp_cfg *v, lp_model *m) {
    int64_t h = 1152, i = 4304, depth = 27, patch = 16, temporal = 2, chans = 3, merge = 2,
            out = 3584, positions = 2304;
    struct {
        const char *key;
        int64_t *dst, max;
    } f[] = {{"hidden_size", &h, VIS_MAX_WIDTH},
             {"intermediate_size", &i, LP_CFG_MAX_FFN},
             {"depth", &depth, VIS_MAX_LAYERS},
             {"patch_size", &patch, VIS_MAX_IMAGE},
             {"temporal_patch_size", &temporal, 16},
             {"spatial_merge_size", &merge, 16},
             {"in_channels", &chans, 64},
             {"out_hidden_size", &out, LP_CFG_MAX_WIDTH},
             {"num_position_embeddings", &positions, VIS_MAX_IMAGE * 4}};
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
        bool present = false;
        lp_status st = lp_cfg_int(v, f[k].key, 1, f[k].max, f[k].dst, &present);
        if (st != LP_OK)
            return st;
        if (!present)
            lp_model_note(m, "%s%s absent: using the Qwen3_5VisionConfig default %lld", v->prefix,
                          f[k].key, (long long)*f[k].dst);
    }
    int64_t embed = chans * temporal * patch * patch * h + h + positions * h;
    int64_t block = 2 * (2 * h) + (h * 3 * h + 3 * h) + (h * h + h) + (h * i + i) + (i * h + h);
    int64_t mh = h * merge * merge;
    int64_t merger = 2 * h + (mh * mh + mh) + (mh * out + out);
    m->params_vision = embed + depth * block + merger;
    return LP_OK;
}

lp_status lp_config_parse_vision(const lp_cfg *root, const char *root_type, int64_t text_hidden,
                                 lp_model *m) {
    lp_cfg v;
    m->params_vision = 0;
    if (!lp_cfg_sub(root, "vision_config", &v)) {
        const char *pfx = "";
        const json_t *bad = lp_cfg_get(root, "vision_config", &pfx);
        if (bad)
            return lp_cfg_fail(root, LP_ERR_PARSE, pfx, "vision_config", "an object", bad);
        bool llava = strcmp(root_type, "llava") == 0 || strcmp(root_type, "llava_next") == 0;
        if (strcmp(root_type, "qwen2_5_vl") != 0 && !llava) {
            lp_model_note(m, "%s config has no vision_config: vision tower not counted", root_type);
            return LP_OK;
        }
        /* Qwen2.5-VL and Llava build their default vision config when it is omitted. */
        json_t *obj = json_object();
        if (!obj)
            return lp_error_set(root->err, LP_ERR_NOMEM, "out of memory reading vision_config");
        lp_cfg_view(&v, obj, "vision_config.", NULL, NULL, root->origin, root->err);
        lp_status st = llava ? vision_llava(root, &v, text_hidden, m) : vision_qwen2_5_vl(&v, m);
        json_decref(obj);
        if (st == LP_OK && strcmp(root_type, "llava_next") == 0)
            m->params_vision += text_hidden; /* image_newline */
        return st;
    }
    if (strcmp(root_type, "gemma3") == 0)
        return vision_gemma3(root, &v, text_hidden, m);
    if (strcmp(root_type, "mistral3") == 0)
        return vision_mistral3(root, &v, text_hidden, m);
    if (strcmp(root_type, "llava") == 0)
        return vision_llava(root, &v, text_hidden, m);
    if (strcmp(root_type, "llama4") == 0)
        return vision_llama4(&v, text_hidden, m);
    if (strcmp(root_type, "qwen2_5_vl") == 0)
        return vision_qwen2_5_vl(&v, m);
    if (strcmp(root_type, "mllama") == 0)
        return vision_mllama(&v, text_hidden, m);
    if (strcmp(root_type, "gemma4") == 0) {
        if (lp_cfg_has(root, "audio_config"))
            lp_model_note(m, "gemma4 audio tower (audio_config) is not counted");
        return vision_gemma4(root, &v, text_hidden, m);
    }
    if (strcmp(root_type, "qwen3_5") == 0 || strcmp(root_type, "qwen3_5_moe") == 0)
        return vision_qwen3_5(&v, m);
    if (strcmp(root_type, "llava_next") == 0) {
        /* LlavaNextForConditionalGeneration: Llava's tower and projector + image_newline, one
         * learned vector of the text width between image rows */
        lp_status st = vision_llava(root, &v, text_hidden, m);
        if (st == LP_OK)
            m->params_vision += text_hidden;
        return st;
    }
    lp_model_note(m, "the %s vision tower is not modelled: its parameters are counted as 0",
                  root_type);
    return LP_OK;
}
