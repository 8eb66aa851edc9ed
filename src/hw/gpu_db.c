/*
 * gpu_db.c - the GPU database: parsing data/gpus.tsv (compiled in) and user TSV files.
 *
 * The table is data, not code: every number lives in data/gpus.tsv next to its source, and this
 * file only turns TSV text into lp_gpu rows, with errors that point at file:line and column. The
 * first non-comment line names the columns; they may come in any order, unknown ones are ignored,
 * and a user file may carry a subset as long as it has a name and a memory size.
 *
 * Deliberately not here: name matching (match.c) and GPU detection. The embedded database is
 * parsed once (pthread_once) and never changes afterwards, so it can be shared across threads.
 */
#include "common/grow.h"
#include "llmplan/hw.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "common/text.h"

extern const unsigned char lp_data_gpus_tsv[];
extern const size_t lp_data_gpus_tsv_len;

/*
 * Deriving usable_gib (total memory as torch reports it) when a row does not give it; the same
 * rule is written at the top of data/gpus.tsv, which uses it for its "derived:" rows.
 * The H100 SXM is the calibration point: nvidia-smi shows 81559 MiB, torch reports 79.18 GiB
 * total (public vLLM start-up logs, see docs/vllm_internals.md "Quirks").
 */
#define LP_H100_SMI_TOTAL_MIB 81559.0
#define LP_H100_TORCH_TOTAL_GIB 79.18
#define LP_H100_MARKETED_GB 80.0
/** Gap between nvidia-smi's total and torch's total on the H100 (~0.467 GiB). */
#define LP_SMI_TO_TORCH_GAP_GIB (LP_H100_SMI_TOTAL_MIB / 1024.0 - LP_H100_TORCH_TOTAL_GIB)
/** Ratio torch total / marketed memory on the H100 (0.98975). */
#define LP_MARKETED_TO_TORCH_RATIO (LP_H100_TORCH_TOTAL_GIB / LP_H100_MARKETED_GB)

#define LP_ORIGIN_BUILTIN "data/gpus.tsv"
/*
 * Largest number any numeric column may hold. The largest real values are ~3e5 (nvidia-smi MiB
 * of a 288 GB part); 1e7 leaves room for decades yet keeps memory in bytes, KV blocks and token
 * counts derived from a row far inside int64 (a 1e38 GiB row made the memory plan's double ->
 * int64 conversions undefined; found by fuzz/fuzz_gpu_tsv.c).
 */
#define LP_GPU_MAX_NUMBER 1e7

struct lp_gpu_db {
    lp_gpu *rows;
    size_t count;
    size_t cap;
};

/* ---- the column table ---- */

typedef enum {
    COL_NAME,
    COL_ALIASES,
    COL_VENDOR,
    COL_ARCHITECTURE,
    COL_CC,
    COL_MEMORY,
    COL_USABLE,
    COL_USABLE_SOURCE,
    COL_SMI_MIB,
    COL_BANDWIDTH,
    COL_BF16,
    COL_FP16,
    COL_FP8,
    COL_INT8,
    COL_FP4,
    COL_TDP,
    COL_LINK,
    COL_LINK_GBS,
    COL_PCIE_GBS,
    COL_SOURCE,
    COL_COUNT
} column_id;

static const char *const column_names[COL_COUNT] = {
    "name",
    "aliases",
    "vendor",
    "architecture",
    "compute_capability",
    "memory_gib",
    "usable_gib",
    "usable_source",
    "nvidia_smi_total_mib",
    "memory_bandwidth_gbs",
    "bf16_dense_tflops",
    "fp16_dense_tflops",
    "fp8_dense_tflops",
    "int8_dense_tops",
    "fp4_dense_tflops",
    "tdp_w",
    "link",
    "link_gbs",
    "pcie_gbs",
    "source",
};

/* A field of the current line: a view into the text, not NUL-terminated. */
typedef struct {
    const char *ptr;
    size_t len;
} field;

