/*
 * hub.c - the Hugging Face Hub client: config.json and exact parameter counts of a model
 * that is neither on disk nor in the catalog, without downloading its weights.
 *
 * What is fetched, as huggingface_hub's hf_hub_download addresses it
 * ({endpoint}/{org}/{name}/resolve/{revision}/{file}, redirects followed, because the Hub
 * answers with a redirect to its CDN):
 *   config.json                   - required; its response carries X-Repo-Commit, the commit
 *                                   every later file is fetched at, so they all agree;
 *   generation_config.json        - optional (vLLM reads it at start-up), a 404 is fine;
 *   model.safetensors.index.json  - the shard list; on 404 the single model.safetensors;
 *   every shard's header only     - `Range: bytes=0-7` gives the header length N, then
 *                                   `Range: bytes=8-(8+N-1)` the JSON header (model_configs.md
 *                                   §6.1: the Hub's own safetensors metadata API does this).
 * A server that answers a range request with 200 (the whole file) is cut off at its headers:
 * weights are never downloaded. Nothing past byte 8 + N of a shard is ever asked for.
 *
 * Transfers are bounded (connect 10 s, 60 s per request, a low-speed floor) and retried at most
 * twice, with backoff, after a 5xx answer or a timeout. Errors are one sentence each that say
 * what to do: gated repositories (401/403), 404 with the closest catalog ids, unreachable hosts
 * (HF_HUB_OFFLINE, HF_ENDPOINT), malformed JSON naming the URL.
 *
 * Deliberately not done here: the cache files and the environment (hub_cache.c), parsing
 * config.json or safetensors headers (config.c, safetensors.c), parallel transfers.
 */
#include "common/order.h"
#include "common/grow.h"
#include "hub_internal.h"

#include "llmplan/budget.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#ifdef LP_HAVE_CURL
#include "model/curl_dl.h"
#include <jansson.h>
#include <pthread.h>
#endif

#define HUB_NO_CURL_MESSAGE                                                                        \
    "llmplan was built without libcurl: the Hugging Face Hub is not reachable; use a local "       \
    "config.json, the HF cache or a catalog id"

/* The progress hook (lp_hub_set_progress): process-wide, set by a front end that shows it. */
static lp_hub_progress_fn g_progress;
static void *g_progress_ctx;

void lp_hub_set_progress(lp_hub_progress_fn fn, void *ctx) {
    g_progress = fn;
    g_progress_ctx = ctx;
}

bool lp_hub_available(void) {
#ifdef LP_HAVE_CURL
    return true;
#else
    return false;
#endif
}

