// SPDX-License-Identifier: GPL-2.0
/*
 * userfaultfd on guest_memfd, as seen by a running guest.
 *
 * Post-copy demand paging of guest_memfd memory: the VMM registers its
 * mapping of a guest_memfd (MMAP | INIT_SHARED) with userfaultfd and
 * resolves the faults with UFFDIO_COPY, UFFDIO_ZEROPAGE or UFFDIO_CONTINUE.
 * The guest's own accesses must be held like the VMM's: a vCPU never sees
 * a page before the VMM filled it (MISSING) or released it (MINOR).
 *
 * In each case the guest reads every page, in an order of its own, and
 * checks every word against the page's contents; the VMM's handler threads
 * resolve each fault as it comes, and count them.  A page a vCPU read
 * without the VMM resolving it shows up as wrong contents (MISSING: zeroes)
 * or as a missing fault (MINOR: the contents are already there).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/falloc.h>
#include <linux/sizes.h>
#include <linux/userfaultfd.h>

#include "kvm_util.h"
#include "test_util.h"
#include "ucall_common.h"
#include "userfaultfd_util.h"

/* Host and guest pages: 4 KiB on x86 and on arm64 with 4K pages. */
#define GMEM_PAGE_SIZE	4096ul
#define NR_PAGES	64
#define MAX_VCPUS	4
#define GMEM_GPA	SZ_4G
#define GMEM_SLOT	1

struct gmem_uffd_case {
	const char *name;
	int mode;		/* UFFDIO_REGISTER_MODE_MISSING or _MINOR */
	bool zeropage;		/* even pages resolved with UFFDIO_ZEROPAGE */
	int nr_vcpus;
	bool host_readers;	/* the VMM reads the pages at the same time */
	bool punch;		/* the VMM punches holes while the guest reads */
	int rounds;		/* times each vCPU reads every page, 0: until told */
	bool signal;		/* a signal interrupts the vCPU's first wait */
};

#define MISSING		UFFDIO_REGISTER_MODE_MISSING
#define MINOR		UFFDIO_REGISTER_MODE_MINOR

static const struct gmem_uffd_case cases[] = {
	{ "missing-copy",			MISSING, false, 1, false, false, 1, false },
	{ "missing-zeropage",			MISSING, true,  1, false, false, 1, false },
	{ "missing-copy-4-vcpus-host-readers",	MISSING, false, 4, true,  false, 1, false },
	{ "missing-copy-punch-hole-race",	MISSING, false, 1, false, true,  0, false },
	{ "missing-copy-signal",		MISSING, false, 1, false, false, 1, true },
	{ "minor-continue",			MINOR,   false, 1, false, false, 1, false },
	{ "minor-continue-4-vcpus-host-readers",	MINOR,   false, 4, true,  false, 1, false },
};

/* Page @page's word @word: never zero, different in every page. */
static inline u64 pattern(u64 page, u64 word)
{
	return (1ull << 63) | (page << 32) | word;
}

/* MINOR: what the page cache holds until the VMM updates and releases it. */
static inline u64 stale(u64 page, u64 word)
{
	return pattern(page, word) ^ (1ull << 62);
}

/* What the guest expects: zeroes where UFFDIO_ZEROPAGE resolved. */
static inline u64 expected(u64 page, u64 word, bool zeropage)
{
	return zeropage && !(page & 1) ? 0 : pattern(page, word);
}

/* Set by the host to end a guest that reads until told (rounds 0). */
static bool guest_stop;

static void guest_code(u64 gva, u64 start, u64 stride, u64 rounds,
		       u64 zeropage)
{
	u64 r, i, w;

	for (r = 0; rounds ? r < rounds : !READ_ONCE(guest_stop); r++) {
		for (i = 0; i < NR_PAGES; i++) {
			u64 page = (start + i * stride) % NR_PAGES;
			u64 *p = (u64 *)(gva + page * GMEM_PAGE_SIZE);

			for (w = 0; w < GMEM_PAGE_SIZE / sizeof(u64); w++)
				__GUEST_ASSERT(READ_ONCE(p[w]) == expected(page, w, zeropage),
					       "page %lu word %lu: 0x%lx, expected 0x%lx",
					       page, w, p[w], expected(page, w, zeropage));
		}
	}
	GUEST_DONE();
}

