/*
 * bench_batch.c - how fast `llmplan estimate --batch FILE.jsonl --json` streams, end to end:
 * one process reading a JSONL file, estimating every line (roofline) and writing one JSON line
 * per request, as a user runs it (the binary's path is argv[1]).
 *
 * The file mixes what a sweep over deployments looks like: 4 catalog models x 4 GPUs x 1-4-way
 * tensor parallelism (the 32B and 70B models on 4 GPUs), prompt and output lengths and client
 * counts varying line by line (every line a different workload), with the field names other
 * planners write. It is run at two sizes; lines per second is the larger run's, and the peak
 * resident memory of both shows that memory does not grow with the file (the results are streamed,
 * not held). Prints the figures; not a test (no thresholds here).
 */
/* wait4 (the child's own peak memory) is a BSD/glibc call, not POSIX */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *const MODELS[] = {"meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen3-8B",
                                     "meta-llama/Llama-3.3-70B-Instruct", "Qwen/Qwen3-32B"};
static const char *const GPUS[] = {"H100", "A100-80GB", "L40S", "H200"};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Write n lines of requests to path. */
static void write_file(const char *path, long n) {
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    for (long i = 0; i < n; i++) {
        /* the 8B models on 1, 2 or 4 GPUs, the 32B and 70B ones on 4 (they need them) */
        int tp = i % 4 < 2 ? 1 << (i / 16 % 3) : 4;
        fprintf(f,
                "{\"model\": \"%s\", \"gpu_type\": \"%s\", \"tp_size\": %d, \"input_len\": %ld, "
                "\"output_len\": %ld, \"concurrency\": %ld}\n",
                MODELS[i % 4], GPUS[i / 4 % 4], tp, 128 + (i * 37) % 3968, 32 + (i * 13) % 480,
                1 + i % 64);
    }
    if (fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* Run cli estimate --batch path --json with stdout to /dev/null; wall seconds and the child's
 * peak resident memory in KiB. */
static double run(const char *cli, const char *path, long *maxrss_kib, double *cpu_s) {
    double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execl(cli, cli, "estimate", "--batch", path, "--json", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) {
        perror("bench_batch");
        exit(1);
    }
    double t = now_s() - t0;
    /* 3: some line does not fit (its line says so), which is an answer too */
    if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 3)) {
        fprintf(stderr, "bench_batch: %s estimate --batch exited %d\n", cli,
                WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        exit(1);
    }
    *maxrss_kib = ru.ru_maxrss;
    *cpu_s = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
             (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
    return t;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_batch PATH/TO/llmplan [LINES]\n");
        return 2;
    }
    long big = argc > 2 ? atol(argv[2]) : 400000;
    long small = big / 4;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char path[512];
    snprintf(path, sizeof path, "%s/bench_batch_%ld.jsonl", tmp, (long)getpid());
    long rss_small = 0, rss_big = 0;
    double cpu_small = 0, cpu_big = 0;
    write_file(path, small);
    double t_small = run(argv[1], path, &rss_small, &cpu_small);
    write_file(path, big);
    double t_big = run(argv[1], path, &rss_big, &cpu_big);
    remove(path);
    printf("bench_batch: estimate --batch --json, roofline, 4 models x 4 GPUs x TP 1/2/4, "
           "every line its own workload\n");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf("  (%ld online CPUs; CPU s = user + system time of the process, all threads)\n", cores);
    printf("  %7ld lines: %6.2f s  %9.0f lines/s  %6.2f CPU s  peak RSS %6.1f MiB\n", small,
           t_small, (double)small / t_small, cpu_small, (double)rss_small / 1024.0);
    printf("  %7ld lines: %6.2f s  %9.0f lines/s  %6.2f CPU s  peak RSS %6.1f MiB\n", big, t_big,
           (double)big / t_big, cpu_big, (double)rss_big / 1024.0);
    return 0;
}
