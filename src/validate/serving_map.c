/*
 * serving_map.c - one row of a published serving measurement -> the llmplan request that
 * reproduces it.
 *
 * Rows of ../shared/validation/serving_perf.tsv, serving_perf_2.tsv and serving_modes.tsv are
 * read by column name: the model text through a small alias table (below) or lp_model_load,
 * the GPU through lp_gpu_find (remarks in parentheses, form-factor words and, last, a memory
 * size that matches no part are dropped, each time with a note), TP/PP/GPU count, precision
 * and KV dtype, lengths (fixed, "~N" with a stated spread, "A-B", or ShareGPT), request rate,
 * client concurrency, prompt count, and the engine flags the notes state in words
 * (--max-model-len, --gpu-memory-utilization, --max-num-seqs, --max-num-batched-tokens,
 * --enforce-eager, --num-scheduler-steps, --dtype). What a row's text cannot be mapped to is
 * never guessed: the row is kept with usable=false and the reason. Every default taken is
 * written into the row's notes.
 *
 * Rows of a serving mode llmplan does not model yet (disaggregated prefill/decode, prefix
 * caching, speculative decoding, LoRA) are skipped in map_mode, the one place a mode model
 * hooks in; their `baseline` rows are ordinary serving runs and are mapped like any other.
 *
 * It reads measured values only to know which metrics a row states, never as inputs.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "validate/serving_internal.h"
#include "validate/tsv.h"

/* ShareGPT's mean lengths are workload.h's LP_SHAREGPT_MEAN_INPUT / _OUTPUT. */
/* vllm benchmarks' sample_sharegpt_requests drops prompts or outputs under 4 tokens, prompts
 * over 1024 and pairs over 2048 tokens: [4, 1024] for each side. */
#define LP_SHAREGPT_MIN_LEN 4.0
#define LP_SHAREGPT_MAX_LEN 1024.0
/* `vllm bench serve` --num-prompts default, used for offline rows that do not state it. */
#define LP_DEFAULT_NUM_PROMPTS 1000
/* "+/-15%" in a dataset description is a uniform spread of that many percent. */
#define LP_PERCENT 100.0
/*
 * A throughput the source does not say is total or output tok/s is compared when the two
 * readings differ by at most this factor (total / output = (ISL + OSL) / OSL), against their
 * geometric mean, so that the reading adds at most half that spread to the error.
 */
#define LP_EITHER_TPUT_MAX_RATIO 1.1

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

/*
 * Checkpoints the catalog lacks that are another catalog model's architecture (performance
 * depends on the architecture and the weight format, not on the trained values). Tried only
 * when the catalog does not know the name itself, and said in the row's notes.
 */
static const struct {
    const char *name, *id, *why;
} SAME_ARCHITECTURE[] = {
    {"nvidia/AceMath-7B-Instruct", "Qwen/Qwen2.5-7B-Instruct",
     "fine-tuned from Qwen2.5-Math-7B, the Qwen2.5-7B architecture"},
    {"deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "meta-llama/Llama-3.1-8B-Instruct",
     "distilled into Llama-3.1-8B"},
    {"deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "Qwen/Qwen2.5-7B-Instruct",
     "distilled into Qwen2.5-Math-7B, the Qwen2.5-7B architecture"},
    {"Qwen/QwQ-32B-Preview", "Qwen/Qwen2.5-32B", "the Qwen2.5-32B architecture"},
    {"neuralmagic/Llama-3.1-Nemotron-70B-Instruct-HF-FP8-dynamic",
     "RedHatAI/Llama-3.3-70B-Instruct-FP8-dynamic",
     "Llama-3.1-70B architecture in FP8-dynamic, as the Llama-3.3-70B one"},
    {"amd/Llama-3.1-70B-Instruct-FP8-KV", "meta-llama/Llama-3.1-70B-Instruct",
     "Llama-3.1-70B quantized to FP8 (Quark); the precision column gives the FP8"},
    {"amd/Llama-3.1-405B-Instruct-FP8-KV", "meta-llama/Llama-3.1-405B",
     "Llama-3.1-405B quantized to FP8 (Quark); the precision column gives the FP8"},
    {"neuralmagic/Meta-Llama-3-8B-Instruct-FP8", "meta-llama/Meta-Llama-3-8B",
     "Llama-3-8B quantized to FP8; the precision column gives the FP8"},
};

