/* leakgate.h: the public API of libleakgate: counters, sample series, the verdict,
 * the gate that runs Python workloads in worker processes, and the reports.
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

/* `leakgate run`'s exit codes (pytest's 3 and 4 kept), as lg_result_exit_code returns
 * them for one target; with several targets the worst wins. An interrupted run exits
 * with 128 + the signal's number, as a shell reports a process the signal killed. */
typedef enum lg_exit {
	LG_EXIT_PASS = 0,         /* no leak (or skipped) */
	LG_EXIT_LEAK = 1,         /* a leak was found */
	LG_EXIT_WORKLOAD = 2,     /* the workload failed: import, exception, crash, timeout,
				   * memory guard */
	LG_EXIT_INTERNAL = 3,     /* leakgate itself failed */
	LG_EXIT_USAGE = 4,        /* the command line is wrong */
	LG_EXIT_INTERRUPTED = 128 /* plus the signal's number (130: SIGINT, 143: SIGTERM) */
} lg_exit;

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
	LG_CHILDREN,      /* child processes of the worker, live or zombie */
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
	LG_STATE_UNDECIDED,  /* neither shown bounded nor confirmed growing yet */
	LG_STATE_BOUNDED,    /* its floor and ceiling held over the trailing window */
	LG_STATE_GROWING,    /* its floor rose past the budget in two spans running */
} lg_state;

/* Verdict parameters; lg_verdict_opts_init fills the defaults. */
typedef struct lg_verdict_opts {
	double budget[LG_NCOUNTERS];  /* units per iteration */
	size_t min_window;            /* the first span: samples the fastest decision rests
				       * on; each later span is twice the one before */
	double z;                     /* interval width in standard deviations */
	size_t limit;                 /* the series' length at which the run stops (the
				       * last span ends there); 0: no limit */
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
	double floor_rate[LG_NCOUNTERS]; /* the floor's rise per iteration over the window
					  * judged (what fails a counter); NAN when that
					  * window is too short for the counter's cycle */
	size_t period[LG_NCOUNTERS];  /* the longest stretch of calls between two rises of
				       * the counter's floor (the minimum from each sample on)
				       * in that window: how many calls show its growth once;
				       * 0 for a counter not judged */
} lg_verdict;

/* Judges a series. Only post-warm-up samples count. They fall into spans of min_window,
 * 2 min_window, 4 min_window, ... samples (the last one running to the limit), each judged
 * with the sample before it. A counter is bounded when the trailing window as long as the
 * current span shows neither its floor nor its ceiling rising past the budget: once every
 * judged counter is, the outcome is LG_PASS, on any sample. It is growing when, at the end
 * of a span after the first two, that span and the one before it both grew (the floor,
 * taken over blocks at least as long as the counter's cycle, rose faster than the budget)
 * and the growth did not slow to under 1/sqrt(2) of the earlier rate; at the limit, growth
 * in the last span that is not slowing is enough, or any growth there when the span before
 * was too short for the counter's cycle. Then the outcome is LG_LEAK. Until min_window
 * post-warm-up samples exist, and between decisions, it is LG_UNDECIDED. window_start and
 * window_len give the window judged. Returns 0, LG_EINVAL or LG_ENOMEM. */
LG_EXTERN int lg_verdict_judge(const lg_series *s, const lg_verdict_opts *o, lg_verdict *out);

/* Final verdict at the iteration limit: undecided counters count as bounded (no growth
 * was shown), so the outcome is LG_PASS or LG_LEAK. */
LG_EXTERN void lg_verdict_finish(lg_verdict *v);

/* Targets, and the options of the worker that runs them (the worker's own interface is
 * private: src/worker_api.h). */
typedef enum lg_target_kind {
	LG_TARGET_FILE,    /* path/file.py:func */
	LG_TARGET_MODULE,  /* package.module:func */
	LG_TARGET_CODE,    /* -c CODE */
	LG_TARGET_PYTEST,  /* one pytest test, by node id (--pytest) */
} lg_target_kind;

