// SPDX-License-Identifier: GPL-2.0

//! Folios and the page cache.
//!
//! A folio is a physically, virtually and logically contiguous set of bytes: one or more pages
//! that are allocated, reference counted, locked and mapped as one unit.
//!
//! This module has one type per thing the caller may do with a folio:
//!
//! - [`Folio`]: any folio, reference counted (held through [`ARef<Folio>`]). It can be locked.
//! - [`LockedFolio`]: an owned reference to a folio whose lock is held by its owner. It unlocks
//!   and drops its reference when dropped, or hands both over to C with
//!   [`LockedFolio::into_raw`].
//! - [`NewFolio`]: a freshly allocated folio that no one else can see yet. This is the only
//!   state in which the contents of a folio may be written from Rust.
//! - [`PageCache`] and [`CachedFolio`]: the page cache of an inode whose contents the caller
//!   owns, and a locked folio that is proven, by its type, to be in that page cache at a given
//!   index.
//!
//! C headers: [`include/linux/mm.h`](srctree/include/linux/mm.h),
//! [`include/linux/pagemap.h`](srctree/include/linux/pagemap.h),
//! [`include/linux/highmem.h`](srctree/include/linux/highmem.h).

use crate::{
    alloc::{AllocError, Flags},
    bindings,
    error::{code::*, from_err_ptr, to_result, Result},
    page::{PAGE_SHIFT, PAGE_SIZE},
    sync::aref::{ARef, AlwaysRefCounted},
    types::Opaque,
};
use core::{
    mem::ManuallyDrop,
    ops::Deref,
    ptr::{self, NonNull},
};

/// A folio.
///
/// This is the Rust view of a `struct folio`. Only a shared reference to it ever exists: what
/// may be done with a folio depends on who owns its lock and whether anyone else can see it,
/// which other types ([`LockedFolio`], [`NewFolio`], [`CachedFolio`]) express.
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

