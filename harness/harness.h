/* harness.h: what the command-line tool's files share: run options, the supervisor
 * entry point, the worker's side of the pipe protocol, and error reporting. */
#ifndef LG_HARNESS_H
#define LG_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "leakgate.h"

/* Exit codes (pytest's 3 and 4 kept). */
enum {
	EXIT_PASS = 0,
	EXIT_LEAK = 1,
	EXIT_WORKLOAD = 2,
	EXIT_INTERNAL = 3,
	EXIT_USAGE = 4,
};

struct run_opts {
	size_t iterations;   /* most measured iterations */
	size_t warmup;       /* calls before measuring */
	double timeout;      /* seconds per iteration; 0 for none */
	int verbose, quiet;
	unsigned attribute;  /* calls re-run with attribution after a leak; 0: none */
	lg_verdict_opts verdict;
	const char *valgrind;      /* --valgrind: valgrind's path, else NULL */
	const char *suppressions;  /* --valgrind: the shipped suppression file */
	lg_worker_opts worker;  /* for each worker's lg_worker_new */
	int on_leak;            /* ON_LEAK_*: what the worker does once a leak is decided */
	const char *core_dir;   /* --core-dir, for ON_LEAK_CORE */
};

/* --on-leak=exit|trap|core */
enum { ON_LEAK_EXIT, ON_LEAK_TRAP, ON_LEAK_CORE };

/* Messages from worker to supervisor: a header, then `len` bytes. */
enum msg_type {
	MSG_HELLO = 1,  /* struct msg_hello */
	MSG_READY,      /* empty: target loaded, setup() done */
	MSG_SAMPLE,     /* lg_sample */
	MSG_ERROR,      /* struct msg_error, then the message text */
	MSG_ATTRIBUTION, /* struct msg_attribution, then text, json and dot, unterminated */
	MSG_COLLECTED,  /* --pytest's collection: "NODEID\tMARKED\n" lines */
	MSG_CORE,       /* the core file's path, NUL-terminated (after CMD_FAILPOINT) */
};

struct msg_hdr {
	uint32_t type, len;
};

struct msg_hello {
	uint32_t available;
	char python[64];
};

struct msg_error {
	int32_t code;        /* LG_E* */
	uint32_t iteration;  /* 0 while loading */
};

struct msg_attribution {
	uint32_t state;  /* lg_attr_state */
	uint32_t text_len, json_len, dot_len;
};

/* Commands from supervisor to worker, one byte each; CMD_ATTRIBUTE is followed by a
 * struct cmd_attribute. */
#define CMD_STEP 'S'
#define CMD_QUIT 'Q'
#define CMD_ATTRIBUTE 'A'

struct cmd_attribute {
	uint32_t iterations;
	uint32_t failed;  /* the verdict's growing counters, bit (1 << c) */
};
/* Register the GDB blob and stop (trap) or leave a core; followed by struct
 * cmd_failpoint, then dir_len bytes of the core directory and summary_len bytes of the
 * report. The worker answers MSG_CORE or MSG_ERROR (core), or nothing (trap), and exits. */
#define CMD_FAILPOINT 'F'

struct cmd_failpoint {
	uint32_t mode;         /* ON_LEAK_TRAP or ON_LEAK_CORE */
	uint32_t dir_len, summary_len;
};

/* The worker's side of CMD_FAILPOINT (harness/failpoint.c): reads the rest of the
 * command, registers the blob and stops or dumps core. Returns the message type to send
 * back (MSG_CORE, MSG_ERROR or 0 for none) with its text in *text (free()). */
uint32_t failpoint_worker(lg_worker *w, int cmd_fd, char **text);

/* `leakgate gdb ...` (harness/gdb.c). */
int cmd_gdb(int argc, char **argv);
/* Runs one target in a forked worker and fills *out (lg_series_release and free(error)
 * when done). Returns the target's exit code. */
int supervise(const lg_target *t, const char *display, const struct run_opts *o,
	      lg_result *out);

/* Collects the tests of `t` (LG_TARGET_PYTEST with no spec) in a forked worker: 0 and
 * *list ("NODEID\tMARKED\n" lines), or an exit code with *out describing the failure.
 * free() *list. */
int collect_tests(const lg_target *t, const struct run_opts *o, char **list, lg_result *out);

/* The worker process: never returns. */
void worker_main(const lg_target *t, const lg_worker_opts *wo, int cmd_fd, int msg_fd)
	__attribute__((noreturn));

/* --valgrind (valgrind.c). valgrind_path: valgrind on PATH, or NULL. valgrind_suppressions:
 * the shipped suppression file, or NULL. valgrind_log_create: a fresh temporary file for
 * the log, 0 or -1. valgrind_exec: in the forked child, exec the worker under memcheck.
 * valgrind_worker_mode: runs the hidden worker mode when argv asks for it (never returns
 * then), else returns 0. valgrind_finish: reads the log into *out once the worker is gone,
 * removes it, and returns the target's exit code. */
const char *valgrind_path(void);
const char *valgrind_suppressions(void);
int valgrind_log_create(char *path, size_t cap);
void valgrind_exec(const char *valgrind, const char *supp, const char *log,
		   const lg_target *t, const lg_worker_opts *wo, int cmd_fd, int msg_fd);
int valgrind_worker_mode(int argc, char **argv);
int valgrind_finish(const char *log, const struct run_opts *o, lg_result *out, int code);

/* Seconds on the monotonic clock. */
double now(void);

/* Writes and reads that finish or fail (EINTR and short counts handled). */
int write_full(int fd, const void *buf, size_t len);
int read_full(int fd, void *buf, size_t len);

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
