/*
 * shell.c - shell-quoting words and joining them into one command line (see shell.h).
 */
#include "common/shell.h"

#include <stdlib.h>
#include <string.h>

bool lp_sh_word_is_safe(const char *word) {
    if (!word || !*word)
        return false;
    for (const char *p = word; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("_@%+=:,./-", *p) != NULL))
            return false;
    return true;
}

/* Put c at buf[n] when it fits (leaving room for the NUL). */
static void put(char *buf, size_t size, size_t n, char c) {
    if (n + 1 < size)
        buf[n] = c;
}

size_t lp_sh_quote(char *buf, size_t size, const char *word) {
    size_t n = 0;
    if (lp_sh_word_is_safe(word)) {
        for (const char *p = word; *p; p++)
            put(buf, size, n++, *p);
    } else {
        /* inside single quotes nothing is special but the quote: close, escape, reopen */
        put(buf, size, n++, '\'');
        for (const char *p = word ? word : ""; *p; p++) {
            if (*p == '\'') {
                for (const char *q = "'\\''"; *q; q++)
                    put(buf, size, n++, *q);
            } else {
                put(buf, size, n++, *p);
            }
        }
        put(buf, size, n++, '\'');
    }
    if (size > 0)
        buf[n < size ? n : size - 1] = '\0';
    return n;
}

/* One word into buf at *used: kept bare when it equals keep, else quoted. */
static void add_word(char *buf, size_t cap, size_t *used, const char *word, const char *keep) {
    if (*used > 0)
        buf[(*used)++] = ' ';
    if (keep && strcmp(word, keep) == 0) {
        size_t n = strlen(word);
        memcpy(buf + *used, word, n);
        *used += n;
    } else {
        *used += lp_sh_quote(buf + *used, cap - *used, word);
    }
    buf[*used] = '\0';
}

char *lp_sh_join(const char *first, char *const *argv, int argc, const char *keep) {
    /* a quoted word takes at most 4 bytes per character ('\'' for ') + 2 quotes + a space */
    size_t cap = 1 + (first ? 4 * strlen(first) + 3 : 0);
    for (int i = 0; i < argc; i++)
        cap += 4 * strlen(argv[i]) + 3;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    size_t used = 0;
    buf[0] = '\0';
    if (first)
        add_word(buf, cap, &used, first, keep);
    for (int i = 0; i < argc; i++)
        add_word(buf, cap, &used, argv[i], keep);
    return buf;
}
