// SPDX-License-Identifier: GPL-2.0

//! Userfaultfd support for memory types written in Rust.
//!
//! A memory type hands out memory objects: files whose pages live in the page cache of an inode
//! of their own, like a memfd. Userspace maps an object (shared, so that two mappings see the
//! same pages, or private), and may register the mappings with userfaultfd in the modes that the
//! type admits:
//!
//! - `MISSING`: a fault on a hole is reported to userspace, which resolves it with
//!   `UFFDIO_COPY` or `UFFDIO_ZEROPAGE`;
//! - `MINOR`: a fault on a page that is in the page cache but not mapped is reported, and
//!   resolved with `UFFDIO_CONTINUE`;
//! - `WP`: write protection, handled by core mm alone.
//!
//! A type is an implementation of [`UffdOps`], which only expresses policy: how to allocate a
//! folio, how to fill one on a plain page fault, and whether to accept a page. This module turns
//! it into the C `struct vm_uffd_ops`, a `struct vm_operations_struct` with a fault handler, and
//! the `struct file_operations` of the objects (mmap, hole punching); it owns the page cache,
//! every reference and lock, and every `unsafe` block. Core mm raises the userfaults and fills
//! the pages, so a driver needs no page table, `struct vm_fault` or `handle_userfault()`.
//!
//! C header: [`include/linux/userfaultfd_k.h`](srctree/include/linux/userfaultfd_k.h)

use crate::{
    alloc::{
        AllocError,
        Flags, //
    },
    bindings,
    error::{
        code::*,
        from_err_ptr,
        Error,
        Result,
        VTABLE_DEFAULT_ERROR, //
    },
    ffi::{
        c_int,
        c_long,
        c_uint,
        c_ulong,
        c_void, //
    },
    fs::{
        file::FileDescriptorReservation,
        File, //
    },
    mm::{
        folio::{
            AddressSpace,
            CachedFolio,
            Init,
            NewFolio,
            OwnedAddressSpace,
            Uninit, //
        },
        virt::{
            flags,
            vm_flags_t,
            VmaNew,
            VmaRef, //
        },
    },
    page::PAGE_SIZE,
    prelude::*,
    sync::aref::ARef,
    types::ForeignOwnable,
    ThisModule,
};
use core::{
    marker::PhantomData,
    ops::BitOr,
    ptr::{
        self,
        NonNull, //
    },
};

/// A set of userfaultfd modes (`VM_UFFD_MISSING`, `VM_UFFD_MINOR`, `VM_UFFD_WP`).
///
/// # Examples
///
/// ```
/// use kernel::mm::userfaultfd::UffdModes;
///
/// const MODES: UffdModes = UffdModes::MISSING.with(UffdModes::WP);
/// assert!(MODES.contains(UffdModes::MISSING));
/// assert!(MODES.contains(UffdModes::NONE));
/// assert!(!MODES.contains(UffdModes::MISSING | UffdModes::MINOR));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct UffdModes(vm_flags_t);

impl UffdModes {
    /// No mode.
    pub const NONE: Self = Self(flags::NONE);

    /// Faults on holes (pages missing from the page cache) are reported to userspace.
    pub const MISSING: Self = Self(flags::UFFD_MISSING);

    /// Faults on pages in the page cache that are not mapped yet are reported to userspace.
    ///
    /// [`UffdModes::NONE`] where the architecture has no minor faults.
    pub const MINOR: Self = Self(flags::UFFD_MINOR);

    /// Write protection.
    pub const WP: Self = Self(flags::UFFD_WP);

    /// Returns the union of `self` and `other`.
    pub const fn with(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Returns whether every mode in `other` is in `self`.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Returns the modes as `VM_UFFD_*` flags.
    pub const fn as_raw(self) -> vm_flags_t {
        self.0
    }
}

impl BitOr for UffdModes {
    type Output = Self;

    fn bitor(self, other: Self) -> Self {
        self.with(other)
    }
}

/// The page of a mapping that a folio is being allocated for.
pub struct PageSite<'a> {
    vma: &'a VmaRef,
    addr: usize,
    index: usize,
}

impl PageSite<'_> {
    /// Returns the index of the page in the memory object, in `PAGE_SIZE` units.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Returns the mapping that the page is being faulted in or filled through.
    pub fn vma(&self) -> &VmaRef {
        self.vma
    }

    /// Returns the address of the page in that mapping.
    pub fn address(&self) -> usize {
        self.addr
    }

    /// Allocates an order-0 folio for the page, following the memory policy of the mapping.
    pub fn alloc_folio(&self, flags: Flags) -> Result<NewFolio<Uninit>, AllocError> {
        NewFolio::alloc_for(flags, self.vma, self.addr)
    }
}

/// The borrowed form of the per-object data of the memory type `T`.
pub type Borrowed<'a, T> = <<T as UffdOps>::Ptr as ForeignOwnable>::Borrowed<'a>;

