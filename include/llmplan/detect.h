/*
 * llmplan/detect.h - which GPUs this machine has, how much of their memory is in use and how
 * they are linked.
 *
 * Detection asks, in order: NVML (libnvidia-ml.so.1, loaded at run time with dlopen, so the
 * build never depends on the driver), `nvidia-smi` (--query-gpu CSV and `topo -m`), and
 * `rocm-smi` (JSON or CSV) for AMD GPUs. The tools run with a bounded time and never hang the
 * caller. The parsers are pure functions over the tools' text, so they are testable without a
 * GPU; a malformed input is LP_ERR_PARSE naming the line.
 */
#ifndef LLMPLAN_DETECT_H
#define LLMPLAN_DETECT_H

#include <stdbool.h>
#include <stddef.h>

#include "llmplan/hw.h"
#include "llmplan/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most GPUs one detection reports (more is LP_ERR_UNSUPPORTED). */
#define LP_DETECT_MAX_GPUS 64
/** Most notes one detection keeps (e.g. "nvidia-smi topo -m failed: ..."). */
#define LP_DETECT_MAX_NOTES 8

/** The columns `lp_detect_run` asks nvidia-smi for (--query-gpu=...). */
#define LP_DETECT_SMI_FIELDS "index,name,memory.total,memory.used,compute_cap"

/** Where a detected GPU's facts come from. */
typedef enum {
    LP_DETECT_SOURCE_NONE = 0,
    LP_DETECT_SOURCE_NVML,       /**< libnvidia-ml.so.1 */
    LP_DETECT_SOURCE_NVIDIA_SMI, /**< nvidia-smi --query-gpu */
    LP_DETECT_SOURCE_ROCM_SMI    /**< rocm-smi --showproductname --showmeminfo vram */
} lp_detect_source;

/** "nvml", "nvidia-smi", "rocm-smi" or "none". Never NULL. */
const char *lp_detect_source_name(lp_detect_source source);

/** How two GPUs are connected, as `nvidia-smi topo -m` names it (best first). */
typedef enum {
    LP_TOPO_UNKNOWN = 0,
    LP_TOPO_SELF,   /**< "X": the GPU itself */
    LP_TOPO_NVLINK, /**< "NV#": a bonded set of # NVLinks */
    LP_TOPO_PIX,    /**< at most a single PCIe bridge */
    LP_TOPO_PXB,    /**< multiple PCIe bridges, no host bridge */
    LP_TOPO_PHB,    /**< PCIe and a PCIe host bridge (the CPU) */
    LP_TOPO_NODE,   /**< PCIe and the link between host bridges of one NUMA node */
    LP_TOPO_SYS     /**< PCIe and the SMP interconnect between NUMA nodes ("SOC" before) */
} lp_topo_kind;

/** The link between two GPUs. */
typedef struct {
    lp_topo_kind kind;
    int nvlinks; /**< for LP_TOPO_NVLINK: the number of bonded links (NV18 -> 18) */
} lp_topo_link;

/** The `topo -m` spelling of a link ("X", "NV18", "PIX", "SYS", "?"), written into buf. */
const char *lp_topo_link_str(lp_topo_link link, char *buf, size_t size);

/** One detected GPU. Memory is in MiB as the tool reports it; -1 means not reported. */
typedef struct {
    int index;              /**< the driver's index (nvidia-smi / NVML / rocm-smi card N) */
    char name[96];          /**< as the driver reports it ("NVIDIA H100 80GB HBM3") */
    double total_mib;       /**< total device memory (nvidia-smi memory.total) */
    double used_mib;        /**< memory in use by processes, or -1 (NVML: torch total - free) */
    double free_mib;        /**< free memory when the source reports it (NVML), or -1 */
    int cc_major, cc_minor; /**< CUDA compute capability, -1/-1 when unknown or not CUDA */
    char arch[16];          /**< AMD "gfx942" when reported; empty otherwise */
    int nvlinks_active;     /**< active NVLinks (NVML), or -1 when unknown */
    lp_detect_source source;
    const lp_gpu *match;   /**< database row after lp_detect_match, or NULL (unmatched) */
    char match_error[256]; /**< why it did not match (lp_gpu_find's message), when !match */
} lp_detected_gpu;

