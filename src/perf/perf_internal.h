/*
 * perf_internal.h - the pieces of src/perf/ behind lp_estimate_performance: one function per
 * method, the length distributions and the random generator they share. Not public API.
 */
#ifndef LP_PERF_INTERNAL_H
#define LP_PERF_INTERNAL_H

#include <stdint.h>

#include "llmplan/perf.h"

/**
 * Everything lp_estimate_performance does before a method runs: resolve the GPU and the model
 * (model_buf is scratch for one loaded by id), turn num_gpus into replicas, plan the memory
 * (LP_ERR_INFEASIBLE when it does not fit), prepare the step model and apply
 * req->efficiency. est (may be NULL) receives the assumptions. Shared with calibration, which
 * prepares each point once and evaluates many efficiencies.
 */
lp_status lp_perf_prepare(const lp_perf_request *req, lp_model *model_buf, lp_step_model *sm,
                          int *replicas, const lp_gpu **gpu_out, lp_perf_estimate *est,
                          lp_error *err);

/**
 * Roofline method: the steady state of the workload solved analytically on the step model.
 * Fills out (valid, latencies as means = medians, throughputs, bottlenecks, ranges).
 */
void lp_perf_roofline(const lp_step_model *sm, const lp_perf_request *req, int replicas,
                      lp_perf_estimate *out);

/** The roofline without its assumption texts: the fast path of searches and benchmarks. */
void lp_perf_roofline_quiet(const lp_step_model *sm, const lp_perf_request *req, int replicas,
                            lp_perf_estimate *out);

/**
 * Simulation method: discrete-event simulation of vLLM's scheduler on the step model, with
 * the statistics of `vllm bench serve`. Returns LP_OK or an error for impossible workloads.
 */
lp_status lp_perf_simulate(const lp_step_model *sm, const lp_perf_request *req, int replicas,
                           lp_perf_estimate *out, lp_error *err);

/**
 * Heuristic method (the quick one of the original design): needs only params_b and a GPU.
 * model may be NULL (then params_b is used).
 */
lp_status lp_perf_heuristic(const lp_perf_request *req, const lp_model *model, const lp_gpu *gpu,
                            lp_perf_estimate *out, lp_error *err);

#endif
