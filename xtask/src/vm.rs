//! Booting a built kernel in QEMU with a small busybox initramfs.
//!
//! The guest's kernel console goes to the first serial port (console log),
//! the test command's output to the second (output log), so test output
//! parsing never sees kernel lines and splat detection sees every one.

use crate::kbuild::bzimage;
use crate::proc;
use crate::selftests::bin_dir;
use crate::splat::{self, Splat};
use crate::ui::{fmt_secs, info, Error, Result, Step};
use crate::workspace::{ensure_dir, Kernel, Workspace};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const INIT: &str = r#"#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmp /tmp
mkdir -p /dev/shm /dev/hugepages
mount -t tmpfs shm /dev/shm
mount -t hugetlbfs hugetlbfs /dev/hugepages
exec >/dev/ttyS1 2>&1 </dev/null
if [ ! -w /sys/block/zram0/disksize ]; then
    echo "XTASK-SWAP failed: no /sys/block/zram0 (CONFIG_ZRAM)"
elif ! echo 512M >/sys/block/zram0/disksize; then
    echo "XTASK-SWAP failed: sizing zram0"
elif ! mkswap /dev/zram0 >/dev/null; then
    echo "XTASK-SWAP failed: mkswap /dev/zram0"
elif ! swapon /dev/zram0; then
    echo "XTASK-SWAP failed: swapon /dev/zram0"
else
    echo "XTASK-SWAP up"
fi
echo "XTASK-READY $(uname -r)"
cd /
sh /xtask/run.sh
echo "XTASK-EXIT $?"
sync
# Reports the kernel prints late (a deferred KASAN or lockdep report, a
# hung task) reach the console log before the power goes.
sleep 5
echo "XTASK-POWEROFF" >/dev/kmsg
poweroff -f
"#;

/// What one VM run produced.
pub struct VmRun {
    pub exit: Option<i32>,
    pub timed_out: bool,
    pub console_log: PathBuf,
    pub output_log: PathBuf,
    pub output: String,
    pub splats: Vec<Splat>,
    pub seconds: f64,
    /// The accelerator QEMU ran with ("kvm" or "tcg").
    pub accel: &'static str,
}

impl VmRun {
    /// Ok only if the command exited 0, in time, with a clean kernel log.
    pub fn verdict(&self) -> Result<()> {
        if self.timed_out {
            return Err(Error::new(format!(
                "the guest did not finish in time and was killed; console: {}",
                self.console_log.display()
            ))
            .hint("look at the end of the console log for a hang; raise --timeout if the work is just slow"));
        }
        if let Some(s) = self.splats.first() {
            return Err(Error::new(format!(
                "kernel splat in the guest ({} found, first: {} at line {}: {}); console: {}",
                self.splats.len(),
                s.kind,
                s.line_no,
                s.line,
                self.console_log.display()
            )));
        }
        match self.exit {
            Some(0) => Ok(()),
            Some(rc) => Err(Error::new(format!("the command exited {rc} in the guest; output: {}", self.output_log.display()))),
            None => Err(Error::new(format!(
                "the guest stopped before the command finished; console: {}",
                self.console_log.display()
            ))),
        }
    }
}

/// Exit status from the output log's `XTASK-EXIT n` line.
pub fn exit_status(output: &str) -> Option<i32> {
    output.lines().rev().find_map(|l| l.trim().strip_prefix("XTASK-EXIT ")?.trim().parse().ok())
}

fn copy_into(src: &Path, dst: &Path) -> Result<()> {
    std::fs::copy(src, dst).map_err(|e| Error::new(format!("cannot copy {} to {}: {e}", src.display(), dst.display())))?;
    Ok(())
}

