//! `cargo xtask export`: patches/ and the tree-layout copies from the series
//! branch in build/linux.

use crate::proc;
use crate::tree::{self, git};
use crate::ui::{info, Error, Result, Step};
use crate::workspace::{ensure_dir, Workspace, SERIES_BRANCH};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Top-level directories of the project that mirror files the series adds.
pub const TREE_LAYOUT_DIRS: &[&str] = &["rust", "samples", "tools", "Documentation", "mm", "include", "virt", "lib"];
/// The project's MAINTAINERS holds only the lines the series adds to it.
pub const MAINTAINERS: &str = "MAINTAINERS";

/// Files the series adds (relative paths), from the commits base..rev in `repo`.
pub fn added_files(repo: &Path, base: &str, rev: &str) -> Result<Vec<String>> {
    let out = proc::output(git(repo).args(["diff", "--name-only", "--diff-filter=A", &format!("{base}..{rev}")]))?;
    Ok(out.lines().map(str::to_string).filter(|p| in_tree_layout(p)).collect())
}

pub fn in_tree_layout(path: &str) -> bool {
    TREE_LAYOUT_DIRS.iter().any(|d| path.starts_with(&format!("{d}/")))
}

/// The lines the series adds to MAINTAINERS (empty if it does not touch it).
pub fn maintainers_additions(repo: &Path, base: &str, rev: &str) -> Result<String> {
    let diff = proc::output(git(repo).args(["diff", "-U0", &format!("{base}..{rev}"), "--", MAINTAINERS]))?;
    let mut s = String::new();
    for l in diff.lines() {
        if l.starts_with('+') && !l.starts_with("+++") {
            s.push_str(&l[1..]);
            s.push('\n');
        }
    }
    Ok(s)
}

/// Files currently in the project's tree-layout directories.
pub fn project_layout_files(root: &Path) -> BTreeSet<String> {
    fn walk(dir: &Path, root: &Path, acc: &mut BTreeSet<String>) {
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, root, acc);
                } else if let Ok(rel) = p.strip_prefix(root) {
                    acc.insert(rel.to_string_lossy().into_owned());
                }
            }
        }
    }
    let mut acc = BTreeSet::new();
    for d in TREE_LAYOUT_DIRS {
        walk(&root.join(d), root, &mut acc);
    }
    acc
}

fn cover_description(ws: &Workspace) -> Result<String> {
    let p = ws.cover_letter();
    std::fs::read_to_string(&p).map_err(|e| {
        Error::new(format!("cannot read {}: {e}", p.display())).hint("the cover letter text (subject line, blank line, body) lives there")
    })
}

pub fn export(ws: &Workspace) -> Result<()> {
    let repo = ws.linux();
    let branch = proc::output(git(&repo).args(["symbolic-ref", "-q", "--short", "HEAD"]))?;
    if branch.trim() != SERIES_BRANCH {
        return Err(Error::new(format!("build/linux is on `{}`, not on {SERIES_BRANCH}", branch.trim()))
            .hint(format!("git -C build/linux checkout {SERIES_BRANCH}")));
    }
    let dirty = proc::output(git(&repo).args(["status", "--porcelain", "--untracked-files=no"]))?;
    if !dirty.trim().is_empty() {
        return Err(Error::new("build/linux has uncommitted changes").hint("commit them (into the right patch) first"));
    }
    let step = Step::start("exporting the series to patches/");
    proc::run(git(&repo).args(["config", &format!("branch.{SERIES_BRANCH}.description"), &cover_description(ws)?]))?;
    let tmp = ws.build_dir().join("export.tmp");
    if tmp.exists() {
        crate::fsx::remove_dir_all(&tmp)?;
    }
    proc::output(
        git(&repo)
            .args(["format-patch", "-q", "--cover-letter", "--cover-from-description=subject", "--no-signature"])
            .arg(format!("--base={}", ws.edition.tag))
            .arg("-o")
            .arg(&tmp)
            .arg(format!("{}..{SERIES_BRANCH}", ws.edition.tag)),
    )?;
    for e in crate::fsx::read_dir(ws.patches())?.flatten() {
        if e.path().extension().is_some_and(|x| x == "patch") {
            crate::fsx::remove_file(e.path())?;
        }
    }
    let mut n = 0;
    for e in crate::fsx::read_dir(&tmp)?.flatten() {
        crate::fsx::rename(e.path(), ws.patches().join(e.file_name()))?;
        n += 1;
    }
    crate::fsx::remove_dir(&tmp)?;
    info(format!("{n} file(s) in patches/ (cover letter included)"));
    refresh_layout(ws, &repo, "HEAD")?;
    tree::mark_exported(ws)?;
    step.done();
    Ok(())
}

/// Makes the project's tree-layout copies equal to what the series creates.
fn refresh_layout(ws: &Workspace, repo: &Path, rev: &str) -> Result<()> {
    let added = added_files(repo, ws.edition.tag, rev)?;
    let wanted: BTreeSet<String> = added.iter().cloned().collect();
    for stale in project_layout_files(&ws.edition_dir()).difference(&wanted) {
        info(format!("removing {stale} (the series no longer adds it)"));
        crate::fsx::remove_file(ws.edition_dir().join(stale))?;
    }
    for f in &added {
        let content = proc::output(git(repo).args(["show", &format!("{rev}:{f}")]))?;
        let dst: PathBuf = ws.edition_dir().join(f);
        ensure_dir(dst.parent().unwrap())?;
        crate::fsx::write(&dst, content)?;
    }
    let maint = maintainers_additions(repo, ws.edition.tag, rev)?;
    let mpath = ws.edition_dir().join(MAINTAINERS);
    if maint.is_empty() {
        let _ = std::fs::remove_file(&mpath);
    } else {
        crate::fsx::write(&mpath, maint)?;
    }
    info(format!("{} tree-layout file(s) refreshed", added.len()));
    let _ = Command::new("true");
    Ok(())
}