/** What a detection found. Plain data (about 40 KB); the caller owns it. */
typedef struct {
    lp_detected_gpu gpus[LP_DETECT_MAX_GPUS];
    int n_gpus;
    lp_detect_source source; /**< where the GPU list came from */
    /** links[i][j] between GPU rows i and j (valid when have_topology). */
    lp_topo_link links[LP_DETECT_MAX_GPUS][LP_DETECT_MAX_GPUS];
    bool have_topology;
    int n_topo_gpus; /**< GPUs listed by `topo -m` (equals n_gpus when both were read) */
    char notes[LP_DETECT_MAX_NOTES][192];
    int n_notes;
} lp_detect_result;

/** Empty result (no GPUs, no topology). */
void lp_detect_result_init(lp_detect_result *r);

/**
 * Parse `nvidia-smi --query-gpu=FIELDS --format=csv[,noheader][,nounits]` output into r (which
 * is reset first). `fields` is the comma-separated --query-gpu list the text was produced with
 * (NULL: LP_DETECT_SMI_FIELDS); when the first line is a header ("index, name, memory.total
 * [MiB], ..."), the header names the columns instead and units such as " MiB" are accepted.
 * Recognised columns: index, name, memory.total, memory.used, memory.free, compute_cap; others
 * are skipped. name and memory.total are required. "[N/A]"-style cells of memory.used,
 * memory.free and compute_cap mean "not reported". A short line, a non-numeric memory cell or
 * more than LP_DETECT_MAX_GPUS lines is LP_ERR_PARSE naming the line; no GPU line at all is
 * LP_ERR_PARSE too. text is NUL-terminated.
 */
lp_status lp_detect_parse_smi_csv(const char *text, const char *fields, lp_detect_result *r,
                                  lp_error *err);

/**
 * Parse `nvidia-smi topo -m` output into r->links (ANSI underline codes of the header are
 * ignored; the NIC columns and the legend are skipped). Sets r->n_topo_gpus and
 * r->have_topology. When r already lists GPUs (from the CSV) and `topo -m` lists a different
 * number, or a row is not GPU0..GPUn-1 in order, or a cell is not one of X, NV#, PIX, PXB,
 * PHB, NODE, SYS (SOC), the result is LP_ERR_PARSE naming the line.
 */
lp_status lp_detect_parse_topo(const char *text, lp_detect_result *r, lp_error *err);

/**
 * Parse `rocm-smi --showproductname --showmeminfo vram` output, as --json (one object per
 * "cardN") or --csv (a header with "device", then one line per card), into r (reset first).
 * The name is "Card Series" (or "Card series", else "Card SKU"/"Card model"), memory comes from
 * "VRAM Total Memory (B)" and "VRAM Total Used Memory (B)" (bytes, converted to MiB), the
 * architecture from "GFX Version" when present. Malformed text is LP_ERR_PARSE naming the
 * line (CSV) or the position (JSON).
 */
lp_status lp_detect_parse_rocm(const char *text, lp_detect_result *r, lp_error *err);

/**
 * Match every GPU's name against the database db (NULL: the embedded one) with lp_gpu_find.
 * Unmatched GPUs keep match == NULL and say why in match_error. Never fails.
 */
void lp_detect_match(lp_detect_result *r, const lp_gpu_db *db);

/** Which sources lp_detect_run may use. */
typedef struct {
    bool no_nvml;       /**< skip NVML (tests use a fake nvidia-smi) */
    bool no_nvidia_smi; /**< skip nvidia-smi */
    bool no_rocm_smi;   /**< skip rocm-smi */
    int timeout_s;      /**< time limit for each tool run (0: 10 s) */
} lp_detect_opts;