static const bool REQUIRED[LP_SC_FIRST_METRIC] = {
    [LP_SC_ENGINE] = true, [LP_SC_MODEL] = true, [LP_SC_GPU] = true,          [LP_SC_TP] = true,
    [LP_SC_ISL] = true,    [LP_SC_OSL] = true,   [LP_SC_REQUEST_RATE] = true,
};

static const char *const SETTING_COLUMNS[LP_SC_FIRST_METRIC] = {
    [LP_SC_SOURCE] = "source",
    [LP_SC_ENGINE] = "engine",
    [LP_SC_ENGINE_VERSION] = "engine_version",
    [LP_SC_MODEL] = "model",
    [LP_SC_PRECISION] = "precision",
    [LP_SC_GPU] = "gpu",
    [LP_SC_GPU_COUNT] = "gpu_count",
    [LP_SC_TP] = "tp",
    [LP_SC_PP] = "pp",
    [LP_SC_DP] = "dp",
    [LP_SC_DATASET] = "dataset",
    [LP_SC_ISL] = "isl",
    [LP_SC_OSL] = "osl",
    [LP_SC_NUM_PROMPTS] = "num_prompts",
    [LP_SC_CONCURRENCY] = "concurrency",
    [LP_SC_REQUEST_RATE] = "request_rate",
    [LP_SC_MAX_BATCH] = "max_batch",
    [LP_SC_NOTES] = "notes",
    [LP_SC_MODE] = "mode",
    [LP_SC_MODE_SETTINGS] = "mode_settings",
    [LP_SC_INPUT_TOK_S] = "input_tok_s",
    [LP_SC_TTFT_UNSTATED] = "ttft_unstated_stat_ms",
    [LP_SC_ITL_UNSTATED] = "itl_unstated_stat_ms",
    [LP_SC_THROUGHPUT_UNSPECIFIED] = "throughput_unspecified_tok_s",
};

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

/* Lower-case key without spaces, '-' and '_' (for the alias tables). */
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

/* The number after the first of keys found in text (a flag spelled several ways), or NaN. */
static double flag_number(const char *text, const char *const *keys) {
    for (; *keys; keys++) {
        double v = number_after(text, *keys);
        if (!isnan(v))
            return v;
    }
    return NAN;
}

