// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-monitors: many faulting threads and many monitors resolving the same
 * faults in parallel, on one memory object shared by several processes.
 *
 *   uffd-monitors [-s SEED] [-t TYPE|all] [-P PROCS] [-F FAULTERS]
 *                 [-M MONITORS] [-p PAGES] [-r ROUNDS] [-T SECONDS]
 *
 *   -s  seed (default: time based); always printed first
 *   -t  anon|shmem|hugetlb|testmem|rustmem|all (default all)
 *   -P  processes mapping the object, each with its own userfaultfd (4)
 *   -F  faulting threads per process (4)
 *   -M  monitor threads per process, all reading the same userfaultfd (4)
 *   -p  pages of the object (256; hugetlb: at most 16 of 2M)
 *   -r  rounds per memory type and mode (8), each on a new object
 *   -T  watchdog per round, seconds (120)
 *
 * A round creates one object (a memfd, a hugetlb memfd or an object of a
 * module device; anonymous memory has no object, so there every process
 * has its own region) and forks PROCS processes.  Each maps the whole
 * object shared, registers it with its own userfaultfd and starts FAULTERS
 * threads that touch every page in random order (half of them in the same
 * order in every process, the others each in its own; a read, or a write
 * of the value the word already must hold) and MONITORS threads
 * that poll the one userfaultfd: several of them wake for each message and
 * race to read it, and several faulting threads of several processes fault
 * on the same page at once, so the same page is resolved by many monitors
 * at the same time.
 *
 * MISSING mode: a monitor resolves a fault with UFFDIO_COPY of the page's
 * pattern.  Inserting into the page cache is atomic, so across all
 * processes exactly one COPY per page of a shared object succeeds, and the
 * others must fail with EEXIST; their monitor then wakes the range with
 * UFFDIO_WAKE, and the faulting thread finds the page in the page cache.
 * For anonymous memory, exactly one COPY per page succeeds per process.
 *
 * MINOR mode (memory types with a page cache): the parent fills the object
 * through a mapping of its own first; a monitor resolves with
 * UFFDIO_CONTINUE, which maps the page cache page.  Fault-around is off for
 * MINOR registrations, so every process faults on every page, and exactly
 * one CONTINUE per page and process succeeds; the others give EEXIST and
 * wake.
 *
 * Checked: every word a faulting thread reads is its pattern word; every
 * fault message is a page fault of the registered range, of the mode
 * registered; every COPY/CONTINUE succeeds for the whole page or fails
 * with EEXIST (EAGAIN, which a page table being changed under the ioctl
 * may give, is retried), and every UFFDIO_WAKE succeeds; the
 * exactly-once counts above, per page; no message is left in a
 * userfaultfd when the faulting threads are done (the message of a fault
 * that a wake ended must have gone with it); every page of the object
 * reads as its pattern through a new mapping afterwards; and nothing
 * hangs: a lost wake-up leaves a faulting thread waiting, so a round
 * whose processes have not finished within -T seconds fails (and they are
 * killed; if they cannot be, the program exits failing).
 *
 * Assumed: no swap, and no khugepaged collapse of the object (the
 * mappings are MADV_NOHUGEPAGE): either could zap a PTE that a CONTINUE
 * installed, and a process would fault on that page again.
 *
 * Built with -DUFFD_MONITORS_BREAK=1, a monitor that gets EEXIST does not
 * wake the range.  In MISSING mode on a shared object the faulting thread
 * then waits for ever (the COPY that won woke only its own process's
 * threads) and the watchdog fails the round (checked by hand).
 *
 * Output is KTAP, one result per memory type and mode with the figures:
 * rounds, processes, threads, faults read, resolutions, EEXISTs and wakes.
 */
#include "uffd-rel.h"

#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <sys/wait.h>
#include <time.h>

#include "tools/testing/selftests/kselftest.h"

#ifndef UFFD_MONITORS_BREAK
#define UFFD_MONITORS_BREAK 0
#endif

#define MAX_PROCS	16
#define MAX_THREADS	32
#define HUGETLB_MAX_PAGES 16

