/*
 * catalog.c - the embedded model catalog: Hugging Face ids mapped to their config.json.
 *
 * data/models/ holds one Hugging Face config.json per model (ORG--NAME.json) and index.tsv
 * (id, published parameter count, source); CMake compiles them in. The index is read once, on
 * first use, under pthread_once; afterwards the entry table is immutable and shared by all
 * threads for the life of the process (never freed: reachable from a static, not a leak).
 * Configs stay as embedded text and are parsed only when a model is loaded, through exactly
 * the same lp_model_from_config_json path as a file.
 *
 * Lookup is forgiving in the ways users are sloppy: case-insensitive ids, the "org/" part
 * optional when the name is unique, and variant suffixes (-Instruct, -it, -FP8, -AWQ, ...)
 * resolved to the base architecture they share. It deliberately does not guess beyond
 * that: an unknown id is an error that lists the closest ids by edit distance.
 */
#include "llmplan/model.h"

#include "model/catalog_data.h"

#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Ids longer than this are not ids; lookups and edit distances stop here. */
#define CATALOG_MAX_ID 256
/* How many suggestions the not-found error lists. */
#define CATALOG_SUGGESTIONS 3
/* Extra distance of a suggestion that matches only a prefix of what was asked. */
#define CATALOG_PREFIX_PENALTY 2
/* How many variant suffixes may be stripped from one id ("-Instruct-FP8-dynamic" is 2). */
#define CATALOG_MAX_STRIPS 4

