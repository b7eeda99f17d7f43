//! `cargo xtask bench`: the cost of userfaultfd fills on the unpatched base
//! and on the series tip, measured in one invocation with the same config.
//!
//! `bench/uffd-bench.c` runs in the guest and prints one line per round
//! (see its header).  Each kernel is booted with `-icount shift=0,sleep=off`
//! (one guest nanosecond is one instruction: a deterministic path length),
//! then again without it for wall-clock numbers, base and tip alternating
//! (A B A B) so that drift on the host cancels.  Where KVM works the
//! wall-clock runs use it and uffd-bench adds instruction counts from the
//! CPU's PMU.  The tables go to `build/<edition>/bench/results.md` and
//! the edition's `bench/RESULTS.md` (`lts/v6.18.15/bench/` for v6.18.15).
//! It reports; it never fails on a number.

use crate::benchreport::{comparison_table, parse, ratio_targets, rust_vs_shmem_table, target_lines};
use crate::benchreport::{Line, Measured, Metric};
use crate::kbuild::{self, bzimage};
use crate::proc;
use crate::selftests;
use crate::ui::{fmt_secs, info, Error, Result};
use crate::vm;
use crate::workspace::{ensure_dir, Kernel, Workspace};
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Rounds per measurement and pages per round.
const ROUNDS: u32 = 5;
const PAGES: u32 = 2048;
const HUGEPAGES: u32 = 64;
/// Wall-clock runs per kernel, interleaved base, tip, base, tip.
const WALL_PAIRS: usize = 2;
const ICOUNT: &[&str] = &["-icount", "shift=0,sleep=off"];
const VM_TIMEOUT: Duration = Duration::from_secs(900);
const TIME_TARGET_SECS: f64 = 15.0 * 60.0;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Side {
    Base,
    Tip,
}

