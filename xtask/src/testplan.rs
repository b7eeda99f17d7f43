//! `cargo xtask test`: the tool's own unit tests, the builds, the guests
//! (tip, base, debug profile), the harness's checks of itself, and the
//! series checks, ending in one summary line whatever happens: a stage
//! that errors is a failed case, and SIGTERM/SIGINT print what ran so far.

use crate::check;
use crate::guest::{self, GuestRun};
use crate::kbuild;
use crate::plan::{self, DebugScope, VmTest};
use crate::proc;
use crate::results::{self, Case, Format, Outcome};
use crate::ui::{info, Result, Step};
use crate::vm;
use crate::workspace::{Edition, Kernel, Workspace, LTS, MAINLINE};
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Every case so far: the summary is printed from here at the end, on an
/// error of the tool and on a termination signal.
static TALLY: Mutex<Vec<Case>> = Mutex::new(Vec::new());

fn record(cases: Vec<Case>) {
    TALLY.lock().unwrap_or_else(|e| e.into_inner()).extend(cases);
}

/// Runs one stage; an error of the tool becomes a failed case (the run goes
/// on to the summary) and `false` tells the caller to skip what needs it.
fn stage(what: &str, f: impl FnOnce() -> Result<Vec<Case>>) -> bool {
    match f() {
        Ok(cases) => {
            record(cases);
            true
        }
        Err(e) => {
            info(format!("FAIL xtask: {what}: {e}"));
            record(vec![Case::new(format!("xtask: {what}"), Outcome::Fail, e.to_string())]);
            false
        }
    }
}

/// Prints the failed and skipped cases and the summary line.
fn print_summary(start: Instant) -> bool {
    let cases = TALLY.lock().unwrap_or_else(|e| e.into_inner());
    let failed: Vec<&Case> = cases.iter().filter(|c| c.outcome == Outcome::Fail).collect();
    if !failed.is_empty() {
        println!("failed cases:");
        for c in &failed {
            println!("  {}: {}", c.name, c.detail);
        }
    }
    for c in cases.iter().filter(|c| c.outcome == Outcome::Skip) {
        println!("skipped: {}: {}", c.name, c.detail);
    }
    info(format!("test took {}", crate::ui::fmt_secs(start.elapsed().as_secs_f64())));
    println!("{}", results::summary_line(&cases));
    failed.is_empty()
}

/// SIGTERM, SIGINT and SIGHUP (a CI runner's time limit, Ctrl-C): print
/// the results so far and the summary line, then exit 1.
mod on_signal {
    use std::sync::atomic::{AtomicI32, Ordering};

    static PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);

    extern "C" {
        fn pipe(fds: *mut i32) -> i32;
        fn write(fd: i32, buf: *const u8, n: usize) -> isize;
        fn read(fd: i32, buf: *mut u8, n: usize) -> isize;
        fn signal(sig: i32, handler: extern "C" fn(i32)) -> usize;
    }

    extern "C" fn handler(sig: i32) {
        let b = sig as u8;
        // SAFETY: write(2) is async-signal-safe; the buffer is one live byte.
        unsafe { write(PIPE_WRITE.load(Ordering::Relaxed), &b, 1) };
    }

    extern "C" {
        fn kill(pid: i32, sig: i32) -> i32;
    }

    /// The parent pid in a /proc/<pid>/stat line ("pid (comm) state ppid
    /// ..."; comm may hold spaces and parentheses, so after the last ')').
    pub fn stat_ppid(stat: &str) -> Option<i32> {
        let rest = &stat[stat.rfind(')')? + 1..];
        rest.split_whitespace().nth(1)?.parse().ok()
    }

    /// Every process below `root` (children of children too), from /proc.
    pub fn descendants(root: i32) -> Vec<i32> {
        let mut parent_of = Vec::new();
        if let Ok(rd) = std::fs::read_dir("/proc") {
            for e in rd.flatten() {
                let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else { continue };
                if let Some(ppid) = std::fs::read_to_string(e.path().join("stat")).ok().as_deref().and_then(stat_ppid) {
                    parent_of.push((pid, ppid));
                }
            }
        }
        let mut found = vec![root];
        let mut i = 0;
        while i < found.len() {
            let p = found[i];
            found.extend(parent_of.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
            i += 1;
        }
        found.remove(0);
        found
    }

    /// SIGTERM to every process the tool started (make, QEMU, ...), so that
    /// none outlives it holding the kernel build lock or a CPU.
    pub fn terminate_descendants() {
        for pid in descendants(std::process::id() as i32) {
            // SAFETY: kill(2) with a pid read from /proc; a pid gone since is ESRCH.
            unsafe { kill(pid, 15) };
        }
    }

    /// Calls `then(signal)` on a thread of its own when one arrives.
    pub fn install(then: impl Fn(i32) + Send + 'static) {
        let mut fds = [0i32; 2];
        // SAFETY: fds has room for the two descriptors pipe(2) writes.
        if unsafe { pipe(fds.as_mut_ptr()) } != 0 {
            return;
        }
        PIPE_WRITE.store(fds[1], Ordering::Relaxed);
        std::thread::spawn(move || {
            let mut b = 0u8;
            // SAFETY: reads one byte into a live local.
            while unsafe { read(fds[0], &mut b, 1) } != 1 {}
            then(i32::from(b));
        });
        for sig in [1, 2, 15] {
            // SAFETY: the handler only calls write(2).
            unsafe { signal(sig, handler) };
        }
    }
}

