/*
 * tsv_split.h - one line of a tab-separated file split into its cells, in place: the one
 * splitter the TSV readers share (prices, the validation tables). Private to src/.
 */
#ifndef LP_COMMON_TSV_SPLIT_H
#define LP_COMMON_TSV_SPLIT_H

/**
 * Split line on tabs in place into cols[0..max): each tab becomes a NUL. Returns the number of
 * cells, or max + 1 when the line has more than max (the rest is left unsplit, cols holds the
 * first max).
 */
int lp_tsv_split_line(char *line, char **cols, int max);

#endif
