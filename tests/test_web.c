/*
 * test_web.c - `llmplan serve`'s API through a real server on 127.0.0.1 (an ephemeral port),
 * spoken to over plain sockets: every endpoint, the bad requests a client can send (malformed
 * JSON, a 2 MiB body declared or streamed, unknown model or GPU, wrong types, unknown fields,
 * wrong methods) each giving a 4xx with a message while the server keeps serving, concurrent
 * clients, and that POST /v1/plan answers exactly what `llmplan plan --json` prints for the
 * same input (the expected side is the CLI binary, an independent process). Without
 * libmicrohttpd the server tests are skipped and only the handler is exercised.
 */
#include "support/lp_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "llmplan/model.h"
#include "llmplan/web.h"

static lp_web_server *g_server;
static int g_port;

/* ---- a minimal HTTP/1.1 client (Connection: close) ----------------------------------------- */

typedef struct {
    int status;
    char content_type[128];
    char *body; /* NUL-terminated */
    size_t body_len;
} http_resp;

static int connect_server(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)g_port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        fail_msg("connect to 127.0.0.1:%d: %s", g_port, strerror(errno));
    return fd;
}

/* Send all of buf; false when the peer closed (it may have answered early). */
static bool send_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        buf += n;
        len -= (size_t)n;
    }
    return true;
}

static void read_response(int fd, http_resp *r) {
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
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
    if (sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1)
        fail_msg("no HTTP status line in the response: \"%.200s\"", buf);
    char *end = strstr(buf, "\r\n\r\n");
    assert_non_null(end);
    *end = '\0';
    for (char *line = strstr(buf, "\r\n"); line; line = strstr(line + 2, "\r\n"))
        if (strncasecmp(line + 2, "Content-Type:", 13) == 0)
            sscanf(line + 15, " %127[^\r\n]", r->content_type);
    r->body_len = n - (size_t)(end + 4 - buf);
    r->body = malloc(r->body_len + 1);
    assert_non_null(r->body);
    memcpy(r->body, end + 4, r->body_len);
    r->body[r->body_len] = '\0';
    free(buf);
}

/* One request. Large bodies go with `Expect: 100-continue`, as curl sends them, so that a
 * server refusing them early (413) is heard before the body is sent. */
static void http(const char *method, const char *path, const char *body, size_t len, http_resp *r) {
    int fd = connect_server();
    char head[512];
    bool expect = len > 65536;
    int hn = snprintf(head, sizeof head,
                      "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n",
                      method, path, len, expect ? "Expect: 100-continue\r\n" : "");
    assert_true(send_all(fd, head, (size_t)hn));
    bool send_body = len > 0;
    if (expect) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 5000) == 1) {
            char peek[32];
            ssize_t got = recv(fd, peek, sizeof peek - 1, MSG_PEEK);
            peek[got > 0 ? got : 0] = '\0';
            if (strstr(peek, " 100 ")) {
                char skip[64];
                /* "HTTP/1.1 100 Continue\r\n\r\n" */
                got = recv(fd, skip, 25, 0);
                assert_int_equal(got, 25);
            } else {
                send_body = false; /* a final answer before the body */
            }
        }
    }
    if (send_body)
        send_all(fd, body, len);
    read_response(fd, r);
    close(fd);
}

static void http_json(const char *method, const char *path, const char *body, http_resp *r) {
    http(method, path, body, body ? strlen(body) : 0, r);
}

static json_t *body_json(const http_resp *r) {
    json_error_t je;
    json_t *j = json_loadb(r->body, r->body_len, 0, &je);
    if (!j)
        fail_msg("response body is not JSON (%s): %.300s", je.text, r->body);
    return j;
}

/* A 4xx whose body is {"error": "<non-empty message>"} mentioning `needle` (if given). */
static void expect_error(const char *method, const char *path, const char *body, int status,
                         const char *needle) {
    http_resp r;
    http_json(method, path, body, &r);
    if (r.status != status)
        fail_msg("%s %s %.200s: status %d, expected %d: %s", method, path, body ? body : "",
                 r.status, status, r.body);
    json_t *j = body_json(&r);
    const char *msg = json_string_value(json_object_get(j, "error"));
    if (!msg || strlen(msg) < 10)
        fail_msg("%s %s: no error message in %s", method, path, r.body);
    if (needle && !strstr(msg, needle))
        fail_msg("%s %s: error \"%s\" does not mention \"%s\"", method, path, msg, needle);
    json_decref(j);
    free(r.body);
}

