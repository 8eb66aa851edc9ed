/*
 * test_split.c - the fit/holdout split of validation rows (lp_validate_split_key,
 * lp_validate_is_holdout). Expected hashes come from the published FNV-1a 64 test vectors and
 * from an independent implementation (a few lines of Python over the same key text, run by
 * hand: h = 0xcbf29ce484222325; for each byte b: h = ((h ^ b) * 0x100000001b3) mod 2^64),
 * never from the code under test. The pinned rows are checked against the files in
 * ../shared/validation, so a changed row shows up here rather than as a silently moved split.
 */
#include "support/lp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmplan/validate.h"
#include "validate/tsv.h"

/* The FNV-1a 64 test vectors of its authors (isthe.com/chongo/src/fnv/test_fnv.c). */
static void test_fnv_vectors(void **state) {
    (void)state;
    assert_true(lp_validate_fnv1a64("") == 0xcbf29ce484222325ULL);
    assert_true(lp_validate_fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
    assert_true(lp_validate_fnv1a64("foobar") == 0x85944171f73967e8ULL);
}

/* One pinned row: the file, its line, the five cells and the group worked out by hand. */
typedef struct {
    const char *file;
    int line;
    const char *version_column;
    const char *source, *model, *gpu, *tp, *version;
    const char *key;
    unsigned long long hash;
    bool holdout; /* hash % 5 < 2 */
} pinned_row;

static const pinned_row PINNED[] = {
    {"serving_perf.tsv", 2, "engine_version",
     "sgl-project/sglang benchmark/benchmark_vllm_060/README.md "
     "@120affb9613cc3f5bcd055ec09c7621d3ced0ebc",
     "meta-llama/Llama-3.1-8B-Instruct", "A100 80GB", "1", "0.6.0",
     "sgl-project/sglang|meta-llama/llama-3.1-8b-instruct|a100 80gb|1|0.6.0", 0x3b171ea7da364106ULL,
     false}, /* % 5 = 2 */
    {"serving_perf.tsv", 62, "engine_version",
     "NVIDIA/TensorRT-LLM docs/source/performance/perf-overview.md "
     "@258c7540c03517def55d9a5aadfa9288af474e1b ('Online Serving Measurements' table)",
     "Llama 3.1 8B", "H100 80GB HBM3", "1", "0.14.0",
     "nvidia/tensorrt-llm|llama 3.1 8b|h100 80gb hbm3|1|0.14.0", 0xbe397decd4be4c55ULL,
     true}, /* % 5 = 1 */
    {"serving_perf.tsv", 202, "engine_version",
     "NVIDIA/TensorRT-LLM docs/source/performance/perf-overview.md "
     "@258c7540c03517def55d9a5aadfa9288af474e1b (v0.17 'Throughput Measurements' table)",
     "Llama-3.1 70B", "H100 80GB HBM3", "4", "0.17",
     "nvidia/tensorrt-llm|llama-3.1 70b|h100 80gb hbm3|4|0.17", 0x99af6953d50d5945ULL,
     true}, /* % 5 = 0 */
    {"serving_perf_2.tsv", 3, "engine_version",
     "IOG-Foundation/llm-inference-benchmarks "
     "results/vllm_200prompts16qps_DeepSeek-R1-Distill-Llama-70B_sharegpt_2xNVIDIA-H100-PCIe."
     "json @4990a807c6f1971edda635c18d98550059782eb8",
     "deepseek-ai/DeepSeek-R1-Distill-Llama-70B", "H100 PCIe 80GB", "2 (README: TP = all GPUs)",
     "0.8.5 (README: benchmark scripts from vLLM 0.8.5 release, docker "
     "vllm/vllm-openai:v0.8.5 suggested; server version not recorded in JSON)",
     "iog-foundation/llm-inference-benchmarks|deepseek-ai/deepseek-r1-distill-llama-70b|h100 "
     "pcie 80gb|2 (readme: tp = all gpus)|0.8.5",
     0x53cc905f085b4fe7ULL, true}, /* % 5 = 0 */
    {"serving_perf_2.tsv", 124, "engine_version",
     "QwenLM/Qwen2.5 docs/source/benchmark/speed_benchmark.rst "
     "@a912d239c2d0e2e5d10bb8d02e6f5685edb43e68",
     "Qwen/Qwen2.5-0.5B-Instruct", "A100 80GB", "1 (GPU Num; TP not named explicitly)", "0.6.3",
     "qwenlm/qwen2.5|qwen/qwen2.5-0.5b-instruct|a100 80gb|1 (gpu num; tp not named "
     "explicitly)|0.6.3",
     0xa583e8e7a5bc481bULL, true}, /* % 5 = 1 */
    {"serving_modes.tsv", 2, "engine_version",
     "kvcache-ai/Mooncake doc/en/vllm-benchmark-results-v0.1.md "
     "@c9fad6c84305e595e498b46ed69b02b247285062",
     "Qwen/Qwen2.5-7B-Instruct-GPTQ-Int4", "A10", "1",
     "0.6.2 + PR #8498 (kvcache-ai/vllm mooncake-integration branch)",
     "kvcache-ai/mooncake|qwen/qwen2.5-7b-instruct-gptq-int4|a10|1|0.6.2", 0x1bd3036aa39195c6ULL,
     false}, /* % 5 = 2 */
    {"kv_capacity.tsv", 2, "vllm_version",
     "llm-d-incubation/llm-d-planner docs/empirical-vllm-memory-results.md "
     "@e37bea29d9ea2ca88c9f98774e05faac52c9dbd1",
     "openai/gpt-oss-20b", "H100 80GB", "1",
     "v0.11.0 (vllm/vllm-openai:v0.11.0 image in the doc's replication recipe; explicitly "
     "stated only for the Mistral row)",
     "llm-d-incubation/llm-d-planner|openai/gpt-oss-20b|h100 80gb|1|v0.11.0", 0x3610ef32291583a8ULL,
     true}, /* % 5 = 0 */
};

#define N_PINNED (sizeof PINNED / sizeof PINNED[0])

/* The key, its hash and the split of each pinned row, from the cells written above. */
static void test_pinned_groups(void **state) {
    (void)state;
    for (size_t i = 0; i < N_PINNED; i++) {
        const pinned_row *p = &PINNED[i];
        char key[512];
        uint64_t h =
            lp_validate_split_key(p->source, p->model, p->gpu, p->tp, p->version, key, sizeof key);
        assert_string_equal(key, p->key);
        if (h != p->hash)
            fail_msg("%s:%d: hash %016llx, expected %016llx", p->file, p->line,
                     (unsigned long long)h, p->hash);
        assert_int_equal(lp_validate_is_holdout(p->source, p->model, p->gpu, p->tp, p->version),
                         p->holdout);
    }
}

/* A truncated key buffer still hashes the whole key; NULL cells are empty; leading blanks of
 * the source and version cells are skipped, the other cells are taken as written. */
static void test_key_edges(void **state) {
    (void)state;
    char small[8];
    const pinned_row *p = &PINNED[0];
    uint64_t h =
        lp_validate_split_key(p->source, p->model, p->gpu, p->tp, p->version, small, sizeof small);
    assert_true(h == p->hash);
    assert_string_equal(small, "sgl-pro");
    char key[64];
    /* "||||" by hand: 0xcbf29ce484222325 folded with four '|' bytes */
    h = lp_validate_split_key(NULL, NULL, NULL, NULL, NULL, key, sizeof key);
    assert_string_equal(key, "||||");
    assert_true(h == lp_validate_fnv1a64("||||"));
    h = lp_validate_split_key("  Repo/X more", "M", " G", "1", "\tV2 (x)", key, sizeof key);
    assert_string_equal(key, "repo/x|m| g|1|v2");
}

/* The pinned cells are those of the files' rows (column found by header name). */
static void test_pinned_rows_in_files(void **state) {
    (void)state;
    for (size_t i = 0; i < N_PINNED; i++) {
        const pinned_row *p = &PINNED[i];
        char rel[128], path[4096];
        snprintf(rel, sizeof rel, "validation/%s", p->file);
        lp_test_shared_path(rel, path, sizeof path);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        char *line = NULL, *cols[64];
        size_t cap = 0;
        int lineno = 0, n, colmap[5] = {-1, -1, -1, -1, -1};
        const char *names[5] = {"source", "model", "gpu", "tp", p->version_column};
        bool found = false;
        while ((n = lp_tsv_next(f, &line, &cap, &lineno, cols, 64)) > 0) {
            if (colmap[0] < 0) {
                lp_tsv_map_header(cols, n, names, 5, colmap);
                continue;
            }
            if (lineno != p->line)
                continue;
            char *cells[5];
            lp_tsv_pick(cols, n, colmap, 5, cells);
            assert_string_equal(cells[0], p->source);
            assert_string_equal(cells[1], p->model);
            assert_string_equal(cells[2], p->gpu);
            assert_string_equal(cells[3], p->tp);
            assert_string_equal(cells[4], p->version);
            found = true;
            break;
        }
        free(line);
        fclose(f);
        if (!found)
            fail_msg("%s: no line %d", p->file, p->line);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fnv_vectors),
        cmocka_unit_test(test_pinned_groups),
        cmocka_unit_test(test_key_edges),
        cmocka_unit_test(test_pinned_rows_in_files),
    };
    return cmocka_run_group_tests_name("fit/holdout split", tests, NULL, NULL);
}
