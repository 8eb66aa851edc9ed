/*
 * svg.c - the SVG chart writer of the reports: scales (linear with 1-2-5 ticks, logarithmic
 * with decades), axes, legend, title and the four chart kinds of svg.h.
 *
 * Presentation is written as SVG attributes, not CSS, so that a chart saved as a file of its
 * own (the Markdown report's FILE-N.svg) looks the same as one inline in the HTML report. It
 * only draws what it is given: no statistics, no estimates.
 */
#include "render/svg.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define DEFAULT_WIDTH 640
#define DEFAULT_HEIGHT 360
/* Layout in pixels: room for the title and legend above, tick labels and the axis label below
 * and to the left. */
#define MARGIN_LEFT 70.0
#define MARGIN_RIGHT 20.0
#define MARGIN_BOTTOM 46.0
#define TITLE_Y 20.0
#define LEGEND_Y 38.0
#define LEGEND_LINE 16.0
/* Rough advance of one character at font-size 11, to wrap the legend. */
#define CHAR_WIDTH 6.2
/* Ticks wanted on a linear axis (the 1-2-5 step gives 4 to 10). */
#define TARGET_TICKS 5.0
/* Line series with more points than this are drawn without point markers. */
#define MAX_LINE_MARKERS 40
/* A bar segment needs this much height and width for its label. */
#define MIN_LABEL_HEIGHT 14.0
#define MIN_LABEL_WIDTH 34.0

static const char *const PALETTE[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759",
                                      "#76b7b2", "#edc948", "#b07aa1", "#9c755f"};

const char *lp_svg_color(size_t i) {
    return PALETTE[i % (sizeof PALETTE / sizeof PALETTE[0])];
}

void lp_svg_chart_init(lp_svg_chart *c, lp_svg_kind kind) {
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->marker_x = NAN;
    c->stacked = true;
}

/* Length of the UTF-8 sequence starting at p (1-4), or 0 when it is not valid UTF-8. */
static size_t utf8_len(const unsigned char *p) {
    unsigned char c = p[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3fu);
    }
    /* overlong forms, surrogates and values past U+10FFFF are not valid */
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    /* U+FFFE and U+FFFF are not XML characters */
    if (cp == 0xfffe || cp == 0xffff)
        return 0;
    return n;
}

void lp_svg_escape(FILE *out, const char *text) {
    if (!text)
        return;
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        switch (*p) {
        case '<':
            fputs("&lt;", out);
            p++;
            continue;
        case '>':
            fputs("&gt;", out);
            p++;
            continue;
        case '&':
            fputs("&amp;", out);
            p++;
            continue;
        case '"':
            fputs("&quot;", out);
            p++;
            continue;
        case '\'':
            fputs("&#39;", out);
            p++;
            continue;
        default:
            break;
        }
        if (*p < 0x20 && *p != '\t' && *p != '\n') {
            fputc(' ', out);
            p++;
            continue;
        }
        size_t n = utf8_len(p);
        if (n == 0) {
            fputs("\xef\xbf\xbd", out); /* U+FFFD REPLACEMENT CHARACTER */
            p++;
            continue;
        }
        fwrite(p, 1, n, out);
        p += n;
    }
}

const char *lp_svg_number(char *buf, size_t size, double v) {
    double a = fabs(v);
    if (!isfinite(v))
        snprintf(buf, size, "-");
    else if (a >= 1e9)
        snprintf(buf, size, "%.3gG", v / 1e9);
    else if (a >= 1e6)
        snprintf(buf, size, "%.3gM", v / 1e6);
    else if (a >= 1e3)
        snprintf(buf, size, "%.3gk", v / 1e3);
    else if (a >= 100 || a == 0)
        snprintf(buf, size, "%.0f", v);
    else
        snprintf(buf, size, "%.3g", v);
    return buf;
}

/* ---- scales ----------------------------------------------------------------------------- */

typedef struct {
    bool log;
    double lo, hi;    /* domain (log: of log10 values) */
    double px0, px1;  /* range in pixels */
    double ticks[32]; /* tick values (data space) */
    size_t n_ticks;
} scale;

static double scale_map(const scale *s, double v) {
    double t = s->log ? log10(v) : v;
    double f = s->hi > s->lo ? (t - s->lo) / (s->hi - s->lo) : 0.5;
    return s->px0 + f * (s->px1 - s->px0);
}