void lp_serving_note(lp_serving_row_result *row, const char *fmt, ...) {
    if (row->n_notes >= LP_SERVING_MAX_NOTES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(row->notes[row->n_notes++], LP_SERVING_NOTE_SIZE, fmt, ap);
    va_end(ap);
}

#define note lp_serving_note

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

/* ---- the header -------------------------------------------------------------------------- */

lp_status lp_serving_read_header(char **cols, int n, const char *path, int lineno, int *colmap,
                                 lp_error *err) {
    static const char *const METRIC_COLUMNS[LP_SM_COUNT] = {
        "output_tok_s", "total_tok_s",  "request_s",   "ttft_mean_ms", "ttft_p50_ms",
        "ttft_p99_ms",  "tpot_mean_ms", "tpot_p50_ms", "tpot_p99_ms",  "itl_mean_ms",
        "itl_p50_ms",   "itl_p99_ms",   "e2e_mean_ms", "e2e_p50_ms",   "e2e_p99_ms",
    };
    lp_tsv_map_header(cols, n, SETTING_COLUMNS, LP_SC_FIRST_METRIC, colmap);
    lp_tsv_map_header(cols, n, METRIC_COLUMNS, LP_SM_COUNT, colmap + LP_SC_FIRST_METRIC);
    for (int k = 0; k < LP_SC_FIRST_METRIC; k++)
        if (colmap[k] < 0 && REQUIRED[k])
            return lp_error_set(err, LP_ERR_PARSE,
                                "%s:%d: missing column \"%s\"; expected a serving_perf.tsv header",
                                path, lineno, SETTING_COLUMNS[k]);
    for (int k = LP_SC_FIRST_METRIC; k < LP_SC_COUNT; k++)
        if (colmap[k] >= 0)
            return LP_OK;
    return lp_error_set(err, LP_ERR_PARSE,
                        "%s:%d: no metric column (output_tok_s, ttft_p50_ms, ...) in the header",
                        path, lineno);
}

lp_status lp_serving_table_open(lp_serving_table *t, const char *path, lp_error *err) {
    memset(t, 0, sizeof *t);
    t->path = path;
    t->f = fopen(path, "r");
    return t->f ? LP_OK : lp_error_set(err, LP_ERR_IO, "%s: cannot open", path);
}

lp_status lp_serving_table_next(lp_serving_table *t, char **c, bool *got, lp_error *err) {
    *got = false;
    int n;
    while ((n = lp_tsv_next(t->f, &t->line, &t->cap, &t->lineno, t->cols,
                            LP_SERVING_TABLE_MAX_COLS)) > 0) {
        if (t->have_header) {
            lp_tsv_pick(t->cols, n, t->colmap, LP_SC_COUNT, c);
            *got = true;
            return LP_OK;
        }
        lp_status st = lp_serving_read_header(t->cols, n, t->path, t->lineno, t->colmap, err);
        if (st != LP_OK)
            return st;
        t->have_header = true;
    }
    return t->have_header ? LP_OK : lp_error_set(err, LP_ERR_PARSE, "%s: no header row", t->path);
}

void lp_serving_table_close(lp_serving_table *t) {
    free(t->line);
    if (t->f)
        fclose(t->f);
    t->line = NULL;
    t->f = NULL;
}

/* ---- mapping a row ----------------------------------------------------------------------- */

static lp_status load_alias(const char *spec, lp_model *m) {
    char key[192], alias_key[192];
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
    return lp_model_load(id, NULL, m, &err);
}

static lp_status map_model(const char *text, lp_serving_row_result *row, lp_model *m) {
    char spec[192];
    strip_remarks(text, spec, sizeof spec);
    lp_status st = load_alias(spec, m);
    for (size_t i = 0; st != LP_OK && i < sizeof SAME_ARCHITECTURE / sizeof SAME_ARCHITECTURE[0];
         i++) {
        if (strcasecmp(spec, SAME_ARCHITECTURE[i].name) != 0)
            continue;
        lp_error err;
        st = lp_model_load(SAME_ARCHITECTURE[i].id, NULL, m, &err);
        if (st == LP_OK)
            note(row, "model not in the catalog: %s's architecture (%s)", SAME_ARCHITECTURE[i].id,
                 SAME_ARCHITECTURE[i].why);
    }
    if (st != LP_OK) {
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
    if (err.code == LP_ERR_AMBIGUOUS)
        /* A100 40GB vs 80GB changes the KV room several-fold: never guessed */
        skip(row,
             "GPU \"%s\" is ambiguous: the row states neither the memory size nor the form "
             "factor, and llmplan does not guess one",
             text);
    else
        skip(row, "GPU \"%s\" not found (%s)", text, lp_strerror(err.code));
    return err.code;
found:
    snprintf(row->gpu, sizeof row->gpu, "%s", (*gpu)->name);
    snprintf(row->family, sizeof row->family, "%s", lp_efficiency_for(*gpu)->family);
    return LP_OK;
}

/* Whether the checkpoint's own quantization is the one the precision text names. */
static bool checkpoint_is(const lp_model *m, const char *p) {
    switch (m->quant.method) {
    case LP_QUANT_GPTQ:
        return strstr(p, "gptq") != NULL;
    case LP_QUANT_AWQ:
        return strstr(p, "awq") != NULL;
    case LP_QUANT_INT8:
        return strstr(p, "int8") || strstr(p, "w8a8");
    case LP_QUANT_INT4_W4A16:
        return strstr(p, "int4") || strstr(p, "w4a16");
    default:
        return false;
    }
}

/* Precision text -> serving flags. The checkpoint's own quantization is kept when it has one. */
static bool map_precision(const char *text, const lp_model *m, lp_serving_row_result *row,
                          lp_serving *s) {
    char p[160];
    lower_copy(text, p, sizeof p);
    if (blank(p)) {
        note(row, "precision not stated: the checkpoint's own");
        return true;
    }
    if (strstr(p, "not recorded")) {
        /* float16 and bfloat16 run at the same speed; only vLLM's refusals differ (gemma2
         * refuses float16), and the run did start */
        note(row, "precision \"%s\": the checkpoint's own dtype", text);
        return true;
    }
    bool kv_fp8 = strstr(p, "kv cache fp8") || strstr(p, "fp8 kv");
    if (strncmp(p, "fp8", 3) == 0) {
        if (m->quant.method == LP_QUANT_NONE)
            s->quantization = "fp8";
        else if (m->quant.method != LP_QUANT_FP8)
            note(row, "precision says fp8; the checkpoint's own quantization is kept");
        if (strstr(p, "kv dtype") && !kv_fp8)
            note(row, "KV dtype not stated: the checkpoint's default");
    } else if (strncmp(p, "fp16", 4) == 0 || strncmp(p, "float16", 7) == 0) {
        s->dtype = LP_DTYPE_FP16;
    } else if (strncmp(p, "bf16", 4) == 0 || strncmp(p, "bfloat16", 8) == 0) {
        s->dtype = LP_DTYPE_AUTO;
    } else if (strncmp(p, "mxfp4", 5) == 0) {
        if (m->quant.method != LP_QUANT_MXFP4) {
            skip(row, "precision \"%s\" does not match the checkpoint", text);
            return false;
        }
    } else if (strstr(p, "gptq") || strstr(p, "awq") || strstr(p, "int4") || strstr(p, "int8") ||
               strstr(p, "w8a8") || strstr(p, "w4a16")) {
        if (!checkpoint_is(m, p)) {
            skip(row, "precision \"%s\": the catalog model is not that checkpoint", text);
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

/* One length column: "128", "ShareGPT", "~20000" (spread from "+/-N%" in the dataset text),
 * "256-512" (uniform between the two). */
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
    char *end;
    double v = strtod(approx ? text + 1 : text, &end);
    if (!(v >= 1.0))
        return false;
    if (*end == '-' && isdigit((unsigned char)end[1])) {
        double hi = strtod(end + 1, NULL);
        if (!(hi >= v))
            return false;
        memset(out, 0, sizeof *out);
        out->kind = LP_LEN_UNIFORM;
        out->lo = v;
        out->hi = hi;
        *max = hi;
        note(row, "length \"%s\": uniform between the two", text);
        return true;
    }
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

static bool map_workload(char **c, lp_serving_row_result *row, lp_serving_row_map *rm) {
    lp_perf_request *r = &rm->req;
    const char *dataset = c[LP_SC_DATASET];
    if (!map_length(c[LP_SC_ISL], dataset, LP_SHAREGPT_MEAN_INPUT, row, &r->workload.input,
                    &rm->isl_max) ||
        !map_length(c[LP_SC_OSL], dataset, LP_SHAREGPT_MEAN_OUTPUT, row, &r->workload.output,
                    &rm->osl_max)) {
        skip(row, "input/output lengths not stated as numbers (\"%s\" / \"%s\")", c[LP_SC_ISL],
             c[LP_SC_OSL]);
        return false;
    }
    rm->isl_mean = lp_len_mean(&r->workload.input);
    rm->osl_mean = lp_len_mean(&r->workload.output);

    char rate[64], batch_text[64];
    lower_copy(c[LP_SC_REQUEST_RATE], rate, sizeof rate);
    lower_copy(c[LP_SC_MAX_BATCH], batch_text, sizeof batch_text);
    double concurrency = lp_tsv_number(c[LP_SC_CONCURRENCY]);
    double batch = lp_tsv_number(c[LP_SC_MAX_BATCH]);
    double prompts = lp_tsv_number(c[LP_SC_NUM_PROMPTS]);
    if (batch > 0 && strstr(batch_text, "max num seqs")) {
        /* an offline throughput run's engine limit, not a fixed latency batch */
        r->serving.max_num_seqs = (int)batch;
        batch = NAN;
    }
    if (strncmp(rate, "inf", 3) == 0 || strncmp(rate, "offline", 7) == 0) {
        r->workload.request_rate = 0.0;
        row->offline = true;
    } else if (lp_tsv_number(rate) > 0) {
        r->workload.request_rate = lp_tsv_number(rate);
    } else if (!(concurrency > 0) && !(batch > 0)) {
        skip(row, "neither request rate, concurrency nor batch stated");
        return false;
    } else if (blank(rate)) {
        note(row, "request rate not stated: infinite (the client's concurrency limits the load)");
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
    if (r->workload.input.kind == LP_LEN_SHAREGPT && r->workload.output.kind == LP_LEN_SHAREGPT) {
        r->workload.dataset = LP_DATASET_SHAREGPT;
        snprintf(row->workload, sizeof row->workload, "ShareGPT %s", load);
    } else {
        snprintf(row->workload, sizeof row->workload, "%s/%s %s", in, out, load);
    }
    return true;
}

/* The engine release as the tables group it: "vLLM 0.6", "vLLM unstated", "TRT-LLM 0.17". */
static void version_label(const char *cell, lp_serving_engine engine, lp_vllm_version v, char *out,
                          size_t size) {
    if (engine == LP_ENGINE_VLLM) {
        if (v > 0)
            snprintf(out, size, "vLLM %d.%d", v / 10000, v / 100 % 100);
        else
            snprintf(out, size, "vLLM unstated");
        return;
    }
    char first[16];
    snprintf(first, sizeof first, "%s", cell);
    first[strcspn(first, " ")] = '\0';
    snprintf(out, size, "TRT-LLM %s", first[0] ? first : "unstated");
}

/* Serving flags from the engine version and the notes (engine flags stated in words). */
static void map_serving(char **c, lp_serving_row_result *row, lp_serving_row_map *rm) {
    static const char *const MML[] = {"max_model_len", "max-model-len", NULL};
    static const char *const GMU[] = {"gpu_memory_utilization", "gpu-memory-utilization", NULL};
    static const char *const SEQS[] = {"max_num_seqs", "max-num-seqs", NULL};
    static const char *const TOKENS[] = {"max_num_batched_tokens", "max-num-batched-tokens",
                                         "max-num-batched-token", NULL};
    lp_serving *s = &rm->req.serving;
    s->tensor_parallel_size = row->tp;
    s->pipeline_parallel_size = row->pp;
    char flags[1024];
    snprintf(flags, sizeof flags, "%s %s", c[LP_SC_NOTES], c[LP_SC_MODE_SETTINGS]);
    s->vllm_version = 0;
    if (row->engine == LP_ENGINE_VLLM) {
        char version[32];
        snprintf(version, sizeof version, "%s", c[LP_SC_ENGINE_VERSION]);
        version[strcspn(version, " ")] = '\0';
        lp_error err;
        if (lp_vllm_version_parse(version, &s->vllm_version, &err) != LP_OK) {
            s->vllm_version = 0;
            note(row, "vLLM version not stated: the latest behaviour");
        }
    }
    version_label(c[LP_SC_ENGINE_VERSION], row->engine, s->vllm_version, row->version,
                  sizeof row->version);
    double steps = number_after(flags, "num-scheduler-steps");
    if (steps > 1)
        s->num_scheduler_steps = (int)steps;
    double mml = flag_number(flags, MML);
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
    double fraction = number_after(flags, "kv_cache_free_gpu_mem_fraction");
    double gmu = flag_number(flags, GMU);
    if (fraction > 0 && fraction <= 1) {
        s->gpu_memory_utilization = fraction;
        note(row, "gpu-memory-utilization %.2f (kv_cache_free_gpu_mem_fraction)", fraction);
    } else if (gmu > 0 && gmu <= 1) {
        s->gpu_memory_utilization = gmu;
    }
    double seqs = flag_number(flags, SEQS);
    if (seqs >= 1 && s->max_num_seqs == 0)
        s->max_num_seqs = (int)seqs;
    double tokens = flag_number(flags, TOKENS);
    if (tokens >= 1)
        s->max_num_batched_tokens = (int)tokens;
    if (strstr(flags, "--enforce-eager") || strstr(flags, "enforce_eager=True"))
        s->enforce_eager = true;
    if (strstr(flags, "--enable-chunked-prefill"))
        note(row, "--enable-chunked-prefill: the release's own chunked-prefill behaviour is "
                  "modelled");
    char precision[64];
    lower_copy(c[LP_SC_PRECISION], precision, sizeof precision);
    if (blank(precision) && strstr(flags, "--dtype float16"))
        s->dtype = LP_DTYPE_FP16;
}

/*
 * The context length the run must have had. A stated --max-model-len above the config's
 * maximum, or a workload longer than it, was accepted by the server that produced the row
 * (VLLM_ALLOW_LONG_MAX_MODEL_LEN=1, which QwenLM's speed_benchmark_vllm.py sets, or rope
 * scaling added to config.json): the model's maximum is raised to it. An unstated one whose
 * default does not fit in memory cannot have been the one used (the run completed), so the
 * largest that fits is taken, as vLLM's own error message suggests.
 */
static void fit_context(lp_serving_row_result *row, lp_serving_row_map *rm, bool stated) {
    lp_serving *s = &rm->req.serving;
    lp_model *m = &rm->model;
    int64_t need = (int64_t)ceil(rm->isl_max + rm->osl_max);
    stated = stated || s->max_model_len > 0;
    if (s->max_model_len > m->derived_max_model_len && m->derived_max_model_len > 0) {
        note(row, "max-model-len %lld above the config's %lld: allowed, as the run did",
             (long long)s->max_model_len, (long long)m->derived_max_model_len);
        m->derived_max_model_len = s->max_model_len;
    } else if (!stated && need > m->derived_max_model_len && m->derived_max_model_len > 0) {
        note(row,
             "max-model-len not stated: %lld (the row's longest request; above the "
             "config's %lld, as the run must have been)",
             (long long)need, (long long)m->derived_max_model_len);
        s->max_model_len = m->derived_max_model_len = need;
        return;
    }
    if (stated)
        return;
    lp_serving probe = *s;
    int per_replica = probe.tensor_parallel_size * probe.pipeline_parallel_size;
    probe.data_parallel_size = per_replica > 0 ? rm->req.cluster.num_gpus / per_replica : 1;
    static _Thread_local lp_mem_plan plan;
    lp_error err;
    if (lp_mem_plan_compute(m, rm->gpu, &probe, &plan, &err) != LP_OK || plan.fits ||
        plan.max_model_len_fit < need)
        return;
    s->max_model_len = plan.max_model_len_fit;
    note(row,
         "max-model-len not stated; the default %lld does not fit and the run completed: "
         "%lld (the largest that fits)",
         (long long)plan.max_model_len, (long long)plan.max_model_len_fit);
}

/* The metrics the row states and that can be compared; false when none is left. */
static bool map_metrics(char **c, lp_serving_row_result *row, lp_serving_row_map *rm) {
    const char *notes = c[LP_SC_NOTES];
    for (int k = 0; k < LP_SM_COUNT; k++) {
        rm->actual[k] = lp_tsv_number(c[LP_SC_FIRST_METRIC + k]);
        if (!(rm->actual[k] > 0))
            rm->actual[k] = NAN;
    }
    double steps = number_after(notes, "num-scheduler-steps");
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
    double unspecified = lp_tsv_number(c[LP_SC_THROUGHPUT_UNSPECIFIED]), either_ratio = 0;
    if (unspecified > 0 && isnan(rm->actual[LP_SM_OUTPUT_TOK_S])) {
        lp_perf_request *r = &rm->req;
        double ratio = (rm->isl_mean + rm->osl_mean) / rm->osl_mean;
        if (r->workload.num_prompts == 1 && rm->latency_test) {
            /* QwenLM/Qwen2.5 examples/speed-benchmark/speed_benchmark_vllm.py (run_infer,
             * collect_statistics): speed = output tokens / wall time of one llm.generate
             * call, prefill included: one request's output tokens / its E2E */
            rm->actual[LP_SM_OUTPUT_TOK_S] = unspecified;
            rm->single_request = true;
            note(row, "speed read as one request's output tokens / E2E (Qwen's speed script)");
        } else if (ratio <= LP_EITHER_TPUT_MAX_RATIO) {
            rm->actual[LP_SM_OUTPUT_TOK_S] = unspecified;
            rm->tput_either = true;
            note(row,
                 "throughput kind not stated: compared with the geometric mean of total and "
                 "output tok/s (they differ by %.0f %%)",
                 100.0 * (ratio - 1.0));
        } else {
            either_ratio = ratio;
        }
    }
    int stated = 0;
    for (int k = 0; k < LP_SM_COUNT; k++)
        stated += !isnan(rm->actual[k]);
    if (lp_tsv_number(c[LP_SC_INPUT_TOK_S]) > 0)
        note(row, "input_tok_s not compared");
    if (stated == 0 && either_ratio > 0) {
        skip(row,
             "throughput kind not stated (total or output tok/s), and the two differ by %.0f "
             "%% here",
             100.0 * (either_ratio - 1.0));
        return false;
    }
    if (stated == 0) {
        bool unstated = lp_tsv_number(c[LP_SC_TTFT_UNSTATED]) > 0 ||
                        lp_tsv_number(c[LP_SC_ITL_UNSTATED]) > 0 || unspecified > 0;
        skip(row, "%s",
             unstated ? "metric not comparable (statistic or kind not stated)"
                      : "no comparable metric stated");
        return false;
    }
    return true;
}

/*
 * Serving modes: the hook where a mode model plugs in. Until llmplan models a mode, its rows
 * are skipped with this reason; `baseline` rows (and tables without a mode column) go on.
 */
static bool map_mode(char **c, lp_serving_row_result *row) {
    char mode[sizeof row->mode];
    lower_copy(c[LP_SC_MODE], mode, sizeof mode);
    snprintf(row->mode, sizeof row->mode, "%s", mode);
    if (blank(mode) || strcmp(mode, "baseline") == 0)
        return true;
    skip(row, "mode not modelled yet (%s)", mode);
    return false;
}

static bool map_engine(const char *text, lp_serving_row_result *row) {
    if (strncasecmp(text, "vllm", 4) == 0)
        row->engine = LP_ENGINE_VLLM;
    else if (strncasecmp(text, "tensorrt-llm", 12) == 0)
        row->engine = LP_ENGINE_TRT;
    else {
        row->engine = LP_ENGINE_OTHER;
        skip(row, "engine \"%s\" is neither vLLM nor TensorRT-LLM", text);
        return false;
    }
    return true;
}

bool lp_serving_map_row(char **c, lp_serving_row_result *row, lp_serving_row_map *rm) {
    snprintf(row->model, sizeof row->model, "%s", c[LP_SC_MODEL]);
    snprintf(row->gpu, sizeof row->gpu, "%s", c[LP_SC_GPU]);
    row->holdout = lp_validate_is_holdout(c[LP_SC_SOURCE], c[LP_SC_MODEL], c[LP_SC_GPU],
                                          c[LP_SC_TP], c[LP_SC_ENGINE_VERSION]);
    row->group = lp_validate_split_key(c[LP_SC_SOURCE], c[LP_SC_MODEL], c[LP_SC_GPU], c[LP_SC_TP],
                                       c[LP_SC_ENGINE_VERSION], NULL, 0);
    snprintf(row->source, sizeof row->source, "%s", c[LP_SC_SOURCE]);
    row->source[strcspn(row->source, " \t")] = '\0';
    row->usable = true;
    if (!map_engine(c[LP_SC_ENGINE], row) || !map_mode(c, row))
        return false;
    if (blank(c[LP_SC_GPU]) || strncasecmp(c[LP_SC_GPU], "not stated", 10) == 0) {
        skip(row, "GPU not stated");
        return false;
    }
    double tp = lp_tsv_number(c[LP_SC_TP]), pp = lp_tsv_number(c[LP_SC_PP]);
    double count = lp_tsv_number(c[LP_SC_GPU_COUNT]);
    if (!(tp >= 1) && count == 1) {
        tp = 1; /* one GPU: no other tensor-parallel size is possible */
        note(row, "TP not stated: 1 (one GPU)");
    }
    if (!(tp >= 1)) {
        skip(row, "TP/GPU count not stated");
        return false;
    }
    row->tp = (int)tp;
    row->pp = pp >= 1 ? (int)pp : 1;
    if (count >= 1) {
        row->num_gpus = (int)count;
    } else {
        double dp = lp_tsv_number(c[LP_SC_DP]);
        row->num_gpus = row->tp * row->pp * (dp >= 1 ? (int)dp : 1);
        note(row, "GPU count not stated: TP x PP x DP = %d", row->num_gpus);
    }
    if (map_model(c[LP_SC_MODEL], row, &rm->model) != LP_OK)
        return false;
    if (map_gpu(c[LP_SC_GPU], row, &rm->gpu) != LP_OK)
        return false;

    lp_perf_request_init(&rm->req);
    rm->req.model = &rm->model;
    rm->req.cluster.gpu = rm->gpu;
    rm->req.cluster.num_gpus = row->num_gpus;
    if (!map_precision(c[LP_SC_PRECISION], &rm->model, row, &rm->req.serving))
        return false;
    if (!map_workload(c, row, rm))
        return false;
    bool mml_stated = rm->req.serving.max_model_len > 0;
    map_serving(c, row, rm);
    fit_context(row, rm, mml_stated);
    row->regime = lp_perf_regime(&rm->req.workload);
    return map_metrics(c, row, rm);
}
