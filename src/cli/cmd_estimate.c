/*
 * cmd_estimate.c - `llmplan estimate`: how fast would this deployment serve this workload?
 * Flags are spelled as `vllm serve` (engine settings) and `vllm bench serve` (workload) spell
 * them; they become an estimate request (model and GPU resolved here, at the edge), lp_estimate
 * answers it, and the result is the report `vllm bench serve` would print, or with --json the
 * keys of its --save-result file. --batch FILE.jsonl streams one request per line (fields as
 * lp_perf_request_from_json accepts them): chunks of lines are answered on every core and
 * written in input order, so memory stays bounded whatever the file's size; bad lines are
 * reported and the others go on.
 */
/* fopencookie: the workers' output streams (a GNU extension of glibc) */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/grow.h"
#include "cli/cli.h"
#include "cli/gpu_flags.h"
#include "cli/mode_flags.h"
#include "cli/opts.h"
#include "cli/serving_flags.h"
#include "cli/workload_flags.h"
#include "common/text.h"
#include "llmplan/calibrate.h"
#include "llmplan/detect.h"
#include "llmplan/hw.h"
#include "llmplan/model.h"
#include "llmplan/perf.h"
#include "llmplan/perf_io.h"
#include "llmplan/render.h"
#include "llmplan/usecase.h"

typedef struct {
    const char *model, *interconnect, *method, *batch, *calibration;
    lp_cli_gpu_flags g; /* --gpu, --gpu-file and a GPU described by hand */
    lp_cli_serving sv;  /* the vLLM engine flags */
    lp_cli_modes m;     /* the serving modes' flags */
    lp_cli_workload w;  /* the `vllm bench serve` flags */
    int64_t seed, gpus_per_node;
    double params_b, interconnect_gbs, interconnect_latency_us;
    bool json, help, seen_method;
} est_args;

static void print_help(const lp_opt *opts) {
    printf("Usage: llmplan estimate (--model MODEL | --params-b B) [--gpu GPU] [options]\n"
           "       llmplan estimate --batch FILE.jsonl [--json]\n"
           "\n"
           "Estimates TTFT, TPOT, ITL and end-to-end latency, request and token throughput,\n"
           "and the bottleneck of each phase, as `vllm bench serve` would measure them.\n"
           "Methods: roofline (default; operator-level step model), simulate (vLLM's\n"
           "scheduler simulated request by request: medians and p90/p99) and heuristic\n"
           "(7B baselines scaled by size; the default when only --params-b is given).\n"
           "\n" LP_CLI_WORKLOAD_OPTIONS_HEADING);
    lp_opts_print(opts);
    printf(
        LP_CLI_LEN_DIST_HELP
        "\n--batch FILE.jsonl: one JSON object per line, e.g.\n"
        "  {\"model\": \"Qwen/Qwen2.5-7B-Instruct\", \"gpu\": \"L40S\", \"input_len\": 512,\n"
        "   \"output_len\": 128, \"concurrency\": 16}\n"
        "  {\"params_b\": 70, \"gpu_type\": \"H100\", \"tp_size\": 4, \"method\": \"heuristic\"}\n"
        "Each line carries its own settings (other planners' field names are accepted:\n"
        "gpu_name|gpu_type|gpu, tp_size|tp_degree, input_length|prompt_tokens, ...); an\n"
        "unknown field is an error for that line. Only --json and --gpu-file apply.\n"
        "\nExamples:\n"
        "  llmplan estimate --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 \\\n"
        "      --random-input-len 1024 --random-output-len 256 --max-concurrency 32\n"
        "  llmplan estimate --model Qwen/Qwen2.5-72B-Instruct --gpu A100-80GB -tp 4 \\\n"
        "      --request-rate 4 --num-prompts 500 --method simulate --json\n"
        "  llmplan estimate --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 --method simulate "
        "\\\n"
        "      --dataset-name prefix_repetition --prefix-repetition-prefix-len 2048 \\\n"
        "      --prefix-repetition-num-prefixes 8 --max-concurrency 16   # prefix caching\n"
        "  llmplan estimate --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 --method simulate "
        "\\\n"
        "      --num-turns 8 --random-input-len 256 --max-concurrency 16   # conversations\n"
        "  llmplan estimate --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 --method simulate "
        "\\\n"
        "      --request-rate 8 --burstiness 0.5   # bursty sends (gamma gaps, 1 = Poisson)\n"
        "  llmplan estimate --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 --method simulate "
        "\\\n"
        "      --dataset-name sharegpt --sharegpt-output-len 256 --request-rate 4\n"
        "  llmplan estimate --model meta-llama/Llama-3.1-8B-Instruct --gpu H100 --enable-lora \\\n"
        "      --max-lora-rank 64 --max-loras 4 --lora-modules a,b,c,d,e,f\n"
        "  llmplan estimate --params-b 13 --gpu \"RTX 4090\" --method heuristic\n"
        "  llmplan estimate --batch configs.jsonl --json\n"
        "\nExit codes: 0 estimated, 2 bad input, 3 does not fit (infeasible), 4 larger than a\n"
        "resource limit allows (a simulation past 50,000,000 engine steps), 1 I/O failure;\n"
        "with --batch: 0 all lines valid, 3 some invalid.\n");
}

