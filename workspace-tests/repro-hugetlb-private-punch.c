// SPDX-License-Identifier: GPL-2.0
/*
 * Reproducer: hole punching a hugetlbfs file while a MAP_PRIVATE mapping of
 * it faults corrupts the private mapping's reserve map (no userfaultfd
 * involved, v6.18.15 fs/hugetlbfs/inode.c).
 *
 * remove_inode_hugepages() calls hugetlb_unmap_file_folio() for a folio
 * that is still mapped.  When hugetlb_vma_trylock_write() fails for a VMA,
 * that function takes a reference on vma->vm_private_data as a
 * struct hugetlb_vma_lock.  For a MAP_PRIVATE VMA, vm_private_data is the
 * reserve map ORed with HPAGE_RESV_OWNER, so kref_get() increments the
 * four bytes at resv_map + 1: it finds 0 ("refcount_t: addition on 0;
 * use-after-free"), saturates them to 0xc0000000 and thereby writes 0xc0
 * into the low byte of resv_map->lock.  The next spin_lock(&resv->lock)
 * (region_chg() on MADV_DONTNEED, a fault, munmap) spins for ever: RCU
 * stall, hung task.
 *
 * The trylock fails when another thread holds the private VMA's lock
 * (resv_map->rw_sema) at that moment: here, threads that keep faulting
 * the file's page into the private mapping and zapping it again.
 *
 *   repro-hugetlb-private-punch [SECONDS]     (default 60)
 *
 * Needs 2 free 2M hugetlb pages.  Exits 0 if nothing happened in time;
 * when the bug hits, the kernel log shows the refcount warning and the
 * program hangs (the watchdog then exits 1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef MFD_HUGETLB
#define MFD_HUGETLB	0x0004U
#endif
#define HPAGE		(2UL << 20)
#define NFAULTERS	2

static volatile int stop;
static char *priv[NFAULTERS];
static unsigned long faults, punches;

static void *faulter(void *arg)
{
	char *p = arg;

	while (!stop) {
		/* maps the page cache folio read-only, under the vma lock */
		(void)*(volatile char *)p;
		/* zaps it again, under the vma lock */
		madvise(p, HPAGE, MADV_DONTNEED);
		__atomic_add_fetch(&faults, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void watchdog(int sig)
{
	static const char msg[] = "repro: hung (see the kernel log)\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 60;
	pthread_t th[NFAULTERS];
	time_t end;
	char *shared;
	int fd, i;

	fd = memfd_create("repro", MFD_HUGETLB);
	if (fd < 0 || ftruncate(fd, HPAGE)) {
		perror("hugetlb memfd");
		return 4;
	}
	shared = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	for (i = 0; i < NFAULTERS; i++)
		priv[i] = mmap(NULL, HPAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	if (shared == MAP_FAILED || priv[0] == MAP_FAILED ||
	    priv[NFAULTERS - 1] == MAP_FAILED) {
		perror("mmap");
		return 4;
	}
	signal(SIGALRM, watchdog);
	alarm(secs + 30);
	for (i = 0; i < NFAULTERS; i++)
		pthread_create(&th[i], NULL, faulter, priv[i]);
	end = time(NULL) + secs;
	while (time(NULL) < end) {
		/* a page in the file, then punch it while it is mapped */
		shared[0] = 1;
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      0, HPAGE)) {
			perror("fallocate");
			return 4;
		}
		punches++;
	}
	stop = 1;
	for (i = 0; i < NFAULTERS; i++)
		pthread_join(th[i], NULL);
	printf("repro: no hang in %d s (%lu punches, %lu faults)\n", secs,
	       punches, faults);
	return 0;
}
