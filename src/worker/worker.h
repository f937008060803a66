/* worker/worker.h: declarations shared by the worker's own files (lg__ prefix): the
 * counting hooks and attribution's record, the process counters, memcheck's client
 * requests, attribution and the failing point. Never included by the supervisor. */
#ifndef LG_WORKER_H
#define LG_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "leakgate.h"
#include "worker_api.h"
#include "protocol.h"

/* Live blocks and their bytes through the PyMem domains since the hooks went in: a block's
 * requested size, or for a small block pymalloc keeps in a pool, its size class. */
struct lg__pymem_counts {
	int64_t blocks;
	int64_t bytes;
};

/* Wraps the three PyMem domains' allocators with counting hooks. Call between
 * Py_PreInitialize and Py_InitializeFromConfig (the window CPython documents).
 * may_use_pools: 0 when the allocator is known not to be pymalloc (under Valgrind), which
 * spares the probe of pymalloc's pools. Once Python is initialised, lg__hooks_pool_mode()
 * says whether the OBJ and MEM domains are counted from pymalloc's pools (its layout
 * checked out) or through headered hooks. */
void lg__hooks_install(int may_use_pools);
int lg__hooks_pool_mode(void);
void lg__hooks_read(struct lg__pymem_counts *out);

/* Attribution's record of object (OBJ domain) blocks: lg__record_start(i) remembers each
 * block allocated from now on with iteration i (call again to move to the next), and
 * forgets blocks as they are freed; lg__record_stop stops remembering new ones. */
struct lg__survivor {
	void *ptr;          /* the block as the domain's caller sees it */
	size_t size;        /* bytes it counts for (lg__pymem_counts) */
	uint32_t iteration;
};

/* Puts the record's hook on the OBJ domain when it needs one (pool mode); before anything
 * else wraps that domain (tracemalloc), so that they come off in the reverse order.
 * lg__record_start opens it too; lg__record_clear takes it off. */
void lg__record_open(void);
void lg__record_start(uint32_t iteration);
void lg__record_stop(void);
/* Copies the recorded blocks still alive into *out (free() it). -1 if the record is
 * incomplete (out of memory while recording) or the copy failed. */
int lg__record_take(struct lg__survivor **out, size_t *n);
/* Forgets everything recorded, and takes the record's hook off. */
void lg__record_clear(void);

/* Objects tracked by the cyclic GC; the GIL must be held. Never allocates (3.12 asks gc
 * for the permanent generation's size: one int, freed before it returns). Exact only right
 * after a full collection (before 3.12 it reads the collector's own tally). */
int64_t lg__gc_objects(void);
/* The same in two parts: the generations the collector walks (cheap), or -1 when this
 * CPython's visitor cannot count them apart from the permanent one (3.12+ with gh-131740:
 * then only lg__gc_objects counts); and the permanent generation (gc.freeze()), walked. */
int64_t lg__gc_young(void);
int64_t lg__gc_frozen(void);
/* Says that objects moved in or out of the permanent generation (gc.freeze(),
 * gc.unfreeze()). Called right after a freeze; the first time it also finds out whether
 * CPython's visitor (3.12+) walks the permanent generation. */
void lg__gc_objects_moved(void);

/* Process counters read from glibc and /proc without allocating. Negative on failure. */
int64_t lg__native_bytes(void);
/* RSS in bytes and the thread count, as a snapshot takes them (a thread just joined may
 * linger: see sysstat.c). */
void lg__rss_threads(int64_t *rss, int64_t *threads);
int64_t lg__count_fds(void);
/* The thread count right now. */
int64_t lg__count_threads(void);
int64_t lg__count_children(void);

/* What the next lg_worker_attribute may assume about the run (CMD_ATTRIBUTE): `remaining`
 * calls are left in it (0: unknown), and it must end within `deadline_ms` (0: none); it
 * traces the last `traced` calls for allocation sites (0: as few as it needs for a leak
 * on every call; more for growth in bursts, so that the traced calls hold one). */
void lg__worker_attribute_limits(lg_worker *w, uint32_t remaining, uint32_t deadline_ms,
				 uint32_t traced);

/* The objects the last attribution sampled, labelled (borrowed: they live as long as the
 * worker); at most cap. For the GDB failing point. */
struct lg_worker;
struct lg_suspect;
size_t lg__attribution_suspects(const struct lg_worker *w, struct lg_suspect *out, size_t cap);

/* The C half of attribution (attribute.c) as a module object, new reference; for
 * attribute.py only. The GIL must be held. */
struct _object;
struct _object *lg__attribute_module(void);
/* Memcheck's client requests (vg.c); no-ops outside Valgrind. Before each leak search the
 * worker writes LG_VG_MARK and the snapshot number to Valgrind's log (protocol.h). */
int lg__vg_running(void);
/* Opens memcheck's log (named by LG_VG_LOG_ENV) for reading the indirect losses (0, or -1
 * when it cannot be read). */
int lg__vg_log_open(void);
void lg__vg_baseline(void);
void lg__vg_scrub_stack(void);
void lg__vg_snapshot(uint32_t snapshot, int64_t *value);

/* --pytest's fork server (interp.c). The supervisor's side of it, as callbacks with arg:
 * next sends the collected list (on the first call only; NULL after) and waits for the
 * next command: 1 with a test's node id in *nodeid (free()) to fork a worker for it, 0
 * when no test is left. forked reports a fork, in the server: the worker's pid, or -1 and
 * why. start runs first in the new worker. */
struct lg__fork_server {
	int (*next)(void *arg, const char *list, char **nodeid);
	void (*forked)(void *arg, int pid, const char *why);
	void (*start)(void *arg);
	void *arg;
};

/* Collects as lg_pytest_collect does, then serves forks (srv) from the collected state.
 * Returns 0 in the server once no test is left; in a forked worker, what lg_worker_run
 * returns for its test; LG_ELOAD with *msg (free()) when collection failed. */
int lg__pytest_serve(lg_worker *w, const char *const *args, size_t nargs,
		     const struct lg__fork_server *srv, lg_serve_fn serve, void *arg, char **msg);
/* Gives a worker forked from the server its collected state back to the collector
 * (gc.unfreeze()), before anything walks the heap; a no-op elsewhere. */
void lg__worker_thaw(lg_worker *w);
/* lg_worker_snapshot, for a sample of one of these kinds: warm-up (never judged), judged,
 * or judged and the last of a span of the schedule (CMD_STEP_END), which is proven. */
enum { LG__SAMPLE_WARMUP, LG__SAMPLE_JUDGED, LG__SAMPLE_SPAN_END };
int lg__worker_sample(lg_worker *w, lg_sample *out, int kind);

/* The worker's side of CMD_FAILPOINT (worker/failpoint.c): reads the rest of the command,
 * registers the blob and stops or dumps core. Returns the message type to send back
 * (MSG_CORE, MSG_ERROR or 0 for none) with its text in *text (free()). */
uint32_t lg__failpoint_worker(lg_worker *w, int cmd_fd, char **text);

#endif