static int usage_error(const char *fmt, const char *arg) {
    return lp_cli_usage_error("estimate", fmt, arg);
}

/* ---- --batch: one request per line, streamed ------------------------------------------ */

/*
 * The file is read in chunks of BATCH_CHUNK_LINES lines; the lines of a chunk are split into
 * one contiguous range per worker thread, each worker answers its range into its own memory
 * stream, and the streams are written in worker order, which is input order. Memory is one
 * chunk's lines and answers, whatever the file's length. Each worker keeps its own caches for
 * the whole run: models and step models in an lp_perf_cache (models loaded once, with
 * lp_model_load, here at the edge), GPUs found once by name in the command's database.
 */
#define BATCH_CHUNK_LINES 4096
#define BATCH_MAX_THREADS 16
#define BATCH_GPU_SLOTS 16

typedef struct {
    char name[LP_PERF_IO_STRING_SIZE];
    const lp_gpu *gpu;
    lp_status st;
    char error[LP_ERROR_MESSAGE_SIZE];
} gpu_slot;

typedef struct {
    const char *text;
    size_t len;
    long lineno;
} batch_item;

/* One worker: its caches (kept for the run) and its share of the current chunk. */
typedef struct {
    const lp_gpu_db *db;
    lp_perf_cache *cache;
    gpu_slot gpus[BATCH_GPU_SLOTS];
    unsigned next_gpu;
    lp_estimate_request req;
    lp_estimate_result res;
    lp_perf_io_strings strings;
    bool json;
    /* the chunk */
    const batch_item *items;
    size_t n;
    FILE *mem; /* the answers of the chunk: a stream into out, kept open for the run */
    char *out; /* reused chunk after chunk (no new pages to fault in) */
    size_t out_len, out_cap;
    bool out_oom;
    size_t invalid;
    bool failed; /* out of memory or a write that failed */
} batch_worker;

/* Models named by id are read here, at the edge: catalog ids, config files, the HF cache. */
static lp_status load_model_any(void *ctx, const char *id, lp_model *out, lp_error *err) {
    (void)ctx;
    return lp_model_load(id, NULL, out, err);
}

static lp_status cached_gpu(batch_worker *w, const char *name, const lp_gpu **out, lp_error *err) {
    for (int i = 0; i < BATCH_GPU_SLOTS; i++) {
        gpu_slot *s = &w->gpus[i];
        if (s->name[0] && strcmp(s->name, name) == 0) {
            *out = s->gpu;
            return s->st == LP_OK ? LP_OK : lp_error_set(err, s->st, "%s", s->error);
        }
    }
    gpu_slot *s = &w->gpus[w->next_gpu++ % BATCH_GPU_SLOTS];
    snprintf(s->name, sizeof s->name, "%s", name);
    lp_error e;
    lp_error_clear(&e);
    s->st = lp_gpu_find(w->db, name, &s->gpu, &e);
    snprintf(s->error, sizeof s->error, "%s", e.message);
    *out = s->gpu;
    return s->st == LP_OK ? LP_OK : lp_error_set(err, s->st, "%s", s->error);
}

