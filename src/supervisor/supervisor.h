/* supervisor/supervisor.h: declarations shared by the supervisor's own files (lg__
 * prefix): the gate (gate.c) and the --valgrind worker it starts (valgrind.c). */
#ifndef LG_SUPERVISOR_H
#define LG_SUPERVISOR_H

#include <stddef.h>
#include <sys/types.h>

#include "leakgate.h"
#include "worker_api.h"

/* The worker's exec (supervisor/valgrind.c): lg__exec_prepare builds, in the supervisor
 * and before the fork, the command line that starts `EXE --lg-worker ...` (EXE:
 * o->worker_exe or this program), under memcheck when o->valgrind is set, for a worker
 * whose pipe ends are cmd_fd and msg_fd, with `mark` (lg__run_mark's, or empty) added to
 * its environment (0 or -1; release with lg__exec_release in the
 * supervisor). lg__exec_run, in the forked child, calls only async-signal-safe functions
 * and never returns. */
struct lg__exec {
	const char *path;
	const char **argv, **envp;
	char *log_opt, *supp_opt, *log_env, *tune_env, *user_env;
	char cmd[16], msg[16];
	int cmd_fd, msg_fd;
};

int lg__exec_prepare(struct lg__exec *x, const lg_gate_opts *o, const char *log,
		     const lg_target *t, int cmd_fd, int msg_fd, const char *mark);
void lg__exec_run(const struct lg__exec *x) __attribute__((noreturn));
void lg__exec_release(struct lg__exec *x);

/* --valgrind (supervisor/valgrind.c): a fresh temporary file for memcheck's log (0 or
 * -1); once the worker is gone, read the log into *out, remove it, and return the
 * result's status code (0-3). */
int lg__vg_log_create(char *path, size_t cap);
int lg__vg_finish(const char *log, const lg_gate_opts *o, lg_result *out, int code);

/* In a freshly forked worker, before anything else (gate.c): its own process group (so
 * that ending the group ends the workload's children too), death with the supervisor
 * (`supervisor` is its pid, PR_SET_PDEATHSIG), default stop signals, the memory guard
 * and SIGPIPE unblocked. A fork server's children call it too. */
void lg__worker_child(const lg_gate_opts *o, pid_t supervisor);

/* Ending every process of a run (supervisor/sentinel.c, which says why). A worker's
 * environment holds LG_RUN_ENV=RUN.N. lg__sentinel_start (0, counted: one sentinel per
 * process, each call with its lg__sentinel_stop, the last of which waits for it) draws RUN;
 * lg__sentinel_ensure, once a worker has been forked, forks the sentinel (0 or -1), which
 * ends the groups lg__sentinel_watch names and the run's marked processes once this
 * process is gone. lg__run_mark writes the next worker's LG_RUN_ENV=RUN.N entry into
 * buf (empty before lg__sentinel_start). lg__sweep ends, with SIGKILL, every process whose
 * environment has an entry starting with pat[0..len) (len counting pat's NUL: equal to
 * it), lg__sweep_run every process of the run; both return how many. lg__sweep_mark
 * sweeps one worker's mark (from lg__run_mark) once the worker is dead, and counts it: when
 * every mark handed out was swept so, the sentinel of a supervisor that stops normally has
 * nothing left to sweep. Async-signal-safe but for lg__sentinel_start,
 * lg__sentinel_ensure and lg__sentinel_stop. */
#define LG_RUN_ENV "LEAKGATE_RUN"
int lg__sentinel_start(void);
int lg__sentinel_ensure(void);
void lg__sentinel_stop(void);
void lg__sentinel_watch(pid_t pgid, int on);
void lg__run_mark(char *buf, size_t cap);
size_t lg__sweep(const char *pat, size_t len);
size_t lg__sweep_mark(const char *mark);
size_t lg__sweep_run(void);

#endif
