//! One guest run of a test plan: the script the guest runs (each test under
//! its own time budget, between markers), splitting its output per test,
//! and the cases: each program's, swap, KUnit, the kernel log's.

use crate::plan::{self, VmTest};
use crate::results::{self, Case, Outcome};
use crate::ui::{info, Result};
use crate::verdict;
use crate::vm;
use crate::workspace::{Kernel, Workspace};
use std::time::Duration;

/// The shell function each test runs under: markers on lines of their own
/// (a program that dies mid-line, e.g. after "Testing X... ", keeps its
/// exit status), also in the kernel log for splat attribution, and busybox
/// `timeout`: TERM at the budget, KILL 10 s later.
const RUN: &str = r#"run() {
    n="$1"; b="$2"; shift 2
    echo "XTASK-BEGIN $n"; echo "XTASK-BEGIN $n" >/dev/kmsg
    s=$(cut -d' ' -f1 /proc/uptime)
    timeout -s TERM -k 10 "$b" "$@"; rc=$?
    e=$(cut -d' ' -f1 /proc/uptime)
    printf '\nXTASK-END %s rc=%s start=%s end=%s budget=%s\n' "$n" "$rc" "$s" "$e" "$b"
    echo "XTASK-END $n" >/dev/kmsg
}
"#;

/// The guest script for `tests` on `which`.
pub fn script(tests: &[&VmTest], which: Kernel) -> String {
    let mut s = String::from(RUN);
    for t in tests {
        let prog = if t.program.contains('/') || t.program == "insmod" || t.program == "sh" {
            t.program.clone()
        } else {
            format!("/bin/{}", t.program)
        };
        let budget = t.budget * plan::slowdown(which);
        let mut line = format!("run {} {budget} {prog}", vm::sh_quote(&t.name));
        for a in &t.args {
            line.push(' ');
            line.push_str(&vm::sh_quote(a));
        }
        s.push_str(&line);
        s.push('\n');
    }
    s.push_str("exit 0\n");
    s
}

/// The guest's whole time bound for `tests`: twice the sum of their
/// budgets, plus boot; only a test stuck where signals cannot reach it
/// (D state) runs into it.
pub fn guest_bound(tests: &[&VmTest], which: Kernel) -> Duration {
    let sum: u64 = tests.iter().map(|t| t.budget * plan::slowdown(which)).sum();
    Duration::from_secs(2 * sum + 180)
}

/// What the END marker says about one test's run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ended {
    pub rc: i32,
    pub seconds: f64,
    pub budget: f64,
}

impl Ended {
    /// Killed at its budget by the guest's `timeout` (TERM, or KILL after it).
    pub fn timed_out(&self) -> bool {
        (self.rc == 128 + 15 || self.rc == 128 + 9) && self.seconds >= self.budget
    }
}

/// One test's section of the guest output.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub name: String,
    pub output: String,
    /// None: the guest stopped while it ran.
    pub ended: Option<Ended>,
}

fn marker_field(rest: &str, key: &str) -> Option<f64> {
    rest.split_whitespace().find_map(|w| w.strip_prefix(key)?.parse().ok())
}

/// Splits the guest output into one section per test.
pub fn sections(output: &str) -> Vec<Section> {
    let mut v = Vec::new();
    let mut cur: Option<Section> = None;
    for line in output.lines() {
        if let Some(name) = line.strip_prefix("XTASK-BEGIN ") {
            v.extend(cur.take());
            cur = Some(Section { name: name.trim().to_string(), output: String::new(), ended: None });
        } else if let Some(rest) = line.strip_prefix("XTASK-END ") {
            if let Some(mut s) = cur.take() {
                let tail = rest.get(s.name.len()..).unwrap_or("");
                s.ended = marker_field(tail, "rc=").map(|rc| Ended {
                    rc: rc as i32,
                    seconds: marker_field(tail, "end=").unwrap_or(0.0) - marker_field(tail, "start=").unwrap_or(0.0),
                    budget: marker_field(tail, "budget=").unwrap_or(f64::INFINITY),
                });
                v.push(s);
            }
        } else if let Some(s) = cur.as_mut() {
            s.output.push_str(line);
            s.output.push('\n');
        }
    }
    v.extend(cur);
    v
}

