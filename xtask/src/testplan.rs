//! `cargo xtask test`: the tool's own unit tests, the tree and build, the
//! selftests in the VM, and the series checks, ending in one summary line.

use crate::check;
use crate::kbuild;
use crate::proc;
use crate::results::{self, Case, Format, Outcome};
use crate::ui::{info, Result, Step};
use crate::vm;
use crate::workspace::{Kernel, Workspace};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// One test program run in the guest.
pub struct VmTest {
    pub name: &'static str,
    /// The command in the guest.
    pub program: &'static str,
    pub args: &'static [&'static str],
    pub format: Format,
    /// What the kernel's build directory must hold for the test to run (a
    /// series test or module on a tree without it is not run).
    pub needs: &'static str,
}

const fn t(name: &'static str, program: &'static str, args: &'static [&'static str], format: Format) -> VmTest {
    // Test programs are copied to /bin of the guest from xtask-bin/.
    let needs = program;
    VmTest { name, program, args, format, needs }
}

/// Loading a module (`ko`: its path in the build directory; `args`: in the guest).
const fn module(name: &'static str, ko: &'static str, args: &'static [&'static str]) -> VmTest {
    VmTest { name, program: "insmod", args, format: Format::ExitStatus, needs: ko }
}

impl VmTest {
    pub fn available(&self, ws: &Workspace, which: Kernel) -> bool {
        if self.needs.is_empty() {
            true
        } else if self.needs.ends_with(".ko") {
            ws.out_dir(which).join(self.needs).is_file()
        } else {
            crate::selftests::bin_dir(ws, which).join(self.needs).is_file()
        }
    }
}

/// The uffd suite as the kernel ships it, plus the series' own tests.
pub const VM_TESTS: &[VmTest] = &[
    module("load test_uffd_memtype", "lib/test_uffd_memtype.ko", &["/modules/test_uffd_memtype.ko"]),
    module("load rust_uffd_mem", "samples/rust/rust_uffd_mem.ko", &["/modules/rust_uffd_mem.ko"]),
    t("uffd-unit-tests", "uffd-unit-tests", &[], Format::UffdUnit),
    t("uffd-stress anon", "uffd-stress", &["anon", "64", "8"], Format::ExitStatus),
    t("uffd-stress shmem", "uffd-stress", &["shmem", "64", "8"], Format::ExitStatus),
    t("uffd-stress shmem-private", "uffd-stress", &["shmem-private", "64", "8"], Format::ExitStatus),
    t("uffd-stress hugetlb", "uffd-stress", &["hugetlb", "64", "8"], Format::ExitStatus),
    t("uffd-stress testmem", "uffd-stress", &["testmem", "64", "8"], Format::ExitStatus),
    t("uffd-stress rustmem", "uffd-stress", &["rustmem", "64", "8"], Format::ExitStatus),
    t("uffd-wp-mremap", "uffd-wp-mremap", &[], Format::Ktap),
    t("uffd-ops-regs", "uffd-ops-regs", &[], Format::Ktap),
    // Unloads and reloads the module last (-m), after its own cases.
    t("uffd-memtype-module testmem", "uffd-memtype-module", &["-t", "testmem", "-m", "/modules/test_uffd_memtype.ko"], Format::Ktap),
    t("uffd-memtype-module rustmem", "uffd-memtype-module", &["-t", "rustmem", "-m", "/modules/rust_uffd_mem.ko"], Format::Ktap),
    t("guest_memfd_test", "guest_memfd_test", &[], Format::ColonOk),
    // UFFDIO_COPY racing faults on one huge page: reservations balanced
    // (patch 1 of the series).
    t("uffd-hugetlb-fill-race", "uffd-hugetlb-fill-race", &["-r", "100", "-p", "8"], Format::Ktap),
    // Randomized ioctls against every memory type, fixed seed (printed).
    t("uffd-fuzz", "uffd-fuzz", &["-s", "4242", "-n", "10000", "-j", "4", "-t", "all"], Format::Ktap),
];

