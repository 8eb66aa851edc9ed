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

#include <stdbool.h>
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
    char prefill_gpu[LP_PERF_IO_STRING_SIZE]; /**< disaggregated pools' GPU names */
    char decode_gpu[LP_PERF_IO_STRING_SIZE];
} lp_perf_io_strings;

/* ---- Setting request fields one by one (every reader: JSON lines, the HTTP API, Python) ---- */

/** The kind of a field value, as a reader found it. */
typedef enum {
    LP_VALUE_NULL = 0,
    LP_VALUE_BOOL,
    LP_VALUE_INT,    /**< an integer literal */
    LP_VALUE_NUMBER, /**< a number with a fraction or an exponent */
    LP_VALUE_STRING, /**< UTF-8 text: string[0..len) */
    LP_VALUE_OTHER   /**< anything else (an array, an object): a type error for every field */
} lp_value_kind;

/** One field value. Only the member of its kind is read. */
typedef struct {
    lp_value_kind kind;
    bool boolean;
    long long integer;
    double number;
    const char *string; /**< NUL-ended at string[len] when the reader keeps no storage */
    size_t len;
} lp_value;

/** Upper bound on the distinct settings a request has (each with any number of names). */
#define LP_PERF_REQUEST_FIELDS 32

/** The state of reading one request: where it goes and which settings were given already. */
typedef struct {
    lp_perf_request *request;
    lp_perf_io_strings *storage;
    const char *given[LP_PERF_REQUEST_FIELDS]; /**< the name each setting was given under */
} lp_perf_request_reader;

/**
 * Start reading into r: r is reset with lp_perf_request_init. storage receives copies of the
 * request's strings; NULL makes the request point at the callers' string values instead
 * (NUL-ended, and they must outlive r).
 */
void lp_perf_request_reader_init(lp_perf_request_reader *rd, lp_perf_request *r,
                                 lp_perf_io_strings *storage);

/** The setting a field name stands for (any accepted name, see below), or -1 for none. */
int lp_perf_request_field(const char *name);

/**
 * Set one field, checking its type and range exactly as the JSON reader does (it is the JSON
 * reader's own code): LP_ERR_INVALID_ARG naming key for an unknown name (field -1), a setting
 * given twice under two names, a wrong type or a value out of range. field is what
 * lp_perf_request_field returned for key (callers that see one name often may keep it).
 */
lp_status lp_perf_request_set_field(lp_perf_request_reader *rd, int field, const char *key,
                                    const lp_value *v, lp_error *err);

/** lp_perf_request_set_field with the field looked up from key. */
lp_status lp_perf_request_set(lp_perf_request_reader *rd, const char *key, const lp_value *v,
                              lp_error *err);

/**
 * Finish reading once every field is set: what depends on several fields together (a
 * ShareGPT-like data set takes the lengths given as its means). Every reader calls it last.
 */
lp_status lp_perf_request_reader_finish(lp_perf_request_reader *rd, lp_error *err);

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
 *   dataset_name|dataset ("random", "sharegpt": then input/output lengths are the means of
 *   the ShareGPT-like preset unless given, or "prefix_repetition"), and the serving-mode and
 *   shared-prefix fields of src/common/modes_json.h (enable_prefix_caching, speculative_config,
 *   acceptance_rate, enable_lora, max_loras, max_lora_rank, max_cpu_loras, disaggregation,
 *   prefill/decode_tensor_parallel_size, prefill_gpu, decode_gpu, kv_connector,
 *   random_prefix_len, prefix_repetition_*, num_turns, lora_modules).
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