/// How a test program ended, for a failure report: "exited 1", "killed by
/// signal 7 SIGBUS" (the guest shell reports a signal as 128 + N), or
/// "timed out".
pub fn describe_exit(ended: Option<Ended>) -> String {
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
    match ended {
        None => "no exit status (the guest stopped while it ran)".to_string(),
        Some(e) if e.timed_out() => format!("timed out: killed at its budget of {:.0} s", e.budget),
        Some(Ended { rc, .. }) if rc > 128 && rc < 160 => {
            let sig = rc - 128;
            let name = NAMES.iter().find(|(n, _)| *n == sig).map_or("", |(_, s)| s);
            format!("killed by signal {sig} {name}").trim_end().to_string()
        }
        Some(Ended { rc, .. }) => format!("exited {rc}"),
    }
}

/// The kernel's lines while test `name` ran.
fn kernel_lines_during<'a>(console: &'a str, name: &str) -> Vec<&'a str> {
    let begin = format!("XTASK-BEGIN {name}");
    let end = format!("XTASK-END {name}");
    console
        .lines()
        .skip_while(|l| !l.trim_end().ends_with(&begin))
        .skip(1)
        .take_while(|l| !l.trim_end().ends_with(&end) && !l.contains("XTASK-BEGIN "))
        .filter(|l| !l.trim().is_empty())
        .collect()
}

/// What a failed test left behind, so a CI log alone says why it failed:
/// its exit, the first kernel report while it ran, the last lines it
/// printed (an err() message, say) and the kernel's last lines meanwhile.
pub fn failure_context(name: &str, out: &str, ended: Option<Ended>, console: &str) -> Vec<String> {
    const TAIL: usize = 6;
    let mut v = vec![describe_exit(ended)];
    let kernel = kernel_lines_during(console, name);
    if let Some(first) = crate::splat::find(&kernel.join("\n")).first() {
        v.push(format!("first kernel report: {}", first.line));
    }
    let printed: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
    for l in &printed[printed.len().saturating_sub(TAIL)..] {
        v.push(format!("output: {}", l.trim_end()));
    }
    for l in &kernel[kernel.len().saturating_sub(TAIL * 2)..] {
        v.push(format!("kernel: {}", l.trim_end()));
    }
    v
}

/// Which test was running at each console line (for splat attribution).
pub fn test_at_line(console: &str, line_no: usize) -> String {
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

/// The cases of one test from its section (or its absence).
pub fn test_cases(t: &VmTest, which: Kernel, prefix: &str, sec: Option<&Section>, console: &str) -> Vec<Case> {
    let name = format!("{prefix}{}", t.name);
    let Some(sec) = sec else {
        return vec![Case::new(name, Outcome::Fail, "did not run (the guest died or timed out before it)")];
    };
    let rc = sec.ended.map(|e| e.rc);
    let mut c = results::parse(t.format, &name, &sec.output, rc);
    if let Some(e) = sec.ended.filter(Ended::timed_out) {
        c.push(Case::new(format!("{name}: time budget"), Outcome::Fail, describe_exit(Some(e))));
    }
    let c = verdict::judge(t, which, prefix, c);
    let (p, f, s) = results::count(&c);
    let secs = sec.ended.map_or(String::new(), |e| format!(" in {:.0} s", e.seconds));
    info(format!("{}: {p} passed, {f} failed, {s} skipped{secs}", t.name));
    for bad in c.iter().filter(|c| c.outcome == Outcome::Fail) {
        info(format!("  FAIL {}: {}", bad.name, bad.detail));
    }
    if f > 0 {
        for line in failure_context(&t.name, &sec.output, sec.ended, console) {
            info(format!("    | {line}"));
        }
    }
    c
}

/// The guest's swap on zram, from the init script's "XTASK-SWAP" line.
pub fn swap_case(prefix: &str, output: &str) -> Case {
    let name = format!("{prefix}guest swap on zram is up");
    match output.lines().find_map(|l| l.strip_prefix("XTASK-SWAP ")) {
        Some("up") => Case::new(name, Outcome::Pass, ""),
        Some(why) => Case::new(name, Outcome::Fail, format!("{why}: the tests that page out cannot reach swap")),
        None => Case::new(name, Outcome::Fail, "the guest never reported its swap set-up"),
    }
}

/// The kernel log's case: no report at all, and a hung guest named.
pub fn kernel_log_cases(prefix: &str, run: &vm::VmRun, console: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    if run.timed_out {
        let current = test_at_line(console, console.lines().count() + 1);
        cases.push(Case::new(
            format!("{prefix}guest finished in time"),
            Outcome::Fail,
            format!("killed at its time bound while `{current}` ran; see {}", run.console_log.display()),
        ));
    }
    if !run.timed_out && !console.contains("XTASK-POWEROFF") {
        cases.push(Case::new(
            format!("{prefix}kernel log complete"),
            Outcome::Fail,
            format!("{} ends before the guest's power-off marker: reports may be lost", run.console_log.display()),
        ));
    }
    let name = format!("{prefix}kernel log has no report (BUG, WARNING, lockdep, stall, lockup, ...)");
    cases.push(match run.splats.first() {
        None => Case::new(name, Outcome::Pass, ""),
        Some(s) => Case::new(
            name,
            Outcome::Fail,
            format!("{} report(s); first during `{}`: {}", run.splats.len(), test_at_line(console, s.line_no), s.line),
        ),
    });
    for c in cases.iter().filter(|c| c.outcome == Outcome::Fail) {
        info(format!("  FAIL {}: {}", c.name, c.detail));
    }
    cases
}

/// Boots `which` with `cpus` CPUs once and runs `all` in it; a test whose
/// program or module the build lacks is a failure.  `kunit`: count the
/// KUnit suites that ran at boot too; `swap`: the guest's swap must be up.
pub struct GuestRun<'a> {
    pub which: Kernel,
    pub tests: &'a [VmTest],
    pub prefix: &'a str,
    pub tag: &'a str,
    pub cpus: u32,
    pub kunit: bool,
}

