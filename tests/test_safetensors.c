/*
 * test_safetensors.c - safetensors header parsing and counting (src/model/safetensors.c).
 *
 * Every test writes real .safetensors files (8-byte little-endian length, JSON header padded
 * with spaces to a multiple of 8, zero bytes of tensor data) into a fresh temporary
 * directory. Expected counts are worked out by hand in the comments, from the format rules of
 * reference/model_configs.md §6.1 and the counting rules of §6.4.
 */
#include "support/lp_test.h"

#include "llmplan/model.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- fixtures ------------------------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *dtype;
    int ndim;
    int64_t shape[4];
} tensor_spec;

static char g_dir[512];

static int dtype_bits(const char *dtype) {
    if (strcmp(dtype, "F4") == 0)
        return 4;
    if (strncmp(dtype, "F6_", 3) == 0)
        return 6;
    if (strcmp(dtype, "BF16") == 0 || strcmp(dtype, "F16") == 0)
        return 16;
    if (strcmp(dtype, "F32") == 0 || strcmp(dtype, "I32") == 0)
        return 32;
    if (strcmp(dtype, "I64") == 0 || strcmp(dtype, "F64") == 0)
        return 64;
    return 8;
}

static void path_in(char *buf, size_t size, const char *name) {
    snprintf(buf, size, "%s/%s", g_dir, name);
}

