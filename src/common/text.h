/*
 * text.h - strings from outside llmplan (config.json, nvidia-smi, GPU files, the Hub, error
 * messages that quote them) made safe to print on a terminal. Private to src/.
 */
#ifndef LP_COMMON_TEXT_H
#define LP_COMMON_TEXT_H

#include <stddef.h>

/**
 * Replace every control character of s (bytes below 0x20, and DEL) with '?', in place: an
 * escape sequence in a model's "architectures" or a GPU name cannot then recolour, retitle or
 * rewrite the user's terminal. Printable ASCII and UTF-8 are kept. Returns s; NULL is fine.
 */
char *lp_text_printable(char *s);

/** lp_text_printable on a copy of in, cut to out's size. Returns out. */
char *lp_text_printable_copy(const char *in, char *out, size_t size);

#endif
