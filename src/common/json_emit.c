/*
 * json_emit.c - the streaming JSON writer (see json_emit.h). The layout and number format
 * follow jansson 2.x's dump.c (do_dump, dump_indent, dump_string, jsonp_dtostr) so that both
 * writers give the same bytes. Reals of up to 9 digits are rounded with double arithmetic
 * instead of printf (several times faster), which decides every case printf would decide the
 * same way; near ties, scales beyond 10^+-22 and more digits go to printf (test_json_emit
 * compares with jansson and glibc on 200,000 values, ties included).
 */
#include "common/json_emit.h"
#include "common/grow.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void lp_je_init(lp_json_emit *w, bool indent, int precision) {
    char *buf = w->buf;
    size_t cap = w->cap;
    memset(w, 0, sizeof *w);
    w->buf = buf;
    w->cap = cap;
    w->indent = indent;
    w->precision = precision >= 1 && precision <= 17 ? precision : 17;
    w->first[0] = true;
    if (w->buf)
        w->buf[0] = '\0';
}

void lp_je_free(lp_json_emit *w) {
    free(w->buf);
    w->buf = NULL;
    w->len = w->cap = 0;
}

void lp_je_reset(lp_json_emit *w) {
    lp_je_init(w, w->indent, w->precision);
}

static bool reserve(lp_json_emit *w, size_t extra) {
    if (w->oom)
        return false;
    if (w->len + extra + 1 <= w->cap)
        return true;
    char *b = lp_grow(w->buf, &w->cap, w->len + extra + 1, 1, 1024);
    if (!b) {
        w->oom = true;
        return false;
    }
    w->buf = b;
    return true;
}

static void put(lp_json_emit *w, const char *s, size_t n) {
    if (!reserve(w, n))
        return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void put_c(lp_json_emit *w, char c) {
    if (w->len + 2 <= w->cap && !w->oom) {
        w->buf[w->len++] = c;
        w->buf[w->len] = '\0';
        return;
    }
    put(w, &c, 1);
}

/* jansson's dump_indent: a newline and the level's spaces with an indent, else one space
 * (when asked) unless compact. */
static void indent_to(lp_json_emit *w, int depth, bool space) {
    if (w->indent) {
        if (!reserve(w, 1 + 2 * (size_t)depth))
            return;
        w->buf[w->len++] = '\n';
        memset(w->buf + w->len, ' ', 2 * (size_t)depth);
        w->len += 2 * (size_t)depth;
        w->buf[w->len] = '\0';
    } else if (space) {
        /* JSON_COMPACT: no space */
    }
}

/* Before a value or a key at the current depth: the separator from the previous one. */
static void before_item(lp_json_emit *w) {
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth == 0)
        return;
    if (w->first[w->depth]) {
        w->first[w->depth] = false;
        indent_to(w, w->depth, false);
    } else {
        put_c(w, ',');
        indent_to(w, w->depth, true);
    }
}

static void open_container(lp_json_emit *w, char c) {
    before_item(w);
    put_c(w, c);
    if (w->depth + 1 < LP_JSON_EMIT_MAX_DEPTH) {
        w->depth++;
        w->first[w->depth] = true;
    } else {
        w->oom = true; /* deeper than the writer tracks: a caller's bug, reported as a failure */
    }
}

static void close_container(lp_json_emit *w, char c) {
    if (w->depth <= 0)
        return;
    bool empty = w->first[w->depth];
    w->depth--;
    if (!empty)
        indent_to(w, w->depth, false);
    put_c(w, c);
}

void lp_je_object_begin(lp_json_emit *w) {
    open_container(w, '{');
}

void lp_je_object_end(lp_json_emit *w) {
    close_container(w, '}');
}

void lp_je_array_begin(lp_json_emit *w) {
    open_container(w, '[');
}

void lp_je_array_end(lp_json_emit *w) {
    close_container(w, ']');
}

