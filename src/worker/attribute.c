/* worker/attribute.c: the C half of attribution, run after a leak verdict: which recorded
 * allocations survived as objects, and the reverse object graph that finds the shortest
 * referrer chain from a leaked object to a root. attribute.py drives it. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "worker.h"

/* The GC header in front of every GC-tracked object (PyGC_Head: two words on every
 * supported version); 3.12+ may add a two-word pre-header for a managed dict. */
#define GC_HEAD (2 * sizeof(void *))

#if PY_VERSION_HEX < 0x03090000
#define PyObject_GC_IsTracked(op) _PyObject_GC_IS_TRACKED(op)
#endif

/* An open-addressing set of addresses (zero is never stored). */
struct ptrset {
	uintptr_t *slot;
	size_t cap, len;
};

static size_t ptrset_hash(uintptr_t p, size_t cap)
{
	return (size_t)((p >> 4) * 0x9E3779B97F4A7C15u) & (cap - 1);
}

static int ptrset_add(struct ptrset *s, uintptr_t p)
{
	size_t i;

	if ((s->len + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024, k;
		uintptr_t *slot = calloc(cap, sizeof(*slot));

		if (!slot)
			return -1;
		for (k = 0; k < s->cap; k++) {
			if (s->slot[k]) {
				i = ptrset_hash(s->slot[k], cap);
				while (slot[i])
					i = (i + 1) & (cap - 1);
				slot[i] = s->slot[k];
			}
		}
		free(s->slot);
		s->slot = slot;
		s->cap = cap;
	}
	for (i = ptrset_hash(p, s->cap); s->slot[i]; i = (i + 1) & (s->cap - 1))
		if (s->slot[i] == p)
			return 0;
	s->slot[i] = p;
	s->len++;
	return 1;
}

static int ptrset_has(const struct ptrset *s, uintptr_t p)
{
	size_t i;

	if (!s->cap)
		return 0;
	for (i = ptrset_hash(p, s->cap); s->slot[i]; i = (i + 1) & (s->cap - 1))
		if (s->slot[i] == p)
			return 1;
	return 0;
}

static void ptrset_release(struct ptrset *s)
{
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

/* Fills a set with the addresses of the objects in a sequence. */
static int ptrset_from(struct ptrset *s, PyObject *seq)
{
	PyObject *fast = PySequence_Fast(seq, "expected a sequence");
	Py_ssize_t i, n;

	if (!fast)
		return -1;
	n = PySequence_Fast_GET_SIZE(fast);
	for (i = 0; i < n; i++) {
		if (ptrset_add(s, (uintptr_t)PySequence_Fast_GET_ITEM(fast, i)) < 0) {
			Py_DECREF(fast);
			PyErr_NoMemory();
			return -1;
		}
	}
	Py_DECREF(fast);
	return 0;
}

static PyObject *py_record(PyObject *self, PyObject *arg)
{
	long i = PyLong_AsLong(arg);

	(void)self;
	if (i == -1 && PyErr_Occurred())
		return NULL;
	if (i > 0)
		lg__record_start((uint32_t)i);
	else
		lg__record_stop();
	Py_RETURN_NONE;
}

static PyObject *py_record_clear(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	lg__record_clear();
	Py_RETURN_NONE;
}

/* The object a recorded block holds, or NULL: a block holds an object when a known type
 * sits where ob_type would be, for a non-GC object at the block's start or for a GC object
 * past its GC header, and the object is alive (refcount above zero; freelists keep dead
 * objects at zero or overwrite their type). Only the block's own bytes are read. */
static PyObject *object_in(const struct lg__survivor *b, const struct ptrset *types)
{
	static const size_t offsets[] = { 0, GC_HEAD, 2 * GC_HEAD };
	size_t k;

	for (k = 0; k < sizeof(offsets) / sizeof(offsets[0]); k++) {
		PyObject *op = (PyObject *)((char *)b->ptr + offsets[k]);
		PyTypeObject *tp;

		if (offsets[k] + sizeof(PyObject) > b->size)
			break;
		memcpy(&tp, (char *)op + offsetof(PyObject, ob_type), sizeof(tp));
		if (!ptrset_has(types, (uintptr_t)tp))
			continue;
		if ((k == 0) == !!PyType_IS_GC(tp) || Py_REFCNT(op) <= 0)
			continue;
		return op;
	}
	return NULL;
}

/* survivors(types) -> [(object, iteration)]: the objects allocated while recording that
 * are still alive. `types` lists every type object there is (the caller walks
 * __subclasses__ from object), which is how a block is recognised as an object. */
static PyObject *py_survivors(PyObject *self, PyObject *types_seq)
{
	struct ptrset types = { 0 };
	struct lg__survivor *v = NULL;
	PyObject *out = NULL;
	size_t n = 0, i;

	(void)self;
	if (ptrset_from(&types, types_seq) < 0)
		return NULL;
	if (lg__record_take(&v, &n) < 0) {
		PyErr_SetString(PyExc_MemoryError, "the allocation record is incomplete");
		goto done;
	}
	out = PyList_New(0);
	for (i = 0; out && i < n; i++) {
		PyObject *op = object_in(&v[i], &types), *item;

		if (!op)
			continue;
		item = Py_BuildValue("(OI)", op, (unsigned)v[i].iteration);
		if (!item || PyList_Append(out, item) < 0)
			Py_CLEAR(out);
		Py_XDECREF(item);
	}
done:
	free(v);
	ptrset_release(&types);
	return out;
}

/*
 * The reverse graph: every edge parent -> child that tp_traverse reports, over all objects
 * the GC tracks plus the untracked containers they hold (a dict of atoms is untracked, yet
 * it may hold a leaked float), sorted by child so that the referrers of any object are one
 * binary search away. Built once; each node holds a strong reference while the graph lives.
 */
struct edge {
	uintptr_t child;
	PyObject *parent;
};

struct graph {
	struct edge *edges;
	size_t nedges, cap;
	PyObject **nodes;
	size_t nnodes, nodes_cap;
	struct ptrset node_set;  /* nodes found untracked (tracked ones are listed once) */
	struct ptrset ignore;    /* the caller's own containers: never referrers */
	struct ptrset fresh;     /* the objects attribution asks about (survivors) */
	PyObject *current;       /* the parent being traversed */
	int failed;
};

/* Adds op as a node, once: an untracked container may be met many times, so those are
 * looked up in node_set; the tracked ones come from gc.get_objects(), which lists each
 * once and none of the untracked, so they need no set (a million lookups fewer). */
static int add_node(struct graph *g, PyObject *op, int untracked)
{
	int r = untracked ? ptrset_add(&g->node_set, (uintptr_t)op) : 1;

	if (r <= 0)
		return r;
	if (g->nnodes == g->nodes_cap) {
		size_t cap = g->nodes_cap ? g->nodes_cap * 2 : 4096;
		PyObject **nodes = realloc(g->nodes, cap * sizeof(*nodes));

		if (!nodes)
			return -1;
		g->nodes = nodes;
		g->nodes_cap = cap;
	}
	Py_INCREF(op);
	g->nodes[g->nnodes++] = op;
	return 1;
}

static int visit_edge(PyObject *child, void *arg)
{
	struct graph *g = arg;

	if (!child || g->failed)
		return 0;
	/* An object that cannot refer to others (not a GC type) is only ever the end of a
	 * chain: its referrers matter when attribution asks about it, else never. Most
	 * edges of a heap point at such objects (strs, ints). */
	if (!PyObject_IS_GC(child) && !ptrset_has(&g->fresh, (uintptr_t)child))
		return 0;
	if (g->nedges == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 65536;
		struct edge *e = realloc(g->edges, cap * sizeof(*e));

		if (!e) {
			g->failed = 1;
			return 0;
		}
		g->edges = e;
		g->cap = cap;
	}
	g->edges[g->nedges].child = (uintptr_t)child;
	g->edges[g->nedges].parent = g->current;
	g->nedges++;
	/* An untracked container (a GC type the collector stopped tracking) is a node too. */
	if (PyObject_IS_GC(child) && !PyObject_GC_IsTracked(child) &&
	    add_node(g, child, 1) < 0)
		g->failed = 1;
	return 0;
}

static int by_child(const void *a, const void *b)
{
	uintptr_t x = ((const struct edge *)a)->child, y = ((const struct edge *)b)->child;

	return x < y ? -1 : x > y;
}

#define RADIX_BITS 11

/* Sorts the edges by child, keeping the order of the edges of one child (the order their
 * parents were walked in), as qsort's merge sort did: a least significant digit radix
 * sort over the bits in which the children's addresses differ, four or five passes of 11
 * bits for a heap's addresses, against qsort's ~20 comparisons through a function pointer
 * per edge on a million edges. qsort when the buffer cannot be had. */
static void sort_edges(struct edge *e, size_t n)
{
	size_t count[1u << RADIX_BITS];
	uintptr_t differ = 0;
	struct edge *tmp, *from = e, *to;
	unsigned shift, top;
	size_t i;

	if (n < 2)
		return;
	for (i = 1; i < n; i++)
		differ |= e[i].child ^ e[0].child;
	if (!differ)
		return;
	tmp = malloc(n * sizeof(*tmp));
	if (!tmp) {
		qsort(e, n, sizeof(*e), by_child);
		return;
	}
	to = tmp;
	top = (unsigned)(sizeof(differ) * 8) - (unsigned)__builtin_clzl(differ);
	for (shift = (unsigned)__builtin_ctzl(differ); shift < top; shift += RADIX_BITS) {
		size_t sum = 0, c;
		struct edge *swap;

		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[(from[i].child >> shift) & ((1u << RADIX_BITS) - 1)]++;
		for (i = 0; i < (1u << RADIX_BITS); i++) {
			c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			to[count[(from[i].child >> shift) & ((1u << RADIX_BITS) - 1)]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
	if (from != e)
		memcpy(e, from, n * sizeof(*e));
	free(tmp);
}

static void graph_free(struct graph *g)
{
	size_t i;

	for (i = 0; i < g->nnodes; i++)
		Py_DECREF(g->nodes[i]);
	free(g->nodes);
	free(g->edges);
	ptrset_release(&g->node_set);
	ptrset_release(&g->ignore);
	ptrset_release(&g->fresh);
	free(g);
}

static void graph_capsule_free(PyObject *capsule)
{
	graph_free(PyCapsule_GetPointer(capsule, "leakgate.graph"));
}

/* graph(objects, ignore, fresh) -> handle. `objects` is gc.get_objects(); `ignore` lists
 * the caller's own containers, which must never appear as referrers; `fresh` the objects
 * whose referrers will be asked for that are not GC types (the others always are). */
static PyObject *py_graph(PyObject *self, PyObject *args)
{
	PyObject *objects, *ignore, *fresh, *fast, *capsule;
	struct graph *g;
	Py_ssize_t i, n;
	size_t k;

	(void)self;
	if (!PyArg_ParseTuple(args, "OOO", &objects, &ignore, &fresh))
		return NULL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return PyErr_NoMemory();
	if (ptrset_from(&g->ignore, ignore) < 0 || ptrset_add(&g->ignore, (uintptr_t)objects) < 0 ||
	    ptrset_from(&g->fresh, fresh) < 0)
		goto fail;
	fast = PySequence_Fast(objects, "objects must be a sequence");
	if (!fast)
		goto fail;
	n = PySequence_Fast_GET_SIZE(fast);
	g->nodes = malloc(((size_t)n + 4096) * sizeof(*g->nodes));
	g->nodes_cap = g->nodes ? (size_t)n + 4096 : 0;
	for (i = 0; i < n; i++) {
		PyObject *op = PySequence_Fast_GET_ITEM(fast, i);

		if (!ptrset_has(&g->ignore, (uintptr_t)op) && add_node(g, op, 0) < 0)
			g->failed = 1;
	}
	Py_DECREF(fast);
	/* Nodes found during the walk are appended and walked in turn. */
	for (k = 0; k < g->nnodes && !g->failed; k++) {
		traverseproc trav = Py_TYPE(g->nodes[k])->tp_traverse;

		g->current = g->nodes[k];
		if (trav)
			trav(g->nodes[k], visit_edge, g);
		/* A class's name and qualified name are held by the class (type's tp_traverse
		 * skips them: a str cannot form a cycle). */
		if (PyType_Check(g->nodes[k]) &&
		    PyType_HasFeature((PyTypeObject *)g->nodes[k], Py_TPFLAGS_HEAPTYPE)) {
			PyHeapTypeObject *ht = (PyHeapTypeObject *)g->nodes[k];

			visit_edge(ht->ht_name, g);
			visit_edge(ht->ht_qualname, g);
			visit_edge(ht->ht_slots, g);
		}
		/* dict's tp_traverse skips str keys (they cannot form cycles), yet a leaked
		 * str key is held by its dict. */
		if (PyDict_CheckExact(g->nodes[k])) {
			Py_ssize_t pos = 0;
			PyObject *key, *value;

			while (PyDict_Next(g->nodes[k], &pos, &key, &value))
				if (PyUnicode_CheckExact(key))
					visit_edge(key, g);
		}
	}
	if (g->failed) {
		PyErr_NoMemory();
		goto fail;
	}
	sort_edges(g->edges, g->nedges);
	capsule = PyCapsule_New(g, "leakgate.graph", graph_capsule_free);
	if (!capsule)
		goto fail;
	return capsule;
fail:
	graph_free(g);
	return NULL;
}

/* The index of the first edge whose child is `p` (== nedges when none). */
static size_t first_edge(const struct graph *g, uintptr_t p)
{
	size_t lo = 0, hi = g->nedges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (g->edges[mid].child < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The referrers of `child` one at a time, the caller's own containers left out: start
 * with *i = first_edge(g, child); NULL when there are no more. */
static PyObject *next_referrer(const struct graph *g, uintptr_t child, size_t *i)
{
	for (; *i < g->nedges && g->edges[*i].child == child; ++*i) {
		PyObject *p = g->edges[*i].parent;

		if (!ptrset_has(&g->ignore, (uintptr_t)p)) {
			++*i;
			return p;
		}
	}
	return NULL;
}

/* graph_referrers(graph, obj) -> [parents]: every referrer the graph saw. */
static PyObject *py_referrers(PyObject *self, PyObject *args)
{
	PyObject *capsule, *obj, *out, *p;
	struct graph *g;
	size_t i;

	(void)self;
	if (!PyArg_ParseTuple(args, "OO", &capsule, &obj))
		return NULL;
	g = PyCapsule_GetPointer(capsule, "leakgate.graph");
	if (!g)
		return NULL;
	out = PyList_New(0);
	i = first_edge(g, (uintptr_t)obj);
	while (out && (p = next_referrer(g, (uintptr_t)obj, &i)))
		if (PyList_Append(out, p) < 0)
			Py_CLEAR(out);
	return out;
}

struct hop {
	PyObject *obj;  /* borrowed: a node of the graph, or the start object */
	size_t prev;    /* index of the hop it was reached from; (size_t)-1 at the start */
	size_t depth;
};

/* How much farther than the nearest object nothing refers to a named root may lie and
 * still be preferred: a module global explains more than "held from C". */
#define NAMED_ROOT_SLACK 2

/* chain(graph, obj, roots, limit) -> (root_key, [root ... obj]) or (None, [...]).
 * Breadth first over referrers from obj to the nearest object whose id is a key of
 * `roots` (module dicts, class dicts, thread frames): root_key is that id. When the
 * nearest end is an object no traced object refers to, root_key is None and the path ends
 * there (or, for a cycle no traced object refers to, the path is [obj]): only references
 * from outside any Python object keep it alive. At most `limit` objects are visited;
 * beyond that the result is (False, [obj]). */
static PyObject *py_chain(PyObject *self, PyObject *args)
{
	PyObject *capsule, *obj, *roots, *path = NULL, *key = NULL, *result = NULL, *p;
	struct ptrset seen = { 0 };
	struct hop *q = NULL;
	size_t head = 0, len = 0, cap = 0, found = (size_t)-1, orphan = (size_t)-1;
	Py_ssize_t limit;
	struct graph *g;

	(void)self;
	if (!PyArg_ParseTuple(args, "OOO!n", &capsule, &obj, &PyDict_Type, &roots, &limit))
		return NULL;
	g = PyCapsule_GetPointer(capsule, "leakgate.graph");
	if (!g)
		return NULL;
	cap = 1024;
	q = malloc(cap * sizeof(*q));
	if (!q || ptrset_add(&seen, (uintptr_t)obj) < 0)
		goto nomem;
	q[len++] = (struct hop){ obj, (size_t)-1, 0 };
	while (head < len && (Py_ssize_t)head < limit) {
		size_t cur = head++, i, nref = 0;
		PyObject *id;
		int r;

		if (orphan != (size_t)-1 && q[cur].depth > q[orphan].depth + NAMED_ROOT_SLACK)
			break;
		if (cur > 0) {
			id = PyLong_FromVoidPtr(q[cur].obj);
			if (!id)
				goto fail;
			r = PyDict_Contains(roots, id);
			if (r > 0)
				key = id;
			else
				Py_DECREF(id);
			if (r < 0)
				goto fail;
			if (r > 0) {
				found = cur;
				break;
			}
		}
		i = first_edge(g, (uintptr_t)q[cur].obj);
		while ((p = next_referrer(g, (uintptr_t)q[cur].obj, &i))) {
			nref++;
			r = ptrset_add(&seen, (uintptr_t)p);
			if (r < 0)
				goto nomem;
			if (r == 0)
				continue;
			if (len == cap) {
				struct hop *nq = realloc(q, cap * 2 * sizeof(*q));

				if (!nq)
					goto nomem;
				q = nq;
				cap *= 2;
			}
			q[len++] = (struct hop){ p, cur, q[cur].depth + 1 };
		}
		if (nref == 0 && orphan == (size_t)-1)
			orphan = cur;
	}
	if (found == (size_t)-1 && orphan != (size_t)-1)
		found = orphan;
	path = PyList_New(0);
	if (!path)
		goto fail;
	if (found == (size_t)-1) {
		/* Out of objects: a cycle that only outside references hold. Out of budget:
		 * False. Either way, the path is the object alone. */
		if (PyList_Append(path, obj) < 0)
			goto fail;
		result = Py_BuildValue("(OO)", (Py_ssize_t)head >= limit ? Py_False : Py_None,
				       path);
		goto fail;
	}
	/* Walking prev links goes from the root end back to obj: root first, as wanted. */
	for (; found != (size_t)-1; found = q[found].prev)
		if (PyList_Append(path, q[found].obj) < 0)
			goto fail;
	result = Py_BuildValue("(OO)", key ? key : Py_None, path);
	goto fail;
nomem:
	PyErr_NoMemory();
fail:
	Py_XDECREF(key);
	Py_XDECREF(path);
	free(q);
	ptrset_release(&seen);
	return result;
}

/* census(objects) -> {type: count}: how many of the objects are of each type. attribute.py
 * counts the whole GC-tracked heap twice per attribution, which in Python costs about as
 * much as the calls it attributes on a small heap; here, one pass and one dict update per
 * type, not per object. */
struct type_count {
	PyTypeObject *type;
	Py_ssize_t n;
};

static PyObject *py_census(PyObject *self, PyObject *objects)
{
	struct type_count *slot = NULL;
	size_t cap = 256, used = 0, i, k;
	PyObject *out = NULL;
	Py_ssize_t j, len;

	(void)self;
	if (!PyList_Check(objects)) {
		PyErr_SetString(PyExc_TypeError, "census() needs a list");
		return NULL;
	}
	slot = calloc(cap, sizeof(*slot));
	if (!slot)
		return PyErr_NoMemory();
	len = PyList_GET_SIZE(objects);
	for (j = 0; j < len; j++) {
		PyTypeObject *t = Py_TYPE(PyList_GET_ITEM(objects, j));

		if ((used + 1) * 2 > cap) {
			struct type_count *grown = calloc(cap * 2, sizeof(*grown));

			if (!grown)
				goto nomem;
			for (k = 0; k < cap; k++) {
				if (!slot[k].type)
					continue;
				i = ptrset_hash((uintptr_t)slot[k].type, cap * 2);
				while (grown[i].type)
					i = (i + 1) & (cap * 2 - 1);
				grown[i] = slot[k];
			}
			free(slot);
			slot = grown;
			cap *= 2;
		}
		for (i = ptrset_hash((uintptr_t)t, cap); slot[i].type && slot[i].type != t;
		     i = (i + 1) & (cap - 1))
			;
		if (!slot[i].type) {
			slot[i].type = t;
			used++;
		}
		slot[i].n++;
	}
	out = PyDict_New();
	for (k = 0; out && k < cap; k++) {
		PyObject *n;

		if (!slot[k].type)
			continue;
		n = PyLong_FromSsize_t(slot[k].n);
		if (!n || PyDict_SetItem(out, (PyObject *)slot[k].type, n) < 0)
			Py_CLEAR(out);
		Py_XDECREF(n);
	}
	free(slot);
	return out;
nomem:
	free(slot);
	return PyErr_NoMemory();
}

/* of_types(objects, types) -> [the objects whose type is exactly one of types]. */
static PyObject *py_of_types(PyObject *self, PyObject *args)
{
	PyObject *objects, *types, *out;
	Py_ssize_t j, k;

	(void)self;
	if (!PyArg_ParseTuple(args, "O!O!", &PyList_Type, &objects, &PyTuple_Type, &types))
		return NULL;
	out = PyList_New(0);
	for (j = 0; out && j < PyList_GET_SIZE(objects); j++) {
		PyObject *op = PyList_GET_ITEM(objects, j);

		for (k = 0; k < PyTuple_GET_SIZE(types); k++) {
			if ((PyObject *)Py_TYPE(op) == PyTuple_GET_ITEM(types, k)) {
				if (PyList_Append(out, op) < 0)
					Py_CLEAR(out);
				break;
			}
		}
	}
	return out;
}

/* type_dict(t) -> the type's own attribute dict (tp_dict), or None. Python only shows it
 * through a mappingproxy, yet it is the object a class attribute's referrer chain meets. */
static PyObject *py_type_dict(PyObject *self, PyObject *t)
{
	PyObject *d;

	(void)self;
	if (!PyType_Check(t))
		Py_RETURN_NONE;
	d = ((PyTypeObject *)t)->tp_dict;
	if (!d)
		Py_RETURN_NONE;
	Py_INCREF(d);
	return d;
}

static PyMethodDef methods[] = {
	{ "record", py_record, METH_O, "record(i): record allocations as iteration i; 0 stops" },
	{ "record_clear", py_record_clear, METH_NOARGS, "forget the record" },
	{ "survivors", py_survivors, METH_O, "survivors(types) -> [(obj, iteration)]" },
	{ "graph", py_graph, METH_VARARGS, "graph(objects, ignore, fresh) -> handle" },
	{ "referrers", py_referrers, METH_VARARGS, "referrers(graph, obj) -> [parents]" },
	{ "chain", py_chain, METH_VARARGS, "chain(graph, obj, roots, limit) -> (key, path)" },
	{ "type_dict", py_type_dict, METH_O, "type_dict(t) -> tp_dict or None" },
	{ "census", py_census, METH_O, "census(objects) -> {type: count}" },
	{ "of_types", py_of_types, METH_VARARGS, "of_types(objects, types) -> [objects]" },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef module = {
	PyModuleDef_HEAD_INIT, "_leakgate", "leakgate's attribution helpers", -1, methods,
	NULL, NULL, NULL, NULL,
};

PyObject *lg__attribute_module(void)
{
	return PyModule_Create(&module);
}
