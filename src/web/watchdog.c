/*
 * watchdog.c - one thread that holds every connection of `llmplan serve` to absolute deadlines
 * and notices clients that hang up while their request is computed.
 *
 * libmicrohttpd's own connection timeout is an idle timeout: it restarts on every byte, so a
 * client that sends one header byte every few seconds keeps a connection (and eventually all
 * of them) forever. Here a connection gets `timeout` seconds to deliver a whole request,
 * counted from when it opened or got its previous answer, and `timeout` seconds to take an
 * answer; past that its socket is shut down (shutdown(2), not close: the descriptor stays
 * libmicrohttpd's, which then sees the end of the stream and cleans up). While a request is
 * computed, libmicrohttpd does not watch the socket (the connection is suspended), so the
 * watchdog peeks at it: an end of stream or an error means the client is gone, and the
 * request's cancel flag stops the computation (llmplan/budget.h).
 *
 * A connection is removed under the lock before libmicrohttpd closes its descriptor, so the
 * watchdog never touches a descriptor number that was reused.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "web/server_internal.h"

/* How often the watchdog looks, in ms: the resolution of the deadlines and of noticing a
 * hang-up (a computation stops within this plus its own check interval). */
#define TICK_MS 50

struct lp_web_watchdog {
    double timeout_s;
    pthread_mutex_t lock;
    pthread_cond_t stop_cond;
    bool stopping;
    lp_web_conn *head;
    unsigned open;
    unsigned long closed_slow;
    pthread_t thread;
};

/* The client closed its side or the connection failed. */
static bool hung_up(int fd) {
    char byte;
    ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0)
        return false; /* a pipelined next request: still there */
    if (n == 0)
        return true;
    return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

static void sweep(lp_web_watchdog *w) {
    const double now = lp_budget_now();
    for (lp_web_conn *c = w->head; c; c = c->next) {
        if (c->phase == LP_CONN_WORKING) {
            if (!__atomic_load_n(&c->cancel, __ATOMIC_RELAXED) && hung_up(c->fd))
                __atomic_store_n(&c->cancel, 1, __ATOMIC_RELAXED);
        } else if (!c->shut && now - c->since > w->timeout_s) {
            shutdown(c->fd, SHUT_RDWR);
            c->shut = true;
            w->closed_slow++;
        }
    }
}

static void *watch_main(void *arg) {
    lp_web_watchdog *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += TICK_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&w->stop_cond, &w->lock, &until);
        if (!w->stopping)
            sweep(w);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

lp_status lp_web_watchdog_start(double timeout_s, lp_web_watchdog **out, lp_error *err) {
    *out = NULL;
    lp_web_watchdog *w = calloc(1, sizeof *w);
    if (!w)
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    w->timeout_s = timeout_s;
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w->stop_cond, &attr);
    pthread_condattr_destroy(&attr);
    int e = pthread_create(&w->thread, NULL, watch_main, w);
    if (e != 0) {
        pthread_cond_destroy(&w->stop_cond);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return lp_error_set(err, LP_ERR_IO, "cannot start the connection watchdog: %s",
                            strerror(e));
    }
    *out = w;
    return LP_OK;
}

lp_web_conn *lp_web_watchdog_add(lp_web_watchdog *w, int fd) {
    lp_web_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->fd = fd;
    c->phase = LP_CONN_READING;
    c->since = lp_budget_now();
    pthread_mutex_lock(&w->lock);
    c->next = w->head;
    if (w->head)
        w->head->prev = c;
    w->head = c;
    w->open++;
    pthread_mutex_unlock(&w->lock);
    return c;
}

void lp_web_watchdog_remove(lp_web_watchdog *w, lp_web_conn *c) {
    if (!c)
        return;
    pthread_mutex_lock(&w->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        w->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    w->open--;
    pthread_mutex_unlock(&w->lock);
    free(c);
}

void lp_web_watchdog_phase(lp_web_watchdog *w, lp_web_conn *c, lp_conn_phase phase) {
    if (!c)
        return;
    pthread_mutex_lock(&w->lock);
    c->phase = phase;
    c->since = lp_budget_now();
    pthread_mutex_unlock(&w->lock);
}

void lp_web_watchdog_stats(lp_web_watchdog *w, unsigned *open, unsigned long *closed_slow) {
    pthread_mutex_lock(&w->lock);
    *open = w->open;
    *closed_slow = w->closed_slow;
    pthread_mutex_unlock(&w->lock);
}

void lp_web_watchdog_stop(lp_web_watchdog *w) {
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_signal(&w->stop_cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    for (lp_web_conn *c = w->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    pthread_cond_destroy(&w->stop_cond);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
