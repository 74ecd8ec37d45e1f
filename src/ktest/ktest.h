// In-kernel test registry. A test is a function placed in the .ktests section:
//
//   KTEST(frames_are_reused) {
//       auto a = mm::alloc_frame();
//       KEXPECT(a.has_value(), "no frame");
//       ...
//   }
//
// `test=all` or `test=<prefix>` runs the matching tests on the BSP after SMP bring-up,
// printing "ok <name>" or "FAIL <name>: <reason>" per test, then a summary, then exits
// QEMU through isa-debug-exit (status 33 all passed, 35 otherwise).
#pragma once

namespace ktest {

struct Context {
    bool failed = false;
    char reason[160] = {};
    void fail(const char* fmt, ...) __attribute__((format(printf, 2, 3)));
};

struct TestCase {
    const char* name;
    void (*fn)(Context&);
};

// Runs the tests whose names start with `prefix` ("all" runs every one); returns
// true when all passed. Does not exit.
bool run(const char* prefix);
// Test mode (test= on the command line, set by kmain right after parsing it): from then
// on a panic ends the run with exit_qemu(false) instead of halting.
void set_active();
bool active();
// Exits QEMU with the verdict (isa-debug-exit, else ACPI/port shutdown); never returns.
[[noreturn]] void exit_qemu(bool success);

} // namespace ktest

#define KTEST(name)                                                                     \
    static void ktest_fn_##name(::ktest::Context& ktest_ctx);                          \
    [[gnu::used, gnu::section(".ktests")]] static const ::ktest::TestCase              \
        ktest_case_##name = {#name, ktest_fn_##name};                                  \
    static void ktest_fn_##name([[maybe_unused]] ::ktest::Context& ktest_ctx)

// Records a failure and returns from the test.
#define KEXPECT(cond, ...)                                                              \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            ktest_ctx.fail(__VA_ARGS__);                                                \
            return;                                                                     \
        }                                                                               \
    } while (0)
