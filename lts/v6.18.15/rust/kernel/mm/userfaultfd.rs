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
//! folio, how to fill one on a plain page fault, and optional notifications. This module turns it
//! into the C `struct vm_uffd_ops`, a `struct vm_operations_struct` with a fault handler, and
//! the `struct file_operations` of the objects (mmap, hole punching); it owns the page cache,
//! every reference and lock, and every `unsafe` block. Core mm raises the userfaults and fills
//! the pages, so a driver needs no page table, `struct vm_fault` or `handle_userfault()`.
//!
//! C header: [`include/linux/userfaultfd_k.h`](srctree/include/linux/userfaultfd_k.h)

use crate::{
    bindings,
    error::{code::*, from_err_ptr, Error, Result, VTABLE_DEFAULT_ERROR},
    ffi::{c_int, c_long, c_ulong},
    fs::{file::FileDescriptorReservation, File},
    init::InPlaceInit,
    mm::folio::{CachedFolio, NewFolio, PageCache},
    page::{PAGE_SHIFT, PAGE_SIZE},
    prelude::*,
    str::CStr,
    sync::aref::ARef,
    types::ForeignOwnable,
    ThisModule,
};
use core::{
    marker::PhantomData,
    mem::MaybeUninit,
    ops::BitOr,
    ptr::{self, NonNull},
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
pub struct UffdModes(bindings::vm_flags_t);

impl UffdModes {
    /// No mode.
    pub const NONE: Self = Self(0);

    /// Faults on holes (pages missing from the page cache) are reported to userspace.
    pub const MISSING: Self = Self(bindings::VM_UFFD_MISSING as bindings::vm_flags_t);

    /// Faults on pages in the page cache that are not mapped yet are reported to userspace.
    pub const MINOR: Self = Self(bindings::VM_UFFD_MINOR);

    /// Write protection.
    pub const WP: Self = Self(bindings::VM_UFFD_WP as bindings::vm_flags_t);

    /// Returns the union of `self` and `other`.
    pub const fn with(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Returns whether every mode in `other` is in `self`.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Returns the modes as `VM_UFFD_*` flags.
    pub const fn as_raw(self) -> bindings::vm_flags_t {
        self.0
    }
}

impl BitOr for UffdModes {
    type Output = Self;

    fn bitor(self, other: Self) -> Self {
        self.with(other)
    }
}

/// The policy of a memory type with userfaultfd support.
///
/// Each memory object of the type has its own [`UffdOps::Data`], passed to every method along
/// with the page index (in `PAGE_SIZE` units from the start of the object) concerned.
///
/// A mode in [`UffdOps::MODES`] needs the methods that serve it: `MISSING` needs
/// [`UffdOps::alloc_folio`] (a type that declares `MISSING` without it does not build). `MINOR`
/// and `WP` need nothing: the page cache lookups behind `MINOR` are this module's, and write
/// protection is core mm's.
///
/// Methods are called with the mmap or VMA lock of the faulting mapping held for read: they may
/// sleep and allocate with `GFP_KERNEL`, but must not access userspace memory.
#[vtable]
pub trait UffdOps: Sized + 'static {
    /// The state of one memory object.
    type Data: Send + Sync + 'static;

    /// The userfaultfd modes that mappings of the type may be registered in.
    const MODES: UffdModes;

    /// Allocates an order-0 folio for page `index`.
    ///
    /// Used for `UFFDIO_COPY` and `UFFDIO_ZEROPAGE` (where core mm overwrites the contents) and
    /// for plain page faults (followed by [`UffdOps::populate`]). Required for `MISSING`. If it
    /// is not provided, plain page faults allocate with `GFP_HIGHUSER`: the mapping has no
    /// migration callback, so its folios must not come from movable memory.
    fn alloc_folio(_data: &Self::Data, _index: usize) -> Result<NewFolio> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Fills the folio for a plain page fault on page `index`, which is a hole.
    ///
    /// Called when no userfault is raised for the fault (the mapping is not registered for
    /// `MISSING`). The folio comes from [`UffdOps::alloc_folio`]. The default fills it with
    /// zeroes; an implementation must write every byte of it.
    fn populate(_data: &Self::Data, _index: usize, folio: &mut NewFolio) -> Result {
        folio.zero();
        Ok(())
    }

    /// Called when a folio has been inserted into the page cache at page `index`, by a page
    /// fault or a userfaultfd fill, before anyone can map it.
    ///
    /// An error takes the folio out again and fails the fault or the fill (e.g. for a limit on
    /// the number of pages).
    fn inserted(_data: &Self::Data, _index: usize) -> Result {
        Ok(())
    }

    /// Called when a userfaultfd fill failed after [`UffdOps::inserted`] succeeded for its
    /// folio, which has been taken out of the page cache again.
    ///
    /// Pages that leave the page cache otherwise (hole punching, the end of the object) are
    /// not notified.
    fn removed(_data: &Self::Data, _index: usize) {}
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
/// use kernel::mm::folio::NewFolio;
/// use kernel::mm::userfaultfd::{UffdMemType, UffdModes, UffdOps};
/// use kernel::{c_str, page::PAGE_SIZE, ThisModule};
/// use core::sync::atomic::{AtomicUsize, Ordering};
///
/// struct Counted;
///
/// #[vtable]
/// impl UffdOps for Counted {
///     type Data = AtomicUsize;
///     const MODES: UffdModes = UffdModes::MISSING.with(UffdModes::MINOR);
///
///     fn alloc_folio(_pages: &AtomicUsize, _index: usize) -> Result<NewFolio> {
///         Ok(NewFolio::alloc(GFP_HIGHUSER)?)
///     }
///
///     fn inserted(pages: &AtomicUsize, _index: usize) -> Result {
///         pages.fetch_add(1, Ordering::Relaxed);
///         Ok(())
///     }
///
///     fn removed(pages: &AtomicUsize, _index: usize) {
///         pages.fetch_sub(1, Ordering::Relaxed);
///     }
/// }
///
/// # // SAFETY: Doctests are built into the kernel, whose `THIS_MODULE` is `NULL`.
/// # static THIS_MODULE: ThisModule = unsafe { ThisModule::from_ptr(core::ptr::null_mut()) };
/// static MEMTYPE: UffdMemType<Counted> =
///     UffdMemType::new(c_str!("[doctest_uffd_mem]"), &THIS_MODULE);
///
/// let obj = MEMTYPE.create(3 * PAGE_SIZE as u64 - 1, AtomicUsize::new(0))?;
/// assert_eq!(obj.size(), 3 * PAGE_SIZE as u64);
/// assert_eq!(obj.data().load(Ordering::Relaxed), 0);
/// assert_eq!(MEMTYPE.create(0, AtomicUsize::new(0)).err(), Some(EINVAL));
///
/// // Populate page 1 from the kernel, find it again.
/// let cache = obj.page_cache();
/// assert!(cache.lock_folio(1).is_none());
/// let mut folio = NewFolio::alloc(GFP_HIGHUSER)?;
/// folio.zero();
/// folio.write(0, b"data")?;
/// let inserted = cache.insert(1, folio, GFP_KERNEL)?;
/// assert!(inserted.test_uptodate() && inserted.test_locked());
/// let raw = inserted.as_ptr();
/// drop(inserted);
/// let found = cache.lock_folio(1).ok_or(ENOENT)?;
/// assert!(found.as_ptr() == raw && found.is_at(cache, 1));
/// drop(found);
///
/// // One folio per index, none past the end.
/// let folio = NewFolio::alloc(GFP_HIGHUSER)?;
/// assert_eq!(cache.insert(1, folio, GFP_KERNEL).err(), Some(EEXIST));
/// let folio = NewFolio::alloc(GFP_HIGHUSER)?;
/// assert_eq!(cache.insert(3, folio, GFP_KERNEL).err(), Some(EINVAL));
///
/// // Punch a hole over page 1, remove page 2 by hand.
/// cache.punch_hole(PAGE_SIZE as u64, PAGE_SIZE as u64)?;
/// assert!(cache.lock_folio(1).is_none());
/// let folio = NewFolio::alloc(GFP_HIGHUSER)?;
/// cache.insert(2, folio, GFP_KERNEL)?.remove();
/// assert!(cache.lock_folio(2).is_none());
/// # Ok::<(), Error>(())
/// ```
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
                fallocate: Some(VTable::<T>::fallocate),
                release: Some(VTable::<T>::release),
                // SAFETY: All zeroes is a valid value for `bindings::file_operations`.
                ..unsafe { MaybeUninit::zeroed().assume_init() }
            },
            name,
            _t: PhantomData,
        }
    }

    /// Creates a memory object of `size` bytes, rounded up to whole pages, with `data` as its
    /// state.
    ///
    /// Fails with [`EINVAL`] if `size` is zero or too large for a file.
    pub fn create<E>(
        &'static self,
        size: u64,
        data: impl PinInit<T::Data, E>,
    ) -> Result<UffdObject<T>>
    where
        Error: From<E>,
    {
        let page_size = PAGE_SIZE as u64;
        if size == 0 || size > (i64::MAX as u64) / page_size * page_size {
            return Err(EINVAL);
        }
        let size = size.div_ceil(page_size) * page_size;
        let data = KBox::pin_init(data, GFP_KERNEL)?.into_foreign();
        // SAFETY: `self.name` is a NUL-terminated string and `self.fops` are valid file
        // operations, both living for `'static`. A `NULL` context inode is allowed.
        let file = unsafe {
            bindings::anon_inode_create_getfile(
                self.name.as_char_ptr(),
                &self.fops,
                data,
                bindings::O_RDWR as c_int,
                ptr::null(),
            )
        };
        let file = match from_err_ptr(file) {
            Ok(file) => file,
            Err(err) => {
                // SAFETY: `data` came from `into_foreign` above and was not handed to anyone.
                drop(unsafe { <Pin<KBox<T::Data>>>::from_foreign(data) });
                return Err(err);
            }
        };
        // SAFETY: `anon_inode_create_getfile` returned a new file with a reference that we own.
        // No one else knows the file, so there is no `fdget_pos` on it.
        let file: ARef<File> = unsafe { ARef::from_raw(NonNull::new_unchecked(file).cast()) };
        // SAFETY: The file is valid, and so is its inode.
        let inode = unsafe { bindings::file_inode(file.as_ptr()) };
        // SAFETY: The inode is new and ours: it is not in use yet (the file is not installed
        // anywhere), so we may set it up. `release` frees `data` (the file's `private_data`)
        // when the file goes away, after which nothing can access `i_private`.
        unsafe {
            (*inode).i_private = data;
            // A regular file, for `fallocate()` and `MADV_REMOVE`, like a memfd.
            (*inode).i_mode |= bindings::S_IFREG as bindings::umode_t;
            // RAM only: there is nowhere to write the pages back to.
            bindings::mapping_set_unevictable((*inode).i_mapping);
            bindings::i_size_write(inode, size as i64);
        }
        // INVARIANT: The file was created by `self`, with `data` in `i_private`.
        Ok(UffdObject {
            file,
            _t: PhantomData,
        })
    }
}

