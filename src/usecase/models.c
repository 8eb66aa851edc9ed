/*
 * models.c - the embedded catalog as rows for `llmplan models` and GET /v1/models: each entry
 * parsed once here, so that the renderer only formats.
 */
#include <stdlib.h>

#include "llmplan/usecase.h"

lp_status lp_models_list(lp_catalog_row **rows, size_t *n, lp_error *err) {
    size_t count = lp_catalog_count();
    *rows = calloc(count ? count : 1, sizeof **rows);
    *n = 0;
    if (!*rows)
        return lp_error_set(err, LP_ERR_NOMEM, "out of memory listing %zu models", count);
    for (size_t i = 0; i < count; i++) {
        lp_catalog_row *r = &(*rows)[i];
        r->entry = lp_catalog_at(i);
        r->parsed = r->entry && lp_catalog_load(r->entry->id, &r->model, NULL) == LP_OK;
        if (r->entry)
            (*n)++;
    }
    return LP_OK;
}