static void expect_health(void) {
    http_resp r;
    http_json("GET", "/health", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"ok\""));
    free(r.body);
}

/* Case-insensitive substring test (strcasestr is a GNU extension). */
static bool has_ci(const char *hay, const char *needle) {
    for (size_t n = strlen(needle); *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

/* ---- setup ---------------------------------------------------------------------------------- */

static int start_server(void **state) {
    (void)state;
    /* the CLI must not find models in a local Hugging Face cache the server does not read */
    setenv("HF_HOME", "/nonexistent/llmplan-test-web", 1);
    setenv("HF_HUB_CACHE", "/nonexistent/llmplan-test-web/hub", 1);
    if (!lp_web_server_available())
        return 0;
    lp_web_opts o;
    lp_web_opts_init(&o);
    o.port = 0;
    o.threads = 4;
    o.quiet = true;
    lp_error err;
    if (lp_web_server_start(&o, &g_server, &err) != LP_OK) {
        fprintf(stderr, "test_web: cannot start the server: %s\n", err.message);
        return -1;
    }
    g_port = lp_web_server_port(g_server);
    return g_port > 0 ? 0 : -1;
}

static int stop_server(void **state) {
    (void)state;
    lp_web_server_stop(g_server);
    g_server = NULL;
    return 0;
}

#define NEED_SERVER()                                                                              \
    do {                                                                                           \
        if (!g_server) {                                                                           \
            print_message("built without libmicrohttpd: server test skipped\n");                   \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

/* ---- tests ---------------------------------------------------------------------------------- */

/* The handler alone (no HTTP): works in every build. */
static void test_handler_direct(void **state) {
    (void)state;
    lp_web_request q = {"POST", "/v1/plan", NULL, "{\"model\": 3, \"gpu\": \"H100\"}", 27};
    lp_web_response r;
    assert_int_equal(lp_web_handle(&q, &r), LP_OK);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "model: expected a string"));
    lp_web_response_free(&r);
    lp_web_request g = {"GET", "/", NULL, NULL, 0};
    assert_int_equal(lp_web_handle(&g, &r), LP_OK);
    assert_int_equal(r.status, 200);
    assert_true(r.body_static);
    assert_non_null(strstr(r.body, "id=\"memory-chart\""));
    lp_web_response_free(&r);
}

static void test_get_endpoints(void **state) {
    (void)state;
    NEED_SERVER();
    expect_health();

    http_resp r;
    http_json("GET", "/v1/gpus", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/json");
    json_t *gpus = body_json(&r);
    assert_true(json_is_array(gpus) && json_array_size(gpus) > 10);
    bool h100 = false;
    for (size_t i = 0; i < json_array_size(gpus); i++)
        h100 |= strcmp(json_string_value(json_object_get(json_array_get(gpus, i), "name")),
                       "H100 SXM") == 0;
    assert_true(h100);
    json_decref(gpus);
    free(r.body);

    http_json("GET", "/v1/models", NULL, &r);
    assert_int_equal(r.status, 200);
    json_t *all = body_json(&r);
    assert_int_equal(json_array_size(all), lp_catalog_count());
    json_decref(all);
    free(r.body);

    /* ?q= filters case-insensitively (search as you type) */
    http_json("GET", "/v1/models?q=QWEN3", NULL, &r);
    assert_int_equal(r.status, 200);
    json_t *some = body_json(&r);
    assert_true(json_array_size(some) > 0 && json_array_size(some) < lp_catalog_count());
    for (size_t i = 0; i < json_array_size(some); i++) {
        json_t *e = json_array_get(some, i);
        const char *id = json_string_value(json_object_get(e, "id"));
        const char *type = json_string_value(json_object_get(e, "model_type"));
        assert_true(has_ci(id, "qwen3") || has_ci(type, "qwen3"));
    }
    json_decref(some);
    free(r.body);
    http_json("GET", "/v1/models?q=no%20such%20model%20zz", NULL, &r);
    assert_int_equal(r.status, 200);
    json_t *none = body_json(&r);
    assert_int_equal(json_array_size(none), 0);
    json_decref(none);
    free(r.body);

    http_json("GET", "/", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "text/html"));
    const char *ids[] = {"id=\"model\"",     "id=\"gpu\"",     "id=\"tp\"",
                         "id=\"kv-tokens\"", "id=\"verdict\"", "id=\"memory-chart\""};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (!strstr(r.body, ids[i]))
            fail_msg("the page lacks %s", ids[i]);
    /* one page, nothing fetched from elsewhere */
    const char *remote[] = {"src=\"http", "src=\"//", "href=\"http",
                            "url(http",   "@import",  "fetch(\"http"};
    for (size_t i = 0; i < sizeof remote / sizeof remote[0]; i++)
        if (strstr(r.body, remote[i]))
            fail_msg("the page loads something from elsewhere: %s", remote[i]);
    free(r.body);
}

/* POST /v1/plan against `llmplan plan --json` on the same input: the whole body is identical. */
static void plan_matches_cli(const char *body, const char *cli_args) {
    http_resp r;
    http_json("POST", "/v1/plan", body, &r);
    char *cli = NULL;
    int rc = lp_test_run_cli(cli_args, &cli);
    if (rc != 0 && rc != 3)
        fail_msg("llmplan %s: exit %d", cli_args, rc);
    if (r.status != 200)
        fail_msg("POST /v1/plan %s: status %d: %s", body, r.status, r.body);
    json_t *a = body_json(&r);
    json_error_t je;
    json_t *b = json_loads(cli, 0, &je);
    assert_non_null(b);
    lp_assert_near(json_integer_value(json_object_get(a, "kv_tokens")),
                   json_integer_value(json_object_get(b, "kv_tokens")), 0);
    assert_true(json_integer_value(json_object_get(b, "kv_tokens")) > 0 || rc == 3);
    if (strcmp(r.body, cli) != 0)
        fail_msg("POST /v1/plan %s differs from llmplan %s:\n--- server\n%s\n--- cli\n%s", body,
                 cli_args, r.body, cli);
    json_decref(a);
    json_decref(b);
    free(cli);
    free(r.body);
}

static void test_plan_same_as_cli(void **state) {
    (void)state;
    NEED_SERVER();
    plan_matches_cli("{\"model\": \"meta-llama/Llama-3.1-8B-Instruct\", \"gpu\": \"H100\"}",
                     "plan --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 --json");
    plan_matches_cli("{\"model\": \"Qwen/Qwen3-32B\", \"gpu\": \"A100-80GB\", "
                     "\"tensor_parallel_size\": 2, \"kv_cache_dtype\": \"fp8\", "
                     "\"max_model_len\": \"32k\", \"gpu_memory_utilization\": 0.85}",
                     "plan --model Qwen/Qwen3-32B --gpu A100-80GB -tp 2 --kv-cache-dtype fp8 "
                     "--max-model-len 32k --gpu-memory-utilization 0.85 --json");
    plan_matches_cli("{\"model\": \"meta-llama/Llama-3.3-70B-Instruct\", \"gpu\": \"L40S\", "
                     "\"num_gpus\": 4, \"max-model-len\": \"auto\", \"enforce_eager\": true}",
                     "plan --model meta-llama/Llama-3.3-70B-Instruct --gpu L40S --num-gpus 4 "
                     "--max-model-len auto --enforce-eager --json");
    /* does not fit: still 200, with fits false, as the CLI's exit 3 still prints the plan */
    plan_matches_cli("{\"model\": \"meta-llama/Llama-3.3-70B-Instruct\", \"gpu\": \"L4\"}",
                     "plan --model meta-llama/Llama-3.3-70B-Instruct --gpu L4 --json");
}

/* A pasted config.json plans like the catalog id it came from. */
static void test_plan_pasted_config(void **state) {
    (void)state;
    NEED_SERVER();
    const lp_catalog_entry *e = lp_catalog_find("Qwen/Qwen3-8B", NULL, 0);
    assert_non_null(e);
    size_t n = strlen(e->config_json) + 64;
    char *body = malloc(n);
    assert_non_null(body);
    snprintf(body, n, "{\"gpu\": \"H100\", \"config\": %s}", e->config_json);
    http_resp r;
    http_json("POST", "/v1/plan", body, &r);
    assert_int_equal(r.status, 200);
    json_t *a = body_json(&r);
    char *cli = NULL;
    assert_int_equal(lp_test_run_cli("plan --model Qwen/Qwen3-8B --gpu H100 --json", &cli), 0);
    json_t *b = json_loads(cli, 0, NULL);
    assert_non_null(b);
    assert_int_equal(json_integer_value(json_object_get(a, "kv_tokens")),
                     json_integer_value(json_object_get(b, "kv_tokens")));
    json_decref(a);
    json_decref(b);
    free(cli);
    free(r.body);
    free(body);
}

static void test_estimate(void **state) {
    (void)state;
    NEED_SERVER();
    http_resp r;
    http_json("POST", "/v1/estimate",
              "{\"model\": \"meta-llama/Llama-3.1-8B-Instruct\", \"gpu\": \"H100\", "
              "\"input_len\": 512, \"output_len\": 128, \"max_concurrency\": 8}",
              &r);
    assert_int_equal(r.status, 200);
    json_t *a = body_json(&r);
    char *cli = NULL;
    assert_int_equal(lp_test_run_cli("estimate --model meta-llama/Llama-3.1-8B-Instruct --gpu "
                                     "H100 --random-input-len 512 --random-output-len 128 "
                                     "--max-concurrency 8 --json",
                                     &cli),
                     0);
    json_t *b = json_loads(cli, 0, NULL);
    assert_non_null(b);
    const char *keys[] = {"mean_ttft_ms", "mean_tpot_ms", "output_throughput",
                          "request_throughput"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        double x = json_number_value(json_object_get(a, keys[i]));
        assert_true(x > 0);
        lp_assert_near(x, json_number_value(json_object_get(b, keys[i])), 0);
    }
    json_decref(a);
    json_decref(b);
    free(cli);
    free(r.body);

    /* does not fit: 422 with the estimate's own error */
    expect_error("POST", "/v1/estimate",
                 "{\"model\": \"meta-llama/Llama-3.3-70B-Instruct\", \"gpu\": \"L4\"}", 422,
                 "does not fit");
    /* field errors name the field */
    expect_error("POST", "/v1/estimate", "{\"gpu\": \"H100\", \"input_len\": \"long\"}", 400,
                 "input_len");
    expect_error("POST", "/v1/estimate",
                 "{\"model\": \"meta-llama/Llama-3.1-8B-Instruct\", \"gpu\": \"H100\", "
                 "\"method\": \"simulate\", \"num_prompts\": 1000000}",
                 400, "num_prompts");
}

static void test_recommend(void **state) {
    (void)state;
    NEED_SERVER();
    http_resp r;
    http_json("POST", "/v1/recommend",
              "{\"model\": \"meta-llama/Llama-3.1-8B-Instruct\", \"gpus\": [\"H100\", \"L40S\"], "
              "\"input_len\": 1024, \"output_len\": 128, \"max_concurrency\": 16, "
              "\"max_ttft_ms\": 2000, \"top\": 3}",
              &r);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    json_t *configs = json_object_get(j, "configs");
    assert_true(json_array_size(configs) >= 1 && json_array_size(configs) <= 3);
    const char *serve =
        json_string_value(json_object_get(json_array_get(configs, 0), "vllm_serve"));
    assert_non_null(serve);
    assert_non_null(strstr(serve, "vllm serve meta-llama/Llama-3.1-8B-Instruct"));
    json_decref(j);
    free(r.body);
    expect_error("POST", "/v1/recommend",
                 "{\"model\": \"meta-llama/Llama-3.1-8B-Instruct\", \"percentile\": 75}", 400,
                 "percentile");
    expect_error("POST", "/v1/recommend",
                 "{\"model\": \"meta-llama/Llama-3.1-8B-Instruct\", \"gpus\": [\"H9000\"]}", 404,
                 "gpu");
    expect_error("POST", "/v1/recommend",
                 "{\"model\": \"meta-llama/Llama-3.1-8B-Instruct\", \"load_profile\": [1, 2, 3, 4, "
                 "5, 6, 7]}",
                 400, "load_profile: 7 rows");
    expect_error("POST", "/v1/recommend",
                 "{\"model\": \"meta-llama/Llama-3.1-8B-Instruct\", \"load_profile\": \"00:00,1\\n"
                 "01:00,x\\n\"}",
                 400, "load_profile:2: request rate");
    expect_error("POST", "/v1/recommend",
                 "{\"model\": \"meta-llama/Llama-3.1-8B-Instruct\", \"headroom_pct\": -5}", 400,
                 "headroom_pct");
}

/* Capacity over HTTP: every config has max_request_rate, replicas for the rate, and a profile
 * given as rates is sized for the first. */
static void test_recommend_capacity(void **state) {
    (void)state;
    NEED_SERVER();
    http_resp r;
    char body[1024];
    int n = snprintf(body, sizeof body,
                     "{\"model\": \"meta-llama/Llama-3.1-8B-Instruct\", \"gpus\": \"H100,L40S\", "
                     "\"max_gpus\": 2, \"input_len\": 1024, \"output_len\": 128, "
                     "\"request_rate\": 4, \"max_tpot_ms\": 40, \"top\": 3, \"load_sweep\": 1, "
                     "\"headroom_pct\": 25, \"load_profile\": [");
    for (int h = 0; h < 24; h++)
        n += snprintf(body + n, sizeof body - (size_t)n, "%s%d", h ? ", " : "", 1 + h % 12);
    snprintf(body + n, sizeof body - (size_t)n, "]}");
    http_json("POST", "/v1/recommend", body, &r);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    json_t *configs = json_object_get(j, "configs");
    assert_true(json_array_size(configs) >= 1);
    for (size_t i = 0; i < json_array_size(configs); i++) {
        json_t *c = json_array_get(configs, i);
        double cap = json_number_value(json_object_get(c, "max_request_rate"));
        assert_true(cap > 0);
        /* ceil(4 x 1.25 / capacity) */
        json_int_t want = (json_int_t)ceil(4 * 1.25 / cap - 1e-9);
        assert_int_equal(json_integer_value(json_object_get(c, "replicas")), want < 1 ? 1 : want);
    }
    assert_true(json_number_value(json_object_get(j, "headroom_pct")) == 25);
    json_t *sweep = json_array_get(json_object_get(j, "load_sweep"), 0);
    assert_int_equal(json_array_size(json_object_get(sweep, "points")), 12);
    json_t *profile = json_object_get(j, "load_profile");
    assert_int_equal(json_array_size(json_object_get(profile, "replicas")), 24);
    assert_true(json_number_value(json_object_get(profile, "peak_request_rate")) == 12);
    json_decref(j);
    free(r.body);
}

/* The deployment files of a configuration, as `recommend --emit all` writes them. */
static void test_artifacts(void **state) {
    (void)state;
    NEED_SERVER();
    http_resp r;
    http_json("POST", "/v1/artifacts",
              "{\"model\": \"meta-llama/Llama-3.3-70B-Instruct\", \"gpu\": \"H100 SXM\", "
              "\"num_gpus\": 8, \"tensor_parallel_size\": 4, \"data_parallel_size\": 2, "
              "\"quantization\": \"fp8\", \"kv_cache_dtype\": \"fp8\", \"max_model_len\": 2300}",
              &r);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    json_t *files = json_object_get(j, "files");
    assert_int_equal(json_array_size(files), 4);
    const char *names[] = {"serve.sh", "docker-run.sh", "docker-compose.yaml", "k8s.yaml"};
    for (size_t i = 0; i < 4; i++) {
        json_t *f = json_array_get(files, i);
        assert_string_equal(json_string_value(json_object_get(f, "name")), names[i]);
        assert_non_null(json_string_value(json_object_get(f, "text")));
    }
    const char *serve = json_string_value(json_object_get(json_array_get(files, 0), "text"));
    assert_non_null(strstr(serve, "--tensor-parallel-size 4"));
    assert_non_null(strstr(serve, "--data-parallel-size 2"));
    assert_non_null(strstr(serve, "--quantization fp8"));
    json_decref(j);
    free(r.body);
    expect_error("POST", "/v1/artifacts", "{\"gpu\": \"H100\"}", 400, "model: required");
    expect_error("POST", "/v1/artifacts", "{\"model\": \"x/y\"}", 400, "gpu: required");
    expect_error("POST", "/v1/artifacts",
                 "{\"model\": \"x/y\", \"gpu\": \"H100\", \"num_gpus\": 3, "
                 "\"tensor_parallel_size\": 2}",
                 400, "num_gpus");

    /* disaggregated 1P1D, decode on H200 with TP 2: serve.sh has a command per role, k8s.yaml
     * the two pools; docker-run.sh has no such form and says why */
    http_json("POST", "/v1/artifacts",
              "{\"model\": \"meta-llama/Llama-3.1-8B-Instruct\", \"gpu\": \"H100 SXM\", "
              "\"disaggregation\": \"1P1D\", \"decode_tensor_parallel_size\": 2, "
              "\"decode_gpu\": \"H200\"}",
              &r);
    assert_int_equal(r.status, 200);
    j = body_json(&r);
    files = json_object_get(j, "files");
    serve = json_string_value(json_object_get(json_array_get(files, 0), "text"));
    assert_non_null(strstr(serve, "prefill)"));
    assert_non_null(strstr(serve, "decode)"));
    assert_non_null(strstr(serve, "H200"));
    assert_non_null(strstr(serve, "NixlConnector"));
    assert_true(json_is_null(json_object_get(json_array_get(files, 1), "text")));
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(files, 1), "error")),
                           "disaggregated"));
    const char *k8s = json_string_value(json_object_get(json_array_get(files, 3), "text"));
    assert_non_null(strstr(k8s, "llm-d-routing-sidecar"));
    json_decref(j);
    free(r.body);
}

