/*
 * hub_server.c - a local Hugging Face Hub for the Hub client's tests (see hub_server.h).
 *
 * libmicrohttpd with one internal polling thread: handlers run one at a time on that thread,
 * while the test thread reads the counters, so those are kept under a mutex. Files are sent
 * through a content-reader callback that pread()s exactly the bytes of the requested range,
 * which is also where they are counted: what the counters say is what left the server.
 */
#ifdef LP_TEST_WITH_MHD

#include "support/hub_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <microhttpd.h>

#define HS_MAX_FILES 256
#define HS_MAX_RULES 32
#define HS_NAME 512
/* Block size MHD asks the reader for. */
#define HS_BLOCK 65536
/* A fixed, Hub-looking commit hash. */
#define HS_COMMIT "5206a32e0bd3067aef1ce90f5528ade7d866253f"

typedef struct {
    char rel[HS_NAME];
    int64_t bytes;
    int64_t max_end;
} hs_counter;

typedef enum { RULE_GATE, RULE_FAIL_ONCE, RULE_IGNORE_RANGE } hs_rule_kind;

typedef struct {
    hs_rule_kind kind;
    char repo[HS_NAME];
    char arg[HS_NAME]; /* token, or file */
    int status;
    bool used;
} hs_rule;

struct lp_hub_server {
    struct MHD_Daemon *daemon;
    char root[HS_NAME];
    char url[64];
    pthread_mutex_t lock;
    hs_counter files[HS_MAX_FILES];
    int n_files;
    hs_rule rules[HS_MAX_RULES];
    int n_rules;
    int64_t requests;
};

typedef struct {
    lp_hub_server *s;
    int fd;
    int64_t start;
    int64_t length;
    hs_counter *counter;
} hs_reader;

static hs_counter *counter_for(lp_hub_server *s, const char *rel) {
    for (int i = 0; i < s->n_files; i++)
        if (strcmp(s->files[i].rel, rel) == 0)
            return &s->files[i];
    if (s->n_files == HS_MAX_FILES)
        return NULL;
    hs_counter *c = &s->files[s->n_files++];
    snprintf(c->rel, sizeof c->rel, "%s", rel);
    c->bytes = c->max_end = 0;
    return c;
}

