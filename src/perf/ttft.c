/*
 * ttft.c - the waits before a request's first token, as the analytic methods (roofline,
 * heuristic) compose them; the simulation (simulate.c) lives them event by event instead.
 *
 * vLLM's engine runs steps back to back: a request that arrives while others are being served
 * joins at the next step, so it first waits for the step in progress (half of one, on average,
 * for arrivals at random times); its prompt then runs in its own prefill steps. When more
 * requests are offered than the engine admits (max-num-seqs, the KV cache, or a rate above what
 * it serves), requests wait in the scheduler's queue first. The API server adds its time per
 * request on both sides of the engine (HTTP, tokenization, detokenization), fitted once for the
 * simulation and reused here. This file holds only those rules; the step times come from each
 * method's own model of a step.
 */
#include "perf/perf_internal.h"

double lp_ttft_step_wait_s(double step_s, bool busy) {
    return busy ? 0.5 * step_s : 0;
}

double lp_ttft_api_s(void) {
    lp_sim_frontend fe;
    lp_sim_frontend_default(&fe);
    return fe.api_ingress_s + fe.api_egress_s;
}

double lp_queue_wait_closed_s(double clients, double cap, double service_s) {
    return (clients / cap - 1.0) * service_s;
}

double lp_queue_wait_backlog_s(double n, double served_rps, double offered_rps) {
    return 0.5 * n * (1.0 / served_rps - 1.0 / offered_rps);
}

double lp_queue_wait_waves_s(double n, double c, double service_s) {
    return 0.5 * (n / c - 1.0) * service_s;
}