/// The tool's own unit tests, one case per Rust test.
fn unit_tests(ws: &Workspace) -> Result<Vec<Case>> {
    let step = Step::start("running the workspace tool's unit tests");
    let (_, out) = proc::probe(
        Command::new("cargo").args(["test", "--release", "--manifest-path"]).arg(ws.root.join("xtask/Cargo.toml")),
    )?;
    let cases = results::cargo_test_cases(&out);
    let (p, f, _) = results::count(&cases);
    info(format!("{p} passed, {f} failed"));
    step.done();
    Ok(cases)
}

/// The edition's prefix of its case names: none for the product.
fn edition_prefix(ws: &Workspace) -> String {
    if ws.edition == &MAINLINE {
        String::new()
    } else {
        format!("{}: ", ws.edition.name)
    }
}

/// The tip's, the base's or the debug profile's main guest.
fn main_guest(ws: &Workspace, which: Kernel, scope: DebugScope) -> Result<Vec<Case>> {
    let (prefix, tag) = match which {
        Kernel::Debug => ("debug: ", "test-debug"),
        Kernel::Base => ("base: ", "test-base"),
        _ => ("", "test"),
    };
    let tests = plan::plan(ws.edition, which, scope);
    if tests.is_empty() {
        info(format!("no test pins the {}'s behaviour yet: no guest on it", which.label()));
        return Ok(vec![]);
    }
    let prefix = format!("{}{prefix}", edition_prefix(ws));
    GuestRun { which, tests: &tests, prefix: &prefix, tag, cpus: crate::vm::DEFAULT_CPUS, kunit: which != Kernel::Base }.run(ws)
}

/// [`plan::concurrency`] on `which` in a guest with [`plan::CONCURRENCY_CPUS`].
fn concurrency_guest(ws: &Workspace, which: Kernel) -> Result<Vec<Case>> {
    let (prefix, tag) = if which == Kernel::Debug {
        ("debug: concurrency: ", "test-debug-concurrency")
    } else {
        ("concurrency: ", "test-concurrency")
    };
    let prefix = format!("{}{prefix}", edition_prefix(ws));
    let step = Step::start(format!("stress and parallel monitors with {} CPUs", plan::CONCURRENCY_CPUS));
    let tests = plan::concurrency(ws.edition);
    // The boot's KUnit suites are counted once, in the main guest.
    let cases = GuestRun { which, tests: &tests, prefix: &prefix, tag, cpus: plan::CONCURRENCY_CPUS, kunit: false }.run(ws);
    step.done();
    cases
}

/// A harness check: passes when `broken` holds (the harness saw what it
/// was made to see).
fn harness_case(name: &str, broken: std::result::Result<(), String>) -> Case {
    let c = match broken {
        Ok(()) => Case::new(format!("harness: {name}"), Outcome::Pass, ""),
        Err(why) => Case::new(format!("harness: {name}"), Outcome::Fail, why),
    };
    info(format!("{}: {}", if c.outcome == Outcome::Pass { "ok" } else { "FAIL" }, c.name));
    c
}

