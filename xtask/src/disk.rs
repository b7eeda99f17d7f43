//! Room on disk before a long run: a test that fills the disk fails minutes
//! in, inside a kernel build, with `No space left on device`; this says so
//! before it starts, with how much is needed and where.

use crate::proc;
use crate::ui::{Error, Result};
use crate::workspace::{Edition, Workspace, MAINLINE};
use std::path::Path;
use std::process::Command;

const GIB: u64 = 1 << 20; // in KiB

/// What `test` writes under `build/<edition>/` from nothing (measured on a
/// fresh clone: the kernel tree and its worktrees for the base, `check`,
/// the mails and b4, the build directories, the VM images): mainline
/// 12 GiB, the v6.18.15 edition (tip only) 3 GiB; rounded up.
fn fresh_gib(ed: &Edition) -> u64 {
    if ed == &MAINLINE {
        14
    } else {
        4
    }
}

/// What an edition whose tree exists may still write (a debug or base build
/// directory, a check tree): the margin kept in any case.
const WARM_GIB: u64 = 3;

/// The "Available" column of `df -Pk PATH`, in KiB.
pub fn parse_df_avail(text: &str) -> Option<u64> {
    let mut lines = text.lines();
    let header = lines.next()?;
    let col = header.split_whitespace().position(|h| h == "Available")?;
    lines.next()?.split_whitespace().nth(col)?.parse().ok()
}

fn free_kib(path: &Path) -> Result<u64> {
    let out = proc::output(Command::new("df").arg("-Pk").arg(path))?;
    parse_df_avail(&out).ok_or_else(|| Error::new(format!("cannot read the free space of {} from `df -Pk`: {out}", path.display())))
}

/// Fails unless the file system of the project's `build/` has room for a
/// test of `editions`.
pub fn require_room_for_test(ws: &Workspace, editions: &[&'static Edition]) -> Result<()> {
    let need: u64 = editions
        .iter()
        .map(|ed| {
            if ws.with_edition(ed).linux().join(".git").exists() {
                WARM_GIB
            } else {
                fresh_gib(ed)
            }
        })
        .sum();
    // build/ may not exist yet on a fresh clone: ask about the clone itself.
    let build = ws.root.join("build");
    let at = if build.exists() { build } else { ws.root.clone() };
    let free = free_kib(&at)?;
    if free < need * GIB {
        return Err(Error::new(format!(
            "only {:.1} GiB free on the file system of {}; this test needs about {need} GiB",
            free as f64 / GIB as f64,
            at.display()
        ))
        .hint("free space there (old clones' build/ directories are the big ones: about 15 GiB each) and run it again"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn available_is_read_from_real_df_output() {
        // `df -Pk /work/ed/build` on this machine (coreutils 9.1).
        let real = "Filesystem     1024-blocks     Used Available Capacity Mounted on\n\
                    /dev/vda         264212084 28208420  67077468      30% /\n";
        assert_eq!(parse_df_avail(real), Some(67077468));
        assert_eq!(parse_df_avail("df: /nonexistent: No such file or directory\n"), None);
        // And from the df on this machine, now.
        let now = proc::output(Command::new("df").arg("-Pk").arg("/")).unwrap();
        assert!(parse_df_avail(&now).is_some(), "{now}");
    }
}
