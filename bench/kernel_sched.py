#!/usr/bin/env python3
"""The kernel's bench=sched figures: serial log -> JSON -> table.

  kernel_sched.py extract LOG OUT.json   the JSON block between BENCH-JSON-BEGIN sched and
                                         BENCH-JSON-END in a serial log (log prefixes of the
                                         console are not inside the block); exit 1 if absent
  kernel_sched.py table A.json B.json ... [--markdown OUT.md]
                                         one table for all boots: spawn+exit and fib(24) per
                                         CPU count (speedup over 1 CPU of the same boot, and
                                         the compute ceiling: the speedup the emulator gave a
                                         loop with no scheduler traffic), yield cost and wake
                                         latency per boot; UTS trees and messaging per
                                         CPU count

Cycles are TSC cycles; under TCG only ratios within one boot mean anything.
"""
import json
import sys


def extract(log_path, out_path):
    """Every complete block of the log. One block (bench=sched) goes to OUT.json; with
    several (bench=all: one per scheduler variant) each goes to OUT-<variant>.json and
    OUT.json is not written. Prints the files written, one per line."""
    lines = open(log_path, encoding="utf-8", errors="replace").read().splitlines()
    blocks, block, inside = [], [], False
    for line in lines:
        if line.startswith("BENCH-JSON-BEGIN sched"):
            block, inside = [], True
        elif line.startswith("BENCH-JSON-END") and inside:
            inside = False
            blocks.append(json.loads("\n".join(block)))
        elif inside:
            block.append(line)
    if not blocks:
        print(f"kernel_sched.py: no complete BENCH-JSON block in {log_path}", file=sys.stderr)
        return 1
    stem = out_path[:-5] if out_path.endswith(".json") else out_path
    for data in blocks:
        path = out_path if len(blocks) == 1 else f"{stem}-{data.get('variant', 'lockfree')}.json"
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
            f.write("\n")
        print(path)
    return 0


def us(cycles, hz):
    return cycles * 1e6 / hz


def rows(data):
    hz = data["tsc_hz"]
    spawn = {r["cpus"]: r for r in data["spawn_exit"]}
    fib = {r["cpus"]: r for r in data["fib"]["runs"]}
    one_spawn = spawn.get(1)
    one_fib = fib.get(1)
    out = []
    for cpus in sorted(set(spawn) | set(fib)):
        s, f = spawn.get(cpus), fib.get(cpus)
        tps = s["tasks"] * hz / s["cycles"] if s and s["cycles"] else 0
        tps1 = one_spawn["tasks"] * hz / one_spawn["cycles"] if one_spawn and one_spawn["cycles"] else 0
        out.append({
            "cpus": cpus,
            "tasks_per_s": tps,
            "spawn_scale": tps / tps1 if tps1 else 0,
            "fib_ms": f["cycles"] * 1e3 / hz if f else 0,
            "fib_speedup": one_fib["cycles"] / f["cycles"] if f and one_fib and f["cycles"] else 0,
            "fib_ok": f is not None and f["result"] == data["fib"]["expected"],
            "steals": f["steals"] if f else 0,
            # What the emulator allows: k CPUs each ran the 1-CPU compute loop at once.
            "ceiling": (cpus * one_fib["compute_cycles"] / f["compute_cycles"]
                        if f and one_fib and f.get("compute_cycles") and one_fib.get("compute_cycles") else 0),
        })
    return out


