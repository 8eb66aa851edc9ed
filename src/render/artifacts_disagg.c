/*
 * artifacts_disagg.c - the artifacts of a disaggregated prefill/decode deployment (`xPyD`):
 * each role is an ordinary vLLM server (its own settings, GPU type and count, resource name
 * "<name>-prefill" / "<name>-decode") whose command carries --kv-transfer-config
 * (artifacts_modes.c), and serve.sh runs the one that $ROLE names. The Kubernetes layout of the
 * two pools lives with the other manifests in artifacts_yaml.c.
 *
 * serve.sh follows vLLM's own guides: docs/features/nixl_connector_usage.md ("Basic Usage (on
 * the same host)": prefiller on port 8100 with VLLM_NIXL_SIDE_CHANNEL_PORT 5600, decoder on
 * 8200 with 5601, UCX_NET_DEVICES=all, and the toy proxy of tests/v1/kv_connector/
 * nixl_integration on 8192), docs/features/mooncake_connector_usage.md (its proxy),
 * examples/others/lmcache/disagg_prefill_lmcache_v1 (LMCACHE_CONFIG_FILE per role) and
 * examples/online_serving/disaggregated_serving_p2p_nccl_xpyd (instances register with the
 * proxy named in their --kv-transfer-config). The proxies are scripts of vLLM's source tree,
 * not part of its image, so serve.sh names them in a comment rather than running them.
 */
#include <stdlib.h>
#include <string.h>

#include "llmplan/artifacts.h"
#include "render/artifacts_internal.h"

/* serve.sh ports when the deployment names none (vLLM's NIXL guide, same-host example). */
#define SERVE_PREFILL_PORT 8100
#define SERVE_DECODE_PORT 8200
#define SERVE_DECODE_SIDE_CHANNEL_PORT 5601
/* Offset of the decode port from a given API port in serve.sh (the guide's 8100 -> 8200). */
#define SERVE_DECODE_PORT_OFFSET 100
/* The toy proxy's port in vLLM's NIXL guide. */
#define PROXY_PORT 8192
/* Hosts listed one by one in the proxy example before "...". */
#define PROXY_HOSTS_LISTED 4

lp_status lp_artifact_role_deploy(const lp_deploy *d, lp_deploy_role role, lp_deploy *out,
                                  lp_error *err) {
    if (!d || !out || !lp_disaggregated(&d->serving) || role == LP_DEPLOY_AGGREGATED)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "a role's deployment needs a disaggregated deployment "
                            "(--disaggregation xPyD) and the prefill or decode role");
    bool prefill = role == LP_DEPLOY_PREFILL;
    *out = *d;
    lp_disaggregation_role_serving(&d->serving, prefill ? LP_ROLE_PREFILL : LP_ROLE_DECODE,
                                   &out->serving);
    out->role = role;
    const lp_gpu *g = prefill ? d->prefill_gpu : d->decode_gpu;
    out->gpu = g ? g : d->gpu;
    out->prefill_gpu = out->decode_gpu = NULL;
    const lp_serving *s = &out->serving;
    int tp = s->tensor_parallel_size > 0 ? s->tensor_parallel_size : 1;
    int pp = s->pipeline_parallel_size > 0 ? s->pipeline_parallel_size : 1;
    out->num_gpus = tp * pp;
    return LP_OK;
}

lp_status art_disagg_resolve(const lp_deploy *d, bool k8s_ports, art_disagg *out, lp_error *err) {
    memset(out, 0, sizeof *out);
    int gpus = lp_disaggregation_gpus(&d->serving);
    const lp_disaggregation *g = &d->serving.disaggregation;
    if (d->num_gpus != gpus)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "deployment: %dP%dD takes %d GPUs (instances x their tensor x "
                            "pipeline parallel size), not num_gpus %d",
                            g->prefill_instances, g->decode_instances, gpus, d->num_gpus);
    if (d->port < 0 || d->port > 65535)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "deployment: port %d is not a TCP port; use 1-65535", d->port);
    static const lp_deploy_role roles[2] = {LP_DEPLOY_PREFILL, LP_DEPLOY_DECODE};
    for (int i = 0; i < 2; i++) {
        lp_status st = lp_artifact_role_deploy(d, roles[i], &out->role[i], err);
        if (st != LP_OK)
            return st;
        lp_deploy *r = &out->role[i];
        if (k8s_ports) /* decode: vLLM behind the routing sidecar, which takes the API port */
            r->port = i == 0 ? d->port : LP_ARTIFACT_DECODE_VLLM_PORT;
        else if (d->port > 0)
            r->port = i == 0 ? d->port : d->port + SERVE_DECODE_PORT_OFFSET;
        else
            r->port = i == 0 ? SERVE_PREFILL_PORT : SERVE_DECODE_PORT;
        if (r->port > 65535)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "deployment: port %d leaves no room for the decode port %d; use a "
                                "lower port",
                                d->port, r->port);
        if ((st = art_resolve(r, &out->plan[i], err)) != LP_OK)
            return st;
        out->plan[i].replicas = i == 0 ? g->prefill_instances : g->decode_instances;
    }
    return LP_OK;
}

