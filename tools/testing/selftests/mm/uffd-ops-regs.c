// SPDX-License-Identifier: GPL-2.0
/*
 * Userfaultfd behaviour regression guard ("uffd-ops-regs").
 *
 * This test pins down the user visible userfaultfd behaviour for every kind
 * of memory a VMA can be backed by, as v7.0 had it before the anon, shmem
 * and hugetlb special cases moved behind struct vm_uffd_ops, so that the
 * move, and every later change to it, can be checked not to change anything
 * observable.  It covers:
 *
 *  1. The UFFDIO_REGISTER matrix: which VMA kinds accept which modes
 *     (vma_can_userfault() plus the VM_MAYWRITE check in
 *     userfaultfd_register()), and the exact errno otherwise.
 *  2. The exact "ioctls" mask UFFDIO_REGISTER returns per memory type and
 *     mode.
 *  3. UFFDIO_COPY / UFFDIO_ZEROPAGE / UFFDIO_CONTINUE on MAP_PRIVATE file
 *     mappings: the result, the data seen through the mapping and that the
 *     file itself is left alone; and on shmem pages paged out to swap.
 *  4. The errno (and the copy/zeropage/mapped output field) of the fill
 *     ioctls for bad requests, and UFFDIO_REGISTER range checks.
 *  5. That failing fill ioctls leave no accounting behind: the shmem
 *     inode's st_blocks, "Shmem:" in /proc/meminfo, the hugetlb pool and
 *     the used blocks of a size-limited tmpfs.
 *
 * Every expectation was derived from the v6.18 sources (fs/userfaultfd.c,
 * mm/userfaultfd.c, mm/shmem.c, mm/hugetlb.c) and checked on v6.18.  A
 * change of any of them is a change of the userfaultfd ABI and must be
 * deliberate.  v7.1 and v7.2 differ in three places, each fixed upstream
 * of this test and failing without the fix:
 *
 *  - a SysV SHM_HUGETLB segment cannot be registered (EINVAL),
 *  - UFFDIO_COPY and UFFDIO_ZEROPAGE beyond the end of a shmem file fail
 *    with ENOMEM instead of EFAULT,
 *  - UFFDIO_CONTINUE beyond the end of a shmem file fails with EFAULT
 *    instead of EINVAL.
 *
 * Features: a registration case that does not mention WP_ASYNC uses a
 * userfaultfd created with every available feature except the event
 * features (which would make munmap() wait for a reader) and WP_ASYNC; it
 * includes UFFD_FEATURE_SIGBUS so that a stray touch of a missing page
 * kills the test instead of hanging it.  "(WP_ASYNC)" cases use a
 * userfaultfd created with UFFD_FEATURE_WP_ASYNC only.  "(features=0)"
 * cases show that in v6.18 the MISSING_SHMEM/MINOR_SHMEM/... feature bits
 * are informational: registration does not depend on them.
 *
 * Memory that is not available (no free hugetlb pages, no SysV IPC, no
 * filesystem other than tmpfs for a regular file) is reported as a skip.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/mman.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>

#include "uffd-common.h"

#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE		0x08
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB		0x0004U
#endif
#ifndef F_SEAL_WRITE
#define F_SEAL_WRITE		0x0008
#endif

#define WHY_LEN			256

/* ioctl bits as UFFDIO_REGISTER reports them (see uffdio_register.ioctls) */
#ifndef fallthrough
#define fallthrough	__attribute__((__fallthrough__))
#endif
#ifndef BIT_ULL
#define BIT_ULL(nr)	(1ULL << (nr))
#endif

#define B_WAKE		BIT_ULL(_UFFDIO_WAKE)		/* 0x004 */
#define B_COPY		BIT_ULL(_UFFDIO_COPY)		/* 0x008 */
#define B_ZEROPAGE	BIT_ULL(_UFFDIO_ZEROPAGE)	/* 0x010 */
#define B_MOVE		BIT_ULL(_UFFDIO_MOVE)		/* 0x020 */
#define B_WP		BIT_ULL(_UFFDIO_WRITEPROTECT)	/* 0x040 */
#define B_CONTINUE	BIT_ULL(_UFFDIO_CONTINUE)	/* 0x080 */
#define B_POISON	BIT_ULL(_UFFDIO_POISON)	/* 0x100 */

#define M_MISSING	UFFDIO_REGISTER_MODE_MISSING
#define M_WP		UFFDIO_REGISTER_MODE_WP
#define M_MINOR		UFFDIO_REGISTER_MODE_MINOR

static size_t page_size;
static size_t hpage_size;
static uint64_t avail_features;
static uint64_t reg_features;

/* tmpfs directory for named shmem files, "" if none */
static char tmpfs_dir[64];
/* directory on a non-shmem filesystem for a regular file, "" if none */
static char regfile_dir[64];
static char regfile_why[160];
static bool regfile_mounted;

/* ------------------------------------------------------------------ */
/* Memory kinds                                                         */
/* ------------------------------------------------------------------ */

enum kind {
	K_ANON_PRIV,
	K_ANON_SHARED,
	K_ANON_DROPPABLE,
	K_MEMFD_SHARED,
	K_MEMFD_PRIV,
	K_MEMFD_SEALED_RO,
	K_TMPFS_SHARED,
	K_TMPFS_PRIV,
	K_TMPFS_SHARED_RDONLY,
	K_SYSV,
	K_SYSV_HUGETLB,
	K_HUGETLB_MEMFD_SHARED,
	K_HUGETLB_MEMFD_PRIV,
	K_HUGETLB_ANON_PRIV,
	K_HUGETLB_ANON_SHARED,
	K_REGFILE_SHARED,
	K_REGFILE_PRIV,
	NR_KINDS
};

static const struct kind_info {
	const char *name;
	bool hugetlb;
	bool shared;		/* writes through the mapping reach the file */
} kind_info[NR_KINDS] = {
	/* MAP_PRIVATE|MAP_ANONYMOUS: vma_is_anonymous() */
	[K_ANON_PRIV]		= { "anon-private",		false, false },
	/* MAP_SHARED|MAP_ANONYMOUS: shmem_zero_setup(), vma_is_shmem() */
	[K_ANON_SHARED]		= { "anon-shared",		false, true },
	/* MAP_DROPPABLE|MAP_ANONYMOUS: VM_DROPPABLE */
	[K_ANON_DROPPABLE]	= { "anon-droppable",		false, false },
	/* memfd_create(): unlinked shmem file, shmem_anon_vm_ops */
	[K_MEMFD_SHARED]	= { "memfd-shared",		false, true },
	[K_MEMFD_PRIV]		= { "memfd-private",		false, false },
	/* F_SEAL_WRITE memfd mapped MAP_SHARED PROT_READ: no VM_MAYWRITE */
	[K_MEMFD_SEALED_RO]	= { "memfd-shared-sealed-ro",	false, true },
	/* linked tmpfs file: shmem_vm_ops */
	[K_TMPFS_SHARED]	= { "tmpfs-shared",		false, true },
	[K_TMPFS_PRIV]		= { "tmpfs-private",		false, false },
	/* O_RDONLY fd mapped MAP_SHARED: VM_MAYWRITE and VM_SHARED cleared */
	[K_TMPFS_SHARED_RDONLY]	= { "tmpfs-shared-rdonly-fd",	false, true },
	/* shmget()+shmat(): shm_vm_ops wraps shmem, !vma_is_shmem() */
	[K_SYSV]		= { "sysv-shm",			false, true },
	/* SHM_HUGETLB: VM_HUGETLB */
	[K_SYSV_HUGETLB]	= { "sysv-shm-hugetlb",		true,  true },
	[K_HUGETLB_MEMFD_SHARED] = { "hugetlb-memfd-shared",	true,  true },
	[K_HUGETLB_MEMFD_PRIV]	= { "hugetlb-memfd-private",	true,  false },
	[K_HUGETLB_ANON_PRIV]	= { "hugetlb-anon-private",	true,  false },
	[K_HUGETLB_ANON_SHARED]	= { "hugetlb-anon-shared",	true,  true },
	/* a file on a non-shmem filesystem (ramfs in the test VM) */
	[K_REGFILE_SHARED]	= { "regfile-shared",		false, true },
	[K_REGFILE_PRIV]	= { "regfile-private",		false, false },
};

struct area {
	enum kind kind;
	char *addr;
	size_t len;
	size_t psize;		/* page size of the mapping */
	int fd;			/* backing file, -1 if none or not reachable */
	bool sysv;
	char path[128];		/* file to unlink on destroy, "" if none */
};

/* Value of a /proc/meminfo line ("kB" for sizes, a count for HugePages_*) */
static long read_meminfo(const char *key)
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

/* Fold the per-cpu vmstat deltas so that /proc/meminfo is exact. */
static void vmstat_refresh(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return;
	/* best effort: without it meminfo is only approximately right */
	n = write(fd, "1\n", 2);
	(void)n;
	close(fd);
}

static long shmem_kb(void)
{
	vmstat_refresh();
	return read_meminfo("Shmem");
}

static long read_long_file(const char *path)
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

static int hugetlb_pages_available(size_t npg, char *why)
{
	long freep, rsvd;

	if (!hpage_size) {
		snprintf(why, WHY_LEN, "no hugetlb support (no Hugepagesize)");
		return KSFT_SKIP;
	}
	freep = read_meminfo("HugePages_Free");
	rsvd = read_meminfo("HugePages_Rsvd");
	/* one spare page for the temporary folio of a retried COPY */
	if (freep - rsvd < (long)npg + 1) {
		snprintf(why, WHY_LEN,
			 "needs %zu free hugetlb pages: HugePages_Free=%ld Rsvd=%ld vm.nr_hugepages=%ld",
			 npg + 1, freep, rsvd,
			 read_long_file("/proc/sys/vm/nr_hugepages"));
		return KSFT_SKIP;
	}
	return KSFT_PASS;
}

static int make_file(struct area *a, const char *dir, char *why)
{
	snprintf(a->path, sizeof(a->path), "%s/uffd-ops-regs.XXXXXX", dir);
	a->fd = mkstemp(a->path);
	if (a->fd < 0) {
		snprintf(why, WHY_LEN, "setup: mkstemp(%s): %s", a->path,
			 strerror(errno));
		a->path[0] = '\0';
		return KSFT_FAIL;
	}
	return KSFT_PASS;
}

static void area_destroy(struct area *a)
{
	if (a->addr && a->addr != MAP_FAILED) {
		if (a->sysv)
			shmdt(a->addr);
		else
			munmap(a->addr, a->len);
	}
	if (a->fd >= 0)
		close(a->fd);
	if (a->path[0])
		unlink(a->path);
	a->addr = NULL;
	a->fd = -1;
	a->path[0] = '\0';
}

/*
 * Map @npg pages (huge pages for hugetlb kinds) of memory of kind @k.
 * Returns KSFT_PASS, KSFT_SKIP (memory type unavailable) or KSFT_FAIL,
 * with the reason in @why.
 */
