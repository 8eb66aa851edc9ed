/*
 * llmplan/validate.h - compare llmplan with real vLLM measurements.
 *
 * Reads a table of published vLLM start-up logs (the format of ../shared/validation/
 * kv_capacity.tsv: one row per run with its settings and the logged memory lines), plans each
 * row with the same settings, and reports the error per row and the medians. Used by
 * `llmplan accuracy` and by the accuracy test, so both always agree.
 * lp_validate_serving does the same for serving performance (../shared/validation/
 * serving_perf.tsv: published throughput and latency measurements) with every estimation
 * method of llmplan/perf.h.
 */
#ifndef LLMPLAN_VALIDATE_H
#define LLMPLAN_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "llmplan/bands.h"
#include "llmplan/model.h"
#include "llmplan/perf.h"
#include "llmplan/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Fit / holdout split of validation rows --------------------------------------------- */

/** FNV-1a 64-bit hash of the bytes of s (NULL: of the empty string). */
uint64_t lp_validate_fnv1a64(const char *s);

/**
 * The group of a validation row and its hash: the key "repo|model|gpu|tp|version" where repo
 * is the first whitespace-separated token of the `source` cell, version the first token of
 * the engine-version cell (empty if none), model, gpu and tp the cells as written, everything
 * lower-cased. Writes the key into key (size bytes, truncated; key may be NULL with size 0)
 * and returns the FNV-1a 64 hash of the whole key (never truncated). NULL cells are empty.
 */
uint64_t lp_validate_split_key(const char *source, const char *model, const char *gpu,
                               const char *tp, const char *engine_version, char *key, size_t size);

/**
 * Whether a validation row is held out: hash of its group key (lp_validate_split_key) % 5 < 2.
 * Held-out rows are never used to fit a constant; accuracy is reported on them. Rows of
 * the other groups are fit rows.
 */
bool lp_validate_is_holdout(const char *source, const char *model, const char *gpu, const char *tp,
                            const char *engine_version);

#define LP_VALIDATE_MAX_ROWS 256

/** One metric: what vLLM logged and what llmplan predicts (NaN when the row lacks it). */
typedef struct {
    double actual;
    double predicted;
    double error_pct; /**< 100 x (predicted - actual) / actual; NaN when not comparable */
} lp_metric_cmp;

/** Median and maximum of |error %| over n comparisons (NaN when n == 0). */
typedef struct {
    double median, max;
    int n;
} lp_error_summary;

/** Result for one row of the table. */
typedef struct {
    int line; /**< line number in the TSV */
    char model[96];
    char vllm_version[16];
    char label[200];      /**< short description: dtype, kv dtype, tp/pp, gmu, mml */
    char gpu[48];         /**< the GPU database row planned on */
    bool version_stated;  /**< false: the row names no vLLM version; planned as the default */
    bool holdout;         /**< held out by lp_validate_is_holdout */
    uint64_t group;       /**< hash of its split group (lp_validate_split_key) */
    bool fit_row;         /**< a row the memory constants were fitted on (src/mem/overheads.c) */
    bool gpu_from_remark; /**< the GPU cell names no GPU first; taken from its remark */
    lp_status status;     /**< LP_OK when the row could be planned */
    char error[LP_ERROR_MESSAGE_SIZE]; /**< why not, when status != LP_OK */
    bool expect_failure;               /**< outcome column says the start-up failed */
    bool predicted_fits;
    double gmu_used;        /**< utilization used for the plan */
    bool gmu_from_row_sums; /**< the stated utilization contradicted the row's own sums */
    lp_metric_cmp weights_gib, activation_gib, non_torch_gib, kv_cache_gib, kv_tokens;
    lp_metric_cmp max_concurrency;    /**< "Maximum concurrency for N tokens per request" */
    lp_metric_cmp gpu_blocks;         /**< "# GPU blocks" (V0) / num_gpu_blocks */
    char predicted_error[200];        /**< vLLM's error llmplan predicts when it predicts no fit */
    lp_mem_failure predicted_failure; /**< the cause of that error (LP_MEM_STARTS: fits) */
    /** the cause the outcome column names (lp_validate_failure_cause); meaningful when
     *  logged_cause_known */
    lp_mem_failure logged_failure;
    bool logged_cause_known;
} lp_kv_row_result;

