/*
 * bands_fit.c - fit the error bands (llmplan/bands.h) on the fit rows of the validation data,
 * and measure how often measured values fall inside them.
 *
 * Evidence: every comparison of a fit vLLM row (never a holdout row, never TensorRT-LLM) per
 * method, quantity (throughput, TTFT, TPOT, ITL, E2E) and statistic (centre: the row's median,
 * else its mean; tail: its p99), and the KV capacity of every fit start-up log (its KV tokens,
 * else its KV cache GiB, which differ by a constant per model). Each gives a residual
 * r = ln(measured / predicted).
 *
 * A class (quantity, statistic, method, GPU family, load regime; any of the last four may be
 * '*') needs MIN_ROWS residuals from MIN_GROUPS split groups. Its band is, in log space, the
 * 10th / 90th percentiles q10 / q90 of its residuals (80 % nominal coverage; each at least
 * MIN_HALF_WIDTH from the median), widened on both sides by a margin d: [q10 - d, q90 + d],
 * i.e. the factors exp(q10) / w .. exp(q90) x w with w = exp(d). d is found without the holdout
 * rows by leaving each fit group out in turn: the group's residuals are looked up (with the same
 * fallbacks as an estimate) in the classes built from the other groups, and d of each fallback
 * level is the 80th percentile of the margin each residual needs to be covered. A row of a new
 * deployment is a new group, and rows of one group are alike, so coverage measured within the
 * fit rows would be too high; leaving whole groups out measures it as a user meets it. The
 * margin is added, not a multiple of the class's width: what a new group adds is its own shift,
 * whatever the spread of the class. Broader levels never get a smaller margin than narrower
 * ones (a thin class falls back and widens).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "validate/serving_internal.h"

/* A class needs this many residuals from this many split groups. */
#define MIN_ROWS 10
#define MIN_GROUPS 3
/* Residuals of a fallback level needed to estimate its widening (else the narrower level's). */
#define MIN_CALIBRATION 20
/* The published numbers are rounded (GiB to 0.01, latencies to 0.01 ms, tokens/s to 0.1):
 * no band is narrower than +-1 %. */
#define MIN_HALF_WIDTH 0.00995 /* ln(1.01) */
/* The quantiles of an 80 % band. */
#define Q_LO 0.1
#define Q_HI 0.9

enum { DOMAIN_SERVING = 0, DOMAIN_MEMORY = 1 };

typedef struct {
    lp_band_metric metric;
    int stat, method, regime;
    const char *family;
    uint64_t group;
    double r;
} residual;

typedef struct {
    residual *v;
    int n, cap;
} residuals;

static bool push(residuals *rs, residual r) {
    if (rs->n == rs->cap) {
        int cap = rs->cap ? 2 * rs->cap : 256;
        residual *nv = realloc(rs->v, (size_t)cap * sizeof *nv);
        if (!nv)
            return false;
        rs->v = nv;
        rs->cap = cap;
    }
    rs->v[rs->n++] = r;
    return true;
}

void lp_serving_metric_band(lp_serving_metric metric, lp_band_metric *quantity,
                            lp_band_stat *stat) {
    static const lp_band_metric Q[LP_SM_COUNT] = {
        LP_BAND_THROUGHPUT, LP_BAND_THROUGHPUT, LP_BAND_THROUGHPUT, LP_BAND_TTFT, LP_BAND_TTFT,
        LP_BAND_TTFT,       LP_BAND_TPOT,       LP_BAND_TPOT,       LP_BAND_TPOT, LP_BAND_ITL,
        LP_BAND_ITL,        LP_BAND_ITL,        LP_BAND_E2E,        LP_BAND_E2E,  LP_BAND_E2E,
    };
    *quantity = Q[metric];
    *stat = metric == LP_SM_TTFT_P99 || metric == LP_SM_TPOT_P99 || metric == LP_SM_ITL_P99 ||
                    metric == LP_SM_E2E_P99
                ? LP_BAND_TAIL
                : LP_BAND_CENTER;
}

/* The column of a row compared for one family and statistic class: the centre is the row's
 * median, else its mean (throughput: output, else requests, else total tok/s); the tail its
 * p99. -1 when the row states none. */
static int pick_column(const lp_serving_row_result *row, int family, int stat) {
    for (int i = 0; i < 3; i++) {
        lp_serving_metric j = LP_FAMILY_METRICS[family][i];
        lp_band_metric q;
        lp_band_stat s;
        lp_serving_metric_band(j, &q, &s);
        if ((int)s == stat && !isnan(row->metrics[0][j].actual))
            return (int)j;
    }
    return -1;
}

