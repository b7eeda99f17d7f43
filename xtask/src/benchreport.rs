//! Reading uffd-bench's output and turning it into tables: parsing, median
//! and spread of the rounds, ratios, the Markdown tables and the targets.

use std::collections::HashMap;

/// Memory types, operations and paths, in table order (uffd-bench's names).
pub const TYPES: [&str; 4] = ["anon", "shmem", "hugetlb", "rust"];
pub const OPS: [&str; 3] = ["copy", "zeropage", "continue"];
pub const PATHS: [&str; 3] = ["ioctl", "fault", "nouffd"];

/// Targets: tip/base on anon, shmem, hugetlb; the Rust sample vs shmem.
pub const TIP_TARGET: f64 = 0.01;
pub const RUST_TARGET: f64 = 0.05;

/// A measured combination: (memory type, operation, path).
pub type Cell = (String, String, String);

fn cell(t: &str, o: &str, p: &str) -> Cell {
    (t.to_string(), o.to_string(), p.to_string())
}

/// One line of uffd-bench output.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Sample { cell: Cell, ns: f64, insns: Option<f64> },
    NotApplicable { cell: Cell, reason: String },
    Error(String),
}

/// `key=value` words; `reason=` takes the rest of the line.
fn fields(rest: &str) -> HashMap<&str, &str> {
    let mut m = HashMap::new();
    let mut s = rest.trim();
    while !s.is_empty() {
        let Some((key, after)) = s.split_once('=') else {
            break;
        };
        if key == "reason" {
            m.insert(key, after.trim());
            break;
        }
        let (value, next) = after.split_once(' ').unwrap_or((after, ""));
        m.insert(key, value);
        s = next.trim_start();
    }
    m
}

/// Parses uffd-bench's output; other lines (the guest's own) are ignored.
pub fn parse(output: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    for l in output.lines().map(str::trim) {
        let Some((kind, rest)) = l.split_once(' ') else {
            continue;
        };
        if !matches!(kind, "bench" | "bench-na" | "bench-error") {
            continue;
        }
        let f = fields(rest);
        let c = match (f.get("type"), f.get("op"), f.get("path")) {
            (Some(t), Some(o), Some(p)) => cell(t, o, p),
            _ => {
                lines.push(Line::Error(format!("unreadable line: {l}")));
                continue;
            }
        };
        lines.push(match kind {
            "bench" => match f.get("ns").and_then(|v| v.parse::<f64>().ok()) {
                Some(ns) => Line::Sample { cell: c, ns, insns: f.get("insns").and_then(|v| v.parse().ok()) },
                None => Line::Error(format!("no ns= value: {l}")),
            },
            "bench-na" => Line::NotApplicable { cell: c, reason: f.get("reason").unwrap_or(&"").to_string() },
            _ => Line::Error(format!("{} {} {}: {}", c.0, c.1, c.2, f.get("reason").unwrap_or(&"failed"))),
        });
    }
    lines
}

/// Everything measured for one kernel with one clock, over all its runs.
#[derive(Default, Debug)]
pub struct Measured {
    pub ns: HashMap<Cell, Vec<f64>>,
    pub insns: HashMap<Cell, Vec<f64>>,
    pub na: HashMap<Cell, String>,
}

impl Measured {
    pub fn add(&mut self, lines: &[Line]) {
        for l in lines {
            match l {
                Line::Sample { cell, ns, insns } => {
                    self.ns.entry(cell.clone()).or_default().push(*ns);
                    if let Some(i) = insns {
                        self.insns.entry(cell.clone()).or_default().push(*i);
                    }
                }
                Line::NotApplicable { cell, reason } => {
                    self.na.insert(cell.clone(), reason.clone());
                }
                Line::Error(_) => {}
            }
        }
    }
}

/// Median and quartiles of a measurement's rounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub median: f64,
    pub q1: f64,
    pub q3: f64,
    pub n: usize,
}

/// The `p` quantile of sorted values, interpolating between neighbours.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let pos = (sorted.len() - 1) as f64 * p;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