/// The policy of a memory type with userfaultfd support.
///
/// Each memory object of the type has its own data, a [`UffdOps::Ptr`], which the methods
/// borrow, along with the page index (in `PAGE_SIZE` units from the start of the object)
/// concerned.
///
/// A mode in [`UffdOps::MODES`] needs the methods that serve it: `MISSING` needs
/// [`UffdOps::alloc_folio`] (a type that declares `MISSING` without it does not build). `MINOR`
/// and `WP` need nothing: the page cache lookups behind `MINOR` are this module's, and write
/// protection is core mm's.
///
/// The memory hooks ([`UffdOps::alloc_folio`], [`UffdOps::populate`], [`UffdOps::inserted`])
/// are called with the mmap or VMA lock of the mapping held for read: they may sleep and
/// allocate with `GFP_KERNEL`, but must not access userspace memory (that may fault, and wait
/// for the same locks: a deadlock). [`UffdOps::ioctl`] is called with no lock held, and may.
///
/// # Errors
///
/// An error from a memory hook fails the page fault or the `UFFDIO_COPY`/`UFFDIO_ZEROPAGE` it
/// was called for. A page fault turns it into a signal as `vmf_error()` does: [`ENOMEM`] runs
/// the OOM killer, `EHWPOISON` sends `SIGBUS` for a poisoned page, and every other error sends
/// `SIGBUS`; no error makes the fault retry. So [`ENOMEM`] means that the kernel is out of
/// memory: to refuse a page for a limit of the type's own, use [`ENOSPC`].
///
/// The ioctls return an error of [`UffdOps::inserted`] as it is, and fail with [`ENOMEM`] on
/// any error of [`UffdOps::alloc_folio`] (core mm's hook has no errno). Errors that mean
/// something else to userfaultfd's users ([`EAGAIN`]: retry, [`EEXIST`]: already filled,
/// [`ENOENT`], [`EFAULT`]) should not be used.
///
/// An error of [`UffdOps::ioctl`] is what `ioctl()` returns.
///
/// The page cache is charged to the memory cgroup of the task that faults or calls the ioctl
/// (as `filemap_add_folio()` does), not to the owner of the mapping.
#[vtable]
pub trait UffdOps: Sized + 'static {
    /// The data of one memory object (e.g. `Arc<State>`, `Pin<KBox<State>>`, `()`).
    type Ptr: ForeignOwnable + Send + Sync;

    /// The userfaultfd modes that mappings of the type may be registered in.
    const MODES: UffdModes;

    /// Allocates an order-0 folio for the page `at`.
    ///
    /// Used for `UFFDIO_COPY` and `UFFDIO_ZEROPAGE` (where core mm overwrites every byte of it)
    /// and for plain page faults (followed by [`UffdOps::populate`]). Required for `MISSING`.
    /// Without it, plain page faults allocate with `GFP_HIGHUSER` by the mapping's memory
    /// policy: the mapping has no migration callback, so its folios must not come from movable
    /// memory.
    fn alloc_folio(_this: Borrowed<'_, Self>, _at: &PageSite<'_>) -> Result<NewFolio<Uninit>> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Fills the folio for a plain page fault on page `index`, which is a hole.
    ///
    /// Called when no userfault is raised for the fault (the mapping is not registered for
    /// `MISSING`). The folio comes from [`UffdOps::alloc_folio`]. The default fills it with
    /// zeroes.
    fn populate(
        _this: Borrowed<'_, Self>,
        _index: usize,
        folio: NewFolio<Uninit>,
    ) -> Result<NewFolio<Init>> {
        Ok(folio.zero())
    }

    /// Accepts or refuses a folio that has just been inserted into the page cache at page
    /// `index`, by a page fault or a userfaultfd fill, before anyone can map it.
    ///
    /// An error takes the folio out again and fails the fault or the fill (e.g. [`ENOSPC`] for
    /// a limit on the number of pages). This is a veto, not an account of the pages: a page
    /// accepted here may still leave the page cache without any call (a fill that fails later,
    /// hole punching, the end of the object).
    ///
    /// The folio is locked during the call: looking up page `index` of the same object from
    /// here would wait for ever.
    fn inserted(_this: Borrowed<'_, Self>, _index: usize) -> Result {
        Ok(())
    }

    /// Handles an `ioctl()` on the file descriptor of a memory object, whose data is `this`.
    ///
    /// This is where a driver adds its own operations on its objects; the device that creates
    /// them is the driver's, and [`UffdMemType::data_of`] finds an object's data from a file
    /// descriptor passed to it. 32-bit userspace on a 64-bit kernel gets the same call, with the
    /// argument converted by `compat_ptr_ioctl()`. Without it, an `ioctl()` on an object fails
    /// with [`ENOTTY`].
    fn ioctl(_this: Borrowed<'_, Self>, _file: &File, _cmd: u32, _arg: usize) -> Result<isize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// A memory type: creates memory objects with userfaultfd support, following the policy `T`.
///
/// It holds the `struct file_operations` of the objects, whose `owner` is the module that
/// implements `T`: every object, and so every mapping of it, keeps that module loaded. It is
/// meant to live in a `static` of that module.
///
/// # Examples
///
/// ```
/// use kernel::mm::folio::{NewFolio, Uninit};
/// use kernel::mm::userfaultfd::{PageSite, UffdMemType, UffdModes, UffdOps};
/// use kernel::{page::PAGE_SIZE, sync::{Arc, ArcBorrow}, ThisModule};
/// use core::sync::atomic::{AtomicUsize, Ordering};
///
/// struct Limited;
///
/// #[vtable]
/// impl UffdOps for Limited {
///     type Ptr = Arc<AtomicUsize>;
///     const MODES: UffdModes = UffdModes::MISSING.with(UffdModes::MINOR);
///
///     fn alloc_folio(
///         _left: ArcBorrow<'_, AtomicUsize>,
///         at: &PageSite<'_>,
///     ) -> Result<NewFolio<Uninit>> {
///         Ok(at.alloc_folio(GFP_HIGHUSER)?)
///     }
///
///     // At most so many pages are ever filled.
///     fn inserted(left: ArcBorrow<'_, AtomicUsize>, _index: usize) -> Result {
///         left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
///             .map(|_| ())
///             .map_err(|_| ENOSPC)
///     }
/// }
///
/// # // SAFETY: Doctests are built into the kernel, whose `THIS_MODULE` is `NULL`.
/// # static THIS_MODULE: ThisModule = unsafe { ThisModule::from_ptr(core::ptr::null_mut()) };
/// static MEMTYPE: UffdMemType<Limited> = UffdMemType::new(c"[doctest_uffd_mem]", &THIS_MODULE);
///
/// let left = Arc::new(AtomicUsize::new(2), GFP_KERNEL)?;
/// let obj = MEMTYPE.create(3 * PAGE_SIZE as u64 - 1, left.clone())?;
/// assert_eq!(obj.size(), 3 * PAGE_SIZE as u64);
/// assert_eq!(MEMTYPE.create(0, left.clone()).err(), Some(EINVAL));
///
/// // The object's data, found again from its file.
/// let data = MEMTYPE.data_of(obj.file()).ok_or(EINVAL)?;
/// assert_eq!(data.load(Ordering::Relaxed), 2);
///
/// // Populate page 1 from the kernel, find it again.
/// let mapping = obj.address_space();
/// assert!(mapping.lock_folio(1).is_none());
/// let mut folio = NewFolio::zeroed(GFP_HIGHUSER)?;
/// folio.write(0, b"data")?;
/// let inserted = mapping.insert(1, folio, GFP_KERNEL)?;
/// assert!(inserted.test_uptodate() && inserted.test_locked());
/// let raw = inserted.as_ptr();
/// drop(inserted);
/// let found = mapping.lock_folio(1).ok_or(ENOENT)?;
/// assert!(found.as_ptr() == raw && found.is_at(mapping, 1));
/// drop(found);
///
/// // One folio per index, none past the end.
/// let folio = NewFolio::zeroed(GFP_HIGHUSER)?;
/// assert_eq!(mapping.insert(1, folio, GFP_KERNEL).err(), Some(EEXIST));
/// let folio = NewFolio::zeroed(GFP_HIGHUSER)?;
/// assert_eq!(mapping.insert(3, folio, GFP_KERNEL).err(), Some(EINVAL));
///
/// // Remove page 1; a folio of another page cache is refused.
/// mapping.remove(mapping.lock_folio(1).ok_or(ENOENT)?)?;
/// assert!(mapping.lock_folio(1).is_none());
/// let other = MEMTYPE.create(PAGE_SIZE as u64, left)?;
/// let theirs = other.address_space().insert(0, NewFolio::zeroed(GFP_HIGHUSER)?, GFP_KERNEL)?;
/// assert_eq!(mapping.remove(theirs), Err(EINVAL));
/// # Ok::<(), Error>(())
/// ```
///
/// # Invariants
///
/// `fops` are private to this object: every file whose `f_op` is `&self.fops` was created by
/// [`UffdMemType::create`], with the object's `T::Ptr` in its `private_data` and in its inode's
/// `i_private`.
pub struct UffdMemType<T: UffdOps> {
    fops: bindings::file_operations,
    name: &'static CStr,
    _t: PhantomData<T>,
}

// SAFETY: The file operations are never changed after construction, and `create` may be called
// from any thread.
unsafe impl<T: UffdOps> Sync for UffdMemType<T> {}

impl<T: UffdOps> UffdMemType<T> {
    /// Creates a memory type.
    ///
    /// `name` is the name of the objects' files (e.g. in `/proc/self/maps`); `module` must be
    /// the module that implements `T` (`&THIS_MODULE`).
    pub const fn new(name: &'static CStr, module: &'static ThisModule) -> Self {
        Self {
            fops: bindings::file_operations {
                owner: module.as_ptr(),
                mmap: Some(VTable::<T>::mmap),
                fallocate: Some(object_fallocate),
                release: Some(VTable::<T>::release),
                unlocked_ioctl: if T::HAS_IOCTL {
                    Some(VTable::<T>::ioctl)
                } else {
                    None
                },
                #[cfg(CONFIG_COMPAT)]
                compat_ioctl: if T::HAS_IOCTL {
                    bindings::compat_ptr_ioctl
                } else {
                    None
                },
                ..pin_init::zeroed()
            },
            name,
            _t: PhantomData,
        }
    }

    /// Creates a memory object of `size` bytes, rounded up to whole pages, with `data` as its
    /// data.
    ///
    /// Fails with [`EINVAL`] if `size` is zero or too large for a file.
    pub fn create(&'static self, size: u64, data: T::Ptr) -> Result<UffdObject<T>> {
        let page_size = PAGE_SIZE as u64;
        if size == 0 || size > (i64::MAX as u64) / page_size * page_size {
            return Err(EINVAL);
        }
        let data = data.into_foreign();
        match create_file(
            self.name,
            &self.fops,
            data,
            size.div_ceil(page_size) * page_size,
        ) {
            // INVARIANT: The file was created with `self.fops`, `data` in `private_data` and
            // `i_private`.
            Ok(file) => Ok(UffdObject {
                file,
                _t: PhantomData,
            }),
            Err(err) => {
                // SAFETY: `data` came from `into_foreign` above and was not handed to anyone.
                drop(unsafe { T::Ptr::from_foreign(data) });
                Err(err)
            }
        }
    }

    /// Returns the data of the memory object whose file is `file`, if it is an object of this
    /// type.
    ///
    /// This lets a driver find its object again from a file descriptor userspace passes it.
    pub fn data_of<'a>(&'static self, file: &'a File) -> Option<Borrowed<'a, T>> {
        // SAFETY: The file is valid for `'a`; its operations never change.
        if !ptr::eq(unsafe { (*file.as_ptr()).f_op }, &self.fops) {
            return None;
        }
        // SAFETY: A file with `self.fops` was created by `create`, which put the object's data
        // in `private_data`; only `release`, after the last reference to the file is gone,
        // takes it back.
        Some(unsafe { T::Ptr::borrow((*file.as_ptr()).private_data) })
    }
}

/// Creates the anonymous-inode file of a memory object with `fops` and `data`.
fn create_file(
    name: &'static CStr,
    fops: &'static bindings::file_operations,
    data: *mut c_void,
    size: u64,
) -> Result<ARef<File>> {
    // SAFETY: `name` is a NUL-terminated string and `fops` are valid file operations, both
    // living for `'static`. A `NULL` context inode is allowed.
    let file = unsafe {
        bindings::anon_inode_create_getfile(
            name.as_char_ptr(),
            fops,
            data,
            bindings::O_RDWR as c_int,
            ptr::null(),
        )
    };
    let file = NonNull::new(from_err_ptr(file)?).ok_or(ENOMEM)?;
    // SAFETY: `anon_inode_create_getfile` returned a new file with a reference that we own.
    // No one else knows the file, so there is no `fdget_pos` on it.
    let file: ARef<File> = unsafe { ARef::from_raw(file.cast()) };
    // SAFETY: The file is valid, and so is its inode.
    let inode = unsafe { bindings::file_inode(file.as_ptr()) };
    // SAFETY: The inode is new and ours: it is not in use yet (the file is not installed
    // anywhere), so we may set it up. `release` frees `data` (the file's `private_data`) when
    // the file goes away, after which nothing can access `i_private`.
    unsafe {
        (*inode).i_private = data;
        // A regular file, for `fallocate()` and `MADV_REMOVE`, like a memfd.
        (*inode).i_mode |= bindings::S_IFREG as bindings::umode_t;
        // RAM only: there is nowhere to write the pages back to.
        bindings::mapping_set_unevictable((*inode).i_mapping);
        bindings::i_size_write(inode, size as i64);
    }
    Ok(file)
}

/// A memory object of the memory type implemented by `T`.
///
/// # Invariants
///
/// `file` was created by [`UffdMemType::create`]: its `private_data` and its inode's `i_private`
/// hold the object's `T::Ptr` (in its foreign form), which lives as long as the file.
pub struct UffdObject<T: UffdOps> {
    file: ARef<File>,
    _t: PhantomData<T>,
}

impl<T: UffdOps> UffdObject<T> {
    fn object(&self) -> Object<'_, T> {
        // SAFETY: The file, and so its inode, is valid for as long as `self`, and by the type
        // invariants it was created by `UffdMemType<T>`.
        unsafe { Object::from_inode(bindings::file_inode(self.file.as_ptr())) }
    }

    /// Returns the file of the object.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Returns the data of the object.
    pub fn data(&self) -> Borrowed<'_, T> {
        self.object().data()
    }

    /// Returns the page cache that holds the pages of the object.
    pub fn address_space(&self) -> &OwnedAddressSpace {
        self.object().mapping
    }

    /// Returns the size of the object in bytes.
    pub fn size(&self) -> u64 {
        self.address_space().size()
    }

    /// Installs the file of the object as a new file descriptor of the current task, with file
    /// descriptor `flags` (e.g. `O_CLOEXEC`), and returns the file descriptor.
    pub fn into_fd(self, flags: u32) -> Result<u32> {
        let reservation = FileDescriptorReservation::get_unused_fd_flags(flags)?;
        let fd = reservation.reserved_fd();
        reservation.fd_install(self.file);
        Ok(fd)
    }
}

