/*
 * http_client.h - a small HTTP/1.1 client over plain sockets for the server tests: one request
 * per connection (Connection: close), any extra headers, a time limit on the answer, and the
 * answer's status, headers and body.
 */
#ifndef LP_TEST_HTTP_CLIENT_H
#define LP_TEST_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    int status;    /**< 0 when no answer came within the time limit */
    char *headers; /**< the header block (NUL-terminated), malloc'd */
    char *body;    /**< NUL-terminated, malloc'd */
    size_t body_len;
    double seconds; /**< from connect to the last byte */
} lp_http_resp;

/** A TCP connection to 127.0.0.1:port (fails the test when it cannot connect). */
int lp_http_connect(int port);

/** Send all of buf; false when the peer closed. */
bool lp_http_send_all(int fd, const char *buf, size_t len);

/**
 * Read an answer from fd until the peer closes or timeout_s passes; parse it into r (status 0
 * when nothing complete came). Does not close fd.
 */
void lp_http_read(int fd, double timeout_s, lp_http_resp *r);

/**
 * One request: method, path, extra header lines ("Origin: x\r\n..." or NULL; a Host header
 * of 127.0.0.1 is sent unless extra has one), body (may be NULL). Fails the test when the
 * connection cannot be made; r->status is 0 when no answer came within timeout_s.
 */
void lp_http_request(int port, const char *method, const char *path, const char *extra,
                     const char *body, double timeout_s, lp_http_resp *r);

/** Value of header name in r (case-insensitive) into buf; false when absent. */
bool lp_http_header(const lp_http_resp *r, const char *name, char *buf, size_t size);

/** Free r's buffers. */
void lp_http_free(lp_http_resp *r);

/** Seconds on a monotonic clock. */
double lp_http_now(void);

/** Sleep this many seconds. */
void lp_http_sleep(double seconds);

#endif