/// A memory object of the memory type implemented by `T`.
///
/// # Invariants
///
/// `file` was created by [`UffdMemType::create`]: its inode's `i_private` holds the object's
/// `Pin<KBox<T::Data>>` (in its foreign form), which lives as long as the file.
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

    /// Returns the state of the object.
    pub fn data(&self) -> &T::Data {
        self.object().data
    }

    /// Returns the page cache that holds the pages of the object.
    pub fn page_cache(&self) -> &PageCache {
        self.object().cache
    }

    /// Returns the size of the object in bytes.
    pub fn size(&self) -> u64 {
        self.page_cache().size()
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

/// The parts of a memory object that the callbacks work with.
struct Object<'a, T: UffdOps> {
    data: &'a T::Data,
    cache: &'a PageCache,
}

impl<'a, T: UffdOps> Object<'a, T> {
    /// # Safety
    ///
    /// `inode` must be the inode of a file created by [`UffdMemType::create`], and a
    /// reference to that file must be held for `'a`.
    unsafe fn from_inode(inode: *mut bindings::inode) -> Self {
        // SAFETY: By the safety requirements, `i_private` holds the object's data, which is
        // freed by `release` only, after the last reference to the file is gone.
        let data = unsafe { <Pin<KBox<T::Data>>>::borrow((*inode).i_private) };
        // SAFETY: The inode is valid for `'a`. It is an anonymous inode without backing store,
        // whose page cache only this module (and core mm on its behalf) fills.
        let cache = unsafe { PageCache::from_raw((*inode).i_mapping) };
        Self {
            data: data.get_ref(),
            cache,
        }
    }

