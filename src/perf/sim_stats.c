/*
 * sim_stats.c - mean, median and percentiles of the simulation's samples, as `vllm bench
 * serve` reports them (vllm/benchmarks/serve.py: np.mean, np.median, np.percentile with
 * linear interpolation).
 *
 * Samples arrive as (value, count) pairs: the simulation adds one pair per engine step for
 * all the inter-token gaps that equal that step's duration, so millions of ITL samples
 * usually make a few thousand pairs. Pairs are kept exactly (sorted once when a quantile is
 * asked) up to LP_SIM_STAT_EXACT_MAX; past that, all samples move into a log-spaced histogram
 * (bins 0.5 % wide, value = the bin's geometric middle clamped to the exact min and max), so
 * quantiles stay within 0.25 % and memory and time stay bounded. Means are always exact.
 * It does not compute standard deviations (lp_stat has no field for them).
 */
#include <math.h>
#include <stdlib.h>

#include "perf/sim_stats.h"
#include "common/grow.h"
#include "common/order.h"

/* Histogram: bin i covers [LO x RATIO^i, LO x RATIO^(i+1)); 0.1 us to 10^6 s covers every
 * latency a simulation can produce (smaller values go to bin 0, larger to the last). */
#define LP_HIST_LO 1e-7
#define LP_HIST_RATIO 1.005
#define LP_HIST_BINS 6002
#define LP_INITIAL_POINTS 64

void lp_sim_stat_init(lp_sim_stat *s) {
    s->points = NULL;
    s->n = s->cap = 0;
    s->bins = NULL;
    s->count = 0;
    s->sum = 0;
    s->min = INFINITY;
    s->max = -INFINITY;
    s->sorted = 1;
}

void lp_sim_stat_free(lp_sim_stat *s) {
    free(s->points);
    free(s->bins);
    lp_sim_stat_init(s);
}

static size_t bin_of(double v) {
    if (!(v > LP_HIST_LO))
        return 0;
    double i = floor(log(v / LP_HIST_LO) / log(LP_HIST_RATIO));
    if (i >= LP_HIST_BINS - 1)
        return LP_HIST_BINS - 1;
    return (size_t)i;
}

static double bin_value(const lp_sim_stat *s, size_t i) {
    double v = LP_HIST_LO * pow(LP_HIST_RATIO, (double)i + 0.5);
    if (v < s->min)
        v = s->min;
    if (v > s->max)
        v = s->max;
    return v;
}

/* Move every exact sample into the histogram. */
static lp_status spill(lp_sim_stat *s) {
    s->bins = calloc(LP_HIST_BINS, sizeof *s->bins);
    if (!s->bins)
        return LP_ERR_NOMEM;
    for (size_t i = 0; i < s->n; i++)
        s->bins[bin_of(s->points[i].value)] += s->points[i].count;
    free(s->points);
    s->points = NULL;
    s->n = s->cap = 0;
    return LP_OK;
}

lp_status lp_sim_stat_add(lp_sim_stat *s, double value, uint64_t count) {
    if (count == 0)
        return LP_OK;
    s->count += count;
    s->sum += value * (double)count;
    if (value < s->min)
        s->min = value;
    if (value > s->max)
        s->max = value;
    if (s->bins) {
        s->bins[bin_of(value)] += count;
        return LP_OK;
    }
    if (s->n > 0 && s->points[s->n - 1].value == value) {
        s->points[s->n - 1].count += count;
        return LP_OK;
    }
    if (s->n == s->cap) {
        if (s->cap >= LP_SIM_STAT_EXACT_MAX) {
            lp_status st = spill(s);
            if (st == LP_OK)
                s->bins[bin_of(value)] += count;
            return st;
        }
        lp_sim_point *p = lp_grow(s->points, &s->cap, s->n + 1, sizeof *p, LP_INITIAL_POINTS);
        if (!p)
            return LP_ERR_NOMEM;
        s->points = p;
    }
    if (s->n > 0 && value < s->points[s->n - 1].value)
        s->sorted = 0;
    s->points[s->n].value = value;
    s->points[s->n].count = count;
    s->n++;
    return LP_OK;
}

double lp_sim_stat_mean(const lp_sim_stat *s) {
    return s->count ? s->sum / (double)s->count : 0.0;
}

static int cmp_point(const void *a, const void *b) {
    return lp_order_double(((const lp_sim_point *)a)->value, ((const lp_sim_point *)b)->value);
}

/* The k-th smallest sample (0-based). */
static double order_stat(const lp_sim_stat *s, uint64_t k) {
    if (k == 0)
        return s->min;
    if (k + 1 >= s->count)
        return s->max;
    uint64_t seen = 0;
    if (s->bins) {
        for (size_t i = 0; i < LP_HIST_BINS; i++) {
            seen += s->bins[i];
            if (seen > k)
                return bin_value(s, i);
        }
    } else {
        for (size_t i = 0; i < s->n; i++) {
            seen += s->points[i].count;
            if (seen > k)
                return s->points[i].value;
        }
    }
    return s->max;
}

double lp_sim_stat_quantile(lp_sim_stat *s, double q) {
    if (s->count == 0)
        return 0.0;
    if (!s->sorted && s->points) {
        qsort(s->points, s->n, sizeof *s->points, cmp_point);
        s->sorted = 1;
    }
    if (!(q > 0))
        q = 0;
    if (q > 1)
        q = 1;
    /* numpy "linear": rank q x (n - 1), interpolate between its neighbours */
    double rank = q * (double)(s->count - 1);
    double lo_rank = floor(rank);
    uint64_t lo = (uint64_t)lo_rank;
    uint64_t hi = lo + 1 < s->count ? lo + 1 : lo;
    double vlo = order_stat(s, lo), vhi = hi == lo ? vlo : order_stat(s, hi);
    return vlo + (rank - lo_rank) * (vhi - vlo);
}
