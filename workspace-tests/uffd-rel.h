/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the userfaultfd reliability programs uffd-fuzz.c and
 * uffd-failinject.c: the memory types under test (anon, shmem, hugetlb and
 * the two module memory types of the vm_uffd_ops series), a data pattern,
 * errno names and small /proc and /sys accessors.
 */
#ifndef _UFFD_REL_H
#define _UFFD_REL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "lib/test_uffd_memtype_uapi.h"

/*
 * The v6.18.15 edition's uapi header names the Rust sample's device; the
 * mainline edition's selftests name it themselves (uffd-common.h).
 */
/*
 * The programs are built against the headers of the kernel they test:
 * v6.18.15 or v7.2.8 (the mainline edition).  The version only has to
 * separate the two editions.
 */
#include <linux/version.h>
#define REL_MAINLINE_EDITION	(LINUX_VERSION_CODE >= KERNEL_VERSION(7, 0, 0))

/*
 * 161ce69c2c89 ("userfaultfd: remove mmap_min_addr check", April 2026,
 * Cc: stable) made ranges below mmap_min_addr ordinary ranges: the ioctls
 * no longer refuse them with EINVAL.  v7.2.8 has it, v6.18.15 not.
 */
#define REL_LOW_RANGES_VALID	REL_MAINLINE_EDITION

/*
 * The mainline edition of the series allows UFFDIO_CONTINUE on a memory
 * type in a module only where the range is registered MINOR (as
 * UFFDIO_REGISTER advertises it); shmem and hugetlb keep allowing it on
 * any registered range.  The v6.18.15 edition allows it everywhere.
 */
#define REL_CONTINUE_NEEDS_MINOR	REL_MAINLINE_EDITION

#ifndef UFFD_RUST_MEM_DEV
#define UFFD_RUST_MEM_DEV	"/dev/rust_uffd_mem"
#endif

#ifndef MFD_HUGETLB
#define MFD_HUGETLB		0x0004U
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE	0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE	0x02
#endif
#ifndef MADV_REMOVE
#define MADV_REMOVE		9
#endif

#define REL_HPAGE_SIZE		(2UL << 20)

#define B_WAKE		(1ULL << _UFFDIO_WAKE)
#define B_COPY		(1ULL << _UFFDIO_COPY)
#define B_ZEROPAGE	(1ULL << _UFFDIO_ZEROPAGE)
#define B_MOVE		(1ULL << _UFFDIO_MOVE)
#define B_WP		(1ULL << _UFFDIO_WRITEPROTECT)
#define B_CONTINUE	(1ULL << _UFFDIO_CONTINUE)
#define B_POISON	(1ULL << _UFFDIO_POISON)

/* /proc/self/pagemap bits */
#define REL_PM_PRESENT	(1ULL << 63)
#define REL_PM_SWAP	(1ULL << 62)

enum rel_mtype {
	MT_ANON,
	MT_SHMEM,
	MT_HUGETLB,
	MT_TESTMEM,
	MT_RUSTMEM,
	NR_MT
};

static const char *const rel_mt_name[NR_MT] = {
	[MT_ANON]	= "anon",
	[MT_SHMEM]	= "shmem",
	[MT_HUGETLB]	= "hugetlb",
	[MT_TESTMEM]	= "testmem",
	[MT_RUSTMEM]	= "rustmem",
};

static inline bool rel_mt_is_file(int mt)
{
	return mt != MT_ANON;
}

static inline bool rel_mt_is_module(int mt)
{
	return mt == MT_TESTMEM || mt == MT_RUSTMEM;
}

static inline size_t rel_mt_psize(int mt)
{
	return mt == MT_HUGETLB ? REL_HPAGE_SIZE : (size_t)getpagesize();
}

static inline const char *rel_mt_dev(int mt)
{
	if (mt == MT_TESTMEM)
		return UFFD_TEST_MEMTYPE_DEV;
	if (mt == MT_RUSTMEM)
		return UFFD_RUST_MEM_DEV;
	return NULL;
}

/*
 * The registration ioctls a memory type reports (vma_uffd_ioctls() and
 * userfaultfd_register()): see Documentation/mm/vm_uffd_ops.rst.  @shared
 * is only meaningful for file memory types.  Build with -DUFFD_REL_BASE618
 * to run against v6.18 without the series.
 */
