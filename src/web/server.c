/*
 * server.c - lp_web_handle behind libmicrohttpd: the HTTP side of `llmplan serve`.
 *
 * We open the listening socket ourselves (so a busy port or a bad address is reported with
 * the system's reason, and port 0 gives an ephemeral port we can read back) and hand it to a
 * libmicrohttpd daemon running a pool of polling threads. Each request body is collected up
 * to LP_WEB_MAX_BODY_BYTES; a larger declared Content-Length is refused with 413 before the
 * body is read, a larger streamed body after it. Connections are limited in number and time
 * out when idle. Everything about the answer is lp_web_handle's business (api.c).
 *
 * Built without libmicrohttpd (LP_HAVE_MHD undefined), the functions below say so and fail;
 * nothing else in llmplan depends on this file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "llmplan/web.h"

/* Defaults of lp_web_opts (see web.h). */
#define DEFAULT_MAX_CONNECTIONS 256u
#define DEFAULT_TIMEOUT_S 15u
/* Per-connection buffer for headers and the body in flight (libmicrohttpd's default is 32 KiB;
 * the body itself is copied out, so this bounds only headers). */
#define CONNECTION_MEMORY_BYTES (16u * 1024u)
/* listen(2) backlog: room for a burst of clients connecting at once. */
#define LISTEN_BACKLOG 511

void lp_web_opts_init(lp_web_opts *opts) {
    memset(opts, 0, sizeof *opts);
    opts->host = LP_WEB_DEFAULT_HOST;
    opts->port = LP_WEB_DEFAULT_PORT;
}

#ifdef LP_HAVE_MHD

#include <arpa/inet.h>
#include <errno.h>
#include "web/mhd_dl.h"
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

struct lp_web_server {
    struct MHD_Daemon *daemon;
    int port;
};

bool lp_web_server_available(void) {
    return true;
}

/* One request's body as it arrives. */
typedef struct {
    char *buf;
    size_t len, cap;
    bool too_large;
} upload;

static enum MHD_Result send_response(struct MHD_Connection *c, const lp_web_response *r) {
    struct MHD_Response *resp;
    if (r->body_static)
        resp = MHD_create_response_from_buffer(r->body_len, r->body, MHD_RESPMEM_PERSISTENT);
    else
        resp = MHD_create_response_from_buffer(r->body_len, r->body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            r->content_type ? r->content_type : "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (r->body_static) {
        /* the page loads nothing from anywhere: say so to the browser */
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'none'; script-src 'unsafe-inline'; style-src "
                                "'unsafe-inline'; img-src data:; connect-src 'self'");
    }
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *c, int status, const char *msg) {
    lp_web_response r;
    memset(&r, 0, sizeof r);
    char body[256];
    int n = snprintf(body, sizeof body, "{\n  \"error\": \"%s\"\n}\n", msg);
    r.status = status;
    r.content_type = "application/json";
    r.body = body;
    r.body_len = n > 0 ? (size_t)n : 0;
    return send_response(c, &r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
    (void)cls;
    (void)version;
    upload *u = *con_cls;
    if (!u) {
        u = calloc(1, sizeof *u);
        if (!u)
            return MHD_NO;
        *con_cls = u;
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > LP_WEB_MAX_BODY_BYTES) {
            /* refuse before reading a byte of it; libmicrohttpd closes the connection */
            u->too_large = true;
            return send_error(c, 413,
                              "the request body is larger than 1 MiB (1048576 bytes); send a "
                              "smaller JSON object");
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (u->too_large || n > LP_WEB_MAX_BODY_BYTES - u->len) {
            u->too_large = true; /* keep reading and dropping; answer 413 at the end */
            return MHD_YES;
        }
        if (u->len + n + 1 > u->cap) {
            size_t cap = u->cap ? u->cap : 1024;
            while (cap < u->len + n + 1)
                cap *= 2;
            char *b = realloc(u->buf, cap);
            if (!b)
                return MHD_NO;
            u->buf = b;
            u->cap = cap;
        }
        memcpy(u->buf + u->len, upload_data, n);
        u->len += n;
        u->buf[u->len] = '\0';
        return MHD_YES;
    }
    if (u->too_large)
        return send_error(c, 413,
                          "the request body is larger than 1 MiB (1048576 bytes); send a "
                          "smaller JSON object");
    lp_web_request req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = url;
    req.q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "q");
    req.body = u->buf;
    req.body_len = u->len;
    lp_web_response resp;
    if (lp_web_handle(&req, &resp) != LP_OK || !resp.body) {
        lp_web_response_free(&resp);
        return send_error(c, 500, "out of memory");
    }
    enum MHD_Result ret = send_response(c, &resp);
    lp_web_response_free(&resp);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)c;
    (void)toe;
    upload *u = *con_cls;
    if (u) {
        free(u->buf);
        free(u);
        *con_cls = NULL;
    }
}

