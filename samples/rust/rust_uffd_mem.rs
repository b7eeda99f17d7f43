// SPDX-License-Identifier: GPL-2.0

//! Rust userfaultfd memory type sample.
//!
//! `/dev/rust_uffd_mem` hands out RAM-backed memory objects, a tiny memfd: the ioctl
//! `_IOW('u', 0x80, __u64)` creates an object of the size passed as its argument (rounded up to
//! whole pages) and returns a new file descriptor to `mmap()` it, shared or private. Two shared
//! mappings of one object see the same pages. Mappings may be registered with userfaultfd in
//! `MISSING`, `MINOR` and `WP` modes, and holes may be punched with `MADV_REMOVE` or
//! `fallocate(FALLOC_FL_PUNCH_HOLE)`. An object counts the insertions of pages into it that its
//! `inserted` hook accepted (by page faults and fills; a page again after a hole was punched
//! there; also a fill that fails after the insertion), and the ioctl `_IO('u', 0x81)` on its
//! file descriptor returns that count.
//!
//! It behaves like `lib/test_uffd_memtype.c` (same create ioctl), and the uffd selftests
//! (`tools/testing/selftests/mm/uffd-unit-tests`, `uffd-stress`) use it as their "rustmem"
//! memory type.

use kernel::{
    fs::{
        file::flags::O_CLOEXEC,
        File, //
    },
    ioctl::{
        _IO,
        _IOW, //
    },
    miscdevice::{
        MiscDevice,
        MiscDeviceOptions,
        MiscDeviceRegistration, //
    },
    mm::{
        folio::{
            NewFolio,
            Uninit, //
        },
        userfaultfd::{
            PageSite,
            UffdMemType,
            UffdModes,
            UffdOps, //
        },
    },
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
        ArcBorrow, //
    },
};

const RUST_UFFD_MEM_CREATE: u32 = _IOW::<u64>('u' as u32, 0x80);
const RUST_UFFD_MEM_INSERTED: u32 = _IO('u' as u32, 0x81);

module! {
    type: RustUffdMemModule,
    name: "rust_uffd_mem",
    authors: ["vm-uffd-ops workspace"],
    description: "Rust userfaultfd memory type sample",
    license: "GPL",
}

/// The memory type: pages are allocated on demand and zero-filled on a plain fault. An object's
/// data is the number of page insertions it accepted.
struct RustUffdMem;

#[vtable]
impl UffdOps for RustUffdMem {
    type Ptr = Arc<Atomic<usize>>;
    const MODES: UffdModes = UffdModes::MISSING
        .with(UffdModes::MINOR)
        .with(UffdModes::WP);

    // The pages cannot be migrated, so they do not come from movable memory.
    fn alloc_folio(
        _inserted: ArcBorrow<'_, Atomic<usize>>,
        at: &PageSite<'_>,
    ) -> Result<NewFolio<Uninit>> {
        Ok(at.alloc_folio(GFP_HIGHUSER)?)
    }

    fn inserted(inserted: ArcBorrow<'_, Atomic<usize>>, _index: usize) -> Result {
        inserted.add(1, Relaxed);
        Ok(())
    }

    fn ioctl(
        inserted: ArcBorrow<'_, Atomic<usize>>,
        _file: &File,
        cmd: u32,
        _arg: usize,
    ) -> Result<isize> {
        match cmd {
            RUST_UFFD_MEM_INSERTED => Ok(inserted.load(Relaxed).try_into()?),
            _ => Err(ENOTTY),
        }
    }
}

static MEMTYPE: UffdMemType<RustUffdMem> = UffdMemType::new(c"[rust_uffd_mem]", &THIS_MODULE);

/// The misc device that creates the memory objects.
struct RustUffdMemDevice;

#[vtable]
impl MiscDevice for RustUffdMemDevice {
    type Ptr = ();
    const OWNER: &'static ThisModule = &THIS_MODULE;

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result {
        Ok(())
    }

    fn ioctl(_device: (), _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        match cmd {
            RUST_UFFD_MEM_CREATE => {
                let inserted = Arc::new(Atomic::new(0), GFP_KERNEL)?;
                let fd = MEMTYPE.create(arg as u64, inserted)?.into_fd(O_CLOEXEC)?;
                Ok(fd as isize)
            }
            _ => Err(ENOTTY),
        }
    }
}

#[pin_data]
struct RustUffdMemModule {
    #[pin]
    _miscdev: MiscDeviceRegistration<RustUffdMemDevice>,
}

impl kernel::InPlaceModule for RustUffdMemModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        let options = MiscDeviceOptions {
            name: c"rust_uffd_mem",
        };
        try_pin_init!(Self {
            _miscdev <- MiscDeviceRegistration::register(options),
        })
    }
}
