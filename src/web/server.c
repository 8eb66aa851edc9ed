/*
 * server.c - lp_web_handle behind libmicrohttpd: the HTTP side of `llmplan serve`.
 *
 * We open the listening socket ourselves (so a busy port or a bad address is reported with
 * the system's reason, and port 0 gives an ephemeral port we can read back) and hand it to a
 * libmicrohttpd daemon running a pool of polling threads. Those threads only move bytes and
 * answer what costs nothing (the page, the tables, /health, a plan); every other POST is
 * computed by the work pool (pool.c) under a deadline and size caps, its connection suspended
 * meanwhile, and refused with 503 + Retry-After when the pool's queue is full. The watchdog
 * (watchdog.c) gives each connection an absolute time to send its request and take its
 * answer, and cancels a computation whose client hung up.
 *
 * Before a byte of a body is read: the Host header must name this server and a POST must come
 * from no browser page or this server's own (origin.c); conflicting Content-Length headers,
 * or Content-Length with Transfer-Encoding, are refused; a body declared larger than
 * LP_WEB_MAX_BODY_BYTES is refused with 413 (a larger streamed one after it), and all bodies
 * held at once are capped too. Everything about the answer itself is lp_web_handle's (api.c).
 *
 * Built without libmicrohttpd (LP_HAVE_MHD undefined), the functions below say so and fail;
 * nothing else in llmplan depends on this file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/grow.h"
#include "llmplan/web.h"

/* Defaults of lp_web_opts (see web.h and README "Server limits"). */
#define DEFAULT_MAX_CONNECTIONS 1024u
#define DEFAULT_TIMEOUT_S 10u
#define DEFAULT_QUEUE_PER_WORKER 4u
#define DEFAULT_REQUEST_TIMEOUT_S 20.0
#define MAX_REQUEST_TIMEOUT_S 86400
/* about 0.5 s of one core for a simulation, 1 s for a search (make bench: bench_sim,
 * bench_search) */
#define DEFAULT_MAX_SIM_STEPS 5000000LL
#define DEFAULT_MAX_SEARCH_CONFIGS 500000LL
/* Descriptors kept free of connections (listening socket, libmicrohttpd's pipes, stdio). */
#define RESERVED_FDS 64u
/* All request bodies held at once (each at most LP_WEB_MAX_BODY_BYTES). */
#define LP_WEB_MAX_BODIES_BYTES (64u * 1024u * 1024u)
/* Longest Origin header copied into an answer. */
#define MAX_ORIGIN_BYTES 256
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
#include <ctype.h>
#include <errno.h>
#include "web/mhd_dl.h"
#include <netinet/in.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "web/server_internal.h"
#include "web/web_internal.h"

struct lp_web_server {
    struct MHD_Daemon *daemon;
    int port;
    lp_web_opts o; /* resolved: no zero left */
    char *allow_hosts, *allow_origins;
    lp_web_pool *pool;
    lp_web_watchdog *watch;
    size_t body_bytes; /* request bodies held right now (atomic) */
};

bool lp_web_server_available(void) {
    return true;
}

/* What happens to one request. */
enum { REQ_READING = 0, REQ_QUEUED, REQ_DONE };

/* One request (libmicrohttpd's per-request pointer). */
typedef struct {
    lp_web_server *srv;
    struct MHD_Connection *mhd;
    lp_web_conn *conn;
    char *buf;
    size_t len, cap;
    bool too_large, too_busy, heavy;
    char method[16];
    char *path, *q;
    char cors[MAX_ORIGIN_BYTES]; /* an allowed foreign origin to name in the answer, or "" */
    int state;                   /* REQ_*, atomic: the worker sets REQ_DONE */
    int cancel_fallback;         /* the cancel flag when the watchdog has no record */
    lp_web_job job;
} request;

/* ---- answers ------------------------------------------------------------------------------ */

