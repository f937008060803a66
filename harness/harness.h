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

/* Commands from supervisor to worker, one byte each. */
#define CMD_STEP 'S'
#define CMD_QUIT 'Q'
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

/* The worker process: never returns. */
void worker_main(const lg_target *t, int cmd_fd, int msg_fd) __attribute__((noreturn));

/* Seconds on the monotonic clock. */
double now(void);

/* Writes and reads that finish or fail (EINTR and short counts handled). */
int write_full(int fd, const void *buf, size_t len);
int read_full(int fd, void *buf, size_t len);

/* "leakgate: MESSAGE" on stderr. */
void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* error(), then exit with `code`. */
void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

#endif
