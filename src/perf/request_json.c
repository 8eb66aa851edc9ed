/*
 * request_json.c - one line of a `--batch` JSONL file into an lp_perf_request.
 *
 * The field table maps every accepted spelling (ours, vLLM's, and the ones other planners
 * write) to one request field. Unknown fields are errors rather than silently ignored, so a
 * typo ("tp_szie") never turns into a default. Strings are copied into the caller's
 * lp_perf_io_strings because jansson's are freed with the document.
 * It does not check fields against each other (tp vs num_gpus, ...): the estimate does.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/json_get.h"
#include "common/modes_json.h"
#include "llmplan/perf_io.h"

typedef enum {
    F_GPU,
    F_NUM_GPUS,
    F_TP,
    F_PP,
    F_DP,
    F_INPUT,
    F_OUTPUT,
    F_CONTEXT,
    F_MODEL,
    F_PARAMS_B,
    F_QUANT,
    F_INTERCONNECT,
    F_CONCURRENCY,
    F_RATE,
    F_NUM_PROMPTS,
    F_METHOD,
    F_KV_DTYPE,
    F_DTYPE,
    F_MAX_NUM_SEQS,
    F_MAX_BATCHED,
    F_BLOCK_SIZE,
    F_GMU,
    F_EP,
    F_EAGER,
    F_SEED,
    F_DATASET,
    F_COUNT
} field_id;

_Static_assert(F_COUNT <= LP_PERF_REQUEST_FIELDS, "lp_perf_request_reader.given is too small");

static const struct {
    const char *name;
    field_id id;
} FIELDS[] = {
    {"gpu_name", F_GPU},
    {"gpu_type", F_GPU},
    {"gpu", F_GPU},
    {"num_gpus", F_NUM_GPUS},
    {"num_gpu", F_NUM_GPUS},
    {"tp_size", F_TP},
    {"tp_degree", F_TP},
    {"tensor_parallel_size", F_TP},
    {"pp_size", F_PP},
    {"pipeline_parallel_size", F_PP},
    {"dp_size", F_DP},
    {"data_parallel_size", F_DP},
    {"input_length", F_INPUT},
    {"input_len", F_INPUT},
    {"prompt_tokens", F_INPUT},
    {"random_input_len", F_INPUT},
    {"output_length", F_OUTPUT},
    {"output_len", F_OUTPUT},
    {"random_output_len", F_OUTPUT},
    {"context_len", F_CONTEXT},
    {"max_model_len", F_CONTEXT},
    {"model_id", F_MODEL},
    {"model", F_MODEL},
    {"params_b", F_PARAMS_B},
    {"quantization", F_QUANT},
    {"interconnect", F_INTERCONNECT},
    {"concurrency", F_CONCURRENCY},
    {"max_concurrency", F_CONCURRENCY},
    {"request_rate", F_RATE},
    {"num_prompts", F_NUM_PROMPTS},
    {"method", F_METHOD},
    {"kv_cache_dtype", F_KV_DTYPE},
    {"dtype", F_DTYPE},
    {"max_num_seqs", F_MAX_NUM_SEQS},
    {"max_num_batched_tokens", F_MAX_BATCHED},
    {"block_size", F_BLOCK_SIZE},
    {"gpu_memory_utilization", F_GMU},
    {"enable_expert_parallel", F_EP},
    {"enforce_eager", F_EAGER},
    {"seed", F_SEED},
    {"dataset_name", F_DATASET},
    {"dataset", F_DATASET},
};

/* Largest integer accepted for counts and lengths (fits an int with room to multiply). */
#define MAX_INT_FIELD 1000000000LL

static const char *kind_name(const lp_value *v) {
    switch (v->kind) {
    case LP_VALUE_STRING:
        return "a string";
    case LP_VALUE_BOOL:
        return "a boolean";
    case LP_VALUE_NULL:
        return "null";
    default:
        return "another type";
    }
}

