// The scheduler's CPU sets are the kernel's one CPU-set type (lib/cpu_mask.h), named here
// so that sched code and its host tests keep saying sched::CpuMask.
#pragma once
#include "lib/cpu_mask.h"

namespace sched {
using ::AtomicCpuMask;
using ::CpuMask;
using ::kMaxCpus;
using ::kNoCpu;
}  // namespace sched
