/*
 * calibrate.c - fit the roofline's four free constants of one GPU family (compute and memory
 * efficiency, host time per step and per running request) to measured benchmarks.
 *
 * Each point is prepared once (model, GPU, memory plan, step model: the expensive part); the
 * fit then re-solves the roofline's steady state with trial constants, which costs
 * microseconds, so a few thousand evaluations of the whole data set stay well under a second.
 * The objective is the mean squared natural log of estimate / measurement over every metric
 * a fitted point states: a factor of two too high costs as much as a factor of two too low,
 * and throughputs and latencies of different magnitudes weigh alike. The search is a
 * Nelder-Mead simplex in coordinates scaled to [0, 1] (values outside are clamped to the
 * bounds), restarted from its best point, then polished by a coordinate search; overheads
 * are searched on a square-root scale so that small values get resolution.
 * Held-back points are never seen by the objective; their median |error| before and after is
 * the honest measure of whether the fit generalises.
 * It does not fit per-row or per-model constants (that would be tuning to the data), does not
 * fit the all-reduce latency, and always evaluates with the roofline (the simulation would be
 * thousands of times slower; it shares the constants).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/order.h"
#include "llmplan/calibrate.h"

#include "common/file.h"
#include "common/outfile.h"
#include "perf/perf_internal.h"

#define N_PARAMS 4
/* Default search budget and the simplex's first step in scaled coordinates. */
#define LP_CAL_DEFAULT_EVALUATIONS 600
#define LP_CAL_SIMPLEX_STEP 0.08
#define LP_CAL_RESTARTS 3
/* Nelder-Mead coefficients (the standard ones). */
#define NM_REFLECT 1.0
#define NM_EXPAND 2.0
#define NM_CONTRACT 0.5
#define NM_SHRINK 0.5
/* Coordinate-search polish: first step and the step at which it stops (scaled units). */
#define POLISH_STEP 0.02
#define POLISH_MIN_STEP 1e-5
#define SEED_DEFAULT 1

static const char *const METRIC_NAMES[LP_CAL_METRIC_COUNT] = {
    "output_throughput",
    "total_token_throughput",
    "request_throughput",
    "ttft_ms",
    "tpot_ms",
    "itl_ms",
    "e2el_ms",
};

const char *lp_calib_metric_name(lp_calib_metric metric) {
    return metric >= 0 && metric < LP_CAL_METRIC_COUNT ? METRIC_NAMES[metric] : "unknown";
}

void lp_calib_opts_init(lp_calib_opts *opts) {
    memset(opts, 0, sizeof *opts);
    opts->seed = SEED_DEFAULT;
    opts->max_evaluations = LP_CAL_DEFAULT_EVALUATIONS;
    opts->huber_log = LP_CAL_DEFAULT_HUBER_LOG;
}

/* ---- parameters in scaled coordinates --------------------------------------------------- */

static double clamp01(double u) {
    return u < 0 ? 0 : u > 1 ? 1 : u;
}

/* u in [0, 1]^4 -> the four constants, clamped to the bounds. */
static void from_scaled(const double u[N_PARAMS], lp_efficiency *eff) {
    const double span = LP_CAL_EFF_MAX - LP_CAL_EFF_MIN;
    eff->compute_eff = LP_CAL_EFF_MIN + span * clamp01(u[0]);
    eff->memory_eff = LP_CAL_EFF_MIN + span * clamp01(u[1]);
    double s = clamp01(u[2]), q = clamp01(u[3]);
    eff->step_overhead_s = LP_CAL_STEP_OVERHEAD_MAX_S * s * s;
    eff->per_seq_overhead_s = LP_CAL_SEQ_OVERHEAD_MAX_S * q * q;
}

static void to_scaled(const lp_efficiency *eff, double u[N_PARAMS]) {
    const double span = LP_CAL_EFF_MAX - LP_CAL_EFF_MIN;
    u[0] = clamp01((eff->compute_eff - LP_CAL_EFF_MIN) / span);
    u[1] = clamp01((eff->memory_eff - LP_CAL_EFF_MIN) / span);
    u[2] = sqrt(clamp01(eff->step_overhead_s / LP_CAL_STEP_OVERHEAD_MAX_S));
    u[3] = sqrt(clamp01(eff->per_seq_overhead_s / LP_CAL_SEQ_OVERHEAD_MAX_S));
}

