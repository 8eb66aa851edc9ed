/*
 * prices.c - the price table behind cost estimates: $ per GPU-hour by GPU, with provider,
 * date and source for every row. The default is data/prices.tsv compiled in (public on-demand
 * list prices at a stated date, not quotes); users replace it with a file of the same columns.
 *
 * Rows name GPUs as the GPU database does; each row is resolved with lp_gpu_find on the
 * embedded database when the table is read, so a typo or an ambiguous name ("A100") is an
 * error pointing at the line rather than a price silently never used. lp_price_for returns the
 * cheapest row for a GPU. It does not convert currencies, model spot/reserved prices, or add
 * storage and network charges.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/tsv_split.h"
#include "common/file.h"
#include "llmplan/search.h"

extern const unsigned char lp_data_prices_tsv[];
extern const size_t lp_data_prices_tsv_len;

#define LP_PRICES_ORIGIN_BUILTIN "data/prices.tsv (embedded)"
/* A price above this per GPU-hour is certainly a typo (list prices are a few dollars). */
#define LP_PRICE_MAX_USD 1000.0
#define LP_PRICE_MAX_COLS 16

struct lp_price_table {
    lp_price *rows;
    char (*resolved)[64]; /* canonical database name of each row's GPU */
    size_t n;
    char origin[512];
};

void lp_price_table_free(lp_price_table *t) {
    if (!t)
        return;
    free(t->rows);
    free(t->resolved);
    free(t);
}

const char *lp_price_table_origin(const lp_price_table *t) {
    return t ? t->origin : "";
}

/* Split one line (no newline) at tabs into at most LP_PRICE_MAX_COLS fields, in place. */
static void trim(char *s) {
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\r'))
        s[--len] = '\0';
    size_t lead = strspn(s, " ");
    if (lead)
        memmove(s, s + lead, len - lead + 1);
}

