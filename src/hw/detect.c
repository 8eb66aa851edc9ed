/*
 * detect.c - reading what the GPU tools print: nvidia-smi's --query-gpu CSV, `nvidia-smi topo
 * -m` and rocm-smi's JSON/CSV, into one plain lp_detect_result; matching the names against the
 * GPU database; and the torch view of a detected GPU's memory.
 *
 * Every parser is a pure function over text: no I/O, no allocation except jansson's for the
 * rocm-smi JSON. The tools' formats are lenient in practice (a header or not, units or not,
 * tabs or spaces, ANSI underlining in the `topo -m` header), so the parsers accept those
 * variants; anything else is LP_ERR_PARSE naming the line, because a wrong GPU count or memory
 * size would make every plan built on it wrong.
 *
 * Not here: running the tools or loading NVML (detect_smi.c, detect_nvml.c).
 */
#include "llmplan/detect.h"

#include "common/text.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* data/gpus.tsv rule 2: torch's total is nvidia-smi's memory.total less about 0.467 GiB of
 * driver reservation, the gap measured on the H100 SXM (81559 MiB = 79.647 GiB in nvidia-smi,
 * 79.18 GiB in torch). */
#define DRIVER_RESERVED_GIB 0.467
#define MIB_PER_GIB 1024.0
#define BYTES_PER_MIB 1048576.0
/* Longest line or cell the parsers look at; longer ones are malformed for these tools. */
/* A --query-gpu with every field nvidia-smi knows has about 250 columns and a 7 KB header
 * line (../shared/fixtures/nvidia-smi/h100-sxm-80gbx1.query-gpu.csv). */
#define LINE_MAX_LEN 32768
#define MAX_CELLS 512

const char *lp_detect_source_name(lp_detect_source source) {
    switch (source) {
    case LP_DETECT_SOURCE_NVML:
        return "nvml";
    case LP_DETECT_SOURCE_NVIDIA_SMI:
        return "nvidia-smi";
    case LP_DETECT_SOURCE_ROCM_SMI:
        return "rocm-smi";
    default:
        return "none";
    }
}

const char *lp_topo_link_str(lp_topo_link link, char *buf, size_t size) {
    const char *s = "?";
    switch (link.kind) {
    case LP_TOPO_SELF:
        s = "X";
        break;
    case LP_TOPO_NVLINK:
        snprintf(buf, size, "NV%d", link.nvlinks);
        return buf;
    case LP_TOPO_PIX:
        s = "PIX";
        break;
    case LP_TOPO_PXB:
        s = "PXB";
        break;
    case LP_TOPO_PHB:
        s = "PHB";
        break;
    case LP_TOPO_NODE:
        s = "NODE";
        break;
    case LP_TOPO_SYS:
        s = "SYS";
        break;
    default:
        break;
    }
    snprintf(buf, size, "%s", s);
    return buf;
}

void lp_detect_result_init(lp_detect_result *r) {
    memset(r, 0, sizeof *r);
}

static void reset_gpus(lp_detect_result *r) {
    r->n_gpus = 0;
    memset(r->gpus, 0, sizeof r->gpus);
}

static void init_gpu(lp_detected_gpu *g, int index, lp_detect_source source) {
    memset(g, 0, sizeof *g);
    g->index = index;
    g->used_mib = -1;
    g->free_mib = -1;
    g->cc_major = g->cc_minor = -1;
    g->nvlinks_active = -1;
    g->source = source;
}

/* ---- lines and cells ---------------------------------------------------------------------- */

/* The next line of text (without its '\n' or "\r\n") copied into buf; false at the end.
 * *pos advances; a line longer than the buffer is reported through *too_long. */
static int next_line(const char *text, size_t *pos, char *buf, size_t size, bool *too_long) {
    if (text[*pos] == '\0')
        return 0;
    const char *start = text + *pos;
    const char *nl = strchr(start, '\n');
    size_t len = nl ? (size_t)(nl - start) : strlen(start);
    *pos += len + (nl ? 1 : 0);
    if (len > 0 && start[len - 1] == '\r')
        len--;
    *too_long = len >= size;
    if (*too_long)
        len = size - 1;
    memcpy(buf, start, len);
    buf[len] = '\0';
    return 1;
}

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

static bool blank(const char *s) {
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return false;
    return true;
}

/* Split line in place at each sep into at most max cells (trimmed); returns the count, or
 * max + 1 when there are more. With quotes, "a, b" is one cell (rocm-smi CSV). */
