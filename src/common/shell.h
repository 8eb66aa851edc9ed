/*
 * shell.h - words and command lines as a POSIX shell reads them: a word is left bare when it
 * holds only characters no shell treats specially, else single-quoted (a quote inside becomes
 * '\''). Used wherever llmplan prints or writes a command (the `vllm serve` line, scripts,
 * the command a report was made with). Private to src/.
 */
#ifndef LP_COMMON_SHELL_H
#define LP_COMMON_SHELL_H

#include <stdbool.h>
#include <stddef.h>

/** Whether word needs no quoting (non-empty, only [A-Za-z0-9_@%+=:,./-]). */
bool lp_sh_word_is_safe(const char *word);

/**
 * Write word, quoted when needed, into buf (snprintf-like: at most size bytes with the NUL;
 * buf may be NULL with size 0). Returns the length the quoted word needs, without the NUL.
 */
size_t lp_sh_quote(char *buf, size_t size, const char *word);

/**
 * The words as one shell line, separated by single spaces, each quoted when needed except a
 * word equal to keep (e.g. "$MASTER_ADDR", a variable the shell must expand; NULL: none).
 * first, when non-NULL, goes before argv[0]. Returns a malloc'd string (the caller frees it)
 * or NULL when out of memory.
 */
char *lp_sh_join(const char *first, char *const *argv, int argc, const char *keep);

#endif
