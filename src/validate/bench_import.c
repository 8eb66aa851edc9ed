/*
 * bench_import.c - read `vllm bench serve --save-result` files (and the older
 * benchmarks/benchmark_serving.py ones) and the memory lines of vLLM start-up logs.
 *
 * Result files are flat JSON objects. Scalars are read through a key table (with the aliases
 * other tools write); latency statistics by the pattern <stat>_<metric>[_ms] with stat mean,
 * median, std or pN (N as vLLM formats it: 99, 99.9) and metric ttft, tpot, itl, e2el (e2e
 * accepted); a bare ttft / ttft_ms is read as the mean. The per-request arrays are skipped,
 * but input_lens / output_lens give the mean lengths, which the totals only approximate when
 * requests failed. Python's json module writes NaN and Infinity for empty statistics; they
 * are turned into null before parsing, with a note. A key the table does not know goes into
 * notes, never into an error: result files gain keys with every vLLM release and --metadata
 * adds the user's own.
 * Start-up logs are matched line by line on substrings of the messages vLLM has printed over
 * its releases (V0 and V1; see docs/vllm_internals.md (a)), ignoring whatever
 * prefix the logger adds. The reader does not decide whether the numbers are plausible: the
 * compare command does that against the memory plan.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/file.h"
#include "llmplan/bench_import.h"

#define GIB_PER_MIB (1.0 / 1024.0)
/* Characters skipped between a log message's words and its number ("took 1.2", "(79.18"). */
#define LOG_MAX_GAP 48
/*
 * Largest token or block count read from a log line. Real logs show up to ~10^8; a number
 * beyond this is not a count (and would not fit int64: fuzz/fuzz_bench_import.c found
 * "# GPU blocks: 2.6e32" converting out of range), so the line is not used.
 */
#define LOG_MAX_COUNT 1e15