/// Packs the initramfs: busybox, the test programs, the kernel modules, the script.
fn make_initramfs(ws: &Workspace, which: Kernel, script: &str, dir: &Path) -> Result<PathBuf> {
    let root = dir.join("root");
    if root.exists() {
        crate::fsx::remove_dir_all(&root)?;
    }
    for d in ["bin", "proc", "sys", "dev", "tmp", "xtask", "modules", "sys/kernel/debug"] {
        ensure_dir(&root.join(d))?;
    }
    copy_into(Path::new("/bin/busybox"), &root.join("bin/busybox"))
        .map_err(|e| e.hint("busybox-static is missing: run `cargo xtask setup`"))?;
    let init = root.join("init");
    crate::fsx::write(&init, INIT)?;
    crate::fsx::write(root.join("xtask/run.sh"), script)?;
    use std::os::unix::fs::PermissionsExt;
    crate::fsx::set_permissions(&init, std::fs::Permissions::from_mode(0o755))?;
    if let Ok(rd) = std::fs::read_dir(bin_dir(ws, which)) {
        for e in rd.flatten() {
            copy_into(&e.path(), &root.join("bin").join(e.file_name()))?;
        }
    }
    // Loadable modules (e.g. the Rust sample) go to /modules for insmod.
    for sub in ["samples/rust", "samples/kmemleak", "lib"] {
        let d = ws.out_dir(which).join(sub);
        if let Ok(rd) = std::fs::read_dir(&d) {
            for e in rd.flatten() {
                if e.path().extension().is_some_and(|x| x == "ko") {
                    copy_into(&e.path(), &root.join("modules").join(e.file_name()))?;
                }
            }
        }
    }
    let cpio = dir.join("initramfs.cpio");
    let list = proc::output(Command::new("find").arg(".").current_dir(&root))?;
    let file = crate::fsx::create(&cpio)?;
    let mut child = Command::new("cpio")
        .args(["-o", "-H", "newc", "--quiet"])
        .current_dir(&root)
        .stdin(Stdio::piped())
        .stdout(Stdio::from(file))
        .spawn()?;
    use std::io::Write;
    child.stdin.take().unwrap().write_all(list.as_bytes())?;
    let status = child.wait()?;
    if !status.success() {
        return Err(Error::new(format!("cpio failed ({status}) packing {}", root.display())));
    }
    Ok(cpio)
}

/// Which accelerator to use: KVM only where a probe boot proved it works.
fn accel(ws: &Workspace, which: Kernel) -> &'static str {
    if let Ok(v) = std::env::var("XTASK_ACCEL") {
        return if v == "kvm" { "kvm" } else { "tcg" };
    }
    if !Path::new("/dev/kvm").exists() {
        return "tcg";
    }
    let stamp = ws.cache.join("kvm-probe");
    if let Ok(s) = std::fs::read_to_string(&stamp) {
        return if s.trim() == "works" { "kvm" } else { "tcg" };
    }
    info("probing whether KVM can run a guest here (once per machine)");
    let ok = boot(ws, which, "true\n", Duration::from_secs(30), "kvm", "kvm-probe", &[])
        .map(|r| r.exit == Some(0) && !r.timed_out)
        .unwrap_or(false);
    let _ = std::fs::write(&stamp, if ok { "works\n" } else { "broken\n" });
    info(format!("KVM {}", if ok { "works: using it" } else { "does not work here: using TCG" }));
    if ok {
        "kvm"
    } else {
        "tcg"
    }
}

fn boot(
    ws: &Workspace,
    which: Kernel,
    script: &str,
    timeout: Duration,
    accel: &'static str,
    tag: &str,
    qemu_args: &[&str],
) -> Result<VmRun> {
    let kernel = bzimage(ws, which);
    if !kernel.is_file() {
        return Err(Error::new(format!("no kernel at {}", kernel.display())).hint("run `cargo xtask build` first"));
    }
    let dir = ws.build_dir().join("vm").join(tag);
    ensure_dir(&dir)?;
    let initrd = make_initramfs(ws, which, script, &dir)?;
    let console_log = dir.join("console.log");
    let output_log = dir.join("output.log");
    let _ = std::fs::remove_file(&console_log);
    let _ = std::fs::remove_file(&output_log);
    let mut cmd = Command::new("qemu-system-x86_64");
    cmd.args(["-accel", accel, "-cpu", "max", "-m", "3G"]);
    if !qemu_args.contains(&"-smp") {
        cmd.args(["-smp", &DEFAULT_CPUS.to_string()]);
    }
    cmd.args(["-display", "none", "-monitor", "none", "-no-reboot", "-nodefaults"])
        .arg("-serial")
        .arg(format!("file:{}", console_log.display()))
        .arg("-serial")
        .arg(format!("file:{}", output_log.display()))
        .arg("-kernel")
        .arg(&kernel)
        .arg("-initrd")
        .arg(&initrd)
        .arg("-append")
        .arg("console=ttyS0 panic=-1 rdinit=/init hugepages=160 loglevel=7 print-fatal-signals=1 8250.nr_uarts=2 watchdog_thresh=30")
        .args(qemu_args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|e| {
        Error::new(format!("cannot start qemu-system-x86_64: {e}")).hint("run `cargo xtask setup`")
    })?;
    let mut timed_out = false;
    let mut next_beat = Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break Some(s);
        }
        if start.elapsed() > timeout {
            timed_out = true;
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        if start.elapsed() >= next_beat {
            eprintln!("    ... VM ({tag}): {} elapsed", fmt_secs(start.elapsed().as_secs_f64()));
            next_beat += Duration::from_secs(60);
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    if let Some(s) = status {
        if !s.success() {
            let mut err = String::new();
            use std::io::Read;
            let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut err));
            return Err(Error::new(format!("qemu failed ({s}): {}", err.trim())));
        }
    }
    let console = String::from_utf8_lossy(&std::fs::read(&console_log).unwrap_or_default()).into_owned();
    let output = String::from_utf8_lossy(&std::fs::read(&output_log).unwrap_or_default()).into_owned();
    Ok(VmRun {
        exit: exit_status(&output),
        timed_out,
        splats: splat::find(&console),
        console_log,
        output_log,
        output,
        seconds: start.elapsed().as_secs_f64(),
        accel,
    })
}

