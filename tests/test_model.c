/*
 * test_model.c - config.json parsing, parameter counts and KV bytes per token.
 *
 * Every expected total, active count and KV size below comes from model_configs.md §3/§5
 * (HF safetensors metadata / model cards, cross-checked there), never from this code. The
 * configs are the models' Hugging Face config.json files (fields as published; a few
 * irrelevant keys such as auto_map and token ids are trimmed), written with ' for " to keep
 * them readable: q() converts them.
 */
#include "support/lp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmplan/model.h"

/* Copy of s with every ' replaced by " (test configs contain no apostrophes). */
static char *q(const char *s) {
    size_t n = strlen(s);
    char *out = malloc(n + 1);
    assert_non_null(out);
    for (size_t i = 0; i <= n; i++)
        out[i] = s[i] == '\'' ? '"' : s[i];
    return out;
}

static lp_status parse(const char *single_quoted, lp_model *m, lp_error *err) {
    char *json = q(single_quoted);
    lp_status st = lp_model_from_config_json(json, strlen(json), "config.json", m, err);
    free(json);
    return st;
}

static lp_model *load(const char *single_quoted) {
    lp_model *m = malloc(sizeof *m);
    lp_error err;
    assert_non_null(m);
    lp_status st = parse(single_quoted, m, &err);
    if (st != LP_OK)
        fail_msg("parse failed: %s", err.message);
    return m;
}

/* Parse, then check total (and active / KV bytes per token when non-zero). */
static void check_model(const char *json, int64_t total, int64_t active, double kv_bytes) {
    lp_model *m = load(json);
    if (m->params_total != total)
        fail_msg("%s: params_total %lld, expected %lld (diff %lld)", m->model_type,
                 (long long)m->params_total, (long long)total,
                 (long long)(m->params_total - total));
    if (active)
        assert_int_equal(m->params_active, active);
    if (kv_bytes > 0)
        lp_assert_near(lp_model_kv_bytes_per_token(m, LP_DTYPE_AUTO), kv_bytes, 0.0);
    free(m);
}

static bool has_note(const lp_model *m, const char *needle);

static void assert_contains(const char *haystack, const char *needle) {
    if (!strstr(haystack, needle))
        fail_msg("\"%s\" does not contain \"%s\"", haystack, needle);
}

/* ---- configs --------------------------------------------------------------------------- */

/* meta-llama/Llama-2-7b-hf */
#define LLAMA2(H, I, NH, NKV, L)                                                                   \
    "{'architectures':['LlamaForCausalLM'],'bos_token_id':1,'eos_token_id':2,"                     \
    "'hidden_act':'silu','hidden_size':" #H ",'initializer_range':0.02,"                           \
    "'intermediate_size':" #I ",'max_position_embeddings':4096,'model_type':'llama',"              \
    "'num_attention_heads':" #NH ",'num_hidden_layers':" #L ",'num_key_value_heads':" #NKV         \
    ",'pretraining_tp':1,'rms_norm_eps':1e-05,'rope_scaling':null,'tie_word_embeddings':false,"    \
    "'torch_dtype':'float16','transformers_version':'4.31.0.dev0','use_cache':true,"               \
    "'vocab_size':32000}"

/* meta-llama/Llama-3.1-8B and siblings (rope_scaling llama3, factor 8). */
#define LLAMA31(H, I, NH, L, EXTRA)                                                                \
    "{'architectures':['LlamaForCausalLM'],'attention_bias':false,'attention_dropout':0.0,"        \
    "'bos_token_id':128000,'eos_token_id':128001,'hidden_act':'silu','hidden_size':" #H            \
    ",'initializer_range':0.02,'intermediate_size':" #I ",'max_position_embeddings':131072,"       \
    "'mlp_bias':false,'model_type':'llama','num_attention_heads':" #NH ",'num_hidden_layers':" #L  \
    ",'num_key_value_heads':8,'pretraining_tp':1,"                                                 \
    "'rms_norm_eps':1e-05,'rope_theta':500000.0,'torch_dtype':'bfloat16','use_cache':true,"        \
    "'vocab_size':128256," EXTRA "}"
#define ROPE_LLAMA3(F)                                                                             \
    "'rope_scaling':{'factor':" #F ",'low_freq_factor':1.0,'high_freq_factor':4.0,"                \
    "'original_max_position_embeddings':8192,'rope_type':'llama3'}"

static const char *llama31_8b =
    LLAMA31(4096, 14336, 32, 32, ROPE_LLAMA3(8.0) ",'tie_word_embeddings':false");

/* mistralai/Mistral-7B-v0.1 */
static const char *mistral_v01 =
    "{'architectures':['MistralForCausalLM'],'bos_token_id':1,'eos_token_id':2,"
    "'hidden_act':'silu','hidden_size':4096,'initializer_range':0.02,'intermediate_size':14336,"
    "'max_position_embeddings':32768,'model_type':'mistral','num_attention_heads':32,"
    "'num_hidden_layers':32,'num_key_value_heads':8,'rms_norm_eps':1e-05,'rope_theta':10000.0,"
    "'sliding_window':4096,'tie_word_embeddings':false,'torch_dtype':'bfloat16',"
    "'transformers_version':'4.34.0.dev0','use_cache':true,'vocab_size':32000}";

/* mistralai/Mistral-7B-v0.3 */
static const char *mistral_v03 =
    "{'architectures':['MistralForCausalLM'],'attention_dropout':0.0,'bos_token_id':1,"
    "'eos_token_id':2,'hidden_act':'silu','hidden_size':4096,'initializer_range':0.02,"
    "'intermediate_size':14336,'max_position_embeddings':32768,'model_type':'mistral',"
    "'num_attention_heads':32,'num_hidden_layers':32,'num_key_value_heads':8,"
    "'rms_norm_eps':1e-05,'rope_theta':1000000.0,'sliding_window':null,"
    "'tie_word_embeddings':false,'torch_dtype':'bfloat16','use_cache':true,'vocab_size':32768}";

/* mistralai/Mixtral-8x7B-v0.1 and Mixtral-8x22B-v0.1 */
#define MIXTRAL(H, I, NH, L, MAXPOS)                                                               \
    "{'architectures':['MixtralForCausalLM'],'attention_dropout':0.0,'bos_token_id':1,"            \
    "'eos_token_id':2,'hidden_act':'silu','hidden_size':" #H ",'initializer_range':0.02,"          \
    "'intermediate_size':" #I ",'max_position_embeddings':" #MAXPOS ",'model_type':'mixtral',"     \
    "'num_attention_heads':" #NH ",'num_experts_per_tok':2,'num_hidden_layers':" #L                \
    ",'num_key_value_heads':8,'num_local_experts':8,'output_router_logits':false,"                 \
    "'rms_norm_eps':1e-05,'rope_theta':1000000.0,'router_aux_loss_coef':0.02,"                     \
    "'sliding_window':null,'tie_word_embeddings':false,'torch_dtype':'bfloat16',"                  \
    "'use_cache':true,'vocab_size':32000}"

/* Qwen/Qwen2.5-0.5B, -7B, -72B */
#define QWEN25(H, I, NH, NKV, L, MAXPOS, TIE)                                                      \
    "{'architectures':['Qwen2ForCausalLM'],'attention_dropout':0.0,'bos_token_id':151643,"         \
    "'eos_token_id':151643,'hidden_act':'silu','hidden_size':" #H ",'initializer_range':0.02,"     \
    "'intermediate_size':" #I ",'max_position_embeddings':" #MAXPOS ",'max_window_layers':" #L     \
    ",'model_type':'qwen2','num_attention_heads':" #NH ",'num_hidden_layers':" #L                  \
    ",'num_key_value_heads':" #NKV ",'rms_norm_eps':1e-06,'rope_theta':1000000.0,"                 \
    "'sliding_window':" #MAXPOS ",'tie_word_embeddings':" #TIE ",'torch_dtype':'bfloat16',"        \
    "'use_cache':true,'use_mrope':false,'use_sliding_window':false,"

/* Qwen/Qwen3-8B, -32B */
#define QWEN3(H, I, NH, L)                                                                         \
    "{'architectures':['Qwen3ForCausalLM'],'attention_bias':false,'attention_dropout':0.0,"        \
    "'bos_token_id':151643,'eos_token_id':151645,'head_dim':128,'hidden_act':'silu',"              \
    "'hidden_size':" #H ",'initializer_range':0.02,'intermediate_size':" #I                        \
    ",'max_position_embeddings':40960,'max_window_layers':" #L ",'model_type':'qwen3',"            \
    "'num_attention_heads':" #NH ",'num_hidden_layers':" #L ",'num_key_value_heads':8,"            \
    "'rms_norm_eps':1e-06,'rope_scaling':null,'rope_theta':1000000,'sliding_window':null,"         \
    "'tie_word_embeddings':false,'torch_dtype':'bfloat16','use_cache':true,"                       \
    "'use_sliding_window':false,'vocab_size':151936}"

