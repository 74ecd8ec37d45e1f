// In-kernel scheduler benchmarks (bench=sched, bench=all on the command line). Figures, not
// tests: nothing here passes or fails on time. docs/benchmarks.md explains each one.
#pragma once

namespace sched {

// Runs the benchmark set `name` names ("sched" or "all") from the init task, prints a table
// and one JSON block between the lines "BENCH-JSON-BEGIN <name>" and "BENCH-JSON-END" on the
// console. An unknown name gets one warning line listing the known ones and runs nothing.
// False when nothing ran or a benchmark could not complete (its line says why).
bool run_benchmarks(const char* name);

} // namespace sched