/* "org/name" with the characters the Hub allows in repository ids. */
static bool valid_repo_id(const char *id) {
    const char *slash = strchr(id, '/');
    if (!slash || slash == id || slash[1] == '\0' || strchr(slash + 1, '/'))
        return false;
    if (strlen(id) > 96 * 2 || id[0] == '.' || strstr(id, ".."))
        return false;
    for (const char *p = id; *p; p++)
        if (p != slash && !isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
            return false;
    return true;
}

/* A revision: a branch, tag, "refs/pr/N" or a commit hash; no spaces, no "..". */
static bool valid_revision(const char *rev) {
    if (!*rev || strlen(rev) >= 128 || rev[0] == '/' || strstr(rev, ".."))
        return false;
    for (const char *p = rev; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("-_./", *p))
            return false;
    return true;
}

/* Answer from the cache only (HF_HUB_OFFLINE): the snapshot's files, counted as source.c does. */
static lp_status load_offline(const char *id, const char *revision, const char *cache,
                              const char *endpoint, const lp_model_load_opts *opts, lp_model *out,
                              lp_error *err) {
    char snapshot[LP_HUB_PATH_MAX];
    bool found = false;
    lp_status st = lp_hub_cache_lookup(cache, id, revision, snapshot, sizeof snapshot, &found, err);
    if (st != LP_OK)
        return st;
    if (!found)
        return lp_error_set(err, LP_ERR_NOT_FOUND,
                            "HF_HUB_OFFLINE is set and the Hugging Face cache (%s) has no %s at "
                            "revision \"%s\": unset HF_HUB_OFFLINE to fetch its config.json from "
                            "%s, or give a local config.json or a catalog id",
                            cache, id, revision, endpoint);
    lp_model_load_opts dir_opts = {0};
    dir_opts.no_safetensors = opts && opts->no_safetensors;
    st = lp_model_load(snapshot, &dir_opts, out, err);
    if (st != LP_OK)
        return st;
    snprintf(out->id, sizeof out->id, "%s", id);
    snprintf(out->source, sizeof out->source, "hf-cache");
    return LP_OK;
}

#ifdef LP_HAVE_CURL

/* ---- limits and policy (named so a reader can find and question them) --------------------- */

/* Bounded transfers: a dead host or a stalled CDN must not hang a planning run. */
#define HUB_CONNECT_TIMEOUT_S 10L
#define HUB_TOTAL_TIMEOUT_S 60L
/* The budget of one model load, all requests together: a repository with thousands of shards
 * or 100 MB headers must not download gigabytes or run for hours to count parameters. A real
 * checkpoint's headers are at most a few MB (DeepSeek-V3: 163 shards, 8.8 MB). Changed with
 * LLMPLAN_HUB_MAX_BYTES and LLMPLAN_HUB_TIMEOUT_S. */
#define HUB_LOAD_MAX_BYTES (256LL << 20)
#define HUB_LOAD_MAX_S 120.0
/* Abort when slower than 1 KiB/s for 20 s (config files are KBs, headers up to a few MB). */
#define HUB_LOW_SPEED_BYTES 1024L
#define HUB_LOW_SPEED_TIME_S 20L
#define HUB_MAX_REDIRECTS 10L
/* At most 2 retries after a 5xx or a timeout; waits 0.5 s, then 1 s. */
#define HUB_MAX_RETRIES 2
#define HUB_BACKOFF_MS 500L
/* config.json / generation_config.json are a few KB; refuse anything absurd. */
#define HUB_CONFIG_MAX_BYTES (16u << 20)
/* model.safetensors.index.json of the largest models is a few MB (safetensors.c uses 1e8). */
#define HUB_INDEX_MAX_BYTES 100000000u
/* safetensors MAX_HEADER_SIZE (src/tensor.rs), as in safetensors.c. */
#define HUB_ST_MAX_HEADER 100000000ULL
/* Size of the little-endian u64 header length that starts every safetensors file. */
#define HUB_ST_PREFIX 8
/* An index naming more shards than this is not a real checkpoint (DeepSeek-V3 has 163). */
#define HUB_MAX_SHARDS 100000
/* Error bodies are kept only for messages. */
#define HUB_ERROR_BODY_MAX 2048u
/* Closest catalog ids named in a 404 message. */
#define HUB_SUGGESTIONS 3

#define HUB_INDEX_NAME "model.safetensors.index.json"
#define HUB_SINGLE_NAME "model.safetensors"
#define HUB_USER_AGENT "llmplan (+libcurl)"

static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;
static CURLcode g_curl_init_rc = CURLE_OK;

static void curl_init_once(void) {
    g_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct {
    CURL *curl;
    struct curl_slist *headers;
    const char *id;
    const char *endpoint;
    bool have_token;
    lp_hub_fetch_info *info;
    char errbuf[CURL_ERROR_SIZE];
    /* the whole load's budget: bytes received and time since it started */
    int64_t max_bytes;
    double max_s, started;
} hub_session;

typedef struct {
    /* request */
    char url[2048];
    int64_t range_first; /* -1: no Range header */
    int64_t range_last;
    size_t max_bytes;
    /* response (status and error headers are those of the last response of the chain) */
    long status;
    char commit[128];    /* X-Repo-Commit of any response in the chain */
    char error_code[64]; /* X-Error-Code */
    char content_range[128];
    bool range_ignored; /* 200 to a range request: cut off before its body */
    bool too_large;     /* more body than asked for */
    char *body;
    size_t len, cap;
} hub_response;

static void response_reset(hub_response *r) {
    r->status = 0;
    r->commit[0] = r->error_code[0] = r->content_range[0] = '\0';
    r->range_ignored = r->too_large = false;
    r->len = 0;
}

static void response_free(hub_response *r) {
    free(r->body);
    r->body = NULL;
    r->len = r->cap = 0;
}

/* Copy a header value (after "Name:") trimmed into out. */
static void header_value(const char *line, size_t len, size_t name_len, char *out, size_t size) {
    const char *v = line + name_len;
    size_t n = len - name_len;
    while (n > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)v[n - 1]))
        n--;
    if (n >= size)
        n = size - 1;
    memcpy(out, v, n);
    out[n] = '\0';
}

static bool header_is(const char *line, size_t len, const char *name) {
    size_t n = strlen(name);
    return len > n && strncasecmp(line, name, n) == 0 && line[n] == ':';
}