impl Side {
    fn kernel(self) -> Kernel {
        match self {
            Side::Base => Kernel::Base,
            Side::Tip => Kernel::Tip,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Side::Base => "base",
            Side::Tip => "tip",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Clock {
    /// Guest time from QEMU's instruction counter (TCG only).
    Icount,
    /// Time passing on the host (TCG or KVM).
    Wall,
}

/// The VM runs in order: icount base and tip, then wall clock A B A B.
pub fn plan() -> Vec<(Side, Clock)> {
    let mut v = vec![(Side::Base, Clock::Icount), (Side::Tip, Clock::Icount)];
    for _ in 0..WALL_PAIRS {
        v.push((Side::Base, Clock::Wall));
        v.push((Side::Tip, Clock::Wall));
    }
    v
}

/// What the runs produced.
struct Report {
    data: HashMap<(Side, Clock), Measured>,
    /// Accelerator of the wall-clock runs ("tcg" or "kvm").
    wall_accel: &'static str,
    /// Lines naming the kernels measured.
    header: String,
    /// The edition's base tag (v6.18.15, v7.2.8).
    base: &'static str,
    seconds: f64,
}

impl Report {
    fn markdown(&self) -> String {
        let empty = Measured::default();
        let m = |side, clock| self.data.get(&(side, clock)).unwrap_or(&empty);
        let wall = self.wall_accel.to_uppercase();
        let mut s = format!("# uffd-bench: base {} vs series tip\n\n{}\n", self.base, self.header);
        s.push_str(&format!(
            "Per page, the median of all rounds ({ROUNDS} per run after a warm-up round; {PAGES} 4K pages \
             or {HUGEPAGES} 2M hugetlb pages per round); spread = interquartile range / median of those rounds. \
             `ioctl only`: the fill ioctl on an unpopulated page of a registered range; `round trip`: a \
             thread touches the page, a handler thread reads the event and resolves it with the ioctl (both \
             on CPU 0, SCHED_FIFO, so that the hand-offs are the same on both kernels); `no uffd (ref.)`: the kernel's own fault on the same pages without userfaultfd (a \
             write for COPY, a read for ZEROPAGE and CONTINUE).\n\n"
        ));
        s.push_str("## Guest instructions per page (QEMU `-icount shift=0,sleep=off`: 1 ns = 1 instruction)\n\n");
        s.push_str(&comparison_table(m(Side::Base, Clock::Icount), m(Side::Tip, Clock::Icount), Metric::Ns, "insns"));
        s.push_str(&format!(
            "\n## Wall clock per page ({wall}, {WALL_PAIRS} runs per kernel, interleaved base, tip, base, tip)\n\n\
             Host load and emulation make these noisy, in episodes longer than a round, which the spreads \
             do not show: read a ratio here together with the icount table (a wall-clock difference without \
             an instruction difference is the host's, not the kernel's).\n\n"
        ));
        s.push_str(&comparison_table(m(Side::Base, Clock::Wall), m(Side::Tip, Clock::Wall), Metric::Ns, "ns"));
        if !m(Side::Tip, Clock::Wall).insns.is_empty() {
            s.push_str("\n## PMU instructions per page (perf_event_open on CPU 0, wall-clock runs)\n\n");
            s.push_str(&comparison_table(
                m(Side::Base, Clock::Wall),
                m(Side::Tip, Clock::Wall),
                Metric::Insns,
                "insns",
            ));
        }
        s.push_str("\n## Rust sample vs shmem on the tip\n\nicount (instructions per page):\n\n");
        s.push_str(&rust_vs_shmem_table(m(Side::Tip, Clock::Icount), "insns"));
        s.push_str(&format!("\nwall clock ({wall}, ns per page):\n\n"));
        s.push_str(&rust_vs_shmem_table(m(Side::Tip, Clock::Wall), "ns"));
        s.push_str("\n## Targets\n\n");
        s.push_str(&target_lines(&ratio_targets(m(Side::Base, Clock::Icount), m(Side::Tip, Clock::Icount))));
        let met = if self.seconds <= TIME_TARGET_SECS { "met" } else { "MISSED" };
        s.push_str(&format!("- the whole bench run under 15 minutes: **{met}** ({})\n", fmt_secs(self.seconds)));
        s
    }
}

/// The guest script: load the Rust sample where the kernel has it, run the benchmark.
fn guest_script() -> String {
    format!(
        "if [ -e /modules/rust_uffd_mem.ko ]; then insmod /modules/rust_uffd_mem.ko || exit 1; fi\n\
         /bin/uffd-bench -r {ROUNDS} -n {PAGES} -H {HUGEPAGES}\n"
    )
}

/// A line naming the commit a kernel tree is at and when its kernel was
/// built (with `--no-build` the two may differ).
fn describe_kernel(ws: &Workspace, side: Side) -> String {
    let dir = ws.source_dir(side.kernel());
    let rev = proc::output(Command::new("git").arg("-C").arg(&dir).args(["log", "-1", "--format=%h %s"]));
    let rev = rev.map(|r| r.trim().to_string()).unwrap_or_else(|e| format!("unknown ({e})"));
    let built =
        proc::output(Command::new("date").arg("-u").arg("-r").arg(bzimage(ws, side.kernel())).arg("+%F %H:%M UTC"));
    let built = built.map(|d| d.trim().to_string()).unwrap_or_else(|_| "not built".to_string());
    format!("- {}: {rev} (bzImage of {built})", side.name())
}

/// Builds each kernel with its programs; with `--no-build`, only uffd-bench
/// for each kernel that is built already (one that is not is left out).
fn prepare(ws: &Workspace, linux: Option<&Path>, no_build: bool) -> Result<Vec<Side>> {
    let mut sides = Vec::new();
    for side in [Side::Base, Side::Tip] {
        let which = side.kernel();
        if !no_build {
            kbuild::build(ws, which, linux)?;
        } else if !bzimage(ws, which).is_file() {
            let flag = if side == Side::Base { " --base" } else { "" };
            info(format!(
                "--no-build: no {} kernel at {}: measuring without it (`cargo xtask build{flag}` builds it)",
                side.name(),
                bzimage(ws, which).display()
            ));
            continue;
        } else if !selftests::build_one(ws, which, "uffd-bench")? {
            return Err(Error::new("bench/uffd-bench.c is missing").hint("run cargo xtask from the project clone"));
        }
        sides.push(side);
    }
    Ok(sides)
}

/// Runs uffd-bench (the `nth` run of `side` with `clock`); returns its lines
/// and the accelerator used, and keeps its output as `<dir>/<tag>.log`.
fn run_once(ws: &Workspace, side: Side, clock: Clock, nth: usize, dir: &Path) -> Result<(Vec<Line>, &'static str)> {
    let (tag, args): (String, &[&str]) = match clock {
        Clock::Icount => (format!("bench-icount-{}-{nth}", side.name()), ICOUNT),
        Clock::Wall => (format!("bench-wall-{}-{nth}", side.name()), &[]),
    };
    let run = vm::run_script_with(ws, side.kernel(), &guest_script(), VM_TIMEOUT, &tag, args)?;
    let log = dir.join(format!("{tag}.log"));
    std::fs::write(&log, &run.output).map_err(|e| Error::new(format!("cannot write {}: {e}", log.display())))?;
    let lines = parse(&run.output);
    let errors: Vec<&str> =
        lines.iter().filter_map(|l| if let Line::Error(e) = l { Some(e.as_str()) } else { None }).collect();
    if !errors.is_empty() {
        return Err(Error::new(format!(
            "uffd-bench failed on the {} kernel: {}; output: {}",
            side.name(),
            errors.join("; "),
            log.display()
        )));
    }
    run.verdict()?;
    if !lines.iter().any(|l| matches!(l, Line::Sample { .. })) {
        return Err(Error::new(format!("uffd-bench printed no measurement; output: {}", log.display())));
    }
    Ok((lines, run.accel))
}

/// The 1, 5 and 15 minute load averages: how busy the host was, which is
/// what makes wall-clock numbers noisy.
fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let fields: Vec<&str> = text.split_whitespace().take(3).collect();
    if fields.len() == 3 {
        fields.join(" ")
    } else {
        "unknown".to_string()
    }
}

/// The previous run's guest output, so that `dir` only shows this run's.
fn remove_old_logs(dir: &Path) -> Result<()> {
    for e in crate::fsx::read_dir(dir)?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("bench-") && name.ends_with(".log") {
            std::fs::remove_file(e.path())
                .map_err(|err| Error::new(format!("cannot remove {}: {err}", e.path().display())))?;
        }
    }
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::new(format!("cannot write {}: {e}", path.display())))
}