static ssize_t read_cb(void *cls, uint64_t pos, char *buf, size_t max) {
    hs_reader *r = cls;
    if ((int64_t)pos >= r->length)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = max;
    if ((int64_t)n > r->length - (int64_t)pos)
        n = (size_t)(r->length - (int64_t)pos);
    ssize_t got = pread(r->fd, buf, n, (off_t)(r->start + (int64_t)pos));
    if (got <= 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    pthread_mutex_lock(&r->s->lock);
    if (r->counter) {
        r->counter->bytes += got;
        int64_t end = r->start + (int64_t)pos + got;
        if (end > r->counter->max_end)
            r->counter->max_end = end;
    }
    pthread_mutex_unlock(&r->s->lock);
    return got;
}

static void free_cb(void *cls) {
    hs_reader *r = cls;
    close(r->fd);
    free(r);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *error_code,
                             const char *commit, const char *location) {
    static const char body[] = "{\"error\":\"test hub\"}";
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        location ? 0 : sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    if (error_code)
        MHD_add_response_header(resp, "X-Error-Code", error_code);
    if (commit)
        MHD_add_response_header(resp, "X-Repo-Commit", commit);
    if (location)
        MHD_add_response_header(resp, "Location", location);
    enum MHD_Result ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static hs_rule *find_rule(lp_hub_server *s, hs_rule_kind kind, const char *repo, const char *file) {
    for (int i = 0; i < s->n_rules; i++) {
        hs_rule *r = &s->rules[i];
        if (r->kind == kind && strcmp(r->repo, repo) == 0 &&
            (kind != RULE_FAIL_ONCE || (strcmp(r->arg, file) == 0 && !r->used)))
            return r;
    }
    return NULL;
}

/* /cdn/ORG/NAME/FILE: the file, or the requested range of it. */
static enum MHD_Result serve_file(lp_hub_server *s, struct MHD_Connection *c, const char *rel) {
    char path[2 * HS_NAME], repo[HS_NAME];
    snprintf(path, sizeof path, "%s/%s", s->root, rel);
    const char *second = strchr(rel, '/');
    second = second ? strchr(second + 1, '/') : NULL;
    snprintf(repo, sizeof repo, "%.*s", second ? (int)(second - rel) : 0, rel);
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return reply(c, MHD_HTTP_NOT_FOUND, "EntryNotFound", NULL, NULL);
    }
    int64_t size = (int64_t)st.st_size, first = 0, last = size - 1;
    bool partial = false;
    const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Range");
    pthread_mutex_lock(&s->lock);
    bool ignore = find_rule(s, RULE_IGNORE_RANGE, repo, NULL) != NULL;
    pthread_mutex_unlock(&s->lock);
    if (range && !ignore) {
        long long a = -1, b = -1;
        int k = sscanf(range, "bytes=%lld-%lld", &a, &b);
        if (k < 1 || a < 0 || a >= size) {
            close(fd);
            char cr[64];
            snprintf(cr, sizeof cr, "bytes */%" PRId64, size);
            struct MHD_Response *resp =
                MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
            MHD_add_response_header(resp, "Content-Range", cr);
            enum MHD_Result ret = MHD_queue_response(c, 416, resp);
            MHD_destroy_response(resp);
            return ret;
        }
        first = a;
        if (k == 2 && b < last)
            last = b;
        partial = true;
    }
    hs_reader *r = malloc(sizeof *r);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    pthread_mutex_lock(&s->lock);
    *r = (hs_reader){s, fd, first, last - first + 1, counter_for(s, rel)};
    pthread_mutex_unlock(&s->lock);
    struct MHD_Response *resp = MHD_create_response_from_callback((uint64_t)(last - first + 1),
                                                                  HS_BLOCK, read_cb, r, free_cb);
    if (!resp) {
        free_cb(r);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Accept-Ranges", "bytes");
    if (partial) {
        char cr[96];
        snprintf(cr, sizeof cr, "bytes %" PRId64 "-%" PRId64 "/%" PRId64, first, last, size);
        MHD_add_response_header(resp, "Content-Range", cr);
    }
    enum MHD_Result ret =
        MHD_queue_response(c, partial ? MHD_HTTP_PARTIAL_CONTENT : MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* /ORG/NAME/resolve/REV/FILE */
static enum MHD_Result resolve(lp_hub_server *s, struct MHD_Connection *c, const char *url) {
    char org[HS_NAME], name[HS_NAME], rev[HS_NAME], file[HS_NAME], repo[2 * HS_NAME + 2];
    const char *p = url + 1;
    const char *a = strchr(p, '/');
    const char *b = a ? strchr(a + 1, '/') : NULL;
    if (!a || !b || strncmp(b, "/resolve/", 9) != 0)
        return reply(c, MHD_HTTP_NOT_FOUND, NULL, NULL, NULL);
    const char *r = b + 9;
    const char *f = strchr(r, '/');
    if (!f)
        return reply(c, MHD_HTTP_NOT_FOUND, NULL, NULL, NULL);
    snprintf(org, sizeof org, "%.*s", (int)(a - p), p);
    snprintf(name, sizeof name, "%.*s", (int)(b - a - 1), a + 1);
    snprintf(rev, sizeof rev, "%.*s", (int)(f - r), r);
    snprintf(file, sizeof file, "%s", f + 1);
    snprintf(repo, sizeof repo, "%s/%s", org, name);

    char dir[3 * HS_NAME];
    snprintf(dir, sizeof dir, "%s/%s", s->root, repo);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return reply(c, MHD_HTTP_NOT_FOUND, "RepoNotFound", NULL, NULL);

    pthread_mutex_lock(&s->lock);
    hs_rule *gate = find_rule(s, RULE_GATE, repo, NULL);
    char expected[HS_NAME + 8] = "";
    if (gate)
        snprintf(expected, sizeof expected, "Bearer %s", gate->arg);
    hs_rule *fail = find_rule(s, RULE_FAIL_ONCE, repo, file);
    int fail_status = 0;
    if (fail) {
        fail->used = true;
        fail_status = fail->status;
    }
    pthread_mutex_unlock(&s->lock);

    if (gate) {
        const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
        if (!auth || strcmp(auth, expected) != 0)
            return reply(c, MHD_HTTP_UNAUTHORIZED, "GatedRepo", NULL, NULL);
    }
    if (fail_status)
        return reply(c, (unsigned)fail_status, NULL, NULL, NULL);
    if (strcmp(rev, "main") != 0 && strcmp(rev, HS_COMMIT) != 0)
        return reply(c, MHD_HTTP_NOT_FOUND, "RevisionNotFound", NULL, NULL);
    char path[4 * HS_NAME];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return reply(c, MHD_HTTP_NOT_FOUND, "EntryNotFound", HS_COMMIT, NULL);
    char location[4 * HS_NAME];
    snprintf(location, sizeof location, "/cdn/%s/%s", repo, file);
    return reply(c, MHD_HTTP_FOUND, NULL, HS_COMMIT, location);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **req_cls) {
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    /* The first call only announces the request's headers; answer on the second. */
    static int seen;
    if (*req_cls != &seen) {
        *req_cls = &seen;
        return MHD_YES;
    }
    lp_hub_server *s = cls;
    pthread_mutex_lock(&s->lock);
    s->requests++;
    pthread_mutex_unlock(&s->lock);
    if (strcmp(method, "GET") != 0)
        return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, NULL, NULL);
    if (strstr(url, ".."))
        return reply(c, MHD_HTTP_BAD_REQUEST, NULL, NULL, NULL);
    if (strncmp(url, "/cdn/", 5) == 0)
        return serve_file(s, c, url + 5);
    return resolve(s, c, url);
}

lp_hub_server *lp_hub_server_start(const char *root) {
    lp_hub_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    snprintf(s->root, sizeof s->root, "%s", root);
    pthread_mutex_init(&s->lock, NULL);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, s,
                                 MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
                                 MHD_OPTION_END);
    if (!s->daemon) {
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%u", info ? (unsigned)info->port : 0u);
    return s;
}

void lp_hub_server_stop(lp_hub_server *s) {
    if (!s)
        return;
    MHD_stop_daemon(s->daemon);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

const char *lp_hub_server_url(const lp_hub_server *s) {
    return s->url;
}

const char *lp_hub_server_commit(const lp_hub_server *s) {
    (void)s;
    return HS_COMMIT;
}

static void add_rule(lp_hub_server *s, hs_rule_kind kind, const char *repo, const char *arg,
                     int status) {
    pthread_mutex_lock(&s->lock);
    if (s->n_rules < HS_MAX_RULES) {
        hs_rule *r = &s->rules[s->n_rules++];
        r->kind = kind;
        snprintf(r->repo, sizeof r->repo, "%s", repo);
        snprintf(r->arg, sizeof r->arg, "%s", arg ? arg : "");
        r->status = status;
        r->used = false;
    }
    pthread_mutex_unlock(&s->lock);
}

void lp_hub_server_gate(lp_hub_server *s, const char *repo, const char *token) {
    add_rule(s, RULE_GATE, repo, token, 0);
}

void lp_hub_server_fail_once(lp_hub_server *s, const char *repo, const char *file, int status) {
    add_rule(s, RULE_FAIL_ONCE, repo, file, status);
}

void lp_hub_server_ignore_range(lp_hub_server *s, const char *repo) {
    add_rule(s, RULE_IGNORE_RANGE, repo, NULL, 0);
}

int64_t lp_hub_server_bytes(lp_hub_server *s, const char *rel, int64_t *max_end) {
    int64_t bytes = 0, end = 0;
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->n_files; i++)
        if (strcmp(s->files[i].rel, rel) == 0) {
            bytes = s->files[i].bytes;
            end = s->files[i].max_end;
        }
    pthread_mutex_unlock(&s->lock);
    if (max_end)
        *max_end = end;
    return bytes;
}

int64_t lp_hub_server_total_bytes(lp_hub_server *s) {
    int64_t total = 0;
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->n_files; i++)
        total += s->files[i].bytes;
    pthread_mutex_unlock(&s->lock);
    return total;
}

int64_t lp_hub_server_requests(lp_hub_server *s) {
    pthread_mutex_lock(&s->lock);
    int64_t n = s->requests;
    pthread_mutex_unlock(&s->lock);
    return n;
}

#else
/* Without libmicrohttpd there is no test Hub; test_hub skips what needs it. */
typedef int lp_hub_server_unavailable;
#endif
