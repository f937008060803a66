/* worker_api.h: the embedded worker's interface (lg_worker_*): CPython in this process
 * running one target and snapshotting its counters, as the gate's worker process, the
 * harness's hidden worker entry point (LG_WORKER_MODE) and the tests use it. Private to
 * libleakgate: never installed, no user calls it, not exported. */
#ifndef LG_WORKER_API_H
#define LG_WORKER_API_H

#include "leakgate.h"

typedef struct lg_worker lg_worker;

/* Initialises CPython in this process and installs the counting hooks. *out is freed
 * with lg_worker_free. One per process: LG_EINVAL for a second one (or when CPython is
 * already running here). */
int lg_worker_new(const lg_worker_opts *o, lg_worker **out);
/* Bit set of the counters this worker can read. */
uint32_t lg_worker_available(const lg_worker *w);
/* A description of the interpreter, e.g. "CPython 3.11.7". Owned by the worker. */
const char *lg_worker_python(const lg_worker *w);
/* Resolves the target and runs its setup(). On LG_ELOAD, LG_ERAISE, LG_EEXIT or LG_EINTR
 * *msg receives the Python traceback or reason (free with lg_free). */
int lg_worker_load(lg_worker *w, const lg_target *t, char **msg);
/* Runs the target's measuring loop: loads the target, then calls serve(w, arg), which
 * calls lg_worker_call, lg_worker_snapshot and lg_worker_attribute as it sees fit, while
 * the target is loaded. A pytest target is loaded inside pytest's own test loop, with
 * its wider-scoped fixtures set up, and run once before serve as a probe: a skipped,
 * xfailed or no_leak_check test returns LG_ESKIP, a failing one LG_ERAISE, each with the
 * reason in *msg (free with lg_free). Otherwise returns what serve returned. */
typedef int (*lg_serve_fn)(lg_worker *w, void *arg);
int lg_worker_run(lg_worker *w, const lg_target *t, lg_serve_fn serve, void *arg,
			    char **msg);
/* Collects the tests pytest would run with these arguments (run from the current
 * directory, conftest and ini files included): *list receives one
 * "NODEID\tMARKED\tSETTINGS\n" line per test, MARKED being 1 for a test marked
 * no_leak_check, SETTINGS its @pytest.mark.leakgate as "key=value,budget.COUNTER=N" (names
 * and values unchecked; empty without one) (free with lg_free). LG_ELOAD
 * with the reason in *msg when pytest is missing or cannot collect. */
int lg_pytest_collect(lg_worker *w, const char *const *args, size_t nargs,
				char **list, char **msg);
/* Calls the workload once. Errors as lg_worker_load. */
int lg_worker_call(lg_worker *w, char **msg);
/* Clears the standard library's bounded caches, collects garbage fully and reads every
 * available counter, the allocator counters before anything that allocates. */
int lg_worker_snapshot(lg_worker *w, lg_sample *out);
/* Proves the snapshots so far, before a leak verdict on them stands: collects the whole
 * heap, frozen part included, when some growing snapshot since the last such collection
 * skipped it, and puts in *inflated the number of the last snapshot (1 = the first) that
 * may have counted garbage the frozen heap kept, 0 when none may have, and in
 * *gc_inflated the last whose gc_objects alone may have counted frozen objects since gone
 * (the permanent generation is walked on a spacing too). From the first snapshot found
 * so, every growing snapshot collects the whole heap (or walks it, for gc_objects). */
int lg_worker_confirm(lg_worker *w, uint32_t *inflated, uint32_t *gc_inflated);
/* Re-runs the workload `iterations` more times with attribution on (tracemalloc, the
 * allocation record) and fills *out: what grew, where it was allocated, and why it is still
 * alive. `failed` is the verdict's bit set of growing counters. Costly: call only after a
 * leak verdict. Release *out with lg_attribution_release. Errors as lg_worker_call; a
 * workload error during attribution is reported inside the attribution, not as an error. */
int lg_worker_attribute(lg_worker *w, unsigned iterations, uint32_t failed,
				  lg_attribution *out, char **msg);
/* Drops the Python references the worker holds, flushes sys.stdout and sys.stderr, and
 * frees it. Does not finalise the interpreter: a workload's
 * threads may never end, so the process should leave with _exit(). Accepts NULL. */
void lg_worker_free(lg_worker *w);

/* The first argument of the command line with which the gate execs a worker under
 * valgrind: `PROGRAM --lg-worker CMD_FD MSG_FD EXECUTABLE KIND SPEC [PYTEST ARGS]`. A
 * program given as worker_exe calls lg_gate_worker with what it parses from there. */
#define LG_WORKER_MODE "--lg-worker"
/* The worker: never returns. */
void lg_gate_worker(const lg_target *t, const lg_worker_opts *wo, int cmd_fd,
			      int msg_fd) __attribute__((noreturn));
/* The name of a target kind ("file", "module", "code", "pytest") and back (0 or
 * LG_EINVAL). */
const char *lg_target_kind_name(lg_target_kind k);
int lg_target_kind_parse(const char *name, lg_target_kind *out);

struct lg_jit_layout;

/* The workload being called: a function (or callable), or the code of -c CODE. */
const void *lg_worker_target(const lg_worker *w);
/* The objects worth showing at the failing point: the workload, its globals and, once
 * lg_worker_attribute ran, the leaked objects it sampled. Fills at most cap entries and
 * returns how many. */
size_t lg_worker_suspects(const lg_worker *w, lg_suspect *out, size_t cap);
/* Registers a blob with the summary text and the suspects through GDB's JIT interface
 * (it replaces the previous one). Then, if stop is not NULL, calls the workload once more
 * and calls stop(arg) from inside its first line (or after the call, if none of its own
 * lines ran), so a debugger stopped there sees its Python frames. Errors as
 * lg_worker_call. */
int lg_worker_failpoint(lg_worker *w, const char *summary, const lg_suspect *s,
				  size_t n, void (*stop)(void *), void *arg, char **msg);
/* How many of the worker's embedded Python files (attribution, the pytest driver) load as
 * the code the build compiled for this CPython, of the two; the others would be compiled
 * from their source when first used. Needs the interpreter (lg_worker_new). */
int lg_worker_precompiled(void);
/* The object layout of the CPython in this process (initialised), as in the blob. */
int lg_jit_layout_fill(struct lg_jit_layout *l);
#endif
