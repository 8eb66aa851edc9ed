/*
 * api.c - the JSON API of `llmplan serve` as one pure function: request in, response out.
 *
 * Each endpoint reads a JSON object whose fields are spelled as vLLM spells its engine
 * arguments (tensor_parallel_size, max_model_len, ...; "-" and "_" are the same), checks every
 * field's type and range and names the field when one is wrong, calls the library and renders
 * with the renderers the CLI uses for --json: a response body is exactly what the matching
 * `llmplan ... --json` prints. Bad input is a 4xx with {"error": "..."}; nothing a client sends
 * can stop the server.
 *
 * It deliberately does not load models from paths or the local Hugging Face cache: a client
 * names a catalog id or pastes a config.json object, so no request can make the server open a
 * file. It does not speak HTTP either (server.c does), so tests can call it directly.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "llmplan/artifacts.h"
#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/perf.h"
#include "llmplan/perf_io.h"
#include "llmplan/render.h"
#include "llmplan/search.h"
#include "llmplan/usecase.h"
#include "llmplan/web.h"
#include "web/web_internal.h"

/* Limits as `llmplan plan` / `recommend` check them (src/cli/cmd_plan.c, cmd_recommend.c). */
#define MAX_PARALLEL 1024
#define MAX_NUM_GPUS 65536
#define MAX_NUM_SEQS (1 << 20)
#define MAX_BATCHED_TOKENS (1 << 24)
#define MAX_BLOCK_SIZE 4096
#define MAX_MODEL_LEN (1LL << 40)
#define MAX_LEN_TOKENS 10000000
/* The simulation costs time per prompt; a web request gets at most this many (the CLI has no
 * such limit). */
#define MAX_SIMULATE_PROMPTS 10000
/* Most GPU types one recommend request may name, and most configurations it may return. */
#define MAX_GPU_TYPES 64
#define MAX_TOP 100
/* Seconds in a day, for daily_output_tokens (as `llmplan recommend`). */
#define SECONDS_PER_DAY 86400.0
/* Longest string field accepted (ids, names, dtypes). */
#define MAX_STRING_BYTES 512

static const char JSON_TYPE[] = "application/json";

/* ---- failures and responses --------------------------------------------------------------- */

/* Why a request is refused: an HTTP status and one sentence. */
typedef struct {
    int status;
    char message[LP_ERROR_MESSAGE_SIZE];
} api_fail;

static bool fail(api_fail *f, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static bool fail(api_fail *f, int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof f->message, fmt, ap);
    va_end(ap);
    f->status = status;
    return false;
}

/* HTTP status for a library status. */
static int http_status(lp_status st) {
    switch (st) {
    case LP_ERR_NOT_FOUND:
        return 404;
    case LP_ERR_INFEASIBLE:
        return 422;
    case LP_ERR_LIMIT:
        return 413; /* more work than the server computes for one request */
    case LP_ERR_NOMEM:
    case LP_ERR_IO:
        return 500;
    default:
        return 400;
    }
}

static bool fail_lp(api_fail *f, const char *prefix, const lp_error *err) {
    const char *msg = err->message[0] ? err->message : lp_strerror(err->code);
    if (prefix)
        return fail(f, http_status(err->code), "%s: %s", prefix, msg);
    return fail(f, http_status(err->code), "%s", msg);
}

static void set_body(lp_web_response *out, int status, char *body, size_t len) {
    out->status = status;
    out->content_type = JSON_TYPE;
    out->body = body;
    out->body_len = len;
    out->body_static = false;
}

/* {"error": message} with the given status. */
static lp_status respond_error(lp_web_response *out, int status, const char *message) {
    json_t *o = json_object();
    char *text = NULL;
    if (o && json_object_set_new(o, "error", json_string(message)) == 0)
        text = json_dumps(o, JSON_INDENT(2));
    json_decref(o);
    if (!text) {
        set_body(out, 500, NULL, 0);
        return LP_ERR_NOMEM;
    }
    size_t len = strlen(text);
    /* json_dumps allocates with jansson's allocator (malloc by default); copy so that the
     * caller frees with free() whatever jansson was configured with */
    char *body = malloc(len + 2);
    if (!body) {
        free(text);
        set_body(out, 500, NULL, 0);
        return LP_ERR_NOMEM;
    }
    memcpy(body, text, len);
    body[len] = '\n';
    body[len + 1] = '\0';
    free(text);
    set_body(out, status, body, len + 1);
    return LP_OK;
}

static lp_status respond_fail(lp_web_response *out, const api_fail *f) {
    return respond_error(out, f->status ? f->status : 400, f->message);
}

