/*
 * batch.c - estimating many requests fast: lp_perf_cache and lp_estimate_performance_batch.
 *
 * A batch of requests usually repeats a few models, GPUs and engine settings while the
 * workload changes from item to item. Loading a model from the catalog costs tens of
 * microseconds, a memory plan and a step model about a microsecond each, the roofline solve a
 * fraction of one. So the cache keeps, per thread: each model loaded by id, each GPU found by
 * name (or the error either gave), and per distinct configuration - model, GPU, cluster,
 * serving settings, efficiencies - what lp_perf_prepare made of it: the step model, the
 * replicas and the assumption texts it wrote, or the error it returned. An item then costs
 * the workload check, a hash lookup and the method.
 *
 * The result is lp_estimate_performance's, bit for bit: the same checks in the same order,
 * lp_perf_prepare and lp_perf_run do the work, only their inputs are remembered
 * (tests/test_perf_batch.c compares the two paths over mixed batches). Requests it does not
 * cache (the heuristic, which prepares nothing) go through lp_estimate_performance with their
 * model and GPU already resolved.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/grow.h"
#include "common/strv.h"
#include "llmplan/budget.h"
#include "perf/perf_internal.h"

/* ---- a small open-addressing hash table of indexes into an array ------------------------- */

typedef struct {
    uint64_t *hashes; /* 0: empty slot */
    size_t *index;
    size_t cap; /* power of two */
    size_t n;
} table;

/* 64-bit hash of a byte string, eight bytes at a time (a multiply-xorshift mix per word).
 * Long keys (a configuration is about a kilobyte, hashed once per item) go 32 bytes at a time
 * through four independent multiply lanes first, folded into h word by word: half the
 * instructions per byte, and the four multiplies do not wait on each other. */
static uint64_t hash_bytes(const void *p, size_t len, uint64_t h) {
    const unsigned char *b = p;
    if (len >= 32) {
        const uint64_t k = 0x9E3779B97F4A7C15ull;
        uint64_t l0 = h, l1 = h ^ 0x243F6A8885A308D3ull, l2 = h ^ 0x13198A2E03707344ull,
                 l3 = h ^ 0xA4093822299F31D0ull;
        while (len >= 32) {
            uint64_t w0, w1, w2, w3;
            memcpy(&w0, b, 8);
            memcpy(&w1, b + 8, 8);
            memcpy(&w2, b + 16, 8);
            memcpy(&w3, b + 24, 8);
            l0 = (l0 ^ w0) * k;
            l1 = (l1 ^ w1) * k;
            l2 = (l2 ^ w2) * k;
            l3 = (l3 ^ w3) * k;
            b += 32;
            len -= 32;
        }
        const uint64_t lanes[4] = {l0, l1, l2, l3};
        for (int i = 0; i < 4; i++) {
            h = (h ^ lanes[i] ^ lanes[i] >> 32) * k;
            h ^= h >> 29;
        }
    }
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, b, 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ull;
        h ^= h >> 29;
        b += 8;
        len -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, b, len);
    h = (h ^ w ^ (uint64_t)len << 56) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
    return h ? h : 1; /* 0 marks an empty slot */
}

static bool table_grow(table *t) {
    size_t cap = t->cap ? t->cap * 2 : 64;
    uint64_t *hashes = calloc(cap, sizeof *hashes);
    size_t *index = malloc(cap * sizeof *index);
    if (!hashes || !index) {
        free(hashes);
        free(index);
        return false;
    }
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->hashes[i])
            continue;
        size_t j = t->hashes[i] & (cap - 1);
        while (hashes[j])
            j = (j + 1) & (cap - 1);
        hashes[j] = t->hashes[i];
        index[j] = t->index[i];
    }
    free(t->hashes);
    free(t->index);
    t->hashes = hashes;
    t->index = index;
    t->cap = cap;
    return true;
}

static void table_free(table *t) {
    free(t->hashes);
    free(t->index);
}