static void add_note(char notes[][LP_BENCH_NOTE_SIZE], int *n, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void add_note(char notes[][LP_BENCH_NOTE_SIZE], int *n, const char *fmt, ...) {
    if (*n >= LP_BENCH_MAX_NOTES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(notes[*n], LP_BENCH_NOTE_SIZE, fmt, ap);
    va_end(ap);
    (*n)++;
}

/* Largest result file or log read: a --save-result file with per-request ITLs of 10,000
 * requests x 2,000 tokens is about 200 MB. */
#define BENCH_FILE_MAX_BYTES (512u * 1024u * 1024u)

static lp_status read_file(const char *path, char **text, size_t *len, lp_error *err) {
    lp_status st = lp_read_file(path, "file", BENCH_FILE_MAX_BYTES, text, len, err);
    if (st == LP_ERR_NOT_FOUND && err)
        err->code = LP_ERR_IO; /* as this reader has always said: a file it cannot read */
    return st == LP_ERR_NOT_FOUND ? LP_ERR_IO : st;
}

/* ---- result files ----------------------------------------------------------------------- */

double lp_bench_percentile(const lp_bench_latency *l, double p) {
    for (int i = 0; i < l->n_percentiles; i++)
        if (fabs(l->percentile[i] - p) < 1e-9)
            return l->percentile_ms[i];
    return NAN;
}

/* Whether out[0..k) ends with "burstiness" followed by a colon (spaces allowed): the one key
 * whose Infinity is a setting (vllm bench serve --burstiness inf, evenly spaced sends), not an
 * empty statistic. */
static bool after_burstiness_key(const char *out, size_t k) {
    static const char KEY[] = "\"burstiness\"";
    const size_t n = sizeof KEY - 1;
    while (k > 0 && isspace((unsigned char)out[k - 1]))
        k--;
    if (k == 0 || out[k - 1] != ':')
        return false;
    k--;
    while (k > 0 && isspace((unsigned char)out[k - 1]))
        k--;
    return k >= n && memcmp(out + k - n, KEY, n) == 0;
}

/*
 * A copy of text with NaN, Infinity and -Infinity outside strings replaced by null, except
 * "burstiness": Infinity, which becomes "inf"; *out_len its length, *count the values
 * replaced by null. Columns after a replaced NaN shift by one.
 */
static char *sanitize_non_finite(const char *text, size_t len, size_t *out_len, int *count) {
    char *out = malloc(len + len / 3 + 2); /* "NaN" -> "null" grows by a third at most */
    if (!out)
        return NULL;
    static const char *const WORDS[] = {"-Infinity", "Infinity", "NaN"};
    size_t k = 0;
    *count = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            out[k++] = c;
            if (c == '\\' && i + 1 < len)
                out[k++] = text[++i];
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"')
            in_string = true;
        bool replaced = false;
        for (size_t w = 0; w < 3 && !replaced; w++) {
            size_t n = strlen(WORDS[w]);
            if (n <= len - i && memcmp(text + i, WORDS[w], n) == 0 &&
                (i + n == len || !isalnum((unsigned char)text[i + n]))) {
                if (w == 1 && after_burstiness_key(out, k)) {
                    memcpy(out + k, "\"inf\"", 5);
                    k += 5;
                } else {
                    memcpy(out + k, "null", 4);
                    k += 4;
                    (*count)++;
                }
                i += n - 1;
                replaced = true;
            }
        }
        if (!replaced)
            out[k++] = c;
    }
    out[k] = '\0';
    *out_len = k;
    return out;
}

typedef enum {
    K_DATE,
    K_BACKEND,
    K_MODEL_ID,
    K_TOKENIZER_ID,
    K_NUM_PROMPTS,
    K_REQUEST_RATE,
    K_BURSTINESS,
    K_MAX_CONCURRENCY,
    K_DURATION,
    K_COMPLETED,
    K_FAILED,
    K_TOTAL_INPUT,
    K_TOTAL_OUTPUT,
    K_REQUEST_TPUT,
    K_GOODPUT,
    K_OUTPUT_TPUT,
    K_TOTAL_TPUT,
    K_INPUT_TPUT,
    K_INPUT_LENS,
    K_OUTPUT_LENS,
    K_KNOWN_SKIPPED /* read by no one here, but expected in such files */
} key_id;

static const struct {
    const char *name;
    key_id id;
    bool alias; /* another tool's spelling: noted */
} KEYS[] = {
    {"date", K_DATE, false},
    {"backend", K_BACKEND, false},
    {"model_id", K_MODEL_ID, false},
    {"model", K_MODEL_ID, true},
    {"tokenizer_id", K_TOKENIZER_ID, false},
    {"num_prompts", K_NUM_PROMPTS, false},
    {"request_rate", K_REQUEST_RATE, false},
    {"burstiness", K_BURSTINESS, false},
    {"max_concurrency", K_MAX_CONCURRENCY, false},
    {"duration", K_DURATION, false},
    {"completed", K_COMPLETED, false},
    {"failed", K_FAILED, false},
    {"total_input_tokens", K_TOTAL_INPUT, false},
    {"total_output_tokens", K_TOTAL_OUTPUT, false},
    {"request_throughput", K_REQUEST_TPUT, false},
    {"request_goodput", K_GOODPUT, false},
    {"request_goodput:", K_GOODPUT, true}, /* some releases wrote the colon into the key */
    {"output_throughput", K_OUTPUT_TPUT, false},
    {"throughput", K_OUTPUT_TPUT, true},
    {"tps", K_OUTPUT_TPUT, true},
    {"total_token_throughput", K_TOTAL_TPUT, false},
    {"input_throughput", K_INPUT_TPUT, false},
    {"request_inthroughput", K_INPUT_TPUT, true}, /* benchmark_serving.py's old misspelling */
    {"input_lens", K_INPUT_LENS, false},
    {"output_lens", K_OUTPUT_LENS, false},
    {"ttfts", K_KNOWN_SKIPPED, false},
    {"itls", K_KNOWN_SKIPPED, false},
    {"generated_texts", K_KNOWN_SKIPPED, false},
    {"errors", K_KNOWN_SKIPPED, false},
    {"start_times", K_KNOWN_SKIPPED, false},
    {"best_of", K_KNOWN_SKIPPED, false},
    {"use_beam_search", K_KNOWN_SKIPPED, false},
    {"max_output_tokens_per_s", K_KNOWN_SKIPPED, false},
    {"max_concurrent_requests", K_KNOWN_SKIPPED, false},
    {"max_concurrent", K_KNOWN_SKIPPED, true},
    {"tokenizer_mode", K_KNOWN_SKIPPED, false},
    {"endpoint_type", K_KNOWN_SKIPPED, false},
    {"label", K_KNOWN_SKIPPED, false},
};

static lp_status type_error(lp_error *err, const char *name, const char *key, const char *want,
                            const json_t *v) {
    static const char *const TYPES[] = {"an object", "an array", "a string", "an integer",
                                        "a number",  "true",     "false",    "null"};
    int t = (int)json_typeof(v);
    return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: %s: expected %s, got %s", name, key, want,
                        t >= 0 && t < 8 ? TYPES[t] : "something else");
}