static void test_bad_requests(void **state) {
    (void)state;
    NEED_SERVER();
    const char *llama = "\"model\": \"meta-llama/Llama-3.1-8B-Instruct\"";
    char body[512];
    expect_error("POST", "/v1/plan", "{\"model\": \"meta-llama/Llama-3.1-8B", 400,
                 "not valid JSON");
    expect_error("POST", "/v1/plan", "", 400, "empty");
    expect_error("POST", "/v1/plan", "[1, 2]", 400, "JSON object");
    expect_error("POST", "/v1/estimate", "{]", 400, "JSON");
    expect_error("POST", "/v1/recommend", "nonsense", 400, "JSON");
    snprintf(body, sizeof body, "{%s, \"gpu\": \"H100\", \"gpu\": \"A100\"}", llama);
    expect_error("POST", "/v1/plan", body, 400, "JSON");
    expect_error("POST", "/v1/plan", "{\"model\": \"nobody/no-such-model-7B\", \"gpu\": \"H100\"}",
                 404, "model");
    snprintf(body, sizeof body, "{%s, \"gpu\": \"Voodoo 5\"}", llama);
    expect_error("POST", "/v1/plan", body, 404, "gpu");
    snprintf(body, sizeof body, "{%s}", llama);
    expect_error("POST", "/v1/plan", body, 400, "gpu: required");
    snprintf(body, sizeof body, "{%s, \"gpu\": \"H100\", \"tensor_parallel_size\": \"2\"}", llama);
    expect_error("POST", "/v1/plan", body, 400, "tensor_parallel_size: expected an integer");
    snprintf(body, sizeof body, "{%s, \"gpu\": \"H100\", \"tensor_parallel_size\": 2.5}", llama);
    expect_error("POST", "/v1/plan", body, 400, "tensor_parallel_size");
    snprintf(body, sizeof body, "{%s, \"gpu\": \"H100\", \"gpu_memory_utilization\": 1.5}", llama);
    expect_error("POST", "/v1/plan", body, 400, "gpu_memory_utilization");
    snprintf(body, sizeof body, "{%s, \"gpu\": \"H100\", \"enforce_eager\": \"yes\"}", llama);
    expect_error("POST", "/v1/plan", body, 400, "enforce_eager: expected true or false");
    snprintf(body, sizeof body, "{%s, \"gpu\": \"H100\", \"tp\": 2}", llama);
    expect_error("POST", "/v1/plan", body, 400, "unknown field \"tp\"");
    snprintf(body, sizeof body, "{%s, \"gpu\": \"H100\", \"max_model_len\": \"lots\"}", llama);
    expect_error("POST", "/v1/plan", body, 400, "max_model_len");
    snprintf(body, sizeof body, "{%s, \"gpu\": \"H100\", \"tensor_parallel_size\": 3}", llama);
    expect_error("POST", "/v1/plan", body, 400, NULL); /* 32 heads do not split over 3 */
    expect_error("POST", "/v1/plan", "{\"gpu\": \"H100\", \"config\": {\"model_type\": 7}}", 400,
                 "config");
    expect_error("POST", "/v1/plan", "{\"gpu\": \"H100\", \"config\": \"{}\"}", 400, "config");
    expect_error("GET", "/v1/plan", NULL, 405, "POST");
    expect_error("POST", "/v1/gpus", "{}", 405, "GET");
    expect_error("GET", "/v2/anything", NULL, 404, "no such endpoint");
    expect_health();
}

