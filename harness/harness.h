/* harness.h: what the command-line tool's files share: exit codes, the command line's
 * options, the subcommands and error reporting. The gate itself is the library's. */
#ifndef LG_HARNESS_H
#define LG_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "leakgate.h"

/* Exit codes: the public lg_exit codes (leakgate.h), under short names. */
#define EXIT_PASS LG_EXIT_PASS
#define EXIT_LEAK LG_EXIT_LEAK
#define EXIT_WORKLOAD LG_EXIT_WORKLOAD
#define EXIT_INTERNAL LG_EXIT_INTERNAL
#define EXIT_USAGE LG_EXIT_USAGE

/* What the command line asked for beyond the gate's own options. */
struct run_opts {
	lg_gate_opts gate;
	int verbose, quiet;
	int progress;  /* show progress on stderr (a terminal, and CI unset) */
	int color;     /* --color: COLOR_AUTO, COLOR_ALWAYS or COLOR_NEVER */
	unsigned jobs; /* -j: targets gated at once (0: one per CPU this process may use) */
	size_t done, total;  /* targets finished, of all (for the progress line) */
};

/* How reports reach a terminal or a CI log (output.c). */
enum { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };
/* --color's value as COLOR_*, or -1. */
int output_color_parse(const char *arg);
/* Whether text written to f gets colour under mode (auto: f is a terminal, NO_COLOR unset
 * or empty, TERM not dumb). */
int output_color_on(int mode, FILE *f);
/* The text report of r (lg_report_text), its verdict word coloured when color is set. */
int output_text(FILE *f, const lg_result *r, int verbose, int color);
/* GitHub Actions: an ::error annotation for a leak at its allocation site (the innermost
 * frame of attribution's first site) or for a failing workload at its raising line, with
 * the summary line and the report; nothing for a pass or skip. */
void output_annotate(FILE *f, const lg_result *r);

/* `leakgate gdb ...` (harness/gdb.c). */
int cmd_gdb(int argc, char **argv);
/* The shell command that opens a core this leakgate wrote (a static buffer). */
const char *gdb_open_command(const char *core);
/* --valgrind (valgrind.c). valgrind_path: valgrind on PATH, or NULL. valgrind_suppressions:
 * the shipped suppression file, or NULL. valgrind_worker_mode: runs the hidden worker
 * command line (LG_WORKER_MODE) when argv is one (never returns then), else returns 0. */
const char *valgrind_path(void);
const char *valgrind_suppressions(void);
int valgrind_worker_mode(int argc, char **argv);

/* --python PYTHON of `leakgate run ARGV...`: when this build is the one for PYTHON's
 * CPython version and ABI, returns PYTHON's sys.executable (for lg_worker_opts); otherwise
 * re-executes the matching build with the same arguments. Dies with EXIT_USAGE when
 * PYTHON is no CPython 3.8+ or no build for it exists. (pyselect.c) */
const char *python_select(const char *python, int argc, char **argv);

/* "leakgate: MESSAGE" on stderr. */
void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* error(), then exit with `code`. */
void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

#endif
