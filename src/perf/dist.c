/*
 * dist.c - prompt/output length distributions and the deterministic random generator the
 * simulation uses (xoshiro256** seeded by splitmix64: same sequence for a seed everywhere).
 *
 * The ShareGPT-like preset is a log-normal with sigma 1.0 scaled to the requested mean: the
 * ShareGPT conversations `vllm bench serve` samples are long-tailed (the validation data
 * quotes about 202 input / 179 output tokens on average); sigma is a stated assumption, not
 * a fit to the real data set, which llmplan does not ship.
 */
#include <math.h>
#include <stdio.h>

#include "perf/perf_internal.h"

/* Log-normal shape of the ShareGPT-like preset (see the top comment). */
#define LP_SHAREGPT_SIGMA 1.0
/* Lengths are clamped here: vLLM's context lengths stay far below. */
#define LP_MAX_SAMPLED_LEN 10000000.0
#define LP_TWO_PI 6.283185307179586
/* Redraws allowed for a truncated ShareGPT-like length before clamping. */
#define LP_SHAREGPT_MAX_TRIES 64

lp_len_dist lp_len_fixed(double tokens) {
    lp_len_dist d = {0};
    d.kind = LP_LEN_FIXED;
    d.mean = tokens;
    d.lo = d.hi = tokens;
    return d;
}

double lp_len_mean(const lp_len_dist *d) {
    switch (d->kind) {
    case LP_LEN_UNIFORM:
        return 0.5 * (d->lo + d->hi);
    case LP_LEN_HISTOGRAM: {
        double sw = 0, swv = 0;
        for (int i = 0; i < d->n; i++) {
            sw += d->weights[i];
            swv += d->weights[i] * d->values[i];
        }
        return sw > 0 ? swv / sw : 0;
    }
    default:
        return d->mean;
    }
}

lp_status lp_len_validate(const lp_len_dist *d, const char *what, lp_error *err) {
    switch (d->kind) {
    case LP_LEN_FIXED:
    case LP_LEN_SHAREGPT:
        if (!(d->mean >= 1.0 && d->mean <= LP_MAX_SAMPLED_LEN))
            return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: expected at least 1 token, got %g",
                                what, d->mean);
        return LP_OK;
    case LP_LEN_NORMAL:
        if (!(d->mean >= 1.0 && d->mean <= LP_MAX_SAMPLED_LEN) || !(d->stddev >= 0.0))
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "%s: normal distribution needs mean >= 1 and stddev >= 0", what);
        return LP_OK;
    case LP_LEN_UNIFORM:
        if (!(d->lo >= 1.0 && d->hi >= d->lo && d->hi <= LP_MAX_SAMPLED_LEN))
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "%s: uniform distribution needs 1 <= lo <= hi, got [%g, %g]", what,
                                d->lo, d->hi);
        return LP_OK;
    case LP_LEN_HISTOGRAM: {
        if (!d->values || !d->weights || d->n <= 0)
            return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: empty histogram", what);
        double sw = 0;
        for (int i = 0; i < d->n; i++) {
            if (!(d->values[i] >= 1.0 && d->values[i] <= LP_MAX_SAMPLED_LEN) ||
                !(d->weights[i] >= 0.0))
                return lp_error_set(err, LP_ERR_INVALID_ARG,
                                    "%s: histogram entry %d: length must be >= 1 and weight >= 0",
                                    what, i + 1);
            sw += d->weights[i];
        }
        if (!(sw > 0))
            return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: histogram weights sum to 0", what);
        return LP_OK;
    }
    }
    return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: unknown distribution", what);
}

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void lp_rng_seed(lp_rng *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

static uint64_t next_u64(lp_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double lp_rng_uniform(lp_rng *r) {
    return (double)(next_u64(r) >> 11) * 0x1.0p-53;
}

double lp_rng_normal(lp_rng *r) {
    /* Box-Muller; u1 in (0, 1] so log is finite */
    double u1 = 1.0 - lp_rng_uniform(r);
    double u2 = lp_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(LP_TWO_PI * u2);
}

double lp_rng_exponential(lp_rng *r, double rate) {
    return -log(1.0 - lp_rng_uniform(r)) / rate;
}

static int64_t clamp_len(double v, double lo, double hi) {
    if (!(v >= lo))
        v = lo;
    if (v > hi)
        v = hi;
    return (int64_t)llround(v);
}

int64_t lp_len_sample(const lp_len_dist *d, lp_rng *r) {
    switch (d->kind) {
    case LP_LEN_FIXED:
        return clamp_len(d->mean, 1.0, LP_MAX_SAMPLED_LEN);
    case LP_LEN_NORMAL: {
        double lo = d->lo >= 1.0 ? d->lo : 1.0;
        double hi = d->hi > lo ? d->hi : LP_MAX_SAMPLED_LEN;
        return clamp_len(d->mean + d->stddev * lp_rng_normal(r), lo, hi);
    }
    case LP_LEN_UNIFORM:
        return clamp_len(d->lo + floor(lp_rng_uniform(r) * (d->hi - d->lo + 1.0)), d->lo, d->hi);
    case LP_LEN_HISTOGRAM: {
        double sw = 0;
        for (int i = 0; i < d->n; i++)
            sw += d->weights[i];
        double u = lp_rng_uniform(r) * sw;
        for (int i = 0; i < d->n; i++) {
            if (u < d->weights[i])
                return clamp_len(d->values[i], 1.0, LP_MAX_SAMPLED_LEN);
            u -= d->weights[i];
        }
        return clamp_len(d->values[d->n - 1], 1.0, LP_MAX_SAMPLED_LEN);
    }
    case LP_LEN_SHAREGPT: {
        /* log-normal with E[X] = mean: mu = ln(mean) - sigma^2 / 2; when [lo, hi] is set (vLLM's
         * ShareGPT sampler keeps 4..1024 tokens per side) draws outside are redrawn */
        double mu = log(d->mean) - 0.5 * LP_SHAREGPT_SIGMA * LP_SHAREGPT_SIGMA;
        double lo = d->lo >= 1.0 ? d->lo : 1.0;
        double hi = d->hi >= lo ? d->hi : LP_MAX_SAMPLED_LEN;
        double v = 0;
        for (int tries = 0; tries < LP_SHAREGPT_MAX_TRIES; tries++) {
            v = exp(mu + LP_SHAREGPT_SIGMA * lp_rng_normal(r));
            if (v >= lo && v <= hi)
                break;
        }
        return clamp_len(v, lo, hi);
    }
    }
    return 1;
}
