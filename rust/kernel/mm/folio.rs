// SPDX-License-Identifier: GPL-2.0

//! Folios and address spaces.
//!
//! A folio is a physically, virtually and logically contiguous set of bytes: one or more pages
//! that are allocated, reference counted, locked and mapped as one unit. An address space
//! (`struct address_space`) is the page cache of an inode: the folios that hold its contents,
//! by index.
//!
//! What may be done with a folio depends on who holds its lock and on who can see it, so this
//! module has one type per state:
//!
//! - [`Folio`]: any folio, reference counted (held through [`ARef<Folio>`]). It can be locked.
//! - [`LockedFolio`]: an owned reference to a folio whose lock is held by its owner. It unlocks
//!   and drops its reference when dropped.
//! - [`NewFolio`]: a freshly allocated folio that no one else can see yet, the only state in
//!   which the contents of a folio may be written from Rust. A [`NewFolio<Uninit>`] holds
//!   whatever the allocator left in it and can be neither read nor published; it becomes a
//!   [`NewFolio<Init>`] when every byte of it has been written.
//! - [`AddressSpace`] and [`CachedFolio`]: a page cache, and a locked folio that is proven, by
//!   its type, to be in that page cache at a given index.
//! - [`OwnedAddressSpace`]: the page cache of an inode without backing store, whose contents
//!   the owner of the object puts there and takes out itself.
//!
//! C headers: [`include/linux/mm.h`](srctree/include/linux/mm.h),
//! [`include/linux/pagemap.h`](srctree/include/linux/pagemap.h),
//! [`include/linux/highmem.h`](srctree/include/linux/highmem.h).

use crate::{
    alloc::{
        flags::__GFP_ZERO,
        AllocError,
        Flags, //
    },
    bindings,
    error::{
        code::*,
        to_result,
        Result, //
    },
    mm::virt::VmaRef,
    page::{
        PAGE_SHIFT,
        PAGE_SIZE, //
    },
    sync::aref::{
        ARef,
        AlwaysRefCounted, //
    },
    types::Opaque,
};
use core::{
    marker::PhantomData,
    mem::ManuallyDrop,
    ops::Deref,
    ptr::{
        self,
        NonNull, //
    },
};

/// A folio.
///
/// This is the Rust view of a `struct folio`. Only shared references to it ever exist: what may
/// be done with a folio depends on who owns its lock and whether anyone else can see it, which
/// other types ([`LockedFolio`], [`NewFolio`], [`CachedFolio`]) express.
///
/// # Invariants
///
/// Instances of this type are always reference counted, that is, a call to `folio_get` ensures
/// that the allocation remains valid at least until the matching call to `folio_put`.
#[repr(transparent)]
pub struct Folio {
    folio: Opaque<bindings::folio>,
}

// SAFETY: A folio may be used and its references dropped on any thread.
unsafe impl Send for Folio {}

// SAFETY: All `&self` methods of `Folio` may be called concurrently from several threads: they
// are atomic flag tests and reference count operations.
unsafe impl Sync for Folio {}

// SAFETY: By the type invariants, folios are always reference counted.
unsafe impl AlwaysRefCounted for Folio {
    #[inline]
    fn inc_ref(&self) {
        // SAFETY: The existence of a shared reference means that the refcount is nonzero.
        unsafe { bindings::folio_get(self.as_ptr()) };
    }

    #[inline]
    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller is giving up a reference it owns.
        unsafe { bindings::folio_put(obj.cast().as_ptr()) };
    }
}

impl Folio {
    /// Obtains a reference to a folio from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid folio on which a reference is held (by someone) for the
    /// duration of `'a`.
    #[inline]
    pub unsafe fn from_raw<'a>(ptr: *const bindings::folio) -> &'a Self {
        // SAFETY: `Folio` is a transparent wrapper of `struct folio`, and the caller guarantees
        // that the folio stays valid for `'a`.
        unsafe { &*ptr.cast() }
    }