static void mark_invalid(lp_estimate_result *r, long line, const char *msg) {
    char copy[LP_ERROR_MESSAGE_SIZE];
    snprintf(copy, sizeof copy, "%s", msg);
    memset(&r->estimate, 0, sizeof r->estimate);
    r->estimate.valid = false;
    snprintf(r->estimate.error, sizeof r->estimate.error, "line %ld: %s", line, copy);
}

/* One line into w->res (valid or with its error). */
static void batch_line(batch_worker *w, const batch_item *it) {
    lp_error err;
    lp_error_clear(&err);
    lp_estimate_request *req = &w->req;
    lp_estimate_result *res = &w->res;
    lp_estimate_request_init(req);
    req->cache = w->cache;
    res->planned_max_model_len = 0;
    res->vllm_serve[0] = '\0';
    lp_perf_request *r = &req->perf;
    lp_status st = lp_perf_request_from_json(it->text, it->len, r, &w->strings, &err);
    res->request = *r;
    if (st == LP_OK && r->model_id)
        st = lp_perf_cache_model(w->cache, r->model_id, &r->model, &err);
    if (st == LP_OK && r->gpu_name)
        st = cached_gpu(w, r->gpu_name, &r->cluster.gpu, &err);
    if (st != LP_OK) {
        mark_invalid(res, it->lineno, err.message);
        return;
    }
    req->method_given = r->method != LP_ROOFLINE;
    if (lp_estimate(req, res) != LP_OK)
        mark_invalid(res, it->lineno, res->estimate.error);
}

/* The worker's stream writes here: appended to out, which grows and is never shrunk. */
static ssize_t out_write(void *cookie, const char *data, size_t n) {
    batch_worker *w = cookie;
    char *b = lp_grow(w->out, &w->out_cap, w->out_len + n, 1, 1 << 16);
    if (!b) {
        w->out_oom = true;
        return -1;
    }
    w->out = b;
    memcpy(w->out + w->out_len, data, n);
    w->out_len += n;
    return (ssize_t)n;
}

/* A worker's share of a chunk, answered into its memory stream. */
static void *batch_work(void *arg) {
    batch_worker *w = arg;
    w->invalid = 0;
    w->failed = false;
    FILE *mem = w->mem;
    w->out_len = 0;
    for (size_t i = 0; i < w->n && !w->failed; i++) {
        batch_line(w, &w->items[i]);
        w->invalid += !w->res.estimate.valid;
        lp_status st = w->json ? lp_render_estimate_json(mem, &w->res, w->items[i].lineno, false)
                               : lp_render_estimate_batch_row(mem, &w->res, w->items[i].lineno);
        w->failed = st != LP_OK;
    }
    w->failed |= fflush(mem) != 0 || w->out_oom; /* out[0..out_len): this chunk's answers */
    return NULL;
}

/* Answer the n items of a chunk on n_workers threads (worker 0 on this one) and write the
 * answers in input order. Returns false when writing or memory failed. */
static bool batch_chunk(batch_worker *ws, int n_workers, const batch_item *items, size_t n,
                        size_t *invalid) {
    pthread_t tids[BATCH_MAX_THREADS];
    bool started[BATCH_MAX_THREADS] = {false};
    /* a worker takes at least a few hundred lines: a thread costs tens of microseconds */
    size_t per = (n + (size_t)n_workers - 1) / (size_t)n_workers;
    if (per < 256)
        per = 256;
    for (int k = 0; k < n_workers; k++) {
        size_t a = (size_t)k * per < n ? (size_t)k * per : n;
        size_t b = a + per < n ? a + per : n;
        ws[k].items = items + a;
        ws[k].n = b - a;
    }
    for (int k = 1; k < n_workers; k++)
        if (ws[k].n > 0)
            started[k] = pthread_create(&tids[k], NULL, batch_work, &ws[k]) == 0;
    batch_work(&ws[0]);
    for (int k = 1; k < n_workers; k++) {
        if (started[k])
            pthread_join(tids[k], NULL);
        else if (ws[k].n > 0)
            batch_work(&ws[k]); /* a thread that did not start: its share here */
    }
    bool ok = true;
    for (int k = 0; k < n_workers; k++) {
        if (ws[k].n == 0)
            continue;
        ok = ok && !ws[k].failed && fwrite(ws[k].out, 1, ws[k].out_len, stdout) == ws[k].out_len;
        *invalid += ws[k].invalid;
    }
    return ok;
}

