/*
 * budget.c - the per-thread work budget of llmplan/budget.h.
 *
 * One thread-local pointer; the checks read a monotonic clock and the caller's cancel flag.
 * The budget itself belongs to the caller (the server keeps one per request); the library only
 * writes its `tripped` field, atomically, since the search's threads share their caller's.
 */
#include "llmplan/budget.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

/* Who set the caps when no budget is entered. */
#define BUILT_IN_OWNER "a limit built into llmplan"

static _Thread_local lp_budget *t_budget;

double lp_budget_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void lp_budget_enter(lp_budget *b) {
    t_budget = b;
}

lp_budget *lp_budget_current(void) {
    return t_budget;
}

static const char *owner(const lp_budget *b) {
    return b && b->owner ? b->owner : BUILT_IN_OWNER;
}

static void trip(lp_budget *b, lp_budget_trip why) {
    if (!b)
        return;
    int none = LP_BUDGET_NONE;
    /* the first limit hit is the one reported */
    __atomic_compare_exchange_n(&b->tripped, &none, (int)why, false, __ATOMIC_RELAXED,
                                __ATOMIC_RELAXED);
}

lp_status lp_budget_check(const char *what, lp_error *err) {
    lp_budget *b = t_budget;
    if (!b)
        return LP_OK;
    if (b->cancel && __atomic_load_n(b->cancel, __ATOMIC_RELAXED)) {
        trip(b, LP_BUDGET_CANCELLED);
        return lp_error_set(err, LP_ERR_LIMIT, "%s: cancelled (%s)", what, owner(b));
    }
    if (b->deadline_s > 0 && lp_budget_now() >= b->deadline_s) {
        trip(b, LP_BUDGET_DEADLINE);
        return lp_error_set(err, LP_ERR_LIMIT,
                            "%s: stopped at the time limit (%s); ask for less work (fewer "
                            "prompts, shorter outputs, fewer GPU types)",
                            what, owner(b));
    }
    return LP_OK;
}

long long lp_budget_sim_steps(void) {
    const lp_budget *b = t_budget;
    if (b && b->max_sim_steps > 0 && b->max_sim_steps < LP_BUDGET_DEFAULT_SIM_STEPS)
        return b->max_sim_steps;
    return LP_BUDGET_DEFAULT_SIM_STEPS;
}

long long lp_budget_search_configs(void) {
    const lp_budget *b = t_budget;
    if (b && b->max_search_configs > 0 && b->max_search_configs < LP_BUDGET_DEFAULT_SEARCH_CONFIGS)
        return b->max_search_configs;
    return LP_BUDGET_DEFAULT_SEARCH_CONFIGS;
}

int lp_budget_threads(int wanted) {
    const lp_budget *b = t_budget;
    if (b && b->max_threads > 0 && wanted > b->max_threads)
        wanted = b->max_threads;
    return wanted > 0 ? wanted : 1;
}

lp_status lp_budget_exceeded(lp_budget_trip why, lp_error *err, const char *fmt, ...) {
    lp_budget *b = t_budget;
    trip(b, why);
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        char text[LP_ERROR_MESSAGE_SIZE];
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        lp_error_set(err, LP_ERR_LIMIT, "%s (%s)", text, owner(b));
    }
    return LP_ERR_LIMIT;
}