/* The current case's state, shared with the handler threads. */
static const struct gmem_uffd_case *cur;
static char *host_mem;
static u64 *alias_mem;	/* MINOR: a second, unregistered mapping */
static int gmem_fd;
static atomic_int faults[NR_PAGES];
static atomic_int punches;
static struct kvm_vm *cur_vm;
static pthread_t vcpu_threads[MAX_VCPUS];
static int intr_exits;	/* KVM_RUN's EINTR exits of vCPU 0 */

/* Holes the punch case makes while the guest reads. */
#define NR_PUNCHES	200

static void resolve(int uffd, u64 page)
{
	static __thread u64 buf[GMEM_PAGE_SIZE / sizeof(u64)];
	unsigned long addr = (unsigned long)host_mem + page * GMEM_PAGE_SIZE;
	int ret;

	if (cur->mode == UFFDIO_REGISTER_MODE_MINOR) {
		struct uffdio_continue cont = {
			.range = { .start = addr, .len = GMEM_PAGE_SIZE },
		};
		u64 *p = alias_mem + page * (GMEM_PAGE_SIZE / sizeof(u64));
		u64 w;

		/* The up-to-date contents, then the release. */
		for (w = 0; w < GMEM_PAGE_SIZE / sizeof(u64); w++)
			WRITE_ONCE(p[w], pattern(page, w));
		ret = ioctl(uffd, UFFDIO_CONTINUE, &cont);
	} else if (cur->zeropage && !(page & 1)) {
		struct uffdio_zeropage zp = {
			.range = { .start = addr, .len = GMEM_PAGE_SIZE },
		};

		ret = ioctl(uffd, UFFDIO_ZEROPAGE, &zp);
	} else {
		struct uffdio_copy copy = {
			.dst = addr, .src = (unsigned long)buf, .len = GMEM_PAGE_SIZE,
		};
		u64 w;

		for (w = 0; w < GMEM_PAGE_SIZE / sizeof(u64); w++)
			buf[w] = pattern(page, w);
		ret = ioctl(uffd, UFFDIO_COPY, &copy);
	}

	/* Another thread resolved it first: wake whoever waits. */
	if (ret && errno == EEXIST) {
		struct uffdio_range range = { .start = addr, .len = GMEM_PAGE_SIZE };

		ret = ioctl(uffd, UFFDIO_WAKE, &range);
	}
	TEST_ASSERT(!ret, "resolving page %lu failed: %s", page, strerror(errno));
}

static int handle_fault(int mode, int uffd, struct uffd_msg *msg)
{
	u64 page = (msg->arg.pagefault.address - (unsigned long)host_mem) / GMEM_PAGE_SIZE;

	TEST_ASSERT(page < NR_PAGES, "fault outside the guest_memfd mapping");
	TEST_ASSERT(!!(msg->arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_MINOR) ==
		    (mode == UFFDIO_REGISTER_MODE_MINOR),
		    "page %lu: a %s fault on a %s registration", page,
		    msg->arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_MINOR ? "MINOR" : "MISSING",
		    mode == UFFDIO_REGISTER_MODE_MINOR ? "MINOR" : "MISSING");
	/*
	 * The signal case: vCPU 0 reads page 0 first; leave its first fault
	 * unresolved and interrupt the wait with a signal instead.
	 */
	if (atomic_fetch_add(&faults[page], 1) == 0 && cur->signal && page == 0) {
		TEST_ASSERT(!pthread_kill(vcpu_threads[0], SIGUSR1), "pthread_kill");
		return 0;
	}
	resolve(uffd, page);
	return 0;
}

/* The VMM touching the same pages: they fault through its mapping. */
static void *host_reader(void *arg)
{
	u64 start = (uintptr_t)arg, i, w;

	for (i = 0; i < NR_PAGES; i++) {
		u64 page = (start + i * 5) % NR_PAGES;
		u64 *p = (u64 *)(host_mem + page * GMEM_PAGE_SIZE);

		for (w = 0; w < GMEM_PAGE_SIZE / sizeof(u64); w++)
			TEST_ASSERT_EQ(READ_ONCE(p[w]), expected(page, w, cur->zeropage));
	}
	return NULL;
}

