/*
 * serving.c - vLLM engine settings: defaults, version parsing and the scheduler defaults
 * vLLM picks per GPU.
 *
 * The batch defaults mirror EngineArgs.get_batch_defaults (vllm/engine/arg_utils.py) for
 * `vllm serve` (UsageContext.OPENAI_API_SERVER); see docs/vllm_internals.md (d).
 * This file does not validate settings against a model: plan.c does that.
 */
#include "llmplan/mem.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "mem/mem_internal.h"

/* vLLM's default --gpu-memory-utilization (vllm/config/cache.py: Field(default=0.9)). */
#define LP_DEFAULT_GPU_MEMORY_UTILIZATION 0.9

/* get_batch_defaults: devices with >= 70 GiB whose name lacks "a100" get the large defaults. */
#define LP_LARGE_DEVICE_MIN_GIB 70.0
#define LP_LARGE_MAX_NUM_BATCHED_TOKENS 8192
#define LP_LARGE_MAX_NUM_SEQS 1024
#define LP_SMALL_MAX_NUM_BATCHED_TOKENS 2048
#define LP_SMALL_MAX_NUM_SEQS 256
#define LP_VLLM_PER_DEVICE_DEFAULTS LP_VLLM_VERSION(0, 9, 0)

void lp_serving_init(lp_serving *s) {
    memset(s, 0, sizeof *s);
    s->tensor_parallel_size = 1;
    s->pipeline_parallel_size = 1;
    s->data_parallel_size = 1;
    s->gpu_memory_utilization = LP_DEFAULT_GPU_MEMORY_UTILIZATION;
    s->vllm_version = LP_VLLM_VERSION_LATEST;
}

lp_status lp_vllm_version_parse(const char *text, lp_vllm_version *out, lp_error *err) {
    if (!text || !*text)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "--vllm-version: empty version");
    if (strcmp(text, "latest") == 0) {
        *out = LP_VLLM_VERSION_LATEST;
        return LP_OK;
    }
    const char *p = text;
    if (*p == 'v' || *p == 'V')
        p++;
    long parts[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        if (!isdigit((unsigned char)*p))
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "--vllm-version: expected a version like 0.19 or v0.11.0, got "
                                "\"%s\"",
                                text);
        char *end;
        parts[i] = strtol(p, &end, 10);
        if (parts[i] > 99)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "--vllm-version: component %ld out of range in \"%s\"", parts[i],
                                text);
        p = end;
        if (*p == '.' && i < 2) {
            p++;
            continue;
        }
        break;
    }
    /* allow suffixes such as "rc1" or "+cu128" */
    if (*p && *p != 'r' && *p != '+' && *p != '-')
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--vllm-version: expected a version like 0.19 or v0.11.0, got \"%s\"",
                            text);
    if (parts[0] == 0 && parts[1] < 6)
        return lp_error_set(err, LP_ERR_UNSUPPORTED,
                            "--vllm-version %s: llmplan reproduces vLLM 0.6 and later", text);
    *out = LP_VLLM_VERSION((int)parts[0], (int)parts[1], (int)parts[2]);
    return LP_OK;
}

static bool name_has_a100(const lp_gpu *gpu) {
    char buf[sizeof gpu->name + sizeof gpu->aliases + 2];
    size_t n = 0;
    for (const char *p = gpu->name; *p && n + 1 < sizeof buf; p++)
        buf[n++] = (char)tolower((unsigned char)*p);
    buf[n] = '\0';
    return strstr(buf, "a100") != NULL;
}

void lp_mem_default_batch(const lp_gpu *gpu, lp_vllm_version version, int *max_num_batched_tokens,
                          int *max_num_seqs) {
    /* The per-device rule came with get_batch_defaults in v0.9 (PR #17885); the V1 engine of
     * v0.8 (_set_default_args_v1) gave `vllm serve` 2048 tokens and 256 sequences on every GPU,
     * as the v0.8.5 start-up logs in the shared fixtures show ("Chunked prefill is enabled with
     * max_num_batched_tokens=2048"). The V0 defaults of older releases are set by the caller. */
    bool large = version >= LP_VLLM_PER_DEVICE_DEFAULTS &&
                 gpu->usable_gib >= LP_LARGE_DEVICE_MIN_GIB && !name_has_a100(gpu);
    *max_num_batched_tokens =
        large ? LP_LARGE_MAX_NUM_BATCHED_TOKENS : LP_SMALL_MAX_NUM_BATCHED_TOKENS;
    *max_num_seqs = large ? LP_LARGE_MAX_NUM_SEQS : LP_SMALL_MAX_NUM_SEQS;
}
