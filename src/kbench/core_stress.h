// The lock-free core's stress (workloads/core_stress.h) on the kernel's CPUs: one worker
// task pinned to each online CPU, the caller's task coordinating. Used by the console's
// `stress SECONDS` and meant for the torture (issue 14):
//
//   workloads::CoreStressOptions options;
//   options.seconds = 5;
//   options.cancelled = ...;  // e.g. the console's Ctrl-C flag
//   const workloads::CoreStressResult r = sched::kbench::run_core_stress_on_cpus(options);
//   log_info("stress: %s, lost %llu", workloads::describe(r), r.counts.lost);
//
// Called from a task (it sleeps and joins); every task it spawns is joined and everything
// it allocates is freed before it returns.
#pragma once
#include "workloads/core_stress.h"

namespace sched::kbench {

workloads::CoreStressResult run_core_stress_on_cpus(const workloads::CoreStressOptions& options);

}  // namespace sched::kbench
