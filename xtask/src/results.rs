//! Turning test program output into counted cases.
//!
//! Three shapes are understood: `uffd-unit-tests`' own lines ("Testing X on
//! Y... done|skipped [reason: ..]|failed [reason: ..]" and its summary),
//! KTAP ("ok N desc", "not ok N desc", "# SKIP"), and plain exit status.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    Skip,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub name: String,
    pub outcome: Outcome,
    pub detail: String,
}

impl Case {
    pub fn new(name: impl Into<String>, outcome: Outcome, detail: impl Into<String>) -> Self {
        Case { name: name.into(), outcome, detail: detail.into() }
    }
}

/// How a program reports its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    UffdUnit,
    Ktap,
    ExitStatus,
    /// "<case>: ok" / "<case>: FAIL ..." lines, plus the exit status for
    /// whatever the program checks without printing a line (the KVM
    /// selftests' TEST_ASSERT()s abort with a non-zero status).
    ColonOk,
    /// The contents of /sys/kernel/debug/kmemleak after a scan.
    Kmemleak,
    /// The same at boot, before the tests (reported, then cleared).
    KmemleakBaseline,
}

/// Parses "<case>: ok" lines; every run also yields an exit-status case.
pub fn parse_colon_ok(prefix: &str, out: &str, rc: Option<i32>) -> Vec<Case> {
    let mut cases = Vec::new();
    for line in out.lines() {
        let l = line.trim_end();
        if let Some(name) = l.strip_suffix(": ok") {
            cases.push(Case::new(format!("{prefix}: {name}"), Outcome::Pass, ""));
        } else if let Some((name, why)) = l.split_once(": FAIL") {
            cases.push(Case::new(format!("{prefix}: {name}"), Outcome::Fail, why.trim().to_string()));
        }
    }
    cases.extend(parse_exit(&format!("{prefix}: exit status"), rc));
    cases
}

/// Parses `uffd-unit-tests` output.  A missing summary line means the
/// program died part-way, which is a failure of its own.
pub fn parse_uffd_unit(prefix: &str, out: &str, rc: Option<i32>) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut current: Option<String> = None;
    let mut summary: Option<(u32, u32, u32, u32)> = None;
    for line in out.lines() {
        let mut rest = line;
        if let Some(pos) = rest.find("Testing ") {
            let after = &rest[pos + "Testing ".len()..];
            if let Some(end) = after.find("... ") {
                current = Some(after[..end].to_string());
                rest = &after[end + 4..];
            } else if let Some(stripped) = after.strip_suffix("...") {
                current = Some(stripped.to_string());
                rest = "";
            }
        }
        if let Some(name) = current.clone() {
            let r = rest.trim();
            let outcome = if r.starts_with("done") {
                Some((Outcome::Pass, String::new()))
            } else if let Some(reason) = r.strip_prefix("skipped [reason: ") {
                Some((Outcome::Skip, reason.trim_end_matches(']').to_string()))
            } else {
                r.strip_prefix("failed [reason: ")
                    .map(|reason| (Outcome::Fail, reason.trim_end_matches(']').to_string()))
            };
            if let Some((o, d)) = outcome {
                cases.push(Case::new(format!("{prefix}: {name}"), o, d));
                current = None;
            }
        }
        if let Some(s) = line.trim().strip_prefix("Userfaults unit tests: ") {
            let nums: Vec<u32> = s
                .split(|c: char| !c.is_ascii_digit())
                .filter(|t| !t.is_empty())
                .filter_map(|t| t.parse().ok())
                .collect();
            if nums.len() == 4 {
                summary = Some((nums[0], nums[1], nums[2], nums[3]));
            }
        }
    }
    if let Some(name) = current {
        cases.push(Case::new(format!("{prefix}: {name}"), Outcome::Fail, "no result (program died?)"));
    }
    match summary {
        None => cases.push(Case::new(format!("{prefix}: summary"), Outcome::Fail, "no summary line: the program died")),
        Some((p, s, f, t)) => {
            let count = |o| cases.iter().filter(|c| c.outcome == o).count() as u32;
            if (count(Outcome::Pass), count(Outcome::Skip), count(Outcome::Fail)) != (p, s, f) || p + s + f != t {
                cases.push(Case::new(
                    format!("{prefix}: summary"),
                    Outcome::Fail,
                    format!("summary pass={p} skip={s} fail={f} total={t} disagrees with the lines parsed"),
                ));
            }
        }
    }
    if rc != Some(0) && !cases.iter().any(|c| c.outcome == Outcome::Fail) {
        cases.push(Case::new(format!("{prefix}: exit status"), Outcome::Fail, format!("exited {rc:?}")));
    }
    cases
}