/* A memory FILE the renderers write into. */
typedef struct {
    FILE *f;
    char *buf;
    size_t len;
} mem_out;

static bool mem_open(mem_out *m) {
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    return m->f != NULL;
}

/* Close the stream and hand its text to the response (or free it when rendering failed). */
static lp_status mem_respond(mem_out *m, lp_status rendered, int status, lp_web_response *out) {
    bool closed = fclose(m->f) == 0;
    if (rendered != LP_OK || !closed || !m->buf) {
        free(m->buf);
        return respond_error(out, 500, "rendering the response failed (out of memory?)");
    }
    set_body(out, status, m->buf, m->len);
    return LP_OK;
}

/* ---- reading fields ---------------------------------------------------------------------- */

static const char *type_name(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

/* Parse the body as one JSON object. */
static json_t *parse_object(const lp_web_request *req, api_fail *f) {
    if (!req->body || req->body_len == 0) {
        fail(f, 400, "the request body is empty: send one JSON object");
        return NULL;
    }
    json_error_t je;
    json_t *root = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        fail(f, 400, "the request body is not valid JSON: %s (line %d, column %d)", je.text,
             je.line, je.column);
        return NULL;
    }
    if (!json_is_object(root)) {
        fail(f, 400, "the request body must be a JSON object, got %s", type_name(root));
        json_decref(root);
        return NULL;
    }
    return root;
}

/*
 * A copy of obj whose keys are spelled with '_' for '-' (vLLM's flags use '-', its Python
 * arguments '_'), checked against allowed: an unknown field or one given in both spellings is
 * an error naming it.
 */
static json_t *normalize_fields(json_t *obj, const char *const *allowed, const char *endpoint,
                                api_fail *f) {
    json_t *norm = json_object();
    if (!norm) {
        fail(f, 500, "out of memory");
        return NULL;
    }
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        char name[64];
        size_t n = strlen(key);
        bool known = false;
        if (n < sizeof name) {
            for (size_t i = 0; i <= n; i++)
                name[i] = key[i] == '-' ? '_' : key[i];
            for (size_t i = 0; allowed[i] && !known; i++)
                known = strcmp(allowed[i], name) == 0;
        }
        if (!known) {
            char list[1024];
            size_t used = 0;
            list[0] = '\0';
            for (size_t i = 0; allowed[i] && used < sizeof list; i++) {
                int w =
                    snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", allowed[i]);
                used += w > 0 ? (size_t)w : 0;
            }
            fail(f, 400, "%s: unknown field \"%.100s\" (accepted: %s)", endpoint, key, list);
            json_decref(norm);
            return NULL;
        }
        if (json_object_get(norm, name)) {
            fail(f, 400, "%s: field \"%s\" is given twice (as \"-\" and \"_\" spellings)", endpoint,
                 name);
            json_decref(norm);
            return NULL;
        }
        if (json_object_set(norm, name, value) != 0) {
            fail(f, 500, "out of memory");
            json_decref(norm);
            return NULL;
        }
    }
    return norm;
}

/* The value of a field, or NULL when absent or null (null means "the default"). */
static json_t *field(json_t *o, const char *name) {
    json_t *v = json_object_get(o, name);
    return v && !json_is_null(v) ? v : NULL;
}

static bool get_int(json_t *o, const char *name, int64_t lo, int64_t hi, int64_t *out,
                    api_fail *f) {
    json_t *v = field(o, name);
    if (!v)
        return true;
    double d;
    if (json_is_integer(v))
        d = (double)json_integer_value(v);
    else if (json_is_real(v) && floor(json_real_value(v)) == json_real_value(v))
        d = json_real_value(v);
    else
        return fail(f, 400, "%s: expected an integer between %lld and %lld, got %s", name,
                    (long long)lo, (long long)hi, type_name(v));
    if (!(d >= (double)lo && d <= (double)hi))
        return fail(f, 400, "%s: expected an integer between %lld and %lld, got %.17g", name,
                    (long long)lo, (long long)hi, d);
    *out = (int64_t)d;
    return true;
}

/* A number in [lo, hi] (lo excluded when lo_open). */
static bool get_num(json_t *o, const char *name, double lo, bool lo_open, double hi, double *out,
                    api_fail *f) {
    json_t *v = field(o, name);
    if (!v)
        return true;
    if (!json_is_number(v))
        return fail(f, 400, "%s: expected a number, got %s", name, type_name(v));
    double d = json_number_value(v);
    if (!isfinite(d) || (lo_open ? !(d > lo) : !(d >= lo)) || !(d <= hi))
        return fail(f, 400, "%s: expected a number in %s%g, %g], got %g", name, lo_open ? "(" : "[",
                    lo, hi, d);
    *out = d;
    return true;
}

