/*
 * llmplan_ext.c - the CPython extension `llmplan._llmplan`: the Python package's door into
 * libllmplan (the same objects the CLI and the HTTP server link).
 *
 * It translates Python values into the library's requests and hands the results back, and
 * does nothing else: every estimate, check and message is the library's, and every JSON
 * object is written by the library's own writers, so `to_dict()` is what `llmplan ... --json`
 * prints. The estimate type keeps the numbers as C doubles (attribute access is a field read)
 * and a copy of its request; its JSON and assumption texts are made when first asked for.
 * Batches run with the GIL released, spread over every core.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "llmplan/llmplan.h"
#include "llmplan/usecase.h"

/* ---- writing a library renderer's output into a Python str ------------------------------- */

typedef lp_status (*render_fn)(FILE *out, const void *arg);

static PyObject *render_to_str(render_fn fn, const void *arg) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return PyErr_NoMemory();
    lp_status st = fn(f, arg);
    int closed = fclose(f);
    if (st != LP_OK || closed != 0) {
        free(buf);
        PyErr_Format(PyExc_RuntimeError, "llmplan: rendering failed: %s", lp_strerror(st));
        return NULL;
    }
    PyObject *s = PyUnicode_DecodeUTF8(buf, (Py_ssize_t)len, "replace");
    free(buf);
    return s;
}

static lp_status render_gpus(FILE *out, const void *arg) {
    (void)arg;
    return lp_render_gpus(out, lp_gpu_db_builtin(), true);
}

static lp_status render_models(FILE *out, const void *arg) {
    (void)arg;
    lp_catalog_row *rows = NULL;
    size_t n = 0;
    lp_status st = lp_models_list(&rows, &n, NULL);
    if (st == LP_OK)
        st = lp_render_catalog(out, rows, n, true);
    free(rows);
    return st;
}

static PyObject *py_gpus_json(PyObject *self, PyObject *args) {
    (void)self;
    (void)args;
    return render_to_str(render_gpus, NULL);
}

static PyObject *py_models_json(PyObject *self, PyObject *args) {
    (void)self;
    (void)args;
    return render_to_str(render_models, NULL);
}

static PyObject *py_version(PyObject *self, PyObject *args) {
    (void)self;
    (void)args;
    return PyUnicode_FromString(lp_version());
}

/* ---- the estimate type ----------------------------------------------------------------- */

/* The numbers of an lp_perf_estimate: every field from `method` up to the assumption texts
 * (latencies, throughputs, ranges, bottlenecks, counts), kept as the library filled them. */
#define NUMBERS_BEGIN offsetof(lp_perf_estimate, method)
#define NUMBERS_END offsetof(lp_perf_estimate, assumptions)
/* A request has at most this many string fields (model, GPU, quantization, ...). */
#define MAX_STRINGS 8

typedef struct {
    PyObject_HEAD
        /* the request as the library's field setter read it; its strings are the str objects
         * held in `strings` (immutable), so it can be estimated again later */
        lp_perf_request req;
    PyObject *strings[MAX_STRINGS];
    bool method_given; /* the dict named a method (else only params_b means the heuristic) */
    bool parsed;       /* the request was read (else error says why not) */
    bool valid;
    char *error; /* why not valid (malloc'd), or NULL */
    unsigned char numbers[NUMBERS_END - NUMBERS_BEGIN];
    PyObject *json;              /* the library's JSON of this estimate (str), made on first use */
    lp_perf_io_strings *storage; /* the strings of a request read as JSON (malloc'd), or NULL */
} EstimateObject;