    /// Returns a raw pointer to the folio.
    #[inline]
    pub fn as_ptr(&self) -> *mut bindings::folio {
        // A cast, not `Opaque::get()`, which is not inlined into modules: this is on every
        // fault and fill. The type is a transparent wrapper of an `Opaque`, whose contents may
        // be written through a shared reference.
        ptr::from_ref(self).cast_mut().cast()
    }

    /// Returns the size of the folio in bytes.
    #[inline]
    pub fn size(&self) -> usize {
        // SAFETY: By the type invariants, a reference is held on the folio, so it is valid.
        unsafe { bindings::folio_size(self.as_ptr()) }
    }

    /// Returns the number of pages in the folio.
    #[inline]
    pub fn nr_pages(&self) -> usize {
        self.size() >> PAGE_SHIFT
    }

    /// Returns whether the folio is locked (by anyone).
    #[inline]
    pub fn test_locked(&self) -> bool {
        // SAFETY: By the type invariants, a reference is held on the folio, so it is valid.
        unsafe { bindings::folio_test_locked(self.as_ptr()) }
    }

    /// Returns whether the contents of the folio are up to date.
    #[inline]
    pub fn test_uptodate(&self) -> bool {
        // SAFETY: By the type invariants, a reference is held on the folio, so it is valid.
        unsafe { bindings::folio_test_uptodate(self.as_ptr()) }
    }

    /// Locks the folio, sleeping (uninterruptibly) until the lock is available.
    ///
    /// The returned guard owns the reference passed in, and the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::mm::folio::{Folio, NewFolio};
    /// use kernel::sync::aref::ARef;
    ///
    /// let folio: ARef<Folio> = NewFolio::zeroed(GFP_KERNEL)?.into();
    /// let locked = Folio::lock(folio.clone());
    /// assert!(folio.test_locked());
    /// assert!(Folio::try_lock(folio.clone()).is_err());
    /// drop(locked);
    /// assert!(!folio.test_locked());
    /// let locked = Folio::try_lock(folio.clone()).map_err(|_| EBUSY)?;
    /// assert!(folio.test_locked());
    /// drop(locked);
    /// # Ok::<(), Error>(())
    /// ```
    #[inline]
    pub fn lock(this: ARef<Self>) -> LockedFolio {
        // SAFETY: By the type invariants, a reference is held on the folio, so it is valid.
        unsafe { bindings::folio_lock(this.as_ptr()) };
        // SAFETY: We just locked the folio, and we hand over our reference.
        unsafe { LockedFolio::from_raw(ARef::into_raw(this).cast()) }
    }

    /// Tries to lock the folio without sleeping.
    ///
    /// Gives the reference back if the folio is already locked.
    #[inline]
    pub fn try_lock(this: ARef<Self>) -> Result<LockedFolio, ARef<Self>> {
        // SAFETY: By the type invariants, a reference is held on the folio, so it is valid.
        if unsafe { bindings::folio_trylock(this.as_ptr()) } {
            // SAFETY: We just locked the folio, and we hand over our reference.
            Ok(unsafe { LockedFolio::from_raw(ARef::into_raw(this).cast()) })
        } else {
            Err(this)
        }
    }

    /// Calls `f` on the bytes `offset..offset + len` of the folio, one mapped chunk at a time.
    ///
    /// Each chunk lies within one page and is mapped with `kmap_local_folio` for the duration
    /// of the call to `f` only. `f` is given a pointer to the chunk, the offset of the chunk
    /// from `offset`, and the length of the chunk. Returns [`EINVAL`] without calling `f` if the
    /// range is not within the folio.
    ///
    /// The pointer is valid for the length of the chunk, for the duration of the call to `f`,
    /// and on the current thread only. The caller must make sure that its accesses through it
    /// do not race with anyone else's, and that it only reads bytes that were written.
    fn with_mapped_chunks(
        &self,
        offset: usize,
        len: usize,
        mut f: impl FnMut(*mut u8, usize, usize),
    ) -> Result {
        let end = offset.checked_add(len).ok_or(EINVAL)?;
        if end > self.size() {
            return Err(EINVAL);
        }
        let mut done = 0;
        while done < len {
            let pos = offset + done;
            let chunk = (PAGE_SIZE - pos % PAGE_SIZE).min(len - done);
            // SAFETY: The folio is valid because we hold a reference to it, and `pos` is within
            // the folio (`pos < end <= size`). The page holding `pos` is mapped, and the
            // returned pointer points at byte `pos` of the folio.
            let addr = unsafe { bindings::kmap_local_folio(self.as_ptr(), pos) };
            f(addr.cast(), done, chunk);
            // SAFETY: `addr` was mapped by `kmap_local_folio` just above. Local mappings must be
            // released in reverse order; this is the case because the mapping never escapes
            // this loop iteration: any other local mapping made by `f` was released by the time
            // `f` returned.
            unsafe { bindings::kunmap_local(addr) };
            done += chunk;
        }
        Ok(())
    }
}