/* ---- the cache ---------------------------------------------------------------------------- */

/* A model loaded by id, or why it could not be. */
typedef struct {
    char *id;
    lp_model *model;
    lp_status status;
    char *error;
} model_slot;

/* A GPU found by name in the built-in database, or why not. */
typedef struct {
    char *name;
    const lp_gpu *gpu;
    lp_status status;
    char *error;
} gpu_slot;

/* What lp_perf_prepare needs, with every pointer resolved: equal keys prepare equally. */
typedef struct {
    const lp_model *model;
    lp_cluster cluster; /* cluster.gpu resolved */
    lp_serving serving; /* quantization: the cache's own copy of the text (interned) */
    const lp_efficiency *efficiency;
    int lora_modules; /* the adapters requests spread over (the step model's LoRA batches) */
} prep_key;

/* One prepared configuration. */
typedef struct {
    prep_key key;
    lp_status status;
    char *error; /* when status != LP_OK */
    lp_step_model sm;
    int replicas;
    int n_assumptions;
    char (*assumptions)[LP_ASSUMPTION_SIZE];
} prep_slot;

/* A memory plan of (model, GPU, settings), or why it could not be made. */
typedef struct {
    prep_key key; /* cluster and efficiency zero: they do not change a plan */
    lp_status status;
    char *error;
    lp_mem_plan *plan;
} plan_slot;

#define SLOTS_GROW(arr, n, cap)                                                                    \
    ((n) < (cap) ? true : grow_array((void **)&(arr), &(cap), (n) + 1, sizeof *(arr)))

struct lp_perf_cache {
    model_slot *models;
    size_t n_models, cap_models;
    table model_index;
    gpu_slot *gpus;
    size_t n_gpus, cap_gpus;
    table gpu_index;
    prep_slot *preps;
    size_t n_preps, cap_preps;
    table prep_index;
    plan_slot *plans;
    size_t n_plans, cap_plans;
    table plan_index;
    char **quants; /* interned --quantization texts */
    size_t n_quants, cap_quants;
    lp_perf_estimate scratch; /* receives lp_perf_prepare's assumption texts */
    lp_model_loader loader;   /* how models named by id load (NULL: the embedded catalog) */
    void *loader_ctx;
};

void lp_perf_cache_set_loader(lp_perf_cache *c, lp_model_loader fn, void *ctx) {
    c->loader = fn;
    c->loader_ctx = ctx;
}

static bool grow_array(void **arr, size_t *cap, size_t need, size_t elem) {
    void *p = lp_grow(*arr, cap, need, elem, 16);
    if (p)
        *arr = p;
    return p != NULL;
}

lp_perf_cache *lp_perf_cache_new(void) {
    return calloc(1, sizeof(lp_perf_cache));
}

void lp_perf_cache_free(lp_perf_cache *c) {
    if (!c)
        return;
    for (size_t i = 0; i < c->n_models; i++) {
        free(c->models[i].id);
        free(c->models[i].model);
        free(c->models[i].error);
    }
    for (size_t i = 0; i < c->n_gpus; i++) {
        free(c->gpus[i].name);
        free(c->gpus[i].error);
    }
    for (size_t i = 0; i < c->n_preps; i++) {
        free(c->preps[i].error);
        free(c->preps[i].assumptions);
    }
    for (size_t i = 0; i < c->n_plans; i++) {
        free(c->plans[i].error);
        free(c->plans[i].plan);
    }
    free(c->plans);
    table_free(&c->plan_index);
    lp_strv_free(c->quants, c->n_quants);
    free(c->models);
    free(c->gpus);
    free(c->preps);
    table_free(&c->model_index);
    table_free(&c->gpu_index);
    table_free(&c->prep_index);
    free(c);
}

static lp_status fail(lp_perf_estimate *out, lp_status status, const char *message) {
    out->valid = false;
    snprintf(out->error, sizeof out->error, "%s", message ? message : lp_strerror(status));
    return status;
}