/// The guest's CPUs for [`CONCURRENCY_TESTS`] (at most CONFIG_NR_CPUS of
/// config/uffd-vm.config).
pub const CONCURRENCY_CPUS: u32 = 8;

/// Run on the tip in a guest of its own with [`CONCURRENCY_CPUS`] CPUs:
/// uffd-stress starts a faulting, a monitor and a background thread per
/// CPU, all on one userfaultfd; uffd-monitors has 8 processes, each with
/// 8 faulting and 8 monitor threads, on one object.
pub const CONCURRENCY_TESTS: &[VmTest] = &[
    module("load test_uffd_memtype", "lib/test_uffd_memtype.ko", &["/modules/test_uffd_memtype.ko"]),
    module("load rust_uffd_mem", "samples/rust/rust_uffd_mem.ko", &["/modules/rust_uffd_mem.ko"]),
    t("uffd-stress anon", "uffd-stress", &["anon", "64", "16"], Format::ExitStatus),
    t("uffd-stress shmem", "uffd-stress", &["shmem", "64", "16"], Format::ExitStatus),
    t("uffd-stress shmem-private", "uffd-stress", &["shmem-private", "64", "16"], Format::ExitStatus),
    t("uffd-stress hugetlb", "uffd-stress", &["hugetlb", "64", "16"], Format::ExitStatus),
    t("uffd-stress testmem", "uffd-stress", &["testmem", "64", "16"], Format::ExitStatus),
    t("uffd-stress rustmem", "uffd-stress", &["rustmem", "64", "16"], Format::ExitStatus),
    t("uffd-monitors", "uffd-monitors", &["-s", "4242", "-P", "8", "-F", "8", "-M", "8", "-r", "16"], Format::Ktap),
];

/// kmemleak reports only objects unreferenced for two scans 5 s apart.
const KMEMLEAK_SCAN: &str = "echo scan > /sys/kernel/debug/kmemleak && sleep 6 && \
                             echo scan > /sys/kernel/debug/kmemleak && cat /sys/kernel/debug/kmemleak";

/// Only on the debug profile (config/debug.config), after the suite.
pub const DEBUG_TESTS: &[VmTest] = &[
    // Allocation failures injected inside COPY/ZEROPAGE/CONTINUE (needs
    // the debug profile's fault injection; skips without it).
    t("uffd-failinject", "uffd-failinject", &["-s", "4242"], Format::Ktap),
    VmTest { name: "kmemleak", program: "sh", args: &["-c", KMEMLEAK_SCAN], format: Format::Kmemleak, needs: "" },
];

/// The guest script: each test between markers (also logged to the kernel
/// log, so a splat can be attributed to the test running at the time).
pub fn script(tests: &[&VmTest]) -> String {
    let mut s = String::from("run() { n=\"$1\"; shift; echo \"XTASK-BEGIN $n\"; echo \"XTASK-BEGIN $n\" >/dev/kmsg; \"$@\"; rc=$?; echo \"XTASK-END $n rc=$rc\"; echo \"XTASK-END $n\" >/dev/kmsg; }\n");
    for t in tests {
        let prog = if t.program.contains('/') || t.program == "insmod" || t.program == "sh" {
            t.program.to_string()
        } else {
            format!("/bin/{}", t.program)
        };
        let mut line = format!("run {} {prog}", vm::sh_quote(t.name));
        for a in t.args {
            line.push(' ');
            line.push_str(&vm::sh_quote(a));
        }
        s.push_str(&line);
        s.push('\n');
    }
    s.push_str("exit 0\n");
    s
}

