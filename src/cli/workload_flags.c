/*
 * workload_flags.c - length-distribution flags and the usage-error line shared by the
 * commands that take a workload (see workload_flags.h).
 */
#include "cli/workload_flags.h"
#include "common/grow.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "common/file.h"
#include "llmplan/usecase.h"

/* Histogram files are small tables; more rows than this is surely the wrong file. */
#define MAX_HIST_ROWS 100000
/* Largest histogram file read: MAX_HIST_ROWS lines of "tokens weight" with room to spare. */
#define HIST_MAX_BYTES (16u * 1024u * 1024u)

void lp_cli_hist_free(lp_cli_hist_store *hs) {
    free(hs->values);
    free(hs->weights);
    hs->values = hs->weights = NULL;
}

int lp_cli_usage_error(const char *cmd, const char *fmt, const char *arg) {
    fprintf(stderr, "llmplan %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see llmplan %s --help)\n", cmd);
    return LP_EXIT_USAGE;
}

/* "tokens weight" lines (blank lines and '#' comments skipped) into a histogram. */
static int read_histogram(const char *cmd, const char *flag, const char *path, lp_len_dist *d,
                          lp_cli_hist_store *hs) {
    /* read whole, with a cap, so that /dev/zero or a FIFO cannot keep us reading */
    char *text;
    size_t len;
    lp_error err;
    lp_status rst = lp_read_file(path, "length histogram", HIST_MAX_BYTES, &text, &len, &err);
    if (rst != LP_OK) {
        fprintf(stderr, "llmplan %s: %s: %s\n", cmd, flag, err.message);
        return lp_cli_exit_code(rst);
    }
    if (lp_text_has_nul(text, len)) {
        fprintf(stderr,
                "llmplan %s: %s: %s holds binary data (a NUL byte), not \"tokens weight\" "
                "lines\n",
                cmd, flag, path);
        free(text);
        return LP_EXIT_USAGE;
    }
    FILE *f = len ? fmemopen(text, len, "r") : NULL;
    if (len && !f) {
        free(text);
        fprintf(stderr, "llmplan %s: out of memory\n", cmd);
        return LP_EXIT_FAILURE;
    }
    size_t cap_values = 0, cap_weights = 0, n = 0;
    hs->values = NULL;
    hs->weights = NULL;
    char line[512];
    long lineno = 0;
    int rc = 0;
    while (rc == 0 && f && fgets(line, sizeof line, f)) {
        lineno++;
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0')
            continue;
        double v, wt;
        char extra;
        if (sscanf(p, "%lf %lf %c", &v, &wt, &extra) != 2 || !(v >= 1) || !(wt >= 0) ||
            !(v <= LP_MAX_LEN_TOKENS) || !isfinite(wt)) {
            fprintf(stderr,
                    "llmplan %s: %s: %s line %ld: expected \"tokens weight\" (tokens from 1 to "
                    "10000000, weight >= 0)\n",
                    cmd, flag, path, lineno);
            rc = LP_EXIT_USAGE;
            break;
        }
        if (n == MAX_HIST_ROWS) {
            fprintf(stderr, "llmplan %s: %s: %s has more than %d rows\n", cmd, flag, path,
                    MAX_HIST_ROWS);
            rc = LP_EXIT_USAGE;
            break;
        }
        double *nv = lp_grow(hs->values, &cap_values, n + 1, sizeof *nv, 64);
        if (nv)
            hs->values = nv;
        double *nw = lp_grow(hs->weights, &cap_weights, n + 1, sizeof *nw, 64);
        if (nw)
            hs->weights = nw;
        if (!nv || !nw) {
            fprintf(stderr, "llmplan %s: out of memory\n", cmd);
            rc = LP_EXIT_FAILURE;
            break;
        }
        hs->values[n] = v;
        hs->weights[n] = wt;
        n++;
    }
    if (f)
        fclose(f);
    free(text);
    if (rc == 0 && n == 0) {
        fprintf(stderr, "llmplan %s: %s: %s has no \"tokens weight\" rows\n", cmd, flag, path);
        rc = LP_EXIT_USAGE;
    }
    if (rc != 0)
        return rc;
    memset(d, 0, sizeof *d);
    d->kind = LP_LEN_HISTOGRAM;
    d->values = hs->values;
    d->weights = hs->weights;
    d->n = (int)n;
    d->mean = lp_len_mean(d);
    return 0;
}

static int bad_value(const char *cmd, const char *flag, const char *what, const char *spec) {
    lp_opts_bad_value(cmd, flag, what, spec);
    return LP_EXIT_USAGE;
}

/* normal:MEAN,SD | uniform:LO,HI | hist:FILE | sharegpt (as `llmplan estimate` reads them).
 * A bad spec is refused naming the one flag at fault, with its value shortened. */
