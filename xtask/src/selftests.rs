//! Static builds of the userspace test programs that run inside the VM: the
//! kernel's uffd selftests (and the series' own, when the tree has them) and
//! the workspace's demo and benchmark programs.

use crate::kbuild::headers_dir;
use crate::proc;
use crate::ui::{info, Error, Result, Step};
use crate::workspace::{ensure_dir, Kernel, Workspace};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where a program's sources are.
#[derive(Clone, Copy)]
pub enum Origin {
    /// tools/testing/selftests/mm in the kernel tree being tested.
    KernelMm,
    /// A directory of the workspace (`demo/`, `bench/`).
    Workspace(&'static str),
}

pub struct Program {
    pub name: &'static str,
    pub origin: Origin,
    pub sources: &'static [&'static str],
}

const MM_COMMON: &[&str] = &["uffd-common.c", "vm_util.c", "thp_settings.c"];

pub const PROGRAMS: &[Program] = &[
    Program { name: "uffd-unit-tests", origin: Origin::KernelMm, sources: &["uffd-unit-tests.c"] },
    Program { name: "uffd-stress", origin: Origin::KernelMm, sources: &["uffd-stress.c"] },
    Program { name: "uffd-wp-mremap", origin: Origin::KernelMm, sources: &["uffd-wp-mremap.c"] },
    Program { name: "uffd-ops-regs", origin: Origin::KernelMm, sources: &["uffd-ops-regs.c"] },
    Program { name: "uffd-memtype-module", origin: Origin::KernelMm, sources: &["uffd-memtype-module.c"] },
    Program { name: "uffd-demo", origin: Origin::Workspace("demo"), sources: &["uffd-demo.c"] },
    Program { name: "uffd-bench", origin: Origin::Workspace("bench"), sources: &["uffd-bench.c"] },
    Program { name: "uffd-fuzz", origin: Origin::Workspace("workspace-tests"), sources: &["uffd-fuzz.c"] },
    Program { name: "uffd-monitors", origin: Origin::Workspace("workspace-tests"), sources: &["uffd-monitors.c"] },
    Program { name: "uffd-failinject", origin: Origin::Workspace("workspace-tests"), sources: &["uffd-failinject.c"] },
    Program { name: "uffd-hugetlb-fill-race", origin: Origin::Workspace("workspace-tests"), sources: &["uffd-hugetlb-fill-race.c"] },
];

pub fn bin_dir(ws: &Workspace, which: Kernel) -> PathBuf {
    ws.out_dir(which).join("xtask-bin")
}

fn newest_mtime(paths: &[PathBuf]) -> Option<std::time::SystemTime> {
    paths.iter().filter_map(|p| p.metadata().and_then(|m| m.modified()).ok()).max()
}

fn compile(ws: &Workspace, which: Kernel, prog: &Program, src_dir: &Path, extra: &[&str]) -> Result<bool> {
    let mut sources: Vec<PathBuf> = prog.sources.iter().map(|s| src_dir.join(s)).collect();
    if !sources.iter().all(|s| s.is_file()) {
        return Ok(false); // e.g. a series test on the base kernel
    }
    sources.extend(extra.iter().map(|s| src_dir.join(s)));
    let out = bin_dir(ws, which).join(prog.name);
    let mut inputs = sources.clone();
    if let Ok(rd) = std::fs::read_dir(src_dir) {
        inputs.extend(rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "h")));
    }
    let built = out.metadata().and_then(|m| m.modified()).ok();
    if built.is_some() && built >= newest_mtime(&inputs) {
        return Ok(true);
    }
    let kernel = ws.source_dir(which);
    proc::run(
        Command::new("gcc")
            .args(["-static", "-Wall", "-O2", "-U_FORTIFY_SOURCE"])
            .arg("-I")
            .arg(&kernel)
            // After the tree: the series' uapi header (lib/) for programs
            // built against the base, where they skip the types it adds.
            .arg("-I")
            .arg(&ws.root)
            .arg("-isystem")
            .arg(headers_dir(ws, which))
            .arg("-isystem")
            .arg(kernel.join("tools/include/uapi"))
            .arg("-I")
            .arg(src_dir)
            .arg("-o")
            .arg(&out)
            .args(&sources)
            .args(["-lrt", "-lpthread", "-lm"]),
    )?;
    Ok(true)
}

/// KVM selftests built with their own Makefile (they need its libkvm),
/// linked statically for the initramfs.
pub const KVM_PROGRAMS: &[&str] = &["guest_memfd_test"];

fn build_kvm_selftests(ws: &Workspace, which: Kernel) -> Result<Vec<&'static str>> {
    let kernel = ws.source_dir(which);
    let output = ws.out_dir(which).join("kvm-selftests");
    let mut built = Vec::new();
    for prog in KVM_PROGRAMS {
        if !kernel.join(format!("tools/testing/selftests/kvm/{prog}.c")).is_file() {
            continue;
        }
        let log = ws.logs().join(format!("kvm-selftests-{}.log", ws.out_dir(which).file_name().unwrap().to_string_lossy()));
        proc::run_logged(
            Command::new("make")
                .arg("-C")
                .arg(kernel.join("tools/testing/selftests/kvm"))
                .arg(format!("OUTPUT={}", output.display()))
                .arg(format!("KHDR_INCLUDES=-isystem {}", headers_dir(ws, which).display()))
                .args(["EXTRA_CFLAGS=-static", "LDFLAGS=-static", "-j2"])
                .arg(output.join(prog)),
            &log,
            &format!("KVM selftest {prog}"),
            std::time::Duration::from_secs(30),
        )?;
        std::fs::copy(output.join(prog), bin_dir(ws, which).join(prog))?;
        built.push(*prog);
    }
    Ok(built)
}

fn build_program(ws: &Workspace, which: Kernel, prog: &Program) -> Result<bool> {
    match prog.origin {
        Origin::KernelMm => {
            let dir = ws.source_dir(which).join("tools/testing/selftests/mm");
            compile(ws, which, prog, &dir, MM_COMMON)
        }
        Origin::Workspace(dir) => compile(ws, which, prog, &ws.root.join(dir), &[]),
    }
}

/// Builds the program `name` of [`PROGRAMS`] alone for `which` (false if
/// its sources are not there), without the kernel or the other programs.
pub fn build_one(ws: &Workspace, which: Kernel, name: &str) -> Result<bool> {
    let prog = PROGRAMS
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| Error::new(format!("no program {name} in PROGRAMS")))?;
    ensure_dir(&bin_dir(ws, which))?;
    build_program(ws, which, prog)
}

/// Builds every program whose sources exist for `which`.
pub fn build(ws: &Workspace, which: Kernel) -> Result<()> {
    let step = Step::start(format!("building userspace test programs for the {}", which.label()));
    ensure_dir(&bin_dir(ws, which))?;
    let mut built = Vec::new();
    for prog in PROGRAMS {
        if build_program(ws, which, prog)? {
            built.push(prog.name);
        }
    }
    built.extend(build_kvm_selftests(ws, which)?);
    info(format!("programs: {}", built.join(", ")));
    step.done();
    Ok(())
}