/* Write prefix N (as given), header text padded to a multiple of 8, then data_bytes zeros. */
static void write_raw(const char *name, uint64_t declared_n, const char *header, bool pad,
                      int64_t data_bytes) {
    char path[1024];
    path_in(path, sizeof path, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    size_t len = strlen(header);
    size_t padded = pad ? (len + 7) / 8 * 8 : len;
    if (declared_n == UINT64_MAX)
        declared_n = padded;
    unsigned char prefix[8];
    for (int i = 0; i < 8; i++)
        prefix[i] = (unsigned char)(declared_n >> (8 * i));
    assert_int_equal(fwrite(prefix, 1, 8, f), 8);
    assert_int_equal(fwrite(header, 1, len, f), len);
    for (size_t i = len; i < padded; i++)
        fputc(' ', f);
    for (int64_t i = 0; i < data_bytes; i++)
        fputc(0, f);
    fclose(f);
}

/* Write a valid safetensors file holding the tensors, contiguous from offset 0. */
static void write_st(const char *name, const tensor_spec *t, size_t n) {
    size_t cap = 256 + n * 256;
    char *h = malloc(cap);
    assert_non_null(h);
    size_t w = (size_t)snprintf(h, cap, "{\"__metadata__\":{\"format\":\"pt\"}");
    int64_t off = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t el = 1;
        w += (size_t)snprintf(h + w, cap - w, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[", t[i].name,
                              t[i].dtype);
        for (int d = 0; d < t[i].ndim; d++) {
            el *= t[i].shape[d];
            w += (size_t)snprintf(h + w, cap - w, "%s%" PRId64, d ? "," : "", t[i].shape[d]);
        }
        int64_t bits = el * dtype_bits(t[i].dtype);
        int64_t bytes = bits / 8 + (bits % 8 != 0);
        w += (size_t)snprintf(h + w, cap - w, "],\"data_offsets\":[%" PRId64 ",%" PRId64 "]}", off,
                              off + bytes);
        off += bytes;
    }
    snprintf(h + w, cap - w, "}");
    write_raw(name, UINT64_MAX, h, true, off);
    free(h);
}

static int setup(void **state) {
    (void)state;
    return lp_test_make_temp_dir(g_dir, sizeof g_dir, "lp_st") ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    return lp_test_remove_tree(g_dir);
}

static lp_status read_one(const char *name, int64_t num_layers, lp_st_summary *s, lp_error *e) {
    char path[1024];
    path_in(path, sizeof path, name);
    return lp_safetensors_read_file(path, num_layers, s, e);
}

/* Expect a clean failure with code and a message containing needle; sum untouched. */
static void expect_file_error(const char *name, lp_status code, const char *needle) {
    lp_st_summary s = {0};
    lp_error e;
    lp_error_clear(&e);
    lp_status st = read_one(name, 0, &s, &e);
    if (st != code || strstr(e.message, needle) == NULL)
        fail_msg("%s: got status %d \"%s\", expected %d containing \"%s\"", name, st, e.message,
                 code, needle);
    assert_int_equal(e.code, code);
    assert_int_equal(s.tensors, 0);
    assert_int_equal(s.elements, 0);
}

/* ---- valid checkpoints ------------------------------------------------------------------ */

/*
 * embed [10,4] = 40 el, 80 B; q_proj [4,4] = 16 el, 32 B; layernorm [4] = 4 el, 8 B;
 * norm [4] = 4 el, 8 B; lm_head [10,4] = 40 el, 80 B; F32 scalar [] = 1 el, 4 B;
 * empty [0,4] = 0 el, 0 B. Tensors 7, elements 105, bytes 212, all logical.
 */
static const tensor_spec bf16_model[] = {
    {"model.embed_tokens.weight", "BF16", 2, {10, 4}},
    {"model.layers.0.self_attn.q_proj.weight", "BF16", 2, {4, 4}},
    {"model.layers.0.input_layernorm.weight", "BF16", 1, {4}},
    {"model.norm.weight", "BF16", 1, {4}},
    {"lm_head.weight", "BF16", 2, {10, 4}},
    {"model.scalar", "F32", 0, {0}},
    {"model.empty", "BF16", 2, {0, 4}},
};

static void test_bf16_file(void **state) {
    (void)state;
    write_st("model.safetensors", bf16_model, sizeof bf16_model / sizeof bf16_model[0]);
    lp_st_summary s = {0};
    lp_error e;
    assert_int_equal(read_one("model.safetensors", 1, &s, &e), LP_OK);
    assert_int_equal(s.tensors, 7);
    assert_int_equal(s.elements, 105);
    assert_int_equal(s.bytes, 212);
    assert_int_equal(s.logical_params, 105);
    assert_int_equal(s.vision_elements, 0);
    assert_int_equal(s.mtp_elements, 0);
    assert_int_equal(s.files, 1);

    /* The same counts from memory; a second call adds to the first. */
    char path[1024];
    path_in(path, sizeof path, "model.safetensors");
    size_t len;
    char *buf = lp_test_read_file(path, &len);
    assert_int_equal(lp_safetensors_parse_header((const unsigned char *)buf, len, 1, &s, &e),
                     LP_OK);
    assert_int_equal(s.tensors, 14);
    assert_int_equal(s.elements, 210);
    assert_int_equal(s.bytes, 424);

    /* Only the header is needed in memory: 8 + N bytes. */
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = (n << 8) | (unsigned char)buf[i];
    lp_st_summary h = {0};
    assert_int_equal(
        lp_safetensors_parse_header((const unsigned char *)buf, 8 + (size_t)n, 1, &h, &e), LP_OK);
    assert_int_equal(h.elements, 105);

    /* Every shorter prefix fails cleanly (never reads past len, never crashes). */
    for (size_t cut = 0; cut < 8 + (size_t)n; cut++) {
        lp_st_summary t = {0};
        assert_int_equal(lp_safetensors_parse_header((const unsigned char *)buf, cut, 1, &t, &e),
                         LP_ERR_PARSE);
        assert_int_equal(t.tensors, 0);
    }
    free(buf);

    /* read_dir picks up model.safetensors. */
    lp_st_summary d = {0};
    assert_int_equal(lp_safetensors_read_dir(g_dir, 1, &d, &e), LP_OK);
    assert_int_equal(d.elements, 105);
    assert_int_equal(d.files, 1);
}

/*
 * Shard 1: embed [8,4] = 32 el, 64 B; layers.0 up_proj [6,4] = 24 el, 48 B.
 * Shard 2: layers.1 up_proj [6,4] = 24 el, 48 B; lm_head [8,4] = 32 el, 64 B.
 * Index total: 4 tensors, 112 elements, 224 bytes, 2 files. A stray extra.safetensors that
 * the index does not name must be ignored.
 */
static void test_sharded_index(void **state) {
    (void)state;
    const tensor_spec s1[] = {{"model.embed_tokens.weight", "BF16", 2, {8, 4}},
                              {"model.layers.0.mlp.up_proj.weight", "BF16", 2, {6, 4}}};
    const tensor_spec s2[] = {{"model.layers.1.mlp.up_proj.weight", "BF16", 2, {6, 4}},
                              {"lm_head.weight", "BF16", 2, {8, 4}}};
    const tensor_spec stray[] = {{"stray.weight", "BF16", 1, {1000}}};
    write_st("model-00001-of-00002.safetensors", s1, 2);
    write_st("model-00002-of-00002.safetensors", s2, 2);
    write_st("extra.safetensors", stray, 1);
    char path[1024];
    path_in(path, sizeof path, "model.safetensors.index.json");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"metadata\": {\"total_size\": 224}, \"weight_map\": {\n"
          "  \"lm_head.weight\": \"model-00002-of-00002.safetensors\",\n"
          "  \"model.embed_tokens.weight\": \"model-00001-of-00002.safetensors\",\n"
          "  \"model.layers.0.mlp.up_proj.weight\": \"model-00001-of-00002.safetensors\",\n"
          "  \"model.layers.1.mlp.up_proj.weight\": \"model-00002-of-00002.safetensors\"}}\n",
          f);
    fclose(f);
    lp_st_summary s = {0};
    lp_error e;
    assert_int_equal(lp_safetensors_read_dir(g_dir, 2, &s, &e), LP_OK);
    assert_int_equal(s.tensors, 4);
    assert_int_equal(s.elements, 112);
    assert_int_equal(s.bytes, 224);
    assert_int_equal(s.logical_params, 112);
    assert_int_equal(s.files, 2);
}

