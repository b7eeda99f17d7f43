//! The checks the kernel's build bots run, at the series tip in the check
//! worktree: W=1 and sparse on every touched C file, kernel-doc, the
//! documentation build, the Rust checks (rustfmt, clippy, rustdoc, the
//! modules' undefined symbols) and a config matrix.
//!
//! "No new warnings" is decided by location: a diagnostic counts against the
//! series when it points into a file the series adds or at a line it adds or
//! changes (from `git diff -U0`), the way the build bots attribute reports.

use crate::cache;
use crate::kbuild;
use crate::proc;
use crate::results::{Case, Outcome};
use crate::tree::git;
use crate::ui::{info, Result, Step};
use crate::workspace::{Kernel, Workspace};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Tip builds in configurations the per-patch builds do not cover; each is a
/// fragment under config/variants/, merged after the workspace config and
/// config/matrix.config.
pub const LTS_MATRIX: &[&str] = &["no-userfaultfd", "no-shmem", "no-hugetlbfs", "no-rust", "no-modules", "no-pte-marker-uffd-wp"];

/// The mainline edition's matrix: none yet.  Its patches so far change
/// only mm/userfaultfd.c and a selftest, which no variant builds
/// differently (USERFAULTFD=n does not build the file at all); the
/// variants come back with the extension patches, which touch headers,
/// Kconfig and the memory types.
pub const MAINLINE_MATRIX: &[&str] = &[];

fn matrix_of(ws: &Workspace) -> &'static [&'static str] {
    if ws.edition == &crate::workspace::LTS {
        LTS_MATRIX
    } else {
        MAINLINE_MATRIX
    }
}

/// The Rust sample: what the policy check reads.
const RUST_SAMPLE: &str = "samples/rust/rust_uffd_mem.rs";

/// Modules that implement a memory type outside mm/: neither may reach below
/// the vm_uffd_ops API (page tables, the fault handler, the fill helpers).
const MEMTYPE_MODULES: &[(&str, &str)] =
    &[("samples/rust/rust_uffd_mem.ko", RUST_SAMPLE), ("lib/test_uffd_memtype.ko", "lib/test_uffd_memtype.c")];
const FORBIDDEN_SYMBOL_PARTS: &[&str] =
    &["pte", "pmd", "pud", "p4d", "pgd", "page_table", "handle_userfault", "mfill_"];

/// Lines the series adds or changes, per file (all lines of a new file).
#[derive(Debug, Default)]
pub struct Touched {
    ranges: BTreeMap<String, Vec<(u32, u32)>>,
}

impl Touched {
    /// Parses `git diff -U0` output.
    pub fn from_diff(diff: &str) -> Self {
        let mut t = Touched::default();
        let mut file: Option<String> = None;
        for line in diff.lines() {
            if let Some(path) = line.strip_prefix("+++ ") {
                file = path.strip_prefix("b/").map(str::to_string);
                if let Some(f) = &file {
                    t.ranges.entry(f.clone()).or_default();
                }
            } else if let (Some(hunk), Some(f)) = (line.strip_prefix("@@ "), &file) {
                // "@@ -a[,b] +c[,d] @@"
                let new = hunk.split_whitespace().find(|w| w.starts_with('+')).unwrap_or("+0");
                let mut parts = new[1..].split(',');
                let start: u32 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
                let len: u32 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(1);
                if len > 0 {
                    t.ranges.get_mut(f).unwrap().push((start, start + len));
                }
            }
        }
        t
    }

    pub fn files(&self) -> impl Iterator<Item = &String> {
        self.ranges.keys()
    }

    pub fn covers(&self, file: &str, line: u32) -> bool {
        self.ranges.get(file).is_some_and(|r| r.iter().any(|&(a, b)| line >= a && line < b))
    }
}

/// A compiler, sparse, kernel-doc or Sphinx diagnostic.
#[derive(Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: u32,
    pub text: String,
}