/// What a page fault found at a page index.
enum Lookup<'a> {
    /// The folio, locked.
    Found(CachedFolio<'a>),
    /// A hole, left for userspace to fill (the mapping is registered for `MISSING`).
    Absent,
    /// The index is beyond the end of the object.
    Beyond,
}

/// The parts of a memory object that the callbacks work with.
struct Object<'a, T: UffdOps> {
    data: *mut c_void,
    mapping: &'a OwnedAddressSpace,
    _t: PhantomData<T>,
}

impl<'a, T: UffdOps> Object<'a, T> {
    /// # Safety
    ///
    /// `inode` must be the inode of a file created by [`UffdMemType::create`] for `T`, and a
    /// reference to that file must be held for `'a`.
    unsafe fn from_inode(inode: *mut bindings::inode) -> Self {
        // SAFETY: The inode is valid for `'a`. It is an anonymous inode without backing store,
        // whose page cache only this module (and core mm on its behalf) fills.
        let mapping = unsafe { OwnedAddressSpace::from_raw((*inode).i_mapping) };
        Self {
            // SAFETY: The inode is valid for `'a`.
            data: unsafe { (*inode).i_private },
            mapping,
            _t: PhantomData,
        }
    }

    /// # Safety
    ///
    /// `vma` must be a valid VMA, locked (mmap or VMA lock) for `'a`, that maps a file created
    /// by [`UffdMemType::create`] for `T`.
    unsafe fn from_vma(vma: *const bindings::vm_area_struct) -> Self {
        // SAFETY: The VMA holds a reference to its file as long as it exists, and the lock held
        // keeps it from going away for `'a`.
        unsafe { Self::from_inode(bindings::file_inode((*vma).vm_file)) }
    }

