/* protocol.h: what the supervisor (src/supervisor/) and its worker (src/worker/) say to
 * each other, and the only header both sides include: the pipe protocol, the worker's exit
 * statuses, the markers in memcheck's log, and the pipe I/O (protocol.c). Never installed;
 * no Python here. */
#ifndef LG_PROTOCOL_H
#define LG_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include "leakgate.h"

/* How a worker process ends (its exit status), and the supervisor's own codes for a
 * target's outcome: the public lg_exit codes, under the names this side has used. */
#define LG__EXIT_PASS LG_EXIT_PASS
#define LG__EXIT_LEAK LG_EXIT_LEAK
#define LG__EXIT_WORKLOAD LG_EXIT_WORKLOAD
#define LG__EXIT_INTERNAL LG_EXIT_INTERNAL
/* A worker whose pipe to the supervisor was closed under it (EBADF: the workload closed
 * descriptors it does not own). */
#define LG__EXIT_PIPE_CLOSED 70

/* Messages from worker to supervisor: a header, then `len` bytes. */
enum msg_type {
	MSG_HELLO = 1,  /* struct msg_hello */
	MSG_READY,      /* empty: target loaded, setup() done */
	MSG_SAMPLE,     /* lg_sample */
	MSG_ERROR,      /* struct msg_error, then the message text */
	MSG_ATTRIBUTION, /* struct msg_attribution, then text, json and dot, unterminated */
	MSG_COLLECTED,  /* --pytest's collection: "NODEID\tMARKED\tSETTINGS\n" lines */
	MSG_CORE,       /* the core file's path, NUL-terminated (after CMD_FAILPOINT) */
	MSG_FORKED,     /* struct msg_forked: the fork server started a test's worker */
	MSG_CONFIRMED,  /* struct msg_confirmed (after CMD_CONFIRM) */
};

/* What lg_worker_confirm found: the iteration of the last sample that may have counted
 * garbage the frozen heap kept (0: none may have). */
struct msg_confirmed {
	uint32_t inflated;
	/* the same for gc_objects alone: a frozen object gone since the permanent
	 * generation was last walked (no garbage, so no other counter miscounted it) */
	uint32_t gc_inflated;
};

struct msg_forked {
	int32_t pid;
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
/* A STEP whose sample is warm-up, never judged: the worker need not make sure that growth
 * in it is not garbage held by the frozen heap (lg__worker_sample). */
#define CMD_WARMUP 'W'
/* A STEP whose sample ends a span of the schedule (lg__verdict_span_ends), where the
 * verdict may fail: the worker proves it, when growth since its last proof went unproven. */
#define CMD_STEP_END 'E'
#define CMD_QUIT 'Q'
#define CMD_ATTRIBUTE 'A'
/* Before a leak verdict stands: prove the samples so far (lg_worker_confirm); the worker
 * answers MSG_CONFIRMED. */
#define CMD_CONFIRM 'C'

struct cmd_attribute {
	uint32_t iterations;
	uint32_t failed;      /* the verdict's growing counters, bit (1 << c) */
	uint32_t remaining;   /* calls the run has left; a bound beyond them bounds nothing */
	uint32_t deadline_ms; /* attribution's own deadline; 0: none */
	uint32_t traced;      /* the last calls to trace for allocation sites; 0: its own */
};
/* --pytest's fork server: the collecting worker, once it has sent MSG_COLLECTED, waits
 * on its command channel (a Unix socket) for CMD_FORK, struct cmd_fork and the node id
 * (len bytes), which arrive with two descriptors (SCM_RIGHTS): the new worker's command
 * pipe (read end) and message pipe (write end). It forks a worker for that test, the
 * supervisor's child (CLONE_PARENT), which speaks the protocol above from MSG_HELLO on,
 * and answers MSG_FORKED or MSG_ERROR. CMD_QUIT or the end of the channel ends it. */
#define CMD_FORK 'K'

struct cmd_fork {
	uint32_t len;
};

/* Register the GDB blob and stop (trap) or leave a core; followed by struct
 * cmd_failpoint, then dir_len bytes of the core directory and summary_len bytes of the
 * report. The worker answers MSG_CORE or MSG_ERROR (core), or nothing (trap), and exits. */
#define CMD_FAILPOINT 'F'

struct cmd_failpoint {
	uint32_t mode;         /* LG_ON_LEAK_TRAP or LG_ON_LEAK_CORE */
	uint32_t dir_len, summary_len;
};

/* Memcheck's log (--valgrind): the environment variable that names it for the worker,
 * and the marker the worker writes before each leak search, followed by the snapshot
 * number (0: the baseline), so that the supervisor's reader (lg_vglog_read) knows which
 * snapshot the records after it belong to. */
#define LG_VG_LOG_ENV "LEAKGATE_VG_LOG"
#define LG_VG_MARK "leakgate: snapshot "

/* glibc's per-thread cache (tcache) keeps up to seven freed chunks of each small size for
 * the thread that freed them, and mallinfo2() counts them as in use: native_bytes creeps
 * up as sizes not freed before get a chunk kept, for hundreds of calls (an in-process
 * pytest run shows +50 to +80 B a call). Tunables are read only when a program starts, so
 * the supervisor execs the worker with LG_TCACHE_TUNABLE appended to GLIBC_TUNABLES and
 * the user's own value (LG_USER_TUNABLES_SET followed by it, or LG_USER_TUNABLES_UNSET)
 * in LG_USER_TUNABLES_ENV; the worker puts that back before CPython starts, so that the
 * workload and its children see the environment they were given. */
#define LG_TCACHE_TUNABLE "glibc.malloc.tcache_count=0"
#define LG_USER_TUNABLES_ENV "LEAKGATE_USER_GLIBC_TUNABLES"
#define LG_USER_TUNABLES_SET '='
#define LG_USER_TUNABLES_UNSET "-"

/* Seconds on the monotonic clock. */
double lg__now(void);
/* Writes and reads that finish or fail (EINTR and short counts handled): 0 or -1. */
int lg__write_full(int fd, const void *buf, size_t len);
/* Writes a message header and two parts with one writev() when they fit PIPE_BUF (then
 * atomically, whoever else writes to the pipe), else in turn: 0 or -1. */
int lg__write_msg(int fd, const void *hdr, size_t hlen, const void *a, size_t alen,
		  const void *b, size_t blen);
int lg__read_full(int fd, void *buf, size_t len);
/* Reads exactly len bytes before the deadline (0: none). 0 on success, 1 on timeout,
 * -1 on end of file or error. */
int lg__read_until(int fd, void *buf, size_t len, double deadline);

#endif
