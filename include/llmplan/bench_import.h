/*
 * llmplan/bench_import.h - read what real vLLM runs wrote, to compare with llmplan and to
 * calibrate it: `vllm bench serve --save-result` JSON files (and the older
 * benchmarks/benchmark_serving.py files of the same key family), and vLLM start-up logs
 * (the memory and KV-cache lines).
 *
 * Reading is tolerant, as for the rest of llmplan: other spellings of a metric are accepted
 * (DESIGN §3: ttft_ms|ttft, itl_ms|itl, throughput|tps, max_concurrent_requests|
 * max_concurrent), a top-level key the reader does not know is listed in notes (result files
 * grow keys with every release and --metadata adds arbitrary ones), and the large per-request
 * arrays are skipped except input_lens / output_lens, which give the mean lengths.
 */
#ifndef LLMPLAN_BENCH_IMPORT_H
#define LLMPLAN_BENCH_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llmplan/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LP_BENCH_MAX_NOTES 24
#define LP_BENCH_NOTE_SIZE 160
#define LP_BENCH_MAX_PERCENTILES 8

/** One latency as the benchmark reports it, in ms (NaN where the file does not say). */
typedef struct {
    double mean, median, std;
    int n_percentiles;                              /**< pN_<metric>_ms keys read */
    double percentile[LP_BENCH_MAX_PERCENTILES];    /**< N: 90, 99, 99.9 ... ascending */
    double percentile_ms[LP_BENCH_MAX_PERCENTILES]; /**< the value at each */
} lp_bench_latency;

/** The value at percentile p (NaN when the file has no such key). */
double lp_bench_percentile(const lp_bench_latency *l, double p);

/** One benchmark result file. Numbers absent from the file are NaN (counts: -1). */
typedef struct {
    char date[32];
    char backend[32];
    char model_id[256];
    char tokenizer_id[256];
    int num_prompts;
    double request_rate; /**< req/s; INFINITY for "inf" (all at once) */
    double burstiness;
    int max_concurrency; /**< 0: not limited (null or absent) */
    double duration_s;
    int completed;
    int failed;
    int64_t total_input_tokens, total_output_tokens;
    double request_throughput, request_goodput, output_throughput, total_token_throughput;
    double input_throughput;
    lp_bench_latency ttft, tpot, itl, e2el;
    double mean_input_len, mean_output_len; /**< from input_lens/output_lens, else totals */
    bool lens_from_arrays;                  /**< the means came from the per-request arrays */
    char notes[LP_BENCH_MAX_NOTES][LP_BENCH_NOTE_SIZE]; /**< unknown keys, aliases read */
    int n_notes;
} lp_bench_result;

/**
 * Parse a result file's text (text[0..len), no NUL needed); name is used in messages.
 * NaN and Infinity (which Python's json module writes for empty statistics) are read as
 * absent, with a note. Errors: LP_ERR_PARSE for text that is not a JSON object (the message
 * gives line and column), LP_ERR_INVALID_ARG for a known key with a value of the wrong type
 * (the message names the key), LP_ERR_MISSING_FIELD when the file has no metric at all.
 */
lp_status lp_bench_result_parse(const char *text, size_t len, const char *name,
                                lp_bench_result *out, lp_error *err);

/** Read and parse a result file. Errors as lp_bench_result_parse, plus LP_ERR_IO. */
lp_status lp_bench_result_load(const char *path, lp_bench_result *out, lp_error *err);

/** What a vLLM start-up log says about memory (NaN / -1 where it does not say). GiB = 2^30 B. */
typedef struct {
    double weights_gib;             /**< "Model loading took X GiB" / "model weights take X" */
    double activation_gib;          /**< "PyTorch activation peak memory" / "torch peak memory
                                         increase" */
    double non_torch_gib;           /**< "non-torch ... X GiB" / "non_torch_memory takes X" */
    double cuda_graph_gib;          /**< "Estimated CUDA graph memory: X GiB" / "Graph capturing
                                         finished in N secs, took X GiB" */
    double kv_cache_gib;            /**< "Available KV cache memory: X GiB" / "reserved for KV
                                         Cache is X" */
    double total_gib;               /**< "total_gpu_memory (X GiB)" / "Free memory on device (a/X
                                         GiB)" */
    double gpu_memory_utilization;  /**< "gpu_memory_utilization (X)" */
    int64_t kv_tokens;              /**< "GPU KV cache size: N tokens" */
    int64_t gpu_blocks;             /**< "# GPU blocks: N" */
    double max_concurrency;         /**< "Maximum concurrency for N tokens per request: Xx" */
    int64_t max_concurrency_tokens; /**< the N of that line */
    int lines_matched;              /**< lines that gave at least one value */
    bool failed;                    /**< the start-up failed: an exception was logged, or the
                                         available KV cache memory was negative */
    char error[512];                /**< vLLM's own error line ("ValueError: No available
                                         memory for the cache blocks. ..."); empty if none */
    char notes[LP_BENCH_MAX_NOTES][LP_BENCH_NOTE_SIZE]; /**< what was found, line by line */
    int n_notes;
} lp_startup_log;

/**
 * Scan a start-up log's text for the memory lines above (any prefix: timestamps, process
 * tags, ANSI colours; GB read as the GiB vLLM means by it; numbers with thousands
 * separators). A value logged several times (one line per worker) keeps the last; notes say
 * which lines were used. A failed start-up (an exception such as "ValueError: No available
 * memory for the cache blocks", or a negative KV pool) sets failed and error, and is read
 * even when no memory line precedes it. Errors: LP_ERR_MISSING_FIELD when no line matched
 * and no failure was logged.
 */
lp_status lp_startup_log_parse(const char *text, size_t len, const char *name, lp_startup_log *out,
                               lp_error *err);

/** Read and scan a log file. Errors as lp_startup_log_parse, plus LP_ERR_IO. */
lp_status lp_startup_log_load(const char *path, lp_startup_log *out, lp_error *err);

#ifdef __cplusplus
}
#endif

#endif