/// An owned reference to a folio whose lock is held by the owner of this object.
///
/// Dropping it unlocks the folio and drops the reference. Only this crate can hand the lock to C
/// code instead: a lock leaked by a driver would block every later fault on the folio for good.
///
/// # Invariants
///
/// `folio` points to a valid folio that is locked. This object owns one reference to the folio
/// and is responsible for unlocking it.
pub struct LockedFolio {
    folio: NonNull<bindings::folio>,
}

// SAFETY: The folio lock is not tied to a task: it may be released, and the reference dropped,
// on any thread.
unsafe impl Send for LockedFolio {}

// SAFETY: A shared `LockedFolio` only gives access to `&Folio`, which is `Sync`.
unsafe impl Sync for LockedFolio {}

impl LockedFolio {
    /// Takes over a locked folio and a reference to it.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid, locked folio. The caller transfers the responsibility for
    /// unlocking the folio, and one reference to it, to the returned object.
    #[inline]
    pub unsafe fn from_raw(ptr: NonNull<bindings::folio>) -> Self {
        // INVARIANT: The caller guarantees that the folio is locked and hands over the lock and
        // a reference.
        Self { folio: ptr }
    }

    /// Hands the lock and the reference over to the caller: C code that returns a locked folio.
    #[inline]
    pub(crate) fn into_raw(self) -> NonNull<bindings::folio> {
        ManuallyDrop::new(self).folio
    }
}

impl Deref for LockedFolio {
    type Target = Folio;

    #[inline]
    fn deref(&self) -> &Folio {
        // SAFETY: By the type invariants, we own a reference to the folio, so it is valid for as
        // long as `self` is.
        unsafe { Folio::from_raw(self.folio.as_ptr()) }
    }
}

impl Drop for LockedFolio {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: By the type invariants, the folio is locked and we are responsible for
        // unlocking it.
        unsafe { bindings::folio_unlock(self.folio.as_ptr()) };
        // SAFETY: By the type invariants, we own a reference, which we give up here.
        unsafe { bindings::folio_put(self.folio.as_ptr()) };
    }
}

mod private {
    pub trait Sealed {}
}

/// Whether every byte of a [`NewFolio`] has been written: [`Init`] or [`Uninit`].
pub trait InitState: private::Sealed {}

/// A [`NewFolio`] whose every byte has been written since it was allocated.
pub enum Init {}

/// A [`NewFolio`] that holds whatever the allocator left in it: it can be written, but not read
/// or published.
pub enum Uninit {}

impl private::Sealed for Init {}
impl InitState for Init {}
impl private::Sealed for Uninit {}
impl InitState for Uninit {}