/* Qwen/Qwen3-30B-A3B, Qwen3-235B-A22B */
#define QWEN3MOE(H, I, MI, NH, L)                                                                  \
    "{'architectures':['Qwen3MoeForCausalLM'],'attention_bias':false,'attention_dropout':0.0,"     \
    "'bos_token_id':151643,'decoder_sparse_step':1,'eos_token_id':151645,'head_dim':128,"          \
    "'hidden_act':'silu','hidden_size':" #H ",'initializer_range':0.02,'intermediate_size':" #I    \
    ",'max_position_embeddings':40960,'max_window_layers':" #L ",'mlp_only_layers':[],"            \
    "'model_type':'qwen3_moe','moe_intermediate_size':" #MI ",'norm_topk_prob':true,"              \
    "'num_attention_heads':" #NH ",'num_experts':128,'num_experts_per_tok':8,"                     \
    "'num_hidden_layers':" #L ",'num_key_value_heads':4,'output_router_logits':false,"             \
    "'rms_norm_eps':1e-06,'rope_scaling':null,'rope_theta':1000000.0,"                             \
    "'router_aux_loss_coef':0.001,'sliding_window':null,'tie_word_embeddings':false,"              \
    "'torch_dtype':'bfloat16','use_cache':true,'use_sliding_window':false,"                        \
    "'vocab_size':151936}"

/* deepseek-ai/DeepSeek-V3 */
static const char *deepseek_v3 =
    "{'architectures':['DeepseekV3ForCausalLM'],'attention_bias':false,"
    "'attention_dropout':0.0,'aux_loss_alpha':0.001,'bos_token_id':0,'eos_token_id':1,"
    "'ep_size':1,'first_k_dense_replace':3,'hidden_act':'silu','hidden_size':7168,"
    "'initializer_range':0.02,'intermediate_size':18432,'kv_lora_rank':512,"
    "'max_position_embeddings':163840,'model_type':'deepseek_v3','moe_intermediate_size':2048,"
    "'moe_layer_freq':1,'n_group':8,'n_routed_experts':256,'n_shared_experts':1,"
    "'norm_topk_prob':true,'num_attention_heads':128,'num_experts_per_tok':8,"
    "'num_hidden_layers':61,'num_key_value_heads':128,'num_nextn_predict_layers':1,"
    "'q_lora_rank':1536,'qk_nope_head_dim':128,'qk_rope_head_dim':64,"
    "'quantization_config':{'activation_scheme':'dynamic','fmt':'e4m3','quant_method':'fp8',"
    "'weight_block_size':[128,128]},'rms_norm_eps':1e-06,"
    "'rope_scaling':{'beta_fast':32,'beta_slow':1,'factor':40,'mscale':1.0,"
    "'mscale_all_dim':1.0,'original_max_position_embeddings':4096,'type':'yarn'},"
    "'rope_theta':10000,'routed_scaling_factor':2.5,'scoring_func':'sigmoid','seq_aux':true,"
    "'tie_word_embeddings':false,'topk_group':4,'topk_method':'noaux_tc',"
    "'torch_dtype':'bfloat16','transformers_version':'4.33.1','use_cache':true,"
    "'v_head_dim':128,'vocab_size':129280}";

/* deepseek-ai/DeepSeek-V2 */
static const char *deepseek_v2 =
    "{'architectures':['DeepseekV2ForCausalLM'],'attention_bias':false,"
    "'attention_dropout':0.0,'aux_loss_alpha':0.001,'bos_token_id':100000,"
    "'eos_token_id':100001,'first_k_dense_replace':1,'hidden_act':'silu','hidden_size':5120,"
    "'initializer_range':0.02,'intermediate_size':12288,'kv_lora_rank':512,"
    "'max_position_embeddings':163840,'model_type':'deepseek_v2','moe_intermediate_size':1536,"
    "'moe_layer_freq':1,'n_group':8,'n_routed_experts':160,'n_shared_experts':2,"
    "'norm_topk_prob':false,'num_attention_heads':128,'num_experts_per_tok':6,"
    "'num_hidden_layers':60,'num_key_value_heads':128,'pretraining_tp':1,'q_lora_rank':1536,"
    "'qk_nope_head_dim':128,'qk_rope_head_dim':64,'rms_norm_eps':1e-06,"
    "'rope_scaling':{'beta_fast':32,'beta_slow':1,'factor':40,'mscale':0.707,"
    "'mscale_all_dim':0.707,'original_max_position_embeddings':4096,'type':'yarn'},"
    "'rope_theta':10000,'routed_scaling_factor':16.0,'scoring_func':'softmax','seq_aux':true,"
    "'tie_word_embeddings':false,'topk_group':3,'topk_method':'group_limited_greedy',"
    "'torch_dtype':'bfloat16','use_cache':true,'v_head_dim':128,'vocab_size':102400}";

/* deepseek-ai/DeepSeek-V2-Lite */
static const char *deepseek_v2_lite =
    "{'architectures':['DeepseekV2ForCausalLM'],'attention_bias':false,"
    "'attention_dropout':0.0,'aux_loss_alpha':0.001,'bos_token_id':100000,"
    "'eos_token_id':100001,'first_k_dense_replace':1,'hidden_act':'silu','hidden_size':2048,"
    "'initializer_range':0.02,'intermediate_size':10944,'kv_lora_rank':512,"
    "'max_position_embeddings':163840,'model_type':'deepseek_v2','moe_intermediate_size':1408,"
    "'moe_layer_freq':1,'n_group':1,'n_routed_experts':64,'n_shared_experts':2,"
    "'norm_topk_prob':false,'num_attention_heads':16,'num_experts_per_tok':6,"
    "'num_hidden_layers':27,'num_key_value_heads':16,'pretraining_tp':1,'q_lora_rank':null,"
    "'qk_nope_head_dim':128,'qk_rope_head_dim':64,'rms_norm_eps':1e-06,"
    "'rope_scaling':{'beta_fast':32,'beta_slow':1,'factor':40,'mscale':0.707,"
    "'mscale_all_dim':0.707,'original_max_position_embeddings':4096,'type':'yarn'},"
    "'rope_theta':10000,'routed_scaling_factor':1.0,'scoring_func':'softmax','seq_aux':true,"
    "'tie_word_embeddings':false,'topk_group':1,'topk_method':'greedy',"
    "'torch_dtype':'bfloat16','use_cache':true,'v_head_dim':128,'vocab_size':102400}";

/* openai/gpt-oss-20b and gpt-oss-120b (layer_types alternate sliding/full). */
#define SF2 "'sliding_attention','full_attention'"
#define SF12 SF2 "," SF2 "," SF2 "," SF2 "," SF2 "," SF2
#define GPT_OSS(L, E, TYPES)                                                                       \
    "{'architectures':['GptOssForCausalLM'],'attention_bias':true,'attention_dropout':0.0,"        \
    "'eos_token_id':200002,'experts_per_token':4,'head_dim':64,'hidden_act':'silu',"               \
    "'hidden_size':2880,'initial_context_length':4096,'initializer_range':0.02,"                   \
    "'intermediate_size':2880,'layer_types':[" TYPES "],'max_position_embeddings':131072,"         \
    "'model_type':'gpt_oss','num_attention_heads':64,'num_experts_per_tok':4,"                     \
    "'num_hidden_layers':" #L ",'num_key_value_heads':8,'num_local_experts':" #E ","               \
    "'output_router_logits':false,'pad_token_id':199999,'quantization_config':{"                   \
    "'modules_to_not_convert':['model.layers.*.self_attn','model.layers.*.mlp.router',"            \
    "'model.embed_tokens','lm_head'],'quant_method':'mxfp4'},'rms_norm_eps':1e-05,"                \
    "'rope_scaling':{'beta_fast':32.0,'beta_slow':1.0,'factor':32.0,"                              \
    "'original_max_position_embeddings':4096,'rope_type':'yarn','truncate':false},"                \
    "'rope_theta':150000,'router_aux_loss_coef':0.9,'sliding_window':128,'swiglu_limit':7.0,"      \
    "'tie_word_embeddings':false,'transformers_version':'4.55.0.dev0','use_cache':true,"           \
    "'vocab_size':201088}"
static const char *gpt_oss_20b = GPT_OSS(24, 32, SF12 "," SF12);
static const char *gpt_oss_120b = GPT_OSS(36, 128, SF12 "," SF12 "," SF12);

