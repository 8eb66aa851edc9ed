/*
 * cluster.c - the lp_cluster value (GPU type, count, GPUs per node, the link inside a node),
 * the --interconnect words and GPUs described by their numbers instead of a database name.
 * It does not detect hardware (detect*.c) or look names up (match.c).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "llmplan/hw.h"

/* Larger than any accelerator sold (GiB): a typo, not a GPU. */
#define LP_MAX_DESCRIBED_GIB 100000.0

void lp_cluster_init(lp_cluster *c, const lp_gpu *gpu) {
    memset(c, 0, sizeof *c);
    c->gpu = gpu;
    c->gpus_per_node = LP_DEFAULT_GPUS_PER_NODE;
}

lp_link_kind lp_cluster_intra_node_link(const lp_cluster *c) {
    if (c->intra_node_link_given)
        return c->intra_node_link;
    return c->gpu ? c->gpu->link : LP_LINK_UNKNOWN;
}

int lp_cluster_gpus_per_node(const lp_cluster *c) {
    return c->gpus_per_node > 0 ? c->gpus_per_node : LP_DEFAULT_GPUS_PER_NODE;
}

int lp_cluster_nodes(const lp_cluster *c, int num_gpus) {
    int per = lp_cluster_gpus_per_node(c);
    int nodes = (num_gpus + per - 1) / per;
    return nodes > 0 ? nodes : 1;
}

lp_status lp_link_parse(const char *word, lp_link_kind *out, lp_error *err) {
    static const struct {
        const char *word;
        lp_link_kind kind;
    } words[] = {{"nvlink", LP_LINK_NVLINK},
                 {"nvswitch", LP_LINK_NVLINK},
                 {"xgmi", LP_LINK_INFINITY_FABRIC},
                 {"infinity_fabric", LP_LINK_INFINITY_FABRIC},
                 {"pcie", LP_LINK_PCIE},
                 {"infiniband", LP_LINK_INFINIBAND},
                 {"ib", LP_LINK_INFINIBAND},
                 {"roce", LP_LINK_ROCE},
                 {"ethernet", LP_LINK_ETHERNET},
                 {"tcp", LP_LINK_ETHERNET},
                 {"unknown", LP_LINK_UNKNOWN}};
    for (size_t i = 0; word && i < sizeof words / sizeof words[0]; i++)
        if (strcasecmp(word, words[i].word) == 0) {
            *out = words[i].kind;
            return LP_OK;
        }
    return lp_error_set(err, LP_ERR_INVALID_ARG,
                        "--interconnect: expected nvlink, pcie, infiniband, roce, ethernet or "
                        "unknown, got \"%s\"",
                        word ? word : "");
}

void lp_cluster_set_link(lp_cluster *c, lp_link_kind kind) {
    if (lp_link_is_network(kind)) {
        c->inter_node_link = kind;
        c->inter_node_link_given = true;
    } else {
        c->intra_node_link = kind;
        c->intra_node_link_given = true;
    }
}

lp_status lp_gpu_describe(const char *name, double memory_gib, double bandwidth_gbs, double tflops,
                          lp_gpu *g, lp_error *err) {
    memset(g, 0, sizeof *g);
    snprintf(g->name, sizeof g->name, "%s", name ? name : "custom GPU");
    snprintf(g->vendor, sizeof g->vendor, "user");
    if (!(memory_gib > 0) || memory_gib > LP_MAX_DESCRIBED_GIB)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--gpu-memory-gib must be a positive number of GiB");
    if (!(bandwidth_gbs >= 0) || !(tflops >= 0))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "--gpu-bandwidth-gbs and --gpu-tflops must not be negative");
    g->usable_gib = g->memory_gib = memory_gib;
    g->usable_measured = true; /* the user's number is taken as the driver-reported total */
    g->bandwidth_gbs = bandwidth_gbs;
    g->bf16_tflops = g->fp16_tflops = tflops;
    g->cc_major = 8; /* assume bf16-capable (Ampere or newer); said in the report */
    g->cc_minor = 0;
    snprintf(g->source, sizeof g->source, "described on the command line (--gpu-memory-gib)");
    return LP_OK;
}
