/*
 * test_report.c - the SVG chart writer and the HTML / Markdown reports (llmplan/report.h).
 *
 * The charts are parsed back with libxml2's XML parser (a real parser, not string matching):
 * well-formed, one polyline per line series, one rect per bar or bin, highlighted scatter
 * points, and text with < > & " ' and broken UTF-8 round-tripping through the escaping. The
 * HTML reports of a plan and of a recommendation are parsed with libxml2's HTML parser (and,
 * as they are polyglot, with the XML parser): the expected number of <svg> charts and series,
 * the vllm serve command, the assumptions, no http(s) reference in a src or href attribute
 * and, for 50 ranked configurations, under 300 KB.
 */
#include "support/lp_test.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/report.h"
#include "llmplan/search.h"
#include "render/svg.h"

#ifdef LP_TEST_WITH_LIBXML2
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#endif

/* The size issue 6 asks of a recommendation report with 50 ranked configurations. */
#define MAX_REPORT_BYTES (300 * 1024)

/* ---- helpers ------------------------------------------------------------------------------ */

typedef struct {
    char *buf;
    size_t len;
    FILE *f;
} membuf;

static void mem_open(membuf *m) {
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    assert_non_null(m->f);
}

static char *mem_close(membuf *m) {
    assert_int_equal(fclose(m->f), 0);
    return m->buf;
}

#ifdef LP_TEST_WITH_LIBXML2
static xmlDocPtr parse_xml(const char *text) {
    xmlDocPtr doc = xmlReadMemory(text, (int)strlen(text), "chart.svg", "UTF-8", XML_PARSE_NONET);
    if (!doc)
        fail_msg("not well-formed XML:\n%.2000s", text);
    return doc;
}

/* Elements named name (with class containing cls when cls is not NULL) under node. */
static size_t count(xmlNodePtr node, const char *name, const char *cls) {
    size_t n = 0;
    for (xmlNodePtr c = node; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0) {
            if (!cls) {
                n++;
            } else {
                xmlChar *v = xmlGetProp(c, (const xmlChar *)"class");
                if (v && strstr((const char *)v, cls))
                    n++;
                xmlFree(v);
            }
        }
        n += count(c->children, name, cls);
    }
    return n;
}

/* The first element named name under node. */
static xmlNodePtr find(xmlNodePtr node, const char *name) {
    for (xmlNodePtr c = node; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return c;
        xmlNodePtr f = find(c->children, name);
        if (f)
            return f;
    }
    return NULL;
}

/* No src or href attribute anywhere points at http(s): the report opens offline. */
static void assert_offline(xmlNodePtr node) {
    for (xmlNodePtr c = node; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE)
            for (xmlAttrPtr a = c->properties; a; a = a->next) {
                const char *an = (const char *)a->name;
                if (strcmp(an, "src") != 0 && strcmp(an, "href") != 0)
                    continue;
                xmlChar *v = xmlNodeGetContent((xmlNodePtr)a);
                if (v && (strncmp((const char *)v, "http:", 5) == 0 ||
                          strncmp((const char *)v, "https:", 6) == 0 ||
                          strncmp((const char *)v, "//", 2) == 0))
                    fail_msg("network reference %s=\"%s\" in <%s>", an, v, c->name);
                xmlFree(v);
            }
        assert_offline(c->children);
    }
}

/* The sum of data-series over every <svg class="chart">. */
static size_t series_sum(xmlNodePtr node) {
    size_t n = 0;
    for (xmlNodePtr c = node; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "svg") == 0) {
            xmlChar *v = xmlGetProp(c, (const xmlChar *)"data-series");
            if (v)
                n += (size_t)atoi((const char *)v);
            xmlFree(v);
        }
        n += series_sum(c->children);
    }
    return n;
}
#endif

static char *chart_text(const lp_svg_chart *c, bool standalone) {
    membuf m;
    mem_open(&m);
    assert_int_equal(lp_svg_write(m.f, c, standalone), LP_OK);
    return mem_close(&m);
}

/* ---- the SVG writer ------------------------------------------------------------------------ */

