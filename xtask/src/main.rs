//! `cargo xtask`: the workspace tool of the vm_uffd_ops series.
//! See the README for what each command does.

mod bench;
mod benchreport;
mod buildbot;
mod cache;
mod check;
mod demo;
mod disk;
mod export;
mod fsx;
mod guest;
mod kbuild;
mod mail;
mod plan;
mod proc;
mod results;
mod selftests;
mod setup;
mod splat;
mod testplan;
mod tree;
mod ui;
mod verdict;
mod vm;
mod workspace;

use std::path::PathBuf;
use std::time::Duration;
use ui::{Error, Result};
use workspace::{Kernel, Workspace};

const USAGE: &str = "usage: cargo xtask <command> [options]

Every command but setup works on one edition of the series: mainline (v7.2.8, the
product, the default) or lts (v6.18.15, kept green); `--edition lts` picks the other.
`test` without --edition tests both.

commands:
  setup [--check]          install (or only check) the pinned toolchain, QEMU, bindgen, b4
  tree [--linux PATH]      v6.18.15 as a git tree in build/linux, patches/ applied on a branch
  build [--base|--debug]   kernel + modules + headers + static test programs
                           (--debug: the tip with config/debug.config: KASAN, lockdep, ...)
  vm [--base|--debug] [--cpus N] [--timeout S] -- CMD...
                           boot the built kernel in QEMU and run CMD as root in it
                           (--cpus: the guest's CPUs, default 2, at most 8)
  run                      set-up, tree, build, boot and a demonstration of MISSING/MINOR faults
  test [--vm-only|--debug] [--no-cache]
                           everything: unit tests, build, selftests in the VM on the tip, the
                           behaviour-pinning tests on the base, the debug profile, the harness's
                           self-checks, series checks (--vm-only: the tip's VM tests only, for a
                           quick edit-test loop; --debug: the debug profile's whole suite only)
  export                   regenerate patches/ and the tree-layout copies from build/linux
  send --dry-run           the series as mails with b4 (To/Cc from get_maintainer.pl) in
                           build/mail, checked to apply back to the same tree; never sends
  check [--no-bisect] [--no-cache]
                           series checks: git am, tree-layout copies, checkpatch, b4 round trip,
                           per-patch builds (not with --no-bisect), and at the tip W=1, sparse,
                           kernel-doc, htmldocs, rustfmt, clippy, rustdoc, module symbols and
                           a config matrix; prints the time each took.  Results of these
                           checks are kept by content in ~/.cache/vm-uffd-ops/results
                           (--no-cache: run them all again)
  bench [--no-build]       userfaultfd fill costs, base v6.18.15 vs tip (icount and wall clock),
                           tables in build/<edition>/bench/results.md and the edition's bench/RESULTS.md
                           (--no-build: kernels as they are, only the benchmark program built)
";

struct Args {
    command: String,
    base: bool,
    debug: bool,
    no_bisect: bool,
    check_only: bool,
    vm_only: bool,
    dry_run: bool,
    no_build: bool,
    no_cache: bool,
    /// `--edition NAME`: None means mainline, or both editions for `test`.
    edition: Option<&'static workspace::Edition>,
    linux: Option<PathBuf>,
    timeout: Duration,
    cpus: u32,
    rest: Vec<String>,
}

/// The options each command takes; any other is refused.
const OPTIONS: &[(&str, &[&str])] = &[
    ("setup", &["--check"]),
    ("tree", &["--linux", "--edition"]),
    ("build", &["--base", "--debug", "--linux", "--edition"]),
    ("vm", &["--base", "--debug", "--timeout", "--cpus", "--edition", "--"]),
    ("run", &["--linux", "--edition"]),
    ("test", &["--vm-only", "--debug", "--linux", "--no-cache", "--edition"]),
    ("export", &["--edition"]),
    ("send", &["--dry-run", "--edition"]),
    ("check", &["--no-bisect", "--no-cache", "--edition"]),
    ("bench", &["--no-build", "--linux", "--edition"]),
    ("help", &[]),
    ("--help", &[]),
    ("-h", &[]),
];

fn parse_args(argv: &[String]) -> Result<Args> {
    let mut it = argv.iter();
    let command = it.next().cloned().ok_or_else(|| Error::new("no command given").hint("see `cargo xtask help`"))?;
    let allowed = OPTIONS
        .iter()
        .find(|(c, _)| *c == command)
        .map(|(_, o)| *o)
        .ok_or_else(|| Error::new(format!("unknown command `{command}`")).hint("see `cargo xtask help`"))?;
    let mut a = Args { command: command.clone(), base: false, debug: false, no_bisect: false, check_only: false, vm_only: false, dry_run: false, no_build: false, no_cache: false, edition: None, linux: None, timeout: Duration::from_secs(600), cpus: vm::DEFAULT_CPUS, rest: vec![] };
    if let Ok(p) = std::env::var("XTASK_LINUX") {
        a.linux = Some(PathBuf::from(p));
    }
    while let Some(arg) = it.next() {
        if arg.starts_with('-') && !allowed.contains(&arg.as_str()) {
            let takes = if allowed.is_empty() { "no options".to_string() } else { allowed.join(" ") };
            return Err(Error::new(format!("`{command}` does not take `{arg}`; it takes {takes}"))
                .hint("see `cargo xtask help`"));
        }
        match arg.as_str() {
            "--base" => a.base = true,
            "--debug" => a.debug = true,
            "--no-bisect" => a.no_bisect = true,
            "--check" => a.check_only = true,
            "--vm-only" => a.vm_only = true,
            "--dry-run" => a.dry_run = true,
            "--no-build" => a.no_build = true,
            "--no-cache" => a.no_cache = true,
            "--edition" => {
                let v = it.next().ok_or_else(|| Error::new("--edition needs a name: mainline or lts"))?;
                a.edition = Some(
                    workspace::EDITIONS
                        .iter()
                        .copied()
                        .find(|e| e.name == v)
                        .ok_or_else(|| Error::new(format!("--edition {v}: no such edition")).hint("mainline (v7.2.8, the product) or lts (v6.18.15)"))?,
                );
            }
            "--linux" => {
                a.linux = Some(PathBuf::from(it.next().ok_or_else(|| Error::new("--linux needs a path"))?));
            }
            "--timeout" => {
                let v = it.next().ok_or_else(|| Error::new("--timeout needs a number of seconds"))?;
                let s: u64 = v.parse().map_err(|_| Error::new(format!("--timeout {v}: not a number of seconds")))?;
                a.timeout = Duration::from_secs(s);
            }
            "--cpus" => {
                let v = it.next().ok_or_else(|| Error::new("--cpus needs a number of CPUs"))?;
                a.cpus = match v.parse() {
                    Ok(n) if (1..=vm::MAX_CPUS).contains(&n) => n,
                    _ => {
                        return Err(Error::new(format!("--cpus {v}: not a number of CPUs from 1 to {}", vm::MAX_CPUS))
                            .hint("the kernel is built with CONFIG_NR_CPUS=8 (config/uffd-vm.config)"))
                    }
                };
            }
            "--" => {
                a.rest = it.by_ref().cloned().collect();
            }
            other => {
                return Err(Error::new(format!("unknown option `{other}` for `{}`", a.command))
                    .hint("see `cargo xtask help`"))
            }
        }
    }
    if a.vm_only && a.debug {
        return Err(Error::new("`test --vm-only --debug` would test nothing: --vm-only runs only the tip's guests, --debug only the debug profile's")
            .hint("choose one"));
    }
    if a.command == "send" && !a.dry_run {
        return Err(Error::new("`send` only writes the mails: it needs --dry-run").hint("to really send, `cd build/b4 && b4 send`"));
    }
    Ok(a)
}

fn dispatch(a: &Args) -> Result<()> {
    let which = match (a.base, a.debug) {
        (true, true) => return Err(Error::new("--base and --debug exclude each other").hint("the debug profile is built from the series tip")),
        (true, false) => Kernel::Base,
        (false, true) => Kernel::Debug,
        (false, false) => Kernel::Tip,
    };
    if a.command == "help" || a.command == "--help" || a.command == "-h" {
        print!("{USAGE}");
        return Ok(());
    }
    let ws = Workspace::discover()?.with_edition(a.edition.unwrap_or(&workspace::MAINLINE));
    if a.no_cache {
        cache::disable();
    }
    match a.command.as_str() {
        "setup" if a.check_only => setup::check(&ws),
        "setup" => setup::install(&ws),
        "tree" => {
            setup::ensure(&ws)?;
            tree::tree(&ws, a.linux.as_deref())
        }
        "build" => kbuild::build(&ws, which, a.linux.as_deref()),
        "vm" => vm::vm(&ws, which, &a.rest, a.timeout, a.cpus),
        "run" => demo::run(&ws, a.linux.as_deref()),
        "test" => {
            let editions: Vec<&'static workspace::Edition> = match a.edition {
                Some(e) => vec![e],
                None => workspace::EDITIONS.to_vec(),
            };
            disk::require_room_for_test(&ws, &editions)?;
            testplan::test(&ws, &editions, a.linux.as_deref(), a.vm_only, a.debug)
        }
        "export" => export::export(&ws),
        "send" => mail::send(&ws, a.dry_run),
        "check" => check::check_command(&ws, !a.no_bisect),
        "bench" => bench::bench(&ws, a.linux.as_deref(), a.no_build),
        other => Err(Error::new(format!("unknown command `{other}`")).hint("see `cargo xtask help`")),
    }
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let res = parse_args(&argv).and_then(|a| dispatch(&a));
    if let Err(e) = res {
        eprintln!("xtask: error: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Result<Args> {
        parse_args(&line.split_whitespace().map(String::from).collect::<Vec<_>>())
    }

    #[test]
    fn each_command_takes_only_its_own_options() {
        assert!(args("test --vm-only").is_ok());
        assert!(args("build --base").is_ok());
        let e = args("test --base").err().expect("test --base is refused");
        assert!(e.what.contains("does not take `--base`"), "{}", e.what);
        assert!(args("check --vm-only").is_err());
        assert!(args("export --dry-run").is_err());
        assert!(args("bench --no-bisect").is_err());
        assert!(args("frobnicate").is_err());
    }

    #[test]
    fn vm_only_with_debug_would_test_nothing_and_is_refused() {
        assert!(args("test --vm-only --debug").is_err());
        assert!(args("test --debug").is_ok());
    }
}