static bool usable(const scale *s, double v) {
    return isfinite(v) && (!s->log || v > 0);
}

/* A scale over [lo, hi] (data space; non-finite: an empty chart gets 0..1). */
static void scale_fit(scale *s, double lo, double hi, bool log, bool from_zero) {
    s->log = log;
    s->n_ticks = 0;
    if (log) {
        if (!(lo > 0) || !isfinite(lo) || !isfinite(hi)) {
            lo = 1;
            hi = 10;
        }
        /* the data's own range, padded a little, rather than whole decades: a range of 1K to
         * 128K should not run on to 1M */
        double a = log10(lo), b = log10(hi);
        if (b - a < 1) {
            double mid = (a + b) / 2;
            a = mid - 0.5;
            b = mid + 0.5;
        }
        double pad = (b - a) * 0.04;
        s->lo = a - pad;
        s->hi = b + pad;
        static const double subs[] = {1, 2, 5};
        bool few = s->hi - s->lo <= 2.5;
        for (double d = floor(s->lo); d <= ceil(s->hi) && s->n_ticks < 32; d++)
            for (size_t k = 0; k < (few ? 3u : 1u) && s->n_ticks < 32; k++) {
                double v = subs[k] * pow(10, d);
                double lv = log10(v);
                if (lv >= s->lo - 1e-9 && lv <= s->hi + 1e-9)
                    s->ticks[s->n_ticks++] = v;
            }
        return;
    }
    if (!isfinite(lo) || !isfinite(hi)) {
        lo = 0;
        hi = 1;
    }
    if (from_zero && lo > 0)
        lo = 0;
    if (from_zero && hi < 0)
        hi = 0;
    if (hi <= lo) {
        double pad = lo == 0 ? 1 : fabs(lo) * 0.1;
        lo -= from_zero && lo == 0 ? 0 : pad;
        hi += pad;
    }
    double raw = (hi - lo) / TARGET_TICKS;
    double mag = pow(10, floor(log10(raw)));
    double f = raw / mag;
    double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
    s->lo = floor(lo / step + 1e-9) * step;
    s->hi = ceil(hi / step - 1e-9) * step;
    for (double v = s->lo; v <= s->hi + step * 1e-6 && s->n_ticks < 32; v += step)
        s->ticks[s->n_ticks++] = fabs(v) < step * 1e-9 ? 0 : v;
}

/* ---- drawing helpers -------------------------------------------------------------------- */

static void text_el(FILE *o, double x, double y, const char *anchor, const char *cls,
                    const char *extra, const char *text) {
    fprintf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"", x, y, anchor);
    if (cls)
        fprintf(o, " class=\"%s\"", cls);
    if (extra)
        fprintf(o, " %s", extra);
    fputc('>', o);
    lp_svg_escape(o, text);
    fputs("</text>\n", o);
}

/* "Label (unit)" */
static void axis_title(char *buf, size_t size, const char *label, const char *unit) {
    if (label && unit && *unit)
        snprintf(buf, size, "%s (%s)", label, unit);
    else
        snprintf(buf, size, "%s", label ? label : "");
}

/* Relative luminance above one half: dark text reads better on it. */
static bool light_color(const char *hex) {
    unsigned r, g, b;
    if (!hex || sscanf(hex, "#%2x%2x%2x", &r, &g, &b) != 3)
        return false;
    return 0.299 * r + 0.587 * g + 0.114 * b > 160;
}

static const char *series_color(const lp_svg_chart *c, size_t i) {
    return c->series[i].color ? c->series[i].color : lp_svg_color(i);
}

