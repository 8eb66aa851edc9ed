/*
 * test_artifacts.c - deployment artifacts: the vLLM argv, serve.sh, docker-run.sh,
 * docker-compose.yaml and Kubernetes manifests.
 *
 * Independent checks, not re-readings of the renderer:
 * - every flag of every generated vLLM command is in a whitelist of real `vllm serve` flags
 *   and every value in the set vLLM accepts, both written here from
 *   ../shared/reference/vllm_internals.md section (e) ("`vllm serve` engine flags that matter
 *   for deployment") and (d) (block sizes, gpu_memory_utilization range);
 * - the shell scripts are executed by /bin/sh with stand-in `vllm` and `docker` programs that
 *   print the argv they receive, so quoting is checked by the shell itself;
 * - every YAML output is read back with libyaml's parser into a tree and walked.
 */
#include "support/lp_test.h"

#include "llmplan/artifacts.h"
#include "llmplan/hw.h"
#include "llmplan/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <yaml.h>

/* ================================================================ vLLM flag whitelist */

typedef enum { V_NONE, V_INT, V_UTIL, V_ENUM, V_STRING, V_LEN } value_kind;

typedef struct {
    const char *flag;
    value_kind kind;
    const char *const *choices; /* V_ENUM: NULL-terminated */
} flag_rule;

/* From reference/vllm_internals.md (e): --dtype {auto,half,float16,bfloat16,float,float32}. */
static const char *const DTYPES[] = {"auto",  "half",    "float16", "bfloat16",
                                     "float", "float32", NULL};
/* (e) --kv-cache-dtype: the values common to every release listed there (v0.11 CacheDType plus
 * float16 from v0.25). */
static const char *const KV_DTYPES[] = {"auto",     "fp8",     "fp8_e4m3", "fp8_e5m2",
                                        "bfloat16", "float16", NULL};
/* (d)/(e) --block-size {1,8,16,32,64,128,256}. */
static const char *const BLOCK_SIZES[] = {"1", "8", "16", "32", "64", "128", "256", NULL};
/* (e) QuantizationMethods (vllm/model_executor/layers/quantization/__init__.py). */
static const char *const QUANTS[] = {
    "awq",          "fp8",          "ptpc_fp8",   "fbgemm_fp8", "fp_quant",
    "modelopt",     "modelopt_fp4", "bitblas",    "gguf",       "gptq_marlin_24",
    "gptq_marlin",  "gptq_bitblas", "awq_marlin", "gptq",       "compressed-tensors",
    "bitsandbytes", "experts_int8", "ipex",       "quark",      "moe_wna16",
    "torchao",      "inc",          "mxfp4",      "mxfp8",      "petit_nvfp4",
    "cpu_awq",      "tpu_int8",     NULL};
/* (e) --distributed-executor-backend {ray,mp,uni,external_launcher}; --data-parallel-backend
 * {mp,ray}. */
static const char *const EXECUTORS[] = {"ray", "mp", "uni", "external_launcher", NULL};
static const char *const DP_BACKENDS[] = {"mp", "ray", NULL};

static const flag_rule FLAGS[] = {
    /* reference (e), "Model / dtype / quantization" */
    {"--model", V_STRING, NULL},
    {"--served-model-name", V_STRING, NULL},
    {"--max-model-len", V_LEN, NULL},
    {"--dtype", V_ENUM, DTYPES},
    {"--quantization", V_ENUM, QUANTS},
    {"--enforce-eager", V_NONE, NULL},
    /* reference (e), "Parallelism" (incl. the mp multi-node and data-parallel deployment flags) */
    {"--tensor-parallel-size", V_INT, NULL},
    {"--pipeline-parallel-size", V_INT, NULL},
    {"--data-parallel-size", V_INT, NULL},
    {"--enable-expert-parallel", V_NONE, NULL},
    {"--distributed-executor-backend", V_ENUM, EXECUTORS},
    {"--nnodes", V_INT, NULL},
    {"--node-rank", V_STRING, NULL}, /* a number, or a Kubernetes $(VAR) in LWS templates */
    {"--master-addr", V_STRING, NULL},
    {"--data-parallel-size-local", V_INT, NULL},
    {"--data-parallel-start-rank", V_STRING, NULL},
    {"--data-parallel-address", V_STRING, NULL},
    {"--data-parallel-backend", V_ENUM, DP_BACKENDS},
    /* reference (e), "KV cache / memory" */
    {"--gpu-memory-utilization", V_UTIL, NULL},
    {"--block-size", V_ENUM, BLOCK_SIZES},
    {"--kv-cache-dtype", V_ENUM, KV_DTYPES},
    {"--cpu-offload-gb", V_STRING, NULL},
    /* reference (e), "Scheduler" */
    {"--max-num-seqs", V_INT, NULL},
    {"--max-num-batched-tokens", V_INT, NULL},
    {"--no-enable-chunked-prefill", V_NONE, NULL},
    {"--disable-hybrid-kv-cache-manager", V_NONE, NULL},
    /* Frontend flags of `vllm serve` (vllm/entrypoints/openai/cli_args.py: --host, --port) and
     * `--headless` (vllm/entrypoints/cli/serve.py, ServeSubcommand.cmd: args.headless), used
     * on non-zero ranks in vLLM's multi-node docs. */
    {"--host", V_STRING, NULL},
    {"--port", V_INT, NULL},
    {"--headless", V_NONE, NULL},
    /* Disaggregated prefill/decode: KVTransferConfig as JSON (vLLM's docs/features/
     * nixl_connector_usage.md, `--kv-transfer-config '{"kv_connector":...}'`); its content is
     * checked by the disaggregation tests. */
    {"--kv-transfer-config", V_STRING, NULL},
};

static const flag_rule *find_rule(const char *flag) {
    for (size_t i = 0; i < sizeof FLAGS / sizeof FLAGS[0]; i++)
        if (strcmp(FLAGS[i].flag, flag) == 0)
            return &FLAGS[i];
    return NULL;
}

static bool in_list(const char *const *list, const char *v) {
    for (; *list; list++)
        if (strcmp(*list, v) == 0)
            return true;
    return false;
}

static bool is_posint(const char *s) {
    if (!*s)
        return false;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return atoll(s) > 0;
}

typedef struct {
    int tp, pp, dp;
    int nflags;
} argv_summary;

/* Check argv[from..argc) flag by flag against the whitelist; returns the parallel sizes. */
static argv_summary check_flags(char **argv, int argc, int from) {
    argv_summary s = {1, 1, 1, 0};
    for (int i = from; i < argc; i++) {
        const char *f = argv[i];
        if (strncmp(f, "--", 2) != 0)
            fail_msg("argument %d \"%s\" is not a flag", i, f);
        const flag_rule *r = find_rule(f);
        if (!r)
            fail_msg("\"%s\" is not in the whitelist of vLLM flags (reference (e))", f);
        s.nflags++;
        if (r->kind == V_NONE)
            continue;
        if (i + 1 >= argc)
            fail_msg("%s has no value", f);
        const char *v = argv[++i];
        switch (r->kind) {
        case V_INT:
            if (!is_posint(v))
                fail_msg("%s %s: expected a positive integer", f, v);
            break;
        case V_UTIL: {
            char *end;
            double u = strtod(v, &end);
            if (*end || !(u > 0 && u <= 1))
                fail_msg("%s %s: expected a number in (0, 1]", f, v);
            break;
        }
        case V_ENUM:
            if (!in_list(r->choices, v))
                fail_msg("%s %s: not one of vLLM's choices", f, v);
            break;
        case V_LEN:
            if (!is_posint(v) && strcmp(v, "auto") != 0 && strcmp(v, "-1") != 0)
                fail_msg("%s %s: expected a length, auto or -1", f, v);
            break;
        default:
            if (!*v)
                fail_msg("%s has an empty value", f);
        }
        if (strcmp(f, "--tensor-parallel-size") == 0)
            s.tp = atoi(v);
        else if (strcmp(f, "--pipeline-parallel-size") == 0)
            s.pp = atoi(v);
        else if (strcmp(f, "--data-parallel-size") == 0)
            s.dp = atoi(v);
    }
    return s;
}

