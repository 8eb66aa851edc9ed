/*
 * outfile.c - write a set of user files safely (see outfile.h).
 *
 * Everything goes through a descriptor of the output directory (openat, fstatat, renameat), so
 * a name is looked up in that directory only: a symbolic link at a name is seen as a link
 * (refused, or replaced with --force), never followed. A temporary file is created with
 * O_EXCL | O_NOFOLLOW under a hidden name next to its target, which makes the final rename
 * atomic (same directory, same file system).
 */
#include "common/outfile.h"
#include "common/grow.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Tries at a free temporary name before giving up. */
#define TEMP_TRIES 100

typedef struct {
    char *name, *tmp;
    FILE *f;
    bool replace; /* the target exists and is replaced (force) */
    mode_t keep;  /* the replaced file's permissions */
    bool renamed;
} out_file;

struct lp_outset {
    char *dir; /* as given, for messages ("" for the current directory) */
    int dirfd;
    bool force;
    const char *force_flag;
    struct stat *inputs;
    size_t n_inputs;
    out_file *files;
    size_t n, cap;
};

/* "dir/name" for messages. */
static void shown(const lp_outset *s, const char *name, char *buf, size_t size) {
    size_t n = strlen(s->dir);
    snprintf(buf, size, "%s%s%s", s->dir, n && s->dir[n - 1] != '/' ? "/" : "", name);
}

