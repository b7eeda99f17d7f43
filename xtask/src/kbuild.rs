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

/// `-j` for kernel builds: the machine's CPUs plus one (a job waiting on
/// I/O leaves a CPU idle otherwise).
pub fn jobs() -> String {
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    format!("-j{}", cpus + 1)
}

/// ccache's directory, shared by every clone on the machine.
pub fn ccache_dir(ws: &Workspace) -> PathBuf {
    ws.cache.join("ccache")
}

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
        .arg(format!("LLVM=-{}", ws.edition.llvm))
        // Through ccache (cache in ~/.cache/vm-uffd-ops/ccache, paths
        // relative to the clone's build/, so another clone hits too); the
        // fixed KBUILD_BUILD_* below keep the objects identical.
        .arg(format!("CC=ccache clang-{}", ws.edition.llvm))
        .env("CCACHE_DIR", ccache_dir(ws))
        .env("CCACHE_BASEDIR", ws.build_dir())
        .env("CCACHE_MAXSIZE", "20G")
        .env("CCACHE_SLOPPINESS", "time_macros")
        .arg("RUSTC=/usr/bin/rustc")
        .arg("RUSTDOC=/usr/bin/rustdoc")
        .arg("CLIPPY_DRIVER=/usr/bin/clippy-driver")
        .arg("RUSTFMT=/usr/bin/rustfmt")
        .arg("RUST_LIB_SRC=/usr/lib/rustlib/src/rust/library")
        .arg(format!("BINDGEN={}", ws.tools_bin().join("bindgen").display()))
        .env("LIBCLANG_PATH", format!("/usr/lib/llvm-{}/lib", ws.edition.llvm))
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

/// The symbols the tree's Kconfig files define (the fragment also names
/// options the series adds, which the base tree does not have): one
/// `git grep` per configure, not one per symbol.
fn kconfig_symbols(tree: &Path) -> Result<std::collections::BTreeSet<String>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(tree)
        .args(["grep", "-h", "-E", "^\\s*(menu)?config [A-Za-z0-9_]+\\s*$", "--", "*Kconfig*"])
        .output()
        .map_err(|e| Error::new(format!("cannot run git grep in {}: {e}", tree.display())))?;
    // 1: nothing matched, which no kernel tree gives; 128: not a git tree.
    if !out.status.success() {
        return Err(Error::new(format!(
            "git grep for Kconfig symbols failed in {} ({}): {}",
            tree.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
        .hint("the kernel tree must be a git work tree (cargo xtask tree makes one)"));
    }
    Ok(parse_kconfig_symbols(&String::from_utf8_lossy(&out.stdout)))
}

/// `CONFIG_` names of "config X" / "menuconfig X" lines.
fn parse_kconfig_symbols(text: &str) -> std::collections::BTreeSet<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            let sym = l.strip_prefix("menuconfig ").or_else(|| l.strip_prefix("config "))?;
            Some(format!("CONFIG_{}", sym.trim()))
        })
        .collect()
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
    let symbols = kconfig_symbols(&ws.source_dir(which))?;
    let defined: Vec<String> = fragment_entries(&inputs).into_iter().map(|(k, _)| k).filter(|k| symbols.contains(k)).collect();
    let stamp_text = format!("{inputs}\n# defined in this tree: {}\n", defined.join(" "));
    let stamp = out.join(".xtask-config-inputs");
    if out.join(".config").is_file() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&stamp_text) {
        // A make without the pinned toolchain (e.g. one run by hand with
        // the rustup rustc) can silently turn options off: verify.
        let config = std::fs::read_to_string(out.join(".config")).unwrap_or_default();
        let unmet: Vec<String> = unmet_entries(&inputs, &config)
            .into_iter()
            .filter(|u| symbols.contains(u.split('=').next().unwrap_or("")))
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
    let config = crate::fsx::read_to_string(out.join(".config"))?;
    let unmet: Vec<String> = unmet_entries(&inputs, &config)
        .into_iter()
        .filter(|u| symbols.contains(u.split('=').next().unwrap_or("")))
        .collect();
    if !unmet.is_empty() {
        return Err(Error::new(format!("config symbols not as requested: {}", unmet.join(", ")))
            .hint("a dependency is missing from config/uffd-vm.config; see make menuconfig for what each needs"));
    }
    crate::fsx::write(&stamp, stamp_text)?;
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
        make(ws, which).arg(jobs()).args(targets(which)),
        &log,
        "kernel build",
        Duration::from_secs(60),
    )?;
    step.done();
    Ok(())
}

/// What a build makes: the matrix builds never boot, so they compile
/// `vmlinux modules` only (the modules are the memory types' compile
/// coverage); every other build also makes the bzImage and the headers.
fn targets(which: Kernel) -> &'static [&'static str] {
    match which {
        Kernel::Check(v) if v != "default" => &["vmlinux", "modules"],
        _ => &["bzImage", "modules", "headers"],
    }
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
    fn kconfig_symbols_of_config_and_menuconfig_lines() {
        let text = "config USERFAULTFD\nmenuconfig RUST\n\tconfig  \nconfig TEST_UFFD_MEMTYPE\n";
        let s = parse_kconfig_symbols(text);
        assert!(s.contains("CONFIG_USERFAULTFD") && s.contains("CONFIG_RUST") && s.contains("CONFIG_TEST_UFFD_MEMTYPE"));
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn unmet_symbol_is_reported() {
        let frag = "CONFIG_USERFAULTFD=y\n";
        assert_eq!(unmet_entries(frag, "# CONFIG_USERFAULTFD is not set\n"), vec!["CONFIG_USERFAULTFD=y (got n)"]);
        assert_eq!(unmet_entries(frag, ""), vec!["CONFIG_USERFAULTFD=y (got n)"]);
    }
}