/// A newly allocated order-0 folio that no one else can see.
///
/// It is in no page cache, mapped nowhere, unlocked, and this object owns the only reference to
/// it. So this is the one state in which a folio's contents may be written from Rust: nobody can
/// read or write them concurrently.
///
/// A `NewFolio<Uninit>` ([`NewFolio::alloc`]) holds stale memory: it can only be written as a
/// whole ([`NewFolio::zero`], [`NewFolio::init_from`]), which makes it a `NewFolio<Init>`.
/// Reading, and publishing it ([`OwnedAddressSpace::insert`], [`ARef<Folio>`]), need `Init`, so
/// no safe code can show anyone memory that was not written. [`NewFolio::zeroed`] allocates an
/// initialised one.
///
/// # Examples
///
/// Fill a folio and read it back.
///
/// ```
/// use kernel::mm::folio::NewFolio;
/// use kernel::page::PAGE_SIZE;
///
/// let folio = NewFolio::alloc(GFP_KERNEL)?;
/// assert_eq!(folio.size(), PAGE_SIZE);
/// let mut folio = folio.zero();
/// folio.write(PAGE_SIZE - 6, b"hello")?;
/// let mut buf = [0xffu8; 7];
/// folio.read(PAGE_SIZE - 7, &mut buf)?;
/// assert_eq!(&buf, b"\0hello\0");
///
/// // Out of bounds accesses are refused.
/// assert_eq!(folio.write(PAGE_SIZE - 1, b"xy"), Err(EINVAL));
/// assert_eq!(folio.read(usize::MAX, &mut buf), Err(EINVAL));
/// assert_eq!(folio.zero_range(PAGE_SIZE, 1), Err(EINVAL));
///
/// folio.zero_range(PAGE_SIZE - 4, 2)?;
/// folio.read(PAGE_SIZE - 7, &mut buf)?;
/// assert_eq!(&buf, b"\0he\0\0o\0");
///
/// // Initialising from a buffer takes exactly one folio's worth of bytes.
/// let page = KVec::from_elem(0x5au8, PAGE_SIZE, GFP_KERNEL)?;
/// assert_eq!(NewFolio::alloc(GFP_KERNEL)?.init_from(&page[1..]).err(), Some(EINVAL));
/// let folio = NewFolio::alloc(GFP_KERNEL)?.init_from(&page)?;
/// folio.read(PAGE_SIZE - 7, &mut buf)?;
/// assert_eq!(buf, [0x5a; 7]);
///
/// // Zeroed at allocation.
/// NewFolio::zeroed(GFP_KERNEL)?.read(0, &mut buf)?;
/// assert_eq!(buf, [0; 7]);
/// # Ok::<(), Error>(())
/// ```
///
/// # Invariants
///
/// `folio` points to a valid order-0 folio that is not locked, not in any page cache and not
/// mapped. This object owns the only reference to it, and no reference to it has been handed
/// out. If `S` is [`Init`], every byte of the folio has been written since it was allocated.
pub struct NewFolio<S: InitState = Init> {
    folio: NonNull<bindings::folio>,
    _state: PhantomData<S>,
}

// SAFETY: The folio may be used and freed on any thread.
unsafe impl<S: InitState> Send for NewFolio<S> {}

// SAFETY: A shared `NewFolio` only allows reading the contents; writes need `&mut NewFolio`.
unsafe impl<S: InitState> Sync for NewFolio<S> {}

impl NewFolio<Uninit> {
    /// Allocates an order-0 folio for a page cache, without initialising its contents.
    #[inline]
    pub fn alloc(flags: Flags) -> Result<Self, AllocError> {
        // SAFETY: `filemap_alloc_folio` may be called with any flags, and a NULL memory policy
        // (the task's); it may sleep depending on the flags.
        let folio = unsafe { bindings::filemap_alloc_folio(flags.as_raw(), 0, ptr::null_mut()) };
        // INVARIANT: The folio was just allocated with order 0 and we own its only reference.
        Ok(Self {
            folio: NonNull::new(folio).ok_or(AllocError)?,
            _state: PhantomData,
        })
    }

    /// Allocates an order-0 folio for the page that `vma` maps at `addr`, following the memory
    /// policy of the mapping (NUMA placement), without initialising its contents.
    #[inline]
    pub fn alloc_for(flags: Flags, vma: &VmaRef, addr: usize) -> Result<Self, AllocError> {
        if addr < vma.start() || addr >= vma.end() {
            return Err(AllocError);
        }
        // SAFETY: The VMA is valid for the duration of the call (`VmaRef` invariant) and `addr`
        // is in it. `vma_alloc_folio` may be called with any flags; it may sleep depending on
        // them.
        let folio = unsafe { bindings::vma_alloc_folio(flags.as_raw(), 0, vma.as_ptr(), addr) };
        // INVARIANT: The folio was just allocated with order 0 and we own its only reference.
        Ok(Self {
            folio: NonNull::new(folio).ok_or(AllocError)?,
            _state: PhantomData,
        })
    }