/* google/gemma-2-2b, -9b, -27b */
#define GEMMA2(H, I, NH, NKV, D, L, QPAS, DTYPE)                                                   \
    "{'architectures':['Gemma2ForCausalLM'],'attention_bias':false,'attention_dropout':0.0,"       \
    "'attn_logit_softcapping':50.0,'bos_token_id':2,'cache_implementation':'hybrid',"              \
    "'eos_token_id':1,'final_logit_softcapping':30.0,'head_dim':" #D ","                           \
    "'hidden_act':'gelu_pytorch_tanh','hidden_activation':'gelu_pytorch_tanh',"                    \
    "'hidden_size':" #H ",'initializer_range':0.02,'intermediate_size':" #I ","                    \
    "'max_position_embeddings':8192,'model_type':'gemma2','num_attention_heads':" #NH ","          \
    "'num_hidden_layers':" #L ",'num_key_value_heads':" #NKV ",'pad_token_id':0,"                  \
    "'query_pre_attn_scalar':" #QPAS ",'rms_norm_eps':1e-06,'rope_theta':10000.0,"                 \
    "'sliding_window':4096,'torch_dtype':'" DTYPE "','transformers_version':'4.42.4',"             \
    "'use_cache':true,'vocab_size':256000}"

/* google/gemma-3-1b-it (text-only Gemma3ForCausalLM) */
static const char *gemma3_1b =
    "{'architectures':['Gemma3ForCausalLM'],'attention_bias':false,'attention_dropout':0.0,"
    "'attn_logit_softcapping':null,'bos_token_id':2,'cache_implementation':'hybrid',"
    "'eos_token_id':[1,106],'final_logit_softcapping':null,'head_dim':256,"
    "'hidden_activation':'gelu_pytorch_tanh','hidden_size':1152,'initializer_range':0.02,"
    "'intermediate_size':6912,'max_position_embeddings':32768,'model_type':'gemma3_text',"
    "'num_attention_heads':4,'num_hidden_layers':26,'num_key_value_heads':1,'pad_token_id':0,"
    "'query_pre_attn_scalar':256,'rms_norm_eps':1e-06,'rope_local_base_freq':10000,"
    "'rope_scaling':null,'rope_theta':1000000,'sliding_window':512,"
    "'sliding_window_pattern':6,'torch_dtype':'bfloat16','transformers_version':'4.50.0.dev0',"
    "'use_cache':true,'vocab_size':262144}";

/* google/gemma-3-4b-it / 12b-it / 27b-it: Gemma3ForConditionalGeneration; text_config lists
 * only the non-default fields, vision_config is SigLIP so400m. */
#define GEMMA3_MM(TEXT)                                                                            \
    "{'architectures':['Gemma3ForConditionalGeneration'],'boi_token_index':255999,"                \
    "'eoi_token_index':256000,'eos_token_id':[1,106],'image_token_index':262144,"                  \
    "'initializer_range':0.02,'mm_tokens_per_image':256,'model_type':'gemma3',"                    \
    "'text_config':{" TEXT ",'model_type':'gemma3_text','rope_scaling':{'factor':8.0,"             \
    "'rope_type':'linear'},'sliding_window':1024},'torch_dtype':'bfloat16',"                       \
    "'transformers_version':'4.50.0.dev0','vision_config':{'hidden_size':1152,"                    \
    "'image_size':896,'intermediate_size':4304,'model_type':'siglip_vision_model',"                \
    "'num_attention_heads':16,'num_hidden_layers':27,'patch_size':14,"                             \
    "'vision_use_head':false}}"
static const char *gemma3_4b =
    GEMMA3_MM("'hidden_size':2560,'intermediate_size':10240,'num_hidden_layers':34");
static const char *gemma3_12b =
    GEMMA3_MM("'hidden_size':3840,'intermediate_size':15360,'num_attention_heads':16,"
              "'num_hidden_layers':48,'num_key_value_heads':8");
static const char *gemma3_27b =
    GEMMA3_MM("'head_dim':128,'hidden_size':5376,'intermediate_size':21504,"
              "'num_attention_heads':32,'num_hidden_layers':62,'num_key_value_heads':16,"
              "'query_pre_attn_scalar':168");

/* microsoft/Phi-3-mini-4k-instruct */
static const char *phi3_mini =
    "{'architectures':['Phi3ForCausalLM'],'attention_bias':false,'attention_dropout':0.0,"
    "'bos_token_id':1,'embd_pdrop':0.0,'eos_token_id':32000,'hidden_act':'silu',"
    "'hidden_size':3072,'initializer_range':0.02,'intermediate_size':8192,"
    "'max_position_embeddings':4096,'model_type':'phi3','num_attention_heads':32,"
    "'num_hidden_layers':32,'num_key_value_heads':32,'original_max_position_embeddings':4096,"
    "'pad_token_id':32000,'resid_pdrop':0.0,'rms_norm_eps':1e-05,'rope_scaling':null,"
    "'rope_theta':10000.0,'sliding_window':2047,'tie_word_embeddings':false,"
    "'torch_dtype':'bfloat16','transformers_version':'4.40.2','use_cache':true,"
    "'vocab_size':32064}";

/* microsoft/phi-4 */
static const char *phi4 =
    "{'architectures':['Phi3ForCausalLM'],'attention_bias':false,'attention_dropout':0.0,"
    "'bos_token_id':100257,'embd_pdrop':0.0,'eos_token_id':100265,'hidden_act':'silu',"
    "'hidden_size':5120,'initializer_range':0.02,'intermediate_size':17920,"
    "'max_position_embeddings':16384,'model_type':'phi3','num_attention_heads':40,"
    "'num_hidden_layers':40,'num_key_value_heads':10,'original_max_position_embeddings':16384,"
    "'pad_token_id':100349,'resid_pdrop':0.0,'rms_norm_eps':1e-05,'rope_scaling':null,"
    "'rope_theta':250000,'sliding_window':null,'tie_word_embeddings':false,"
    "'torch_dtype':'bfloat16','use_cache':true,'vocab_size':100352}";

/* tiiuae/falcon-7b */
static const char *falcon_7b =
    "{'alibi':false,'apply_residual_connection_post_layernorm':false,"
    "'architectures':['FalconForCausalLM'],'attention_dropout':0.0,'bias':false,"
    "'bos_token_id':11,'eos_token_id':11,'hidden_dropout':0.0,'hidden_size':4544,"
    "'initializer_range':0.02,'layer_norm_epsilon':1e-05,'model_type':'falcon',"
    "'multi_query':true,'new_decoder_architecture':false,'num_attention_heads':71,"
    "'num_hidden_layers':32,'parallel_attn':true,'torch_dtype':'bfloat16',"
    "'transformers_version':'4.27.4','use_cache':true,'vocab_size':65024}";

/* meta-llama/Llama-4-Scout-17B-16E-Instruct / Llama-4-Maverick-17B-128E-Instruct */
#define LLAMA4(STEP, E, MAXPOS, ROPE, QKNORM)                                                      \
    "{'architectures':['Llama4ForConditionalGeneration'],'boi_token_index':200080,"                \
    "'eoi_token_index':200081,'image_token_index':200092,'model_type':'llama4',"                   \
    "'text_config':{'attention_bias':false,'attention_chunk_size':8192,"                           \
    "'attention_dropout':0.0,'bos_token_id':200000,'eos_token_id':[200001,200007,200008],"         \
    "'for_llm_compressor':false,'head_dim':128,'hidden_act':'silu','hidden_size':5120,"            \
    "'initializer_range':0.02,'interleave_moe_layer_step':" #STEP ","                              \
    "'intermediate_size':8192,'intermediate_size_mlp':16384,"                                      \
    "'max_position_embeddings':" #MAXPOS ",'model_type':'llama4_text','no_rope_layers':[],"        \
    "'num_attention_heads':40,'num_experts_per_tok':1,'num_hidden_layers':48,"                     \
    "'num_key_value_heads':8,'num_local_experts':" #E ",'output_router_logits':false,"             \
    "'pad_token_id':200018,'rms_norm_eps':1e-05,'rope_scaling':" ROPE ","                          \
    "'rope_theta':500000.0,'router_aux_loss_coef':0.001,'router_jitter_noise':0.0,"                \
    "'torch_dtype':'bfloat16','use_cache':true,'use_qk_norm':" #QKNORM ","                         \
    "'vocab_size':202048},'tie_word_embeddings':false,'torch_dtype':'bfloat16',"                   \
    "'transformers_version':'4.51.0.dev0','vision_config':{'attention_dropout':0.0,"               \
    "'hidden_act':'gelu','hidden_size':1408,'image_size':336,'initializer_range':0.02,"            \
    "'intermediate_size':5632,'model_type':'llama4_vision_model',"                                 \
    "'multi_modal_projector_bias':false,'norm_eps':1e-05,'num_attention_heads':16,"                \
    "'num_channels':3,'num_hidden_layers':34,'patch_size':14,'pixel_shuffle_ratio':0.5,"           \
    "'projector_dropout':0.0,'projector_input_dim':4096,'projector_output_dim':4096,"              \
    "'rope_theta':10000,'vision_feature_layer':-1,"                                                \
    "'vision_feature_select_strategy':'default','vision_output_dim':4096}}"
