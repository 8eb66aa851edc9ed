/*
 * serving_modes.c - the serving modes against ../shared/validation/serving_modes.tsv: each mode
 * row beside the baseline row its source measured with it (`baseline_of_row` names the
 * baseline's `id=` in `notes`). Both rows are estimated with the roofline method on the same
 * model, GPU and load, and compared first as the ratio mode / baseline (what the mode changes),
 * then as absolute values.
 *
 * LoRA rows give --max-loras and the rank (--max-lora-rank N or "rank N") in `mode_settings`;
 * every request goes to the adapter, so the baseline is the same load without --enable-lora
 * (a baseline row whose server had --enable-lora but served no adapter is taken as plain
 * serving). Prefix rows are mapped where their load is stated: benchmark_prefix_caching.py
 * (its prompts each sent repeat-count times, shuffled) becomes prefix_repetition with one
 * prefix per distinct prompt, its mean length less one token, and one-token suffixes, the
 * baseline the same load with --no-enable-prefix-caching; both are simulated, as the prefix
 * cache's hits depend on the order and the pool. Offline runs (benchmark_throughput.py, rate
 * "offline") send every prompt at once; ShareGPT loads take the ShareGPT length preset. An
 * A100 without its memory size is taken as the 80 GB SXM part, said in the row's note.
 *
 * Speculative decoding rows give the method, num_speculative_tokens (K) and, where the source
 * states it, the mean acceptance length AL in `mode_settings`; the per-token acceptance rate a
 * is solved from AL = 1 + a + ... + a^K (i.i.d. acceptance, as lp_spec_acceptance_length), so
 * the comparison tests the step cost of drafting and verification, not a guess of a.
 *
 * Disaggregated prefill/decode rows (pd) give xPyD, the TP of each role and the KV transfer in
 * `mode_settings`: the link from its words (TCP: ethernet; RDMA, erdma, RoCE: roce;
 * InfiniBand; one node or NVLink: the GPUs' own link; otherwise not stated, said in the note),
 * the connector likewise (Mooncake, NIXL, P2pNccl, LMCache; MoRIIO is not modelled). The
 * baseline is the same load on one aggregated server of the baseline row's TP. TTFT is
 * compared besides TPOT and output tokens/s. Rows of
 * other modes, other engines (SGLang, TensorRT-LLM: excluded, not fitted), ratio-only rows and
 * rows without a baseline are counted and skipped with their reason.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/order.h"
#include "common/strv.h"
#include "llmplan/perf.h"
#include "llmplan/validate.h"
#include "validate/tsv.h"

enum {
    C_SOURCE,
    C_ENGINE,
    C_VERSION,
    C_MODE,
    C_MODEL,
    C_GPU,
    C_TP,
    C_SETTINGS,
    C_DATASET,
    C_ISL,
    C_OSL,
    C_PROMPTS,
    C_CONC,
    C_RATE,
    C_OUT_TOK_S,
    C_TPOT,
    C_TTFT,
    C_BASELINE_OF,
    C_NOTES,
    C_COUNT
};
static const char *const COLS[C_COUNT] = {
    "source",       "engine",       "engine_version",  "mode",         "model",
    "gpu",          "tp",           "mode_settings",   "dataset",      "isl",
    "osl",          "num_prompts",  "concurrency",     "request_rate", "output_tok_s",
    "tpot_mean_ms", "ttft_mean_ms", "baseline_of_row", "notes"};

/* benchmarks/benchmark_prefix_caching.py's default --output-len. */
#define LP_PREFIX_BENCH_OUTPUT_LEN 10

#define MAX_ROWS 512
#define MAX_COLS 64

typedef struct {
    int line;
    char *cell[C_COUNT];
    char id[64];
} row;

const char *lp_modes_mode_name(lp_modes_mode m) {
    return m == LP_MODES_LORA     ? "lora"
           : m == LP_MODES_PREFIX ? "prefix"
           : m == LP_MODES_PD     ? "pd"
                                  : "spec";
}

