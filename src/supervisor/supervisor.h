/* supervisor/supervisor.h: declarations shared by the supervisor's own files (lg__
 * prefix): the gate (gate.c) and the --valgrind worker it starts (valgrind.c). */
#ifndef LG_SUPERVISOR_H
#define LG_SUPERVISOR_H

#include <stddef.h>
#include <sys/types.h>

#include "leakgate.h"
#include "worker_api.h"

/* --valgrind (supervisor/valgrind.c): a fresh temporary file for memcheck's log (0 or -1); in the
 * forked child, exec the worker under memcheck (never returns); once the worker is gone,
 * read the log into *out, remove it, and return the result's status code (0-3). */
int lg__vg_log_create(char *path, size_t cap);
void lg__vg_exec(const lg_gate_opts *o, const char *log, const lg_target *t, int cmd_fd,
		 int msg_fd) __attribute__((noreturn));
int lg__vg_finish(const char *log, const lg_gate_opts *o, lg_result *out, int code);

/* In a freshly forked worker, before anything else (gate.c): its own process group (so
 * that ending the group ends the workload's children too), death with the supervisor
 * (`supervisor` is its pid, PR_SET_PDEATHSIG), default stop signals, the memory guard
 * and SIGPIPE unblocked. A fork server's children call it too. */
void lg__worker_child(const lg_gate_opts *o, pid_t supervisor);

#endif