char *art_disagg_serve_lines(const lp_deploy *d, lp_error *err) {
    art_disagg g;
    if (art_disagg_resolve(d, false, &g, err) != LP_OK)
        return NULL;
    char *p = lp_artifact_vllm_serve_line(&g.role[0], err);
    char *dl = p ? lp_artifact_vllm_serve_line(&g.role[1], err) : NULL;
    char *out = NULL;
    if (p && dl) {
        size_t n = strlen(p) + strlen(dl) + 2;
        out = malloc(n);
        if (out)
            snprintf(out, n, "%s\n%s", p, dl);
        else
            lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    }
    free(p);
    free(dl);
    return out;
}

/* "--flag h1 h2 ... --ports p p ..." placeholders of the toy proxy, one per instance. */
static void proxy_hosts(art_buf *b, const char *what, int n, int port) {
    art_buf_addf(b, " \\\n#     --%s-hosts", what);
    for (int i = 0; i < n && i < PROXY_HOSTS_LISTED; i++)
        art_buf_addf(b, " <%s-host-%d>", what, i + 1);
    if (n > PROXY_HOSTS_LISTED)
        art_buf_addf(b, " ... (%d in all)", n);
    art_buf_addf(b, " --%s-ports", what);
    for (int i = 0; i < n && i < PROXY_HOSTS_LISTED; i++)
        art_buf_addf(b, " %d", port);
    if (n > PROXY_HOSTS_LISTED)
        art_buf_add(b, " ...");
}

static void proxy_comment(art_buf *b, const art_disagg *g, lp_kv_connector c) {
    int pp = g->plan[0].port, dp = g->plan[1].port;
    switch (c) {
    case LP_KV_CONNECTOR_NIXL:
        art_buf_addf(b,
                     "# Then send requests through a proxy that runs each prefill first, e.g. "
                     "from vLLM's source tree:\n#   python "
                     "tests/v1/kv_connector/nixl_integration/toy_proxy_server.py --port %d",
                     PROXY_PORT);
        proxy_hosts(b, "prefiller", g->plan[0].replicas, pp);
        proxy_hosts(b, "decoder", g->plan[1].replicas, dp);
        art_buf_add(b, "\n# (or llm-d's routing sidecar in front of each decode instance, as in "
                       "k8s.yaml).\n");
        break;
    case LP_KV_CONNECTOR_MOONCAKE:
        art_buf_addf(b,
                     "# Then, from vLLM's source tree: python examples/online_serving/"
                     "disaggregated_serving/mooncake_connector/\n#   mooncake_connector_proxy.py "
                     "--prefill http://<prefill-host>:%d --decode http://<decode-host>:%d\n",
                     pp, dp);
        break;
    case LP_KV_CONNECTOR_LMCACHE:
        art_buf_add(b, "# Each role reads its LMCache settings from LMCACHE_CONFIG_FILE; then, "
                       "from vLLM's source tree, run the\n# proxy of examples/others/lmcache/"
                       "disagg_prefill_lmcache_v1 (disagg_proxy_server.py).\n");
        break;
    case LP_KV_CONNECTOR_NCCL:
        art_buf_add(b, "# Start the proxy first, from vLLM's source tree: examples/online_serving/"
                       "disaggregated_serving_p2p_nccl_xpyd/\n#   disagg_proxy_p2p_nccl_xpyd.py "
                       "on the host named in proxy_ip below; every instance registers with it.\n");
        break;
    }
}

static void role_summary(art_buf *b, const art_plan *p, const char *role) {
    const lp_deploy *r = p->d;
    art_buf_addf(b, "# %s: %d instance(s) of %d GPU(s)", role, p->replicas, r->num_gpus);
    if (r->gpu && r->gpu->name[0]) {
        art_buf_add(b, " ");
        art_buf_comment(b, r->gpu->name);
    }
    art_buf_addf(b, " (tensor parallel %d, pipeline parallel %d), API port %d", p->tp, p->pp,
                 p->port);
    if (p->nodes > 1)
        art_buf_addf(b, ", %d nodes of %d GPUs each", p->nodes, p->gpus_per_node);
    art_buf_add(b, ".\n");
}

