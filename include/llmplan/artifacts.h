/*
 * llmplan/artifacts.h - ready-to-run deployment files for one chosen configuration.
 *
 * From a deployment description (the model, the GPUs and the vLLM settings the planner chose)
 * these functions write what an operator runs: the `vllm serve` command line (as an argv array
 * or a shell script), a `docker run` script, a docker-compose.yaml and Kubernetes manifests.
 * Flags are spelled as vLLM spells them (docs/vllm_internals.md (e)) and a flag is written
 * only when it differs from vLLM's default or the deployment needs it.
 *
 * Multi-node (num_gpus > gpus_per_node): by default vLLM's own launcher (`--nnodes N
 * --node-rank R --master-addr ADDR`, the `mp` executor; ranks other than 0 run `--headless`);
 * with multi_node_ray, a Ray cluster (`ray start --head` on node 0, `ray start --address=...`
 * on the others, then `vllm serve ... --distributed-executor-backend ray` on node 0). Data
 * parallelism across nodes uses vLLM's data-parallel deployment flags (each node runs
 * data_parallel_size x gpus_per_node / num_gpus replicas). Kubernetes multi-node output is a
 * LeaderWorkerSet shaped like vLLM's LWS example (docs/deployment/frameworks/lws.md).
 *
 * Disaggregated prefill/decode (serving.disaggregation xPyD, lp_disaggregated): one vLLM server
 * per role, each with its --kv-transfer-config; serve.sh picks the role from $ROLE, k8s.yaml
 * holds a prefill and a decode Deployment (a LeaderWorkerSet for a role whose instance spans
 * nodes) with x and y replicas, llm-d's routing sidecar in the decode pods and a Service per
 * role. docker-run.sh and docker-compose.yaml are not generated for it (LP_ERR_UNSUPPORTED).
 *
 * YAML is produced with libyaml's emitter (all quoting done by the library).
 */
#ifndef LLMPLAN_ARTIFACTS_H
#define LLMPLAN_ARTIFACTS_H

#include <stdbool.h>
#include <stdio.h>

#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The image used when lp_deploy.image is NULL (NVIDIA and other CUDA GPUs). */
#define LP_ARTIFACT_IMAGE_DEFAULT "vllm/vllm-openai"
/** The image used for AMD GPUs when lp_deploy.image is NULL (AMD's ROCm build of vLLM). */
#define LP_ARTIFACT_IMAGE_ROCM "rocm/vllm"
/** vLLM's default API port (`--port`, vllm/entrypoints/openai/cli_args.py). */
#define LP_ARTIFACT_PORT_DEFAULT 8000
/** Port of the Ray head (`ray start --head` default, GCS server). */
#define LP_ARTIFACT_RAY_PORT 6379
/** NIXL's handshake port (VLLM_NIXL_SIDE_CHANNEL_PORT default, vLLM's
 *  docs/features/nixl_connector_usage.md). */
#define LP_ARTIFACT_NIXL_SIDE_CHANNEL_PORT 5600
/** Where vLLM listens in a decode pod behind llm-d's routing sidecar (the sidecar takes the
 *  pod's API port), as llm-d's P/D manifests place it. */
#define LP_ARTIFACT_DECODE_VLLM_PORT 8200
/** llm-d's routing sidecar (github.com/llm-d/llm-d-routing-sidecar), the proxy in front of a
 *  decode instance that sends the prefill to the instance named in the request's
 *  x-prefiller-host-port header first. */
#define LP_ARTIFACT_ROUTING_SIDECAR_IMAGE "ghcr.io/llm-d/llm-d-routing-sidecar:v0.4.0"

/** The role of one vLLM instance (disaggregated prefill/decode writes one command per role). */
typedef enum {
    LP_DEPLOY_AGGREGATED = 0, /**< an ordinary server */
    LP_DEPLOY_PREFILL,        /**< the KV producer of a disaggregated pair */
    LP_DEPLOY_DECODE          /**< the KV consumer */
} lp_deploy_role;

