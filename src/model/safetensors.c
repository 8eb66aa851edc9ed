/*
 * safetensors.c - count parameters and bytes from safetensors headers.
 *
 * A .safetensors file starts with a little-endian u64 N and N bytes of JSON describing every
 * tensor (dtype, shape, [begin, end) offsets into the data that follows); see
 * docs/model_configs.md §6.1 and huggingface/safetensors `src/tensor.rs`. Reading those
 * 8 + N bytes is enough to count a checkpoint exactly, so this module never reads weights.
 *
 * The header is validated as strictly as the reference Rust parser does it (header size
 * limit, known dtypes, non-negative shapes, END - BEGIN == prod(shape) * bits / 8, offsets
 * contiguous from 0, no duplicate keys), because a header that fails those checks would not
 * load in vLLM either, and every number we count comes from it.
 *
 * Stored elements differ from logical parameters for quantized checkpoints (§6.4); the rules
 * that turn one into the other are in classify_tensor() below. vision_elements and
 * mtp_elements are counted with the same rules (logical parameters), so that
 * logical_params - mtp_elements is what vLLM loads when it skips the MTP layers.
 *
 * Deliberately not done here: reading tensor data, fetching from the Hub, or deciding what a
 * count means for memory (that is src/mem/).
 */
#include "common/order.h"
#include "common/strv.h"
#include "common/grow.h"
#include "llmplan/model.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

/* safetensors `MAX_HEADER_SIZE` (src/tensor.rs): larger headers are rejected (HeaderTooLarge). */
#define ST_MAX_HEADER_SIZE 100000000ULL
/* Size of the little-endian u64 header length that starts every file. */
#define ST_LEN_PREFIX 8
/* An index file is JSON text of a few MB even for the largest models; refuse absurd ones. */
#define ST_MAX_INDEX_SIZE 100000000LL
/* Path buffers: long enough for any real model directory. */
#define ST_PATH_MAX 4096

#define ST_INDEX_NAME "model.safetensors.index.json"
#define ST_SINGLE_NAME "model.safetensors"
#define ST_SUFFIX ".safetensors"

/* dtype names and bit widths, as in safetensors `Dtype::bitsize` (model_configs.md §6.1). */
typedef struct {
    const char *name;
    int bits;
} st_dtype;

static const st_dtype st_dtypes[] = {
    {"BOOL", 8},    {"U8", 8},          {"I8", 8},          {"F8_E5M2", 8}, {"F8_E4M3", 8},
    {"F8_E8M0", 8}, {"F8_E4M3FNUZ", 8}, {"F8_E5M2FNUZ", 8}, {"I16", 16},    {"U16", 16},
    {"F16", 16},    {"BF16", 16},       {"I32", 32},        {"U32", 32},    {"F32", 32},
    {"C64", 64},    {"F64", 64},        {"I64", 64},        {"U64", 64},    {"F4", 4},
    {"F6_E2M3", 6}, {"F6_E3M2", 6},
};

static const st_dtype *find_dtype(const char *name) {
    for (size_t i = 0; i < sizeof st_dtypes / sizeof st_dtypes[0]; i++)
        if (strcmp(st_dtypes[i].name, name) == 0)
            return &st_dtypes[i];
    return NULL;
}

/* ---- checked 64-bit arithmetic (all counts are non-negative) ---------------------------- */

static bool mul_ok(int64_t a, int64_t b, int64_t *out) {
    if (a < 0 || b < 0)
        return false;
    if (a != 0 && b > INT64_MAX / a)
        return false;
    *out = a * b;
    return true;
}

static bool add_ok(int64_t a, int64_t b, int64_t *out) {
    if (a < 0 || b < 0 || a > INT64_MAX - b)
        return false;
    *out = a + b;
    return true;
}

static bool summary_add(lp_st_summary *dst, const lp_st_summary *src) {
    lp_st_summary r;
    if (!add_ok(dst->tensors, src->tensors, &r.tensors) ||
        !add_ok(dst->elements, src->elements, &r.elements) ||
        !add_ok(dst->bytes, src->bytes, &r.bytes) ||
        !add_ok(dst->logical_params, src->logical_params, &r.logical_params) ||
        !add_ok(dst->vision_elements, src->vision_elements, &r.vision_elements) ||
        !add_ok(dst->mtp_elements, src->mtp_elements, &r.mtp_elements) ||
        !add_ok(dst->files, src->files, &r.files))
        return false;
    *dst = r;
    return true;
}

