/*
 * artifacts.c - the vLLM command line for a chosen configuration, and the shell artifacts
 * built on it (serve.sh, docker-run.sh), plus lp_artifact_write which puts every artifact in a
 * directory. The YAML artifacts live in artifacts_yaml.c.
 *
 * The argument builder is the one place that knows vLLM's flags: spellings and allowed values
 * come from docs/vllm_internals.md (e) (EngineArgs.add_cli_args, vllm/engine/arg_utils.py).
 * A value vLLM would reject is an error here rather than an artifact that fails at start-up.
 * This file decides nothing about the configuration itself: it renders what the planner chose.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/grow.h"
#include "common/strv.h"
#include "common/shell.h"
#include "llmplan/artifacts.h"
#include "common/outfile.h"
#include "render/artifacts_internal.h"

/* GPUs per node when the caller leaves it 0 (the lp_cluster default, include/llmplan/hw.h). */
#define DEFAULT_GPUS_PER_NODE 8
/* vLLM's default gpu_memory_utilization (vllm/config/cache.py, reference (d)). */
#define DEFAULT_GPU_MEMORY_UTILIZATION 0.9
/* Longest generated resource name; leaves room for "-leader"/"-node<R>" within 63. */
#define NAME_MAX_LEN 40

/* `--block-size` choices: CacheConfig Literal[1, 8, 16, 32, 64, 128, 256] (reference (d)/(e)). */
static const int BLOCK_SIZES[] = {1, 8, 16, 32, 64, 128, 256};

/* QuantizationMethods (vllm/model_executor/layers/quantization/__init__.py, reference (e)),
 * deprecated ones included: vLLM still accepts them. */
static const char *const QUANT_METHODS[] = {
    "awq",          "fp8",          "ptpc_fp8",   "fbgemm_fp8", "fp_quant",
    "modelopt",     "modelopt_fp4", "bitblas",    "gguf",       "gptq_marlin_24",
    "gptq_marlin",  "gptq_bitblas", "awq_marlin", "gptq",       "compressed-tensors",
    "bitsandbytes", "experts_int8", "ipex",       "quark",      "moe_wna16",
    "torchao",      "inc",          "mxfp4",      "mxfp8",      "petit_nvfp4",
    "cpu_awq",      "tpu_int8"};

/* ---------------------------------------------------------------- string buffer */

static void buf_reserve(art_buf *b, size_t extra) {
    if (b->oom)
        return;
    char *s = lp_grow(b->s, &b->cap, b->len + extra + 1, 1, 256);
    if (s)
        b->s = s;
    else
        b->oom = true;
}

