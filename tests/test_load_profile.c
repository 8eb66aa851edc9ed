/*
 * test_load_profile.c - a day of load read from CSV (llmplan/load_profile.h): the accepted
 * forms, each refusal with its message naming the line, and the sizing arithmetic worked by
 * hand.
 */
#include "support/lp_test.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "llmplan/load_profile.h"

static lp_load_profile p;

static void parse_ok(const char *text) {
    lp_error err;
    if (lp_load_profile_parse(text, strlen(text), "day.csv", &p, &err) != LP_OK)
        fail_msg("refused: %s", err.message);
}

static void parse_fails(const char *text, lp_status code, const char *message) {
    lp_error err;
    lp_status st = lp_load_profile_parse(text, strlen(text), "day.csv", &p, &err);
    if (st != code || strcmp(err.message, message) != 0)
        fail_msg("status %d, message\n  \"%s\"\nexpected %d\n  \"%s\"", st, err.message, code,
                 message);
}

/* 24 hourly rows "HH:MM,rate" with a rate of h + 1 at hour h. */
static void hourly(char *buf, size_t size, const char *header) {
    size_t used = (size_t)snprintf(buf, size, "%s", header);
    for (int h = 0; h < 24; h++)
        used += (size_t)snprintf(buf + used, size - used, "%02d:00,%d\n", h, h + 1);
}

static void test_forms(void **state) {
    (void)state;
    char text[4096];
    hourly(text, sizeof text, "# requests per second through a day\ntime,requests_per_s\n\n");
    parse_ok(text);
    assert_int_equal(p.n, 24);
    assert_true(p.interval_s == 3600);
    assert_true(p.rate[0] == 1 && p.rate[23] == 24);
    assert_true(lp_load_profile_peak(&p) == 24);
    assert_true(lp_load_profile_mean(&p) == 12.5); /* (1 + ... + 24) / 24 */
    /* whole hours without minutes, CRLF line ends, blanks around fields */
    size_t used = 0;
    for (int h = 0; h < 24; h++)
        used += (size_t)snprintf(text + used, sizeof text - used, " %d , %g \r\n", h, 0.5 * h);
    parse_ok(text);
    assert_int_equal(p.n, 24);
    assert_true(p.rate[23] == 11.5);
    /* the rates alone: 96 quarter-hours */
    used = 0;
    for (int i = 0; i < 96; i++)
        used += (size_t)snprintf(text + used, sizeof text - used, "%d\n", i % 7);
    parse_ok(text);
    assert_int_equal(p.n, 96);
    assert_true(p.interval_s == 900);
    /* one row per minute */
    static char big[40000];
    used = 0;
    for (int m = 0; m < 1440; m++)
        used += (size_t)snprintf(big + used, sizeof big - used, "%02d:%02d,%.1f\n", m / 60, m % 60,
                                 m < 720 ? 1.0 : 2.5);
    parse_ok(big);
    assert_int_equal(p.n, 1440);
    assert_true(p.interval_s == 60);
    assert_true(lp_load_profile_mean(&p) == 1.75);
}

static void test_refusals(void **state) {
    (void)state;
    parse_fails("", LP_ERR_INVALID_ARG,
                "day.csv: no rows: expected one request rate per interval of the day (24 hourly "
                "rows \"HH:MM,requests_per_s\", or 96, or 1440)");
    parse_fails("00:00,1\n01:00,abc\n", LP_ERR_PARSE,
                "day.csv:2: request rate \"abc\": expected requests/s, a number >= 0");
    parse_fails("00:00,1\n01:00,-2\n", LP_ERR_INVALID_ARG,
                "day.csv:2: request rate \"-2\": expected requests/s, a number >= 0");
    parse_fails("00:00,1\n01:00,nan\n", LP_ERR_PARSE,
                "day.csv:2: request rate \"nan\": expected requests/s, a number >= 0");
    parse_fails("00:00,1\n01:00,2,3\n", LP_ERR_PARSE,
                "day.csv:2: more than 2 fields: expected TIME,REQUESTS_PER_S (e.g. 04:00,12.5) "
                "or one request rate");
    parse_fails("00:00,1\n25:00,2\n", LP_ERR_PARSE,
                "day.csv:2: time \"25:00\": expected HH:MM (00:00 to 23:59) or a whole hour (0 "
                "to 23)");
    parse_fails("01:00,1\n02:00,2\n", LP_ERR_INVALID_ARG,
                "day.csv:1: the first interval starts at 01:00: expected 00:00 (rows cover the "
                "day from midnight)");
    parse_fails("00:00,1\n01:00,2\n03:00,2\n", LP_ERR_INVALID_ARG,
                "day.csv:3: time 03:00: expected 02:00 (rows are consecutive intervals of 60 "
                "minutes from 00:00)");
    parse_fails("# header below\nhour,rate\n00:00,1\n3\n", LP_ERR_PARSE,
                "day.csv:4: 1 field where the rows above have 2: expected TIME,REQUESTS_PER_S");
    /* 23 hourly rows: not a whole day; 23 rates alone: no equal split of the day */
    char text[4096];
    size_t used = 0;
    for (int h = 0; h < 23; h++)
        used += (size_t)snprintf(text + used, sizeof text - used, "%02d:00,1\n", h);
    parse_fails(text, LP_ERR_INVALID_ARG,
                "day.csv: 23 rows 60 minutes apart cover 1380 minutes: expected the whole day "
                "(1440 minutes)");
    used = 0;
    for (int h = 0; h < 23; h++)
        used += (size_t)snprintf(text + used, sizeof text - used, "1\n");
    parse_fails(text, LP_ERR_INVALID_ARG,
                "day.csv: 23 rows: a day of equal intervals needs a count that divides 1440 "
                "minutes (24 hourly rows, 96 quarter-hours, 1440 per minute)");
    /* 24 rows 30 minutes apart: half a day */
    used = 0;
    for (int i = 0; i < 24; i++)
        used +=
            (size_t)snprintf(text + used, sizeof text - used, "%02d:%02d,1\n", i / 2, 30 * (i % 2));
    parse_fails(text, LP_ERR_INVALID_ARG,
                "day.csv: 24 rows 30 minutes apart cover 720 minutes: expected the whole day "
                "(1440 minutes)");
    /* no load at all */
    used = 0;
    for (int h = 0; h < 24; h++)
        used += (size_t)snprintf(text + used, sizeof text - used, "%d\n", 0);
    parse_fails(text, LP_ERR_INVALID_ARG,
                "day.csv: every request rate is 0: the profile offers no load");
    /* a second header line is a bad rate, not a header */
    parse_fails("time,rate\ntime,rate\n", LP_ERR_PARSE,
                "day.csv:2: request rate \"rate\": expected requests/s, a number >= 0");
}