static const char *llama4_scout =
    LLAMA4(1, 16, 10485760,
           "{'factor':8.0,'high_freq_factor':1.0,'low_freq_factor':1.0,"
           "'original_max_position_embeddings':8192,'rope_type':'llama3'}",
           true);
static const char *llama4_maverick = LLAMA4(2, 128, 1048576, "null", false);

/* Qwen/Qwen2.5-VL-7B-Instruct (text fields at the root, as in the published file) */
static const char *qwen25_vl_7b =
    "{'architectures':['Qwen2_5_VLForConditionalGeneration'],'attention_dropout':0.0,"
    "'bos_token_id':151643,'eos_token_id':151645,'vision_start_token_id':151652,"
    "'vision_end_token_id':151653,'vision_token_id':151654,'image_token_id':151655,"
    "'video_token_id':151656,'hidden_act':'silu','hidden_size':3584,'initializer_range':0.02,"
    "'intermediate_size':18944,'max_position_embeddings':128000,'max_window_layers':28,"
    "'model_type':'qwen2_5_vl','num_attention_heads':28,'num_hidden_layers':28,"
    "'num_key_value_heads':4,'rms_norm_eps':1e-06,'rope_theta':1000000.0,"
    "'sliding_window':32768,'tie_word_embeddings':false,'torch_dtype':'bfloat16',"
    "'transformers_version':'4.41.2','use_cache':true,'use_sliding_window':false,"
    "'vision_config':{'depth':32,'hidden_act':'silu','hidden_size':1280,"
    "'intermediate_size':3420,'num_heads':16,'in_chans':3,'out_hidden_size':3584,"
    "'patch_size':14,'spatial_merge_size':2,'spatial_patch_size':14,'window_size':112,"
    "'fullatt_block_indexes':[7,15,23,31],'tokens_per_second':2,'temporal_patch_size':2},"
    "'rope_scaling':{'type':'mrope','mrope_section':[16,24,24]},'vocab_size':152064}";

/* mistralai/Mistral-Small-3.1-24B-Instruct-2503 */
static const char *mistral_small_31 =
    "{'architectures':['Mistral3ForConditionalGeneration'],'image_token_index':10,"
    "'model_type':'mistral3','multimodal_projector_bias':false,'projector_hidden_act':'gelu',"
    "'spatial_merge_size':2,'text_config':{'attention_dropout':0.0,'head_dim':128,"
    "'hidden_act':'silu','hidden_size':5120,'initializer_range':0.02,"
    "'intermediate_size':32768,'max_position_embeddings':131072,'model_type':'mistral',"
    "'num_attention_heads':32,'num_hidden_layers':40,'num_key_value_heads':8,"
    "'rms_norm_eps':1e-05,'rope_theta':1000000000.0,'sliding_window':null,'use_cache':true,"
    "'vocab_size':131072},'torch_dtype':'bfloat16','transformers_version':'4.50.0.dev0',"
    "'vision_config':{'attention_dropout':0.0,'head_dim':64,'hidden_act':'silu',"
    "'hidden_size':1024,'image_size':1540,'initializer_range':0.02,'intermediate_size':4096,"
    "'model_type':'pixtral','num_attention_heads':16,'num_channels':3,'num_hidden_layers':24,"
    "'patch_size':14,'rope_theta':10000.0},'vision_feature_layer':-1}";

/* llava-hf/llava-1.5-7b-hf: text_config relies on LlamaConfig class defaults. */
static const char *llava_15_7b =
    "{'architectures':['LlavaForConditionalGeneration'],'ignore_index':-100,"
    "'image_token_index':32000,'model_type':'llava','pad_token_id':32001,"
    "'projector_hidden_act':'gelu','text_config':{'_name_or_path':'lmsys/vicuna-7b-v1.5',"
    "'architectures':['LlamaForCausalLM'],'max_position_embeddings':4096,'model_type':'llama',"
    "'rms_norm_eps':1e-05,'torch_dtype':'float16','vocab_size':32064},"
    "'tie_word_embeddings':false,'torch_dtype':'float16','transformers_version':'4.36.0.dev0',"
    "'vision_config':{'hidden_size':1024,'image_size':336,'intermediate_size':4096,"
    "'model_type':'clip_vision_model','num_attention_heads':16,'num_hidden_layers':24,"
    "'patch_size':14,'projection_dim':768,'vocab_size':32000},'vision_feature_layer':-2,"
    "'vision_feature_select_strategy':'default','vocab_size':32064}";

/* ---- published totals (model_configs.md §5) and KV bytes/token (§3) -------------------- */

#define MODEL_TEST(name, json, total, active, kv)                                                  \
    static void name(void **state) {                                                               \
        (void)state;                                                                               \
        check_model(json, total, active, kv);                                                      \
    }

MODEL_TEST(llama2_7b, LLAMA2(4096, 11008, 32, 32, 32), 6738415616, 0, 524288)
MODEL_TEST(llama2_13b, LLAMA2(5120, 13824, 40, 40, 40), 13015864320, 0, 819200)
MODEL_TEST(llama2_70b, LLAMA2(8192, 28672, 64, 8, 80), 68976648192, 0, 327680)
MODEL_TEST(llama31_8b_total, llama31_8b, 8030261248, 0, 131072)
MODEL_TEST(llama31_70b,
           LLAMA31(8192, 28672, 64, 80, ROPE_LLAMA3(8.0) ",'tie_word_embeddings':false"),
           70553706496, 0, 327680)
MODEL_TEST(llama31_405b,
           LLAMA31(16384, 53248, 128, 126, ROPE_LLAMA3(8.0) ",'tie_word_embeddings':false"),
           405853388800, 0, 516096)
MODEL_TEST(llama32_1b,
           LLAMA31(2048, 8192, 32, 16,
                   ROPE_LLAMA3(32.0) ",'head_dim':64,'tie_word_embeddings':true"),
           1235814400, 0, 32768)
MODEL_TEST(llama32_3b,
           LLAMA31(3072, 8192, 24, 28,
                   ROPE_LLAMA3(32.0) ",'head_dim':128,'tie_word_embeddings':true"),
           3212749824, 0, 114688)
MODEL_TEST(mistral_7b_v01, mistral_v01, 7241732096, 0, 131072)
MODEL_TEST(mistral_7b_v03, mistral_v03, 7248023552, 0, 131072)
MODEL_TEST(mixtral_8x7b, MIXTRAL(4096, 14336, 32, 32, 32768), 46702792704, 12879925248, 131072)
MODEL_TEST(mixtral_8x22b, MIXTRAL(6144, 16384, 48, 56, 65536), 140620634112, 0, 229376)
MODEL_TEST(qwen25_0_5b, QWEN25(896, 4864, 14, 2, 24, 32768, true) "'vocab_size':151936}", 494032768,
           0, 12288)
MODEL_TEST(qwen25_7b, QWEN25(3584, 18944, 28, 4, 28, 131072, false) "'vocab_size':152064}",
           7615616512, 0, 57344)
MODEL_TEST(qwen25_72b, QWEN25(8192, 29568, 64, 8, 80, 131072, false) "'vocab_size':152064}",
           72706203648, 0, 327680)
