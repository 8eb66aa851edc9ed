/*
 * bench_gpu_file.c - loading a large --gpu-file is linear in its rows.
 * Builds GPU tables of 10,000 and 100,000 rows (the T4 row of data/gpus.tsv under distinct
 * names), loads each through lp_gpu_db_load_file (parse, duplicate check, merge with the
 * embedded table) and prints the time and rows per second. A linear loader takes about 10x as
 * long for 10x the rows; the old linear search per row took 100x (minutes for 100,000).
 * Fails (exit 1) when the ratio exceeds 25.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "llmplan/hw.h"

#define RUNS 3
#define MAX_RATIO 25.0

static const char HEADER[] = "name\tvendor\tarchitecture\tcompute_capability\tmemory_gib\t"
                             "memory_bandwidth_gbs\tbf16_dense_tflops\tlink\tsource\n";
static const char ROW[] = "\tNVIDIA\tTuring (TU104)\t7.5\t16\t320\t65\tpcie\tbench row\n";

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Write a table of n rows to a temporary file; its path into path. */
static void write_table(size_t n, char *path, size_t size) {
    const char *tmp = getenv("TMPDIR");
    snprintf(path, size, "%s/lp_bench_gpu_file_%d_%zu.tsv", tmp && *tmp ? tmp : "/tmp",
             (int)getpid(), n);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(HEADER, f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "Bench GPU %zu%s", i, ROW);
    if (fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* Best of RUNS loads of a table of n rows, in seconds. */
static double load_time(size_t n) {
    char path[512];
    write_table(n, path, sizeof path);
    double best = 1e9;
    for (int r = 0; r < RUNS; r++) {
        lp_gpu_db *db;
        lp_error err;
        double t0 = now_s();
        if (lp_gpu_db_load_file(path, &db, &err) != LP_OK) {
            fprintf(stderr, "bench_gpu_file: %s\n", err.message);
            exit(1);
        }
        double t = now_s() - t0;
        if (lp_gpu_db_count(db) < n) {
            fprintf(stderr, "bench_gpu_file: %zu rows loaded, expected %zu and more\n",
                    lp_gpu_db_count(db), n);
            exit(1);
        }
        lp_gpu_db_free(db);
        if (t < best)
            best = t;
    }
    remove(path);
    return best;
}

int main(void) {
    double small = load_time(10000), large = load_time(100000);
    printf("bench_gpu_file: 10,000 rows in %.3f s (%.0f rows/s); 100,000 rows in %.3f s "
           "(%.0f rows/s); ratio %.1f (linear: ~10)\n",
           small, 10000 / small, large, 100000 / large, large / small);
    return large / small > MAX_RATIO ? 1 : 0;
}
