/*
 * llmplan/web.h - `llmplan serve`: a local web planner and its JSON API.
 *
 * Two layers. lp_web_handle is the whole API as a pure function of one request (method, path,
 * query, body) to one response (status, content type, body): it validates, calls the library
 * and renders with the same renderers the CLI uses for --json, so a response is exactly what
 * `llmplan plan|estimate|recommend --json` prints for the same input. It needs no HTTP library
 * and is what the tests drive directly. lp_web_server_* put it behind libmicrohttpd on
 * 127.0.0.1 by default, with every request bounded (lp_web_opts: workers and a queue for what
 * takes long, a deadline and size caps per request, absolute time limits per connection, Host
 * and Origin checks); without libmicrohttpd at build time they fail with LP_ERR_UNSUPPORTED
 * and say so.
 *
 * Endpoints: POST /v1/plan, POST /v1/estimate, POST /v1/recommend, GET /v1/gpus,
 * GET /v1/models[?q=text], GET /health, GET / (the single-page planner).
 * Models are the embedded catalog or a pasted config.json object: the server never opens a
 * file or a directory a client names.
 */
#ifndef LLMPLAN_WEB_H
#define LLMPLAN_WEB_H

#include <stdbool.h>
#include <stddef.h>

#include "llmplan/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest request body accepted (1 MiB); a larger one is answered 413. */
#define LP_WEB_MAX_BODY_BYTES (1024u * 1024u)
/** Default TCP port of `llmplan serve`. */
#define LP_WEB_DEFAULT_PORT 8080
/** Default listen address: loopback only. */
#define LP_WEB_DEFAULT_HOST "127.0.0.1"

/** One HTTP request as the handler sees it. Borrowed pointers; body need not be NUL-ended. */
typedef struct {
    const char *method; /**< "GET", "POST", ... */
    const char *path;   /**< "/v1/plan" (no query string) */
    const char *q;      /**< the decoded ?q= argument, or NULL */
    const char *body;   /**< request body (may be NULL when body_len is 0) */
    size_t body_len;
} lp_web_request;

/** One response. body is owned by the response unless body_static (free with
 *  lp_web_response_free). */
typedef struct {
    int status;               /**< HTTP status code */
    const char *content_type; /**< static string */
    char *body;
    size_t body_len;
    bool body_static; /**< body points at static storage (the embedded page) */
} lp_web_response;

/**
 * Answer one request. Always fills *out (4xx/5xx carry {"error": "<one sentence>"}) and
 * returns LP_OK, except LP_ERR_NOMEM when not even an error response could be allocated (then
 * out->body is NULL and out->status 500). Thread-safe: requests share only immutable tables.
 */
lp_status lp_web_handle(const lp_web_request *req, lp_web_response *out);

/** Free a response's body (not the struct). NULL and static bodies are fine. */
void lp_web_response_free(lp_web_response *r);

/** Server options. Zero fields take the defaults noted (see README "Server limits"). */
typedef struct {
    const char *host;             /**< numeric IPv4/IPv6 address or "localhost" (127.0.0.1) */
    int port;                     /**< 0: an ephemeral port (read it with lp_web_server_port) */
    unsigned threads;             /**< connection (I/O) threads (0: one per online CPU) */
    unsigned workers;             /**< threads computing estimates and searches (0: one per CPU) */
    unsigned queue;               /**< requests waiting for a worker before 503 (0: 4 per worker) */
    unsigned max_connections;     /**< open connections at once (0: 1024, fewer if the file limit
                                       is lower) */
    unsigned timeout_s;           /**< a client has this long to send a whole request, counted from
                                       when it connected or got its previous answer; also the idle
                                       limit (0: 10 s; never unlimited) */
    double request_timeout_s;     /**< computing one request, queueing included (0: 20 s) */
    long long max_sim_steps;      /**< engine steps one simulation may take (0: 5,000,000) */
    long long max_search_configs; /**< configurations one search may try (0: 500,000) */
    const char *allow_hosts;      /**< more Host names to accept, comma-separated ("*": any); IP
                                       addresses and localhost are always accepted */
    const char *allow_origins;    /**< foreign origins that may POST, comma-separated
                                       ("https://app.example:443"; "*": any) */
    bool quiet;                   /**< no error log on stderr */
} lp_web_opts;

/** Fill opts with the defaults (127.0.0.1, port 8080). */
void lp_web_opts_init(lp_web_opts *opts);

/** Whether this build has the HTTP server (libmicrohttpd was found at build time). */
bool lp_web_server_available(void);

typedef struct lp_web_server lp_web_server;

/**
 * Start serving in background threads. Errors: LP_ERR_INVALID_ARG (host not an address,
 * port outside 0..65535), LP_ERR_IO (the address is in use or cannot be bound),
 * LP_ERR_UNSUPPORTED (built without libmicrohttpd), LP_ERR_NOMEM. Stop with
 * lp_web_server_stop, which also frees the server.
 */
lp_status lp_web_server_start(const lp_web_opts *opts, lp_web_server **out, lp_error *err);

/** The TCP port the server listens on (the chosen one when opts->port was 0). */
int lp_web_server_port(const lp_web_server *s);

/** Stop accepting, finish or close open connections, join the threads and free s. NULL ok. */
void lp_web_server_stop(lp_web_server *s);

#ifdef __cplusplus
}
#endif

#endif
