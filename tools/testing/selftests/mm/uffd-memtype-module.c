// SPDX-License-Identifier: GPL-2.0
/*
 * userfaultfd on a memory type implemented in a module ("uffd-memtype-module").
 *
 * lib/test_uffd_memtype.c (/dev/uffd_test_memtype, "testmem") and
 * samples/rust/rust_uffd_mem.rs (/dev/rust_uffd_mem, "rustmem") hand out
 * RAM-backed memory objects through UFFD_TEST_MEMTYPE_CREATE and plug into
 * userfaultfd with struct vm_uffd_ops (Documentation/mm/vm_uffd_ops.rst).
 * This test drives one of them through userfaultfd from userspace:
 *
 *  - MISSING faults resolved with UFFDIO_COPY and UFFDIO_ZEROPAGE, MINOR
 *    faults resolved with UFFDIO_CONTINUE, write protection and
 *    UFFDIO_POISON, with the data checked byte for byte through the faulted
 *    mapping ("A", registered) and through a second shared mapping of the
 *    same object ("B", never registered);
 *  - the errno of the fill ioctls and of UFFDIO_REGISTER for bad requests,
 *    as mm/userfaultfd.c and fs/userfaultfd.c return them;
 *  - munmap(), close(), fork() and process exit while faults are pending;
 *  - that objects and mappings keep the module loaded, and (with -m) that
 *    it unloads once they are gone and loads again.
 *
 * Both types admit MISSING, MINOR and WP and must behave the same, except
 * where a case says otherwise.  Objects have no read/write file
 * operations: "filling through B" means storing to mapping B.
 *
 * Usage: uffd-memtype-module [-t rustmem|testmem] [-m PATH_TO_KO]
 * The module must be loaded; -m names its .ko file, for the unload and
 * reload cases (skipped without it).  Needs root (CAP_SYS_MODULE,
 * CAP_SYS_PTRACE for UFFD_FEATURE_EVENT_FORK, kernel-mode userfaults).
 */
#include "uffd-common.h"

#include <limits.h>
#include <stdarg.h>
#include <linux/falloc.h>
#include <sys/socket.h>

#define WHY_LEN		512
/* handler poll period, and how long a userfault or a child may take */
#define POLL_MS		20
#define WAIT_MS		20000

/* ioctl bits as UFFDIO_REGISTER reports them */
#define B_WAKE		BIT_ULL(_UFFDIO_WAKE)
#define B_COPY		BIT_ULL(_UFFDIO_COPY)
#define B_ZEROPAGE	BIT_ULL(_UFFDIO_ZEROPAGE)
#define B_WP		BIT_ULL(_UFFDIO_WRITEPROTECT)
#define B_CONTINUE	BIT_ULL(_UFFDIO_CONTINUE)
#define B_POISON	BIT_ULL(_UFFDIO_POISON)

#define M_MISSING	UFFDIO_REGISTER_MODE_MISSING
#define M_WP		UFFDIO_REGISTER_MODE_WP
#define M_MINOR		UFFDIO_REGISTER_MODE_MINOR

#define F_WRITE		UFFD_PAGEFAULT_FLAG_WRITE
#define F_WP		UFFD_PAGEFAULT_FLAG_WP
#define F_MINOR		UFFD_PAGEFAULT_FLAG_MINOR

static const struct memtype {
	const char *name;	/* -t */
	const char *dev;
	const char *module;	/* for delete_module() and /sys/module */
	/*
	 * UFFDIO_CONTINUE past the end of the object: mfill passes on the
	 * error of the type's ->get_folio_noalloc(), turning only "no folio"
	 * (-ENOENT) into EFAULT.  rustmem, like shmem, refuses an index
	 * beyond the end with EINVAL; testmem looks it up in the page cache,
	 * finds nothing and gets EFAULT.
	 */
	int cont_past_end_err;
	/*
	 * The Rust sample's objects count the pages inserted into them, in
	 * its UffdOps::inserted(), and answer RUST_UFFD_MEM_INSERTED with the
	 * count, in its UffdOps::ioctl(); testmem's objects have no ioctls.
	 */
	bool counts_inserted;
} memtypes[] = {
	{ "rustmem", RUST_UFFD_MEM_DEV, "rust_uffd_mem", EINVAL, true },
	{ "testmem", UFFD_TEST_MEMTYPE_DEV, "test_uffd_memtype", EFAULT, false },
};

/* samples/rust/rust_uffd_mem.rs, on an object fd */
#define RUST_UFFD_MEM_INSERTED	_IO('u', 0x81)

static const struct memtype *mt;
static const char *ko_path;
static size_t ps;
static __u64 avail_features;
/* set by the registration case: what this type offers */
static bool wp_ok = true;
static bool poison_ok = true;
/* set by the unload case, for the reload case */
static bool unloaded;

/* Why the current case failed or was skipped. */
static char why[WHY_LEN];
static pthread_mutex_t why_lock = PTHREAD_MUTEX_INITIALIZER;

static void set_why(const char *fmt, va_list ap)
{
	pthread_mutex_lock(&why_lock);
	vsnprintf(why, sizeof(why), fmt, ap);
	pthread_mutex_unlock(&why_lock);
}

/* Record why the current case failed; returns false. */
static __printf(1, 2) bool failf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_why(fmt, ap);
	va_end(ap);
	return false;
}

/* Record why the current case cannot run; returns KSFT_SKIP. */
static __printf(1, 2) int skipf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_why(fmt, ap);
	va_end(ap);
	return KSFT_SKIP;
}

/* ------------------------------------------------------------------ */
/* Data                                                                 */
/* ------------------------------------------------------------------ */

/* A byte pattern that differs per page and per seed, never zero. */
static void pattern(char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (char)((i * 7 + seed * 61) % 255 + 1);
}

static bool check_bytes(const char *got, const char *want, size_t len,
			const char *what)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (got[i] != want[i])
			return failf("%s: page %zu byte %zu is %#x, expected %#x",
				     what, i / ps, i % ps,
				     (unsigned char)got[i],
				     (unsigned char)want[i]);
	}
	return true;
}

static bool check_fill(const char *got, int val, size_t len, const char *what)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (got[i] != (char)val)
			return failf("%s: page %zu byte %zu is %#x, expected %#x",
				     what, i / ps, i % ps,
				     (unsigned char)got[i], (unsigned char)val);
	}
	return true;
}

/*
 * Each page of @got: its first @head bytes are @val, the rest is the same
 * page of @want.
 */