static lp_status get_number(const json_t *v, const char *name, const char *key, double *out,
                            lp_error *err) {
    if (json_is_null(v))
        return LP_OK; /* vLLM writes null for what it did not measure */
    if (!json_is_number(v))
        return type_error(err, name, key, "a number", v);
    *out = json_number_value(v);
    return LP_OK;
}

static lp_status get_count(const json_t *v, const char *name, const char *key, double *out,
                           lp_error *err) {
    double x = NAN;
    lp_status st = get_number(v, name, key, &x, err);
    if (st != LP_OK || isnan(x))
        return st;
    if (x < 0 || x != floor(x) || x > 9e15)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "%s: %s: expected a non-negative integer, got %g", name, key, x);
    *out = x;
    return LP_OK;
}

static lp_status get_string(const json_t *v, const char *name, const char *key, char *out,
                            size_t size, lp_error *err) {
    if (json_is_null(v))
        return LP_OK;
    if (!json_is_string(v))
        return type_error(err, name, key, "a string", v);
    snprintf(out, size, "%s", json_string_value(v));
    return LP_OK;
}

static lp_status mean_of_array(const json_t *v, const char *name, const char *key, double *out,
                               lp_error *err) {
    if (json_is_null(v))
        return LP_OK;
    if (!json_is_array(v))
        return type_error(err, name, key, "an array of token counts", v);
    size_t i, n = json_array_size(v);
    const json_t *x;
    double sum = 0;
    json_array_foreach(v, i, x) {
        if (!json_is_number(x))
            return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: %s[%zu]: expected a number", name,
                                key, i);
        sum += json_number_value(x);
    }
    if (n > 0)
        *out = sum / (double)n;
    return LP_OK;
}

/* "mean_ttft_ms" -> (latency, stat); returns false when key is not a latency statistic. */
static bool latency_key(lp_bench_result *r, const char *key, lp_bench_latency **lat, char *stat,
                        size_t stat_size, bool *bare) {
    static const struct {
        const char *name;
        size_t off;
    } METRICS[] = {
        {"ttft", offsetof(lp_bench_result, ttft)}, {"tpot", offsetof(lp_bench_result, tpot)},
        {"itl", offsetof(lp_bench_result, itl)},   {"e2el", offsetof(lp_bench_result, e2el)},
        {"e2e", offsetof(lp_bench_result, e2el)},
    };
    char k[96];
    size_t len = strlen(key);
    if (len >= sizeof k)
        return false;
    memcpy(k, key, len + 1);
    if (len > 3 && strcmp(k + len - 3, "_ms") == 0)
        k[len - 3] = '\0';
    const char *metric = k;
    *bare = true;
    stat[0] = '\0';
    char *us = strchr(k, '_');
    if (us) {
        *us = '\0';
        snprintf(stat, stat_size, "%s", k);
        metric = us + 1;
        *bare = false;
    }
    for (size_t i = 0; i < sizeof METRICS / sizeof METRICS[0]; i++)
        if (strcmp(metric, METRICS[i].name) == 0) {
            *lat = (lp_bench_latency *)((char *)r + METRICS[i].off);
            return true;
        }
    return false;
}

