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

/** Kind of link between GPUs: inside a node (NVLink, xGMI, PCIe) or a network. */
typedef enum {
    LP_LINK_UNKNOWN = 0,
    LP_LINK_PCIE,
    LP_LINK_NVLINK,
    LP_LINK_INFINITY_FABRIC, /**< AMD xGMI */
    LP_LINK_ETHERNET,        /**< Ethernet with NCCL over TCP sockets (no RDMA); also ranks in
                                  separate containers/pods without peer-to-peer */
    LP_LINK_INFINIBAND,      /**< InfiniBand (RDMA) */
    LP_LINK_ROCE             /**< RDMA over Converged Ethernet (also Gaudi's on-die links) */
} lp_link_kind;

/** Name of a link kind ("nvlink", "pcie", "infiniband", "roce", "ethernet", ...). */
const char *lp_link_name(lp_link_kind kind);

/** Whether a link kind is a network between nodes (InfiniBand, RoCE, Ethernet). */
bool lp_link_is_network(lp_link_kind kind);

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

/** GPUs per node when a cluster leaves it 0 (an 8-GPU server, the common HGX/DGX size). */
#define LP_DEFAULT_GPUS_PER_NODE 8

/**
 * The GPUs of one deployment: their type, how many, how many share a node and the link between
 * the GPUs of a node. A plain value; gpu is borrowed (a database row, or the caller's own
 * description of a GPU the database lacks) and must outlive the cluster. The network between
 * nodes is its own field; src/hw/link.c prices both links.
 */
typedef struct {
    const lp_gpu *gpu; /**< the GPU type (NULL only where a method needs none: the heuristic) */
    int num_gpus;      /**< GPUs in all (0: what the serving settings use, tp x pp x dp) */
    int gpus_per_node; /**< GPUs in one node (0: LP_DEFAULT_GPUS_PER_NODE) */
    /** The link between the GPUs of a node when the user says it (--interconnect); only read
     *  when intra_node_link_given, otherwise the GPU table's own link applies. */
    lp_link_kind intra_node_link;
    bool intra_node_link_given;
    /** The network between nodes when the user says it (--interconnect infiniband, roce or
     *  ethernet); otherwise RDMA at 400 Gb/s per GPU is assumed (and said). ethernet for a
     *  replica that fits one node means each rank in its own container, talking over TCP. */
    lp_link_kind inter_node_link;
    bool inter_node_link_given;
    double link_gbs;       /**< override: GB/s per GPU (one direction) of the link crossed */
    double link_latency_s; /**< override: seconds per collective step of that link */
    /** Disaggregated prefill/decode (lp_serving.disaggregation): the GPU type of each pool
     *  (--prefill-gpu / --decode-gpu; NULL: gpu). Borrowed, as gpu. */
    const lp_gpu *prefill_gpu, *decode_gpu;
} lp_cluster;

/** A cluster of gpu (may be NULL) with every other field at its default. */
void lp_cluster_init(lp_cluster *c, const lp_gpu *gpu);

/** The link between the GPUs of a node: the one given, else the GPU's own, else unknown. */
lp_link_kind lp_cluster_intra_node_link(const lp_cluster *c);

/** GPUs per node (gpus_per_node, or LP_DEFAULT_GPUS_PER_NODE when 0). */
int lp_cluster_gpus_per_node(const lp_cluster *c);

/** Nodes that num_gpus GPUs take (at least 1). */
int lp_cluster_nodes(const lp_cluster *c, int num_gpus);

/**
 * Parse an --interconnect word, any case: the link inside a node, "nvlink" (also "nvswitch"),
 * "xgmi" (also "infinity_fabric"), "pcie"; the network between nodes, "infiniband" (also "ib"),
 * "roce", "ethernet" (also "tcp"); or "unknown". LP_ERR_INVALID_ARG names the accepted words.
 */
lp_status lp_link_parse(const char *word, lp_link_kind *out, lp_error *err);

/** Set the cluster's link of that kind: a network word the link between nodes, another word
 *  the link inside a node. */
void lp_cluster_set_link(lp_cluster *c, lp_link_kind kind);

/**
 * Describe a GPU the database lacks (DESIGN §5): memory_gib is taken as the driver-reported
 * total; bandwidth_gbs and tflops may be 0 (unknown); bf16-capable is assumed (callers say so).
 * name NULL gives "custom GPU". LP_ERR_INVALID_ARG for a memory size that is not a positive
 * number of GiB below 100,000.
 */
lp_status lp_gpu_describe(const char *name, double memory_gib, double bandwidth_gbs, double tflops,
                          lp_gpu *out, lp_error *err);