/* ---- tensor name classification ---------------------------------------------------------- */

static bool starts_with(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/*
 * Tensors that quantization adds next to the weights and that are not model parameters
 * (model_configs.md §6.4): they are stored elements, but no formula counts them.
 */
static const char *const st_scale_suffixes[] = {
    /* FP8 block-wise (DeepSeek-V3/R1 `weight_scale_inv`), FP8/NVFP4 ModelOpt and
     * compressed-tensors per-tensor/channel scales, KV-cache scales. */
    ".weight_scale_inv",
    ".weight_scale",
    ".weight_scale_2",
    ".input_scale",
    ".weight_global_scale",
    ".input_global_scale",
    ".weight_zero_point",
    ".weight_g_idx",
    ".weight_shape",
    ".k_scale",
    ".v_scale",
    /* GPTQ / AWQ: zero points, per-group scales, act-order permutation. */
    ".qzeros",
    ".scales",
    ".g_idx",
    /* bitsandbytes 4-bit quant state (and 8-bit LLM.int8 SCB / weight_format). */
    ".absmax",
    ".quant_map",
    ".nested_absmax",
    ".nested_quant_map",
    ".SCB",
    ".weight_format",
};

/* What a tensor contributes to logical_params, per stored element. */
typedef enum {
    ST_COUNT_AS_IS, /* one stored element is one parameter */
    ST_COUNT_DROP,  /* a quantization scale / zero point / index: not a parameter */
    ST_COUNT_X2,    /* U8 holding two 4-bit values */
    ST_COUNT_X8     /* I32 holding eight 4-bit values */
} st_count_rule;

static st_count_rule classify_tensor(const char *name, const char *dtype) {
    for (size_t i = 0; i < sizeof st_scale_suffixes / sizeof st_scale_suffixes[0]; i++)
        if (ends_with(name, st_scale_suffixes[i]))
            return ST_COUNT_DROP;
    /* bitsandbytes 4-bit: `...weight.quant_state.bitsandbytes__nf4` (or __fp4). */
    if (strstr(name, ".quant_state.") != NULL)
        return ST_COUNT_DROP;
    /* MXFP4 (gpt-oss): `*_scales` are U8 E8M0 exponents, one per 32 values. Limited to 8-bit
     * dtypes so that a genuine float parameter that happens to end in "_scales" stays. */
    if (ends_with(name, "_scales") && (strcmp(dtype, "U8") == 0 || starts_with(dtype, "F8_")))
        return ST_COUNT_DROP;
    if (strcmp(dtype, "U8") == 0) {
        /* MXFP4 `*_blocks` (gpt-oss experts), bitsandbytes nf4/fp4 and ModelOpt NVFP4 packed
         * `.weight`, compressed-tensors nvfp4 `.weight_packed`: two 4-bit values per byte. */
        if (ends_with(name, "_blocks") || ends_with(name, ".weight") ||
            ends_with(name, ".weight_packed"))
            return ST_COUNT_X2;
    }
    if (strcmp(dtype, "I32") == 0) {
        /* GPTQ/AWQ `qweight`, compressed-tensors pack-quantized `weight_packed`: eight 4-bit
         * values per int32. 4-bit is assumed: the header does not say the bit width, and
         * 4-bit is what these formats are used for almost always (§6.4). */
        if (ends_with(name, ".qweight") || ends_with(name, ".weight_packed"))
            return ST_COUNT_X8;
    }
    return ST_COUNT_AS_IS;
}

/* Vision tower / projector tensors (model_configs.md §6.4 "vision / audio towers"): plain,
 * or under the `model.` / `language_model.` prefixes newer transformers layouts use. */
static bool is_vision_tensor(const char *name) {
    static const char *const prefixes[] = {"", "model.", "language_model."};
    static const char *const towers[] = {"vision_tower.", "visual.", "multi_modal_projector.",
                                         "vision_model."};
    for (size_t p = 0; p < sizeof prefixes / sizeof prefixes[0]; p++) {
        if (!starts_with(name, prefixes[p]))
            continue;
        const char *rest = name + strlen(prefixes[p]);
        for (size_t t = 0; t < sizeof towers / sizeof towers[0]; t++)
            if (starts_with(rest, towers[t]))
                return true;
    }
    return false;
}

/*
 * MTP / next-n prediction layers are stored as decoder layers numbered from num_layers on
 * (DeepSeek-V3 `model.layers.61.*`, §6.4); vLLM skips them unless MTP speculative decoding is
 * on. Qwen3-Next style checkpoints keep them under a top-level `mtp.` prefix instead.
 */
static bool is_mtp_tensor(const char *name, int64_t num_layers) {
    static const char *const prefixes[] = {"model.layers.", "model.language_model.layers.",
                                           "language_model.model.layers."};
    if (starts_with(name, "mtp."))
        return true;
    if (num_layers <= 0)
        return false;
    for (size_t p = 0; p < sizeof prefixes / sizeof prefixes[0]; p++) {
        if (!starts_with(name, prefixes[p]))
            continue;
        const char *s = name + strlen(prefixes[p]);
        int64_t layer = 0;
        if (*s < '0' || *s > '9')
            return false;
        for (; *s >= '0' && *s <= '9'; s++) {
            if (layer > (INT64_MAX - 9) / 10)
                return true; /* an absurd index is certainly >= num_layers */
            layer = layer * 10 + (*s - '0');
        }
        return *s == '.' && layer >= num_layers;
    }
    return false;
}

/* ---- header JSON ------------------------------------------------------------------------ */

typedef struct {
    int64_t begin, end;
    const char *name;
} st_span;

static int cmp_span(const void *a, const void *b) {
    const st_span *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return 0;
}

/* "path: " or "" for messages. */
static const char *sep(const char *origin) {
    return origin ? ": " : "";
}

static const char *org(const char *origin) {
    return origin ? origin : "";
}

static lp_status check_metadata(json_t *meta, const char *origin, lp_error *err) {
    const char *key;
    json_t *value;
    if (!json_is_object(meta))
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s%s__metadata__: expected an object of strings; the safetensors "
                            "header is malformed",
                            org(origin), sep(origin));
    json_object_foreach(meta, key, value) {
        if (!json_is_string(value))
            return lp_error_set(err, LP_ERR_PARSE,
                                "%s%s__metadata__: \"%s\": expected a string (safetensors "
                                "metadata is string to string only)",
                                org(origin), sep(origin), key);
    }
    return LP_OK;
}

