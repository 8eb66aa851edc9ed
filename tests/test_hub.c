/*
 * test_hub.c - the Hugging Face Hub client (src/model/hub.c, hub_cache.c) against a local
 * Hub (support/hub_server.c, libmicrohttpd on 127.0.0.1): HF_ENDPOINT points every request
 * at it, nothing leaves the machine.
 *
 * Fixture repositories are written here from real configurations: the embedded catalog's
 * config.json of meta-llama/Llama-3.1-8B-Instruct and Llama-3.2-1B, and safetensors shards
 * whose headers list those architectures' tensors (Hugging Face Llama names, BF16) with the
 * data area zero-filled sparsely (ftruncate), so the files have their real size (16 GB for
 * the 8B) at no cost. Expected totals are the published counts (model_configs.md §5):
 *   Llama-3.1-8B  8,030,261,248 parameters (untied lm_head)
 *   Llama-3.2-1B  1,235,814,400 parameters (tied embeddings)
 * The server counts the bytes it sends per file: reading a shard must cost 8 + N bytes.
 */

#include "support/lp_test.h"

#include "llmplan/hub.h"
#include "llmplan/model.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef LP_TEST_WITH_MHD
#include "support/hub_server.h"

/* model_configs.md §5: published parameter counts. */
#define LLAMA31_8B_PARAMS INT64_C(8030261248)
#define LLAMA32_1B_PARAMS INT64_C(1235814400)
#define BF16_BYTES 2

#define MAX_SHARDS 8
#define MAX_TENSORS 1024

static char g_root[256];  /* temporary directory: served repos + caches */
static char g_repos[320]; /* what the server serves */
static char g_cache[320]; /* HF_HUB_CACHE */
static lp_hub_server *g_server;

typedef struct {
    char name[96];
    int64_t rows, cols; /* cols 0: a vector */
} tensor;

typedef struct {
    char names[MAX_SHARDS][64];
    int64_t header_len[MAX_SHARDS]; /* N of each shard */
    int64_t file_size[MAX_SHARDS];
    int n;
} shard_set;

/* ---- files -------------------------------------------------------------------------------- */

static void mkdirs(const char *path) {
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0755);
            *p = '/';
        }
    }
    mkdir(buf, 0755);
}

static void write_repo_file(const char *repo, const char *name, const char *data, size_t len) {
    char dir[1024], path[1200];
    snprintf(dir, sizeof dir, "%s/%s", g_repos, repo);
    mkdirs(dir);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static bool file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- safetensors fixtures ------------------------------------------------------------------ */

/* Hugging Face LlamaForCausalLM tensor names and shapes of layers [l0, l1) (+ the ends). */
static size_t llama_tensors(const lp_model *m, int64_t l0, int64_t l1, bool first, bool last,
                            tensor *t) {
    size_t n = 0;
    int64_t H = m->hidden_size, I = m->intermediate_size, d = m->head_dim;
    int64_t q = m->num_heads * d, kv = m->num_kv_heads * d;
    if (first)
        t[n++] = (tensor){"model.embed_tokens.weight", m->vocab_size, H};
    for (int64_t l = l0; l < l1; l++) {
        static const char *const names[] = {
            "input_layernorm.weight",  "self_attn.q_proj.weight", "self_attn.k_proj.weight",
            "self_attn.v_proj.weight", "self_attn.o_proj.weight", "post_attention_layernorm.weight",
            "mlp.gate_proj.weight",    "mlp.up_proj.weight",      "mlp.down_proj.weight"};
        const int64_t shapes[][2] = {{H, 0}, {q, H}, {kv, H}, {kv, H}, {H, q},
                                     {H, 0}, {I, H}, {I, H},  {H, I}};
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
            snprintf(t[n].name, sizeof t[n].name, "model.layers.%" PRId64 ".%s", l, names[k]);
            t[n].rows = shapes[k][0];
            t[n].cols = shapes[k][1];
            n++;
        }
    }
    if (last) {
        t[n++] = (tensor){"model.norm.weight", H, 0};
        if (!m->tie_word_embeddings)
            t[n++] = (tensor){"lm_head.weight", m->vocab_size, H};
    }
    return n;
}

