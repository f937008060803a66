/* test_worker.c: the embedded worker in this test's own process (Criterion gives each test
 * a fresh one): counters move by exactly what a workload leaks, and return to where they
 * were when it frees what it took. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "leakgate.h"
#include "worker_api.h"  /* src/: the private worker interface */
#include "worker/worker.h"  /* lg__gc_young */

/* Only for the test of blocks from before the hooks: PyMem_Raw* needs no interpreter. */
void *PyMem_RawMalloc(size_t size);
void *PyMem_RawRealloc(void *p, size_t size);
void PyMem_RawFree(void *p);
/* For the tests of the frozen heap: Python run in the worker's interpreter between calls
 * (0, or -1 with the traceback printed). */
int PyRun_SimpleStringFlags(const char *code, void *flags);

static lg_worker *start(const char *code)
{
	lg_worker *w = NULL;
	lg_target t = { LG_TARGET_CODE, code };
	char *msg = NULL;

	cr_assert_eq(lg_worker_new(NULL, &w), 0);
	cr_assert_eq(lg_worker_load(w, &t, &msg), 0, "%s", msg ? msg : "");
	return w;
}

/* Calls the workload n times (after a few settling calls, each with its snapshot, as the
 * gate takes them: the first snapshot that sees growth collects the whole heap, which
 * untracks a few objects frozen before the first call once) and returns the change of
 * each counter over them. */
static void delta(lg_worker *w, int n, int64_t *d)
{
	lg_sample a, b;
	int i, c;

	for (i = 0; i < 5; i++) {
		cr_assert_eq(lg_worker_call(w, NULL), 0);
		lg_worker_snapshot(w, &a);
	}
	lg_worker_snapshot(w, &a);
	lg_worker_snapshot(w, &a);
	for (i = 0; i < n; i++)
		cr_assert_eq(lg_worker_call(w, NULL), 0);
	lg_worker_snapshot(w, &b);
	for (c = 0; c < LG_NCOUNTERS; c++)
		d[c] = b.value[c] - a.value[c];
}

Test(worker, counts_available)
{
	lg_worker *w = start("pass");
	uint32_t av = lg_worker_available(w);

	cr_assert(av & (1u << LG_PY_BLOCKS));
	cr_assert(av & (1u << LG_GC_OBJECTS));
	cr_assert(av & (1u << LG_FDS));
	cr_assert_str_eq(lg_worker_python(w), "CPython " PY_VERSION_FOR_TEST);
	lg_worker_free(w);
}

Test(worker, clean_code_is_flat)
{
	lg_worker *w = start("d = {'a': [1.5] * 100, 'b': 'x' * 1000}\ns = str(d) * 3\n");
	int64_t d[LG_NCOUNTERS];

	delta(w, 50, d);
	cr_assert_eq(d[LG_PY_BLOCKS], 0);
	cr_assert_eq(d[LG_PY_BYTES], 0);
	cr_assert_eq(d[LG_GC_OBJECTS], 0);
	cr_assert_eq(d[LG_FDS], 0);
	lg_worker_free(w);
}

/* A float appended to a list kept in sys: exactly one block per call (the list's buffer
 * is one block however often it is resized), and at least the float's size in bytes. */
Test(worker, leaked_float_is_one_block)
{
	lg_worker *w = start("import sys\n"
			     "k = sys.__dict__.setdefault('_lg_f', [])\nk.append(len(k) + 0.5)\n");
	int64_t d[LG_NCOUNTERS];

	delta(w, 40, d);
	/* 40 floats, and the list of floats grew: its buffer is one block either way. */
	cr_assert_eq(d[LG_PY_BLOCKS], 40, "py_blocks moved by %lld", (long long)d[LG_PY_BLOCKS]);
	cr_assert_geq(d[LG_PY_BYTES], 40 * 24, "py_bytes moved by %lld", (long long)d[LG_PY_BYTES]);
	cr_assert_eq(d[LG_GC_OBJECTS], 0);
	lg_worker_free(w);
}

/* A list kept per call: exactly one more GC-tracked object each time. The count comes
 * from a different place per version (3.8's runtime state, 3.9-3.11's interpreter state,
 * 3.12's visitor), so this pins each of them. */