/* A `vllm serve MODEL flags...` argv: prefix, whitelist, TP x PP x DP = GPUs. */
static void check_serve_argv(char **argv, int argc, const char *model, int num_gpus) {
    assert_true(argc >= 3);
    assert_string_equal(argv[0], "vllm");
    assert_string_equal(argv[1], "serve");
    assert_string_equal(argv[2], model);
    assert_null(argv[argc]);
    argv_summary s = check_flags(argv, argc, 3);
    assert_int_equal(s.tp * s.pp * s.dp, num_gpus);
}

static int find_arg(char **argv, int argc, const char *flag) {
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], flag) == 0)
            return i;
    return -1;
}

static const char *arg_value(char **argv, int argc, const char *flag) {
    int i = find_arg(argv, argc, flag);
    return i >= 0 && i + 1 < argc ? argv[i + 1] : NULL;
}

/* ================================================================ fixtures */

static const lp_gpu *gpu(const char *name) {
    const lp_gpu *g = NULL;
    lp_error err;
    if (lp_gpu_find(NULL, name, &g, &err) != LP_OK)
        fail_msg("lp_gpu_find(%s): %s", name, err.message);
    return g;
}

static lp_deploy base_deploy(const char *model, int num_gpus, int tp) {
    lp_deploy d;
    memset(&d, 0, sizeof d);
    d.model = model;
    d.gpu = gpu("H100 SXM");
    d.num_gpus = num_gpus;
    d.gpus_per_node = 8;
    lp_serving_init(&d.serving);
    d.serving.tensor_parallel_size = tp;
    return d;
}

static char **args_ok(const lp_deploy *d, const lp_args_opts *o, int *argc) {
    char **argv = NULL;
    lp_error err;
    lp_status st = lp_artifact_vllm_args(d, o, &argv, argc, &err);
    if (st != LP_OK)
        fail_msg("lp_artifact_vllm_args: %s", err.message);
    return argv;
}

static lp_status args_status(const lp_deploy *d, const lp_args_opts *o, lp_error *err) {
    char **argv = (char **)1;
    int argc = 5;
    lp_status st = lp_artifact_vllm_args(d, o, &argv, &argc, err);
    if (st != LP_OK) {
        assert_null(argv);
        assert_int_equal(argc, 0);
        assert_true(err->message[0] != '\0');
    } else {
        lp_artifact_args_free(argv, argc);
    }
    return st;
}

/* Render with fn into a malloc'd string. */
typedef lp_status (*render_fn)(const lp_deploy *, FILE *, lp_error *);

static char *render(render_fn fn, const lp_deploy *d) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    lp_error err;
    lp_status st = fn(d, f, &err);
    fclose(f);
    if (st != LP_OK)
        fail_msg("render failed: %s", err.message);
    return buf;
}

/* ================================================================ YAML tree (libyaml parser) */

typedef enum { YN_SCALAR, YN_SEQ, YN_MAP } yn_kind;

typedef struct yn {
    yn_kind kind;
    char *value;       /* scalar */
    bool plain;        /* scalar written in plain style (so a schema may read it as a number) */
    struct yn **items; /* seq: items; map: key, value, key, value ... */
    int n;
} yn;

static void yn_push(yn *parent, yn *child) {
    parent->items = realloc(parent->items, (size_t)(parent->n + 1) * sizeof *parent->items);
    assert_non_null(parent->items);
    parent->items[parent->n++] = child;
}

static yn *yn_parse_node(yaml_parser_t *p, yaml_event_t *ev);

static yn *yn_new(yn_kind k) {
    yn *n = calloc(1, sizeof *n);
    assert_non_null(n);
    n->kind = k;
    return n;
}

static void next_event(yaml_parser_t *p, yaml_event_t *ev) {
    if (!yaml_parser_parse(p, ev))
        fail_msg("YAML parse error: %s at line %zu", p->problem ? p->problem : "?",
                 p->problem_mark.line + 1);
}

/* ev is the node's first event (consumed here). */
static yn *yn_parse_node(yaml_parser_t *p, yaml_event_t *ev) {
    yn *n;
    if (ev->type == YAML_SCALAR_EVENT) {
        n = yn_new(YN_SCALAR);
        n->value = strdup((const char *)ev->data.scalar.value);
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        yaml_event_delete(ev);
        return n;
    }
    if (ev->type == YAML_ALIAS_EVENT)
        fail_msg("unexpected alias in generated YAML");
    bool map = ev->type == YAML_MAPPING_START_EVENT;
    assert_true(map || ev->type == YAML_SEQUENCE_START_EVENT);
    yaml_event_delete(ev);
    n = yn_new(map ? YN_MAP : YN_SEQ);
    for (;;) {
        yaml_event_t e;
        next_event(p, &e);
        if (e.type == YAML_MAPPING_END_EVENT || e.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&e);
            return n;
        }
        yn_push(n, yn_parse_node(p, &e));
    }
}

/* Parse every document of text; returns the number of documents. */
static int yaml_docs(const char *text, yn **docs, int max) {
    yaml_parser_t p;
    assert_true(yaml_parser_initialize(&p));
    yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
    int n = 0;
    for (;;) {
        yaml_event_t e;
        next_event(&p, &e);
        yaml_event_type_t t = e.type;
        yaml_event_delete(&e);
        if (t == YAML_STREAM_END_EVENT)
            break;
        if (t != YAML_DOCUMENT_START_EVENT)
            continue;
        yaml_event_t root;
        next_event(&p, &root);
        assert_true(n < max);
        docs[n++] = yn_parse_node(&p, &root);
        yaml_event_t end;
        next_event(&p, &end);
        assert_int_equal(end.type, YAML_DOCUMENT_END_EVENT);
        yaml_event_delete(&end);
    }
    yaml_parser_delete(&p);
    return n;
}

static void yn_free(yn *n) {
    if (!n)
        return;
    for (int i = 0; i < n->n; i++)
        yn_free(n->items[i]);
    free(n->items);
    free(n->value);
    free(n);
}

static yn *yn_key(const yn *m, const char *key) {
    if (!m || m->kind != YN_MAP)
        return NULL;
    for (int i = 0; i + 1 < m->n; i += 2)
        if (m->items[i]->kind == YN_SCALAR && strcmp(m->items[i]->value, key) == 0)
            return m->items[i + 1];
    return NULL;
}

/* Walk a space-separated path of map keys and sequence indexes; fails the test when absent. */
static yn *yn_at(const yn *root, const char *path) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", path);
    const yn *cur = root;
    for (char *tok = strtok(buf, " "); tok; tok = strtok(NULL, " ")) {
        if (cur && cur->kind == YN_SEQ && tok[0] >= '0' && tok[0] <= '9') {
            int i = atoi(tok);
            cur = i < cur->n ? cur->items[i] : NULL;
        } else {
            cur = yn_key(cur, tok);
        }
        if (!cur)
            fail_msg("YAML path \"%s\": \"%s\" not found", path, tok);
    }
    return (yn *)cur;
}

static const char *yn_str(const yn *root, const char *path) {
    const yn *n = yn_at(root, path);
    if (n->kind != YN_SCALAR)
        fail_msg("YAML path \"%s\" is not a scalar", path);
    return n->value;
}

/* A sequence of scalars as an argv (strings owned by the tree; free the array). */
static char **yn_argv(const yn *seq, int *argc) {
    assert_int_equal(seq->kind, YN_SEQ);
    char **v = calloc((size_t)seq->n + 1, sizeof *v);
    assert_non_null(v);
    for (int i = 0; i < seq->n; i++) {
        assert_int_equal(seq->items[i]->kind, YN_SCALAR);
        v[i] = seq->items[i]->value;
        /* Compose and Kubernetes want strings: a plain "2" would be read as an integer. */
        const char *s = v[i];
        if (seq->items[i]->plain && ((s[0] >= '0' && s[0] <= '9') || !*s))
            fail_msg("list item \"%s\" is a plain scalar that reads as a number", s);
    }
    *argc = seq->n;
    return v;
}

