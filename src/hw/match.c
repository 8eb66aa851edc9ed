/*
 * match.c - finding a GPU row by the name a person (or nvidia-smi) uses.
 *
 * People write "H100", "h100-sxm", "NVIDIA H100 80GB HBM3", "a100 80gb", "4090". Matching works
 * on normalised strings (lower case, only letters and digits, without the vendor words nvidia,
 * tesla, geforce, amd, instinct) and goes in stages, stopping at the first that finds anything:
 *
 *   1. the whole normalised name equals a row's canonical name or one of its aliases;
 *   2. the name is split into a family ("h100"), a memory size ("80gb") and a form factor
 *      (sxm*, pcie, nvl); rows of the same family whose memory and form factor agree match;
 *   3. as 2, but the family may omit a leading brand word: "4090" -> "rtx4090", "a6000";
 *   4. as 2, but the family may stop where letters turn to digits or back: "gaudi" -> "gaudi2",
 *      "rtx 6000" -> "rtx6000ada"; "l4" never reaches "l40" (digit followed by digit).
 *
 * Several rows left: when no form factor was given, the SXM rows win (a bare "H100" or "H200"
 * means the SXM part, as cloud providers use the name). Memory size is never guessed: "A100" and
 * "V100" come in two sizes, so they are ambiguous and the error lists the choices. (The names
 * "V100 SXM2" and "V100 PCIe" of the reference table are aliases of its 32 GB rows.)
 * No match: the error lists the five closest names by edit distance on the normalised strings.
 *
 * A name ending in "..." was cut short (nvidia-smi's default table truncates long names:
 * "NVIDIA GeForce RTX 4080 ..." is an RTX 4080 SUPER). It matches the rows whose names extend
 * what is left, and not a row named exactly that: the tool only truncates names longer than
 * its column. Nothing extends it: the usual stages run on what is left.
 *
 * Not here: the table itself (gpu_db.c, data/gpus.tsv) and GPU detection.
 */
#include "llmplan/hw.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest name we normalise; longer input is truncated (it cannot match anything anyway). */
#define NAME_MAX_LEN 256
/* How many names an error message suggests. */
#define SUGGESTIONS 5

typedef enum { FF_NONE = 0, FF_SXM, FF_PCIE, FF_NVL } form_factor;

static const char *const vendor_words[] = {"nvidia", "tesla", "geforce", "amd", "instinct"};

/* A name taken apart: what is left of it (family), its memory size and form factor. */
typedef struct {
    char family[NAME_MAX_LEN];
    int memory_gb; /* 0 = not given */
    form_factor ff;
} name_parts;

/* Split s into lower-case alphanumeric words; calls fn for each. */
typedef void (*word_fn)(const char *word, size_t len, void *ctx);

static void for_each_word(const char *s, word_fn fn, void *ctx) {
    char word[NAME_MAX_LEN];
    size_t n = 0;
    for (const char *p = s;; p++) {
        if (*p && isalnum((unsigned char)*p)) {
            if (n + 1 < sizeof word)
                word[n++] = (char)tolower((unsigned char)*p);
            continue;
        }
        if (n > 0) {
            word[n] = '\0';
            fn(word, n, ctx);
            n = 0;
        }
        if (!*p)
            break;
    }
}

static bool is_vendor_word(const char *w) {
    for (size_t i = 0; i < sizeof vendor_words / sizeof vendor_words[0]; i++)
        if (strcmp(w, vendor_words[i]) == 0)
            return true;
    return false;
}

static void append(char *dst, size_t size, const char *s, size_t len) {
    size_t used = strlen(dst);
    if (used + len >= size)
        len = size - 1 - used;
    memcpy(dst + used, s, len);
    dst[used + len] = '\0';
}

static void normalise_word(const char *w, size_t len, void *ctx) {
    if (!is_vendor_word(w))
        append(ctx, NAME_MAX_LEN, w, len);
}

/* "NVIDIA A100-SXM4-80GB" -> "a100sxm480gb". */
static void normalise(const char *s, char out[NAME_MAX_LEN]) {
    out[0] = '\0';
    for_each_word(s, normalise_word, out);
}