/// Splits the guest output into (name, output, exit status) per test.
pub fn sections(output: &str) -> Vec<(String, String, Option<i32>)> {
    let mut v = Vec::new();
    let mut cur: Option<(String, String)> = None;
    for line in output.lines() {
        if let Some(name) = line.strip_prefix("XTASK-BEGIN ") {
            if let Some((n, o)) = cur.take() {
                v.push((n, o, None));
            }
            cur = Some((name.trim().to_string(), String::new()));
        } else if let Some(rest) = line.strip_prefix("XTASK-END ") {
            if let Some((n, o)) = cur.take() {
                let rc = rest.rsplit_once("rc=").and_then(|(_, r)| r.trim().parse().ok());
                v.push((n, o, rc));
            }
        } else if let Some((_, o)) = cur.as_mut() {
            o.push_str(line);
            o.push('\n');
        }
    }
    if let Some((n, o)) = cur {
        v.push((n, o, None));
    }
    v
}

/// How a test program ended, for a failure report: "exited 1" or "killed
/// by signal 7 SIGBUS" (the guest shell reports a signal as 128 + N).
fn describe_exit(rc: Option<i32>) -> String {
    const NAMES: &[(i32, &str)] = &[
        (4, "SIGILL"),
        (6, "SIGABRT"),
        (7, "SIGBUS"),
        (8, "SIGFPE"),
        (9, "SIGKILL"),
        (11, "SIGSEGV"),
        (13, "SIGPIPE"),
        (15, "SIGTERM"),
    ];
    match rc {
        None => "no exit status (the guest stopped while it ran)".to_string(),
        Some(rc) if rc > 128 && rc < 160 => {
            let sig = rc - 128;
            let name = NAMES.iter().find(|(n, _)| *n == sig).map_or("", |(_, s)| s);
            format!("killed by signal {sig} {name}").trim_end().to_string()
        }
        Some(rc) => format!("exited {rc}"),
    }
}

/// What a failed test left behind, so a CI log alone says why it failed:
/// its exit, the last lines it printed (an err() message, say) and the
/// kernel's lines while it ran (a segfault or OOM report, say).
fn failure_context(name: &str, out: &str, rc: Option<i32>, console: &str) -> Vec<String> {
    const TAIL: usize = 6;
    let mut v = vec![describe_exit(rc)];
    let printed: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
    for l in &printed[printed.len().saturating_sub(TAIL)..] {
        v.push(format!("output: {}", l.trim_end()));
    }
    let begin = format!("XTASK-BEGIN {name}");
    let end = format!("XTASK-END {name}");
    let kernel: Vec<&str> = console
        .lines()
        .skip_while(|l| !l.trim_end().ends_with(&begin))
        .skip(1)
        .take_while(|l| !l.trim_end().ends_with(&end) && !l.contains("XTASK-BEGIN "))
        .filter(|l| !l.trim().is_empty())
        .collect();
    for l in &kernel[kernel.len().saturating_sub(TAIL * 2)..] {
        v.push(format!("kernel: {}", l.trim_end()));
    }
    v
}

/// Which test was running at each console line (for splat attribution).
fn test_at_line(console: &str, line_no: usize) -> String {
    let mut current = "boot".to_string();
    for (i, l) in console.lines().enumerate() {
        if i + 1 >= line_no {
            break;
        }
        if let Some(p) = l.find("XTASK-BEGIN ") {
            current = l[p + 12..].trim().to_string();
        }
    }
    current
}

/// How much of the suite runs on the debug profile.  KASAN, lockdep and
/// kmemleak under TCG make the stress cases slow (the full uffd-unit-tests
/// alone takes about 20 minutes), so `test` runs every program but the slow
/// uffd-unit-tests cases ("events", "wp-fork") and lighter uffd-stress, and
/// `test --debug` runs everything at the tip's sizes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum DebugScope {
    Quick,
    Full,
}

