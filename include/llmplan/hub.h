/*
 * llmplan/hub.h - read a model's config.json and exact parameter counts from the Hugging Face
 * Hub without downloading its weights.
 *
 * lp_hub_load fetches {endpoint}/{org}/{name}/resolve/{revision}/config.json, the
 * model.safetensors.index.json (or the single model.safetensors), and only the 8 + N header
 * bytes of every safetensors shard through HTTP range requests; it stores what it fetched in
 * the standard Hugging Face cache layout, so that a later offline run (and Python tools) find
 * it. The environment is read as huggingface_hub reads it: HF_ENDPOINT, HF_TOKEN,
 * HUGGING_FACE_HUB_TOKEN, HF_TOKEN_PATH, HF_HOME, HF_HUB_CACHE, HF_HUB_OFFLINE; proxies come
 * from libcurl's usual variables (https_proxy, no_proxy, ...).
 *
 * The network part needs libcurl: in a build without it every call that would reach the Hub
 * returns LP_ERR_UNSUPPORTED with a sentence saying so (lp_hub_available() tells in advance).
 */
#ifndef LLMPLAN_HUB_H
#define LLMPLAN_HUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llmplan/model.h"
#include "llmplan/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The Hub's address when $HF_ENDPOINT is unset (huggingface_hub constants.py). */
#define LP_HUB_DEFAULT_ENDPOINT "https://huggingface.co"

/** What one lp_hub_load did, for reports and tests. All counts are of this call only. */
typedef struct {
    char endpoint[256];   /**< the endpoint used (no trailing '/') */
    char revision[128];   /**< the revision asked for ("main" by default) */
    char commit[128];     /**< commit from X-Repo-Commit, else the revision */
    char snapshot[1024];  /**< cache snapshot directory written ("" when the write failed) */
    int64_t requests;     /**< HTTP requests made, retries included (redirects not counted) */
    int64_t retries;      /**< requests repeated after a 5xx answer or a timeout */
    int64_t files;        /**< whole files fetched (config.json, index, generation config) */
    int64_t shards;       /**< safetensors shards whose header was read */
    int64_t header_bytes; /**< safetensors bytes received: 8 + N per shard, never more */
    int64_t body_bytes;   /**< all response body bytes received */
    bool offline;         /**< HF_HUB_OFFLINE was set: answered from the cache, no network */
    bool reached;         /**< an HTTP answer came back (false: DNS, connect or proxy failure) */
    bool cache_written;   /**< config.json and refs were stored in the cache */
} lp_hub_fetch_info;

/**
 * Progress of one lp_hub_load: shards whose safetensors header was read of the index's total,
 * and body bytes received so far. Called before each shard and once at the end.
 */
typedef void (*lp_hub_progress_fn)(void *ctx, const char *id, int64_t shards_done,
                                   int64_t shards_total, int64_t bytes);

/**
 * Set the process-wide progress hook of Hub loads (NULL: none). For a front end that shows
 * progress (the CLI on a terminal); not thread-safe against loads in flight.
 */
void lp_hub_set_progress(lp_hub_progress_fn fn, void *ctx);

/** True when this build can reach the Hub (it was built with libcurl). */
bool lp_hub_available(void);

/**
 * True when $HF_HUB_OFFLINE is set to a true value ("1", "ON", "YES", "TRUE", any case), as
 * huggingface_hub's constants._is_true reads it: then nothing is fetched.
 */
bool lp_hub_offline(void);

/**
 * The endpoint: $HF_ENDPOINT without trailing '/', else LP_HUB_DEFAULT_ENDPOINT, into out.
 * Returns out.
 */
const char *lp_hub_endpoint(char *out, size_t size);

/**
 * The access token as huggingface_hub finds it: $HF_TOKEN, else $HUGGING_FACE_HUB_TOKEN,
 * else the file `huggingface-cli login` writes ($HF_TOKEN_PATH, else $HF_HOME/token, else
 * ~/.cache/huggingface/token), whitespace trimmed. False (and out = "") when there is none.
 */
bool lp_hub_token(char *out, size_t size);

/**
 * The Hugging Face hub cache directory: opts->hf_hub_cache, $HF_HUB_CACHE,
 * $HUGGINGFACE_HUB_CACHE, else (opts->hf_home or $HF_HOME or $XDG_CACHE_HOME/huggingface or
 * ~/.cache/huggingface)/hub. opts may be NULL. Defined in source.c, shared with it.
 */
lp_status lp_hub_cache_dir(const lp_model_load_opts *opts, char *out, size_t size, lp_error *err);

/**
 * Fetch model id ("org/name") from the Hub and fill out, as lp_model_load does for a model
 * directory: source "hub", params_exact from the remote safetensors headers, notes saying
 * what was fetched. opts (may be NULL) give the revision (default "main"), cache overrides
 * and no_safetensors; info (may be NULL) receives what was done.
 *
 * With HF_HUB_OFFLINE set, nothing is fetched: the cached snapshot is read, or
 * LP_ERR_NOT_FOUND says the cache lacks the model. A failure to write the cache is a note,
 * not an error.
 *
 * Errors, one sentence each: LP_ERR_INVALID_ARG (not an "org/name" id), LP_ERR_NOT_FOUND
 * (404 or gated/private repository: 401/403; the message names the closest catalog ids, or
 * tells how to get access), LP_ERR_IO (timeouts, DNS, refused connections, a server that
 * ignores range requests), LP_ERR_PARSE (malformed JSON or safetensors header, naming the
 * URL), LP_ERR_UNSUPPORTED (built without libcurl).
 */
lp_status lp_hub_load(const char *id, const lp_model_load_opts *opts, lp_hub_fetch_info *info,
                      lp_model *out, lp_error *err);

/**
 * Replace m's architecture parameter counts with those of safetensors headers (params_exact,
 * checkpoint_bytes, MTP and vision elements) and note the difference. Defined in source.c;
 * used there for local directories and by lp_hub_load for remote headers.
 */
void lp_model_apply_safetensors(lp_model *m, const lp_st_summary *sum);

/**
 * Counts of safetensors headers that lp_hub_load read for snapshot_dir (a
 * models--ORG--NAME/snapshots/COMMIT directory it wrote), from the small record it keeps
 * beside the snapshot (models--ORG--NAME/.llmplan/safetensors-COMMIT.json), so an offline
 * run stays exact without the weights. LP_ERR_NOT_FOUND when there is no record.
 */
lp_status lp_hub_cache_read_summary(const char *snapshot_dir, lp_st_summary *sum, lp_error *err);

#ifdef __cplusplus
}
#endif

#endif
