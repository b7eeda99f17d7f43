// SPDX-License-Identifier: GPL-2.0
/*
 * UFFDIO_COPY racing page faults on the same huge page.
 *
 *   uffd-hugetlb-fill-race [-r ROUNDS] [-p PAGES] [-c private|shared|all]
 *
 * mfill_atomic_hugetlb() and hugetlb_fault() exclude each other on a huge
 * page through hugetlb_fault_mutex_table[], as long as both hash the same
 * index.  v6.18.15 hashes the fill by the index in base pages and the
 * fault by the index in huge pages (patch 1 of the series fixes it), so
 * both allocate a folio for the page.  The loser's error path then
 * corrupts the reservation bookkeeping:
 *
 *  - private: restore_reserve_on_error() deletes the reserve map entry of
 *    the winner's page; unmapping it later leaves adds_in_progress raised
 *    (VM_BUG_ON in resv_map_release() with DEBUG_VM) and HugePages_Rsvd
 *    one too high once the mapping is gone.
 *  - shared: the same two allocations race to the page cache, and a
 *    fault that loses gets SIGBUS.
 *
 * Each round maps PAGES huge pages (MAP_PRIVATE anonymous hugetlb, or a
 * hugetlb memfd MAP_SHARED), registers them for WP, so that read faults
 * are not userfaults, and then a filling thread UFFDIO_COPYs each page
 * while a faulting thread reads it, both released together per page.
 * Checks, per round: the read faults succeed (v6.18.15 kills the shared
 * case's reader with SIGBUS: hugetlb_no_page() loses the race to the page
 * cache, which it takes to be impossible under the fault mutex);
 * UFFDIO_COPY returns 0 or EEXIST; every page holds
 * either the copied pattern or zeroes, whole; and after munmap (and
 * close), HugePages_Rsvd and HugePages_Free are back to their values
 * before the round.  The race must be seen (some EEXIST) or the case
 * fails as not exercised.
 *
 * KTAP output, one case per mapping type.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include "uffd-rel.h"
#include "tools/testing/selftests/kselftest.h"

#define HPAGE		REL_HPAGE_SIZE
#define MAX_PAGES	32

struct race {
	char *area;
	char *src;
	int uffd;
	int pages;
	/* per page: both threads arrive, then both go */
	atomic_int arrived[MAX_PAGES];
	int copy_err[MAX_PAGES];
	int fault_sig[MAX_PAGES];
};

static void arrive_and_wait(atomic_int *a)
{
	atomic_fetch_add(a, 1);
	while (atomic_load(a) < 2)
		;
}

static void *filler(void *arg)
{
	struct race *r = arg;
	int i;

	for (i = 0; i < r->pages; i++) {
		struct uffdio_copy c = {
			.dst = (uintptr_t)(r->area + i * HPAGE),
			.src = (uintptr_t)r->src,
			.len = HPAGE,
		};

		arrive_and_wait(&r->arrived[i]);
		do {
			r->copy_err[i] = ioctl(r->uffd, UFFDIO_COPY, &c) ? errno : 0;
		} while (r->copy_err[i] == EAGAIN);
	}
	return NULL;
}

static void *faulter(void *arg)
{
	struct race *r = arg;
	int i;

	for (i = 0; i < r->pages; i++) {
		sigjmp_buf jb;

		arrive_and_wait(&r->arrived[i]);
		r->fault_sig[i] = rel_touch_begin(jb);
		if (!r->fault_sig[i])
			(void)*(volatile char *)(r->area + i * HPAGE);
		rel_touch_end();
	}
	return NULL;
}

struct counts {
	long rsvd, free;
};

static struct counts hugetlb_counts(void)
{
	struct counts c = {
		.rsvd = rel_meminfo("HugePages_Rsvd"),
		.free = rel_meminfo("HugePages_Free"),
	};
	return c;
}