static inline uint64_t rel_mt_ioctls(int mt, bool shared, uint64_t mode)
{
	uint64_t m = B_WAKE | B_WP | B_POISON | B_COPY;

	if (mt != MT_HUGETLB)
		m |= B_ZEROPAGE;
	if (mt == MT_ANON)
		m |= B_MOVE;
	else
		m |= B_CONTINUE;
#ifdef UFFD_REL_BASE618
	/* v6.18 without the series: a static mask, MOVE for every type */
	if (mt != MT_HUGETLB)
		m |= B_MOVE;
#endif
	(void)shared;
	if (!(mode & UFFDIO_REGISTER_MODE_WP))
		m &= ~B_WP;
	if (!(mode & UFFDIO_REGISTER_MODE_MINOR))
		m &= ~B_CONTINUE;
	return m;
}

/* Registration modes a memory type admits (MINOR needs a page cache). */
static inline uint64_t rel_mt_modes(int mt)
{
	uint64_t m = UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP;

	if (mt != MT_ANON)
		m |= UFFDIO_REGISTER_MODE_MINOR;
	return m;
}

/*
 * Create a memory object of @size bytes: a memfd, a hugetlb memfd or an
 * object of a module device.  Returns the fd, -1 for anon (no object), or
 * -errno.
 */
static inline int rel_obj_create(int mt, size_t size)
{
	int dev, fd;

	switch (mt) {
	case MT_ANON:
		return -1;
	case MT_SHMEM:
	case MT_HUGETLB:
		fd = memfd_create(rel_mt_name[mt],
				  MFD_CLOEXEC | (mt == MT_HUGETLB ? MFD_HUGETLB : 0));
		if (fd < 0)
			return -errno;
		if (ftruncate(fd, size)) {
			int e = errno;

			close(fd);
			return -e;
		}
		return fd;
	default:
		dev = open(rel_mt_dev(mt), O_RDWR | O_CLOEXEC);
		if (dev < 0)
			return -errno;
		fd = ioctl(dev, UFFD_TEST_MEMTYPE_CREATE, (unsigned long)size);
		if (fd < 0)
			fd = -errno;
		close(dev);
		return fd;
	}
}

/*
 * Why a memory type cannot be tested here, or NULL if it can.  @hpages is
 * the number of free hugetlb pages a hugetlb test needs.
 */
static inline const char *rel_mt_unavailable(int mt, long hpages, char *buf,
					     size_t len)
{
	int fd;

	if (rel_mt_is_module(mt)) {
		fd = open(rel_mt_dev(mt), O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			snprintf(buf, len, "%s: %s (module not loaded?)",
				 rel_mt_dev(mt), strerror(errno));
			return buf;
		}
		close(fd);
		return NULL;
	}
	if (mt == MT_HUGETLB) {
		long nfree = -1;
		char line[128];
		FILE *f = fopen("/proc/meminfo", "r");

		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "HugePages_Free:", 15))
				nfree = strtol(line + 15, NULL, 10);
		if (f)
			fclose(f);
		if (nfree < hpages) {
			snprintf(buf, len,
				 "needs %ld free 2M hugetlb pages, HugePages_Free=%ld",
				 hpages, nfree);
			return buf;
		}
	}
	return NULL;
}

static inline const char *rel_errname(int e)
{
	static __thread char buf[24];

	switch (e) {
	case 0:		return "ok";
	case EINVAL:	return "EINVAL";
	case ENOENT:	return "ENOENT";
	case EEXIST:	return "EEXIST";
	case EAGAIN:	return "EAGAIN";
	case EFAULT:	return "EFAULT";
	case ENOMEM:	return "ENOMEM";
	case EBUSY:	return "EBUSY";
	case EPERM:	return "EPERM";
	case ESRCH:	return "ESRCH";
	case ENOSPC:	return "ENOSPC";
	case EIO:	return "EIO";
	case EINTR:	return "EINTR";
	case EBADF:	return "EBADF";
	case ENOTTY:	return "ENOTTY";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EHWPOISON:	return "EHWPOISON";
	}
	snprintf(buf, sizeof(buf), "errno%d", e);
	return buf;
}

/*
 * The data pattern: a 64-bit word per 8 bytes of a "slot" (a stretch of
 * memory whose contents are identified by @key), never zero, so that a word
 * is either 0 (never written) or exactly the pattern.
 */
static inline uint64_t rel_pat(uint64_t seed, uint64_t key, uint64_t off)
{
	uint64_t x = seed ^ (key * 0xD6E8FEB86659FD93ULL) ^
		     ((off >> 3) * 0x9E3779B97F4A7C15ULL);

	x ^= x >> 31;
	x *= 0xBF58476D1CE4E5B9ULL;
	x ^= x >> 27;
	x *= 0x94D049BB133111EBULL;
	x ^= x >> 31;
	return x | 1;
}

