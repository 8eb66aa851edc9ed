/*
 * respond.c - the {"error": "..."} answers the server writes itself (busy, too slow, refused
 * Host or Origin), escaped by jansson like every other answer. The API's own errors are
 * api.c's.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "web/server_internal.h"

void lp_web_error_response(lp_web_response *out, int status, const char *message) {
    static char fallback[] = "{\"error\": \"out of memory\"}\n";
    memset(out, 0, sizeof *out);
    out->status = status;
    out->content_type = "application/json";
    json_t *o = json_pack("{s:s}", "error", message);
    char *text = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
    json_decref(o);
    size_t len = text ? strlen(text) : 0;
    /* copied so that lp_web_response_free's free() matches whatever jansson allocates with */
    char *body = text ? malloc(len + 2) : NULL;
    if (!body) {
        free(text);
        out->body = fallback;
        out->body_len = sizeof fallback - 1;
        out->body_static = true;
        return;
    }
    memcpy(body, text, len);
    body[len] = '\n';
    body[len + 1] = '\0';
    free(text);
    out->body = body;
    out->body_len = len + 1;
}
