/*
 * hub_cache.c - the files side of the Hugging Face Hub client: the environment
 * (HF_HUB_OFFLINE, HF_ENDPOINT, the token) and the local cache that lp_hub_load fills.
 *
 * The cache layout is huggingface_hub's (file_download.py): models--ORG--NAME/refs/REVISION
 * holds a commit hash, models--ORG--NAME/snapshots/COMMIT/ the files. Python tools resolve a
 * snapshot file by path, so regular files there serve them as well as huggingface_hub's own
 * symlinks into blobs/. Every file is written to a temporary name in its directory and
 * renamed, so a reader (or a concurrent run) never sees half a file.
 *
 * Beside the snapshots, models--ORG--NAME/.llmplan/safetensors-COMMIT.json keeps the counts
 * of the safetensors headers lp_hub_load read, so an offline run is as exact as the online
 * one without any weights on disk. Python tools ignore that directory.
 *
 * Deliberately not done here: HTTP (hub.c), parsing config.json (config.c), finding
 * snapshots for lp_model_load (source.c, which reads the same layout).
 */
#include "common/env.h"
#include "hub_internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

/* A token or a ref file is one short line; refuse to read more. */
#define HUB_SMALL_FILE_MAX 4096
/* Name of the llmplan record directory inside models--ORG--NAME. */
#define HUB_RECORD_DIR ".llmplan"
/* Value of "format" in the record, checked when reading it back. */
#define HUB_RECORD_FORMAT "llmplan-safetensors-summary-v1"

/* huggingface_hub constants._is_true: "1", "ON", "YES", "TRUE" in any case. */
bool lp_hub_offline(void) {
    const char *v = lp_env_nonempty("HF_HUB_OFFLINE");
    if (!v)
        return false;
    static const char *const truthy[] = {"1", "on", "yes", "true"};
    for (size_t i = 0; i < sizeof truthy / sizeof truthy[0]; i++)
        if (strcasecmp(v, truthy[i]) == 0)
            return true;
    return false;
}

const char *lp_hub_endpoint(char *out, size_t size) {
    if (!out || size == 0)
        return out;
    const char *v = lp_env_nonempty("HF_ENDPOINT");
    snprintf(out, size, "%s", v ? v : LP_HUB_DEFAULT_ENDPOINT);
    size_t n = strlen(out);
    while (n > 0 && out[n - 1] == '/')
        out[--n] = '\0';
    return out;
}

/* Copy text into out with surrounding whitespace removed; false if nothing is left. */
static bool copy_trimmed(const char *text, size_t len, char *out, size_t size) {
    while (len > 0 && isspace((unsigned char)*text)) {
        text++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)text[len - 1]))
        len--;
    if (len == 0 || len >= size)
        return false;
    memcpy(out, text, len);
    out[len] = '\0';
    return true;
}

/* Read a small text file whole (NUL-terminated); false when unreadable or too large. */
static bool read_small_file(const char *path, char *out, size_t size, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t n = fread(out, 1, size - 1, f);
    bool whole = feof(f) && !ferror(f);
    fclose(f);
    if (!whole)
        return false;
    out[n] = '\0';
    *len = n;
    return true;
}

/* huggingface_hub utils/_auth.py get_token(): environment first, then the token file. */
bool lp_hub_token(char *out, size_t size) {
    if (!out || size == 0)
        return false;
    out[0] = '\0';
    const char *env = lp_env_nonempty("HF_TOKEN");
    if (!env)
        env = lp_env_nonempty("HUGGING_FACE_HUB_TOKEN");
    if (env) {
        if (copy_trimmed(env, strlen(env), out, size))
            return true;
        out[0] = '\0';
        return false;
    }

    char path[LP_HUB_PATH_MAX], home[LP_HUB_PATH_MAX];
    const char *token_path = lp_env_nonempty("HF_TOKEN_PATH");
    bool ok;
    if (token_path) {
        ok = lp_env_expand_home(token_path, path, sizeof path);
    } else {
        const char *hf_home = lp_env_nonempty("HF_HOME");
        if (hf_home) {
            ok = lp_env_expand_home(hf_home, home, sizeof home);
        } else {
            const char *xdg = lp_env_nonempty("XDG_CACHE_HOME");
            char base[LP_HUB_PATH_MAX];
            ok = lp_env_expand_home(xdg ? xdg : "~/.cache", base, sizeof base) &&
                 snprintf(home, sizeof home, "%s/huggingface", base) < (int)sizeof home;
        }
        ok = ok && snprintf(path, sizeof path, "%s/token", home) < (int)sizeof path;
    }
    char text[HUB_SMALL_FILE_MAX];
    size_t len = 0;
    if (!ok || !read_small_file(path, text, sizeof text, &len))
        return false;
    if (!copy_trimmed(text, len, out, size)) {
        out[0] = '\0';
        return false;
    }
    return true;
}

