/*
 * pool.c - the workers of `llmplan serve` that compute estimates and searches, and their
 * bounded queue.
 *
 * The connection threads of libmicrohttpd must stay free for /health, the page and small plans,
 * so every request that can take long is handed here: a fixed number of workers take jobs
 * from a queue of fixed length; a job that finds the queue full is refused at once (503 and a
 * Retry-After estimated from recent job times) instead of piling up. Each job runs under a
 * budget (llmplan/budget.h): a deadline counted from its arrival (queueing included), the
 * connection's hang-up flag, the server's caps on simulation and search size, and one thread.
 * Workers run at a lower priority than the connection threads, so that a core busy with a
 * simulation still answers /health at once.
 */
#define _GNU_SOURCE /* syscall(SYS_gettid) for the per-thread priority */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "web/server_internal.h"

/* Nice value of the workers (the connection threads keep the process's, usually 0): enough
 * for the scheduler to run a woken connection thread before a busy worker. */
#define WORKER_NICE 10
/* Weight of the newest job in the running mean of job times (for Retry-After). */
#define JOB_TIME_WEIGHT 0.2
/* Retry-After bounds, seconds. */
#define RETRY_AFTER_MIN 1u
#define RETRY_AFTER_MAX 60u

struct lp_web_pool {
    lp_web_pool_limits limits;
    char owner[256]; /* the budget's owner, named in limit messages */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    lp_web_job *head, *tail; /* waiting */
    unsigned queued, reserved, busy;
    bool stopping;
    double mean_job_s;
    struct worker *workers;
    unsigned n_started;
};

/* One worker thread and the job it computes (NULL: none). */
typedef struct worker {
    lp_web_pool *pool;
    pthread_t thread;
    lp_web_job *running;
} worker;

static void set_retry_after(lp_web_job *job, unsigned s) {
    snprintf(job->retry_after, sizeof job->retry_after, "%u", s);
}

/* After a job that a budget stopped: the status that says which limit. */
static void apply_trip(lp_web_job *job) {
    int trip = __atomic_load_n(&job->budget.tripped, __ATOMIC_RELAXED);
    if (trip == LP_BUDGET_NONE)
        return;
    int status = trip == LP_BUDGET_DEADLINE || trip == LP_BUDGET_CANCELLED ? 503 : 413;
    if (job->resp.status >= 400 && job->resp.body) {
        job->resp.status = status; /* the handler's error already says what stopped */
        return;
    }
    lp_web_response_free(&job->resp);
    lp_web_error_response(&job->resp, status,
                          trip == LP_BUDGET_DEADLINE
                              ? "the request took longer than this server's time limit "
                                "(--request-timeout): ask for less work"
                              : "the request needs more work than this server does for one "
                                "request (--max-sim-steps, --max-search-configs)");
}

static void run(lp_web_pool *p, lp_web_job *job, bool stopping) {
    memset(&job->resp, 0, sizeof job->resp);
    const double now = lp_budget_now();
    const double deadline = job->arrival_s + p->limits.request_timeout_s;
    if (stopping) {
        lp_web_error_response(&job->resp, 503, "the server is stopping");
        return;
    }
    if (__atomic_load_n(job->cancel, __ATOMIC_RELAXED)) {
        /* nobody will read it: the client went away while the job waited */
        lp_web_error_response(&job->resp, 503, "cancelled: the client closed the connection");
        return;
    }
    if (now >= deadline) {
        char msg[256];
        snprintf(msg, sizeof msg,
                 "the server is busy: this request waited %.1f s for a worker, its whole time "
                 "limit (--request-timeout); retry later",
                 now - job->arrival_s);
        lp_web_error_response(&job->resp, 503, msg);
        set_retry_after(job, RETRY_AFTER_MIN);
        return;
    }
    lp_budget *b = &job->budget;
    memset(b, 0, sizeof *b);
    b->deadline_s = deadline;
    b->cancel = job->cancel;
    b->max_sim_steps = p->limits.max_sim_steps;
    b->max_search_configs = p->limits.max_search_configs;
    b->max_threads = 1; /* the pool's workers are the parallelism */
    b->owner = p->owner;
    lp_budget_enter(b);
    if (lp_web_handle(&job->req, &job->resp) != LP_OK || !job->resp.body) {
        lp_web_response_free(&job->resp);
        lp_web_error_response(&job->resp, 500, "out of memory");
    }
    lp_budget_enter(NULL);
    apply_trip(job);
}

