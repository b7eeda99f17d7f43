//! `cargo xtask run`: from a fresh machine to a booted kernel with the series,
//! and a demonstration of userfaultfd MISSING and MINOR faults on it.

use crate::kbuild;
use crate::setup;
use crate::ui::{Result, Step};
use crate::vm;
use crate::workspace::{Kernel, Workspace};
use std::path::Path;
use std::time::Duration;

pub fn run(ws: &Workspace, linux: Option<&Path>) -> Result<()> {
    let step = Step::start("cargo xtask run: set-up, tree, build, boot, demonstration");
    setup::ensure(ws)?;
    kbuild::build(ws, Kernel::Tip, linux)?;
    let script = "echo \"booted $(uname -r); running the userfaultfd demonstration\"\n\
                  for m in /modules/*.ko; do [ -e \"$m\" ] && insmod \"$m\"; done\n\
                  /bin/uffd-demo\n";
    let run = vm::run_script(ws, Kernel::Tip, script, Duration::from_secs(300), "demo")?;
    for l in run.output.lines().filter(|l| !l.starts_with("XTASK-")) {
        println!("{l}");
    }
    run.verdict()?;
    step.done();
    Ok(())
}
