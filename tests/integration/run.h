/* run.h: helpers for integration tests that drive the real build/leakgate binary. */
#ifndef LG_TEST_RUN_H
#define LG_TEST_RUN_H

#include <stddef.h>

/* Runs `sh -c CMD` with $LEAKGATE, $PYTHONPATH and a scratch directory $T set, and
 * returns its exit code (128 + N when killed by signal N). *out and *err (if not NULL)
 * receive what it printed, to be freed by the caller. */
int lgt_sh(const char *cmd, char **out, char **err);

/* Writes a file in the scratch directory and returns its path (one of
 * eight static buffers, reused in turn). */
const char *lgt_write(const char *name, const char *text);

/* Whether the binary reads counter NAME (refs: only a build for a debug CPython), as
 * its JSON report of a trivial run lists it; through --python PYTHON unless NULL. */
int lgt_has_counter(const char *name, const char *python);

/* Number of lines in s. */
size_t lgt_lines(const char *s);

#endif