MODEL_TEST(qwen3_8b, QWEN3(4096, 12288, 32, 36), 8190735360, 0, 147456)
MODEL_TEST(qwen3_32b, QWEN3(5120, 25600, 64, 64), 32762123264, 0, 262144)
MODEL_TEST(qwen3_30b_a3b, QWEN3MOE(2048, 6144, 768, 32, 48), 30532122624, 3353032704, 98304)
MODEL_TEST(qwen3_235b_a22b, QWEN3MOE(4096, 12288, 1536, 64, 94), 235093634560, 22190763520, 192512)
MODEL_TEST(deepseek_v3_total, deepseek_v3, 671026419200, 37552297472, 70272)
MODEL_TEST(deepseek_v2_total, deepseek_v2, 235741434880, 0, 60 * 1152)
MODEL_TEST(deepseek_v2_lite_total, deepseek_v2_lite, 15706484224, 0, 27 * 1152)
MODEL_TEST(gpt_oss_20b_total, gpt_oss_20b, 20914757184, 0, 49152)
MODEL_TEST(gpt_oss_120b_total, gpt_oss_120b, 116829156672, 0, 73728)
MODEL_TEST(gemma2_2b, GEMMA2(2304, 9216, 8, 4, 256, 26, 256, "float32"), 2614341888, 0, 0)
MODEL_TEST(gemma2_9b, GEMMA2(3584, 14336, 16, 8, 256, 42, 256, "float32"), 9241705984, 0, 344064)
MODEL_TEST(gemma2_27b, GEMMA2(4608, 36864, 32, 16, 128, 46, 144, "float32"), 27227128320, 0, 376832)
MODEL_TEST(gemma3_1b_total, gemma3_1b, 999885952, 0, 26624)
MODEL_TEST(gemma3_4b_total, gemma3_4b, 4300079472, 0, 0)
MODEL_TEST(gemma3_12b_total, gemma3_12b, 12187325040, 0, 0)
MODEL_TEST(gemma3_27b_total, gemma3_27b, 27432406640, 0, 507904)
MODEL_TEST(phi3_mini_total, phi3_mini, 3821079552, 0, 393216)
MODEL_TEST(phi4_total, phi4, 14659507200, 0, 204800)
MODEL_TEST(falcon_7b_total, falcon_7b, 6921720704, 0, 8192)
MODEL_TEST(llama4_scout_total, llama4_scout, 108641793536, 0, 196608)
MODEL_TEST(llama4_maverick_total, llama4_maverick, 401583781376, 0, 196608)
MODEL_TEST(qwen25_vl_7b_total, qwen25_vl_7b, 8292166656, 0, 57344)
MODEL_TEST(mistral_small_31_total, mistral_small_31, 24011361280, 0, 0)

/* Splits of the multimodal totals given in model_configs.md §5. */
static void multimodal_splits(void **state) {
    (void)state;
    lp_model *m = load(gemma3_4b);
    /* text 3,880,263,168 + SigLIP 416,866,032 + norm 1,152 + projection 2,949,120 */
    assert_int_equal(m->params_vision, 416866032 + 1152 + 2949120);
    assert_int_equal(m->params_total - m->params_vision, 3880263168);
    free(m);
    m = load(gemma3_12b);
    assert_int_equal(m->params_total - m->params_vision, 11766034176);
    free(m);
    m = load(gemma3_27b);
    assert_int_equal(m->params_vision, 416866032 + 1152 + 6193152);
    assert_int_equal(m->params_total - m->params_vision, 27009346304);
    free(m);
    m = load(llama4_scout);
    assert_int_equal(m->params_vision, 871932416);
    assert_int_equal(m->params_total - m->params_vision, 107769861120);
    /* active 17,172,894,720 is the text model's */
    assert_int_equal(m->params_active - m->params_vision, 17172894720);
    free(m);
    m = load(llama4_maverick);
    assert_int_equal(m->params_vision, 871932416);
    assert_int_equal(m->params_total - m->params_vision, 400711848960);
    free(m);
    m = load(qwen25_vl_7b);
    assert_int_equal(m->params_vision, 676550144);
    assert_int_equal(m->params_total - m->params_vision, 7615616512);
    assert_string_equal(m->model_type, "qwen2_5_vl_text");
    free(m);
    m = load(mistral_small_31);
    assert_int_equal(m->params_total - m->params_vision, 23572403200);
    assert_string_equal(m->model_type, "mistral");
    free(m);
}

/* Llava-1.5-7B: the Hub page shows "7.06B params" (rounded); CLIP ViT-L/14-336 tower. */
static void llava_defaults(void **state) {
    (void)state;
    lp_model *m = load(llava_15_7b);
    assert_string_equal(m->model_type, "llama");
    assert_int_equal(m->hidden_size, 4096);
    assert_int_equal(m->num_layers, 32);
    assert_int_equal(m->vocab_size, 32064);
    assert_true(has_note(m, "LlamaConfig"));
    lp_assert_near((double)m->params_total, 7.06e9, 0.005e9);
    assert_true(m->params_vision > 300000000 && m->params_vision < 330000000);
    free(m);
    /* outside a llava wrapper the same omission is an error */
    lp_error err;
    lp_model m2;
    assert_int_equal(parse("{'model_type':'llama','vocab_size':32064}", &m2, &err),
                     LP_ERR_MISSING_FIELD);
}

/* DeepSeek-V3: MTP layer 61 is stored but not loaded (13,463,426,304, model_configs.md §6.4);
 * FP8 block quantization; MLA KV 576 elements per layer. */
static void deepseek_v3_details(void **state) {
    (void)state;
    lp_model *m = load(deepseek_v3);
    assert_int_equal(m->num_layers, 61);
    assert_int_equal(m->num_mtp_layers, 1);
    assert_int_equal(m->params_mtp, 13463426304);
    assert_true(m->use_mla);
    assert_int_equal(lp_model_num_moe_layers(m), 58);
    assert_true(m->expert_score_bias);
    assert_int_equal(m->quant.method, LP_QUANT_FP8);
    assert_string_equal(m->quant.vllm_name, "fp8");
    assert_true(m->quant.weight_block);
    assert_true(m->quant.activations);
    assert_int_equal(m->quant.group_size, 128);
    lp_assert_near(lp_model_kv_bytes_per_token_layer(m, 0, LP_DTYPE_AUTO), 1152, 0);
    lp_assert_near(lp_model_kv_bytes_per_token(m, LP_DTYPE_FP8), 35136, 0);
    int64_t counts[6];
    lp_model_layer_kind_counts(m, counts);
    assert_int_equal(counts[LP_ATTN_MLA], 61);
    /* derived max_model_len: yarn original 4096 * 40 */
    assert_int_equal(m->derived_max_model_len, 163840);
    /* V2 uses group_limited_greedy: no e_score_correction_bias */
    free(m);
    m = load(deepseek_v2);
    assert_false(m->expert_score_bias);
    assert_int_equal(m->params_mtp, 0);
    free(m);
    m = load(deepseek_v2_lite);
    assert_int_equal(m->q_lora_rank, 0);
    free(m);
}

/* gpt-oss: vendor "active" excludes the input embedding: 5.13B / 3.61B (model cards). */
static void gpt_oss_details(void **state) {
    (void)state;
    lp_model *m = load(gpt_oss_120b);
    lp_param_breakdown b;
    lp_model_param_breakdown(m, &b);
    assert_int_equal(b.total, m->params_total);
    lp_assert_near((double)(m->params_active - b.embed), 5.13e9, 0.005e9);
    assert_true(m->attn_sinks && m->router_bias && m->expert_bias && m->qkv_bias && m->o_bias);
    assert_int_equal(m->quant.method, LP_QUANT_MXFP4);
    assert_string_equal(m->quant.vllm_name, "mxfp4");
    assert_true(m->quant.experts_only);
    assert_int_equal(m->quant.bits, 4);
    assert_int_equal(m->quant.group_size, 32);
    int64_t counts[6];
    lp_model_layer_kind_counts(m, counts);
    assert_int_equal(counts[LP_ATTN_SLIDING], 18);
    assert_int_equal(counts[LP_ATTN_FULL], 18);
    assert_int_equal(m->layer_attn[0], LP_ATTN_SLIDING);
    assert_int_equal(m->layer_attn[1], LP_ATTN_FULL);
    assert_int_equal(m->sliding_window, 128);
    /* yarn: original_max_position_embeddings 4096 * factor 32 */
    assert_int_equal(m->derived_max_model_len, 131072);
    free(m);
    m = load(gpt_oss_20b);
    lp_model_param_breakdown(m, &b);
    lp_assert_near((double)(m->params_active - b.embed), 3.61e9, 0.005e9);
    free(m);
}

/* Mixtral-8x7B active 12,879,925,248 comes with the table; check the breakdown adds up. */
static void breakdown_sums(void **state) {
    (void)state;
    lp_model *m = load(MIXTRAL(4096, 14336, 32, 32, 32768));
    lp_param_breakdown b;
    lp_model_param_breakdown(m, &b);
    int64_t sum = 0;
    for (int64_t i = 0; i < m->num_layers; i++) {
        lp_layer_params p;
        lp_model_layer_params(m, i, &p);
        sum +=
            p.attn_sharded + p.attn_kv + p.attn_replicated + p.mlp_dense + p.mlp_experts + p.small;
        assert_int_equal(p.expert_one, 3 * 4096 * 14336);
        assert_int_equal(p.attn_kv, 2 * 4096 * 8 * 128);
    }
    assert_int_equal(b.total, b.embed + b.lm_head + b.final_norm + sum);
    assert_int_equal(b.lm_head, b.embed);
    /* out-of-range layer: zeros, no crash */
    lp_layer_params z;
    lp_model_layer_params(m, 32, &z);
    assert_int_equal(z.attn_sharded, 0);
    lp_assert_near(lp_model_kv_bytes_per_token_layer(m, -1, LP_DTYPE_AUTO), 0, 0);
    free(m);
}

