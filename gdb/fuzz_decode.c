/* fuzz_decode.c: runs every decoder entry point over an arbitrary memory image, as a
 * libFuzzer target (make fuzz, built with -DLG_LIBFUZZER) and from the unit tests' own
 * deterministic driver. The image is mapped at a fixed base; the layout is a real one
 * whose type addresses and GC lists are moved into the image, so that garbage reaches
 * every decoder (str, int, containers, frames, GC lists) rather than stopping at the
 * first unknown type. Control byte 46 can also ask for looping thread and frame chains
 * to be planted in a copy of the image, as corrupt cores have them. */
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "fuzz_decode.h"

#define BASE 0x10000000ULL

struct image {
	const uint8_t *data;
	size_t size;
};

static int image_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct image *im = ctx;

	if (addr < BASE || addr - BASE > im->size || len > im->size - (addr - BASE))
		return -1;
	memcpy(buf, im->data + (addr - BASE), len);
	return 0;
}

static uint64_t at(const struct image *im, const uint8_t *ctl, int i)
{
	uint32_t off = (uint32_t)ctl[i] | (uint32_t)ctl[i + 1] << 8;

	return BASE + (im->size ? off % im->size : 0);
}

/* Writes v at addr + off in a writable image, when it lies inside. */
static void poke(uint8_t *img, size_t size, uint64_t addr, int32_t off, uint64_t v)
{
	uint64_t at = addr + (uint64_t)(int64_t)off;

	if (off < 0 || at < BASE || at - BASE > size || size - (at - BASE) < 8)
		return;
	memcpy(img + (at - BASE), &v, 8);
}

/* Plants, from interp, a thread list and a frame chain that loop, shaped by ctl (bit 1:
 * two thread states that point at each other, else one that points at itself; bit 2: a
 * loop of three frames, else a frame whose `previous` is itself; bit 3: every frame a
 * C-stack one) at places drawn from seed. */
static void plant_loops(const lg_jit_layout *l, uint8_t *img, size_t size, uint64_t interp,
			uint8_t ctl, uint8_t seed)
{
	uint64_t p[6];
	size_t i;

	if (size < 64)
		return;
	for (i = 0; i < 6; i++)
		p[i] = BASE + ((seed * 2654435761u + i * 40503u) % (size - 8) & ~(uint64_t)7);
	poke(img, size, interp, l->interp_threads_head, p[0]);
	poke(img, size, p[0], l->tstate_next, ctl & 2 ? p[1] : p[0]);
	poke(img, size, p[1], l->tstate_next, p[0]);
	for (i = 0; i < 2; i++) {
		if (l->tstate_cframe >= 0) {
			poke(img, size, p[i], l->tstate_cframe, p[5]);
			poke(img, size, p[5], l->cframe_frame, p[2]);
		} else {
			poke(img, size, p[i], l->tstate_frame, p[2]);
		}
	}
	poke(img, size, p[2], l->frame_previous, ctl & 4 ? p[3] : p[2]);
	poke(img, size, p[3], l->frame_previous, p[4]);
	poke(img, size, p[4], l->frame_previous, p[3]);
	for (i = 2; i < 5 && (ctl & 8) && l->frame_owner >= 0; i++) {
		uint64_t at = p[i] + (uint64_t)l->frame_owner;

		if (at - BASE < size)
			img[at - BASE] = (uint8_t)l->frame_owner_cstack;
	}
}

size_t lg_fuzz_one(const lg_jit_layout *real, const uint8_t *data, size_t size)
{
	struct image im;
	lg_jit_layout l = *real;
	uint64_t *types[] = { &l.type_type, &l.type_str, &l.type_int, &l.type_bool,
			      &l.type_float, &l.type_bytes, &l.type_tuple, &l.type_list,
			      &l.type_dict, &l.type_set, &l.type_frozenset, &l.type_module,
			      &l.type_function, &l.type_code, &l.type_none };
	lg_text t = { 0 };
	lg_dec *d;
	uint8_t *copy = NULL;
	size_t i, total;

	if (size < 48)
		return 0;
	im.data = data + 48;
	im.size = size - 48;
	if (data[46] & 1) {
		copy = malloc(im.size ? im.size : 1);
		if (!copy)
			return 0;
		memcpy(copy, im.data, im.size);
		plant_loops(real, copy, im.size, at(&im, data, 44), data[46], data[47]);
		im.data = copy;
	}
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		*types[i] = at(&im, data, (int)(2 * i));
	l.gc_lists[0] = at(&im, data, 30);
	l.gc_lists[1] = data[32] & 1 ? at(&im, data, 33) : 0;
	l.set_dummy = at(&im, data, 35);
	if (lg_dec_new(&l, image_read, &im, &d)) {
		free(copy);
		return 0;
	}
	lg_dec_repr(d, at(&im, data, 37), &t);
	lg_dec_graph(d, at(&im, data, 39), data[41] % 8, &t);
	lg_dec_types(d, &t);
	lg_dec_referrers(d, NULL, at(&im, data, 42), &t);
	lg_dec_bt(d, at(&im, data, 44), &t);
	lg_dec_locals(d, lg_dec_first_thread(d, at(&im, data, 44)), data[41] % 4, NULL, 0, &t);
	lg_dec_locals(d, lg_dec_first_thread(d, at(&im, data, 44)), data[41] % 4, "x",
		      data[41] % 3, &t);
	total = t.len;
	lg_text_release(&t);
	lg_dec_free(d);
	free(copy);
	return total;
}

#ifdef LG_LIBFUZZER
#include "leakgate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static lg_jit_layout layout;

/* The layout of a real interpreter, taken once (libleakgate's private worker interface,
 * src/worker_api.h, which gdb/ does not include). */
void Py_InitializeEx(int);
int lg_jit_layout_fill(struct lg_jit_layout *l);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	Py_InitializeEx(0);
	return lg_jit_layout_fill(&layout) ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lg_fuzz_one(&layout, data, size);
	return 0;
}
#endif