/// One KTAP result line ("ok N desc # directive" / "not ok N desc"):
/// its outcome (a SKIP directive makes it a skip), description, directive.
pub fn ktap_result(line: &str) -> Option<(Outcome, &str, &str)> {
    let (ok, rest) = if let Some(r) = line.strip_prefix("not ok ") {
        (false, r)
    } else {
        (true, line.strip_prefix("ok ")?)
    };
    let rest = rest.split_once(' ').map(|(_, d)| d).unwrap_or("");
    let (desc, directive) = if let Some(dir) = rest.strip_prefix('#') {
        // kselftest's ksft_test_result_skip(): "ok N # SKIP reason", the
        // reason standing for the description.
        let dir = dir.trim();
        (dir.split_once(' ').map(|(_, r)| r).unwrap_or(""), dir)
    } else {
        match rest.split_once(" # ") {
            Some((d, dir)) => (d.trim(), dir.trim()),
            None => (rest.trim(), ""),
        }
    };
    let outcome = if directive.to_ascii_uppercase().starts_with("SKIP") {
        Outcome::Skip
    } else if ok {
        Outcome::Pass
    } else {
        Outcome::Fail
    };
    Some((outcome, desc.trim_start_matches("- "), directive))
}

/// The number of a KTAP result line ("ok 3 desc" -> 3).
fn ktap_number(line: &str) -> Option<u32> {
    let rest = line.strip_prefix("not ok ").or_else(|| line.strip_prefix("ok "))?;
    rest.split_whitespace().next()?.parse().ok()
}

/// Parses KTAP / TAP output.  Only top-level result lines count (nested,
/// indented ones are a subtest's own report); they must be numbered 1..N
/// in order, and as many as the plan says.  The kselftest "# SKIP"
/// directive marks a skip.
pub fn parse_ktap(prefix: &str, out: &str, rc: Option<i32>) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut plan: Option<u32> = None;
    let mut numbering: Vec<String> = Vec::new();
    for line in out.lines() {
        if line.starts_with(' ') || line.starts_with('\t') {
            continue;
        }
        let l = line.trim_end();
        if let Some(p) = l.strip_prefix("1..") {
            if plan.is_none() {
                plan = p.trim().parse().ok();
            }
            continue;
        }
        let Some((outcome, desc, directive)) = ktap_result(l) else { continue };
        let expected = cases.len() as u32 + 1;
        if ktap_number(l) != Some(expected) && numbering.len() < 3 {
            numbering.push(format!("result {expected} is numbered {:?}", ktap_number(l)));
        }
        // Skips often share their reason: number the repeats.
        let mut name = format!("{prefix}: {desc}");
        let same = cases.iter().filter(|c: &&Case| c.name == name || c.name.starts_with(&format!("{name} ("))).count();
        if same > 0 {
            name = format!("{name} ({})", same + 1);
        }
        cases.push(Case::new(name, outcome, directive.to_string()));
    }
    if !numbering.is_empty() {
        cases.push(Case::new(format!("{prefix}: numbering"), Outcome::Fail, numbering.join("; ")));
    }
    match plan {
        Some(p) if cases.iter().filter(|c| !c.name.ends_with(": numbering")).count() as u32 != p => {
            let seen = cases.iter().filter(|c| !c.name.ends_with(": numbering")).count();
            cases.push(Case::new(format!("{prefix}: plan"), Outcome::Fail, format!("planned {p} cases, saw {seen}")));
        }
        Some(_) => {}
        None if !cases.is_empty() => {
            cases.push(Case::new(format!("{prefix}: plan"), Outcome::Fail, "no KTAP plan line (1..N)"));
        }
        None => {}
    }
    if let Some((p, f, sk)) = ktap_totals(out) {
        let n = |o| cases.iter().filter(|c| c.outcome == o).count() as u32;
        let seen = (n(Outcome::Pass), n(Outcome::Fail), n(Outcome::Skip));
        if seen != (p, f, sk) {
            cases.push(Case::new(
                format!("{prefix}: totals"),
                Outcome::Fail,
                format!("the program's totals pass:{p} fail:{f} skip:{sk} disagree with the lines parsed {seen:?}"),
            ));
        }
    }
    if cases.is_empty() {
        cases.push(Case::new(prefix, Outcome::Fail, "no KTAP result lines"));
    }
    match rc {
        Some(0) => {}
        // kselftest exits 4 when every case skipped.
        Some(4) if cases.iter().all(|c| c.outcome == Outcome::Skip) => {}
        other => {
            if !cases.iter().any(|c| c.outcome == Outcome::Fail) {
                cases.push(Case::new(format!("{prefix}: exit status"), Outcome::Fail, format!("exited {other:?}")));
            }
        }
    }
    cases
}

