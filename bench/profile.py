#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Exact kernel instruction profile of one uffd-bench measurement.

    bench/profile.py KERNEL NAME -- UFFD-BENCH-OPTIONS
    bench/profile.py --diff NAME-A NAME-B

KERNEL is base or tip of the edition in $EDITION (mainline unless set:
build/mainline/...).  It reuses a guest root the workspace packed for that
kernel: `cargo xtask bench`'s (build/ED/vm/bench-icount-KERNEL-1/root), or
else one of `XTASK_VM_TAG=profile-KERNEL cargo xtask vm [--base] -- true`
(build/ED/vm/profile-KERNEL/root).  The options must select one memory
type, operation and path, e.g. `-t rust -o continue -p fault -r 1 -n 64`.

QEMU runs the guest under TCG with -icount shift=0 and one instruction per
translation block; exec logging is switched on through the monitor only
while uffd-bench runs.  Kernel instructions executed inside the timed loops
(from the first user instruction in touch_pages() or run_ioctls() to the
return to measure(), handler thread included) are counted per System.map
symbol, as are calls (the PC at a symbol's start), and divided by the pages
touched.  Results: build/bench/profile-NAME.txt.  --diff prints B - A per
symbol, largest first.
"""
import bisect
import collections
import os
import re
import shutil
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EDITION = os.environ.get("EDITION", "mainline")
BUILD = os.path.join(ROOT, "build", EDITION)
TRACE = re.compile(r"Trace \d+: \S+ \[[0-9a-f]+/([0-9a-f]+)/")
USER_TOP = 0x800000000000


def die(msg):
    sys.exit(f"profile.py: {msg}")


def symbols(lines, types):
    """Sorted (start addresses, names) of the text symbols of nm-style lines."""
    syms = []
    for line in lines:
        parts = line.split()
        if len(parts) >= 3 and parts[1] in types:
            syms.append((int(parts[0], 16), " ".join(parts[2:])))
    syms.sort()
    return [a for a, _ in syms], [n for _, n in syms]

def guest_script(bench_args):
    return ("if [ -e /modules/rust_uffd_mem.ko ]; then insmod /modules/rust_uffd_mem.ko; fi\n"
            "echo PROFILE-START; sleep 3\n"
            f"/bin/uffd-bench {' '.join(bench_args)}\n"
            "echo PROFILE-STOP; sleep 3\n"
            # Where the modules are (no kallsyms in this config).
            "sed 's/^/KMOD /' /proc/modules\n")


def run_guest(kernel, work, bench_args):
    """Boots the guest with exec logging between the markers; returns the guest output."""
    out_dir = os.path.join(BUILD, "linux/out" if kernel == "tip" else "linux-base/out-base")
    roots = [os.path.join(BUILD, "vm", tag, "root") for tag in (f"bench-icount-{kernel}-1", f"profile-{kernel}")]
    root_src = next((r for r in roots if os.path.isdir(r)), None)
    if not root_src:
        base = " --base" if kernel == "base" else ""
        die(f"no guest root for the {kernel} ({' or '.join(roots)}): run "
            f"`XTASK_VM_TAG=profile-{kernel} cargo xtask vm --edition {EDITION}{base} -- true` first")
    shutil.rmtree(work, ignore_errors=True)
    root = os.path.join(work, "root")
    shutil.copytree(root_src, root, symlinks=True)
    with open(os.path.join(root, "xtask/run.sh"), "w") as f:
        f.write(guest_script(bench_args))
    cpio = os.path.join(work, "initramfs.cpio")
    subprocess.run(f"find . | cpio -o -H newc --quiet > {cpio}", shell=True, cwd=root, check=True)
    mon, out, log = (os.path.join(work, n) for n in ("monitor.sock", "output.log", "exec.log"))
    qemu = subprocess.Popen([
        "qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-smp", "2", "-m", "3G",
        "-display", "none", "-monitor", f"unix:{mon},server=on,wait=off", "-no-reboot", "-nodefaults",
        "-serial", f"file:{os.path.join(work, 'console.log')}", "-serial", f"file:{out}",
        "-kernel", os.path.join(out_dir, "arch/x86/boot/bzImage"), "-initrd", cpio,
        "-append", "console=ttyS0 panic=-1 rdinit=/init hugepages=160 loglevel=7 8250.nr_uarts=2",
        "-icount", "shift=0", "-singlestep", "-d", "nochain", "-D", log])

    def wait_for(marker):
        while qemu.poll() is None:
            if os.path.exists(out) and marker in open(out, errors="replace").read():
                return
            time.sleep(0.1)
        die(f"the guest stopped before printing {marker}; see {out}")

    def monitor(cmd):
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(mon)
            s.sendall((cmd + "\n").encode())
            time.sleep(0.3)

    wait_for("PROFILE-START")
    monitor("log exec,nochain")
    wait_for("PROFILE-STOP")
    monitor("log nochain")
    if qemu.wait(timeout=900) != 0:
        die(f"qemu exited with {qemu.returncode}")
    return open(out, errors="replace").read(), out_dir, log


def module_symbols(output, work):
    """System.map-style lines for the modules' text, from /proc/modules and nm
    (offsets in the .ko's text, exact as long as it has one text section)."""
    lines = []
    for m in re.finditer(r"^KMOD (\S+) (\d+) .* (0x[0-9a-f]+)", output, re.M):
        name, size, base = m.group(1), int(m.group(2)), int(m.group(3), 16)
        ko = os.path.join(work, "root/modules", f"{name}.ko")
        lines.append(f"{base:x} t [module {name}]")
        lines.append(f"{base + size:x} t [after module {name}]")
        nm = subprocess.run(["nm", "--defined-only", ko], capture_output=True, text=True).stdout
        for a, t, sym in (line.split() for line in nm.splitlines() if len(line.split()) == 3):
            if t in "tT":
                lines.append(f"{base + int(a, 16):x} t {sym} [{name}]")
    return lines


def profile(kernel, name, bench_args):
    work = os.path.join(BUILD, "bench", f"profile-{name}")
    output, out_dir, log = run_guest(kernel, work, bench_args)
    pages = [int(m) for m in re.findall(r"^bench .* pages=(\d+) ", output, re.M)]
    if not pages or "bench-error" in output:
        die(f"uffd-bench measured nothing or failed:\n{output}")
    with open(os.path.join(out_dir, "System.map")) as f:
        addrs, names = symbols(f.readlines() + module_symbols(output, work), "tTwW")
    nm = subprocess.run(["nm", os.path.join(work, "root/bin/uffd-bench")],
                        capture_output=True, text=True, check=True).stdout.splitlines()
    uaddrs, unames = symbols(nm, "tT")

    def urange(n):
        i = unames.index(n)
        return uaddrs[i], uaddrs[i + 1]
    loops = [urange("touch_pages"), urange("run_ioctls")]
    measure = urange("measure")

    insns, calls = collections.Counter(), collections.Counter()
    inside, regions = False, 0
    with open(log, errors="replace") as f:
        for line in f:
            m = TRACE.match(line)
            if not m:
                continue
            pc = int(m.group(1), 16)
            if pc < USER_TOP:
                if any(a <= pc < b for a, b in loops):
                    regions += not inside
                    inside = True
                elif measure[0] <= pc < measure[1]:
                    inside = False
                insns["[user]"] += inside
                continue
            if inside:
                i = bisect.bisect_right(addrs, pc) - 1
                insns[names[i]] += 1
                calls[names[i]] += addrs[i] == pc
    os.remove(log)
    shutil.rmtree(os.path.join(work, "root"))
    os.remove(os.path.join(work, "initramfs.cpio"))
    ops = regions * pages[0]
    result = os.path.join(BUILD, "bench", f"profile-{name}.txt")
    with open(result, "w") as f:
        f.write(f"# {kernel}: uffd-bench {' '.join(bench_args)}: {regions} loops of {pages[0]} pages\n")
        f.write(f"# per page: {sum(insns.values()) / ops:.0f} instructions (user and kernel)\n")
        f.write("# insns/page calls/page symbol\n")
        for sym, n in insns.most_common():
            f.write(f"{n / ops:10.1f} {calls[sym] / ops:6.2f} {sym}\n")
    print(f"{result}: {sum(insns.values()) / ops:.0f} instructions per page")


def load(name):
    rows = {}
    with open(os.path.join(BUILD, "bench", f"profile-{name}.txt")) as f:
        for line in f:
            if not line.startswith("#"):
                n, c, sym = line.split(maxsplit=2)
                sym = sym.strip()
                rows[sym] = (float(n), float(c))
    return rows


def diff(a_name, b_name, top=40):
    a, b = load(a_name), load(b_name)
    total = sum(v[0] for v in b.values()) - sum(v[0] for v in a.values())
    print(f"{b_name} - {a_name}: {total:+.0f} instructions per page")
    print(f"{'insns':>9} {'calls':>6}  {'A':>8} {'B':>8}  symbol")
    rows = []
    for sym in set(a) | set(b):
        (na, ca), (nb, cb) = a.get(sym, (0, 0)), b.get(sym, (0, 0))
        rows.append((nb - na, cb - ca, na, nb, sym))
    for d, dc, na, nb, sym in sorted(rows, key=lambda r: -abs(r[0]))[:top]:
        print(f"{d:+9.1f} {dc:+6.2f}  {na:8.1f} {nb:8.1f}  {sym}")


def main(argv):
    if len(argv) == 3 and argv[0] == "--diff":
        diff(argv[1], argv[2])
    elif len(argv) >= 3 and argv[0] in ("base", "tip") and argv[2] == "--":
        profile(argv[0], argv[1], argv[3:])
    else:
        die(__doc__.split("\n\n")[1])


if __name__ == "__main__":
    main(sys.argv[1:])