/** Up to this many per-version groups in a report. */
#define LP_KV_MAX_GROUPS 16

/** Summaries of the rows of one vLLM version (or of all rows). */
typedef struct {
    char version[16]; /**< "v0.19.0"; "not stated"; "all" */
    int rows, planned;
    lp_error_summary weights, kv_gib, kv_tokens, concurrency, gpu_blocks;
    int failed_rows, failed_predicted, ok_predicted_fail;
    int failed_right_cause; /**< failed rows predicted to fail for the cause they name */
} lp_kv_group;

/** Summary of a whole table. */
typedef struct {
    lp_kv_row_result rows[LP_VALIDATE_MAX_ROWS];
    int n_rows;
    int n_planned; /**< rows planned successfully */
    /* medians and maxima of |error %| over rows that state the metric */
    double weights_median, weights_max;
    int weights_n;
    double kv_gib_median, kv_gib_max;
    int kv_gib_n;
    double kv_tokens_median, kv_tokens_max;
    int kv_tokens_n;
    double concurrency_median, concurrency_max;
    int concurrency_n;
    int failed_rows;        /**< rows whose outcome is a failure */
    int failed_predicted;   /**< of those, predicted as not fitting */
    int failed_right_cause; /**< of those, for the cause the outcome names */
    int ok_predicted_fail;  /**< rows that started but llmplan says do not fit */
    double gpu_blocks_median, gpu_blocks_max;
    int gpu_blocks_n;
    /** per vLLM version (rows in table order of first appearance), then all rows */
    lp_kv_group groups[LP_KV_MAX_GROUPS];
    int n_groups;
    lp_kv_group all;
    /** rows no memory constant was fitted on (fit_row false) */
    lp_kv_group not_fitted;
    /** rows the shared split holds out (lp_validate_is_holdout) */
    lp_kv_group holdout;
} lp_kv_report;

/**
 * Plan every row of a kv_capacity-style TSV at path and fill report (caller-allocated; large).
 * Rows whose model or GPU is unknown are reported with their error, not skipped silently.
 * Errors: LP_ERR_IO (cannot read), LP_ERR_PARSE (missing columns).
 */
lp_status lp_validate_kv_capacity(const char *path, lp_kv_report *report, lp_error *err);

/**
 * The start-up failure an outcome cell describes ("failed: no KV room", "failed: ... max seq
 * len", "failed: OOM while warming up sampler", "failed: weights do not fit"): true and *cause
 * set when the text names one llmplan distinguishes; false for "ok" and for text it cannot
 * place (the caller reports that rather than guessing).
 */
bool lp_validate_failure_cause(const char *outcome, lp_mem_failure *cause);

/* ---- Serving performance: every estimation method against published measurements -------- */

/**
 * A metric a row of serving_perf.tsv can state, named after its column. Latencies are in ms;
 * each statistic (mean, median, p99) is compared with the same statistic of the estimate.
 */
typedef enum {
    LP_SM_OUTPUT_TOK_S = 0,
    LP_SM_TOTAL_TOK_S,
    LP_SM_REQUEST_S,
    LP_SM_TTFT_MEAN,
    LP_SM_TTFT_P50,
    LP_SM_TTFT_P99,
    LP_SM_TPOT_MEAN,
    LP_SM_TPOT_P50,
    LP_SM_TPOT_P99,
    LP_SM_ITL_MEAN,
    LP_SM_ITL_P50,
    LP_SM_ITL_P99,
    LP_SM_E2E_MEAN,
    LP_SM_E2E_P50,
    LP_SM_E2E_P99,
    LP_SM_COUNT
} lp_serving_metric;

