/*
 * mode_flags.c - lp_cli_build_modes: the serving-mode flags into lp_serving and the pools of
 * lp_cluster, checked by the library's parsers so that a flag means what the JSON field means.
 */
#include "cli/mode_flags.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/workload_flags.h"

static int fail_flag(const char *cmd, const char *flag, const lp_error *err) {
    fprintf(stderr, "llmplan %s: %s: %s\n", cmd, flag, err->message);
    return lp_cli_exit_code(err->code);
}

static int pool_gpu(const char *cmd, const char *flag, const char *name, const lp_gpu_db *db,
                    const lp_gpu **out) {
    if (!name)
        return 0;
    lp_error err;
    if (lp_gpu_find(db, name, out, &err) != LP_OK)
        return fail_flag(cmd, flag, &err);
    return 0;
}

int lp_cli_build_modes(const char *cmd, const lp_cli_modes *m, const lp_gpu_db *db, lp_serving *s,
                       lp_cluster *c, lp_model *draft) {
    lp_error err;
    if (m->prefix_caching && m->no_prefix_caching)
        return lp_cli_usage_error(cmd,
                                  "%s: give one of --enable-prefix-caching and "
                                  "--no-enable-prefix-caching",
                                  "--no-enable-prefix-caching");
    s->enable_prefix_caching_off = m->no_prefix_caching;

    if (m->speculative_config &&
        lp_spec_config_parse(m->speculative_config, strlen(m->speculative_config), &s->speculative,
                             &err) != LP_OK) {
        fprintf(stderr, "llmplan %s: %s\n", cmd, err.message);
        return LP_EXIT_USAGE;
    }
    if (m->acceptance_rate != 0 && !m->speculative_config)
        return lp_cli_usage_error(cmd, "%s: give it with --speculative-config",
                                  "--acceptance-rate");
    if (m->acceptance_rate < 0 || m->acceptance_rate > 1)
        return lp_cli_usage_error(cmd, "%s: expected a probability in (0, 1]", "--acceptance-rate");
    s->speculative.acceptance_rate = m->acceptance_rate;
    if (s->speculative.method == LP_SPEC_DRAFT_MODEL) {
        if (lp_model_load(s->speculative.model, NULL, draft, &err) != LP_OK)
            return fail_flag(cmd, "--speculative-config model", &err);
        s->speculative.draft = draft;
    }

    lp_lora_config *l = &s->lora;
    l->enable_lora = m->enable_lora;
    l->max_loras = (int)m->max_loras;
    l->max_lora_rank = (int)m->max_lora_rank;
    l->max_cpu_loras = (int)m->max_cpu_loras;
    if (lp_lora_check(l, &err) != LP_OK) {
        fprintf(stderr, "llmplan %s: %s\n", cmd, err.message);
        return LP_EXIT_USAGE;
    }

    lp_disaggregation *d = &s->disaggregation;
    if (m->disaggregation && lp_disaggregation_parse(m->disaggregation, d, &err) != LP_OK) {
        fprintf(stderr, "llmplan %s: %s\n", cmd, err.message);
        return LP_EXIT_USAGE;
    }
    bool pool_flags =
        m->kv_connector || m->prefill_gpu || m->decode_gpu || m->prefill_tp || m->decode_tp;
    if (pool_flags && !m->disaggregation)
        return lp_cli_usage_error(cmd,
                                  "%s: --kv-connector and the --prefill-* / --decode-* flags "
                                  "need --disaggregation xPyD",
                                  "--disaggregation");
    if (m->kv_connector &&
        lp_kv_connector_parse(m->kv_connector, &d->kv_connector, &err) != LP_OK) {
        fprintf(stderr, "llmplan %s: %s\n", cmd, err.message);
        return LP_EXIT_USAGE;
    }
    d->prefill_tensor_parallel_size = (int)m->prefill_tp;
    d->decode_tensor_parallel_size = (int)m->decode_tp;
    int rc = pool_gpu(cmd, "--prefill-gpu", m->prefill_gpu, db, &c->prefill_gpu);
    if (rc == 0)
        rc = pool_gpu(cmd, "--decode-gpu", m->decode_gpu, db, &c->decode_gpu);
    return rc;
}
