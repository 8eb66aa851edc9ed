/*
 * report_internal.h - what the HTML and Markdown reports share (private to src/render): the
 * charts of a report (report_charts.c) and the content, written once against a small
 * document interface that each format implements (report_content.c).
 */
#ifndef LP_RENDER_REPORT_INTERNAL_H
#define LP_RENDER_REPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "llmplan/report.h"
#include "render/svg.h"

/* ---- charts -------------------------------------------------------------------------------- */

/** Most series one report chart has. */
#define LP_REPORT_MAX_SERIES 8

/** A chart of a report with the storage its arrays point into. */
typedef struct {
    lp_svg_chart chart;
    lp_svg_series series[LP_REPORT_MAX_SERIES];
    const char *categories[LP_SVG_MAX_CATEGORIES];
    char category_text[LP_SVG_MAX_CATEGORIES][40];
    double *values;      /* malloc'd: every x and y array */
    bool *flags;         /* malloc'd: highlight arrays */
    const char **labels; /* malloc'd: label pointers ... */
    char *label_text;    /* ... into this */
    char title[160];
    char desc[480];
    char marker[80];
} lp_report_chart;

/** Build chart i of the report (in the order report.h lists). LP_ERR_INVALID_ARG when out of
 *  range, LP_ERR_NOMEM. Free with lp_report_chart_free, also after a failure. */
lp_status lp_report_chart_build(const lp_report *r, size_t i, lp_report_chart *out);
void lp_report_chart_free(lp_report_chart *c);

/** Index of the chart with this id ("chart-memory", ...), or (size_t)-1 when absent. */
size_t lp_report_chart_index(const lp_report *r, const char *id);

/* ---- the document interface ---------------------------------------------------------------- */

typedef struct lp_report_doc lp_report_doc;

/** One output format. Text arguments are plain text: the format escapes them. */
typedef struct {
    void (*section_begin)(lp_report_doc *d, const char *id, const char *title);
    void (*section_end)(lp_report_doc *d);
    void (*subheading)(lp_report_doc *d, const char *text);
    void (*para)(lp_report_doc *d, const char *cls, const char *text);
    void (*table_begin)(lp_report_doc *d, const char *id, const char *const *headers, size_t n);
    void (*table_row)(lp_report_doc *d, const char *cls, const char *const *cells, size_t n);
    void (*table_end)(lp_report_doc *d);
    void (*list_begin)(lp_report_doc *d);
    void (*list_item)(lp_report_doc *d, const char *text);
    void (*list_end)(lp_report_doc *d);
    void (*code)(lp_report_doc *d, const char *id, const char *text);
    lp_status (*chart)(lp_report_doc *d, const lp_report *r, size_t i);
} lp_report_doc_ops;

struct lp_report_doc {
    const lp_report_doc_ops *ops;
    FILE *out;
    const char *svg_prefix; /* Markdown: charts are linked as <prefix>-<n>.svg */
    size_t table_cols;      /* Markdown: columns of the open table */
};

/** Write every section of the report through d. */
lp_status lp_report_write_content(lp_report_doc *d, const lp_report *r);

/** The report's title (r->title or one made from the model and GPU) into buf; returns buf. */
const char *lp_report_title(const lp_report *r, char *buf, size_t size);

#endif