/* One round; returns 0, or 1 with @why set.  Adds EEXISTs to @races. */
static int round_once(bool shared, int pages, char *src, long *races,
		      long *copies, char *why, size_t whylen)
{
	struct counts before = hugetlb_counts(), after;
	struct uffdio_register reg = { 0 };
	pthread_t tf, tq;
	struct race r;
	int fd = -1, i, ret = 1;
	size_t len = pages * HPAGE;

	memset(&r, 0, sizeof(r));
	r.pages = pages;
	r.src = src;
	r.uffd = rel_uffd_new(UFFD_FEATURE_WP_HUGETLBFS_SHMEM, O_CLOEXEC);
	if (r.uffd < 0) {
		snprintf(why, whylen, "userfaultfd: %s", strerror(-r.uffd));
		return 1;
	}
	if (shared) {
		fd = memfd_create("fill-race", MFD_HUGETLB | MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, len)) {
			snprintf(why, whylen, "hugetlb memfd: %s", strerror(errno));
			goto out_uffd;
		}
		r.area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	} else {
		r.area = mmap(NULL, len, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	}
	if (r.area == MAP_FAILED) {
		snprintf(why, whylen, "mmap of %d huge pages: %s", pages,
			 strerror(errno));
		goto out_fd;
	}
	reg.range.start = (uintptr_t)r.area;
	reg.range.len = len;
	reg.mode = UFFDIO_REGISTER_MODE_WP;
	if (ioctl(r.uffd, UFFDIO_REGISTER, &reg)) {
		snprintf(why, whylen, "UFFDIO_REGISTER WP: %s", strerror(errno));
		goto out_unmap;
	}

	errno = pthread_create(&tf, NULL, filler, &r);
	if (errno) {
		snprintf(why, whylen, "pthread_create: %s", strerror(errno));
		goto out_unmap;
	}
	errno = pthread_create(&tq, NULL, faulter, &r);
	if (errno)
		/* the filler waits for its partner on page 0 for ever */
		ksft_exit_fail_msg("pthread_create: %s\n", strerror(errno));
	pthread_join(tf, NULL);
	pthread_join(tq, NULL);

	for (i = 0; i < pages; i++) {
		char *p = r.area + i * HPAGE;

		if (r.fault_sig[i]) {
			snprintf(why, whylen, "page %d: the read fault got %s (copy %s)",
				 i, strsignal(r.fault_sig[i]), rel_errname(r.copy_err[i]));
			goto out_unmap;
		}
		if (r.copy_err[i] == EEXIST) {
			(*races)++;
		} else if (r.copy_err[i]) {
			snprintf(why, whylen, "page %d: UFFDIO_COPY -> %s, expected ok or EEXIST",
				 i, rel_errname(r.copy_err[i]));
			goto out_unmap;
		} else {
			(*copies)++;
		}
		if (rel_zero_check(p, HPAGE) >= 0 &&
		    rel_pat_check(p, 1, 0, 0, HPAGE) >= 0) {
			snprintf(why, whylen, "page %d (copy %s): neither the copied pattern nor zeroes",
				 i, rel_errname(r.copy_err[i]));
			goto out_unmap;
		}
	}
	ret = 0;
out_unmap:
	munmap(r.area, len);
out_fd:
	if (fd >= 0)
		close(fd);
out_uffd:
	close(r.uffd);
	if (ret)
		return ret;

	after = hugetlb_counts();
	if (after.rsvd != before.rsvd || after.free != before.free) {
		snprintf(why, whylen, "HugePages_Rsvd %ld -> %ld, HugePages_Free %ld -> %ld after the mapping is gone",
			 before.rsvd, after.rsvd, before.free, after.free);
		return 1;
	}
	return 0;
}

static void run_case(bool shared, int rounds, int pages, char *src)
{
	const char *name = shared ? "shared hugetlb (memfd)" : "private hugetlb (anonymous)";
	long races = 0, copies = 0;
	char why[256];
	int rd;

	if (rel_meminfo("HugePages_Free") < 2L * pages) {
		ksft_test_result_skip("%s: fewer than %d free huge pages\n", name, 2 * pages);
		return;
	}
	for (rd = 0; rd < rounds; rd++) {
		if (round_once(shared, pages, src, &races, &copies, why, sizeof(why))) {
			ksft_test_result_fail("%s: round %d: %s\n", name, rd, why);
			return;
		}
	}
	ksft_print_msg("%s: %d rounds x %d pages: %ld copies, %ld EEXIST (fault first)\n",
		       name, rounds, pages, copies, races);
	if (!races) {
		ksft_test_result_fail("%s: the race was never exercised (no EEXIST in %d copies)\n",
				      name, rounds * pages);
		return;
	}
	ksft_test_result_pass("%s\n", name);
}

int main(int argc, char **argv)
{
	int rounds = 100, pages = 8, opt;
	bool private = true, shared = true;
	char *src;

	while ((opt = getopt(argc, argv, "r:p:c:")) != -1) {
		switch (opt) {
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'p':
			pages = atoi(optarg);
			break;
		case 'c':
			private = !strcmp(optarg, "private") || !strcmp(optarg, "all");
			shared = !strcmp(optarg, "shared") || !strcmp(optarg, "all");
			if (private || shared)
				break;
			fprintf(stderr, "%s: -c takes private, shared or all, not '%s'\n",
				argv[0], optarg);
			return KSFT_FAIL;
		default:
			fprintf(stderr, "usage: %s [-r ROUNDS] [-p PAGES (1..%d)] [-c private|shared|all]\n",
				argv[0], MAX_PAGES);
			return KSFT_FAIL;
		}
	}
	if (rounds < 1 || pages < 1 || pages > MAX_PAGES) {
		fprintf(stderr, "%s: -r must be at least 1 and -p within 1..%d\n",
			argv[0], MAX_PAGES);
		return KSFT_FAIL;
	}

	ksft_print_header();
	rel_touch_install();
	ksft_set_plan(private + shared);
	src = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED)
		ksft_exit_fail_msg("mmap of the source buffer: %s\n", strerror(errno));
	rel_pat_fill(src, 1, 0, 0, HPAGE);
	ksft_print_msg("%d rounds of %d huge pages; HugePages_Free %ld, HugePages_Rsvd %ld\n",
		       rounds, pages, rel_meminfo("HugePages_Free"),
		       rel_meminfo("HugePages_Rsvd"));
	if (private)
		run_case(false, rounds, pages, src);
	if (shared)
		run_case(true, rounds, pages, src);
	ksft_finished();
}