/* Without an index or model.safetensors: every *.safetensors, each once. a: 4 el, b: 6 el. */
static void test_dir_glob(void **state) {
    (void)state;
    const tensor_spec a[] = {{"a.weight", "F16", 1, {4}}};
    const tensor_spec b[] = {{"b.weight", "F32", 2, {2, 3}}};
    write_st("b.safetensors", b, 1);
    write_st("a.safetensors", a, 1);
    lp_st_summary s = {0};
    lp_error e;
    assert_int_equal(lp_safetensors_read_dir(g_dir, 0, &s, &e), LP_OK);
    assert_int_equal(s.tensors, 2);
    assert_int_equal(s.elements, 10);
    assert_int_equal(s.bytes, 8 + 24);
    assert_int_equal(s.files, 2);
}

static void test_dir_empty(void **state) {
    (void)state;
    lp_st_summary s = {0};
    lp_error e;
    assert_int_equal(lp_safetensors_read_dir(g_dir, 0, &s, &e), LP_ERR_NOT_FOUND);
    assert_non_null(strstr(e.message, "no safetensors"));
    assert_int_equal(s.files, 0);
}

/*
 * gpt-oss MXFP4 (§6.4): gate_up_proj_blocks U8 [2,8,2,16] = 512 el, 512 B -> 1024 logical;
 * gate_up_proj_scales U8 [2,8,2] = 32 el, 32 B -> dropped; gate_up_proj_bias BF16 [2,8] =
 * 16 el, 32 B; sinks BF16 [4] = 4 el, 8 B.
 * Tensors 4, elements 564, bytes 584, logical 1024 + 16 + 4 = 1044.
 */
static void test_mxfp4(void **state) {
    (void)state;
    const tensor_spec t[] = {
        {"model.layers.0.mlp.experts.gate_up_proj_blocks", "U8", 4, {2, 8, 2, 16}},
        {"model.layers.0.mlp.experts.gate_up_proj_scales", "U8", 3, {2, 8, 2}},
        {"model.layers.0.mlp.experts.gate_up_proj_bias", "BF16", 2, {2, 8}},
        {"model.layers.0.self_attn.sinks", "BF16", 1, {4}},
    };
    write_st("model.safetensors", t, 4);
    lp_st_summary s = {0};
    lp_error e;
    assert_int_equal(read_one("model.safetensors", 1, &s, &e), LP_OK);
    assert_int_equal(s.tensors, 4);
    assert_int_equal(s.elements, 564);
    assert_int_equal(s.bytes, 584);
    assert_int_equal(s.logical_params, 1044);
}