static enum MHD_Result send_answer(request *r, struct MHD_Connection *c, const lp_web_response *a,
                                   const char *retry_after) {
    struct MHD_Response *resp;
    if (a->body_static)
        resp = MHD_create_response_from_buffer(a->body_len, a->body, MHD_RESPMEM_PERSISTENT);
    else
        resp = MHD_create_response_from_buffer(a->body_len, a->body, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            a->content_type ? a->content_type : "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (a->body_static && a->status == 200) {
        /* the page loads nothing from anywhere: say so to the browser */
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'none'; script-src 'unsafe-inline'; style-src "
                                "'unsafe-inline'; img-src data:; connect-src 'self'");
    }
    if (retry_after && *retry_after)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, retry_after);
    if (r && r->cors[0]) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, r->cors);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Origin");
    }
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)a->status, resp);
    MHD_destroy_response(resp);
    if (r)
        lp_web_watchdog_phase(r->srv->watch, r->conn, LP_CONN_SENDING);
    return ret;
}

static enum MHD_Result send_error(request *r, struct MHD_Connection *c, int status,
                                  const char *retry_after, const char *msg) {
    lp_web_response a;
    lp_web_error_response(&a, status, msg);
    enum MHD_Result ret = send_answer(r, c, &a, retry_after);
    lp_web_response_free(&a);
    return ret;
}

/* A header value as it may appear in a message: printable ASCII, at most 100 bytes. */
static void printable(const char *value, char *out, size_t size) {
    size_t n = 0;
    for (const char *p = value ? value : ""; *p && n + 4 < size; p++)
        out[n++] = isprint((unsigned char)*p) ? *p : '?';
    if (value && strlen(value) > n)
        memcpy(out + n, "...", 4);
    else
        out[n] = '\0';
}

/* GET /health: answered by the connection thread at once, with how busy the server is. */
static enum MHD_Result send_health(request *r, struct MHD_Connection *c) {
    lp_web_server *s = r->srv;
    unsigned busy, queued, open;
    unsigned long slow;
    lp_web_pool_stats(s->pool, &busy, &queued);
    lp_web_watchdog_stats(s->watch, &open, &slow);
    char body[320];
    int n = snprintf(body, sizeof body,
                     "{\n  \"status\": \"ok\",\n  \"workers\": %u,\n  \"busy\": %u,\n"
                     "  \"queued\": %u,\n  \"queue_limit\": %u,\n  \"connections\": %u,\n"
                     "  \"max_connections\": %u,\n  \"closed_slow_connections\": %lu\n}\n",
                     s->o.workers, busy, queued, s->o.queue, open, s->o.max_connections, slow);
    /* not static: copied by libmicrohttpd before this stack frame goes */
    lp_web_response a = {200, "application/json", body, n > 0 ? (size_t)n : 0, false};
    return send_answer(r, c, &a, NULL);
}

/* ---- checks on the headers, before a byte of the body is read ---------------------------- */

typedef struct {
    unsigned content_lengths;
    bool conflicting;
    bool transfer_encoding;
    const char *first;
} length_scan;

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value) {
    (void)kind;
    length_scan *ls = cls;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        if (ls->content_lengths++ == 0)
            ls->first = value;
        else if (strcmp(ls->first, value ? value : "") != 0)
            ls->conflicting = true;
    } else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        ls->transfer_encoding = true;
    }
    return MHD_YES;
}