/* Read a non-negative JSON integer. */
static bool get_count(json_t *v, int64_t *out) {
    if (!json_is_integer(v))
        return false;
    json_int_t x = json_integer_value(v);
    if (x < 0)
        return false;
    *out = (int64_t)x;
    return true;
}

static lp_status parse_tensor(const char *name, json_t *info, int64_t num_layers,
                              const char *origin, lp_st_summary *sum, st_span *span,
                              lp_error *err) {
    if (!json_is_object(info))
        return lp_error_set(err, LP_ERR_PARSE, "%s%stensor \"%s\": expected an object", org(origin),
                            sep(origin), name);
    json_t *jd = json_object_get(info, "dtype");
    if (!json_is_string(jd))
        return lp_error_set(err, LP_ERR_PARSE, "%s%stensor \"%s\": dtype: expected a string",
                            org(origin), sep(origin), name);
    const char *dtype_name = json_string_value(jd);
    const st_dtype *dtype = find_dtype(dtype_name);
    if (!dtype)
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s%stensor \"%s\": unknown dtype \"%s\" (expected one of BOOL, U8, "
                            "I8, F8_*, I16, U16, F16, BF16, I32, U32, F32, C64, F64, I64, U64, "
                            "F4, F6_E2M3, F6_E3M2)",
                            org(origin), sep(origin), name, dtype_name);

    json_t *jshape = json_object_get(info, "shape");
    if (!json_is_array(jshape))
        return lp_error_set(err, LP_ERR_PARSE, "%s%stensor \"%s\": shape: expected an array",
                            org(origin), sep(origin), name);
    int64_t elements = 1;
    size_t i;
    json_t *dim;
    json_array_foreach(jshape, i, dim) {
        int64_t d;
        if (!get_count(dim, &d))
            return lp_error_set(err, LP_ERR_PARSE,
                                "%s%stensor \"%s\": shape[%zu]: expected a non-negative integer",
                                org(origin), sep(origin), name, i);
        if (!mul_ok(elements, d, &elements))
            return lp_error_set(err, LP_ERR_PARSE,
                                "%s%stensor \"%s\": shape overflows a 64-bit element count",
                                org(origin), sep(origin), name);
    }

    json_t *joff = json_object_get(info, "data_offsets");
    int64_t begin, end;
    if (!json_is_array(joff) || json_array_size(joff) != 2 ||
        !get_count(json_array_get(joff, 0), &begin) || !get_count(json_array_get(joff, 1), &end) ||
        end < begin)
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s%stensor \"%s\": data_offsets: expected [BEGIN, END] with "
                            "0 <= BEGIN <= END",
                            org(origin), sep(origin), name);

    /* Bytes = prod(shape) * bits / 8, sub-byte dtypes packed (rounded up to a whole byte). */
    int64_t bits;
    if (!mul_ok(elements, dtype->bits, &bits))
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s%stensor \"%s\": shape overflows a 64-bit byte count", org(origin),
                            sep(origin), name);
    int64_t bytes = bits / 8 + (bits % 8 != 0);
    if (end - begin != bytes)
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s%stensor \"%s\": data_offsets [%" PRId64 ", %" PRId64
                            "] span %" PRId64 " bytes but %s shape needs %" PRId64 " bytes",
                            org(origin), sep(origin), name, begin, end, end - begin, dtype_name,
                            bytes);

    int64_t logical = elements;
    switch (classify_tensor(name, dtype_name)) {
    case ST_COUNT_AS_IS:
        break;
    case ST_COUNT_DROP:
        logical = 0;
        break;
    case ST_COUNT_X2:
        if (!mul_ok(elements, 2, &logical))
            return lp_error_set(err, LP_ERR_PARSE, "%s%stensor \"%s\": count overflows",
                                org(origin), sep(origin), name);
        break;
    case ST_COUNT_X8:
        if (!mul_ok(elements, 8, &logical))
            return lp_error_set(err, LP_ERR_PARSE, "%s%stensor \"%s\": count overflows",
                                org(origin), sep(origin), name);
        break;
    }

    lp_st_summary one = {0};
    one.tensors = 1;
    one.elements = elements;
    one.bytes = bytes;
    one.logical_params = logical;
    if (is_vision_tensor(name))
        one.vision_elements = logical;
    if (is_mtp_tensor(name, num_layers))
        one.mtp_elements = logical;
    if (!summary_add(sum, &one))
        return lp_error_set(err, LP_ERR_PARSE, "%s%stensor \"%s\": totals overflow 64-bit counters",
                            org(origin), sep(origin), name);
    span->begin = begin;
    span->end = end;
    span->name = name;
    return LP_OK;
}

