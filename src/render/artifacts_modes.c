/*
 * artifacts_modes.c - the `vllm serve` flags of the serving modes, spelled as vLLM spells
 * them: --no-enable-prefix-caching (prefix caching is on by default), --speculative-config
 * '{...}' (vllm/config/speculative.py), --enable-lora --max-loras --max-lora-rank
 * --max-cpu-loras (vllm/config/lora.py), and for one role of a disaggregated deployment
 * --kv-transfer-config '{...}' (vllm/config/kv_transfer.py KVTransferConfig) as vLLM's own
 * examples write it for each connector:
 * - NixlConnector: kv_role "kv_both" on both sides (docs/features/nixl_connector_usage.md);
 * - LMCacheConnectorV1: kv_producer / kv_consumer (examples/others/lmcache/
 *   disagg_prefill_lmcache_v1); LMCache reads its own settings from LMCACHE_CONFIG_FILE;
 * - P2pNcclConnector: kv_producer with a token buffer, kv_consumer with an 8e9-byte one, a
 *   kv_port and the proxy it registers with (examples/online_serving/
 *   disaggregated_serving_p2p_nccl_xpyd);
 * - MooncakeConnector: kv_producer / kv_consumer (docs/features/mooncake_connector_usage.md).
 */
#include <stdio.h>

#include "render/artifacts_internal.h"

/* Ports of vLLM's P2P NCCL example: the proxy's ZMQ port and the instances' KV ports. */
#define LP_NCCL_PROXY_PORT 30001
#define LP_NCCL_PREFILL_KV_PORT 21001
#define LP_NCCL_DECODE_KV_PORT 22001

static bool push_flag(art_args *a, const char *flag, const char *value) {
    return art_args_push(a, flag) && art_args_push(a, value);
}

static bool push_int(art_args *a, const char *flag, long long v) {
    char num[32];
    snprintf(num, sizeof num, "%lld", v);
    return push_flag(a, flag, num);
}

static bool kv_transfer(art_args *a, const lp_deploy *d) {
    lp_kv_connector c = d->serving.disaggregation.kv_connector;
    bool prefill = d->role == LP_DEPLOY_PREFILL;
    const char *role = c == LP_KV_CONNECTOR_NIXL ? "kv_both"
                       : prefill                 ? "kv_producer"
                                                 : "kv_consumer";
    char json[512];
    if (c == LP_KV_CONNECTOR_NCCL)
        snprintf(json, sizeof json,
                 "{\"kv_connector\":\"%s\",\"kv_role\":\"%s\",\"kv_buffer_size\":\"%s\","
                 "\"kv_port\":\"%d\",\"kv_connector_extra_config\":{\"proxy_ip\":\"%s\","
                 "\"proxy_port\":\"%d\",\"http_port\":\"%d\"}}",
                 lp_kv_connector_vllm_name(c), role, prefill ? "1e1" : "8e9",
                 prefill ? LP_NCCL_PREFILL_KV_PORT : LP_NCCL_DECODE_KV_PORT,
                 d->proxy_host ? d->proxy_host : "127.0.0.1", LP_NCCL_PROXY_PORT,
                 d->port > 0 ? d->port : LP_ARTIFACT_PORT_DEFAULT);
    else
        snprintf(json, sizeof json, "{\"kv_connector\":\"%s\",\"kv_role\":\"%s\"}",
                 lp_kv_connector_vllm_name(c), role);
    return push_flag(a, "--kv-transfer-config", json);
}

bool art_push_mode_flags(art_args *a, const lp_deploy *d) {
    const lp_serving *s = &d->serving;
    bool ok = true;
    if (s->enable_prefix_caching_off)
        ok = art_args_push(a, "--no-enable-prefix-caching");
    char spec[512];
    if (ok && lp_spec_config_json(&s->speculative, spec, sizeof spec))
        ok = push_flag(a, "--speculative-config", spec);
    const lp_lora_config *l = &s->lora;
    if (ok && l->enable_lora) {
        ok = art_args_push(a, "--enable-lora");
        if (ok && l->max_loras > 0)
            ok = push_int(a, "--max-loras", l->max_loras);
        if (ok && l->max_lora_rank > 0)
            ok = push_int(a, "--max-lora-rank", l->max_lora_rank);
        if (ok && l->max_cpu_loras > 0)
            ok = push_int(a, "--max-cpu-loras", l->max_cpu_loras);
    }
    if (ok && d->role != LP_DEPLOY_AGGREGATED)
        ok = kv_transfer(a, d);
    return ok;
}