/// Reads "path:line[:col]: warning|error: ..." diagnostics (gcc, clang,
/// sparse), "Warning: path:line ..." (kernel-doc) and "path:line: WARNING:"
/// (Sphinx); paths are made relative to `src`.
pub fn diagnostics(output: &str, src: &str) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for raw in output.lines() {
        let line = raw.trim();
        let rest = line
            .strip_prefix("Warning: ")
            .or_else(|| line.strip_prefix("warning: "))
            .unwrap_or(line);
        let lower = line.to_ascii_lowercase();
        if !(lower.contains("warning") || lower.contains("error")) {
            continue;
        }
        let mut fields = rest.splitn(3, ':');
        let (Some(path), Some(num)) = (fields.next(), fields.next()) else { continue };
        let num = num.split_whitespace().next().unwrap_or("");
        let Ok(line_no) = num.parse::<u32>() else { continue };
        let file = relative(path, src);
        found.push(Diagnostic { file, line: line_no, text: line.to_string() });
    }
    found
}

/// Rust diagnostics: "warning|error: msg" followed by "--> path:line:col".
pub fn rust_diagnostics(output: &str, src: &str) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let mut pending: Option<String> = None;
    for line in output.lines() {
        if line.starts_with("warning") || line.starts_with("error") {
            let summary = line.starts_with("warning: ") && line.contains(" generated ");
            pending = (!summary).then(|| line.to_string());
        } else if let (Some(msg), Some(loc)) = (&pending, line.trim_start().strip_prefix("--> ")) {
            let mut f = loc.split(':');
            if let (Some(path), Some(Ok(n))) = (f.next(), f.next().map(str::parse::<u32>)) {
                found.push(Diagnostic { file: relative(path, src), line: n, text: format!("{msg} at {loc}") });
            }
            pending = None;
        }
    }
    found
}

fn relative(path: &str, src: &str) -> String {
    let p = path.trim();
    let p = p.strip_prefix(src).unwrap_or(p).trim_start_matches('/');
    // A build directory inside its source tree (kbuild.rs) names sources
    // "../mm/x.c"; one beside it named them "../linux-check/mm/x.c" (or
    // linux-base); an in-tree make "./mm/x.c".
    let p = p.trim_start_matches("../").trim_start_matches("./");
    for tree in ["linux-check/", "linux-base/"] {
        if let Some(i) = p.find(tree) {
            return p[i + tree.len()..].to_string();
        }
    }
    p.to_string()
}

/// The diagnostics that belong to the series.
pub fn attributable<'a>(diags: &'a [Diagnostic], touched: &Touched) -> Vec<&'a Diagnostic> {
    diags.iter().filter(|d| touched.covers(&d.file, d.line)).collect()
}

fn case_from(name: String, problems: &[&Diagnostic], secs: f64) -> Case {
    if problems.is_empty() {
        Case::new(name, Outcome::Pass, format!("{secs:.0}s"))
    } else {
        let list: Vec<&str> = problems.iter().map(|d| d.text.as_str()).collect();
        Case::new(name, Outcome::Fail, list.join(" | "))
    }
}

/// The make target that compiles a C file of the kernel (KVM's common code
/// is built from the architecture's kvm directory; the Rust helpers are
/// not translation units of their own: rust/helpers/helpers.c includes
/// them, after defining the `__rust_helper` they are written with).
fn make_target(c_file: &str) -> String {
    if c_file.starts_with("virt/kvm/") {
        "arch/x86/kvm/".to_string()
    } else if c_file.starts_with("rust/helpers/") {
        "rust/helpers/helpers.o".to_string()
    } else {
        c_file.trim_end_matches(".c").to_string() + ".o"
    }
}

fn is_kernel_source(f: &str) -> bool {
    !f.starts_with("tools/") && !f.starts_with("Documentation/") && !f.starts_with("scripts/")
}

/// A file of another architecture's tree, which an x86 build does not
/// compile (the series' arm64 KVM line is not built here).
fn built_on_x86(f: &str) -> bool {
    !f.starts_with("arch/") || f.starts_with("arch/x86/")
}

/// A diagnostic without its line: what stays the same when lines move.
pub fn signature(d: &Diagnostic) -> String {
    // "path:line[:col]: message" -> "message"
    let msg = d.text.splitn(4, ':').collect::<Vec<_>>();
    let text = match msg.as_slice() {
        [_, _, col, rest] if col.trim().parse::<u32>().is_ok() => rest.trim(),
        [_, _, rest @ ..] => return format!("{}: {}", d.file, rest.join(":").trim()),
        _ => d.text.as_str(),
    };
    format!("{}: {text}", d.file)
}

