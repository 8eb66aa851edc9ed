/*
 * test_source.c - resolving model specs (src/model/source.c): config.json files, model
 * directories with safetensors, the local Hugging Face cache layout, the catalog fallback.
 *
 * Each test builds its files in a fresh temporary directory. The tiny Llama used throughout
 * (V=16, H=8, I=12, L=2, nh=2, nkv=1, d=H/nh=4, untied) has, by model_configs.md §4:
 *   embed V*H = 128; per layer q 8*8 = 64, k 4*8 = 32, v 4*8 = 32, o 8*8 = 64,
 *   gate/up/down 3*8*12 = 288, two norms 2*8 = 16 -> 496; final norm 8; lm_head 128.
 *   total = 128 + 2*496 + 8 + 128 = 1256 parameters = 2512 BF16 bytes.
 */
#include "support/lp_test.h"

#include "llmplan/model.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TINY_PARAMS 1256
#define TINY_BYTES 2512

static char g_dir[512];

static const char *const tiny_config = "{\n"
                                       "  \"architectures\": [\"LlamaForCausalLM\"],\n"
                                       "  \"model_type\": \"llama\",\n"
                                       "  \"vocab_size\": 16,\n"
                                       "  \"hidden_size\": 8,\n"
                                       "  \"intermediate_size\": 12,\n"
                                       "  \"num_hidden_layers\": %d,\n"
                                       "  \"num_attention_heads\": 2,\n"
                                       "  \"num_key_value_heads\": 1,\n"
                                       "  \"max_position_embeddings\": 256,\n"
                                       "  \"rms_norm_eps\": 1e-05,\n"
                                       "  \"torch_dtype\": \"bfloat16\",\n"
                                       "  \"tie_word_embeddings\": false\n"
                                       "}\n";

/* ---- fixtures ------------------------------------------------------------------------- */

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

static void write_text(const char *dir, const char *name, const char *text) {
    char path[1024];
    mkdirs(dir);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void write_config(const char *dir, int layers) {
    char text[1024];
    snprintf(text, sizeof text, tiny_config, layers);
    write_text(dir, "config.json", text);
}

typedef struct {
    char name[96];
    int64_t rows, cols; /* cols 0: a vector of rows elements */
} tensor_spec;

/* The tiny Llama's tensors (HF names), layers [0, layers), optionally one MTP-like layer. */
static size_t tiny_tensors(tensor_spec *t, int layers) {
    size_t n = 0;
    t[n++] = (tensor_spec){"model.embed_tokens.weight", 16, 8};
    for (int i = 0; i < layers; i++) {
        static const struct {
            const char *suffix;
            int64_t rows, cols;
        } per_layer[] = {
            {"self_attn.q_proj.weight", 8, 8},         {"self_attn.k_proj.weight", 4, 8},
            {"self_attn.v_proj.weight", 4, 8},         {"self_attn.o_proj.weight", 8, 8},
            {"mlp.gate_proj.weight", 12, 8},           {"mlp.up_proj.weight", 12, 8},
            {"mlp.down_proj.weight", 8, 12},           {"input_layernorm.weight", 8, 0},
            {"post_attention_layernorm.weight", 8, 0},
        };
        for (size_t k = 0; k < sizeof per_layer / sizeof per_layer[0]; k++) {
            snprintf(t[n].name, sizeof t[n].name, "model.layers.%d.%s", i, per_layer[k].suffix);
            t[n].rows = per_layer[k].rows;
            t[n].cols = per_layer[k].cols;
            n++;
        }
    }
    t[n++] = (tensor_spec){"model.norm.weight", 8, 0};
    t[n++] = (tensor_spec){"lm_head.weight", 16, 8};
    return n;
}

/* Write BF16 tensors as a safetensors file: u64 N, JSON padded to 8, zero data. */
static void write_st(const char *dir, const char *name, const tensor_spec *t, size_t n) {
    char *h = malloc(64 + n * 160);
    assert_non_null(h);
    size_t w = (size_t)sprintf(h, "{\"__metadata__\":{\"format\":\"pt\"}");
    int64_t off = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t bytes = 2 * t[i].rows * (t[i].cols ? t[i].cols : 1);
        if (t[i].cols)
            w += (size_t)sprintf(h + w,
                                 ",\"%s\":{\"dtype\":\"BF16\",\"shape\":[%" PRId64 ",%" PRId64
                                 "],\"data_offsets\":[%" PRId64 ",%" PRId64 "]}",
                                 t[i].name, t[i].rows, t[i].cols, off, off + bytes);
        else
            w += (size_t)sprintf(h + w,
                                 ",\"%s\":{\"dtype\":\"BF16\",\"shape\":[%" PRId64
                                 "],\"data_offsets\":[%" PRId64 ",%" PRId64 "]}",
                                 t[i].name, t[i].rows, off, off + bytes);
        off += bytes;
    }
    w += (size_t)sprintf(h + w, "}");
    while (w % 8)
        h[w++] = ' ';
    char path[1024];
    mkdirs(dir);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (int i = 0; i < 8; i++)
        fputc((int)(((uint64_t)w >> (8 * i)) & 0xff), f);
    fwrite(h, 1, w, f);
    for (int64_t i = 0; i < off; i++)
        fputc(0, f);
    fclose(f);
    free(h);
}