/* The legend: one swatch and name per series, wrapped; returns the y below it. */
static double legend(FILE *o, const lp_svg_chart *c, double width) {
    double x = MARGIN_LEFT, y = LEGEND_Y;
    if (c->n_series == 0)
        return y;
    fputs("<g class=\"legend\">\n", o);
    for (size_t i = 0; i < c->n_series; i++) {
        const char *name = c->series[i].name ? c->series[i].name : "";
        double w = 18 + CHAR_WIDTH * (double)strlen(name) + 14;
        if (x + w > width - MARGIN_RIGHT && x > MARGIN_LEFT) {
            x = MARGIN_LEFT;
            y += LEGEND_LINE;
        }
        if (c->kind == LP_SVG_LINE)
            fprintf(o, "<path d=\"M%.1f %.1fh14\" stroke=\"%s\" stroke-width=\"2.5\"/>\n", x, y - 4,
                    series_color(c, i));
        else
            fprintf(o, "<path d=\"M%.1f %.1fh10v10h-10z\" fill=\"%s\"/>\n", x + 2, y - 9,
                    series_color(c, i));
        text_el(o, x + 18, y, "start", NULL, NULL, name);
        x += w;
    }
    fputs("</g>\n", o);
    return y;
}

static void y_axis(FILE *o, const scale *ys, double x0, double x1, const lp_svg_chart *c) {
    char buf[48];
    fputs("<g class=\"axis y-axis\">\n", o);
    for (size_t i = 0; i < ys->n_ticks; i++) {
        double y = scale_map(ys, ys->ticks[i]);
        fprintf(o, "<path d=\"M%.1f %.1fH%.1f\" stroke=\"#e3e3e3\"/>\n", x0, y, x1);
        text_el(o, x0 - 6, y + 4, "end", NULL, NULL, lp_svg_number(buf, sizeof buf, ys->ticks[i]));
    }
    char title[160];
    axis_title(title, sizeof title, c->y_label, c->y_unit);
    double ymid = (ys->px0 + ys->px1) / 2;
    char rot[64];
    snprintf(rot, sizeof rot, "transform=\"rotate(-90 14 %.1f)\"", ymid);
    text_el(o, 14, ymid, "middle", "axis-label", rot, title);
    fputs("</g>\n", o);
}

static void x_axis(FILE *o, const scale *xs, double y0, double height, const lp_svg_chart *c) {
    char buf[48];
    fputs("<g class=\"axis x-axis\">\n", o);
    for (size_t i = 0; i < xs->n_ticks; i++) {
        double x = scale_map(xs, xs->ticks[i]);
        fprintf(o, "<path d=\"M%.1f %.1fv5\" stroke=\"#555\"/>\n", x, y0);
        text_el(o, x, y0 + 17, "middle", NULL, NULL, lp_svg_number(buf, sizeof buf, xs->ticks[i]));
    }
    char title[160];
    axis_title(title, sizeof title, c->x_label, c->x_unit);
    text_el(o, (xs->px0 + xs->px1) / 2, height - 8, "middle", "axis-label", NULL, title);
    fputs("</g>\n", o);
}

static void frame(FILE *o, double x0, double y0, double x1, double y1) {
    fprintf(o, "<path class=\"frame\" d=\"M%.1f %.1fV%.1fH%.1f\" fill=\"none\" stroke=\"#555\"/>\n",
            x0, y0, y1, x1);
}

static void marker(FILE *o, const lp_svg_chart *c, const scale *xs, double top, double bottom) {
    if (!usable(xs, c->marker_x))
        return;
    double x = scale_map(xs, c->marker_x);
    if (x < xs->px0 - 0.5 || x > xs->px1 + 0.5)
        return;
    fprintf(o,
            "<line class=\"marker\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"#c0392b\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>\n",
            x, top, x, bottom);
    bool right = x > (xs->px0 + xs->px1) / 2; /* label on the inner side of the line */
    if (c->marker_label)
        text_el(o, right ? x - 4 : x + 4, top + 12, right ? "end" : "start", "marker-label",
                "fill=\"#c0392b\"", c->marker_label);
}

static void series_open(FILE *o, const lp_svg_chart *c, size_t i) {
    fprintf(o, "<g class=\"series\" data-index=\"%zu\" data-name=\"", i);
    lp_svg_escape(o, c->series[i].name ? c->series[i].name : "");
    fputs("\">\n", o);
}

static void value_label(char *buf, size_t size, const lp_svg_series *s, size_t i, double v,
                        const char *unit) {
    char num[48];
    if (s->labels && s->labels[i])
        snprintf(buf, size, "%s", s->labels[i]);
    else
        snprintf(buf, size, "%s%s%s", lp_svg_number(num, sizeof num, v), unit ? " " : "",
                 unit ? unit : "");
}