/* The KV comparison of a start-up log: KV tokens, else KV cache GiB; NULL when neither. */
static const lp_metric_cmp *kv_compared(const lp_kv_row_result *row) {
    if (row->status != LP_OK || row->expect_failure)
        return NULL;
    if (!isnan(row->kv_tokens.error_pct))
        return &row->kv_tokens;
    if (!isnan(row->kv_cache_gib.error_pct))
        return &row->kv_cache_gib;
    return NULL;
}

static const char *family_of(const char *gpu_name) {
    const lp_gpu *gpu;
    lp_error err;
    if (!gpu_name[0] || lp_gpu_find(NULL, gpu_name, &gpu, &err) != LP_OK)
        return "";
    return lp_efficiency_for(gpu)->family;
}

static bool collect(const lp_serving_report *r, const lp_kv_report *const *kv, int n_kv,
                    residuals *out) {
    for (int i = 0; i < r->n_rows; i++) {
        const lp_serving_row_result *row = &r->rows[i];
        if (!row->usable || row->holdout || row->engine != LP_ENGINE_VLLM)
            continue;
        for (int f = 0; f < LP_SF_COUNT; f++)
            for (int s = 0; s < LP_BAND_STATS; s++) {
                int j = pick_column(row, f, s);
                for (int k = 0; j >= 0 && k < LP_SERVING_METHODS; k++) {
                    const lp_metric_cmp *c = &row->metrics[k][j];
                    if (!row->estimated[k] || !(c->predicted > 0) || !(c->actual > 0))
                        continue;
                    lp_band_metric q;
                    lp_band_stat st;
                    lp_serving_metric_band((lp_serving_metric)j, &q, &st);
                    residual res = {q,
                                    s,
                                    k,
                                    (int)row->regime,
                                    row->family,
                                    row->group,
                                    log(c->actual / c->predicted)};
                    if (!push(out, res))
                        return false;
                }
            }
    }
    for (int f = 0; f < n_kv; f++)
        for (int i = 0; kv[f] && i < kv[f]->n_rows; i++) {
            const lp_kv_row_result *row = &kv[f]->rows[i];
            const lp_metric_cmp *c = kv_compared(row);
            if (row->holdout || !c || !(c->predicted > 0) || !(c->actual > 0))
                continue;
            residual res = {
                LP_BAND_KV,          LP_BAND_CENTER, LP_BAND_METHOD_PLAN,          LP_BAND_ANY,
                family_of(row->gpu), row->group,     log(c->actual / c->predicted)};
            if (!push(out, res))
                return false;
        }
    return true;
}

static bool matches(const lp_band *c, const residual *r) {
    return c->metric == r->metric && (c->stat == LP_BAND_ANY || c->stat == r->stat) &&
           (c->method == LP_BAND_ANY || c->method == r->method) &&
           (!c->family[0] || strcmp(c->family, r->family) == 0) &&
           (c->regime == LP_BAND_ANY || c->regime == r->regime);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double quantile(const double *v, int n, double q) {
    double pos = q * (n - 1);
    int i = (int)floor(pos);
    return i >= n - 1 ? v[n - 1] : v[i] + (pos - i) * (v[i + 1] - v[i]);
}

/* The statistics of a class over the residuals outside group `without` (0: all). */
typedef struct {
    int n, groups;
    double c, lo, hi; /* median, q10, q90 (half-widths floored) */
    bool ok;          /* enough rows and groups */
} class_stats;

static class_stats stats_of(const lp_band *cls, const residuals *rs, uint64_t without,
                            double *scratch, uint64_t *seen) {
    class_stats s = {0};
    for (int i = 0; i < rs->n; i++) {
        const residual *r = &rs->v[i];
        if ((without && r->group == without) || !matches(cls, r))
            continue;
        scratch[s.n++] = r->r;
        bool known = false;
        for (int g = 0; g < s.groups && !known; g++)
            known = seen[g] == r->group;
        if (!known)
            seen[s.groups++] = r->group;
    }
    s.ok = s.n >= MIN_ROWS && s.groups >= MIN_GROUPS;
    if (!s.ok)
        return s;
    qsort(scratch, (size_t)s.n, sizeof *scratch, cmp_double);
    s.c = quantile(scratch, s.n, 0.5);
    s.lo = fmin(quantile(scratch, s.n, Q_LO), s.c - MIN_HALF_WIDTH);
    s.hi = fmax(quantile(scratch, s.n, Q_HI), s.c + MIN_HALF_WIDTH);
    return s;
}

static int domain_of(lp_band_metric m) {
    return m == LP_BAND_KV ? DOMAIN_MEMORY : DOMAIN_SERVING;
}

/* The margin the band of s needs on either side to hold r (0 when it holds it). */
static double needed(const class_stats *s, double r) {
    return r > s->hi ? r - s->hi : r < s->lo ? s->lo - r : 0.0;
}

/* The k-th smallest of n values with k = ceil((n + 1) q), the finite-sample quantile that
 * covers at least q of new values; the largest when k > n. */
static double upper_quantile(double *v, int n, double q) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    int k = (int)ceil((n + 1) * q);
    return v[(k < 1 ? 1 : k > n ? n : k) - 1];
}

