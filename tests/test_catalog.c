/*
 * test_catalog.c - the embedded model catalog: contents, lookup, variants, errors.
 *
 * Expected parameter totals are written here from ../shared/reference/model_configs.md §5
 * (each row names the HF id), independently of data/models/: the test checks that the
 * catalog's configs, read by the config.json parser, reproduce the published numbers
 * exactly, and that every entry's published_params agrees with this table.
 */
#include "support/lp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "llmplan/model.h"

typedef struct {
    const char *id;
    int64_t total;
} expected_total;

/* Published totals, model_configs.md §5 ("computed with §4 and equal to the published
 * number"); Mistral-Small: HF safetensors count as given in the catalog brief (text
 * 23,572,403,200 + pixtral 403,305,472 + projector 35,652,608). */
static const expected_total PUBLISHED[] = {
    {"meta-llama/Llama-2-7b-hf", INT64_C(6738415616)},
    {"meta-llama/Llama-2-13b-hf", INT64_C(13015864320)},
    {"meta-llama/Llama-2-70b-hf", INT64_C(68976648192)},
    {"meta-llama/Meta-Llama-3-8B", INT64_C(8030261248)}, /* "also Meta-Llama-3-8B" */
    {"meta-llama/Llama-3.1-8B", INT64_C(8030261248)},
    {"meta-llama/Llama-3.1-8B-Instruct", INT64_C(8030261248)},
    {"meta-llama/Llama-3.1-70B", INT64_C(70553706496)},
    {"meta-llama/Llama-3.1-70B-Instruct", INT64_C(70553706496)},
    {"meta-llama/Llama-3.3-70B-Instruct", INT64_C(70553706496)},
    {"meta-llama/Llama-3.1-405B", INT64_C(405853388800)},
    {"meta-llama/Llama-3.2-1B", INT64_C(1235814400)},
    {"meta-llama/Llama-3.2-3B", INT64_C(3212749824)},
    {"meta-llama/Llama-4-Scout-17B-16E-Instruct", INT64_C(108641793536)},     /* text + vision */
    {"meta-llama/Llama-4-Maverick-17B-128E-Instruct", INT64_C(401583781376)}, /* text + vision */
    {"mistralai/Mistral-7B-v0.1", INT64_C(7241732096)},
    {"mistralai/Mistral-7B-v0.3", INT64_C(7248023552)},
    {"mistralai/Mistral-Small-3.1-24B-Instruct-2503", INT64_C(24011361280)},
    {"mistralai/Mistral-Small-3.2-24B-Instruct-2506", INT64_C(24011361280)},
    {"mistralai/Mixtral-8x7B-v0.1", INT64_C(46702792704)},
    {"mistralai/Mixtral-8x22B-v0.1", INT64_C(140620634112)},
    {"Qwen/Qwen2.5-0.5B", INT64_C(494032768)},
    {"Qwen/Qwen2.5-7B", INT64_C(7615616512)},
    {"Qwen/Qwen2.5-72B", INT64_C(72706203648)},
    {"Qwen/Qwen3-8B", INT64_C(8190735360)},
    {"Qwen/Qwen3-32B", INT64_C(32762123264)},
    {"Qwen/Qwen3-30B-A3B", INT64_C(30532122624)},
    {"Qwen/Qwen3-235B-A22B", INT64_C(235093634560)},
    {"deepseek-ai/DeepSeek-V3", INT64_C(671026419200)}, /* main model, MTP layer excluded */
    {"deepseek-ai/DeepSeek-R1", INT64_C(671026419200)}, /* "DeepSeek-V3 (and R1)" */
    {"openai/gpt-oss-120b", INT64_C(116829156672)},     /* logical (MXFP4 unpacked) */
    {"openai/gpt-oss-20b", INT64_C(20914757184)},
    {"google/gemma-2-2b", INT64_C(2614341888)},
    {"google/gemma-2-9b", INT64_C(9241705984)},
    {"google/gemma-2-27b", INT64_C(27227128320)},
    {"google/gemma-3-1b-it", INT64_C(999885952)},
    {"google/gemma-3-4b-it", INT64_C(4300079472)}, /* text + SigLIP + projector */
    {"google/gemma-3-12b-it", INT64_C(12187325040)},
    {"google/gemma-3-27b-it", INT64_C(27432406640)},
    /* the tensor elements of the checkpoint's two safetensors shards (1,188 tensors) */
    {"google/gemma-4-31B-it", INT64_C(31273088876)},
    {"microsoft/Phi-3-mini-4k-instruct", INT64_C(3821079552)},
    {"microsoft/phi-4", INT64_C(14659507200)},
    {"tiiuae/falcon-7b", INT64_C(6921720704)},
    {"Qwen/Qwen2.5-VL-7B-Instruct", INT64_C(8292166656)}, /* LLM + vision */
};