static bool is_get(const char *method) {
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

/* Host, Origin and the body's framing. MHD_YES to go on (or an answer was queued: then the
 * rest of the request is discarded and the connection closed). */
static enum MHD_Result check_headers(request *r, struct MHD_Connection *c, const char *url) {
    lp_web_server *s = r->srv;
    char shown[128], msg[512];
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!lp_web_host_allowed(host, s->allow_hosts)) {
        printable(host, shown, sizeof shown);
        snprintf(msg, sizeof msg,
                 "Host \"%s\" is not a name of this server: it answers to IP addresses and "
                 "localhost; start it with --allow-host NAME to accept another name",
                 shown);
        return send_error(r, c, 403, NULL, msg);
    }
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    if (origin && strlen(origin) < MAX_ORIGIN_BYTES &&
        lp_web_origin_allowed(origin, NULL, "", s->allow_origins))
        snprintf(r->cors, sizeof r->cors, "%s", origin); /* a foreign origin the user allowed */
    if (strcmp(r->method, "OPTIONS") == 0) {
        /* a CORS preflight: only for origins the user allowed */
        if (!r->cors[0])
            return send_error(r, c, 403, NULL,
                              "cross-origin requests are refused; start the server with "
                              "--allow-origin ORIGIN to accept one");
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (!resp)
            return MHD_NO;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, r->cors);
        MHD_add_response_header(resp, "Access-Control-Allow-Methods", "GET, POST");
        MHD_add_response_header(resp, "Access-Control-Allow-Headers", "Content-Type");
        MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
        MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Origin");
        enum MHD_Result ret = MHD_queue_response(c, 204, resp);
        MHD_destroy_response(resp);
        return ret;
    }
    if (!is_get(r->method)) {
        const char *site = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");
        if (!lp_web_origin_allowed(origin, site, host, s->allow_origins)) {
            printable(origin ? origin : site, shown, sizeof shown);
            snprintf(msg, sizeof msg,
                     "cross-origin %s refused (from \"%s\"): a web page may not use this "
                     "planner; start it with --allow-origin ORIGIN to accept one",
                     r->method, shown);
            return send_error(r, c, 403, NULL, msg);
        }
    }
    length_scan ls = {0, false, false, NULL};
    MHD_get_connection_values(c, MHD_HEADER_KIND, scan_header, &ls);
    if (ls.conflicting)
        return send_error(r, c, 400, NULL,
                          "conflicting Content-Length headers: send one body length");
    if (ls.content_lengths > 0 && ls.transfer_encoding)
        return send_error(r, c, 400, NULL,
                          "both Content-Length and Transfer-Encoding: send one of them");
    if (ls.first && strtoull(ls.first, NULL, 10) > LP_WEB_MAX_BODY_BYTES) {
        r->too_large = true;
        return send_error(r, c, 413, NULL,
                          "the request body is larger than 1 MiB (1048576 bytes); send a "
                          "smaller JSON object");
    }
    r->path = strdup(url);
    if (!r->path)
        return MHD_NO;
    /* what can take long is computed by the workers; the page, the tables, /health and a plan
     * (memory arithmetic, well under a millisecond) by this connection thread */
    r->heavy = strcmp(r->method, "POST") == 0 && strcmp(url, "/v1/plan") != 0;
    return MHD_YES;
}

/* ---- the work pool's side ------------------------------------------------------------------ */

/* On a worker thread: the answer is ready; hand the connection back to libmicrohttpd, which
 * calls on_request again to send it. */
static void job_done(lp_web_job *job, void *ctx) {
    request *r = ctx;
    (void)job;
    __atomic_store_n(&r->state, REQ_DONE, __ATOMIC_RELEASE);
    MHD_resume_connection(r->mhd); /* r may be freed from here on */
}

static enum MHD_Result start_job(request *r, struct MHD_Connection *c) {
    lp_web_server *s = r->srv;
    unsigned retry;
    if (!lp_web_pool_reserve(s->pool, &retry)) {
        char ra[16], msg[256];
        snprintf(ra, sizeof ra, "%u", retry);
        snprintf(msg, sizeof msg,
                 "the server is busy: %u requests are computed and %u wait (--workers, --queue); "
                 "retry in %u s",
                 s->o.workers, s->o.queue, retry);
        return send_error(r, c, 503, ra, msg);
    }
    lp_web_job *job = &r->job;
    memset(job, 0, sizeof *job);
    job->req.method = r->method;
    job->req.path = r->path;
    job->req.q = r->q;
    job->req.body = r->buf;
    job->req.body_len = r->len;
    job->arrival_s = lp_budget_now();
    job->cancel = r->conn ? &r->conn->cancel : &r->cancel_fallback;
    __atomic_store_n(job->cancel, 0, __ATOMIC_RELAXED);
    job->done = job_done;
    job->done_ctx = r;
    r->mhd = c;
    r->state = REQ_QUEUED;
    lp_web_watchdog_phase(s->watch, r->conn, LP_CONN_WORKING);
    MHD_suspend_connection(c);
    lp_web_pool_submit(s->pool, job);
    return MHD_YES;
}