static size_t on_header(char *line, size_t size, size_t nitems, void *userdata) {
    hub_response *r = userdata;
    size_t len = size * nitems;
    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        /* A new response of the redirect chain: its own status and error headers. */
        const char *sp = memchr(line, ' ', len);
        r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        r->error_code[0] = r->content_range[0] = '\0';
        return len;
    }
    if (len <= 2 && (line[0] == '\r' || line[0] == '\n')) {
        /* End of one response's headers. A full answer to a range request would be the
         * weights: stop here, before any of its body is read. */
        if (r->range_first >= 0 && r->status == 200) {
            r->range_ignored = true;
            return 0;
        }
        return len;
    }
    if (header_is(line, len, "X-Repo-Commit"))
        header_value(line, len, strlen("X-Repo-Commit") + 1, r->commit, sizeof r->commit);
    else if (header_is(line, len, "X-Error-Code"))
        header_value(line, len, strlen("X-Error-Code") + 1, r->error_code, sizeof r->error_code);
    else if (header_is(line, len, "Content-Range"))
        header_value(line, len, strlen("Content-Range") + 1, r->content_range,
                     sizeof r->content_range);
    return len;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata) {
    hub_response *r = userdata;
    size_t n = size * nmemb;
    bool ok_status = r->status >= 200 && r->status < 300;
    size_t limit = r->max_bytes;
    if (ok_status && r->range_first >= 0)
        limit = (size_t)(r->range_last - r->range_first + 1);
    if (!ok_status)
        limit = HUB_ERROR_BODY_MAX;
    if (r->len + n > limit) {
        if (!ok_status) { /* keep the start of an error body, drop the rest */
            n = limit - r->len;
            if (n == 0)
                return size * nmemb;
        } else {
            r->too_large = true;
            return 0;
        }
    }
    char *grown = lp_grow(r->body, &r->cap, r->len + n + 1, 1, 4096);
    if (!grown)
        return 0;
    r->body = grown;
    memcpy(r->body + r->len, data, n);
    r->len += n;
    r->body[r->len] = '\0';
    return size * nmemb;
}

static void backoff(int attempt) {
    long ms = HUB_BACKOFF_MS << attempt;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static bool transient(CURLcode rc) {
    return rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR ||
           rc == CURLE_SEND_ERROR || rc == CURLE_PARTIAL_FILE;
}

static const char *offline_advice(void) {
    return "check the network or proxy (https_proxy), point HF_ENDPOINT at a mirror, or set "
           "HF_HUB_OFFLINE=1 to use only the local cache and catalog";
}

/*
 * LP_ERR_LIMIT when the load has received its byte budget (or would with `more` bytes) or used
 * its time, naming the limit and the ways around it.
 */
static lp_status over_budget(hub_session *s, int64_t more, const char *url, lp_error *err) {
    if (s->info->body_bytes + more > s->max_bytes)
        return lp_error_set(err, LP_ERR_LIMIT,
                            "%s: reading %s would take the bytes received from the Hub past "
                            "%.0f MB for one model (%" PRId64 " shards read so far): plan from "
                            "config.json alone with --no-safetensors, or raise "
                            "LLMPLAN_HUB_MAX_BYTES",
                            s->id, url, (double)s->max_bytes / 1e6, s->info->shards);
    if (lp_budget_now() - s->started > s->max_s)
        return lp_error_set(
            err, LP_ERR_LIMIT,
            "%s: fetching from the Hub took more than %.0f s for one model (%" PRId64
            " shards read so far): plan from config.json alone with "
            "--no-safetensors, or raise LLMPLAN_HUB_TIMEOUT_S",
            s->id, s->max_s, s->info->shards);
    return LP_OK;
}

/*
 * One GET, retried after 5xx answers and timeouts. LP_OK means an HTTP answer came back
 * (r->status says which); transport failures are LP_ERR_IO with advice.
 */
static lp_status hub_get(hub_session *s, hub_response *r, lp_error *err) {
    char range[64];
    CURLcode rc = CURLE_OK;
    for (int attempt = 0;; attempt++) {
        lp_status over = over_budget(s, 0, r->url, err);
        if (over != LP_OK)
            return over;
        /* no request outlives the load's budget */
        double left = s->max_s - (lp_budget_now() - s->started);
        long timeout = left < (double)HUB_TOTAL_TIMEOUT_S ? (long)left + 1 : HUB_TOTAL_TIMEOUT_S;
        curl_easy_setopt(s->curl, CURLOPT_TIMEOUT, timeout);
        response_reset(r);
        s->errbuf[0] = '\0';
        curl_easy_setopt(s->curl, CURLOPT_URL, r->url);
        if (r->range_first >= 0) {
            snprintf(range, sizeof range, "%" PRId64 "-%" PRId64, r->range_first, r->range_last);
            curl_easy_setopt(s->curl, CURLOPT_RANGE, range);
        } else {
            curl_easy_setopt(s->curl, CURLOPT_RANGE, NULL);
        }
        curl_easy_setopt(s->curl, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(s->curl, CURLOPT_HEADERDATA, r);
        curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, r);
        rc = curl_easy_perform(s->curl);
        s->info->requests++;
        s->info->body_bytes += (int64_t)r->len;
        if ((over = over_budget(s, 0, r->url, err)) != LP_OK)
            return over;
        if (r->status != 0)
            s->info->reached = true;
        if (rc == CURLE_OK) {
            long code = 0;
            curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
            r->status = code;
            if (code >= 500 && code <= 599 && attempt < HUB_MAX_RETRIES) {
                s->info->retries++;
                backoff(attempt);
                continue;
            }
            return LP_OK;
        }
        if (r->range_ignored)
            return lp_error_set(err, LP_ERR_IO,
                                "%s ignored the HTTP Range request and started sending the whole "
                                "file: stopped before reading any weights; use a server or mirror "
                                "that supports range requests (HF_ENDPOINT)",
                                r->url);
        if (r->too_large) {
            if (r->range_first >= 0)
                return lp_error_set(err, LP_ERR_IO,
                                    "%s sent more than the %" PRId64
                                    " bytes asked for: stopped before reading any weights",
                                    r->url, r->range_last - r->range_first + 1);
            return lp_error_set(err, LP_ERR_PARSE,
                                "%s is larger than %zu bytes: not a config or index file", r->url,
                                r->max_bytes);
        }
        if (transient(rc) && attempt < HUB_MAX_RETRIES) {
            s->info->retries++;
            backoff(attempt);
            continue;
        }
        break;
    }
    const char *detail = s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc);
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return lp_error_set(err, LP_ERR_IO, "timed out fetching %s after %d attempts (%s); %s",
                            r->url, HUB_MAX_RETRIES + 1, detail, offline_advice());
    if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY ||
        rc == CURLE_COULDNT_CONNECT)
        return lp_error_set(err, LP_ERR_IO, "cannot reach the Hugging Face Hub at %s (%s); %s",
                            s->endpoint, detail, offline_advice());
    return lp_error_set(err, LP_ERR_IO, "fetching %s failed (%s); %s", r->url, detail,
                        offline_advice());
}