static void test_line_chart(void **state) {
    (void)state;
    static const double x[] = {1, 2, 4, 8, 16};
    static const double y1[] = {10, 19, 35, 60, 64};
    static const double y2[] = {5, 5.5, 6, 9, 15};
    static const double y3[] = {1, NAN, 3, 4, 5};
    lp_svg_series s[3] = {
        {.name = "throughput", .x = x, .y = y1, .n = 5},
        {.name = "TTFT", .x = x, .y = y2, .n = 5},
        {.name = "with a gap", .x = x, .y = y3, .n = 5},
    };
    lp_svg_chart c;
    lp_svg_chart_init(&c, LP_SVG_LINE);
    c.id = "chart-test";
    c.title = "Line";
    c.x_label = "concurrency";
    c.y_label = "tokens/s";
    c.y_unit = "tok/s";
    c.series = s;
    c.n_series = 3;
    c.log_x = true;
    c.marker_x = 8;
    c.marker_label = "knee";
    char *svg = chart_text(&c, true);
    assert_non_null(strstr(svg, "data-series=\"3\""));
    assert_non_null(strstr(svg, "class=\"chart\""));
    assert_non_null(strstr(svg, "(tok/s)"));
#ifdef LP_TEST_WITH_LIBXML2
    xmlDocPtr doc = parse_xml(svg);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    assert_string_equal((const char *)root->name, "svg");
    /* one polyline per series: the frame, grid and legend use none */
    assert_int_equal(count(root, "polyline", NULL), 3);
    assert_int_equal(count(root, "g", "series"), 3);
    assert_int_equal(count(root, "rect", NULL), 0);
    /* point markers: 5 + 5 + 4 (the NaN is skipped) */
    assert_int_equal(count(root, "circle", "point"), 14);
    assert_int_equal(count(root, "line", "marker"), 1);
    xmlFreeDoc(doc);
#endif
    free(svg);
}

static void test_stacked_bars(void **state) {
    (void)state;
    static const char *const cats[] = {"stage 0", "stage 1"};
    static const double w[] = {30, 28}, kv[] = {40, -2}, fr[] = {8, 8};
    lp_svg_series s[3] = {
        {.name = "weights", .y = w, .n = 2},
        {.name = "KV cache", .y = kv, .n = 2},
        {.name = "free", .y = fr, .n = 2, .color = "#d9d9d9"},
    };
    lp_svg_chart c;
    lp_svg_chart_init(&c, LP_SVG_BAR);
    c.title = "Memory";
    c.y_unit = "GiB";
    c.categories = cats;
    c.n_categories = 2;
    c.series = s;
    c.n_series = 3;
    char *svg = chart_text(&c, false);
    /* a segment label carries its value and unit */
    assert_non_null(strstr(svg, "30 GiB"));
#ifdef LP_TEST_WITH_LIBXML2
    xmlDocPtr doc = parse_xml(svg);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    /* bars = rects: 3 series x 2 stages; a negative KV cache is a zero-height segment */
    assert_int_equal(count(root, "rect", NULL), 6);
    assert_int_equal(count(root, "rect", "bar"), 6);
    assert_int_equal(count(root, "polyline", NULL), 0);
    xmlFreeDoc(doc);
#endif
    free(svg);

    /* a series whose length differs from the categories is refused */
    s[1].n = 1;
    FILE *null = fopen("/dev/null", "w");
    assert_non_null(null);
    assert_int_equal(lp_svg_write(null, &c, false), LP_ERR_INVALID_ARG);
    fclose(null);
}

static void test_grouped_bars_log(void **state) {
    (void)state;
    static const char *const cats[] = {"mean", "median", "p90", "p99"};
    static const double a[] = {400, 200, 800, 3000}, b[] = {35, 37, 38, 38};
    lp_svg_series s[2] = {{.name = "TTFT", .y = a, .n = 4}, {.name = "TPOT", .y = b, .n = 4}};
    lp_svg_chart c;
    lp_svg_chart_init(&c, LP_SVG_BAR);
    c.stacked = false;
    c.log_y = true;
    c.categories = cats;
    c.n_categories = 4;
    c.series = s;
    c.n_series = 2;
    char *svg = chart_text(&c, false);
#ifdef LP_TEST_WITH_LIBXML2
    xmlDocPtr doc = parse_xml(svg);
    assert_int_equal(count(xmlDocGetRootElement(doc), "rect", "bar"), 8);
    xmlFreeDoc(doc);
#endif
    free(svg);
}