/* ---- libmicrohttpd's callbacks ------------------------------------------------------------- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
    (void)version;
    lp_web_server *s = cls;
    request *r = *con_cls;
    if (!r) {
        /* the headers are in */
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        r->srv = s;
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        r->conn = ci ? ci->socket_context : NULL;
        snprintf(r->method, sizeof r->method, "%s", method);
        return check_headers(r, c, url);
    }
    if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) == REQ_DONE) {
        /* resumed: a worker has the answer */
        enum MHD_Result ret = send_answer(r, c, &r->job.resp, r->job.retry_after);
        lp_web_response_free(&r->job.resp);
        return ret;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->too_large || r->too_busy || n > LP_WEB_MAX_BODY_BYTES - r->len) {
            r->too_large = !r->too_busy; /* keep reading and dropping; answer at the end */
            return MHD_YES;
        }
        if (r->len + n + 1 > r->cap) {
            size_t cap = lp_grow_capacity(r->cap, r->len + n + 1, 1, 1024);
            size_t held = __atomic_add_fetch(&s->body_bytes, cap - r->cap, __ATOMIC_RELAXED);
            char *b = held <= LP_WEB_MAX_BODIES_BYTES ? realloc(r->buf, cap) : NULL;
            if (!b) {
                __atomic_sub_fetch(&s->body_bytes, cap - r->cap, __ATOMIC_RELAXED);
                r->too_busy = true;
                return MHD_YES;
            }
            r->buf = b;
            r->cap = cap;
        }
        memcpy(r->buf + r->len, upload_data, n);
        r->len += n;
        r->buf[r->len] = '\0';
        return MHD_YES;
    }
    /* the whole request is in */
    if (r->state == REQ_QUEUED)
        return MHD_YES; /* a spurious call while a worker computes */
    if (r->too_large)
        return send_error(r, c, 413, NULL,
                          "the request body is larger than 1 MiB (1048576 bytes); send a "
                          "smaller JSON object");
    if (r->too_busy)
        return send_error(r, c, 503, "1", "the server holds too many request bodies; retry");
    if (is_get(r->method) && strcmp(r->path, "/health") == 0)
        return send_health(r, c);
    const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "q");
    if (q && !(r->q = strdup(q)))
        return MHD_NO;
    if (r->heavy)
        return start_job(r, c);
    lp_web_request req = {r->method, r->path, r->q, r->buf, r->len};
    lp_web_response resp;
    if (lp_web_handle(&req, &resp) != LP_OK || !resp.body) {
        lp_web_response_free(&resp);
        return send_error(r, c, 500, NULL, "out of memory");
    }
    enum MHD_Result ret = send_answer(r, c, &resp, NULL);
    lp_web_response_free(&resp);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)c;
    (void)toe;
    lp_web_server *s = cls;
    request *r = *con_cls;
    if (!r)
        return;
    lp_web_watchdog_phase(s->watch, r->conn, LP_CONN_READING); /* the next request's clock */
    /* a worker's answer that was never sent (the client had gone, or the server stops) */
    lp_web_response_free(&r->job.resp);
    if (r->cap)
        __atomic_sub_fetch(&s->body_bytes, r->cap, __ATOMIC_RELAXED);
    free(r->buf);
    free(r->path);
    free(r->q);
    free(r);
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe) {
    lp_web_server *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = ci ? lp_web_watchdog_add(s->watch, ci->connect_fd) : NULL;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        lp_web_watchdog_remove(s->watch, *socket_context);
        *socket_context = NULL;
    }
}

/* ---- start and stop ------------------------------------------------------------------------ */

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

