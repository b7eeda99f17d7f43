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
    ("rcu_sched self-detected stall", "RCU stall"),
    ("rcu: INFO: rcu_preempt detected stalls", "RCU stall"),
    ("detected stalls on CPUs", "RCU stall"),
    ("self-detected stall on CPU", "RCU stall"),
    ("soft lockup", "soft lockup"),
    ("hung_task", "hung task"),
    ("blocked for more than", "hung task"),
    ("unreferenced object", "kmemleak"),
    ("list_add corruption", "list corruption"),
    ("list_del corruption", "list corruption"),
    ("Bad page state", "bad page"),
    ("Bad page map", "bad page"),
    ("BUG kmalloc", "slab"),
    ("refcount_t: ", "refcount"),
];

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
        if let Some((_, kind)) = PATTERNS.iter().find(|(p, _)| line.contains(p)) {
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

    #[test]
    fn each_kind_is_detected() {
        for (line, kind) in [
            ("BUG: unable to handle page fault for address: 0000", "BUG"),
            ("kernel BUG at mm/filemap.c:1500!", "BUG"),
            ("Oops: general protection fault, probably for non-canonical address", "Oops"),
            ("BUG: KASAN: slab-use-after-free in foo+0x1/0x2", "BUG"),
            ("WARNING: possible circular locking dependency detected", "WARNING"),
            ("rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:", "RCU stall"),
            ("unreferenced object 0xffff888003a1c000 (size 64):", "kmemleak"),
            ("BUG: Bad page state in process uffd-stress  pfn:1234", "BUG"),
            ("UBSAN: array-index-out-of-bounds in mm/foo.c:1:2", "UBSAN"),
        ] {
            let s = find(line);
            assert_eq!(s.len(), 1, "{line}");
            assert_eq!(s[0].kind, kind, "{line}");
        }
    }

    #[test]
    fn runner_markers_are_not_splats() {
        assert!(find("XTASK-BEGIN WARNING: test name").is_empty());
    }
}