Test(worker, leaked_list_is_one_gc_object)
{
	lg_worker *w = start("import sys\n"
			     "k = sys.__dict__.setdefault('_lg_l', [])\nk.append([len(k)])\n");
	int64_t d[LG_NCOUNTERS];

	delta(w, 40, d);
	cr_assert_eq(d[LG_GC_OBJECTS], 40, "gc_objects moved by %lld",
		     (long long)d[LG_GC_OBJECTS]);
	cr_assert_geq(d[LG_PY_BLOCKS], 40, "py_blocks moved by %lld", (long long)d[LG_PY_BLOCKS]);
	lg_worker_free(w);
}

/* Raw-domain blocks (bytes objects over pymalloc's 512-byte limit go through
 * PyMem_RawMalloc) are counted once, not once per domain. The suffix that makes each
 * one unique is 8 bytes long: before 3.11 every new 1-byte bytes object is cached. */
Test(worker, large_blocks_counted_once)
{
	lg_worker *w = start("import sys\nsys.__dict__.setdefault('_lg_b', []).append(b'x' * 4000 + b'%08d' % len(sys._lg_b))\n");
	int64_t d[LG_NCOUNTERS];

	delta(w, 30, d);
	cr_assert_eq(d[LG_PY_BLOCKS], 30, "py_blocks moved by %lld", (long long)d[LG_PY_BLOCKS]);
	cr_assert_geq(d[LG_PY_BYTES], 30 * 4008);
	cr_assert_lt(d[LG_PY_BYTES], 30 * 4100);
	/* ASan's allocator replaces glibc's: native_bytes is not available there. */
	if (lg_worker_available(w) & (1u << LG_NATIVE_BYTES))
		cr_assert_geq(d[LG_NATIVE_BYTES], 30 * 4008, "native_bytes moved by %lld",
			      (long long)d[LG_NATIVE_BYTES]);
	lg_worker_free(w);
}

/* An object from start-up (sys.path) grown, shrunk and replaced each call: the counts
 * come back exactly. */
Test(worker, startup_objects_resized)
{
	lg_worker *w = start("import sys\nsys.path.extend(['/x%d' % i for i in range(200)])\n"
			     "del sys.path[-200:]\nsys.path[:] = list(sys.path)\n");
	int64_t d[LG_NCOUNTERS];

	delta(w, 20, d);
	cr_assert_eq(d[LG_PY_BLOCKS], 0, "py_blocks moved by %lld", (long long)d[LG_PY_BLOCKS]);
	cr_assert_eq(d[LG_PY_BYTES], 0, "py_bytes moved by %lld", (long long)d[LG_PY_BYTES]);
	lg_worker_free(w);
}

Test(worker, fd_and_thread_counters)
{
	lg_worker *w = start("import os, threading, sys\n"
			     "sys.__dict__.setdefault('_lg_fds', []).append(os.open(os.devnull, os.O_RDONLY))\n"
			     "e = sys.__dict__.setdefault('_lg_e', threading.Event())\n"
			     "threading.Thread(target=e.wait, daemon=True).start()\n");
	int64_t d[LG_NCOUNTERS];

	delta(w, 10, d);
	cr_assert_eq(d[LG_FDS], 10);
	cr_assert_eq(d[LG_THREADS], 10);
	lg_worker_free(w);
}

/* Children never waited for stay as zombies and are counted, as are running ones; a child
 * that was waited for is gone. */
Test(worker, child_process_counter)
{
	lg_worker *w = start("import os\n"
			     "os.posix_spawn('/bin/true', ['true'], {})\n"
			     "p = os.posix_spawn('/bin/true', ['true'], {})\n"
			     "os.waitpid(p, 0)\n");
	int64_t d[LG_NCOUNTERS];

	delta(w, 10, d);
	cr_assert_eq(d[LG_CHILDREN], 10, "children moved by %lld", (long long)d[LG_CHILDREN]);
	cr_assert(lg_worker_available(w) & (1u << LG_CHILDREN));
	lg_worker_free(w);
}

/* The counter asks the kernel first whether there is any child at all (waitid): that
 * question must leave a zombie for the workload to wait for, and see a running child and a
 * zombie both; with none left the count is 0. */
