// What the scheduler takes from the command line. kmain fills it in from boot::Options
// and hands it to sched::start(), so the scheduler never reads the boot command line.
// Plain values only: the command-line parser (host-tested) names Backend too.
#pragma once
#include <cstdint>

namespace sched {

// The ready-queue variant (issue 5): sched=lockfree|locked.
enum class Backend : uint8_t { lockfree, locked };

struct Config {
    uint32_t timeslice_us = 4000;
    uint32_t spin_us = 30;  // idle spin before halting ("Stealing and spinning")
    Backend backend = Backend::lockfree;
    bool trace = false;  // record from boot on ("Ready-queue variants and trace hooks")
    // The lockup detector (sched/watchdog.h): a CPU without a tick, or a task without a
    // scheduling point, for this many seconds is reported. 0: off (watchdog=off).
    uint32_t watchdog_s = 10;
    // Called on CPU 0 at every scheduler tick, interrupts off: the test watchdog's poll
    // in test mode, nothing otherwise.
    void (*on_cpu0_tick)() = nullptr;
};

}  // namespace sched