static bool get_bool(json_t *o, const char *name, bool *out, api_fail *f) {
    json_t *v = field(o, name);
    if (!v)
        return true;
    if (!json_is_boolean(v))
        return fail(f, 400, "%s: expected true or false, got %s", name, type_name(v));
    *out = json_is_true(v);
    return true;
}

/* A string field; *out points into o (valid while o lives). */
static bool get_str(json_t *o, const char *name, const char **out, api_fail *f) {
    json_t *v = field(o, name);
    if (!v)
        return true;
    if (!json_is_string(v))
        return fail(f, 400, "%s: expected a string, got %s", name, type_name(v));
    if (json_string_length(v) == 0 || json_string_length(v) > MAX_STRING_BYTES ||
        strlen(json_string_value(v)) != json_string_length(v))
        return fail(f, 400, "%s: expected a non-empty string of at most %d bytes", name,
                    MAX_STRING_BYTES);
    *out = json_string_value(v);
    return true;
}

/* ---- models and GPUs --------------------------------------------------------------------- */

/*
 * Per-thread caches of the two lookups every request repeats. Forgiving GPU-name matching and
 * parsing a catalog config cost about 27 and 12 us, a third of a plan request; the answers
 * never change (the embedded tables are immutable), so each server thread keeps its last few.
 * Only successes are cached; thread-local, so no locks and nothing shared.
 */
#define GPU_CACHE_SLOTS 8
#define MODEL_CACHE_SLOTS 4
typedef struct {
    char name[64];
    const lp_gpu *gpu;
} gpu_slot;
typedef struct {
    char id[192];
    lp_model model;
} model_slot;
static _Thread_local gpu_slot t_gpus[GPU_CACHE_SLOTS];
static _Thread_local unsigned t_gpu_next;
static _Thread_local model_slot t_models[MODEL_CACHE_SLOTS];
static _Thread_local unsigned t_model_next;

static lp_status cached_gpu_find(const char *name, const lp_gpu **out, lp_error *err) {
    bool cacheable = strlen(name) < sizeof t_gpus[0].name;
    for (unsigned i = 0; cacheable && i < GPU_CACHE_SLOTS; i++)
        if (t_gpus[i].gpu && strcmp(t_gpus[i].name, name) == 0) {
            *out = t_gpus[i].gpu;
            return LP_OK;
        }
    lp_status st = lp_gpu_find(lp_gpu_db_builtin(), name, out, err);
    if (st == LP_OK && cacheable) {
        gpu_slot *slot = &t_gpus[t_gpu_next++ % GPU_CACHE_SLOTS];
        snprintf(slot->name, sizeof slot->name, "%s", name);
        slot->gpu = *out;
    }
    return st;
}

static lp_status cached_catalog_load(const char *id, lp_model *out, lp_error *err) {
    bool cacheable = strlen(id) < sizeof t_models[0].id;
    for (unsigned i = 0; cacheable && i < MODEL_CACHE_SLOTS; i++)
        if (t_models[i].id[0] && strcmp(t_models[i].id, id) == 0) {
            *out = t_models[i].model;
            return LP_OK;
        }
    lp_status st = lp_catalog_load(id, out, err);
    if (st == LP_OK && cacheable) {
        model_slot *slot = &t_models[t_model_next++ % MODEL_CACHE_SLOTS];
        snprintf(slot->id, sizeof slot->id, "%s", id);
        slot->model = *out;
    }
    return st;
}

/* An unknown model: the library's message suggests paths, which the server does not read. */
static bool fail_model(api_fail *f, lp_error *err) {
    char *tail = strstr(err->message, " (a config.json path");
    if (tail)
        snprintf(tail, sizeof err->message - (size_t)(tail - err->message),
                 " (or paste its config.json as \"config\")");
    return fail_lp(f, "model", err);
}