/* Fill @len bytes at @buf (8-aligned) with the pattern from offset @off. */
static inline void rel_pat_fill(void *buf, uint64_t seed, uint64_t key,
				uint64_t off, size_t len)
{
	uint64_t *w = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = rel_pat(seed, key, off + i * 8);
}

/* Index of the first word of @buf not matching the pattern, or -1. */
static inline long rel_pat_check(const void *buf, uint64_t seed, uint64_t key,
				 uint64_t off, size_t len)
{
	const volatile uint64_t *w = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i] != rel_pat(seed, key, off + i * 8))
			return i;
	return -1;
}

/* Index of the first non-zero word of @buf, or -1. */
static inline long rel_zero_check(const void *buf, size_t len)
{
	const volatile uint64_t *w = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i])
			return i;
	return -1;
}

/* xorshift64* random numbers, one state per thread. */
static inline uint64_t rel_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static inline uint64_t rel_below(uint64_t *s, uint64_t n)
{
	return n ? rel_rand(s) % n : 0;
}

static inline void rel_seed(uint64_t *s, uint64_t seed, uint64_t stream)
{
	*s = (seed + 1) * 0x9E3779B97F4A7C15ULL ^ (stream * 0xD1B54A32D192ED03ULL);
	if (!*s)
		*s = 1;
	rel_rand(s);
	rel_rand(s);
}

static inline long rel_read_long(const char *path)
{
	char buf[64];
	long val = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		val = strtol(buf, NULL, 10);
	fclose(f);
	return val;
}

/* Write @s to @path; returns 0 or -errno. */
static inline int rel_write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n, len = strlen(s);

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n != len) {
		int e = n < 0 ? errno : EIO;

		close(fd);
		return -e;
	}
	close(fd);
	return 0;
}

/* A /proc/meminfo value (kB, or a count for HugePages_*), -1 if absent. */
static inline long rel_meminfo(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long val = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			val = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

/* Fold the per-cpu vmstat deltas, so that /proc/meminfo is exact. */
static inline void rel_vmstat_refresh(void)
{
	rel_write_str("/proc/sys/vm/stat_refresh", "1\n");
}

static inline int rel_uffd_open(int flags)
{
	return syscall(__NR_userfaultfd, flags);
}

/* A userfaultfd with @features (UFFDIO_API done); -errno on failure. */
static inline int rel_uffd_new(uint64_t features, int flags)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	int fd = rel_uffd_open(flags);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, UFFDIO_API, &api)) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* Every feature this kernel offers, 0 if userfaultfd is unavailable. */
static inline uint64_t rel_uffd_features(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int fd = rel_uffd_open(O_CLOEXEC);
	uint64_t f = 0;

	if (fd < 0)
		return 0;
	if (!ioctl(fd, UFFDIO_API, &api))
		f = api.features;
	close(fd);
	return f;
}

/* /proc/self/pagemap entry of the page at @addr (0 if unreadable). */
static inline uint64_t rel_pagemap(int pmfd, const void *addr)
{
	uint64_t e = 0;
	off_t off = ((uintptr_t)addr / getpagesize()) * sizeof(e);

	if (pread(pmfd, &e, sizeof(e), off) != sizeof(e))
		return 0;
	return e;
}

/* mincore() of the page at @addr: 1 resident, 0 not, -errno on error. */
static inline int rel_mincore1(void *addr)
{
	unsigned char v = 0;

	if (mincore(addr, getpagesize(), &v))
		return -errno;
	return v & 1;
}

/*
 * Guarded memory access: rel_touch_begin() returns 0 on entry and the
 * signal number when a SIGBUS or SIGSEGV hit inside the guarded region.
 */
static __thread sigjmp_buf *volatile rel_touch_jb;

static inline void rel_touch_handler(int sig, siginfo_t *si, void *uc)
{
	sigjmp_buf *jb = rel_touch_jb;

	(void)si;
	(void)uc;
	if (jb) {
		rel_touch_jb = NULL;
		siglongjmp(*jb, sig);
	}
	/* Not a guarded access: die of it, loudly. */
	signal(sig, SIG_DFL);
}

static inline void rel_touch_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = rel_touch_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
}

#define rel_touch_begin(jb)						\
	({								\
		int __sig = sigsetjmp(jb, 1);				\
		if (!__sig)						\
			rel_touch_jb = &(jb);				\
		__asm__ __volatile__("" ::: "memory");			\
		__sig;							\
	})

static inline void rel_touch_end(void)
{
	__asm__ __volatile__("" ::: "memory");
	rel_touch_jb = NULL;
}

#endif /* _UFFD_REL_H */