/* Resolve host into an address (numeric IPv4/IPv6, or "localhost"). */
static lp_status make_address(const char *host, int port, struct sockaddr_storage *ss,
                              socklen_t *len, lp_error *err) {
    memset(ss, 0, sizeof *ss);
    if (strcasecmp(host, "localhost") == 0)
        host = "127.0.0.1";
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *len = sizeof *v4;
        return LP_OK;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *len = sizeof *v6;
        return LP_OK;
    }
    return lp_error_set(err, LP_ERR_INVALID_ARG,
                        "host \"%s\" is not an IP address: give 127.0.0.1 (the default), ::1, "
                        "localhost or an address of this machine",
                        host);
}

lp_status lp_web_server_start(const lp_web_opts *opts, lp_web_server **out, lp_error *err) {
    *out = NULL;
    lp_status loaded = lp_mhd_load(err);
    if (loaded != LP_OK)
        return loaded;
    lp_web_opts o;
    lp_web_opts_init(&o);
    if (opts)
        o = *opts;
    if (!o.host)
        o.host = LP_WEB_DEFAULT_HOST;
    if (o.port < 0 || o.port > 65535)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "port %d: expected 0 to 65535", o.port);
    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    lp_status st = make_address(o.host, o.port, &ss, &sslen, err);
    if (st != LP_OK)
        return st;

    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return lp_error_set(err, LP_ERR_IO, "cannot create a socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sslen) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
        int e = errno;
        close(fd);
        return lp_error_set(err, LP_ERR_IO, "cannot listen on %s port %d: %s%s", o.host, o.port,
                            strerror(e),
                            e == EADDRINUSE ? " (another server runs there: choose --port)" : "");
    }
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    int port = o.port;
    if (getsockname(fd, (struct sockaddr *)&bound, &blen) == 0)
        port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                 : ((struct sockaddr_in *)&bound)->sin_port);

    unsigned threads = o.threads;
    if (threads == 0) {
        /* one worker per CPU: requests are CPU-bound (no I/O waits), and more threads than
         * cores only adds scheduling delay to the tail (measured with wrk, 50 clients on 2
         * cores: p99 3.1-3.8 ms with 2 threads, 4.4-6.5 ms with 3, 5-9 ms with 4) */
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cpus > 0 ? (unsigned)cpus : 1u;
    }
    lp_web_server *s = calloc(1, sizeof *s);
    if (!s) {
        close(fd);
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
    if (!o.quiet)
        flags |= MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT,
        o.max_connections ? o.max_connections : DEFAULT_MAX_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, o.timeout_s ? o.timeout_s : DEFAULT_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY_BYTES,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
    if (!s->daemon) {
        close(fd);
        free(s);
        return lp_error_set(err, LP_ERR_IO,
                            "libmicrohttpd could not start the server on %s port %d (too many "
                            "threads or connections asked for?)",
                            o.host, port);
    }
    s->port = port;
    *out = s;
    return LP_OK;
}

int lp_web_server_port(const lp_web_server *s) {
    return s ? s->port : 0;
}

void lp_web_server_stop(lp_web_server *s) {
    if (!s)
        return;
    MHD_stop_daemon(s->daemon); /* closes the listening socket and joins the threads */
    free(s);
}

#else /* !LP_HAVE_MHD */

struct lp_web_server {
    int unused;
};

bool lp_web_server_available(void) {
    return false;
}

lp_status lp_web_server_start(const lp_web_opts *opts, lp_web_server **out, lp_error *err) {
    (void)opts;
    *out = NULL;
    return lp_error_set(err, LP_ERR_UNSUPPORTED,
                        "this llmplan was built without libmicrohttpd, so it cannot serve HTTP: "
                        "install libmicrohttpd-dev (scripts/install-deps.sh) and rebuild");
}

int lp_web_server_port(const lp_web_server *s) {
    (void)s;
    return 0;
}

void lp_web_server_stop(lp_web_server *s) {
    (void)s;
}

#endif
