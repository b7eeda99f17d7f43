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
    /// The series tip's tools/testing/selftests/mm, built against the
    /// unpatched base only: the series' version of a kernel selftest,
    /// whose new cases pin what the base does (plan::base()).
    SeriesMm,
}

pub struct Program {
    pub name: &'static str,
    pub origin: Origin,
    pub sources: &'static [&'static str],
    /// `-D` definitions: the `*_BREAK` builds, wrong on purpose, which the
    /// harness's self-check runs and expects to fail.
    pub defines: &'static [&'static str],
    /// Built only for the v6.18.15 edition (the demo).
    pub lts_only: bool,
}

const fn prog(name: &'static str, origin: Origin, sources: &'static [&'static str]) -> Program {
    let lts_only = matches!(origin, Origin::Workspace(_));
    Program { name, origin, sources, defines: &[], lts_only }
}

/// A workspace program built for both editions.
const fn both(name: &'static str, origin: Origin, sources: &'static [&'static str]) -> Program {
    Program { name, origin, sources, defines: &[], lts_only: false }
}

const fn broken(name: &'static str, source: &'static [&'static str], define: &'static [&'static str]) -> Program {
    Program { name, origin: Origin::Workspace("workspace-tests"), sources: source, defines: define, lts_only: false }
}

/// The helpers every mm selftest links; 7.2 renamed thp_settings.c to
/// hugepage_settings.c, so those of the tree are taken.
const MM_COMMON: &[&str] = &["uffd-common.c", "vm_util.c", "thp_settings.c", "hugepage_settings.c"];

pub const PROGRAMS: &[Program] = &[
    prog("uffd-unit-tests", Origin::KernelMm, &["uffd-unit-tests.c"]),
    prog("uffd-stress", Origin::KernelMm, &["uffd-stress.c"]),
    prog("uffd-wp-mremap", Origin::KernelMm, &["uffd-wp-mremap.c"]),
    prog("uffd-ops-regs", Origin::KernelMm, &["uffd-ops-regs.c"]),
    prog("uffd-memtype-module", Origin::KernelMm, &["uffd-memtype-module.c"]),
    prog("uffd-demo", Origin::Workspace("demo"), &["uffd-demo.c"]),
    both("uffd-bench", Origin::Workspace("bench"), &["uffd-bench.c"]),
    both("uffd-fuzz", Origin::Workspace("workspace-tests"), &["uffd-fuzz.c"]),
    both("uffd-monitors", Origin::Workspace("workspace-tests"), &["uffd-monitors.c"]),
    both("uffd-failinject", Origin::Workspace("workspace-tests"), &["uffd-failinject.c"]),
    both("uffd-hugetlb-fill-race", Origin::Workspace("workspace-tests"), &["uffd-hugetlb-fill-race.c"]),
    prog("uffd-unit-tests-series", Origin::SeriesMm, &["uffd-unit-tests.c"]),
    broken("uffd-fuzz-break", &["uffd-fuzz.c"], &["-DUFFD_FUZZ_BREAK=1"]),
    broken("uffd-monitors-break", &["uffd-monitors.c"], &["-DUFFD_MONITORS_BREAK=1"]),
    broken("uffd-failinject-break", &["uffd-failinject.c"], &["-DUFFD_FI_BREAK=1"]),
];

pub fn bin_dir(ws: &Workspace, which: Kernel) -> PathBuf {
    ws.out_dir(which).join("xtask-bin")
}

fn newest_mtime(paths: &[PathBuf]) -> Option<std::time::SystemTime> {
    paths.iter().filter_map(|p| p.metadata().and_then(|m| m.modified()).ok()).max()
}

/// The series' uapi header and the tree's: a change in either must rebuild.
fn header_inputs(ws: &Workspace, which: Kernel) -> Vec<PathBuf> {
    vec![
        ws.edition_dir().join("lib/test_uffd_memtype_uapi.h"),
        headers_dir(ws, which).join("linux/userfaultfd.h"),
        ws.root.join("workspace-tests/uffd-rel.h"),
    ]
}

fn compile(ws: &Workspace, which: Kernel, prog: &Program, src_dir: &Path, extra: &[&str]) -> Result<bool> {
    let mut sources: Vec<PathBuf> = prog.sources.iter().map(|s| src_dir.join(s)).collect();
    if !sources.iter().all(|s| s.is_file()) || prog.lts_only && ws.edition != &crate::workspace::LTS {
        return Ok(false); // e.g. a series test on the base kernel
    }
    sources.extend(extra.iter().map(|s| src_dir.join(s)).filter(|p| p.is_file()));
    let out = bin_dir(ws, which).join(prog.name);
    let mut inputs = sources.clone();
    inputs.extend(header_inputs(ws, which));
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
            // "kselftest.h" (7.2) as well as "../kselftest.h" (6.18).
            .arg("-I")
            .arg(kernel.join("tools/testing/selftests"))
            // After the tree: the series' uapi header (lib/) for programs
            // built against the base, where they skip the types it adds.
            .arg("-I")
            .arg(ws.edition_dir())
            .arg("-isystem")
            .arg(headers_dir(ws, which))
            .arg("-isystem")
            .arg(kernel.join("tools/include/uapi"))
            .arg("-I")
            .arg(src_dir)
            .args(prog.defines)
            .arg("-o")
            .arg(&out)
            .args(&sources)
            .args(["-lrt", "-lpthread", "-lm"]),
    )?;
    Ok(true)
}

/// KVM selftests built with their own Makefile (they need its libkvm),
/// linked statically for the initramfs.
pub const KVM_PROGRAMS: &[&str] = &["guest_memfd_test", "guest_memfd_uffd_test"];

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
        crate::fsx::copy(output.join(prog), bin_dir(ws, which).join(prog))?;
        built.push(*prog);
    }
    Ok(built)
}

fn build_program(ws: &Workspace, which: Kernel, prog: &Program) -> Result<bool> {
    match prog.origin {
        Origin::KernelMm => {
            let mut dir = ws.source_dir(which).join("tools/testing/selftests/mm");
            // The series' own selftests run on the base too (plan::base()),
            // from the series' sources against the base's headers.
            if which == Kernel::Base && !prog.sources.iter().all(|s| dir.join(s).is_file()) {
                dir = ws.source_dir(Kernel::Tip).join("tools/testing/selftests/mm");
            }
            compile(ws, which, prog, &dir, MM_COMMON)
        }
        Origin::Workspace(dir) => compile(ws, which, prog, &ws.root.join(dir), &[]),
        Origin::SeriesMm if which == Kernel::Base => {
            let dir = ws.source_dir(Kernel::Tip).join("tools/testing/selftests/mm");
            compile(ws, which, prog, &dir, MM_COMMON)
        }
        Origin::SeriesMm => Ok(false),
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