/// The last kselftest "# Totals: pass:P fail:F xfail:X xpass:Y skip:S
/// error:E" line, as (pass, fail + error, skip).
fn ktap_totals(out: &str) -> Option<(u32, u32, u32)> {
    let line = out.lines().rev().find_map(|l| l.trim().strip_prefix("# Totals:"))?;
    let field = |k: &str| -> Option<u32> {
        line.split_whitespace().find_map(|w| w.strip_prefix(k)?.strip_prefix(':')?.parse().ok())
    };
    Some((field("pass")? + field("xfail").unwrap_or(0), field("fail")? + field("error").unwrap_or(0), field("skip")?))
}

/// One case from the exit status alone (4 = kselftest skip).
pub fn parse_exit(name: &str, rc: Option<i32>) -> Vec<Case> {
    let (o, d) = match rc {
        Some(0) => (Outcome::Pass, String::new()),
        Some(4) => (Outcome::Skip, "exit status 4 (kselftest skip)".to_string()),
        other => (Outcome::Fail, format!("exited {other:?}")),
    };
    vec![Case::new(name, o, d)]
}

pub fn parse(format: Format, name: &str, out: &str, rc: Option<i32>) -> Vec<Case> {
    match format {
        Format::UffdUnit => parse_uffd_unit(name, out, rc),
        Format::Ktap => parse_ktap(name, out, rc),
        Format::ExitStatus => parse_exit(name, rc),
        Format::ColonOk => parse_colon_ok(name, out, rc),
        Format::Kmemleak => parse_kmemleak(name, out, rc),
        Format::KmemleakBaseline => parse_kmemleak_baseline(name, out, rc),
    }
}

/// One kmemleak report: its header line and the functions of its
/// backtrace.  mm/kmemleak.c (print_unreferenced()) prints
/// "unreferenced object[ (percpu)] 0x%08lx (size %zu):", the comm line, a
/// hex dump, "  backtrace (crc %x):" and then one "    %pS" line per
/// frame (no "[<address>]" since 6.x).
pub fn kmemleak_reports(out: &str) -> Vec<(String, Vec<String>)> {
    let mut reports: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_backtrace = false;
    for line in out.lines() {
        if line.starts_with("unreferenced object") {
            reports.push((line.trim().to_string(), Vec::new()));
            in_backtrace = false;
        } else if line.trim_start().starts_with("backtrace") {
            in_backtrace = !reports.is_empty();
        } else if let (true, Some(r)) = (in_backtrace, reports.last_mut()) {
            let frame = line.trim();
            // Older kernels print "[<ffffffff812a3b4c>] func+0x2c/0x60".
            let frame = match frame.strip_prefix("[<").and_then(|f| f.split_once("] ")) {
                Some((_, f)) => f.trim(),
                None => frame,
            };
            if !frame.is_empty() {
                r.1.push(frame.to_string());
            }
        }
    }
    reports
}