def ratio_table(boots):
    """Lock-free against locked in the same boot: how many times better lock-free did
    (times: locked / lock-free; throughput: lock-free / locked). Above 1: lock-free won."""
    by_boot = {}
    for b in boots:
        by_boot.setdefault((b["cpus"], b.get("accelerator")), {})[b.get("variant", "lockfree")] = b
    pairs = [(k, v["lockfree"], v["locked"]) for k, v in sorted(by_boot.items()) if "lockfree" in v and "locked" in v]
    if not pairs:
        return []
    out = ["", "Lock-free against locked, same boot (above 1: lock-free better)", "",
           "| " + " | ".join(["boot (-smp)", "CPUs used", "spawn+exit", "fib"]
                             + ["UTS " + t["tree"] for t in pairs[0][1].get("uts", [])] + ["messaging"]) + " |",
           "|---|---|---|---|" + "---|" * len(pairs[0][1].get("uts", [])) + "---|"]

    def by_cpus(runs):
        return {r["cpus"]: r for r in runs}

    def x(lf, lk):
        return "%.2f" % (lk / lf) if lf and lk else "-"

    for (smp, _), lf, lk in pairs:
        sp_lf, sp_lk = by_cpus(lf["spawn_exit"]), by_cpus(lk["spawn_exit"])
        fb_lf, fb_lk = by_cpus(lf["fib"]["runs"]), by_cpus(lk["fib"]["runs"])
        uts = [(by_cpus(a["runs"]), by_cpus(b["runs"])) for a, b in zip(lf.get("uts", []), lk.get("uts", []))]
        ms_lf = by_cpus(lf.get("messaging", {}).get("runs", []))
        ms_lk = by_cpus(lk.get("messaging", {}).get("runs", []))
        for cpus in sorted(sp_lf):
            if cpus not in sp_lk:
                continue
            a, b = sp_lf[cpus], sp_lk[cpus]
            spawn = "%.2f" % ((a["tasks"] / a["cycles"]) / (b["tasks"] / b["cycles"])) if a["cycles"] and b["cycles"] else "-"
            cells = [spawn, x(fb_lf.get(cpus, {}).get("cycles"), fb_lk.get(cpus, {}).get("cycles"))]
            cells += [x(u_lf.get(cpus, {}).get("cycles"), u_lk.get(cpus, {}).get("cycles")) for u_lf, u_lk in uts]
            cells.append(x(ms_lf.get(cpus, {}).get("cycles"), ms_lk.get(cpus, {}).get("cycles")))
            out.append("| %d | %d | %s |" % (smp, cpus, " | ".join(cells)))
    out += ["", "| boot (-smp) | yield | wake target | p50 | p99 | p99.9 |", "|---|---|---|---|---|---|"]
    for (smp, _), lf, lk in pairs:
        y = x(lf["yield"]["cycles"], lk["yield"]["cycles"]) if lf.get("yield") and lk.get("yield") else "-"
        wl = {w["target"]: w for w in lf.get("wake", [])}
        wk = {w["target"]: w for w in lk.get("wake", [])}
        if not wl:
            out.append("| %d | %s | (%s) | | | |" % (smp, y, "needs 2 CPUs" if smp < 2 else "not run"))
        for target in wl:
            if target in wk:
                out.append("| %d | %s | %s | %s | %s | %s |" % (smp, y, target, x(wl[target]["p50"], wk[target]["p50"]),
                                                              x(wl[target]["p99"], wk[target]["p99"]),
                                                              x(wl[target]["p999"], wk[target]["p999"])))
    return out