/// Boots `which`, runs `script` as root in the guest, and returns what happened.
pub fn run_script(ws: &Workspace, which: Kernel, script: &str, timeout: Duration, tag: &str) -> Result<VmRun> {
    run_script_with(ws, which, script, timeout, tag, &[])
}

/// [`run_script`] with extra QEMU arguments (e.g. `-icount shift=0,sleep=off`
/// for the benchmark; `-icount` needs TCG, so such a run never uses KVM).
pub fn run_script_with(
    ws: &Workspace,
    which: Kernel,
    script: &str,
    timeout: Duration,
    tag: &str,
    qemu_args: &[&str],
) -> Result<VmRun> {
    let accel = if qemu_args.contains(&"-icount") { "tcg" } else { accel(ws, which) };
    let step = Step::start(format!("booting the {} in QEMU ({accel}) for {tag}", which.label()));
    let run = boot(ws, which, script, timeout, accel, tag, qemu_args)?;
    info(format!("console log: {}", run.console_log.display()));
    step.done();
    Ok(run)
}

/// Quotes a word for the guest's sh.
pub fn sh_quote(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The guest's CPUs unless a run asks for more: as many as the machine has.
pub const DEFAULT_CPUS: u32 = 2;

/// CONFIG_NR_CPUS of config/uffd-vm.config: a guest with more vCPUs would
/// boot with only this many online, silently.
pub const MAX_CPUS: u32 = 8;

/// `cargo xtask vm [--base] [--cpus N] [--timeout S] -- CMD...`
pub fn vm(ws: &Workspace, which: Kernel, cmd: &[String], timeout: Duration, cpus: u32) -> Result<()> {
    let line = if cmd.is_empty() {
        "uname -a".to_string()
    } else {
        cmd.iter().map(|w| sh_quote(w)).collect::<Vec<_>>().join(" ")
    };
    // Parallel `vm` runs (e.g. two terminals) need their own image directories.
    let tag = std::env::var("XTASK_VM_TAG").unwrap_or_else(|_| "vm".to_string());
    let smp = cpus.to_string();
    let run = run_script_with(ws, which, &format!("{line}\n"), timeout, &tag, &["-smp", &smp])?;
    for l in run.output.lines() {
        if !l.starts_with("XTASK-") {
            println!("{l}");
        }
    }
    info(format!("guest ran for {}", fmt_secs(run.seconds)));
    run.verdict()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_status_is_read_from_the_marker() {
        assert_eq!(exit_status("XTASK-READY 6.18.15\nhello\nXTASK-EXIT 3\n"), Some(3));
        assert_eq!(exit_status("XTASK-READY\nhello\n"), None);
    }

    #[test]
    fn quoting_keeps_words_intact() {
        assert_eq!(sh_quote("uffd-stress"), "uffd-stress");
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(sh_quote("it's"), "'it'\\''s'");
    }
}