static void test_from_rates(void **state) {
    (void)state;
    double rates[24];
    for (int i = 0; i < 24; i++)
        rates[i] = i;
    lp_error err;
    assert_int_equal(lp_load_profile_from_rates(rates, 24, "load_profile", &p, &err), LP_OK);
    assert_int_equal(p.n, 24);
    rates[3] = -1;
    assert_int_equal(lp_load_profile_from_rates(rates, 24, "load_profile", &p, &err),
                     LP_ERR_INVALID_ARG);
    assert_string_equal(err.message,
                        "load_profile[3]: request rate -1: expected requests/s, a number >= 0");
    assert_int_equal(lp_load_profile_from_rates(rates, 5, "load_profile", &p, &err),
                     LP_ERR_INVALID_ARG);
}

/*
 * By hand: 24 hours at 2 req/s except 08:00-17:59 at 10 req/s; one copy of the deployment
 * takes 5 req/s at the targets and has 2 GPUs at $3 per GPU-hour; 20 % headroom, at least one
 * copy. Quiet hours: ceil(2 x 1.2 / 5) = ceil(0.48) = 1 copy; busy hours: ceil(10 x 1.2 / 5) =
 * ceil(2.4) = 3 copies. GPU-hours: 14 h x 1 x 2 + 10 h x 3 x 2 = 28 + 60 = 88 a day ($264);
 * a fleet for the peak: 3 copies x 2 GPUs x 24 h = 144 GPU-hours ($432). Requests a day:
 * (14 x 2 + 10 x 10) x 3600 = 460,800.
 */
static void test_sizing_by_hand(void **state) {
    (void)state;
    double rates[24];
    for (int h = 0; h < 24; h++)
        rates[h] = h >= 8 && h < 18 ? 10 : 2;
    lp_error err;
    assert_int_equal(lp_load_profile_from_rates(rates, 24, NULL, &p, &err), LP_OK);
    lp_load_sizing z;
    assert_int_equal(lp_load_profile_size(&p, 5, 2, 0.2, 1, 3.0, &z, &err), LP_OK);
    assert_int_equal(z.replicas[0], 1);
    assert_int_equal(z.replicas[8], 3);
    assert_int_equal(z.replicas[17], 3);
    assert_int_equal(z.replicas[18], 1);
    assert_int_equal(z.peak_replicas, 3);
    assert_true(fabs(z.gpu_hours_per_day - 88) < 1e-9);
    assert_true(fabs(z.fixed_gpu_hours_per_day - 144) < 1e-9);
    assert_true(fabs(z.usd_per_day - 264) < 1e-9);
    assert_true(fabs(z.fixed_usd_per_day - 432) < 1e-9);
    assert_true(fabs(z.requests_per_day - 460800) < 1e-6);
    /* no price: costs unknown, GPU-hours still counted */
    assert_int_equal(lp_load_profile_size(&p, 5, 2, 0.2, 1, NAN, &z, &err), LP_OK);
    assert_true(isnan(z.usd_per_day));
    assert_true(fabs(z.gpu_hours_per_day - 88) < 1e-9);
    /* a deployment that meets the targets at no load cannot be sized */
    assert_int_equal(lp_load_profile_size(&p, 0, 2, 0.2, 1, 3.0, &z, &err), LP_ERR_INFEASIBLE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_from_rates),
        cmocka_unit_test(test_sizing_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