/** The column name of a metric ("output_tok_s", "ttft_p50_ms", ...). */
const char *lp_serving_metric_name(lp_serving_metric metric);

/**
 * Metric families for the summary: one comparison per row and family, so that a row stating
 * three statistics of one latency does not count three times. The row's statistic is taken in
 * the order median, mean, p99; throughput is output tok/s, else requests/s, else total tok/s
 * (at a given workload these differ by a constant factor).
 */
typedef enum {
    LP_SF_THROUGHPUT = 0,
    LP_SF_TTFT,
    LP_SF_TPOT,
    LP_SF_ITL,
    LP_SF_E2E,
    LP_SF_COUNT
} lp_serving_family;

/** Name of a family ("throughput", "ttft", "tpot", "itl", "e2e"). */
const char *lp_serving_family_name(lp_serving_family family);

/** Engine that produced a row. */
typedef enum {
    LP_ENGINE_OTHER = 0,
    LP_ENGINE_VLLM, /**< what llmplan models */
    LP_ENGINE_TRT   /**< TensorRT-LLM: a different, faster engine; an upper bound */
} lp_serving_engine;

/** Number of estimation methods compared (LP_HEURISTIC, LP_ROOFLINE, LP_SIMULATE). */
#define LP_SERVING_METHODS 3
/** Rows a report holds (the three serving tables have 340 + 233 + 121). */
#define LP_SERVING_MAX_ROWS 1024
/** Tables one report reads. */
#define LP_SERVING_MAX_FILES 8
/** Notes one row keeps about how it was read (defaults taken, metrics left out). */
#define LP_SERVING_MAX_NOTES 8
#define LP_SERVING_NOTE_SIZE 128

/** Which rows of the split a run keeps. */
typedef enum {
    LP_ROWS_ALL = 0,
    LP_ROWS_FIT,    /**< only rows lp_validate_is_holdout keeps for fitting */
    LP_ROWS_HOLDOUT /**< only held-out rows */
} lp_validate_rows;

/** Options of lp_validate_serving. */
typedef struct {
    bool methods[LP_SERVING_METHODS]; /**< which methods to run, indexed by lp_method */
    lp_validate_rows rows;            /**< rows outside this part are not read (default all) */
    int sim_max_prompts;              /**< simulate at most this many prompts per row */
    double sim_max_output_tokens;     /**< skip the simulation above prompts x mean output */
    uint64_t seed;                    /**< simulation seed */
} lp_validate_serving_opts;

/** Defaults: all three methods, at most 2000 simulated prompts and 5e6 output tokens, seed 0. */
void lp_validate_serving_opts_init(lp_validate_serving_opts *opts);