static int split_cells(char *line, char sep, bool quotes, char **cells, int max) {
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max)
            return max + 1;
        char *start = p;
        bool in_quotes = false;
        while (*p && (in_quotes || *p != sep)) {
            if (quotes && *p == '"')
                in_quotes = !in_quotes;
            p++;
        }
        bool last = *p == '\0';
        *p = '\0';
        char *c = trim(start);
        size_t len = strlen(c);
        if (quotes && len >= 2 && c[0] == '"' && c[len - 1] == '"') {
            c[len - 1] = '\0';
            c++;
        }
        cells[n++] = c;
        if (last)
            return n;
        p++;
    }
}

/* Whitespace-separated tokens of line (in place); count, or max + 1 when there are more. */
static int split_ws(char *line, char **tokens, int max) {
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            return n;
        if (n == max)
            return max + 1;
        tokens[n++] = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (*p)
            *p++ = '\0';
    }
}

/* A non-negative finite number, optionally followed by the unit (" MiB"). */
static bool parse_number(const char *s, const char *unit, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno != 0 || !isfinite(v) || v < 0)
        return false;
    while (*end == ' ')
        end++;
    if (unit && strcmp(end, unit) == 0)
        end += strlen(unit);
    if (*end != '\0')
        return false;
    *out = v;
    return true;
}

static bool parse_int(const char *s, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno != 0 || v < 0 || v > 1000000)
        return false;
    *out = (int)v;
    return true;
}

/* nvidia-smi writes "[N/A]", "[Not Supported]" or "N/A" where a value is not reported. */
static bool not_reported(const char *s) {
    return s[0] == '[' || strcmp(s, "N/A") == 0;
}

/* ---- nvidia-smi --query-gpu ------------------------------------------------------------- */

typedef enum { COL_OTHER = 0, COL_INDEX, COL_NAME, COL_TOTAL, COL_USED, COL_FREE, COL_CC } column;

/* The column a --query-gpu field name (without " [MiB]") stands for. */
static column column_of(const char *name) {
    static const struct {
        const char *name;
        column col;
    } names[] = {
        {"index", COL_INDEX},        {"name", COL_NAME},        {"gpu_name", COL_NAME},
        {"memory.total", COL_TOTAL}, {"memory.used", COL_USED}, {"memory.free", COL_FREE},
        {"compute_cap", COL_CC},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0)
            return names[i].col;
    return COL_OTHER;
}

/* A header cell ("memory.total [MiB]") without its unit, in place. */
static char *strip_unit(char *cell) {
    char *br = strchr(cell, '[');
    if (br)
        *br = '\0';
    return trim(cell);
}

/* Whether a first line is a header: its first cell is a field name (lower case, dots). */
static bool is_header(const char *first_cell) {
    char buf[64];
    snprintf(buf, sizeof buf, "%s", first_cell);
    char *name = strip_unit(buf);
    bool letter = false;
    if (!*name)
        return false;
    for (const char *p = name; *p; p++) {
        if (islower((unsigned char)*p))
            letter = true;
        else if (!isdigit((unsigned char)*p) && *p != '.' && *p != '_')
            return false;
    }
    return letter;
}

/* Columns from a comma-separated field list (header line or --query-gpu list). */
static int columns_from(char *list, column *cols, int max) {
    char *cells[MAX_CELLS];
    int n = split_cells(list, ',', false, cells, MAX_CELLS);
    if (n > max)
        return -1;
    for (int i = 0; i < n; i++)
        cols[i] = column_of(strip_unit(cells[i]));
    return n;
}

static const char *column_name(column c) {
    switch (c) {
    case COL_INDEX:
        return "index";
    case COL_NAME:
        return "name";
    case COL_TOTAL:
        return "memory.total";
    case COL_USED:
        return "memory.used";
    case COL_FREE:
        return "memory.free";
    case COL_CC:
        return "compute_cap";
    default:
        return "?";
    }
}