/// The diagnostics that count against the series: at a line it adds or
/// changes, or (as the 0-day bot compares) not among the base's
/// diagnostics of the same files and config, wherever they point.
pub fn new_diagnostics<'a>(tip: &'a [Diagnostic], base: &[Diagnostic], touched: &Touched) -> Vec<&'a Diagnostic> {
    let known: std::collections::BTreeSet<String> = base.iter().map(signature).collect();
    tip.iter().filter(|d| touched.covers(&d.file, d.line) || !known.contains(&signature(d))).collect()
}

/// One `make W=1 C=2 -k` of the given C files in `which`'s tree and build.
fn w1_sparse(ws: &Workspace, which: Kernel, files: &[&String]) -> Result<(bool, String)> {
    let targets: Vec<String> = files.iter().map(|f| make_target(f)).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    proc::probe(kbuild::make(ws, which).arg(kbuild::jobs()).args(["-k", "W=1", "C=2"]).args(&targets))
}

/// W=1 and sparse on every C file the series touches, in one make at the
/// tip and one on the base (the files the base has), one case per file.
fn c_warnings(ws: &Workspace, src: &str, touched: &Touched) -> Result<Vec<Case>> {
    let files: Vec<&String> = touched.files().filter(|f| f.ends_with(".c") && is_kernel_source(f) && built_on_x86(f)).collect();
    for f in touched.files().filter(|f| f.ends_with(".c") && !built_on_x86(f)) {
        info(format!("not checked with W=1 + sparse: {f} (another architecture's; only x86 is built here)"));
    }
    let step = Step::start(format!("W=1 + sparse (C=2) on the {} touched C file(s), tip and base", files.len()));
    let (ok, out) = w1_sparse(ws, Kernel::Check("default"), &files)?;
    let base_src = ws.source_dir(Kernel::Base);
    let in_base: Vec<&String> = files.iter().copied().filter(|f| base_src.join(f).is_file()).collect();
    let (base_ok, base_out) = w1_sparse(ws, Kernel::Base, &in_base)?;
    let secs = step.done();
    let base_diags = diagnostics(&base_out, &base_src.to_string_lossy());
    let diags: Vec<Diagnostic> = diagnostics(&out, src).into_iter().filter(|d| !by_design(d)).collect();
    let new = new_diagnostics(&diags, &base_diags, touched);
    let mut cases = Vec::new();
    for f in files {
        let name = format!("W=1 + sparse (C=2): no new warnings in {f}");
        if !ok && !new.iter().any(|d| &d.file == f) {
            cases.push(Case::new(name, Outcome::Fail, format!("make W=1 C=2 failed: {}", proc::last_lines(&out, 15))));
            continue;
        }
        let mine: Vec<&Diagnostic> = new.iter().copied().filter(|d| &d.file == f).collect();
        cases.push(case_from(name, &mine, secs));
    }
    if !base_ok {
        info(format!("note: make W=1 C=2 on the base ended non-zero: {}", proc::last_lines(&base_out, 5)));
    }
    Ok(cases)
}

/// Warnings W=1 and sparse give for every file of a kind, by the kernel's
/// design: rust/helpers/ functions are called from Rust through bindgen and
/// have no C prototype anywhere (every upstream helper warns the same way).
pub fn by_design(d: &Diagnostic) -> bool {
    d.file.starts_with("rust/helpers/")
        && (d.text.contains("-Wmissing-prototypes") || d.text.contains("was not declared. Should it be static?"))
}

fn kernel_doc(repo: &Path, src: &str, touched: &Touched) -> Result<Case> {
    let files: Vec<&String> = touched
        .files()
        .filter(|f| (f.ends_with(".c") || f.ends_with(".h")) && is_kernel_source(f))
        .collect();
    let step = Step::start(format!("kernel-doc -Wall on {} touched source file(s)", files.len()));
    let (ok, out) = proc::probe(
        Command::new(repo.join("scripts/kernel-doc"))
            .current_dir(repo)
            .args(["-none", "-Wall"])
            .args(files.iter().map(|s| s.as_str())),
    )?;
    let secs = step.done();
    let name = "kernel-doc -Wall: no warnings on lines the series adds";
    if !ok {
        return Ok(Case::new(name, Outcome::Fail, format!("scripts/kernel-doc exited non-zero: {}", proc_tail(&out))));
    }
    let diags = diagnostics(&out, src);
    Ok(case_from(name.into(), &attributable(&diags, touched), secs))
}

