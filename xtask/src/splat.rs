//! Kernel splat detection in a console log.  Any of these in the guest's
//! kernel log fails a VM run, whatever the test programs said.

/// Patterns that mark a kernel splat, with a short name for the report.
const PATTERNS: &[(&str, &str)] = &[
    ("BUG: ", "BUG"),
    ("kernel BUG at", "BUG"),
    ("WARNING: ", "WARNING"),
    ("Oops: ", "Oops"),
    ("Oops[", "Oops"),
    ("general protection fault", "GPF"),
    ("Kernel panic", "panic"),
    ("KASAN:", "KASAN"),
    ("UBSAN:", "UBSAN"),
    ("possible circular locking dependency", "lockdep"),
    ("possible recursive locking", "lockdep"),
    ("inconsistent lock state", "lockdep"),
    ("suspicious RCU usage", "lockdep-RCU"),
    ("self-detected stall on CPU", "RCU stall"),
    ("detected stalls on CPUs", "RCU stall"),
    ("detected expedited stalls", "RCU stall"),
    ("detected stalls on tasks", "RCU stall"),
    ("soft lockup", "soft lockup"),
    ("detected hard LOCKUP", "hard lockup"),
    ("blocked for more than", "hung task"),
    ("workqueue lockup", "workqueue lockup"),
    ("unreferenced object", "kmemleak"),
    ("list_add corruption", "list corruption"),
    ("list_del corruption", "list corruption"),
    ("Bad page state", "bad page"),
    ("Bad page map", "bad page"),
    ("refcount_t: ", "refcount"),
];

/// The text of a console line after its printk time stamp ("[    1.234567] "),
/// if any (tinyconfig prints none; the debug profile may).
fn message(line: &str) -> &str {
    let l = line.trim_start();
    match (l.strip_prefix('['), l.find("] ")) {
        (Some(_), Some(end)) => &l[end + 2..],
        _ => l,
    }
}

/// Reports recognised by their shape rather than a fixed string: every
/// "INFO: " report (RCU stalls of any flavour, hung tasks, lockdep's
/// "INFO: trying to register non-static key.", kernel/locking/lockdep.c)
/// and SLUB's "BUG <cache> (<taint>): ..." for any cache (mm/slub.c).
fn shaped(line: &str) -> Option<&'static str> {
    let m = message(line);
    let m = m.strip_prefix("rcu: ").unwrap_or(m);
    if m.starts_with("INFO: ") {
        return Some("INFO report");
    }
    let rest = m.strip_prefix("BUG ")?;
    let (cache, after) = rest.split_once(' ')?;
    (!cache.is_empty() && after.starts_with('(') && after.contains("): ")).then_some("slab")
}

/// One splat found in a log.
#[derive(Debug, PartialEq, Eq)]
pub struct Splat {
    pub kind: &'static str,
    pub line_no: usize,
    pub line: String,
}

/// Lines that contain a pattern but are not splats (known, harmless prints).
fn is_benign(line: &str) -> bool {
    // A kernel command-line echo or our own runner's markers are not splats.
    line.contains("Kernel command line:") || line.contains("XTASK-")
}