/* Percent-encode everything but unreserved characters (and '/' when keep_slash). */
static bool url_encode(const char *in, bool keep_slash, char *out, size_t size) {
    static const char hex[] = "0123456789ABCDEF";
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        bool plain = isalnum(*p) || strchr("-_.~", *p) || (keep_slash && *p == '/');
        if (w + (plain ? 1 : 3) >= size)
            return false;
        if (plain) {
            out[w++] = (char)*p;
        } else {
            out[w++] = '%';
            out[w++] = hex[*p >> 4];
            out[w++] = hex[*p & 15];
        }
    }
    out[w] = '\0';
    return true;
}

static lp_status file_url(const hub_session *s, const char *rev, const char *file, char *out,
                          size_t size, lp_error *err) {
    char erev[512], efile[1024];
    if (!url_encode(rev, false, erev, sizeof erev) || !url_encode(file, true, efile, sizeof efile))
        return lp_error_set(err, LP_ERR_INVALID_ARG, "URL too long for %s/%s", s->id, file);
    int w = snprintf(out, size, "%s/%s/resolve/%s/%s", s->endpoint, s->id, erev, efile);
    if (w < 0 || (size_t)w >= size)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "URL too long for %s/%s", s->id, file);
    return LP_OK;
}

/* "not found on the Hub" with the closest catalog ids. */
static lp_status not_found(const hub_session *s, const char *url, lp_error *err) {
    const char *near[HUB_SUGGESTIONS] = {0};
    const lp_catalog_entry *e = lp_catalog_find(s->id, near, HUB_SUGGESTIONS);
    if (e)
        return lp_error_set(err, LP_ERR_NOT_FOUND,
                            "not found on the Hub: %s (%s); the embedded catalog holds it: set "
                            "HF_HUB_OFFLINE=1 or check HF_ENDPOINT",
                            s->id, url);
    char list[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < HUB_SUGGESTIONS && near[i]; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", near[i]);
        if (w < 0 || (size_t)w >= sizeof list - used)
            break;
        used += (size_t)w;
    }
    if (!list[0])
        return lp_error_set(err, LP_ERR_NOT_FOUND,
                            "not found on the Hub: %s (%s); check the id's spelling and case",
                            s->id, url);
    return lp_error_set(err, LP_ERR_NOT_FOUND,
                        "not found on the Hub: %s (%s); closest catalog ids: %s", s->id, url, list);
}