/* ---- links and collectives (src/hw/link.c) ---- */

/** One link as used: class defaults, then the GPU table's figure, then the user's. */
typedef struct {
    lp_link_kind kind;
    double bandwidth; /**< bytes/s per GPU, one direction, as NCCL reaches it */
    double latency_s; /**< one step of a collective over this link */
    char source[160]; /**< where the figures come from */
} lp_link;

/** The default link of a kind for a GPU (gpu may be NULL: the class figures). */
void lp_link_default(lp_link_kind kind, const lp_gpu *gpu, lp_link *out);

/** Where a replica's ranks sit and the links between them. */
typedef struct {
    int gpus_per_node;   /**< ranks per node as placed (1 when ranks are isolated) */
    int nodes;           /**< nodes one replica spans */
    lp_link intra;       /**< between GPUs of a node */
    lp_link inter;       /**< between nodes */
    bool inter_assumed;  /**< the network between nodes was not named (RDMA 400 Gb/s assumed) */
    bool ranks_isolated; /**< --interconnect ethernet inside one node: every rank in its own
                              container, talking over TCP */
} lp_topology;

/**
 * The topology of one replica of world_size GPUs on a cluster: ranks fill a node before the
 * next (vLLM numbers ranks TP-major); the link inside a node is the cluster's, the network its
 * inter-node link (ethernet for a replica that fits one node: isolated ranks over TCP). The
 * cluster's bandwidth/latency overrides apply to the link the replica crosses (the network when
 * it spans nodes). LP_ERR_INVALID_ARG for a negative override.
 */
lp_status lp_topology_resolve(const lp_cluster *c, int world_size, lp_topology *out, lp_error *err);

/** A communicator: ranks placed per_node to a node over nodes, and the two links. */
typedef struct {
    int ranks, per_node, nodes;
    lp_link intra, inter;
} lp_comm_group;

/** The group of the first `ranks` consecutive ranks of a topology (a TP group, an EP group). */
lp_comm_group lp_topology_group(const lp_topology *t, int ranks);

/** NCCL collectives. */
typedef enum {
    LP_COLL_ALL_REDUCE,
    LP_COLL_ALL_GATHER,     /**< bytes: the gathered (whole) tensor */
    LP_COLL_REDUCE_SCATTER, /**< bytes: the whole input tensor */
    LP_COLL_SEND_RECV,      /**< bytes: the message */
    LP_COLL_ALL_TO_ALL      /**< bytes: what one rank sends in all */
} lp_collective;

/**
 * Time of one collective of `bytes` over a group, in seconds, excluding the fixed per-call
 * launch cost: latency steps plus bytes over the slowest link (ring or tree for all-reduce,
 * whichever is faster, as NCCL chooses). *algo (may be NULL) names the algorithm. 0 for a
 * group of one.
 */
double lp_collective_time_s(lp_collective op, double bytes, const lp_comm_group *g,
                            const char **algo);

/**
 * lp_collective_time_s of one collective over one group for many sizes: what depends on the
 * group alone, worked out once by lp_collective_plan_init; lp_collective_plan_time_s then gives
 * lp_collective_time_s's value for `bytes`, bit for bit (the step model prices two all-reduces
 * per layer in every step it evaluates).
 */
typedef struct {
    lp_collective op;
    int ranks;                  /**< 0/1: no collective, time 0 */
    bool multi;                 /**< the group spans nodes */
    double fixed_s;             /**< latency steps of the ring (all-reduce, gather, scatter) */
    double share;               /**< fraction of the bytes each rank moves over the ring */
    double bandwidth;           /**< the group's ring/tree bandwidth, or the p2p link's */
    double tree_fixed_s;        /**< all-reduce over nodes: latency of the tree */
    double ring_step_s;         /**< one step's latency (send/recv, all-to-all) */
    double in_share, off_share; /**< all-to-all: bytes inside and leaving the node */
    double intra_bw, inter_bw;
} lp_collective_plan;

/** Plan op over group g into p (no allocation; p does not point into g). */
void lp_collective_plan_init(lp_collective op, const lp_comm_group *g, lp_collective_plan *p);
/** lp_collective_time_s(op, bytes, g, algo) of the planned op and group. */
double lp_collective_plan_time_s(const lp_collective_plan *p, double bytes, const char **algo);

/**
 * One sentence on where a replica of tp x pp GPUs sits and what crossing nodes costs (TP
 * spanning nodes, ranks isolated in containers, or pipeline hand-offs between nodes) into buf;
 * "" when it fits one node. Returns its length.
 */
size_t lp_topology_describe(const lp_cluster *c, int tp, int pp, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
