// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-failinject: allocation failures inside the userfaultfd fill ioctls
 * (UFFDIO_COPY, UFFDIO_ZEROPAGE, UFFDIO_CONTINUE) on every memory type of
 * the vm_uffd_ops series: anon, shmem (memfd), hugetlb, testmem
 * (/dev/uffd_test_memtype) and rustmem (/dev/rust_uffd_mem).
 *
 *   uffd-failinject [-s SEED] [-t TYPE] [-n MAXNTH] [-r RANDOM] [-T SECONDS]
 *
 *   -t  anon|shmem|hugetlb|testmem|rustmem|all (default all)
 *   -n  the systematic sweep fails allocation 1, 2, ... up to this (40)
 *   -r  trials per fill ioctl with probability-based injection (12)
 *   -T  watchdog, seconds (default 900)
 *   -v  the kernel logs a stack trace for every injected failure
 *
 * Every trial fills NP pages of a fresh mapping (its page tables do not
 * exist yet, and the range crosses a page table boundary after its first
 * page, so that the fill can fail after partial progress) of a memory
 * object whose page cache was emptied with FALLOC_FL_PUNCH_HOLE, with an
 * allocation failure injected:
 *
 *  - systematically: /proc/thread-self/fail-nth makes the n-th allocation
 *    of the ioctl fail (fail_page_alloc and failslab, with their
 *    ignore-gfp-wait, ignore-gfp-highmem and min-order filters off), for
 *    n = 1, 2, ... until the ioctl makes fewer than n allocations;
 *  - randomly, as fault-injection.rst describes it: probability=100,
 *    interval=1, times=1, a random "space" (allocations to let through
 *    first), task-filter=Y and /proc/self/make-it-fail set around the
 *    ioctl only, on fail_page_alloc or failslab.
 *
 * UFFDIO_COPY runs twice: from a source that is mapped, and from one whose
 * PTEs were zapped, so that the copy is retried outside the locks with the
 * folio carried over.  CONTINUE maps pages put into the page cache first.
 *
 * Checks, for every trial:
 *  - a failing ioctl returns ENOMEM with the output field -ENOMEM, or
 *    EAGAIN with the pages done so far in the output field (a multiple of
 *    the page size, less than the length); an injected failure may also
 *    be absorbed (the ioctl succeeds);
 *  - the pages reported done are mapped (pagemap) with the right contents,
 *    the others are neither mapped nor, for COPY and ZEROPAGE on a file
 *    memory type, in the page cache (st_blocks for shmem and hugetlb,
 *    mincore() of a second mapping for all file types): no stale entry;
 *  - the same ioctl on the rest, without injection, succeeds (not EEXIST)
 *    and everything then reads back right.
 * Per memory type, the counters before the first and after the last
 * trial (objects closed, mappings gone) must match: memcg memory.current
 * (within 640 KiB: per-cpu charge stocks, RCU-freed page tables) and
 * memory.stat anon/file/shmem (exact), Shmem and Unevictable in
 * /proc/meminfo (exact), and the hugetlb pool (exact).  The process runs
 * in a memory cgroup of its own (cgroup2 is mounted on /sys/fs/cgroup if
 * needed) and on CPU 0 only.  Leaks are kmemleak's verdict, taken by the
 * harness after this program (cargo xtask test: one scan implementation,
 * against a baseline taken at boot).
 *
 * hugetlb allocates from its pool, not the page allocator: its "pool"
 * test shrinks the pool (nr_hugepages) to a few free pages and checks
 * that COPY into shared and private MAP_NORESERVE mappings stops with
 * ENOMEM/EAGAIN and the right partial progress, that CONTINUE still works,
 * and that the pool is back to its start afterwards.  It needs no fault
 * injection and runs on any kernel.
 *
 * Without the debugfs fault injection files (CONFIG_FAIL_PAGE_ALLOC,
 * CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_DEBUG_FS) the injection tests
 * are skipped with the reason.  Output is KTAP, with a line of figures per
 * test.  Built with -DUFFD_FI_BREAK=1, partial progress (EAGAIN) counts as
 * a failure, to show that a wrong expectation is caught.
 */
#include "uffd-rel.h"

#include <limits.h>
#include <malloc.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>

#include "tools/testing/selftests/kselftest.h"

#define FPA		"/sys/kernel/debug/fail_page_alloc/"
#define FSL		"/sys/kernel/debug/failslab/"
#define CG_ROOT		"/sys/fs/cgroup"
#define SENTINEL	0x5a5a5a5a5a5aLL
#define MEMCG_TOL	(640 << 10)
#define MAX_NP		4

enum fop { F_COPY, F_COPY_RETRY, F_ZEROPAGE, F_CONTINUE, NR_FOPS };

static const char *const fop_name[NR_FOPS] = {
	[F_COPY]	= "COPY",
	[F_COPY_RETRY]	= "COPY(retry path)",
	[F_ZEROPAGE]	= "ZEROPAGE",
	[F_CONTINUE]	= "CONTINUE",
};

/* Injection: none, the n-th allocation, or probability-based. */
enum { INJ_NONE, INJ_NTH, INJ_PAGE, INJ_SLAB };

struct fi {
	uint64_t seed, rs;
	int maxnth, nrandom;
	bool verbose;		/* the kernel logs every injected failure */
	bool debugfs;		/* fail_page_alloc and failslab */
	char nodebugfs[200];
	int nth_fd;
	int mif_fd;		/* /proc/self/make-it-fail */
	int pmfd;
	bool memcg;
	char memcg_why[200];
	char cg[128];
	bool cg_mounted;
	/* saved debugfs settings, restored at exit */
	char saved[16][32];
};

static struct fi F;

/* One memory type under test. */
struct tctx {
	int mt;
	const char *name;
	size_t psz, pg, np, len;
	uint64_t pseed;
	int obj;		/* -1 for anon */
	char *pat;		/* the pattern of the object, len bytes */
	int srcfd;
	char *srcmap;		/* a shmem copy of pat, zapped for the retry path */
	int failures;
	/* figures of the current test */
	unsigned long trials, injected, absorbed, partial, retries;
	unsigned long rnd_trials, rnd_injected;	/* probability-based */
	unsigned long hugetlb_eexist;
	unsigned long errs[65];
	long memcg_peak;	/* memory.current seen with pages filled */
};