static int area_create(struct area *a, enum kind k, size_t npg, char *why)
{
	const struct kind_info *ki = &kind_info[k];
	int prot = PROT_READ | PROT_WRITE;
	int flags = 0, ret, id;
	unsigned int mfd_flags = 0;

	memset(a, 0, sizeof(*a));
	a->kind = k;
	a->fd = -1;
	a->addr = MAP_FAILED;
	if (ki->hugetlb) {
		ret = hugetlb_pages_available(npg, why);
		if (ret)
			return ret;
	}
	a->psize = ki->hugetlb ? hpage_size : page_size;
	a->len = npg * a->psize;

	switch (k) {
	case K_ANON_PRIV:
		flags = MAP_PRIVATE | MAP_ANONYMOUS;
		break;
	case K_ANON_SHARED:
		flags = MAP_SHARED | MAP_ANONYMOUS;
		break;
	case K_ANON_DROPPABLE:
		flags = MAP_DROPPABLE | MAP_ANONYMOUS;
		break;
	case K_HUGETLB_ANON_PRIV:
		flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB;
		break;
	case K_HUGETLB_ANON_SHARED:
		flags = MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB;
		break;
	case K_HUGETLB_MEMFD_SHARED:
	case K_HUGETLB_MEMFD_PRIV:
		mfd_flags = MFD_HUGETLB;
		fallthrough;
	case K_MEMFD_SHARED:
	case K_MEMFD_PRIV:
	case K_MEMFD_SEALED_RO:
		if (k == K_MEMFD_SEALED_RO)
			mfd_flags |= MFD_ALLOW_SEALING;
		a->fd = memfd_create("uffd-ops-regs", mfd_flags);
		if (a->fd < 0) {
			snprintf(why, WHY_LEN, "memfd_create(%#x): %s",
				 mfd_flags, strerror(errno));
			return (mfd_flags & MFD_HUGETLB) ? KSFT_SKIP : KSFT_FAIL;
		}
		flags = ki->shared ? MAP_SHARED : MAP_PRIVATE;
		break;
	case K_TMPFS_SHARED:
	case K_TMPFS_PRIV:
	case K_TMPFS_SHARED_RDONLY:
		if (!tmpfs_dir[0]) {
			snprintf(why, WHY_LEN, "no tmpfs mounted at /dev/shm or /tmp");
			return KSFT_SKIP;
		}
		ret = make_file(a, tmpfs_dir, why);
		if (ret)
			return ret;
		flags = ki->shared ? MAP_SHARED : MAP_PRIVATE;
		break;
	case K_REGFILE_SHARED:
	case K_REGFILE_PRIV:
		if (!regfile_dir[0]) {
			snprintf(why, WHY_LEN, "%s", regfile_why);
			return KSFT_SKIP;
		}
		ret = make_file(a, regfile_dir, why);
		if (ret)
			return ret;
		flags = ki->shared ? MAP_SHARED : MAP_PRIVATE;
		break;
	case K_SYSV:
	case K_SYSV_HUGETLB:
		id = shmget(IPC_PRIVATE, a->len, IPC_CREAT | 0600 |
			    (ki->hugetlb ? SHM_HUGETLB : 0));
		if (id < 0) {
			snprintf(why, WHY_LEN, "shmget(%s): %s",
				 ki->hugetlb ? "SHM_HUGETLB" : "", strerror(errno));
			return KSFT_SKIP;
		}
		a->addr = shmat(id, NULL, 0);
		if (a->addr == (void *)-1) {
			snprintf(why, WHY_LEN, "setup: shmat: %s",
				 strerror(errno));
			a->addr = MAP_FAILED;
			shmctl(id, IPC_RMID, NULL);
			return KSFT_FAIL;
		}
		/* the segment goes away with the last detach */
		shmctl(id, IPC_RMID, NULL);
		a->sysv = true;
		return KSFT_PASS;
	default:
		snprintf(why, WHY_LEN, "internal: bad kind %d", k);
		return KSFT_FAIL;
	}

	if (a->fd >= 0) {
		if (ftruncate(a->fd, a->len)) {
			snprintf(why, WHY_LEN, "setup: ftruncate: %s",
				 strerror(errno));
			area_destroy(a);
			return KSFT_FAIL;
		}
		if (k == K_MEMFD_SEALED_RO) {
			if (fcntl(a->fd, F_ADD_SEALS, F_SEAL_WRITE)) {
				snprintf(why, WHY_LEN, "setup: F_SEAL_WRITE: %s",
					 strerror(errno));
				area_destroy(a);
				return KSFT_FAIL;
			}
			prot = PROT_READ;
		}
		if (k == K_TMPFS_SHARED_RDONLY) {
			close(a->fd);
			a->fd = open(a->path, O_RDONLY);
			if (a->fd < 0) {
				snprintf(why, WHY_LEN, "setup: reopen: %s",
					 strerror(errno));
				area_destroy(a);
				return KSFT_FAIL;
			}
			prot = PROT_READ;
		}
	}

	a->addr = mmap(NULL, a->len, prot, flags, a->fd, 0);
	if (a->addr == MAP_FAILED) {
		int e = errno;

		snprintf(why, WHY_LEN, "mmap(%s): %s", ki->name, strerror(e));
		area_destroy(a);
		/* MAP_DROPPABLE needs v6.11+ and a 64-bit kernel */
		if (k == K_ANON_DROPPABLE)
			return KSFT_SKIP;
		return KSFT_FAIL;
	}
	return KSFT_PASS;
}

/* Put @ch into page @pg of the backing file without mapping it here. */
static int fill_file_page(struct area *a, size_t pg, int ch, char *why)
{
	off_t off = pg * a->psize;
	char *p;

	if (kind_info[a->kind].hugetlb) {
		/* hugetlbfs has no write(): go through a second mapping */
		p = mmap(NULL, a->psize, PROT_READ | PROT_WRITE, MAP_SHARED,
			 a->fd, off);
		if (p == MAP_FAILED) {
			snprintf(why, WHY_LEN, "setup: mmap to fill the file: %s",
				 strerror(errno));
			return KSFT_FAIL;
		}
		memset(p, ch, a->psize);
		munmap(p, a->psize);
		return KSFT_PASS;
	}
	p = malloc(a->psize);
	if (!p) {
		snprintf(why, WHY_LEN, "setup: malloc");
		return KSFT_FAIL;
	}
	memset(p, ch, a->psize);
	if (pwrite(a->fd, p, a->psize, off) != (ssize_t)a->psize) {
		snprintf(why, WHY_LEN, "setup: pwrite: %s", strerror(errno));
		free(p);
		return KSFT_FAIL;
	}
	free(p);
	return KSFT_PASS;
}

/*
 * Push page @pg of the backing file out to swap: map it alone, populate
 * the mapping and MADV_PAGEOUT it, then unmap.  A skip when no swap space was
 * taken (no swap device), since the case is about a page in swap.
 */
static int page_out_file_page(struct area *a, size_t pg, char *why)
{
	long swap_free = read_meminfo("SwapFree");
	char *p;

	p = mmap(NULL, a->psize, PROT_READ, MAP_SHARED, a->fd, pg * a->psize);
	if (p == MAP_FAILED) {
		snprintf(why, WHY_LEN, "setup: mmap to page out: %s",
			 strerror(errno));
		return KSFT_FAIL;
	}
	if (madvise(p, a->psize, MADV_POPULATE_READ) ||
	    madvise(p, a->psize, MADV_PAGEOUT)) {
		int e = errno;

		snprintf(why, WHY_LEN, "setup: MADV_POPULATE_READ/PAGEOUT: %s",
			 strerror(e));
		munmap(p, a->psize);
		return e == EINVAL ? KSFT_SKIP : KSFT_FAIL;
	}
	munmap(p, a->psize);
	if (swap_free <= 0 || read_meminfo("SwapFree") > swap_free - (long)(a->psize >> 10)) {
		snprintf(why, WHY_LEN,
			 "MADV_PAGEOUT wrote nothing to swap: is swap enabled?");
		return KSFT_SKIP;
	}
	return KSFT_PASS;
}

/* Check that page @pg of the backing file reads back as all @ch. */
static int file_check(struct area *a, size_t pg, int ch, char *why)
{
	char *p = malloc(a->psize);
	ssize_t n;
	size_t i;

	if (!p) {
		snprintf(why, WHY_LEN, "malloc");
		return KSFT_FAIL;
	}
	n = pread(a->fd, p, a->psize, pg * a->psize);
	if (n != (ssize_t)a->psize) {
		snprintf(why, WHY_LEN, "pread of file page %zu: %zd (%s)",
			 pg, n, strerror(errno));
		free(p);
		return KSFT_FAIL;
	}
	for (i = 0; i < a->psize; i++) {
		if (p[i] != (char)ch) {
			snprintf(why, WHY_LEN,
				 "file page %zu byte %zu is %#x, expected %#x",
				 pg, i, (unsigned char)p[i], (unsigned char)ch);
			free(p);
			return KSFT_FAIL;
		}
	}
	free(p);
	return KSFT_PASS;
}

static int mem_check(const char *p, size_t len, int ch, const char *what,
		     char *why)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != (char)ch) {
			snprintf(why, WHY_LEN,
				 "%s byte %zu is %#x, expected %#x", what, i,
				 (unsigned char)p[i], (unsigned char)ch);
			return KSFT_FAIL;
		}
	}
	return KSFT_PASS;
}

static long file_blocks(int fd)
{
	struct stat st;

	if (fd < 0 || fstat(fd, &st))
		return -1;
	return st.st_blocks;
}

/* ------------------------------------------------------------------ */
/* userfaultfd helpers                                                  */
/* ------------------------------------------------------------------ */

/* A userfaultfd with exactly @features enabled; -1 and @why on failure. */
static int uffd_new(uint64_t features, char *why)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	int fd;

	if (features & ~avail_features) {
		snprintf(why, WHY_LEN, "features %#llx not available",
			 (unsigned long long)(features & ~avail_features));
		return -1;
	}
	fd = uffd_open(O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		snprintf(why, WHY_LEN, "userfaultfd: %s", strerror(errno));
		return -1;
	}
	if (ioctl(fd, UFFDIO_API, &api)) {
		snprintf(why, WHY_LEN, "UFFDIO_API(%#llx): %s",
			 (unsigned long long)features, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* A page-aligned anonymous source buffer of @len bytes filled with 'S'. */
static char *src_alloc(size_t len, bool prot_none)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 'S', len);
	if (prot_none && mprotect(p, len, PROT_NONE)) {
		munmap(p, len);
		return NULL;
	}
	return p;
}

