/*
 * source.c - resolve a model spec (path, model directory, HF cache id, catalog id) to an
 * lp_model.
 *
 * Order, first match wins (model.h, lp_model_load):
 *   1. an existing file: a config.json;
 *   2. an existing directory with config.json: the config, plus exact counts from the
 *      safetensors headers beside it;
 *   3. "org/name" present in the local Hugging Face cache: as 2, from the snapshot;
 *   4. the embedded catalog, whose error suggests the closest ids;
 *   5. an "org/name" id in neither: fetched from the Hugging Face Hub (hub.c: config.json
 *      and safetensors headers, stored in the cache), unless HF_HUB_OFFLINE is set.
 * The HF cache layout and environment variables mirror huggingface_hub (constants.py:
 * HF_HOME, HF_HUB_CACHE; file_download.py: models--ORG--NAME/{refs,snapshots}).
 *
 * Deliberately not done here: network access (hub.c) and parsing config.json (config.c) or
 * safetensors (safetensors.c).
 */
#include "common/env.h"
#include "llmplan/model.h"

#include "llmplan/hub.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* Path buffers: long enough for any real cache or model directory. */
#define SRC_PATH_MAX 4096
/* A ref file holds a 40-hex commit hash; leave room for whitespace. */
#define SRC_REF_MAX 256

static bool is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool path_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static lp_status path_join(char *out, size_t size, const char *a, const char *b, lp_error *err) {
    int w = snprintf(out, size, "%s/%s", a, b);
    if (w < 0 || (size_t)w >= size)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "path too long: %s/%s", a, b);
    return LP_OK;
}

/* "~" and "~/rest" -> $HOME/rest; anything else is copied. */
static lp_status expand_home(const char *in, char *out, size_t size, lp_error *err) {
    if (!lp_env_expand_home(in, out, size))
        return lp_error_set(err, LP_ERR_INVALID_ARG, "path too long: %s", in);
    return LP_OK;
}

/*
 * The hub cache directory, as huggingface_hub computes it: HF_HUB_CACHE (or its legacy
 * name HUGGINGFACE_HUB_CACHE), else HF_HOME/hub, HF_HOME defaulting to
 * $XDG_CACHE_HOME/huggingface or ~/.cache/huggingface. The options override the variables.
 */
lp_status lp_hub_cache_dir(const lp_model_load_opts *opts, char *out, size_t size, lp_error *err) {
    const char *cache = opts && opts->hf_hub_cache ? opts->hf_hub_cache : NULL;
    if (!cache)
        cache = lp_env_nonempty("HF_HUB_CACHE");
    if (!cache)
        cache = lp_env_nonempty("HUGGINGFACE_HUB_CACHE");
    if (cache)
        return expand_home(cache, out, size, err);

    char home[SRC_PATH_MAX];
    const char *hf_home = opts && opts->hf_home ? opts->hf_home : lp_env_nonempty("HF_HOME");
    lp_status st;
    if (hf_home) {
        st = expand_home(hf_home, home, sizeof home, err);
    } else {
        const char *xdg = lp_env_nonempty("XDG_CACHE_HOME");
        char base[SRC_PATH_MAX];
        st = expand_home(xdg ? xdg : "~/.cache", base, sizeof base, err);
        if (st == LP_OK)
            st = path_join(home, sizeof home, base, "huggingface", err);
    }
    if (st != LP_OK)
        return st;
    return path_join(out, size, home, "hub", err);
}

