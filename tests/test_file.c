/*
 * test_file.c - lp_read_stream, the whole-file read behind --gpu-file, --price-file and the
 * vLLM result readers: a file larger than its first buffer (4096 bytes), an empty file, and
 * a directory (opens, but reading fails), and the size cap: a file one byte over it and
 * /dev/zero (endless) are refused, a file exactly at it is read.
 */
#include "support/lp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"

static void test_large_file(void **state) {
    (void)state;
    /* 10,000 bytes: '0'..'9' repeated, so every offset's byte is known */
    static char text[10001];
    for (int i = 0; i < 10000; i++)
        text[i] = (char)('0' + i % 10);
    char path[512];
    lp_test_write_temp(path, sizeof path, text);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *got;
    size_t len;
    lp_error err;
    assert_int_equal(lp_read_stream(f, "test file", path, 1 << 20, &got, &len, &err), LP_OK);
    fclose(f);
    remove(path);
    assert_int_equal(len, 10000);
    assert_memory_equal(got, text, 10000);
    assert_int_equal(got[10000], '\0');
    free(got);
}

static void test_empty_file(void **state) {
    (void)state;
    char path[512];
    lp_test_write_temp(path, sizeof path, "");
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *got;
    size_t len = 99;
    lp_error err;
    assert_int_equal(lp_read_stream(f, "test file", path, 1 << 20, &got, &len, &err), LP_OK);
    fclose(f);
    remove(path);
    assert_int_equal(len, 0);
    assert_string_equal(got, "");
    free(got);
}

static void test_directory(void **state) {
    (void)state;
    char dir[512];
    assert_non_null(lp_test_make_temp_dir(dir, sizeof dir, "lp_test_file"));
    FILE *f = fopen(dir, "rb"); /* Linux opens a directory for reading; fread fails (EISDIR) */
    assert_non_null(f);
    char *got = (char *)1;
    size_t len;
    lp_error err;
    assert_int_equal(lp_read_stream(f, "GPU file", dir, 1 << 20, &got, &len, &err), LP_ERR_IO);
    fclose(f);
    assert_null(got);
    char want[600];
    snprintf(want, sizeof want, "error reading GPU file %s", dir);
    assert_string_equal(err.message, want);
    assert_int_equal(lp_test_remove_tree(dir), 0);
}

static void test_cap(void **state) {
    (void)state;
    static char text[4097];
    memset(text, 'x', 4096);
    char path[512];
    lp_test_write_temp(path, sizeof path, text);
    char *got = NULL;
    size_t len = 0;
    lp_error err;
    assert_int_equal(lp_read_file(path, "test file", 4096, &got, &len, &err), LP_OK);
    assert_int_equal(len, 4096);
    free(got);
    assert_int_equal(lp_read_file(path, "test file", 4095, &got, &len, &err), LP_ERR_PARSE);
    assert_null(got);
    assert_non_null(strstr(err.message, "is larger than"));
    remove(path);
    assert_int_equal(lp_read_file("/nonexistent/lp-test", "GPU file", 10, &got, &len, &err),
                     LP_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "cannot open GPU file /nonexistent/lp-test"));
}

/* Endless input ends: /dev/zero at its first chunk (NUL bytes are no text, so the 512 MiB cap
 * of a vLLM result file is never read through: issue 13, `compare --result /dev/zero` read
 * 512 MiB first), an endless text stream at the cap. */
static void test_endless(void **state) {
    (void)state;
    char *got = NULL;
    size_t len = 0;
    lp_error err;
    assert_int_equal(lp_read_file("/dev/zero", "file", 512u << 20, &got, &len, &err), LP_ERR_PARSE);
    assert_string_equal(err.message, "file /dev/zero holds binary data (a NUL byte at offset 0), "
                                     "not text: is it the right file?");
    FILE *yes = popen("yes llmplan", "r"); /* text without end */
    assert_non_null(yes);
    assert_int_equal(lp_read_stream(yes, "price file", "-", 1 << 20, &got, &len, &err),
                     LP_ERR_PARSE);
    pclose(yes);
    assert_string_equal(err.message, "price file - is larger than 1 MiB: is it the right file?");
    /* a NUL after text: where it is */
    static char text[6001];
    memset(text, 'x', 6000);
    char path[512];
    lp_test_write_temp(path, sizeof path, text);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 5000, SEEK_SET);
    fputc('\0', f);
    fclose(f);
    assert_int_equal(lp_read_file(path, "GPU file", 1 << 20, &got, &len, &err), LP_ERR_PARSE);
    assert_null(got);
    assert_non_null(strstr(err.message, "(a NUL byte at offset 5000)"));
    remove(path);
    assert_true(lp_text_has_nul("a\0b", 3));
    assert_false(lp_text_has_nul("abc", 3));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap),        cmocka_unit_test(test_endless),
        cmocka_unit_test(test_large_file), cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_directory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