static void init_latency(lp_bench_latency *l) {
    memset(l, 0, sizeof *l);
    l->mean = l->median = l->std = NAN;
}

/* Store one latency statistic; false when stat is not one vLLM writes. */
static bool put_latency(lp_bench_latency *l, const char *stat, double v) {
    if (strcmp(stat, "mean") == 0 || stat[0] == '\0') {
        l->mean = v;
        return true;
    }
    if (strcmp(stat, "median") == 0) {
        l->median = v;
        return true;
    }
    if (strcmp(stat, "std") == 0) {
        l->std = v;
        return true;
    }
    if (stat[0] != 'p' || !isdigit((unsigned char)stat[1]))
        return false;
    char *end;
    double p = strtod(stat + 1, &end);
    if (*end || !(p > 0 && p < 100) || l->n_percentiles >= LP_BENCH_MAX_PERCENTILES)
        return false;
    int i = l->n_percentiles++;
    for (; i > 0 && l->percentile[i - 1] > p; i--) {
        l->percentile[i] = l->percentile[i - 1];
        l->percentile_ms[i] = l->percentile_ms[i - 1];
    }
    l->percentile[i] = p;
    l->percentile_ms[i] = v;
    if (fabs(p - 50.0) < 1e-9 && isnan(l->median))
        l->median = v;
    return true;
}

static void init_result(lp_bench_result *r) {
    memset(r, 0, sizeof *r);
    r->num_prompts = r->completed = r->failed = -1;
    r->total_input_tokens = r->total_output_tokens = -1;
    r->request_rate = r->burstiness = r->duration_s = NAN;
    r->request_throughput = r->request_goodput = r->output_throughput = NAN;
    r->total_token_throughput = r->input_throughput = NAN;
    r->mean_input_len = r->mean_output_len = NAN;
    init_latency(&r->ttft);
    init_latency(&r->tpot);
    init_latency(&r->itl);
    init_latency(&r->e2el);
}