static void assert_argv_equal(char **a, int an, char **b, int bn) {
    if (an != bn)
        fail_msg("argv lengths differ: %d vs %d", an, bn);
    for (int i = 0; i < an; i++)
        if (strcmp(a[i], b[i]) != 0)
            fail_msg("argv[%d]: \"%s\" vs \"%s\"", i, a[i], b[i]);
}

/* ================================================================ argv tests */

static void test_args_single_node(void **state) {
    (void)state;
    lp_deploy d = base_deploy("meta-llama/Llama-3.1-70B-Instruct", 4, 4);
    int argc;
    char **argv = args_ok(&d, NULL, &argc);
    check_serve_argv(argv, argc, d.model, 4);
    assert_string_equal(arg_value(argv, argc, "--tensor-parallel-size"), "4");
    assert_string_equal(arg_value(argv, argc, "--gpu-memory-utilization"), "0.9");
    assert_string_equal(arg_value(argv, argc, "--port"), "8000");
    /* vLLM defaults are not written */
    const char *absent[] = {"--data-parallel-size",
                            "--pipeline-parallel-size",
                            "--enable-expert-parallel",
                            "--quantization",
                            "--kv-cache-dtype",
                            "--dtype",
                            "--max-num-batched-tokens",
                            "--max-num-seqs",
                            "--block-size",
                            "--enforce-eager",
                            "--served-model-name",
                            "--nnodes",
                            "--host",
                            "--headless"};
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
        if (find_arg(argv, argc, absent[i]) >= 0)
            fail_msg("%s written although it is vLLM's default", absent[i]);
    lp_artifact_args_free(argv, argc);

    lp_args_opts o = {.form = LP_ARGS_CONTAINER};
    argv = args_ok(&d, &o, &argc);
    assert_string_equal(argv[0], "--model");
    assert_string_equal(argv[1], d.model);
    argv_summary s = check_flags(argv, argc, 0);
    assert_int_equal(s.tp * s.pp * s.dp, 4);
    assert_string_equal(arg_value(argv, argc, "--host"), "0.0.0.0");
    lp_artifact_args_free(argv, argc);
}

static void test_args_every_setting(void **state) {
    (void)state;
    lp_deploy d = base_deploy("Qwen/Qwen3-30B-A3B", 8, 2);
    d.served_model_name = "qwen3";
    d.port = 9000;
    lp_serving *s = &d.serving;
    s->pipeline_parallel_size = 2;
    s->data_parallel_size = 2;
    s->enable_expert_parallel = true;
    s->dtype = LP_DTYPE_BF16;
    s->quantization = "fp8";
    s->kv_cache_dtype = LP_DTYPE_FP8;
    s->max_model_len = 32768;
    s->gpu_memory_utilization = 0.92;
    s->max_num_seqs = 128;
    s->max_num_batched_tokens = 4096;
    s->block_size = 32;
    s->enforce_eager = true;
    int argc;
    char **argv = args_ok(&d, NULL, &argc);
    check_serve_argv(argv, argc, d.model, 8);
    struct {
        const char *flag, *value;
    } want[] = {{"--tensor-parallel-size", "2"},
                {"--pipeline-parallel-size", "2"},
                {"--data-parallel-size", "2"},
                {"--dtype", "bfloat16"},
                {"--quantization", "fp8"},
                {"--kv-cache-dtype", "fp8"},
                {"--max-model-len", "32768"},
                {"--gpu-memory-utilization", "0.92"},
                {"--max-num-seqs", "128"},
                {"--max-num-batched-tokens", "4096"},
                {"--block-size", "32"},
                {"--served-model-name", "qwen3"},
                {"--port", "9000"}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *v = arg_value(argv, argc, want[i].flag);
        if (!v || strcmp(v, want[i].value) != 0)
            fail_msg("%s: got %s, expected %s", want[i].flag, v ? v : "(absent)", want[i].value);
    }
    assert_true(find_arg(argv, argc, "--enable-expert-parallel") >= 0);
    assert_true(find_arg(argv, argc, "--enforce-eager") >= 0);
    lp_artifact_args_free(argv, argc);

    /* "none"/"auto" quantization means the checkpoint's own: omitted */
    s->quantization = "none";
    s->max_model_len = -1;
    argv = args_ok(&d, NULL, &argc);
    assert_int_equal(find_arg(argv, argc, "--quantization"), -1);
    assert_string_equal(arg_value(argv, argc, "--max-model-len"), "auto");
    lp_artifact_args_free(argv, argc);
}

static void test_args_invalid(void **state) {
    (void)state;
    lp_error err;
    lp_deploy d = base_deploy("m", 2, 2);
    d.serving.block_size = 24;
    assert_int_equal(args_status(&d, NULL, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "--block-size"));

    d = base_deploy("m", 2, 2);
    d.serving.gpu_memory_utilization = 1.5;
    assert_int_equal(args_status(&d, NULL, &err), LP_ERR_INVALID_ARG);

    d = base_deploy("m", 4, 2); /* 2 x 1 x 1 != 4 */
    assert_int_equal(args_status(&d, NULL, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "num_gpus"));

    d = base_deploy("m", 1, 1);
    d.serving.quantization = "int4";
    assert_int_equal(args_status(&d, NULL, &err), LP_ERR_INVALID_ARG);

    d = base_deploy("m", 1, 1);
    d.serving.kv_cache_dtype = LP_DTYPE_FP32;
    assert_int_equal(args_status(&d, NULL, &err), LP_ERR_INVALID_ARG);

    d = base_deploy("m", 1, 1);
    d.serving.dtype = LP_DTYPE_INT8;
    assert_int_equal(args_status(&d, NULL, &err), LP_ERR_INVALID_ARG);

    d = base_deploy(NULL, 1, 1);
    assert_int_equal(args_status(&d, NULL, &err), LP_ERR_INVALID_ARG);

    d = base_deploy("m", 1, 1);
    d.name = "Bad_Name";
    assert_int_equal(args_status(&d, NULL, &err), LP_ERR_INVALID_ARG);

    /* 12 GPUs over nodes of 8 */
    d = base_deploy("m", 12, 12);
    assert_int_equal(args_status(&d, NULL, &err), LP_ERR_INVALID_ARG);

    /* DP over nodes with replicas that straddle nodes */
    d = base_deploy("m", 32, 16);
    d.serving.data_parallel_size = 2;
    assert_int_equal(args_status(&d, NULL, &err), LP_ERR_UNSUPPORTED);
}

static void test_args_multi_node_mp(void **state) {
    (void)state;
    lp_deploy d = base_deploy("meta-llama/Llama-3.1-405B-Instruct", 16, 8);
    d.serving.pipeline_parallel_size = 2;
    assert_int_equal(lp_artifact_num_nodes(&d), 2);
    lp_error err;
    /* the head's address is required */
    assert_int_equal(args_status(&d, NULL, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "master_addr"));

    lp_args_opts o = {.node_rank = 0, .master_addr = "10.0.0.1"};
    int argc;
    char **argv = args_ok(&d, &o, &argc);
    check_serve_argv(argv, argc, d.model, 16);
    assert_string_equal(arg_value(argv, argc, "--nnodes"), "2");
    assert_string_equal(arg_value(argv, argc, "--node-rank"), "0");
    assert_string_equal(arg_value(argv, argc, "--master-addr"), "10.0.0.1");
    assert_string_equal(arg_value(argv, argc, "--distributed-executor-backend"), "mp");
    assert_int_equal(find_arg(argv, argc, "--headless"), -1);
    lp_artifact_args_free(argv, argc);

    o.node_rank = 1;
    argv = args_ok(&d, &o, &argc);
    check_serve_argv(argv, argc, d.model, 16);
    assert_string_equal(arg_value(argv, argc, "--node-rank"), "1");
    assert_true(find_arg(argv, argc, "--headless") >= 0);
    lp_artifact_args_free(argv, argc);

    o.node_rank = 2;
    assert_int_equal(args_status(&d, &o, &err), LP_ERR_INVALID_ARG);
}