/* ---- paths ---------------------------------------------------------------------------- */

static lp_status join(char *out, size_t size, const char *a, const char *b, lp_error *err) {
    int w = snprintf(out, size, "%s/%s", a, b);
    if (w < 0 || (size_t)w >= size)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "path too long: %s/%s", a, b);
    return LP_OK;
}

/* cache/models--ORG--NAME */
static lp_status repo_dir(const char *cache, const char *id, char *out, size_t size,
                          lp_error *err) {
    const char *slash = strchr(id, '/');
    if (!slash)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "\"%s\" is not an org/name id", id);
    int w = snprintf(out, size, "%s/models--%.*s--%s", cache, (int)(slash - id), id, slash + 1);
    if (w < 0 || (size_t)w >= size)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "path too long for %s in %s", id, cache);
    return LP_OK;
}

/* A revision as a relative path under refs/: no leading '/', no "..", no empty parts. */
static bool safe_relative(const char *s) {
    if (!s || !*s || s[0] == '/' || strstr(s, "..") || strstr(s, "//"))
        return false;
    size_t n = strlen(s);
    if (s[n - 1] == '/')
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("-_./", *p))
            return false;
    return true;
}

/* A commit (or a ref name used as one) is a single path component. */
static bool safe_component(const char *s) {
    return safe_relative(s) && strchr(s, '/') == NULL && strcmp(s, ".") != 0;
}

/* source.c reads "refs/pr/1" from refs/pr/1: the same convention here. */
static const char *ref_name(const char *revision) {
    return strncmp(revision, "refs/", 5) == 0 ? revision + 5 : revision;
}

/* mkdir -p */
static lp_status make_dirs(const char *path, lp_error *err) {
    char buf[LP_HUB_PATH_MAX];
    int w = snprintf(buf, sizeof buf, "%s", path);
    if (w < 0 || (size_t)w >= sizeof buf)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "path too long: %s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
            int e = errno;
            return lp_error_set(err, LP_ERR_IO, "cannot create %s: %s", buf, strerror(e));
        }
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
        int e = errno;
        return lp_error_set(err, LP_ERR_IO, "cannot create %s: %s", buf, strerror(e));
    }
    return LP_OK;
}

/* Write data to path through path.tmp-llmplan-PID and rename(2), creating directories. */
static lp_status write_atomic(const char *path, const char *data, size_t len, lp_error *err) {
    char dir[LP_HUB_PATH_MAX], tmp[LP_HUB_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        lp_status st = make_dirs(dir, err);
        if (st != LP_OK)
            return st;
    }
    int w = snprintf(tmp, sizeof tmp, "%s.tmp-llmplan-%ld", path, (long)getpid());
    if (w < 0 || (size_t)w >= sizeof tmp)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "path too long: %s", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        int e = errno;
        return lp_error_set(err, LP_ERR_IO, "cannot write %s: %s", tmp, strerror(e));
    }
    size_t done = 0;
    while (done < len) {
        ssize_t k = write(fd, data + done, len - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            int e = k < 0 ? errno : EIO;
            close(fd);
            unlink(tmp);
            return lp_error_set(err, LP_ERR_IO, "cannot write %s: %s", tmp, strerror(e));
        }
        done += (size_t)k;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return lp_error_set(err, LP_ERR_IO, "cannot write %s: %s", path, strerror(e));
    }
    return LP_OK;
}

