/*
 * llmplan/calibrate.h - fit the roofline's efficiency constants of one GPU family to measured
 * benchmarks, save and load the fit, and estimate with it.
 *
 * The roofline (perf.h) has four free constants per GPU family: compute_eff, memory_eff,
 * step_overhead_s and per_seq_overhead_s (lp_efficiency). lp_calibrate fits them, within
 * physical bounds, by least squares on the log error of the measured metrics (throughput,
 * TTFT, TPOT, ITL, E2E where a point states them), with an optional held-back split so that
 * the improvement is checked on points the fit did not see. A calibration is a small text
 * file of `key = value` lines; lp_estimate_performance_calibrated applies it in place of the
 * family's built-in constants and says so in the assumptions.
 */
#ifndef LLMPLAN_CALIBRATE_H
#define LLMPLAN_CALIBRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "llmplan/perf.h"
#include "llmplan/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A measured metric of one calibration point. */
typedef enum {
    LP_CAL_OUTPUT_TOK_S = 0, /**< output tokens/s, whole deployment */
    LP_CAL_TOTAL_TOK_S,      /**< input + output tokens/s */
    LP_CAL_REQUEST_S,        /**< requests/s */
    LP_CAL_TTFT_MS,          /**< time to first token (one statistic: median or mean) */
    LP_CAL_TPOT_MS,          /**< time per output token */
    LP_CAL_ITL_MS,           /**< inter-token latency */
    LP_CAL_E2EL_MS,          /**< end-to-end latency */
    LP_CAL_METRIC_COUNT
} lp_calib_metric;

/** Name of a metric ("output_throughput", "ttft_ms", ...). */
const char *lp_calib_metric_name(lp_calib_metric metric);

/**
 * One measurement: the request that reproduces the benchmark's settings and what it measured
 * (NaN or <= 0 where not measured). Of the three throughputs only the first stated in the
 * order output, request, total is fitted (at a fixed workload they differ by a constant).
 * The request is estimated with the roofline whatever its method (the fit evaluates it
 * thousands of times).
 */
typedef struct {
    lp_perf_request req;
    double measured[LP_CAL_METRIC_COUNT];
} lp_calib_point;

/** A fitted calibration, or one read from a file. */
typedef struct {
    char family[32];              /**< lp_efficiency family ("hopper") */
    char gpu[64];                 /**< GPU the points ran on (the first point's) */
    double compute_eff;           /**< in [LP_CAL_EFF_MIN, LP_CAL_EFF_MAX] */
    double memory_eff;            /**< in [LP_CAL_EFF_MIN, LP_CAL_EFF_MAX] */
    double step_overhead_s;       /**< in [0, LP_CAL_STEP_OVERHEAD_MAX_S] */
    double per_seq_overhead_s;    /**< in [0, LP_CAL_SEQ_OVERHEAD_MAX_S] */
    int n_points;                 /**< points given */
    int n_fit;                    /**< points fitted */
    int n_holdout;                /**< points held back */
    int n_skipped;                /**< points that could not be estimated (wrong family, ...) */
    double rms_log_before;        /**< RMS of ln(estimate / measured) on fitted points, built-in */
    double rms_log_after;         /**< the same with the fitted constants */
    double fit_median_before;     /**< median |error %| over fitted points' metrics, built-in */
    double fit_median_after;      /**< ... fitted */
    double holdout_median_before; /**< median |error %| on held-back points (NaN: none) */
    double holdout_median_after;
    char date[32];    /**< UTC date of the fit, YYYY-MM-DD */
    char source[256]; /**< file it was read from ("" when fitted in memory) */
} lp_calibration;

/* Physical bounds of the fitted constants. Efficiencies below 20 % of peak would mean the
 * wrong datasheet row, above 100 % are impossible; a host step over 20 ms is a broken setup
 * (vLLM's own profiles show 1-2 ms); per-request host time over 0.5 ms per step would make a
 * batch of 256 spend more than 100 ms per step in Python. */
#define LP_CAL_EFF_MIN 0.2
#define LP_CAL_EFF_MAX 1.0
#define LP_CAL_STEP_OVERHEAD_MAX_S 20e-3
#define LP_CAL_SEQ_OVERHEAD_MAX_S 0.5e-3