static lp_catalog_entry *g_entries;
static size_t g_count;
/* Why the embedded JSON could not be read (a build defect, reported by lp_catalog_load). */
static char g_init_error[256];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static char *dup_range(const char *s, size_t n) {
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* The embedded config.json of an id: the file ORG--NAME.json of data/models/. */
static const lp_catalog_file *find_file(const char *id, size_t id_len) {
    char stem[CATALOG_MAX_ID + 8];
    size_t j = 0;
    for (size_t i = 0; i < id_len && j + 2 < sizeof stem; i++) {
        if (id[i] == '/') {
            stem[j++] = '-';
            stem[j++] = '-';
        } else {
            stem[j++] = id[i];
        }
    }
    stem[j] = '\0';
    for (size_t k = 0; k < lp_data_catalog_files_count; k++)
        if (strcmp(lp_data_catalog_files[k].stem, stem) == 0)
            return &lp_data_catalog_files[k];
    return NULL;
}

/* One row of data/models/index.tsv: id TAB published_params TAB source. */
static bool fill_entry(const char *line, size_t len, size_t lineno, lp_catalog_entry *e) {
    const char *tab1 = memchr(line, '\t', len);
    const char *tab2 = tab1 ? memchr(tab1 + 1, '\t', len - (size_t)(tab1 + 1 - line)) : NULL;
    if (!tab1 || !tab2 || tab1 == line || (size_t)(tab1 - line) > CATALOG_MAX_ID) {
        snprintf(g_init_error, sizeof g_init_error,
                 "data/models/index.tsv:%zu: expected id, published_params and source", lineno);
        return false;
    }
    char *end;
    long long published = strtoll(tab1 + 1, &end, 10);
    if (end != tab2 || published < 0) {
        snprintf(g_init_error, sizeof g_init_error,
                 "data/models/index.tsv:%zu: published_params: expected a count", lineno);
        return false;
    }
    const lp_catalog_file *file = find_file(line, (size_t)(tab1 - line));
    if (!file) {
        snprintf(g_init_error, sizeof g_init_error,
                 "data/models/index.tsv:%zu: no config file for %.*s in data/models/", lineno,
                 (int)(tab1 - line), line);
        return false;
    }
    char *id_copy = dup_range(line, (size_t)(tab1 - line));
    char *source_copy = dup_range(tab2 + 1, len - (size_t)(tab2 + 1 - line));
    if (!id_copy || !source_copy) {
        free(id_copy);
        free(source_copy);
        snprintf(g_init_error, sizeof g_init_error, "out of memory reading the model catalog");
        return false;
    }
    e->id = id_copy;
    e->source = source_copy;
    e->config_json = (const char *)file->data;
    e->published_params = (int64_t)published;
    return true;
}

/* Reads only the index: configs stay as embedded bytes until one is loaded, so start-up does
 * not pay for parsing every model's JSON. */
static void catalog_init(void) {
    const char *text = (const char *)lp_data_catalog_index;
    const char *stop = text + lp_data_catalog_index_len;
    lp_catalog_entry *entries = calloc(lp_data_catalog_files_count + 1, sizeof *entries);
    if (!entries) {
        snprintf(g_init_error, sizeof g_init_error, "out of memory reading the model catalog");
        return;
    }
    size_t filled = 0, lineno = 0;
    bool header = true;
    for (const char *line = text; line < stop;) {
        const char *nl = memchr(line, '\n', (size_t)(stop - line));
        size_t len = nl ? (size_t)(nl - line) : (size_t)(stop - line);
        lineno++;
        if (len > 0 && line[0] != '#') {
            if (header) {
                header = false; /* the column names */
            } else if (filled >= lp_data_catalog_files_count) {
                snprintf(g_init_error, sizeof g_init_error,
                         "data/models/index.tsv:%zu: more rows than config files", lineno);
                break;
            } else if (!fill_entry(line, len, lineno, &entries[filled])) {
                break;
            } else {
                filled++;
            }
        }
        line += len + 1;
    }
    if (!g_init_error[0] && filled != lp_data_catalog_files_count)
        snprintf(g_init_error, sizeof g_init_error,
                 "data/models/: %zu config files but %zu index rows", lp_data_catalog_files_count,
                 filled);
    /* A malformed row is a defect in our own data: keep the good prefix usable, but say so
     * (lp_catalog_load reports g_init_error when an id is not found). */
    g_entries = entries;
    g_count = filled;
}

static void ensure_loaded(void) {
    pthread_once(&g_once, catalog_init);
}

size_t lp_catalog_count(void) {
    ensure_loaded();
    return g_count;
}

const lp_catalog_entry *lp_catalog_at(size_t i) {
    ensure_loaded();
    return i < g_count ? &g_entries[i] : NULL;
}

/* The part after the last '/' ("Llama-3.1-8B" of "meta-llama/Llama-3.1-8B"). */
static const char *name_part(const char *id) {
    const char *slash = strrchr(id, '/');
    return slash ? slash + 1 : id;
}

static void to_lower(const char *s, char *out, size_t size) {
    size_t i = 0;
    for (; s[i] && i + 1 < size; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[i] = '\0';
}

/* Levenshtein distance of a[0..la) and b[0..lb) (two rows; lengths capped at
 * CATALOG_MAX_ID). */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb) {
    if (la > CATALOG_MAX_ID)
        la = CATALOG_MAX_ID;
    if (lb > CATALOG_MAX_ID)
        lb = CATALOG_MAX_ID;
    size_t prev[CATALOG_MAX_ID + 1], cur[CATALOG_MAX_ID + 1];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            size_t del = prev[j] + 1;
            size_t ins = cur[j - 1] + 1;
            size_t best = subst < del ? subst : del;
            cur[j] = best < ins ? best : ins;
        }
        memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
    }
    return prev[lb];
}

/* Up to n ids closest to id (lower-cased; names only when id has no "org/"), best first,
 * ties in catalog order. Returns how many were written. */