static void test_scatter_highlight(void **state) {
    (void)state;
    static const double x[] = {100, 200, 300, 400}, y[] = {4, 3, 2, 1};
    static const double fx[] = {100, 400}, fy[] = {4, 1};
    static const bool hi[] = {true, true};
    static const char *const labels[] = {"#1 H100 x 1", NULL};
    lp_svg_series s[2] = {
        {.name = "all", .x = x, .y = y, .n = 4},
        {.name = "front", .x = fx, .y = fy, .n = 2, .highlight = hi, .labels = labels}};
    lp_svg_chart c;
    lp_svg_chart_init(&c, LP_SVG_SCATTER);
    c.series = s;
    c.n_series = 2;
    char *svg = chart_text(&c, false);
#ifdef LP_TEST_WITH_LIBXML2
    xmlDocPtr doc = parse_xml(svg);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    assert_int_equal(count(root, "circle", "point"), 6);
    assert_int_equal(count(root, "circle", "highlight"), 2);
    assert_int_equal(count(root, "g", "series"), 2);
    xmlFreeDoc(doc);
#endif
    free(svg);
}

static void test_histogram(void **state) {
    (void)state;
    static const double edges[] = {0, 10, 20, 30, 40, 50}, counts[] = {3, 9, 14, 6, 1};
    lp_svg_series s = {.name = "TTFT", .x = edges, .y = counts, .n = 5};
    lp_svg_chart c;
    lp_svg_chart_init(&c, LP_SVG_HISTOGRAM);
    c.series = &s;
    c.n_series = 1;
    c.x_unit = "ms";
    char *svg = chart_text(&c, true);
    assert_non_null(strstr(svg, "data-kind=\"histogram\""));
#ifdef LP_TEST_WITH_LIBXML2
    xmlDocPtr doc = parse_xml(svg);
    assert_int_equal(count(xmlDocGetRootElement(doc), "rect", NULL), 5);
    xmlFreeDoc(doc);
#endif
    free(svg);
}

static void test_escaping(void **state) {
    (void)state;
    /* markup, quotes of both kinds, a control character and a byte that is not UTF-8 */
    static const char nasty[] = "a<b>&\"c\" 'd' \x01 \xff </svg><script>x</script>";
    static const double y[] = {1};
    static const char *const cats[] = {nasty};
    lp_svg_series s = {.name = nasty, .y = y, .n = 1};
    lp_svg_chart c;
    lp_svg_chart_init(&c, LP_SVG_BAR);
    c.id = "x\"><script>";
    c.title = nasty;
    c.desc = nasty;
    c.x_label = nasty;
    c.categories = cats;
    c.n_categories = 1;
    c.series = &s;
    c.n_series = 1;
    char *svg = chart_text(&c, true);
    assert_null(strstr(svg, "<script"));
    assert_non_null(strstr(svg, "a&lt;b&gt;&amp;&quot;c&quot; &#39;d&#39;"));
#ifdef LP_TEST_WITH_LIBXML2
    xmlDocPtr doc = parse_xml(svg);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr title = find(root->children, "title");
    assert_non_null(title);
    xmlChar *text = xmlNodeGetContent(title);
    /* the markup and quotes come back as written; the control character became a space and
     * the bad byte U+FFFD */
    assert_string_equal((const char *)text,
                        "a<b>&\"c\" 'd'   \xef\xbf\xbd </svg><script>x</script>");
    xmlFree(text);
    xmlChar *id = xmlGetProp(root, (const xmlChar *)"id");
    assert_string_equal((const char *)id, "x\"><script>");
    xmlFree(id);
    assert_null(find(root, "script"));
    xmlFreeDoc(doc);
#endif
    free(svg);
}