const char *lp_modes_metric_name(lp_modes_metric m) {
    return m == LP_MODES_TPOT   ? "tpot_mean_ms"
           : m == LP_MODES_TTFT ? "ttft_mean_ms"
                                : "output_tok_s";
}

/* "id=xyz" in the notes, up to ';' or a blank. */
static void row_id(const char *notes, char *out, size_t size) {
    out[0] = '\0';
    const char *p = strstr(notes, "id=");
    if (!p)
        return;
    p += 3;
    size_t n = strcspn(p, "; \t");
    snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), p);
}

/* The integer after one of the words (e.g. "K=" or "num_speculative_tokens "), or 0. */
static int int_after(const char *text, const char *word) {
    const char *p = strstr(text, word);
    return p ? atoi(p + strlen(word)) : 0;
}

/* The number after "acceptance length ", or NaN. */
static double acceptance_length(const char *text) {
    const char *p = strstr(text, "acceptance length ");
    return p ? lp_tsv_number(p + strlen("acceptance length ")) : NAN;
}

/* a with 1 + a + ... + a^K = al (bisection; the sum rises with a). */
static double rate_from_length(double al, int k) {
    double lo = 0, hi = 1;
    for (int i = 0; i < 60; i++) {
        double a = 0.5 * (lo + hi), sum = 0, t = 1;
        for (int j = 0; j <= k; j++, t *= a)
            sum += t;
        if (sum < al)
            lo = a;
        else
            hi = a;
    }
    return 0.5 * (lo + hi);
}

/* The speculative config of a row's settings text, or false with the reason. */
static bool spec_of(const char *settings, lp_spec_config *c, char *why, size_t size) {
    memset(c, 0, sizeof *c);
    if (strstr(settings, "EAGLE-3") || strstr(settings, "EAGLE3") || strstr(settings, "eagle3")) {
        c->method = LP_SPEC_EAGLE3;
        snprintf(c->model, sizeof c->model, "eagle3-head");
    } else if (strstr(settings, "EAGLE-1") || strstr(settings, "EAGLE ")) {
        c->method = LP_SPEC_EAGLE;
        snprintf(c->model, sizeof c->model, "eagle-head");
    } else if (strstr(settings, "n-gram") || strstr(settings, "ngram")) {
        c->method = LP_SPEC_NGRAM;
    } else {
        snprintf(why, size, "speculative method not read from the settings");
        return false;
    }
    c->num_speculative_tokens = int_after(settings, "K=");
    if (c->num_speculative_tokens <= 0)
        c->num_speculative_tokens = int_after(settings, "num_speculative_tokens ");
    if (c->num_speculative_tokens <= 0) {
        snprintf(why, size, "num_speculative_tokens not stated");
        return false;
    }
    double al = acceptance_length(settings);
    if (isfinite(al) && al > 1.0 && al < c->num_speculative_tokens + 1.0)
        c->acceptance_rate = rate_from_length(al, c->num_speculative_tokens);
    else
        snprintf(why, size, "acceptance length not stated: the method's default rate");
    return true;
}

/* The LoRA settings of a row (--max-loras, --max-lora-rank or "rank N"), or false with why. */
static bool lora_of(const char *settings, lp_lora_config *l, char *why, size_t size) {
    memset(l, 0, sizeof *l);
    l->enable_lora = true;
    l->max_loras = int_after(settings, "--max-loras ");
    l->max_lora_rank = int_after(settings, "--max-lora-rank ");
    if (l->max_lora_rank <= 0)
        l->max_lora_rank = int_after(settings, "rank ");
    if (l->max_lora_rank <= 0) {
        snprintf(why, size, "LoRA rank not stated");
        return false;
    }
    return true;
}

/* A pd row's settings: xPyD, each role's TP, the link and the connector; false with why. */
typedef struct {
    lp_disaggregation d;
    lp_link_kind link; /* LP_LINK_UNKNOWN: not stated */
    bool link_given;
    char label[64];
} pd_setup;