/* 2 MiB: declared (refused before the body is read) and streamed in chunks (refused after). */
static void test_huge_bodies(void **state) {
    (void)state;
    NEED_SERVER();
    size_t n = 2u * 1024u * 1024u;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    http_resp r;
    http("POST", "/v1/plan", big, n, &r);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.body, "\"error\""));
    free(r.body);

    int fd = connect_server();
    const char *head = "POST /v1/plan HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                       "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    assert_true(send_all(fd, head, strlen(head)));
    const size_t chunk = 64 * 1024;
    bool open = true;
    for (size_t sent = 0; sent < n && open; sent += chunk) {
        char line[32];
        int ln = snprintf(line, sizeof line, "%zx\r\n", chunk);
        open = send_all(fd, line, (size_t)ln) && send_all(fd, big + sent, chunk) &&
               send_all(fd, "\r\n", 2);
    }
    if (open)
        send_all(fd, "0\r\n\r\n", 5);
    read_response(fd, &r);
    close(fd);
    assert_int_equal(r.status, 413);
    free(r.body);
    free(big);
    expect_health();
}

/* Several clients at once: every answer complete and right (and no data race under TSan/ASan). */
#define CLIENTS 4
#define REQUESTS_PER_CLIENT 20

static void *client(void *arg) {
    int *bad = arg;
    for (int i = 0; i < REQUESTS_PER_CLIENT; i++) {
        http_resp r;
        http_json("POST", "/v1/plan",
                  (i % 2) ? "{\"model\": \"Qwen/Qwen3-8B\", \"gpu\": \"L40S\"}"
                          : "{\"model\": \"meta-llama/Llama-3.1-8B-Instruct\", \"gpu\": \"H100\"}",
                  &r);
        const char *expect = (i % 2) ? "L40S" : "H100 SXM";
        if (r.status != 200 || !strstr(r.body, expect))
            (*bad)++;
        free(r.body);
    }
    return NULL;
}

