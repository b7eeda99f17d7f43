//! `cargo xtask tree`: the v6.18.15 source as a git repository with the base as
//! one commit (tag v6.18.15) and the series applied with `git am` on a branch.

use crate::proc;
use crate::ui::{info, Error, Result, Step};
use crate::workspace::{ensure_dir, Workspace, SERIES_BRANCH};
use std::path::{Path, PathBuf};
use std::process::Command;


pub fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C").arg(dir);
    c
}

/// `git am` and `format-patch` need an identity; a machine without one
/// (CI) gets a neutral one in the kernel repository's own config.
fn ensure_identity(repo: &Path) -> Result<()> {
    for (key, fallback) in [("user.name", "vm-uffd-ops workspace"), ("user.email", "uffd-ops@example.org")] {
        let (set, _) = proc::probe(git(repo).args(["config", key]))?;
        if !set {
            proc::run(git(repo).args(["config", key, fallback]))?;
        }
    }
    Ok(())
}

/// The Debian archive URI in apt sources text: deb822 ("URIs: ...",
/// `*.sources`) or one-line ("deb [opts] URI suite comp", sources.list).
pub fn mirror_in(text: &str) -> Option<String> {
    for line in text.lines().map(str::trim) {
        let uris: Vec<&str> = if let Some(u) = line.strip_prefix("URIs:") {
            u.split_whitespace().collect()
        } else if let Some(rest) = line.strip_prefix("deb ").or_else(|| line.strip_prefix("deb-src ")) {
            let rest = rest.trim_start();
            let rest = match rest.strip_prefix('[') {
                Some(r) => r.split_once(']').map_or("", |(_, after)| after),
                None => rest,
            };
            rest.split_whitespace().take(1).collect()
        } else {
            continue;
        };
        if let Some(u) = uris.into_iter().find(|u| u.trim_end_matches('/').ends_with("/debian")) {
            return Some(u.trim_end_matches('/').to_string());
        }
    }
    None
}

/// The archive URI of the Debian mirror this machine already uses (never hard-coded).
fn debian_mirror(ws: &Workspace) -> Result<String> {
    let mut files = vec![PathBuf::from("/etc/apt/sources.list")];
    if let Ok(rd) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut more: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        more.sort();
        files.extend(more.into_iter().filter(|p| p.extension().is_some_and(|x| x == "sources" || x == "list")));
    }
    files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .find_map(|t| mirror_in(&t))
        .ok_or_else(|| {
            Error::new("no Debian archive found in /etc/apt/sources.list or /etc/apt/sources.list.d/")
                .hint(format!(
                    "put {} (sha256 {}) into {} yourself, or use --linux PATH",
                    ws.edition.tarball(),
                    ws.edition.tarball_sha256,
                    ws.cache.display()
                ))
        })
}

