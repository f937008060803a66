/* leakgate.h: the public API of libleakgate: counters, sample series, the verdict,
 * and the embedded worker that runs a Python workload and snapshots its counters.
 * Never includes <Python.h>; every symbol carries the lg_ prefix. */
#ifndef LEAKGATE_H
#define LEAKGATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define LG_EXTERN __attribute__((visibility("default")))
#else
#define LG_EXTERN
#endif

#define LG_VERSION "0.1.0"

/* Errors: 0 or one of these negative codes. */
enum {
	LG_OK = 0,
	LG_EINVAL = -1,   /* bad argument or unparsable input */
	LG_ENOMEM = -2,   /* out of memory */
	LG_EIO = -3,      /* a system call failed */
	LG_EPYTHON = -4,  /* the interpreter could not be initialised */
	LG_ELOAD = -5,    /* the target could not be imported or resolved */
	LG_ERAISE = -6,   /* the workload raised an exception */
	LG_EEXIT = -7,    /* the workload called sys.exit() */
	LG_EINTR = -8,    /* the workload raised KeyboardInterrupt */
	LG_ESKIP = -9,    /* the test is skipped, xfailed or marked no_leak_check (--pytest) */
};

/* A static, human-readable description of an error code. */
LG_EXTERN const char *lg_strerror(int err);

/* The counters, in the order they appear in a sample. */
typedef enum lg_counter {
	LG_PY_BLOCKS,     /* live blocks through the PyMem domains (counting hooks) */
	LG_PY_BYTES,      /* live bytes through the PyMem domains */
	LG_GC_OBJECTS,    /* objects tracked by the cyclic GC */
	LG_NATIVE_BYTES,  /* glibc heap in use (mallinfo2: arena + mmap'd chunks) */
	LG_RSS,           /* resident set size; reported, never judged */
	LG_FDS,           /* open file descriptors */
	LG_THREADS,       /* threads of the process, settled */
	LG_REFS,          /* sys.gettotalrefcount(), debug builds only */
	LG_VG_DEFINITE,   /* memcheck definitely-lost bytes (under Valgrind; with the
			   * indirect ones when vg_indirect is not available) */
	LG_VG_INDIRECT,   /* memcheck indirectly-lost bytes, read from its log's summary
			   * (the gate's --valgrind workers only) */
	LG_VG_POSSIBLE,   /* memcheck possibly-lost bytes */
	LG_VG_DEFINITE_BLOCKS, /* memcheck definitely-lost blocks (as vg_definite) */
	LG_VG_POSSIBLE_BLOCKS, /* memcheck possibly-lost blocks */
	LG_NCOUNTERS
} lg_counter;

/* The counter's name as used on the command line and in reports. */
LG_EXTERN const char *lg_counter_name(lg_counter c);
/* The counter's unit: "blocks", "bytes", "objects", "fds", "threads", "refs". */
LG_EXTERN const char *lg_counter_unit(lg_counter c);
/* Looks a counter up by name; 0 and *out set, or LG_EINVAL. */
LG_EXTERN int lg_counter_parse(const char *name, lg_counter *out);
/* Whether the verdict judges this counter at all (rss is only reported). */
LG_EXTERN int lg_counter_judged(lg_counter c);
/* The default budget, in units per iteration (see README, "Counters"). */
LG_EXTERN double lg_counter_default_budget(lg_counter c);

/* One snapshot, taken after a full collection. */
typedef struct lg_sample {
	uint32_t iteration;           /* calls made so far (1 = after the first call) */
	uint32_t warmup;              /* nonzero while in warm-up */
	double elapsed;               /* seconds since the first call began */
	int64_t value[LG_NCOUNTERS];
} lg_sample;

/* A growing series of samples for one target. `available` has bit (1 << c) set for each
 * counter this run can read. Embedded struct: lg_series_init / lg_series_release. */
typedef struct lg_series {
	lg_sample *samples;
	size_t len, cap;
	uint32_t available;
} lg_series;

LG_EXTERN void lg_series_init(lg_series *s, uint32_t available);
LG_EXTERN int lg_series_append(lg_series *s, const lg_sample *sample);
LG_EXTERN void lg_series_release(lg_series *s);
/* The number of samples taken during warm-up (they lead the series). */
LG_EXTERN size_t lg_series_warmup(const lg_series *s);

