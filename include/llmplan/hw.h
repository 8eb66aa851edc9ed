/*
 * llmplan/hw.h - the GPU database and cluster description.
 *
 * The database is compiled in from data/gpus.tsv (every row cites its source) and can be
 * extended or overridden at run time from a user TSV file with the same columns. Names match
 * forgivingly ("H100", "h100-sxm", "NVIDIA H100 80GB HBM3", "a100 80gb"); an ambiguous or
 * unknown name is an error listing the closest names.
 */
#ifndef LLMPLAN_HW_H
#define LLMPLAN_HW_H

#include <stdbool.h>
#include <stddef.h>

#include "llmplan/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Kind of link between GPUs. */
typedef enum {
    LP_LINK_UNKNOWN = 0,
    LP_LINK_PCIE,
    LP_LINK_NVLINK,
    LP_LINK_INFINITY_FABRIC, /**< AMD xGMI */
    LP_LINK_ETHERNET         /**< Gaudi on-die RoCE, or between nodes */
} lp_link_kind;

/** Name of a link kind ("nvlink", "pcie", ...). */
const char *lp_link_name(lp_link_kind kind);

/** One accelerator. Numbers are per GPU; FLOPS are dense (no sparsity). 0 = unknown. */
typedef struct {
    char name[64];          /**< canonical name ("H100 SXM") */
    char aliases[256];      /**< ';'-separated other names (nvidia-smi names) */
    char vendor[24];        /**< "NVIDIA", "AMD", "Intel (Habana)" */
    char architecture[48];  /**< "Hopper (GH100)" */
    int cc_major, cc_minor; /**< CUDA compute capability; -1/-1 for non-CUDA devices */
    char arch_tag[16];      /**< "sm90", "gfx942", "gaudi2" */
    double memory_gib;      /**< marketed memory (GB as sold, e.g. 80) */
    double usable_gib;      /**< total memory as the driver/torch reports it (GiB, 2^30 B) */
    bool usable_measured;   /**< usable_gib is a reported value (true) or derived (false) */
    double bandwidth_gbs;   /**< memory bandwidth, GB/s (10^9) */
    double bf16_tflops;     /**< dense BF16/FP16 tensor TFLOPS */
    double fp16_tflops;     /**< dense FP16 tensor TFLOPS (= bf16 unless the part differs) */
    double fp8_tflops;      /**< dense FP8 tensor TFLOPS (0: no FP8 tensor cores) */
    double int8_tops;       /**< dense INT8 tensor TOPS */
    double fp4_tflops;      /**< dense FP4 tensor TFLOPS (0: no FP4 tensor cores) */
    double tdp_w;
    lp_link_kind link; /**< best GPU-to-GPU link in a node */
    double link_gbs;   /**< that link's bandwidth per GPU, GB/s (unidirectional-ish, as sold) */
    double pcie_gbs;   /**< PCIe bandwidth per GPU, GB/s */
    char source[320];  /**< where the numbers come from */
    /** How usable_gib was obtained ("measured: <where>" or "derived: <rule>"). */
    char usable_source[160];
} lp_gpu;

/** A set of GPU rows: the embedded table plus user overrides. */
typedef struct lp_gpu_db lp_gpu_db;

/**
 * The embedded database (parsed once from the compiled-in TSV; immutable, never freed).
 * Returns NULL only if the embedded data is corrupt (a build defect).
 */
const lp_gpu_db *lp_gpu_db_builtin(void);

/**
 * A new database: a copy of the embedded one with the rows of a user TSV file (same header
 * as data/gpus.tsv; columns may be a subset as long as name and memory are present) added,
 * or replacing rows of the same name. Caller frees with lp_gpu_db_free.
 */
lp_status lp_gpu_db_load_file(const char *path, lp_gpu_db **out, lp_error *err);

/** Parse a TSV text into a database (used for the embedded data and user files). */
lp_status lp_gpu_db_parse_tsv(const char *text, size_t len, const char *origin, lp_gpu_db **out,
                              lp_error *err);

/** Free a database from lp_gpu_db_load_file / lp_gpu_db_parse_tsv. NULL is fine. */
void lp_gpu_db_free(lp_gpu_db *db);

/** Number of rows. */
size_t lp_gpu_db_count(const lp_gpu_db *db);

/** Row i, or NULL. Owned by db. */
const lp_gpu *lp_gpu_db_at(const lp_gpu_db *db, size_t i);

/**
 * Find a GPU by a forgiving name. Matching ignores case, spaces, '-', '_' and the words
 * "nvidia", "tesla", "geforce", "amd", "instinct"; it tries the canonical names and aliases,
 * then memory-size tokens ("80gb"), then form-factor defaults (a bare "H100" means the SXM
 * part, as cloud providers use it). A name that matches several rows equally well is
 * LP_ERR_AMBIGUOUS; no match is LP_ERR_NOT_FOUND; both messages list the closest names.
 * Memory size is never guessed: "A100" and "V100" (sold with two memory sizes) are ambiguous.
 * db may be NULL for the embedded database. *out points into db.
 */
lp_status lp_gpu_find(const lp_gpu_db *db, const char *name, const lp_gpu **out, lp_error *err);

/** Whether the GPU has FP8 tensor cores (vLLM: compute capability >= 8.9, or MI300+). */
bool lp_gpu_supports_fp8(const lp_gpu *gpu);
/** Whether the GPU supports bf16 (compute capability >= 8.0, or non-CUDA with bf16 FLOPS). */
bool lp_gpu_supports_bf16(const lp_gpu *gpu);
/** Whether the GPU has native FP4 tensor cores (Blackwell, MI355X). */
bool lp_gpu_supports_fp4(const lp_gpu *gpu);

/** GPUs that form one deployment. */
typedef struct {
    lp_gpu gpu;              /**< the GPU type (copied, so user-described GPUs work too) */
    int num_gpus;            /**< total GPUs */
    int gpus_per_node;       /**< GPUs in one node (8 by default) */
    lp_link_kind intra_link; /**< link inside a node */
    double inter_node_gbs;   /**< network bandwidth per GPU between nodes, GB/s */
} lp_cluster;

#ifdef __cplusplus
}
#endif

#endif
