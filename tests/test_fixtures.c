/*
 * test_fixtures.c - every real file of ../shared/fixtures (written by others: Hugging Face
 * configs and indexes, nvidia-smi outputs, vLLM results and start-up logs) is read by the
 * reader llmplan has for its kind, or refused with a message that says what the file is and
 * why. Every folder is visited and every file counted; a folder or a file kind this test does
 * not know fails it, so that a new fixture cannot go unread.
 *
 * Which reader: hf-configs/NAME.config.json -> lp_model_from_config_file (a model_type llmplan
 * does not model must be named in the refusal); NAME.hf_quant_config.json -> beside its
 * config.json in a model directory (lp_model_load); hf-index/NAME.index.json -> beside its
 * config.json (the shards are absent: refused naming the missing shard); NAME.lfs-pointer ->
 * lp_safetensors_read_file (a Git LFS pointer, not weights); nvidia-smi/ -> the CSV and topo
 * parsers for those formats, and for the others (default table, -q, -q -x) the CSV parser's
 * refusal must say which output it was given; vllm-bench/ -> lp_bench_result_load and
 * lp_startup_log_load (a failed start-up read as a failure with vLLM's own error).
 */
#include "support/lp_test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "llmplan/bench_import.h"
#include "llmplan/detect.h"
#include "llmplan/model.h"

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static void expect_in(const char *file, const char *msg, const char *needle) {
    if (!strstr(msg, needle))
        fail_msg("%s: refused, but the message does not say \"%s\": %s", file, needle, msg);
}

/* The directory's plain files, sorted, into names (malloc'd strings); returns how many. */
static size_t list_files(const char *dir, char ***names) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0, cap = 64;
    *names = malloc(cap * sizeof **names);
    assert_non_null(*names);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (n == cap) {
            cap *= 2;
            *names = realloc(*names, cap * sizeof **names);
            assert_non_null(*names);
        }
        (*names)[n++] = strdup(e->d_name);
    }
    closedir(d);
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp((*names)[j - 1], (*names)[j]) > 0; j--) {
            char *t = (*names)[j];
            (*names)[j] = (*names)[j - 1];
            (*names)[j - 1] = t;
        }
    return n;
}

