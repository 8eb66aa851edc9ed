/*
 * gpu_flags.c - the GPU database of a command (embedded + --gpu-file) and GPUs described on
 * the command line (see gpu_flags.h).
 */
#include "cli/gpu_flags.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/workload_flags.h"

int lp_cli_open_gpu_db(const char *gpu_file, lp_gpu_db **user_db, const lp_gpu_db **db) {
    lp_error err;
    *db = lp_gpu_db_builtin();
    if (!*db) {
        fprintf(stderr, "llmplan: the embedded GPU database is corrupt (build defect)\n");
        return LP_EXIT_FAILURE;
    }
    if (gpu_file) {
        if (lp_gpu_db_load_file(gpu_file, user_db, &err) != LP_OK)
            return lp_cli_fail(&err);
        *db = *user_db;
    }
    return 0;
}

int lp_cli_describe_gpu(const char *cmd, const char *name, double memory_gib, double bandwidth_gbs,
                        double tflops, lp_gpu *g) {
    lp_error err;
    if (lp_gpu_describe(name, memory_gib, bandwidth_gbs, tflops, g, &err) != LP_OK)
        return lp_cli_usage_error(cmd, "%s", err.message);
    return 0;
}

int lp_cli_select_gpu(const char *cmd, const lp_cli_gpu_flags *f, const lp_gpu_db *db,
                      lp_gpu *out) {
    if (f->memory_gib > 0)
        return lp_cli_describe_gpu(cmd, f->gpu, f->memory_gib, f->bandwidth_gbs, f->tflops, out);
    const lp_gpu *found;
    lp_error err;
    if (lp_gpu_find(db, f->gpu, &found, &err) != LP_OK)
        return lp_cli_fail(&err);
    *out = *found;
    return 0;
}