/* A robust trend: Theil-Sen slope with Sen's distribution-free confidence interval
 * (from the Mann-Kendall variance), and the Mann-Kendall statistic. */
typedef struct lg_trend {
	size_t n;          /* samples fitted */
	double slope;      /* median pairwise slope, units per iteration */
	double lo, hi;     /* confidence interval of the slope */
	double mk_z;       /* Mann-Kendall z score (positive: increasing) */
} lg_trend;

/* Fits y[0..n-1] observed at x = 0..n-1, with a two-sided interval at z standard
 * deviations (z = 1.96 for 95%). n >= 3; returns 0, LG_EINVAL or LG_ENOMEM. */
LG_EXTERN int lg_trend_fit(const double *y, size_t n, double z, lg_trend *out);

typedef enum lg_state {
	LG_STATE_NONE,       /* counter not available or not judged */
	LG_STATE_UNDECIDED,  /* the interval straddles the budget */
	LG_STATE_BOUNDED,    /* the interval lies at or below the budget */
	LG_STATE_GROWING,    /* the interval lies above the budget */
} lg_state;

/* Verdict parameters; lg_verdict_opts_init fills the defaults. */
typedef struct lg_verdict_opts {
	double budget[LG_NCOUNTERS];  /* units per iteration */
	size_t min_window;            /* fewest samples a decision rests on */
	double z;                     /* interval width in standard deviations */
} lg_verdict_opts;

LG_EXTERN void lg_verdict_opts_init(lg_verdict_opts *o);

typedef enum lg_outcome {
	LG_UNDECIDED,  /* need more samples */
	LG_PASS,       /* every judged counter bounded */
	LG_LEAK,       /* at least one judged counter grows past its budget */
} lg_outcome;

typedef struct lg_verdict {
	lg_outcome outcome;
	uint32_t failed;              /* bit (1 << c) for each counter found growing */
	uint32_t undecided;           /* bit (1 << c) for each counter still undecided */
	size_t window_start;          /* index into the series of the first judged sample */
	size_t window_len;
	lg_trend trend[LG_NCOUNTERS];
	lg_state state[LG_NCOUNTERS];
} lg_verdict;

/* Judges a series. Only post-warm-up samples count, and of those only the trailing
 * window: the later half of them, but at least min_window. Growth that stopped before the
 * window passes; growth through the window fails. Until min_window post-warm-up samples
 * exist the outcome is LG_UNDECIDED. Returns 0, LG_EINVAL or LG_ENOMEM. */
LG_EXTERN int lg_verdict_judge(const lg_series *s, const lg_verdict_opts *o, lg_verdict *out);

/* Final verdict at the iteration limit: undecided counters count as bounded (no growth
 * was shown), so the outcome is LG_PASS or LG_LEAK. */
LG_EXTERN void lg_verdict_finish(lg_verdict *v);

/* The worker: an embedded interpreter running one target. One per process. */
typedef enum lg_target_kind {
	LG_TARGET_FILE,    /* path/file.py:func */
	LG_TARGET_MODULE,  /* package.module:func */
	LG_TARGET_CODE,    /* -c CODE */
	LG_TARGET_PYTEST,  /* one pytest test, by node id (--pytest) */
} lg_target_kind;

typedef struct lg_target {
	lg_target_kind kind;
	const char *spec;  /* as given: "dir/f.py:func", "pkg.mod:func", the code, or a
			    * pytest node id */
	const char *const *args;  /* LG_TARGET_PYTEST: pytest's command-line arguments */
	size_t nargs;
} lg_target;

/* Parses a TARGET argument (a file or module form; -c code is built by the caller).
 * Returns 0 or LG_EINVAL with a static reason in *why. */
LG_EXTERN int lg_target_parse(const char *arg, lg_target *out, const char **why);

typedef struct lg_worker lg_worker;

typedef struct lg_worker_opts {
	int malloc_allocator;  /* force PYMEM_ALLOCATOR_MALLOC (for Valgrind) */
	/* The interpreter whose environment to run in (its sys.executable: a venv's
	 * bin/python brings the venv's site-packages); NULL: the one leakgate was built
	 * with. It must be the same CPython version and ABI as the build. */
	const char *executable;
} lg_worker_opts;

