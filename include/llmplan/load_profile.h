/*
 * llmplan/load_profile.h - business load over a day, and the replicas it takes.
 *
 * A load profile is the request rate of a service through one day in equal intervals (24
 * hours, 96 quarter-hours, 1440 minutes, ...). Given how much load one deployment sustains at
 * the latency targets (lp_candidate.max_request_rate, search.h), it sizes the deployment per
 * interval with headroom and compares the GPU-hours and cost of following the load with those
 * of a fixed fleet sized for the peak - the question "how many GPUs do I need, when" that
 * users of every capacity planner ask.
 *
 * The CSV form (what `recommend --load-profile FILE` reads; lp_load_profile_parse):
 *   # comments and blank lines are ignored
 *   time,requests_per_s          <- an optional header line (its second field is not a number)
 *   00:00,3.5                    <- TIME,RATE: the interval starting at TIME (HH:MM, or H for
 *   01:00,2.0                       whole hours) and its mean request rate in requests/s (>= 0)
 *   ...
 * or one column of rates alone (the intervals then follow each other from 00:00). The rows
 * are consecutive intervals of one length from 00:00 and cover the day: their count divides
 * 1440 minutes (24 hourly rows, 96 quarter-hours, 1440 minute rows, ...).
 */
#ifndef LLMPLAN_LOAD_PROFILE_H
#define LLMPLAN_LOAD_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "llmplan/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most intervals of a profile: one per minute of a day. */
#define LP_LOAD_PROFILE_MAX_INTERVALS 1440

/** Request rates through one day. */
typedef struct {
    double rate[LP_LOAD_PROFILE_MAX_INTERVALS]; /**< mean requests/s of each interval */
    size_t n;                                   /**< intervals (divides 1440) */
    double interval_s;                          /**< 86400 / n */
} lp_load_profile;

/**
 * Read a profile from CSV text (the form above). name is the file's name in messages
 * ("day.csv:5: request rate \"abc\": expected requests/s, a number >= 0"). LP_ERR_PARSE for a
 * row that cannot be read, LP_ERR_INVALID_ARG for rows that do not make one day of equal
 * intervals or offer no load at all; each message names the line and what was expected.
 */
lp_status lp_load_profile_parse(const char *text, size_t len, const char *name,
                                lp_load_profile *out, lp_error *err);

/**
 * A profile from n rates (equal intervals from 00:00; n divides 1440). Errors as
 * lp_load_profile_parse, naming the field what ("load_profile[3]: ...").
 */
lp_status lp_load_profile_from_rates(const double *rates, size_t n, const char *what,
                                     lp_load_profile *out, lp_error *err);

/**
 * Copies of a deployment that sustains max_request_rate (req/s at the targets) needed for an
 * offered rate with headroom (a fraction: 0.2 keeps 20 % spare): ceil(rate x (1 + headroom) /
 * max_request_rate), at least min_replicas; -1 when rate > 0 and max_request_rate is not
 * positive (it meets the targets at no load). The same arithmetic sizes a closed loop: clients
 * for rate, the clients one copy holds (lp_candidate.max_concurrency) for max_request_rate.
 */
int lp_load_replicas(double rate, double headroom, double max_request_rate, int min_replicas);

/** The highest and the mean rate of a profile (req/s). */
double lp_load_profile_peak(const lp_load_profile *p);
double lp_load_profile_mean(const lp_load_profile *p);

/** A deployment sized per interval, and a fixed fleet for the peak. */
typedef struct {
    size_t n;
    double interval_s;
    int replicas[LP_LOAD_PROFILE_MAX_INTERVALS]; /**< copies of the deployment per interval */
    int peak_replicas;                           /**< the fixed fleet, in copies */
    int num_gpus;                                /**< GPUs of one copy */
    double headroom;                             /**< the fraction of spare capacity kept */
    int min_replicas;                            /**< copies kept up at no load */
    double max_request_rate;                     /**< req/s one copy sustains at the targets */
    double gpu_hours_per_day;                    /**< following the load */
    double fixed_gpu_hours_per_day;              /**< a fleet sized for the peak, all day */
    double usd_per_gpu_hour;                     /**< NaN: no price */
    double usd_per_day, fixed_usd_per_day;       /**< NaN without a price */
    double requests_per_day;
} lp_load_sizing;

/**
 * Size a deployment for a profile: per interval, lp_load_replicas; GPU-hours = sum of
 * replicas x num_gpus x interval; a fixed fleet keeps the peak's replicas all day. Costs use
 * usd_per_gpu_hour (NaN: unknown). LP_ERR_INFEASIBLE when max_request_rate is not positive
 * (the deployment meets the targets at no load), LP_ERR_INVALID_ARG for a bad argument.
 */
lp_status lp_load_profile_size(const lp_load_profile *p, double max_request_rate, int num_gpus,
                               double headroom, int min_replicas, double usd_per_gpu_hour,
                               lp_load_sizing *out, lp_error *err);

#ifdef __cplusplus
}
#endif

#endif