struct opts {
	uint64_t seed;
	int procs;
	int faulters;
	int monitors;
	size_t pages;
	int rounds;
	int watchdog;
};

/* What one process saw, in memory shared with the parent. */
struct proc_stats {
	uint64_t faults;	/* messages read */
	uint64_t resolved;	/* COPY/CONTINUE of the whole page */
	uint64_t eexist;	/* COPY/CONTINUE that found the page there */
	uint64_t wakes;		/* UFFDIO_WAKE after an EEXIST */
	uint64_t failures;
	char why[200];		/* the first failure */
};

/* The state shared by the parent and the processes of one round. */
struct round_shared {
	struct proc_stats stats[MAX_PROCS];
	/* resolutions[proc * pages + page]: successful COPY/CONTINUEs */
	uint32_t resolutions[];
};

struct round {
	const struct opts *o;
	int mt;
	uint64_t mode;		/* UFFDIO_REGISTER_MODE_MISSING or _MINOR */
	int obj;		/* the object's fd, -1 for anon */
	size_t psize;
	size_t pages;
	uint64_t key;		/* the round's pattern key */
	struct round_shared *sh;
	size_t sh_len;
};

/* One process's view, shared by its threads. */
struct proc {
	struct round *r;
	int idx;
	char *area;
	char *src;		/* the pattern of every page, COPY's source */
	int uffd;
	volatile int stop;
	struct proc_stats *st;
	uint32_t *resolutions;
};

struct faulter {
	struct proc *p;
	int idx;
};

static void proc_fail(struct proc *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void proc_fail(struct proc *p, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&p->st->failures, 1, __ATOMIC_RELAXED) == 0) {
		va_start(ap, fmt);
		vsnprintf(p->st->why, sizeof(p->st->why), fmt, ap);
		va_end(ap);
	}
}

static uint64_t word_pattern(const struct round *r, size_t page, size_t off)
{
	return rel_pat(r->o->seed, r->key, page * r->psize + off);
}

/*
 * The words a faulting thread checks: all of a small page; of a 2M page,
 * one per 4K (checking 2M words per touch would make the round too slow
 * under TCG, and a wrong page shows in every 4K of it).
 */
static size_t check_stride(const struct round *r)
{
	return r->psize > 4096 ? 4096 : 8;
}

