/*
 * version.c - lp_version: the library's version at run time, from the generated version.h
 * (whose one source is CMakeLists.txt's project() line).
 */
#include "llmplan/version.h"

const char *lp_version(void) {
    return LP_VERSION_STRING;
}