static void write_tiny_model(const char *dir, int layers) {
    tensor_spec t[64];
    size_t n = tiny_tensors(t, layers);
    write_config(dir, layers);
    write_st(dir, "model.safetensors", t, n);
}

static int setup(void **state) {
    (void)state;
    return lp_test_make_temp_dir(g_dir, sizeof g_dir, "lp_src") ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    return lp_test_remove_tree(g_dir);
}

static bool has_note(const lp_model *m, const char *needle) {
    for (int i = 0; i < m->n_notes && i < LP_MODEL_MAX_NOTES; i++)
        if (strstr(m->notes[i], needle))
            return true;
    return false;
}

static lp_status load(const char *spec, const lp_model_load_opts *opts, lp_model *m, lp_error *e) {
    lp_error_clear(e);
    lp_status st = lp_model_load(spec, opts, m, e);
    if (st != LP_OK)
        print_message("lp_model_load(%s): %s\n", spec, e->message);
    return st;
}

/* A fake HF cache: <g_dir>/hub/models--testorg--TinyLlama with snapshots abc123 (2 layers,
 * safetensors; refs/main) and def456 (3 layers, config only; refs/v1). */
static void make_cache(char *hub, size_t size) {
    char path[1024];
    snprintf(hub, size, "%s/hub", g_dir);
    snprintf(path, sizeof path, "%s/models--testorg--TinyLlama/snapshots/abc123", hub);
    write_tiny_model(path, 2);
    snprintf(path, sizeof path, "%s/models--testorg--TinyLlama/snapshots/def456", hub);
    write_config(path, 3);
    snprintf(path, sizeof path, "%s/models--testorg--TinyLlama/refs", hub);
    write_text(path, "main", "abc123\n");
    write_text(path, "v1", "def456");
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_model_dir_exact(void **state) {
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tiny", g_dir);
    write_tiny_model(dir, 2);
    lp_model m;
    lp_error e;
    assert_int_equal(load(dir, NULL, &m, &e), LP_OK);
    assert_string_equal(m.source, "model-dir");
    assert_string_equal(m.id, dir);
    assert_int_equal(m.num_layers, 2);
    assert_true(m.params_exact);
    assert_int_equal(m.params_total, TINY_PARAMS);
    assert_int_equal(m.params_active, TINY_PARAMS);
    assert_int_equal(m.checkpoint_bytes, TINY_BYTES);
    assert_true(has_note(&m, "parameters counted from safetensors headers (1 shard)"));
    /* The architecture formula (config.c) agrees with the headers for this exact Llama. */
    assert_false(has_note(&m, "differs"));

    /* no_safetensors: architecture count only. */
    lp_model_load_opts opts = {0};
    opts.no_safetensors = true;
    assert_int_equal(load(dir, &opts, &m, &e), LP_OK);
    assert_false(m.params_exact);
    assert_int_equal(m.checkpoint_bytes, 0);

    /* The config.json file itself: the config, no headers. */
    char config[1100];
    snprintf(config, sizeof config, "%s/config.json", dir);
    assert_int_equal(load(config, NULL, &m, &e), LP_OK);
    assert_false(m.params_exact);
    assert_int_equal(m.num_layers, 2);
}

/*
 * Safetensors hold one more decoder layer (model.layers.2, 496 params) than the config's
 * num_hidden_layers = 2: an MTP layer. It is excluded from params_total and reported as
 * params_mtp; the bytes still count every tensor: 2512 + 2 * 496 = 3504.
 */
static void test_model_dir_mtp(void **state) {
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/mtp", g_dir);
    tensor_spec t[64];
    size_t n = tiny_tensors(t, 3);
    write_config(dir, 2);
    write_st(dir, "model.safetensors", t, n);
    lp_model m;
    lp_error e;
    assert_int_equal(load(dir, NULL, &m, &e), LP_OK);
    assert_true(m.params_exact);
    assert_int_equal(m.params_total, TINY_PARAMS);
    assert_int_equal(m.params_mtp, 496);
    assert_int_equal(m.checkpoint_bytes, TINY_BYTES + 2 * 496);
}

/* Headers without lm_head.weight (1128 = 1256 - 128): the header count wins, noted. */
static void test_model_dir_differs(void **state) {
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/nohead", g_dir);
    tensor_spec t[64];
    size_t n = tiny_tensors(t, 2);
    write_config(dir, 2);
    write_st(dir, "model.safetensors", t, n - 1);
    lp_model m;
    lp_error e;
    assert_int_equal(load(dir, NULL, &m, &e), LP_OK);
    assert_true(m.params_exact);
    assert_int_equal(m.params_total, TINY_PARAMS - 128);
    assert_true(has_note(&m, "by -128"));
}

/* Two shards through an index: same totals, "(2 shards)". */
static void test_model_dir_sharded(void **state) {
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/sharded", g_dir);
    tensor_spec t[64];
    size_t n = tiny_tensors(t, 2);
    write_config(dir, 2);
    size_t half = n / 2;
    write_st(dir, "model-00001-of-00002.safetensors", t, half);
    write_st(dir, "model-00002-of-00002.safetensors", t + half, n - half);
    char index[8192];
    size_t w = (size_t)snprintf(index, sizeof index,
                                "{\"metadata\":{\"total_size\":%d},"
                                "\"weight_map\":{",
                                TINY_BYTES);
    for (size_t i = 0; i < n; i++)
        w += (size_t)snprintf(index + w, sizeof index - w,
                              "%s\"%s\":\"model-0000%d-of-00002.safetensors\"", i ? "," : "",
                              t[i].name, i < half ? 1 : 2);
    snprintf(index + w, sizeof index - w, "}}");
    write_text(dir, "model.safetensors.index.json", index);
    lp_model m;
    lp_error e;
    assert_int_equal(load(dir, NULL, &m, &e), LP_OK);
    assert_true(m.params_exact);
    assert_int_equal(m.params_total, TINY_PARAMS);
    assert_int_equal(m.checkpoint_bytes, TINY_BYTES);
    assert_true(has_note(&m, "(2 shards)"));

    /* A shard gone missing is an error naming it, not a silent fallback. */
    char shard[1100];
    snprintf(shard, sizeof shard, "%s/model-00002-of-00002.safetensors", dir);
    unlink(shard);
    assert_int_equal(lp_model_load(dir, NULL, &m, &e), LP_ERR_NOT_FOUND);
    assert_non_null(strstr(e.message, "model-00002-of-00002.safetensors"));
}

/* A model directory without weights keeps the architecture count. */
static void test_model_dir_no_weights(void **state) {
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/cfgonly", g_dir);
    write_config(dir, 2);
    lp_model m;
    lp_error e;
    assert_int_equal(load(dir, NULL, &m, &e), LP_OK);
    assert_string_equal(m.source, "model-dir");
    assert_false(m.params_exact);
    assert_int_equal(m.checkpoint_bytes, 0);
}

/* A corrupt header in a model directory is reported, naming the file. */
static void test_model_dir_corrupt(void **state) {
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/corrupt", g_dir);
    write_config(dir, 2);
    /* Header length 64, but the file ends after one byte of it. */
    char path[1100];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite("\x40\0\0\0\0\0\0\0{", 1, 9, f), 9);
    fclose(f);
    lp_model m;
    lp_error e;
    assert_int_equal(lp_model_load(dir, NULL, &m, &e), LP_ERR_PARSE);
    assert_non_null(strstr(e.message, "model.safetensors"));
    assert_non_null(strstr(e.message, "truncated"));
}