/// Downloads (once) and verifies the pristine upstream tarball.
fn fetch_tarball(ws: &Workspace) -> Result<PathBuf> {
    let e = ws.edition;
    let (orig_tarball, orig_sha256) = (e.tarball(), e.tarball_sha256);
    let dest = ws.cache.join(&orig_tarball);
    if dest.is_file() {
        let sum = proc::output(Command::new("sha256sum").arg(&dest))?;
        if sum.split_whitespace().next() == Some(orig_sha256) {
            info(format!("using cached {}", dest.display()));
            return Ok(dest);
        }
        info(format!("{} has the wrong checksum; downloading again", dest.display()));
        crate::fsx::remove_file(&dest)?;
    }
    let step = Step::start(format!("downloading {orig_tarball} ({})", e.tarball_size));
    let apt = ws.cache.join(format!("apt-{}", e.suite));
    ensure_dir(&apt.join("lists/partial"))?;
    ensure_dir(&apt.join("archives/partial"))?;
    let sources = apt.join("sources.list");
    crate::fsx::write(&sources, format!("deb-src {} {} main\n", debian_mirror(ws)?, e.suite))?;
    let apt_opts = |c: &mut Command| {
        c.arg("-o").arg(format!("Dir::Etc::sourcelist={}", sources.display()));
        c.args(["-o", "Dir::Etc::sourceparts=-"]);
        c.arg("-o").arg(format!("Dir::State::Lists={}", apt.join("lists").display()));
        c.arg("-o").arg(format!("Dir::Cache={}", apt.display()));
        c.args(["-o", "APT::Sandbox::User=root"]);
    };
    let mut update = Command::new("apt-get");
    apt_opts(&mut update);
    proc::output(update.args(["-q", "update"]))?;
    let mut uris = Command::new("apt-get");
    apt_opts(&mut uris);
    let listing = proc::output(uris.args(["source", "--print-uris", &format!("linux={}", e.debian_source)]))?;
    let uri = listing
        .lines()
        .find(|l| l.contains(&orig_tarball))
        .and_then(|l| l.split('\'').nth(1))
        .ok_or_else(|| {
            Error::new(format!("the archive ({}) no longer lists linux={} ({orig_tarball})", e.suite, e.debian_source)).hint(format!(
                "fetch {orig_tarball} from snapshot.debian.org into {}; its sha256 must be {orig_sha256}; \
                 or move the edition's base (xtask/src/workspace.rs) to a version the archive serves and rebase",
                ws.cache.display()
            ))
        })?
        .to_string();
    let tmp = dest.with_extension("part");
    proc::run(
        Command::new("/usr/lib/apt/apt-helper")
            .arg("download-file")
            .arg(&uri)
            .arg(&tmp)
            .arg(format!("SHA256:{orig_sha256}")),
    )?;
    crate::fsx::rename(&tmp, &dest)?;
    step.done();
    Ok(dest)
}

fn has_base_tag(repo: &Path, tag: &str) -> bool {
    git(repo)
        .args(["rev-parse", "-q", "--verify", &format!("refs/tags/{tag}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Makes `build/<edition>/linux` a git repository whose base tag (e.g.
/// `v7.2.8`) is the edition's base, one commit with fixed dates.
fn make_base_repo(ws: &Workspace, linux_src: Option<&Path>) -> Result<()> {
    let repo = ws.linux();
    let (base_tag, base_version) = (ws.edition.tag, ws.edition.version);
    if has_base_tag(&repo, base_tag) {
        return Ok(());
    }
    if repo.exists() {
        return Err(Error::new(format!("{} exists but has no {base_tag} tag", repo.display()))
            .hint("move it away (or delete it) and run `cargo xtask tree` again"));
    }
    ensure_dir(&ws.build_dir())?;
    if let Some(src) = linux_src {
        let step = Step::start(format!("cloning {} at {base_tag}", src.display()));
        proc::run(
            Command::new("git")
                .args(["clone", "-q", "--no-checkout", "--shared"])
                .arg(src)
                .arg(&repo),
        )
        .map_err(|e| e.hint(format!("--linux must be a git tree with the {base_tag} tag")))?;
        proc::run(git(&repo).args(["checkout", "-q", base_tag]))?;
        ensure_identity(&repo)?;
        step.done();
        return Ok(());
    }
    // The base commit, made once per machine from the tarball, is kept as a
    // bare repository in the cache: a new clone (CI) clones it locally
    // (hard links) instead of unpacking and committing 90 000 files again.
    let kept = ws.cache.join(format!("base-{base_version}.git"));
    if has_base_tag(&kept, base_tag) {
        let step = Step::start(format!("cloning the {base_tag} commit from {}", kept.display()));
        proc::run(Command::new("git").args(["clone", "-q", "--no-checkout"]).arg(&kept).arg(&repo))?;
        proc::run(git(&repo).args(["checkout", "-q", "-B", SERIES_BRANCH, base_tag]))?;
        proc::run(git(&repo).args(["remote", "remove", "origin"]))?;
        ensure_identity(&repo)?;
        step.done();
        return Ok(());
    }
    let tarball = fetch_tarball(ws)?;
    let step = Step::start("unpacking the base and committing it");
    let tmp = ws.build_dir().join("unpack.tmp");
    if tmp.exists() {
        crate::fsx::remove_dir_all(&tmp)?;
    }
    ensure_dir(&tmp)?;
    proc::run(Command::new("tar").arg("-xf").arg(&tarball).arg("-C").arg(&tmp))?;
    crate::fsx::rename(tmp.join(format!("linux-{base_version}")), &repo)?;
    crate::fsx::remove_dir(&tmp)?;
    proc::run(git(&repo).args(["init", "-q", "-b", SERIES_BRANCH]))?;
    proc::run(git(&repo).args(["add", "-A"]))?;
    proc::run(
        git(&repo)
            .args(["commit", "-q", "-m", &format!("Linux {base_version}")])
            .env("GIT_AUTHOR_NAME", "xtask")
            .env("GIT_AUTHOR_EMAIL", "xtask@localhost")
            .env("GIT_COMMITTER_NAME", "xtask")
            .env("GIT_COMMITTER_EMAIL", "xtask@localhost")
            .env("GIT_AUTHOR_DATE", ws.edition.base_date)
            .env("GIT_COMMITTER_DATE", ws.edition.base_date),
    )?;
    proc::run(git(&repo).args(["tag", base_tag]))?;
    ensure_identity(&repo)?;
    step.done();
    let tmp_kept = kept.with_extension("tmp");
    if tmp_kept.exists() {
        crate::fsx::remove_dir_all(&tmp_kept)?;
    }
    proc::run(Command::new("git").args(["clone", "-q", "--bare", "--single-branch", "--branch", base_tag]).arg(&repo).arg(&tmp_kept))?;
    crate::fsx::rename(&tmp_kept, &kept)?;
    Ok(())
}

/// The sorted patch files of the series (cover letter excluded).
pub fn patch_files(ws: &Workspace) -> Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = crate::fsx::read_dir(ws.patches())?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "patch"))
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with("0000-"))
        .collect();
    v.sort();
    Ok(v)
}