/** Result for one row of serving_perf.tsv. */
typedef struct {
    int line;              /**< line number in the TSV */
    char file[32];         /**< the table's file name ("serving_perf_2.tsv") */
    char source[64];       /**< the repository the row comes from (first token of `source`) */
    char version[24];      /**< engine release for the tables ("vLLM 0.6", "TRT-LLM 0.17", ...) */
    char family[24];       /**< GPU family (lp_efficiency_for; "" when the GPU is not mapped) */
    char mode[16];         /**< serving_modes.tsv `mode` ("baseline", "spec", ...; "" elsewhere) */
    lp_load_regime regime; /**< of the mapped request (usable rows) */
    char model[96];        /**< the row's model text */
    char model_id[96];     /**< catalog id it was mapped to ("" when not mapped) */
    char gpu[64];          /**< the GPU row it was mapped to, or the row's text when not mapped */
    int num_gpus, tp, pp;
    lp_serving_engine engine;
    bool holdout;      /**< held out by lp_validate_is_holdout: never fitted on */
    uint64_t group;    /**< hash of its split group (lp_validate_split_key) */
    bool offline;      /**< request rate inf / offline: throughput at full load */
    char workload[64]; /**< short text: "128/128 inf n=1000", "ShareGPT r=4 n=1200" */
    bool usable;       /**< false: skipped, with reason */
    char reason[LP_SERVING_NOTE_SIZE];
    char notes[LP_SERVING_MAX_NOTES][LP_SERVING_NOTE_SIZE]; /**< how the row was read */
    int n_notes;
    int sim_prompts; /**< prompts simulated (0: simulation not run) */
    /** per method: comparison of every metric (actual NaN when the row does not state it) */
    lp_metric_cmp metrics[LP_SERVING_METHODS][LP_SM_COUNT];
    bool estimated[LP_SERVING_METHODS]; /**< the method ran and gave a valid estimate */
    /** the error band each estimate gave for each compared metric: the compared prediction x
     * the [lo, hi] of its class ({0, 0}: no band) */
    lp_range band[LP_SERVING_METHODS][LP_SM_COUNT];
    char method_error[LP_SERVING_METHODS][LP_SERVING_NOTE_SIZE]; /**< why not, when it did not */
    /**
     * TensorRT-LLM offline rows: B x (num_gpus x peak bandwidth) / (weights + B x (ISL + OSL/2)
     * x KV bytes per token) at B = the requests the KV cache holds at ISL + OSL/2 tokens each
     * (their mean occupancy), same memory plan as the estimate; output tok/s; NaN elsewhere.
     */
    double physical_limit_tok_s;
    bool above_limit[LP_SERVING_METHODS]; /**< prediction above physical_limit_tok_s */
    /**
     * The measurement is above physical_limit_tok_s: the limit uses vLLM's memory accounting,
     * and TensorRT-LLM's KV pool (a fraction of the memory left after the weights) can hold
     * more; on other rows it points at the data or at settings read wrongly.
     */
    bool actual_above_limit;
} lp_serving_row_result;

/** Every row's comparison and the summaries. Large: allocate it on the heap. */
typedef struct {
    lp_serving_row_result rows[LP_SERVING_MAX_ROWS];
    int n_rows;
    char files[LP_SERVING_MAX_FILES][32]; /**< file names read, in order */
    int n_files;
    int n_usable, n_skipped;
    int n_vllm_rows, n_trt_rows; /**< usable rows of each engine */
    int n_trt_offline;           /**< usable TensorRT-LLM rows at infinite rate */
    bool truncated;              /**< the table had more than LP_SERVING_MAX_ROWS rows */
    /** vLLM rows, per method and metric / family */
    lp_error_summary vllm[LP_SERVING_METHODS][LP_SM_COUNT];
    lp_error_summary vllm_family[LP_SERVING_METHODS][LP_SF_COUNT];
    int vllm_family_stated[LP_SF_COUNT]; /**< usable vLLM rows stating each family */
    /** TensorRT-LLM rows, per method and metric (informative: another engine) */
    lp_error_summary trt[LP_SERVING_METHODS][LP_SM_COUNT];
    /** TensorRT-LLM offline rows: output tok/s error, predictions above the physical limit */
    lp_error_summary trt_offline_output[LP_SERVING_METHODS];
    int trt_above_limit[LP_SERVING_METHODS];
    int trt_actual_above_limit; /**< rows with actual_above_limit */
} lp_serving_report;

/**
 * Map every row of a serving_perf-style TSV at path (columns found by header name) to a
 * performance request, run each method of opts (NULL: defaults) and compare every metric the
 * row states; fill report (caller-allocated; large). Rows that cannot be mapped (unsupported
 * model, TP or GPU not stated, nothing comparable) are kept with usable=false and a reason;
 * a method that fails on a row records why. Errors: LP_ERR_IO (cannot read), LP_ERR_PARSE (no
 * header or a required column missing).
 */
lp_status lp_validate_serving(const char *tsv_path, const lp_validate_serving_opts *opts,
                              lp_serving_report *report, lp_error *err);

