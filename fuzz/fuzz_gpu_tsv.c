/*
 * fuzz/fuzz_gpu_tsv.c - libFuzzer target for lp_gpu_db_parse_tsv (the GPU table format of
 * data/gpus.tsv and of user --gpu-db files).
 *
 * Rows that parse are looked up again by name through the forgiving matcher, and the first
 * few are used to plan Llama-3.1-8B, so that odd memory sizes, bandwidths and compute
 * capabilities reach the memory arithmetic.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Rows planned per input: enough to mix rows, few enough to keep executions fast. */
#define LP_FUZZ_GPU_ROWS_PLANNED 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lp_gpu_db *db = NULL;
    lp_error err;
    lp_error_clear(&err);
    lp_status st = lp_gpu_db_parse_tsv((const char *)data, size, "fuzz.tsv", &db, &err);
    lp_fuzz_check_status(st, &err);
    if (st != LP_OK) {
        LP_FUZZ_CHECK(db == NULL);
        return 0;
    }
    LP_FUZZ_CHECK(db != NULL);

    size_t n = lp_gpu_db_count(db);
    for (size_t i = 0; i < n; i++) {
        const lp_gpu *gpu = lp_gpu_db_at(db, i);
        LP_FUZZ_CHECK(gpu != NULL);
        LP_FUZZ_CHECK(memchr(gpu->name, '\0', sizeof gpu->name) != NULL);
        LP_FUZZ_CHECK(memchr(gpu->aliases, '\0', sizeof gpu->aliases) != NULL);
        (void)lp_gpu_supports_fp8(gpu);
        (void)lp_gpu_supports_bf16(gpu);
        (void)lp_gpu_supports_fp4(gpu);
        (void)lp_link_name(gpu->link);

        const lp_gpu *found = NULL;
        lp_error_clear(&err);
        lp_fuzz_check_status(lp_gpu_find(db, gpu->name, &found, &err), &err);
        if (i < LP_FUZZ_GPU_ROWS_PLANNED)
            lp_fuzz_plan(lp_fuzz_llama_8b(), gpu);
    }
    LP_FUZZ_CHECK(lp_gpu_db_at(db, n) == NULL);

    const lp_gpu *found = NULL;
    lp_error_clear(&err);
    lp_fuzz_check_status(lp_gpu_find(db, "H100", &found, &err), &err);
    lp_gpu_db_free(db);
    return 0;
}
