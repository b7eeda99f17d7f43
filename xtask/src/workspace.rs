//! Where things live.  The project clone holds sources; `build/` in it holds
//! the kernel git tree, build directories, VM images and logs (ignored by
//! git); the download cache and installed tools live outside the clone so a
//! fresh clone (CI) reuses them.

use crate::ui::{Error, Result};
use std::path::{Path, PathBuf};

pub const BASE_VERSION: &str = "6.18.15";
pub const BASE_TAG: &str = "v6.18.15";
/// The branch in the kernel tree that carries the series.
pub const SERIES_BRANCH: &str = "vm-uffd-ops";

pub struct Workspace {
    /// The project clone (where `patches/` is).
    pub root: PathBuf,
    /// Download cache and installed tools, shared by clones.
    pub cache: PathBuf,
}

impl Workspace {
    pub fn discover() -> Result<Self> {
        let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let root = manifest
            .parent()
            .ok_or_else(|| Error::new("xtask crate has no parent directory"))?
            .to_path_buf();
        if !root.join("patches").is_dir() {
            return Err(Error::new(format!("{} has no patches/ directory", root.display()))
                .hint("run cargo xtask from the project clone"));
        }
        let cache = match std::env::var_os("UFFD_WS_CACHE") {
            Some(dir) => PathBuf::from(dir),
            None => {
                let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
                PathBuf::from(home).join(".cache/vm-uffd-ops")
            }
        };
        Ok(Workspace { root, cache })
    }

    pub fn build_dir(&self) -> PathBuf {
        self.root.join("build")
    }
    /// The kernel git tree: base commit + series branch.  Developers edit here.
    pub fn linux(&self) -> PathBuf {
        self.build_dir().join("linux")
    }
    /// A second worktree of the same repository, used for base builds.
    pub fn linux_base(&self) -> PathBuf {
        self.build_dir().join("linux-base")
    }
    /// A scratch worktree used by `check` (git am from a clean base, per-patch builds).
    pub fn linux_check(&self) -> PathBuf {
        self.build_dir().join("linux-check")
    }
    pub fn out_dir(&self, which: Kernel) -> PathBuf {
        if let (Kernel::Tip, Some(dir)) = (which, std::env::var_os("XTASK_TIP_OUT")) {
            return PathBuf::from(dir);
        }
        self.build_dir().join(match which {
            Kernel::Tip => "out".to_string(),
            Kernel::Base => "out-base".to_string(),
            Kernel::Debug => "out-debug".to_string(),
            Kernel::Check(variant) => format!("out-check-{variant}"),
        })
    }
    pub fn logs(&self) -> PathBuf {
        self.build_dir().join("logs")
    }
    pub fn patches(&self) -> PathBuf {
        self.root.join("patches")
    }
    pub fn config_fragment(&self) -> PathBuf {
        self.root.join("config/uffd-vm.config")
    }
    /// The config fragments `which` is built from.
    pub fn config_fragments(&self, which: Kernel) -> Vec<PathBuf> {
        match which {
            Kernel::Debug => vec![self.config_fragment(), self.root.join("config/debug.config")],
            _ => vec![self.config_fragment()],
        }
    }
    pub fn tools_bin(&self) -> PathBuf {
        self.cache.join("tools/bin")
    }
    pub fn venv(&self) -> PathBuf {
        self.cache.join("venv")
    }
    pub fn source_dir(&self, which: Kernel) -> PathBuf {
        match which {
            Kernel::Tip | Kernel::Debug => {
                std::env::var_os("XTASK_TIP_SRC").map(PathBuf::from).unwrap_or_else(|| self.linux())
            }
            Kernel::Base => self.linux_base(),
            Kernel::Check(_) => self.linux_check(),
        }
    }
}

/// Which kernel a build or VM run is about.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kernel {
    /// The series branch (the default).
    Tip,
    /// Unpatched v6.18.15.
    Base,
    /// The series tip built with the debug profile (config/debug.config:
    /// KASAN, lockdep, DEBUG_VM, kmemleak, UBSAN, fault injection).
    Debug,
    /// The `check` scratch worktree, built with the named config variant.
    Check(&'static str),
}

impl Kernel {
    pub fn label(self) -> &'static str {
        match self {
            Kernel::Tip => "series tip",
            Kernel::Base => "base v6.18.15",
            Kernel::Debug => "series tip (debug profile)",
            Kernel::Check(_) => "check tree",
        }
    }
}

pub fn ensure_dir(p: &Path) -> Result<()> {
    std::fs::create_dir_all(p).map_err(|e| Error::new(format!("cannot create {}: {e}", p.display())))
}
