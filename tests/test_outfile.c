/*
 * test_outfile.c - nothing the user owns is overwritten without asking: the output-file rules
 * of src/common/outfile.c directly, then as `recommend --emit --out`, `plan --report` (with
 * its Markdown charts) and `calibrate --out` apply them: an existing file is refused without
 * --force and left as it was, replaced with it (keeping its permissions), a symbolic link is
 * replaced instead of written through, an input is never an output, and a failed set leaves
 * no file and no temporary behind.
 */
#include "support/lp_test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/outfile.h"

#define LLAMA "meta-llama/Llama-3.1-8B-Instruct"
#define DATA LP_SOURCE_DIR "/tests/data/vllm-bench/"

static char g_dir[512];

static int setup(void **state) {
    (void)state;
    return lp_test_make_temp_dir(g_dir, sizeof g_dir, "lp_test_outfile") ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    return lp_test_remove_tree(g_dir);
}

static void path_of(const char *name, char *buf, size_t size) {
    snprintf(buf, size, "%s/%s", g_dir, name);
}

static char *read_text(const char *name) {
    char p[1024];
    path_of(name, p, sizeof p);
    return lp_test_read_file(p, NULL);
}

static mode_t mode_of(const char *name) {
    char p[1024];
    struct stat st;
    path_of(name, p, sizeof p);
    assert_int_equal(lstat(p, &st), 0);
    return st.st_mode;
}

/* No ".NAME.XXXXXXXX.tmp" left in the directory. */
static void expect_no_temporaries(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] == '.' && strstr(e->d_name, ".tmp"))
            fail_msg("temporary file left behind: %s/%s", dir, e->d_name);
    closedir(d);
}

/* One set of files with the given force; the status of add (then commit). */
static lp_status write_set(const char *const *names, const char *text, bool force,
                           const char *const *inputs, lp_error *err) {
    lp_outset *s;
    lp_outset_opts o = {force, "--force", inputs};
    lp_status st = lp_outset_open(g_dir, &o, &s, err);
    for (size_t i = 0; st == LP_OK && names[i]; i++) {
        FILE *f;
        if ((st = lp_outset_add(s, names[i], 0666u, &f, err)) == LP_OK)
            fputs(text, f);
    }
    if (st == LP_OK)
        st = lp_outset_commit(s, err);
    lp_outset_free(s);
    return st;
}

static void test_library_rules(void **state) {
    (void)state;
    lp_error err;
    const char *one[] = {"a.txt", NULL};
    assert_int_equal(write_set(one, "first\n", false, NULL, &err), LP_OK);
    char *t = read_text("a.txt");
    assert_string_equal(t, "first\n");
    free(t);
    /* a new file gets 0666 less the umask */
    mode_t mask = umask(022);
    umask(mask);
    assert_int_equal(mode_of("a.txt") & 0777, 0666 & ~mask);

    /* exists: refused without force, untouched */
    chmod(g_dir, 0755);
    char p[1024];
    path_of("a.txt", p, sizeof p);
    assert_int_equal(chmod(p, 0600), 0);
    assert_int_equal(write_set(one, "second\n", false, NULL, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "a.txt exists: add --force to replace it"));
    t = read_text("a.txt");
    assert_string_equal(t, "first\n");
    free(t);
    /* with force: replaced, and a 0600 file stays 0600 */
    assert_int_equal(write_set(one, "second\n", true, NULL, &err), LP_OK);
    t = read_text("a.txt");
    assert_string_equal(t, "second\n");
    free(t);
    assert_int_equal(mode_of("a.txt") & 07777, 0600);

    /* an input is never an output, --force or not (also through a link) */
    const char *inputs[] = {p, NULL};
    assert_int_equal(write_set(one, "third\n", true, inputs, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "is also an input"));
    char link[1024];
    path_of("link-to-a.txt", link, sizeof link);
    assert_int_equal(symlink(p, link), 0);
    const char *via_link[] = {"link-to-a.txt", NULL};
    assert_int_equal(write_set(via_link, "third\n", true, inputs, &err), LP_ERR_INVALID_ARG);
    t = read_text("a.txt");
    assert_string_equal(t, "second\n");
    free(t);

    /* a link at a name pointing outside the directory: refused, then replaced, never followed */
    char outside[1024];
    snprintf(outside, sizeof outside, "%s.outside", g_dir);
    FILE *f = fopen(outside, "w");
    assert_non_null(f);
    fputs("not yours\n", f);
    fclose(f);
    assert_int_equal(unlink(link), 0);
    assert_int_equal(symlink(outside, link), 0);
    assert_int_equal(write_set(via_link, "mine\n", false, NULL, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "(a symbolic link)"));
    assert_int_equal(write_set(via_link, "mine\n", true, NULL, &err), LP_OK);
    assert_true(S_ISREG(mode_of("link-to-a.txt")));
    char *o = lp_test_read_file(outside, NULL);
    assert_string_equal(o, "not yours\n");
    free(o);
    remove(outside);

    /* all or nothing: the second name is a directory, so the first is not written either */
    char sub[1024];
    path_of("sub", sub, sizeof sub);
    assert_int_equal(mkdir(sub, 0755), 0);
    const char *two[] = {"b.txt", "sub", NULL};
    assert_int_equal(write_set(two, "x\n", true, NULL, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "is a directory"));
    path_of("b.txt", p, sizeof p);
    assert_int_equal(access(p, F_OK), -1);
    /* names are single components */
    const char *escape[] = {"../escape.txt", NULL};
    assert_int_equal(write_set(escape, "x\n", true, NULL, &err), LP_ERR_INVALID_ARG);
    expect_no_temporaries(g_dir);

    /* lp_outset_check refuses as add would, and creates nothing */
    lp_outset *s;
    lp_outset_opts no_force = {false, "--force", NULL};
    assert_int_equal(lp_outset_open(g_dir, &no_force, &s, &err), LP_OK);
    assert_int_equal(lp_outset_check(s, "a.txt", &err), LP_ERR_INVALID_ARG);
    assert_int_equal(lp_outset_check(s, "new.txt", &err), LP_OK);
    lp_outset_free(s);
    path_of("new.txt", p, sizeof p);
    assert_int_equal(access(p, F_OK), -1);
    expect_no_temporaries(g_dir);

    char d[64], n[64];
    assert_true(lp_outfile_split("out/report.md", d, sizeof d, n, sizeof n));
    assert_string_equal(d, "out/");
    assert_string_equal(n, "report.md");
    assert_true(lp_outfile_split("report.md", d, sizeof d, n, sizeof n));
    assert_string_equal(d, "");
    assert_false(lp_outfile_split("out/", d, sizeof d, n, sizeof n));
}