/* ---- preparing points ------------------------------------------------------------------- */

typedef struct {
    lp_step_model sm;
    lp_perf_request req;
    int replicas;
    bool use[LP_CAL_METRIC_COUNT]; /* metrics fitted / compared */
    double measured[LP_CAL_METRIC_COUNT];
    bool held_out;
} prepared;

static bool stated(double v) {
    return isfinite(v) && v > 0;
}

/* Which metrics of a point count: the first throughput stated, every latency stated. */
static void choose_metrics(const double *measured, bool use[LP_CAL_METRIC_COUNT]) {
    static const lp_calib_metric THROUGHPUTS[] = {LP_CAL_OUTPUT_TOK_S, LP_CAL_REQUEST_S,
                                                  LP_CAL_TOTAL_TOK_S};
    memset(use, 0, LP_CAL_METRIC_COUNT * sizeof use[0]);
    for (size_t i = 0; i < sizeof THROUGHPUTS / sizeof THROUGHPUTS[0]; i++)
        if (stated(measured[THROUGHPUTS[i]])) {
            use[THROUGHPUTS[i]] = true;
            break;
        }
    for (int k = LP_CAL_TTFT_MS; k < LP_CAL_METRIC_COUNT; k++)
        use[k] = stated(measured[k]);
}

static void predict(const prepared *p, const lp_efficiency *eff, lp_perf_estimate *est,
                    double out[LP_CAL_METRIC_COUNT]) {
    lp_step_model sm = p->sm;
    sm.eff.compute_eff = eff->compute_eff;
    sm.eff.memory_eff = eff->memory_eff;
    sm.eff.step_overhead_s = eff->step_overhead_s;
    sm.eff.per_seq_overhead_s = eff->per_seq_overhead_s;
    sm.eff.power_share = 1.0; /* as estimate.c applies a calibration: power limit included */
    est->n_assumptions = 0;
    lp_perf_roofline_quiet(&sm, &p->req, p->replicas, est);
    out[LP_CAL_OUTPUT_TOK_S] = est->output_tok_s;
    out[LP_CAL_TOTAL_TOK_S] = est->total_tok_s;
    out[LP_CAL_REQUEST_S] = est->request_s;
    const lp_stat *lat[4] = {&est->ttft_ms, &est->tpot_ms, &est->itl_ms, &est->e2el_ms};
    for (int i = 0; i < 4; i++)
        out[LP_CAL_TTFT_MS + i] = stated(lat[i]->median) ? lat[i]->median : lat[i]->mean;
}

/* ---- the objective ---------------------------------------------------------------------- */

typedef struct {
    const prepared *pts;
    size_t n;
    lp_perf_estimate *est; /* scratch */
    double huber;          /* Huber threshold on |ln(estimate / measured)|; 0: least squares */
    int evaluations;
} problem;

/*
 * Mean loss of the log errors over the points of one split (held_out): squared, or with
 * huber > 0 Huber's loss (squared up to huber, linear beyond), which keeps rows the model
 * cannot describe (another engine's tricks, a queue the roofline does not see) from pulling
 * the four shared constants towards them.
 */
static double mean_loss(const problem *pb, const lp_efficiency *eff, bool held_out, double huber) {
    double sum = 0;
    int k = 0;
    for (size_t i = 0; i < pb->n; i++) {
        const prepared *p = &pb->pts[i];
        if (p->held_out != held_out)
            continue;
        double pred[LP_CAL_METRIC_COUNT];
        predict(p, eff, pb->est, pred);
        for (int j = 0; j < LP_CAL_METRIC_COUNT; j++) {
            if (!p->use[j])
                continue;
            /* an estimate that gives nothing counts as a factor e^3 off, not as a hole */
            double r = fabs(stated(pred[j]) ? log(pred[j] / p->measured[j]) : 3.0);
            sum += huber > 0 && r > huber ? huber * (2.0 * r - huber) : r * r;
            k++;
        }
    }
    return k ? sum / k : NAN;
}

static double objective(problem *pb, const double u[N_PARAMS], const lp_efficiency *base) {
    lp_efficiency eff = *base;
    from_scaled(u, &eff);
    pb->evaluations++;
    return mean_loss(pb, &eff, false, pb->huber);
}

