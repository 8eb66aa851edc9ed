/*
 * tsv.h - the text helpers the readers of ../shared/validation tables share: the data lines of
 * a file split on tabs, header names to column indices, a row's cells in column order, and the
 * number a cell starts with. Private to src/validate.
 */
#ifndef LP_VALIDATE_TSV_H
#define LP_VALIDATE_TSV_H

#include <stddef.h>
#include <stdio.h>

/** Split line on tabs in place into at most max cells; returns the number of cells. */
int lp_tsv_split(char *line, char **cols, int max);

/**
 * Read the next data line of f into *line (a getline buffer of *cap bytes; the caller frees
 * it), skipping blank lines and '#' comments and removing the line ending, and split it into
 * at most max cells. *lineno counts every line read, for messages. Returns the number of
 * cells, 0 at the end of the file.
 */
int lp_tsv_next(FILE *f, char **line, size_t *cap, int *lineno, char **cols, int max);

/** colmap[k] = the header cell that holds names[k] (the last when repeated), or -1. */
void lp_tsv_map_header(char *const *cols, int n, const char *const *names, int count, int *colmap);

/** cells[k] = the cell of column colmap[k] in a row of n cells, or "" when it has none. */
void lp_tsv_pick(char *const *cols, int n, const int *colmap, int count, char **cells);

/** The number a cell starts with (after blanks: "0.95 (report ...)" -> 0.95), or NaN. */
double lp_tsv_number(const char *cell);

#endif