/* Write a BF16 safetensors file: real header, data area a hole. Returns N; *size the file. */
static int64_t write_shard(const char *path, const tensor *t, size_t n, int64_t *size) {
    size_t cap = 256 + n * 160, w = 0;
    char *json = malloc(cap);
    assert_non_null(json);
    int64_t offset = 0;
    w += (size_t)snprintf(json + w, cap - w, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (size_t i = 0; i < n; i++) {
        int64_t elems = t[i].cols ? t[i].rows * t[i].cols : t[i].rows;
        int64_t bytes = elems * BF16_BYTES;
        if (t[i].cols)
            w += (size_t)snprintf(json + w, cap - w,
                                  ",\"%s\":{\"dtype\":\"BF16\",\"shape\":[%" PRId64 ",%" PRId64
                                  "],\"data_offsets\":[%" PRId64 ",%" PRId64 "]}",
                                  t[i].name, t[i].rows, t[i].cols, offset, offset + bytes);
        else
            w += (size_t)snprintf(json + w, cap - w,
                                  ",\"%s\":{\"dtype\":\"BF16\",\"shape\":[%" PRId64
                                  "],\"data_offsets\":[%" PRId64 ",%" PRId64 "]}",
                                  t[i].name, t[i].rows, offset, offset + bytes);
        offset += bytes;
    }
    w += (size_t)snprintf(json + w, cap - w, "}");
    /* Pad with spaces so 8 + N is a multiple of 8, as the reference writer does (§6.1). */
    while ((w + 8) % 8 != 0)
        json[w++] = ' ';
    assert_true(w < cap);
    unsigned char prefix[8];
    for (int i = 0; i < 8; i++)
        prefix[i] = (unsigned char)(((uint64_t)w >> (8 * i)) & 0xff);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, prefix, 8), 8);
    assert_int_equal(write(fd, json, w), (ssize_t)w);
    *size = 8 + (int64_t)w + offset;
    assert_int_equal(ftruncate(fd, (off_t)*size), 0);
    close(fd);
    free(json);
    return (int64_t)w;
}

/*
 * A Hub repository holding catalog_id's config.json and its weights as n_shards shards
 * (an index when n_shards > 1, else model.safetensors). Layers are split evenly.
 */
static void make_llama_repo(const char *repo, const char *catalog_id, int n_shards,
                            shard_set *out) {
    const lp_catalog_entry *e = lp_catalog_find(catalog_id, NULL, 0);
    assert_non_null(e);
    write_repo_file(repo, "config.json", e->config_json, strlen(e->config_json));
    lp_model m;
    lp_error err;
    assert_int_equal(
        lp_model_from_config_json(e->config_json, strlen(e->config_json), "t", &m, &err), LP_OK);
    tensor *t = calloc(MAX_TENSORS, sizeof *t);
    assert_non_null(t);
    size_t icap = 65536, iw = 0;
    char *index = malloc(icap);
    assert_non_null(index);
    iw += (size_t)snprintf(index, icap,
                           "{\"metadata\":{\"total_size\":%" PRId64 "},"
                           "\"weight_map\":{",
                           m.params_total * BF16_BYTES);
    memset(out, 0, sizeof *out);
    for (int s = 0; s < n_shards; s++) {
        int64_t l0 = m.num_layers * s / n_shards, l1 = m.num_layers * (s + 1) / n_shards;
        size_t n = llama_tensors(&m, l0, l1, s == 0, s == n_shards - 1, t);
        if (n_shards == 1)
            snprintf(out->names[s], sizeof out->names[s], "model.safetensors");
        else
            snprintf(out->names[s], sizeof out->names[s], "model-%05d-of-%05d.safetensors", s + 1,
                     n_shards);
        char dir[1024], path[1200];
        snprintf(dir, sizeof dir, "%s/%s", g_repos, repo);
        mkdirs(dir);
        snprintf(path, sizeof path, "%s/%s", dir, out->names[s]);
        out->header_len[s] = write_shard(path, t, n, &out->file_size[s]);
        for (size_t i = 0; i < n; i++) {
            iw += (size_t)snprintf(index + iw, icap - iw, "%s\"%s\":\"%s\"",
                                   (s == 0 && i == 0) ? "" : ",", t[i].name, out->names[s]);
            assert_true(iw < icap);
        }
    }
    out->n = n_shards;
    iw += (size_t)snprintf(index + iw, icap - iw, "}}\n");
    if (n_shards > 1)
        write_repo_file(repo, "model.safetensors.index.json", index, iw);
    free(index);
    free(t);
}

