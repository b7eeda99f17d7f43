//! `cargo xtask send --dry-run`: the series as mails, the way a maintainer
//! would send it with b4, and proof that the mails apply back to the same
//! tree.  Nothing is ever sent from here.
//!
//! In a scratch clone (build/b4): `git am patches/` onto v6.18.15, `b4 prep
//! --enroll` + `--auto-to-cc` (recipients from get_maintainer.pl), the cover
//! letter from series/cover-letter.txt, `b4 send --no-sign -o build/mail`;
//! then `git am` of the written mails onto a fresh v6.18.15 must give the
//! same tree as the series.

use crate::proc;
use crate::results::{Case, Outcome};
use crate::tree::{self, git};
use crate::ui::{info, Error, Result, Step};
use crate::workspace::Workspace;
use std::path::{Path, PathBuf};
use std::process::Command;

fn b4(ws: &Workspace, repo: &Path) -> Command {
    let mut c = Command::new(ws.venv().join("bin/b4"));
    c.current_dir(repo).env("GIT_EDITOR", "true").env("EDITOR", "true");
    c
}

/// Resets the scratch clone to v6.18.15 + patches/ on branch `b4-series`.
fn scratch_clone(ws: &Workspace) -> Result<PathBuf> {
    let repo = ws.build_dir().join("b4");
    if repo.exists() {
        crate::fsx::remove_dir_all(&repo)?;
    }
    proc::run(Command::new("git").args(["clone", "-q", "--shared", "--no-checkout"]).arg(ws.linux()).arg(&repo))?;
    for (k, v) in [
        ("user.name", "vm-uffd-ops workspace"),
        ("user.email", "uffd-ops@example.org"),
        // b4 needs a sending method to write mails at all; this one can never send.
        ("sendemail.smtpserver", "/bin/false"),
    ] {
        proc::run(git(&repo).args(["config", k, v]))?;
    }
    proc::run(git(&repo).args(["checkout", "-q", "-b", "b4-series", ws.edition.tag]))?;
    let patches = tree::patch_files(ws)?;
    proc::run(git(&repo).args(["am", "-q"]).args(&patches))?;
    Ok(repo)
}

/// An $EDITOR for `b4 prep --edit-cover`: our cover text, then b4's To/Cc.
fn cover_editor(ws: &Workspace) -> Result<PathBuf> {
    let script = ws.build_dir().join("b4-cover-editor.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nset -e\nf=\"$1\"\ntrailers=$(grep -E '^(To|Cc): ' \"$f\" || true)\n\
         { cat \"$XTASK_COVER\"; echo; echo \"$trailers\"; } > \"$f.new\"\nmv \"$f.new\" \"$f\"\n",
    )?;
    use std::os::unix::fs::PermissionsExt;
    crate::fsx::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
    Ok(script)
}

/// Writes the mails; returns their paths in order (cover letter first).
pub fn write_mails(ws: &Workspace) -> Result<Vec<PathBuf>> {
    crate::setup::ensure(ws)?;
    let step = Step::start("writing the series as mails with b4 (nothing is sent)");
    let repo = scratch_clone(ws)?;
    proc::output(b4(ws, &repo).args(["prep", "-e", ws.edition.tag]))?;
    proc::output(b4(ws, &repo).args(["prep", "--auto-to-cc"]))?;
    proc::output(
        b4(ws, &repo)
            .args(["prep", "--edit-cover"])
            .env("EDITOR", cover_editor(ws)?)
            .env("XTASK_COVER", ws.cover_letter()),
    )?;
    let out = ws.build_dir().join("mail");
    if out.exists() {
        crate::fsx::remove_dir_all(&out)?;
    }
    proc::output(b4(ws, &repo).args(["send", "--no-sign", "-o"]).arg(&out))?;
    let mut mails: Vec<PathBuf> = crate::fsx::read_dir(&out)?.flatten().map(|e| e.path()).collect();
    mails.sort();
    if mails.is_empty() {
        return Err(Error::new("b4 wrote no mails"));
    }
    info(format!("{} mail(s) in {}", mails.len(), out.display()));
    step.done();
    Ok(mails)
}

/// The To: and Cc: headers of a mail (unfolded).
pub fn recipients(mail: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in mail.lines() {
        if line.is_empty() {
            break; // end of headers
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some(c) = current.as_mut() {
                c.truncate(c.trim_end().len());
                c.push(' ');
                c.push_str(line.trim());
            }
            continue;
        }
        if let Some(c) = current.take() {
            out.push(c);
        }
        if line.starts_with("To: ") || line.starts_with("Cc: ") {
            current = Some(line.to_string());
        }
    }
    if let Some(c) = current {
        out.push(c);
    }
    out
}

/// Checks the mails apply to a fresh base and give the series' tree.
pub fn mails_round_trip(ws: &Workspace, mails: &[PathBuf]) -> Result<Case> {
    let name = format!("b4 mails ({}) apply with git am and give the series' tree", mails.len());
    let series_tree = proc::output(git(&ws.build_dir().join("b4")).args(["rev-parse", "HEAD^{tree}"]))?;
    // A worktree of its own: `check` may be building in linux-check.
    let check = ws.build_dir().join("linux-mail");
    tree::ensure_worktree(ws, &check)?;
    let _ = git(&check).args(["am", "--abort"]).output();
    proc::run(git(&check).args(["checkout", "-q", "--detach", ws.edition.tag]))?;
    // The first mail is the cover letter.
    let res = proc::run(git(&check).args(["am", "-q"]).args(&mails[1..]));
    if let Err(e) = res {
        let _ = git(&check).args(["am", "--abort"]).output();
        return Ok(Case::new(name, Outcome::Fail, e.to_string()));
    }
    let tree_now = proc::output(git(&check).args(["rev-parse", "HEAD^{tree}"]))?;
    Ok(if tree_now.trim() == series_tree.trim() {
        Case::new(name, Outcome::Pass, "")
    } else {
        Case::new(name, Outcome::Fail, format!("tree {} != series tree {}", tree_now.trim(), series_tree.trim()))
    })
}

/// `cargo xtask send --dry-run`.
pub fn send(ws: &Workspace, dry_run: bool) -> Result<()> {
    if !dry_run {
        return Err(Error::new("this workspace never sends mail")
            .hint("use `cargo xtask send --dry-run`, then `b4 send` from build/b4 on a machine set up to send"));
    }
    let mails = write_mails(ws)?;
    for m in &mails {
        let text = crate::fsx::read_to_string(m)?;
        let subject = text.lines().find(|l| l.starts_with("Subject: ")).unwrap_or("Subject: ?");
        println!("{}", m.file_name().unwrap().to_string_lossy());
        println!("  {}", subject);
        for r in recipients(&text) {
            println!("  {r}");
        }
    }
    let case = mails_round_trip(ws, &mails)?;
    println!("{}: {}", if case.outcome == Outcome::Pass { "ok" } else { "FAILED" }, case.name);
    if case.outcome != Outcome::Pass {
        return Err(Error::new(case.detail));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_unfolded_headers() {
        let mail = "From: a <a@x>\nSubject: s\nTo: A <a@x>, \n B <b@x>\nCc: list@x\nX-Y: z\n\nTo: not a header\n";
        assert_eq!(recipients(mail), vec!["To: A <a@x>, B <b@x>", "Cc: list@x"]);
    }
}
