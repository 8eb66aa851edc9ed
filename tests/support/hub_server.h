/*
 * hub_server.h - a local stand-in for the Hugging Face Hub, for test_hub (libmicrohttpd).
 *
 * It serves a directory laid out as ROOT/ORG/NAME/FILE at the Hub's addresses:
 *   GET /ORG/NAME/resolve/REV/FILE -> 302 to /cdn/ORG/NAME/FILE with X-Repo-Commit (as the
 *       Hub redirects to its CDN); 404 with X-Error-Code RepoNotFound / RevisionNotFound /
 *       EntryNotFound; 401 X-Error-Code GatedRepo for a gated repository without
 *       `Authorization: Bearer TOKEN`; a configured 500 once;
 *   GET /cdn/ORG/NAME/FILE -> the file, honouring `Range: bytes=A-B` (206 + Content-Range),
 *       or ignoring Range (200, whole file) for repositories told to.
 * It counts the bytes of each file it sends, so a test can prove no weights were read.
 * REV is "main" or the server's commit (lp_hub_server_commit).
 *
 * Compiled only with LP_TEST_WITH_MHD (test_hub links libmicrohttpd).
 */
#ifndef LP_TEST_HUB_SERVER_H
#define LP_TEST_HUB_SERVER_H

#include <stdbool.h>
#include <stdint.h>

typedef struct lp_hub_server lp_hub_server;

/** Start on 127.0.0.1, any free port, serving root; NULL when it cannot start. */
lp_hub_server *lp_hub_server_start(const char *root);

/** Stop the server and free it (NULL is fine). */
void lp_hub_server_stop(lp_hub_server *s);

/** "http://127.0.0.1:PORT" */
const char *lp_hub_server_url(const lp_hub_server *s);

/** The commit hash sent as X-Repo-Commit (40 hex digits). */
const char *lp_hub_server_commit(const lp_hub_server *s);

/** Gate repo ("org/name"): 401 GatedRepo unless the request carries Bearer token. */
void lp_hub_server_gate(lp_hub_server *s, const char *repo, const char *token);

/** Answer the next request for repo's file (resolve path) with status (e.g. 500), once. */
void lp_hub_server_fail_once(lp_hub_server *s, const char *repo, const char *file, int status);

/** Serve repo's files whole (200) even when a Range is asked for. */
void lp_hub_server_ignore_range(lp_hub_server *s, const char *repo);

/** Bytes of ROOT/rel ("org/name/file") sent so far, and one past the highest offset sent. */
int64_t lp_hub_server_bytes(lp_hub_server *s, const char *rel, int64_t *max_end);

/** Bytes of every file sent so far. */
int64_t lp_hub_server_total_bytes(lp_hub_server *s);

/** Requests answered so far (redirects and CDN requests each count). */
int64_t lp_hub_server_requests(lp_hub_server *s);

#endif