static void buf_addn(art_buf *b, const char *text, size_t n) {
    buf_reserve(b, n);
    if (b->oom)
        return;
    memcpy(b->s + b->len, text, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void art_buf_add(art_buf *b, const char *text) {
    buf_addn(b, text, strlen(text));
}

void art_buf_addf(art_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        buf_addn(b, small, (size_t)n);
        return;
    }
    buf_reserve(b, (size_t)n);
    if (b->oom)
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void art_buf_sh_quote(art_buf *b, const char *text) {
    size_t n = lp_sh_quote(NULL, 0, text);
    char small[256];
    char *tmp = n < sizeof small ? small : malloc(n + 1);
    if (!tmp) {
        b->oom = true;
        return;
    }
    lp_sh_quote(tmp, n + 1, text);
    buf_addn(b, tmp, n);
    if (tmp != small)
        free(tmp);
}

void art_buf_dollar_escape(art_buf *b, const char *text) {
    for (const char *p = text; *p; p++) {
        if (*p == '$')
            art_buf_add(b, "$$");
        else
            buf_addn(b, p, 1);
    }
}

void art_buf_sh_join(art_buf *b, const art_args *args, const char *sep, bool escape_dollar) {
    for (int i = 0; i < args->n; i++) {
        if (i) /* one flag and its value per line */
            art_buf_add(b, args->v[i].text[0] == '-' && !args->v[i].raw ? sep : " ");
        if (args->v[i].raw) {
            art_buf_add(b, args->v[i].text);
        } else if (escape_dollar) {
            art_buf q = {0};
            art_buf_sh_quote(&q, args->v[i].text);
            if (q.oom)
                b->oom = true;
            else
                art_buf_dollar_escape(b, q.s);
            art_buf_free(&q);
        } else {
            art_buf_sh_quote(b, args->v[i].text);
        }
    }
}

void art_buf_free(art_buf *b) {
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

/* ---------------------------------------------------------------- argument list */

static bool args_push(art_args *a, const char *text, bool raw) {
    art_arg *v = lp_grow(a->v, &a->cap, (size_t)a->n + 1, sizeof *v, 32);
    if (!v)
        return false;
    a->v = v;
    size_t n = strlen(text);
    char *copy = malloc(n + 1);
    if (!copy)
        return false;
    memcpy(copy, text, n + 1);
    a->v[a->n].text = copy;
    a->v[a->n].raw = raw;
    a->n++;
    return true;
}

static bool args_flag_int(art_args *a, const char *flag, long long value) {
    char num[32];
    snprintf(num, sizeof num, "%lld", value);
    return args_push(a, flag, false) && args_push(a, num, false);
}

static bool args_flag_str(art_args *a, const char *flag, const char *value) {
    return args_push(a, flag, false) && args_push(a, value, false);
}

bool art_args_push(art_args *a, const char *text) {
    return args_push(a, text, false);
}

void art_args_free(art_args *a) {
    for (int i = 0; i < a->n; i++)
        free(a->v[i].text);
    free(a->v);
    a->v = NULL;
    a->n = 0;
    a->cap = 0;
}

/* ---------------------------------------------------------------- resolution */

static art_vendor vendor_of(const lp_gpu *gpu) {
    if (!gpu || gpu->vendor[0] == '\0' || strncasecmp(gpu->vendor, "NVIDIA", 6) == 0)
        return ART_VENDOR_NVIDIA;
    if (strncasecmp(gpu->vendor, "AMD", 3) == 0)
        return ART_VENDOR_AMD;
    return ART_VENDOR_OTHER;
}

const char *lp_artifact_default_name(const char *model, char *buf, size_t size) {
    const char *base = model ? model : "";
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    size_t start = n;
    while (start > 0 && base[start - 1] != '/')
        start--;
    size_t max = size - 1 < NAME_MAX_LEN ? size - 1 : NAME_MAX_LEN;
    size_t j = 0;
    bool dash = false;
    for (size_t i = start; i < n && j < max; i++) {
        char c = base[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (dash && j > 0 && j + 1 < max)
                buf[j++] = '-';
            dash = false;
            buf[j++] = c;
        } else {
            dash = true;
        }
    }
    buf[j] = '\0';
    if (j == 0) {
        snprintf(buf, size, "vllm");
    } else if (!(buf[0] >= 'a' && buf[0] <= 'z')) {
        /* A Service name is a DNS-1035 label: it must start with a letter. */
        char tmp[NAME_MAX_LEN + 8];
        snprintf(tmp, sizeof tmp, "vllm-%s", buf);
        tmp[max] = '\0';
        size_t t = strlen(tmp);
        while (t > 0 && tmp[t - 1] == '-')
            tmp[--t] = '\0';
        snprintf(buf, size, "%s", tmp);
    }
    return buf;
}

static bool valid_name(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > NAME_MAX_LEN || !(s[0] >= 'a' && s[0] <= 'z') || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

int lp_artifact_num_nodes(const lp_deploy *d) {
    if (!d)
        return 0;
    int per = d->gpus_per_node > 0 ? d->gpus_per_node : DEFAULT_GPUS_PER_NODE;
    return d->num_gpus > per ? (d->num_gpus + per - 1) / per : 1;
}

static lp_status check_serving(const lp_serving *s, lp_error *err);

lp_status art_resolve(const lp_deploy *d, art_plan *p, lp_error *err) {
    memset(p, 0, sizeof *p);
    if (!d || !d->model || !*d->model)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "deployment: no model given; set the HF id or path to serve");
    const lp_serving *s = &d->serving;
    if (lp_disaggregated(s))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "deployment: a disaggregated deployment has one vLLM server per role; "
                            "take each role's with lp_artifact_role_deploy");
    p->d = d;
    p->replicas = 1;
    p->tp = s->tensor_parallel_size > 0 ? s->tensor_parallel_size : 1;
    p->pp = s->pipeline_parallel_size > 0 ? s->pipeline_parallel_size : 1;
    p->dp = s->data_parallel_size > 0 ? s->data_parallel_size : 1;
    p->gpus_per_node = d->gpus_per_node > 0 ? d->gpus_per_node : DEFAULT_GPUS_PER_NODE;
    p->port = d->port > 0 ? d->port : LP_ARTIFACT_PORT_DEFAULT;
    if (d->port < 0 || d->port > 65535)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "deployment: port %d is not a TCP port; use 1-65535", d->port);
    if (d->num_gpus < 1 || (long long)p->tp * p->pp * p->dp != d->num_gpus)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "deployment: tensor x pipeline x data parallel = %d x %d x %d does not "
                            "equal num_gpus %d; make the parallel sizes multiply to the GPU count",
                            p->tp, p->pp, p->dp, d->num_gpus);
    p->nodes = lp_artifact_num_nodes(d);
    p->gpus_on_node = d->num_gpus;
    p->dp_local = p->dp;
    if (p->nodes > 1) {
        if (d->num_gpus % p->gpus_per_node != 0)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "deployment: %d GPUs over nodes of %d is not a whole number of "
                                "nodes; use a multiple of gpus_per_node",
                                d->num_gpus, p->gpus_per_node);
        p->gpus_on_node = p->gpus_per_node;
        if (p->dp > 1) {
            int replica = p->tp * p->pp;
            if (replica > p->gpus_per_node || p->gpus_per_node % replica != 0)
                return lp_error_set(err, LP_ERR_UNSUPPORTED,
                                    "deployment: data parallelism over nodes needs each replica "
                                    "(TP x PP = %d GPUs) to fit a node of %d GPUs an exact number "
                                    "of times; use data_parallel_size 1 or a smaller replica",
                                    replica, p->gpus_per_node);
            p->dp_local = p->gpus_per_node / replica;
        }
    }
    lp_status st = check_serving(s, err);
    if (st != LP_OK)
        return st;
    p->vendor = vendor_of(d->gpu);
    /* AMD's ROCm image has no vLLM entrypoint: the command is given explicitly. */
    p->use_entrypoint = p->vendor != ART_VENDOR_AMD;
    if (d->name && *d->name) {
        if (!valid_name(d->name))
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "deployment: name \"%s\" is not a DNS-1035 label of at most %d "
                                "characters (a-z, 0-9, '-', starting with a letter)",
                                d->name, NAME_MAX_LEN);
        snprintf(p->name, sizeof p->name, "%s", d->name);
    } else {
        lp_artifact_default_name(d->model, p->name, sizeof p->name);
    }
    if (d->role != LP_DEPLOY_AGGREGATED) /* within 63 with "-leader": NAME_MAX_LEN + 15 */
        snprintf(p->name + strlen(p->name), sizeof p->name - strlen(p->name), "-%s",
                 d->role == LP_DEPLOY_PREFILL ? "prefill" : "decode");
    if (d->image && *d->image) {
        snprintf(p->image, sizeof p->image, "%s", d->image);
    } else {
        const char *repo =
            p->vendor == ART_VENDOR_AMD ? LP_ARTIFACT_IMAGE_ROCM : LP_ARTIFACT_IMAGE_DEFAULT;
        lp_vllm_version v = s->vllm_version;
        /* Pin the image to the vLLM release whose behaviour was planned for; vLLM tags its
         * images vX.Y.Z. The newest release llmplan models means "latest". */
        if (v > 0 && v != LP_VLLM_VERSION_LATEST && p->vendor != ART_VENDOR_AMD)
            snprintf(p->image, sizeof p->image, "%s:v%d.%d.%d", repo, v / 10000, v / 100 % 100,
                     v % 100);
        else
            snprintf(p->image, sizeof p->image, "%s:latest", repo);
    }
    return LP_OK;
}