static lp_status read_key(lp_bench_result *r, const char *name, const char *key, const json_t *v,
                          lp_error *err) {
    for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++) {
        if (strcmp(KEYS[i].name, key) != 0)
            continue;
        if (KEYS[i].alias)
            add_note(r->notes, &r->n_notes, "\"%s\" read as another tool's spelling", key);
        double x = NAN;
        lp_status st = LP_OK;
        switch (KEYS[i].id) {
        case K_DATE:
            return get_string(v, name, key, r->date, sizeof r->date, err);
        case K_BACKEND:
            return get_string(v, name, key, r->backend, sizeof r->backend, err);
        case K_MODEL_ID:
            return get_string(v, name, key, r->model_id, sizeof r->model_id, err);
        case K_TOKENIZER_ID:
            return get_string(v, name, key, r->tokenizer_id, sizeof r->tokenizer_id, err);
        case K_REQUEST_RATE:
            if (json_is_string(v)) {
                const char *s = json_string_value(v);
                if (strcasecmp(s, "inf") != 0 && strcasecmp(s, "infinity") != 0)
                    return lp_error_set(err, LP_ERR_INVALID_ARG,
                                        "%s: request_rate: expected a number or \"inf\", got "
                                        "\"%s\"",
                                        name, s);
                r->request_rate = INFINITY;
                return LP_OK;
            }
            st = get_number(v, name, key, &x, err);
            if (st == LP_OK && !isnan(x) && !(x > 0))
                return lp_error_set(err, LP_ERR_INVALID_ARG,
                                    "%s: request_rate: expected a positive number or \"inf\"",
                                    name);
            r->request_rate = x;
            return st;
        case K_BURSTINESS:
            if (json_is_string(v) && strcasecmp(json_string_value(v), "inf") == 0) {
                r->burstiness = INFINITY; /* Infinity in the file: evenly spaced sends */
                return LP_OK;
            }
            return get_number(v, name, key, &r->burstiness, err);
        case K_DURATION:
            return get_number(v, name, key, &r->duration_s, err);
        case K_REQUEST_TPUT:
            return get_number(v, name, key, &r->request_throughput, err);
        case K_GOODPUT:
            return get_number(v, name, key, &r->request_goodput, err);
        case K_OUTPUT_TPUT:
            return get_number(v, name, key, &r->output_throughput, err);
        case K_TOTAL_TPUT:
            return get_number(v, name, key, &r->total_token_throughput, err);
        case K_INPUT_TPUT:
            return get_number(v, name, key, &r->input_throughput, err);
        case K_NUM_PROMPTS:
        case K_MAX_CONCURRENCY:
        case K_COMPLETED:
        case K_FAILED:
        case K_TOTAL_INPUT:
        case K_TOTAL_OUTPUT:
            if ((st = get_count(v, name, key, &x, err)) != LP_OK || isnan(x))
                return st;
            if (KEYS[i].id == K_TOTAL_INPUT || KEYS[i].id == K_TOTAL_OUTPUT) {
                *(KEYS[i].id == K_TOTAL_INPUT ? &r->total_input_tokens : &r->total_output_tokens) =
                    (int64_t)x;
                return LP_OK;
            }
            if (x > 2e9)
                return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: %s: %g is out of range", name,
                                    key, x);
            *(KEYS[i].id == K_NUM_PROMPTS       ? &r->num_prompts
              : KEYS[i].id == K_MAX_CONCURRENCY ? &r->max_concurrency
              : KEYS[i].id == K_COMPLETED       ? &r->completed
                                                : &r->failed) = (int)x;
            return LP_OK;
        case K_INPUT_LENS:
        case K_OUTPUT_LENS:
            st = mean_of_array(v, name, key, &x, err);
            if (st == LP_OK && !isnan(x)) {
                *(KEYS[i].id == K_INPUT_LENS ? &r->mean_input_len : &r->mean_output_len) = x;
                r->lens_from_arrays = true;
            }
            return st;
        case K_KNOWN_SKIPPED:
            return LP_OK;
        }
    }
    lp_bench_latency *lat;
    char stat[32];
    bool bare;
    if (latency_key(r, key, &lat, stat, sizeof stat, &bare)) {
        if (json_is_array(v))
            return LP_OK; /* per-request values under another tool's name: skipped */
        double x = NAN;
        lp_status st = get_number(v, name, key, &x, err);
        if (st != LP_OK || isnan(x))
            return st;
        if (!put_latency(lat, stat, x)) {
            add_note(r->notes, &r->n_notes, "unknown key \"%s\" ignored", key);
            return LP_OK;
        }
        if (bare)
            add_note(r->notes, &r->n_notes, "\"%s\" read as the mean", key);
        return LP_OK;
    }
    add_note(r->notes, &r->n_notes, "unknown key \"%s\" ignored", key);
    return LP_OK;
}

static bool any_metric(const lp_bench_result *r) {
    const lp_bench_latency *l[4] = {&r->ttft, &r->tpot, &r->itl, &r->e2el};
    bool any = !isnan(r->request_throughput) || !isnan(r->output_throughput) ||
               !isnan(r->total_token_throughput);
    for (int i = 0; i < 4; i++)
        any |= !isnan(l[i]->mean) || !isnan(l[i]->median) || l[i]->n_percentiles > 0;
    return any;
}