/// The tests `which` runs: the suite, and on the debug profile the abuse
/// tests and kmemleak's verdict after them.
pub fn plan(which: Kernel, scope: DebugScope) -> Vec<&'static VmTest> {
    if which != Kernel::Debug {
        return VM_TESTS.iter().collect();
    }
    let mut v: Vec<&VmTest> = match scope {
        DebugScope::Full => VM_TESTS.iter().collect(),
        DebugScope::Quick => VM_TESTS
            .iter()
            .filter(|t| !["uffd-unit-tests", "uffd-stress", "uffd-fuzz"].contains(&t.program))
            .chain(DEBUG_QUICK.iter())
            .collect(),
    };
    v.extend(DEBUG_TESTS.iter());
    v
}

/// The quick debug profile's share of uffd-unit-tests and uffd-stress.
pub const DEBUG_QUICK: &[VmTest] = &[
    t("uffd-unit-tests -f minor", "uffd-unit-tests", &["-f", "minor"], Format::UffdUnit),
    t("uffd-unit-tests -f zeropage", "uffd-unit-tests", &["-f", "zeropage"], Format::UffdUnit),
    t("uffd-unit-tests -f sigbus", "uffd-unit-tests", &["-f", "sigbus"], Format::UffdUnit),
    t("uffd-unit-tests -f poison", "uffd-unit-tests", &["-f", "poison"], Format::UffdUnit),
    t("uffd-unit-tests -f register", "uffd-unit-tests", &["-f", "register"], Format::UffdUnit),
    t("uffd-unit-tests -f move", "uffd-unit-tests", &["-f", "move"], Format::UffdUnit),
    t("uffd-stress anon", "uffd-stress", &["anon", "16", "4"], Format::ExitStatus),
    t("uffd-stress shmem", "uffd-stress", &["shmem", "16", "4"], Format::ExitStatus),
    t("uffd-stress hugetlb", "uffd-stress", &["hugetlb", "16", "4"], Format::ExitStatus),
    t("uffd-stress testmem", "uffd-stress", &["testmem", "16", "4"], Format::ExitStatus),
    t("uffd-stress rustmem", "uffd-stress", &["rustmem", "16", "4"], Format::ExitStatus),
    t("uffd-fuzz", "uffd-fuzz", &["-s", "4242", "-n", "4000", "-j", "4", "-t", "all"], Format::Ktap),
    t("uffd-monitors", "uffd-monitors", &["-s", "4242", "-r", "4"], Format::Ktap),
];

/// Runs the VM part of the test suite on `which` and returns its cases
/// (named with `prefix`, so two kernels' results stay apart).
pub fn run_vm_tests(ws: &Workspace, which: Kernel, scope: DebugScope, prefix: &str) -> Result<Vec<Case>> {
    let tag = if which == Kernel::Debug { "test-debug" } else { "test" };
    run_guest(ws, which, &plan(which, scope), prefix, tag, vm::DEFAULT_CPUS, true)
}

/// [`CONCURRENCY_TESTS`] on `which` in a guest with [`CONCURRENCY_CPUS`].
fn run_concurrency_tests(ws: &Workspace, which: Kernel, prefix: &str, tag: &str) -> Result<Vec<Case>> {
    let tests: Vec<&VmTest> = CONCURRENCY_TESTS.iter().collect();
    // The boot's KUnit suites are counted once, in the main guest.
    run_guest(ws, which, &tests, prefix, tag, CONCURRENCY_CPUS, false)
}