typedef struct {
    const char *origin;
    size_t line;
    lp_error *err;
} parse_ctx;

/* ---- small helpers ---- */

static field trim(field f) {
    while (f.len > 0 && (f.ptr[0] == ' ' || f.ptr[0] == '\r'))
        f.ptr++, f.len--;
    while (f.len > 0 && (f.ptr[f.len - 1] == ' ' || f.ptr[f.len - 1] == '\r'))
        f.len--;
    return f;
}

static bool field_is(field f, const char *s) {
    return f.len == strlen(s) && memcmp(f.ptr, s, f.len) == 0;
}

/* Shorten a field for quoting in an error message. */
static int quote_len(field f) {
    return f.len > 40 ? 40 : (int)f.len;
}

static lp_status copy_text(const parse_ctx *ctx, column_id col, field f, char *dst, size_t size) {
    if (f.len >= size)
        return lp_error_set(ctx->err, LP_ERR_PARSE,
                            "%s:%zu: %s: longer than %zu characters; shorten it", ctx->origin,
                            ctx->line, column_names[col], size - 1);
    memcpy(dst, f.ptr, f.len);
    dst[f.len] = '\0';
    return LP_OK;
}

/* Parse a finite number in [0, LP_GPU_MAX_NUMBER]; empty stays 0 (unknown). */
static lp_status parse_number(const parse_ctx *ctx, column_id col, field f, double *out) {
    char buf[64];
    *out = 0.0;
    if (f.len == 0)
        return LP_OK;
    if (f.len < sizeof buf) {
        memcpy(buf, f.ptr, f.len);
        buf[f.len] = '\0';
        char *end = NULL;
        errno = 0;
        double v = strtod(buf, &end);
        if (end != buf && *end == '\0' && errno == 0 && isfinite(v) &&
            !isspace((unsigned char)buf[0])) {
            if (v < 0)
                return lp_error_set(ctx->err, LP_ERR_PARSE,
                                    "%s:%zu: %s: expected a non-negative number, got \"%s\"",
                                    ctx->origin, ctx->line, column_names[col], buf);
            if (v > LP_GPU_MAX_NUMBER)
                return lp_error_set(ctx->err, LP_ERR_PARSE,
                                    "%s:%zu: %s: %s is implausibly large (at most %g)", ctx->origin,
                                    ctx->line, column_names[col], buf, LP_GPU_MAX_NUMBER);
            *out = v;
            return LP_OK;
        }
    }
    return lp_error_set(ctx->err, LP_ERR_PARSE, "%s:%zu: %s: expected a number, got \"%.*s\"",
                        ctx->origin, ctx->line, column_names[col], quote_len(f), f.ptr);
}

/* "9.0" -> CUDA cc 9.0, tag "sm90"; "gfx942" / "gaudi2" -> non-CUDA tag; "" or "n/a" -> none. */
static lp_status parse_cc(const parse_ctx *ctx, field f, lp_gpu *g) {
    g->cc_major = g->cc_minor = -1;
    g->arch_tag[0] = '\0';
    if (f.len == 0 || field_is(f, "n/a"))
        return LP_OK;
    if (isdigit((unsigned char)f.ptr[0])) {
        int major = 0, minor = 0, used = 0;
        char buf[16];
        if (f.len < sizeof buf) {
            memcpy(buf, f.ptr, f.len);
            buf[f.len] = '\0';
            if (sscanf(buf, "%d.%d%n", &major, &minor, &used) == 2 && (size_t)used == f.len &&
                major >= 0 && minor >= 0 && major < 100 && minor < 100) {
                g->cc_major = major;
                g->cc_minor = minor;
                snprintf(g->arch_tag, sizeof g->arch_tag, "sm%u%u", (unsigned)major % 100u,
                         (unsigned)minor % 100u);
                return LP_OK;
            }
        }
    } else if (f.len < sizeof g->arch_tag) {
        bool ok = true;
        for (size_t i = 0; i < f.len; i++)
            ok = ok && (isalnum((unsigned char)f.ptr[i]) || f.ptr[i] == '_');
        if (ok) {
            for (size_t i = 0; i < f.len; i++)
                g->arch_tag[i] = (char)tolower((unsigned char)f.ptr[i]);
            g->arch_tag[f.len] = '\0';
            return LP_OK;
        }
    }
    return lp_error_set(ctx->err, LP_ERR_PARSE,
                        "%s:%zu: compute_capability: expected a CUDA compute capability like "
                        "\"9.0\" or an architecture tag like \"gfx942\", got \"%.*s\"",
                        ctx->origin, ctx->line, quote_len(f), f.ptr);
}