/* Initialises CPython in this process and installs the counting hooks. *out is freed
 * with lg_worker_free. */
LG_EXTERN int lg_worker_new(const lg_worker_opts *o, lg_worker **out);
/* Bit set of the counters this worker can read. */
LG_EXTERN uint32_t lg_worker_available(const lg_worker *w);
/* A description of the interpreter, e.g. "CPython 3.11.7". Owned by the worker. */
LG_EXTERN const char *lg_worker_python(const lg_worker *w);
/* Resolves the target and runs its setup(). On LG_ELOAD, LG_ERAISE, LG_EEXIT or LG_EINTR
 * *msg receives the Python traceback or reason (free with lg_free). */
LG_EXTERN int lg_worker_load(lg_worker *w, const lg_target *t, char **msg);
/* Runs the target's measuring loop: loads the target, then calls serve(w, arg), which
 * calls lg_worker_call, lg_worker_snapshot and lg_worker_attribute as it sees fit, while
 * the target is loaded. A pytest target is loaded inside pytest's own test loop, with
 * its wider-scoped fixtures set up, and run once before serve as a probe: a skipped,
 * xfailed or no_leak_check test returns LG_ESKIP, a failing one LG_ERAISE, each with the
 * reason in *msg (free with lg_free). Otherwise returns what serve returned. */
typedef int (*lg_serve_fn)(lg_worker *w, void *arg);
LG_EXTERN int lg_worker_run(lg_worker *w, const lg_target *t, lg_serve_fn serve, void *arg,
			    char **msg);
/* Collects the tests pytest would run with these arguments (run from the current
 * directory, conftest and ini files included): *list receives one "NODEID\tMARKED\n" line
 * per test, MARKED being 1 for a test marked no_leak_check (free with lg_free). LG_ELOAD
 * with the reason in *msg when pytest is missing or cannot collect. */
LG_EXTERN int lg_pytest_collect(lg_worker *w, const char *const *args, size_t nargs,
				char **list, char **msg);
/* Calls the workload once. Errors as lg_worker_load. */
LG_EXTERN int lg_worker_call(lg_worker *w, char **msg);
/* Clears the standard library's bounded caches, collects garbage fully and reads every
 * available counter, the allocator counters before anything that allocates. */
LG_EXTERN int lg_worker_snapshot(lg_worker *w, lg_sample *out);
/* Attribution of a leak, as the worker renders it (see README, "Attribution"). */
typedef enum lg_attr_state {
	LG_ATTR_LEAK,     /* the attributed calls grew too */
	LG_ATTR_BOUNDED,  /* a container with a maximum size (lru_cache, deque) holds it */
	LG_ATTR_STOPPED,  /* the attributed calls did not grow (for the counters they see) */
} lg_attr_state;

typedef struct lg_attribution {
	lg_attr_state state;
	char *text;   /* the report's lines, for stderr and JUnit */
	char *json;   /* a JSON object (schema in README.md) */
	char *dot;    /* Graphviz statements (nodes and edges) of the referrer chains */
} lg_attribution;

/* Re-runs the workload `iterations` more times with attribution on (tracemalloc, the
 * allocation record) and fills *out: what grew, where it was allocated, and why it is still
 * alive. `failed` is the verdict's bit set of growing counters. Costly: call only after a
 * leak verdict. Release *out with lg_attribution_release. Errors as lg_worker_call; a
 * workload error during attribution is reported inside the attribution, not as an error. */
LG_EXTERN int lg_worker_attribute(lg_worker *w, unsigned iterations, uint32_t failed,
				  lg_attribution *out, char **msg);
LG_EXTERN void lg_attribution_release(lg_attribution *a);

/* Flushes sys.stdout and sys.stderr. Does not finalise the interpreter: a workload's
 * threads may never end, so the process should leave with _exit(). Accepts NULL. */
LG_EXTERN void lg_worker_free(lg_worker *w);