/* Find name in a table of slots whose first member is a char * key; SIZE_MAX when absent. */
static size_t find_name(const table *t, const void *slots, size_t stride, const char *name,
                        uint64_t h) {
    for (size_t j = t->cap ? h & (t->cap - 1) : 0; t->cap && t->hashes[j];
         j = (j + 1) & (t->cap - 1))
        if (t->hashes[j] == h) {
            const char *key =
                *(char *const *)(const void *)((const char *)slots + t->index[j] * stride);
            if (strcmp(key, name) == 0)
                return t->index[j];
        }
    return SIZE_MAX;
}

static bool table_add(table *t, uint64_t h, size_t index) {
    if ((t->n + 1) * 4 > t->cap * 3 && !table_grow(t))
        return false;
    size_t j = h & (t->cap - 1);
    while (t->hashes[j])
        j = (j + 1) & (t->cap - 1);
    t->hashes[j] = h;
    t->index[j] = index;
    t->n++;
    return true;
}

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* The model named id, loaded once: by the cache's loader, else from the embedded catalog as
 * lp_estimate_performance resolves it (no I/O here). */
static const model_slot *model_by_id(lp_perf_cache *c, const char *id) {
    uint64_t h = hash_bytes(id, strlen(id), 0x6d6f64656cull);
    size_t i = find_name(&c->model_index, c->models, sizeof *c->models, id, h);
    if (i != SIZE_MAX)
        return &c->models[i];
    if (!SLOTS_GROW(c->models, c->n_models, c->cap_models))
        return NULL;
    model_slot *s = &c->models[c->n_models];
    memset(s, 0, sizeof *s);
    s->id = dup_str(id);
    s->model = malloc(sizeof *s->model);
    if (!s->id || !s->model) {
        free(s->id);
        free(s->model);
        return NULL;
    }
    lp_error err;
    lp_error_clear(&err);
    s->status = c->loader ? c->loader(c->loader_ctx, id, s->model, &err)
                          : lp_perf_model_by_id(id, s->model, &err);
    if (s->status != LP_OK) {
        free(s->model);
        s->model = NULL;
        if (!(s->error = dup_str(err.message))) {
            free(s->id);
            return NULL;
        }
    }
    if (!table_add(&c->model_index, h, c->n_models)) {
        free(s->id);
        free(s->model);
        free(s->error);
        return NULL;
    }
    c->n_models++;
    return s;
}

/* The GPU named name in the built-in database, found once. */
static const gpu_slot *gpu_by_name(lp_perf_cache *c, const char *name) {
    uint64_t h = hash_bytes(name, strlen(name), 0x677075ull);
    size_t i = find_name(&c->gpu_index, c->gpus, sizeof *c->gpus, name, h);
    if (i != SIZE_MAX)
        return &c->gpus[i];
    if (!SLOTS_GROW(c->gpus, c->n_gpus, c->cap_gpus))
        return NULL;
    gpu_slot *s = &c->gpus[c->n_gpus];
    memset(s, 0, sizeof *s);
    if (!(s->name = dup_str(name)))
        return NULL;
    lp_error err;
    lp_error_clear(&err);
    s->status = lp_gpu_find(lp_gpu_db_builtin(), name, &s->gpu, &err);
    if (s->status != LP_OK && !(s->error = dup_str(err.message))) {
        free(s->name);
        return NULL;
    }
    if (!table_add(&c->gpu_index, h, c->n_gpus)) {
        free(s->name);
        free(s->error);
        return NULL;
    }
    c->n_gpus++;
    return s;
}

/* The cache's own copy of a --quantization text, the same pointer for the same text. */
static const char *intern_quant(lp_perf_cache *c, const char *q) {
    if (!q)
        return NULL;
    for (size_t i = 0; i < c->n_quants; i++)
        if (strcmp(c->quants[i], q) == 0)
            return c->quants[i];
    if (!SLOTS_GROW(c->quants, c->n_quants, c->cap_quants))
        return NULL;
    char *p = dup_str(q);
    if (p)
        c->quants[c->n_quants++] = p;
    return p;
}

