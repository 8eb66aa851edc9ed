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
 * MIN_HALF_WIDTH from the median, so the band is centred on the class's fit bias), moved out
 * (or in) on both sides by a margin d: [q10 - d, q90 + d], the factors exp(q10) / w ..
 * exp(q90) x w with w = exp(d).
 *
 * d is found without the holdout rows by leaving each fit group out in turn: the group's
 * residuals are looked up (with the same fallbacks as an estimate) in the classes built from
 * the other groups, and each gets a signed score, how far outside (+) or inside (-) that band
 * it fell. A row of a new deployment is a new group, and rows of one group are alike, so
 * coverage measured within the fit rows would be too high; leaving whole groups out measures it
 * as a user meets it. d of a class is the finite-sample 80 % quantile of the scores of its
 * calibration key: the class's quantity x statistic x method, its bands from a row's own class
 * and its fallback bands apart (a band borrowed from a broader class misses differently). A key
 * with fewer than MIN_CALIBRATION scores is pooled up: quantity x method, quantity, domain
 * (serving or memory), then the whole domain. Quantities go before methods because the methods
 * share their step model and miss alike per quantity, while TTFT and throughput miss by
 * different amounts. The margin is added, not a multiple of the class's width: what a new
 * group adds is its own shift, whatever the spread of the class. The table's header lists every
 * margin with the key and the number of scores it rests on.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/order.h"
#include "common/grow.h"
#include "validate/serving_internal.h"

/* A class needs this many residuals from this many split groups. */
#define MIN_ROWS 10
#define MIN_GROUPS 3
/* Left-out residuals a calibration key needs for its own margin (else a broader key's): the
 * 80 % quantile of n scores covers 80 % +- sqrt(0.16 / n), 7 points at 30. */
#define MIN_CALIBRATION 30
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
    int n;
    size_t cap;
} residuals;

static bool push(residuals *rs, residual r) {
    residual *nv = lp_grow(rs->v, &rs->cap, (size_t)rs->n + 1, sizeof *nv, 256);
    if (!nv)
        return false;
    rs->v = nv;
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
    qsort(scratch, (size_t)s.n, sizeof *scratch, lp_cmp_double);
    s.c = quantile(scratch, s.n, 0.5);
    s.lo = fmin(quantile(scratch, s.n, Q_LO), s.c - MIN_HALF_WIDTH);
    s.hi = fmax(quantile(scratch, s.n, Q_HI), s.c + MIN_HALF_WIDTH);
    return s;
}

static int domain_of(lp_band_metric m) {
    return m == LP_BAND_KV ? DOMAIN_MEMORY : DOMAIN_SERVING;
}

/* The signed margin the band of s needs on either side to hold r: positive when r lies outside
 * (how far), negative when inside (how far to the nearer edge). As in conformalized quantile
 * regression (Romano, Patterson and Candes, 2019), the 80 % quantile of these scores is the
 * margin that makes the band cover 80 % of new values: widening when the left-out groups fell
 * outside, narrowing when they lay deep inside. */
static double needed(const class_stats *s, double r) {
    return fmax(s->lo - r, r - s->hi);
}

/* The k-th smallest of n values with k = ceil((n + 1) q), the finite-sample quantile that
 * covers at least q of new values; the largest when k > n. */
static double upper_quantile(double *v, int n, double q) {
    qsort(v, (size_t)n, sizeof *v, lp_cmp_double);
    int k = (int)ceil((n + 1) * q);
    return v[(k < 1 ? 1 : k > n ? n : k) - 1];
}

/* Does residual r (its band found at fallback level `level`) belong to calibration key k? */
static bool in_key(const lp_band_calibration *k, const residual *r, int level) {
    return domain_of(k->metric == LP_BAND_ANY ? LP_BAND_THROUGHPUT : (lp_band_metric)k->metric) ==
               domain_of(r->metric) &&
           (k->metric == LP_BAND_ANY || k->metric == (int)r->metric) &&
           (k->stat == LP_BAND_ANY || k->stat == r->stat) &&
           (k->method == LP_BAND_ANY || k->method == r->method) &&
           (k->fallback < 0 || k->fallback == (level > 0));
}

/*
 * The calibration key of depth d (0 .. LP_BAND_CAL_DEPTHS - 1) for a band class: its
 * quantity x statistic x method, then quantity x method, quantity, its domain (serving or
 * memory), each for own-class bands (level 0) and fallback bands apart, and last the whole
 * domain. False when the class is broader than the key (a class of any statistic has no
 * key of depth 0).
 */
static bool key_at(int d, const lp_band *cls, lp_band_calibration *k) {
    memset(k, 0, sizeof *k);
    bool memory = domain_of(cls->metric) == DOMAIN_MEMORY;
    k->metric = d <= 2 ? (int)cls->metric : memory ? (int)LP_BAND_KV : LP_BAND_ANY;
    k->stat = d == 0 ? cls->stat : LP_BAND_ANY;
    k->method = d <= 1 ? cls->method : LP_BAND_ANY;
    k->fallback = d == LP_BAND_CAL_DEPTHS - 1 ? -1 : lp_band_level(cls) > 0;
    k->depth = d;
    return !((d == 0 && cls->stat == LP_BAND_ANY) || (d <= 1 && cls->method == LP_BAND_ANY));
}