static lp_status smi_cell(lp_detected_gpu *g, column col, const char *cell, size_t line,
                          lp_error *err) {
    static const char *const where = "nvidia-smi --query-gpu output";
    switch (col) {
    case COL_INDEX:
        if (!parse_int(cell, &g->index))
            return lp_error_set(err, LP_ERR_PARSE,
                                "%s, line %zu: index: expected a GPU number, got \"%s\"", where,
                                line, cell);
        return LP_OK;
    case COL_NAME:
        if (!*cell)
            return lp_error_set(err, LP_ERR_PARSE, "%s, line %zu: the GPU name is empty", where,
                                line);
        snprintf(g->name, sizeof g->name, "%s", cell);
        lp_text_printable(g->name); /* a tool's output is not trusted to be printable */
        return LP_OK;
    case COL_TOTAL:
    case COL_USED:
    case COL_FREE: {
        double *dst = col == COL_TOTAL  ? &g->total_mib
                      : col == COL_USED ? &g->used_mib
                                        : &g->free_mib;
        if (col != COL_TOTAL && not_reported(cell)) {
            *dst = -1;
            return LP_OK;
        }
        if (!parse_number(cell, "MiB", dst))
            return lp_error_set(err, LP_ERR_PARSE,
                                "%s, line %zu: %s: expected a number of MiB, got \"%s\"", where,
                                line, column_name(col), cell);
        return LP_OK;
    }
    case COL_CC: {
        if (not_reported(cell))
            return LP_OK;
        char buf[32];
        snprintf(buf, sizeof buf, "%s", cell);
        char *dot = strchr(buf, '.');
        if (dot)
            *dot = '\0';
        if (!dot || !parse_int(buf, &g->cc_major) || !parse_int(dot + 1, &g->cc_minor) ||
            g->cc_major > 99 || g->cc_minor > 99)
            return lp_error_set(
                err, LP_ERR_PARSE,
                "%s, line %zu: compute_cap: expected major.minor (\"9.0\"), got \"%s\"", where,
                line, cell);
        return LP_OK;
    }
    default:
        return LP_OK;
    }
}

/* What nvidia-smi output other than --query-gpu's CSV text is, for a refusal that says so;
 * NULL when it looks like none of them. */
static const char *other_smi_output(const char *text) {
    if (strstr(text, "<nvidia_smi_log>") || strncmp(text, "<?xml", 5) == 0)
        return "the XML of nvidia-smi -q -x";
    if (strstr(text, "==NVSMI LOG=="))
        return "the report of nvidia-smi -q";
    if (strstr(text, "NVIDIA-SMI") && strstr(text, "+---"))
        return "the table nvidia-smi prints by default";
    if (strstr(text, "Legend:") && strstr(text, "GPU0"))
        return "the matrix of nvidia-smi topo -m";
    return NULL;
}

static lp_status parse_smi_csv(const char *text, const char *fields, lp_detect_result *r,
                               lp_error *err) {
    const char *other = other_smi_output(text);
    if (other)
        return lp_error_set(err, LP_ERR_PARSE,
                            "this is %s, not the CSV of nvidia-smi --query-gpu=%s "
                            "--format=csv,noheader,nounits that llmplan reads",
                            other, LP_DETECT_SMI_FIELDS);
    static const char *const where = "nvidia-smi --query-gpu output";
    column cols[MAX_CELLS];
    char list[LINE_MAX_LEN];
    snprintf(list, sizeof list, "%s", fields ? fields : LP_DETECT_SMI_FIELDS);
    int ncols = columns_from(list, cols, MAX_CELLS);
    char line[LINE_MAX_LEN];
    size_t pos = 0, lineno = 0;
    bool too_long, first = true;
    while (next_line(text, &pos, line, sizeof line, &too_long)) {
        lineno++;
        if (too_long)
            return lp_error_set(err, LP_ERR_PARSE, "%s, line %zu: line too long", where, lineno);
        if (blank(line))
            continue;
        char *cells[MAX_CELLS];
        int n = split_cells(line, ',', false, cells, MAX_CELLS);
        if (first && n > 0 && n <= MAX_CELLS && is_header(cells[0])) {
            /* the header names the columns (with --format=csv, units in brackets) */
            for (int i = 0; i < n; i++)
                cols[i] = column_of(strip_unit(cells[i]));
            ncols = n;
            first = false;
            continue;
        }
        first = false;
        bool have_name = false, have_total = false;
        for (int i = 0; i < ncols; i++) {
            have_name |= cols[i] == COL_NAME;
            have_total |= cols[i] == COL_TOTAL;
        }
        if (ncols <= 0 || !have_name || !have_total)
            return lp_error_set(err, LP_ERR_PARSE,
                                "%s: the columns must include name and memory.total (query "
                                "--query-gpu=%s)",
                                where, LP_DETECT_SMI_FIELDS);
        if (n != ncols)
            return lp_error_set(err, LP_ERR_PARSE,
                                "%s, line %zu: expected %d comma-separated fields, got %d (a "
                                "truncated line?)",
                                where, lineno, ncols, n > MAX_CELLS ? MAX_CELLS : n);
        if (r->n_gpus == LP_DETECT_MAX_GPUS)
            return lp_error_set(err, LP_ERR_PARSE, "%s, line %zu: more than %d GPUs", where, lineno,
                                LP_DETECT_MAX_GPUS);
        lp_detected_gpu *g = &r->gpus[r->n_gpus];
        init_gpu(g, r->n_gpus, LP_DETECT_SOURCE_NVIDIA_SMI);
        for (int i = 0; i < n; i++) {
            lp_status st = smi_cell(g, cols[i], cells[i], lineno, err);
            if (st != LP_OK)
                return st;
        }
        r->n_gpus++;
    }
    if (r->n_gpus == 0)
        return lp_error_set(err, LP_ERR_PARSE, "%s: no GPU lines (expected one line per GPU)",
                            where);
    return LP_OK;
}