/* Nelder-Mead from u (updated to the best vertex); returns the best value. */
static double nelder_mead(problem *pb, const lp_efficiency *base, double u[N_PARAMS], int budget) {
    double x[N_PARAMS + 1][N_PARAMS], f[N_PARAMS + 1];
    for (int i = 0; i <= N_PARAMS; i++) {
        memcpy(x[i], u, sizeof x[i]);
        if (i > 0) {
            int d = i - 1;
            x[i][d] +=
                x[i][d] + LP_CAL_SIMPLEX_STEP <= 1 ? LP_CAL_SIMPLEX_STEP : -LP_CAL_SIMPLEX_STEP;
        }
        f[i] = objective(pb, x[i], base);
    }
    int start = pb->evaluations;
    while (pb->evaluations - start < budget) {
        /* order: best first */
        for (int i = 1; i <= N_PARAMS; i++)
            for (int j = i; j > 0 && f[j] < f[j - 1]; j--) {
                double tf = f[j];
                f[j] = f[j - 1];
                f[j - 1] = tf;
                double tx[N_PARAMS];
                memcpy(tx, x[j], sizeof tx);
                memcpy(x[j], x[j - 1], sizeof tx);
                memcpy(x[j - 1], tx, sizeof tx);
            }
        if (fabs(f[N_PARAMS] - f[0]) <= 1e-12 * (fabs(f[0]) + 1e-12))
            break;
        double c[N_PARAMS] = {0}, xr[N_PARAMS], xe[N_PARAMS], xc[N_PARAMS];
        for (int i = 0; i < N_PARAMS; i++)
            for (int d = 0; d < N_PARAMS; d++)
                c[d] += x[i][d] / N_PARAMS;
        for (int d = 0; d < N_PARAMS; d++)
            xr[d] = clamp01(c[d] + NM_REFLECT * (c[d] - x[N_PARAMS][d]));
        double fr = objective(pb, xr, base);
        if (fr < f[0]) {
            for (int d = 0; d < N_PARAMS; d++)
                xe[d] = clamp01(c[d] + NM_EXPAND * (xr[d] - c[d]));
            double fe = objective(pb, xe, base);
            bool take_e = fe < fr;
            memcpy(x[N_PARAMS], take_e ? xe : xr, sizeof xr);
            f[N_PARAMS] = take_e ? fe : fr;
        } else if (fr < f[N_PARAMS - 1]) {
            memcpy(x[N_PARAMS], xr, sizeof xr);
            f[N_PARAMS] = fr;
        } else {
            bool outside = fr < f[N_PARAMS];
            for (int d = 0; d < N_PARAMS; d++)
                xc[d] = outside ? c[d] + NM_CONTRACT * (xr[d] - c[d])
                                : c[d] + NM_CONTRACT * (x[N_PARAMS][d] - c[d]);
            double fc = objective(pb, xc, base);
            if (fc < (outside ? fr : f[N_PARAMS])) {
                memcpy(x[N_PARAMS], xc, sizeof xc);
                f[N_PARAMS] = fc;
            } else {
                for (int i = 1; i <= N_PARAMS; i++) {
                    for (int d = 0; d < N_PARAMS; d++)
                        x[i][d] = x[0][d] + NM_SHRINK * (x[i][d] - x[0][d]);
                    f[i] = objective(pb, x[i], base);
                }
            }
        }
    }
    int best = 0;
    for (int i = 1; i <= N_PARAMS; i++)
        if (f[i] < f[best])
            best = i;
    memcpy(u, x[best], sizeof x[best]);
    return f[best];
}

/* Coordinate search: try +-step on each coordinate, halve the step when nothing improves. */
static double polish(problem *pb, const lp_efficiency *base, double u[N_PARAMS], double fu,
                     int budget) {
    int start = pb->evaluations;
    for (double step = POLISH_STEP; step > POLISH_MIN_STEP && pb->evaluations - start < budget;) {
        bool improved = false;
        for (int d = 0; d < N_PARAMS; d++)
            for (int sign = -1; sign <= 1; sign += 2) {
                double t[N_PARAMS];
                memcpy(t, u, sizeof t);
                t[d] = clamp01(t[d] + sign * step);
                if (t[d] == u[d])
                    continue;
                double ft = objective(pb, t, base);
                if (ft < fu) {
                    memcpy(u, t, sizeof t);
                    fu = ft;
                    improved = true;
                }
            }
        if (!improved)
            step *= 0.5;
    }
    return fu;
}