/**
 * Read one more table into report (filled by lp_validate_serving or zeroed) and recompute the
 * summaries over every row read so far. The columns are found by name, so serving_perf.tsv,
 * serving_perf_2.tsv and serving_modes.tsv (whose mode rows are kept as skipped, with the
 * reason, until their mode is modelled) all read. Errors as lp_validate_serving; rows beyond
 * LP_SERVING_MAX_ROWS set report->truncated.
 */
lp_status lp_validate_serving_add(const char *tsv_path, const lp_validate_serving_opts *opts,
                                  lp_serving_report *report, lp_error *err);

/* ---- Accuracy tables: errors grouped by GPU, source, release or load regime ------------- */

/** What a table groups by. */
typedef enum {
    LP_ACC_ALL = 0, /**< one group: every row */
    LP_ACC_GPU,
    LP_ACC_SOURCE,
    LP_ACC_VERSION,
    LP_ACC_REGIME,
    LP_ACC_FILE,
    LP_ACC_DIMS
} lp_accuracy_dim;

/** Name of a dimension ("all", "gpu", "source", "version", "regime", "file"). */
const char *lp_accuracy_dim_name(lp_accuracy_dim dim);

/** Errors of one method over a set of comparisons, in percent. */
typedef struct {
    int n;
    double median_abs; /**< median |error| */
    double p90_abs;    /**< 90th percentile of |error| (linear between order statistics) */
    double bias;       /**< median signed error: + means llmplan predicts too high */
} lp_error_stats;

/** One line of a table: a group and split, one metric family, every method. */
typedef struct {
    char group[64];
    bool holdout;
    lp_serving_family family;
    int stated; /**< usable rows of the group and split that state the family */
    lp_error_stats methods[LP_SERVING_METHODS];
} lp_accuracy_row;

/**
 * The errors of every method per metric family (one statistic per row, as in the report's
 * summaries) over the usable rows of one engine, grouped by dim and split into fit and
 * holdout rows. *rows is malloc'd (free it), sorted by group, split (fit first) and family;
 * groups with no row stating a family have no line for it. Errors: LP_ERR_NOMEM.
 */
lp_status lp_accuracy_table(const lp_serving_report *r, lp_accuracy_dim dim,
                            lp_serving_engine engine, lp_accuracy_row **rows, int *n,
                            lp_error *err);

/** Statistics of n signed errors in percent (vals is reordered). */
lp_error_stats lp_error_stats_of(double *vals, int n);

/**
 * One usable row of a serving_perf-style table as lp_validate_serving maps it: the request it
 * estimates (its model held here, its GPU from the built-in database) and what the row
 * measured. Used to calibrate on the table. req.model points at this point's model: move
 * points only with lp_serving_points_read's array, never copy one out and use it.
 */
typedef struct {
    int line; /**< line number in the TSV */
    lp_serving_engine engine;
    bool holdout;      /**< held out by lp_validate_is_holdout: never fit on it */
    bool offline;      /**< request rate inf / offline */
    bool latency_test; /**< a fixed batch issued at once: E2E is the batch's */
    char model_id[96];
    char gpu[64];
    char workload[64];
    lp_model model;
    lp_perf_request req;        /**< req.model = &model, req.gpu set, method roofline */
    double actual[LP_SM_COUNT]; /**< what the row states (NaN: not stated) */
} lp_serving_point;

/**
 * Map every row of a serving_perf-style TSV exactly as lp_validate_serving does, without
 * estimating, and return the usable rows in *points (malloc'd; free with
 * lp_serving_points_free) and their number in *n. Errors as lp_validate_serving, plus
 * LP_ERR_NOMEM.
 */
lp_status lp_serving_points_read(const char *tsv_path, lp_serving_point **points, int *n,
                                 lp_error *err);

/** Free what lp_serving_points_read returned (NULL is fine). */
void lp_serving_points_free(lp_serving_point *points);