/* "model" (a catalog id) or "config" (a pasted config.json object) into *m. */
static bool load_model(json_t *o, lp_model *m, api_fail *f) {
    const char *id = NULL;
    json_t *config = field(o, "config");
    if (!get_str(o, "model", &id, f))
        return false;
    if (id && config)
        return fail(f, 400,
                    "give either \"model\" (a catalog id) or \"config\" (a config.json "
                    "object), not both");
    lp_error err;
    lp_error_clear(&err);
    if (config) {
        if (!json_is_object(config))
            return fail(f, 400, "config: expected a config.json object, got %s", type_name(config));
        char *text = json_dumps(config, JSON_COMPACT);
        if (!text)
            return fail(f, 500, "out of memory");
        lp_status st = lp_model_from_config_json(text, strlen(text), "config", m, &err);
        free(text);
        if (st != LP_OK)
            return fail_lp(f, "config", &err);
        return true;
    }
    if (!id)
        return fail(f, 400,
                    "give \"model\" (a catalog id, see GET /v1/models) or \"config\" (a "
                    "config.json object)");
    if (cached_catalog_load(id, m, &err) != LP_OK)
        return fail_model(f, &err);
    return true;
}

static bool find_gpu(const char *name, const lp_gpu **out, api_fail *f) {
    lp_error err;
    lp_error_clear(&err);
    if (cached_gpu_find(name, out, &err) != LP_OK)
        return fail_lp(f, "gpu", &err);
    return true;
}

/* ---- POST /v1/plan ----------------------------------------------------------------------- */

/* Per-request working memory (the model and plan structs are a few KB each: not the stack of
 * a server thread). */
typedef struct {
    lp_request_store store;
    lp_plan_result plan;
    lp_estimate_request estimate_req;
    lp_estimate_result estimate;
    lp_model model;
    lp_perf_request req;
    lp_perf_estimate est;
    lp_perf_io_strings strings;
    lp_search_spec spec;
} api_work;

/* The server's lookups for the use cases' readers: the embedded catalog and GPU table, with
 * the per-thread caches above; never a path, the HF cache or the Hub. */
static lp_status resolve_model(void *ctx, const char *id, lp_model *out, lp_error *err) {
    (void)ctx;
    return cached_catalog_load(id, out, err);
}

static lp_status resolve_gpu(void *ctx, const char *name, const lp_gpu **out, lp_error *err) {
    (void)ctx;
    return cached_gpu_find(name, out, err);
}

static const lp_resolver WEB_RESOLVER = {resolve_model, resolve_gpu, NULL, NULL, false};

static lp_status handle_plan(const lp_web_request *req, api_work *w, lp_web_response *out) {
    lp_error err;
    lp_error_clear(&err);
    lp_plan_request pr;
    lp_status st =
        lp_plan_request_from_json(req->body, req->body_len, &WEB_RESOLVER, &w->store, &pr, &err);
    if (st == LP_OK)
        st = lp_plan(&pr, &w->plan, &err);
    if (st != LP_OK)
        return respond_error(out, http_status(st), err.message);
    mem_out m;
    if (!mem_open(&m))
        return respond_error(out, 500, "out of memory");
    return mem_respond(&m, lp_render_plan_json(m.f, w->plan.model, w->plan.gpu, &w->plan.plan), 200,
                       out);
}

/* ---- POST /v1/estimate ------------------------------------------------------------------- */

static lp_status handle_estimate(const lp_web_request *req, api_work *w, lp_web_response *out) {
    lp_error err;
    lp_error_clear(&err);
    lp_estimate_request *r = &w->estimate_req;
    lp_status st =
        lp_estimate_request_from_json(req->body, req->body_len, &WEB_RESOLVER, &w->store, r, &err);
    if (st != LP_OK)
        return respond_error(out, http_status(st), err.message);
    if (r->perf.method == LP_SIMULATE && r->perf.workload.num_prompts > MAX_SIMULATE_PROMPTS) {
        char msg[128];
        snprintf(msg, sizeof msg, "num_prompts: at most %d with method \"simulate\" on the server",
                 MAX_SIMULATE_PROMPTS);
        return respond_error(out, 400, msg);
    }
    st = lp_estimate(r, &w->estimate);
    mem_out m;
    if (!mem_open(&m))
        return respond_error(out, 500, "out of memory");
    return mem_respond(&m, lp_render_estimate_json(m.f, &w->estimate, 0, true),
                       st == LP_OK ? 200 : http_status(st), out);
}

/* ---- POST /v1/recommend ------------------------------------------------------------------ */

static const char *const RECOMMEND_FIELDS[] = {"model",
                                               "config",
                                               "gpus",
                                               "max_gpus",
                                               "gpus_per_node",
                                               "allow_multi_node_tp",
                                               "allow_quantization",
                                               "no_fp8_kv",
                                               "no_expert_parallel",
                                               "max_model_len",
                                               "gpu_memory_utilization",
                                               "vllm_version",
                                               "input_len",
                                               "output_len",
                                               "num_prompts",
                                               "request_rate",
                                               "max_concurrency",
                                               "daily_output_tokens",
                                               "max_ttft_ms",
                                               "max_tpot_ms",
                                               "max_itl_ms",
                                               "max_e2e_ms",
                                               "percentile",
                                               "min_throughput",
                                               "objective",
                                               "top",
                                               NULL};

