/*
 * artifacts_internal.h - what the artifact renderers share: the resolved deployment, the
 * vLLM argument list (each argument marked literal or "raw", a target-specific expansion such
 * as "$MASTER_ADDR" or "$(LWS_LEADER_ADDRESS)" that must not be quoted or escaped), and a small
 * growable string buffer. Private to src/render/artifacts*.c.
 */
#ifndef LP_ARTIFACTS_INTERNAL_H
#define LP_ARTIFACTS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "llmplan/artifacts.h"

typedef enum { ART_VENDOR_NVIDIA, ART_VENDOR_AMD, ART_VENDOR_OTHER } art_vendor;

/** A deployment with defaults filled in and its consistency checked. */
typedef struct {
    const lp_deploy *d;
    int tp, pp, dp;
    int gpus_per_node;
    int nodes;        /**< 1 when everything fits on one node */
    int gpus_on_node; /**< GPUs used on each node */
    int dp_local;     /**< data-parallel replicas per node (multi-node DP), else dp */
    int port;
    int replicas; /**< instances of this server (disaggregated: of its role), else 1 */
    art_vendor vendor;
    bool use_entrypoint; /**< the image's entrypoint is the vLLM server (vllm/vllm-openai) */
    char name[64];
    char image[192];
} art_plan;

/** One command-line argument. */
typedef struct {
    char *text;
    bool raw; /**< an expansion written verbatim by the renderer (never quoted/escaped) */
} art_arg;

typedef struct {
    art_arg *v;
    int n;
    size_t cap;
} art_args;

/** Which command to build, and how node-dependent values are spelled. */
typedef struct {
    bool serve_prefix;         /**< start with "vllm serve MODEL" (else "--model MODEL") */
    bool host_all;             /**< add --host 0.0.0.0 (inside a container) */
    int node_rank;             /**< 0 = head; any other value selects a worker's command */
    const char *node_rank_raw; /**< expansion for the node rank (NULL: the number) */
    const char *master_addr;   /**< node 0's address */
    bool master_addr_raw;      /**< master_addr is an expansion */
    const char *dp_start_raw;  /**< expansion for --data-parallel-start-rank (NULL: number) */
} art_target;

lp_status art_resolve(const lp_deploy *d, art_plan *p, lp_error *err);
/** LP_ERR_UNSUPPORTED for GPUs other than NVIDIA and AMD, naming what ("container",
 *  "Kubernetes") is not generated; LP_OK otherwise. */
lp_status art_check_vendor(const art_plan *p, const char *what, lp_error *err);

/** art_resolve, then art_check_vendor: the plan of an artifact that runs the vendor's vLLM
 *  image (what: "container", "Kubernetes"). */
lp_status art_resolve_vendor(const lp_deploy *d, const char *what, art_plan *p, lp_error *err);
/** Build the vLLM arguments for target t (Ray worker nodes have none: error). */
lp_status art_build_args(const art_plan *p, const art_target *t, art_args *out, lp_error *err);
void art_args_free(art_args *a);
/** Append one literal argument; false when out of memory. */
bool art_args_push(art_args *a, const char *text);
/** Append the flags of the serving modes d asks for (artifacts_modes.c): --no-enable-prefix-
 *  caching, --speculative-config, the LoRA limits, --kv-transfer-config; false on OOM. */
bool art_push_mode_flags(art_args *a, const lp_deploy *d);

/** Growable NUL-terminated string; oom records a failed allocation (later appends no-op). */
typedef struct {
    char *s;
    size_t len, cap;
    bool oom;
} art_buf;

void art_buf_add(art_buf *b, const char *text);
void art_buf_addf(art_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/** Append text quoted for POSIX sh (bare when it only has safe characters, else '...'). */
void art_buf_sh_quote(art_buf *b, const char *text);
/** Append text with every '$' doubled (Compose interpolation, Kubernetes $(VAR) expansion). */
void art_buf_dollar_escape(art_buf *b, const char *text);
/** Append, quoted for sh, the Python program that blocks until the Ray cluster has `nodes`
 *  live nodes (the `python3 -c` argument of a Ray head's shell command). */
void art_buf_ray_wait(art_buf *b, int nodes);
/**
 * Append args as one sh command line: literal args sh-quoted (and '$'-doubled when
 * escape_dollar), raw args verbatim; sep goes before each flag, a space before other args.
 */
void art_buf_sh_join(art_buf *b, const art_args *args, const char *sep, bool escape_dollar);
void art_buf_free(art_buf *b);
/** Append text for a comment line: control characters (a newline would end it) become '?'. */
void art_buf_comment(art_buf *b, const char *text);
/** Write b to out and free it; LP_ERR_NOMEM when b ran out, LP_ERR_IO naming what. */
lp_status art_flush(art_buf *b, FILE *out, const char *what, lp_error *err);
/** The `vllm serve` command(s) of p as serve.sh runs them (a case on $NODE_RANK over nodes). */
lp_status art_serve_commands(art_buf *b, const art_plan *p, lp_error *err);

/* Disaggregated prefill/decode (artifacts_disagg.c). */
/** serve.sh of a disaggregated deployment: one command per role, chosen by $ROLE. */
lp_status art_disagg_serve(const lp_deploy *d, FILE *out, lp_error *err);
/** The prefill and the decode `vllm serve` line, joined by a newline (malloc'd; NULL: err). */
char *art_disagg_serve_lines(const lp_deploy *d, lp_error *err);
/** Both roles resolved: the role deployments (k8s_port: the ports k8s.yaml uses, else serve.sh's)
 *  and their plans, each plan's replicas the role's instances. */
typedef struct {
    lp_deploy role[2]; /**< [0] prefill, [1] decode */
    art_plan plan[2];
} art_disagg;
lp_status art_disagg_resolve(const lp_deploy *d, bool k8s_ports, art_disagg *out, lp_error *err);
/** LP_ERR_UNSUPPORTED: what (a file name) has no disaggregated form. */
lp_status art_disagg_unsupported(const char *what, lp_error *err);

#endif