static void *monitor_thread(void *arg)
{
	struct proc *p = arg;
	struct round *r = p->r;
	size_t len = r->pages * r->psize;

	while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
		struct pollfd pfd = { .fd = p->uffd, .events = POLLIN };
		struct uffd_msg msg;
		uint64_t addr, want;
		size_t page;
		ssize_t n;
		int ret;

		ret = poll(&pfd, 1, 20);
		if (ret < 0 && errno != EINTR) {
			proc_fail(p, "poll: %s", strerror(errno));
			break;
		}
		if (ret <= 0)
			continue;
		if (pfd.revents & (POLLERR | POLLHUP)) {
			proc_fail(p, "poll: revents %#x", pfd.revents);
			break;
		}
		n = read(p->uffd, &msg, sizeof(msg));
		if (n < 0 && errno == EAGAIN)
			continue;	/* another monitor took it */
		if (n != sizeof(msg)) {
			proc_fail(p, "read: %zd (%s)", n, n < 0 ? strerror(errno) : "short");
			break;
		}
		if (msg.event != UFFD_EVENT_PAGEFAULT) {
			proc_fail(p, "message event %#x, expected a page fault", msg.event);
			continue;
		}
		__atomic_fetch_add(&p->st->faults, 1, __ATOMIC_RELAXED);
		addr = msg.arg.pagefault.address;
		if (addr < (uintptr_t)p->area || addr >= (uintptr_t)p->area + len) {
			proc_fail(p, "fault at %#" PRIx64 " outside the range", addr);
			continue;
		}
		want = r->mode == UFFDIO_REGISTER_MODE_MINOR ? UFFD_PAGEFAULT_FLAG_MINOR : 0;
		if ((msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_MINOR) != want) {
			proc_fail(p, "fault flags %#llx in %s mode",
				  (unsigned long long)msg.arg.pagefault.flags,
				  want ? "MINOR" : "MISSING");
			continue;
		}
		addr &= ~(uint64_t)(r->psize - 1);
		page = (addr - (uintptr_t)p->area) / r->psize;

		if (r->mode == UFFDIO_REGISTER_MODE_MISSING) {
			struct uffdio_copy c = {
				.dst = addr,
				.src = (uintptr_t)p->src + page * r->psize,
				.len = r->psize,
			};

			do {
				c.copy = 0;
				ret = ioctl(p->uffd, UFFDIO_COPY, &c);
			} while (ret && errno == EAGAIN && c.copy == -EAGAIN);
			if (!ret && c.copy == (int64_t)r->psize)
				goto resolved;
			if (ret && errno == EEXIST && c.copy == -EEXIST)
				goto eexist;
			proc_fail(p, "UFFDIO_COPY page %zu: %s, copy %lld", page,
				  ret ? rel_errname(errno) : "ok", (long long)c.copy);
		} else {
			struct uffdio_continue c = {
				.range = { .start = addr, .len = r->psize },
			};

			do {
				c.mapped = 0;
				ret = ioctl(p->uffd, UFFDIO_CONTINUE, &c);
			} while (ret && errno == EAGAIN && c.mapped == -EAGAIN);
			if (!ret && c.mapped == (int64_t)r->psize)
				goto resolved;
			if (ret && errno == EEXIST && c.mapped == -EEXIST)
				goto eexist;
			proc_fail(p, "UFFDIO_CONTINUE page %zu: %s, mapped %lld", page,
				  ret ? rel_errname(errno) : "ok", (long long)c.mapped);
		}
		/* Unexpected: wake so that the faulting thread cannot hang. */
		goto wake;
resolved:
		__atomic_fetch_add(&p->st->resolved, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&p->resolutions[page], 1, __ATOMIC_RELAXED);
		continue;
eexist:
		/*
		 * Someone else resolved it: this process's page, or the
		 * object's page cache.  The faulting thread waits until
		 * woken; it then retries the fault and finds the page.
		 */
		__atomic_fetch_add(&p->st->eexist, 1, __ATOMIC_RELAXED);
		if (UFFD_MONITORS_BREAK)
			continue;
wake:
		{
			struct uffdio_range w = { .start = addr, .len = r->psize };

			if (ioctl(p->uffd, UFFDIO_WAKE, &w))
				proc_fail(p, "UFFDIO_WAKE page %zu: %s", page, rel_errname(errno));
			else
				__atomic_fetch_add(&p->st->wakes, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static void *faulter_thread(void *arg)
{
	struct faulter *f = arg;
	struct proc *p = f->p;
	struct round *r = p->r;
	size_t stride = check_stride(r);
	size_t *order, i, j;
	uint64_t rs;

	order = malloc(r->pages * sizeof(*order));
	if (!order) {
		proc_fail(p, "malloc");
		return NULL;
	}
	/*
	 * Even faulters of every process go through the pages in the
	 * round's common order, so that they fault on the same page at the
	 * same time; odd ones in an order of their own.
	 */
	if (f->idx % 2 == 0)
		rel_seed(&rs, r->o->seed, r->key << 16);
	else
		rel_seed(&rs, r->o->seed, (r->key << 16) ^ ((uint64_t)p->idx << 8) ^ f->idx);
	for (i = 0; i < r->pages; i++)
		order[i] = i;
	for (i = r->pages - 1; i > 0; i--) {
		size_t k = rel_below(&rs, i + 1), t = order[i];

		order[i] = order[k];
		order[k] = t;
	}
	for (i = 0; i < r->pages; i++) {
		size_t page = order[i];
		volatile uint64_t *w = (volatile uint64_t *)(p->area + page * r->psize);
		size_t first = rel_below(&rs, r->psize / 8) * 8;

		/* The first touch faults; half of them are writes. */
		if (rel_rand(&rs) & 1)
			w[first / 8] = word_pattern(r, page, first);
		for (j = 0; j < r->psize; j += stride) {
			uint64_t got = w[j / 8];

			if (got != word_pattern(r, page, j)) {
				proc_fail(p, "page %zu word %zu: %#" PRIx64 ", expected %#" PRIx64,
					  page, j / 8, got, word_pattern(r, page, j));
				break;
			}
		}
	}
	free(order);
	return NULL;
}

/* The body of one process of a round; returns its exit status. */
static int proc_main(struct round *r, int idx)
{
	uint64_t feat = rel_uffd_features() &
			(UFFD_FEATURE_MISSING_SHMEM | UFFD_FEATURE_MISSING_HUGETLBFS |
			 UFFD_FEATURE_MINOR_SHMEM | UFFD_FEATURE_MINOR_HUGETLBFS);
	const struct opts *o = r->o;
	size_t len = r->pages * r->psize, i;
	pthread_t mon[MAX_THREADS], flt[MAX_THREADS];
	struct faulter fa[MAX_THREADS];
	struct uffdio_register reg;
	struct uffd_msg msg;
	struct proc p = {
		.r = r,
		.idx = idx,
		.st = &r->sh->stats[idx],
		.resolutions = &r->sh->resolutions[idx * r->pages],
	};
	uint64_t need;
	int nmon = 0, nflt = 0;
	ssize_t n;

	if (r->obj >= 0)
		p.area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, r->obj, 0);
	else
		p.area = mmap(NULL, len, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p.src = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p.area == MAP_FAILED || p.src == MAP_FAILED) {
		proc_fail(&p, "mmap: %s", strerror(errno));
		return 1;
	}
	/* No collapse into a THP behind a CONTINUE's back (see the top). */
	if (r->mt != MT_HUGETLB)
		madvise(p.area, len, MADV_NOHUGEPAGE);
	for (i = 0; i < r->pages; i++)
		rel_pat_fill(p.src + i * r->psize, o->seed, r->key, i * r->psize, r->psize);

	p.uffd = rel_uffd_new(feat, O_CLOEXEC | O_NONBLOCK);
	if (p.uffd < 0) {
		proc_fail(&p, "userfaultfd: %s", strerror(-p.uffd));
		return 1;
	}
	reg = (struct uffdio_register){
		.range = { .start = (uintptr_t)p.area, .len = len },
		.mode = r->mode,
	};
	if (ioctl(p.uffd, UFFDIO_REGISTER, &reg)) {
		proc_fail(&p, "UFFDIO_REGISTER: %s", rel_errname(errno));
		return 1;
	}
	need = B_WAKE | (r->mode == UFFDIO_REGISTER_MODE_MINOR ? B_CONTINUE : B_COPY);
	if ((reg.ioctls & need) != need) {
		proc_fail(&p, "UFFDIO_REGISTER ioctls %#llx lack %#llx",
			  (unsigned long long)reg.ioctls, (unsigned long long)need);
		return 1;
	}

	for (; nmon < o->monitors; nmon++)
		if (pthread_create(&mon[nmon], NULL, monitor_thread, &p))
			break;
	for (; nmon == o->monitors && nflt < o->faulters; nflt++) {
		fa[nflt] = (struct faulter){ .p = &p, .idx = nflt };
		if (pthread_create(&flt[nflt], NULL, faulter_thread, &fa[nflt]))
			break;
	}
	if (nmon < o->monitors || nflt < o->faulters)
		proc_fail(&p, "pthread_create");
	for (i = 0; i < (size_t)nflt; i++)
		pthread_join(flt[i], NULL);
	__atomic_store_n(&p.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < (size_t)nmon; i++)
		pthread_join(mon[i], NULL);

	/* Every fault was answered: nothing may be left to read. */
	n = read(p.uffd, &msg, sizeof(msg));
	if (n >= 0)
		proc_fail(&p, "a message was left in the userfaultfd (event %#x)",
			  msg.event);
	else if (errno != EAGAIN)
		proc_fail(&p, "read of the empty userfaultfd: %s", rel_errname(errno));

	/* Anonymous memory is private: check it here, whole. */
	if (r->obj < 0) {
		for (i = 0; i < r->pages; i++) {
			long bad = rel_pat_check(p.area + i * r->psize, o->seed, r->key,
						 i * r->psize, r->psize);
			if (bad >= 0) {
				proc_fail(&p, "after the round: page %zu word %ld is wrong", i, bad);
				break;
			}
		}
	}
	return p.st->failures ? 1 : 0;
}

/* Fill the object's page cache through a mapping of the parent's. */
static int populate(struct round *r)
{
	size_t len = r->pages * r->psize;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, r->obj, 0);

	if (m == MAP_FAILED)
		return -errno;
	rel_pat_fill(m, r->o->seed, r->key, 0, len);
	munmap(m, len);
	return 0;
}

/* After the round: the object through a new mapping, whole. */
static int check_object(struct round *r, char *why, size_t whylen)
{
	size_t len = r->pages * r->psize, i;
	char *m = mmap(NULL, len, PROT_READ, MAP_SHARED, r->obj, 0);
	int ret = 0;

	if (m == MAP_FAILED) {
		snprintf(why, whylen, "mmap of the object: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < r->pages; i++) {
		long bad = rel_pat_check(m + i * r->psize, r->o->seed, r->key,
					 i * r->psize, r->psize);

		if (bad >= 0) {
			snprintf(why, whylen, "object page %zu word %ld is wrong", i, bad);
			ret = -1;
			break;
		}
	}
	munmap(m, len);
	return ret;
}

/* The exactly-once counts; 0 or -1 with @why. */
static int check_resolutions(struct round *r, char *why, size_t whylen)
{
	bool per_object = r->obj >= 0 && r->mode == UFFDIO_REGISTER_MODE_MISSING;
	size_t pg;
	int pi;

	for (pg = 0; pg < r->pages; pg++) {
		uint32_t sum = 0;

		for (pi = 0; pi < r->o->procs; pi++) {
			uint32_t n = r->sh->resolutions[pi * r->pages + pg];

			sum += n;
			if (!per_object && n != 1) {
				snprintf(why, whylen,
					 "page %zu resolved %u times in process %d, expected once",
					 pg, n, pi);
				return -1;
			}
		}
		if (per_object && sum != 1) {
			snprintf(why, whylen,
				 "page %zu resolved %u times across the processes, expected once",
				 pg, sum);
			return -1;
		}
	}
	return 0;
}

struct totals {
	uint64_t faults, resolved, eexist, wakes;
};

/*
 * Reap @live killed processes.  One that SIGKILL cannot end within 30 s is
 * stuck in the kernel: nothing more can be tested, so the program ends.
 */
static void reap_killed(int procs, int live)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (live) {
		if (waitpid(-1, NULL, WNOHANG) > 0) {
			live--;
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= 30)
			ksft_exit_fail_msg("%d of %d processes still alive 30 s after SIGKILL: stuck in the kernel\n",
					   live, procs);
		usleep(10000);
	}
}

/* One round; 0 or -1 with @why. */
static int run_round(struct round *r, struct totals *t, char *why, size_t whylen)
{
	const struct opts *o = r->o;
	pid_t pids[MAX_PROCS];
	struct timespec start, now;
	int i, forked = 0, live = 0, ret = 0;

	r->sh_len = sizeof(*r->sh) + o->procs * r->pages * sizeof(uint32_t);
	r->sh = mmap(NULL, r->sh_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r->sh == MAP_FAILED) {
		snprintf(why, whylen, "mmap: %s", strerror(errno));
		return -1;
	}
	r->obj = -1;
	if (rel_mt_is_file(r->mt)) {
		r->obj = rel_obj_create(r->mt, r->pages * r->psize);
		if (r->obj < 0) {
			snprintf(why, whylen, "creating the object: %s", strerror(-r->obj));
			ret = -1;
			goto out;
		}
		if (r->mode == UFFDIO_REGISTER_MODE_MINOR && (i = populate(r))) {
			snprintf(why, whylen, "filling the object: %s", strerror(-i));
			ret = -1;
			goto out;
		}
	}

	fflush(stdout);
	for (i = 0; i < o->procs; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(proc_main(r, i));
		if (pids[i] < 0) {
			snprintf(why, whylen, "fork: %s", strerror(errno));
			ret = -1;
			break;
		}
		forked++;
		live++;
	}

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (live) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid > 0) {
			live--;
			for (i = 0; i < forked; i++)
				if (pids[i] == pid)
					break;
			if (i < forked && !ret &&
			    !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
				snprintf(why, whylen, "process %d: %s", i,
					 r->sh->stats[i].failures ? r->sh->stats[i].why :
					 WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) :
					 "failed");
				ret = -1;
			}
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= o->watchdog) {
			struct proc_stats *s0 = &r->sh->stats[0];

			snprintf(why, whylen,
				 "hang: processes still running after %d s (process 0: faults %"
				 PRIu64 ", resolved %" PRIu64 ", EEXIST %" PRIu64 ", wakes %"
				 PRIu64 "%s%s)", o->watchdog, s0->faults, s0->resolved,
				 s0->eexist, s0->wakes, s0->failures ? "; first failure: " : "",
				 s0->failures ? s0->why : "");
			ret = -1;
			for (i = 0; i < forked; i++)
				kill(pids[i], SIGKILL);
			reap_killed(forked, live);
			live = 0;
			break;
		}
		usleep(10000);
	}

	for (i = 0; i < o->procs; i++) {
		struct proc_stats *s = &r->sh->stats[i];

		t->faults += s->faults;
		t->resolved += s->resolved;
		t->eexist += s->eexist;
		t->wakes += s->wakes;
	}
	if (!ret)
		ret = check_resolutions(r, why, whylen);
	if (!ret && r->obj >= 0)
		ret = check_object(r, why, whylen);