static void tooltip(FILE *o, const char *series, const char *text) {
    fputs("<title>", o);
    if (series && *series) {
        lp_svg_escape(o, series);
        fputs(": ", o);
    }
    lp_svg_escape(o, text);
    fputs("</title>", o);
}

/* ---- the kinds ---------------------------------------------------------------------------- */

static void draw_bars(FILE *o, const lp_svg_chart *c, const scale *ys, double x0, double x1,
                      double y0) {
    size_t nc = c->n_categories;
    double band = nc ? (x1 - x0) / (double)nc : 0;
    double bar = band * 0.6;
    for (size_t k = 0; k < nc; k++) {
        double cx = x0 + band * ((double)k + 0.5);
        text_el(o, cx, y0 + 17, "middle", "category", NULL,
                c->categories && c->categories[k] ? c->categories[k] : "");
    }
    double stack[LP_SVG_MAX_CATEGORIES] = {0};
    for (size_t i = 0; i < c->n_series; i++) {
        const lp_svg_series *s = &c->series[i];
        const char *color = series_color(c, i);
        series_open(o, c, i);
        for (size_t k = 0; k < nc; k++) {
            double v = s->y[k];
            if (!isfinite(v))
                continue;
            double shown = v > 0 ? v : 0;
            double base = c->stacked ? stack[k] : 0;
            double xl, w;
            if (c->stacked) {
                xl = x0 + band * (double)k + (band - bar) / 2;
                w = bar;
            } else {
                w = bar / (double)c->n_series;
                xl = x0 + band * (double)k + (band - bar) / 2 + w * (double)i;
            }
            if (ys->log && !(base + shown > 0))
                continue;
            double lo_v = ys->log ? (base > 0 ? base : pow(10, ys->lo)) : base;
            double ytop = scale_map(ys, base + shown), ybot = scale_map(ys, lo_v);
            if (ys->log && shown <= 0)
                ytop = ybot;
            double h = ybot - ytop;
            char label[96];
            value_label(label, sizeof label, s, k, v, c->y_unit);
            fprintf(o,
                    "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                    "fill=\"%s\">",
                    xl, ytop, w, h > 0 ? h : 0, color);
            tooltip(o, s->name, label);
            fputs("</rect>\n", o);
            if (h >= MIN_LABEL_HEIGHT && w >= MIN_LABEL_WIDTH)
                text_el(o, xl + w / 2, ytop + h / 2 + 4, "middle", "bar-label",
                        light_color(color) ? "fill=\"#222\"" : "fill=\"#fff\"", label);
            if (c->stacked)
                stack[k] = base + shown;
        }
        fputs("</g>\n", o);
    }
}

static void draw_lines(FILE *o, const lp_svg_chart *c, const scale *xs, const scale *ys) {
    for (size_t i = 0; i < c->n_series; i++) {
        const lp_svg_series *s = &c->series[i];
        const char *color = series_color(c, i);
        series_open(o, c, i);
        fprintf(o,
                "<polyline class=\"series-line\" fill=\"none\" stroke=\"%s\" "
                "stroke-width=\"2\" points=\"",
                color);
        const char *sep = "";
        for (size_t k = 0; k < s->n; k++) {
            double x = s->x ? s->x[k] : (double)k;
            if (!usable(xs, x) || !usable(ys, s->y[k]))
                continue;
            fprintf(o, "%s%.1f,%.1f", sep, scale_map(xs, x), scale_map(ys, s->y[k]));
            sep = " ";
        }
        fputs("\"/>\n", o);
        if (s->n <= MAX_LINE_MARKERS && !s->no_markers)
            for (size_t k = 0; k < s->n; k++) {
                double x = s->x ? s->x[k] : (double)k;
                if (!usable(xs, x) || !usable(ys, s->y[k]))
                    continue;
                char label[96], xb[48], yl[64];
                value_label(yl, sizeof yl, s, k, s->y[k], c->y_unit);
                snprintf(label, sizeof label, "%s at %s", yl, lp_svg_number(xb, sizeof xb, x));
                fprintf(o, "<circle class=\"point\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\">",
                        scale_map(xs, x), scale_map(ys, s->y[k]), color);
                tooltip(o, s->name, label);
                fputs("</circle>\n", o);
            }
        fputs("</g>\n", o);
    }
}