/*
 * Parse the JSON part of a header (json, n bytes). Counts go to *sum (a fresh summary),
 * the size of the data buffer the offsets describe to *data_bytes.
 */
static lp_status parse_header_json(const unsigned char *json, size_t n, int64_t num_layers,
                                   const char *origin, lp_st_summary *sum, int64_t *data_bytes,
                                   lp_error *err) {
    json_error_t jerr;
    json_t *root = json_loadb((const char *)json, n, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s%ssafetensors header is not valid JSON: %s (line %d, column %d)",
                            org(origin), sep(origin), jerr.text, jerr.line, jerr.column);
    if (!json_is_object(root)) {
        json_decref(root);
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s%ssafetensors header is not a JSON object (it must map tensor "
                            "names to {dtype, shape, data_offsets})",
                            org(origin), sep(origin));
    }

    lp_status st = LP_OK;
    size_t cap = json_object_size(root);
    st_span *spans = calloc(cap ? cap : 1, sizeof *spans);
    size_t n_spans = 0;
    if (!spans) {
        json_decref(root);
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory reading a safetensors header");
    }
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        if (strcmp(key, "__metadata__") == 0) {
            st = check_metadata(value, origin, err);
        } else {
            st = parse_tensor(key, value, num_layers, origin, sum, &spans[n_spans], err);
            n_spans++;
        }
        if (st != LP_OK)
            break;
    }

    /* Offsets must tile [0, total) without holes or overlaps (safetensors InvalidOffset). */
    int64_t expected = 0;
    if (st == LP_OK) {
        qsort(spans, n_spans, sizeof *spans, cmp_span);
        for (size_t i = 0; i < n_spans; i++) {
            if (spans[i].begin != expected) {
                st =
                    lp_error_set(err, LP_ERR_PARSE,
                                 "%s%stensor \"%s\": data_offsets begin at %" PRId64
                                 " but the previous tensor ends at %" PRId64
                                 " (tensors must be contiguous, without gaps or overlaps)",
                                 org(origin), sep(origin), spans[i].name, spans[i].begin, expected);
                break;
            }
            expected = spans[i].end;
        }
    }
    *data_bytes = expected;
    free(spans);
    json_decref(root);
    return st;
}