static void test_numbers(void **state) {
    (void)state;
    char b[32];
    assert_string_equal(lp_svg_number(b, sizeof b, 0), "0");
    assert_string_equal(lp_svg_number(b, sizeof b, 0.5), "0.5");
    assert_string_equal(lp_svg_number(b, sizeof b, 250), "250");
    assert_string_equal(lp_svg_number(b, sizeof b, 2000), "2k");
    assert_string_equal(lp_svg_number(b, sizeof b, 131072), "131k");
    assert_string_equal(lp_svg_number(b, sizeof b, 1.5e6), "1.5M");
}

static void test_format_for_path(void **state) {
    (void)state;
    assert_int_equal(lp_report_format_for_path("r.html"), LP_REPORT_HTML);
    assert_int_equal(lp_report_format_for_path("dir/R.HTM"), LP_REPORT_HTML);
    assert_int_equal(lp_report_format_for_path("a.b/report.md"), LP_REPORT_MARKDOWN);
    assert_int_equal(lp_report_format_for_path("report.markdown"), LP_REPORT_MARKDOWN);
    assert_int_equal(lp_report_format_for_path("report.pdf"), LP_REPORT_NONE);
    assert_int_equal(lp_report_format_for_path("report"), LP_REPORT_NONE);
    assert_int_equal(lp_report_format_for_path("dir.html/report"), LP_REPORT_NONE);
    assert_int_equal(lp_report_format_for_path(".html"), LP_REPORT_NONE);
    assert_int_equal(lp_report_format_for_path(NULL), LP_REPORT_NONE);
}

/* ---- the reports ----------------------------------------------------------------------------- */

/* A plan of Llama-3.1-8B on one H100 with hand-made series (the renderer only formats). */
typedef struct {
    lp_model model;
    lp_gpu gpu;
    lp_mem_plan plan;
    lp_perf_request workload;
    lp_perf_estimate sim;
    lp_report_len_point lengths[4];
    lp_report_load_point load[5];
    lp_report report;
} fixture;

static fixture *plan_fixture(void) {
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    lp_error err;
    assert_int_equal(lp_model_load("meta-llama/Llama-3.1-8B-Instruct", NULL, &f->model, &err),
                     LP_OK);
    const lp_gpu *g;
    assert_int_equal(lp_gpu_find(NULL, "H100", &g, &err), LP_OK);
    f->gpu = *g;
    lp_serving s;
    lp_serving_init(&s);
    s.max_model_len = 16000;
    assert_int_equal(lp_mem_plan_compute(&f->model, &f->gpu, &s, &f->plan, &err), LP_OK);
    lp_perf_request_init(&f->workload);
    static const int64_t lens[] = {4096, 16000, 65536, 131072};
    for (size_t i = 0; i < 4; i++)
        f->lengths[i] = (lp_report_len_point){lens[i], true, true, 400000, 400000.0 / lens[i]};
    for (size_t i = 0; i < 5; i++) {
        int c = 1 << (2 * i);
        f->load[i] = (lp_report_load_point){c,
                                            true,
                                            100.0 * c / (1 + c / 64.0),
                                            c / 10.0,
                                            30 + c,
                                            7 + c / 10.0,
                                            7 + c / 10.0,
                                            1000 + 10 * c};
    }
    f->sim.valid = true;
    f->sim.method = LP_SIMULATE;
    f->sim.ttft_ms = (lp_stat){400, 200, 800, 3000};
    f->sim.tpot_ms = (lp_stat){35, 37, 38, 38};
    f->sim.itl_ms = (lp_stat){35, 15, 184, 205};
    f->sim.e2el_ms = (lp_stat){4963, 4956, 5491, 7748};
    f->sim.completed = 1000;
    snprintf(f->sim.assumptions[f->sim.n_assumptions++], LP_ASSUMPTION_SIZE,
             "simulate: 1000 requests, a <test> assumption & more");
    lp_report *r = &f->report;
    lp_report_init(r);
    r->model_spec = "meta-llama/Llama-3.1-8B-Instruct";
    r->model = &f->model;
    r->gpu = &f->gpu;
    r->plan = &f->plan;
    r->workload = &f->workload;
    r->lengths = f->lengths;
    r->n_lengths = 4;
    r->load = f->load;
    r->n_load = 5;
    r->knee = 3;
    r->simulation = &f->sim;
    r->vllm_serve = "vllm serve meta-llama/Llama-3.1-8B-Instruct --max-model-len 16000";
    return f;
}