/* Turn a non-success answer for a file into one sentence. */
static lp_status status_error(const hub_session *s, const hub_response *r, const char *file,
                              const char *rev, lp_error *err) {
    long code = r->status;
    const char *ec = r->error_code;
    /* huggingface_hub utils/_http.py hf_raise_for_status reads X-Error-Code first: the Hub
     * answers 401 RepoNotFound for repositories that do not exist (or are private). */
    if (strcmp(ec, "RepoNotFound") == 0 && (code == 401 || code == 403 || code == 404)) {
        if (code != 404 && !s->have_token)
            return lp_error_set(err, LP_ERR_NOT_FOUND,
                                "not found on the Hub: %s (%s), or private: if it is yours, set "
                                "HF_TOKEN (or run huggingface-cli login)",
                                s->id, r->url);
        return not_found(s, r->url, err);
    }
    if (code == 401 || code == 403) {
        const char *what = strcmp(ec, "GatedRepo") == 0 ? "gated" : "gated or private";
        if (s->have_token)
            return lp_error_set(err, LP_ERR_NOT_FOUND,
                                "%s is %s and the token in use does not grant access: request "
                                "access at %s/%s, or check HF_TOKEN",
                                s->id, what, s->endpoint, s->id);
        return lp_error_set(err, LP_ERR_NOT_FOUND,
                            "%s is %s: request access at %s/%s and set HF_TOKEN (or run "
                            "huggingface-cli login)",
                            s->id, what, s->endpoint, s->id);
    }
    if (code == 404 && strcmp(ec, "RevisionNotFound") == 0)
        return lp_error_set(err, LP_ERR_NOT_FOUND,
                            "revision \"%s\" of %s not found on the Hub (%s); check the branch, "
                            "tag or commit",
                            rev, s->id, r->url);
    if (code == 404 && strcmp(ec, "EntryNotFound") == 0)
        return lp_error_set(err, LP_ERR_NOT_FOUND,
                            "%s has no %s at revision \"%s\" on the Hub (%s); llmplan needs a "
                            "transformers-style repository",
                            s->id, file, rev, r->url);
    if (code == 404)
        return not_found(s, r->url, err);
    if (code == 429)
        return lp_error_set(err, LP_ERR_IO,
                            "the Hub rate-limited the request for %s (HTTP 429): set HF_TOKEN or "
                            "retry later",
                            r->url);
    if (code == 416)
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s is shorter than a safetensors header (HTTP 416 for the range "
                            "asked): not a safetensors file",
                            r->url);
    return lp_error_set(err, LP_ERR_IO, "unexpected HTTP %ld from %s%s; %s", code, r->url,
                        code >= 500 ? " after retries" : "", offline_advice());
}

/* Fetch a whole small file. *present is false on 404 when optional (no error then). */
static lp_status fetch_file(hub_session *s, const char *rev, const char *file, size_t max_bytes,
                            bool optional, hub_response *r, bool *present, lp_error *err) {
    *present = false;
    lp_status st = file_url(s, rev, file, r->url, sizeof r->url, err);
    if (st != LP_OK)
        return st;
    r->range_first = r->range_last = -1;
    r->max_bytes = max_bytes;
    st = hub_get(s, r, err);
    if (st != LP_OK)
        return st;
    if (r->status == 200) {
        *present = true;
        s->info->files++;
        return LP_OK;
    }
    if (optional && r->status == 404)
        return LP_OK;
    return status_error(s, r, file, rev, err);
}

/* One range request for [first, last]; checks the answer is exactly that range. */
static lp_status fetch_range(hub_session *s, int64_t first, int64_t last, hub_response *r,
                             lp_error *err) {
    r->range_first = first;
    r->range_last = last;
    r->max_bytes = (size_t)(last - first + 1);
    lp_status st = hub_get(s, r, err);
    if (st != LP_OK || r->status != 206)
        return st;
    int64_t a = -1, b = -1;
    if (sscanf(r->content_range, "bytes %" SCNd64 "-%" SCNd64, &a, &b) != 2 || a != first ||
        b != last || r->len != (size_t)(last - first + 1))
        return lp_error_set(err, LP_ERR_IO,
                            "%s answered bytes %" PRId64 "-%" PRId64
                            " with \"%s\" and %zu bytes: not the range asked for",
                            r->url, first, last, r->content_range, r->len);
    return LP_OK;
}

/* Total file size from "bytes a-b/TOTAL" (-1 when "*" or absent). */
static int64_t content_range_total(const char *cr) {
    const char *slash = strchr(cr, '/');
    if (!slash || !isdigit((unsigned char)slash[1]))
        return -1;
    return (int64_t)strtoll(slash + 1, NULL, 10);
}

/*
 * Read one shard's header: 8 bytes, then exactly N. *absent is set (no error) when the file
 * is not there (404) and absent_ok.
 */