/* How `vllm serve` spells a dtype for --dtype {auto,half,float16,bfloat16,float,float32}
 * (reference (e)) and for --kv-cache-dtype (CacheDType: auto, bfloat16, float16 (v0.25+), fp8
 * (= fp8_e4m3), ...); NULL: that flag has no spelling for it. */
static const struct {
    lp_dtype dtype;
    const char *weights, *kv_cache;
} DTYPE_CHOICES[] = {
    {LP_DTYPE_FP16, "float16", "float16"},
    {LP_DTYPE_BF16, "bfloat16", "bfloat16"},
    {LP_DTYPE_FP32, "float32", NULL},
    {LP_DTYPE_FP8, NULL, "fp8"},
};

static const char *dtype_choice(lp_dtype t, bool kv_cache) {
    for (size_t i = 0; i < sizeof DTYPE_CHOICES / sizeof DTYPE_CHOICES[0]; i++)
        if (DTYPE_CHOICES[i].dtype == t)
            return kv_cache ? DTYPE_CHOICES[i].kv_cache : DTYPE_CHOICES[i].weights;
    return NULL;
}

static const char *quant_choice(const char *q) {
    for (size_t i = 0; i < sizeof QUANT_METHODS / sizeof QUANT_METHODS[0]; i++)
        if (strcasecmp(q, QUANT_METHODS[i]) == 0)
            return QUANT_METHODS[i];
    return NULL;
}

static lp_status check_serving(const lp_serving *s, lp_error *err) {
    if (s->gpu_memory_utilization < 0 || s->gpu_memory_utilization > 1)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--gpu-memory-utilization %g is outside (0, 1]; vLLM rejects it",
                            s->gpu_memory_utilization);
    if (s->block_size != 0) {
        bool ok = false;
        for (size_t i = 0; i < sizeof BLOCK_SIZES / sizeof BLOCK_SIZES[0]; i++)
            ok = ok || BLOCK_SIZES[i] == s->block_size;
        if (!ok)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "--block-size %d: vLLM accepts 1, 8, 16, 32, 64, 128 or 256",
                                s->block_size);
    }
    if (s->dtype != LP_DTYPE_AUTO && !dtype_choice(s->dtype, false))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--dtype %s: vLLM accepts auto, half, float16, bfloat16, float, "
                            "float32 (quantized weights are set with --quantization)",
                            lp_dtype_name(s->dtype));
    if (s->kv_cache_dtype != LP_DTYPE_AUTO && !dtype_choice(s->kv_cache_dtype, true))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--kv-cache-dtype %s: vLLM accepts auto, fp8, fp8_e4m3, fp8_e5m2, "
                            "bfloat16, float16",
                            lp_dtype_name(s->kv_cache_dtype));
    const char *q = s->quantization;
    if (q && *q && strcasecmp(q, "none") != 0 && strcasecmp(q, "auto") != 0 && !quant_choice(q))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--quantization %s is not one of vLLM's QuantizationMethods (e.g. "
                            "fp8, awq, gptq, compressed-tensors, bitsandbytes, mxfp4)",
                            q);
    if (s->max_num_seqs < 0 || s->max_num_batched_tokens < 0 || s->max_model_len < -1)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "deployment: max_num_seqs, max_num_batched_tokens and max_model_len "
                            "must be positive (0: vLLM's default)");
    return LP_OK;
}

