/*
 * origin.c - which Host and Origin headers `llmplan serve` accepts.
 *
 * Two attacks from a web page the user happens to visit while the planner runs:
 *  - a cross-origin POST (a form, or fetch with Content-Type text/plain, which needs no CORS
 *    preflight) makes the server compute on the page's behalf;
 *  - DNS rebinding: the page's own host name is re-pointed at 127.0.0.1, so the browser treats
 *    the planner as same-origin and lets the page read the answers.
 * A browser always names the page in Origin on a cross-origin POST, and always sends the name
 * it resolved in Host; other clients (curl, scripts) send no Origin. So: Host must be an IP
 * address, localhost or a name the user allowed; Origin, when present, must be this server
 * itself or an origin the user allowed. Pure functions of the header values, no I/O.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "web/web_internal.h"

/* Longest host name or origin compared (DNS names are at most 253 bytes). */
#define MAX_NAME 300

/* The host part of a Host header value ("[::1]:8080" -> "::1", "Example.com.:80" ->
 * "Example.com"), or false when it does not parse. */
static bool host_part(const char *value, char *out, size_t size) {
    size_t n;
    const char *start = value;
    if (*value == '[') {
        const char *close = strchr(value, ']');
        if (!close || (close[1] != '\0' && close[1] != ':'))
            return false;
        start = value + 1;
        n = (size_t)(close - start);
    } else {
        n = strcspn(value, ":");
        if (value[n] == ':' && strchr(value + n + 1, ':'))
            return false; /* a bare IPv6 address or garbage */
    }
    if (n == 0 || n >= size)
        return false;
    memcpy(out, start, n);
    out[n] = '\0';
    if (n > 1 && out[n - 1] == '.')
        out[n - 1] = '\0'; /* "localhost." is localhost */
    return true;
}

static bool is_ip_literal(const char *host) {
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* Whether name is one of the comma-separated entries of list (any case, spaces ignored). */
static bool in_list(const char *list, const char *name, size_t name_len) {
    if (!list)
        return false;
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ",");
        size_t m = n;
        while (m > 0 && p[m - 1] == ' ')
            m--;
        while (m > 1 && p[m - 1] == '/')
            m--; /* "https://app.example/" names the origin https://app.example */
        if (m > 0 && ((m == 1 && *p == '*') || (m == name_len && strncasecmp(p, name, m) == 0)))
            return true;
        p += n;
    }
    return false;
}

bool lp_web_host_allowed(const char *host_header, const char *allow_hosts) {
    if (!host_header)
        return true; /* HTTP/1.0 without Host: not a browser */
    char host[MAX_NAME];
    if (!host_part(host_header, host, sizeof host))
        return in_list(allow_hosts, "*", 1);
    if (is_ip_literal(host) || strcasecmp(host, "localhost") == 0)
        return true;
    return in_list(allow_hosts, host, strlen(host));
}

/* "http://HOST" or "http://HOST:80" equals host_header (same port rules as a browser's). */
static bool same_origin(const char *origin, const char *host_header) {
    static const char scheme[] = "http://";
    if (!host_header || strncasecmp(origin, scheme, sizeof scheme - 1) != 0)
        return false;
    const char *o = origin + sizeof scheme - 1;
    size_t on = strlen(o), hn = strlen(host_header);
    if (on >= 3 && strcmp(o + on - 3, ":80") == 0)
        on -= 3;
    if (hn >= 3 && strcmp(host_header + hn - 3, ":80") == 0)
        hn -= 3;
    return on == hn && strncasecmp(o, host_header, on) == 0;
}

bool lp_web_origin_allowed(const char *origin, const char *sec_fetch_site, const char *host_header,
                           const char *allow_origins) {
    if (!origin) {
        /* no Origin: not a browser, or a browser's same-origin GET; a browser that says the
         * request comes from another site is refused all the same */
        return !sec_fetch_site || strcasecmp(sec_fetch_site, "cross-site") != 0 ||
               in_list(allow_origins, "*", 1);
    }
    if (same_origin(origin, host_header))
        return true;
    size_t n = strlen(origin);
    return n < MAX_NAME && in_list(allow_origins, origin, n);
}