    /// Fills the whole folio with zeroes.
    pub fn zero(self) -> NewFolio<Init> {
        let size = self.size();
        // The range is the whole folio, so this cannot fail.
        let _ = self.folio().with_mapped_chunks(0, size, |dst, _, len| {
            // SAFETY: `dst` is valid for writing `len` bytes. No one else can access the folio
            // (type invariants) and we own `self`, so there is no data race.
            unsafe { ptr::write_bytes(dst, 0, len) };
        });
        // INVARIANT: Every byte of the folio was just written.
        self.into_init()
    }

    /// Fills the folio with `data`, which must be exactly as long as the folio.
    ///
    /// Returns [`EINVAL`] (dropping the folio) if the length of `data` differs.
    pub fn init_from(self, data: &[u8]) -> Result<NewFolio<Init>> {
        if data.len() != self.size() {
            return Err(EINVAL);
        }
        self.folio()
            .with_mapped_chunks(0, data.len(), |dst, done, len| {
                // SAFETY: `dst` is valid for writing `len` bytes, and `done + len <= data.len()`.
                // No one else can access the folio (type invariants) and we own `self`, so there
                // is no data race.
                unsafe { ptr::copy_nonoverlapping(data.as_ptr().add(done), dst, len) };
            })?;
        // INVARIANT: Every byte of the folio was just written.
        Ok(self.into_init())
    }

    fn into_init(self) -> NewFolio<Init> {
        NewFolio {
            folio: ManuallyDrop::new(self).folio,
            _state: PhantomData,
        }
    }
}

impl NewFolio<Init> {
    /// Allocates an order-0 folio for a page cache, filled with zeroes.
    #[inline]
    pub fn zeroed(flags: Flags) -> Result<Self, AllocError> {
        let folio = NewFolio::alloc(flags | __GFP_ZERO)?;
        // INVARIANT: `__GFP_ZERO` had the allocator write every byte of the folio.
        Ok(folio.into_init())
    }

    /// Copies `data` into the folio at `offset`.
    ///
    /// Returns [`EINVAL`] if the range is not within the folio.
    pub fn write(&mut self, offset: usize, data: &[u8]) -> Result {
        self.folio()
            .with_mapped_chunks(offset, data.len(), |dst, done, len| {
                // SAFETY: `dst` is valid for writing `len` bytes, and `done + len <= data.len()`.
                // No one else can access the folio (type invariants) and we hold `&mut self`,
                // so there is no data race.
                unsafe { ptr::copy_nonoverlapping(data.as_ptr().add(done), dst, len) };
            })
    }

    /// Fills `len` bytes of the folio at `offset` with zeroes.
    ///
    /// Returns [`EINVAL`] if the range is not within the folio.
    pub fn zero_range(&mut self, offset: usize, len: usize) -> Result {
        self.folio().with_mapped_chunks(offset, len, |dst, _, len| {
            // SAFETY: `dst` is valid for writing `len` bytes. No one else can access the folio
            // (type invariants) and we hold `&mut self`, so there is no data race.
            unsafe { ptr::write_bytes(dst, 0, len) };
        })
    }

    /// Copies bytes of the folio at `offset` into `buf`.
    ///
    /// Returns [`EINVAL`] if the range is not within the folio.
    pub fn read(&self, offset: usize, buf: &mut [u8]) -> Result {
        let dst = buf.as_mut_ptr();
        self.folio()
            .with_mapped_chunks(offset, buf.len(), |src, done, len| {
                // SAFETY: `src` is valid for reading `len` bytes, which were written since the
                // folio was allocated (`Init`), and `done + len <= buf.len()`. Writes to the
                // folio need `&mut self`, and no one else can access it (type invariants), so
                // there is no data race.
                unsafe { ptr::copy_nonoverlapping(src, dst.add(done), len) };
            })
    }
}

