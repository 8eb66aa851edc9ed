/*
 * serving.c - run every estimation method on every row of a table of published serving
 * measurements (../shared/validation/serving_perf.tsv) and compare.
 *
 * Each row is read by column name and mapped to an lp_perf_request with the row's own
 * settings: the model text through a small alias table (below) or lp_model_load, the GPU
 * through lp_gpu_find (remarks in parentheses, form-factor words and, last, a memory size that
 * matches no part are dropped, each time with a note), TP/PP/GPU count, precision, lengths,
 * request rate, client concurrency and prompt count. Every metric the row states is compared
 * with the same statistic of each method's estimate. What the row's text cannot be mapped to
 * is never guessed: the row is kept with usable=false and the reason. Every default taken
 * while reading a row is written into its notes.
 *
 * TensorRT-LLM rows measure a different, faster engine: they are summarized apart, and for
 * their offline rows a memory-bandwidth limit no engine can beat is computed from the same
 * memory plan, so that predictions above physics are flagged.
 *
 * It does not read measured values as inputs (only settings), does not print and does not
 * decide pass/fail: the accuracy test and `llmplan accuracy` do. lp_serving_points_read hands
 * the same mapping, without estimating, to calibration.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/perf.h"
#include "llmplan/validate.h"
#include "validate/tsv.h"

#define MAX_COLS 64

/*
 * ShareGPT as vLLM's and SGLang's benchmarks sample it: about 202 input and 179 output tokens
 * per request on average (../shared/validation/README.md, "ShareGPT ... about 202 in / 179 out
 * on average"). A workload description, not a measurement.
 */
#define LP_SHAREGPT_MEAN_INPUT 202.0
#define LP_SHAREGPT_MEAN_OUTPUT 179.0
/* vllm benchmarks' sample_sharegpt_requests drops prompts or outputs under 4 tokens, prompts
 * over 1024 and pairs over 2048 tokens: [4, 1024] for each side. */
#define LP_SHAREGPT_MIN_LEN 4.0
#define LP_SHAREGPT_MAX_LEN 1024.0
/* `vllm bench serve` --num-prompts default, used for offline rows that do not state it. */
#define LP_DEFAULT_NUM_PROMPTS 1000
/* Defaults of lp_validate_serving_opts: keep one simulation per row within a second or so. */
#define LP_SIM_MAX_PROMPTS 2000
#define LP_SIM_MAX_OUTPUT_TOKENS 5e6
/* "+/-15%" in a dataset description is a uniform spread of that many percent. */
#define LP_PERCENT 100.0

/*
 * Model names as the sources write them -> catalog ids. Keys are compared after dropping
 * remarks in parentheses, case, spaces, '-' and '_'. Instruct and base checkpoints of one
 * model have the same architecture, so which one a source benchmarked does not matter here.
 */
static const struct {
    const char *name;
    const char *id;
} MODEL_ALIASES[] = {
    /* TensorRT-LLM perf-overview tables, vLLM CI test names */
    {"Llama-3.1 8B", "meta-llama/Llama-3.1-8B-Instruct"},
    {"Llama-3.1 70B", "meta-llama/Llama-3.1-70B-Instruct"},
    {"Llama-3-70B", "meta-llama/Meta-Llama-3-70B"},
    {"Llama-3-8B", "meta-llama/Meta-Llama-3-8B"},
    {"Mistral 7B", "mistralai/Mistral-7B-v0.1"},
    {"Mixtral-8x7B", "mistralai/Mixtral-8x7B-v0.1"},
    /* the 2024 name of the checkpoint the catalog holds under its current name */
    {"meta-llama/Meta-Llama-3.1-405B-Instruct-FP8", "meta-llama/Llama-3.1-405B-Instruct-FP8"},
};

/* Columns read by name; the required ones must be in the header. */
enum {
    C_SOURCE,
    C_ENGINE,
    C_ENGINE_VERSION,
    C_MODEL,
    C_PRECISION,
    C_GPU,
    C_GPU_COUNT,
    C_TP,
    C_PP,
    C_DATASET,
    C_ISL,
    C_OSL,
    C_NUM_PROMPTS,
    C_CONCURRENCY,
    C_REQUEST_RATE,
    C_MAX_BATCH,
    C_NOTES,
    C_INPUT_TOK_S,
    C_TTFT_UNSTATED,
    C_ITL_UNSTATED,
    C_THROUGHPUT_UNSPECIFIED,
    C_FIRST_METRIC, /* then one column per lp_serving_metric */
    C_COUNT = C_FIRST_METRIC + LP_SM_COUNT
};

static const char *const SETTING_COLUMNS[C_FIRST_METRIC] = {
    "source",
    "engine",
    "engine_version",
    "model",
    "precision",
    "gpu",
    "gpu_count",
    "tp",
    "pp",
    "dataset",
    "isl",
    "osl",
    "num_prompts",
    "concurrency",
    "request_rate",
    "max_batch",
    "notes",
    "input_tok_s",
    "ttft_unstated_stat_ms",
    "itl_unstated_stat_ms",
    "throughput_unspecified_tok_s",
};

static const bool REQUIRED[C_FIRST_METRIC] = {
    [C_ENGINE] = true, [C_MODEL] = true, [C_PRECISION] = true, [C_GPU] = true,
    [C_TP] = true,     [C_ISL] = true,   [C_OSL] = true,       [C_REQUEST_RATE] = true,
};

