/*
 * format.h - text formatting the renderers share (private to src/render; format.c).
 */
#ifndef LP_RENDER_FORMAT_H
#define LP_RENDER_FORMAT_H

#include <stddef.h>
#include <stdio.h>

#include "llmplan/perf.h"

/** v with the given decimals ("12.3"), or "-" when not known (not finite); returns buf. */
const char *lp_render_fmt_num(char *buf, size_t size, double v, int decimals);

/** Decimals for a latency or rate: 2 below 10, 1 below 1000, 0 above (and when not finite). */
int lp_render_decimals(double v);

/** A latency in ms with lp_render_decimals(v) decimals, or "-"; returns buf. */
const char *lp_render_fmt_ms(char *buf, size_t size, double v);

/** "<what> 1024", "<what> normal(1024, 128)", ... for a length distribution (no newline). */
void lp_render_describe_length(FILE *o, const char *what, const lp_len_dist *d);

/** How requests are sent at a finite rate: "5 req/s (Poisson)", "5 req/s (gamma gaps,
 *  burstiness 0.5)", "5 req/s (evenly spaced)"; unit is "req/s" or "requests/s". */
const char *lp_render_describe_rate(char *buf, size_t size, const lp_workload *w, const char *unit);

/** "input 1024, output 128 tokens; [1000 prompts; ]4 req/s (Poisson)[, max concurrency 32]"
 *  for a workload (no newline): the rate as lp_render_describe_rate says it, or "request rate
 *  inf (all at once)". */
void lp_render_describe_workload(FILE *o, const lp_workload *w, bool with_prompts);

#endif