static lp_status read_shard_header(hub_session *s, const char *rev, const char *shard,
                                   int64_t num_layers, bool absent_ok, lp_st_summary *sum,
                                   bool *absent, lp_error *err) {
    hub_response r = {0};
    *absent = false;
    lp_status st = file_url(s, rev, shard, r.url, sizeof r.url, err);
    if (st == LP_OK)
        st = fetch_range(s, 0, HUB_ST_PREFIX - 1, &r, err);
    if (st == LP_OK && r.status == 404 && absent_ok) {
        *absent = true;
        response_free(&r);
        return LP_OK;
    }
    if (st == LP_OK && r.status != 206)
        st = status_error(s, &r, shard, rev, err);
    if (st != LP_OK) {
        response_free(&r);
        return st;
    }
    uint64_t n = 0;
    for (int i = HUB_ST_PREFIX - 1; i >= 0; i--)
        n = (n << 8) | (unsigned char)r.body[i];
    int64_t file_size = content_range_total(r.content_range);
    char url[sizeof r.url];
    snprintf(url, sizeof url, "%s", r.url);
    if (n == 0 || n > HUB_ST_MAX_HEADER ||
        (file_size >= 0 && n > (uint64_t)file_size - HUB_ST_PREFIX)) {
        response_free(&r);
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s: safetensors header size %" PRIu64
                            " is not possible (limit 100,000,000, file %" PRId64
                            " bytes): not a safetensors file",
                            url, n, file_size);
    }
    if ((st = over_budget(s, (int64_t)n, url, err)) != LP_OK) {
        response_free(&r);
        return st; /* before a byte of a header that would not fit */
    }
    unsigned char *buf = malloc(HUB_ST_PREFIX + (size_t)n);
    if (!buf) {
        response_free(&r);
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory reading %s", url);
    }
    memcpy(buf, r.body, HUB_ST_PREFIX);
    st = fetch_range(s, HUB_ST_PREFIX, HUB_ST_PREFIX + (int64_t)n - 1, &r, err);
    if (st == LP_OK && r.status != 206)
        st = status_error(s, &r, shard, rev, err);
    if (st == LP_OK) {
        memcpy(buf + HUB_ST_PREFIX, r.body, (size_t)n);
        int64_t bytes_before = sum->bytes;
        st = lp_safetensors_parse_header(buf, HUB_ST_PREFIX + (size_t)n, num_layers, sum, err);
        int64_t data_bytes = sum->bytes - bytes_before;
        if (st != LP_OK) {
            char msg[LP_ERROR_MESSAGE_SIZE];
            snprintf(msg, sizeof msg, "%s", err ? err->message : "");
            st = lp_error_set(err, st, "%s: %s", url, msg);
        } else if (file_size >= 0 &&
                   (uint64_t)data_bytes > (uint64_t)file_size - HUB_ST_PREFIX - n) {
            st = lp_error_set(err, LP_ERR_PARSE,
                              "%s: the header describes %" PRId64
                              " bytes of tensor data but the file holds %" PRIu64
                              " after it: a truncated upload",
                              url, data_bytes, (uint64_t)file_size - HUB_ST_PREFIX - n);
        } else {
            sum->files++;
            s->info->shards++;
            s->info->header_bytes += HUB_ST_PREFIX + (int64_t)n;
        }
    }
    free(buf);
    response_free(&r);
    return st;
}

/* A shard name from an index: a relative path inside the repository. */
static bool valid_shard_name(const char *name) {
    if (!*name || name[0] == '/' || strstr(name, "..") || strlen(name) > 512)
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("-_./", *p))
            return false;
    return true;
}

static void report_progress(const hub_session *s, size_t done, size_t total) {
    if (g_progress)
        g_progress(g_progress_ctx, s->id, (int64_t)done, (int64_t)total, s->info->body_bytes);
}

/* Read every shard an index names, each once, in name order. */
static lp_status read_index_shards(hub_session *s, const char *rev, const hub_response *index,
                                   int64_t num_layers, lp_st_summary *sum, lp_error *err) {
    json_error_t jerr;
    json_t *root = json_loadb(index->body, index->len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return lp_error_set(err, LP_ERR_PARSE, "%s: invalid JSON: %s (line %d, column %d)",
                            index->url, jerr.text, jerr.line, jerr.column);
    json_t *map = json_object_get(root, "weight_map");
    size_t count = json_is_object(map) ? json_object_size(map) : 0;
    if (count == 0 || count > HUB_MAX_SHARDS * 100) {
        json_decref(root);
        return lp_error_set(err, LP_ERR_PARSE,
                            "%s: weight_map: expected a non-empty object of tensor name to shard "
                            "file",
                            index->url);
    }
    const char **names = calloc(count, sizeof *names);
    if (!names) {
        json_decref(root);
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory reading %s", index->url);
    }
    lp_status st = LP_OK;
    size_t n = 0;
    const char *key;
    json_t *value;
    json_object_foreach(map, key, value) {
        const char *shard = json_string_value(value);
        if (!shard || !valid_shard_name(shard)) {
            st = lp_error_set(err, LP_ERR_PARSE,
                              "%s: weight_map: \"%s\": expected a shard file name inside the "
                              "repository",
                              index->url, key);
            break;
        }
        names[n++] = shard;
    }
    if (st == LP_OK)
        qsort(names, n, sizeof *names, lp_cmp_str);
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++)
        distinct += i == 0 || strcmp(names[i], names[i - 1]) != 0;
    size_t shards = 0;
    for (size_t i = 0; st == LP_OK && i < n; i++) {
        if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
            continue;
        report_progress(s, shards, distinct);
        if (++shards > HUB_MAX_SHARDS) {
            st = lp_error_set(err, LP_ERR_PARSE, "%s: more than %d shards", index->url,
                              HUB_MAX_SHARDS);
            break;
        }
        bool absent = false;
        st = read_shard_header(s, rev, names[i], num_layers, false, sum, &absent, err);
    }
    if (st == LP_OK)
        report_progress(s, shards, distinct);
    free(names);
    json_decref(root);
    return st;
}