/* ---- helpers ------------------------------------------------------------------------------- */

static bool has_note(const lp_model *m, const char *needle) {
    for (int i = 0; i < m->n_notes && i < LP_MODEL_MAX_NOTES; i++)
        if (strstr(m->notes[i], needle))
            return true;
    return false;
}

static void print_notes(const lp_model *m) {
    for (int i = 0; i < m->n_notes && i < LP_MODEL_MAX_NOTES; i++)
        print_message("  note: %s\n", m->notes[i]);
}

static lp_status hub_load(const char *id, lp_hub_fetch_info *info, lp_model *m, lp_error *e) {
    lp_error_clear(e);
    lp_status st = lp_hub_load(id, NULL, info, m, e);
    if (st != LP_OK)
        print_message("lp_hub_load(%s): %s\n", id, e->message);
    return st;
}

static int group_setup(void **state) {
    (void)state;
    if (!lp_test_make_temp_dir(g_root, sizeof g_root, "llmplan-test-hub"))
        return -1;
    snprintf(g_repos, sizeof g_repos, "%s/repos", g_root);
    snprintf(g_cache, sizeof g_cache, "%s/cache/hub", g_root);
    mkdirs(g_repos);
    g_server = lp_hub_server_start(g_repos);
    if (!g_server)
        return -1;
    /* Everything points at the local Hub and the temporary cache; no user token is read. */
    char path[512];
    setenv("HF_ENDPOINT", lp_hub_server_url(g_server), 1);
    setenv("HF_HUB_CACHE", g_cache, 1);
    snprintf(path, sizeof path, "%s/hf-home", g_root);
    setenv("HF_HOME", path, 1);
    snprintf(path, sizeof path, "%s/no-token-file", g_root);
    setenv("HF_TOKEN_PATH", path, 1);
    unsetenv("HF_TOKEN");
    unsetenv("HUGGING_FACE_HUB_TOKEN");
    unsetenv("HUGGINGFACE_HUB_CACHE");
    unsetenv("HF_HUB_OFFLINE");
    setenv("no_proxy", "127.0.0.1,localhost", 1);
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    lp_hub_server_stop(g_server);
    if (g_root[0])
        lp_test_remove_tree(g_root);
    return 0;
}

/* ---- tests --------------------------------------------------------------------------------- */

/*
 * Llama-3.1-8B in 4 shards (16 GB of weights on "disk"): exact counts from 4 remote headers,
 * 8 + N bytes served per shard and not one byte of tensor data; the cache is written and an
 * offline lp_model_load finds it, still exact, without a request.
 */
