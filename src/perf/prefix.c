/*
 * prefix.c - prefix caching in the steady state: how many prompt tokens of a request vLLM
 * serves from its prefix cache instead of computing them, for workloads whose prompts share a
 * prefix (`vllm bench serve --random-prefix-len`, `--dataset-name prefix_repetition`).
 *
 * Mechanisms, from vLLM's V1 engine:
 * - Only full blocks are hashed and looked up, and the last prompt token is always computed
 *   (vllm/v1/core/kv_cache_manager.py KVCacheManager.get_computed_blocks: max_cache_hit_length
 *   = request.num_tokens - 1; vllm/v1/core/kv_cache_utils.py hash_request_tokens hashes full
 *   blocks only): a hit covers floor(min(prefix, prompt - 1) / block_size) blocks.
 * - A block is cached as soon as it is allocated for computation (KVCacheManager.allocate_slots
 *   -> cache_blocks), so requests scheduled after the first one with a prefix, even in the same
 *   step, hit it: each distinct prefix misses once per run. `vllm bench serve` sends its first
 *   prompt once before measuring (the initial test run), so that prefix is warm.
 * - Freed blocks keep their hash and are evicted least recently used first when the pool needs
 *   room (vllm/v1/core/block_pool.py FreeKVCacheBlockQueue, get_new_blocks); blocks of running
 *   requests are never evicted. With P prefixes of B cached tokens and R running requests
 *   holding U tokens of their own each (R at most what the KV cache holds), the running
 *   requests pin the P (1 - (1 - 1/P)^R) distinct prefixes they use (requests pick prefixes
 *   uniformly); the pool's remaining room keeps others, so the fraction of prefixes found is
 *   (pinned x B + room) / (P x B), at most 1.
 * It does not model cascade attention (vLLM reads a long common prefix once per step for all
 * requests that share it), hits between unrelated prompts, or the CPU offloading connectors.
 */
#include <math.h>
#include <string.h>

#include "perf/perf_internal.h"

void lp_prefix_hits(const lp_step_model *sm, const lp_perf_request *req, double running,
                    lp_prefix_state *out) {
    memset(out, 0, sizeof *out);
    const lp_workload *w = &req->workload;
    out->on = !req->serving.enable_prefix_caching_off;
    if (!out->on || w->prefix_len <= 0)
        return;
    const double in = lp_len_mean(&w->input), outl = lp_len_mean(&w->output);
    const double block = sm->kv_block_size > 0 ? sm->kv_block_size : 16;
    double usable = fmin((double)w->prefix_len, in - 1.0);
    double cached = usable > 0 ? floor(usable / block) * block : 0;
    if (cached <= 0)
        return;
    const double prefixes = w->num_prefixes > 1 ? w->num_prefixes : 1;
    const double n = w->num_prompts > 0 ? w->num_prompts : 1;
    /* first use of each prefix computes it; the warm-up request made one warm */
    out->cold_share = fmin(1.0, (prefixes - 1.0) / n);
    /* running requests pin the prefixes they use; the rest of the pool keeps others (LRU) */
    double own = in - cached + outl / 2.0; /* tokens a running request holds alone */
    double r = fmax(1.0, fmin(running, sm->kv_capacity_tokens / own));
    double pinned = prefixes * (1.0 - pow(1.0 - 1.0 / prefixes, r));
    double room = fmax(sm->kv_capacity_tokens - r * own - pinned * cached, 0.0);
    out->kept = fmin(1.0, (pinned * cached + room) / (prefixes * cached));
    out->cached_tokens = cached;
    out->hit_tokens = cached * out->kept * (1.0 - out->cold_share);
    out->shared_tokens = prefixes * cached * out->kept;
    out->hit_rate = in > 0 ? out->hit_tokens / in : 0;
}