/// `cargo xtask bench [--no-build]`.
pub fn bench(ws: &Workspace, linux: Option<&Path>, no_build: bool) -> Result<()> {
    let start = Instant::now();
    let sides = prepare(ws, linux, no_build)?;
    if sides.is_empty() {
        return Err(Error::new("no kernel to measure").hint("run `cargo xtask build` and `cargo xtask build --base`"));
    }
    let dir = ws.build_dir().join("bench");
    ensure_dir(&dir)?;
    remove_old_logs(&dir)?;
    let header = format!(
        "{}\n{}\n- host: {} CPUs, load average at the start {}\n",
        describe_kernel(ws, Side::Base),
        describe_kernel(ws, Side::Tip),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        load_average()
    );
    let runs: Vec<(Side, Clock)> = plan().into_iter().filter(|(s, _)| sides.contains(s)).collect();
    let mut data: HashMap<(Side, Clock), Measured> = HashMap::new();
    let mut wall_accel = "tcg";
    for (i, &(side, clock)) in runs.iter().enumerate() {
        let nth = runs[..i].iter().filter(|r| **r == (side, clock)).count() + 1;
        info(format!(
            "bench run {}/{}: {} kernel, {} #{nth} ({} elapsed)",
            i + 1,
            runs.len(),
            side.name(),
            if clock == Clock::Icount { "icount" } else { "wall clock" },
            fmt_secs(start.elapsed().as_secs_f64())
        ));
        let (lines, accel) = run_once(ws, side, clock, nth, &dir)?;
        if clock == Clock::Wall {
            wall_accel = accel;
        }
        data.entry((side, clock)).or_default().add(&lines);
    }
    let report = Report { data, wall_accel, header, base: ws.edition.tag, seconds: start.elapsed().as_secs_f64() };
    let md = report.markdown();
    let out = dir.join("results.md");
    let committed = ws.edition_dir().join("bench/RESULTS.md");
    write(&out, &md)?;
    write(&committed, &md)?;
    println!("{md}");
    info(format!(
        "results: {} (copied to {}); guest output: {}/bench-*.log",
        out.display(),
        committed.display(),
        dir.display()
    ));
    info(format!("bench took {}", fmt_secs(start.elapsed().as_secs_f64())));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_interleaves_base_and_tip() {
        let p = plan();
        assert_eq!(p[0], (Side::Base, Clock::Icount));
        assert_eq!(p[1], (Side::Tip, Clock::Icount));
        let wall: Vec<Side> = p.iter().filter(|(_, c)| *c == Clock::Wall).map(|(s, _)| *s).collect();
        assert_eq!(wall, vec![Side::Base, Side::Tip, Side::Base, Side::Tip]);
    }

    #[test]
    fn report_has_every_section() {
        let mut m = Measured::default();
        m.add(&parse("bench type=shmem op=copy path=ioctl ns=1000\nbench type=rust op=copy path=ioctl ns=1040\n"));
        let mut data = HashMap::new();
        data.insert((Side::Tip, Clock::Icount), m);
        let r = Report { data, wall_accel: "tcg", header: "- tip: abc\n".into(), base: "v7.2.8", seconds: 61.0 };
        let md = r.markdown();
        for part in ["## Guest instructions", "## Wall clock per page (TCG", "## Rust sample vs shmem", "## Targets"] {
            assert!(md.contains(part), "{part} missing:\n{md}");
        }
        assert!(!md.contains("## PMU instructions"));
        assert!(md.contains("| UFFDIO_COPY | ioctl only | 1000 | 1040 | 1.0400 (+4.00%) |"), "{md}");
        assert!(md.contains("under 15 minutes: **met** (1m01s)"), "{md}");
    }
}
