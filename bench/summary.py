#!/usr/bin/env python3
"""The one table of docs/benchmarks.md ("Summary"): kernel costs in guest instructions
(bench/run_icount.sh) and the host epoch figures against urcu-memb, urcu-qsbr and ck
(bench_epoch JSON), with the date, the machine and the host load of the runs.

  summary.py [--markdown OUT.md] EPOCH.json ICOUNT-lockfree.json ICOUNT-locked.json

Host rows are medians over the repetitions: CPU time for single-thread rows, wall time
for the grace period (two threads). Missing inputs leave their rows out.
"""
import json
import os
import platform
import statistics
import sys


def medians(path):
    """{(shape, scheme): (cpu ns, wall ns)} and the run's context."""
    data = json.load(open(path, encoding="utf-8"))
    runs = {}
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        name = b["name"].replace("BM_epoch_", "").replace("/real_time", "")
        shape, scheme = name.split("/")[:2]
        scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        runs.setdefault((shape, scheme), []).append((b["cpu_time"] * scale, b["real_time"] * scale))
    return {k: (statistics.median(c for c, _ in v), statistics.median(w for _, w in v), len(v))
            for k, v in runs.items()}, data.get("context", {})


def fmt_ns(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} us"
    return f"{ns:.2f} ns"


def machine():
    model = ""
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model or platform.processor()}, {os.cpu_count()} CPUs"


def epoch_rows(m):
    rows = []

    def cell(shape, scheme, wall=False):
        v = m.get((shape, scheme))
        return None if v is None else (v[1] if wall else v[0])

    def row(label, shape, ours, baselines, wall=False):
        o = cell(shape, ours, wall)
        if o is None:
            return
        parts = []
        for b in baselines:
            v = cell(shape, b, wall)
            if v is not None:
                parts.append(f"{b} {fmt_ns(v)} ({o / v:.2f})")
        rows.append(f"| {label} | {fmt_ns(o)} | " + "; ".join(parts) + " |")

    row("EBR enter+exit, membarrier (CPU)", "enter_exit", "ours", ["ours_fences", "urcu_memb", "ck"])
    row("EBR enter+exit, fences (CPU)", "enter_exit", "ours_fences", ["urcu_memb", "ck"])
    row("QSBR enter+exit: enter_online()/exit_online() (CPU)", "enter_exit", "ours_qsbr", ["urcu_qsbr"])
    row("QSBR enter+exit: the general enter()/exit() of an online participant (CPU)", "enter_exit",
        "ours_qsbr_counted", ["urcu_qsbr"])
    row("QSBR quiescent (CPU)", "quiescent", "ours_qsbr", ["ours_qsbr_fences", "urcu_qsbr"])
    row("retire, EBR membarrier (CPU)", "retire", "ours", ["ours_fences", "ck", "urcu_memb"])
    row("retire, EBR fences (CPU)", "retire", "ours_fences", ["ck", "urcu_memb"])
    row("retire, QSBR (CPU)", "retire", "ours_qsbr", ["urcu_qsbr"])
    row("retire, EBR membarrier, advance every 256 retires (CPU)", "retire", "ours_interval256",
        ["ours", "ours_fences_interval256", "ck", "urcu_memb"])
    row("retire, QSBR membarrier, advance every 256 retires (CPU)", "retire", "ours_qsbr_interval256", ["urcu_qsbr"])
    row("new+delete of the node alone, inside every retire row (CPU)", "BM_alloc", "new_delete_only", [])
    row("EBR read-side floor: pin and unpin alone, no nesting (CPU)", "BM_bound", "ebr_pin_unpin_only", [])
    row("grace period, EBR membarrier (wall)", "grace_period", "ours", ["ours_fences", "ck", "urcu_memb"], True)
    row("grace period, EBR fences (wall)", "grace_period", "ours_fences", ["ck", "urcu_memb"], True)
    row("grace period, QSBR membarrier (wall)", "grace_period", "ours_qsbr", ["ours_qsbr_fences", "urcu_qsbr"], True)
    row("grace period, QSBR full-fence pins, no membarrier (wall)", "grace_period", "ours_qsbr_fences",
        ["urcu_qsbr"], True)
    return rows


def icount_rows(lockfree, locked):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from kernel_icount import figures
    a, cal = figures(json.load(open(lockfree, encoding="utf-8")))
    b, _ = figures(json.load(open(locked, encoding="utf-8")))
    rows = []
    for name in a:
        x, y = a[name], b[name]
        if x is None or y is None:
            continue
        rows.append(f"| kernel {name} (instructions) | {x:,.0f} | locked {y:,.0f} ({x / y:.2f}) |")
    return rows, cal


def main(argv):
    markdown = None
    if len(argv) > 2 and argv[1] == "--markdown":
        markdown, argv = argv[2], argv[:1] + argv[3:]
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    epoch, lockfree, locked = argv[1:]
    lines = []
    when, load = "", ""
    host = []
    if os.path.exists(epoch):
        m, ctx = medians(epoch)
        when = ctx.get("date", "")
        load = ", ".join(f"{x:.1f}" for x in ctx.get("load_avg", []))
        reps = max((v[2] for v in m.values()), default=0)
        host = epoch_rows(m)
    kernel, cal = ([], None)
    if os.path.exists(lockfree) and os.path.exists(locked):
        kernel, cal = icount_rows(lockfree, locked)
    lines.append(f"Machine: {machine()}. Host epoch run: {when or '-'}, 1/5/15-min load {load or '-'} at its start"
                 + (f", medians of {reps} interleaved repetitions." if host else "."))
    if cal:
        lines.append(f"Kernel rows: QEMU -icount shift=0 (instruction counts, independent of load; calibration "
                     f"{cal['instructions']} instructions = {cal['ticks']} ticks).")
    lines += ["", "| figure | ours | against (ours / theirs) |", "|---|---|---|"]
    lines += kernel + host
    text = "\n".join(lines)
    print(text)
    if markdown:
        with open(markdown, "w", encoding="utf-8") as out:
            out.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
