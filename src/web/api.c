/*
 * api.c - the JSON API of `llmplan serve` as one pure function: request in, response out.
 *
 * Each endpoint is a use case of the library (usecase.h): the body goes to that use case's
 * JSON reader, the request to the use case, and the result to the writer `llmplan ... --json`
 * uses, so a response body is exactly what the matching command prints (test_cli_parity).
 * Bad input is a 4xx with {"error": "..."} naming the field; nothing a client sends can stop
 * the server. This file only adds what is the server's own: cached lookups, the limits of one
 * web request, and the status codes.
 *
 * It deliberately does not load models from paths or the local Hugging Face cache: a client
 * names a catalog id or pastes a config.json object, so no request can make the server open a
 * file. It does not speak HTTP either (server.c does), so tests can call it directly.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "llmplan/hw.h"
#include "llmplan/model.h"
#include "llmplan/render.h"
#include "llmplan/usecase.h"
#include "llmplan/web.h"
#include "web/web_internal.h"

/* The simulation costs time per prompt; a web request gets at most this many (the CLI has no
 * such limit). */
#define MAX_SIMULATE_PROMPTS 10000
/* Most configurations one recommend request may show with full estimates. */
#define MAX_TOP 100
/* Longest ?q= accepted. */
#define MAX_QUERY_BYTES 512

static const char JSON_TYPE[] = "application/json";

/* ---- failures and responses --------------------------------------------------------------- */

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

/* ---- POST /v1/plan ----------------------------------------------------------------------- */

/* Per-request working memory (the model and plan structs are a few KB each: not the stack of
 * a server thread). */
typedef struct {
    lp_request_store store;
    union {
        lp_plan_result plan;
        struct {
            lp_estimate_request req;
            lp_estimate_result res;
        } estimate;
        struct {
            lp_recommend_request req;
            lp_recommend_result res;
        } recommend;
        struct {
            lp_explain_request req;
            lp_explain_result res;
        } explain;
        struct {
            lp_compare_request req;
            lp_compare_result res;
            lp_bench_result result;
            lp_startup_log log;
        } compare;
        struct {
            lp_artifacts_request req;
            lp_artifacts_result res;
        } artifacts;
    } u;
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
        st = lp_plan(&pr, &w->u.plan, &err);
    if (st != LP_OK)
        return respond_error(out, http_status(st), err.message);
    mem_out m;
    if (!mem_open(&m))
        return respond_error(out, 500, "out of memory");
    const lp_plan_result *r = &w->u.plan;
    return mem_respond(&m, lp_render_plan_result_json(m.f, r), 200, out);
}

/* ---- POST /v1/estimate ------------------------------------------------------------------- */

static lp_status handle_estimate(const lp_web_request *req, api_work *w, lp_web_response *out) {
    lp_error err;
    lp_error_clear(&err);
    lp_estimate_request *r = &w->u.estimate.req;
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
    st = lp_estimate(r, &w->u.estimate.res);
    mem_out m;
    if (!mem_open(&m))
        return respond_error(out, 500, "out of memory");
    return mem_respond(&m, lp_render_estimate_json(m.f, &w->u.estimate.res, 0, true),
                       st == LP_OK ? 200 : http_status(st), out);
}

/* ---- POST /v1/recommend ------------------------------------------------------------------ */

static lp_status handle_recommend(const lp_web_request *req, api_work *w, lp_web_response *out) {
    lp_error err;
    lp_error_clear(&err);
    lp_recommend_request *r = &w->u.recommend.req;
    lp_recommend_result *res = &w->u.recommend.res;
    lp_status st =
        lp_recommend_request_from_json(req->body, req->body_len, &WEB_RESOLVER, &w->store, r, &err);
    if (st != LP_OK)
        return respond_error(out, http_status(st), err.message);
    if (r->top > MAX_TOP) {
        char msg[96];
        snprintf(msg, sizeof msg, "top: at most %d configurations on the server", MAX_TOP);
        return respond_error(out, 400, msg);
    }
    st = lp_recommend(r, res, &err);
    if (st != LP_OK) {
        lp_recommend_result_free(res);
        return respond_error(out, http_status(st), err.message);
    }
    lp_recommend_view v;
    lp_recommend_result_view(res, &v);
    mem_out m;
    if (!mem_open(&m))
        st = respond_error(out, 500, "out of memory");
    else
        st = mem_respond(&m, lp_render_recommend_json(m.f, &v), 200, out);
    lp_recommend_result_free(res);
    return st;
}

/* ---- POST /v1/artifacts ------------------------------------------------------------------ */