    /// # Safety
    ///
    /// `vma` must be a valid VMA, locked (mmap or VMA lock) for `'a`, that maps a file created
    /// by [`UffdMemType::create`].
    unsafe fn from_vma(vma: *const bindings::vm_area_struct) -> Self {
        // SAFETY: The VMA holds a reference to its file as long as it exists, and the lock held
        // keeps it from going away for `'a`.
        unsafe { Self::from_inode(bindings::file_inode((*vma).vm_file)) }
    }

    /// Allocates a folio for page `index`, following the policy.
    fn alloc(&self, index: usize) -> Result<NewFolio> {
        if T::HAS_ALLOC_FOLIO {
            T::alloc_folio(self.data, index)
        } else {
            // Not movable: nothing can migrate a folio of this mapping (like ramfs).
            Ok(NewFolio::alloc(GFP_HIGHUSER)?)
        }
    }

    /// Returns the folio at page `index`, populating it if it is a hole.
    /// The locked folio at `index`, `ENOENT` if there is none, `EFAULT` past the end.
    fn find(&self, index: usize) -> Result<CachedFolio<'a>> {
        if index as u64 >= self.cache.size().div_ceil(PAGE_SIZE as u64) {
            return Err(EFAULT);
        }
        self.cache.lock_folio(index).ok_or(ENOENT)
    }

    fn find_or_populate(&self, index: usize) -> Result<CachedFolio<'a>> {
        if index as u64 >= self.cache.size().div_ceil(PAGE_SIZE as u64) {
            return Err(EFAULT);
        }
        loop {
            if let Some(folio) = self.cache.lock_folio(index) {
                return Ok(folio);
            }
            let mut folio = self.alloc(index)?;
            T::populate(self.data, index, &mut folio)?;
            match self.cache.insert(index, folio, GFP_KERNEL) {
                Ok(folio) => {
                    if let Err(err) = T::inserted(self.data, index) {
                        folio.remove();
                        return Err(err);
                    }
                    return Ok(folio);
                }
                // Someone else populated the page meanwhile: use theirs.
                Err(err) if err == EEXIST => continue,
                Err(err) => return Err(err),
            }
        }
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
            modes: T::MODES.as_raw(),
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
            filemap_remove: if T::HAS_ALLOC_FOLIO {
                Some(Self::filemap_remove)
            } else {
                None
            },
        }
    };

    const VM_OPS: bindings::vm_operations_struct = bindings::vm_operations_struct {
        fault: Some(Self::fault),
        // Maps what the page cache already holds around a fault, and lets `fault` run under
        // the per-VMA lock instead of being retried under mmap_lock. Core mm turns it off for
        // MINOR and WP registrations, where every fault must reach userfaultfd.
        map_pages: Some(bindings::filemap_map_pages),
        uffd_ops: &Self::UFFD_OPS,
        // SAFETY: All zeroes is a valid value for `bindings::vm_operations_struct`.
        ..unsafe { MaybeUninit::zeroed().assume_init() }
    };

    /// # Safety
    ///
    /// `file` must be a file created by [`UffdMemType::create`], and `vma` a VMA that is
    /// being set up to map it.
    unsafe extern "C" fn mmap(
        _file: *mut bindings::file,
        vma: *mut bindings::vm_area_struct,
    ) -> c_int {
        // SAFETY: The VMA is being set up in `f_op->mmap`, so no one else can see it yet. The
        // operations are `'static`, and point to callbacks that expect `vm_file` to be a file
        // created by `UffdMemType::create`, which it is.
        unsafe { (*vma).vm_ops = &Self::VM_OPS };
        0
    }

    /// # Safety
    ///
    /// `file` must be a valid file created by [`UffdMemType::create`].
    unsafe extern "C" fn fallocate(
        file: *mut bindings::file,
        mode: c_int,
        offset: bindings::loff_t,
        len: bindings::loff_t,
    ) -> c_long {
        if mode as u32 != bindings::FALLOC_FL_PUNCH_HOLE | bindings::FALLOC_FL_KEEP_SIZE {
            return -(bindings::EOPNOTSUPP as c_long);
        }
        // SAFETY: The caller holds a reference to the file for the duration of the call.
        let obj = unsafe { Object::<T>::from_inode(bindings::file_inode(file)) };
        let (Ok(offset), Ok(len)) = (u64::try_from(offset), u64::try_from(len)) else {
            return EINVAL.to_errno() as c_long;
        };
        match obj.cache.punch_hole(offset, len) {
            Ok(()) => 0,
            Err(err) => err.to_errno() as c_long,
        }
    }

    /// # Safety
    ///
    /// `file` must be a file created by [`UffdMemType::create`] that is being released.
    unsafe extern "C" fn release(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: `create` set both `private_data` and the inode's `i_private` to the object's
        // data. This is the last use of the file, the only file of the inode: no mapping, file
        // descriptor or callback uses the data any more, so we may free it.
        unsafe {
            let data = <Pin<KBox<T::Data>>>::from_foreign((*file).private_data);
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
        let (vma, pgoff) = unsafe { ((*vmf).__bindgen_anon_1.vma, (*vmf).__bindgen_anon_1.pgoff) };
        // SAFETY: The VMA is locked for the duration of the fault, and `mmap` only sets these
        // operations on VMAs that map files created by `UffdMemType::create`.
        let obj = unsafe { Object::<T>::from_vma(vma) };
        // SAFETY: The VMA is valid and locked for the duration of the fault.
        let flags = unsafe { crate::mm::virt::VmaRef::from_raw(vma) }.flags();
        // On a VMA registered for MISSING, a page found absent is for userspace to fill: core mm
        // raises the userfault when the fault is retried, so never populate it here (it may have
        // been removed since core mm looked).
        let found = if flags & bindings::VM_UFFD_MISSING as crate::mm::virt::vm_flags_t != 0 {
            obj.find(pgoff)
        } else {
            obj.find_or_populate(pgoff)
        };
        match found {
            Err(err) if err == ENOENT => bindings::vm_fault_reason_VM_FAULT_NOPAGE,
            Ok(folio) => {
                // SAFETY: The folio is valid and holds `pgoff`.
                let page = unsafe { bindings::folio_file_page(folio.as_ptr(), pgoff) };
                // SAFETY: `vmf` is valid. With `VM_FAULT_LOCKED`, the page is returned locked
                // and with a reference for the caller, which the folio's lock and reference
                // become.
                unsafe { (*vmf).page = page };
                folio.into_raw();
                bindings::vm_fault_reason_VM_FAULT_LOCKED
            }
            Err(err) if err == ENOMEM => bindings::vm_fault_reason_VM_FAULT_OOM,
            Err(_) => bindings::vm_fault_reason_VM_FAULT_SIGBUS,
        }
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
        match obj.cache.lock_folio(pgoff) {
            // The caller takes over the lock and the reference.
            Some(folio) => folio.into_raw().as_ptr(),
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
        match T::alloc_folio(obj.data, index) {
            // The caller takes over the folio: it is order-0, unlocked, in no page cache, and
            // has one reference.
            Ok(folio) => folio.into_raw().as_ptr(),
            Err(err) => err.to_ptr(),
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
            bindings::filemap_add_folio(obj.cache.as_ptr(), folio, index, GFP_KERNEL.as_raw())
        };
        if ret != 0 {
            return ret;
        }
        if let Err(err) = T::inserted(obj.data, index) {
            // SAFETY: We just inserted the folio, it is locked and not mapped yet. Removing it
            // and unlocking it leaves it as the caller gave it to us.
            unsafe {
                bindings::filemap_remove_folio(folio);
                bindings::folio_unlock(folio);
            }
            return err.to_errno();
        }
        0
    }

    /// # Safety
    ///
    /// `vma` must be a VMA set up by [`VTable::mmap`], locked (mmap or VMA lock), and `folio` a
    /// folio that [`VTable::filemap_add`] inserted, still locked and not mapped.
    unsafe extern "C" fn filemap_remove(
        folio: *mut bindings::folio,
        vma: *mut bindings::vm_area_struct,
    ) {
        // SAFETY: The VMA is valid and locked for the call, and maps one of our files.
        let obj = unsafe { Object::<T>::from_vma(vma) };
        // SAFETY: The folio is valid, and locked in our page cache, so its position is stable.
        let index = (unsafe { bindings::folio_pos(folio) } >> PAGE_SHIFT) as usize;
        // SAFETY: The folio is locked, in the page cache and not mapped; the caller keeps its
        // own reference.
        unsafe {
            bindings::filemap_remove_folio(folio);
            bindings::folio_unlock(folio);
        }
        T::removed(obj.data, index);
    }
}