static void test_remote_headers_exact(void **state) {
    (void)state;
    const char *id = "hubtest/Remote-Llama-8B";
    shard_set shards;
    make_llama_repo(id, "meta-llama/Llama-3.1-8B-Instruct", 4, &shards);

    lp_model arch;
    lp_error e;
    assert_int_equal(lp_catalog_load("meta-llama/Llama-3.1-8B-Instruct", &arch, &e), LP_OK);
    assert_int_equal(arch.params_total, LLAMA31_8B_PARAMS);

    lp_model m;
    lp_hub_fetch_info info;
    int64_t requests_before = lp_hub_server_requests(g_server);
    assert_int_equal(hub_load(id, &info, &m, &e), LP_OK);
    print_notes(&m);
    assert_string_equal(m.source, "hub");
    assert_string_equal(m.id, id);
    assert_true(m.params_exact);
    assert_int_equal(m.params_total, LLAMA31_8B_PARAMS);
    assert_int_equal(m.params_total, arch.params_total);
    assert_int_equal(m.checkpoint_bytes, LLAMA31_8B_PARAMS * BF16_BYTES);
    assert_true(has_note(&m, "(4 shards)"));
    assert_true(has_note(&m, "no weights downloaded"));
    assert_string_equal(info.commit, lp_hub_server_commit(g_server));
    assert_int_equal(info.shards, 4);
    assert_int_equal(info.retries, 0);
    assert_true(info.reached);

    /* What left the server: 8 + N per shard, nothing past it. */
    int64_t header_total = 0, weights_total = 0;
    for (int s = 0; s < shards.n; s++) {
        char rel[256];
        int64_t max_end = 0;
        snprintf(rel, sizeof rel, "%s/%s", id, shards.names[s]);
        int64_t served = lp_hub_server_bytes(g_server, rel, &max_end);
        assert_int_equal(served, 8 + shards.header_len[s]);
        assert_int_equal(max_end, 8 + shards.header_len[s]);
        header_total += 8 + shards.header_len[s];
        weights_total += shards.file_size[s];
    }
    assert_int_equal(info.header_bytes, header_total);
    print_message("served %" PRId64 " header bytes of %" PRId64 " shard bytes (%d shards), "
                  "0 bytes of tensor data; %" PRId64 " requests\n",
                  header_total, weights_total, shards.n,
                  lp_hub_server_requests(g_server) - requests_before);

    /* The standard cache layout, written for Python tools too. */
    char path[1200], text[256];
    const char *commit = lp_hub_server_commit(g_server);
    snprintf(path, sizeof path, "%s/models--hubtest--Remote-Llama-8B/snapshots/%s/config.json",
             g_cache, commit);
    assert_true(file_exists(path));
    snprintf(path, sizeof path,
             "%s/models--hubtest--Remote-Llama-8B/snapshots/%s/model.safetensors.index.json",
             g_cache, commit);
    assert_true(file_exists(path));
    snprintf(path, sizeof path, "%s/models--hubtest--Remote-Llama-8B/refs/main", g_cache);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    assert_string_equal(text, commit);
    assert_true(info.cache_written);

    /* Offline: found in the cache, counts still exact, no request made. */
    setenv("HF_HUB_OFFLINE", "1", 1);
    int64_t before = lp_hub_server_requests(g_server);
    lp_model cached;
    lp_status st = lp_model_load(id, NULL, &cached, &e);
    lp_status st2 = lp_hub_load(id, NULL, &info, &m, &e);
    unsetenv("HF_HUB_OFFLINE");
    assert_int_equal(st, LP_OK);
    assert_int_equal(st2, LP_OK);
    assert_true(info.offline);
    assert_string_equal(cached.source, "hf-cache");
    assert_true(cached.params_exact);
    assert_int_equal(cached.params_total, LLAMA31_8B_PARAMS);
    assert_string_equal(m.source, "hf-cache");
    assert_int_equal(m.params_total, LLAMA31_8B_PARAMS);
    assert_int_equal(lp_hub_server_requests(g_server), before);
}

/* lp_model_load reaches the Hub for an id neither cached nor in the catalog; a single
 * model.safetensors (no index) with tied embeddings. */
/* Progress hook: calls seen, the last counts. */
typedef struct {
    int calls;
    int64_t done, total, bytes;
} progress_seen;

static void on_progress(void *ctx, const char *id, int64_t done, int64_t total, int64_t bytes) {
    (void)id;
    progress_seen *p = ctx;
    p->calls++;
    p->done = done;
    p->total = total;
    p->bytes = bytes;
}

/* A load has a byte budget in all (issue 13: a repo of many shards with 50 MB headers made
 * `plan` download 1 GB): over it the load stops with LP_ERR_LIMIT before the shard that would
 * cross it, and says how to go on. Progress is reported shard by shard. */
static void test_load_budget_and_progress(void **state) {
    (void)state;
    const char *id = "hubtest/Budget-Llama-8B";
    shard_set shards;
    make_llama_repo(id, "meta-llama/Llama-3.1-8B-Instruct", 4, &shards);
    progress_seen seen = {0, 0, 0, 0};
    lp_hub_set_progress(on_progress, &seen);
    lp_model m;
    lp_hub_fetch_info info;
    lp_error e;
    assert_int_equal(hub_load(id, &info, &m, &e), LP_OK);
    assert_int_equal(seen.calls, 5); /* before each of 4 shards, and once at the end */
    assert_int_equal(seen.done, 4);
    assert_int_equal(seen.total, 4);
    assert_int_equal(seen.bytes, info.body_bytes);

    /* a budget of what config.json, the index and about one header take */
    char budget[32];
    snprintf(budget, sizeof budget, "%lld", (long long)(info.body_bytes / 2));
    setenv("LLMPLAN_HUB_MAX_BYTES", budget, 1);
    int64_t sent_before = lp_hub_server_total_bytes(g_server);
    lp_error_clear(&e);
    assert_int_equal(lp_hub_load(id, NULL, &info, &m, &e), LP_ERR_LIMIT);
    assert_non_null(strstr(e.message, "--no-safetensors"));
    assert_non_null(strstr(e.message, "LLMPLAN_HUB_MAX_BYTES"));
    assert_true(lp_hub_server_total_bytes(g_server) - sent_before <= (int64_t)atoll(budget));
    setenv("LLMPLAN_HUB_MAX_BYTES", "12x", 1);
    assert_int_equal(lp_hub_load(id, NULL, &info, &m, &e), LP_ERR_INVALID_ARG);
    unsetenv("LLMPLAN_HUB_MAX_BYTES");
    setenv("LLMPLAN_HUB_TIMEOUT_S", "0.000001", 1);
    assert_int_equal(lp_hub_load(id, NULL, &info, &m, &e), LP_ERR_LIMIT);
    assert_non_null(strstr(e.message, "LLMPLAN_HUB_TIMEOUT_S"));
    unsetenv("LLMPLAN_HUB_TIMEOUT_S");
    lp_hub_set_progress(NULL, NULL);
}