/// Boots `which` with `cpus` CPUs once and runs `all` (those it has) in it;
/// `kunit`: count the KUnit suites that ran at boot, too.
fn run_guest(
    ws: &Workspace,
    which: Kernel,
    all: &[&VmTest],
    prefix: &str,
    tag: &str,
    cpus: u32,
    kunit: bool,
) -> Result<Vec<Case>> {
    let tests: Vec<&VmTest> = all.iter().copied().filter(|t| t.available(ws, which)).collect();
    let mut cases = Vec::new();
    for t in all.iter().filter(|t| !t.available(ws, which)) {
        info(format!("not run: {} (the {} has no {})", t.name, which.label(), t.needs));
    }
    let smp = cpus.to_string();
    let run = vm::run_script_with(ws, which, &script(&tests), Duration::from_secs(2400), tag, &["-smp", &smp])?;
    let secs = sections(&run.output);
    let console = std::fs::read_to_string(&run.console_log).unwrap_or_default();
    for t in &tests {
        match secs.iter().find(|(n, _, _)| n == t.name) {
            Some((_, out, rc)) => {
                let c = results::parse(t.format, &format!("{prefix}{}", t.name), out, *rc);
                let (p, f, s) = count(&c);
                info(format!("{}: {p} passed, {f} failed, {s} skipped", t.name));
                for bad in c.iter().filter(|c| c.outcome == Outcome::Fail) {
                    info(format!("  FAIL {}: {}", bad.name, bad.detail));
                }
                if f > 0 {
                    for line in failure_context(t.name, out, *rc, &console) {
                        info(format!("    | {line}"));
                    }
                }
                cases.extend(c);
            }
            None => cases.push(Case::new(
                format!("{prefix}{}", t.name),
                Outcome::Fail,
                "did not run (guest died or timed out before it)",
            )),
        }
    }
    for mut c in kunit_cases(&console).into_iter().filter(|_| kunit) {
        c.name = format!("{prefix}{}", c.name);
        info(format!("{}: {}", c.name, if c.outcome == Outcome::Pass { "ok" } else { "FAILED" }));
        cases.push(c);
    }
    let splat_case = if run.timed_out {
        Case::new(format!("{prefix}guest finished in time"), Outcome::Fail, format!("killed; see {}", run.console_log.display()))
    } else if run.splats.is_empty() {
        Case::new(format!("{prefix}kernel log has no splat"), Outcome::Pass, "")
    } else {
        let s = &run.splats[0];
        Case::new(
            format!("{prefix}kernel log has no splat"),
            Outcome::Fail,
            format!("{} splat(s); first during `{}`: {}", run.splats.len(), test_at_line(&console, s.line_no), s.line),
        )
    };
    if splat_case.outcome == Outcome::Fail {
        info(format!("  FAIL {}: {}", splat_case.name, splat_case.detail));
    }
    cases.push(splat_case);
    Ok(cases)
}

/// The harness checks itself end to end: a splat in the guest's kernel log
/// and a hung guest must each fail a VM run.
fn harness_tests(ws: &Workspace, which: Kernel) -> Result<Vec<Case>> {
    let mut cases = Vec::new();
    // /dev/kmsg puts the line into the kernel log exactly as a WARN would.
    let splat = "echo 'WARNING: CPU: 0 PID: 1 at xtask/injected.c:1 xtask_injected_splat+0x0/0x10' > /dev/kmsg\n";
    let run = vm::run_script(ws, which, splat, Duration::from_secs(120), "harness-splat")?;
    let name = "harness: a WARNING in the kernel log fails the VM run";
    cases.push(match run.verdict() {
        Err(e) if e.what.contains("kernel splat") => Case::new(name, Outcome::Pass, ""),
        Err(e) => Case::new(name, Outcome::Fail, format!("failed for another reason: {e}")),
        Ok(()) => Case::new(name, Outcome::Fail, "the injected splat went unnoticed"),
    });
    let run = vm::run_script(ws, which, "sleep 3600\n", Duration::from_secs(30), "harness-hang")?;
    let name = "harness: a hung guest is killed at the time bound";
    cases.push(match run.verdict() {
        Err(_) if run.timed_out => Case::new(name, Outcome::Pass, ""),
        Err(e) => Case::new(name, Outcome::Fail, format!("failed for another reason: {e}")),
        Ok(()) => Case::new(name, Outcome::Fail, "the guest was not killed"),
    });
    for c in &cases {
        info(format!("{}: {}", if c.outcome == Outcome::Pass { "ok" } else { "FAIL" }, c.name));
    }
    Ok(cases)
}