/* The length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one. */
static int utf8_len(const unsigned char *s) {
    unsigned c = s[0];
    int n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    /* overlong forms, surrogates, beyond U+10FFFF */
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* A string as jansson's dump_string writes it (without JSON_ENSURE_ASCII); a byte that is not
 * valid UTF-8 becomes U+FFFD (jansson refuses such strings). */
static void put_string(lp_json_emit *w, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    put_c(w, '"');
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        const unsigned char *run = p;
        while (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        put(w, (const char *)run, (size_t)(p - run));
        if (!*p)
            break;
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            put(w, e, 2);
            p++;
        } else if (c < 0x20) {
            const char *e = c == '\b'   ? "\\b"
                            : c == '\f' ? "\\f"
                            : c == '\n' ? "\\n"
                            : c == '\r' ? "\\r"
                            : c == '\t' ? "\\t"
                                        : NULL;
            if (e) {
                put(w, e, 2);
            } else {
                char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                put(w, u, 6);
            }
            p++;
        } else {
            int n = utf8_len(p);
            if (n > 0) {
                put(w, (const char *)p, (size_t)n);
                p += n;
            } else {
                put(w, "\xEF\xBF\xBD", 3);
                p++;
            }
        }
    }
    put_c(w, '"');
}

void lp_je_key(lp_json_emit *w, const char *key) {
    before_item(w);
    put_string(w, key);
    if (w->indent)
        put(w, ": ", 2);
    else
        put_c(w, ':');
    w->after_key = true;
}

void lp_je_string(lp_json_emit *w, const char *s) {
    before_item(w);
    put_string(w, s);
}

void lp_je_null(lp_json_emit *w) {
    before_item(w);
    put(w, "null", 4);
}

void lp_je_bool(lp_json_emit *w, bool v) {
    before_item(w);
    if (v)
        put(w, "true", 4);
    else
        put(w, "false", 5);
}

void lp_je_int(lp_json_emit *w, long long v) {
    before_item(w);
    char buf[24];
    char *end = buf + sizeof buf, *p = end;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    put(w, p, (size_t)(end - p));
}

/* 10^0 .. 10^22: every power of ten a double holds exactly. */
#define LP_EXACT_POW10_MAX 22
static const double POW10[LP_EXACT_POW10_MAX + 1] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Most significant digits the double arithmetic below rounds exactly: the scaled value is
 * below 10^9, its error below 10^9 x 2^-53 = 1.1e-7, well inside NEAR_TIE. */
#define LP_FAST_DIGITS_MAX 9
/* A fraction this close to one half is left to printf, which rounds the exact value. */
#define LP_NEAR_TIE 1e-6

/* floor(log10(a)) for a > 0, up to one off (round_digits corrects it): from the binary
 * exponent, without calling log10. */
static int decimal_exponent(double a) {
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    /* a in [2^x, 2^(x+1)) for a normal double; subnormals are a few powers below, which the
     * correction loop does not reach (they go to printf) */
    int x = (int)((bits >> 52) & 0x7FF) - 1023;
    /* floor(x log10(2)), with log10(2) ~ 78913 / 2^18 */
    return x >= 0 ? (x * 78913) >> 18 : -((-x * 78913 + (1 << 18) - 1) >> 18);
}

/* The digits of a rounded to `prec` significant digits: *m (prec digits, no leading zero)
 * and the decimal exponent of its first digit. False when the double arithmetic cannot
 * decide (a scale beyond the exact powers of ten, a near tie): the caller uses printf. */
static bool round_digits(double a, int prec, unsigned long long *m, int *exp10) {
    if (prec > LP_FAST_DIGITS_MAX)
        return false;
    const double lo = POW10[prec - 1], hi = POW10[prec];
    int e = decimal_exponent(a);
    for (int tries = 0; tries < 4; tries++) {
        int shift = prec - 1 - e; /* a x 10^shift has prec digits before the point */
        if (shift > LP_EXACT_POW10_MAX || -shift > LP_EXACT_POW10_MAX)
            return false;
        /* one correctly rounded operation by an exact power: error <= 2^-53 relative */
        double scaled = shift >= 0 ? a * POW10[shift] : a / POW10[-shift];
        if (scaled >= hi) {
            e++;
            continue;
        }
        if (scaled < lo) {
            e--;
            continue;
        }
        double whole = (double)(unsigned long long)scaled; /* scaled >= 1: floor */
        double frac = scaled - whole;
        if (fabs(frac - 0.5) < LP_NEAR_TIE)
            return false;
        double r = frac > 0.5 ? whole + 1 : whole;
        if (r >= hi) { /* 9.999995 -> 10.0000: one more digit before the point */
            r = lo;
            e++;
        }
        *m = (unsigned long long)r;
        *exp10 = e;
        return true;
    }
    return false;
}