static bool pd_of(const row *r, pd_setup *pd, char *why, size_t size) {
    memset(pd, 0, sizeof *pd);
    const char *t = r->cell[C_SETTINGS];
    /* the first "xPyD" word (any case) */
    const char *p = t;
    lp_error err;
    bool shaped = false;
    while (*p && !shaped) {
        if (isdigit((unsigned char)*p) && (p == t || !isalnum((unsigned char)p[-1]))) {
            char word[16];
            size_t n = strspn(p, "0123456789PpDd");
            snprintf(word, sizeof word, "%.*s", (int)(n < sizeof word ? n : sizeof word - 1), p);
            shaped = lp_disaggregation_parse(word, &pd->d, &err) == LP_OK;
            p += n;
        } else {
            p++;
        }
    }
    if (!shaped) {
        snprintf(why, size, "xPyD not stated");
        return false;
    }
    int ptp = int_after(t, "prefill TP=");
    int dtp = int_after(t, "decode TP=");
    pd->d.prefill_tensor_parallel_size = ptp;
    pd->d.decode_tensor_parallel_size = dtp;
    if (strstr(t, "MoRIIO")) {
        snprintf(why, size, "MoRIIOConnector not modelled");
        return false;
    }
    if (strstr(t, "Mooncake"))
        pd->d.kv_connector = LP_KV_CONNECTOR_MOONCAKE;
    else if (strstr(t, "P2pNccl") || strstr(t, "NCCL"))
        pd->d.kv_connector = LP_KV_CONNECTOR_NCCL;
    else if (strstr(t, "LMCache"))
        pd->d.kv_connector = LP_KV_CONNECTOR_LMCACHE;
    else
        pd->d.kv_connector = LP_KV_CONNECTOR_NIXL;
    pd->link_given = true;
    if (strstr(t, "TCP"))
        pd->link = LP_LINK_ETHERNET;
    else if (strstr(t, "RDMA") || strstr(t, "erdma") || strstr(t, "RoCE"))
        pd->link = LP_LINK_ROCE;
    else if (strstr(t, "InfiniBand"))
        pd->link = LP_LINK_INFINIBAND;
    else if (strstr(t, "single node") || strstr(t, "one node") || strstr(t, "NVLink"))
        pd->link = LP_LINK_NVLINK;
    else
        pd->link_given = false;
    snprintf(pd->label, sizeof pd->label, "%dP%dD %s %s", pd->d.prefill_instances,
             pd->d.decode_instances, lp_kv_connector_name(pd->d.kv_connector),
             pd->link_given ? lp_link_name(pd->link) : "link?");
    return true;
}

/* benchmark_prefix_caching.py's load: distinct prompts (num_prompts), each sent repeat-count
 * times, of the stated length range; false when the row is another kind of prefix run. */
static bool prefix_load_of(const row *r, int *prompts, int *repeats, double *mean_len) {
    const char *ds = r->cell[C_DATASET];
    if (!strstr(ds, "benchmark_prefix_caching.py"))
        return false;
    *repeats = int_after(ds, "repeat-count ");
    *prompts = atoi(r->cell[C_PROMPTS]);
    const char *isl = r->cell[C_ISL];
    double lo = atof(isl), hi = lo;
    const char *dash = strchr(isl, '-');
    if (dash)
        hi = atof(dash + 1);
    *mean_len = 0.5 * (lo + hi);
    return *repeats > 1 && *prompts > 0 && *mean_len > 16;
}

/* The model a row names (its first word; a bare name tried under meta-llama/ too). */
static lp_status load_model(const char *text, lp_model *m) {
    char id[128];
    size_t n = strcspn(text, " (");
    snprintf(id, sizeof id, "%.*s", (int)(n < sizeof id ? n : sizeof id - 1), text);
    lp_error err;
    if (lp_model_load(id, NULL, m, &err) == LP_OK)
        return LP_OK;
    char full[160];
    snprintf(full, sizeof full, "meta-llama/%s", id);
    return lp_model_load(full, NULL, m, &err);
}