lp_status art_build_args(const art_plan *p, const art_target *t, art_args *a, lp_error *err) {
    const lp_deploy *d = p->d;
    const lp_serving *s = &d->serving;
    memset(a, 0, sizeof *a);
    bool multi = p->nodes > 1;
    if (multi && (t->node_rank < 0 || t->node_rank >= p->nodes))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "node_rank %d is out of range: the deployment spans %d nodes (0-%d)",
                            t->node_rank, p->nodes, p->nodes - 1);
    if (multi && d->multi_node_ray && t->node_rank != 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "node_rank %d: with Ray only node 0 runs vllm serve; the other nodes "
                            "run `ray start --address=<node 0>:%d --block`",
                            t->node_rank, LP_ARTIFACT_RAY_PORT);
    bool needs_addr = multi && !d->multi_node_ray;
    if (needs_addr && (!t->master_addr || !*t->master_addr))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "multi-node deployment (%d nodes): give the address of node 0 "
                            "(master_addr) that the other nodes can reach",
                            p->nodes);

    bool ok = true;
    if (t->serve_prefix)
        ok = args_push(a, "vllm", false) && args_push(a, "serve", false) &&
             args_push(a, d->model, false);
    else
        ok = args_flag_str(a, "--model", d->model);
    if (ok && d->served_model_name && *d->served_model_name)
        ok = args_flag_str(a, "--served-model-name", d->served_model_name);
    if (ok)
        ok = args_flag_int(a, "--tensor-parallel-size", p->tp);
    if (ok && p->pp > 1)
        ok = args_flag_int(a, "--pipeline-parallel-size", p->pp);
    if (ok && p->dp > 1)
        ok = args_flag_int(a, "--data-parallel-size", p->dp);
    if (ok && s->enable_expert_parallel)
        ok = args_push(a, "--enable-expert-parallel", false);
    if (ok && s->dtype != LP_DTYPE_AUTO)
        ok = args_flag_str(a, "--dtype", dtype_choice(s->dtype, false));
    const char *q = s->quantization;
    if (ok && q && *q && strcasecmp(q, "none") != 0 && strcasecmp(q, "auto") != 0)
        ok = args_flag_str(a, "--quantization", quant_choice(q));
    if (ok && s->kv_cache_dtype != LP_DTYPE_AUTO)
        ok = args_flag_str(a, "--kv-cache-dtype", dtype_choice(s->kv_cache_dtype, true));
    if (ok && s->max_model_len > 0)
        ok = args_flag_int(a, "--max-model-len", s->max_model_len);
    else if (ok && s->max_model_len == -1)
        ok = args_flag_str(a, "--max-model-len", "auto");
    if (ok) {
        /* Always written, so the artifact states the memory budget it was planned with. */
        double u = s->gpu_memory_utilization > 0 ? s->gpu_memory_utilization
                                                 : DEFAULT_GPU_MEMORY_UTILIZATION;
        char num[32];
        snprintf(num, sizeof num, "%.4g", u);
        ok = args_flag_str(a, "--gpu-memory-utilization", num);
    }
    if (ok && s->max_num_seqs > 0)
        ok = args_flag_int(a, "--max-num-seqs", s->max_num_seqs);
    if (ok && s->max_num_batched_tokens > 0)
        ok = args_flag_int(a, "--max-num-batched-tokens", s->max_num_batched_tokens);
    if (ok && s->block_size > 0)
        ok = args_flag_int(a, "--block-size", s->block_size);
    if (ok && s->enforce_eager)
        ok = args_push(a, "--enforce-eager", false);
    if (ok && s->enable_chunked_prefill_off)
        ok = args_push(a, "--no-enable-chunked-prefill", false);
    if (ok && s->disable_hybrid_kv_cache_manager)
        ok = args_push(a, "--disable-hybrid-kv-cache-manager", false);
    if (ok && s->cpu_offload_gib > 0) {
        char num[32];
        snprintf(num, sizeof num, "%g", s->cpu_offload_gib);
        ok = args_flag_str(a, "--cpu-offload-gb", num);
    }
    if (ok && s->num_scheduler_steps > 1)
        ok = args_flag_int(a, "--num-scheduler-steps", s->num_scheduler_steps);
    if (ok)
        ok = art_push_mode_flags(a, d);

    if (ok && multi && d->multi_node_ray) {
        /* Ray: node 0 drives the whole cluster (reference (e), "Multi-node with Ray"). */
        if (p->dp > 1)
            ok = args_flag_int(a, "--data-parallel-size-local", p->dp_local) &&
                 args_flag_str(a, "--data-parallel-backend", "ray");
        else
            ok = args_flag_str(a, "--distributed-executor-backend", "ray");
    } else if (ok && multi && p->dp > 1) {
        /* vLLM's data-parallel deployment: every node runs dp_local replicas; node 0 serves
         * the API, the others are headless with their first global DP rank. */
        ok = args_flag_int(a, "--data-parallel-size-local", p->dp_local) &&
             args_push(a, "--data-parallel-address", false) &&
             args_push(a, t->master_addr, t->master_addr_raw);
        if (ok && t->node_rank != 0) {
            ok = args_push(a, "--data-parallel-start-rank", false);
            if (ok && t->dp_start_raw)
                ok = args_push(a, t->dp_start_raw, true);
            else if (ok) {
                char num[32];
                snprintf(num, sizeof num, "%d", t->node_rank * p->dp_local);
                ok = args_push(a, num, false);
            }
            ok = ok && args_push(a, "--headless", false);
        }
    } else if (ok && multi) {
        /* vLLM's own multi-node launcher with the mp executor (reference (e)): "To use 'mp'
         * you must also set nnodes". Ranks other than 0 run no API server (--headless). */
        ok = args_flag_str(a, "--distributed-executor-backend", "mp") &&
             args_flag_int(a, "--nnodes", p->nodes) && args_push(a, "--node-rank", false);
        if (ok && t->node_rank_raw)
            ok = args_push(a, t->node_rank_raw, true);
        else if (ok) {
            char num[32];
            snprintf(num, sizeof num, "%d", t->node_rank);
            ok = args_push(a, num, false);
        }
        ok = ok && args_push(a, "--master-addr", false) &&
             args_push(a, t->master_addr, t->master_addr_raw);
        if (ok && t->node_rank != 0)
            ok = args_push(a, "--headless", false);
    }
    if (ok && t->host_all)
        ok = args_flag_str(a, "--host", "0.0.0.0");
    if (ok)
        ok = args_flag_int(a, "--port", p->port);
    if (!ok) {
        art_args_free(a);
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory building the vLLM arguments");
    }
    return LP_OK;
}