/** Options of lp_calibrate. */
typedef struct {
    double holdout_fraction; /**< share of points held back, drawn with seed (0: none) */
    int holdout_every;       /**< > 0: hold back every k-th point instead (index k-1, 2k-1, ...) */
    uint64_t seed;           /**< for the random split */
    int max_evaluations;     /**< objective evaluations per search (0: default 600) */
    /**
     * Huber threshold on |ln(estimate / measured)|: errors beyond it count linearly, not
     * squared, so that a few rows the roofline cannot describe do not set the constants
     * (0: plain least squares). Default LP_CAL_DEFAULT_HUBER_LOG.
     */
    double huber_log;
} lp_calib_opts;

/* ln(1.25): errors up to 25 % count squared. */
#define LP_CAL_DEFAULT_HUBER_LOG 0.2231

/** Defaults: no hold-back, seed 1, 600 evaluations, Huber threshold ln 1.25. */
void lp_calib_opts_init(lp_calib_opts *opts);

/** How one point came out (optional output of lp_calibrate). */
typedef struct {
    bool used;     /**< estimated (false: skipped, see reason) */
    bool held_out; /**< in the held-back split */
    char reason[128];
    double before[LP_CAL_METRIC_COUNT]; /**< estimate with the built-in constants (NaN: n/a) */
    double after[LP_CAL_METRIC_COUNT];  /**< estimate with the fitted constants */
} lp_calib_point_result;

/**
 * Fit the four constants to points[0..n) (all on one GPU family: points on another family are
 * skipped with a reason) and fill *out; per_point (n entries, may be NULL) says how each
 * point came out. Points that cannot be estimated (unknown model, does not fit) are skipped.
 * Errors: LP_ERR_INVALID_ARG (no points, bad options, fewer than 2 usable points to fit,
 * points on several families: the message names them), LP_ERR_NOMEM.
 */
lp_status lp_calibrate(const lp_calib_point *points, size_t n, const lp_calib_opts *opts,
                       lp_calibration *out, lp_calib_point_result *per_point, lp_error *err);

/**
 * Write a calibration as text to f: a header comment (what, GPU family, points, residuals,
 * date) and one "key = value" line per field, as lp_calibration_load reads it. LP_ERR_IO when
 * the stream reports a write error.
 */
lp_status lp_calibration_write(FILE *f, const lp_calibration *cal);

/**
 * lp_calibration_write into the file at path, replacing it when it exists (its permissions
 * kept; written beside it and renamed into place, so a failure leaves it as it was; a symbolic
 * link at path is replaced, not written through). LP_ERR_IO with the system's reason.
 */
lp_status lp_calibration_save(const char *path, const lp_calibration *cal, lp_error *err);

/**
 * Read a calibration file. Blank lines and '#' comments are skipped; family, compute_eff,
 * memory_eff, step_overhead_s and per_seq_overhead_s are required and checked against the
 * bounds above; the reporting keys are optional; an unknown key is an error (a typo must not
 * pass as a default). cal->source is set to path. Errors: LP_ERR_IO, LP_ERR_PARSE (the line),
 * LP_ERR_MISSING_FIELD, LP_ERR_INVALID_ARG (out of bounds).
 */
lp_status lp_calibration_load(const char *path, lp_calibration *cal, lp_error *err);

/**
 * The family's built-in efficiencies with the calibrated constants put in their place (the
 * all-reduce latency and the source text stay the family's; source becomes a note).
 */
lp_efficiency lp_calibration_apply(const lp_calibration *cal, const lp_efficiency *base);

/**
 * lp_estimate_performance with cal's constants in place of the GPU family's (cal NULL: the
 * same as lp_estimate_performance). The roofline and simulate methods use them; the
 * heuristic has no such constants and says that the calibration does not apply. A GPU of
 * another family than cal's is an error (LP_ERR_INVALID_ARG in out->error); the assumptions
 * name the calibration file, its date and its points.
 */
lp_status lp_estimate_performance_calibrated(const lp_perf_request *req, const lp_calibration *cal,
                                             lp_perf_estimate *out);

#ifdef __cplusplus
}
#endif

#endif