/* The outcome of one target, as the harness assembles it and the reports read it. */
typedef enum lg_status {
	LG_STATUS_PASS,      /* every judged counter bounded */
	LG_STATUS_LEAK,      /* some judged counter grows past its budget */
	LG_STATUS_ERROR,     /* the workload failed: import, exception, exit, crash, timeout */
	LG_STATUS_INTERNAL,  /* leakgate itself failed */
	LG_STATUS_SKIP,      /* not judged: a skipped, xfailed or no_leak_check test */
} lg_status;

typedef struct lg_result {
	const char *target;     /* as given on the command line */
	char *python;           /* e.g. "CPython 3.11.7", or NULL if never reached */
	lg_status status;
	lg_series series;
	lg_verdict verdict;     /* meaningful for PASS and LEAK */
	lg_verdict_opts opts;
	double seconds;         /* wall time of the whole target */
	char *error;            /* for ERROR and INTERNAL: what happened (traceback, signal) */
	uint32_t error_iteration; /* call in which it happened; 0 while loading */
	lg_attribution attribution; /* after a leak verdict, when attribution ran */
	char *native_stacks;    /* --valgrind: the definite losses that grew while measured,
				 * with their allocation stacks, as text; or NULL */
	char *core_path;        /* LG_ON_LEAK_CORE: the core file the worker left, or NULL */
} lg_result;

/*
 * The gate: runs targets the way `leakgate run` does, each in a worker process of its own
 * (forked; with valgrind, exec'd under memcheck; a pytest test's, forked from the worker
 * that collected the suite, see lg_gate_collect), and fills an lg_result per target, one
 * at a time (lg_gate_run) or several at once (lg_gate_run_all). This is what the leakgate
 * command uses; a C program (a Criterion test of a C extension, say) can gate its own
 * workloads with it. The calling process must not be running Python itself (the worker
 * embeds CPython after the fork), nor ignore SIGCHLD (the gate waits for its workers).
 */
typedef struct lg_gate lg_gate;

typedef enum lg_on_leak {
	LG_ON_LEAK_EXIT,  /* the worker ends (default) */
	LG_ON_LEAK_TRAP,  /* it registers the GDB blob and raises SIGTRAP for a debugger */
	LG_ON_LEAK_CORE,  /* it registers the blob and leaves a core (lg_result.core_path) */
} lg_on_leak;

/* Gate options; lg_gate_opts_init fills the defaults `leakgate run` documents. */
typedef struct lg_gate_opts {
	size_t iterations;          /* most measured iterations (200) */
	size_t warmup;              /* calls before measuring (50) */
	double timeout;             /* seconds per call and snapshot; 0: none (60) */
	unsigned attribute;         /* calls re-run with attribution after a leak; 0: none (5) */
	lg_verdict_opts verdict;
	lg_worker_opts worker;
	const char *valgrind;       /* run each worker under this valgrind, or NULL */
	const char *suppressions;   /* with valgrind: leakgate's leakgate.supp (required) */
	const char *worker_exe;     /* with valgrind: the program that runs lg_gate_worker_main
				     * (the leakgate binary); NULL: this program */
	lg_on_leak on_leak;
	const char *core_dir;       /* LG_ON_LEAK_CORE: where; NULL: the current directory */
	/* Optional callbacks, with `arg`: after each sample (the last of r->series; r->verdict
	 * is as of the last judged sample), and for something worth saying about a target
	 * (level 0: always, e.g. why no core was written; 1: detail, e.g. "measuring on"). */
	void (*on_sample)(void *arg, const lg_result *r);
	void (*on_note)(void *arg, const lg_result *r, int level, const char *text);
	void *arg;
} lg_gate_opts;

LG_EXTERN void lg_gate_opts_init(lg_gate_opts *o);
/* A gate with these options (copied; the strings must outlive it). *out is freed with
 * lg_gate_free. LG_EINVAL for inconsistent options (iterations below the window). */
LG_EXTERN int lg_gate_new(const lg_gate_opts *o, lg_gate **out);
/* Gates one target; `display` names it in reports (NULL: its spec) and must outlive *out.
 * Returns 0 with the outcome in out->status (see lg_result_exit_code), or LG_EINVAL.
 * Release *out with lg_result_release. */
LG_EXTERN int lg_gate_run(lg_gate *g, const lg_target *t, const char *display,
			  lg_result *out);