/* ---- summaries -------------------------------------------------------------------------- */

/* Median |error %| over the metrics of the points of one split. */
static double median_error(const problem *pb, const lp_efficiency *eff, bool held_out) {
    size_t cap = pb->n * LP_CAL_METRIC_COUNT, k = 0;
    double *v = malloc((cap ? cap : 1) * sizeof *v);
    if (!v)
        return NAN;
    for (size_t i = 0; i < pb->n; i++) {
        const prepared *p = &pb->pts[i];
        if (p->held_out != held_out)
            continue;
        double pred[LP_CAL_METRIC_COUNT];
        predict(p, eff, pb->est, pred);
        for (int j = 0; j < LP_CAL_METRIC_COUNT; j++)
            if (p->use[j])
                v[k++] = stated(pred[j]) ? 100.0 * fabs(pred[j] / p->measured[j] - 1.0) : 100.0;
    }
    double med = NAN;
    if (k > 0) {
        qsort(v, k, sizeof v[0], lp_cmp_double);
        med = k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
    }
    free(v);
    return med;
}

/* splitmix64: the held-back draw must be the same on every platform for a seed. */
static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Mark held-back points among the usable ones (indices idx[0..m)). */
static void split(prepared *pts, const size_t *idx, size_t m, const lp_calib_opts *o) {
    if (o->holdout_every > 0) {
        for (size_t i = 0; i < m; i++)
            pts[idx[i]].held_out = (i + 1) % (size_t)o->holdout_every == 0;
        return;
    }
    size_t h = (size_t)floor(o->holdout_fraction * (double)m + 0.5);
    if (h == 0 && o->holdout_fraction > 0 && m > 2)
        h = 1;
    if (h > m - 2)
        h = m >= 2 ? m - 2 : 0; /* keep at least two points to fit */
    size_t *perm = malloc((m ? m : 1) * sizeof *perm);
    if (!perm)
        return;
    for (size_t i = 0; i < m; i++)
        perm[i] = idx[i];
    uint64_t s = o->seed;
    for (size_t i = m; i > 1; i--) { /* Fisher-Yates */
        size_t j = (size_t)(splitmix(&s) % i);
        size_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
    for (size_t i = 0; i < h; i++)
        pts[perm[i]].held_out = true;
    free(perm);
}

static void today(char *out, size_t size) {
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm) && strftime(out, size, "%Y-%m-%d", &tm) > 0)
        return;
    snprintf(out, size, "unknown");
}