    fn data(&self) -> Borrowed<'a, T> {
        // SAFETY: By the safety requirements of the constructors, `i_private` holds the
        // object's data, which `release` frees only after the last reference to the file, held
        // for `'a`, is gone.
        unsafe { T::Ptr::borrow(self.data) }
    }

    /// Looks up page `index` for a page fault through `vma` at `addr`, populating it if it is a
    /// hole, unless `missing` (registered for `MISSING`): then a hole is for userspace to fill.
    ///
    /// The caller holds the invalidate lock, so no hole can be punched meanwhile.
    fn fault_in(
        &self,
        vma: &VmaRef,
        addr: usize,
        index: usize,
        missing: bool,
    ) -> Result<Lookup<'a>> {
        if index >= self.mapping.nr_pages() {
            return Ok(Lookup::Beyond);
        }
        loop {
            if let Some(folio) = self.mapping.lock_folio(index) {
                return Ok(Lookup::Found(folio));
            }
            if missing {
                // Core mm raises the userfault when the fault is retried.
                return Ok(Lookup::Absent);
            }
            let at = PageSite { vma, addr, index };
            let folio = if T::HAS_ALLOC_FOLIO {
                T::alloc_folio(self.data(), &at)?
            } else {
                at.alloc_folio(GFP_HIGHUSER)?
            };
            let folio = T::populate(self.data(), index, folio)?;
            match self.mapping.insert(index, folio, GFP_KERNEL) {
                Ok(folio) => {
                    if let Err(err) = T::inserted(self.data(), index) {
                        // It is ours and locked, so it is in this page cache.
                        let _ = self.mapping.remove(folio);
                        return Err(err);
                    }
                    return Ok(Lookup::Found(folio));
                }
                // Someone else populated the page meanwhile: use theirs.
                Err(err) if err == EEXIST => continue,
                Err(err) => return Err(err),
            }
        }
    }
}