static size_t closest_ids(const char *id, const char **out, size_t n) {
    if (!out || n == 0)
        return 0;
    char query[CATALOG_MAX_ID + 1];
    to_lower(id, query, sizeof query);
    bool with_org = strchr(query, '/') != NULL;
    size_t used = 0;
    size_t dist[16];
    if (n > sizeof dist / sizeof dist[0])
        n = sizeof dist / sizeof dist[0];
    for (size_t i = 0; i < g_count; i++) {
        char cand[CATALOG_MAX_ID + 1];
        to_lower(with_org ? g_entries[i].id : name_part(g_entries[i].id), cand, sizeof cand);
        size_t lq = strlen(query), lc = strlen(cand);
        size_t d = edit_distance(query, lq, cand, lc);
        /* "Qwen3-30B-A3B-Instruct-2507" should suggest Qwen3-30B-A3B: compare the query's
         * prefix too, a little worse than a plain typo so that typos still rank first. */
        if (lc < lq) {
            size_t dp = edit_distance(query, lc, cand, lc) + CATALOG_PREFIX_PENALTY;
            if (dp < d)
                d = dp;
        }
        /* insertion into the sorted list of the best n so far */
        size_t pos = used;
        while (pos > 0 && dist[pos - 1] > d)
            pos--;
        if (pos >= n)
            continue;
        size_t last = used < n ? used : n - 1;
        for (size_t k = last; k > pos; k--) {
            dist[k] = dist[k - 1];
            out[k] = out[k - 1];
        }
        dist[pos] = d;
        out[pos] = g_entries[i].id;
        if (used < n)
            used++;
    }
    return used;
}

const lp_catalog_entry *lp_catalog_find(const char *id, const char **suggestions,
                                        size_t n_suggestions) {
    ensure_loaded();
    for (size_t k = 0; suggestions && k < n_suggestions; k++)
        suggestions[k] = NULL;
    if (!id || !*id)
        return NULL;
    for (size_t i = 0; i < g_count; i++) {
        if (strcasecmp(g_entries[i].id, id) == 0)
            return &g_entries[i];
    }
    /* Name alone ("Llama-3.1-8B-Instruct"), when exactly one org has it. */
    if (!strchr(id, '/')) {
        const lp_catalog_entry *match = NULL;
        size_t matches = 0;
        for (size_t i = 0; i < g_count; i++) {
            if (strcasecmp(name_part(g_entries[i].id), id) == 0) {
                match = &g_entries[i];
                matches++;
            }
        }
        if (matches == 1)
            return match;
    }
    closest_ids(id, suggestions, n_suggestions);
    return NULL;
}

/* ---- variants ---------------------------------------------------------------------- */

typedef enum {
    VARIANT_SAME = 0, /* chat/instruct/base/-hf: same architecture and weights format */
    VARIANT_FP8,
    VARIANT_AWQ,
    VARIANT_GPTQ4,
    VARIANT_GPTQ8,
    VARIANT_BNB4,
    VARIANT_W8A8_INT8, /* compressed-tensors INT8 weights and activations */
    VARIANT_W4A16      /* compressed-tensors INT4 weights, 16-bit activations */
} variant_kind;

typedef struct {
    const char *suffix;
    variant_kind kind;
} variant_suffix;

/* Longest first where one suffix ends another ("-FP8-dynamic" before "-FP8" would not
 * matter, but "-GPTQ-Int4" must be tried before nothing shorter swallows it). Matching is
 * case-insensitive, so "-instruct", "-FP8-Dynamic" and friends are covered. */
static const variant_suffix VARIANT_SUFFIXES[] = {
    {"-FP8-dynamic", VARIANT_FP8},
    {"-GPTQ-Int4", VARIANT_GPTQ4},
    {"-GPTQ-Int8", VARIANT_GPTQ8},
    {"-bnb-4bit", VARIANT_BNB4},
    {"-Instruct", VARIANT_SAME},
    {"-Chat", VARIANT_SAME},
    {"-Base", VARIANT_SAME},
    {"-BF16", VARIANT_SAME},
    {"-FP8", VARIANT_FP8},
    {"-AWQ", VARIANT_AWQ},
    {"-it", VARIANT_SAME},
    {"-hf", VARIANT_SAME},
    /* RedHatAI's (formerly neuralmagic's) llm-compressor releases */
    {"-quantized.w8a8", VARIANT_W8A8_INT8},
    {"-quantized.w4a16", VARIANT_W4A16},
    {"-W8A8", VARIANT_W8A8_INT8},
    {"-W4A16", VARIANT_W4A16},
};