/* Words that describe a name without telling parts apart: memory type, "per GPU", "OAM". */
static bool is_filler_word(const char *w) {
    return strncmp(w, "hbm", 3) == 0 || strncmp(w, "gddr", 4) == 0 || strcmp(w, "per") == 0 ||
           strcmp(w, "gpu") == 0 || strcmp(w, "oam") == 0;
}

static bool all_digits(const char *s, size_t len) {
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* A form-factor word, or a form factor glued to the end of a word ("h100sxm5"): its length. */
static size_t form_factor_suffix(const char *w, size_t len, form_factor *ff) {
    if (len >= 4 && strcmp(w + len - 4, "pcie") == 0) {
        *ff = FF_PCIE;
        return 4;
    }
    if (len >= 3 && strcmp(w + len - 3, "nvl") == 0) {
        *ff = FF_NVL;
        return 3;
    }
    size_t d = len;
    while (d > 0 && isdigit((unsigned char)w[d - 1]))
        d--;
    if (d >= 3 && strncmp(w + d - 3, "sxm", 3) == 0) {
        *ff = FF_SXM;
        return len - (d - 3);
    }
    return 0;
}

static void parts_word(const char *w, size_t len, void *ctx) {
    name_parts *np = ctx;
    if (is_vendor_word(w) || is_filler_word(w))
        return;
    /* memory size: "80gb", "80gib" */
    for (const char *unit = "gb";; unit = "gib") {
        size_t u = strlen(unit);
        if (len > u && strcmp(w + len - u, unit) == 0 && all_digits(w, len - u) && len - u < 5) {
            np->memory_gb = atoi(w);
            return;
        }
        if (strcmp(unit, "gib") == 0)
            break;
    }
    form_factor ff = FF_NONE;
    size_t suffix = form_factor_suffix(w, len, &ff);
    if (suffix > 0) {
        np->ff = ff;
        len -= suffix;
    }
    append(np->family, sizeof np->family, w, len);
}

static void split_name(const char *s, name_parts *np) {
    memset(np, 0, sizeof *np);
    for_each_word(s, parts_word, np);
}

/* Call fn on the canonical name and on each alias of g; stops when fn returns true. */
typedef bool (*key_fn)(const char *key, void *ctx);

static bool for_each_key(const lp_gpu *g, key_fn fn, void *ctx) {
    if (fn(g->name, ctx))
        return true;
    const char *p = g->aliases;
    while (*p) {
        const char *semi = strchr(p, ';');
        size_t len = semi ? (size_t)(semi - p) : strlen(p);
        char key[sizeof g->aliases];
        memcpy(key, p, len);
        key[len] = '\0';
        if (len > 0 && fn(key, ctx))
            return true;
        if (!semi)
            break;
        p = semi + 1;
    }
    return false;
}

/* ---- stage 1: whole-name equality ---- */

static bool key_equals(const char *key, void *ctx) {
    char norm[NAME_MAX_LEN];
    normalise(key, norm);
    return norm[0] != '\0' && strcmp(norm, ctx) == 0;
}

/* ---- stages 2-4: family, memory size, form factor ---- */

typedef enum { FAMILY_EXACT, FAMILY_SUFFIX, FAMILY_PREFIX } family_rule;

static bool family_matches(const char *query, const char *row, family_rule rule) {
    size_t q = strlen(query), r = strlen(row);
    if (q == 0 || r == 0)
        return false;
    switch (rule) {
    case FAMILY_EXACT:
        return strcmp(query, row) == 0;
    case FAMILY_SUFFIX: {
        /* the row family is a brand word (letters only) followed by the query: "rtx" + "4090" */
        if (r <= q || strcmp(row + r - q, query) != 0 || strpbrk(query, "0123456789") == NULL)
            return false;
        for (size_t i = 0; i < r - q; i++)
            if (!isalpha((unsigned char)row[i]))
                return false;
        return true;
    }
    case FAMILY_PREFIX:
        /* the query stops where the row's letters turn to digits or back: "gaudi" | "2" */
        return r > q && strncmp(row, query, q) == 0 &&
               (isdigit((unsigned char)row[q]) != 0) != (isdigit((unsigned char)query[q - 1]) != 0);
    }
    return false;
}

typedef struct {
    const char *family;
    family_rule rule;
} family_query;

static bool key_family_matches(const char *key, void *ctx) {
    const family_query *fq = ctx;
    name_parts kp;
    split_name(key, &kp);
    return family_matches(fq->family, kp.family, fq->rule);
}

/* The row's form factor: from its canonical name, else from its first alias that names one. */
static bool key_form_factor(const char *key, void *ctx) {
    name_parts kp;
    split_name(key, &kp);
    *(form_factor *)ctx = kp.ff;
    return kp.ff != FF_NONE;
}

static form_factor row_form_factor(const lp_gpu *g) {
    form_factor ff = FF_NONE;
    if (!for_each_key(g, key_form_factor, &ff))
        ff = FF_NONE;
    return ff;
}

static bool row_matches(const lp_gpu *g, const name_parts *q, family_rule rule) {
    family_query fq = {q->family, rule};
    if (!for_each_key(g, key_family_matches, &fq))
        return false;
    if (q->memory_gb > 0 && (int)(g->memory_gib + 0.5) != q->memory_gb)
        return false;
    if (q->ff != FF_NONE) {
        form_factor ff = row_form_factor(g);
        if (ff != FF_NONE && ff != q->ff)
            return false;
    }
    return true;
}

/* ---- stage 0: a truncated name ("RTX 4080 ...") ---- */

/* Whether name ends in "..." (or the ellipsis character), ignoring trailing spaces. */
static bool is_truncated(const char *name) {
    size_t n = strlen(name);
    while (n > 0 && isspace((unsigned char)name[n - 1]))
        n--;
    return (n >= 3 && strncmp(name + n - 3, "...", 3) == 0) ||
           (n >= 3 && strncmp(name + n - 3, "\xe2\x80\xa6", 3) == 0);
}

static bool key_extends(const char *key, void *ctx) {
    const char *prefix = ctx;
    char norm[NAME_MAX_LEN];
    normalise(key, norm);
    size_t p = strlen(prefix);
    return strlen(norm) > p && strncmp(norm, prefix, p) == 0;
}

/* ---- suggestions: edit distance on normalised strings ---- */

static size_t edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    size_t row[NAME_MAX_LEN + 1];
    if (lb > NAME_MAX_LEN)
        lb = NAME_MAX_LEN;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

typedef struct {
    const char *norm;
    const char *family;
    size_t best;
} distance_ctx;

static bool key_distance(const char *key, void *ctx) {
    distance_ctx *dc = ctx;
    char norm[NAME_MAX_LEN];
    normalise(key, norm);
    size_t d = edit_distance(dc->norm, norm);
    if (d < dc->best)
        dc->best = d;
    if (dc->family[0]) {
        name_parts kp;
        split_name(key, &kp);
        d = edit_distance(dc->family, kp.family);
        if (d < dc->best)
            dc->best = d;
    }
    return false;
}

/* Append ", "-separated names to buf. */
static void list_names(char *buf, size_t size, const lp_gpu *const *rows, size_t n) {
    for (size_t i = 0; i < n; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%s", i ? ", " : "", rows[i]->name);
    }
}

static lp_status not_found(const lp_gpu_db *db, const char *name, const char *norm,
                           const name_parts *q, lp_error *err) {
    const lp_gpu *best[SUGGESTIONS];
    size_t best_d[SUGGESTIONS];
    size_t n = 0;
    for (size_t i = 0; i < lp_gpu_db_count(db); i++) {
        const lp_gpu *g = lp_gpu_db_at(db, i);
        distance_ctx dc = {norm, q->family, (size_t)-1};
        for_each_key(g, key_distance, &dc);
        /* insertion into the sorted top list; ties keep table order */
        size_t at = n;
        while (at > 0 && best_d[at - 1] > dc.best)
            at--;
        if (at >= SUGGESTIONS)
            continue;
        size_t last = n < SUGGESTIONS ? n : SUGGESTIONS - 1;
        for (size_t k = last; k > at; k--) {
            best[k] = best[k - 1];
            best_d[k] = best_d[k - 1];
        }
        best[at] = g;
        best_d[at] = dc.best;
        if (n < SUGGESTIONS)
            n++;
    }
    char names[LP_ERROR_MESSAGE_SIZE] = "";
    list_names(names, sizeof names, best, n);
    if (n == 0)
        return lp_error_set(err, LP_ERR_NOT_FOUND, "unknown GPU \"%.200s\"; the GPU table is empty",
                            name);
    return lp_error_set(err, LP_ERR_NOT_FOUND,
                        "unknown GPU \"%.200s\"; did you mean: %.700s? (a GPU missing from the "
                        "table can be added with a user GPU file)",
                        name, names);
}

static lp_status ambiguous(const char *name, const lp_gpu *const *rows, size_t n, lp_error *err) {
    char names[LP_ERROR_MESSAGE_SIZE] = "";
    list_names(names, sizeof names, rows, n);
    return lp_error_set(err, LP_ERR_AMBIGUOUS,
                        "GPU name \"%.200s\" is ambiguous: it matches %.600s; name one of them "
                        "(e.g. \"%s\") or add the memory size or form factor",
                        name, names, rows[0]->name);
}

lp_status lp_gpu_find(const lp_gpu_db *db, const char *name, const lp_gpu **out, lp_error *err) {
    if (!out || !name)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "lp_gpu_find: NULL argument");
    *out = NULL;
    if (!db)
        db = lp_gpu_db_builtin();
    if (!db)
        return lp_error_set(err, LP_ERR_PARSE,
                            "the embedded GPU table is corrupt (a build defect); rebuild llmplan");
    char norm[NAME_MAX_LEN];
    normalise(name, norm);
    if (norm[0] == '\0')
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "empty GPU name \"%.200s\"; give a name such as \"H100\"", name);
    size_t count = lp_gpu_db_count(db);
    const lp_gpu **hits = malloc((count ? count : 1) * sizeof *hits);
    if (!hits)
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory while matching a GPU name");
    size_t n = 0;

    /* stage 0: a truncated name matches the rows whose names extend it */
    if (is_truncated(name))
        for (size_t i = 0; i < count; i++) {
            const lp_gpu *g = lp_gpu_db_at(db, i);
            if (!for_each_key(g, key_equals, norm) && for_each_key(g, key_extends, norm))
                hits[n++] = g;
        }

    /* stage 1: the whole name */
    if (n == 0)
        for (size_t i = 0; i < count; i++)
            if (for_each_key(lp_gpu_db_at(db, i), key_equals, norm))
                hits[n++] = lp_gpu_db_at(db, i);

    /* stages 2-4: family + memory size + form factor */
    name_parts q;
    split_name(name, &q);
    static const family_rule rules[] = {FAMILY_EXACT, FAMILY_SUFFIX, FAMILY_PREFIX};
    for (size_t r = 0; n == 0 && r < sizeof rules / sizeof rules[0]; r++)
        for (size_t i = 0; i < count; i++)
            if (row_matches(lp_gpu_db_at(db, i), &q, rules[r]))
                hits[n++] = lp_gpu_db_at(db, i);

    lp_status st = LP_OK;
    if (n == 0) {
        st = not_found(db, name, norm, &q, err);
    } else if (n == 1) {
        *out = hits[0];
    } else {
        /* the cloud default: a name without a form factor means the SXM part */
        const lp_gpu *sxm = NULL;
        size_t num_sxm = 0;
        if (q.ff == FF_NONE)
            for (size_t i = 0; i < n; i++)
                if (row_form_factor(hits[i]) == FF_SXM)
                    sxm = hits[i], num_sxm++;
        if (num_sxm == 1)
            *out = sxm;
        else
            st = ambiguous(name, hits, n, err);
    }
    free(hits);
    return st;
}
