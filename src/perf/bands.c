/*
 * bands.c - error bands from evidence (see llmplan/bands.h): the band table compiled in from
 * data/bands.tsv, the lookup of a class with its fallbacks, and the ranges of an estimate.
 *
 * The table is generated from the fit rows of ../shared/validation by `make bands` (the
 * fitting is in src/validate/bands_fit.c); this file only reads it. A range is the estimate x
 * the class's [lo, hi]: bands are relative, so the same class serves a 5 ms TPOT and a 50 ms
 * one. It does not judge whether the bands are right: tests/test_perf_accuracy.c measures
 * their coverage on held-out rows.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/grow.h"
#include "llmplan/bands.h"

extern const unsigned char lp_data_bands_tsv[];
extern const size_t lp_data_bands_tsv_len;

#define BAND_COLUMNS 10
/* No band factor beyond this: a measured value a million times the estimate is not evidence
 * but a broken table (and keeps the factors printable as integers). */
#define LP_BAND_MAX_FACTOR 1e6

lp_load_regime lp_perf_regime(const lp_workload *w) {
    if (w->max_concurrency == 1 || w->num_prompts == 1)
        return LP_REGIME_BATCH1;
    if (w->request_rate > 0 && w->request_rate < INFINITY)
        return LP_REGIME_POISSON;
    if (w->max_concurrency > 1)
        return LP_REGIME_CLOSED;
    return LP_REGIME_ALL_AT_ONCE;
}

static const char *const REGIME_NAMES[LP_REGIME_COUNT] = {"batch1", "closed", "poisson",
                                                          "all-at-once"};
static const char *const METRIC_NAMES[LP_BAND_METRICS] = {"throughput", "ttft", "tpot",
                                                          "itl",        "e2e",  "kv"};
static const char *const STAT_NAMES[LP_BAND_STATS] = {"center", "tail"};
static const char *const METHOD_NAMES[] = {"heuristic", "roofline", "simulate", "plan"};
#define N_METHOD_NAMES ((int)(sizeof METHOD_NAMES / sizeof METHOD_NAMES[0]))

const char *lp_perf_regime_name(lp_load_regime regime) {
    return regime >= 0 && regime < LP_REGIME_COUNT ? REGIME_NAMES[regime] : "*";
}

const char *lp_band_metric_name(lp_band_metric metric) {
    return metric >= 0 && metric < LP_BAND_METRICS ? METRIC_NAMES[metric] : "unknown";
}

const char *lp_band_stat_name(int stat) {
    return stat >= 0 && stat < LP_BAND_STATS ? STAT_NAMES[stat] : "*";
}

static const char *method_name(int method) {
    return method >= 0 && method < N_METHOD_NAMES ? METHOD_NAMES[method] : "*";
}

int lp_band_level(const lp_band *b) {
    if (b->method == LP_BAND_ANY)
        return 5;
    if (b->stat == LP_BAND_ANY)
        return 4;
    bool any_family = b->family[0] == '\0', any_regime = b->regime == LP_BAND_ANY;
    return any_family && any_regime ? 3 : any_regime ? 2 : any_family ? 1 : 0;
}

/* ---- the table --------------------------------------------------------------------------- */