def table(paths, markdown):
    boots = [json.load(open(p, encoding="utf-8")) for p in paths]
    out = []
    out.append("| variant | boot (-smp) | accel | CPUs used | spawn+exit tasks/s | x 1 CPU | fib(%d) ms | speedup | steals "
               "| compute ceiling |" % (boots[0]["fib"]["n"] if boots else 24))
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for b in boots:
        for r in rows(b):
            out.append("| %s | %d | %s | %d | %.0f | %.2f | %.0f%s | %.2f | %d | %.2f |" % (
                b.get("variant", "lockfree"), b["cpus"], b["accelerator"], r["cpus"], r["tasks_per_s"], r["spawn_scale"],
                r["fib_ms"], "" if r["fib_ok"] else " (WRONG RESULT)", r["fib_speedup"], r["steals"], r["ceiling"]))
    out.append("")
    out.append("| variant | boot (-smp) | yield cycles/switch | wake target | p50 cycles | p99 cycles | p99.9 cycles "
               "| p50 us | p99 us | IPIs / wake |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for b in boots:
        hz = b["tsc_hz"]
        v = b.get("variant", "lockfree")
        y = b.get("yield")
        ycost = "%.0f" % (y["cycles"] / y["switches"]) if y else "-"
        wakes = b.get("wake") or []
        if not wakes:
            out.append("| %s | %d | %s | (%s) | | | | | | |" % (v, b["cpus"], ycost,
                                                          "needs 2 CPUs" if b["cpus"] < 2 else "not run"))
        for w in wakes:
            out.append("| %s | %d | %s | %s | %d | %d | %d | %.1f | %.1f | %.2f |" % (
                v, b["cpus"], ycost, w["target"], w["p50"], w["p99"], w["p999"], us(w["p50"], hz), us(w["p99"], hz),
                w["ipis"] / w["samples"] if w["samples"] else 0))
    if any(b.get("uts") for b in boots):
        out.append("")
        trees = [t["tree"] for t in boots[0].get("uts", [])]
        out.append("| variant | boot (-smp) | CPUs used | " + " | ".join("UTS %s ms | speedup" % t for t in trees)
                   + " | messaging ms | speedup |")
        out.append("|---|---|---|" + "---|---|" * len(trees) + "---|---|")
        for b in boots:
            hz = b["tsc_hz"]
            per_tree = [{r["cpus"]: r for r in t["runs"]} for t in b.get("uts", [])]
            msg = {r["cpus"]: r for r in b.get("messaging", {}).get("runs", [])}
            for cpus in sorted(msg or (per_tree[0] if per_tree else {})):
                cells = []
                for t, runs in zip(b["uts"], per_tree):
                    r, one = runs.get(cpus), runs.get(1)
                    wrong = "" if r and r["nodes"] == t["expected_nodes"] else " (WRONG COUNT)"
                    cells.append("%.0f%s | %.2f" % (r["cycles"] * 1e3 / hz if r else 0, wrong,
                                                   one["cycles"] / r["cycles"] if r and one and r["cycles"] else 0))
                m, m1 = msg.get(cpus), msg.get(1)
                cells.append("%.1f%s | %.2f" % (m["cycles"] * 1e3 / hz if m else 0,
                                                "" if m and m["checksum_ok"] else " (WRONG)",
                                                m1["cycles"] / m["cycles"] if m and m1 and m["cycles"] else 0))
                out.append("| %s | %d | %d | %s |" % (b.get("variant", "lockfree"), b["cpus"], cpus, " | ".join(cells)))
    if any(r.get("peak_stacks") is not None for b in boots for r in b.get("spawn_exit", [])):
        out.append("")
        trees = [t["tree"] for t in boots[0].get("uts", [])]
        out.append("Task stacks allocated at once (live tasks plus the per-CPU caches; spawn+exit: the timed "
                   "run, UTS: its untimed first run from empty caches)")
        out.append("")
        out.append("| " + " | ".join(["variant", "boot (-smp)", "CPUs used", "spawn+exit"] + ["UTS " + t for t in trees]) + " |")
        out.append("|---|---|---|---|" + "---|" * len(trees))
        for b in boots:
            spawn = {r["cpus"]: r for r in b.get("spawn_exit", [])}
            per_tree = [{r["cpus"]: r for r in t["runs"]} for t in b.get("uts", [])]
            for cpus in sorted(spawn):
                cells = [str(spawn[cpus].get("peak_stacks", "-"))]
                for runs in per_tree:
                    r = runs.get(cpus)
                    cells.append(str(r.get("peak_stacks", "-")) if r else "-")
                out.append("| %s | %d | %d | %s |" % (b.get("variant", "lockfree"), b["cpus"], cpus, " | ".join(cells)))
    lock_boots = [b for b in boots if b.get("queue_locks")]
    if lock_boots:
        out.append("")
        out.append("Locked variant: queue-lock acquisitions during each benchmark, and the share that found the "
                   "lock held")
        out.append("")
        names = ["spawn_exit", "fib", "uts_t1", "uts_t3", "messaging"]
        out.append("| boot (-smp) | CPUs used | " + " | ".join(names) + " |")
        out.append("|---|---|" + "---|" * len(names))

        def cell(pair):
            return "%d (%.2f%%)" % (pair[0], 100.0 * pair[1] / pair[0]) if pair and pair[0] else "-"

        for b in lock_boots:
            for row in sorted(b["queue_locks"], key=lambda r: r["cpus"]):
                out.append("| %d | %d | %s |" % (b["cpus"], row["cpus"], " | ".join(cell(row.get(n)) for n in names)))
    out.extend(ratio_table(boots))
    text = "\n".join(out) + "\n"
    print(text, end="")
    if markdown:
        with open(markdown, "w", encoding="utf-8") as f:
            f.write(text)
    return 0


def main(argv):
    if len(argv) == 4 and argv[1] == "extract":
        return extract(argv[2], argv[3])
    if len(argv) >= 3 and argv[1] == "table":
        args = argv[2:]
        markdown = None
        if "--markdown" in args:
            i = args.index("--markdown")
            if i + 1 >= len(args):
                print("kernel_sched.py: --markdown needs a file name", file=sys.stderr)
                return 2
            markdown = args[i + 1]
            del args[i:i + 2]
        return table(args, markdown)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