static bool check_head(const char *got, int val, size_t head,
		       const char *want, size_t npages, const char *what)
{
	size_t i;

	for (i = 0; i < npages; i++) {
		if (!check_fill(got + i * ps, val, head, what) ||
		    !check_bytes(got + i * ps + head, want + i * ps + head,
				 ps - head, what))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Touching memory: SIGBUS is caught per thread                         */
/* ------------------------------------------------------------------ */

struct bus_trap {
	sigjmp_buf jb;
};

static __thread struct bus_trap *tl_trap;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	if (!tl_trap) {
		/* not expected here: die of it */
		signal(SIGBUS, SIG_DFL);
		raise(SIGBUS);
		return;
	}
	siglongjmp(tl_trap->jb, 1);
}

/*
 * Write @val to the first @wlen bytes of @p, or if @wlen is 0 copy the
 * page at @p to @out.  Returns true on SIGBUS.
 */
static bool touch(char *p, size_t wlen, int val, char *out)
{
	struct bus_trap trap;

	if (sigsetjmp(trap.jb, 1)) {
		tl_trap = NULL;
		return true;
	}
	tl_trap = &trap;
	if (wlen)
		memset(p, val, wlen);
	else
		memcpy(out, p, ps);
	tl_trap = NULL;
	return false;
}

/* ------------------------------------------------------------------ */
/* Memory objects                                                       */
/* ------------------------------------------------------------------ */

/* A new object of @size bytes: its fd, or -errno. */
static int obj_create(__u64 size)
{
	int dev, fd, err;

	dev = open(mt->dev, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	fd = ioctl(dev, UFFD_TEST_MEMTYPE_CREATE, size);
	err = errno;
	close(dev);
	return fd < 0 ? -err : fd;
}

static char *map_obj(int fd, size_t npages, int flags)
{
	char *p = mmap(NULL, npages * ps, PROT_READ | PROT_WRITE, flags, fd, 0);

	if (p == MAP_FAILED) {
		failf("setup: mmap of %zu pages: %s", npages, strerror(errno));
		return NULL;
	}
	return p;
}

/* ------------------------------------------------------------------ */
/* userfaultfd                                                          */
/* ------------------------------------------------------------------ */

/* Not UFFD_USER_MODE_ONLY: one case faults from a syscall. */
static int uffd_new(__u64 features)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	int fd = uffd_open(O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		failf("setup: userfaultfd: %s", strerror(errno));
		return -1;
	}
	if (ioctl(fd, UFFDIO_API, &api)) {
		failf("setup: UFFDIO_API(%#llx): %s", features,
		      uffd_errname(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * An ioctl's errno and output field (if @out) against what is expected.
 * @out is read here, after the call in the argument list has been made.
 */
static bool expect(const char *what, int err, int experr, const __s64 *out,
		   __s64 expout)
{
	if (err != experr)
		return failf("%s returned %s, expected %s", what,
			     uffd_errname(err), uffd_errname(experr));
	if (out && *out != expout)
		return failf("%s output field %lld, expected %lld", what,
			     (long long)*out, (long long)expout);
	return true;
}

/* ------------------------------------------------------------------ */
/* Fixture: an object, mapping A (registered) and mapping B             */
/* ------------------------------------------------------------------ */

struct fx {
	int fd;			/* the object, -1 once closed */
	size_t npg;		/* pages in the object */
	size_t apg;		/* pages mapped at A, may go past the end */
	char *a;		/* mapping A, registered with uffd */
	char *b;		/* MAP_SHARED mapping B of the whole object */
	int uffd;
	__u64 ioctls;		/* as UFFDIO_REGISTER returned them */
	char *src;		/* apg pages of pattern 1: the COPY source */
	char *out;		/* apg pages: what a faulting thread read */
};

static void fx_fini(struct fx *f)
{
	/* first: an unread UNMAP event would block munmap() */
	if (f->uffd >= 0)
		close(f->uffd);
	if (f->a)
		munmap(f->a, f->apg * ps);
	if (f->b)
		munmap(f->b, f->npg * ps);
	if (f->fd >= 0)
		close(f->fd);
	free(f->src);
	free(f->out);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->uffd = -1;
}

/*
 * An object of @npg pages, mapped at A (@apg pages, MAP_SHARED or
 * @a_flags) and at B, a userfaultfd with @features, and A registered in
 * @mode (unless it is 0).
 */
static bool fx_init(struct fx *f, size_t npg, size_t apg, int a_flags,
		    __u64 features, __u64 mode)
{
	int err;

	memset(f, 0, sizeof(*f));
	f->uffd = -1;
	f->npg = npg;
	f->apg = apg;
	f->fd = obj_create(npg * ps);
	if (f->fd < 0) {
		failf("setup: create: %s", uffd_errname(-f->fd));
		f->fd = -1;
		return false;
	}
	f->a = map_obj(f->fd, apg, a_flags);
	if (!f->a)
		return false;
	f->b = map_obj(f->fd, npg, MAP_SHARED);
	if (!f->b)
		return false;
	f->src = malloc(apg * ps);
	f->out = calloc(apg, ps);
	if (!f->src || !f->out)
		return failf("setup: malloc");
	pattern(f->src, apg * ps, 1);
	f->uffd = uffd_new(features);
	if (f->uffd < 0)
		return false;
	if (mode) {
		err = uffd_register_range(f->uffd, f->a, apg * ps, mode,
					  &f->ioctls);
		if (err)
			return failf("setup: UFFDIO_REGISTER mode %#llx: %s",
				     mode, uffd_errname(err));
	}
	return true;
}

/* Fail unless the registration offered every ioctl in @need. */
static bool fx_has(struct fx *f, __u64 need)
{
	if ((f->ioctls & need) != need)
		return failf("UFFDIO_REGISTER offered ioctls %#llx, without %#llx",
			     f->ioctls, need & ~f->ioctls);
	return true;
}

/* Register all of A in @mode and require the ioctls in @need. */
static bool fx_register(struct fx *f, __u64 mode, __u64 need)
{
	int err = uffd_register_range(f->uffd, f->a, f->apg * ps, mode,
				      &f->ioctls);

	if (err)
		return failf("UFFDIO_REGISTER mode %#llx: %s", mode,
			     uffd_errname(err));
	return fx_has(f, need);
}

/*
 * Fill the object through B with pattern @seed, and the COPY source with
 * the same (what A must read), then fx_register().
 */
static bool fx_fill_register(struct fx *f, unsigned int seed, __u64 mode,
			     __u64 need)
{
	pattern(f->b, f->npg * ps, seed);
	pattern(f->src, f->apg * ps, seed);
	return fx_register(f, mode, need);
}

/* ------------------------------------------------------------------ */
/* Jobs: a thread faults on pages, a handler thread resolves            */
/* ------------------------------------------------------------------ */

enum res {
	RES_NONE,	/* no userfault expected */
	RES_COPY,
	RES_ZERO,
	RES_CONTINUE,
	RES_AUTO,	/* CONTINUE for MINOR faults, COPY otherwise */
	RES_WP,		/* clear write protection */
};

struct job {
	struct fx *f;
	int uffd;
	char *area;		/* first page touched */
	size_t npages;		/* pages touched, in order */
	size_t wlen;		/* bytes written per page; 0: read the page */
	int wval;
	char *out;		/* where pages read are copied */
	enum res res;
	const char *src;	/* COPY source for page i: src + i * ps */
	int nexpect;		/* userfaults expected */
	__u64 want, deny;	/* flags every userfault must have / lack */
	long want_bus;		/* page where SIGBUS is expected, -1: none */
	char *reg;		/* registered range to unregister if stuck */
	size_t reglen;
	bool (*on_event)(struct job *j, size_t idx, __u64 flags);
	/* results */
	int nevents;
	long bus_page;
	bool failed;
	bool unblocked;
	bool done;
};

static void job_init(struct job *j, struct fx *f, char *area, size_t npages)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->uffd = f->uffd;
	j->area = area;
	j->npages = npages;
	j->out = f->out;
	j->src = f->src;
	j->want_bus = -1;
	j->reg = f->a;
	j->reglen = f->apg * ps;
}

/*
 * The userfaults a job must see: @n of them, each with every flag of
 * @want and none of @deny, resolved by @res.
 */
static void job_expect(struct job *j, int n, enum res res, __u64 want,
		       __u64 deny)
{
	j->nexpect = n;
	j->res = res;
	j->want = want;
	j->deny = deny;
}

/* Write @wlen bytes of @wval to each page touched, instead of reading it. */
static void job_write(struct job *j, size_t wlen, int wval)
{
	j->wlen = wlen;
	j->wval = wval;
}

static __printf(2, 3) void job_fail(struct job *j, const char *fmt, ...)
{
	va_list ap;

	if (j->failed)
		return;
	j->failed = true;
	va_start(ap, fmt);
	set_why(fmt, ap);
	va_end(ap);
}

/* Let a faulting thread go: unregistering wakes its userfaults. */
static void job_unblock(struct job *j)
{
	if (j->unblocked)
		return;
	j->unblocked = true;
	uffd_unregister_range(j->uffd, j->reg, j->reglen);
}

static void *job_faulter(void *arg)
{
	struct job *j = arg;
	size_t i;

	j->bus_page = -1;
	for (i = 0; i < j->npages; i++) {
		if (touch(j->area + i * ps, j->wlen, j->wval,
			  j->out + i * ps)) {
			j->bus_page = i;
			break;
		}
	}
	__atomic_store_n(&j->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void job_resolve(struct job *j, size_t idx, __u64 flags)
{
	char *page = j->area + idx * ps;
	enum res res = j->res;
	const char *what;
	__s64 out;
	int err;

	if (res == RES_AUTO)
		res = (flags & F_MINOR) ? RES_CONTINUE : RES_COPY;
	switch (res) {
	case RES_COPY:
		what = "COPY";
		err = uffd_copy(j->uffd, page, j->src + idx * ps, ps, 0, &out);
		break;
	case RES_ZERO:
		what = "ZEROPAGE";
		err = uffd_zeropage(j->uffd, page, ps, 0, &out);
		break;
	case RES_CONTINUE:
		what = "CONTINUE";
		err = uffd_continue(j->uffd, page, ps, 0, &out);
		break;
	case RES_WP:
		what = "WRITEPROTECT(clear)";
		err = uffd_writeprotect_range(j->uffd, page, ps, false);
		out = ps;
		break;
	default:
		job_unblock(j);
		return;
	}
	if (err || out != (__s64)ps) {
		job_fail(j, "resolving page %zu: %s returned %s, output %lld",
			 idx, what, uffd_errname(err), (long long)out);
		job_unblock(j);
	}
}

static void job_event(struct job *j, struct uffd_msg *msg)
{
	unsigned long addr, area = (unsigned long)j->area;
	__u64 flags;
	size_t idx;

	if (msg->event != UFFD_EVENT_PAGEFAULT) {
		job_fail(j, "unexpected event %u", msg->event);
		return;
	}
	addr = msg->arg.pagefault.address;
	flags = msg->arg.pagefault.flags;
	if (addr < area || addr >= area + j->npages * ps) {
		job_fail(j, "userfault at %#lx, outside the %zu pages at %#lx",
			 addr, j->npages, area);
		job_unblock(j);
		return;
	}
	idx = (addr - area) / ps;
	if (++j->nevents > j->nexpect) {
		job_fail(j, "unexpected userfault #%d on page %zu, flags %#llx",
			 j->nevents, idx, flags);
		job_unblock(j);
		return;
	}
	if ((flags & j->want) != j->want || (flags & j->deny))
		job_fail(j, "userfault on page %zu: flags %#llx, must have %#llx and not %#llx",
			 idx, flags, j->want, j->deny);
	if (!j->failed && j->on_event && !j->on_event(j, idx, flags))
		j->failed = true;
	job_resolve(j, idx, flags);
}

static void *job_handler(void *arg)
{
	struct job *j = arg;
	struct pollfd pfd = { .fd = j->uffd, .events = POLLIN };
	struct uffd_msg msg;
	long waited = 0;
	ssize_t n;
	int r;

	for (;;) {
		r = poll(&pfd, 1, POLL_MS);
		if (r > 0) {
			n = read(j->uffd, &msg, sizeof(msg));
			if (n < 0 && errno == EAGAIN)
				continue;
			if (n != sizeof(msg)) {
				job_fail(j, "read(uffd): %zd, %s", n,
					 strerror(errno));
				job_unblock(j);
				continue;
			}
			job_event(j, &msg);
			continue;
		}
		if (__atomic_load_n(&j->done, __ATOMIC_ACQUIRE))
			break;
		waited += POLL_MS;
		if (waited > WAIT_MS && !j->unblocked) {
			job_fail(j, "faulting thread still blocked after %d ms, %d userfaults seen",
				 WAIT_MS, j->nevents);
			job_unblock(j);
		}
	}
	return NULL;
}

/* Run the job; true if every userfault and SIGBUS was as expected. */
static bool job_run(struct job *j)
{
	pthread_t ft, ht;

	if (pthread_create(&ht, NULL, job_handler, j))
		return failf("setup: pthread_create");
	if (pthread_create(&ft, NULL, job_faulter, j)) {
		__atomic_store_n(&j->done, true, __ATOMIC_RELEASE);
		pthread_join(ht, NULL);
		return failf("setup: pthread_create");
	}
	pthread_join(ft, NULL);
	pthread_join(ht, NULL);
	if (j->failed)
		return false;
	if (j->nevents != j->nexpect)
		return failf("%d userfaults, expected %d", j->nevents,
			     j->nexpect);
	if (j->bus_page != j->want_bus)
		return failf("SIGBUS on page %ld, expected %ld (-1: none)",
			     j->bus_page, j->want_bus);
	return true;
}

/* Read @npages at @area with no userfault expected. */
static bool read_no_uffd(struct fx *f, char *area, size_t npages)
{
	struct job j;

	job_init(&j, f, area, npages);
	return job_run(&j);
}

/* Wait up to WAIT_MS for one message on @uffd. */
static bool wait_msg(int uffd, struct uffd_msg *msg)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	int r = poll(&pfd, 1, WAIT_MS);

	if (r <= 0)
		return failf("no userfaultfd message within %d ms", WAIT_MS);
	if (read(uffd, msg, sizeof(*msg)) != sizeof(*msg))
		return failf("read(uffd): %s", strerror(errno));
	return true;
}

/* ------------------------------------------------------------------ */
/* Cases: the objects                                                   */
/* ------------------------------------------------------------------ */

static int case_create_size(void)
{
	__u64 max = LLONG_MAX & ~(__u64)(ps - 1);
	const struct {
		__u64 size;
		int err;
		__u64 st_size;
	} t[] = {
		{ 0,			EINVAL },
		{ max + 1,		EINVAL },
		{ 1ULL << 63,		EINVAL },
		{ ~0ULL,		EINVAL },
		{ max,			0,	max },
		{ max - ps + 1,		0,	max },
	};
	struct stat st;
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		fd = obj_create(t[i].size);
		if (fd < 0 ? -fd != t[i].err : t[i].err) {
			if (fd >= 0)
				close(fd);
			failf("create(%#llx) returned %s, expected %s",
			      t[i].size, uffd_errname(fd < 0 ? -fd : 0),
			      uffd_errname(t[i].err));
			return KSFT_FAIL;
		}
		if (fd < 0)
			continue;
		if (fstat(fd, &st) || (__u64)st.st_size != t[i].st_size) {
			failf("create(%#llx): st_size %#llx, expected %#llx",
			      t[i].size, (unsigned long long)st.st_size,
			      t[i].st_size);
			close(fd);
			return KSFT_FAIL;
		}
		close(fd);
	}
	return KSFT_PASS;
}

static int case_ioctl_enotty(void)
{
	int dev, fd = -1, ret = KSFT_FAIL;

	dev = open(mt->dev, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		failf("open %s: %s", mt->dev, strerror(errno));
		return KSFT_FAIL;
	}
	if (!expect("device ioctl _IO('u', 0x81)",
		    ioctl(dev, _IO('u', 0x81), 0) ? errno : 0,
		    ENOTTY, NULL, 0) ||
	    !expect("device ioctl _IOW('u', 0x80, __u32)",
		    ioctl(dev, _IOW('u', 0x80, __u32), ps) ? errno : 0,
		    ENOTTY, NULL, 0))
		goto out;
	fd = ioctl(dev, UFFD_TEST_MEMTYPE_CREATE, (__u64)ps);
	if (fd < 0) {
		failf("create: %s", uffd_errname(errno));
		goto out;
	}
	/* objects have no ioctls */
	if (!expect("CREATE on an object fd",
		    ioctl(fd, UFFD_TEST_MEMTYPE_CREATE, (__u64)ps) ? errno : 0,
		    ENOTTY, NULL, 0))
		goto out;
	ret = KSFT_PASS;
out:
	if (fd >= 0)
		close(fd);
	close(dev);
	return ret;
}

static int case_object_fd(void)
{
	int fd, ret = KSFT_FAIL;
	struct stat st;
	char buf[16] = "x";

	fd = obj_create(3 * ps - 5);
	if (fd < 0) {
		failf("create: %s", uffd_errname(-fd));
		return KSFT_FAIL;
	}
	/*
	 * The types make the inode S_IFREG, for fallocate() (vfs_fallocate()
	 * wants a regular file), but anon_inode_getattr() masks the format
	 * bits off st_mode.
	 */
	if (fstat(fd, &st) || (size_t)st.st_size != 3 * ps ||
	    (st.st_mode & S_IFMT)) {
		failf("st_size %lld (expected %zu), st_mode %#o (expected no S_IFMT bits)",
		      (long long)st.st_size, 3 * ps, st.st_mode);
		goto out;
	}
	if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC)) {
		failf("the object fd is not close-on-exec");
		goto out;
	}
	if (!expect("read() on the object", read(fd, buf, 1) < 0 ? errno : 0,
		    EINVAL, NULL, 0) ||
	    !expect("write() on the object",
		    write(fd, buf, 1) < 0 ? errno : 0, EINVAL, NULL, 0) ||
	    !expect("fallocate(mode 0)",
		    fallocate(fd, 0, 0, ps) ? errno : 0, EOPNOTSUPP, NULL, 0) ||
	    !expect("fallocate(PUNCH_HOLE|KEEP_SIZE)",
		    fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      0, ps) ? errno : 0, 0, NULL, 0) ||
	    /* anon_inode_setattr(): the size is the one it was created with */
	    !expect("ftruncate() of the object",
		    ftruncate(fd, ps) ? errno : 0, EOPNOTSUPP, NULL, 0))
		goto out;
	ret = KSFT_PASS;
out:
	close(fd);
	return ret;
}

static bool expect_inserted(struct fx *f, long want)
{
	long n = ioctl(f->fd, RUST_UFFD_MEM_INSERTED);

	if (n < 0)
		return failf("RUST_UFFD_MEM_INSERTED on the object: %s",
			     uffd_errname(errno));
	if (n != want)
		return failf("%ld pages inserted, expected %ld", n, want);
	return true;
}

/*
 * An ioctl() on an object fd reaches the memory type's own handler, whose
 * data is the object's: rustmem counts a COPY, a plain fault through B,
 * and a COPY again after a hole was punched.
 */
static int case_object_ioctl(void)
{
	int ret = KSFT_FAIL;
	struct fx f;
	__s64 out;

	if (!fx_init(&f, 2, 2, MAP_SHARED, 0, M_MISSING) ||
	    !fx_has(&f, B_COPY))
		goto out;
	if (!mt->counts_inserted) {
		if (expect("RUST_UFFD_MEM_INSERTED on an object",
			   ioctl(f.fd, RUST_UFFD_MEM_INSERTED) < 0 ? errno : 0,
			   ENOTTY, NULL, 0))
			ret = KSFT_PASS;
		goto out;
	}
	if (!expect_inserted(&f, 0) ||
	    !expect("COPY of page 0",
		    uffd_copy(f.uffd, f.a, f.src, ps, 0, &out), 0, &out, ps) ||
	    !expect_inserted(&f, 1))
		goto out;
	f.b[ps] = 'b';
	if (!expect_inserted(&f, 2))
		goto out;
	if (fallocate(f.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
		      ps)) {
		failf("punching page 0: %s", strerror(errno));
		goto out;
	}
	if (!expect("COPY of page 0 after the hole",
		    uffd_copy(f.uffd, f.a, f.src, ps, 0, &out), 0, &out, ps) ||
	    !expect_inserted(&f, 3))
		goto out;
	ret = KSFT_PASS;
out:
	fx_fini(&f);
	return ret;
}

/* No userfaultfd yet: the memory type on its own. */
static int case_plain_mappings(void)
{
	int ret = KSFT_FAIL;
	char *p = NULL;
	struct fx f;

	if (!fx_init(&f, 3, 4, MAP_SHARED, 0, 0))
		goto out;
	p = map_obj(f.fd, 3, MAP_PRIVATE);
	if (!p)
		goto out;
	/* zero-filled on first touch, through either mapping */
	if (!check_fill(f.a, 0, 2 * ps, "A after first touch") ||
	    !check_fill(f.b + 2 * ps, 0, ps, "B after first touch"))
		goto out;
	memset(f.a, 'a', ps);
	memset(f.b + ps, 'b', ps);
	if (!check_fill(f.b, 'a', ps, "B after writing A") ||
	    !check_fill(f.a + ps, 'b', ps, "A after writing B"))
		goto out;
	/* a private mapping reads the object until it writes */
	if (!check_fill(p, 'a', ps, "private mapping"))
		goto out;
	memset(p, 'p', ps);
	if (!check_fill(f.b, 'a', ps, "B after writing the private mapping") ||
	    !check_fill(p, 'p', ps, "private mapping after writing it"))
		goto out;
	/* A maps 4 pages of a 3 page object */
	if (!touch(f.a + 3 * ps, 0, 0, f.out)) {
		failf("no SIGBUS reading past the end of the object");
		goto out;
	}
	if (!touch(f.a + 3 * ps, 1, 'x', NULL)) {
		failf("no SIGBUS writing past the end of the object");
		goto out;
	}
	ret = KSFT_PASS;
out:
	if (p)
		munmap(p, 3 * ps);
	fx_fini(&f);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Cases: registration                                                  */
/* ------------------------------------------------------------------ */

/*
 * vma_uffd_ioctls(): a type with MISSING offers COPY and ZEROPAGE (a
 * private mapping gets them anyway, filled with anonymous pages), MINOR
 * CONTINUE; POISON and WAKE always; WRITEPROTECT only when registered for
 * WP and CONTINUE only for MINOR; never MOVE (anonymous memory only).
 */
static int case_register_ioctls(void)
{
	const __u64 base = B_WAKE | B_COPY | B_ZEROPAGE | B_POISON;
	const struct {
		int flags;
		__u64 mode;
	} t[] = {
		{ MAP_SHARED,	M_MISSING },
		{ MAP_SHARED,	M_WP },
		{ MAP_SHARED,	M_MINOR },
		{ MAP_SHARED,	M_MISSING | M_MINOR | M_WP },
		{ MAP_PRIVATE,	M_MISSING },
		{ MAP_PRIVATE,	M_MINOR },
	};
	__u64 exp, ioctls;
	unsigned int i;
	struct fx f;
	int err;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		if (!fx_init(&f, 1, 1, t[i].flags, 0, 0)) {
			fx_fini(&f);
			return KSFT_FAIL;
		}
		ioctls = 0;
		err = uffd_register_range(f.uffd, f.a, ps, t[i].mode, &ioctls);
		fx_fini(&f);
		exp = base | ((t[i].mode & M_WP) ? B_WP : 0) |
		      ((t[i].mode & M_MINOR) ? B_CONTINUE : 0);
		/*
		 * Without PTE markers core mm refuses WP on file memory
		 * with EINVAL (vma_can_userfault()): then skip WP cases.
		 */
		if ((t[i].mode & M_WP) && err == EINVAL) {
			ksft_print_msg("%s: WP refused with EINVAL, WP cases will be skipped\n",
				       mt->name);
			wp_ok = false;
			continue;
		}
		if (err) {
			failf("%s mode %#llx: UFFDIO_REGISTER returned %s",
			      t[i].flags == MAP_SHARED ? "shared" : "private",
			      t[i].mode, uffd_errname(err));
			return KSFT_FAIL;
		}
		if (!(ioctls & B_POISON))
			poison_ok = false;
		if (ioctls != exp) {
			failf("%s mode %#llx: ioctls %#llx, expected %#llx",
			      t[i].flags == MAP_SHARED ? "shared" : "private",
			      t[i].mode, ioctls, exp);
			return KSFT_FAIL;
		}
	}
	return KSFT_PASS;
}

/*
 * Both types admit every mode, so a refused mode is one no type admits (0,
 * unknown bits), or a range with another memory type that refuses it:
 * anonymous memory refuses MINOR, and the failed registration leaves
 * both VMAs alone.
 */
static int case_register_refused(void)
{
	char *res = MAP_FAILED, *anon, *mem;
	int fd = -1, uffd = -1, ret = KSFT_FAIL;
	__u64 ioctls = 0;
	__s64 out;
	char *src;

	src = malloc(ps);
	if (!src) {
		failf("setup: malloc");
		return KSFT_FAIL;
	}
	pattern(src, ps, 1);
	fd = obj_create(ps);
	uffd = uffd_new(0);
	res = mmap(NULL, 2 * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fd < 0 || uffd < 0 || res == MAP_FAILED) {
		failf("setup: create, userfaultfd or mmap failed");
		goto out;
	}
	anon = res;
	mem = res + ps;
	if (mmap(anon, ps, PROT_READ | PROT_WRITE,
		 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ||
	    mmap(mem, ps, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_SHARED,
		 fd, 0) == MAP_FAILED) {
		failf("setup: mmap: %s", strerror(errno));
		goto out;
	}
	if (!expect("REGISTER mode 0",
		    uffd_register_range(uffd, mem, ps, 0, NULL),
		    EINVAL, NULL, 0) ||
	    !expect("REGISTER mode 1 << 3",
		    uffd_register_range(uffd, mem, ps, 1ULL << 3, NULL),
		    EINVAL, NULL, 0) ||
	    !expect("REGISTER mode MISSING | 1 << 63",
		    uffd_register_range(uffd, mem, ps, M_MISSING | 1ULL << 63,
					NULL), EINVAL, NULL, 0) ||
	    !expect("REGISTER MINOR over anon-private + object",
		    uffd_register_range(uffd, anon, 2 * ps, M_MINOR, NULL),
		    EINVAL, NULL, 0))
		goto out;
	if (!expect("COPY after the refused registration",
		    uffd_copy(uffd, mem, src, ps, 0, &out),
		    ENOENT, &out, -ENOENT))
		goto out;
	/* what both types offer: no MOVE, no CONTINUE */
	if (!expect("REGISTER MISSING over anon-private + object",
		    uffd_register_range(uffd, anon, 2 * ps, M_MISSING, &ioctls),
		    0, NULL, 0))
		goto out;
	if (ioctls != (B_WAKE | B_COPY | B_ZEROPAGE | B_POISON)) {
		failf("anon-private + object MISSING: ioctls %#llx, expected %#llx",
		      ioctls, B_WAKE | B_COPY | B_ZEROPAGE | B_POISON);
		goto out;
	}
	if (!expect("COPY into the object part",
		    uffd_copy(uffd, mem, src, ps, 0, &out), 0, &out, ps) ||
	    !check_bytes(mem, src, ps, "object page after COPY"))
		goto out;
	ret = KSFT_PASS;
out:
	if (res != MAP_FAILED)
		munmap(res, 2 * ps);
	if (uffd >= 0)
		close(uffd);
	if (fd >= 0)
		close(fd);
	free(src);
	return ret;
}

static int case_register_ebusy(void)
{
	int u2 = -1, ret = KSFT_FAIL;
	struct fx f;

	if (!fx_init(&f, 2, 2, MAP_SHARED, 0, M_MISSING))
		goto out;
	u2 = uffd_new(0);
	if (u2 < 0)
		goto out;
	if (!expect("REGISTER by a second userfaultfd",
		    uffd_register_range(u2, f.a, 2 * ps, M_MISSING, NULL),
		    EBUSY, NULL, 0) ||
	    !expect("REGISTER MINOR by the same userfaultfd",
		    uffd_register_range(f.uffd, f.a, 2 * ps,
					M_MISSING | M_MINOR, NULL), 0, NULL, 0))
		goto out;
	ret = KSFT_PASS;
out:
	if (u2 >= 0)
		close(u2);
	fx_fini(&f);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Cases: MISSING                                                       */
/* ------------------------------------------------------------------ */

#define NPG	4

/*
 * The cases that share one shape, fault -> resolve -> check: a thread
 * reads or writes each page of A, each access raises one userfault of the
 * registered mode with the flags of the access, the handler resolves it
 * with one ioctl, and the data must then be the same in what the thread
 * read, through A and through B.  For MISSING the object starts empty;
 * for MINOR its pages are written through B first.
 */
static const struct fault_case {
	const char *name;
	__u64 mode;		/* M_MISSING or M_MINOR */
	enum res res;		/* RES_COPY, RES_ZERO or RES_CONTINUE */
	int wval;		/* 0: read faults; else written over the first half */
} fault_cases[] = {
	{ "MISSING read faults on A resolved by COPY, data through A and B",
	  M_MISSING, RES_COPY, 0 },
	{ "MISSING write faults on A resolved by COPY, data through A and B",
	  M_MISSING, RES_COPY, 'w' },
	{ "MISSING faults resolved by ZEROPAGE: zeroes, a real object page",
	  M_MISSING, RES_ZERO, 0 },
	{ "MINOR read faults on A resolved by CONTINUE show B's data",
	  M_MINOR, RES_CONTINUE, 0 },
	{ "MINOR write faults resolved by CONTINUE, write seen through B",
	  M_MINOR, RES_CONTINUE, 'm' },
};

static bool fault_case_data(const struct fault_case *c, struct fx *f)
{
	size_t len = NPG * ps;

	if (c->wval)
		/* the write lands on the resolved page: half written, half not */
		return check_head(f->b, c->wval, ps / 2, f->src, NPG, "B") &&
		       check_head(f->a, c->wval, ps / 2, f->src, NPG, "A");
	if (c->res != RES_ZERO)
		return check_bytes(f->out, f->src, len,
				   "read by the faulting thread") &&
		       check_bytes(f->a, f->src, len, "A") &&
		       check_bytes(f->b, f->src, len, "B");
	if (!check_fill(f->out, 0, len, "read by the faulting thread") ||
	    !check_fill(f->b, 0, len, "B"))
		return false;
	/* a page of the object, not the shared zero page */
	memset(f->b, 'z', len);
	return check_fill(f->a, 'z', len, "A after writing B");
}

static int run_fault_case(const struct fault_case *c)
{
	__u64 flags = (c->mode == M_MINOR ? F_MINOR : 0) |
		      (c->wval ? F_WRITE : 0);
	int ret = KSFT_FAIL;
	struct fx f;
	struct job j;

	if (c->mode == M_MINOR) {
		if (!fx_init(&f, NPG, NPG, MAP_SHARED, 0, 0) ||
		    !fx_fill_register(&f, 5, M_MINOR, B_CONTINUE))
			goto out;
	} else if (!fx_init(&f, NPG, NPG, MAP_SHARED, 0, M_MISSING) ||
		   !fx_has(&f, c->res == RES_ZERO ? B_ZEROPAGE : B_COPY)) {
		goto out;
	}
	/* nothing the thread read may be left from before */
	memset(f.out, 0xff, NPG * ps);
	job_init(&j, &f, f.a, NPG);
	job_expect(&j, NPG, c->res, flags, (F_WRITE | F_WP | F_MINOR) & ~flags);
	if (c->wval)
		job_write(&j, ps / 2, c->wval);
	if (!job_run(&j) || !fault_case_data(c, &f))
		goto out;
	ret = KSFT_PASS;
out:
	fx_fini(&f);
	return ret;
}

static int case_missing_filled_through_b(void)
{
	int ret = KSFT_FAIL;
	struct fx f;

	if (!fx_init(&f, NPG, NPG, MAP_SHARED, 0, 0))
		goto out;
	if (!fx_fill_register(&f, 2, M_MISSING, 0))
		goto out;
	/* the pages are in the object: no MISSING userfault */
	if (!read_no_uffd(&f, f.a, NPG) ||
	    !check_bytes(f.out, f.b, NPG * ps, "A"))
		goto out;
	ret = KSFT_PASS;
out:
	fx_fini(&f);
	return ret;
}

static bool mixed_event(struct job *j, size_t idx, __u64 flags)
{
	if (!(idx & 1) != !!(flags & F_MINOR))
		return failf("page %zu (%s): userfault flags %#llx", idx,
			     idx & 1 ? "hole" : "in the object", flags);
	return true;
}

static int case_missing_minor_mixed(void)
{
	int ret = KSFT_FAIL;
	char *want = NULL;
	struct fx f;
	struct job j;
	size_t i;

	if (!fx_init(&f, NPG, NPG, MAP_SHARED, 0, 0))
		goto out;
	want = malloc(NPG * ps);
	if (!want) {
		failf("setup: malloc");
		goto out;
	}
	/* even pages written through B, odd pages holes filled by COPY */
	memcpy(want, f.src, NPG * ps);
	for (i = 0; i < NPG; i += 2) {
		pattern(f.b + i * ps, ps, 3);
		pattern(want + i * ps, ps, 3);
	}
	if (!fx_register(&f, M_MISSING | M_MINOR, B_COPY | B_CONTINUE))
		goto out;
	job_init(&j, &f, f.a, NPG);
	job_expect(&j, NPG, RES_AUTO, 0, F_WRITE | F_WP);
	j.on_event = mixed_event;
	if (!job_run(&j) ||
	    !check_bytes(f.out, want, NPG * ps, "read by the faulting thread") ||
	    !check_bytes(f.b, want, NPG * ps, "B"))
		goto out;
	ret = KSFT_PASS;
out:
	free(want);
	fx_fini(&f);
	return ret;
}

/* fallocate(PUNCH_HOLE) takes pages out: MISSING userfaults again */
static int case_missing_after_punch(void)
{
	int ret = KSFT_FAIL;
	char *src2 = NULL;
	struct fx f;
	struct job j;
	__s64 out;

	if (!fx_init(&f, 2, 2, MAP_SHARED, 0, M_MISSING) ||
	    !fx_has(&f, B_COPY))
		goto out;
	src2 = malloc(ps);
	if (!src2) {
		failf("setup: malloc");
		goto out;
	}
	pattern(src2, ps, 4);
	if (!expect("COPY", uffd_copy(f.uffd, f.a, f.src, ps, 0, &out), 0, &out,
		    ps) ||
	    !check_bytes(f.b, f.src, ps, "B after COPY"))
		goto out;
	if (fallocate(f.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
		      ps)) {
		failf("fallocate(PUNCH_HOLE): %s", uffd_errname(errno));
		goto out;
	}
	job_init(&j, &f, f.a, 1);
	job_expect(&j, 1, RES_COPY, 0, F_MINOR | F_WP);
	j.src = src2;
	if (!job_run(&j) ||
	    !check_bytes(f.out, src2, ps, "A after the hole was refilled") ||
	    !check_bytes(f.b, src2, ps, "B after the hole was refilled"))
		goto out;
	ret = KSFT_PASS;
out:
	free(src2);
	fx_fini(&f);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Cases: MINOR                                                         */
/* ------------------------------------------------------------------ */

/* MINOR only: a hole is the memory type's to fill, zeroed, no userfault */
static int case_minor_hole(void)
{
	int ret = KSFT_FAIL;
	struct fx f;

	if (!fx_init(&f, 2, 2, MAP_SHARED, 0, M_MINOR))
		goto out;
	memset(f.out, 0xff, 2 * ps);
	if (!read_no_uffd(&f, f.a, 2) ||
	    !check_fill(f.out, 0, 2 * ps, "A"))
		goto out;
	memset(f.b, 'h', 2 * ps);
	if (!check_fill(f.a, 'h', 2 * ps, "A after writing B"))
		goto out;
	ret = KSFT_PASS;
out:
	fx_fini(&f);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Cases: WP and POISON                                                 */
/* ------------------------------------------------------------------ */

/* The write being held must not have reached the object yet. */
static bool wp_event(struct job *j, size_t idx, __u64 flags)
{
	const char *cur = j->f->b + (j->area - j->f->a) + idx * ps;

	return check_bytes(cur, j->src + idx * ps, ps,
			   "B while the write is held");
}

static int case_wp(void)
{
	int ret = KSFT_FAIL;
	struct fx f;
	struct job j;

	if (!wp_ok)
		return skipf("WP is not offered for this type");
	if (!fx_init(&f, 2, 2, MAP_SHARED, 0, 0))
		goto out;
	if (!fx_fill_register(&f, 6, M_WP, B_WP))
		goto out;
	/* page 0 mapped (a present PTE), page 1 not (a PTE marker) */
	if (!check_bytes(f.a, f.src, ps, "A page 0"))
		goto out;
	if (!expect("WRITEPROTECT",
		    uffd_writeprotect_range(f.uffd, f.a, 2 * ps, true),
		    0, NULL, 0))
		goto out;
	job_init(&j, &f, f.a, 2);
	job_expect(&j, 2, RES_WP, F_WP | F_WRITE, F_MINOR);
	job_write(&j, ps / 2, 'p');
	j.on_event = wp_event;
	if (!job_run(&j) || !check_head(f.b, 'p', ps / 2, f.src, 2, "B"))
		goto out;
	ret = KSFT_PASS;
out:
	fx_fini(&f);
	return ret;
}

/* COPY or CONTINUE with MODE_WP map the page write-protected */
static int run_fill_wp(bool minor)
{
	int ret = KSFT_FAIL;
	struct fx f;
	struct job j;
	__s64 out;

	if (!wp_ok)
		return skipf("WP is not offered for this type");
	if (!fx_init(&f, 1, 1, MAP_SHARED, 0, 0))
		goto out;
	if (!(minor ? fx_fill_register(&f, 8, M_MINOR | M_WP, B_WP | B_CONTINUE) :
		      fx_register(&f, M_MISSING | M_WP, B_WP | B_COPY)))
		goto out;
	if (minor ? !expect("CONTINUE MODE_WP",
			    uffd_continue(f.uffd, f.a, ps,
					  UFFDIO_CONTINUE_MODE_WP, &out),
			    0, &out, ps) :
		    !expect("COPY MODE_WP",
			    uffd_copy(f.uffd, f.a, f.src, ps,
				      UFFDIO_COPY_MODE_WP, &out), 0, &out, ps))
		goto out;
	/* reading needs no userfault */
	if (!read_no_uffd(&f, f.a, 1) ||
	    !check_bytes(f.out, f.src, ps, "A"))
		goto out;
	job_init(&j, &f, f.a, 1);
	job_expect(&j, 1, RES_WP, F_WP | F_WRITE, F_MINOR);
	job_write(&j, ps / 2, 'c');
	j.on_event = wp_event;
	if (!job_run(&j) || !check_head(f.b, 'c', ps / 2, f.src, 1, "B"))
		goto out;
	ret = KSFT_PASS;
out:
	fx_fini(&f);
	return ret;
}

static int case_copy_wp(void)
{
	return run_fill_wp(false);
}

static int case_continue_wp(void)
{
	return run_fill_wp(true);
}

static int case_poison(void)
{
	int ret = KSFT_FAIL;
	struct fx f;
	struct job j;
	__s64 out;

	if (!poison_ok)
		return skipf("UFFDIO_REGISTER does not offer UFFDIO_POISON");
	/* 2 pages, A maps 3 */
	if (!fx_init(&f, 2, 3, MAP_SHARED, 0, M_MISSING) ||
	    !fx_has(&f, B_POISON | B_COPY))
		goto out;
	if (!expect("POISON page 0", uffd_poison(f.uffd, f.a, ps, 0, &out),
		    0, &out, ps))
		goto out;
	job_init(&j, &f, f.a, 1);
	j.want_bus = 0;
	if (!job_run(&j))
		goto out;
	/* the marker is A's: the object page is still a hole for B */
	if (!check_fill(f.b, 0, ps, "B page 0"))
		goto out;
	memset(f.b, 'q', ps);
	job_init(&j, &f, f.a, 1);
	j.want_bus = 0;
	if (!job_run(&j))
		goto out;
	if (!expect("COPY page 1",
		    uffd_copy(f.uffd, f.a + ps, f.src, ps, 0, &out),
		    0, &out, ps) ||
	    !expect("POISON onto the mapped page 1",
		    uffd_poison(f.uffd, f.a + ps, ps, 0, &out),
		    EEXIST, &out, -EEXIST) ||
	    !expect("POISON past the end of the object",
		    uffd_poison(f.uffd, f.a + 2 * ps, ps, 0, &out),
		    EFAULT, &out, -EFAULT) ||
	    !check_bytes(f.a + ps, f.src, ps, "A page 1"))
		goto out;
	ret = KSFT_PASS;
out:
	fx_fini(&f);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Cases: bad requests                                                  */
/* ------------------------------------------------------------------ */

/* validate_range(): checked before anything else, the output untouched */
/*
 * The errno cases are tables of fill ioctls on a fixture, each with the
 * errno and output field it must give.  Where and how much are in pages
 * and bytes, as the page size is known only at run time.
 */
struct at {
	size_t pg;
	long byte;
};

#define OUT_UNSET	(-1000000L)	/* the kernel must not write it */
#define OUT_ERR		(-1000001L)	/* -errno */

struct fill_step {
	const char *what;
	enum uffd_fill_op op;
	struct at dst;		/* from A; a COPY's source is as far into src */
	struct at len;
	__u64 mode;
	int err;		/* 0 for success */
	long out;		/* pages, OUT_UNSET or OUT_ERR */
};

static bool run_steps(struct fx *f, const struct fill_step *s, size_t n)
{
	for (; n; n--, s++) {
		size_t off = s->dst.pg * ps + s->dst.byte;
		size_t len = s->len.pg * ps + s->len.byte;
		__s64 want, out;
		int err;

		if (s->out == OUT_UNSET)
			want = UFFD_OUT_UNSET;
		else if (s->out == OUT_ERR)
			want = -s->err;
		else
			want = s->out * (__s64)ps;
		err = uffd_fill_ioctl(f->uffd, s->op, f->a + off,
				      f->src + s->dst.pg * ps,
				      len, s->mode, &out);
		if (!expect(s->what, err, s->err, &out, want))
			return false;
	}
	return true;
}

static const struct fill_step unaligned_steps[] = {
	{ "COPY dst + 8", UFFD_FILL_COPY, { 0, 8 }, { 1, 0 }, 0,
	  EINVAL, OUT_UNSET },
	{ "COPY len page + 8", UFFD_FILL_COPY, { 0, 0 }, { 1, 8 }, 0,
	  EINVAL, OUT_UNSET },
	{ "COPY len 0", UFFD_FILL_COPY, { 0, 0 }, { 0, 0 }, 0,
	  EINVAL, OUT_UNSET },
	{ "ZEROPAGE start + 8", UFFD_FILL_ZEROPAGE, { 0, 8 }, { 1, 0 }, 0,
	  EINVAL, OUT_UNSET },
	{ "ZEROPAGE len page - 1", UFFD_FILL_ZEROPAGE, { 0, 0 }, { 1, -1 }, 0,
	  EINVAL, OUT_UNSET },
	{ "CONTINUE start + 8", UFFD_FILL_CONTINUE, { 1, 8 }, { 1, 0 }, 0,
	  EINVAL, OUT_UNSET },
	{ "CONTINUE len page + 1", UFFD_FILL_CONTINUE, { 1, 0 }, { 1, 1 }, 0,
	  EINVAL, OUT_UNSET },
	/* nothing was filled: page 0 still a hole, page 1 not mapped at A */
	{ "COPY page 0", UFFD_FILL_COPY, { 0, 0 }, { 1, 0 }, 0, 0, 1 },
	{ "CONTINUE page 1", UFFD_FILL_CONTINUE, { 1, 0 }, { 1, 0 }, 0, 0, 1 },
};

static int case_unaligned(void)
{
	int ret = KSFT_FAIL;
	struct fx f;

	if (!fx_init(&f, 2, 2, MAP_SHARED, 0, M_MISSING | M_MINOR))
		goto out;
	pattern(f.b + ps, ps, 9);
	if (!run_steps(&f, unaligned_steps, ARRAY_SIZE(unaligned_steps)) ||
	    !check_bytes(f.a, f.src, ps, "A page 0") ||
	    !check_bytes(f.a + ps, f.b + ps, ps, "A page 1"))
		goto out;
	ret = KSFT_PASS;
out:
	fx_fini(&f);
	return ret;
}

/*
 * Past i_size: COPY and ZEROPAGE fail in mfill_file_over_size() with
 * EFAULT; CONTINUE fails with what the type's ->get_folio_noalloc() says
 * there, mt->cont_past_end_err (shmem's is EINVAL, see uffd-ops-regs).
 */
static int case_past_end_fill(void)
{
	int ret = KSFT_FAIL;
	struct fx f;
	__s64 out;

	/* 2 pages, A maps 4 */
	if (!fx_init(&f, 2, 4, MAP_SHARED, 0, M_MISSING | M_MINOR))
		goto out;
	if (!expect("COPY page 2",
		    uffd_copy(f.uffd, f.a + 2 * ps, f.src, ps, 0, &out),
		    EFAULT, &out, -EFAULT) ||
	    !expect("ZEROPAGE page 3",
		    uffd_zeropage(f.uffd, f.a + 3 * ps, ps, 0, &out),
		    EFAULT, &out, -EFAULT) ||
	    !expect("CONTINUE page 2",
		    uffd_continue(f.uffd, f.a + 2 * ps, ps, 0, &out),
		    mt->cont_past_end_err, &out, -mt->cont_past_end_err))
		goto out;
	/* across the end: the first page is filled, then a short count */
	if (!expect("COPY pages 1-2",
		    uffd_copy(f.uffd, f.a + ps, f.src + ps, 2 * ps, 0, &out),
		    EAGAIN, &out, ps) ||
	    !check_bytes(f.b + ps, f.src + ps, ps, "B page 1"))
		goto out;
	ret = KSFT_PASS;
out:
	fx_fini(&f);
	return ret;
}

/* uffd_ops_fault() leaves a fault past i_size to ->fault: SIGBUS */
static int case_past_end_fault(void)
{
	int ret = KSFT_FAIL;
	struct fx f;
	struct job j;

	if (!fx_init(&f, 1, 2, MAP_SHARED, 0, M_MISSING | M_MINOR))
		goto out;
	job_init(&j, &f, f.a + ps, 1);
	j.want_bus = 0;
	if (!job_run(&j))
		goto out;
	job_init(&j, &f, f.a + ps, 1);
	j.wlen = 1;
	j.wval = 'e';
	j.want_bus = 0;
	if (!job_run(&j))
		goto out;
	ret = KSFT_PASS;
out:
	fx_fini(&f);
	return ret;
}

/* validate_dst_vma(): the whole range in one registered VMA, else ENOENT */
static int case_outside_vma(void)
{
	char *hole = MAP_FAILED;
	int ret = KSFT_FAIL;
	struct fx f;
	__s64 out;

	if (!fx_init(&f, 2, 2, MAP_SHARED, 0, 0))
		goto out;
	pattern(f.b + ps, ps, 10);
	/* register page 0 only: page 1 is a VMA of its own */
	if (!expect("REGISTER page 0",
		    uffd_register_range(f.uffd, f.a, ps, M_MISSING | M_MINOR,
					NULL), 0, NULL, 0))
		goto out;
	hole = mmap(NULL, ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (hole == MAP_FAILED || munmap(hole, ps)) {
		failf("setup: mmap: %s", strerror(errno));
		goto out;
	}
	if (!expect("COPY into the unregistered page 1",
		    uffd_copy(f.uffd, f.a + ps, f.src, ps, 0, &out),
		    ENOENT, &out, -ENOENT) ||
	    !expect("COPY pages 0-1, across the registered VMA's end",
		    uffd_copy(f.uffd, f.a, f.src, 2 * ps, 0, &out),
		    ENOENT, &out, -ENOENT) ||
	    !expect("COPY into mapping B",
		    uffd_copy(f.uffd, f.b, f.src, ps, 0, &out), ENOENT, &out,
		    -ENOENT) ||
	    !expect("CONTINUE into mapping B",
		    uffd_continue(f.uffd, f.b + ps, ps, 0, &out), ENOENT, &out,
		    -ENOENT) ||
	    !expect("COPY to an unmapped address",
		    uffd_copy(f.uffd, hole, f.src, ps, 0, &out), ENOENT, &out,
		    -ENOENT) ||
	    !expect("COPY into page 0",
		    uffd_copy(f.uffd, f.a, f.src, ps, 0, &out), 0, &out, ps) ||
	    !check_bytes(f.b, f.src, ps, "B page 0"))
		goto out;
	ret = KSFT_PASS;
out:
	fx_fini(&f);
	return ret;
}

/*
 * A page in the object: filemap_add() finds it (EEXIST), whether A maps it
 * or not; a multi-page COPY stops there after filling what came before.
 */
static int case_eexist(void)
{
	int ret = KSFT_FAIL;
	char *want = NULL;
	struct fx f;
	__s64 out;

	if (!fx_init(&f, NPG, NPG, MAP_SHARED, 0, M_MISSING))
		goto out;
	want = malloc(ps);
	if (!want) {
		failf("setup: malloc");
		goto out;
	}
	pattern(want, ps, 11);
	memcpy(f.b, want, ps);
	memcpy(f.b + 3 * ps, want, ps);
	if (!expect("COPY onto a page of the object",
		    uffd_copy(f.uffd, f.a, f.src, ps, 0, &out), EEXIST, &out,
		    -EEXIST) ||
	    !expect("ZEROPAGE onto a page of the object",
		    uffd_zeropage(f.uffd, f.a, ps, 0, &out),
		    EEXIST, &out, -EEXIST) ||
	    !check_bytes(f.b, want, ps, "B page 0"))
		goto out;
	if (!expect("COPY page 1",
		    uffd_copy(f.uffd, f.a + ps, f.src + ps, ps, 0, &out),
		    0, &out, ps) ||
	    !expect("COPY onto page 1, now mapped at A",
		    uffd_copy(f.uffd, f.a + ps, f.src + ps, ps, 0, &out),
		    EEXIST, &out, -EEXIST))
		goto out;
	if (!expect("COPY pages 2-3, page 3 in the object",
		    uffd_copy(f.uffd, f.a + 2 * ps, f.src + 2 * ps, 2 * ps, 0,
			      &out), EAGAIN, &out, ps) ||
	    !check_bytes(f.b + ps, f.src + ps, 2 * ps, "B pages 1-2") ||
	    !check_bytes(f.b + 3 * ps, want, ps, "B page 3") ||
	    !check_bytes(f.a, want, ps, "A page 0"))
		goto out;
	ret = KSFT_PASS;
out:
	free(want);
	fx_fini(&f);
	return ret;
}

static const struct fill_step continue_twice_steps[] = {
	{ "CONTINUE", UFFD_FILL_CONTINUE, { 0, 0 }, { 1, 0 }, 0, 0, 1 },
	{ "CONTINUE again", UFFD_FILL_CONTINUE, { 0, 0 }, { 1, 0 }, 0,
	  EEXIST, OUT_ERR },
};

static int case_continue_twice(void)
{
	int ret = KSFT_FAIL;
	struct fx f;

	if (!fx_init(&f, 1, 1, MAP_SHARED, 0, M_MINOR))
		goto out;
	pattern(f.b, ps, 12);
	if (!run_steps(&f, continue_twice_steps,
		       ARRAY_SIZE(continue_twice_steps)) ||
	    !check_bytes(f.a, f.b, ps, "A"))
		goto out;
	ret = KSFT_PASS;
out:
	fx_fini(&f);
	return ret;
}

/* get_folio_noalloc() finds nothing: EFAULT, and nothing is mapped */
static int case_continue_hole(void)
{
	int ret = KSFT_FAIL;
	struct fx f;
	__s64 out;

	if (!fx_init(&f, 1, 1, MAP_SHARED, 0, M_MINOR))
		goto out;
	if (!expect("CONTINUE on a hole",
		    uffd_continue(f.uffd, f.a, ps, 0, &out),
		    EFAULT, &out, -EFAULT))
		goto out;
	memset(f.b, 'x', ps);
	if (!expect("CONTINUE once B filled the page",
		    uffd_continue(f.uffd, f.a, ps, 0, &out), 0, &out, ps) ||
	    !check_fill(f.a, 'x', ps, "A"))
		goto out;
	ret = KSFT_PASS;
out:
	fx_fini(&f);
	return ret;
}

/* mfill_atomic(): MFILL_ATOMIC_WP on a VMA without VM_UFFD_WP */
static const struct fill_step mode_wp_steps[] = {
	{ "COPY MODE_WP on a MISSING|MINOR range", UFFD_FILL_COPY,
	  { 0, 0 }, { 1, 0 }, UFFDIO_COPY_MODE_WP, EINVAL, OUT_ERR },
	{ "CONTINUE MODE_WP on a MISSING|MINOR range", UFFD_FILL_CONTINUE,
	  { 1, 0 }, { 1, 0 }, UFFDIO_CONTINUE_MODE_WP, EINVAL, OUT_ERR },
	{ "COPY mode 1 << 2", UFFD_FILL_COPY, { 0, 0 }, { 1, 0 }, 1ULL << 2,
	  EINVAL, OUT_UNSET },
};

static int case_mode_wp_without_wp(void)
{
	int ret = KSFT_FAIL;
	struct fx f;

	if (!fx_init(&f, 2, 2, MAP_SHARED, 0, M_MISSING | M_MINOR))
		goto out;
	pattern(f.b + ps, ps, 13);
	if (!run_steps(&f, mode_wp_steps, ARRAY_SIZE(mode_wp_steps)))
		goto out;
	ret = KSFT_PASS;
out:
	fx_fini(&f);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Cases: private mappings                                              */
/* ------------------------------------------------------------------ */

/* COPY into a private mapping gives an anonymous page: the object stays */
static int case_private_missing(void)
{
	int ret = KSFT_FAIL;
	struct fx f;
	struct job j;

	if (!fx_init(&f, 2, 2, MAP_PRIVATE, 0, M_MISSING) ||
	    !fx_has(&f, B_COPY))
		goto out;
	job_init(&j, &f, f.a, 2);
	job_expect(&j, 2, RES_COPY, 0, F_WRITE | F_MINOR | F_WP);
	if (!job_run(&j) ||
	    !check_bytes(f.out, f.src, 2 * ps, "private mapping") ||
	    !check_fill(f.b, 0, 2 * ps, "B"))
		goto out;
	memset(f.a, 'q', ps);
	if (!check_fill(f.b, 0, ps, "B after writing the private mapping"))
		goto out;
	ret = KSFT_PASS;
out:
	fx_fini(&f);
	return ret;
}

/* CONTINUE maps the object's page read-only: a write copies it */
static int case_private_minor(void)
{
	int ret = KSFT_FAIL;
	struct fx f;
	struct job j;

	if (!fx_init(&f, 2, 2, MAP_PRIVATE, 0, 0))
		goto out;
	if (!fx_fill_register(&f, 14, M_MINOR, B_CONTINUE))
		goto out;
	job_init(&j, &f, f.a, 2);
	job_expect(&j, 2, RES_CONTINUE, F_MINOR, F_WRITE | F_WP);
	if (!job_run(&j) ||
	    !check_bytes(f.out, f.src, 2 * ps, "private mapping"))
		goto out;
	memset(f.a, 'r', ps);
	if (!check_fill(f.a, 'r', ps, "private mapping after writing it") ||
	    !check_bytes(f.b, f.src, 2 * ps, "B"))
		goto out;
	ret = KSFT_PASS;
out:
	fx_fini(&f);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Cases: munmap, close, fork, exit                                     */
/* ------------------------------------------------------------------ */

static int case_close_object_fd(void)
{
	int ret = KSFT_FAIL;
	struct fx f;
	struct job j;

	if (!fx_init(&f, NPG, NPG, MAP_SHARED, 0, M_MISSING))
		goto out;
	close(f.fd);
	f.fd = -1;
	job_init(&j, &f, f.a, NPG);
	job_expect(&j, NPG, RES_COPY, 0, 0);
	if (!job_run(&j) ||
	    !check_bytes(f.out, f.src, NPG * ps, "A") ||
	    !check_bytes(f.b, f.src, NPG * ps, "B"))
		goto out;
	ret = KSFT_PASS;
out:
	fx_fini(&f);
	return ret;
}

struct sys_fault {
	int pipefd;
	char *addr;
	ssize_t ret;
	int err;
};

/* A userfault taken in the kernel, by write() reading its buffer. */
static void *sys_faulter(void *arg)
{
	struct sys_fault *s = arg;

	s->ret = write(s->pipefd, s->addr, 64);
	s->err = errno;
	return NULL;
}

/*
 * munmap() while a fault is pending: the range is gone (COPY says ENOENT),
 * and the woken fault finds no VMA, which write() reports as EFAULT.
 */
static int case_munmap_pending(void)
{
	struct sys_fault s = { .ret = 0 };
	int pipefd[2] = { -1, -1 };
	int ret = KSFT_FAIL;
	bool started = false;
	struct uffd_msg msg;
	pthread_t t;
	struct fx f;
	__s64 out;

	if (!fx_init(&f, 2, 2, MAP_SHARED, 0, M_MISSING))
		goto out;
	if (pipe(pipefd)) {
		failf("setup: pipe: %s", strerror(errno));
		goto out;
	}
	s.pipefd = pipefd[1];
	s.addr = f.a;
	if (pthread_create(&t, NULL, sys_faulter, &s)) {
		failf("setup: pthread_create");
		goto out;
	}
	started = true;
	if (!wait_msg(f.uffd, &msg))
		goto out;
	if (msg.event != UFFD_EVENT_PAGEFAULT ||
	    msg.arg.pagefault.address != (unsigned long)f.a ||
	    msg.arg.pagefault.flags) {
		failf("event %u at %#llx flags %#llx, expected a read fault at %p",
		      msg.event, msg.arg.pagefault.address,
		      msg.arg.pagefault.flags, f.a);
		goto out;
	}
	if (munmap(f.a, 2 * ps)) {
		failf("munmap: %s", strerror(errno));
		goto out;
	}
	if (!expect("COPY into the unmapped range",
		    uffd_copy(f.uffd, f.a, f.src, ps, 0, &out), ENOENT, &out,
		    -ENOENT))
		goto out_a;
	if (!expect("WAKE", uffd_wake_range(f.uffd, f.a, ps), 0, NULL, 0))
		goto out_a;
	pthread_join(t, NULL);
	started = false;
	if (s.ret != -1 || s.err != EFAULT) {
		failf("write() from the unmapped range returned %zd, %s; expected EFAULT",
		      s.ret, uffd_errname(s.ret < 0 ? s.err : 0));
		goto out_a;
	}
	/* nothing reached the object */
	if (!check_fill(f.b, 0, 2 * ps, "B"))
		goto out_a;
	ret = KSFT_PASS;
out_a:
	f.a = NULL;
out:
	if (started) {
		/* closing the uffd wakes the fault */
		close(f.uffd);
		f.uffd = -1;
		pthread_join(t, NULL);
	}
	if (pipefd[0] >= 0) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
	fx_fini(&f);
	return ret;
}

struct msg_wait {
	int uffd;
	struct uffd_msg msg;
	bool ok;
};

static void *msg_waiter(void *arg)
{
	struct msg_wait *w = arg;

	w->ok = wait_msg(w->uffd, &w->msg);
	return NULL;
}

/*
 * UFFD_FEATURE_EVENT_UNMAP: a fault resolved, then munmap() (which waits
 * for the UNMAP event to be read); then the range is gone.
 */
static int case_munmap_event(void)
{
	struct msg_wait w = { .ok = false };
	int ret = KSFT_FAIL;
	pthread_t t;
	struct fx f;
	struct job j;
	__s64 out;

	if (!(avail_features & UFFD_FEATURE_EVENT_UNMAP))
		return skipf("no UFFD_FEATURE_EVENT_UNMAP");
	if (!fx_init(&f, 2, 2, MAP_SHARED, UFFD_FEATURE_EVENT_UNMAP,
		     M_MISSING))
		goto out;
	job_init(&j, &f, f.a, 1);
	job_expect(&j, 1, RES_COPY, 0, 0);
	if (!job_run(&j) || !check_bytes(f.b, f.src, ps, "B page 0"))
		goto out;
	w.uffd = f.uffd;
	if (pthread_create(&t, NULL, msg_waiter, &w)) {
		failf("setup: pthread_create");
		goto out;
	}
	if (munmap(f.a, 2 * ps)) {
		failf("munmap: %s", strerror(errno));
		pthread_join(t, NULL);
		goto out;
	}
	pthread_join(t, NULL);
	if (!w.ok)
		goto out_a;
	if (w.msg.event != UFFD_EVENT_UNMAP ||
	    w.msg.arg.remove.start != (unsigned long)f.a ||
	    w.msg.arg.remove.end != (unsigned long)f.a + 2 * ps) {
		failf("event %u [%#llx, %#llx), expected UNMAP [%p, +%zu)",
		      w.msg.event, w.msg.arg.remove.start, w.msg.arg.remove.end,
		      f.a, 2 * ps);
		goto out_a;
	}
	if (!expect("COPY after munmap",
		    uffd_copy(f.uffd, f.a + ps, f.src, ps, 0, &out),
		    ENOENT, &out, -ENOENT) ||
	    !check_bytes(f.b, f.src, ps, "B page 0") ||
	    !check_fill(f.b + ps, 0, ps, "B page 1"))
		goto out_a;
	ret = KSFT_PASS;
out_a:
	f.a = NULL;
out:
	fx_fini(&f);
	return ret;
}

/*
 * Closing the userfaultfd wakes a pending fault and unregisters: the
 * memory type's fault handler fills the page with zeroes.
 */
static int case_close_uffd_pending(void)
{
	bool started = false;
	int ret = KSFT_FAIL;
	struct uffd_msg msg;
	pthread_t t;
	struct fx f;
	struct job j;

	if (!fx_init(&f, 2, 2, MAP_SHARED, 0, M_MISSING))
		goto out;
	memset(f.out, 0xff, ps);
	job_init(&j, &f, f.a, 1);
	if (pthread_create(&t, NULL, job_faulter, &j)) {
		failf("setup: pthread_create");
		goto out;
	}
	started = true;
	if (!wait_msg(f.uffd, &msg))
		goto out;
	if (msg.event != UFFD_EVENT_PAGEFAULT ||
	    msg.arg.pagefault.address != (unsigned long)f.a) {
		failf("event %u at %#llx, expected a fault at %p", msg.event,
		      msg.arg.pagefault.address, f.a);
		goto out;
	}
	close(f.uffd);
	f.uffd = -1;
	pthread_join(t, NULL);
	started = false;
	if (j.bus_page != -1) {
		failf("SIGBUS on the woken fault");
		goto out;
	}
	if (!check_fill(f.out, 0, ps, "A page 0") ||
	    !check_fill(f.b, 0, 2 * ps, "B"))
		goto out;
	memset(f.b, 'k', 2 * ps);
	if (!check_fill(f.a, 'k', 2 * ps, "A after writing B"))
		goto out;
	ret = KSFT_PASS;
out:
	if (started) {
		if (f.uffd >= 0)
			close(f.uffd);
		f.uffd = -1;
		pthread_join(t, NULL);
	}
	fx_fini(&f);
	return ret;
}

/* Wait for @pid, polling @uffd: any message on it is a failure. */
static bool wait_child(pid_t pid, int uffd, int *status)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	long waited;
	pid_t r;

	for (waited = 0; waited < WAIT_MS; waited += POLL_MS) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return true;
		if (r < 0)
			return failf("waitpid: %s", strerror(errno));
		if (uffd >= 0 && poll(&pfd, 1, POLL_MS) > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			return failf("userfaultfd message while the child ran");
		}
		if (uffd < 0)
			usleep(POLL_MS * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return failf("child still running after %d ms", WAIT_MS);
}

static bool child_ok(int status)
{
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return true;
	if (WIFEXITED(status))
		return failf("child failed check %d", WEXITSTATUS(status));
	return failf("child killed by signal %d", WTERMSIG(status));
}

/*
 * fork() without UFFD_FEATURE_EVENT_FORK: the child's mapping is not
 * registered.  It reads what was copied, and fills a hole (zeroes, from
 * the memory type) that the parent then finds in the object.
 */
static int case_fork(void)
{
	int ret = KSFT_FAIL, status;
	char *fill = NULL;
	struct fx f;
	struct job j;
	__s64 out;
	pid_t pid;

	if (!fx_init(&f, 3, 3, MAP_SHARED, 0, M_MISSING))
		goto out;
	fill = malloc(ps);
	if (!fill) {
		failf("setup: malloc");
		goto out;
	}
	pattern(fill, ps, 15);
	if (!expect("COPY page 0", uffd_copy(f.uffd, f.a, f.src, ps, 0, &out),
		    0, &out, ps))
		goto out;
	pid = fork();
	if (pid < 0) {
		failf("fork: %s", strerror(errno));
		goto out;
	}
	if (!pid) {
		if (memcmp(f.a, f.src, ps))
			_exit(1);
		if (f.a[ps] || memcmp(f.a + ps, f.a + ps + 1, ps - 1))
			_exit(2);
		memcpy(f.a + ps, fill, ps);
		_exit(0);
	}
	if (!wait_child(pid, f.uffd, &status) || !child_ok(status))
		goto out;
	/* page 1 is in the object now: no userfault */
	if (!read_no_uffd(&f, f.a + ps, 1) ||
	    !check_bytes(f.out, fill, ps, "A page 1"))
		goto out;
	/* the parent's registration is intact */
	job_init(&j, &f, f.a + 2 * ps, 1);
	job_expect(&j, 1, RES_COPY, 0, 0);
	j.src = f.src + 2 * ps;
	if (!job_run(&j) ||
	    !check_bytes(f.b + 2 * ps, f.src + 2 * ps, ps, "B page 2"))
		goto out;
	ret = KSFT_PASS;
out:
	free(fill);
	fx_fini(&f);
	return ret;
}

struct fork_handler {
	struct fx *f;
	int child_uffd;
	bool ok;
};

/* Read the FORK event, then resolve the child's fault on page 1. */
static void *fork_handler(void *arg)
{
	struct fork_handler *h = arg;
	struct uffd_msg msg;
	__s64 out;

	h->child_uffd = -1;
	if (!wait_msg(h->f->uffd, &msg))
		return NULL;
	if (msg.event != UFFD_EVENT_FORK) {
		failf("event %u, expected FORK", msg.event);
		return NULL;
	}
	h->child_uffd = msg.arg.fork.ufd;
	if (!wait_msg(h->child_uffd, &msg))
		return NULL;
	if (msg.event != UFFD_EVENT_PAGEFAULT ||
	    msg.arg.pagefault.address != (unsigned long)h->f->a + ps ||
	    (msg.arg.pagefault.flags & (F_MINOR | F_WP))) {
		failf("child's event %u at %#llx flags %#llx, expected MISSING at %p",
		      msg.event, msg.arg.pagefault.address,
		      msg.arg.pagefault.flags, h->f->a + ps);
		return NULL;
	}
	h->ok = expect("COPY through the child's userfaultfd",
		       uffd_copy(h->child_uffd, h->f->a + ps, h->f->src + ps,
				 ps, 0, &out), 0, &out, ps);
	return NULL;
}

/* fork() with UFFD_FEATURE_EVENT_FORK: the child's faults come to us */
static int case_fork_event(void)
{
	struct fork_handler h = { .ok = false };
	int ret = KSFT_FAIL, status;
	pthread_t t;
	struct fx f;
	__s64 out;
	pid_t pid;

	if (!(avail_features & UFFD_FEATURE_EVENT_FORK) || geteuid())
		return skipf("no UFFD_FEATURE_EVENT_FORK, or not root (CAP_SYS_PTRACE)");
	if (!fx_init(&f, 2, 2, MAP_SHARED, UFFD_FEATURE_EVENT_FORK,
		     M_MISSING))
		goto out;
	if (!expect("COPY page 0", uffd_copy(f.uffd, f.a, f.src, ps, 0, &out),
		    0, &out, ps))
		goto out;
	h.f = &f;
	if (pthread_create(&t, NULL, fork_handler, &h)) {
		failf("setup: pthread_create");
		goto out;
	}
	/* returns once the FORK event is read */
	pid = fork();
	if (pid < 0) {
		failf("fork: %s", strerror(errno));
		pthread_join(t, NULL);
		goto out;
	}
	if (!pid) {
		if (memcmp(f.a, f.src, ps))
			_exit(1);
		if (memcmp(f.a + ps, f.src + ps, ps))
			_exit(2);
		_exit(0);
	}
	pthread_join(t, NULL);
	if (!wait_child(pid, -1, &status) || !h.ok || !child_ok(status))
		goto out;
	if (!check_bytes(f.b + ps, f.src + ps, ps, "B page 1") ||
	    !read_no_uffd(&f, f.a + ps, 1) ||
	    !check_bytes(f.out, f.src + ps, ps, "A page 1"))
		goto out;
	ret = KSFT_PASS;
out:
	if (h.child_uffd >= 0)
		close(h.child_uffd);
	fx_fini(&f);
	return ret;
}

static int send_fd(int sock, int fd, void *data, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = data, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;

	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) == (ssize_t)len ? 0 : -1;
}

static int recv_fd(int sock, void *data, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = data, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != (ssize_t)len)
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* In the child: register, send the uffd, fault in a thread, wait. */
static void exit_child(int sock, int objfd)
{
	static char out[1 << 16];
	struct job j;
	struct fx f;
	pthread_t t;
	int uffd;
	char *a;

	a = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, objfd, 0);
	uffd = uffd_new(0);
	if (a == MAP_FAILED || uffd < 0 ||
	    uffd_register_range(uffd, a, ps, M_MISSING, NULL) ||
	    send_fd(sock, uffd, &a, sizeof(a)))
		_exit(1);
	memset(&f, 0, sizeof(f));
	f.a = a;
	f.out = out;
	f.uffd = uffd;
	job_init(&j, &f, a, 1);
	if (pthread_create(&t, NULL, job_faulter, &j))
		_exit(2);
	for (;;)
		pause();
}

/*
 * A process dies, killed by its monitor, with a fault pending: it goes
 * away cleanly, its mm with it (a later COPY says ESRCH), nothing is left
 * in the object, and objects still work.
 */
static int case_exit_pending(void)
{
	int sv[2] = { -1, -1 }, uffd = -1, ret = KSFT_FAIL, status;
	struct uffd_msg msg;
	char *addr = NULL;
	pid_t pid = -1;
	struct fx f;
	struct job j;
	__s64 out;

	if (!fx_init(&f, 1, 1, MAP_SHARED, 0, 0))
		goto out;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv)) {
		failf("setup: socketpair: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		failf("fork: %s", strerror(errno));
		goto out;
	}
	if (!pid) {
		close(sv[0]);
		exit_child(sv[1], f.fd);
	}
	close(sv[1]);
	sv[1] = -1;
	uffd = recv_fd(sv[0], &addr, sizeof(addr));
	if (uffd < 0) {
		failf("no userfaultfd from the child");
		goto out;
	}
	if (!wait_msg(uffd, &msg))
		goto out;
	if (msg.event != UFFD_EVENT_PAGEFAULT ||
	    msg.arg.pagefault.address != (unsigned long)addr) {
		failf("event %u at %#llx, expected a fault at %p", msg.event,
		      msg.arg.pagefault.address, addr);
		goto out;
	}
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid || !WIFSIGNALED(status) ||
	    WTERMSIG(status) != SIGKILL) {
		failf("child did not die of SIGKILL (status %#x)", status);
		pid = -1;
		goto out;
	}
	pid = -1;
	if (!expect("COPY through the dead child's userfaultfd",
		    uffd_copy(uffd, addr, f.src, ps, 0, &out), ESRCH, &out,
		    UFFD_OUT_UNSET))
		goto out;
	close(uffd);
	uffd = -1;
	/* the page was never filled */
	if (!check_fill(f.b, 0, ps, "B"))
		goto out;
	fx_fini(&f);
	/* and the memory type still works */
	if (!fx_init(&f, 2, 2, MAP_SHARED, 0, M_MISSING))
		goto out;
	job_init(&j, &f, f.a, 2);
	job_expect(&j, 2, RES_COPY, 0, 0);
	if (!job_run(&j) || !check_bytes(f.b, f.src, 2 * ps, "B of a new object"))
		goto out;
	ret = KSFT_PASS;
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (uffd >= 0)
		close(uffd);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	fx_fini(&f);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Cases: the module                                                    */
/* ------------------------------------------------------------------ */

/* The module's reference count, -1 if /sys/module has none for it. */
static long mod_refcnt(void)
{
	char path[128], buf[32];
	long val = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", mt->module);
	fp = fopen(path, "r");
	if (!fp)
		return -1;
	if (fgets(buf, sizeof(buf), fp))
		val = strtol(buf, NULL, 10);
	fclose(fp);
	return val;
}

static int delete_module(const char *name)
{
	return syscall(__NR_delete_module, name, O_NONBLOCK) ? errno : 0;
}

static bool mod_skip(void)
{
	if (geteuid()) {
		failf("delete_module() needs root");
		return true;
	}
	if (mod_refcnt() < 0) {
		failf("no /sys/module/%s/refcnt: built in, or no CONFIG_MODULE_UNLOAD",
		      mt->module);
		return true;
	}
	return false;
}

/*
 * An open device file must hold a module reference, or the module can go
 * while the file still points to its file_operations (.owner in C,
 * MiscDevice::OWNER in Rust).  Never unload here.
 */
static int case_module_device_ref(void)
{
	long r0, r1;
	int dev;

	if (mod_skip())
		return KSFT_SKIP;
	r0 = mod_refcnt();
	dev = open(mt->dev, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		failf("open %s: %s", mt->dev, strerror(errno));
		return KSFT_FAIL;
	}
	r1 = mod_refcnt();
	close(dev);
	if (r1 == r0 + 1)
		return KSFT_PASS;
	failf("refcnt %ld with %s open, %ld without", r1, mt->dev, r0);
	return KSFT_FAIL;
}

/*
 * An object's file_operations have .owner set (UffdMemType::new() in
 * Rust): each object file holds a module reference, and so does each
 * mapping through its vm_file.  try_stop_module() then says EWOULDBLOCK.
 */
static int run_module_busy(bool close_fd)
{
	int ret = KSFT_FAIL, err;
	struct fx f;
	long r;

	if (mod_skip())
		return KSFT_SKIP;
	if (!fx_init(&f, 1, 1, MAP_SHARED, 0, 0))
		goto out;
	/* no uffd needed: only the object and its mappings */
	close(f.uffd);
	f.uffd = -1;
	if (close_fd) {
		close(f.fd);
		f.fd = -1;
	}
	r = mod_refcnt();
	if (r < 1) {
		failf("refcnt %ld with an object mapped", r);
		goto out;
	}
	err = delete_module(mt->module);
	if (err != EWOULDBLOCK) {
		failf("delete_module(%s, O_NONBLOCK) returned %s, expected %s (refcnt %ld)",
		      mt->module, uffd_errname(err), uffd_errname(EWOULDBLOCK),
		      r);
		goto out;
	}
	memset(f.a, 'u', ps);
	if (!check_fill(f.b, 'u', ps, "B after writing A"))
		goto out;
	ret = KSFT_PASS;
out:
	fx_fini(&f);
	return ret;
}

static int case_module_busy_open(void)
{
	return run_module_busy(false);
}

static int case_module_busy_mapped(void)
{
	return run_module_busy(true);
}

static int case_module_unload(void)
{
	long r;
	int err;

	if (!ko_path)
		return skipf("no -m PATH_TO_KO: the module would not come back");
	if (mod_skip())
		return KSFT_SKIP;
	r = mod_refcnt();
	if (r != 0) {
		failf("refcnt %ld with every object closed and unmapped", r);
		return KSFT_FAIL;
	}
	err = delete_module(mt->module);
	if (err) {
		failf("delete_module(%s, O_NONBLOCK) returned %s", mt->module,
		      uffd_errname(err));
		return KSFT_FAIL;
	}
	unloaded = true;
	if (!access(mt->dev, F_OK) || mod_refcnt() >= 0) {
		failf("%s or /sys/module/%s still there after unloading",
		      mt->dev, mt->module);
		return KSFT_FAIL;
	}
	return KSFT_PASS;
}

static int case_module_reload(void)
{
	int fd, err, i, ret = KSFT_FAIL;
	struct fx f;
	struct job j;

	if (!unloaded) {
		failf(ko_path ? "the module was not unloaded" :
		      "no -m PATH_TO_KO");
		return KSFT_SKIP;
	}
	fd = open(ko_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		failf("open %s: %s", ko_path, strerror(errno));
		return KSFT_FAIL;
	}
	err = syscall(__NR_finit_module, fd, "", 0) ? errno : 0;
	close(fd);
	if (err) {
		failf("finit_module(%s) returned %s", ko_path, uffd_errname(err));
		return KSFT_FAIL;
	}
	unloaded = false;
	for (i = 0; i < 100 && access(mt->dev, R_OK | W_OK); i++)
		usleep(10000);
	if (!fx_init(&f, 2, 2, MAP_SHARED, 0, M_MISSING))
		goto out;
	job_init(&j, &f, f.a, 2);
	job_expect(&j, 2, RES_COPY, 0, 0);
	if (!job_run(&j) || !check_bytes(f.b, f.src, 2 * ps, "B"))
		goto out;
	ret = KSFT_PASS;
out:
	fx_fini(&f);
	return ret;
}

/* ------------------------------------------------------------------ */

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
	{ "create: size 0 or too large -> EINVAL, largest size ok",
	  case_create_size },
	{ "unknown ioctl on the device or an object -> ENOTTY",
	  case_ioctl_enotty },
	{ "object fd: size rounded up, O_CLOEXEC; read/write/ftruncate refused; punch holes",
	  case_object_fd },
	{ "object ioctl: the type's own (rustmem counts inserted pages), else ENOTTY",
	  case_object_ioctl },
	{ "two shared mappings share pages, private one copies, SIGBUS past the end",
	  case_plain_mappings },
	{ "register: ioctls per mode, shared and private",
	  case_register_ioctls },
	{ "register: bad modes and MINOR with anon in the range -> EINVAL",
	  case_register_refused },
	{ "register: second userfaultfd -> EBUSY, same one again -> ok",
	  case_register_ebusy },
	{ "pages written through B first: A faults with no userfault",
	  case_missing_filled_through_b },
	{ "MISSING|MINOR: holes MISSING (COPY), object pages MINOR (CONTINUE)",
	  case_missing_minor_mixed },
	{ "punched hole: MISSING userfault again, refilled by COPY",
	  case_missing_after_punch },
	{ "MINOR-only registration: a hole is zero-filled with no userfault",
	  case_minor_hole },
	{ "WP: writes to mapped and unmapped pages held until WP cleared",
	  case_wp },
	{ "COPY MODE_WP maps write-protected: a write raises a WP userfault",
	  case_copy_wp },
	{ "CONTINUE MODE_WP maps write-protected: a write raises a WP userfault",
	  case_continue_wp },
	{ "POISON: SIGBUS through A only; onto a page -> EEXIST, past end -> EFAULT",
	  case_poison },
	{ "unaligned start or len for COPY/ZEROPAGE/CONTINUE -> EINVAL",
	  case_unaligned },
	{ "COPY/ZEROPAGE past the end of the object -> EFAULT, CONTINUE -> type's errno",
	  case_past_end_fill },
	{ "fault past the end of the object on a registered range -> SIGBUS",
	  case_past_end_fault },
	{ "COPY/CONTINUE outside a registered VMA -> ENOENT",
	  case_outside_vma },
	{ "COPY/ZEROPAGE onto a page of the object -> EEXIST, partial COPY -> EAGAIN",
	  case_eexist },
	{ "CONTINUE twice on a page -> EEXIST", case_continue_twice },
	{ "CONTINUE on a page not in the object -> EFAULT",
	  case_continue_hole },
	{ "COPY/CONTINUE MODE_WP without WP registration -> EINVAL",
	  case_mode_wp_without_wp },
	{ "MAP_PRIVATE MISSING: COPY gives a private page, object untouched",
	  case_private_missing },
	{ "MAP_PRIVATE MINOR: CONTINUE maps the object page, writes stay private",
	  case_private_minor },
	{ "object fd closed, mappings still fault and fill",
	  case_close_object_fd },
	{ "munmap with a fault pending: COPY -> ENOENT, woken fault -> EFAULT",
	  case_munmap_pending },
	{ "munmap between events: UNMAP event, then COPY -> ENOENT",
	  case_munmap_event },
	{ "userfaultfd closed with a fault pending: page zero-filled",
	  case_close_uffd_pending },
	{ "fork: child sees the data, its fills reach the parent, no userfault",
	  case_fork },
	{ "fork with EVENT_FORK: child's fault resolved through its userfaultfd",
	  case_fork_event },
	{ "process killed with a fault pending: cleaned up, COPY -> ESRCH",
	  case_exit_pending },
	{ "open device file holds a module reference",
	  case_module_device_ref },
	{ "object open and mapped: delete_module -> EWOULDBLOCK",
	  case_module_busy_open },
	{ "object fd closed, still mapped: delete_module -> EWOULDBLOCK",
	  case_module_busy_mapped },
	{ "nothing open or mapped: delete_module succeeds",
	  case_module_unload },
	{ "finit_module reloads it: device back, objects fault and fill",
	  case_module_reload },
};

static void report(const char *name, int ret)
{
	char full[256];

	snprintf(full, sizeof(full), "%s: %s", mt->name, name);
	uffd_report(full, ret, why);
}

static void print_usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-t rustmem|testmem] [-m PATH_TO_KO]\n",
		prog);
	exit(KSFT_FAIL);
}

int main(int argc, char *argv[])
{
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO };
	struct uffdio_api api = { .api = UFFD_API };
	const char *type = "rustmem";
	unsigned int i;
	int opt, fd;

	while ((opt = getopt(argc, argv, "t:m:h")) != -1) {
		switch (opt) {
		case 't':
			type = optarg;
			break;
		case 'm':
			ko_path = optarg;
			break;
		default:
			print_usage(argv[0]);
		}
	}
	for (i = 0; i < ARRAY_SIZE(memtypes); i++)
		if (!strcmp(type, memtypes[i].name))
			mt = &memtypes[i];
	if (!mt)
		print_usage(argv[0]);

	ksft_print_header();
	ps = sysconf(_SC_PAGESIZE);
	if (access(mt->dev, R_OK | W_OK))
		ksft_exit_skip("%s: %s: %s (load %s.ko)\n", mt->name, mt->dev,
			       strerror(errno), mt->module);
	fd = uffd_open(O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		ksft_exit_skip("userfaultfd not available: %s\n",
			       strerror(errno));
	if (ioctl(fd, UFFDIO_API, &api))
		ksft_exit_fail_msg("UFFDIO_API: %s\n", strerror(errno));
	avail_features = api.features;
	close(fd);
	if (sigaction(SIGBUS, &sa, NULL))
		ksft_exit_fail_msg("sigaction: %s\n", strerror(errno));

	ksft_set_plan(ARRAY_SIZE(fault_cases) + ARRAY_SIZE(cases));
	ksft_print_msg("memory type %s (%s, module %s), page size %zu, features %#llx, -m %s\n",
		       mt->name, mt->dev, mt->module, ps, avail_features,
		       ko_path ? ko_path : "not given");
	/* the table first: the module cases, which unload it, come last */
	for (i = 0; i < ARRAY_SIZE(fault_cases); i++) {
		why[0] = '\0';
		report(fault_cases[i].name, run_fault_case(&fault_cases[i]));
	}
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		why[0] = '\0';
		report(cases[i].name, cases[i].fn());
	}
	ksft_finished();
}