static void test_model_load_single_file(void **state) {
    (void)state;
    const char *id = "hubtest/Remote-Llama-1B";
    shard_set shards;
    make_llama_repo(id, "meta-llama/Llama-3.2-1B", 1, &shards);
    lp_model m;
    lp_error e;
    lp_error_clear(&e);
    lp_status st = lp_model_load(id, NULL, &m, &e);
    if (st != LP_OK)
        print_message("lp_model_load: %s\n", e.message);
    assert_int_equal(st, LP_OK);
    assert_string_equal(m.source, "hub");
    assert_true(m.params_exact);
    assert_int_equal(m.params_total, LLAMA32_1B_PARAMS);
    char rel[256];
    int64_t max_end = 0;
    snprintf(rel, sizeof rel, "%s/model.safetensors", id);
    assert_int_equal(lp_hub_server_bytes(g_server, rel, &max_end), 8 + shards.header_len[0]);
    assert_int_equal(max_end, 8 + shards.header_len[0]);
    /* A second load is answered by the cache. */
    int64_t before = lp_hub_server_requests(g_server);
    assert_int_equal(lp_model_load(id, NULL, &m, &e), LP_OK);
    assert_string_equal(m.source, "hf-cache");
    assert_int_equal(m.params_total, LLAMA32_1B_PARAMS);
    assert_int_equal(lp_hub_server_requests(g_server), before);
}

/* A gated repository: the gated sentence without a token; works with HF_TOKEN or the token
 * file; a wrong token is told apart. */
static void test_gated(void **state) {
    (void)state;
    const char *id = "meta-llama/Llama-3.3-70B-Instruct";
    const lp_catalog_entry *entry = lp_catalog_find(id, NULL, 0);
    assert_non_null(entry);
    write_repo_file(id, "config.json", entry->config_json, strlen(entry->config_json));
    lp_hub_server_gate(g_server, id, "hf_test_token_123");

    lp_model m;
    lp_error e;
    lp_hub_fetch_info info;
    assert_int_equal(lp_hub_load(id, NULL, &info, &m, &e), LP_ERR_NOT_FOUND);
    char expected[512];
    snprintf(expected, sizeof expected,
             "meta-llama/Llama-3.3-70B-Instruct is gated: request access at "
             "%s/meta-llama/Llama-3.3-70B-Instruct and set HF_TOKEN (or run huggingface-cli "
             "login)",
             lp_hub_server_url(g_server));
    assert_string_equal(e.message, expected);

    setenv("HF_TOKEN", "wrong", 1);
    lp_status st_wrong = lp_hub_load(id, NULL, &info, &m, &e);
    char wrong_msg[LP_ERROR_MESSAGE_SIZE];
    snprintf(wrong_msg, sizeof wrong_msg, "%s", e.message);
    setenv("HF_TOKEN", "hf_test_token_123", 1);
    lp_status st_env = hub_load(id, &info, &m, &e);
    unsetenv("HF_TOKEN");
    assert_int_equal(st_wrong, LP_ERR_NOT_FOUND);
    assert_non_null(strstr(wrong_msg, "does not grant access"));
    assert_int_equal(st_env, LP_OK);
    assert_string_equal(m.source, "hub");
    /* No weights in this repo: the architecture count stands, and says so. */
    assert_false(m.params_exact);
    assert_true(has_note(&m, "no safetensors weights on the Hub"));

    /* The file huggingface-cli login writes ($HF_TOKEN_PATH here). */
    char path[512], saved[512];
    snprintf(saved, sizeof saved, "%s", getenv("HF_TOKEN_PATH"));
    snprintf(path, sizeof path, "%s/token", g_root);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("hf_test_token_123\n", f);
    fclose(f);
    setenv("HF_TOKEN_PATH", path, 1);
    char token[64];
    bool have = lp_hub_token(token, sizeof token);
    lp_status st_file = hub_load(id, &info, &m, &e);
    setenv("HF_TOKEN_PATH", saved, 1);
    assert_true(have);
    assert_string_equal(token, "hf_test_token_123");
    assert_int_equal(st_file, LP_OK);
}

