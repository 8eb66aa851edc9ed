/*
 * gpu_flags.h - GPU selection helpers the commands share: the database with a user's
 * --gpu-file merged in, and a GPU the database lacks described by --gpu-memory-gib,
 * --gpu-bandwidth-gbs and --gpu-tflops (DESIGN §5).
 */
#ifndef LP_CLI_GPU_FLAGS_H
#define LP_CLI_GPU_FLAGS_H

#include "llmplan/hw.h"

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

#endif
