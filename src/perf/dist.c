/*
 * dist.c - prompt/output length distributions and the deterministic random generator the
 * simulation uses (xoshiro256** seeded by splitmix64: same sequence for a seed everywhere).
 *
 * ShareGPT is sampled the way `vllm bench serve --dataset-name sharegpt` samples it
 * (vllm/benchmarks/datasets.py, ShareGPTDataset.sample and dataset_utils.is_valid_sequence):
 * a pair is kept only when the prompt has 4..1024 tokens, the output (the dataset's answer,
 * unless --sharegpt-output-len fixes it) at least 4, and prompt + output at most 2048; other
 * pairs are dropped and the next one drawn. llmplan does not ship the data set, so the
 * lengths before that filter follow two fitted shapes:
 *  - prompts: log-normal with sigma LP_SHAREGPT_PROMPT_SIGMA;
 *  - outputs: exponential (the tokens the server generated, early end-of-sequence included).
 * Both were fitted by maximum likelihood to the per-request input_lens / output_lens of the
 * two `benchmark_serving.py --save-result` files in ../shared/fixtures/vllm-bench (400
 * ShareGPT prompts, Llama-3.3-70B and DeepSeek-V2.5 tokenizers; outputs of at least 4
 * tokens, as the filter keeps). The location of each shape is solved so that the mean after
 * the filter is the one asked for; the default means (LP_SHAREGPT_MEAN_* in llmplan/workload.h)
 * come from published runs. lp_len_pair_* applies the joint filter; lp_len_sample draws one
 * side alone (no prompt + output cut).
 */
#include <math.h>
#include <stdio.h>

#include "perf/perf_internal.h"

/* Lengths are clamped here: vLLM's context lengths stay far below. */
#define LP_MAX_SAMPLED_LEN 10000000.0
#define LP_TWO_PI 6.283185307179586
#define LP_SQRT2 1.4142135623730951

/* vLLM's ShareGPT filter (dataset_utils.is_valid_sequence defaults: min_len 4,
 * max_prompt_len 1024, max_total_len 2048). */
#define LP_SHAREGPT_MIN_LEN LP_SHAREGPT_MIN_PROMPT_LEN
#define LP_SHAREGPT_MAX_PROMPT 1024
#define LP_SHAREGPT_MAX_TOTAL LP_SHAREGPT_MAX_PAIR_TOKENS

/* Shapes before the filter, fitted by maximum likelihood (interval likelihood of the integer
 * lengths, truncated to the filter) to ../shared/fixtures/vllm-bench/
 * llama-3.3-70b.tp8.a100-40gbx8.qps-inf.benchmark_serving.json and
 * deepseek-v2.5.tp8pp2.2x-a100-40gbx8.qps-4.benchmark_serving.json: the 400 prompts (median
 * 89, p90 ~640 tokens: nearly log-uniform over 4..1024; the likelihood peaks near sigma 6 and
 * is flat from 4 up, while the former sigma 1.0 is far worse) and the 348 outputs of at least
 * 4 tokens (an exponential fits them better than any log-normal; median, p75 and p90 agree
 * within 15 %, but the runs have more very short answers: their p25 is 37 tokens, the
 * exponential's 72). tests/test_dist.c compares the shapes with those runs' quantiles. */
#define LP_SHAREGPT_PROMPT_SIGMA 6.0

/* Draws allowed for one pair before sampling gives up (the filter keeps most draws; only a
 * fixed output close to 2048 tokens makes valid prompts rare). */
#define LP_SHAREGPT_MAX_TRIES 100000

lp_len_dist lp_len_fixed(double tokens) {
    lp_len_dist d = {0};
    d.kind = LP_LEN_FIXED;
    d.mean = tokens;
    d.lo = d.hi = tokens;
    return d;
}

lp_len_dist lp_len_sharegpt_input(double mean_tokens) {
    lp_len_dist d = {0};
    d.kind = LP_LEN_SHAREGPT;
    d.mean = mean_tokens;
    d.lo = LP_SHAREGPT_MIN_LEN;
    d.hi = LP_SHAREGPT_MAX_PROMPT;
    return d;
}

lp_len_dist lp_len_sharegpt_output(double mean_tokens) {
    lp_len_dist d = {0};
    d.kind = LP_LEN_SHAREGPT;
    d.mean = mean_tokens;
    d.lo = LP_SHAREGPT_MIN_LEN;
    d.hi = LP_SHAREGPT_MAX_TOTAL - LP_SHAREGPT_MIN_LEN;
    return d;
}

/* Which side a ShareGPT distribution describes: the output constructor's upper cut is above
 * any prompt's. */