static const char *const METRIC_NAMES[LP_SM_COUNT] = {
    "output_tok_s", "total_tok_s",  "request_s",   "ttft_mean_ms", "ttft_p50_ms",
    "ttft_p99_ms",  "tpot_mean_ms", "tpot_p50_ms", "tpot_p99_ms",  "itl_mean_ms",
    "itl_p50_ms",   "itl_p99_ms",   "e2e_mean_ms", "e2e_p50_ms",   "e2e_p99_ms",
};

static const char *const FAMILY_NAMES[LP_SF_COUNT] = {"throughput", "ttft", "tpot", "itl", "e2e"};

/* Metrics of each family in the order a row's statistic is chosen (median, mean, p99). */
static const lp_serving_metric FAMILY_METRICS[LP_SF_COUNT][3] = {
    [LP_SF_THROUGHPUT] = {LP_SM_OUTPUT_TOK_S, LP_SM_REQUEST_S, LP_SM_TOTAL_TOK_S},
    [LP_SF_TTFT] = {LP_SM_TTFT_P50, LP_SM_TTFT_MEAN, LP_SM_TTFT_P99},
    [LP_SF_TPOT] = {LP_SM_TPOT_P50, LP_SM_TPOT_MEAN, LP_SM_TPOT_P99},
    [LP_SF_ITL] = {LP_SM_ITL_P50, LP_SM_ITL_MEAN, LP_SM_ITL_P99},
    [LP_SF_E2E] = {LP_SM_E2E_P50, LP_SM_E2E_MEAN, LP_SM_E2E_P99},
};

const char *lp_serving_metric_name(lp_serving_metric metric) {
    return metric >= 0 && metric < LP_SM_COUNT ? METRIC_NAMES[metric] : "unknown";
}

const char *lp_serving_family_name(lp_serving_family family) {
    return family >= 0 && family < LP_SF_COUNT ? FAMILY_NAMES[family] : "unknown";
}

void lp_validate_serving_opts_init(lp_validate_serving_opts *opts) {
    memset(opts, 0, sizeof *opts);
    for (int i = 0; i < LP_SERVING_METHODS; i++)
        opts->methods[i] = true;
    opts->sim_max_prompts = LP_SIM_MAX_PROMPTS;
    opts->sim_max_output_tokens = LP_SIM_MAX_OUTPUT_TOKENS;
}

/* ---- small text helpers ------------------------------------------------------------------ */