static lp_status parse_link(const parse_ctx *ctx, field f, lp_link_kind *out) {
    static const lp_link_kind kinds[] = {
        LP_LINK_UNKNOWN,  LP_LINK_PCIE,       LP_LINK_NVLINK, LP_LINK_INFINITY_FABRIC,
        LP_LINK_ETHERNET, LP_LINK_INFINIBAND, LP_LINK_ROCE};
    *out = LP_LINK_UNKNOWN;
    if (f.len == 0)
        return LP_OK;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (field_is(f, lp_link_name(kinds[i]))) {
            *out = kinds[i];
            return LP_OK;
        }
    }
    return lp_error_set(ctx->err, LP_ERR_PARSE,
                        "%s:%zu: link: expected nvlink, pcie, infinity_fabric, infiniband, roce, "
                        "ethernet or unknown, got \"%.*s\"",
                        ctx->origin, ctx->line, quote_len(f), f.ptr);
}

/* ---- the database ---- */

static lp_status db_reserve(lp_gpu_db *db, size_t need, lp_error *err) {
    lp_gpu *rows = lp_grow(db->rows, &db->cap, need, sizeof *rows, 64);
    if (!rows)
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory while building the GPU database");
    db->rows = rows;
    return LP_OK;
}

static lp_gpu_db *db_new(lp_error *err) {
    lp_gpu_db *db = calloc(1, sizeof *db);
    if (!db)
        lp_error_set(err, LP_ERR_NOMEM, "out of memory while building the GPU database");
    return db;
}

/*
 * Row numbers by name, for the duplicate check of a file and the merge of a user file into the
 * embedded table: open addressing on FNV-1a, so that loading n rows costs O(n), not O(n^2)
 * (a 100,000-row --gpu-file took minutes with a linear search per row).
 */
typedef struct {
    uint64_t hash;
    long row; /* row + 1; 0: empty */
} name_slot;

typedef struct {
    name_slot *slots;
    size_t mask, used;
} name_index;

static uint64_t name_hash(const char *s) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a 64-bit offset basis and prime */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    /* FNV's low bits barely differ for names that differ in their last digits: mix the high
     * bits in (MurmurHash3's fmix64) before the table masks them off */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static long index_find(const name_index *ix, const lp_gpu_db *db, const char *name) {
    if (!ix->slots)
        return -1;
    uint64_t h = name_hash(name);
    for (size_t i = h & ix->mask;; i = (i + 1) & ix->mask) {
        const name_slot *sl = &ix->slots[i];
        if (!sl->row)
            return -1;
        if (sl->hash == h && strcmp(db->rows[sl->row - 1].name, name) == 0)
            return sl->row - 1;
    }
}

static void index_put(name_index *ix, uint64_t hash, long row1) {
    size_t i = hash & ix->mask;
    while (ix->slots[i].row)
        i = (i + 1) & ix->mask;
    ix->slots[i].hash = hash;
    ix->slots[i].row = row1;
    ix->used++;
}

/* Record row `row` of db under its name (the table is kept at most half full; the hashes it
 * keeps spare re-reading the rows when it grows). */