/* Totals model_configs.md §5 marks "computed" (not cross-checked with a published number):
 * the catalog leaves published_params 0 for them, but the same formulas must hold. */
static const expected_total COMPUTED[] = {
    {"deepseek-ai/DeepSeek-V2-Lite", INT64_C(15706484224)},
    {"deepseek-ai/DeepSeek-V2", INT64_C(235741434880)},
    {"tiiuae/falcon-40b", INT64_C(41303293952)},
};

/* Active parameters per token, model_configs.md §5 (total minus unused routed experts). */
static const expected_total ACTIVE[] = {
    {"mistralai/Mixtral-8x7B-v0.1", INT64_C(12879925248)},
    {"Qwen/Qwen3-30B-A3B", INT64_C(3353032704)},
    {"Qwen/Qwen3-235B-A22B", INT64_C(22190763520)},
    {"deepseek-ai/DeepSeek-V3", INT64_C(37552297472)}, /* incl. embedding and head */
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static lp_model *load_or_fail(const char *id) {
    lp_model *m = calloc(1, sizeof *m);
    lp_error err;
    assert_non_null(m);
    lp_error_clear(&err);
    lp_status st = lp_catalog_load(id, m, &err);
    if (st != LP_OK) {
        free(m);
        fail_msg("lp_catalog_load(\"%s\"): %s: %s", id, lp_strerror(st), err.message);
    }
    return m;
}

static void test_count_and_fields(void **state) {
    (void)state;
    size_t n = lp_catalog_count();
    assert_true(n >= 120);
    assert_null(lp_catalog_at(n));
    for (size_t i = 0; i < n; i++) {
        const lp_catalog_entry *e = lp_catalog_at(i);
        assert_non_null(e);
        assert_non_null(e->id);
        assert_non_null(strchr(e->id, '/'));
        assert_true(strlen(e->source) > 0);
        assert_true(e->published_params >= 0);
        assert_true(e->config_json[0] == '{');
        for (size_t j = 0; j < i; j++) {
            if (strcasecmp(lp_catalog_at(j)->id, e->id) == 0)
                fail_msg("duplicate catalog id %s", e->id);
        }
    }
}

/* Ids the catalog must hold (the brief's list). */
static const char *const REQUIRED_IDS[] = {
    "meta-llama/Llama-2-7b-hf",
    "meta-llama/Llama-2-13b-hf",
    "meta-llama/Llama-2-70b-hf",
    "meta-llama/Meta-Llama-3-8B",
    "meta-llama/Meta-Llama-3-70B",
    "meta-llama/Llama-3.1-8B",
    "meta-llama/Llama-3.1-8B-Instruct",
    "meta-llama/Llama-3.1-70B",
    "meta-llama/Llama-3.1-70B-Instruct",
    "meta-llama/Llama-3.1-405B",
    "meta-llama/Llama-3.1-405B-Instruct-FP8",
    "meta-llama/Llama-3.2-1B",
    "meta-llama/Llama-3.2-3B",
    "meta-llama/Llama-3.3-70B-Instruct",
    "meta-llama/Llama-4-Scout-17B-16E-Instruct",
    "meta-llama/Llama-4-Maverick-17B-128E-Instruct",
    "mistralai/Mistral-7B-v0.1",
    "mistralai/Mistral-7B-v0.3",
    "mistralai/Mistral-7B-Instruct-v0.3",
    "mistralai/Mistral-Small-3.1-24B-Instruct-2503",
    "mistralai/Mistral-Small-3.2-24B-Instruct-2506",
    "mistralai/Mixtral-8x7B-v0.1",
    "mistralai/Mixtral-8x7B-Instruct-v0.1",
    "mistralai/Mixtral-8x22B-v0.1",
    "Qwen/Qwen2-7B",
    "Qwen/Qwen2-72B",
    "Qwen/Qwen2.5-0.5B",
    "Qwen/Qwen2.5-7B",
    "Qwen/Qwen2.5-7B-Instruct",
    "Qwen/Qwen2.5-14B",
    "Qwen/Qwen2.5-32B",
    "Qwen/Qwen2.5-72B",
    "Qwen/Qwen2.5-72B-Instruct",
    "Qwen/Qwen3-0.6B",
    "Qwen/Qwen3-8B",
    "Qwen/Qwen3-14B",
    "Qwen/Qwen3-32B",
    "Qwen/Qwen3-30B-A3B",
    "Qwen/Qwen3-235B-A22B",
    "Qwen/Qwen3-235B-A22B-FP8",
    "deepseek-ai/DeepSeek-V3",
    "deepseek-ai/DeepSeek-R1",
    "deepseek-ai/DeepSeek-V2-Lite",
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B",
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B",
    "deepseek-ai/DeepSeek-R1-Distill-Llama-70B",
    "google/gemma-2-9b",
    "google/gemma-2-9b-it",
    "google/gemma-2-27b",
    "google/gemma-3-12b-it",
    "google/gemma-3-27b-it",
    "google/gemma-3-1b-it",
    "microsoft/phi-4",
    "microsoft/Phi-3-mini-4k-instruct",
    "openai/gpt-oss-20b",
    "openai/gpt-oss-120b",
    "tiiuae/falcon-7b",
    "tiiuae/falcon-40b",
    "Qwen/Qwen2.5-VL-7B-Instruct",
    "RedHatAI/Llama-3.3-70B-Instruct-FP8-dynamic",
};

static void test_required_ids_present(void **state) {
    (void)state;
    for (size_t i = 0; i < N_OF(REQUIRED_IDS); i++) {
        const lp_catalog_entry *e = lp_catalog_find(REQUIRED_IDS[i], NULL, 0);
        if (!e)
            fail_msg("catalog lacks %s", REQUIRED_IDS[i]);
        assert_string_equal(e->id, REQUIRED_IDS[i]);
    }
}

static void test_every_entry_parses(void **state) {
    (void)state;
    size_t failures = 0;
    for (size_t i = 0; i < lp_catalog_count(); i++) {
        const lp_catalog_entry *e = lp_catalog_at(i);
        lp_model *m = calloc(1, sizeof *m);
        lp_error err;
        assert_non_null(m);
        lp_error_clear(&err);
        lp_status st =
            lp_model_from_config_json(e->config_json, strlen(e->config_json), e->id, m, &err);
        if (st != LP_OK) {
            fprintf(stderr, "  %s: %s: %s\n", e->id, lp_strerror(st), err.message);
            failures++;
        } else if (m->num_layers <= 0 || m->hidden_size <= 0 || m->params_total <= 0) {
            fprintf(stderr, "  %s: parsed to an empty model\n", e->id);
            failures++;
        }
        free(m);
    }
    if (failures)
        fail_msg("%zu catalog entries did not parse (listed above)", failures);
}

static const expected_total *find_expected(const expected_total *table, size_t n, const char *id) {
    for (size_t i = 0; i < n; i++) {
        if (strcmp(table[i].id, id) == 0)
            return &table[i];
    }
    return NULL;
}

/* The data file's published_params must be exactly this file's independent table. */
static void test_published_params_match_reference(void **state) {
    (void)state;
    for (size_t i = 0; i < lp_catalog_count(); i++) {
        const lp_catalog_entry *e = lp_catalog_at(i);
        const expected_total *x = find_expected(PUBLISHED, N_OF(PUBLISHED), e->id);
        if (e->published_params > 0 && !x)
            fail_msg("%s: published_params %lld has no reference value in this test", e->id,
                     (long long)e->published_params);
        if (x && e->published_params != x->total)
            fail_msg("%s: published_params %lld, model_configs.md says %lld", e->id,
                     (long long)e->published_params, (long long)x->total);
    }
}

static size_t check_totals(const expected_total *table, size_t n, bool active) {
    size_t failures = 0;
    for (size_t i = 0; i < n; i++) {
        lp_model *m = calloc(1, sizeof *m);
        lp_error err;
        assert_non_null(m);
        lp_error_clear(&err);
        lp_status st = lp_catalog_load(table[i].id, m, &err);
        if (st != LP_OK) {
            fprintf(stderr, "  %s: %s: %s\n", table[i].id, lp_strerror(st), err.message);
            failures++;
        } else {
            int64_t got = active ? m->params_active : m->params_total;
            if (got != table[i].total) {
                fprintf(stderr, "  %s: params_%s %lld, expected %lld (diff %lld)\n", table[i].id,
                        active ? "active" : "total", (long long)got, (long long)table[i].total,
                        (long long)(got - table[i].total));
                failures++;
            }
        }
        free(m);
    }
    return failures;
}

static void test_published_totals_exact(void **state) {
    (void)state;
    size_t failures = check_totals(PUBLISHED, N_OF(PUBLISHED), false);
    if (failures)
        fail_msg("%zu published totals not reproduced exactly (listed above)", failures);
}

static void test_computed_totals_exact(void **state) {
    (void)state;
    size_t failures = check_totals(COMPUTED, N_OF(COMPUTED), false);
    if (failures)
        fail_msg("%zu computed totals not reproduced exactly (listed above)", failures);
}

static void test_active_params(void **state) {
    (void)state;
    size_t failures = check_totals(ACTIVE, N_OF(ACTIVE), true);
    if (failures)
        fail_msg("%zu active counts not reproduced exactly (listed above)", failures);
}

static void test_loaded_entry_identity(void **state) {
    (void)state;
    lp_model *m = load_or_fail("meta-llama/Llama-3.1-8B-Instruct");
    assert_string_equal(m->id, "meta-llama/Llama-3.1-8B-Instruct");
    assert_string_equal(m->source, "catalog");
    /* model_configs.md §5: Llama-3.1-8B 32 layers, 32 heads, 8 KV heads, head_dim 128 */
    assert_int_equal(m->num_layers, 32);
    assert_int_equal(m->num_kv_heads, 8);
    assert_int_equal(m->head_dim, 128);
    assert_int_equal(m->quant.method, LP_QUANT_NONE);
    free(m);
}

static void test_case_insensitive_lookup(void **state) {
    (void)state;
    const lp_catalog_entry *e = lp_catalog_find("META-LLAMA/llama-3.1-8b-instruct", NULL, 0);
    assert_non_null(e);
    assert_string_equal(e->id, "meta-llama/Llama-3.1-8B-Instruct");
    lp_model *m = load_or_fail("qwen/qwen3-8b");
    assert_string_equal(m->id, "Qwen/Qwen3-8B"); /* canonical spelling */
    free(m);
}

static void test_name_only_lookup(void **state) {
    (void)state;
    const lp_catalog_entry *e = lp_catalog_find("Llama-3.1-8B-Instruct", NULL, 0);
    assert_non_null(e);
    assert_string_equal(e->id, "meta-llama/Llama-3.1-8B-Instruct");
    e = lp_catalog_find("phi-4", NULL, 0);
    assert_non_null(e);
    assert_string_equal(e->id, "microsoft/phi-4");
    /* a wrong org is not silently accepted */
    assert_null(lp_catalog_find("someone/Llama-3.1-8B-Instruct", NULL, 0));
}

static bool has_note(const lp_model *m, const char *needle) {
    for (int i = 0; i < m->n_notes; i++) {
        if (strstr(m->notes[i], needle))
            return true;
    }
    return false;
}

static void test_fp8_variant(void **state) {
    (void)state;
    lp_model *m = load_or_fail("meta-llama/Llama-3.1-70B-Instruct-FP8");
    assert_string_equal(m->id, "meta-llama/Llama-3.1-70B-Instruct-FP8");
    assert_int_equal(m->quant.method, LP_QUANT_FP8);
    assert_string_equal(m->quant.vllm_name, "fp8");
    assert_true(m->quant.activations);
    assert_int_equal(m->quant.group_size, -1);
    /* same architecture: §5 Llama-3.1-70B */
    assert_int_equal(m->params_total, INT64_C(70553706496));
    assert_true(has_note(m, "using the architecture of meta-llama/Llama-3.1-70B-Instruct"));
    free(m);

    m = load_or_fail("Qwen/Qwen3-8B-FP8-dynamic");
    assert_int_equal(m->quant.method, LP_QUANT_FP8);
    free(m);
}

static void test_instruct_variant(void **state) {
    (void)state;
    /* not in the catalog verbatim; the suffix changes nothing architectural */
    lp_model *m = load_or_fail("meta-llama/Llama-3.2-3B-Instruct");
    assert_string_equal(m->id, "meta-llama/Llama-3.2-3B-Instruct");
    assert_int_equal(m->quant.method, LP_QUANT_NONE);
    assert_true(has_note(m, "meta-llama/Llama-3.2-3B-Instruct not in the catalog: using the "
                            "architecture of meta-llama/Llama-3.2-3B"));
    free(m);

    /* Llama 2 chat: -chat-hf resolves to the -hf base repo */
    m = load_or_fail("meta-llama/Llama-2-7b-chat-hf");
    assert_int_equal(m->params_total, INT64_C(6738415616)); /* §5 Llama-2-7b-hf */
    free(m);

    /* combinations and other quantizations */
    m = load_or_fail("Qwen/Qwen2.5-72B-Instruct-AWQ");
    assert_int_equal(m->quant.method, LP_QUANT_AWQ);
    assert_int_equal(m->quant.bits, 4);
    assert_int_equal(m->quant.group_size, 128);
    free(m);
    m = load_or_fail("Qwen/Qwen2.5-7B-Instruct-GPTQ-Int8");
    assert_int_equal(m->quant.method, LP_QUANT_GPTQ);
    assert_int_equal(m->quant.bits, 8);
    free(m);
    m = load_or_fail("Qwen/Qwen2.5-7B-Instruct-GPTQ-Int4");
    assert_int_equal(m->quant.bits, 4);
    free(m);
    /* a community re-quantization under another org resolves by name, and says so */
    m = load_or_fail("unsloth/Llama-3.2-1B-Instruct-bnb-4bit");
    assert_int_equal(m->quant.method, LP_QUANT_BNB4);
    assert_true(has_note(m, "using the architecture of meta-llama/Llama-3.2-1B"));
    free(m);
}

static void test_variant_name_only(void **state) {
    (void)state;
    lp_model *m = load_or_fail("gemma-2-27b-it");
    assert_string_equal(m->id, "gemma-2-27b-it");
    assert_int_equal(m->num_layers, 46);
    free(m);
    m = load_or_fail("Llama-3.2-1B-Instruct-bnb-4bit");
    assert_int_equal(m->quant.method, LP_QUANT_BNB4);
    assert_int_equal(m->quant.bits, 4);
    free(m);
}

/* The quantized checkpoints carry their real quantization_config (HF config.json of each
 * repo): FP8 everywhere, per-channel for fbgemm/compressed-tensors, 128x128 blocks for
 * Qwen3-FP8, MXFP4 on the experts only for gpt-oss. */
static void test_quantized_entries(void **state) {
    (void)state;
    lp_model *m = load_or_fail("meta-llama/Llama-3.1-405B-Instruct-FP8");
    assert_int_equal(m->quant.method, LP_QUANT_FP8);
    assert_true(m->quant.activations);
    free(m);
    m = load_or_fail("RedHatAI/Llama-3.3-70B-Instruct-FP8-dynamic");
    assert_int_equal(m->quant.method, LP_QUANT_FP8);
    assert_int_equal(m->quant.group_size, -1);
    assert_true(m->quant.activations);
    free(m);
    m = load_or_fail("Qwen/Qwen3-235B-A22B-FP8");
    assert_int_equal(m->quant.method, LP_QUANT_FP8);
    assert_true(m->quant.weight_block);
    free(m);
    m = load_or_fail("openai/gpt-oss-120b");
    assert_int_equal(m->quant.method, LP_QUANT_MXFP4);
    assert_true(m->quant.experts_only);
    free(m);
    m = load_or_fail("meta-llama/Llama-3.1-405B");
    assert_int_equal(m->quant.method, LP_QUANT_NONE);
    free(m);
}

static void test_suggestions(void **state) {
    (void)state;
    const char *near[3];
    assert_null(lp_catalog_find("meta-llama/Llama-3.1-8B-Instrukt", near, 3));
    assert_non_null(near[0]);
    assert_string_equal(near[0], "meta-llama/Llama-3.1-8B-Instruct");
    assert_null(lp_catalog_find("qwen3-32", near, 3));
    bool found = false;
    for (size_t i = 0; i < 3 && near[i]; i++)
        found = found || strcmp(near[i], "Qwen/Qwen3-32B") == 0;
    assert_true(found);
}

static void test_unknown_id_error(void **state) {
    (void)state;
    lp_model *m = calloc(1, sizeof *m);
    lp_error err;
    assert_non_null(m);
    lp_error_clear(&err);
    assert_int_equal(lp_catalog_load("meta-llama/Llama-3.1-8B-Instrukt", m, &err),
                     LP_ERR_NOT_FOUND);
    assert_int_equal(err.code, LP_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "unknown model \"meta-llama/Llama-3.1-8B-Instrukt\""));
    assert_non_null(strstr(err.message, "not in the catalog and not a local path"));
    assert_non_null(strstr(err.message, "did you mean: meta-llama/Llama-3.1-8B-Instruct"));
    assert_non_null(strstr(err.message, "config.json"));

    lp_error_clear(&err);
    assert_int_equal(lp_catalog_load("nobody/nothing-at-all", m, &err), LP_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "did you mean: "));
    /* a bare suffix is not a model */
    assert_int_equal(lp_catalog_load("-Instruct", m, &err), LP_ERR_NOT_FOUND);
    assert_int_equal(lp_catalog_load("", m, &err), LP_ERR_INVALID_ARG);
    free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count_and_fields),
        cmocka_unit_test(test_required_ids_present),
        cmocka_unit_test(test_published_params_match_reference),
        cmocka_unit_test(test_case_insensitive_lookup),
        cmocka_unit_test(test_name_only_lookup),
        cmocka_unit_test(test_suggestions),
        cmocka_unit_test(test_every_entry_parses),
        cmocka_unit_test(test_published_totals_exact),
        cmocka_unit_test(test_computed_totals_exact),
        cmocka_unit_test(test_active_params),
        cmocka_unit_test(test_loaded_entry_identity),
        cmocka_unit_test(test_quantized_entries),
        cmocka_unit_test(test_fp8_variant),
        cmocka_unit_test(test_instruct_variant),
        cmocka_unit_test(test_variant_name_only),
        cmocka_unit_test(test_unknown_id_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