static bool sharegpt_is_output(const lp_len_dist *d) {
    return d->hi > LP_SHAREGPT_MAX_PROMPT;
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
        if (!(d->mean >= 1.0 && d->mean <= LP_MAX_SAMPLED_LEN))
            return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: expected at least 1 token, got %g",
                                what, d->mean);
        return LP_OK;
    case LP_LEN_SHAREGPT:
        /* the filter keeps 4..1024-token prompts; an exponential cut at 4..2044 tokens averages
         * at most their midpoint, 1024 */
        if (!(d->mean > LP_SHAREGPT_MIN_LEN && d->mean < LP_SHAREGPT_MAX_PROMPT))
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "%s: ShareGPT lengths as vllm bench serve keeps them (prompts of "
                                "4 to 1024 tokens, prompt + output at most 2048) average between "
                                "4 and 1024 tokens, not %g; use a normal: or hist: distribution "
                                "for other workloads",
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

/* Marsaglia and Tsang (2000), "A simple method for generating gamma variables": for shape
 * below 1, a draw at shape + 1 times U^(1 / shape). */
double lp_rng_gamma(lp_rng *r, double shape, double scale) {
    double boost = 1.0;
    if (shape < 1.0) {
        boost = pow(1.0 - lp_rng_uniform(r), 1.0 / shape);
        shape += 1.0;
    }
    const double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x = lp_rng_normal(r), v = 1.0 + c * x;
        if (v <= 0)
            continue;
        v = v * v * v;
        double u = 1.0 - lp_rng_uniform(r);
        if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
            return d * v * scale * boost;
    }
}

double lp_rng_exponential(lp_rng *r, double rate) {
    return -log(1.0 - lp_rng_uniform(r)) / rate;
}

/* ---- ShareGPT shapes ---------------------------------------------------------------------- */

static double normal_cdf(double z) {
    return 0.5 * erfc(-z / LP_SQRT2);
}

/* Inverse of the standard normal CDF: Acklam's rational approximation refined by one Halley
 * step (relative error below 1e-12 on (0, 1)). */
