/* test_decode_fuzz.c: a short, deterministic fuzzing run of the decoder, part of make
 * test (make fuzz runs libFuzzer on the same entry point for longer): random images full
 * of pointers, real objects read through bit flips and random read failures, and a GC
 * list that loops without returning to its head. Passing means no crash, no hang (the
 * timeout) and bounded output. */
#define _GNU_SOURCE 1
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../../gdb/decode.h"
#include "../../gdb/fuzz_decode.h"
#include "leakgate.h"
#include "leakgate_jit.h"

static lg_jit_layout layout;

static void start(void)
{
	Py_InitializeEx(0);
	cr_assert_eq(lg_jit_layout_fill(&layout), 0);
}

TestSuite(fuzz, .init = start, .timeout = 120);

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

/* Images of random words, a third of them pointers into the image itself. */
Test(fuzz, random_images)
{
	size_t round;

	for (round = 0; round < 400; round++) {
		size_t words = 64 + mix(round) % 4096, i;
		uint64_t *img = malloc(words * 8 + 48);
		uint8_t *bytes = (uint8_t *)img;

		for (i = 0; i < words + 6; i++) {
			uint64_t r = mix(round * 100003 + i);

			if (r % 3 == 0)
				img[i] = 0x10000000ULL + (r >> 8) % (words * 8);
			else if (r % 3 == 1)
				img[i] = (r >> 8) % 64;
			else
				img[i] = r;
		}
		cr_assert_leq(lg_fuzz_one(&layout, bytes, words * 8 + 48), LG_TEXT_MAX + 64);
		free(img);
	}
}

struct noise {
	uint64_t seed;
	unsigned flip, fail;  /* one byte in `flip` altered, one read in `fail` refused */
};

static int noisy_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct noise *n = ctx;
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	unsigned char *b = buf;
	size_t i;

	if (n->fail && mix(addr ^ n->seed) % n->fail == 0)
		return -1;
	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != (ssize_t)len)
		return -1;
	for (i = 0; n->flip && i < len; i++) {
		uint64_t h = mix((addr + i) * 31 + n->seed);

		if (h % n->flip == 0)
			b[i] ^= (unsigned char)(h >> 16) | 1;
	}
	return 0;
}

static PyObject *build(void)
{
	PyObject *ns = PyDict_New(), *r;

	PyDict_SetItemString(ns, "__builtins__", PyEval_GetBuiltins());
	r = PyRun_String("class K:\n    pass\n"
			 "k = K(); k.s = 'caf\\u00e9'; k.n = 10**40; k.me = k\n"
			 "l = [1, -2.5, b'\\xff', ('t', None), {1, 2}, frozenset('ab'), k]\n"
			 "l.append(l)\n"
			 "d = {'l': l, 'u': '\\u65e5' * 50, 'big': list(range(300))}\n"
			 "for i in range(50): d[i] = str(i)\n"
			 "for i in range(0, 50, 2): del d[i]\n",
			 Py_file_input, ns, ns);
	cr_assert_not_null(r);
	Py_DECREF(r);
	return ns;
}

Test(fuzz, real_objects_through_bit_flips_and_failed_reads)
{
	PyObject *ns = build(), *d = PyDict_GetItemString(ns, "d");
	uint64_t seed;

	for (seed = 1; seed <= 120; seed++) {
		struct noise n = { seed, (unsigned)(7 + seed % 200), (unsigned)(seed % 5 ? 0 : 3 + seed % 40) };
		lg_text t = { 0 };
		lg_dec *dec;

		cr_assert_eq(lg_dec_new(&layout, noisy_read, &n, &dec), 0);
		lg_dec_repr(dec, (uintptr_t)d, &t);
		lg_dec_graph(dec, (uintptr_t)d, 6, &t);
		lg_dec_graph(dec, (uintptr_t)ns, 3, &t);
		if (seed % 30 == 0) {
			lg_dec_types(dec, &t);
			lg_dec_referrers(dec, (uintptr_t)PyDict_GetItemString(ns, "k"), &t);
		}
		cr_assert_leq(t.len, LG_TEXT_MAX + 64);
		lg_text_release(&t);
		lg_dec_free(dec);
	}
	Py_DECREF(ns);
}

/* A GC list A -> B -> A that never returns to its head, and a frame chain that loops. */
Test(fuzz, cyclic_lists_end)
{
	static uint64_t img[64];
	uint8_t data[48 + sizeof(img)];
	const uint64_t base = 0x10000000ULL;
	size_t n;

	memset(img, 0, sizeof(img));
	img[0] = base + 8 * 8;    /* head -> A */
	img[8] = base + 16 * 8;   /* A -> B */
	img[16] = base + 8 * 8;   /* B -> A */
	memset(data, 0, 48);      /* every start address at the image's base */
	memcpy(data + 48, img, sizeof(img));
	n = lg_fuzz_one(&layout, data, sizeof(data));
	cr_expect_gt(n, 0);
}