/// The `vm_fault_t` for an error of a page fault, as `vmf_error()` computes it.
///
/// Never `VM_FAULT_NOPAGE` (retry): an error must end the fault.
fn fault_error(err: Error) -> bindings::vm_fault_t {
    if err == ENOMEM {
        bindings::vm_fault_reason_VM_FAULT_OOM
    } else if err.to_errno() == -(bindings::EHWPOISON as c_int) {
        bindings::vm_fault_reason_VM_FAULT_HWPOISON
    } else {
        bindings::vm_fault_reason_VM_FAULT_SIGBUS
    }
}

/// Holds the invalidate lock of an address space for read: no hole can be punched meanwhile.
struct InvalidateShared<'a>(&'a AddressSpace);

impl<'a> InvalidateShared<'a> {
    fn lock(mapping: &'a AddressSpace) -> Self {
        // SAFETY: The mapping is valid for `'a`.
        unsafe { bindings::filemap_invalidate_lock_shared(mapping.as_ptr()) };
        Self(mapping)
    }
}

impl Drop for InvalidateShared<'_> {
    fn drop(&mut self) {
        // SAFETY: We took the lock in `lock`.
        unsafe { bindings::filemap_invalidate_unlock_shared(self.0.as_ptr()) };
    }
}

/// Punches holes (`fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)`, `MADV_REMOVE`).
///
/// # Safety
///
/// `file` must be a valid file created by [`UffdMemType::create`].
unsafe extern "C" fn object_fallocate(
    file: *mut bindings::file,
    mode: c_int,
    offset: bindings::loff_t,
    len: bindings::loff_t,
) -> c_long {
    if mode as u32 != bindings::FALLOC_FL_PUNCH_HOLE | bindings::FALLOC_FL_KEEP_SIZE {
        return -(bindings::EOPNOTSUPP as c_long);
    }
    // `vfs_fallocate()` checked that `offset >= 0`, `len > 0` and that the range fits `loff_t`.
    // SAFETY: The caller holds a reference to the file for the duration of the call.
    let inode = unsafe { bindings::file_inode(file) };
    // SAFETY: The inode is valid, and has no backing store that the removal of the folios would
    // have to be coordinated with. The inode lock keeps the size stable; the invalidate lock
    // keeps page faults from populating the range while it is truncated.
    unsafe {
        let mapping = (*inode).i_mapping;
        bindings::inode_lock(inode);
        bindings::filemap_invalidate_lock(mapping);
        bindings::truncate_pagecache_range(inode, offset, offset + len - 1);
        bindings::filemap_invalidate_unlock(mapping);
        bindings::inode_unlock(inode);
    }
    0
}