static lp_status index_add(name_index *ix, const lp_gpu_db *db, long row, lp_error *err) {
    if (!ix->slots || 2 * (ix->used + 1) > ix->mask + 1) {
        size_t size = ix->slots ? 2 * (ix->mask + 1) : 256;
        name_slot *old = ix->slots;
        size_t old_size = old ? ix->mask + 1 : 0;
        ix->slots = calloc(size, sizeof *ix->slots);
        if (!ix->slots) {
            ix->slots = old;
            return lp_error_set(err, LP_ERR_NOMEM, "out of memory while building the GPU database");
        }
        ix->mask = size - 1;
        ix->used = 0;
        for (size_t i = 0; i < old_size; i++)
            if (old[i].row)
                index_put(ix, old[i].hash, old[i].row);
        free(old);
    }
    index_put(ix, name_hash(db->rows[row].name), row + 1);
    return LP_OK;
}

/* Split the line [p, end) on tabs into fields (at most max); returns the count, or max + 1. */
static size_t split_tabs(const char *p, const char *end, field *fields, size_t max) {
    size_t n = 0;
    for (;;) {
        const char *tab = memchr(p, '\t', (size_t)(end - p));
        const char *stop = tab ? tab : end;
        if (n == max)
            return max + 1;
        fields[n++] = trim((field){p, (size_t)(stop - p)});
        if (!tab)
            return n;
        p = tab + 1;
    }
}

/* Header: map each column of the file to a column_id (or -1 when unknown). */
#define LP_MAX_COLUMNS 64

typedef struct {
    int file_col[COL_COUNT]; /* file column index of each known column, -1 when absent */
    size_t num_file_cols;
} header_map;

static lp_status parse_header(const parse_ctx *ctx, const char *p, const char *end,
                              header_map *map) {
    field cols[LP_MAX_COLUMNS];
    size_t n = split_tabs(p, end, cols, LP_MAX_COLUMNS);
    if (n > LP_MAX_COLUMNS)
        return lp_error_set(ctx->err, LP_ERR_PARSE, "%s:%zu: header has more than %d columns",
                            ctx->origin, ctx->line, LP_MAX_COLUMNS);
    for (int c = 0; c < COL_COUNT; c++)
        map->file_col[c] = -1;
    map->num_file_cols = n;
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < COL_COUNT; c++) {
            if (!field_is(cols[i], column_names[c]))
                continue;
            if (map->file_col[c] >= 0)
                return lp_error_set(ctx->err, LP_ERR_PARSE,
                                    "%s:%zu: header names column \"%s\" twice", ctx->origin,
                                    ctx->line, column_names[c]);
            map->file_col[c] = (int)i;
        }
    }
    if (map->file_col[COL_NAME] < 0)
        return lp_error_set(ctx->err, LP_ERR_MISSING_FIELD,
                            "%s:%zu: header has no \"name\" column; the first non-comment line "
                            "must name the tab-separated columns (name, memory_gib, ...)",
                            ctx->origin, ctx->line);
    if (map->file_col[COL_MEMORY] < 0 && map->file_col[COL_USABLE] < 0)
        return lp_error_set(ctx->err, LP_ERR_MISSING_FIELD,
                            "%s:%zu: header has neither \"memory_gib\" nor \"usable_gib\"; a GPU "
                            "row needs its memory size",
                            ctx->origin, ctx->line);
    return LP_OK;
}

static field get(const header_map *map, const field *fields, size_t n, column_id c) {
    int i = map->file_col[c];
    if (i < 0 || (size_t)i >= n)
        return (field){"", 0};
    return fields[i];
}

/*
 * usable_gib when the row does not give it, by the rule at the top of data/gpus.tsv: from the
 * nvidia-smi total when known, else from the marketed size.
 */