Test(worker, children_counted_and_left_to_wait)
{
	lg_worker *w = start("pass");
	lg_sample s;

	cr_assert_eq(lg_worker_call(w, NULL), 0);
	lg_worker_snapshot(w, &s);
	cr_assert_eq(s.value[LG_CHILDREN], 0);
	cr_assert_eq(PyRun_SimpleStringFlags(
		"import os, sys\n"
		"sys._lg_run = os.posix_spawn('/bin/sleep', ['sleep', '60'], {})\n"
		"sys._lg_dead = os.posix_spawn('/bin/true', ['true'], {})\n"
		"os.waitid(os.P_PID, sys._lg_dead, os.WEXITED | os.WNOWAIT)\n", NULL), 0);
	lg_worker_snapshot(w, &s);
	cr_assert_eq(s.value[LG_CHILDREN], 2, "children: %lld", (long long)s.value[LG_CHILDREN]);
	cr_assert_eq(PyRun_SimpleStringFlags(
		"import os, sys, signal\n"
		"assert os.waitpid(sys._lg_dead, 0) == (sys._lg_dead, 0), 'the zombie was reaped'\n"
		"os.kill(sys._lg_run, signal.SIGKILL)\n"
		"os.waitpid(sys._lg_run, 0)\n", NULL), 0);
	lg_worker_snapshot(w, &s);
	cr_assert_eq(s.value[LG_CHILDREN], 0, "children: %lld", (long long)s.value[LG_CHILDREN]);
	lg_worker_free(w);
}

/* Before the first call the heap moves into the permanent generation (gc.freeze()); a
 * reference cycle the workload makes is still collected, and nothing is counted. */
Test(worker, heap_frozen_and_new_cycles_collected)
{
	lg_worker *w = start("import gc\n"
			     "if gc.get_freeze_count() == 0: raise RuntimeError('not frozen')\n"
			     "a = {'x': [1.5]}\na['self'] = a\nb = [a]\nb.append(b)\n");
	int64_t d[LG_NCOUNTERS];

	delta(w, 20, d);
	cr_assert_eq(d[LG_PY_BLOCKS], 0, "py_blocks moved by %lld", (long long)d[LG_PY_BLOCKS]);
	cr_assert_eq(d[LG_GC_OBJECTS], 0, "gc_objects moved by %lld",
		     (long long)d[LG_GC_OBJECTS]);
	lg_worker_free(w);
}

/* A leak into a container that existed before the first call (frozen with the heap) is
 * counted in full: gc_objects counts the permanent generation too. */
Test(worker, leak_into_a_frozen_container_counted)
{
	lg_worker *w = start("import sys\nsys.warnoptions.append([])\n");
	int64_t d[LG_NCOUNTERS];

	delta(w, 10, d);
	cr_assert_eq(d[LG_GC_OBJECTS], 10, "gc_objects moved by %lld",
		     (long long)d[LG_GC_OBJECTS]);
	cr_assert_eq(d[LG_PY_BLOCKS], 10, "py_blocks moved by %lld", (long long)d[LG_PY_BLOCKS]);
	lg_worker_free(w);
}

/* Frozen objects that die are seen: the permanent generation is walked again whenever
 * the rest grows, so a call that frees one old object and keeps one new one reads flat. */
Test(worker, frozen_objects_replaced_read_flat)
{
	lg_worker *w = start("import sys\nq = sys.__dict__['_lg_q']\nq.pop(0)\nq.append([])\n");
	int64_t d[LG_NCOUNTERS];

	cr_assert_eq(PyRun_SimpleStringFlags("import sys\n"
					     "sys._lg_q = [[] for i in range(1000)]\n", NULL), 0);
	delta(w, 30, d);
	cr_assert_eq(d[LG_GC_OBJECTS], 0, "gc_objects moved by %lld",
		     (long long)d[LG_GC_OBJECTS]);
	cr_assert_eq(d[LG_PY_BLOCKS], 0, "py_blocks moved by %lld", (long long)d[LG_PY_BLOCKS]);
	lg_worker_free(w);
}

