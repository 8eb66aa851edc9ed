/*
 * opts.h - table-driven option parsing for the llmplan commands.
 *
 * Accepts vLLM's spellings: `--name value`, `--name=value`, short aliases such as `-tp 2`,
 * boolean flags, and human-readable integers (`16k`, `32K`, `1M`) for token counts, like
 * vLLM's human_readable_int.
 *
 * Every number goes through one parser: NaN, infinities, overflow and trailing garbage are
 * refused, and so is a value outside the option's range (opt_ranges.c: one table for every
 * command, since a flag means the same everywhere; 0 and up for a flag it does not list),
 * each time with a message that names the one option and its range.
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

/** Largest number an option takes unless its range says otherwise (exact in a double). */
#define LP_OPT_MAX 9.0e15

/**
 * Parse argv[first..argc) against opts (terminated by a zero entry). Positional arguments are
 * rejected. Prints one clear error to stderr and returns false on a problem.
 * `cmd` names the command in messages.
 */
bool lp_opts_parse(const char *cmd, const lp_opt *opts, int argc, char **argv, int first);

/** The --model row of the commands that load one model (plan, estimate, recommend, explain). */
#define LP_OPT_MODEL(model)                                                                        \
    {                                                                                              \
        "--model", NULL, LP_OPT_STRING, &(model), "MODEL",                                         \
            "HF id, config.json or model directory", NULL                                          \
    }

/** The last rows of every command's table: -h/--help into the bool help, then the end. */
#define LP_OPT_HELP_AND_END(help)                                                                  \
    {"--help", "-h", LP_OPT_FLAG, &(help), NULL, "show this help", NULL}, {                        \
        0                                                                                          \
    }

/** What lp_opts_command returns when the command goes on to run. */
#define LP_OPTS_RUN (-1)

/**
 * A command's front door: lp_opts_parse, then --help. Returns LP_OPTS_RUN when the command goes
 * on; otherwise the exit code to return: a usage error (printed), or 0 after print_help(opts)
 * printed the help (help points at the bool of LP_OPT_HELP_AND_END).
 */
int lp_opts_command(const char *cmd, const lp_opt *opts, int argc, char **argv, int first,
                    const bool *help, void (*print_help)(const lp_opt *opts));

/** Print the option table as help text to stdout. */
void lp_opts_print(const lp_opt *opts);

/** Parse a human-readable integer ("16000", "16k", "1M", "-1"): no NaN, infinity, fraction,
 *  trailing text or magnitude above LP_OPT_MAX. */
bool lp_opts_parse_int(const char *text, int64_t *out);

/** Parse a finite number with nothing after it ("0.9", "1e3"; not "nan", "inf", "1x"). */
bool lp_opts_parse_double(const char *text, double *out);

/**
 * Print "llmplan CMD: FLAG: expected WHAT, got "VALUE"" to stderr (VALUE shortened when long,
 * control characters escaped) and return false. For the commands' own checks of a flag.
 */
bool lp_opts_bad_value(const char *cmd, const char *flag, const char *what, const char *value);

#endif
