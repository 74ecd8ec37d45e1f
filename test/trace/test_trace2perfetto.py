#!/usr/bin/env python3
"""bench/trace2perfetto.py on a hand-written dump (fixture.log; also read with the serial
console's CRLF line ends): the JSON loads, has one
track per CPU, one slice per switch with the right names, times and end reasons, the
halted periods and the instant events; the truncated earlier dump is skipped; a log
without a dump is an error. Run by CTest (test/trace/CMakeLists.txt) or by hand."""
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))
import trace2perfetto  # noqa: E402

FIXTURE = os.path.join(HERE, "fixture.log")


def load_fixture():
    with open(FIXTURE, encoding="utf-8") as f:
        return trace2perfetto.parse_log(f.read())


class ParseTest(unittest.TestCase):
    def test_uses_the_last_complete_dump(self):
        trace = load_fixture()
        self.assertEqual(trace.cpus, 2)
        self.assertEqual(trace.tsc_hz, 1_000_000_000)
        self.assertEqual(trace.header["lost"], "2")
        self.assertEqual(len(trace.records[0]), 14)
        self.assertEqual(len(trace.records[1]), 11)
        self.assertEqual(trace.cpu_info[0], {"records": 14, "lost": 2})
        self.assertEqual(trace.names[(0, 1)], "pong")

    def test_serial_line_ends_are_read_too(self):
        with open(FIXTURE, encoding="utf-8") as f:
            crlf = trace2perfetto.parse_log(f.read().replace("\n", "\r\n"))
        self.assertEqual(crlf.records, load_fixture().records)
        self.assertEqual(crlf.names, load_fixture().names)

    def test_a_log_without_a_dump_is_an_error(self):
        with self.assertRaises(trace2perfetto.TraceError):
            trace2perfetto.parse_log("TRACE-BEGIN cpus=1 tsc_hz=1\nT 0 1 switch 1 0\n")  # no TRACE-END
        with tempfile.TemporaryDirectory() as tmp:
            log = os.path.join(tmp, "empty.log")
            with open(log, "w", encoding="utf-8") as f:
                f.write("booted, no trace\n")
            with contextlib.redirect_stderr(io.StringIO()):
                self.assertEqual(trace2perfetto.main([log]), 1)


class ChromeJsonTest(unittest.TestCase):
    def setUp(self):
        trace = load_fixture()
        # Through a string, as a viewer would read it.
        self.doc = json.loads(json.dumps(trace2perfetto.to_chrome(trace)))
        self.events = self.doc["traceEvents"]
        self.switches = {c: sum(1 for r in trace.records[c] if r[1] == "switch") for c in (0, 1)}

    def slices(self, cpu, cat=("task", "idle")):
        return [e for e in self.events if e["ph"] == "X" and e["tid"] == cpu and e["cat"] in cat]

    def test_one_track_per_cpu(self):
        tracks = {e["tid"]: e["args"]["name"] for e in self.events if e["name"] == "thread_name"}
        self.assertEqual(tracks, {0: "cpu 0", 1: "cpu 1"})

    def test_one_slice_per_switch(self):
        for cpu in (0, 1):
            self.assertEqual(len(self.slices(cpu)), self.switches[cpu], f"cpu {cpu}")
        self.assertEqual([e["name"] for e in self.slices(0)], ["ping 5", "idle", "ping 5", "idle", "init"])
        self.assertEqual([e["name"] for e in self.slices(1)], ["pong 6", "task 7", "idle"])

    def test_slice_times_and_reasons(self):
        first = self.slices(0)[0]
        self.assertAlmostEqual(first["ts"], 1.0)  # tsc 2000, first record 1000, 1 GHz
        self.assertAlmostEqual(first["dur"], 1.0)
        self.assertEqual(first["args"], {"left_because": "blocked", "task": 5})
        self.assertEqual(self.slices(0)[2]["args"]["left_because"], "exited")
        for cpu in (0, 1):
            s = self.slices(cpu)
            for a, b in zip(s, s[1:]):
                self.assertAlmostEqual(a["ts"] + a["dur"], b["ts"])  # back to back

    def test_the_last_slices_last_until_end_tsc(self):
        with open(FIXTURE, encoding="utf-8") as f:
            text = f.read().replace("capacity=16 records=25 lost=2", "capacity=16 records=25 lost=2 end_tsc=9000")
        events = trace2perfetto.to_chrome(trace2perfetto.parse_log(text))["traceEvents"]
        last = {}
        for e in events:
            if e["ph"] == "X" and e["cat"] in ("task", "idle"):
                last[e["tid"]] = e
        self.assertEqual({tid: e["ts"] + e["dur"] for tid, e in last.items()}, {0: 8.0, 1: 8.0})
        # Without end_tsc the trace ends at the last record of any CPU (cpu 0's, 7000).
        self.assertAlmostEqual(self.slices(1)[-1]["ts"] + self.slices(1)[-1]["dur"], 6.0)

    def test_halted_periods_nest_in_idle(self):
        halts = self.slices(0, ("halt",))
        self.assertEqual(len(halts), 1)
        self.assertAlmostEqual(halts[0]["ts"], 2.1)
        self.assertAlmostEqual(halts[0]["dur"], 1.9)
        idle = self.slices(0)[1]
        self.assertTrue(idle["ts"] <= halts[0]["ts"] and halts[0]["ts"] + halts[0]["dur"] <= idle["ts"] + idle["dur"])

    def test_instant_events(self):
        instants = [e for e in self.events if e["ph"] == "i"]
        by_cat = {}
        for e in instants:
            by_cat.setdefault(e["cat"], []).append(e)
        self.assertEqual({k: len(v) for k, v in by_cat.items()},
                         {"spawn": 2, "migrate": 2, "ipi_send": 2, "ipi_recv": 2, "exit": 2, "steal": 2, "wake": 1})
        steals = sorted(by_cat["steal"], key=lambda e: e["tid"])
        self.assertEqual((steals[0]["name"], steals[0]["args"]), ("steal failed", {"victim": 1, "moved": 0, "success": False}))
        self.assertEqual((steals[1]["name"], steals[1]["args"]), ("steal", {"victim": 0, "moved": 2, "success": True}))
        self.assertEqual(by_cat["wake"][0]["args"], {"task": 5, "name": "ping", "from": "blocked"})
        self.assertEqual(by_cat["migrate"][1]["args"], {"task": 5, "to": 0})
        self.assertEqual(self.doc["otherData"]["lost_records"], 2)


class PngTest(unittest.TestCase):
    @unittest.skipUnless(shutil.which("gnuplot"), "gnuplot not installed")
    def test_writes_a_png(self):
        with tempfile.TemporaryDirectory() as tmp:
            png, js = os.path.join(tmp, "t.png"), os.path.join(tmp, "t.json")
            with contextlib.redirect_stdout(io.StringIO()):
                self.assertEqual(trace2perfetto.main([FIXTURE, "--json", js, "--png", png]), 0)
            with open(png, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
            with open(js, encoding="utf-8") as f:
                self.assertIn("traceEvents", json.load(f))


if __name__ == "__main__":
    unittest.main()