out:
	if (r->obj >= 0)
		close(r->obj);
	munmap(r->sh, r->sh_len);
	return ret;
}

static void run_type_mode(const struct opts *o, int mt, uint64_t mode)
{
	const char *mname = mode == UFFDIO_REGISTER_MODE_MINOR ? "MINOR" : "MISSING";
	struct round r = { .o = o, .mt = mt, .mode = mode, .psize = rel_mt_psize(mt) };
	struct totals t = { 0 };
	char why[600] = "", buf[200];
	const char *unavail;
	int i;

	r.pages = o->pages;
	if (mt == MT_HUGETLB && r.pages > HUGETLB_MAX_PAGES)
		r.pages = HUGETLB_MAX_PAGES;
	/*
	 * hugetlb: a spare page for the temporary folio of a COPY whose
	 * source could not be read with page faults disabled.
	 */
	unavail = rel_mt_unavailable(mt, r.pages + 1, buf, sizeof(buf));
	if (!unavail && mode == UFFDIO_REGISTER_MODE_MINOR &&
	    !(rel_uffd_features() & (mt == MT_HUGETLB ? UFFD_FEATURE_MINOR_HUGETLBFS :
				     UFFD_FEATURE_MINOR_SHMEM)))
		unavail = "this kernel offers no MINOR faults for this memory type";
	if (unavail) {
		ksft_test_result_skip("%s %s: %s\n", rel_mt_name[mt], mname, unavail);
		return;
	}
	for (i = 0; i < o->rounds; i++) {
		r.key = ((uint64_t)mt << 40) ^ (mode << 32) ^ i;
		if (run_round(&r, &t, why, sizeof(why))) {
			ksft_print_msg("%s %s round %d: %s\n", rel_mt_name[mt], mname, i, why);
			break;
		}
	}
	ksft_print_msg("%s %s: %d rounds of %d processes x (%d faulting, %d monitor threads), %zu pages: faults read %" PRIu64 ", resolved %" PRIu64 ", EEXIST %" PRIu64 ", wakes %" PRIu64 "\n",
		       rel_mt_name[mt], mname, i, o->procs, o->faulters, o->monitors,
		       r.pages, t.faults, t.resolved, t.eexist, t.wakes);
	ksft_test_result(!why[0], "%s %s\n", rel_mt_name[mt], mname);
}