/* Cycles made before the first call, replaced one per call by a new one: each replaced
 * cycle is garbage the frozen heap keeps, but a snapshot that sees growth collects the
 * whole heap before it reads, so the counters read flat, as the truth is. */
Test(worker, frozen_cycles_replaced_read_flat)
{
	lg_worker *w = start("import sys\nq = sys._lg_q\nq.pop(0)\n"
			     "n = sys._lg_Node(); n.me = n; q.append(n)\ndel n\n");
	int64_t d[LG_NCOUNTERS];

	cr_assert_eq(PyRun_SimpleStringFlags(
		"import sys\n"
		"class Node: pass\n"
		"def make():\n    n = Node(); n.me = n; return n\n"
		"sys._lg_Node = Node; sys._lg_q = [make() for i in range(300)]\n", NULL), 0);
	delta(w, 30, d);
	cr_assert_eq(d[LG_PY_BLOCKS], 0, "py_blocks moved by %lld", (long long)d[LG_PY_BLOCKS]);
	cr_assert_eq(d[LG_GC_OBJECTS], 0, "gc_objects moved by %lld",
		     (long long)d[LG_GC_OBJECTS]);
	lg_worker_free(w);
}

/* What freezing costs, documented: a garbage cycle that includes an object from before
 * the first call is not collected while the heap is frozen (the collector does not look
 * inside the permanent generation), and a snapshot that sees no growth leaves it there.
 * It goes when the heap is thawed: by attribution, as here (which leaves the heap thawed,
 * so that the next call collects all of it before freezing it again), or by the next
 * snapshot that sees growth, so it never reads as growth. */
Test(worker, frozen_garbage_cycle_kept_until_thawed)
{
	lg_worker *w = start("import sys\nif sys._lg_holder: sys._lg_holder.pop()\n");
	lg_attribution a;
	lg_sample s;
	char *msg = NULL;

	cr_assert_eq(PyRun_SimpleStringFlags(
		"import sys, weakref\n"
		"class Node: pass\n"
		"n = Node(); n.me = n\n"
		"sys._lg_holder = [n]; sys._lg_ref = weakref.ref(n); del n\n", NULL), 0);
	cr_assert_eq(lg_worker_call(w, NULL), 0);
	lg_worker_snapshot(w, &s);
	lg_worker_snapshot(w, &s);
	cr_assert_eq(PyRun_SimpleStringFlags("import sys\nassert not sys._lg_holder\n"
					     "assert sys._lg_ref() is not None\n", NULL), 0,
		     "the frozen garbage cycle was collected while frozen");
	cr_assert_eq(lg_worker_attribute(w, 2, 1u << LG_PY_BLOCKS, &a, &msg), 0, "%s", msg);
	lg_attribution_release(&a);
	cr_assert_eq(PyRun_SimpleStringFlags("import gc\nassert gc.get_freeze_count() == 0\n",
					     NULL), 0, "attribution left the heap frozen");
	cr_assert_eq(lg_worker_call(w, NULL), 0);
	cr_assert_eq(PyRun_SimpleStringFlags("import sys\nassert sys._lg_ref() is None\n",
					     NULL), 0, "the thawed heap was not collected");
	cr_assert_eq(PyRun_SimpleStringFlags("import gc\nassert gc.get_freeze_count() > 0\n",
					     NULL), 0, "the call after attribution ran unfrozen");
	lg_worker_free(w);
}

/* Counts, in sys._lg_whole, the collections that walk the whole heap: a full one while
 * nothing is frozen (gc.get_freeze_count() is 0 once the heap is thawed). */
static const char count_whole[] =
	"import gc, sys\n"
	"sys._lg_whole = 0\n"
	"def _lg_cb(phase, info):\n"
	"    if phase == 'start' and info['generation'] == 2 and gc.get_freeze_count() == 0:\n"
	"        sys._lg_whole += 1\n"
	"gc.callbacks.append(_lg_cb)\n";

/* A leak on a big frozen heap: each growing snapshot once collected the whole heap (a
 * collection of every object per call). Now the first growing snapshot does and then only
 * the last of each span (the gate's CMD_STEP_END): 200 leaking calls in four spans of 50
 * pay four, the leak still reads exactly, one list per call, and the check before a
 * verdict has nothing left to prove. */