/// Takes a folio that `filemap_add_folio()` just inserted out of the page cache again, leaving
/// it unlocked, in no page cache, with the caller's reference.
///
/// # Safety
///
/// `folio` must be locked, in a page cache, and not mapped.
unsafe fn unadd_folio(folio: *mut bindings::folio) {
    // SAFETY: The caller guarantees the state `filemap_remove_folio` needs.
    unsafe {
        bindings::filemap_remove_folio(folio);
        bindings::folio_unlock(folio);
    }
}

/// The C callbacks of the memory type implemented by `T`.
struct VTable<T: UffdOps>(PhantomData<T>);

impl<T: UffdOps> VTable<T> {
    const UFFD_OPS: bindings::vm_uffd_ops = {
        assert!(
            T::HAS_ALLOC_FOLIO || !T::MODES.contains(UffdModes::MISSING),
            "UffdOps: the MISSING mode needs alloc_folio"
        );
        bindings::vm_uffd_ops {
            can_userfault: Some(Self::can_userfault),
            get_folio_noalloc: Some(Self::get_folio_noalloc),
            alloc_folio: if T::HAS_ALLOC_FOLIO {
                Some(Self::alloc_folio)
            } else {
                None
            },
            filemap_add: if T::HAS_ALLOC_FOLIO {
                Some(Self::filemap_add)
            } else {
                None
            },
            // Core mm undoes a plain `filemap_add_folio()` itself.
            filemap_remove: None,
        }
    };

    const VM_OPS: bindings::vm_operations_struct = bindings::vm_operations_struct {
        fault: Some(Self::fault),
        // Maps what the page cache already holds around a fault, and lets `fault` run under
        // the per-VMA lock instead of being retried under mmap_lock. Core mm turns it off for
        // MINOR and WP registrations, where every fault must reach userfaultfd.
        map_pages: Some(bindings::filemap_map_pages),
        uffd_ops: &Self::UFFD_OPS,
        ..pin_init::zeroed()
    };

    /// # Safety
    ///
    /// `file` must be a file created by [`UffdMemType::create`] for `T`, and `vma` a VMA that
    /// is being set up to map it.
    unsafe extern "C" fn mmap(
        _file: *mut bindings::file,
        vma: *mut bindings::vm_area_struct,
    ) -> c_int {
        // SAFETY: The VMA is being set up in `f_op->mmap`.
        let vma = unsafe { VmaNew::from_raw(vma) };
        // SAFETY: The operations' callbacks expect `vm_file` to be a file created by
        // `UffdMemType::create` for `T`, which it is.
        unsafe { vma.set_vm_ops(&Self::VM_OPS) };
        0
    }

    /// # Safety
    ///
    /// `file` must be a file created by [`UffdMemType::create`] for `T`, on which the caller
    /// holds a reference for the duration of the call.
    unsafe extern "C" fn ioctl(file: *mut bindings::file, cmd: c_uint, arg: c_ulong) -> c_long {
        // SAFETY: `create` put the object's data in `private_data`, which `release` takes back
        // only after the last reference to the file, and the caller holds one.
        let data = unsafe { T::Ptr::borrow((*file).private_data) };
        // SAFETY: The file is valid for the duration of the call. `fdget_pos()` takes
        // `f_pos_lock` only for `FMODE_ATOMIC_POS` files, which anonymous inode files are not;
        // but these files have no `read`, `write` or `llseek` operation, so nothing uses their
        // position, and a `&File` gives no access to it.
        let file = unsafe { File::from_raw_file(file) };
        match T::ioctl(data, file, cmd, arg) {
            Ok(ret) => ret as c_long,
            Err(err) => err.to_errno() as c_long,
        }
    }

    /// # Safety
    ///
    /// `file` must be a file created by [`UffdMemType::create`] for `T` that is being released.
    unsafe extern "C" fn release(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: `create` set both `private_data` and the inode's `i_private` to the object's
        // data. This is the last use of the file, the only file of the inode: no mapping, file
        // descriptor or callback uses the data any more, so we may free it.
        unsafe {
            let data = T::Ptr::from_foreign((*file).private_data);
            (*inode).i_private = ptr::null_mut();
            drop(data);
        }
        0
    }

