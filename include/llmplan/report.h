/*
 * llmplan/report.h - reports people look at: one self-contained HTML file, or Markdown with
 * its charts as SVG files, for `llmplan plan --report` and `llmplan recommend --report`.
 *
 * A report shows the inputs (model, GPUs, settings, workload), the memory breakdown per GPU
 * (one stacked bar per pipeline stage), KV capacity and maximum concurrency against
 * max-model-len, throughput and latency against concurrency with the knee marked, the latency
 * statistics of one simulation, for a recommendation the cost / latency Pareto front, the top
 * configurations and the rejection summary, the assumptions and the `vllm serve` command.
 * Like every renderer these only format: every number and series comes in the lp_report the
 * caller filled (the CLI computes the sweeps by calling the library, src/cli/report_data.c).
 *
 * HTML: one file with inline CSS and inline SVG; no scripts, no fonts, no http(s) references,
 * so it opens offline; print-friendly. It is also well-formed XML (polyglot HTML5).
 * Markdown: the same sections; GitHub strips <svg> from Markdown, so each chart is written to
 * a file of its own next to the report (lp_render_report_chart_svg) and linked by a relative
 * path: report.md links report-1.svg, report-2.svg, ... in chart order.
 *
 * Stable hooks for tests and browser tests (do not rename):
 *  - every chart: <svg class="chart" id="chart-..." data-kind=... data-series="N"> (svg.h has
 *    the inner structure: <g class="series">, <polyline class="series-line">,
 *    <rect class="bar">, <circle class="point">, <circle class="point highlight">,
 *    <line class="marker">);
 *  - chart ids, in this order when present: chart-memory, chart-kv-tokens,
 *    chart-kv-concurrency, chart-throughput, chart-latency, chart-simulation, chart-pareto,
 *    chart-capacity-ttft, chart-capacity-tpot, chart-capacity-e2e (latency against load of the
 *    top configurations, one per latency target, with the target line), chart-load-profile;
 *  - sections <section id=...>: summary, inputs, memory, kv-capacity, load, simulation,
 *    pareto, ranked, capacity, load-profile, rejections, assumptions, vllm-serve;
 *  - tables have class "data"; the ranked table is id "ranked-table" with the chosen row
 *    <tr class="chosen">; the load table marks the knee row <tr class="knee">;
 *  - the command is <pre id="vllm-serve-command"><code>...</code></pre>;
 *  - <body data-report="plan|recommend">.
 */
#ifndef LLMPLAN_REPORT_H
#define LLMPLAN_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/perf.h"
#include "llmplan/render.h"
#include "llmplan/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Report file formats. */
typedef enum { LP_REPORT_NONE = 0, LP_REPORT_HTML, LP_REPORT_MARKDOWN } lp_report_format;

/** The format a file name asks for: .html/.htm -> HTML, .md/.markdown -> Markdown
 *  (case-insensitive), anything else LP_REPORT_NONE. */
lp_report_format lp_report_format_for_path(const char *path);

/* lp_report_len_point and lp_report_load_point: llmplan/usecase.h (lp_report_series). */
/** Everything a report shows. Pointers are borrowed; NULL / 0 leave a section out. */
typedef struct {
    const char *title;       /**< NULL: "llmplan plan: MODEL on N x GPU" or similar */
    const char *command;     /**< the llmplan command line that produced it (NULL: omitted) */
    const char *model_spec;  /**< the model as the user named it */
    const lp_model *model;   /**< the model (NULL: only model_spec is shown) */
    const lp_gpu *gpu;       /**< GPU of the detailed configuration */
    const lp_mem_plan *plan; /**< its memory plan (NULL: no configuration to detail) */
    const lp_perf_request *workload;  /**< the workload the estimates used */
    const char *workload_note;        /**< how that workload was chosen (NULL: none) */
    const lp_perf_estimate *estimate; /**< roofline at the workload (NULL: none) */

    const lp_report_len_point *lengths; /**< KV capacity vs max-model-len, ascending */
    size_t n_lengths;

    const lp_report_load_point *load; /**< estimates vs concurrency, ascending */
    size_t n_load;
    int knee;              /**< index into load of the knee (-1: none) */
    double knee_threshold; /**< the throughput gain per doubling that defines it (0.10) */

    const lp_perf_estimate *simulation; /**< one simulation at the workload (NULL: not run) */
    const char *simulation_note;        /**< what was simulated (requests, arrival) */

    const char *vllm_serve; /**< the `vllm serve` command (NULL: none could be built) */

    const lp_recommend_view *recommend; /**< NULL: a plan report */
    size_t max_scatter_points;          /**< ranked points in the Pareto chart (0: 1000) */
} lp_report;

/** Initialise r: everything empty, knee -1, threshold 0.10. */
void lp_report_init(lp_report *r);

/** Number of charts the report has (the SVG files a Markdown report links). */
size_t lp_report_chart_count(const lp_report *r);

/**
 * Write chart i (0-based, < lp_report_chart_count) as a standalone SVG file.
 * LP_ERR_INVALID_ARG for i out of range, LP_ERR_IO when writing fails.
 */
lp_status lp_render_report_chart_svg(FILE *out, const lp_report *r, size_t i);

/** Write the report as one self-contained HTML file. LP_ERR_IO when writing fails,
 *  LP_ERR_NOMEM when a chart's buffers cannot be allocated. */
lp_status lp_render_report_html(FILE *out, const lp_report *r);

/**
 * Write the report as Markdown. Chart i is linked as "<svg_prefix>-<i+1>.svg" (svg_prefix is
 * a relative path, usually the report's file name without ".md"); the caller writes those
 * files with lp_render_report_chart_svg. LP_ERR_IO when writing fails.
 */
lp_status lp_render_report_md(FILE *out, const lp_report *r, const char *svg_prefix);

#ifdef __cplusplus
}
#endif

#endif