/* The margin of a class: the first key from the narrowest with MIN_CALIBRATION left-out
 * residuals (the whole domain with any), found in the info's list or computed and added. */
static double margin_of(const lp_band *cls, const residuals *rs, const double *need,
                        const int *level, double *vals, lp_band_fit_info *info) {
    for (int d = 0; d < LP_BAND_CAL_DEPTHS; d++) {
        lp_band_calibration k;
        if (!key_at(d, cls, &k))
            continue;
        for (int i = 0; i < info->n_cal; i++) {
            const lp_band_calibration *c = &info->cal[i];
            if (c->metric == k.metric && c->stat == k.stat && c->method == k.method &&
                c->fallback == k.fallback)
                return c->margin;
        }
        int m = 0;
        for (int i = 0; i < rs->n; i++)
            if (level[i] >= 0 && in_key(&k, &rs->v[i], level[i]))
                vals[m++] = need[i];
        bool last = d == LP_BAND_CAL_DEPTHS - 1;
        if (m >= MIN_CALIBRATION || (last && m > 0)) {
            k.n = m;
            k.margin = upper_quantile(vals, m, LP_BAND_COVERAGE);
            if (info->n_cal < LP_BAND_MAX_CAL)
                info->cal[info->n_cal++] = k;
            return k.margin;
        }
    }
    return 0.0;
}

/* Leave each fit group out in turn: the fallback level each residual's band is then found at
 * (-1: none) and the signed margin it needs (need[i]). */
static bool leave_groups_out(const residuals *rs, double *need, int *level) {
    int n = rs->n;
    double *scratch = malloc((size_t)(n > 0 ? n : 1) * sizeof *scratch);
    uint64_t *seen = malloc((size_t)(n > 0 ? n : 1) * sizeof *seen);
    if (!scratch || !seen) {
        free(scratch);
        free(seen);
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
    free(scratch);
    free(seen);
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

/* "any" after every value, for sorting. */
static int any_last(int v) {
    return v == LP_BAND_ANY ? 1000 : v;
}

/* Calibration keys by quantity, method, statistic, own before fallback bands; "any" last. */
static int cmp_cal(const void *a, const void *b) {
    const lp_band_calibration *x = a, *y = b;
    int d[4] = {any_last(x->metric) - any_last(y->metric),
                any_last(x->method) - any_last(y->method), any_last(x->stat) - any_last(y->stat),
                any_last(x->fallback) - any_last(y->fallback)};
    for (int i = 0; i < 4; i++)
        if (d[i])
            return d[i];
    return 0;
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
    double *scratch = NULL, *need = NULL;
    uint64_t *seen = NULL;
    int *level = NULL;
    if (!t || !collect(r, kv, n_kv, &rs))
        goto nomem;
    int n = rs.n > 0 ? rs.n : 1;
    scratch = malloc((size_t)n * sizeof *scratch);
    need = malloc((size_t)n * sizeof *need);
    seen = malloc((size_t)n * sizeof *seen);
    level = malloc((size_t)n * sizeof *level);
    t->bands = malloc((size_t)n * LP_BAND_LEVELS * sizeof *t->bands);
    if (!scratch || !need || !seen || !level || !t->bands || !leave_groups_out(&rs, need, level))
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
            double m = margin_of(&cls, &rs, need, level, scratch, info);
            cls.rows = s.n;
            cls.groups = s.groups;
            cls.widen = exp(m);
            /* a narrowing margin keeps the +-1 % floor around the median */
            cls.lo = exp(fmin(s.lo - m, s.c - MIN_HALF_WIDTH));
            cls.hi = exp(fmax(s.hi + m, s.c + MIN_HALF_WIDTH));
            t->bands[t->n++] = cls;
        }
    }
    /* how the margins do on the groups they were found from */
    int covered[2] = {0, 0}, counted[2] = {0, 0};
    for (int i = 0; i < rs.n; i++) {
        if (level[i] < 0)
            continue;
        const residual *res = &rs.v[i];
        lp_band cls;
        lp_band_class_at(level[i], res->metric, (lp_band_stat)res->stat, res->method, res->family,
                         res->regime, &cls);
        int d = domain_of(res->metric);
        counted[d]++;
        covered[d] += need[i] <= margin_of(&cls, &rs, need, level, scratch, info);
    }
    for (int d = 0; d < 2; d++)
        info->logo_coverage[d] = counted[d] ? (double)covered[d] / counted[d] : NAN;
    qsort(info->cal, (size_t)info->n_cal, sizeof *info->cal, cmp_cal);
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
    free(need);
    free(seen);
    free(level);
    free(rs.v);
    *out = t;
    return LP_OK;
nomem:
    free(scratch);
    free(need);
    free(seen);
    free(level);
    free(rs.v);
    lp_band_table_free(t);
    return lp_error_set(err, LP_ERR_NOMEM, "out of memory fitting the error bands");
}

