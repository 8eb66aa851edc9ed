/*
 * fuzz/fuzz_safetensors_header.c - libFuzzer target for lp_safetensors_parse_header (the
 * 8-byte little-endian length and JSON header at the start of a .safetensors file).
 *
 * The input is the file's first bytes as they are on disk. Each input is read twice into
 * one summary, as the shards of one model are, once without a layer count and once with 32
 * layers (so model.layers.{>=32} counts as MTP); every count the parser accepts must stay
 * non-negative, i.e. no sum or product of shapes may overflow silently.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void lp_fuzz_check_summary(const lp_st_summary *s) {
    LP_FUZZ_CHECK(s->tensors >= 0 && s->elements >= 0 && s->bytes >= 0);
    LP_FUZZ_CHECK(s->logical_params >= 0 && s->vision_elements >= 0 && s->mtp_elements >= 0);
    LP_FUZZ_CHECK(s->files >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lp_st_summary sum;
    memset(&sum, 0, sizeof sum);
    const int64_t layers[2] = {0, 32};
    for (size_t i = 0; i < 2; i++) {
        lp_error err;
        lp_error_clear(&err);
        lp_status st = lp_safetensors_parse_header(data, size, layers[i], &sum, &err);
        lp_fuzz_check_status(st, &err);
        lp_fuzz_check_summary(&sum);
    }
    return 0;
}