static char *render_html(const lp_report *r) {
    membuf m;
    mem_open(&m);
    assert_int_equal(lp_render_report_html(m.f, r), LP_OK);
    return mem_close(&m);
}

#ifdef LP_TEST_WITH_LIBXML2
/* Parse as HTML and as XML; check charts, series, command, assumptions, offline. */
static void check_html(const char *html, size_t charts, size_t series) {
    htmlDocPtr doc = htmlReadMemory(html, (int)strlen(html), "report.html", "UTF-8",
                                    HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
    assert_non_null(doc);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    assert_int_equal(count(root, "svg", NULL), charts);
    assert_int_equal(count(root, "svg", "chart"), charts);
    assert_int_equal(series_sum(root), series);
    assert_int_equal(count(root, "script", NULL), 0);
    assert_int_equal(count(root, "link", NULL), 0);
    assert_int_equal(count(root, "img", NULL), 0);
    assert_offline(root);
    xmlFreeDoc(doc);
    /* polyglot: a real XML parser reads the whole file too */
    xmlDocPtr x = parse_xml(html);
    xmlNodePtr pre = NULL;
    for (xmlNodePtr n = find(xmlDocGetRootElement(x), "pre"); n; n = n->next)
        if (n->type == XML_ELEMENT_NODE) {
            pre = n;
            break;
        }
    assert_non_null(pre);
    xmlChar *id = xmlGetProp(pre, (const xmlChar *)"id");
    assert_string_equal((const char *)id, "vllm-serve-command");
    xmlFree(id);
    xmlFreeDoc(x);
}
#endif

static void test_plan_html(void **state) {
    (void)state;
    fixture *f = plan_fixture();
    /* memory, KV tokens, KV concurrency, throughput, latency, simulation */
    assert_int_equal(lp_report_chart_count(&f->report), 6);
    char *html = render_html(&f->report);
    assert_non_null(strstr(html, "<!DOCTYPE html>"));
    assert_non_null(strstr(html, "vllm serve meta-llama/Llama-3.1-8B-Instruct --max-model-len"));
    assert_non_null(strstr(html, "<section id=\"assumptions\">"));
    assert_non_null(strstr(html, "a &lt;test&gt; assumption &amp; more"));
    assert_non_null(strstr(html, "<tr class=\"knee\">"));
    assert_non_null(strstr(html, "id=\"chart-memory\""));
    assert_non_null(strstr(html, "@media print"));
    assert_null(strstr(html, "http://www.example"));
#ifdef LP_TEST_WITH_LIBXML2
    /* series: memory 6 segments, KV tokens 1, concurrency 2 (with the 1-request line),
     * throughput 1, latency 3, simulation 3 */
    check_html(html, 6, 16);
#endif
    free(html);

    /* without a plan that fits: no load or simulation sections, still valid */
    f->report.load = NULL;
    f->report.n_load = 0;
    f->report.simulation = NULL;
    f->report.vllm_serve = NULL;
    html = render_html(&f->report);
    assert_null(strstr(html, "id=\"vllm-serve-command\""));
#ifdef LP_TEST_WITH_LIBXML2
    htmlDocPtr doc = htmlReadMemory(html, (int)strlen(html), "r.html", "UTF-8",
                                    HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
    assert_int_equal(count(xmlDocGetRootElement(doc), "svg", NULL), 3);
    xmlFreeDoc(doc);
#endif
    free(html);
    free(f);
}

static void test_plan_markdown(void **state) {
    (void)state;
    fixture *f = plan_fixture();
    membuf m;
    mem_open(&m);
    assert_int_equal(lp_render_report_md(m.f, &f->report, "my report"), LP_OK);
    char *md = mem_close(&m);
    /* charts are linked as files next to the report, in chart order, never inline */
    assert_null(strstr(md, "<svg"));
    assert_non_null(strstr(md, "](my%20report-1.svg)"));
    assert_non_null(strstr(md, "](my%20report-6.svg)"));
    assert_null(strstr(md, "report-7.svg"));
    assert_non_null(strstr(md, "## Assumptions"));
    assert_non_null(strstr(md, "```sh\nvllm serve meta-llama/Llama-3.1-8B-Instruct"));
    /* a pipe table per section, '|' and '<' escaped */
    assert_non_null(strstr(md, "| --- |"));
    assert_non_null(strstr(md, "a \\<test\\> assumption"));
    free(md);
    for (size_t i = 0; i < 6; i++) {
        membuf s;
        mem_open(&s);
        assert_int_equal(lp_render_report_chart_svg(s.f, &f->report, i), LP_OK);
        char *svg = mem_close(&s);
        assert_non_null(strstr(svg, "<?xml"));
#ifdef LP_TEST_WITH_LIBXML2
        xmlFreeDoc(parse_xml(svg));
#endif
        free(svg);
    }
    FILE *null = fopen("/dev/null", "w");
    assert_non_null(null);
    assert_int_equal(lp_render_report_chart_svg(null, &f->report, 6), LP_ERR_INVALID_ARG);
    fclose(null);
    free(f);
}

static void test_recommend_html(void **state) {
    (void)state;
    fixture *f = plan_fixture();
    const lp_gpu *gpus[2];
    lp_error err;
    assert_int_equal(lp_gpu_find(NULL, "H100", &gpus[0], &err), LP_OK);
    assert_int_equal(lp_gpu_find(NULL, "L40S", &gpus[1], &err), LP_OK);
    lp_search_spec spec;
    lp_search_spec_init(&spec);
    spec.model = &f->model;
    spec.gpus = gpus;
    spec.n_gpus = 2;
    spec.max_gpus = 8;
    spec.allow_quantization = true;
    spec.workload.input = lp_len_fixed(1000);
    spec.workload.output = lp_len_fixed(200);
    spec.workload.request_rate = 4;
    spec.threads = 1;
    lp_search_result res;
    assert_int_equal(lp_search_run(&spec, &res, &err), LP_OK);
    assert_true(res.n_ranked >= 50);
    const char *serve[50] = {"vllm serve meta-llama/Llama-3.1-8B-Instruct"};
    lp_recommend_view v;
    memset(&v, 0, sizeof v);
    v.model_id = "meta-llama/Llama-3.1-8B-Instruct";
    v.spec = &spec;
    v.result = &res;
    v.top = 50;
    v.vllm_serve = serve;
    v.chosen = 0;
    f->report.recommend = &v;
    f->report.vllm_serve = serve[0];
    assert_int_equal(lp_report_chart_count(&f->report), 7);
    char *html = render_html(&f->report);
    size_t len = strlen(html);
    if (len >= MAX_REPORT_BYTES)
        fail_msg("the report of 50 ranked configurations is %zu bytes (limit %d)", len,
                 MAX_REPORT_BYTES);
    assert_non_null(strstr(html, "<body data-report=\"recommend\">"));
    assert_non_null(strstr(html, "id=\"ranked-table\""));
    assert_non_null(strstr(html, "<tr class=\"chosen\">"));
    assert_non_null(strstr(html, "<section id=\"rejections\">"));
#ifdef LP_TEST_WITH_LIBXML2
    /* 16 series of the plan charts + 3 of the Pareto chart (ranked, front, chosen) */
    check_html(html, 7, 19);
    htmlDocPtr doc = htmlReadMemory(html, (int)len, "r.html", "UTF-8",
                                    HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    assert_int_equal(count(root, "tr", "chosen"), 1);
    /* highlighted: the Pareto front and the chosen point */
    assert_int_equal(count(root, "circle", "highlight"), res.n_pareto + 1);
    xmlFreeDoc(doc);
#endif
    free(html);
    lp_search_result_free(&res);
    free(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_chart),       cmocka_unit_test(test_stacked_bars),
        cmocka_unit_test(test_grouped_bars_log), cmocka_unit_test(test_scatter_highlight),
        cmocka_unit_test(test_histogram),        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_numbers),          cmocka_unit_test(test_format_for_path),
        cmocka_unit_test(test_plan_html),        cmocka_unit_test(test_plan_markdown),
        cmocka_unit_test(test_recommend_html),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