/// The Sphinx books (SPHINXDIRS) holding the documents the series
/// touches: the directory of each touched `.rst` under Documentation/.
fn sphinx_dirs(touched: &Touched) -> Vec<String> {
    let dirs: std::collections::BTreeSet<String> = touched
        .files()
        .filter(|f| f.ends_with(".rst"))
        .filter_map(|f| f.strip_prefix("Documentation/"))
        .filter_map(|f| f.rsplit_once('/').map(|(dir, _)| dir.to_string()))
        .collect();
    dirs.into_iter().collect()
}

fn docs(ws: &Workspace, repo: &Path, src: &str, touched: &Touched) -> Result<Case> {
    let out_dir = ws.build_dir().join("out-docs");
    let books = sphinx_dirs(touched).join(" ");
    let step = Step::start(format!("Sphinx: make htmldocs SPHINXDIRS=\"{books}\""));
    let path = format!("{}:{}", ws.venv().join("bin").display(), std::env::var("PATH").unwrap_or_default());
    let (ok, out) = proc::probe(
        Command::new("make")
            .current_dir(repo)
            .arg(format!("O={}", out_dir.display()))
            .arg(format!("SPHINXDIRS={books}"))
            .arg("htmldocs")
            .env("PATH", path),
    )?;
    let secs = step.done();
    let name = format!("Sphinx htmldocs ({books}): no warnings from the series' documents");
    if !ok {
        return Ok(Case::new(name, Outcome::Fail, format!("make htmldocs failed: {}", proc_tail(&out))));
    }
    // The v6.18.15 edition's own document of the struct.
    if touched.files().any(|f| f == "Documentation/mm/vm_uffd_ops.rst") {
        let page = out_dir.join("Documentation/output/mm/vm_uffd_ops.html");
        let html = std::fs::read_to_string(&page).unwrap_or_default();
        if !html.contains("get_folio_noalloc") {
            return Ok(Case::new(name, Outcome::Fail, format!("{} lacks the struct's kernel-doc", page.display())));
        }
    }
    // By line, like code: a partial build (SPHINXDIRS) leaves cross
    // references to other books unresolved in lines the series does not touch.
    let diags = diagnostics(&out, src);
    let problems = attributable(&diags, touched);
    Ok(case_from(name, &problems, secs))
}

fn proc_tail(out: &str) -> String {
    proc::last_lines(out, 10)
}

/// Rust: rustfmt, clippy and rustdoc clean for the series' Rust code.
fn rust_checks(ws: &Workspace, src: &str, touched: &Touched) -> Result<Vec<Case>> {
    let mut cases = Vec::new();
    let step = Step::start("make rustfmtcheck");
    let (ok, out) = proc::probe(kbuild::make(ws, Kernel::Check("default")).arg("rustfmtcheck"))?;
    let secs = step.done();
    let unformatted: Vec<&str> = out.lines().filter(|l| l.starts_with("Diff in ")).collect();
    cases.push(if ok {
        Case::new("make rustfmtcheck", Outcome::Pass, format!("{secs:.0}s"))
    } else {
        Case::new("make rustfmtcheck", Outcome::Fail, format!("{} | {}", unformatted.join(" | "), proc_tail(&out)))
    });

    // The kernel crate (where rust/kernel/mm/ lives) and the sample, with
    // clippy as the compiler driver.
    let step = Step::start("CLIPPY=1: rust/kernel.o and the Rust sample");
    let (ok, out) = proc::probe(
        kbuild::make(ws, Kernel::Check("default"))
            .arg(kbuild::jobs())
            .args(["CLIPPY=1", "rust/kernel.o", "samples/rust/rust_uffd_mem.o"]),
    )?;
    let secs = step.done();
    let diags = rust_diagnostics(&out, src);
    let mine = attributable(&diags, touched);
    cases.push(if ok {
        case_from("CLIPPY=1 build: no lints in the series' Rust code".into(), &mine, secs)
    } else {
        Case::new("CLIPPY=1 build: no lints in the series' Rust code", Outcome::Fail, proc_tail(&out))
    });

    let step = Step::start("make rustdoc");
    let (ok, out) = proc::probe(kbuild::make(ws, Kernel::Check("default")).arg("rustdoc"))?;
    let secs = step.done();
    let doc = ws.out_dir(Kernel::Check("default")).join("Documentation/output/rust/rustdoc/kernel/mm/userfaultfd/index.html");
    let diags = rust_diagnostics(&out, src);
    let mine = attributable(&diags, touched);
    cases.push(if !ok {
        Case::new("make rustdoc builds the new docs", Outcome::Fail, proc_tail(&out))
    } else if !doc.is_file() {
        Case::new("make rustdoc builds the new docs", Outcome::Fail, format!("{} missing", doc.display()))
    } else {
        case_from("make rustdoc builds the new docs".into(), &mine, secs)
    });
    Ok(cases)
}

