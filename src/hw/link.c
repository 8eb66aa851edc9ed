/*
 * link.c - the links between GPUs and what NCCL's collectives cost over them.
 *
 * A link class (NVLink, PCIe, InfiniBand, RoCE, Ethernet/TCP) has a bandwidth per GPU and a
 * latency per step of a collective; the GPU table's own link figure, and the user's overrides,
 * replace the class defaults. A deployment places tensor-parallel ranks in a node first (vLLM
 * numbers ranks TP-major, so a TP group fills a node before the next stage starts), and the
 * cost of a collective follows NCCL's algorithms:
 *
 *   all-reduce, ring   2(n-1) steps of latency + 2(n-1)/n x S / B
 *   all-reduce, tree   2((g-1) intra-node + ceil(log2 N) inter-node) steps + 2 S / B
 *                      (NCCL's double binary tree between nodes, a chain inside each)
 *   all-gather / reduce-scatter (ring)   (n-1) steps + (n-1)/n x S / B
 *   send/recv          1 step + S / B
 *   all-to-all         1 step + the traffic that leaves the node over the network
 *
 * for n ranks on N nodes of g, S bytes (the whole tensor), B the slowest link's bandwidth
 * (across nodes: the network per GPU times the g NICs a node drives in parallel, but no more
 * than the link inside the node). NCCL picks the faster of ring and tree per call (NCCL docs,
 * NCCL_ALGO); the bus-bandwidth factors 2(n-1)/n and (n-1)/n are nccl-tests' definitions
 * (nccl-tests doc/PERFORMANCE.md). Every call also pays a fixed launch/synchronisation cost,
 * which the caller supplies (the roofline's per-family figure for a small in-node all-reduce).
 *
 * Deliberately not here: how many collectives a model runs per step (perf/step.c) and GPU
 * detection. No I/O; the class table is immutable.
 */
#include "llmplan/hw.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define GIGA 1e9
/* Bandwidths in the GPU table are as sold (both directions together); one direction is half. */
#define LP_LINK_DIRECTION_SHARE 0.5
/* NCCL over an RDMA NIC reaches ~97 % of its line rate: "12.2 GB/s (for a 100Gbps card) is as
 * good as you can get" (NCCL maintainer, NVIDIA/nccl-tests#29). Applied to the network classes'
 * line rates below. */
#define LP_NCCL_NET_EFFICIENCY 0.97
/* NCCL's socket transport (TCP, no RDMA) reaches far less of its line rate: nccl-tests all_reduce
 * bus bandwidth of 4-6 GB/s over 100 Gb/s TCP, 32-48 % of its 12.5 GB/s, after tuning
 * NCCL_SOCKET_NTHREADS / NCCL_NSOCKS_PERTHREAD (NVIDIA/nccl#450, 4 x 8 V100); "not ... more than
 * 60 % of wire speed over 32 Gbps networks" (NVIDIA/nccl#209). The middle of 32-60 %. */
#define LP_NCCL_TCP_EFFICIENCY 0.46

/*
 * The classes. bandwidth: per GPU, one direction, GB/s (line rate for networks); latency: one
 * step of a collective over the link, beyond the per-call cost.
 *
 * - NVLink / Infinity Fabric / PCIe, the links inside a node: bandwidth from the GPU row (half
 *   of the bidirectional figure); 600 GB/s both ways (A100 NVLink 3) or Gen4 x16 64 GB/s when
 *   the row has none. Their steps cost no latency here: the roofline's per-call all-reduce
 *   figure (perf/efficiency.c, at least 50 us over PCIe, where an 8-byte NCCL all-reduce over
 *   8x RTX 4090 takes 42.6 us: NVIDIA/nccl#1530) already covers a whole in-node collective.
 * - InfiniBand: NDR 400 Gb/s per GPU (DGX H100: eight ConnectX-7 400 Gb/s, one per GPU).
 *   Two A100 nodes over HDR, one GPU each: an 8-byte all-reduce takes 19.9 us
 *   (NVIDIA/nccl-tests#150) = 2 ring steps of ~7.5 us after a ~5 us launch.
 * - RoCE: 400 GbE per GPU (H100 clusters with 8x 400G RoCE NICs per node); NCCL's data path
 *   costs a fixed 10-12 us per step there (NVIDIA/nccl#2409).
 * - Ethernet with NCCL's socket transport (TCP; no RDMA): also what ranks in separate
 *   containers or pods without peer-to-peer use (vLLM's distributed-serving guide: "[send] via
 *   NET/Socket indicate raw TCP sockets, which perform poorly for cross-node tensor
 *   parallelism"). An 8-byte broadcast between two V100 nodes over sockets takes 45.8 us
 *   (NVIDIA/nccl-tests#82): one step of ~40 us after the launch. 25 Gb/s per GPU: a common
 *   cloud NIC (AWS G5 instances have 10-100 Gb/s for 1-8 GPUs); override with the flags. TCP
 *   moves only about half of that (LP_NCCL_TCP_EFFICIENCY): 25 GbE gives ~1.4 GB/s of bus
 *   bandwidth, 100 GbE ~5.8 GB/s, against 12.1 GB/s for NCCL over a 100 Gb/s RDMA NIC.
 */
