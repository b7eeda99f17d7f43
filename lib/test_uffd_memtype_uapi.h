/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interface of the userfaultfd test memory type (lib/test_uffd_memtype.c),
 * shared with tools/testing/selftests/mm.
 */
#ifndef _LIB_TEST_UFFD_MEMTYPE_UAPI_H
#define _LIB_TEST_UFFD_MEMTYPE_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define UFFD_TEST_MEMTYPE_DEV	"/dev/uffd_test_memtype"

/*
 * Create a memory object of the given size (bytes, rounded up to pages,
 * passed by value as the ioctl argument); returns a new file descriptor
 * to mmap() it, shared or private.
 */
#define UFFD_TEST_MEMTYPE_CREATE	_IOW('u', 0x80, __u64)

/*
 * The same, for an object whose mappings have a ->page_mkwrite(), as a
 * memory type with a backing store would: userfaultfd refuses it.
 */
#define UFFD_TEST_MEMTYPE_CREATE_MKWRITE	_IOW('u', 0x81, __u64)

#endif /* _LIB_TEST_UFFD_MEMTYPE_UAPI_H */