/// The undefined symbols of the memory-type modules: printed, and none below the API.
fn module_symbols(ws: &Workspace, adds: &dyn Fn(&str) -> bool) -> Result<Vec<Case>> {
    let mut cases = Vec::new();
    for (ko, source) in MEMTYPE_MODULES {
        if !adds(source) {
            continue;
        }
        let path = ws.out_dir(Kernel::Check("default")).join(ko);
        let name = format!("{ko}: no page-table-level or fill-internal symbol among its undefined symbols");
        if !path.is_file() {
            cases.push(Case::new(name, Outcome::Fail, format!("{} was not built", path.display())));
            continue;
        }
        // Demangled (-C): a Rust v0 symbol's hash could contain "pte" by chance.
        let out = proc::output(Command::new(format!("llvm-nm-{}", ws.edition.llvm)).args(["-u", "-C"]).arg(&path))?;
        let symbols: Vec<&str> = out.lines().filter_map(|l| l.trim_start().strip_prefix("U ")).map(str::trim).collect();
        info(format!("{ko} uses {} kernel symbol(s): {}", symbols.len(), symbols.join(", ")));
        let bad = forbidden_symbols(&symbols);
        cases.push(if bad.is_empty() {
            Case::new(name, Outcome::Pass, format!("{} symbols", symbols.len()))
        } else {
            Case::new(name, Outcome::Fail, bad.join(" "))
        });
    }
    Ok(cases)
}

pub fn forbidden_symbols<'a>(symbols: &[&'a str]) -> Vec<&'a str> {
    symbols
        .iter()
        .copied()
        .filter(|s| FORBIDDEN_SYMBOL_PARTS.iter().any(|p| s.to_ascii_lowercase().contains(p)))
        .collect()
}

/// Counts non-blank lines and `unsafe` tokens outside comments.
pub fn rust_policy(text: &str) -> (usize, usize) {
    let mut lines = 0;
    let mut unsafe_tokens = 0;
    for l in text.lines() {
        let code = l.split("//").next().unwrap_or("");
        if !l.trim().is_empty() {
            lines += 1;
        }
        unsafe_tokens += code
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| *w == "unsafe")
            .count();
    }
    (lines, unsafe_tokens)
}

fn sample_policy(repo: &Path) -> Result<Case> {
    let text = crate::fsx::read_to_string(repo.join(RUST_SAMPLE))?;
    let (lines, unsafe_tokens) = rust_policy(&text);
    let total = text.lines().count();
    info(format!("{RUST_SAMPLE}: {total} lines ({lines} non-blank), {unsafe_tokens} `unsafe`"));
    let name = format!("{RUST_SAMPLE} has no unsafe code");
    Ok(if unsafe_tokens == 0 {
        Case::new(name, Outcome::Pass, format!("{total} lines"))
    } else {
        Case::new(name, Outcome::Fail, format!("{unsafe_tokens} `unsafe` in {total} lines"))
    })
}

/// The tip in each config variant, each result kept by the tip's tree and
/// the merged config (cache.rs).
fn matrix(ws: &Workspace, tip_tree: &str) -> Result<Vec<Case>> {
    let mut cases = Vec::new();
    for variant in matrix_of(ws) {
        let fragments = crate::check::variant_fragments(ws, variant);
        let key = cache::key(ws, "matrix build", &[tip_tree, &cache::fragments_text(&fragments)?])?;
        let what = format!("tip build, config variant {variant}");
        cases.extend(cache::cached(ws, &key, &what, || {
            let step = Step::start(&what);
            let res = kbuild::build_kernel(ws, Kernel::Check(variant), &fragments);
            let secs = step.done();
            let name = format!("tip builds with config variant {variant}");
            Ok(vec![match res {
                Ok(()) => Case::new(name, Outcome::Pass, format!("{secs:.0}s")),
                Err(e) => Case::new(name, Outcome::Fail, e.to_string()),
            }])
        })?);
    }
    Ok(cases)
}