lp_status lp_calibrate(const lp_calib_point *points, size_t n, const lp_calib_opts *opts,
                       lp_calibration *out, lp_calib_point_result *per_point, lp_error *err) {
    lp_calib_opts defaults;
    if (!opts) {
        lp_calib_opts_init(&defaults);
        opts = &defaults;
    }
    memset(out, 0, sizeof *out);
    if (n == 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "no calibration points given");
    if (!(opts->holdout_fraction >= 0 && opts->holdout_fraction < 1) || opts->holdout_every < 0 ||
        opts->holdout_every == 1 || opts->max_evaluations < 0 || !(opts->huber_log >= 0))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "hold-back must be a fraction in [0, 1) or every k-th point with "
                            "k >= 2, and the evaluation budget non-negative");
    prepared *pts = calloc(n, sizeof *pts);
    size_t *idx = malloc(n * sizeof *idx);
    lp_model *model = malloc(sizeof *model);
    lp_perf_estimate *est = malloc(sizeof *est);
    if (!pts || !idx || !model || !est) {
        free(pts);
        free(idx);
        free(model);
        free(est);
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory preparing %zu calibration points", n);
    }
    const lp_efficiency *family = NULL;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        lp_calib_point_result *pr = per_point ? &per_point[i] : NULL;
        if (pr) {
            memset(pr, 0, sizeof *pr);
            for (int j = 0; j < LP_CAL_METRIC_COUNT; j++)
                pr->before[j] = pr->after[j] = NAN;
        }
        lp_error e;
        lp_error_clear(&e);
        const lp_gpu *gpu = NULL;
        prepared *p = &pts[m];
        p->req = points[i].req;
        p->req.method = LP_ROOFLINE;
        memcpy(p->measured, points[i].measured, sizeof p->measured);
        choose_metrics(p->measured, p->use);
        bool any = false;
        for (int j = 0; j < LP_CAL_METRIC_COUNT; j++)
            any |= p->use[j];
        lp_status st = any ? lp_perf_prepare(&p->req, model, &p->sm, &p->replicas, &gpu, NULL, &e)
                           : lp_error_set(&e, LP_ERR_INVALID_ARG, "no measured metric");
        if (st == LP_OK) {
            const lp_efficiency *fam = lp_efficiency_for(gpu);
            if (!family) {
                family = fam;
                snprintf(out->family, sizeof out->family, "%s", fam->family);
                snprintf(out->gpu, sizeof out->gpu, "%s", gpu->name);
            } else if (fam != family) {
                st = lp_error_set(&e, LP_ERR_INVALID_ARG, "GPU %s is %s, not %s", gpu->name,
                                  fam->family, family->family);
            }
        }
        p->req.model = NULL; /* the roofline reads only the workload; the model may be gone */
        if (st != LP_OK) {
            out->n_skipped++;
            if (pr)
                snprintf(pr->reason, sizeof pr->reason, "%s", e.message);
            continue;
        }
        if (pr)
            pr->used = true;
        idx[m] = i;
        m++;
    }
    out->n_points = (int)n;
    lp_status st = LP_OK;
    if (m < 2) {
        st = lp_error_set(err, LP_ERR_INVALID_ARG,
                          "%zu of %zu calibration points could be estimated; at least 2 are "
                          "needed",
                          m, n);
        goto done;
    }
    for (size_t i = 0; i < m; i++)
        pts[i].held_out = false;
    {
        size_t *local = malloc(m * sizeof *local);
        if (!local) {
            st = lp_error_set(err, LP_ERR_NOMEM, "out of memory splitting calibration points");
            goto done;
        }
        for (size_t i = 0; i < m; i++)
            local[i] = i;
        split(pts, local, m, opts);
        free(local);
    }
    for (size_t i = 0; i < m; i++) {
        out->n_holdout += pts[i].held_out;
        out->n_fit += !pts[i].held_out;
    }

    problem pb = {pts, m, est, opts->huber_log, 0};
    lp_efficiency base = *family;
    double u[N_PARAMS];
    to_scaled(&base, u);
    out->rms_log_before = sqrt(mean_loss(&pb, &base, false, 0.0));
    int budget = opts->max_evaluations > 0 ? opts->max_evaluations : LP_CAL_DEFAULT_EVALUATIONS;
    double best = objective(&pb, u, &base);
    for (int r = 0; r < LP_CAL_RESTARTS; r++) {
        double v = nelder_mead(&pb, &base, u, budget / (LP_CAL_RESTARTS + 1));
        bool stalled = !(v < best - 1e-12);
        best = fmin(best, v);
        if (stalled && r > 0)
            break;
    }
    best = polish(&pb, &base, u, best, budget / (LP_CAL_RESTARTS + 1));
    lp_efficiency fitted = base;
    from_scaled(u, &fitted);
    out->compute_eff = fitted.compute_eff;
    out->memory_eff = fitted.memory_eff;
    out->step_overhead_s = fitted.step_overhead_s;
    out->per_seq_overhead_s = fitted.per_seq_overhead_s;
    out->rms_log_after = sqrt(mean_loss(&pb, &fitted, false, 0.0));
    out->fit_median_before = median_error(&pb, &base, false);
    out->fit_median_after = median_error(&pb, &fitted, false);
    out->holdout_median_before = out->n_holdout ? median_error(&pb, &base, true) : NAN;
    out->holdout_median_after = out->n_holdout ? median_error(&pb, &fitted, true) : NAN;
    today(out->date, sizeof out->date);
    if (per_point)
        for (size_t i = 0; i < m; i++) {
            lp_calib_point_result *pr = &per_point[idx[i]];
            pr->held_out = pts[i].held_out;
            predict(&pts[i], &base, est, pr->before);
            predict(&pts[i], &fitted, est, pr->after);
        }
