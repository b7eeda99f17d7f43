//! Running external programs: every exit status is checked, and long
//! commands write to a log file while a heartbeat line shows they are alive.

use crate::ui::{fmt_secs, Error, Result};
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    if s.len() > 200 {
        s.truncate(200);
        s.push_str("...");
    }
    s
}

fn spawn_error(cmd: &Command, e: std::io::Error) -> Error {
    Error::new(format!("cannot start `{}`: {e}", cmd.get_program().to_string_lossy()))
        .hint("run `cargo xtask setup` to install the tools the workspace needs")
}

/// Runs `cmd` with inherited stdio; fails unless it exits 0.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd.status().map_err(|e| spawn_error(cmd, e))?;
    if !status.success() {
        return Err(Error::new(format!("`{}` failed ({status})", describe(cmd))));
    }
    Ok(())
}

/// Runs `cmd` and returns its stdout; fails (showing stderr) unless it exits 0.
pub fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| spawn_error(cmd, e))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(Error::new(format!(
            "`{}` failed ({}): {}",
            describe(cmd),
            out.status,
            stderr.trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs `cmd` and returns (success, stdout+stderr); never fails on the exit status.
pub fn probe(cmd: &mut Command) -> Result<(bool, String)> {
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| spawn_error(cmd, e))?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok((out.status.success(), text))
}

/// Runs a long command with stdout and stderr appended to `log`, printing a
/// heartbeat every `beat` while it runs.  On failure the tail of the log is
/// shown together with its path.
pub fn run_logged(cmd: &mut Command, log: &Path, what: &str, beat: Duration) -> Result<()> {
    if let Some(dir) = log.parent() {
        crate::fsx::create_dir_all(dir)?;
    }
    let file = File::options().create(true).append(true).open(log)?;
    let err_file = file.try_clone()?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::from(file))
        .stderr(Stdio::from(err_file))
        .spawn()
        .map_err(|e| spawn_error(cmd, e))?;
    let start = Instant::now();
    let mut next_beat = beat;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(200));
        if start.elapsed() >= next_beat {
            eprintln!("    ... {what}: {} elapsed", fmt_secs(start.elapsed().as_secs_f64()));
            next_beat += beat;
        }
    };
    if !status.success() {
        return Err(Error::new(format!(
            "{what} failed ({status}); last lines of {}:\n{}",
            log.display(),
            tail(log, 30)
        )));
    }
    Ok(())
}

/// The last `n` lines of a text file (empty if unreadable).
pub fn tail(path: &Path, n: usize) -> String {
    let mut text = String::new();
    if let Ok(mut f) = File::open(path) {
        let mut bytes = Vec::new();
        let _ = f.read_to_end(&mut bytes);
        text = String::from_utf8_lossy(&bytes).into_owned();
    }
    last(&text, n).join("\n")
}

/// The last `n` lines of `text`, oldest first.
pub fn last(text: &str, n: usize) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].to_vec()
}

/// The last `n` lines of `text` on one line, for a case's detail.
pub fn last_lines(text: &str, n: usize) -> String {
    last(text, n).join(" | ")
}

