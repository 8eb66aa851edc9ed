/*
 * catalog_data.h - the compiled-in catalog data produced by cmake/embed_catalog.cmake from
 * data/models/ (one config.json per model plus index.tsv). Private to src/model/catalog.c.
 */
#ifndef LP_CATALOG_DATA_H
#define LP_CATALOG_DATA_H

#include <stddef.h>

/** One embedded config.json: file stem (ORG--NAME) and its NUL-terminated bytes. */
typedef struct {
    const char *stem;
    const unsigned char *data;
    size_t len;
} lp_catalog_file;

extern const unsigned char lp_data_catalog_index[];
extern const size_t lp_data_catalog_index_len;
extern const lp_catalog_file lp_data_catalog_files[];
extern const size_t lp_data_catalog_files_count;

#endif
