/*
 * cmd_detect.c - `llmplan detect`: which GPUs this machine has, how much of their memory is in
 * use, and how they are linked. Detection is the library's (lp_detect_run); this file parses
 * the flags and prints the result as a table or one JSON object. Without a GPU or driver it
 * says what it tried and exits 1.
 */
#include "common/json_write.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opts.h"
#include "llmplan/detect.h"
#include "llmplan/hw.h"

typedef struct {
    const char *source, *gpu_file;
    int64_t timeout_s;
    bool json, help;
} detect_args;

static void print_help(const lp_opt *opts) {
    printf("Usage: llmplan detect [--json] [--source SOURCE]\n"
           "\n"
           "Lists the GPUs of this machine: name (and the matching row of `llmplan gpus`), total\n"
           "and used memory, compute capability, and the links between them (NVLink or PCIe, as\n"
           "`nvidia-smi topo -m` shows them). Asks NVML (libnvidia-ml.so.1), then nvidia-smi,\n"
           "then rocm-smi. `llmplan plan --gpu detect` plans on what this finds.\n"
           "\n"
           "Options:\n");
    lp_opts_print(opts);
    printf("\nEnvironment: LLMPLAN_DETECT_SOURCE sets the default --source (also for\n"
           "`plan --gpu detect` and `estimate --gpu detect`).\n"
           "\nExit codes: 0 GPUs found, 1 none found (or a tool failed), 2 bad usage.\n");
}

static void print_text(const lp_detect_result *r) {
    printf("%d GPU%s found by %s\n\n", r->n_gpus, r->n_gpus == 1 ? "" : "s",
           lp_detect_source_name(r->source));
    printf("  %-3s %-34s %-18s %12s %12s %5s\n", "#", "name", "database row", "total MiB",
           "used MiB", "CC");
    for (int i = 0; i < r->n_gpus; i++) {
        const lp_detected_gpu *g = &r->gpus[i];
        char used[32], cc[16];
        if (g->used_mib >= 0)
            snprintf(used, sizeof used, "%.0f", g->used_mib);
        else
            snprintf(used, sizeof used, "?");
        if (g->cc_major >= 0)
            snprintf(cc, sizeof cc, "%d.%d", g->cc_major, g->cc_minor);
        else
            snprintf(cc, sizeof cc, "%s", g->arch[0] ? g->arch : "?");
        printf("  %-3d %-34s %-18s %12.0f %12s %5s\n", g->index, g->name,
               g->match ? g->match->name : "(not in database)", g->total_mib, used, cc);
    }
    for (int i = 0; i < r->n_gpus; i++)
        if (!r->gpus[i].match)
            printf("\nGPU %d is not in the GPU database: %s\nPlan on it with --gpu detect (its "
                   "memory is used) or describe it with --gpu-memory-gib.\n",
                   r->gpus[i].index, r->gpus[i].match_error);

    printf("\nLinks: ");
    bool known;
    bool all_nv = lp_detect_all_nvlink(r, r->n_gpus, &known);
    if (r->n_gpus < 2) {
        printf("one GPU, no peers.\n");
    } else if (!known) {
        printf("unknown (`nvidia-smi topo -m` was not read).\n");
    } else {
        printf("%s\n\n        ", all_nv ? "every pair of GPUs is linked by NVLink."
                                        : "some pairs of GPUs communicate over PCIe only "
                                          "(tensor parallelism across them is slower).");
        for (int j = 0; j < r->n_topo_gpus; j++)
            printf("GPU%-4d", j);
        printf("\n");
        for (int i = 0; i < r->n_topo_gpus; i++) {
            printf("  GPU%-3d", i);
            for (int j = 0; j < r->n_topo_gpus; j++) {
                char buf[16];
                printf("%-7s", lp_topo_link_str(r->links[i][j], buf, sizeof buf));
            }
            printf("\n");
        }
    }
    for (int i = 0; i < r->n_gpus; i++)
        if (r->gpus[i].nvlinks_active >= 0)
            printf("GPU %d: %d NVLinks active (NVML)\n", r->gpus[i].index,
                   r->gpus[i].nvlinks_active);
    for (int i = 0; i < r->n_notes; i++)
        printf("Note: %s\n", r->notes[i]);
}

static json_t *number_or_null(double v) {
    return v >= 0 ? json_real(v) : json_null();
}