done:
    free(pts);
    free(idx);
    free(model);
    free(est);
    return st;
}

/* ---- the file --------------------------------------------------------------------------- */

lp_status lp_calibration_write(FILE *f, const lp_calibration *c) {
    fprintf(f,
            "# llmplan calibration: roofline efficiencies of one GPU family fitted to measured\n"
            "# benchmarks (llmplan calibrate). Apply with `llmplan estimate --calibration "
            "FILE`.\n"
            "# gpu family %s (points measured on %s), %d points: %d fitted, %d held back, "
            "%d skipped\n"
            "# RMS log error on fitted points: %.4f before, %.4f after; median |error| held "
            "back: %.1f %% before, %.1f %% after\n",
            c->family, c->gpu[0] ? c->gpu : "unknown", c->n_points, c->n_fit, c->n_holdout,
            c->n_skipped, c->rms_log_before, c->rms_log_after, c->holdout_median_before,
            c->holdout_median_after);
    fprintf(f, "family = %s\n", c->family);
    fprintf(f, "gpu = %s\n", c->gpu);
    fprintf(f, "compute_eff = %.6f\n", c->compute_eff);
    fprintf(f, "memory_eff = %.6f\n", c->memory_eff);
    fprintf(f, "step_overhead_s = %.6e\n", c->step_overhead_s);
    fprintf(f, "per_seq_overhead_s = %.6e\n", c->per_seq_overhead_s);
    fprintf(f, "points = %d\n", c->n_points);
    fprintf(f, "fit_points = %d\n", c->n_fit);
    fprintf(f, "holdout_points = %d\n", c->n_holdout);
    fprintf(f, "rms_log_error_before = %.6f\n", c->rms_log_before);
    fprintf(f, "rms_log_error_after = %.6f\n", c->rms_log_after);
    fprintf(f, "fit_median_error_pct_before = %.3f\n", c->fit_median_before);
    fprintf(f, "fit_median_error_pct_after = %.3f\n", c->fit_median_after);
    fprintf(f, "holdout_median_error_pct_before = %.3f\n", c->holdout_median_before);
    fprintf(f, "holdout_median_error_pct_after = %.3f\n", c->holdout_median_after);
    fprintf(f, "date = %s\n", c->date);
    return ferror(f) ? LP_ERR_IO : LP_OK;
}

lp_status lp_calibration_save(const char *path, const lp_calibration *c, lp_error *err) {
    char dir[4096], name[1024];
    if (!path || !lp_outfile_split(path, dir, sizeof dir, name, sizeof name))
        return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: expected a file name",
                            path ? path : "(null)");
    lp_outset *set;
    lp_outset_opts o = {true, NULL, NULL}; /* the caller named this path to be written */
    lp_status st = lp_outset_open(dir, &o, &set, err);
    FILE *f;
    if (st == LP_OK && (st = lp_outset_add(set, name, 0666u, &f, err)) == LP_OK &&
        lp_calibration_write(f, c) != LP_OK)
        st = lp_error_set(err, LP_ERR_IO, "%s: writing failed", path);
    if (st == LP_OK)
        st = lp_outset_commit(set, err);
    lp_outset_free(set);
    return st;
}

static char *trim(char *s) {
    while (isspace((unsigned char)*s))
        s++;
    size_t k = strlen(s);
    while (k > 0 && isspace((unsigned char)s[k - 1]))
        s[--k] = '\0';
    return s;
}

/* A number field: finite; NaN written as "nan" is accepted for the reporting keys. */
static bool parse_number(const char *v, bool allow_nan, double *out) {
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end)
        return false;
    if (isnan(x))
        return allow_nan ? (*out = x, true) : false;
    if (!isfinite(x))
        return false;
    *out = x;
    return true;
}

/* Largest calibration file read (one is about 1 KB). */
#define CALIBRATION_MAX_BYTES (1u << 20)

