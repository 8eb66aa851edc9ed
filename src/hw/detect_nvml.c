/*
 * detect_nvml.c - the local NVIDIA GPUs through NVML, loaded at run time.
 *
 * libnvidia-ml.so.1 ships with the driver, not with CUDA, and a machine without the driver
 * must still build and run llmplan: so the library is opened with dlopen and the few entry
 * points are looked up by name. The types below mirror nvml.h (the NVML API reference,
 * "Device Queries" and "NvLink Methods"); only what is used is declared.
 *
 * Not here: per-pair topology (NVML tells how many NVLinks a GPU has active, `nvidia-smi topo
 * -m` tells which peer each leads to; detect_smi.c reads that).
 */
#include "hw/detect_internal.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* ---- mirrored from nvml.h ---- */
typedef struct nvmlDevice_st *nvmlDevice_t; /* opaque device handle */
typedef int nvmlReturn_t;                   /* enum nvmlReturn_enum; 0 = NVML_SUCCESS */
#define NVML_SUCCESS 0
typedef struct {
    unsigned long long total; /* bytes */
    unsigned long long free;
    unsigned long long used;
} nvmlMemory_t;                /* nvmlMemory_t (version 1, what nvmlDeviceGetMemoryInfo fills) */
typedef int nvmlEnableState_t; /* NVML_FEATURE_DISABLED 0, NVML_FEATURE_ENABLED 1 */
#define NVML_FEATURE_ENABLED 1
#define NVML_DEVICE_NAME_V2_BUFFER_SIZE 96
#define NVML_NVLINK_MAX_LINKS 18

typedef nvmlReturn_t (*fn_void)(void);
typedef nvmlReturn_t (*fn_count)(unsigned int *);
typedef nvmlReturn_t (*fn_handle)(unsigned int, nvmlDevice_t *);
typedef nvmlReturn_t (*fn_name)(nvmlDevice_t, char *, unsigned int);
typedef nvmlReturn_t (*fn_memory)(nvmlDevice_t, nvmlMemory_t *);
typedef nvmlReturn_t (*fn_cc)(nvmlDevice_t, int *, int *);
typedef nvmlReturn_t (*fn_nvlink)(nvmlDevice_t, unsigned int, nvmlEnableState_t *);

#define BYTES_PER_MIB 1048576.0

/* dlsym returns an object pointer; ISO C has no cast to a function pointer, memcpy is the
 * portable spelling (POSIX guarantees the representations agree). */
static bool lookup(void *lib, const char *name, void *fn, size_t size) {
    void *sym = dlsym(lib, name);
    if (!sym)
        return false;
    memcpy(fn, &sym, size);
    return true;
}

lp_status lp_detect_nvml(lp_detect_result *r, char *why, size_t why_size) {
    void *lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(why, why_size, "libnvidia-ml.so.1 not loadable");
        return LP_ERR_NOT_FOUND;
    }
    fn_void init = NULL, shutdown = NULL;
    fn_count count = NULL;
    fn_handle handle = NULL;
    fn_name name = NULL;
    fn_memory memory = NULL;
    fn_cc cc = NULL;
    fn_nvlink nvlink = NULL;
    if (!lookup(lib, "nvmlInit_v2", &init, sizeof init) ||
        !lookup(lib, "nvmlShutdown", &shutdown, sizeof shutdown) ||
        !lookup(lib, "nvmlDeviceGetCount_v2", &count, sizeof count) ||
        !lookup(lib, "nvmlDeviceGetHandleByIndex_v2", &handle, sizeof handle) ||
        !lookup(lib, "nvmlDeviceGetName", &name, sizeof name) ||
        !lookup(lib, "nvmlDeviceGetMemoryInfo", &memory, sizeof memory)) {
        snprintf(why, why_size, "libnvidia-ml.so.1 lacks the NVML v2 entry points (old driver)");
        dlclose(lib);
        return LP_ERR_NOT_FOUND;
    }
    /* optional: older drivers or GPUs without NVLink */
    (void)lookup(lib, "nvmlDeviceGetCudaComputeCapability", &cc, sizeof cc);
    (void)lookup(lib, "nvmlDeviceGetNvLinkState", &nvlink, sizeof nvlink);

    nvmlReturn_t rc = init();
    if (rc != NVML_SUCCESS) {
        snprintf(why, why_size, "nvmlInit_v2 failed (NVML error %d: is the driver loaded?)", rc);
        dlclose(lib);
        return LP_ERR_NOT_FOUND;
    }
    lp_status st = LP_OK;
    unsigned int n = 0;
    if ((rc = count(&n)) != NVML_SUCCESS) {
        snprintf(why, why_size, "nvmlDeviceGetCount_v2 failed (NVML error %d)", rc);
        st = LP_ERR_IO;
    } else if (n == 0) {
        snprintf(why, why_size, "NVML reports no GPU");
        st = LP_ERR_NOT_FOUND;
    } else if (n > LP_DETECT_MAX_GPUS) {
        snprintf(why, why_size, "NVML reports %u GPUs, more than llmplan handles (%d)", n,
                 LP_DETECT_MAX_GPUS);
        st = LP_ERR_UNSUPPORTED;
    }
    r->n_gpus = 0;
    for (unsigned int i = 0; st == LP_OK && i < n; i++) {
        nvmlDevice_t dev;
        char buf[NVML_DEVICE_NAME_V2_BUFFER_SIZE] = {0};
        nvmlMemory_t mem;
        if ((rc = handle(i, &dev)) != NVML_SUCCESS || (rc = name(dev, buf, sizeof buf)) != 0 ||
            (rc = memory(dev, &mem)) != NVML_SUCCESS) {
            snprintf(why, why_size, "NVML query of GPU %u failed (NVML error %d)", i, rc);
            st = LP_ERR_IO;
            break;
        }
        lp_detected_gpu *g = &r->gpus[r->n_gpus++];
        memset(g, 0, sizeof *g);
        g->index = (int)i;
        g->source = LP_DETECT_SOURCE_NVML;
        snprintf(g->name, sizeof g->name, "%s", buf);
        g->total_mib = (double)mem.total / BYTES_PER_MIB;
        g->free_mib = (double)mem.free / BYTES_PER_MIB;
        /* NVML's v1 "used" includes the driver's reservation, which nvidia-smi and torch leave
         * out; what other processes hold is torch's total less what is free. */
        double torch_total_mib = lp_detect_torch_total_gib(g) * 1024.0;
        g->used_mib = torch_total_mib > g->free_mib ? torch_total_mib - g->free_mib : 0;
        g->cc_major = g->cc_minor = -1;
        if (cc && cc(dev, &g->cc_major, &g->cc_minor) != NVML_SUCCESS)
            g->cc_major = g->cc_minor = -1;
        g->nvlinks_active = -1;
        if (nvlink) {
            int active = 0;
            for (unsigned int link = 0; link < NVML_NVLINK_MAX_LINKS; link++) {
                nvmlEnableState_t on = 0;
                if (nvlink(dev, link, &on) != NVML_SUCCESS)
                    break; /* no such link (or no NVLink at all) */
                active += on == NVML_FEATURE_ENABLED;
            }
            g->nvlinks_active = active;
        }
    }
    if (st != LP_OK)
        r->n_gpus = 0;
    else
        r->source = LP_DETECT_SOURCE_NVML;
    shutdown();
    dlclose(lib);
    return st;
}
