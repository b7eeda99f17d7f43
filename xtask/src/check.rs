//! `cargo xtask check`: what a maintainer checks before taking the series.
//!
//! - `git am` of patches/ onto a clean v6.18.15 succeeds;
//! - the project's tree-layout copies equal what the series creates;
//! - `checkpatch.pl --strict` reports nothing on any patch;
//! - every patch builds (bisectability) with the workspace config;
//! - the build bots' checks at the tip (see buildbot.rs).

use crate::export::{added_files, maintainers_additions, project_layout_files, MAINTAINERS};
use crate::kbuild;
use crate::proc;
use crate::results::{Case, Outcome};
use crate::tree::{self, git};
use crate::ui::{info, Result, Step};
use crate::workspace::{Kernel, Workspace};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Reads checkpatch's closing "total: E errors, W warnings, C checks" line.
pub fn checkpatch_clean(out: &str) -> Option<bool> {
    let line = out.lines().rev().find(|l| l.starts_with("total: "))?;
    let nums: Vec<u32> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|t| !t.is_empty())
        .filter_map(|t| t.parse().ok())
        .collect();
    Some(nums.len() >= 3 && nums[0] == 0 && nums[1] == 0 && nums[2] == 0)
}

/// Files a patch creates.
pub fn new_files(patch_text: &str) -> Vec<String> {
    let mut files = Vec::new();
    let mut current: Option<&str> = None;
    for line in patch_text.lines() {
        if let Some(rest) = line.strip_prefix("diff --git a/") {
            current = rest.split(" b/").next();
        } else if line.starts_with("new file mode") {
            if let Some(f) = current {
                files.push(f.to_string());
            }
        }
    }
    files
}

/// Whether MAINTAINERS already covers `file` with an entry of its own
/// (not only THE REST).
fn maintained(repo: &Path, file: &str) -> bool {
    let out = Command::new("perl")
        .arg(repo.join("scripts/get_maintainer.pl"))
        .args(["--nogit", "--nogit-fallback", "-f", file])
        .current_dir(repo)
        .output();
    match out {
        Ok(o) => String::from_utf8_lossy(&o.stdout)
            .lines()
            .any(|l| (l.contains("(maintainer:") || l.contains("(reviewer:")) && !l.contains("THE REST")),
        Err(_) => false,
    }
}

fn checkpatch(repo: &Path, patch: &Path) -> Result<Case> {
    let name = format!("checkpatch --strict {}", patch.file_name().unwrap().to_string_lossy());
    // checkpatch asks "does MAINTAINERS need updating?" for every new file;
    // the answer is no when an entry already covers it, so that warning is
    // dropped only after get_maintainer.pl shows every new file is covered.
    let text = crate::fsx::read_to_string(patch)?;
    let covered = new_files(&text).iter().all(|f| maintained(repo, f));
    let mut cmd = Command::new("perl");
    cmd.arg(repo.join("scripts/checkpatch.pl")).args(["--strict", "--no-color", "--show-types"]);
    if covered {
        cmd.args(["--ignore", "FILE_PATH_CHANGES"]);
    }
    // The workspace's base is one commit without upstream history, so every
    // Fixes: id is "unknown" here; ids in the series are checked against
    // upstream by hand (see the commit messages).
    cmd.args(["--ignore", "UNKNOWN_COMMIT_ID"]);
    let (_, out) = proc::probe(cmd.arg(patch).current_dir(repo))?;
    Ok(match checkpatch_clean(&out) {
        Some(true) => Case::new(name, Outcome::Pass, ""),
        Some(false) => {
            let msgs: Vec<&str> = out
                .lines()
                .filter(|l| l.starts_with("ERROR:") || l.starts_with("WARNING:") || l.starts_with("CHECK:"))
                .collect();
            Case::new(name, Outcome::Fail, msgs.join(" | "))
        }
        None => Case::new(name, Outcome::Fail, "checkpatch printed no total line"),
    })
}

fn layout_cases(ws: &Workspace, repo: &Path) -> Result<Vec<Case>> {
    let mut cases = Vec::new();
    let added = added_files(repo, ws.edition.tag, "HEAD")?;
    let wanted: BTreeSet<String> = added.iter().cloned().collect();
    let mut problems = Vec::new();
    for f in &added {
        let series = proc::output(git(repo).args(["show", &format!("HEAD:{f}")]))?;
        match std::fs::read_to_string(ws.edition_dir().join(f)) {
            Ok(copy) if copy == series => {}
            Ok(_) => problems.push(format!("{f} differs from the series")),
            Err(_) => problems.push(format!("{f} is missing from the project")),
        }
    }
    for extra in project_layout_files(&ws.edition_dir()).difference(&wanted) {
        problems.push(format!("{extra} is in the project but the series does not add it"));
    }
    let maint = maintainers_additions(repo, ws.edition.tag, "HEAD")?;
    let copy = std::fs::read_to_string(ws.edition_dir().join(MAINTAINERS)).unwrap_or_default();
    if maint != copy {
        problems.push("MAINTAINERS differs from the lines the series adds to it".into());
    }
    let name = format!("tree-layout copies equal the series ({} file(s))", added.len());
    cases.push(if problems.is_empty() {
        Case::new(name, Outcome::Pass, "")
    } else {
        Case::new(name, Outcome::Fail, format!("{} (run `cargo xtask export`)", problems.join("; ")))
    });
    Ok(cases)
}

