#!/usr/bin/env python3
"""The kernel's costs in guest instructions, from bench=spawn,yield,wake boots under QEMU
-icount shift=0 (bench/run_icount.sh).

  kernel_icount.py [--markdown OUT.md] RUN1-lockfree.json RUN1-locked.json RUN2-... ...

Prints one table per variant (the first boot's figures) and checks that every boot gave
the same figures (exit 1 if not, or if the TSC did not count instructions).

Per operation:
  spawn+exit   ticks of the 1-CPU spawn+exit run / tasks: a driver's spawn() and join() and
               the nop task's whole life (pick, switch in, exit, switch out, reclaim)
  yield        ticks per switch of the yield ping-pong (yield, pick, switch)
  pick         pick_local() that found a task, during the 1-CPU spawn+exit run
  steal        a steal round that moved work, during the 2-CPU spawn+exit run
  wake         make_ready() from its CAS to the end of place(), the waker's side, in the
               wake benchmark (halted: with the IPI; polling: without)
  wake latency p50 of the waker's stamp to the wakee's first stamp: instructions of both
               CPUs (QEMU runs them in turn)
"""
import json
import sys


def per(row):
    count, ticks = row[0], row[1]  # row[2]: outliers, left out (OpCost in cpu_sched.h)
    return ticks / count if count else None


def figures(data):
    spawn = {r["cpus"]: r for r in data["spawn_exit"]}
    costs = data["op_costs"]
    spawn_costs = {r["cpus"]: r["costs"] for r in costs["spawn_exit"]}
    wake = {w["target"]: w for w in data["wake"]}
    wake_costs = {w["target"]: w["costs"] for w in costs["wake"]}
    one = spawn[1]
    f = {
        "spawn+exit": one["cycles"] / one["tasks"],
        "yield": data["yield"]["cycles"] / data["yield"]["switches"],
        "pick": per(spawn_costs[1]["pick"]),
        "steal": per(spawn_costs[2]["steal"]) if 2 in spawn_costs else None,
        "wake (halted target)": per(wake_costs["halted"]["wake"]) if "halted" in wake_costs else None,
        "wake (polling target)": per(wake_costs["polling"]["wake"]) if "polling" in wake_costs else None,
        "wake latency p50, polling": wake["polling"]["p50"] if "polling" in wake else None,
        "wake latency p99, polling": wake["polling"]["p99"] if "polling" in wake else None,
    }
    return f, costs["calibration"]


def main(argv):
    markdown = None
    if len(argv) > 2 and argv[1] == "--markdown":
        markdown, argv = argv[2], argv[:1] + argv[3:]
    boots = [json.load(open(p, encoding="utf-8")) for p in argv[1:]]
    if not boots:
        print(__doc__, file=sys.stderr)
        return 2
    by_variant = {}
    ok = True
    for data in boots:
        f, cal = figures(data)
        # The loop is exactly `instructions` instructions, plus the rdtsc pair's few.
        if abs(cal["ticks"] - cal["instructions"]) > 16:
            print(f"kernel_icount.py: calibration {cal['ticks']} ticks for {cal['instructions']} instructions: "
                  "the TSC does not count instructions (not an -icount shift=0 boot?)", file=sys.stderr)
            ok = False
        by_variant.setdefault(data["variant"], []).append(f)
    names = list(next(iter(by_variant.values()))[0].keys())
    variants = list(by_variant)
    lines = ["| instructions per | " + " | ".join(variants) + " | lockfree / locked |",
             "|---|" + "---|" * (len(variants) + 1)]
    for name in names:
        vals = [by_variant[v][0][name] for v in variants]
        cells = [f"{x:,.0f}" if x is not None else "-" for x in vals]
        ratio = ""
        if "lockfree" in by_variant and "locked" in by_variant:
            a, b = by_variant["lockfree"][0][name], by_variant["locked"][0][name]
            ratio = f"{a / b:.2f}" if a and b else "-"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {ratio} |")
    for data in boots[:len(by_variant)]:
        left = [f"{op} {row[2]}" for where in ([r["costs"] for r in data["op_costs"]["spawn_exit"]] +
                                               [data["op_costs"]["yield"] or {}] +
                                               [w["costs"] for w in data["op_costs"]["wake"]])
                for op, row in where.items() if row[2]]
        if left:
            lines.append(f"{data['variant']}: measurements left out as emulator turn switches (> 50,000 ticks): "
                         + ", ".join(left))
    same = all(all(f == runs[0] for f in runs) for runs in by_variant.values())
    runs = len(next(iter(by_variant.values())))
    lines.append("")
    lines.append(f"{runs} boots per variant; figures {'identical in every boot' if same else 'DIFFER between boots'}; "
                 f"calibration {cal['instructions']} instructions = {cal['ticks']} ticks.")
    text = "\n".join(lines)
    print(text)
    if markdown:
        with open(markdown, "w", encoding="utf-8") as out:
            out.write(text + "\n")
    if not same:
        for v, rs in by_variant.items():
            for i, f in enumerate(rs):
                print(f"  {v} boot {i + 1}: " + ", ".join(f"{k} {x}" for k, x in f.items()), file=sys.stderr)
    return 0 if ok and same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
