/* paths.h: where leakgate finds its own files (harness/paths.c), in the build tree and in
 * an installed layout (make install), both derived from the running executable. */
#ifndef LG_PATHS_H
#define LG_PATHS_H

#include <stddef.h>

/* The directory of the running executable (a static buffer), or NULL. */
const char *exe_dir(void);

/* The installation prefix this executable runs from: PREFIX when it is
 * PREFIX/bin/leakgate or PREFIX/libexec/leakgate/py<TAG>/leakgate (so a DESTDIR
 * install works where it lies), NULL in the build tree. A static buffer. */
const char *install_prefix(void);

/* A file leakgate ships (leakgate-gdb.so, leakgate.gdb, leakgate.supp): in the build
 * tree next to the executable or in its share/, installed in PREFIX/lib/leakgate/ or
 * PREFIX/share/leakgate/. Writes the path to out: 0 when it is readable, else -1. */
int find_helper(const char *name, char *out, size_t cap);

/* The installed leakgate for CPython `tag` (PREFIX/libexec/leakgate/py<TAG>/leakgate),
 * whether or not it exists, into out: 0, or -1 when not installed or out is too small. */
int installed_build(const char *tag, char *out, size_t cap);

/* The python of the virtual environment this executable is installed in (PREFIX/bin/python
 * when PREFIX/pyvenv.cfg exists, as after pip install into a venv), or NULL. A static
 * buffer. */
const char *venv_python(void);

#endif