// SAFETY: All `&self` methods of `Folio` may be called concurrently from several threads.
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
        self.folio.get()
    }

    /// Returns the size of the folio in bytes.
    #[inline]
    pub fn size(&self) -> usize {
        // SAFETY: The folio is valid because we hold a reference to it.
        unsafe { bindings::folio_size(self.as_ptr()) }
    }

    /// Returns whether the folio is locked (by anyone).
    #[inline]
    pub fn test_locked(&self) -> bool {
        // SAFETY: The folio is valid because we hold a reference to it.
        unsafe { bindings::folio_test_locked(self.as_ptr()) }
    }

    /// Returns whether the contents of the folio are up to date.
    #[inline]
    pub fn test_uptodate(&self) -> bool {
        // SAFETY: The folio is valid because we hold a reference to it.
        unsafe { bindings::folio_test_uptodate(self.as_ptr()) }
    }

    /// Locks the folio, sleeping until the lock is available.
    ///
    /// The returned guard owns the reference passed in and the lock.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::mm::folio::{Folio, NewFolio};
    /// use kernel::sync::aref::ARef;
    ///
    /// let folio: ARef<Folio> = NewFolio::alloc(GFP_KERNEL)?.into();
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
        // SAFETY: The folio is valid because we hold a reference to it.
        unsafe { bindings::folio_lock(this.as_ptr()) };
        // SAFETY: We just locked the folio, and we hand over our reference.
        unsafe { LockedFolio::from_raw(ARef::into_raw(this).cast()) }
    }

    /// Tries to lock the folio without sleeping.
    ///
    /// Gives the reference back if the folio is already locked.
    #[inline]
    pub fn try_lock(this: ARef<Self>) -> Result<LockedFolio, ARef<Self>> {
        // SAFETY: The folio is valid because we hold a reference to it.
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
    /// # Using the raw pointer
    ///
    /// The pointer is valid for the length of the chunk, for the duration of the call to `f`,
    /// and on the current thread only. The usual rules for raw pointers apply; in particular,
    /// the caller must make sure that its accesses do not race with anyone else's.
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
/// Dropping it unlocks the folio and drops the reference; [`LockedFolio::into_raw`] hands both
/// over to C instead.
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

    /// Hands the lock and the reference over to the caller, typically C code that returns a
    /// locked folio.
    #[inline]
    pub fn into_raw(self) -> NonNull<bindings::folio> {
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

/// A newly allocated folio that no one else can see.
///
/// It is in no page cache, mapped nowhere, unlocked, and this object owns the only reference to
/// it. So this is the one state in which a folio's contents may be written from Rust: nobody can
/// read or write them concurrently. Its contents are unspecified (stale memory) until written,
/// unless it was allocated with `__GFP_ZERO`.
///
/// It leaves this state when it is published: inserted into a page cache
/// ([`PageCache::insert`]), shared (converted into an [`ARef<Folio>`]), or handed over to C
/// ([`NewFolio::into_raw`]).
///
/// # Examples
///
/// Fill a folio and read it back.
///
/// ```
/// use kernel::mm::folio::NewFolio;
/// use kernel::page::PAGE_SIZE;
///
/// let mut folio = NewFolio::alloc(GFP_KERNEL)?;
/// assert_eq!(folio.size(), PAGE_SIZE);
/// folio.zero();
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
/// # Ok::<(), Error>(())
/// ```
///
/// # Invariants
///
/// `folio` points to a valid order-0 folio that is not locked, not in any page cache and not
/// mapped. This object owns the only reference to it, and no pointer to it has been handed out.
pub struct NewFolio {
    folio: NonNull<bindings::folio>,
}

// SAFETY: The folio may be used and freed on any thread.
unsafe impl Send for NewFolio {}

// SAFETY: A shared `NewFolio` only allows reading the contents; writes need `&mut NewFolio`.
unsafe impl Sync for NewFolio {}

impl NewFolio {
    /// Allocates an order-0 folio, for use in a page cache.
    ///
    /// The contents are unspecified unless `flags` contains `__GFP_ZERO`.
    #[inline]
    pub fn alloc(flags: Flags) -> Result<Self, AllocError> {
        // SAFETY: `filemap_alloc_folio` may be called with any flags; it may sleep depending on
        // them.
        let folio = unsafe { bindings::filemap_alloc_folio(flags.as_raw(), 0) };
        // INVARIANT: The folio was just allocated with order 0 and we own its only reference.
        Ok(Self {
            folio: NonNull::new(folio).ok_or(AllocError)?,
        })
    }

    /// Returns a raw pointer to the folio.
    #[inline]
    pub fn as_ptr(&self) -> *mut bindings::folio {
        self.folio.as_ptr()
    }

    /// Returns the size of the folio in bytes ([`PAGE_SIZE`]).
    #[inline]
    pub fn size(&self) -> usize {
        self.folio().size()
    }

    fn folio(&self) -> &Folio {
        // SAFETY: By the type invariants, we own a reference to the folio.
        unsafe { Folio::from_raw(self.folio.as_ptr()) }
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

    /// Fills the whole folio with zeroes.
    pub fn zero(&mut self) {
        let size = self.size();
        // The range is the whole folio, so this cannot fail.
        let _ = self.zero_range(0, size);
    }

    /// Copies bytes of the folio at `offset` into `buf`.
    ///
    /// Returns [`EINVAL`] if the range is not within the folio.
    pub fn read(&self, offset: usize, buf: &mut [u8]) -> Result {
        let dst = buf.as_mut_ptr();
        self.folio()
            .with_mapped_chunks(offset, buf.len(), |src, done, len| {
                // SAFETY: `src` is valid for reading `len` bytes, and `done + len <= buf.len()`.
                // Writes to the folio need `&mut self`, and no one else can access it (type
                // invariants), so there is no data race.
                unsafe { ptr::copy_nonoverlapping(src, dst.add(done), len) };
            })
    }

    /// Hands the folio, and the reference to it, over to the caller, typically C code that
    /// returns a newly allocated folio.
    #[inline]
    pub fn into_raw(self) -> NonNull<bindings::folio> {
        ManuallyDrop::new(self).folio
    }
}

impl From<NewFolio> for ARef<Folio> {
    /// Shares the folio: its contents may no longer be written from Rust.
    fn from(folio: NewFolio) -> Self {
        // SAFETY: We own a reference to the folio, which we hand over.
        unsafe { ARef::from_raw(folio.into_raw().cast()) }
    }
}

impl Drop for NewFolio {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: By the type invariants, we own the only reference, which we give up here.
        unsafe { bindings::folio_put(self.folio.as_ptr()) };
    }
}

/// The page cache of an inode whose contents are owned by the user of this object.
///
/// This is a view of the `struct address_space` of an inode that has no backing store (such as
/// the inode of a memory object in [`kernel::mm::userfaultfd`]): no filesystem reads folios into
/// it or writes them back, so the folios in it are the ones inserted with [`PageCache::insert`]
/// (or by C code on behalf of the same owner).
///
/// # Examples
///
/// ```
/// use kernel::mm::folio::{NewFolio, PageCache};
///
/// /// Puts the byte `b` at `index * PAGE_SIZE` unless a page is already there.
/// fn populate(cache: &PageCache, index: usize, b: u8) -> Result<bool> {
///     if cache.lock_folio(index).is_some() {
///         return Ok(false);
///     }
///     let mut folio = NewFolio::alloc(GFP_HIGHUSER_MOVABLE)?;
///     folio.zero();
///     folio.write(0, &[b])?;
///     let cached = cache.insert(index, folio, GFP_KERNEL)?;
///     assert_eq!(cached.index(), index);
///     Ok(true)
/// }
/// ```
///
/// [`kernel::mm::userfaultfd`]: srctree/rust/kernel/mm/userfaultfd.rs
///
/// # Invariants
///
/// `mapping` is the valid `i_mapping` of an inode without backing store, whose page cache
/// contents are owned by the user of this object.
#[repr(transparent)]
pub struct PageCache {
    mapping: Opaque<bindings::address_space>,
}

// SAFETY: The page cache can be used from any thread.
unsafe impl Send for PageCache {}

// SAFETY: All `&self` methods of `PageCache` may be called concurrently from several threads;
// the page cache has its own locking.
unsafe impl Sync for PageCache {}

impl PageCache {
    /// Obtains a page cache view from a raw pointer.
    ///
    /// # Safety
    ///
    /// `mapping` must be the `i_mapping` of an inode that stays valid for `'a`. The inode must
    /// have no backing store, and the caller must own its page cache contents: nobody else may
    /// insert folios into it or expect them to be anything in particular.
    #[inline]
    pub unsafe fn from_raw<'a>(mapping: *mut bindings::address_space) -> &'a Self {
        // SAFETY: `PageCache` is a transparent wrapper of `struct address_space`, and the
        // caller guarantees the rest of the type invariants for `'a`.
        unsafe { &*mapping.cast() }
    }

    /// Returns a raw pointer to the `struct address_space`.
    #[inline]
    pub fn as_ptr(&self) -> *mut bindings::address_space {
        self.mapping.get()
    }

    fn host(&self) -> *mut bindings::inode {
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

    /// Looks up the folio at `index` and locks it, sleeping if needed.
    ///
    /// Returns `None` if there is no folio at `index`.
    pub fn lock_folio(&self, index: usize) -> Option<CachedFolio<'_>> {
        // SAFETY: By the type invariants, the mapping is valid.
        let folio = unsafe { bindings::filemap_lock_folio(self.as_ptr(), index) };
        // `filemap_lock_folio` returns `ERR_PTR(-ENOENT)` if there is no folio.
        let folio = NonNull::new(from_err_ptr(folio).ok()?)?;
        // SAFETY: `filemap_lock_folio` returned the folio locked, with a reference that we own.
        let folio = unsafe { LockedFolio::from_raw(folio) };
        // INVARIANT: `filemap_lock_folio` found the folio at `index` in this page cache, and a
        // locked folio stays in its page cache: removing it takes the folio lock.
        Some(CachedFolio {
            folio,
            cache: self,
            index,
        })
    }

    /// Inserts a new folio at `index`, marking its contents up to date.
    ///
    /// The contents written to `folio` are what everyone sees from now on. Returns the folio,
    /// locked, on success. Fails with [`EEXIST`] if there already is a folio at `index`, with
    /// [`EINVAL`] if `index` is beyond the end of the inode, and with [`ENOMEM`] if memory for
    /// the page cache (`gfp`) or the memory cgroup charge could not be obtained.
    pub fn insert(&self, index: usize, folio: NewFolio, gfp: Flags) -> Result<CachedFolio<'_>> {
        if (index as u64) >= self.size().div_ceil(PAGE_SIZE as u64) {
            return Err(EINVAL);
        }
        // SAFETY: By the type invariants of `NewFolio`, no one else can see the folio, so it
        // may be marked up to date non-atomically.
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
            cache: self,
            index,
        })
    }

    /// Removes the folios in the byte range `offset..offset + len` from the page cache, and
    /// zeroes the parts of the folios at both ends of the range that are only partly in it.
    ///
    /// This punches a hole: the folios are unmapped from every (shared) mapping first, and the
    /// size of the inode is unchanged. Takes the inode lock.
    pub fn punch_hole(&self, offset: u64, len: u64) -> Result {
        let end = offset.checked_add(len).ok_or(EINVAL)?;
        if len == 0 || end > i64::MAX as u64 {
            return Err(EINVAL);
        }
        let inode = self.host();
        // SAFETY: By the type invariants, the inode is valid.
        unsafe { bindings::inode_lock(inode) };
        // SAFETY: By the type invariants, the inode is valid and has no backing store that the
        // removal of the folios would have to be coordinated with. The range was checked to be
        // non-empty and within `loff_t`.
        unsafe { bindings::truncate_pagecache_range(inode, offset as i64, (end - 1) as i64) };
        // SAFETY: We took the lock just above.
        unsafe { bindings::inode_unlock(inode) };
        Ok(())
    }
}

