/*
 * fuzz/fuzz_detect.c - libFuzzer target for the GPU-detection parsers of detect.h:
 * lp_detect_parse_smi_csv (nvidia-smi --query-gpu CSV), lp_detect_parse_topo (nvidia-smi
 * topo -m) and lp_detect_parse_rocm (rocm-smi JSON or CSV).
 *
 * The parsers read NUL-terminated text, so the input is cut at its first NUL byte: the part
 * before it goes to each of the three parsers on its own, and when the CSV parses, the part
 * after it is read as that machine's `topo -m` (as lp_detect_run does). Every result that
 * parses is matched against the GPU table, checked for free memory and NVLink, and, when it
 * names one GPU type, planned for Llama-3.1-8B, so odd memory sizes reach the arithmetic.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "llmplan/detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Everything a caller of a detection result does with it. */
static void lp_fuzz_detect_use(lp_detect_result *r) {
    LP_FUZZ_CHECK(r->n_gpus >= 0 && r->n_gpus <= LP_DETECT_MAX_GPUS);
    LP_FUZZ_CHECK(r->n_topo_gpus >= 0 && r->n_topo_gpus <= LP_DETECT_MAX_GPUS);
    LP_FUZZ_CHECK(r->n_notes >= 0 && r->n_notes <= LP_DETECT_MAX_NOTES);
    lp_detect_match(r, NULL);
    for (int i = 0; i < r->n_gpus; i++) {
        const lp_detected_gpu *g = &r->gpus[i];
        LP_FUZZ_CHECK(memchr(g->name, '\0', sizeof g->name) != NULL);
        LP_FUZZ_CHECK(memchr(g->match_error, '\0', sizeof g->match_error) != NULL);
        (void)lp_detect_torch_total_gib(g);
        (void)lp_detect_free_gib(g);
        (void)lp_detect_source_name(g->source);
    }
    int n_links = r->have_topology ? r->n_topo_gpus : 0;
    for (int i = 0; i < n_links; i++) {
        for (int j = 0; j < n_links; j++) {
            char buf[16];
            LP_FUZZ_CHECK(lp_topo_link_str(r->links[i][j], buf, sizeof buf) != NULL);
            LP_FUZZ_CHECK(memchr(buf, '\0', sizeof buf) != NULL);
        }
    }
    /* One GPU, all of them, and one more than detected (an error by contract). */
    const int used[3] = {1, r->n_gpus, r->n_gpus + 1};
    for (size_t k = 0; k < 3; k++) {
        char note[192];
        lp_error err;
        memset(note, 'x', sizeof note);
        lp_error_clear(&err);
        lp_status st = lp_detect_check_free(r, used[k], 0.9, note, sizeof note, &err);
        lp_fuzz_check_status(st, &err);
        if (st == LP_OK)
            LP_FUZZ_CHECK(memchr(note, '\0', sizeof note) != NULL);
        bool known = false;
        (void)lp_detect_all_nvlink(r, used[k], &known);
    }

    lp_gpu gpu;
    bool described = false;
    lp_error err;
    lp_error_clear(&err);
    lp_status st = lp_detect_gpu_type(r, &gpu, &described, &err);
    lp_fuzz_check_status(st, &err);
    if (st == LP_OK)
        lp_fuzz_plan(lp_fuzz_llama_8b(), &gpu);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static lp_detect_result r;
    const uint8_t *nul = memchr(data, '\0', size);
    size_t first_len = nul ? (size_t)(nul - data) : size;
    char *first = malloc(first_len + 1);
    LP_FUZZ_CHECK(first != NULL);
    memcpy(first, data, first_len);
    first[first_len] = '\0';
    const char *second = NULL;
    char *second_copy = NULL;
    if (nul) {
        size_t second_len = size - first_len - 1;
        second_copy = malloc(second_len + 1);
        LP_FUZZ_CHECK(second_copy != NULL);
        memcpy(second_copy, nul + 1, second_len);
        second_copy[second_len] = '\0';
        second = second_copy;
    }

    lp_error err;
    lp_error_clear(&err);
    lp_status st = lp_detect_parse_smi_csv(first, NULL, &r, &err);
    lp_fuzz_check_status(st, &err);
    if (st == LP_OK) {
        lp_fuzz_detect_use(&r);
        if (second) {
            lp_error_clear(&err);
            st = lp_detect_parse_topo(second, &r, &err);
            lp_fuzz_check_status(st, &err);
            if (st == LP_OK)
                lp_fuzz_detect_use(&r);
        }
    }

    lp_detect_result_init(&r);
    lp_error_clear(&err);
    st = lp_detect_parse_topo(first, &r, &err);
    lp_fuzz_check_status(st, &err);
    if (st == LP_OK)
        lp_fuzz_detect_use(&r);

    lp_error_clear(&err);
    st = lp_detect_parse_rocm(first, &r, &err);
    lp_fuzz_check_status(st, &err);
    if (st == LP_OK)
        lp_fuzz_detect_use(&r);

    free(second_copy);
    free(first);
    return 0;
}