static int batch_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > BATCH_MAX_THREADS ? BATCH_MAX_THREADS : (int)n;
}

/* Whether the next read of f returns without waiting: more input is already in its descriptor
 * (bytes in stdio's buffer count as waiting: the early answer they cause is harmless). */
static bool input_ready(FILE *f) {
    struct pollfd p = {.fd = fileno(f), .events = POLLIN};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* Longest --batch line: a request object is a few hundred bytes (the server takes 1 MiB). */
#define BATCH_MAX_LINE_BYTES (1u << 20)
/* A chunk's lines share one buffer of this many bytes plus room for one longest line: a chunk
 * ends at BATCH_CHUNK_LINES lines or when this much text is read, whichever comes first. */
#define BATCH_CHUNK_BYTES (8u << 20)

/* One line of f into buf (NUL-terminated, without its newline), *len bytes. 0 at the end of
 * f, 1 for a line, -1 for a line longer than size - 1 (the reading stops there). The caller
 * holds f's lock (getc_unlocked: a lock per byte would cost more than the estimate). */
static int read_batch_line(FILE *f, char *buf, size_t size, size_t *len) {
    size_t n = 0;
    int c = EOF;
    while ((c = getc_unlocked(f)) != EOF && c != '\n') {
        if (n + 1 >= size)
            return -1;
        buf[n++] = (char)c;
    }
    buf[n] = '\0';
    *len = n;
    return c == EOF && n == 0 ? 0 : 1;
}

static int run_batch(const est_args *a) {
    FILE *f = strcmp(a->batch, "-") == 0 ? stdin : fopen(a->batch, "r");
    if (!f) {
        int e = errno;
        char shown[512]; /* a path as long as an argument may be is not echoed whole */
        lp_text_printable_copy(a->batch, shown, sizeof shown);
        fprintf(stderr, "llmplan estimate: --batch: cannot open %s%s: %s\n", shown,
                strlen(a->batch) >= sizeof shown ? "..." : "", strerror(e));
        return LP_EXIT_FAILURE;
    }
    lp_gpu_db *user_db = NULL;
    const lp_gpu_db *db;
    int rc = lp_cli_open_gpu_db(a->g.gpu_file, &user_db, &db);
    int n_workers = batch_threads();
    batch_worker *ws = rc == 0 ? calloc((size_t)n_workers, sizeof *ws) : NULL;
    batch_item *items = rc == 0 ? malloc(BATCH_CHUNK_LINES * sizeof *items) : NULL;
    /* one line at a time, of bounded length, into a chunk buffer of bounded size: an endless
     * producer or /dev/zero costs no more than this buffer */
    char *text = rc == 0 ? malloc(BATCH_CHUNK_BYTES + BATCH_MAX_LINE_BYTES) : NULL;
    if (rc == 0 && (!ws || !items || !text))
        rc = LP_EXIT_FAILURE;
    for (int k = 0; rc == 0 && ws && k < n_workers; k++) {
        ws[k].db = db;
        ws[k].json = a->json;
        cookie_io_functions_t io = {NULL, out_write, NULL, NULL};
        ws[k].mem = fopencookie(&ws[k], "w", io);
        if (ws[k].mem)
            setvbuf(ws[k].mem, NULL, _IONBF, 0); /* the line goes straight to out */
        if (!(ws[k].cache = lp_perf_cache_new()) || !ws[k].mem)
            rc = LP_EXIT_FAILURE;
        else
            lp_perf_cache_set_loader(ws[k].cache, load_model_any, NULL);
    }
    if (rc == LP_EXIT_FAILURE)
        fprintf(stderr, "llmplan estimate: out of memory\n");
    size_t n = 0, invalid = 0, chunk = 0;
    long lineno = 0;
    bool write_failed = false, eof = false, too_long = false;
    /* a pipe or a terminal may wait for each answer before it sends the next request: a chunk
     * from one ends when its reading would wait, and its answers are flushed then (a file is
     * read in whole chunks, with buffered output) */
    struct stat in_st;
    bool answer_early = fstat(fileno(f), &in_st) != 0 || !S_ISREG(in_st.st_mode);
    while (rc == 0 && !write_failed && !eof && !too_long) {
        /* read a chunk: its lines one after another in text */
        chunk = 0;
        size_t used = 0;
        flockfile(f);
        while (chunk < BATCH_CHUNK_LINES && used < BATCH_CHUNK_BYTES) {
            if (answer_early && chunk > 0 && !input_ready(f))
                break;
            size_t len = 0;
            int got = read_batch_line(f, text + used, BATCH_MAX_LINE_BYTES, &len);
            if (got == 0) {
                eof = true;
                break;
            }
            lineno++;
            if (got < 0) {
                too_long = true; /* the lines before it are answered, then the reading stops */
                break;
            }
            const char *p = text + used;
            while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
                p++;
            if (*p == '\0')
                continue; /* blank lines separate nothing in JSONL; skip them */
            items[chunk++] = (batch_item){text + used, len, lineno};
            used += len + 1;
        }
        funlockfile(f);
        if (chunk == 0)
            continue;
        if (n == 0 && !a->json && lp_render_estimate_batch_header(stdout) != LP_OK)
            write_failed = true;
        if (!write_failed && !batch_chunk(ws, n_workers, items, chunk, &invalid))
            write_failed = true;
        if (!write_failed && answer_early && !input_ready(f) && fflush(stdout) != 0)
            write_failed = true;
        n += chunk;
    }
    if (rc == 0 && too_long && !write_failed) {
        fflush(stdout);
        fprintf(stderr,
                "llmplan estimate: --batch: %s line %ld is longer than %u bytes: not one "
                "JSON request per line; stopped\n",
                a->batch, lineno, BATCH_MAX_LINE_BYTES);
        rc = LP_EXIT_USAGE;
    }
    bool read_failed = ferror(f);
    if (f != stdin)
        fclose(f);
    if (rc == 0 && (write_failed || fflush(stdout) != 0)) {
        rc = lp_cli_render_failed("estimate");
    } else if (rc == 0 && read_failed) {
        fprintf(stderr, "llmplan estimate: --batch: reading %s failed\n", a->batch);
        rc = LP_EXIT_FAILURE;
    } else if (rc == 0 && n == 0) {
        fprintf(stderr,
                "llmplan estimate: --batch: %s has no requests (one JSON object per line)\n",
                a->batch);
        rc = LP_EXIT_USAGE;
    } else if (rc == 0) {
        if (invalid > 0)
            fprintf(stderr, "llmplan estimate: %zu of %zu requests invalid\n", invalid, n);
        rc = invalid > 0 ? LP_EXIT_INFEASIBLE : LP_EXIT_OK;
    }
    for (int k = 0; ws && k < n_workers; k++) {
        lp_perf_cache_free(ws[k].cache);
        if (ws[k].mem)
            fclose(ws[k].mem);
        free(ws[k].out);
    }
    free(text);
    free(items);
    free(ws);
    lp_gpu_db_free(user_db);
    return rc;
}

/* ---- --gpu detect ------------------------------------------------------------------------- */

/* --gpu detect: this machine's GPUs. Their one type must be in the database (an estimate needs
 * its bandwidth and FLOPS); their count is the tensor-parallel size unless -tp/--num-gpus say
 * otherwise; their links set --interconnect unless it is given; the memory other processes
 * hold must pass vLLM's start-up check. The request's notes say what was found and the memory
 * in use. Prints the error and returns the exit code on failure. */
static int detect_for_estimate(const est_args *a, const lp_gpu_db *db, lp_estimate_request *er,
                               lp_gpu *gpu) {
    static lp_detect_result det; /* about 40 KB; one per process */
    lp_perf_request *req = &er->perf;
    lp_error err;
    lp_error_clear(&err);
    lp_detect_opts opts;
    if (lp_detect_opts_from_source(getenv("LLMPLAN_DETECT_SOURCE"), &opts, &err) != LP_OK) {
        fprintf(stderr, "llmplan estimate: LLMPLAN_DETECT_SOURCE: %s\n", err.message);
        return LP_EXIT_USAGE;
    }
    bool described = false;
    lp_status st = lp_detect_run(&opts, db, &det, &err);
    if (st == LP_OK)
        st = lp_detect_gpu_type(&det, gpu, &described, &err);
    if (st != LP_OK) {
        fprintf(stderr, "llmplan estimate: --gpu detect: %s\n", err.message);
        return st == LP_ERR_INVALID_ARG ? LP_EXIT_USAGE : LP_EXIT_FAILURE;
    }
    if (described) {
        fprintf(stderr,
                "llmplan estimate: --gpu detect: %s is not in the GPU database (%s); an estimate "
                "needs its bandwidth and FLOPS: add a row with --gpu-file\n",
                det.gpus[0].name, det.gpus[0].match_error);
        return LP_EXIT_USAGE;
    }
    req->cluster.gpu = gpu;
    lp_serving *s = &req->serving;
    int units = s->pipeline_parallel_size * s->data_parallel_size;
    if (!a->sv.seen_tp && a->sv.num_gpus == 0 && det.n_gpus % units == 0) {
        s->tensor_parallel_size = det.n_gpus / units;
        req->cluster.num_gpus = det.n_gpus;
    }
    int n_used =
        req->cluster.num_gpus > 0 ? req->cluster.num_gpus : s->tensor_parallel_size * units;
    bool known;
    bool nvlink = lp_detect_all_nvlink(&det, n_used, &known);
    if (!a->interconnect && known) {
        req->cluster.intra_node_link = nvlink ? LP_LINK_NVLINK : LP_LINK_PCIE;
        req->cluster.intra_node_link_given = true;
    }
    double util = s->gpu_memory_utilization > 0 ? s->gpu_memory_utilization : 0.9;
    if (lp_detect_check_free(&det, n_used, util, er->notes[1], sizeof er->notes[1], &err) != LP_OK)
        return lp_cli_fail(&err);
    snprintf(er->notes[0], sizeof er->notes[0],
             "--gpu detect: %d x %s (%s) found by %s; -tp %d%s%s", det.n_gpus, det.gpus[0].name,
             gpu->name, lp_detect_source_name(det.source), s->tensor_parallel_size,
             known ? ", linked by " : "", known ? (nvlink ? "NVLink" : "PCIe") : "");
    er->n_notes = 2;
    return 0;
}

/* ---- one request -------------------------------------------------------------------------- */

/* The flags as an estimate request; the model and GPU resolved here. Prints the error and
 * returns the exit code on failure. */
static int build_request(const est_args *a, const lp_gpu_db *db, lp_estimate_request *er,
                         lp_cli_hist_store hs[2], lp_gpu *detected, lp_model *model,
                         lp_model *draft) {
    lp_estimate_request_init(er);
    er->vllm_serve = true;
    lp_perf_request *req = &er->perf;
    int rc = lp_cli_build_serving("estimate", &a->sv, &req->serving);
    if (rc == 0)
        rc = lp_cli_build_workload("estimate", &a->w, &req->workload, hs);
    if (rc == 0 && a->seed < 0)
        rc = usage_error("%s: expected a non-negative integer", "--seed");
    req->workload.seed = (uint64_t)(a->seed > 0 ? a->seed : 0);
    if (rc == 0)
        rc = lp_cli_set_interconnect("estimate", a->interconnect, &req->cluster);
    if (rc == 0 && (a->gpus_per_node < 0 || a->gpus_per_node > 1024))
        rc = lp_cli_usage_error("estimate", "%s: expected between 1 and 1024", "--gpus-per-node");
    if (rc == 0 && (a->interconnect_gbs < 0 || a->interconnect_latency_us < 0))
        rc = lp_cli_usage_error("estimate", "%s: expected a positive number",
                                a->interconnect_gbs < 0 ? "--interconnect-gbs"
                                                        : "--interconnect-latency-us");
    if (a->gpus_per_node > 0)
        req->cluster.gpus_per_node = (int)a->gpus_per_node;
    req->cluster.link_gbs = a->interconnect_gbs;
    req->cluster.link_latency_s = a->interconnect_latency_us * 1e-6;
    if (rc == 0)
        rc = lp_cli_build_modes("estimate", &a->m, db, &req->serving, &req->cluster, draft);
    req->params_b = a->params_b;
    er->method_given = a->seen_method;
    lp_error err;
    lp_error_clear(&err);
    if (rc == 0 && a->seen_method && lp_method_parse(a->method, &req->method, &err) != LP_OK)
        rc = lp_cli_fail(&err);
    if (rc == 0 && !a->model && !(a->params_b > 0))
        rc = usage_error("%s", "--model (HF id, config.json or model directory) or --params-b "
                               "(billions of parameters, heuristic method) is required");
    if (rc == 0 && a->params_b < 0)
        rc = usage_error("%s", "--params-b must be a positive number of billions");
    if (rc == 0 && a->model && a->params_b > 0)
        rc = usage_error("%s", "give --model or --params-b, not both: a model's parameters are "
                               "counted from its config.json, --params-b stands in for a model "
                               "llmplan cannot read");
    lp_method method = a->seen_method ? req->method : a->model ? LP_ROOFLINE : LP_HEURISTIC;
    bool described = a->g.memory_gib > 0;
    if (rc == 0 && described && method != LP_HEURISTIC &&
        !(a->g.bandwidth_gbs > 0 && a->g.tflops > 0))
        rc = usage_error("a GPU described by --gpu-memory-gib needs --gpu-bandwidth-gbs and "
                         "--gpu-tflops too for the %s method (the step model runs on them)",
                         lp_method_name(method));
    if (rc == 0 && described) {
        /* a GPU the database lacks, with default efficiencies (said in the assumptions) */
        rc = lp_cli_describe_gpu("estimate", a->g.gpu, a->g.memory_gib, a->g.bandwidth_gbs,
                                 a->g.tflops, detected);
        req->cluster.gpu = detected;
        if (er->n_notes < LP_ESTIMATE_MAX_NOTES)
            snprintf(er->notes[er->n_notes++], sizeof er->notes[0],
                     "GPU described by its numbers (--gpu-memory-gib %g, --gpu-bandwidth-gbs %g, "
                     "--gpu-tflops %g): bf16-capable (compute capability 8.0) and that family's "
                     "efficiencies assumed, not measured on it",
                     a->g.memory_gib, a->g.bandwidth_gbs, a->g.tflops);
    } else if (rc == 0 && !a->g.gpu && method != LP_HEURISTIC)
        rc = usage_error("--gpu is required for the %s method (see `llmplan gpus`)",
                         lp_method_name(method));
    else if (rc == 0 && a->g.gpu) {
        if (strcasecmp(a->g.gpu, "detect") == 0)
            rc = detect_for_estimate(a, db, er, detected);
        else if (lp_gpu_find(db, a->g.gpu, &req->cluster.gpu, &err) != LP_OK)
            rc = lp_cli_fail(&err);
    }
    if (rc == 0 && a->model) {
        if (lp_model_load(a->model, NULL, model, &err) != LP_OK)
            return lp_cli_fail(&err);
        req->model = model;
        req->model_id = a->model;
    }
    return rc;
}

static int run_one(const est_args *a) {
    static lp_estimate_request req; /* static: several KB, one per process */
    static lp_estimate_result res;
    static lp_model model, draft;
    static lp_gpu detected;
    static lp_calibration cal;
    lp_cli_hist_store hs[2] = {{0}};
    lp_gpu_db *user_db = NULL;
    const lp_gpu_db *db = NULL;
    int rc = lp_cli_open_gpu_db(a->g.gpu_file, &user_db, &db);
    if (rc == 0)
        rc = build_request(a, db, &req, hs, &detected, &model, &draft);
    if (rc == 0 && a->calibration) {
        lp_error err;
        if (lp_calibration_load(a->calibration, &cal, &err) != LP_OK)
            rc = lp_cli_fail(&err);
        req.calibration = &cal;
    }
    if (rc == 0) {
        lp_status st = lp_estimate(&req, &res);
        /* a resource limit is no estimate of this configuration: nothing on stdout */
        lp_status wst = st == LP_ERR_LIMIT ? LP_OK
                        : a->json          ? lp_render_estimate_json(stdout, &res, 0, true)
                                           : lp_render_estimate_text(stdout, &res);
        if (st != LP_OK) {
            fprintf(stderr, "llmplan estimate: %s\n", res.estimate.error);
            rc = lp_cli_exit_code(st);
        } else if (wst != LP_OK) {
            rc = lp_cli_render_failed("estimate");
        }
    }
    lp_cli_hist_free(&hs[0]);
    lp_cli_hist_free(&hs[1]);
    lp_gpu_db_free(user_db);
    return rc;
}

int lp_cmd_estimate(int argc, char **argv) {
    est_args a;
    memset(&a, 0, sizeof a);
    lp_cli_serving_init(&a.sv);
    lp_cli_workload_init(&a.w);
    const lp_opt opts[] = {
        LP_OPT_MODEL(a.model),
        {"--params-b", NULL, LP_OPT_DOUBLE, &a.params_b, "B",
         "only a parameter count, in billions (heuristic)", NULL},
        LP_CLI_GPU_OPTS(a.g),
        LP_CLI_SERVING_OPTS(a.sv),
        LP_CLI_MODE_OPTS(a.m),
        {"--interconnect", NULL, LP_OPT_STRING, &a.interconnect, "L",
         "nvlink or pcie (in a node); infiniband, roce or ethernet (between nodes; ethernet "
         "in one node: ranks in separate pods over TCP); unknown (default: the GPU's)",
         NULL},
        {"--gpus-per-node", NULL, LP_OPT_INT, &a.gpus_per_node, "N",
         "GPUs in one node (default 8); TP fills a node first", NULL},
        {"--interconnect-gbs", NULL, LP_OPT_DOUBLE, &a.interconnect_gbs, "GBS",
         "bandwidth per GPU, one direction, of the link the replica crosses", NULL},
        {"--interconnect-latency-us", NULL, LP_OPT_DOUBLE, &a.interconnect_latency_us, "US",
         "latency of one collective step over that link", NULL},
        {"--method", NULL, LP_OPT_STRING, &a.method, "M",
         "roofline (default), simulate or heuristic", &a.seen_method},
        LP_CLI_WORKLOAD_OPTS(a.w),
        {"--seed", NULL, LP_OPT_INT, &a.seed, "N", "random seed of the simulation (default 0)",
         NULL},
        {"--calibration", NULL, LP_OPT_STRING, &a.calibration, "FILE",
         "efficiencies fitted by `llmplan calibrate` (this GPU family)", NULL},
        {"--batch", NULL, LP_OPT_STRING, &a.batch, "FILE",
         "estimate one JSON request per line (JSONL; - for stdin)", NULL},
        {"--json", NULL, LP_OPT_FLAG, &a.json, NULL,
         "print JSON (`vllm bench serve --save-result` keys)", NULL},
        LP_OPT_HELP_AND_END(a.help),
    };
    int rc = lp_opts_command("estimate", opts, argc, argv, 2, &a.help, print_help);
    if (rc != LP_OPTS_RUN)
        return rc;
    if (a.batch)
        return run_batch(&a);
    return run_one(&a);
}
