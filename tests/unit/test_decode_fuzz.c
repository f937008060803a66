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
#include "worker_api.h"  /* src/: the private worker interface */
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
			lg_dec_referrers(dec, NULL, (uintptr_t)PyDict_GetItemString(ns, "k"), &t);
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

/* An image the tests fill word by word, read at 0x10000000. */
#define IMG_BASE 0x10000000ULL
#define IMG_WORDS 4096
struct img {
	uint64_t w[IMG_WORDS];
};

static int img_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct img *im = ctx;

	if (addr < IMG_BASE || addr - IMG_BASE > sizeof(im->w) ||
	    len > sizeof(im->w) - (addr - IMG_BASE))
		return -1;
	memcpy(buf, (const char *)im->w + (addr - IMG_BASE), len);
	return 0;
}

static void put(struct img *im, uint64_t addr, int32_t off, uint64_t v)
{
	uint64_t at = addr + (uint64_t)(int64_t)off - IMG_BASE;

	cr_assert(at + 8 <= sizeof(im->w));
	memcpy((char *)im->w + at, &v, 8);
}

/* interp -> thread state -> (cframe ->) frame 0, whose chain of `previous` pointers the
 * caller builds. The frames' code is no code object, so no frame prints: the walk must
 * end by the steps it takes, not by the frames it prints. */
static void thread_with_frames(struct img *im, uint64_t interp, uint64_t ts,
			       uint64_t next_ts)
{
	uint64_t cf = ts + 0x800, frame = IMG_BASE + 0x4000;

	put(im, interp, layout.interp_threads_head, ts);
	put(im, ts, layout.tstate_next, next_ts);
	if (layout.tstate_cframe >= 0) {
		put(im, ts, layout.tstate_cframe, cf);
		put(im, cf, layout.cframe_frame, frame);
	} else {
		put(im, ts, layout.tstate_frame, frame);
	}
}

static void bt_of(struct img *im, uint64_t interp, const char *expect)
{
	lg_dec *d;
	lg_text t = { 0 };

	cr_assert_eq(lg_dec_new(&layout, img_read, im, &d), 0);
	lg_dec_bt(d, interp, &t);
	cr_assert_not_null(t.s);
	cr_expect(strstr(t.s, expect) != NULL, "%s", t.s);
	lg_text_release(&t);
	lg_dec_free(d);
}

/* issue 21: a frame whose `previous` is itself hung lg-bt forever (every read after
 * the first came from the cache, and nothing printed). */
Test(fuzz, self_looping_frame_ends, .timeout = 10)
{
	static struct img im;
	uint64_t interp = IMG_BASE, ts = IMG_BASE + 0x1000, frame = IMG_BASE + 0x4000;

	memset(&im, 0, sizeof(im));
	thread_with_frames(&im, interp, ts, 0);
	put(&im, frame, layout.frame_code, IMG_BASE + 0x7000);  /* no type: not code */
	put(&im, frame, layout.frame_previous, frame);
	bt_of(&im, interp, "the frame chain loops at 0x");
}

/* A longer loop f0 -> f1 -> f2 -> f1, and a thread list ts0 -> ts1 -> ts0. */
Test(fuzz, looping_frame_and_thread_chains_end, .timeout = 10)
{
	static struct img im;
	uint64_t interp = IMG_BASE, ts0 = IMG_BASE + 0x1000, ts1 = IMG_BASE + 0x2000;
	uint64_t f = IMG_BASE + 0x4000;
	int i;

	memset(&im, 0, sizeof(im));
	thread_with_frames(&im, interp, ts1, ts0);
	thread_with_frames(&im, interp, ts0, ts1);
	for (i = 0; i < 3; i++)
		put(&im, f + 0x200 * (uint64_t)i, layout.frame_code, IMG_BASE + 0x7000);
	put(&im, f, layout.frame_previous, f + 0x200);
	put(&im, f + 0x200, layout.frame_previous, f + 0x400);
	put(&im, f + 0x400, layout.frame_previous, f + 0x200);
	bt_of(&im, interp, "the frame chain loops at 0x");
	bt_of(&im, interp, "the thread list loops at 0x");
}

/* The fuzzer's own looping chains: lg_fuzz_one plants them when control byte 46 asks. */
Test(fuzz, fuzzer_builds_looping_chains, .timeout = 30)
{
	size_t round;

	for (round = 0; round < 64; round++) {
		size_t words = 2048, i;
		uint64_t *img = calloc(words + 6, 8);
		uint8_t *bytes = (uint8_t *)img;

		for (i = 0; i < words + 6; i++)
			if (mix(round * 7919 + i) % 4 == 0)
				img[i] = 0x10000000ULL + mix(i + round) % (words * 8);
		bytes[46] = (uint8_t)(1 | round << 1);
		bytes[47] = (uint8_t)mix(round);
		cr_assert_leq(lg_fuzz_one(&layout, bytes, words * 8 + 48), LG_TEXT_MAX + 64);
		free(img);
	}
}
