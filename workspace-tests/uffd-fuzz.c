// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-fuzz: a bounded, randomized exerciser of the userfaultfd ioctls on
 * every memory type of the vm_uffd_ops series: anon, shmem (memfd),
 * hugetlb (2M memfd and MAP_HUGETLB), and the two module memory types,
 * testmem (/dev/uffd_test_memtype) and rustmem (/dev/rust_uffd_mem).
 *
 *   uffd-fuzz [-s SEED] [-n ITERATIONS] [-t TYPE] [-j THREADS] [-T SECONDS]
 *
 *   -s  seed (default: time based); always printed first
 *   -n  worker operations per memory type (default 4000)
 *   -t  anon|shmem|hugetlb|testmem|rustmem|all (default all)
 *   -j  worker threads (default 4); 0 runs the deterministic model
 *       rounds only (no concurrency), for reproducing a model failure
 *   -T  watchdog per memory type, seconds (default 600)
 *   -v  print every operation of the model rounds
 *   -U  also do what hits two v6.18 hugetlb bugs (not the series'): race
 *       hole punching with MAP_PRIVATE hugetlbfs mappings
 *       (repro-hugetlb-private-punch.c) and re-register hugetlb ranges
 *       without WP (repro-hugetlb-wp-reregister.c)
 *
 * Per memory type, a region of address space far from everything else
 * holds NSLOT "slots".  Slot s has a canonical unit (mapping offset 0 of
 * the slot's object), an extension unit after it (offset slot_len), and a
 * mirror of both in the second half of the region, where mremap() moves
 * them.  Every address of the region thus stands for one fixed byte of one
 * slot whatever is mapped there, and the data written at any address is
 * always the pattern of that byte (an image computed once from the seed)
 * or zero.  That makes one invariant checkable at any time, even while
 * everything races: every 64-bit word of the region reads as 0 or as its
 * pattern word.
 *
 * A round has a concurrent phase and a single-threaded phase.
 *
 * Concurrent phase: -j workers run random operations: UFFDIO_REGISTER and
 * UNREGISTER with random modes and ranges (aligned or not, overlapping
 * holes and several VMAs, past the region, zero, out of the address
 * space), UFFDIO_COPY (from the image, from a zapped shmem mapping of it so
 * that the copy is retried outside the locks, from an unaligned copy, from
 * a hole, from nowhere), ZEROPAGE, CONTINUE, WRITEPROTECT, POISON and WAKE
 * with valid and invalid modes, argument structures that are unreadable or
 * whose output field is unwritable; and racing mmap() over the slots (of
 * the memory type, shared or private, or anonymous), munmap() of parts,
 * mremap() to the mirror and back, growing and shrinking, fork() (the
 * child touches memory and exits), replacing the userfaultfd with a new one
 * of random features (the old one is released under everybody's feet),
 * MADV_DONTNEED, MADV_REMOVE and FALLOC_FL_PUNCH_HOLE.  Faulting threads
 * read and write registered memory, checking the invariant; a resolver
 * thread answers MISSING faults with UFFDIO_COPY of the pattern, MINOR
 * faults with UFFDIO_CONTINUE and WP faults by write-unprotecting, and
 * wakes the range when that fails or when it is idle.
 *
 * Every ioctl must return 0 or an errno of the set its code can return
 * (fs/userfaultfd.c, mm/userfaultfd.c, mm/hugetlb.c and the memory types'
 * hooks); arguments that are invalid by themselves must give EINVAL (or
 * EAGAIN where the ioctl checks mmap_changing first); the output field of
 * COPY/ZEROPAGE/CONTINUE/POISON must be the length on success, -errno on
 * failure (or untouched when the arguments were rejected before the
 * operation), or the partial progress, a multiple of the page size, with
 * EAGAIN.
 *
 * Single-threaded phase: a scan of the whole region and of every object
 * through a second mapping checks the invariant; then a model round takes
 * one slot, empties it (PUNCH_HOLE of the object, a new mapping, shared or
 * private), puts some pages in its page cache, registers it (the returned
 * ioctls must be exactly what the memory type supports) and runs random
 * COPY/ZEROPAGE/CONTINUE/POISON/WRITEPROTECT whose exact result (errno,
 * output field, partial progress) is predicted from a model of every
 * page's PTE and page cache state, and then checks every page: present in
 * /proc/self/pagemap or not, in the page cache (st_blocks, mincore() of a
 * second mapping) or not, and its contents (pattern, zero, page cache
 * contents, or SIGBUS when poisoned).
 *
 * No hang: faults are resolved or woken, the userfaultfd is replaced (which
 * releases every waiter) if a fault stays unresolved after the workers
 * stopped (reported as a failure), and a watchdog ends the program.
 *
 * Output is KTAP, one result per memory type (a skip with the reason when
 * its device is absent), and a summary line per memory type.  Built with
 * -DUFFD_FUZZ_BREAK=1, the model expects ZEROPAGE to give EEXIST on an
 * empty page, to show that a wrong expectation is caught.
 */
#include "uffd-rel.h"

#include <poll.h>
#include <pthread.h>
#include <sys/wait.h>
#include <time.h>

#include "tools/testing/selftests/kselftest.h"

#define NSLOT		4
#define NUNIT		(4 * NSLOT)
#define GUARD_UNITS	2
#define MAX_WORKERS	16
#define MAX_FAULTERS	4
#define MAX_FAIL_PRINTS	40
#define SENTINEL	0x5a5a5a5a5a5aLL
#define STOP_WAIT_S	30
#define RLOG		16
#define MAX_PAGES	64

enum op {
	OP_API,
	OP_REGISTER,
	OP_UNREGISTER,
	OP_COPY,
	OP_ZEROPAGE,
	OP_CONTINUE,
	OP_WP,
	OP_POISON,
	OP_WAKE,
	NR_OPS
};

static const char *const op_name[NR_OPS] = {
	[OP_API]	= "API",
	[OP_REGISTER]	= "REGISTER",
	[OP_UNREGISTER]	= "UNREGISTER",
	[OP_COPY]	= "COPY",
	[OP_ZEROPAGE]	= "ZEROPAGE",
	[OP_CONTINUE]	= "CONTINUE",
	[OP_WP]		= "WRITEPROTECT",
	[OP_POISON]	= "POISON",
	[OP_WAKE]	= "WAKE",
};

/* The racing operations that are not userfaultfd ioctls. */
enum rop {
	ROP_MMAP,
	ROP_MUNMAP,
	ROP_MREMAP,
	ROP_FORK,
	ROP_REOPEN,
	ROP_DONTNEED,
	ROP_PUNCH,
	NR_ROPS
};

static const char *const rop_name[NR_ROPS] = {
	[ROP_MMAP]	= "mmap",
	[ROP_MUNMAP]	= "munmap",
	[ROP_MREMAP]	= "mremap",
	[ROP_FORK]	= "fork",
	[ROP_REOPEN]	= "reopen",
	[ROP_DONTNEED]	= "dontneed",
	[ROP_PUNCH]	= "punch",
};

#define EB(e)		(1ULL << (e))
#define FILL_ERRS	(EB(EINVAL) | EB(ENOENT) | EB(EEXIST) | EB(EAGAIN) | \
			 EB(EFAULT) | EB(ENOMEM))

/*
 * What each ioctl may return for arguments that are valid by themselves.
 * REGISTER: EINVAL (no VMA, incompatible VMA, hugetlb alignment), EPERM
 * (no VM_MAYWRITE), EBUSY (another context), ENOMEM (mm exiting, VMA
 * split).  UNREGISTER: EINVAL, ENOMEM.  Fills: EINVAL (mode vs VMA,
 * hugetlb alignment or ZEROPAGE), ENOENT (no registered VMA covering the
 * range), EEXIST (already filled), EAGAIN (mmap_changing, partial
 * progress, page table gone), EFAULT (source, past EOF, no folio for
 * CONTINUE), ENOMEM.  WRITEPROTECT: EINVAL (hugetlb alignment), ENOENT (no
 * WP VMA), EAGAIN (mmap_changing), ENOMEM (page tables).  WAKE: only range
 * checks.
 */
static const uint64_t allowed_errs[NR_OPS] = {
	[OP_API]	= EB(EINVAL),
	[OP_REGISTER]	= EB(EINVAL) | EB(EPERM) | EB(EBUSY) | EB(ENOMEM),
	[OP_UNREGISTER]	= EB(EINVAL) | EB(ENOMEM),
	[OP_COPY]	= FILL_ERRS,
	[OP_ZEROPAGE]	= FILL_ERRS,
	[OP_CONTINUE]	= FILL_ERRS,
	[OP_WP]		= EB(EINVAL) | EB(ENOENT) | EB(EAGAIN) | EB(ENOMEM),
	[OP_POISON]	= FILL_ERRS,
	[OP_WAKE]	= EB(EINVAL),
};

/* Ioctls that return EAGAIN for mmap_changing before looking at anything. */
static bool op_checks_changing(int op)
{
	return op == OP_COPY || op == OP_ZEROPAGE || op == OP_CONTINUE ||
	       op == OP_POISON || op == OP_WP;
}

/* How a unit is mapped by map_unit(). */
enum { K_SHARED, K_PRIVATE, K_ANON };

struct fstate {
	volatile uintptr_t addr;
	volatile uint64_t since;
	volatile int busy;
	volatile int done;
	volatile int write;
	volatile pid_t tid;
};

struct rlog {
	uintptr_t addr;
	uint64_t flags;
	int op;
	int err;
};

struct world {
	int mt;
	const char *name;
	uint64_t seed;		/* the run's seed */
	uint64_t pseed;		/* pattern seed of this memory type */
	size_t psz, pg, slot_len, half_len, region_len, max_fill;
	char *lo, *base, *hi;	/* [lo, hi) is the region with its guards */
	int obj[NSLOT];
	int uffd;
	uint64_t feat_avail, feat_base;
	char *img;
	size_t img_len;
	char *ubuf;		/* for unaligned sources in the model */
	int srcfd;
	char *srcmap;
	int pmfd;
	volatile uint64_t *report;
	volatile int stop_workers, stop_faults, stop_resolver;
	long iter_quota;
	long iter_next;
	int nworkers, nfaulters;
	struct fstate fst[MAX_FAULTERS];
	struct rlog rlog[RLOG];
	unsigned int rlog_n;
	pthread_mutex_t print_lock;
	/* statistics */
	unsigned long res[NR_OPS][65];
	unsigned long rop_ok[NR_ROPS], rop_err[NR_ROPS];
	unsigned long msgs, resolved, woken, events, touches, tsig;
	unsigned long model_ops, model_pages, scan_pages;
	long iters_done;
	int rounds;
	int failures;
};

struct wstate {
	struct world *w;
	uint64_t rs;
	int id;
	char *scratch;
	size_t scratch_len;
	char *straddle;		/* two pages, the second one PROT_NONE */
};

static struct world *cur_world;
static volatile const char *cur_phase = "setup";
static int verbose;
static bool upstream_bugs;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void inc(unsigned long *p)
{
	__atomic_add_fetch(p, 1, __ATOMIC_RELAXED);
}

static __printf(2, 3) void fail(struct world *w, const char *fmt, ...)
{
	va_list ap;
	int n = __atomic_add_fetch(&w->failures, 1, __ATOMIC_RELAXED);

	if (n > MAX_FAIL_PRINTS)
		return;
	pthread_mutex_lock(&w->print_lock);
	printf("# FAIL [%s seed=%llu] ", w->name, (unsigned long long)w->seed);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (n == MAX_FAIL_PRINTS)
		printf("# [%s] further failures are counted, not printed\n",
		       w->name);
	fflush(stdout);
	pthread_mutex_unlock(&w->print_lock);
}

static void watchdog(int sig)
{
	char buf[256];
	int n;

	(void)sig;
	n = snprintf(buf, sizeof(buf),
		     "# TIMEOUT: watchdog expired in [%s] phase %s\nBail out! uffd-fuzz hung\n",
		     cur_world ? cur_world->name : "-", cur_phase);
	if (write(STDOUT_FILENO, buf, n) < 0)
		n = 0;
	_exit(KSFT_FAIL);
}

/* ------------------------------------------------------------------ */
/* Address space layout                                                */
/* ------------------------------------------------------------------ */

static char *unit_addr(struct world *w, int u)
{
	return w->base + (size_t)u * w->slot_len;
}

static int canon_unit(int s)
{
	return 2 * s;
}

static int mirror_unit(int s)
{
	return 2 * NSLOT + 2 * s;
}

static bool in_region(struct world *w, uintptr_t a)
{
	return a >= (uintptr_t)w->base &&
	       a < (uintptr_t)w->base + w->region_len;
}

/* Offset of @a's byte in the pattern image (0 outside the region). */
static size_t imgoff(struct world *w, uintptr_t a)
{
	if (!in_region(w, a))
		return 0;
	return (a - (uintptr_t)w->base) % w->half_len;
}

static uint64_t img_word(struct world *w, uintptr_t a)
{
	return *(uint64_t *)(w->img + imgoff(w, a & ~7UL));
}

/* Map unit @ext (0 canonical, 1 extension) of slot @s, or its mirror. */
static int map_unit(struct world *w, int s, int ext, int mirror, int kind)
{
	char *a = unit_addr(w, (mirror ? mirror_unit(s) : canon_unit(s)) + ext);
	off_t off = ext ? w->slot_len : 0;
	int flags = MAP_FIXED, fd = -1;
	void *p;

	if (kind == K_ANON || w->mt == MT_ANON) {
		flags |= MAP_PRIVATE | MAP_ANONYMOUS;
		if (w->mt == MT_HUGETLB)
			flags |= MAP_HUGETLB;
		off = 0;
	} else {
		flags |= kind == K_SHARED ? MAP_SHARED : MAP_PRIVATE;
		fd = w->obj[s];
	}
	p = mmap(a, w->slot_len, PROT_READ | PROT_WRITE, flags, fd, off);
	return p == MAP_FAILED ? -errno : 0;
}

/* ------------------------------------------------------------------ */
/* Random arguments                                                    */
/* ------------------------------------------------------------------ */

struct rrange {
	uint64_t start, len;
	bool inval;		/* rejected by validate_range() */
};

static uint64_t mmap_min_addr = 4096;

/* Would validate_range() (mm/userfaultfd.c) reject this range? */
static bool range_invalid(struct world *w, uint64_t start, uint64_t len)
{
	if ((start | len) & (w->pg - 1))
		return true;
	return !len || (!REL_LOW_RANGES_VALID && start < mmap_min_addr);
}

/*
 * Since 161ce69c2c89 a range below mmap_min_addr is an ordinary range in
 * which nothing is mapped: fills and WRITEPROTECT say ENOENT, REGISTER
 * EINVAL, WAKE and UNREGISTER succeed.  It may stay where it is: nothing
 * of this process can be registered there.
 */
static bool range_low(uint64_t start, uint64_t len)
{
	return REL_LOW_RANGES_VALID && start + len > start &&
	       start + len <= mmap_min_addr;
}

/*
 * A random range.  Valid ranges stay inside [lo, hi) (our region and its
 * unmapped guards): nothing else of this process may ever be registered.
 * Invalid ones are rejected before any VMA is looked at: they are below
 * mmap_min_addr, above any task size, or wrap.  A valid range is at most
 * w->max_fill long when @fill.
 */
static void rand_range(struct world *w, uint64_t *rs, struct rrange *r,
		       bool fill)
{
	unsigned int c = rel_below(rs, 100);
	size_t psz = w->psz, upages = w->slot_len / psz;
	uint64_t span_pages = (w->hi - w->lo) / psz;
	int u;

	r->inval = false;
	u = rel_below(rs, 10) < 6 ? canon_unit(rel_below(rs, NSLOT)) :
					rel_below(rs, NUNIT);
	r->start = (uintptr_t)unit_addr(w, u) + rel_below(rs, upages) * psz;
	r->len = (1 + rel_below(rs, rel_below(rs, 3) ? 4 : upages)) * psz;

	if (c < 55) {
		/* a few pages in a unit, maybe running into the next */
	} else if (c < 63) {
		/* a whole slot, or (not for fills) the whole region */
		r->start = (uintptr_t)unit_addr(w, u & ~1);
		r->len = 2 * w->slot_len;
		if (!fill && rel_below(rs, 2)) {
			r->start = (uintptr_t)w->base;
			r->len = w->region_len;
		}
	} else if (c < 72) {
		/* anywhere in the region and its guards */
		r->start = (uintptr_t)w->lo + rel_below(rs, span_pages) * psz;
		r->len = (1 + rel_below(rs, fill ? w->max_fill / psz : 8)) * psz;
	} else if (c < 80) {
		/* base page aligned, maybe not huge page aligned */
		r->start += rel_below(rs, psz / w->pg) * w->pg;
		r->len = (1 + rel_below(rs, 2 * psz / w->pg)) * w->pg;
	} else if (c < 85) {
		/* unaligned start */
		r->start += 1 + rel_below(rs, w->pg - 1);
	} else if (c < 89) {
		/* unaligned length */
		r->len += 1 + rel_below(rs, w->pg - 1);
	} else if (c < 91) {
		r->len = 0;
	} else if (c < 96) {
		/* out of the address space, or wrapping */
		switch (rel_below(rs, 4)) {
		case 0:
			r->start = 0;
			r->len = w->pg * (1 + rel_below(rs, 4));
			break;
		case 1:
			r->start = 1ULL << 60;
			r->len = psz;
			break;
		case 2:
			r->start = -(uint64_t)w->pg;
			r->len = w->pg;
			break;
		default:
			r->len = -(uint64_t)w->pg & ~(psz - 1);
			break;
		}
	} else {
		/* valid, but nothing mapped: past the region, in its guard */
		r->start = (uintptr_t)w->base + w->region_len +
			   rel_below(rs, GUARD_UNITS * upages) * psz;
		r->len = psz;
	}
	if (r->start + r->len < r->start || r->start >= (1ULL << 57) ||
	    (r->len >= (1ULL << 57)))
		r->inval = true;
	if (range_invalid(w, r->start, r->len))
		r->inval = true;
	/* keep valid ranges inside [lo, hi) */
	if (!r->inval && !range_low(r->start, r->len) &&
	    (r->start < (uintptr_t)w->lo ||
			  r->start + r->len > (uintptr_t)w->hi)) {
		r->start = (uintptr_t)w->base;
		r->len = psz;
	}
}

/* ------------------------------------------------------------------ */
/* Judging results                                                     */
/* ------------------------------------------------------------------ */

static void note(struct world *w, int op, int e)
{
	inc(&w->res[op][e > 0 && e < 64 ? e : (e ? 64 : 0)]);
}

/* How an ioctl's argument structure was placed (see arg_place()). */
enum { ARG_OK, ARG_UNREADABLE, ARG_STRADDLING };

/*
 * Check an ioctl's errno @e (0 for success).  @inval: the arguments were
 * invalid by themselves (EINVAL expected); @how: the argument structure was
 * unreadable (EFAULT expected) or its output field unwritable (EFAULT
 * allowed, even after the operation was done).
 */
static void judge(struct world *w, int op, int e, bool inval, int how,
		  const char *desc)
{
	uint64_t ok = allowed_errs[op];

	note(w, op, e);
	if (inval) {
		ok = EB(EINVAL);
		if (op_checks_changing(op))
			ok |= EB(EAGAIN);
	}
	if (how == ARG_STRADDLING)
		ok |= EB(EFAULT);
	if (how == ARG_UNREADABLE) {
		ok = EB(EFAULT);
		inval = true;
	}
	if (!e) {
		if (inval)
			fail(w, "%s -> ok, but the arguments are invalid", desc);
		return;
	}
	if (e >= 64 || !(ok & EB(e)))
		fail(w, "%s -> %s, not in the allowed set%s", desc,
		     rel_errname(e), inval ? " (invalid arguments)" : "");
}

/* The output field of COPY, ZEROPAGE, CONTINUE and POISON. */
static void judge_field(struct world *w, int e, int64_t field, uint64_t len,
			const char *desc)
{
	if (!e) {
		if ((uint64_t)field != len)
			fail(w, "%s -> ok but output field %lld != len %#llx",
			     desc, (long long)field, (unsigned long long)len);
		return;
	}
	if (field == SENTINEL) {
		if (e != EINVAL && e != EFAULT && e != ESRCH)
			fail(w, "%s -> %s but output field not written", desc,
			     rel_errname(e));
		return;
	}
	if (field == -e)
		return;
	if (e == EAGAIN && field > 0 && (uint64_t)field < len &&
	    !(field % w->psz))
		return;
	fail(w, "%s -> %s with output field %lld (len %#llx)", desc,
	     rel_errname(e), (long long)field, (unsigned long long)len);
}

/* ------------------------------------------------------------------ */
/* The userfaultfd ioctls, randomly                                    */
/* ------------------------------------------------------------------ */

/*
 * The argument of an ioctl, normally on the stack; with @straddle its
 * last @out bytes (the output field) lie in an inaccessible page, or the
 * whole structure is unreadable.
 */
static void *arg_place(struct wstate *t, void *arg, size_t size, size_t out,
		       int how)
{
	char *p;

	if (how == ARG_OK)
		return arg;
	if (how == ARG_UNREADABLE)
		return (void *)(uintptr_t)(t->w->pg * 3 + 8);
	p = t->straddle + t->w->pg - (size - out);
	memcpy(p, arg, size - out);
	return p;
}

static void op_register(struct wstate *t, bool reg)
{
	struct world *w = t->w;
	struct uffdio_register ur;
	struct rrange r;
	uint64_t mode = 0;
	unsigned int c = rel_below(&t->rs, 32);
	int how = rel_below(&t->rs, 50) ? 0 : 1 + rel_below(&t->rs, 2);
	void *arg;
	char desc[200];
	int ret, e;
	bool inval;

	rand_range(w, &t->rs, &r, false);
	if (reg && rel_below(&t->rs, 2)) {
		/* a whole slot (or its mirror), to get faults */
		r.start = (uintptr_t)unit_addr(w, 2 * rel_below(&t->rs, NUNIT / 2));
		r.len = 2 * w->slot_len;
		r.inval = false;
	}
	if (c < 28)
		mode = 1 + rel_below(&t->rs, 7);
	else if (c < 30)
		mode = 1ULL << (3 + rel_below(&t->rs, 61));
	if (c < 28 && rel_below(&t->rs, 4))
		mode |= UFFDIO_REGISTER_MODE_MISSING;
	/*
	 * v6.18: re-registering a range without WP drops VM_UFFD_WP but not
	 * the PTEs' uffd-wp bits, and a write to such a hugetlb page loops
	 * in the fault handler for ever (repro-hugetlb-wp-reregister.c):
	 * never drop WP on hugetlb, unless -U.
	 */
	if (c < 28 && w->mt == MT_HUGETLB && !upstream_bugs)
		mode |= UFFDIO_REGISTER_MODE_WP;
	inval = r.inval || (reg && (!mode || (mode & ~7ULL)));
	memset(&ur, 0, sizeof(ur));
	ur.range.start = r.start;
	ur.range.len = r.len;
	ur.mode = mode;
	if (reg) {
		arg = arg_place(t, &ur, sizeof(ur), sizeof(ur.ioctls), how);
		ret = ioctl(w->uffd, UFFDIO_REGISTER, arg);
	} else {
		arg = arg_place(t, &ur.range, sizeof(ur.range), 0,
				how == ARG_STRADDLING ? ARG_OK : how);
		ret = ioctl(w->uffd, UFFDIO_UNREGISTER, arg);
	}
	e = ret ? errno : 0;
	snprintf(desc, sizeof(desc), "%s start=%#llx len=%#llx mode=%#llx%s",
		 reg ? "REGISTER" : "UNREGISTER",
		 (unsigned long long)r.start, (unsigned long long)r.len,
		 (unsigned long long)mode,
		 how == ARG_UNREADABLE ? " arg=unreadable" :
		 how == ARG_STRADDLING ? " arg=straddling" : "");
	if (!reg && how == ARG_STRADDLING)
		how = ARG_OK;
	judge(w, reg ? OP_REGISTER : OP_UNREGISTER, e, inval, how, desc);
	if (!reg || e || how)
		return;
	/* The ioctls every memory type of the range supports (see rel_mt_ioctls()). */
	if (!(ur.ioctls & B_WAKE) || !(ur.ioctls & B_POISON) ||
	    !!(ur.ioctls & B_WP) != !!(mode & UFFDIO_REGISTER_MODE_WP) ||
	    !!(ur.ioctls & B_CONTINUE) != !!(mode & UFFDIO_REGISTER_MODE_MINOR) ||
	    ((mode & UFFDIO_REGISTER_MODE_MISSING) && !(ur.ioctls & B_COPY)) ||
	    (ur.ioctls & ~0x1fcULL) ||
	    ((ur.ioctls & B_ZEROPAGE) && !(ur.ioctls & B_COPY)) ||
	    (w->mt == MT_HUGETLB && (ur.ioctls & (B_ZEROPAGE | B_MOVE))) ||
	    (w->mt == MT_ANON && ur.ioctls != rel_mt_ioctls(MT_ANON, false, mode)))
		fail(w, "%s -> ok with ioctls %#llx", desc,
		     (unsigned long long)ur.ioctls);
}

/* A source for copying the pattern of [dst, dst + len). */
static uint64_t pick_src(struct wstate *t, struct rrange *r, bool *inval,
			 const char **what)
{
	struct world *w = t->w;
	unsigned int c = rel_below(&t->rs, 40);
	const char *img_src = w->img + imgoff(w, r->start);
	size_t delta, len = r->len;
	uintptr_t z;

	*what = "image";
	if (r->inval || len > w->max_fill)
		return (uintptr_t)w->img;
	if (c < 24)
		return (uintptr_t)img_src;
	if (c < 32) {
		/* not mapped: UFFDIO_COPY copies outside the locks and retries */
		*what = "zapped";
		z = (uintptr_t)w->srcmap + (img_src - w->img);
		madvise((void *)(z & ~(w->pg - 1)),
			((z + len + w->pg - 1) & ~(w->pg - 1)) - (z & ~(w->pg - 1)),
			MADV_DONTNEED);
		return z;
	}
	if (c < 37) {
		*what = "unaligned";
		delta = 1 + rel_below(&t->rs, w->pg - 1);
		memcpy(t->scratch + delta, img_src, len);
		return (uintptr_t)t->scratch + delta;
	}
	if (c < 38) {
		*what = "hole";
		return (uintptr_t)w->lo;
	}
	if (c < 39 && REL_LOW_RANGES_VALID) {
		/* an ordinary source since 161ce69c2c89, not mapped */
		*what = "page 0";
		return 0;
	}
	*inval = true;
	*what = "invalid";
	return c < 39 ? 0 : 1ULL << 60;
}

static void op_fill(struct wstate *t, int op)
{
	struct world *w = t->w;
	union {
		struct uffdio_copy copy;
		struct uffdio_zeropage zero;
		struct uffdio_continue cont;
		struct uffdio_poison poison;
	} u;
	struct rrange r;
	uint64_t mode = 0, src = 0;
	unsigned int c = rel_below(&t->rs, 16);
	int how = rel_below(&t->rs, 60) ? 0 : 1 + rel_below(&t->rs, 2);
	const char *what = "";
	bool inval, badmode = false;
	__s64 *field;
	unsigned long cmd;
	size_t size;
	char desc[240];
	void *arg;
	int ret, e;

	rand_range(w, &t->rs, &r, true);
	inval = r.inval;
	if (c == 15) {
		mode = 1ULL << (2 + rel_below(&t->rs, 62));
		badmode = true;
	}
	memset(&u, 0, sizeof(u));
	switch (op) {
	case OP_COPY:
		if (!badmode)
			mode = (c & 1 ? UFFDIO_COPY_MODE_DONTWAKE : 0) |
			       (c & 6 ? 0 : UFFDIO_COPY_MODE_WP);
		src = pick_src(t, &r, &inval, &what);
		u.copy.dst = r.start;
		u.copy.src = src;
		u.copy.len = r.len;
		u.copy.mode = mode;
		u.copy.copy = SENTINEL;
		field = &u.copy.copy;
		cmd = UFFDIO_COPY;
		size = sizeof(u.copy);
		break;
	case OP_ZEROPAGE:
		if (!badmode)
			mode = c & 1 ? UFFDIO_ZEROPAGE_MODE_DONTWAKE : 0;
		else if (mode == UFFDIO_ZEROPAGE_MODE_DONTWAKE)
			badmode = false;
		u.zero.range.start = r.start;
		u.zero.range.len = r.len;
		u.zero.mode = mode;
		u.zero.zeropage = SENTINEL;
		field = &u.zero.zeropage;
		cmd = UFFDIO_ZEROPAGE;
		size = sizeof(u.zero);
		break;
	case OP_CONTINUE:
		if (!badmode)
			mode = (c & 1 ? UFFDIO_CONTINUE_MODE_DONTWAKE : 0) |
			       (c & 6 ? 0 : UFFDIO_CONTINUE_MODE_WP);
		u.cont.range.start = r.start;
		u.cont.range.len = r.len;
		u.cont.mode = mode;
		u.cont.mapped = SENTINEL;
		field = &u.cont.mapped;
		cmd = UFFDIO_CONTINUE;
		size = sizeof(u.cont);
		break;
	default:
		if (!badmode)
			mode = c & 1 ? UFFDIO_POISON_MODE_DONTWAKE : 0;
		else if (mode == UFFDIO_POISON_MODE_DONTWAKE)
			badmode = false;
		u.poison.range.start = r.start;
		u.poison.range.len = r.len;
		u.poison.mode = mode;
		u.poison.updated = SENTINEL;
		field = &u.poison.updated;
		cmd = UFFDIO_POISON;
		size = sizeof(u.poison);
		break;
	}
	if (op == OP_COPY && (mode & ~3ULL))
		badmode = true;
	if (op == OP_CONTINUE && (mode & ~3ULL))
		badmode = true;
	inval |= badmode;
	arg = arg_place(t, &u, size, sizeof(int64_t), how);
	ret = ioctl(w->uffd, cmd, arg);
	e = ret ? errno : 0;
	snprintf(desc, sizeof(desc), "%s dst=%#llx len=%#llx src=%#llx(%s) mode=%#llx%s",
		 op_name[op], (unsigned long long)r.start,
		 (unsigned long long)r.len, (unsigned long long)src, what,
		 (unsigned long long)mode,
		 how == ARG_UNREADABLE ? " arg=unreadable" :
		 how == ARG_STRADDLING ? " arg=straddling" : "");
	judge(w, op, e, inval, how, desc);
	if (how)
		return;
	judge_field(w, e, *field, r.len, desc);
}

static void op_wp(struct wstate *t)
{
	struct world *w = t->w;
	struct uffdio_writeprotect wp;
	struct rrange r;
	unsigned int c = rel_below(&t->rs, 16);
	uint64_t mode;
	char desc[160];
	bool inval;
	int e;

	rand_range(w, &t->rs, &r, false);
	mode = c < 7 ? UFFDIO_WRITEPROTECT_MODE_WP : c < 13 ? 0 :
	       c < 14 ? UFFDIO_WRITEPROTECT_MODE_DONTWAKE :
	       c < 15 ? UFFDIO_WRITEPROTECT_MODE_WP | UFFDIO_WRITEPROTECT_MODE_DONTWAKE :
	       1ULL << (2 + rel_below(&t->rs, 62));
	inval = r.inval || (mode & ~3ULL) ||
		mode == (UFFDIO_WRITEPROTECT_MODE_WP | UFFDIO_WRITEPROTECT_MODE_DONTWAKE);
	wp.range.start = r.start;
	wp.range.len = r.len;
	wp.mode = mode;
	e = ioctl(w->uffd, UFFDIO_WRITEPROTECT, &wp) ? errno : 0;
	snprintf(desc, sizeof(desc), "WRITEPROTECT start=%#llx len=%#llx mode=%#llx",
		 (unsigned long long)r.start, (unsigned long long)r.len,
		 (unsigned long long)mode);
	judge(w, OP_WP, e, inval, ARG_OK, desc);
}

static void op_wake(struct wstate *t)
{
	struct world *w = t->w;
	struct uffdio_range ur;
	struct rrange r;
	char desc[120];
	int e;

	rand_range(w, &t->rs, &r, false);
	ur.start = r.start;
	ur.len = r.len;
	e = ioctl(w->uffd, UFFDIO_WAKE, &ur) ? errno : 0;
	snprintf(desc, sizeof(desc), "WAKE start=%#llx len=%#llx",
		 (unsigned long long)r.start, (unsigned long long)r.len);
	judge(w, OP_WAKE, e, r.inval, ARG_OK, desc);
}

/* ------------------------------------------------------------------ */
/* Racing operations                                                   */
/* ------------------------------------------------------------------ */

static void rop_done(struct world *w, int rop, int err)
{
	inc(err ? &w->rop_err[rop] : &w->rop_ok[rop]);
}

/* Random features for a new userfaultfd (never EVENT_FORK). */
static uint64_t rand_features(struct world *w, uint64_t *rs)
{
	uint64_t f = w->feat_base;

	if (!rel_below(rs, 3))
		f |= UFFD_FEATURE_EVENT_REMAP;
	if (!rel_below(rs, 3))
		f |= UFFD_FEATURE_EVENT_REMOVE;
	if (!rel_below(rs, 3))
		f |= UFFD_FEATURE_EVENT_UNMAP;
	if (!rel_below(rs, 6))
		f |= UFFD_FEATURE_SIGBUS;
	if (!rel_below(rs, 3))
		f |= UFFD_FEATURE_WP_UNPOPULATED;
	if (!rel_below(rs, 8))
		f |= UFFD_FEATURE_WP_ASYNC;
	if (!rel_below(rs, 2))
		f |= UFFD_FEATURE_MOVE;
	return f & w->feat_avail;
}

static void rop_reopen(struct wstate *t)
{
	struct world *w = t->w;
	uint64_t f = rand_features(w, &t->rs);
	char desc[80];
	int fd = rel_uffd_new(f, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		snprintf(desc, sizeof(desc), "API features=%#llx",
			 (unsigned long long)f);
		judge(w, OP_API, -fd, false, ARG_OK, desc);
		rop_done(w, ROP_REOPEN, 1);
		return;
	}
	note(w, OP_API, 0);
	/* Atomically replaces the old one, which is released when unused. */
	if (dup2(fd, w->uffd) < 0)
		rop_done(w, ROP_REOPEN, 1);
	else
		rop_done(w, ROP_REOPEN, 0);
	close(fd);
}

static void child_touch(struct world *w, uint64_t rs)
{
	size_t upages = w->slot_len / w->psz;
	sigjmp_buf jb;
	int i;

	for (i = 0; i < 16; i++) {
		uintptr_t a = (uintptr_t)unit_addr(w, rel_below(&rs, NUNIT)) +
			      rel_below(&rs, upages) * w->psz +
			      rel_below(&rs, w->psz / 8) * 8;
		uint64_t v, exp = img_word(w, a);
		bool wr = rel_below(&rs, 2);

		if (rel_touch_begin(jb))
			continue;
		v = *(volatile uint64_t *)a;
		if (v && v != exp) {
			rel_touch_end();
			w->report[0] = a;
			w->report[1] = v;
			w->report[2] = exp;
			_exit(3);
		}
		if (wr)
			*(volatile uint64_t *)a = exp;
		rel_touch_end();
	}
	_exit(0);
}

static void rop_fork(struct wstate *t)
{
	struct world *w = t->w;
	uint64_t crs = rel_rand(&t->rs);
	int st;
	pid_t pid = fork();

	if (pid < 0) {
		rop_done(w, ROP_FORK, 1);
		return;
	}
	if (!pid)
		child_touch(w, crs);
	if (waitpid(pid, &st, 0) != pid) {
		fail(w, "fork: waitpid: %s", strerror(errno));
		return;
	}
	rop_done(w, ROP_FORK, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 3)
		fail(w, "fork child read %#llx at %#llx, expected 0 or %#llx",
		     (unsigned long long)w->report[1],
		     (unsigned long long)w->report[0],
		     (unsigned long long)w->report[2]);
	else if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail(w, "fork child ended with status %#x", st);
}

static void rop_mmap(struct wstate *t)
{
	struct world *w = t->w;
	unsigned int c = rel_below(&t->rs, 10);
	int kind = c < 6 ? K_SHARED : c < 9 ? K_PRIVATE : K_ANON;

	/*
	 * v6.18 hugetlb_unmap_file_folio() takes a MAP_PRIVATE hugetlbfs
	 * VMA's reserve map for a vma_lock when its trylock fails, and
	 * corrupts it (see repro-hugetlb-private-punch.c): no private
	 * mappings of hugetlbfs files while hole punching races, unless -U.
	 */
	if (w->mt == MT_HUGETLB && kind == K_PRIVATE && !upstream_bugs)
		kind = K_ANON;
	int err = map_unit(w, rel_below(&t->rs, NSLOT), rel_below(&t->rs, 4) == 0,
			   rel_below(&t->rs, 5) == 0, kind);

	rop_done(w, ROP_MMAP, err);
}

static void rop_munmap(struct wstate *t)
{
	struct world *w = t->w;
	size_t upages = w->slot_len / w->psz;
	char *u = unit_addr(w, rel_below(&t->rs, NUNIT));
	size_t first = rel_below(&t->rs, upages);
	size_t n = 1 + rel_below(&t->rs, upages - first);

	rop_done(w, ROP_MUNMAP, munmap(u + first * w->psz, n * w->psz));
}

static void rop_mremap(struct wstate *t)
{
	struct world *w = t->w;
	int s = rel_below(&t->rs, NSLOT);
	char *c = unit_addr(w, canon_unit(s)), *m = unit_addr(w, mirror_unit(s));
	size_t len = rel_below(&t->rs, 2) ? w->slot_len : 2 * w->slot_len;
	size_t upages = w->slot_len / w->psz;
	void *p;

	switch (rel_below(&t->rs, 6)) {
	case 0:
		p = mremap(c, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, m);
		break;
	case 1:
		p = mremap(m, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, c);
		break;
	case 2:
		p = mremap(c, w->slot_len, 2 * w->slot_len, 0);
		break;
	case 3:
		p = mremap(c, w->slot_len,
			   (1 + rel_below(&t->rs, upages)) * w->psz, 0);
		break;
	case 4:
		p = mremap(c, w->slot_len, w->slot_len,
			   MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, m);
		break;
	default:
		p = mremap(m, w->slot_len, w->slot_len,
			   MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, c);
		break;
	}
	rop_done(w, ROP_MREMAP, p == MAP_FAILED);
}

static void rop_dontneed(struct wstate *t)
{
	struct world *w = t->w;
	struct rrange r;
	int adv = rel_mt_is_file(w->mt) && !rel_below(&t->rs, 3) ?
		  MADV_REMOVE : MADV_DONTNEED;

	rand_range(w, &t->rs, &r, false);
	if (r.inval)
		return;
	rop_done(w, ROP_DONTNEED, madvise((void *)(uintptr_t)r.start, r.len, adv));
}

static void rop_punch(struct wstate *t)
{
	struct world *w = t->w;
	size_t obj_len = 2 * w->slot_len;
	off_t off, len;

	if (!rel_mt_is_file(w->mt)) {
		rop_dontneed(t);
		return;
	}
	if (rel_below(&t->rs, 4)) {
		off = rel_below(&t->rs, obj_len / w->psz) * w->psz;
		len = (1 + rel_below(&t->rs, 4)) * w->psz;
	} else {
		/* partial pages get zeroed: by whole words, for the invariant */
		off = rel_below(&t->rs, (obj_len + w->psz) / 8) * 8;
		len = (1 + rel_below(&t->rs, obj_len / 8)) * 8;
	}
	rop_done(w, ROP_PUNCH,
		 fallocate(w->obj[rel_below(&t->rs, NSLOT)],
			   FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len));
}

/* ------------------------------------------------------------------ */
/* Threads                                                             */
/* ------------------------------------------------------------------ */

static void do_op(struct wstate *t)
{
	/* weights, in order of cases below */
	static const unsigned char wt[] = {
		14, 3, 16, 5, 7, 7, 1, 3, 6, 2, 5, 1, 1, 10, 8
	};
	unsigned int i, c, sum = 0;

	for (i = 0; i < sizeof(wt); i++)
		sum += wt[i];
	c = rel_below(&t->rs, sum);
	for (i = 0; c >= wt[i]; i++)
		c -= wt[i];
	switch (i) {
	case 0:
		op_register(t, true);
		break;
	case 1:
		op_register(t, false);
		break;
	case 2:
		op_fill(t, OP_COPY);
		break;
	case 3:
		op_fill(t, OP_ZEROPAGE);
		break;
	case 4:
		op_fill(t, OP_CONTINUE);
		break;
	case 5:
		op_wp(t);
		break;
	case 6:
		op_fill(t, OP_POISON);
		break;
	case 7:
		op_wake(t);
		break;
	case 8:
		rop_mmap(t);
		break;
	case 9:
		rop_munmap(t);
		break;
	case 10:
		rop_mremap(t);
		break;
	case 11:
		rop_fork(t);
		break;
	case 12:
		rop_reopen(t);
		break;
	case 13:
		rop_dontneed(t);
		break;
	default:
		rop_punch(t);
		break;
	}
}

static void *worker(void *arg)
{
	struct wstate *t = arg;
	struct world *w = t->w;

	while (!w->stop_workers) {
		long i = __atomic_fetch_add(&w->iter_next, 1, __ATOMIC_RELAXED);

		if (i >= w->iter_quota)
			break;
		do_op(t);
		__atomic_add_fetch(&w->iters_done, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

struct fthread {
	struct world *w;
	int id;
	uint64_t rs;
};

static void *faulter(void *arg)
{
	struct fthread *ft = arg;
	struct world *w = ft->w;
	struct fstate *f = &w->fst[ft->id];
	size_t upages = w->slot_len / w->psz;
	sigjmp_buf jb;

	f->tid = gettid();
	while (!w->stop_faults) {
		unsigned int c = rel_below(&ft->rs, 10);
		int s = rel_below(&ft->rs, NSLOT);
		int u = c < 7 ? canon_unit(s) : c < 8 ? canon_unit(s) + 1 :
			mirror_unit(s) + rel_below(&ft->rs, 2);
		uintptr_t a = (uintptr_t)unit_addr(w, u) +
			      rel_below(&ft->rs, upages) * w->psz +
			      rel_below(&ft->rs, w->psz / 8) * 8;
		uint64_t v, exp = img_word(w, a);
		bool wr = rel_below(&ft->rs, 4) == 0;

		f->addr = a;
		f->write = wr;
		f->since = now_ns();
		f->busy = 1;
		if (rel_touch_begin(jb)) {
			f->busy = 0;
			inc(&w->tsig);
			continue;
		}
		v = *(volatile uint64_t *)a;
		if (wr)
			*(volatile uint64_t *)a = exp;
		rel_touch_end();
		f->busy = 0;
		inc(&w->touches);
		if (v && v != exp)
			fail(w, "read %#llx at %#lx (image offset %#zx), expected 0 or %#llx",
			     (unsigned long long)v, (unsigned long)a,
			     imgoff(w, a), (unsigned long long)exp);
	}
	f->done = 1;
	return NULL;
}

static void rlog_add(struct world *w, uintptr_t a, uint64_t flags, int op,
		     int err)
{
	unsigned int i = __atomic_fetch_add(&w->rlog_n, 1, __ATOMIC_RELAXED);
	struct rlog *l = &w->rlog[i % RLOG];

	l->addr = a;
	l->flags = flags;
	l->op = op;
	l->err = err;
}

static void wake_range(struct world *w, uint64_t start, uint64_t len)
{
	struct uffdio_range ur = { .start = start, .len = len };
	char desc[96];
	int e = ioctl(w->uffd, UFFDIO_WAKE, &ur) ? errno : 0;

	snprintf(desc, sizeof(desc), "WAKE(resolver) start=%#llx len=%#llx",
		 (unsigned long long)start, (unsigned long long)len);
	judge(w, OP_WAKE, e, false, ARG_OK, desc);
}

/* Resolve the fault at @a as its @flags say; returns 0 or the errno. */
static int resolve_one(struct world *w, uintptr_t a, uint64_t flags)
{
	char desc[160];
	int op, e;

	if (flags & UFFD_PAGEFAULT_FLAG_WP) {
		struct uffdio_writeprotect wp = {
			.range = { .start = a, .len = w->psz },
		};

		op = OP_WP;
		e = ioctl(w->uffd, UFFDIO_WRITEPROTECT, &wp) ? errno : 0;
	} else if (flags & UFFD_PAGEFAULT_FLAG_MINOR) {
		struct uffdio_continue uc = {
			.range = { .start = a, .len = w->psz },
			.mapped = SENTINEL,
		};

		op = OP_CONTINUE;
		e = ioctl(w->uffd, UFFDIO_CONTINUE, &uc) ? errno : 0;
		snprintf(desc, sizeof(desc), "CONTINUE(resolver) dst=%#lx",
			 (unsigned long)a);
		judge_field(w, e, uc.mapped, w->psz, desc);
	} else {
		struct uffdio_copy uc = {
			.dst = a,
			.src = (uintptr_t)w->img + imgoff(w, a),
			.len = w->psz,
			.copy = SENTINEL,
		};

		op = OP_COPY;
		e = ioctl(w->uffd, UFFDIO_COPY, &uc) ? errno : 0;
		snprintf(desc, sizeof(desc), "COPY(resolver) dst=%#lx",
			 (unsigned long)a);
		judge_field(w, e, uc.copy, w->psz, desc);
	}
	snprintf(desc, sizeof(desc), "%s(resolver) start=%#lx len=%#zx flags=%#llx",
		 op_name[op], (unsigned long)a, w->psz,
		 (unsigned long long)flags);
	judge(w, op, e, false, ARG_OK, desc);
	rlog_add(w, a, flags, op, e);
	if (!e)
		inc(&w->resolved);
	return e;
}

/*
 * Faults whose resolution gave EAGAIN (mappings changing: an event is
 * queued behind the faults), retried after reading on.
 */
#define NPEND	64

struct pending {
	uintptr_t a;
	uint64_t flags;
	int tries;
};

static void resolve(struct world *w, struct uffd_msg *msg,
		    struct pending *pend, int *npend)
{
	uint64_t flags = msg->arg.pagefault.flags;
	uintptr_t a = msg->arg.pagefault.address & ~(uintptr_t)(w->psz - 1);
	int e;

	inc(&w->msgs);
	if (!in_region(w, a)) {
		fail(w, "userfault at %#llx, outside the region",
		     (unsigned long long)msg->arg.pagefault.address);
		return;
	}
	e = resolve_one(w, a, flags);
	if (!e)
		return;
	if (e == EAGAIN && *npend < NPEND) {
		pend[*npend].a = a;
		pend[*npend].flags = flags;
		pend[(*npend)++].tries = 1;
		return;
	}
	inc(&w->woken);
	wake_range(w, a, w->psz);
}

static void retry_pending(struct world *w, struct pending *pend, int *npend)
{
	int i, e;

	for (i = 0; i < *npend; ) {
		e = resolve_one(w, pend[i].a, pend[i].flags);
		if (e == EAGAIN && ++pend[i].tries < 20) {
			i++;
			continue;
		}
		if (e) {
			inc(&w->woken);
			wake_range(w, pend[i].a, w->psz);
		}
		pend[i] = pend[--*npend];
	}
}

static void *resolver(void *arg)
{
	struct world *w = arg;
	struct uffd_msg msgs[8];
	struct pending pend[NPEND];
	unsigned int idle = 0;
	int npend = 0;

	while (!w->stop_resolver) {
		struct pollfd pfd = { .fd = w->uffd, .events = POLLIN };
		ssize_t n;
		int i;

		if (poll(&pfd, 1, npend ? 2 : 50) <= 0 ||
		    !(pfd.revents & POLLIN)) {
			if (npend) {
				retry_pending(w, pend, &npend);
				continue;
			}
			/* nothing to read: wake whoever might be waiting */
			if (!(++idle % 4))
				wake_range(w, (uintptr_t)w->lo, w->hi - w->lo);
			continue;
		}
		n = read(w->uffd, msgs, sizeof(msgs));
		if (n < 0) {
			if (errno != EAGAIN)
				fail(w, "read(userfaultfd): %s", strerror(errno));
			continue;
		}
		if (n % sizeof(msgs[0]))
			fail(w, "read(userfaultfd) returned %zd bytes", n);
		for (i = 0; i < n / (ssize_t)sizeof(msgs[0]); i++) {
			if (msgs[i].event == UFFD_EVENT_PAGEFAULT)
				resolve(w, &msgs[i], pend, &npend);
			else if (msgs[i].event == UFFD_EVENT_FORK)
				fail(w, "unexpected fork event");
			else
				inc(&w->events);
		}
		if (npend)
			retry_pending(w, pend, &npend);
	}
	/* the faulters are done: nobody waits for these any more */
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The concurrent phase                                                */
/* ------------------------------------------------------------------ */

static int new_round_uffd(struct world *w, uint64_t *rs)
{
	int fd = rel_uffd_new(rand_features(w, rs), O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		fail(w, "userfaultfd/UFFDIO_API: %s", strerror(-fd));
		return fd;
	}
	w->uffd = fd;
	return 0;
}

/* The VMA around @a (/proc/self/smaps) and its PTE (pagemap). */
static void dump_addr(struct world *w, uintptr_t a)
{
	char line[512];
	bool in = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	printf("#   pagemap of %#lx: %#llx\n", (unsigned long)a,
	       (unsigned long long)rel_pagemap(w->pmfd, (void *)a));
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		if (sscanf(line, "%lx-%lx ", &s, &e) == 2) {
			in = a >= s && a < e;
			if (in)
				printf("#   vma: %s", line);
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8))
			printf("#   %s", line);
	}
	if (f)
		fclose(f);
}

/* What a stuck thread is doing, from /proc, and all tasks to the log. */
static void dump_task(pid_t tid)
{
	static const char *const files[] = { "stat", "wchan", "syscall", "stack" };
	char path[96], buf[512];
	size_t i;
	ssize_t n;
	int fd;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "/proc/self/task/%d/%s", tid, files[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		printf("#   thread %d %s: %s%s", tid, files[i], buf,
		       buf[n - 1] == '\n' ? "" : "\n");
	}
	/* every task's stack to the kernel log */
	rel_write_str("/proc/sysrq-trigger", "t");
	fflush(stdout);
}

static void concurrent_round(struct world *w, int round, long quota)
{
	pthread_t wt[MAX_WORKERS], ftid[MAX_FAULTERS], rt;
	struct wstate ws[MAX_WORKERS];
	struct fthread fts[MAX_FAULTERS];
	uint64_t rs, start;
	int i, stuck;

	rel_seed(&rs, w->seed, w->mt * 1000 + round * 10 + 7);
	if (new_round_uffd(w, &rs))
		return;
	w->stop_workers = w->stop_faults = w->stop_resolver = 0;
	w->iter_quota = quota;
	w->iter_next = 0;
	cur_phase = "concurrent";
	pthread_create(&rt, NULL, resolver, w);
	for (i = 0; i < w->nfaulters; i++) {
		fts[i].w = w;
		fts[i].id = i;
		rel_seed(&fts[i].rs, w->seed, w->mt * 1000 + round * 10 + 100 + i);
		memset(&w->fst[i], 0, sizeof(w->fst[i]));
		pthread_create(&ftid[i], NULL, faulter, &fts[i]);
	}
	for (i = 0; i < w->nworkers; i++) {
		ws[i].w = w;
		ws[i].id = i;
		rel_seed(&ws[i].rs, w->seed, w->mt * 1000 + round * 10 + 200 + i);
		ws[i].scratch_len = w->max_fill + w->psz;
		ws[i].scratch = mmap(NULL, ws[i].scratch_len, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ws[i].straddle = mmap(NULL, 2 * w->pg, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (ws[i].scratch == MAP_FAILED || ws[i].straddle == MAP_FAILED)
			ksft_exit_fail_msg("mmap of worker buffers failed\n");
		mprotect(ws[i].straddle + w->pg, w->pg, PROT_NONE);
		pthread_create(&wt[i], NULL, worker, &ws[i]);
	}
	for (i = 0; i < w->nworkers; i++)
		pthread_join(wt[i], NULL);

	/* Workers are done: the faulters must finish with the resolver's help. */
	cur_phase = "stopping faulters";
	w->stop_faults = 1;
	start = now_ns();
	for (;;) {
		bool all = true;

		for (i = 0; i < w->nfaulters; i++)
			all &= w->fst[i].done;
		if (all || now_ns() - start > STOP_WAIT_S * 1000000000ULL)
			break;
		usleep(20000);
	}
	stuck = 0;
	for (i = 0; i < w->nfaulters; i++) {
		if (w->fst[i].done)
			continue;
		stuck++;
		fail(w, "hang: a %s fault at %#lx is unresolved after %.1f s with the resolver running (busy=%d)",
		     w->fst[i].write ? "write" : "read",
		     (unsigned long)w->fst[i].addr,
		     (now_ns() - w->fst[i].since) / 1e9, w->fst[i].busy);
		dump_task(w->fst[i].tid);
		dump_addr(w, w->fst[i].addr);
	}
	if (stuck) {
		unsigned int n = w->rlog_n, j;

		for (j = n > RLOG ? n - RLOG : 0; j < n; j++) {
			struct rlog *l = &w->rlog[j % RLOG];

			printf("#   resolver log: %s %#lx flags=%#llx -> %s\n",
			       op_name[l->op], (unsigned long)l->addr,
			       (unsigned long long)l->flags,
			       rel_errname(l->err));
		}
		/* Releasing the context wakes every waiter for good. */
		i = rel_uffd_new(w->feat_base, O_CLOEXEC | O_NONBLOCK);
		if (i >= 0) {
			dup2(i, w->uffd);
			close(i);
		}
		start = now_ns();
		for (;;) {
			bool all = true;

			for (i = 0; i < w->nfaulters; i++)
				all &= w->fst[i].done;
			if (all)
				break;
			if (now_ns() - start > 10000000000ULL) {
				for (i = 0; i < w->nfaulters; i++) {
					if (w->fst[i].done)
						continue;
					dump_task(w->fst[i].tid);
					dump_addr(w, w->fst[i].addr);
				}
				printf("Bail out! [%s] faulting thread still stuck after releasing the userfaultfd\n",
				       w->name);
				fflush(stdout);
				_exit(KSFT_FAIL);
			}
			usleep(20000);
		}
	}
	for (i = 0; i < w->nfaulters; i++)
		pthread_join(ftid[i], NULL);
	w->stop_resolver = 1;
	pthread_join(rt, NULL);
	close(w->uffd);
	w->uffd = -1;
	for (i = 0; i < w->nworkers; i++) {
		munmap(ws[i].scratch, ws[i].scratch_len);
		munmap(ws[i].straddle, 2 * w->pg);
	}
}

/* ------------------------------------------------------------------ */
/* The single-threaded phase: scan                                     */
/* ------------------------------------------------------------------ */

/* Check [p, p + len) against the image from @off: words 0 or pattern. */
static void scan_range(struct world *w, char *p, size_t len, size_t off,
		       const char *what)
{
	size_t step = w->mt == MT_HUGETLB ? 256 : 8;
	sigjmp_buf jb;
	size_t pgoff;

	for (pgoff = 0; pgoff < len; pgoff += w->psz) {
		volatile size_t i;

		if (rel_touch_begin(jb))
			continue;
		for (i = 0; i < w->psz; i += step) {
			uint64_t v = *(volatile uint64_t *)(p + pgoff + i);
			uint64_t exp = *(uint64_t *)(w->img + off + pgoff + i);

			if (v && v != exp) {
				rel_touch_end();
				fail(w, "scan of %s: word at %p (image offset %#zx) is %#llx, expected 0 or %#llx",
				     what, p + pgoff + i, off + pgoff + i,
				     (unsigned long long)v,
				     (unsigned long long)exp);
				break;
			}
		}
		rel_touch_end();
		inc(&w->scan_pages);
	}
}

static void scan_round(struct world *w)
{
	int s, u;

	cur_phase = "scan";
	for (u = 0; u < NUNIT; u++)
		scan_range(w, unit_addr(w, u), w->slot_len,
			   imgoff(w, (uintptr_t)unit_addr(w, u)), "the region");
	if (!rel_mt_is_file(w->mt))
		return;
	for (s = 0; s < NSLOT; s++) {
		char *p = mmap(NULL, 2 * w->slot_len, PROT_READ, MAP_SHARED,
			       w->obj[s], 0);

		if (p == MAP_FAILED) {
			fail(w, "scan: mmap of object %d: %s", s, strerror(errno));
			continue;
		}
		scan_range(w, p, 2 * w->slot_len, 2 * s * w->slot_len,
			   "an object");
		munmap(p, 2 * w->slot_len);
	}
}

/* ------------------------------------------------------------------ */
/* The single-threaded phase: model                                    */
/* ------------------------------------------------------------------ */

enum { P_NONE, P_MARKER, P_PAT, P_ZERO, P_CACHE, P_POISON };
enum { C_ABSENT, C_PAT, C_ZERO };

static const char *const pte_name[] = {
	"none", "wp-marker", "pattern", "zero", "cache", "poison"
};

struct model {
	struct world *w;
	int s, kind;
	bool shared, file, hugetlb, markers;
	uint64_t mode;
	char *a;
	size_t np;
	int uffd;
	unsigned char pte[MAX_PAGES], cache[MAX_PAGES];
	uint64_t rs;
	int ops;
};

/*
 * The error filling page @i would give, 0 if it would be filled.  A PTE
 * marker (WP or poison) counts as empty where the kernel uses
 * pte_none_mostly() (installing a folio), as present where it uses
 * pte_none() (the zero page of a private mapping, poisoning).
 */
static int m_step(struct model *m, int op, size_t i, bool badsrc)
{
	int pte = m->pte[i], c = m->cache[i];
	bool none = pte == P_NONE;
	bool nonem = none || pte == P_MARKER || pte == P_POISON;

	switch (op) {
	case OP_COPY:
		if (badsrc) {
			/* only hugetlb looks before copying the source */
			if (m->hugetlb && (!nonem || (m->shared && c != C_ABSENT)))
				return EEXIST;
			return EFAULT;
		}
		if (!nonem || (m->shared && c != C_ABSENT))
			return EEXIST;
		return 0;
	case OP_ZEROPAGE:
#if UFFD_FUZZ_BREAK
		return EEXIST;
#endif
		/* shared: a folio via the memory type; else the zero page */
		if (m->shared)
			return nonem && c == C_ABSENT ? 0 : EEXIST;
		return none ? 0 : EEXIST;
	case OP_CONTINUE:
		if (c == C_ABSENT)
			return EFAULT;
		return nonem ? 0 : EEXIST;
	default:
		return none ? 0 : EEXIST;
	}
}

static void m_apply(struct model *m, int op, size_t i)
{
	switch (op) {
	case OP_COPY:
		m->pte[i] = P_PAT;
		if (m->shared)
			m->cache[i] = C_PAT;
		break;
	case OP_ZEROPAGE:
		m->pte[i] = P_ZERO;
		if (m->shared)
			m->cache[i] = C_ZERO;
		break;
	case OP_CONTINUE:
		m->pte[i] = P_CACHE;
		break;
	default:
		m->pte[i] = P_POISON;
		break;
	}
}

static void m_dump(struct model *m, char *buf, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < m->np && n + 16 < len; i++)
		n += snprintf(buf + n, len - n, "%s%s/%c", i ? " " : "",
			      pte_name[m->pte[i]],
			      "-PZ"[m->cache[i]]);
}

/* One random fill ioctl, its exact result predicted by the model. */
static void m_fill(struct model *m, int op)
{
	struct world *w = m->w;
	union {
		struct uffdio_copy copy;
		struct uffdio_zeropage zero;
		struct uffdio_continue cont;
		struct uffdio_poison poison;
	} u;
	size_t p = rel_below(&m->rs, m->np), n, done = 0, i;
	unsigned int v = rel_below(&m->rs, 100);
	uint64_t start, len, mode = 0, src = 0;
	const char *what = "";
	int experr = 0, e, ret;
	int64_t expfield;
	__s64 *field;
	unsigned long cmd;
	bool badsrc = false, whole = false;
	char desc[200], state[MAX_PAGES * 16];

	n = 1 + rel_below(&m->rs, m->np - p < 4 ? m->np - p : 4);
	start = (uintptr_t)m->a + p * w->psz;
	len = n * w->psz;
	if (op == OP_COPY && v < 15) {
		mode = UFFDIO_COPY_MODE_WP;
	} else if (op == OP_CONTINUE && v < 15) {
		mode = UFFDIO_CONTINUE_MODE_WP;
	} else if (v < 20) {
		/* unaligned */
		start += 8;
		experr = EINVAL;
		expfield = SENTINEL;
	} else if (v < 23) {
		len = 0;
		experr = EINVAL;
		expfield = SENTINEL;
	} else if (v < 28) {
		/* runs past the VMA into the unmapped extension */
		start = (uintptr_t)m->a + (m->np - 1) * w->psz;
		len = 2 * w->psz;
		whole = true;
	} else if (v < 31) {
		mode = 1ULL << (4 + rel_below(&m->rs, 60));
		experr = EINVAL;
		expfield = SENTINEL;
	} else if (v < 35 && m->hugetlb) {
		/* 4K aligned, not 2M aligned: EINVAL, unless past the VMA */
		start += w->pg;
		whole = start + len > (uintptr_t)m->a + w->slot_len;
		if (!whole) {
			experr = EINVAL;
			expfield = -EINVAL;
		}
	}
	if (!experr && whole) {
		experr = ENOENT;
		expfield = -ENOENT;
	} else if (!experr) {
		if ((mode & (UFFDIO_COPY_MODE_WP | UFFDIO_CONTINUE_MODE_WP)) &&
		    !(m->mode & UFFDIO_REGISTER_MODE_WP))
			experr = EINVAL;
		else if (m->hugetlb && op == OP_ZEROPAGE)
			experr = EINVAL;
		else if (!m->file && op == OP_CONTINUE)
			experr = EINVAL;
		else if (REL_CONTINUE_NEEDS_MINOR && op == OP_CONTINUE &&
			 rel_mt_is_module(w->mt) &&
			 !(m->mode & UFFDIO_REGISTER_MODE_MINOR))
			experr = EINVAL;
		if (experr)
			expfield = -experr;
	}

	if (op == OP_COPY) {
		unsigned int c = rel_below(&m->rs, 20);
		const char *img_src = w->img + 2 * m->s * w->slot_len +
				      (start - (uintptr_t)m->a);
		uintptr_t z;
		size_t delta;

		if (experr || c < 10) {
			src = (uintptr_t)img_src;
			what = "image";
		} else if (c < 14) {
			z = (uintptr_t)w->srcmap + (img_src - w->img);
			madvise((void *)z, len, MADV_DONTNEED);
			src = z;
			what = "zapped";
		} else if (c < 18) {
			delta = 1 + rel_below(&m->rs, w->pg - 1);
			memcpy(w->ubuf + delta, img_src, len);
			src = (uintptr_t)w->ubuf + delta;
			what = "unaligned";
		} else {
			src = (uintptr_t)w->lo;
			what = "hole";
			badsrc = true;
		}
	}

	if (!experr) {
		for (i = p; i < p + n; i++) {
			e = m_step(m, op, i, badsrc);
			if (e) {
				experr = e;
				break;
			}
			done++;
		}
		if (done == n) {
			experr = 0;
			expfield = len;
		} else if (done) {
			experr = EAGAIN;
			expfield = done * w->psz;
		} else {
			expfield = -experr;
		}
	}

	memset(&u, 0, sizeof(u));
	switch (op) {
	case OP_COPY:
		u.copy.dst = start;
		u.copy.src = src;
		u.copy.len = len;
		u.copy.mode = mode;
		u.copy.copy = SENTINEL;
		field = &u.copy.copy;
		cmd = UFFDIO_COPY;
		break;
	case OP_ZEROPAGE:
		u.zero.range.start = start;
		u.zero.range.len = len;
		u.zero.mode = mode;
		u.zero.zeropage = SENTINEL;
		field = &u.zero.zeropage;
		cmd = UFFDIO_ZEROPAGE;
		break;
	case OP_CONTINUE:
		u.cont.range.start = start;
		u.cont.range.len = len;
		u.cont.mode = mode;
		u.cont.mapped = SENTINEL;
		field = &u.cont.mapped;
		cmd = UFFDIO_CONTINUE;
		break;
	default:
		u.poison.range.start = start;
		u.poison.range.len = len;
		u.poison.mode = mode;
		u.poison.updated = SENTINEL;
		field = &u.poison.updated;
		cmd = UFFDIO_POISON;
		break;
	}
	m_dump(m, state, sizeof(state));
	ret = ioctl(m->uffd, cmd, &u);
	e = ret ? errno : 0;
	note(w, op, e);
	m->ops++;
	snprintf(desc, sizeof(desc), "model: %s page %zu+%#llx len %#llx src=%s mode=%#llx (%s %s)",
		 op_name[op], p, (unsigned long long)(start - (uintptr_t)m->a -
						     p * w->psz),
		 (unsigned long long)len, what, (unsigned long long)mode,
		 m->kind == K_SHARED ? "shared" : "private",
		 rel_mt_name[w->mt]);
	if (verbose)
		printf("#   %s -> %s field %lld; pages before: %s\n", desc,
		       rel_errname(e), (long long)*field, state);
	if (e != experr || *field != expfield) {
		fail(w, "%s -> %s field %lld, expected %s field %lld; pages before: %s",
		     desc, rel_errname(e), (long long)*field,
		     rel_errname(experr), (long long)expfield, state);
		m->ops = -1000;	/* the model is off: stop this round */
		return;
	}
	/* apply what the kernel did */
	if (!experr || experr == EAGAIN)
		for (i = p; i < p + done; i++)
			m_apply(m, op, i);
}

static void m_wp(struct model *m)
{
	struct world *w = m->w;
	size_t p = rel_below(&m->rs, m->np), n, i, last;
	unsigned int v = rel_below(&m->rs, 100);
	struct uffdio_writeprotect wp;
	bool on = rel_below(&m->rs, 3);
	int experr = 0, e;
	uint64_t start, len;
	char desc[160];

	n = 1 + rel_below(&m->rs, m->np - p);
	start = (uintptr_t)m->a + p * w->psz;
	len = n * w->psz;
	if (v < 10) {
		/* on past the VMA's end: the hole is skipped */
		n = m->np - p;
		len = (n + 1) * w->psz;
	} else if (v < 15) {
		start += 8;
		experr = EINVAL;
	} else if (v < 20 && m->hugetlb) {
		/* the VMA's WP registration is checked before the alignment */
		start += w->pg;
		experr = EINVAL;
		if (!(m->mode & UFFDIO_REGISTER_MODE_WP))
			experr = ENOENT;
	}
	if (!experr && !(m->mode & UFFDIO_REGISTER_MODE_WP))
		experr = ENOENT;
	wp.range.start = start;
	wp.range.len = len;
	wp.mode = on ? UFFDIO_WRITEPROTECT_MODE_WP : 0;
	e = ioctl(m->uffd, UFFDIO_WRITEPROTECT, &wp) ? errno : 0;
	note(w, OP_WP, e);
	m->ops++;
	snprintf(desc, sizeof(desc), "model: WRITEPROTECT page %zu len %#llx mode=%#llx (%s %s)",
		 p, (unsigned long long)len, (unsigned long long)wp.mode,
		 m->kind == K_SHARED ? "shared" : "private", rel_mt_name[w->mt]);
	if (verbose)
		printf("#   %s -> %s\n", desc, rel_errname(e));
	if (e != experr) {
		fail(w, "%s -> %s, expected %s", desc, rel_errname(e),
		     rel_errname(experr));
		m->ops = -1000;
		return;
	}
	if (e)
		return;
	last = p + n < m->np ? p + n : m->np;
	for (i = p; i < last; i++) {
		if (on && m->markers && m->pte[i] == P_NONE)
			m->pte[i] = P_MARKER;
		if (!on && m->pte[i] == P_MARKER)
			m->pte[i] = P_NONE;
	}
}

/* Put @pg's content into the object's page cache, without mapping it here. */
static int m_fill_cache(struct model *m, size_t i, int what)
{
	struct world *w = m->w;
	size_t off = i * w->psz;
	const char *src = w->img + 2 * m->s * w->slot_len + off;
	char *p;

	if (w->mt == MT_SHMEM) {
		static char zero[4096];
		ssize_t r = pwrite(w->obj[m->s], what == C_PAT ? src : zero,
				   w->psz, off);

		return r == (ssize_t)w->psz ? 0 : -1;
	}
	p = mmap(NULL, w->psz, PROT_READ | PROT_WRITE, MAP_SHARED,
		 w->obj[m->s], off);
	if (p == MAP_FAILED)
		return -1;
	if (what == C_PAT)
		memcpy(p, src, w->psz);
	else
		*(volatile char *)p = 0;
	munmap(p, w->psz);
	return 0;
}

/* Pages of slot @s's object in the page cache, from its st_blocks. */
static long obj_blocks_pages(struct world *w, int s)
{
	struct stat st;

	if (fstat(w->obj[s], &st))
		return -1;
	return st.st_blocks * 512 / w->psz;
}

static bool m_content(struct model *m, char *p, int kind, int cachest,
		      size_t i, const char *what)
{
	struct world *w = m->w;
	const char *img = w->img + 2 * m->s * w->slot_len + i * w->psz;
	bool want_pat, ok;

	/* a PTE of the pattern, or of (or through to) a page cache page */
	want_pat = kind == P_PAT || (kind != P_ZERO && cachest == C_PAT);
	if (want_pat)
		ok = !memcmp(p, img, w->psz);
	else
		ok = rel_zero_check(p, w->psz) < 0;
	if (ok)
		return true;
	fail(w, "model: %s page %zu (%s, cache %c) has wrong contents: first word %#llx, expected %s",
	     what, i, pte_name[kind], "-PZ"[cachest],
	     (unsigned long long)*(volatile uint64_t *)p,
	     want_pat ? "the pattern" : "zeroes");
	return false;
}

/* After unregistering: every page as the model says. */
static void m_verify(struct model *m)
{
	struct world *w = m->w;
	char *alias = NULL;
	long want = 0, blocks;
	sigjmp_buf jb;
	size_t i;

	cur_phase = "model verify";
	if (m->file) {
		alias = mmap(NULL, 2 * w->slot_len, PROT_READ, MAP_SHARED,
			     w->obj[m->s], 0);
		if (alias == MAP_FAILED) {
			fail(w, "model: alias mmap: %s", strerror(errno));
			alias = NULL;
		}
		for (i = 0; i < m->np; i++)
			want += m->cache[i] != C_ABSENT;
	}
	/* the page cache: st_blocks (shmem, hugetlb), mincore() (not hugetlb) */
	if (m->file && (w->mt == MT_SHMEM || w->mt == MT_HUGETLB)) {
		blocks = obj_blocks_pages(w, m->s);
		if (blocks != want)
			fail(w, "model: object has %ld pages (st_blocks), expected %ld",
			     blocks, want);
	}
	if (alias && w->mt != MT_HUGETLB) {
		for (i = 0; i < 2 * m->np; i++) {
			int in = rel_mincore1(alias + i * w->psz);
			int exp = i < m->np && m->cache[i] != C_ABSENT;

			if (in != exp)
				fail(w, "model: page %zu of the object is %sin the page cache",
				     i, in ? "" : "not ");
		}
	}
	/* the PTEs, before reading maps more (fault-around) */
	for (i = 0; i < m->np; i++) {
		uint64_t pm = rel_pagemap(w->pmfd, m->a + i * w->psz);
		int k = m->pte[i];
		bool present = k == P_PAT || k == P_ZERO || k == P_CACHE;

		if (!!(pm & REL_PM_PRESENT) != present)
			fail(w, "model: page %zu (%s) is %spresent in pagemap (%#llx)",
			     i, pte_name[k], pm & REL_PM_PRESENT ? "" : "not ",
			     (unsigned long long)pm);
	}
	for (i = 0; i < m->np; i++) {
		char *p = m->a + i * w->psz;
		int k = m->pte[i];
		int sig;

		sig = rel_touch_begin(jb);
		if (sig) {
			if (k != P_POISON)
				fail(w, "model: reading page %zu (%s) got signal %d",
				     i, pte_name[k], sig);
			continue;
		}
		*(volatile char *)p;
		rel_touch_end();
		if (k == P_POISON) {
			fail(w, "model: poisoned page %zu read without SIGBUS", i);
			continue;
		}
		m_content(m, p, k, m->cache[i], i, "mapped");
		inc(&w->model_pages);
		if (alias && m->cache[i] != C_ABSENT)
			m_content(m, alias + i * w->psz, P_NONE, m->cache[i], i,
				  "object");
	}
	if (alias)
		munmap(alias, 2 * w->slot_len);
}

static void model_round(struct world *w, int round)
{
	struct model m;
	struct uffdio_register ur;
	char desc[160];
	size_t i;
	int ops, e, fd2;
	uint64_t feat, exp;

	memset(&m, 0, sizeof(m));
	m.w = w;
	rel_seed(&m.rs, w->seed, w->mt * 1000 + round * 10 + 3);
	m.s = rel_below(&m.rs, NSLOT);
	m.file = rel_mt_is_file(w->mt);
	m.hugetlb = w->mt == MT_HUGETLB;
	m.kind = !m.file ? K_ANON : rel_below(&m.rs, 3) ? K_SHARED : K_PRIVATE;
	m.shared = m.kind == K_SHARED;
	m.a = unit_addr(w, canon_unit(m.s));
	m.np = w->slot_len / w->psz;
	cur_phase = "model setup";

	/* an empty slot */
	munmap(m.a, 2 * w->slot_len);
	munmap(unit_addr(w, mirror_unit(m.s)), 2 * w->slot_len);
	if (m.file) {
		if (fallocate(w->obj[m.s], FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      0, 2 * w->slot_len)) {
			fail(w, "model: PUNCH_HOLE of the object: %s",
			     strerror(errno));
			return;
		}
		if ((w->mt == MT_SHMEM || w->mt == MT_HUGETLB) &&
		    obj_blocks_pages(w, m.s))
			fail(w, "model: object not empty after PUNCH_HOLE: %ld pages",
			     obj_blocks_pages(w, m.s));
		for (i = 0; i < m.np; i++) {
			unsigned int c = rel_below(&m.rs, 6);

			if (c >= 2)
				continue;
			m.cache[i] = c ? C_PAT : C_ZERO;
			if (m_fill_cache(&m, i, m.cache[i])) {
				fail(w, "model: filling the page cache: %s",
				     strerror(errno));
				return;
			}
		}
	}
	e = map_unit(w, m.s, 0, 0, m.kind);
	if (e) {
		fail(w, "model: mmap: %s", strerror(-e));
		return;
	}

	feat = w->feat_base;
	if (!rel_below(&m.rs, 2))
		feat |= UFFD_FEATURE_WP_UNPOPULATED & w->feat_avail;
	m.markers = m.file || (feat & UFFD_FEATURE_WP_UNPOPULATED);
	m.uffd = rel_uffd_new(feat, O_CLOEXEC | O_NONBLOCK);
	if (m.uffd < 0) {
		fail(w, "model: userfaultfd: %s", strerror(-m.uffd));
		return;
	}

	/* registration */
	memset(&ur, 0, sizeof(ur));
	ur.range.start = (uintptr_t)m.a;
	ur.range.len = w->slot_len;
	if (!m.file) {
		ur.mode = UFFDIO_REGISTER_MODE_MINOR;
		e = ioctl(m.uffd, UFFDIO_REGISTER, &ur) ? errno : 0;
		note(w, OP_REGISTER, e);
		if (e != EINVAL)
			fail(w, "model: REGISTER MINOR on anon -> %s, expected EINVAL",
			     rel_errname(e));
	}
	m.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (m.file && rel_below(&m.rs, 2))
		m.mode |= UFFDIO_REGISTER_MODE_MINOR;
	if (rel_below(&m.rs, 2))
		m.mode |= UFFDIO_REGISTER_MODE_WP;
	ur.mode = m.mode;
	ur.ioctls = 0;
	e = ioctl(m.uffd, UFFDIO_REGISTER, &ur) ? errno : 0;
	note(w, OP_REGISTER, e);
	exp = rel_mt_ioctls(w->mt, m.shared, m.mode);
	snprintf(desc, sizeof(desc), "model: REGISTER %s %s mode %#llx",
		 m.kind == K_SHARED ? "shared" : "private", rel_mt_name[w->mt],
		 (unsigned long long)m.mode);
	if (verbose)
		printf("# model round %d: slot %d, %s, markers %d\n#   %s -> %s ioctls %#llx\n",
		       round, m.s, m.hugetlb ? "hugetlb" : rel_mt_name[w->mt],
		       m.markers, desc, rel_errname(e),
		       (unsigned long long)ur.ioctls);
	if (e || ur.ioctls != exp) {
		fail(w, "%s -> %s ioctls %#llx, expected ok ioctls %#llx", desc,
		     rel_errname(e), (unsigned long long)ur.ioctls,
		     (unsigned long long)exp);
		close(m.uffd);
		return;
	}
	/* another context cannot take it */
	fd2 = rel_uffd_new(w->feat_base, O_CLOEXEC);
	if (fd2 >= 0) {
		e = ioctl(fd2, UFFDIO_REGISTER, &ur) ? errno : 0;
		note(w, OP_REGISTER, e);
		if (e != EBUSY)
			fail(w, "%s on a second userfaultfd -> %s, expected EBUSY",
			     desc, rel_errname(e));
		close(fd2);
	}

	cur_phase = "model ops";
	ops = 3 * m.np < 12 ? 12 : 3 * m.np;
	while (m.ops >= 0 && m.ops < ops) {
		unsigned int c = rel_below(&m.rs, 20);

		if (c < 8)
			m_fill(&m, OP_COPY);
		else if (c < 11)
			m_fill(&m, OP_ZEROPAGE);
		else if (c < 15)
			m_fill(&m, OP_CONTINUE);
		else if (c < 17)
			m_fill(&m, OP_POISON);
		else
			m_wp(&m);
	}
	if (m.ops > 0)
		w->model_ops += m.ops;

	/* unregister, release, check */
	e = ioctl(m.uffd, UFFDIO_UNREGISTER, &ur.range) ? errno : 0;
	note(w, OP_UNREGISTER, e);
	if (e)
		fail(w, "model: UNREGISTER -> %s", rel_errname(e));
	close(m.uffd);
	if (m.ops >= 0)
		m_verify(&m);
	/* see rop_mmap(): no private hugetlbfs mapping in the races */
	if (m.hugetlb && m.kind == K_PRIVATE && !upstream_bugs)
		map_unit(w, m.s, 0, 0, K_SHARED);
}

/* ------------------------------------------------------------------ */
/* A memory type                                                       */
/* ------------------------------------------------------------------ */

static int world_setup(struct world *w, int mt, uint64_t seed,
		       uint64_t feat_avail, char *why, size_t whylen)
{
	size_t slot_pages, span;
	char *hint;
	void *p;
	int s, e;

	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->print_lock, NULL);
	w->mt = mt;
	w->name = rel_mt_name[mt];
	w->seed = seed;
	w->pseed = seed ^ (0x5851F42D4C957F2DULL * (mt + 1));
	w->psz = rel_mt_psize(mt);
	w->pg = getpagesize();
	slot_pages = mt == MT_HUGETLB ? 2 : 16;
	w->slot_len = slot_pages * w->psz;
	w->half_len = 2 * NSLOT * w->slot_len;
	w->region_len = 2 * w->half_len;
	w->max_fill = 2 * w->slot_len;
	w->feat_avail = feat_avail;
	w->feat_base = feat_avail &
		(UFFD_FEATURE_MISSING_SHMEM | UFFD_FEATURE_MISSING_HUGETLBFS |
		 UFFD_FEATURE_MINOR_SHMEM | UFFD_FEATURE_MINOR_HUGETLBFS |
		 UFFD_FEATURE_WP_HUGETLBFS_SHMEM | UFFD_FEATURE_POISON |
		 UFFD_FEATURE_THREAD_ID);
	w->uffd = -1;
	for (s = 0; s < NSLOT; s++)
		w->obj[s] = -1;

	/* a region nothing else will ever be placed in */
	span = w->region_len + 2 * GUARD_UNITS * w->slot_len;
	hint = (char *)(0x100000000000UL + mt * 0x10000000000UL);
	p = mmap(hint, span, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
		 -1, 0);
	if (p != hint) {
		snprintf(why, whylen, "cannot reserve the region at %p: %s",
			 hint, p == MAP_FAILED ? strerror(errno) : "moved");
		return -1;
	}
	munmap(p, span);
	w->lo = p;
	w->base = w->lo + GUARD_UNITS * w->slot_len;
	w->hi = w->lo + span;

	/* the pattern image, with its start repeated after the end */
	w->img_len = w->half_len + w->max_fill;
	w->img = mmap(NULL, w->img_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w->img == MAP_FAILED) {
		snprintf(why, whylen, "mmap of the image: %s", strerror(errno));
		return -1;
	}
	rel_pat_fill(w->img, w->pseed, mt, 0, w->half_len);
	memcpy(w->img + w->half_len, w->img, w->max_fill);
	w->srcfd = memfd_create("uffd-fuzz-src", MFD_CLOEXEC);
	if (w->srcfd < 0 || ftruncate(w->srcfd, w->img_len) ||
	    pwrite(w->srcfd, w->img, w->img_len, 0) != (ssize_t)w->img_len) {
		snprintf(why, whylen, "source memfd: %s", strerror(errno));
		return -1;
	}
	w->srcmap = mmap(NULL, w->img_len, PROT_READ, MAP_SHARED, w->srcfd, 0);
	w->ubuf = mmap(NULL, w->max_fill + w->psz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	w->report = mmap(NULL, w->pg, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	w->pmfd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (w->srcmap == MAP_FAILED || w->report == MAP_FAILED ||
	    w->ubuf == MAP_FAILED || w->pmfd < 0) {
		snprintf(why, whylen, "setup: %s", strerror(errno));
		return -1;
	}

	for (s = 0; s < NSLOT; s++) {
		if (rel_mt_is_file(mt)) {
			w->obj[s] = rel_obj_create(mt, 2 * w->slot_len);
			if (w->obj[s] < 0) {
				snprintf(why, whylen, "creating a %s object: %s",
					 w->name, strerror(-w->obj[s]));
				w->obj[s] = -1;
				return -1;
			}
		}
		e = map_unit(w, s, 0, 0, K_SHARED);
		if (e) {
			snprintf(why, whylen, "mmap of a %s slot: %s", w->name,
				 strerror(-e));
			return -1;
		}
	}
	return 0;
}

static void world_teardown(struct world *w)
{
	int s;

	if (w->uffd >= 0)
		close(w->uffd);
	if (w->lo)
		munmap(w->lo, w->hi - w->lo);
	for (s = 0; s < NSLOT; s++)
		if (w->obj[s] >= 0)
			close(w->obj[s]);
	if (w->img && w->img != MAP_FAILED)
		munmap(w->img, w->img_len);
	if (w->srcmap && w->srcmap != MAP_FAILED)
		munmap(w->srcmap, w->img_len);
	if (w->ubuf && w->ubuf != MAP_FAILED)
		munmap(w->ubuf, w->max_fill + w->psz);
	if (w->srcfd > 0)
		close(w->srcfd);
	if (w->report && w->report != MAP_FAILED)
		munmap((void *)w->report, w->pg);
	if (w->pmfd > 0)
		close(w->pmfd);
}

static void print_summary(struct world *w, double secs)
{
	char buf[4096];
	size_t n = 0;
	int op, e, r;

	n += snprintf(buf + n, sizeof(buf) - n,
		      "# %s: iterations=%ld seed=%llu rounds=%d time=%.1fs ioctls:",
		      w->name, w->iters_done, (unsigned long long)w->seed,
		      w->rounds, secs);
	for (op = 0; op < NR_OPS; op++) {
		n += snprintf(buf + n, sizeof(buf) - n, " %s[", op_name[op]);
		for (e = 0, r = 0; e <= 64; e++) {
			if (!w->res[op][e])
				continue;
			n += snprintf(buf + n, sizeof(buf) - n, "%s%s=%lu",
				      r++ ? " " : "",
				      e == 64 ? "other" : rel_errname(e),
				      w->res[op][e]);
		}
		n += snprintf(buf + n, sizeof(buf) - n, "]");
	}
	n += snprintf(buf + n, sizeof(buf) - n,
		      " faults: resolved=%lu unresolved-woken=%lu messages=%lu events=%lu",
		      w->resolved, w->woken, w->msgs, w->events);
	printf("%s\n", buf);
	n = snprintf(buf, sizeof(buf),
		     "# %s: touches=%lu signals=%lu scan-pages=%lu model-ops=%lu model-pages=%lu racers:",
		     w->name, w->touches, w->tsig, w->scan_pages, w->model_ops,
		     w->model_pages);
	for (r = 0; r < NR_ROPS; r++)
		n += snprintf(buf + n, sizeof(buf) - n, " %s=%lu/%lu",
			      rop_name[r], w->rop_ok[r],
			      w->rop_ok[r] + w->rop_err[r]);
	printf("%s failures=%d\n", buf, w->failures);
	fflush(stdout);
}

struct opts {
	uint64_t seed;
	long iters;
	int threads;
	int timeout;
};

static void run_type(int mt, struct opts *o, uint64_t feat_avail)
{
	static struct world world;
	struct world *w = &world;
	char why[256];
	long per_round;
	uint64_t t0 = now_ns();
	int r, nrounds;

	if (!feat_avail) {
		ksft_test_result_skip("%s: userfaultfd is not available\n",
				      rel_mt_name[mt]);
		return;
	}
	if (rel_mt_unavailable(mt, 48, why, sizeof(why))) {
		ksft_test_result_skip("%s: %s\n", rel_mt_name[mt], why);
		return;
	}
	cur_world = NULL;
	alarm(o->timeout);
	if (world_setup(w, mt, o->seed, feat_avail, why, sizeof(why))) {
		world_teardown(w);
		ksft_test_result_fail("%s: setup: %s\n", rel_mt_name[mt], why);
		return;
	}
	cur_world = w;
	w->nworkers = o->threads;
	w->nfaulters = o->threads ? (o->threads + 1) / 2 : 0;
	if (w->nfaulters > MAX_FAULTERS)
		w->nfaulters = MAX_FAULTERS;
	nrounds = o->iters / 500;
	if (nrounds < 1)
		nrounds = 1;
	if (nrounds > 10)
		nrounds = 10;
	per_round = (o->iters + nrounds - 1) / nrounds;
	for (r = 0; r < nrounds; r++) {
		if (w->nworkers) {
			long left = o->iters - w->iters_done;

			concurrent_round(w, r, left < per_round ? left : per_round);
			scan_round(w);
		}
		model_round(w, 2 * r);
		model_round(w, 2 * r + 1);
		w->rounds++;
	}
	cur_phase = "teardown";
	world_teardown(w);
	alarm(0);
	print_summary(w, (now_ns() - t0) / 1e9);
	ksft_test_result(!w->failures, "%s\n", w->name);
	cur_world = NULL;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-s SEED] [-n ITERATIONS] [-t anon|shmem|hugetlb|testmem|rustmem|all] [-j THREADS] [-T SECONDS] [-v] [-U]\n",
		prog);
	exit(KSFT_FAIL);
}

int main(int argc, char **argv)
{
	struct opts o = {
		.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32),
		.iters = 4000,
		.threads = 4,
		.timeout = 600,
	};
	bool want[NR_MT] = { 0 };
	uint64_t feat;
	int c, mt, n = 0;

	while ((c = getopt(argc, argv, "s:n:t:j:T:vUh")) != -1) {
		switch (c) {
		case 'v':
			verbose++;
			break;
		case 'U':
			upstream_bugs = true;
			break;
		case 's':
			o.seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			o.iters = strtol(optarg, NULL, 0);
			break;
		case 't':
			if (!strcmp(optarg, "all")) {
				for (mt = 0; mt < NR_MT; mt++)
					want[mt] = true;
				break;
			}
			for (mt = 0; mt < NR_MT; mt++)
				if (!strcmp(optarg, rel_mt_name[mt]))
					want[mt] = true;
			break;
		case 'j':
			o.threads = strtol(optarg, NULL, 0);
			break;
		case 'T':
			o.timeout = strtol(optarg, NULL, 0);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (o.threads < 0 || o.threads > MAX_WORKERS || o.iters < 1 ||
	    o.timeout < 1)
		usage(argv[0]);
	for (mt = 0; mt < NR_MT; mt++)
		n += want[mt];
	if (!n)
		for (mt = 0; mt < NR_MT; mt++, n++)
			want[mt] = true;

	printf("# uffd-fuzz: seed=%llu iterations=%ld threads=%d\n",
	       (unsigned long long)o.seed, o.iters, o.threads);
	fflush(stdout);
	ksft_print_header();
	ksft_set_plan(n);
	mmap_min_addr = rel_read_long("/proc/sys/vm/mmap_min_addr");
	if ((long)mmap_min_addr < 0)
		mmap_min_addr = 4096;
	signal(SIGALRM, watchdog);
	rel_touch_install();
	feat = rel_uffd_features();
	for (mt = 0; mt < NR_MT; mt++)
		if (want[mt])
			run_type(mt, &o, feat);
	ksft_finished();
}
