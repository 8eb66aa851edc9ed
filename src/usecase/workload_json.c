/*
 * workload_json.c - the workload and target fields of recommend and explain requests, and the
 * arrival process those use cases estimate (one rule for both, as for the CLI's flags).
 */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "common/json_get.h"
#include "usecase/usecase_internal.h"

/* Seconds in a day, for a daily output volume. */
#define LP_SECONDS_PER_DAY 86400.0

lp_status lp_uc_read_workload(json_t *o, lp_workload *w, double *daily, lp_error *err) {
    lp_workload_init(w);
    *daily = 0;
    int64_t in = 1024, out = 128, prompts = w->num_prompts, conc = 0;
    double rate = 0;
    const char *dataset = NULL;
    lp_status st;
    if ((st = lp_json_get_int(o, "input_len", 1, LP_MAX_LEN_TOKENS, &in, err)) ||
        (st = lp_json_get_int(o, "output_len", 1, LP_MAX_LEN_TOKENS, &out, err)) ||
        (st = lp_json_get_int(o, "num_prompts", 1, LP_MAX_LEN_TOKENS, &prompts, err)) ||
        (st = lp_json_get_int(o, "max_concurrency", 0, LP_MAX_LEN_TOKENS, &conc, err)) ||
        (st = lp_json_get_str(o, "dataset_name", &dataset, err)) ||
        (st = lp_json_get_num(o, "daily_output_tokens", 0, false, 1e18, daily, err)))
        return st;
    json_t *r = lp_json_field(o, "request_rate");
    if (r && json_is_string(r) && strcasecmp(json_string_value(r), "inf") == 0)
        rate = 0;
    else if ((st = lp_json_get_num(o, "request_rate", 0, false, 1e9, &rate, err)) != LP_OK)
        return st;
    if (rate > 0 && *daily > 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "give either request_rate or daily_output_tokens");
    lp_error inner;
    if (dataset && lp_dataset_parse(dataset, &w->dataset, &inner) != LP_OK)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "dataset_name: expected \"random\", \"sharegpt\" or "
                            "\"prefix_repetition\", got \"%s\"",
                            dataset);
    w->input = lp_len_fixed((double)in);
    w->output = lp_len_fixed((double)out);
    if (w->dataset == LP_DATASET_SHAREGPT)
        lp_workload_sharegpt(w, lp_json_field(o, "input_len") ? (double)in : 0,
                             lp_json_field(o, "output_len") ? (double)out : 0);
    w->num_prompts = (int)prompts;
    w->max_concurrency = (int)conc;
    w->request_rate = rate;
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
