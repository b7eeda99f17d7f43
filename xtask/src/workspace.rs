//! Where things live.  The project clone holds sources; `build/` in it holds
//! the kernel git tree, build directories, VM images and logs (ignored by
//! git); the download cache and installed tools live outside the clone so a
//! fresh clone (CI) reuses them.

use crate::ui::{Error, Result};
use std::path::{Path, PathBuf};

/// The branch in the kernel tree that carries the series.
pub const SERIES_BRANCH: &str = "vm-uffd-ops";

/// One edition of the series: its base kernel, where its patches and
/// tree-layout copies live, and the toolchain that builds it.
#[derive(Debug, PartialEq, Eq)]
pub struct Edition {
    /// "mainline" or "lts": prefixes its cases in `test`.
    pub name: &'static str,
    pub version: &'static str,
    pub tag: &'static str,
    /// The Debian source package version whose orig tarball is the base,
    /// and the suite that lists it.
    pub debian_source: &'static str,
    pub suite: &'static str,
    pub tarball_sha256: &'static str,
    pub tarball_size: &'static str,
    /// Fixed date of the base commit (same commit id everywhere).
    pub base_date: &'static str,
    /// The LLVM the kernel is built with (LLVM=-N), and its libclang for bindgen.
    pub llvm: &'static str,
    /// Where `patches/`, `series/` and the tree-layout copies are, in the project.
    pub dir: &'static str,
}

/// The product: the series on the newest mainline the Debian archive serves.
pub const MAINLINE: Edition = Edition {
    name: "mainline",
    version: "7.2.8",
    tag: "v7.2.8",
    debian_source: "7.2.8-1",
    suite: "sid",
    tarball_sha256: "08f058f9de8d487e32a5c9e2855ee7e35bee1a047e77d37ba797d734c0cc07b3",
    tarball_size: "164 MB",
    base_date: "2026-11-20T00:00:00+0000",
    // 7.2 needs LLVM >= 17 (scripts/min-tool-version.sh); bookworm has 19.
    llvm: "19",
    dir: "",
};

/// The v6.18.15 edition: kept green, not extended (a later issue
/// regenerates it as a backport of the mainline edition).
pub const LTS: Edition = Edition {
    name: "lts",
    version: "6.18.15",
    tag: "v6.18.15",
    debian_source: "6.18.15-1~bpo13+1",
    suite: "trixie-backports",
    tarball_sha256: "fdf4c4d487c95b17a41cb38003faef86669e532a44fe702eb31a3390b6a60cca",
    tarball_size: "157 MB",
    base_date: "2026-02-27T00:00:00+0000",
    llvm: "16",
    dir: "lts/v6.18.15",
};

pub const EDITIONS: &[&Edition] = &[&MAINLINE, &LTS];

impl Edition {
    pub fn tarball(&self) -> String {
        format!("linux_{}.orig.tar.xz", self.version)
    }
    pub fn label(&self) -> String {
        format!("{} v{}", self.name, self.version)
    }
}

pub struct Workspace {
    /// The project clone (where `patches/` is).
    pub root: PathBuf,
    /// Download cache and installed tools, shared by clones.
    pub cache: PathBuf,
    /// The edition this run is about.
    pub edition: &'static Edition,
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
        Ok(Workspace { root, cache, edition: &MAINLINE })
    }

    /// The same project for another edition.
    pub fn with_edition(&self, edition: &'static Edition) -> Workspace {
        Workspace { root: self.root.clone(), cache: self.cache.clone(), edition }
    }

    /// The edition's build directory: its kernel trees, build directories,
    /// VM images and logs (ignored by git).
    pub fn build_dir(&self) -> PathBuf {
        self.root.join("build").join(self.edition.name)
    }

    /// Where the edition's `patches/`, `series/` and tree-layout copies are.
    pub fn edition_dir(&self) -> PathBuf {
        self.root.join(self.edition.dir)
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
        // Inside the source tree it builds: kbuild then names every source
        // relative to the build directory (`srctree := ..`), so the tip's,
        // the base's and the check tree's compiles look alike to ccache and
        // the base and check builds hit what the tip's build cached.  kbuild
        // writes a `.gitignore` of `*` into it, so git does not see it.
        self.source_dir(which).join(match which {
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
        self.edition_dir().join("patches")
    }
    pub fn cover_letter(&self) -> PathBuf {
        self.edition_dir().join("series/cover-letter.txt")
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
    /// The edition's unpatched base.
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
            Kernel::Base => "unpatched base",
            Kernel::Debug => "series tip (debug profile)",
            Kernel::Check(_) => "check tree",
        }
    }
}

pub fn ensure_dir(p: &Path) -> Result<()> {
    std::fs::create_dir_all(p).map_err(|e| Error::new(format!("cannot create {}: {e}", p.display())))
}