    /// # Safety
    ///
    /// `vmf` must be a valid page fault on a VMA set up by [`VTable::mmap`], with the mmap or
    /// VMA lock held for read.
    unsafe extern "C" fn fault(vmf: *mut bindings::vm_fault) -> bindings::vm_fault_t {
        // SAFETY: `vmf` is valid.
        let (vma, pgoff, addr) = unsafe {
            let f = &(*vmf).__bindgen_anon_1;
            (f.vma, f.pgoff, f.address)
        };
        // SAFETY: The VMA is locked for the duration of the fault, and `mmap` only sets these
        // operations on VMAs that map files created by `UffdMemType::create` for `T`.
        let obj = unsafe { Object::<T>::from_vma(vma) };
        // SAFETY: The VMA is valid and locked for the duration of the fault.
        let vma = unsafe { VmaRef::from_raw(vma) };
        // On a VMA registered for MISSING, core mm (`uffd_ops_fault()`) raises the userfault for
        // a hole and does not call us, so no hole is expected here. Should one be found, it is
        // still userspace's to fill: it is left to the retried fault, never populated.
        let missing = vma.flags() & flags::UFFD_MISSING != 0;
        let _invalidate = InvalidateShared::lock(obj.mapping);
        match obj.fault_in(vma, addr, pgoff, missing) {
            Ok(Lookup::Found(folio)) => {
                // SAFETY: The folio is valid and holds `pgoff`.
                let page = unsafe { bindings::folio_file_page(folio.as_ptr(), pgoff) };
                // SAFETY: `vmf` is valid. With `VM_FAULT_LOCKED`, the page is returned locked
                // and with a reference for the caller, which the folio's lock and reference
                // become.
                unsafe { (*vmf).page = page };
                folio.into_raw();
                bindings::vm_fault_reason_VM_FAULT_LOCKED
            }
            Ok(Lookup::Absent) => bindings::vm_fault_reason_VM_FAULT_NOPAGE,
            Ok(Lookup::Beyond) => bindings::vm_fault_reason_VM_FAULT_SIGBUS,
            Err(err) => fault_error(err),
        }
    }

    /// # Safety
    ///
    /// `vma` must be a VMA set up by [`VTable::mmap`].
    unsafe extern "C" fn can_userfault(
        _vma: *mut bindings::vm_area_struct,
        vm_flags: vm_flags_t,
    ) -> bool {
        // Only the modes the type declares: a mode added to core mm later is refused.
        vm_flags & !T::MODES.as_raw() == 0
    }

    /// # Safety
    ///
    /// `inode` must be the inode of the file of a VMA set up by [`VTable::mmap`], which is
    /// locked (mmap or VMA lock).
    unsafe extern "C" fn get_folio_noalloc(
        inode: *mut bindings::inode,
        pgoff: c_ulong,
    ) -> *mut bindings::folio {
        // SAFETY: The VMA holds a reference to the file and is locked for the call.
        let obj = unsafe { Object::<T>::from_inode(inode) };
        match obj.mapping.lock_folio(pgoff) {
            // The caller takes over the lock and the reference. A folio a truncation has not
            // removed yet may lie beyond the end: core mm checks the size again under the page
            // table lock before it maps anything (and a fault checks it before the lookup).
            Some(folio) => folio.into_raw().as_ptr(),
            // Beyond the end of the object, as shmem says it. Checked only when there is no
            // folio, so that the lookup that finds one (UFFDIO_CONTINUE) does not pay for it.
            None if pgoff >= obj.mapping.nr_pages() => EINVAL.to_ptr(),
            None => ENOENT.to_ptr(),
        }
    }

    /// # Safety
    ///
    /// `vma` must be a VMA set up by [`VTable::mmap`], locked (mmap or VMA lock), and `addr` an
    /// address in it.
    unsafe extern "C" fn alloc_folio(
        vma: *mut bindings::vm_area_struct,
        addr: c_ulong,
    ) -> *mut bindings::folio {
        // SAFETY: The VMA is valid and locked for the call, and maps one of our files.
        let obj = unsafe { Object::<T>::from_vma(vma) };
        // SAFETY: The VMA is valid.
        let index = unsafe { bindings::linear_page_index(vma, addr) };
        let at = PageSite {
            // SAFETY: The VMA is valid and locked for the call.
            vma: unsafe { VmaRef::from_raw(vma) },
            addr,
            index,
        };
        match T::alloc_folio(obj.data(), &at) {
            // The caller takes over the folio: it is order-0, unlocked, in no page cache, and
            // has one reference. Core mm writes every byte of it before anyone can see it.
            Ok(folio) => folio.into_raw().as_ptr(),
            // Core mm's hook returns a folio or NULL, which fails the ioctl with -ENOMEM.
            Err(_) => ptr::null_mut(),
        }
    }

    /// # Safety
    ///
    /// `vma` must be a VMA set up by [`VTable::mmap`], locked (mmap or VMA lock), `addr` an
    /// address in it, and `folio` a folio from [`VTable::alloc_folio`] that is unlocked and in
    /// no page cache, and on which the caller holds a reference.
    unsafe extern "C" fn filemap_add(
        folio: *mut bindings::folio,
        vma: *mut bindings::vm_area_struct,
        addr: c_ulong,
    ) -> c_int {
        // SAFETY: The VMA is valid and locked for the call, and maps one of our files.
        let obj = unsafe { Object::<T>::from_vma(vma) };
        // SAFETY: The VMA is valid.
        let index = unsafe { bindings::linear_page_index(vma, addr) };
        // SAFETY: The page cache is valid, and the folio is as `filemap_add_folio` wants it.
        // This charges the folio, locks it, inserts it and puts it on the LRU.
        let ret = unsafe {
            bindings::filemap_add_folio(obj.mapping.as_ptr(), folio, index, GFP_KERNEL.as_raw())
        };
        if ret != 0 {
            return ret;
        }
        if let Err(err) = T::inserted(obj.data(), index) {
            // SAFETY: We just inserted the folio: it is locked and not mapped yet.
            unsafe { unadd_folio(folio) };
            return err.to_errno();
        }
        0
    }
}