/* The prepared configuration of key (lp_perf_prepare on first sight). NULL: out of memory. */
static const prep_slot *prepared(lp_perf_cache *c, const prep_key *key,
                                 const lp_perf_request *req) {
    uint64_t h = hash_bytes(key, sizeof *key, 0x70726570ull);
    const table *t = &c->prep_index;
    for (size_t j = t->cap ? h & (t->cap - 1) : 0; t->cap && t->hashes[j];
         j = (j + 1) & (t->cap - 1))
        if (t->hashes[j] == h && memcmp(&c->preps[t->index[j]].key, key, sizeof *key) == 0)
            return &c->preps[t->index[j]];
    if (!SLOTS_GROW(c->preps, c->n_preps, c->cap_preps))
        return NULL;
    prep_slot *s = &c->preps[c->n_preps];
    memset(s, 0, sizeof *s);
    s->key = *key;
    lp_perf_request r = *req;
    r.model = key->model;
    r.cluster = key->cluster;
    r.serving = key->serving;
    r.efficiency = key->efficiency;
    lp_perf_estimate *est = &c->scratch;
    memset(est, 0, offsetof(lp_perf_estimate, assumptions));
    est->n_assumptions = 0;
    lp_error err;
    lp_error_clear(&err);
    const lp_gpu *gpu;
    s->status = lp_perf_prepare(&r, NULL, &s->sm, &s->replicas, &gpu, est, &err);
    if (s->status != LP_OK) {
        if (!(s->error = dup_str(err.message)))
            return NULL;
    } else if (est->n_assumptions > 0) {
        s->assumptions = malloc((size_t)est->n_assumptions * sizeof *s->assumptions);
        if (!s->assumptions)
            return NULL;
        memcpy(s->assumptions, est->assumptions,
               (size_t)est->n_assumptions * sizeof *s->assumptions);
        s->n_assumptions = est->n_assumptions;
    }
    if (!table_add(&c->prep_index, h, c->n_preps)) {
        free(s->error);
        free(s->assumptions);
        return NULL;
    }
    c->n_preps++;
    return s;
}

lp_status lp_perf_cache_model(lp_perf_cache *c, const char *id, const lp_model **out,
                              lp_error *err) {
    const model_slot *m = model_by_id(c, id);
    if (!m)
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    *out = m->model;
    return m->status == LP_OK ? LP_OK : lp_error_set(err, m->status, "%s", m->error);
}

lp_status lp_perf_cache_gpu(lp_perf_cache *c, const char *name, const lp_gpu **out, lp_error *err) {
    const gpu_slot *g = gpu_by_name(c, name);
    if (!g)
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    *out = g->gpu;
    return g->status == LP_OK ? LP_OK : lp_error_set(err, g->status, "%s", g->error);
}

lp_status lp_perf_cache_mem_plan(lp_perf_cache *c, const lp_model *m, const lp_gpu *gpu,
                                 const lp_serving *s, const lp_mem_plan **out, lp_error *err) {
    prep_key key;
    memset(&key, 0, sizeof key);
    key.model = m;
    key.cluster.gpu = gpu;
    key.serving = *s;
    if (s->quantization && !(key.serving.quantization = intern_quant(c, s->quantization)))
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    uint64_t h = hash_bytes(&key, sizeof key, 0x706c616eull);
    const table *t = &c->plan_index;
    for (size_t j = t->cap ? h & (t->cap - 1) : 0; t->cap && t->hashes[j];
         j = (j + 1) & (t->cap - 1)) {
        const plan_slot *p = &c->plans[t->index[j]];
        if (t->hashes[j] == h && memcmp(&p->key, &key, sizeof key) == 0) {
            *out = p->plan;
            return p->status == LP_OK ? LP_OK : lp_error_set(err, p->status, "%s", p->error);
        }
    }
    if (!SLOTS_GROW(c->plans, c->n_plans, c->cap_plans))
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    plan_slot *p = &c->plans[c->n_plans];
    memset(p, 0, sizeof *p);
    p->key = key;
    if (!(p->plan = malloc(sizeof *p->plan)))
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    lp_error inner;
    lp_error_clear(&inner);
    p->status = lp_mem_plan_compute(m, gpu, s, p->plan, &inner);
    if (p->status != LP_OK && !(p->error = dup_str(inner.message))) {
        free(p->plan);
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    }
    if (!table_add(&c->plan_index, h, c->n_plans)) {
        free(p->plan);
        free(p->error);
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    }
    c->n_plans++;
    *out = p->plan;
    return p->status == LP_OK ? LP_OK : lp_error_set(err, p->status, "%s", inner.message);
}

