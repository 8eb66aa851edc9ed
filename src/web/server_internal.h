/*
 * server_internal.h - the parts of `llmplan serve` behind server.c: the work pool that computes
 * estimates and searches off the connection threads (pool.c), and the watchdog that holds every
 * connection to its deadlines and notices clients that went away (watchdog.c). Private to
 * src/web; neither knows libmicrohttpd.
 */
#ifndef LP_WEB_SERVER_INTERNAL_H
#define LP_WEB_SERVER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "llmplan/budget.h"
#include "llmplan/web.h"

/* ---- answers (respond.c) ---------------------------------------------------------------- */

/** Fill out with {"error": message} (JSON-escaped) and status; a static fallback body when out
 *  of memory, so out->body is never NULL. */
void lp_web_error_response(lp_web_response *out, int status, const char *message);

/* ---- the work pool (pool.c) ------------------------------------------------------------- */

/** One request computed by a worker. The submitter owns it; the pool borrows it from
 *  lp_web_pool_submit until it calls done. */
typedef struct lp_web_job {
    lp_web_request req;   /**< the request (its strings must outlive the job) */
    double arrival_s;     /**< lp_budget_now() when the request was complete */
    int *cancel;          /**< raised (nonzero) when the client went away; the pool raises it
                               too when it stops */
    lp_web_response resp; /**< the answer, filled before done is called */
    char retry_after[16]; /**< a Retry-After value to send with resp, or "" */
    /** Called once on a worker thread when resp is ready: the job may be freed from then on
     *  (the pool does not touch it after the call). */
    void (*done)(struct lp_web_job *job, void *ctx);
    void *done_ctx;
    /* the pool's */
    lp_budget budget;
    struct lp_web_job *next;
} lp_web_job;

typedef struct lp_web_pool lp_web_pool;

/** Limits of the pool (all set; see lp_web_opts for their meaning). */
typedef struct {
    unsigned workers, queue;
    double request_timeout_s;
    long long max_sim_steps, max_search_configs;
} lp_web_pool_limits;

/** Start the workers. LP_ERR_NOMEM / LP_ERR_IO (a thread could not start) with a message. */
lp_status lp_web_pool_start(const lp_web_pool_limits *limits, lp_web_pool **out, lp_error *err);

/**
 * Reserve a place in the queue for one job. False when the queue is full or the pool is
 * stopping: *retry_after_s then says in how many seconds a retry is likely to find room.
 * A reservation must be followed by lp_web_pool_submit.
 */
bool lp_web_pool_reserve(lp_web_pool *p, unsigned *retry_after_s);

/** Queue a job in the place reserved for it. */
void lp_web_pool_submit(lp_web_pool *p, lp_web_job *job);

/** Jobs being computed and waiting, right now. */
void lp_web_pool_stats(lp_web_pool *p, unsigned *busy, unsigned *queued);

/** Refuse new jobs, cancel what runs, answer what waits with 503 (every job's done is called)
 *  and join the workers. The pool stays valid (reservations fail) until lp_web_pool_free. */
void lp_web_pool_stop(lp_web_pool *p);

/** Free a stopped pool. NULL ok. */
void lp_web_pool_free(lp_web_pool *p);

/* ---- the connection watchdog (watchdog.c) ----------------------------------------------- */

/** Where a connection is: its deadline depends on it. */
typedef enum {
    LP_CONN_READING, /**< waiting for or reading a request: must be complete within timeout */
    LP_CONN_WORKING, /**< its request is computed: the watchdog looks for a hang-up */
    LP_CONN_SENDING  /**< its answer is being sent: must be gone within timeout */
} lp_conn_phase;

/** One open connection. */
typedef struct lp_web_conn {
    int fd;
    lp_conn_phase phase;
    double since; /**< when the phase began (lp_budget_now) */
    int cancel;   /**< raised when the client hung up while its request was computed */
    bool shut;    /**< the watchdog shut the socket down */
    struct lp_web_conn *prev, *next;
} lp_web_conn;

typedef struct lp_web_watchdog lp_web_watchdog;

/** Start watching with this per-phase time limit in seconds. */
lp_status lp_web_watchdog_start(double timeout_s, lp_web_watchdog **out, lp_error *err);

/** A new connection on fd, in phase READING; NULL when out of memory. */
lp_web_conn *lp_web_watchdog_add(lp_web_watchdog *w, int fd);

/** The connection closed (its fd is still open: it is closed after this returns). */
void lp_web_watchdog_remove(lp_web_watchdog *w, lp_web_conn *c);

/** Move a connection to a phase; the phase's clock starts now. */
void lp_web_watchdog_phase(lp_web_watchdog *w, lp_web_conn *c, lp_conn_phase phase);

/** Open connections, and how many the watchdog closed for being too slow so far. */
void lp_web_watchdog_stats(lp_web_watchdog *w, unsigned *open, unsigned long *closed_slow);

/** Stop the thread and free what it watches (the connections are not touched). */
void lp_web_watchdog_stop(lp_web_watchdog *w);

#endif