static void derive_usable(lp_gpu *g, double smi_mib) {
    g->usable_measured = false;
    if (smi_mib > 0) {
        g->usable_gib = smi_mib / 1024.0 - LP_SMI_TO_TORCH_GAP_GIB;
        snprintf(g->usable_source, sizeof g->usable_source,
                 "derived: nvidia-smi %.0f MiB / 1024 - %.3f GiB (H100 SXM gap)", smi_mib,
                 LP_SMI_TO_TORCH_GAP_GIB);
    } else {
        g->usable_gib = g->memory_gib * LP_MARKETED_TO_TORCH_RATIO;
        snprintf(g->usable_source, sizeof g->usable_source,
                 "derived: marketed %g x 79.18/80 (H100 SXM ratio)", g->memory_gib);
    }
}

static lp_status parse_row(const parse_ctx *ctx, const header_map *map, const field *f, size_t n,
                           lp_gpu *g) {
    lp_status st;
    memset(g, 0, sizeof *g);
#define TEXT(col, dst)                                                                             \
    if ((st = copy_text(ctx, col, get(map, f, n, col), dst, sizeof dst)) != LP_OK)                 \
    return st
#define NUM(col, dst)                                                                              \
    if ((st = parse_number(ctx, col, get(map, f, n, col), &dst)) != LP_OK)                         \
    return st
    TEXT(COL_NAME, g->name);
    if (g->name[0] == '\0')
        return lp_error_set(ctx->err, LP_ERR_MISSING_FIELD,
                            "%s:%zu: name: empty; every row needs a name", ctx->origin, ctx->line);
    TEXT(COL_ALIASES, g->aliases);
    TEXT(COL_VENDOR, g->vendor);
    TEXT(COL_ARCHITECTURE, g->architecture);
    TEXT(COL_USABLE_SOURCE, g->usable_source);
    TEXT(COL_SOURCE, g->source);
    if ((st = parse_cc(ctx, get(map, f, n, COL_CC), g)) != LP_OK)
        return st;
    double smi_mib = 0;
    NUM(COL_MEMORY, g->memory_gib);
    NUM(COL_USABLE, g->usable_gib);
    NUM(COL_SMI_MIB, smi_mib);
    NUM(COL_BANDWIDTH, g->bandwidth_gbs);
    NUM(COL_BF16, g->bf16_tflops);
    NUM(COL_FP16, g->fp16_tflops);
    NUM(COL_FP8, g->fp8_tflops);
    NUM(COL_INT8, g->int8_tops);
    NUM(COL_FP4, g->fp4_tflops);
    NUM(COL_TDP, g->tdp_w);
    NUM(COL_LINK_GBS, g->link_gbs);
    NUM(COL_PCIE_GBS, g->pcie_gbs);
#undef TEXT
#undef NUM
    if ((st = parse_link(ctx, get(map, f, n, COL_LINK), &g->link)) != LP_OK)
        return st;
    /* A file without an fp16 column means the usual case: FP16 runs at the BF16 rate. */
    if (map->file_col[COL_FP16] < 0)
        g->fp16_tflops = g->bf16_tflops;

    if (g->memory_gib <= 0 && g->usable_gib <= 0)
        return lp_error_set(ctx->err, LP_ERR_MISSING_FIELD,
                            "%s:%zu: %s: no memory size; give memory_gib (as marketed) or "
                            "usable_gib (as torch reports it)",
                            ctx->origin, ctx->line, g->name);
    if (g->usable_gib > 0) {
        /* A value given without a stated provenance is taken as reported by the user. */
        g->usable_measured = strncmp(g->usable_source, "derived", 7) != 0;
        if (g->usable_source[0] == '\0')
            snprintf(g->usable_source, sizeof g->usable_source, "given in %.140s", ctx->origin);
    } else {
        derive_usable(g, smi_mib);
    }
    return LP_OK;
}

