/* worker/hooks.c: counting hooks around CPython's three PyMem allocator domains.
 * They give live blocks and bytes of every Python allocation, GC-tracked or not, whatever
 * the allocator (pymalloc, malloc, debug hooks) underneath. */
#define _GNU_SOURCE
#include <Python.h>

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "worker.h"

/*
 * A block carries a 16-byte header (keeps the 16-byte alignment pymalloc gives) with
 * the requested size, for the byte count on free, and a tag derived from the block's
 * address and a per-process secret (a check on our own header). Only the RAW domain can
 * hand a hook a block from before the hooks went in (MEM and OBJ get theirs before their
 * first request): whether a RAW block is ours comes from leakgate's own record of the RAW
 * blocks it handed out (own_*), never from the memory before the block, which belongs to
 * the allocator underneath (an ASan redzone, memcheck's, glibc's chunk header). A foreign
 * block is freed untouched.
 *
 * Nested calls (pymalloc sends requests over 512 bytes to PyMem_RawMalloc) are counted
 * only at the outermost domain, so a block is never counted twice.
 *
 * Pool mode. A header moves every small object up one pymalloc size class (a one-item
 * list takes 80 bytes instead of 64, its item array 32 instead of 16), and a full
 * collection, which walks every object, slows with the lost density: 1.3 to 1.4 times a
 * bare loop on a heap of 200k objects; and the bookkeeping on every allocation and free
 * costs an allocation-heavy call 5-10%. So when pymalloc itself serves the OBJ and MEM
 * domains, they get no hook at all. pymalloc keeps requests of 1 to 512 bytes in pools,
 * each pool's header counting its allocated blocks and naming their size class; leakgate
 * supplies pymalloc's arena allocator to know every arena, and a snapshot sums the headers
 * of their pools (lg__hooks_read). Every other request (0 bytes, over 512, or when no
 * arena can be had) pymalloc passes to PyMem_RawMalloc, whose hook counts it. The pool
 * layout is CPython's private one, so it is checked on real blocks first
 * (pool_layout_holds); when it does not hold (debug hooks, PYTHONMALLOC=malloc, another
 * pool size), the OBJ and MEM domains get the headered hooks.
 *
 * Attribution needs every object block allocated while it records: in pool mode a
 * record hook goes on the OBJ domain for that time (lg__record_open).
 */
struct hdr {
	size_t size;
	uintptr_t tag;
};

#define HDR sizeof(struct hdr)

static PyMemAllocatorEx orig[3];
static uintptr_t secret;
static __thread int depth;
static int pool_mode;   /* OBJ and MEM are pymalloc's alone, counted from its pools */

/* CPython's struct pool_header (Objects/obmalloc.c up to 3.11, then
 * internal/pycore_obmalloc.h), unchanged from 3.8 to 3.13, on 64-bit platforms. */
struct pool_view {
	union {
		uint8_t *padding;
		unsigned int count;  /* blocks allocated */
	} ref;
	uint8_t *freeblock;
	void *nextpool, *prevpool;
	unsigned int arenaindex;
	unsigned int szidx;          /* size class: (szidx + 1) * 16 bytes */
	unsigned int nextoffset, maxnextoffset;
};

#define CLASS_STEP 16  /* pymalloc's ALIGNMENT on 64-bit: its size classes' step */
#define POOL_OVERHEAD ((sizeof(struct pool_view) + CLASS_STEP - 1) & ~(size_t)(CLASS_STEP - 1))
#if PY_VERSION_HEX >= 0x030A0000
#define POOL_SIZE ((uintptr_t)16384)  /* 3.10+ on 64-bit, with the radix tree */
#else
#define POOL_SIZE ((uintptr_t)4096)   /* the page size */
#endif

static inline const struct pool_view *pool_of(const void *block)
{
	return (const struct pool_view *)((uintptr_t)block & ~(POOL_SIZE - 1));
}

