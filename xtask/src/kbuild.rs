//! `cargo xtask build [--base]`: kernel, modules and UAPI headers, out of tree,
//! from tinyconfig plus the fragment in config/; then the static selftests.

use crate::proc;
use crate::selftests;
use crate::setup;
use crate::ui::{info, Error, Result, Step};
use crate::workspace::{ensure_dir, Kernel, Workspace};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub const JOBS: &str = "-j3";

/// `make` for the kernel tree of `which`, with the pinned toolchain.  Every
/// kernel make of the workspace holds one lock (in the cache directory), so
/// two kernel builds never run at once on these two cores, whoever starts them.
pub fn make(ws: &Workspace, which: Kernel) -> Command {
    let lock = ws.cache.join("kernel-build.lock");
    let _ = std::fs::create_dir_all(&ws.cache);
    let mut c = Command::new("flock");
    c.arg("--verbose").arg(lock).arg("make");
    c.arg("-C")
        .arg(ws.source_dir(which))
        .arg(format!("O={}", ws.out_dir(which).display()))
        .arg("LLVM=-16")
        .arg("RUSTC=/usr/bin/rustc")
        .arg("RUSTDOC=/usr/bin/rustdoc")
        .arg("CLIPPY_DRIVER=/usr/bin/clippy-driver")
        .arg("RUSTFMT=/usr/bin/rustfmt")
        .arg("RUST_LIB_SRC=/usr/lib/rustlib/src/rust/library")
        .arg(format!("BINDGEN={}", ws.tools_bin().join("bindgen").display()))
        .env("LIBCLANG_PATH", "/usr/lib/llvm-16/lib")
        .env("KBUILD_BUILD_USER", "xtask")
        .env("KBUILD_BUILD_HOST", "vm-uffd-ops")
        .env("KBUILD_BUILD_TIMESTAMP", "2026-02-27");
    c
}

/// The `CONFIG_X=v` lines of a fragment.
pub fn fragment_entries(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("CONFIG_"))
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect()
}

/// Symbols of the fragments whose value in `.config` differs from the
/// request (a later fragment's value for a symbol overrides an earlier one).
pub fn unmet_entries(fragment: &str, config: &str) -> Vec<String> {
    let mut unmet = Vec::new();
    let mut wanted: Vec<(String, String)> = Vec::new();
    for (key, want) in fragment_entries(fragment) {
        wanted.retain(|(k, _)| *k != key);
        wanted.push((key, want));
    }
    for (key, want) in wanted {
        let got = config.lines().find_map(|l| {
            if l == format!("# {key} is not set") {
                Some("n".to_string())
            } else {
                l.strip_prefix(&format!("{key}=")).map(str::to_string)
            }
        });
        let got = got.unwrap_or_else(|| "n".into());
        if got != want {
            unmet.push(format!("{key}={want} (got {got})"));
        }
    }
    unmet
}

/// Whether the tree's Kconfig defines `CONFIG_X` (the fragment also names
/// options the series adds, which the base tree does not have).
fn symbol_defined(tree: &Path, config_sym: &str) -> bool {
    let sym = config_sym.trim_start_matches("CONFIG_");
    let pattern = format!("^\\s*(menu)?config {sym}\\s*$");
    Command::new("git")
        .arg("-C")
        .arg(tree)
        .args(["grep", "-q", "-E", &pattern, "--", "*Kconfig*"])
        .status()
        .map(|s| s.success())
        .unwrap_or(true)
}