static double normal_quantile(double p) {
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    if (!(p > 0))
        return -INFINITY;
    if (!(p < 1))
        return INFINITY;
    double x, q;
    if (p < 0.02425) {
        q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p <= 1 - 0.02425) {
        q = p - 0.5;
        double r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        q = sqrt(-2 * log(1 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    double e = normal_cdf(x) - p;
    double u = e * sqrt(LP_TWO_PI) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

/* Mean of exp(mu + sigma Z) given a <= X < b. */
static double lognormal_cut_mean(double mu, double sigma, double a, double b) {
    double la = log(a), lb = log(b), s2 = sigma * sigma;
    double mass = normal_cdf((lb - mu) / sigma) - normal_cdf((la - mu) / sigma);
    double part = normal_cdf((lb - mu - s2) / sigma) - normal_cdf((la - mu - s2) / sigma);
    return mass > 0 ? exp(mu + 0.5 * s2) * part / mass : (mu < la ? a : b);
}

/* Mean of an exponential with mean theta given a <= X < b (memoryless: a + mean of the cut
 * exponential on [0, b - a)). */
static double exponential_cut_mean(double theta, double a, double b) {
    double len = b - a, e = exp(-len / theta);
    return a + theta - len * e / (1 - e);
}

/* The shape of one side: cut to the continuous range [a, b) whose rounded values are the
 * lengths the filter keeps on that side alone, located so that its cut mean is d->mean. */
static void sharegpt_shape(const lp_len_dist *d, bool output, lp_len_shape *sh) {
    sh->a = LP_SHAREGPT_MIN_LEN - 0.5;
    sh->b = (output ? LP_SHAREGPT_MAX_TOTAL - LP_SHAREGPT_MIN_LEN : LP_SHAREGPT_MAX_PROMPT) + 0.5;
    sh->output = output;
    double mean = d->mean;
    if (!(mean > sh->a))
        mean = sh->a;
    /* bisection on the location: the cut mean grows with it */
    double lo, hi;
    if (output) {
        lo = 1e-6;
        hi = 1e9;
    } else {
        lo = log(sh->a) - 30;
        hi = log(sh->b) + 30;
    }
    for (int i = 0; i < 200; i++) {
        double mid = output ? sqrt(lo * hi) : 0.5 * (lo + hi);
        double m = output ? exponential_cut_mean(mid, sh->a, sh->b)
                          : lognormal_cut_mean(mid, LP_SHAREGPT_PROMPT_SIGMA, sh->a, sh->b);
        if (m < mean)
            lo = mid;
        else
            hi = mid;
    }
    sh->location = output ? sqrt(lo * hi) : 0.5 * (lo + hi);
    if (output) {
        sh->cdf_a = 0;
        sh->cdf_b = 1 - exp(-(sh->b - sh->a) / sh->location);
    } else {
        sh->cdf_a = normal_cdf((log(sh->a) - sh->location) / LP_SHAREGPT_PROMPT_SIGMA);
        sh->cdf_b = normal_cdf((log(sh->b) - sh->location) / LP_SHAREGPT_PROMPT_SIGMA);
    }
}

/* The continuous value at probability u of a cut shape (inverse CDF). */
static double shape_value(const lp_len_shape *sh, double u) {
    double p = sh->cdf_a + u * (sh->cdf_b - sh->cdf_a);
    double v = sh->output ? sh->a - sh->location * log1p(-p)
                          : exp(sh->location + LP_SHAREGPT_PROMPT_SIGMA * normal_quantile(p));
    if (v < sh->a)
        v = sh->a;
    if (v >= sh->b)
        v = sh->b - 0.5;
    return v;
}

static int64_t shape_draw(const lp_len_shape *sh, double u) {
    return llround(shape_value(sh, u));
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
        lp_len_shape sh;
        sharegpt_shape(d, sharegpt_is_output(d), &sh);
        return shape_draw(&sh, lp_rng_uniform(r));
    }
    }
    return 1;
}

/* The inverse CDF at q in [0, 1] (histograms: the smallest value whose cumulative weight
 * reaches q). */
static double inverse_cdf(const lp_len_dist *d, double q) {
    if (!(q > 0))
        q = 0;
    if (q > 1)
        q = 1;
    switch (d->kind) {
    case LP_LEN_SHAREGPT: {
        lp_len_shape sh;
        sharegpt_shape(d, sharegpt_is_output(d), &sh);
        return shape_value(&sh, q);
    }
    case LP_LEN_UNIFORM:
        return d->lo + q * (d->hi - d->lo);
    case LP_LEN_NORMAL: {
        double lo = d->lo >= 1.0 ? d->lo : 1.0;
        double hi = d->hi > lo ? d->hi : LP_MAX_SAMPLED_LEN;
        double v = d->mean + d->stddev * normal_quantile(q);
        return v < lo ? lo : v > hi ? hi : v;
    }
    case LP_LEN_HISTOGRAM: {
        /* the smallest value whose cumulative weight reaches q */
        double sw = 0;
        for (int i = 0; i < d->n; i++)
            sw += d->weights[i];
        double best = INFINITY, fallback = 0;
        for (int i = 0; i < d->n; i++) {
            double below = 0;
            for (int j = 0; j < d->n; j++)
                if (d->values[j] <= d->values[i])
                    below += d->weights[j];
            if (below >= q * sw && d->values[i] < best)
                best = d->values[i];
            if (d->values[i] > fallback)
                fallback = d->values[i];
        }
        return isfinite(best) ? best : fallback;
    }
    default:
        return d->mean;
    }
}

lp_status lp_len_quantile(const lp_len_dist *d, double q, double *out) {
    *out = inverse_cdf(d, q);
    return LP_OK;
}

lp_status lp_len_pair_init(lp_len_pair_sampler *s, const lp_len_dist *in, const lp_len_dist *out,
                           lp_error *err) {
    s->in = *in;
    s->out = *out;
    s->sharegpt_in = in->kind == LP_LEN_SHAREGPT;
    s->sharegpt_out = out->kind == LP_LEN_SHAREGPT;
    if (s->sharegpt_in)
        sharegpt_shape(in, false, &s->in_shape);
    if (s->sharegpt_out)
        sharegpt_shape(out, true, &s->out_shape);
    if (s->sharegpt_in && out->kind == LP_LEN_FIXED &&
        out->mean > LP_SHAREGPT_MAX_TOTAL - LP_SHAREGPT_MIN_LEN)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "output length %.0f with ShareGPT prompts: vllm bench serve drops "
                            "every pair longer than %d tokens, so no prompt of at least %d "
                            "tokens is left; use an output length of at most %d",
                            out->mean, LP_SHAREGPT_MAX_TOTAL, LP_SHAREGPT_MIN_LEN,
                            LP_SHAREGPT_MAX_TOTAL - LP_SHAREGPT_MIN_LEN);
    return LP_OK;
}

lp_status lp_len_pair_sample(const lp_len_pair_sampler *s, lp_rng *r, int64_t *in, int64_t *out,
                             lp_error *err) {
    for (int tries = 0; tries < LP_SHAREGPT_MAX_TRIES; tries++) {
        *in =
            s->sharegpt_in ? shape_draw(&s->in_shape, lp_rng_uniform(r)) : lp_len_sample(&s->in, r);
        *out = s->sharegpt_out ? shape_draw(&s->out_shape, lp_rng_uniform(r))
                               : lp_len_sample(&s->out, r);
        /* is_valid_sequence: the total only limits pairs whose prompt comes from ShareGPT;
         * each side's own bounds are kept by its shape */
        if (!s->sharegpt_in || *in + *out <= LP_SHAREGPT_MAX_TOTAL)
            return LP_OK;
    }
    return lp_error_set(err, LP_ERR_INVALID_ARG,
                        "no ShareGPT prompt fits with the output lengths asked for: vllm bench "
                        "serve drops pairs over %d tokens",
                        LP_SHAREGPT_MAX_TOTAL);
}