static void draw_scatter(FILE *o, const lp_svg_chart *c, const scale *xs, const scale *ys) {
    for (size_t i = 0; i < c->n_series; i++) {
        const lp_svg_series *s = &c->series[i];
        const char *color = series_color(c, i);
        series_open(o, c, i);
        for (size_t k = 0; k < s->n; k++) {
            double x = s->x ? s->x[k] : (double)k;
            if (!usable(xs, x) || !usable(ys, s->y[k]))
                continue;
            bool hi = s->highlight && s->highlight[k];
            if (hi)
                fprintf(o,
                        "<circle class=\"point highlight\" cx=\"%.1f\" cy=\"%.1f\" r=\"5.5\" "
                        "fill=\"%s\" stroke=\"#111\" stroke-width=\"1.5\"",
                        scale_map(xs, x), scale_map(ys, s->y[k]), color);
            else
                fprintf(o,
                        "<circle class=\"point\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\" "
                        "fill-opacity=\"0.75\"",
                        scale_map(xs, x), scale_map(ys, s->y[k]), color);
            if (s->labels && s->labels[k]) {
                fputc('>', o);
                tooltip(o, s->name, s->labels[k]);
                fputs("</circle>\n", o);
            } else {
                fputs("/>\n", o);
            }
        }
        fputs("</g>\n", o);
    }
}

static void draw_histogram(FILE *o, const lp_svg_chart *c, const scale *xs, const scale *ys) {
    for (size_t i = 0; i < c->n_series; i++) {
        const lp_svg_series *s = &c->series[i];
        const char *color = series_color(c, i);
        series_open(o, c, i);
        for (size_t k = 0; s->x && k < s->n; k++) {
            double a = s->x[k], b = s->x[k + 1], v = s->y[k];
            if (!usable(xs, a) || !usable(xs, b) || !isfinite(v) || v < 0)
                continue;
            if (ys->log && !(v > 0))
                continue;
            double xa = scale_map(xs, a), xb = scale_map(xs, b);
            double ytop = scale_map(ys, v), ybot = ys->px0;
            char label[128], na[48], nb[48], nv[48];
            if (s->labels && s->labels[k])
                snprintf(label, sizeof label, "%s", s->labels[k]);
            else
                snprintf(label, sizeof label, "%s to %s: %s", lp_svg_number(na, sizeof na, a),
                         lp_svg_number(nb, sizeof nb, b), lp_svg_number(nv, sizeof nv, v));
            fprintf(o,
                    "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                    "fill=\"%s\" fill-opacity=\"0.85\" stroke=\"#fff\" stroke-width=\"0.5\">",
                    xa < xb ? xa : xb, ytop, fabs(xb - xa), ybot - ytop > 0 ? ybot - ytop : 0,
                    color);
            tooltip(o, s->name, label);
            fputs("</rect>\n", o);
        }
        fputs("</g>\n", o);
    }
}

/* ---- the chart ---------------------------------------------------------------------------- */

/* Data range of x (line, scatter, histogram) and y over every series. */
static void data_range(const lp_svg_chart *c, double *xlo, double *xhi, double *ylo, double *yhi) {
    *xlo = *ylo = INFINITY;
    *xhi = *yhi = -INFINITY;
    size_t nc = c->n_categories;
    if (c->kind == LP_SVG_BAR && c->stacked) {
        for (size_t k = 0; k < nc; k++) {
            double sum = 0;
            for (size_t i = 0; i < c->n_series; i++)
                if (isfinite(c->series[i].y[k]) && c->series[i].y[k] > 0)
                    sum += c->series[i].y[k];
            if (sum > *yhi)
                *yhi = sum;
            if (sum < *ylo)
                *ylo = sum;
        }
        return;
    }
    for (size_t i = 0; i < c->n_series; i++) {
        const lp_svg_series *s = &c->series[i];
        for (size_t k = 0; k < s->n; k++) {
            double y = s->y[k];
            bool ylog_ok = !c->log_y || y > 0;
            if (isfinite(y) && ylog_ok) {
                *ylo = y < *ylo ? y : *ylo;
                *yhi = y > *yhi ? y : *yhi;
            }
            if (c->kind == LP_SVG_BAR)
                continue;
            size_t nx = c->kind == LP_SVG_HISTOGRAM ? 2 : 1;
            for (size_t e = 0; e < nx; e++) {
                double x = s->x ? s->x[k + e] : (double)k;
                if (isfinite(x) && (!c->log_x || x > 0)) {
                    *xlo = x < *xlo ? x : *xlo;
                    *xhi = x > *xhi ? x : *xhi;
                }
            }
        }
    }
    if (isfinite(c->marker_x) && (!c->log_x || c->marker_x > 0) && *xlo <= *xhi) {
        *xlo = c->marker_x < *xlo ? c->marker_x : *xlo;
        *xhi = c->marker_x > *xhi ? c->marker_x : *xhi;
    }
}

