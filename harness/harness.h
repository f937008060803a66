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
	lg_verdict_opts verdict;
	lg_worker_opts worker;  /* for each worker's lg_worker_new */
};

/* Messages from worker to supervisor: a header, then `len` bytes. */
enum msg_type {
	MSG_HELLO = 1,  /* struct msg_hello */
	MSG_READY,      /* empty: target loaded, setup() done */
	MSG_SAMPLE,     /* lg_sample */
	MSG_ERROR,      /* struct msg_error, then the message text */
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

/* Commands from supervisor to worker, one byte each. */
#define CMD_STEP 'S'
#define CMD_QUIT 'Q'

/* Runs one target in a forked worker and fills *out (lg_series_release and free(error)
 * when done). Returns the target's exit code. */
int supervise(const lg_target *t, const char *display, const struct run_opts *o,
	      lg_result *out);

/* The worker process: never returns. */
void worker_main(const lg_target *t, const lg_worker_opts *wo, int cmd_fd, int msg_fd)
	__attribute__((noreturn));

/* Seconds on the monotonic clock. */
double now(void);

/* Writes and reads that finish or fail (EINTR and short counts handled). */
int write_full(int fd, const void *buf, size_t len);

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
