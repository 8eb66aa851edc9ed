/*
 * serving_internal.h - what the parts of the serving harness share (private to src/validate):
 * the columns of a serving table, a mapped row, and the row mapper (serving_map.c) that
 * serving.c estimates and compares and serving_tables.c summarizes.
 */
#ifndef LP_VALIDATE_SERVING_INTERNAL_H
#define LP_VALIDATE_SERVING_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include "llmplan/hw.h"
#include "llmplan/model.h"
#include "llmplan/perf.h"
#include "llmplan/validate.h"

/* Columns read by name; the required ones must be in the header (see serving_map.c). */
enum {
    LP_SC_SOURCE,
    LP_SC_ENGINE,
    LP_SC_ENGINE_VERSION,
    LP_SC_MODEL,
    LP_SC_PRECISION,
    LP_SC_GPU,
    LP_SC_GPU_COUNT,
    LP_SC_TP,
    LP_SC_PP,
    LP_SC_DP,
    LP_SC_DATASET,
    LP_SC_ISL,
    LP_SC_OSL,
    LP_SC_NUM_PROMPTS,
    LP_SC_CONCURRENCY,
    LP_SC_REQUEST_RATE,
    LP_SC_MAX_BATCH,
    LP_SC_NOTES,
    LP_SC_MODE,
    LP_SC_MODE_SETTINGS,
    LP_SC_INPUT_TOK_S,
    LP_SC_TTFT_UNSTATED,
    LP_SC_ITL_UNSTATED,
    LP_SC_THROUGHPUT_UNSPECIFIED,
    LP_SC_FIRST_METRIC, /* then one column per lp_serving_metric */
    LP_SC_COUNT = LP_SC_FIRST_METRIC + LP_SM_COUNT
};

/* Everything a row maps to, besides what is stored in the row result. */
typedef struct {
    lp_model model;
    const lp_gpu *gpu;
    lp_perf_request req;
    double actual[LP_SM_COUNT];
    bool latency_test;   /* a fixed batch issued at once; E2E is the batch's */
    bool single_request; /* output_tok_s is one request's: output tokens / its E2E */
    bool tput_either;    /* output_tok_s is total or output tok/s (not stated which) */
    double isl_mean, osl_mean, isl_max, osl_max;
} lp_serving_row_map;

/*
 * Map the header cells to colmap (LP_SC_COUNT entries, -1 for absent columns); a required
 * column missing, or no metric column, is LP_ERR_PARSE naming path and line.
 */
lp_status lp_serving_read_header(char **cols, int n, const char *path, int lineno, int *colmap,
                                 lp_error *err);

/** Most cells a serving-table line is split into. */
#define LP_SERVING_TABLE_MAX_COLS 64

/** A serving table being read row by row (lp_serving_table_open ... _close). */
typedef struct {
    FILE *f;
    const char *path;
    char *line; /* getline's buffer */
    size_t cap;
    int lineno; /* the line last read */
    bool have_header;
    int colmap[LP_SC_COUNT];
    char *cols[LP_SERVING_TABLE_MAX_COLS];
} lp_serving_table;

/** Open path for reading; LP_ERR_IO "<path>: cannot open". */
lp_status lp_serving_table_open(lp_serving_table *t, const char *path, lp_error *err);

/**
 * The next data row of t, its cells in column order into c (LP_SC_COUNT of them): *got says
 * whether there was one. The header comes first and is checked (lp_serving_read_header); a
 * file that ends without one is LP_ERR_PARSE "<path>: no header row".
 */
lp_status lp_serving_table_next(lp_serving_table *t, char **c, bool *got, lp_error *err);

/** Free the line buffer and close the file. */
void lp_serving_table_close(lp_serving_table *t);

/*
 * Map one row's cells (c[k] for column k, "" when absent) to a request: fills row (usable,
 * reason, notes, split, labels) and rm. False when the row cannot be used (row->reason says
 * why). rm must be zeroed by the caller.
 */
bool lp_serving_map_row(char **c, lp_serving_row_result *row, lp_serving_row_map *rm);

/*
 * Which data lines of the serving table at tsv_path repeat an earlier run of the same benchmark
 * on the same server (serving_sweep.c): *repeat (malloc'd, free it) has *n_lines + 1 entries,
 * indexed by line number. Errors: LP_ERR_IO, LP_ERR_PARSE (no header), LP_ERR_NOMEM.
 */
lp_status lp_serving_sweep_scan(const char *tsv_path, bool **repeat, int *n_lines, lp_error *err);

/* Add a note to a row (no-op when full). */
void lp_serving_note(lp_serving_row_result *row, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Metrics of each family in the order a row's statistic is chosen (median, mean, p99). */
extern const lp_serving_metric LP_FAMILY_METRICS[LP_SF_COUNT][3];

/* The metric of a family the row states, in the family's order; -1 if none. */
int lp_serving_family_metric(const lp_serving_row_result *row, int family);

/* Recompute the report's summaries over its rows (serving_tables.c). */
void lp_serving_summarize(lp_serving_report *r);

#endif