/// Runs `tests` in one guest and checks that each one fails (the
/// `*_BREAK` builds) or, for kmemleak's scan, reports the planted leak.
fn must_fail(ws: &Workspace, which: Kernel, tag: &str, tests: &[VmTest]) -> Result<Vec<Case>> {
    let refs: Vec<&VmTest> = tests.iter().collect();
    let run = vm::run_script(ws, which, &guest::script(&refs, which), guest::guest_bound(&refs, which), tag)?;
    let secs = guest::sections(&run.output);
    let mut cases = Vec::new();
    for t in tests.iter().filter(|t| t.format != Format::KmemleakBaseline) {
        let verdict = match secs.iter().find(|s| s.name == t.name) {
            None => Err(format!("did not run; see {}", run.output_log.display())),
            Some(s) => {
                let parsed = results::parse(t.format, &t.name, &s.output, s.ended.map(|e| e.rc));
                if t.format == Format::Kmemleak {
                    let dump = ws.build_dir().join("vm").join(tag).join("kmemleak.txt");
                    let _ = std::fs::write(&dump, &s.output);
                }
                match parsed.iter().find(|c| c.outcome == Outcome::Fail) {
                    Some(_) if s.ended.is_some_and(|e| e.timed_out()) => Err("timed out instead of failing".to_string()),
                    Some(_) => Ok(()),
                    None => Err(format!("passed: {}", proc::last_lines(&s.output, 4))),
                }
            }
        };
        cases.push(harness_case(&format!("{} fails", t.name), verdict));
    }
    Ok(cases)
}

/// The harness checks itself end to end: a report in the guest's kernel
/// log and a hung guest must each fail a VM run, and the tests built wrong
/// on purpose must fail.
fn harness_tip(ws: &Workspace) -> Result<Vec<Case>> {
    let mut cases = Vec::new();
    // /dev/kmsg puts the line into the kernel log exactly as a WARN would.
    let splat = "echo 'WARNING: CPU: 0 PID: 1 at xtask/injected.c:1 xtask_injected_splat+0x0/0x10' > /dev/kmsg\n";
    let run = vm::run_script(ws, Kernel::Tip, splat, Duration::from_secs(120), "harness-splat")?;
    cases.push(harness_case(
        "a WARNING in the kernel log fails the VM run",
        match run.verdict() {
            Err(e) if e.what.contains("kernel splat") => Ok(()),
            Err(e) => Err(format!("failed for another reason: {e}")),
            Ok(()) => Err("the injected report went unnoticed".into()),
        },
    ));
    let run = vm::run_script(ws, Kernel::Tip, "sleep 3600\n", Duration::from_secs(30), "harness-hang")?;
    cases.push(harness_case(
        "a hung guest is killed at the time bound",
        match run.verdict() {
            Err(_) if run.timed_out => Ok(()),
            Err(e) => Err(format!("failed for another reason: {e}")),
            Ok(()) => Err("the guest was not killed".into()),
        },
    ));
    // A test over its budget is killed by the guest and reported as such.
    let sleeper = plan::shell("sleeper", "sleep 60", Format::ExitStatus, 3);
    let refs = [&sleeper];
    let run = vm::run_script(ws, Kernel::Tip, &guest::script(&refs, Kernel::Tip), Duration::from_secs(120), "harness-budget")?;
    let secs = guest::sections(&run.output);
    cases.push(harness_case(
        "a test over its time budget is killed and reported as timed out",
        match secs.first().and_then(|s| s.ended) {
            Some(e) if e.timed_out() => Ok(()),
            other => Err(format!("ended {other:?}")),
        },
    ));
    let tip_broken: Vec<VmTest> =
        plan::broken_variants().into_iter().filter(|(_, k)| *k == Kernel::Tip).map(|(t, _)| t).collect();
    cases.extend(must_fail(ws, Kernel::Tip, "harness-broken", &tip_broken)?);
    Ok(cases)
}

/// On the debug profile: the fault-injection test built wrong must fail,
/// and a module that really leaks (samples/kmemleak) must fail kmemleak's
/// verdict, with the boot baseline taken first as in the suite.
fn harness_debug(ws: &Workspace) -> Result<Vec<Case>> {
    let mut tests: Vec<VmTest> = plan::broken_variants()
        .into_iter()
        .filter(|(_, k)| *k == Kernel::Debug)
        .map(|(t, _)| t)
        .collect();
    let mut leak = plan::kmemleak_scan();
    leak.name = "kmemleak after loading samples/kmemleak/kmemleak-test.ko".into();
    let scan = leak.args[1].clone();
    leak.args[1] = format!("insmod /modules/kmemleak-test.ko >/dev/null && {scan}");
    tests.insert(0, plan::kmemleak_baseline());
    tests.push(leak);
    must_fail(ws, Kernel::Debug, "harness-debug", &tests)
}

