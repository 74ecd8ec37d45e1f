// In-kernel test registry. A test is a function placed in the .ktests section:
//
//   KTEST(frames_are_reused) {
//       auto a = mm::alloc_frame();
//       KEXPECT(a.has_value(), "no frame");
//       ...
//   }
//
// `test=all` or `test=<prefix>` runs the matching tests on the BSP after SMP bring-up
// (tests named break_* only when a prefix names them: they crash the kernel on purpose);
// a comma-separated list mixes both, and `-<prefix>` leaves tests out
// (`test=all,-sched_fair,-watchdog`),
// printing "ok <name>" or "FAIL <name>: <reason>" per test, then a summary, then exits
// QEMU through isa-debug-exit (status 33 all passed, 35 otherwise).
//
// Two phases. KTEST tests (section .ktests) run first, before the scheduler starts: they
// may own the APs' main loops and the tick callback. KTEST_SCHED tests (section
// .ktests_sched) run after sched::start(), as the init task, so they may spawn, join and
// yield. One combined summary line ends the run.
#pragma once
#include <cstdint>

namespace ktest {

struct Context {
    bool failed = false;
    bool skipped = false;
    char reason[160] = {};
    void fail(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
    // The test does not apply to this machine (e.g. needs a second CPU): reported as
    // "skip <name>: <reason>", counted neither as passed nor as failed. Return after it.
    void skip(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
};

struct TestCase {
    const char* name;
    void (*fn)(Context&);
};

enum class Phase { platform, sched };
// Runs the tests of `phase` that `prefix` selects ("all", name prefixes, "-prefix" to
// leave out; comma-separated); counts add up across phases.
void run(Phase phase, const char* prefix);
// Prints the combined "ktest: N passed, M failed" line; true when at least one test ran
// and none failed. Does not exit.
bool finish(const char* prefix);
// Test mode (test= on the command line, set by kmain right after parsing it): from then
// on a panic ends the run with exit_qemu(false) instead of halting.
void set_active();
bool active();
// Watchdog for hung tests: polled from CPU 0's timer tick (the scheduler's tick calls
// it). It judges progress, not age: a test that has not called progress() (or started)
// for kWatchdogSeconds of guest time is cancelled: `dump` (if set) prints the state,
// cancelled() turns true, and the test's waits are expected to give up, so the test
// returns, fails, runs its cleanup and the tests after it still run. A test that does not
// return within another kWatchdogSeconds after that is hung for good: it is reported as
// failed and QEMU exits with the failure instead of waiting for the host's timeout.
constexpr uint64_t kWatchdogSeconds = 60;
void set_watchdog_dump(void (*dump)());
void watchdog_poll();
// A long test calls this at each step it completes (an AP cycled, a round done).
void progress();
// True once the watchdog gave up on the running test; its waits return failure.
bool cancelled();
// Registers `fn(arg)` to run when the running test returns, passed or failed (one per
// test; a second call replaces the first): it stops the load the test started and joins
// its tasks, so a failed KEXPECT cannot leave work running into the next test.
void on_cleanup(void (*fn)(void*), void* arg);
// Exits QEMU with the verdict (isa-debug-exit, else ACPI/port shutdown); never returns.
[[noreturn]] void exit_qemu(bool success);

}  // namespace ktest

#define KTEST(name)                                                                                              \
    static void ktest_fn_##name(::ktest::Context& ktest_ctx);                                                    \
    [[gnu::used, gnu::section(".ktests")]] static const ::ktest::TestCase ktest_case_##name = {#name,            \
                                                                                               ktest_fn_##name}; \
    static void ktest_fn_##name([[maybe_unused]] ::ktest::Context& ktest_ctx)

#define KTEST_SCHED(name)                                                                                              \
    static void ktest_fn_##name(::ktest::Context& ktest_ctx);                                                          \
    [[gnu::used, gnu::section(".ktests_sched")]] static const ::ktest::TestCase ktest_case_##name = {#name,            \
                                                                                                     ktest_fn_##name}; \
    static void ktest_fn_##name([[maybe_unused]] ::ktest::Context& ktest_ctx)

// Records a failure and returns from the test.
#define KEXPECT(cond, ...)               \
    do {                                 \
        if (!(cond)) {                   \
            ktest_ctx.fail(__VA_ARGS__); \
            return;                      \
        }                                \
    } while (0)