void art_buf_ray_wait(art_buf *b, int nodes) {
    /* iter(f, True) calls f until it returns True. No '$' in it, so it survives Compose and
     * Kubernetes expansion unchanged. */
    art_buf prog = {0};
    art_buf_addf(&prog,
                 "import ray, time; ray.init(address=\"auto\"); "
                 "[time.sleep(5) for _ in iter(lambda: sum(n[\"Alive\"] for n in ray.nodes()) >= "
                 "%d, True)]",
                 nodes);
    if (prog.oom)
        b->oom = true;
    else
        art_buf_sh_quote(b, prog.s);
    art_buf_free(&prog);
}

lp_status lp_artifact_vllm_args(const lp_deploy *d, const lp_args_opts *opts, char ***argv_out,
                                int *argc_out, lp_error *err) {
    if (argv_out)
        *argv_out = NULL;
    if (argc_out)
        *argc_out = 0;
    if (!argv_out || !argc_out)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "lp_artifact_vllm_args: no output given");
    lp_args_opts zero = {0};
    if (!opts)
        opts = &zero;
    art_plan p;
    lp_status st = art_resolve(d, &p, err);
    if (st != LP_OK)
        return st;
    art_target t = {.serve_prefix = opts->form == LP_ARGS_VLLM_SERVE,
                    .host_all = opts->form == LP_ARGS_CONTAINER,
                    .node_rank = opts->node_rank,
                    .master_addr = opts->master_addr};
    art_args a;
    if ((st = art_build_args(&p, &t, &a, err)) != LP_OK)
        return st;
    char **argv = calloc((size_t)a.n + 1, sizeof *argv);
    if (!argv) {
        art_args_free(&a);
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory building the vLLM arguments");
    }
    for (int i = 0; i < a.n; i++) {
        argv[i] = a.v[i].text; /* ownership moves to argv */
        a.v[i].text = NULL;
    }
    *argc_out = a.n;
    art_args_free(&a);
    *argv_out = argv;
    return LP_OK;
}

void lp_artifact_args_free(char **argv, int argc) {
    if (!argv)
        return;
    lp_strv_free(argv, (size_t)argc);
}

char *lp_artifact_vllm_serve_line(const lp_deploy *d, lp_error *err) {
    if (d && lp_disaggregated(&d->serving))
        return art_disagg_serve_lines(d, err);
    lp_args_opts ao;
    memset(&ao, 0, sizeof ao);
    ao.form = LP_ARGS_VLLM_SERVE;
    if (lp_artifact_num_nodes(d) > 1)
        ao.master_addr = LP_ARTIFACT_MASTER_ADDR_VAR;
    char **argv = NULL;
    int argc = 0;
    if (lp_artifact_vllm_args(d, &ao, &argv, &argc, err) != LP_OK)
        return NULL;
    char *line = lp_sh_join(NULL, argv, argc, LP_ARTIFACT_MASTER_ADDR_VAR);
    lp_artifact_args_free(argv, argc);
    if (!line)
        lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    return line;
}

/* ---------------------------------------------------------------- shell scripts */

/* A comment-safe copy of a user string: control characters (a newline would end the comment
 * and start a command) become '?'. */
void art_buf_comment(art_buf *b, const char *text) {
    for (const char *p = text; *p; p++) {
        char c = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
        buf_addn(b, &c, 1);
    }
}

static void script_header(art_buf *b, const art_plan *p, const char *what) {
    art_buf_add(b, "#!/bin/sh\n# ");
    art_buf_add(b, what);
    art_buf_add(b, " for ");
    art_buf_comment(b, p->d->model);
    art_buf_addf(b, ", generated by llmplan.\n# %d GPU(s)", p->d->num_gpus);
    if (p->d->gpu && p->d->gpu->name[0]) {
        art_buf_add(b, " ");
        art_buf_comment(b, p->d->gpu->name);
    }
    art_buf_addf(b, ": tensor parallel %d, pipeline parallel %d, data parallel %d", p->tp, p->pp,
                 p->dp);
    if (p->nodes > 1)
        art_buf_addf(b, ", %d nodes of %d GPUs", p->nodes, p->gpus_per_node);
    art_buf_add(b, ".\n");
    if (p->nodes > 1) {
        art_buf_addf(b,
                     "# Run this script on every node with NODE_RANK=0..%d (0 on the head node, "
                     "which serves the API)\n# and MASTER_ADDR set to the head node's address "
                     "as the other nodes reach it.\n",
                     p->nodes - 1);
        if (p->d->multi_node_ray)
            art_buf_addf(b,
                         "# Ray: the other nodes join the head's Ray cluster (port %d); the head "
                         "waits for all %d nodes,\n# then starts vllm serve with the Ray "
                         "executor.\n",
                         LP_ARTIFACT_RAY_PORT, p->nodes);
        else
            art_buf_add(b, "# vLLM's multi-node launcher (mp executor): nodes other than 0 run "
                           "--headless.\n");
    }
    art_buf_add(b, "set -eu\n");
    if (p->nodes > 1)
        art_buf_addf(b,
                     ": \"${NODE_RANK:?set NODE_RANK to this node's index, 0 to %d}\"\n"
                     ": \"${MASTER_ADDR:?set MASTER_ADDR to the head node's address}\"\n",
                     p->nodes - 1);
}