impl Stats {
    pub fn of(values: &[f64]) -> Option<Stats> {
        if values.is_empty() {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        Some(Stats { median: quantile(&v, 0.5), q1: quantile(&v, 0.25), q3: quantile(&v, 0.75), n: v.len() })
    }

    /// The interquartile range relative to the median: how far apart the
    /// middle half of the rounds were (one preempted round does not count).
    pub fn spread(&self) -> f64 {
        if self.median == 0.0 {
            0.0
        } else {
            (self.q3 - self.q1) / self.median
        }
    }
}

/// `a / b` of the medians.
pub fn ratio(a: &Stats, b: &Stats) -> f64 {
    a.median / b.median
}

fn fmt_ns(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn fmt_ratio(r: f64) -> String {
    format!("{r:.4} ({:+.2}%)", (r - 1.0) * 100.0)
}

fn fmt_pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn op_label(op: &str) -> String {
    format!("UFFDIO_{}", op.to_uppercase())
}

fn path_label(path: &str) -> &'static str {
    match path {
        "ioctl" => "ioctl only",
        "fault" => "round trip",
        _ => "no uffd (ref.)",
    }
}

/// Which of the two numbers a table shows.
#[derive(Clone, Copy)]
pub enum Metric {
    Ns,
    Insns,
}

fn values(m: &Measured, metric: Metric) -> &HashMap<Cell, Vec<f64>> {
    match metric {
        Metric::Ns => &m.ns,
        Metric::Insns => &m.insns,
    }
}

/// The not-applicable reason of (type, op), if any kernel gives one.
fn na_reason<'a>(sets: &[&'a Measured], t: &str, o: &str) -> Option<&'a str> {
    let c = cell(t, o, PATHS[0]);
    sets.iter()
        .find_map(|m| m.na.get(&c).map(String::as_str))
        .filter(|_| sets.iter().all(|m| !m.ns.keys().any(|k| k.0 == t && k.1 == o)))
}

/// Markdown table: per memory type × operation × path, base, tip, tip/base.
pub fn comparison_table(base: &Measured, tip: &Measured, metric: Metric, unit: &str) -> String {
    let mut s = format!(
        "| memory | operation | path | base {unit} | tip {unit} | tip/base | spread (IQR) base / tip |\n\
         |---|---|---|--:|--:|--:|--:|\n"
    );
    for t in TYPES {
        for o in OPS {
            if let Some(why) = na_reason(&[base, tip], t, o) {
                s.push_str(&format!("| {t} | {} | all | n/a | n/a | n/a | {why} |\n", op_label(o)));
                continue;
            }
            for p in PATHS {
                let c = cell(t, o, p);
                let b = values(base, metric).get(&c).and_then(|v| Stats::of(v));
                let x = values(tip, metric).get(&c).and_then(|v| Stats::of(v));
                if b.is_none() && x.is_none() {
                    continue;
                }
                let show = |st: &Option<Stats>| st.map(|st| fmt_ns(st.median)).unwrap_or_else(|| "—".into());
                let spread = |st: &Option<Stats>| st.map(|st| fmt_pct(st.spread())).unwrap_or_else(|| "—".into());
                let r = match (&b, &x) {
                    (Some(b), Some(x)) => fmt_ratio(ratio(x, b)),
                    (None, Some(_)) => "tip only".into(),
                    _ => "—".into(),
                };
                s.push_str(&format!(
                    "| {t} | {} | {} | {} | {} | {r} | {} / {} |\n",
                    op_label(o),
                    path_label(p),
                    show(&b),
                    show(&x),
                    spread(&b),
                    spread(&x)
                ));
            }
        }
    }
    s
}

/// Markdown table: the Rust sample against shmem on one kernel.
pub fn rust_vs_shmem_table(m: &Measured, unit: &str) -> String {
    let mut s = format!("| operation | path | shmem {unit} | rust {unit} | rust/shmem |\n|---|---|--:|--:|--:|\n");
    for o in OPS {
        for p in PATHS {
            let sh = m.ns.get(&cell("shmem", o, p)).and_then(|v| Stats::of(v));
            let ru = m.ns.get(&cell("rust", o, p)).and_then(|v| Stats::of(v));
            if let (Some(sh), Some(ru)) = (sh, ru) {
                s.push_str(&format!(
                    "| {} | {} | {} | {} | {} |\n",
                    op_label(o),
                    path_label(p),
                    fmt_ns(sh.median),
                    fmt_ns(ru.median),
                    fmt_ratio(ratio(&ru, &sh))
                ));
            }
        }
    }
    s
}

