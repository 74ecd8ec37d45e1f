#!/usr/bin/env python3
"""The kernel's scheduler trace (trace=on, docs/tracing.md): serial log -> Perfetto JSON + PNG.

  trace2perfetto.py LOG [--json OUT.json] [--png OUT.png] [--title TEXT]

LOG is a serial log holding a dump between `TRACE-BEGIN` and `TRACE-END` (the last complete
one is used; console lines around it are ignored). OUT.json is Chrome trace-event JSON:
open it at https://ui.perfetto.dev (Open trace file) or in chrome://tracing. One track per
CPU ("cpu N"): a slice per task run between two switches (named "<name> <id>", "init",
or "idle" for the CPU's idle task, with a nested "halted" slice while the CPU sleeps in
hlt), and instant events for steals, wakes, IPIs sent and received, migrations, spawns
and exits. OUT.png is a timeline with one lane per CPU, drawn by gnuplot (colour by task;
idle grey, halted pale blue).

Python 3 standard library only (gnuplot for the PNG).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

EVENTS = ("switch", "steal", "wake", "ipi_send", "ipi_recv", "idle_enter", "idle_exit", "migrate", "spawn", "exit")
SWITCH_TO_IDLE = 0x100
# sched::PickReason, the reason the previous task left the CPU (low byte of a switch's arg).
PICK_REASONS = ("preempted", "yielded", "blocked", "sleeping", "exited", "idle")
# sched::TaskState, the state a woken task left (a wake's arg).
TASK_STATES = ("created", "ready", "running", "blocked", "sleeping", "dead")


class TraceError(Exception):
    pass


class Trace:
    """One dump: header fields, per-CPU records (oldest first) and name tables."""

    def __init__(self):
        self.header = {}
        self.end = {}
        self.cpu_info = {}  # cpu -> {"records": n, "lost": n}
        self.names = {}  # (cpu, index) -> name
        self.records = {}  # cpu -> [(tsc, event, task, arg)]

    @property
    def cpus(self):
        return int(self.header["cpus"])

    @property
    def tsc_hz(self):
        return int(self.header["tsc_hz"])


def _fields(words):
    out = {}
    for w in words:
        if "=" in w:
            k, v = w.split("=", 1)
            out[k] = v
    return out


def parse_log(text):
    """The last complete TRACE-BEGIN..TRACE-END block of a serial log."""
    found = None
    current = None
    for raw in text.splitlines():
        line = raw.strip("\r\n\x00 ")
        if line.startswith("TRACE-BEGIN"):
            current = Trace()
            current.header = _fields(line.split()[1:])
            for cpu in range(int(current.header.get("cpus", 0))):
                current.records[cpu] = []
            continue
        if current is None:
            continue
        words = line.split()
        if not words:
            continue
        if words[0] == "T" and len(words) == 6:
            cpu, tsc, event, task, arg = int(words[1]), int(words[2]), words[3], int(words[4]), int(words[5])
            if event not in EVENTS:
                raise TraceError(f"unknown event {event!r} in {line!r}")
            current.records.setdefault(cpu, []).append((tsc, event, task, arg))
        elif words[0] == "N" and len(words) >= 3:
            current.names[(int(words[1]), int(words[2]))] = " ".join(words[3:]) or "?"
        elif words[0] == "TRACE-CPU":
            current.cpu_info[int(words[1])] = {k: int(v) for k, v in _fields(words[2:]).items()}
        elif words[0] == "TRACE-END":
            current.end = _fields(words[1:])
            found = current
            current = None
    if found is None:
        raise TraceError("no complete TRACE-BEGIN .. TRACE-END block (was the kernel booted with trace=on?)")
    for key in ("cpus", "tsc_hz"):
        if key not in found.header:
            raise TraceError(f"TRACE-BEGIN has no {key}=")
    return found


def task_names(trace):
    """Task id -> name, from the spawn records and the name tables."""
    names = {}
    for cpu, recs in trace.records.items():
        for _, event, task, arg in recs:
            if event == "spawn":
                names[task] = trace.names.get((cpu, arg), "task")
    return names


def slice_name(task, arg, names):
    if arg & SWITCH_TO_IDLE:
        return "idle"
    if task == 0:
        return "init"
    return f"{names.get(task, 'task')} {task}"


def timeline(trace):
    """Per CPU: running slices [(start_tsc, end_tsc, name, task, left_reason)] and halted
    periods [(start_tsc, end_tsc)]. A slice runs from its switch to the next switch on
    that CPU; the last one (and a halt still open) lasts until the end of the trace:
    end_tsc of TRACE-BEGIN (when trace::stop() began), else the last record of any CPU."""
    names = task_names(trace)
    runs, halts = {}, {}
    last_tsc = max((recs[-1][0] for recs in trace.records.values() if recs), default=0)
    last_tsc = max(last_tsc, int(trace.header.get("end_tsc", 0)))
    for cpu in range(trace.cpus):
        recs = trace.records.get(cpu, [])
        cpu_runs, cpu_halts = [], []
        open_run = None
        halt_start = None
        for tsc, event, task, arg in recs:
            if event == "switch":
                if open_run:
                    cpu_runs.append((open_run[0], tsc, open_run[1], open_run[2], PICK_REASONS[arg & 0xff]
                                     if (arg & 0xff) < len(PICK_REASONS) else "?"))
                open_run = (tsc, slice_name(task, arg, names), None if arg & SWITCH_TO_IDLE else task)
            elif event == "idle_enter":
                halt_start = tsc
            elif event == "idle_exit" and halt_start is not None:
                cpu_halts.append((halt_start, tsc))
                halt_start = None
        if open_run:
            cpu_runs.append((open_run[0], last_tsc, open_run[1], open_run[2], "end of trace"))
        if halt_start is not None:
            cpu_halts.append((halt_start, last_tsc))
        runs[cpu], halts[cpu] = cpu_runs, cpu_halts
    return runs, halts


def to_chrome(trace):
    """Chrome trace-event JSON (a dict), timestamps in microseconds from the first record."""
    hz = trace.tsc_hz
    all_tsc = [r[0] for recs in trace.records.values() for r in recs]
    t0 = min(all_tsc) if all_tsc else 0

    def us(tsc):
        return (tsc - t0) * 1e6 / hz

    names = task_names(trace)
    pid = 1
    events = [{"ph": "M", "pid": pid, "name": "process_name", "args": {"name": "lfkernel scheduler"}}]
    for cpu in range(trace.cpus):
        events.append({"ph": "M", "pid": pid, "tid": cpu, "name": "thread_name", "args": {"name": f"cpu {cpu}"}})
        events.append({"ph": "M", "pid": pid, "tid": cpu, "name": "thread_sort_index", "args": {"sort_index": cpu}})
    runs, halts = timeline(trace)
    for cpu in range(trace.cpus):
        for start, end, name, task, left in runs[cpu]:
            args = {"left_because": left}
            if task is not None:
                args["task"] = task
            events.append({"ph": "X", "pid": pid, "tid": cpu, "name": name, "cat": "idle" if task is None else "task",
                           "ts": us(start), "dur": us(end) - us(start), "args": args})
        for start, end in halts[cpu]:
            events.append({"ph": "X", "pid": pid, "tid": cpu, "name": "halted", "cat": "halt", "ts": us(start),
                           "dur": us(end) - us(start), "args": {}})
        for tsc, event, task, arg in trace.records.get(cpu, []):
            if event in ("switch", "idle_enter", "idle_exit"):
                continue
            if event == "steal":
                name, args = ("steal" if task else "steal failed"), {"victim": arg, "moved": task, "success": task > 0}
            elif event == "wake":
                name = "wake"
                args = {"task": task, "name": names.get(task, "task"),
                        "from": TASK_STATES[arg] if arg < len(TASK_STATES) else arg}
            elif event == "ipi_send":
                name, args = "ipi send", {"target": arg}
            elif event == "ipi_recv":
                name, args = "ipi recv", {}
            elif event == "migrate":
                name, args = "migrate", {"task": task, "to": arg}
            elif event == "spawn":
                name, args = "spawn", {"task": task, "name": names.get(task, "task")}
            else:  # exit
                name, args = "exit", {"task": task, "code": arg}
            events.append({"ph": "i", "s": "t", "pid": pid, "tid": cpu, "name": name, "cat": event, "ts": us(tsc),
                           "args": args})
    other = {"tsc_hz": hz, "cpus": trace.cpus, "lost_records": int(trace.header.get("lost", 0)),
             "source": "lfkernel trace=on (bench/trace2perfetto.py)"}
    return {"traceEvents": events, "displayTimeUnit": "ns", "otherData": other}


PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf",
           "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173")


def write_png(trace, png_path, title):
    """One lane per CPU: a box per task run (colour by task id, init black), the idle task grey,
    halted pale blue (drawn over the idle box it sits in)."""
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        raise TraceError("gnuplot not found (Debian: apt-get install gnuplot-nox; `make deps-bench`)")
    hz = trace.tsc_hz
    all_tsc = [r[0] for recs in trace.records.values() for r in recs]
    t0 = min(all_tsc) if all_tsc else 0
    runs, halts = timeline(trace)
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "boxes.dat")
        end_ms = 0.0
        with open(data, "w", encoding="utf-8") as f:
            for cpu in range(trace.cpus):
                for start, end, _, task, _ in runs[cpu]:
                    colour = "0xaaaaaa" if task is None else ("0x000000" if task == 0 else
                                                              "0x" + PALETTE[task % len(PALETTE)][1:])
                    a, b = (start - t0) * 1e3 / hz, (end - t0) * 1e3 / hz
                    end_ms = max(end_ms, b)
                    f.write(f"{cpu} {a:.6f} {b:.6f} {int(colour, 16)}\n")
                for start, end in halts[cpu]:
                    a, b = (start - t0) * 1e3 / hz, (end - t0) * 1e3 / hz
                    f.write(f"{cpu} {a:.6f} {b:.6f} {0xdde4ee}\n")
        script = os.path.join(tmp, "timeline.gp")
        ytics = ", ".join(f'"cpu {c}" {c}' for c in range(trace.cpus))
        height = 160 + 70 * trace.cpus
        title = title.replace('"', "'")
        with open(script, "w", encoding="utf-8") as f:
            f.write(f"""set terminal pngcairo size 1600,{height} font ",10" noenhanced