/// KUnit suites that ran at boot (e.g. the Rust doctests): one case per
/// top-level "ok N suite" / "not ok N suite" line of the kernel log, with
/// the suite's own totals line as detail.
pub fn kunit_cases(console: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut last_totals = String::new();
    for line in console.lines() {
        if line.trim_start().starts_with("# Totals:") {
            last_totals = line.trim().to_string();
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            continue; // subtests
        }
        let Some((outcome, suite, _)) = results::ktap_result(line) else { continue };
        cases.push(Case::new(format!("kunit: {suite}"), outcome, last_totals.clone()));
    }
    cases
}

fn count(c: &[Case]) -> (usize, usize, usize) {
    let n = |o| c.iter().filter(|x| x.outcome == o).count();
    (n(Outcome::Pass), n(Outcome::Fail), n(Outcome::Skip))
}

/// The tool's own unit tests, one case per Rust test.
fn unit_tests(ws: &Workspace) -> Result<Vec<Case>> {
    let step = Step::start("running the workspace tool's unit tests");
    let (_, out) = proc::probe(
        Command::new("cargo")
            .args(["test", "--release", "--manifest-path"])
            .arg(ws.root.join("xtask/Cargo.toml")),
    )?;
    let mut cases = Vec::new();
    for line in out.lines() {
        if let Some(rest) = line.strip_prefix("test ") {
            if let Some((name, res)) = rest.rsplit_once(" ... ") {
                let o = match res.trim() {
                    "ok" => Outcome::Pass,
                    "ignored" => Outcome::Skip,
                    _ => Outcome::Fail,
                };
                cases.push(Case::new(format!("xtask unit: {name}"), o, ""));
            }
        }
    }
    if cases.is_empty() || !out.contains("test result: ok") {
        cases.push(Case::new("xtask unit tests", Outcome::Fail, out.lines().rev().take(20).collect::<Vec<_>>().join(" | ")));
    }
    let (p, f, _) = count(&cases);
    info(format!("{p} passed, {f} failed"));
    step.done();
    Ok(cases)
}