/* A target's own measuring options, over the gate's (a test's @pytest.mark.leakgate, a
 * baseline's known growth): iterations >= verdict.min_window >= 3. */
typedef struct lg_target_opts {
	size_t iterations, warmup;
	lg_verdict_opts verdict;
} lg_target_opts;

typedef struct lg_target {
	lg_target_kind kind;
	const char *spec;  /* as given: "dir/f.py:func", "pkg.mod:func", the code, or a
			    * pytest node id */
	const char *const *args;  /* LG_TARGET_PYTEST: pytest's command-line arguments */
	size_t nargs;
	const lg_target_opts *opts;  /* its own options, or NULL: the gate's */
} lg_target;

/* Parses a TARGET argument (a file or module form; -c code is built by the caller).
 * Returns 0 or LG_EINVAL with a static reason in *why. */
LG_EXTERN int lg_target_parse(const char *arg, lg_target *out, const char **why);

typedef struct lg_worker_opts {
	int malloc_allocator;  /* force PYMEM_ALLOCATOR_MALLOC (for Valgrind) */
	/* The interpreter whose environment to run in (its sys.executable: a venv's
	 * bin/python brings the venv's site-packages); NULL: the one leakgate was built
	 * with. It must be the same CPython version and ABI as the build. */
	const char *executable;
} lg_worker_opts;

/* Attribution of a leak, as the worker renders it (see README, "Attribution"). */
typedef enum lg_attr_state {
	LG_ATTR_LEAK,     /* the attributed calls grew too */
	LG_ATTR_BOUNDED,  /* a container with a maximum size (lru_cache, deque) holds it */
	LG_ATTR_STOPPED,  /* the attributed calls did not grow (for the counters they see) */
	LG_ATTR_TOMBSTONES, /* all they left alive is dead weak references, not yet swept */
} lg_attr_state;

typedef struct lg_attribution {
	lg_attr_state state;
	char *text;   /* the report's lines, for stderr and JUnit */
	char *json;   /* a JSON object (schema in README.md) */
	char *dot;    /* Graphviz statements (nodes and edges) of the referrer chains */
} lg_attribution;

LG_EXTERN void lg_attribution_release(lg_attribution *a);

/* The outcome of one target, as the harness assembles it and the reports read it. */
typedef enum lg_status {
	LG_STATUS_PASS,      /* every judged counter bounded */
	LG_STATUS_LEAK,      /* some judged counter grows past its budget */
	LG_STATUS_ERROR,     /* the workload failed: import, exception, exit, crash, timeout */
	LG_STATUS_INTERNAL,  /* leakgate itself failed */
	LG_STATUS_SKIP,      /* not judged: a skipped, xfailed or no_leak_check test */
	LG_STATUS_KNOWN,     /* a known leak: it grows past its budget, but no faster than a
			      * baseline of known leaks allows (`known`); the caller sets it */
	LG_STATUS_INTERRUPTED, /* stopped (or never started) by lg_gate_interrupt */
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
	/* Set by the caller that gates against a baseline of known leaks: bit (1 << c) for
	 * each counter that grows past its own budget but within its baseline (known), and
	 * for each baseline entry shown no longer to grow past the budget (fixed). */
	uint32_t known, fixed;
} lg_result;

/*
 * The gate: runs targets the way `leakgate run` does, each in a worker process of its own
 * (forked, then exec'd as worker_exe when set; with valgrind, exec'd under memcheck; a
 * pytest test's, forked from the worker that collected the suite, see lg_gate_collect),
 * and fills an lg_result per target, one at a time (lg_gate_run) or several at once
 * (lg_gate_run_all). This is what the leakgate command uses; a C program (a Criterion test
 * of a C extension, say) can gate its own workloads with it. The calling process must not
 * be running Python itself (the worker embeds CPython after the fork), nor ignore SIGCHLD
 * (the gate waits for its workers).
 */