/*
 * Punches holes in pages the guest reads: each must fault again, and the
 * guest must never see the zeroes in between.  Then ends the guest.
 */
static void *puncher(void *arg)
{
	u64 page = 0;

	while (atomic_load(&punches) < NR_PUNCHES) {
		page = (page + 7) % NR_PAGES;
		TEST_ASSERT(!fallocate(gmem_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				       page * GMEM_PAGE_SIZE, GMEM_PAGE_SIZE),
			    "punching page %lu: %s", page, strerror(errno));
		atomic_fetch_add(&punches, 1);
		usleep(500);
	}
	WRITE_ONCE(guest_stop, true);
	sync_global_to_guest(cur_vm, guest_stop);
	return NULL;
}

static void *vcpu_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	struct ucall uc;

	/* EINTR: the wait was interrupted, the access faults again. */
	while (__vcpu_run(vcpu) == -1) {
		TEST_ASSERT(errno == EINTR, "KVM_RUN: %s", strerror(errno));
		TEST_ASSERT_EQ(vcpu->run->exit_reason, KVM_EXIT_INTR);
		intr_exits++;
	}
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_DONE:
		break;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
	default:
		TEST_FAIL("vCPU %d: unexpected exit %s", vcpu->id,
			  exit_reason_str(vcpu->run->exit_reason));
	}
	return NULL;
}

/* A VM whose memory at GMEM_GPA is a guest_memfd, mapped at host_mem. */
static struct kvm_vm *create_vm(struct kvm_vcpu **vcpus, int nr_vcpus, u64 flags)
{
	size_t size = NR_PAGES * GMEM_PAGE_SIZE;
	struct kvm_vm *vm;

	vm = vm_create_with_vcpus(nr_vcpus, guest_code, vcpus);
	gmem_fd = vm_create_guest_memfd(vm, size, flags);
	host_mem = kvm_mmap(size, PROT_READ | PROT_WRITE, MAP_SHARED, gmem_fd);
	vm_set_user_memory_region2(vm, GMEM_SLOT, KVM_MEM_GUEST_MEMFD, GMEM_GPA,
				   size, host_mem, gmem_fd, 0);
	virt_map(vm, GMEM_GPA, GMEM_GPA, NR_PAGES);
	return vm;
}