Test(worker, leak_on_a_big_heap_few_whole_collections)
{
	lg_worker *w = start("import sys\nsys._lg_k.append([len(sys._lg_k)])\n");
	lg_sample a, b;
	uint32_t inflated = 1, gc_inflated = 1;
	int i;

	cr_assert_eq(PyRun_SimpleStringFlags(
		"import sys\nsys._lg_k = []\n"
		"sys._lg_heap = [[i] for i in range(50000)]\n", NULL), 0);
	cr_assert_eq(PyRun_SimpleStringFlags(count_whole, NULL), 0);
	/* The first calls freeze the heap, and the first whole-heap collection untracks a
	 * few objects frozen before them, once (see delta()). */
	for (i = 0; i < 3; i++) {
		cr_assert_eq(lg_worker_call(w, NULL), 0);
		lg_worker_snapshot(w, &a);
	}
	cr_assert_eq(PyRun_SimpleStringFlags("import sys\nsys._lg_whole = 0\n", NULL), 0);
	for (i = 0; i < 200; i++) {
		cr_assert_eq(lg_worker_call(w, NULL), 0);
		lg__worker_sample(w, &b, i % 50 == 49 ? LG__SAMPLE_SPAN_END : LG__SAMPLE_JUDGED);
	}
	cr_assert_eq(b.value[LG_GC_OBJECTS] - a.value[LG_GC_OBJECTS], 200, "gc_objects moved by %lld",
		     (long long)(b.value[LG_GC_OBJECTS] - a.value[LG_GC_OBJECTS]));
	cr_assert_eq(PyRun_SimpleStringFlags("import sys\n"
					     "assert sys._lg_whole == 4, sys._lg_whole\n",
					     NULL), 0, "not one whole-heap collection per span");
	/* No garbage was frozen, and the last span's end proved the rest. */
	cr_assert_eq(lg_worker_confirm(w, &inflated, &gc_inflated), 0);
	cr_assert_eq(inflated, 0);
	cr_assert_eq(gc_inflated, 0);
	cr_assert_eq(PyRun_SimpleStringFlags("import sys\n"
					     "assert sys._lg_whole == 4, sys._lg_whole\n",
					     NULL), 0, "the check collected what a span's end proved");
	lg_worker_free(w);
}

/* Growth first (whole-heap collections that find nothing, so the spacing grows), then calls
 * that each drop a cycle frozen before the first call and keep a new one: the truth is flat,
 * but skipped snapshots read the dropped cycles. The check before a verdict finds them,
 * names the last snapshot that may have read them, and from then on every growing
 * snapshot collects the whole heap, so the counters read flat. */
Test(worker, frozen_garbage_after_growth_found_by_confirm)
{
	lg_worker *w = start("import sys\n"
			     "if len(sys._lg_grow) < 20: sys._lg_grow.append([])\n"
			     "else:\n"
			     "    sys._lg_q.pop(0); n = sys._lg_Node(); n.me = n; sys._lg_q.append(n); del n\n");
	lg_sample s, a;
	uint32_t inflated = 0, gc_inflated = 0;
	int i;

	cr_assert_eq(PyRun_SimpleStringFlags(
		"import sys\n"
		"class Node: pass\n"
		"def make():\n    n = Node(); n.me = n; return n\n"
		"sys._lg_Node = Node; sys._lg_grow = []\n"
		"sys._lg_q = [make() for i in range(300)]\n", NULL), 0);
	for (i = 0; i < 30; i++) {
		cr_assert_eq(lg_worker_call(w, NULL), 0);
		lg_worker_snapshot(w, &s);
	}
	cr_assert_eq(lg_worker_confirm(w, &inflated, &gc_inflated), 0);
	cr_assert(inflated > 20 && inflated <= 30, "inflated up to snapshot %u", inflated);
	lg_worker_snapshot(w, &a);
	for (i = 0; i < 20; i++) {
		cr_assert_eq(lg_worker_call(w, NULL), 0);
		lg_worker_snapshot(w, &s);
	}
	cr_assert_eq(s.value[LG_GC_OBJECTS] - a.value[LG_GC_OBJECTS], 0, "gc_objects moved by %lld",
		     (long long)(s.value[LG_GC_OBJECTS] - a.value[LG_GC_OBJECTS]));
	cr_assert_eq(s.value[LG_PY_BLOCKS] - a.value[LG_PY_BLOCKS], 0, "py_blocks moved by %lld",
		     (long long)(s.value[LG_PY_BLOCKS] - a.value[LG_PY_BLOCKS]));
	lg_worker_free(w);
}

