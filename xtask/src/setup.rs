//! `cargo xtask setup [--check]`: the kernel toolchain, QEMU and helper tools.
//!
//! Versions that matter are pinned: rustc 1.85 is the newest Debian 12 rustc
//! that builds v6.18.15's Rust code (1.96 fails in rust/kernel/irq/request.rs).

use crate::proc;
use crate::ui::{info, Error, Result, Step};
use crate::workspace::Workspace;
use std::process::Command;

const RUST_PIN: &str = "1.85.0+dfsg3-1~deb12u3";
const BINDGEN_VERSION: &str = "0.73.2";
const B4_VERSION: &str = "0.14.3";
/// Sphinx for `make htmldocs` (the kernel needs >= 3.4.3; 8.1.3 measured).
const SPHINX_VERSION: &str = "8.1.3";
const PYYAML_VERSION: &str = "6.0.2";

/// Debian 12 packages: (name, pinned version or None).
const DEBIAN_PACKAGES: &[(&str, Option<&str>)] = &[
    ("rustc-web", Some(RUST_PIN)),
    ("rust-web-src", Some(RUST_PIN)),
    ("rust-web-clippy", Some(RUST_PIN)),
    ("rustfmt-web", Some(RUST_PIN)),
    ("libstd-rust-web-dev", Some(RUST_PIN)),
    // LLVM 16 builds the v6.18.15 edition; 7.2 needs LLVM >= 17: 19 for mainline.
    ("clang-16", None),
    ("lld-16", None),
    ("llvm-16", None),
    ("libclang-16-dev", None),
    ("clang-19", None),
    ("lld-19", None),
    ("llvm-19", None),
    ("libclang-19-dev", None),
    ("gcc", None),
    ("make", None),
    ("flex", None),
    ("bison", None),
    ("bc", None),
    ("libelf-dev", None),
    ("libssl-dev", None),
    ("cpio", None),
    ("kmod", None),
    ("perl", None),
    ("sparse", None),
    // Every kernel build compiles through it (kbuild.rs): a fresh clone
    // on a machine that built the same sources before compiles nothing again.
    ("ccache", None),
    ("xz-utils", None),
    ("git", None),
    ("qemu-system-x86", None),
    ("busybox-static", None),
    ("python3-venv", None),
];

pub struct ToolStatus {
    pub name: String,
    pub present: Option<String>,
    pub wanted: String,
}

fn dpkg_version(pkg: &str) -> Option<String> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Status}\t${Version}", pkg])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let (status, version) = text.split_once('\t')?;
    status.ends_with(" installed").then(|| version.to_string())
}