static lp_status want_int(const char *key, const lp_value *v, long long lo, long long hi,
                          long long *out, lp_error *err) {
    double d;
    if (v->kind == LP_VALUE_INT) {
        d = (double)v->integer;
    } else if (v->kind == LP_VALUE_NUMBER) {
        d = v->number;
        if (d != floor(d))
            return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: expected an integer, got %g", key, d);
    } else {
        return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: expected an integer, got %s", key,
                            kind_name(v));
    }
    if (!(d >= (double)lo && d <= (double)hi))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "%s: expected an integer in [%lld, %lld], "
                            "got %.0f",
                            key, lo, hi, d);
    *out = (long long)d;
    return LP_OK;
}

static lp_status want_number(const char *key, const lp_value *v, double *out, lp_error *err) {
    if (v->kind == LP_VALUE_INT)
        *out = (double)v->integer;
    else if (v->kind == LP_VALUE_NUMBER)
        *out = v->number;
    else
        return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: expected a number, got %s", key,
                            kind_name(v));
    if (!isfinite(*out))
        return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: expected a finite number", key);
    return LP_OK;
}

/* A string value, checked: no NUL inside, shorter than size. */
static lp_status want_text(const char *key, const lp_value *v, size_t size, lp_error *err) {
    if (v->kind != LP_VALUE_STRING)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: expected a string", key);
    if (v->len >= size)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: longer than %zu characters", key,
                            size - 1);
    if (memchr(v->string, '\0', v->len))
        return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: contains a NUL character", key);
    return LP_OK;
}

static lp_status want_string(const char *key, const lp_value *v, char *buf, size_t size,
                             lp_error *err) {
    lp_status st = want_text(key, v, size, err);
    if (st != LP_OK)
        return st;
    memcpy(buf, v->string, v->len);
    buf[v->len] = '\0';
    return LP_OK;
}

/* A string field of the request: copied into buf, or with no storage the caller's own
 * (NUL-ended) text, which then must outlive the request. */
static lp_status want_kept_string(const char *key, const lp_value *v, char *buf, size_t size,
                                  const char **out, lp_error *err) {
    lp_status st =
        buf ? want_string(key, v, buf, size, err) : want_text(key, v, LP_PERF_IO_STRING_SIZE, err);
    if (st == LP_OK)
        *out = buf ? buf : v->string;
    return st;
}

static lp_status want_bool(const char *key, const lp_value *v, bool *out, lp_error *err) {
    if (v->kind != LP_VALUE_BOOL)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: expected true or false", key);
    *out = v->boolean;
    return LP_OK;
}

static lp_status want_dtype(const char *key, const lp_value *v, lp_dtype *out, lp_error *err) {
    char buf[64];
    lp_status st = want_string(key, v, buf, sizeof buf, err);
    if (st != LP_OK)
        return st;
    lp_error inner;
    if (lp_dtype_parse(buf, out, &inner) != LP_OK)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: %s", key, inner.message);
    return LP_OK;
}

