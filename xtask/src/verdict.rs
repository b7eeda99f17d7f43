//! Judging a test program's parsed cases against what the plan expects:
//! its case count, the expected-skip list, and on the unpatched base the
//! documented differences.

use crate::plan::{self, VmTest};
use crate::results::{Case, Outcome};
use crate::workspace::Kernel;

/// Cases a parser adds about the run as a whole rather than one test case.
fn is_meta(case: &Case) -> bool {
    [": plan", ": totals", ": numbering", ": summary", ": exit status"].iter().any(|m| case.name.ends_with(m))
}

/// Applies the plan's expectations to the cases `test` reported on `which`.
pub fn judge(test: &VmTest, which: Kernel, prefix: &str, mut cases: Vec<Case>) -> Vec<Case> {
    let seen = cases.iter().filter(|c| !is_meta(c)).count();
    if seen < test.cases {
        cases.push(Case::new(
            format!("{prefix}{}: case count", test.name),
            Outcome::Fail,
            format!("expected {} cases, saw {seen}: cases disappeared (see plan.rs)", test.cases),
        ));
    }
    for c in cases.iter_mut() {
        if c.outcome == Outcome::Skip {
            match plan::expected_skip(&c.name) {
                Some(why) => c.detail = format!("{} (expected: {why})", c.detail),
                None => {
                    c.outcome = Outcome::Fail;
                    c.detail = format!("unexpected skip (not on plan::EXPECTED_SKIPS): {}", c.detail);
                }
            }
        }
        if which != Kernel::Base || is_meta(c) {
            continue;
        }
        match (test.base_difference(&c.name), c.outcome) {
            (Some(why), Outcome::Fail) => {
                c.outcome = Outcome::Pass;
                c.detail = format!("differs on the base, as documented: {why} (the base says: {})", c.detail);
            }
            (Some(why), Outcome::Pass) => {
                c.outcome = Outcome::Fail;
                c.detail = format!("documented to differ on the base ({why}), but passes there: the claim is wrong");
            }
            _ => {}
        }
    }
    cases
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::parse_ktap;

    fn test_named(name: &str, cases: usize) -> VmTest {
        plan::suite(&crate::workspace::LTS).into_iter().find(|t| t.name == name).map(|mut t| {
            t.cases = cases;
            t
        }).unwrap()
    }

    #[test]
    fn fewer_cases_than_planned_fail_even_when_the_program_agrees() {
        // The program's own plan shrank with it: only the table notices.
        let t = test_named("uffd-fuzz", 5);
        let c = judge(&t, Kernel::Tip, "", parse_ktap("uffd-fuzz", "1..2\nok 1 anon\nok 2 shmem\n", Some(0)));
        assert!(c.iter().any(|c| c.name == "uffd-fuzz: case count" && c.outcome == Outcome::Fail));
        let five = "1..5\nok 1 a\nok 2 b\nok 3 c\nok 4 d\nok 5 e\n";
        assert!(judge(&t, Kernel::Tip, "", parse_ktap("uffd-fuzz", five, Some(0))).iter().all(|c| c.outcome == Outcome::Pass));
    }

    #[test]
    fn only_listed_skips_stay_skips() {
        let t = test_named("uffd-memtype-module testmem", 2);
        // uffd-memtype-module's skip when WP registration is refused.
        let out = "1..2\nok 1 register wp\nok 2 # SKIP wp fault: WP not supported on this type\n";
        let c = judge(&t, Kernel::Tip, "", parse_ktap("uffd-memtype-module testmem", out, Some(0)));
        assert_eq!(c[1].outcome, Outcome::Fail);
        assert!(c[1].detail.starts_with("unexpected skip"));
        // uffd-failinject's own lines, as the mainline debug guest printed them on 2026-12-05
        // (cases 4 and 13 of 26; the others pass).
        for ed in crate::workspace::EDITIONS {
            let fi = plan::plan(ed, Kernel::Debug, plan::DebugScope::Quick).into_iter().find(|t| t.name == "uffd-failinject").unwrap();
            let out = "1..2\nok 1 # SKIP anon CONTINUE: anonymous memory has no MINOR mode (EINVAL)\n\
                       ok 2 # SKIP hugetlb ZEROPAGE: not supported by hugetlb (EINVAL, as documented)\n";
            let c = judge(&fi, Kernel::Debug, "debug: ", parse_ktap("debug: uffd-failinject", out, Some(0)));
            assert!(c[..2].iter().all(|c| c.outcome == Outcome::Skip), "{c:?}");
        }
    }

    #[test]
    fn base_differences_must_fail_on_the_base_and_nothing_else_may() {
        let t = plan::base(&crate::workspace::LTS).into_iter().find(|t| t.name == "uffd-hugetlb-fill-race").unwrap();
        let failing = "1..2\nnot ok 1 private\nnot ok 2 shared\n";
        let c = judge(&t, Kernel::Base, "base: ", parse_ktap("base: uffd-hugetlb-fill-race", failing, Some(1)));
        assert!(c.iter().all(|c| c.outcome == Outcome::Pass), "{c:?}");
        let passing = "1..2\nok 1 private\nok 2 shared\n";
        let c = judge(&t, Kernel::Base, "base: ", parse_ktap("base: uffd-hugetlb-fill-race", passing, Some(0)));
        assert!(c.iter().all(|c| c.outcome == Outcome::Fail), "{c:?}");
        // A crash on the base is not excused by the list.
        let crashed = "1..2\nnot ok 1 private\n";
        let c = judge(&t, Kernel::Base, "base: ", parse_ktap("base: uffd-hugetlb-fill-race", crashed, Some(139)));
        assert!(c.iter().any(|c| c.outcome == Outcome::Fail));
    }
}
