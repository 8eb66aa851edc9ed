/*
 * test_cli_report.c - `--report FILE` on `llmplan plan` and `llmplan recommend` as a user runs
 * them: the file is written (HTML, or Markdown with its FILE-N.svg charts), the command exits
 * with its usual code (0 fits, 3 does not fit), an unknown extension is exit 2 before any
 * work, an unwritable path exit 1; the recommendation report of --top 50 is under 300 KB and
 * has no network reference.
 */
#include "support/lp_test.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_REPORT_BYTES (300 * 1024)

static char dir[256];

static int setup(void **state) {
    (void)state;
    return lp_test_make_temp_dir(dir, sizeof dir, "lp_test_cli_report") ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    return lp_test_remove_tree(dir);
}

static void path_in(char *buf, size_t size, const char *name) {
    snprintf(buf, size, "%s/%s", dir, name);
}

static size_t occurrences(const char *text, const char *needle) {
    size_t n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* No src= or href= pointing at the network anywhere in the file. */
static void assert_offline(const char *html) {
    static const char *const bad[] = {"src=\"http", "href=\"http", "src=\"//", "href=\"//",
                                      "src='http",  "href='http",  "@import",  "url(http"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (strstr(html, bad[i]))
            fail_msg("the report references the network: %s", bad[i]);
}

static void test_plan_html(void **state) {
    (void)state;
    char path[512], args[1024];
    path_in(path, sizeof path, "plan.html");
    snprintf(args, sizeof args,
             "plan --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 --max-model-len 16000 "
             "--report '%s'",
             path);
    free(lp_test_cli(args, 0));
    char *html = lp_test_read_file(path, NULL);
    assert_non_null(strstr(html, "<!DOCTYPE html>"));
    assert_int_equal(occurrences(html, "<svg "), 6);
    assert_non_null(strstr(html, "<pre id=\"vllm-serve-command\"><code>vllm serve "
                                 "meta-llama/Llama-3.1-8B-Instruct"));
    assert_non_null(strstr(html, "<section id=\"assumptions\">"));
    assert_non_null(strstr(html, "<line class=\"marker\""));
    assert_offline(html);
    free(html);
}

static void test_plan_does_not_fit(void **state) {
    (void)state;
    char path[512], args[1024];
    path_in(path, sizeof path, "nofit.html");
    snprintf(args, sizeof args,
             "plan --model meta-llama/Llama-3.3-70B-Instruct --gpu L40S --report '%s'", path);
    free(lp_test_cli(args, 3));
    char *html = lp_test_read_file(path, NULL);
    assert_non_null(strstr(html, "Does not fit"));
    /* the memory and KV charts only: nothing to estimate */
    assert_int_equal(occurrences(html, "<svg "), 3);
    free(html);
}

static void test_plan_markdown(void **state) {
    (void)state;
    char path[512], args[1024], svg[512];
    path_in(path, sizeof path, "plan.md");
    snprintf(args, sizeof args,
             "plan --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 -tp 2 --report '%s'", path);
    free(lp_test_cli(args, 0));
    char *md = lp_test_read_file(path, NULL);
    assert_non_null(strstr(md, "![Memory per GPU](plan-1.svg)"));
    assert_non_null(strstr(md, "```sh\nvllm serve"));
    free(md);
    for (int i = 1; i <= 6; i++) {
        char name[32];
        snprintf(name, sizeof name, "plan-%d.svg", i);
        path_in(svg, sizeof svg, name);
        char *text = lp_test_read_file(svg, NULL);
        assert_non_null(strstr(text, "<?xml version=\"1.0\""));
        assert_non_null(strstr(text, "class=\"chart\""));
        free(text);
    }
    struct stat st;
    path_in(svg, sizeof svg, "plan-7.svg");
    assert_int_not_equal(stat(svg, &st), 0);
}

/* --burstiness on recommend: the report's workload row and its simulation of the chosen
 * deployment send gamma gaps of that shape at the rate asked for, as the flags say. */
static void test_recommend_burstiness(void **state) {
    (void)state;
    char path[512], args[1024];
    path_in(path, sizeof path, "bursty.md");
    snprintf(args, sizeof args,
             "recommend --model meta-llama/Llama-3.1-8B-Instruct --gpus H100 --max-gpus 1 "
             "--random-input-len 1000 --random-output-len 200 --request-rate 5 "
             "--burstiness 0.5 --top 2 --report '%s'",
             path);
    free(lp_test_cli(args, 0));
    char *md = lp_test_read_file(path, NULL);
    assert_non_null(strstr(md, "5 requests/s (gamma gaps, burstiness 0.5)"));
    assert_non_null(strstr(md, "gamma gaps of burstiness 0.5 at 5 requests/s"));
    assert_non_null(strstr(md, "--burstiness 0.5 not modelled by the search"));
    /* one GPU at most: two pools need two GPUs, so no split is even tried */
    assert_non_null(
        strstr(md, "Disaggregated prefill/decode: disaggregation does not pay here: 1 GPU"));
    free(md);
}

static void test_bad_extension(void **state) {
    (void)state;
    char path[512], args[1024];
    path_in(path, sizeof path, "report.pdf");
    snprintf(args, sizeof args,
             "plan --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 --report '%s' 2>/dev/null",
             path);
    free(lp_test_cli(args, 2));
    struct stat st;
    assert_int_not_equal(stat(path, &st), 0);
    snprintf(args, sizeof args,
             "recommend --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 --report '%s' "
             "2>/dev/null",
             path);
    free(lp_test_cli(args, 2));
}

static void test_unwritable(void **state) {
    (void)state;
    char args[1024];
    snprintf(args, sizeof args,
             "plan --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 --report "
             "'%s/no/such/dir/r.html' 2>/dev/null",
             dir);
    free(lp_test_cli(args, 1));
}

static void test_recommend_top50(void **state) {
    (void)state;
    char path[512], args[1024];
    path_in(path, sizeof path, "rec.html");
    snprintf(args, sizeof args,
             "recommend --model meta-llama/Llama-3.1-8B-Instruct --gpus H100,L40S --max-gpus 8 "
             "--allow-quantization --random-input-len 1000 --random-output-len 200 "
             "--request-rate 4 --top 50 --report '%s'",
             path);
    free(lp_test_cli(args, 0));
    size_t len = 0;
    char *html = lp_test_read_file(path, &len);
    if (len >= MAX_REPORT_BYTES)
        fail_msg("report of --top 50 is %zu bytes (limit %d)", len, MAX_REPORT_BYTES);
    /* the plan's six charts, the Pareto front, and latency against load (E2E: no target) */
    assert_int_equal(occurrences(html, "<svg "), 8);
    assert_non_null(strstr(html, "id=\"chart-pareto\""));
    assert_non_null(strstr(html, "id=\"chart-capacity-e2e\""));
    assert_non_null(strstr(html, "<section id=\"capacity\">"));
    assert_int_equal(occurrences(html, "<tr class=\"chosen\">"), 1);
    /* the ranked table: 50 rows, numbered 1 to 50 */
    const char *t = strstr(html, "id=\"ranked-table\"");
    assert_non_null(t);
    assert_non_null(strstr(t, "<td>50</td>"));
    assert_non_null(strstr(html, "<pre id=\"vllm-serve-command\"><code>vllm serve"));
    assert_offline(html);
    free(html);
}

/* A report with targets and a load profile: one latency-against-load chart per target, each
 * with the target line and one line per top configuration, and the day's GPUs. */
static void test_recommend_capacity_charts(void **state) {
    (void)state;
    char path[512], csv[512], args[1536];
    path_in(path, sizeof path, "cap.html");
    path_in(csv, sizeof csv, "day.csv");
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    for (int h = 0; h < 24; h++)
        fprintf(f, "%02d:00,%d\n", h, h >= 9 && h < 18 ? 30 : 3);
    fclose(f);
    snprintf(args, sizeof args,
             "recommend --model meta-llama/Llama-3.1-8B-Instruct --gpus H100,L40S --max-gpus 4 "
             "--random-input-len 1000 --random-output-len 200 --max-ttft-ms 400 "
             "--max-tpot-ms 40 --top 5 --load-profile '%s' --report '%s'",
             csv, path);
    free(lp_test_cli(args, 0));
    char *html = lp_test_read_file(path, NULL);
    for (const char *id = "chart-capacity-ttft"; id;
         id = strcmp(id, "chart-capacity-ttft") == 0 ? "chart-capacity-tpot" : NULL) {
        char want[64];
        snprintf(want, sizeof want, "id=\"%s\"", id);
        const char *svg = strstr(html, want);
        if (!svg)
            fail_msg("the report has no %s", id);
        const char *end = strstr(svg, "</svg>");
        assert_non_null(end);
        size_t n = 0;
        for (const char *p = strstr(svg, "class=\"series-line\""); p && p < end;
             p = strstr(p + 1, "class=\"series-line\""))
            n++;
        assert_int_equal(n, 6); /* 5 configurations and the target */
        const char *target = strstr(svg, "target ");
        assert_true(target && target < end);
    }
    assert_null(strstr(html, "id=\"chart-capacity-e2e\"")); /* no E2E target */
    assert_non_null(strstr(html, "id=\"chart-load-profile\""));
    assert_non_null(strstr(html, "<section id=\"load-profile\">"));
    assert_non_null(strstr(html, "fixed fleet for the peak"));
    assert_offline(html);
    free(html);
    unlink(csv);
}

static void test_recommend_nothing_meets(void **state) {
    (void)state;
    char path[512], args[1024];
    path_in(path, sizeof path, "none.md");
    snprintf(args, sizeof args,
             "recommend --model meta-llama/Llama-3.1-8B-Instruct --gpu L40S --max-gpus 2 "
             "--max-ttft-ms 0.001 --report '%s' 2>/dev/null",
             path);
    free(lp_test_cli(args, 3));
    char *md = lp_test_read_file(path, NULL);
    assert_non_null(strstr(md, "No configuration meets the targets"));
    assert_non_null(strstr(md, "## What was rejected and why"));
    free(md);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_html),
        cmocka_unit_test(test_plan_does_not_fit),
        cmocka_unit_test(test_plan_markdown),
        cmocka_unit_test(test_bad_extension),
        cmocka_unit_test(test_unwritable),
        cmocka_unit_test(test_recommend_top50),
        cmocka_unit_test(test_recommend_burstiness),
        cmocka_unit_test(test_recommend_capacity_charts),
        cmocka_unit_test(test_recommend_nothing_meets),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