fn describe_reports(reports: &[(String, Vec<String>)]) -> String {
    let shown: Vec<String> = reports
        .iter()
        .take(3)
        .map(|(h, f)| format!("{h} allocated at {}", f.iter().take(6).cloned().collect::<Vec<_>>().join(" < ")))
        .collect();
    let more = if reports.len() > 3 { format!(" | and {} more", reports.len() - 3) } else { String::new() };
    format!("{}{more}", shown.join(" | "))
}

/// kmemleak's verdict after the tests: the baseline taken at boot was
/// cleared, so any report now is a leak during the tests, whoever's code
/// allocated it, and fails.
pub fn parse_kmemleak(name: &str, out: &str, rc: Option<i32>) -> Vec<Case> {
    if rc != Some(0) {
        return vec![Case::new(name, Outcome::Fail, format!("reading the kmemleak report failed ({rc:?}): is kmemleak on?"))];
    }
    let reports = kmemleak_reports(out);
    if reports.is_empty() {
        return vec![Case::new(name, Outcome::Pass, "no leak since the boot baseline")];
    }
    vec![Case::new(name, Outcome::Fail, format!("{} new leak(s): {}", reports.len(), describe_reports(&reports)))]
}

/// The boot baseline: it passes when kmemleak answered; what leaked at
/// boot (before any test) is listed, not judged.
pub fn parse_kmemleak_baseline(name: &str, out: &str, rc: Option<i32>) -> Vec<Case> {
    if rc != Some(0) {
        return vec![Case::new(name, Outcome::Fail, format!("scanning or clearing kmemleak failed ({rc:?}): is kmemleak on?"))];
    }
    let reports = kmemleak_reports(out);
    let detail = if reports.is_empty() {
        "no report at boot".to_string()
    } else {
        format!("{} report(s) at boot, cleared: {}", reports.len(), describe_reports(&reports))
    };
    vec![Case::new(name, Outcome::Pass, detail)]
}

/// KUnit suites that ran at boot (e.g. the Rust doctests), from the
/// kernel log: one case per top-level "ok N suite" / "not ok N suite"
/// line, with the suite's own totals line as detail, and a failure when
/// their number is not the top-level plan's "1..N".
pub fn kunit_cases(console: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut last_totals = String::new();
    let mut plan: Option<usize> = None;
    let mut in_ktap = false;
    for line in console.lines() {
        if line.trim_start().starts_with("# Totals:") {
            last_totals = line.trim().to_string();
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            continue; // subtests
        }
        if line.starts_with("KTAP version") {
            in_ktap = true;
            continue;
        }
        if let (true, None, Some(n)) = (in_ktap, plan, line.strip_prefix("1..")) {
            plan = n.trim().parse().ok();
            continue;
        }
        let Some((outcome, suite, _)) = ktap_result(line) else { continue };
        cases.push(Case::new(format!("kunit: {suite}"), outcome, last_totals.clone()));
    }
    match plan {
        Some(p) if p != cases.len() => {
            cases.push(Case::new("kunit: plan", Outcome::Fail, format!("the boot's KTAP plan is 1..{p}, {} suite(s) reported", cases.len())))
        }
        None => cases.push(Case::new("kunit: plan", Outcome::Fail, "no KUnit KTAP plan in the kernel log: did KUnit run?")),
        Some(_) => {}
    }
    cases
}