static void test_hf_cache_opts(void **state) {
    (void)state;
    char hub[1024];
    make_cache(hub, sizeof hub);
    lp_model_load_opts opts = {0};
    opts.hf_hub_cache = hub;
    lp_model m;
    lp_error e;
    assert_int_equal(load("testorg/TinyLlama", &opts, &m, &e), LP_OK);
    assert_string_equal(m.source, "hf-cache");
    assert_string_equal(m.id, "testorg/TinyLlama");
    assert_int_equal(m.num_layers, 2);
    assert_true(m.params_exact);
    assert_int_equal(m.params_total, TINY_PARAMS);

    /* The cache directory name is matched case-insensitively. */
    assert_int_equal(load("TestOrg/tinyllama", &opts, &m, &e), LP_OK);
    assert_string_equal(m.source, "hf-cache");
}

static void test_hf_cache_revision(void **state) {
    (void)state;
    char hub[1024];
    make_cache(hub, sizeof hub);
    lp_model_load_opts opts = {0};
    opts.hf_hub_cache = hub;
    lp_model m;
    lp_error e;
    /* A commit directory. */
    opts.revision = "def456";
    assert_int_equal(load("testorg/TinyLlama", &opts, &m, &e), LP_OK);
    assert_int_equal(m.num_layers, 3);
    assert_false(m.params_exact);
    /* A ref name (refs/v1 -> def456), with or without "refs/". */
    opts.revision = "v1";
    assert_int_equal(load("testorg/TinyLlama", &opts, &m, &e), LP_OK);
    assert_int_equal(m.num_layers, 3);
    opts.revision = "refs/main";
    assert_int_equal(load("testorg/TinyLlama", &opts, &m, &e), LP_OK);
    assert_int_equal(m.num_layers, 2);
    /* An absent revision is an error, not the catalog. */
    opts.revision = "0123beef";
    assert_int_equal(lp_model_load("testorg/TinyLlama", &opts, &m, &e), LP_ERR_NOT_FOUND);
    assert_non_null(strstr(e.message, "0123beef"));
    opts.revision = "../../etc";
    assert_int_equal(lp_model_load("testorg/TinyLlama", &opts, &m, &e), LP_ERR_INVALID_ARG);
}

