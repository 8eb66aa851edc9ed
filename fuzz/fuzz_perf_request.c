/*
 * fuzz/fuzz_perf_request.c - libFuzzer target for lp_perf_request_from_json (one line of an
 * `llmplan estimate --batch` JSONL file).
 *
 * A request that parses is estimated, so that odd lengths, rates and parallel sizes reach
 * the heuristic, roofline and simulation arithmetic. Two things are changed first to keep
 * the target hermetic and fast: a model id is resolved from the embedded catalog only (never
 * as a path or from the Hugging Face cache), and the simulation is only run on small
 * workloads (larger ones use the roofline method, which costs the same for any size).
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "llmplan/perf.h"
#include "llmplan/perf_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Largest workload simulated per input: prompts x (input + output) tokens. */
#define LP_FUZZ_SIM_MAX_PROMPTS 8
#define LP_FUZZ_SIM_MAX_TOKENS 4096.0

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static lp_perf_io_strings strings;
    static lp_model model;
    static lp_perf_estimate est;
    lp_perf_request req;
    lp_error err;
    lp_error_clear(&err);
    lp_status st = lp_perf_request_from_json((const char *)data, size, &req, &strings, &err);
    lp_fuzz_check_status(st, &err);
    if (st != LP_OK)
        return 0;

    if (req.model_id) {
        lp_error_clear(&err);
        if (lp_catalog_load(req.model_id, &model, &err) != LP_OK)
            return 0;
        req.model = &model;
        req.model_id = NULL;
    }
    if (req.method == LP_SIMULATE &&
        (req.workload.num_prompts <= 0 || req.workload.num_prompts > LP_FUZZ_SIM_MAX_PROMPTS ||
         !(lp_len_mean(&req.workload.input) + lp_len_mean(&req.workload.output) <=
           LP_FUZZ_SIM_MAX_TOKENS)))
        req.method = LP_ROOFLINE;

    st = lp_estimate_performance(&req, &est);
    LP_FUZZ_CHECK(est.valid == (st == LP_OK));
    LP_FUZZ_CHECK(memchr(est.error, '\0', sizeof est.error) != NULL);
    LP_FUZZ_CHECK(est.n_assumptions >= 0 && est.n_assumptions <= LP_MAX_ASSUMPTIONS);
    return 0;
}