typedef struct {
    lp_link_kind kind;
    const char *name;
    double bandwidth_gbs; /* one direction */
    double latency_s;
    bool network;
    const char *source;
} link_class;

static const link_class CLASSES[] = {
    {LP_LINK_NVLINK, "nvlink", 300.0, 0, false, "NVLink: the GPU table's figure"},
    {LP_LINK_INFINITY_FABRIC, "infinity_fabric", 300.0, 0, false,
     "Infinity Fabric (xGMI): the GPU table's figure"},
    {LP_LINK_PCIE, "pcie", 32.0, 0, false,
     "PCIe: the GPU table's figure (Gen4 x16 64 GB/s both ways if none)"},
    {LP_LINK_INFINIBAND, "infiniband", 50.0, 7.5e-6, true,
     "InfiniBand NDR 400 Gb/s per GPU; ~7.5 us per step (NVIDIA/nccl-tests#150)"},
    {LP_LINK_ROCE, "roce", 50.0, 11e-6, true,
     "RoCE 400 GbE per GPU; ~11 us per step (NVIDIA/nccl#2409)"},
    {LP_LINK_ETHERNET, "ethernet", 3.125, 40e-6, true,
     "Ethernet, NCCL over TCP sockets, 25 Gb/s per GPU at ~46 % of line rate "
     "(NVIDIA/nccl#450, #209); ~40 us per step (NVIDIA/nccl-tests#82)"},
    {LP_LINK_UNKNOWN, "unknown", 32.0, 0, false, "unknown link: PCIe assumed"},
};

static const link_class *class_of(lp_link_kind kind) {
    for (size_t i = 0; i < sizeof CLASSES / sizeof CLASSES[0]; i++)
        if (CLASSES[i].kind == kind)
            return &CLASSES[i];
    return &CLASSES[sizeof CLASSES / sizeof CLASSES[0] - 1];
}

const char *lp_link_name(lp_link_kind kind) {
    return class_of(kind)->name;
}

bool lp_link_is_network(lp_link_kind kind) {
    return class_of(kind)->network;
}

/* The link of a class, with the GPU row's own figure where the row describes this kind. */
static void link_from_class(lp_link_kind kind, const lp_gpu *gpu, lp_link *out) {
    const link_class *c = class_of(kind);
    memset(out, 0, sizeof *out);
    out->kind = kind;
    out->latency_s = c->latency_s;
    out->bandwidth = c->bandwidth_gbs * GIGA;
    if (c->network)
        out->bandwidth *=
            kind == LP_LINK_ETHERNET ? LP_NCCL_TCP_EFFICIENCY : LP_NCCL_NET_EFFICIENCY;
    snprintf(out->source, sizeof out->source, "%s", c->source);
    if (!gpu)
        return;
    if ((kind == LP_LINK_NVLINK || kind == LP_LINK_INFINITY_FABRIC) && gpu->link == kind &&
        gpu->link_gbs > 0)
        out->bandwidth = gpu->link_gbs * LP_LINK_DIRECTION_SHARE * GIGA;
    else if ((kind == LP_LINK_NVLINK || kind == LP_LINK_INFINITY_FABRIC) &&
             gpu->link == LP_LINK_PCIE)
        ; /* NVLink asked for on a PCIe part (a bridge): the class figure */
    else if ((kind == LP_LINK_PCIE || kind == LP_LINK_UNKNOWN) && gpu->pcie_gbs > 0)
        out->bandwidth = gpu->pcie_gbs * LP_LINK_DIRECTION_SHARE * GIGA;
    else if (kind == gpu->link && gpu->link_gbs > 0 && !c->network)
        out->bandwidth = gpu->link_gbs * LP_LINK_DIRECTION_SHARE * GIGA;
    else if (kind == LP_LINK_ROCE && gpu->link == LP_LINK_ROCE && gpu->link_gbs > 0)
        out->bandwidth = gpu->link_gbs * LP_LINK_DIRECTION_SHARE * GIGA; /* Gaudi's scale-up */
}

