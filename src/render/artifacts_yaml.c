/*
 * artifacts_yaml.c - docker-compose.yaml and Kubernetes manifests, written with libyaml's
 * emitter: the library decides quoting and escaping, so a served model name with ':' or '#'
 * stays one string. This file only adds what the YAML schema cannot see: strings that would
 * read back as numbers, booleans or null ("8000:8000" is a sexagesimal integer in YAML 1.1,
 * "2" an integer) are emitted quoted, because Compose and Kubernetes want strings there.
 *
 * Two expansion languages sit on top of YAML and are handled here too: Compose interpolates
 * "${VAR}" everywhere, Kubernetes expands "$(VAR)" in command/args; user values get every '$'
 * doubled so they reach vLLM unchanged. The shapes follow vLLM's docs: docs/deployment/docker.md
 * (compose GPU reservation as Docker documents it), docs/deployment/k8s.md (Deployment, /health
 * probes, /dev/shm emptyDir) and docs/deployment/frameworks/lws.md (LeaderWorkerSet).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "llmplan/artifacts.h"
#include "render/artifacts_internal.h"

/* Readiness starts after weights could plausibly load; the startup probe allows an hour
 * (360 x 10 s) for downloads of large checkpoints before liveness takes over. */
#define PROBE_READY_DELAY_S 60
#define PROBE_PERIOD_S 10
#define PROBE_STARTUP_FAILURES 360
#define PROBE_LIVE_DELAY_S 600
#define PROBE_LIVE_PERIOD_S 30
#define PROBE_LIVE_FAILURES 5
/* /dev/shm for NCCL and the mp executor's shared-memory queues (vLLM's LWS example: 15Gi). */
#define SHM_SIZE_LIMIT "16Gi"

typedef struct {
    yaml_emitter_t em;
    bool failed;
    bool oom;
} yw;

static void emit(yw *w, yaml_event_t *ev, int init_ok) {
    if (w->failed || w->oom)
        return;
    if (!init_ok) {
        w->oom = true;
        return;
    }
    if (!yaml_emitter_emit(&w->em, ev))
        w->failed = true;
}

/* Would a plain scalar with this text resolve to something other than a string (YAML 1.1 or
 * 1.2 core schema: numbers incl. sexagesimal, booleans, null, merge/value keys)? */
static bool non_string_plain(const char *s) {
    static const char *const words[] = {"y",    "n", "yes", "no", "on",   "off",   "true",  "false",
                                        "null", "~", "=",   "<<", ".inf", "-.inf", "+.inf", ".nan"};
    if (!*s)
        return true;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcasecmp(s, words[i]) == 0)
            return true;
    const char *p = s;
    if (*p == '+' || *p == '-' || *p == '.')
        p++;
    return (*p >= '0' && *p <= '9') || (*s == '.' && *p == '\0');
}

static void ys(yw *w, const char *text) {
    yaml_event_t ev;
    int plain_ok = !non_string_plain(text);
    int ok = yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)(uintptr_t)text,
                                          (int)strlen(text), plain_ok, 1, YAML_ANY_SCALAR_STYLE);
    emit(w, &ev, ok);
}

/* A string that must stay a string even where the schema would read a number. */
static void ys_escaped(yw *w, const char *text) {
    art_buf b = {0};
    art_buf_dollar_escape(&b, text);
    if (b.oom)
        w->oom = true;
    else
        ys(w, b.s ? b.s : "");
    art_buf_free(&b);
}

static void yint(yw *w, long long v) {
    char num[32];
    snprintf(num, sizeof num, "%lld", v);
    yaml_event_t ev;
    int ok = yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)num, (int)strlen(num), 1,
                                          0, YAML_PLAIN_SCALAR_STYLE);
    emit(w, &ev, ok);
}

static void ybool(yw *w, bool v) {
    const char *t = v ? "true" : "false";
    yaml_event_t ev;
    int ok = yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)(uintptr_t)t,
                                          (int)strlen(t), 1, 0, YAML_PLAIN_SCALAR_STYLE);
    emit(w, &ev, ok);
}