lp_status lp_detect_parse_smi_csv(const char *text, const char *fields, lp_detect_result *r,
                                  lp_error *err) {
    if (!text || !r)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "lp_detect_parse_smi_csv: NULL argument");
    reset_gpus(r);
    r->source = LP_DETECT_SOURCE_NVIDIA_SMI;
    lp_status st = parse_smi_csv(text, fields, r, err);
    if (st != LP_OK)
        reset_gpus(r); /* nothing half-parsed is left behind */
    return st;
}

/* ---- nvidia-smi topo -m ----------------------------------------------------------------- */

/* Remove ANSI escape sequences (ESC [ ... letter) in place: the header is underlined. */
static void strip_ansi(char *s) {
    char *w = s;
    for (const char *p = s; *p;) {
        if (*p == '\x1b') {
            p++;
            if (*p == '[') {
                p++;
                while (*p && !isalpha((unsigned char)*p))
                    p++;
            }
            if (*p)
                p++;
            continue;
        }
        *w++ = *p++;
    }
    *w = '\0';
}

/* "GPU<k>" with k == expect. */
static bool is_gpu_label(const char *tok, int expect) {
    int k;
    return strncmp(tok, "GPU", 3) == 0 && parse_int(tok + 3, &k) && k == expect;
}

static bool parse_link(const char *tok, lp_topo_link *out) {
    static const struct {
        const char *name;
        lp_topo_kind kind;
    } kinds[] = {{"X", LP_TOPO_SELF},  {"PIX", LP_TOPO_PIX},   {"PXB", LP_TOPO_PXB},
                 {"PHB", LP_TOPO_PHB}, {"NODE", LP_TOPO_NODE}, {"SYS", LP_TOPO_SYS},
                 {"SOC", LP_TOPO_SYS}};
    out->nvlinks = 0;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(tok, kinds[i].name) == 0) {
            out->kind = kinds[i].kind;
            return true;
        }
    }
    int k;
    if (strncmp(tok, "NV", 2) == 0 && parse_int(tok + 2, &k) && k > 0 && k <= 1000) {
        out->kind = LP_TOPO_NVLINK;
        out->nvlinks = k;
        return true;
    }
    return false;
}