impl<S: InitState> NewFolio<S> {
    /// Returns the size of the folio in bytes ([`PAGE_SIZE`]).
    #[inline]
    pub fn size(&self) -> usize {
        self.folio().size()
    }

    fn folio(&self) -> &Folio {
        // SAFETY: By the type invariants, we own a reference to the folio.
        unsafe { Folio::from_raw(self.folio.as_ptr()) }
    }

    /// Returns a raw pointer to the folio, for C code that takes it while it stays ours.
    #[inline]
    pub(crate) fn as_ptr(&self) -> *mut bindings::folio {
        self.folio.as_ptr()
    }

    /// Hands the folio, and the reference to it, over to C code that returns a new folio.
    #[inline]
    pub(crate) fn into_raw(self) -> NonNull<bindings::folio> {
        ManuallyDrop::new(self).folio
    }
}

impl From<NewFolio<Init>> for ARef<Folio> {
    /// Shares the folio: its contents may no longer be written from Rust.
    fn from(folio: NewFolio<Init>) -> Self {
        // SAFETY: We own a reference to the folio, which we hand over.
        unsafe { ARef::from_raw(folio.into_raw().cast()) }
    }
}

impl<S: InitState> Drop for NewFolio<S> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: By the type invariants, we own the only reference, which we give up here.
        unsafe { bindings::folio_put(self.folio.as_ptr()) };
    }
}

/// A page cache: the `struct address_space` of an inode.
///
/// # Invariants
///
/// `mapping` is the valid `i_mapping` of an inode.
#[repr(transparent)]
pub struct AddressSpace {
    mapping: Opaque<bindings::address_space>,
}

// SAFETY: All `&self` methods of `AddressSpace` may be called concurrently from several threads;
// the page cache has its own locking.
unsafe impl Sync for AddressSpace {}

impl AddressSpace {
    /// Obtains an address space from a raw pointer.
    ///
    /// # Safety
    ///
    /// `mapping` must be the `i_mapping` of an inode that stays valid for `'a`.
    #[inline]
    pub unsafe fn from_raw<'a>(mapping: *mut bindings::address_space) -> &'a Self {
        // SAFETY: `AddressSpace` is a transparent wrapper of `struct address_space`, and the
        // caller guarantees that it stays valid for `'a`.
        unsafe { &*mapping.cast() }
    }

    /// Returns a raw pointer to the `struct address_space`.
    #[inline]
    pub fn as_ptr(&self) -> *mut bindings::address_space {
        // A cast, not `Opaque::get()`, which is not inlined into modules: this is on every
        // fault and fill. The type is a transparent wrapper of an `Opaque`, whose contents may
        // be written through a shared reference.
        ptr::from_ref(self).cast_mut().cast()
    }

    #[inline]
    pub(crate) fn host(&self) -> *mut bindings::inode {
        // SAFETY: By the type invariants, the mapping belongs to a valid inode, which it points
        // to and which never changes.
        unsafe { (*self.as_ptr()).host }
    }

    /// Returns the size of the inode in bytes (`i_size`).
    #[inline]
    pub fn size(&self) -> u64 {
        // SAFETY: By the type invariants, the inode is valid.
        let size = unsafe { bindings::i_size_read(self.host()) };
        // `i_size` is never negative.
        size as u64
    }

    /// Returns the number of pages needed to hold `i_size` bytes: the indices below it are
    /// within the inode.
    #[inline]
    pub fn nr_pages(&self) -> usize {
        self.size().div_ceil(PAGE_SIZE as u64) as usize
    }