static lp_status cache_estimate(lp_perf_cache *c, const lp_perf_request *req, lp_perf_estimate *out,
                                unsigned flags);

_Static_assert(offsetof(lp_perf_estimate, bands) < offsetof(lp_perf_estimate, completed) &&
                   offsetof(lp_perf_estimate, completed) < offsetof(lp_perf_estimate, assumptions),
               "lp_perf_cache_estimate resets the fields around the bands");

lp_status lp_perf_cache_estimate(lp_perf_cache *c, const lp_perf_request *req,
                                 lp_perf_estimate *out, unsigned flags) {
    /* what lp_estimate_performance resets, less the bytes nobody reads (the error past its
     * end, the texts past n_assumptions) and the bands, which a valid estimate overwrites whole
     * (lp_perf_apply_bands): the two kilobytes a batch item would write twice */
    out->valid = false;
    out->error[0] = '\0';
    memset(&out->method, 0, offsetof(lp_perf_estimate, bands) - offsetof(lp_perf_estimate, method));
    memset(&out->completed, 0,
           offsetof(lp_perf_estimate, assumptions) - offsetof(lp_perf_estimate, completed));
    out->n_assumptions = 0;
    lp_status st = cache_estimate(c, req, out, flags);
    if (!out->valid)
        memset(out->bands, 0, sizeof out->bands);
    return st;
}

static lp_status cache_estimate(lp_perf_cache *c, const lp_perf_request *req, lp_perf_estimate *out,
                                unsigned flags) {
    out->method = req->method;
    lp_error err;
    lp_error_clear(&err);
    lp_status st;
    if ((st = lp_workload_check(&req->workload, &err)) != LP_OK)
        return fail(out, st, err.message);
    if ((st = lp_perf_modes_check(req, &err)) != LP_OK)
        return fail(out, st, err.message);
    /* two pools and a transfer: nothing of one server to share (the same answer, uncached) */
    if (lp_disaggregated(&req->serving))
        return lp_estimate_performance(req, out);

    /* the GPU, then the model, in lp_estimate_performance's order */
    lp_perf_request r = *req;
    if (!r.cluster.gpu && r.gpu_name) {
        const gpu_slot *g = gpu_by_name(c, r.gpu_name);
        if (!g)
            return fail(out, LP_ERR_NOMEM, "out of memory");
        if (g->status != LP_OK)
            return fail(out, g->status, g->error);
        r.cluster.gpu = g->gpu;
    }
    if (!r.model && r.model_id && (r.cluster.gpu || r.method == LP_HEURISTIC)) {
        const model_slot *m = model_by_id(c, r.model_id);
        if (!m)
            return fail(out, LP_ERR_NOMEM, "out of memory");
        if (m->status != LP_OK)
            return fail(out, m->status, m->error);
        r.model = m->model;
    }
    if (r.method == LP_HEURISTIC || !r.cluster.gpu || !r.model) {
        /* nothing to prepare (the heuristic), or an error lp_estimate_performance words */
        st = lp_estimate_performance(&r, out);
        if (flags & LP_PERF_NO_ASSUMPTIONS)
            out->n_assumptions = 0;
        return st;
    }

    prep_key key;
    memset(&key, 0, sizeof key);
    key.model = r.model;
    key.cluster = r.cluster;
    key.serving = r.serving;
    if (r.serving.quantization &&
        !(key.serving.quantization = intern_quant(c, r.serving.quantization)))
        return fail(out, LP_ERR_NOMEM, "out of memory");
    key.efficiency = r.efficiency;
    key.lora_modules = r.serving.lora.enable_lora ? r.workload.num_lora_modules : 0;
    const prep_slot *p = prepared(c, &key, &r);
    if (!p)
        return fail(out, LP_ERR_NOMEM, "out of memory");
    if (p->status != LP_OK)
        return fail(out, p->status, p->error);
    bool quiet = flags & LP_PERF_NO_ASSUMPTIONS;
    if (!quiet && p->n_assumptions > 0) {
        memcpy(out->assumptions, p->assumptions, (size_t)p->n_assumptions * sizeof *p->assumptions);
        out->n_assumptions = p->n_assumptions;
    }
    if (quiet)
        out->n_assumptions = LP_MAX_ASSUMPTIONS; /* full: no text is written (the simulation's
                                                    and the bands' lines included) */
    st = lp_perf_run(&p->sm, &r, p->replicas, out, quiet);
    if (quiet)
        out->n_assumptions = 0;
    return st;
}

