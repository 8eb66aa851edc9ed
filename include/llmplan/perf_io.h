/*
 * llmplan/perf_io.h - reading performance requests from text: one JSON object per line of a
 * `llmplan estimate --batch FILE.jsonl` file.
 *
 * The reader is tolerant of the field names other planners use (DESIGN §3) and strict about
 * everything else: an unknown field, a field given twice under two names, or a value of the
 * wrong type is an error that names the field.
 */
#ifndef LLMPLAN_PERF_IO_H
#define LLMPLAN_PERF_IO_H

#include <stddef.h>

#include "llmplan/perf.h"
#include "llmplan/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Size of each string buffer in lp_perf_io_strings (longer values are an error). */
#define LP_PERF_IO_STRING_SIZE 512

/**
 * Caller-provided storage for the strings of one parsed request: the request's const char *
 * fields point into it, so it must live as long as the request.
 */
typedef struct {
    char model_id[LP_PERF_IO_STRING_SIZE];
    char gpu_name[LP_PERF_IO_STRING_SIZE];
    char quantization[LP_PERF_IO_STRING_SIZE];
} lp_perf_io_strings;

/**
 * Parse one JSON object (line[0..len), no NUL needed) into *out, which is first reset with
 * lp_perf_request_init (fields not given keep those defaults). Accepted fields, with aliases:
 *   gpu_name|gpu_type|gpu (string), num_gpus|num_gpu (integer),
 *   tp_size|tp_degree|tensor_parallel_size, pp_size|pipeline_parallel_size,
 *   dp_size|data_parallel_size (integers),
 *   input_length|input_len|prompt_tokens|random_input_len,
 *   output_length|output_len|random_output_len (integers, fixed lengths),
 *   context_len|max_model_len (integer), model_id|model (string), params_b (number),
 *   quantization (string or null), interconnect ("nvlink", "pcie", "unknown"),
 *   concurrency|max_concurrency (integer), request_rate (number, or "inf"),
 *   num_prompts (integer), method ("heuristic", "roofline", "simulate"),
 *   kv_cache_dtype, dtype (strings: auto, bfloat16, fp8, ...), max_num_seqs,
 *   max_num_batched_tokens, block_size (integers), gpu_memory_utilization (number),
 *   enable_expert_parallel, enforce_eager (booleans), seed (non-negative integer),
 *   dataset_name|dataset ("random" or "sharegpt": then input/output lengths are the means of
 *   the ShareGPT-like preset, 202 / 179 unless given).
 * Integers may be written as 4 or 4.0, not as strings. Returns LP_OK, LP_ERR_PARSE for text
 * that is not a JSON object (the message gives the column), or LP_ERR_INVALID_ARG for an
 * unknown field, a duplicate, a wrong type or an out-of-range value (the message names the
 * field). Values are not checked against each other here; lp_estimate_performance does that.
 */
lp_status lp_perf_request_from_json(const char *line, size_t len, lp_perf_request *out,
                                    lp_perf_io_strings *storage, lp_error *err);

#ifdef __cplusplus
}
#endif

#endif