static void test_args_multi_node_ray(void **state) {
    (void)state;
    lp_deploy d = base_deploy("deepseek-ai/DeepSeek-V3", 16, 8);
    d.serving.pipeline_parallel_size = 2;
    d.multi_node_ray = true;
    int argc;
    char **argv = args_ok(&d, NULL, &argc);
    check_serve_argv(argv, argc, d.model, 16);
    assert_string_equal(arg_value(argv, argc, "--distributed-executor-backend"), "ray");
    assert_int_equal(find_arg(argv, argc, "--nnodes"), -1);
    lp_artifact_args_free(argv, argc);
    lp_error err;
    lp_args_opts o = {.node_rank = 1};
    assert_int_equal(args_status(&d, &o, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "ray start"));
}

static void test_args_multi_node_dp(void **state) {
    (void)state;
    /* 4 replicas of TP 4 on two 8-GPU nodes: 2 replicas per node */
    lp_deploy d = base_deploy("Qwen/Qwen3-32B", 16, 4);
    d.serving.data_parallel_size = 4;
    lp_args_opts o = {.node_rank = 1, .master_addr = "head.example"};
    int argc;
    char **argv = args_ok(&d, &o, &argc);
    check_serve_argv(argv, argc, d.model, 16);
    assert_string_equal(arg_value(argv, argc, "--data-parallel-size"), "4");
    assert_string_equal(arg_value(argv, argc, "--data-parallel-size-local"), "2");
    assert_string_equal(arg_value(argv, argc, "--data-parallel-start-rank"), "2");
    assert_string_equal(arg_value(argv, argc, "--data-parallel-address"), "head.example");
    assert_true(find_arg(argv, argc, "--headless") >= 0);
    lp_artifact_args_free(argv, argc);

    /* LWS workers share one template: the first DP rank is computed by sh from the worker
     * index ('$$' is Kubernetes' escape for a literal '$') */
    char *text = render(lp_artifact_k8s, &d);
    yn *docs[4];
    assert_int_equal(yaml_docs(text, docs, 4), 2);
    const yn *wc = yn_at(docs[0], "spec leaderWorkerTemplate workerTemplate spec containers 0");
    assert_string_equal(yn_str(wc, "command 0"), "sh");
    const char *script = yn_str(wc, "command 2");
    assert_non_null(strstr(script, "--data-parallel-start-rank $$((LWS_WORKER_INDEX * 2))"));
    assert_non_null(strstr(script, "--data-parallel-address $(LWS_LEADER_ADDRESS)"));
    assert_non_null(strstr(script, "--headless"));
    yn_free(docs[0]);
    yn_free(docs[1]);
    free(text);
}