lp_status lp_bench_result_parse(const char *text, size_t len, const char *name,
                                lp_bench_result *out, lp_error *err) {
    init_result(out);
    int replaced = 0;
    size_t clean_len = 0;
    char *clean = sanitize_non_finite(text, len, &clean_len, &replaced);
    if (!clean)
        return lp_error_set(err, LP_ERR_NOMEM, "%s: out of memory", name);
    json_error_t je;
    json_t *root = json_loadb(clean, clean_len, 0, &je);
    free(clean);
    if (!root)
        return lp_error_set(err, LP_ERR_PARSE, "%s: line %d, column %d: %s", name, je.line,
                            je.column, je.text);
    lp_status st = LP_OK;
    if (!json_is_object(root)) {
        st = lp_error_set(err, LP_ERR_PARSE,
                          "%s: expected a JSON object (a `vllm bench serve --save-result` file)",
                          name);
        goto out;
    }
    if (replaced > 0)
        add_note(out->notes, &out->n_notes, "%d NaN/Infinity value(s) read as absent", replaced);
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if ((st = read_key(out, name, key, v, err)) != LP_OK)
            goto out;
    }
    if (!any_metric(out)) {
        st = lp_error_set(err, LP_ERR_MISSING_FIELD,
                          "%s: no throughput or latency metric (request_throughput, "
                          "mean_ttft_ms, ...): not a benchmark result file",
                          name);
        goto out;
    }
    if (isnan(out->mean_input_len) && out->total_input_tokens >= 0 && out->completed > 0)
        out->mean_input_len = (double)out->total_input_tokens / out->completed;
    if (isnan(out->mean_output_len) && out->total_output_tokens >= 0 && out->completed > 0)
        out->mean_output_len = (double)out->total_output_tokens / out->completed;
out:
    json_decref(root);
    return st;
}

lp_status lp_bench_result_load(const char *path, lp_bench_result *out, lp_error *err) {
    char *text;
    size_t len;
    lp_status st = read_file(path, &text, &len, err);
    if (st != LP_OK) {
        init_result(out);
        return st;
    }
    st = lp_bench_result_parse(text, len, path, out, err);
    free(text);
    return st;
}

/* ---- start-up logs ---------------------------------------------------------------------- */

/* Case-insensitive strstr. */
static const char *find_ci(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return hay;
    return NULL;
}

/* The first number after p (within LOG_MAX_GAP characters), thousands separators allowed;
 * *unit_gib is the factor to GiB from the unit that follows (GiB/GB 1, MiB/MB 1/1024). */
static bool number_at(const char *p, double *out, double *unit_gib, const char **end_out) {
    int gap = 0;
    while (*p && !isdigit((unsigned char)*p) && gap++ < LOG_MAX_GAP)
        p++;
    if (!isdigit((unsigned char)*p))
        return false;
    /* a minus sign just before the digits is part of the number: vLLM logs a negative
     * "Available KV cache memory: -2.37 GiB" when the start-up is about to fail */
    bool negative = p[-1] == '-';
    char buf[64];
    size_t k = 0;
    if (negative)
        buf[k++] = '-';
    while ((isdigit((unsigned char)*p) || *p == ',' || *p == '.') && k + 1 < sizeof buf) {
        if (*p != ',')
            buf[k++] = *p;
        p++;
    }
    buf[k] = '\0';
    char *end;
    double v = strtod(buf, &end);
    if (end == buf)
        return false;
    while (*p == ' ')
        p++;
    double unit = 1.0;
    if (strncasecmp(p, "MiB", 3) == 0 || strncasecmp(p, "MB", 2) == 0)
        unit = GIB_PER_MIB;
    if (unit_gib)
        *unit_gib = unit;
    if (end_out)
        *end_out = p;
    *out = v;
    return true;
}

