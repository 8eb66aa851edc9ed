/*
 * report_html.c - the report as one self-contained HTML file: inline CSS (system font stack,
 * a readable width, styled tables, a print stylesheet) and inline SVG charts; no scripts, no
 * web fonts, no external references, so it opens offline and prints as it shows.
 *
 * The document is polyglot HTML5: every element closed and every text escaped, so an XML
 * parser reads it as well as a browser does (the tests parse it both ways). The stylesheet
 * therefore holds no '<' or '&'. Content lives in report_content.c; this file is only the
 * HTML spelling of it.
 */
#include <stdio.h>

#include "render/report_internal.h"

static const char CSS[] =
    ":root { color-scheme: light; }\n"
    "body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, "
    "sans-serif; font-size: 15px; line-height: 1.5; color: #1d1d1f; background: #fff; "
    "max-width: 72rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }\n"
    "h1 { font-size: 1.6rem; margin: 0 0 0.5rem; }\n"
    "h2 { font-size: 1.25rem; margin: 2rem 0 0.6rem; padding-bottom: 0.25rem; "
    "border-bottom: 1px solid #ddd; }\n"
    "h3 { font-size: 1.05rem; margin: 1.2rem 0 0.4rem; }\n"
    "p.verdict { font-weight: 600; padding: 0.5rem 0.75rem; border-radius: 4px; }\n"
    "p.verdict.ok { background: #eaf6ec; border-left: 4px solid #2e8b57; }\n"
    "p.verdict.fail { background: #fdecea; border-left: 4px solid #c0392b; }\n"
    "p.note, p.command { color: #555; font-size: 0.9rem; }\n"
    "p.knee { font-weight: 600; color: #c0392b; }\n"
    ".table-wrap { overflow-x: auto; margin: 0.5rem 0 1rem; }\n"
    "table.data { border-collapse: collapse; font-size: 0.86rem; "
    "font-variant-numeric: tabular-nums; }\n"
    "table.data th, table.data td { border: 1px solid #d6d6d6; padding: 0.25rem 0.5rem; "
    "text-align: left; vertical-align: top; }\n"
    "table.data th { background: #f3f4f6; font-weight: 600; }\n"
    "table.data tr:nth-child(even) td { background: #fafafa; }\n"
    "table.data tr.chosen td, table.data tr.knee td, table.data tr.current td "
    "{ background: #fff4d6; font-weight: 600; }\n"
    "table.data tr.fits td:nth-child(2) { color: #2e8b57; }\n"
    "figure { margin: 1rem 0; }\n"
    "figure svg.chart { max-width: 100%; height: auto; display: block; }\n"
    "figcaption { color: #555; font-size: 0.85rem; max-width: 48rem; }\n"
    "pre { background: #f6f8fa; border: 1px solid #ddd; border-radius: 4px; padding: 0.75rem; "
    "overflow-x: auto; white-space: pre-wrap; word-break: break-all; }\n"
    "code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', "
    "monospace; font-size: 0.85rem; }\n"
    "footer { margin-top: 2.5rem; color: #777; font-size: 0.8rem; }\n"
    "@media print {\n"
    "  body { max-width: none; font-size: 11pt; padding: 0; }\n"
    "  section, figure, table { break-inside: avoid; page-break-inside: avoid; }\n"
    "  h2 { break-after: avoid; page-break-after: avoid; }\n"
    "  .table-wrap { overflow: visible; }\n"
    "  pre { white-space: pre-wrap; }\n"
    "}\n";

static void esc(lp_report_doc *d, const char *text) {
    lp_svg_escape(d->out, text);
}

static void h_section_begin(lp_report_doc *d, const char *id, const char *title) {
    fprintf(d->out, "<section id=\"%s\">\n<h2>", id);
    esc(d, title);
    fputs("</h2>\n", d->out);
}

static void h_section_end(lp_report_doc *d) {
    fputs("</section>\n", d->out);
}

static void h_subheading(lp_report_doc *d, const char *text) {
    fputs("<h3>", d->out);
    esc(d, text);
    fputs("</h3>\n", d->out);
}

static void h_para(lp_report_doc *d, const char *cls, const char *text) {
    if (cls)
        fprintf(d->out, "<p class=\"%s\">", cls);
    else
        fputs("<p>", d->out);
    esc(d, text);
    fputs("</p>\n", d->out);
}

static void h_table_begin(lp_report_doc *d, const char *id, const char *const *headers, size_t n) {
    fprintf(d->out, "<div class=\"table-wrap\"><table class=\"data\" id=\"%s\">\n<thead><tr>", id);
    for (size_t i = 0; i < n; i++) {
        fputs("<th>", d->out);
        esc(d, headers[i]);
        fputs("</th>", d->out);
    }
    fputs("</tr></thead>\n<tbody>\n", d->out);
}

static void h_table_row(lp_report_doc *d, const char *cls, const char *const *cells, size_t n) {
    if (cls)
        fprintf(d->out, "<tr class=\"%s\">", cls);
    else
        fputs("<tr>", d->out);
    for (size_t i = 0; i < n; i++) {
        fputs("<td>", d->out);
        esc(d, cells[i]);
        fputs("</td>", d->out);
    }
    fputs("</tr>\n", d->out);
}

static void h_table_end(lp_report_doc *d) {
    fputs("</tbody>\n</table></div>\n", d->out);
}

static void h_list_begin(lp_report_doc *d) {
    fputs("<ul>\n", d->out);
}

static void h_list_item(lp_report_doc *d, const char *text) {
    fputs("<li>", d->out);
    esc(d, text);
    fputs("</li>\n", d->out);
}

static void h_list_end(lp_report_doc *d) {
    fputs("</ul>\n", d->out);
}

static void h_code(lp_report_doc *d, const char *id, const char *text) {
    fprintf(d->out, "<pre id=\"%s\"><code>", id);
    esc(d, text);
    fputs("</code></pre>\n", d->out);
}

static lp_status h_chart(lp_report_doc *d, const lp_report *r, size_t i) {
    lp_report_chart c;
    lp_status st = lp_report_chart_build(r, i, &c);
    if (st == LP_OK) {
        fputs("<figure>\n", d->out);
        st = lp_svg_write(d->out, &c.chart, false);
        fputs("<figcaption>", d->out);
        esc(d, c.desc);
        fputs("</figcaption>\n</figure>\n", d->out);
    }
    lp_report_chart_free(&c);
    return st;
}

static const lp_report_doc_ops HTML_OPS = {
    h_section_begin, h_section_end, h_subheading, h_para,     h_table_begin, h_table_row,
    h_table_end,     h_list_begin,  h_list_item,  h_list_end, h_code,        h_chart,
};

lp_status lp_render_report_html(FILE *out, const lp_report *r) {
    char title[512];
    lp_report_title(r, title, sizeof title);
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
          "<meta name=\"generator\" content=\"llmplan\"/>\n<title>",
          out);
    lp_svg_escape(out, title);
    fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body data-report=\"%s\">\n<h1>", CSS,
            r->recommend ? "recommend" : "plan");
    lp_svg_escape(out, title);
    fputs("</h1>\n", out);
    lp_report_doc d = {&HTML_OPS, out, NULL, 0};
    lp_status st = lp_report_write_content(&d, r);
    fputs("<footer>Estimates by llmplan, which reproduces vLLM's start-up memory arithmetic and "
          "models its performance; measure before you commit hardware.</footer>\n"
          "</body>\n</html>\n",
          out);
    if (st != LP_OK)
        return st;
    return ferror(out) ? LP_ERR_IO : LP_OK;
}