lp_status lp_calibration_load(const char *path, lp_calibration *c, lp_error *err) {
    memset(c, 0, sizeof *c);
    c->holdout_median_before = c->holdout_median_after = NAN;
    /* read whole, with a cap, so that /dev/zero or a FIFO cannot keep us reading */
    char *text;
    size_t len;
    lp_status rst = lp_read_file(path, "calibration file", CALIBRATION_MAX_BYTES, &text, &len, err);
    if (rst == LP_ERR_NOT_FOUND && err)
        err->code = LP_ERR_IO; /* documented: a file that cannot be read is LP_ERR_IO */
    if (rst != LP_OK)
        return rst == LP_ERR_NOT_FOUND ? LP_ERR_IO : rst;
    if (lp_text_has_nul(text, len)) {
        free(text);
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s: binary data (a NUL byte), not a calibration written by llmplan "
                            "calibrate",
                            path);
    }
    FILE *f = len ? fmemopen(text, len, "r") : NULL;
    if (len && !f) {
        free(text);
        return lp_error_set(err, LP_ERR_NOMEM, "%s: out of memory", path);
    }
    enum { K_FAMILY, K_COMPUTE, K_MEMORY, K_STEP, K_SEQ, K_REQUIRED };
    bool seen[K_REQUIRED] = {false};
    char line[512];
    int lineno = 0;
    lp_status st = LP_OK;
    while (st == LP_OK && f && fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            st = lp_error_set(err, LP_ERR_PARSE, "%s:%d: expected \"key = value\"", path, lineno);
            break;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        double x = 0;
        struct {
            const char *name;
            double *target;
            int required;
        } nums[] = {
            {"compute_eff", &c->compute_eff, K_COMPUTE},
            {"memory_eff", &c->memory_eff, K_MEMORY},
            {"step_overhead_s", &c->step_overhead_s, K_STEP},
            {"per_seq_overhead_s", &c->per_seq_overhead_s, K_SEQ},
            {"rms_log_error_before", &c->rms_log_before, -1},
            {"rms_log_error_after", &c->rms_log_after, -1},
            {"fit_median_error_pct_before", &c->fit_median_before, -1},
            {"fit_median_error_pct_after", &c->fit_median_after, -1},
            {"holdout_median_error_pct_before", &c->holdout_median_before, -1},
            {"holdout_median_error_pct_after", &c->holdout_median_after, -1},
        };
        struct {
            const char *name;
            int *target;
        } ints[] = {
            {"points", &c->n_points}, {"fit_points", &c->n_fit}, {"holdout_points", &c->n_holdout}};
        bool known = false;
        if (strcmp(key, "family") == 0 || strcmp(key, "gpu") == 0 || strcmp(key, "date") == 0) {
            known = true;
            char *dst = key[0] == 'f' ? c->family : key[0] == 'g' ? c->gpu : c->date;
            size_t size = key[0] == 'f'   ? sizeof c->family
                          : key[0] == 'g' ? sizeof c->gpu
                                          : sizeof c->date;
            if (strlen(val) >= size)
                st =
                    lp_error_set(err, LP_ERR_PARSE, "%s:%d: %s: value too long", path, lineno, key);
            else
                snprintf(dst, size, "%s", val);
            if (key[0] == 'f')
                seen[K_FAMILY] = true;
        }
        for (size_t i = 0; !known && i < sizeof nums / sizeof nums[0]; i++) {
            if (strcmp(key, nums[i].name) != 0)
                continue;
            known = true;
            if (!parse_number(val, nums[i].required < 0, &x))
                st = lp_error_set(err, LP_ERR_PARSE, "%s:%d: %s: expected a number, got \"%s\"",
                                  path, lineno, key, val);
            *nums[i].target = x;
            if (nums[i].required >= 0)
                seen[nums[i].required] = true;
        }
        for (size_t i = 0; !known && i < sizeof ints / sizeof ints[0]; i++) {
            if (strcmp(key, ints[i].name) != 0)
                continue;
            known = true;
            if (!parse_number(val, false, &x) || x < 0 || x > 1e9 || x != floor(x))
                st = lp_error_set(err, LP_ERR_PARSE,
                                  "%s:%d: %s: expected a non-negative integer, got \"%s\"", path,
                                  lineno, key, val);
            *ints[i].target = (int)x;
        }
        if (!known && st == LP_OK)
            st = lp_error_set(err, LP_ERR_PARSE,
                              "%s:%d: unknown key \"%s\" (expected family, compute_eff, "
                              "memory_eff, step_overhead_s, per_seq_overhead_s, ...)",
                              path, lineno, key);
    }
    if (f)
        fclose(f);
    free(text);
    if (st != LP_OK)
        return st;
    static const char *const REQUIRED_NAMES[K_REQUIRED] = {"family", "compute_eff", "memory_eff",
                                                           "step_overhead_s", "per_seq_overhead_s"};
    for (int k = 0; k < K_REQUIRED; k++)
        if (!seen[k])
            return lp_error_set(err, LP_ERR_MISSING_FIELD, "%s: missing \"%s = ...\"", path,
                                REQUIRED_NAMES[k]);
    if (!(c->compute_eff >= LP_CAL_EFF_MIN && c->compute_eff <= LP_CAL_EFF_MAX) ||
        !(c->memory_eff >= LP_CAL_EFF_MIN && c->memory_eff <= LP_CAL_EFF_MAX))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "%s: compute_eff and memory_eff must be in [%.1f, %.1f]", path,
                            LP_CAL_EFF_MIN, LP_CAL_EFF_MAX);
    if (!(c->step_overhead_s >= 0 && c->step_overhead_s <= LP_CAL_STEP_OVERHEAD_MAX_S) ||
        !(c->per_seq_overhead_s >= 0 && c->per_seq_overhead_s <= LP_CAL_SEQ_OVERHEAD_MAX_S))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "%s: step_overhead_s must be in [0, %g] and per_seq_overhead_s in "
                            "[0, %g]",
                            path, LP_CAL_STEP_OVERHEAD_MAX_S, LP_CAL_SEQ_OVERHEAD_MAX_S);
    snprintf(c->source, sizeof c->source, "%s", path);
    return LP_OK;
}

