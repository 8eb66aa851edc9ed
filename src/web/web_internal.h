/*
 * web_internal.h - what the files of src/web share and nobody else needs.
 */
#ifndef LP_WEB_INTERNAL_H
#define LP_WEB_INTERNAL_H

#include <stddef.h>

/** The single-page planner (src/web/index.html, embedded at build time). Static storage. */
const char *lp_web_page(size_t *len);

#endif