/// `cargo xtask test`.
///
/// `vm_only`: the tip's VM tests only; `debug_only`: the debug profile's only.
pub fn test(ws: &Workspace, linux: Option<&Path>, vm_only: bool, debug_only: bool) -> Result<()> {
    let start = Instant::now();
    let mut cases = unit_tests(ws)?;
    if !debug_only {
        kbuild::build(ws, Kernel::Tip, linux)?;
        cases.extend(run_vm_tests(ws, Kernel::Tip, DebugScope::Full, "")?);
        let step = Step::start(format!("stress and parallel monitors on the tip with {CONCURRENCY_CPUS} CPUs"));
        cases.extend(run_concurrency_tests(ws, Kernel::Tip, "concurrency: ", "test-concurrency")?);
        step.done();
        cases.extend(harness_tests(ws, Kernel::Tip)?);
    }
    if !vm_only {
        let scope = if debug_only { DebugScope::Full } else { DebugScope::Quick };
        let step = Step::start("the suite on the debug profile (KASAN, lockdep, DEBUG_VM, kmemleak, UBSAN)");
        kbuild::build(ws, Kernel::Debug, linux)?;
        cases.extend(run_vm_tests(ws, Kernel::Debug, scope, "debug: ")?);
        if scope == DebugScope::Full {
            cases.extend(run_concurrency_tests(ws, Kernel::Debug, "debug: concurrency: ", "test-debug-concurrency")?);
        }
        step.done();
    }
    if vm_only || debug_only {
        info("series checks not run (--vm-only / --debug)");
    } else {
        cases.extend(check::check(ws, true)?);
    }
    let failed: Vec<&Case> = cases.iter().filter(|c| c.outcome == Outcome::Fail).collect();
    if !failed.is_empty() {
        println!("failed cases:");
        for c in &failed {
            println!("  {}: {}", c.name, c.detail);
        }
    }
    let skipped: Vec<&Case> = cases.iter().filter(|c| c.outcome == Outcome::Skip).collect();
    for c in &skipped {
        println!("skipped: {}: {}", c.name, c.detail);
    }
    info(format!("test took {}", crate::ui::fmt_secs(start.elapsed().as_secs_f64())));
    println!("{}", results::summary_line(&cases));
    if failed.is_empty() {
        Ok(())
    } else {
        std::process::exit(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_split_by_markers() {
        let out = "XTASK-READY 6.18\nXTASK-BEGIN a\nline1\nXTASK-END a rc=0\nXTASK-BEGIN b\nline2\n";
        let s = sections(out);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0], ("a".to_string(), "line1\n".to_string(), Some(0)));
        assert_eq!(s[1], ("b".to_string(), "line2\n".to_string(), None));
    }

    #[test]
    fn script_runs_each_test_between_markers() {
        let tests: Vec<&VmTest> = VM_TESTS.iter().take(4).collect();
        let s = script(&tests);
        assert!(s.contains("run 'load test_uffd_memtype' insmod /modules/test_uffd_memtype.ko\n"));
        assert!(s.contains("run uffd-unit-tests /bin/uffd-unit-tests\n"));
        assert!(s.contains("run 'uffd-stress anon' /bin/uffd-stress anon 64 8\n"));
    }

    #[test]
    fn failure_context_names_the_signal_and_what_was_printed() {
        let console = "boot\nXTASK-BEGIN a\nXTASK-END a\nXTASK-BEGIN b\n\
                       b/42: potentially unexpected fatal signal 7.\nXTASK-END b\nlater\n";
        let v = failure_context("b", "Testing x... \nerr: mmap failed\n", Some(135), console);
        assert_eq!(v[0], "killed by signal 7 SIGBUS");
        assert_eq!(v[1], "output: Testing x...");
        assert_eq!(v[2], "output: err: mmap failed");
        assert_eq!(v[3], "kernel: b/42: potentially unexpected fatal signal 7.");
        assert_eq!(v.len(), 4);
        assert_eq!(describe_exit(Some(1)), "exited 1");
        assert!(describe_exit(None).starts_with("no exit status"));
    }

    #[test]
    fn kunit_suites_are_cases() {
        let console = "KTAP version 1\n1..2\n    ok 1 rust_doctest_a\n    not ok 2 rust_doctest_b\n\
                       # rust_doctests_kernel: pass:1 fail:1\nnot ok 1 rust_doctests_kernel\n\
                       ok 2 other_suite # SKIP nothing\n";
        let c = kunit_cases(console);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].name, "kunit: rust_doctests_kernel");
        assert_eq!(c[0].outcome, Outcome::Fail);
        assert_eq!(c[1].outcome, Outcome::Skip);
    }

    #[test]
    fn concurrency_guest_fits_the_configured_cpus() {
        let config = include_str!("../../config/uffd-vm.config");
        let nr: u32 = config
            .lines()
            .find_map(|l| l.strip_prefix("CONFIG_NR_CPUS="))
            .and_then(|v| v.trim().parse().ok())
            .expect("config/uffd-vm.config sets CONFIG_NR_CPUS");
        // More vCPUs than NR_CPUS would boot with fewer CPUs online, silently.
        assert_eq!(vm::MAX_CPUS, nr, "vm::MAX_CPUS must be CONFIG_NR_CPUS");
        assert!(CONCURRENCY_CPUS <= vm::MAX_CPUS, "CONCURRENCY_CPUS {CONCURRENCY_CPUS} > CONFIG_NR_CPUS {nr}");
        assert!(CONCURRENCY_CPUS > vm::DEFAULT_CPUS);
    }

    #[test]
    fn splat_is_attributed_to_running_test() {
        let console = "boot\n[ 1.0] XTASK-BEGIN uffd-stress shmem\n[ 2.0] WARNING: at mm/x.c\n";
        assert_eq!(test_at_line(console, 3), "uffd-stress shmem");
        assert_eq!(test_at_line(console, 1), "boot");
    }
}