/* Writes the command line for one node (after any "exec "), 4-space continuation lines. */
typedef lp_status (*node_command_fn)(art_buf *b, const art_plan *p, int node_rank, lp_error *err);

static lp_status write_per_node(art_buf *b, const art_plan *p, node_command_fn fn, lp_error *err) {
    if (p->nodes == 1)
        return fn(b, p, 0, err);
    art_buf_add(b, "case \"$NODE_RANK\" in\n");
    for (int r = 0; r < p->nodes; r++) {
        /* With Ray every worker runs the same command: one branch for all of them. */
        bool ray_workers = p->d->multi_node_ray && r == 1;
        if (ray_workers) {
            for (int w = 1; w < p->nodes; w++)
                art_buf_addf(b, w > 1 ? "|%d" : "%d", w);
            art_buf_add(b, ")\n    ");
        } else {
            art_buf_addf(b, "%d)\n    ", r);
        }
        lp_status st = fn(b, p, r, err);
        if (st != LP_OK)
            return st;
        art_buf_add(b, "\n    ;;\n");
        if (ray_workers)
            break;
    }
    art_buf_addf(b,
                 "*)\n    echo \"NODE_RANK must be 0 to %d, got $NODE_RANK\" >&2\n    exit 2\n    "
                 ";;\nesac\n",
                 p->nodes - 1);
    return LP_OK;
}

static art_target shell_target(const art_plan *p, int node_rank, bool container) {
    art_target t = {.serve_prefix = !container || !p->use_entrypoint,
                    .host_all = container,
                    .node_rank = node_rank,
                    .master_addr = "\"$MASTER_ADDR\"",
                    .master_addr_raw = true};
    return t;
}

/* "ray start --head ... && python3 -c '<wait>' && exec " (head) */
static void ray_head_prefix(art_buf *b, const art_plan *p, bool escape_dollar) {
    art_buf_addf(b, "ray start --head --port=%d && python3 -c ", LP_ARTIFACT_RAY_PORT);
    art_buf q = {0};
    art_buf_ray_wait(&q, p->nodes);
    if (q.oom)
        b->oom = true;
    else if (escape_dollar)
        art_buf_dollar_escape(b, q.s);
    else
        art_buf_add(b, q.s);
    art_buf_free(&q);
    art_buf_add(b, " && exec ");
}

static lp_status serve_node(art_buf *b, const art_plan *p, int r, lp_error *err) {
    if (p->nodes > 1 && p->d->multi_node_ray && r > 0) {
        art_buf_addf(b, "exec ray start --address=\"$MASTER_ADDR:%d\" --block",
                     LP_ARTIFACT_RAY_PORT);
        return LP_OK;
    }
    art_target t = shell_target(p, r, false);
    art_args a;
    lp_status st = art_build_args(p, &t, &a, err);
    if (st != LP_OK)
        return st;
    if (p->nodes > 1 && p->d->multi_node_ray) {
        art_buf_addf(b, "ray start --head --port=%d\n    python3 -c ", LP_ARTIFACT_RAY_PORT);
        art_buf_ray_wait(b, p->nodes);
        art_buf_add(b, "\n    ");
    }
    art_buf_add(b, "exec ");
    art_buf_sh_join(b, &a, " \\\n        ", false);
    art_args_free(&a);
    return LP_OK;
}

lp_status art_flush(art_buf *b, FILE *out, const char *what, lp_error *err) {
    if (b->oom) {
        art_buf_free(b);
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory rendering %s", what);
    }
    size_t n = b->len ? fwrite(b->s, 1, b->len, out) : 0;
    bool bad = n != b->len || fflush(out) != 0 || ferror(out);
    art_buf_free(b);
    if (bad)
        return lp_error_set(err, LP_ERR_IO, "writing %s failed: %s", what, strerror(errno));
    return LP_OK;
}

lp_status art_serve_commands(art_buf *b, const art_plan *p, lp_error *err) {
    return write_per_node(b, p, serve_node, err);
}

lp_status lp_artifact_vllm_serve(const lp_deploy *d, FILE *out, lp_error *err) {
    if (d && lp_disaggregated(&d->serving))
        return art_disagg_serve(d, out, err);
    art_plan p;
    lp_status st = art_resolve(d, &p, err);
    if (st != LP_OK)
        return st;
    art_buf b = {0};
    script_header(&b, &p, "vLLM server");
    if ((st = write_per_node(&b, &p, serve_node, err)) != LP_OK) {
        art_buf_free(&b);
        return st;
    }
    if (p.nodes == 1)
        art_buf_add(&b, "\n");
    return art_flush(&b, out, "serve.sh", err);
}

