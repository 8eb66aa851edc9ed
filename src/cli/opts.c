/*
 * opts.c - the option table parser used by every command (see opts.h).
 * Deliberately small: no abbreviations of long names (vLLM has none either), no permutation.
 */
#include "cli/opts.h"
#include "cli/cli.h"

#include "common/numbers.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest part of a bad value echoed in a message (a 100 KB argument is not printed whole). */
#define SHOWN_VALUE_BYTES 60

/*
 * The range of every numeric flag, for every command (cmd NULL) or one: a flag means the same
 * wherever it appears, so its limits live here once. Sizes beyond these cannot be meant (no
 * deployment has 2^16 GPUs) or would only make the library refuse later with a vaguer message.
 * A flag missing here takes [0, LP_OPT_MAX].
 */
typedef struct {
    const char *cmd, *flag;
    double lo, hi;
} opt_range;

static const opt_range RANGES[] = {
    /* vllm serve engine arguments */
    {NULL, "--tensor-parallel-size", 1, 1024},
    {NULL, "--pipeline-parallel-size", 1, 1024},
    {NULL, "--data-parallel-size", 1, 1024},
    {NULL, "--num-gpus", 1, 65536},
    {NULL, "--gpu-memory-utilization", 0, 1}, /* 0 itself: the command's "(0, 1]" message */
    {NULL, "--max-num-seqs", 1, 1 << 20},
    {NULL, "--max-num-batched-tokens", 1, 1 << 24},
    {NULL, "--block-size", 1, 4096},
    {NULL, "--cpu-offload-gb", 0, 1e6},
    {NULL, "--max-model-len", 1, 1099511627776.0}, /* 2^40 (recommend's integer flag) */
    /* serving modes (vllm/config/lora.py limits; xPyD roles) */
    {NULL, "--acceptance-rate", 0, 1},
    {NULL, "--max-loras", 1, 4096},
    {NULL, "--max-lora-rank", 1, 512},
    {NULL, "--max-cpu-loras", 1, 1 << 20},
    {NULL, "--prefill-tensor-parallel-size", 1, 1024},
    {NULL, "--decode-tensor-parallel-size", 1, 1024},
    /* vllm bench serve workload */
    {NULL, "--random-input-len", 1, 1e7},
    {NULL, "--random-output-len", 1, 1e7},
    {NULL, "--num-prompts", 1, 1e6}, /* the simulation's limit, for every method */
    {NULL, "--max-concurrency", 0, 1e7},
    {NULL, "--random-prefix-len", 0, 1e7},
    {NULL, "--prefix-repetition-prefix-len", 1, 1e7},
    {NULL, "--prefix-repetition-suffix-len", 1, 1e7},
    {NULL, "--prefix-repetition-num-prefixes", 1, 1e6},
    {NULL, "--prefix-repetition-output-len", 1, 1e7},
    {NULL, "--num-turns", 0, 1e6},
    {NULL, "--seed", 0, 9007199254740992.0}, /* 2^53 */
    {NULL, "--daily-output-tokens", 0, 1e18},
    /* targets */
    {NULL, "--max-ttft-ms", 0, 1e12},
    {NULL, "--max-tpot-ms", 0, 1e12},
    {NULL, "--max-itl-ms", 0, 1e12},
    {NULL, "--max-e2e-ms", 0, 1e12},
    {NULL, "--min-throughput", 0, 1e15},
    {NULL, "--percentile", 50, 99},
    /* a model or GPU described by hand */
    {NULL, "--params-b", 0, 1e5},
    {NULL, "--gpu-memory-gib", 0, 1e5},
    {NULL, "--gpu-bandwidth-gbs", 0, 1e6},
    {NULL, "--gpu-tflops", 0, 1e7},
    /* recommend and explain */
    {NULL, "--max-gpus", 1, 65536},
    {NULL, "--gpus-per-node", 1, 1024},
    {NULL, "--top", 1, 100000},
    {NULL, "--rank", 1, 100000},
    {NULL, "--explain", 1, 100000},
    {"recommend", "--threads", 0, 4096},
    {"recommend", "--headroom", 0, 1000}, /* percent of spare capacity */
    /* calibrate */
    {NULL, "--holdout", 0, 1},
    {NULL, "--holdout-every", 0, 1e6},
    {NULL, "--max-evaluations", 0, 1e6},
    /* detect */
    {"detect", "--timeout", 1, 600},
    /* serve */
    {"serve", "--port", 0, 65535},
    {"serve", "--threads", 0, 1024},
    {"serve", "--workers", 0, 1024},
    {"serve", "--queue", 0, 100000},
    {"serve", "--max-connections", 0, 1000000},
    {"serve", "--timeout", 1, 3600}, /* 0 would let a client hold a connection forever */
    {"serve", "--request-timeout", 0.001, 86400},
    {"serve", "--max-sim-steps", 1, 50000000},
    {"serve", "--max-search-configs", 1, 2000000},
};

