/*
 * fuzz/fuzz_band_table.c - libFuzzer target for lp_band_table_parse (the error-band table of
 * data/bands.tsv).
 *
 * A table that parses is looked up again by every row's own class (which must find a row of
 * that class or a narrower one, with 0 < lo <= hi), and applied to a made-up estimate, so that
 * odd factors reach the ranges.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "llmplan/bands.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lp_band_table *t = NULL;
    lp_error err;
    lp_error_clear(&err);
    lp_status st = lp_band_table_parse((const char *)data, size, &t, &err);
    lp_fuzz_check_status(st, &err);
    if (st != LP_OK) {
        LP_FUZZ_CHECK(t == NULL);
        return 0;
    }
    LP_FUZZ_CHECK(t != NULL && t->n >= 0);
    LP_FUZZ_CHECK(memchr(t->origin, '\0', sizeof t->origin) != NULL);
    for (int i = 0; i < t->n; i++) {
        const lp_band *b = &t->bands[i];
        LP_FUZZ_CHECK(b->lo > 0 && b->lo <= b->hi && b->rows > 0 && b->groups > 0);
        int level = lp_band_level(b);
        LP_FUZZ_CHECK(level >= 0 && level < LP_BAND_LEVELS);
        LP_FUZZ_CHECK(memchr(b->family, '\0', sizeof b->family) != NULL);
        if (b->stat != LP_BAND_ANY && b->method != LP_BAND_ANY) {
            int found = -1;
            const lp_band *c = lp_band_lookup(t, b->metric, (lp_band_stat)b->stat, b->method,
                                              b->family, b->regime, &found);
            LP_FUZZ_CHECK(c != NULL && found >= 0 && found < LP_BAND_LEVELS);
        }
    }
    lp_perf_request req;
    lp_perf_request_init(&req);
    req.method = LP_SIMULATE;
    lp_perf_estimate e;
    memset(&e, 0, sizeof e);
    e.method = LP_SIMULATE;
    e.ttft_ms = (lp_stat){100, 90, 150, 200};
    e.output_tok_s = 1000;
    e.max_concurrent_requests = 10;
    lp_perf_apply_bands(t, &req, lp_efficiency_for(lp_fuzz_h100())->family, &e);
    LP_FUZZ_CHECK(e.n_assumptions <= LP_MAX_ASSUMPTIONS);
    LP_FUZZ_CHECK(!(e.ttft_band.mean.lo > e.ttft_band.mean.hi));
    lp_band_table_free(t);
    return 0;
}