/* Growth held by a container from before the first call, read call by call over 60 calls:
 * exactly +1 object at each, across the whole-heap collections (thaw, collect, freeze
 * again) that growing snapshots make on their doubling spacing and the walks of the
 * permanent generation that gc_objects makes on its own. */
Test(worker, growth_into_a_frozen_container_read_at_every_call)
{
	lg_worker *w = start("import sys\nsys.warnoptions.append([])\n");
	lg_sample a, b;
	int i;

	/* As delta() settles: the first whole-heap collection untracks a few objects. */
	for (i = 0; i < 5; i++) {
		cr_assert_eq(lg_worker_call(w, NULL), 0);
		lg_worker_snapshot(w, &a);
	}
	for (i = 0; i < 60; i++) {
		cr_assert_eq(lg_worker_call(w, NULL), 0);
		lg_worker_snapshot(w, &b);
		cr_assert_eq(b.value[LG_GC_OBJECTS] - a.value[LG_GC_OBJECTS], 1,
			     "call %d: gc_objects moved by %lld", i + 1,
			     (long long)(b.value[LG_GC_OBJECTS] - a.value[LG_GC_OBJECTS]));
		a = b;
	}
	lg_worker_free(w);
}

/* Growth first (walks of the permanent generation that find nothing gone, so their
 * spacing grows), then calls that each drop an object frozen before the first call and
 * keep a new one (a list: no garbage, so no whole-heap collection is asked): the truth is
 * flat, but readings between walks still count the dropped objects. The check before a
 * verdict finds them gone, names the last reading that may have counted them, and from
 * then on every growing reading walks, so gc_objects reads flat. */
Test(worker, frozen_objects_gone_after_growth_found_by_confirm)
{
	lg_worker *w = start("import sys\n"
			     "if len(sys._lg_grow) < 20: sys._lg_grow.append([])\n"
			     "else: sys._lg_q.pop(0); sys._lg_q.append([])\n");
	lg_sample s, a;
	uint32_t inflated = 0, gc_inflated = 0;
	int i;

	cr_assert_eq(PyRun_SimpleStringFlags("import sys\nsys._lg_grow = []\n"
					     "sys._lg_q = [[] for i in range(300)]\n", NULL), 0);
	for (i = 0; i < 30; i++) {
		cr_assert_eq(lg_worker_call(w, NULL), 0);
		lg_worker_snapshot(w, &s);
	}
	cr_assert_eq(lg_worker_confirm(w, &inflated, &gc_inflated), 0);
	/* No garbage: only gc_objects may have misread, the block counters read the truth. */
	cr_assert_eq(inflated, 0, "inflated up to snapshot %u", inflated);
	if (lg__gc_young() < 0)
		/* This CPython's visitor walks the permanent generation too (3.12+ with
		 * gh-131740: Debian 13's 3.13.5): every reading counts all of it, none is
		 * unproven. */
		cr_assert_eq(gc_inflated, 0, "gc_objects inflated up to snapshot %u",
			     gc_inflated);
	else
		cr_assert(gc_inflated > 20 && gc_inflated <= 30,
			  "gc_objects inflated up to snapshot %u", gc_inflated);
	lg_worker_snapshot(w, &a);
	for (i = 0; i < 20; i++) {
		cr_assert_eq(lg_worker_call(w, NULL), 0);
		lg_worker_snapshot(w, &s);
	}
	cr_assert_eq(s.value[LG_GC_OBJECTS] - a.value[LG_GC_OBJECTS], 0, "gc_objects moved by %lld",
		     (long long)(s.value[LG_GC_OBJECTS] - a.value[LG_GC_OBJECTS]));
	cr_assert_eq(lg_worker_confirm(w, &inflated, &gc_inflated), 0);
	lg_worker_free(w);
}