/* ---- the batch, over every core ----------------------------------------------------------- */

typedef struct {
    const lp_perf_request *reqs;
    lp_perf_estimate *out;
    size_t begin, end;
    unsigned flags;
    lp_budget *budget; /* the caller's (llmplan/budget.h), entered by every thread */
    size_t valid;
} slice;

static void *run_slice(void *arg) {
    slice *s = arg;
    lp_budget_enter(s->budget);
    lp_perf_cache *c = lp_perf_cache_new();
    for (size_t i = s->begin; i < s->end; i++) {
        lp_status st = c ? lp_perf_cache_estimate(c, &s->reqs[i], &s->out[i], s->flags)
                         : lp_estimate_performance(&s->reqs[i], &s->out[i]);
        s->valid += st == LP_OK;
    }
    lp_perf_cache_free(c);
    return NULL;
}

/* Fewer items than this per thread do not pay for starting it. */
#define ITEMS_PER_THREAD_MIN 256
#define MAX_THREADS 256

size_t lp_estimate_performance_batch_opts(const lp_perf_request *reqs, size_t n,
                                          lp_perf_estimate *out, const lp_perf_batch_opts *opts) {
    size_t t = opts && opts->threads ? opts->threads : 0;
    if (t == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        t = cpus > 0 ? (size_t)cpus : 1;
    }
    if (t > MAX_THREADS)
        t = MAX_THREADS;
    t = (size_t)lp_budget_threads((int)t);
    if (t > n / ITEMS_PER_THREAD_MIN)
        t = n / ITEMS_PER_THREAD_MIN;
    if (t < 1)
        t = 1;
    unsigned flags = opts ? opts->flags : 0;
    slice sl[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    bool started[MAX_THREADS] = {false};
    for (size_t k = 0; k < t; k++)
        sl[k] = (slice){reqs, out, n * k / t, n * (k + 1) / t, flags, lp_budget_current(), 0};
    for (size_t k = 1; k < t; k++)
        started[k] = pthread_create(&tid[k], NULL, run_slice, &sl[k]) == 0;
    run_slice(&sl[0]);
    size_t valid = sl[0].valid;
    for (size_t k = 1; k < t; k++) {
        if (started[k])
            pthread_join(tid[k], NULL);
        else
            run_slice(&sl[k]); /* no thread could be started: its share runs here */
        valid += sl[k].valid;
    }
    return valid;
}

size_t lp_estimate_performance_batch(const lp_perf_request *reqs, size_t n, lp_perf_estimate *out) {
    return lp_estimate_performance_batch_opts(reqs, n, out, NULL);
}
