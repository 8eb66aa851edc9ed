/*
 * load_profile.c - a day of request rates (read from CSV text or given as numbers) and the
 * replicas, GPU-hours and cost it takes for a deployment of known capacity.
 *
 * The reader is strict on purpose: a capacity plan built on a mis-read row is worse than an
 * error, so every row is checked (two fields or one, a time in order, a rate that is a plain
 * number >= 0) and each message names the file, the line and what was expected. It does not
 * read files: the caller hands it the text.
 */
#include "llmplan/load_profile.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/numbers.h"

#define MINUTES_PER_DAY 1440
#define SECONDS_PER_DAY 86400.0
/* Longest line the reader looks at (a row is two short fields). */
#define MAX_LINE 256

/* Trim blanks (and a carriage return) at both ends, in place. */
static char *trim(char *s) {
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* "HH:MM" or "H" into minutes after midnight; false for anything else. */
static bool parse_time(const char *s, int *minutes) {
    int h = 0, m = 0, nd = 0;
    const char *p = s;
    while (isdigit((unsigned char)*p) && nd < 3) {
        h = h * 10 + (*p++ - '0');
        nd++;
    }
    if (nd == 0 || nd > 2)
        return false;
    if (*p == ':') {
        p++;
        if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
            return false;
        m = (p[0] - '0') * 10 + (p[1] - '0');
        p += 2;
        if (*p == ':') { /* HH:MM:SS with zero seconds */
            p++;
            if (p[0] != '0' || p[1] != '0')
                return false;
            p += 2;
        }
    }
    if (*p || h > 23 || m > 59)
        return false;
    *minutes = h * 60 + m;
    return true;
}

static void fmt_time(char *buf, size_t size, int minutes) {
    snprintf(buf, size, "%02d:%02d", minutes / 60, minutes % 60);
}

static lp_status check_count(size_t n, const char *name, lp_error *err) {
    if (n == 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "%s: no rows: expected one request rate per interval of the day "
                            "(24 hourly rows \"HH:MM,requests_per_s\", or 96, or 1440)",
                            name);
    if (n > MINUTES_PER_DAY || MINUTES_PER_DAY % n != 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "%s: %zu rows: a day of equal intervals needs a count that divides "
                            "1440 minutes (24 hourly rows, 96 quarter-hours, 1440 per minute)",
                            name, n);
    return LP_OK;
}

static lp_status check_rate(double v, const char *where, const char *text, lp_error *err) {
    if (!(v >= 0) || !isfinite(v))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "%s: request rate %s: expected requests/s, a number >= 0", where, text);
    return LP_OK;
}

static lp_status finish(lp_load_profile *out, const char *name, lp_error *err) {
    lp_status st = check_count(out->n, name, err);
    if (st != LP_OK)
        return st;
    out->interval_s = SECONDS_PER_DAY / (double)out->n;
    if (!(lp_load_profile_peak(out) > 0))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "%s: every request rate is 0: the profile offers no load", name);
    return LP_OK;
}

lp_status lp_load_profile_from_rates(const double *rates, size_t n, const char *what,
                                     lp_load_profile *out, lp_error *err) {
    memset(out, 0, sizeof *out);
    what = what ? what : "load profile";
    if (n > 0 && !rates)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: NULL rates", what);
    lp_status st = check_count(n, what, err);
    if (st != LP_OK)
        return st;
    for (size_t i = 0; i < n; i++) {
        char where[96], text[48];
        snprintf(where, sizeof where, "%s[%zu]", what, i);
        snprintf(text, sizeof text, "%g", rates[i]);
        if ((st = check_rate(rates[i], where, text, err)) != LP_OK)
            return st;
        out->rate[i] = rates[i];
    }
    out->n = n;
    return finish(out, what, err);
}

