/*
 * tsv_split.c - tab splitting in place (see tsv_split.h).
 */
#include "common/tsv_split.h"

#include <string.h>

int lp_tsv_split_line(char *line, char **cols, int max) {
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max)
            return max + 1;
        cols[n++] = p;
        char *tab = strchr(p, '\t');
        if (!tab)
            return n;
        *tab = '\0';
        p = tab + 1;
    }
}