/** One deployment: what the planner decided. All pointers are borrowed (caller-owned). */
typedef struct {
    const char *model;             /**< HF id or path given to `vllm serve` (required) */
    const char *served_model_name; /**< --served-model-name (NULL: omitted) */
    const lp_gpu *gpu; /**< GPU type (NULL: treated as an NVIDIA GPU of unknown product) */
    /** total GPUs; must equal TP x PP x DP (disaggregated: lp_disaggregation_gpus) */
    int num_gpus;
    int gpus_per_node;         /**< GPUs per node (0: 8) */
    lp_serving serving;        /**< engine settings (zero/NULL fields: vLLM's default, omitted) */
    int port;                  /**< API port (0: 8000) */
    const char *image;         /**< container image (NULL: vllm/vllm-openai, tag from version) */
    const char *name;          /**< resource name, a DNS-1123 label (NULL: from the model id) */
    bool multi_node_ray;       /**< Ray cluster instead of --nnodes/--node-rank (multi-node) */
    const char *hf_secret;     /**< k8s Secret holding the HF token (NULL: "hf-token-secret") */
    const char *hf_secret_key; /**< key in that Secret (NULL: "token") */
    /** Disaggregated prefill/decode: this instance's role; its --kv-transfer-config names
     *  serving.disaggregation.kv_connector. serving is the role's own (lp_disaggregation_role_
     *  serving). */
    lp_deploy_role role;
    /** Host of the routing proxy the P2pNcclConnector registers with (NULL: 127.0.0.1). */
    const char *proxy_host;
    /** Disaggregated: the GPU type of each pool (NULL: gpu). */
    const lp_gpu *prefill_gpu, *decode_gpu;
} lp_deploy;

/**
 * One role of the disaggregated deployment d as a deployment of its own: one instance with
 * the role's settings (lp_disaggregation_role_serving), its GPU type and GPU count, role set,
 * and the resource name "<name>-prefill" or "<name>-decode". out borrows from d.
 * Errors: LP_ERR_INVALID_ARG when d is not disaggregated or role is LP_DEPLOY_AGGREGATED.
 */
lp_status lp_artifact_role_deploy(const lp_deploy *d, lp_deploy_role role, lp_deploy *out,
                                  lp_error *err);

/** Which command line lp_artifact_vllm_args builds. */
typedef enum {
    /** `vllm serve MODEL --flag ...`: argv[0] is "vllm", argv[1] "serve", argv[2] the model. */
    LP_ARGS_VLLM_SERVE = 0,
    /**
     * The arguments given after the image to vllm/vllm-openai, whose entrypoint is the
     * OpenAI-compatible server (`vllm serve` in current images, the api_server module in old
     * ones; both take `--model`): `--model MODEL ... --host 0.0.0.0 --port P`, as in vLLM's
     * docs/deployment/docker.md (`docker run ... vllm/vllm-openai:latest --model ...`).
     */
    LP_ARGS_CONTAINER
} lp_args_form;

/** Options for lp_artifact_vllm_args. A zeroed struct means: `vllm serve` form, node 0. */
typedef struct {
    lp_args_form form;
    int node_rank; /**< which node's command, 0..nodes-1 (multi-node only; 0 = the head) */
    /**
     * Address of node 0 as the other nodes reach it (multi-node with the mp launcher or
     * data parallelism; required there, ignored otherwise).
     */
    const char *master_addr;
} lp_args_opts;

/** Nodes the deployment spans: num_gpus / gpus_per_node, or 1 when it fits on one node. */
int lp_artifact_num_nodes(const lp_deploy *d);

/**
 * Default resource name for a model id: the last path component, lower-cased, every run of
 * other characters than [a-z0-9] turned into '-', prefixed with "vllm-" when it does not start
 * with a letter, at most 40 characters (room for suffixes such as "-leader"). Writes into buf
 * (size >= 2) and returns it; "vllm" when nothing usable is left.
 */
const char *lp_artifact_default_name(const char *model, char *buf, size_t size);

/**
 * Build the vLLM command line for d as a NULL-terminated argv array (*argc_out entries plus
 * the NULL). A disaggregated d has one command per role: pass lp_artifact_role_deploy's. opts may
 * be NULL (`vllm serve` form, node 0). The caller frees the result with lp_artifact_args_free.
 * Values are not shell-quoted: each element is one argument.
 *
 * Errors: LP_ERR_INVALID_ARG for a missing model, TP x PP x DP != num_gpus, a multi-node
 * num_gpus that is not a multiple of gpus_per_node, gpu_memory_utilization outside (0, 1],
 * a block size vLLM rejects (allowed 1, 8, 16, 32, 64, 128, 256), a dtype or KV-cache dtype
 * vLLM has no choice for, an unknown --quantization method, a node_rank out of range, a
 * missing master_addr where one is needed, a Ray worker node (it runs no vLLM command);
 * LP_ERR_UNSUPPORTED for data parallelism whose replicas do not fit one node each;
 * LP_ERR_NOMEM on allocation failure. On error *argv_out is NULL and *argc_out 0.
 */
lp_status lp_artifact_vllm_args(const lp_deploy *d, const lp_args_opts *opts, char ***argv_out,
                                int *argc_out, lp_error *err);