static lp_status set_field(field_id id, const char *key, const lp_value *v, lp_perf_request *r,
                           lp_perf_io_strings *st, lp_error *err) {
    long long n = 0;
    lp_status s = LP_OK;
    switch (id) {
    case F_GPU:
        return want_kept_string(key, v, st ? st->gpu_name : NULL, sizeof st->gpu_name, &r->gpu_name,
                                err);
    case F_MODEL:
        return want_kept_string(key, v, st ? st->model_id : NULL, sizeof st->model_id, &r->model_id,
                                err);
    case F_QUANT:
        if (v->kind == LP_VALUE_NULL) {
            r->serving.quantization = NULL;
            return LP_OK;
        }
        return want_kept_string(key, v, st ? st->quantization : NULL, sizeof st->quantization,
                                &r->serving.quantization, err);
    case F_INTERCONNECT: {
        char word[64];
        if ((s = want_string(key, v, word, sizeof word, err)) != LP_OK)
            return s;
        lp_error inner;
        lp_link_kind kind;
        if (lp_link_parse(word, &kind, &inner) != LP_OK)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "%s: expected \"nvlink\", \"pcie\", \"infiniband\", \"roce\", "
                                "\"ethernet\" or \"unknown\", got \"%s\"",
                                key, word);
        lp_cluster_set_link(&r->cluster, kind);
        return LP_OK;
    }
    case F_PARAMS_B:
        if ((s = want_number(key, v, &r->params_b, err)) != LP_OK)
            return s;
        if (!(r->params_b > 0))
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "%s: expected a positive number of billions", key);
        return LP_OK;
    case F_RATE:
        if (v->kind == LP_VALUE_STRING && v->len == 3 && strncasecmp(v->string, "inf", 3) == 0) {
            r->workload.request_rate = 0.0; /* 0 means inf: all requests at once */
            return LP_OK;
        }
        if ((s = want_number(key, v, &r->workload.request_rate, err)) != LP_OK)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "%s: expected a number of requests per second or \"inf\"", key);
        if (!(r->workload.request_rate > 0))
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "%s: expected a positive number of requests per second", key);
        return LP_OK;
    case F_METHOD: {
        char buf[32];
        if ((s = want_string(key, v, buf, sizeof buf, err)) != LP_OK)
            return s;
        lp_error inner;
        if (lp_method_parse(buf, &r->method, &inner) != LP_OK)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "%s: expected \"heuristic\", \"roofline\" or \"simulate\", got "
                                "\"%s\"",
                                key, buf);
        return LP_OK;
    }
    case F_KV_DTYPE:
        return want_dtype(key, v, &r->serving.kv_cache_dtype, err);
    case F_DTYPE:
        return want_dtype(key, v, &r->serving.dtype, err);
    case F_GMU:
        if ((s = want_number(key, v, &r->serving.gpu_memory_utilization, err)) != LP_OK)
            return s;
        if (!(r->serving.gpu_memory_utilization > 0 && r->serving.gpu_memory_utilization <= 1))
            return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: expected a number in (0, 1]", key);
        return LP_OK;
    case F_EP:
        return want_bool(key, v, &r->serving.enable_expert_parallel, err);
    case F_EAGER:
        return want_bool(key, v, &r->serving.enforce_eager, err);
    case F_DATASET: {
        char buf[32];
        if ((s = want_string(key, v, buf, sizeof buf, err)) != LP_OK)
            return s;
        lp_error inner;
        if (lp_dataset_parse(buf, &r->workload.dataset, &inner) != LP_OK)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "%s: expected \"random\", \"sharegpt\" or \"prefix_repetition\", "
                                "got \"%s\"",
                                key, buf);
        return LP_OK;
    }
    case F_SEED:
        if ((s = want_int(key, v, 0, 9007199254740991LL, &n, err)) == LP_OK)
            r->workload.seed = (uint64_t)n;
        return s;
    case F_CONTEXT:
        if ((s = want_int(key, v, 1, 1LL << 40, &n, err)) == LP_OK)
            r->serving.max_model_len = n;
        return s;
    case F_INPUT:
    case F_OUTPUT:
        if ((s = want_int(key, v, 1, 10000000, &n, err)) != LP_OK)
            return s;
        if (id == F_INPUT)
            r->workload.input = lp_len_fixed((double)n);
        else
            r->workload.output = lp_len_fixed((double)n);
        return LP_OK;
    default:
        break;
    }
    /* the remaining fields are plain integers */
    long long lo =
        id == F_CONCURRENCY || id == F_MAX_NUM_SEQS || id == F_MAX_BATCHED || id == F_BLOCK_SIZE
            ? 0
            : 1;
    if ((s = want_int(key, v, lo, MAX_INT_FIELD, &n, err)) != LP_OK)
        return s;
    int i = (int)n;
    switch (id) {
    case F_NUM_GPUS:
        r->cluster.num_gpus = i;
        break;
    case F_TP:
        r->serving.tensor_parallel_size = i;
        break;
    case F_PP:
        r->serving.pipeline_parallel_size = i;
        break;
    case F_DP:
        r->serving.data_parallel_size = i;
        break;
    case F_CONCURRENCY:
        r->workload.max_concurrency = i;
        break;
    case F_NUM_PROMPTS:
        r->workload.num_prompts = i;
        break;
    case F_MAX_NUM_SEQS:
        r->serving.max_num_seqs = i;
        break;
    case F_MAX_BATCHED:
        r->serving.max_num_batched_tokens = i;
        break;
    case F_BLOCK_SIZE:
        r->serving.block_size = i;
        break;
    default:
        break;
    }
    return LP_OK;
}