lp_status lp_detect_parse_topo(const char *text, lp_detect_result *r, lp_error *err) {
    static const char *const where = "nvidia-smi topo -m output";
    if (!text || !r)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "lp_detect_parse_topo: NULL argument");
    r->have_topology = false;
    r->n_topo_gpus = 0;
    char line[LINE_MAX_LEN];
    size_t pos = 0, lineno = 0;
    bool too_long;
    int n = -1, rows = 0;
    lp_topo_link links[LP_DETECT_MAX_GPUS][LP_DETECT_MAX_GPUS];
    while (next_line(text, &pos, line, sizeof line, &too_long)) {
        lineno++;
        if (too_long)
            return lp_error_set(err, LP_ERR_PARSE, "%s, line %zu: line too long", where, lineno);
        strip_ansi(line);
        if (blank(line)) {
            if (n > 0 && rows > 0)
                break; /* the legend follows */
            continue;
        }
        char *tok[LP_DETECT_MAX_GPUS + 2];
        int nt = split_ws(line, tok, LP_DETECT_MAX_GPUS + 2);
        if (n < 0) {
            /* header: GPU0 GPU1 ... then NIC0 ..., "CPU Affinity" ... */
            n = 0;
            while (n < nt && n <= LP_DETECT_MAX_GPUS && is_gpu_label(tok[n], n))
                n++;
            if (n > LP_DETECT_MAX_GPUS)
                return lp_error_set(err, LP_ERR_PARSE, "%s, line %zu: more than %d GPUs", where,
                                    lineno, LP_DETECT_MAX_GPUS);
            if (n == 0)
                return lp_error_set(err, LP_ERR_PARSE,
                                    "%s, line %zu: expected the matrix header (GPU0 GPU1 ... CPU "
                                    "Affinity), got \"%.60s\"",
                                    where, lineno, tok[0]);
            continue;
        }
        if (rows == n) {
            if (strncmp(tok[0], "NIC", 3) == 0)
                continue; /* NIC rows after the GPU rows */
            break;
        }
        if (!is_gpu_label(tok[0], rows))
            return lp_error_set(err, LP_ERR_PARSE,
                                "%s, line %zu: expected the row of GPU%d, got \"%.60s\"", where,
                                lineno, rows, tok[0]);
        if (nt < n + 1)
            return lp_error_set(err, LP_ERR_PARSE,
                                "%s, line %zu: GPU%d lists %d links, expected %d (a truncated "
                                "line?)",
                                where, lineno, rows, nt - 1, n);
        for (int j = 0; j < n; j++) {
            if (!parse_link(tok[j + 1], &links[rows][j]))
                return lp_error_set(err, LP_ERR_PARSE,
                                    "%s, line %zu: GPU%d to GPU%d: expected X, NV#, PIX, PXB, PHB, "
                                    "NODE or SYS, got \"%.20s\"",
                                    where, lineno, rows, j, tok[j + 1]);
            if ((j == rows) != (links[rows][j].kind == LP_TOPO_SELF))
                return lp_error_set(err, LP_ERR_PARSE,
                                    "%s, line %zu: GPU%d to GPU%d: \"X\" belongs on the diagonal "
                                    "and only there",
                                    where, lineno, rows, j);
        }
        rows++;
    }
    if (n <= 0)
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s: no GPU matrix found (expected a header GPU0 GPU1 ...)", where);
    if (rows < n)
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s: the header lists %d GPUs but only %d rows follow (truncated?)",
                            where, n, rows);
    if (r->n_gpus > 0 && r->n_gpus != n)
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s lists %d GPUs but the GPU query listed %d; run both again", where,
                            n, r->n_gpus);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            r->links[i][j] = links[i][j];
    r->n_topo_gpus = n;
    r->have_topology = true;
    return LP_OK;
}

/* ---- rocm-smi ----------------------------------------------------------------------------- */

/* rocm-smi's key names differ between releases ("Card series" / "Card Series"). */
static const char *const ROCM_NAME_KEYS[] = {"Card Series", "Card series", "Card SKU", "Card model",
                                             "Card Model"};
static const char *const ROCM_TOTAL_KEY = "VRAM Total Memory (B)";
static const char *const ROCM_USED_KEY = "VRAM Total Used Memory (B)";
static const char *const ROCM_GFX_KEY = "GFX Version";

/* "card3" -> 3 */
static bool card_index(const char *key, int *out) {
    return strncmp(key, "card", 4) == 0 && parse_int(key + 4, out);
}

/* Fill g from one card's (key, value) lookups; get(key) returns the value text or NULL. */
typedef const char *(*rocm_get)(void *ctx, const char *key);

static lp_status rocm_card(lp_detected_gpu *g, rocm_get get, void *ctx, const char *where,
                           lp_error *err) {
    const char *name = NULL;
    for (size_t i = 0; i < sizeof ROCM_NAME_KEYS / sizeof ROCM_NAME_KEYS[0] && !name; i++) {
        name = get(ctx, ROCM_NAME_KEYS[i]);
        if (name && !*name)
            name = NULL;
    }
    if (!name)
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s: no \"Card Series\" (run rocm-smi with --showproductname)", where);
    snprintf(g->name, sizeof g->name, "%s", name);
    lp_text_printable(g->name);
    const char *total = get(ctx, ROCM_TOTAL_KEY), *used = get(ctx, ROCM_USED_KEY);
    double v;
    if (!total)
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s: no \"%s\" (run rocm-smi with --showmeminfo vram)", where,
                            ROCM_TOTAL_KEY);
    if (!parse_number(total, NULL, &v))
        return lp_error_set(err, LP_ERR_PARSE, "%s: \"%s\": expected a number of bytes, got \"%s\"",
                            where, ROCM_TOTAL_KEY, total);
    g->total_mib = v / BYTES_PER_MIB;
    if (used && !not_reported(used)) {
        if (!parse_number(used, NULL, &v))
            return lp_error_set(err, LP_ERR_PARSE,
                                "%s: \"%s\": expected a number of bytes, got \"%s\"", where,
                                ROCM_USED_KEY, used);
        g->used_mib = v / BYTES_PER_MIB;
    }
    const char *gfx = get(ctx, ROCM_GFX_KEY);
    if (gfx)
        snprintf(g->arch, sizeof g->arch, "%s", gfx);
    return LP_OK;
}