/* The bytes of each block in a pool: its size class. */
static inline size_t class_size(const struct pool_view *pool)
{
	return ((size_t)pool->szidx + 1) * CLASS_STEP;
}

static inline size_t pool_class(const void *block)
{
	return class_size(pool_of(block));
}

/* Every arena pymalloc holds, through its arena allocator, which is leakgate's: anonymous
 * mmap, as CPython's own on Linux, so that a pool pymalloc has not used yet reads as zero.
 * Arenas come and go with the GIL of some interpreter held, not always ours: a lock. The
 * table lives in plain malloc memory. */
struct arena {
	uintptr_t base;
	size_t size;
};

static struct arena *arenas;
static size_t n_arenas, arenas_cap;
static pthread_mutex_t arenas_lock = PTHREAD_MUTEX_INITIALIZER;

static void *arena_alloc(void *ctx, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)ctx;
	if (p == MAP_FAILED)
		return NULL;
	pthread_mutex_lock(&arenas_lock);
	if (n_arenas == arenas_cap) {
		size_t cap = arenas_cap ? arenas_cap * 2 : 64;
		struct arena *a = realloc(arenas, cap * sizeof(*a));

		if (!a) {
			/* Not an arena left unseen: none, and pymalloc falls back to malloc. */
			pthread_mutex_unlock(&arenas_lock);
			munmap(p, size);
			return NULL;
		}
		arenas = a;
		arenas_cap = cap;
	}
	arenas[n_arenas].base = (uintptr_t)p;
	arenas[n_arenas].size = size;
	n_arenas++;
	pthread_mutex_unlock(&arenas_lock);
	return p;
}

static void arena_free(void *ctx, void *p, size_t size)
{
	size_t i;

	(void)ctx;
	pthread_mutex_lock(&arenas_lock);
	for (i = 0; i < n_arenas; i++) {
		if (arenas[i].base == (uintptr_t)p) {
			arenas[i] = arenas[--n_arenas];
			break;
		}
	}
	pthread_mutex_unlock(&arenas_lock);
	munmap(p, size);
}

/* Adds up the allocated blocks of every pool and their bytes by size class. pymalloc
 * carves whole pools from the arena's first pool boundary; a pool with no block
 * allocated (emptied, or never used: still zero) counts 0 whatever its class says. */
static void add_pools(struct lg__pymem_counts *c)
{
	size_t i;

	pthread_mutex_lock(&arenas_lock);
	for (i = 0; i < n_arenas; i++) {
		uintptr_t end = arenas[i].base + arenas[i].size;
		uintptr_t p = (arenas[i].base + POOL_SIZE - 1) & ~(POOL_SIZE - 1);

		for (; p + POOL_SIZE <= end; p += POOL_SIZE) {
			const struct pool_view *pool = (const struct pool_view *)p;
			unsigned int count = pool->ref.count;

			if (count) {
				c->blocks += count;
				c->bytes += (int64_t)count * (int64_t)class_size(pool);
			}
		}
	}
	pthread_mutex_unlock(&arenas_lock);
}

/* The RAW domain may be called without the GIL, from any thread: atomics there. The MEM
 * and OBJ domains are only called with the GIL held. */
static int64_t raw_blocks, raw_bytes;
static int64_t gil_blocks, gil_bytes;

static inline uintptr_t tag_of(const void *user)
{
	return ((uintptr_t)user * 0x9E3779B97F4A7C15u) ^ secret;
}

static inline void account(int domain, int64_t blocks, int64_t bytes)
{
	if (domain == PYMEM_DOMAIN_RAW) {
		__atomic_fetch_add(&raw_blocks, blocks, __ATOMIC_RELAXED);
		__atomic_fetch_add(&raw_bytes, bytes, __ATOMIC_RELAXED);
	} else {
		gil_blocks += blocks;
		gil_bytes += bytes;
	}
}

/*
 * The RAW blocks the hooks handed out, by address: an open-addressing set with
 * backward-shift deletion in mmap'd memory (never through the hooks or malloc, so that
 * native_bytes does not see it), under a lock, as RAW is called without the GIL.
 */