/* 404: "not found on the Hub" with the closest catalog ids. */
static void test_not_found_suggests(void **state) {
    (void)state;
    lp_model m;
    lp_error e;
    lp_hub_fetch_info info;
    assert_int_equal(lp_hub_load("meta-llama/Llama-3.1-8B-Instrukt", NULL, &info, &m, &e),
                     LP_ERR_NOT_FOUND);
    print_message("404: %s\n", e.message);
    assert_non_null(strstr(e.message, "not found on the Hub: meta-llama/Llama-3.1-8B-Instrukt"));
    assert_non_null(strstr(e.message, "meta-llama/Llama-3.1-8B-Instruct"));
    /* Through lp_model_load too. */
    assert_int_equal(lp_model_load("nobody/NoSuchModel-7B", NULL, &m, &e), LP_ERR_NOT_FOUND);
    assert_non_null(strstr(e.message, "not found on the Hub"));
    /* A revision the repository does not have. */
    const char *id = "hubtest/Revisions";
    write_repo_file(id, "config.json", "{}", 2);
    lp_model_load_opts opts = {0};
    opts.revision = "v9.9";
    assert_int_equal(lp_hub_load(id, &opts, &info, &m, &e), LP_ERR_NOT_FOUND);
    assert_non_null(strstr(e.message, "revision \"v9.9\""));
}

/* A 500 once, then the answer: one retry, success. */
static void test_retry_after_500(void **state) {
    (void)state;
    const char *id = "hubtest/Flaky-Llama-1B";
    shard_set shards;
    make_llama_repo(id, "meta-llama/Llama-3.2-1B", 1, &shards);
    lp_hub_server_fail_once(g_server, id, "config.json", 500);
    lp_hub_server_fail_once(g_server, id, "model.safetensors", 503);
    lp_model m;
    lp_error e;
    lp_hub_fetch_info info;
    assert_int_equal(hub_load(id, &info, &m, &e), LP_OK);
    assert_int_equal(info.retries, 2);
    assert_true(m.params_exact);
    assert_int_equal(m.params_total, LLAMA32_1B_PARAMS);
}

/* A server that ignores Range is cut off: an error, and far less than the file was sent. */
static void test_range_ignored(void **state) {
    (void)state;
    const char *id = "hubtest/NoRange-Llama-1B";
    shard_set shards;
    make_llama_repo(id, "meta-llama/Llama-3.2-1B", 1, &shards);
    lp_hub_server_ignore_range(g_server, id);
    lp_model m;
    lp_error e;
    lp_hub_fetch_info info;
    assert_int_equal(lp_hub_load(id, NULL, &info, &m, &e), LP_ERR_IO);
    print_message("no range: %s\n", e.message);
    assert_non_null(strstr(e.message, "ignored the HTTP Range request"));
    /* The client kept nothing of the shard: only config.json's bytes were received. */
    assert_int_equal(info.header_bytes, 0);
    assert_true(info.body_bytes < 65536);
    char rel[256];
    snprintf(rel, sizeof rel, "%s/model.safetensors", id);
    int64_t served = lp_hub_server_bytes(g_server, rel, NULL);
    print_message("server pushed %" PRId64 " of %" PRId64 " bytes before the client hung up\n",
                  served, shards.file_size[0]);
    assert_true(served < shards.file_size[0] / 100);
}