/* Header length N from the 8-byte prefix, checked against the limit and what is available. */
static lp_status header_length(const unsigned char *prefix, uint64_t available_total,
                               const char *origin, uint64_t *n_out, lp_error *err) {
    uint64_t n = 0;
    for (int i = ST_LEN_PREFIX - 1; i >= 0; i--)
        n = (n << 8) | prefix[i];
    if (n > ST_MAX_HEADER_SIZE)
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s%ssafetensors header size %" PRIu64
                            " exceeds the 100,000,000-byte limit; this is not a safetensors file",
                            org(origin), sep(origin), n);
    if (n > available_total - ST_LEN_PREFIX)
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s%struncated safetensors header: file has %" PRIu64
                            " bytes, header says %" PRIu64,
                            org(origin), sep(origin), available_total, n);
    *n_out = n;
    return LP_OK;
}

lp_status lp_safetensors_parse_header(const unsigned char *buf, size_t len, int64_t num_layers,
                                      lp_st_summary *sum, lp_error *err) {
    if (!buf || !sum)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "lp_safetensors_parse_header: buf and sum must not be NULL");
    if (len < ST_LEN_PREFIX)
        return lp_error_set(err, LP_ERR_PARSE,
                            "not a safetensors file: %zu bytes, need at least 8 (the header "
                            "length)",
                            len);
    uint64_t n = 0;
    lp_status st = header_length(buf, (uint64_t)len, NULL, &n, err);
    if (st != LP_OK)
        return st;
    lp_st_summary one = {0};
    int64_t data_bytes;
    st =
        parse_header_json(buf + ST_LEN_PREFIX, (size_t)n, num_layers, NULL, &one, &data_bytes, err);
    if (st != LP_OK)
        return st;
    if (!summary_add(sum, &one))
        return lp_error_set(err, LP_ERR_PARSE, "safetensors totals overflow 64-bit counters");
    return LP_OK;
}

static lp_status open_error(const char *path, int errnum, lp_error *err) {
    if (errnum == ENOENT || errnum == ENOTDIR)
        return lp_error_set(err, LP_ERR_NOT_FOUND, "no such file: %s", path);
    return lp_error_set(err, LP_ERR_IO, "cannot read %s: %s", path, strerror(errnum));
}