/* Gates targets t[0..n-1], up to `jobs` at once (0: as many as the CPUs this process may
 * run on, lg_cpus), each as lg_gate_run would, into out[i] (display[i] names it; display
 * or an entry of it NULL: the spec). With jobs 1 they run one after another in this
 * thread, in order; with more, in threads of the gate's, each driving one worker. Then
 * on_done(arg, i, &out[i]) is called as each finishes, in whatever order they finish.
 * The gate's callbacks and on_done are never called at once. Returns 0 (every out[i]
 * filled in; release each with lg_result_release), or LG_EINVAL or LG_ENOMEM before any
 * ran. */
LG_EXTERN int lg_gate_run_all(lg_gate *g, const lg_target *t, const char *const *display,
			      size_t n, unsigned jobs,
			      void (*on_done)(void *arg, size_t i, const lg_result *r), void *arg,
			      lg_result *out);
/* The CPUs this process may run on (sched_getaffinity), at least 1. */
LG_EXTERN unsigned lg_cpus(void);
/* Collects the tests pytest would run with these arguments, in a worker: 0 and *list
 * ("NODEID\tMARKED\n" lines, free with lg_free), each to be run as an LG_TARGET_PYTEST
 * target with the same arguments; or LG_ELOAD with *failure describing why (release it
 * with lg_result_release). The worker that collected stays, until the next collection or
 * lg_gate_free, as a fork server: each test lg_gate_run or lg_gate_run_all gates with
 * these arguments (args must stay valid that long) starts in a worker forked from the
 * collected state instead of collecting the suite again. Not under valgrind (each test's
 * worker starts under memcheck), nor when the collecting process runs threads of its own
 * (a fork would copy their locks, not them): then each test's worker collects afresh. */
LG_EXTERN int lg_gate_collect(lg_gate *g, const char *const *args, size_t nargs, char **list,
			      lg_result *failure);
LG_EXTERN void lg_gate_free(lg_gate *g);
/* `leakgate run`'s exit code for a result: 0 pass or skip, 1 leak, 2 workload error,
 * 3 internal error. */
LG_EXTERN int lg_result_exit_code(const lg_result *r);
/* Frees what a result owns. Accepts NULL. */
LG_EXTERN void lg_result_release(lg_result *r);

/* The first argument of the command line with which the gate execs a worker under
 * valgrind: `PROGRAM --lg-worker CMD_FD MSG_FD EXECUTABLE KIND SPEC [PYTEST ARGS]`. A
 * program given as worker_exe calls lg_gate_worker with what it parses from there. */
#define LG_WORKER_MODE "--lg-worker"
/* The worker: never returns. */
LG_EXTERN void lg_gate_worker(const lg_target *t, const lg_worker_opts *wo, int cmd_fd,
			      int msg_fd) __attribute__((noreturn));
/* The name of a target kind ("file", "module", "code", "pytest") and back (0 or
 * LG_EINVAL). */
LG_EXTERN const char *lg_target_kind_name(lg_target_kind k);
LG_EXTERN int lg_target_kind_parse(const char *name, lg_target_kind *out);

/* Writes the human report for one target: a summary line first, e.g.
 * "LEAK  f.py:work  py_blocks +1.00/iter [0.98, 1.02]  (60 iterations, 0.4 s)",
 * then (verbose > 0, or on a leak) each counter's trend. Returns 0 or LG_EIO. */
LG_EXTERN int lg_report_text(FILE *f, const lg_result *r, int verbose);
/* The version of the JSON report's layout, in its "schema_version": raised when a field
 * changes meaning or goes; new fields leave it. share/leakgate-report.schema.json (installed
 * in share/leakgate/) describes it. */
#define LG_REPORT_SCHEMA_VERSION 1
/* Writes a JSON document for all targets (schema in README.md and
 * leakgate-report.schema.json): always valid UTF-8, numbers exact. Returns 0 or LG_EIO. */
LG_EXTERN int lg_report_json(FILE *f, const lg_result *const *results, size_t n);

/* Writes a JUnit XML report: one testcase per target; a leak is a failure whose message
 * is the summary line and whose body the text report; a workload or internal error is an
 * error. Returns 0 or LG_EIO. */
