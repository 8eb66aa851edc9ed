/*
 * http_client.c - see http_client.h.
 */
#include "support/http_client.h"

#include "support/lp_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

double lp_http_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void lp_http_sleep(double seconds) {
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int lp_http_connect(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        fail_msg("connect to 127.0.0.1:%d: %s", port, strerror(errno));
    return fd;
}

bool lp_http_send_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        buf += n;
        len -= (size_t)n;
    }
    return true;
}

void lp_http_read(int fd, double timeout_s, lp_http_resp *r) {
    const double t0 = lp_http_now();
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        double left = timeout_s - (lp_http_now() - t0);
        if (left <= 0)
            break;
        struct pollfd p = {fd, POLLIN, 0};
        int ready = poll(&p, 1, (int)(left * 1000) + 1);
        if (ready <= 0)
            break;
        if (cap - n < 4096) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        ssize_t got = recv(fd, buf + n, cap - n - 1, 0);
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    buf[n] = '\0';
    memset(r, 0, sizeof *r);
    char *end = strstr(buf, "\r\n\r\n");
    if (!end || sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1) {
        r->status = 0;
        r->headers = buf;
        r->body = strdup("");
        assert_non_null(r->body);
        return;
    }
    *end = '\0';
    r->body_len = n - (size_t)(end + 4 - buf);
    r->body = malloc(r->body_len + 1);
    assert_non_null(r->body);
    memcpy(r->body, end + 4, r->body_len);
    r->body[r->body_len] = '\0';
    r->headers = buf;
}

void lp_http_request(int port, const char *method, const char *path, const char *extra,
                     const char *body, double timeout_s, lp_http_resp *r) {
    const double t0 = lp_http_now();
    int fd = lp_http_connect(port);
    size_t len = body ? strlen(body) : 0;
    bool own_host = extra && (strncasecmp(extra, "Host:", 5) == 0 || strstr(extra, "\nHost:") ||
                              strstr(extra, "\nhost:"));
    char head[2048];
    int hn = snprintf(head, sizeof head,
                      "%s %s HTTP/1.1\r\n%sConnection: close\r\n%sContent-Length: %zu\r\n\r\n",
                      method, path, own_host ? "" : "Host: 127.0.0.1\r\n", extra ? extra : "", len);
    assert_true(hn > 0 && (size_t)hn < sizeof head);
    bool sent = lp_http_send_all(fd, head, (size_t)hn);
    if (sent && len)
        lp_http_send_all(fd, body, len);
    lp_http_read(fd, timeout_s, r);
    close(fd);
    r->seconds = lp_http_now() - t0;
}

bool lp_http_header(const lp_http_resp *r, const char *name, char *buf, size_t size) {
    size_t n = strlen(name);
    for (const char *line = r->headers ? strstr(r->headers, "\r\n") : NULL; line;
         line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, name, n) == 0 && line[2 + n] == ':') {
            const char *v = line + 3 + n;
            while (*v == ' ')
                v++;
            size_t k = strcspn(v, "\r\n");
            if (k >= size)
                k = size - 1;
            memcpy(buf, v, k);
            buf[k] = '\0';
            return true;
        }
    }
    return false;
}

void lp_http_free(lp_http_resp *r) {
    free(r->headers);
    free(r->body);
    r->headers = r->body = NULL;
}