/**
 * Detect the local GPUs: NVML, else nvidia-smi, else rocm-smi (each unless opts says not), then
 * `nvidia-smi topo -m` for the links between NVIDIA GPUs, then lp_detect_match against db (NULL:
 * embedded). opts may be NULL (all sources, 10 s per tool). No GPU found is LP_ERR_NOT_FOUND
 * with a message saying what was tried ("no NVIDIA or AMD GPU found: libnvidia-ml.so.1 not
 * loadable and nvidia-smi not on PATH"); a tool that fails, times out or prints malformed text
 * is an error naming it (LP_ERR_IO or LP_ERR_PARSE). A failed `topo -m` is only a note.
 */
lp_status lp_detect_run(const lp_detect_opts *opts, const lp_gpu_db *db, lp_detect_result *r,
                        lp_error *err);

/**
 * Total memory as torch (and so vLLM) would report it for a detected GPU, in GiB: nvidia-smi's
 * memory.total less the driver's reservation (data/gpus.tsv rule 2: MiB / 1024 - 0.467 GiB,
 * the gap measured on the H100 SXM, whose torch total is 79.18 GiB for 81559 MiB).
 */
double lp_detect_torch_total_gib(const lp_detected_gpu *g);

/**
 * Free memory at start-up as torch.cuda.mem_get_info would report it, in GiB: the source's
 * free memory when it reports one, else lp_detect_torch_total_gib - used. -1 when used memory
 * is unknown.
 */
double lp_detect_free_gib(const lp_detected_gpu *g);

/**
 * Options for a source named "auto" (all, in order), "nvml", "nvidia-smi" or "rocm-smi" (only
 * that one; nvidia-smi still reads `topo -m` after NVML). NULL or "" is "auto". An unknown name is
 * LP_ERR_INVALID_ARG. The timeout is left at 0 (the default).
 */
lp_status lp_detect_opts_from_source(const char *source, lp_detect_opts *opts, lp_error *err);

/**
 * The one GPU type of a detection, as a database row for planning (`--gpu detect`). All GPUs
 * must have the same name, else LP_ERR_INVALID_ARG listing them. A matched GPU gives its row;
 * when the detected memory differs from the row's by more than 1 GiB (another memory size of
 * the same name), usable_gib is the detected one. An unmatched GPU is described from what was
 * detected (name, memory, compute capability; no bandwidth or FLOPS) and *described is set.
 * No GPU is LP_ERR_NOT_FOUND.
 */
lp_status lp_detect_gpu_type(const lp_detect_result *r, lp_gpu *out, bool *described,
                             lp_error *err);

/**
 * vLLM's start-up check (gpu_worker.py, Worker.init_device; docs/vllm_internals.md (a)) on
 * the first n_used GPUs: torch's free memory must be at least torch's total x utilization.
 * When a GPU fails it, LP_ERR_INFEASIBLE with the GPU and vLLM's own message ("Free memory on
 * device (20.58/79.18 GiB) on startup is less than desired GPU memory utilization (0.9, 71.26
 * GiB). ..."). Otherwise LP_OK, and note (size note_size) says how much memory is in use on the
 * busiest GPU, or is empty when none is in use or the source does not report it. n_used larger
 * than the detected count is LP_ERR_INFEASIBLE ("needs 4 GPUs, 1 detected").
 */
lp_status lp_detect_check_free(const lp_detect_result *r, int n_used, double utilization,
                               char *note, size_t note_size, lp_error *err);

/**
 * Whether the first n_used GPUs are all linked pairwise by NVLink (true), or not (false, some
 * pair goes over PCIe); *known is false when the topology was not read (or n_used < 2).
 */
bool lp_detect_all_nvlink(const lp_detect_result *r, int n_used, bool *known);

#ifdef __cplusplus
}
#endif

#endif