lp_status lp_svg_write(FILE *o, const lp_svg_chart *c, bool standalone) {
    static const char *const kinds[] = {"bar", "line", "scatter", "histogram"};
    if (c->kind == LP_SVG_BAR && c->n_categories > LP_SVG_MAX_CATEGORIES)
        return LP_ERR_INVALID_ARG;
    if (c->kind == LP_SVG_BAR)
        for (size_t i = 0; i < c->n_series; i++)
            if (c->series[i].n != c->n_categories)
                return LP_ERR_INVALID_ARG;
    double width = c->width > 0 ? c->width : DEFAULT_WIDTH;
    double height = c->height > 0 ? c->height : DEFAULT_HEIGHT;
    if (standalone)
        fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", o);
    fputs("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\"", o);
    if (c->id) {
        fputs(" id=\"", o);
        lp_svg_escape(o, c->id);
        fputc('"', o);
    }
    fprintf(o,
            " data-kind=\"%s\" data-series=\"%zu\" role=\"img\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" font-family=\"system-ui, -apple-system, Segoe UI, Roboto, "
            "Helvetica, Arial, sans-serif\" font-size=\"11\" fill=\"#222\">\n",
            kinds[c->kind], c->n_series, width, height, width, height);
    fputs("<title>", o);
    lp_svg_escape(o, c->title ? c->title : "chart");
    fputs("</title>\n", o);
    if (c->desc) {
        fputs("<desc>", o);
        lp_svg_escape(o, c->desc);
        fputs("</desc>\n", o);
    }
    if (c->title)
        text_el(o, width / 2, TITLE_Y, "middle", "chart-title",
                "font-size=\"14\" font-weight=\"600\"", c->title);
    double ly = legend(o, c, width);
    double top = ly + 14, bottom = height - MARGIN_BOTTOM;
    double x0 = MARGIN_LEFT, x1 = width - MARGIN_RIGHT;

    double xlo, xhi, ylo, yhi;
    data_range(c, &xlo, &xhi, &ylo, &yhi);
    scale ys, xs;
    memset(&xs, 0, sizeof xs);
    scale_fit(&ys, ylo, yhi, c->log_y, !c->log_y);
    ys.px0 = bottom;
    ys.px1 = top;
    y_axis(o, &ys, x0, x1, c);
    if (c->kind != LP_SVG_BAR) {
        scale_fit(&xs, xlo, xhi, c->log_x, c->kind == LP_SVG_HISTOGRAM && !c->log_x && xlo >= 0);
        xs.px0 = x0;
        xs.px1 = x1;
        x_axis(o, &xs, bottom, height, c);
    } else {
        char title[160];
        axis_title(title, sizeof title, c->x_label, c->x_unit);
        text_el(o, (x0 + x1) / 2, height - 8, "middle", "axis-label", NULL, title);
    }
    frame(o, x0, top, bottom, x1);
    switch (c->kind) {
    case LP_SVG_BAR:
        draw_bars(o, c, &ys, x0, x1, bottom);
        break;
    case LP_SVG_LINE:
        draw_lines(o, c, &xs, &ys);
        break;
    case LP_SVG_SCATTER:
        draw_scatter(o, c, &xs, &ys);
        break;
    case LP_SVG_HISTOGRAM:
        draw_histogram(o, c, &xs, &ys);
        break;
    }
    if (c->kind != LP_SVG_BAR)
        marker(o, c, &xs, top, bottom);
    fputs("</svg>\n", o);
    return ferror(o) ? LP_ERR_IO : LP_OK;
}