/* "gpus": an array of names or one comma-separated string; absent: every GPU. */
static bool recommend_gpus(json_t *o, const lp_gpu **list, size_t *n, api_fail *f) {
    json_t *v = field(o, "gpus");
    *n = 0;
    if (!v)
        return true;
    char buf[MAX_STRING_BYTES + 1];
    if (json_is_string(v)) {
        snprintf(buf, sizeof buf, "%s", json_string_value(v));
        for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            while (isspace((unsigned char)*tok))
                tok++;
            if (!*tok)
                continue;
            if (*n >= MAX_GPU_TYPES)
                return fail(f, 400, "gpus: at most %d GPU types", MAX_GPU_TYPES);
            if (!find_gpu(tok, &list[*n], f))
                return false;
            (*n)++;
        }
        return true;
    }
    if (!json_is_array(v))
        return fail(f, 400,
                    "gpus: expected an array of GPU names or a comma-separated string, "
                    "got %s",
                    type_name(v));
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
        if (!json_is_string(item))
            return fail(f, 400, "gpus[%zu]: expected a GPU name, got %s", i, type_name(item));
        if (*n >= MAX_GPU_TYPES)
            return fail(f, 400, "gpus: at most %d GPU types", MAX_GPU_TYPES);
        if (!find_gpu(json_string_value(item), &list[*n], f))
            return false;
        (*n)++;
    }
    return true;
}

/* The search spec, read as `llmplan recommend` reads its flags (defaults included). */
static bool recommend_spec(json_t *o, lp_search_spec *spec, int64_t *top, int64_t *prompts,
                           api_fail *f) {
    int64_t max_gpus = 8, per_node = 8, max_len = 0, in = 1024, outl = 128;
    int64_t conc = 0, pct = 50;
    double rate = 0, daily = 0;
    if (!get_int(o, "max_gpus", 1, MAX_NUM_GPUS, &max_gpus, f) ||
        !get_int(o, "gpus_per_node", 1, MAX_PARALLEL, &per_node, f) ||
        !get_int(o, "max_model_len", 0, MAX_MODEL_LEN, &max_len, f) ||
        !get_int(o, "input_len", 1, MAX_LEN_TOKENS, &in, f) ||
        !get_int(o, "output_len", 1, MAX_LEN_TOKENS, &outl, f) ||
        !get_int(o, "num_prompts", 1, MAX_LEN_TOKENS, prompts, f) ||
        !get_int(o, "max_concurrency", 0, MAX_LEN_TOKENS, &conc, f) ||
        !get_int(o, "percentile", 50, 99, &pct, f) || !get_int(o, "top", 1, MAX_TOP, top, f) ||
        !get_num(o, "request_rate", 0, false, 1e9, &rate, f) ||
        !get_num(o, "daily_output_tokens", 0, false, 1e18, &daily, f) ||
        !get_num(o, "max_ttft_ms", 0, false, 1e12, &spec->targets.max_ttft_ms, f) ||
        !get_num(o, "max_tpot_ms", 0, false, 1e12, &spec->targets.max_tpot_ms, f) ||
        !get_num(o, "max_itl_ms", 0, false, 1e12, &spec->targets.max_itl_ms, f) ||
        !get_num(o, "max_e2e_ms", 0, false, 1e12, &spec->targets.max_e2e_ms, f) ||
        !get_num(o, "min_throughput", 0, false, 1e15, &spec->targets.min_output_tok_s, f) ||
        !get_num(o, "gpu_memory_utilization", 0, true, 1, &spec->gpu_memory_utilization, f) ||
        !get_bool(o, "allow_multi_node_tp", &spec->allow_multi_node_tp, f) ||
        !get_bool(o, "allow_quantization", &spec->allow_quantization, f) ||
        !get_bool(o, "no_fp8_kv", &spec->no_fp8_kv, f) ||
        !get_bool(o, "no_expert_parallel", &spec->no_expert_parallel, f))
        return false;
    if (pct != 50 && pct != 90 && pct != 99)
        return fail(f, 400, "percentile: expected 50, 90 or 99");
    if (rate > 0 && daily > 0)
        return fail(f, 400, "give either request_rate or daily_output_tokens");
    const char *objective = NULL, *version = NULL;
    lp_error err;
    if (!get_str(o, "objective", &objective, f) || !get_str(o, "vllm_version", &version, f))
        return false;
    if (objective && lp_objective_parse(objective, &spec->objective, &err) != LP_OK)
        return fail_lp(f, "objective", &err);
    if (version && lp_vllm_version_parse(version, &spec->vllm_version, &err) != LP_OK)
        return fail_lp(f, "vllm_version", &err);
    spec->max_gpus = (int)max_gpus;
    spec->gpus_per_node = (int)per_node;
    spec->max_model_len = max_len;
    spec->workload.input = lp_len_fixed((double)in);
    spec->workload.output = lp_len_fixed((double)outl);
    spec->workload.request_rate = rate;
    spec->workload.max_concurrency = (int)conc;
    spec->daily_output_tokens = daily;
    spec->targets.percentile = (int)pct;
    return true;
}