/// Whether the venv's python can import `module`.
fn venv_has_module(ws: &Workspace, module: &str) -> bool {
    Command::new(ws.venv().join("bin/python3"))
        .args(["-c", &format!("import {module}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn tool_version(prog: &std::path::Path, arg: &str) -> Option<String> {
    let out = Command::new(prog).arg(arg).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    text.lines().next().map(|l| l.trim().to_string())
}

pub fn status(ws: &Workspace) -> Vec<ToolStatus> {
    let mut all = Vec::new();
    for (pkg, pin) in DEBIAN_PACKAGES {
        let present = dpkg_version(pkg);
        let ok = match (pin, &present) {
            (Some(p), Some(v)) => v == p,
            (None, Some(_)) => true,
            _ => false,
        };
        all.push(ToolStatus {
            name: format!("deb:{pkg}"),
            present: present.filter(|_| ok),
            wanted: pin.map(|p| p.to_string()).unwrap_or_else(|| "any".into()),
        });
    }
    all.push(ToolStatus {
        name: "crate:bindgen-cli".into(),
        present: tool_version(&ws.tools_bin().join("bindgen"), "--version")
            .filter(|v| v.contains(BINDGEN_VERSION)),
        wanted: BINDGEN_VERSION.into(),
    });
    all.push(ToolStatus {
        name: "pypi:b4".into(),
        present: tool_version(&ws.venv().join("bin/b4"), "--version").filter(|v| v.contains(B4_VERSION)),
        wanted: B4_VERSION.into(),
    });
    // `check` builds the series' documents (make htmldocs) with it.
    all.push(ToolStatus {
        name: "pypi:sphinx".into(),
        present: tool_version(&ws.venv().join("bin/sphinx-build"), "--version")
            .filter(|v| v.contains(SPHINX_VERSION))
            .filter(|_| venv_has_module(ws, "yaml")),
        wanted: format!("{SPHINX_VERSION} (+ pyyaml {PYYAML_VERSION})"),
    });
    all
}

pub fn all_present(ws: &Workspace) -> bool {
    status(ws).iter().all(|t| t.present.is_some())
}

fn is_debian_12() -> bool {
    let text = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    text.lines().any(|l| l == "ID=debian") && text.lines().any(|l| l == "VERSION_ID=\"12\"")
}

fn not_debian_error() -> Error {
    let pkgs: Vec<String> = DEBIAN_PACKAGES
        .iter()
        .map(|(p, v)| match v {
            Some(v) => format!("{p}={v}"),
            None => p.to_string(),
        })
        .collect();
    Error::new("this machine is not Debian 12, so setup cannot install the toolchain itself").hint(format!(
        "install the equivalents of: {}; rustc 1.85 with its library source; \
         `cargo install --locked bindgen-cli --version {BINDGEN_VERSION} --root {{cache}}/tools`; \
         b4 {B4_VERSION} in a venv at {{cache}}/venv; then run `cargo xtask setup --check`",
        pkgs.join(" ")
    ))
}

/// `setup --check`: prints one line per tool, fails if anything is missing.
pub fn check(ws: &Workspace) -> Result<()> {
    let mut missing = 0;
    for t in status(ws) {
        match &t.present {
            Some(v) => println!("present  {:<28} {v}", t.name),
            None => {
                missing += 1;
                println!("MISSING  {:<28} wanted {}", t.name, t.wanted)
            }
        }
    }
    if missing > 0 {
        return Err(Error::new(format!("{missing} tool(s) missing")).hint("run `cargo xtask setup`"));
    }
    Ok(())
}

extern "C" {
    fn geteuid() -> u32;
}

/// The packages apt's simulation says it would remove ("Remv pkg [ver]").
pub fn removals(simulation: &str) -> Vec<String> {
    simulation
        .lines()
        .filter_map(|l| l.strip_prefix("Remv "))
        .map(|r| r.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
        .collect()
}

/// apt-get install of `wanted` (output in build/logs/setup-apt.log), after
/// checking each pinned version is still in the archive and saying what
/// apt will remove and what is held, and why.
fn apt_install(ws: &Workspace, wanted: &[String]) -> Result<()> {
    // SAFETY: geteuid() has no preconditions.
    if unsafe { geteuid() } != 0 {
        return Err(Error::new("setup installs Debian packages with apt-get, which needs root")
            .hint(format!("run it as root, or install these yourself: {}", wanted.join(" "))));
    }
    let log = ws.logs().join("setup-apt.log");
    let _ = std::fs::remove_file(&log);
    let step = Step::start(format!("apt-get update (log: {})", log.display()));
    proc::run_logged(Command::new("apt-get").arg("update").arg("-q"), &log, "apt-get update", std::time::Duration::from_secs(30))
        .map_err(|e| e.hint("check that the Debian archive in /etc/apt is reachable"))?;
    step.done();
    for w in wanted.iter().filter(|w| w.contains('=')) {
        let (pkg, version) = w.split_once('=').unwrap_or((w, ""));
        let listed = proc::output(Command::new("apt-cache").args(["madison", pkg])).unwrap_or_default();
        if !listed.lines().any(|l| l.split('|').nth(1).is_some_and(|v| v.trim() == version)) {
            return Err(Error::new(format!("{pkg} {version} is no longer in the Debian archive")).hint(format!(
                "the workspace pins it (RUST_PIN in xtask/src/setup.rs: {}); fetch its .deb from snapshot.debian.org \
                 and `apt install ./` it, or move the pin to a version that builds v{} (see the README)",
                "newer rustc does not build the base's Rust code",
                "6.18.15 and 7.2.8"
            )));
        }
    }
    let mut sim = Command::new("apt-get");
    sim.args(["install", "-s", "-q", "--no-install-recommends", "--allow-downgrades"]).args(wanted);
    let gone = removals(&proc::output(&mut sim).unwrap_or_default());
    if !gone.is_empty() {
        info(format!(
            "apt will remove {} to install the pinned toolchain (they conflict with it): {}",
            gone.len(),
            gone.join(", ")
        ));
    }
    let step = Step::start(format!("installing {} Debian package(s): {}", wanted.len(), wanted.join(" ")));
    proc::run_logged(
        Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends", "--allow-downgrades"])
            .args(wanted)
            .env("DEBIAN_FRONTEND", "noninteractive"),
        &log,
        "apt-get install",
        std::time::Duration::from_secs(30),
    )
    .map_err(|e| e.hint("apt-get could not install the toolchain; its log says why"))?;
    let names: Vec<&str> = DEBIAN_PACKAGES.iter().filter(|(_, v)| v.is_some()).map(|(n, _)| *n).collect();
    info(format!(
        "holding {} at {RUST_PIN} (apt-mark hold): a later apt-get upgrade would move them to a rustc that does not build v{}; \
         `apt-mark unhold` them to undo",
        names.join(" "),
        "6.18.15 and 7.2.8"
    ));
    proc::run_logged(Command::new("apt-mark").arg("hold").args(&names), &log, "apt-mark hold", std::time::Duration::from_secs(30))?;
    step.done();
    Ok(())
}

/// Installs whatever is missing.  Idempotent: a complete machine does nothing.
pub fn install(ws: &Workspace) -> Result<()> {
    let status = status(ws);
    let missing_debs: Vec<String> = status
        .iter()
        .filter(|t| t.present.is_none() && t.name.starts_with("deb:"))
        .map(|t| {
            let name = &t.name[4..];
            if t.wanted == "any" {
                name.to_string()
            } else {
                format!("{name}={}", t.wanted)
            }
        })
        .collect();
    if !missing_debs.is_empty() {
        if !is_debian_12() {
            return Err(not_debian_error());
        }
        // The pinned packages depend on each other by exact version: asking
        // apt for one of them alone lets it move the others (e.g. to 1.96),
        // so they are always named together, and held afterwards.
        let pinned: Vec<String> =
            DEBIAN_PACKAGES.iter().filter_map(|(n, v)| v.map(|v| format!("{n}={v}"))).collect();
        let mut wanted = missing_debs.clone();
        if missing_debs.iter().any(|d| d.contains('=')) {
            wanted.retain(|d| !d.contains('='));
            wanted.extend(pinned.iter().cloned());
        }
        apt_install(ws, &wanted)?;
    }
    if status.iter().any(|t| t.name == "crate:bindgen-cli" && t.present.is_none()) {
        let step = Step::start(format!("installing bindgen-cli {BINDGEN_VERSION} from crates.io"));
        proc::run(
            Command::new("cargo")
                .args(["install", "--locked", "--force", "bindgen-cli", "--version", BINDGEN_VERSION, "--root"])
                .arg(ws.cache.join("tools")),
        )?;
        step.done();
    }
    let pypi: Vec<String> = status
        .iter()
        .filter(|t| t.present.is_none())
        .flat_map(|t| match t.name.as_str() {
            "pypi:b4" => vec![format!("b4=={B4_VERSION}")],
            // Documentation/sphinx/requirements.txt: Sphinx, alabaster, pyyaml.
            "pypi:sphinx" => vec![format!("sphinx=={SPHINX_VERSION}"), format!("pyyaml=={PYYAML_VERSION}"), "alabaster".into()],
            _ => vec![],
        })
        .collect();
    if !pypi.is_empty() {
        let step = Step::start(format!("installing {} from PyPI into {}", pypi.join(" "), ws.venv().display()));
        if !ws.venv().join("bin/pip").is_file() {
            proc::run(Command::new("/usr/bin/python3").args(["-m", "venv"]).arg(ws.venv()))?;
        }
        proc::run(Command::new(ws.venv().join("bin/pip")).args(["install", "-q"]).args(&pypi))
            .map_err(|e| e.hint("pip could not install from PyPI; check the index is reachable"))?;
        step.done();
    }
    check(ws)
}

/// Called by every command that needs the toolchain: installs only if something is missing.
pub fn ensure(ws: &Workspace) -> Result<()> {
    if all_present(ws) {
        return Ok(());
    }
    eprintln!("==> some tools are missing; running setup first");
    install(ws)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `apt-get install -s` as apt 2.6 (Debian 12) prints it.
    #[test]
    fn apt_simulation_removals_are_named() {
        let sim = "Reading package lists...\nThe following packages will be REMOVED:\n  qemu-utils\n\
                   Remv qemu-utils [1:10.0.2+ds-2+deb13u1~bpo12+1]\nInst qemu-system-x86 (1:7.2+dfsg-7+deb12u18 Debian:12.12/stable [amd64])\n";
        assert_eq!(removals(sim), vec!["qemu-utils [1:10.0.2+ds-2+deb13u1~bpo12+1]"]);
        assert!(removals("Inst a (1 Debian)\n").is_empty());
    }
}