int lp_perf_request_field(const char *name) {
    for (size_t k = 0; name && k < sizeof FIELDS / sizeof FIELDS[0]; k++)
        if (strcmp(FIELDS[k].name, name) == 0)
            return (int)FIELDS[k].id;
    return -1;
}

void lp_perf_request_reader_init(lp_perf_request_reader *rd, lp_perf_request *r,
                                 lp_perf_io_strings *storage) {
    memset(rd, 0, sizeof *rd);
    rd->request = r;
    rd->storage = storage;
    lp_perf_request_init(r);
    if (storage)
        memset(storage, 0, sizeof *storage);
}

lp_status lp_perf_request_set_field(lp_perf_request_reader *rd, int field, const char *key,
                                    const lp_value *v, lp_error *err) {
    if (field < 0 || field >= F_COUNT)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "unknown field \"%s\" (accepted: model|model_id, params_b, "
                            "gpu|gpu_name|gpu_type, num_gpus, tp_size, pp_size, input_len, "
                            "output_len, context_len, concurrency, request_rate, num_prompts, "
                            "quantization, interconnect, method, kv_cache_dtype, seed, ...)",
                            key);
    if (rd->given[field])
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "fields \"%s\" and \"%s\" say the same thing; give one",
                            rd->given[field], key);
    lp_status st = set_field((field_id)field, key, v, rd->request, rd->storage, err);
    if (st == LP_OK)
        rd->given[field] = key;
    return st;
}

lp_status lp_perf_request_set(lp_perf_request_reader *rd, const char *key, const lp_value *v,
                              lp_error *err) {
    return lp_perf_request_set_field(rd, lp_perf_request_field(key), key, v, err);
}

lp_status lp_perf_request_reader_finish(lp_perf_request_reader *rd, lp_error *err) {
    (void)err;
    lp_perf_request *r = rd->request;
    /* the ShareGPT-like data set: the lengths given are its means (else the preset's) */
    if (r->workload.dataset == LP_DATASET_SHAREGPT)
        lp_workload_sharegpt(&r->workload, rd->given[F_INPUT] ? r->workload.input.mean : 0,
                             rd->given[F_OUTPUT] ? r->workload.output.mean : 0);
    return LP_OK;
}

lp_status lp_perf_request_from_json(const char *line, size_t len, lp_perf_request *out,
                                    lp_perf_io_strings *storage, lp_error *err) {
    lp_perf_request_reader rd;
    lp_perf_request_reader_init(&rd, out, storage);
    json_error_t jerr;
    json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return lp_error_set(err, LP_ERR_PARSE, "invalid JSON at character %d: %s",
                            jerr.position > 0 ? jerr.position : 1, jerr.text);
    if (!json_is_object(root)) {
        const char *what = json_is_array(root) ? "an array" : "a scalar";
        json_decref(root);
        return lp_error_set(err, LP_ERR_PARSE, "expected a JSON object {...}, got %s", what);
    }
    lp_status st = LP_OK;
    const char *key;
    json_t *j;
    json_object_foreach(root, key, j) {
        if (lp_json_is_mode_field(key))
            continue; /* read below, once the data set and lengths are known */
        lp_value v = lp_json_value(j);
        if ((st = lp_perf_request_set(&rd, key, &v, err)) != LP_OK)
            break;
    }
    if (st == LP_OK)
        st = lp_perf_request_reader_finish(&rd, err);
    lp_json_pool_names pools = {NULL, NULL};
    if (st == LP_OK)
        st = lp_json_read_mode_serving(root, &out->serving, &pools, err);
    if (st == LP_OK)
        st = lp_json_read_mode_workload(root, &out->workload, err);
    if (st == LP_OK && pools.prefill_gpu && storage) {
        snprintf(storage->prefill_gpu, sizeof storage->prefill_gpu, "%s", pools.prefill_gpu);
        out->prefill_gpu_name = storage->prefill_gpu;
    }
    if (st == LP_OK && pools.decode_gpu && storage) {
        snprintf(storage->decode_gpu, sizeof storage->decode_gpu, "%s", pools.decode_gpu);
        out->decode_gpu_name = storage->decode_gpu;
    }
    json_decref(root);
    return st;
}