/* "org/name" with HF's allowed characters (letters, digits, '-', '_', '.'). */
static bool looks_like_hf_id(const char *spec) {
    const char *slash = strchr(spec, '/');
    if (!slash || slash == spec || slash[1] == '\0' || strchr(slash + 1, '/'))
        return false;
    if (spec[0] == '.' || spec[0] == '~')
        return false;
    for (const char *p = spec; *p; p++)
        if (p != slash && !isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
            return false;
    return strstr(spec, "..") == NULL && strstr(spec, "--") == NULL;
}

/* A spec that can only mean a local path (so "not found" is the answer, not the catalog). */
static bool looks_like_path(const char *spec) {
    size_t len = strlen(spec);
    if (spec[0] == '.' || spec[0] == '/' || spec[0] == '~')
        return true;
    if (len >= 5 && strcmp(spec + len - 5, ".json") == 0)
        return true;
    const char *slash = strchr(spec, '/');
    return slash && (strchr(slash + 1, '/') != NULL || slash[1] == '\0');
}

/* Read a ref file (a commit hash) into out, whitespace trimmed; false if unreadable. */
static bool read_ref(const char *path, char *out, size_t size) {
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(out, 1, size - 1, f);
    fclose(f);
    out[n] = '\0';
    while (n > 0 && isspace((unsigned char)out[n - 1]))
        out[--n] = '\0';
    size_t start = 0;
    while (out[start] && isspace((unsigned char)out[start]))
        start++;
    memmove(out, out + start, n - start + 1);
    /* A hash is a single path component. */
    return out[0] != '\0' && strchr(out, '/') == NULL && strcmp(out, "..") != 0 &&
           strcmp(out, ".") != 0;
}

/* Newest directory under snapshots/ (by modification time, ties by name); false if none. */
static bool newest_snapshot(const char *snapshots, char *out, size_t size) {
    DIR *d = opendir(snapshots);
    if (!d)
        return false;
    bool found = false;
    struct timespec best = {0, 0};
    struct dirent *e;
    char path[SRC_PATH_MAX];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (path_join(path, sizeof path, snapshots, e->d_name, NULL) != LP_OK)
            continue;
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        bool newer = !found || st.st_mtim.tv_sec > best.tv_sec ||
                     (st.st_mtim.tv_sec == best.tv_sec && st.st_mtim.tv_nsec > best.tv_nsec) ||
                     (st.st_mtim.tv_sec == best.tv_sec && st.st_mtim.tv_nsec == best.tv_nsec &&
                      strcmp(e->d_name, out) > 0);
        if (newer && strlen(e->d_name) < size) {
            best = st.st_mtim;
            snprintf(out, size, "%s", e->d_name);
            found = true;
        }
    }
    closedir(d);
    return found;
}

/* The repo directory models--ORG--NAME, matched case-insensitively if not verbatim. */
static bool find_repo_dir(const char *cache, const char *id, char *out, size_t size) {
    char name[SRC_PATH_MAX];
    const char *slash = strchr(id, '/');
    int w = snprintf(name, sizeof name, "models--%.*s--%s", (int)(slash - id), id, slash + 1);
    if (w < 0 || (size_t)w >= sizeof name)
        return false;
    if (path_join(out, size, cache, name, NULL) == LP_OK && is_dir(out))
        return true;
    DIR *d = opendir(cache);
    if (!d)
        return false;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        if (strcasecmp(e->d_name, name) == 0 &&
            path_join(out, size, cache, e->d_name, NULL) == LP_OK && is_dir(out))
            found = true;
    }
    closedir(d);
    return found;
}

/*
 * Find the snapshot directory of id in the cache. Returns LP_OK with *found set (false:
 * not cached, try the catalog), or an error when an explicitly requested revision is absent.
 */
static lp_status find_snapshot(const char *cache, const char *id, const char *revision, char *out,
                               size_t size, bool *found, lp_error *err) {
    char repo[SRC_PATH_MAX], snapshots[SRC_PATH_MAX], path[SRC_PATH_MAX], ref[SRC_REF_MAX];
    *found = false;
    if (!find_repo_dir(cache, id, repo, sizeof repo))
        return LP_OK;
    lp_status st = path_join(snapshots, sizeof snapshots, repo, "snapshots", err);
    if (st != LP_OK)
        return st;

    if (revision) {
        const char *rev = strncmp(revision, "refs/", 5) == 0 ? revision + 5 : revision;
        if (!*rev || rev[0] == '/' || strstr(rev, "..") != NULL)
            return lp_error_set(err, LP_ERR_INVALID_ARG,
                                "revision \"%s\": expected a branch, tag or commit hash", revision);
        char refs[SRC_PATH_MAX];
        st = path_join(refs, sizeof refs, repo, "refs", err);
        if (st == LP_OK)
            st = path_join(path, sizeof path, refs, rev, err);
        if (st != LP_OK)
            return st;
        /* A ref name (main, a tag, pr/1) points at a commit; else it may be the commit. */
        const char *commit = is_file(path) && read_ref(path, ref, sizeof ref) ? ref : rev;
        if (strchr(commit, '/') == NULL) {
            st = path_join(out, size, snapshots, commit, err);
            if (st != LP_OK)
                return st;
            if (is_dir(out)) {
                *found = true;
                return LP_OK;
            }
        }
        return lp_error_set(err, LP_ERR_NOT_FOUND,
                            "revision \"%s\" of %s is not in the Hugging Face cache (%s); "
                            "download it or omit the revision",
                            revision, id, repo);
    }

    st = path_join(path, sizeof path, repo, "refs/main", err);
    if (st != LP_OK)
        return st;
    if (is_file(path) && read_ref(path, ref, sizeof ref)) {
        st = path_join(out, size, snapshots, ref, err);
        if (st != LP_OK)
            return st;
        if (is_dir(out)) {
            *found = true;
            return LP_OK;
        }
    }
    char newest[SRC_PATH_MAX] = "";
    if (newest_snapshot(snapshots, newest, sizeof newest)) {
        st = path_join(out, size, snapshots, newest, err);
        if (st != LP_OK)
            return st;
        *found = true;
    }
    return LP_OK;
}