lp_status lp_gpu_db_parse_tsv(const char *text, size_t len, const char *origin, lp_gpu_db **out,
                              lp_error *err) {
    if (!out || (!text && len > 0))
        return lp_error_set(err, LP_ERR_INVALID_ARG, "lp_gpu_db_parse_tsv: NULL argument");
    *out = NULL;
    parse_ctx ctx = {origin ? origin : "GPU table", 0, err};
    lp_gpu_db *db = db_new(err);
    if (!db)
        return LP_ERR_NOMEM;
    header_map map = {0};
    bool have_header = false;
    name_index names = {NULL, 0, 0};
    lp_status st = LP_OK;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        ctx.line++;
        field whole = trim((field){p, (size_t)(line_end - p)});
        const char *next = nl ? nl + 1 : end;
        if (whole.len == 0 || whole.ptr[0] == '#') {
            p = next;
            continue;
        }
        if (memchr(p, '\0', (size_t)(line_end - p))) {
            st = lp_error_set(err, LP_ERR_PARSE, "%s:%zu: NUL byte in a text file", ctx.origin,
                              ctx.line);
            goto fail;
        }
        if (!have_header) {
            if ((st = parse_header(&ctx, p, line_end, &map)) != LP_OK)
                goto fail;
            have_header = true;
            p = next;
            continue;
        }
        field fields[LP_MAX_COLUMNS];
        size_t n = split_tabs(p, line_end, fields, map.num_file_cols);
        if (n > map.num_file_cols) {
            st = lp_error_set(err, LP_ERR_PARSE,
                              "%s:%zu: row has more fields than the %zu columns of the header "
                              "(columns are separated by tabs)",
                              ctx.origin, ctx.line, map.num_file_cols);
            goto fail;
        }
        if ((st = db_reserve(db, db->count + 1, err)) != LP_OK)
            goto fail;
        lp_gpu *g = &db->rows[db->count];
        if ((st = parse_row(&ctx, &map, fields, n, g)) != LP_OK)
            goto fail;
        /* shown on terminals: a user's file is not trusted to hold only printable text */
        char *texts[] = {g->name,         g->aliases, g->vendor,
                         g->architecture, g->source,  g->usable_source};
        for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++)
            lp_text_printable(texts[k]);
        if (index_find(&names, db, g->name) >= 0) {
            st = lp_error_set(err, LP_ERR_PARSE,
                              "%s:%zu: name: \"%s\" appears twice; each GPU needs its own row",
                              ctx.origin, ctx.line, g->name);
            goto fail;
        }
        if ((st = index_add(&names, db, (long)db->count, err)) != LP_OK)
            goto fail;
        db->count++;
        p = next;
    }
    if (!have_header) {
        st = lp_error_set(err, LP_ERR_PARSE,
                          "%s: empty file: expected a header line naming the tab-separated "
                          "columns (name, memory_gib, ...) and one row per GPU",
                          ctx.origin);
        goto fail;
    }
    free(names.slots);
    *out = db;
    return LP_OK;
fail:
    free(names.slots);
    lp_gpu_db_free(db);
    return st;
}

/* ---- the embedded database ---- */

static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;
static lp_gpu_db *builtin_db;

static void builtin_init(void) {
    lp_gpu_db *db = NULL;
    if (lp_gpu_db_parse_tsv((const char *)lp_data_gpus_tsv, lp_data_gpus_tsv_len, LP_ORIGIN_BUILTIN,
                            &db, NULL) == LP_OK)
        builtin_db = db;
}

const lp_gpu_db *lp_gpu_db_builtin(void) {
    pthread_once(&builtin_once, builtin_init);
    return builtin_db;
}

/* ---- user files ---- */

/* Largest --gpu-file read: 100,000 rows of a few hundred bytes fit many times over. */
#define GPU_FILE_MAX_BYTES (256u * 1024u * 1024u)

static lp_status read_file(const char *path, char **text, size_t *len, lp_error *err) {
    return lp_read_file(path, "GPU file", GPU_FILE_MAX_BYTES, text, len, err);
}

