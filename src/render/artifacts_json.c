/*
 * artifacts_json.c - the deployment files of one configuration as one JSON object
 * (`POST /v1/artifacts`): each file's name and text, or why it could not be written.
 * Formatting only.
 */
#include <jansson.h>

#include "common/json_write.h"
#include "llmplan/render.h"

lp_status lp_render_artifacts_json(FILE *out, const lp_artifacts_result *r) {
    json_t *root = json_object(), *files = json_array();
    if (!root || !files) {
        json_decref(root);
        json_decref(files);
        return LP_ERR_NOMEM;
    }
    for (size_t i = 0; i < r->n; i++) {
        const lp_artifact_file *f = &r->files[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(f->name));
        json_object_set_new(o, "text", f->text ? json_string(f->text) : json_null());
        json_object_set_new(o, "error", f->error[0] ? json_string(f->error) : json_null());
        json_array_append_new(files, o);
    }
    json_object_set_new(root, "files", files);
    int rc = lp_json_write(out, root, JSON_INDENT(2));
    fputc('\n', out);
    json_decref(root);
    if (rc != 0)
        return LP_ERR_IO;
    return ferror(out) ? LP_ERR_IO : LP_OK;
}
