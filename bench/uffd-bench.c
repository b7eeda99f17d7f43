// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-bench: what userfaultfd fills cost, per memory type and operation.
 *
 * For each memory type (anon, shmem, hugetlb, and the Rust sample's memory
 * when /dev/rust_uffd_mem exists) and each operation (UFFDIO_COPY,
 * UFFDIO_ZEROPAGE, UFFDIO_CONTINUE) it times three paths over a round of
 * pages that are not mapped yet:
 *
 *   ioctl   the ioctl alone, one page per call, on a registered range
 *   fault   the round trip: this thread touches each page, a handler
 *           thread reads the fault event and resolves it with the ioctl
 *   nouffd  the kernel's own fault on the same pages without userfaultfd
 *           (a write for COPY, a read for ZEROPAGE and CONTINUE), as a
 *           reference
 *
 * CONTINUE works in MINOR mode: the pages are put in the page cache
 * through a second mapping first.  Every thread runs on CPU 0, so the
 * round trip is two context switches on one CPU rather than IPIs, and a
 * CPU-wide instruction counter on CPU 0 sees all of it; the two threads
 * of the round trip run under SCHED_FIFO (see start_handler()).
 *
 * Output, one line per round (after an unreported warm-up round):
 *
 *   bench type=shmem op=copy path=ioctl round=0 pages=2048 ns=5012.3 insns=-
 *
 * ns is CLOCK_MONOTONIC nanoseconds per page; insns is instructions per
 * page from perf_event_open() when the CPU has a usable PMU, "-" if not.
 * A combination that does not exist is reported as
 *
 *   bench-na type=anon op=continue path=ioctl reason=...
 *
 * Under QEMU with -icount shift=0, one guest nanosecond is one executed
 * instruction, so ns is a path length.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/perf_event.h>
#include <linux/types.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if __has_include("lib/test_uffd_memtype_uapi.h")
#include "lib/test_uffd_memtype_uapi.h"
#else
/* A kernel without the series: the test memory types do not exist. */
#define UFFD_TEST_MEMTYPE_CREATE	_IOW('u', 0x80, __u64)
#endif
#ifndef UFFD_RUST_MEM_DEV
/* Not (yet) in this edition's series: its device does not exist. */
#define UFFD_RUST_MEM_DEV		"/dev/rust_uffd_mem"
#endif

#define HPAGE_SIZE	(2UL << 20)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define noinline	__attribute__((__noinline__))

enum op { OP_COPY, OP_ZEROPAGE, OP_CONTINUE, NR_OPS };
enum path { PATH_IOCTL, PATH_FAULT, PATH_NOUFFD, NR_PATHS };

static const char * const op_names[NR_OPS] = { "copy", "zeropage", "continue" };
static const char * const path_names[NR_PATHS] = { "ioctl", "fault", "nouffd" };

struct memtype {
	const char *name;
	size_t page;
	/* Returns a file to map shared, or -1 with errno; NULL: anonymous. */
	int (*open_mem)(size_t size);
	/* Why an operation does not apply to this type (NULL: it does). */
	const char *not_applicable[NR_OPS];
};

/* One timed round: a fresh object, mapped, and maybe registered. */
struct round {
	const struct memtype *mt;
	enum op op;
	enum path path;
	int pages;
	size_t size;
	int fd;
	char *area;
	int uffd;
	/* Handler thread state (PATH_FAULT). */
	pthread_t handler;
	int handler_err;
};

static char *src_page;		/* UFFDIO_COPY source, HPAGE_SIZE bytes */
static int insns_fd = -1;	/* CPU 0 instruction counter, or -1 */
static int failures;