static void docker_gpu_flags(art_buf *b, const art_plan *p) {
    const char *nl = " \\\n        ";
    if (p->vendor == ART_VENDOR_AMD) {
        /* ROCm containers get the GPUs through the kernel driver devices (vLLM ROCm docs). */
        art_buf_addf(b,
                     "%s--device=/dev/kfd --device=/dev/dri --group-add=video%s--security-opt "
                     "seccomp=unconfined",
                     nl, nl);
        return;
    }
    if (p->nodes > 1 || p->gpus_on_node >= p->gpus_per_node) {
        art_buf_addf(b, "%s--gpus all", nl);
        return;
    }
    /* A subset of the node: docker's --gpus value is CSV, so the list needs inner quotes. */
    art_buf_addf(b, "%s--gpus '\"device=", nl);
    for (int i = 0; i < p->gpus_on_node; i++)
        art_buf_addf(b, i ? ",%d" : "%d", i);
    art_buf_add(b, "\"'");
}

static lp_status docker_node(art_buf *b, const art_plan *p, int r, lp_error *err) {
    const char *nl = " \\\n        ";
    const lp_deploy *d = p->d;
    bool ray = p->nodes > 1 && d->multi_node_ray;
    art_buf_add(b, "exec docker run --rm");
    if (p->nodes > 1)
        art_buf_addf(b, " --name %s-node%d", p->name, r);
    else
        art_buf_addf(b, " --name %s", p->name);
    docker_gpu_flags(b, p);
    art_buf_addf(b, "%s--ipc=host", nl);
    if (p->nodes > 1)
        /* NCCL and the launcher talk between nodes directly: host networking. */
        art_buf_addf(b, "%s--network=host", nl);
    else
        art_buf_addf(b, "%s-p %d:%d", nl, p->port, p->port);
    art_buf_addf(b, "%s-v \"$HOME/.cache/huggingface:/root/.cache/huggingface\"", nl);
    art_buf_addf(b, "%s-e HF_TOKEN", nl);
    if (ray && r > 0)
        art_buf_addf(b, "%s-e MASTER_ADDR", nl);
    if (ray) {
        art_buf_addf(b, "%s--entrypoint /bin/sh", nl);
        art_buf_addf(b, "%s", nl);
        art_buf_sh_quote(b, p->image);
        art_buf_add(b, " -c ");
        art_buf cmd = {0};
        if (r > 0) {
            art_buf_addf(&cmd, "ray start --address=%s:%d --block", "\"$MASTER_ADDR\"",
                         LP_ARTIFACT_RAY_PORT);
        } else {
            art_target t = shell_target(p, 0, true);
            t.serve_prefix = true;
            art_args a;
            lp_status st = art_build_args(p, &t, &a, err);
            if (st != LP_OK) {
                art_buf_free(&cmd);
                return st;
            }
            ray_head_prefix(&cmd, p, false);
            art_buf_sh_join(&cmd, &a, " ", false);
            art_args_free(&a);
        }
        /* The container's sh runs the command; $MASTER_ADDR reaches it through -e. */
        if (cmd.oom)
            b->oom = true;
        else
            art_buf_sh_quote(b, cmd.s);
        art_buf_free(&cmd);
        return LP_OK;
    }
    art_target t = shell_target(p, r, true);
    art_args a;
    lp_status st = art_build_args(p, &t, &a, err);
    if (st != LP_OK)
        return st;
    art_buf_add(b, nl);
    art_buf_sh_quote(b, p->image);
    art_buf_add(b, nl);
    art_buf_sh_join(b, &a, nl, false);
    art_args_free(&a);
    return LP_OK;
}

lp_status art_check_vendor(const art_plan *p, const char *what, lp_error *err) {
    if (p->vendor == ART_VENDOR_OTHER)
        return lp_error_set(err, LP_ERR_UNSUPPORTED,
                            "%s artifacts for %s GPUs are not generated (NVIDIA and AMD only); "
                            "use serve.sh with the vendor's vLLM build",
                            what, p->d->gpu->vendor);
    return LP_OK;
}

lp_status art_resolve_vendor(const lp_deploy *d, const char *what, art_plan *p, lp_error *err) {
    lp_status st = art_resolve(d, p, err);
    return st == LP_OK ? art_check_vendor(p, what, err) : st;
}

lp_status lp_artifact_docker_run(const lp_deploy *d, FILE *out, lp_error *err) {
    if (d && lp_disaggregated(&d->serving))
        return art_disagg_unsupported("docker-run.sh", err);
    art_plan p;
    lp_status st = art_resolve_vendor(d, "container", &p, err);
    if (st != LP_OK)
        return st;
    art_buf b = {0};
    script_header(&b, &p, "docker run");
    art_buf_add(&b, "# The API listens on port ");
    art_buf_addf(&b,
                 "%d (GET /health, /v1/models); HF_TOKEN is passed through from the "
                 "environment.\n",
                 p.port);
    if ((st = write_per_node(&b, &p, docker_node, err)) != LP_OK) {
        art_buf_free(&b);
        return st;
    }
    if (p.nodes == 1)
        art_buf_add(&b, "\n");
    return art_flush(&b, out, "docker-run.sh", err);
}

/* ---------------------------------------------------------------- writing a directory */

typedef lp_status (*render_fn)(const lp_deploy *, FILE *, lp_error *);