/// One target of the issue, checked against the icount numbers.
#[derive(Debug, PartialEq)]
pub struct Target {
    pub what: String,
    /// None: not measured (e.g. a kernel missing).
    pub met: Option<bool>,
    pub misses: Vec<String>,
}

fn target(what: String, ratios: Vec<(String, f64)>, ok: impl Fn(f64) -> bool) -> Target {
    let misses: Vec<String> =
        ratios.iter().filter(|(_, r)| !ok(*r)).map(|(label, r)| format!("{label}: {}", fmt_ratio(*r))).collect();
    Target { what, met: (!ratios.is_empty()).then_some(misses.is_empty()), misses }
}

fn stats(m: &Measured, c: &Cell) -> Option<Stats> {
    m.ns.get(c).and_then(|v| Stats::of(v))
}

/// The ratio targets, ioctl only and round trip: tip/base within 1% on
/// anon, shmem and hugetlb; the Rust sample no more than 5% slower than
/// shmem for COPY and CONTINUE.
pub fn ratio_targets(base: &Measured, tip: &Measured) -> Vec<Target> {
    let mut tip_base = Vec::new();
    let mut rust_shmem = Vec::new();
    for o in OPS {
        for p in ["ioctl", "fault"] {
            let label = format!("{} {}", op_label(o), path_label(p));
            for t in ["anon", "shmem", "hugetlb"] {
                if let (Some(b), Some(x)) = (stats(base, &cell(t, o, p)), stats(tip, &cell(t, o, p))) {
                    tip_base.push((format!("{t} {label}"), ratio(&x, &b)));
                }
            }
            if let (Some(sh), Some(ru)) = (stats(tip, &cell("shmem", o, p)), stats(tip, &cell("rust", o, p))) {
                if o != "zeropage" {
                    rust_shmem.push((label, ratio(&ru, &sh)));
                }
            }
        }
    }
    vec![
        target(
            format!("tip/base within {:.0}% (icount) for anon, shmem, hugetlb, ioctl only and round trip", TIP_TARGET * 100.0),
            tip_base,
            |r| (r - 1.0).abs() <= TIP_TARGET,
        ),
        target(
            format!(
                "Rust sample within {:.0}% of shmem (rust/shmem ≤ {:.2}, icount, tip) for COPY and CONTINUE, ioctl only and round trip",
                RUST_TARGET * 100.0,
                1.0 + RUST_TARGET
            ),
            rust_shmem,
            |r| r <= 1.0 + RUST_TARGET,
        ),
    ]
}