static void test_concurrent_clients(void **state) {
    (void)state;
    NEED_SERVER();
    pthread_t t[CLIENTS];
    int bad[CLIENTS] = {0};
    for (int i = 0; i < CLIENTS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, client, &bad[i]), 0);
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(bad[i], 0);
    }
}

/* The CLI refuses what it cannot do, with a reason. */
static void test_cli_serve_usage(void **state) {
    (void)state;
    char *out = NULL;
    assert_int_equal(lp_test_run_cli("serve --help", &out), 0);
    assert_non_null(strstr(out, "/v1/plan"));
    free(out);
    assert_int_equal(lp_test_run_cli("serve --port 70000 2>/dev/null", NULL),
                     lp_web_server_available() ? 2 : 1);
    if (lp_web_server_available())
        assert_int_equal(lp_test_run_cli("serve --host not-an-address --port 0 2>/dev/null", NULL),
                         2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handler_direct),     cmocka_unit_test(test_get_endpoints),
        cmocka_unit_test(test_plan_same_as_cli),   cmocka_unit_test(test_plan_pasted_config),
        cmocka_unit_test(test_estimate),           cmocka_unit_test(test_recommend),
        cmocka_unit_test(test_recommend_capacity), cmocka_unit_test(test_artifacts),
        cmocka_unit_test(test_bad_requests),       cmocka_unit_test(test_huge_bodies),
        cmocka_unit_test(test_concurrent_clients), cmocka_unit_test(test_cli_serve_usage),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
