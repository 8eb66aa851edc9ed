/*
 * opts.h - table-driven option parsing for the llmplan commands.
 *
 * Accepts vLLM's spellings: `--name value`, `--name=value`, short aliases such as `-tp 2`,
 * boolean flags, and human-readable integers (`16k`, `32K`, `1M`) for token counts, like
 * vLLM's human_readable_int.
 */
#ifndef LP_CLI_OPTS_H
#define LP_CLI_OPTS_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    LP_OPT_FLAG,   /* bool, no value */
    LP_OPT_STRING, /* const char * */
    LP_OPT_INT,    /* int64_t, human-readable suffixes k/K/m/M allowed */
    LP_OPT_DOUBLE  /* double */
} lp_opt_kind;

typedef struct {
    const char *name;  /* "--max-model-len" */
    const char *alias; /* "-tp" or NULL */
    lp_opt_kind kind;
    void *target; /* bool*, const char**, int64_t*, double* */
    const char *metavar;
    const char *help;
    bool *seen; /* optional: set when the option was given */
} lp_opt;

/**
 * Parse argv[first..argc) against opts (terminated by a zero entry). Positional arguments are
 * rejected. Prints one clear error to stderr and returns false on a problem.
 * `cmd` names the command in messages.
 */
bool lp_opts_parse(const char *cmd, const lp_opt *opts, int argc, char **argv, int first);

/** Print the option table as help text to stdout. */
void lp_opts_print(const lp_opt *opts);

/** Parse a human-readable integer ("16000", "16k", "1M", "-1"). */
bool lp_opts_parse_int(const char *text, int64_t *out);

#endif