impl GuestRun<'_> {
    pub fn run(&self, ws: &Workspace) -> Result<Vec<Case>> {
        let (which, prefix) = (self.which, self.prefix);
        let mut cases = Vec::new();
        let mut tests: Vec<&VmTest> = Vec::new();
        for t in self.tests {
            if t.available(ws, which) {
                tests.push(t);
            } else {
                let detail = format!("not built: the {} has no {}", which.label(), t.needs_label());
                info(format!("  FAIL {prefix}{}: {detail}", t.name));
                cases.push(Case::new(format!("{prefix}{}", t.name), Outcome::Fail, detail));
            }
        }
        let smp = self.cpus.to_string();
        let bound = guest_bound(&tests, which);
        let run = vm::run_script_with(ws, which, &script(&tests, which), bound, self.tag, &["-smp", &smp])?;
        let secs = sections(&run.output);
        let console = String::from_utf8_lossy(&std::fs::read(&run.console_log).unwrap_or_default()).into_owned();
        cases.push(swap_case(prefix, &run.output));
        for t in &tests {
            cases.extend(test_cases(t, which, prefix, secs.iter().find(|s| s.name == t.name), &console));
        }
        if self.kunit {
            for mut c in results::kunit_cases(&console) {
                c.name = format!("{prefix}{}", c.name);
                info(format!("{}: {}", c.name, if c.outcome == Outcome::Pass { "ok" } else { "FAILED" }));
                cases.push(c);
            }
        }
        cases.extend(kernel_log_cases(prefix, &run, &console));
        Ok(cases)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_split_by_markers() {
        let out = "XTASK-READY 6.18\nXTASK-BEGIN a\nline1\n\nXTASK-END a rc=0 start=1.50 end=3.00 budget=30\nXTASK-BEGIN b\nline2\n";
        let s = sections(out);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].name, "a");
        assert_eq!(s[0].output, "line1\n\n");
        assert_eq!(s[0].ended, Some(Ended { rc: 0, seconds: 1.5, budget: 30.0 }));
        assert_eq!((s[1].name.as_str(), s[1].output.as_str(), s[1].ended), ("b", "line2\n", None));
    }

    /// uffd-unit-tests prints "Testing %s... " and flushes
    /// (tools/testing/selftests/mm/uffd-unit-tests.c uffd_test_start()):
    /// a death inside a case leaves that line unfinished; the END marker
    /// starts a line of its own, so the exit status is still read.
    #[test]
    fn a_program_that_dies_mid_line_keeps_its_exit_status() {
        let out = "XTASK-BEGIN uffd-unit-tests\nTesting register-ioctls on anon... done\n\
                   Testing register-ioctls on shmem... \nXTASK-END uffd-unit-tests rc=139 start=5.0 end=9.0 budget=600\n";
        let s = sections(out);
        let e = s[0].ended.expect("exit status read");
        assert_eq!(describe_exit(Some(e)), "killed by signal 11 SIGSEGV");
        let c = results::parse_uffd_unit("u", &s[0].output, Some(e.rc));
        assert!(c.iter().any(|c| c.name == "u: register-ioctls on shmem" && c.outcome == Outcome::Fail));
        // What the guest shell prints: printf '\nXTASK-END ...' after the partial line.
        let sh = script(&[&plan::suite(&crate::workspace::LTS)[2]], Kernel::Tip);
        assert!(sh.contains("printf '\\nXTASK-END %s rc=%s"));
    }

    #[test]
    fn a_test_killed_at_its_budget_is_a_timeout() {
        let out = "XTASK-BEGIN s\nXTASK-END s rc=143 start=10.0 end=310.2 budget=300\n";
        let e = sections(out)[0].ended.unwrap();
        assert!(e.timed_out());
        assert!(describe_exit(Some(e)).starts_with("timed out"));
        let early = Ended { rc: 143, seconds: 3.0, budget: 300.0 };
        assert!(!early.timed_out());
        assert_eq!(describe_exit(Some(early)), "killed by signal 15 SIGTERM");
    }

    #[test]
    fn script_runs_each_test_under_its_budget() {
        let suite = plan::suite(&crate::workspace::LTS);
        let tests: Vec<&VmTest> = suite.iter().take(4).collect();
        let s = script(&tests, Kernel::Tip);
        assert!(s.contains("run 'load test_uffd_memtype' 30 insmod /modules/test_uffd_memtype.ko\n"));
        assert!(s.contains("run uffd-unit-tests 1200 /bin/uffd-unit-tests\n"));
        assert!(s.contains("run 'uffd-stress anon' 300 /bin/uffd-stress anon 64 8\n"));
        assert!(script(&tests, Kernel::Debug).contains("run uffd-unit-tests 12000 /bin/uffd-unit-tests\n"));
        assert_eq!(guest_bound(&tests, Kernel::Tip), Duration::from_secs(2 * (30 + 30 + 1200 + 300) + 180));
    }

    #[test]
    fn failure_context_names_the_signal_the_report_and_what_was_printed() {
        let console = "boot\nXTASK-BEGIN a\nXTASK-END a\nXTASK-BEGIN b\n\
                       b/42: potentially unexpected fatal signal 7.\nXTASK-END b\nlater\n";
        let e = Some(Ended { rc: 135, seconds: 1.0, budget: 60.0 });
        let v = failure_context("b", "Testing x... \nerr: mmap failed\n", e, console);
        assert_eq!(v[0], "killed by signal 7 SIGBUS");
        assert_eq!(v[1], "output: Testing x...");
        assert_eq!(v[2], "output: err: mmap failed");
        assert_eq!(v[3], "kernel: b/42: potentially unexpected fatal signal 7.");
        assert_eq!(v.len(), 4);
        let hung = "XTASK-BEGIN c\nINFO: task uffd-stress:77 blocked for more than 120 seconds.\n";
        let v = failure_context("c", "", Some(Ended { rc: 143, seconds: 301.0, budget: 300.0 }), hung);
        assert!(v[0].starts_with("timed out"));
        assert_eq!(v[1], "first kernel report: INFO: task uffd-stress:77 blocked for more than 120 seconds.");
        assert_eq!(describe_exit(None), "no exit status (the guest stopped while it ran)");
    }

    #[test]
    fn swap_must_be_up() {
        assert_eq!(swap_case("", "XTASK-SWAP up\nXTASK-READY\n").outcome, Outcome::Pass);
        assert_eq!(swap_case("", "XTASK-SWAP failed: swapon /dev/zram0\n").outcome, Outcome::Fail);
        assert_eq!(swap_case("", "XTASK-READY\n").outcome, Outcome::Fail);
    }

    #[test]
    fn splat_is_attributed_to_running_test() {
        let console = "boot\n[ 1.0] XTASK-BEGIN uffd-stress shmem\n[ 2.0] WARNING: at mm/x.c\n";
        assert_eq!(test_at_line(console, 3), "uffd-stress shmem");
        assert_eq!(test_at_line(console, 1), "boot");
    }
}
