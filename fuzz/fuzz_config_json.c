/*
 * fuzz/fuzz_config_json.c - libFuzzer target for lp_model_from_config_json (a Hugging Face
 * config.json held in memory).
 *
 * A config that parses is carried on through the arithmetic that consumes it: parameter
 * counts, per-layer parameters and KV bytes, and memory plans on an H100, so that absurd but
 * syntactically valid values (2^62 layers' worth of heads, negative widths that slip past a
 * check) show up as overflow or out-of-bounds reports instead of wrong plans.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static lp_model m;
    lp_error err;
    lp_error_clear(&err);
    lp_status st = lp_model_from_config_json((const char *)data, size, "fuzz", &m, &err);
    lp_fuzz_check_status(st, &err);
    if (st != LP_OK)
        return 0;

    LP_FUZZ_CHECK(m.num_layers >= 0 && m.num_layers <= LP_MAX_LAYERS);
    LP_FUZZ_CHECK(m.n_notes >= 0 && m.n_notes <= LP_MODEL_MAX_NOTES);
    LP_FUZZ_CHECK(memchr(m.model_type, '\0', sizeof m.model_type) != NULL);
    LP_FUZZ_CHECK(memchr(m.architecture, '\0', sizeof m.architecture) != NULL);

    lp_model_count_params(&m);
    lp_param_breakdown b;
    lp_model_param_breakdown(&m, &b);
    for (int64_t i = 0; i < m.num_layers; i++) {
        lp_layer_params lp;
        lp_model_layer_params(&m, i, &lp);
        (void)lp_model_kv_bytes_per_token_layer(&m, i, LP_DTYPE_FP8);
    }
    (void)lp_model_kv_bytes_per_token(&m, LP_DTYPE_AUTO);
    int64_t counts[6];
    lp_model_layer_kind_counts(&m, counts);
    (void)lp_model_num_moe_layers(&m);

    lp_fuzz_plan(&m, lp_fuzz_h100());
    return 0;
}
