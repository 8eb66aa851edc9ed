/*
 * detect_internal.h - what the detection files share privately: the NVML probe (detect_nvml.c)
 * that lp_detect_run (detect_smi.c) calls first.
 */
#ifndef LP_HW_DETECT_INTERNAL_H
#define LP_HW_DETECT_INTERNAL_H

#include <stddef.h>

#include "llmplan/detect.h"

/**
 * Fill r from NVML (libnvidia-ml.so.1 loaded with dlopen; nothing linked at build time).
 * LP_OK with at least one GPU; LP_ERR_NOT_FOUND when the library cannot be loaded or reports
 * no GPU; LP_ERR_IO when an NVML call fails. why (size why_size) says what happened in a few
 * words ("libnvidia-ml.so.1 not loadable", "nvmlInit_v2 failed (error 9)").
 */
lp_status lp_detect_nvml(lp_detect_result *r, char *why, size_t why_size);

#endif