Test(worker, errors_carry_their_traceback)
{
	lg_worker *w = NULL;
	lg_target t = { LG_TARGET_CODE, "raise ValueError('boom')" };
	lg_target bad = { LG_TARGET_CODE, "def (" };
	lg_target ex = { LG_TARGET_CODE, "import sys; sys.exit(7)" };
	char *msg = NULL;

	cr_assert_eq(lg_worker_new(NULL, &w), 0);
	cr_assert_eq(lg_worker_load(w, &bad, &msg), LG_ELOAD);
	cr_assert(msg && strstr(msg, "SyntaxError"), "%s", msg ? msg : "(null)");
	lg_free(msg);
	cr_assert_eq(lg_worker_load(w, &t, &msg), 0);
	cr_assert_eq(lg_worker_call(w, &msg), LG_ERAISE);
	cr_assert(msg && strstr(msg, "ValueError: boom"), "%s", msg ? msg : "(null)");
	lg_free(msg);
	cr_assert_eq(lg_worker_load(w, &ex, &msg), 0);
	cr_assert_eq(lg_worker_call(w, &msg), LG_EEXIT);
	cr_assert(msg && strstr(msg, "sys.exit(7)"), "%s", msg ? msg : "(null)");
	lg_free(msg);
	lg_worker_free(w);
}

/* Blocks allocated before the hooks went in have no header: realloc and free through the
 * hooks must hand them back untouched (no crash, no corruption) and keep the counts sane. */
Test(worker, blocks_from_before_the_hooks)
{
	char *early = PyMem_RawMalloc(100), *grown;
	char *freed_early = PyMem_RawMalloc(40);
	lg_worker *w = start("pass");
	int64_t d[LG_NCOUNTERS];
	int i;

	cr_assert(early && freed_early);
	for (i = 0; i < 100; i++)
		early[i] = (char)i;
	PyMem_RawFree(freed_early);               /* foreign: freed untouched */
	grown = PyMem_RawRealloc(early, 5000);    /* foreign: gains a header */
	cr_assert(grown);
	for (i = 0; i < 100; i++)
		cr_assert_eq(grown[i], (char)i, "byte %d lost in the move", i);
	grown = PyMem_RawRealloc(grown, 50);      /* now ours: shrinks */
	cr_assert(grown);
	for (i = 0; i < 50; i++)
		cr_assert_eq(grown[i], (char)i);
	PyMem_RawFree(grown);
	delta(w, 10, d);
	cr_assert_eq(d[LG_PY_BLOCKS], 0);
	lg_worker_free(w);
}

/* One worker per process: a second one is refused, not a crash. */
/* attribute.py and pytest_driver.py come compiled by the build for this CPython: a worker
 * loads their code instead of compiling their source at each leak verdict or --pytest run
 * (the source stays the fallback, so a blob that did not load would only be slower). */
Test(worker, embedded_python_comes_compiled)
{
	lg_worker *w = start("pass");

	cr_assert_eq(lg_worker_precompiled(), 2);
	lg_worker_free(w);
}

Test(worker, second_worker_is_refused)
{
	lg_worker *w = start("pass"), *again = (lg_worker *)1;

	cr_assert_eq(lg_worker_new(NULL, &again), LG_EINVAL);
	cr_assert_null(again);
	lg_worker_free(w);
}

/* Only here: the reference count, the first field of a PyObject in a build without
 * Py_TRACE_REFS (neither Debian's release nor its debug build defines it). */
void Py_IncRef(void *o);
void Py_DecRef(void *o);

static intptr_t refs(const void *o)
{
	return *(const intptr_t *)o;
}

/* lg_worker_free lets go of what the worker holds: the code of -c CODE here. */
Test(worker, free_drops_its_references)
{
	lg_worker *w = start("x = 1");
	void *code = (void *)lg_worker_target(w);
	intptr_t before;

	cr_assert(code);
	Py_IncRef(code);
	before = refs(code);
	lg_worker_free(w);
	cr_assert_eq(refs(code), before - 1, "%ld references, want %ld", (long)refs(code),
		     (long)(before - 1));
	Py_DecRef(code);
}