/* Index of name in names[0..n), LP_BAND_ANY for "*", -2 when unknown. */
static int name_index(const char *name, const char *const *names, int n) {
    if (strcmp(name, "*") == 0)
        return LP_BAND_ANY;
    for (int i = 0; i < n; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -2;
}

/* One data line: metric stat method family regime rows groups lo hi widen, tab-separated. */
static lp_status parse_row(const char *line, int lineno, lp_band *b, lp_error *err) {
    memset(b, 0, sizeof *b);
    char c[5][32];
    int used = 0;
    if (sscanf(line, "%31[^\t]\t%31[^\t]\t%31[^\t]\t%31[^\t]\t%31[^\t]\t%d\t%d\t%lf\t%lf\t%lf%n",
               c[0], c[1], c[2], c[3], c[4], &b->rows, &b->groups, &b->lo, &b->hi, &b->widen,
               &used) != BAND_COLUMNS ||
        line[used] != '\0')
        return lp_error_set(err, LP_ERR_PARSE,
                            "band table line %d: expected %d tab-separated cells (metric, stat, "
                            "method, family, regime, rows, groups, lo, hi, widen)",
                            lineno, BAND_COLUMNS);
    int metric = name_index(c[0], METRIC_NAMES, LP_BAND_METRICS);
    b->stat = name_index(c[1], STAT_NAMES, LP_BAND_STATS);
    b->method = name_index(c[2], METHOD_NAMES, N_METHOD_NAMES);
    b->regime = name_index(c[4], REGIME_NAMES, LP_REGIME_COUNT);
    if (metric < 0 || b->stat == -2 || b->method == -2 || b->regime == -2)
        return lp_error_set(err, LP_ERR_PARSE,
                            "band table line %d: unknown metric, statistic, method or regime "
                            "(\"%s\", \"%s\", \"%s\", \"%s\")",
                            lineno, c[0], c[1], c[2], c[4]);
    b->metric = (lp_band_metric)metric;
    snprintf(b->family, sizeof b->family, "%s", strcmp(c[3], "*") == 0 ? "" : c[3]);
    if (!(b->rows > 0 && b->groups > 0 && b->lo > 0 && b->hi >= b->lo &&
          b->hi <= LP_BAND_MAX_FACTOR && b->widen > 0 && b->widen <= LP_BAND_MAX_FACTOR))
        return lp_error_set(err, LP_ERR_PARSE,
                            "band table line %d: expected rows and groups >= 1, 0 < lo <= hi <= "
                            "%g and 0 < widen <= %g",
                            lineno, LP_BAND_MAX_FACTOR, LP_BAND_MAX_FACTOR);
    return LP_OK;
}

/* By quantity (a class appears once, so the order within one does not matter). */
static int cmp_metric(const void *a, const void *b) {
    const lp_band *x = a, *y = b;
    return (int)x->metric - (int)y->metric;
}

void lp_band_table_index(lp_band_table *t) {
    static _Atomic unsigned long next_serial = 1;
    /* grouped by quantity, so that a lookup reads only its quantity's rows */
    if (t->n > 0)
        qsort(t->bands, (size_t)t->n, sizeof *t->bands, cmp_metric);
    for (int m = 0, i = 0; m <= LP_BAND_METRICS; m++) {
        while (i < t->n && (int)t->bands[i].metric < m)
            i++;
        t->first[m] = i;
    }
    t->serial = next_serial++;
}

lp_status lp_band_table_parse(const char *text, size_t len, lp_band_table **out, lp_error *err) {
    *out = NULL;
    lp_band_table *t = calloc(1, sizeof *t);
    char *copy = malloc(len + 1);
    size_t cap = 0;
    lp_status st = LP_OK;
    if (!t || !copy) {
        st = lp_error_set(err, LP_ERR_NOMEM, "out of memory reading the band table");
        goto fail;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    bool header = false;
    int lineno = 0;
    for (char *line = copy, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        line[strcspn(line, "\r")] = '\0';
        if (line[0] == '#') {
            if (!t->origin[0] && strstr(line, "generated"))
                snprintf(t->origin, sizeof t->origin, "%s", line + 1 + strspn(line + 1, " "));
            continue;
        }
        if (!line[0])
            continue;
        if (!header) {
            if (strcmp(line, LP_BAND_TSV_HEADER) != 0) {
                st = lp_error_set(err, LP_ERR_PARSE,
                                  "band table line %d: expected the header metric, stat, "
                                  "method, family, regime, rows, groups, lo, hi, widen",
                                  lineno);
                goto fail;
            }
            header = true;
            continue;
        }
        lp_band *nb = lp_grow(t->bands, &cap, (size_t)t->n + 1, sizeof *nb, 64);
        if (!nb) {
            st = lp_error_set(err, LP_ERR_NOMEM, "out of memory reading the band table");
            goto fail;
        }
        t->bands = nb;
        if ((st = parse_row(line, lineno, &t->bands[t->n], err)) != LP_OK)
            goto fail;
        t->n++;
    }
    if (!header) {
        st = lp_error_set(err, LP_ERR_PARSE, "band table: no header line");
        goto fail;
    }
    lp_band_table_index(t);
    free(copy);
    *out = t;
    return LP_OK;
fail:
    free(copy);
    lp_band_table_free(t);
    return st;
}

void lp_band_table_free(lp_band_table *t) {
    if (!t)
        return;
    free(t->bands);
    free(t);
}

static lp_band_table *builtin;
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void builtin_init(void) {
    lp_error err;
    if (lp_band_table_parse((const char *)lp_data_bands_tsv, lp_data_bands_tsv_len, &builtin,
                            &err) != LP_OK)
        builtin = NULL;
}

const lp_band_table *lp_band_table_builtin(void) {
    pthread_once(&builtin_once, builtin_init);
    return builtin;
}

/* ---- lookup ------------------------------------------------------------------------------ */

static const lp_band *find(const lp_band_table *t, lp_band_metric metric, int stat, int method,
                           const char *family, int regime) {
    for (int i = t->first[metric]; i < t->first[metric + 1]; i++) {
        const lp_band *b = &t->bands[i];
        if (b->metric == metric && b->stat == stat && b->method == method && b->regime == regime &&
            strcmp(b->family, family) == 0)
            return b;
    }
    return NULL;
}

void lp_band_class_at(int level, lp_band_metric metric, lp_band_stat stat, int method,
                      const char *family, int regime, lp_band *out) {
    memset(out, 0, sizeof *out);
    out->metric = metric;
    out->stat = level >= 4 ? LP_BAND_ANY : (int)stat;
    out->method = level >= 5 ? LP_BAND_ANY : method;
    bool keep_family = level == 0 || level == 2, keep_regime = level <= 1;
    snprintf(out->family, sizeof out->family, "%s", keep_family && family ? family : "");
    out->regime = keep_regime ? regime : LP_BAND_ANY;
}

const lp_band *lp_band_lookup(const lp_band_table *t, lp_band_metric metric, lp_band_stat stat,
                              int method, const char *family, int regime, int *level) {
    for (int l = 0; t && l < LP_BAND_LEVELS; l++) {
        lp_band c;
        lp_band_class_at(l, metric, stat, method, family, regime, &c);
        const lp_band *b = find(t, c.metric, c.stat, c.method, c.family, c.regime);
        if (b) {
            if (level)
                *level = l;
            return b;
        }
    }
    return NULL;
}

/* ---- an estimate's bands ----------------------------------------------------------------- */

/*
 * Text without printf: every estimate gets a dozen class names and band lines, and formatting
 * them with snprintf cost more than the roofline itself.
 */
typedef struct {
    char *buf;
    size_t size, len;
} text;

static void put_str(text *t, const char *s) {
    while (*s && t->len + 1 < t->size)
        t->buf[t->len++] = *s++;
    t->buf[t->len] = '\0';
}

/* A non-negative integer. */
static void put_int(text *t, long v) {
    char digits[24];
    int n = 0;
    do
        digits[n++] = (char)('0' + v % 10);
    while ((v /= 10) > 0 && n < (int)sizeof digits);
    while (n > 0 && t->len + 1 < t->size)
        t->buf[t->len++] = digits[--n];
    t->buf[t->len] = '\0';
}

/* A non-negative number with two decimals (rounded). */
static void put_2f(text *t, double v) {
    long hundredths = (long)floor(v * 100.0 + 0.5);
    put_int(t, hundredths / 100);
    put_str(t, ".");
    put_str(t, hundredths % 100 < 10 ? "0" : "");
    put_int(t, hundredths % 100);
}

static void class_name(char *buf, size_t size, lp_band_metric metric, int stat, int method,
                       const char *family, int regime) {
    text t = {buf, size, 0};
    put_str(&t, lp_band_metric_name(metric));
    put_str(&t, "/");
    put_str(&t, lp_band_stat_name(stat));
    put_str(&t, "/");
    put_str(&t, method_name(method));
    put_str(&t, "/");
    put_str(&t, family && family[0] ? family : "*");
    put_str(&t, "/");
    put_str(&t, lp_perf_regime_name((lp_load_regime)regime));
}

static lp_range scaled(double v, const lp_band_info *b) {
    lp_range r = {0, 0};
    if (b->found && isfinite(v) && v > 0) {
        r.lo = v * b->lo;
        r.hi = v * b->hi;
    }
    return r;
}

static lp_stat_range stat_ranges(const lp_stat *s, const lp_band_info *center,
                                 const lp_band_info *tail) {
    lp_stat_range r = {scaled(s->mean, center), scaled(s->median, center), scaled(s->p90, tail),
                       scaled(s->p99, tail)};
    return r;
}

/* "band TTFT p90/p99 x0.50-1.31 (measured / estimated in 80 % of 12 fit runs, 3 groups;
 * class ...; own class too thin, widened x1.40 by left-out fit groups)" */
static void assume_band(lp_perf_estimate *est, const char *what, const lp_band_info *b) {
    if (est->n_assumptions >= LP_MAX_ASSUMPTIONS)
        return;
    text t = {est->assumptions[est->n_assumptions++], LP_ASSUMPTION_SIZE, 0};
    put_str(&t, what);
    if (!b->found) {
        put_str(&t, ": no published run of its class (");
        put_str(&t, b->own);
        put_str(&t, ") to measure an error band by; no range");
        return;
    }
    put_str(&t, " x");
    put_2f(&t, b->lo);
    put_str(&t, "-");
    put_2f(&t, b->hi);
    put_str(&t, " (measured / estimated in ");
    put_int(&t, lround(100 * b->coverage));
    put_str(&t, " % of ");
    put_int(&t, b->rows);
    put_str(&t, " fit runs, ");
    put_int(&t, b->groups);
    put_str(&t, " groups; class ");
    put_str(&t, b->cls);
    /* the own class is named by the estimate's bands[] (JSON); the line stays short */
    put_str(&t, b->level > 0 ? "; own class too thin" : "");
    put_str(&t, b->widen >= 1.0 ? ", widened x" : ", narrowed x");
    put_2f(&t, b->widen);
    put_str(&t, " by left-out fit groups)");
}

void lp_band_info_of(const lp_band_table *t, lp_band_metric metric, lp_band_stat stat, int method,
                     const char *family, int regime, lp_band_info *info) {
    memset(info, 0, sizeof *info);
    info->coverage = LP_BAND_COVERAGE;
    class_name(info->own, sizeof info->own, metric, stat, method, family, regime);
    int level = 0;
    const lp_band *b = lp_band_lookup(t, metric, stat, method, family, regime, &level);
    if (!b)
        return;
    info->found = true;
    info->level = level;
    info->rows = b->rows;
    info->groups = b->groups;
    info->lo = b->lo;
    info->hi = b->hi;
    info->widen = b->widen;
    class_name(info->cls, sizeof info->cls, metric, b->stat, b->method, b->family, b->regime);
}

static const char *const LABELS[LP_BAND_METRICS][LP_BAND_STATS] = {
    {"band throughput", NULL},
    {"band TTFT mean/median", "band TTFT p90/p99"},
    {"band TPOT mean/median", "band TPOT p90/p99"},
    {"band ITL mean/median", "band ITL p90/p99"},
    {"band E2E mean/median", "band E2E p90/p99"},
    {"band KV capacity", NULL},
};

/*
 * The bands and their assumption lines depend only on the table, the method, the GPU family,
 * the regime and whether the method gives percentiles: the last few such classes are kept per
 * thread, so that a batch of mixed estimates (GPU families and regimes changing item by item)
 * or a search looks each up and words it once.
 */
typedef struct {
    unsigned long serial; /* of the table */
    int method, regime;
    char family[24];
    bool tails;
    bool valid;
    lp_band_info bands[LP_BAND_METRICS][LP_BAND_STATS];
    char lines[LP_BAND_METRICS * LP_BAND_STATS][LP_ASSUMPTION_SIZE];
    int n_lines;
} band_cache;

/* Classes kept per thread: 4 methods x a few GPU families x 4 regimes covers a mixed batch. */
#define BAND_CACHE_SLOTS 32

static void fill_cache(band_cache *c, const lp_band_table *table) {
    lp_perf_estimate scratch; /* words the lines with lp_perf_estimate's own buffers */
    scratch.n_assumptions = 0;
    for (int m = 0; m < LP_BAND_METRICS; m++)
        for (int s = 0; s < LP_BAND_STATS; s++) {
            if (!LABELS[m][s])
                continue;
            bool kv = m == LP_BAND_KV;
            lp_band_info_of(table, (lp_band_metric)m, (lp_band_stat)s,
                            kv ? LP_BAND_METHOD_PLAN : c->method, c->family,
                            kv ? LP_BAND_ANY : c->regime, &c->bands[m][s]);
            /* a tail band is said only where the method gives percentiles */
            if (s == LP_BAND_TAIL && !c->tails)
                continue;
            assume_band(&scratch, LABELS[m][s], &c->bands[m][s]);
        }
    c->n_lines = scratch.n_assumptions;
    for (int i = 0; i < c->n_lines; i++)
        memcpy(c->lines[i], scratch.assumptions[i], LP_ASSUMPTION_SIZE);
    c->valid = true;
}

/* A thread's classes (about 150 KB), freed when the thread ends. */
typedef struct {
    band_cache slots[BAND_CACHE_SLOTS];
    unsigned next;
} band_slots;

static pthread_key_t slots_key;
static bool slots_key_ok;
static pthread_once_t slots_once = PTHREAD_ONCE_INIT;

static void slots_key_init(void) {
    slots_key_ok = pthread_key_create(&slots_key, free) == 0;
}

/* The thread's cached class of (table, method, regime, family, tails), filled on first sight
 * (NULL only when the slots cannot be allocated). */
static const band_cache *cached_class(const lp_band_table *table, int method, int regime,
                                      const char *family, bool tails) {
    pthread_once(&slots_once, slots_key_init);
    band_slots *bs = slots_key_ok ? pthread_getspecific(slots_key) : NULL;
    if (!bs && slots_key_ok && (bs = calloc(1, sizeof *bs)) &&
        pthread_setspecific(slots_key, bs) != 0) {
        free(bs);
        bs = NULL;
    }
    if (!bs)
        return NULL;
    band_cache *slots = bs->slots;
    for (int i = 0; i < BAND_CACHE_SLOTS; i++) {
        const band_cache *c = &slots[i];
        if (c->valid && c->serial == table->serial && c->method == method && c->regime == regime &&
            c->tails == tails && strcmp(c->family, family) == 0)
            return c;
    }
    band_cache *c = &slots[bs->next++ % BAND_CACHE_SLOTS];
    c->serial = table->serial;
    c->method = method;
    c->regime = regime;
    snprintf(c->family, sizeof c->family, "%s", family);
    c->tails = tails;
    fill_cache(c, table);
    return c;
}

void lp_perf_apply_bands(const lp_band_table *table, const lp_perf_request *req, const char *family,
                         lp_perf_estimate *est) {
    if (!table)
        table = lp_band_table_builtin();
    if (!family)
        family = lp_efficiency_for(NULL)->family;
    int regime = (int)lp_perf_regime(&req->workload);
    bool tails = isfinite(est->ttft_ms.p99);
    if (!table) { /* the built-in data is corrupt: no bands, and said */
        lp_perf_assume(est, "error bands: the built-in band table does not read; no ranges");
        return;
    }
    const band_cache *cp = cached_class(table, (int)est->method, regime, family, tails);
    static _Thread_local band_cache own; /* no memory for the slots: worded every time */
    if (!cp) {
        own.serial = table->serial;
        own.method = (int)est->method;
        own.regime = regime;
        snprintf(own.family, sizeof own.family, "%s", family);
        own.tails = tails;
        fill_cache(&own, table);
        cp = &own;
    }
    memcpy(est->bands, cp->bands, sizeof est->bands);
    for (int i = 0; i < cp->n_lines && est->n_assumptions < LP_MAX_ASSUMPTIONS; i++)
        memcpy(est->assumptions[est->n_assumptions++], cp->lines[i], LP_ASSUMPTION_SIZE);
    lp_band_info(*b)[LP_BAND_STATS] = est->bands;
    est->ttft_band = stat_ranges(&est->ttft_ms, &b[LP_BAND_TTFT][0], &b[LP_BAND_TTFT][1]);
    est->tpot_band = stat_ranges(&est->tpot_ms, &b[LP_BAND_TPOT][0], &b[LP_BAND_TPOT][1]);
    est->itl_band = stat_ranges(&est->itl_ms, &b[LP_BAND_ITL][0], &b[LP_BAND_ITL][1]);
    est->e2el_band = stat_ranges(&est->e2el_ms, &b[LP_BAND_E2E][0], &b[LP_BAND_E2E][1]);
    const lp_band_info *tput = &b[LP_BAND_THROUGHPUT][0];
    est->output_tok_s_range = scaled(est->output_tok_s, tput);
    est->total_tok_s_range = scaled(est->total_tok_s, tput);
    est->request_s_range = scaled(est->request_s, tput);
    est->decode_tok_s_range = scaled(est->decode_tok_s, tput);
    est->prefill_tok_s_range = scaled(est->prefill_tok_s, tput);
    est->max_concurrent_range = scaled(est->max_concurrent_requests, &b[LP_BAND_KV][0]);
    est->ttft_ms_range = est->ttft_band.mean;
    est->tpot_ms_range = est->tpot_band.mean;
    est->itl_ms_range = est->itl_band.mean;
    est->e2el_ms_range = est->e2el_band.mean;
}