int lp_cli_parse_len_dist(const char *cmd, const char *flag, const char *spec, double sharegpt_mean,
                          lp_len_dist *d, lp_cli_hist_store *hs) {
    double x, y;
    char extra;
    const double most = LP_MAX_LEN_TOKENS;
    memset(d, 0, sizeof *d);
    if (strcasecmp(spec, "sharegpt") == 0) {
        *d = strstr(flag, "output") ? lp_len_sharegpt_output(sharegpt_mean)
                                    : lp_len_sharegpt_input(sharegpt_mean);
        return 0;
    }
    if (strncasecmp(spec, "normal:", 7) == 0) {
        if (sscanf(spec + 7, "%lf,%lf %c", &x, &y, &extra) != 2 || !(x >= 1 && x <= most) ||
            !(y >= 0 && y <= most))
            return bad_value(cmd, flag,
                             "normal:MEAN,SD with MEAN from 1 to 10000000 tokens and SD from 0 "
                             "to 10000000",
                             spec);
        d->kind = LP_LEN_NORMAL;
        d->mean = x;
        d->stddev = y;
        d->lo = 1;
        return 0;
    }
    if (strncasecmp(spec, "uniform:", 8) == 0) {
        if (sscanf(spec + 8, "%lf,%lf %c", &x, &y, &extra) != 2 || !(x >= 1) || !(y >= x) ||
            !(y <= most))
            return bad_value(cmd, flag, "uniform:LO,HI with 1 <= LO <= HI <= 10000000 tokens",
                             spec);
        d->kind = LP_LEN_UNIFORM;
        d->lo = x;
        d->hi = y;
        d->mean = 0.5 * (x + y);
        return 0;
    }
    if (strncasecmp(spec, "hist:", 5) == 0 && spec[5])
        return read_histogram(cmd, flag, spec + 5, d, hs);
    return bad_value(cmd, flag, "normal:MEAN,SD, uniform:LO,HI, hist:FILE or sharegpt", spec);
}

void lp_cli_workload_init(lp_cli_workload *w) {
    *w = (lp_cli_workload){0};
    w->input_len = 1024;
    w->output_len = 128;
    w->num_prompts = 1000;
}

void lp_cli_targets_init(lp_cli_targets *t) {
    *t = (lp_cli_targets){0};
    t->percentile = 50;
}

int lp_cli_targets_build(const char *cmd, const lp_cli_targets *t, lp_targets *out) {
    if (t->percentile != 50 && t->percentile != 90 && t->percentile != 99)
        return lp_cli_usage_error(cmd, "%s: expected 50, 90 or 99", "--percentile");
    const struct {
        const char *flag;
        double v;
    } lims[] = {{"--max-ttft-ms", t->max_ttft_ms},
                {"--max-tpot-ms", t->max_tpot_ms},
                {"--max-itl-ms", t->max_itl_ms},
                {"--max-e2e-ms", t->max_e2e_ms},
                {"--min-throughput", t->min_throughput}};
    for (size_t i = 0; i < sizeof lims / sizeof lims[0]; i++)
        if (lims[i].v < 0 || !isfinite(lims[i].v))
            return lp_cli_usage_error(cmd, "%s: expected a positive number (0: no target)",
                                      lims[i].flag);
    *out = (lp_targets){0};
    out->max_ttft_ms = t->max_ttft_ms;
    out->max_tpot_ms = t->max_tpot_ms;
    out->max_itl_ms = t->max_itl_ms;
    out->max_e2e_ms = t->max_e2e_ms;
    out->min_output_tok_s = t->min_throughput;
    out->percentile = (int)t->percentile;
    return 0;
}

/* A positive request rate or "inf" (0). */
bool lp_cli_parse_rate(const char *text, double *out) {
    if (strcasecmp(text, "inf") == 0) {
        *out = 0.0;
        return true;
    }
    double v;
    /* the one number parser (no hex, NaN or trailing text), and the JSON readers' range */
    if (!lp_opts_parse_double(text, &v) || !(v > 0) || v > LP_CLI_MAX_REQUEST_RATE)
        return false;
    *out = v;
    return true;
}

/* A burstiness above 0 (at most LP_MAX_BURSTINESS) or "inf" (evenly spaced sends). */
bool lp_cli_parse_burstiness(const char *text, double *out) {
    if (strcasecmp(text, "inf") == 0) {
        *out = INFINITY;
        return true;
    }
    double v;
    if (!lp_opts_parse_double(text, &v) || !(v > 0) || v > LP_MAX_BURSTINESS)
        return false;
    *out = v;
    return true;
}