static void **own_tab;
static size_t own_cap, own_len;  /* cap is a power of two, or 0 */
static pthread_mutex_t own_lock = PTHREAD_MUTEX_INITIALIZER;

static inline size_t own_slot(const void *p, size_t cap)
{
	return (size_t)(((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15u) & (cap - 1);
}

static int own_grow(void)
{
	size_t old_cap = own_cap, cap = old_cap ? old_cap * 2 : 4096, i;
	void **tab = mmap(NULL, cap * sizeof(*tab), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (tab == MAP_FAILED)
		return -1;
	for (i = 0; i < old_cap; i++) {
		if (own_tab[i]) {
			size_t j = own_slot(own_tab[i], cap);

			while (tab[j])
				j = (j + 1) & (cap - 1);
			tab[j] = own_tab[i];
		}
	}
	if (own_tab)
		munmap(own_tab, old_cap * sizeof(*own_tab));
	own_tab = tab;
	own_cap = cap;
	return 0;
}

/* Makes room for one more block: 0, or -1 when the set cannot grow. */
static int own_reserve(void)
{
	int r = 0;

	pthread_mutex_lock(&own_lock);
	if ((own_len + 1) * 4 > own_cap * 3)
		r = own_grow();
	pthread_mutex_unlock(&own_lock);
	return r;
}

/* Records a RAW block as ours: 0, or -1 when the set cannot grow. */
static int own_add(void *p)
{
	size_t j;
	int r = 0;

	pthread_mutex_lock(&own_lock);
	/* Past three quarters full the set grows; if it cannot, any free slot still does. */
	if ((own_len + 1) * 4 > own_cap * 3 && own_grow() < 0 && own_len + 1 >= own_cap) {
		r = -1;
	} else {
		for (j = own_slot(p, own_cap); own_tab[j]; j = (j + 1) & (own_cap - 1))
			;
		own_tab[j] = p;
		own_len++;
	}
	pthread_mutex_unlock(&own_lock);
	return r;
}

/* Forgets a RAW block: 1 if it was ours, 0 if it is foreign. */
static int own_del(void *p)
{
	size_t i, j, k, mask;
	int found = 0;

	pthread_mutex_lock(&own_lock);
	mask = own_cap - 1;
	for (i = own_cap ? own_slot(p, own_cap) : 0; own_cap && own_tab[i]; i = (i + 1) & mask)
		if (own_tab[i] == p) {
			found = 1;
			break;
		}
	if (found) {
		for (j = (i + 1) & mask; own_tab[j]; j = (j + 1) & mask) {
			k = own_slot(own_tab[j], own_cap);
			if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
				own_tab[i] = own_tab[j];
				i = j;
			}
		}
		own_tab[i] = NULL;
		own_len--;
	}
	pthread_mutex_unlock(&own_lock);
	return found;
}

/* Whether a block handed to a hook of `domain` is ours: RAW asks the record (and forgets
 * the block), MEM and OBJ blocks always are. */
static inline int owned(int domain, void *user)
{
	return domain == PYMEM_DOMAIN_RAW ? own_del(user) : 1;
}

/*
 * Attribution's record of object allocations: while recording, every block the OBJ domain
 * hands out is remembered with the iteration that asked for it, and forgotten when freed.
 * What is left afterwards are the blocks that survived. An open-addressing table with
 * backward-shift deletion, in plain malloc memory (never through the hooks). The OBJ domain
 * is only called with the GIL held, so the table needs no lock.
 */
struct rec {
	void *ptr;
	uint32_t iteration;
};

static struct rec *rec_tab;
static size_t rec_cap, rec_len;  /* cap is a power of two, or 0 */
static uint32_t rec_iteration;   /* 0: not recording */
static int rec_failed;           /* the table could not grow: the record is incomplete */

static inline size_t rec_slot(const void *p)
{
	return (size_t)(((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15u) & (rec_cap - 1);
}

static int rec_grow(void)
{
	size_t old_cap = rec_cap, i, cap = old_cap ? old_cap * 2 : 4096;
	struct rec *old = rec_tab, *tab = calloc(cap, sizeof(*tab));

	if (!tab)
		return -1;
	rec_tab = tab;
	rec_cap = cap;
	for (i = 0; i < old_cap; i++) {
		if (old[i].ptr) {
			size_t j = rec_slot(old[i].ptr);

			while (tab[j].ptr)
				j = (j + 1) & (cap - 1);
			tab[j] = old[i];
		}
	}
	free(old);
	return 0;
}

static void rec_add(void *p)
{
	size_t j;

	if ((rec_len + 1) * 4 > rec_cap * 3 && rec_grow() < 0) {
		rec_failed = 1;
		return;
	}
	j = rec_slot(p);
	while (rec_tab[j].ptr && rec_tab[j].ptr != p)
		j = (j + 1) & (rec_cap - 1);
	if (!rec_tab[j].ptr)
		rec_len++;
	rec_tab[j].ptr = p;
	rec_tab[j].iteration = rec_iteration;
}

static void rec_del(void *p)
{
	size_t i, j, k, mask = rec_cap - 1;

	if (!rec_cap)
		return;
	for (i = rec_slot(p); rec_tab[i].ptr != p; i = (i + 1) & mask)
		if (!rec_tab[i].ptr)
			return;
	/* Backward shift: pull later entries of the probe run into the hole. */
	for (j = (i + 1) & mask; rec_tab[j].ptr; j = (j + 1) & mask) {
		k = rec_slot(rec_tab[j].ptr);
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			rec_tab[i] = rec_tab[j];
			i = j;
		}
	}
	rec_tab[i].ptr = NULL;
	rec_len--;
}

static inline int tagged(const void *user)
{
	return ((const struct hdr *)user - 1)->tag == tag_of(user);
}

/* The bytes a live OBJ block counts for: its header's size, or its pool's size class. */
static size_t block_size(const void *user)
{
	if (tagged(user))
		return ((const struct hdr *)user - 1)->size;
	return pool_mode ? pool_class(user) : 0;
}

static void *stamp(void *block, size_t size)
{
	struct hdr *h = block;

	h->size = size;
	h->tag = tag_of(h + 1);
	return h + 1;
}

/* The common end of malloc and calloc: count the new block and stamp its header. */
static void *finish_alloc(int domain, int outer, void *block, size_t size)
{
	if (!block)
		return NULL;
	if (domain == PYMEM_DOMAIN_RAW && own_add((char *)block + HDR) < 0) {
		orig[domain].free(orig[domain].ctx, block);
		return NULL;  /* a block we could not recognise later is no block */
	}
	if (outer)
		account(domain, 1, (int64_t)size);
	block = stamp(block, size);
	if (rec_iteration && domain == PYMEM_DOMAIN_OBJ)
		rec_add(block);
	return block;
}

static int add_header(size_t size, size_t *total)
{
	if (size > SIZE_MAX - HDR - 1)
		return -1;
	*total = HDR + (size ? size : 1);
	return 0;
}

static void *hook_malloc(void *ctx, size_t size)
{
	int domain = (int)(intptr_t)ctx;
	int outer = depth == 0;
	size_t total;
	void *p;

	if (add_header(size, &total))
		return NULL;
	depth++;
	p = orig[domain].malloc(orig[domain].ctx, total);
	depth--;
	return finish_alloc(domain, outer, p, size);
}

static void *hook_calloc(void *ctx, size_t nelem, size_t elsize)
{
	int domain = (int)(intptr_t)ctx;
	int outer = depth == 0;
	size_t size, total;
	void *p;

	if (elsize && nelem > SIZE_MAX / elsize)
		return NULL;
	size = nelem * elsize;
	if (add_header(size, &total))
		return NULL;
	depth++;
	p = orig[domain].calloc(orig[domain].ctx, 1, total);
	depth--;
	return finish_alloc(domain, outer, p, size);
}

static void hook_free(void *ctx, void *user)
{
	int domain = (int)(intptr_t)ctx;
	int outer = depth == 0;
	struct hdr *h;

	if (!user)
		return;
	h = (struct hdr *)user - 1;
	depth++;
	if (!owned(domain, user)) {
		orig[domain].free(orig[domain].ctx, user);  /* from before the hooks */
	} else {
		if (outer)
			account(domain, -1, -(int64_t)h->size);
		if (domain == PYMEM_DOMAIN_OBJ && rec_len)
			rec_del(user);
		h->tag = 0;
		orig[domain].free(orig[domain].ctx, h);
	}
	depth--;
}

static void *hook_realloc(void *ctx, void *user, size_t size)
{
	int domain = (int)(intptr_t)ctx;
	int outer = depth == 0;
	struct hdr *h;
	size_t total, old;
	void *p;

	if (!user)
		return hook_malloc(ctx, size);
	if (add_header(size, &total))
		return NULL;
	/* Room in the record first, so that no outcome of the realloc can lose a block. */
	if (domain == PYMEM_DOMAIN_RAW && own_reserve() < 0)
		return NULL;
	h = (struct hdr *)user - 1;
	depth++;
	if (!owned(domain, user)) {
		/* A block from before the hooks: grow it, then make room for a header. */
		p = orig[domain].realloc(orig[domain].ctx, user, total);
		depth--;
		if (!p)
			return NULL;
		memmove((char *)p + HDR, p, size);
		return finish_alloc(domain, outer, p, size);
	}
	old = h->size;
	if (domain == PYMEM_DOMAIN_OBJ && rec_len)
		rec_del(user);
	h->tag = 0;
	p = orig[domain].realloc(orig[domain].ctx, h, total);
	depth--;
	if (!p) {
		h->tag = tag_of(user);
		if (rec_iteration && domain == PYMEM_DOMAIN_OBJ)
			rec_add(user);
		if (domain == PYMEM_DOMAIN_RAW && own_add(user) < 0)
			abort();  /* own_reserve left a slot: only other threads filling
			  * it with no memory left get here */
		return NULL;
	}
	if (domain == PYMEM_DOMAIN_RAW && own_add((char *)p + HDR) < 0)
		abort();  /* cannot happen: own_reserve made room */
	if (outer)
		account(domain, 0, (int64_t)size - (int64_t)old);
	p = stamp(p, size);
	if (rec_iteration && domain == PYMEM_DOMAIN_OBJ)
		rec_add(p);
	return p;
}

/* Reads memory of this process without faulting on an unmapped address. */
static int read_self(void *dst, const void *src, size_t n)
{
	struct iovec local = { dst, n }, remote = { (void *)src, n };

	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)n ? 0 : -1;
}

/* Whether a block the allocator returned for `size` bytes sits in a pymalloc pool of the
 * layout above: the pool header at the masked address names the request's size class,
 * counts a plausible number of blocks, and the block lies on a block boundary after it. */
static int in_pool(const void *block, size_t size)
{
	uintptr_t u = (uintptr_t)block, base = u & ~(POOL_SIZE - 1);
	size_t cls = (size + CLASS_STEP - 1) & ~(size_t)(CLASS_STEP - 1);
	struct pool_view pv;

	if (u % CLASS_STEP || read_self(&pv, (const void *)base, sizeof(pv)) < 0)
		return 0;
	return pv.szidx == (size - 1) / CLASS_STEP && pv.ref.count >= 1 &&
	       pv.ref.count <= POOL_SIZE / cls && u - base >= POOL_OVERHEAD &&
	       (u - base - POOL_OVERHEAD) % cls == 0 && u - base + cls <= POOL_SIZE;
}

/* Whether `a` is pymalloc with the pool layout pool mode relies on, checked on
 * enough blocks of several classes to fill more than one pool of each. Nothing read here
 * can fault: the reads go through process_vm_readv. */
static int pool_layout_holds(const PyMemAllocatorEx *a)
{
	static const size_t sizes[] = { 1, 16, 17, 64, 100, 255, 256, 511, 512 };
	enum { PER_SIZE = 40 };
	void *blocks[PER_SIZE];
	size_t k;
	int i, n, ok = 1;

	if (sizeof(void *) != 8)
		return 0;
	for (k = 0; ok && k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		for (n = 0; n < PER_SIZE; n++) {
			blocks[n] = a->malloc(a->ctx, sizes[k]);
			if (!blocks[n] || !in_pool(blocks[n], sizes[k])) {
				ok = 0;
				n += blocks[n] != NULL;
				break;
			}
		}
		for (i = 0; i < n; i++)
			a->free(a->ctx, blocks[i]);
	}
	return ok;
}

/* The record hook, on the OBJ domain in pool mode while attribution records: it only
 * keeps the record, around the allocator it found (pymalloc, or a hook over it). */
static PyMemAllocatorEx rec_under;
static int rec_hooked;

static void *rec_malloc(void *ctx, size_t size)
{
	void *p = rec_under.malloc(rec_under.ctx, size);

	(void)ctx;
	if (p && rec_iteration)
		rec_add(p);
	return p;
}

static void *rec_calloc(void *ctx, size_t nelem, size_t elsize)
{
	void *p = rec_under.calloc(rec_under.ctx, nelem, elsize);

	(void)ctx;
	if (p && rec_iteration)
		rec_add(p);
	return p;
}

static void *rec_realloc(void *ctx, void *user, size_t size)
{
	void *p = rec_under.realloc(rec_under.ctx, user, size);

	(void)ctx;
	if (!p)
		return NULL;
	if (user && rec_len)
		rec_del(user);
	if (rec_iteration)
		rec_add(p);
	return p;
}

static void rec_free(void *ctx, void *user)
{
	(void)ctx;
	if (user && rec_len)
		rec_del(user);
	rec_under.free(rec_under.ctx, user);
}

static void set_headered(int domain)
{
	PyMemAllocatorEx hook = {
		.ctx = (void *)(intptr_t)domain,
		.malloc = hook_malloc,
		.calloc = hook_calloc,
		.realloc = hook_realloc,
		.free = hook_free,
	};

	PyMem_SetAllocator((PyMemAllocatorDomain)domain, &hook);
}

/* The first OBJ or MEM request chooses: from 3.12 pymalloc's state belongs to the
 * interpreter, which does not exist yet when the hooks go in, so its pools cannot be
 * probed before. No MEM or OBJ block exists before that request (CPython allows a new
 * allocator until then), so headered hooks can still go in. */
static void choose_mode(void)
{
	pool_mode = pool_layout_holds(&orig[PYMEM_DOMAIN_MEM]) &&
		    pool_layout_holds(&orig[PYMEM_DOMAIN_OBJ]);
	if (pool_mode) {
		PyMem_SetAllocator(PYMEM_DOMAIN_MEM, &orig[PYMEM_DOMAIN_MEM]);
		PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &orig[PYMEM_DOMAIN_OBJ]);
	} else {
		set_headered(PYMEM_DOMAIN_MEM);
		set_headered(PYMEM_DOMAIN_OBJ);
	}
}

static void *first_malloc(void *ctx, size_t size)
{
	int domain = (int)(intptr_t)ctx;

	choose_mode();
	if (pool_mode)
		return orig[domain].malloc(orig[domain].ctx, size);
	return hook_malloc(ctx, size);
}

static void *first_calloc(void *ctx, size_t nelem, size_t elsize)
{
	int domain = (int)(intptr_t)ctx;

	choose_mode();
	if (pool_mode)
		return orig[domain].calloc(orig[domain].ctx, nelem, elsize);
	return hook_calloc(ctx, nelem, elsize);
}

/* realloc and free cannot come first (no block exists), but the slots must be filled. */
static void *first_realloc(void *ctx, void *user, size_t size)
{
	return user ? NULL : first_malloc(ctx, size);
}

static void first_free(void *ctx, void *user)
{
	(void)ctx;
	(void)user;
}

void lg__hooks_install(int may_use_pools)
{
	PyObjectArenaAllocator arena = { NULL, arena_alloc, arena_free };
	struct timespec ts;
	int d;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	secret = ((uintptr_t)ts.tv_nsec << 20) ^ (uintptr_t)ts.tv_sec ^
		 ((uintptr_t)getpid() << 40) ^ (uintptr_t)&ts;
	secret |= 1;
	for (d = PYMEM_DOMAIN_RAW; d <= PYMEM_DOMAIN_OBJ; d++)
		PyMem_GetAllocator((PyMemAllocatorDomain)d, &orig[d]);
	set_headered(PYMEM_DOMAIN_RAW);
	if (!may_use_pools) {
		set_headered(PYMEM_DOMAIN_MEM);
		set_headered(PYMEM_DOMAIN_OBJ);
		return;
	}
	PyObject_SetArenaAllocator(&arena);
	for (d = PYMEM_DOMAIN_MEM; d <= PYMEM_DOMAIN_OBJ; d++) {
		PyMemAllocatorEx first = {
			.ctx = (void *)(intptr_t)d,
			.malloc = first_malloc,
			.calloc = first_calloc,
			.realloc = first_realloc,
			.free = first_free,
		};

		PyMem_SetAllocator((PyMemAllocatorDomain)d, &first);
	}
}

int lg__hooks_pool_mode(void)
{
	return pool_mode;
}

void lg__hooks_read(struct lg__pymem_counts *out)
{
	out->blocks = gil_blocks + __atomic_load_n(&raw_blocks, __ATOMIC_RELAXED);
	out->bytes = gil_bytes + __atomic_load_n(&raw_bytes, __ATOMIC_RELAXED);
	if (pool_mode)
		add_pools(out);
}

void lg__record_open(void)
{
	PyMemAllocatorEx hook = {
		.malloc = rec_malloc,
		.calloc = rec_calloc,
		.realloc = rec_realloc,
		.free = rec_free,
	};

	if (!pool_mode || rec_hooked)
		return;
	PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &rec_under);
	PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &hook);
	rec_hooked = 1;
}

