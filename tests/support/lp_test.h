/*
 * lp_test.h - shared helpers for the cmocka test programs.
 *
 * Tests that read ../shared (validation data, fixtures, reference tables) call
 * lp_test_shared_path(): when ../shared is absent they skip loudly, unless CI=true, where
 * its absence is a failure.
 */
#ifndef LP_TEST_H
#define LP_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

/**
 * Path of a file under ../shared (e.g. "validation/kv_capacity.tsv") in buf; returns buf.
 * Skips the calling test (prints why) when ../shared is missing, or fails it when CI=true.
 * A missing fixtures/... path (folders shared/fixtures/README.md lists as planned) is a loud
 * skip even in CI; any other missing file in a present shared folder fails in CI.
 */
const char *lp_test_shared_path(const char *rel, char *buf, size_t size);

/** Read a whole file into a malloc'd NUL-terminated buffer (fails the test on error). */
char *lp_test_read_file(const char *path, size_t *len);

/**
 * Run the llmplan binary with args (a shell-quoted string); capture stdout into a malloc'd
 * buffer (*out, may be NULL to discard) and return the exit code (-1 if it did not exit).
 */
int lp_test_run_cli(const char *args, char **out);

/**
 * Run llmplan with args and fail the test (showing its output) unless it exits with
 * expect_rc; returns its stdout (malloc'd; the caller frees it).
 */
char *lp_test_cli(const char *args, int expect_rc);

/** lp_test_cli, then its stdout parsed as one JSON object (fails the test if it is not). */
json_t *lp_test_cli_json(const char *args, int expect_rc);

/**
 * Run llmplan with args (stderr folded into stdout) and fail the test unless it exits with 2
 * (a usage error) and its output contains needle.
 */
void lp_test_cli_usage(const char *args, const char *needle);

/**
 * Write text to a new file in $TMPDIR (or /tmp); its path goes to buf, which is returned.
 * The caller removes the file.
 */
const char *lp_test_write_temp(char *buf, size_t size, const char *text);

/**
 * Make a new directory $TMPDIR/<prefix>_XXXXXX (or under /tmp); its path goes to buf.
 * Returns buf, or NULL when it cannot be made.
 */
const char *lp_test_make_temp_dir(char *buf, size_t size, const char *prefix);

/** Remove dir and everything below it (links are removed, not followed); 0, or -1 on a failure. */
int lp_test_remove_tree(const char *dir);

/**
 * Put dir first on PATH (programs the test runs find their fakes there); the old PATH goes
 * to saved, for setenv("PATH", saved, 1) afterwards.
 */
void lp_test_prepend_path(const char *dir, char *saved, size_t size);

/** Assert |actual - expected| <= tol, printing both on failure. */
#define lp_assert_near(actual, expected, tol)                                                      \
    do {                                                                                           \
        double lp_a_ = (double)(actual), lp_e_ = (double)(expected), lp_t_ = (double)(tol);        \
        if (!(lp_a_ - lp_e_ <= lp_t_ && lp_e_ - lp_a_ <= lp_t_))                                   \
            fail_msg("%s = %.6g, expected %.6g +- %.3g", #actual, lp_a_, lp_e_, lp_t_);            \
    } while (0)

#endif