/* The range of flag o in command cmd. */
static void range_of(const char *cmd, const lp_opt *o, double *lo, double *hi) {
    *lo = 0;
    *hi = LP_OPT_MAX;
    const opt_range *general = NULL;
    for (size_t i = 0; i < sizeof RANGES / sizeof RANGES[0]; i++) {
        const opt_range *r = &RANGES[i];
        if (strcmp(r->flag, o->name) != 0)
            continue;
        if (r->cmd && strcmp(r->cmd, cmd) == 0) {
            general = r;
            break;
        }
        if (!r->cmd && !general)
            general = r;
    }
    if (general) {
        *lo = general->lo;
        *hi = general->hi;
    }
}

/* Length of the number at the start of text: sign, digits, one point, an exponent; 0 when
 * there is none. Checked before strtod, which would also take hex, "nan" and "inf". */
static size_t number_prefix(const char *text) {
    const char *p = text;
    if (*p == '+' || *p == '-')
        p++;
    bool digits = false;
    while (isdigit((unsigned char)*p)) {
        p++;
        digits = true;
    }
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            p++;
            digits = true;
        }
    }
    if (!digits)
        return 0;
    if (*p == 'e' || *p == 'E') {
        const char *q = p + 1;
        if (*q == '+' || *q == '-')
            q++;
        if (isdigit((unsigned char)*q)) {
            while (isdigit((unsigned char)*q))
                q++;
            p = q;
        }
    }
    return (size_t)(p - text);
}

/* The number at the start of text into *v; *end after it. */
static bool leading_number(const char *text, double *v, const char **end) {
    size_t n = text ? number_prefix(text) : 0;
    if (n == 0)
        return false;
    errno = 0;
    char *stop;
    *v = strtod(text, &stop);
    *end = stop;
    return errno != ERANGE && stop == text + n && isfinite(*v);
}

bool lp_opts_parse_double(const char *text, double *out) {
    double v;
    const char *end;
    if (!leading_number(text, &v, &end) || *end)
        return false;
    *out = v;
    return true;
}

bool lp_opts_parse_int(const char *text, int64_t *out) {
    double v;
    const char *end;
    /* vLLM: "32k" means 32000, and 1K-style binary forms are not used for token counts */
    if (!leading_number(text, &v, &end) || !lp_apply_count_suffix(end, &v))
        return false;
    if (v > LP_OPT_MAX || v < -LP_OPT_MAX || v != floor(v))
        return false;
    *out = (int64_t)v;
    return true;
}

/* value as a message may show it: printable, at most SHOWN_VALUE_BYTES, "..." when cut. */
static void shown(const char *value, char *out, size_t size) {
    size_t n = 0, i = 0;
    for (; value[i] && n + 5 < size && i < SHOWN_VALUE_BYTES; i++)
        out[n++] = isprint((unsigned char)value[i]) ? value[i] : '?';
    if (value[i])
        memcpy(out + n, "...", 4);
    else
        out[n] = '\0';
}

bool lp_opts_bad_value(const char *cmd, const char *flag, const char *what, const char *value) {
    char v[SHOWN_VALUE_BYTES + 8];
    shown(value ? value : "", v, sizeof v);
    fprintf(stderr, "llmplan %s: %s: expected %s, got \"%s\" (see llmplan %s --help)\n", cmd, flag,
            what, v, cmd);
    return false;
}

