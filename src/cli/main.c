/*
 * main.c - the llmplan command-line tool: dispatches to one file per command.
 * No estimation logic lives here or in any src/cli file; they parse flags, call the library
 * and hand results to src/render.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/text.h"
#include "llmplan/hub.h"
#include "llmplan/version.h"

int lp_cli_exit_code(lp_status st) {
    switch (st) {
    case LP_OK:
        return LP_EXIT_OK;
    case LP_ERR_IO:
    case LP_ERR_NOMEM:
        return LP_EXIT_FAILURE;
    case LP_ERR_INFEASIBLE:
        return LP_EXIT_INFEASIBLE;
    case LP_ERR_LIMIT:
        return LP_EXIT_LIMIT;
    default:
        return LP_EXIT_USAGE;
    }
}

int lp_cli_fail(const lp_error *err) {
    /* messages quote files, names and servers: no control character reaches the terminal */
    char msg[LP_ERROR_MESSAGE_SIZE];
    lp_text_printable_copy(err->message[0] ? err->message : lp_strerror(err->code), msg,
                           sizeof msg);
    fprintf(stderr, "llmplan: %s\n", msg);
    return lp_cli_exit_code(err->code);
}

/* The system's reason for the first failed write to stdout, kept for finish_output: glibc may
 * drop the unwritten buffer after a failed fflush, and the final flush then has no errno. */
static int g_stdout_errno;

int lp_cli_render_failed(const char *cmd) {
    int e = errno;
    if (ferror(stdout)) {
        if (!g_stdout_errno)
            g_stdout_errno = e;
    } else {
        fprintf(stderr, "llmplan %s: writing the output failed\n", cmd);
    }
    return LP_EXIT_FAILURE;
}

static void usage(FILE *f) {
    fprintf(
        f,
        "llmplan %s - plan vLLM deployments before renting GPUs\n"
        "\n"
        "Usage: llmplan <command> [options]\n"
        "\n"
        "Commands:\n"
        "  plan       does a model fit on these GPUs under vLLM? memory, KV cache, concurrency\n"
        "  estimate   how fast? TTFT, TPOT, ITL, E2E latency and throughput for a workload\n"
        "  recommend  the best deployments for a workload under latency targets, ranked\n"
        "  explain    why one configuration performs as it does: memory, bottlenecks\n"
        "  models     list the embedded model catalog\n"
        "  gpus       list the embedded GPU database\n"
        "  detect     list this machine's GPUs, their memory in use and links (NVML, nvidia-smi)\n"
        "  accuracy   compare llmplan with real vLLM start-up logs (../shared/validation)\n"
        "  compare    compare a `vllm bench serve` result file / start-up log with llmplan\n"
        "  calibrate  fit a GPU family's roofline efficiencies to your benchmark results\n"
        "  serve      a local web planner and JSON API (http://127.0.0.1:8080/)\n"
        "  version    print the version\n"
        "\n"
        "Run `llmplan <command> --help` for the options of a command. Examples:\n"
        "  llmplan plan --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 --max-model-len 16000\n"
        "  llmplan plan --model ./my-model-dir --gpu \"NVIDIA A100-SXM4-80GB\" -tp 2 --json\n"
        "\n"
        "Exit codes: 0 ok (fits), 1 I/O failure, 2 bad usage or input, 3 does not fit,\n"
        "4 larger than a resource limit allows (simulation steps, search size).\n",
        LP_VERSION_STRING);
}

/*
 * Descriptors 0-2 that the caller closed (`llmplan plan ... >&-`) are held by /dev/null opened
 * read-only: a file the command opens can then never become its stdout, and a write to them
 * fails (EBADF) as it would have, to be reported below.
 */
static void hold_standard_fds(void) {
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        int held = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (held >= 0 && held != fd) {
            dup2(held, fd); /* the lowest free descriptor is fd itself; this is a safeguard */
            close(held);
        }
    }
}

/* Every command's output reaches its reader, or the command fails: a write error (a full
 * disk, a closed stdout) is exit 1 with the system's reason, said once. The final flush fails
 * again with the same errno while glibc still holds the unwritten output; when it dropped it,
 * the reason a renderer saw (lp_cli_render_failed) is used. */
static int finish_output(const char *cmd, int rc) {
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout))
        return rc;
    int e = errno ? errno : g_stdout_errno;
    fprintf(stderr, "llmplan%s%s: cannot write the output: %s\n", *cmd ? " " : "", cmd,
            e ? strerror(e) : "write error");
    return LP_EXIT_FAILURE;
}

/* Hub downloads on a terminal: one line, rewritten shard by shard (stderr, never stdout). */
static void hub_progress(void *ctx, const char *id, int64_t done, int64_t total, int64_t bytes) {
    (void)ctx;
    char shown[96];
    lp_text_printable_copy(id, shown, sizeof shown);
    fprintf(stderr, "\rllmplan: %s: safetensors headers from the Hub: %lld of %lld shards, %.1f MB",
            shown, (long long)done, (long long)total, (double)bytes / 1e6);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

static int dispatch(int argc, char **argv) {
    const char *cmd = argv[1];
    if (strcmp(cmd, "plan") == 0)
        return lp_cmd_plan(argc, argv);
    if (strcmp(cmd, "estimate") == 0)
        return lp_cmd_estimate(argc, argv);
    if (strcmp(cmd, "recommend") == 0)
        return lp_cmd_recommend(argc, argv);
    if (strcmp(cmd, "explain") == 0)
        return lp_cmd_explain(argc, argv);
    if (strcmp(cmd, "models") == 0)
        return lp_cmd_models(argc, argv);
    if (strcmp(cmd, "gpus") == 0)
        return lp_cmd_gpus(argc, argv);
    if (strcmp(cmd, "detect") == 0)
        return lp_cmd_detect(argc, argv);
    if (strcmp(cmd, "accuracy") == 0)
        return lp_cmd_accuracy(argc, argv);
    if (strcmp(cmd, "compare") == 0)
        return lp_cmd_compare(argc, argv);
    if (strcmp(cmd, "calibrate") == 0)
        return lp_cmd_calibrate(argc, argv);
    if (strcmp(cmd, "serve") == 0)
        return lp_cmd_serve(argc, argv);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("llmplan %s\n", LP_VERSION_STRING);
        return LP_EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return LP_EXIT_OK;
    }
    char shown[64];
    snprintf(shown, sizeof shown, "%s", cmd);
    for (char *p = shown; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    fprintf(stderr, "llmplan: unknown command \"%s%s\"\n\n", shown,
            strlen(cmd) >= sizeof shown ? "..." : "");
    usage(stderr);
    return LP_EXIT_USAGE;
}

int main(int argc, char **argv) {
    hold_standard_fds();
    if (isatty(STDERR_FILENO))
        lp_hub_set_progress(hub_progress, NULL);
    if (argc < 2) {
        usage(stderr);
        return LP_EXIT_USAGE;
    }
    int rc = dispatch(argc, argv);
    return finish_output(argv[1][0] == '-' ? "" : argv[1], rc);
}
