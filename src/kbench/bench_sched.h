// In-kernel scheduler benchmarks (bench=sched|all|<name>[,<name>...] on the command line).
// Figures, not tests: nothing here passes or fails on time. docs/benchmarks.md explains each one.
#pragma once

namespace sched {

// Runs the benchmarks `name` names from the init task: "sched" runs every one under the
// scheduler variant the boot chose; "all" runs every one under the lock-free and then the
// locked variant in the same boot; "spawn", "fib", "uts", "messaging", "yield", "wake" or a
// comma list of them run those under both. Per variant it prints a table and one JSON block
// between the lines "BENCH-JSON-BEGIN sched" and "BENCH-JSON-END" on the console; under
// both, the lock-free/locked ratios after them. An unknown name gets one warning line
// listing the known ones and runs nothing.
// False when nothing ran or a benchmark could not complete (its line says why).
// `cancelled` (the console's Ctrl-C) is polled before each benchmark run; once it returns
// true nothing more runs, the CPUs the scaling runs took offline come back, the variant
// the boot chose is selected again, and no table is printed.
bool run_benchmarks(const char* name, bool (*cancelled)() = nullptr);
// Whether run_benchmarks() would accept `name` (without the warning for a wrong one).
bool valid_benchmark_list(const char* name);

}  // namespace sched
