/*
 * hub_internal.h - what hub.c (the HTTP side) and hub_cache.c (the files side) share.
 * Private to src/model/.
 */
#ifndef LLMPLAN_HUB_INTERNAL_H
#define LLMPLAN_HUB_INTERNAL_H

#include "llmplan/hub.h"

/* Path buffers: long enough for any real cache directory. */
#define LP_HUB_PATH_MAX 4096

/* One fetched file to store in a snapshot. */
typedef struct {
    const char *name; /* file name inside the repository ("config.json") */
    const char *data;
    size_t len;
} lp_hub_file;

/*
 * Store files under cache/models--ORG--NAME/snapshots/commit/, point refs/revision at commit
 * (unless revision is the commit), and, when sum is non-NULL, keep the header counts in the
 * .llmplan record lp_hub_cache_read_summary reads. Every file is written to a temporary name
 * and renamed. The snapshot directory goes to snapshot (may be NULL).
 */
lp_status lp_hub_cache_store(const char *cache, const char *id, const char *revision,
                             const char *commit, const lp_hub_file *files, size_t n_files,
                             const lp_st_summary *sum, char *snapshot, size_t size, lp_error *err);

/*
 * The cached snapshot of id at revision (a ref name or a commit): *found says whether
 * cache/models--ORG--NAME/snapshots/<commit>/config.json exists; its directory goes to
 * snapshot.
 */
lp_status lp_hub_cache_lookup(const char *cache, const char *id, const char *revision,
                              char *snapshot, size_t size, bool *found, lp_error *err);

#endif