/* ---- layer kinds ----------------------------------------------------------------------- */

static void layer_kinds(void **state) {
    (void)state;
    int64_t c[6];
    /* Gemma 2: alternating, layer 0 sliding */
    lp_model *m = load(GEMMA2(3584, 14336, 16, 8, 256, 42, 256, "float32"));
    lp_model_layer_kind_counts(m, c);
    assert_int_equal(c[LP_ATTN_SLIDING], 21);
    assert_int_equal(c[LP_ATTN_FULL], 21);
    assert_int_equal(m->layer_attn[0], LP_ATTN_SLIDING);
    assert_int_equal(m->layer_attn[41], LP_ATTN_FULL);
    assert_int_equal(m->sliding_window, 4096);
    assert_int_equal(m->norms_per_layer, 4);
    free(m);
    /* Gemma 3 27B: 52 sliding + 10 full (vllm_internals.md (b) example) */
    m = load(gemma3_27b);
    lp_model_layer_kind_counts(m, c);
    assert_int_equal(c[LP_ATTN_SLIDING], 52);
    assert_int_equal(c[LP_ATTN_FULL], 10);
    assert_int_equal(m->layer_attn[5], LP_ATTN_FULL);
    assert_int_equal(m->layer_attn[6], LP_ATTN_SLIDING);
    assert_int_equal(m->sliding_window, 1024);
    assert_true(m->qk_norm);
    free(m);
    /* Gemma 3 1B with layer_types instead of sliding_window_pattern */
    {
        char buf[4096];
        const char *types = "'layer_types':['sliding_attention','sliding_attention',"
                            "'sliding_attention','full_attention'],";
        snprintf(buf, sizeof buf,
                 "{'model_type':'gemma3_text','hidden_size':64,'intermediate_size':128,"
                 "'num_hidden_layers':4,'sliding_window':512,%s'vocab_size':100}",
                 types);
        m = load(buf);
        lp_model_layer_kind_counts(m, c);
        assert_int_equal(c[LP_ATTN_SLIDING], 3);
        assert_int_equal(m->layer_attn[3], LP_ATTN_FULL);
        free(m);
    }
    /* Llama 4: 3 of 4 layers chunked (index 3, 7, ... global) */
    m = load(llama4_scout);
    lp_model_layer_kind_counts(m, c);
    assert_int_equal(c[LP_ATTN_CHUNKED], 36);
    assert_int_equal(c[LP_ATTN_FULL], 12);
    assert_int_equal(m->layer_attn[3], LP_ATTN_FULL);
    assert_int_equal(m->layer_attn[4], LP_ATTN_CHUNKED);
    assert_int_equal(m->attention_chunk_size, 8192);
    assert_int_equal(lp_model_num_moe_layers(m), 48);
    assert_int_equal(m->derived_max_model_len, 10485760); /* llama3 rope: not multiplied */
    free(m);
    m = load(llama4_maverick);
    assert_int_equal(lp_model_num_moe_layers(m), 24);
    assert_int_equal(m->layer_moe[0], 0);
    assert_int_equal(m->layer_moe[1], 1);
    free(m);
    /* Mistral v0.1: every layer sliding 4096; v0.3: none */
    m = load(mistral_v01);
    lp_model_layer_kind_counts(m, c);
    assert_int_equal(c[LP_ATTN_SLIDING], 32);
    assert_int_equal(m->sliding_window, 4096);
    free(m);
    m = load(mistral_v03);
    lp_model_layer_kind_counts(m, c);
    assert_int_equal(c[LP_ATTN_FULL], 32);
    assert_int_equal(m->sliding_window, 0);
    free(m);
    /* Phi-3-mini-4k: sliding_window 2047 on all layers */
    m = load(phi3_mini);
    lp_model_layer_kind_counts(m, c);
    assert_int_equal(c[LP_ATTN_SLIDING], 32);
    assert_int_equal(m->sliding_window, 2047);
    free(m);
    /* Qwen2.5: use_sliding_window false => no window */
    m = load(QWEN25(896, 4864, 14, 2, 24, 32768, true) "'vocab_size':151936}");
    lp_model_layer_kind_counts(m, c);
    assert_int_equal(c[LP_ATTN_FULL], 24);
    assert_int_equal(m->sliding_window, 0);
    assert_true(m->qkv_bias);
    assert_false(m->o_bias);
    free(m);
}

/* ---- context length -------------------------------------------------------------------- */

static void derived_max_model_len(void **state) {
    (void)state;
    lp_model *m = load(llama31_8b);
    assert_int_equal(m->max_position_embeddings, 131072);
    assert_int_equal(m->derived_max_model_len, 131072); /* llama3: not multiplied */
    free(m);
    m = load(falcon_7b);
    assert_int_equal(m->max_position_embeddings, 2048); /* FalconConfig default */
    assert_int_equal(m->derived_max_model_len, 2048);
    free(m);
    m = load(gemma3_27b);
    assert_int_equal(m->derived_max_model_len, 131072); /* vLLM skips Gemma 3's factor */
    free(m);
    m = load(qwen25_vl_7b);
    assert_int_equal(m->derived_max_model_len, 128000); /* mrope has no factor */
    free(m);
    /* linear scaling multiplies (vLLM _get_and_verify_max_len) */
    m = load("{'model_type':'llama','hidden_size':64,'intermediate_size':128,"
             "'num_hidden_layers':2,'num_attention_heads':4,'vocab_size':100,"
             "'max_position_embeddings':4096,'seq_length':2048,"
             "'rope_scaling':{'type':'linear','factor':2.0}}");
    assert_int_equal(m->max_position_embeddings, 2048); /* smallest key wins */
    assert_int_equal(m->derived_max_model_len, 4096);
    free(m);
}

/* ---- defaults and notes ---------------------------------------------------------------- */

static bool has_note(const lp_model *m, const char *needle) {
    for (int i = 0; i < m->n_notes; i++)
        if (strstr(m->notes[i], needle))
            return true;
    return false;
}

static void class_defaults_are_noted(void **state) {
    (void)state;
    lp_model *m = load(gemma3_4b);
    assert_int_equal(m->num_heads, 8);
    assert_int_equal(m->num_kv_heads, 4);
    assert_int_equal(m->head_dim, 256);
    assert_int_equal(m->vocab_size, 262208);
    assert_true(m->tie_word_embeddings);
    assert_int_equal(m->max_position_embeddings, 131072);
    assert_true(has_note(m, "num_attention_heads"));
    assert_true(has_note(m, "num_key_value_heads"));
    assert_true(has_note(m, "head_dim"));
    assert_true(has_note(m, "vocab_size"));
    assert_true(has_note(m, "max_position_embeddings"));
    assert_true(has_note(m, "tie_word_embeddings"));
    assert_int_equal(m->dtype, LP_DTYPE_BF16);
    /* KV: 34 layers * 2 * 4 * 256 * 2 bytes */
    lp_assert_near(lp_model_kv_bytes_per_token(m, LP_DTYPE_AUTO), 34.0 * 4096, 0);
    free(m);
    m = load(LLAMA2(4096, 11008, 32, 32, 32));
    assert_true(has_note(m, "head_dim"));
    assert_int_equal(m->head_dim, 128);
    assert_int_equal(m->dtype, LP_DTYPE_FP16);
    free(m);
    /* fp32 checkpoint: vLLM --dtype auto runs bf16, so AUTO KV is 2 bytes (8192/layer) */
    m = load(GEMMA2(2304, 9216, 8, 4, 256, 26, 256, "float32"));
    assert_int_equal(m->dtype, LP_DTYPE_FP32);
    lp_assert_near(lp_model_kv_bytes_per_token_layer(m, 0, LP_DTYPE_AUTO), 4096, 0);
    lp_assert_near(lp_model_kv_bytes_per_token_layer(m, 0, LP_DTYPE_FP8), 2048, 0);
    free(m);
}

/* ---- quantization_config --------------------------------------------------------------- */

#define TINY_LLAMA(QUANT)                                                                          \
    "{'model_type':'llama','hidden_size':64,'intermediate_size':128,'num_hidden_layers':2,"        \
    "'num_attention_heads':4,'num_key_value_heads':2,'vocab_size':100,"                            \
    "'torch_dtype':'bfloat16','quantization_config':" QUANT "}"