static void run_case(const struct gmem_uffd_case *c)
{
	pthread_t readers[MAX_VCPUS], punch_thread;
	struct kvm_vcpu *vcpus[MAX_VCPUS];
	struct uffd_desc *uffd;
	struct kvm_vm *vm;
	int i, total = 0;

	cur = c;
	atomic_store(&punches, 0);
	intr_exits = 0;
	for (i = 0; i < NR_PAGES; i++)
		atomic_store(&faults[i], 0);

	vm = create_vm(vcpus, c->nr_vcpus, GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED);
	cur_vm = vm;
	guest_stop = false;
	sync_global_to_guest(vm, guest_stop);

	/*
	 * MINOR: every page is in the page cache first, with stale contents
	 * written through a second mapping; the handler writes the current
	 * contents there before it releases the page with UFFDIO_CONTINUE.
	 */
	if (c->mode == UFFDIO_REGISTER_MODE_MINOR) {
		u64 w;

		alias_mem = kvm_mmap(NR_PAGES * GMEM_PAGE_SIZE, PROT_READ | PROT_WRITE,
				     MAP_SHARED, gmem_fd);
		for (w = 0; w < NR_PAGES * GMEM_PAGE_SIZE / sizeof(u64); w++)
			alias_mem[w] = stale(w / (GMEM_PAGE_SIZE / sizeof(u64)),
					     w % (GMEM_PAGE_SIZE / sizeof(u64)));
	}

	uffd = uffd_setup_demand_paging(c->mode, 0, host_mem, NR_PAGES * GMEM_PAGE_SIZE,
					2, handle_fault);

	for (i = 0; i < c->nr_vcpus; i++) {
		/* Odd strides visit every page once per round, each vCPU its own way. */
		vcpu_args_set(vcpus[i], 5, GMEM_GPA, (u64)i * 17, (u64)(2 * i + 3) * 11,
			      (u64)c->rounds, (u64)c->zeropage);
		TEST_ASSERT(!pthread_create(&vcpu_threads[i], NULL, vcpu_thread, vcpus[i]),
			    "pthread_create");
	}
	if (c->host_readers)
		for (i = 0; i < c->nr_vcpus; i++)
			TEST_ASSERT(!pthread_create(&readers[i], NULL, host_reader,
						    (void *)(uintptr_t)(i * 13)), "pthread_create");
	if (c->punch)
		TEST_ASSERT(!pthread_create(&punch_thread, NULL, puncher, NULL),
			    "pthread_create");

	for (i = 0; i < c->nr_vcpus; i++)
		pthread_join(vcpu_threads[i], NULL);
	if (c->host_readers)
		for (i = 0; i < c->nr_vcpus; i++)
			pthread_join(readers[i], NULL);
	if (c->punch)
		pthread_join(punch_thread, NULL);

	uffd_stop_demand_paging(uffd);

	/*
	 * Every page raised a userfault: with one vCPU, no other reader and
	 * no hole punched, exactly one, from the vCPU.
	 */
	for (i = 0; i < NR_PAGES; i++) {
		int n = atomic_load(&faults[i]);

		TEST_ASSERT(n >= 1, "%s: page %d was read by the guest without a userfault",
			    c->name, i);
		TEST_ASSERT(n == 1 || c->nr_vcpus > 1 || c->host_readers || c->punch ||
			    (c->signal && i == 0),
			    "%s: page %d raised %d userfaults", c->name, i, n);
		total += n;
	}
	/* Pages punched while the guest read them faulted again. */
	TEST_ASSERT(!c->punch || total >= NR_PAGES + NR_PUNCHES / 10,
		    "%s: %d holes punched, but only %d pages faulted again", c->name,
		    atomic_load(&punches), total - NR_PAGES);
	/* The interrupted wait ended KVM_RUN once; page 0 faulted again. */
	TEST_ASSERT(!c->signal || (intr_exits == 1 && atomic_load(&faults[0]) == 2),
		    "%s: %d EINTR exits, page 0 raised %d userfaults", c->name,
		    intr_exits, atomic_load(&faults[0]));
	ksft_print_msg("%s: %d userfaults for %d pages, %d holes punched\n", c->name, total,
		       NR_PAGES, atomic_load(&punches));

	if (c->mode == UFFDIO_REGISTER_MODE_MINOR)
		kvm_munmap(alias_mem, NR_PAGES * GMEM_PAGE_SIZE);
	kvm_munmap(host_mem, NR_PAGES * GMEM_PAGE_SIZE);
	close(gmem_fd);
	kvm_vm_free(vm);
}

/*
 * UFFDIO_POISON on a missing page: the guest's access to it is not served
 * zeroes but fails KVM_RUN with EHWPOISON, a memory fault exit naming it.
 */