/* ---- Error bands: fitting them, and measuring their coverage ----------------------------- */

/** The band class of a metric column: its quantity and statistic (p99 is a tail). */
void lp_serving_metric_band(lp_serving_metric metric, lp_band_metric *quantity, lp_band_stat *stat);

/** Calibration keys a class's margin is looked up in, from the narrowest (its quantity x
 * statistic x method) to the broadest (its whole domain, serving or memory). */
#define LP_BAND_CAL_DEPTHS 5
/** Calibration keys one fit keeps. */
#define LP_BAND_MAX_CAL 96

/**
 * One margin of the fit: the bands of the classes under this key are widened (margin > 0) or
 * narrowed (< 0) by exp(margin) on both sides, the 80 % finite-sample quantile of the signed
 * distances of n left-out fit residuals to the band built without their group.
 */
typedef struct {
    int metric;   /**< lp_band_metric, or LP_BAND_ANY (any serving quantity) */
    int stat;     /**< lp_band_stat, or LP_BAND_ANY */
    int method;   /**< lp_method, LP_BAND_METHOD_PLAN, or LP_BAND_ANY */
    int fallback; /**< 0: bands of a row's own class; 1: fallback bands; -1: both */
    int depth;    /**< 0 .. LP_BAND_CAL_DEPTHS - 1 */
    int n;        /**< left-out residuals it rests on */
    double margin;
} lp_band_calibration;

/** How the fit went, for the table's header and the report. */
typedef struct {
    int serving_rows, serving_groups; /**< fit vLLM rows and groups with a comparison */
    int serving_residuals;            /**< comparisons (row x method x quantity x statistic) */
    int kv_rows, kv_groups;           /**< fit start-up logs with a KV comparison */
    /** the margins used, in the order first needed */
    lp_band_calibration cal[LP_BAND_MAX_CAL];
    int n_cal;
    /** coverage of the margined bands when each fit group is left out in turn, per domain
     * (0 serving, 1 memory) */
    double logo_coverage[2];
} lp_band_fit_info;

/**
 * Fit the band table (llmplan/bands.h) on the fit rows only: serving comparisons of the vLLM
 * rows of r (never TensorRT-LLM, never a holdout row) and the KV capacity of the fit rows of
 * the n_kv memory reports. *out is malloc'd (lp_band_table_free); info may be NULL.
 * Errors: LP_ERR_NOMEM.
 */
lp_status lp_bands_fit(const lp_serving_report *r, const lp_kv_report *const *kv, int n_kv,
                       lp_band_table **out, lp_band_fit_info *info, lp_error *err);

/** Held-out comparisons a class needs before its coverage is stated: below this, one more
 * value inside or outside moves it by more than 10 points, and the report prints no figure. */
#define LP_BAND_MIN_MEASURED 10

/** Comparisons and how many fell inside their band. */
typedef struct {
    int n, inside;
    int groups;            /**< split groups the comparisons come from */
    double log_lo, log_hi; /**< sums of ln(band lo / estimate) and ln(band hi / estimate) */
} lp_band_count;

/** Band coverage over the usable vLLM rows of one split, per method, quantity and statistic. */
typedef struct {
    lp_band_count cells[LP_SERVING_METHODS][LP_BAND_METRICS][LP_BAND_STATS];
    lp_band_count methods[LP_SERVING_METHODS];
    lp_band_count all;
} lp_band_coverage;

/**
 * Count the comparisons of the vLLM rows of r in the split (holdout or fit) whose measured
 * value lies inside their band (one per row, method, quantity and statistic, chosen as the
 * summaries choose them), with their groups and band widths. table NULL: the band each
 * estimate gave (the compiled-in table's); else the band of the row's class in table, so that
 * a table fitted just now is measured without estimating again. Comparisons without a band are
 * not counted. Errors: LP_ERR_NOMEM (counting the groups).
 */