static void test_default_name(void **state) {
    (void)state;
    char buf[64];
    assert_string_equal(
        lp_artifact_default_name("meta-llama/Llama-3.1-8B-Instruct", buf, sizeof buf),
        "llama-3-1-8b-instruct");
    assert_string_equal(lp_artifact_default_name("/models/7b model/", buf, sizeof buf),
                        "vllm-7b-model");
    assert_string_equal(lp_artifact_default_name("///", buf, sizeof buf), "vllm");
    lp_artifact_default_name("org/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                             buf, sizeof buf);
    assert_true(strlen(buf) <= 40);
}

/* ================================================================ scripts, run by sh */

static char g_tmp[256];

static void make_tmp(void) {
    assert_non_null(lp_test_make_temp_dir(g_tmp, sizeof g_tmp, "lp_art"));
}

static void rm_tmp(void) {
    assert_int_equal(lp_test_remove_tree(g_tmp), 0);
}

static void write_file(const char *path, const char *text, mode_t mode) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

/* Run `sh script` with stand-in vllm/ray/docker that print one argument per line; returns
 * the output split into lines (argv-like, malloc'd; free with free_lines). */
static char **run_script(const char *script_text, const char *env, int *n) {
    char path[512], out_path[512], cmd[2048];
    snprintf(path, sizeof path, "%s/script.sh", g_tmp);
    write_file(path, script_text, 0755);
    const char *fakes[] = {"vllm", "docker", "ray", "python3"};
    for (size_t i = 0; i < sizeof fakes / sizeof fakes[0]; i++) {
        char fake[512];
        snprintf(fake, sizeof fake, "%s/%s", g_tmp, fakes[i]);
        char body[128];
        snprintf(body, sizeof body, "#!/bin/sh\necho '<%s>'\nprintf '%%s\\n' \"$@\"\n", fakes[i]);
        write_file(fake, body, 0755);
    }
    snprintf(out_path, sizeof out_path, "%s/out.txt", g_tmp);
    snprintf(cmd, sizeof cmd, "cd '%s' && PATH='%s':\"$PATH\" %s sh script.sh > out.txt 2>&1",
             g_tmp, g_tmp, env ? env : "");
    int rc = system(cmd);
    char *out = lp_test_read_file(out_path, NULL);
    if (rc != 0)
        fail_msg("script failed (%d):\n%s\n--- script:\n%s", rc, out, script_text);
    int cap = 16;
    char **lines = calloc((size_t)cap, sizeof *lines);
    *n = 0;
    for (char *save = NULL, *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (*n + 1 >= cap) {
            cap *= 2;
            lines = realloc(lines, (size_t)cap * sizeof *lines);
        }
        lines[(*n)++] = strdup(l);
    }
    lines[*n] = NULL;
    free(out);
    return lines;
}

static void free_lines(char **lines, int n) {
    for (int i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

static void test_serve_script_quoting(void **state) {
    (void)state;
    make_tmp();
    /* a path with a space, a quote, and characters the shell would expand */
    lp_deploy d = base_deploy("/models/my model's $HOME `dir` *", 2, 2);
    d.served_model_name = "a;b|c&d";
    char *script = render(lp_artifact_vllm_serve, &d);
    int n;
    char **lines = run_script(script, NULL, &n);
    assert_string_equal(lines[0], "<vllm>");
    int argc;
    char **argv = args_ok(&d, NULL, &argc);
    /* the fake vllm prints its argv without argv[0] */
    assert_argv_equal(lines + 1, n - 1, argv + 1, argc - 1);
    lp_artifact_args_free(argv, argc);
    free_lines(lines, n);
    free(script);
    rm_tmp();
}

static void test_serve_script_multi_node(void **state) {
    (void)state;
    make_tmp();
    lp_deploy d = base_deploy("org/big model", 16, 8);
    d.serving.pipeline_parallel_size = 2;
    char *script = render(lp_artifact_vllm_serve, &d);
    for (int r = 0; r < 2; r++) {
        char env[128];
        snprintf(env, sizeof env, "NODE_RANK=%d MASTER_ADDR=10.1.2.3", r);
        int n;
        char **lines = run_script(script, env, &n);
        assert_string_equal(lines[0], "<vllm>");
        lp_args_opts o = {.node_rank = r, .master_addr = "10.1.2.3"};
        int argc;
        char **argv = args_ok(&d, &o, &argc);
        assert_argv_equal(lines + 1, n - 1, argv + 1, argc - 1);
        lp_artifact_args_free(argv, argc);
        free_lines(lines, n);
    }
    /* NODE_RANK missing: the script refuses */
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && env -u NODE_RANK MASTER_ADDR=x sh script.sh >/dev/null 2>&1", g_tmp);
    assert_int_not_equal(system(cmd), 0);
    free(script);

    /* Ray: the head starts Ray, waits, then serves with the Ray executor; workers join */
    d.multi_node_ray = true;
    script = render(lp_artifact_vllm_serve, &d);
    int n;
    char **lines = run_script(script, "NODE_RANK=0 MASTER_ADDR=10.1.2.3", &n);
    assert_string_equal(lines[0], "<ray>");
    assert_string_equal(lines[1], "start");
    assert_string_equal(lines[2], "--head");
    int v = -1;
    for (int i = 0; i < n; i++)
        if (strcmp(lines[i], "<vllm>") == 0)
            v = i;
    assert_true(v > 0);
    argv_summary s = check_flags(lines, n, v + 3);
    assert_int_equal(s.tp * s.pp * s.dp, 16);
    free_lines(lines, n);
    lines = run_script(script, "NODE_RANK=1 MASTER_ADDR=10.1.2.3", &n);
    assert_string_equal(lines[0], "<ray>");
    assert_string_equal(lines[2], "--address=10.1.2.3:6379");
    free_lines(lines, n);
    free(script);
    rm_tmp();
}

static void test_docker_run(void **state) {
    (void)state;
    make_tmp();
    lp_deploy d = base_deploy("/models/my model", 2, 2);
    char *script = render(lp_artifact_docker_run, &d);
    int n;
    char **lines = run_script(script, NULL, &n);
    assert_string_equal(lines[0], "<docker>");
    assert_string_equal(lines[1], "run");
    int img = -1;
    bool gpus = false, ipc = false, port = false, hf = false, cache = false;
    for (int i = 1; i < n; i++) {
        if (strcmp(lines[i], "vllm/vllm-openai:latest") == 0 && img < 0)
            img = i;
        if (img >= 0)
            continue;
        gpus |= strcmp(lines[i], "--gpus") == 0 && strcmp(lines[i + 1], "\"device=0,1\"") == 0;
        ipc |= strcmp(lines[i], "--ipc=host") == 0;
        port |= strcmp(lines[i], "-p") == 0 && strcmp(lines[i + 1], "8000:8000") == 0;
        hf |= strcmp(lines[i], "-e") == 0 && strcmp(lines[i + 1], "HF_TOKEN") == 0;
        cache |= strstr(lines[i], "/.cache/huggingface:/root/.cache/huggingface") != NULL;
    }
    assert_true(img > 0);
    assert_true(gpus && ipc && port && hf && cache);
    /* after the image: exactly the container-form vLLM arguments */
    lp_args_opts o = {.form = LP_ARGS_CONTAINER};
    int argc;
    char **argv = args_ok(&d, &o, &argc);
    assert_argv_equal(lines + img + 1, n - img - 1, argv, argc);
    lp_artifact_args_free(argv, argc);
    free_lines(lines, n);
    free(script);

    /* a whole node: --gpus all */
    d = base_deploy("m", 8, 8);
    script = render(lp_artifact_docker_run, &d);
    assert_non_null(strstr(script, "--gpus all"));
    free(script);
    rm_tmp();
}

/* ================================================================ YAML outputs */

static void check_shm(const yn *pod_spec, const yn *container) {
    const yn *vols = yn_at(pod_spec, "volumes");
    bool vol = false;
    for (int i = 0; i < vols->n; i++)
        if (strcmp(yn_str(vols->items[i], "name"), "dshm") == 0) {
            assert_string_equal(yn_str(vols->items[i], "emptyDir medium"), "Memory");
            vol = true;
        }
    assert_true(vol);
    const yn *mounts = yn_at(container, "volumeMounts");
    bool mnt = false;
    for (int i = 0; i < mounts->n; i++)
        mnt |= strcmp(yn_str(mounts->items[i], "name"), "dshm") == 0 &&
               strcmp(yn_str(mounts->items[i], "mountPath"), "/dev/shm") == 0;
    assert_true(mnt);
}

static void check_probe(const yn *container, const char *probe, int port) {
    char path[64];
    snprintf(path, sizeof path, "%s httpGet path", probe);
    assert_string_equal(yn_str(container, path), "/health");
    snprintf(path, sizeof path, "%s httpGet port", probe);
    assert_int_equal(atoi(yn_str(container, path)), port);
}

static void check_hf_env(const yn *container) {
    const yn *env = yn_at(container, "env");
    bool found = false;
    for (int i = 0; i < env->n; i++)
        if (strcmp(yn_str(env->items[i], "name"), "HF_TOKEN") == 0) {
            assert_non_null(yn_at(env->items[i], "valueFrom secretKeyRef name"));
            assert_string_equal(yn_str(env->items[i], "valueFrom secretKeyRef optional"), "true");
            found = true;
        }
    assert_true(found);
}

static void test_compose(void **state) {
    (void)state;
    lp_deploy d = base_deploy("meta-llama/Llama-3.1-8B-Instruct", 2, 2);
    d.serving.max_model_len = 8192;
    char *text = render(lp_artifact_compose, &d);
    yn *docs[4];
    assert_int_equal(yaml_docs(text, docs, 4), 1);
    const yn *svc = yn_at(docs[0], "services llama-3-1-8b-instruct");
    assert_string_equal(yn_str(svc, "image"), "vllm/vllm-openai:latest");
    assert_string_equal(yn_str(svc, "ipc"), "host");
    assert_string_equal(yn_str(svc, "ports 0"), "8000:8000");
    assert_false(yn_at(svc, "ports 0")->plain); /* 8000:8000 is a YAML 1.1 integer when plain */
    assert_non_null(strstr(yn_str(svc, "volumes 0"), ":/root/.cache/huggingface"));
    assert_string_equal(yn_str(svc, "environment 0"), "HF_TOKEN");
    const yn *dev = yn_at(svc, "deploy resources reservations devices 0");
    assert_string_equal(yn_str(dev, "driver"), "nvidia");
    assert_string_equal(yn_str(dev, "count"), "2");
    assert_true(yn_at(dev, "count")->plain); /* an integer */
    assert_string_equal(yn_str(dev, "capabilities 0"), "gpu");
    int cargc, argc;
    char **cargv = yn_argv(yn_at(svc, "command"), &cargc);
    lp_args_opts o = {.form = LP_ARGS_CONTAINER};
    char **argv = args_ok(&d, &o, &argc);
    assert_argv_equal(cargv, cargc, argv, argc);
    argv_summary s = check_flags(cargv, cargc, 2);
    assert_int_equal(s.tp * s.pp * s.dp, 2);
    lp_artifact_args_free(argv, argc);
    free(cargv);
    yn_free(docs[0]);
    free(text);

    /* multi-node: one service per node, host networking, the head's address interpolated */
    d = base_deploy("org/m", 16, 8);
    d.serving.pipeline_parallel_size = 2;
    text = render(lp_artifact_compose, &d);
    assert_int_equal(yaml_docs(text, docs, 4), 1);
    for (int r = 0; r < 2; r++) {
        char path[64];
        snprintf(path, sizeof path, "services m-node%d", r);
        svc = yn_at(docs[0], path);
        assert_string_equal(yn_str(svc, "network_mode"), "host");
        char **v = yn_argv(yn_at(svc, "command"), &cargc);
        char rank[8];
        snprintf(rank, sizeof rank, "%d", r);
        assert_string_equal(arg_value(v, cargc, "--node-rank"), rank);
        assert_string_equal(arg_value(v, cargc, "--nnodes"), "2");
        assert_non_null(strstr(arg_value(v, cargc, "--master-addr"), "${MASTER_ADDR"));
        assert_int_equal(find_arg(v, cargc, "--headless") >= 0, r > 0);
        free(v);
    }
    yn_free(docs[0]);
    free(text);
}

static void test_k8s_single_node(void **state) {
    (void)state;
    lp_deploy d = base_deploy("meta-llama/Llama-3.1-70B-Instruct", 4, 4);
    d.serving.kv_cache_dtype = LP_DTYPE_FP8;
    char *text = render(lp_artifact_k8s, &d);
    yn *docs[4];
    assert_int_equal(yaml_docs(text, docs, 4), 2);
    const yn *dep = docs[0];
    assert_string_equal(yn_str(dep, "apiVersion"), "apps/v1");
    assert_string_equal(yn_str(dep, "kind"), "Deployment");
    const yn *pod = yn_at(dep, "spec template spec");
    const yn *c = yn_at(pod, "containers 0");
    assert_true(strncmp(yn_str(c, "image"), "vllm/vllm-openai", 16) == 0);
    assert_string_equal(yn_str(c, "resources limits nvidia.com/gpu"), "4");
    check_probe(c, "readinessProbe", 8000);
    check_probe(c, "livenessProbe", 8000);
    assert_true(atoi(yn_str(c, "readinessProbe initialDelaySeconds")) >= 30);
    check_shm(pod, c);
    check_hf_env(c);
    assert_string_equal(yn_str(pod, "affinity nodeAffinity "
                                    "preferredDuringSchedulingIgnoredDuringExecution 0 preference "
                                    "matchExpressions 0 key"),
                        "nvidia.com/gpu.product");
    assert_string_equal(yn_str(pod, "affinity nodeAffinity "
                                    "preferredDuringSchedulingIgnoredDuringExecution 0 preference "
                                    "matchExpressions 0 values 0"),
                        "NVIDIA-H100-80GB-HBM3");
    /* args: the container form, strings only */
    int kargc, argc;
    char **kargv = yn_argv(yn_at(c, "args"), &kargc);
    lp_args_opts o = {.form = LP_ARGS_CONTAINER};
    char **argv = args_ok(&d, &o, &argc);
    assert_argv_equal(kargv, kargc, argv, argc);
    argv_summary s = check_flags(kargv, kargc, 2);
    assert_int_equal(s.tp * s.pp * s.dp, 4);
    assert_string_equal(arg_value(kargv, kargc, "--kv-cache-dtype"), "fp8");
    lp_artifact_args_free(argv, argc);
    free(kargv);

    const yn *svc = docs[1];
    assert_string_equal(yn_str(svc, "kind"), "Service");
    assert_string_equal(yn_str(svc, "spec type"), "ClusterIP");
    assert_string_equal(yn_str(svc, "spec ports 0 port"), "8000");
    assert_string_equal(yn_str(svc, "spec selector app"), yn_str(dep, "metadata name"));
    yn_free(docs[0]);
    yn_free(docs[1]);
    free(text);

    /* AMD: amd.com/gpu, ROCm image without a vLLM entrypoint, no NVIDIA product affinity */
    d = base_deploy("m", 8, 8);
    d.gpu = gpu("MI300X");
    text = render(lp_artifact_k8s, &d);
    assert_int_equal(yaml_docs(text, docs, 4), 2);
    c = yn_at(docs[0], "spec template spec containers 0");
    assert_string_equal(yn_str(c, "resources limits amd.com/gpu"), "8");
    assert_string_equal(yn_str(c, "command 0"), "vllm");
    assert_string_equal(yn_str(c, "command 1"), "serve");
    assert_null(yn_key(yn_at(docs[0], "spec template spec"), "affinity"));
    yn_free(docs[0]);
    yn_free(docs[1]);
    free(text);
}

static void test_k8s_lws_multi_node(void **state) {
    (void)state;
    lp_deploy d = base_deploy("meta-llama/Llama-3.1-405B-Instruct", 16, 8);
    d.serving.pipeline_parallel_size = 2;
    char *text = render(lp_artifact_k8s, &d);
    yn *docs[4];
    assert_int_equal(yaml_docs(text, docs, 4), 2);
    const yn *lws = docs[0];
    assert_string_equal(yn_str(lws, "apiVersion"), "leaderworkerset.x-k8s.io/v1");
    assert_string_equal(yn_str(lws, "kind"), "LeaderWorkerSet");
    const yn *t = yn_at(lws, "spec leaderWorkerTemplate");
    assert_string_equal(yn_str(t, "size"), "2");
    const char *roles[] = {"leaderTemplate", "workerTemplate"};
    for (int r = 0; r < 2; r++) {
        const yn *pod = yn_at(yn_at(t, roles[r]), "spec");
        const yn *c = yn_at(pod, "containers 0");
        assert_string_equal(yn_str(c, "resources limits nvidia.com/gpu"), "8");
        check_shm(pod, c);
        check_hf_env(c);
        assert_string_equal(yn_str(c, "command 0"), "vllm");
        assert_string_equal(yn_str(c, "command 1"), "serve");
        int argc;
        char **argv = yn_argv(yn_at(c, "args"), &argc);
        assert_string_equal(argv[0], d.model);
        argv_summary s = check_flags(argv, argc, 1);
        assert_int_equal(s.tp * s.pp * s.dp, 16);
        assert_string_equal(arg_value(argv, argc, "--nnodes"), "2");
        assert_string_equal(arg_value(argv, argc, "--master-addr"), "$(LWS_LEADER_ADDRESS)");
        assert_string_equal(arg_value(argv, argc, "--node-rank"),
                            r == 0 ? "0" : "$(LWS_WORKER_INDEX)");
        assert_int_equal(find_arg(argv, argc, "--headless") >= 0, r == 1);
        if (r == 0)
            check_probe(c, "readinessProbe", 8000);
        else
            assert_null(yn_key(c, "readinessProbe"));
        free(argv);
    }
    assert_string_equal(yn_str(docs[1], "kind"), "Service");
    assert_string_equal(yn_str(docs[1], "spec selector role"), "leader");
    assert_string_equal(yn_str(docs[1], "spec selector leaderworkerset.sigs.k8s.io/name"),
                        yn_str(lws, "metadata name"));
    yn_free(docs[0]);
    yn_free(docs[1]);
    free(text);

    /* Ray: the leader starts the head and serves with the Ray executor, workers join */
    d.multi_node_ray = true;
    text = render(lp_artifact_k8s, &d);
    assert_int_equal(yaml_docs(text, docs, 4), 2);
    const char *leader = yn_str(docs[0], "spec leaderWorkerTemplate leaderTemplate spec "
                                         "containers 0 command 2");
    assert_non_null(strstr(leader, "ray start --head"));
    assert_non_null(strstr(leader, "--distributed-executor-backend ray"));
    assert_null(strstr(leader, "--nnodes"));
    const yn *wc = yn_at(docs[0], "spec leaderWorkerTemplate workerTemplate spec containers 0");
    assert_string_equal(yn_str(wc, "command 0"), "ray");
    assert_string_equal(yn_str(wc, "command 2"), "--address=$(LWS_LEADER_ADDRESS):6379");
    yn_free(docs[0]);
    yn_free(docs[1]);
    free(text);
}

static void test_yaml_quoting(void **state) {
    (void)state;
    /* ':' and '#' need YAML quoting; '$' must survive Compose and Kubernetes expansion */
    lp_deploy d = base_deploy("org/model: #1 'x' \"y\" $(HOME) ${USER}", 1, 1);
    d.served_model_name = "my-model:v1 #prod";
    const char *want_model_escaped = "org/model: #1 'x' \"y\" $$(HOME) $${USER}";
    render_fn fns[] = {lp_artifact_compose, lp_artifact_k8s};
    for (int k = 0; k < 2; k++) {
        char *text = render(fns[k], &d);
        yn *docs[4];
        int nd = yaml_docs(text, docs, 4);
        assert_true(nd >= 1);
        const yn *seq = k == 0 ? yn_at(docs[0], "services") : NULL;
        if (k == 0)
            seq = yn_at(seq->items[1], "command");
        else
            seq = yn_at(docs[0], "spec template spec containers 0 args");
        int argc;
        char **argv = yn_argv(seq, &argc);
        assert_string_equal(arg_value(argv, argc, "--served-model-name"), "my-model:v1 #prod");
        assert_string_equal(arg_value(argv, argc, "--model"), want_model_escaped);
        free(argv);
        for (int i = 0; i < nd; i++)
            yn_free(docs[i]);
        free(text);
    }
}

/* ================================================================ writing a directory */

static bool file_exists(const char *dir, const char *name, bool exec) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0)
        return false;
    return !exec || (sb.st_mode & S_IXUSR);
}

static void test_write(void **state) {
    (void)state;
    make_tmp();
    lp_deploy d = base_deploy("meta-llama/Llama-3.1-8B-Instruct", 1, 1);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/out/nested", g_tmp);
    lp_error err;
    lp_status st = lp_artifact_write(&d, "vllm,docker,compose,k8s", dir, false, &err);
    if (st != LP_OK)
        fail_msg("lp_artifact_write: %s", err.message);
    assert_true(file_exists(dir, "serve.sh", true));
    assert_true(file_exists(dir, "docker-run.sh", true));
    assert_true(file_exists(dir, "docker-compose.yaml", false));
    assert_true(file_exists(dir, "k8s.yaml", false));

    /* unknown kind: an error naming it, nothing written */
    char dir2[512];
    snprintf(dir2, sizeof dir2, "%s/other", g_tmp);
    assert_int_equal(lp_artifact_write(&d, "vllm,helm", dir2, false, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "helm"));
    struct stat sb;
    assert_int_not_equal(stat(dir2, &sb), 0);
    assert_int_equal(lp_artifact_write(&d, "", dir2, false, &err), LP_ERR_INVALID_ARG);

    /* a subset, and an output path that is a file */
    assert_int_equal(lp_artifact_write(&d, "k8s", dir2, false, &err), LP_OK);
    assert_true(file_exists(dir2, "k8s.yaml", false));
    assert_false(file_exists(dir2, "serve.sh", false));
    char file_path[600];
    snprintf(file_path, sizeof file_path, "%s/k8s.yaml", dir2);
    assert_int_equal(lp_artifact_write(&d, "all", file_path, false, &err), LP_ERR_IO);
    assert_non_null(strstr(err.message, "k8s.yaml"));

    /* no container recipe for Gaudi: refused before anything is written; serve.sh alone is fine */
    d.gpu = gpu("Gaudi 2");
    char dir3[512];
    snprintf(dir3, sizeof dir3, "%s/gaudi", g_tmp);
    assert_int_equal(lp_artifact_write(&d, "all", dir3, false, &err), LP_ERR_UNSUPPORTED);
    assert_int_not_equal(stat(dir3, &sb), 0);
    assert_int_equal(lp_artifact_write(&d, "vllm", dir3, false, &err), LP_OK);
    assert_true(file_exists(dir3, "serve.sh", true));
    /* each container writer refuses on its own and says which artifact it is */
    FILE *sink = tmpfile();
    assert_non_null(sink);
    assert_int_equal(lp_artifact_compose(&d, sink, &err), LP_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "container artifacts for Intel"));
    assert_int_equal(lp_artifact_k8s(&d, sink, &err), LP_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "Kubernetes artifacts for Intel"));
    assert_non_null(strstr(err.message, "(NVIDIA and AMD only)"));
    assert_int_equal(ftell(sink), 0);
    fclose(sink);
    rm_tmp();
}

