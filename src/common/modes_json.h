/*
 * modes_json.h - the request fields of the serving modes (prefix caching, speculative
 * decoding, LoRA, disaggregated prefill/decode) and of shared-prefix workloads, read once for
 * every JSON reader (the --batch line reader and the use cases' readers), spelled as vLLM's
 * Python arguments and `vllm bench serve`'s flags. Private to src/.
 */
#ifndef LP_COMMON_MODES_JSON_H
#define LP_COMMON_MODES_JSON_H

#include <jansson.h>

#include "llmplan/mem.h"
#include "llmplan/workload.h"

/** The engine-argument fields of the modes, for a reader's accepted-field list. */
#define LP_JSON_MODE_SERVING_FIELDS                                                                \
    "enable_prefix_caching", "speculative_config", "acceptance_rate", "enable_lora", "max_loras",  \
        "max_lora_rank", "max_cpu_loras", "disaggregation", "prefill_tensor_parallel_size",        \
        "decode_tensor_parallel_size", "kv_connector", "prefill_gpu", "decode_gpu"

/** The workload fields of shared prefixes, conversations and adapters. */
#define LP_JSON_MODE_WORKLOAD_FIELDS                                                               \
    "random_prefix_len", "prefix_repetition_prefix_len", "prefix_repetition_suffix_len",           \
        "prefix_repetition_num_prefixes", "prefix_repetition_output_len", "num_turns",             \
        "lora_modules", "burstiness", "sharegpt_output_len"

/** Whether name is one of the fields above (either list). */
bool lp_json_is_mode_field(const char *name);

/** The GPU names of a disaggregated request's pools (pointing into the object read). */
typedef struct {
    const char *prefill_gpu, *decode_gpu;
} lp_json_pool_names;

/**
 * The mode engine arguments of o into s: "enable_prefix_caching" (false:
 * --no-enable-prefix-caching), "speculative_config" (an object, or a string holding one, as
 * vLLM's flag takes it), "acceptance_rate", "enable_lora", "max_loras", "max_lora_rank",
 * "max_cpu_loras", "disaggregation" ("1P1D"), "prefill_tensor_parallel_size",
 * "decode_tensor_parallel_size", "kv_connector"; the pool GPU names into *names (resolved by
 * the caller). LP_ERR_INVALID_ARG naming the field.
 */
lp_status lp_json_read_mode_serving(json_t *o, lp_serving *s, lp_json_pool_names *names,
                                    lp_error *err);

/**
 * The mode workload fields of o into w, after its data set and lengths are read:
 * "random_prefix_len" (random data set: added to the prompt), the "prefix_repetition_*" fields
 * (with "dataset_name": "prefix_repetition"), "num_turns", "lora_modules" (a count, or an array
 * or comma-separated string of names), "burstiness" (a number above 0 or "inf"),
 * "sharegpt_output_len" (with "dataset_name": "sharegpt" and no output length).
 * LP_ERR_INVALID_ARG naming the field.
 */
lp_status lp_json_read_mode_workload(json_t *o, lp_workload *w, lp_error *err);

#endif