/*
 * Sub-byte dtypes are packed and rounded up to whole bytes: F4 [3] = 12 bits -> 2 B;
 * F6_E2M3 [5] = 30 bits -> 4 B; F6_E3M2 [4] = 24 bits -> 3 B. Elements 12, bytes 9, each
 * element one logical value.
 */
static void test_sub_byte(void **state) {
    (void)state;
    const tensor_spec t[] = {
        {"x.f4", "F4", 1, {3}}, {"x.f6a", "F6_E2M3", 1, {5}}, {"x.f6b", "F6_E3M2", 2, {2, 2}}};
    write_st("model.safetensors", t, 3);
    lp_st_summary s = {0};
    lp_error e;
    assert_int_equal(read_one("model.safetensors", 0, &s, &e), LP_OK);
    assert_int_equal(s.elements, 12);
    assert_int_equal(s.bytes, 9);
    assert_int_equal(s.logical_params, 12);
}

/*
 * DeepSeek-style block FP8 (§6.4): down_proj.weight F8_E4M3 [128,256] = 32768 el, 32768 B;
 * weight_scale_inv F32 [1,2] = 2 el, 8 B (dropped); input_layernorm BF16 [256] = 256 el,
 * 512 B; k_proj.input_scale F32 [] = 1 el, 4 B (dropped); k_proj.weight_scale F32 [] = 1 el,
 * 4 B (dropped). Tensors 5, elements 33028, bytes 33296, logical 32768 + 256 = 33024.
 */
static void test_fp8_scales(void **state) {
    (void)state;
    const tensor_spec t[] = {
        {"model.layers.0.mlp.down_proj.weight", "F8_E4M3", 2, {128, 256}},
        {"model.layers.0.mlp.down_proj.weight_scale_inv", "F32", 2, {1, 2}},
        {"model.layers.0.input_layernorm.weight", "BF16", 1, {256}},
        {"model.layers.0.self_attn.k_proj.input_scale", "F32", 0, {0}},
        {"model.layers.0.self_attn.k_proj.weight_scale", "F32", 0, {0}},
    };
    write_st("model.safetensors", t, 5);
    lp_st_summary s = {0};
    lp_error e;
    assert_int_equal(read_one("model.safetensors", 1, &s, &e), LP_OK);
    assert_int_equal(s.tensors, 5);
    assert_int_equal(s.elements, 33028);
    assert_int_equal(s.bytes, 33296);
    assert_int_equal(s.logical_params, 33024);
}

/*
 * GPTQ 4-bit, group 32, in = 64, out = 16 (§6.4): qweight I32 [8,16] = 128 el, 512 B ->
 * 128 * 8 = 1024 = 64 * 16 logical; qzeros I32 [2,2] = 4 el, 16 B; scales F16 [2,16] =
 * 32 el, 64 B; g_idx I32 [64] = 64 el, 256 B (all three dropped); bias F16 [16] = 16 el,
 * 32 B. Tensors 5, elements 244, bytes 880, logical 1040.
 */
static void test_gptq(void **state) {
    (void)state;
    const tensor_spec t[] = {
        {"model.layers.0.self_attn.q_proj.qweight", "I32", 2, {8, 16}},
        {"model.layers.0.self_attn.q_proj.qzeros", "I32", 2, {2, 2}},
        {"model.layers.0.self_attn.q_proj.scales", "F16", 2, {2, 16}},
        {"model.layers.0.self_attn.q_proj.g_idx", "I32", 1, {64}},
        {"model.layers.0.self_attn.q_proj.bias", "F16", 1, {16}},
    };
    write_st("model.safetensors", t, 5);
    lp_st_summary s = {0};
    lp_error e;
    assert_int_equal(read_one("model.safetensors", 1, &s, &e), LP_OK);
    assert_int_equal(s.tensors, 5);
    assert_int_equal(s.elements, 244);
    assert_int_equal(s.bytes, 880);
    assert_int_equal(s.logical_params, 1040);
}

