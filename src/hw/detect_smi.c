/*
 * detect_smi.c - running the GPU tools (nvidia-smi, rocm-smi) with a time limit, and
 * lp_detect_run, which asks NVML, then nvidia-smi, then rocm-smi.
 *
 * A tool is started with posix_spawnp in its own process group, with stdout on a pipe and
 * stderr discarded; the output is read with poll() against a deadline, and a tool that has
 * not finished by then is killed with its children (SIGKILL to the group). So detection never
 * hangs, whether nvidia-smi waits on a wedged driver or a fake script on PATH sleeps.
 *
 * Not here: the parsers (detect.c) and NVML (detect_nvml.c).
 */
#include "common/grow.h"
#include "hw/detect_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Default limit per tool run: nvidia-smi answers in well under a second on a healthy machine
 * and takes a few seconds when it first loads the driver; 10 s means something is wrong. */
#define DEFAULT_TIMEOUT_S 10
/* The tools print a few KB; more than this is not their output. */
#define MAX_OUTPUT_BYTES (4u << 20)

/* Whether prog is an executable file in one of the PATH directories. */
static bool on_path(const char *prog) {
    const char *path = getenv("PATH");
    if (!path || !*path)
        return false;
    char dir[4096];
    while (*path) {
        size_t len = strcspn(path, ":");
        char full[4200];
        if (len < sizeof dir) {
            memcpy(dir, path, len);
            dir[len] = '\0';
            snprintf(full, sizeof full, "%s/%s", len ? dir : ".", prog);
            struct stat st;
            if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
                return true;
        }
        path += len;
        if (*path == ':')
            path++;
    }
    return false;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Run argv (argv[0] looked up on PATH) for at most timeout_s seconds. On LP_OK, *out is the
 * malloc'd NUL-terminated stdout (caller frees) and *exit_code the exit status (or -1 when it
 * died of a signal). LP_ERR_IO with a message when it cannot start or runs out of time. */
static lp_status run_tool(char *const argv[], int timeout_s, char **out, int *exit_code,
                          lp_error *err) {
    *out = NULL;
    int fds[2];
    if (pipe(fds) != 0)
        return lp_error_set(err, LP_ERR_IO, "cannot run %s: pipe: %s", argv[0], strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return lp_error_set(err, LP_ERR_IO, "cannot run %s: %s", argv[0], strerror(rc));
    }
    size_t cap = 8192, len = 0;
    char *buf = malloc(cap);
    lp_status st = buf ? LP_OK : lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    double deadline = now_s() + timeout_s;
    while (st == LP_OK) {
        double left = deadline - now_s();
        if (left <= 0) {
            st = lp_error_set(err, LP_ERR_IO, "%s did not finish within %d s; stopped it", argv[0],
                              timeout_s);
            break;
        }
        struct pollfd pfd = {fds[0], POLLIN, 0};
        int pr = poll(&pfd, 1, (int)(left * 1000) + 1);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0) {
            st = lp_error_set(err, LP_ERR_IO, "reading %s: %s", argv[0], strerror(errno));
            break;
        }
        if (pr == 0)
            continue; /* the deadline check above ends it */
        if (cap - len < 4096) {
            if (cap >= MAX_OUTPUT_BYTES) {
                st = lp_error_set(err, LP_ERR_IO, "%s printed more than %u bytes", argv[0],
                                  MAX_OUTPUT_BYTES);
                break;
            }
            char *grown = lp_grow(buf, &cap, len + 4096, 1, cap);
            if (!grown) {
                st = lp_error_set(err, LP_ERR_NOMEM, "out of memory");
                break;
            }
            buf = grown;
        }
        ssize_t got = read(fds[0], buf + len, cap - len - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            st = lp_error_set(err, LP_ERR_IO, "reading %s: %s", argv[0], strerror(errno));
            break;
        }
        if (got == 0)
            break; /* end of output */
        len += (size_t)got;
    }
    close(fds[0]);
    if (st != LP_OK)
        kill(-pid, SIGKILL); /* the whole group: a script's children too */
    int status = 0;
    /* output is complete; give the tool the rest of the time to exit, then stop it */
    while (st == LP_OK) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            status = 0;
            break;
        }
        if (now_s() > deadline) {
            kill(-pid, SIGKILL);
            st = lp_error_set(err, LP_ERR_IO, "%s did not exit within %d s; stopped it", argv[0],
                              timeout_s);
            break;
        }
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    if (st != LP_OK) {
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        free(buf);
        return st;
    }
    buf[len] = '\0';
    *out = buf;
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return LP_OK;
}

/* First line of a tool's output, for messages ("NVIDIA-SMI has failed because ..."). */
static void first_line(const char *text, char *buf, size_t size) {
    while (*text == '\n' || *text == '\r' || *text == ' ')
        text++;
    size_t n = strcspn(text, "\r\n");
    if (n >= size)
        n = size - 1;
    memcpy(buf, text, n);
    buf[n] = '\0';
}

