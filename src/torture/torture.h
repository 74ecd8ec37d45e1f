// The torture (issue 14, docs/reliability.md): everything the scheduler does, at once, at
// random, on every online CPU, for as long as asked, with checks that fail loudly by name.
//
//   torture=SECONDS [torture.seed=S] [fail=frames:N,heap:N,stack:N,ipi:N] [fail.seed=S]
//
// Runs in the init task (pinned to CPU 0, which never goes offline): the controller. It
// runs the workload in phases of 2-8 s; between phases every torture task has been joined,
// which is the quiescent point select_backend() needs for a live switch of the ready
// queues. A progress line every 10 s, a verdict line at the end.
#pragma once
#include <cstdint>

#include "lib/fault_inject.h"

namespace torture {

struct Config {
    uint32_t seconds = 0;
    uint64_t seed = 0;
    bool seed_given = false;  // else a seed from the TSC, printed for replay
    fault::Plan fail;  // armed only while the workload runs
};

// True when every check held. The caller ends the run (kmain: QEMU exits 33 or 35).
bool run(const Config& config);

}  // namespace torture