/// The targets as a Markdown list.
pub fn target_lines(targets: &[Target]) -> String {
    let mut s = String::new();
    for t in targets {
        let verdict = match t.met {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "not measured",
        };
        s.push_str(&format!("- {}: **{verdict}**\n", t.what));
        for m in &t.misses {
            s.push_str(&format!("  - {m}\n"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUT: &str = "XTASK-READY 6.18.15\n\
        bench-info clock=monotonic rounds=2 pages=2048 hugepages=64 insns=none\n\
        bench type=shmem op=copy path=ioctl round=0 pages=2048 ns=5000.0 insns=-\n\
        bench type=shmem op=copy path=ioctl round=1 pages=2048 ns=5100.0 insns=4990.5\n\
        bench-na type=anon op=continue path=ioctl reason=MINOR mode needs a page cache; anonymous memory has none\n\
        [   12.3] some kernel line\n";

    #[test]
    fn output_lines_are_parsed() {
        let l = parse(OUT);
        assert_eq!(l.len(), 3);
        assert_eq!(l[0], Line::Sample { cell: cell("shmem", "copy", "ioctl"), ns: 5000.0, insns: None });
        assert_eq!(l[1], Line::Sample { cell: cell("shmem", "copy", "ioctl"), ns: 5100.0, insns: Some(4990.5) });
        assert_eq!(
            l[2],
            Line::NotApplicable {
                cell: cell("anon", "continue", "ioctl"),
                reason: "MINOR mode needs a page cache; anonymous memory has none".into()
            }
        );
    }

    #[test]
    fn errors_and_broken_lines_are_errors() {
        let l =
            parse("bench-error type=rust op=copy path=fault reason=fault handler: Bad address\nbench type=x ns=1\n");
        assert_eq!(l[0], Line::Error("rust copy fault: fault handler: Bad address".into()));
        assert!(matches!(&l[1], Line::Error(e) if e.starts_with("unreadable line")));
        let l = parse("bench type=a op=b path=c round=0 ns=oops\n");
        assert!(matches!(&l[0], Line::Error(e) if e.starts_with("no ns=")));
    }

    #[test]
    fn median_and_spread() {
        let s = Stats::of(&[3.0, 1.0, 2.0, 5.0, 4.0]).unwrap();
        assert_eq!((s.median, s.q1, s.q3, s.n), (3.0, 2.0, 4.0, 5));
        assert!((s.spread() - 2.0 / 3.0).abs() < 1e-12);
        let s = Stats::of(&[4.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!((s.median, s.q1, s.q3), (2.5, 1.75, 3.25));
        // One wild round moves neither the median nor the spread much.
        let s = Stats::of(&[100.0, 101.0, 99.0, 100.0, 5000.0]).unwrap();
        assert_eq!((s.median, s.spread()), (100.0, 0.01));
        assert!(Stats::of(&[]).is_none());
        assert_eq!(Stats::of(&[7.0]).unwrap().spread(), 0.0);
        assert_eq!(Stats::of(&[0.0]).unwrap().spread(), 0.0);
    }

    #[test]
    fn ratio_and_its_format() {
        let b = Stats::of(&[1000.0]).unwrap();
        let t = Stats::of(&[1012.0]).unwrap();
        assert_eq!(fmt_ratio(ratio(&t, &b)), "1.0120 (+1.20%)");
        assert_eq!(fmt_ratio(ratio(&b, &t)), "0.9881 (-1.19%)");
    }

    fn measured(lines: &str) -> Measured {
        let mut m = Measured::default();
        m.add(&parse(lines));
        m
    }

    #[test]
    fn table_shows_ratios_na_and_tip_only_rows() {
        let base = measured(
            "bench type=anon op=copy path=ioctl round=0 ns=1000\nbench type=anon op=copy path=ioctl round=1 ns=1010\n\
             bench-na type=anon op=continue path=ioctl reason=no page cache\n\
             bench-na type=rust op=copy path=ioctl reason=cannot create a rust object: No such file or directory\n",
        );
        let tip = measured(
            "bench type=anon op=copy path=ioctl round=0 ns=1010\nbench type=anon op=copy path=ioctl round=1 ns=1010\n\
             bench-na type=anon op=continue path=ioctl reason=no page cache\n\
             bench type=rust op=copy path=ioctl round=0 ns=900\n",
        );
        let t = comparison_table(&base, &tip, Metric::Ns, "ns");
        assert!(t.contains("| anon | UFFDIO_COPY | ioctl only | 1005 | 1010 | 1.0050 (+0.50%) | 0.5% / 0.0% |"), "{t}");
        assert!(t.contains("| anon | UFFDIO_CONTINUE | all | n/a | n/a | n/a | no page cache |"), "{t}");
        assert!(t.contains("| rust | UFFDIO_COPY | ioctl only | — | 900 | tip only |"), "{t}");
    }

    #[test]
    fn targets_report_misses() {
        let base =
            measured("bench type=shmem op=copy path=ioctl ns=1000\nbench type=shmem op=copy path=fault ns=1000\n");
        let tip = measured(
            "bench type=shmem op=copy path=ioctl ns=1005\nbench type=shmem op=copy path=fault ns=1020\n\
             bench type=rust op=copy path=ioctl ns=1040\nbench type=rust op=copy path=fault ns=1100\n",
        );
        let t = ratio_targets(&base, &tip);
        assert_eq!(t[0].met, Some(false));
        assert_eq!(t[0].misses, vec!["shmem UFFDIO_COPY round trip: 1.0200 (+2.00%)".to_string()]);
        assert_eq!(t[1].met, Some(false));
        assert_eq!(t[1].misses.len(), 1);
        assert!(t[1].misses[0].starts_with("UFFDIO_COPY round trip: 1.0784"));
        assert_eq!(ratio_targets(&Measured::default(), &Measured::default())[0].met, None);
    }
}
