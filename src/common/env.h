/*
 * env.h - what llmplan reads from the environment the way huggingface_hub reads it: a
 * variable counts only when set to something, and a leading "~" means $HOME. Private to src/.
 */
#ifndef LP_COMMON_ENV_H
#define LP_COMMON_ENV_H

#include <stdbool.h>
#include <stddef.h>

/** The value of the environment variable name, or NULL when unset or empty. */
const char *lp_env_nonempty(const char *name);

/** "~" and "~/rest" -> $HOME and $HOME/rest (when HOME is set); anything else copied. false
 *  when the result does not fit in size bytes. */
bool lp_env_expand_home(const char *in, char *out, size_t size);

#endif
