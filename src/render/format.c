/*
 * format.c - number formatting shared by the renderers (thousands separators, parameter
 * counts in B/M). No locale dependence: output is the same everywhere.
 */
#include <stdio.h>
#include <string.h>

#include "llmplan/render.h"

const char *lp_render_int(char *buf, size_t size, long long n) {
    char digits[32];
    unsigned long long u = n < 0 ? (unsigned long long)(-(n + 1)) + 1 : (unsigned long long)n;
    int len = snprintf(digits, sizeof digits, "%llu", u);
    char tmp[48];
    size_t j = 0;
    if (n < 0)
        tmp[j++] = '-';
    for (int i = 0; i < len; i++) {
        tmp[j++] = digits[i];
        int left = len - i - 1;
        if (left > 0 && left % 3 == 0)
            tmp[j++] = ',';
    }
    tmp[j] = '\0';
    snprintf(buf, size, "%s", tmp);
    return buf;
}

const char *lp_render_params(char *buf, size_t size, long long n) {
    if (n >= 1000000000LL)
        snprintf(buf, size, "%.2f B", (double)n / 1e9);
    else if (n >= 1000000LL)
        snprintf(buf, size, "%.0f M", (double)n / 1e6);
    else
        snprintf(buf, size, "%lld", n);
    return buf;
}