/// `cargo test` output: one case per Rust test; a failure when the run did
/// not end in "test result: ok".
pub fn cargo_test_cases(out: &str) -> Vec<Case> {
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
        cases.push(Case::new("xtask unit tests", Outcome::Fail, crate::proc::last_lines(out, 20)));
    }
    cases
}

/// (passed, failed, skipped) of `cases`.
pub fn count(cases: &[Case]) -> (usize, usize, usize) {
    let n = |o| cases.iter().filter(|c| c.outcome == o).count();
    (n(Outcome::Pass), n(Outcome::Fail), n(Outcome::Skip))
}

/// The closing line every runner of this project prints.
pub fn summary_line(cases: &[Case]) -> String {
    let (p, f, s) = count(cases);
    if s > 0 {
        format!("{p} passed, {f} failed, {s} skipped")
    } else {
        format!("{p} passed, {f} failed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captured from /sys/kernel/debug/kmemleak of the mainline debug
    /// profile (v7.2.8, this workspace) after loading
    /// samples/kmemleak/kmemleak-test.ko: mm/kmemleak.c print_unreferenced()
    /// prints "    %pS" frames, without the "[<address>]" of older kernels.
    const KMEMLEAK: &str = r#"unreferenced object (percpu) 0xffffffff82d83d40 (size 64):
  comm "insmod", pid 706, jiffies 4294923750
  hex dump (first 32 bytes on cpu 0):
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................
  backtrace (crc 0):
    pcpu_alloc_noprof+0x5ba/0x8e0
    init_module+0x3ac/0x3d0 [kmemleak_test]
    do_one_initcall+0x106/0x260
    do_init_module+0x10d/0x3b0
    __x64_sys_finit_module+0x2d0/0x3f0
    do_syscall_64+0xab/0x2e0
    entry_SYSCALL_64_after_hwframe+0x4b/0x53
"#;

    #[test]
    fn kmemleak_reports_of_todays_format_have_their_frames() {
        let r = kmemleak_reports(KMEMLEAK);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].0, "unreferenced object (percpu) 0xffffffff82d83d40 (size 64):");
        assert_eq!(r[0].1.len(), 7);
        assert_eq!(r[0].1[1], "init_module+0x3ac/0x3d0 [kmemleak_test]");
        let c = parse_kmemleak("kmemleak", KMEMLEAK, Some(0));
        assert_eq!(c[0].outcome, Outcome::Fail);
        assert!(c[0].detail.contains("kmemleak_test"), "{}", c[0].detail);
    }

    #[test]
    fn any_kmemleak_report_after_the_baseline_fails() {
        assert_eq!(parse_kmemleak("kmemleak", "", Some(0))[0].outcome, Outcome::Pass);
        assert_eq!(parse_kmemleak("kmemleak", "", Some(1))[0].outcome, Outcome::Fail);
        // At boot the same report is listed, not judged.
        let b = parse_kmemleak_baseline("baseline", KMEMLEAK, Some(0));
        assert_eq!(b[0].outcome, Outcome::Pass);
        assert!(b[0].detail.starts_with("1 report(s) at boot"));
        assert_eq!(parse_kmemleak_baseline("baseline", "", Some(1))[0].outcome, Outcome::Fail);
    }

    #[test]
    fn ktap_counts_top_level_lines_only_and_checks_their_numbers() {
        let nested = "1..3\n    ok 1 sub a\n    ok 2 sub b\nok 1 top\n";
        let c = parse_ktap("t", nested, Some(0));
        assert!(c.iter().any(|c| c.name == "t: plan" && c.outcome == Outcome::Fail), "{c:?}");
        let gap = "1..2\nok 1 a\nok 3 b\n";
        assert!(parse_ktap("t", gap, Some(0)).iter().any(|c| c.name == "t: numbering" && c.outcome == Outcome::Fail));
        let dup = "1..2\nok 1 a\nok 1 b\n";
        assert!(parse_ktap("t", dup, Some(0)).iter().any(|c| c.name == "t: numbering"));
        let more = "1..1\nok 1 a\nok 2 b\n";
        assert!(parse_ktap("t", more, Some(0)).iter().any(|c| c.name == "t: plan"));
        let no_plan = "ok 1 a\n";
        assert!(parse_ktap("t", no_plan, Some(0)).iter().any(|c| c.name == "t: plan"));
    }

    /// KUnit at boot, as lib/kunit/test.c prints it into the kernel log.
    const KUNIT: &str = r"KTAP version 1
1..2
    KTAP version 1
    # Subtest: rust_doctests_kernel
    1..2
    ok 1 rust_doctest_kernel_alloc_kbox_rs_0
    not ok 2 rust_doctest_kernel_mm_folio_rs_0
# rust_doctests_kernel: pass:1 fail:1 skip:0 total:2
# Totals: pass:1 fail:1 skip:0 total:2
not ok 1 rust_doctests_kernel
    KTAP version 1
    # Subtest: other_suite
    1..1
    ok 1 a # SKIP nothing
ok 2 other_suite # SKIP nothing
";

    #[test]
    fn kunit_suites_are_cases_and_their_plan_is_checked() {
        let c = kunit_cases(KUNIT);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].name, "kunit: rust_doctests_kernel");
        assert_eq!(c[0].outcome, Outcome::Fail);
        assert_eq!(c[1].outcome, Outcome::Skip);
        let lost = KUNIT.split("    KTAP version 1\n    # Subtest: other_suite").next().unwrap();
        assert!(kunit_cases(lost).iter().any(|c| c.name == "kunit: plan" && c.outcome == Outcome::Fail));
        assert!(kunit_cases("Linux version 6.18.15\n").iter().any(|c| c.name == "kunit: plan"));
    }

    #[test]
    fn cargo_test_output_is_one_case_per_test() {
        let out = "running 2 tests\ntest a::b ... ok\ntest a::c ... FAILED\n\ntest result: FAILED. 1 passed; 1 failed\n";
        let c = cargo_test_cases(out);
        assert_eq!(c.iter().filter(|c| c.outcome == Outcome::Fail).count(), 2);
        assert_eq!(cargo_test_cases("test a ... ok\ntest result: ok. 1 passed\n").len(), 1);
    }

    const UNIT: &str = "Testing register-ioctls on anon... done\n\
Testing zeropage on anon... done\n\
Testing wp-fork-pin on anon... skipped [reason: Possibly CONFIG_GUP_TEST missing or unprivileged]\n\
Testing events on shmem... some noise from a child\n\
failed [reason: UFFDIO_COPY error: -2]\n\
Userfaults unit tests: pass=2, skip=1, fail=1 (total=4)\n";

    #[test]
    fn uffd_unit_counts_each_case() {
        let c = parse_uffd_unit("unit", UNIT, Some(1));
        assert_eq!(c.len(), 4);
        assert_eq!(c[0], Case::new("unit: register-ioctls on anon", Outcome::Pass, ""));
        assert_eq!(c[2].outcome, Outcome::Skip);
        assert_eq!(c[3].name, "unit: events on shmem");
        assert_eq!(c[3].outcome, Outcome::Fail);
        assert_eq!(c[3].detail, "UFFDIO_COPY error: -2");
    }

    #[test]
    fn uffd_unit_without_summary_fails() {
        let c = parse_uffd_unit("unit", "Testing a on anon... done\nTesting b on anon... ", None);
        assert!(c.iter().any(|c| c.name == "unit: b on anon" && c.outcome == Outcome::Fail));
        assert!(c.iter().any(|c| c.name == "unit: summary" && c.outcome == Outcome::Fail));
    }

    #[test]
    fn uffd_unit_summary_mismatch_fails() {
        let out = "Testing a on anon... done\nUserfaults unit tests: pass=2, skip=0, fail=0 (total=2)\n";
        let c = parse_uffd_unit("unit", out, Some(0));
        assert!(c.iter().any(|c| c.name == "unit: summary" && c.outcome == Outcome::Fail));
    }

    #[test]
    fn ktap_cases_and_skips() {
        let out = "TAP version 13\n1..3\nok 1 first\nnot ok 2 second\nok 3 third # SKIP no hugepages\n# Totals: pass:1 fail:1\n";
        let c = parse_ktap("t", out, Some(1));
        assert_eq!(c.len(), 3);
        assert_eq!(c[0], Case::new("t: first", Outcome::Pass, ""));
        assert_eq!(c[1].outcome, Outcome::Fail);
        assert_eq!(c[2].outcome, Outcome::Skip);
        assert_eq!(c[2].detail, "SKIP no hugepages");
    }

    #[test]
    fn ktap_skip_without_description_is_a_skip() {
        // What ksft_test_result_skip() prints: no description before "#".
        let out = "1..2\nok 1 # SKIP MADV_PAGEOUT did not work, is swap enabled?\nok 2 # skip lower case\n";
        let c = parse_ktap("t", out, Some(0));
        assert_eq!(c.len(), 2);
        assert!(c.iter().all(|c| c.outcome == Outcome::Skip));
        assert_eq!(c[0].name, "t: MADV_PAGEOUT did not work, is swap enabled?");
        assert_eq!(c[0].detail, "SKIP MADV_PAGEOUT did not work, is swap enabled?");
        let twice = parse_ktap("t", "1..2\nok 1 # SKIP no swap\nok 2 # SKIP no swap\n", Some(0));
        assert_eq!(twice[1].name, "t: no swap (2)");
    }

    #[test]
    fn ktap_totals_must_agree_with_the_lines() {
        let ok = "1..2\nok 1 a\nok 2 # SKIP b\n# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:1 error:0\n";
        assert!(parse_ktap("t", ok, Some(0)).iter().all(|c| c.outcome != Outcome::Fail));
        let bad = "1..2\nok 1 a\nok 2 b\n# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:1 error:0\n";
        assert!(parse_ktap("t", bad, Some(0)).iter().any(|c| c.name == "t: totals" && c.outcome == Outcome::Fail));
    }

    #[test]
    fn ktap_short_of_plan_fails() {
        let c = parse_ktap("t", "1..3\nok 1 a\n", Some(0));
        assert!(c.iter().any(|c| c.name == "t: plan" && c.outcome == Outcome::Fail));
    }

    #[test]
    fn ktap_bad_exit_with_all_ok_fails() {
        let c = parse_ktap("t", "1..1\nok 1 a\n", Some(139));
        assert!(c.iter().any(|c| c.outcome == Outcome::Fail));
    }

    #[test]
    fn colon_ok_lines_and_exit_status() {
        let out = "Random seed: 0x1\nminor on gmem: ok\nmissing on gmem: FAIL no event\n";
        let c = parse_colon_ok("g", out, Some(1));
        assert_eq!(c.len(), 3);
        assert_eq!(c[0], Case::new("g: minor on gmem", Outcome::Pass, ""));
        assert_eq!(c[1].outcome, Outcome::Fail);
        assert_eq!(c[2].name, "g: exit status");
        assert_eq!(c[2].outcome, Outcome::Fail);
    }

    #[test]
    fn exit_status_cases() {
        assert_eq!(parse_exit("x", Some(0))[0].outcome, Outcome::Pass);
        assert_eq!(parse_exit("x", Some(4))[0].outcome, Outcome::Skip);
        assert_eq!(parse_exit("x", None)[0].outcome, Outcome::Fail);
    }

    #[test]
    fn summary_line_format() {
        let c = vec![Case::new("a", Outcome::Pass, ""), Case::new("b", Outcome::Fail, "")];
        assert_eq!(summary_line(&c), "1 passed, 1 failed");
        let c = vec![Case::new("a", Outcome::Skip, "")];
        assert_eq!(summary_line(&c), "0 passed, 0 failed, 1 skipped");
    }
}
