/*
 * llmplan/llmplan.h - the whole public API of libllmplan in one include.
 *
 * Data flow (docs/architecture.md draws it):
 *   model source (catalog id, config.json, directory, HF cache, Hub) -> lp_model   model.h, hub.h
 *   GPU name or this machine's GPUs            -> lp_gpu, lp_cluster             hw.h, detect.h
 *   vLLM flags                                 -> lp_serving                     mem.h
 *   lp_model x lp_gpu x lp_serving -> lp_mem_plan (vLLM's start-up memory arithmetic)  mem.h
 *   + lp_workload (workload.h) -> lp_perf_estimate (heuristic, roofline, simulate)  perf.h
 *   + latency targets -> ranked configurations (recommend)                        search.h
 *   a day of load -> replicas per interval for a configuration              load_profile.h
 *   the questions answered once each (plan, ...), for every front end            usecase.h
 *   results -> terminal tables, JSON, reports, deployment files    render.h, report.h, artifacts.h
 * Around them: real vLLM results read back (bench_import.h), calibration of the step model
 * (calibrate.h), comparison with published measurements (validate.h), limits on the work of
 * one call (budget.h), the local web planner and its JSON API (web.h), status codes
 * (status.h) and the version (version.h).
 *
 * Build against the installed library with `pkg-config --cflags --libs llmplan`; examples/
 * has a complete program.
 */
#ifndef LLMPLAN_LLMPLAN_H
#define LLMPLAN_LLMPLAN_H

#include "llmplan/artifacts.h"
#include "llmplan/bands.h"
#include "llmplan/bench_import.h"
#include "llmplan/budget.h"
#include "llmplan/calibrate.h"
#include "llmplan/detect.h"
#include "llmplan/hub.h"
#include "llmplan/hw.h"
#include "llmplan/load_profile.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"
#include "llmplan/perf.h"
#include "llmplan/perf_io.h"
#include "llmplan/render.h"
#include "llmplan/report.h"
#include "llmplan/search.h"
#include "llmplan/status.h"
#include "llmplan/usecase.h"
#include "llmplan/validate.h"
#include "llmplan/version.h"
#include "llmplan/web.h"
#include "llmplan/workload.h"

#endif
