/*
 * workload_flags.h - workload flags shared by estimate, recommend and explain: length
 * distributions as `--input-len-dist` / `--output-len-dist` spell them (normal:MEAN,SD,
 * uniform:LO,HI, hist:FILE, sharegpt) and the usage-error message all commands print.
 */
#ifndef LP_CLI_WORKLOAD_FLAGS_H
#define LP_CLI_WORKLOAD_FLAGS_H

#include "llmplan/perf.h"

/** Arrays a histogram distribution points to (the caller frees them at the end). */
typedef struct {
    double *values, *weights;
} lp_cli_hist_store;

/** Free the arrays of a histogram store (safe on an empty one). */
void lp_cli_hist_free(lp_cli_hist_store *hs);

/** Print "llmplan CMD: <fmt with arg> (see llmplan CMD --help)" and return LP_EXIT_USAGE. */
int lp_cli_usage_error(const char *cmd, const char *fmt, const char *arg);

/**
 * Parse a length distribution spec for flag (used in messages). sharegpt_mean is the mean
 * of the ShareGPT-like preset. hist:FILE reads "tokens weight" lines into hs. Returns 0, or
 * prints one message and returns an exit code (2 bad spec, 1 unreadable file).
 */
int lp_cli_parse_len_dist(const char *cmd, const char *flag, const char *spec, double sharegpt_mean,
                          lp_len_dist *d, lp_cli_hist_store *hs);

#endif
