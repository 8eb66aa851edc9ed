/*
 * report_md.c - the report as Markdown (GitHub-flavoured: pipe tables, fenced code).
 *
 * GitHub does not render <svg> inside Markdown, so the charts are not inline: chart N is
 * linked as an image from "<prefix>-N.svg" next to the report, and the caller writes those
 * files (lp_render_report_chart_svg). The sections and tables are those of the HTML report
 * (report_content.c); this file is only the Markdown spelling of them.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "render/report_internal.h"

/* Text with Markdown's active characters backslash-escaped, on one line (cells, paragraphs). */
static void md_text(FILE *o, const char *text) {
    for (const char *p = text ? text : ""; *p; p++) {
        if (*p == '\n' || *p == '\r') {
            fputc(' ', o);
            continue;
        }
        if (strchr("\\`*_[]<>|#", *p))
            fputc('\\', o);
        fputc(*p, o);
    }
}

static void m_section_begin(lp_report_doc *d, const char *id, const char *title) {
    (void)id;
    fputs("\n## ", d->out);
    md_text(d->out, title);
    fputs("\n\n", d->out);
}

static void m_section_end(lp_report_doc *d) {
    (void)d;
}

static void m_subheading(lp_report_doc *d, const char *text) {
    fputs("\n### ", d->out);
    md_text(d->out, text);
    fputs("\n\n", d->out);
}

static void m_para(lp_report_doc *d, const char *cls, const char *text) {
    bool strong = cls && strncmp(cls, "verdict", 7) == 0;
    fputs(strong ? "**" : "", d->out);
    md_text(d->out, text);
    fputs(strong ? "**\n\n" : "\n\n", d->out);
}

static void m_table_begin(lp_report_doc *d, const char *id, const char *const *headers, size_t n) {
    (void)id;
    d->table_cols = n;
    fputs("|", d->out);
    for (size_t i = 0; i < n; i++) {
        fputc(' ', d->out);
        md_text(d->out, headers[i]);
        fputs(" |", d->out);
    }
    fputs("\n|", d->out);
    for (size_t i = 0; i < n; i++)
        fputs(" --- |", d->out);
    fputc('\n', d->out);
}

static void m_table_row(lp_report_doc *d, const char *cls, const char *const *cells, size_t n) {
    /* the chosen / knee / current row is bold, as the HTML report highlights it */
    bool strong = cls && strcmp(cls, "fits") != 0;
    fputs("|", d->out);
    for (size_t i = 0; i < n; i++) {
        fputs(strong && cells[i][0] ? " **" : " ", d->out);
        md_text(d->out, cells[i]);
        fputs(strong && cells[i][0] ? "** |" : " |", d->out);
    }
    fputc('\n', d->out);
}

static void m_table_end(lp_report_doc *d) {
    d->table_cols = 0;
    fputc('\n', d->out);
}

static void m_list_begin(lp_report_doc *d) {
    (void)d;
}

static void m_list_item(lp_report_doc *d, const char *text) {
    fputs("- ", d->out);
    md_text(d->out, text);
    fputc('\n', d->out);
}

static void m_list_end(lp_report_doc *d) {
    fputc('\n', d->out);
}

static void m_code(lp_report_doc *d, const char *id, const char *text) {
    (void)id;
    const char *fence = strstr(text, "```") ? "~~~~" : "```";
    fprintf(d->out, "%ssh\n%s\n%s\n\n", fence, text, fence);
}

/* A relative link target: characters other than unreserved ones percent-encoded. */
static void md_link(FILE *o, const char *path) {
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (isalnum(*p) || strchr("-._~/", *p))
            fputc(*p, o);
        else
            fprintf(o, "%%%02X", *p);
    }
}

static lp_status m_chart(lp_report_doc *d, const lp_report *r, size_t i) {
    lp_report_chart c;
    lp_status st = lp_report_chart_build(r, i, &c);
    if (st == LP_OK) {
        fputs("![", d->out);
        md_text(d->out, c.title);
        fputs("](", d->out);
        md_link(d->out, d->svg_prefix ? d->svg_prefix : "report");
        fprintf(d->out, "-%zu.svg)\n\n*", i + 1);
        md_text(d->out, c.desc);
        fputs("*\n\n", d->out);
    }
    lp_report_chart_free(&c);
    return st;
}

static const lp_report_doc_ops MD_OPS = {
    m_section_begin, m_section_end, m_subheading, m_para,     m_table_begin, m_table_row,
    m_table_end,     m_list_begin,  m_list_item,  m_list_end, m_code,        m_chart,
};

lp_status lp_render_report_md(FILE *out, const lp_report *r, const char *svg_prefix) {
    char title[512];
    lp_report_title(r, title, sizeof title);
    fputs("# ", out);
    md_text(out, title);
    fputs("\n", out);
    lp_report_doc d = {&MD_OPS, out, svg_prefix, 0};
    lp_status st = lp_report_write_content(&d, r);
    fputs("---\n\n*Estimates by llmplan, which reproduces vLLM's start-up memory arithmetic and "
          "models its performance; measure before you commit hardware. Charts are the SVG "
          "files linked above, kept next to this file.*\n",
          out);
    if (st != LP_OK)
        return st;
    return ferror(out) ? LP_ERR_IO : LP_OK;
}
