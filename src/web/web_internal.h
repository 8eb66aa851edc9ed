/*
 * web_internal.h - what the files of src/web share and nobody else needs.
 */
#ifndef LP_WEB_INTERNAL_H
#define LP_WEB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/** The single-page planner (src/web/index.html, embedded at build time). Static storage. */
const char *lp_web_page(size_t *len);

/**
 * Whether a request's Host header names this server: an IP address, localhost, or a name in
 * allow_hosts (comma-separated; "*" allows any). NULL host_header (HTTP/1.0): allowed.
 */
bool lp_web_host_allowed(const char *host_header, const char *allow_hosts);

/**
 * Whether a request that changes or computes something may come from origin: absent (not a
 * browser, unless Sec-Fetch-Site says cross-site), the server itself ("http://" + Host), or in
 * allow_origins (comma-separated; "*" allows any).
 */
bool lp_web_origin_allowed(const char *origin, const char *sec_fetch_site, const char *host_header,
                           const char *allow_origins);

#endif