static void estimate_dealloc(EstimateObject *self) {
    for (int i = 0; i < MAX_STRINGS; i++)
        Py_XDECREF(self->strings[i]);
    free(self->error);
    free(self->storage);
    Py_XDECREF(self->json);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The field of the numbers at offset off of an lp_perf_estimate. */
static const unsigned char *number_at(const EstimateObject *self, size_t off) {
    return self->numbers + (off - NUMBERS_BEGIN);
}

/* Where a thread estimates: its cache, and room for one use-case result (about 9 KB). */
typedef struct {
    lp_perf_cache *cache;
    lp_estimate_request req;
    lp_estimate_result res;
} estimate_scratch;

/* The estimate use case for this item's request (lp_estimate, as `llmplan estimate` and
 * POST /v1/estimate run it): names resolved with the reader's messages, through cache. */
static lp_status estimate_item(const EstimateObject *self, lp_perf_cache *cache, bool full,
                               estimate_scratch *w) {
    /* w->req was initialized once (lp_estimate_request_init); every item sets what it uses */
    w->req.perf = self->req;
    w->req.method_given = self->method_given;
    w->req.vllm_serve = full;
    w->req.cache = full ? NULL : cache;
    w->req.perf_flags = full ? 0 : LP_PERF_NO_ASSUMPTIONS;
    lp_error err;
    lp_error_clear(&err);
    lp_status st = lp_estimate_request_resolve(&w->req, cache, &err);
    if (st != LP_OK) {
        /* the request could not be read into a use case: an invalid estimate saying why */
        memset(&w->res.estimate, 0, offsetof(lp_perf_estimate, assumptions));
        w->res.estimate.n_assumptions = 0;
        snprintf(w->res.estimate.error, sizeof w->res.estimate.error, "%s", err.message);
        w->res.request = w->req.perf;
        w->res.planned_max_model_len = 0;
        w->res.vllm_serve[0] = '\0';
        return st;
    }
    return lp_estimate(&w->req, &w->res);
}

/* One item, run without the GIL: estimated through the thread's cache, numbers only (the
 * texts are made when asked for: estimate_json). */
static void estimate_run(EstimateObject *self, estimate_scratch *w) {
    if (!self->parsed)
        return;
    estimate_item(self, w->cache, false, w);
    const lp_perf_estimate *e = &w->res.estimate;
    self->valid = e->valid;
    if (!self->valid) {
        self->error = strdup(e->error[0] ? e->error : "estimate failed");
        return;
    }
    memcpy(self->numbers, (const unsigned char *)e + NUMBERS_BEGIN, sizeof self->numbers);
}

static lp_status render_estimate(FILE *out, const void *arg) {
    return lp_render_estimate_json(out, &((const estimate_scratch *)arg)->res, 0, true);
}

/* The library's JSON of this estimate, with its assumption texts and `vllm serve` line: the
 * request is estimated again on the full path (deterministic: the same numbers) and written by
 * the one writer. */
static PyObject *estimate_json(EstimateObject *self) {
    if (self->json) {
        Py_INCREF(self->json);
        return self->json;
    }
    estimate_scratch *w = PyMem_Calloc(1, sizeof *w);
    if (!w)
        return PyErr_NoMemory();
    if (self->parsed) {
        lp_estimate_request_init(&w->req);
        Py_BEGIN_ALLOW_THREADS w->cache = lp_perf_cache_new();
        if (w->cache)
            estimate_item(self, w->cache, true, w);
        lp_perf_cache_free(w->cache);
        Py_END_ALLOW_THREADS if (!w->cache) {
            PyMem_Free(w);
            return PyErr_NoMemory();
        }
        w->cache = NULL;
    } else {
        w->res.estimate.valid = false;
        snprintf(w->res.estimate.error, sizeof w->res.estimate.error, "%s",
                 self->error ? self->error : "");
    }
    PyObject *s = render_to_str(render_estimate, w);
    PyMem_Free(w);
    if (s) {
        self->json = s;
        Py_INCREF(s);
    }
    return s;
}

static PyObject *py_estimate_json(PyObject *self, PyObject *args) {
    (void)args;
    return estimate_json((EstimateObject *)self);
}

static PyObject *py_estimate_is_valid(PyObject *self, PyObject *args) {
    (void)args;
    return PyBool_FromLong(((EstimateObject *)self)->valid);
}

static PyObject *number_or_none(double v) {
    if (!isfinite(v))
        Py_RETURN_NONE; /* not estimated (p90/p99 without simulation): null in the JSON */
    return PyFloat_FromDouble(v);
}

/* Attribute getters: closure = offset of the field inside lp_perf_estimate. */
static PyObject *get_double(PyObject *obj, void *closure) {
    EstimateObject *self = (EstimateObject *)obj;
    if (!self->valid)
        Py_RETURN_NONE;
    double v;
    memcpy(&v, number_at(self, (size_t)(uintptr_t)closure), sizeof v);
    return number_or_none(v);
}

static PyObject *get_range(PyObject *obj, void *closure) {
    EstimateObject *self = (EstimateObject *)obj;
    if (!self->valid)
        Py_RETURN_NONE;
    lp_range r;
    memcpy(&r, number_at(self, (size_t)(uintptr_t)closure), sizeof r);
    if (r.lo == 0 && r.hi == 0)
        Py_RETURN_NONE; /* the method gives no range for this quantity */
    return Py_BuildValue("(dd)", r.lo, r.hi);
}

static PyObject *get_valid(PyObject *obj, void *closure) {
    (void)closure;
    return PyBool_FromLong(((EstimateObject *)obj)->valid);
}

static PyObject *get_error(PyObject *obj, void *closure) {
    (void)closure;
    EstimateObject *self = (EstimateObject *)obj;
    if (self->valid || !self->error)
        Py_RETURN_NONE;
    return PyUnicode_DecodeUTF8(self->error, (Py_ssize_t)strlen(self->error), "replace");
}

static PyObject *get_method(PyObject *obj, void *closure) {
    (void)closure;
    EstimateObject *self = (EstimateObject *)obj;
    if (!self->valid)
        Py_RETURN_NONE;
    lp_method m;
    memcpy(&m, number_at(self, offsetof(lp_perf_estimate, method)), sizeof m);
    return PyUnicode_FromString(lp_method_name(m));
}

static PyObject *get_int_field(PyObject *obj, void *closure) {
    EstimateObject *self = (EstimateObject *)obj;
    if (!self->valid)
        Py_RETURN_NONE;
    int v;
    memcpy(&v, number_at(self, (size_t)(uintptr_t)closure), sizeof v);
    return PyLong_FromLong(v);
}

static PyObject *get_bottleneck(PyObject *obj, void *closure) {
    EstimateObject *self = (EstimateObject *)obj;
    if (!self->valid)
        Py_RETURN_NONE;
    lp_bottleneck b;
    memcpy(&b, number_at(self, (size_t)(uintptr_t)closure), sizeof b);
    return PyUnicode_FromString(lp_bottleneck_name(b));
}

#define OFF(field) ((void *)(uintptr_t)offsetof(lp_perf_estimate, field))
#define D(name, field, doc)                                                                        \
    { name, get_double, NULL, doc, OFF(field) }
#define R(name, field, doc)                                                                        \
    { name, get_range, NULL, doc, OFF(field) }

static PyGetSetDef estimate_getset[] = {
    {"valid", get_valid, NULL, "whether the estimate could be made", NULL},
    {"error", get_error, NULL, "why not (None when valid)", NULL},
    {"method", get_method, NULL, "heuristic, roofline or simulate", NULL},
    D("request_throughput", request_s, "completed requests per second"),
    D("output_throughput", output_tok_s, "output tokens per second, whole deployment"),
    D("total_token_throughput", total_tok_s, "prompt + output tokens per second"),
    D("mean_ttft_ms", ttft_ms.mean, "mean time to first token, ms"),
    D("median_ttft_ms", ttft_ms.median, "median time to first token, ms"),
    D("p90_ttft_ms", ttft_ms.p90, "p90 time to first token, ms (simulate only)"),
    D("p99_ttft_ms", ttft_ms.p99, "p99 time to first token, ms (simulate only)"),
    D("mean_tpot_ms", tpot_ms.mean, "mean time per output token, ms"),
    D("median_tpot_ms", tpot_ms.median, "median time per output token, ms"),
    D("p90_tpot_ms", tpot_ms.p90, "p90 time per output token, ms (simulate only)"),
    D("p99_tpot_ms", tpot_ms.p99, "p99 time per output token, ms (simulate only)"),
    D("mean_itl_ms", itl_ms.mean, "mean inter-token latency, ms"),
    D("median_itl_ms", itl_ms.median, "median inter-token latency, ms"),
    D("p90_itl_ms", itl_ms.p90, "p90 inter-token latency, ms (simulate only)"),
    D("p99_itl_ms", itl_ms.p99, "p99 inter-token latency, ms (simulate only)"),
    D("mean_e2el_ms", e2el_ms.mean, "mean end-to-end latency, ms"),
    D("median_e2el_ms", e2el_ms.median, "median end-to-end latency, ms"),
    D("p90_e2el_ms", e2el_ms.p90, "p90 end-to-end latency, ms (simulate only)"),
    D("p99_e2el_ms", e2el_ms.p99, "p99 end-to-end latency, ms (simulate only)"),
    D("max_concurrent_requests", max_concurrent_requests,
      "requests one replica can hold at once (KV cache and max-num-seqs)"),
    D("prefill_tok_s", prefill_tok_s, "prefill tokens per second of one replica"),
    D("decode_tok_s", decode_tok_s, "decode tokens per second of one replica"),
    D("mean_batch", mean_batch, "mean running requests per replica"),
    {"replicas", get_int_field, NULL, "data-parallel replicas", OFF(replicas)},
    {"completed", get_int_field, NULL, "requests completed", OFF(completed)},
    {"prefill_bottleneck", get_bottleneck, NULL, "what limits prefill", OFF(prefill_bound)},
    {"decode_bottleneck", get_bottleneck, NULL, "what limits decode", OFF(decode_bound)},
    R("ttft_ms_range", ttft_ms_range, "(lo, hi) of the time to first token, ms"),
    R("tpot_ms_range", tpot_ms_range, "(lo, hi) of the time per output token, ms"),
    R("itl_ms_range", itl_ms_range, "(lo, hi) of the inter-token latency, ms"),
    R("e2el_ms_range", e2el_ms_range, "(lo, hi) of the end-to-end latency, ms"),
    R("output_throughput_range", output_tok_s_range, "(lo, hi) of the output tokens/s"),
    R("prefill_toks_per_s_range", prefill_tok_s_range, "(lo, hi) of the prefill tokens/s"),
    R("decode_toks_per_s_range", decode_tok_s_range, "(lo, hi) of the decode tokens/s"),
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMethodDef estimate_methods[] = {
    {"is_valid", py_estimate_is_valid, METH_NOARGS, "Whether the estimate could be made."},
    {"_json", py_estimate_json, METH_NOARGS,
     "The library's JSON of this estimate (what `llmplan estimate --json` prints)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject EstimateType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "llmplan._llmplan.Estimate",
    .tp_basicsize = sizeof(EstimateObject),
    .tp_dealloc = (destructor)estimate_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "One performance estimate (base of llmplan.PerformanceEstimate).",
    .tp_methods = estimate_methods,
    .tp_getset = estimate_getset,
};

/* ---- reading a request dict with the library's field setter ------------------------------ */

/* Field ids of the names seen so far (str -> int), so a name is looked up once per process. */
static PyObject *field_ids;
/* The field of "method": a request that names one keeps it (else params_b alone means the
 * heuristic, as the estimate use case decides). */
static int method_field;

static int field_of(PyObject *key, const char **name) {
    *name = PyUnicode_Check(key) ? PyUnicode_AsUTF8(key) : NULL;
    if (!*name)
        return -2;
    PyObject *id = PyDict_GetItemWithError(field_ids, key);
    if (id)
        return (int)PyLong_AsLong(id);
    if (PyErr_Occurred())
        return -3;
    int f = lp_perf_request_field(*name);
    PyObject *v = PyLong_FromLong(f);
    if (!v || PyDict_SetItem(field_ids, key, v) < 0) {
        Py_XDECREF(v);
        return -3;
    }
    Py_DECREF(v);
    return f;
}

/* A Python value as the setter reads it; strings are kept alive by the estimate object. */
static lp_value value_of(PyObject *v, EstimateObject *o, int *n_strings) {
    lp_value out = {.kind = LP_VALUE_OTHER};
    if (v == Py_None) {
        out.kind = LP_VALUE_NULL;
    } else if (PyBool_Check(v)) {
        out.kind = LP_VALUE_BOOL;
        out.boolean = v == Py_True;
    } else if (PyLong_Check(v)) {
        int overflow = 0;
        out.integer = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (overflow) {
            out.kind = LP_VALUE_NUMBER; /* out of every field's range: the setter says so */
            out.number = overflow > 0 ? HUGE_VAL : -HUGE_VAL;
        } else {
            out.kind = LP_VALUE_INT;
        }
    } else if (PyFloat_Check(v)) {
        out.kind = LP_VALUE_NUMBER;
        out.number = PyFloat_AS_DOUBLE(v);
    } else if (PyUnicode_Check(v) && *n_strings < MAX_STRINGS) {
        /* str, and str-valued enums such as llmplan.Quantization */
        Py_ssize_t len;
        const char *s = PyUnicode_AsUTF8AndSize(v, &len);
        if (!s) {
            PyErr_Clear(); /* not valid UTF-8: a type error for the field */
            return out;
        }
        out.kind = LP_VALUE_STRING;
        out.string = s;
        out.len = (size_t)len;
        Py_INCREF(v);
        o->strings[(*n_strings)++] = v;
    }
    return out;
}

/* json.dumps, imported on first use. */
static PyObject *json_dumps;

/* Read dict as the JSON line `llmplan estimate --batch` reads (lp_perf_request_from_json),
 * which takes the serving modes' fields too. LP_ERR_NOMEM with a Python exception set. */
static lp_status read_as_json(EstimateObject *o, PyObject *dict, lp_error *err) {
    if (!json_dumps) {
        PyObject *mod = PyImport_ImportModule("json");
        json_dumps = mod ? PyObject_GetAttrString(mod, "dumps") : NULL;
        Py_XDECREF(mod);
        if (!json_dumps)
            return LP_ERR_NOMEM;
    }
    PyObject *text = PyObject_CallFunctionObjArgs(json_dumps, dict, NULL);
    if (!text) {
        PyErr_Clear(); /* a value JSON cannot carry: the library's type error says which */
        return lp_error_set(err, LP_ERR_INVALID_ARG, "a field's value is not a JSON value");
    }
    Py_ssize_t len;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &len);
    if (!utf8 || !(o->storage = malloc(sizeof *o->storage))) {
        Py_DECREF(text);
        if (!utf8)
            return LP_ERR_NOMEM;
        PyErr_NoMemory();
        return LP_ERR_NOMEM;
    }
    lp_status st = lp_perf_request_from_json(utf8, (size_t)len, &o->req, o->storage, err);
    Py_DECREF(text);
    o->method_given = PyDict_GetItemString(dict, "method") != NULL;
    return st;
}

/* A new estimate object of type cls for one request dict (read now, estimated later).
 * NULL with a Python exception only for a Python-level failure (memory). */
static EstimateObject *new_item(PyTypeObject *cls, PyObject *dict) {
    EstimateObject *o = (EstimateObject *)cls->tp_alloc(cls, 0);
    if (!o)
        return NULL;
    lp_perf_request_reader rd;
    lp_perf_request_reader_init(&rd, &o->req, NULL);
    lp_error err;
    lp_error_clear(&err);
    lp_status st = LP_OK;
    int n_strings = 0;
    bool as_json = false;
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (st == LP_OK && PyDict_Next(dict, &pos, &key, &value)) {
        const char *name;
        int field = field_of(key, &name);
        if (field == -3) {
            Py_DECREF(o);
            return NULL;
        }
        if (field == -2) {
            PyErr_Clear();
            st = lp_error_set(&err, LP_ERR_INVALID_ARG, "every field name must be a string");
            break;
        }
        if (field < 0) {
            /* a serving mode's field (read with the lengths) or an unknown one: the JSON
             * reader takes the first and words the error for the second */
            as_json = true;
            break;
        }
        lp_value v = value_of(value, o, &n_strings);
        st = lp_perf_request_set_field(&rd, field, name, &v, &err);
        o->method_given |= field == method_field;
    }
    if (as_json) {
        lp_error jerr;
        lp_error_clear(&jerr);
        lp_status js = read_as_json(o, dict, &jerr);
        if (js == LP_ERR_NOMEM && PyErr_Occurred()) {
            Py_DECREF(o);
            return NULL;
        }
        if (js == LP_OK) {
            o->parsed = true;
            return o;
        }
        if (!(o->error = strdup(jerr.message))) {
            Py_DECREF(o);
            return (EstimateObject *)PyErr_NoMemory();
        }
        return o;
    }
    if (st == LP_OK)
        st = lp_perf_request_reader_finish(&rd, &err);
    if (st == LP_OK) {
        o->parsed = true;
        return o;
    }
    if (!(o->error = strdup(err.message))) {
        Py_DECREF(o);
        return (EstimateObject *)PyErr_NoMemory();
    }
    return o;
}

/* ---- estimating many requests over every core ------------------------------------------- */

typedef struct {
    EstimateObject **items;
    size_t begin, end;
} slice;

static void *run_slice(void *arg) {
    const slice *s = arg;
    estimate_scratch *w = malloc(sizeof *w);
    if (w) {
        lp_estimate_request_init(&w->req);
        w->cache = lp_perf_cache_new();
    }
    for (size_t i = s->begin; w && w->cache && i < s->end; i++)
        estimate_run(s->items[i], w);
    if (!w || !w->cache) /* no memory for even the scratch: every item says so */
        for (size_t i = s->begin; i < s->end; i++)
            if (s->items[i]->parsed)
                s->items[i]->error = strdup("out of memory");
    if (w)
        lp_perf_cache_free(w->cache);
    free(w);
    return NULL;
}

/* Fewer items than this per thread are not worth a thread. */
#define ITEMS_PER_THREAD_MIN 256
#define MAX_THREADS 256

static void run_all(EstimateObject **items, size_t n, long threads) {
    if (threads <= 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cpus > 0 ? cpus : 1;
    }
    size_t t = (size_t)threads;
    if (t > MAX_THREADS)
        t = MAX_THREADS;
    if (t > n / ITEMS_PER_THREAD_MIN)
        t = n / ITEMS_PER_THREAD_MIN;
    if (t <= 1) {
        slice s = {items, 0, n};
        run_slice(&s);
        return;
    }
    pthread_t tid[MAX_THREADS];
    bool started[MAX_THREADS] = {false};
    slice sl[MAX_THREADS];
    for (size_t k = 0; k < t; k++)
        sl[k] = (slice){items, n * k / t, n * (k + 1) / t};
    for (size_t k = 1; k < t; k++)
        started[k] = pthread_create(&tid[k], NULL, run_slice, &sl[k]) == 0;
    run_slice(&sl[0]);
    for (size_t k = 1; k < t; k++) {
        if (started[k])
            pthread_join(tid[k], NULL);
        else
            run_slice(&sl[k]); /* no thread could be started: do its share here */
    }
}

/* estimate(requests: list[dict], cls: type, threads: int = 0) -> list[cls] */
static PyObject *py_estimate(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *list;
    PyTypeObject *cls;
    long threads = 0;
    if (!PyArg_ParseTuple(args, "O!O!|l", &PyList_Type, &list, &PyType_Type, &cls, &threads))
        return NULL;
    if (!PyType_IsSubtype(cls, &EstimateType)) {
        PyErr_SetString(PyExc_TypeError, "cls must derive from llmplan._llmplan.Estimate");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(list);
    PyObject *out = PyList_New(n);
    if (!out)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(list, i);
        if (!PyDict_Check(item)) {
            Py_DECREF(out);
            PyErr_Format(PyExc_TypeError, "configs[%zd]: expected a dict, got %.80s", i,
                         Py_TYPE(item)->tp_name);
            return NULL;
        }
        EstimateObject *o = new_item(cls, item);
        if (!o) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, i, (PyObject *)o);
    }
    EstimateObject **items = (EstimateObject **)(void *)&PyList_GET_ITEM(out, 0);
    Py_BEGIN_ALLOW_THREADS run_all(items, (size_t)n, threads);
    Py_END_ALLOW_THREADS return out;
}

/* ---- the use cases: one JSON request in, the library's JSON result out -------------------- */

/* Names resolve as the CLI resolves them: a model may be a catalog id, a config.json path, a
 * model directory or a Hugging Face id (cache, then the Hub unless HF_HUB_OFFLINE). */
static lp_status load_model(void *ctx, const char *id, lp_model *out, lp_error *err) {
    (void)ctx;
    return lp_model_load(id, NULL, out, err);
}

static const lp_resolver PY_RESOLVER = {load_model, NULL, NULL, NULL, true};

/* Run one use case on a JSON request. The result is (status, text): LP_OK and the result's
 * JSON, or the status and the library's one-sentence message. Runs without the GIL. */
typedef struct {
    const char *text;
    size_t len;
    lp_status status;
    lp_error err;
    lp_request_store store;
    union {
        struct {
            lp_plan_request req;
            lp_plan_result res;
        } plan;
        struct {
            lp_recommend_request req;
            lp_recommend_result res;
        } recommend;
        struct {
            lp_explain_request req;
            lp_explain_result res;
        } explain;
        struct {
            lp_bench_result result;
            lp_startup_log log;
            lp_compare_request req;
            lp_compare_result res;
        } compare;
    } u;
} usecase_work;

static lp_status render_plan(FILE *out, const void *arg) {
    const usecase_work *w = arg;
    return lp_render_plan_result_json(out, &w->u.plan.res);
}

static void run_plan(usecase_work *w) {
    w->status = lp_plan_request_from_json(w->text, w->len, &PY_RESOLVER, &w->store, &w->u.plan.req,
                                          &w->err);
    if (w->status == LP_OK)
        w->status = lp_plan(&w->u.plan.req, &w->u.plan.res, &w->err);
}

static lp_status render_recommend(FILE *out, const void *arg) {
    const usecase_work *w = arg;
    lp_recommend_view v;
    lp_recommend_result_view(&w->u.recommend.res, &v);
    return lp_render_recommend_json(out, &v);
}

static void run_recommend(usecase_work *w) {
    w->status = lp_recommend_request_from_json(w->text, w->len, &PY_RESOLVER, &w->store,
                                               &w->u.recommend.req, &w->err);
    if (w->status == LP_OK)
        w->status = lp_recommend(&w->u.recommend.req, &w->u.recommend.res, &w->err);
}

static void free_recommend(usecase_work *w) {
    lp_recommend_result_free(&w->u.recommend.res);
}

static lp_status render_explain(FILE *out, const void *arg) {
    const usecase_work *w = arg;
    lp_explain_view v;
    lp_explain_result_view(&w->u.explain.res, &v);
    return lp_render_explain_json(out, &v);
}

static void run_explain(usecase_work *w) {
    w->status = lp_explain_request_from_json(w->text, w->len, &PY_RESOLVER, &w->store,
                                             &w->u.explain.req, &w->err);
    if (w->status == LP_OK)
        w->status = lp_explain(&w->u.explain.req, &w->u.explain.res, &w->err);
}

static lp_status render_compare(FILE *out, const void *arg) {
    return lp_render_compare_json(out, &((const usecase_work *)arg)->u.compare.res);
}

static void run_compare(usecase_work *w) {
    w->status =
        lp_compare_request_from_json(w->text, w->len, &PY_RESOLVER, &w->store, &w->u.compare.result,
                                     &w->u.compare.log, &w->u.compare.req, &w->err);
    if (w->status == LP_OK)
        w->status = lp_compare(&w->u.compare.req, &w->u.compare.res, &w->err);
}

static const struct {
    const char *name;
    void (*run)(usecase_work *);
    render_fn render;
    void (*release)(usecase_work *);
} USE_CASES[] = {
    {"plan", run_plan, render_plan, NULL},
    {"recommend", run_recommend, render_recommend, free_recommend},
    {"explain", run_explain, render_explain, NULL},
    {"compare", run_compare, render_compare, NULL},
};

/* call(use_case: str, request: str) -> (status: int, json_or_message: str) */
static PyObject *py_call(PyObject *self, PyObject *args) {
    (void)self;
    const char *use_case, *text;
    Py_ssize_t len;
    if (!PyArg_ParseTuple(args, "ss#", &use_case, &text, &len))
        return NULL;
    size_t k = 0;
    while (k < sizeof USE_CASES / sizeof USE_CASES[0] && strcmp(USE_CASES[k].name, use_case) != 0)
        k++;
    if (k == sizeof USE_CASES / sizeof USE_CASES[0]) {
        PyErr_Format(PyExc_ValueError, "no use case named %.40s", use_case);
        return NULL;
    }
    usecase_work *w = PyMem_Calloc(1, sizeof *w);
    if (!w)
        return PyErr_NoMemory();
    w->text = text;
    w->len = (size_t)len;
    lp_error_clear(&w->err);
    Py_BEGIN_ALLOW_THREADS USE_CASES[k].run(w);
    Py_END_ALLOW_THREADS PyObject *body;
    if (w->status == LP_OK) {
        body = render_to_str(USE_CASES[k].render, w);
    } else {
        const char *msg = w->err.message[0] ? w->err.message : lp_strerror(w->status);
        body = PyUnicode_DecodeUTF8(msg, (Py_ssize_t)strlen(msg), "replace");
    }
    int status = (int)w->status;
    if (USE_CASES[k].release)
        USE_CASES[k].release(w); /* also after an error, as the use case asks */
    PyMem_Free(w);
    if (!body)
        return NULL;
    return Py_BuildValue("(iN)", status, body);
}

/* ---- the module ------------------------------------------------------------------------- */

static PyMethodDef module_methods[] = {
    {"version", py_version, METH_NOARGS, "The libllmplan version this extension runs."},
    {"gpus_json", py_gpus_json, METH_NOARGS, "The GPU database as `llmplan gpus --json`."},
    {"models_json", py_models_json, METH_NOARGS, "The model catalog as `llmplan models --json`."},
    {"call", py_call, METH_VARARGS,
     "call(use_case, request_json): (lp_status, result JSON or error message)."},
    {"estimate", py_estimate, METH_VARARGS,
     "estimate(configs, cls, threads=0): one estimate of type cls per request dict."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "_llmplan",
    "The C core of the llmplan package (libllmplan).",
    -1,
    module_methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC PyInit__llmplan(void);

PyMODINIT_FUNC PyInit__llmplan(void) {
    if (PyType_Ready(&EstimateType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (!m)
        return NULL;
    method_field = lp_perf_request_field("method");
    field_ids = PyDict_New();
    if (!field_ids) {
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&EstimateType);
    if (PyModule_AddObject(m, "Estimate", (PyObject *)&EstimateType) < 0 ||
        PyModule_AddStringConstant(m, "__version__", LP_VERSION_STRING) < 0) {
        Py_DECREF(&EstimateType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