/* Leave each fit group out in turn; the margin of each domain and level (stored as the factor
 * widen = exp(margin)) from where its residuals fell. */
static bool calibrate(const residuals *rs, lp_band_fit_info *info) {
    int n = rs->n;
    double *scratch = malloc((size_t)(n > 0 ? n : 1) * sizeof *scratch);
    uint64_t *seen = malloc((size_t)(n > 0 ? n : 1) * sizeof *seen);
    double *need = malloc((size_t)(n > 0 ? n : 1) * sizeof *need);
    int *level = malloc((size_t)(n > 0 ? n : 1) * sizeof *level);
    if (!scratch || !seen || !need || !level) {
        free(scratch);
        free(seen);
        free(need);
        free(level);
        return false;
    }
    for (int i = 0; i < n; i++) {
        const residual *r = &rs->v[i];
        level[i] = -1;
        for (int l = 0; l < LP_BAND_LEVELS; l++) {
            lp_band cls;
            lp_band_class_at(l, r->metric, (lp_band_stat)r->stat, r->method, r->family, r->regime,
                             &cls);
            class_stats s = stats_of(&cls, rs, r->group, scratch, seen);
            if (s.ok) {
                level[i] = lp_band_level(&cls);
                need[i] = needed(&s, r->r);
                break;
            }
        }
    }
    double *vals = scratch;
    for (int d = 0; d < 2; d++) {
        int m = 0;
        for (int i = 0; i < n; i++)
            if (level[i] >= 0 && domain_of(rs->v[i].metric) == d)
                vals[m++] = need[i];
        double pooled = m > 0 ? upper_quantile(vals, m, LP_BAND_COVERAGE) : 0.0;
        double margin[LP_BAND_LEVELS];
        for (int l = 0; l < LP_BAND_LEVELS; l++) {
            m = 0;
            for (int i = 0; i < n; i++)
                if (level[i] == l && domain_of(rs->v[i].metric) == d)
                    vals[m++] = need[i];
            double x = m >= MIN_CALIBRATION ? upper_quantile(vals, m, LP_BAND_COVERAGE)
                       : l == 0             ? pooled
                                            : margin[l - 1];
            margin[l] = l > 0 && x < margin[l - 1] ? margin[l - 1] : x;
            info->widen[d][l] = exp(margin[l]);
        }
        int covered = 0, counted = 0;
        for (int i = 0; i < n; i++)
            if (level[i] >= 0 && domain_of(rs->v[i].metric) == d) {
                counted++;
                covered += need[i] <= margin[level[i]];
            }
        info->logo_coverage[d] = counted ? (double)covered / counted : NAN;
    }
    free(scratch);
    free(seen);
    free(need);
    free(level);
    return true;
}

static int count_groups(const residuals *rs, int domain, uint64_t *seen) {
    int groups = 0;
    for (int i = 0; i < rs->n; i++) {
        if (domain_of(rs->v[i].metric) != domain)
            continue;
        bool known = false;
        for (int g = 0; g < groups && !known; g++)
            known = seen[g] == rs->v[i].group;
        if (!known)
            seen[groups++] = rs->v[i].group;
    }
    return groups;
}

static int cmp_bands(const void *a, const void *b) {
    const lp_band *x = a, *y = b;
    if (x->metric != y->metric)
        return (int)x->metric - (int)y->metric;
    int lx = lp_band_level(x), ly = lp_band_level(y);
    if (lx != ly)
        return lx - ly;
    if (x->stat != y->stat)
        return x->stat - y->stat;
    if (x->method != y->method)
        return x->method - y->method;
    int c = strcmp(x->family, y->family);
    return c ? c : x->regime - y->regime;
}

static bool same_class(const lp_band *a, const lp_band *b) {
    return a->metric == b->metric && a->stat == b->stat && a->method == b->method &&
           a->regime == b->regime && strcmp(a->family, b->family) == 0;
}