static void map_begin(yw *w) {
    yaml_event_t ev;
    emit(w, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
}

static void map_end(yw *w) {
    yaml_event_t ev;
    emit(w, &ev, yaml_mapping_end_event_initialize(&ev));
}

static void seq_begin(yw *w, bool flow) {
    yaml_event_t ev;
    emit(w, &ev,
         yaml_sequence_start_event_initialize(
             &ev, NULL, NULL, 1, flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE));
}

static void seq_end(yw *w) {
    yaml_event_t ev;
    emit(w, &ev, yaml_sequence_end_event_initialize(&ev));
}

/* key: [shell, -c, script] (a flow-less sequence); frees script. */
static void sh_c_seq(yw *w, const char *key, const char *shell, art_buf *script) {
    ys(w, key);
    seq_begin(w, false);
    ys(w, shell);
    ys(w, "-c");
    if (script->oom)
        w->oom = true;
    else
        ys(w, script->s);
    seq_end(w);
    art_buf_free(script);
}

static void kv(yw *w, const char *key, const char *value) {
    ys(w, key);
    ys(w, value);
}

static void kvi(yw *w, const char *key, long long value) {
    ys(w, key);
    yint(w, value);
}

static void doc_begin(yw *w) {
    yaml_event_t ev;
    emit(w, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
}

static void doc_end(yw *w) {
    yaml_event_t ev;
    emit(w, &ev, yaml_document_end_event_initialize(&ev, 1));
}

/* Header comment lines (libyaml's emitter writes no comments): user text is sanitized. */
static void comment_line(FILE *out, const char *prefix, const char *text, const char *suffix) {
    fputs("# ", out);
    fputs(prefix, out);
    for (const char *p = text; *p; p++)
        fputc((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p, out);
    fputs(suffix, out);
    fputc('\n', out);
}

static void yaml_header(FILE *out, const art_plan *p, const char *what) {
    char line[256];
    comment_line(out, what, "", " generated by llmplan for");
    comment_line(out, "  ", p->d->model, "");
    snprintf(line, sizeof line,
             "%d GPU(s)%s%s: tensor parallel %d, pipeline parallel %d, "
             "data parallel %d",
             p->d->num_gpus, p->d->gpu ? " " : "", p->d->gpu ? p->d->gpu->name : "", p->tp, p->pp,
             p->dp);
    comment_line(out, "", line, "");
    if (p->nodes > 1) {
        snprintf(line, sizeof line, "%d nodes of %d GPUs, %s", p->nodes, p->gpus_per_node,
                 p->d->multi_node_ray ? "Ray cluster (the head waits for every node)"
                                      : "vLLM's multi-node launcher (mp executor)");
        comment_line(out, "", line, "");
    }
}

static lp_status yw_open(yw *w, FILE *out, lp_error *err) {
    memset(w, 0, sizeof *w);
    if (!yaml_emitter_initialize(&w->em))
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory starting the YAML emitter");
    yaml_emitter_set_output_file(&w->em, out);
    yaml_emitter_set_unicode(&w->em, 1);
    yaml_emitter_set_width(&w->em, 100);
    yaml_emitter_set_indent(&w->em, 2);
    yaml_event_t ev;
    emit(w, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
    return LP_OK;
}

static lp_status yw_close(yw *w, FILE *out, const char *what, lp_error *err) {
    yaml_event_t ev;
    emit(w, &ev, yaml_stream_end_event_initialize(&ev));
    if (!w->failed && !w->oom && !yaml_emitter_flush(&w->em))
        w->failed = true;
    lp_status st = LP_OK;
    if (w->oom)
        st = lp_error_set(err, LP_ERR_NOMEM, "out of memory rendering %s", what);
    else if (w->failed)
        st = lp_error_set(err, w->em.error == YAML_WRITER_ERROR ? LP_ERR_IO : LP_ERR_INVALID_ARG,
                          "writing %s failed: %s", what,
                          w->em.problem ? w->em.problem : "YAML emitter error");
    yaml_emitter_delete(&w->em);
    if (st == LP_OK && (fflush(out) != 0 || ferror(out)))
        st = lp_error_set(err, LP_ERR_IO, "writing %s failed", what);
    return st;
}

/* Emit args[from..] as a block sequence; user values '$'-escaped, expansions verbatim. */
static void args_seq(yw *w, const art_args *a, int from) {
    seq_begin(w, false);
    for (int i = from; i < a->n; i++) {
        if (a->v[i].raw)
            ys(w, a->v[i].text);
        else
            ys_escaped(w, a->v[i].text);
    }
    seq_end(w);
}

/* ---------------------------------------------------------------- docker compose */

static void compose_gpus(yw *w, const art_plan *p) {
    if (p->vendor == ART_VENDOR_AMD) {
        ys(w, "devices");
        seq_begin(w, false);
        ys(w, "/dev/kfd");
        ys(w, "/dev/dri");
        seq_end(w);
        ys(w, "group_add");
        seq_begin(w, false);
        ys(w, "video");
        seq_end(w);
        ys(w, "security_opt");
        seq_begin(w, false);
        ys(w, "seccomp=unconfined");
        seq_end(w);
        return;
    }
    /* Docker's GPU reservation for Compose (docs.docker.com, "GPU support in Compose"). */
    ys(w, "deploy");
    map_begin(w);
    ys(w, "resources");
    map_begin(w);
    ys(w, "reservations");
    map_begin(w);
    ys(w, "devices");
    seq_begin(w, false);
    map_begin(w);
    kv(w, "driver", "nvidia");
    kvi(w, "count", p->gpus_on_node);
    ys(w, "capabilities");
    seq_begin(w, true);
    ys(w, "gpu");
    seq_end(w);
    map_end(w);
    seq_end(w);
    map_end(w);
    map_end(w);
    map_end(w);
}

static void compose_common(yw *w, const art_plan *p, bool multi) {
    ys(w, "image");
    ys_escaped(w, p->image);
    ys(w, "ipc");
    ys(w, "host");
    if (multi) {
        ys(w, "network_mode");
        ys(w, "host");
    } else {
        char port[32];
        snprintf(port, sizeof port, "%d:%d", p->port, p->port);
        ys(w, "ports");
        seq_begin(w, false);
        ys(w, port);
        seq_end(w);
    }
    ys(w, "volumes");
    seq_begin(w, false);
    ys(w, "${HOME}/.cache/huggingface:/root/.cache/huggingface");
    seq_end(w);
    ys(w, "environment");
    seq_begin(w, false);
    ys(w, "HF_TOKEN"); /* passed through from the shell that runs compose */
    seq_end(w);
    compose_gpus(w, p);
}

#define COMPOSE_MASTER "${MASTER_ADDR:?set MASTER_ADDR to the head node's address}"

static lp_status compose_service(yw *w, const art_plan *p, int r, lp_error *err) {
    const lp_deploy *d = p->d;
    bool multi = p->nodes > 1;
    bool ray = multi && d->multi_node_ray;
    char name[96];
    if (multi)
        snprintf(name, sizeof name, "%s-node%d", p->name, r);
    else
        snprintf(name, sizeof name, "%s", p->name);
    ys(w, name);
    map_begin(w);
    if (ray && r > 0) {
        compose_common(w, p, multi);
        char addr[160];
        snprintf(addr, sizeof addr, "--address=%s:%d", COMPOSE_MASTER, LP_ARTIFACT_RAY_PORT);
        ys(w, "entrypoint");
        seq_begin(w, false);
        ys(w, "ray");
        ys(w, "start");
        ys(w, addr);
        ys(w, "--block");
        seq_end(w);
        map_end(w);
        return LP_OK;
    }
    art_target t = {.serve_prefix = ray || !p->use_entrypoint,
                    .host_all = true,
                    .node_rank = r,
                    .master_addr = COMPOSE_MASTER,
                    .master_addr_raw = true};
    art_args a;
    lp_status st = art_build_args(p, &t, &a, err);
    if (st != LP_OK)
        return st;
    compose_common(w, p, multi);
    if (ray) {
        art_buf script = {0};
        /* Ray head: start the cluster, wait for every node, then serve. */
        art_buf_addf(&script, "ray start --head --port=%d && python3 -c ", LP_ARTIFACT_RAY_PORT);
        art_buf_ray_wait(&script, p->nodes);
        art_buf_add(&script, " && exec ");
        art_buf_sh_join(&script, &a, " ", true);
        sh_c_seq(w, "entrypoint", "/bin/sh", &script);
    } else if (p->use_entrypoint) {
        ys(w, "command");
        args_seq(w, &a, 0);
    } else {
        ys(w, "entrypoint");
        args_seq(w, &a, 0);
    }
    art_args_free(&a);
    map_end(w);
    return LP_OK;
}

lp_status lp_artifact_compose(const lp_deploy *d, FILE *out, lp_error *err) {
    if (d && lp_disaggregated(&d->serving))
        return art_disagg_unsupported("docker-compose.yaml", err);
    art_plan p;
    lp_status st = art_resolve_vendor(d, "container", &p, err);
    if (st != LP_OK)
        return st;
    yaml_header(out, &p, "docker compose file");
    if (p.nodes > 1)
        fprintf(out,
                "# One service per node: on node R run\n"
                "#   MASTER_ADDR=<head node address> docker compose up %s-node<R>\n",
                p.name);
    else
        fprintf(out, "# docker compose up -d; the API is on port %d (GET /health).\n", p.port);
    yw w;
    if ((st = yw_open(&w, out, err)) != LP_OK)
        return st;
    doc_begin(&w);
    map_begin(&w);
    ys(&w, "services");
    map_begin(&w);
    for (int r = 0; r < p.nodes && st == LP_OK; r++)
        st = compose_service(&w, &p, r, err);
    map_end(&w);
    map_end(&w);
    doc_end(&w);
    if (st != LP_OK) {
        yaml_emitter_delete(&w.em);
        return st;
    }
    return yw_close(&w, out, "docker-compose.yaml", err);
}

/* ---------------------------------------------------------------- Kubernetes */

static const char *gpu_resource(const art_plan *p) {
    /* Device-plugin resource names: NVIDIA k8s-device-plugin, ROCm k8s-device-plugin. */
    return p->vendor == ART_VENDOR_AMD ? "amd.com/gpu" : "nvidia.com/gpu";
}

/* nvidia.com/gpu.product values as GPU feature discovery labels them: the nvidia-smi name
 * with spaces as '-' (the first alias of each row in data/gpus.tsv is that name). */
static int gpu_products(const art_plan *p, char out[][64], int max) {
    const lp_gpu *g = p->d->gpu;
    if (p->vendor != ART_VENDOR_NVIDIA || !g)
        return 0;
    int n = 0;
    const char *s = g->aliases;
    while (*s && n < max) {
        const char *end = strchr(s, ';');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        bool smi =
            (len > 7 && strncmp(s, "NVIDIA ", 7) == 0) || (len > 6 && strncmp(s, "Tesla ", 6) == 0);
        if (smi && len < 64) {
            bool ok = true;
            for (size_t i = 0; i < len; i++) {
                char c = s[i] == ' ' ? '-' : s[i];
                ok = ok && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.');
                out[n][i] = c;
            }
            out[n][len] = '\0';
            if (ok)
                n++;
        }
        s = end ? end + 1 : s + len;
    }
    return n;
}

static void k8s_affinity(yw *w, const art_plan *p) {
    char products[4][64];
    int n = gpu_products(p, products, 4);
    if (n == 0)
        return;
    /* Preferred, not required: a label that differs on some cluster must not leave the pod
     * unschedulable. */
    ys(w, "affinity");
    map_begin(w);
    ys(w, "nodeAffinity");
    map_begin(w);
    ys(w, "preferredDuringSchedulingIgnoredDuringExecution");
    seq_begin(w, false);
    map_begin(w);
    kvi(w, "weight", 100);
    ys(w, "preference");
    map_begin(w);
    ys(w, "matchExpressions");
    seq_begin(w, false);
    map_begin(w);
    kv(w, "key", "nvidia.com/gpu.product");
    kv(w, "operator", "In");
    ys(w, "values");
    seq_begin(w, false);
    for (int i = 0; i < n; i++)
        ys(w, products[i]);
    seq_end(w);
    map_end(w);
    seq_end(w);
    map_end(w);
    map_end(w);
    seq_end(w);
    map_end(w);
    map_end(w);
}

static void k8s_http_probe(yw *w, const char *kind, const art_plan *p, int delay, int period,
                           int failures) {
    ys(w, kind);
    map_begin(w);
    ys(w, "httpGet");
    map_begin(w);
    kv(w, "path", "/health");
    kvi(w, "port", p->port);
    map_end(w);
    if (delay > 0)
        kvi(w, "initialDelaySeconds", delay);
    kvi(w, "periodSeconds", period);
    kvi(w, "failureThreshold", failures);
    map_end(w);
}

/* NixlConnector's settings (vLLM's docs/features/nixl_connector_usage.md): the handshake
 * address the other pool reaches (the pod's IP), its port, and UCX's transports and network
 * devices as the guide's example sets them. */
static void k8s_nixl_env(yw *w) {
    map_begin(w);
    kv(w, "name", "VLLM_NIXL_SIDE_CHANNEL_HOST");
    ys(w, "valueFrom");
    map_begin(w);
    ys(w, "fieldRef");
    map_begin(w);
    kv(w, "fieldPath", "status.podIP");
    map_end(w);
    map_end(w);
    map_end(w);
    char port[16];
    snprintf(port, sizeof port, "%d", LP_ARTIFACT_NIXL_SIDE_CHANNEL_PORT);
    map_begin(w);
    kv(w, "name", "VLLM_NIXL_SIDE_CHANNEL_PORT");
    kv(w, "value", port);
    map_end(w);
    map_begin(w);
    kv(w, "name", "UCX_TLS");
    kv(w, "value", "all");
    map_end(w);
    map_begin(w);
    kv(w, "name", "UCX_NET_DEVICES");
    kv(w, "value", "all");
    map_end(w);
}

static void k8s_env(yw *w, const art_plan *p) {
    const lp_deploy *d = p->d;
    ys(w, "env");
    seq_begin(w, false);
    if (d->role != LP_DEPLOY_AGGREGATED &&
        d->serving.disaggregation.kv_connector == LP_KV_CONNECTOR_NIXL)
        k8s_nixl_env(w);
    map_begin(w);
    kv(w, "name", "HF_TOKEN");
    ys(w, "valueFrom");
    map_begin(w);
    ys(w, "secretKeyRef");
    map_begin(w);
    kv(w, "name", d->hf_secret && *d->hf_secret ? d->hf_secret : "hf-token-secret");
    kv(w, "key", d->hf_secret_key && *d->hf_secret_key ? d->hf_secret_key : "token");
    ys(w, "optional");
    ybool(w, true);
    map_end(w);
    map_end(w);
    map_end(w);
    seq_end(w);
}

/* Container body after name/image/command/args: env, ports, GPUs, probes, mounts. */
static void k8s_container_rest(yw *w, const art_plan *p, bool serves_api) {
    k8s_env(w, p);
    if (serves_api) {
        ys(w, "ports");
        seq_begin(w, false);
        map_begin(w);
        kv(w, "name", "http");
        kvi(w, "containerPort", p->port);
        map_end(w);
        seq_end(w);
    }
    ys(w, "resources");
    map_begin(w);
    ys(w, "limits");
    map_begin(w);
    kvi(w, gpu_resource(p), p->gpus_on_node);
    map_end(w);
    map_end(w);
    if (serves_api) {
        k8s_http_probe(w, "startupProbe", p, 0, PROBE_PERIOD_S, PROBE_STARTUP_FAILURES);
        k8s_http_probe(w, "readinessProbe", p, PROBE_READY_DELAY_S, PROBE_PERIOD_S, 3);
        k8s_http_probe(w, "livenessProbe", p, PROBE_LIVE_DELAY_S, PROBE_LIVE_PERIOD_S,
                       PROBE_LIVE_FAILURES);
    }
    ys(w, "volumeMounts");
    seq_begin(w, false);
    map_begin(w);
    kv(w, "name", "dshm");
    kv(w, "mountPath", "/dev/shm");
    map_end(w);
    map_begin(w);
    kv(w, "name", "hf-cache");
    kv(w, "mountPath", "/root/.cache/huggingface");
    map_end(w);
    seq_end(w);
}

static void k8s_volumes(yw *w) {
    ys(w, "volumes");
    seq_begin(w, false);
    map_begin(w);
    kv(w, "name", "dshm");
    ys(w, "emptyDir");
    map_begin(w);
    kv(w, "medium", "Memory");
    kv(w, "sizeLimit", SHM_SIZE_LIMIT);
    map_end(w);
    map_end(w);
    map_begin(w);
    /* Model downloads; replace with a PersistentVolumeClaim to keep them across restarts. */
    kv(w, "name", "hf-cache");
    ys(w, "emptyDir");
    map_begin(w);
    map_end(w);
    map_end(w);
    seq_end(w);
}

/* How a pool of a disaggregated deployment is reached (NULL: an ordinary server). */
typedef struct {
    const char *service; /* the Service's name */
    int service_port;    /* its port (the routing sidecar's in front of decode) */
    bool sidecar;        /* llm-d's routing sidecar in front of vLLM */
} k8s_front;

static const char *role_label(const art_plan *p) {
    return p->d->role == LP_DEPLOY_PREFILL  ? "prefill"
           : p->d->role == LP_DEPLOY_DECODE ? "decode"
                                            : NULL;
}

/* llm-d's routing sidecar as a native sidecar (an init container that keeps running,
 * restartPolicy Always): it listens on the API port and forwards to vLLM on p->port, running
 * the prefill on the instance the x-prefiller-host-port header names first (llm-d-routing-
 * sidecar, cmd/llm-d-routing-sidecar/main.go flags; plain HTTP with --secure-proxy=false). */
static void k8s_sidecar(yw *w, const art_plan *p, const k8s_front *f) {
    char arg[64];
    ys(w, "initContainers");
    seq_begin(w, false);
    map_begin(w);
    kv(w, "name", "routing-proxy");
    kv(w, "image", LP_ARTIFACT_ROUTING_SIDECAR_IMAGE);
    kv(w, "restartPolicy", "Always");
    ys(w, "args");
    seq_begin(w, false);
    snprintf(arg, sizeof arg, "--port=%d", f->service_port);
    ys(w, arg);
    snprintf(arg, sizeof arg, "--vllm-port=%d", p->port);
    ys(w, arg);
    ys(w, "--connector=nixlv2");
    ys(w, "--secure-proxy=false");
    seq_end(w);
    ys(w, "ports");
    seq_begin(w, false);
    map_begin(w);
    kv(w, "name", "proxy");
    kvi(w, "containerPort", f->service_port);
    map_end(w);
    seq_end(w);
    map_end(w);
    seq_end(w);
}

static void k8s_service(yw *w, const art_plan *p, bool lws, const k8s_front *f) {
    char name[96];
    if (f)
        snprintf(name, sizeof name, "%s", f->service);
    else
        snprintf(name, sizeof name, lws ? "%s-leader" : "%s", p->name);
    int port = f ? f->service_port : p->port;
    doc_begin(w);
    map_begin(w);
    kv(w, "apiVersion", "v1");
    kv(w, "kind", "Service");
    ys(w, "metadata");
    map_begin(w);
    kv(w, "name", name);
    ys(w, "labels");
    map_begin(w);
    kv(w, "app", p->name);
    map_end(w);
    map_end(w);
    ys(w, "spec");
    map_begin(w);
    kv(w, "type", "ClusterIP");
    ys(w, "selector");
    map_begin(w);
    if (lws) {
        kv(w, "leaderworkerset.sigs.k8s.io/name", p->name);
        kv(w, "role", "leader");
    } else {
        kv(w, "app", p->name);
    }
    map_end(w);
    ys(w, "ports");
    seq_begin(w, false);
    map_begin(w);
    kv(w, "name", "http");
    kv(w, "protocol", "TCP");
    kvi(w, "port", port);
    kvi(w, "targetPort", port);
    map_end(w);
    seq_end(w);
    map_end(w);
    map_end(w);
    doc_end(w);
}

static lp_status k8s_deployment(yw *w, const art_plan *p, const k8s_front *f, lp_error *err) {
    art_target t = {.serve_prefix = !p->use_entrypoint, .host_all = true};
    art_args a;
    lp_status st = art_build_args(p, &t, &a, err);
    if (st != LP_OK)
        return st;
    doc_begin(w);
    map_begin(w);
    kv(w, "apiVersion", "apps/v1");
    kv(w, "kind", "Deployment");
    ys(w, "metadata");
    map_begin(w);
    kv(w, "name", p->name);
    ys(w, "labels");
    map_begin(w);
    kv(w, "app", p->name);
    map_end(w);
    map_end(w);
    ys(w, "spec");
    map_begin(w);
    kvi(w, "replicas", p->replicas);
    /* A rolling update would need a second set of GPUs while the old pod still holds them. */
    ys(w, "strategy");
    map_begin(w);
    kv(w, "type", "Recreate");
    map_end(w);
    ys(w, "selector");
    map_begin(w);
    ys(w, "matchLabels");
    map_begin(w);
    kv(w, "app", p->name);
    map_end(w);
    map_end(w);
    ys(w, "template");
    map_begin(w);
    ys(w, "metadata");
    map_begin(w);
    ys(w, "labels");
    map_begin(w);
    kv(w, "app", p->name);
    if (role_label(p))
        kv(w, "llm-d.ai/role", role_label(p));
    map_end(w);
    map_end(w);
    ys(w, "spec");
    map_begin(w);
    k8s_affinity(w, p);
    if (f && f->sidecar)
        k8s_sidecar(w, p, f);
    ys(w, "containers");
    seq_begin(w, false);
    map_begin(w);
    kv(w, "name", "vllm");
    kv(w, "image", p->image);
    if (p->use_entrypoint) {
        ys(w, "args");
        args_seq(w, &a, 0);
    } else {
        ys(w, "command");
        seq_begin(w, true);
        ys(w, "vllm");
        ys(w, "serve");
        seq_end(w);
        ys(w, "args");
        args_seq(w, &a, 2);
    }
    k8s_container_rest(w, p, true);
    map_end(w);
    seq_end(w);
    k8s_volumes(w);
    map_end(w);
    map_end(w);
    map_end(w);
    map_end(w);
    doc_end(w);
    art_args_free(&a);
    k8s_service(w, p, false, f);
    return LP_OK;
}

/* Kubernetes expansions LWS provides to every pod of a group (lws.sigs.k8s.io docs). */
#define LWS_LEADER_ADDRESS "$(LWS_LEADER_ADDRESS)"
#define LWS_WORKER_INDEX "$(LWS_WORKER_INDEX)"

/* command + args of one LWS pod (leader: rank 0; worker: every other rank). */
static lp_status lws_command(yw *w, const art_plan *p, bool leader, lp_error *err) {
    bool ray = p->d->multi_node_ray;
    if (ray && !leader) {
        char addr[96];
        snprintf(addr, sizeof addr, "--address=%s:%d", LWS_LEADER_ADDRESS, LP_ARTIFACT_RAY_PORT);
        ys(w, "command");
        seq_begin(w, false);
        ys(w, "ray");
        ys(w, "start");
        ys(w, addr);
        ys(w, "--block");
        seq_end(w);
        return LP_OK;
    }
    char dp_start[96];
    bool dp_shell = !leader && p->dp > 1 && p->dp_local > 1;
    if (dp_shell) /* '$$' survives Kubernetes expansion as '$' for sh arithmetic. */
        snprintf(dp_start, sizeof dp_start, "$$((LWS_WORKER_INDEX * %d))", p->dp_local);
    else
        snprintf(dp_start, sizeof dp_start, "%s", LWS_WORKER_INDEX);
    art_target t = {.serve_prefix = true,
                    .host_all = true,
                    .node_rank = leader ? 0 : 1,
                    .node_rank_raw = leader ? NULL : LWS_WORKER_INDEX,
                    .master_addr = LWS_LEADER_ADDRESS,
                    .master_addr_raw = true,
                    .dp_start_raw = dp_start};
    art_args a;
    lp_status st = art_build_args(p, &t, &a, err);
    if (st != LP_OK)
        return st;
    if (ray || dp_shell) {
        art_buf script = {0};
        if (ray) {
            art_buf_addf(&script, "ray start --head --port=%d && python3 -c ",
                         LP_ARTIFACT_RAY_PORT);
            art_buf_ray_wait(&script, p->nodes);
            art_buf_add(&script, " && ");
        }
        art_buf_add(&script, "exec ");
        art_buf_sh_join(&script, &a, " ", true);
        sh_c_seq(w, "command", "sh", &script);
    } else {
        ys(w, "command");
        seq_begin(w, true);
        ys(w, "vllm");
        ys(w, "serve");
        seq_end(w);
        ys(w, "args");
        args_seq(w, &a, 2);
    }
    art_args_free(&a);
    return LP_OK;
}

static lp_status lws_template(yw *w, const art_plan *p, bool leader, const k8s_front *f,
                              lp_error *err) {
    ys(w, leader ? "leaderTemplate" : "workerTemplate");
    map_begin(w);
    ys(w, "metadata");
    map_begin(w);
    ys(w, "labels");
    map_begin(w);
    kv(w, "role", leader ? "leader" : "worker");
    if (role_label(p))
        kv(w, "llm-d.ai/role", role_label(p));
    map_end(w);
    map_end(w);
    ys(w, "spec");
    map_begin(w);
    k8s_affinity(w, p);
    if (leader && f && f->sidecar)
        k8s_sidecar(w, p, f);
    ys(w, "containers");
    seq_begin(w, false);
    map_begin(w);
    kv(w, "name", leader ? "vllm-leader" : "vllm-worker");
    kv(w, "image", p->image);
    lp_status st = lws_command(w, p, leader, err);
    if (st != LP_OK)
        return st;
    k8s_container_rest(w, p, leader);
    map_end(w);
    seq_end(w);
    k8s_volumes(w);
    map_end(w);
    map_end(w);
    return LP_OK;
}

static lp_status k8s_lws(yw *w, const art_plan *p, const k8s_front *f, lp_error *err) {
    doc_begin(w);
    map_begin(w);
    kv(w, "apiVersion", "leaderworkerset.x-k8s.io/v1");
    kv(w, "kind", "LeaderWorkerSet");
    ys(w, "metadata");
    map_begin(w);
    kv(w, "name", p->name);
    map_end(w);
    ys(w, "spec");
    map_begin(w);
    kvi(w, "replicas", p->replicas);
    ys(w, "leaderWorkerTemplate");
    map_begin(w);
    kvi(w, "size", p->nodes);
    kv(w, "restartPolicy", "RecreateGroupOnPodRestart");
    lp_status st = lws_template(w, p, true, f, err);
    if (st == LP_OK)
        st = lws_template(w, p, false, f, err);
    if (st != LP_OK)
        return st;
    map_end(w);
    map_end(w);
    map_end(w);
    doc_end(w);
    k8s_service(w, p, true, f);
    return LP_OK;
}

/* Resolved and checked for Kubernetes: the vendor, and the arguments (before anything is
 * written). */
static lp_status k8s_check(const art_plan *p, lp_error *err) {
    lp_status st = art_check_vendor(p, "Kubernetes", err);
    if (st != LP_OK)
        return st;
    art_target probe = {.serve_prefix = true,
                        .node_rank = 0,
                        .master_addr = LWS_LEADER_ADDRESS,
                        .master_addr_raw = true};
    art_args a;
    if ((st = art_build_args(p, &probe, &a, err)) != LP_OK)
        return st;
    art_args_free(&a);
    return LP_OK;
}

static void role_comment(FILE *out, const art_plan *p, const char *kind) {
    char line[256];
    snprintf(line, sizeof line,
             "%s: %s %s, %d replica(s) of %d GPU(s)%s%s (tensor parallel %d, pipeline "
             "parallel %d)",
             role_label(p), kind, p->name, p->replicas, p->d->num_gpus, p->d->gpu ? " " : "",
             p->d->gpu ? p->d->gpu->name : "", p->tp, p->pp);
    comment_line(out, "", line, "");
}

/* The two pools of a disaggregated deployment: prefill and decode Deployments (a
 * LeaderWorkerSet for a role whose instance spans nodes), llm-d's routing sidecar in front of
 * each decode instance, the prefill pool's Service and the entry Service on the sidecars. */
static lp_status k8s_disagg(const lp_deploy *d, FILE *out, lp_error *err) {
    art_disagg g;
    lp_status st = art_disagg_resolve(d, true, &g, err);
    if (st != LP_OK)
        return st;
    lp_kv_connector c = d->serving.disaggregation.kv_connector;
    if (c != LP_KV_CONNECTOR_NIXL)
        return lp_error_set(err, LP_ERR_UNSUPPORTED,
                            "k8s.yaml for a disaggregated deployment is generated for "
                            "NixlConnector (llm-d's routing sidecar speaks NIXL); %s needs its "
                            "proxy from vLLM's source tree: use serve.sh",
                            lp_kv_connector_vllm_name(c));
    for (int i = 0; i < 2; i++)
        if ((st = k8s_check(&g.plan[i], err)) != LP_OK)
            return st;
    /* the entry Service takes the deployment's own name ("<name>-decode" less its suffix) */
    char base[64];
    snprintf(base, sizeof base, "%s", g.plan[1].name);
    base[strlen(base) - strlen("-decode")] = '\0';
    int api_port = d->port > 0 ? d->port : LP_ARTIFACT_PORT_DEFAULT;
    k8s_front fronts[2] = {{g.plan[0].name, g.plan[0].port, false}, {base, api_port, true}};
    const lp_disaggregation *dg = &d->serving.disaggregation;
    char line[256];
    comment_line(out, "Kubernetes manifests", "", " generated by llmplan for");
    comment_line(out, "  ", d->model, "");
    snprintf(line, sizeof line, "disaggregated prefill/decode %dP%dD over NixlConnector",
             dg->prefill_instances, dg->decode_instances);
    comment_line(out, "", line, "");
    for (int i = 0; i < 2; i++)
        role_comment(out, &g.plan[i], g.plan[i].nodes > 1 ? "LeaderWorkerSet" : "Deployment");
    snprintf(line, sizeof line,
             "Send requests to Service %s (port %d), llm-d's routing sidecar in each decode pod,",
             base, api_port);
    comment_line(out, "", line, "");
    snprintf(line, sizeof line,
             "with the header x-prefiller-host-port: %s:%d (the prefill Service) or through "
             "llm-d's",
             g.plan[0].name, g.plan[0].port);
    comment_line(out, "", line, "");
    comment_line(out, "",
                 "inference scheduler, which sets it; without the header the decode pod "
                 "computes the prefill itself.",
                 "");
    if (g.plan[0].nodes > 1 || g.plan[1].nodes > 1)
        fprintf(out, "# Needs the LeaderWorkerSet controller (https://lws.sigs.k8s.io).\n");
    comment_line(out, "HF_TOKEN comes from the Secret ",
                 d->hf_secret && *d->hf_secret ? d->hf_secret : "hf-token-secret",
                 " when it exists (optional).");
    yw w;
    if ((st = yw_open(&w, out, err)) != LP_OK)
        return st;
    for (int i = 0; i < 2 && st == LP_OK; i++)
        st = g.plan[i].nodes > 1 ? k8s_lws(&w, &g.plan[i], &fronts[i], err)
                                 : k8s_deployment(&w, &g.plan[i], &fronts[i], err);
    if (st != LP_OK) {
        yaml_emitter_delete(&w.em);
        return st;
    }
    return yw_close(&w, out, "k8s.yaml", err);
}

lp_status lp_artifact_k8s(const lp_deploy *d, FILE *out, lp_error *err) {
    if (d && lp_disaggregated(&d->serving))
        return k8s_disagg(d, out, err);
    art_plan p;
    lp_status st = art_resolve(d, &p, err);
    if (st == LP_OK)
        st = k8s_check(&p, err);
    if (st != LP_OK)
        return st;
    yaml_header(out, &p, "Kubernetes manifests");
    if (p.nodes > 1)
        fprintf(out, "# Needs the LeaderWorkerSet controller (https://lws.sigs.k8s.io).\n");
    comment_line(out, "HF_TOKEN comes from the Secret ",
                 d->hf_secret && *d->hf_secret ? d->hf_secret : "hf-token-secret",
                 " when it exists (optional).");
    yw w;
    if ((st = yw_open(&w, out, err)) != LP_OK)
        return st;
    st = p.nodes > 1 ? k8s_lws(&w, &p, NULL, err) : k8s_deployment(&w, &p, NULL, err);
    if (st != LP_OK) {
        yaml_emitter_delete(&w.em);
        return st;
    }
    return yw_close(&w, out, "k8s.yaml", err);
}