/* ---- coverage ---------------------------------------------------------------------------- */

/* A growing list of the groups seen per cell. */
typedef struct {
    uint64_t *v;
    int n;
} group_set;

static void count(lp_band_count *c, group_set *gs, uint64_t group, double lo, double hi,
                  bool inside) {
    c->n++;
    c->inside += inside;
    c->log_lo += log(lo);
    c->log_hi += log(hi);
    bool known = false;
    for (int i = 0; i < gs->n && !known; i++)
        known = gs->v[i] == group;
    if (!known) {
        gs->v[gs->n++] = group;
        c->groups++;
    }
}

lp_range lp_band_count_typical(const lp_band_count *c) {
    lp_range r = {0, 0};
    if (c->n > 0) {
        r.lo = exp(c->log_lo / c->n);
        r.hi = exp(c->log_hi / c->n);
    }
    return r;
}

enum { N_CELLS = LP_SERVING_METHODS * LP_BAND_METRICS * LP_BAND_STATS };

lp_status lp_band_coverage_of(const lp_serving_report *r, bool holdout, const lp_band_table *table,
                              lp_band_coverage *out, lp_error *err) {
    memset(out, 0, sizeof *out);
    /* a cell, a method and the whole split each see a group at most once per row */
    size_t per = (size_t)(r->n_rows > 0 ? r->n_rows : 1);
    uint64_t *store = malloc((N_CELLS + LP_SERVING_METHODS + 1) * per * sizeof *store);
    if (!store)
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory counting band coverage");
    group_set sets[N_CELLS + LP_SERVING_METHODS + 1];
    for (int i = 0; i < N_CELLS + LP_SERVING_METHODS + 1; i++)
        sets[i] = (group_set){store + (size_t)i * per, 0};
    for (int i = 0; i < r->n_rows; i++) {
        const lp_serving_row_result *row = &r->rows[i];
        if (!row->usable || row->holdout != holdout || row->engine != LP_ENGINE_VLLM)
            continue;
        for (int f = 0; f < LP_SF_COUNT; f++)
            for (int s = 0; s < LP_BAND_STATS; s++) {
                int j = pick_column(row, f, s);
                for (int k = 0; j >= 0 && k < LP_SERVING_METHODS; k++) {
                    const lp_metric_cmp *c = &row->metrics[k][j];
                    lp_band_metric q;
                    lp_band_stat st;
                    lp_serving_metric_band((lp_serving_metric)j, &q, &st);
                    lp_range b = row->band[k][j];
                    if (table) {
                        const lp_band *tb =
                            lp_band_lookup(table, q, st, k, row->family, (int)row->regime, NULL);
                        b = tb ? (lp_range){c->predicted * tb->lo, c->predicted * tb->hi}
                               : (lp_range){0, 0};
                    }
                    if (!row->estimated[k] || !(c->predicted > 0) || !(b.hi > 0))
                        continue;
                    bool inside = c->actual >= b.lo && c->actual <= b.hi;
                    double lo = b.lo / c->predicted, hi = b.hi / c->predicted;
                    int cell = (k * LP_BAND_METRICS + (int)q) * LP_BAND_STATS + (int)st;
                    count(&out->cells[k][q][st], &sets[cell], row->group, lo, hi, inside);
                    count(&out->methods[k], &sets[N_CELLS + k], row->group, lo, hi, inside);
                    count(&out->all, &sets[N_CELLS + LP_SERVING_METHODS], row->group, lo, hi,
                          inside);
                }
            }
    }
    free(store);
    return LP_OK;
}

lp_band_count lp_band_coverage_kv(const lp_kv_report *const *r, int n, const lp_band_table *table,
                                  bool holdout) {
    lp_band_count out = {0};
    if (!table)
        table = lp_band_table_builtin();
    int rows = 0;
    for (int f = 0; f < n; f++)
        rows += r[f] ? r[f]->n_rows : 0;
    uint64_t *seen = malloc((size_t)(rows > 0 ? rows : 1) * sizeof *seen);
    group_set gs = {seen, 0};
    for (int f = 0; f < n; f++)
        for (int i = 0; r[f] && i < r[f]->n_rows; i++) {
            const lp_kv_row_result *row = &r[f]->rows[i];
            const lp_metric_cmp *c = kv_compared(row);
            if (row->holdout != holdout || !c || !(c->predicted > 0))
                continue;
            const lp_band *b =
                lp_band_lookup(table, LP_BAND_KV, LP_BAND_CENTER, LP_BAND_METHOD_PLAN,
                               family_of(row->gpu), LP_BAND_ANY, NULL);
            if (!b)
                continue;
            bool inside = c->actual >= c->predicted * b->lo && c->actual <= c->predicted * b->hi;
            if (seen)
                count(&out, &gs, row->group, b->lo, b->hi, inside);
            else { /* no memory for the group list: the counts still hold, the groups are unknown */
                out.n++;
                out.inside += inside;
                out.log_lo += log(b->lo);
                out.log_hi += log(b->hi);
                out.groups = -1;
            }
        }
    free(seen);
    return out;
}
