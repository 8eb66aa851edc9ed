/*
 * tsv.c - tab splitting and leading numbers for the validation-table readers (see tsv.h).
 * Cells in those tables carry remarks after their values ("v0.11.0 (...)", "0.95 (...)").
 */
#include "validate/tsv.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int lp_tsv_split(char *line, char **cols, int max) {
    int n = 0;
    char *p = line;
    while (n < max) {
        cols[n++] = p;
        char *tab = strchr(p, '\t');
        if (!tab)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    return n;
}

double lp_tsv_number(const char *s) {
    if (!s)
        return NAN;
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return NAN;
    char *end;
    double v = strtod(s, &end);
    return end == s ? NAN : v;
}