/* ---- the summary record ----------------------------------------------------------------- */

static const struct {
    const char *key;
    size_t offset;
} record_fields[] = {
    {"tensors", offsetof(lp_st_summary, tensors)},
    {"elements", offsetof(lp_st_summary, elements)},
    {"bytes", offsetof(lp_st_summary, bytes)},
    {"logical_params", offsetof(lp_st_summary, logical_params)},
    {"vision_elements", offsetof(lp_st_summary, vision_elements)},
    {"mtp_elements", offsetof(lp_st_summary, mtp_elements)},
    {"files", offsetof(lp_st_summary, files)},
};
#define RECORD_FIELDS (sizeof record_fields / sizeof record_fields[0])

static lp_status record_path(const char *repo, const char *commit, char *out, size_t size,
                             lp_error *err) {
    int w = snprintf(out, size, "%s/" HUB_RECORD_DIR "/safetensors-%s.json", repo, commit);
    if (w < 0 || (size_t)w >= size)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "path too long in %s", repo);
    return LP_OK;
}

static lp_status write_record(const char *repo, const char *commit, const lp_st_summary *sum,
                              lp_error *err) {
    json_t *obj = json_object();
    if (!obj)
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory writing the cache record");
    int bad = json_object_set_new(obj, "format", json_string(HUB_RECORD_FORMAT));
    for (size_t i = 0; i < RECORD_FIELDS; i++) {
        const int64_t *v =
            (const int64_t *)(const void *)((const char *)sum + record_fields[i].offset);
        bad |= json_object_set_new(obj, record_fields[i].key, json_integer((json_int_t)*v));
    }
    char *text = bad ? NULL : json_dumps(obj, JSON_INDENT(1) | JSON_SORT_KEYS);
    json_decref(obj);
    if (!text)
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory writing the cache record");
    char path[LP_HUB_PATH_MAX];
    lp_status st = record_path(repo, commit, path, sizeof path, err);
    if (st == LP_OK)
        st = write_atomic(path, text, strlen(text), err);
    free(text);
    return st;
}

lp_status lp_hub_cache_read_summary(const char *snapshot_dir, lp_st_summary *sum, lp_error *err) {
    if (!snapshot_dir || !sum)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "lp_hub_cache_read_summary: snapshot_dir and sum must not be NULL");
    /* snapshot_dir = REPO/snapshots/COMMIT */
    char repo[LP_HUB_PATH_MAX];
    snprintf(repo, sizeof repo, "%s", snapshot_dir);
    size_t n = strlen(repo);
    while (n > 1 && repo[n - 1] == '/')
        repo[--n] = '\0';
    char *commit = strrchr(repo, '/');
    if (!commit || commit == repo)
        return lp_error_set(err, LP_ERR_NOT_FOUND, "%s is not a cache snapshot", snapshot_dir);
    *commit++ = '\0';
    char *parent = strrchr(repo, '/');
    if (!parent || strcmp(parent + 1, "snapshots") != 0 || !safe_component(commit))
        return lp_error_set(err, LP_ERR_NOT_FOUND, "%s is not a cache snapshot", snapshot_dir);
    *parent = '\0';

    char path[LP_HUB_PATH_MAX];
    lp_status st = record_path(repo, commit, path, sizeof path, err);
    if (st != LP_OK)
        return st;
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return lp_error_set(err, LP_ERR_NOT_FOUND, "no llmplan record %s", path);
    json_error_t jerr;
    json_t *obj = json_load_file(path, 0, &jerr);
    if (!obj)
        return lp_error_set(err, LP_ERR_PARSE, "%s: invalid JSON: %s (line %d, column %d)", path,
                            jerr.text, jerr.line, jerr.column);
    lp_st_summary got = {0};
    st = LP_OK;
    const char *format = json_string_value(json_object_get(obj, "format"));
    if (!format || strcmp(format, HUB_RECORD_FORMAT) != 0)
        st =
            lp_error_set(err, LP_ERR_PARSE, "%s: format: expected \"%s\"", path, HUB_RECORD_FORMAT);
    for (size_t i = 0; st == LP_OK && i < RECORD_FIELDS; i++) {
        json_t *v = json_object_get(obj, record_fields[i].key);
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            st = lp_error_set(err, LP_ERR_PARSE, "%s: %s: expected a non-negative integer", path,
                              record_fields[i].key);
            break;
        }
        *(int64_t *)(void *)((char *)&got + record_fields[i].offset) =
            (int64_t)json_integer_value(v);
    }
    json_decref(obj);
    if (st == LP_OK)
        *sum = got;
    return st;
}