static lp_status session_open(hub_session *s, const char *id, const char *endpoint,
                              lp_hub_fetch_info *info, lp_error *err) {
    memset(s, 0, sizeof *s);
    s->id = id;
    s->endpoint = endpoint;
    s->info = info;
    s->started = lp_budget_now();
    s->max_bytes = HUB_LOAD_MAX_BYTES;
    s->max_s = HUB_LOAD_MAX_S;
    const char *v = getenv("LLMPLAN_HUB_MAX_BYTES");
    char *end;
    if (v && *v) {
        long long b = strtoll(v, &end, 10);
        if (*end || b < 1)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "LLMPLAN_HUB_MAX_BYTES: expected a positive number of bytes, got "
                                "\"%.40s\"",
                                v);
        s->max_bytes = b;
    }
    if ((v = getenv("LLMPLAN_HUB_TIMEOUT_S")) && *v) {
        double t = strtod(v, &end);
        if (*end || !(t > 0) || t > 86400)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "LLMPLAN_HUB_TIMEOUT_S: expected seconds between 0 and 86400, got "
                                "\"%.40s\"",
                                v);
        s->max_s = t;
    }
    lp_status loaded = lp_curl_load(err);
    if (loaded != LP_OK)
        return loaded;
    pthread_once(&g_curl_once, curl_init_once);
    if (g_curl_init_rc != CURLE_OK)
        return lp_error_set(err, LP_ERR_IO, "libcurl failed to initialise: %s",
                            curl_easy_strerror(g_curl_init_rc));
    s->curl = curl_easy_init();
    if (!s->curl)
        return lp_error_set(err, LP_ERR_NOMEM, "libcurl failed to create a handle");
    char token[1024];
    if (lp_hub_token(token, sizeof token)) {
        char line[1100];
        snprintf(line, sizeof line, "Authorization: Bearer %s", token);
        s->headers = curl_slist_append(NULL, line);
        memset(line, 0, sizeof line);
        if (!s->headers) {
            memset(token, 0, sizeof token);
            return lp_error_set(err, LP_ERR_NOMEM, "out of memory preparing the request");
        }
        s->have_token = true;
    }
    memset(token, 0, sizeof token);
    CURL *c = s->curl;
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, s->headers);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, HUB_MAX_REDIRECTS);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, HUB_CONNECT_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, HUB_TOTAL_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, HUB_LOW_SPEED_BYTES);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, HUB_LOW_SPEED_TIME_S);
    curl_easy_setopt(c, CURLOPT_USERAGENT, HUB_USER_AGENT);
    return LP_OK;
}

static void session_close(hub_session *s) {
    if (s->curl)
        curl_easy_cleanup(s->curl);
    if (s->headers) /* NULL also when libcurl could not be loaded */
        curl_slist_free_all(s->headers);
    s->curl = NULL;
    s->headers = NULL;
}

