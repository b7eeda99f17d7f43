//! Results of deterministic checks (per-patch builds, matrix builds,
//! checkpatch, the build-bot checks, the mails' round trip), kept by
//! content in `~/.cache/vm-uffd-ops/results`.
//!
//! The key is everything a result depends on: the tree or patch contents,
//! the merged config, the toolchain's versions and this tool's own
//! sources.  A failure is kept as a failure, so the cache can never turn
//! one into a pass; a kept result is printed as such; `--no-cache` reruns
//! everything.  VM tests are never kept: they race by design.

use crate::proc;
use crate::results::{Case, Outcome};
use crate::ui::{info, Error, Result};
use crate::workspace::Workspace;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

static DISABLED: AtomicBool = AtomicBool::new(false);

/// `--no-cache`: run every check again (results are still stored).
pub fn disable() {
    DISABLED.store(true, Ordering::Relaxed);
}

/// sha256 of `text`, hex.
pub fn sha256(text: &[u8]) -> Result<String> {
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| Error::new(format!("cannot run sha256sum: {e}")).hint("it is in coreutils"))?;
    child.stdin.take().expect("piped stdin").write_all(text)?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        return Err(Error::new(format!("sha256sum failed ({})", out.status)));
    }
    let hex = String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap_or("").to_string();
    if hex.len() != 64 {
        return Err(Error::new(format!("sha256sum printed no digest: {hex:?}")));
    }
    Ok(hex)
}

fn first_line(cmd: &mut Command) -> String {
    cmd.output()
        .ok()
        .map(|o| {
            let mut t = String::from_utf8_lossy(&o.stdout).into_owned();
            t.push_str(&String::from_utf8_lossy(&o.stderr));
            t.lines().next().unwrap_or("").trim().to_string()
        })
        .unwrap_or_else(|| "missing".to_string())
}

/// The versions of everything that builds or checks the kernel.
fn toolchain(ws: &Workspace) -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let tools: Vec<String> = [
            first_line(Command::new(format!("clang-{}", ws.edition.llvm)).arg("--version")),
            first_line(Command::new("/usr/bin/rustc").arg("--version")),
            first_line(Command::new(ws.tools_bin().join("bindgen")).arg("--version")),
            first_line(Command::new("gcc").arg("--version")),
            first_line(Command::new("sparse").arg("--version")),
            first_line(Command::new("make").arg("--version")),
            first_line(Command::new(ws.venv().join("bin/sphinx-build")).arg("--version")),
            first_line(Command::new(ws.venv().join("bin/b4")).arg("--version")),
            first_line(Command::new("perl").arg("--version")),
        ]
        .to_vec();
        tools.join("\n")
    })
}

/// The modules whose code decides a kept result (the checks, the builds,
/// the trees, the mails, the cache itself): a change to any of them is a
/// new key.  The VM tests' parsers and plans are not among them: no kept
/// result comes from them.
const CHECKING_CODE: &[&str] = &[
    "cache.rs",
    "check.rs",
    "buildbot.rs",
    "kbuild.rs",
    "tree.rs",
    "mail.rs",
    "export.rs",
    "proc.rs",
    "fsx.rs",
    "workspace.rs",
    "setup.rs",
];

/// The checking code's own version: a hash of [`CHECKING_CODE`] and Cargo.toml.
fn tool_sources(ws: &Workspace) -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let mut files: Vec<PathBuf> = CHECKING_CODE.iter().map(|f| ws.root.join("xtask/src").join(f)).collect();
        files.push(ws.root.join("xtask/Cargo.toml"));
        let mut all = String::new();
        for f in files {
            all.push_str(&format!("{}\n", f.file_name().unwrap_or_default().to_string_lossy()));
            all.push_str(&std::fs::read_to_string(&f).unwrap_or_default());
        }
        sha256(all.as_bytes()).unwrap_or_default()
    })
}

/// The tree id (contents, not history) of `rev` in `repo`.
pub fn tree_id(repo: &Path, rev: &str) -> Result<String> {
    Ok(proc::output(crate::tree::git(repo).args(["rev-parse", &format!("{rev}^{{tree}}")]))?.trim().to_string())
}

/// The contents of config fragments, in order.
pub fn fragments_text(paths: &[PathBuf]) -> Result<String> {
    let mut t = String::new();
    for p in paths {
        t.push_str(&std::fs::read_to_string(p).map_err(|e| Error::new(format!("cannot read {}: {e}", p.display())))?);
        t.push('\n');
    }
    Ok(t)
}

