/*
 * workload_json.c - the workload and target fields of recommend and explain requests, and the
 * arrival process those use cases estimate (one rule for both, as for the CLI's flags).
 */
#include <math.h>

#include "common/json_get.h"
#include "llmplan/perf_io.h"
#include "usecase/usecase_internal.h"

/* Seconds in a day, for a daily output volume. */
#define LP_SECONDS_PER_DAY 86400.0

/* The workload fields a --batch line has too: read by its field setters (llmplan/perf_io.h),
 * so one rule checks them in every reader. */
static const char *const BATCH_WORKLOAD_FIELDS[] = {
    "input_len", "output_len", "num_prompts", "max_concurrency", "dataset_name", "request_rate",
};

lp_status lp_uc_read_workload(json_t *o, lp_workload *w, double *daily, lp_error *err) {
    lp_perf_request r;
    lp_perf_request_reader rd;
    lp_perf_request_reader_init(&rd, &r, NULL);
    *daily = 0;
    lp_status st = LP_OK;
    for (size_t i = 0;
         st == LP_OK && i < sizeof BATCH_WORKLOAD_FIELDS / sizeof *BATCH_WORKLOAD_FIELDS; i++) {
        json_t *j = lp_json_field(o, BATCH_WORKLOAD_FIELDS[i]);
        if (j) {
            lp_value v = lp_json_value(j);
            st = lp_perf_request_set(&rd, BATCH_WORKLOAD_FIELDS[i], &v, err);
        }
    }
    if (st == LP_OK)
        st = lp_perf_request_reader_finish(&rd, err);
    if (st == LP_OK)
        st = lp_json_get_num(o, "daily_output_tokens", 0, false, 1e18, daily, err);
    if (st != LP_OK)
        return st;
    if (r.workload.request_rate > 0 && *daily > 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "give either request_rate or daily_output_tokens");
    *w = r.workload;
    return lp_json_read_mode_workload(o, w, err);
}

lp_status lp_uc_read_targets(json_t *o, lp_targets *t, lp_error *err) {
    lp_targets_init(t);
    int64_t pct = 50;
    lp_status st;
    if ((st = lp_json_get_num(o, "max_ttft_ms", 0, false, 1e12, &t->max_ttft_ms, err)) ||
        (st = lp_json_get_num(o, "max_tpot_ms", 0, false, 1e12, &t->max_tpot_ms, err)) ||
        (st = lp_json_get_num(o, "max_itl_ms", 0, false, 1e12, &t->max_itl_ms, err)) ||
        (st = lp_json_get_num(o, "max_e2e_ms", 0, false, 1e12, &t->max_e2e_ms, err)) ||
        (st = lp_json_get_num(o, "min_throughput", 0, false, 1e15, &t->min_output_tok_s, err)) ||
        (st = lp_json_get_int(o, "percentile", 50, 99, &pct, err)))
        return st;
    t->percentile = (int)pct;
    return lp_targets_check(t, err);
}

void lp_uc_arrival(const lp_workload *w, double daily_output_tokens, bool one_process,
                   lp_workload *out) {
    *out = *w;
    if (one_process && out->request_rate > 0)
        out->max_concurrency = 0;
    if (!(out->request_rate > 0) && !(one_process && out->max_concurrency > 0) &&
        daily_output_tokens > 0) {
        /* a daily volume is a mean rate: tokens per second over the mean output length */
        double mean_out = lp_len_mean(&out->output);
        if (mean_out > 0)
            out->request_rate = daily_output_tokens / LP_SECONDS_PER_DAY / mean_out;
    }
}

double lp_uc_offered_output_tok_s(const lp_workload *w, double daily_output_tokens) {
    if (w->request_rate > 0)
        return w->request_rate * lp_len_mean(&w->output);
    if (w->max_concurrency > 0)
        return 0;
    return daily_output_tokens / LP_SECONDS_PER_DAY;
}
