/*
 * sim_stats.h - summary statistics of the simulation's latency samples, computed the way
 * `vllm bench serve` computes them (numpy mean, median and linear-interpolated percentiles).
 * Not public API.
 */
#ifndef LP_SIM_STATS_H
#define LP_SIM_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "llmplan/status.h"

/** Distinct (value, count) samples kept exactly before switching to the histogram. */
#define LP_SIM_STAT_EXACT_MAX ((size_t)1 << 18)

typedef struct {
    double value;
    uint64_t count;
} lp_sim_point;

/**
 * A multiset of non-negative samples. Exact (numpy-identical quantiles) while it holds at most
 * LP_SIM_STAT_EXACT_MAX distinct additions; beyond that every sample moves into a log-spaced
 * histogram whose bins are 0.5 % wide, so quantiles are within 0.25 % (relative) of numpy's.
 * The count, sum (so the mean), min and max are always exact.
 */
typedef struct {
    lp_sim_point *points; /**< exact samples, NULL once spilled */
    size_t n, cap;
    uint64_t *bins; /**< histogram, NULL until spilled */
    uint64_t count;
    double sum, min, max;
    int sorted;
} lp_sim_stat;

/** An empty multiset (allocates nothing). */
void lp_sim_stat_init(lp_sim_stat *s);

/** Add `count` samples equal to value (>= 0). LP_ERR_NOMEM when growing fails. */
lp_status lp_sim_stat_add(lp_sim_stat *s, double value, uint64_t count);

/** Mean (0 when empty, as `np.mean(x or 0)` in vLLM's benchmark). */
double lp_sim_stat_mean(const lp_sim_stat *s);

/**
 * Quantile q in [0, 1] with numpy's default linear interpolation between order statistics
 * (0 when empty). Sorts the exact samples on first use.
 */
double lp_sim_stat_quantile(lp_sim_stat *s, double q);

/** Free what the multiset holds; it is empty afterwards. */
void lp_sim_stat_free(lp_sim_stat *s);

#endif