/* The vLLM release a row's version text names: a number, else the V1 engine of 2025 taken as
 * 0.9 (V1 is the default from 0.8; the rows of 2025 name main branches). */
static lp_vllm_version version_of(const char *text, char *note, size_t size) {
    lp_vllm_version v;
    lp_error err;
    char first[32];
    size_t n = strcspn(text, " ");
    snprintf(first, sizeof first, "%.*s", (int)(n < sizeof first ? n : sizeof first - 1), text);
    if (lp_vllm_version_parse(first, &v, &err) == LP_OK)
        return v;
    if (strstr(text, "V0 engine")) {
        snprintf(note, size, "V0 engine of Dec 2024 taken as vLLM 0.6.5");
        return LP_VLLM_VERSION(0, 6, 5);
    }
    snprintf(note, size, "release \"%.40s\" taken as vLLM 0.9 (V1)", text);
    return LP_VLLM_VERSION(0, 9, 0);
}

/* The load of a row: one request at a time for "c1"; the source's lengths or, for MT-Bench
 * (lengths not stated), 128 prompt and 256 output tokens. */
static void request_of(const row *r, const lp_model *m, const lp_gpu *gpu, lp_perf_request *q) {
    lp_perf_request_init(q);
    q->model = m;
    q->model_id = m->id;
    lp_cluster_init(&q->cluster, gpu);
    int tp = atoi(r->cell[C_TP]);
    q->serving.tensor_parallel_size = tp > 0 ? tp : 1;
    double isl = lp_tsv_number(r->cell[C_ISL]), osl = lp_tsv_number(r->cell[C_OSL]);
    q->workload.input = lp_len_fixed(isfinite(isl) && isl > 0 ? isl : 128);
    q->workload.output = lp_len_fixed(isfinite(osl) && osl > 0 ? osl : 256);
    double conc = lp_tsv_number(r->cell[C_CONC]);
    q->workload.max_concurrency = isfinite(conc) && conc > 0 ? (int)conc : 1;
    double prompts = lp_tsv_number(r->cell[C_PROMPTS]);
    q->workload.num_prompts = isfinite(prompts) && prompts > 0 ? (int)prompts : 80;
    q->method = LP_ROOFLINE;
}

static double metric_of(const row *r, lp_modes_metric k) {
    return lp_tsv_number(r->cell[k == LP_MODES_TPOT   ? C_TPOT
                                 : k == LP_MODES_TTFT ? C_TTFT
                                                      : C_OUT_TOK_S]);
}

static double estimated(const lp_perf_estimate *e, lp_modes_metric k) {
    return k == LP_MODES_TPOT   ? e->tpot_ms.mean
           : k == LP_MODES_TTFT ? e->ttft_ms.mean
                                : e->output_tok_s;
}

static void skip(lp_modes_report *rep, const row *r, const char *fmt, const char *detail) {
    rep->skipped++;
    if (rep->n_skips >= LP_MODES_MAX_SKIPS)
        return;
    lp_modes_skip *s = &rep->skips[rep->n_skips++];
    s->line = r->line;
    snprintf(s->mode, sizeof s->mode, "%s", r->cell[C_MODE]);
    snprintf(s->reason, sizeof s->reason, fmt, detail);
}

/* The load of a LoRA row or its baseline: the request rate, or every prompt at once for an
 * offline run, with ShareGPT's lengths for ShareGPT loads. */
static void rate_load_of(const row *r, lp_perf_request *q) {
    if (strstr(r->cell[C_DATASET], "ShareGPT"))
        lp_workload_sharegpt(&q->workload, 0, 0);
    double prompts = lp_tsv_number(r->cell[C_PROMPTS]);
    q->workload.num_prompts = isfinite(prompts) && prompts > 0 ? (int)prompts : 1000;
    double rate = lp_tsv_number(r->cell[C_RATE]);
    double conc = lp_tsv_number(r->cell[C_CONC]);
    q->workload.request_rate = isfinite(rate) && rate > 0 ? rate : 0.0;
    q->workload.max_concurrency = isfinite(conc) && conc > 0 ? (int)conc : 0;
}