lp_status lp_bands_fit(const lp_serving_report *r, const lp_kv_report *const *kv, int n_kv,
                       lp_band_table **out, lp_band_fit_info *info, lp_error *err) {
    *out = NULL;
    lp_band_fit_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    residuals rs = {0};
    lp_band_table *t = calloc(1, sizeof *t);
    double *scratch = NULL;
    uint64_t *seen = NULL;
    if (!t || !collect(r, kv, n_kv, &rs))
        goto nomem;
    int n = rs.n > 0 ? rs.n : 1;
    scratch = malloc((size_t)n * sizeof *scratch);
    seen = malloc((size_t)n * sizeof *seen);
    t->bands = malloc((size_t)n * LP_BAND_LEVELS * sizeof *t->bands);
    if (!scratch || !seen || !t->bands || !calibrate(&rs, info))
        goto nomem;
    for (int i = 0; i < rs.n; i++) {
        const residual *res = &rs.v[i];
        for (int l = 0; l < LP_BAND_LEVELS; l++) {
            lp_band cls;
            lp_band_class_at(l, res->metric, (lp_band_stat)res->stat, res->method, res->family,
                             res->regime, &cls);
            bool known = false;
            for (int k = 0; k < t->n && !known; k++)
                known = same_class(&t->bands[k], &cls);
            if (known)
                continue;
            class_stats s = stats_of(&cls, &rs, 0, scratch, seen);
            if (!s.ok)
                continue;
            double w = info->widen[domain_of(cls.metric)][lp_band_level(&cls)];
            cls.rows = s.n;
            cls.groups = s.groups;
            cls.widen = w;
            cls.lo = exp(s.lo) / w;
            cls.hi = exp(s.hi) * w;
            t->bands[t->n++] = cls;
        }
    }
    qsort(t->bands, (size_t)t->n, sizeof *t->bands, cmp_bands);
    lp_band_table_index(t);
    for (int i = 0; i < rs.n; i++) {
        bool memory = domain_of(rs.v[i].metric) == DOMAIN_MEMORY;
        info->serving_residuals += !memory;
    }
    info->serving_groups = count_groups(&rs, DOMAIN_SERVING, seen);
    info->kv_groups = count_groups(&rs, DOMAIN_MEMORY, seen);
    for (int i = 0; i < r->n_rows; i++) {
        const lp_serving_row_result *row = &r->rows[i];
        bool any = false;
        for (int j = 0; j < LP_SM_COUNT && row->usable && !row->holdout &&
                        row->engine == LP_ENGINE_VLLM && !any;
             j++)
            for (int k = 0; k < LP_SERVING_METHODS && !any; k++)
                any = !isnan(row->metrics[k][j].error_pct);
        info->serving_rows += any;
    }
    for (int i = 0; i < rs.n; i++)
        info->kv_rows += domain_of(rs.v[i].metric) == DOMAIN_MEMORY;
    free(scratch);
    free(seen);
    free(rs.v);
    *out = t;
    return LP_OK;
nomem:
    free(scratch);
    free(seen);
    free(rs.v);
    lp_band_table_free(t);
    return lp_error_set(err, LP_ERR_NOMEM, "out of memory fitting the error bands");
}

/* ---- coverage ---------------------------------------------------------------------------- */

static void count(lp_band_count *c, bool inside) {
    c->n++;
    c->inside += inside;
}

void lp_band_coverage_of(const lp_serving_report *r, bool holdout, lp_band_coverage *out) {
    memset(out, 0, sizeof *out);
    for (int i = 0; i < r->n_rows; i++) {
        const lp_serving_row_result *row = &r->rows[i];
        if (!row->usable || row->holdout != holdout || row->engine != LP_ENGINE_VLLM)
            continue;
        for (int f = 0; f < LP_SF_COUNT; f++)
            for (int s = 0; s < LP_BAND_STATS; s++) {
                int j = pick_column(row, f, s);
                for (int k = 0; j >= 0 && k < LP_SERVING_METHODS; k++) {
                    const lp_metric_cmp *c = &row->metrics[k][j];
                    lp_range b = row->band[k][j];
                    if (!row->estimated[k] || !(c->predicted > 0) || !(b.hi > 0))
                        continue;
                    lp_band_metric q;
                    lp_band_stat st;
                    lp_serving_metric_band((lp_serving_metric)j, &q, &st);
                    bool inside = c->actual >= b.lo && c->actual <= b.hi;
                    count(&out->cells[k][q][st], inside);
                    count(&out->methods[k], inside);
                    count(&out->all, inside);
                }
            }
    }
}

lp_band_count lp_band_coverage_kv(const lp_kv_report *r, const lp_band_table *table, bool holdout) {
    lp_band_count out = {0, 0};
    if (!table)
        table = lp_band_table_builtin();
    for (int i = 0; i < r->n_rows; i++) {
        const lp_kv_row_result *row = &r->rows[i];
        const lp_metric_cmp *c = kv_compared(row);
        if (row->holdout != holdout || !c || !(c->predicted > 0))
            continue;
        const lp_band *b = lp_band_lookup(table, LP_BAND_KV, LP_BAND_CENTER, LP_BAND_METHOD_PLAN,
                                          family_of(row->gpu), LP_BAND_ANY, NULL);
        if (b)
            count(&out, c->actual >= c->predicted * b->lo && c->actual <= c->predicted * b->hi);
    }
    return out;
}