/* recommend --emit all --out DIR: the second run refuses before searching, --force replaces
 * and keeps a 0600 serve.sh 0600. */
static void test_recommend_emit(void **state) {
    (void)state;
    char out[700], args[2048];
    snprintf(out, sizeof out, "%s/deploy", g_dir);
    snprintf(args, sizeof args, "recommend --model " LLAMA " --gpu H100 --emit all --out %s 2>&1",
             out);
    free(lp_test_cli(args, 0));
    char serve[800];
    snprintf(serve, sizeof serve, "%s/serve.sh", out);
    assert_int_equal(chmod(serve, 0600), 0);
    FILE *f = fopen(serve, "a");
    fputs("# my edit\n", f);
    fclose(f);
    char *o = lp_test_cli(args, 2);
    assert_non_null(strstr(o, "serve.sh exists: add --force to replace it"));
    free(o);
    char *text = lp_test_read_file(serve, NULL);
    assert_non_null(strstr(text, "# my edit"));
    free(text);
    snprintf(args, sizeof args,
             "recommend --model " LLAMA " --gpu H100 --emit all --out %s --force 2>&1", out);
    free(lp_test_cli(args, 0));
    text = lp_test_read_file(serve, NULL);
    assert_null(strstr(text, "# my edit"));
    free(text);
    struct stat st;
    assert_int_equal(stat(serve, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    expect_no_temporaries(out);
}

/* plan --report FILE.md: the report and its charts are checked before any output. */
static void test_plan_report(void **state) {
    (void)state;
    char report[700], args[2048];
    snprintf(report, sizeof report, "%s/r.md", g_dir);
    snprintf(args, sizeof args, "plan --model " LLAMA " --gpu H100 --report %s", report);
    free(lp_test_cli(args, 0));
    char *o = lp_test_cli(args, 2);
    assert_string_equal(o, ""); /* refused before the plan is printed */
    free(o);
    /* only a chart of an earlier report is there: refused all the same */
    char chart[800];
    snprintf(chart, sizeof chart, "%s/r-1.svg", g_dir);
    assert_int_equal(remove(report), 0);
    char args2[2048];
    snprintf(args2, sizeof args2, "%s 2>&1", args);
    o = lp_test_cli(args2, 2);
    assert_non_null(strstr(o, "r-1.svg exists: add --force"));
    free(o);
    strncat(args, " --force", sizeof args - strlen(args) - 1);
    free(lp_test_cli(args, 0));
    assert_int_equal(access(report, F_OK), 0);
    assert_int_equal(access(chart, F_OK), 0);
    expect_no_temporaries(g_dir);
}

/* calibrate --out: one of its inputs is never the output, --force or not. */
static void test_calibrate_out(void **state) {
    (void)state;
    char input[700], args[4096];
    snprintf(input, sizeof input, "%s/result.json", g_dir);
    char *text = lp_test_read_file(DATA "benchmark_serving_v0.4_llama-3.1-8b_a100_inf.json", NULL);
    FILE *f = fopen(input, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    snprintf(args, sizeof args,
             "calibrate --results " DATA
             "benchmark_serving_v0.6_llama-3.1-8b_a100_sharegpt_r4.json %s --gpu A100-80GB "
             "--out %s --force 2>&1",
             input, input);
    char *o = lp_test_cli(args, 2);
    assert_non_null(strstr(o, "is also an input of this command"));
    free(o);
    char *after = lp_test_read_file(input, NULL);
    assert_string_equal(after, text);
    free(after);
    free(text);
    char calib[700];
    snprintf(calib, sizeof calib, "%s/a.calib", g_dir);
    snprintf(args, sizeof args,
             "calibrate --results " DATA
             "benchmark_serving_v0.6_llama-3.1-8b_a100_sharegpt_r4.json %s --gpu A100-80GB "
             "--out %s 2>&1",
             input, calib);
    free(lp_test_cli(args, 0));
    o = lp_test_cli(args, 2);
    assert_non_null(strstr(o, "a.calib exists: add --force"));
    free(o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_library_rules),
        cmocka_unit_test(test_recommend_emit),
        cmocka_unit_test(test_plan_report),
        cmocka_unit_test(test_calibrate_out),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