/* What a mode row sets: its mode, settings and a label; false with why when unreadable. */
typedef struct {
    lp_modes_mode mode;
    lp_spec_config spec;
    lp_lora_config lora;
    pd_setup pd;
    int prompts, repeats; /* prefix: benchmark_prefix_caching.py's load */
    double mean_len;
    char label[64];
} mode_setup;

static bool setup_of(const row *r, mode_setup *m, char *why, size_t size) {
    memset(m, 0, sizeof *m);
    const char *mode = r->cell[C_MODE];
    if (strcmp(mode, "spec") == 0) {
        m->mode = LP_MODES_SPEC;
        return spec_of(r->cell[C_SETTINGS], &m->spec, why, size);
    }
    if (strcmp(mode, "pd") == 0) {
        m->mode = LP_MODES_PD;
        if (!pd_of(r, &m->pd, why, size))
            return false;
        snprintf(m->label, sizeof m->label, "%s", m->pd.label);
        return true;
    }
    if (strcmp(mode, "lora") == 0) {
        m->mode = LP_MODES_LORA;
        if (!lora_of(r->cell[C_SETTINGS], &m->lora, why, size))
            return false;
        snprintf(m->label, sizeof m->label, "max_loras %d rank %d",
                 m->lora.max_loras > 0 ? m->lora.max_loras : 1, m->lora.max_lora_rank);
        return true;
    }
    m->mode = LP_MODES_PREFIX;
    if (!prefix_load_of(r, &m->prompts, &m->repeats, &m->mean_len)) {
        snprintf(why, size, "not mapped (CPU KV offload connectors, traces or unstated loads)");
        return false;
    }
    snprintf(m->label, sizeof m->label, "%d prompts x %d, %.0f tok", m->prompts, m->repeats,
             m->mean_len);
    return true;
}

/* The requests of a mode row and of its baseline under the mode's load. */
static void requests_of(const mode_setup *ms, const row *mode, const row *base, lp_perf_request *qm,
                        lp_perf_request *qb) {
    switch (ms->mode) {
    case LP_MODES_SPEC:
        qm->serving.speculative = ms->spec;
        break;
    case LP_MODES_LORA:
        rate_load_of(mode, qm);
        rate_load_of(base, qb);
        qm->serving.lora = ms->lora;
        break;
    case LP_MODES_PD:
        /* the same load; the baseline is one aggregated server of the baseline row's TP, each
         * role of the pair the mode row's TP unless its settings say otherwise */
        rate_load_of(mode, qm);
        rate_load_of(base, qb);
        qm->serving.disaggregation = ms->pd.d;
        if (ms->pd.link_given)
            lp_cluster_set_link(&qm->cluster, ms->pd.link);
        break;
    case LP_MODES_PREFIX:
        /* each distinct prompt a prefix of its length less one token, the repeats shuffled */
        for (int k = 0; k < 2; k++) {
            lp_perf_request *q = k ? qb : qm;
            int osl = atoi(mode->cell[C_OSL]);
            lp_workload_prefix_repetition(&q->workload, (int)ms->mean_len - 1, 1, ms->prompts,
                                          osl > 0 ? osl : LP_PREFIX_BENCH_OUTPUT_LEN);
            q->workload.num_prompts = ms->prompts * ms->repeats;
            q->workload.request_rate = 0.0;
            q->workload.max_concurrency = 0;
            q->method = LP_SIMULATE;
        }
        qb->serving.enable_prefix_caching_off = true;
        break;
    default:
        break;
    }
}