typedef struct {
    json_t *card;
    char num[32];
} json_card_ctx;

static const char *json_get(void *vctx, const char *key) {
    json_card_ctx *ctx = vctx;
    json_t *v = json_object_get(ctx->card, key);
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_number(v)) {
        snprintf(ctx->num, sizeof ctx->num, "%.0f", json_number_value(v));
        return ctx->num;
    }
    return NULL;
}

typedef struct {
    char **header, **row;
    int n;
} csv_card_ctx;

static const char *csv_get(void *vctx, const char *key) {
    csv_card_ctx *ctx = vctx;
    for (int i = 0; i < ctx->n; i++)
        if (strcmp(ctx->header[i], key) == 0)
            return ctx->row[i];
    return NULL;
}

static int compare_index(const void *a, const void *b) {
    const lp_detected_gpu *x = a, *y = b;
    return (x->index > y->index) - (x->index < y->index);
}

static lp_status parse_rocm_json(const char *text, lp_detect_result *r, lp_error *err) {
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    if (!root)
        return lp_error_set(err, LP_ERR_PARSE, "rocm-smi JSON output, line %d column %d: %s",
                            jerr.line, jerr.column, jerr.text);
    lp_status st = LP_OK;
    if (!json_is_object(root)) {
        st = lp_error_set(err, LP_ERR_PARSE,
                          "rocm-smi JSON output: expected an object with one \"cardN\" per GPU");
        goto done;
    }
    const char *key;
    json_t *card;
    json_object_foreach(root, key, card) {
        int idx;
        if (!card_index(key, &idx))
            continue; /* "system" and the like */
        char where[96];
        snprintf(where, sizeof where, "rocm-smi JSON output, %s", key);
        if (!json_is_object(card)) {
            st = lp_error_set(err, LP_ERR_PARSE, "%s: expected an object", where);
            goto done;
        }
        if (r->n_gpus == LP_DETECT_MAX_GPUS) {
            st = lp_error_set(err, LP_ERR_PARSE, "rocm-smi JSON output: more than %d GPUs",
                              LP_DETECT_MAX_GPUS);
            goto done;
        }
        lp_detected_gpu *g = &r->gpus[r->n_gpus];
        init_gpu(g, idx, LP_DETECT_SOURCE_ROCM_SMI);
        json_card_ctx ctx = {card, {0}};
        if ((st = rocm_card(g, json_get, &ctx, where, err)) != LP_OK)
            goto done;
        r->n_gpus++;
    }
    if (r->n_gpus == 0)
        st = lp_error_set(err, LP_ERR_PARSE, "rocm-smi JSON output: no \"cardN\" entries");
done:
    json_decref(root);
    return st;
}

static lp_status parse_rocm_csv(const char *text, lp_detect_result *r, lp_error *err) {
    char line[LINE_MAX_LEN], header_line[LINE_MAX_LEN];
    char *header[MAX_CELLS];
    int nh = -1;
    size_t pos = 0, lineno = 0;
    bool too_long;
    while (next_line(text, &pos, line, sizeof line, &too_long)) {
        lineno++;
        if (too_long)
            return lp_error_set(err, LP_ERR_PARSE, "rocm-smi CSV output, line %zu: line too long",
                                lineno);
        if (blank(line) || line[0] == '=')
            continue; /* rocm-smi frames its output with ===== lines */
        if (nh < 0) {
            memcpy(header_line, line, sizeof line);
            nh = split_cells(header_line, ',', true, header, MAX_CELLS);
            if (nh > MAX_CELLS || strcmp(header[0], "device") != 0)
                return lp_error_set(err, LP_ERR_PARSE,
                                    "rocm-smi CSV output, line %zu: expected a header starting "
                                    "with \"device\"",
                                    lineno);
            continue;
        }
        char *row[MAX_CELLS];
        int n = split_cells(line, ',', true, row, MAX_CELLS);
        int idx;
        if (n < 1 || !card_index(row[0], &idx))
            return lp_error_set(err, LP_ERR_PARSE,
                                "rocm-smi CSV output, line %zu: expected \"cardN,...\", got "
                                "\"%.40s\"",
                                lineno, line);
        if (n != nh)
            return lp_error_set(err, LP_ERR_PARSE,
                                "rocm-smi CSV output, line %zu: expected %d fields, got %d (a "
                                "truncated line?)",
                                lineno, nh, n > MAX_CELLS ? MAX_CELLS : n);
        if (r->n_gpus == LP_DETECT_MAX_GPUS)
            return lp_error_set(err, LP_ERR_PARSE,
                                "rocm-smi CSV output, line %zu: more than %d GPUs", lineno,
                                LP_DETECT_MAX_GPUS);
        lp_detected_gpu *g = &r->gpus[r->n_gpus];
        init_gpu(g, idx, LP_DETECT_SOURCE_ROCM_SMI);
        char where[64];
        snprintf(where, sizeof where, "rocm-smi CSV output, line %zu", lineno);
        csv_card_ctx ctx = {header, row, n};
        lp_status st = rocm_card(g, csv_get, &ctx, where, err);
        if (st != LP_OK)
            return st;
        r->n_gpus++;
    }
    if (r->n_gpus == 0)
        return lp_error_set(err, LP_ERR_PARSE, "rocm-smi CSV output: no \"cardN\" lines");
    return LP_OK;
}