/*
 * bitsandbytes nf4 (§6.4): weight U8 [32,1] = 32 el -> 64 logical; weight.absmax F32 [2],
 * weight.quant_map F32 [16], weight.quant_state.bitsandbytes__nf4 U8 [10] dropped; norm BF16
 * [8] = 8. Elements 68, logical 72.
 */
static void test_bnb4(void **state) {
    (void)state;
    const tensor_spec t[] = {
        {"model.layers.0.mlp.up_proj.weight", "U8", 2, {32, 1}},
        {"model.layers.0.mlp.up_proj.weight.absmax", "F32", 1, {2}},
        {"model.layers.0.mlp.up_proj.weight.quant_map", "F32", 1, {16}},
        {"model.layers.0.mlp.up_proj.weight.quant_state.bitsandbytes__nf4", "U8", 1, {10}},
        {"model.norm.weight", "BF16", 1, {8}},
    };
    write_st("model.safetensors", t, 5);
    lp_st_summary s = {0};
    lp_error e;
    assert_int_equal(read_one("model.safetensors", 1, &s, &e), LP_OK);
    assert_int_equal(s.elements, 68);
    assert_int_equal(s.logical_params, 72);
}

/*
 * num_layers = 2. Decoder layers 0 and 1: 16 + 16 (+1 under language_model.model.layers.1).
 * MTP: model.layers.2 [4,4] = 16, model.layers.10 [2] = 2, mtp.layers.0 [7] = 7 -> 25.
 * Vision: vision_tower.* [3,4] = 12, model.visual.* [5] = 5, multi_modal_projector.* [2,3] =
 * 6, language_model.vision_model.* [1] = 1 -> 24. Elements 16*3 + 2 + 24 + 1 + 7 = 82.
 * With num_layers = 0 only the mtp. prefix is known to be MTP: 7.
 */
static void test_vision_mtp(void **state) {
    (void)state;
    const tensor_spec t[] = {
        {"model.layers.0.x.weight", "BF16", 2, {4, 4}},
        {"model.layers.1.x.weight", "BF16", 2, {4, 4}},
        {"model.layers.2.x.weight", "BF16", 2, {4, 4}},
        {"model.layers.10.y.weight", "BF16", 1, {2}},
        {"vision_tower.vision_model.encoder.w", "BF16", 2, {3, 4}},
        {"model.visual.blocks.0.w", "BF16", 1, {5}},
        {"multi_modal_projector.linear.weight", "BF16", 2, {2, 3}},
        {"language_model.vision_model.z", "BF16", 1, {1}},
        {"language_model.model.layers.1.w", "BF16", 1, {1}},
        {"mtp.layers.0.w", "BF16", 1, {7}},
    };
    write_st("model.safetensors", t, 10);
    lp_st_summary s = {0};
    lp_error e;
    assert_int_equal(read_one("model.safetensors", 2, &s, &e), LP_OK);
    assert_int_equal(s.elements, 82);
    assert_int_equal(s.logical_params, 82);
    assert_int_equal(s.vision_elements, 24);
    assert_int_equal(s.mtp_elements, 25);
    lp_st_summary z = {0};
    assert_int_equal(read_one("model.safetensors", 0, &z, &e), LP_OK);
    assert_int_equal(z.mtp_elements, 7);
}

/* ---- malformed files ---------------------------------------------------------------------- */

static void test_truncated_header(void **state) {
    (void)state;
    /* 8 + 16 = 24 bytes on disk, header length says 1000. */
    write_raw("t.safetensors", 1000, "{}              ", false, 0);
    expect_file_error("t.safetensors", LP_ERR_PARSE,
                      "truncated safetensors header: file has 24 bytes, header says 1000");
    char path[1024];
    path_in(path, sizeof path, "t.safetensors");
    size_t len;
    char *buf = lp_test_read_file(path, &len);
    lp_st_summary s = {0};
    lp_error e;
    assert_int_equal(lp_safetensors_parse_header((const unsigned char *)buf, len, 0, &s, &e),
                     LP_ERR_PARSE);
    assert_non_null(strstr(e.message, "header says 1000"));
    free(buf);
}