/* Strip one known variant suffix from the end of id (in place); false when none ends it. */
static bool strip_variant(char *id, variant_kind *kind) {
    size_t len = strlen(id);
    for (size_t i = 0; i < sizeof VARIANT_SUFFIXES / sizeof VARIANT_SUFFIXES[0]; i++) {
        size_t sl = strlen(VARIANT_SUFFIXES[i].suffix);
        if (len <= sl || strcasecmp(id + len - sl, VARIANT_SUFFIXES[i].suffix) != 0)
            continue;
        if (id[len - sl - 1] == '/') /* nothing left of the name */
            continue;
        id[len - sl] = '\0';
        *kind = VARIANT_SUFFIXES[i].kind;
        return true;
    }
    return false;
}

/* Look up a stripped id, also as "<id>-hf" (Llama 2 ids carry -hf on the base repo). */
static const lp_catalog_entry *find_exact_or_hf(const char *base) {
    const lp_catalog_entry *e = lp_catalog_find(base, NULL, 0);
    if (e)
        return e;
    char with_hf[CATALOG_MAX_ID + 8];
    snprintf(with_hf, sizeof with_hf, "%s-hf", base);
    return lp_catalog_find(with_hf, NULL, 0);
}

/* The base of a variant: as named, then by name alone, because variants are usually
 * published by another org (unsloth/X-bnb-4bit, RedHatAI/X-FP8-dynamic). The caller notes
 * which entry was used, so a resolution across orgs is never silent. */
static const lp_catalog_entry *find_named_base(const char *base) {
    const lp_catalog_entry *e = find_exact_or_hf(base);
    if (e || !strchr(base, '/'))
        return e;
    return find_exact_or_hf(name_part(base));
}

/* ... or its unquantized release named X-BF16, as NVIDIA names the reference checkpoint beside
 * X-FP8 and X-NVFP4 (nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16 / -FP8). */
static const lp_catalog_entry *find_base(const char *base) {
    const lp_catalog_entry *e = find_named_base(base);
    if (e)
        return e;
    char bf16[CATALOG_MAX_ID + 8];
    snprintf(bf16, sizeof bf16, "%s-BF16", base);
    return find_named_base(bf16);
}

/* vLLM group size of AWQ/GPTQ checkpoints as published by their quantizers (128 is the
 * AutoAWQ / AutoGPTQ default used by Qwen's and TheBloke's releases). */
#define VARIANT_GROUP_SIZE 128
/* bitsandbytes 4-bit block size (bnb's fixed blocksize for weight quantization). */
#define VARIANT_BNB_BLOCK 64

static void apply_variant(lp_model *m, variant_kind kind) {
    lp_quant *q = &m->quant;
    if (kind == VARIANT_SAME)
        return;
    memset(q, 0, sizeof *q);
    q->kv_cache_dtype = LP_DTYPE_AUTO;
    switch (kind) {
    case VARIANT_FP8:
        q->method = LP_QUANT_FP8;
        snprintf(q->vllm_name, sizeof q->vllm_name, "fp8");
        q->bits = 8;
        q->group_size = -1;
        q->activations = true;
        lp_model_note(m, "-FP8 suffix: assuming FP8 weights with per-channel scales and dynamic "
                         "FP8 activations (vLLM --quantization fp8)");
        break;
    case VARIANT_AWQ:
        q->method = LP_QUANT_AWQ;
        snprintf(q->vllm_name, sizeof q->vllm_name, "awq");
        q->bits = 4;
        q->group_size = VARIANT_GROUP_SIZE;
        lp_model_note(m, "-AWQ suffix: assuming AWQ 4-bit weights, group size 128");
        break;
    case VARIANT_GPTQ4:
    case VARIANT_GPTQ8:
        q->method = LP_QUANT_GPTQ;
        snprintf(q->vllm_name, sizeof q->vllm_name, "gptq");
        q->bits = kind == VARIANT_GPTQ4 ? 4 : 8;
        q->group_size = VARIANT_GROUP_SIZE;
        lp_model_note(m, "-GPTQ-Int%d suffix: assuming GPTQ %d-bit weights, group size 128",
                      q->bits, q->bits);
        break;
    case VARIANT_BNB4:
        q->method = LP_QUANT_BNB4;
        snprintf(q->vllm_name, sizeof q->vllm_name, "bitsandbytes");
        q->bits = 4;
        q->group_size = VARIANT_BNB_BLOCK;
        lp_model_note(m, "-bnb-4bit suffix: assuming bitsandbytes 4-bit (nf4) weights");
        break;
    case VARIANT_W8A8_INT8:
        q->method = LP_QUANT_INT8;
        snprintf(q->vllm_name, sizeof q->vllm_name, "compressed-tensors");
        q->bits = 8;
        q->group_size = -1;
        q->activations = true;
        lp_model_note(m, "w8a8 suffix: assuming compressed-tensors INT8 weights with per-channel "
                         "scales and dynamic per-token INT8 activations (llm-compressor's W8A8)");
        break;
    case VARIANT_W4A16:
        q->method = LP_QUANT_INT4_W4A16;
        snprintf(q->vllm_name, sizeof q->vllm_name, "compressed-tensors");
        q->bits = 4;
        q->group_size = VARIANT_GROUP_SIZE;
        lp_model_note(m, "w4a16 suffix: assuming compressed-tensors INT4 weights, group size 128 "
                         "(llm-compressor's W4A16 scheme), 16-bit activations");
        break;
    case VARIANT_SAME:
        break;
    }
}

