/*
 * serving_sweep.c - which rows of a serving table repeat an earlier run of the same benchmark
 * on the same server, so that the server's prefix cache already held their prompts when they
 * started (lp_workload.warm_prefix_cache).
 *
 * `vllm bench serve` (benchmarks/benchmark_serving.py in vLLM 0.8) samples its prompts with a
 * fixed --seed (default 0), so every run of a sweep over request rates sends the same prompts,
 * and it stamps the result it saves with the time the run ended ("date", datetime.now() after
 * the benchmark). From vLLM 0.8 prefix caching is on by default and freed KV blocks keep
 * their contents until the pool reuses them, so a run started right after another on the same
 * server finds the earlier run's prompts cached. Rows are runs of one benchmark when they come
 * from the same source repository and name the same model, GPU, GPU count, tensor parallel
 * size, data set and number of prompts; a row repeats another when that one ended at most
 * LP_SWEEP_MAX_GAP_S before this one started (its date minus its duration, num_prompts /
 * request_s). A row without a date in its notes (`date YYYYMMDD-HHMMSS`) or without a request
 * throughput never counts as a repeat, nor as the run before one.
 *
 * It does not check seeds (the rows state none: vllm bench serve's default is assumed) nor
 * that the server was not restarted in between (a gap of minutes is read as the same server).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/grow.h"
#include "validate/serving_internal.h"
#include "validate/tsv.h"

/* Longest pause between two runs of one server: the runs of a published sweep start seconds
 * after one another, while a new model means a new server (minutes of loading). */
#define LP_SWEEP_MAX_GAP_S 300.0
/* Dates have whole seconds: a run may seem to start up to this long before the last ended. */
#define LP_SWEEP_DATE_SLACK_S 2.0
#define LP_SWEEP_KEY_SIZE 320

typedef struct {
    int line;
    char key[LP_SWEEP_KEY_SIZE];
    double start_s, end_s;
} sweep_run;

/* Days from 1970-01-01 to a civil date (proleptic Gregorian; H. Hinnant's days_from_civil). */
static long days_from_civil(long y, long m, long d) {
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Seconds since 1970 of the first "date YYYYMMDD-HHMMSS" in notes, or NaN. */
static double note_date_s(const char *notes) {
    for (const char *p = strstr(notes, "date "); p; p = strstr(p + 1, "date ")) {
        const char *q = p + 5;
        int digits = 0;
        while (isdigit((unsigned char)q[digits]))
            digits++;
        if (digits != 8 || q[8] != '-')
            continue;
        for (int i = 9; i < 15; i++)
            if (!isdigit((unsigned char)q[i]))
                goto next;
        {
            long v[6];
            const int at[6] = {0, 4, 6, 9, 11, 13}, len[6] = {4, 2, 2, 2, 2, 2};
            for (int k = 0; k < 6; k++) {
                v[k] = 0;
                for (int i = 0; i < len[k]; i++)
                    v[k] = 10 * v[k] + (q[at[k] + i] - '0');
            }
            if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 ||
                v[5] > 60)
                continue;
            return 86400.0 * (double)days_from_civil(v[0], v[1], v[2]) + 3600.0 * (double)v[3] +
                   60.0 * (double)v[4] + (double)v[5];
        }
    next:;
    }
    return NAN;
}

/* The first whitespace-separated token of s, lower-cased, appended to key with a separator. */
static void key_add(char *key, size_t size, const char *s, bool first_token) {
    size_t n = strlen(key);
    if (n + 1 < size)
        key[n++] = '|';
    while (*s == ' ')
        s++;
    for (; *s && n + 1 < size; s++) {
        if (first_token && isspace((unsigned char)*s))
            break;
        key[n++] = (char)tolower((unsigned char)*s);
    }
    key[n] = '\0';
}

lp_status lp_serving_sweep_scan(const char *tsv_path, bool **repeat, int *n_lines, lp_error *err) {
    *repeat = NULL;
    *n_lines = 0;
    lp_serving_table t;
    lp_status st = lp_serving_table_open(&t, tsv_path, err);
    if (st != LP_OK)
        return st;
    sweep_run *runs = NULL;
    int n = 0, last_line = t.lineno;
    size_t cap = 0;
    char *c[LP_SC_COUNT];
    bool got;
    while ((st = lp_serving_table_next(&t, c, &got, err)) == LP_OK && got) {
        int lineno = t.lineno;
        last_line = lineno;
        double end = note_date_s(c[LP_SC_NOTES]);
        double prompts = lp_tsv_number(c[LP_SC_NUM_PROMPTS]);
        double rps = lp_tsv_number(c[LP_SC_FIRST_METRIC + LP_SM_REQUEST_S]);
        if (isnan(end) || !(prompts > 0) || !(rps > 0))
            continue;
        sweep_run *g = lp_grow(runs, &cap, (size_t)n + 1, sizeof *g, 64);
        if (!g) {
            st = lp_error_set(err, LP_ERR_NOMEM, "out of memory reading %s", tsv_path);
            goto out;
        }
        runs = g;
        sweep_run *r = &runs[n++];
        r->line = lineno;
        r->key[0] = '\0';
        key_add(r->key, sizeof r->key, c[LP_SC_SOURCE], true);
        const int same[] = {LP_SC_MODEL,   LP_SC_GPU,         LP_SC_GPU_COUNT, LP_SC_TP,
                            LP_SC_DATASET, LP_SC_NUM_PROMPTS, LP_SC_ENGINE,    LP_SC_PRECISION};
        for (size_t k = 0; k < sizeof same / sizeof same[0]; k++)
            key_add(r->key, sizeof r->key, c[same[k]], false);
        r->end_s = end;
        r->start_s = end - prompts / rps;
    }
    if (st != LP_OK)
        goto out;
    bool *rep = calloc((size_t)last_line + 1, sizeof *rep);
    if (!rep) {
        st = lp_error_set(err, LP_ERR_NOMEM, "out of memory reading %s", tsv_path);
        goto out;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            if (i == j || strcmp(runs[i].key, runs[j].key) != 0)
                continue;
            double gap = runs[i].start_s - runs[j].end_s;
            if (gap >= -LP_SWEEP_DATE_SLACK_S && gap <= LP_SWEEP_MAX_GAP_S)
                rep[runs[i].line] = true;
        }
    *repeat = rep;
    *n_lines = last_line;
out:
    free(runs);
    lp_serving_table_close(&t);
    return st;
}