/* Malformed JSON: LP_ERR_PARSE naming the URL. */
static void test_malformed_json(void **state) {
    (void)state;
    const char *id = "hubtest/Broken";
    write_repo_file(id, "config.json", "{\"model_type\": \"llama\",", 24);
    lp_model m;
    lp_error e;
    assert_int_equal(lp_hub_load(id, NULL, NULL, &m, &e), LP_ERR_PARSE);
    char url[512];
    snprintf(url, sizeof url, "%s/hubtest/Broken/resolve/main/config.json",
             lp_hub_server_url(g_server));
    assert_non_null(strstr(e.message, url));

    const char *id2 = "hubtest/BrokenIndex";
    const lp_catalog_entry *entry = lp_catalog_find("meta-llama/Llama-3.2-1B", NULL, 0);
    write_repo_file(id2, "config.json", entry->config_json, strlen(entry->config_json));
    write_repo_file(id2, "model.safetensors.index.json", "{\"weight_map\": [", 16);
    assert_int_equal(lp_hub_load(id2, NULL, NULL, &m, &e), LP_ERR_PARSE);
    assert_non_null(strstr(e.message, "model.safetensors.index.json"));
}

/* Unreachable endpoint: LP_ERR_IO saying what to do; lp_model_load keeps NOT_FOUND. */
static void test_unreachable(void **state) {
    (void)state;
    char saved[128];
    snprintf(saved, sizeof saved, "%s", getenv("HF_ENDPOINT"));
    /* Port 1 on the loopback: nothing listens, the connection is refused at once. */
    setenv("HF_ENDPOINT", "http://127.0.0.1:1/", 1);
    lp_model m;
    lp_error e, e2;
    lp_hub_fetch_info info;
    lp_status st = lp_hub_load("hubtest/Anything", NULL, &info, &m, &e);
    lp_status st2 = lp_model_load("hubtest/Anything", NULL, &m, &e2);
    setenv("HF_ENDPOINT", saved, 1);
    assert_int_equal(st, LP_ERR_IO);
    assert_false(info.reached);
    assert_string_equal(info.endpoint, "http://127.0.0.1:1");
    assert_non_null(strstr(e.message, "HF_HUB_OFFLINE=1"));
    assert_non_null(strstr(e.message, "HF_ENDPOINT"));
    assert_int_equal(st2, LP_ERR_NOT_FOUND);
    assert_non_null(strstr(e2.message, "could not be asked"));
}

/* HF_HUB_OFFLINE with nothing cached: a clear NOT_FOUND, no request. */
static void test_offline_missing(void **state) {
    (void)state;
    setenv("HF_HUB_OFFLINE", "1", 1);
    int64_t before = lp_hub_server_requests(g_server);
    lp_model m;
    lp_error e, e2;
    lp_status st = lp_hub_load("hubtest/Never-Fetched", NULL, NULL, &m, &e);
    lp_status st2 = lp_model_load("hubtest/Never-Fetched", NULL, &m, &e2);
    unsetenv("HF_HUB_OFFLINE");
    assert_int_equal(st, LP_ERR_NOT_FOUND);
    assert_non_null(strstr(e.message, "HF_HUB_OFFLINE is set"));
    assert_int_equal(st2, LP_ERR_NOT_FOUND);
    assert_non_null(strstr(e2.message, "HF_HUB_OFFLINE is set"));
    assert_int_equal(lp_hub_server_requests(g_server), before);
}

/* A cache that cannot be written is a note, not a failure. */
static void test_cache_write_failure(void **state) {
    (void)state;
    const char *id = "hubtest/Uncached-Llama-1B";
    shard_set shards;
    make_llama_repo(id, "meta-llama/Llama-3.2-1B", 1, &shards);
    char blocker[512];
    snprintf(blocker, sizeof blocker, "%s/not-a-dir", g_root);
    FILE *f = fopen(blocker, "w");
    assert_non_null(f);
    fclose(f);
    lp_model_load_opts opts = {0};
    opts.hf_hub_cache = blocker; /* a file: nothing can be created under it */
    lp_model m;
    lp_error e;
    lp_hub_fetch_info info;
    assert_int_equal(lp_hub_load(id, &opts, &info, &m, &e), LP_OK);
    assert_false(info.cache_written);
    assert_true(m.params_exact);
    assert_true(has_note(&m, "not saved to the Hugging Face cache"));
}

/* Real config.json files from ../shared/fixtures/hf-configs, when present, served and read
 * back: the Hub path gives what reading the file locally gives. */