lp_status lp_detect_parse_rocm(const char *text, lp_detect_result *r, lp_error *err) {
    if (!text || !r)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "lp_detect_parse_rocm: NULL argument");
    reset_gpus(r);
    r->source = LP_DETECT_SOURCE_ROCM_SMI;
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    lp_status st = *p == '{' ? parse_rocm_json(p, r, err) : parse_rocm_csv(text, r, err);
    if (st != LP_OK) {
        reset_gpus(r);
        return st;
    }
    qsort(r->gpus, (size_t)r->n_gpus, sizeof r->gpus[0], compare_index);
    return LP_OK;
}

/* ---- matching and memory ------------------------------------------------------------------ */

void lp_detect_match(lp_detect_result *r, const lp_gpu_db *db) {
    for (int i = 0; i < r->n_gpus; i++) {
        lp_detected_gpu *g = &r->gpus[i];
        lp_error e;
        lp_error_clear(&e);
        g->match = NULL;
        g->match_error[0] = '\0';
        if (lp_gpu_find(db, g->name, &g->match, &e) != LP_OK) {
            g->match = NULL;
            snprintf(g->match_error, sizeof g->match_error, "%s", e.message);
        }
    }
}

double lp_detect_torch_total_gib(const lp_detected_gpu *g) {
    double gib = g->total_mib / MIB_PER_GIB;
    if (g->source == LP_DETECT_SOURCE_ROCM_SMI)
        return gib; /* rocm-smi's VRAM total is what torch reports on ROCm */
    return gib > DRIVER_RESERVED_GIB ? gib - DRIVER_RESERVED_GIB : gib;
}

double lp_detect_free_gib(const lp_detected_gpu *g) {
    if (g->free_mib >= 0)
        return g->free_mib / MIB_PER_GIB;
    if (g->used_mib < 0)
        return -1;
    double free_gib = lp_detect_torch_total_gib(g) - g->used_mib / MIB_PER_GIB;
    return free_gib > 0 ? free_gib : 0;
}

/* ---- planning on what was detected -------------------------------------------------------- */

/* A detected GPU's memory may differ from its row's by this much before the detected value is
 * used: rows carry torch's total to 0.01 GiB, the derivation rule is good to a few tenths. */
#define MEMORY_MISMATCH_GIB 1.0

lp_status lp_detect_opts_from_source(const char *source, lp_detect_opts *opts, lp_error *err) {
    memset(opts, 0, sizeof *opts);
    if (!source || !*source || strcmp(source, "auto") == 0)
        return LP_OK;
    opts->no_nvml = strcmp(source, "nvml") != 0;
    opts->no_nvidia_smi = strcmp(source, "nvidia-smi") != 0;
    opts->no_rocm_smi = strcmp(source, "rocm-smi") != 0;
    if (opts->no_nvml && opts->no_nvidia_smi && opts->no_rocm_smi)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "detection source: expected auto, nvml, nvidia-smi or rocm-smi, got "
                            "\"%s\"",
                            source);
    return LP_OK;
}