static void *worker_main(void *arg) {
    worker *w = arg;
    lp_web_pool *p = w->pool;
    /* Linux: setpriority on a thread id sets that thread's nice value alone */
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), WORKER_NICE);
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->head && (!p->stopping || p->reserved > 0))
            pthread_cond_wait(&p->wake, &p->lock);
        lp_web_job *job = p->head;
        if (!job)
            break; /* stopping, and nothing waits or is about to */
        p->head = job->next;
        if (!p->head)
            p->tail = NULL;
        p->queued--;
        p->busy++;
        w->running = job;
        bool stopping = p->stopping;
        pthread_mutex_unlock(&p->lock);

        double t0 = lp_budget_now();
        job->retry_after[0] = '\0';
        run(p, job, stopping);
        double took = lp_budget_now() - t0;

        pthread_mutex_lock(&p->lock);
        p->busy--;
        w->running = NULL;
        p->mean_job_s += JOB_TIME_WEIGHT * (took - p->mean_job_s);
        pthread_mutex_unlock(&p->lock);
        job->done(job, job->done_ctx); /* the last touch: job may be freed from here on */
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

lp_status lp_web_pool_start(const lp_web_pool_limits *limits, lp_web_pool **out, lp_error *err) {
    *out = NULL;
    lp_web_pool *p = calloc(1, sizeof *p);
    if (p)
        p->workers = calloc(limits->workers, sizeof *p->workers);
    if (!p || !p->workers) {
        free(p);
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    }
    p->limits = *limits;
    p->mean_job_s = 1.0;
    snprintf(p->owner, sizeof p->owner,
             "a limit of this server: --request-timeout %g s, --max-sim-steps %lld, "
             "--max-search-configs %lld",
             limits->request_timeout_s, limits->max_sim_steps, limits->max_search_configs);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    for (unsigned i = 0; i < limits->workers; i++) {
        p->workers[i].pool = p;
        int e = pthread_create(&p->workers[i].thread, NULL, worker_main, &p->workers[i]);
        if (e != 0) {
            lp_web_pool_stop(p);
            lp_web_pool_free(p);
            return lp_error_set(err, LP_ERR_IO, "cannot start worker thread %u of %u: %s", i + 1,
                                limits->workers, strerror(e));
        }
        p->n_started++;
    }
    *out = p;
    return LP_OK;
}

bool lp_web_pool_reserve(lp_web_pool *p, unsigned *retry_after_s) {
    pthread_mutex_lock(&p->lock);
    if (p->stopping || p->queued + p->reserved >= p->limits.queue) {
        double wait = p->mean_job_s * (double)(p->queued + p->busy + 1) /
                      (double)(p->limits.workers ? p->limits.workers : 1);
        pthread_mutex_unlock(&p->lock);
        *retry_after_s = wait < RETRY_AFTER_MIN   ? RETRY_AFTER_MIN
                         : wait > RETRY_AFTER_MAX ? RETRY_AFTER_MAX
                                                  : (unsigned)ceil(wait);
        return false;
    }
    p->reserved++;
    pthread_mutex_unlock(&p->lock);
    return true;
}

void lp_web_pool_submit(lp_web_pool *p, lp_web_job *job) {
    pthread_mutex_lock(&p->lock);
    job->next = NULL;
    if (p->tail)
        p->tail->next = job;
    else
        p->head = job;
    p->tail = job;
    p->reserved--;
    p->queued++;
    if (p->stopping)
        pthread_cond_broadcast(&p->wake); /* the idle ones may now leave */
    else
        pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
}

void lp_web_pool_stats(lp_web_pool *p, unsigned *busy, unsigned *queued) {
    pthread_mutex_lock(&p->lock);
    *busy = p->busy;
    *queued = p->queued;
    pthread_mutex_unlock(&p->lock);
}

void lp_web_pool_stop(lp_web_pool *p) {
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    for (unsigned i = 0; i < p->n_started; i++)
        if (p->workers[i].running)
            __atomic_store_n(p->workers[i].running->cancel, 1, __ATOMIC_RELAXED);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->n_started; i++)
        pthread_join(p->workers[i].thread, NULL);
    p->n_started = 0;
}

void lp_web_pool_free(lp_web_pool *p) {
    if (!p)
        return;
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p->workers);
    free(p);
}