set output "{png_path}"
set title "{title}"
set xlabel "time (ms, from the first record)      boxes: a colour per task id, black init, grey the idle task, pale blue halted"
set yrange [{trace.cpus - 0.5}:-0.5]
set xrange [0:{end_ms if end_ms > 0 else 1}]
set ytics ({ytics})
set grid xtics
set key off
set style fill solid 1.0 noborder
plot "{data}" using (($2+$3)/2):1:(($3-$2)/2):(0.38):4 with boxxyerror lc rgb variable
""")
        proc = subprocess.run([gnuplot, script], capture_output=True, text=True)
        if proc.returncode != 0:
            raise TraceError(f"gnuplot failed: {proc.stderr.strip()}")


def summary(trace):
    counts = {e: 0 for e in EVENTS}
    for recs in trace.records.values():
        for r in recs:
            counts[r[1]] += 1
    return counts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("log", help="serial log with a TRACE-BEGIN .. TRACE-END dump")
    ap.add_argument("--json", help="write Chrome/Perfetto trace-event JSON here")
    ap.add_argument("--png", help="write a PNG timeline (gnuplot) here")
    ap.add_argument("--title", default="lfkernel scheduler timeline", help="PNG title")
    args = ap.parse_args(argv)
    try:
        with open(args.log, encoding="utf-8", errors="replace") as f:
            trace = parse_log(f.read())
        counts = summary(trace)
        lost = int(trace.header.get("lost", 0))
        print(f"trace2perfetto: {trace.cpus} cpus, {sum(counts.values())} records, tsc {trace.tsc_hz} Hz"
              + (f", {lost} oldest records lost to ring wrap" if lost else ""))
        print("  " + ", ".join(f"{e} {n}" for e, n in counts.items()))
        if args.json:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump(to_chrome(trace), f, separators=(",", ":"))
                f.write("\n")
            print(f"  wrote {args.json}")
        if args.png:
            write_png(trace, os.path.abspath(args.png), args.title)
            print(f"  wrote {args.png}")
    except (TraceError, OSError, ValueError, KeyError) as e:
        print(f"trace2perfetto: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