/* One mode row against its baseline. */
static void compare(lp_modes_report *rep, const row *mode, const row *base) {
    char why[160] = "", note[160] = "", version_note[96] = "";
    mode_setup ms;
    if (!setup_of(mode, &ms, why, sizeof why)) {
        skip(rep, mode, "%s", why);
        return;
    }
    static lp_model model;
    if (load_model(mode->cell[C_MODEL], &model) != LP_OK) {
        skip(rep, mode, "model \"%.60s\" not in the catalog", mode->cell[C_MODEL]);
        return;
    }
    const char *gpu_text = mode->cell[C_GPU];
    const lp_gpu *gpu;
    lp_error err;
    bool stated = lp_gpu_find(NULL, gpu_text, &gpu, &err) == LP_OK;
    bool a100 = !stated && strcmp(gpu_text, "A100") == 0;
    if (a100 && lp_gpu_find(NULL, "A100 80GB SXM", &gpu, &err) == LP_OK) {
        snprintf(why, sizeof why, "A100 memory not stated: 80 GB SXM assumed");
    } else if (!stated && lp_gpu_find(NULL, "H100", &gpu, &err) != LP_OK) {
        skip(rep, mode, "%s", "no H100 row in the GPU table");
        return;
    }
    lp_vllm_version v = version_of(mode->cell[C_VERSION], version_note, sizeof version_note);
    snprintf(note, sizeof note, "%s%s%s", why, why[0] && version_note[0] ? "; " : "", version_note);
    for (int k = 0; k < LP_MODES_METRICS; k++) {
        if (k == LP_MODES_TTFT && ms.mode != LP_MODES_PD)
            continue;
        double m_meas = metric_of(mode, (lp_modes_metric)k);
        double b_meas = metric_of(base, (lp_modes_metric)k);
        if (!(m_meas > 0) || !(b_meas > 0))
            continue;
        lp_perf_request qb, qm;
        request_of(base, &model, gpu, &qb);
        request_of(mode, &model, gpu, &qm);
        qb.serving.vllm_version = qm.serving.vllm_version = v;
        requests_of(&ms, mode, base, &qm, &qb);
        lp_perf_estimate eb, em;
        if (lp_estimate_performance(&qb, &eb) != LP_OK ||
            lp_estimate_performance(&qm, &em) != LP_OK) {
            skip(rep, mode, "not estimated: %.120s", eb.valid ? em.error : eb.error);
            return;
        }
        if (rep->n_pairs >= LP_MODES_MAX_PAIRS)
            return;
        lp_modes_pair *p = &rep->pairs[rep->n_pairs++];
        memset(p, 0, sizeof *p);
        p->line = mode->line;
        p->base_line = base->line;
        p->mode = ms.mode;
        p->holdout =
            lp_validate_is_holdout(mode->cell[C_SOURCE], mode->cell[C_MODEL], mode->cell[C_GPU],
                                   mode->cell[C_TP], mode->cell[C_VERSION]);
        p->metric = (lp_modes_metric)k;
        snprintf(p->model, sizeof p->model, "%s", model.id);
        snprintf(p->gpu, sizeof p->gpu, "%s%s", gpu->name, stated ? "" : " (assumed)");
        if (ms.mode == LP_MODES_SPEC)
            snprintf(p->settings, sizeof p->settings, "%s K=%d a=%.2f",
                     lp_spec_method_name(ms.spec.method), ms.spec.num_speculative_tokens,
                     em.modes.spec_acceptance_rate);
        else if (ms.mode == LP_MODES_PREFIX)
            snprintf(p->settings, sizeof p->settings, "%s, hit %.0f %%", ms.label,
                     100.0 * em.modes.prefix_cache_hit_rate);
        else
            snprintf(p->settings, sizeof p->settings, "%s", ms.label);
        snprintf(p->note, sizeof p->note, "%s", note);
        p->measured = m_meas;
        p->estimated = estimated(&em, (lp_modes_metric)k);
        p->measured_ratio = m_meas / b_meas;
        p->estimated_ratio = p->estimated / estimated(&eb, (lp_modes_metric)k);
        p->base_measured = b_meas;
        p->base_estimated = estimated(&eb, (lp_modes_metric)k);
    }
}