lp_status lp_gpu_db_load_file(const char *path, lp_gpu_db **out, lp_error *err) {
    if (!path || !out)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "lp_gpu_db_load_file: NULL argument");
    *out = NULL;
    const lp_gpu_db *builtin = lp_gpu_db_builtin();
    if (!builtin)
        return lp_error_set(err, LP_ERR_PARSE,
                            "the embedded GPU table is corrupt (a build defect); rebuild llmplan");
    char *text = NULL;
    size_t len = 0;
    lp_status st = read_file(path, &text, &len, err);
    if (st != LP_OK)
        return st;
    lp_gpu_db *user = NULL;
    st = lp_gpu_db_parse_tsv(text, len, path, &user, err);
    free(text);
    if (st != LP_OK)
        return st;

    lp_gpu_db *db = db_new(err);
    if (!db) {
        lp_gpu_db_free(user);
        return LP_ERR_NOMEM;
    }
    if ((st = db_reserve(db, builtin->count + user->count, err)) != LP_OK) {
        lp_gpu_db_free(user);
        lp_gpu_db_free(db);
        return st;
    }
    memcpy(db->rows, builtin->rows, builtin->count * sizeof *db->rows);
    db->count = builtin->count;
    name_index names = {NULL, 0, 0};
    for (size_t i = 0; i < db->count && st == LP_OK; i++)
        st = index_add(&names, db, (long)i, err);
    for (size_t i = 0; i < user->count && st == LP_OK; i++) {
        long at = index_find(&names, db, user->rows[i].name);
        if (at >= 0) {
            db->rows[at] = user->rows[i];
        } else {
            db->rows[db->count] = user->rows[i];
            st = index_add(&names, db, (long)db->count, err);
            db->count++;
        }
    }
    free(names.slots);
    lp_gpu_db_free(user);
    if (st != LP_OK) {
        lp_gpu_db_free(db);
        return st;
    }
    *out = db;
    return LP_OK;
}

void lp_gpu_db_free(lp_gpu_db *db) {
    if (!db)
        return;
    free(db->rows);
    free(db);
}

size_t lp_gpu_db_count(const lp_gpu_db *db) {
    return db ? db->count : 0;
}

const lp_gpu *lp_gpu_db_at(const lp_gpu_db *db, size_t i) {
    return db && i < db->count ? &db->rows[i] : NULL;
}

/* ---- capabilities ---- */

static bool is_cuda(const lp_gpu *gpu) {
    return gpu->cc_major >= 0;
}

static int cc_value(const lp_gpu *gpu) {
    return gpu->cc_major * 10 + gpu->cc_minor;
}

/* FP8: vLLM's CUDA check is compute capability >= 8.9 (Ada, Hopper, Blackwell); on ROCm MI300
 * (gfx942) and MI350 (gfx950). Other devices: when the row gives FP8 FLOPS. */
bool lp_gpu_supports_fp8(const lp_gpu *gpu) {
    if (!gpu)
        return false;
    if (is_cuda(gpu))
        return cc_value(gpu) >= 89;
    if (strcmp(gpu->arch_tag, "gfx942") == 0 || strcmp(gpu->arch_tag, "gfx950") == 0)
        return true;
    return gpu->fp8_tflops > 0;
}

/* BF16: CUDA needs compute capability >= 8.0 (Ampere); others when the row gives BF16 FLOPS. */
bool lp_gpu_supports_bf16(const lp_gpu *gpu) {
    if (!gpu)
        return false;
    if (is_cuda(gpu))
        return cc_value(gpu) >= 80;
    return gpu->bf16_tflops > 0;
}

/* FP4 tensor cores: Blackwell (compute capability 10.x data centre, 12.x consumer/workstation)
 * and CDNA 4 (gfx950). */
bool lp_gpu_supports_fp4(const lp_gpu *gpu) {
    if (!gpu)
        return false;
    if (is_cuda(gpu))
        return gpu->cc_major == 10 || gpu->cc_major == 12;
    return strcmp(gpu->arch_tag, "gfx950") == 0;
}
