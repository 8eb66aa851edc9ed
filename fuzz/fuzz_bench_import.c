/*
 * fuzz/fuzz_bench_import.c - libFuzzer target for the readers of bench_import.h:
 * lp_bench_result_parse (a `vllm bench serve --save-result` JSON file) and
 * lp_startup_log_parse (the memory lines of a vLLM start-up log).
 *
 * Every input goes to both readers: result files and logs are both text, and a log line can
 * carry JSON (and a JSON string a log line), so one corpus serves both. What parses is read
 * back the way the comparison and calibration code reads it (percentile look-ups).
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "llmplan/bench_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void lp_fuzz_check_latency(const lp_bench_latency *l) {
    LP_FUZZ_CHECK(l->n_percentiles >= 0 && l->n_percentiles <= LP_BENCH_MAX_PERCENTILES);
    const double ps[] = {50.0, 90.0, 99.0, 99.9, 100.0, -1.0};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        (void)lp_bench_percentile(l, ps[i]);
    for (int i = 0; i < l->n_percentiles; i++)
        (void)lp_bench_percentile(l, l->percentile[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static lp_bench_result res;
    static lp_startup_log log;
    lp_error err;

    lp_error_clear(&err);
    lp_status st = lp_bench_result_parse((const char *)data, size, "fuzz.json", &res, &err);
    lp_fuzz_check_status(st, &err);
    if (st == LP_OK) {
        LP_FUZZ_CHECK(res.n_notes >= 0 && res.n_notes <= LP_BENCH_MAX_NOTES);
        LP_FUZZ_CHECK(memchr(res.model_id, '\0', sizeof res.model_id) != NULL);
        LP_FUZZ_CHECK(memchr(res.date, '\0', sizeof res.date) != NULL);
        LP_FUZZ_CHECK(memchr(res.backend, '\0', sizeof res.backend) != NULL);
        for (int i = 0; i < res.n_notes; i++)
            LP_FUZZ_CHECK(memchr(res.notes[i], '\0', LP_BENCH_NOTE_SIZE) != NULL);
        lp_fuzz_check_latency(&res.ttft);
        lp_fuzz_check_latency(&res.tpot);
        lp_fuzz_check_latency(&res.itl);
        lp_fuzz_check_latency(&res.e2el);
    }

    lp_error_clear(&err);
    st = lp_startup_log_parse((const char *)data, size, "fuzz.log", &log, &err);
    lp_fuzz_check_status(st, &err);
    if (st == LP_OK) {
        LP_FUZZ_CHECK(log.n_notes >= 0 && log.n_notes <= LP_BENCH_MAX_NOTES);
        LP_FUZZ_CHECK(log.lines_matched > 0 || log.failed);
        LP_FUZZ_CHECK(memchr(log.error, '\0', sizeof log.error) != NULL);
        LP_FUZZ_CHECK(!log.error[0] || log.failed);
        for (int i = 0; i < log.n_notes; i++)
            LP_FUZZ_CHECK(memchr(log.notes[i], '\0', LP_BENCH_NOTE_SIZE) != NULL);
    }
    return 0;
}