/// A fingerprint of patches/ so `tree` knows when to re-apply.
fn patches_fingerprint(ws: &Workspace) -> Result<String> {
    let files = patch_files(ws)?;
    if files.is_empty() {
        return Ok("empty".into());
    }
    let out = proc::output(Command::new("sha256sum").args(&files))?;
    let mut digest = Command::new("sha256sum");
    digest.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
    let mut child = digest.spawn()?;
    use std::io::Write;
    child.stdin.take().unwrap().write_all(out.as_bytes())?;
    let res = child.wait_with_output()?;
    Ok(String::from_utf8_lossy(&res.stdout).split_whitespace().next().unwrap_or("").to_string())
}

fn rev(repo: &Path, what: &str) -> Result<String> {
    Ok(proc::output(git(repo).args(["rev-parse", what]))?.trim().to_string())
}

/// Applies `patches` with `git am` onto `base_tag` in `repo` on a detached or named branch.
pub fn apply_series(repo: &Path, base_tag: &str, patches: &[PathBuf], branch: Option<&str>) -> Result<()> {
    let _ = git(repo).args(["am", "--abort"]).output();
    match branch {
        Some(b) => proc::run(git(repo).args(["checkout", "-q", "-B", b, base_tag]))?,
        None => proc::run(git(repo).args(["checkout", "-q", "--detach", base_tag]))?,
    }
    if patches.is_empty() {
        return Ok(());
    }
    let res = proc::run(git(repo).args(["am", "-q", "--keep-cr"]).args(patches));
    if let Err(e) = res {
        let _ = git(repo).args(["am", "--abort"]).output();
        return Err(e.hint(format!("the patches do not apply to {base_tag}; fix the series (cargo xtask export after editing the worktree)")));
    }
    Ok(())
}

/// `cargo xtask tree [--linux PATH]`.
pub fn tree(ws: &Workspace, linux_src: Option<&Path>) -> Result<()> {
    sync_tree(ws, linux_src, true)
}

/// For build/test/run: like `tree`, but a worktree holding work that is not
/// exported yet (uncommitted edits or new commits) is built as it is.
pub fn tree_for_build(ws: &Workspace, linux_src: Option<&Path>) -> Result<()> {
    sync_tree(ws, linux_src, false)
}