/* Fill the zero fields of o with the defaults; check the rest. */
static lp_status resolve_opts(lp_web_opts *o, lp_error *err) {
    if (!o->host)
        o->host = LP_WEB_DEFAULT_HOST;
    if (o->port < 0 || o->port > 65535)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "port %d: expected 0 to 65535", o->port);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned ncpu = cpus > 0 ? (unsigned)cpus : 1u;
    if (o->threads == 0)
        o->threads = ncpu;
    if (o->workers == 0)
        o->workers = ncpu;
    if (o->queue == 0)
        o->queue = DEFAULT_QUEUE_PER_WORKER * o->workers;
    if (o->timeout_s == 0)
        o->timeout_s = DEFAULT_TIMEOUT_S;
    if (o->request_timeout_s == 0)
        o->request_timeout_s = DEFAULT_REQUEST_TIMEOUT_S;
    if (!(o->request_timeout_s > 0) || o->request_timeout_s > MAX_REQUEST_TIMEOUT_S)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "request timeout %g s: expected more than 0 and at most %d s",
                            o->request_timeout_s, MAX_REQUEST_TIMEOUT_S);
    if (o->max_sim_steps <= 0)
        o->max_sim_steps = DEFAULT_MAX_SIM_STEPS;
    if (o->max_search_configs <= 0)
        o->max_search_configs = DEFAULT_MAX_SEARCH_CONFIGS;
    /* every connection is a descriptor; keep some for the listening socket, libmicrohttpd's
     * inter-thread pipes and the files a request may not open but libc may */
    struct rlimit rl;
    rlim_t files = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
    unsigned fit = files > RESERVED_FDS + 1
                       ? (unsigned)(files - RESERVED_FDS < 1000000 ? files - RESERVED_FDS : 1000000)
                       : 1u;
    if (o->max_connections == 0)
        o->max_connections = fit < DEFAULT_MAX_CONNECTIONS ? fit : DEFAULT_MAX_CONNECTIONS;
    else if (o->max_connections > fit)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "%u connections: this process may open only %llu files (ulimit -n), "
                            "enough for %u; raise the limit or ask for fewer",
                            o->max_connections, (unsigned long long)files, fit);
    return LP_OK;
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
    lp_status st = resolve_opts(&o, err);
    if (st != LP_OK)
        return st;
    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    st = make_address(o.host, o.port, &ss, &sslen, err);
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

    lp_web_server *s = calloc(1, sizeof *s);
    if (!s) {
        close(fd);
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    }
    s->o = o;
    s->allow_hosts = o.allow_hosts ? strdup(o.allow_hosts) : NULL;
    s->allow_origins = o.allow_origins ? strdup(o.allow_origins) : NULL;
    s->o.allow_hosts = s->allow_hosts;
    s->o.allow_origins = s->allow_origins;
    lp_web_pool_limits limits = {o.workers, o.queue, o.request_timeout_s, o.max_sim_steps,
                                 o.max_search_configs};
    if ((o.allow_hosts && !s->allow_hosts) || (o.allow_origins && !s->allow_origins))
        st = lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    if (st == LP_OK)
        st = lp_web_watchdog_start((double)o.timeout_s, &s->watch, err);
    if (st == LP_OK)
        st = lp_web_pool_start(&limits, &s->pool, err);
    if (st == LP_OK) {
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME;
        if (!o.quiet)
            flags |= MHD_USE_ERROR_LOG;
        if (ss.ss_family == AF_INET6)
            flags |= MHD_USE_IPv6;
        s->daemon = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
            MHD_OPTION_THREAD_POOL_SIZE, o.threads, MHD_OPTION_CONNECTION_LIMIT, o.max_connections,
            MHD_OPTION_CONNECTION_TIMEOUT, o.timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
            (size_t)CONNECTION_MEMORY_BYTES, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
            MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_END);
        if (!s->daemon)
            st = lp_error_set(err, LP_ERR_IO,
                              "libmicrohttpd could not start the server on %s port %d (too many "
                              "threads or connections asked for?)",
                              o.host, port);
    }
    if (st != LP_OK) {
        close(fd);
        lp_web_pool_stop(s->pool);
        lp_web_pool_free(s->pool);
        lp_web_watchdog_stop(s->watch);
        free(s->allow_hosts);
        free(s->allow_origins);
        free(s);
        return st;
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
    /* every suspended connection is resumed before libmicrohttpd stops (it must be) */
    lp_web_pool_stop(s->pool);
    MHD_stop_daemon(s->daemon); /* closes the listening socket and joins the threads */
    lp_web_pool_free(s->pool);
    lp_web_watchdog_stop(s->watch);
    free(s->allow_hosts);
    free(s->allow_origins);
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