/* Files that hold weights beside config.json; absent => the architecture count stands. */
static bool dir_has_safetensors(const char *dir) {
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] != '.' && ((n > 12 && strcmp(e->d_name + n - 12, ".safetensors") == 0) ||
                                    strcmp(e->d_name, "model.safetensors.index.json") == 0))
            found = true;
    }
    closedir(d);
    return found;
}

/* Replace the architecture's parameter counts with those of the safetensors headers. */
void lp_model_apply_safetensors(lp_model *m, const lp_st_summary *s) {
    int64_t arch_total = m->params_total;
    int64_t arch_active = m->params_active;
    int64_t exact = s->logical_params - s->mtp_elements;

    m->params_total = exact;
    m->params_exact = true;
    m->checkpoint_bytes = s->bytes;
    m->params_mtp = s->mtp_elements;
    if (s->vision_elements > 0)
        m->params_vision = s->vision_elements;
    /* The formula's error is in shared parts (embeddings, norms, biases, towers), which every
     * token uses: shift the active count by the same amount. Dense models: active == total. */
    int64_t active = m->num_experts > 0 ? arch_active + (exact - arch_total) : exact;
    if (active < 0 || active > exact)
        active = exact;
    m->params_active = active;

    lp_model_note(m, "parameters counted from safetensors headers (%" PRId64 " shard%s)", s->files,
                  s->files == 1 ? "" : "s");
    if (arch_total != exact) {
        int64_t diff = exact - arch_total;
        lp_model_note(m,
                      "safetensors count %" PRId64
                      " differs from the architecture formula's %" PRId64 " by %+" PRId64
                      " (%+.3f%%)",
                      exact, arch_total, diff,
                      arch_total > 0 ? 100.0 * (double)diff / (double)arch_total : 0.0);
    }
    if (s->mtp_elements > 0)
        lp_model_note(m,
                      "%" PRId64 " MTP (next-token prediction) parameters in the checkpoint are "
                      "not counted: vLLM loads them only for MTP speculative decoding",
                      s->mtp_elements);
}

/* Parse dir/config.json and, unless disabled, count the safetensors beside it. */
static lp_status load_model_dir(const char *dir, const char *id, const char *source,
                                const lp_model_load_opts *opts, lp_model *out, lp_error *err) {
    char config[SRC_PATH_MAX];
    lp_status st = path_join(config, sizeof config, dir, "config.json", err);
    if (st != LP_OK)
        return st;
    st = lp_model_from_config_file(config, out, err);
    if (st != LP_OK)
        return st;
    snprintf(out->id, sizeof out->id, "%s", id);
    snprintf(out->source, sizeof out->source, "%s", source);
    if (opts && opts->no_safetensors)
        return LP_OK;
    if (!dir_has_safetensors(dir)) {
        lp_model_note(out, "no safetensors files beside config.json: parameters computed from "
                           "the architecture");
        return LP_OK;
    }
    lp_st_summary sum = {0};
    st = lp_safetensors_read_dir(dir, out->num_layers, &sum, err);
    if (st == LP_ERR_NOT_FOUND) {
        /* A snapshot lp_hub_load wrote holds the index but not the weights; the header
         * counts it read are kept beside the snapshot. Anything else stays an error. */
        lp_st_summary fetched = {0};
        if (lp_hub_cache_read_summary(dir, &fetched, NULL) == LP_OK && fetched.tensors > 0) {
            lp_model_apply_safetensors(out, &fetched);
            lp_model_note(out, "safetensors counts are those read from the Hub's headers when "
                               "this snapshot was fetched (weights not downloaded)");
            lp_error_clear(err);
            return LP_OK;
        }
    }
    if (st != LP_OK)
        return st;
    if (sum.tensors > 0)
        lp_model_apply_safetensors(out, &sum);
    return LP_OK;
}