static void add_note(lp_detect_result *r, const char *msg) {
    if (r->n_notes < LP_DETECT_MAX_NOTES)
        snprintf(r->notes[r->n_notes++], sizeof r->notes[0], "%s", msg);
}

/* Run a tool whose output a parser reads. LP_OK: *out holds its stdout. A tool that cannot run,
 * exits non-zero or times out: LP_ERR_NOT_FOUND and a few words in why. */
static lp_status run_for_output(char *const argv[], int timeout_s, char **out, char *why,
                                size_t why_size) {
    lp_error e;
    lp_error_clear(&e);
    int code = 0;
    if (run_tool(argv, timeout_s, out, &code, &e) != LP_OK) {
        snprintf(why, why_size, "%s", e.message);
        return LP_ERR_NOT_FOUND;
    }
    if (code != 0) {
        char line[160];
        first_line(*out, line, sizeof line);
        snprintf(why, why_size, "%s exited with status %d%s%s", argv[0], code, *line ? ": " : "",
                 line);
        free(*out);
        *out = NULL;
        return LP_ERR_NOT_FOUND;
    }
    return LP_OK;
}

/* What detection tried, for the message when nothing was found: "A and B and C". */
typedef struct {
    char items[3][400];
    int n;
} tried_list;

static void append(tried_list *t, const char *what) {
    if (t->n < 3)
        snprintf(t->items[t->n++], sizeof t->items[0], "%s", what);
}

static void join(const tried_list *t, char *buf, size_t size) {
    buf[0] = '\0';
    for (int i = 0; i < t->n; i++) {
        size_t len = strlen(buf);
        const char *sep = i == 0 ? "" : " and ";
        snprintf(buf + len, size - len, "%s%s", sep, t->items[i]);
    }
}

lp_status lp_detect_run(const lp_detect_opts *opts, const lp_gpu_db *db, lp_detect_result *r,
                        lp_error *err) {
    lp_detect_opts defaults = {0};
    if (!opts)
        opts = &defaults;
    int timeout_s = opts->timeout_s > 0 ? opts->timeout_s : DEFAULT_TIMEOUT_S;
    lp_detect_result_init(r);
    tried_list tried = {0};
    char why[400];
    lp_status st;

    if (!opts->no_nvml) {
        why[0] = '\0';
        st = lp_detect_nvml(r, why, sizeof why);
        if (st != LP_OK)
            append(&tried, why);
    }
    bool have_smi = !opts->no_nvidia_smi && on_path("nvidia-smi");
    if (r->n_gpus == 0 && !opts->no_nvidia_smi) {
        if (!have_smi) {
            append(&tried, "nvidia-smi not on PATH");
        } else {
            char *argv[] = {"nvidia-smi", "--query-gpu=" LP_DETECT_SMI_FIELDS,
                            "--format=csv,noheader,nounits", NULL};
            char *out = NULL;
            if (run_for_output(argv, timeout_s, &out, why, sizeof why) != LP_OK) {
                append(&tried, why);
            } else {
                st = lp_detect_parse_smi_csv(out, LP_DETECT_SMI_FIELDS, r, err);
                free(out);
                if (st != LP_OK)
                    return st;
            }
        }
    }
    if (r->n_gpus > 0 && have_smi) {
        char *argv[] = {"nvidia-smi", "topo", "-m", NULL};
        char *out = NULL;
        if (run_for_output(argv, timeout_s, &out, why, sizeof why) != LP_OK) {
            char note[300];
            snprintf(note, sizeof note, "links between GPUs unknown: %s", why);
            add_note(r, note);
        } else {
            lp_error e;
            lp_error_clear(&e);
            if (lp_detect_parse_topo(out, r, &e) != LP_OK) {
                char note[300];
                snprintf(note, sizeof note, "links between GPUs unknown: %s", e.message);
                add_note(r, note);
            }
            free(out);
        }
    }
    if (r->n_gpus == 0 && !opts->no_rocm_smi) {
        if (!on_path("rocm-smi")) {
            append(&tried, "rocm-smi not on PATH");
        } else {
            char *argv[] = {"rocm-smi", "--showproductname", "--showmeminfo", "vram", "--json",
                            NULL};
            char *out = NULL;
            if (run_for_output(argv, timeout_s, &out, why, sizeof why) != LP_OK) {
                append(&tried, why);
            } else {
                st = lp_detect_parse_rocm(out, r, err);
                free(out);
                if (st != LP_OK)
                    return st;
            }
        }
    }
    if (r->n_gpus == 0) {
        char what[1300];
        join(&tried, what, sizeof what);
        return lp_error_set(err, LP_ERR_NOT_FOUND, "no NVIDIA or AMD GPU found: %s",
                            *what ? what : "every detection source was switched off");
    }
    lp_detect_match(r, db);
    return LP_OK;
}