/// Finds every splat in `log`.
pub fn find(log: &str) -> Vec<Splat> {
    let mut found = Vec::new();
    for (i, line) in log.lines().enumerate() {
        if is_benign(line) {
            continue;
        }
        let kind = PATTERNS.iter().find(|(p, _)| line.contains(p)).map(|(_, k)| *k).or_else(|| shaped(line));
        if let Some(kind) = kind {
            found.push(Splat { kind, line_no: i + 1, line: line.trim().to_string() });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_boot_has_no_splat() {
        let log = "[    0.000000] Linux version 6.18.15\n\
                   [    0.100000] Kernel command line: console=ttyS0 panic=-1\n\
                   [    1.000000] rust_kernel: Bit index must be < 128, was 2048\n\
                   [    2.000000] Run /init as init process\n";
        assert!(find(log).is_empty());
    }

    #[test]
    fn warning_is_a_splat() {
        let log = "[   10.1] ------------[ cut here ]------------\n\
                   [   10.1] WARNING: CPU: 0 PID: 55 at mm/userfaultfd.c:123 mfill_atomic+0x10/0x20\n";
        let s = find(log);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].kind, "WARNING");
        assert_eq!(s[0].line_no, 2);
    }

    /// Each line is found as one report of its kind.
    fn assert_detected(cases: &[(&str, &str)]) {
        for (line, kind) in cases {
            let s = find(line);
            assert_eq!(s.len(), 1, "{line}");
            assert_eq!(s[0].kind, *kind, "{line}");
        }
    }

    #[test]
    fn each_kind_is_detected() {
        assert_detected(&[
            ("BUG: unable to handle page fault for address: 0000", "BUG"),
            ("kernel BUG at mm/filemap.c:1500!", "BUG"),
            ("Oops: general protection fault, probably for non-canonical address", "Oops"),
            ("BUG: KASAN: slab-use-after-free in foo+0x1/0x2", "BUG"),
            ("WARNING: possible circular locking dependency detected", "WARNING"),
            ("rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:", "RCU stall"),
            ("unreferenced object 0xffff888003a1c000 (size 64):", "kmemleak"),
            ("BUG: Bad page state in process uffd-stress  pfn:1234", "BUG"),
            ("UBSAN: array-index-out-of-bounds in mm/foo.c:1:2", "UBSAN"),
        ]);
    }

    /// The first line of each report as v6.18.15 prints it: the format
    /// string (file:line of the v6.18.15 tree) with its arguments filled
    /// in, the "rcu: " pr_fmt prefix where the file has one.
    #[test]
    fn every_report_format_of_the_kernel_is_detected() {
        assert_detected(&[
            // kernel/rcu/tree_exp.h:570 pr_err("INFO: %s detected expedited stalls on CPUs/tasks: {", ...)
            ("rcu: INFO: rcu_sched detected expedited stalls on CPUs/tasks: { 1-... } 21002 jiffies s: 173 root: 0x2/.", "RCU stall"),
            // kernel/rcu/tasks.h:1113
            ("INFO: rcu_tasks detected stalls on tasks:", "RCU stall"),
            // kernel/rcu/tasks.h:1900
            ("INFO: rcu_tasks_trace detected stalls on tasks:", "RCU stall"),
            // kernel/rcu/tree_stall.h:656 and :732
            ("rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:", "RCU stall"),
            ("rcu: INFO: rcu_sched self-detected stall on CPU", "RCU stall"),
            // kernel/locking/lockdep.c:980
            ("INFO: trying to register non-static key.", "INFO report"),
            // kernel/hung_task.c:247
            ("INFO: task uffd-stress:123 blocked for more than 120 seconds.", "hung task"),
            // mm/slub.c:1147 pr_err("BUG %s (%s): %pV\n", s->name, print_tainted(), ...)
            ("BUG vm_area_struct (Not tainted): Object already free", "slab"),
            ("BUG kmalloc-64 (Tainted: G        W          ): Right Redzone overwritten", "slab"),
            // kernel/watchdog.c:830 (with the "watchdog: " pr_fmt) and :221
            ("watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [uffd-fuzz:88]", "BUG"),
            ("watchdog: CPU0: Watchdog detected hard LOCKUP on cpu 1", "hard lockup"),
            // kernel/workqueue.c:7665
            ("BUG: workqueue lockup - pool cpus=0 node=0 flags=0x0 nice=0 stuck for 41s!", "BUG"),
        ]);
    }

    #[test]
    fn time_stamped_lines_are_matched_by_shape_too() {
        // CONFIG_PRINTK_TIME's prefix (the debug profile's console may have it).
        let s = find("[   12.345678] INFO: rcu_tasks detected stalls on tasks:");
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn runner_markers_are_not_splats() {
        assert!(find("XTASK-BEGIN WARNING: test name").is_empty());
    }
}