/// MAINTAINERS: `get_maintainer.pl --self-test=patterns` reports nothing on
/// the lines the series adds, and each patch's recipients are printed.
fn maintainers(ws: &Workspace, repo: &Path, touched: &Touched) -> Result<Case> {
    let step = Step::start("get_maintainer.pl: --self-test=patterns, recipients per patch");
    let (ok, out) = proc::probe(
        Command::new("perl").arg(repo.join("scripts/get_maintainer.pl")).arg("--self-test=patterns").current_dir(repo),
    )?;
    let name = "get_maintainer.pl --self-test=patterns: the series' MAINTAINERS lines match files";
    if !ok {
        return Ok(Case::new(name, Outcome::Fail, format!("get_maintainer.pl --self-test exited non-zero: {}", proc_tail(&out))));
    }
    // "./MAINTAINERS:123: warning: no file matches	F:	path"
    let problems: Vec<&str> = out
        .lines()
        .filter(|l| {
            let rest = l.trim_start_matches("./");
            let mut f = rest.splitn(3, ':');
            matches!((f.next(), f.next().and_then(|n| n.parse::<u32>().ok())),
                (Some(file), Some(n)) if touched.covers(file, n))
        })
        .collect();
    for p in crate::tree::patch_files(ws)? {
        let (ok, who) = proc::probe(
            Command::new("perl")
                .arg(repo.join("scripts/get_maintainer.pl"))
                .args(["--nogit", "--nogit-fallback", "--norolestats", "--nomultiline", "--separator", ", "])
                .arg(&p)
                .current_dir(repo),
        )?;
        let patch = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !ok {
            return Ok(Case::new(name, Outcome::Fail, format!("get_maintainer.pl on {patch} exited non-zero: {}", proc_tail(&who))));
        }
        info(format!("{patch}: {}", who.trim()));
    }
    let secs = step.done();
    Ok(if problems.is_empty() {
        Case::new(name, Outcome::Pass, format!("{secs:.0}s"))
    } else {
        Case::new(name, Outcome::Fail, problems.join(" | "))
    })
}

/// Runs the build-bot checks on the check worktree, which must be at the
/// tip; their results are kept by the tip's and the base's trees and the
/// config (cache.rs), the matrix builds' each by their own config.
pub fn buildbot(ws: &Workspace, repo: &Path) -> Result<Vec<Case>> {
    let tip_tree = cache::tree_id(repo, "HEAD")?;
    let base_tree = cache::tree_id(repo, ws.edition.tag)?;
    let fragments = crate::check::variant_fragments(ws, "default");
    let key = cache::key(ws, "build-bot checks", &[&tip_tree, &base_tree, &cache::fragments_text(&fragments)?])?;
    let mut cases = cache::cached(ws, &key, "build-bot checks at the tip", || tip_checks(ws, repo))?;
    cases.extend(matrix(ws, &tip_tree)?);
    Ok(cases)
}

