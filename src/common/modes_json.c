/*
 * modes_json.c - the serving-mode and shared-prefix fields of a JSON request (modes_json.h),
 * read the same way for `--batch` lines, POST /v1/estimate, /v1/plan, /v1/explain and
 * /v1/recommend. The values are checked by the library's own parsers (lp_spec_config_parse,
 * lp_disaggregation_parse, lp_kv_connector_parse, lp_workload_random_prefix ...) so that a
 * flag and a field always mean the same.
 */
#include "common/modes_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/json_get.h"

/* Largest count of instances, tokens or adapters a field takes. */
#define LP_JSON_MODE_MAX_COUNT 10000000

static const char *const MODE_FIELDS[] = {LP_JSON_MODE_SERVING_FIELDS, LP_JSON_MODE_WORKLOAD_FIELDS,
                                          NULL};

bool lp_json_is_mode_field(const char *name) {
    for (size_t i = 0; MODE_FIELDS[i]; i++)
        if (strcmp(MODE_FIELDS[i], name) == 0)
            return true;
    return false;
}

static lp_status get_count(json_t *o, const char *name, int lo, int hi, int *out, lp_error *err) {
    int64_t v = *out;
    lp_status st = lp_json_get_int(o, name, lo, hi, &v, err);
    if (st == LP_OK)
        *out = (int)v;
    return st;
}

static lp_status read_spec(json_t *o, lp_spec_config *c, lp_error *err) {
    json_t *v = lp_json_field(o, "speculative_config");
    if (!v)
        return LP_OK;
    char *text = NULL;
    const char *src;
    size_t len;
    if (json_is_string(v)) {
        src = json_string_value(v);
        len = json_string_length(v);
    } else if (json_is_object(v)) {
        text = json_dumps(v, JSON_COMPACT);
        if (!text)
            return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
        src = text;
        len = strlen(text);
    } else {
        return lp_error_set(
            err, LP_ERR_INVALID_ARG,
            "speculative_config: expected an object such as {\"method\": "
            "\"eagle3\", \"model\": \"...\", \"num_speculative_tokens\": 3}, got %s",
            lp_json_type_name(v));
    }
    lp_error inner;
    lp_status st = lp_spec_config_parse(src, len, c, &inner);
    free(text);
    if (st != LP_OK)
        return lp_error_set(err, st, "speculative_config: %s", inner.message);
    return LP_OK;
}

lp_status lp_json_read_mode_serving(json_t *o, lp_serving *s, lp_json_pool_names *names,
                                    lp_error *err) {
    lp_status st;
    bool caching = !s->enable_prefix_caching_off;
    if ((st = lp_json_get_bool(o, "enable_prefix_caching", &caching, err)) != LP_OK)
        return st;
    s->enable_prefix_caching_off = !caching;
    if ((st = read_spec(o, &s->speculative, err)) != LP_OK ||
        (st = lp_json_get_num(o, "acceptance_rate", 0, true, 1, &s->speculative.acceptance_rate,
                              err)) != LP_OK)
        return st;
    if (s->speculative.acceptance_rate > 0 && s->speculative.method == LP_SPEC_NONE)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "acceptance_rate: give it with a speculative_config");
    lp_lora_config *l = &s->lora;
    if ((st = lp_json_get_bool(o, "enable_lora", &l->enable_lora, err)) != LP_OK ||
        (st = get_count(o, "max_loras", 1, 4096, &l->max_loras, err)) != LP_OK ||
        (st = get_count(o, "max_lora_rank", 1, 512, &l->max_lora_rank, err)) != LP_OK ||
        (st = get_count(o, "max_cpu_loras", 1, 1 << 20, &l->max_cpu_loras, err)) != LP_OK)
        return st;
    lp_error inner;
    if ((st = lp_lora_check(l, &inner)) != LP_OK)
        return lp_error_set(err, st, "enable_lora: %s", inner.message);
    lp_disaggregation *d = &s->disaggregation;
    const char *shape = NULL, *connector = NULL;
    if ((st = lp_json_get_str(o, "disaggregation", &shape, err)) != LP_OK ||
        (st = lp_json_get_str(o, "kv_connector", &connector, err)) != LP_OK ||
        (st = get_count(o, "prefill_tensor_parallel_size", 1, 1024,
                        &d->prefill_tensor_parallel_size, err)) != LP_OK ||
        (st = get_count(o, "decode_tensor_parallel_size", 1, 1024, &d->decode_tensor_parallel_size,
                        err)) != LP_OK ||
        (st = lp_json_get_str(o, "prefill_gpu", &names->prefill_gpu, err)) != LP_OK ||
        (st = lp_json_get_str(o, "decode_gpu", &names->decode_gpu, err)) != LP_OK)
        return st;
    if (shape && (st = lp_disaggregation_parse(shape, d, &inner)) != LP_OK)
        return lp_error_set(err, st, "disaggregation: %s", inner.message);
    if (connector && (st = lp_kv_connector_parse(connector, &d->kv_connector, &inner)) != LP_OK)
        return lp_error_set(err, st, "kv_connector: %s", inner.message);
    bool pool_fields = connector || names->prefill_gpu || names->decode_gpu ||
                       d->prefill_tensor_parallel_size > 0 || d->decode_tensor_parallel_size > 0;
    if (pool_fields && !lp_disaggregated(s))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "kv_connector, prefill_* and decode_* fields need \"disaggregation\" "
                            "(\"1P1D\", ...)");
    return LP_OK;
}