/// The configurations every patch must build in: the workspace config.  The
/// variants with options configured out are built at the tip (buildbot.rs).
pub const CONFIG_VARIANTS: &[&str] = &["default"];

pub fn variant_fragments(ws: &Workspace, variant: &str) -> Vec<std::path::PathBuf> {
    let mut v = vec![ws.config_fragment()];
    if variant != "default" {
        v.push(ws.root.join("config/matrix.config"));
        v.push(ws.root.join(format!("config/variants/{variant}.config")));
    }
    v
}

/// Whether a change to `path` can change what a kernel build reads.
pub fn is_kernel_input(path: &str) -> bool {
    !(path.starts_with("tools/") || path.starts_with("Documentation/") || path == "MAINTAINERS")
}

/// Builds every patch of the series in turn, in every config variant, in
/// the check worktree (one build directory per variant keeps them
/// incremental).  A result is kept by the patch's tree and config (see
/// cache.rs); a patch that changes nothing a kernel build reads (only
/// tools/, Documentation/, MAINTAINERS) has the result of the patch before.
fn bisect_builds(ws: &Workspace, repo: &Path) -> Result<Vec<Case>> {
    let commits = proc::output(git(repo).args(["rev-list", "--reverse", &format!("{}..HEAD", ws.edition.tag)]))?;
    let commits: Vec<String> = commits.lines().map(str::to_string).collect();
    let mut cases = Vec::new();
    for variant in CONFIG_VARIANTS {
        let fragments = variant_fragments(ws, variant);
        let config = crate::cache::fragments_text(&fragments)?;
        let mut previous: Option<Case> = None;
        for (i, c) in commits.iter().enumerate() {
            let subject = proc::output(git(repo).args(["log", "-1", "--format=%s", c]))?;
            let name = format!("builds at patch {}/{} ({variant}): {}", i + 1, commits.len(), subject.trim());
            let changed = proc::output(git(repo).args(["diff", "--name-only", &format!("{c}^"), c]))?;
            if let (Some(prev), false) = (&previous, changed.lines().any(is_kernel_input)) {
                let detail = format!("no kernel input changed (tools/, Documentation/, MAINTAINERS only): as patch {i}");
                info(format!("patch {}/{}: {detail}", i + 1, commits.len()));
                cases.push(Case::new(name, prev.outcome, format!("{detail}{}", if prev.detail.is_empty() { String::new() } else { format!(": {}", prev.detail) })));
                continue;
            }
            let key = crate::cache::key(ws, "per-patch build", &[&crate::cache::tree_id(repo, c)?, &config])?;
            let what = format!("building patch {}/{} ({variant})", i + 1, commits.len());
            let result = crate::cache::cached(ws, &key, &what, || {
                proc::run(git(repo).args(["checkout", "-q", "--detach", c]))?;
                let step = Step::start(&what);
                let res = kbuild::build_kernel(ws, Kernel::Check(variant), &fragments);
                step.done();
                Ok(vec![match res {
                    Ok(()) => Case::new(name.clone(), Outcome::Pass, ""),
                    Err(e) => Case::new(name.clone(), Outcome::Fail, e.to_string()),
                }])
            })?;
            previous = result.first().cloned();
            cases.extend(result);
        }
    }
    Ok(cases)
}