static int open_memfd(size_t size, unsigned int flags)
{
	int fd = memfd_create("uffd-bench", flags);

	if (fd >= 0 && ftruncate(fd, size)) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static int open_shmem(size_t size)
{
	return open_memfd(size, 0);
}

static int open_hugetlb(size_t size)
{
	return open_memfd(size, MFD_HUGETLB);
}

/* The Rust sample (samples/rust/rust_uffd_mem.rs): insmod it first. */
static int open_rust(size_t size)
{
	int dev = open(UFFD_RUST_MEM_DEV, O_RDWR | O_CLOEXEC);
	int fd, saved;

	if (dev < 0)
		return -1;
	fd = ioctl(dev, UFFD_TEST_MEMTYPE_CREATE, (__u64)size);
	saved = errno;
	close(dev);
	errno = saved;
	return fd;
}

static const struct memtype memtypes[] = {
	{ "anon", 4096, NULL,
	  { [OP_CONTINUE] = "MINOR mode needs a page cache; anonymous memory has none" } },
	{ "shmem", 4096, open_shmem, { NULL } },
	{ "hugetlb", HPAGE_SIZE, open_hugetlb,
	  { [OP_ZEROPAGE] = "UFFDIO_ZEROPAGE is not supported on hugetlb" } },
	{ "rust", 4096, open_rust, { NULL } },
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static long long read_insns(void)
{
	long long v;

	if (insns_fd < 0 || read(insns_fd, &v, sizeof(v)) != sizeof(v))
		return -1;
	return v;
}

/* Counts instructions on CPU 0 (kernel and user) when a PMU is there. */
static void open_insns_counter(void)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_HARDWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_HW_INSTRUCTIONS,
		.exclude_hv = 1,
	};

	insns_fd = syscall(SYS_perf_event_open, &attr, -1, 0, -1, 0);
	if (insns_fd >= 0 && read_insns() < 0) {
		close(insns_fd);
		insns_fd = -1;
	}
}

static void pin_to_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("uffd-bench: sched_setaffinity(CPU 0)");
}

static int fail(const struct round *r, const char *what)
{
	printf("bench-error type=%s op=%s path=%s reason=%s: %s\n",
	       r->mt->name, op_names[r->op], path_names[r->path], what,
	       strerror(errno));
	failures++;
	return -1;
}

/* Fills the page at @addr with the round's operation (and wakes waiters). */
static int fill(struct round *r, unsigned long addr)
{
	struct uffdio_range range = { .start = addr, .len = r->mt->page };
	struct uffdio_copy copy = {
		.dst = addr, .src = (unsigned long)src_page, .len = range.len,
	};
	struct uffdio_zeropage zero = { .range = range };
	struct uffdio_continue cont = { .range = range };

	switch (r->op) {
	case OP_COPY:
		return ioctl(r->uffd, UFFDIO_COPY, &copy);
	case OP_ZEROPAGE:
		return ioctl(r->uffd, UFFDIO_ZEROPAGE, &zero);
	default:
		return ioctl(r->uffd, UFFDIO_CONTINUE, &cont);
	}
}

/*
 * Gives up on the round without leaving the faulting thread waiting:
 * closing the userfaultfd wakes it, and the kernel serves its faults.
 */
static void *handler_failed(struct round *r, int err)
{
	r->handler_err = err ? err : EIO;
	close(r->uffd);
	r->uffd = -1;
	return NULL;
}

static void *handle_faults(void *arg)
{
	struct round *r = arg;
	unsigned long mask = ~(r->mt->page - 1);
	struct uffdio_range range = { .len = r->mt->page };
	struct uffd_msg msg;
	int resolved = 0;

	while (resolved < r->pages) {
		if (read(r->uffd, &msg, sizeof(msg)) != sizeof(msg))
			return handler_failed(r, errno);
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			return handler_failed(r, EPROTO);
		if (!fill(r, msg.arg.pagefault.address & mask)) {
			resolved++;
			continue;
		}
		if (errno != EEXIST)
			return handler_failed(r, errno);
		/* A repeated event for a filled page: just wake the thread. */
		range.start = msg.arg.pagefault.address & mask;
		if (ioctl(r->uffd, UFFDIO_WAKE, &range))
			return handler_failed(r, errno);
	}
	return NULL;
}

static int new_uffd(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int uffd = syscall(SYS_userfaultfd, O_CLOEXEC);

	if (uffd < 0)
		return -1;
	if (ioctl(uffd, UFFDIO_API, &api)) {
		close(uffd);
		return -1;
	}
	return uffd;
}

/* Puts every page in the page cache through a second shared mapping. */
static int populate_cache(struct round *r)
{
	char *alias = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   r->fd, 0);

	if (alias == MAP_FAILED)
		return fail(r, "mmap of the second mapping");
	for (size_t off = 0; off < r->size; off += r->mt->page)
		alias[off] = 1;
	if (munmap(alias, r->size))
		return fail(r, "munmap of the second mapping");
	return 0;
}

static int teardown(struct round *r)
{
	int ret = 0;

	if (r->uffd >= 0 && close(r->uffd))
		ret = fail(r, "close of the userfaultfd");
	if (r->area && r->area != MAP_FAILED && munmap(r->area, r->size))
		ret = fail(r, "munmap");
	if (r->fd >= 0 && close(r->fd))
		ret = fail(r, "close");
	return ret;
}