int lp_cli_build_workload(const char *cmd, const lp_cli_workload *a, lp_workload *w,
                          lp_cli_hist_store hs[2]) {
    lp_workload_init(w);
    lp_error err;
    if (a->dataset && lp_dataset_parse(a->dataset, &w->dataset, &err) != LP_OK)
        return lp_cli_usage_error(cmd, "%s", err.message);
    if (a->input_len < 1 || a->input_len > LP_MAX_LEN_TOKENS)
        return lp_cli_usage_error(cmd, "%s: expected between 1 and 10,000,000 tokens",
                                  "--random-input-len");
    if (a->output_len < 1 || a->output_len > LP_MAX_LEN_TOKENS)
        return lp_cli_usage_error(cmd, "%s: expected between 1 and 10,000,000 tokens",
                                  "--random-output-len");
    w->input = lp_len_fixed((double)a->input_len);
    w->output = lp_len_fixed((double)a->output_len);
    if (w->dataset == LP_DATASET_SHAREGPT)
        lp_workload_sharegpt(w, a->seen_input_len ? (double)a->input_len : 0,
                             a->seen_output_len ? (double)a->output_len : 0);
    /* a sharegpt length distribution has the given length as its mean, else the preset's */
    double in_mean = a->seen_input_len ? (double)a->input_len : LP_SHAREGPT_MEAN_INPUT;
    double out_mean = a->seen_output_len ? (double)a->output_len : LP_SHAREGPT_MEAN_OUTPUT;
    int rc;
    if (a->input_dist && (rc = lp_cli_parse_len_dist(cmd, "--input-len-dist", a->input_dist,
                                                     in_mean, &w->input, &hs[0])) != 0)
        return rc;
    if (a->output_dist && (rc = lp_cli_parse_len_dist(cmd, "--output-len-dist", a->output_dist,
                                                      out_mean, &w->output, &hs[1])) != 0)
        return rc;
    if (a->num_prompts < 1 || a->num_prompts > LP_MAX_LEN_TOKENS)
        return lp_cli_usage_error(cmd, "%s: expected between 1 and 10,000,000", "--num-prompts");
    w->num_prompts = (int)a->num_prompts;
    if (a->max_concurrency < 0 || a->max_concurrency > LP_MAX_LEN_TOKENS)
        return lp_cli_usage_error(cmd, "%s: expected between 1 and 10,000,000",
                                  "--max-concurrency");
    w->max_concurrency = (int)a->max_concurrency;
    if (a->request_rate && !lp_cli_parse_rate(a->request_rate, &w->request_rate))
        return bad_value(cmd, "--request-rate", LP_CLI_RATE_EXPECTED, a->request_rate);
    if (a->burstiness && !lp_cli_parse_burstiness(a->burstiness, &w->burstiness))
        return bad_value(cmd, "--burstiness", LP_CLI_BURSTINESS_EXPECTED, a->burstiness);
    if (a->sharegpt_output_len) {
        if (a->seen_output_len || a->output_dist)
            return lp_cli_usage_error(cmd,
                                      "%s: it fixes the output length; leave out "
                                      "--random-output-len and --output-len-dist",
                                      "--sharegpt-output-len");
        if (lp_workload_sharegpt_output_len(w, a->sharegpt_output_len, &err) != LP_OK)
            return lp_cli_usage_error(cmd, "%s", err.message);
    }
    bool repetition =
        a->pr_prefix_len || a->pr_suffix_len || a->pr_num_prefixes || a->pr_output_len;
    if (w->dataset == LP_DATASET_PREFIX_REPETITION) {
        if (a->seen_input_len || a->seen_output_len || a->input_dist || a->output_dist)
            return lp_cli_usage_error(cmd, "%s: set its lengths with --prefix-repetition-*",
                                      "--dataset-name prefix_repetition");
        lp_workload_prefix_repetition(w, (int)a->pr_prefix_len, (int)a->pr_suffix_len,
                                      (int)a->pr_num_prefixes, (int)a->pr_output_len);
    } else if (repetition) {
        return lp_cli_usage_error(cmd, "%s: the --prefix-repetition-* flags need it",
                                  "--dataset-name prefix_repetition");
    }
    if (a->random_prefix_len > 0 &&
        lp_workload_random_prefix(w, (int)a->random_prefix_len, &err) != LP_OK)
        return lp_cli_usage_error(cmd, "%s", err.message);
    w->num_turns = (int)a->num_turns;
    if (a->lora_modules)
        w->num_lora_modules = lp_workload_count_names(a->lora_modules);
    if (a->daily_output_tokens < 0 || !isfinite(a->daily_output_tokens))
        return lp_cli_usage_error(cmd, "%s: expected a positive number of output tokens per day",
                                  "--daily-output-tokens");
    if (a->daily_output_tokens > 0 && w->request_rate > 0)
        return lp_cli_usage_error(cmd, "%s: give either --request-rate or --daily-output-tokens",
                                  "--daily-output-tokens");
    return 0;
}