#[cfg(CONFIG_KUNIT)]
#[macros::kunit_tests(rust_mm_userfaultfd)]
mod tests {
    use super::*;
    use crate::{
        sync::{
            Arc,
            ArcBorrow, //
        },
        uaccess::{
            UserPtr,
            UserSlice, //
        },
    };

    /// Which hook of [`Failing`] fails.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Hook {
        None,
        AllocFolio,
        Populate,
        Inserted,
    }

    /// A memory type whose hook `.0` fails with the error `.1`.
    struct Failing;

    #[vtable]
    impl UffdOps for Failing {
        type Ptr = Arc<(Hook, Error)>;
        const MODES: UffdModes = UffdModes::MISSING;

        fn alloc_folio(
            f: ArcBorrow<'_, (Hook, Error)>,
            at: &PageSite<'_>,
        ) -> Result<NewFolio<Uninit>> {
            if f.0 == Hook::AllocFolio {
                return Err(f.1);
            }
            Ok(at.alloc_folio(GFP_HIGHUSER)?)
        }

        fn populate(
            f: ArcBorrow<'_, (Hook, Error)>,
            _index: usize,
            folio: NewFolio<Uninit>,
        ) -> Result<NewFolio<Init>> {
            if f.0 == Hook::Populate {
                return Err(f.1);
            }
            Ok(folio.zero())
        }

        fn inserted(f: ArcBorrow<'_, (Hook, Error)>, _index: usize) -> Result {
            if f.0 == Hook::Inserted {
                return Err(f.1);
            }
            Ok(())
        }
    }

    // SAFETY: The test is built into the kernel, whose `THIS_MODULE` is `NULL`.
    static THIS_MODULE: ThisModule = unsafe { ThisModule::from_ptr(ptr::null_mut()) };
    static FAILING: UffdMemType<Failing> = UffdMemType::new(c"[kunit_uffd_mem]", &THIS_MODULE);

    /// Reads page 0 of a new one-page object of [`Failing`] through a shared mapping in the
    /// test's own mm, with the read fault that takes. Returns the result of the read (`EFAULT`
    /// if the fault failed) and whether page 0 is in the page cache afterwards.
    fn read_page0(hook: Hook, err: Error) -> Result<(Result, bool)> {
        let obj = FAILING.create(PAGE_SIZE as u64, Arc::new((hook, err), GFP_KERNEL)?)?;
        // SAFETY: A KUnit test case is running: the test exists until it ends. The mapping
        // takes a reference to the file, and goes with the mm the test attaches for it, when
        // the test ends.
        let addr = unsafe {
            bindings::kunit_vm_mmap(
                bindings::kunit_get_current_test(),
                obj.file().as_ptr(),
                0,
                PAGE_SIZE as c_ulong,
                (bindings::PROT_READ | bindings::PROT_WRITE) as c_ulong,
                bindings::MAP_SHARED as c_ulong,
                0,
            )
        } as usize;
        // 0 if the resource could not be set up, `-errno` if `vm_mmap()` failed.
        if addr == 0 {
            return Err(ENOMEM);
        }
        if addr >= (bindings::MAX_ERRNO as usize).wrapping_neg() {
            return Err(Error::from_errno(addr as isize as c_int));
        }
        let mut byte = [0u8; 1];
        let read = UserSlice::new(UserPtr::from_addr(addr), 1)
            .reader()
            .read_slice(&mut byte);
        Ok((read, obj.address_space().lock_folio(0).is_some()))
    }

    /// A driver hook's error ends a real fault, which fails: no errno, `ENOENT` included, makes
    /// it retry for ever (the read would never return), and the page is left a hole.
    /// [`fault_errors_end_the_fault`] checks which signal each error becomes.
    #[test]
    fn driver_errors_end_a_real_fault() -> Result {
        assert_eq!(read_page0(Hook::None, ENOENT)?, (Ok(()), true));
        for (hook, err) in [
            (Hook::AllocFolio, ENOENT),
            (Hook::AllocFolio, ENOMEM),
            (Hook::Populate, ENOENT),
            (Hook::Populate, EAGAIN),
            (Hook::Inserted, ENOENT),
            (Hook::Inserted, ENOSPC),
            (Hook::Inserted, ENOMEM),
        ] {
            assert_eq!(read_page0(hook, err)?, (Err(EFAULT), false));
        }
        Ok(())
    }

    /// No error, in particular none a driver's hook returns, makes a fault retry.
    #[test]
    fn fault_errors_end_the_fault() {
        assert_eq!(fault_error(ENOMEM), bindings::vm_fault_reason_VM_FAULT_OOM);
        assert_eq!(
            fault_error(Error::from_errno(-(bindings::EHWPOISON as c_int))),
            bindings::vm_fault_reason_VM_FAULT_HWPOISON
        );
        assert_eq!(
            fault_error(ENOENT),
            bindings::vm_fault_reason_VM_FAULT_SIGBUS
        );
        assert_eq!(
            fault_error(EAGAIN),
            bindings::vm_fault_reason_VM_FAULT_SIGBUS
        );
        for errno in 1..bindings::MAX_ERRNO as c_int {
            let reason = fault_error(Error::from_errno(-errno));
            assert_ne!(reason, bindings::vm_fault_reason_VM_FAULT_NOPAGE);
            assert_ne!(reason, bindings::vm_fault_reason_VM_FAULT_RETRY);
        }
    }
}
