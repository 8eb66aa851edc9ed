/*
 * format.c - number formatting shared by the renderers (thousands separators, parameter
 * counts in B/M, latencies, "-" for unknown values, length distributions). No locale
 * dependence: output is the same everywhere.
 */
#include "render/format.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "llmplan/render.h"

const char *lp_render_int(char *buf, size_t size, long long n) {
    char digits[32];
    unsigned long long u = n < 0 ? (unsigned long long)(-(n + 1)) + 1 : (unsigned long long)n;
    int len = snprintf(digits, sizeof digits, "%llu", u);
    char tmp[48];
    size_t j = 0;
    if (n < 0)
        tmp[j++] = '-';
    for (int i = 0; i < len; i++) {
        tmp[j++] = digits[i];
        int left = len - i - 1;
        if (left > 0 && left % 3 == 0)
            tmp[j++] = ',';
    }
    tmp[j] = '\0';
    snprintf(buf, size, "%s", tmp);
    return buf;
}

const char *lp_render_params(char *buf, size_t size, long long n) {
    if (n >= 1000000000LL)
        snprintf(buf, size, "%.2f B", (double)n / 1e9);
    else if (n >= 1000000LL)
        snprintf(buf, size, "%.0f M", (double)n / 1e6);
    else
        snprintf(buf, size, "%lld", n);
    return buf;
}

const char *lp_render_fmt_num(char *buf, size_t size, double v, int decimals) {
    if (!isfinite(v))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.*f", decimals, v);
    return buf;
}

int lp_render_decimals(double v) {
    return isfinite(v) && fabs(v) < 10 ? 2 : (fabs(v) < 1000 ? 1 : 0);
}

const char *lp_render_fmt_ms(char *buf, size_t size, double v) {
    return lp_render_fmt_num(buf, size, v, lp_render_decimals(v));
}

void lp_render_describe_length(FILE *o, const char *what, const lp_len_dist *d) {
    switch (d->kind) {
    case LP_LEN_FIXED:
        fprintf(o, "%s %.0f", what, d->mean);
        break;
    case LP_LEN_NORMAL:
        fprintf(o, "%s normal(%.0f, %.0f)", what, d->mean, d->stddev);
        break;
    case LP_LEN_UNIFORM:
        fprintf(o, "%s uniform[%.0f, %.0f]", what, d->lo, d->hi);
        break;
    case LP_LEN_HISTOGRAM:
        fprintf(o, "%s histogram (mean %.0f)", what, lp_len_mean(d));
        break;
    case LP_LEN_SHAREGPT:
        fprintf(o, "%s ShareGPT-like (mean %.0f)", what, d->mean);
        break;
    }
}

const char *lp_render_describe_rate(char *buf, size_t size, const lp_workload *w,
                                    const char *unit) {
    const double b = w->burstiness > 0 ? w->burstiness : 1.0;
    if (b == 1.0)
        snprintf(buf, size, "%.3g %s (Poisson)", w->request_rate, unit);
    else if (isinf(b))
        snprintf(buf, size, "%.3g %s (evenly spaced)", w->request_rate, unit);
    else
        snprintf(buf, size, "%.3g %s (gamma gaps, burstiness %g)", w->request_rate, unit, b);
    return buf;
}

void lp_render_describe_workload(FILE *o, const lp_workload *w, bool with_prompts) {
    lp_render_describe_length(o, "input", &w->input);
    fprintf(o, ", ");
    lp_render_describe_length(o, "output", &w->output);
    fprintf(o, " tokens; ");
    if (with_prompts)
        fprintf(o, "%d prompts; ", w->num_prompts);
    char rate[80];
    if (w->request_rate > 0 && isfinite(w->request_rate))
        fprintf(o, "%s", lp_render_describe_rate(rate, sizeof rate, w, "req/s"));
    else
        fprintf(o, "request rate inf (all at once)");
    if (w->max_concurrency > 0)
        fprintf(o, ", max concurrency %d", w->max_concurrency);
}