/* No refs/main: the newest snapshot directory is used. */
static void test_hf_cache_newest(void **state) {
    (void)state;
    char hub[1024], old_dir[1100], new_dir[1100];
    snprintf(hub, sizeof hub, "%s/hub", g_dir);
    snprintf(old_dir, sizeof old_dir, "%s/models--testorg--Other/snapshots/zzz-old", hub);
    snprintf(new_dir, sizeof new_dir, "%s/models--testorg--Other/snapshots/aaa-new", hub);
    write_config(old_dir, 3);
    write_config(new_dir, 2);
    struct timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
    assert_int_equal(utimensat(AT_FDCWD, old_dir, times, 0), 0);
    times[0].tv_sec = times[1].tv_sec = 1700000000;
    assert_int_equal(utimensat(AT_FDCWD, new_dir, times, 0), 0);
    lp_model_load_opts opts = {0};
    opts.hf_hub_cache = hub;
    lp_model m;
    lp_error e;
    assert_int_equal(load("testorg/Other", &opts, &m, &e), LP_OK);
    assert_string_equal(m.source, "hf-cache");
    assert_int_equal(m.num_layers, 2);
}

static void save_env(const char *name, char *buf, size_t size, bool *had) {
    const char *v = getenv(name);
    *had = v != NULL;
    if (v)
        snprintf(buf, size, "%s", v);
}

static void restore_env(const char *name, const char *buf, bool had) {
    if (had)
        setenv(name, buf, 1);
    else
        unsetenv(name);
}