/* Takes the record hook off, unless something went on over it since (tracemalloc started
 * by the workload, say): then it stays, a bare pass-through with the record empty. */
static void record_close(void)
{
	PyMemAllocatorEx cur;

	if (!rec_hooked)
		return;
	PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &cur);
	if (cur.malloc == rec_malloc) {
		PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &rec_under);
		rec_hooked = 0;
	}
}

void lg__record_start(uint32_t iteration)
{
	lg__record_open();
	rec_iteration = iteration;
}

void lg__record_stop(void)
{
	rec_iteration = 0;
}

int lg__record_take(struct lg__survivor **out, size_t *n)
{
	struct lg__survivor *v;
	size_t i, k = 0;

	*out = NULL;
	*n = 0;
	if (rec_failed)
		return -1;
	if (!rec_len)
		return 0;
	v = malloc(rec_len * sizeof(*v));
	if (!v)
		return -1;
	for (i = 0; i < rec_cap; i++) {
		if (rec_tab[i].ptr) {
			v[k].ptr = rec_tab[i].ptr;
			v[k].size = block_size(rec_tab[i].ptr);
			v[k].iteration = rec_tab[i].iteration;
			k++;
		}
	}
	*out = v;
	*n = k;
	return 0;
}

void lg__record_clear(void)
{
	rec_iteration = 0;
	free(rec_tab);
	rec_tab = NULL;
	rec_cap = rec_len = 0;
	rec_failed = 0;
	record_close();
}