/* "an integer from 1 to 1024", "a number from 0 to 1" ... for a message. */
static void describe_range(const lp_opt *o, double lo, double hi, char *out, size_t size) {
    const char *kind = o->kind == LP_OPT_INT ? "an integer" : "a number";
    if (hi >= LP_OPT_MAX)
        snprintf(out, size, "%s of at least %.15g", kind, lo);
    else
        snprintf(out, size, "%s from %.15g to %.15g", kind, lo, hi);
}

/* Parse one numeric value into o->target; false (after a message) when it is not accepted. */
static bool parse_number(const char *cmd, const lp_opt *o, const char *val) {
    double lo, hi;
    range_of(cmd, o, &lo, &hi);
    double v = 0;
    int64_t i = 0;
    bool ok = o->kind == LP_OPT_INT ? lp_opts_parse_int(val, &i) : lp_opts_parse_double(val, &v);
    if (o->kind == LP_OPT_INT)
        v = (double)i;
    if (!ok || v < lo || v > hi) {
        char what[96];
        describe_range(o, lo, hi, what, sizeof what);
        return lp_opts_bad_value(cmd, o->name, what, val);
    }
    if (o->kind == LP_OPT_INT)
        *(int64_t *)o->target = i;
    else
        *(double *)o->target = v;
    return true;
}

static const lp_opt *find(const lp_opt *opts, const char *arg, size_t len) {
    for (const lp_opt *o = opts; o->name; o++) {
        if (strlen(o->name) == len && strncmp(o->name, arg, len) == 0)
            return o;
        if (o->alias && strlen(o->alias) == len && strncmp(o->alias, arg, len) == 0)
            return o;
    }
    return NULL;
}

bool lp_opts_parse(const char *cmd, const lp_opt *opts, int argc, char **argv, int first) {
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i];
        char v[SHOWN_VALUE_BYTES + 8];
        if (arg[0] != '-' || arg[1] == '\0') {
            shown(arg, v, sizeof v);
            fprintf(stderr, "llmplan %s: unexpected argument \"%s\" (see llmplan %s --help)\n", cmd,
                    v, cmd);
            return false;
        }
        const char *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        const lp_opt *o = find(opts, arg, len);
        if (!o) {
            shown(arg, v, sizeof v);
            if (eq && (size_t)(eq - arg) < strlen(v))
                v[eq - arg] = '\0';
            fprintf(stderr, "llmplan %s: unknown option \"%s\" (see llmplan %s --help)\n", cmd, v,
                    cmd);
            return false;
        }
        if (o->seen)
            *o->seen = true;
        if (o->kind == LP_OPT_FLAG) {
            if (eq) {
                fprintf(stderr, "llmplan %s: %s takes no value\n", cmd, o->name);
                return false;
            }
            *(bool *)o->target = true;
            continue;
        }
        const char *val;
        if (eq) {
            val = eq + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            fprintf(stderr, "llmplan %s: %s needs a value (%s)\n", cmd, o->name,
                    o->metavar ? o->metavar : "VALUE");
            return false;
        }
        switch (o->kind) {
        case LP_OPT_STRING:
            *(const char **)o->target = val;
            break;
        case LP_OPT_INT:
        case LP_OPT_DOUBLE:
            if (!parse_number(cmd, o, val))
                return false;
            break;
        case LP_OPT_FLAG:
            break;
        }
    }
    return true;
}

void lp_opts_print(const lp_opt *opts) {
    for (const lp_opt *o = opts; o->name; o++) {
        char left[64];
        if (o->alias)
            snprintf(left, sizeof left, "%s, %s%s%s", o->alias, o->name, o->metavar ? " " : "",
                     o->metavar ? o->metavar : "");
        else
            snprintf(left, sizeof left, "%s%s%s", o->name, o->metavar ? " " : "",
                     o->metavar ? o->metavar : "");
        printf("  %-36s %s\n", left, o->help);
    }
}

int lp_opts_command(const char *cmd, const lp_opt *opts, int argc, char **argv, int first,
                    const bool *help, void (*print_help)(const lp_opt *opts)) {
    if (!lp_opts_parse(cmd, opts, argc, argv, first))
        return LP_EXIT_USAGE;
    if (!*help)
        return LP_OPTS_RUN;
    print_help(opts);
    return LP_EXIT_OK;
}