static const struct {
    const char *kind;
    const char *file;
    render_fn render;
    bool executable;
    bool container; /* needs a container recipe for the GPU vendor */
} KINDS[] = {
    {"vllm", "serve.sh", lp_artifact_vllm_serve, true, false},
    {"docker", "docker-run.sh", lp_artifact_docker_run, true, true},
    {"compose", "docker-compose.yaml", lp_artifact_compose, false, true},
    {"k8s", "k8s.yaml", lp_artifact_k8s, false, true},
};
#define N_KINDS (sizeof KINDS / sizeof KINDS[0])

static lp_status parse_kinds(const char *kinds, bool want[N_KINDS], bool *all, lp_error *err) {
    memset(want, 0, N_KINDS * sizeof want[0]);
    if (all)
        *all = false;
    bool any = false;
    const char *p = kinds ? kinds : "";
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n > 0 && (*p == ' ' || *p == '\t'))
            p++, n--;
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        bool found = false;
        if (n == 3 && strncmp(p, "all", 3) == 0) {
            for (size_t i = 0; i < N_KINDS; i++)
                want[i] = true;
            found = true;
            if (all)
                *all = true;
        }
        for (size_t i = 0; i < N_KINDS && !found; i++)
            if (strlen(KINDS[i].kind) == n && strncmp(p, KINDS[i].kind, n) == 0)
                want[i] = found = true;
        if (!found && n > 0)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "artifact kind \"%.*s\" is unknown; use vllm, docker, compose, "
                                "k8s or all (comma-separated)",
                                (int)n, p);
        any = any || found;
        p = end ? end + 1 : p + strlen(p);
    }
    if (!any)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "no artifact kind given; use vllm, docker, compose, k8s or all");
    return LP_OK;
}

static lp_status make_dirs(const char *dir, lp_error *err) {
    size_t n = strlen(dir);
    char *path = malloc(n + 1);
    if (!path)
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char saved = path[i];
        path[i] = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            int e = errno;
            lp_status st =
                lp_error_set(err, LP_ERR_IO, "%s: cannot create directory: %s", path, strerror(e));
            free(path);
            return st;
        }
        path[i] = saved;
    }
    struct stat sb;
    bool is_dir = stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode);
    free(path);
    if (!is_dir)
        return lp_error_set(err, LP_ERR_IO, "%s: exists and is not a directory", dir);
    return LP_OK;
}

lp_status lp_artifact_check(const char *kinds, const char *out_dir, bool force, lp_error *err) {
    bool want[N_KINDS];
    lp_status st = parse_kinds(kinds, want, NULL, err);
    if (st != LP_OK)
        return st;
    if (!out_dir || !*out_dir)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "no output directory given");
    struct stat sb;
    if (stat(out_dir, &sb) != 0)
        return LP_OK; /* created when written: nothing in it yet */
    lp_outset *set;
    lp_outset_opts o = {force, "--force", NULL};
    if ((st = lp_outset_open(out_dir, &o, &set, err)) != LP_OK)
        return st;
    for (size_t i = 0; i < N_KINDS && st == LP_OK; i++)
        if (want[i])
            st = lp_outset_check(set, KINDS[i].file, err);
    lp_outset_free(set);
    return st;
}

lp_status lp_artifact_write(const lp_deploy *d, const char *kinds, const char *out_dir, bool force,
                            lp_error *err) {
    bool want[N_KINDS], all;
    lp_status st = parse_kinds(kinds, want, &all, err);
    if (st != LP_OK)
        return st;
    if (!out_dir || !*out_dir)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "no output directory given");
    /* Render-time errors (bad settings) are found before the directory is created. */
    if (d && lp_disaggregated(&d->serving)) {
        /* one server per role: serve.sh and k8s.yaml only ("all" means those two) */
        art_disagg g;
        if ((st = art_disagg_resolve(d, true, &g, err)) != LP_OK)
            return st;
        for (size_t i = 0; i < N_KINDS; i++) {
            bool has_form = strcmp(KINDS[i].kind, "vllm") == 0 || strcmp(KINDS[i].kind, "k8s") == 0;
            if (want[i] && !has_form && all)
                want[i] = false;
            else if (want[i] && !has_form)
                return art_disagg_unsupported(KINDS[i].file, err);
            for (int r = 0; r < 2 && want[i] && KINDS[i].container; r++)
                if ((st = art_check_vendor(&g.plan[r], "container", err)) != LP_OK)
                    return st;
        }
    } else {
        art_plan p;
        if ((st = art_resolve(d, &p, err)) != LP_OK)
            return st;
        for (size_t i = 0; i < N_KINDS; i++)
            if (want[i] && KINDS[i].container &&
                (st = art_check_vendor(&p, "container", err)) != LP_OK)
                return st;
    }
    if ((st = make_dirs(out_dir, err)) != LP_OK)
        return st;
    /* all files or none: each is renamed into place once every one is complete */
    lp_outset *set;
    lp_outset_opts o = {force, "--force", NULL};
    if ((st = lp_outset_open(out_dir, &o, &set, err)) != LP_OK)
        return st;
    for (size_t i = 0; i < N_KINDS && st == LP_OK; i++) {
        if (!want[i])
            continue;
        FILE *f;
        /* scripts executable by whoever may read them (the umask decides the rest) */
        st = lp_outset_add(set, KINDS[i].file, KINDS[i].executable ? 0777u : 0666u, &f, err);
        if (st == LP_OK)
            st = KINDS[i].render(d, f, err);
    }
    if (st == LP_OK)
        st = lp_outset_commit(set, err);
    lp_outset_free(set);
    return st;
}