static void test_shared_configs(void **state) {
    (void)state;
    char dir[1024];
    lp_test_shared_path("fixtures/hf-configs", dir, sizeof dir);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "ls '%s'", dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char name[256];
    int checked = 0;
    while (fgets(name, sizeof name, p)) {
        name[strcspn(name, "\n")] = '\0';
        size_t n = strlen(name);
        if (n < 6 || strcmp(name + n - 5, ".json") != 0)
            continue;
        char path[1400], repo[400];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        lp_model local;
        lp_error e;
        if (lp_model_from_config_file(path, &local, &e) != LP_OK)
            continue; /* a config llmplan does not model is not this test's subject */
        size_t len = 0;
        char *text = lp_test_read_file(path, &len);
        snprintf(repo, sizeof repo, "fixture/cfg-%d", checked);
        write_repo_file(repo, "config.json", text, len);
        free(text);
        lp_model remote;
        assert_int_equal(hub_load(repo, NULL, &remote, &e), LP_OK);
        assert_int_equal(remote.params_total, local.params_total);
        assert_int_equal(remote.num_layers, local.num_layers);
        checked++;
    }
    pclose(p);
    print_message("%d shared config.json fixtures read through the Hub\n", checked);
}

#endif /* LP_TEST_WITH_MHD */

/* The id and revision checks need no server. */
static void test_bad_ids(void **state) {
    (void)state;
    lp_model m;
    lp_error e;
    assert_int_equal(lp_hub_load("no-slash", NULL, NULL, &m, &e), LP_ERR_INVALID_ARG);
    assert_int_equal(lp_hub_load("a/b/c", NULL, NULL, &m, &e), LP_ERR_INVALID_ARG);
    assert_int_equal(lp_hub_load("org/../etc", NULL, NULL, &m, &e), LP_ERR_INVALID_ARG);
    lp_model_load_opts opts = {0};
    opts.revision = "../../x";
    assert_int_equal(lp_hub_load("org/name", &opts, NULL, &m, &e), LP_ERR_INVALID_ARG);
    char endpoint[64];
    setenv("HF_ENDPOINT", "https://mirror.example//", 1);
    lp_hub_endpoint(endpoint, sizeof endpoint);
    assert_string_equal(endpoint, "https://mirror.example");
    unsetenv("HF_ENDPOINT");
    lp_hub_endpoint(endpoint, sizeof endpoint);
    assert_string_equal(endpoint, LP_HUB_DEFAULT_ENDPOINT);
}

/* Built without libcurl: UNSUPPORTED with the sentence, never a crash. */
static void test_without_curl(void **state) {
    (void)state;
    if (lp_hub_available()) {
        print_message("built with libcurl: the no-libcurl message is not reachable here\n");
        skip();
    }
    lp_model m;
    lp_error e;
    unsetenv("HF_HUB_OFFLINE");
    assert_int_equal(lp_hub_load("org/name", NULL, NULL, &m, &e), LP_ERR_UNSUPPORTED);
    assert_string_equal(e.message,
                        "llmplan was built without libcurl: the Hugging Face Hub is not "
                        "reachable; use a local config.json, the HF cache or a catalog id");
}

int main(void) {
    const struct CMUnitTest plain[] = {
        cmocka_unit_test(test_bad_ids),
        cmocka_unit_test(test_without_curl),
    };
    int failed = cmocka_run_group_tests_name("hub (no server)", plain, NULL, NULL);
#ifdef LP_TEST_WITH_MHD
    if (!lp_hub_available()) {
        print_message("built without libcurl: the Hub tests have nothing to reach\n");
        return failed;
    }
    const struct CMUnitTest served[] = {
        cmocka_unit_test(test_remote_headers_exact),
        cmocka_unit_test(test_model_load_single_file),
        cmocka_unit_test(test_load_budget_and_progress),
        cmocka_unit_test(test_gated),
        cmocka_unit_test(test_not_found_suggests),
        cmocka_unit_test(test_retry_after_500),
        cmocka_unit_test(test_range_ignored),
        cmocka_unit_test(test_malformed_json),
        cmocka_unit_test(test_unreachable),
        cmocka_unit_test(test_offline_missing),
        cmocka_unit_test(test_cache_write_failure),
        cmocka_unit_test(test_shared_configs),
    };
    failed +=
        cmocka_run_group_tests_name("hub (local server)", served, group_setup, group_teardown);
#else
    print_message("\n*** SKIPPED: the local Hub tests need libmicrohttpd (libmicrohttpd-dev) "
                  "***\n\n");
#endif
    return failed;
}