/// Writes `.config` = tinyconfig + fragments, only when the inputs changed
/// (a rewrite of .config would make the next build nearly cold).
pub fn configure(ws: &Workspace, which: Kernel, fragments: &[PathBuf]) -> Result<()> {
    let out = ws.out_dir(which);
    ensure_dir(&out)?;
    let mut inputs = String::new();
    for f in fragments {
        inputs.push_str(&std::fs::read_to_string(f).map_err(|e| Error::new(format!("{}: {e}", f.display())))?);
    }
    // A symbol the tree starts to define (a patch adding a Kconfig option
    // the fragment asks for) must reconfigure too; kbuild then rebuilds only
    // what depends on it.
    let defined: Vec<String> = fragment_entries(&inputs)
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| symbol_defined(&ws.source_dir(which), k))
        .collect();
    let stamp_text = format!("{inputs}\n# defined in this tree: {}\n", defined.join(" "));
    let stamp = out.join(".xtask-config-inputs");
    if out.join(".config").is_file() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&stamp_text) {
        // A make without the pinned toolchain (e.g. one run by hand with
        // the rustup rustc) can silently turn options off: verify.
        let config = std::fs::read_to_string(out.join(".config")).unwrap_or_default();
        let unmet: Vec<String> = unmet_entries(&inputs, &config)
            .into_iter()
            .filter(|u| symbol_defined(&ws.source_dir(which), u.split('=').next().unwrap_or("")))
            .collect();
        if unmet.is_empty() {
            return Ok(());
        }
        info(format!("the .config lost {}: configuring again", unmet.join(", ")));
    }
    let step = Step::start(format!("configuring {} (tinyconfig + {} fragment(s))", which.label(), fragments.len()));
    let log = ws.logs().join(format!("config-{}.log", out.file_name().unwrap().to_string_lossy()));
    let _ = std::fs::remove_file(&log);
    proc::run_logged(make(ws, which).arg("tinyconfig"), &log, "make tinyconfig", Duration::from_secs(30))?;
    proc::run_logged(
        Command::new(ws.source_dir(which).join("scripts/kconfig/merge_config.sh"))
            .current_dir(ws.source_dir(which))
            .arg("-m")
            .arg("-O")
            .arg(&out)
            .arg(out.join(".config"))
            .args(fragments),
        &log,
        "merge_config.sh",
        Duration::from_secs(30),
    )?;
    proc::run_logged(make(ws, which).arg("olddefconfig"), &log, "make olddefconfig", Duration::from_secs(30))?;
    let config = std::fs::read_to_string(out.join(".config"))?;
    let unmet: Vec<String> = unmet_entries(&inputs, &config)
        .into_iter()
        .filter(|u| symbol_defined(&ws.source_dir(which), u.split('=').next().unwrap_or("")))
        .collect();
    if !unmet.is_empty() {
        return Err(Error::new(format!("config symbols not as requested: {}", unmet.join(", ")))
            .hint("a dependency is missing from config/uffd-vm.config; see make menuconfig for what each needs"));
    }
    std::fs::write(&stamp, stamp_text)?;
    step.done();
    Ok(())
}

/// Builds bzImage, modules and headers for `which`.
pub fn build_kernel(ws: &Workspace, which: Kernel, fragments: &[PathBuf]) -> Result<()> {
    setup::ensure(ws)?;
    configure(ws, which, fragments)?;
    let out = ws.out_dir(which);
    let log = ws.logs().join(format!("build-{}.log", out.file_name().unwrap().to_string_lossy()));
    let _ = std::fs::remove_file(&log);
    let step = Step::start(format!("building {} (log: {})", which.label(), log.display()));
    proc::run_logged(
        make(ws, which).arg(JOBS).args(["bzImage", "modules", "headers"]),
        &log,
        "kernel build",
        Duration::from_secs(60),
    )?;
    step.done();
    Ok(())
}

pub fn bzimage(ws: &Workspace, which: Kernel) -> PathBuf {
    ws.out_dir(which).join("arch/x86/boot/bzImage")
}

/// `cargo xtask build [--base]`.
pub fn build(ws: &Workspace, which: Kernel, linux: Option<&Path>) -> Result<()> {
    match which {
        Kernel::Tip | Kernel::Debug => crate::tree::tree_for_build(ws, linux)?,
        Kernel::Base => {
            crate::tree::tree_for_build(ws, linux)?;
            crate::tree::ensure_worktree(ws, &ws.linux_base())?;
        }
        Kernel::Check(_) => {}
    }
    build_kernel(ws, which, &ws.config_fragments(which))?;
    selftests::build(ws, which)?;
    info(format!("kernel: {}", bzimage(ws, which).display()));
    Ok(())
}

pub fn headers_dir(ws: &Workspace, which: Kernel) -> PathBuf {
    ws.out_dir(which).join("usr/include")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_fragment_overrides_earlier() {
        let frag = "CONFIG_SHMEM=y\nCONFIG_TMPFS=y\nCONFIG_SHMEM=n\n";
        let config = "# CONFIG_SHMEM is not set\nCONFIG_TMPFS=y\n";
        assert!(unmet_entries(frag, config).is_empty());
    }

    #[test]
    fn unmet_symbol_is_reported() {
        let frag = "CONFIG_USERFAULTFD=y\n";
        assert_eq!(unmet_entries(frag, "# CONFIG_USERFAULTFD is not set\n"), vec!["CONFIG_USERFAULTFD=y (got n)"]);
        assert_eq!(unmet_entries(frag, ""), vec!["CONFIG_USERFAULTFD=y (got n)"]);
    }
}
