/*
 * fuzz/fuzz_common.h - helpers shared by the libFuzzer targets in fuzz/ and by
 * tests/test_fuzz_regressions.c, which includes every target to replay saved inputs.
 *
 * Everything here is `static inline` so that several targets can be included into one
 * translation unit. A failed invariant aborts: under libFuzzer that is a finding, under the
 * regression test it is a failed test. Nothing here prints unless an invariant fails.
 */
#ifndef LP_FUZZ_COMMON_H
#define LP_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/status.h"

/** Abort with the failed condition when an invariant of a parser's contract does not hold. */
#define LP_FUZZ_CHECK(cond)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond);      \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/*
 * status.h's contract: a failing call fills the caller's lp_error with its code and a
 * one-sentence message; the message is always a terminated string.
 */
static inline void lp_fuzz_check_status(lp_status st, const lp_error *err) {
    LP_FUZZ_CHECK(memchr(err->message, '\0', sizeof err->message) != NULL);
    if (st != LP_OK) {
        LP_FUZZ_CHECK(err->code == st);
        LP_FUZZ_CHECK(err->message[0] != '\0');
    }
}

/** The embedded H100 SXM row (the GPU the next-stage checks plan on). */
static inline const lp_gpu *lp_fuzz_h100(void) {
    const lp_gpu *gpu = NULL;
    lp_error err;
    lp_error_clear(&err);
    LP_FUZZ_CHECK(lp_gpu_find(NULL, "H100", &gpu, &err) == LP_OK && gpu != NULL);
    return gpu;
}

/** Llama-3.1-8B from the embedded catalog, loaded once (the model GPU rows are planned for). */
static inline const lp_model *lp_fuzz_llama_8b(void) {
    static lp_model model;
    static bool loaded;
    if (!loaded) {
        lp_error err;
        lp_error_clear(&err);
        LP_FUZZ_CHECK(lp_catalog_load("meta-llama/Llama-3.1-8B-Instruct", &model, &err) == LP_OK);
        loaded = true;
    }
    return &model;
}

/*
 * Plan model m on gpu a few ways (vLLM defaults; TP 2 with an fp8 KV cache; auto-fit
 * max-model-len with suggestions) so that odd parsed values reach the memory arithmetic.
 * Only the error contract is checked: what the numbers should be is for test_mem.c.
 */
static inline void lp_fuzz_plan(const lp_model *m, const lp_gpu *gpu) {
    static lp_mem_plan plan;
    lp_error err;
    lp_serving s;

    lp_serving_init(&s);
    lp_error_clear(&err);
    lp_fuzz_check_status(lp_mem_plan_compute(m, gpu, &s, &plan, &err), &err);

    lp_serving_init(&s);
    s.tensor_parallel_size = 2;
    s.kv_cache_dtype = LP_DTYPE_FP8;
    lp_error_clear(&err);
    lp_fuzz_check_status(lp_mem_plan_compute(m, gpu, &s, &plan, &err), &err);

    lp_serving_init(&s);
    s.max_model_len = -1;
    lp_error_clear(&err);
    lp_fuzz_check_status(lp_mem_plan_with_suggestions(m, gpu, &s, NULL, &plan, &err), &err);
}

#endif
