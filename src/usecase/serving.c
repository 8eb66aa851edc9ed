/*
 * serving.c - the rule every front end applies to a GPU count (--num-gpus, "num_gpus"):
 * alone it means tensor parallelism over all of them, as users usually mean it; beside a
 * tensor-parallel size the rest are data-parallel replicas; beside every size it must agree.
 */
#include "llmplan/usecase.h"

lp_status lp_serving_apply_num_gpus(lp_serving *s, int64_t num_gpus, bool tp_given, bool dp_given,
                                    lp_error *err) {
    if (num_gpus == 0)
        return LP_OK;
    if (num_gpus < 0 || num_gpus > LP_MAX_NUM_GPUS)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "num_gpus must be between 1 and %d",
                            LP_MAX_NUM_GPUS);
    int64_t tp = s->tensor_parallel_size > 0 ? s->tensor_parallel_size : 1;
    int64_t pp = s->pipeline_parallel_size > 0 ? s->pipeline_parallel_size : 1;
    int64_t dp = s->data_parallel_size > 0 ? s->data_parallel_size : 1;
    if (tp_given && dp_given) {
        /* every size given: the count can only agree with them (vLLM takes the sizes) */
        if (tp * pp * dp != num_gpus)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "num_gpus %lld disagrees with tensor x pipeline x data parallel "
                                "sizes %lld x %lld x %lld = %lld GPUs: give the sizes alone (as "
                                "vllm serve takes them), or make them agree",
                                (long long)num_gpus, (long long)tp, (long long)pp, (long long)dp,
                                (long long)(tp * pp * dp));
        return LP_OK;
    }
    if (!tp_given) {
        /* tensor parallelism over what the pipeline and data-parallel sizes leave */
        if (num_gpus % (pp * dp) != 0)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "num_gpus %lld is not a multiple of pipeline_parallel_size x "
                                "data_parallel_size = %lld x %lld",
                                (long long)num_gpus, (long long)pp, (long long)dp);
        s->tensor_parallel_size = (int)(num_gpus / (pp * dp));
        return LP_OK;
    }
    if (num_gpus % (tp * pp) != 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "num_gpus %lld is not a multiple of tp x pp = %lld; the rest would be "
                            "data-parallel replicas",
                            (long long)num_gpus, (long long)(tp * pp));
    s->data_parallel_size = (int)(num_gpus / (tp * pp));
    return LP_OK;
}