static void free_names(char **names, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* A model directory in $TMPDIR holding config (as config.json) and extra (as extra_name). */
static void model_dir(const char *config, const char *extra, const char *extra_name, char *dir,
                      size_t size) {
    assert_non_null(lp_test_make_temp_dir(dir, size, "lp_test_fixtures"));
    char dst[2048];
    const char *src[2] = {config, extra};
    const char *dst_name[2] = {"config.json", extra_name};
    for (int k = 0; k < 2; k++) {
        if (!src[k])
            continue;
        size_t len;
        char *text = lp_test_read_file(src[k], &len);
        snprintf(dst, sizeof dst, "%s/%s", dir, dst_name[k]);
        FILE *f = fopen(dst, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(text, 1, len, f), len);
        fclose(f);
        free(text);
    }
}

/* "org__name.anything" -> the fixture "org__name.config.json" in dir/../hf-configs, into out:
 * the shortest prefix ending before a '.' that names one (names hold dots: Qwen2.5-7B). */
static void companion_config(const char *dir, const char *file, char *out, size_t size) {
    for (const char *dot = strchr(file, '.'); dot; dot = strchr(dot + 1, '.')) {
        snprintf(out, size, "%s/../hf-configs/%.*s.config.json", dir, (int)(dot - file), file);
        struct stat st;
        if (stat(out, &st) == 0)
            return;
    }
    fail_msg("%s: no config.json fixture in hf-configs for it", file);
}

static int g_read, g_refused;

static void record(const char *file, lp_status st, const lp_error *err) {
    printf("  %-72s %s%s\n", file,
           st == LP_OK ? "read" : "refused: ", st == LP_OK ? "" : err->message);
    if (st == LP_OK)
        g_read++;
    else
        g_refused++;
}

static void hf_configs(const char *dir) {
    char **names;
    size_t n = list_files(dir, &names);
    for (size_t i = 0; i < n; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        static lp_model m;
        lp_error err;
        lp_error_clear(&err);
        lp_status st = LP_OK;
        if (ends_with(names[i], ".hf_quant_config.json")) {
            char config[2048], d[512];
            snprintf(config, sizeof config, "%s/%.*s.config.json", dir,
                     (int)(strstr(names[i], ".hf_quant") - names[i]), names[i]);
            model_dir(config, path, "hf_quant_config.json", d, sizeof d);
            lp_model_load_opts o = {0};
            o.no_safetensors = true;
            st = lp_model_load(d, &o, &m, &err);
            lp_test_remove_tree(d);
        } else if (ends_with(names[i], ".config.json")) {
            st = lp_model_from_config_file(path, &m, &err);
            if (st != LP_OK) {
                /* the only refusal allowed: a model type llmplan does not model, named */
                assert_int_equal(st, LP_ERR_UNSUPPORTED);
                expect_in(names[i], err.message, "model_type: \"");
                expect_in(names[i], err.message, "is not supported");
            }
        } else {
            fail_msg("hf-configs/%s: no reader for this kind of file in test_fixtures", names[i]);
        }
        record(names[i], st, &err);
    }
    free_names(names, n);
}

static void hf_index(const char *dir) {
    char **names;
    size_t n = list_files(dir, &names);
    for (size_t i = 0; i < n; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        lp_error err;
        lp_error_clear(&err);
        lp_status st = LP_OK;
        if (ends_with(names[i], ".lfs-pointer")) {
            lp_st_summary sum = {0};
            st = lp_safetensors_read_file(path, 32, &sum, &err);
            assert_int_not_equal(st, LP_OK);
            expect_in(names[i], err.message, "Git LFS pointer");
        } else if (ends_with(names[i], ".index.json")) {
            char config[2048], d[512];
            companion_config(dir, names[i], config, sizeof config);
            model_dir(config, path, "model.safetensors.index.json", d, sizeof d);
            static lp_model m;
            st = lp_model_load(d, NULL, &m, &err);
            lp_test_remove_tree(d);
            /* the index names shards that are not here: refused, naming one (or, first, the
             * model type of its config.json, when llmplan does not model it) */
            assert_int_not_equal(st, LP_OK);
            if (st == LP_ERR_UNSUPPORTED) {
                expect_in(names[i], err.message, "is not supported");
            } else {
                expect_in(names[i], err.message, ".safetensors");
                expect_in(names[i], err.message, "missing");
            }
        } else {
            fail_msg("hf-index/%s: no reader for this kind of file in test_fixtures", names[i]);
        }
        record(names[i], st, &err);
    }
    free_names(names, n);
}

static void nvidia_smi(const char *dir) {
    char **names;
    size_t n = list_files(dir, &names);
    for (size_t i = 0; i < n; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        char *text = lp_test_read_file(path, NULL);
        static lp_detect_result r;
        memset(&r, 0, sizeof r); /* each file alone (topo is checked against a CSV's GPUs) */
        lp_error err;
        lp_error_clear(&err);
        lp_status st = LP_OK;
        if (strstr(names[i], "topo")) {
            st = lp_detect_parse_topo(text, &r, &err);
            assert_int_equal(st, LP_OK);
            assert_true(r.have_topology);
        } else if (ends_with(names[i], ".csv")) {
            st = lp_detect_parse_smi_csv(text, NULL, &r, &err);
            assert_int_equal(st, LP_OK);
            assert_true(r.n_gpus >= 1);
            /* ~250 columns (a 7 KB header): name and memory found among them */
            assert_non_null(strstr(r.gpus[0].name, "NVIDIA"));
            assert_true(r.gpus[0].total_mib > 20000);
        } else {
            /* outputs llmplan does not ask nvidia-smi for: the refusal says which one it is */
            st = lp_detect_parse_smi_csv(text, NULL, &r, &err);
            assert_int_not_equal(st, LP_OK);
            const char *kind = ends_with(names[i], ".xml")     ? "-q -x"
                               : ends_with(names[i], ".q.txt") ? "-q"
                                                               : "table";
            expect_in(names[i], err.message, kind);
        }
        record(names[i], st, &err);
        free(text);
    }
    free_names(names, n);
}

static void vllm_bench(const char *dir) {
    char **names;
    size_t n = list_files(dir, &names);
    for (size_t i = 0; i < n; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        lp_error err;
        lp_error_clear(&err);
        lp_status st = LP_OK;
        if (ends_with(names[i], ".json")) {
            static lp_bench_result b;
            st = lp_bench_result_load(path, &b, &err);
            if (strstr(names[i], ".commands."))
                expect_in(names[i], st == LP_OK ? "" : err.message, "not a benchmark result");
            else
                assert_int_equal(st, LP_OK);
        } else if (ends_with(names[i], ".log")) {
            static lp_startup_log l;
            st = lp_startup_log_load(path, &l, &err);
            assert_int_equal(st, LP_OK);
            if (strstr(names[i], ".error.")) {
                assert_true(l.failed);
                expect_in(names[i], l.error, "Error: ");
            }
        } else {
            fail_msg("vllm-bench/%s: no reader for this kind of file in test_fixtures", names[i]);
        }
        record(names[i], st, &err);
    }
    free_names(names, n);
}

static void test_every_fixture(void **state) {
    (void)state;
    char root[1024];
    lp_test_shared_path("fixtures", root, sizeof root);
    static const struct {
        const char *name;
        void (*visit)(const char *dir);
    } folders[] = {{"hf-configs", hf_configs},
                   {"hf-index", hf_index},
                   {"nvidia-smi", nvidia_smi},
                   {"vllm-bench", vllm_bench}};
    DIR *d = opendir(root);
    assert_non_null(d);
    struct dirent *e;
    int visited = 0;
    while ((e = readdir(d))) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", root, e->d_name);
        struct stat st;
        if (e->d_name[0] == '.' || stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        size_t k = 0;
        while (k < sizeof folders / sizeof folders[0] && strcmp(folders[k].name, e->d_name) != 0)
            k++;
        if (k == sizeof folders / sizeof folders[0])
            fail_msg("fixtures/%s: a folder test_fixtures has no reader for", e->d_name);
        printf("fixtures/%s:\n", e->d_name);
        folders[k].visit(path);
        visited++;
    }
    closedir(d);
    printf("%d fixture folders: %d files read, %d refused with a reason\n", visited, g_read,
           g_refused);
    assert_int_equal(visited, 4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_fixture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