/* ================================================================ disaggregated prefill/decode */

/* 2P1D of Llama-3.1-70B: prefill instances of TP 2, decode instances of TP 4. GPUs counted by
 * hand: 2 x 2 + 1 x 4 = 8. */
static lp_deploy disagg_deploy(lp_kv_connector c) {
    lp_deploy d = base_deploy("meta-llama/Llama-3.1-70B-Instruct", 8, 4);
    lp_disaggregation *g = &d.serving.disaggregation;
    g->prefill_instances = 2;
    g->decode_instances = 1;
    g->prefill_tensor_parallel_size = 2;
    g->decode_tensor_parallel_size = 4;
    g->kv_connector = c;
    return d;
}

/* The --kv-transfer-config of an argv, parsed: its kv_connector and kv_role. */
static void check_kv_transfer(char **argv, int argc, const char *connector, const char *role) {
    const char *v = arg_value(argv, argc, "--kv-transfer-config");
    if (!v)
        fail_msg("no --kv-transfer-config");
    json_error_t je;
    json_t *o = json_loads(v, 0, &je);
    if (!o)
        fail_msg("--kv-transfer-config is not JSON: %s (%s)", v, je.text);
    assert_string_equal(json_string_value(json_object_get(o, "kv_connector")), connector);
    assert_string_equal(json_string_value(json_object_get(o, "kv_role")), role);
    json_decref(o);
}

