/*
 * json_objects.h - the JSON objects of one plan and one estimate, for the writers that nest
 * them (explain). Private to src/render.
 */
#ifndef LP_RENDER_JSON_OBJECTS_H
#define LP_RENDER_JSON_OBJECTS_H

#include <jansson.h>

#include "common/json_emit.h"

#include "llmplan/mem.h"
#include "llmplan/perf.h"

/** The object `llmplan plan --json` prints (a new reference; NULL when out of memory). */
json_t *lp_render_plan_object(const lp_model *m, const lp_gpu *gpu, const lp_mem_plan *p);

/** The "modes" object of a plan: prefix caching, the drafter and the LoRA slots (modes_json.c). */
json_t *lp_render_plan_modes(const lp_mem_plan *p);

/** The "modes" object of an estimate: prefix-cache hit rate, speculative decoding's
 *  acceptance, speed-up and crossover, ... (modes_json.c). */
void lp_render_estimate_modes(lp_json_emit *w, const lp_perf_estimate *e);

/** The object `llmplan estimate --json` prints for req and e, before the use case's own keys
 *  (line > 0 adds "line"). A new reference; NULL when out of memory. */
json_t *lp_render_estimate_object(const lp_perf_request *req, const lp_perf_estimate *e, long line);

#endif
