// SPDX-License-Identifier: GPL-2.0
/*
 * Reproducer: UFFDIO_COPY into hugetlb memory with no free huge page
 * fails with EEXIST, not ENOMEM, although nothing is there (v6.18.15,
 * upstream code, not the vm_uffd_ops series).
 *
 * hugetlb_mfill_atomic_pte(), when alloc_hugetlb_folio() fails, returns
 * -EEXIST if hugetlb_walk() finds a page table for the address, but
 * mfill_atomic_hugetlb() has just allocated that page table with
 * huge_pte_alloc(), so it always finds one: a monitor is told the page
 * exists and wakes the faulting thread, which faults again, for ever.
 *
 *   repro-hugetlb-copy-eexist      (root: shrinks vm.nr_hugepages, restores it)
 *
 * Prints what UFFDIO_COPY returned; exits 1 on EEXIST, 0 on ENOMEM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MFD_HUGETLB
#define MFD_HUGETLB	0x0004U
#endif
#define HPAGE		(2UL << 20)
#define NR_HP		"/proc/sys/vm/nr_hugepages"

static long meminfo(const char *key)
{
	char line[128];
	size_t n = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static void set_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fprintf(f, "%ld\n", v);
		fclose(f);
	}
}

int main(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct uffdio_copy copy;
	long total = meminfo("HugePages_Total");
	long nfree = meminfo("HugePages_Free");
	int fd, uffd, ret, err;
	char *dst, *src;

	fd = memfd_create("repro", MFD_HUGETLB);
	if (fd < 0 || ftruncate(fd, HPAGE) || total < 1) {
		perror("hugetlb memfd");
		return 4;
	}
	/* no reservation at mmap time, so that the pool can be emptied */
	dst = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_NORESERVE, fd, 0);
	src = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (dst == MAP_FAILED || src == MAP_FAILED || uffd < 0 ||
	    ioctl(uffd, UFFDIO_API, &api)) {
		perror("setup");
		return 4;
	}
	memset(src, 0x5a, HPAGE);
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (unsigned long)dst;
	reg.range.len = HPAGE;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		perror("UFFDIO_REGISTER");
		return 4;
	}

	set_long(NR_HP, total - nfree);		/* no free huge page left */
	printf("HugePages_Free=%ld\n", meminfo("HugePages_Free"));
	copy.dst = (unsigned long)dst;
	copy.src = (unsigned long)src;
	copy.len = HPAGE;
	copy.mode = 0;
	copy.copy = 0;
	ret = ioctl(uffd, UFFDIO_COPY, &copy);
	err = ret ? errno : 0;
	set_long(NR_HP, total);
	printf("UFFDIO_COPY -> %d (%s), copy=%lld\n", ret, strerror(err),
	       (long long)copy.copy);
	if (err == EEXIST) {
		printf("repro: EEXIST for a page that does not exist (expected ENOMEM)\n");
		return 1;
	}
	return err == ENOMEM ? 0 : 4;
}