static void test_disagg_serve_script(void **state) {
    (void)state;
    make_tmp();
    lp_deploy d = disagg_deploy(LP_KV_CONNECTOR_NIXL);
    char *script = render(lp_artifact_vllm_serve, &d);
    /* vLLM's NIXL guide starts both sides with kv_role "kv_both" and notes that NixlConnector
     * does not distinguish kv_role (docs/features/nixl_connector_usage.md, "KV Role Options"). */
    const char *roles[] = {"ROLE=prefill", "ROLE=decode"};
    const int tp[] = {2, 4};
    for (int r = 0; r < 2; r++) {
        int n;
        char **lines = run_script(script, roles[r], &n);
        assert_string_equal(lines[0], "<vllm>");
        /* the fake vllm prints its argv without argv[0] */
        char **argv = calloc((size_t)n + 2, sizeof *argv);
        argv[0] = "vllm";
        for (int i = 1; i < n; i++)
            argv[i] = lines[i];
        check_serve_argv(argv, n, d.model, tp[r]);
        check_kv_transfer(argv, n, "NixlConnector", "kv_both");
        /* the two roles on different ports, as the guide's same-host example (8100, 8200) */
        assert_string_equal(arg_value(argv, n, "--port"), r == 0 ? "8100" : "8200");
        free(argv);
        free_lines(lines, n);
    }
    /* NIXL's handshake port per role and UCX's devices (the guide's environment) */
    assert_non_null(strstr(script, "VLLM_NIXL_SIDE_CHANNEL_PORT:-5600"));
    assert_non_null(strstr(script, "VLLM_NIXL_SIDE_CHANNEL_PORT:-5601"));
    assert_non_null(strstr(script, "UCX_NET_DEVICES"));
    assert_non_null(strstr(script, "toy_proxy_server.py"));
    free(script);

    /* MooncakeConnector: kv_producer on the prefiller, kv_consumer on the decoder
     * (docs/features/mooncake_connector_usage.md, "Usage") */
    d = disagg_deploy(LP_KV_CONNECTOR_MOONCAKE);
    lp_deploy role;
    lp_error err;
    const lp_deploy_role which[] = {LP_DEPLOY_PREFILL, LP_DEPLOY_DECODE};
    const char *kv_roles[] = {"kv_producer", "kv_consumer"};
    for (int r = 0; r < 2; r++) {
        assert_int_equal(lp_artifact_role_deploy(&d, which[r], &role, &err), LP_OK);
        assert_int_equal(role.num_gpus, tp[r]);
        int argc;
        char **argv = args_ok(&role, NULL, &argc);
        check_serve_argv(argv, argc, d.model, tp[r]);
        check_kv_transfer(argv, argc, "MooncakeConnector", kv_roles[r]);
        lp_artifact_args_free(argv, argc);
    }
    /* the whole deployment has no single command line */
    assert_int_equal(args_status(&d, NULL, &err), LP_ERR_INVALID_ARG);
    char *lines = lp_artifact_vllm_serve_line(&d, &err);
    assert_non_null(lines);
    assert_non_null(strchr(lines, '\n'));
    free(lines);
    rm_tmp();
}

/* The env entry named name of a container (NULL when absent). */
static const yn *env_entry(const yn *container, const char *name) {
    const yn *env = yn_at(container, "env");
    for (int i = 0; i < env->n; i++)
        if (strcmp(yn_str(env->items[i], "name"), name) == 0)
            return env->items[i];
    return NULL;
}

static void check_nixl_env(const yn *c) {
    /* NIXL's handshake address is the pod's own IP, which the other pool reaches */
    const yn *host = env_entry(c, "VLLM_NIXL_SIDE_CHANNEL_HOST");
    assert_non_null(host);
    assert_string_equal(yn_str(host, "valueFrom fieldRef fieldPath"), "status.podIP");
    const yn *port = env_entry(c, "VLLM_NIXL_SIDE_CHANNEL_PORT");
    assert_non_null(port);
    assert_string_equal(yn_str(port, "value"), "5600"); /* the guide's default */
    assert_non_null(env_entry(c, "UCX_NET_DEVICES"));
    check_hf_env(c);
}

