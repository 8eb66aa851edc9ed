/*
 * llmplan/llmplan.h - the whole public API of libllmplan in one include.
 *
 * Data flow: model source -> lp_model (model.h); GPU name -> lp_gpu (hw.h); vLLM flags ->
 * lp_serving (mem.h); lp_mem_plan_compute -> lp_mem_plan; render.h formats results;
 * validate.h compares llmplan with published vLLM logs.
 */
#ifndef LLMPLAN_LLMPLAN_H
#define LLMPLAN_LLMPLAN_H

#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/render.h"
#include "llmplan/status.h"
#include "llmplan/validate.h"

#endif
