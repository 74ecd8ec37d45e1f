#!/usr/bin/env python3
"""Ratio tables from Google Benchmark JSON: ours against every baseline of the same benchmark.

Benchmark names are BM_<what>/<implementation>[/<parameters>]; rows with the same <what> and
<parameters> are compared. Single-threaded benchmarks are compared on CPU time (the measuring
thread's own time, robust when other jobs share the machine); benchmarks marked real_time
(several threads) on wall time. A variant "ours_<flavour>" is compared with the baselines whose name contains <flavour>
(ours_qsbr vs urcu_qsbr); plain "ours" with every other baseline. Each figure is the median over repetitions (or the mean of the
plain runs when there are no aggregates). Ratio = ours' time / baseline's time, so below 1
means ours is faster. Writes a markdown table (stdout and --markdown) and a gnuplot data
file (--plot-data) of the ratios. One wide table per JSON file: a time column per
implementation and an ours/<baseline> column per baseline (e.g. ours/crossbeam for the deque).
Standard library only.
"""
import argparse
import json
import math
import os
import sys
from collections import OrderedDict

OURS = "ours"
TIME_SCALE = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
# Counters worth showing next to the times, in this order.
COUNTERS = ["items_per_second", "stolen_fraction", "ns_per_spawn", "speedup"]


def load(paths):
    """Returns OrderedDict run_name -> {"ns": time per iteration in ns, counters...}."""
    runs = OrderedDict()
    for path in paths:
        try:
            with open(path) as handle:
                data = json.load(handle)
        except (OSError, ValueError) as error:
            print(f"compare.py: warning: skipping {path}: {error}", file=sys.stderr)
            continue
        plain = OrderedDict()
        medians = OrderedDict()
        # Registration order (random interleaving shuffles the execution order): the
        # first implementation registered (ours) leads each table, its shapes set the rows.
        entries = sorted(data.get("benchmarks", []),
                         key=lambda e: (e.get("family_index", 0), e.get("per_family_instance_index", 0)))
        for entry in entries:
            if entry.get("error_occurred"):
                print(f"compare.py: warning: {entry.get('name')} failed: {entry.get('error_message')}",
                      file=sys.stderr)
                continue
            name = entry.get("run_name", entry.get("name", ""))
            scale = TIME_SCALE.get(entry.get("time_unit", "ns"), 1.0)
            wall = name.endswith("/real_time")
            key = "real_time" if wall else "cpu_time"
            if key not in entry:
                continue
            row = {"ns": float(entry[key]) * scale}
            for counter in COUNTERS:
                if counter in entry:
                    row[counter] = float(entry[counter])
            if entry.get("run_type") == "aggregate":
                if entry.get("aggregate_name") == "median":
                    medians[name] = row
            else:
                plain.setdefault(name, []).append(row)
        for name in list(plain.keys()) + [n for n in medians if n not in plain]:
            if name in medians:
                runs[name] = medians[name]
            else:
                rows = plain[name]
                runs[name] = {key: sum(r[key] for r in rows if key in r) / sum(1 for r in rows if key in r)
                              for key in rows[0]}
    return runs


def is_ours(impl):
    return impl == OURS or impl.startswith(OURS + "_")


def split(name):
    # Drop the parts that only say how it was measured.
    parts = [p for p in name.split("/") if p != "real_time" and not p.startswith("iterations:")]
    if len(parts) < 2:
        return None
    return parts[0], parts[1], "/".join(parts[2:])


def fmt_time(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} us"
    return f"{ns:.2f} ns"


def fmt_counter(name, value):
    if name == "items_per_second":
        return f"{value / 1e6:.1f} M/s"
    if name == "stolen_fraction":
        return f"{value * 100:.2g}% stolen"
    if name == "ns_per_spawn":
        return f"{value:.1f} ns/spawn"
    if name == "speedup":
        return f"x{value:.2f} vs seq"
    return f"{name}={value:g}"


