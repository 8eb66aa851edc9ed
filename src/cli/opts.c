/*
 * opts.c - the option table parser used by every command (see opts.h).
 * Deliberately small: no abbreviations of long names (vLLM has none either), no permutation.
 */
#include "cli/opts.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool lp_opts_parse_int(const char *text, int64_t *out) {
    if (!text || !*text)
        return false;
    errno = 0;
    char *end;
    double v = strtod(text, &end);
    if (errno || end == text)
        return false;
    double mult = 1;
    if (*end == 'k' || *end == 'K')
        mult = 1000;
    else if (*end == 'm' || *end == 'M')
        mult = 1000000;
    if (mult != 1)
        end++;
    if (*end)
        return false;
    v *= mult;
    if (v != (double)(int64_t)v || v > 9e15 || v < -9e15)
        return false;
    /* vLLM: "32k" means 32000, and 1K-style binary forms are not used for token counts */
    *out = (int64_t)v;
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
        if (arg[0] != '-' || arg[1] == '\0') {
            fprintf(stderr, "llmplan %s: unexpected argument \"%s\" (see llmplan %s --help)\n", cmd,
                    arg, cmd);
            return false;
        }
        const char *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        const lp_opt *o = find(opts, arg, len);
        if (!o) {
            fprintf(stderr, "llmplan %s: unknown option \"%.*s\" (see llmplan %s --help)\n", cmd,
                    (int)len, arg, cmd);
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
            if (!lp_opts_parse_int(val, (int64_t *)o->target)) {
                fprintf(stderr, "llmplan %s: %s: expected an integer, got \"%s\"\n", cmd, o->name,
                        val);
                return false;
            }
            break;
        case LP_OPT_DOUBLE: {
            char *end;
            errno = 0;
            double d = strtod(val, &end);
            if (errno || end == val || *end) {
                fprintf(stderr, "llmplan %s: %s: expected a number, got \"%s\"\n", cmd, o->name,
                        val);
                return false;
            }
            *(double *)o->target = d;
            break;
        }
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