/*
 * Step 5: an "org/name" id neither cached nor in the catalog is fetched from the Hub
 * (config.json and safetensors headers only), unless HF_HUB_OFFLINE is set. err holds the
 * catalog's NOT_FOUND on entry. A Hub that cannot be reached at all (no network, DNS) leaves
 * the answer NOT_FOUND, with both reasons; an answer from the Hub is reported as it is.
 */
static lp_status load_from_hub(const char *spec, const lp_model_load_opts *opts, lp_model *out,
                               lp_error *err) {
    char local[LP_ERROR_MESSAGE_SIZE];
    snprintf(local, sizeof local, "%s", err ? err->message : "");
    if (lp_hub_offline())
        return lp_error_set(err, LP_ERR_NOT_FOUND,
                            "%s; HF_HUB_OFFLINE is set, so the Hugging Face Hub was not asked "
                            "(unset it to fetch the config.json of %s)",
                            local, spec);
    if (!lp_hub_available())
        return lp_error_set(err, LP_ERR_NOT_FOUND,
                            "%s; llmplan was built without libcurl, so the Hugging Face Hub was "
                            "not asked",
                            local);
    lp_hub_fetch_info info;
    lp_error hub_err;
    lp_error_clear(&hub_err);
    lp_status st = lp_hub_load(spec, opts, &info, out, &hub_err);
    if (st == LP_OK) {
        lp_error_clear(err);
        return LP_OK;
    }
    if (st == LP_ERR_IO && !info.reached)
        return lp_error_set(err, LP_ERR_NOT_FOUND, "%.400s; and the Hub could not be asked: %s",
                            local, hub_err.message);
    return lp_error_set(err, st, "%s", hub_err.message);
}

lp_status lp_model_load(const char *spec, const lp_model_load_opts *opts, lp_model *out,
                        lp_error *err) {
    if (!spec || !*spec || !out)
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "no model given: expected a Hugging Face id, a config.json or a "
                            "model directory");
    lp_error_clear(err);

    char path[SRC_PATH_MAX];
    lp_status st = expand_home(spec, path, sizeof path, err);
    if (st != LP_OK)
        return st;

    if (is_file(path))
        return lp_model_from_config_file(path, out, err);
    if (is_dir(path)) {
        char config[SRC_PATH_MAX];
        st = path_join(config, sizeof config, path, "config.json", err);
        if (st != LP_OK)
            return st;
        if (is_file(config))
            return load_model_dir(path, spec, "model-dir", opts, out, err);
        if (looks_like_path(spec) || !looks_like_hf_id(spec))
            return lp_error_set(err, LP_ERR_NOT_FOUND,
                                "directory %s has no config.json; point at a model directory "
                                "or a config.json file",
                                spec);
    } else if (path_exists(path)) {
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "%s is neither a config.json file nor a model directory", spec);
    } else if (looks_like_path(spec)) {
        return lp_error_set(err, LP_ERR_NOT_FOUND, "no such file or directory: %s", spec);
    }

    bool cached_without_config = false;
    if (looks_like_hf_id(spec)) {
        char cache[SRC_PATH_MAX], snapshot[SRC_PATH_MAX];
        bool found = false;
        st = lp_hub_cache_dir(opts, cache, sizeof cache, err);
        if (st != LP_OK)
            return st;
        st = find_snapshot(cache, spec, opts ? opts->revision : NULL, snapshot, sizeof snapshot,
                           &found, err);
        if (st != LP_OK)
            return st;
        if (found) {
            char config[SRC_PATH_MAX];
            st = path_join(config, sizeof config, snapshot, "config.json", err);
            if (st != LP_OK)
                return st;
            if (is_file(config))
                return load_model_dir(snapshot, spec, "hf-cache", opts, out, err);
            if (opts && opts->revision)
                return lp_error_set(err, LP_ERR_NOT_FOUND,
                                    "%s revision \"%s\" in the Hugging Face cache has no "
                                    "config.json (%s)",
                                    spec, opts->revision, snapshot);
            cached_without_config = true;
        }
    }

    st = lp_catalog_load(spec, out, err);
    if (st == LP_OK && cached_without_config)
        lp_model_note(out,
                      "the Hugging Face cache holds %s without config.json: used the "
                      "embedded catalog",
                      spec);
    if (st == LP_ERR_NOT_FOUND && looks_like_hf_id(spec))
        return load_from_hub(spec, opts, out, err);
    return st;
}