def compared_baselines(impls):
    """(variant, ours row, [(baseline, row)]) for each of our variants in one benchmark group:
    ours_<flavour> gets the baselines whose name contains <flavour>, plain ours the rest."""
    baselines = [(impl, row) for impl, row in impls.items() if not is_ours(impl)]
    variants = [(impl, row) for impl, row in impls.items() if is_ours(impl)]
    flavours = [v[len(OURS) + 1:] for v, _ in variants if v != OURS]
    out = []
    for variant, ours in variants:
        flavour = variant[len(OURS) + 1:]
        mine = []
        for impl, row in baselines:
            claimed = any(f in impl for f in flavours)
            if (flavour and flavour not in impl) or (not flavour and claimed):
                continue
            mine.append((impl, row))
        out.append((variant, ours, mine))
    return out


def label_of(what, params):
    label = what[3:] if what.startswith("BM_") else what
    return label + "/" + params if params else label


def ratio_table(groups):
    """One wide markdown table: a time column per implementation (ours first, then the
    baselines in order of appearance), then an ours/<baseline> ratio column per baseline."""
    columns = []
    for impls in groups.values():
        for impl in impls:
            if not is_ours(impl) and impl not in columns:
                columns.append(impl)
    lines = ["| benchmark | ours | " + " | ".join(columns) + " | "
             + " | ".join(f"ours/{c}" for c in columns) + " |",
             "|---" * (2 + 2 * len(columns)) + "|"]
    plot_rows = []
    for (what, params), impls in groups.items():
        label = label_of(what, params)
        compared = compared_baselines(impls)
        if not compared:
            times = [fmt_time(impls[c]["ns"]) if c in impls else "" for c in columns]
            lines.append(f"| {label} | (missing) | " + " | ".join(times) + " | "
                         + " | ".join("-" for _ in columns) + " |")
            continue
        for variant, ours, baselines in compared:
            by_name = dict(baselines)
            times, ratios = [], []
            for column in columns:
                row = by_name.get(column)
                if row is None:
                    times.append("")
                    ratios.append("")
                    continue
                ratio = ours["ns"] / row["ns"] if row["ns"] > 0 else math.nan
                times.append(fmt_time(row["ns"]))
                ratios.append(f"{ratio:.2f}")
                plot_rows.append((f"{label}: {variant} vs {column}", ratio, column))
            shown = fmt_time(ours["ns"]) if variant == OURS else f"{variant} {fmt_time(ours['ns'])}"
            lines.append(f"| {label} | {shown} | " + " | ".join(times) + " | " + " | ".join(ratios) + " |")
    return lines, plot_rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", nargs="+")
    parser.add_argument("--markdown", help="also write the tables here")
    parser.add_argument("--plot-data", help="write 'label ratio baseline' lines for gnuplot here")
    args = parser.parse_args()

    text_lines = []
    counter_lines = ["| benchmark | implementation | time | counters |", "|---|---|---|---|"]
    plot_rows = []
    for path in args.json:
        runs = load([path])
        groups = OrderedDict()
        for name, row in runs.items():
            parsed = split(name)
            if parsed is None:
                continue
            what, impl, params = parsed
            groups.setdefault((what, params), OrderedDict())[impl] = row
        if not groups:
            continue
        lines, rows = ratio_table(groups)
        plot_rows += rows
        area = os.path.splitext(os.path.basename(path))[0]
        text_lines += [f"### Ratios: {area} (time per operation; below 1 = ours faster)", ""] + lines + [""]
        for (what, params), impls in groups.items():
            label = label_of(what, params)
            for impl, row in impls.items():
                shown = [fmt_counter(c, row[c]) for c in COUNTERS if c in row]
                counter_lines.append(f"| {label} | {impl} | {fmt_time(row['ns'])} | {', '.join(shown)} |")

    text = "\n".join(text_lines + ["### All results", ""] + counter_lines) + "\n"
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as handle:
            handle.write(text)
    if args.plot_data:
        with open(args.plot_data, "w") as handle:
            handle.write("# label ratio(ours/baseline time) baseline\n")
            for label, ratio, baseline in plot_rows:
                handle.write(f"\"{label}\" {ratio:.4f} {baseline}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
