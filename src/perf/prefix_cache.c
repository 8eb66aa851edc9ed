/*
 * prefix_cache.c - the prefix cache of the simulation: which requests share leading KV
 * blocks, and how many of those blocks are still valid when a request is admitted.
 *
 * vLLM V1 hashes every full block of a prompt as a chain (vllm/v1/core/kv_cache_utils.py
 * hash_block_tokens: each block's hash covers its parent's hash and its own tokens), so two
 * prompts share exactly the full blocks of their common prefix: a shared prefix of P tokens
 * is floor(P / block_size) blocks, and the block holding the prefix's end (mixed with the
 * request's own tokens) is never shared. Here each shared prefix is one chain of those
 * blocks, kept with
 *  - refs: running requests holding it (KVCacheBlock.ref_cnt); while refs > 0 it stays in
 *    use and every new request with that prefix hits all of it;
 *  - cached: its leading blocks still valid. When the last holder finishes or is preempted
 *    the chain goes to the tail of the pool's free queue (BlockPool.free_blocks; the request's
 *    own blocks go before it, as KVCacheManager.free frees tail first), and blocks handed out
 *    from the queue's head lose their hash (BlockPool._maybe_evict_cached_block), the chain's
 *    last blocks first. A request finds only the leading cached blocks
 *    (KVCacheManager.get_computed_blocks stops at the first miss) and computes the rest.
 * A multi-turn conversation is a chain too: each answered turn appends its full blocks (prompt
 * and answer) to its conversation's chain, which the next turn's prompt starts with.
 * The free queue itself lives in simulate.c; this file keeps the chains, the assignment of
 * requests to prefixes and the hit counts (vLLM's PrefixCacheStats: queries and hits in
 * tokens). It deliberately does not model hits between unrelated prompts (random tokens share
 * no block) or the first blocks being cached one chunk early (a chain counts as computed from
 * the step its first holder is admitted; vLLM caches a block when the step that fills it is
 * scheduled, which is the same step unless the prefix spans several chunks).
 */
#include <stdlib.h>
#include <string.h>

#include "perf/perf_internal.h"

/* Seed offset of the prefix assignment, so that drawing it leaves the length draws alone. */
#define LP_PC_SHUFFLE_SEED 0x9e3779b97f4a7c15ULL

lp_status lp_prefix_cache_init(lp_prefix_cache *pc, const lp_workload *w, int block_tokens,
                               int n_requests, int32_t *chain_of, lp_error *err) {
    memset(pc, 0, sizeof *pc);
    for (int i = 0; i < n_requests; i++)
        chain_of[i] = -1;
    if (block_tokens < 1)
        return LP_OK;
    if (w->num_turns > 1) {
        /* one chain per conversation, empty until its first turn is answered; request i is
         * turn i / C of conversation i mod C (simulate.c's order) */
        int conversations = (n_requests + w->num_turns - 1) / w->num_turns;
        pc->chains = calloc((size_t)conversations, sizeof *pc->chains);
        if (!pc->chains)
            return lp_error_set(err, LP_ERR_NOMEM, "simulate: out of memory for %d conversations",
                                conversations);
        pc->n_chains = conversations;
        for (int c = 0; c < conversations; c++)
            pc->chains[c].segment = -1;
        for (int i = 0; i < n_requests; i++)
            chain_of[i] = i % conversations;
        return LP_OK;
    }
    if (w->prefix_len < block_tokens)
        return LP_OK; /* no full block shared: nothing to cache across requests */
    int chains = w->num_prefixes > 1 ? w->num_prefixes : 1;
    if (chains > n_requests)
        chains = n_requests;
    pc->chains = calloc((size_t)chains, sizeof *pc->chains);
    if (!pc->chains)
        return lp_error_set(err, LP_ERR_NOMEM, "simulate: out of memory for %d prefixes", chains);
    pc->n_chains = chains;
    for (int c = 0; c < chains; c++) {
        pc->chains[c].len = w->prefix_len / block_tokens;
        pc->chains[c].segment = -1;
    }
    /* PrefixRepetitionRandomDataset.sample makes num_requests / num_prefixes prompts of each
     * prefix, then shuffles them (random.shuffle): request i gets prefix i mod P, shuffled
     * (Fisher-Yates) with a generator of its own. */
    for (int i = 0; i < n_requests; i++)
        chain_of[i] = i % chains;
    lp_rng rng;
    lp_rng_seed(&rng, w->seed ^ LP_PC_SHUFFLE_SEED);
    for (int i = n_requests - 1; i > 0; i--) {
        int j = (int)(lp_rng_uniform(&rng) * (i + 1));
        if (j > i)
            j = i;
        int32_t t = chain_of[i];
        chain_of[i] = chain_of[j];
        chain_of[j] = t;
    }
    return LP_OK;
}

void lp_prefix_cache_free(lp_prefix_cache *pc) {
    free(pc->chains);
    memset(pc, 0, sizeof *pc);
}

int32_t lp_prefix_cache_hit_blocks(const lp_prefix_cache *pc, int32_t chain) {
    if (chain < 0 || chain >= pc->n_chains)
        return 0;
    const lp_pc_chain *c = &pc->chains[chain];
    return c->refs > 0 ? c->len : c->cached;
}

int32_t lp_prefix_cache_acquire(lp_prefix_cache *pc, int32_t chain, int32_t *from_queue) {
    lp_pc_chain *c = &pc->chains[chain];
    /* a chain nobody holds: its cached blocks leave the free queue, the rest are allocated
     * and computed by this request; a held chain costs nothing more */
    int32_t new_blocks = c->refs > 0 ? 0 : c->len;
    *from_queue = c->refs > 0 ? 0 : c->cached;
    c->refs++;
    c->cached = c->len;
    return new_blocks;
}

bool lp_prefix_cache_release(lp_prefix_cache *pc, int32_t chain) {
    lp_pc_chain *c = &pc->chains[chain];
    c->refs--;
    return c->refs == 0;
}

void lp_prefix_cache_extend(lp_prefix_cache *pc, int32_t chain, int32_t blocks) {
    lp_pc_chain *c = &pc->chains[chain];
    c->len += blocks;
    c->cached = c->len;
}

void lp_prefix_cache_count(lp_prefix_cache *pc, double query_tokens, double hit_tokens) {
    pc->query_tokens += query_tokens;
    pc->hit_tokens += hit_tokens;
}

double lp_prefix_cache_hit_rate(const lp_prefix_cache *pc) {
    return pc->query_tokens > 0 ? pc->hit_tokens / pc->query_tokens : 0.0;
}