static lp_status load_entry(const lp_catalog_entry *e, lp_model *out, lp_error *err) {
    char origin[CATALOG_MAX_ID + 16];
    snprintf(origin, sizeof origin, "catalog:%s", e->id);
    lp_status st =
        lp_model_from_config_json(e->config_json, strlen(e->config_json), origin, out, err);
    if (st != LP_OK)
        return st;
    snprintf(out->id, sizeof out->id, "%s", e->id);
    snprintf(out->source, sizeof out->source, "catalog");
    return LP_OK;
}

static lp_status not_found(const char *id, lp_error *err) {
    const char *near[CATALOG_SUGGESTIONS];
    size_t n = closest_ids(id, near, CATALOG_SUGGESTIONS);
    char list[3 * CATALOG_MAX_ID] = "";
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", near[i]);
        if (w < 0 || (size_t)w >= sizeof list - used)
            break;
        used += (size_t)w;
    }
    if (g_init_error[0])
        return lp_error_set(err, LP_ERR_NOT_FOUND,
                            "unknown model \"%.256s\"; the embedded catalog is damaged (%s); give "
                            "a config.json path or a model directory instead",
                            id, g_init_error);
    if (n == 0)
        return lp_error_set(err, LP_ERR_NOT_FOUND,
                            "unknown model \"%.256s\"; not in the catalog and not a local path "
                            "(a config.json path or a model directory also works)",
                            id);
    return lp_error_set(err, LP_ERR_NOT_FOUND,
                        "unknown model \"%.256s\"; not in the catalog and not a local path; did "
                        "you mean: %s? (a config.json path or a model directory also works)",
                        id, list);
}

lp_status lp_catalog_load(const char *id, lp_model *out, lp_error *err) {
    if (!id || !*id || !out)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "lp_catalog_load: expected a model id and an output model");
    ensure_loaded();
    const lp_catalog_entry *e = lp_catalog_find(id, NULL, 0);
    if (e)
        return load_entry(e, out, err);

    if (strlen(id) > CATALOG_MAX_ID)
        return not_found(id, err);
    char base[CATALOG_MAX_ID + 1];
    snprintf(base, sizeof base, "%s", id);
    bool have_quant = false;
    variant_kind quant = VARIANT_SAME;
    for (int strips = 0; strips < CATALOG_MAX_STRIPS; strips++) {
        variant_kind kind;
        if (!strip_variant(base, &kind))
            break;
        /* The outermost quantization suffix wins ("-AWQ" of "X-FP8-AWQ" is what was asked). */
        if (kind != VARIANT_SAME && !have_quant) {
            quant = kind;
            have_quant = true;
        }
        e = find_base(base);
        if (!e)
            continue;
        lp_status st = load_entry(e, out, err);
        if (st != LP_OK)
            return st;
        lp_model_note(out, "%.64s not in the catalog: using the architecture of %.64s", id, e->id);
        apply_variant(out, quant);
        snprintf(out->id, sizeof out->id, "%s", id);
        return LP_OK;
    }
    return not_found(id, err);
}