static bool blank(const char *s) {
    while (*s && isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

static void lower_copy(const char *s, char *out, size_t size) {
    size_t i = 0;
    for (; s[i] && i + 1 < size; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[i] = '\0';
}

/* Copy s without "(...)" remarks, trimmed. */
static void strip_remarks(const char *s, char *out, size_t size) {
    size_t k = 0;
    int depth = 0;
    for (; *s && k + 1 < size; s++) {
        if (*s == '(')
            depth++;
        else if (*s == ')' && depth > 0)
            depth--;
        else if (depth == 0)
            out[k++] = *s;
    }
    while (k > 0 && isspace((unsigned char)out[k - 1]))
        k--;
    out[k] = '\0';
    size_t lead = strspn(out, " \t");
    memmove(out, out + lead, k - lead + 1);
}

/* Lower-case key without spaces, '-' and '_' (for the alias table). */
static void name_key(const char *s, char *out, size_t size) {
    size_t k = 0;
    for (; *s && k + 1 < size; s++)
        if (*s != ' ' && *s != '-' && *s != '_')
            out[k++] = (char)tolower((unsigned char)*s);
    out[k] = '\0';
}

/* The number following key in text (skipping a few non-digit characters), or NaN. */
static double number_after(const char *text, const char *key) {
    const char *p = strstr(text, key);
    if (!p)
        return NAN;
    p += strlen(key);
    for (int skip = 0; *p && skip < 16 && !isdigit((unsigned char)*p); skip++)
        p++;
    return isdigit((unsigned char)*p) ? lp_tsv_number(p) : NAN;
}

static void note(lp_serving_row_result *row, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void note(lp_serving_row_result *row, const char *fmt, ...) {
    if (row->n_notes >= LP_SERVING_MAX_NOTES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(row->notes[row->n_notes++], LP_SERVING_NOTE_SIZE, fmt, ap);
    va_end(ap);
}

static void skip(lp_serving_row_result *row, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void skip(lp_serving_row_result *row, const char *fmt, ...) {
    row->usable = false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(row->reason, sizeof row->reason, fmt, ap);
    va_end(ap);
}

/* ---- mapping a row ----------------------------------------------------------------------- */

/* Everything a row maps to, besides what is stored in the row result. */
typedef struct {
    lp_model model;
    const lp_gpu *gpu;
    lp_perf_request req;
    double actual[LP_SM_COUNT];
    bool latency_test; /* a fixed batch issued at once; E2E is the batch's */
    double isl_mean, osl_mean, isl_max, osl_max;
} row_map;

static lp_status map_model(const char *text, const char *notes, lp_serving_row_result *row,
                           lp_model *m) {
    char spec[192], key[192], alias_key[192];
    strip_remarks(text, spec, sizeof spec);
    name_key(spec, key, sizeof key);
    const char *id = spec;
    for (size_t i = 0; i < sizeof MODEL_ALIASES / sizeof MODEL_ALIASES[0]; i++) {
        name_key(MODEL_ALIASES[i].name, alias_key, sizeof alias_key);
        if (strcmp(key, alias_key) == 0) {
            id = MODEL_ALIASES[i].id;
            break;
        }
    }
    lp_error err;
    lp_status st = lp_model_load(id, NULL, m, &err);
    if (st != LP_OK) {
        if (strstr(notes, "Mamba") || strstr(notes, "mamba"))
            skip(row, "unsupported model: hybrid Mamba-Transformer (not in the catalog)");
        else
            skip(row, "unsupported model \"%s\": %s", spec, lp_strerror(st));
        return st;
    }
    snprintf(row->model_id, sizeof row->model_id, "%s", m->id);
    return LP_OK;
}

/* Drop every word of text equal (case-insensitively) to one of words; returns whether any. */
static bool drop_words(char *text, const char *const *words, bool memory_sizes) {
    char out[128] = "";
    bool dropped = false;
    char *save = NULL;
    for (char *w = strtok_r(text, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        bool drop = false;
        for (size_t i = 0; words && words[i]; i++)
            drop |= strcasecmp(w, words[i]) == 0;
        if (memory_sizes) {
            char *end;
            strtod(w, &end);
            drop |= end != w && strcasecmp(end, "GB") == 0;
        }
        if (drop) {
            dropped = true;
            continue;
        }
        if (*out)
            strncat(out, " ", sizeof out - strlen(out) - 1);
        strncat(out, w, sizeof out - strlen(out) - 1);
    }
    strcpy(text, out);
    return dropped;
}

static lp_status map_gpu(const char *text, lp_serving_row_result *row, const lp_gpu **gpu) {
    static const char *const FORM_WORDS[] = {"SXM", "SXM4", "SXM5", "HBM3", "HBM3e", "HBM2e", NULL};
    lp_error err;
    if (lp_gpu_find(NULL, text, gpu, &err) == LP_OK)
        goto found;
    char name[128];
    strip_remarks(text, name, sizeof name);
    if (lp_gpu_find(NULL, name, gpu, &err) == LP_OK)
        goto found;
    if (drop_words(name, FORM_WORDS, false) && lp_gpu_find(NULL, name, gpu, &err) == LP_OK)
        goto found;
    if (drop_words(name, NULL, true) && lp_gpu_find(NULL, name, gpu, &err) == LP_OK) {
        note(row, "GPU \"%s\": memory size matches no part; read as %s (%.0f GB)", text,
             (*gpu)->name, (*gpu)->memory_gib);
        goto found;
    }
    skip(row, "GPU \"%s\" not found (%s)", text, lp_strerror(err.code));
    return err.code;
found:
    snprintf(row->gpu, sizeof row->gpu, "%s", (*gpu)->name);
    return LP_OK;
}

/* Precision text -> serving flags. The checkpoint's own quantization is kept when it has one. */
static bool map_precision(const char *text, const lp_model *m, lp_serving_row_result *row,
                          lp_serving *s) {
    char p[160];
    lower_copy(text, p, sizeof p);
    bool kv_fp8 = strstr(p, "kv cache fp8") || strstr(p, "fp8 kv");
    if (strncmp(p, "fp8", 3) == 0) {
        if (m->quant.method == LP_QUANT_NONE)
            s->quantization = "fp8";
        else if (m->quant.method != LP_QUANT_FP8)
            note(row, "precision says fp8; the checkpoint's own quantization is kept");
        if (strstr(p, "kv dtype") && !kv_fp8)
            note(row, "KV dtype not stated: the checkpoint's default");
    } else if (strncmp(p, "fp16", 4) == 0) {
        s->dtype = LP_DTYPE_FP16;
    } else if (strncmp(p, "bf16", 4) == 0) {
        s->dtype = LP_DTYPE_AUTO;
    } else if (strncmp(p, "mxfp4", 5) == 0) {
        if (m->quant.method != LP_QUANT_MXFP4) {
            skip(row, "precision \"%s\" does not match the checkpoint", text);
            return false;
        }
    } else {
        skip(row, "precision not understood: \"%s\"", text);
        return false;
    }
    if (kv_fp8) {
        s->kv_cache_dtype = LP_DTYPE_FP8;
        if (strstr(p, "except sliding"))
            note(row, "fp8 KV on every layer (the run kept sliding-window layers in bf16)");
    }
    return true;
}

/* One length column: "128", "ShareGPT", "~20000" (spread from "+/-N%" in the dataset text). */
static bool map_length(const char *text, const char *dataset, double sharegpt_mean,
                       lp_serving_row_result *row, lp_len_dist *out, double *max) {
    while (isspace((unsigned char)*text))
        text++;
    if (strncasecmp(text, "sharegpt", 8) == 0) {
        memset(out, 0, sizeof *out);
        out->kind = LP_LEN_SHAREGPT;
        out->mean = sharegpt_mean;
        /* vLLM's ShareGPT sampler keeps prompts of 4-1024 tokens and prompt + output <= 2048 */
        out->lo = LP_SHAREGPT_MIN_LEN;
        out->hi = LP_SHAREGPT_MAX_LEN;
        *max = out->hi;
        return true;
    }
    bool approx = *text == '~';
    double v = lp_tsv_number(approx ? text + 1 : text);
    if (!(v >= 1.0))
        return false;
    *out = lp_len_fixed(v);
    *max = v;
    double spread = number_after(dataset, "+/-");
    if (approx && spread > 0 && spread < LP_PERCENT) {
        out->kind = LP_LEN_UNIFORM;
        out->lo = round(v * (1.0 - spread / LP_PERCENT));
        out->hi = round(v * (1.0 + spread / LP_PERCENT));
        *max = out->hi;
    } else if (approx) {
        note(row, "length \"%s\" without a stated spread: fixed at %.0f", text, v);
    }
    return true;
}

static void short_length(const lp_len_dist *d, char *out, size_t size) {
    if (d->kind == LP_LEN_SHAREGPT)
        snprintf(out, size, "ShareGPT");
    else if (d->kind == LP_LEN_UNIFORM)
        snprintf(out, size, "~%.0f", lp_len_mean(d));
    else
        snprintf(out, size, "%.0f", d->mean);
}

static bool map_workload(char **c, lp_serving_row_result *row, row_map *rm) {
    lp_perf_request *r = &rm->req;
    const char *dataset = c[C_DATASET];
    if (!map_length(c[C_ISL], dataset, LP_SHAREGPT_MEAN_INPUT, row, &r->workload.input,
                    &rm->isl_max) ||
        !map_length(c[C_OSL], dataset, LP_SHAREGPT_MEAN_OUTPUT, row, &r->workload.output,
                    &rm->osl_max)) {
        skip(row, "input/output lengths not stated as numbers (\"%s\" / \"%s\")", c[C_ISL],
             c[C_OSL]);
        return false;
    }
    rm->isl_mean = lp_len_mean(&r->workload.input);
    rm->osl_mean = lp_len_mean(&r->workload.output);

    char rate[64];
    lower_copy(c[C_REQUEST_RATE], rate, sizeof rate);
    double concurrency = lp_tsv_number(c[C_CONCURRENCY]);
    double batch = lp_tsv_number(c[C_MAX_BATCH]);
    double prompts = lp_tsv_number(c[C_NUM_PROMPTS]);
    if (strncmp(rate, "inf", 3) == 0 || strncmp(rate, "offline", 7) == 0) {
        r->workload.request_rate = 0.0;
        row->offline = true;
    } else if (lp_tsv_number(rate) > 0) {
        r->workload.request_rate = lp_tsv_number(rate);
    } else if (!(concurrency > 0) && !(batch > 0)) {
        skip(row, "neither request rate, concurrency nor batch stated");
        return false;
    }
    if (concurrency > 0)
        r->workload.max_concurrency = (int)concurrency;
    if (batch > 0) {
        /* a latency test: one batch of N prompts issued at once, E2E of the whole batch */
        rm->latency_test = true;
        r->workload.num_prompts = (int)batch;
        r->workload.request_rate = 0.0;
    } else if (prompts > 0) {
        r->workload.num_prompts = (int)prompts;
    } else {
        r->workload.num_prompts = LP_DEFAULT_NUM_PROMPTS;
        note(row, "num_prompts not stated: %d assumed", LP_DEFAULT_NUM_PROMPTS);
    }

    char in[24], out[24], load[32];
    short_length(&r->workload.input, in, sizeof in);
    short_length(&r->workload.output, out, sizeof out);
    if (rm->latency_test)
        snprintf(load, sizeof load, "batch %d", r->workload.num_prompts);
    else if (r->workload.max_concurrency > 0)
        snprintf(load, sizeof load, "c=%d n=%d", r->workload.max_concurrency,
                 r->workload.num_prompts);
    else if (r->workload.request_rate > 0)
        snprintf(load, sizeof load, "r=%g n=%d", r->workload.request_rate, r->workload.num_prompts);
    else
        snprintf(load, sizeof load, "inf n=%d", r->workload.num_prompts);
    if (r->workload.input.kind == LP_LEN_SHAREGPT && r->workload.output.kind == LP_LEN_SHAREGPT)
        snprintf(row->workload, sizeof row->workload, "ShareGPT %s", load);
    else
        snprintf(row->workload, sizeof row->workload, "%s/%s %s", in, out, load);
    return true;
}

/* Serving flags from the engine version and the notes (max-model-len, memory fraction). */
static void map_serving(char **c, lp_serving_row_result *row, row_map *rm) {
    lp_serving *s = &rm->req.serving;
    s->tensor_parallel_size = row->tp;
    s->pipeline_parallel_size = row->pp;
    const char *notes = c[C_NOTES];
    if (row->engine == LP_ENGINE_VLLM) {
        char version[32];
        snprintf(version, sizeof version, "%s", c[C_ENGINE_VERSION]);
        version[strcspn(version, " ")] = '\0';
        lp_error err;
        if (lp_vllm_version_parse(version, &s->vllm_version, &err) != LP_OK) {
            s->vllm_version = 0;
            note(row, "vLLM version not stated: the latest behaviour");
        }
    }
    double steps = number_after(notes, "num-scheduler-steps");
    if (steps > 1)
        s->num_scheduler_steps = (int)steps;
    double mml = number_after(notes, "max_model_len");
    if (isnan(mml))
        mml = number_after(notes, "max-model-len");
    if (mml > 0) {
        s->max_model_len = (int64_t)mml;
    } else if (row->engine == LP_ENGINE_TRT) {
        /* TensorRT-LLM engines are built for the benchmark's longest sequence; vLLM's
         * equivalent is --max-model-len ISL + OSL */
        s->max_model_len = (int64_t)ceil(rm->isl_max + rm->osl_max);
        note(row, "max-model-len %lld (ISL + OSL, as the engine was built)",
             (long long)s->max_model_len);
    }
    /* TensorRT-LLM's kv_cache_free_gpu_mem_fraction is read as vLLM's utilization */
    double fraction = number_after(notes, "kv_cache_free_gpu_mem_fraction");
    double gmu = number_after(notes, "gpu_memory_utilization");
    if (fraction > 0 && fraction <= 1) {
        s->gpu_memory_utilization = fraction;
        note(row, "gpu-memory-utilization %.2f (kv_cache_free_gpu_mem_fraction)", fraction);
    } else if (gmu > 0 && gmu <= 1) {
        s->gpu_memory_utilization = gmu;
    }
}

/* The metrics the row states and that can be compared; false when none is left. */
static bool map_metrics(char **c, lp_serving_row_result *row, row_map *rm) {
    int stated = 0;
    for (int k = 0; k < LP_SM_COUNT; k++) {
        rm->actual[k] = lp_tsv_number(c[C_FIRST_METRIC + k]);
        if (!(rm->actual[k] > 0))
            rm->actual[k] = NAN;
    }
    double steps = number_after(c[C_NOTES], "num-scheduler-steps");
    if (steps > 1) {
        /* multi-step scheduling (vLLM 0.6) returns tokens in bursts of N: the measured ITL is
         * the gap between bursts, not between tokens; TPOT stays per token */
        bool had = !isnan(rm->actual[LP_SM_ITL_MEAN]) || !isnan(rm->actual[LP_SM_ITL_P50]) ||
                   !isnan(rm->actual[LP_SM_ITL_P99]);
        rm->actual[LP_SM_ITL_MEAN] = rm->actual[LP_SM_ITL_P50] = rm->actual[LP_SM_ITL_P99] = NAN;
        if (had)
            note(row, "ITL not compared: --num-scheduler-steps %.0f reports one gap per burst",
                 steps);
    }
    for (int k = 0; k < LP_SM_COUNT; k++)
        stated += !isnan(rm->actual[k]);
    if (lp_tsv_number(c[C_INPUT_TOK_S]) > 0)
        note(row, "input_tok_s not compared");
    if (stated == 0) {
        bool unstated = lp_tsv_number(c[C_TTFT_UNSTATED]) > 0 ||
                        lp_tsv_number(c[C_ITL_UNSTATED]) > 0 ||
                        lp_tsv_number(c[C_THROUGHPUT_UNSPECIFIED]) > 0;
        skip(row, "%s",
             unstated ? "metric not comparable (statistic or kind not stated)"
                      : "no comparable metric stated");
        return false;
    }
    return true;
}

static bool map_row(char **c, lp_serving_row_result *row, row_map *rm) {
    snprintf(row->model, sizeof row->model, "%s", c[C_MODEL]);
    snprintf(row->gpu, sizeof row->gpu, "%s", c[C_GPU]);
    row->holdout =
        lp_validate_is_holdout(c[C_SOURCE], c[C_MODEL], c[C_GPU], c[C_TP], c[C_ENGINE_VERSION]);
    row->usable = true;
    if (strncasecmp(c[C_ENGINE], "vllm", 4) == 0)
        row->engine = LP_ENGINE_VLLM;
    else if (strncasecmp(c[C_ENGINE], "tensorrt-llm", 12) == 0)
        row->engine = LP_ENGINE_TRT;
    else {
        skip(row, "engine \"%s\" is neither vLLM nor TensorRT-LLM", c[C_ENGINE]);
        return false;
    }
    if (blank(c[C_GPU])) {
        skip(row, "GPU not stated");
        return false;
    }
    double tp = lp_tsv_number(c[C_TP]), pp = lp_tsv_number(c[C_PP]);
    double count = lp_tsv_number(c[C_GPU_COUNT]);
    if (!(tp >= 1)) {
        skip(row, "TP/GPU count not stated");
        return false;
    }
    row->tp = (int)tp;
    row->pp = pp >= 1 ? (int)pp : 1;
    if (count >= 1) {
        row->num_gpus = (int)count;
    } else {
        row->num_gpus = row->tp * row->pp;
        note(row, "GPU count not stated: TP x PP = %d", row->num_gpus);
    }
    if (map_model(c[C_MODEL], c[C_NOTES], row, &rm->model) != LP_OK)
        return false;
    if (map_gpu(c[C_GPU], row, &rm->gpu) != LP_OK)
        return false;

    lp_perf_request_init(&rm->req);
    rm->req.model = &rm->model;
    rm->req.cluster.gpu = rm->gpu;
    rm->req.cluster.num_gpus = row->num_gpus;
    if (!map_precision(c[C_PRECISION], &rm->model, row, &rm->req.serving))
        return false;
    if (!map_workload(c, row, rm))
        return false;
    map_serving(c, row, rm);
    return map_metrics(c, row, rm);
}

/* ---- estimating and comparing ------------------------------------------------------------ */

static lp_metric_cmp compare(double actual, double predicted) {
    lp_metric_cmp m = {actual, predicted, NAN};
    if (!(predicted > 0) || !isfinite(predicted))
        m.predicted = NAN; /* an estimate leaves what it does not give at 0 or NaN */
    if (!isnan(actual) && actual != 0.0 && !isnan(m.predicted))
        m.error_pct = 100.0 * (m.predicted - actual) / fabs(actual);
    return m;
}

/* The predicted value of each metric. */
static void predictions(const lp_perf_estimate *e, bool latency_test, double out[LP_SM_COUNT]) {
    out[LP_SM_OUTPUT_TOK_S] = e->output_tok_s;
    out[LP_SM_TOTAL_TOK_S] = e->total_tok_s;
    out[LP_SM_REQUEST_S] = e->request_s;
    const lp_stat *stats[4] = {&e->ttft_ms, &e->tpot_ms, &e->itl_ms, &e->e2el_ms};
    for (int i = 0; i < 4; i++) {
        out[LP_SM_TTFT_MEAN + 3 * i] = stats[i]->mean;
        out[LP_SM_TTFT_P50 + 3 * i] = stats[i]->median;
        out[LP_SM_TTFT_P99 + 3 * i] = stats[i]->p99;
    }
    if (latency_test) {
        /* The latency benchmark's statistics are over repeated runs of one batch; each run
         * lasts until the batch's last request ends: p99 where the method gives percentiles,
         * else the mean (identical requests issued together end together). */
        double batch =
            isfinite(e->e2el_ms.p99) && e->e2el_ms.p99 > 0 ? e->e2el_ms.p99 : e->e2el_ms.mean;
        out[LP_SM_E2E_MEAN] = out[LP_SM_E2E_P50] = out[LP_SM_E2E_P99] = batch;
    }
}

/*
 * Average over the decode steps of one request (context from ISL to ISL + OSL) of the KV bytes
 * it reads, per layer kind: full layers read the whole context, sliding-window layers at most
 * the window.
 */
static double mean_kv_read_bytes(const lp_model *m, lp_dtype kv_dtype, double isl, double osl) {
    double lo = isl, hi = isl + osl, total = 0.0;
    for (int64_t l = 0; l < m->num_layers && l < LP_MAX_LAYERS; l++) {
        double per_token = lp_model_kv_bytes_per_token_layer(m, l, kv_dtype);
        double w = (double)m->sliding_window;
        double ctx;
        if (m->layer_attn[l] == LP_ATTN_SLIDING && w > 0 && w < hi) {
            /* mean of min(c, w) for c uniform in [lo, hi] */
            ctx = w <= lo ? w : ((w * w - lo * lo) / 2.0 + w * (hi - w)) / (hi - lo);
        } else {
            ctx = 0.5 * (lo + hi);
        }
        total += per_token * ctx;
    }
    return total;
}

/*
 * Output tok/s no engine can exceed on this deployment when decode streams the weights and
 * the KV cache from memory each step: B x (num_gpus x peak bandwidth) / (weights + B x KV read
 * per request), at B = the requests the KV cache holds, from the same memory plan as the
 * estimate. Requests in flight are at every stage of their decode, so on average each holds
 * ISL + OSL/2 tokens: B = KV tokens / (ISL + OSL/2) (dividing by ISL + OSL instead would
 * leave room a scheduler can use, and the limit would not be one). NaN when the plan cannot
 * be made.
 */
static double physical_limit(const row_map *rm, int num_gpus) {
    lp_serving s = rm->req.serving;
    int per_replica = s.tensor_parallel_size * s.pipeline_parallel_size;
    s.data_parallel_size = num_gpus / per_replica;
    static _Thread_local lp_mem_plan plan;
    lp_error err;
    if (lp_mem_plan_compute(&rm->model, rm->gpu, &s, &plan, &err) != LP_OK || !plan.fits ||
        plan.kv_tokens <= 0)
        return NAN;
    double replicas = plan.dp > 0 ? plan.dp : 1;
    double weights = 0.0;
    for (int i = 0; i < plan.n_ranks; i++)
        weights += plan.ranks[i].weights_bytes * plan.tp;
    weights *= replicas;
    double batch = replicas * floor((double)plan.kv_tokens / (rm->isl_mean + 0.5 * rm->osl_mean));
    if (batch < 1)
        return NAN;
    double kv_per_request =
        mean_kv_read_bytes(&rm->model, plan.kv_cache_dtype, rm->isl_mean, rm->osl_mean);
    double bandwidth = num_gpus * rm->gpu->bandwidth_gbs * 1e9;
    return batch * bandwidth / (weights + batch * kv_per_request);
}

static void estimate_row(const lp_validate_serving_opts *opts, lp_serving_row_result *row,
                         row_map *rm) {
    static _Thread_local lp_perf_estimate est;
    static const lp_method METHODS[LP_SERVING_METHODS] = {LP_HEURISTIC, LP_ROOFLINE, LP_SIMULATE};
    for (int k = 0; k < LP_SERVING_METHODS; k++) {
        for (int j = 0; j < LP_SM_COUNT; j++)
            row->metrics[k][j] = compare(rm->actual[j], NAN);
        if (!opts->methods[k])
            continue;
        lp_perf_request req = rm->req;
        req.method = METHODS[k];
        req.workload.seed = opts->seed;
        if (METHODS[k] == LP_SIMULATE) {
            if (req.workload.num_prompts > opts->sim_max_prompts) {
                note(row, "simulated %d of %d prompts", opts->sim_max_prompts,
                     req.workload.num_prompts);
                req.workload.num_prompts = opts->sim_max_prompts;
            }
            double tokens = req.workload.num_prompts * rm->osl_mean;
            if (tokens > opts->sim_max_output_tokens) {
                snprintf(row->method_error[k], LP_SERVING_NOTE_SIZE,
                         "not simulated: %.3g output tokens > limit %.3g", tokens,
                         opts->sim_max_output_tokens);
                continue;
            }
            row->sim_prompts = req.workload.num_prompts;
        }
        lp_estimate_performance(&req, &est);
        if (!est.valid) {
            snprintf(row->method_error[k], LP_SERVING_NOTE_SIZE, "%s", est.error);
            continue;
        }
        row->estimated[k] = true;
        double pred[LP_SM_COUNT];
        predictions(&est, rm->latency_test, pred);
        for (int j = 0; j < LP_SM_COUNT; j++)
            row->metrics[k][j] = compare(rm->actual[j], pred[j]);
    }
    row->physical_limit_tok_s = NAN;
    if (row->engine == LP_ENGINE_TRT && row->offline) {
        double limit = physical_limit(rm, row->num_gpus);
        row->physical_limit_tok_s = limit;
        if (!isnan(limit)) {
            for (int k = 0; k < LP_SERVING_METHODS; k++)
                row->above_limit[k] =
                    row->estimated[k] && row->metrics[k][LP_SM_OUTPUT_TOK_S].predicted > limit;
            row->actual_above_limit = rm->actual[LP_SM_OUTPUT_TOK_S] > limit;
        }
    }
}

/* ---- summaries --------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static lp_error_summary summarize(double *vals, int n) {
    lp_error_summary s = {NAN, NAN, n};
    if (n == 0)
        return s;
    qsort(vals, (size_t)n, sizeof vals[0], cmp_double);
    s.median = n % 2 ? vals[n / 2] : 0.5 * (vals[n / 2 - 1] + vals[n / 2]);
    s.max = vals[n - 1];
    return s;
}

/* The metric of a family the row states, in the family's order; -1 if none. */
static int family_metric(const lp_serving_row_result *row, int family) {
    for (int i = 0; i < 3; i++) {
        lp_serving_metric k = FAMILY_METRICS[family][i];
        if (!isnan(row->metrics[0][k].actual))
            return (int)k;
    }
    return -1;
}

static void summarize_report(lp_serving_report *r) {
    static _Thread_local double vals[LP_SERVING_MAX_ROWS];
    for (int k = 0; k < LP_SERVING_METHODS; k++) {
        for (int j = 0; j < LP_SM_COUNT; j++) {
            for (int engine = LP_ENGINE_VLLM; engine <= LP_ENGINE_TRT; engine++) {
                int n = 0;
                for (int i = 0; i < r->n_rows; i++) {
                    const lp_serving_row_result *row = &r->rows[i];
                    double e = row->metrics[k][j].error_pct;
                    if (row->usable && (int)row->engine == engine && !isnan(e))
                        vals[n++] = fabs(e);
                }
                lp_error_summary s = summarize(vals, n);
                if (engine == LP_ENGINE_VLLM)
                    r->vllm[k][j] = s;
                else
                    r->trt[k][j] = s;
            }
        }
        for (int f = 0; f < LP_SF_COUNT; f++) {
            int n = 0, stated = 0;
            for (int i = 0; i < r->n_rows; i++) {
                const lp_serving_row_result *row = &r->rows[i];
                int j = family_metric(row, f);
                if (!row->usable || row->engine != LP_ENGINE_VLLM || j < 0)
                    continue;
                stated++;
                if (!isnan(row->metrics[k][j].error_pct))
                    vals[n++] = fabs(row->metrics[k][j].error_pct);
            }
            r->vllm_family[k][f] = summarize(vals, n);
            r->vllm_family_stated[f] = stated;
        }
        int n = 0;
        r->trt_above_limit[k] = 0;
        for (int i = 0; i < r->n_rows; i++) {
            const lp_serving_row_result *row = &r->rows[i];
            if (!row->usable || row->engine != LP_ENGINE_TRT || !row->offline)
                continue;
            double e = row->metrics[k][LP_SM_OUTPUT_TOK_S].error_pct;
            if (!isnan(e))
                vals[n++] = fabs(e);
            r->trt_above_limit[k] += row->above_limit[k];
        }
        r->trt_offline_output[k] = summarize(vals, n);
    }
    r->n_usable = r->n_skipped = r->n_vllm_rows = r->n_trt_rows = 0;
    r->n_trt_offline = r->trt_actual_above_limit = 0;
    for (int i = 0; i < r->n_rows; i++) {
        const lp_serving_row_result *row = &r->rows[i];
        if (!row->usable) {
            r->n_skipped++;
            continue;
        }
        r->n_usable++;
        r->n_vllm_rows += row->engine == LP_ENGINE_VLLM;
        r->n_trt_rows += row->engine == LP_ENGINE_TRT;
        r->n_trt_offline += row->engine == LP_ENGINE_TRT && row->offline;
        r->trt_actual_above_limit += row->actual_above_limit;
    }
}

/* ---- the table --------------------------------------------------------------------------- */

static lp_status read_header(char **cols, int n, const char *path, int lineno, int colmap[C_COUNT],
                             lp_error *err) {
    lp_tsv_map_header(cols, n, SETTING_COLUMNS, C_FIRST_METRIC, colmap);
    lp_tsv_map_header(cols, n, METRIC_NAMES, LP_SM_COUNT, colmap + C_FIRST_METRIC);
    for (int k = 0; k < C_FIRST_METRIC; k++)
        if (colmap[k] < 0 && REQUIRED[k])
            return lp_error_set(err, LP_ERR_PARSE,
                                "%s:%d: missing column \"%s\"; expected a serving_perf.tsv header",
                                path, lineno, SETTING_COLUMNS[k]);
    for (int k = C_FIRST_METRIC; k < C_COUNT; k++)
        if (colmap[k] >= 0)
            return LP_OK;
    return lp_error_set(err, LP_ERR_PARSE,
                        "%s:%d: no metric column (output_tok_s, ttft_p50_ms, ...) in the header",
                        path, lineno);
}

lp_status lp_validate_serving(const char *tsv_path, const lp_validate_serving_opts *opts,
                              lp_serving_report *report, lp_error *err) {
    lp_validate_serving_opts defaults;
    if (!opts) {
        lp_validate_serving_opts_init(&defaults);
        opts = &defaults;
    }
    memset(report, 0, sizeof *report);
    FILE *f = fopen(tsv_path, "r");
    if (!f)
        return lp_error_set(err, LP_ERR_IO, "%s: cannot open", tsv_path);
    row_map *rm = malloc(sizeof *rm);
    if (!rm) {
        fclose(f);
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory reading %s", tsv_path);
    }
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0;
    int colmap[C_COUNT];
    bool have_header = false;
    lp_status st = LP_OK;
    char *cols[MAX_COLS];
    int n;
    while ((n = lp_tsv_next(f, &line, &cap, &lineno, cols, MAX_COLS)) > 0) {
        if (!have_header) {
            if ((st = read_header(cols, n, tsv_path, lineno, colmap, err)) != LP_OK)
                goto out;
            have_header = true;
            continue;
        }
        if (report->n_rows >= LP_SERVING_MAX_ROWS) {
            report->truncated = true;
            break;
        }
        char *c[C_COUNT];
        lp_tsv_pick(cols, n, colmap, C_COUNT, c);
        lp_serving_row_result *row = &report->rows[report->n_rows++];
        row->line = lineno;
        row->physical_limit_tok_s = NAN;
        memset(rm, 0, sizeof *rm);
        if (map_row(c, row, rm))
            estimate_row(opts, row, rm);
        else
            for (int k = 0; k < LP_SERVING_METHODS; k++)
                for (int j = 0; j < LP_SM_COUNT; j++)
                    row->metrics[k][j] = compare(NAN, NAN);
    }
    if (!have_header) {
        st = lp_error_set(err, LP_ERR_PARSE, "%s: no header row", tsv_path);
        goto out;
    }
    summarize_report(report);
out:
    free(rm);
    free(line);
    fclose(f);
    return st;
}

/* ---- the mapped rows, for calibration ------------------------------------------------------ */

lp_status lp_serving_points_read(const char *tsv_path, lp_serving_point **points, int *n,
                                 lp_error *err) {
    *points = NULL;
    *n = 0;
    FILE *f = fopen(tsv_path, "r");
    if (!f)
        return lp_error_set(err, LP_ERR_IO, "%s: cannot open", tsv_path);
    row_map *rm = malloc(sizeof *rm);
    lp_serving_row_result *row = malloc(sizeof *row);
    lp_serving_point *pts = NULL;
    int count = 0, cap = 0;
    char *line = NULL;
    size_t linecap = 0;
    int lineno = 0;
    int colmap[C_COUNT];
    bool have_header = false;
    lp_status st = LP_OK;
    if (!rm || !row) {
        st = lp_error_set(err, LP_ERR_NOMEM, "out of memory reading %s", tsv_path);
        goto out;
    }
    char *cols[MAX_COLS];
    int nc;
    while ((nc = lp_tsv_next(f, &line, &linecap, &lineno, cols, MAX_COLS)) > 0) {
        if (!have_header) {
            if ((st = read_header(cols, nc, tsv_path, lineno, colmap, err)) != LP_OK)
                goto out;
            have_header = true;
            continue;
        }
        char *c[C_COUNT];
        lp_tsv_pick(cols, nc, colmap, C_COUNT, c);
        memset(rm, 0, sizeof *rm);
        memset(row, 0, sizeof *row);
        row->line = lineno;
        if (!map_row(c, row, rm))
            continue;
        if (count == cap) {
            int ncap = cap ? 2 * cap : 64;
            lp_serving_point *np = realloc(pts, (size_t)ncap * sizeof *np);
            if (!np) {
                st = lp_error_set(err, LP_ERR_NOMEM, "out of memory reading %s", tsv_path);
                goto out;
            }
            pts = np;
            cap = ncap;
        }
        lp_serving_point *p = &pts[count++];
        memset(p, 0, sizeof *p);
        p->line = lineno;
        p->engine = row->engine;
        p->holdout = row->holdout;
        p->offline = row->offline;
        p->latency_test = rm->latency_test;
        snprintf(p->model_id, sizeof p->model_id, "%s", row->model_id);
        snprintf(p->gpu, sizeof p->gpu, "%s", row->gpu);
        snprintf(p->workload, sizeof p->workload, "%s", row->workload);
        p->model = rm->model;
        p->req = rm->req;
        p->req.method = LP_ROOFLINE;
        memcpy(p->actual, rm->actual, sizeof p->actual);
    }
    if (!have_header)
        st = lp_error_set(err, LP_ERR_PARSE, "%s: no header row", tsv_path);
out:
    if (st == LP_OK) {
        for (int i = 0; i < count; i++)
            pts[i].req.model = &pts[i].model; /* the array is final: point into it */
        *points = pts;
        *n = count;
    } else {
        free(pts);
    }
    free(rm);
    free(row);
    free(line);
    fclose(f);
    return st;
}

void lp_serving_points_free(lp_serving_point *points) {
    free(points);
}