static void test_disagg_k8s(void **state) {
    (void)state;
    lp_deploy d = disagg_deploy(LP_KV_CONNECTOR_NIXL);
    char *text = render(lp_artifact_k8s, &d);
    yn *docs[8];
    /* prefill Deployment + Service, decode Deployment + the entry Service */
    assert_int_equal(yaml_docs(text, docs, 8), 4);
    const yn *pre = docs[0], *pre_svc = docs[1], *dec = docs[2], *entry = docs[3];
    assert_string_equal(yn_str(pre, "kind"), "Deployment");
    assert_string_equal(yn_str(dec, "kind"), "Deployment");
    assert_string_equal(yn_str(pre_svc, "kind"), "Service");
    assert_string_equal(yn_str(entry, "kind"), "Service");
    /* x = 2 prefill replicas of 2 GPUs, y = 1 decode replica of 4: 2 x 2 + 1 x 4 = 8 GPUs */
    assert_string_equal(yn_str(pre, "spec replicas"), "2");
    assert_string_equal(yn_str(dec, "spec replicas"), "1");
    const yn *pc = yn_at(pre, "spec template spec containers 0");
    const yn *dc = yn_at(dec, "spec template spec containers 0");
    assert_string_equal(yn_str(pc, "resources limits nvidia.com/gpu"), "2");
    assert_string_equal(yn_str(dc, "resources limits nvidia.com/gpu"), "4");
    assert_string_equal(yn_str(pre, "spec template metadata labels llm-d.ai/role"), "prefill");
    assert_string_equal(yn_str(dec, "spec template metadata labels llm-d.ai/role"), "decode");
    const yn *cs[2] = {pc, dc};
    const int tp[2] = {2, 4};
    for (int r = 0; r < 2; r++) {
        int argc;
        char **argv = yn_argv(yn_at(cs[r], "args"), &argc);
        argv_summary s = check_flags(argv, argc, 2);
        assert_int_equal(s.tp * s.pp * s.dp, tp[r]);
        check_kv_transfer(argv, argc, "NixlConnector", "kv_both");
        /* prefill serves its API on 8000; decode's vLLM sits behind the sidecar on 8200 */
        assert_string_equal(arg_value(argv, argc, "--port"), r == 0 ? "8000" : "8200");
        free(argv);
        check_nixl_env(cs[r]);
    }
    check_probe(dc, "readinessProbe", 8200);
    /* llm-d's routing sidecar in front of decode only: a native sidecar (restartPolicy
     * Always) on the API port forwarding to vLLM on 8200 with the NIXL v2 protocol
     * (llm-d-routing-sidecar, cmd/llm-d-routing-sidecar/main.go flags) */
    assert_null(yn_key(yn_at(pre, "spec template spec"), "initContainers"));
    const yn *side = yn_at(dec, "spec template spec initContainers 0");
    assert_non_null(strstr(yn_str(side, "image"), "llm-d-routing-sidecar"));
    assert_string_equal(yn_str(side, "restartPolicy"), "Always");
    int sargc;
    char **sargv = yn_argv(yn_at(side, "args"), &sargc);
    assert_true(find_arg(sargv, sargc, "--port=8000") >= 0);
    assert_true(find_arg(sargv, sargc, "--vllm-port=8200") >= 0);
    assert_true(find_arg(sargv, sargc, "--connector=nixlv2") >= 0);
    free(sargv);
    /* Services: the prefill pool's, and the entry on the decode pods' sidecar port */
    assert_string_equal(yn_str(pre_svc, "spec selector app"), yn_str(pre, "metadata name"));
    assert_string_equal(yn_str(pre_svc, "spec ports 0 port"), "8000");
    assert_string_equal(yn_str(entry, "spec selector app"), yn_str(dec, "metadata name"));
    assert_string_equal(yn_str(entry, "spec ports 0 port"), "8000");
    assert_string_equal(yn_str(entry, "metadata name"), "llama-3-1-70b-instruct");
    assert_string_equal(yn_str(pre, "metadata name"), "llama-3-1-70b-instruct-prefill");
    /* the header names the prefill Service for the sidecar */
    assert_non_null(strstr(text, "x-prefiller-host-port: llama-3-1-70b-instruct-prefill:8000"));
    for (int i = 0; i < 4; i++)
        yn_free(docs[i]);
    free(text);

    /* 1P2D where a decode instance spans two nodes (TP 16 over nodes of 8): the decode pool is
     * a LeaderWorkerSet of size 2 with 2 replicas, the sidecar in the leader only. GPUs by
     * hand: 1 x 8 + 2 x 16 = 40. */
    d = disagg_deploy(LP_KV_CONNECTOR_NIXL);
    d.num_gpus = 40;
    d.serving.disaggregation.prefill_instances = 1;
    d.serving.disaggregation.decode_instances = 2;
    d.serving.disaggregation.prefill_tensor_parallel_size = 8;
    d.serving.disaggregation.decode_tensor_parallel_size = 16;
    text = render(lp_artifact_k8s, &d);
    assert_int_equal(yaml_docs(text, docs, 8), 4);
    assert_string_equal(yn_str(docs[0], "kind"), "Deployment");
    assert_string_equal(yn_str(docs[0], "spec replicas"), "1");
    const yn *lws = docs[2];
    assert_string_equal(yn_str(lws, "kind"), "LeaderWorkerSet");
    assert_string_equal(yn_str(lws, "spec replicas"), "2");
    assert_string_equal(yn_str(lws, "spec leaderWorkerTemplate size"), "2");
    const yn *lt = yn_at(lws, "spec leaderWorkerTemplate leaderTemplate spec");
    const yn *wt = yn_at(lws, "spec leaderWorkerTemplate workerTemplate spec");
    assert_string_equal(yn_str(lt, "containers 0 resources limits nvidia.com/gpu"), "8");
    assert_non_null(yn_key(lt, "initContainers"));
    assert_null(yn_key(wt, "initContainers"));
    assert_string_equal(yn_str(docs[3], "spec selector role"), "leader");
    assert_string_equal(yn_str(docs[3], "spec ports 0 port"), "8000");
    for (int i = 0; i < 4; i++)
        yn_free(docs[i]);
    free(text);
}

static void test_disagg_refused(void **state) {
    (void)state;
    lp_deploy d = disagg_deploy(LP_KV_CONNECTOR_NIXL);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    lp_error err;
    /* no single container or compose service runs two pools */
    assert_int_equal(lp_artifact_docker_run(&d, f, &err), LP_ERR_UNSUPPORTED);
    assert_int_equal(lp_artifact_compose(&d, f, &err), LP_ERR_UNSUPPORTED);
    /* GPUs that do not add up: 2 x 2 + 1 x 4 = 8, not 6 */
    d.num_gpus = 6;
    assert_int_equal(lp_artifact_vllm_serve(&d, f, &err), LP_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "8"));
    /* P2pNcclConnector's proxy is a script of vLLM's tree: no Kubernetes layout */
    d = disagg_deploy(LP_KV_CONNECTOR_NCCL);
    assert_int_equal(lp_artifact_k8s(&d, f, &err), LP_ERR_UNSUPPORTED);
    fclose(f);
    free(buf);

    /* "all" writes the two files a disaggregated deployment has; docker alone is refused */
    make_tmp();
    char dir[512];
    snprintf(dir, sizeof dir, "%s/out", g_tmp);
    d = disagg_deploy(LP_KV_CONNECTOR_NIXL);
    assert_int_equal(lp_artifact_write(&d, "all", dir, false, &err), LP_OK);
    assert_true(file_exists(dir, "serve.sh", true));
    assert_true(file_exists(dir, "k8s.yaml", false));
    assert_false(file_exists(dir, "docker-run.sh", false));
    assert_false(file_exists(dir, "docker-compose.yaml", false));
    snprintf(dir, sizeof dir, "%s/out2", g_tmp);
    assert_int_equal(lp_artifact_write(&d, "docker", dir, false, &err), LP_ERR_UNSUPPORTED);
    rm_tmp();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_args_single_node),
        cmocka_unit_test(test_args_every_setting),
        cmocka_unit_test(test_args_invalid),
        cmocka_unit_test(test_args_multi_node_mp),
        cmocka_unit_test(test_args_multi_node_ray),
        cmocka_unit_test(test_args_multi_node_dp),
        cmocka_unit_test(test_default_name),
        cmocka_unit_test(test_serve_script_quoting),
        cmocka_unit_test(test_serve_script_multi_node),
        cmocka_unit_test(test_docker_run),
        cmocka_unit_test(test_compose),
        cmocka_unit_test(test_k8s_single_node),
        cmocka_unit_test(test_k8s_lws_multi_node),
        cmocka_unit_test(test_yaml_quoting),
        cmocka_unit_test(test_write),
        cmocka_unit_test(test_disagg_serve_script),
        cmocka_unit_test(test_disagg_k8s),
        cmocka_unit_test(test_disagg_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