static void test_poison(void)
{
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_api api = { .api = UFFD_API };
	const u64 page = 5;
	struct uffdio_poison poison = {
		.range = { .len = GMEM_PAGE_SIZE },
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int uffd, r;

	vm = create_vm(&vcpu, 1, GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED);
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	TEST_ASSERT(uffd >= 0 && !ioctl(uffd, UFFDIO_API, &api), "userfaultfd");
	reg.range.start = (unsigned long)host_mem;
	reg.range.len = NR_PAGES * GMEM_PAGE_SIZE;
	TEST_ASSERT(!ioctl(uffd, UFFDIO_REGISTER, &reg), "UFFDIO_REGISTER: %s", strerror(errno));
	TEST_ASSERT(reg.ioctls & BIT_ULL(_UFFDIO_POISON), "UFFDIO_POISON not advertised");

	poison.range.start = (unsigned long)host_mem + page * GMEM_PAGE_SIZE;
	TEST_ASSERT(!ioctl(uffd, UFFDIO_POISON, &poison), "UFFDIO_POISON: %s", strerror(errno));

	/* The guest reads from page 5 on; page 5 is its first access. */
	vcpu_args_set(vcpu, 5, GMEM_GPA, page, 1ull, 1ull, 0ull);
	r = _vcpu_run(vcpu);
	TEST_ASSERT(r == -1 && errno == EHWPOISON,
		    "KVM_RUN on a poisoned page: %d (%s), expected EHWPOISON", r, strerror(errno));
	TEST_ASSERT_EQ(vcpu->run->exit_reason, KVM_EXIT_MEMORY_FAULT);
	TEST_ASSERT_EQ(vcpu->run->memory_fault.gpa, GMEM_GPA + page * GMEM_PAGE_SIZE);

	close(uffd);
	kvm_munmap(host_mem, NR_PAGES * GMEM_PAGE_SIZE);
	close(gmem_fd);
	kvm_vm_free(vm);
}

/* Refused with EINVAL: WP, and any mode without INIT_SHARED. */
static void test_register_refused(void)
{
	struct kvm_vm *vm = vm_create_barebones();
	struct uffdio_api api = { .api = UFFD_API };
	u64 flags[] = { GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED,
			GUEST_MEMFD_FLAG_MMAP };
	int i, mode, uffd;

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	TEST_ASSERT(uffd >= 0 && !ioctl(uffd, UFFDIO_API, &api), "userfaultfd");
	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		gmem_fd = vm_create_guest_memfd(vm, NR_PAGES * GMEM_PAGE_SIZE, flags[i]);
		host_mem = kvm_mmap(NR_PAGES * GMEM_PAGE_SIZE, PROT_READ | PROT_WRITE,
				    MAP_SHARED, gmem_fd);
		for (mode = 1; mode <= 7; mode++) {
			struct uffdio_register reg = {
				.range = { .start = (unsigned long)host_mem,
					   .len = NR_PAGES * GMEM_PAGE_SIZE },
				.mode = mode,
			};
			bool ok = (flags[i] & GUEST_MEMFD_FLAG_INIT_SHARED) &&
				  !(mode & UFFDIO_REGISTER_MODE_WP);
			int r = ioctl(uffd, UFFDIO_REGISTER, &reg);

			TEST_ASSERT(ok ? !r : r == -1 && errno == EINVAL,
				    "flags 0x%lx, mode %d: UFFDIO_REGISTER gave %d (%s)",
				    flags[i], mode, r, r ? strerror(errno) : "success");
			if (!r)
				TEST_ASSERT(!ioctl(uffd, UFFDIO_UNREGISTER, &reg.range),
					    "UFFDIO_UNREGISTER");
		}
		kvm_munmap(host_mem, NR_PAGES * GMEM_PAGE_SIZE);
		close(gmem_fd);
	}
	close(uffd);
	kvm_vm_free(vm);
}

static bool selected(const char *name, const char *only)
{
	return !only || !strcmp(name, only);
}

/* guest_memfd_uffd_test [CASE]: every case, or only the one named. */
static void ignore_signal(int sig)
{
}

int main(int argc, char *argv[])
{
	u64 need = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED;
	const char *only = argc > 1 ? argv[1] : NULL;
	struct sigaction sa = { .sa_handler = ignore_signal };
	int i, n = 0;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_GUEST_MEMFD));
	TEST_REQUIRE((kvm_check_cap(KVM_CAP_GUEST_MEMFD_FLAGS) & need) == need);
	TEST_REQUIRE(getpagesize() == GMEM_PAGE_SIZE);

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		n += selected(cases[i].name, only);
	n += selected("missing-poison", only) + selected("register-refused", only);
	TEST_ASSERT(n, "no case named %s", only);
	TEST_ASSERT(!sigaction(SIGUSR1, &sa, NULL), "sigaction");

	ksft_print_header();
	ksft_set_plan(n);

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (!selected(cases[i].name, only))
			continue;
		run_case(&cases[i]);
		ksft_test_result_pass("%s\n", cases[i].name);
	}
	if (selected("missing-poison", only)) {
		test_poison();
		ksft_test_result_pass("missing-poison\n");
	}
	if (selected("register-refused", only)) {
		test_register_refused();
		ksft_test_result_pass("register-refused\n");
	}

	ksft_finished();
}