static void quant_methods(void **state) {
    (void)state;
    lp_model *m = load(TINY_LLAMA("{'quant_method':'gptq','bits':4,'group_size':128,"
                                  "'desc_act':false,'sym':true}"));
    assert_int_equal(m->quant.method, LP_QUANT_GPTQ);
    assert_string_equal(m->quant.vllm_name, "gptq");
    assert_int_equal(m->quant.bits, 4);
    assert_int_equal(m->quant.group_size, 128);
    free(m);
    m = load(TINY_LLAMA("{'quant_method':'gptq','bits':8,'group_size':-1}"));
    assert_int_equal(m->quant.bits, 8);
    assert_int_equal(m->quant.group_size, -1);
    free(m);
    m = load(TINY_LLAMA("{'quant_method':'awq','bits':4,'group_size':128,'version':'gemm',"
                        "'zero_point':true}"));
    assert_int_equal(m->quant.method, LP_QUANT_AWQ);
    assert_string_equal(m->quant.vllm_name, "awq");
    assert_int_equal(m->quant.group_size, 128);
    free(m);
    m = load(TINY_LLAMA("{'quant_method':'fp8','activation_scheme':'static'}"));
    assert_int_equal(m->quant.method, LP_QUANT_FP8);
    assert_false(m->quant.weight_block);
    assert_true(m->quant.activations);
    free(m);
    /* compressed-tensors FP8 dynamic (RedHatAI/...-FP8-dynamic style) */
    m = load(TINY_LLAMA(
        "{'quant_method':'compressed-tensors','format':'float-quantized',"
        "'config_groups':{'group_0':{'targets':['Linear'],'weights':{'num_bits':8,"
        "'type':'float','strategy':'channel','symmetric':true,'dynamic':false},"
        "'input_activations':{'num_bits':8,'type':'float','strategy':'token','dynamic':true}}},"
        "'ignore':['lm_head'],'kv_cache_scheme':null,'quantization_status':'compressed'}"));
    assert_int_equal(m->quant.method, LP_QUANT_FP8);
    assert_string_equal(m->quant.vllm_name, "compressed-tensors");
    assert_int_equal(m->quant.bits, 8);
    assert_int_equal(m->quant.group_size, -1);
    assert_true(m->quant.activations);
    assert_int_equal(m->quant.kv_cache_dtype, LP_DTYPE_AUTO);
    free(m);
    /* compressed-tensors W4A16 (pack-quantized, group 128) with an fp8 KV scheme */
    m = load(TINY_LLAMA("{'quant_method':'compressed-tensors','format':'pack-quantized',"
                        "'config_groups':{'group_0':{'targets':['Linear'],'weights':{'num_bits':4,"
                        "'type':'int','strategy':'group','group_size':128,'symmetric':true},"
                        "'input_activations':null}},'kv_cache_scheme':{'num_bits':8,'type':'float',"
                        "'strategy':'tensor','dynamic':false,'symmetric':true}}"));
    assert_int_equal(m->quant.method, LP_QUANT_INT4_W4A16);
    assert_int_equal(m->quant.bits, 4);
    assert_int_equal(m->quant.group_size, 128);
    assert_false(m->quant.activations);
    assert_int_equal(m->quant.kv_cache_dtype, LP_DTYPE_FP8);
    /* vLLM's "auto" KV dtype does not follow compressed-tensors' scheme */
    lp_assert_near(lp_model_kv_bytes_per_token_layer(m, 0, LP_DTYPE_AUTO), 2 * 2 * 16 * 2, 0);
    free(m);
    /* compressed-tensors INT8 W8A8 */
    m = load(TINY_LLAMA("{'quant_method':'compressed-tensors','format':'int-quantized',"
                        "'config_groups':{'group_0':{'weights':{'num_bits':8,'type':'int',"
                        "'strategy':'channel'},'input_activations':{'num_bits':8,'type':'int',"
                        "'strategy':'token','dynamic':true}}}}"));
    assert_int_equal(m->quant.method, LP_QUANT_INT8);
    assert_true(m->quant.activations);
    free(m);
    m = load(TINY_LLAMA("{'quant_method':'bitsandbytes','load_in_4bit':true,"
                        "'load_in_8bit':false,'bnb_4bit_quant_type':'nf4',"
                        "'bnb_4bit_use_double_quant':true,'bnb_4bit_compute_dtype':'bfloat16'}"));
    assert_int_equal(m->quant.method, LP_QUANT_BNB4);
    assert_string_equal(m->quant.vllm_name, "bitsandbytes");
    assert_true(m->quant.double_quant);
    free(m);
    m = load(TINY_LLAMA("{'quant_method':'bitsandbytes','load_in_8bit':true}"));
    assert_int_equal(m->quant.method, LP_QUANT_BNB8);
    free(m);
    m = load(TINY_LLAMA("{'quant_method':'mxfp4'}"));
    assert_int_equal(m->quant.method, LP_QUANT_MXFP4);
    assert_false(m->quant.experts_only); /* nothing listed as not converted */
    free(m);
    m = load(TINY_LLAMA("{'quant_method':'modelopt','quant_algo':'FP8',"
                        "'kv_cache_quant_algo':'FP8'}"));
    assert_int_equal(m->quant.method, LP_QUANT_FP8);
    assert_string_equal(m->quant.vllm_name, "modelopt");
    assert_int_equal(m->quant.kv_cache_dtype, LP_DTYPE_FP8);
    /* ModelOpt's KV algo is what vLLM's "auto" resolves to: 1 byte */
    lp_assert_near(lp_model_kv_bytes_per_token_layer(m, 0, LP_DTYPE_AUTO), 2 * 2 * 16, 0);
    free(m);
    m = load(TINY_LLAMA("{'quant_method':'modelopt','quantization':{'quant_algo':'NVFP4',"
                        "'kv_cache_quant_algo':null,'group_size':16}}"));
    assert_int_equal(m->quant.method, LP_QUANT_NVFP4);
    assert_string_equal(m->quant.vllm_name, "modelopt_fp4");
    assert_int_equal(m->quant.group_size, 16);
    free(m);
    /* multimodal: quantization_config at the root while the weights are in text_config */
    m = load("{'model_type':'mistral3','text_config':{'model_type':'mistral',"
             "'hidden_size':64,'intermediate_size':128,'num_hidden_layers':2,"
             "'num_attention_heads':4,'num_key_value_heads':2,'vocab_size':100},"
             "'vision_config':{'hidden_size':32,'intermediate_size':64,'num_hidden_layers':1,"
             "'patch_size':4,'image_size':16},"
             "'quantization_config':{'quant_method':'fp8','weight_block_size':[128,128]}}");
    assert_int_equal(m->quant.method, LP_QUANT_FP8);
    assert_true(m->quant.weight_block);
    assert_true(m->params_vision > 0);
    free(m);
}

/* ---- bad input ------------------------------------------------------------------------- */

static lp_status parse_raw(const char *json, lp_error *err) {
    lp_model m;
    return lp_model_from_config_json(json, strlen(json), "config.json", &m, err);
}

