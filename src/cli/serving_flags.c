/*
 * serving_flags.c - lp_cli_build_serving: the vLLM engine flags of plan, estimate and explain
 * turned into lp_serving, with the same checks and messages everywhere. Range checks here are
 * the CLI's (sizes that cannot be meant); vLLM's own rules are the library's (lp_mem_plan).
 */
#include "cli/serving_flags.h"

#include <stdio.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "llmplan/usecase.h"

void lp_cli_serving_init(lp_cli_serving *sv) {
    *sv = (lp_cli_serving){0};
    sv->tp = sv->pp = sv->dp = 1;
    sv->gpu_memory_utilization = 0.9;
}

static int dtype_flag(const char *cmd, const char *flag, const char *value, lp_dtype *out) {
    lp_error err;
    if (!value)
        return 0;
    if (lp_dtype_parse(value, out, &err) != LP_OK) {
        fprintf(stderr, "llmplan %s: %s: %s\n", cmd, flag, err.message);
        return LP_EXIT_USAGE;
    }
    return 0;
}

static int parallel(const char *cmd, const lp_cli_serving *a, lp_serving *s) {
    if (a->tp <= 0 || a->pp <= 0 || a->dp <= 0 || a->tp > LP_MAX_PARALLEL_SIZE ||
        a->pp > LP_MAX_PARALLEL_SIZE || a->dp > LP_MAX_PARALLEL_SIZE) {
        fprintf(stderr, "llmplan %s: parallel sizes must be between 1 and %d\n", cmd,
                LP_MAX_PARALLEL_SIZE);
        return LP_EXIT_USAGE;
    }
    s->tensor_parallel_size = (int)a->tp;
    s->pipeline_parallel_size = (int)a->pp;
    s->data_parallel_size = (int)a->dp;
    if (a->num_gpus < 0 || a->num_gpus > LP_MAX_NUM_GPUS) {
        fprintf(stderr, "llmplan %s: --num-gpus must be between 1 and %d\n", cmd, LP_MAX_NUM_GPUS);
        return LP_EXIT_USAGE;
    }
    lp_error err;
    if (lp_serving_apply_num_gpus(s, a->num_gpus, a->seen_tp, a->seen_dp, &err) != LP_OK) {
        fprintf(stderr, "llmplan %s: %s\n", cmd, err.message);
        return LP_EXIT_USAGE;
    }
    return 0;
}

int lp_cli_build_serving(const char *cmd, const lp_cli_serving *a, lp_serving *s) {
    lp_serving_init(s);
    int rc;
    if ((rc = parallel(cmd, a, s)) != 0)
        return rc;
    s->enable_expert_parallel = a->ep;
    s->quantization = a->quantization;
    s->gpu_memory_utilization = a->gpu_memory_utilization;
    if (a->max_num_seqs < 0 || a->max_num_batched_tokens < 0 || a->block_size < 0 ||
        a->max_num_seqs > LP_MAX_NUM_SEQS ||
        a->max_num_batched_tokens > LP_MAX_NUM_BATCHED_TOKENS ||
        a->block_size > LP_MAX_BLOCK_SIZE) {
        fprintf(stderr,
                "llmplan %s: --max-num-seqs / --max-num-batched-tokens / --block-size out of "
                "range\n",
                cmd);
        return LP_EXIT_USAGE;
    }
    s->max_num_seqs = (int)a->max_num_seqs;
    s->max_num_batched_tokens = (int)a->max_num_batched_tokens;
    s->block_size = (int)a->block_size;
    s->enforce_eager = a->enforce_eager;
    s->enable_chunked_prefill_off = a->no_chunked_prefill;
    s->disable_hybrid_kv_cache_manager = a->no_hybrid;
    s->cpu_offload_gib = a->cpu_offload_gb;
    if ((rc = dtype_flag(cmd, "--dtype", a->dtype, &s->dtype)) != 0)
        return rc;
    if ((rc = dtype_flag(cmd, "--kv-cache-dtype", a->kv_cache_dtype, &s->kv_cache_dtype)) != 0)
        return rc;
    if (a->max_model_len) {
        int64_t v;
        if (strcasecmp(a->max_model_len, "auto") == 0) {
            s->max_model_len = -1;
        } else if (lp_opts_parse_int(a->max_model_len, &v) &&
                   (v == -1 || (v > 0 && v < LP_MAX_MODEL_LEN))) {
            s->max_model_len = v;
        } else {
            lp_opts_bad_value(cmd, "--max-model-len", "a positive integer (16000, 32k), -1 or auto",
                              a->max_model_len);
            return LP_EXIT_USAGE;
        }
    }
    lp_error err;
    if (a->vllm_version && lp_vllm_version_parse(a->vllm_version, &s->vllm_version, &err) != LP_OK)
        return lp_cli_fail(&err);
    return 0;
}

int lp_cli_set_interconnect(const char *cmd, const char *value, lp_cluster *c) {
    if (!value)
        return 0;
    lp_error err;
    lp_link_kind kind;
    if (lp_link_parse(value, &kind, &err) != LP_OK) {
        lp_opts_bad_value(cmd, "--interconnect",
                          "nvlink, pcie, infiniband, roce, ethernet or unknown", value);
        return LP_EXIT_USAGE;
    }
    lp_cluster_set_link(c, kind);
    return 0;
}
