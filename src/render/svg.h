/*
 * svg.h - a small SVG chart writer for the HTML and Markdown reports (private to src/render).
 *
 * Four kinds: bars (stacked, or grouped side by side), lines (several series), scatter (points,
 * some highlighted) and histogram (bins from edges). Axes with ticks and units, a title, axis
 * labels and a legend; every text passes through lp_svg_escape. No external library.
 *
 * The element structure is stable (the report tests and the browser tests rely on it):
 *  - the root is <svg class="chart" id=ID data-kind="bar|line|scatter|histogram"
 *    data-series="N" role="img"> with a <title> and, when given, a <desc>;
 *  - each series is one <g class="series" data-name="NAME" data-index="I">;
 *  - a line series is exactly one <polyline class="series-line"> (plus its point markers as
 *    <circle class="point">); a bar segment or a histogram bin is one <rect class="bar"> (with
 *    a <title> tooltip); a scatter point is one <circle class="point">, highlighted ones
 *    <circle class="point highlight">;
 *  - nothing else uses <rect> or <polyline>: frame, grid, ticks, markers and legend swatches
 *    are <line> and <path>, so polylines count series and rects count bars;
 *  - a vertical marker (the knee of a curve) is <line class="marker"> with a <text>.
 * Points whose value is not finite are skipped (a line series with none left is an empty
 * polyline). Log axes drop non-positive values.
 */
#ifndef LP_RENDER_SVG_H
#define LP_RENDER_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "llmplan/status.h"

/** Most bars (categories) one bar chart draws. */
#define LP_SVG_MAX_CATEGORIES 64

typedef enum { LP_SVG_BAR = 0, LP_SVG_LINE, LP_SVG_SCATTER, LP_SVG_HISTOGRAM } lp_svg_kind;

/** One series. Arrays are borrowed. */
typedef struct {
    const char *name; /**< legend text */
    const double *x;  /**< line/scatter: x of each point; histogram: n+1 bin edges; bar: unused */
    const double *y;  /**< values (bar: one per category) */
    size_t n;         /**< points (bar: must equal the chart's n_categories; histogram: bins) */
    const bool *highlight;     /**< scatter: points drawn highlighted (NULL: none) */
    const char *const *labels; /**< per point: tooltip text, and for bars the segment label
                                    (NULL: the value with the unit) */
    const char *color;         /**< "#rrggbb" (NULL: from the palette) */
    bool no_markers;           /**< line: no point markers (a reference line) */
} lp_svg_series;

/** One chart. Strings are borrowed; NULL means "none". */
typedef struct {
    lp_svg_kind kind;
    const char *id;    /**< id attribute of the root <svg> */
    const char *title; /**< drawn at the top and as the <title> */
    const char *desc;  /**< <desc> (what the chart shows, in words) */
    const char *x_label, *x_unit, *y_label, *y_unit;
    const char *const *categories; /**< bar: the label under each bar */
    size_t n_categories;
    const lp_svg_series *series;
    size_t n_series;
    bool stacked; /**< bar: segments stacked (else grouped side by side) */
    bool log_x, log_y;
    double marker_x;          /**< a vertical marker at this x (NaN: none) */
    const char *marker_label; /**< its label */
    int width, height;        /**< pixels (0: 640 x 360) */
} lp_svg_chart;

/** A chart with the defaults: no marker, 640 x 360. */
void lp_svg_chart_init(lp_svg_chart *c, lp_svg_kind kind);

/**
 * Write the chart as one <svg> element. standalone adds the XML declaration (a file of its
 * own). Returns LP_ERR_INVALID_ARG for a bar series whose n differs from n_categories or
 * more than LP_SVG_MAX_CATEGORIES categories,
 * LP_ERR_IO when writing fails.
 */
lp_status lp_svg_write(FILE *out, const lp_svg_chart *c, bool standalone);

/**
 * Write text escaped for XML/HTML content and attribute values: < > & " ' become entities,
 * control characters other than tab and newline become spaces, and bytes that are not valid
 * UTF-8 become U+FFFD, so that the output always parses.
 */
void lp_svg_escape(FILE *out, const char *text);

/** The palette colour of series i (cycles). */
const char *lp_svg_color(size_t i);

/** Format a tick or axis value compactly ("0.5", "12", "1.5k", "2M") into buf; returns buf. */
const char *lp_svg_number(char *buf, size_t size, double v);

#endif