static void test_header_too_large(void **state) {
    (void)state;
    write_raw("big.safetensors", 100000001ULL, "{}", true, 0);
    expect_file_error("big.safetensors", LP_ERR_PARSE, "100,000,000");
    /* The largest u64 must not wrap any size arithmetic. */
    write_raw("max.safetensors", UINT64_MAX - 1, "{}", true, 0);
    expect_file_error("max.safetensors", LP_ERR_PARSE, "100,000,000");
}

static void test_not_json(void **state) {
    (void)state;
    write_raw("bad.safetensors", UINT64_MAX, "{\"a\": {\"dtype\": BF16}}", true, 0);
    expect_file_error("bad.safetensors", LP_ERR_PARSE, "line 1, column");
    write_raw("arr.safetensors", UINT64_MAX, "[1, 2]", true, 0);
    expect_file_error("arr.safetensors", LP_ERR_PARSE, "not a JSON object");
    write_raw("dup.safetensors", UINT64_MAX,
              "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
              "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}",
              true, 1);
    expect_file_error("dup.safetensors", LP_ERR_PARSE, "duplicate");
    write_raw("meta.safetensors", UINT64_MAX, "{\"__metadata__\":{\"format\":1}}", true, 0);
    expect_file_error("meta.safetensors", LP_ERR_PARSE, "__metadata__");
    /* NUL bytes instead of space padding. */
    char path[1024];
    path_in(path, sizeof path, "nul.safetensors");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite("\x08\0\0\0\0\0\0\0{}\0\0\0\0\0\0", 1, 16, f), 16);
    fclose(f);
    expect_file_error("nul.safetensors", LP_ERR_PARSE, "not valid JSON");
    write_raw("zero.safetensors", 0, "", false, 0);
    expect_file_error("zero.safetensors", LP_ERR_PARSE, "not valid JSON");
}

static void test_bad_tensors(void **state) {
    (void)state;
    write_raw("dtype.safetensors", UINT64_MAX,
              "{\"w\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,2]}}", true, 2);
    expect_file_error("dtype.safetensors", LP_ERR_PARSE, "unknown dtype \"Q7\"");
    write_raw("neg.safetensors", UINT64_MAX,
              "{\"w\":{\"dtype\":\"U8\",\"shape\":[-1,4],\"data_offsets\":[0,4]}}", true, 4);
    expect_file_error("neg.safetensors", LP_ERR_PARSE, "shape[0]");
    write_raw("float.safetensors", UINT64_MAX,
              "{\"w\":{\"dtype\":\"U8\",\"shape\":[2.0],\"data_offsets\":[0,2]}}", true, 2);
    expect_file_error("float.safetensors", LP_ERR_PARSE, "shape[0]");
    /* 2^32 * 2^32 * 4 elements overflow int64. */
    write_raw("huge.safetensors", UINT64_MAX,
              "{\"w\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296,4],"
              "\"data_offsets\":[0,4]}}",
              true, 4);
    expect_file_error("huge.safetensors", LP_ERR_PARSE, "overflow");
    /* 2^61 elements fit, but 2^61 * 64 bits does not. */
    write_raw("huge2.safetensors", UINT64_MAX,
              "{\"w\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],"
              "\"data_offsets\":[0,8]}}",
              true, 8);
    expect_file_error("huge2.safetensors", LP_ERR_PARSE, "overflow");
    /* BF16 [2,2] needs 8 bytes; offsets give 6. */
    write_raw("off.safetensors", UINT64_MAX,
              "{\"model.w\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[0,6]}}", true, 6);
    expect_file_error("off.safetensors", LP_ERR_PARSE, "tensor \"model.w\"");
    write_raw("rev.safetensors", UINT64_MAX,
              "{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,0]}}", true, 4);
    expect_file_error("rev.safetensors", LP_ERR_PARSE, "data_offsets");
    write_raw("noshape.safetensors", UINT64_MAX,
              "{\"w\":{\"dtype\":\"U8\",\"data_offsets\":[0,1]}}", true, 1);
    expect_file_error("noshape.safetensors", LP_ERR_PARSE, "shape");
    write_raw("notobj.safetensors", UINT64_MAX, "{\"w\":[1,2]}", true, 0);
    expect_file_error("notobj.safetensors", LP_ERR_PARSE, "tensor \"w\"");
    /* A gap between two tensors: [0,8) then [16,24). */
    write_raw("gap.safetensors", UINT64_MAX,
              "{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]},"
              "\"b\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[16,24]}}",
              true, 24);
    expect_file_error("gap.safetensors", LP_ERR_PARSE, "contiguous");
    /* Overlapping tensors. */
    write_raw("overlap.safetensors", UINT64_MAX,
              "{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]},"
              "\"b\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[4,12]}}",
              true, 12);
    expect_file_error("overlap.safetensors", LP_ERR_PARSE, "contiguous");
}

