/*
 * mode_flags.h - the engine flags of the serving modes, shared by plan, estimate and explain:
 * prefix caching, speculative decoding, LoRA and disaggregated prefill/decode, spelled as
 * `vllm serve` spells them (--speculative-config JSON, --enable-lora ...), plus the few llmplan
 * needs beside them (--acceptance-rate; --disaggregation xPyD and the per-role TP and GPU).
 */
#ifndef LP_CLI_MODE_FLAGS_H
#define LP_CLI_MODE_FLAGS_H

#include <stdbool.h>
#include <stdint.h>

#include "cli/opts.h"
#include "llmplan/hw.h"
#include "llmplan/mem.h"

/** The mode flags as parsed (all zero: every mode at vLLM's default). */
typedef struct {
    bool prefix_caching, no_prefix_caching;
    const char *speculative_config;
    double acceptance_rate;
    bool enable_lora;
    int64_t max_loras, max_lora_rank, max_cpu_loras;
    const char *disaggregation, *kv_connector, *prefill_gpu, *decode_gpu;
    int64_t prefill_tp, decode_tp;
} lp_cli_modes;

/* The lp_opt rows (expand inside an lp_opt array). */
#define LP_CLI_MODE_OPTS(m)                                                                        \
    {"--enable-prefix-caching",         NULL, LP_OPT_FLAG, &(m).prefix_caching, NULL,              \
     "prefix caching (vLLM's default)", NULL},                                                     \
        {"--no-enable-prefix-caching", NULL, LP_OPT_FLAG, &(m).no_prefix_caching, NULL,            \
         "turn prefix caching off",    NULL},                                                      \
        {"--speculative-config",                                                                   \
         NULL,                                                                                     \
         LP_OPT_STRING,                                                                            \
         &(m).speculative_config,                                                                  \
         "JSON",                                                                                   \
         "speculative decoding, as vLLM: '{\"method\":\"eagle3\",\"model\":...,"                   \
         "\"num_speculative_tokens\":3}'",                                                         \
         NULL},                                                                                    \
        {"--acceptance-rate",                                                                      \
         NULL,                                                                                     \
         LP_OPT_DOUBLE,                                                                            \
         &(m).acceptance_rate,                                                                     \
         "F",                                                                                      \
         "  ... probability a drafted token is accepted (default: the method's)",                  \
         NULL},                                                                                    \
        {"--enable-lora",                                                                          \
         NULL,                                                                                     \
         LP_OPT_FLAG,                                                                              \
         &(m).enable_lora,                                                                         \
         NULL,                                                                                     \
         "serve LoRA adapters (GPU slots reserved)",                                               \
         NULL},                                                                                    \
        {"--max-loras", NULL,                                                                      \
         LP_OPT_INT,    &(m).max_loras,                                                            \
         "N",           "  ... adapters in one batch (default 1)",                                 \
         NULL},                                                                                    \
        {"--max-lora-rank",                                                                        \
         NULL,                                                                                     \
         LP_OPT_INT,                                                                               \
         &(m).max_lora_rank,                                                                       \
         "R",                                                                                      \
         "  ... largest adapter rank (default 16)",                                                \
         NULL},                                                                                    \
        {"--max-cpu-loras",                                                                        \
         NULL,                                                                                     \
         LP_OPT_INT,                                                                               \
         &(m).max_cpu_loras,                                                                       \
         "N",                                                                                      \
         "  ... adapters cached in host memory (default max-loras)",                               \
         NULL},                                                                                    \
        {"--disaggregation",                                                                       \
         NULL,                                                                                     \
         LP_OPT_STRING,                                                                            \
         &(m).disaggregation,                                                                      \
         "xPyD",                                                                                   \
         "disaggregated prefill/decode: x prefill, y decode instances (1P1D, 4P1D)",               \
         NULL},                                                                                    \
        {"--prefill-tensor-parallel-size",                                                         \
         NULL,                                                                                     \
         LP_OPT_INT,                                                                               \
         &(m).prefill_tp,                                                                          \
         "N",                                                                                      \
         "  ... TP of a prefill instance (default -tp)",                                           \
         NULL},                                                                                    \
        {"--decode-tensor-parallel-size",                                                          \
         NULL,                                                                                     \
         LP_OPT_INT,                                                                               \
         &(m).decode_tp,                                                                           \
         "N",                                                                                      \
         "  ... TP of a decode instance (default -tp)",                                            \
         NULL},                                                                                    \
        {"--prefill-gpu",                                                                          \
         NULL,                                                                                     \
         LP_OPT_STRING,                                                                            \
         &(m).prefill_gpu,                                                                         \
         "GPU",                                                                                    \
         "  ... GPU of the prefill pool (default --gpu)",                                          \
         NULL},                                                                                    \
        {"--decode-gpu",                                                                           \
         NULL,                                                                                     \
         LP_OPT_STRING,                                                                            \
         &(m).decode_gpu,                                                                          \
         "GPU",                                                                                    \
         "  ... GPU of the decode pool (default --gpu)",                                           \
         NULL},                                                                                    \
    {                                                                                              \
        "--kv-connector", NULL, LP_OPT_STRING, &(m).kv_connector, "C",                             \
            "  ... nixl (default), lmcache, nccl or mooncake", NULL                                \
    }

/**
 * The mode flags into s (after lp_cli_build_serving) and c (the pools' GPUs, looked up in db;
 * c->gpu is the default). A draft model (--speculative-config method draft_model) is loaded
 * into draft. Prints one message naming `llmplan <cmd>` and returns an exit code on a
 * problem; 0 otherwise.
 */
int lp_cli_build_modes(const char *cmd, const lp_cli_modes *m, const lp_gpu_db *db, lp_serving *s,
                       lp_cluster *c, lp_model *draft);

#endif
