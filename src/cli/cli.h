/*
 * cli.h - the commands of the llmplan tool. Each returns the process exit code:
 * 0 success, 1 other failure (I/O), 2 bad usage or bad input, 3 valid but infeasible, 4 valid
 * but larger than a resource limit allows.
 */
#ifndef LP_CLI_H
#define LP_CLI_H

#include "llmplan/status.h"

enum {
    LP_EXIT_OK = 0,
    LP_EXIT_FAILURE = 1,
    LP_EXIT_USAGE = 2,
    LP_EXIT_INFEASIBLE = 3,
    LP_EXIT_LIMIT = 4 /* valid, but larger than a resource limit allows (simulation steps, ...) */
};

int lp_cmd_plan(int argc, char **argv);
int lp_cmd_estimate(int argc, char **argv);
int lp_cmd_recommend(int argc, char **argv);
int lp_cmd_explain(int argc, char **argv);
int lp_cmd_models(int argc, char **argv);
int lp_cmd_gpus(int argc, char **argv);
int lp_cmd_accuracy(int argc, char **argv);
int lp_cmd_compare(int argc, char **argv);
int lp_cmd_calibrate(int argc, char **argv);
int lp_cmd_detect(int argc, char **argv);
int lp_cmd_serve(int argc, char **argv);

/** Exit code for a library status (LP_ERR_IO -> 1, LP_ERR_INFEASIBLE -> 3, LP_ERR_LIMIT -> 4,
 *  others -> 2). */
int lp_cli_exit_code(lp_status st);

/** Print "llmplan: <message>" to stderr and return the exit code for the status. */
int lp_cli_fail(const lp_error *err);

/**
 * A renderer could not write the command's output to stdout: returns 1. A write error on
 * stdout is reported once, with the system's reason, when main flushes it; any other failure
 * of the renderer is reported here.
 */
int lp_cli_render_failed(const char *cmd);

#endif