lp_efficiency lp_calibration_apply(const lp_calibration *cal, const lp_efficiency *base) {
    lp_efficiency e = *base;
    e.compute_eff = cal->compute_eff;
    e.memory_eff = cal->memory_eff;
    e.step_overhead_s = cal->step_overhead_s;
    e.per_seq_overhead_s = cal->per_seq_overhead_s;
    e.source = "calibrated (llmplan calibrate)";
    return e;
}

/* ---- estimating with a calibration ------------------------------------------------------ */

static lp_status invalid(lp_perf_estimate *out, const lp_error *err) {
    out->valid = false;
    snprintf(out->error, sizeof out->error, "%s", err->message);
    return err->code;
}

lp_status lp_estimate_performance_calibrated(const lp_perf_request *req, const lp_calibration *cal,
                                             lp_perf_estimate *out) {
    if (!cal)
        return lp_estimate_performance(req, out);
    if (req->method == LP_HEURISTIC) {
        lp_status st = lp_estimate_performance(req, out);
        if (st == LP_OK)
            lp_perf_assume(out,
                           "calibration %s not applied: the heuristic method has no efficiency "
                           "constants",
                           cal->source[0] ? cal->source : cal->family);
        return st;
    }
    lp_error err;
    lp_error_clear(&err);
    const lp_gpu *gpu = req->cluster.gpu;
    if (!gpu && (!req->gpu_name || lp_gpu_find(NULL, req->gpu_name, &gpu, &err) != LP_OK))
        return lp_estimate_performance(req, out); /* reports the GPU error itself */
    const lp_efficiency *family = lp_efficiency_for(gpu);
    if (strcmp(family->family, cal->family) != 0) {
        memset(out, 0, sizeof *out);
        out->method = req->method;
        lp_error_set(&err, LP_ERR_INVALID_ARG,
                     "calibration %s is for the %s family; %s is %s: calibrate on this GPU or "
                     "leave out --calibration",
                     cal->source[0] ? cal->source : "given", cal->family, gpu->name,
                     family->family);
        return invalid(out, &err);
    }
    char source[256];
    snprintf(source, sizeof source, "calibrated by %s, %s, %d points",
             cal->source[0] ? cal->source : "a fit", cal->date, cal->n_points);
    lp_efficiency eff = lp_calibration_apply(cal, family);
    eff.source = source;
    lp_perf_request r = *req;
    r.efficiency = &eff;
    return lp_estimate_performance(&r, out);
}