/* "lora_modules": a count, an array of names or one comma/space-separated string of them. */
static lp_status read_lora_modules(json_t *o, int *out, lp_error *err) {
    json_t *v = lp_json_field(o, "lora_modules");
    if (!v)
        return LP_OK;
    if (json_is_array(v)) {
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n; i++)
            if (!json_is_string(json_array_get(v, i)))
                return lp_error_set(err, LP_ERR_INVALID_ARG,
                                    "lora_modules: expected adapter names (strings)");
        if (n > LP_JSON_MODE_MAX_COUNT)
            return lp_error_set(err, LP_ERR_INVALID_ARG, "lora_modules: too many names");
        *out = (int)n;
        return LP_OK;
    }
    if (json_is_string(v)) {
        *out = lp_workload_count_names(json_string_value(v));
        return LP_OK;
    }
    return get_count(o, "lora_modules", 0, LP_JSON_MODE_MAX_COUNT, out, err);
}

/* "burstiness": a number above 0, or "inf" (evenly spaced sends), as --burstiness takes it. */
static lp_status read_burstiness(json_t *o, double *out, lp_error *err) {
    json_t *v = lp_json_field(o, "burstiness");
    if (v && json_is_string(v) && strcasecmp(json_string_value(v), "inf") == 0) {
        *out = INFINITY;
        return LP_OK;
    }
    if (v && !json_is_number(v))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "burstiness: expected a number above 0 or \"inf\", got %s",
                            lp_json_type_name(v));
    return lp_json_get_num(o, "burstiness", 0, true, LP_MAX_BURSTINESS, out, err);
}

/* Spellings of the output length a request may carry (the --batch reader's aliases too). */
static const char *const OUTPUT_LEN_FIELDS[] = {"output_len", "output_length", "random_output_len",
                                                NULL};

/* "sharegpt_output_len": every ShareGPT output fixed, not with an output length beside it. */
static lp_status read_sharegpt_output_len(json_t *o, lp_workload *w, lp_error *err) {
    if (!lp_json_field(o, "sharegpt_output_len"))
        return LP_OK;
    for (size_t i = 0; OUTPUT_LEN_FIELDS[i]; i++)
        if (lp_json_field(o, OUTPUT_LEN_FIELDS[i]))
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "sharegpt_output_len and %s both set the output length; give one",
                                OUTPUT_LEN_FIELDS[i]);
    int64_t n = 0;
    lp_status st = lp_json_get_int(o, "sharegpt_output_len", 1, LP_JSON_MODE_MAX_COUNT, &n, err);
    if (st != LP_OK)
        return st;
    lp_error inner;
    if ((st = lp_workload_sharegpt_output_len(w, n, &inner)) != LP_OK)
        return lp_error_set(err, st, "sharegpt_output_len: %s", inner.message);
    return LP_OK;
}

lp_status lp_json_read_mode_workload(json_t *o, lp_workload *w, lp_error *err) {
    int prefix = 0, pr_prefix = 0, pr_suffix = 0, pr_num = 0, pr_out = 0;
    lp_status st;
    if ((st = read_burstiness(o, &w->burstiness, err)) != LP_OK ||
        (st = read_sharegpt_output_len(o, w, err)) != LP_OK)
        return st;
    if ((st = get_count(o, "random_prefix_len", 0, LP_JSON_MODE_MAX_COUNT, &prefix, err)) !=
            LP_OK ||
        (st = get_count(o, "prefix_repetition_prefix_len", 1, LP_JSON_MODE_MAX_COUNT, &pr_prefix,
                        err)) != LP_OK ||
        (st = get_count(o, "prefix_repetition_suffix_len", 1, LP_JSON_MODE_MAX_COUNT, &pr_suffix,
                        err)) != LP_OK ||
        (st = get_count(o, "prefix_repetition_num_prefixes", 1, LP_JSON_MODE_MAX_COUNT, &pr_num,
                        err)) != LP_OK ||
        (st = get_count(o, "prefix_repetition_output_len", 1, LP_JSON_MODE_MAX_COUNT, &pr_out,
                        err)) != LP_OK ||
        (st = get_count(o, "num_turns", 0, LP_JSON_MODE_MAX_COUNT, &w->num_turns, err)) != LP_OK ||
        (st = read_lora_modules(o, &w->num_lora_modules, err)) != LP_OK)
        return st;
    bool repetition = pr_prefix || pr_suffix || pr_num || pr_out;
    if (w->dataset == LP_DATASET_PREFIX_REPETITION)
        lp_workload_prefix_repetition(w, pr_prefix, pr_suffix, pr_num, pr_out);
    else if (repetition)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "prefix_repetition_* fields need \"dataset_name\": "
                            "\"prefix_repetition\"");
    lp_error inner;
    if (prefix > 0 && (st = lp_workload_random_prefix(w, prefix, &inner)) != LP_OK)
        return lp_error_set(err, st, "random_prefix_len: %s", inner.message);
    return LP_OK;
}