    /// Looks up the folio at `index` and locks it, sleeping (uninterruptibly) if needed.
    ///
    /// Returns `None` if there is no folio at `index`. Do not hold the result across an access
    /// to userspace memory that may fault on this page: the fault would wait for the lock.
    #[inline]
    pub fn lock_folio(&self, index: usize) -> Option<CachedFolio<'_>> {
        // SAFETY: By the type invariants, the mapping is valid.
        let folio = unsafe { bindings::filemap_lock_folio(self.as_ptr(), index) };
        // `filemap_lock_folio` returns `ERR_PTR(-ENOENT)` if there is no folio. Only whether it
        // is an error matters here, so the errno is not decoded; and the test is `IS_ERR()`'s
        // comparison, inline rather than through a C helper call, as this lookup is on the
        // UFFDIO_CONTINUE path of every Rust memory type.
        if folio as usize >= (bindings::MAX_ERRNO as usize).wrapping_neg() {
            return None;
        }
        let folio = NonNull::new(folio)?;
        // SAFETY: `filemap_lock_folio` returned the folio locked, with a reference that we own.
        let folio = unsafe { LockedFolio::from_raw(folio) };
        // INVARIANT: `filemap_lock_folio` found the folio at `index` in this page cache, and a
        // locked folio stays in its page cache: removing it takes the folio lock.
        Some(CachedFolio {
            folio,
            mapping: self,
            index,
        })
    }
}

/// The page cache of an inode without backing store, whose contents its owner manages.
///
/// No filesystem reads folios into it or writes them back: the folios in it are the ones that
/// its owner inserted with [`OwnedAddressSpace::insert`] (or that C code inserted on the owner's
/// behalf), and they leave it when the owner removes them or the inode goes away. It is also an
/// [`AddressSpace`], for lookups.
///
/// # Examples
///
/// ```
/// use kernel::mm::folio::{NewFolio, OwnedAddressSpace};
///
/// /// Puts the byte `b` at `index * PAGE_SIZE` unless a page is already there.
/// fn populate(mapping: &OwnedAddressSpace, index: usize, b: u8) -> Result<bool> {
///     if mapping.lock_folio(index).is_some() {
///         return Ok(false);
///     }
///     let mut folio = NewFolio::zeroed(GFP_HIGHUSER)?;
///     folio.write(0, &[b])?;
///     let cached = mapping.insert(index, folio, GFP_KERNEL)?;
///     assert_eq!(cached.index(), index);
///     Ok(true)
/// }
/// ```
///
/// # Invariants
///
/// `mapping` is the valid `i_mapping` of an inode without backing store, whose page cache
/// contents are owned by the user of this object.
#[repr(transparent)]
pub struct OwnedAddressSpace {
    mapping: AddressSpace,
}

impl OwnedAddressSpace {
    /// Obtains an owned address space from a raw pointer.
    ///
    /// # Safety
    ///
    /// `mapping` must be the `i_mapping` of an inode that stays valid for `'a`. The inode must
    /// have no backing store, and the caller must own its page cache contents: nobody else may
    /// insert folios into it or expect them to be anything in particular.
    #[inline]
    pub unsafe fn from_raw<'a>(mapping: *mut bindings::address_space) -> &'a Self {
        // SAFETY: `OwnedAddressSpace` is a transparent wrapper of `struct address_space`, and
        // the caller guarantees the rest of the type invariants for `'a`.
        unsafe { &*mapping.cast() }
    }

