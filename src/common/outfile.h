/*
 * outfile.h - the files llmplan writes for its user (reports and their charts, deployment
 * files, calibrations), all through one set of rules. Private to src/.
 *
 *  - nothing that exists is replaced unless the caller says so (the user's --force); a file
 *    that is also one of the command's inputs is never written, --force or not;
 *  - every file is written to a temporary file beside it and renamed over its name only once
 *    every file of the set is complete: a failure leaves the old files as they were;
 *  - a replaced file keeps its permissions; a new one gets the mode asked for, less the umask;
 *  - names are single path components inside one directory, and a symbolic link in their
 *    place is replaced, never written through (nothing is written outside the directory).
 */
#ifndef LP_COMMON_OUTFILE_H
#define LP_COMMON_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

#include "llmplan/status.h"

/** How a set of files is written. */
typedef struct {
    bool force;                /**< replace files that exist */
    const char *force_flag;    /**< how the user asks for that, named in messages ("--force") */
    const char *const *inputs; /**< the command's input files (NULL-terminated; may be NULL) */
} lp_outset_opts;

typedef struct lp_outset lp_outset;

/**
 * Start a set of files in dir (NULL or "": the current directory), which must exist.
 * LP_ERR_NOMEM, LP_ERR_IO (dir is missing or not a directory).
 */
lp_status lp_outset_open(const char *dir, const lp_outset_opts *opts, lp_outset **out,
                         lp_error *err);

/**
 * Add the file `name` (one path component) to the set and open its temporary file for
 * writing into *f (owned by the set). mode: of a new file, before the umask (0666, or 0777 for
 * a script). LP_ERR_INVALID_ARG: name exists and force is off ("... exists: add --force to
 * replace it"), or it is an input, a directory or not a plain name; LP_ERR_IO with the
 * system's reason. Nothing of the set is visible under its names until lp_outset_commit.
 */
lp_status lp_outset_add(lp_outset *s, const char *name, unsigned mode, FILE **f, lp_error *err);

/**
 * Whether name could be added (the checks of lp_outset_add, nothing created): for checking
 * every output of a command before it does any work or prints anything.
 */
lp_status lp_outset_check(const lp_outset *s, const char *name, lp_error *err);

/**
 * Finish every file (flush, sync, permissions) and rename each over its name. On an error no
 * file of the set has been renamed unless the error came from a rename itself (then the
 * message says which files are in place). LP_ERR_IO with the file and the system's reason.
 */
lp_status lp_outset_commit(lp_outset *s, lp_error *err);

/** Free the set; the temporary files of an uncommitted set are removed. NULL ok. */
void lp_outset_free(lp_outset *s);

/**
 * Split path into its directory (may be "") and file name. False when path has no file name
 * ("dir/") or a part is too long for the buffers.
 */
bool lp_outfile_split(const char *path, char *dir, size_t dir_size, char *name, size_t name_size);

#endif