static int print_json(const lp_detect_result *r) {
    json_t *root = json_object(), *gpus = json_array();
    json_object_set_new(root, "source", json_string(lp_detect_source_name(r->source)));
    json_object_set_new(root, "num_gpus", json_integer(r->n_gpus));
    for (int i = 0; i < r->n_gpus; i++) {
        const lp_detected_gpu *g = &r->gpus[i];
        json_t *o = json_object();
        char cc[16];
        snprintf(cc, sizeof cc, "%d.%d", g->cc_major, g->cc_minor);
        json_object_set_new(o, "index", json_integer(g->index));
        json_object_set_new(o, "name", json_string(g->name));
        json_object_set_new(o, "matched", g->match ? json_string(g->match->name) : json_null());
        if (!g->match)
            json_object_set_new(o, "match_error", json_string(g->match_error));
        json_object_set_new(o, "memory_total_mib", json_real(g->total_mib));
        json_object_set_new(o, "memory_used_mib", number_or_null(g->used_mib));
        json_object_set_new(o, "memory_free_mib", number_or_null(g->free_mib));
        json_object_set_new(o, "torch_total_gib", json_real(lp_detect_torch_total_gib(g)));
        json_object_set_new(o, "free_gib", number_or_null(lp_detect_free_gib(g)));
        json_object_set_new(o, "compute_capability",
                            g->cc_major >= 0 ? json_string(cc) : json_null());
        json_object_set_new(o, "arch", g->arch[0] ? json_string(g->arch) : json_null());
        json_object_set_new(o, "nvlinks_active",
                            g->nvlinks_active >= 0 ? json_integer(g->nvlinks_active) : json_null());
        json_object_set_new(o, "source", json_string(lp_detect_source_name(g->source)));
        json_array_append_new(gpus, o);
    }
    json_object_set_new(root, "gpus", gpus);
    if (r->have_topology) {
        json_t *links = json_array();
        for (int i = 0; i < r->n_topo_gpus; i++) {
            json_t *row = json_array();
            for (int j = 0; j < r->n_topo_gpus; j++) {
                char buf[16];
                json_array_append_new(
                    row, json_string(lp_topo_link_str(r->links[i][j], buf, sizeof buf)));
            }
            json_array_append_new(links, row);
        }
        json_object_set_new(root, "links", links);
    } else {
        json_object_set_new(root, "links", json_null());
    }
    bool known;
    bool all_nv = lp_detect_all_nvlink(r, r->n_gpus, &known);
    json_object_set_new(root, "all_nvlink", known ? json_boolean(all_nv) : json_null());
    json_t *notes = json_array();
    for (int i = 0; i < r->n_notes; i++)
        json_array_append_new(notes, json_string(r->notes[i]));
    json_object_set_new(root, "notes", notes);
    int rc = lp_json_write(stdout, root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (rc != 0 || printf("\n") < 0)
        return LP_EXIT_FAILURE;
    return LP_EXIT_OK;
}

int lp_cmd_detect(int argc, char **argv) {
    detect_args a;
    memset(&a, 0, sizeof a);
    a.source = getenv("LLMPLAN_DETECT_SOURCE");
    const lp_opt opts[] = {
        {"--json", NULL, LP_OPT_FLAG, &a.json, NULL, "print one JSON object", NULL},
        {"--source", NULL, LP_OPT_STRING, &a.source, "S",
         "auto (default), nvml, nvidia-smi or rocm-smi", NULL},
        {"--timeout", NULL, LP_OPT_INT, &a.timeout_s, "S",
         "seconds each tool may take (default 10)", NULL},
        {"--gpu-file", NULL, LP_OPT_STRING, &a.gpu_file, "TSV",
         "add or override GPU rows (same columns as data/gpus.tsv)", NULL},
        LP_OPT_HELP_AND_END(a.help),
    };
    int rc = lp_opts_command("detect", opts, argc, argv, 2, &a.help, print_help);
    if (rc != LP_OPTS_RUN)
        return rc;
    if (a.timeout_s < 0 || a.timeout_s > 600) {
        fprintf(stderr, "llmplan detect: --timeout must be between 1 and 600 seconds\n");
        return LP_EXIT_USAGE;
    }
    lp_error err;
    lp_error_clear(&err);
    lp_detect_opts dopts;
    if (lp_detect_opts_from_source(a.source, &dopts, &err) != LP_OK) {
        fprintf(stderr, "llmplan detect: --source: %s\n", err.message);
        return LP_EXIT_USAGE;
    }
    dopts.timeout_s = (int)a.timeout_s;
    lp_gpu_db *user_db = NULL;
    if (a.gpu_file && lp_gpu_db_load_file(a.gpu_file, &user_db, &err) != LP_OK)
        return lp_cli_fail(&err);
    static lp_detect_result r; /* about 40 KB; one per process */
    lp_status st = lp_detect_run(&dopts, user_db, &r, &err);
    if (st != LP_OK) {
        fprintf(stderr, "llmplan detect: %s\n", err.message);
        rc = LP_EXIT_FAILURE; /* no GPU, no driver or a failing tool: not a usage error */
    } else if (a.json) {
        rc = print_json(&r);
    } else {
        print_text(&r);
        rc = LP_EXIT_OK;
    }
    lp_gpu_db_free(user_db);
    return rc;
}