static void bad_input(void **state) {
    (void)state;
    lp_error err;
    lp_model m;

    /* malformed JSON: line and column in the message */
    assert_int_equal(
        parse_raw("{\n  \"model_type\": \"llama\",\n  \"hidden_size\": 40 96\n}", &err),
        LP_ERR_PARSE);
    assert_contains(err.message, "config.json:3:");
    assert_int_equal(err.code, LP_ERR_PARSE);

    /* truncated */
    assert_int_equal(parse_raw("{\"model_type\": \"llama\", \"hidden_si", &err), LP_ERR_PARSE);
    assert_contains(err.message, "config.json:1:");

    /* empty, and NULL with length 0 */
    assert_int_equal(parse_raw("", &err), LP_ERR_PARSE);
    assert_contains(err.message, "config.json");
    assert_int_equal(lp_model_from_config_json(NULL, 0, NULL, &m, &err), LP_ERR_PARSE);
    assert_int_equal(lp_model_from_config_json("{}", 2, "x", NULL, &err), LP_ERR_INVALID_ARG);

    /* not an object */
    assert_int_equal(parse_raw("[1, 2]", &err), LP_ERR_PARSE);

    /* missing hidden_size */
    assert_int_equal(parse(TINY_LLAMA("null") /* baseline parses */, &m, &err), LP_OK);
    assert_int_equal(parse("{'model_type':'llama','intermediate_size':128,"
                           "'num_hidden_layers':2,'num_attention_heads':4,'vocab_size':100}",
                           &m, &err),
                     LP_ERR_MISSING_FIELD);
    assert_contains(err.message, "config.json: hidden_size:");

    /* missing model_type, unknown model_type (lists supported types) */
    assert_int_equal(parse("{'hidden_size':64}", &m, &err), LP_ERR_MISSING_FIELD);
    assert_contains(err.message, "model_type");
    assert_int_equal(parse("{'model_type':'bert','hidden_size':64}", &m, &err), LP_ERR_UNSUPPORTED);
    assert_contains(err.message, "\"bert\"");
    assert_contains(err.message, "deepseek_v3");

    /* negative heads */
    assert_int_equal(parse("{'model_type':'llama','hidden_size':64,'intermediate_size':128,"
                           "'num_hidden_layers':2,'num_attention_heads':-4,'vocab_size':100}",
                           &m, &err),
                     LP_ERR_INVALID_ARG);
    assert_contains(err.message, "num_attention_heads: expected a positive integer, got -4");

    /* wrong type: the jq-style example from CONVENTIONS.md */
    assert_int_equal(parse("{'model_type':'llama','hidden_size':64,'intermediate_size':128,"
                           "'num_hidden_layers':2,'num_attention_heads':4,"
                           "'num_key_value_heads':'8','vocab_size':100}",
                           &m, &err),
                     LP_ERR_PARSE);
    assert_string_equal(err.message,
                        "config.json: num_key_value_heads: expected a positive integer, "
                        "got \"8\"");

    /* wrong type inside text_config names the path */
    assert_int_equal(parse("{'model_type':'gemma3','text_config':{'hidden_size':true}}", &m, &err),
                     LP_ERR_PARSE);
    assert_contains(err.message, "text_config.hidden_size");

    /* more KV heads than heads */
    assert_int_equal(parse("{'model_type':'llama','hidden_size':64,'intermediate_size':128,"
                           "'num_hidden_layers':2,'num_attention_heads':4,"
                           "'num_key_value_heads':8,'vocab_size':100}",
                           &m, &err),
                     LP_ERR_INVALID_ARG);

    /* too many layers */
    assert_int_equal(parse("{'model_type':'llama','hidden_size':64,'intermediate_size':128,"
                           "'num_hidden_layers':100000,'num_attention_heads':4,"
                           "'vocab_size':100}",
                           &m, &err),
                     LP_ERR_UNSUPPORTED);
    assert_contains(err.message, "LP_MAX_LAYERS");

    /* absurd widths are rejected rather than overflowing the counts */
    assert_int_equal(parse("{'model_type':'llama','hidden_size':9007199254740993,"
                           "'intermediate_size':128,'num_hidden_layers':2,"
                           "'num_attention_heads':4,'vocab_size':100}",
                           &m, &err),
                     LP_ERR_INVALID_ARG);

    /* unknown quant method, bad layer_types length, unknown dtype */
    assert_int_equal(parse(TINY_LLAMA("{'quant_method':'hqq'}"), &m, &err), LP_ERR_UNSUPPORTED);
    assert_contains(err.message, "quantization_config.quant_method");
    assert_int_equal(parse("{'model_type':'gemma3_text','hidden_size':64,'intermediate_size':128,"
                           "'num_hidden_layers':3,'layer_types':['full_attention']}",
                           &m, &err),
                     LP_ERR_INVALID_ARG);
    assert_contains(err.message, "layer_types");
    assert_int_equal(parse("{'model_type':'llama','hidden_size':64,'intermediate_size':128,"
                           "'num_hidden_layers':2,'num_attention_heads':4,'vocab_size':100,"
                           "'torch_dtype':'float7'}",
                           &m, &err),
                     LP_ERR_INVALID_ARG);
    assert_contains(err.message, "torch_dtype");

    /* a MoE family without its expert count */
    assert_int_equal(parse("{'model_type':'mixtral','hidden_size':64,'intermediate_size':128,"
                           "'num_hidden_layers':2,'num_attention_heads':4,'vocab_size':100}",
                           &m, &err),
                     LP_ERR_MISSING_FIELD);
    assert_contains(err.message, "num_local_experts");

    /* the model is reset after a failure */
    assert_int_equal(m.num_layers, 0);
}

static void config_file(void **state) {
    (void)state;
    lp_error err;
    lp_model *m = malloc(sizeof *m);
    assert_non_null(m);
    assert_int_equal(lp_model_from_config_file("/nonexistent/llmplan/config.json", m, &err),
                     LP_ERR_NOT_FOUND);
    assert_contains(err.message, "/nonexistent/llmplan/config.json");
    char path[] = "/tmp/lp_test_model_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    char *json = q(phi4);
    fputs(json, f);
    fclose(f);
    free(json);
    assert_int_equal(lp_model_from_config_file(path, m, &err), LP_OK);
    assert_int_equal(m->params_total, 14659507200);
    assert_string_equal(m->id, path);
    remove(path);
    free(m);
}

static void dtypes(void **state) {
    (void)state;
    lp_dtype d;
    lp_error err;
    assert_int_equal(lp_dtype_parse("bf16", &d, &err), LP_OK);
    assert_int_equal(d, LP_DTYPE_BF16);
    assert_int_equal(lp_dtype_parse("half", &d, &err), LP_OK);
    assert_int_equal(d, LP_DTYPE_FP16);
    assert_int_equal(lp_dtype_parse("fp8_e5m2", &d, &err), LP_OK);
    assert_int_equal(d, LP_DTYPE_FP8);
    assert_int_equal(lp_dtype_parse("float", &d, &err), LP_OK);
    assert_int_equal(d, LP_DTYPE_FP32);
    assert_int_equal(lp_dtype_parse("fp4", &d, &err), LP_ERR_INVALID_ARG);
    assert_int_equal(lp_dtype_parse(NULL, &d, &err), LP_ERR_INVALID_ARG);
    assert_string_equal(lp_dtype_name(LP_DTYPE_BF16), "bfloat16");
    lp_assert_near(lp_dtype_bytes(LP_DTYPE_FP32), 4, 0);
    lp_assert_near(lp_dtype_bytes(LP_DTYPE_AUTO), 0, 0);

    lp_model m;
    lp_model_init(&m);
    assert_int_equal(m.norms_per_layer, 2);
    assert_int_equal(m.quant.method, LP_QUANT_NONE);
    for (int i = 0; i < LP_MODEL_MAX_NOTES + 5; i++)
        lp_model_note(&m, "note %d", i);
    assert_int_equal(m.n_notes, LP_MODEL_MAX_NOTES);
    assert_contains(m.notes[LP_MODEL_MAX_NOTES - 1], "omitted");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(llama2_7b),
        cmocka_unit_test(llama2_13b),
        cmocka_unit_test(llama2_70b),
        cmocka_unit_test(llama31_8b_total),
        cmocka_unit_test(llama31_70b),
        cmocka_unit_test(llama31_405b),
        cmocka_unit_test(llama32_1b),
        cmocka_unit_test(llama32_3b),
        cmocka_unit_test(mistral_7b_v01),
        cmocka_unit_test(mistral_7b_v03),
        cmocka_unit_test(mixtral_8x7b),
        cmocka_unit_test(mixtral_8x22b),
        cmocka_unit_test(qwen25_0_5b),
        cmocka_unit_test(qwen25_7b),
        cmocka_unit_test(qwen25_72b),
        cmocka_unit_test(qwen3_8b),
        cmocka_unit_test(qwen3_32b),
        cmocka_unit_test(qwen3_30b_a3b),
        cmocka_unit_test(qwen3_235b_a22b),
        cmocka_unit_test(deepseek_v3_total),
        cmocka_unit_test(deepseek_v2_total),
        cmocka_unit_test(deepseek_v2_lite_total),
        cmocka_unit_test(gpt_oss_20b_total),
        cmocka_unit_test(gpt_oss_120b_total),
        cmocka_unit_test(gemma2_2b),
        cmocka_unit_test(gemma2_9b),
        cmocka_unit_test(gemma2_27b),
        cmocka_unit_test(gemma3_1b_total),
        cmocka_unit_test(gemma3_4b_total),
        cmocka_unit_test(gemma3_12b_total),
        cmocka_unit_test(gemma3_27b_total),
        cmocka_unit_test(phi3_mini_total),
        cmocka_unit_test(phi4_total),
        cmocka_unit_test(falcon_7b_total),
        cmocka_unit_test(llama4_scout_total),
        cmocka_unit_test(llama4_maverick_total),
        cmocka_unit_test(qwen25_vl_7b_total),
        cmocka_unit_test(mistral_small_31_total),
        cmocka_unit_test(multimodal_splits),
        cmocka_unit_test(llava_defaults),
        cmocka_unit_test(deepseek_v3_details),
        cmocka_unit_test(gpt_oss_details),
        cmocka_unit_test(breakdown_sums),
        cmocka_unit_test(layer_kinds),
        cmocka_unit_test(derived_max_model_len),
        cmocka_unit_test(class_defaults_are_noted),
        cmocka_unit_test(quant_methods),
        cmocka_unit_test(bad_input),
        cmocka_unit_test(config_file),
        cmocka_unit_test(dtypes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