static double median(double *v, int n) {
    if (n == 0)
        return NAN;
    qsort(v, (size_t)n, sizeof *v, lp_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void lp_modes_summarize(const lp_modes_report *rep, lp_modes_mode mode, lp_modes_metric metric,
                        int holdout, lp_modes_summary *out) {
    double ratio[LP_MODES_MAX_PAIRS], abs_mode[LP_MODES_MAX_PAIRS], abs_base[LP_MODES_MAX_PAIRS];
    int n = 0;
    for (int i = 0; i < rep->n_pairs; i++) {
        const lp_modes_pair *p = &rep->pairs[i];
        if (p->mode != mode || p->metric != metric || (holdout >= 0 && p->holdout != holdout))
            continue;
        ratio[n] = fabs(p->estimated_ratio / p->measured_ratio - 1.0);
        abs_mode[n] = fabs(p->estimated / p->measured - 1.0);
        abs_base[n] = fabs(p->base_estimated / p->base_measured - 1.0);
        n++;
    }
    out->pairs = n;
    out->median_ratio_error = median(ratio, n);
    out->median_mode_error = median(abs_mode, n);
    out->median_base_error = median(abs_base, n);
}

lp_status lp_validate_serving_modes(const char *path, lp_modes_report *rep, lp_error *err) {
    memset(rep, 0, sizeof *rep);
    FILE *f = fopen(path, "r");
    if (!f)
        return lp_error_set(err, LP_ERR_IO, "cannot open %s", path);
    row *rows = calloc(MAX_ROWS, sizeof *rows);
    char **lines = calloc(MAX_ROWS + 1, sizeof *lines);
    if (!rows || !lines) {
        free(rows);
        free(lines);
        fclose(f);
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    }
    char *cols[MAX_COLS];
    int colmap[C_COUNT], lineno = 0, n = 0;
    size_t cap = 0;
    lp_status st = LP_OK;
    int nc = lp_tsv_next(f, &lines[0], &cap, &lineno, cols, MAX_COLS);
    if (nc == 0) {
        st = lp_error_set(err, LP_ERR_PARSE, "%s: no header", path);
    } else {
        lp_tsv_map_header(cols, nc, COLS, C_COUNT, colmap);
        for (int k = 0; k < C_COUNT && st == LP_OK; k++)
            if (colmap[k] < 0)
                st = lp_error_set(err, LP_ERR_PARSE, "%s: no column \"%s\"", path, COLS[k]);
    }
    while (st == LP_OK && n < MAX_ROWS) {
        size_t c = 0;
        nc = lp_tsv_next(f, &lines[n + 1], &c, &lineno, cols, MAX_COLS);
        if (nc == 0)
            break;
        rows[n].line = lineno;
        lp_tsv_pick(cols, nc, colmap, C_COUNT, rows[n].cell);
        row_id(rows[n].cell[C_NOTES], rows[n].id, sizeof rows[n].id);
        n++;
    }
    fclose(f);
    for (int i = 0; st == LP_OK && i < n; i++) {
        const row *r = &rows[i];
        const char *mode = r->cell[C_MODE];
        if (strcmp(mode, "baseline") == 0)
            continue;
        rep->mode_rows++;
        if (strcmp(mode, "spec") != 0 && strcmp(mode, "lora") != 0 && strcmp(mode, "prefix") != 0 &&
            strcmp(mode, "pd") != 0) {
            skip(rep, r, "mode %s not modelled yet", mode);
            continue;
        }
        if (strncmp(r->cell[C_ENGINE], "vLLM", 4) != 0) {
            skip(rep, r, "engine %.40s (not vLLM)", r->cell[C_ENGINE]);
            continue;
        }
        const row *base = NULL;
        for (int j = 0; r->cell[C_BASELINE_OF][0] && j < n && !base; j++)
            if (strcmp(rows[j].id, r->cell[C_BASELINE_OF]) == 0)
                base = &rows[j];
        if (!base) {
            skip(rep, r, "%s", "no baseline row measured beside it (ratio only or none)");
            continue;
        }
        compare(rep, r, base);
    }
    /* lines[n + 1] holds the buffer getline allocated for the read that found the end */
    lp_strv_free(lines, (size_t)MAX_ROWS + 1);
    free(rows);
    return st;
}

void lp_modes_print(FILE *out, const lp_modes_report *rep) {
    fprintf(
        out,
        "\nServing modes vs the baseline measured beside them (serving_modes.tsv, roofline; prefix "
        "rows simulated; pd rows also by TTFT; "
        "%d mode rows, %d compared as %d row x metric pairs, %d skipped)\n",
        rep->mode_rows, rep->mode_rows - rep->skipped, rep->n_pairs, rep->skipped);
    fprintf(out, "%-5s %-5s %-7s %-32s %-18s %-22s %-13s %9s %9s %8s %8s\n", "line", "base",
            "split", "model", "gpu", "settings", "metric", "actual", "estimate", "ratio",
            "est ratio");
    for (int i = 0; i < rep->n_pairs; i++) {
        const lp_modes_pair *p = &rep->pairs[i];
        fprintf(out,
                "%-5d %-5d %-7s %-32.32s %-18.18s %-22.22s %-13s %9.2f %9.2f %8.2f %8.2f%s%s\n",
                p->line, p->base_line, p->holdout ? "holdout" : "fit", p->model, p->gpu,
                p->settings, lp_modes_metric_name(p->metric), p->measured, p->estimated,
                p->measured_ratio, p->estimated_ratio, p->note[0] ? "  " : "", p->note);
    }
    fprintf(out, "\n%-6s %-13s %-8s %6s %22s %22s %22s\n", "mode", "metric", "split", "pairs",
            "median |err| of ratio", "median |err| mode", "median |err| baseline");
    static const char *const SPLIT[] = {"all", "fit", "holdout"};
    for (int md = 0; md < LP_MODES_COUNT; md++) {
        int held = 0;
        for (int i = 0; i < rep->n_pairs; i++)
            held += rep->pairs[i].mode == (lp_modes_mode)md && rep->pairs[i].holdout;
        for (int k = 0; k < LP_MODES_METRICS; k++)
            for (int h = -1; h <= 1; h++) {
                lp_modes_summary s;
                lp_modes_summarize(rep, (lp_modes_mode)md, (lp_modes_metric)k, h, &s);
                if (s.pairs == 0)
                    continue;
                fprintf(out, "%-6s %-13s %-8s %6d %21.1f%% %21.1f%% %21.1f%%\n",
                        lp_modes_mode_name((lp_modes_mode)md),
                        lp_modes_metric_name((lp_modes_metric)k), SPLIT[h + 1], s.pairs,
                        100 * s.median_ratio_error, 100 * s.median_mode_error,
                        100 * s.median_base_error);
            }
        if (held == 0)
            fprintf(out, "%-6s no held-out pair: its figures are fit rows only\n",
                    lp_modes_mode_name((lp_modes_mode)md));
    }
    fprintf(out, "Skipped mode rows (count, mode, reason):\n");
    for (int i = 0; i < rep->n_skips; i++) {
        const lp_modes_skip *k = &rep->skips[i];
        bool seen = false;
        for (int j = 0; j < i && !seen; j++)
            seen = strcmp(rep->skips[j].mode, k->mode) == 0 &&
                   strcmp(rep->skips[j].reason, k->reason) == 0;
        if (seen)
            continue;
        int count = 0;
        for (int j = i; j < rep->n_skips; j++)
            count += strcmp(rep->skips[j].mode, k->mode) == 0 &&
                     strcmp(rep->skips[j].reason, k->reason) == 0;
        fprintf(out, "  %3d %-6s %s (first at line %d)\n", count, k->mode, k->reason, k->line);
    }
}