/* Found through $HF_HOME/hub, with no options; $HF_HUB_CACHE wins over $HF_HOME. */
static void test_hf_cache_env(void **state) {
    (void)state;
    char hub[1024];
    make_cache(hub, sizeof hub);
    char saved[3][1024];
    bool had[3];
    save_env("HF_HOME", saved[0], sizeof saved[0], &had[0]);
    save_env("HF_HUB_CACHE", saved[1], sizeof saved[1], &had[1]);
    save_env("HUGGINGFACE_HUB_CACHE", saved[2], sizeof saved[2], &had[2]);
    unsetenv("HF_HUB_CACHE");
    unsetenv("HUGGINGFACE_HUB_CACHE");
    setenv("HF_HOME", g_dir, 1);

    lp_model m;
    lp_error e;
    lp_status st1 = load("testorg/TinyLlama", NULL, &m, &e);
    bool exact1 = m.params_exact;
    char source1[32];
    snprintf(source1, sizeof source1, "%s", m.source);

    char empty[1100];
    snprintf(empty, sizeof empty, "%s/emptyhub", g_dir);
    mkdirs(empty);
    setenv("HF_HUB_CACHE", empty, 1);
    lp_status st2 = lp_model_load("testorg/TinyLlama", NULL, &m, &e);

    restore_env("HF_HOME", saved[0], had[0]);
    restore_env("HF_HUB_CACHE", saved[1], had[1]);
    restore_env("HUGGINGFACE_HUB_CACHE", saved[2], had[2]);

    assert_int_equal(st1, LP_OK);
    assert_string_equal(source1, "hf-cache");
    assert_true(exact1);
    /* Not in the cache HF_HUB_CACHE names, nor in the catalog. */
    assert_int_equal(st2, LP_ERR_NOT_FOUND);
}

static void test_missing_paths(void **state) {
    (void)state;
    lp_model m;
    lp_error e;
    char path[1100];
    snprintf(path, sizeof path, "%s/no/such/dir", g_dir);
    assert_int_equal(lp_model_load(path, NULL, &m, &e), LP_ERR_NOT_FOUND);
    assert_non_null(strstr(e.message, "no such file or directory"));
    assert_int_equal(lp_model_load("./no-such-model-dir", NULL, &m, &e), LP_ERR_NOT_FOUND);
    assert_non_null(strstr(e.message, "no such file or directory: ./no-such-model-dir"));
    assert_int_equal(lp_model_load("missing-config.json", NULL, &m, &e), LP_ERR_NOT_FOUND);
    assert_non_null(strstr(e.message, "no such file or directory"));
    /* An existing directory without config.json. */
    assert_int_equal(lp_model_load(g_dir, NULL, &m, &e), LP_ERR_NOT_FOUND);
    assert_non_null(strstr(e.message, "config.json"));
    assert_int_equal(lp_model_load("", NULL, &m, &e), LP_ERR_INVALID_ARG);
    assert_int_equal(lp_model_load(NULL, NULL, &m, &e), LP_ERR_INVALID_ARG);
}

/* HF ids not in the cache fall back to the catalog, whose errors are kept. */
static void test_catalog_fallback(void **state) {
    (void)state;
    char hub[1100];
    snprintf(hub, sizeof hub, "%s/emptyhub", g_dir);
    mkdirs(hub);
    lp_model_load_opts opts = {0};
    opts.hf_hub_cache = hub;
    lp_model m;
    lp_error e;
    assert_int_equal(load("meta-llama/Llama-3.1-8B-Instruct", &opts, &m, &e), LP_OK);
    assert_int_equal(lp_model_load("nobody/NoSuchModel-7B", &opts, &m, &e), LP_ERR_NOT_FOUND);
    assert_true(e.message[0] != '\0');
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_model_dir_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_model_dir_mtp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_model_dir_differs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_model_dir_sharded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_model_dir_no_weights, setup, teardown),
        cmocka_unit_test_setup_teardown(test_model_dir_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hf_cache_opts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hf_cache_revision, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hf_cache_newest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hf_cache_env, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_catalog_fallback, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
