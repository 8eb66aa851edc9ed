/*
 * report_data.h - `--report FILE.html|FILE.md` for `llmplan plan` and `llmplan recommend`:
 * compute the series a report shows (by calling the library) and write the file(s).
 */
#ifndef LP_CLI_REPORT_DATA_H
#define LP_CLI_REPORT_DATA_H

#include <stdbool.h>

#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/render.h"

/**
 * Check a --report path before any work: its extension names a format (.html, .htm, .md,
 * .markdown), and neither it nor the charts a Markdown report writes beside it exist, unless
 * force (--force). 0, or an exit code after a message on stderr. NULL is fine (0).
 */
int lp_cli_report_check(const char *cmd, const char *path, bool force);

/**
 * Write the report of a memory plan to path: the plan, KV capacity re-planned at several
 * max-model-len values, roofline estimates at concurrency 1, 2, 4 ... up to what the KV cache
 * holds (knee marked), one simulation at the knee and the `vllm serve` command. s are the
 * settings the plan was computed with. Returns 0, or LP_EXIT_FAILURE when writing fails
 * (with a message on stderr).
 */
int lp_cli_report_plan(const char *path, bool force, int argc, char **argv, const char *model_spec,
                       const lp_model *model, const lp_gpu *gpu, const lp_serving *s,
                       const lp_mem_plan *plan);

/**
 * Write the report of a recommendation to path: the view's tables and Pareto front, and for
 * the chosen configuration the memory plan, KV capacity sweep, load sweep and one simulation
 * of the searched workload (num_prompts requests). Returns 0 or LP_EXIT_FAILURE.
 */
int lp_cli_report_recommend(const char *path, bool force, int argc, char **argv,
                            const lp_recommend_view *v, int num_prompts);

#endif
