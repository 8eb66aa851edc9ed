/*
 * test_dl.c - lp_dl_load, the loader behind the optional libcurl and libmicrohttpd: a library
 * that is not installed, one that lacks a function, and one that loads (libc, always there).
 */
#include "support/lp_test.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/dl.h"

typedef struct {
    size_t (*strlen_fn)(const char *s);
    int (*abs_fn)(int v);
} libc_api;

static void test_not_installed(void **state) {
    (void)state;
    static const char *const sonames[] = {"liblp-no-such-library.so.1", NULL};
    static const lp_dl_symbol symbols[] = {{"strlen", offsetof(libc_api, strlen_fn)}, {NULL, 0}};
    libc_api api = {0};
    lp_dl_lib lib = {.what = "libnothing",
                     .sonames = sonames,
                     .not_found = "libnothing is not installed: install it",
                     .symbols = symbols,
                     .table = &api,
                     .lock = PTHREAD_MUTEX_INITIALIZER};
    lp_error err;
    assert_int_equal(lp_dl_load(&lib, &err), LP_ERR_UNSUPPORTED);
    assert_string_equal(err.message, "libnothing is not installed: install it");
    assert_null(api.strlen_fn);
    /* the second call gives the first result without trying again */
    assert_int_equal(lp_dl_load(&lib, &err), LP_ERR_UNSUPPORTED);
}

static void test_missing_symbol(void **state) {
    (void)state;
    static const char *const sonames[] = {"liblp-no-such-library.so.1", "libc.so.6", NULL};
    static const lp_dl_symbol symbols[] = {{"strlen", offsetof(libc_api, strlen_fn)},
                                           {"lp_no_such_function", offsetof(libc_api, abs_fn)},
                                           {NULL, 0}};
    libc_api api = {0};
    lp_dl_lib lib = {.what = "libc",
                     .sonames = sonames,
                     .not_found = "no libc",
                     .symbols = symbols,
                     .table = &api,
                     .lock = PTHREAD_MUTEX_INITIALIZER};
    lp_error err;
    assert_int_equal(lp_dl_load(&lib, &err), LP_ERR_UNSUPPORTED);
    assert_string_equal(err.message, "libc lacks lp_no_such_function");
}

static void test_loads(void **state) {
    (void)state;
    /* the first soname is absent: the second one is opened */
    static const char *const sonames[] = {"liblp-no-such-library.so.1", "libc.so.6", NULL};
    static const lp_dl_symbol symbols[] = {
        {"strlen", offsetof(libc_api, strlen_fn)}, {"abs", offsetof(libc_api, abs_fn)}, {NULL, 0}};
    libc_api api = {0};
    lp_dl_lib lib = {.what = "libc",
                     .sonames = sonames,
                     .not_found = "no libc",
                     .symbols = symbols,
                     .table = &api,
                     .lock = PTHREAD_MUTEX_INITIALIZER};
    lp_error err;
    assert_int_equal(lp_dl_load(&lib, &err), LP_OK);
    assert_non_null(api.strlen_fn);
    assert_int_equal(api.strlen_fn("llmplan"), 7);
    assert_int_equal(api.abs_fn(-42), 42);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_installed),
        cmocka_unit_test(test_missing_symbol),
        cmocka_unit_test(test_loads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