static volatile const char *cur_what = "setup";

static __printf(2, 3) void tfail(struct tctx *t, const char *fmt, ...)
{
	va_list ap;

	t->failures++;
	if (t->failures > 30)
		return;
	printf("# FAIL [%s seed=%llu] ", t->name, (unsigned long long)F.seed);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void watchdog(int sig)
{
	char buf[200];
	int n;

	(void)sig;
	n = snprintf(buf, sizeof(buf),
		     "# TIMEOUT: watchdog expired during %s\nBail out! uffd-failinject hung\n",
		     cur_what);
	if (write(STDOUT_FILENO, buf, n) < 0)
		n = 0;
	_exit(KSFT_FAIL);
}

/* ------------------------------------------------------------------ */
/* Fault injection                                                      */
/* ------------------------------------------------------------------ */

static const char *const fi_files[] = {
	FPA "probability", FPA "interval", FPA "times", FPA "space",
	FPA "verbose", FPA "task-filter", FPA "ignore-gfp-wait",
	FPA "ignore-gfp-highmem", FPA "min-order",
	FSL "probability", FSL "interval", FSL "times", FSL "space",
	FSL "verbose", FSL "task-filter", FSL "ignore-gfp-wait",
};

static int fi_set(const char *path, const char *val)
{
	int e = rel_write_str(path, val);

	if (e)
		printf("# cannot write %s to %s: %s\n", val, path, strerror(-e));
	return e;
}

static void fi_restore(void)
{
	size_t i;

	if (!F.debugfs)
		return;
	for (i = 0; i < ARRAY_SIZE(fi_files); i++)
		if (F.saved[i][0])
			rel_write_str(fi_files[i], F.saved[i]);
	rel_write_str("/proc/self/make-it-fail", "0");
}

/* Find and set up fault injection; F.debugfs tells whether it works. */
static void fi_setup(void)
{
	size_t i;
	int e = 0;

	F.nth_fd = F.mif_fd = -1;
	for (i = 0; i < ARRAY_SIZE(fi_files); i++) {
		FILE *f = fopen(fi_files[i], "r");

		if (!f) {
			snprintf(F.nodebugfs, sizeof(F.nodebugfs),
				 "no fault injection (%s: %s; needs FAIL_PAGE_ALLOC, FAILSLAB, FAULT_INJECTION_DEBUG_FS)",
				 fi_files[i], strerror(errno));
			return;
		}
		if (!fgets(F.saved[i], sizeof(F.saved[i]), f))
			F.saved[i][0] = '\0';
		fclose(f);
	}
	/* opened once: arming and disarming must not allocate */
	F.nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	F.mif_fd = open("/proc/self/make-it-fail", O_RDWR | O_CLOEXEC);
	if (F.nth_fd < 0 || F.mif_fd < 0) {
		snprintf(F.nodebugfs, sizeof(F.nodebugfs),
			 "no fault injection: /proc/thread-self/fail-nth or /proc/self/make-it-fail: %s",
			 strerror(errno));
		return;
	}
	F.debugfs = true;
	/* injection only when armed, quietly, for every kind of allocation */
	e |= fi_set(FPA "times", "0");
	e |= fi_set(FSL "times", "0");
	e |= fi_set(FPA "probability", "100");
	e |= fi_set(FSL "probability", "100");
	e |= fi_set(FPA "interval", "1");
	e |= fi_set(FSL "interval", "1");
	e |= fi_set(FPA "verbose", F.verbose ? "2" : "0");
	e |= fi_set(FSL "verbose", F.verbose ? "2" : "0");
	e |= fi_set(FPA "task-filter", "Y");
	e |= fi_set(FSL "task-filter", "Y");
	e |= fi_set(FPA "ignore-gfp-wait", "N");
	e |= fi_set(FSL "ignore-gfp-wait", "N");
	e |= fi_set(FPA "ignore-gfp-highmem", "N");
	e |= fi_set(FPA "min-order", "0");
	e |= fi_set(FPA "space", "0");
	e |= fi_set(FSL "space", "0");
	if (e) {
		fi_restore();
		F.debugfs = false;
		snprintf(F.nodebugfs, sizeof(F.nodebugfs),
			 "cannot configure the debugfs fault injection files");
	}
}

static unsigned long fi_nth_read(void)
{
	char buf[32] = "";

	if (pread(F.nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		return ~0UL;
	return strtoul(buf, NULL, 10);
}

static void fi_nth_write(unsigned long n)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%lu", n);

	if (pwrite(F.nth_fd, buf, len, 0) != len)
		ksft_exit_fail_msg("writing fail-nth: %s\n", strerror(errno));
}

/* Arm right before the ioctl: @inj with @arg (n, or the space). */
static void fi_arm(int inj, unsigned long arg)
{
	char buf[32];

	switch (inj) {
	case INJ_NTH:
		fi_nth_write(arg);
		break;
	case INJ_PAGE:
	case INJ_SLAB:
		snprintf(buf, sizeof(buf), "%lu", arg);
		rel_write_str(inj == INJ_PAGE ? FPA "space" : FSL "space", buf);
		rel_write_str(inj == INJ_PAGE ? FPA "times" : FSL "times", "1");
		if (pwrite(F.mif_fd, "1", 1, 0) != 1)
			ksft_exit_fail_msg("make-it-fail: %s\n", strerror(errno));
		break;
	}
}

/* Disarm right after the ioctl; returns whether a failure was injected. */
static bool fi_disarm(int inj)
{
	const char *times = inj == INJ_PAGE ? FPA "times" : FSL "times";
	unsigned long left;

	switch (inj) {
	case INJ_NTH:
		left = fi_nth_read();
		if (left)
			fi_nth_write(0);
		return !left;
	case INJ_PAGE:
	case INJ_SLAB:
		if (pwrite(F.mif_fd, "0", 1, 0) != 1)
			ksft_exit_fail_msg("make-it-fail: %s\n", strerror(errno));
		left = rel_read_long(times);
		rel_write_str(times, "0");
		return !left;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* Counters                                                             */
/* ------------------------------------------------------------------ */

struct counters {
	long memcg_current, memcg_anon, memcg_file, memcg_shmem;
	long shmem_kb, unevictable_kb;
	long hp_total, hp_free, hp_rsvd, hp_surp;
};

static long memcg_stat(const char *key)
{
	char path[200], line[200];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.stat", F.cg);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ' ')
			v = strtol(line + klen + 1, NULL, 10);
	fclose(f);
	return v;
}

static void counters_read(struct counters *c)
{
	char path[200];

	/* LRU batches drained (compaction), per-cpu vmstat folded, memcg flushed */
	rel_write_str("/proc/sys/vm/compact_memory", "1");
	rel_vmstat_refresh();
	if (F.memcg)
		usleep(2500000);	/* the periodic memcg stats flush */
	memset(c, 0, sizeof(*c));
	c->memcg_current = c->memcg_anon = c->memcg_file = c->memcg_shmem = -1;
	if (F.memcg) {
		snprintf(path, sizeof(path), "%s/memory.current", F.cg);
		c->memcg_current = rel_read_long(path);
		c->memcg_anon = memcg_stat("anon");
		c->memcg_file = memcg_stat("file");
		c->memcg_shmem = memcg_stat("shmem");
	}
	c->shmem_kb = rel_meminfo("Shmem");
	c->unevictable_kb = rel_meminfo("Unevictable");
	c->hp_total = rel_meminfo("HugePages_Total");
	c->hp_free = rel_meminfo("HugePages_Free");
	c->hp_rsvd = rel_meminfo("HugePages_Rsvd");
	c->hp_surp = rel_meminfo("HugePages_Surp");
}

static void counters_print(const char *name, const char *when,
			   const struct counters *c)
{
	printf("# %s counters %s: memcg current=%ld anon=%ld file=%ld shmem=%ld; meminfo Shmem=%ldkB Unevictable=%ldkB; hugetlb total=%ld free=%ld rsvd=%ld surp=%ld\n",
	       name, when, c->memcg_current, c->memcg_anon, c->memcg_file,
	       c->memcg_shmem, c->shmem_kb, c->unevictable_kb, c->hp_total,
	       c->hp_free, c->hp_rsvd, c->hp_surp);
}

/* Compare: exact, except memory.current within MEMCG_TOL. */
static int counters_compare(struct tctx *t, const struct counters *a,
			    const struct counters *b)
{
	int bad = 0;

#define EXACT(f, what)							\
	do {								\
		if (a->f != b->f) {					\
			tfail(t, "%s: %ld before, %ld after", what,	\
			      a->f, b->f);				\
			bad++;						\
		}							\
	} while (0)
	if (F.memcg) {
		if (labs(a->memcg_current - b->memcg_current) > MEMCG_TOL) {
			tfail(t, "memcg memory.current: %ld before, %ld after (tolerance %d)",
			      a->memcg_current, b->memcg_current, MEMCG_TOL);
			bad++;
		}
		EXACT(memcg_anon, "memcg anon");
		EXACT(memcg_file, "memcg file");
		EXACT(memcg_shmem, "memcg shmem");
	}
	EXACT(shmem_kb, "meminfo Shmem");
	EXACT(unevictable_kb, "meminfo Unevictable");
	EXACT(hp_total, "HugePages_Total");
	EXACT(hp_free, "HugePages_Free");
	EXACT(hp_rsvd, "HugePages_Rsvd");
	EXACT(hp_surp, "HugePages_Surp");
#undef EXACT
	return bad;
}

/*
 * The program's own memory must not move the memcg figures: a page is
 * charged to the cgroup the process is in when it is first touched, so
 * stack and heap are touched here, before the process joins its cgroup,
 * and the heap is never given back (a later regrowth would be charged).
 * Without this, a stack page first reached during a trial showed as one
 * more anon page "after" than "before".
 */
static void prefault_own_memory(void)
{
	volatile char stack[512 << 10];
	size_t heap = 4 << 20, i;
	char *p;

	for (i = 0; i < sizeof(stack); i += 4096)
		stack[i] = 0;
	mallopt(M_TRIM_THRESHOLD, INT_MAX);
	mallopt(M_MMAP_THRESHOLD, heap);
	mallopt(M_TOP_PAD, 0);
	p = malloc(heap - 4096);
	if (p) {
		memset(p, 0, heap - 4096);
		free(p);
	}
}

/* Run in a memory cgroup of our own, if the kernel has memcg. */
static void memcg_setup(void)
{
	char path[200];
	int e;

	if (access(CG_ROOT "/cgroup.controllers", R_OK)) {
		mkdir(CG_ROOT, 0755);
		if (mount("none", CG_ROOT, "cgroup2", 0, NULL)) {
			snprintf(F.memcg_why, sizeof(F.memcg_why),
				 "cannot mount cgroup2: %s", strerror(errno));
			return;
		}
		F.cg_mounted = true;
	}
	e = rel_write_str(CG_ROOT "/cgroup.subtree_control", "+memory");
	if (e) {
		snprintf(F.memcg_why, sizeof(F.memcg_why),
			 "no memory controller (+memory: %s)", strerror(-e));
		return;
	}
	snprintf(F.cg, sizeof(F.cg), CG_ROOT "/uffd-failinject-%d", getpid());
	if (mkdir(F.cg, 0755)) {
		snprintf(F.memcg_why, sizeof(F.memcg_why), "mkdir %s: %s",
			 F.cg, strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/cgroup.procs", F.cg);
	e = rel_write_str(path, "0");
	if (e) {
		snprintf(F.memcg_why, sizeof(F.memcg_why),
			 "cannot join %s: %s", F.cg, strerror(-e));
		rmdir(F.cg);
		return;
	}
	F.memcg = true;
}

static void memcg_teardown(void)
{
	if (F.memcg) {
		rel_write_str(CG_ROOT "/cgroup.procs", "0");
		rmdir(F.cg);
	}
	if (F.cg_mounted)
		umount(CG_ROOT);
}

/* ------------------------------------------------------------------ */
/* Mappings and objects                                                 */
/* ------------------------------------------------------------------ */

/*
 * A fresh mapping of the object (anon: anonymous memory), placed so that
 * its page tables do not exist yet and a new one is needed after its first
 * page: it starts one page before a PMD (hugetlb: PUD) boundary.
 */
static char *map_fresh(struct tctx *t)
{
	size_t b = t->mt == MT_HUGETLB ? 1UL << 30 : 2UL << 20;
	size_t span = 3 * b;
	char *p, *a;
	int flags;

	p = mmap(NULL, span, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	a = (char *)(((uintptr_t)p + b + b - 1) & ~(b - 1)) - t->psz;
	munmap(p, span);
	flags = MAP_FIXED_NOREPLACE;
	if (t->obj < 0)
		flags |= MAP_PRIVATE | MAP_ANONYMOUS;
	else
		flags |= MAP_SHARED;
	p = mmap(a, t->len, PROT_READ | PROT_WRITE, flags, t->obj, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (p != a) {
		munmap(p, t->len);
		return NULL;
	}
	return p;
}

/* Empty the object's page cache. */
static int obj_punch(struct tctx *t)
{
	if (t->obj < 0)
		return 0;
	return fallocate(t->obj, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
			 t->len) ? -errno : 0;
}

/* Put the pattern into the object's page cache (for CONTINUE). */
static int obj_fill(struct tctx *t)
{
	char *p;

	if (t->mt == MT_SHMEM)
		return pwrite(t->obj, t->pat, t->len, 0) == (ssize_t)t->len ?
		       0 : -EIO;
	p = mmap(NULL, t->len, PROT_READ | PROT_WRITE, MAP_SHARED, t->obj, 0);
	if (p == MAP_FAILED)
		return -errno;
	memcpy(p, t->pat, t->len);
	munmap(p, t->len);
	return 0;
}

/* Pages of @psz in the page cache of the file @fd, from st_blocks. */
static long fd_pages(int fd, size_t psz)
{
	struct stat st;

	if (fstat(fd, &st))
		return -1;
	return st.st_blocks * 512 / psz;
}

/* Pages of the object in its page cache: st_blocks (shmem, hugetlb). */
static long obj_blocks(struct tctx *t)
{
	return fd_pages(t->obj, t->psz);
}

/* Page @i of the object in the page cache?  mincore() of a mapping. */
static int obj_incore(struct tctx *t, size_t i)
{
	char *p;
	int r;

	if (t->mt == MT_HUGETLB)
		return -1;	/* mincore() of hugetlb reports PTEs only */
	p = mmap(NULL, t->len, PROT_READ, MAP_SHARED, t->obj, 0);
	if (p == MAP_FAILED)
		return -1;
	r = rel_mincore1(p + i * t->psz);
	munmap(p, t->len);
	return r;
}

/* ------------------------------------------------------------------ */
/* A trial                                                              */
/* ------------------------------------------------------------------ */

static int do_fill(int uffd, int op, char *dst, size_t len, const char *src,
		   int64_t *field)
{
	union {
		struct uffdio_copy copy;
		struct uffdio_zeropage zero;
		struct uffdio_continue cont;
	} u;
	int ret;

	memset(&u, 0, sizeof(u));
	switch (op) {
	case F_COPY:
	case F_COPY_RETRY:
		u.copy.dst = (uintptr_t)dst;
		u.copy.src = (uintptr_t)src;
		u.copy.len = len;
		u.copy.copy = SENTINEL;
		ret = ioctl(uffd, UFFDIO_COPY, &u.copy);
		*field = u.copy.copy;
		break;
	case F_ZEROPAGE:
		u.zero.range.start = (uintptr_t)dst;
		u.zero.range.len = len;
		u.zero.zeropage = SENTINEL;
		ret = ioctl(uffd, UFFDIO_ZEROPAGE, &u.zero);
		*field = u.zero.zeropage;
		break;
	default:
		u.cont.range.start = (uintptr_t)dst;
		u.cont.range.len = len;
		u.cont.mapped = SENTINEL;
		ret = ioctl(uffd, UFFDIO_CONTINUE, &u.cont);
		*field = u.cont.mapped;
		break;
	}
	return ret ? errno : 0;
}

/* The source of a COPY of [first, end) pages. */
static const char *fill_src(struct tctx *t, int op, size_t first)
{
	if (op != F_COPY_RETRY)
		return t->pat + first * t->psz;
	/* zapped: copy_from_user() under the locks fails, mfill retries */
	madvise(t->srcmap, t->len, MADV_DONTNEED);
	return t->srcmap + first * t->psz;
}

/* Contents of page @i as the fill @op leaves it. */
static bool page_ok(struct tctx *t, int op, char *p, size_t i)
{
	if (op == F_ZEROPAGE)
		return rel_zero_check(p, t->psz) < 0;
	return !memcmp(p, t->pat + i * t->psz, t->psz);
}

/*
 * One fill of NP pages with injection @inj (@arg: n or space).  Returns 1
 * if a failure was injected, 0 if not, -1 if the trial could not run.
 */
static int trial(struct tctx *t, int op, int inj, unsigned long arg)
{
	struct uffdio_register ur;
	int64_t field;
	size_t done, i;
	bool injected;
	char *a;
	int uffd, e;
	sigjmp_buf jb;

	cur_what = fop_name[op];
	e = obj_punch(t);
	if (e) {
		tfail(t, "PUNCH_HOLE of the object: %s", strerror(-e));
		return -1;
	}
	if (op == F_CONTINUE) {
		e = obj_fill(t);
		if (e) {
			tfail(t, "filling the page cache: %s", strerror(-e));
			return -1;
		}
	}
	a = map_fresh(t);
	if (!a) {
		tfail(t, "mmap of a fresh mapping: %s", strerror(errno));
		return -1;
	}
	uffd = rel_uffd_new(UFFD_FEATURE_MISSING_SHMEM | UFFD_FEATURE_MISSING_HUGETLBFS |
			    UFFD_FEATURE_MINOR_SHMEM | UFFD_FEATURE_MINOR_HUGETLBFS,
			    O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0) {
		tfail(t, "userfaultfd: %s", strerror(-uffd));
		munmap(a, t->len);
		return -1;
	}
	memset(&ur, 0, sizeof(ur));
	ur.range.start = (uintptr_t)a;
	ur.range.len = t->len;
	ur.mode = op == F_CONTINUE ? UFFDIO_REGISTER_MODE_MINOR :
				     UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &ur)) {
		tfail(t, "UFFDIO_REGISTER: %s", strerror(errno));
		close(uffd);
		munmap(a, t->len);
		return -1;
	}

	/* the fill, with the injection armed around it only */
	{
		const char *src = fill_src(t, op, 0);

		fi_arm(inj, arg);
		e = do_fill(uffd, op, a, t->len, src, &field);
		injected = fi_disarm(inj);
	}
	t->trials++;
	t->injected += injected;
	if (inj == INJ_PAGE || inj == INJ_SLAB) {
		t->rnd_trials++;
		t->rnd_injected += injected;
	}
	t->errs[e < 64 ? e : 64]++;

	/* what the ioctl says it did */
	done = 0;
	if (!e) {
		if (field != (int64_t)t->len)
			tfail(t, "%s (%s) -> ok with output field %lld",
			      fop_name[op], injected ? "injected" : "no injection",
			      (long long)field);
		done = t->np;
		if (injected)
			t->absorbed++;
	} else if (!injected) {
		tfail(t, "%s without an injected failure -> %s (field %lld)",
		      fop_name[op], rel_errname(e), (long long)field);
	} else if (e == ENOMEM) {
		if (field != -ENOMEM)
			tfail(t, "%s -> ENOMEM with output field %lld",
			      fop_name[op], (long long)field);
	} else if (e == EAGAIN) {
#if UFFD_FI_BREAK
		/* deliberately wrong: partial progress is legitimate */
		tfail(t, "%s -> EAGAIN (field %lld): UFFD_FI_BREAK rejects partial fills",
		      fop_name[op], (long long)field);
#endif
		if (field <= 0 || field >= (int64_t)t->len || field % t->psz)
			tfail(t, "%s -> EAGAIN with output field %lld (len %#zx)",
			      fop_name[op], (long long)field, t->len);
		else
			done = field / t->psz;
		t->partial++;
	} else if (e == EFAULT && op == F_COPY_RETRY && field == -EFAULT) {
		/* the injected failure hit the fault on the source */
	} else if (e == EEXIST && t->mt == MT_HUGETLB && op != F_CONTINUE &&
		   field == -EEXIST) {
		/*
		 * v6.18 hugetlb_mfill_atomic_pte(): when alloc_hugetlb_folio()
		 * fails, hugetlb_walk() finds the page table mfill_atomic_hugetlb()
		 * just allocated and -EEXIST is returned instead of -ENOMEM.
		 * Upstream behaviour, not the series'; the checks below show
		 * that nothing exists.
		 */
		t->hugetlb_eexist++;
	} else {
		tfail(t, "%s with an injected failure (%s %lu) -> %s (field %lld), expected ENOMEM or EAGAIN",
		      fop_name[op], inj == INJ_NTH ? "nth" :
		      inj == INJ_PAGE ? "page, space" : "slab, space", arg,
		      rel_errname(e), (long long)field);
	}

	if (F.memcg && done && t->memcg_peak < 0) {
		char path[200];

		snprintf(path, sizeof(path), "%s/memory.current", F.cg);
		t->memcg_peak = rel_read_long(path);
	}

	/* the pages done are mapped, the others neither mapped nor cached */
	for (i = 0; i < t->np; i++) {
		uint64_t pm = rel_pagemap(F.pmfd, a + i * t->psz);
		bool want = i < done;

		if (!!(pm & REL_PM_PRESENT) != want)
			tfail(t, "%s -> %s: page %zu %s mapped (pagemap %#llx)",
			      fop_name[op], rel_errname(e), i,
			      want ? "is not" : "is", (unsigned long long)pm);
		if (t->obj >= 0 && op != F_CONTINUE) {
			int in = obj_incore(t, i);

			if (in >= 0 && in != want)
				tfail(t, "%s -> %s: page %zu is %sin the page cache",
				      fop_name[op], rel_errname(e), i,
				      in ? "" : "not ");
		}
	}
	if (t->obj >= 0 && t->mt != MT_TESTMEM && t->mt != MT_RUSTMEM) {
		long b = obj_blocks(t);
		long want = op == F_CONTINUE ? (long)t->np : (long)done;

		if (b != want)
			tfail(t, "%s -> %s: the object has %ld pages (st_blocks), expected %ld",
			      fop_name[op], rel_errname(e), b, want);
	}

	/* the rest, without injection: must all succeed (no stale entry) */
	if (done < t->np) {
		e = do_fill(uffd, op, a + done * t->psz, t->len - done * t->psz,
			    fill_src(t, op, done), &field);
		t->retries++;
		if (e)
			tfail(t, "%s of the %zu pages left after the failure -> %s (field %lld)%s",
			      fop_name[op], t->np - done, rel_errname(e),
			      (long long)field,
			      e == EEXIST ? ": a stale page cache entry" : "");
	}
	ioctl(uffd, UFFDIO_UNREGISTER, &ur.range);
	close(uffd);
	for (i = 0; i < t->np; i++) {
		char *p = a + i * t->psz;

		if (rel_touch_begin(jb)) {
			tfail(t, "%s: reading page %zu: signal", fop_name[op], i);
			continue;
		}
		if (!page_ok(t, op, p, i))
			tfail(t, "%s (%s): page %zu has wrong contents after the fill",
			      fop_name[op], injected ? "injected" : "no injection", i);
		rel_touch_end();
	}
	munmap(a, t->len);
	return injected;
}

/* ------------------------------------------------------------------ */
/* Tests                                                                */
/* ------------------------------------------------------------------ */

static void test_reset(struct tctx *t)
{
	t->failures = 0;
	t->trials = t->injected = t->absorbed = t->partial = t->retries = 0;
	t->hugetlb_eexist = 0;
	t->rnd_trials = t->rnd_injected = 0;
	t->memcg_peak = -1;
	memset(t->errs, 0, sizeof(t->errs));
}

static void test_report(struct tctx *t, const char *what, double secs)
{
	char buf[512];
	size_t n;
	int e;

	n = snprintf(buf, sizeof(buf),
		     "# %s %s: trials=%lu injected=%lu (probability-based: %lu of %lu) absorbed=%lu partial=%lu refills=%lu time=%.1fs results:",
		     t->name, what, t->trials, t->injected, t->rnd_injected,
		     t->rnd_trials, t->absorbed, t->partial, t->retries, secs);
	for (e = 0; e <= 64; e++)
		if (t->errs[e])
			n += snprintf(buf + n, sizeof(buf) - n, " %s=%lu",
				      e == 64 ? "other" : rel_errname(e),
				      t->errs[e]);
	if (t->memcg_peak >= 0)
		n += snprintf(buf + n, sizeof(buf) - n,
			      " memcg-current-while-filled=%ld", t->memcg_peak);
	printf("%s\n", buf);
	if (t->hugetlb_eexist)
		printf("# %s %s: %lu injected failures reported as EEXIST (v6.18 hugetlb_mfill_atomic_pte(), not the series)\n",
		       t->name, what, t->hugetlb_eexist);
	ksft_test_result(!t->failures, "%s %s\n", t->name, what);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* The systematic sweep and the random trials of one fill ioctl. */
static void test_fill(struct tctx *t, int op)
{
	uint64_t t0 = now_ms();
	unsigned long n;
	int i, r;

	test_reset(t);
	for (n = 1; n <= (unsigned long)F.maxnth; n++) {
		r = trial(t, op, INJ_NTH, n);
		if (r <= 0)
			break;
	}
	if (n > (unsigned long)F.maxnth)
		printf("# %s %s: still injecting at allocation %d, sweep cut short\n",
		       t->name, fop_name[op], F.maxnth);
	for (i = 0; i < F.nrandom; i++) {
		int inj = rel_below(&F.rs, 2) ? INJ_PAGE : INJ_SLAB;
		unsigned long space = inj == INJ_PAGE ?
			rel_below(&F.rs, 4) * t->pg :
			rel_below(&F.rs, 4) * 256;

		if (trial(t, op, inj, space) < 0)
			break;
	}
	test_report(t, fop_name[op], (now_ms() - t0) / 1e3);
}

/* hugetlb: the pool instead of the page allocator. */
static void test_hugetlb_pool(struct tctx *t)
{
	long nr0, free0, rsvd0, ovc0, nr, avail;
	uint64_t t0 = now_ms();
	struct uffdio_register ur;
	size_t np = 4, len = np * t->psz, m = 2, i;
	int64_t field;
	int shared, uffd, fd, e;
	char buf[32];
	char *pat, *a;

	test_reset(t);
	cur_what = "hugetlb pool";
	nr0 = rel_read_long("/proc/sys/vm/nr_hugepages");
	ovc0 = rel_read_long("/proc/sys/vm/nr_overcommit_hugepages");
	free0 = rel_meminfo("HugePages_Free");
	rsvd0 = rel_meminfo("HugePages_Rsvd");
	pat = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (nr0 < 0 || free0 - rsvd0 < (long)(np + 2) || pat == MAP_FAILED) {
		ksft_test_result_skip("%s pool: needs %zu free hugetlb pages (free %ld, reserved %ld)\n",
				      t->name, np + 2, free0, rsvd0);
		return;
	}
	rel_pat_fill(pat, t->pseed, 99, 0, len);
	rel_write_str("/proc/sys/vm/nr_overcommit_hugepages", "0");

	for (shared = 2; shared >= 0; shared--) {
		fd = memfd_create("pool", MFD_CLOEXEC | MFD_HUGETLB);
		if (fd < 0 || ftruncate(fd, len)) {
			tfail(t, "pool: hugetlb memfd: %s", strerror(errno));
			break;
		}
		/* shared: 2 (no page free), 1 (m free); private: m free */
		m = shared == 2 ? 0 : 2;
		a = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_NORESERVE,
			 fd, 0);
		uffd = rel_uffd_new(UFFD_FEATURE_MISSING_HUGETLBFS |
				    UFFD_FEATURE_MINOR_HUGETLBFS, O_CLOEXEC);
		memset(&ur, 0, sizeof(ur));
		ur.range.start = (uintptr_t)a;
		ur.range.len = len;
		ur.mode = UFFDIO_REGISTER_MODE_MISSING;
		if (a == MAP_FAILED || uffd < 0 ||
		    ioctl(uffd, UFFDIO_REGISTER, &ur)) {
			tfail(t, "pool: mmap/userfaultfd/register: %s",
			      strerror(errno));
			close(fd);
			break;
		}
		/* leave m pages free */
		nr = nr0 - (rel_meminfo("HugePages_Free") -
			    rel_meminfo("HugePages_Rsvd")) + m;
		snprintf(buf, sizeof(buf), "%ld", nr);
		rel_write_str("/proc/sys/vm/nr_hugepages", buf);
		avail = rel_meminfo("HugePages_Free") - rel_meminfo("HugePages_Rsvd");
		e = do_fill(uffd, F_COPY, a, len, pat, &field);
		t->trials++;
		t->injected++;
		t->errs[e < 64 ? e : 64]++;
		printf("# %s pool (%s): %ld pages free -> COPY of %zu -> %s, field %lld\n",
		       t->name, shared ? "shared" : "private", avail, np,
		       rel_errname(e), (long long)field);
		if (avail < 0 || avail >= (long)np) {
			tfail(t, "pool: could not shrink the pool (%ld free)", avail);
		} else if (!avail) {
			/* EEXIST: see trial(), upstream v6.18 behaviour */
			if (e == EEXIST && field == -EEXIST)
				t->hugetlb_eexist++;
			else if (e != ENOMEM || field != -ENOMEM)
				tfail(t, "pool: COPY with no free page -> %s field %lld, expected ENOMEM",
				      rel_errname(e), (long long)field);
		} else if (e != EAGAIN || field != avail * (int64_t)t->psz) {
			tfail(t, "pool: COPY with %ld free pages -> %s field %lld, expected EAGAIN field %lld",
			      avail, rel_errname(e), (long long)field,
			      (long long)(avail * t->psz));
		} else {
			t->partial++;
		}
		for (i = 0; i < np; i++) {
			bool want = avail > 0 && i < (size_t)avail;
			uint64_t pm = rel_pagemap(F.pmfd, a + i * t->psz);

			if (!!(pm & REL_PM_PRESENT) != want)
				tfail(t, "pool: page %zu %s mapped", i,
				      want ? "is not" : "is");
		}
		if (shared && avail >= 0 && fd_pages(fd, t->psz) != avail)
			tfail(t, "pool: the file has %ld pages, expected %ld",
			      fd_pages(fd, t->psz), avail);
		/* CONTINUE allocates no huge page: it works with the pool empty */
		if (shared && avail > 0) {
			struct uffdio_register ur2 = ur;
			int u2 = rel_uffd_new(UFFD_FEATURE_MINOR_HUGETLBFS, O_CLOEXEC);
			char *b = mmap(NULL, len, PROT_READ | PROT_WRITE,
				       MAP_SHARED | MAP_NORESERVE, fd, 0);

			ur2.range.start = (uintptr_t)b;
			ur2.mode = UFFDIO_REGISTER_MODE_MINOR;
			if (b == MAP_FAILED || u2 < 0 ||
			    ioctl(u2, UFFDIO_REGISTER, &ur2)) {
				tfail(t, "pool: second mapping: %s", strerror(errno));
			} else {
				e = do_fill(u2, F_CONTINUE, b, avail * t->psz,
					    NULL, &field);
				t->trials++;
				t->errs[e < 64 ? e : 64]++;
				if (e || memcmp(b, pat, avail * t->psz))
					tfail(t, "pool: CONTINUE with the pool empty -> %s",
					      rel_errname(e));
			}
			if (u2 >= 0)
				close(u2);
			if (b != MAP_FAILED)
				munmap(b, len);
		}
		/* the pool back: the rest fills */
		snprintf(buf, sizeof(buf), "%ld", nr0);
		rel_write_str("/proc/sys/vm/nr_hugepages", buf);
		if (avail >= 0 && avail < (long)np) {
			e = do_fill(uffd, F_COPY, a + avail * t->psz,
				    len - avail * t->psz, pat + avail * t->psz,
				    &field);
			t->retries++;
			if (e)
				tfail(t, "pool: COPY of the rest after restoring the pool -> %s",
				      rel_errname(e));
		}
		ioctl(uffd, UFFDIO_UNREGISTER, &ur.range);
		close(uffd);
		if (memcmp(a, pat, len))
			tfail(t, "pool (%s): wrong contents", shared ? "shared" : "private");
		munmap(a, len);
		close(fd);
	}
	snprintf(buf, sizeof(buf), "%ld", nr0);
	rel_write_str("/proc/sys/vm/nr_hugepages", buf);
	snprintf(buf, sizeof(buf), "%ld", ovc0);
	rel_write_str("/proc/sys/vm/nr_overcommit_hugepages", buf);
	if (rel_read_long("/proc/sys/vm/nr_hugepages") != nr0 ||
	    rel_meminfo("HugePages_Free") != free0 ||
	    rel_meminfo("HugePages_Rsvd") != rsvd0)
		tfail(t, "pool: nr_hugepages=%ld free=%ld rsvd=%ld afterwards, %ld/%ld/%ld before",
		      rel_read_long("/proc/sys/vm/nr_hugepages"),
		      rel_meminfo("HugePages_Free"), rel_meminfo("HugePages_Rsvd"),
		      nr0, free0, rsvd0);
	munmap(pat, len);
	test_report(t, "pool", (now_ms() - t0) / 1e3);
}

/* Set up the object and buffers of a memory type; -errno on failure. */
static int tctx_setup(struct tctx *t, int mt)
{
	memset(t, 0, sizeof(*t));
	t->mt = mt;
	t->name = rel_mt_name[mt];
	t->psz = rel_mt_psize(mt);
	t->pg = getpagesize();
	t->np = mt == MT_HUGETLB ? 2 : 3;
	t->len = t->np * t->psz;
	t->pseed = F.seed ^ (0x9E3779B97F4A7C15ULL * (mt + 1));
	t->obj = -1;
	t->srcfd = -1;
	t->pat = mmap(NULL, t->len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->pat == MAP_FAILED) {
		t->pat = NULL;
		return -errno;
	}
	rel_pat_fill(t->pat, t->pseed, mt, 0, t->len);
	t->srcfd = memfd_create("uffd-failinject-src", MFD_CLOEXEC);
	if (t->srcfd < 0 || ftruncate(t->srcfd, t->len) ||
	    pwrite(t->srcfd, t->pat, t->len, 0) != (ssize_t)t->len)
		return -errno;
	t->srcmap = mmap(NULL, t->len, PROT_READ, MAP_SHARED, t->srcfd, 0);
	if (t->srcmap == MAP_FAILED) {
		t->srcmap = NULL;
		return -errno;
	}
	if (rel_mt_is_file(mt)) {
		t->obj = rel_obj_create(mt, t->len);
		if (t->obj < 0) {
			int e = t->obj;

			t->obj = -1;
			return e;
		}
	}
	return 0;
}

static void tctx_teardown(struct tctx *t)
{
	if (t->obj >= 0)
		close(t->obj);
	if (t->srcmap)
		munmap(t->srcmap, t->len);
	if (t->srcfd >= 0)
		close(t->srcfd);
	if (t->pat)
		munmap(t->pat, t->len);
	t->obj = t->srcfd = -1;
	t->srcmap = t->pat = NULL;
}

static void run_type(int mt)
{
	struct counters before, after;
	struct tctx t;
	char why[256];
	int op, e;
	bool inject = F.debugfs;

	if (rel_mt_unavailable(mt, 8, why, sizeof(why))) {
		for (op = 0; op < NR_FOPS; op++)
			ksft_test_result_skip("%s %s: %s\n", rel_mt_name[mt],
					      fop_name[op], why);
		ksft_test_result_skip("%s counters: %s\n", rel_mt_name[mt], why);
		if (mt == MT_HUGETLB)
			ksft_test_result_skip("%s pool: %s\n", rel_mt_name[mt], why);
		return;
	}
	if (inject)
		counters_read(&before);
	e = tctx_setup(&t, mt);
	if (e) {
		tctx_teardown(&t);
		for (op = 0; op < NR_FOPS; op++)
			ksft_test_result_fail("%s %s: setup: %s\n", rel_mt_name[mt],
					      fop_name[op], strerror(-e));
		ksft_test_result_fail("%s counters: setup: %s\n",
				      rel_mt_name[mt], strerror(-e));
		if (mt == MT_HUGETLB)
			ksft_test_result_fail("%s pool: setup\n", rel_mt_name[mt]);
		return;
	}
	for (op = 0; op < NR_FOPS; op++) {
		if (!inject) {
			ksft_test_result_skip("%s %s: %s\n", t.name, fop_name[op],
					      F.nodebugfs);
			continue;
		}
		if (mt == MT_ANON && op == F_CONTINUE) {
			ksft_test_result_skip("%s %s: anonymous memory has no MINOR mode (EINVAL)\n",
					      t.name, fop_name[op]);
			continue;
		}
		if (mt == MT_HUGETLB && op == F_ZEROPAGE) {
			int64_t field;
			char *a = map_fresh(&t);
			struct uffdio_register ur = {
				.range = { .start = (uintptr_t)a, .len = t.len },
				.mode = UFFDIO_REGISTER_MODE_MISSING,
			};
			int uffd = rel_uffd_new(UFFD_FEATURE_MISSING_HUGETLBFS,
						O_CLOEXEC);

			e = -1;
			if (a && uffd >= 0 && !ioctl(uffd, UFFDIO_REGISTER, &ur))
				e = do_fill(uffd, F_ZEROPAGE, a, t.len, NULL, &field);
			if (uffd >= 0)
				close(uffd);
			if (a)
				munmap(a, t.len);
			if (e == EINVAL)
				ksft_test_result_skip("%s %s: not supported by hugetlb (EINVAL, as documented)\n",
						      t.name, fop_name[op]);
			else
				ksft_test_result_fail("%s %s: -> %s, expected EINVAL\n",
						      t.name, fop_name[op],
						      rel_errname(e));
			continue;
		}
		test_fill(&t, op);
	}
	if (mt == MT_HUGETLB)
		test_hugetlb_pool(&t);
	tctx_teardown(&t);
	if (!inject) {
		ksft_test_result_skip("%s counters: %s\n", rel_mt_name[mt],
				      F.nodebugfs);
		return;
	}
	counters_read(&after);
	counters_print(rel_mt_name[mt], "before", &before);
	counters_print(rel_mt_name[mt], "after", &after);
	if (!F.memcg)
		printf("# %s counters: no memcg figures: %s\n", rel_mt_name[mt],
		       F.memcg_why);
	t.failures = 0;
	counters_compare(&t, &before, &after);
	ksft_test_result(!t.failures, "%s counters\n", rel_mt_name[mt]);
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-s SEED] [-t anon|shmem|hugetlb|testmem|rustmem|all] [-n MAXNTH] [-r RANDOM] [-T SECONDS] [-v]\n",
		prog);
	exit(KSFT_FAIL);
}

int main(int argc, char **argv)
{
	bool want[NR_MT] = { 0 };
	int c, mt, n = 0, plan = 0, timeout = 900;
	cpu_set_t cpus;

	F.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	F.maxnth = 40;
	F.nrandom = 12;
	while ((c = getopt(argc, argv, "s:t:n:r:T:vh")) != -1) {
		switch (c) {
		case 'v':
			F.verbose = true;
			break;
		case 's':
			F.seed = strtoull(optarg, NULL, 0);
			break;
		case 't':
			for (mt = 0; mt < NR_MT; mt++)
				if (!strcmp(optarg, "all") ||
				    !strcmp(optarg, rel_mt_name[mt]))
					want[mt] = true;
			break;
		case 'n':
			F.maxnth = strtol(optarg, NULL, 0);
			break;
		case 'r':
			F.nrandom = strtol(optarg, NULL, 0);
			break;
		case 'T':
			timeout = strtol(optarg, NULL, 0);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (F.maxnth < 1 || F.nrandom < 0 || timeout < 1)
		usage(argv[0]);
	for (mt = 0; mt < NR_MT; mt++)
		n += want[mt];
	if (!n)
		for (mt = 0; mt < NR_MT; mt++)
			want[mt] = true;
	for (mt = 0; mt < NR_MT; mt++)
		if (want[mt])
			plan += NR_FOPS + 1 + (mt == MT_HUGETLB);

	printf("# uffd-failinject: seed=%llu maxnth=%d random=%d\n",
	       (unsigned long long)F.seed, F.maxnth, F.nrandom);
	fflush(stdout);
	ksft_print_header();
	ksft_set_plan(plan);
	rel_seed(&F.rs, F.seed, 1);
	signal(SIGALRM, watchdog);
	alarm(timeout);
	rel_touch_install();
	/* one CPU: LRU batches and memcg charge stocks in one place */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	F.pmfd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	fi_setup();
	if (!F.debugfs)
		printf("# %s\n", F.nodebugfs);
	else {
		prefault_own_memory();
		memcg_setup();
	}
	if (F.debugfs && !F.memcg)
		printf("# no memcg figures: %s\n", F.memcg_why);
	if (!rel_uffd_features())
		ksft_exit_skip("userfaultfd is not available\n");

	for (mt = 0; mt < NR_MT; mt++)
		if (want[mt])
			run_type(mt);

	fi_restore();
	memcg_teardown();
	ksft_finished();
}
