/*
 * bands.c - error bands from evidence: how wrong llmplan has been on comparable published
 * runs, turned into an interval around each estimate.
 *
 * This part classifies a request's load regime; the band table and its lookup follow.
 */
#include <math.h>

#include "llmplan/perf.h"

lp_load_regime lp_perf_regime(const lp_workload *w) {
    if (w->max_concurrency == 1 || w->num_prompts == 1)
        return LP_REGIME_BATCH1;
    if (w->request_rate > 0 && w->request_rate < INFINITY)
        return LP_REGIME_POISSON;
    if (w->max_concurrency > 1)
        return LP_REGIME_CLOSED;
    return LP_REGIME_ALL_AT_ONCE;
}

const char *lp_perf_regime_name(lp_load_regime regime) {
    static const char *const NAMES[LP_REGIME_COUNT] = {"batch1", "closed", "poisson",
                                                       "all-at-once"};
    return regime >= 0 && regime < LP_REGIME_COUNT ? NAMES[regime] : "unknown";
}
