/*
 * gpu_flags.h - GPU selection helpers the commands share: the database with a user's
 * --gpu-file merged in, and a GPU the database lacks described by --gpu-memory-gib,
 * --gpu-bandwidth-gbs and --gpu-tflops (DESIGN §5).
 */
#ifndef LP_CLI_GPU_FLAGS_H
#define LP_CLI_GPU_FLAGS_H

#include "llmplan/hw.h"

/** The flags that name a GPU, or describe one the database lacks (plan and explain). */
typedef struct {
    const char *gpu, *gpu_file;
    double memory_gib, bandwidth_gbs, tflops;
} lp_cli_gpu_flags;

/* The lp_opt rows for lp_cli_gpu_flags g (expand inside an lp_opt array). */
#define LP_CLI_GPU_OPTS(g)                                                                         \
    {"--gpu", NULL, LP_OPT_STRING, &(g).gpu, "GPU", "GPU name (see `llmplan gpus`)", NULL},        \
        {"--gpu-file",  NULL,  LP_OPT_STRING,                                                      \
         &(g).gpu_file, "TSV", "add or override GPU rows (same columns as data/gpus.tsv)",         \
         NULL},                                                                                    \
        {"--gpu-memory-gib",                                                                       \
         NULL,                                                                                     \
         LP_OPT_DOUBLE,                                                                            \
         &(g).memory_gib,                                                                          \
         "GIB",                                                                                    \
         "describe a GPU the database lacks: total memory",                                        \
         NULL},                                                                                    \
        {"--gpu-bandwidth-gbs",                                                                    \
         NULL,                                                                                     \
         LP_OPT_DOUBLE,                                                                            \
         &(g).bandwidth_gbs,                                                                       \
         "GBS",                                                                                    \
         "  ... and its memory bandwidth",                                                         \
         NULL},                                                                                    \
    {                                                                                              \
        "--gpu-tflops", NULL, LP_OPT_DOUBLE, &(g).tflops, "TF", "  ... and its dense bf16 TFLOPS", \
            NULL                                                                                   \
    }

/**
 * The embedded GPU database, or (with gpu_file) a copy with the file's rows merged in, which
 * *user_db owns (free with lp_gpu_db_free). Prints the error and returns an exit code on
 * failure; 0 otherwise.
 */
int lp_cli_open_gpu_db(const char *gpu_file, lp_gpu_db **user_db, const lp_gpu_db **db);

/**
 * A GPU described on the command line: memory_gib is taken as the driver-reported total,
 * bandwidth and TFLOPS may be 0 (unknown); bf16-capable is assumed (said by the caller in its
 * report). Prints the error and returns an exit code for a bad size; 0 otherwise.
 */
int lp_cli_describe_gpu(const char *cmd, const char *name, double memory_gib, double bandwidth_gbs,
                        double tflops, lp_gpu *g);

/**
 * The GPU the flags give: described (lp_cli_describe_gpu) when --gpu-memory-gib is set,
 * otherwise --gpu looked up in db (unknown names get suggestions). Prints the error and
 * returns an exit code on failure; 0 when *out is set.
 */
int lp_cli_select_gpu(const char *cmd, const lp_cli_gpu_flags *f, const lp_gpu_db *db, lp_gpu *out);

#endif