typedef struct lg_gate lg_gate;

typedef enum lg_on_leak {
	LG_ON_LEAK_EXIT,  /* the worker ends (default) */
	LG_ON_LEAK_TRAP,  /* it registers the GDB blob and raises SIGTRAP for a debugger */
	LG_ON_LEAK_CORE,  /* it registers the blob and leaves a core (lg_result.core_path) */
} lg_on_leak;

/* Gate options; lg_gate_opts_init fills the defaults `leakgate run` documents. */
typedef struct lg_gate_opts {
	size_t iterations;          /* measured iterations (300); the run may go up
				     * to min_window + 1 past them, at most twice, for a
				     * leak verdict they cannot prove (README, "How the
				     * verdict decides") */
	size_t warmup;              /* calls before measuring (50) */
	double timeout;             /* seconds per call and snapshot; 0: none (60) */
	unsigned attribute;         /* calls re-run with attribution after a leak; 0: none (5) */
	lg_verdict_opts verdict;
	lg_worker_opts worker;
	const char *valgrind;       /* run each worker under this valgrind, or NULL */
	const char *suppressions;   /* with valgrind: leakgate's leakgate.supp (required) */
	const char *worker_exe;     /* the leakgate binary: each worker execs its hidden worker
				     * mode, so nothing of this process (threads' locks, state)
				     * reaches the worker (not with worker.malloc_allocator);
				     * NULL: workers run in a fork of this process, which must
				     * then run no other thread (with valgrind: this program is
				     * exec'd) */
	/* The memory guard: the most heap a worker may hold (RLIMIT_DATA), in bytes; past it
	 * allocations fail, the workload gets a MemoryError and the target an error that
	 * names the guard. 0: none. Default: half the machine's memory
	 * (lg_gate_default_memory_limit). Not applied under valgrind or ASan. */
	size_t memory_limit;
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
/* Half of this machine's physical memory, in bytes (0 if unknown). */
LG_EXTERN size_t lg_gate_default_memory_limit(void);
/* A gate with these options (copied; the strings must outlive it). *out is freed with
 * lg_gate_free. LG_EINVAL for inconsistent options (iterations below the window). With
 * the first worker, the gate forks a sentinel: a child process (one per process, however
 * many gates) that kills what the workers started once this process is gone, even by
 * SIGKILL, and that the last lg_gate_free waits for. */
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
 * ("NODEID\tMARKED\tSETTINGS\n" lines as lg_pytest_collect's, free with lg_free),
 * each to be run as an LG_TARGET_PYTEST
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
/* `leakgate run`'s exit code for a result (lg_exit): 0 pass, skip or known leak, 1 leak,
 * 2 workload error, 3 internal error, LG_EXIT_INTERRUPTED + the signal for an interrupted
 * one. */
LG_EXTERN int lg_result_exit_code(const lg_result *r);
/* Stops every worker of every gate in this process (their whole process groups, so the
 * workload's own children too) and makes lg_gate_run and lg_gate_collect return
 * LG_STATUS_INTERRUPTED results from then on, naming `signo` (a signal number, > 0).
 * Async-signal-safe: meant to be called from the caller's SIGINT/SIGTERM handler. */
LG_EXTERN void lg_gate_interrupt(int signo);
/* The signal lg_gate_interrupt was given, or 0. */
LG_EXTERN int lg_gate_interrupted(void);
/* Frees what a result owns. Accepts NULL. */
LG_EXTERN void lg_result_release(lg_result *r);

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

/* Builds a blob (for tests and tools); *out is freed with lg_free. */
LG_EXTERN int lg_jit_blob_new(const char *summary, const lg_suspect *s, size_t n,
			      void **out, size_t *out_size);

/* Frees memory the library handed out (messages). Accepts NULL. */
LG_EXTERN void lg_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
