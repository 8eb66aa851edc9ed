/*
 * serving_flags.h - the vLLM engine flags several commands share (plan, estimate, explain):
 * one table of option rows and one conversion to lp_serving, so that every command spells and
 * checks them the same way.
 */
#ifndef LP_CLI_SERVING_FLAGS_H
#define LP_CLI_SERVING_FLAGS_H

#include <stdbool.h>
#include <stdint.h>

#include "cli/opts.h"
#include "llmplan/hw.h"
#include "llmplan/mem.h"

/** The engine flags as parsed (lp_cli_serving_init gives vLLM's defaults). */
typedef struct {
    const char *dtype, *quantization, *kv_cache_dtype, *vllm_version, *max_model_len;
    int64_t num_gpus, tp, pp, dp, max_num_seqs, max_num_batched_tokens, block_size;
    double gpu_memory_utilization, cpu_offload_gb;
    bool ep, enforce_eager, no_chunked_prefill, no_hybrid;
    bool seen_tp, seen_dp, seen_gmu;
} lp_cli_serving;

/** Defaults: tp = pp = dp = 1, utilization 0.9, everything else vLLM's default. */
void lp_cli_serving_init(lp_cli_serving *sv);

/**
 * The option rows, spelled as `vllm serve` spells them, for an lp_opt table initializer:
 *   const lp_opt opts[] = { {...own rows...}, LP_CLI_SERVING_OPTS(a.sv), {...}, {0} };
 */
#define LP_CLI_SERVING_OPTS(sv)                                                                      \
    {"--num-gpus", NULL,                                                                             \
     LP_OPT_INT,   &(sv).num_gpus,                                                                   \
     "N",          "GPUs in all (alone: tensor parallel over all)",                                  \
     NULL},                                                                                          \
        {"--tensor-parallel-size",           "-tp",        LP_OPT_INT, &(sv).tp, "N",                \
         "tensor parallel size (default 1)", &(sv).seen_tp},                                         \
        {"--pipeline-parallel-size",           "-pp", LP_OPT_INT, &(sv).pp, "N",                     \
         "pipeline parallel size (default 1)", NULL},                                                \
        {"--data-parallel-size",                                                                     \
         "-dp",                                                                                      \
         LP_OPT_INT,                                                                                 \
         &(sv).dp,                                                                                   \
         "N",                                                                                        \
         "data parallel replicas (default 1)",                                                       \
         &(sv).seen_dp},                                                                             \
        {"--enable-expert-parallel",        "-ep", LP_OPT_FLAG, &(sv).ep, NULL,                      \
         "shard routed experts over TPxDP", NULL},                                                   \
        {"--max-model-len",                                                                          \
         NULL,                                                                                       \
         LP_OPT_STRING,                                                                              \
         &(sv).max_model_len,                                                                        \
         "N",                                                                                        \
         "context length (16000, 32k, auto; default: model's)",                                      \
         NULL},                                                                                      \
        {"--gpu-memory-utilization",                                                                 \
         NULL,                                                                                       \
         LP_OPT_DOUBLE,                                                                              \
         &(sv).gpu_memory_utilization,                                                               \
         "F",                                                                                        \
         "fraction of GPU memory for vLLM (default 0.9)",                                            \
         &(sv).seen_gmu},                                                                            \
        {"--kv-cache-dtype",                                                                         \
         NULL,                                                                                       \
         LP_OPT_STRING,                                                                              \
         &(sv).kv_cache_dtype,                                                                       \
         "T",                                                                                        \
         "auto, bfloat16, float16, fp8, fp8_e4m3, fp8_e5m2",                                         \
         NULL},                                                                                      \
        {"--dtype", NULL, LP_OPT_STRING, &(sv).dtype, "T", "auto, half, float16, bfloat16, float32", \
         NULL},                                                                                      \
        {"--quantization",                                                                           \
         "-q",                                                                                       \
         LP_OPT_STRING,                                                                              \
         &(sv).quantization,                                                                         \
         "M",                                                                                        \
         "fp8, awq, gptq, bitsandbytes, mxfp4, modelopt_fp4 ...",                                    \
         NULL},                                                                                      \
        {"--max-num-seqs",                                                                           \
         NULL,                                                                                       \
         LP_OPT_INT,                                                                                 \
         &(sv).max_num_seqs,                                                                         \
         "N",                                                                                        \
         "scheduler limit (default: vLLM's for the GPU)",                                            \
         NULL},                                                                                      \
        {"--max-num-batched-tokens",                                                                 \
         NULL,                                                                                       \
         LP_OPT_INT,                                                                                 \
         &(sv).max_num_batched_tokens,                                                               \
         "N",                                                                                        \
         "token budget per step (default: vLLM's)",                                                  \
         NULL},                                                                                      \
        {"--block-size",                                                                             \
         NULL,                                                                                       \
         LP_OPT_INT,                                                                                 \
         &(sv).block_size,                                                                           \
         "N",                                                                                        \
         "KV block size (default 16; MLA 64/128)",                                                   \
         NULL},                                                                                      \
        {"--enforce-eager", NULL, LP_OPT_FLAG, &(sv).enforce_eager, NULL, "no CUDA graphs", NULL},   \
        {"--no-enable-chunked-prefill", NULL, LP_OPT_FLAG, &(sv).no_chunked_prefill, NULL,           \
         "disable chunked prefill",     NULL},                                                       \
        {"--disable-hybrid-kv-cache-manager",                                                        \
         NULL,                                                                                       \
         LP_OPT_FLAG,                                                                                \
         &(sv).no_hybrid,                                                                            \
         NULL,                                                                                       \
         "size sliding-window layers as full attention",                                             \
         NULL},                                                                                      \
        {"--cpu-offload-gb",                                                                         \
         NULL,                                                                                       \
         LP_OPT_DOUBLE,                                                                              \
         &(sv).cpu_offload_gb,                                                                       \
         "GIB",                                                                                      \
         "weights kept in host memory",                                                              \
         NULL},                                                                                      \
    {                                                                                                \
        "--vllm-version", NULL, LP_OPT_STRING, &(sv).vllm_version, "V",                              \
            "vLLM release to reproduce (default: latest)", NULL                                      \
    }

/**
 * Turn the flags into serving settings (checked ranges, dtypes, max-model-len "auto", the
 * vLLM version; --num-gpus alone means tensor parallelism over all of them, with -tp the rest
 * are data-parallel replicas). Prints one clear message naming `llmplan <cmd>` and returns
 * an exit code on a problem; 0 when s is filled.
 */
int lp_cli_build_serving(const char *cmd, const lp_cli_serving *sv, lp_serving *s);

/**
 * Set a link of the cluster from an --interconnect value, any case: nvlink, xgmi or pcie the
 * link inside a node, infiniband, roce or ethernet the network between nodes, or unknown (NULL
 * leaves the GPU's own). Prints one message naming `llmplan <cmd>` and returns an exit code
 * when it is none of them; 0 otherwise.
 */
int lp_cli_set_interconnect(const char *cmd, const char *value, lp_cluster *c);

#endif