LG_EXTERN int lg_report_junit(FILE *f, const lg_result *const *results, size_t n);
/* What lg_report_junit_with writes around the testcases. */
typedef struct lg_junit_opts {
	const char *suite;     /* the testsuite's name (NULL: "leakgate") */
	const char *hostname;  /* NULL: this machine's */
	double started;        /* when the run began, seconds since the epoch (0: now less
				* the targets' time) */
} lg_junit_opts;
/* The JUnit report as lg_report_junit writes it, with these options (NULL: defaults).
 * Testcases are grouped as pytest's --junitxml groups them: classname from the module path
 * ("tests/test_x.py::test_y" and "tests/test_x.py:test_y": "tests.test_x"), name the test. */
LG_EXTERN int lg_report_junit_with(FILE *f, const lg_result *const *results, size_t n,
				   const lg_junit_opts *o);
/* Writes an SVG chart: per target, each counter's series per iteration, warm-up shaded,
 * the fitted trend over the judged window, the verdict in the title. Returns 0 or
 * LG_EIO. */
LG_EXTERN int lg_report_svg(FILE *f, const lg_result *const *results, size_t n);
/* Writes a Graphviz digraph of attribution's referrer chains, one cluster per target
 * that has them. Returns 0 or LG_EIO. */
LG_EXTERN int lg_report_dot(FILE *f, const lg_result *const *results, size_t n);
/* What memcheck's log of a --valgrind worker says (the worker marks each leak search in
 * the log with its snapshot number). Embedded struct: lg_vglog_read / lg_vglog_release. */
typedef struct lg_vglog {
	char *stacks;      /* definite-loss records that grew in snapshots >= `first`, with
			    * their allocation stacks, largest first, as text; or NULL */
	char *errors;      /* memcheck's error reports (the first few), as text; or NULL */
	unsigned nerrors;  /* every error report in the log */
	uint32_t first_error_iteration;  /* the call in which the first one happened (0:
					  * start-up or loading) */
} lg_vglog;

/* Reads a log written by valgrind --leak-check=full for a worker. Returns 0 or
 * LG_ENOMEM (*out then holds nothing to release). */
LG_EXTERN int lg_vglog_read(FILE *log, uint32_t first, lg_vglog *out);
LG_EXTERN void lg_vglog_release(lg_vglog *v);
/* The failing point (src/worker/gdbjit.c): a blob for GDB's JIT interface, read by the
 * leakgate-gdb.so reader (layout in leakgate_jit.h). */
typedef struct lg_suspect {
	const void *object;  /* a PyObject * in this process */
	const char *label;   /* what it is, e.g. "workload globals" (copied, 63 bytes kept) */
} lg_suspect;

struct lg_jit_layout;

/* The workload being called: a function (or callable), or the code of -c CODE. */
LG_EXTERN const void *lg_worker_target(const lg_worker *w);
/* The objects worth showing at the failing point: the workload, its globals and, once
 * lg_worker_attribute ran, the leaked objects it sampled. Fills at most cap entries and
 * returns how many. */
LG_EXTERN size_t lg_worker_suspects(const lg_worker *w, lg_suspect *out, size_t cap);
/* Registers a blob with the summary text and the suspects through GDB's JIT interface
 * (it replaces the previous one). Then, if stop is not NULL, calls the workload once more
 * and calls stop(arg) from inside its first line (or after the call, if none of its own
 * lines ran), so a debugger stopped there sees its Python frames. Errors as
 * lg_worker_call. */
LG_EXTERN int lg_worker_failpoint(lg_worker *w, const char *summary, const lg_suspect *s,
				  size_t n, void (*stop)(void *), void *arg, char **msg);
/* The object layout of the CPython in this process (initialised), as in the blob. */
LG_EXTERN int lg_jit_layout_fill(struct lg_jit_layout *l);
/* Builds a blob (for tests and tools); *out is freed with lg_free. */
LG_EXTERN int lg_jit_blob_new(const char *summary, const lg_suspect *s, size_t n,
			      void **out, size_t *out_size);

/* Frees memory the library handed out (messages). Accepts NULL. */
LG_EXTERN void lg_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
