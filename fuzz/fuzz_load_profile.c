/*
 * fuzz/fuzz_load_profile.c - libFuzzer target for lp_load_profile_parse (the CSV of
 * `recommend --load-profile` and of a request's "load_profile" string).
 *
 * A profile that parses is a whole day of equal intervals with finite rates >= 0 and some
 * load; it is then sized for a deployment (replicas per interval), so that odd rates reach the
 * sizing arithmetic.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "llmplan/load_profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static lp_load_profile p;
    static lp_load_sizing z;
    lp_error err;
    lp_error_clear(&err);
    lp_status st = lp_load_profile_parse((const char *)data, size, "fuzz.csv", &p, &err);
    lp_fuzz_check_status(st, &err);
    if (st != LP_OK)
        return 0;
    LP_FUZZ_CHECK(p.n >= 1 && p.n <= LP_LOAD_PROFILE_MAX_INTERVALS && 1440 % p.n == 0);
    for (size_t i = 0; i < p.n; i++)
        LP_FUZZ_CHECK(isfinite(p.rate[i]) && p.rate[i] >= 0);
    LP_FUZZ_CHECK(lp_load_profile_peak(&p) > 0);
    lp_error_clear(&err);
    st = lp_load_profile_size(&p, 2.5, 2, 0.2, 1, 3.0, &z, &err);
    lp_fuzz_check_status(st, &err);
    if (st == LP_OK)
        for (size_t i = 0; i < z.n; i++)
            LP_FUZZ_CHECK(z.replicas[i] >= 1 && z.replicas[i] <= z.peak_replicas);
    return 0;
}