static void test_short_files(void **state) {
    (void)state;
    char path[1024];
    path_in(path, sizeof path, "empty.safetensors");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fclose(f);
    expect_file_error("empty.safetensors", LP_ERR_PARSE, "need at least 8");
    path_in(path, sizeof path, "five.safetensors");
    f = fopen(path, "wb");
    assert_non_null(f);
    fwrite("\x10\0\0\0\0", 1, 5, f);
    fclose(f);
    expect_file_error("five.safetensors", LP_ERR_PARSE, "need at least 8");
    /* A valid header whose data was cut short (interrupted download). */
    write_raw("data.safetensors", UINT64_MAX,
              "{\"w\":{\"dtype\":\"BF16\",\"shape\":[8],\"data_offsets\":[0,16]}}", true, 10);
    expect_file_error("data.safetensors", LP_ERR_PARSE, "only 10 follow");
    expect_file_error("absent.safetensors", LP_ERR_NOT_FOUND, "absent.safetensors");
    lp_st_summary s = {0};
    lp_error e;
    assert_int_equal(lp_safetensors_parse_header((const unsigned char *)"", 0, 0, &s, &e),
                     LP_ERR_PARSE);
    assert_int_equal(lp_safetensors_parse_header(NULL, 0, 0, &s, &e), LP_ERR_INVALID_ARG);
    assert_int_equal(lp_safetensors_read_file(g_dir, 0, &s, &e), LP_ERR_IO);
}

static void test_missing_shard(void **state) {
    (void)state;
    const tensor_spec s1[] = {{"a.weight", "BF16", 1, {4}}};
    write_st("model-00001-of-00002.safetensors", s1, 1);
    char path[1024];
    path_in(path, sizeof path, "model.safetensors.index.json");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"weight_map\": {\"a.weight\": \"model-00001-of-00002.safetensors\",\n"
          "  \"b.weight\": \"model-00002-of-00002.safetensors\"}}",
          f);
    fclose(f);
    lp_st_summary s = {0};
    lp_error e;
    assert_int_equal(lp_safetensors_read_dir(g_dir, 0, &s, &e), LP_ERR_NOT_FOUND);
    assert_non_null(strstr(e.message, "model-00002-of-00002.safetensors"));
    assert_int_equal(s.tensors, 0);

    /* A shard name leaving the directory is refused; a broken index names its line. */
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"weight_map\": {\"a.weight\": \"../outside.safetensors\"}}", f);
    fclose(f);
    assert_int_equal(lp_safetensors_read_dir(g_dir, 0, &s, &e), LP_ERR_PARSE);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"weight_map\": {\n\"a.weight\": 3}}", f);
    fclose(f);
    assert_int_equal(lp_safetensors_read_dir(g_dir, 0, &s, &e), LP_ERR_PARSE);
    assert_non_null(strstr(e.message, "a.weight"));
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"weight_map\": {\n,}}", f);
    fclose(f);
    assert_int_equal(lp_safetensors_read_dir(g_dir, 0, &s, &e), LP_ERR_PARSE);
    assert_non_null(strstr(e.message, "line 2"));
    assert_int_equal(s.tensors, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bf16_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sharded_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dir_glob, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dir_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mxfp4, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sub_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fp8_scales, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gptq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bnb4, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vision_mtp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_too_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_tensors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_shard, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