lp_status lp_outset_open(const char *dir, const lp_outset_opts *opts, lp_outset **out,
                         lp_error *err) {
    *out = NULL;
    lp_outset *s = calloc(1, sizeof *s);
    if (!s || !(s->dir = strdup(dir ? dir : ""))) {
        free(s);
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    }
    s->dirfd = -1;
    s->dirfd = open(*s->dir ? s->dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0) {
        int e = errno;
        lp_status st = lp_error_set(err, LP_ERR_IO, "%s: cannot write there: %s",
                                    *s->dir ? s->dir : ".", strerror(e));
        lp_outset_free(s);
        return st;
    }
    s->force = opts && opts->force;
    s->force_flag = opts && opts->force_flag ? opts->force_flag : "--force";
    size_t n = 0;
    while (opts && opts->inputs && opts->inputs[n])
        n++;
    s->inputs = calloc(n ? n : 1, sizeof *s->inputs);
    if (!s->inputs) {
        lp_outset_free(s);
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        if (stat(opts->inputs[i], &s->inputs[s->n_inputs]) == 0)
            s->n_inputs++; /* an input that is not there cannot be overwritten */
    *out = s;
    return LP_OK;
}

static bool is_input(const lp_outset *s, const struct stat *st) {
    for (size_t i = 0; i < s->n_inputs; i++)
        if (s->inputs[i].st_dev == st->st_dev && s->inputs[i].st_ino == st->st_ino)
            return true;
    return false;
}

/* A hidden temporary file beside name, created exclusively; its descriptor or -1. */
static int make_temp(lp_outset *s, const char *name, unsigned mode, char **tmp) {
    static unsigned counter;
    size_t len = strlen(name) + 64;
    *tmp = malloc(len);
    if (!*tmp) {
        errno = ENOMEM;
        return -1;
    }
    for (int i = 0; i < TEMP_TRIES; i++) {
        unsigned salt = (unsigned)time(NULL) ^ ((unsigned)getpid() << 12) ^
                        (__atomic_fetch_add(&counter, 1u, __ATOMIC_RELAXED) * 2654435761u);
        snprintf(*tmp, len, ".%s.%08x.tmp", name, salt);
        int fd = openat(s->dirfd, *tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        (mode_t)mode);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

/* The rules for one name (see outfile.h); *exists and *at describe what is there now. */
static lp_status check_name(const lp_outset *s, const char *name, bool *exists, struct stat *at,
                            lp_error *err) {
    char path[4096];
    shown(s, name, path, sizeof path);
    if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: not a file name", path);
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->files[i].name, name) == 0)
            return lp_error_set(err, LP_ERR_INVALID_ARG, "%s: written twice", path);
    struct stat target;
    *exists = fstatat(s->dirfd, name, at, AT_SYMLINK_NOFOLLOW) == 0;
    if (!*exists && errno != ENOENT)
        return lp_error_set(err, LP_ERR_IO, "%s: %s", path, strerror(errno));
    /* the file a link at name points to may be an input: that too is never written */
    if (*exists && fstatat(s->dirfd, name, &target, 0) == 0 && is_input(s, &target))
        return lp_error_set(err, LP_ERR_INVALID_ARG,
                            "%s is also an input of this command: write to another file", path);
    if (*exists && S_ISDIR(at->st_mode))
        return lp_error_set(err, LP_ERR_INVALID_ARG, "%s is a directory: name a file", path);
    if (*exists && !s->force)
        return lp_error_set(err, LP_ERR_INVALID_ARG, "%s exists%s: add %s to replace it", path,
                            S_ISLNK(at->st_mode) ? " (a symbolic link)" : "", s->force_flag);
    return LP_OK;
}

lp_status lp_outset_check(const lp_outset *s, const char *name, lp_error *err) {
    bool exists;
    struct stat at;
    return check_name(s, name, &exists, &at, err);
}

lp_status lp_outset_add(lp_outset *s, const char *name, unsigned mode, FILE **f, lp_error *err) {
    *f = NULL;
    char path[4096];
    shown(s, name, path, sizeof path);
    bool exists;
    struct stat at;
    lp_status st = check_name(s, name, &exists, &at, err);
    if (st != LP_OK)
        return st;
    out_file *bigger = lp_grow(s->files, &s->cap, s->n + 1, sizeof *bigger, 4);
    if (!bigger)
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    s->files = bigger;
    out_file *o = &s->files[s->n];
    memset(o, 0, sizeof *o);
    o->name = strdup(name);
    if (!o->name)
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory");
    int fd = make_temp(s, name, mode, &o->tmp);
    if (fd < 0) {
        int e = errno;
        free(o->name);
        free(o->tmp);
        return lp_error_set(err, LP_ERR_IO, "%s: cannot create a file beside it: %s", path,
                            strerror(e));
    }
    o->f = fdopen(fd, "w");
    if (!o->f) {
        int e = errno;
        close(fd);
        unlinkat(s->dirfd, o->tmp, 0);
        free(o->name);
        free(o->tmp);
        return lp_error_set(err, LP_ERR_IO, "%s: %s", path, strerror(e));
    }
    /* a replaced regular file keeps its permissions (a link is replaced by a new file) */
    o->replace = exists && S_ISREG(at.st_mode);
    o->keep = at.st_mode & 07777;
    s->n++;
    *f = o->f;
    return LP_OK;
}

/* Flush, set the permissions of, sync and close one file; 0 or an errno. */
static int finish(out_file *o) {
    int e = 0;
    if (fflush(o->f) != 0 || ferror(o->f))
        e = errno ? errno : EIO;
    if (!e && o->replace && fchmod(fileno(o->f), o->keep) != 0)
        e = errno;
    if (!e && fsync(fileno(o->f)) != 0 && errno != EINVAL)
        e = errno; /* EINVAL: a file system without sync (it cannot fail later either) */
    if (fclose(o->f) != 0 && !e)
        e = errno ? errno : EIO;
    o->f = NULL;
    return e;
}

lp_status lp_outset_commit(lp_outset *s, lp_error *err) {
    char path[4096];
    for (size_t i = 0; i < s->n; i++) {
        errno = 0;
        int e = finish(&s->files[i]);
        if (e) {
            shown(s, s->files[i].name, path, sizeof path);
            return lp_error_set(err, LP_ERR_IO, "%s: writing failed: %s", path, strerror(e));
        }
    }
    for (size_t i = 0; i < s->n; i++) {
        out_file *o = &s->files[i];
        if (renameat(s->dirfd, o->tmp, s->dirfd, o->name) != 0) {
            int e = errno;
            shown(s, o->name, path, sizeof path);
            return lp_error_set(err, LP_ERR_IO,
                                "%s: cannot put it in place: %s (%zu of %zu files "
                                "of this command were written before)",
                                path, strerror(e), i, s->n);
        }
        o->renamed = true;
    }
    return LP_OK;
}

void lp_outset_free(lp_outset *s) {
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        out_file *o = &s->files[i];
        if (o->f)
            fclose(o->f);
        if (!o->renamed && s->dirfd >= 0)
            unlinkat(s->dirfd, o->tmp, 0);
        free(o->name);
        free(o->tmp);
    }
    if (s->dirfd >= 0)
        close(s->dirfd);
    free(s->files);
    free(s->inputs);
    free(s->dir);
    free(s);
}

bool lp_outfile_split(const char *path, char *dir, size_t dir_size, char *name, size_t name_size) {
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = path + dlen;
    if (!*base || dlen >= dir_size || strlen(base) >= name_size)
        return false;
    memcpy(dir, path, dlen);
    dir[dlen] = '\0';
    strcpy(name, base);
    return true;
}