static int setup(struct round *r)
{
	const struct memtype *mt = r->mt;
	struct uffdio_register reg = { 0 };

	r->size = r->pages * mt->page;
	r->fd = -1;
	r->uffd = -1;
	r->area = NULL;
	if (mt->open_mem) {
		r->fd = mt->open_mem(r->size);
		if (r->fd < 0)
			return -1;	/* the caller tells why */
		r->area = mmap(NULL, r->size, PROT_READ | PROT_WRITE,
			       MAP_SHARED, r->fd, 0);
	} else {
		r->area = mmap(NULL, r->size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	if (r->area == MAP_FAILED)
		return fail(r, "mmap");
	/* Base pages on every kernel, whatever the THP defaults. */
	if (mt->page != HPAGE_SIZE && madvise(r->area, r->size, MADV_NOHUGEPAGE) &&
	    errno != EINVAL)
		return fail(r, "madvise(MADV_NOHUGEPAGE)");
	if (r->op == OP_CONTINUE && populate_cache(r))
		return -1;
	if (r->path == PATH_NOUFFD)
		return 0;
	r->uffd = new_uffd();
	if (r->uffd < 0)
		return fail(r, "userfaultfd");
	reg.range.start = (unsigned long)r->area;
	reg.range.len = r->size;
	reg.mode = r->op == OP_CONTINUE ? UFFDIO_REGISTER_MODE_MINOR :
					  UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(r->uffd, UFFDIO_REGISTER, &reg))
		return fail(r, "UFFDIO_REGISTER");
	return 0;
}

/* Not inlined: a profiler can tell the timed loops by their addresses. */
static noinline int run_ioctls(struct round *r)
{
	for (int i = 0; i < r->pages; i++)
		if (fill(r, (unsigned long)r->area + i * r->mt->page))
			return fail(r, "fill ioctl");
	return 0;
}

static noinline int touch_pages(struct round *r)
{
	volatile char *p = r->area;
	size_t page = r->mt->page;
	int do_write = r->op == OP_COPY && r->path == PATH_NOUFFD;

	for (int i = 0; i < r->pages; i++) {
		if (do_write)
			p[i * page] = 1;
		else
			(void)p[i * page];
	}
	return 0;
}

/*
 * The round trip runs under SCHED_FIFO, where a woken thread does not
 * preempt the running one, which goes on until it blocks: the hand-offs
 * are the same in every round and on every kernel.  (Under CFS, wake-up
 * preemption depends on exact run times, so a few instructions more
 * anywhere change the schedule, and the cost of the round trip with it.)
 * The handler thread inherits the policy.
 */
static int start_handler(struct round *r)
{
	struct sched_param fifo = { .sched_priority = 1 };

	r->handler_err = 0;
	if (sched_setscheduler(0, SCHED_FIFO, &fifo))
		return fail(r, "sched_setscheduler(SCHED_FIFO)");
	errno = pthread_create(&r->handler, NULL, handle_faults, r);
	if (errno) {
		fail(r, "pthread_create");
		fifo.sched_priority = 0;
		sched_setscheduler(0, SCHED_OTHER, &fifo);
		return -1;
	}
	return 0;
}

static int stop_handler(struct round *r)
{
	struct sched_param other = { .sched_priority = 0 };
	int ret = 0;

	errno = pthread_join(r->handler, NULL);
	if (errno)
		ret = fail(r, "pthread_join");
	if (r->handler_err) {
		errno = r->handler_err;
		ret = fail(r, "fault handler");
	}
	if (sched_setscheduler(0, SCHED_OTHER, &other))
		ret = fail(r, "sched_setscheduler(SCHED_OTHER)");
	return ret;
}

/* One round; prints its line unless it is the warm-up (@round < 0). */
static int measure(struct round *r, int round)
{
	long long i0, i1;
	double t0, t1;
	int ret;

	if (setup(r)) {
		teardown(r);	/* keeps errno when nothing was opened */
		return -1;
	}
	if (r->path == PATH_FAULT && start_handler(r)) {
		teardown(r);
		return -1;
	}
	i0 = read_insns();
	t0 = now_ns();
	ret = r->path == PATH_IOCTL ? run_ioctls(r) : touch_pages(r);
	t1 = now_ns();
	i1 = read_insns();
	if (r->path == PATH_FAULT && stop_handler(r))
		ret = -1;
	if (teardown(r))
		ret = -1;
	if (ret || round < 0)
		return ret;
	printf("bench type=%s op=%s path=%s round=%d pages=%d ns=%.1f insns=",
	       r->mt->name, op_names[r->op], path_names[r->path], round,
	       r->pages, (t1 - t0) / r->pages);
	if (i0 >= 0 && i1 >= 0)
		printf("%.1f\n", (double)(i1 - i0) / r->pages);
	else
		printf("-\n");
	return 0;
}

static void not_applicable(const struct memtype *mt, int op, const char *why)
{
	for (int path = 0; path < NR_PATHS; path++)
		printf("bench-na type=%s op=%s path=%s reason=%s\n", mt->name,
		       op_names[op], path_names[path], why);
}

/*
 * Measures one path: a warm-up round, then @rounds timed ones.  Returns -1
 * if objects of the memory type cannot be created here (e.g. the Rust
 * sample on a kernel without it), which is reported as not applicable.
 */
static int bench_path(const struct memtype *mt, int op, int path, int pages, int rounds)
{
	struct round r = { .mt = mt, .op = op, .path = path, .pages = pages };
	char why[128];

	errno = 0;
	if (measure(&r, -1)) {
		if (r.fd >= 0 || !mt->open_mem)
			return 0;	/* measure() reported it */
		snprintf(why, sizeof(why), "cannot create a %s object: %s",
			 mt->name, strerror(errno));
		not_applicable(mt, op, why);
		return -1;
	}
	for (int i = 0; i < rounds; i++)
		if (measure(&r, i))
			break;
	return 0;
}

/* Is @name in the comma-separated @list (NULL: everything)? */
static int selected(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	if (!list)
		return 1;
	while (p) {
		if (!strncmp(p, name, n) && (p[n] == ',' || !p[n]))
			return 1;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return 0;
}

static void print_usage(void)
{
	fprintf(stderr,
		"usage: %s [-r ROUNDS] [-n PAGES] [-H HUGEPAGES] [-t TYPES] [-o OPS] [-p PATHS]\n"
		"  -r  timed rounds per measurement, after one warm-up round (5)\n"
		"  -n  4K pages per round (2048)\n"
		"  -H  2M pages per round on hugetlb (64)\n"
		"  -t  comma-separated memory types: anon,shmem,hugetlb,rust (all)\n"
		"  -o  comma-separated operations: copy,zeropage,continue (all)\n"
		"  -p  comma-separated paths: ioctl,fault,nouffd (all)\n",
		program_invocation_short_name);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *types = NULL, *ops = NULL, *paths = NULL;
	int rounds = 5, pages = 2048, hpages = 64, c;

	while ((c = getopt(argc, argv, "r:n:H:t:o:p:")) != -1) {
		switch (c) {
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'n':
			pages = atoi(optarg);
			break;
		case 'H':
			hpages = atoi(optarg);
			break;
		case 't':
			types = optarg;
			break;
		case 'o':
			ops = optarg;
			break;
		case 'p':
			paths = optarg;
			break;
		default:
			print_usage();
		}
	}
	if (optind != argc || rounds < 1 || pages < 1 || hpages < 1)
		print_usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	pin_to_cpu0();
	open_insns_counter();
	src_page = mmap(NULL, HPAGE_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (src_page == MAP_FAILED) {
		perror("uffd-bench: mmap of the source page");
		return 1;
	}
	memset(src_page, 'x', HPAGE_SIZE);
	printf("bench-info clock=monotonic rounds=%d pages=%d hugepages=%d insns=%s\n",
	       rounds, pages, hpages, insns_fd >= 0 ? "perf" : "none");

	for (size_t t = 0; t < ARRAY_SIZE(memtypes); t++) {
		const struct memtype *mt = &memtypes[t];
		int n = mt->page == HPAGE_SIZE ? hpages : pages;

		if (!selected(types, mt->name))
			continue;
		for (int op = 0; op < NR_OPS; op++) {
			if (!selected(ops, op_names[op]))
				continue;
			if (mt->not_applicable[op]) {
				not_applicable(mt, op, mt->not_applicable[op]);
				continue;
			}
			for (int path = 0; path < NR_PATHS; path++)
				if (selected(paths, path_names[path]) &&
				    bench_path(mt, op, path, n, rounds))
					break;
		}
	}
	if (failures)
		fprintf(stderr, "uffd-bench: %d measurement(s) failed\n", failures);
	return failures ? 1 : 0;
}