typedef enum {
    L_WEIGHTS,
    L_ACTIVATION,
    L_NON_TORCH,
    L_GRAPH,
    L_KV_GIB,
    L_TOTAL,
    L_GMU,
    L_KV_TOKENS,
    L_BLOCKS,
    L_CONCURRENCY
} log_field;

/* Message fragments, newest spelling first; the number follows the fragment. */
static const struct {
    const char *fragment;
    log_field field;
    const char *what;
} LOG_PATTERNS[] = {
    {"Model loading took", L_WEIGHTS, "weights"},
    {"Loading model weights took", L_WEIGHTS, "weights"},
    {"model weights take", L_WEIGHTS, "weights"},
    {"Weights memory:", L_WEIGHTS, "weights"},
    {"PyTorch activation peak memory", L_ACTIVATION, "activation peak"},
    {"torch peak memory increase", L_ACTIVATION, "activation peak"},
    {"non_torch_memory takes", L_NON_TORCH, "non-torch"},
    {"non-torch memory", L_NON_TORCH, "non-torch"},
    {"non-torch", L_NON_TORCH, "non-torch"},
    {"Estimated CUDA graph memory:", L_GRAPH, "CUDA graphs (estimate)"},
    {"Graph capturing finished in", L_GRAPH, "CUDA graphs (captured)"},
    {"Available KV cache memory:", L_KV_GIB, "KV cache memory"},
    {"reserved for KV Cache is", L_KV_GIB, "KV cache memory"},
    {"total_gpu_memory (", L_TOTAL, "total GPU memory"},
    {"gpu_memory_utilization (", L_GMU, "gpu-memory-utilization"},
    {"GPU KV cache size:", L_KV_TOKENS, "KV cache tokens"},
    {"# GPU blocks:", L_BLOCKS, "GPU blocks"},
    {"Maximum concurrency for", L_CONCURRENCY, "maximum concurrency"},
};

/* Python exception lines that end a failed start-up, root cause first: vLLM raises ValueError
 * (KV cache too small, max-model-len too long), torch raises OutOfMemoryError; the engine then
 * re-raises "RuntimeError: Engine core initialization failed. See root cause above", which
 * names no cause, so the first exception line is kept. */
static const char *const LOG_ERRORS[] = {"ValueError: ",       "torch.OutOfMemoryError: ",
                                         "OutOfMemoryError: ", "torch.cuda.OutOfMemoryError: ",
                                         "AssertionError: ",   "RuntimeError: "};

static void scan_error(const char *line, lp_startup_log *o) {
    if (o->error[0])
        return;
    for (size_t i = 0; i < sizeof LOG_ERRORS / sizeof LOG_ERRORS[0]; i++) {
        const char *p = strstr(line, LOG_ERRORS[i]);
        /* a traceback's source line ("raise ValueError(") has no ": " after the class name */
        if (!p)
            continue;
        o->failed = true;
        snprintf(o->error, sizeof o->error, "%s", p);
        return;
    }
}