lp_status lp_load_profile_parse(const char *text, size_t len, const char *name,
                                lp_load_profile *out, lp_error *err) {
    memset(out, 0, sizeof *out);
    name = name ? name : "load profile";
    if (!text)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: no text", name);
    int columns = 0;       /* 1 or 2, set by the first data row */
    int step = 0;          /* minutes between rows, set by the second timed row */
    int first_minute = -1; /* time of the first row */
    bool header_allowed = true;
    size_t line_no = 0;
    for (size_t pos = 0; pos < len;) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        line_no++;
        char line[MAX_LINE + 1];
        size_t n = end - pos;
        if (n > MAX_LINE)
            return lp_error_set(err, LP_ERR_PARSE,
                                "%s:%zu: a line of %zu bytes: expected TIME,REQUESTS_PER_S "
                                "(e.g. 04:00,12.5)",
                                name, line_no, n);
        memcpy(line, text + pos, n);
        line[n] = '\0';
        pos = end + 1;
        if (memchr(line, '\0', n))
            return lp_error_set(err, LP_ERR_PARSE, "%s:%zu: a NUL byte: expected CSV text", name,
                                line_no);
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char where[300];
        snprintf(where, sizeof where, "%s:%zu", name, line_no);
        char *fields[2];
        int nf = 1;
        char *comma = strchr(s, ',');
        if (comma && strchr(comma + 1, ','))
            return lp_error_set(err, LP_ERR_PARSE,
                                "%s: more than 2 fields: expected TIME,REQUESTS_PER_S "
                                "(e.g. 04:00,12.5) or one request rate",
                                where);
        if (comma) {
            *comma = '\0';
            fields[1] = trim(comma + 1);
            nf = 2;
        }
        fields[0] = trim(s);
        const char *rate_text = fields[nf - 1];
        double rate;
        bool numeric = lp_parse_decimal(rate_text, &rate);
        if (!numeric && header_allowed) { /* a header line */
            header_allowed = false;
            continue;
        }
        header_allowed = false;
        if (columns == 0)
            columns = nf;
        else if (nf != columns)
            return lp_error_set(err, LP_ERR_PARSE,
                                "%s: %d field%s where the rows above have %d: expected %s", where,
                                nf, nf == 1 ? "" : "s", columns,
                                columns == 2 ? "TIME,REQUESTS_PER_S" : "one request rate");
        char quoted[80];
        snprintf(quoted, sizeof quoted, "\"%.60s\"", rate_text);
        if (!numeric)
            return lp_error_set(err, LP_ERR_PARSE,
                                "%s: request rate %s: expected requests/s, a number >= 0", where,
                                quoted);
        lp_status st = check_rate(rate, where, quoted, err);
        if (st != LP_OK)
            return st;
        if (out->n >= LP_LOAD_PROFILE_MAX_INTERVALS)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "%s: more than %d rows: at most one per minute of the day", where,
                                LP_LOAD_PROFILE_MAX_INTERVALS);
        if (columns == 2) {
            int minute;
            if (!parse_time(fields[0], &minute))
                return lp_error_set(err, LP_ERR_PARSE,
                                    "%s: time \"%.40s\": expected HH:MM (00:00 to 23:59) or a "
                                    "whole hour (0 to 23)",
                                    where, fields[0]);
            char want[16], got[16];
            if (out->n == 0) {
                if (minute != 0) {
                    fmt_time(got, sizeof got, minute);
                    return lp_error_set(err, LP_ERR_INVALID_ARG,
                                        "%s: the first interval starts at %s: expected 00:00 "
                                        "(rows cover the day from midnight)",
                                        where, got);
                }
                first_minute = minute;
            } else if (out->n == 1) {
                step = minute - first_minute;
                if (step <= 0) {
                    fmt_time(got, sizeof got, minute);
                    return lp_error_set(err, LP_ERR_INVALID_ARG,
                                        "%s: time %s is not after 00:00: rows are consecutive "
                                        "intervals in time order",
                                        where, got);
                }
            } else if (minute != first_minute + (int)out->n * step) {
                fmt_time(want, sizeof want, first_minute + (int)out->n * step);
                fmt_time(got, sizeof got, minute);
                return lp_error_set(err, LP_ERR_INVALID_ARG,
                                    "%s: time %s: expected %s (rows are consecutive intervals of "
                                    "%d minutes from 00:00)",
                                    where, got, want, step);
            }
        }
        out->rate[out->n++] = rate;
    }
    if (columns == 2 && out->n > 1 && step * (int)out->n != MINUTES_PER_DAY)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "%s: %zu rows %d minutes apart cover %d minutes: expected the whole "
                            "day (1440 minutes)",
                            name, out->n, step, step * (int)out->n);
    return finish(out, name, err);
}

double lp_load_profile_peak(const lp_load_profile *p) {
    double peak = 0;
    for (size_t i = 0; i < p->n; i++)
        if (p->rate[i] > peak)
            peak = p->rate[i];
    return peak;
}

double lp_load_profile_mean(const lp_load_profile *p) {
    double sum = 0;
    for (size_t i = 0; i < p->n; i++)
        sum += p->rate[i];
    return p->n ? sum / (double)p->n : 0;
}

int lp_load_replicas(double rate, double headroom, double max_request_rate, int min_replicas) {
    if (!(rate > 0))
        return min_replicas > 0 ? min_replicas : 0;
    if (!(max_request_rate > 0))
        return -1;
    /* a rate that fills the replicas exactly needs no extra one (rounding noise aside) */
    double need = ceil(rate * (1 + (headroom > 0 ? headroom : 0)) / max_request_rate * (1 - 1e-9));
    if (need > 1e9)
        need = 1e9;
    int r = (int)need;
    if (r < 1)
        r = 1;
    return r < min_replicas ? min_replicas : r;
}

lp_status lp_load_profile_size(const lp_load_profile *p, double max_request_rate, int num_gpus,
                               double headroom, int min_replicas, double usd_per_gpu_hour,
                               lp_load_sizing *out, lp_error *err) {
    memset(out, 0, sizeof *out);
    if (!p || p->n == 0 || p->n > LP_LOAD_PROFILE_MAX_INTERVALS || num_gpus < 1 ||
        !(headroom >= 0) || min_replicas < 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "load sizing: a profile, GPUs >= 1, headroom >= 0 and min replicas "
                            ">= 0 are needed");
    if (!(max_request_rate > 0))
        return lp_error_set(err, LP_ERR_INFEASIBLE,
                            "load sizing: the configuration meets the targets at no load "
                            "(max_request_rate 0)");
    out->n = p->n;
    out->interval_s = p->interval_s > 0 ? p->interval_s : SECONDS_PER_DAY / (double)p->n;
    out->num_gpus = num_gpus;
    out->headroom = headroom;
    out->min_replicas = min_replicas;
    out->max_request_rate = max_request_rate;
    out->usd_per_gpu_hour = usd_per_gpu_hour;
    const double hours = out->interval_s / 3600.0;
    for (size_t i = 0; i < p->n; i++) {
        int r = lp_load_replicas(p->rate[i], headroom, max_request_rate, min_replicas);
        out->replicas[i] = r;
        if (r > out->peak_replicas)
            out->peak_replicas = r;
        out->gpu_hours_per_day += (double)r * num_gpus * hours;
        out->requests_per_day += p->rate[i] * out->interval_s;
    }
    out->fixed_gpu_hours_per_day = (double)out->peak_replicas * num_gpus * 24.0;
    out->usd_per_day = out->gpu_hours_per_day * usd_per_gpu_hour;
    out->fixed_usd_per_day = out->fixed_gpu_hours_per_day * usd_per_gpu_hour;
    return LP_OK;
}