lp_status lp_band_coverage_of(const lp_serving_report *r, bool holdout, const lp_band_table *table,
                              lp_band_coverage *out, lp_error *err);

/**
 * The same for KV capacity over the planned rows of n memory reports in the split, against the
 * bands of table (NULL: the built-in one).
 */
lp_band_count lp_band_coverage_kv(const lp_kv_report *const *r, int n, const lp_band_table *table,
                                  bool holdout);

/** The geometric-mean band of a count: exp(mean ln lo) .. exp(mean ln hi) (0 .. 0 when empty). */
lp_range lp_band_count_typical(const lp_band_count *c);

/* ---- serving modes (serving_modes.c) ------------------------------------------------------ */

/** The modes compared with their baseline. */
typedef enum {
    LP_MODES_SPEC = 0,
    LP_MODES_LORA,
    LP_MODES_PREFIX,
    LP_MODES_PD, /**< disaggregated prefill/decode */
    LP_MODES_COUNT
} lp_modes_mode;

/** "spec", "lora", "prefix" or "pd", as the table's `mode` column spells them. */
const char *lp_modes_mode_name(lp_modes_mode m);

/** The metrics compared: mean TPOT and output tokens/s; mean TTFT for pd rows only (the KV
 *  transfer lands there). */
typedef enum {
    LP_MODES_TPOT = 0,
    LP_MODES_OUTPUT_TOK_S,
    LP_MODES_TTFT,
    LP_MODES_METRICS
} lp_modes_metric;

/** "tpot_mean_ms", "output_tok_s" or "ttft_mean_ms". */
const char *lp_modes_metric_name(lp_modes_metric m);

/** One mode row and one metric against the baseline row measured beside it. */
typedef struct {
    int line, base_line; /**< lines of the mode row and of its baseline in the file */
    lp_modes_mode mode;
    lp_modes_metric metric;
    bool holdout; /**< the mode row's group is held out (lp_validate_is_holdout) */
    char model[96], gpu[48], settings[64], note[160];
    double measured, estimated;             /**< the mode row */
    double base_measured, base_estimated;   /**< its baseline */
    double measured_ratio, estimated_ratio; /**< mode / baseline */
} lp_modes_pair;

/** A mode row not compared, and why. */
typedef struct {
    int line;
    char mode[16];
    char reason[160];
} lp_modes_skip;

#define LP_MODES_MAX_PAIRS 256
#define LP_MODES_MAX_SKIPS 256

/** Every mode row of serving_modes.tsv: the pairs compared and the rows skipped. */
typedef struct {
    int mode_rows, skipped;
    lp_modes_pair pairs[LP_MODES_MAX_PAIRS];
    int n_pairs;
    lp_modes_skip skips[LP_MODES_MAX_SKIPS];
    int n_skips;
} lp_modes_report;

/** Median relative errors |estimate / measured - 1| over the pairs of one mode and metric. */
typedef struct {
    int pairs;
    double median_ratio_error; /**< of the ratio mode / baseline */
    double median_mode_error;  /**< of the mode rows' absolute values */
    double median_base_error;  /**< of the baselines' absolute values */
} lp_modes_summary;

/**
 * Read serving_modes.tsv at path and estimate (roofline) every vLLM mode row that has a
 * baseline row beside it, with the baseline on the same model, GPU and load. LP_ERR_IO /
 * LP_ERR_PARSE for an unreadable file or a missing column.
 */
lp_status lp_validate_serving_modes(const char *path, lp_modes_report *rep, lp_error *err);

/** The summary of one mode and metric over holdout (1), fit (0) or all (-1) pairs. */
void lp_modes_summarize(const lp_modes_report *rep, lp_modes_mode mode, lp_modes_metric metric,
                        int holdout, lp_modes_summary *out);

/** The per-pair rows, the per-mode summary table and the skipped rows with their reasons. */
void lp_modes_print(FILE *out, const lp_modes_report *rep);

#ifdef __cplusplus
}
#endif

#endif
