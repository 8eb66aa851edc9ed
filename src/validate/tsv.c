/*
 * tsv.c - data lines, columns and leading numbers for the validation-table readers (see
 * tsv.h).
 * Cells in those tables carry remarks after their values ("v0.11.0 (...)", "0.95 (...)").
 */
#include "validate/tsv.h"
#include "common/tsv_split.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int lp_tsv_split(char *line, char **cols, int max) {
    int n = lp_tsv_split_line(line, cols, max);
    return n > max ? max : n; /* the cells past max are dropped */
}

int lp_tsv_next(FILE *f, char **line, size_t *cap, int *lineno, char **cols, int max) {
    while (getline(line, cap, f) > 0) {
        ++*lineno;
        char *l = *line;
        l[strcspn(l, "\r\n")] = '\0';
        if (*l && l[0] != '#')
            return lp_tsv_split(l, cols, max);
    }
    return 0;
}

void lp_tsv_map_header(char *const *cols, int n, const char *const *names, int count, int *colmap) {
    for (int k = 0; k < count; k++) {
        colmap[k] = -1;
        for (int j = 0; j < n; j++)
            if (strcmp(cols[j], names[k]) == 0)
                colmap[k] = j;
    }
}

void lp_tsv_pick(char *const *cols, int n, const int *colmap, int count, char **cells) {
    for (int k = 0; k < count; k++)
        cells[k] = colmap[k] >= 0 && colmap[k] < n ? cols[colmap[k]] : (char *)"";
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