static void scan_line(const char *line, int lineno, lp_startup_log *o) {
    bool matched = false;
    bool done[L_CONCURRENCY + 1] = {false};
    for (size_t i = 0; i < sizeof LOG_PATTERNS / sizeof LOG_PATTERNS[0]; i++) {
        log_field f = LOG_PATTERNS[i].field;
        if (done[f])
            continue;
        const char *p = find_ci(line, LOG_PATTERNS[i].fragment);
        if (!p)
            continue;
        p += strlen(LOG_PATTERNS[i].fragment);
        double v, unit = 1.0;
        const char *after = NULL;
        if (f == L_GRAPH && strstr(LOG_PATTERNS[i].fragment, "finished")) {
            /* "finished in 12 secs, took 0.62 GiB": the number after "took" */
            const char *t = find_ci(p, "took");
            if (!t)
                continue;
            p = t + 4;
        }
        if (!number_at(p, &v, &unit, &after))
            continue;
        if ((f == L_KV_TOKENS || f == L_BLOCKS || f == L_CONCURRENCY) &&
            !(v >= 0 && v <= LOG_MAX_COUNT))
            continue;
        done[f] = true;
        matched = true;
        switch (f) {
        case L_WEIGHTS:
            o->weights_gib = v * unit;
            break;
        case L_ACTIVATION:
            o->activation_gib = v * unit;
            break;
        case L_NON_TORCH:
            o->non_torch_gib = v * unit;
            break;
        case L_GRAPH:
            o->cuda_graph_gib = v * unit;
            break;
        case L_KV_GIB:
            o->kv_cache_gib = v * unit;
            break;
        case L_TOTAL:
            o->total_gib = v * unit;
            break;
        case L_GMU:
            o->gpu_memory_utilization = v;
            break;
        case L_KV_TOKENS:
            o->kv_tokens = (int64_t)v;
            break;
        case L_BLOCKS:
            o->gpu_blocks = (int64_t)v;
            break;
        case L_CONCURRENCY: {
            /* "for 8,192 tokens per request: 58.11x" */
            o->max_concurrency_tokens = (int64_t)v;
            const char *colon = after ? strchr(after, ':') : NULL;
            double x;
            if (colon && number_at(colon + 1, &x, NULL, NULL))
                o->max_concurrency = x;
            break;
        }
        }
        add_note(o->notes, &o->n_notes, "line %d: %s %g%s", lineno, LOG_PATTERNS[i].what,
                 f == L_GMU || f == L_KV_TOKENS || f == L_BLOCKS ? v
                 : f == L_CONCURRENCY                            ? o->max_concurrency
                                                                 : v * unit,
                 f == L_GMU || f == L_KV_TOKENS || f == L_BLOCKS ? ""
                 : f == L_CONCURRENCY                            ? "x"
                                                                 : " GiB");
    }
    /* V0 prints "Free memory on device (a/b GiB)": b is the total */
    const char *fm = find_ci(line, "Free memory on device (");
    if (fm) {
        const char *slash = strchr(fm, '/');
        double v;
        if (slash && number_at(slash + 1, &v, NULL, NULL)) {
            o->total_gib = v;
            matched = true;
        }
    }
    scan_error(line, o);
    o->lines_matched += matched;
}

lp_status lp_startup_log_parse(const char *text, size_t len, const char *name, lp_startup_log *o,
                               lp_error *err) {
    memset(o, 0, sizeof *o);
    o->weights_gib = o->activation_gib = o->non_torch_gib = o->cuda_graph_gib = NAN;
    o->kv_cache_gib = o->total_gib = o->gpu_memory_utilization = o->max_concurrency = NAN;
    o->kv_tokens = o->gpu_blocks = o->max_concurrency_tokens = -1;
    char line[2048];
    size_t pos = 0;
    int lineno = 0;
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        size_t n = end - pos < sizeof line - 1 ? end - pos : sizeof line - 1;
        memcpy(line, text + pos, n);
        line[n] = '\0';
        for (size_t i = 0; i < n; i++)
            if (line[i] == '\0')
                line[i] = ' ';
        lineno++;
        scan_line(line, lineno, o);
        pos = end + 1;
    }
    if (o->kv_cache_gib < 0)
        o->failed = true;
    if (o->lines_matched == 0 && !o->failed)
        return lp_error_set(err, LP_ERR_MISSING_FIELD,
                            "%s: no vLLM memory line found (\"Model loading took\", \"Available "
                            "KV cache memory\", \"GPU KV cache size\", ...)",
                            name);
    return LP_OK;
}

lp_status lp_startup_log_load(const char *path, lp_startup_log *out, lp_error *err) {
    char *text;
    size_t len;
    lp_status st = read_file(path, &text, &len, err);
    if (st != LP_OK) {
        memset(out, 0, sizeof *out);
        return st;
    }
    st = lp_startup_log_parse(text, len, path, out, err);
    free(text);
    return st;
}