static lp_status handle_artifacts(const lp_web_request *req, api_work *w, lp_web_response *out) {
    lp_error err;
    lp_error_clear(&err);
    lp_artifacts_request *r = &w->u.artifacts.req;
    lp_artifacts_result *res = &w->u.artifacts.res;
    memset(res, 0, sizeof *res); /* freed below even when the request is refused */
    lp_status st =
        lp_artifacts_request_from_json(req->body, req->body_len, &WEB_RESOLVER, &w->store, r, &err);
    if (st == LP_OK)
        st = lp_artifacts(r, res, &err);
    if (st != LP_OK) {
        lp_artifacts_result_free(res);
        return respond_error(out, http_status(st), err.message);
    }
    mem_out m;
    if (!mem_open(&m))
        st = respond_error(out, 500, "out of memory");
    else
        st = mem_respond(&m, lp_render_artifacts_json(m.f, res), 200, out);
    lp_artifacts_result_free(res);
    return st;
}

/* ---- POST /v1/explain -------------------------------------------------------------------- */

static lp_status handle_explain(const lp_web_request *req, api_work *w, lp_web_response *out) {
    lp_error err;
    lp_error_clear(&err);
    lp_explain_request *r = &w->u.explain.req;
    lp_status st =
        lp_explain_request_from_json(req->body, req->body_len, &WEB_RESOLVER, &w->store, r, &err);
    if (st == LP_OK)
        st = lp_explain(r, &w->u.explain.res, &err);
    if (st != LP_OK)
        return respond_error(out, http_status(st), err.message);
    lp_explain_view v;
    lp_explain_result_view(&w->u.explain.res, &v);
    mem_out m;
    if (!mem_open(&m))
        return respond_error(out, 500, "out of memory");
    return mem_respond(&m, lp_render_explain_json(m.f, &v), 200, out);
}

/* ---- POST /v1/compare -------------------------------------------------------------------- */

static lp_status handle_compare(const lp_web_request *req, api_work *w, lp_web_response *out) {
    lp_error err;
    lp_error_clear(&err);
    lp_compare_request *r = &w->u.compare.req;
    lp_status st = lp_compare_request_from_json(req->body, req->body_len, &WEB_RESOLVER, &w->store,
                                                &w->u.compare.result, &w->u.compare.log, r, &err);
    if (st == LP_OK && r->perf.method == LP_SIMULATE && r->result &&
        (r->num_prompts > MAX_SIMULATE_PROMPTS ||
         (r->num_prompts == 0 && r->result->num_prompts > MAX_SIMULATE_PROMPTS))) {
        char msg[128];
        snprintf(msg, sizeof msg, "num_prompts: at most %d with method \"simulate\" on the server",
                 MAX_SIMULATE_PROMPTS);
        return respond_error(out, 400, msg);
    }
    if (st == LP_OK)
        st = lp_compare(r, &w->u.compare.res, &err);
    if (st != LP_OK)
        return respond_error(out, http_status(st), err.message);
    mem_out m;
    if (!mem_open(&m))
        return respond_error(out, 500, "out of memory");
    return mem_respond(&m, lp_render_compare_json(m.f, &w->u.compare.res), 200, out);
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
    lp_catalog_row *rows = NULL;
    size_t n = 0;
    if (lp_models_list(&rows, &n, NULL) == LP_OK && mem_open(&m)) {
        lp_status st = lp_render_catalog(m.f, rows, n, true);
        if (fclose(m.f) == 0 && st == LP_OK) {
            g_models_json = m.buf;
            g_models_len = m.len;
        } else {
            free(m.buf);
        }
    }
    free(rows);
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
    if (strlen(req->q) > MAX_QUERY_BYTES)
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

enum {
    E_PAGE,
    E_HEALTH,
    E_GPUS,
    E_MODELS,
    E_PLAN,
    E_ESTIMATE,
    E_RECOMMEND,
    E_EXPLAIN,
    E_COMPARE,
    E_ARTIFACTS
};

static const endpoint ENDPOINTS[] = {
    {"/", EP_GET, E_PAGE},
    {"/index.html", EP_GET, E_PAGE},
    {"/health", EP_GET, E_HEALTH},
    {"/v1/gpus", EP_GET, E_GPUS},
    {"/v1/models", EP_GET, E_MODELS},
    {"/v1/plan", EP_POST, E_PLAN},
    {"/v1/estimate", EP_POST, E_ESTIMATE},
    {"/v1/recommend", EP_POST, E_RECOMMEND},
    {"/v1/explain", EP_POST, E_EXPLAIN},
    {"/v1/compare", EP_POST, E_COMPARE},
    {"/v1/artifacts", EP_POST, E_ARTIFACTS},
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
    lp_status st = id == E_PLAN        ? handle_plan(req, w, out)
                   : id == E_ESTIMATE  ? handle_estimate(req, w, out)
                   : id == E_RECOMMEND ? handle_recommend(req, w, out)
                   : id == E_EXPLAIN   ? handle_explain(req, w, out)
                   : id == E_ARTIFACTS ? handle_artifacts(req, w, out)
                                       : handle_compare(req, w, out);
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
    char msg[320];
    snprintf(msg, sizeof msg,
             "no such endpoint: %.16s %.80s (endpoints: POST /v1/plan, /v1/estimate, "
             "/v1/recommend, /v1/explain, /v1/compare, /v1/artifacts; GET /v1/gpus, /v1/models, "
             "/health, /)",
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
