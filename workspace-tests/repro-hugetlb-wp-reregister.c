// SPDX-License-Identifier: GPL-2.0
/*
 * Reproducer: a write to hugetlb memory loops in the fault handler for
 * ever (v6.18.15, upstream code, not the vm_uffd_ops series).
 *
 * 1. register a hugetlb range for UFFDIO_REGISTER_MODE_WP and
 *    write-protect a populated page (its PTE gets the uffd-wp bit);
 * 2. register the same range again, on the same userfaultfd, for MISSING
 *    only: userfaultfd_register_range() replaces the VMA's userfaultfd
 *    flags (VM_UFFD_WP goes) but leaves the PTE's uffd-wp bit;
 * 3. write to the page: hugetlb_fault() resolves uffd-wp only if
 *    userfaultfd_wp(vma), which is now false, and hugetlb_wp() returns 0
 *    without doing anything for a PTE with the uffd-wp bit ("hugetlb_fault()
 *    will always resolve uffd-wp bit first").  The fault returns, the write
 *    is retried, forever: the thread spins, its minor fault count grows.
 *    (Anonymous memory and shmem do not loop: do_wp_page() ignores the bit
 *    on a VMA without VM_UFFD_WP.)
 *
 *   repro-hugetlb-wp-reregister     exits 1 if the write loops, 0 if not
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MFD_HUGETLB
#define MFD_HUGETLB	0x0004U
#endif
#define HPAGE		(2UL << 20)

/* Minor faults of process @pid so far, from /proc/PID/stat. */
static long minflt(pid_t pid)
{
	char path[64], buf[512], *p;
	long v = -1;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		goto out;
	p = strrchr(buf, ')');
	/* after "(comm)": state ppid pgrp session tty tpgid flags minflt */
	for (i = 0; p && i < 8; i++)
		p = strchr(p + 1, ' ');
	if (p)
		v = strtol(p + 1, NULL, 10);
out:
	if (f)
		fclose(f);
	return v;
}

int main(void)
{
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_WP_HUGETLBFS_SHMEM };
	struct uffdio_register reg;
	struct uffdio_writeprotect wp;
	int fd, uffd, st, i;
	long f0, f1;
	char *page;
	pid_t pid;

	fd = memfd_create("repro", MFD_HUGETLB);
	if (fd < 0 || ftruncate(fd, HPAGE)) {
		perror("hugetlb memfd");
		return 4;
	}
	page = mmap(NULL, HPAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (page == MAP_FAILED) {
		perror("mmap");
		return 4;
	}
	pid = fork();
	if (!pid) {
		page[0] = 1;			/* populated */
		uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
		if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api)) {
			perror("userfaultfd");
			_exit(4);
		}
		memset(&reg, 0, sizeof(reg));
		reg.range.start = (unsigned long)page;
		reg.range.len = HPAGE;
		reg.mode = UFFDIO_REGISTER_MODE_WP;
		if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
			perror("UFFDIO_REGISTER WP");
			_exit(4);
		}
		wp.range = reg.range;
		wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
		if (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp)) {
			perror("UFFDIO_WRITEPROTECT");
			_exit(4);
		}
		reg.mode = UFFDIO_REGISTER_MODE_MISSING;
		if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
			perror("UFFDIO_REGISTER MISSING");
			_exit(4);
		}
		printf("child: range re-registered for MISSING only; writing\n");
		fflush(stdout);
		page[1] = 2;
		printf("child: the write completed\n");
		_exit(0);
	}
	sleep(1);
	f0 = minflt(pid);
	for (i = 0; i < 4; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			printf("repro: no livelock (child status %#x)\n", st);
			return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : 4;
		}
		sleep(1);
		f1 = minflt(pid);
		printf("repro: the child is still faulting: %ld minor faults in 1 s\n",
		       f1 - f0);
		f0 = f1;
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	printf("repro: the write to the hugetlb page never completes (fault livelock)\n");
	return 1;
}