/* Shell-quote one word into buf (as `llmplan recommend` prints `vllm serve` commands). */
static void shell_word(char *buf, size_t size, size_t *used, const char *word) {
    bool safe = *word != '\0';
    for (const char *p = word; *p && safe; p++)
        safe = isalnum((unsigned char)*p) || strchr("_@%+=:,./-", *p) != NULL;
    if (strcmp(word, "$MASTER_ADDR") == 0)
        safe = true;
    size_t u = *used;
#define PUT(ch)                                                                                    \
    do {                                                                                           \
        if (u + 1 < size)                                                                          \
            buf[u] = (ch);                                                                         \
        u++;                                                                                       \
    } while (0)
    if (!safe)
        PUT('\'');
    for (const char *p = word; *p; p++) {
        if (!safe && *p == '\'') {
            PUT('\'');
            PUT('\\');
            PUT('\'');
            PUT('\'');
        } else {
            PUT(*p);
        }
    }
    if (!safe)
        PUT('\'');
#undef PUT
    *used = u;
}

/* The `vllm serve` command of a candidate, malloc'd, or NULL. */
static char *serve_command(const char *model_spec, const lp_candidate *c, int gpus_per_node) {
    lp_deploy d;
    memset(&d, 0, sizeof d);
    d.model = model_spec;
    d.gpu = c->gpu;
    d.num_gpus = c->num_gpus;
    d.gpus_per_node = gpus_per_node;
    lp_candidate_serving(c, &d.serving);
    lp_args_opts ao;
    memset(&ao, 0, sizeof ao);
    ao.form = LP_ARGS_VLLM_SERVE;
    if (lp_artifact_num_nodes(&d) > 1)
        ao.master_addr = "$MASTER_ADDR";
    char **argv = NULL;
    int argc = 0;
    lp_error err;
    if (lp_artifact_vllm_args(&d, &ao, &argv, &argc, &err) != LP_OK)
        return NULL;
    size_t cap = 1;
    for (int i = 0; i < argc; i++)
        cap += 4 * strlen(argv[i]) + 3;
    char *buf = malloc(cap);
    if (buf) {
        size_t used = 0;
        for (int i = 0; i < argc; i++) {
            if (i > 0 && used + 1 < cap)
                buf[used++] = ' ';
            shell_word(buf, cap, &used, argv[i]);
        }
        buf[used < cap ? used : cap - 1] = '\0';
    }
    lp_artifact_args_free(argv, argc);
    return buf;
}

