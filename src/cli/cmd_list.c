/*
 * cmd_list.c - `llmplan models` and `llmplan gpus`: print the embedded catalog and the GPU
 * database (plus a user GPU file) as tables or JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "llmplan/hw.h"
#include "llmplan/render.h"
#include "llmplan/usecase.h"

static void print_models_help(const lp_opt *opts) {
    printf("Usage: llmplan models [--json]\n\nThe embedded catalog: Hugging Face ids usable "
           "offline with --model (case-insensitive;\n-Instruct/-FP8/-AWQ variants of a listed "
           "model resolve to its architecture).\n\n");
    lp_opts_print(opts);
    printf("\nExample:\n  llmplan models | grep -i qwen3\n");
}

static void print_gpus_help(const lp_opt *opts) {
    printf("Usage: llmplan gpus [--gpu-file FILE] [--json]\n\nThe embedded GPU database "
           "(memory as the driver reports it, bandwidth, dense FLOPS,\ninterconnect), every "
           "row with its source. Numbers: GiB, GB/s, TFLOPS.\n\n");
    lp_opts_print(opts);
    printf("\nExamples:\n  llmplan gpus\n  llmplan gpus --gpu-file my-gpus.tsv --json\n");
}

int lp_cmd_models(int argc, char **argv) {
    bool json = false, help = false;
    const lp_opt opts[] = {
        {"--json", NULL, LP_OPT_FLAG, &json, NULL, "print a JSON array", NULL},
        LP_OPT_HELP_AND_END(help),
    };
    int rc = lp_opts_command("models", opts, argc, argv, 2, &help, print_models_help);
    if (rc != LP_OPTS_RUN)
        return rc;
    lp_catalog_row *rows = NULL;
    size_t n = 0;
    lp_error err;
    if (lp_models_list(&rows, &n, &err) != LP_OK)
        return lp_cli_fail(&err);
    lp_status st = lp_render_catalog(stdout, rows, n, json);
    free(rows);
    return st == LP_OK ? LP_EXIT_OK : lp_cli_render_failed("models");
}

int lp_cmd_gpus(int argc, char **argv) {
    bool json = false, help = false;
    const char *file = NULL;
    const lp_opt opts[] = {
        {"--gpu-file", NULL, LP_OPT_STRING, &file, "TSV", "add or override rows from a TSV file",
         NULL},
        {"--json", NULL, LP_OPT_FLAG, &json, NULL, "print a JSON array", NULL},
        LP_OPT_HELP_AND_END(help),
    };
    int rc = lp_opts_command("gpus", opts, argc, argv, 2, &help, print_gpus_help);
    if (rc != LP_OPTS_RUN)
        return rc;
    lp_gpu_db *user = NULL;
    const lp_gpu_db *db = lp_gpu_db_builtin();
    if (file) {
        lp_error err;
        if (lp_gpu_db_load_file(file, &user, &err) != LP_OK)
            return lp_cli_fail(&err);
        db = user;
    }
    if (!db) {
        fprintf(stderr, "llmplan: the embedded GPU database is corrupt (build defect)\n");
        return LP_EXIT_FAILURE;
    }
    lp_status st = lp_render_gpus(stdout, db, json);
    lp_gpu_db_free(user);
    return st == LP_OK ? LP_EXIT_OK : lp_cli_render_failed("gpus");
}
