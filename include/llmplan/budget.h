/*
 * llmplan/budget.h - limits on the work one call may do: a deadline, a cancel flag, the size of
 * a simulation and of a search, the threads it may use.
 *
 * A budget is entered for the calling thread (lp_budget_enter) and applies to every library
 * call that thread makes until it leaves; the long loops of the library (the scheduler
 * simulation, the deployment search) check it as they go and stop with LP_ERR_LIMIT and a
 * sentence that names the limit. A per-thread scope rather than one more field in every
 * request: the loops that must stop sit several calls below the API a front end uses, and
 * every front end (CLI, HTTP server, Python) reaches them through a different request type.
 * Threads the library starts for one call (the search's) enter their caller's budget.
 *
 * Without a budget the library still applies its own caps (LP_BUDGET_DEFAULT_* below); they
 * too fail with LP_ERR_LIMIT.
 */
#ifndef LLMPLAN_BUDGET_H
#define LLMPLAN_BUDGET_H

#include <stdbool.h>

#include "llmplan/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Engine steps one simulation may take without a budget (about 5 s of one core). */
#define LP_BUDGET_DEFAULT_SIM_STEPS 50000000LL
/** Configurations one search may enumerate without a budget: each feasible one keeps a compact
 * result (about 150 bytes), so this bounds the memory of a search to a few hundred MB. */
#define LP_BUDGET_DEFAULT_SEARCH_CONFIGS 2000000LL

/** Which limit stopped the work (lp_budget.tripped). */
typedef enum {
    LP_BUDGET_NONE = 0,
    LP_BUDGET_DEADLINE,      /**< the deadline passed */
    LP_BUDGET_CANCELLED,     /**< the cancel flag was raised (the client went away) */
    LP_BUDGET_SIM_STEPS,     /**< a simulation needed more engine steps */
    LP_BUDGET_SEARCH_CONFIGS /**< a search had more configurations to try */
} lp_budget_trip;

/** Limits for the calls of one thread. Zero fields: no limit beyond the library's own caps. */
typedef struct {
    double deadline_s;            /**< lp_budget_now() value at which work stops (0: none) */
    const int *cancel;            /**< work stops once *cancel is nonzero (read atomically) */
    long long max_sim_steps;      /**< engine steps one simulation may take */
    long long max_search_configs; /**< configurations one search may enumerate */
    int max_threads;              /**< threads one call may run on (0: its own choice) */
    /** who set the limits, for messages: "a limit of this server: --request-timeout 20 s" */
    const char *owner;
    /** the first limit hit (lp_budget_trip), written by the library; read it after the call */
    int tripped;
} lp_budget;

/** Seconds on a monotonic clock (CLOCK_MONOTONIC): the time base of deadline_s. */
double lp_budget_now(void);

/** Make b the calling thread's budget (NULL: none). b must outlive its use; not copied. */
void lp_budget_enter(lp_budget *b);

/** The calling thread's budget, or NULL. */
lp_budget *lp_budget_current(void);

/**
 * LP_OK while the calling thread's budget allows more work; otherwise LP_ERR_LIMIT with a
 * message naming the limit ("stopped at the time limit (<owner>)"), and the budget's
 * tripped field set. `what` names the work in the message ("simulate"). Cheap enough to call
 * every few thousand loop iterations (a clock read and an atomic load).
 */
lp_status lp_budget_check(const char *what, lp_error *err);

/** Engine steps a simulation may take under the current budget (the smaller cap). */
long long lp_budget_sim_steps(void);

/** Configurations a search may enumerate under the current budget (the smaller cap). */
long long lp_budget_search_configs(void);

/** Threads a call that wants `wanted` may start under the current budget (at least 1). */
int lp_budget_threads(int wanted);

/**
 * Record that a size limit (why) stopped the work and fill err with LP_ERR_LIMIT: the
 * printf-style message, then " (<owner>)". Returns LP_ERR_LIMIT.
 */
lp_status lp_budget_exceeded(lp_budget_trip why, lp_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#ifdef __cplusplus
}
#endif

#endif