/* The commit a response names, if it is usable as a directory name. */
static bool usable_commit(const char *c) {
    if (!*c || strlen(c) > 96)
        return false;
    for (const char *p = c; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
            return false;
    return strcmp(c, ".") != 0 && strstr(c, "..") == NULL;
}

static lp_status fetch_model(hub_session *s, const char *revision, const char *cache, bool cache_ok,
                             const lp_model_load_opts *opts, lp_model *out, lp_error *err) {
    lp_hub_fetch_info *info = s->info;
    hub_response config = {0}, gen = {0}, index = {0};
    bool present = false, have_gen = false, have_index = false;
    lp_status st =
        fetch_file(s, revision, "config.json", HUB_CONFIG_MAX_BYTES, false, &config, &present, err);
    if (st != LP_OK)
        goto done;

    /* Every later file is fetched at the commit config.json came from. */
    const char *rev = revision;
    if (usable_commit(config.commit)) {
        snprintf(info->commit, sizeof info->commit, "%s", config.commit);
        rev = info->commit;
    } else {
        snprintf(info->commit, sizeof info->commit, "%s",
                 usable_commit(revision) ? revision : "main");
    }

    st = lp_model_from_config_json(config.body, config.len, config.url, out, err);
    if (st != LP_OK)
        goto done;
    int64_t num_layers = out->num_layers;

    lp_error ignored;
    if (fetch_file(s, rev, "generation_config.json", HUB_CONFIG_MAX_BYTES, true, &gen, &present,
                   &ignored) == LP_OK)
        have_gen = present;

    lp_st_summary sum = {0};
    bool single_absent = false;
    if (!(opts && opts->no_safetensors)) {
        st =
            fetch_file(s, rev, HUB_INDEX_NAME, HUB_INDEX_MAX_BYTES, true, &index, &have_index, err);
        if (st == LP_OK && have_index)
            st = read_index_shards(s, rev, &index, num_layers, &sum, err);
        else if (st == LP_OK)
            st = read_shard_header(s, rev, HUB_SINGLE_NAME, num_layers, true, &sum, &single_absent,
                                   err);
        if (st != LP_OK)
            goto done;
    }

    snprintf(out->id, sizeof out->id, "%s", s->id);
    snprintf(out->source, sizeof out->source, "hub");
    lp_model_note(out, "fetched config.json%s%s from %s at %.12s",
                  have_gen ? ", generation config" : "", have_index ? ", safetensors index" : "",
                  info->endpoint, info->commit);
    if (sum.tensors > 0) {
        lp_model_apply_safetensors(out, &sum);
        lp_model_note(out,
                      "read %" PRId64 " safetensors header bytes over HTTP ranges; no weights "
                      "downloaded",
                      info->header_bytes);
    } else if (!(opts && opts->no_safetensors)) {
        lp_model_note(out, "no safetensors weights on the Hub: parameters computed from the "
                           "architecture");
    }

    /* The cache is a convenience: a failure to write it is reported, never fatal. */
    lp_hub_file files[3];
    size_t n_files = 0;
    files[n_files++] = (lp_hub_file){"config.json", config.body, config.len};
    if (have_gen)
        files[n_files++] = (lp_hub_file){"generation_config.json", gen.body, gen.len};
    if (have_index)
        files[n_files++] = (lp_hub_file){HUB_INDEX_NAME, index.body, index.len};
    lp_error cerr;
    lp_error_clear(&cerr);
    lp_status cst = cache_ok ? lp_hub_cache_store(cache, s->id, revision, info->commit, files,
                                                  n_files, sum.tensors > 0 ? &sum : NULL,
                                                  info->snapshot, sizeof info->snapshot, &cerr)
                             : LP_ERR_INVALID_ARG;
    info->cache_written = cst == LP_OK;
    if (cst != LP_OK)
        lp_model_note(out, "warning: not saved to the Hugging Face cache: %.110s",
                      cache_ok ? cerr.message : cache);
done:
    response_free(&config);
    response_free(&gen);
    response_free(&index);
    return st;
}

#endif /* LP_HAVE_CURL */

lp_status lp_hub_load(const char *id, const lp_model_load_opts *opts, lp_hub_fetch_info *info,
                      lp_model *out, lp_error *err) {
    lp_hub_fetch_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    if (!id || !out)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "lp_hub_load: expected an id and a model");
    if (!valid_repo_id(id))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "\"%s\" is not a Hugging Face model id: expected org/name", id);
    const char *revision = opts && opts->revision && *opts->revision ? opts->revision : "main";
    if (!valid_revision(revision))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "revision \"%s\": expected a branch, tag or commit hash", revision);
    lp_error_clear(err);
    snprintf(info->revision, sizeof info->revision, "%s", revision);
    lp_hub_endpoint(info->endpoint, sizeof info->endpoint);

    char cache[LP_HUB_PATH_MAX];
    lp_error cerr;
    bool cache_ok = lp_hub_cache_dir(opts, cache, sizeof cache, &cerr) == LP_OK;
    if (!cache_ok)
        snprintf(cache, sizeof cache, "%s", cerr.message);

    if (lp_hub_offline()) {
        info->offline = true;
        if (!cache_ok)
            return lp_error_set(err, cerr.code, "%s", cerr.message);
        snprintf(info->commit, sizeof info->commit, "%s", revision);
        return load_offline(id, revision, cache, info->endpoint, opts, out, err);
    }
#ifdef LP_HAVE_CURL
    hub_session s;
    lp_status st = session_open(&s, id, info->endpoint, info, err);
    if (st == LP_OK)
        st = fetch_model(&s, revision, cache, cache_ok, opts, out, err);
    session_close(&s);
    return st;
#else
    (void)cache_ok;
    return lp_error_set(err, LP_ERR_UNSUPPORTED, HUB_NO_CURL_MESSAGE);
#endif
}