/// A key: what the check is and what it depends on, plus the toolchain
/// and this tool's sources.
pub fn key(ws: &Workspace, what: &str, inputs: &[&str]) -> Result<String> {
    let mut all = format!("{what}\n{}\n{}\n", toolchain(ws), tool_sources(ws));
    for i in inputs {
        all.push_str(i);
        all.push('\0');
    }
    sha256(all.as_bytes())
}

fn path(ws: &Workspace, key: &str) -> PathBuf {
    ws.cache.join("results").join(key)
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\t', "\\t").replace('\n', "\\n")
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// One line per case: outcome, name, detail.
pub fn encode(cases: &[Case]) -> String {
    cases
        .iter()
        .map(|c| {
            let o = match c.outcome {
                Outcome::Pass => "pass",
                Outcome::Fail => "fail",
                Outcome::Skip => "skip",
            };
            format!("{o}\t{}\t{}\n", escape(&c.name), escape(&c.detail))
        })
        .collect()
}

pub fn decode(text: &str) -> Option<Vec<Case>> {
    let mut cases = Vec::new();
    for line in text.lines() {
        let mut f = line.splitn(3, '\t');
        let outcome = match f.next()? {
            "pass" => Outcome::Pass,
            "fail" => Outcome::Fail,
            "skip" => Outcome::Skip,
            _ => return None,
        };
        let name = unescape(f.next()?);
        let detail = unescape(f.next()?);
        cases.push(Case::new(name, outcome, detail));
    }
    (!cases.is_empty()).then_some(cases)
}

/// The cases kept under `key`, or `run()`'s, which are then kept.  `what`
/// names the check in the progress line.
pub fn cached(ws: &Workspace, key: &str, what: &str, run: impl FnOnce() -> Result<Vec<Case>>) -> Result<Vec<Case>> {
    let file = path(ws, key);
    if !DISABLED.load(Ordering::Relaxed) {
        if let Some(mut cases) = std::fs::read_to_string(&file).ok().as_deref().and_then(decode) {
            let fails = cases.iter().filter(|c| c.outcome == Outcome::Fail).count();
            info(format!("cached result: {what} ({} case(s), {fails} failed; key {}, --no-cache reruns)", cases.len(), &key[..12]));
            for c in cases.iter_mut() {
                c.detail = if c.detail.is_empty() { "cached".into() } else { format!("cached: {}", c.detail) };
            }
            return Ok(cases);
        }
    }
    let cases = run()?;
    if !cases.is_empty() {
        crate::workspace::ensure_dir(&ws.cache.join("results"))?;
        let tmp = file.with_extension("tmp");
        std::fs::write(&tmp, encode(&cases)).map_err(|e| Error::new(format!("cannot write {}: {e}", tmp.display())))?;
        std::fs::rename(&tmp, &file).map_err(|e| Error::new(format!("cannot write {}: {e}", file.display())))?;
    }
    Ok(cases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checking_code_list_names_real_modules() {
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
        for f in CHECKING_CODE {
            assert!(src.join(f).is_file(), "{f}");
        }
        // Every module that runs a kept check is listed.
        for f in ["check.rs", "buildbot.rs", "kbuild.rs", "mail.rs"] {
            assert!(CHECKING_CODE.contains(&f), "{f}");
        }
    }

    #[test]
    fn cases_round_trip_through_the_store() {
        let cases = vec![
            Case::new("builds at patch 1/2", Outcome::Pass, ""),
            Case::new("W=1: a.c", Outcome::Fail, "mm/a.c:1:2: warning: x\tand\\ny\nsecond line"),
        ];
        assert_eq!(decode(&encode(&cases)).unwrap(), cases);
        assert!(decode("").is_none());
        assert!(decode("maybe\tx\ty\n").is_none());
    }

    #[test]
    fn a_failure_stays_a_failure_when_kept() {
        let dir = std::env::temp_dir().join(format!("xtask-cache-test-{}", std::process::id()));
        let ws = Workspace { root: PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf(), cache: dir.clone(), edition: &crate::workspace::MAINLINE };
        let k = key(&ws, "unit test", &["a"]).unwrap();
        let first = cached(&ws, &k, "check", || Ok(vec![Case::new("c", Outcome::Fail, "broken")])).unwrap();
        assert_eq!(first[0].outcome, Outcome::Fail);
        let again = cached(&ws, &k, "check", || panic!("a kept result is not run again")).unwrap();
        assert_eq!(again[0].outcome, Outcome::Fail);
        assert_eq!(again[0].detail, "cached: broken");
        assert_ne!(k, key(&ws, "unit test", &["b"]).unwrap());
        let _ = std::fs::remove_dir_all(dir);
    }
}
