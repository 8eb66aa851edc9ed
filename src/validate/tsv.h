/*
 * tsv.h - the two text helpers the readers of ../shared/validation tables share: split a line
 * on tabs in place, and read the number a cell starts with. Private to src/validate.
 */
#ifndef LP_VALIDATE_TSV_H
#define LP_VALIDATE_TSV_H

/** Split line on tabs in place into at most max cells; returns the number of cells. */
int lp_tsv_split(char *line, char **cols, int max);

/** The number a cell starts with (after blanks: "0.95 (report ...)" -> 0.95), or NaN. */
double lp_tsv_number(const char *cell);

#endif