static int parse_type(const char *s)
{
	int mt;

	if (!strcmp(s, "all"))
		return -1;
	for (mt = 0; mt < NR_MT; mt++)
		if (!strcmp(s, rel_mt_name[mt]))
			return mt;
	fprintf(stderr, "uffd-monitors: unknown memory type '%s' (anon, shmem, hugetlb, testmem, rustmem or all)\n",
		s);
	exit(KSFT_FAIL);
}

static long parse_num(const char *opt, const char *s, long min, long max)
{
	char *end;
	long v = strtol(s, &end, 0);

	if (*s == '\0' || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "uffd-monitors: %s wants a number from %ld to %ld, not '%s'\n",
			opt, min, max, s);
		exit(KSFT_FAIL);
	}
	return v;
}

static uint64_t parse_seed(const char *s)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (*s == '\0' || *end != '\0' || errno) {
		fprintf(stderr, "uffd-monitors: -s wants a number, not '%s'\n", s);
		exit(KSFT_FAIL);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct opts o = {
		.seed = (uint64_t)time(NULL),
		.procs = 4,
		.faulters = 4,
		.monitors = 4,
		.pages = 256,
		.rounds = 8,
		.watchdog = 120,
	};
	int only = -1, plan = 0, mt, c;

	while ((c = getopt(argc, argv, "s:t:P:F:M:p:r:T:")) != -1) {
		switch (c) {
		case 's':
			o.seed = parse_seed(optarg);
			break;
		case 't':
			only = parse_type(optarg);
			break;
		case 'P':
			o.procs = parse_num("-P", optarg, 1, MAX_PROCS);
			break;
		case 'F':
			o.faulters = parse_num("-F", optarg, 1, MAX_THREADS);
			break;
		case 'M':
			o.monitors = parse_num("-M", optarg, 1, MAX_THREADS);
			break;
		case 'p':
			o.pages = parse_num("-p", optarg, 1, 1 << 16);
			break;
		case 'r':
			o.rounds = parse_num("-r", optarg, 1, 100000);
			break;
		case 'T':
			o.watchdog = parse_num("-T", optarg, 1, 86400);
			break;
		default:
			fprintf(stderr, "usage: uffd-monitors [-s SEED] [-t TYPE|all] [-P PROCS] [-F FAULTERS] [-M MONITORS] [-p PAGES] [-r ROUNDS] [-T SECONDS]\n");
			exit(KSFT_FAIL);
		}
	}

	/* Anonymous memory has no page cache, so no MINOR mode. */
	for (mt = 0; mt < NR_MT; mt++)
		if (only < 0 || mt == only)
			plan += (rel_mt_modes(mt) & UFFDIO_REGISTER_MODE_MINOR) ? 2 : 1;
	ksft_print_header();
	if (!rel_uffd_features())
		ksft_exit_skip("userfaultfd is not available\n");
	ksft_set_plan(plan);
	ksft_print_msg("seed %" PRIu64 " (rerun with -s %" PRIu64 "), %ld CPUs online%s\n",
		       o.seed, o.seed, sysconf(_SC_NPROCESSORS_ONLN),
		       UFFD_MONITORS_BREAK ? ", BROKEN ON PURPOSE: no wake after EEXIST" : "");
	for (mt = 0; mt < NR_MT; mt++) {
		if (only >= 0 && mt != only)
			continue;
		run_type_mode(&o, mt, UFFDIO_REGISTER_MODE_MISSING);
		if (rel_mt_modes(mt) & UFFDIO_REGISTER_MODE_MINOR)
			run_type_mode(&o, mt, UFFDIO_REGISTER_MODE_MINOR);
	}
	ksft_finished();
}
