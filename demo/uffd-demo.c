// SPDX-License-Identifier: GPL-2.0
/*
 * uffd-demo: shows, in plain words, userfaultfd MISSING and MINOR faults
 * being raised and resolved on each memory type the running kernel offers
 * (shmem, hugetlb, and the Rust sample's memory when its device exists).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/types.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

struct memtype {
	const char *name;
	int (*open_mem)(size_t size);
	size_t page;
};

static int open_shmem(size_t size)
{
	int fd = memfd_create("uffd-demo-shmem", 0);

	if (fd >= 0 && ftruncate(fd, size)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int open_hugetlb(size_t size)
{
	int fd = memfd_create("uffd-demo-hugetlb", MFD_HUGETLB);

	if (fd >= 0 && ftruncate(fd, size)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* lib/test_uffd_memtype_uapi.h: create a memory object of a given size. */
#define UFFD_TEST_MEMTYPE_CREATE	_IOW('u', 0x80, __u64)

static int open_device_object(const char *dev_path, size_t size)
{
	int dev = open(dev_path, O_RDWR | O_CLOEXEC);
	int fd;

	if (dev < 0)
		return -1;
	fd = ioctl(dev, UFFD_TEST_MEMTYPE_CREATE, (__u64)size);
	close(dev);
	return fd;
}

/* The C test memory type outside mm/ (lib/test_uffd_memtype.c). */
static int open_testmem(size_t size)
{
	return open_device_object("/dev/uffd_test_memtype", size);
}

/* The Rust sample memory type (samples/rust/rust_uffd_mem.rs). */
static int open_rust_sample(size_t size)
{
	return open_device_object("/dev/rust_uffd_mem", size);
}

static int new_uffd(void)
{
	struct uffdio_api api = { .api = UFFD_API, .features = 0 };
	int uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (uffd < 0)
		return -1;
	if (ioctl(uffd, UFFDIO_API, &api)) {
		close(uffd);
		return -1;
	}
	return uffd;
}

struct toucher {
	volatile char *addr;
	char seen;
};

static void *touch(void *arg)
{
	struct toucher *t = arg;

	t->seen = *t->addr; /* faults; sleeps until the handler resolves it */
	return NULL;
}

/* Waits for one fault event; returns its flags or -1. */
static long wait_fault(int uffd, uint64_t *addr)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&pfd, 1, 5000) != 1)
		return -1;
	if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
		return -1;
	if (msg.event != UFFD_EVENT_PAGEFAULT)
		return -1;
	*addr = msg.arg.pagefault.address;
	return msg.arg.pagefault.flags;
}

static int demo_missing(const struct memtype *mt)
{
	size_t size = 2 * mt->page;
	int fd = mt->open_mem(size), uffd = -1, ret = -1;
	char *area = MAP_FAILED, *src = MAP_FAILED;
	struct uffdio_register reg = { 0 };
	struct toucher t;
	pthread_t thr;
	uint64_t addr;
	long flags;

	if (fd < 0) {
		printf("  %s: not available here (%s)\n", mt->name, strerror(errno));
		return 0;
	}
	area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	src = mmap(NULL, mt->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uffd = new_uffd();
	if (area == MAP_FAILED || src == MAP_FAILED || uffd < 0)
		goto out;
	reg.range.start = (unsigned long)area;
	reg.range.len = size;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		printf("  %s MISSING: UFFDIO_REGISTER failed: %s\n", mt->name, strerror(errno));
		goto out;
	}
	t.addr = area;
	pthread_create(&thr, NULL, touch, &t);
	flags = wait_fault(uffd, &addr);
	if (flags < 0 || (flags & UFFD_PAGEFAULT_FLAG_MINOR)) {
		printf("  %s MISSING: no MISSING fault event\n", mt->name);
		goto out;
	}
	printf("  %s: a thread read an unpopulated page -> MISSING fault raised at offset %lu\n",
	       mt->name, (unsigned long)(addr - (uint64_t)area));
	memset(src, 'M', mt->page);
	struct uffdio_copy copy = {
		.dst = (unsigned long)area, .src = (unsigned long)src, .len = mt->page,
	};
	if (ioctl(uffd, UFFDIO_COPY, &copy)) {
		printf("  %s MISSING: UFFDIO_COPY failed: %s\n", mt->name, strerror(errno));
		goto out;
	}
	pthread_join(thr, NULL);
	printf("  %s: resolved with UFFDIO_COPY of a page of 'M'; the thread woke and read '%c'\n",
	       mt->name, t.seen);
	ret = t.seen == 'M' ? 0 : -1;
out:
	if (uffd >= 0)
		close(uffd);
	if (area != MAP_FAILED)
		munmap(area, size);
	if (src != MAP_FAILED)
		munmap(src, mt->page);
	close(fd);
	return ret;
}

static int demo_minor(const struct memtype *mt)
{
	size_t size = 2 * mt->page;
	int fd = mt->open_mem(size), uffd = -1, ret = -1;
	char *area = MAP_FAILED, *alias = MAP_FAILED;
	struct uffdio_register reg = { 0 };
	struct toucher t;
	pthread_t thr;
	uint64_t addr;
	long flags;

	if (fd < 0)
		return 0;
	area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	alias = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	uffd = new_uffd();
	if (area == MAP_FAILED || alias == MAP_FAILED || uffd < 0)
		goto out;
	/* Populate the page cache through the second, unregistered mapping. */
	memset(alias, 'm', mt->page);
	reg.range.start = (unsigned long)area;
	reg.range.len = size;
	reg.mode = UFFDIO_REGISTER_MODE_MINOR;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		printf("  %s MINOR: UFFDIO_REGISTER failed: %s\n", mt->name, strerror(errno));
		goto out;
	}
	t.addr = area;
	pthread_create(&thr, NULL, touch, &t);
	flags = wait_fault(uffd, &addr);
	if (flags < 0 || !(flags & UFFD_PAGEFAULT_FLAG_MINOR)) {
		printf("  %s MINOR: no MINOR fault event\n", mt->name);
		goto out;
	}
	printf("  %s: page in the cache but not mapped here -> MINOR fault raised at offset %lu\n",
	       mt->name, (unsigned long)(addr - (uint64_t)area));
	struct uffdio_continue cont = {
		.range = { .start = (unsigned long)area, .len = mt->page },
	};
	if (ioctl(uffd, UFFDIO_CONTINUE, &cont)) {
		printf("  %s MINOR: UFFDIO_CONTINUE failed: %s\n", mt->name, strerror(errno));
		goto out;
	}
	pthread_join(thr, NULL);
	printf("  %s: resolved with UFFDIO_CONTINUE; the thread read '%c', written through the other mapping\n",
	       mt->name, t.seen);
	ret = t.seen == 'm' ? 0 : -1;
out:
	if (uffd >= 0)
		close(uffd);
	if (area != MAP_FAILED)
		munmap(area, size);
	if (alias != MAP_FAILED)
		munmap(alias, size);
	close(fd);
	return ret;
}

int main(void)
{
	const struct memtype types[] = {
		{ "shmem", open_shmem, 4096 },
		{ "hugetlb", open_hugetlb, 2UL << 20 },
		{ "testmem (C module)", open_testmem, 4096 },
		{ "rustmem (Rust sample)", open_rust_sample, 4096 },
	};
	int failures = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		printf("%s:\n", types[i].name);
		if (demo_missing(&types[i]))
			failures++;
		if (demo_minor(&types[i]))
			failures++;
	}
	printf(failures ? "demo: %d step(s) failed\n" : "demo: every fault was raised and resolved\n",
	       failures);
	return failures ? 1 : 0;
}