fn tip_checks(ws: &Workspace, repo: &Path) -> Result<Vec<Case>> {
    let src = repo.to_string_lossy().into_owned();
    let diff = proc::output(git(repo).args(["diff", "-U0", "--no-color", &format!("{}..HEAD", ws.edition.tag)]))?;
    let touched = Touched::from_diff(&diff);
    // The tip in the default config, prepared for single-object builds,
    // and the base in the same config, for the warnings' comparison.
    kbuild::build_kernel(ws, Kernel::Check("default"), &crate::check::variant_fragments(ws, "default"))?;
    crate::tree::ensure_worktree(ws, &ws.linux_base())?;
    kbuild::build_kernel(ws, Kernel::Base, &ws.config_fragments(Kernel::Base))?;
    // The checks of what the series adds run when it adds it (the
    // mainline edition has no memory-type module, Rust or document yet).
    let adds = |f: &str| touched.files().any(|t| t == f);
    let mut cases = module_symbols(ws, &adds)?;
    if adds(RUST_SAMPLE) {
        cases.push(sample_policy(repo)?);
    }
    cases.extend(c_warnings(ws, &src, &touched)?);
    cases.push(kernel_doc(repo, &src, &touched)?);
    cases.push(maintainers(ws, repo, &touched)?);
    if touched.files().any(|f| f.starts_with("Documentation/")) {
        cases.push(docs(ws, repo, &src, &touched)?);
    } else {
        info("the series changes no document: no htmldocs build");
    }
    if touched.files().any(|f| f.ends_with(".rs")) {
        cases.extend(rust_checks(ws, &src, &touched)?);
    } else {
        info("the series changes no Rust code: no rustfmt, clippy or rustdoc run");
    }
    Ok(cases)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIFF: &str = "diff --git a/mm/a.c b/mm/a.c\n--- a/mm/a.c\n+++ b/mm/a.c\n@@ -10,0 +11,3 @@ f\n+x\n@@ -40 +43 @@ g\n-y\n+z\n@@ -50,2 +52,0 @@\n-q\n\
diff --git a/lib/new.c b/lib/new.c\nnew file mode 100644\n--- /dev/null\n+++ b/lib/new.c\n@@ -0,0 +1,20 @@\n+a\n";

    #[test]
    fn touched_lines_from_a_zero_context_diff() {
        let t = Touched::from_diff(DIFF);
        assert!(t.covers("mm/a.c", 11) && t.covers("mm/a.c", 13) && !t.covers("mm/a.c", 14));
        assert!(t.covers("mm/a.c", 43) && !t.covers("mm/a.c", 52));
        assert!(t.covers("lib/new.c", 1) && t.covers("lib/new.c", 20) && !t.covers("lib/new.c", 21));
        assert!(!t.covers("mm/other.c", 11));
    }

    #[test]
    fn compiler_sparse_and_kerneldoc_diagnostics_are_attributed_by_line() {
        let out = "/w/linux-check/mm/a.c:12:5: warning: unused variable 'x' [-Wunused-variable]\n\
                   ../linux-check/mm/a.c:30:1: warning: symbol 'f' was not declared. Should it be static?\n\
                   Warning: lib/new.c:7 function parameter 'p' not described in 'g'\n\
                   /w/linux-check/Documentation/mm/x.rst:3: WARNING: Title underline too short.\n\
                     CC      mm/a.o\n";
        let d = diagnostics(out, "/w/linux-check");
        assert_eq!(d.len(), 4);
        assert_eq!((d[0].file.as_str(), d[0].line), ("mm/a.c", 12));
        assert_eq!((d[1].file.as_str(), d[1].line), ("mm/a.c", 30));
        assert_eq!((d[2].file.as_str(), d[2].line), ("lib/new.c", 7));
        assert_eq!(d[3].file, "Documentation/mm/x.rst");
        let t = Touched::from_diff(DIFF);
        let mine: Vec<u32> = attributable(&d, &t).iter().map(|d| d.line).collect();
        assert_eq!(mine, vec![12, 7]);
    }

    /// The build directory inside the tree: kbuild passes sources as
    /// "../mm/userfaultfd.c" (out/mm/.userfaultfd.o.cmd of a tip build), and
    /// clang and sparse name them as given.
    #[test]
    fn diagnostics_of_a_build_directory_inside_the_tree() {
        let out = "../mm/a.c:12:5: warning: unused variable 'x' [-Wunused-variable]\n\
                   ../include/linux/userfaultfd_k.h:40:1: warning: symbol 'g' was not declared. Should it be static?\n";
        let d = diagnostics(out, "/w/linux-check");
        assert_eq!((d[0].file.as_str(), d[0].line), ("mm/a.c", 12));
        assert_eq!(d[1].file, "include/linux/userfaultfd_k.h");
        let mine: Vec<u32> = attributable(&d, &Touched::from_diff(DIFF)).iter().map(|d| d.line).collect();
        assert_eq!(mine, vec![12]);
    }

    #[test]
    fn sphinx_builds_the_books_of_the_touched_documents() {
        let diff = "diff --git a/Documentation/virt/kvm/api.rst b/Documentation/virt/kvm/api.rst\n\
                    --- a/Documentation/virt/kvm/api.rst\n+++ b/Documentation/virt/kvm/api.rst\n@@ -6470,0 +6471,2 @@\n+a\n+b\n\
                    diff --git a/mm/a.c b/mm/a.c\n--- a/mm/a.c\n+++ b/mm/a.c\n@@ -1,0 +2 @@\n+x\n";
        assert_eq!(sphinx_dirs(&Touched::from_diff(diff)), vec!["virt/kvm".to_string()]);
    }

    #[test]
    fn other_architectures_files_are_not_built_on_x86() {
        assert!(built_on_x86("mm/userfaultfd.c") && built_on_x86("arch/x86/kvm/mmu/mmu.c"));
        assert!(!built_on_x86("arch/arm64/kvm/mmu.c"));
    }

    /// W=1 on the base and the tip: a warning the series causes at a line
    /// it does not touch (an unused variable left when it removes the last
    /// use) is new; the base's own warning, moved by the series' lines, is not.
    #[test]
    fn warnings_are_compared_with_the_base_as_sets() {
        let base = diagnostics(
            "/w/linux-base/mm/a.c:100:1: warning: no previous prototype for function 'old' [-Wmissing-prototypes]\n",
            "/w/linux-base",
        );
        let tip = diagnostics(
            "/w/linux-check/mm/a.c:103:1: warning: no previous prototype for function 'old' [-Wmissing-prototypes]\n\
             /w/linux-check/mm/a.c:60:6: warning: unused variable 'n' [-Wunused-variable]\n",
            "/w/linux-check",
        );
        let t = Touched::from_diff(DIFF);
        let new: Vec<u32> = new_diagnostics(&tip, &base, &t).iter().map(|d| d.line).collect();
        assert_eq!(new, vec![60]);
        assert!(attributable(&tip, &t).is_empty(), "by line alone both would pass");
    }

    #[test]
    fn rust_diagnostics_take_their_location_from_the_arrow_line() {
        let out = "warning: unsafe block missing a safety comment\n  --> rust/kernel/mm/folio.rs:42:9\n   |\n\
                   warning: 1 warning generated\n\
                   error[E0308]: mismatched types\n --> samples/rust/x.rs:3:1\n";
        let d = rust_diagnostics(out, "/w/linux-check");
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].file.as_str(), d[0].line), ("rust/kernel/mm/folio.rs", 42));
        assert_eq!(d[1].file, "samples/rust/x.rs");
    }

    #[test]
    fn page_table_symbols_are_forbidden_in_a_memory_type_module() {
        let syms = ["filemap_add_folio", "__pte_offset_map", "handle_userfault", "folio_unlock", "pmd_clear_bad"];
        assert_eq!(forbidden_symbols(&syms), vec!["__pte_offset_map", "handle_userfault", "pmd_clear_bad"]);
    }

    #[test]
    fn rust_helpers_are_compiled_through_helpers_c() {
        assert_eq!(make_target("rust/helpers/folio.c"), "rust/helpers/helpers.o");
        assert_eq!(make_target("rust/helpers/helpers.c"), "rust/helpers/helpers.o");
        assert_eq!(make_target("mm/userfaultfd.c"), "mm/userfaultfd.o");
        assert_eq!(make_target("virt/kvm/guest_memfd.c"), "arch/x86/kvm/");
    }

    #[test]
    fn rust_helpers_need_no_prototype() {
        let d = diagnostics(
            "/w/linux-check/rust/helpers/folio.c:7:6: warning: no previous prototype for function 'rust_helper_folio_get' [-Wmissing-prototypes]\n\
             /w/linux-check/rust/helpers/folio.c:8:6: warning: symbol 'rust_helper_folio_put' was not declared. Should it be static?\n\
             /w/linux-check/rust/helpers/folio.c:9:1: warning: unused variable 'x' [-Wunused-variable]\n",
            "/w/linux-check",
        );
        let kept: Vec<u32> = d.iter().filter(|d| !by_design(d)).map(|d| d.line).collect();
        assert_eq!(kept, vec![9]);
    }

    #[test]
    fn unsafe_in_comments_does_not_count() {
        let text = "// no unsafe here\nfn f() {}\n\nunsafe fn g() {}\n";
        assert_eq!(rust_policy(text), (3, 1));
    }
}