/// Runs the series checks; returns one case per check.
///
/// `bisect`: build every patch (the slow part); without it only the tip is built.
pub fn check(ws: &Workspace, bisect: bool) -> Result<Vec<Case>> {
    let step = Step::start("series checks");
    let patches = tree::patch_files(ws)?;
    let check_tree = ws.linux_check();
    tree::ensure_worktree(ws, &check_tree)?;
    let mut cases = Vec::new();
    let am = tree::apply_series(&check_tree, ws.edition.tag, &patches, None);
    let am_name = format!("git am of {} patch(es) onto {}", patches.len(), ws.edition.tag);
    match am {
        Ok(()) => cases.push(Case::new(am_name, Outcome::Pass, "")),
        Err(e) => {
            cases.push(Case::new(am_name, Outcome::Fail, e.to_string()));
            step.done();
            return Ok(cases);
        }
    }
    let tip = proc::output(git(&check_tree).args(["rev-parse", "HEAD"]))?.trim().to_string();
    let mut timings: Vec<(&str, usize, f64)> = Vec::new();
    let mut timed = |what: &'static str, cases: &mut Vec<Case>, f: &mut dyn FnMut() -> Result<Vec<Case>>| {
        let t = Step::start(what);
        let new = f()?;
        timings.push((what, new.len(), t.done()));
        cases.extend(new);
        Result::Ok(())
    };
    timed("tree-layout copies", &mut cases, &mut || layout_cases(ws, &check_tree))?;
    let tip_tree = crate::cache::tree_id(&check_tree, "HEAD")?;
    timed("checkpatch --strict", &mut cases, &mut || {
        let mut all = Vec::new();
        for p in &patches {
            let text = std::fs::read_to_string(p).map_err(|e| crate::ui::Error::new(format!("cannot read {}: {e}", p.display())))?;
            let key = crate::cache::key(ws, "checkpatch --strict", &[&text, &tip_tree])?;
            let what = format!("checkpatch {}", p.file_name().unwrap_or_default().to_string_lossy());
            all.extend(crate::cache::cached(ws, &key, &what, || Ok(vec![checkpatch(&check_tree, p)?]))?);
        }
        Ok(all)
    })?;
    timed("b4 mails round trip", &mut cases, &mut || {
        let mut inputs = vec![std::fs::read_to_string(ws.cover_letter()).unwrap_or_default()];
        for p in &patches {
            inputs.push(crate::fsx::read_to_string(p)?);
        }
        let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let key = crate::cache::key(ws, "b4 mails round trip", &refs)?;
        crate::cache::cached(ws, &key, "b4 mails round trip", || {
            let mails = crate::mail::write_mails(ws)?;
            Ok(vec![crate::mail::mails_round_trip(ws, &mails)?])
        })
    })?;
    if bisect {
        timed("per-patch builds", &mut cases, &mut || bisect_builds(ws, &check_tree))?;
    } else {
        info("--no-bisect: the per-patch builds are not run");
    }
    proc::run(git(&check_tree).args(["checkout", "-q", "--detach", &tip]))?;
    timed("build-bot checks at the tip", &mut cases, &mut || crate::buildbot::buildbot(ws, &check_tree))?;
    for c in cases.iter().filter(|c| c.outcome == Outcome::Fail) {
        info(format!("FAIL {}: {}", c.name, c.detail));
    }
    info("time per check:");
    for (what, n, secs) in &timings {
        info(format!("  {what:<30} {n:>3} case(s)  {}", crate::ui::fmt_secs(*secs)));
    }
    let fails = cases.iter().filter(|c| c.outcome == Outcome::Fail).count();
    info(format!("{} check(s), {fails} failed", cases.len()));
    step.done();
    Ok(cases)
}

/// `cargo xtask check` as a command: non-zero exit if any check failed.
pub fn check_command(ws: &Workspace, bisect: bool) -> Result<()> {
    let cases = check(ws, bisect)?;
    println!("{}", crate::results::summary_line(&cases));
    if cases.iter().any(|c| c.outcome == Outcome::Fail) {
        std::process::exit(1);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_files_of_a_patch() {
        let p = "diff --git a/lib/x.c b/lib/x.c\nnew file mode 100644\n--- /dev/null\n\
                 diff --git a/mm/y.c b/mm/y.c\nindex 1..2 100644\n";
        assert_eq!(new_files(p), vec!["lib/x.c"]);
    }

    #[test]
    fn what_a_kernel_build_reads() {
        assert!(!is_kernel_input("tools/testing/selftests/mm/uffd-ops-regs.c"));
        assert!(!is_kernel_input("Documentation/mm/vm_uffd_ops.rst"));
        assert!(!is_kernel_input("MAINTAINERS"));
        assert!(is_kernel_input("mm/userfaultfd.c"));
        assert!(is_kernel_input("samples/rust/rust_uffd_mem.rs"));
        assert!(is_kernel_input("lib/Kconfig.debug"));
    }

    #[test]
    fn checkpatch_totals() {
        assert_eq!(checkpatch_clean("foo\ntotal: 0 errors, 0 warnings, 0 checks, 120 lines checked\n"), Some(true));
        assert_eq!(checkpatch_clean("total: 0 errors, 1 warnings, 0 checks, 12 lines checked\n"), Some(false));
        assert_eq!(checkpatch_clean("total: 0 errors, 0 warnings, 2 checks, 12 lines checked\n"), Some(false));
        assert_eq!(checkpatch_clean("nothing\n"), None);
    }
}
