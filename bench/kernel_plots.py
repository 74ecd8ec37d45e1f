#!/usr/bin/env python3
"""Plots of the kernel's bench=sched figures, rendered with gnuplot.

  kernel_plots.py OUT_DIR A.json [B.json ...]

  OUT_DIR/benchmarks-kernel-speedup.png  speedup over 1 CPU against CPUs used, from the
      boot with the most CPUs of each variant: spawn+exit throughput, fib, the UTS trees,
      messaging, and the compute ceiling (what the emulator allows).
  OUT_DIR/benchmarks-kernel-wake.png     wake latency histograms (share of samples per
      power-of-two bucket of TSC cycles), halted and polling target, every variant.

The .dat files gnuplot reads are left next to the JSON files. Stdlib only.
"""
import json
import os
import subprocess
import sys


def load(paths):
    boots = []
    for p in paths:
        with open(p, encoding="utf-8") as f:
            b = json.load(f)
        b["_path"] = p
        b.setdefault("variant", "lockfree")
        boots.append(b)
    return boots


def speedup_series(b):
    """name -> [(cpus, speedup)] for one boot."""
    series = {}

    def add(name, runs, key="cycles"):
        by_cpus = {r["cpus"]: r[key] for r in runs if r.get(key)}
        one = by_cpus.get(1)
        if not one:
            return
        series[name] = [(c, one / by_cpus[c]) for c in sorted(by_cpus)]

    add("fib(%d)" % b["fib"]["n"], b["fib"]["runs"])
    # spawn+exit: throughput (tasks per cycle) against 1 CPU's.
    rate = {r["cpus"]: r["tasks"] / r["cycles"] for r in b.get("spawn_exit", []) if r.get("cycles")}
    if rate.get(1):
        series["spawn+exit"] = [(c, rate[c] / rate[1]) for c in sorted(rate)]
    for t in b.get("uts", []):
        add("UTS " + t["tree"], t["runs"])
    if b.get("messaging"):
        add("messaging", b["messaging"]["runs"])
    # The ceiling: k loops at once against one alone, so k * t1 / tk.
    comp = {r["cpus"]: r.get("compute_cycles") for r in b["fib"]["runs"] if r.get("compute_cycles")}
    if comp.get(1):
        series["compute ceiling"] = [(c, c * comp[1] / comp[c]) for c in sorted(comp)]
    return series


def gnuplot(script):
    subprocess.run(["gnuplot"], input=script.encode(), check=True)


def plot_speedup(boots, out_dir, data_dir, subtitle):
    best = {}
    for b in boots:
        if b["variant"] not in best or b["cpus"] > best[b["variant"]]["cpus"]:
            best[b["variant"]] = b
    # One colour per benchmark; lock-free solid, locked dashed; the ceiling once, in grey.
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
    names = []
    plots = []
    max_cpus = 1
    ceiling_done = False
    for variant, b in sorted(best.items(), key=lambda kv: kv[0] != "lockfree"):
        for name, points in speedup_series(b).items():
            if name == "compute ceiling" and ceiling_done:
                continue
            safe = "".join(ch if ch.isalnum() else "_" for ch in f"{variant}_{name}")
            dat = os.path.join(data_dir, f"kernel-speedup-{safe}.dat")
            with open(dat, "w", encoding="utf-8") as f:
                for c, s in points:
                    f.write(f"{c} {s:.4f}\n")
                    max_cpus = max(max_cpus, c)
            if name == "compute ceiling":
                ceiling_done = True
                plots.append(f"'{dat}' using 1:2 with linespoints lc rgb 'gray40' dt 3 lw 2 "
                             f"title 'compute ceiling (-smp {b['cpus']})'")
                continue
            if name not in names:
                names.append(name)
            colour = colours[names.index(name) % len(colours)]
            dash = "dt 1 pt 7" if variant == "lockfree" else "dt 2 pt 6"
            plots.append(f"'{dat}' using 1:2 with linespoints lc rgb '{colour}' {dash} lw 2 "
                         f"title '{variant}: {name} (-smp {b['cpus']})'")
    if not plots:
        return None
    out = os.path.join(out_dir, "benchmarks-kernel-speedup.png")
    gnuplot(f"""set terminal pngcairo size 1100,560 noenhanced
set output '{out}'
set title "Kernel scheduler: speedup over 1 CPU, lock-free and locked (bench=all, TCG)\\n{subtitle}"
set xlabel 'CPUs used (the others offline, same boot)'
set ylabel 'speedup over 1 CPU'
set xrange [0.8:{max_cpus + 0.2}]
set xtics 1
set yrange [0:*]
set grid
set key outside right top
plot {', '.join(plots)}, x with lines lc rgb 'gray' dt 3 title 'linear'
""")
    return out


def plot_wake(boots, out_dir, data_dir, subtitle):
    plots = []
    keys = []
    for b in boots:
        for w in b.get("wake", []):
            hist = w.get("hist_log2")
            if not hist or not w["samples"]:
                continue
            dat = os.path.join(data_dir, f"kernel-wake-{b['variant']}-smp{b['cpus']}-{w['target']}.dat")
            us_per_cycle = 1e6 / b["tsc_hz"]
            with open(dat, "w", encoding="utf-8") as f:
                for i, n in enumerate(hist):
                    # Bucket i is [2^i, 2^(i+1)) cycles; plotted at its lower edge, in us.
                    f.write(f"{(2 ** i) * us_per_cycle:.6g} {n / w['samples']:.6f}\n")
            # Colour per boot and target; lock-free solid, locked dashed.
            key = (b["cpus"], w["target"])
            if key not in keys:
                keys.append(key)
            colour = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"][keys.index(key) % 6]
            dash = "dt 1" if b["variant"] == "lockfree" else "dt 2"
            plots.append(f"'{dat}' using 1:2 with steps lc rgb '{colour}' {dash} lw 2 "
                         f"title '{b['variant']} -smp {b['cpus']}: {w['target']}'")
    if not plots:
        return None
    out = os.path.join(out_dir, "benchmarks-kernel-wake.png")
    gnuplot(f"""set terminal pngcairo size 1100,560 noenhanced
set output '{out}'
set title "Cross-CPU wake latency, CPU 0 -> CPU 1, lock-free and locked (bench=all, TCG)\\n{subtitle}"
set xlabel 'latency (us, power-of-two buckets of TSC cycles)'
set ylabel 'share of wakes (log scale: the tail shows)'
set logscale x 10
set logscale y 10
set xrange [0.5:100000]
set yrange [0.0004:1.2]
set grid
set key outside right top
plot {', '.join(plots)}
""")
    return out


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir, paths = argv[1], argv[2:]
    boots = load(paths)
    data_dir = os.path.dirname(os.path.abspath(paths[0]))
    accel = ", ".join(sorted({b["accelerator"] for b in boots}))
    subtitle = f"accelerator {accel}; only ratios within one boot mean anything"
    for made in (plot_speedup(boots, out_dir, data_dir, subtitle), plot_wake(boots, out_dir, data_dir, subtitle)):
        if made:
            print(f"== plot: {os.path.relpath(made)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