/** Free an argv array from lp_artifact_vllm_args. NULL is fine. */
void lp_artifact_args_free(char **argv, int argc);

/** The placeholder for node 0's address in a multi-node command line (a shell variable). */
#define LP_ARTIFACT_MASTER_ADDR_VAR "$MASTER_ADDR"

/**
 * The `vllm serve` command of d as one shell line, every value quoted where a shell needs it:
 * node 0's command for several nodes, with $MASTER_ADDR (left for the shell to expand) as its
 * address. A disaggregated d gives the prefill command, a newline, then the decode command.
 * Returns a malloc'd string (the caller frees it), or NULL with err set: the errors
 * of lp_artifact_vllm_args, LP_ERR_NOMEM.
 */
char *lp_artifact_vllm_serve_line(const lp_deploy *d, lp_error *err);

/**
 * Write serve.sh: a POSIX sh script that runs `vllm serve` with every value shell-quoted.
 * Multi-node: one script for every node, selecting its command from $NODE_RANK, with node 0's
 * address in $MASTER_ADDR (both required, checked by the script).
 * Errors: those of lp_artifact_vllm_args; LP_ERR_IO when writing to out fails.
 */
lp_status lp_artifact_vllm_serve(const lp_deploy *d, FILE *out, lp_error *err);

/**
 * Write docker-run.sh: `docker run` with the GPUs (--gpus all, or "device=0,1" for a subset
 * of one node; /dev/kfd + /dev/dri for AMD), --ipc=host, -p PORT:PORT (host networking for
 * multi-node), the Hugging Face cache mounted, HF_TOKEN passed through, the image and the
 * container-form vLLM arguments. Multi-node: selected by $NODE_RANK / $MASTER_ADDR as serve.sh.
 * Errors: those of lp_artifact_vllm_args; LP_ERR_UNSUPPORTED for a GPU vendor without a
 * container recipe here (only NVIDIA and AMD); LP_ERR_IO on a write failure.
 */
lp_status lp_artifact_docker_run(const lp_deploy *d, FILE *out, lp_error *err);

/**
 * Write docker-compose.yaml: service(s) with deploy.resources.reservations.devices (NVIDIA:
 * driver nvidia, count, capabilities [gpu]; AMD: /dev/kfd and /dev/dri devices), ipc: host,
 * ports, the HF cache volume and HF_TOKEN. Multi-node: one service per node
 * (`<name>-node<R>`, network_mode host); start service R on node R with MASTER_ADDR set.
 * User values containing '$' are escaped ($$) against Compose interpolation.
 * Errors: as lp_artifact_docker_run.
 */
lp_status lp_artifact_compose(const lp_deploy *d, FILE *out, lp_error *err);

/**
 * Write Kubernetes manifests. One node: a Deployment (vLLM container with the container-form
 * arguments, GPU limits nvidia.com/gpu or amd.com/gpu, /health readiness and liveness probes,
 * a memory-backed emptyDir at /dev/shm, HF_TOKEN from an optional Secret, a preferred node
 * affinity on nvidia.com/gpu.product) and a ClusterIP Service. Several nodes: a LeaderWorkerSet
 * (leaderworkerset.x-k8s.io/v1, size = nodes, leaderTemplate + workerTemplate) and a Service
 * selecting the leader. Errors: as lp_artifact_docker_run.
 */
lp_status lp_artifact_k8s(const lp_deploy *d, FILE *out, lp_error *err);

/**
 * Write the artifacts named in kinds (comma-separated: "vllm", "docker", "compose", "k8s",
 * or "all"; "all" for a disaggregated deployment is "vllm,k8s") into out_dir as serve.sh,
 * docker-run.sh, docker-compose.yaml and k8s.yaml, creating out_dir (and its parents) when missing.
 * A file that exists is replaced only with force (keeping its permissions); a new script is
 * executable (mode 0777 less the umask). Each file is written beside its name and renamed into
 * place once all are complete, so a failure changes nothing; a symbolic link at a name is replaced,
 * never written through. Errors: LP_ERR_INVALID_ARG for an unknown or empty kind list or a file
 * that exists (without force); LP_ERR_IO when the directory or a file cannot be created or written
 * (the message names the path); the errors of the renderers.
 */
lp_status lp_artifact_write(const lp_deploy *d, const char *kinds, const char *out_dir, bool force,
                            lp_error *err);

/**
 * Whether lp_artifact_write(kinds, out_dir, force) would find its names free (or force), and
 * kinds valid, without writing anything: for a command to refuse before it does any work.
 */
lp_status lp_artifact_check(const char *kinds, const char *out_dir, bool force, lp_error *err);

#ifdef __cplusplus
}
#endif

#endif