void lp_link_default(lp_link_kind kind, const lp_gpu *gpu, lp_link *out) {
    link_from_class(kind, gpu, out);
}

lp_status lp_topology_resolve(const lp_cluster *c, int world_size, lp_topology *out,
                              lp_error *err) {
    memset(out, 0, sizeof *out);
    const lp_gpu *gpu = c->gpu;
    int world = world_size > 0 ? world_size : 1;
    int per_node = lp_cluster_gpus_per_node(c);
    if (c->link_gbs < 0 || c->link_latency_s < 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "interconnect bandwidth and latency must not be negative");
    /* inside a node: the link given, else the GPU's own */
    link_from_class(lp_cluster_intra_node_link(c), gpu, &out->intra);
    /* between nodes: the network given, else RDMA at 400 Gb/s per GPU (said so) */
    bool given = c->inter_node_link_given && lp_link_is_network(c->inter_node_link);
    link_from_class(given ? c->inter_node_link : LP_LINK_INFINIBAND, NULL, &out->inter);
    out->inter_assumed = !given;
    /* TCP is never used between GPUs of one container: naming it for a replica that fits in
     * one node means each rank runs alone (pods or containers without peer-to-peer) */
    out->ranks_isolated = given && c->inter_node_link == LP_LINK_ETHERNET && world <= per_node;
    if (out->ranks_isolated)
        per_node = 1;
    out->gpus_per_node = per_node;
    out->nodes = (world + per_node - 1) / per_node;
    /* the user's figures replace those of the link the replica crosses: the network when it
     * spans nodes (or its ranks are isolated), else the node's own link */
    lp_link *target = out->nodes > 1 ? &out->inter : &out->intra;
    if (c->link_gbs > 0) {
        target->bandwidth = c->link_gbs * GIGA;
        snprintf(target->source, sizeof target->source, "%.1f GB/s per GPU as given", c->link_gbs);
        if (out->nodes > 1)
            out->inter_assumed = false;
    }
    if (c->link_latency_s > 0)
        target->latency_s = c->link_latency_s;
    return LP_OK;
}

lp_comm_group lp_topology_group(const lp_topology *t, int ranks) {
    lp_comm_group g;
    g.ranks = ranks > 0 ? ranks : 1;
    g.per_node = t->gpus_per_node < g.ranks ? t->gpus_per_node : g.ranks;
    if (g.per_node < 1)
        g.per_node = 1;
    g.nodes = (g.ranks + g.per_node - 1) / g.per_node;
    g.intra = t->intra;
    g.inter = t->inter;
    return g;
}

/* Bandwidth of a ring or tree over the group: the node's link, and between nodes the network
 * of each of the per_node GPUs driving its own NIC (NCCL runs one channel per NIC). */
static double group_bandwidth(const lp_comm_group *g) {
    if (g->nodes <= 1)
        return g->intra.bandwidth;
    double net = g->inter.bandwidth * g->per_node;
    if (g->per_node > 1 && g->intra.bandwidth < net)
        return g->intra.bandwidth;
    return net;
}

/* What lp_collective_time_s computes from the group alone; the expressions keep their order,
 * so a plan's time has the same bits as the direct formula had. */
void lp_collective_plan_init(lp_collective op, const lp_comm_group *g, lp_collective_plan *p) {
    memset(p, 0, sizeof *p);
    p->op = op;
    const int n = g->ranks;
    p->ranks = n;
    if (n <= 1)
        return;
    p->multi = g->nodes > 1;
    /* one ring step waits for its slowest edge */
    p->ring_step_s = p->multi ? g->inter.latency_s : g->intra.latency_s;
    p->bandwidth = group_bandwidth(g);
    switch (op) {
    case LP_COLL_ALL_REDUCE:
        p->fixed_s = 2.0 * (n - 1) * p->ring_step_s;
        p->share = 2.0 * (n - 1) / n;
        if (p->multi) {
            double depth = ceil(log2((double)g->nodes));
            p->tree_fixed_s =
                2.0 * ((g->per_node - 1) * g->intra.latency_s + depth * g->inter.latency_s);
        }
        break;
    case LP_COLL_ALL_GATHER:
    case LP_COLL_REDUCE_SCATTER:
        p->fixed_s = (n - 1) * p->ring_step_s;
        p->share = (double)(n - 1) / n;
        break;
    case LP_COLL_SEND_RECV:
        p->bandwidth = p->multi ? g->inter.bandwidth : g->intra.bandwidth;
        break;
    case LP_COLL_ALL_TO_ALL:
        /* every rank sends bytes/n to each other rank; what leaves the node goes over the NICs
         * (each GPU its own), the rest over the node's link */
        p->in_share = (double)(g->per_node - 1) / n;
        p->off_share = p->multi ? (double)(n - g->per_node) / n : 0;
        p->intra_bw = g->intra.bandwidth;
        p->inter_bw = g->inter.bandwidth;
        break;
    }
}