fn sync_tree(ws: &Workspace, linux_src: Option<&Path>, strict: bool) -> Result<()> {
    make_base_repo(ws, linux_src)?;
    let repo = ws.linux();
    let stamp = repo.join(".git/xtask-applied");
    let fingerprint = patches_fingerprint(ws)?;
    let applied = std::fs::read_to_string(&stamp).unwrap_or_default();
    let (head_at_apply, applied_fp) = applied.split_once(' ').unwrap_or(("", ""));
    let head = rev(&repo, "HEAD")?;
    let on_branch = proc::output(git(&repo).args(["symbolic-ref", "-q", "--short", "HEAD"]))
        .map(|s| s.trim() == SERIES_BRANCH)
        .unwrap_or(false);
    if on_branch && applied_fp.trim() == fingerprint && head_at_apply == head {
        info(format!("{} is up to date with patches/ ({SERIES_BRANCH} at {})", repo.display(), &head[..12]));
        return Ok(());
    }
    // Refuse to throw away work that was never exported.
    let dirty = proc::output(git(&repo).args(["status", "--porcelain", "--untracked-files=no"]))?;
    let unexported = on_branch && !head_at_apply.is_empty() && head_at_apply != head;
    if !strict && (unexported || !dirty.trim().is_empty()) {
        info(format!("{} has work not exported to patches/: building it as it is", repo.display()));
        return Ok(());
    }
    if !dirty.trim().is_empty() {
        return Err(Error::new(format!("{} has uncommitted changes", repo.display()))
            .hint(format!("commit them and run `cargo xtask export`, or `git -C {} stash`", repo.display())));
    }
    if unexported {
        return Err(Error::new(format!(
            "the {SERIES_BRANCH} branch has commits that were not exported to patches/"
        ))
        .hint(format!("run `cargo xtask export` to keep them, or `git -C {} reset --hard` to drop them", repo.display())));
    }
    let patches = patch_files(ws)?;
    let step = Step::start(format!("applying {} patch(es) onto {}", patches.len(), ws.edition.tag));
    apply_series(&repo, ws.edition.tag, &patches, Some(SERIES_BRANCH))?;
    let head = rev(&repo, "HEAD")?;
    crate::fsx::write(&stamp, format!("{head} {fingerprint}\n"))?;
    step.done();
    Ok(())
}

/// Records that the current branch head matches patches/ (after `export`).
pub fn mark_exported(ws: &Workspace) -> Result<()> {
    let repo = ws.linux();
    let head = rev(&repo, "HEAD")?;
    crate::fsx::write(repo.join(".git/xtask-applied"), format!("{head} {}\n", patches_fingerprint(ws)?))?;
    Ok(())
}

/// Makes sure a secondary worktree exists at `path` (for base or check builds).
pub fn ensure_worktree(ws: &Workspace, path: &Path) -> Result<()> {
    if path.join(".git").exists() {
        return Ok(());
    }
    proc::run(git(&ws.linux()).args(["worktree", "prune"]))?;
    let step = Step::start(format!("creating worktree {}", path.display()));
    proc::run(git(&ws.linux()).args(["worktree", "add", "-q", "--detach"]).arg(path).arg(ws.edition.tag))?;
    step.done();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mirror_is_found_in_both_apt_source_formats() {
        let deb822 = "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\n";
        assert_eq!(mirror_in(deb822).as_deref(), Some("http://deb.debian.org/debian"));
        let classic = "# comment\ndeb http://ftp.de.debian.org/debian/ bookworm main\ndeb http://security.debian.org/debian-security bookworm-security main\n";
        assert_eq!(mirror_in(classic).as_deref(), Some("http://ftp.de.debian.org/debian"));
        let with_opts = "deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] https://mirror.example/debian bookworm main\n";
        assert_eq!(mirror_in(with_opts).as_deref(), Some("https://mirror.example/debian"));
        assert_eq!(mirror_in("deb http://security.debian.org/debian-security bookworm-security main\n"), None);
    }
}