lp_status lp_safetensors_read_file(const char *path, int64_t num_layers, lp_st_summary *sum,
                                   lp_error *err) {
    if (!path || !sum)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "lp_safetensors_read_file: path and sum must not be NULL");
    FILE *f = fopen(path, "rb");
    if (!f)
        return open_error(path, errno, err);
    struct stat stbuf;
    if (fstat(fileno(f), &stbuf) != 0 || !S_ISREG(stbuf.st_mode)) {
        fclose(f);
        return lp_error_set(err, LP_ERR_IO, "cannot read %s: not a regular file", path);
    }
    uint64_t size = (uint64_t)stbuf.st_size;
    if (size < ST_LEN_PREFIX) {
        fclose(f);
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s: not a safetensors file: %" PRIu64
                            " bytes, need at least 8 (the header length)",
                            path, size);
    }
    unsigned char prefix[ST_LEN_PREFIX];
    if (fread(prefix, 1, sizeof prefix, f) != sizeof prefix) {
        fclose(f);
        return lp_error_set(err, LP_ERR_IO, "cannot read %s: short read", path);
    }
    if (memcmp(prefix, "version ", ST_LEN_PREFIX) == 0) {
        /* a clone without `git lfs pull` holds pointers: "version https://git-lfs.github.com/
         * spec/v1\noid sha256:...\nsize N\n" */
        char text[256];
        memcpy(text, prefix, ST_LEN_PREFIX);
        size_t more = fread(text + ST_LEN_PREFIX, 1, sizeof text - ST_LEN_PREFIX - 1, f);
        text[ST_LEN_PREFIX + more] = '\0';
        if (strstr(text, "git-lfs")) {
            fclose(f);
            const char *sz = strstr(text, "\nsize ");
            long long bytes = sz ? strtoll(sz + 6, NULL, 10) : 0;
            return lp_error_set(err, LP_ERR_PARSE,
                                "%s is a Git LFS pointer (to %lld bytes of weights), not a "
                                "safetensors file: run `git lfs pull` in the clone, or give "
                                "--no-safetensors to count parameters from config.json",
                                path, bytes);
        }
    }
    uint64_t n = 0;
    lp_status st = header_length(prefix, size, path, &n, err);
    if (st != LP_OK) {
        fclose(f);
        return st;
    }
    unsigned char *json = malloc(n ? (size_t)n : 1);
    if (!json) {
        fclose(f);
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory reading %s", path);
    }
    size_t got = fread(json, 1, (size_t)n, f);
    fclose(f);
    if (got != (size_t)n) {
        free(json);
        return lp_error_set(err, LP_ERR_IO, "cannot read %s: short read of the header", path);
    }
    lp_st_summary one = {0};
    int64_t data_bytes = 0;
    st = parse_header_json(json, (size_t)n, num_layers, path, &one, &data_bytes, err);
    free(json);
    if (st != LP_OK)
        return st;
    /* A partial download keeps a valid header but lacks the end of the data. */
    uint64_t after = size - ST_LEN_PREFIX - n;
    if ((uint64_t)data_bytes > after)
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s: truncated safetensors file: the header describes %" PRId64
                            " bytes of tensor data but only %" PRIu64
                            " follow it; download it again",
                            path, data_bytes, after);
    one.files = 1;
    if (!summary_add(sum, &one))
        return lp_error_set(err, LP_ERR_PARSE, "%s: totals overflow 64-bit counters", path);
    return LP_OK;
}

/* ---- directories ------------------------------------------------------------------------ */

static lp_status join_path(char *out, size_t size, const char *dir, const char *name,
                           lp_error *err) {
    int w = snprintf(out, size, "%s/%s", dir, name);
    if (w < 0 || (size_t)w >= size)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "path too long: %s/%s", dir, name);
    return LP_OK;
}

static bool is_regular_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Read the shards a model.safetensors.index.json names, each once, into *sum. */
static lp_status read_index(const char *dir, const char *index_path, int64_t num_layers,
                            lp_st_summary *sum, lp_error *err) {
    struct stat stbuf;
    if (stat(index_path, &stbuf) == 0 && stbuf.st_size > ST_MAX_INDEX_SIZE)
        return lp_error_set(err, LP_ERR_PARSE, "%s: %lld bytes is too large for an index file",
                            index_path, (long long)stbuf.st_size);
    json_error_t jerr;
    json_t *root = json_load_file(index_path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return lp_error_set(err, LP_ERR_PARSE, "%s: invalid JSON: %s (line %d, column %d)",
                            index_path, jerr.text, jerr.line, jerr.column);
    json_t *map = json_object_get(root, "weight_map");
    if (!json_is_object(map) || json_object_size(map) == 0) {
        json_decref(root);
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s: weight_map: expected a non-empty object of tensor name to "
                            "shard file",
                            index_path);
    }
    size_t count = json_object_size(map);
    const char **names = calloc(count, sizeof *names);
    if (!names) {
        json_decref(root);
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory reading %s", index_path);
    }
    lp_status st = LP_OK;
    size_t n = 0;
    const char *key;
    json_t *value;
    json_object_foreach(map, key, value) {
        const char *shard = json_string_value(value);
        if (!shard || !*shard) {
            st = lp_error_set(err, LP_ERR_PARSE, "%s: weight_map: \"%s\": expected a file name",
                              index_path, key);
            break;
        }
        /* Shards live in the model directory; never follow a name out of it. */
        if (shard[0] == '/' || strstr(shard, "..") != NULL) {
            st = lp_error_set(err, LP_ERR_PARSE,
                              "%s: weight_map: \"%s\": shard \"%s\" is not a file inside the "
                              "model directory",
                              index_path, key, shard);
            break;
        }
        names[n++] = shard;
    }
    if (st == LP_OK)
        qsort(names, n, sizeof *names, lp_cmp_str);

    lp_st_summary total = {0};
    char path[ST_PATH_MAX];
    for (size_t i = 0; st == LP_OK && i < n; i++) {
        if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
            continue;
        st = join_path(path, sizeof path, dir, names[i], err);
        if (st != LP_OK)
            break;
        if (!is_regular_file(path)) {
            st = lp_error_set(err, LP_ERR_NOT_FOUND,
                              "shard %s named in %s is missing from %s; download it again",
                              names[i], ST_INDEX_NAME, dir);
            break;
        }
        st = lp_safetensors_read_file(path, num_layers, &total, err);
    }
    free(names);
    json_decref(root);
    if (st != LP_OK)
        return st;
    if (!summary_add(sum, &total))
        return lp_error_set(err, LP_ERR_PARSE, "%s: totals overflow 64-bit counters", dir);
    return LP_OK;
}

