/*
 * test_fuzz_regressions.c - replay every input that ever crashed a fuzz target, and every
 * seed, through the same entry points the fuzzers use (fuzz/fuzz_*.c, included here with
 * their LLVMFuzzerTestOneInput renamed).
 *
 * Inputs live in fuzz/regressions/<target>/ (one file each, named for the bug) and
 * fuzz/corpus/<target>/. A regression shows up as an abort from a sanitizer (CI runs this test
 * in the ASan+UBSan build too) or from a fuzz invariant; this file itself only checks that the
 * files are there to replay. It does not fuzz: `make fuzz` does.
 */
#include "support/lp_test.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LLVMFuzzerTestOneInput lp_fuzz_config_json
#include "../fuzz/fuzz_config_json.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput lp_fuzz_safetensors_header
#include "../fuzz/fuzz_safetensors_header.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput lp_fuzz_gpu_tsv
#include "../fuzz/fuzz_gpu_tsv.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput lp_fuzz_perf_request
#include "../fuzz/fuzz_perf_request.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput lp_fuzz_detect
#include "../fuzz/fuzz_detect.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput lp_fuzz_bench_import
#include "../fuzz/fuzz_bench_import.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput lp_fuzz_band_table
#include "../fuzz/fuzz_band_table.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput lp_fuzz_load_profile
#include "../fuzz/fuzz_load_profile.c"
#undef LLVMFuzzerTestOneInput

typedef int (*lp_fuzz_entry)(const uint8_t *data, size_t size);

/* Run every regular file of LP_SOURCE_DIR/fuzz/<kind>/<target>; returns how many ran. */
static size_t replay_dir(const char *kind, const char *target, lp_fuzz_entry entry) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/fuzz/%s/%s", LP_SOURCE_DIR, kind, target);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t ran = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len = 0;
        char *data = lp_test_read_file(path, &len);
        /* Exactly len bytes, as libFuzzer passes them: no NUL after the input to lean on. */
        uint8_t *copy = malloc(len ? len : 1);
        assert_non_null(copy);
        memcpy(copy, data, len);
        free(data);
        print_message("replay %s/%s/%s\n", kind, target, e->d_name);
        assert_int_equal(entry(copy, len), 0);
        free(copy);
        ran++;
    }
    closedir(d);
    return ran;
}

static void replay(const char *target, lp_fuzz_entry entry) {
    size_t seeds = replay_dir("corpus", target, entry);
    replay_dir("regressions", target, entry);
    if (seeds == 0)
        fail_msg("fuzz/corpus/%s holds no seed inputs", target);
}

static void test_config_json(void **state) {
    (void)state;
    replay("fuzz_config_json", lp_fuzz_config_json);
}

static void test_safetensors_header(void **state) {
    (void)state;
    replay("fuzz_safetensors_header", lp_fuzz_safetensors_header);
}

static void test_gpu_tsv(void **state) {
    (void)state;
    replay("fuzz_gpu_tsv", lp_fuzz_gpu_tsv);
}

static void test_perf_request(void **state) {
    (void)state;
    replay("fuzz_perf_request", lp_fuzz_perf_request);
}

static void test_detect(void **state) {
    (void)state;
    replay("fuzz_detect", lp_fuzz_detect);
}

static void test_load_profile(void **state) {
    (void)state;
    replay("fuzz_load_profile", lp_fuzz_load_profile);
}

static void test_bench_import(void **state) {
    (void)state;
    replay("fuzz_bench_import", lp_fuzz_bench_import);
}

static void test_band_table(void **state) {
    (void)state;
    replay("fuzz_band_table", lp_fuzz_band_table);
}

/* A huge usable_gib (1e38) is rejected by the GPU table parser instead of overflowing the plan. */
static void test_gpu_tsv_rejects_huge_numbers(void **state) {
    (void)state;
    const char *tsv = "name\tusable_gib\nY\t108888888888888888888888888888888888888.5\n";
    lp_gpu_db *db = NULL;
    lp_error err;
    lp_error_clear(&err);
    assert_int_equal(lp_gpu_db_parse_tsv(tsv, strlen(tsv), "y.tsv", &db, &err), LP_ERR_PARSE);
    assert_null(db);
    assert_non_null(strstr(err.message, "usable_gib"));
}

/*
 * A GPU whose memory is absurd (a detected 3.7e110 MiB, or NaN) is refused by the memory plan
 * instead of reaching an undefined double -> int64 conversion.
 */
static void test_plan_rejects_implausible_gpu_memory(void **state) {
    (void)state;
    lp_gpu gpu = *lp_fuzz_h100();
    lp_serving s;
    lp_serving_init(&s);
    static lp_mem_plan plan;
    const double bad[] = {3.7e110 / 1024.0, 1e38, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gpu.usable_gib = bad[i];
        lp_error err;
        lp_error_clear(&err);
        assert_int_equal(lp_mem_plan_compute(lp_fuzz_llama_8b(), &gpu, &s, &plan, &err),
                         LP_ERR_INVALID_ARG);
        assert_non_null(strstr(err.message, "not plausible"));
    }
}

/* A start-up log "count" that is no count (2.6e32 blocks) is not read, instead of overflowing. */
static void test_startup_log_ignores_impossible_counts(void **state) {
    (void)state;
    const char *log = "GPU KV cache size: 1,000 tokens\n"
                      "# GPU blocks: 265114000000000000000000000000000\n";
    static lp_startup_log out;
    lp_error err;
    lp_error_clear(&err);
    assert_int_equal(lp_startup_log_parse(log, strlen(log), "x.log", &out, &err), LP_OK);
    assert_int_equal(out.kv_tokens, 1000);
    assert_int_equal(out.gpu_blocks, -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_json),
        cmocka_unit_test(test_safetensors_header),
        cmocka_unit_test(test_gpu_tsv),
        cmocka_unit_test(test_load_profile),
        cmocka_unit_test(test_perf_request),
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_bench_import),
        cmocka_unit_test(test_band_table),
        cmocka_unit_test(test_gpu_tsv_rejects_huge_numbers),
        cmocka_unit_test(test_plan_rejects_implausible_gpu_memory),
        cmocka_unit_test(test_startup_log_ignores_impossible_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