double lp_collective_plan_time_s(const lp_collective_plan *p, double bytes, const char **algo) {
    const char *name = "none";
    double t = 0;
    if (p->ranks <= 1 || bytes < 0) {
        if (algo)
            *algo = name;
        return 0;
    }
    switch (p->op) {
    case LP_COLL_ALL_REDUCE: {
        double ring = p->fixed_s + p->share * bytes / p->bandwidth;
        name = "ring";
        t = ring;
        if (p->multi) {
            double tree = p->tree_fixed_s + 2.0 * bytes / p->bandwidth;
            if (tree < ring) {
                t = tree;
                name = "tree";
            }
        }
        break;
    }
    case LP_COLL_ALL_GATHER:
    case LP_COLL_REDUCE_SCATTER:
        t = p->fixed_s + p->share * bytes / p->bandwidth;
        name = "ring";
        break;
    case LP_COLL_SEND_RECV:
        t = p->ring_step_s + bytes / p->bandwidth;
        name = "p2p";
        break;
    case LP_COLL_ALL_TO_ALL: {
        double in_node = p->in_share * bytes / p->intra_bw;
        double off_node = p->multi ? p->off_share * bytes / p->inter_bw : 0;
        t = p->ring_step_s + (in_node > off_node ? in_node : off_node);
        name = "direct";
        break;
    }
    }
    if (algo)
        *algo = name;
    return t;
}

double lp_collective_time_s(lp_collective op, double bytes, const lp_comm_group *g,
                            const char **algo) {
    lp_collective_plan p;
    lp_collective_plan_init(op, g, &p);
    return lp_collective_plan_time_s(&p, bytes, algo);
}

size_t lp_topology_describe(const lp_cluster *c, int tp, int pp, char *buf, size_t size) {
    if (size > 0)
        buf[0] = '\0';
    tp = tp > 0 ? tp : 1;
    pp = pp > 0 ? pp : 1;
    lp_topology t;
    lp_error err;
    if (size == 0 || lp_topology_resolve(c, tp * pp, &t, &err) != LP_OK)
        return 0;
    lp_comm_group g = lp_topology_group(&t, tp);
    const char *algo = NULL;
    double step_us = lp_collective_time_s(LP_COLL_ALL_REDUCE, 0, &g, &algo) * 1e6;
    char net[96];
    snprintf(net, sizeof net, "%s (%.1f GB/s/GPU%s)", lp_link_name(t.inter.kind),
             t.inter.bandwidth / GIGA, t.inter_assumed ? ", assumed" : "");
    int n = 0;
    if (t.ranks_isolated && tp > 1)
        n = snprintf(buf, size,
                     "-tp %d, one rank per container: each all-reduce goes over %s, +%.0f us "
                     "(NCCL %s); keep the TP ranks in one container with peer-to-peer",
                     tp, net, step_us, algo);
    else if (g.nodes > 1)
        n = snprintf(buf, size,
                     "-tp %d spans %d nodes of %d: each all-reduce crosses %s, +%.0f us (NCCL %s) "
                     "over %s alone; -tp %d -pp %d keeps TP in a node",
                     tp, g.nodes, t.gpus_per_node, net, step_us, algo, lp_link_name(t.intra.kind),
                     t.gpus_per_node, (tp * pp) / t.gpus_per_node);
    else if (t.nodes > 1)
        n = snprintf(buf, size,
                     "%d nodes of %d: TP stays in a node; %d pipeline hand-off%s between nodes "
                     "over %s: one send/recv of the activations per step",
                     t.nodes, t.gpus_per_node, t.nodes - 1, t.nodes > 2 ? "s" : "", net);
    return n > 0 ? (size_t)n : 0;
}