static lp_status handle_recommend(const lp_web_request *req, api_work *w, lp_web_response *out) {
    api_fail f = {0, ""};
    json_t *root = parse_object(req, &f);
    json_t *o = root ? normalize_fields(root, RECOMMEND_FIELDS, "/v1/recommend", &f) : NULL;
    lp_search_spec *spec = &w->spec;
    lp_search_spec_init(spec);
    const lp_gpu *gpus[MAX_GPU_TYPES];
    size_t n_gpus = 0;
    int64_t top = 10, prompts = 1000;
    bool ok = o && recommend_spec(o, spec, &top, &prompts, &f) &&
              recommend_gpus(o, gpus, &n_gpus, &f) && load_model(o, &w->model, &f);
    const char *model_spec = NULL;
    if (ok && !get_str(o, "model", &model_spec, &f))
        ok = false;
    if (ok && !model_spec)
        model_spec = w->model.id[0] ? w->model.id : "config.json";
    lp_search_result result;
    memset(&result, 0, sizeof result);
    bool searched = false;
    if (ok) {
        spec->model = &w->model;
        spec->gpus = n_gpus ? gpus : NULL;
        spec->n_gpus = n_gpus;
        lp_error err;
        lp_error_clear(&err);
        if (lp_search_run(spec, &result, &err) != LP_OK)
            ok = fail_lp(&f, NULL, &err);
        else
            searched = true;
    }
    lp_status st = LP_OK;
    size_t shown = searched && (size_t)top < result.n_ranked ? (size_t)top : result.n_ranked;
    lp_perf_estimate *ests = shown ? calloc(shown, sizeof *ests) : NULL;
    char **serve = shown ? calloc(shown, sizeof *serve) : NULL;
    if (ok && shown && (!ests || !serve))
        ok = fail(&f, 500, "out of memory");
    if (ok) {
        /* the search keeps one latency per quantity; re-estimate the shown configurations for
         * every statistic, as `llmplan recommend` does */
        for (size_t i = 0; i < shown; i++) {
            const lp_candidate *c = &result.ranked[i];
            lp_perf_request *r = &w->req;
            lp_perf_request_init(r);
            r->model = &w->model;
            r->cluster.gpu = c->gpu;
            r->cluster.num_gpus = c->num_gpus;
            lp_candidate_serving(c, &r->serving);
            r->method = LP_ROOFLINE;
            r->workload.num_prompts = (int)prompts;
            r->workload.input = spec->workload.input;
            r->workload.output = spec->workload.output;
            r->workload.request_rate = spec->workload.request_rate;
            r->workload.max_concurrency =
                spec->workload.request_rate > 0 ? 0 : spec->workload.max_concurrency;
            if (!(r->workload.request_rate > 0) && !(r->workload.max_concurrency > 0) &&
                spec->daily_output_tokens > 0) {
                double mean_out = lp_len_mean(&spec->workload.output);
                if (mean_out > 0)
                    r->workload.request_rate =
                        spec->daily_output_tokens / SECONDS_PER_DAY / mean_out;
            }
            lp_estimate_performance(r, &ests[i]); /* an invalid one renders as nulls */
            serve[i] = serve_command(model_spec, c, spec->gpus_per_node);
        }
        lp_recommend_view v;
        memset(&v, 0, sizeof v);
        v.model_id = model_spec;
        v.spec = spec;
        v.result = &result;
        v.top = shown;
        v.estimates = ests;
        v.vllm_serve = (const char *const *)serve;
        v.chosen = 0;
        mem_out m;
        if (!mem_open(&m))
            st = respond_error(out, 500, "out of memory");
        else
            st = mem_respond(&m, lp_render_recommend_json(m.f, &v), 200, out);
    } else {
        st = respond_fail(out, &f);
    }
    for (size_t i = 0; serve && i < shown; i++)
        free(serve[i]);
    free(serve);
    free(ests);
    if (searched)
        lp_search_result_free(&result);
    json_decref(o);
    json_decref(root);
    return st;
}

/* ---- GET endpoints ----------------------------------------------------------------------- */

/* The GPU table and catalog as JSON never change: rendered once, shared read-only. */
static pthread_once_t g_tables_once = PTHREAD_ONCE_INIT;
static char *g_gpus_json, *g_models_json;
static size_t g_gpus_len, g_models_len;

static void render_tables(void) {
    mem_out m;
    if (mem_open(&m)) {
        lp_status st = lp_render_gpus(m.f, lp_gpu_db_builtin(), true);
        if (fclose(m.f) == 0 && st == LP_OK) {
            g_gpus_json = m.buf;
            g_gpus_len = m.len;
        } else {
            free(m.buf);
        }
    }
    if (mem_open(&m)) {
        lp_status st = lp_render_catalog(m.f, true);
        if (fclose(m.f) == 0 && st == LP_OK) {
            g_models_json = m.buf;
            g_models_len = m.len;
        } else {
            free(m.buf);
        }
    }
}

static lp_status respond_copy(lp_web_response *out, const char *text, size_t len) {
    if (!text)
        return respond_error(out, 500, "the embedded tables could not be rendered (build defect)");
    char *body = malloc(len + 1);
    if (!body)
        return respond_error(out, 500, "out of memory");
    memcpy(body, text, len);
    body[len] = '\0';
    set_body(out, 200, body, len);
    return LP_OK;
}

/* Case-insensitive substring test. */
static bool contains_ci(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return n == 0;
}