lp_status lp_detect_gpu_type(const lp_detect_result *r, lp_gpu *out, bool *described,
                             lp_error *err) {
    *described = false;
    if (r->n_gpus == 0)
        return lp_error_set(err, LP_ERR_NOT_FOUND, "no GPU detected");
    for (int i = 1; i < r->n_gpus; i++) {
        if (strcmp(r->gpus[i].name, r->gpus[0].name) == 0)
            continue;
        char list[700] = "";
        for (int k = 0; k < r->n_gpus; k++) {
            size_t len = strlen(list);
            snprintf(list + len, sizeof list - len, "%sGPU %d: %s", k ? ", " : "", r->gpus[k].index,
                     r->gpus[k].name);
        }
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--gpu detect: this machine has GPUs of different types (%s); vLLM "
                            "runs one type per instance: name it with --gpu and choose the "
                            "devices with CUDA_VISIBLE_DEVICES",
                            list);
    }
    const lp_detected_gpu *g = &r->gpus[0];
    double torch_gib = lp_detect_torch_total_gib(g);
    if (g->match) {
        *out = *g->match;
        if (fabs(out->usable_gib - torch_gib) > MEMORY_MISMATCH_GIB) {
            out->usable_gib = torch_gib;
            out->usable_measured = true;
            snprintf(out->usable_source, sizeof out->usable_source,
                     "detected: %s reports %.0f MiB total", lp_detect_source_name(g->source),
                     g->total_mib);
        }
        return LP_OK;
    }
    memset(out, 0, sizeof *out);
    *described = true;
    snprintf(out->name, sizeof out->name, "%s", g->name);
    snprintf(out->vendor, sizeof out->vendor, "%s",
             g->source == LP_DETECT_SOURCE_ROCM_SMI ? "AMD" : "NVIDIA");
    out->usable_gib = torch_gib;
    out->memory_gib = g->total_mib / MIB_PER_GIB;
    out->usable_measured = true;
    out->cc_major = g->cc_major;
    out->cc_minor = g->cc_minor;
    if (g->source == LP_DETECT_SOURCE_ROCM_SMI)
        snprintf(out->arch_tag, sizeof out->arch_tag, "%s", g->arch);
    snprintf(out->usable_source, sizeof out->usable_source, "detected: %s reports %.0f MiB total",
             lp_detect_source_name(g->source), g->total_mib);
    snprintf(out->source, sizeof out->source,
             "detected by %s; not in the GPU database (bandwidth and FLOPS unknown)",
             lp_detect_source_name(g->source));
    return LP_OK;
}

lp_status lp_detect_check_free(const lp_detect_result *r, int n_used, double utilization,
                               char *note, size_t note_size, lp_error *err) {
    if (note_size > 0)
        note[0] = '\0';
    if (n_used > r->n_gpus)
        return lp_error_set(err, LP_ERR_INFEASIBLE,
                            "the deployment needs %d GPUs but this machine has %d (detected by "
                            "%s)",
                            n_used, r->n_gpus, lp_detect_source_name(r->source));
    int busiest = -1;
    for (int i = 0; i < n_used; i++) {
        const lp_detected_gpu *g = &r->gpus[i];
        double free_gib = lp_detect_free_gib(g);
        if (free_gib < 0)
            continue; /* used memory not reported */
        double total_gib = lp_detect_torch_total_gib(g);
        double requested_gib = total_gib * utilization;
        /* vllm/v1/worker/gpu_worker.py, Worker.init_device: ValueError when free < requested */
        if (free_gib < requested_gib)
            return lp_error_set(
                err, LP_ERR_INFEASIBLE,
                "GPU %d (%s) has %.0f MiB in use by other processes, so vLLM would stop at "
                "start-up: Free memory on device (%.2f/%.2f GiB) on startup is less than desired "
                "GPU memory utilization (%g, %.2f GiB). Decrease GPU memory utilization or "
                "reduce GPU memory used by other processes.",
                g->index, g->name, g->used_mib, free_gib, total_gib, utilization, requested_gib);
        if (g->used_mib > 0 && (busiest < 0 || g->used_mib > r->gpus[busiest].used_mib))
            busiest = i;
    }
    if (busiest >= 0 && note_size > 0) {
        const lp_detected_gpu *g = &r->gpus[busiest];
        double total_gib = lp_detect_torch_total_gib(g);
        snprintf(note, note_size,
                 "GPU %d has %.0f MiB in use by other processes; vLLM's start-up check passes "
                 "(free %.2f >= %g x %.2f GiB)",
                 g->index, g->used_mib, lp_detect_free_gib(g), utilization, total_gib);
    }
    return LP_OK;
}

bool lp_detect_all_nvlink(const lp_detect_result *r, int n_used, bool *known) {
    *known = r->have_topology && n_used >= 2 && n_used <= r->n_topo_gpus;
    if (!*known)
        return false;
    for (int i = 0; i < n_used; i++)
        for (int j = 0; j < n_used; j++)
            if (i != j && r->links[i][j].kind != LP_TOPO_NVLINK)
                return false;
    return true;
}