/// A locked folio that is in the page cache `cache` at `index`.
///
/// The only ways to get one are to look a folio up ([`PageCache::lock_folio`]) and to insert one
/// ([`PageCache::insert`]), so the type proves where the folio is. Dropping it unlocks the folio
/// and drops the reference; [`CachedFolio::into_raw`] hands both over to C instead.
///
/// # Invariants
///
/// `folio` is locked and is in `cache`, where it holds `index`.
pub struct CachedFolio<'a> {
    folio: LockedFolio,
    cache: &'a PageCache,
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
    pub fn page_cache(&self) -> &'a PageCache {
        self.cache
    }

    /// Returns whether this folio is in `cache` at `index`.
    #[inline]
    pub fn is_at(&self, cache: &PageCache, index: usize) -> bool {
        ptr::eq(self.cache, cache) && self.index == index
    }

    /// Hands the lock and the reference over to the caller, typically C code that returns a
    /// locked folio from the page cache.
    #[inline]
    pub fn into_raw(self) -> NonNull<bindings::folio> {
        self.folio.into_raw()
    }

    /// Forgets where the folio is, keeping the lock and the reference.
    #[inline]
    pub fn into_locked(self) -> LockedFolio {
        self.folio
    }

    /// Removes the folio from the page cache, unmapping it first, then unlocks it and drops the
    /// reference.
    pub fn remove(self) {
        let mapping = self.cache.as_ptr();
        let folio = self.folio.as_ptr();
        // SAFETY: By the type invariants, the folio is valid and in the page cache.
        let first = (unsafe { bindings::folio_pos(folio) } >> PAGE_SHIFT) as usize;
        let nr = self.folio.size() >> PAGE_SHIFT;
        // SAFETY: The mapping is valid. This zaps the page table entries that map the folio's
        // range (not private copies of it). As we hold the folio lock, no new ones can be made:
        // page faults and userfaultfd install page table entries for a page cache folio under
        // its lock.
        unsafe { bindings::unmap_mapping_pages(mapping, first, nr, false) };
        // SAFETY: By the type invariants, the folio is locked and in the page cache, and it is
        // no longer mapped.
        unsafe { bindings::filemap_remove_folio(folio) };
        // Dropping `self` unlocks the folio and drops our reference.
    }
}

impl Deref for CachedFolio<'_> {
    type Target = Folio;

    #[inline]
    fn deref(&self) -> &Folio {
        &self.folio
    }
}