    /// Inserts a new folio at `index`, marking its contents up to date.
    ///
    /// The contents written to `folio` are what everyone sees from now on. Returns the folio,
    /// locked, on success. Fails with [`EEXIST`] if there already is a folio at `index`, with
    /// [`EINVAL`] if `index` is beyond the end of the inode, and with [`ENOMEM`] if memory for
    /// the page cache (`gfp`) or the memory cgroup charge could not be obtained.
    pub fn insert(&self, index: usize, folio: NewFolio, gfp: Flags) -> Result<CachedFolio<'_>> {
        if index >= self.nr_pages() {
            return Err(EINVAL);
        }
        // SAFETY: By the type invariants of `NewFolio`, no one else can see the folio, so it
        // may be marked up to date non-atomically; every byte of it was written (`Init`).
        unsafe { bindings::__folio_mark_uptodate(folio.as_ptr()) };
        // SAFETY: By the type invariants, the mapping is valid. By the type invariants of
        // `NewFolio`, the folio is an order-0 folio that is unlocked and in no page cache.
        to_result(unsafe {
            bindings::filemap_add_folio(self.as_ptr(), folio.as_ptr(), index, gfp.as_raw())
        })?;
        // SAFETY: `filemap_add_folio` succeeded, so the folio is locked and the page cache
        // holds references of its own; the reference of `folio` becomes the locked folio's.
        let folio = unsafe { LockedFolio::from_raw(folio.into_raw()) };
        // INVARIANT: The folio was just inserted at `index` and is locked.
        Ok(CachedFolio {
            folio,
            mapping: &self.mapping,
            index,
        })
    }

    /// Removes `folio` from the page cache, unmapping it first, then unlocks it and drops the
    /// reference.
    ///
    /// Fails with [`EINVAL`], and leaves the folio alone, if it is not in this page cache.
    pub fn remove(&self, folio: CachedFolio<'_>) -> Result {
        if !ptr::eq(folio.mapping, &self.mapping) {
            return Err(EINVAL);
        }
        let raw = folio.as_ptr();
        // SAFETY: The folio is valid and locked in the page cache, so its position is stable.
        let first = (unsafe { bindings::folio_pos(raw) } >> PAGE_SHIFT) as usize;
        // SAFETY: The mapping is valid. This zaps the page table entries of every mapping of
        // the folio's range (not private copies of it). No new ones can be made: page faults
        // and userfaultfd fills map a page cache folio under its lock, which we hold; fork and
        // mremap, which copy or move page table entries without it, first put the new VMA into
        // the mapping's `i_mmap` tree, or hold its rmap lock, so this walk sees them (the same
        // argument as `truncate_inode_folio()`).
        unsafe { bindings::unmap_mapping_pages(self.as_ptr(), first, folio.nr_pages(), false) };
        // SAFETY: By the type invariants of `CachedFolio`, the folio is locked and in this page
        // cache, and it is no longer mapped.
        unsafe { bindings::filemap_remove_folio(raw) };
        // Dropping `folio` unlocks it and drops our reference.
        Ok(())
    }
}

impl Deref for OwnedAddressSpace {
    type Target = AddressSpace;

    #[inline]
    fn deref(&self) -> &AddressSpace {
        &self.mapping
    }
}

/// A locked folio that is in the page cache `mapping` at `index`.
///
/// The only ways to get one are to look a folio up ([`AddressSpace::lock_folio`]) and to insert
/// one ([`OwnedAddressSpace::insert`]), so the type proves where the folio is. Dropping it
/// unlocks the folio and drops the reference.
///
/// # Invariants
///
/// `folio` is locked and is in `mapping`, where it holds the page at `index`.
pub struct CachedFolio<'a> {
    folio: LockedFolio,
    mapping: &'a AddressSpace,
    index: usize,
}

impl<'a> CachedFolio<'a> {
    /// Returns the index in the page cache that this folio holds.
    #[inline]
    pub fn index(&self) -> usize {
        self.index
    }

    /// Returns the page cache this folio is in.
    #[inline]
    pub fn address_space(&self) -> &'a AddressSpace {
        self.mapping
    }

    /// Returns whether this folio is in `mapping` at `index`.
    #[inline]
    pub fn is_at(&self, mapping: &AddressSpace, index: usize) -> bool {
        ptr::eq(self.mapping, mapping) && self.index == index
    }

    /// Hands the lock and the reference over to C code that returns a locked page cache folio.
    #[inline]
    pub(crate) fn into_raw(self) -> NonNull<bindings::folio> {
        self.folio.into_raw()
    }

    /// Forgets where the folio is, keeping the lock and the reference.
    #[inline]
    pub fn into_locked(self) -> LockedFolio {
        self.folio
    }
}

impl Deref for CachedFolio<'_> {
    type Target = Folio;

    #[inline]
    fn deref(&self) -> &Folio {
        &self.folio
    }
}