lp_status art_disagg_serve(const lp_deploy *d, FILE *out, lp_error *err) {
    art_disagg g;
    lp_status st = art_disagg_resolve(d, false, &g, err);
    if (st != LP_OK)
        return st;
    const lp_disaggregation *dg = &d->serving.disaggregation;
    lp_kv_connector c = dg->kv_connector;
    static const char *const names[2] = {"prefill", "decode"};
    art_buf b = {0};
    art_buf_add(&b, "#!/bin/sh\n# vLLM servers for ");
    art_buf_comment(&b, d->model);
    art_buf_addf(&b,
                 ", generated by llmplan: disaggregated prefill/decode %dP%dD,\n# the KV cache "
                 "moved by %s.\n",
                 dg->prefill_instances, dg->decode_instances, lp_kv_connector_vllm_name(c));
    for (int i = 0; i < 2; i++)
        role_summary(&b, &g.plan[i], names[i]);
    art_buf_add(&b, "# Run it on each instance's host with ROLE=prefill or ROLE=decode. "
                    "Instances sharing a host need their own\n# GPUs (CUDA_VISIBLE_DEVICES) "
                    "and ports.\n");
    if (g.plan[0].nodes > 1 || g.plan[1].nodes > 1)
        art_buf_add(&b, "# A role spanning nodes runs on each of its nodes with NODE_RANK and "
                        "MASTER_ADDR, as a multi-node serve.sh.\n");
    if (c == LP_KV_CONNECTOR_NIXL)
        art_buf_add(&b, "# NIXL: on separate hosts set VLLM_NIXL_SIDE_CHANNEL_HOST to this "
                        "host's address as the other pool\n# reaches it (vLLM's default is "
                        "localhost); UCX picks the network from UCX_NET_DEVICES (default here: "
                        "all).\n");
    proxy_comment(&b, &g, c);
    art_buf_add(&b, "set -eu\n: \"${ROLE:?set ROLE to prefill or decode}\"\n");
    if (c == LP_KV_CONNECTOR_NIXL)
        art_buf_add(&b, "export UCX_NET_DEVICES=\"${UCX_NET_DEVICES:-all}\"\n");
    art_buf_add(&b, "case \"$ROLE\" in\n");
    for (int i = 0; i < 2 && st == LP_OK; i++) {
        art_buf_addf(&b, "%s)\n", names[i]);
        if (c == LP_KV_CONNECTOR_NIXL)
            art_buf_addf(&b,
                         "    export "
                         "VLLM_NIXL_SIDE_CHANNEL_PORT=\"${VLLM_NIXL_SIDE_CHANNEL_PORT:-%d}\"\n",
                         i == 0 ? LP_ARTIFACT_NIXL_SIDE_CHANNEL_PORT
                                : SERVE_DECODE_SIDE_CHANNEL_PORT);
        if (c == LP_KV_CONNECTOR_LMCACHE)
            art_buf_addf(&b,
                         "    : \"${LMCACHE_CONFIG_FILE:?set LMCACHE_CONFIG_FILE to the %s "
                         "instances' LMCache configuration}\"\n    export LMCACHE_CONFIG_FILE\n",
                         names[i]);
        if (g.plan[i].nodes > 1)
            art_buf_addf(&b,
                         "    : \"${NODE_RANK:?set NODE_RANK to this node's index, 0 to %d}\"\n"
                         "    : \"${MASTER_ADDR:?set MASTER_ADDR to the instance's first "
                         "node's address}\"\n",
                         g.plan[i].nodes - 1);
        else
            art_buf_add(&b, "    ");
        st = art_serve_commands(&b, &g.plan[i], err);
        art_buf_add(&b, "\n    ;;\n");
    }
    if (st != LP_OK) {
        art_buf_free(&b);
        return st;
    }
    art_buf_add(&b, "*)\n    echo \"ROLE must be prefill or decode, got $ROLE\" >&2\n    exit 2\n"
                    "    ;;\nesac\n");
    return art_flush(&b, out, "serve.sh", err);
}

lp_status art_disagg_unsupported(const char *what, lp_error *err) {
    return lp_error_set(err, LP_ERR_UNSUPPORTED,
                        "%s is not generated for a disaggregated deployment; use serve.sh "
                        "(ROLE=prefill or ROLE=decode on each host) or k8s.yaml",
                        what);
}