/* jansson's tail of jsonp_dtostr: ".0" when no '.' or 'e'; the exponent without '+' and
 * leading zeros. */
static size_t jansson_real(char *buf, size_t n) {
    if (!memchr(buf, '.', n) && !memchr(buf, 'e', n)) {
        buf[n++] = '.';
        buf[n++] = '0';
        buf[n] = '\0';
        return n;
    }
    char *e = memchr(buf, 'e', n);
    if (e) {
        char *start = e + 1, *end = start + 1;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, (size_t)(buf + n - end) + 1);
            n -= (size_t)(end - start);
        }
    }
    return n;
}

size_t lp_je_format_real(char *buf, size_t size, double v, int prec) {
    size_t n = 0;
    unsigned long long m;
    int e;
    double a = fabs(v);
    if (size < 32)
        return 0;
    if (a == 0) {
        n = (size_t)snprintf(buf, size, "%s", signbit(v) ? "-0" : "0");
    } else if (!round_digits(a, prec, &m, &e)) {
        /* printf's exact conversion */
        n = (size_t)snprintf(buf, size, "%.*g", prec, v);
    } else {
        char digits[24];
        for (int i = prec - 1; i >= 0; i--) {
            digits[i] = (char)('0' + m % 10);
            m /= 10;
        }
        int nd = prec;
        while (nd > 1 && digits[nd - 1] == '0')
            nd--; /* %g drops trailing zeros */
        if (signbit(v))
            buf[n++] = '-';
        if (e < -4 || e >= prec) {
            buf[n++] = digits[0];
            if (nd > 1) {
                buf[n++] = '.';
                memcpy(buf + n, digits + 1, (size_t)nd - 1);
                n += (size_t)nd - 1;
            }
            /* the exponent as jansson leaves printf's e+06 / e-05: e6, e-5 */
            buf[n++] = 'e';
            if (e < 0)
                buf[n++] = '-';
            int x = abs(e);
            if (x >= 100)
                buf[n++] = (char)('0' + x / 100);
            if (x >= 10)
                buf[n++] = (char)('0' + x / 10 % 10);
            buf[n++] = (char)('0' + x % 10);
            buf[n] = '\0';
            return n;
        } else if (e >= 0) {
            /* digits[0..e] before the point, the rest after */
            int before = e + 1;
            for (int i = 0; i < before; i++)
                buf[n++] = i < nd ? digits[i] : '0';
            buf[n++] = '.';
            if (nd > before) {
                memcpy(buf + n, digits + before, (size_t)(nd - before));
                n += (size_t)(nd - before);
            } else {
                buf[n++] = '0'; /* jansson's ".0" on a whole number */
            }
        } else {
            buf[n++] = '0';
            buf[n++] = '.';
            for (int i = 0; i < -e - 1; i++)
                buf[n++] = '0';
            memcpy(buf + n, digits, (size_t)nd);
            n += (size_t)nd;
        }
        buf[n] = '\0';
        return n; /* already in jansson's form */
    }
    return jansson_real(buf, n);
}

void lp_je_real(lp_json_emit *w, double v) {
    if (!isfinite(v)) {
        lp_je_null(w);
        return;
    }
    before_item(w);
    char buf[48];
    size_t n = lp_je_format_real(buf, sizeof buf, v, w->precision);
    put(w, buf, n);
}

int lp_je_write(const lp_json_emit *w, FILE *out) {
    if (w->oom)
        return -1;
    return fwrite(w->buf, 1, w->len, out) == w->len ? 0 : -1;
}