/* Names of the *.safetensors regular files in dir, sorted; caller frees each and the array. */
static lp_status list_safetensors(const char *dir, char ***out, size_t *n_out, lp_error *err) {
    DIR *d = opendir(dir);
    if (!d)
        return open_error(dir, errno, err);
    char **names = NULL;
    size_t n = 0, cap = 0;
    lp_status st = LP_OK;
    char path[ST_PATH_MAX];
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !ends_with(e->d_name, ST_SUFFIX))
            continue;
        if (join_path(path, sizeof path, dir, e->d_name, NULL) != LP_OK || !is_regular_file(path))
            continue;
        char **grown = lp_grow(names, &cap, n + 1, sizeof *names, 8);
        if (!grown) {
            st = lp_error_set(err, LP_ERR_NOMEM, "out of memory listing %s", dir);
            break;
        }
        names = grown;
        size_t len = strlen(e->d_name) + 1;
        names[n] = malloc(len);
        if (!names[n]) {
            st = lp_error_set(err, LP_ERR_NOMEM, "out of memory listing %s", dir);
            break;
        }
        memcpy(names[n++], e->d_name, len);
    }
    closedir(d);
    if (st != LP_OK) {
        lp_strv_free(names, n);
        return st;
    }
    if (n > 1)
        qsort(names, n, sizeof *names, lp_cmp_str);
    *out = names;
    *n_out = n;
    return LP_OK;
}

lp_status lp_safetensors_read_dir(const char *dir, int64_t num_layers, lp_st_summary *sum,
                                  lp_error *err) {
    if (!dir || !sum)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "lp_safetensors_read_dir: dir and sum must not be NULL");
    char path[ST_PATH_MAX];
    lp_status st = join_path(path, sizeof path, dir, ST_INDEX_NAME, err);
    if (st != LP_OK)
        return st;
    if (is_regular_file(path))
        return read_index(dir, path, num_layers, sum, err);

    st = join_path(path, sizeof path, dir, ST_SINGLE_NAME, err);
    if (st != LP_OK)
        return st;
    if (is_regular_file(path))
        return lp_safetensors_read_file(path, num_layers, sum, err);

    char **names = NULL;
    size_t n = 0;
    st = list_safetensors(dir, &names, &n, err);
    if (st != LP_OK)
        return st;
    if (n == 0) {
        free(names);
        return lp_error_set(err, LP_ERR_NOT_FOUND, "no safetensors files in %s", dir);
    }
    /* Mistral repos can hold the same weights twice: consolidated.safetensors (mistral
     * format) beside HF-format shards. When other files exist, the consolidated copy is the
     * duplicate. */
    size_t others = 0;
    for (size_t i = 0; i < n; i++)
        others += !starts_with(names[i], "consolidated");
    lp_st_summary total = {0};
    for (size_t i = 0; st == LP_OK && i < n; i++) {
        if (others > 0 && starts_with(names[i], "consolidated"))
            continue;
        st = join_path(path, sizeof path, dir, names[i], err);
        if (st == LP_OK)
            st = lp_safetensors_read_file(path, num_layers, &total, err);
    }
    lp_strv_free(names, n);
    if (st != LP_OK)
        return st;
    if (!summary_add(sum, &total))
        return lp_error_set(err, LP_ERR_PARSE, "%s: totals overflow 64-bit counters", dir);
    return LP_OK;
}