/* ---- store and look up ------------------------------------------------------------------- */

lp_status lp_hub_cache_store(const char *cache, const char *id, const char *revision,
                             const char *commit, const lp_hub_file *files, size_t n_files,
                             const lp_st_summary *sum, char *snapshot, size_t size, lp_error *err) {
    if (snapshot && size)
        snapshot[0] = '\0';
    if (!safe_component(commit))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "commit \"%s\" is not usable as a cache directory name", commit);
    if (!safe_relative(ref_name(revision)))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "revision \"%s\" is not usable as a cache ref name", revision);
    char repo[LP_HUB_PATH_MAX], snap[LP_HUB_PATH_MAX], path[LP_HUB_PATH_MAX];
    lp_status st = repo_dir(cache, id, repo, sizeof repo, err);
    if (st == LP_OK) {
        int w = snprintf(snap, sizeof snap, "%s/snapshots/%s", repo, commit);
        if (w < 0 || (size_t)w >= sizeof snap)
            st = lp_error_set(err, LP_ERR_INVALID_ARG, "path too long in %s", repo);
    }
    if (st == LP_OK)
        st = make_dirs(snap, err);
    /* Files first, the ref last: a reader that follows the ref finds a complete snapshot. */
    for (size_t i = 0; st == LP_OK && i < n_files; i++) {
        if (!safe_relative(files[i].name)) {
            st = lp_error_set(err, LP_ERR_INVALID_ARG, "file name \"%s\" is not storable",
                              files[i].name);
            break;
        }
        st = join(path, sizeof path, snap, files[i].name, err);
        if (st == LP_OK)
            st = write_atomic(path, files[i].data, files[i].len, err);
    }
    if (st == LP_OK && sum)
        st = write_record(repo, commit, sum, err);
    if (st == LP_OK && strcmp(revision, commit) != 0) {
        char refs[LP_HUB_PATH_MAX];
        st = join(refs, sizeof refs, repo, "refs", err);
        if (st == LP_OK)
            st = join(path, sizeof path, refs, ref_name(revision), err);
        if (st == LP_OK)
            st = write_atomic(path, commit, strlen(commit), err);
    }
    if (st == LP_OK && snapshot)
        snprintf(snapshot, size, "%s", snap);
    return st;
}

lp_status lp_hub_cache_lookup(const char *cache, const char *id, const char *revision,
                              char *snapshot, size_t size, bool *found, lp_error *err) {
    *found = false;
    if (!safe_relative(ref_name(revision)))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "revision \"%s\": expected a branch, tag or commit hash", revision);
    char repo[LP_HUB_PATH_MAX], path[LP_HUB_PATH_MAX], commit[HUB_SMALL_FILE_MAX];
    lp_status st = repo_dir(cache, id, repo, sizeof repo, err);
    if (st != LP_OK)
        return st;
    int w = snprintf(path, sizeof path, "%s/refs/%s", repo, ref_name(revision));
    if (w < 0 || (size_t)w >= sizeof path)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "path too long in %s", repo);
    char text[HUB_SMALL_FILE_MAX];
    size_t len = 0;
    if (!(read_small_file(path, text, sizeof text, &len) &&
          copy_trimmed(text, len, commit, sizeof commit) && safe_component(commit)))
        snprintf(commit, sizeof commit, "%s", revision);
    if (!safe_component(commit))
        return LP_OK;
    w = snprintf(snapshot, size, "%s/snapshots/%s", repo, commit);
    if (w < 0 || (size_t)w >= size)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "path too long in %s", repo);
    st = join(path, sizeof path, snapshot, "config.json", err);
    if (st != LP_OK)
        return st;
    struct stat sb;
    *found = stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
    return LP_OK;
}
