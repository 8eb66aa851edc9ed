/*
 * bench_plan.c - how fast planning is.
 *   1. library: lp_mem_plan_compute over a sweep of GPUs, TP sizes and context lengths on one
 *      core (plans per second, ns per plan), for a dense, a MoE and a hybrid model;
 *   2. process: wall time of one `llmplan plan` run (fork + exec + catalog + plan + report),
 *      when the binary's path is given as argv[1].
 * Prints ratios and per-item costs; not a test (no thresholds here).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "llmplan/hw.h"
#include "llmplan/mem.h"
#include "llmplan/model.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static lp_model model;
static lp_mem_plan plan;

static void bench_library(const char *model_id) {
    static const char *const gpus[] = {"H100", "A100 80GB", "L40S", "H200", "L4", "MI300X"};
    static const int tps[] = {1, 2, 4, 8};
    static const int64_t lens[] = {2048, 4096, 8192, 16000, 32768, 65536, 131072};
    lp_error err;
    if (lp_model_load(model_id, NULL, &model, &err) != LP_OK) {
        fprintf(stderr, "bench: %s\n", err.message);
        exit(1);
    }
    const lp_gpu *g[6];
    for (int i = 0; i < 6; i++)
        if (lp_gpu_find(lp_gpu_db_builtin(), gpus[i], &g[i], &err) != LP_OK) {
            fprintf(stderr, "bench: %s\n", err.message);
            exit(1);
        }
    long plans = 0, fits = 0;
    double t0 = now_s(), t;
    do {
        for (int gi = 0; gi < 6; gi++)
            for (int ti = 0; ti < 4; ti++)
                for (int li = 0; li < 7; li++) {
                    lp_serving s;
                    lp_serving_init(&s);
                    s.tensor_parallel_size = tps[ti];
                    s.max_model_len = lens[li];
                    if (lp_mem_plan_compute(&model, g[gi], &s, &plan, NULL) == LP_OK)
                        fits += plan.fits;
                    plans++;
                }
        t = now_s() - t0;
    } while (t < 1.0);
    printf("library  %-44s %9.0f plans/s  %7.2f us/plan  (%ld plans, %ld fit)\n", model_id,
           (double)plans / t, 1e6 * t / (double)plans, plans, fits);
}

static void bench_process(const char *exe) {
    const int runs = 40;
    double total = 0, worst = 0;
    for (int i = 0; i < runs; i++) {
        double t0 = now_s();
        pid_t pid = fork();
        if (pid == 0) {
            int fd = open("/dev/null", O_WRONLY);
            dup2(fd, 1);
            execl(exe, exe, "plan", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "H100",
                  "--max-model-len", "16000", (char *)NULL);
            _exit(127);
        }
        int status;
        waitpid(pid, &status, 0);
        double dt = now_s() - t0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "bench: %s plan failed\n", exe);
            exit(1);
        }
        total += dt;
        if (dt > worst)
            worst = dt;
    }
    printf("process  llmplan plan (Llama-3.1-8B-Instruct, H100)     %7.2f ms mean  %7.2f ms worst "
           "(%d runs, wall time incl. fork+exec)\n",
           1e3 * total / runs, 1e3 * worst, runs);
}

int main(int argc, char **argv) {
    bench_library("meta-llama/Llama-3.1-8B-Instruct");
    bench_library("Qwen/Qwen3-235B-A22B");
    bench_library("google/gemma-3-27b-it");
    if (argc > 1)
        bench_process(argv[1]);
    return 0;
}