/* One fill ioctl with an expected errno; reports into @why on mismatch. */
static bool expect_op(int uffd, enum uffd_fill_op op, void *dst,
		      const void *src, size_t len, int experr, const char *what,
		      char *why)
{
	__s64 out;
	int err = uffd_fill_ioctl(uffd, op, dst, src, len, 0, &out);

	if (err != experr) {
		snprintf(why, WHY_LEN, "%s: %s returned %s, expected %s",
			 what, uffd_fill_op_name[op], uffd_errname(err),
			 uffd_errname(experr));
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Registration modes                                                   */
/* ------------------------------------------------------------------ */

struct reg_mode {
	uint64_t mode;
	bool wp_async;
};

static const char *mode_name(uint64_t mode, bool wp_async)
{
	static char buf[4][48];
	static int n;
	char *b;

	n = (n + 1) % 4;
	b = buf[n];
	b[0] = '\0';
	if (mode & M_MISSING)
		strcat(b, "MISSING");
	if (mode & M_MINOR)
		strcat(b, b[0] ? "|MINOR" : "MINOR");
	if (mode & M_WP)
		strcat(b, b[0] ? "|WP" : "WP");
	if (mode & ~(M_MISSING | M_MINOR | M_WP))
		snprintf(b + strlen(b), 24, "%s%#llx", b[0] ? "|" : "",
			 (unsigned long long)(mode & ~(M_MISSING | M_MINOR | M_WP)));
	if (!b[0])
		snprintf(b, sizeof(buf[0]), "0");
	if (wp_async)
		strcat(b, " (WP_ASYNC)");
	return b;
}

/* ------------------------------------------------------------------ */
/* 1. Registration matrix                                               */
/* ------------------------------------------------------------------ */

enum {
	RM_MISSING, RM_WP, RM_MINOR, RM_MISSING_WP, RM_MINOR_WP,
	RM_WP_ASYNC, RM_MISSING_WP_ASYNC, NR_RMODES
};

static const struct reg_mode rmodes[NR_RMODES] = {
	[RM_MISSING]		= { M_MISSING,		false },
	[RM_WP]			= { M_WP,		false },
	[RM_MINOR]		= { M_MINOR,		false },
	[RM_MISSING_WP]		= { M_MISSING | M_WP,	false },
	[RM_MINOR_WP]		= { M_MINOR | M_WP,	false },
	/* WP_ASYNC lets WP-only registration accept any VMA but VM_DROPPABLE */
	[RM_WP_ASYNC]		= { M_WP,		true },
	[RM_MISSING_WP_ASYNC]	= { M_MISSING | M_WP,	true },
};

#define OK 0
static const struct {
	enum kind kind;
	int err[NR_RMODES];
} reg_matrix[] = {
	/*                       MISSING WP      MINOR   MIS|WP  MIN|WP  WPasync M|WPasync */
	{ K_ANON_PRIV,		{ OK,	OK,	EINVAL, OK,	EINVAL, OK,	OK } },
	{ K_ANON_SHARED,	{ OK,	OK,	OK,	OK,	OK,	OK,	OK } },
	/* VM_DROPPABLE is refused before anything else, even for WP_ASYNC */
	{ K_ANON_DROPPABLE,	{ EINVAL, EINVAL, EINVAL, EINVAL, EINVAL, EINVAL, EINVAL } },
	{ K_MEMFD_SHARED,	{ OK,	OK,	OK,	OK,	OK,	OK,	OK } },
	/* a private mapping of shmem is still vma_is_shmem(): MINOR allowed */
	{ K_MEMFD_PRIV,		{ OK,	OK,	OK,	OK,	OK,	OK,	OK } },
	/* passes vma_can_userfault(), fails the VM_MAYWRITE check */
	{ K_MEMFD_SEALED_RO,	{ EPERM, EPERM, EPERM, EPERM, EPERM, EPERM, EPERM } },
	{ K_TMPFS_SHARED,	{ OK,	OK,	OK,	OK,	OK,	OK,	OK } },
	{ K_TMPFS_PRIV,		{ OK,	OK,	OK,	OK,	OK,	OK,	OK } },
	{ K_TMPFS_SHARED_RDONLY, { EPERM, EPERM, EPERM, EPERM, EPERM, EPERM, EPERM } },
	/* shm_vm_ops hides shmem: only WP-only with WP_ASYNC is accepted */
	{ K_SYSV,		{ EINVAL, EINVAL, EINVAL, EINVAL, EINVAL, OK, EINVAL } },
	{ K_SYSV_HUGETLB,	{ OK,	OK,	OK,	OK,	OK,	OK,	OK } },
	{ K_HUGETLB_MEMFD_SHARED, { OK,	OK,	OK,	OK,	OK,	OK,	OK } },
	{ K_HUGETLB_MEMFD_PRIV,	{ OK,	OK,	OK,	OK,	OK,	OK,	OK } },
	{ K_HUGETLB_ANON_PRIV,	{ OK,	OK,	OK,	OK,	OK,	OK,	OK } },
	{ K_HUGETLB_ANON_SHARED, { OK,	OK,	OK,	OK,	OK,	OK,	OK } },
	{ K_REGFILE_SHARED,	{ EINVAL, EINVAL, EINVAL, EINVAL, EINVAL, OK, EINVAL } },
	{ K_REGFILE_PRIV,	{ EINVAL, EINVAL, EINVAL, EINVAL, EINVAL, OK, EINVAL } },
};

/* Registration without any feature bits: features do not gate modes. */
static const struct {
	enum kind kind;
	uint64_t mode;
	int err;
} reg_feat0[] = {
	{ K_ANON_PRIV,			M_WP,			OK },
	{ K_ANON_PRIV,			M_MINOR,		EINVAL },
	{ K_MEMFD_SHARED,		M_MISSING,		OK },
	{ K_MEMFD_SHARED,		M_WP,			OK },
	{ K_MEMFD_SHARED,		M_MINOR,		OK },
	{ K_HUGETLB_MEMFD_SHARED,	M_MISSING,		OK },
	{ K_HUGETLB_MEMFD_SHARED,	M_MINOR | M_WP,		OK },
};

/* ------------------------------------------------------------------ */
/* 2. ioctls mask returned by UFFDIO_REGISTER                           */
/* ------------------------------------------------------------------ */

/*
 * The mask holds the range ioctls every memory type in the range supports,
 * less WRITEPROTECT unless the mode has WP and CONTINUE unless it has MINOR:
 *   anon:    WAKE|COPY|ZEROPAGE|MOVE|WP|POISON            = 0x17c
 *   shmem:   WAKE|COPY|ZEROPAGE|WP|CONTINUE|POISON        = 0x1dc
 *   hugetlb: WAKE|COPY|WP|CONTINUE|POISON                 = 0x1cc
 *   no uffd memory type (WP_ASYNC registration): WAKE|WP  = 0x44
 * Up to v7.2 it was UFFD_API_RANGE_IOCTLS (0x1fc) or, with a hugetlb VMA
 * in the range, UFFD_API_RANGE_IOCTLS_BASIC (0x1cc): it also claimed MOVE
 * for shmem (where UFFDIO_MOVE fails with EINVAL) and COPY, ZEROPAGE and
 * POISON for WP_ASYNC registrations of memory the fill ioctls refuse.  The
 * cases that changed say so.
 */
static const struct {
	enum kind kind;
	uint64_t mode;
	bool wp_async;
	uint64_t ioctls;
} ioctls_cases[] = {
	{ K_ANON_PRIV,		M_MISSING,		false,	0x13c },
	{ K_ANON_PRIV,		M_WP,			false,	0x17c },
	{ K_ANON_PRIV,		M_MISSING | M_WP,	false,	0x17c },
	{ K_ANON_PRIV,		M_WP,			true,	0x17c },
	{ K_ANON_SHARED,	M_MISSING,		false,	0x11c },	/* v7.2: 0x13c */
	{ K_ANON_SHARED,	M_MINOR,		false,	0x19c },	/* v7.2: 0x1bc */
	{ K_MEMFD_SHARED,	M_MISSING,		false,	0x11c },	/* v7.2: 0x13c */
	{ K_MEMFD_SHARED,	M_WP,			false,	0x15c },	/* v7.2: 0x17c */
	{ K_MEMFD_SHARED,	M_MINOR,		false,	0x19c },	/* v7.2: 0x1bc */
	{ K_MEMFD_SHARED,	M_MISSING | M_MINOR,	false,	0x19c },	/* v7.2: 0x1bc */
	{ K_MEMFD_SHARED,	M_MINOR | M_WP,		false,	0x1dc },	/* v7.2: 0x1fc */
	{ K_MEMFD_SHARED, M_MISSING | M_MINOR | M_WP,	false,	0x1dc },	/* v7.2: 0x1fc */
	{ K_MEMFD_PRIV,		M_MISSING,		false,	0x11c },	/* v7.2: 0x13c */
	{ K_MEMFD_PRIV,		M_MINOR,		false,	0x19c },	/* v7.2: 0x1bc */
	{ K_TMPFS_SHARED,	M_MISSING | M_WP,	false,	0x15c },	/* v7.2: 0x17c */
	{ K_HUGETLB_MEMFD_SHARED, M_MISSING,		false,	0x10c },
	{ K_HUGETLB_MEMFD_SHARED, M_WP,			false,	0x14c },
	{ K_HUGETLB_MEMFD_SHARED, M_MINOR,		false,	0x18c },
	{ K_HUGETLB_MEMFD_SHARED, M_MINOR | M_WP,	false,	0x1cc },
	{ K_HUGETLB_MEMFD_SHARED, M_MISSING | M_MINOR | M_WP, false, 0x1cc },
	{ K_HUGETLB_MEMFD_PRIV,	M_MINOR,		false,	0x18c },
	{ K_HUGETLB_ANON_PRIV,	M_MISSING,		false,	0x10c },
	{ K_HUGETLB_ANON_PRIV,	M_WP,			true,	0x14c },
	{ K_SYSV,		M_WP,			true,	0x44 },	/* v7.2: 0x17c */
	{ K_SYSV_HUGETLB,	M_MISSING,		false,	0x10c },
	{ K_REGFILE_SHARED,	M_WP,			true,	0x44 },	/* v7.2: 0x17c */
};

static int run_reg(enum kind k, uint64_t mode, bool wp_async, bool feat0,
		   int experr, bool check_ioctls, uint64_t exp_ioctls,
		   char *why)
{
	uint64_t features = feat0 ? 0 :
			    wp_async ? UFFD_FEATURE_WP_ASYNC : reg_features;
	__u64 ioctls = 0;
	struct area a;
	int uffd, err, ret;

	ret = area_create(&a, k, 2, why);
	if (ret)
		return ret;
	uffd = uffd_new(features, why);
	if (uffd < 0) {
		area_destroy(&a);
		return wp_async ? KSFT_SKIP : KSFT_FAIL;
	}
	err = uffd_register_range(uffd, a.addr, a.len, mode, &ioctls);
	ret = KSFT_PASS;
	if (err != experr) {
		snprintf(why, WHY_LEN, "UFFDIO_REGISTER returned %s, expected %s",
			 uffd_errname(err), uffd_errname(experr));
		ret = KSFT_FAIL;
	} else if (check_ioctls && ioctls != exp_ioctls) {
		snprintf(why, WHY_LEN, "ioctls %#llx, expected %#llx",
			 (unsigned long long)ioctls,
			 (unsigned long long)exp_ioctls);
		ret = KSFT_FAIL;
	}
	close(uffd);
	area_destroy(&a);
	return ret;
}

/* ------------------------------------------------------------------ */
/* 3./4. Fill ioctls                                                    */
/* ------------------------------------------------------------------ */

#define PG(n)		(1u << (n))
#define FZERO		0x100	/* .file: the file page must read as zeros */
#define SMALL_PAGE	(-1L)	/* an adjustment of one base page */

static long adj(long v)
{
	return v == SMALL_PAGE ? (long)page_size : v;
}

enum out_kind {
	OUT_AUTO,	/* len on success, -errno on failure */
	OUT_UNTOUCHED,	/* argument check before the fill: field not written */
	OUT_ONE_PAGE,	/* partial success: exactly one page */
};

struct op_case {
	const char *name;
	enum kind kind;
	uint64_t reg_mode;	/* 0: leave the area unregistered */
	bool wp_async;
	unsigned int map_fill;	/* pages written ('M') through the mapping first */
	unsigned int file_fill;	/* pages written ('F') into the file first */
	unsigned int falloc;	/* pages fallocate()d first */
	unsigned int pageout;	/* pages then paged out to swap */
	unsigned int trunc;	/* if set, ftruncate() to this many pages */
	enum uffd_fill_op op;
	uint64_t op_mode;
	unsigned int pg;	/* target page (in units of the area's pages) */
	unsigned int npg;	/* length in pages */
	long dst_adj, len_adj, src_adj;	/* byte adjustments */
	bool src_prot_none;
	int err;
	enum out_kind out;
	int data;		/* content of the target after success */
	int file;		/* content of the file page after; 0: no check */
	bool write_after;	/* then write 'W' through the mapping */
};

#define NPAGES_OP	4

static const struct op_case op_cases[] = {
	/* --- argument checks (userfaultfd_copy() and friends, before mfill_atomic) --- */
	{ .name = "COPY anon-private dst not page aligned -> EINVAL",
	  .kind = K_ANON_PRIV, .reg_mode = M_MISSING, .op = UFFD_FILL_COPY,
	  .npg = 1, .dst_adj = 8, .err = EINVAL, .out = OUT_UNTOUCHED },
	{ .name = "COPY anon-private len not page multiple -> EINVAL",
	  .kind = K_ANON_PRIV, .reg_mode = M_MISSING, .op = UFFD_FILL_COPY,
	  .npg = 1, .len_adj = 8, .err = EINVAL, .out = OUT_UNTOUCHED },
	{ .name = "COPY anon-private len 0 -> EINVAL",
	  .kind = K_ANON_PRIV, .reg_mode = M_MISSING, .op = UFFD_FILL_COPY,
	  .npg = 0, .err = EINVAL, .out = OUT_UNTOUCHED },
	{ .name = "COPY anon-private unknown mode bit -> EINVAL",
	  .kind = K_ANON_PRIV, .reg_mode = M_MISSING, .op = UFFD_FILL_COPY,
	  .op_mode = 1ULL << 2, .npg = 1, .err = EINVAL,
	  .out = OUT_UNTOUCHED },
	{ .name = "ZEROPAGE anon-private unknown mode bit -> EINVAL",
	  .kind = K_ANON_PRIV, .reg_mode = M_MISSING, .op = UFFD_FILL_ZEROPAGE,
	  .op_mode = 1ULL << 1, .npg = 1, .err = EINVAL,
	  .out = OUT_UNTOUCHED },
	{ .name = "CONTINUE memfd-shared unknown mode bit -> EINVAL",
	  .kind = K_MEMFD_SHARED, .reg_mode = M_MINOR, .op = UFFD_FILL_CONTINUE,
	  .file_fill = PG(0), .op_mode = 1ULL << 2, .npg = 1, .err = EINVAL,
	  .out = OUT_UNTOUCHED, .file = 'F' },
	/* the source only has to be readable, not aligned */
	{ .name = "COPY anon-private src not page aligned -> ok",
	  .kind = K_ANON_PRIV, .reg_mode = M_MISSING, .op = UFFD_FILL_COPY,
	  .npg = 1, .src_adj = 8, .data = 'S' },

	/* --- anonymous memory --- */
	{ .name = "COPY anon-private -> ok",
	  .kind = K_ANON_PRIV, .reg_mode = M_MISSING, .op = UFFD_FILL_COPY,
	  .pg = 1, .npg = 2, .data = 'S', .write_after = true },
	{ .name = "ZEROPAGE anon-private -> ok",
	  .kind = K_ANON_PRIV, .reg_mode = M_MISSING, .op = UFFD_FILL_ZEROPAGE,
	  .npg = 2, .data = 0, .write_after = true },
	{ .name = "COPY anon-private MODE_WP on MISSING|WP range -> ok",
	  .kind = K_ANON_PRIV, .reg_mode = M_MISSING | M_WP, .op = UFFD_FILL_COPY,
	  .op_mode = UFFDIO_COPY_MODE_WP, .npg = 1, .data = 'S',
	   },
	{ .name = "COPY anon-private MODE_WP on MISSING-only range -> EINVAL",
	  .kind = K_ANON_PRIV, .reg_mode = M_MISSING, .op = UFFD_FILL_COPY,
	  .op_mode = UFFDIO_COPY_MODE_WP, .npg = 1, .err = EINVAL },
	{ .name = "COPY anon-private onto populated page -> EEXIST",
	  .kind = K_ANON_PRIV, .reg_mode = M_MISSING, .map_fill = PG(0),
	  .op = UFFD_FILL_COPY, .npg = 1, .err = EEXIST },
	{ .name = "ZEROPAGE anon-private onto populated page -> EEXIST",
	  .kind = K_ANON_PRIV, .reg_mode = M_MISSING, .map_fill = PG(0),
	  .op = UFFD_FILL_ZEROPAGE, .npg = 1, .err = EEXIST },
	/* the first page is copied, then the ioctl fails with -EAGAIN */
	{ .name = "COPY anon-private 2 pages, 2nd populated -> EAGAIN, copy=1 page",
	  .kind = K_ANON_PRIV, .reg_mode = M_MISSING, .map_fill = PG(1),
	  .op = UFFD_FILL_COPY, .npg = 2, .err = EAGAIN, .out = OUT_ONE_PAGE },
	{ .name = "COPY anon-private src PROT_NONE -> EFAULT",
	  .kind = K_ANON_PRIV, .reg_mode = M_MISSING, .op = UFFD_FILL_COPY,
	  .npg = 1, .src_prot_none = true, .err = EFAULT },
	{ .name = "COPY anon-private not registered -> ENOENT",
	  .kind = K_ANON_PRIV, .reg_mode = 0, .op = UFFD_FILL_COPY,
	  .npg = 1, .err = ENOENT },
	{ .name = "COPY anon-private dst range past VMA end -> ENOENT",
	  .kind = K_ANON_PRIV, .reg_mode = M_MISSING, .op = UFFD_FILL_COPY,
	  .pg = NPAGES_OP - 1, .npg = 2, .err = ENOENT },
	{ .name = "CONTINUE anon-private (MISSING range) -> EINVAL",
	  .kind = K_ANON_PRIV, .reg_mode = M_MISSING, .op = UFFD_FILL_CONTINUE,
	  .npg = 1, .err = EINVAL },
	{ .name = "COPY anon-shared -> ok",
	  .kind = K_ANON_SHARED, .reg_mode = M_MISSING, .op = UFFD_FILL_COPY,
	  .npg = 2, .data = 'S', .write_after = true },

	/* --- shmem, shared --- */
	{ .name = "COPY memfd-shared -> ok, file updated",
	  .kind = K_MEMFD_SHARED, .reg_mode = M_MISSING, .op = UFFD_FILL_COPY,
	  .pg = 1, .npg = 2, .data = 'S', .file = 'S', .write_after = true },
	{ .name = "ZEROPAGE memfd-shared -> ok, file page zeroed",
	  .kind = K_MEMFD_SHARED, .reg_mode = M_MISSING, .op = UFFD_FILL_ZEROPAGE,
	  .npg = 1, .data = 0, .file = FZERO, .write_after = true },
	{ .name = "COPY tmpfs-shared -> ok, file updated",
	  .kind = K_TMPFS_SHARED, .reg_mode = M_MISSING, .op = UFFD_FILL_COPY,
	  .npg = 1, .data = 'S', .file = 'S' },
	{ .name = "COPY memfd-shared onto page in page cache -> EEXIST",
	  .kind = K_MEMFD_SHARED, .reg_mode = M_MISSING, .file_fill = PG(0),
	  .op = UFFD_FILL_COPY, .npg = 1, .err = EEXIST, .file = 'F' },
	{ .name = "COPY memfd-shared onto mapped page -> EEXIST",
	  .kind = K_MEMFD_SHARED, .reg_mode = M_MISSING, .map_fill = PG(0),
	  .op = UFFD_FILL_COPY, .npg = 1, .err = EEXIST, .file = 'M' },
	{ .name = "COPY memfd-shared onto fallocated page -> EEXIST",
	  .kind = K_MEMFD_SHARED, .reg_mode = M_MISSING, .falloc = PG(0),
	  .op = UFFD_FILL_COPY, .npg = 1, .err = EEXIST, .file = FZERO },
	{ .name = "COPY memfd-shared past i_size -> EFAULT",
	  .kind = K_MEMFD_SHARED, .reg_mode = M_MISSING, .trunc = 2,
	  .op = UFFD_FILL_COPY, .pg = 3, .npg = 1, .err = EFAULT },
	{ .name = "ZEROPAGE memfd-shared past i_size -> EFAULT",
	  .kind = K_MEMFD_SHARED, .reg_mode = M_MISSING, .trunc = 2,
	  .op = UFFD_FILL_ZEROPAGE, .pg = 3, .npg = 1, .err = EFAULT },
	{ .name = "COPY memfd-shared src PROT_NONE -> EFAULT",
	  .kind = K_MEMFD_SHARED, .reg_mode = M_MISSING, .op = UFFD_FILL_COPY,
	  .npg = 1, .src_prot_none = true, .err = EFAULT },
	{ .name = "CONTINUE memfd-shared (MINOR) page cached -> ok",
	  .kind = K_MEMFD_SHARED, .reg_mode = M_MINOR, .file_fill = PG(0),
	  .op = UFFD_FILL_CONTINUE, .npg = 1, .data = 'F', .file = 'F',
	  .write_after = true },
	{ .name = "CONTINUE memfd-shared (MINOR) fallocated page -> ok, zeros",
	  .kind = K_MEMFD_SHARED, .reg_mode = M_MINOR, .falloc = PG(0),
	  .op = UFFD_FILL_CONTINUE, .npg = 1, .data = 0, .file = FZERO },
	/* mfill_atomic() does not look at VM_UFFD_MINOR for CONTINUE */
	{ .name = "CONTINUE memfd-shared (MISSING-only range) page cached -> ok",
	  .kind = K_MEMFD_SHARED, .reg_mode = M_MISSING, .file_fill = PG(0),
	  .op = UFFD_FILL_CONTINUE, .npg = 1, .data = 'F', .file = 'F' },
	{ .name = "CONTINUE memfd-shared (MINOR) no page in page cache -> EFAULT",
	  .kind = K_MEMFD_SHARED, .reg_mode = M_MINOR, .op = UFFD_FILL_CONTINUE,
	  .npg = 1, .err = EFAULT },
	/* shmem_get_folio(SGP_NOALLOC) refuses an index past i_size */
	{ .name = "CONTINUE memfd-shared (MINOR) past i_size -> EINVAL",
	  .kind = K_MEMFD_SHARED, .reg_mode = M_MINOR, .trunc = 2,
	  .op = UFFD_FILL_CONTINUE, .pg = 3, .npg = 1, .err = EINVAL },
	{ .name = "CONTINUE memfd-shared (MINOR) onto mapped page -> EEXIST",
	  .kind = K_MEMFD_SHARED, .reg_mode = M_MINOR, .map_fill = PG(0),
	  .op = UFFD_FILL_CONTINUE, .npg = 1, .err = EEXIST, .file = 'M' },
	/* a page in swap is in the page cache as far as the fills go */
	{ .name = "CONTINUE memfd-shared (MINOR) page in swap -> ok, swapped in",
	  .kind = K_MEMFD_SHARED, .reg_mode = M_MINOR, .file_fill = PG(0),
	  .pageout = PG(0), .op = UFFD_FILL_CONTINUE, .npg = 1, .data = 'F',
	  .file = 'F', .write_after = true },
	{ .name = "COPY memfd-shared (MISSING) onto page in swap -> EEXIST",
	  .kind = K_MEMFD_SHARED, .reg_mode = M_MISSING, .file_fill = PG(0),
	  .pageout = PG(0), .op = UFFD_FILL_COPY, .npg = 1, .err = EEXIST,
	  .file = 'F' },
	{ .name = "ZEROPAGE memfd-shared (MISSING) onto page in swap -> EEXIST",
	  .kind = K_MEMFD_SHARED, .reg_mode = M_MISSING, .file_fill = PG(0),
	  .pageout = PG(0), .op = UFFD_FILL_ZEROPAGE, .npg = 1, .err = EEXIST,
	  .file = 'F' },
	{ .name = "CONTINUE memfd-shared MODE_WP on MINOR-only range -> EINVAL",
	  .kind = K_MEMFD_SHARED, .reg_mode = M_MINOR, .file_fill = PG(0),
	  .op = UFFD_FILL_CONTINUE, .op_mode = UFFDIO_CONTINUE_MODE_WP, .npg = 1,
	  .err = EINVAL, .file = 'F' },

	/* --- shmem, MAP_PRIVATE: anonymous pages, the file is untouched --- */
	{ .name = "COPY memfd-private onto file page -> ok, file unchanged",
	  .kind = K_MEMFD_PRIV, .reg_mode = M_MISSING, .file_fill = PG(0),
	  .op = UFFD_FILL_COPY, .npg = 1, .data = 'S', .file = 'F',
	  .write_after = true },
	{ .name = "COPY memfd-private into file hole -> ok, file stays a hole",
	  .kind = K_MEMFD_PRIV, .reg_mode = M_MISSING, .op = UFFD_FILL_COPY,
	  .pg = 1, .npg = 2, .data = 'S', .file = FZERO, .write_after = true },
	{ .name = "ZEROPAGE memfd-private onto file page -> ok, zeros, file unchanged",
	  .kind = K_MEMFD_PRIV, .reg_mode = M_MISSING, .file_fill = PG(0),
	  .op = UFFD_FILL_ZEROPAGE, .npg = 1, .data = 0, .file = 'F',
	  .write_after = true },
	{ .name = "COPY tmpfs-private onto file page -> ok, file unchanged",
	  .kind = K_TMPFS_PRIV, .reg_mode = M_MISSING, .file_fill = PG(0),
	  .op = UFFD_FILL_COPY, .npg = 1, .data = 'S', .file = 'F' },
	/* the page cache page is mapped read-only, a write CoWs it */
	{ .name = "CONTINUE memfd-private (MINOR) page cached -> ok, file unchanged",
	  .kind = K_MEMFD_PRIV, .reg_mode = M_MINOR, .file_fill = PG(0),
	  .op = UFFD_FILL_CONTINUE, .npg = 1, .data = 'F', .file = 'F',
	  .write_after = true },
	{ .name = "CONTINUE memfd-private (MINOR) page in swap -> ok, file unchanged",
	  .kind = K_MEMFD_PRIV, .reg_mode = M_MINOR, .file_fill = PG(0),
	  .pageout = PG(0), .op = UFFD_FILL_CONTINUE, .npg = 1, .data = 'F',
	  .file = 'F', .write_after = true },
	{ .name = "CONTINUE memfd-private (MINOR) no page in page cache -> EFAULT",
	  .kind = K_MEMFD_PRIV, .reg_mode = M_MINOR, .op = UFFD_FILL_CONTINUE,
	  .npg = 1, .err = EFAULT, .file = FZERO },
	{ .name = "COPY memfd-private past i_size -> EFAULT",
	  .kind = K_MEMFD_PRIV, .reg_mode = M_MISSING, .trunc = 2,
	  .op = UFFD_FILL_COPY, .pg = 3, .npg = 1, .err = EFAULT },
	{ .name = "ZEROPAGE memfd-private past i_size -> EFAULT",
	  .kind = K_MEMFD_PRIV, .reg_mode = M_MISSING, .trunc = 2,
	  .op = UFFD_FILL_ZEROPAGE, .pg = 3, .npg = 1, .err = EFAULT },

	/* --- memory the fill ioctls do not handle --- */
	{ .name = "COPY sysv-shm (WP_ASYNC WP range) -> EINVAL",
	  .kind = K_SYSV, .reg_mode = M_WP, .wp_async = true, .op = UFFD_FILL_COPY,
	  .npg = 1, .err = EINVAL },
	{ .name = "POISON sysv-shm (WP_ASYNC WP range) -> EINVAL",
	  .kind = K_SYSV, .reg_mode = M_WP, .wp_async = true, .op = UFFD_FILL_POISON,
	  .npg = 1, .err = EINVAL },
	{ .name = "COPY regfile-shared (WP_ASYNC WP range) -> EINVAL",
	  .kind = K_REGFILE_SHARED, .reg_mode = M_WP, .wp_async = true,
	  .op = UFFD_FILL_COPY, .npg = 1, .err = EINVAL, .file = FZERO },

	/* --- hugetlb --- */
	{ .name = "COPY hugetlb-memfd-shared -> ok, file updated",
	  .kind = K_HUGETLB_MEMFD_SHARED, .reg_mode = M_MISSING,
	  .op = UFFD_FILL_COPY, .pg = 1, .npg = 1, .data = 'S', .file = 'S',
	  .write_after = true },
	{ .name = "COPY hugetlb-anon-private -> ok",
	  .kind = K_HUGETLB_ANON_PRIV, .reg_mode = M_MISSING,
	  .op = UFFD_FILL_COPY, .npg = 2, .data = 'S',
	  .write_after = true },
	{ .name = "ZEROPAGE hugetlb-memfd-shared -> EINVAL",
	  .kind = K_HUGETLB_MEMFD_SHARED, .reg_mode = M_MISSING,
	  .op = UFFD_FILL_ZEROPAGE, .npg = 1, .err = EINVAL, .file = FZERO },
	{ .name = "ZEROPAGE hugetlb-anon-private -> EINVAL",
	  .kind = K_HUGETLB_ANON_PRIV, .reg_mode = M_MISSING,
	  .op = UFFD_FILL_ZEROPAGE, .npg = 1, .err = EINVAL },
	{ .name = "COPY hugetlb-memfd-shared len not hpage multiple -> EINVAL",
	  .kind = K_HUGETLB_MEMFD_SHARED, .reg_mode = M_MISSING,
	  .op = UFFD_FILL_COPY, .npg = 1, .len_adj = SMALL_PAGE, .err = EINVAL, .file = FZERO },
	{ .name = "COPY hugetlb-memfd-shared dst not hpage aligned -> EINVAL",
	  .kind = K_HUGETLB_MEMFD_SHARED, .reg_mode = M_MISSING,
	  .op = UFFD_FILL_COPY, .npg = 1, .dst_adj = SMALL_PAGE, .err = EINVAL },
	{ .name = "COPY hugetlb-memfd-shared onto page in page cache -> EEXIST",
	  .kind = K_HUGETLB_MEMFD_SHARED, .reg_mode = M_MISSING,
	  .file_fill = PG(0), .op = UFFD_FILL_COPY, .npg = 1, .err = EEXIST,
	  .file = 'F' },
	{ .name = "COPY hugetlb-memfd-shared past i_size -> EFAULT",
	  .kind = K_HUGETLB_MEMFD_SHARED, .reg_mode = M_MISSING, .trunc = 2,
	  .op = UFFD_FILL_COPY, .pg = 3, .npg = 1, .err = EFAULT },
	{ .name = "COPY hugetlb-memfd-shared src PROT_NONE -> EFAULT",
	  .kind = K_HUGETLB_MEMFD_SHARED, .reg_mode = M_MISSING,
	  .op = UFFD_FILL_COPY, .npg = 1, .src_prot_none = true, .err = EFAULT,
	  .file = FZERO },
	{ .name = "CONTINUE hugetlb-memfd-shared (MINOR) page cached -> ok",
	  .kind = K_HUGETLB_MEMFD_SHARED, .reg_mode = M_MINOR,
	  .file_fill = PG(0), .op = UFFD_FILL_CONTINUE, .npg = 1, .data = 'F',
	  .file = 'F', .write_after = true },
	{ .name = "CONTINUE hugetlb-memfd-shared (MINOR) no page in page cache -> EFAULT",
	  .kind = K_HUGETLB_MEMFD_SHARED, .reg_mode = M_MINOR,
	  .op = UFFD_FILL_CONTINUE, .npg = 1, .err = EFAULT, .file = FZERO },
	/* unlike shmem (EINVAL), hugetlb just does not find the page */
	{ .name = "CONTINUE hugetlb-memfd-shared (MINOR) past i_size -> EFAULT",
	  .kind = K_HUGETLB_MEMFD_SHARED, .reg_mode = M_MINOR, .trunc = 2,
	  .op = UFFD_FILL_CONTINUE, .pg = 3, .npg = 1, .err = EFAULT },
	{ .name = "COPY hugetlb-memfd-private onto file page -> ok, file unchanged",
	  .kind = K_HUGETLB_MEMFD_PRIV, .reg_mode = M_MISSING,
	  .file_fill = PG(0), .op = UFFD_FILL_COPY, .npg = 1, .data = 'S',
	  .file = 'F', .write_after = true },
	{ .name = "CONTINUE hugetlb-memfd-private (MINOR) page cached -> ok, file unchanged",
	  .kind = K_HUGETLB_MEMFD_PRIV, .reg_mode = M_MINOR,
	  .file_fill = PG(0), .op = UFFD_FILL_CONTINUE, .npg = 1, .data = 'F',
	  .file = 'F', .write_after = true },
	{ .name = "CONTINUE hugetlb-memfd-private (MINOR) no page in page cache -> EFAULT",
	  .kind = K_HUGETLB_MEMFD_PRIV, .reg_mode = M_MINOR,
	  .op = UFFD_FILL_CONTINUE, .npg = 1, .err = EFAULT, .file = FZERO },
};

static int run_op_case(const struct op_case *c, char *why)
{
	const struct kind_info *ki = &kind_info[c->kind];
	uint64_t features = c->wp_async ? UFFD_FEATURE_WP_ASYNC : reg_features;
	char *src = NULL, *dst, *srcaddr;
	size_t srclen = 0, len, ps, i;
	__s64 out, expout;
	long blocks0, blocks1;
	struct area a;
	int uffd = -1, err, ret;

	ret = area_create(&a, c->kind, NPAGES_OP, why);
	if (ret)
		return ret;
	ps = a.psize;
	ret = KSFT_FAIL;

	for (i = 0; i < NPAGES_OP; i++) {
		if (c->map_fill & PG(i))
			memset(a.addr + i * ps, 'M', ps);
		if ((c->file_fill & PG(i)) && fill_file_page(&a, i, 'F', why))
			goto out;
		if ((c->falloc & PG(i)) && fallocate(a.fd, 0, i * ps, ps)) {
			snprintf(why, WHY_LEN, "setup: fallocate: %s",
				 strerror(errno));
			goto out;
		}
		if (c->pageout & PG(i)) {
			ret = page_out_file_page(&a, i, why);
			if (ret != KSFT_PASS)
				goto out;
			ret = KSFT_FAIL;
		}
	}

	uffd = uffd_new(features, why);
	if (uffd < 0)
		goto out;
	if (c->reg_mode) {
		err = uffd_register_range(uffd, a.addr, a.len, c->reg_mode,
					  NULL);
		if (err) {
			snprintf(why, WHY_LEN, "setup: UFFDIO_REGISTER %s: %s",
				 mode_name(c->reg_mode, c->wp_async),
				 uffd_errname(err));
			goto out;
		}
	}
	if (c->trunc && ftruncate(a.fd, c->trunc * ps)) {
		snprintf(why, WHY_LEN, "setup: ftruncate: %s", strerror(errno));
		goto out;
	}

	srclen = (c->npg + 1) * ps;
	src = src_alloc(srclen, c->src_prot_none);
	if (!src) {
		snprintf(why, WHY_LEN, "setup: source buffer: %s",
			 strerror(errno));
		goto out;
	}

	dst = a.addr + c->pg * ps + adj(c->dst_adj);
	len = c->npg * ps + adj(c->len_adj);
	srcaddr = src + adj(c->src_adj);
	blocks0 = file_blocks(a.fd);

	err = uffd_fill_ioctl(uffd, c->op, dst, srcaddr, len, c->op_mode, &out);
	if (err != c->err) {
		snprintf(why, WHY_LEN, "%s returned %s, expected %s",
			 uffd_fill_op_name[c->op], uffd_errname(err),
			 uffd_errname(c->err));
		goto out;
	}
	switch (c->out) {
	case OUT_UNTOUCHED:
		expout = UFFD_OUT_UNSET;
		break;
	case OUT_ONE_PAGE:
		expout = ps;
		break;
	default:
		expout = c->err ? -c->err : (__s64)len;
		break;
	}
	if (out != expout) {
		snprintf(why, WHY_LEN, "%s output field %lld, expected %lld",
			 uffd_fill_op_name[c->op], (long long)out,
			 (long long)expout);
		goto out;
	}

	/*
	 * A failure, or anything on a private mapping, allocates no file
	 * page.  Measured before file_check(): reading a hole of a non-shmem
	 * file (ramfs) instantiates a page cache page.
	 */
	blocks1 = file_blocks(a.fd);
	if ((c->err || !ki->shared) && blocks0 != blocks1) {
		snprintf(why, WHY_LEN, "st_blocks changed from %ld to %ld",
			 blocks0, blocks1);
		goto out;
	}

	if (!c->err) {
		if (mem_check(dst, len, c->data, "mapping", why))
			goto out;
		if (c->write_after) {
			memset(dst, 'W', len);
			if (mem_check(dst, len, 'W', "mapping after write", why))
				goto out;
		}
	}

	if (a.fd >= 0 && c->file) {
		int want = c->file == FZERO ? 0 : c->file;

		if (!c->err && c->write_after && ki->shared)
			want = 'W';
		for (i = c->pg; i < c->pg + (c->npg ? c->npg : 1); i++)
			if (file_check(&a, i, want, why))
				goto out;
	}

	ret = KSFT_PASS;
out:
	if (uffd >= 0)
		close(uffd);
	if (src)
		munmap(src, srclen);
	area_destroy(&a);
	return ret;
}

/* ------------------------------------------------------------------ */
/* 4. UFFDIO_REGISTER range checks                                      */
/* ------------------------------------------------------------------ */

enum layout {
	L_ANON,		/* 4 anonymous private pages */
	L_HOLEY,	/* VMA [0,2) hole [2,4) VMA [4,6) hole [6,8) */
	L_HUGETLB,	/* 2 hugetlb-memfd-shared huge pages */
};

struct range_case {
	const char *name;
	enum layout lay;
	uint64_t mode;
	unsigned int start, len;	/* in layout pages */
	long start_adj, len_adj;	/* bytes */
	int err;
	/* COPY probes after registration: page, expected errno */
	int probe[2];
	int probe_err[2];
};

#define NOPROBE { -1, -1 }

static const struct range_case range_cases[] = {
	{ "register mode 0 -> EINVAL", L_ANON, 0, 0, 4, 0, 0, EINVAL,
	  NOPROBE },
	{ "register unknown mode bit -> EINVAL", L_ANON, M_MISSING | (1 << 3),
	  0, 4, 0, 0, EINVAL, NOPROBE },
	{ "register start not page aligned -> EINVAL", L_ANON, M_MISSING,
	  0, 1, 8, 0, EINVAL, NOPROBE },
	{ "register len not page multiple -> EINVAL", L_ANON, M_MISSING,
	  0, 1, 0, 8, EINVAL, NOPROBE },
	{ "register len 0 -> EINVAL", L_ANON, M_MISSING, 0, 0, 0, 0, EINVAL,
	  NOPROBE },
	{ "register range entirely in a hole -> EINVAL", L_HOLEY, M_MISSING,
	  2, 2, 0, 0, EINVAL, NOPROBE },
	/* holes inside the range are not checked, only the VMAs */
	{ "register VMA plus trailing hole -> ok", L_HOLEY, M_MISSING,
	  0, 4, 0, 0, 0, { 1, -1 }, { 0 } },
	{ "register leading hole plus VMA -> ok", L_HOLEY, M_MISSING,
	  2, 4, 0, 0, 0, { 4, -1 }, { 0 } },
	{ "register VMA, hole, VMA -> ok", L_HOLEY, M_MISSING,
	  0, 6, 0, 0, 0, { 0, 5 }, { 0, 0 } },
	{ "register middle of a VMA -> ok, COPY outside it -> ENOENT", L_ANON,
	  M_MISSING, 1, 2, 0, 0, 0, { 0, 2 }, { ENOENT, 0 } },
	{ "register hugetlb start not hpage aligned -> EINVAL", L_HUGETLB,
	  M_MISSING, 0, 1, SMALL_PAGE, 0, EINVAL, NOPROBE },
	{ "register hugetlb end not hpage aligned -> EINVAL", L_HUGETLB,
	  M_MISSING, 0, 1, 0, SMALL_PAGE, EINVAL, NOPROBE },
	{ "register first hpage of a hugetlb VMA -> ok", L_HUGETLB, M_MISSING,
	  0, 1, 0, 0, 0, { 0, 1 }, { 0, ENOENT } },
};

static int run_range_case(const struct range_case *c, char *why)
{
	char *base = MAP_FAILED, *src;
	size_t unit = page_size, maplen = 0;
	size_t srclen = hpage_size > page_size ? hpage_size : page_size;
	struct area a = { .fd = -1 };
	bool have_area = false;
	int uffd = -1, err, ret, i;
	__s64 out;

	/* before the layout, so that it cannot land in one of its holes */
	src = src_alloc(srclen, false);
	if (!src) {
		snprintf(why, WHY_LEN, "setup: source buffer");
		return KSFT_FAIL;
	}

	switch (c->lay) {
	case L_ANON:
		maplen = 4 * unit;
		base = mmap(NULL, maplen, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	case L_HOLEY:
		maplen = 8 * unit;
		base = mmap(NULL, maplen, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (base != MAP_FAILED) {
			munmap(base + 2 * unit, 2 * unit);
			munmap(base + 6 * unit, 2 * unit);
		}
		break;
	case L_HUGETLB:
		ret = area_create(&a, K_HUGETLB_MEMFD_SHARED, 2, why);
		if (ret) {
			munmap(src, srclen);
			return ret;
		}
		have_area = true;
		base = a.addr;
		unit = a.psize;
		break;
	}
	if (base == MAP_FAILED) {
		snprintf(why, WHY_LEN, "setup: mmap: %s", strerror(errno));
		munmap(src, srclen);
		return KSFT_FAIL;
	}

	ret = KSFT_FAIL;
	uffd = uffd_new(reg_features, why);
	if (uffd < 0)
		goto out;
	err = uffd_register_range(uffd,
				  base + c->start * unit + adj(c->start_adj),
				  c->len * unit + adj(c->len_adj), c->mode,
				  NULL);
	if (err != c->err) {
		snprintf(why, WHY_LEN, "UFFDIO_REGISTER returned %s, expected %s",
			 uffd_errname(err), uffd_errname(c->err));
		goto out;
	}
	for (i = 0; i < 2; i++) {
		if (c->probe[i] < 0)
			continue;
		err = uffd_fill_ioctl(uffd, UFFD_FILL_COPY,
				      base + c->probe[i] * unit, src, unit, 0,
				      &out);
		if (err != c->probe_err[i]) {
			snprintf(why, WHY_LEN,
				 "COPY to page %d returned %s, expected %s",
				 c->probe[i], uffd_errname(err),
				 uffd_errname(c->probe_err[i]));
			goto out;
		}
	}
	ret = KSFT_PASS;
out:
	if (uffd >= 0)
		close(uffd);
	munmap(src, srclen);
	if (have_area)
		area_destroy(&a);
	else
		munmap(base, maplen);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Custom cases                                                         */
/* ------------------------------------------------------------------ */

static int case_ebusy(char *why)
{
	int u1 = -1, u2 = -1, err, ret = KSFT_FAIL;
	struct area a;

	ret = area_create(&a, K_ANON_PRIV, 2, why);
	if (ret)
		return ret;
	ret = KSFT_FAIL;
	u1 = uffd_new(reg_features, why);
	u2 = uffd_new(reg_features, why);
	if (u1 < 0 || u2 < 0)
		goto out;
	err = uffd_register_range(u1, a.addr, a.len, M_MISSING, NULL);
	if (err) {
		snprintf(why, WHY_LEN, "first UFFDIO_REGISTER: %s",
			 uffd_errname(err));
		goto out;
	}
	err = uffd_register_range(u2, a.addr, a.len, M_MISSING, NULL);
	if (err != EBUSY) {
		snprintf(why, WHY_LEN, "second uffd: %s, expected EBUSY",
			 uffd_errname(err));
		goto out;
	}
	err = uffd_register_range(u1, a.addr, a.len, M_MISSING, NULL);
	if (err) {
		snprintf(why, WHY_LEN, "same uffd again: %s, expected ok",
			 uffd_errname(err));
		goto out;
	}
	ret = KSFT_PASS;
out:
	if (u1 >= 0)
		close(u1);
	if (u2 >= 0)
		close(u2);
	area_destroy(&a);
	return ret;
}

/*
 * Two adjacent VMAs of different kinds covered by one UFFDIO_REGISTER:
 * [base, base + len0) of kind k0, then [base + len0, +len1) of kind k1.
 */
struct mixed {
	char *res;
	size_t reslen;
	char *base;
	size_t len0, len1;
	int fd;
};

static void mixed_destroy(struct mixed *m)
{
	if (m->res && m->res != MAP_FAILED)
		munmap(m->res, m->reslen);
	if (m->fd >= 0)
		close(m->fd);
}

/* anon-private page followed by one page of @fd (or hugetlb-anon-shared) */
static int mixed_create(struct mixed *m, bool memfd_first, bool hugetlb,
			char *why)
{
	size_t unit = hugetlb ? hpage_size : page_size;
	char *aligned;
	int ret;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	if (hugetlb) {
		ret = hugetlb_pages_available(1, why);
		if (ret)
			return ret;
	}
	m->reslen = 3 * unit;
	m->res = mmap(NULL, m->reslen, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->res == MAP_FAILED) {
		snprintf(why, WHY_LEN, "setup: reserve: %s", strerror(errno));
		return KSFT_FAIL;
	}
	aligned = (char *)(((unsigned long)m->res + unit - 1) & ~(unit - 1));
	if (hugetlb) {
		/* anon page just below a hugetlb page */
		m->base = aligned + unit - page_size;
		m->len0 = page_size;
		m->len1 = unit;
		if (mmap(m->base, page_size, PROT_READ | PROT_WRITE,
			 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) ==
		    MAP_FAILED ||
		    mmap(m->base + page_size, unit, PROT_READ | PROT_WRITE,
			 MAP_FIXED | MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB,
			 -1, 0) == MAP_FAILED) {
			snprintf(why, WHY_LEN, "setup: mmap: %s",
				 strerror(errno));
			return KSFT_FAIL;
		}
		return KSFT_PASS;
	}
	m->fd = memfd_create("uffd-ops-regs-mixed", 0);
	if (m->fd < 0 || ftruncate(m->fd, page_size)) {
		snprintf(why, WHY_LEN, "setup: memfd: %s", strerror(errno));
		return KSFT_FAIL;
	}
	m->base = aligned;
	m->len0 = page_size;
	m->len1 = page_size;
	if (mmap(m->base + (memfd_first ? page_size : 0), page_size,
		 PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0) == MAP_FAILED ||
	    mmap(m->base + (memfd_first ? 0 : page_size), page_size,
		 PROT_READ | PROT_WRITE, MAP_FIXED | MAP_SHARED, m->fd, 0) ==
	    MAP_FAILED) {
		snprintf(why, WHY_LEN, "setup: mmap: %s", strerror(errno));
		return KSFT_FAIL;
	}
	return KSFT_PASS;
}

static int run_mixed(bool memfd_first, bool hugetlb, uint64_t mode,
		     int experr, uint64_t exp_ioctls, char *why)
{
	__u64 ioctls = 0;
	struct mixed m;
	int uffd = -1, err, ret;
	char *src = NULL;
	__s64 out;

	ret = mixed_create(&m, memfd_first, hugetlb, why);
	if (ret) {
		mixed_destroy(&m);
		return ret;
	}
	ret = KSFT_FAIL;
	uffd = uffd_new(reg_features, why);
	if (uffd < 0)
		goto out;
	err = uffd_register_range(uffd, m.base, m.len0 + m.len1, mode, &ioctls);
	if (err != experr) {
		snprintf(why, WHY_LEN, "UFFDIO_REGISTER returned %s, expected %s",
			 uffd_errname(err), uffd_errname(experr));
		goto out;
	}
	if (!err && ioctls != exp_ioctls) {
		snprintf(why, WHY_LEN, "ioctls %#llx, expected %#llx",
			 (unsigned long long)ioctls,
			 (unsigned long long)exp_ioctls);
		goto out;
	}
	if (err) {
		/* the failed registration must not have touched either VMA */
		src = src_alloc(page_size, false);
		if (!src) {
			snprintf(why, WHY_LEN, "setup: source buffer");
			goto out;
		}
		err = uffd_copy(uffd, m.base, src, page_size, 0, &out);
		if (err != ENOENT) {
			snprintf(why, WHY_LEN,
				 "COPY to first VMA returned %s, expected ENOENT (not registered)",
				 uffd_errname(err));
			goto out;
		}
	}
	ret = KSFT_PASS;
out:
	if (uffd >= 0)
		close(uffd);
	if (src)
		munmap(src, page_size);
	mixed_destroy(&m);
	return ret;
}

static int case_mixed_minor(char *why)
{
	return run_mixed(true, false, M_MINOR, EINVAL, 0, why);
}

static int case_mixed_missing(char *why)
{
	return run_mixed(false, false, M_MISSING, 0, 0x11c, why);
}

static int case_mixed_hugetlb(char *why)
{
	return run_mixed(false, true, M_MISSING, 0, 0x10c, why);
}

/* ------------------------------------------------------------------ */
/* 5. Accounting                                                        */
/* ------------------------------------------------------------------ */

struct fixture {
	struct area a;
	int uffd;
	char *src, *bad;
	size_t srclen;
};

static void fixture_destroy(struct fixture *f)
{
	if (f->uffd >= 0)
		close(f->uffd);
	if (f->src)
		munmap(f->src, f->srclen);
	if (f->bad)
		munmap(f->bad, f->srclen);
	area_destroy(&f->a);
}

/* @npg pages of @k registered MISSING, a good and a PROT_NONE source */
static int fixture_create(struct fixture *f, enum kind k, size_t npg,
			  char *why)
{
	int ret, err;

	memset(f, 0, sizeof(*f));
	f->uffd = -1;
	ret = area_create(&f->a, k, npg, why);
	if (ret)
		return ret;
	f->srclen = f->a.psize;
	f->src = src_alloc(f->srclen, false);
	f->bad = src_alloc(f->srclen, true);
	if (!f->src || !f->bad) {
		snprintf(why, WHY_LEN, "setup: source buffers");
		goto fail;
	}
	f->uffd = uffd_new(reg_features, why);
	if (f->uffd < 0)
		goto fail;
	err = uffd_register_range(f->uffd, f->a.addr, f->a.len, M_MISSING,
				  NULL);
	if (err) {
		snprintf(why, WHY_LEN, "setup: UFFDIO_REGISTER: %s",
			 uffd_errname(err));
		goto fail;
	}
	return KSFT_PASS;
fail:
	fixture_destroy(f);
	return KSFT_FAIL;
}

/*
 * On an 8 page shmem fixture with page 0 in the page cache and i_size cut
 * to 4 pages: every way a COPY/ZEROPAGE fails after allocating.
 */
static bool shmem_fail_batch(struct fixture *f, char *why)
{
	char *p = f->a.addr;
	size_t ps = f->a.psize;

	return expect_op(f->uffd, UFFD_FILL_COPY, p + ps, f->bad, ps, EFAULT,
			 "unreadable src", why) &&
	       expect_op(f->uffd, UFFD_FILL_COPY, p, f->src, ps, EEXIST,
			 "page in page cache", why) &&
	       expect_op(f->uffd, UFFD_FILL_COPY, p + 6 * ps, f->src, ps,
			 EFAULT, "past i_size", why) &&
	       expect_op(f->uffd, UFFD_FILL_ZEROPAGE, p + 6 * ps, NULL, ps,
			 EFAULT, "past i_size", why) &&
	       expect_op(f->uffd, UFFD_FILL_ZEROPAGE, p, NULL, ps, EEXIST,
			 "page in page cache", why);
}

static int shmem_batch_setup(struct fixture *f, char *why)
{
	int ret = fixture_create(f, K_MEMFD_SHARED, 8, why);

	if (ret)
		return ret;
	if (fill_file_page(&f->a, 0, 'F', why))
		goto fail;
	if (ftruncate(f->a.fd, 4 * f->a.psize)) {
		snprintf(why, WHY_LEN, "setup: ftruncate: %s", strerror(errno));
		goto fail;
	}
	return KSFT_PASS;
fail:
	fixture_destroy(f);
	return KSFT_FAIL;
}

static int case_acct_control(char *why)
{
	long b0, b1, s0, s1, want_blocks;
	struct fixture f;
	int ret;

	ret = fixture_create(&f, K_MEMFD_SHARED, 4, why);
	if (ret)
		return ret;
	ret = KSFT_FAIL;
	b0 = file_blocks(f.a.fd);
	s0 = shmem_kb();
	if (!expect_op(f.uffd, UFFD_FILL_COPY, f.a.addr, f.src, f.a.psize, 0,
		       "control", why))
		goto out;
	b1 = file_blocks(f.a.fd);
	s1 = shmem_kb();
	want_blocks = f.a.psize / 512;
	if (b1 - b0 != want_blocks) {
		snprintf(why, WHY_LEN, "st_blocks %ld -> %ld, expected +%ld",
			 b0, b1, want_blocks);
		goto out;
	}
	if (s1 - s0 != (long)(f.a.psize / 1024)) {
		snprintf(why, WHY_LEN, "Shmem %ld kB -> %ld kB, expected +%zu",
			 s0, s1, f.a.psize / 1024);
		goto out;
	}
	ret = KSFT_PASS;
out:
	fixture_destroy(&f);
	return ret;
}

static int case_acct_blocks(char *why)
{
	struct fixture f;
	long b0, b1;
	int ret;

	ret = shmem_batch_setup(&f, why);
	if (ret)
		return ret;
	ret = KSFT_FAIL;
	b0 = file_blocks(f.a.fd);
	if (!shmem_fail_batch(&f, why))
		goto out;
	b1 = file_blocks(f.a.fd);
	if (b0 != b1) {
		snprintf(why, WHY_LEN, "st_blocks %ld -> %ld", b0, b1);
		goto out;
	}
	ret = KSFT_PASS;
out:
	fixture_destroy(&f);
	return ret;
}

static int case_acct_meminfo(char *why)
{
	struct fixture f;
	long s0, s1;
	int ret;

	ret = shmem_batch_setup(&f, why);
	if (ret)
		return ret;
	ret = KSFT_FAIL;
	s0 = shmem_kb();
	if (s0 < 0) {
		snprintf(why, WHY_LEN, "no Shmem: in /proc/meminfo");
		goto out;
	}
	if (!shmem_fail_batch(&f, why))
		goto out;
	s1 = shmem_kb();
	if (s0 != s1) {
		snprintf(why, WHY_LEN, "Shmem %ld kB -> %ld kB", s0, s1);
		goto out;
	}
	ret = KSFT_PASS;
out:
	fixture_destroy(&f);
	return ret;
}

static int case_acct_private(char *why)
{
	struct fixture f;
	long b0, b1, s0, s1;
	size_t ps;
	char *p;
	int ret;

	ret = fixture_create(&f, K_MEMFD_PRIV, 4, why);
	if (ret)
		return ret;
	ret = KSFT_FAIL;
	p = f.a.addr;
	ps = f.a.psize;
	if (fill_file_page(&f.a, 0, 'F', why))
		goto out;
	b0 = file_blocks(f.a.fd);
	s0 = shmem_kb();
	if (!expect_op(f.uffd, UFFD_FILL_COPY, p, f.src, ps, 0,
		       "onto file page", why) ||
	    !expect_op(f.uffd, UFFD_FILL_COPY, p + ps, f.src, ps, 0,
		       "into hole", why) ||
	    !expect_op(f.uffd, UFFD_FILL_ZEROPAGE, p + 2 * ps, NULL, ps, 0,
		       "hole", why) ||
	    !expect_op(f.uffd, UFFD_FILL_COPY, p + 3 * ps, f.bad, ps, EFAULT,
		       "unreadable src", why))
		goto out;
	b1 = file_blocks(f.a.fd);
	s1 = shmem_kb();
	if (b0 != b1 || s0 != s1) {
		snprintf(why, WHY_LEN, "st_blocks %ld -> %ld, Shmem %ld -> %ld kB",
			 b0, b1, s0, s1);
		goto out;
	}
	ret = KSFT_PASS;
out:
	fixture_destroy(&f);
	return ret;
}

static int case_acct_hugetlb(char *why)
{
	long free0, rsvd0, free1, rsvd1;
	struct fixture f;
	size_t ps;
	char *p;
	int ret;

	ret = fixture_create(&f, K_HUGETLB_MEMFD_SHARED, 4, why);
	if (ret)
		return ret;
	ret = KSFT_FAIL;
	p = f.a.addr;
	ps = f.a.psize;
	if (fill_file_page(&f.a, 0, 'F', why))
		goto out;
	if (ftruncate(f.a.fd, 2 * ps)) {
		snprintf(why, WHY_LEN, "setup: ftruncate: %s", strerror(errno));
		goto out;
	}
	free0 = read_meminfo("HugePages_Free");
	rsvd0 = read_meminfo("HugePages_Rsvd");
	if (!expect_op(f.uffd, UFFD_FILL_COPY, p, f.src, ps, EEXIST,
		       "page in page cache", why) ||
	    !expect_op(f.uffd, UFFD_FILL_COPY, p + ps, f.bad, ps, EFAULT,
		       "unreadable src", why) ||
	    !expect_op(f.uffd, UFFD_FILL_COPY, p + 3 * ps, f.src, ps, EFAULT,
		       "past i_size", why))
		goto out;
	free1 = read_meminfo("HugePages_Free");
	rsvd1 = read_meminfo("HugePages_Rsvd");
	if (free0 != free1 || rsvd0 != rsvd1) {
		snprintf(why, WHY_LEN,
			 "HugePages_Free %ld -> %ld, HugePages_Rsvd %ld -> %ld",
			 free0, free1, rsvd0, rsvd1);
		goto out;
	}
	ret = KSFT_PASS;
out:
	fixture_destroy(&f);
	return ret;
}

/* A private tmpfs instance limited to 16 pages. */
#define SMALL_TMPFS_PAGES	16

static int small_tmpfs_mount(char *dir, size_t dirlen, char *why)
{
	char opts[32];

	snprintf(dir, dirlen, "/tmp/uffd-ops-regs-tmpfs.XXXXXX");
	if (!mkdtemp(dir)) {
		snprintf(dir, dirlen, "/dev/shm/uffd-ops-regs-tmpfs.XXXXXX");
		if (!mkdtemp(dir)) {
			snprintf(why, WHY_LEN, "mkdtemp: %s", strerror(errno));
			return KSFT_SKIP;
		}
	}
	snprintf(opts, sizeof(opts), "size=%zuk",
		 SMALL_TMPFS_PAGES * page_size / 1024);
	if (mount("uffd-ops-regs", dir, "tmpfs", 0, opts)) {
		snprintf(why, WHY_LEN, "mount tmpfs %s: %s", opts,
			 strerror(errno));
		rmdir(dir);
		return KSFT_SKIP;
	}
	return KSFT_PASS;
}

static void small_tmpfs_umount(const char *dir)
{
	umount2(dir, MNT_DETACH);
	rmdir(dir);
}

static long fs_free_blocks(const char *dir)
{
	struct statvfs sv;

	if (statvfs(dir, &sv))
		return -1;
	return sv.f_bfree;
}

/*
 * Map a 2 * SMALL_TMPFS_PAGES page file on the small tmpfs, register it
 * MISSING.  @run does the work.
 */
static int with_small_tmpfs(int (*run)(struct fixture *f, const char *dir,
				       char *why), char *why)
{
	char dir[64];
	struct fixture f;
	int ret, err;

	if (geteuid() != 0) {
		snprintf(why, WHY_LEN, "mounting a tmpfs needs root");
		return KSFT_SKIP;
	}
	ret = small_tmpfs_mount(dir, sizeof(dir), why);
	if (ret)
		return ret;

	memset(&f, 0, sizeof(f));
	f.uffd = -1;
	ret = KSFT_FAIL;
	/* like K_TMPFS_SHARED, but on our own instance */
	f.a.kind = K_TMPFS_SHARED;
	f.a.fd = -1;
	f.a.psize = page_size;
	f.a.len = 2 * SMALL_TMPFS_PAGES * page_size;
	if (make_file(&f.a, dir, why))
		goto out;
	if (ftruncate(f.a.fd, f.a.len)) {
		snprintf(why, WHY_LEN, "setup: ftruncate: %s", strerror(errno));
		goto out;
	}
	f.a.addr = mmap(NULL, f.a.len, PROT_READ | PROT_WRITE, MAP_SHARED,
			f.a.fd, 0);
	if (f.a.addr == MAP_FAILED) {
		snprintf(why, WHY_LEN, "setup: mmap: %s", strerror(errno));
		goto out;
	}
	f.srclen = SMALL_TMPFS_PAGES * page_size;
	f.src = src_alloc(f.srclen, false);
	f.bad = src_alloc(f.srclen, true);
	if (!f.src || !f.bad) {
		snprintf(why, WHY_LEN, "setup: source buffers");
		goto out;
	}
	f.uffd = uffd_new(reg_features, why);
	if (f.uffd < 0)
		goto out;
	err = uffd_register_range(f.uffd, f.a.addr, f.a.len, M_MISSING, NULL);
	if (err) {
		snprintf(why, WHY_LEN, "setup: UFFDIO_REGISTER: %s",
			 uffd_errname(err));
		goto out;
	}
	ret = run(&f, dir, why);
out:
	fixture_destroy(&f);
	small_tmpfs_umount(dir);
	return ret;
}

static int run_tmpfs_enomem(struct fixture *f, const char *dir, char *why)
{
	size_t ps = f->a.psize;
	long bfree;

	/* fill the whole instance, then one more page */
	if (!expect_op(f->uffd, UFFD_FILL_COPY, f->a.addr, f->src,
		       SMALL_TMPFS_PAGES * ps, 0, "fill", why))
		return KSFT_FAIL;
	bfree = fs_free_blocks(dir);
	if (bfree != 0) {
		snprintf(why, WHY_LEN, "f_bfree %ld after filling, expected 0",
			 bfree);
		return KSFT_FAIL;
	}
	if (!expect_op(f->uffd, UFFD_FILL_COPY,
		       f->a.addr + SMALL_TMPFS_PAGES * ps, f->src, ps, ENOMEM,
		       "over the size limit", why) ||
	    !expect_op(f->uffd, UFFD_FILL_ZEROPAGE,
		       f->a.addr + SMALL_TMPFS_PAGES * ps, NULL, ps, ENOMEM,
		       "over the size limit", why))
		return KSFT_FAIL;
	bfree = fs_free_blocks(dir);
	if (bfree != 0) {
		snprintf(why, WHY_LEN, "f_bfree %ld after ENOMEM, expected 0",
			 bfree);
		return KSFT_FAIL;
	}
	return KSFT_PASS;
}

static int run_tmpfs_fail_batch(struct fixture *f, const char *dir,
				char *why)
{
	size_t ps = f->a.psize;
	long bfree0, bfree1, b0, b1;

	if (!expect_op(f->uffd, UFFD_FILL_COPY, f->a.addr, f->src, 4 * ps, 0,
		       "fill", why))
		return KSFT_FAIL;
	if (ftruncate(f->a.fd, 8 * ps)) {
		snprintf(why, WHY_LEN, "setup: ftruncate: %s", strerror(errno));
		return KSFT_FAIL;
	}
	bfree0 = fs_free_blocks(dir);
	b0 = file_blocks(f->a.fd);
	if (!expect_op(f->uffd, UFFD_FILL_COPY, f->a.addr + 4 * ps, f->bad, ps,
		       EFAULT, "unreadable src", why) ||
	    !expect_op(f->uffd, UFFD_FILL_COPY, f->a.addr, f->src, ps, EEXIST,
		       "populated", why) ||
	    !expect_op(f->uffd, UFFD_FILL_COPY, f->a.addr + 10 * ps, f->src, ps,
		       EFAULT, "past i_size", why))
		return KSFT_FAIL;
	bfree1 = fs_free_blocks(dir);
	b1 = file_blocks(f->a.fd);
	if (bfree0 != bfree1 || b0 != b1) {
		snprintf(why, WHY_LEN, "f_bfree %ld -> %ld, st_blocks %ld -> %ld",
			 bfree0, bfree1, b0, b1);
		return KSFT_FAIL;
	}
	if (bfree0 != SMALL_TMPFS_PAGES - 4) {
		snprintf(why, WHY_LEN, "f_bfree %ld, expected %d", bfree0,
			 SMALL_TMPFS_PAGES - 4);
		return KSFT_FAIL;
	}
	return KSFT_PASS;
}

static int case_tmpfs_enomem(char *why)
{
	return with_small_tmpfs(run_tmpfs_enomem, why);
}

static int case_tmpfs_fail_batch(char *why)
{
	return with_small_tmpfs(run_tmpfs_fail_batch, why);
}

static const struct {
	const char *name;
	int (*fn)(char *why);
} custom_cases[] = {
	{ "register range owned by another uffd -> EBUSY, same uffd again -> ok",
	  case_ebusy },
	{ "register memfd-shared+anon-private MINOR -> EINVAL, nothing registered",
	  case_mixed_minor },
	{ "register anon-private+memfd-shared MISSING -> ok, ioctls 0x11c",
	  case_mixed_missing },
	{ "register anon-private+hugetlb-anon-shared MISSING -> ok, ioctls 0x10c",
	  case_mixed_hugetlb },
	{ "accounting control: COPY on memfd-shared adds one page to st_blocks and Shmem",
	  case_acct_control },
	{ "accounting: failing COPY/ZEROPAGE batch on memfd-shared keeps st_blocks",
	  case_acct_blocks },
	{ "accounting: failing COPY/ZEROPAGE batch on memfd-shared keeps meminfo Shmem",
	  case_acct_meminfo },
	{ "accounting: COPY/ZEROPAGE on memfd-private keeps st_blocks and Shmem",
	  case_acct_private },
	{ "accounting: failing COPY batch on hugetlb-memfd-shared keeps HugePages_Free/Rsvd",
	  case_acct_hugetlb },
	{ "tmpfs size=16 pages: COPY/ZEROPAGE beyond the limit -> ENOMEM",
	  case_tmpfs_enomem },
	{ "tmpfs size=16 pages: failing COPY batch keeps f_bfree and st_blocks",
	  case_tmpfs_fail_batch },
};

/* ------------------------------------------------------------------ */
/* Environment                                                          */
/* ------------------------------------------------------------------ */

static bool dir_fs_is(const char *dir, long magic)
{
	struct statfs sf;

	return !statfs(dir, &sf) && sf.f_type == magic;
}

static bool dir_is_shmem_like(const char *dir)
{
	return dir_fs_is(dir, TMPFS_MAGIC) || dir_fs_is(dir, HUGETLBFS_MAGIC);
}

static void env_teardown(void)
{
	if (regfile_mounted) {
		umount2(regfile_dir, MNT_DETACH);
		rmdir(regfile_dir);
		regfile_mounted = false;
	}
}

static void env_setup(void)
{
	char cwd[64];

	if (dir_fs_is("/dev/shm", TMPFS_MAGIC))
		snprintf(tmpfs_dir, sizeof(tmpfs_dir), "/dev/shm");
	else if (dir_fs_is("/tmp", TMPFS_MAGIC))
		snprintf(tmpfs_dir, sizeof(tmpfs_dir), "/tmp");

	/*
	 * A regular, non-shmem file: the test VM only has tmpfs (even "/"
	 * is the initramfs' tmpfs), so mount a ramfs; otherwise fall back
	 * to the current directory if it is not on tmpfs.
	 */
	snprintf(regfile_dir, sizeof(regfile_dir), "/tmp/uffd-ops-regs-ramfs.XXXXXX");
	if (mkdtemp(regfile_dir)) {
		if (!mount("uffd-ops-regs", regfile_dir, "ramfs", 0,
			   "mode=0700")) {
			regfile_mounted = true;
			return;
		}
		snprintf(regfile_why, sizeof(regfile_why),
			 "mount ramfs: %s; ", strerror(errno));
		rmdir(regfile_dir);
	}
	regfile_dir[0] = '\0';
	if (getcwd(cwd, sizeof(cwd)) && !dir_is_shmem_like(cwd) &&
	    !dir_fs_is(cwd, PROC_SUPER_MAGIC) &&
	    !dir_fs_is(cwd, SYSFS_MAGIC)) {
		snprintf(regfile_dir, sizeof(regfile_dir), "%s", cwd);
		return;
	}
	strncat(regfile_why, "no non-shmem filesystem for a regular file",
		sizeof(regfile_why) - strlen(regfile_why) - 1);
}

int main(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	char name[160], why[WHY_LEN];
	unsigned int i, j;
	int fd, ret;

	ksft_print_header();

	page_size = sysconf(_SC_PAGESIZE);
	hpage_size = read_meminfo("Hugepagesize") > 0 ?
		     (size_t)read_meminfo("Hugepagesize") * 1024 : 0;

	fd = uffd_open(O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		ksft_exit_skip("userfaultfd not available: %s\n",
			       strerror(errno));
	if (ioctl(fd, UFFDIO_API, &api))
		ksft_exit_fail_msg("UFFDIO_API: %s\n", strerror(errno));
	close(fd);
	avail_features = api.features;
	/*
	 * Everything but the event features (an unread UNMAP/REMOVE/REMAP
	 * event would block munmap()) and WP_ASYNC (changes the
	 * registration rules; it has its own cases).
	 */
	reg_features = avail_features &
		       ~(UFFD_FEATURE_EVENT_FORK | UFFD_FEATURE_EVENT_REMAP |
			 UFFD_FEATURE_EVENT_REMOVE | UFFD_FEATURE_EVENT_UNMAP |
			 UFFD_FEATURE_WP_ASYNC);

	env_setup();
	atexit(env_teardown);

	ksft_set_plan(ARRAY_SIZE(reg_matrix) * NR_RMODES +
		      ARRAY_SIZE(reg_feat0) + ARRAY_SIZE(ioctls_cases) +
		      ARRAY_SIZE(op_cases) + ARRAY_SIZE(range_cases) +
		      ARRAY_SIZE(custom_cases));
	ksft_print_msg("page size %zu, hugetlb page size %zu, free hugetlb pages %ld\n",
		       page_size, hpage_size, read_meminfo("HugePages_Free"));
	ksft_print_msg("features %#llx, registration features %#llx\n",
		       (unsigned long long)avail_features,
		       (unsigned long long)reg_features);
	ksft_print_msg("tmpfs dir '%s', regular file dir '%s'%s\n", tmpfs_dir,
		       regfile_dir, regfile_mounted ? " (ramfs)" : "");

	/* 1. registration matrix */
	for (i = 0; i < ARRAY_SIZE(reg_matrix); i++) {
		for (j = 0; j < NR_RMODES; j++) {
			const struct reg_mode *m = &rmodes[j];
			int experr = reg_matrix[i].err[j];

			snprintf(name, sizeof(name), "register %s %s -> %s",
				 kind_info[reg_matrix[i].kind].name,
				 mode_name(m->mode, m->wp_async),
				 uffd_errname(experr));
			ret = run_reg(reg_matrix[i].kind, m->mode, m->wp_async,
				      false, experr, false, 0, why);
			uffd_report(name, ret, why);
		}
	}
	for (i = 0; i < ARRAY_SIZE(reg_feat0); i++) {
		snprintf(name, sizeof(name),
			 "register (features=0) %s %s -> %s",
			 kind_info[reg_feat0[i].kind].name,
			 mode_name(reg_feat0[i].mode, false),
			 uffd_errname(reg_feat0[i].err));
		ret = run_reg(reg_feat0[i].kind, reg_feat0[i].mode, false,
			      true, reg_feat0[i].err, false, 0, why);
		uffd_report(name, ret, why);
	}

	/* 2. ioctls mask */
	for (i = 0; i < ARRAY_SIZE(ioctls_cases); i++) {
		snprintf(name, sizeof(name), "ioctls %s %s == %#llx",
			 kind_info[ioctls_cases[i].kind].name,
			 mode_name(ioctls_cases[i].mode,
				   ioctls_cases[i].wp_async),
			 (unsigned long long)ioctls_cases[i].ioctls);
		ret = run_reg(ioctls_cases[i].kind, ioctls_cases[i].mode,
			      ioctls_cases[i].wp_async, false, 0, true,
			      ioctls_cases[i].ioctls, why);
		uffd_report(name, ret, why);
	}

	/* 3./4. fill ioctls */
	for (i = 0; i < ARRAY_SIZE(op_cases); i++) {
		ret = run_op_case(&op_cases[i], why);
		uffd_report(op_cases[i].name, ret, why);
	}

	/* 4. register ranges */
	for (i = 0; i < ARRAY_SIZE(range_cases); i++) {
		ret = run_range_case(&range_cases[i], why);
		uffd_report(range_cases[i].name, ret, why);
	}

	/* 4./5. mixed ranges, accounting */
	for (i = 0; i < ARRAY_SIZE(custom_cases); i++) {
		ret = custom_cases[i].fn(why);
		uffd_report(custom_cases[i].name, ret, why);
	}

	ksft_finished();
}