/* GET /v1/models?q=: the catalog entries whose id or model_type contains q (any case). */
static lp_status handle_models(const lp_web_request *req, lp_web_response *out) {
    pthread_once(&g_tables_once, render_tables);
    if (!req->q || !*req->q)
        return respond_copy(out, g_models_json, g_models_len);
    if (!g_models_json)
        return respond_copy(out, NULL, 0);
    if (strlen(req->q) > MAX_STRING_BYTES)
        return respond_error(out, 400, "q: at most 512 bytes");
    json_t *all = json_loadb(g_models_json, g_models_len, 0, NULL);
    json_t *hits = json_array();
    char *text = NULL;
    if (all && hits) {
        size_t i;
        json_t *e;
        json_array_foreach(all, i, e) {
            const char *id = json_string_value(json_object_get(e, "id"));
            const char *type = json_string_value(json_object_get(e, "model_type"));
            if ((id && contains_ci(id, req->q)) || (type && contains_ci(type, req->q)))
                json_array_append(hits, e);
        }
        text = json_dumps(hits, JSON_INDENT(2));
    }
    json_decref(all);
    json_decref(hits);
    if (!text)
        return respond_error(out, 500, "out of memory");
    lp_status st = respond_copy(out, text, strlen(text));
    free(text);
    return st;
}

/* ---- dispatch ---------------------------------------------------------------------------- */

typedef enum { EP_GET, EP_POST } ep_method;

typedef struct {
    const char *path;
    ep_method method;
    int id;
} endpoint;

enum { E_PAGE, E_HEALTH, E_GPUS, E_MODELS, E_PLAN, E_ESTIMATE, E_RECOMMEND };

static const endpoint ENDPOINTS[] = {
    {"/", EP_GET, E_PAGE},
    {"/index.html", EP_GET, E_PAGE},
    {"/health", EP_GET, E_HEALTH},
    {"/v1/gpus", EP_GET, E_GPUS},
    {"/v1/models", EP_GET, E_MODELS},
    {"/v1/plan", EP_POST, E_PLAN},
    {"/v1/estimate", EP_POST, E_ESTIMATE},
    {"/v1/recommend", EP_POST, E_RECOMMEND},
};

static lp_status dispatch_post(int id, const lp_web_request *req, lp_web_response *out) {
    if (req->body_len > LP_WEB_MAX_BODY_BYTES) {
        char msg[128];
        snprintf(msg, sizeof msg, "the request body is larger than %u bytes",
                 LP_WEB_MAX_BODY_BYTES);
        return respond_error(out, 413, msg);
    }
    api_work *w = malloc(sizeof *w);
    if (!w)
        return respond_error(out, 500, "out of memory");
    lp_status st = id == E_PLAN       ? handle_plan(req, w, out)
                   : id == E_ESTIMATE ? handle_estimate(req, w, out)
                                      : handle_recommend(req, w, out);
    free(w);
    return st;
}

lp_status lp_web_handle(const lp_web_request *req, lp_web_response *out) {
    memset(out, 0, sizeof *out);
    const char *method = req->method ? req->method : "";
    const char *path = req->path ? req->path : "";
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    bool post = strcmp(method, "POST") == 0;
    for (size_t i = 0; i < sizeof ENDPOINTS / sizeof ENDPOINTS[0]; i++) {
        const endpoint *e = &ENDPOINTS[i];
        if (strcmp(e->path, path) != 0)
            continue;
        if ((e->method == EP_GET && !get) || (e->method == EP_POST && !post)) {
            char msg[160];
            snprintf(msg, sizeof msg, "%s %.80s: method not allowed; use %s", method, path,
                     e->method == EP_GET ? "GET" : "POST with a JSON body");
            return respond_error(out, 405, msg);
        }
        switch (e->id) {
        case E_PAGE: {
            size_t len;
            const char *page = lp_web_page(&len);
            out->status = 200;
            out->content_type = "text/html; charset=utf-8";
            out->body = (char *)page;
            out->body_len = len;
            out->body_static = true;
            return LP_OK;
        }
        case E_HEALTH: {
            static const char ok[] = "{\"status\": \"ok\"}\n";
            return respond_copy(out, ok, sizeof ok - 1);
        }
        case E_GPUS:
            pthread_once(&g_tables_once, render_tables);
            return respond_copy(out, g_gpus_json, g_gpus_len);
        case E_MODELS:
            return handle_models(req, out);
        default:
            return dispatch_post(e->id, req, out);
        }
    }
    char msg[200];
    snprintf(msg, sizeof msg,
             "no such endpoint: %.16s %.80s (endpoints: POST /v1/plan, /v1/estimate, "
             "/v1/recommend; GET /v1/gpus, /v1/models, /health, /)",
             method, path);
    return respond_error(out, 404, msg);
}

void lp_web_response_free(lp_web_response *r) {
    if (r && !r->body_static)
        free(r->body);
    if (r) {
        r->body = NULL;
        r->body_len = 0;
    }
}
