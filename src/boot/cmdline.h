// Kernel command line -> typed options. Pure and host-tested. Syntax: space-separated
// key=value or bare flags. An unknown key or a bad value produces one warning (through
// the callback) naming it and the default used; parsing goes on.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/fault_inject.h"
#include "sched/config.h"

namespace boot {

enum class LogLevel : uint8_t { debug, info, warn, error };

struct Options {
    char test[64] = {};  // test=all | <prefix>, comma-separated, -<prefix> leaves out; empty: no tests
    char bench[64] = {};  // bench=<name> | all
    LogLevel log = LogLevel::info;  // log=debug|info|warn|error
    uint32_t timeslice_us = 4000;  // timeslice_us=100..1000000
    uint32_t spin_us = 30;  // sched.spin_us=0..100000: idle spin before halting
    bool x2apic = true;  // x2apic=on|off (off forces xAPIC even if supported)
    uint32_t max_cpus = 256;  // smp.max_cpus=1..256 (also nosmp = 1)
    uint32_t ap_timeout_ms = 200;  // smp.ap_timeout_ms=1..10000
    bool demo = true;  // demo=on|off: the boot demo after bring-up
    bool expect_ap_failure = false;  // testing only
    using Sched = ::sched::Backend;  // sched=lockfree|locked
    Sched sched = Sched::lockfree;
    bool trace = false;  // trace=on|off
    bool console = true;  // console=on|off: the interactive console after boot (docs/console.md)
    bool watchdog = true;  // watchdog=on|off: the lockup detector (docs/smp.md, "Lockup detector")
    uint32_t watchdog_s = 10;  // watchdog_s=1..3600: seconds without a tick / a scheduling point
    // The torture (docs/reliability.md) instead of the demo and the console, then QEMU exits
    // with its verdict. torture=1..604800 seconds; 0: none.
    uint32_t torture_s = 0;
    uint64_t torture_seed = 0;  // torture.seed=N replays a run's random choices
    bool torture_seed_given = false;
    // fail=frames:N,heap:N,stack:N,ipi:N (each 1..4294967295, any subset, in any order):
    // every Nth call of that site fails while the torture runs; fail.seed=S makes it
    // probability 1/N instead (lib/fault_inject.h). A malformed list is ignored as a whole.
    fault::Plan fail;
};

using WarnFn = void (*)(void* ctx, const char* message);

// Parses `cmdline` into `out` (which starts with the defaults above). Returns the number
// of warnings issued.
size_t parse_cmdline(std::string_view cmdline, Options& out, WarnFn warn, void* ctx);

}  // namespace boot
