/*
 * split.c - which validation rows may be used to fit constants and which are held out.
 *
 * The rule (shared by every part of llmplan that fits or reports on ../shared/validation):
 * a row belongs to the group keyed "repo|model|gpu|tp|version", where repo is the first
 * whitespace-separated token of the row's `source` cell, model, gpu and tp are those cells as
 * written, version is the first whitespace-separated token of the engine-version cell (empty
 * when the cell is), all lower-cased. The row is held out when FNV-1a 64 of the key, modulo 5,
 * is 0 or 1 (about 40 % of the groups), and used for fitting otherwise. Whole groups move
 * together, so a held-out row never has a sibling (same model, GPU, TP and release of the same
 * source) among the rows a constant was fitted on.
 *
 * It only classifies; which rows of which engine may be fitted on (never TensorRT-LLM for
 * vLLM constants) is the caller's decision.
 */
#include <ctype.h>
#include <string.h>

#include "llmplan/validate.h"

/* FNV-1a 64-bit (Fowler, Noll, Vo): offset basis and prime of the published definition. */
#define FNV64_OFFSET 0xcbf29ce484222325ULL
#define FNV64_PRIME 0x100000001b3ULL
/* Held out when hash % SPLIT_MODULUS < SPLIT_HOLDOUT_BELOW: 2 groups in 5. */
#define SPLIT_MODULUS 5
#define SPLIT_HOLDOUT_BELOW 2

typedef struct {
    uint64_t hash;
    char *key;
    size_t size, len;
} key_writer;

static void put_char(key_writer *w, char c) {
    c = (char)tolower((unsigned char)c);
    w->hash = (w->hash ^ (unsigned char)c) * FNV64_PRIME;
    if (w->key && w->len + 1 < w->size)
        w->key[w->len++] = c;
}

static void put_cell(key_writer *w, const char *s, bool first_token) {
    if (!s)
        return;
    if (first_token) {
        while (isspace((unsigned char)*s))
            s++;
        for (; *s && !isspace((unsigned char)*s); s++)
            put_char(w, *s);
        return;
    }
    for (; *s; s++)
        put_char(w, *s);
}

uint64_t lp_validate_fnv1a64(const char *s) {
    uint64_t h = FNV64_OFFSET;
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * FNV64_PRIME;
    return h;
}

uint64_t lp_validate_split_key(const char *source, const char *model, const char *gpu,
                               const char *tp, const char *engine_version, char *key, size_t size) {
    key_writer w = {FNV64_OFFSET, size > 0 ? key : NULL, size, 0};
    put_cell(&w, source, true);
    put_char(&w, '|');
    put_cell(&w, model, false);
    put_char(&w, '|');
    put_cell(&w, gpu, false);
    put_char(&w, '|');
    put_cell(&w, tp, false);
    put_char(&w, '|');
    put_cell(&w, engine_version, true);
    if (w.key)
        w.key[w.len] = '\0';
    return w.hash;
}

bool lp_validate_is_holdout(const char *source, const char *model, const char *gpu, const char *tp,
                            const char *engine_version) {
    uint64_t h = lp_validate_split_key(source, model, gpu, tp, engine_version, NULL, 0);
    return h % SPLIT_MODULUS < SPLIT_HOLDOUT_BELOW;
}