/// One edition's share of `cargo xtask test`.
///
/// The v6.18.15 edition is kept green, not extended: in a test of both
/// editions it builds its tip and runs its guests (the suite, the 8-CPU
/// guest, the harness); `test --edition lts` adds its base and debug
/// profile runs (`whole`).
fn test_edition(ws: &Workspace, linux: Option<&Path>, vm_only: bool, debug_only: bool, whole: bool) {
    let tip_only = ws.edition == &LTS && !whole;
    let step = Step::start(format!("the {} edition", ws.edition.label()));
    let label = |what: &str| format!("{} {what}", ws.edition.name);
    if !debug_only && stage(&label("build the tip"), || kbuild::build(ws, Kernel::Tip, linux).map(|()| vec![])) {
        stage(&label("the tip's guest"), || main_guest(ws, Kernel::Tip, DebugScope::Full));
        stage(&label("the tip's concurrency guest"), || concurrency_guest(ws, Kernel::Tip));
        if ws.edition == &LTS {
            stage(&label("harness self-checks on the tip"), || harness_tip(ws));
        }
    }
    if !vm_only && !debug_only && !tip_only && !plan::base(ws.edition).is_empty() {
        let step = Step::start("the behaviour-pinning tests on the unpatched base");
        if stage(&label("build the base"), || kbuild::build(ws, Kernel::Base, linux).map(|()| vec![])) {
            stage(&label("the base's guest"), || main_guest(ws, Kernel::Base, DebugScope::Full));
        }
        step.done();
    }
    if !vm_only && !tip_only {
        let scope = if debug_only { DebugScope::Full } else { DebugScope::Quick };
        let step = Step::start("the suite on the debug profile (KASAN, lockdep, DEBUG_VM, kmemleak, UBSAN)");
        if stage(&label("build the debug profile"), || kbuild::build(ws, Kernel::Debug, linux).map(|()| vec![])) {
            stage(&label("the debug profile's guest"), || main_guest(ws, Kernel::Debug, scope));
            if scope == DebugScope::Full {
                stage(&label("the debug profile's concurrency guest"), || concurrency_guest(ws, Kernel::Debug));
            }
            stage(&label("harness self-checks on the debug profile"), || harness_debug(ws));
        }
        step.done();
    }
    if vm_only || debug_only {
        info("series checks not run (--vm-only / --debug)");
    } else if ws.edition == &LTS {
        // Kept green, not extended: its series checks did not change since
        // they passed; `cargo xtask check --edition lts` runs them.
        info("the v6.18.15 edition's series checks are not part of test: cargo xtask check --edition lts");
    } else {
        let prefix = edition_prefix(ws);
        stage(&label("series checks"), || {
            check::check(ws, true).map(|cases| {
                cases.into_iter().map(|mut c| {
                    c.name = format!("{prefix}{}", c.name);
                    c
                }).collect()
            })
        });
    }
    step.done();
}

/// `cargo xtask test`: every edition (`editions`), the product first.
///
/// `vm_only`: the tips' VM tests only; `debug_only`: the debug profiles' only.
pub fn test(ws: &Workspace, editions: &[&'static Edition], linux: Option<&Path>, vm_only: bool, debug_only: bool) -> Result<()> {
    let start = Instant::now();
    on_signal::install(move |sig| {
        println!("xtask: interrupted by signal {sig}: stopping what it started; the results so far");
        on_signal::terminate_descendants();
        print_summary(start);
        std::process::exit(1);
    });
    stage("unit tests", || unit_tests(ws));
    for ed in editions {
        test_edition(&ws.with_edition(ed), linux, vm_only, debug_only, editions.len() == 1);
    }
    if print_summary(start) {
        Ok(())
    } else {
        std::process::exit(1)
    }
}

#[cfg(test)]
mod tests {
    use super::on_signal::*;

    #[test]
    fn parent_pid_is_read_from_this_kernels_proc_stat() {
        // Real text: this test process's own stat line.
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
        assert_eq!(stat_ppid(&stat), Some(std::os::unix::process::parent_id() as i32));
        // comm with spaces and parentheses, as the kernel prints it.
        assert_eq!(stat_ppid("4242 (a (b) c) S 17 4242 4242 0 -1"), Some(17));
    }

    #[test]
    fn a_child_and_its_child_are_descendants() {
        let mut child = std::process::Command::new("sh").args(["-c", "sleep 30 & wait"]).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        let d = descendants(std::process::id() as i32);
        // Only what this test started: other tests run in parallel.
        let below = descendants(child.id() as i32);
        for pid in below.iter().chain([child.id() as i32].iter()) {
            let _ = std::process::Command::new("kill").arg(pid.to_string()).status();
        }
        let _ = child.wait();
        assert!(d.contains(&(child.id() as i32)), "{d:?}");
        assert!(!below.is_empty() && below.iter().all(|p| d.contains(p)), "the sleep below sh is missing: {d:?} {below:?}");
    }
}