static bool valid_date(const char *d) {
    /* YYYY-MM-DD */
    if (strlen(d) != 10 || d[4] != '-' || d[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (d[i] < '0' || d[i] > '9'))
            return false;
    int month = (d[5] - '0') * 10 + (d[6] - '0'), day = (d[8] - '0') * 10 + (d[9] - '0');
    return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

static lp_status copy_field(char *dst, size_t size, const char *src, const char *origin,
                            size_t line, const char *what, lp_error *err) {
    if (strlen(src) >= size)
        return lp_error_set(err, LP_ERR_PARSE, "%s:%zu: %s: longer than %zu characters", origin,
                            line, what, size - 1);
    memcpy(dst, src, strlen(src) + 1);
    return LP_OK;
}

enum { COL_GPU, COL_PRICE, COL_PROVIDER, COL_DATE, COL_SOURCE, N_COLS };
static const char *const COL_NAMES[N_COLS] = {"gpu", "usd_per_gpu_hour", "provider", "date",
                                              "source"};

static lp_status parse_row(char **cols, int ncols, const int *map, const char *origin, size_t line,
                           lp_price *row, char resolved[64], lp_error *err) {
    lp_status st;
    for (int c = 0; c < N_COLS; c++)
        if (map[c] >= ncols)
            return lp_error_set(err, LP_ERR_PARSE,
                                "%s:%zu: expected %d tab-separated columns (gpu, usd_per_gpu_hour, "
                                "provider, date, source), got %d",
                                origin, line, N_COLS, ncols);
    for (int c = 0; c < ncols; c++)
        trim(cols[c]);
    memset(row, 0, sizeof *row);
    if ((st = copy_field(row->gpu, sizeof row->gpu, cols[map[COL_GPU]], origin, line, "gpu",
                         err)) != LP_OK)
        return st;
    const char *price = cols[map[COL_PRICE]];
    char *end = NULL;
    errno = 0;
    double v = strtod(price, &end);
    if (!*price || *end || errno || !(v > 0.0 && v < LP_PRICE_MAX_USD))
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s:%zu: usd_per_gpu_hour: expected a positive number of dollars "
                            "below %g, got \"%s\"",
                            origin, line, LP_PRICE_MAX_USD, price);
    row->usd_per_gpu_hour = v;
    if ((st = copy_field(row->provider, sizeof row->provider, cols[map[COL_PROVIDER]], origin, line,
                         "provider", err)) != LP_OK ||
        (st = copy_field(row->date, sizeof row->date, cols[map[COL_DATE]], origin, line, "date",
                         err)) != LP_OK ||
        (st = copy_field(row->source, sizeof row->source, cols[map[COL_SOURCE]], origin, line,
                         "source", err)) != LP_OK)
        return st;
    if (!row->gpu[0] || !row->provider[0] || !row->source[0])
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s:%zu: gpu, provider and source must not be empty (every price "
                            "names where it was listed)",
                            origin, line);
    if (!valid_date(row->date))
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s:%zu: date: expected YYYY-MM-DD (the day or month the price was "
                            "listed), got \"%s\"",
                            origin, line, row->date);
    const lp_gpu *gpu = NULL;
    lp_error gerr;
    if (lp_gpu_find(lp_gpu_db_builtin(), row->gpu, &gpu, &gerr) != LP_OK)
        return lp_error_set(err, LP_ERR_PARSE, "%s:%zu: gpu: %s", origin, line, gerr.message);
    snprintf(resolved, 64, "%s", gpu->name);
    return LP_OK;
}

static lp_status parse_table(const char *text, size_t len, const char *origin, lp_price_table **out,
                             lp_error *err) {
    *out = NULL;
    lp_price_table *t = calloc(1, sizeof *t);
    char *copy = malloc(len + 1);
    if (!t || !copy) {
        free(t);
        free(copy);
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory reading prices from %s", origin);
    }
    snprintf(t->origin, sizeof t->origin, "%s", origin);
    memcpy(copy, text, len);
    copy[len] = '\0';
    if (memchr(copy, '\0', len)) {
        free(copy);
        lp_price_table_free(t);
        return lp_error_set(err, LP_ERR_PARSE, "%s: binary data (a NUL byte) in a price table",
                            origin);
    }
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += copy[i] == '\n';
    t->rows = calloc(lines, sizeof *t->rows);
    t->resolved = calloc(lines, sizeof *t->resolved);
    if (!t->rows || !t->resolved) {
        free(copy);
        lp_price_table_free(t);
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory reading prices from %s", origin);
    }

    lp_status st = LP_OK;
    int map[N_COLS];
    bool have_header = false;
    size_t line = 0;
    char *p = copy;
    while (p && *p) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        line++;
        char *cur = p;
        p = nl ? nl + 1 : NULL;
        if (cur[0] == '#' || cur[strspn(cur, " \t\r")] == '\0')
            continue;
        char *cols[LP_PRICE_MAX_COLS];
        int ncols = lp_tsv_split_line(cur, cols, LP_PRICE_MAX_COLS); /* too many: reported */
        if (ncols > LP_PRICE_MAX_COLS) {
            st = lp_error_set(err, LP_ERR_PARSE, "%s:%zu: more than %d tab-separated columns",
                              origin, line, LP_PRICE_MAX_COLS);
            break;
        }
        if (!have_header) {
            for (int c = 0; c < N_COLS; c++) {
                map[c] = -1;
                for (int i = 0; i < ncols; i++) {
                    trim(cols[i]);
                    if (strcasecmp(cols[i], COL_NAMES[c]) == 0)
                        map[c] = i;
                }
                if (map[c] < 0) {
                    st = lp_error_set(err, LP_ERR_PARSE,
                                      "%s:%zu: header: column \"%s\" missing; expected the "
                                      "tab-separated columns gpu, usd_per_gpu_hour, provider, "
                                      "date, source",
                                      origin, line, COL_NAMES[c]);
                    break;
                }
            }
            if (st != LP_OK)
                break;
            have_header = true;
            continue;
        }
        if ((st = parse_row(cols, ncols, map, origin, line, &t->rows[t->n], t->resolved[t->n],
                            err)) != LP_OK)
            break;
        t->n++;
    }
    free(copy);
    if (st == LP_OK && (!have_header || t->n == 0))
        st = lp_error_set(err, LP_ERR_PARSE,
                          "%s: no prices: expected a header line (gpu, usd_per_gpu_hour, "
                          "provider, date, source) and at least one row",
                          origin);
    if (st != LP_OK) {
        lp_price_table_free(t);
        return st;
    }
    *out = t;
    return LP_OK;
}

/* Largest --price-file read (a table of GPUs x providers is a few KB). */
#define PRICE_FILE_MAX_BYTES (64u * 1024u * 1024u)

lp_status lp_price_table_load(const char *path, lp_price_table **out, lp_error *err) {
    if (!path || !out)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "lp_price_table_load: NULL argument");
    *out = NULL;
    char *buf;
    size_t n;
    lp_status st = lp_read_file(path, "price file", PRICE_FILE_MAX_BYTES, &buf, &n, err);
    if (st == LP_OK)
        st = parse_table(buf, n, path, out, err);
    free(buf);
    return st;
}

static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;
static lp_price_table *builtin_table;

static void builtin_init(void) {
    lp_price_table *t = NULL;
    if (parse_table((const char *)lp_data_prices_tsv, lp_data_prices_tsv_len,
                    LP_PRICES_ORIGIN_BUILTIN, &t, NULL) == LP_OK)
        builtin_table = t;
}

const lp_price_table *lp_price_table_builtin(void) {
    pthread_once(&builtin_once, builtin_init);
    return builtin_table;
}

const lp_price *lp_price_for(const lp_price_table *t, const lp_gpu *gpu) {
    if (!t || !gpu)
        return NULL;
    const lp_price *best = NULL;
    for (size_t i = 0; i < t->n; i++) {
        /* by canonical name, so a GPU row from another database copy matches too */
        if (strcmp(t->resolved[i], gpu->name) != 0)
            continue;
        if (!best || t->rows[i].usd_per_gpu_hour < best->usd_per_gpu_hour)
            best = &t->rows[i];
    }
    return best;
}
